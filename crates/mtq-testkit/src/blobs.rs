//! Seeded Gaussian blobs, for tests, examples and benchmarks (moved from `mtq-cluster`'s
//! public API: the same points, bit for bit, for the same arguments).

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Blob parameters [`make_blobs`] refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BlobsError {
    /// `n_samples = 0`.
    #[error("the data has no samples (0 rows)")]
    EmptyInput,
    /// `n_features = 0`.
    #[error("the data has no features (0 columns)")]
    NoFeatures,
    /// `centers = 0`.
    #[error("the number of centres must be at least 1, got 0")]
    ZeroCenters,
    /// A negative or non-finite `std` or `box_half`.
    #[error("blob spread {value} must be finite and >= 0")]
    BadSpread {
        /// The value given.
        value: f32,
    },
}

/// `n_samples` points in `n_features` dimensions around `centers` centres drawn uniformly in
/// `[-box_half, box_half]` per feature, each point a centre plus isotropic Gaussian noise of
/// standard deviation `std` (Box-Muller on a seeded `ChaCha8Rng`); sample `i` belongs to centre
/// `i % centers`. Returns the points and their centre index. The benchmarks use 8 centres,
/// `std = 1`, `box_half = 10`, like scikit-learn's `make_blobs(center_box=(-10, 10))`.
///
/// ```
/// let (x, y) = mtq_testkit::make_blobs(100, 3, 4, 0.5, 10.0, 0)?;
/// assert_eq!(x.dim(), (100, 3));
/// assert_eq!(y[5], 1);
/// # Ok::<(), mtq_testkit::BlobsError>(())
/// ```
///
/// # Errors
/// [`BlobsError::EmptyInput`] if `n_samples = 0`, [`BlobsError::NoFeatures`] if
/// `n_features = 0`, [`BlobsError::ZeroCenters`] if `centers = 0`, [`BlobsError::BadSpread`]
/// if `std` or `box_half` is negative or not finite.
pub fn make_blobs(
    n_samples: usize,
    n_features: usize,
    centers: usize,
    std: f32,
    box_half: f32,
    seed: u64,
) -> Result<(Array2<f32>, Array1<usize>), BlobsError> {
    if n_samples == 0 {
        return Err(BlobsError::EmptyInput);
    }
    if n_features == 0 {
        return Err(BlobsError::NoFeatures);
    }
    if centers == 0 {
        return Err(BlobsError::ZeroCenters);
    }
    for value in [std, box_half] {
        if !value.is_finite() || value < 0.0 {
            return Err(BlobsError::BadSpread { value });
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
