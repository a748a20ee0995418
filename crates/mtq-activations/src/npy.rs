//! Portable storage: one `.npy` file per layer plus labels, ids and a small JSON manifest.
//!
//! A directory written by [`Activations::save`] holds
//!
//! ```text
//! manifest.json        {"format": "mtq-activations", "version": 1, "n_samples": 1755,
//!                       "dtype": "float32", "labels": "labels.npy", "ids": "ids.npy",
//!                       "layers": [{"name": "h1", "index": 0, "kind": "hidden",
//!                                   "width": 32, "file": "layer0-h1.npy"}, ...]}
//! layer0-h1.npy        float32, n_samples x 32, C order
//! labels.npy, ids.npy  uint64, n_samples
//! ```
//!
//! To bring activations from PyTorch or Keras, write the same with numpy (`np.save`) and a
//! hand-written manifest: `format`, `version`, `dtype`, `ids`, `index` and `kind` may be left
//! out (ids default to `0..n`, index to the layer's position, kind to `hidden`). Layers may be
//! `float32` or `float64` (converted to `f32`; a finite value beyond `f32`'s range is an error),
//! in C or Fortran order; labels and ids any integer dtype with non-negative values, or
//! whole-valued floats (labels at most [`MAX_LABEL`](crate::MAX_LABEL)).
//!
//! Hostile files: every `.npy` header is checked against the file's size before an array is
//! allocated (a header claiming 16 GB in a 10 KB file is a
//! [`DataError::NpySize`](mtq_data::DataError::NpySize)), by the project's one reader
//! ([`mtq_data::npy`]),
//! and the manifest is read only up to [`MAX_MANIFEST_BYTES`].

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::activations::{Activations, Layer};
use crate::error::{ActivationsError, Result};
use crate::layer::LayerKind;

/// The `format` string of a manifest.
pub const MANIFEST_FORMAT: &str = "mtq-activations";
/// The manifest version this crate writes and reads.
pub const MANIFEST_VERSION: u32 = 1;
/// File name of the manifest inside a saved directory.
pub const MANIFEST_FILE: &str = "manifest.json";

fn default_format() -> String {
    MANIFEST_FORMAT.to_owned()
}

fn default_version() -> u32 {
    MANIFEST_VERSION
}

/// The JSON manifest of a saved [`Activations`] set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `"mtq-activations"`.
    #[serde(default = "default_format")]
    pub format: String,
    /// Format version, 1.
    #[serde(default = "default_version")]
    pub version: u32,
    /// Number of samples: rows of every layer, length of labels and ids.
    pub n_samples: usize,
    /// `"float32"` or `"float64"`: the dtype of every layer file (checked if present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    /// File of the labels (1-D, integers).
    pub labels: String,
    /// File of the ids (1-D, integers); ids are `0..n` without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<String>,
    /// The layers, in order.
    pub layers: Vec<ManifestLayer>,
}

/// One layer's entry in a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestLayer {
    /// Layer name (unique).
    pub name: String,
    /// Index of the layer among the model's outputs; its position in the list without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Kind of the layer (`hidden`, `logits`, `probabilities`), `hidden` without it.
    #[serde(default)]
    pub kind: LayerKind,
    /// Number of units (columns).
    pub width: usize,
    /// The `.npy` file, relative to the manifest's directory.
    pub file: String,
}

/// Keeps `[A-Za-z0-9_.-]`, replaces anything else by `_`.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_npy<T, D>(path: &Path, array: &ndarray::ArrayBase<T, D>) -> Result<()>
where
    T: ndarray::Data,
    T::Elem: mtq_data::npy::NpyElement,
    D: ndarray::Dimension,
{
    Ok(mtq_data::npy::write_npy(path, array)?)
}

/// Reads a 2-D `.npy` file as an `f32` matrix and returns its dtype (numpy's name) too.
fn read_matrix_dtype(path: &Path) -> Result<(Array2<f32>, String)> {
    let header = mtq_data::npy::read_header(path)?;
    Ok((mtq_data::npy::read_npy_matrix(path)?, header.dtype))
}

/// Reads a 2-D `.npy` file of `float32` or `float64` values (or integers; C or Fortran order,
/// either byte order) as an `f32` matrix in standard layout; e.g. one layer's activations
/// exported with `np.save`. The one reader of `mtq_data::npy` ([`mtq_data::npy::read_npy_matrix`]).
///
/// The header is checked against the file's size before anything is allocated, so a file whose
/// header claims more data than it holds fails without allocating the claim. NaN and infinities
/// are kept ([`Activations::new`] reports them with the layer's name).
///
/// # Errors
/// [`ActivationsError::Data`] naming the file: [`DataError::Io`](mtq_data::DataError::Io),
/// [`DataError::NpyHeader`](mtq_data::DataError::NpyHeader),
/// [`DataError::NpySize`](mtq_data::DataError::NpySize) (a header promising more data than the
/// file holds), [`DataError::NpyRank`](mtq_data::DataError::NpyRank) for another rank,
/// [`DataError::NpyDtype`](mtq_data::DataError::NpyDtype) for another dtype,
/// [`DataError::NpyF32Range`](mtq_data::DataError::NpyF32Range) for a finite `float64` value
/// beyond `f32`'s range.
pub fn read_npy_matrix(path: impl AsRef<Path>) -> Result<Array2<f32>> {
    Ok(mtq_data::npy::read_npy_matrix(path)?)
}

/// Reads an `.npy` file of any rank of integers or floats as `f32` in standard layout (e.g. a
/// set's images, `n x h x w` or `n x c x h x w`, uint8 or float): [`mtq_data::npy::read_npy_features`].
///
/// # Errors
/// As [`read_npy_matrix`] (any rank, integer dtypes accepted), and
/// [`DataError::NpyNonFinite`](mtq_data::DataError::NpyNonFinite) for a NaN or infinity.
pub fn read_npy_features(path: impl AsRef<Path>) -> Result<ndarray::ArrayD<f32>> {
    Ok(mtq_data::npy::read_npy_features(path)?)
}

/// Reads a 1-D `.npy` file of labels (class indices) under the project's one label rule
/// ([`mtq_data::npy::read_npy_labels`]): integer dtypes as they are, `float32`/`float64` when
/// every value is a whole number (`1.0` becomes `1`), every value in `0..=`[`MAX_LABEL`](crate::MAX_LABEL). Use
/// [`read_npy_ids`] for sample ids, which may be larger.
///
/// # Errors
/// [`ActivationsError::Data`] naming the file: the header and size errors of
/// [`read_npy_matrix`]; [`DataError::NpyTextLabels`](mtq_data::DataError::NpyTextLabels) for
/// text labels; [`DataError::NpyRank`](mtq_data::DataError::NpyRank) if not 1-D;
/// [`DataError::NpyDtype`](mtq_data::DataError::NpyDtype) (e.g. `bool`);
/// [`DataError::NpyLabel`](mtq_data::DataError::NpyLabel) naming the row and value of a label
/// that is negative, fractional, not finite or above [`MAX_LABEL`](crate::MAX_LABEL).
pub fn read_npy_labels(path: impl AsRef<Path>) -> Result<Array1<usize>> {
    Ok(mtq_data::npy::read_npy_labels(path)?)
}

/// Reads a 1-D `.npy` file of sample ids: the rule of [`read_npy_labels`] without
/// [`MAX_LABEL`](crate::MAX_LABEL)'s bound.
///
/// # Errors
/// As [`read_npy_labels`].
pub fn read_npy_ids(path: impl AsRef<Path>) -> Result<Array1<usize>> {
    Ok(mtq_data::npy::read_npy_ids(path)?)
}

/// `dir.join(file)` if `file` is a plain relative path without `..`.
fn resolve(manifest_path: &Path, dir: &Path, file: &str) -> Result<PathBuf> {
    let rel = Path::new(file);
    let plain = !file.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(ActivationsError::ManifestFileName {
            path: manifest_path.to_owned(),
            file: file.to_owned(),
        });
    }
    Ok(dir.join(rel))
}

fn check_len(path: &Path, expected: usize, found: usize) -> Result<()> {
    if expected != found {
        return Err(ActivationsError::ShapeMismatch {
            path: path.to_owned(),
            expected: vec![expected],
            found: vec![found],
        });
    }
    Ok(())
}

/// Largest manifest read, in bytes (16 MiB: about 100,000 layers).
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

fn read_manifest_text(path: &Path) -> Result<String> {
    let io = |source| ActivationsError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(file, MAX_MANIFEST_BYTES + 1),
        &mut text,
    )
    .map_err(io)?;
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ActivationsError::ManifestTooLarge {
            path: path.to_owned(),
            max: MAX_MANIFEST_BYTES,
        });
    }
    Ok(text)
}

impl Manifest {
    /// Parses and checks a manifest's JSON text (`path` names it in errors): the format, the
    /// version and the dtype if stated. The files it names are not opened.
    ///
    /// # Errors
    /// [`ActivationsError::ManifestJson`], [`ActivationsError::ManifestFormat`],
    /// [`ActivationsError::ManifestVersion`], [`ActivationsError::ManifestDtype`].
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|source| ActivationsError::ManifestJson {
                path: path.to_owned(),
                source,
            })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(ActivationsError::ManifestFormat {
                path: path.to_owned(),
                found: manifest.format,
            });
        }
        if manifest.version != MANIFEST_VERSION {
            return Err(ActivationsError::ManifestVersion {
                path: path.to_owned(),
                found: manifest.version,
                supported: MANIFEST_VERSION,
            });
        }
        if let Some(dtype) = &manifest.dtype
            && dtype != "float32"
            && dtype != "float64"
        {
            return Err(ActivationsError::ManifestDtype {
                path: path.to_owned(),
                dtype: dtype.clone(),
            });
        }
        Ok(manifest)
    }
}

impl Activations {
    /// The manifest [`Activations::save`] writes for this set.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.to_owned(),
            version: MANIFEST_VERSION,
            n_samples: self.n_samples(),
            dtype: Some("float32".to_owned()),
            labels: "labels.npy".to_owned(),
            ids: Some("ids.npy".to_owned()),
            layers: self
                .layers()
                .iter()
                .enumerate()
                .map(|(position, layer)| ManifestLayer {
                    name: layer.name().to_owned(),
                    index: Some(layer.index()),
                    kind: layer.kind(),
                    width: layer.width(),
                    file: format!("layer{position}-{}.npy", file_stem(layer.name())),
                })
                .collect(),
        }
    }

    /// Saves the set into directory `dir` (created if missing): one `float32` `.npy` per layer,
    /// `labels.npy` and `ids.npy` (`uint64`), and `manifest.json`; see the [module
    /// docs](crate::npy). Existing files of the same names are overwritten. Returns the
    /// manifest's path.
    ///
    /// # Errors
    /// [`ActivationsError::Io`] (with the path) if the directory or a file cannot be written;
    /// [`ActivationsError::Data`] ([`DataError::Write`](mtq_data::DataError::Write)) if an
    /// `.npy` file cannot be written.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<PathBuf> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| ActivationsError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let manifest = self.manifest();
        for (layer, entry) in self.layers().iter().zip(&manifest.layers) {
            write_npy(&dir.join(&entry.file), &layer.values())?;
        }
        write_npy(
            &dir.join(&manifest.labels),
            &self.labels().mapv(|v| v as u64),
        )?;
        if let Some(ids) = &manifest.ids {
            write_npy(&dir.join(ids), &self.ids().mapv(|v| v as u64))?;
        }
        let path = dir.join(MANIFEST_FILE);
        let json = serde_json::to_string_pretty(&manifest).map_err(|source| {
            ActivationsError::ManifestJson {
                path: path.clone(),
                source,
            }
        })?;
        std::fs::write(&path, json + "\n").map_err(|source| ActivationsError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Loads a set saved by [`Activations::save`] or written with numpy: `path` is the
    /// directory holding `manifest.json`, or the manifest file itself.
    ///
    /// Every file is checked against the manifest: shape `n_samples x width` for layers,
    /// `n_samples` for labels and ids, the dtype if stated; then as [`Activations::new`].
    ///
    /// # Errors
    /// [`ActivationsError::Io`] with the file's path;
    /// [`ActivationsError::ManifestJson`], [`ActivationsError::ManifestVersion`],
    /// [`ActivationsError::ManifestFileName`] (a path leaving the directory),
    /// [`ActivationsError::ManifestDtype`], [`ActivationsError::DtypeMismatch`],
    /// [`ActivationsError::ShapeMismatch`], [`ActivationsError::ManifestTooLarge`];
    /// [`ActivationsError::Data`] for an `.npy` file the reader refuses (header, size, dtype,
    /// rank, a label refused by the one label rule: see [`read_npy_labels`]); and the
    /// errors of [`Activations::new`] (no layers, duplicate names, NaN or infinity).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let manifest_path = if path.is_dir() {
            path.join(MANIFEST_FILE)
        } else {
            path.to_owned()
        };
        let dir = manifest_path.parent().unwrap_or(Path::new(".")).to_owned();
        let text = read_manifest_text(&manifest_path)?;
        let manifest = Manifest::from_json(&text, &manifest_path)?;
        let n = manifest.n_samples;
        let labels_path = resolve(&manifest_path, &dir, &manifest.labels)?;
        let labels = read_npy_labels(&labels_path)?;
        check_len(&labels_path, n, labels.len())?;
        let ids = match &manifest.ids {
            Some(file) => {
                let ids_path = resolve(&manifest_path, &dir, file)?;
                let ids = read_npy_ids(&ids_path)?;
                check_len(&ids_path, n, ids.len())?;
                ids
            }
            None => Array1::from_iter(0..n),
        };
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for (position, entry) in manifest.layers.iter().enumerate() {
            let file = resolve(&manifest_path, &dir, &entry.file)?;
            let (values, dtype) = read_matrix_dtype(&file)?;
            if let Some(expected) = &manifest.dtype
                && *expected != dtype
            {
                return Err(ActivationsError::DtypeMismatch {
                    path: file,
                    expected: expected.clone(),
                    found: dtype,
                });
            }
            if values.dim() != (n, entry.width) {
                return Err(ActivationsError::ShapeMismatch {
                    path: file,
                    expected: vec![n, entry.width],
                    found: values.shape().to_vec(),
                });
            }
            layers.push(
                Layer::new(entry.name.clone(), values)
                    .with_index(entry.index.unwrap_or(position))
                    .with_kind(entry.kind),
            );
        }
        Activations::new(layers, labels, ids)
    }
}
