//! Choosing K: fit K-means for every K of a range and score each fit, sharing the O(n² d)
//! distance work of the exact silhouette between all K.

use std::ops::RangeInclusive;

use ndarray::ArrayView2;

use crate::data::{self, check_data};
use crate::error::{ClusterError, Result};
use crate::kmeans::{KMeans, KMeansParams};
use crate::metrics::{calinski_harabasz_score, davies_bouldin_score};
use crate::silhouette::{Coded, multi_silhouette};

/// The scores of one K.
#[derive(Debug, Clone, PartialEq)]
pub struct KScore {
    /// Number of clusters.
    pub k: usize,
    /// K-means inertia (sum of squared distances to the centroids).
    pub inertia: f64,
    /// Exact mean silhouette (higher is better).
    pub silhouette: f64,
    /// Davies-Bouldin index (lower is better).
    pub davies_bouldin: f64,
    /// Calinski-Harabasz index (higher is better).
    pub calinski_harabasz: f64,
    /// The fitted model.
    pub model: KMeans,
}

/// The result of [`select_k`]: one [`KScore`] per K in increasing K, and the chosen K.
#[derive(Debug, Clone, PartialEq)]
pub struct KSweep {
    scores: Vec<KScore>,
    best: usize,
    requested_end: usize,
}

impl KSweep {
    /// Per-K scores, in increasing K.
    #[must_use]
    pub fn scores(&self) -> &[KScore] {
        &self.scores
    }

    /// The K with the highest silhouette (ties to the smaller K).
    #[must_use]
    pub fn best_k(&self) -> usize {
        self.scores[self.best].k
    }

    /// The scores of the chosen K (model included).
    #[must_use]
    pub fn best(&self) -> &KScore {
        &self.scores[self.best]
    }

    /// The silhouette curve, `(K, silhouette)` in increasing K, ready to plot.
    #[must_use]
    pub fn silhouette_curve(&self) -> Vec<(usize, f64)> {
        self.scores.iter().map(|s| (s.k, s.silhouette)).collect()
    }

    /// The elbow curve, `(K, inertia)` in increasing K.
    #[must_use]
    pub fn inertia_curve(&self) -> Vec<(usize, f64)> {
        self.scores.iter().map(|s| (s.k, s.inertia)).collect()
    }

    /// The last K asked for when the data had fewer distinct rows than that (the sweep then
    /// stopped at the number of distinct rows, [`KSweep::last_k`]); `None` if the whole range was
    /// fitted.
    #[must_use]
    pub fn capped_from(&self) -> Option<usize> {
        (self.last_k() < self.requested_end).then_some(self.requested_end)
    }

    /// The last K fitted.
    #[must_use]
    pub fn last_k(&self) -> usize {
        self.scores.last().map_or(0, |s| s.k)
    }

    /// Consumes the sweep, giving the per-K scores.
    #[must_use]
    pub fn into_scores(self) -> Vec<KScore> {
        self.scores
    }
}

/// Fits K-means for every K in `ks` (every other setting taken from `params`, whose own `k` is
/// ignored) and scores each fit with the exact silhouette, Davies-Bouldin and
/// Calinski-Harabasz; the chosen K has the highest silhouette, ties to the smaller K (the
/// reference study's rule, with `ks = 2..=10`).
///
/// The silhouettes of all K come from ONE pass over the pairwise distances: the samples are
/// ordered by their tuple of labels (one per K), each distance tile is computed once, and its
/// sums over runs of samples that share every label feed every K's per-cluster distance sums
/// at once. The sweep thus costs about one silhouette, not `|ks|` of them as a loop over
/// `silhouette_score` does.
///
/// ```
/// use mtq_cluster::{KMeansParams, select_k};
/// use ndarray::Array2;
/// # fn main() -> mtq_cluster::Result<()> {
/// // three tight groups on a line
/// let x = Array2::from_shape_fn((30, 2), |(i, j)| (i / 10) as f32 * 10.0 + (i % 10) as f32 * 0.01 + j as f32);
/// let sweep = select_k(x.view(), 2..=5, &KMeansParams::new(2).n_init(3))?;
/// assert_eq!(sweep.best_k(), 3);
/// assert_eq!(sweep.silhouette_curve().len(), 4);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`ClusterError::InvalidKRange`] if `ks` is empty, starts below 2 or reaches `n_samples`;
/// [`ClusterError::TooFewDistinctRows`] if the data has fewer distinct rows than the first K
/// (a constant or all-zero layer has 1); the errors of [`KMeansParams::fit`]. When the data has
/// fewer distinct rows than the last K, the sweep stops at that number and
/// [`KSweep::capped_from`] says so: no K ever gets a duplicated centroid.
pub fn select_k(
    x: ArrayView2<'_, f32>,
    ks: RangeInclusive<usize>,
    params: &KMeansParams,
) -> Result<KSweep> {
    check_data(x)?;
    let n = x.nrows();
    let (start, end) = (*ks.start(), *ks.end());
    if start < 2 || end < start || end >= n {
        return Err(ClusterError::InvalidKRange {
            start,
            end,
            n_samples: n,
        });
    }
    // K above the number of distinct rows would duplicate centroids: the range is capped there
    // (said by `KSweep::capped_from`), and data with fewer distinct rows than `start` is refused.
    let n_distinct = data::distinct_rows(x, end);
    if n_distinct < start {
        return Err(ClusterError::TooFewDistinctRows {
            k: start,
            n_distinct,
        });
    }
    let models = (start..=end.min(n_distinct))
        .map(|k| params.clone().k(k).fit(x))
        .collect::<Result<Vec<KMeans>>>()?;
    let mean = data::column_mean(x);
    let xc = data::centered(x, &mean);
    let codes: Vec<Vec<usize>> = models.iter().map(|m| m.labels().to_vec()).collect();
    let labelings: Vec<Coded<'_>> = codes
        .iter()
        .zip(&models)
        .map(|(c, m)| Coded { codes: c, k: m.k() })
        .collect();
    let sils = multi_silhouette(&xc, &labelings)?;
    let mut scores = Vec::with_capacity(models.len());
    for (model, sil) in models.into_iter().zip(sils) {
        let silhouette = sil.iter().sum::<f64>() / n as f64;
        let labels = model.labels();
        scores.push(KScore {
            k: model.k(),
            inertia: model.inertia(),
            silhouette,
            davies_bouldin: davies_bouldin_score(x, labels)?,
            calinski_harabasz: calinski_harabasz_score(x, labels)?,
            model,
        });
    }
    let mut best = 0;
    for (i, s) in scores.iter().enumerate() {
        if s.silhouette > scores[best].silhouette {
            best = i;
        }
    }
    Ok(KSweep {
        scores,
        best,
        requested_end: end,
    })
}
