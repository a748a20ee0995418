//! The one place this crate calls the clustering library: the per-layer K sweep, and partition
//! agreement (ARI / NMI).

use mtq_cluster::{KMeansParams, adjusted_rand_index, normalized_mutual_info, select_k};
use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{Result, SignatureError};

/// The outcome of a K sweep on one layer.
#[derive(Debug, Clone)]
pub(crate) struct Sweep {
    /// K values tried.
    pub ks: Vec<usize>,
    /// Silhouette per K.
    pub silhouette: Vec<f64>,
    /// Inertia per K.
    pub inertia: Vec<f64>,
    /// The K chosen (maximal silhouette, smaller K on ties).
    pub chosen_k: usize,
    /// Centroids of the chosen K.
    pub centroids: Array2<f32>,
}

/// K-means (k-means++, `n_init` restarts, `seed`) for every K in `k_min..=k_max`, each scored by
/// the exact silhouette; the chosen K maximises it.
pub(crate) fn sweep(
    layer: &str,
    x: ArrayView2<'_, f32>,
    k_min: usize,
    k_max: usize,
    n_init: usize,
    seed: u64,
) -> Result<Sweep> {
    if x.nrows() <= k_max {
        return Err(SignatureError::TooFewSamples {
            layer: layer.into(),
            n_samples: x.nrows(),
            k: k_max,
        });
    }
    let params = KMeansParams::new(k_min).n_init(n_init).seed(seed);
    let sweep = select_k(x, k_min..=k_max, &params)?;
    let best = sweep.best();
    Ok(Sweep {
        ks: sweep.scores().iter().map(|s| s.k).collect(),
        silhouette: sweep.scores().iter().map(|s| s.silhouette).collect(),
        inertia: sweep.scores().iter().map(|s| s.inertia).collect(),
        chosen_k: best.k,
        centroids: best.model.centroids().to_owned(),
    })
}

/// Adjusted Rand index between two partitions.
pub(crate) fn ari(a: ArrayView1<'_, usize>, b: ArrayView1<'_, usize>) -> Result<f64> {
    Ok(adjusted_rand_index(a, b)?)
}

/// Normalised mutual information (arithmetic mean) between two partitions.
pub(crate) fn nmi(a: ArrayView1<'_, usize>, b: ArrayView1<'_, usize>) -> Result<f64> {
    Ok(normalized_mutual_info(a, b)?)
}
