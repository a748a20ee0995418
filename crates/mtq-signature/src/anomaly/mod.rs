//! Distance-based anomaly scores against a reference set: exact k-nearest-neighbour distances
//! ([`KnnIndex`], from `mtq-cluster`, re-exported here) and the Mahalanobis distance to the
//! closest class mean under a shared covariance ([`Mahalanobis`]). No `unsafe` code: the kNN
//! search's kernels live in `mtq-cluster`.

mod knn;
pub(crate) mod linalg;
mod mahalanobis;

pub(crate) use knn::knn_error;
pub use knn::{KnnIndex, l2_normalize};
pub use mahalanobis::Mahalanobis;
