//! The Mahalanobis anomaly score: distance to the nearest class mean under the pooled
//! within-class covariance plus a ridge, fitted on a reference set.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::linalg::{cholesky, lower_inverse, product};
use crate::error::{Result, SignatureError};

/// Mahalanobis distance to the nearest class mean under the pooled within-class covariance plus a
/// ridge, fitted on a reference set.
#[derive(Debug, Clone)]
pub struct Mahalanobis {
    /// `W = L^-1` where `L L^T = Sigma + ridge`: distances are Euclidean after `x -> W x`.
    whitener: Array2<f64>,
    /// Whitened class means (rows), for the classes present in the reference.
    means: Array2<f64>,
}

impl Mahalanobis {
    /// Fits class means and the shared covariance. The ridge added to the diagonal is
    /// `ridge * (trace / d) + 1e-9` (relative to the mean variance, so it is scale-free; the tiny
    /// absolute term keeps an all-constant layer invertible).
    ///
    /// # Errors
    /// [`SignatureError::InvalidRidge`], [`SignatureError::Empty`], [`SignatureError::RowMismatch`],
    /// [`SignatureError::LabelOutOfRange`], and [`SignatureError::NotPositiveDefinite`] if the
    /// factorisation still fails.
    pub fn fit(
        layer: &str,
        x: ArrayView2<'_, f32>,
        labels: ArrayView1<'_, usize>,
        n_classes: usize,
        ridge: f64,
    ) -> Result<Self> {
        if !ridge.is_finite() || ridge < 0.0 {
            return Err(SignatureError::InvalidRidge { value: ridge });
        }
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(SignatureError::Empty {
                what: format!("layer {layer} (Mahalanobis reference)"),
            });
        }
        if labels.len() != n {
            return Err(SignatureError::RowMismatch {
                what: format!("labels of layer {layer}"),
                expected: n,
                found: labels.len(),
            });
        }
        if let Some((row, &label)) = labels.iter().enumerate().find(|(_, y)| **y >= n_classes) {
            return Err(SignatureError::LabelOutOfRange {
                what: "reference labels".into(),
                row,
                label,
                n_classes,
            });
        }
        let xf = x.mapv(f64::from);
        let mut sums = Array2::<f64>::zeros((n_classes, d));
        let mut counts = vec![0usize; n_classes];
        for (row, &y) in xf.rows().into_iter().zip(labels.iter()) {
            sums.row_mut(y).scaled_add(1.0, &row);
            counts[y] += 1;
        }
        let present: Vec<usize> = (0..n_classes).filter(|&c| counts[c] > 0).collect();
        let mut means = Array2::<f64>::zeros((present.len(), d));
        for (i, &c) in present.iter().enumerate() {
            means.row_mut(i).assign(&(&sums.row(c) / counts[c] as f64));
        }
        let mut centred = xf;
        let slot: Vec<usize> = {
            let mut s = vec![0; n_classes];
            for (i, &c) in present.iter().enumerate() {
                s[c] = i;
            }
            s
        };
        for (mut row, &y) in centred.rows_mut().into_iter().zip(labels.iter()) {
            row -= &means.row(slot[y]);
        }
        let mut cov = product(centred.t(), centred.view()) / n as f64;
        let mean_var = cov.diag().sum() / d as f64;
        let add = ridge * mean_var + 1e-9;
        cov.diag_mut().mapv_inplace(|v| v + add);
        let l = cholesky(&cov).map_err(|(index, pivot)| SignatureError::NotPositiveDefinite {
            layer: layer.to_string(),
            index,
            pivot,
        })?;
        let whitener = lower_inverse(&l);
        let means = means.dot(&whitener.t());
        Ok(Self { whitener, means })
    }

    /// Distance of every row of `x` to its nearest class mean.
    ///
    /// # Errors
    /// [`SignatureError::DimMismatch`] if `x` has another width than the reference.
    pub fn distances(&self, x: ArrayView2<'_, f32>) -> Result<Array1<f64>> {
        if x.ncols() != self.whitener.ncols() {
            return Err(SignatureError::DimMismatch {
                layer: "Mahalanobis query".into(),
                expected: self.whitener.ncols(),
                found: x.ncols(),
            });
        }
        let z = product(x.mapv(f64::from).view(), self.whitener.t());
        Ok(z.map_axis(Axis(1), |row| {
            self.means
                .rows()
                .into_iter()
                .map(|m| {
                    row.iter()
                        .zip(m.iter())
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
                .sqrt()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn mahalanobis_matches_explicit_inverse() {
        // Two classes; covariance is the pooled within-class scatter / n.
        let x = array![
            [1.0f32, 2.0],
            [2.0, 1.0],
            [3.0, 4.0],
            [10.0, 0.0],
            [11.0, 1.0],
            [12.0, -1.0]
        ];
        let y = array![0, 0, 0, 1, 1, 1];
        let m = Mahalanobis::fit("h", x.view(), y.view(), 2, 0.0).unwrap();
        let mu0 = [2.0f64, 7.0 / 3.0];
        let mu1 = [11.0f64, 0.0];
        let mut cov = [[0.0f64; 2]; 2];
        for (row, &c) in x.rows().into_iter().zip(y.iter()) {
            let mu = if c == 0 { mu0 } else { mu1 };
            let dv = [f64::from(row[0]) - mu[0], f64::from(row[1]) - mu[1]];
            for a in 0..2 {
                for b in 0..2 {
                    cov[a][b] += dv[a] * dv[b] / 6.0;
                }
            }
        }
        let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
        let inv = [
            [cov[1][1] / det, -cov[0][1] / det],
            [-cov[1][0] / det, cov[0][0] / det],
        ];
        let q = array![[5.0f32, 5.0]];
        let maha = |mu: [f64; 2]| {
            let dv = [5.0 - mu[0], 5.0 - mu[1]];
            (dv[0] * (inv[0][0] * dv[0] + inv[0][1] * dv[1])
                + dv[1] * (inv[1][0] * dv[0] + inv[1][1] * dv[1]))
                .sqrt()
        };
        let want = maha(mu0).min(maha(mu1));
        let got = m.distances(q.view()).unwrap()[0];
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    #[test]
    fn mahalanobis_ridge_handles_dead_units_and_rejects_bad_ridge() {
        let x = array![[1.0f32, 0.0], [2.0, 0.0], [3.0, 0.0]];
        let y = array![0, 0, 0];
        let m = Mahalanobis::fit("h", x.view(), y.view(), 1, 1e-3).unwrap();
        let d = m
            .distances(array![[2.0f32, 0.0], [2.0, 1.0]].view())
            .unwrap();
        assert!(d[0] < 1e-6 && d[1] > 10.0);
        assert!(matches!(
            Mahalanobis::fit("h", x.view(), y.view(), 1, -1.0),
            Err(SignatureError::InvalidRidge { .. })
        ));
        assert!(matches!(
            Mahalanobis::fit("h", x.view(), array![0, 2, 0].view(), 2, 0.1),
            Err(SignatureError::LabelOutOfRange {
                label: 2,
                row: 1,
                ..
            })
        ));
    }
}
