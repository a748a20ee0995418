//! The path monitor: fitted once from a study's signatures, it scores new inputs with calibrated
//! p-values and says where each one left the paths the reference takes.
//!
//! [`PathMonitor::fit`] takes a fitted [`SignatureModel`](crate::SignatureModel), its reference set and a separate
//! **calibration set**: in-distribution inputs the network never trained on (a share held out of
//! the training split where the network is trained here; a set of your own, or a share of the
//! test set left out of every evaluation, for a network trained elsewhere). Conformal
//! guarantees need calibration inputs exchangeable with the new ones; training samples are not.
//!
//! [`PathMonitor::score`] gives every input of a batch ([`MonitorScores`]):
//! - its path (cluster per layer) and how many reference samples take it (0: a path never
//!   taken in training);
//! - per layer a split-conformal p-value of its layer score, the Euclidean distance to the
//!   nearest reference row (k = 1) in that layer ([`conformal`] explains the p-value);
//! - one **combined p-value**: Fisher's statistic `T = -2 sum ln p_layer` (Fisher 1932) over
//!   the layers that are not redundant with the previous one (the first layer, and each layer
//!   whose activations the signatures' redundancy analysis says add to the previous one's,
//!   linear CKA below the threshold; decided on the reference set alone), itself calibrated by conformal
//!   prediction on the calibration set's own `T` (each calibration input's layer p-values
//!   computed against the other calibration inputs). Fisher's rule is fixed in advance because
//!   it adds the evidence of every layer (an input a little unusual everywhere counts, as does
//!   one very unusual in one layer); a layer that repeats the previous one's partition is left
//!   out because it would count the same evidence twice: in a deep network of twenty similar
//!   layers, summing them all drowns the one layer that sees the stranger. The p-values are not
//!   independent, so `T` is not read from a chi-square table but recalibrated, which keeps the
//!   false-alarm rate at `alpha` (at most one calibration step, `1 / (n + 1)`, above it)
//!   whatever their dependence;
//! - `flagged = p < alpha`, and **where it left**: the first layer whose p-value is below
//!   `alpha`;
//! - the Deep k-NN credibility (Papernot & McDaniel 2018): per layer the `k` nearest reference
//!   rows vote for their class; the nonconformity of a label is the number of votes against it
//!   summed over the layers, calibrated on the calibration set's true labels; the credibility
//!   is the p-value of the best label.
//!
//! With [`MonitorSettings::class_conditional`] every calibration is done per predicted class
//! (Mondrian conformal prediction; Vovk et al. 2005, ch. 4.5): the false-alarm rate then holds
//! for each class, not only on average. A class with fewer than [`MONDRIAN_MIN`] calibration
//! inputs uses the pooled calibration.
//!
//! The monitor owns everything scoring needs (no borrow of the model or the data): it is
//! `Send + Sync`, and [`PathMonitor::score`] runs its searches in parallel.
//!
//! [`PathMonitor::save`] writes it as one safetensors file and [`PathMonitor::load`] reads it
//! back, every part checked ([`MonitorFileError`]; the format: [`PathMonitor::to_bytes`]).

pub mod conformal;
mod error;
mod file;
mod fit;
mod neighbours;
mod network;
mod score;
mod summary;

use std::collections::BTreeMap;

pub use conformal::Calibration;
pub use error::{MonitorError, Result};
pub use file::MonitorFileError;
pub use network::{NetworkKind, NetworkRecord};
pub use score::MonitorScores;
pub use summary::{FlagCount, MonitorSummary};

use crate::layer_map::LayerMap;
use neighbours::ClassNeighbours;

/// Calibration inputs a predicted class needs for its own (Mondrian) calibration.
pub const MONDRIAN_MIN: usize = 20;

/// How a [`PathMonitor`] is fitted. Build with [`MonitorSettings::new`] and the by-value
/// setters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonitorSettings {
    alpha: f64,
    class_conditional: bool,
    dknn_k: usize,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self::new()
    }
}

impl MonitorSettings {
    /// Defaults: `alpha` 0.05, pooled (not class-conditional) calibration, Deep k-NN with
    /// `k = 50` neighbours per layer.
    #[must_use]
    pub fn new() -> Self {
        Self {
            alpha: 0.05,
            class_conditional: false,
            dknn_k: 50,
        }
    }

    /// The false-alarm rate: an input is flagged when its combined p-value is below it. In
    /// `(0, 1)`; the guarantee needs `alpha >= 1 / (n_calibration + 1)`.
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Calibrates per predicted class (Mondrian); scored batches then need class
    /// probabilities.
    #[must_use]
    pub fn class_conditional(mut self, on: bool) -> Self {
        self.class_conditional = on;
        self
    }

    /// Neighbours per layer of the Deep k-NN credibility (0: not computed). Papernot &
    /// McDaniel use 75; the monitor uses at most the smallest class's reference count minus 1,
    /// the rule of every kNN score here: with more, an input deep inside the smallest class
    /// could never have all its neighbours agree.
    #[must_use]
    pub fn dknn_k(mut self, k: usize) -> Self {
        self.dknn_k = k;
        self
    }

    /// The false-alarm rate.
    #[must_use]
    pub fn alpha_value(&self) -> f64 {
        self.alpha
    }

    /// Whether the calibration is per predicted class.
    #[must_use]
    pub fn is_class_conditional(&self) -> bool {
        self.class_conditional
    }

    /// The Deep k-NN neighbour count asked for.
    #[must_use]
    pub fn dknn_k_value(&self) -> usize {
        self.dknn_k
    }
}

/// One score's calibration, pooled and (class-conditional monitors) per predicted class.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Calibrations {
    pub(crate) pooled: Calibration,
    /// Per class: its own calibration, or `None` (fewer than [`MONDRIAN_MIN`] inputs, or a
    /// pooled monitor: then empty).
    pub(crate) by_class: Vec<Option<Calibration>>,
}

impl Calibrations {
    /// The calibration an input predicted as `class` is judged against.
    pub(crate) fn of(&self, class: Option<usize>) -> &Calibration {
        class
            .and_then(|c| self.by_class.get(c))
            .and_then(Option::as_ref)
            .unwrap_or(&self.pooled)
    }
}

/// A fitted path monitor. See the [module doc](self).
#[derive(Debug, Clone)]
pub struct PathMonitor {
    pub(crate) settings: MonitorSettings,
    pub(crate) layer_names: Vec<String>,
    pub(crate) class_names: Vec<String>,
    pub(crate) maps: Vec<LayerMap>,
    pub(crate) cluster_names: Vec<Vec<String>>,
    pub(crate) path_counts: BTreeMap<Vec<usize>, usize>,
    pub(crate) n_reference: usize,
    pub(crate) neighbours: Vec<ClassNeighbours>,
    /// Deep k-NN neighbours actually used (0: the credibility is not computed).
    pub(crate) dknn_k: usize,
    pub(crate) layer_calibration: Vec<Calibrations>,
    /// Per layer, whether its p-value enters Fisher's statistic.
    pub(crate) combined_layers: Vec<bool>,
    pub(crate) combined: Calibrations,
    pub(crate) credibility: Option<Calibration>,
    pub(crate) n_calibration: usize,
    /// The network file it was fitted through, if recorded.
    pub(crate) network: Option<NetworkRecord>,
}

impl PathMonitor {
    /// The settings it was fitted with.
    #[must_use]
    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// The false-alarm rate it flags at.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.settings.alpha
    }

    /// The scored layers, in network order.
    #[must_use]
    pub fn layer_names(&self) -> &[String] {
        &self.layer_names
    }

    /// The classes.
    #[must_use]
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Width of every layer's activations as a scored batch gives them (before the layer's
    /// preparation), in order.
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        self.maps
            .iter()
            .map(|m| m.preparation.input_dim())
            .collect()
    }

    /// Cluster names per layer (`h1:7`).
    #[must_use]
    pub fn cluster_names(&self) -> &[Vec<String>] {
        &self.cluster_names
    }

    /// Reference samples.
    #[must_use]
    pub fn n_reference(&self) -> usize {
        self.n_reference
    }

    /// Calibration inputs.
    #[must_use]
    pub fn n_calibration(&self) -> usize {
        self.n_calibration
    }

    /// Deep k-NN neighbours per layer (0 when the credibility is not computed: no calibration
    /// labels, or a class with a single reference row).
    #[must_use]
    pub fn dknn_k(&self) -> usize {
        self.dknn_k
    }

    /// How many reference samples take `path` (0: never taken in training).
    #[must_use]
    pub fn path_count(&self, path: &[usize]) -> usize {
        self.path_counts.get(path).copied().unwrap_or(0)
    }

    /// The pooled calibration of layer `index`'s kNN distance (`None` past the last layer).
    #[must_use]
    pub fn layer_calibration(&self, index: usize) -> Option<&Calibration> {
        self.layer_calibration.get(index).map(|c| &c.pooled)
    }

    /// The layers whose p-values enter Fisher's statistic (the first, and every layer not
    /// redundant with the previous one), in order.
    #[must_use]
    pub fn combined_layers(&self) -> Vec<&str> {
        self.layer_names
            .iter()
            .zip(&self.combined_layers)
            .filter(|(_, c)| **c)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The pooled calibration of Fisher's statistic.
    #[must_use]
    pub fn combined_calibration(&self) -> &Calibration {
        &self.combined.pooled
    }

    /// The network file it was fitted through, if recorded (`None` for a monitor of a network
    /// the study trained, of activations, or fitted by [`PathMonitor::fit`] alone).
    #[must_use]
    pub fn network(&self) -> Option<&NetworkRecord> {
        self.network.as_ref()
    }

    /// Records the network file it was fitted through (saved with it; `None` removes the
    /// record). The caller vouches for it: the monitor cannot check that its activations came
    /// from that file.
    pub fn set_network(&mut self, network: Option<NetworkRecord>) {
        self.network = network;
    }

    /// The smallest `alpha` the calibration can guarantee: `1 / (n_calibration + 1)`.
    #[must_use]
    pub fn min_alpha(&self) -> f64 {
        1.0 / (self.n_calibration as f64 + 1.0)
    }
}

#[cfg(test)]
mod tests;
