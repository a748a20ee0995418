//! The dense linear algebra of the Mahalanobis score and linear CKA, in f64: a Cholesky factor,
//! the inverse of a lower-triangular matrix, and products through the workspace's GEMM.

use ndarray::{Array2, ArrayView2};

/// Cholesky factor `L` (lower) of a symmetric positive-definite matrix; on failure the index and
/// value of the first non-positive pivot.
pub(super) fn cholesky(a: &Array2<f64>) -> std::result::Result<Array2<f64>, (usize, f64)> {
    let d = a.nrows();
    let mut l = Array2::<f64>::zeros((d, d));
    for j in 0..d {
        let mut diag = a[[j, j]];
        for k in 0..j {
            diag -= l[[j, k]] * l[[j, k]];
        }
        if diag <= 0.0 || !diag.is_finite() {
            return Err((j, diag));
        }
        let ljj = diag.sqrt();
        l[[j, j]] = ljj;
        for i in j + 1..d {
            let mut v = a[[i, j]];
            for k in 0..j {
                v -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = v / ljj;
        }
    }
    Ok(l)
}

/// Inverse of a lower-triangular matrix with a positive diagonal, by forward substitution.
pub(super) fn lower_inverse(l: &Array2<f64>) -> Array2<f64> {
    let d = l.nrows();
    let mut inv = Array2::<f64>::zeros((d, d));
    for c in 0..d {
        inv[[c, c]] = 1.0 / l[[c, c]];
        for i in c + 1..d {
            let mut v = 0.0;
            for k in c..i {
                v -= l[[i, k]] * inv[[k, c]];
            }
            inv[[i, c]] = v / l[[i, i]];
        }
    }
    inv
}

/// `a · b` through the workspace's GEMM (`mtq_cluster::products::matmul`: its widest kernel on
/// the thread pool, the same result for any thread count), for the Mahalanobis score's and
/// linear CKA's products, whose inner dimensions agree by construction (the same rows).
///
/// # Panics
/// If they do not (a bug in this crate, never caller input).
pub(crate) fn product(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    #[allow(clippy::expect_used)]
    mtq_cluster::products::matmul(a, b).expect("inner dimensions agree by construction")
}
