//! [`Samples`]: one set of samples as the network saw them, the input of fitting and tracing.

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::error::{Result, SignatureError};

/// The most probable class of every row of `p` (`samples x classes`; the first on ties) and
/// its probability: the network's prediction, as every part of the crate reads it.
pub(crate) fn argmax_rows(p: ArrayView2<'_, f32>) -> (Array1<usize>, Array1<f32>) {
    let (class, prob): (Vec<usize>, Vec<f32>) = p
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv { (i, v) } else { (bi, bv) }
                })
        })
        .unzip();
    (Array1::from(class), Array1::from(prob))
}

/// One set of samples seen through a network: an activation matrix per analysed layer (rows =
/// samples, same row order in every layer), and optionally the true labels, the network's class
/// probabilities and sample ids.
///
/// Borrowed views: build it over arrays you own, e.g. `mtq_activations::Activations` layers.
#[derive(Debug, Clone)]
pub struct Samples<'a> {
    pub(crate) layers: Vec<ArrayView2<'a, f32>>,
    pub(crate) labels: Option<ArrayView1<'a, usize>>,
    pub(crate) probabilities: Option<ArrayView2<'a, f32>>,
    pub(crate) ids: Option<ArrayView1<'a, usize>>,
}

impl<'a> Samples<'a> {
    /// A set from its layers' activations, in layer order.
    #[must_use]
    pub fn new(layers: Vec<ArrayView2<'a, f32>>) -> Self {
        Self {
            layers,
            labels: None,
            probabilities: None,
            ids: None,
        }
    }

    /// True labels, as class indices into the analysis' class names (required for the reference).
    #[must_use]
    pub fn labels(mut self, labels: ArrayView1<'a, usize>) -> Self {
        self.labels = Some(labels);
        self
    }

    /// The network's class probabilities (`samples x classes`): give the predicted class and the
    /// max-softmax baseline score.
    #[must_use]
    pub fn probabilities(mut self, probabilities: ArrayView2<'a, f32>) -> Self {
        self.probabilities = Some(probabilities);
        self
    }

    /// Sample ids (e.g. row numbers in the source file), written to the per-sample export.
    #[must_use]
    pub fn ids(mut self, ids: ArrayView1<'a, usize>) -> Self {
        self.ids = Some(ids);
        self
    }

    /// Number of samples (rows of the first layer; 0 without layers).
    #[must_use]
    pub fn len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.nrows())
    }

    /// Whether the set has no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of layers.
    #[must_use]
    pub fn n_layers(&self) -> usize {
        self.layers.len()
    }

    /// Checks the set against the analysed layers: count, widths (if `widths` is given), rows,
    /// finiteness, label range.
    pub(crate) fn check(
        &self,
        what: &str,
        layer_names: &[String],
        widths: Option<&[usize]>,
        n_classes: usize,
    ) -> Result<()> {
        if self.layers.len() != layer_names.len() {
            return Err(SignatureError::LayerCountMismatch {
                expected: layer_names.len(),
                found: self.layers.len(),
            });
        }
        let n = self.len();
        if n == 0 {
            return Err(SignatureError::Empty { what: what.into() });
        }
        for (i, (x, name)) in self.layers.iter().zip(layer_names).enumerate() {
            if x.nrows() != n {
                return Err(SignatureError::RowMismatch {
                    what: format!("{what}, layer {name}"),
                    expected: n,
                    found: x.nrows(),
                });
            }
            if let Some(w) = widths.and_then(|w| w.get(i))
                && x.ncols() != *w
            {
                return Err(SignatureError::DimMismatch {
                    layer: name.clone(),
                    expected: *w,
                    found: x.ncols(),
                });
            }
            if x.ncols() == 0 {
                return Err(SignatureError::Empty {
                    what: format!("{what}, layer {name} (no columns)"),
                });
            }
            if let Some((idx, _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
                return Err(SignatureError::NonFinite {
                    layer: name.clone(),
                    row: idx.0,
                    col: idx.1,
                });
            }
        }
        if let Some(labels) = self.labels {
            if labels.len() != n {
                return Err(SignatureError::RowMismatch {
                    what: format!("{what}, labels"),
                    expected: n,
                    found: labels.len(),
                });
            }
            if let Some((row, &label)) = labels.iter().enumerate().find(|(_, y)| **y >= n_classes) {
                return Err(SignatureError::LabelOutOfRange {
                    what: format!("{what}, labels"),
                    row,
                    label,
                    n_classes,
                });
            }
        }
        if let Some(p) = self.probabilities {
            if p.nrows() != n {
                return Err(SignatureError::RowMismatch {
                    what: format!("{what}, probabilities"),
                    expected: n,
                    found: p.nrows(),
                });
            }
            if p.ncols() != n_classes {
                return Err(SignatureError::DimMismatch {
                    layer: format!("{what}, probabilities"),
                    expected: n_classes,
                    found: p.ncols(),
                });
            }
            if let Some((idx, _)) = p.indexed_iter().find(|(_, v)| !v.is_finite()) {
                return Err(SignatureError::NonFinite {
                    layer: format!("{what}, probabilities"),
                    row: idx.0,
                    col: idx.1,
                });
            }
        }
        if let Some(ids) = self.ids
            && ids.len() != n
        {
            return Err(SignatureError::RowMismatch {
                what: format!("{what}, ids"),
                expected: n,
                found: ids.len(),
            });
        }
        Ok(())
    }
}
