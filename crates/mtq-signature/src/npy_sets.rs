//! Sample sets from `.npy` files exported by any framework (PyTorch, Keras, numpy): one matrix per
//! layer, optional labels, class probabilities, ids and images, named `<prefix>_<layer>.npy`,
//! `<prefix>_labels.npy`, `<prefix>_probs.npy`, `<prefix>_ids.npy`, `<prefix>_images.npy`; or
//! the folder [`Activations::save`](mtq_activations::Activations::save) writes
//! ([`NpySet::read_saved`]).
//!
//! Every file goes through the project's one `.npy` reader (`mtq_data::npy`, through
//! `mtq-activations`): headers checked before anything is allocated, one label rule, errors
//! naming the file.

use std::path::{Path, PathBuf};

use mtq_activations::{
    Activations, ActivationsError, DataError, LayerKind, read_npy_ids, read_npy_labels,
    read_npy_matrix,
};
use ndarray::{Array1, Array2, ArrayD, Axis};

use crate::error::{Result, SignatureError};
use crate::samples::Samples;

/// One set read from `.npy` files; [`NpySet::samples`] borrows it as a [`Samples`].
#[derive(Debug, Clone, PartialEq)]
pub struct NpySet {
    /// One matrix per layer (`n x width`, `f32`), in the order asked for.
    pub layers: Vec<Array2<f32>>,
    /// Labels (class indices, `n`), if `<prefix>_labels.npy` exists.
    pub labels: Option<Array1<usize>>,
    /// Class probabilities (`n x classes`), if `<prefix>_probs.npy` exists.
    pub probabilities: Option<Array2<f32>>,
    /// Sample ids (`n` non-negative integers, e.g. rows of the user's source file), if
    /// `<prefix>_ids.npy` exists; written to the per-sample export.
    pub ids: Option<Array1<usize>>,
    /// The samples' images, if `<prefix>_images.npy` exists: `n x h x w` or `n x c x h x w`,
    /// values as in the file (uint8 `0..=255` or floats) converted to `f32`, in standard
    /// layout. For thumbnails; never clustered.
    pub images: Option<ArrayD<f32>>,
}

fn data_err(e: DataError) -> SignatureError {
    SignatureError::Activations(ActivationsError::Data(e))
}

/// Checks that the file at `path` has `expected` rows (its first axis), as `reference` has.
fn check_rows(path: &Path, rows: usize, reference: &Path, expected: usize) -> Result<()> {
    if rows == expected {
        return Ok(());
    }
    Err(data_err(DataError::NpyRows {
        path: path.to_owned(),
        rows,
        reference: reference.to_owned(),
        expected,
    }))
}

impl NpySet {
    /// Reads `<prefix>_<layer>.npy` for every layer (float32 or float64, 2-D), and, when they
    /// exist, `<prefix>_labels.npy` (1-D class indices), `<prefix>_probs.npy` (2-D),
    /// `<prefix>_ids.npy` (1-D non-negative integers, one per row) and `<prefix>_images.npy`
    /// (`n x h x w` or `n x c x h x w`, float or uint8). `prefix` is a path whose last component
    /// is the file-name prefix, e.g. `data/train`.
    ///
    /// Labels are class indices under the project's one label rule (integers, or whole-valued
    /// floats, in `0..=`[`mtq_activations::MAX_LABEL`]); use [`NpySet::label_values`] and
    /// [`NpySet::relabel`] for raw label values with gaps.
    ///
    /// Every file must have one row per sample: the row count of the first layer file.
    ///
    /// # Errors
    /// [`SignatureError::Activations`] naming the file: [`ActivationsError::Io`] for a missing
    /// layer file; inside [`ActivationsError::Data`]: [`DataError::NpyEmpty`] for a layer file
    /// with no row (an empty reference is said to be empty, naming it),
    /// [`DataError::NpyRows`] for a file whose row count differs from the first layer's,
    /// [`DataError::NpyTextLabels`] for text labels, [`DataError::NpyLabel`] for a label that is
    /// negative, fractional or too large (with its row and value), [`DataError::NpyRank`] for
    /// ids or images of another rank, and the reader's header, size and dtype errors (a header
    /// promising more data than the file holds is refused before anything is allocated).
    /// Widths are checked when the set is fitted or traced.
    pub fn read(prefix: impl AsRef<Path>, layers: &[String]) -> Result<Self> {
        let prefix = prefix.as_ref();
        let file = |suffix: &str| npy_file(prefix, suffix);
        let mut first: Option<(PathBuf, usize)> = None;
        let mut matrices = Vec::with_capacity(layers.len());
        for l in layers {
            let path = file(l);
            let x = read_npy_matrix(&path)?;
            if x.nrows() == 0 {
                return Err(data_err(DataError::NpyEmpty {
                    path,
                    shape: x.shape().to_vec(),
                }));
            }
            match &first {
                Some((p, n)) => check_rows(&path, x.nrows(), p, *n)?,
                None => first = Some((path, x.nrows())),
            }
            matrices.push(x);
        }
        let rows = |path: &Path, n: usize| match &first {
            Some((p, expected)) => check_rows(path, n, p, *expected),
            None => Ok(()),
        };
        let labels_path = file("labels");
        let labels = if labels_path.exists() {
            let y = read_npy_labels(&labels_path)?;
            rows(&labels_path, y.len())?;
            Some(y)
        } else {
            None
        };
        let probs_path = file("probs");
        let probabilities = if probs_path.exists() {
            let p = read_npy_matrix(&probs_path)?;
            rows(&probs_path, p.nrows())?;
            Some(p)
        } else {
            None
        };
        let ids_path = file("ids");
        let ids = if ids_path.exists() {
            let ids = read_npy_ids(&ids_path)?;
            rows(&ids_path, ids.len())?;
            Some(ids)
        } else {
            None
        };
        let images_path = file("images");
        let images = if images_path.exists() {
            let images = mtq_activations::read_npy_features(&images_path)?;
            if !matches!(images.ndim(), 3 | 4) {
                return Err(data_err(DataError::NpyRank {
                    path: images_path,
                    shape: images.shape().to_vec(),
                    expected: "3 (samples x h x w) or 4 (samples x channels x h x w)",
                }));
            }
            rows(&images_path, images.shape()[0])?;
            Some(images)
        } else {
            None
        };
        Ok(Self {
            layers: matrices,
            labels,
            probabilities,
            ids,
            images,
        })
    }

    /// The folder [`Activations::save`] wrote that `path` names (the folder itself, or its
    /// `manifest.json`); `None` for a prefix.
    #[must_use]
    pub fn saved_folder(path: &Path) -> Option<&Path> {
        if path.is_dir() {
            Some(path)
        } else if path.file_name().is_some_and(|n| n == "manifest.json") {
            path.parent()
        } else {
            None
        }
    }

    /// Reads `path` as a set: a saved folder ([`NpySet::saved_folder`], read with
    /// [`NpySet::read_saved`], `layers` as its hidden layers) or a prefix ([`NpySet::read`]).
    ///
    /// # Errors
    /// As [`NpySet::read_saved`] or [`NpySet::read`].
    pub fn read_any(path: &Path, layers: &[String]) -> Result<Self> {
        match Self::saved_folder(path) {
            Some(dir) => Self::read_saved(dir, Some(layers)),
            None => Self::read(path, layers),
        }
    }

    /// Reads the folder [`Activations::save`] wrote (`manifest.json`, one `.npy` per layer,
    /// `labels.npy`, `ids.npy`; `dir` may also be the manifest file itself) as a set: the
    /// hidden layers named in `layers` (all hidden layers, in the manifest's order, with
    /// `None`), the labels and ids, and the class probabilities: the layer of kind
    /// `probabilities` if saved, else the row-wise softmax of the `logits` layer if saved, else
    /// none. No images.
    ///
    /// # Errors
    /// The errors of [`Activations::load`] inside [`SignatureError::Activations`] (each naming
    /// the file); [`ActivationsError::UnknownLayer`] for a name in `layers` that is not a
    /// layer of the folder; [`DataError::NpyEmpty`] (inside [`ActivationsError::Data`]) for a
    /// folder of zero samples.
    pub fn read_saved(dir: impl AsRef<Path>, layers: Option<&[String]>) -> Result<Self> {
        let dir = dir.as_ref();
        let acts = Activations::load(dir)?;
        if acts.n_samples() == 0 {
            return Err(data_err(DataError::NpyEmpty {
                path: dir.to_owned(),
                shape: vec![0],
            }));
        }
        let hidden: Vec<&mtq_activations::Layer> = match layers {
            Some(names) => names
                .iter()
                .map(|name| {
                    acts.layer(name)
                        .ok_or_else(|| ActivationsError::UnknownLayer {
                            name: name.clone(),
                            available: acts.layer_names().into_iter().map(str::to_owned).collect(),
                        })
                })
                .collect::<std::result::Result<_, _>>()?,
            None => acts
                .layers()
                .iter()
                .filter(|l| l.kind() == LayerKind::Hidden)
                .collect(),
        };
        let probabilities = acts.probabilities();
        Ok(Self {
            layers: hidden.iter().map(|l| l.values().to_owned()).collect(),
            labels: Some(acts.labels().to_owned()),
            probabilities,
            ids: Some(acts.ids().to_owned()),
            images: None,
        })
    }

    /// Number of samples (rows of the first layer; 0 without layers).
    #[must_use]
    pub fn n_samples(&self) -> usize {
        self.layers.first().map_or(0, ndarray::ArrayBase::nrows)
    }

    /// Checks a set given in memory as reading its files checks it: one matrix per name of
    /// `layers`, each as wide as `reference`'s, and as many rows in every matrix, label, id
    /// and probability row as in its first layer; not empty.
    ///
    /// # Errors
    /// [`SignatureError::LayerCountMismatch`], [`SignatureError::DimMismatch`] naming the
    /// layer, [`SignatureError::RowMismatch`] naming `set` and the array,
    /// [`SignatureError::Empty`] naming `set`.
    pub fn check_shape(&self, set: &str, layers: &[String], reference: &Self) -> Result<()> {
        if self.layers.len() != layers.len() {
            return Err(SignatureError::LayerCountMismatch {
                expected: layers.len(),
                found: self.layers.len(),
            });
        }
        let n = self.n_samples();
        if n == 0 {
            return Err(SignatureError::Empty {
                what: format!("the {set} set"),
            });
        }
        for ((name, m), r) in layers.iter().zip(&self.layers).zip(&reference.layers) {
            if m.ncols() != r.ncols() {
                return Err(SignatureError::DimMismatch {
                    layer: name.clone(),
                    expected: r.ncols(),
                    found: m.ncols(),
                });
            }
            if m.nrows() != n {
                return Err(SignatureError::RowMismatch {
                    what: format!("{set} set, layer {name}"),
                    expected: n,
                    found: m.nrows(),
                });
            }
        }
        let rows = [
            ("labels", self.labels.as_ref().map(|l| l.len())),
            ("ids", self.ids.as_ref().map(|l| l.len())),
            (
                "probabilities",
                self.probabilities.as_ref().map(|p| p.nrows()),
            ),
            (
                "images",
                self.images
                    .as_ref()
                    .map(|i| i.shape().first().copied().unwrap_or(0)),
            ),
        ];
        if let Some(shape) = self.images.as_ref().map(ndarray::ArrayBase::shape)
            && shape.contains(&0)
        {
            return Err(SignatureError::Empty {
                what: format!("the {set} set's images (shape {shape:?})"),
            });
        }
        for (what, found) in rows {
            if let Some(found) = found.filter(|&f| f != n) {
                return Err(SignatureError::RowMismatch {
                    what: format!("{set} set, {what}"),
                    expected: n,
                    found,
                });
            }
        }
        Ok(())
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

    /// Splits the set in two by rows: `(rest, share)`, where `share` holds a seeded,
    /// stratified share `fraction` of the rows (by label; all rows as one class without labels),
    /// drawn as [`mtq_data::stratified_pick`] (the data sets' own stratified split), both in the
    /// original row order. Ids, probabilities and images follow their rows; a set without ids
    /// gets its row numbers as ids.
    ///
    /// # Errors
    /// [`SignatureError::Activations`] (a [`DataError::InvalidFraction`]) unless
    /// `0 < fraction < 1`.
    pub fn split_share(self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let n = self.n_samples();
        let labels = self
            .labels
            .as_ref()
            .map_or_else(|| vec![0; n], |l| l.to_vec());
        let share = mtq_data::stratified_pick(&labels, fraction, seed).map_err(data_err)?;
        let mut in_share = vec![false; n];
        for &i in &share {
            in_share[i] = true;
        }
        let rest: Vec<usize> = (0..n).filter(|&i| !in_share[i]).collect();
        Ok((self.select_rows(&rest), self.select_rows(&share)))
    }

    fn select_rows(&self, rows: &[usize]) -> Self {
        Self {
            layers: self
                .layers
                .iter()
                .map(|x| x.select(Axis(0), rows))
                .collect(),
            labels: self.labels.as_ref().map(|l| l.select(Axis(0), rows)),
            probabilities: self.probabilities.as_ref().map(|p| p.select(Axis(0), rows)),
            // rows keep their identity: their ids, or their row numbers in the file
            ids: Some(
                self.ids
                    .as_ref()
                    .map_or_else(|| Array1::from(rows.to_vec()), |v| v.select(Axis(0), rows)),
            ),
            images: self.images.as_ref().map(|v| v.select(Axis(0), rows)),
        }
    }

    /// The set as [`Samples`] (labels, probabilities and ids included when present).
    #[must_use]
    pub fn samples(&self) -> Samples<'_> {
        let mut s = Samples::new(self.layers.iter().map(|x| x.view()).collect());
        if let Some(l) = &self.labels {
            s = s.labels(l.view());
        }
        if let Some(p) = &self.probabilities {
            s = s.probabilities(p.view());
        }
        if let Some(ids) = &self.ids {
            s = s.ids(ids.view());
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

#[cfg(test)]
mod tests {
    use mtq_activations::Layer;
    use mtq_data::npy::write_npy;
    use ndarray::{Array3, Array4, array};

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mtq-npyset-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names() -> Vec<String> {
        vec!["h1".into(), "h2".into()]
    }

    fn write_set(dir: &Path, n: usize) {
        let h1 = Array2::from_shape_fn((n, 3), |(i, j)| (i * 3 + j) as f32);
        let h2 = Array2::from_shape_fn((n, 2), |(i, j)| (i + j) as f64 * 0.5);
        write_npy(dir.join("s_h1.npy"), &h1).unwrap();
        write_npy(dir.join("s_h2.npy"), &h2).unwrap();
        write_npy(
            dir.join("s_labels.npy"),
            &Array1::from_iter((0..n).map(|i| (i % 2) as i64)),
        )
        .unwrap();
    }

    fn inner(e: &SignatureError) -> &DataError {
        match e {
            SignatureError::Activations(ActivationsError::Data(d)) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ids_and_images_are_read_and_checked_against_the_rows() {
        let dir = scratch("ids");
        write_set(&dir, 4);
        let set = NpySet::read(dir.join("s"), &names()).unwrap();
        assert_eq!((set.ids.as_ref(), set.images.as_ref()), (None, None));
        write_npy(dir.join("s_ids.npy"), &array![10u64, 11, 12, 13]).unwrap();
        let images = Array3::from_shape_fn((4, 2, 2), |(i, j, k)| (i * 4 + j * 2 + k) as u8);
        write_npy(dir.join("s_images.npy"), &images).unwrap();
        let set = NpySet::read(dir.join("s"), &names()).unwrap();
        assert_eq!(set.ids.as_ref().unwrap().to_vec(), [10, 11, 12, 13]);
        assert_eq!(
            set.images.as_ref().unwrap(),
            &images.mapv(f32::from).into_dyn()
        );
        assert_eq!(set.samples().len(), 4);
        // channels first, float
        let rgb = Array4::<f32>::zeros((4, 3, 2, 2));
        write_npy(dir.join("s_images.npy"), &rgb).unwrap();
        let set = NpySet::read(dir.join("s"), &names()).unwrap();
        assert_eq!(set.images.unwrap().shape(), [4, 3, 2, 2]);
        // wrong counts and ranks name the file
        write_npy(dir.join("s_images.npy"), &Array3::<u8>::zeros((3, 2, 2))).unwrap();
        let err = NpySet::read(dir.join("s"), &names()).unwrap_err();
        assert!(
            matches!(inner(&err), DataError::NpyRows { path, rows: 3, expected: 4, .. }
                if path.ends_with("s_images.npy")),
            "{err:?}"
        );
        write_npy(dir.join("s_images.npy"), &Array2::<u8>::zeros((4, 4))).unwrap();
        let err = NpySet::read(dir.join("s"), &names()).unwrap_err();
        assert!(matches!(inner(&err), DataError::NpyRank { .. }), "{err:?}");
        std::fs::remove_file(dir.join("s_images.npy")).unwrap();
        write_npy(dir.join("s_ids.npy"), &array![1i32, 2, 3]).unwrap();
        let err = NpySet::read(dir.join("s"), &names()).unwrap_err();
        assert!(err.to_string().contains("s_ids.npy"), "{err}");
        write_npy(dir.join("s_ids.npy"), &array![1i32, -2, 3, 4]).unwrap();
        let err = NpySet::read(dir.join("s"), &names()).unwrap_err();
        assert!(
            matches!(
                inner(&err),
                DataError::NpyLabel {
                    what: "ids",
                    row: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        std::fs::remove_file(dir.join("s_ids.npy")).unwrap();
        // a layer with another row count
        write_npy(dir.join("s_h2.npy"), &Array2::<f32>::zeros((5, 2))).unwrap();
        let err = NpySet::read(dir.join("s"), &names()).unwrap_err();
        assert!(
            matches!(inner(&err), DataError::NpyRows { path, reference, .. }
                if path.ends_with("s_h2.npy") && reference.ends_with("s_h1.npy")),
            "{err:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_empty_file_and_text_labels_say_so() {
        let dir = scratch("empty");
        write_set(&dir, 0);
        let err = NpySet::read(dir.join("s"), &names()).unwrap_err();
        assert!(
            matches!(inner(&err), DataError::NpyEmpty { path, .. } if path.ends_with("s_h1.npy")),
            "{err:?}"
        );
        assert!(err.to_string().contains("empty"), "{err}");
        write_set(&dir, 2);
        // np.save("s_labels.npy", np.array(["cat", "dog"])): dtype <U3
        let text: Vec<u8> = "catdog"
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes())
            .collect();
        let bytes = mtq_testkit::raw_npy(
            "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
            &text,
        );
        std::fs::write(dir.join("s_labels.npy"), bytes).unwrap();
        let err = NpySet::read(dir.join("s"), &names()).unwrap_err();
        assert!(
            matches!(inner(&err), DataError::NpyTextLabels { .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("s_labels.npy") && text.contains("text") && text.contains("integer"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_saved_activations_folder_reads_back_as_the_same_arrays() {
        let dir = scratch("saved");
        let h1 = Array2::from_shape_fn((5, 3), |(i, j)| i as f32 - j as f32 * 0.25);
        let h2 = Array2::from_shape_fn((5, 2), |(i, j)| (i * j) as f32 + 0.5);
        let logits =
            Array2::from_shape_fn((5, 2), |(i, j)| if (i + j) % 2 == 0 { 2.0 } else { -1.0 });
        // the softmax of each row, shifted by its maximum
        let probs = Array2::from_shape_fn((5, 2), |(i, j)| {
            let row = logits.row(i);
            let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            (row[j] - max).exp() / row.iter().map(|&v| (v - max).exp()).sum::<f32>()
        });
        let acts = Activations::new(
            vec![
                Layer::new("h1", h1.clone()),
                Layer::new("h2", h2.clone()),
                Layer::new("logits", logits.clone()).with_kind(LayerKind::Logits),
                Layer::new("probs", probs.clone()).with_kind(LayerKind::Probabilities),
            ],
            array![1, 0, 1, 1, 0],
            array![40, 41, 42, 43, 44],
        )
        .unwrap();
        acts.save(&dir).unwrap();
        let set = NpySet::read_saved(&dir, None).unwrap();
        assert_eq!(set.layers, [h1.clone(), h2.clone()]);
        assert_eq!(set.labels.as_ref().unwrap(), &array![1, 0, 1, 1, 0]);
        assert_eq!(set.ids.as_ref().unwrap(), &array![40, 41, 42, 43, 44]);
        assert_eq!(set.probabilities.as_ref().unwrap(), &probs);
        assert_eq!(set.images, None);
        // chosen layers, in the order asked; the manifest file itself as the path
        let only = NpySet::read_saved(dir.join("manifest.json"), Some(&["h2".into(), "h1".into()]))
            .unwrap();
        assert_eq!(only.layers, [h2, h1]);
        let err = NpySet::read_saved(&dir, Some(&["h9".into()])).unwrap_err();
        assert!(
            matches!(&err, SignatureError::Activations(ActivationsError::UnknownLayer { name, .. }) if name == "h9"),
            "{err:?}"
        );
        // without the probabilities, the softmax of the logits stands in
        let no_probs = acts.select_layers(&["h1", "h2", "logits"]).unwrap();
        let dir2 = scratch("saved-logits");
        no_probs.save(&dir2).unwrap();
        let set = NpySet::read_saved(&dir2, None).unwrap();
        assert_eq!(set.probabilities.unwrap(), probs);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&dir2);
    }
}
