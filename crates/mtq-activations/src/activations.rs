//! [`Activations`]: per-layer `n x width` matrices with the samples' labels and ids, kept aligned.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, concatenate};

use crate::error::{ActivationsError, Result};
use crate::layer::LayerKind;

/// One layer's activations: an `n x width` matrix with the layer's name, index and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    name: String,
    index: usize,
    kind: LayerKind,
    values: Array2<f32>,
}

impl Layer {
    /// A hidden layer called `name` whose index is set by [`Activations::new`] to its position
    /// (unless changed with [`Layer::with_index`]).
    pub fn new(name: impl Into<String>, values: Array2<f32>) -> Self {
        Self {
            name: name.into(),
            index: usize::MAX,
            kind: LayerKind::Hidden,
            values,
        }
    }

    /// Sets the layer's index (its position among the model's outputs, e.g. 1 for `h2`).
    #[must_use]
    pub fn with_index(mut self, index: usize) -> Self {
        self.index = index;
        self
    }

    /// Sets the layer's kind (default [`LayerKind::Hidden`]).
    #[must_use]
    pub fn with_kind(mut self, kind: LayerKind) -> Self {
        self.kind = kind;
        self
    }

    /// The layer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The layer's index among the model's outputs (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// What the layer is.
    pub fn kind(&self) -> LayerKind {
        self.kind
    }

    /// The activations, `n_samples x width`.
    pub fn values(&self) -> ArrayView2<'_, f32> {
        self.values.view()
    }

    /// Number of units (columns).
    pub fn width(&self) -> usize {
        self.values.ncols()
    }

    /// The owned activation matrix.
    pub fn into_values(self) -> Array2<f32> {
        self.values
    }
}

/// The activations of a set of samples at one or more layers, with the samples' labels and ids.
///
/// Row `i` of every layer, `labels[i]` and `ids[i]` describe the same sample: every constructor
/// checks the lengths and that every value is finite, so later steps cannot misalign samples and
/// layers. Layer names are unique.
#[derive(Debug, Clone, PartialEq)]
pub struct Activations {
    layers: Vec<Layer>,
    labels: Array1<usize>,
    ids: Array1<usize>,
}

/// Returns the first non-finite value of `values` as an error naming the layer and sample.
pub(crate) fn check_finite(
    layer: &str,
    values: ArrayView2<'_, f32>,
    ids: ArrayView1<'_, usize>,
    row_offset: usize,
) -> Result<()> {
    for (r, row) in values.outer_iter().enumerate() {
        if let Some((unit, &value)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            let sample = row_offset + r;
            return Err(ActivationsError::NonFinite {
                layer: layer.to_owned(),
                sample,
                id: ids.get(sample).copied().unwrap_or(sample),
                unit,
                value,
            });
        }
    }
    Ok(())
}

impl Activations {
    /// A checked set from layers, labels and ids.
    ///
    /// A layer left without an index by [`Layer::new`] gets its position in `layers`.
    ///
    /// # Errors
    /// [`ActivationsError::NoLayers`] for an empty `layers`; [`ActivationsError::LengthMismatch`] if a
    /// layer or the ids do not have one row per label; [`ActivationsError::DuplicateLayer`];
    /// [`ActivationsError::NonFinite`] for a NaN or infinite activation.
    pub fn new(layers: Vec<Layer>, labels: Array1<usize>, ids: Array1<usize>) -> Result<Self> {
        if layers.is_empty() {
            return Err(ActivationsError::NoLayers);
        }
        let n = labels.len();
        if ids.len() != n {
            return Err(ActivationsError::LengthMismatch {
                what: "ids".into(),
                expected: n,
                found: ids.len(),
            });
        }
        let mut layers = layers;
        for (position, layer) in layers.iter_mut().enumerate() {
            if layer.index == usize::MAX {
                layer.index = position;
            }
        }
        for (i, layer) in layers.iter().enumerate() {
            if layers[..i].iter().any(|l| l.name == layer.name) {
                return Err(ActivationsError::DuplicateLayer {
                    name: layer.name.clone(),
                });
            }
            if layer.values.nrows() != n {
                return Err(ActivationsError::LengthMismatch {
                    what: format!("layer {:?}", layer.name),
                    expected: n,
                    found: layer.values.nrows(),
                });
            }
            check_finite(&layer.name, layer.values.view(), ids.view(), 0)?;
        }
        Ok(Self {
            layers,
            labels,
            ids,
        })
    }

    /// A checked set of hidden layers from `(name, n x width matrix)` pairs and labels, for data
    /// from elsewhere (e.g. another framework); ids are `0..n`.
    ///
    /// # Errors
    /// As [`Activations::new`].
    pub fn from_arrays<S: Into<String>>(
        layers: impl IntoIterator<Item = (S, Array2<f32>)>,
        labels: Array1<usize>,
    ) -> Result<Self> {
        let ids = Array1::from_iter(0..labels.len());
        let layers = layers
            .into_iter()
            .map(|(name, values)| Layer::new(name, values))
            .collect();
        Self::new(layers, labels, ids)
    }

    /// Assembles a set whose parts were checked by the caller.
    pub(crate) fn from_checked(
        layers: Vec<Layer>,
        labels: Array1<usize>,
        ids: Array1<usize>,
    ) -> Self {
        Self {
            layers,
            labels,
            ids,
        }
    }

    /// Replaces the ids (default `0..n` for [`Activations::from_arrays`]).
    ///
    /// # Errors
    /// [`ActivationsError::LengthMismatch`] if `ids` does not have one entry per sample.
    pub fn with_ids(mut self, ids: Array1<usize>) -> Result<Self> {
        if ids.len() != self.n_samples() {
            return Err(ActivationsError::LengthMismatch {
                what: "ids".into(),
                expected: self.n_samples(),
                found: ids.len(),
            });
        }
        self.ids = ids;
        Ok(self)
    }

    /// Number of samples (rows of every layer).
    pub fn n_samples(&self) -> usize {
        self.labels.len()
    }

    /// Number of layers.
    pub fn n_layers(&self) -> usize {
        self.layers.len()
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The class probabilities, `n x classes`: the [`LayerKind::Probabilities`] layer, else
    /// the row-wise softmax of the [`LayerKind::Logits`] layer (shifted by each row's
    /// maximum); `None` without either.
    #[must_use]
    pub fn probabilities(&self) -> Option<Array2<f32>> {
        let find = |kind| self.layers.iter().find(|l| l.kind() == kind);
        match (find(LayerKind::Probabilities), find(LayerKind::Logits)) {
            (Some(p), _) => Some(p.values().to_owned()),
            (None, Some(z)) => {
                let mut p = z.values().to_owned();
                for mut row in p.axis_iter_mut(Axis(0)) {
                    let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                    row.mapv_inplace(|v| (v - max).exp());
                    let sum = row.sum();
                    row.mapv_inplace(|v| v / sum);
                }
                Some(p)
            }
            (None, None) => None,
        }
    }

    /// The layer called `name`, if any.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// The layers' names, in order.
    pub fn layer_names(&self) -> Vec<&str> {
        self.layers.iter().map(|l| l.name.as_str()).collect()
    }

    /// The layers' widths, in order.
    pub fn widths(&self) -> Vec<usize> {
        self.layers.iter().map(Layer::width).collect()
    }

    /// The samples' labels.
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// The samples' ids.
    pub fn ids(&self) -> ArrayView1<'_, usize> {
        self.ids.view()
    }

    /// Layers, labels and ids.
    pub fn into_parts(self) -> (Vec<Layer>, Array1<usize>, Array1<usize>) {
        (self.layers, self.labels, self.ids)
    }

    fn position(&self, name: &str) -> Result<usize> {
        self.layers
            .iter()
            .position(|l| l.name == name)
            .ok_or_else(|| ActivationsError::UnknownLayer {
                name: name.to_owned(),
                available: self.layers.iter().map(|l| l.name.clone()).collect(),
            })
    }

    /// The samples at `indices` (in that order, repeats allowed), every layer, label and id.
    ///
    /// # Errors
    /// [`ActivationsError::SampleOutOfRange`] for an index `>= n_samples`.
    pub fn select_samples(&self, indices: &[usize]) -> Result<Self> {
        let n = self.n_samples();
        if let Some(&index) = indices.iter().find(|&&i| i >= n) {
            return Err(ActivationsError::SampleOutOfRange {
                index,
                n_samples: n,
            });
        }
        let layers = self
            .layers
            .iter()
            .map(|l| Layer {
                values: l.values.select(Axis(0), indices),
                ..l.clone_meta()
            })
            .collect();
        Ok(Self::from_checked(
            layers,
            self.labels.select(Axis(0), indices),
            self.ids.select(Axis(0), indices),
        ))
    }

    /// The layers called `names`, in that order.
    ///
    /// # Errors
    /// [`ActivationsError::NoLayers`] for an empty list, [`ActivationsError::UnknownLayer`],
    /// [`ActivationsError::DuplicateLayer`] if a name is listed twice.
    pub fn select_layers<S: AsRef<str>>(&self, names: &[S]) -> Result<Self> {
        if names.is_empty() {
            return Err(ActivationsError::NoLayers);
        }
        let mut layers: Vec<Layer> = Vec::with_capacity(names.len());
        for name in names {
            let layer = &self.layers[self.position(name.as_ref())?];
            if layers.iter().any(|l| l.name == layer.name) {
                return Err(ActivationsError::DuplicateLayer {
                    name: layer.name.clone(),
                });
            }
            layers.push(layer.clone());
        }
        Ok(Self::from_checked(
            layers,
            self.labels.clone(),
            self.ids.clone(),
        ))
    }

    /// This set's samples followed by `other`'s (e.g. reference samples plus injected unseen
    /// ones), layer by layer.
    ///
    /// Ids are kept as they are: give the two sets distinct ids if you need to tell them apart.
    ///
    /// # Errors
    /// [`ActivationsError::LayerMismatch`] unless both sets have the same layer names and widths in
    /// the same order.
    pub fn concat(&self, other: &Activations) -> Result<Self> {
        let count = self.n_layers().max(other.n_layers());
        for position in 0..count {
            let (a, b) = (self.layers.get(position), other.layers.get(position));
            let same =
                matches!((a, b), (Some(a), Some(b)) if a.name == b.name && a.width() == b.width());
            if !same {
                return Err(ActivationsError::LayerMismatch {
                    position,
                    left: a.map(|l| l.name.clone()).unwrap_or_default(),
                    left_width: a.map_or(0, Layer::width),
                    right: b.map(|l| l.name.clone()).unwrap_or_default(),
                    right_width: b.map_or(0, Layer::width),
                });
            }
        }
        let mut layers = Vec::with_capacity(count);
        for (a, b) in self.layers.iter().zip(&other.layers) {
            let values =
                concatenate(Axis(0), &[a.values.view(), b.values.view()]).map_err(|_| {
                    ActivationsError::LayerMismatch {
                        position: layers.len(),
                        left: a.name.clone(),
                        left_width: a.width(),
                        right: b.name.clone(),
                        right_width: b.width(),
                    }
                })?;
            layers.push(Layer {
                values,
                ..a.clone_meta()
            });
        }
        let labels = concatenate(Axis(0), &[self.labels.view(), other.labels.view()]);
        let ids = concatenate(Axis(0), &[self.ids.view(), other.ids.view()]);
        match (labels, ids) {
            (Ok(labels), Ok(ids)) => Ok(Self::from_checked(layers, labels, ids)),
            // 1-D concatenation cannot fail on shape; report it as a length problem regardless.
            _ => Err(ActivationsError::LengthMismatch {
                what: "labels".into(),
                expected: self.n_samples() + other.n_samples(),
                found: 0,
            }),
        }
    }

    /// Replaces every layer's matrix by `f(layer)`, keeping names, kinds, labels and ids.
    ///
    /// # Errors
    /// The first error of `f`; [`ActivationsError::LengthMismatch`] if a result does not have
    /// one row per sample; [`ActivationsError::NonFinite`] if a result holds NaN or infinity.
    pub fn map_layers<F>(&self, mut f: F) -> Result<Self>
    where
        F: FnMut(&Layer) -> Result<Array2<f32>>,
    {
        let mut layers = Vec::with_capacity(self.n_layers());
        for layer in &self.layers {
            let values = f(layer)?;
            if values.nrows() != self.n_samples() {
                return Err(ActivationsError::LengthMismatch {
                    what: format!("layer {:?}", layer.name),
                    expected: self.n_samples(),
                    found: values.nrows(),
                });
            }
            check_finite(&layer.name, values.view(), self.ids.view(), 0)?;
            layers.push(Layer {
                values,
                ..layer.clone_meta()
            });
        }
        Ok(Self::from_checked(
            layers,
            self.labels.clone(),
            self.ids.clone(),
        ))
    }
}

impl Layer {
    /// Name, index and kind, with an empty matrix.
    fn clone_meta(&self) -> Layer {
        Layer {
            name: self.name.clone(),
            index: self.index,
            kind: self.kind,
            values: Array2::zeros((0, 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn small() -> Activations {
        Activations::from_arrays(
            [
                ("a", array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                ("b", array![[0.5f32], [1.5], [2.5]]),
            ],
            array![0, 1, 1],
        )
        .unwrap()
    }

    #[test]
    fn constructor_checks_lengths_names_and_values() {
        let acts = small();
        assert_eq!(acts.n_samples(), 3);
        assert_eq!(acts.layer_names(), ["a", "b"]);
        assert_eq!(acts.widths(), [2, 1]);
        assert_eq!(acts.layers()[1].index(), 1);
        assert_eq!(acts.ids().to_vec(), [0, 1, 2]);

        let err = Activations::from_arrays([("a", Array2::<f32>::zeros((2, 3)))], array![0, 1, 2]);
        assert!(matches!(
            err,
            Err(ActivationsError::LengthMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ));
        let err = Activations::from_arrays(
            [
                ("a", Array2::<f32>::zeros((1, 1))),
                ("a", Array2::zeros((1, 2))),
            ],
            array![0],
        );
        assert!(matches!(err, Err(ActivationsError::DuplicateLayer { name }) if name == "a"));
        let err = Activations::from_arrays(Vec::<(String, Array2<f32>)>::new(), array![0]);
        assert!(matches!(err, Err(ActivationsError::NoLayers)));
        let err = Activations::new(
            vec![Layer::new("x", array![[0.0f32, 1.0], [f32::NAN, 0.0]])],
            array![0, 0],
            array![10, 11],
        );
        assert!(matches!(
            err,
            Err(ActivationsError::NonFinite { ref layer, sample: 1, id: 11, unit: 0, .. }) if layer == "x"
        ));
        let err = small().with_ids(array![1, 2]);
        assert!(
            matches!(err, Err(ActivationsError::LengthMismatch { ref what, .. }) if what == "ids")
        );
    }

    #[test]
    fn select_samples_and_layers() {
        let acts = small().with_ids(array![7, 8, 9]).unwrap();
        let sub = acts.select_samples(&[2, 0]).unwrap();
        assert_eq!(
            sub.layer("a").unwrap().values(),
            array![[5.0f32, 6.0], [1.0, 2.0]]
        );
        assert_eq!(sub.labels().to_vec(), [1, 0]);
        assert_eq!(sub.ids().to_vec(), [9, 7]);
        assert!(matches!(
            acts.select_samples(&[3]),
            Err(ActivationsError::SampleOutOfRange {
                index: 3,
                n_samples: 3
            })
        ));
        let b = acts.select_layers(&["b"]).unwrap();
        assert_eq!(b.layer_names(), ["b"]);
        assert_eq!(b.layers()[0].index(), 1);
        assert!(matches!(
            acts.select_layers(&["c"]),
            Err(ActivationsError::UnknownLayer { ref name, .. }) if name == "c"
        ));
        assert!(matches!(
            acts.select_layers(&["a", "a"]),
            Err(ActivationsError::DuplicateLayer { .. })
        ));
        assert!(matches!(
            acts.select_layers::<&str>(&[]),
            Err(ActivationsError::NoLayers)
        ));
    }

    #[test]
    fn concat_appends_rows_and_checks_layers() {
        let a = small();
        let both = a.concat(&a.select_samples(&[1]).unwrap()).unwrap();
        assert_eq!(both.n_samples(), 4);
        assert_eq!(
            both.layer("b").unwrap().values().column(0).to_vec(),
            [0.5, 1.5, 2.5, 1.5]
        );
        assert_eq!(both.labels().to_vec(), [0, 1, 1, 1]);
        let other = a.select_layers(&["b", "a"]).unwrap();
        assert!(matches!(
            a.concat(&other),
            Err(ActivationsError::LayerMismatch { position: 0, .. })
        ));
        let fewer = a.select_layers(&["a"]).unwrap();
        assert!(matches!(
            a.concat(&fewer),
            Err(ActivationsError::LayerMismatch {
                position: 1,
                right_width: 0,
                ..
            })
        ));
    }

    #[test]
    fn map_layers_checks_results() {
        let a = small();
        let doubled = a.map_layers(|l| Ok(l.values().mapv(|v| 2.0 * v))).unwrap();
        assert_eq!(doubled.layer("b").unwrap().values()[[2, 0]], 5.0);
        assert!(matches!(
            a.map_layers(|_| Ok(Array2::zeros((1, 1)))),
            Err(ActivationsError::LengthMismatch { .. })
        ));
        assert!(matches!(
            a.map_layers(|l| Ok(l.values().mapv(|v| v / 0.0))),
            Err(ActivationsError::NonFinite { .. })
        ));
    }
}
