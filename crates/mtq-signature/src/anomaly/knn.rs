//! The kNN anomaly scores' search: [`KnnIndex`] lives in `mtq-cluster` beside the other
//! distance kernels; this file turns its argument errors into this crate's.

use mtq_cluster::ClusterError;
pub use mtq_cluster::{KnnIndex, l2_normalize};

use crate::error::SignatureError;

/// A [`KnnIndex`] error in this crate's terms: a neighbour count out of range is
/// [`SignatureError::InvalidNeighbours`], a query of another width
/// [`SignatureError::DimMismatch`], a row count or row index that does not fit the reference
/// [`SignatureError::RowMismatch`]; anything else stays [`SignatureError::Cluster`].
pub(crate) fn knn_error(err: ClusterError) -> SignatureError {
    match err {
        ClusterError::InvalidNeighbours { k, n_reference } => {
            SignatureError::InvalidNeighbours { k, n_reference }
        }
        ClusterError::FeatureMismatch { expected, actual } => SignatureError::DimMismatch {
            layer: "kNN query".into(),
            expected,
            found: actual,
        },
        ClusterError::QueryRows { expected, found } => SignatureError::RowMismatch {
            what: "leave-one-out kNN query".into(),
            expected,
            found,
        },
        other => SignatureError::Cluster(other),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    #[test]
    fn knn_errors_keep_their_signature_variants() {
        let r = Array2::<f32>::zeros((4, 2));
        let idx = KnnIndex::new(r.view());
        let err = |e: mtq_cluster::Result<Array2<f32>>| e.map_err(knn_error).unwrap_err();
        assert!(matches!(
            err(idx.distances(r.view(), 4, true)),
            SignatureError::InvalidNeighbours {
                k: 4,
                n_reference: 3
            }
        ));
        assert!(matches!(
            err(idx.distances(Array2::zeros((1, 3)).view(), 1, false)),
            SignatureError::DimMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ));
        assert!(matches!(
            err(idx.distances(Array2::zeros((3, 2)).view(), 1, true)),
            SignatureError::RowMismatch {
                expected: 4,
                found: 3,
                ..
            }
        ));
        // a row past the reference keeps the cluster crate's wording ("row 4 of 4")
        assert!(matches!(
            err(idx.member_distances(&[0, 4], 1)),
            SignatureError::Cluster(mtq_cluster::ClusterError::RowOutOfRange { row: 4, n_rows: 4 })
        ));
    }
}
