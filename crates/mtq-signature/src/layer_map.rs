//! [`LayerMap`]: how one layer's activations become a cluster id and a distance: the fitted
//! preparation, the power-of-two scale and the centroids. Shared by the fitted analysis and the
//! path monitor, so both trace an input the same way.

use mtq_activations::FittedPreparation;
use ndarray::{Array1, Array2, ArrayView2, Axis, CowArray, Ix2};

use crate::error::Result;

/// One layer's preparation, scale and centroids.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LayerMap {
    pub(crate) preparation: FittedPreparation,
    /// Power of two the prepared activations are multiplied by (see `FittedLayer::scale`).
    pub(crate) scale: f32,
    /// `k x width`, in the scaled units.
    pub(crate) centroids: Array2<f32>,
}

impl LayerMap {
    /// `x` prepared and scaled: the units of the centroids and of every distance score.
    pub(crate) fn prepare<'a>(&self, x: ArrayView2<'a, f32>) -> Result<CowArray<'a, f32, Ix2>> {
        let p = self.preparation.apply_cow(x)?;
        if self.scale == 1.0 {
            return Ok(p);
        }
        let mut p = p.into_owned();
        p.mapv_inplace(|v| v * self.scale);
        Ok(CowArray::from(p))
    }

    /// Nearest centroid of every row of `prepared` (lowest id on ties) and its distance, given
    /// back in the activations' own units.
    pub(crate) fn assign(&self, prepared: ArrayView2<'_, f32>) -> (Array1<usize>, Array1<f32>) {
        let (c, mut d) = nearest(&self.centroids, prepared);
        if self.scale != 1.0 {
            d.mapv_inplace(|v| (f64::from(v) / f64::from(self.scale)) as f32);
        }
        (c, d)
    }
}

/// Nearest centroid (by squared Euclidean distance, lowest id on ties) and its distance per row.
pub(crate) fn nearest(
    centroids: &Array2<f32>,
    x: ArrayView2<'_, f32>,
) -> (Array1<usize>, Array1<f32>) {
    let (labels, dists): (Vec<usize>, Vec<f32>) = x
        .axis_iter(Axis(0))
        .map(|row| {
            let mut best = (0usize, f32::INFINITY);
            for (j, c) in centroids.rows().into_iter().enumerate() {
                let d: f32 = row
                    .iter()
                    .zip(c.iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                if d < best.1 {
                    best = (j, d);
                }
            }
            (best.0, best.1.sqrt())
        })
        .unzip();
    (Array1::from(labels), Array1::from(dists))
}
