//! MNIST-format data for MTQ Paths: IDX files in, validated, typed [`Dataset`]s out.
//!
//! * **Reading.** [`idx`] reads IDX images (magic 2051) and labels (magic 2049), raw or gzip
//!   (recognised from the gzip magic bytes), from any [`std::io::Read`] or file, and writes them
//!   back. Every malformed input is a distinct [`DataError`] naming its source; nothing is
//!   allocated from an unchecked header.
//! * **MNIST.** [`Mnist::embedded`] decodes the 10,000 real digits shipped inside this crate
//!   (8,000 train / 2,000 test), so examples and tests need no download; [`Mnist::from_dir`]
//!   loads the full 60,000 + 10,000 from the four standard files.
//! * **More data.** [`UciDigits::embedded`] (1,797 UCI 8 x 8 digits) and
//!   [`BreastCancer::embedded`] (569 x 30 tabular, malignant vs benign) ship inside this crate
//!   with their licence notes; [`Dataset::from_npy`] reads your own `X.npy` (features `n x d`, or
//!   samples of any shape: images `n x rows x cols` or `n x channels x rows x cols`, sequences
//!   `n x tokens x features`) and `y.npy` (class indices: integers, or whole-valued floats),
//!   [`Dataset::from_array`] the same from arrays.
//! * **`.npy`.** [`npy`] is the project's one `.npy` reader and writer: its own header parser
//!   (a header promising more data than the file holds is refused before anything is
//!   allocated), one label rule ([`npy::read_npy_labels`], bounded by [`MAX_LABEL`]), typed
//!   errors naming the file; `mtq-activations` and `mtq-signature` read through it. [`Dataset::stratified_split_standardized`] splits with a seed, keeping class
//!   proportions, and standardises with the training split's statistics only.
//! * **Shaping.** [`Dataset`] holds `n x d` `f32` features, labels and stable sample ids:
//!   class selection with relabelling ([`Dataset::select_classes`]), scaling ([`Scaler`]: fixed
//!   range, min-max or standardisation fitted on one set and applied to another), flattened
//!   images with their shape kept, one-hot labels, seeded shuffles, plain and stratified splits,
//!   stratified subsampling and batches of views.
//!
//! Randomness: every random operation takes a `seed: u64` and draws from a `ChaCha8Rng`, so
//! the same seed gives the same result everywhere.
//!
//! Conversion to and from a candle `Tensor` lives in `mtq-model`, which depends on this crate:
//! that keeps `mtq-data` free of candle and the dependencies flowing one way
//! (data → model → activations → cluster → signature).
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), mtq_data::DataError> {
//! use mtq_data::Mnist;
//!
//! let mnist = Mnist::embedded()?;
//! // Ones against sevens: labels become 0 (for 1s) and 1 (for 7s).
//! let train = mnist.train().select_classes(&[1, 7])?;
//! assert_eq!(train.classes(), [1, 7]);
//! assert_eq!(train.class_counts(), [896, 859]);
//! assert_eq!(train.n_features(), 28 * 28);
//! assert_eq!(train.image_shape(), Some((28, 28)));
//!
//! // A seeded, stratified 80/20 split, then mini-batches (views, no copies).
//! let (fit, val) = train.stratified_split(0.2, 42)?;
//! assert_eq!(fit.n_samples() + val.n_samples(), train.n_samples());
//! for batch in fit.shuffle(7).batches(64)? {
//!     assert!(batch.len() <= 64);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Crate features
//!
//! None: gzip support (flate2, pure-Rust backend) is always on.

mod batch;
mod dataset;
mod embedded;
mod error;
pub mod idx;
mod mnist;
pub mod npy;
mod sampling;
mod scale;

pub use batch::{Batch, Batches};
pub use dataset::{Dataset, MAX_LABEL};
pub use embedded::{BreastCancer, UciDigits};
pub use error::{DataError, Result};
pub use idx::IdxImages;
pub use mnist::{
    MNIST_CLASSES, Mnist, MnistPaths, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS,
};
pub use sampling::stratified_pick;
pub use scale::{Scaler, StandardizedSplit};
