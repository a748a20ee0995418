//! The JSON manifest of a saved path monitor (the `mtq_monitor` entry of the safetensors
//! `__metadata__`): every scalar and name of the monitor, and what the tensors must look like.

use mtq_activations::Preparation;
use serde::{Deserialize, Serialize};

use crate::monitor::{Calibration, Calibrations, NetworkRecord};

/// The key of the manifest in the safetensors `__metadata__` map.
pub(crate) const MANIFEST_KEY: &str = "mtq_monitor";

/// The format version this build writes and reads.
pub(crate) const FORMAT_VERSION: u64 = 1;

/// How the monitor scores, as its file states it: the kNN-1 distance per layer, split-conformal
/// p-values, Fisher's statistic over the layers not redundant with the previous one,
/// recalibrated. A file stating another rule is refused.
pub(crate) const SCORE_RULE: &str = "knn1-conformal-fisher-nonredundant";

/// The manifest's version alone, read before the rest so that a newer file is refused by its
/// number rather than by a field this build does not know.
#[derive(Deserialize)]
pub(crate) struct VersionOnly {
    pub(crate) format_version: u64,
}

/// The whole manifest.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub(crate) format_version: u64,
    /// The mtq-signature version that wrote the file (informative).
    pub(crate) mtq_version: String,
    pub(crate) score_rule: String,
    pub(crate) alpha: f64,
    pub(crate) class_conditional: bool,
    /// The Deep k-NN neighbour count asked for in the settings.
    pub(crate) dknn_k_asked: usize,
    /// The Deep k-NN neighbour count used (0: no credibility).
    pub(crate) dknn_k: usize,
    pub(crate) n_reference: usize,
    pub(crate) n_calibration: usize,
    pub(crate) class_names: Vec<String>,
    /// Reference rows per class (0: a class with no reference row, and no `rows` tensor).
    pub(crate) reference_per_class: Vec<usize>,
    pub(crate) layers: Vec<LayerEntry>,
    /// Tail scale of Fisher's statistic's calibrations.
    pub(crate) combined: TailScales,
    /// Tail scale of the Deep k-NN credibility's calibration, if computed.
    pub(crate) credibility: Option<f64>,
    /// Distinct reference paths (rows of `paths.clusters`).
    pub(crate) n_paths: usize,
    /// The network file the monitor was fitted through, if recorded (absent from files
    /// without one, which version 1 readers read as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) network: Option<NetworkRecord>,
}

/// One layer of the manifest.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LayerEntry {
    pub(crate) name: String,
    /// Width of the layer's activations (what a scored batch gives).
    pub(crate) width: usize,
    /// Width after the preparation (centroids and reference rows).
    pub(crate) prepared_width: usize,
    /// Clusters.
    pub(crate) k: usize,
    pub(crate) cluster_names: Vec<String>,
    pub(crate) preparation: Preparation,
    /// Power of two the prepared activations are multiplied by.
    pub(crate) scale: f32,
    /// Tail scales of the layer's kNN-distance calibrations.
    pub(crate) calibration: TailScales,
    /// Whether the layer's p-value enters Fisher's statistic (false: the layer repeats the
    /// previous one's partition).
    pub(crate) combined: bool,
}

/// The tail scales of one score's calibrations: pooled, and per class (`null`: the class uses
/// the pooled one; empty for a pooled monitor).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TailScales {
    pub(crate) pooled: f64,
    pub(crate) by_class: Vec<Option<f64>>,
}

impl TailScales {
    pub(crate) fn of(c: &Calibrations) -> Self {
        Self {
            pooled: c.pooled.tail_scale(),
            by_class: c
                .by_class
                .iter()
                .map(|c| c.as_ref().map(Calibration::tail_scale))
                .collect(),
        }
    }
}
