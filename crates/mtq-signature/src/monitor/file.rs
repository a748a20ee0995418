//! One file per fitted [`PathMonitor`]: [`PathMonitor::save`] / [`PathMonitor::load`] (and
//! [`PathMonitor::to_bytes`] / [`PathMonitor::from_bytes`] in memory).
//!
//! The format is documented on [`PathMonitor::to_bytes`].
//!
//! Loading ([`PathMonitor::load`], [`PathMonitor::from_bytes`]) checks every byte before a
//! monitor exists (`read`): it never panics, and it allocates at most a small multiple of the
//! file's size whatever the file claims. Tests: `tests/monitor_file.rs` (round trip, refusals)
//! and `tests/fuzz_monitor.rs`.

mod error;
mod manifest;
mod read;
mod rules;
mod tensors;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use ndarray::ArrayView2;
use safetensors::{Dtype, View};

pub use error::MonitorFileError;
use manifest::{FORMAT_VERSION, LayerEntry, MANIFEST_KEY, Manifest, SCORE_RULE, TailScales};

use super::{Calibrations, PathMonitor};

/// One tensor to write: dtype, shape and little-endian bytes.
struct Tensor {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for Tensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn f32_matrix(a: ArrayView2<'_, f32>) -> Tensor {
    Tensor {
        dtype: Dtype::F32,
        shape: vec![a.nrows(), a.ncols()],
        data: a.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

fn f32_vector(v: &[f32]) -> Tensor {
    Tensor {
        dtype: Dtype::F32,
        shape: vec![v.len()],
        data: v.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

fn f64_vector(v: &[f64]) -> Tensor {
    Tensor {
        dtype: Dtype::F64,
        shape: vec![v.len()],
        data: v.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

/// The tensors of one score's calibrations, under `base` and `base.class.c`.
fn calibration_tensors(out: &mut Vec<(String, Tensor)>, base: &str, cal: &Calibrations) {
    out.push((base.to_owned(), f64_vector(cal.pooled.scores())));
    for (c, own) in cal.by_class.iter().enumerate() {
        if let Some(own) = own {
            out.push((format!("{base}.class.{c}"), f64_vector(own.scores())));
        }
    }
}

impl PathMonitor {
    /// The manifest of this monitor.
    fn manifest(&self) -> Manifest {
        let reference_per_class = (0..self.class_names.len())
            .map(|c| {
                self.neighbours
                    .first()
                    .and_then(|nb| nb.class_rows(c))
                    .map_or(0, |rows| rows.nrows())
            })
            .collect();
        Manifest {
            format_version: FORMAT_VERSION,
            mtq_version: env!("CARGO_PKG_VERSION").to_owned(),
            score_rule: SCORE_RULE.to_owned(),
            alpha: self.settings.alpha,
            class_conditional: self.settings.class_conditional,
            dknn_k_asked: self.settings.dknn_k,
            dknn_k: self.dknn_k,
            n_reference: self.n_reference,
            n_calibration: self.n_calibration,
            class_names: self.class_names.clone(),
            reference_per_class,
            layers: self
                .maps
                .iter()
                .enumerate()
                .map(|(l, map)| LayerEntry {
                    name: self.layer_names[l].clone(),
                    width: map.preparation.input_dim(),
                    prepared_width: map.preparation.output_dim(),
                    k: map.centroids.nrows(),
                    cluster_names: self.cluster_names[l].clone(),
                    preparation: map.preparation.preparation(),
                    scale: map.scale,
                    calibration: TailScales::of(&self.layer_calibration[l]),
                    combined: self.combined_layers[l],
                })
                .collect(),
            combined: TailScales::of(&self.combined),
            credibility: self.credibility.as_ref().map(|c| c.tail_scale()),
            n_paths: self.path_counts.len(),
            network: self.network.clone(),
        }
    }

    /// Every tensor of this monitor's file, named as [`PathMonitor::to_bytes`] lists them.
    fn tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (l, (map, nb)) in self.maps.iter().zip(&self.neighbours).enumerate() {
            out.push((
                format!("layer.{l}.centroids"),
                f32_matrix(map.centroids.view()),
            ));
            let parts = map.preparation.parts();
            for (name, part) in [("mean", &parts.mean), ("scale", &parts.scale)]
                .into_iter()
                .chain([("variance", &parts.variance)])
            {
                if let Some(v) = part {
                    out.push((
                        format!("layer.{l}.preparation.{name}"),
                        f32_vector(&v.to_vec()),
                    ));
                }
            }
            if let Some(c) = &parts.components {
                out.push((
                    format!("layer.{l}.preparation.components"),
                    f32_matrix(c.view()),
                ));
            }
            for c in 0..self.class_names.len() {
                if let Some(rows) = nb.class_rows(c) {
                    out.push((format!("layer.{l}.class.{c}.rows"), f32_matrix(rows)));
                }
            }
            calibration_tensors(
                &mut out,
                &format!("layer.{l}.calibration"),
                &self.layer_calibration[l],
            );
        }
        calibration_tensors(&mut out, "combined.calibration", &self.combined);
        if let Some(cred) = &self.credibility {
            out.push(("credibility.calibration".into(), f64_vector(cred.scores())));
        }
        let n_layers = self.maps.len();
        out.push((
            "paths.clusters".into(),
            Tensor {
                dtype: Dtype::U32,
                shape: vec![self.path_counts.len(), n_layers],
                data: self
                    .path_counts
                    .keys()
                    .flatten()
                    .flat_map(|&c| u32::try_from(c).unwrap_or(u32::MAX).to_le_bytes())
                    .collect(),
            },
        ));
        out.push((
            "paths.counts".into(),
            Tensor {
                dtype: Dtype::U64,
                shape: vec![self.path_counts.len()],
                data: self
                    .path_counts
                    .values()
                    .flat_map(|&n| (n as u64).to_le_bytes())
                    .collect(),
            },
        ));
        out
    }

    /// The monitor's file, in memory: what [`PathMonitor::save`] writes. About `4 x` (reference
    /// rows x prepared widths, summed over the layers) plus `8 x` calibration scores bytes.
    ///
    /// The file is a [safetensors](https://huggingface.co/docs/safetensors) file: its
    /// `__metadata__` map holds the JSON manifest under the key `mtq_monitor` (format version,
    /// the mtq-signature version that wrote it, the score rule `knn1-conformal-fisher-nonredundant`, `alpha`,
    /// the class-conditional switch, the Deep k-NN `k` asked for and used, the reference and
    /// calibration counts, the class names with their reference counts, and per layer its name,
    /// widths, `k`, cluster names, preparation, power-of-two scale and the tail scales of its
    /// calibrations; optionally the `network` the monitor was fitted through, a
    /// [`NetworkRecord`](super::NetworkRecord)). The arrays are little-endian tensors, `l` a layer and `c` a class index:
    ///
    /// | tensor | dtype | shape |
    /// |---|---|---|
    /// | `layer.l.centroids` | F32 | `k x prepared_width` |
    /// | `layer.l.preparation.{mean,scale,variance}` | F32 | `width` (as the preparation uses them) |
    /// | `layer.l.preparation.components` | F32 | `dims x width` (PCA) |
    /// | `layer.l.class.c.rows` | F32 | `reference rows of c x prepared_width` |
    /// | `layer.l.calibration` | F64 | `n_calibration`, ascending |
    /// | `layer.l.calibration.class.c` | F64 | that class's calibration inputs (Mondrian) |
    /// | `combined.calibration`, `combined.calibration.class.c` | F64 | as above |
    /// | `credibility.calibration` | F64 | `n_calibration` (with Deep k-NN) |
    /// | `paths.clusters` | U32 | `paths x layers` |
    /// | `paths.counts` | U64 | `paths` |
    ///
    ///
    /// # Panics
    /// If the safetensors header would pass the format's 100 MB limit: names totalling about
    /// 100 MB.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let manifest = serde_json::to_string(&self.manifest())
            .unwrap_or_else(|e| panic!("the monitor manifest is plain JSON: {e}"));
        let metadata = HashMap::from([(MANIFEST_KEY.to_owned(), manifest)]);
        safetensors::serialize(self.tensors(), Some(metadata))
            .unwrap_or_else(|e| panic!("the monitor's safetensors header is too large: {e}"))
    }

    /// Writes the monitor to `path` as one file ([`PathMonitor::to_bytes`]), through a
    /// hidden sibling file renamed into place, so a failed save never leaves half a monitor
    /// under `path`.
    ///
    /// # Errors
    /// [`MonitorFileError::Io`] naming the file that could not be written or renamed.
    ///
    /// # Panics
    /// As [`PathMonitor::to_bytes`].
    pub fn save(&self, path: &Path) -> Result<(), MonitorFileError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MonitorFileError::Io { path, source }
        };
        let Some(name) = path.file_name() else {
            return Err(io(path)(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a file name",
            )));
        };
        let mut partial = std::ffi::OsString::from(".");
        partial.push(name);
        partial.push(".partial");
        let partial = path.with_file_name(partial);
        std::fs::write(&partial, self.to_bytes()).map_err(io(&partial))?;
        std::fs::rename(&partial, path).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            io(path)(e)
        })
    }

    /// Reads a monitor written by [`PathMonitor::save`], checking all of it: the safetensors
    /// header, the manifest (version first: a newer file is refused with its number), every
    /// tensor's presence, dtype and shape against the manifest (and no tensor more), every
    /// value finite, calibrations sorted with a positive tail scale, cluster ids below their
    /// layer's `k`, path counts adding up to the reference count, names non-empty and unique.
    /// Reads the file whole (memory: a small multiple of its size); scoring with the loaded
    /// monitor gives bit-identical results to the saved one.
    ///
    /// # Errors
    /// [`MonitorFileError::Io`] if the file cannot be read; otherwise as
    /// [`PathMonitor::from_bytes`].
    pub fn load(path: &Path) -> Result<PathMonitor, MonitorFileError> {
        let bytes = std::fs::read(path).map_err(|source| MonitorFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// A monitor from the bytes of its file (as [`PathMonitor::to_bytes`] gives them), checked
    /// as [`PathMonitor::load`] does; `name` only names the file in errors. Never panics;
    /// allocates at most a small multiple of `bytes.len()`.
    ///
    /// # Errors
    /// [`MonitorFileError::NotAMonitor`] (not safetensors, or no `mtq_monitor` manifest),
    /// [`MonitorFileError::Version`] (a format version other than 1),
    /// [`MonitorFileError::Damaged`] (anything else, naming the tensor or field).
    pub fn from_bytes(bytes: &[u8], name: &Path) -> Result<PathMonitor, MonitorFileError> {
        read::monitor(bytes, name)
    }
}
