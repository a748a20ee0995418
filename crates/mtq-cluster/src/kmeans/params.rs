//! The K-means builder for one K: every setting, its default, and the checks made at `fit`.

use ndarray::{Array1, Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{Algorithm, KMeans, KMeansSettings, Run, hamerly, init, lloyd};
use crate::data::{self, check_data};
use crate::error::{ClusterError, Result};
use crate::kernel::Packed;

/// How the initial centroids are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    /// Greedy k-means++ exactly as scikit-learn's `_kmeans_plusplus`: the first centre uniformly,
    /// then for each next centre `2 + ⌊ln k⌋` candidates drawn with probability ∝ D², keeping the
    /// one that lowers the potential most.
    KMeansPlusPlus,
    /// `k` distinct samples drawn uniformly.
    Random,
    /// These centroids (`k x n_features`); `n_init` is then ignored (one run), as in scikit-learn.
    Given(Array2<f32>),
}

/// K-means settings for one K, checked when [`fit`](KMeansParams::fit) is called: the number
/// of clusters, the initialisation, and the settings that hold for any K ([`KMeansSettings`],
/// which a K sweep shares between its fits; the setters below set them one by one).
///
/// Magnitudes: centred data whose largest magnitude lies outside `[2^-40, 2^40]` (activations
/// near 1e20, or a layer of tiny variance) is multiplied by a power of two before fitting, so
/// that squared distances stay finite and non-zero in `f32`; the centroids and the inertia are
/// given back in the data's own units (the inertia in `f64`, finite for any finite `f32` data).
///
/// Defaults (scikit-learn's, with the study's `n_init = 10`): `init = Init::KMeansPlusPlus` and
/// the [`KMeansSettings`] defaults: `n_init = 10`, `max_iter = 300`, `tol = 1e-4` (relative to
/// the mean feature variance, as scikit-learn), `algorithm = Algorithm::Lloyd`, `seed = 0`.
///
/// ```
/// use mtq_cluster::{Algorithm, KMeansParams};
/// use ndarray::array;
/// # fn main() -> mtq_cluster::Result<()> {
/// let x = array![[0.0f32, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let model = KMeansParams::new(2).n_init(4).algorithm(Algorithm::Hamerly).seed(7).fit(x.view())?;
/// assert_eq!(model.labels()[0], model.labels()[1]);
/// assert_ne!(model.labels()[0], model.labels()[2]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    k: usize,
    init: Init,
    settings: KMeansSettings,
}

impl KMeansParams {
    /// Settings for `k` clusters, every other setting at its default (see the type's doc).
    #[must_use]
    pub fn new(k: usize) -> Self {
        Self {
            k,
            init: Init::KMeansPlusPlus,
            settings: KMeansSettings::new(),
        }
    }

    /// Number of clusters.
    #[must_use]
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Initialisation method.
    #[must_use]
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Every setting that holds for any K at once (replacing those set before).
    #[must_use]
    pub fn settings(mut self, settings: KMeansSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Number of restarts: [`KMeansSettings::n_init`].
    #[must_use]
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.settings = self.settings.n_init(n_init);
        self
    }

    /// Maximum number of iterations of one run: [`KMeansSettings::max_iter`].
    #[must_use]
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.settings = self.settings.max_iter(max_iter);
        self
    }

    /// Convergence tolerance: [`KMeansSettings::tol`].
    #[must_use]
    pub fn tol(mut self, tol: f64) -> Self {
        self.settings = self.settings.tol(tol);
        self
    }

    /// Iteration algorithm: [`KMeansSettings::algorithm`].
    #[must_use]
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.settings = self.settings.algorithm(algorithm);
        self
    }

    /// Seed of the random choices: [`KMeansSettings::seed`].
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.settings = self.settings.seed(seed);
        self
    }

    /// The number of clusters set.
    #[must_use]
    pub fn n_clusters(&self) -> usize {
        self.k
    }

    /// Checks the settings that do not depend on the data.
    ///
    /// # Errors
    /// [`ClusterError::ZeroClusters`], then those of [`KMeansSettings::check`]
    /// ([`ClusterError::ZeroInit`], [`ClusterError::ZeroMaxIter`], [`ClusterError::InvalidTol`]).
    pub fn check(&self) -> Result<()> {
        if self.k == 0 {
            return Err(ClusterError::ZeroClusters);
        }
        self.settings.check()
    }

    /// Fits K-means to the rows of `x` (`n_samples x n_features`).
    ///
    /// # Errors
    /// Any error of [`check`](Self::check); [`ClusterError::EmptyInput`],
    /// [`ClusterError::NoFeatures`], [`ClusterError::NonFinite`] for bad data;
    /// [`ClusterError::TooFewSamples`] if `k > n_samples`; [`ClusterError::TooFewDistinctRows`]
    /// if `k` exceeds the number of distinct rows (K-means would duplicate a centroid; the count
    /// stops at `k`, so ordinary data costs about `k` row reads); [`ClusterError::InitShape`] or
    /// [`ClusterError::NonFiniteInit`] for bad `Init::Given` centroids.
    pub fn fit(&self, x: ArrayView2<'_, f32>) -> Result<KMeans> {
        // on a worker of the thread pool: its many short parallel passes then start from a
        // worker's queue, not by waking the pool from outside and sleeping once per pass
        rayon::scope(|_| self.fit_on_pool(x))
    }

    fn fit_on_pool(&self, x: ArrayView2<'_, f32>) -> Result<KMeans> {
        self.check()?;
        let prepared = Prepared::new(x)?;
        self.fit_prepared_on_pool(x, &prepared)
    }

    /// [`fit`](Self::fit) on data already checked, centred and scaled by [`Prepared::new`]
    /// (`x` the same rows in their own units): a K sweep prepares its rows once for every K.
    pub(crate) fn fit_prepared(
        &self,
        x: ArrayView2<'_, f32>,
        prepared: &Prepared,
    ) -> Result<KMeans> {
        self.check()?;
        rayon::scope(|_| self.fit_prepared_on_pool(x, prepared))
    }

    fn fit_prepared_on_pool(&self, x: ArrayView2<'_, f32>, prepared: &Prepared) -> Result<KMeans> {
        let (n, d) = x.dim();
        if self.k > n {
            return Err(ClusterError::TooFewSamples {
                k: self.k,
                n_samples: n,
            });
        }
        if let Init::Given(c) = &self.init {
            if c.dim() != (self.k, d) {
                return Err(ClusterError::InitShape {
                    rows: c.nrows(),
                    cols: c.ncols(),
                    k: self.k,
                    n_features: d,
                });
            }
            data::check_finite(c.view())
                .map_err(|(row, col, value)| ClusterError::NonFiniteInit { row, col, value })?;
        }
        let n_distinct = data::distinct_rows(x, self.k);
        if n_distinct < self.k {
            return Err(ClusterError::TooFewDistinctRows {
                k: self.k,
                n_distinct,
            });
        }
        let Prepared {
            xc,
            mean,
            scale,
            mean_variance,
        } = prepared;
        let (mean, scale) = (mean.clone(), *scale);
        let tol_abs = self.settings.tol * mean_variance;
        let runs = if matches!(self.init, Init::Given(_)) {
            1
        } else {
            self.settings.n_init
        };
        let packed = Packed::new(xc.as_slice().unwrap_or_default(), n, d);
        let mut rngs: Vec<ChaCha8Rng> = (0..runs)
            .map(|i| {
                let mut rng = ChaCha8Rng::seed_from_u64(self.settings.seed);
                rng.set_stream(i as u64);
                rng
            })
            .collect();
        let starts: Vec<Array2<f32>> = match &self.init {
            Init::KMeansPlusPlus => init::plusplus(xc, &packed, self.k, &mut rngs),
            Init::Random => rngs
                .iter_mut()
                .map(|rng| init::random(xc, self.k, rng))
                .collect(),
            Init::Given(c) => {
                let mut c = data::centered(c.view(), &mean);
                data::scale_in_place(c.as_slice_mut().unwrap_or_default(), scale);
                vec![c]
            }
        };
        let results: Vec<Run> = match self.settings.algorithm {
            Algorithm::Lloyd => {
                lloyd::run_many(xc, &packed, starts, self.settings.max_iter, tol_abs)
            }
            Algorithm::Hamerly => starts
                .into_par_iter()
                .map(|c| hamerly::run(xc, &packed, c, self.settings.max_iter, tol_abs))
                .collect(),
        };
        let mut best = 0;
        for (i, r) in results.iter().enumerate() {
            if r.inertia < results[best].inertia {
                best = i;
            }
        }
        let run = results
            .into_iter()
            .nth(best)
            .ok_or(ClusterError::ZeroInit)?;
        Ok(KMeans::from_run(run, mean, scale))
    }
}

/// The rows of one fit as the iterations read them: checked, centred on their column means and
/// brought near magnitude 1 by a power of two (exact), with the tolerance's scale. Made once
/// per data set: a K sweep shares it between its K.
pub(crate) struct Prepared {
    xc: Array2<f32>,
    mean: Array1<f64>,
    scale: f32,
    mean_variance: f64,
}

impl Prepared {
    /// The rows centred on their column means and scaled (`n x d`).
    pub(crate) fn centred(&self) -> &Array2<f32> {
        &self.xc
    }

    /// Checks `x` and prepares it.
    ///
    /// # Errors
    /// [`ClusterError::EmptyInput`], [`ClusterError::NoFeatures`], [`ClusterError::NonFinite`].
    pub(crate) fn new(x: ArrayView2<'_, f32>) -> Result<Self> {
        check_data(x)?;
        let mean = data::column_mean(x);
        let mut xc = data::centered(x, &mean);
        // Huge or tiny magnitudes are brought near 1 by a power of two (exact), so squared
        // distances neither overflow nor underflow in f32; undone on the results.
        let scale = data::pow2_scale(data::max_abs(xc.as_slice().unwrap_or_default()));
        data::scale_in_place(xc.as_slice_mut().unwrap_or_default(), scale);
        let mean_variance = mean_variance(&xc);
        Ok(Self {
            xc,
            mean,
            scale,
            mean_variance,
        })
    }
}

/// Mean over features of the per-feature variance (data already centred, contiguous).
fn mean_variance(xc: &Array2<f32>) -> f64 {
    let (n, d) = xc.dim();
    let xs = xc.as_slice().unwrap_or_default();
    let s = data::column_sums(xs, d, |v| v);
    let s2 = data::column_sums(xs, d, |v| v * v);
    let n = n as f64;
    let var: f64 = s
        .iter()
        .zip(&s2)
        .map(|(a, b)| b / n - (a / n) * (a / n))
        .sum();
    var / d as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn x() -> Array2<f32> {
        array![[0.0f32, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]]
    }

    #[test]
    fn each_bad_setting_has_its_error() {
        let x = x();
        let e = |p: KMeansParams| p.fit(x.view()).unwrap_err();
        assert_eq!(e(KMeansParams::new(0)), ClusterError::ZeroClusters);
        assert_eq!(e(KMeansParams::new(2).n_init(0)), ClusterError::ZeroInit);
        assert_eq!(
            e(KMeansParams::new(2).max_iter(0)),
            ClusterError::ZeroMaxIter
        );
        assert!(matches!(
            e(KMeansParams::new(2).tol(-1.0)),
            ClusterError::InvalidTol { .. }
        ));
        assert!(matches!(
            e(KMeansParams::new(2).tol(f64::NAN)),
            ClusterError::InvalidTol { .. }
        ));
        assert_eq!(
            e(KMeansParams::new(5)),
            ClusterError::TooFewSamples { k: 5, n_samples: 4 }
        );
        assert_eq!(
            e(KMeansParams::new(2).init(Init::Given(Array2::zeros((3, 2))))),
            ClusterError::InitShape {
                rows: 3,
                cols: 2,
                k: 2,
                n_features: 2
            }
        );
        let mut c = Array2::zeros((2, 2));
        c[[1, 0]] = f32::INFINITY;
        assert!(matches!(
            e(KMeansParams::new(2).init(Init::Given(c))),
            ClusterError::NonFiniteInit { row: 1, col: 0, .. }
        ));
    }

    #[test]
    fn bad_data_has_its_error() {
        let p = KMeansParams::new(1);
        assert_eq!(
            p.fit(Array2::<f32>::zeros((0, 3)).view()).unwrap_err(),
            ClusterError::EmptyInput
        );
        assert_eq!(
            p.fit(Array2::<f32>::zeros((3, 0)).view()).unwrap_err(),
            ClusterError::NoFeatures
        );
        let mut x = x();
        x[[2, 1]] = f32::NAN;
        assert!(matches!(
            p.fit(x.view()).unwrap_err(),
            ClusterError::NonFinite { row: 2, col: 1, .. }
        ));
    }

    #[test]
    fn given_init_is_used() {
        let x = x();
        let c = array![[5.0f32, 5.0], [0.0, 0.0]];
        let m = KMeansParams::new(2)
            .init(Init::Given(c))
            .fit(x.view())
            .unwrap();
        assert_eq!(m.labels().to_vec(), vec![1, 1, 0, 0]);
        assert!((m.centroids()[[0, 0]] - 5.05).abs() < 1e-5);
    }
}
