//! [`PathMonitor::score`]: every input of a batch judged against the reference and the
//! calibration.

use ndarray::{Array1, Array2};

use super::PathMonitor;
use super::error::{MonitorError, Result};
use super::fit::{dknn_nonconformity, evidence};

/// What the monitor says of every input of a batch (`n` inputs, `L` layers). p-values are kept
/// as natural logarithms (`ln p`, at most 0) so the far tail keeps its order; the methods give
/// the p-values themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorScores {
    /// `n x L` cluster id per layer: each input's path.
    pub clusters: Array2<usize>,
    /// Reference samples on the same path (0: a path never taken in training).
    pub path_count: Array1<usize>,
    /// Predicted class (argmax of the batch's probabilities), if given.
    pub predicted: Option<Array1<usize>>,
    /// `n x L` distance to the nearest reference row (the layer score), in the layer's
    /// prepared units times its power-of-two scale ([`FittedLayer::scale`](crate::FittedLayer::scale)).
    pub knn_distance: Array2<f64>,
    /// `n x L` `ln p` of each layer's score.
    pub layer_log_p: Array2<f64>,
    /// Fisher's statistic `-2 sum ln p_layer` over the monitor's
    /// [combined layers](PathMonitor::combined_layers).
    pub fisher: Array1<f64>,
    /// `ln p` of the combined p-value (Fisher's statistic, calibrated).
    pub log_p: Array1<f64>,
    /// Whether the combined p-value is below `alpha`.
    pub flagged: Array1<bool>,
    /// For a flagged input, the first layer whose own p-value is below `alpha`: where it left
    /// the known paths (`None` for an input not flagged, or flagged by the combination of
    /// layers none of which is below `alpha` alone).
    pub left_at: Vec<Option<usize>>,
    /// `ln` of the Deep k-NN credibility (the p-value of the best label), if the monitor
    /// computes it.
    pub credibility_log_p: Option<Array1<f64>>,
}

impl MonitorScores {
    /// Number of inputs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.log_p.len()
    }

    /// Whether the batch was empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.log_p.is_empty()
    }

    /// The combined p-values.
    #[must_use]
    pub fn p_values(&self) -> Array1<f64> {
        self.log_p.mapv(f64::exp)
    }

    /// Whether input `i` takes a path some reference sample takes.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[must_use]
    pub fn path_seen(&self, i: usize) -> bool {
        self.path_count[i] > 0
    }

    /// Share of the inputs flagged (0 for an empty batch).
    #[must_use]
    pub fn flag_rate(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        self.flagged.iter().filter(|&&f| f).count() as f64 / self.len() as f64
    }
}

impl PathMonitor {
    /// Scores a batch: every layer's activations of `n` inputs (the monitor's layers, in
    /// order; class probabilities needed by a class-conditional monitor). Exact kNN searches,
    /// layers and blocks of inputs in parallel; the result does not depend on the number of
    /// threads or on how the inputs are split into batches.
    ///
    /// # Errors
    /// [`MonitorError::Signature`] if the batch does not fit (layer count, widths, rows,
    /// non-finite values); [`MonitorError::NoPredictions`] for a class-conditional monitor and
    /// a batch without probabilities.
    pub fn score(&self, batch: &crate::Samples<'_>) -> Result<MonitorScores> {
        batch.check(
            "scored batch",
            &self.layer_names,
            Some(&self.widths()),
            self.class_names.len(),
        )?;
        if self.settings.is_class_conditional() && batch.probabilities.is_none() {
            return Err(MonitorError::NoPredictions {
                what: "the scored batch".into(),
            });
        }
        let ev = evidence(&self.maps, &self.neighbours, self.dknn_k, batch)?;
        let n = batch.len();
        let n_layers = self.maps.len();
        let alpha_ln = self.settings.alpha_value().ln();
        let groups = ev
            .predicted
            .as_ref()
            .filter(|_| self.settings.is_class_conditional());
        let mut layer_log_p = Array2::zeros((n, n_layers));
        let mut fisher = Array1::zeros(n);
        let mut log_p = Array1::zeros(n);
        let mut left_at = Vec::with_capacity(n);
        for i in 0..n {
            let class = groups.map(|g| g[i]);
            let mut t = 0.0;
            let mut left = None;
            for (l, cal) in self.layer_calibration.iter().enumerate() {
                let lp = cal.of(class).log_p_value(ev.nearest[[i, l]]);
                layer_log_p[[i, l]] = lp;
                if self.combined_layers[l] {
                    t -= 2.0 * lp;
                }
                if left.is_none() && lp < alpha_ln {
                    left = Some(l);
                }
            }
            fisher[i] = t;
            log_p[i] = self.combined.of(class).log_p_value(t);
            // where a flagged input left; an input not flagged left nowhere
            left_at.push(left.filter(|_| log_p[i] < alpha_ln));
        }
        let credibility_log_p = match (&self.credibility, &ev.votes) {
            (Some(cal), Some(votes)) => {
                Some(Array1::from_iter(votes.rows().into_iter().map(|v| {
                    let best = (0..self.class_names.len())
                        .map(|y| dknn_nonconformity(v, y, self.dknn_k, n_layers))
                        .fold(f64::INFINITY, f64::min);
                    cal.log_p_value(best)
                })))
            }
            _ => None,
        };
        Ok(MonitorScores {
            path_count: Array1::from_iter(
                ev.clusters
                    .rows()
                    .into_iter()
                    .map(|r| self.path_count(&r.to_vec())),
            ),
            flagged: log_p.mapv(|v| v < alpha_ln),
            clusters: ev.clusters,
            predicted: ev.predicted,
            knn_distance: ev.nearest,
            layer_log_p,
            fisher,
            log_p,
            left_at,
            credibility_log_p,
        })
    }
}
