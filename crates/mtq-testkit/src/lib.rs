//! Test support for MTQ Paths' fuzz tests (issue 13, kind 9), clustering tests and benchmarks; a
//! dev-dependency only.
//!
//! * [`Mutator`]: a seeded mutator of valid inputs (bytes or text): flips, cuts, extensions,
//!   insertions, deletions, "interesting" integers written over headers, digit runs replaced by
//!   huge numbers. Seeded `ChaCha8Rng`, so a failing case is reproduced by its seed and index.
//!   A seeded loop rather than `proptest`: proptest would pull in a second `rand` (0.10) next to
//!   the 0.9 that candle uses, and a loop of a few thousand cases is all the harness needs.
//! * [`PeakAlloc`]: a counting global allocator; a test binary installs it with
//!   `#[global_allocator] static A: PeakAlloc = PeakAlloc;` and reads the peak bytes live
//!   during a closure with [`measure`]. Measurements are process-wide: take [`LOCK`] in tests
//!   that measure.
//! * [`make_blobs`]: seeded Gaussian blobs (scikit-learn's `make_blobs` shape) for the
//!   clustering tests, examples and benchmarks.
//! * [`raw_npy`]: hand-built `.npy` bytes with any header dictionary, for the readers' tests.
//! * [`Campaign`]: runs the cases of one format under a panic catcher and the peak counter,
//!   and prints one line per format: cases, panics, the largest peak and the case behind it.

mod blobs;
mod campaign;
mod mutate;
mod npy;
mod peak;

pub use blobs::{BlobsError, make_blobs};
pub use campaign::Campaign;
pub use mutate::Mutator;
pub use npy::raw_npy;
pub use peak::{LOCK, PeakAlloc, live, measure};
