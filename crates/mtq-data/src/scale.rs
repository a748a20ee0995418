//! Feature scaling: a fixed range (pixels to `[0, 1]`), or per-feature min-max or
//! standardisation fitted on one set and applied to others.

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// An affine map `x -> (x - offset) / scale`, per feature or for all features.
///
/// Fit it on the training set and apply the same scaler to the test set, so both see the same
/// transformation:
///
/// ```
/// # fn main() -> Result<(), mtq_data::DataError> {
/// use mtq_data::{Dataset, Scaler};
/// use ndarray::array;
///
/// let train = Dataset::new(array![[0.0, 10.0], [2.0, 30.0]], array![0, 1])?;
/// let test = Dataset::new(array![[1.0, 20.0]], array![0])?;
/// let scaler = Scaler::standard(train.features())?;
/// assert_eq!(scaler.apply(&test)?.features(), array![[0.0, 0.0]]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    /// Subtracted first; one entry per feature, or one for all.
    offset: Array1<f32>,
    /// Divided by next; never zero.
    scale: Array1<f32>,
    /// `true` when fitted per feature, `false` for one range shared by all features.
    per_feature: bool,
}

impl Scaler {
    /// Maps the fixed range `[low, high]` to `[0, 1]` for every feature, e.g.
    /// `Scaler::range(0.0, 255.0)` for 8-bit pixels.
    ///
    /// # Errors
    /// [`DataError::InvalidRange`] unless both bounds are finite and `low < high`.
    pub fn range(low: f32, high: f32) -> Result<Self> {
        if !(low.is_finite() && high.is_finite() && low < high && (high - low).is_finite()) {
            return Err(DataError::InvalidRange { low, high });
        }
        Ok(Self {
            offset: Array1::from_elem(1, low),
            scale: Array1::from_elem(1, high - low),
            per_feature: false,
        })
    }

    /// Per-feature min-max scaling fitted on `x`: each feature's minimum maps to 0 and maximum
    /// to 1 (a constant feature maps to 0). Data outside the fitted range goes outside `[0, 1]`.
    ///
    /// # Errors
    /// [`DataError::EmptyFit`] if `x` has no row, [`DataError::NonFinite`] on NaN or infinity.
    pub fn min_max(x: ArrayView2<'_, f32>) -> Result<Self> {
        check_fit(x)?;
        let lo = x.fold_axis(Axis(0), f32::INFINITY, |&a, &b| a.min(b));
        let hi = x.fold_axis(Axis(0), f32::NEG_INFINITY, |&a, &b| a.max(b));
        let scale = Zip::from(&lo).and(&hi).map_collect(|&l, &h| nonzero(h - l));
        Ok(Self {
            offset: lo,
            scale,
            per_feature: true,
        })
    }

    /// Per-feature standardisation fitted on `x`: subtract the mean, divide by the (population)
    /// standard deviation; a constant feature is only centred.
    ///
    /// # Errors
    /// [`DataError::EmptyFit`] if `x` has no row, [`DataError::NonFinite`] on NaN or infinity.
    pub fn standard(x: ArrayView2<'_, f32>) -> Result<Self> {
        check_fit(x)?;
        // Accumulate in f64, row by row in index order: the result does not depend on threads.
        #[allow(clippy::cast_precision_loss)]
        let n = x.nrows() as f64;
        let mut sum = Array1::<f64>::zeros(x.ncols());
        for row in x.rows() {
            Zip::from(&mut sum)
                .and(&row)
                .for_each(|s, &v| *s += f64::from(v));
        }
        let mean = sum / n;
        let mut sq = Array1::<f64>::zeros(x.ncols());
        for row in x.rows() {
            Zip::from(&mut sq)
                .and(&row)
                .and(&mean)
                .for_each(|s, &v, &m| *s += (f64::from(v) - m).powi(2));
        }
        #[allow(clippy::cast_possible_truncation)]
        let scale = sq.mapv(|s| nonzero((s / n).sqrt() as f32));
        #[allow(clippy::cast_possible_truncation)]
        let offset = mean.mapv(|m| m as f32);
        Ok(Self {
            offset,
            scale,
            per_feature: true,
        })
    }

    /// Number of features this scaler was fitted on; `None` for a [`range`](Self::range) scaler,
    /// which applies to any number of features.
    pub fn n_features(&self) -> Option<usize> {
        self.per_feature.then_some(self.offset.len())
    }

    /// The scaled matrix `(x - offset) / scale`.
    ///
    /// # Errors
    /// [`DataError::FeatureCountMismatch`] if `x` does not have the fitted number of features.
    pub fn transform(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        self.check(x.ncols())?;
        Ok((&x - &self.offset) / &self.scale)
    }

    /// The inverse map `x * scale + offset`.
    ///
    /// # Errors
    /// [`DataError::FeatureCountMismatch`] if `x` does not have the fitted number of features.
    pub fn inverse_transform(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        self.check(x.ncols())?;
        Ok(&x * &self.scale + &self.offset)
    }

    /// A copy of `data` with scaled features (labels, ids, classes and image shape kept).
    ///
    /// # Errors
    /// [`DataError::FeatureCountMismatch`] as [`transform`](Self::transform).
    pub fn apply(&self, data: &Dataset) -> Result<Dataset> {
        Ok(data.with_features(self.transform(data.features())?))
    }

    fn check(&self, found: usize) -> Result<()> {
        match self.n_features() {
            Some(expected) if expected != found => {
                Err(DataError::FeatureCountMismatch { expected, found })
            }
            _ => Ok(()),
        }
    }
}

/// A train/test split whose features are standardised with the training split's statistics
/// (made by [`Dataset::stratified_split_standardized`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StandardizedSplit {
    /// The training split, standardised (per-feature mean 0, population standard deviation 1).
    pub train: Dataset,
    /// The test split, standardised with the training split's means and deviations.
    pub test: Dataset,
    /// The scaler fitted on the training split: apply it to any further data (e.g. unseen
    /// classes) so it sees the same transformation.
    pub scaler: Scaler,
}

impl Dataset {
    /// A seeded, stratified train/test split ([`Dataset::stratified_split`]) followed by
    /// standardisation ([`Scaler::standard`]) fitted on the training split only and applied to
    /// both, as scikit-learn's `train_test_split(..., stratify=y)` then `StandardScaler` fitted
    /// on the training part. No statistic of the test samples leaks into the scaling.
    ///
    /// # Errors
    /// [`DataError::InvalidFraction`] unless `0 < test_fraction < 1`; [`DataError::EmptyFit`] if
    /// the training split is empty; [`DataError::NonFinite`] on NaN or infinity.
    pub fn stratified_split_standardized(
        &self,
        test_fraction: f64,
        seed: u64,
    ) -> Result<StandardizedSplit> {
        let (train, test) = self.stratified_split(test_fraction, seed)?;
        let scaler = Scaler::standard(train.features())?;
        Ok(StandardizedSplit {
            train: scaler.apply(&train)?,
            test: scaler.apply(&test)?,
            scaler,
        })
    }
}

fn nonzero(s: f32) -> f32 {
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

fn check_fit(x: ArrayView2<'_, f32>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(DataError::EmptyFit);
    }
    if let Some(((row, col), &value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(DataError::NonFinite { row, col, value });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, Axis};

    use super::*;

    #[test]
    fn standardized_split_uses_training_statistics_only() {
        // feature 0 is the row index, feature 1 a constant: the test rows must be scaled with
        // the training rows' mean and deviation, not their own
        let x = Array2::from_shape_fn((40, 2), |(i, j)| if j == 0 { i as f32 } else { 3.0 });
        let y = Array1::from_iter((0..40).map(|i| usize::from(i % 4 == 0)));
        let d = Dataset::new(x, y).unwrap();
        let s = d.stratified_split_standardized(0.25, 5).unwrap();
        assert_eq!(s.test.class_counts(), [8, 2]);
        let mean = s.train.features().mean_axis(Axis(0)).unwrap();
        let std = s.train.features().std_axis(Axis(0), 0.0);
        assert!(mean[0].abs() < 1e-5 && (std[0] - 1.0).abs() < 1e-5);
        assert_eq!((mean[1], std[1]), (0.0, 0.0)); // constant: only centred
        let (raw_train, raw_test) = d.stratified_split(0.25, 5).unwrap();
        let m = raw_train.features().column(0).mean().unwrap();
        let sd = raw_train.features().column(0).std(0.0);
        for (scaled, raw) in s
            .test
            .features()
            .column(0)
            .iter()
            .zip(raw_test.features().column(0))
        {
            assert!((scaled - (raw - m) / sd).abs() < 1e-5);
        }
        assert_eq!(s.test.ids(), raw_test.ids());
        assert!(matches!(
            d.stratified_split_standardized(1.0, 0),
            Err(DataError::InvalidFraction { .. })
        ));
    }
}
