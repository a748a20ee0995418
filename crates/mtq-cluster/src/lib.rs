//! Exact, deterministic, parallel K-means and silhouette for `ndarray` data, with a K sweep that
//! shares the O(n² d) silhouette work between all K, partition comparison (ARI, NMI, purity)
//! and internal indices (Davies-Bouldin, Calinski-Harabasz), all checked against scikit-learn.
//!
//! # Example
//! ```
//! use mtq_cluster::{
//!     KMeansParams, KMeansSettings, KRange, adjusted_rand_index, select_k, silhouette_score,
//! };
//! use ndarray::Array2;
//! # fn main() -> mtq_cluster::Result<()> {
//! // two well separated groups of 20 points in 3-D
//! let x = Array2::from_shape_fn((40, 3), |(i, j)| {
//!     let centre = if i < 20 { 0.0 } else { 8.0 };
//!     centre + ((i * 7 + j * 3) % 5) as f32 * 0.1
//! });
//! let model = KMeansParams::new(2).n_init(10).seed(0).fit(x.view())?;
//! let s = silhouette_score(x.view(), model.labels())?;
//! assert!(s > 0.9);
//! let truth: Vec<usize> = (0..40).map(|i| i / 20).collect();
//! assert_eq!(adjusted_rand_index(ndarray::aview1(&truth), model.labels())?, 1.0);
//! let sweep = select_k(x.view(), KRange::new(2, 6)?, KMeansSettings::new())?;
//! assert_eq!(sweep.best_k(), 2);
//! # Ok(())
//! # }
//! ```
//!
//! # What is in it
//! - [`KMeansParams`] → [`KMeans`]: greedy k-means++ (scikit-learn's), random or given
//!   initialisation, `n_init` seeded restarts, Lloyd or Hamerly iteration, empty clusters
//!   relocated as scikit-learn does; [`KMeans::predict`] and [`KMeans::transform`] for new data.
//! - [`silhouette_score`], [`silhouette_samples`] (exact), [`silhouette_score_sampled`],
//!   [`simplified_silhouette_score`]; see the [`silhouette`] module for which to use when.
//! - [`select_k`] / [`KSweepParams`] → [`KSweep`]: for every K of a [`KRange`] (checked when
//!   made: `2 <= min <= max`), each fitted with the same [`KMeansSettings`], the inertia, the
//!   silhouette (exact, or on a seeded sample with its standard error: [`SilhouetteMode`]),
//!   Davies-Bouldin, Calinski-Harabasz, the fitted model; and the chosen K.
//! - [`contingency_matrix`], [`adjusted_rand_index`], [`normalized_mutual_info`], [`purity`],
//!   [`davies_bouldin_score`], [`calinski_harabasz_score`].
//! - [`KnnIndex`]: exact k-nearest-neighbour distances to a reference set, raw and
//!   L2-normalised, leave-one-out on request (the [`knn`] module describes the method);
//!   [`l2_normalize`].
//!
//! # Determinism
//! Every random choice takes a `seed`; restart `i` draws from `ChaCha8Rng` stream `i`. Work is
//! split in fixed row blocks whose partial sums are added in block order (the silhouette's as
//! 64-bit fixed-point integers), and every matrix product or kernel runs single-threaded inside
//! its block, so results are bit-identical whatever the size of the rayon pool the caller runs
//! them in. The crate never builds a thread pool. (The SIMD kernels are chosen at run time:
//! a CPU without AVX2 + FMA may round differently, as with any BLAS.)
//!
//! # Crate features
//! None. f32 data only.

pub mod choose_k;
mod data;
pub mod error;
mod k_range;
mod kernel;
pub mod kmeans;
pub mod knn;
pub mod metrics;
pub mod products;
pub mod silhouette;

pub use choose_k::{
    DEFAULT_SILHOUETTE_SAMPLE, EXACT_SILHOUETTE_BUDGET, FIT_ROWS_PER_CLUSTER, FIT_SAMPLE_VALUES,
    FitRows, KScore, KSweep, KSweepParams, REFINE_MAX_ITER, SAMPLED_SILHOUETTE_BUDGET,
    SilhouetteMode, select_k,
};
pub use error::{ClusterError, Result};
pub use k_range::KRange;
pub use kmeans::{Algorithm, Init, KMeans, KMeansParams, KMeansSettings};
pub use knn::{KnnIndex, l2_normalize};
pub use metrics::{
    adjusted_rand_index, calinski_harabasz_score, contingency_matrix, davies_bouldin_score,
    normalized_mutual_info, purity,
};
pub use silhouette::{
    silhouette_samples, silhouette_score, silhouette_score_sampled, simplified_silhouette_score,
    simplified_silhouette_with_centroids,
};
