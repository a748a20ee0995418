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
//! `float32` or `float64` (converted to `f32`), in C or Fortran order; labels and ids any
//! integer dtype with non-negative values.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Component, Path, PathBuf};

use ndarray::{Array1, Array2, Ix1, Ix2};
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement, WriteNpyExt};
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

fn write_npy<T: WriteNpyExt>(path: &Path, array: &T) -> Result<()> {
    let file = File::create(path).map_err(|source| ActivationsError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut writer = BufWriter::new(file);
    array
        .write_npy(&mut writer)
        .map_err(|source| ActivationsError::NpyWrite {
            path: path.to_owned(),
            source,
        })?;
    // write_npy flushes; drop closes
    Ok(())
}

fn open(path: &Path) -> Result<BufReader<File>> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|source| ActivationsError::Io {
            path: path.to_owned(),
            source,
        })
}

/// Reads an `.npy` file as `T`; `Ok(None)` if its dtype is not `T`'s.
fn read_as<T: ReadNpyExt>(path: &Path) -> Result<Option<T>> {
    match T::read_npy(open(path)?) {
        Ok(a) => Ok(Some(a)),
        Err(ReadNpyError::WrongDescriptor(_)) => Ok(None),
        Err(source) => Err(ActivationsError::NpyRead {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Reads a 2-D `float32` or `float64` `.npy` file (C or Fortran order) as a standard-layout
/// `f32` matrix; also returns the dtype found (`"float32"` or `"float64"`).
fn read_matrix_dtype(path: &Path) -> Result<(Array2<f32>, &'static str)> {
    let (a, dtype) = match read_as::<Array2<f32>>(path)? {
        Some(a) => (a, "float32"),
        None => match read_as::<Array2<f64>>(path)? {
            Some(a) => (a.mapv(|v| v as f32), "float64"),
            None => {
                // report the descriptor error of the f32 attempt
                return Err(npy_error::<f32, Ix2>(path));
            }
        },
    };
    let a = if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    };
    Ok((a, dtype))
}

/// The error of reading `path` as an array of `T`.
fn npy_error<T: ReadableElement, D: ndarray::Dimension>(path: &Path) -> ActivationsError {
    match open(path) {
        Err(e) => e,
        Ok(reader) => match ndarray::Array::<T, D>::read_npy(reader) {
            Err(source) => ActivationsError::NpyRead {
                path: path.to_owned(),
                source,
            },
            Ok(_) => ActivationsError::NpyRead {
                path: path.to_owned(),
                source: ReadNpyError::MissingData,
            },
        },
    }
}

/// Reads a 2-D `.npy` file of `float32` or `float64` values (C or Fortran order) as an `f32`
/// matrix in standard layout; e.g. one layer's activations exported with `np.save`.
///
/// # Errors
/// [`ActivationsError::Io`] if the file cannot be opened; [`ActivationsError::NpyRead`] for a
/// bad header, another dtype, another rank, or a truncated file.
pub fn read_npy_matrix(path: impl AsRef<Path>) -> Result<Array2<f32>> {
    Ok(read_matrix_dtype(path.as_ref())?.0)
}

/// Reads a 1-D `.npy` file of integers (any of `int8`..`int64`, `uint8`..`uint64`) as labels.
///
/// # Errors
/// [`ActivationsError::Io`], [`ActivationsError::NpyRead`] (bad header, non-integer dtype,
/// another rank, truncated), [`ActivationsError::NegativeLabel`].
pub fn read_npy_labels(path: impl AsRef<Path>) -> Result<Array1<usize>> {
    let path = path.as_ref();
    fn signed<T: Copy + Into<i64>>(path: &Path, a: Array1<T>) -> Result<Array1<usize>> {
        a.iter()
            .enumerate()
            .map(|(index, &v)| {
                let value: i64 = v.into();
                usize::try_from(value).map_err(|_| ActivationsError::NegativeLabel {
                    path: path.to_owned(),
                    index,
                    value,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Array1::from)
    }
    fn unsigned<T: Copy + Into<u64>>(path: &Path, a: Array1<T>) -> Result<Array1<usize>> {
        a.iter()
            .enumerate()
            .map(|(index, &v)| {
                let value: u64 = v.into();
                usize::try_from(value).map_err(|_| ActivationsError::NegativeLabel {
                    path: path.to_owned(),
                    index,
                    value: i64::try_from(value).unwrap_or(i64::MAX),
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Array1::from)
    }
    if let Some(a) = read_as::<Array1<i64>>(path)? {
        return signed(path, a);
    }
    if let Some(a) = read_as::<Array1<u64>>(path)? {
        return unsigned(path, a);
    }
    if let Some(a) = read_as::<Array1<i32>>(path)? {
        return signed(path, a);
    }
    if let Some(a) = read_as::<Array1<u32>>(path)? {
        return unsigned(path, a);
    }
    if let Some(a) = read_as::<Array1<i16>>(path)? {
        return signed(path, a);
    }
    if let Some(a) = read_as::<Array1<u16>>(path)? {
        return unsigned(path, a);
    }
    if let Some(a) = read_as::<Array1<i8>>(path)? {
        return signed(path, a);
    }
    if let Some(a) = read_as::<Array1<u8>>(path)? {
        return unsigned(path, a);
    }
    Err(npy_error::<i64, Ix1>(path))
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
    /// [`ActivationsError::NpyWrite`].
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
    /// [`ActivationsError::Io`] and [`ActivationsError::NpyRead`] with the file's path;
    /// [`ActivationsError::ManifestJson`], [`ActivationsError::ManifestVersion`],
    /// [`ActivationsError::ManifestFileName`] (a path leaving the directory),
    /// [`ActivationsError::ManifestDtype`], [`ActivationsError::DtypeMismatch`],
    /// [`ActivationsError::ShapeMismatch`], [`ActivationsError::NegativeLabel`]; and the
    /// errors of [`Activations::new`] (no layers, duplicate names, NaN or infinity).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let manifest_path = if path.is_dir() {
            path.join(MANIFEST_FILE)
        } else {
            path.to_owned()
        };
        let dir = manifest_path.parent().unwrap_or(Path::new(".")).to_owned();
        let text =
            std::fs::read_to_string(&manifest_path).map_err(|source| ActivationsError::Io {
                path: manifest_path.clone(),
                source,
            })?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|source| ActivationsError::ManifestJson {
                path: manifest_path.clone(),
                source,
            })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(ActivationsError::ManifestFormat {
                path: manifest_path,
                found: manifest.format,
            });
        }
        if manifest.version != MANIFEST_VERSION {
            return Err(ActivationsError::ManifestVersion {
                path: manifest_path,
                found: manifest.version,
                supported: MANIFEST_VERSION,
            });
        }
        if let Some(dtype) = &manifest.dtype
            && dtype != "float32"
            && dtype != "float64"
        {
            return Err(ActivationsError::ManifestDtype {
                path: manifest_path,
                dtype: dtype.clone(),
            });
        }
        let n = manifest.n_samples;
        let labels_path = resolve(&manifest_path, &dir, &manifest.labels)?;
        let labels = read_npy_labels(&labels_path)?;
        check_len(&labels_path, n, labels.len())?;
        let ids = match &manifest.ids {
            Some(file) => {
                let ids_path = resolve(&manifest_path, &dir, file)?;
                let ids = read_npy_labels(&ids_path)?;
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
                && expected != dtype
            {
                return Err(ActivationsError::DtypeMismatch {
                    path: file,
                    expected: expected.clone(),
                    found: dtype.to_owned(),
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
