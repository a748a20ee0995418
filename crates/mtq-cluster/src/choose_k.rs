//! Choosing K: fit K-means for every K of a range and score each fit, sharing the O(n² d)
//! distance work of the silhouette between all K. By default, within budgets of work that
//! depend on rows and width: the silhouette exact up to [`EXACT_SILHOUETTE_BUDGET`] (`n² d`), on
//! a seeded sample (scikit-learn's `sample_size`) above or when asked
//! ([`KSweepParams::silhouette`]); K-means' restarts on every row up to [`FIT_SAMPLE_VALUES`]
//! (`n d`), on a seeded sample then refined on every row above or when asked
//! ([`KSweepParams::fit_rows`]).

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::data::{self, check_data};
use crate::error::{ClusterError, Result};
use crate::k_range::KRange;
use crate::kmeans::{Init, KMeans, KMeansParams, KMeansSettings, Prepared};
use crate::metrics::{calinski_harabasz_score, davies_bouldin_score};
use crate::silhouette::{Coded, multi_silhouette};

/// The scores of one K.
#[derive(Debug, Clone, PartialEq)]
pub struct KScore {
    /// Number of clusters.
    pub k: usize,
    /// K-means inertia (sum of squared distances to the centroids).
    pub inertia: f64,
    /// Mean silhouette (higher is better): exact, or of the sampled rows (see
    /// [`KSweep::silhouette_sample_size`]).
    pub silhouette: f64,
    /// Standard error of a sampled silhouette as an estimate of the mean over all rows:
    /// `sd(s_i) / √m · √(1 − m / n)` over the `m` sampled rows' values (finite-population
    /// correction); 0 for the exact silhouette.
    pub silhouette_std_error: f64,
    /// Davies-Bouldin index (lower is better), on the silhouette's rows (every row, or the
    /// sample: [`KSweep::silhouette_sample_size`]).
    pub davies_bouldin: f64,
    /// Calinski-Harabasz index (higher is better), on the silhouette's rows.
    pub calinski_harabasz: f64,
    /// The fitted model.
    pub model: KMeans,
}

/// The result of [`select_k`]: one [`KScore`] per K in increasing K, and the chosen K.
#[derive(Debug, Clone, PartialEq)]
pub struct KSweep {
    scores: Vec<KScore>,
    best: usize,
    range: KRange,
    sample_size: Option<usize>,
    fit_sample_size: Option<usize>,
}

impl KSweep {
    /// The range of K asked for (the sweep may have stopped early: [`KSweep::capped_from`]).
    #[must_use]
    pub fn k_range(&self) -> KRange {
        self.range
    }

    /// Rows the silhouettes were computed on when sampled (`None`: exact, every row).
    #[must_use]
    pub fn silhouette_sample_size(&self) -> Option<usize> {
        self.sample_size
    }

    /// Rows the K-means restarts ran on when sampled ([`FitRows`]; `None`: every row).
    #[must_use]
    pub fn fit_sample_size(&self) -> Option<usize> {
        self.fit_sample_size
    }

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
        (self.last_k() < self.range.max()).then_some(self.range.max())
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

/// Up to this many rows × rows × features (`n² d`), the K sweep's silhouette is exact by
/// default ([`SilhouetteMode::Auto`]): 100,000 rows of 64 features, 35,355 of 512. The exact
/// silhouette costs about `n² d` multiply-adds (shared by every K): at the 240 GFLOP/s its tiles
/// reach on two AVX-512 cores (BENCHMARKS.md), about 3 s for 100,000 x 64 and 5.4 s for
/// 50,000 x 512.
pub const EXACT_SILHOUETTE_BUDGET: u64 = 640_000_000_000;

/// Rows drawn for the sampled silhouette of [`SilhouetteMode::Auto`] above
/// [`EXACT_SILHOUETTE_BUDGET`], at most (standard error about `0.5 / √20,000 ≈ 0.004` at most);
/// fewer for wide rows, so that `s² d` stays within [`SAMPLED_SILHOUETTE_BUDGET`] (13,975 rows
/// at 512 features, 6,987 at 2,048).
pub const DEFAULT_SILHOUETTE_SAMPLE: usize = 20_000;

/// The `s² d` the automatic silhouette sample may cost ([`SilhouetteMode::Auto`]): about 0.4 s
/// per layer at the rate above.
pub const SAMPLED_SILHOUETTE_BUDGET: u64 = 100_000_000_000;

/// How the K sweep computes each K's silhouette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SilhouetteMode {
    /// Exact while `n² d` is within [`EXACT_SILHOUETTE_BUDGET`]; above, sampled with
    /// `min(DEFAULT_SILHOUETTE_SAMPLE, √(SAMPLED_SILHOUETTE_BUDGET / d))` rows and seed 0.
    #[default]
    Auto,
    /// Exact, whatever the size (O(n² d) time, O(n) memory).
    Exact,
    /// scikit-learn's `silhouette_score(..., sample_size=size, random_state=seed)`: `size` rows
    /// drawn without replacement (seeded `ChaCha8Rng`; the same rows for every K, as a fixed
    /// `random_state` gives), the exact silhouette among them. Exact when `size >= n_samples`.
    Sampled {
        /// Rows drawn (at least 2).
        size: usize,
        /// Seed of the draw.
        seed: u64,
    },
}

impl SilhouetteMode {
    /// The rows and seed the silhouette of `n` rows of `d` features is computed on (`None`:
    /// every row, exact).
    fn sample(self, n: usize, d: usize) -> Result<Option<(usize, u64)>> {
        Ok(match self {
            Self::Exact => None,
            Self::Auto => {
                let cost = (n as u64).saturating_mul(n as u64).saturating_mul(d as u64);
                (cost > EXACT_SILHOUETTE_BUDGET).then(|| {
                    let wide = (SAMPLED_SILHOUETTE_BUDGET as f64 / d.max(1) as f64).sqrt();
                    (DEFAULT_SILHOUETTE_SAMPLE.min(wide as usize).clamp(2, n), 0)
                })
            }
            Self::Sampled { size, seed } => {
                if size < 2 {
                    return Err(ClusterError::InvalidSampleSize {
                        sample_size: size,
                        n_samples: n,
                    });
                }
                (size < n).then_some((size, seed))
            }
        })
    }
}

/// Rows × features above which the K sweep fits K-means on a sample of rows by default
/// ([`FitRows::Auto`]): 10,240 rows of 512 features (20 MiB of `f32`, which stays in a
/// server's last-level cache while the restarts iterate), 81,920 of 64 (narrow layers with
/// more rows than that are sampled too).
pub const FIT_SAMPLE_VALUES: usize = 10_240 * 512;

/// The automatic fit sample keeps at least this many rows per cluster of the largest K
/// (faiss's `max_points_per_centroid`, the rows it trains on by default).
pub const FIT_ROWS_PER_CLUSTER: usize = 256;

/// Which rows the K sweep fits K-means on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FitRows {
    /// Every row while rows × features is within [`FIT_SAMPLE_VALUES`]; above,
    /// [`FitRows::Sampled`] with `max(FIT_SAMPLE_VALUES / d, FIT_ROWS_PER_CLUSTER x K_max)`
    /// rows and the K-means seed.
    #[default]
    Auto,
    /// Every row (`n_init` restarts of Lloyd on all of them).
    All,
    /// The `n_init` restarts run on `size` rows drawn without replacement (seeded
    /// `ChaCha8Rng`, the same rows for every K); from the best restart's centroids, at most
    /// [`REFINE_MAX_ITER`] Lloyd iterations on every row, then every row assigned to the final
    /// centroids, give the model (faiss trains on a sample and assigns every row; the few
    /// iterations on all rows move the centroids to their means). Every row when
    /// `size >= n_samples`.
    Sampled {
        /// Rows the restarts run on (more than the largest K).
        size: usize,
        /// Seed of the draw.
        seed: u64,
    },
}

impl FitRows {
    /// The rows and seed the restarts run on for `n` rows of `d` features and K up to `k_max`
    /// (`None`: every row); `seed` is the K-means seed.
    fn sample(self, n: usize, d: usize, k_max: usize, seed: u64) -> Result<Option<(usize, u64)>> {
        Ok(match self {
            Self::All => None,
            Self::Auto => (n.saturating_mul(d) > FIT_SAMPLE_VALUES).then(|| {
                let size = (FIT_SAMPLE_VALUES / d.max(1)).max(FIT_ROWS_PER_CLUSTER * k_max);
                (size, seed)
            }),
            Self::Sampled { size, seed } => {
                if size <= k_max {
                    return Err(ClusterError::FitSampleTooSmall { size, k_max });
                }
                Some((size, seed))
            }
        }
        .filter(|&(size, _)| size < n))
    }
}

/// `size` of the `n` row indices drawn without replacement with `seed` (stream `stream`), in
/// increasing order.
fn draw_rows(n: usize, size: usize, seed: u64, stream: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let mut idx = rand::seq::index::sample(&mut rng, n, size).into_vec();
    idx.sort_unstable();
    idx
}

/// Lloyd iterations on every row after restarts on a sample ([`FitRows::Sampled`]); then every
/// row is assigned to the final centroids.
pub const REFINE_MAX_ITER: usize = 2;

/// The random stream of the fit sample's draw (the restarts use streams `0..n_init`).
const FIT_SAMPLE_STREAM: u64 = u64::MAX;

/// Settings of a K sweep: the range of K, the K-means settings of every fit (k-means++
/// initialisation, the [`KMeansSettings`] given), which rows the restarts run on
/// ([`FitRows`]) and how the silhouette is computed ([`SilhouetteMode`]).
///
/// ```
/// use mtq_cluster::{KMeansSettings, KRange, KSweepParams};
/// use ndarray::Array2;
/// # fn main() -> mtq_cluster::Result<()> {
/// let x = Array2::from_shape_fn((300, 2), |(i, j)| (i % 3) as f32 * 10.0 + ((i * 7 + j) % 10) as f32 * 0.05);
/// let sweep = KSweepParams::new(KRange::new(2, 5)?)
///     .kmeans(KMeansSettings::new().n_init(3))
///     .silhouette_sample(Some(150))
///     .fit(x.view())?;
/// assert_eq!(sweep.best_k(), 3);
/// assert_eq!(sweep.silhouette_sample_size(), Some(150));
/// assert!(sweep.best().silhouette_std_error < 0.05);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KSweepParams {
    range: KRange,
    kmeans: KMeansSettings,
    silhouette: SilhouetteMode,
    fit_rows: FitRows,
}

impl KSweepParams {
    /// A sweep over every K of `range`, each fit with the default [`KMeansSettings`], the
    /// silhouette [`SilhouetteMode::Auto`], the fit's rows [`FitRows::Auto`].
    #[must_use]
    pub fn new(range: KRange) -> Self {
        Self {
            range,
            kmeans: KMeansSettings::new(),
            silhouette: SilhouetteMode::Auto,
            fit_rows: FitRows::Auto,
        }
    }

    /// Which rows the K-means restarts run on.
    #[must_use]
    pub fn fit_rows(mut self, rows: FitRows) -> Self {
        self.fit_rows = rows;
        self
    }

    /// The K-means settings of every fit (restarts, iterations, tolerance, algorithm, seed).
    #[must_use]
    pub fn kmeans(mut self, settings: KMeansSettings) -> Self {
        self.kmeans = settings;
        self
    }

    /// The range of K tried.
    #[must_use]
    pub fn k_range(&self) -> KRange {
        self.range
    }

    /// How the silhouette is computed.
    #[must_use]
    pub fn silhouette(mut self, mode: SilhouetteMode) -> Self {
        self.silhouette = mode;
        self
    }

    /// `Some(size)`: [`SilhouetteMode::Sampled`] with `size` rows and seed 0 (a command line's
    /// `--silhouette-sample N`); `None`: [`SilhouetteMode::Auto`].
    #[must_use]
    pub fn silhouette_sample(self, size: Option<usize>) -> Self {
        self.silhouette(match size {
            Some(size) => SilhouetteMode::Sampled { size, seed: 0 },
            None => SilhouetteMode::Auto,
        })
    }

    /// Runs the sweep on the rows of `x`: see [`select_k`], which is
    /// `KSweepParams::new(range).kmeans(settings).fit(x)`.
    ///
    /// # Errors
    /// As [`select_k`], and [`ClusterError::InvalidSampleSize`] for a silhouette sample of
    /// fewer than 2 rows, [`ClusterError::FitSampleTooSmall`] for a fit sample no larger than
    /// the last K; with a silhouette sample, [`ClusterError::InvalidClusterCount`] if a fit's
    /// labels take fewer than 2 values among the sampled rows.
    pub fn fit(&self, x: ArrayView2<'_, f32>) -> Result<KSweep> {
        self.kmeans.check()?;
        check_data(x)?;
        let n = x.nrows();
        let (start, end) = (self.range.min(), self.range.max());
        if end >= n {
            return Err(ClusterError::KRangeTooLarge {
                range: self.range,
                n_samples: n,
            });
        }
        let sample = self.silhouette.sample(n, x.ncols())?;
        let fit_sample = self.fit_rows.sample(n, x.ncols(), end, self.kmeans.seed)?;
        // K above the number of distinct rows would duplicate centroids: the range is capped
        // there (said by `KSweep::capped_from`), and data with fewer distinct rows than `start`
        // is refused.
        let n_distinct = data::distinct_rows(x, end);
        if n_distinct < start {
            return Err(ClusterError::TooFewDistinctRows {
                k: start,
                n_distinct,
            });
        }
        // every K's fits share the rows' preparation (checked, centred, scaled)
        let all_rows = Prepared::new(x)?;
        let last = end.min(n_distinct);
        // a sample with fewer distinct rows than the last K fitted cannot seed it: every row
        let fit_x = fit_sample
            .map(|(size, seed)| x.select(Axis(0), &draw_rows(n, size, seed, FIT_SAMPLE_STREAM)))
            .filter(|s| data::distinct_rows(s.view(), last) >= last);
        let fit_on = match &fit_x {
            Some(s) => Some((s.view(), Prepared::new(s.view())?)),
            None => None,
        };
        let models = (start..=last)
            .map(|k| self.fit_one((x, &all_rows), fit_on.as_ref().map(|(v, p)| (*v, p)), k))
            .collect::<Result<Vec<KMeans>>>()?;
        // the rows the silhouette is computed on (sorted sample, or all)
        let rows: Option<Vec<usize>> = sample.map(|(size, seed)| draw_rows(n, size, seed, 0));
        // the rows the silhouette, Davies-Bouldin and Calinski-Harabasz are computed on, and
        // each K's labels of them
        let picked = rows.as_ref().map(|r| x.select(Axis(0), r));
        let on = picked.as_ref().map_or(x, |p| p.view());
        // every row: the fits' centred rows (the silhouette does not change under their exact
        // power-of-two scale); a sample: centred on its own mean
        let sample_c = picked
            .as_ref()
            .map(|p| data::centered(p.view(), &data::column_mean(p.view())));
        let xc = sample_c.as_ref().unwrap_or_else(|| all_rows.centred());
        let codes: Vec<Vec<usize>> = models
            .iter()
            .map(|m| match &rows {
                Some(r) => r.iter().map(|&i| m.labels()[i]).collect(),
                None => m.labels().to_vec(),
            })
            .collect();
        let sils = {
            let labelings: Vec<Coded<'_>> = codes
                .iter()
                .zip(&models)
                .map(|(c, m)| Coded { codes: c, k: m.k() })
                .collect();
            multi_silhouette(xc, &labelings)?
        };
        let mut scores = Vec::with_capacity(models.len());
        for ((model, sil), code) in models.into_iter().zip(sils).zip(&codes) {
            let (silhouette, silhouette_std_error) = mean_and_std_error(&sil, n);
            let labels = ArrayView1::from(code.as_slice());
            scores.push(KScore {
                k: model.k(),
                inertia: model.inertia(),
                silhouette,
                silhouette_std_error: if rows.is_some() {
                    silhouette_std_error
                } else {
                    0.0
                },
                davies_bouldin: davies_bouldin_score(on, labels)?,
                calinski_harabasz: calinski_harabasz_score(on, labels)?,
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
            range: self.range,
            sample_size: rows.map(|r| r.len()),
            fit_sample_size: fit_x.map(|s| s.nrows()),
        })
    }

    /// K-means with `k` clusters on `x` (prepared once for every K): the restarts on every row,
    /// or on `sample` (which has at least `k` distinct rows) and then at most
    /// [`REFINE_MAX_ITER`] Lloyd iterations on every row from the best restart's centroids
    /// ([`FitRows::Sampled`]).
    fn fit_one(
        &self,
        (x, all_rows): (ArrayView2<'_, f32>, &Prepared),
        sample: Option<(ArrayView2<'_, f32>, &Prepared)>,
        k: usize,
    ) -> Result<KMeans> {
        let all = KMeansParams::new(k).settings(self.kmeans);
        let Some((sample, prepared)) = sample else {
            return all.fit_prepared(x, all_rows);
        };
        let start = all.fit_prepared(sample, prepared)?;
        all.init(Init::Given(start.centroids().to_owned()))
            .max_iter(REFINE_MAX_ITER)
            .fit_prepared(x, all_rows)
    }
}

/// Mean of the `m` sampled silhouette values (in index order) and its standard error as an
/// estimate of the mean over `n` rows: `sd / √m · √(1 − m / n)` (`sd` with `m − 1`).
fn mean_and_std_error(s: &Array1<f64>, n: usize) -> (f64, f64) {
    let m = s.len() as f64;
    let mean = s.iter().sum::<f64>() / m;
    if s.len() < 2 {
        return (mean, 0.0);
    }
    let var = s.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (m - 1.0);
    let fpc = (1.0 - m / n as f64).max(0.0);
    (mean, (var / m * fpc).sqrt())
}

/// Fits K-means for every K in `range` (k-means++ initialisation, every other setting taken
/// from `settings`; [`FitRows::Auto`]) and scores each fit with the silhouette
/// ([`SilhouetteMode::Auto`]: exact up to [`EXACT_SILHOUETTE_BUDGET`], a seeded sample above;
/// [`KSweepParams`] chooses), Davies-Bouldin and Calinski-Harabasz (on the silhouette's rows;
/// a sampled labeling may miss a small cluster, which those scores then do not count); the
/// chosen K has the highest silhouette, ties to the smaller K (the reference study's rule,
/// with K from 2 to 10).
///
/// The silhouettes of all K come from ONE pass over the pairwise distances: the samples are
/// ordered by their tuple of labels (one per K), each distance tile is computed once, and its
/// sums over runs of samples that share every label feed every K's per-cluster distance sums
/// at once. The sweep thus costs about one silhouette, not one per K as a loop over
/// `silhouette_score` does.
///
/// ```
/// use mtq_cluster::{KMeansSettings, KRange, select_k};
/// use ndarray::Array2;
/// # fn main() -> mtq_cluster::Result<()> {
/// // three tight groups on a line
/// let x = Array2::from_shape_fn((30, 2), |(i, j)| (i / 10) as f32 * 10.0 + (i % 10) as f32 * 0.01 + j as f32);
/// let sweep = select_k(x.view(), KRange::new(2, 5)?, KMeansSettings::new().n_init(3))?;
/// assert_eq!(sweep.best_k(), 3);
/// assert_eq!(sweep.silhouette_curve().len(), 4);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// The errors of [`KMeansSettings::check`]; [`ClusterError::EmptyInput`],
/// [`ClusterError::NoFeatures`], [`ClusterError::NonFinite`] for bad data;
/// [`ClusterError::KRangeTooLarge`] if the last K of `range` is not below `n_samples`;
/// [`ClusterError::TooFewDistinctRows`] if the data has fewer distinct rows than the first K
/// (a constant or all-zero layer has 1). When the data has fewer distinct rows than the last K,
/// the sweep stops at that number and [`KSweep::capped_from`] says so: no K ever gets a
/// duplicated centroid.
pub fn select_k(x: ArrayView2<'_, f32>, range: KRange, settings: KMeansSettings) -> Result<KSweep> {
    KSweepParams::new(range).kmeans(settings).fit(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn three_groups() -> Array2<f32> {
        Array2::from_shape_fn((30, 2), |(i, j)| {
            (i / 10) as f32 * 10.0 + (i % 10) as f32 * 0.01 + j as f32
        })
    }

    #[test]
    fn every_fit_is_the_one_k_fit_with_the_same_settings() {
        let x = three_groups();
        let settings = KMeansSettings::new().n_init(3).seed(5);
        let sweep = select_k(x.view(), KRange::new(2, 4).unwrap(), settings).unwrap();
        assert_eq!(sweep.k_range(), KRange::new(2, 4).unwrap());
        for s in sweep.scores() {
            let one = KMeansParams::new(s.k)
                .settings(settings)
                .fit(x.view())
                .unwrap();
            assert_eq!(s.model, one, "K = {}", s.k);
        }
    }

    #[test]
    fn a_range_reaching_the_sample_count_is_refused() {
        let x = three_groups();
        let range = KRange::new(2, 30).unwrap();
        let err = KSweepParams::new(range).fit(x.view()).unwrap_err();
        assert_eq!(
            err,
            ClusterError::KRangeTooLarge {
                range,
                n_samples: 30
            }
        );
        assert_eq!(
            err.to_string(),
            "K range 2..=30 needs more than 30 samples, the data has 30"
        );
        let ok = KSweepParams::new(KRange::new(2, 29).unwrap()).fit(x.view());
        assert!(ok.is_ok());
    }

    #[test]
    fn the_automatic_sizes_follow_rows_and_width() {
        let auto = SilhouetteMode::Auto;
        // exact within n² d <= 100,000² x 64
        assert_eq!(auto.sample(100_000, 64), Ok(None));
        assert_eq!(auto.sample(35_355, 512), Ok(None));
        assert_eq!(auto.sample(100_001, 64), Ok(Some((20_000, 0))));
        // wide rows: fewer sampled rows, s² d <= 1e11
        assert_eq!(auto.sample(50_000, 512), Ok(Some((13_975, 0))));
        assert_eq!(auto.sample(50_000, 2_048), Ok(Some((6_987, 0))));
        assert_eq!(SilhouetteMode::Exact.sample(1 << 20, 512), Ok(None));
        let fit = FitRows::Auto;
        // every row up to 10,240 x 512 values: today's layers (48,200 x 64) are unchanged
        assert_eq!(fit.sample(48_200, 64, 10, 3), Ok(None));
        assert_eq!(fit.sample(10_240, 512, 10, 3), Ok(None));
        assert_eq!(fit.sample(50_000, 512, 10, 3), Ok(Some((10_240, 3))));
        // at least 256 rows per cluster of the largest K
        assert_eq!(fit.sample(50_000, 4_096, 10, 3), Ok(Some((2_560, 3))));
        assert_eq!(FitRows::All.sample(1 << 20, 512, 10, 3), Ok(None));
        assert_eq!(
            FitRows::Sampled { size: 500, seed: 1 }.sample(400, 8, 10, 3),
            Ok(None)
        );
        let err = FitRows::Sampled { size: 10, seed: 1 }.sample(400, 8, 10, 3);
        assert_eq!(
            err,
            Err(ClusterError::FitSampleTooSmall {
                size: 10,
                k_max: 10
            })
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "the fit sample of 10 rows must be larger than the largest K (10)"
        );
    }

    #[test]
    fn a_sampled_fit_finds_the_full_fit_on_blobs() {
        let (x, _) = mtq_testkit::make_blobs(4_000, 24, 5, 1.0, 10.0, 2).unwrap();
        let base = KSweepParams::new(KRange::new(2, 8).unwrap())
            .kmeans(KMeansSettings::new().n_init(3).seed(4));
        let full = base.clone().fit_rows(FitRows::All).fit(x.view()).unwrap();
        let sampled = base
            .fit_rows(FitRows::Sampled { size: 900, seed: 4 })
            .fit(x.view())
            .unwrap();
        assert_eq!(full.fit_sample_size(), None);
        assert_eq!(sampled.fit_sample_size(), Some(900));
        assert_eq!(sampled.best_k(), full.best_k());
        assert_eq!(sampled.best_k(), 5);
        let ari =
            crate::adjusted_rand_index(sampled.best().model.labels(), full.best().model.labels())
                .unwrap();
        assert!(ari > 0.999, "{ari}");
        // every row has a label of the refined model
        assert_eq!(sampled.best().model.labels().len(), 4_000);
    }

    #[test]
    fn bad_settings_are_refused_before_the_data_is_read() {
        let empty = Array2::<f32>::zeros((0, 2));
        let params = KSweepParams::new(KRange::default()).kmeans(KMeansSettings::new().n_init(0));
        assert_eq!(params.fit(empty.view()), Err(ClusterError::ZeroInit));
    }
}
