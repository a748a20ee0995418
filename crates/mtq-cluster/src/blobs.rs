//! Seeded Gaussian blobs, for tests, examples and benchmarks.

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{ClusterError, Result};

/// `n_samples` points in `n_features` dimensions around `centers` centres drawn uniformly in
/// `[-box_half, box_half]` per feature, each point a centre plus isotropic Gaussian noise of
/// standard deviation `std` (Box-Muller on a seeded `ChaCha8Rng`); sample `i` belongs to centre
/// `i % centers`. Returns the points and their centre index. The benchmarks use 8 centres,
/// `std = 1`, `box_half = 10`, like scikit-learn's `make_blobs(center_box=(-10, 10))`.
///
/// ```
/// let (x, y) = mtq_cluster::make_blobs(100, 3, 4, 0.5, 10.0, 0)?;
/// assert_eq!(x.dim(), (100, 3));
/// assert_eq!(y[5], 1);
/// # Ok::<(), mtq_cluster::ClusterError>(())
/// ```
///
/// # Errors
/// [`ClusterError::EmptyInput`] if `n_samples = 0`, [`ClusterError::NoFeatures`] if
/// `n_features = 0`, [`ClusterError::ZeroClusters`] if `centers = 0`,
/// [`ClusterError::NonFinite`] (row 0, column 0, the bad value) if `std` or `box_half` is
/// negative or not finite.
pub fn make_blobs(
    n_samples: usize,
    n_features: usize,
    centers: usize,
    std: f32,
    box_half: f32,
    seed: u64,
) -> Result<(Array2<f32>, Array1<usize>)> {
    if n_samples == 0 {
        return Err(ClusterError::EmptyInput);
    }
    if n_features == 0 {
        return Err(ClusterError::NoFeatures);
    }
    if centers == 0 {
        return Err(ClusterError::ZeroClusters);
    }
    for value in [std, box_half] {
        if !value.is_finite() || value < 0.0 {
            return Err(ClusterError::NonFinite {
                row: 0,
                col: 0,
                value,
            });
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let c = Array2::from_shape_fn((centers, n_features), |_| {
        rng.random_range(-1.0f32..=1.0) * box_half
    });
    let mut x = Array2::<f32>::zeros((n_samples, n_features));
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            // Box-Muller: one normal deviate from two uniforms in (0, 1]
            let u1 = 1.0 - rng.random::<f64>();
            let u2 = rng.random::<f64>();
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            *v = c[[i % centers, j]] + std * z as f32;
        }
    }
    let y = (0..n_samples).map(|i| i % centers).collect();
    Ok((x, y))
}
