//! The typed data set: a feature matrix, one label and one id per row.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{DataError, Result};

/// Samples as rows of an `n x d` `f32` matrix, each with a class label and a stable id.
///
/// The id of a sample is its index in the file it was read from; it survives class selection,
/// shuffling and splitting, so results can always be joined back to the source data.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    features: Array2<f32>,
    labels: Array1<usize>,
    ids: Array1<usize>,
}

impl Dataset {
    /// A data set from features (`n x d`) and labels (`n`); ids are `0..n`.
    ///
    /// # Errors
    /// [`DataError::LengthMismatch`] if the row and label counts differ.
    pub fn new(features: Array2<f32>, labels: Array1<usize>) -> Result<Self> {
        let ids = Array1::from_iter(0..labels.len());
        Self::with_ids(features, labels, ids)
    }

    /// A data set with explicit sample ids.
    ///
    /// # Errors
    /// [`DataError::LengthMismatch`] if features, labels and ids do not have one entry per sample.
    pub fn with_ids(features: Array2<f32>, labels: Array1<usize>, ids: Array1<usize>) -> Result<Self> {
        if features.nrows() != labels.len() || ids.len() != labels.len() {
            return Err(DataError::LengthMismatch { features: features.nrows(), labels: labels.len() });
        }
        Ok(Self { features, labels, ids })
    }

    /// The `n x d` feature matrix.
    pub fn features(&self) -> ArrayView2<'_, f32> {
        self.features.view()
    }

    /// One class label per sample.
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// One stable id per sample.
    pub fn ids(&self) -> ArrayView1<'_, usize> {
        self.ids.view()
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.features.nrows()
    }

    /// Number of features per sample.
    pub fn n_features(&self) -> usize {
        self.features.ncols()
    }

    /// `true` when the data set holds no sample.
    pub fn is_empty(&self) -> bool {
        self.n_samples() == 0
    }
}
