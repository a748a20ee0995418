//! The one place this crate calls the clustering library: the per-layer K sweep, and partition
//! agreement (ARI / NMI).

use mtq_cluster::{
    ClusterError, KMeansSettings, KRange, KSweepParams, SilhouetteMode, adjusted_rand_index,
    normalized_mutual_info,
};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SignatureError};

/// What the K sweep of one layer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SweepOutcome {
    /// Every K of the range was fitted; the chosen K has the highest silhouette.
    #[default]
    Clustered,
    /// The layer's reference activations have fewer distinct rows than the last K asked for:
    /// the sweep stopped at `n_distinct` (more clusters would duplicate centroids).
    Capped {
        /// The last K asked for.
        requested_k_max: usize,
        /// Distinct reference rows, the last K fitted.
        n_distinct: usize,
    },
    /// Every reference sample maps to one point: the layer carries no information about its
    /// inputs. It is kept as one cluster (every sample's path passes through it); K and the
    /// silhouette are undefined (the curve is empty).
    Constant,
}

impl SweepOutcome {
    /// One sentence for the report when the outcome is not a plain sweep, naming the layer.
    #[must_use]
    pub fn verdict(&self, layer: &str) -> Option<String> {
        match *self {
            Self::Clustered => None,
            Self::Capped {
                requested_k_max,
                n_distinct,
            } => Some(format!(
                "Layer {layer}: only {n_distinct} distinct reference activations, so K was tried \
                 up to {n_distinct} instead of {requested_k_max}."
            )),
            Self::Constant => Some(format!(
                "Layer {layer} maps every reference sample to the same point: it carries no \
                 information about the inputs. K and the silhouette are undefined; the layer is \
                 kept as a single cluster."
            )),
        }
    }
}

/// The outcome of a K sweep on one layer.
#[derive(Debug, Clone)]
pub(crate) struct Sweep {
    /// K values tried (empty for a constant layer).
    pub ks: Vec<usize>,
    /// Silhouette per K.
    pub silhouette: Vec<f64>,
    /// Inertia per K.
    pub inertia: Vec<f64>,
    /// The K chosen (maximal silhouette, smaller K on ties); 1 for a constant layer.
    pub chosen_k: usize,
    /// Centroids of the chosen K.
    pub centroids: Array2<f32>,
    /// Whether the range was fitted in full, capped, or the layer is constant.
    pub outcome: SweepOutcome,
    /// The K-means labels of every sample for each K tried (same order as `ks`), for the K-tree.
    pub labels: Vec<Vec<u32>>,
    /// Rows the K-means restarts ran on when sampled (`None`: every row).
    pub fit_rows: Option<usize>,
    /// Rows the silhouette was computed on when sampled (`None`: every row).
    pub silhouette_rows: Option<usize>,
}

/// K-means (k-means++, `n_init` restarts, `seed`) for every K in `range`, each scored by the
/// silhouette; the chosen K maximises it. Wide layers with many rows are fitted and scored on
/// seeded samples (`mtq_cluster::FitRows::Auto`, `SilhouetteMode::Auto`), recorded in the
/// result. A layer with one distinct row is
/// [`SweepOutcome::Constant`]; one with fewer distinct rows than the range's last K is capped
/// there.
pub(crate) fn sweep(
    layer: &str,
    x: ArrayView2<'_, f32>,
    range: KRange,
    n_init: usize,
    seed: u64,
    silhouette: SilhouetteMode,
) -> Result<Sweep> {
    if x.nrows() <= range.max() {
        return Err(SignatureError::TooFewSamples {
            layer: layer.into(),
            n_samples: x.nrows(),
            k: range.max(),
        });
    }
    let sweep = match KSweepParams::new(range)
        .kmeans(KMeansSettings::new().n_init(n_init).seed(seed))
        .silhouette(silhouette)
        .fit(x)
    {
        Ok(s) => s,
        Err(ClusterError::TooFewDistinctRows { n_distinct: 1, .. }) => {
            return Ok(Sweep {
                ks: Vec::new(),
                silhouette: Vec::new(),
                inertia: Vec::new(),
                chosen_k: 1,
                centroids: x.slice(ndarray::s![0..1, ..]).to_owned(),
                outcome: SweepOutcome::Constant,
                labels: Vec::new(),
                fit_rows: None,
                silhouette_rows: None,
            });
        }
        Err(source) => {
            return Err(SignatureError::LayerCluster {
                layer: layer.into(),
                what: "reference set, K sweep".into(),
                source,
            });
        }
    };
    let best = sweep.best();
    let outcome = match sweep.capped_from() {
        Some(requested_k_max) => SweepOutcome::Capped {
            requested_k_max,
            n_distinct: sweep.last_k(),
        },
        None => SweepOutcome::Clustered,
    };
    Ok(Sweep {
        ks: sweep.scores().iter().map(|s| s.k).collect(),
        silhouette: sweep.scores().iter().map(|s| s.silhouette).collect(),
        inertia: sweep.scores().iter().map(|s| s.inertia).collect(),
        chosen_k: best.k,
        centroids: best.model.centroids().to_owned(),
        outcome,
        labels: sweep
            .scores()
            .iter()
            .map(|s| s.model.labels().iter().map(|&c| c as u32).collect())
            .collect(),
        fit_rows: sweep.fit_sample_size(),
        silhouette_rows: sweep.silhouette_sample_size(),
    })
}

/// Magnitudes outside `[2^-40, 2^40]` are brought to at most 1 by a power of two (exact), so
/// that squared distances in `f32` neither overflow (activations near 1e20) nor vanish.
const SCALE_WINDOW_LOG2: i32 = 40;

/// The power of two a layer's activations are multiplied by before clustering and distances:
/// 1 unless the largest magnitude `max_abs` lies outside `[2^-40, 2^40]`.
pub(crate) fn magnitude_scale(x: ArrayView2<'_, f32>) -> f32 {
    let max_abs = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if max_abs == 0.0 || !max_abs.is_finite() {
        return 1.0;
    }
    let e = max_abs.log2().ceil() as i32;
    if e.abs() <= SCALE_WINDOW_LOG2 {
        1.0
    } else {
        2.0f32.powi((-e).clamp(-126, 126))
    }
}

/// Adjusted Rand index between two partitions; errors name `what` (layers compared).
pub(crate) fn ari(a: ArrayView1<'_, usize>, b: ArrayView1<'_, usize>, what: &str) -> Result<f64> {
    adjusted_rand_index(a, b).map_err(|source| SignatureError::LayerCluster {
        layer: what.into(),
        what: "adjusted Rand index".into(),
        source,
    })
}

/// Normalised mutual information (arithmetic mean) between two partitions; errors name `what`.
pub(crate) fn nmi(a: ArrayView1<'_, usize>, b: ArrayView1<'_, usize>, what: &str) -> Result<f64> {
    normalized_mutual_info(a, b).map_err(|source| SignatureError::LayerCluster {
        layer: what.into(),
        what: "normalised mutual information".into(),
        source,
    })
}
