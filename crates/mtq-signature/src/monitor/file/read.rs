//! Reading a monitor's file: every byte checked before a [`PathMonitor`] exists.
//!
//! Memory stays a small multiple of the file: nothing is allocated from a count the manifest
//! claims before a tensor of that size is found in the file, and the per-(layer, class) slots
//! are bounded by the reference rows (a monitor may not have more classes than reference
//! samples, and every layer holds every reference row, at least 4 bytes each).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mtq_activations::{FittedPreparation, Preparation, PreparationParts};
use ndarray::Array1;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

use super::MonitorFileError;
use super::manifest::{FORMAT_VERSION, LayerEntry, MANIFEST_KEY, Manifest, VersionOnly};
use super::rules::{check_manifest, check_mondrian};
use super::tensors::Tensors;
use crate::layer_map::LayerMap;
use crate::monitor::neighbours::ClassNeighbours;
use crate::monitor::{MonitorSettings, PathMonitor};

pub(super) type Result<T> = std::result::Result<T, MonitorFileError>;

/// What the reader needs of one entry of the safetensors header: a tensor's offsets, or the
/// manifest in `__metadata__` (every other field is skipped without allocating).
#[derive(Deserialize)]
struct HeaderEntry {
    #[serde(default)]
    data_offsets: Option<(u64, u64)>,
    #[serde(default)]
    mtq_monitor: Option<String>,
}

/// Errors of one file.
pub(super) struct Errors<'p>(pub(super) &'p Path);

impl Errors<'_> {
    pub(super) fn not_a_monitor(&self, reason: String) -> MonitorFileError {
        MonitorFileError::NotAMonitor {
            path: self.0.to_path_buf(),
            reason,
        }
    }

    pub(super) fn damaged(&self, what: String) -> MonitorFileError {
        MonitorFileError::Damaged {
            path: self.0.to_path_buf(),
            what,
        }
    }
}

/// The manifest text, after checking that `bytes` is a safetensors file whose tensors end
/// exactly where the file does (so the safetensors reader's offset arithmetic cannot
/// overflow).
fn manifest_text(bytes: &[u8], err: &Errors<'_>) -> Result<String> {
    let Some(len) = bytes.get(..8) else {
        return Err(err.not_a_monitor(format!(
            "{} bytes, shorter than the 8-byte length of a safetensors header",
            bytes.len()
        )));
    };
    let mut n = [0u8; 8];
    n.copy_from_slice(len);
    let n = u64::from_le_bytes(n);
    let header = usize::try_from(n)
        .ok()
        .and_then(|n| bytes.get(8..n.checked_add(8)?))
        .ok_or_else(|| {
            err.not_a_monitor(format!(
                "a safetensors header of {n} bytes cannot fit in a file of {} bytes",
                bytes.len()
            ))
        })?;
    let text = std::str::from_utf8(header)
        .map_err(|e| err.not_a_monitor(format!("the safetensors header is not UTF-8 ({e})")))?;
    let entries: BTreeMap<String, HeaderEntry> = serde_json::from_str(text).map_err(|e| {
        err.not_a_monitor(format!("the safetensors header is not its JSON map ({e})"))
    })?;
    let manifest = entries
        .get("__metadata__")
        .and_then(|m| m.mtq_monitor.clone())
        .ok_or_else(|| {
            err.not_a_monitor(format!(
                "a safetensors file of {} tensors without the `{MANIFEST_KEY}` manifest in its __metadata__",
                entries.len() - usize::from(entries.contains_key("__metadata__"))
            ))
        })?;
    let data_len = (bytes.len() - 8 - header.len()) as u64;
    let mut end = 0u64;
    for (name, entry) in entries.iter().filter(|(k, _)| *k != "__metadata__") {
        let Some((start, stop)) = entry.data_offsets else {
            return Err(err.damaged(format!("tensor {name} has no data_offsets")));
        };
        if start > stop || stop > data_len {
            return Err(err.damaged(format!(
                "tensor {name} at bytes {start}..{stop} of a data section of {data_len} bytes (truncated?)"
            )));
        }
        end = end.max(stop);
    }
    if end != data_len {
        return Err(err.damaged(format!(
            "{} bytes after the last tensor's data",
            data_len - end
        )));
    }
    Ok(manifest)
}

/// The manifest, its version checked first.
fn parse_manifest(text: &str, err: &Errors<'_>) -> Result<Manifest> {
    let version: VersionOnly = serde_json::from_str(text)
        .map_err(|e| err.damaged(format!("manifest: no format_version ({e})")))?;
    if version.format_version != FORMAT_VERSION {
        return Err(MonitorFileError::Version {
            path: err.0.to_path_buf(),
            found: version.format_version,
            supported: FORMAT_VERSION,
        });
    }
    serde_json::from_str(text).map_err(|e| err.damaged(format!("manifest: {e}")))
}

/// The monitor in `bytes` (the file `path`), checked.
pub(super) fn monitor(bytes: &[u8], path: &Path) -> Result<PathMonitor> {
    let err = Errors(path);
    let m = parse_manifest(&manifest_text(bytes, &err)?, &err)?;
    check_manifest(&m, &err)?;
    let st =
        SafeTensors::deserialize(bytes).map_err(|e| err.damaged(format!("safetensors: {e}")))?;
    let mut t = Tensors {
        st,
        taken: BTreeSet::new(),
        err: &err,
    };
    let n_classes = m.class_names.len();
    let per_class = if m.class_conditional { n_classes } else { 0 };
    let mut maps = Vec::with_capacity(m.layers.len());
    let mut neighbours = Vec::with_capacity(m.layers.len());
    let mut layer_calibration = Vec::with_capacity(m.layers.len());
    for (l, layer) in m.layers.iter().enumerate() {
        maps.push(layer_map(&mut t, l, layer)?);
        let by_class = m
            .reference_per_class
            .iter()
            .enumerate()
            .map(|(c, &rows)| {
                (rows > 0)
                    .then(|| {
                        let x = t.f32_matrix(
                            &format!("layer.{l}.class.{c}.rows"),
                            rows,
                            layer.prepared_width,
                        )?;
                        Ok(x)
                    })
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        neighbours.push(ClassNeighbours::from_classes(
            &by_class,
            layer.prepared_width,
        ));
        layer_calibration.push(t.calibrations(
            &format!("layer.{l}.calibration"),
            &layer.calibration,
            m.n_calibration,
            per_class,
        )?);
    }
    let combined = t.calibrations(
        "combined.calibration",
        &m.combined,
        m.n_calibration,
        per_class,
    )?;
    check_mondrian(&layer_calibration, &combined, m.n_calibration, &err)?;
    let credibility = m
        .credibility
        .map(|tau| t.calibration("credibility.calibration", Some(m.n_calibration), tau))
        .transpose()?;
    let path_counts = paths(&mut t, &m)?;
    t.finish()?;
    Ok(PathMonitor {
        settings: MonitorSettings {
            alpha: m.alpha,
            class_conditional: m.class_conditional,
            dknn_k: m.dknn_k_asked,
        },
        layer_names: m.layers.iter().map(|l| l.name.clone()).collect(),
        combined_layers: m.layers.iter().map(|l| l.combined).collect(),
        cluster_names: m.layers.into_iter().map(|l| l.cluster_names).collect(),
        class_names: m.class_names,
        maps,
        path_counts,
        n_reference: m.n_reference,
        neighbours,
        dknn_k: m.dknn_k,
        layer_calibration,
        combined,
        credibility,
        n_calibration: m.n_calibration,
        network: m.network,
    })
}

/// Layer `l`'s map: preparation parts, scale and centroids.
fn layer_map(t: &mut Tensors<'_, '_>, l: usize, layer: &LayerEntry) -> Result<LayerMap> {
    let w = layer.width;
    let (uses_scale, pca) = match layer.preparation {
        Preparation::None | Preparation::L2Normalize => (false, None),
        Preparation::Standardize => (true, None),
        Preparation::Pca { dims } => (false, Some(dims)),
    };
    let uses_mean = uses_scale || pca.is_some();
    let name = |part: &str| format!("layer.{l}.preparation.{part}");
    let mut vector = |part: &str, used: bool| {
        used.then(|| t.f32s(&name(part), &[w]).map(Array1::from))
            .transpose()
    };
    let mean = vector("mean", uses_mean)?;
    let scale = vector("scale", uses_scale)?;
    let variance = vector("variance", pca.is_some())?;
    let components = pca
        .map(|dims| t.f32_matrix(&name("components"), dims, w))
        .transpose()?;
    let preparation = FittedPreparation::from_parts(PreparationParts {
        preparation: layer.preparation,
        width: w,
        mean,
        scale,
        components,
        variance,
    })
    .map_err(|e| t.err.damaged(format!("layer {:?}: {e}", layer.name)))?;
    let centroids = t.f32_matrix(
        &format!("layer.{l}.centroids"),
        layer.k,
        layer.prepared_width,
    )?;
    Ok(LayerMap {
        preparation,
        scale: layer.scale,
        centroids,
    })
}

/// The reference paths: cluster ids below their layer's `k`, no path twice, counts of at
/// least 1 adding up to `n_reference`.
fn paths(t: &mut Tensors<'_, '_>, m: &Manifest) -> Result<BTreeMap<Vec<usize>, usize>> {
    let n_layers = m.layers.len();
    let clusters = t.take(
        "paths.clusters",
        Dtype::U32,
        &[Some(m.n_paths), Some(n_layers)],
    )?;
    let counts = t.take("paths.counts", Dtype::U64, &[Some(m.n_paths)])?;
    let mut out = BTreeMap::new();
    let mut total = 0usize;
    for (p, (row, count)) in clusters
        .chunks_exact(4 * n_layers)
        .zip(counts.chunks_exact(8))
        .enumerate()
    {
        let path: Vec<usize> = row
            .chunks_exact(4)
            .map(|b| {
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                u32::from_le_bytes(a) as usize
            })
            .collect();
        if let Some((l, &c)) = path.iter().enumerate().find(|&(l, &c)| c >= m.layers[l].k) {
            return Err(t.err.damaged(format!(
                "tensor paths.clusters: path {p} goes through cluster {c} of layer {l}, which has {}",
                m.layers[l].k
            )));
        }
        let mut a = [0u8; 8];
        a.copy_from_slice(count);
        let count = usize::try_from(u64::from_le_bytes(a)).unwrap_or(usize::MAX);
        if count == 0 {
            return Err(t
                .err
                .damaged(format!("tensor paths.counts: path {p} has count 0")));
        }
        total = total.saturating_add(count);
        if out.insert(path, count).is_some() {
            return Err(t
                .err
                .damaged(format!("tensor paths.clusters: path {p} appears twice")));
        }
    }
    if total != m.n_reference {
        return Err(t.err.damaged(format!(
            "tensor paths.counts adds up to {total}, n_reference is {}",
            m.n_reference
        )));
    }
    Ok(out)
}
