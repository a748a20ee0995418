//! A symmetric eigen solver (cyclic Jacobi rotations) for the `d x d` covariance of PCA.
//!
//! Jacobi is slow for large `d` (each sweep costs `O(d³)`) but exact to machine precision,
//! simple and deterministic; layer widths here are tens to a few hundred.

use ndarray::{Array1, Array2, ArrayView2};

use crate::error::{ActivationsError, Result};

/// Sweeps after which the solver gives up (convergence is quadratic: 6–10 sweeps are typical).
const MAX_SWEEPS: usize = 60;

/// Eigenvalues (descending) and unit eigenvectors (columns, same order) of a symmetric matrix.
///
/// Only the upper triangle is read conceptually; the matrix is symmetrised as `(a + aᵀ) / 2`.
/// Each eigenvector's sign is fixed so that its entry of largest magnitude is positive (the
/// first such entry on ties), so results are reproducible.
///
/// # Errors
/// [`ActivationsError::EigenNoConvergence`] if the off-diagonal mass does not vanish in
/// `MAX_SWEEPS` sweeps (not seen for finite input).
pub(crate) fn symmetric_eigen(a: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    let d = a.nrows();
    let mut m: Vec<f64> = (0..d * d)
        .map(|k| {
            let (i, j) = (k / d, k % d);
            0.5 * (a[[i, j]] + a[[j, i]])
        })
        .collect();
    let mut v: Vec<f64> = (0..d * d)
        .map(|k| if k / d == k % d { 1.0 } else { 0.0 })
        .collect();
    let total: f64 = m.iter().map(|x| x * x).sum::<f64>();
    let mut converged = false;
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| m[p * d + q] * m[p * d + q])
            .sum();
        if off <= f64::EPSILON * f64::EPSILON * total || off == 0.0 {
            converged = true;
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = m[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + theta.hypot(1.0));
                let c = 1.0 / t.hypot(1.0);
                let s = t * c;
                for k in 0..d {
                    let (kp, kq) = (m[k * d + p], m[k * d + q]);
                    m[k * d + p] = c * kp - s * kq;
                    m[k * d + q] = s * kp + c * kq;
                }
                for k in 0..d {
                    let (pk, qk) = (m[p * d + k], m[q * d + k]);
                    m[p * d + k] = c * pk - s * qk;
                    m[q * d + k] = s * pk + c * qk;
                }
                m[p * d + q] = 0.0;
                m[q * d + p] = 0.0;
                for k in 0..d {
                    let (kp, kq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * kp - s * kq;
                    v[k * d + q] = s * kp + c * kq;
                }
            }
        }
    }
    if !converged {
        return Err(ActivationsError::EigenNoConvergence {
            dim: d,
            sweeps: MAX_SWEEPS,
        });
    }
    let mut order: Vec<usize> = (0..d).collect();
    // descending eigenvalue, index order on ties (sort_by is stable)
    order.sort_by(|&i, &j| m[j * d + j].total_cmp(&m[i * d + i]));
    let values = Array1::from_iter(order.iter().map(|&i| m[i * d + i]));
    let mut vectors = Array2::from_shape_fn((d, d), |(row, col)| v[row * d + order[col]]);
    for mut col in vectors.columns_mut() {
        let mut best = 0.0f64;
        for &x in col.iter() {
            if x.abs() > best.abs() {
                best = x;
            }
        }
        if best < 0.0 {
            col.mapv_inplace(|x| -x);
        }
    }
    Ok((values, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::{Array2, array};

    /// An orthogonal matrix: the Householder reflection `I - 2 u uᵀ / (uᵀ u)`.
    fn householder(u: &[f64]) -> Array2<f64> {
        let d = u.len();
        let uu: f64 = u.iter().map(|x| x * x).sum();
        Array2::from_shape_fn((d, d), |(i, j)| {
            f64::from(u8::from(i == j)) - 2.0 * u[i] * u[j] / uu
        })
    }

    #[test]
    fn recovers_a_known_decomposition() {
        let q = householder(&[1.0, -2.0, 0.5, 3.0, 1.5]);
        let lambda = [9.0, 4.0, 2.5, 1.0, 0.25];
        let a = q
            .dot(&Array2::from_diag(&Array1::from(lambda.to_vec())))
            .dot(&q.t());
        let (values, vectors) = symmetric_eigen(a.view()).unwrap();
        for (got, want) in values.iter().zip(lambda) {
            assert_abs_diff_eq!(*got, want, epsilon = 1e-10);
        }
        // eigenvectors equal the columns of q up to sign
        for k in 0..5 {
            let (v, qk) = (vectors.column(k), q.column(k));
            let dot: f64 = v.dot(&qk);
            assert_abs_diff_eq!(dot.abs(), 1.0, epsilon = 1e-10);
            // sign convention: largest-magnitude entry positive
            let big = v
                .iter()
                .copied()
                .fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
            assert!(big > 0.0);
        }
        // A V = V Λ
        let av = a.dot(&vectors);
        let vl = vectors.dot(&Array2::from_diag(&values));
        for (x, y) in av.iter().zip(vl.iter()) {
            assert_abs_diff_eq!(*x, *y, epsilon = 1e-10);
        }
    }

    #[test]
    fn diagonal_zero_and_repeated_eigenvalues() {
        let (values, vectors) = symmetric_eigen(array![[1.0, 0.0], [0.0, 3.0]].view()).unwrap();
        assert_eq!(values.to_vec(), [3.0, 1.0]);
        assert_eq!(vectors, array![[0.0, 1.0], [1.0, 0.0]]);
        let (values, _) = symmetric_eigen(Array2::<f64>::zeros((3, 3)).view()).unwrap();
        assert_eq!(values.to_vec(), [0.0, 0.0, 0.0]);
        let (values, vectors) =
            symmetric_eigen(array![[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 3.0]].view())
                .unwrap();
        assert_abs_diff_eq!(values[0], 3.0, epsilon = 1e-12);
        assert_abs_diff_eq!(values[1], 3.0, epsilon = 1e-12);
        assert_abs_diff_eq!(values[2], 1.0, epsilon = 1e-12);
        // orthonormal columns
        let vtv = vectors.t().dot(&vectors);
        for (i, row) in vtv.outer_iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                assert_abs_diff_eq!(*x, f64::from(u8::from(i == j)), epsilon = 1e-12);
            }
        }
    }
}
