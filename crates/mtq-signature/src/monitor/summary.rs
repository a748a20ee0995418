//! What a study's monitor did on the test set and on each unseen set: the false-alarm rate it
//! promised and the one it measured, the detection rates, where the strangers left.

use serde::{Deserialize, Serialize};

use super::{MonitorScores, PathMonitor};

/// How many inputs of one set the monitor flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagCount {
    /// The set: `test` or an unseen class's name.
    pub set: String,
    /// Inputs scored.
    pub n: usize,
    /// Inputs flagged (combined p-value below alpha).
    pub flagged: usize,
    /// Per scored layer, the flagged inputs that left the known paths there (their first layer
    /// p-value below alpha).
    pub left_at: Vec<usize>,
    /// Flagged inputs with no single layer below alpha: only the combination of layers flags
    /// them.
    pub stayed: usize,
}

impl FlagCount {
    /// The count of `scores` as set `set`.
    #[must_use]
    pub fn of(set: &str, scores: &MonitorScores, n_layers: usize) -> Self {
        let mut left_at = vec![0; n_layers];
        for l in scores.left_at.iter().flatten() {
            left_at[*l] += 1;
        }
        Self {
            set: set.to_string(),
            n: scores.len(),
            flagged: scores.flagged.iter().filter(|&&f| f).count(),
            stayed: scores
                .left_at
                .iter()
                .zip(&scores.flagged)
                .filter(|(l, f)| l.is_none() && **f)
                .count(),
            left_at,
        }
    }

    /// Whether the flag rate lies inside the binomial 99 % interval around `alpha`
    /// ([`FlagCount::interval`]).
    #[must_use]
    pub fn holds(&self, alpha: f64) -> bool {
        let (lo, hi) = Self::interval(alpha, self.n);
        (lo..=hi).contains(&self.rate())
    }

    /// Share flagged (0 for an empty set).
    #[must_use]
    pub fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.flagged as f64 / self.n as f64
        }
    }

    /// The binomial 99 % interval of the flag rate of `n` inputs at rate `alpha` (normal
    /// approximation with continuity correction, clamped to `[0, 1]`): a flag rate outside it
    /// says the calibration does not hold.
    #[must_use]
    pub fn interval(alpha: f64, n: usize) -> (f64, f64) {
        let n = n.max(1) as f64;
        let half = 2.576 * (alpha * (1.0 - alpha) / n).sqrt() + 0.5 / n;
        ((alpha - half).max(0.0), (alpha + half).min(1.0))
    }
}

/// The monitor of a study, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorSummary {
    /// The false-alarm rate it flags at.
    pub alpha: f64,
    /// Calibration inputs.
    pub n_calibration: usize,
    /// Whether it calibrates per predicted class.
    pub class_conditional: bool,
    /// Deep k-NN neighbours per layer (0: no credibility).
    pub dknn_k: usize,
    /// The scored layers.
    pub layers: Vec<String>,
    /// The layers whose p-values enter Fisher's statistic (the first, and each one not
    /// redundant with the previous one).
    pub combined_layers: Vec<String>,
    /// Per layer, the nearest-neighbour distance above which that layer's p-value is below
    /// alpha (pooled calibration; in the layer's prepared units times its power-of-two scale,
    /// as [`MonitorScores::knn_distance`]).
    pub layer_thresholds: Vec<f64>,
    /// Fisher's statistic above which an input is flagged (pooled calibration).
    pub fisher_threshold: f64,
    /// The in-distribution test set's flags: the false alarms.
    pub test: Option<FlagCount>,
    /// Whether `alpha` is below `1 / (n_calibration + 1)`: the flags then come from the
    /// extrapolated tail alone, without the conformal guarantee.
    pub alpha_below_resolution: bool,
    /// Each unseen set's flags: the detections, and where they left.
    pub unseen: Vec<FlagCount>,
}

impl MonitorSummary {
    /// The summary of `monitor` on the test set's scores and each unseen set's.
    #[must_use]
    pub fn new(
        monitor: &PathMonitor,
        test: Option<&MonitorScores>,
        unseen: &[(String, &MonitorScores)],
    ) -> Self {
        let alpha = monitor.alpha();
        let n_layers = monitor.layer_names().len();
        Self {
            alpha,
            n_calibration: monitor.n_calibration(),
            class_conditional: monitor.settings().is_class_conditional(),
            dknn_k: monitor.dknn_k(),
            layers: monitor.layer_names().to_vec(),
            combined_layers: monitor
                .combined_layers()
                .into_iter()
                .map(String::from)
                .collect(),
            layer_thresholds: monitor
                .layer_calibration
                .iter()
                .map(|c| c.pooled.threshold(alpha))
                .collect(),
            fisher_threshold: monitor.combined.pooled.threshold(alpha),
            test: test.map(|s| FlagCount::of("test", s, n_layers)),
            alpha_below_resolution: alpha < monitor.min_alpha(),
            unseen: unseen
                .iter()
                .map(|(name, s)| FlagCount::of(name, s, n_layers))
                .collect(),
        }
    }
}
