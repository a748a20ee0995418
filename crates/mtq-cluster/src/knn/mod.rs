//! Exact k-nearest-neighbour distances to a reference set (Euclidean), blocked, parallel and
//! deterministic: [`KnnIndex`].
//!
//! # Example
//! ```
//! use mtq_cluster::KnnIndex;
//! use ndarray::array;
//! # fn main() -> mtq_cluster::Result<()> {
//! // four reference points on a line, two queries
//! let reference = array![[0.0f32, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]];
//! let index = KnnIndex::new(reference.view());
//! let d = index.distances(array![[0.5f32, 0.0], [7.0, 4.0]].view(), 2, false)?;
//! assert_eq!(d.dim(), (2, 2)); // queries x k, ascending
//! assert_eq!(d.row(0).to_vec(), [0.5, 0.5]);
//! assert_eq!(d[[1, 0]], 4.0);
//! // leave-one-out: each reference row's distance to its nearest other row
//! let loo = index.distances(reference.view(), 1, true)?;
//! assert_eq!(loo.column(0).to_vec(), [1.0, 1.0, 2.0, 4.0]);
//! # Ok(())
//! # }
//! ```
//!
//! # Method
//! Brute force, so exact: every query is compared with every reference row (the method of
//! faiss's `IndexFlatL2` and scikit-learn's `algorithm="brute"`). Queries go in blocks of 256,
//! one rayon task each; a block's result depends on its rows only, and blocks are joined in
//! order, so results do not depend on the number of threads.
//!
//! - More than 4 features: squared distances `max(|q|² + |r|² − 2 q·r, 0)` from tiles of
//!   256 queries x 1,024 reference rows (1 MiB, kept in L2 cache), each tile one matrix product
//!   (the `gemm` crate, single-threaded inside the block), scanned at once for the running
//!   `k` smallest of every query: sixteen values at a time are compared with the current k-th
//!   smallest (one AVX-512 or two AVX2 compares, chosen at run time; plain code otherwise)
//!   and only the lanes below it are inserted. No full distance row is ever stored.
//! - At most 4 features: squared distances from coordinate differences (no cancellation
//!   between nearby points far from the origin, such as the probabilities of a softmax layer).
//!
//! Distances are returned as distances (square roots), in the data's units. The L2-normalised
//! search ([`KnnIndex::distances_raw_and_l2`]) reuses the same dot products:
//! `|q^ − r^|² = |q^|² + |r^|² − 2 q·r / (|q| |r|)`, with an all-zero row kept at zero.

mod direct;
mod index;
mod tiled;

#[cfg(test)]
mod tests;

pub use index::{KnnIndex, l2_normalize};
