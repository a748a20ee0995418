//! Sample sets from `.npy` files exported by any framework (PyTorch, Keras, numpy): one matrix per
//! layer, optional labels and class probabilities, named `<prefix>_<layer>.npy`,
//! `<prefix>_labels.npy`, `<prefix>_probs.npy`.

use std::path::{Path, PathBuf};

use mtq_activations::{read_npy_labels, read_npy_matrix};
use ndarray::{Array1, Array2};

use crate::error::{Result, SignatureError};
use crate::samples::Samples;

/// One set read from `.npy` files; [`NpySet::samples`] borrows it as a [`Samples`].
#[derive(Debug, Clone, PartialEq)]
pub struct NpySet {
    /// One matrix per layer, in the order asked for.
    pub layers: Vec<Array2<f32>>,
    /// Labels, if `<prefix>_labels.npy` exists.
    pub labels: Option<Array1<usize>>,
    /// Class probabilities, if `<prefix>_probs.npy` exists.
    pub probabilities: Option<Array2<f32>>,
}

impl NpySet {
    /// Reads `<prefix>_<layer>.npy` for every layer (float32 or float64, 2-D), and
    /// `<prefix>_labels.npy` (integers, 1-D) and `<prefix>_probs.npy` when they exist. `prefix`
    /// is a path whose last component is the file-name prefix, e.g. `data/train`.
    ///
    /// Labels are class indices (integers, or whole-valued floats, at most
    /// [`mtq_activations::MAX_LABEL`]); use [`NpySet::label_values`] and [`NpySet::relabel`] for
    /// raw label values with gaps.
    ///
    /// # Errors
    /// [`SignatureError::Activations`] for a missing or malformed file (the error names it: a
    /// header promising more data than the file holds, a float64 value beyond float32's range,
    /// a label that is negative, fractional or too large, with its row and value). Shapes are
    /// checked when the set is fitted or traced.
    pub fn read(prefix: impl AsRef<Path>, layers: &[String]) -> Result<Self> {
        let prefix = prefix.as_ref();
        let file = |suffix: &str| npy_file(prefix, suffix);
        let layers = layers
            .iter()
            .map(|l| read_npy_matrix(file(l)))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let labels_path = file("labels");
        let labels = if labels_path.exists() {
            Some(read_npy_labels(labels_path)?)
        } else {
            None
        };
        let probs_path = file("probs");
        let probabilities = if probs_path.exists() {
            Some(read_npy_matrix(probs_path)?)
        } else {
            None
        };
        Ok(Self {
            layers,
            labels,
            probabilities,
        })
    }

    /// Number of samples (rows of the first layer; 0 without layers).
    #[must_use]
    pub fn n_samples(&self) -> usize {
        self.layers.first().map_or(0, ndarray::ArrayBase::nrows)
    }

    /// The distinct label values of this set, in increasing order (empty without labels).
    /// Memory is bounded by the number of distinct labels, never by their values.
    #[must_use]
    pub fn label_values(&self) -> Vec<usize> {
        let mut v = self.labels.as_ref().map_or_else(Vec::new, |l| l.to_vec());
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Re-codes the labels as indices into `classes`, a sorted list of raw label values
    /// (typically the reference set's [`NpySet::label_values`]): value `classes[i]` becomes `i`.
    ///
    /// This is the sensible reading of raw labels with gaps: a reference labelled only `1` and
    /// `7` has two classes, named `"1"` and `"7"` by the caller, not eight of which six are
    /// empty. A set without labels is left as it is.
    ///
    /// # Errors
    /// [`SignatureError::LabelNotInReference`] naming `set`, the row and the value of the first
    /// label not in `classes`.
    pub fn relabel(&mut self, set: &str, classes: &[usize]) -> Result<()> {
        if let Some(labels) = &mut self.labels {
            for (row, y) in labels.iter_mut().enumerate() {
                *y = classes
                    .binary_search(y)
                    .map_err(|_| SignatureError::LabelNotInReference {
                        set: set.to_owned(),
                        row,
                        value: *y,
                    })?;
            }
        }
        Ok(())
    }

    /// The set as [`Samples`] (labels and probabilities included when present).
    #[must_use]
    pub fn samples(&self) -> Samples<'_> {
        let mut s = Samples::new(self.layers.iter().map(|x| x.view()).collect());
        if let Some(l) = &self.labels {
            s = s.labels(l.view());
        }
        if let Some(p) = &self.probabilities {
            s = s.probabilities(p.view());
        }
        s
    }
}

/// The file `<prefix>_<suffix>.npy` of a set: `npy_file("data/train", "h1")` is
/// `data/train_h1.npy`.
#[must_use]
pub fn npy_file(prefix: &Path, suffix: &str) -> PathBuf {
    let name = prefix
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    prefix.with_file_name(format!("{name}_{suffix}.npy"))
}
