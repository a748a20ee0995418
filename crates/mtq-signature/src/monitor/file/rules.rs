//! The rules of a monitor's manifest, and of its calibrations taken together.

use std::collections::BTreeSet;

use mtq_activations::Preparation;

use super::manifest::{LayerEntry, Manifest, SCORE_RULE};
use super::read::{Errors, Result};
use crate::monitor::{Calibration, Calibrations, MONDRIAN_MIN};

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

/// Every rule of the manifest that needs no tensor.
pub(super) fn check_manifest(m: &Manifest, err: &Errors<'_>) -> Result<()> {
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
    if !m.layers.iter().any(|l| l.combined) {
        return bad("no layer enters Fisher's statistic (every `combined` is false)".into());
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
    if let Some(fault) = m.network.as_ref().and_then(|n| n.fault()) {
        return bad(fault);
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

/// Per class, the Mondrian calibrations of every layer and of Fisher's statistic must be
/// there together, of the same size (the class's calibration inputs), at least
/// [`MONDRIAN_MIN`], and the classes' sizes together at most `n_calibration`.
pub(super) fn check_mondrian(
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
