//! Reading a monitor's file: every byte checked before a [`PathMonitor`] exists.
//!
//! Memory stays a small multiple of the file: nothing is allocated from a count the manifest
//! claims before a tensor of that size is found in the file, and the per-(layer, class) slots
//! are bounded by the reference rows (a monitor may not have more classes than reference
//! samples, and every layer holds every reference row, at least 4 bytes each).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mtq_activations::{FittedPreparation, Preparation, PreparationParts};
use ndarray::{Array1, Array2};
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

use super::MonitorFileError;
use super::manifest::{
    FORMAT_VERSION, LayerEntry, MANIFEST_KEY, Manifest, SCORE_RULE, TailScales, VersionOnly,
};
use crate::anomaly::KnnIndex;
use crate::layer_map::LayerMap;
use crate::monitor::neighbours::ClassNeighbours;
use crate::monitor::{Calibration, Calibrations, MONDRIAN_MIN, MonitorSettings, PathMonitor};

type Result<T> = std::result::Result<T, MonitorFileError>;

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
struct Errors<'p>(&'p Path);

impl Errors<'_> {
    fn not_a_monitor(&self, reason: String) -> MonitorFileError {
        MonitorFileError::NotAMonitor {
            path: self.0.to_path_buf(),
            reason,
        }
    }

    fn damaged(&self, what: String) -> MonitorFileError {
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

/// Names of `what`: each non-empty, no two the same.
fn check_names(names: &[String], what: &str, err: &Errors<'_>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for name in names {
        if name.is_empty() {
            return Err(err.damaged(format!("manifest: an empty name among the {what}")));
        }
        if !seen.insert(name) {
            return Err(err.damaged(format!("manifest: {what} name {name:?} appears twice")));
        }
    }
    Ok(())
}

/// The file's tensors, taken one by one by name with their dtype and shape checked; at the
/// end no tensor may be left untaken.
struct Tensors<'a, 'p> {
    st: SafeTensors<'a>,
    taken: BTreeSet<String>,
    err: &'p Errors<'p>,
}

impl<'a> Tensors<'a, '_> {
    /// The bytes of tensor `name`, of `dtype`, and its shape; `shape` checks it (`None` in a
    /// slot: any length there).
    fn take(&mut self, name: &str, dtype: Dtype, shape: &[Option<usize>]) -> Result<&'a [u8]> {
        let view = self
            .st
            .tensor(name)
            .map_err(|_| self.err.damaged(format!("tensor {name} is missing")))?;
        if view.dtype() != dtype {
            return Err(self.err.damaged(format!(
                "tensor {name} is {:?}, expected {dtype:?}",
                view.dtype()
            )));
        }
        let fits = view.shape().len() == shape.len()
            && view
                .shape()
                .iter()
                .zip(shape)
                .all(|(&d, want)| want.is_none_or(|w| w == d));
        if !fits {
            let want: Vec<String> = shape
                .iter()
                .map(|d| d.map_or("any".into(), |d| d.to_string()))
                .collect();
            return Err(self.err.damaged(format!(
                "tensor {name} has shape {:?}, expected [{}]",
                view.shape(),
                want.join(", ")
            )));
        }
        self.taken.insert(name.to_owned());
        Ok(view.data())
    }

    /// An `f32` tensor of `shape` (2-D: rows x columns), every value finite.
    fn f32s(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let want: Vec<Option<usize>> = shape.iter().copied().map(Some).collect();
        let t = self.take(name, Dtype::F32, &want)?;
        let values: Vec<f32> = t
            .chunks_exact(4)
            .map(|b| {
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                f32::from_le_bytes(a)
            })
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(self.err.damaged(format!(
                "tensor {name}: value {i} is not finite ({})",
                values[i]
            )));
        }
        Ok(values)
    }

    fn f32_matrix(&mut self, name: &str, rows: usize, cols: usize) -> Result<Array2<f32>> {
        let values = self.f32s(name, &[rows, cols])?;
        Array2::from_shape_vec((rows, cols), values)
            .map_err(|e| self.err.damaged(format!("tensor {name}: {e}")))
    }

    /// A calibration: an `f64` vector (of `len` values, if given), finite and ascending, with
    /// the manifest's tail scale `tau`.
    fn calibration(&mut self, name: &str, len: Option<usize>, tau: f64) -> Result<Calibration> {
        let t = self.take(name, Dtype::F64, &[len])?;
        let scores: Vec<f64> = t
            .chunks_exact(8)
            .map(|b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                f64::from_le_bytes(a)
            })
            .collect();
        if scores.is_empty() {
            return Err(self
                .err
                .damaged(format!("tensor {name}: no calibration score")));
        }
        if let Some(i) = scores.iter().position(|v| !v.is_finite()) {
            return Err(self.err.damaged(format!(
                "tensor {name}: calibration score {i} is not finite ({})",
                scores[i]
            )));
        }
        if let Some(i) = scores.windows(2).position(|w| w[0] > w[1]) {
            return Err(self.err.damaged(format!(
                "tensor {name}: calibration scores not ascending at {}",
                i + 1
            )));
        }
        if !(tau.is_finite() && tau > 0.0) {
            return Err(self.err.damaged(format!(
                "manifest: tail scale {tau} of {name} is not finite and positive"
            )));
        }
        Calibration::from_parts(scores, tau).ok_or_else(|| {
            self.err
                .damaged(format!("tensor {name}: not a calibration"))
        })
    }

    /// One score's calibrations: pooled (`n_calibration` scores) and, for a class-conditional
    /// monitor, one per class the manifest gives a tail scale.
    fn calibrations(
        &mut self,
        base: &str,
        tails: &TailScales,
        n_calibration: usize,
        per_class: usize,
    ) -> Result<Calibrations> {
        if tails.by_class.len() != per_class {
            return Err(self.err.damaged(format!(
                "manifest: {} per-class tail scales for {base}, expected {per_class}",
                tails.by_class.len()
            )));
        }
        let pooled = self.calibration(base, Some(n_calibration), tails.pooled)?;
        let by_class = tails
            .by_class
            .iter()
            .enumerate()
            .map(|(c, tau)| {
                tau.map(|tau| self.calibration(&format!("{base}.class.{c}"), None, tau))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        Ok(Calibrations { pooled, by_class })
    }

    /// Fails on the first tensor (by name) nobody took.
    fn finish(self) -> Result<()> {
        match self
            .st
            .names()
            .into_iter()
            .filter(|n| !self.taken.contains(*n))
            .min()
        {
            Some(extra) => Err(self.err.damaged(format!("unexpected tensor {extra}"))),
            None => Ok(()),
        }
    }
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
                        Ok(KnnIndex::new(x.view()))
                    })
                    .transpose()
            })
            .collect::<Result<_>>()?;
        neighbours.push(ClassNeighbours { by_class });
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
    })
}

/// Every rule of the manifest that needs no tensor.
fn check_manifest(m: &Manifest, err: &Errors<'_>) -> Result<()> {
    let bad = |what: String| Err(err.damaged(format!("manifest: {what}")));
    if m.score_rule != SCORE_RULE {
        return bad(format!(
            "score_rule {:?} is not known (this build scores with {SCORE_RULE:?})",
            m.score_rule
        ));
    }
    if !(m.alpha > 0.0 && m.alpha < 1.0) {
        return bad(format!("alpha {} is not in (0, 1)", m.alpha));
    }
    if m.layers.is_empty() || m.class_names.is_empty() {
        return bad(format!(
            "{} layers and {} classes (at least one of each)",
            m.layers.len(),
            m.class_names.len()
        ));
    }
    if m.n_calibration == 0 {
        return bad("n_calibration 0".into());
    }
    check_names(&m.class_names, "class", err)?;
    let layer_names: Vec<String> = m.layers.iter().map(|l| l.name.clone()).collect();
    check_names(&layer_names, "layer", err)?;
    if m.reference_per_class.len() != m.class_names.len() {
        return bad(format!(
            "reference_per_class has {} counts for {} classes",
            m.reference_per_class.len(),
            m.class_names.len()
        ));
    }
    let total = m
        .reference_per_class
        .iter()
        .try_fold(0usize, |a, &b| a.checked_add(b));
    if total != Some(m.n_reference) || m.n_reference == 0 {
        return bad(format!(
            "reference_per_class does not add up to n_reference {} (at least 1)",
            m.n_reference
        ));
    }
    if m.class_names.len() > m.n_reference {
        return bad(format!(
            "{} classes for {} reference samples",
            m.class_names.len(),
            m.n_reference
        ));
    }
    if m.n_paths == 0 {
        return bad("n_paths 0".into());
    }
    let smallest = m.reference_per_class.iter().filter(|&&n| n > 0).min();
    let dknn_ok = match (m.dknn_k, m.credibility) {
        (0, None) => true,
        (k, Some(_)) => k > 0 && k <= m.dknn_k_asked && smallest.is_some_and(|&s| k < s),
        _ => false,
    };
    if !dknn_ok {
        return bad(format!(
            "dknn_k {} (asked {}) does not fit the credibility calibration ({}) and the smallest class ({})",
            m.dknn_k,
            m.dknn_k_asked,
            if m.credibility.is_some() {
                "present"
            } else {
                "absent"
            },
            smallest.copied().unwrap_or(0)
        ));
    }
    for layer in &m.layers {
        check_layer(layer, err)?;
    }
    Ok(())
}

/// A layer entry's own rules: widths and `k` at least 1, one name per cluster, the
/// preparation's output width, a normal power-of-two scale.
fn check_layer(layer: &LayerEntry, err: &Errors<'_>) -> Result<()> {
    let bad = |what: String| Err(err.damaged(format!("manifest: layer {:?}: {what}", layer.name)));
    if layer.width == 0 || layer.prepared_width == 0 || layer.k == 0 {
        return bad(format!(
            "width {}, prepared_width {}, k {} (each at least 1)",
            layer.width, layer.prepared_width, layer.k
        ));
    }
    if layer.cluster_names.len() != layer.k {
        return bad(format!(
            "{} cluster names for k = {}",
            layer.cluster_names.len(),
            layer.k
        ));
    }
    check_names(
        &layer.cluster_names,
        &format!("layer {:?} cluster", layer.name),
        err,
    )?;
    let prepared = match layer.preparation {
        Preparation::Pca { dims } => dims,
        _ => layer.width,
    };
    if prepared != layer.prepared_width {
        return bad(format!(
            "prepared_width {} after {:?} of width {}",
            layer.prepared_width, layer.preparation, layer.width
        ));
    }
    let s = layer.scale;
    if !(s.is_normal() && s > 0.0 && s.to_bits() & 0x007f_ffff == 0) {
        return bad(format!("scale {s} is not a positive power of two"));
    }
    Ok(())
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

/// Per class, the Mondrian calibrations of every layer and of Fisher's statistic must be
/// there together, of the same size (the class's calibration inputs), at least
/// [`MONDRIAN_MIN`], and the classes' sizes together at most `n_calibration`.
fn check_mondrian(
    layers: &[Calibrations],
    combined: &Calibrations,
    n_calibration: usize,
    err: &Errors<'_>,
) -> Result<()> {
    let sizes = |c: &Calibrations| -> Vec<Option<usize>> {
        c.by_class
            .iter()
            .map(|c| c.as_ref().map(Calibration::len))
            .collect()
    };
    let want = sizes(combined);
    for (l, cal) in layers.iter().enumerate() {
        if sizes(cal) != want {
            return Err(err.damaged(format!(
                "the per-class calibrations of layer {l} do not match those of combined.calibration"
            )));
        }
    }
    let mut total = 0usize;
    for (c, n) in want.iter().enumerate() {
        if let Some(n) = *n {
            if n < MONDRIAN_MIN {
                return Err(err.damaged(format!(
                    "combined.calibration.class.{c}: {n} scores, a class calibration has at least {MONDRIAN_MIN}"
                )));
            }
            total = total.saturating_add(n);
        }
    }
    if total > n_calibration {
        return Err(err.damaged(format!(
            "the per-class calibrations hold {total} inputs, more than n_calibration {n_calibration}"
        )));
    }
    Ok(())
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
