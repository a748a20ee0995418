//! Layer redundancy: how much a layer's activations (and its partition) merely repeat the previous
//! layer's. The verdict is linear CKA (Kornblith et al. 2019, "Similarity of Neural Network
//! Representations Revisited") between consecutive layers' activations, which does not depend on
//! the K either layer chose; partition agreement by ARI/NMI is reported beside it. (ARI between
//! the partitions at the chosen K, the verdict before, mostly restated "K = the number of classes
//! in both layers": forcing another K flipped it.)

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Linear centred kernel alignment between two representations of the same samples (rows).
///
/// `CKA(X, Y) = |Yc^T Xc|_F^2 / (|Xc^T Xc|_F |Yc^T Yc|_F)` with column-centred `Xc`, `Yc`; 1 means
/// the same geometry up to rotation and isotropic scale, 0 no linear relation. Computed in `f64`.
/// Returns 0 when either side is constant. The widths may differ; the row counts must not
/// (the caller checks).
///
/// Cost: with `n` rows and widths `dx`, `dy`, the feature form above takes `O(n·dx·dy)` time and
/// `O(dx·dy + dx² + dy²)` memory; when a layer is wider than there are rows it uses the
/// identical sample form `<K, L>_F / (|K|_F |L|_F)` with `K = Xc Xc^T`, `L = Yc Yc^T`
/// (`O(n²)` memory), so a flattened feature map of 200,000 values never builds a
/// 200,000 x 200,000 matrix. The products run through `mtq_cluster::products::matmul` (the
/// GEMM's widest kernel on the thread pool; the same result for any thread count).
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
    let mul = crate::anomaly::linalg::product;
    let (cross, xx, yy) = if xc.ncols().max(yc.ncols()) > xc.nrows() {
        let (k, l) = (mul(xc.view(), xc.t()), mul(yc.view(), yc.t()));
        let inner: f64 = k.iter().zip(l.iter()).map(|(a, b)| a * b).sum();
        (inner, fro2(&k).sqrt(), fro2(&l).sqrt())
    } else {
        (
            fro2(&mul(yc.t(), xc.view())),
            fro2(&mul(xc.t(), xc.view())).sqrt(),
            fro2(&mul(yc.t(), yc.view())).sqrt(),
        )
    };
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
    /// Linear CKA between the two layers' activations, in `[0, 1]` (`None`: not computed).
    pub cka: Option<f64>,
    /// ARI between the two partitions at the K each chose (context, not the verdict).
    pub ari: f64,
    /// Whether `cka >= threshold`: the layer's activations have (nearly) the previous layer's
    /// geometry up to rotation and isotropic scale, so its clusters and distances add little.
    /// `false` when the CKA was not computed.
    pub redundant: bool,
}

/// Linear CKA at or above which a layer is redundant with the previous one (the default of
/// [`SignatureParams::redundancy_threshold`](crate::SignatureParams::redundancy_threshold)): the
/// two layers share 95 % of their (centred, rotation- and scale-free) linear geometry.
pub const DEFAULT_CKA_THRESHOLD: f64 = 0.95;

/// Judges each layer after the first against its predecessor from the consecutive-pair agreements
/// (`consecutive[i]` compares layer `i` with layer `i + 1`): redundant when their linear CKA is
/// at least `threshold`.
#[must_use]
pub fn verdicts(consecutive: &[PairAgreement], threshold: f64) -> Vec<LayerVerdict> {
    consecutive
        .iter()
        .map(|p| LayerVerdict {
            layer: p.b.clone(),
            previous: p.a.clone(),
            cka: p.cka,
            ari: p.ari,
            redundant: p.cka.is_some_and(|c| c >= threshold),
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
    fn cka_sample_form_equals_feature_form_for_wide_layers() {
        // 5 rows, 7 and 3 columns: the wide side takes the n x n form
        let x = Array2::from_shape_fn((5, 7), |(i, j)| ((i * 7 + j * 3) % 11) as f32 - 4.0);
        let y = Array2::from_shape_fn((5, 3), |(i, j)| ((i * 5 + j) % 7) as f32 * 0.5);
        let wide = linear_cka(x.view(), y.view());
        // the feature form, computed by hand
        let centre = |a: &Array2<f32>| {
            let a = a.mapv(f64::from);
            let m = a.mean_axis(ndarray::Axis(0)).unwrap();
            a - &m
        };
        let (xc, yc) = (centre(&x), centre(&y));
        let f = |m: Array2<f64>| m.iter().map(|v| v * v).sum::<f64>();
        let want = f(yc.t().dot(&xc)) / (f(xc.t().dot(&xc)).sqrt() * f(yc.t().dot(&yc)).sqrt());
        assert!((wide - want).abs() < 1e-12, "{wide} vs {want}");
        assert!(wide > 0.0 && wide < 1.0);
    }

    #[test]
    fn cka_of_constant_is_zero() {
        let x = array![[1.0f32], [2.0], [3.0]];
        let c = array![[5.0f32], [5.0], [5.0]];
        assert_eq!(linear_cka(x.view(), c.view()), 0.0);
    }

    #[test]
    fn verdict_follows_cka_not_ari() {
        let p = |ari, cka| PairAgreement {
            a: "h1".into(),
            b: "h2".into(),
            ari,
            nmi: 0.9,
            cka,
        };
        // the same partition (ARI 1) with different geometry is not redundant, and the reverse is
        let v = verdicts(&[p(1.0, Some(0.6)), p(0.3, Some(0.97)), p(1.0, None)], 0.95);
        assert!(!v[0].redundant && v[1].redundant && !v[2].redundant);
        assert_eq!((v[1].layer.as_str(), v[1].cka), ("h2", Some(0.97)));
    }
}
