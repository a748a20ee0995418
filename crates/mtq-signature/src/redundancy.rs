//! Layer redundancy: how much a layer's partition (and its activations) merely repeat the previous
//! layer's. Partition agreement by ARI/NMI, activation similarity by linear CKA.

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Linear centred kernel alignment between two representations of the same samples (rows).
///
/// `CKA(X, Y) = |Yc^T Xc|_F^2 / (|Xc^T Xc|_F |Yc^T Yc|_F)` with column-centred `Xc`, `Yc`; 1 means
/// the same geometry up to rotation and isotropic scale, 0 no linear relation. Computed in `f64`.
/// Returns 0 when either side is constant. The widths may differ; the row counts must not
/// (the caller checks).
#[must_use]
pub fn linear_cka(x: ArrayView2<'_, f32>, y: ArrayView2<'_, f32>) -> f64 {
    let centre = |a: ArrayView2<'_, f32>| -> Array2<f64> {
        let mut a = a.mapv(f64::from);
        if let Some(mean) = a.mean_axis(Axis(0)) {
            a -= &mean;
        }
        a
    };
    let (xc, yc) = (centre(x), centre(y));
    let fro2 = |m: &Array2<f64>| m.iter().map(|v| v * v).sum::<f64>();
    let cross = fro2(&yc.t().dot(&xc));
    let xx = fro2(&xc.t().dot(&xc)).sqrt();
    let yy = fro2(&yc.t().dot(&yc)).sqrt();
    if xx == 0.0 || yy == 0.0 {
        0.0
    } else {
        cross / (xx * yy)
    }
}

/// Agreement between two partitions (or a partition and the true classes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairAgreement {
    /// First side, e.g. `h1`.
    pub a: String,
    /// Second side, e.g. `h2` or `class`.
    pub b: String,
    /// Adjusted Rand index.
    pub ari: f64,
    /// Normalised mutual information (arithmetic mean normalisation, as scikit-learn's default).
    pub nmi: f64,
    /// Linear CKA between the two layers' activations (`None` against the true classes).
    pub cka: Option<f64>,
}

/// The redundancy verdict of one layer against the previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerVerdict {
    /// The layer judged.
    pub layer: String,
    /// The previous layer.
    pub previous: String,
    /// ARI between the two partitions.
    pub ari: f64,
    /// Whether `ari >= threshold`: the layer's partition (nearly) repeats the previous one.
    pub redundant: bool,
}

/// Judges each layer after the first against its predecessor from the consecutive-pair agreements
/// (`consecutive[i]` compares layer `i` with layer `i + 1`).
#[must_use]
pub fn verdicts(consecutive: &[PairAgreement], threshold: f64) -> Vec<LayerVerdict> {
    consecutive
        .iter()
        .map(|p| LayerVerdict {
            layer: p.b.clone(),
            previous: p.a.clone(),
            ari: p.ari,
            redundant: p.ari >= threshold,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    #[test]
    fn cka_is_one_for_rotation_and_scale_and_symmetric() {
        let x = array![
            [1.0f32, 2.0],
            [3.0, 1.0],
            [0.0, -1.0],
            [2.0, 2.5],
            [-1.0, 0.5]
        ];
        // Rotate by 90 degrees and scale by 3.
        let y = Array2::from_shape_fn((5, 2), |(i, j)| {
            if j == 0 {
                -3.0 * x[[i, 1]]
            } else {
                3.0 * x[[i, 0]]
            }
        });
        assert!((linear_cka(x.view(), y.view()) - 1.0).abs() < 1e-9);
        let z = array![[0.3f32], [-1.0], [2.0], [0.1], [0.7]];
        let a = linear_cka(x.view(), z.view());
        let b = linear_cka(z.view(), x.view());
        assert!((a - b).abs() < 1e-12);
        assert!(a > 0.0 && a < 1.0);
    }

    #[test]
    fn cka_of_constant_is_zero() {
        let x = array![[1.0f32], [2.0], [3.0]];
        let c = array![[5.0f32], [5.0], [5.0]];
        assert_eq!(linear_cka(x.view(), c.view()), 0.0);
    }

    #[test]
    fn verdict_follows_threshold() {
        let p = |ari| PairAgreement {
            a: "h1".into(),
            b: "h2".into(),
            ari,
            nmi: 0.9,
            cka: Some(0.8),
        };
        let v = verdicts(&[p(0.97), p(0.5)], 0.95);
        assert!(v[0].redundant && !v[1].redundant);
        assert_eq!(v[1].layer, "h2");
    }
}
