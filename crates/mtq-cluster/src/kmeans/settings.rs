//! [`KMeansSettings`]: the K-means settings that do not depend on K, shared by one fit
//! ([`KMeansParams`](super::KMeansParams)) and by every fit of a K sweep
//! ([`KSweepParams`](crate::KSweepParams)).

use crate::error::{ClusterError, Result};

/// The iteration used to fit; all give the same fixed points (exact algorithms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Lloyd's iteration: every sample against every centroid each iteration (a SIMD kernel
    /// over blocks of 1,024 rows; AVX2 + FMA when the CPU has them).
    Lloyd,
    /// Hamerly's accelerated iteration: one upper and one lower distance bound per sample skip
    /// most distance computations once centroids settle (triangle inequality, exact result).
    Hamerly,
}

/// The K-means settings that hold for any K: restarts, iterations, tolerance, algorithm, seed.
/// Checked when a fit is made ([`KMeansParams::fit`](super::KMeansParams::fit),
/// [`KSweepParams::fit`](crate::KSweepParams::fit)).
///
/// Defaults (scikit-learn's, with the study's `n_init = 10`): `n_init = 10`, `max_iter = 300`,
/// `tol = 1e-4` (relative to the mean feature variance, as scikit-learn),
/// `algorithm = Algorithm::Lloyd`, `seed = 0`.
///
/// ```
/// use mtq_cluster::{KMeansParams, KMeansSettings, KRange, KSweepParams};
/// use ndarray::array;
/// # fn main() -> mtq_cluster::Result<()> {
/// let x = array![[0.0f32, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [5.0, 5.2]];
/// let settings = KMeansSettings::new().n_init(4).seed(7);
/// // one K ...
/// let model = KMeansParams::new(2).settings(settings).fit(x.view())?;
/// // ... or every K of a range, each fitted with the same settings
/// let sweep = KSweepParams::new(KRange::new(2, 3)?).kmeans(settings).fit(x.view())?;
/// assert_eq!(sweep.scores()[0].model, model);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeansSettings {
    pub(super) n_init: usize,
    pub(super) max_iter: usize,
    pub(super) tol: f64,
    pub(super) algorithm: Algorithm,
    pub(crate) seed: u64,
}

impl Default for KMeansSettings {
    /// [`KMeansSettings::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl KMeansSettings {
    /// Every setting at its default (see the type's doc).
    #[must_use]
    pub fn new() -> Self {
        Self {
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            algorithm: Algorithm::Lloyd,
            seed: 0,
        }
    }

    /// Number of restarts (each with its own random stream); the lowest inertia wins, ties to
    /// the first restart.
    #[must_use]
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Maximum number of iterations of one run.
    #[must_use]
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Convergence tolerance: a run stops when the squared centroid shift summed over clusters is
    /// at most `tol` times the mean per-feature variance of the data (or when no label changes).
    #[must_use]
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Iteration algorithm.
    #[must_use]
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Seed of the random choices: restart `i` draws from `ChaCha8Rng::seed_from_u64(seed)` on
    /// stream `i`, so the result does not depend on the number of threads.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the settings (none depends on the data).
    ///
    /// # Errors
    /// [`ClusterError::ZeroInit`], [`ClusterError::ZeroMaxIter`], [`ClusterError::InvalidTol`].
    pub fn check(&self) -> Result<()> {
        if self.n_init == 0 {
            return Err(ClusterError::ZeroInit);
        }
        if self.max_iter == 0 {
            return Err(ClusterError::ZeroMaxIter);
        }
        if !self.tol.is_finite() || self.tol < 0.0 {
            return Err(ClusterError::InvalidTol { tol: self.tol });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_setting_has_its_error() {
        let s = KMeansSettings::new();
        assert_eq!(s.check(), Ok(()));
        assert_eq!(s.n_init(0).check(), Err(ClusterError::ZeroInit));
        assert_eq!(s.max_iter(0).check(), Err(ClusterError::ZeroMaxIter));
        assert_eq!(
            s.tol(-1.0).check(),
            Err(ClusterError::InvalidTol { tol: -1.0 })
        );
        assert!(matches!(
            s.tol(f64::INFINITY).check(),
            Err(ClusterError::InvalidTol { .. })
        ));
    }

    #[test]
    fn the_defaults_are_documented_ones() {
        let s = KMeansSettings::default();
        assert_eq!(
            (s.n_init, s.max_iter, s.tol, s.algorithm, s.seed),
            (10, 300, 1e-4, Algorithm::Lloyd, 0)
        );
    }
}
