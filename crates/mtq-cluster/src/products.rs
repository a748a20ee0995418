//! Matrix products in `f64` through the GEMM the clustering kernels use, for the cross-products
//! other crates of the workspace need on wide layers: linear CKA's `Xᵀ Y` and covariance
//! matrices (`mtq-signature`). ndarray's `dot` runs a 256-bit kernel; at 50,000 rows x 512
//! features the GEMM's widest kernel on the thread pool is several times faster, with the same
//! `f64` arithmetic.

use ndarray::{Array2, ArrayView2};

use crate::error::{ClusterError, Result};
use crate::kernel::matmul_f64;

/// `a · b` (`m x k` times `k x n`, giving `m x n`), in `f64`; either may be a transposed or
/// otherwise strided view (`x.t()`), so `Xᵀ Y` is `matmul(x.t(), y.view())`. Deterministic:
/// blocks of rows of the product run on rayon's pool, each entry reduced by one call, so the
/// result is the same for any thread count. Equal to ndarray's `a.dot(&b)` up to the order of
/// the additions (about `1e-15` relative).
///
/// ```
/// use mtq_cluster::products::matmul;
/// use ndarray::array;
/// let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let gram = matmul(x.t(), x.view())?;
/// assert_eq!(gram, array![[35.0, 44.0], [44.0, 56.0]]);
/// # Ok::<(), mtq_cluster::ClusterError>(())
/// ```
///
/// # Errors
/// [`ClusterError::FeatureMismatch`] if `a`'s columns are not `b`'s rows.
pub fn matmul(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    if a.ncols() != b.nrows() {
        return Err(ClusterError::FeatureMismatch {
            expected: a.ncols(),
            actual: b.nrows(),
        });
    }
    Ok(matmul_f64(a, b))
}
