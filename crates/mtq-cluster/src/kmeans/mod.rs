//! K-means: the builder ([`KMeansParams`], with the settings that hold for any K in
//! [`KMeansSettings`]), the fitted model ([`KMeans`]), the initialisations
//! and the Lloyd and Hamerly iterations.

mod hamerly;
mod init;
pub(crate) mod lloyd;
mod params;
mod settings;

pub(crate) use params::Prepared;
pub use params::{Init, KMeansParams};
pub use settings::{Algorithm, KMeansSettings};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use crate::data::{self, check_data, sq_dist};
use crate::error::{ClusterError, Result};
use crate::kernel::Packed;

/// The result of one run (centred coordinates).
pub(crate) struct Run {
    pub centers: Array2<f32>,
    pub labels: Vec<usize>,
    pub inertia: f64,
    pub n_iter: usize,
}

/// A fitted K-means model: centroids, training labels, inertia and iteration count.
///
/// Made by [`KMeansParams::fit`]. [`predict`](Self::predict) assigns new samples (for example
/// classes never seen in training) to the nearest centroid; [`transform`](Self::transform) gives
/// the distance of every sample to every centroid.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    centroids: Array2<f32>,
    centered: Array2<f32>,
    mean: Array1<f64>,
    scale: f32,
    labels: Array1<usize>,
    inertia: f64,
    n_iter: usize,
}

impl KMeans {
    /// The model from a run on data centred by `mean` and multiplied by `scale` (a power of
    /// two): centroids and inertia are given back in the data's own units.
    pub(crate) fn from_run(run: Run, mean: Array1<f64>, scale: f32) -> Self {
        let unscale = 1.0 / f64::from(scale);
        let mut centroids = Array2::<f32>::zeros(run.centers.raw_dim());
        for (mut c, r) in centroids.axis_iter_mut(Axis(0)).zip(run.centers.rows()) {
            for ((c, &v), &m) in c.iter_mut().zip(r.iter()).zip(mean.iter()) {
                *c = (f64::from(v) * unscale + m) as f32;
            }
        }
        Self {
            centroids,
            centered: run.centers,
            mean,
            scale,
            labels: Array1::from(run.labels),
            inertia: run.inertia * unscale * unscale,
            n_iter: run.n_iter,
        }
    }

    /// The centroids, `k x n_features`.
    #[must_use]
    pub fn centroids(&self) -> ArrayView2<'_, f32> {
        self.centroids.view()
    }

    /// The cluster of every training sample.
    #[must_use]
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// Sum of squared distances of the training samples to their centroid (of the best run).
    #[must_use]
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Iterations made by the best run.
    #[must_use]
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Number of clusters.
    #[must_use]
    pub fn k(&self) -> usize {
        self.centroids.nrows()
    }

    /// Number of features.
    #[must_use]
    pub fn n_features(&self) -> usize {
        self.centroids.ncols()
    }

    fn prepare(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        check_data(x)?;
        if x.ncols() != self.n_features() {
            return Err(ClusterError::FeatureMismatch {
                expected: self.n_features(),
                actual: x.ncols(),
            });
        }
        let mut xc = data::centered(x, &self.mean);
        data::scale_in_place(xc.as_slice_mut().unwrap_or_default(), self.scale);
        Ok(xc)
    }

    /// The nearest centroid of every row of `x` (ties to the lower index).
    ///
    /// # Errors
    /// [`ClusterError::EmptyInput`], [`ClusterError::NoFeatures`], [`ClusterError::NonFinite`]
    /// for bad data, [`ClusterError::FeatureMismatch`] if `x` has another number of features.
    pub fn predict(&self, x: ArrayView2<'_, f32>) -> Result<Array1<usize>> {
        let xc = self.prepare(x)?;
        let mut labels = vec![usize::MAX; xc.nrows()];
        let (n, d) = xc.dim();
        let packed = Packed::new(xc.as_slice().unwrap_or_default(), n, d);
        lloyd::assign_all(&packed, &self.centered, &mut labels);
        Ok(Array1::from(labels))
    }

    /// Euclidean distance of every row of `x` to every centroid, `n_samples x k`.
    ///
    /// # Errors
    /// As [`predict`](Self::predict).
    pub fn transform(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        let xc = self.prepare(x)?;
        let (n, d) = xc.dim();
        let k = self.k();
        let xs = xc.as_slice().unwrap_or_default();
        let cs = self.centered.as_slice().unwrap_or_default();
        let mut out = Array2::<f32>::zeros((n, k));
        if let Some(o) = out.as_slice_mut() {
            o.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = sq_dist(&xs[i * d..(i + 1) * d], &cs[j * d..(j + 1) * d]).sqrt()
                        / self.scale;
                }
            });
        }
        Ok(out)
    }
}
