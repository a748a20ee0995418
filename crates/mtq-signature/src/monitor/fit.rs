//! [`PathMonitor::fit`]: the reference's kNN indices and the calibration of every score.

use ndarray::{Array1, Array2, ArrayView1};
use rayon::prelude::*;

use super::error::{MonitorError, Result};
use super::neighbours::ClassNeighbours;
use super::{Calibration, Calibrations, MONDRIAN_MIN, MonitorSettings, PathMonitor};
use crate::analysis::SignatureModel;
use crate::layer_map::LayerMap;
use crate::samples::Samples;

/// What one set's searches give, before any calibration.
pub(crate) struct Evidence {
    /// `n x layers` cluster ids.
    pub(crate) clusters: Array2<usize>,
    /// `n x layers` distance to the nearest reference row.
    pub(crate) nearest: Array2<f64>,
    /// `n x classes` Deep k-NN votes summed over the layers (`None` without Deep k-NN).
    pub(crate) votes: Option<Array2<u32>>,
    /// Predicted class (argmax of the probabilities, first on ties), if given.
    pub(crate) predicted: Option<Array1<usize>>,
}

/// The searches of `set` in every layer, layers in parallel.
pub(crate) fn evidence(
    maps: &[LayerMap],
    neighbours: &[ClassNeighbours],
    dknn_k: usize,
    set: &Samples<'_>,
) -> Result<Evidence> {
    let per_layer = maps
        .par_iter()
        .zip(neighbours.par_iter())
        .zip(set.layers.par_iter())
        .map(|((map, nb), x)| {
            let prepared = map.prepare(*x)?;
            let (clusters, _) = map.assign(prepared.view());
            let found = nb.search(prepared.view(), dknn_k)?;
            Ok((clusters, found))
        })
        .collect::<crate::error::Result<Vec<_>>>()?;
    let n = set.len();
    let mut clusters = Array2::zeros((n, maps.len()));
    let mut nearest = Array2::zeros((n, maps.len()));
    let mut votes: Option<Array2<u32>> = None;
    for (l, (c, found)) in per_layer.into_iter().enumerate() {
        clusters.column_mut(l).assign(&c);
        nearest.column_mut(l).assign(&found.nearest);
        if dknn_k > 0 {
            match &mut votes {
                Some(v) => *v += &found.votes,
                None => votes = Some(found.votes),
            }
        }
    }
    let predicted = set.probabilities.map(|p| crate::samples::argmax_rows(p).0);
    Ok(Evidence {
        clusters,
        nearest,
        votes,
        predicted,
    })
}

/// Deep k-NN nonconformity of label `y`: the votes against it, over every layer.
pub(crate) fn dknn_nonconformity(
    votes: ArrayView1<'_, u32>,
    y: usize,
    k: usize,
    layers: usize,
) -> f64 {
    (k * layers) as f64 - f64::from(votes.get(y).copied().unwrap_or(0))
}

impl PathMonitor {
    /// Fits the monitor of `model` (its reference rows, as the model keeps them, become the
    /// monitor's kNN reference) and calibrates it on `calibration` (in-distribution inputs the
    /// network never trained on; labels needed for the Deep k-NN credibility only, class
    /// probabilities for a class-conditional monitor).
    ///
    /// Cost: one exact kNN search of the calibration set against the reference in every layer.
    ///
    /// # Errors
    /// [`MonitorError::InvalidAlpha`], [`MonitorError::NoCalibration`], [`MonitorError::NoPredictions`] (class-conditional
    /// without probabilities); [`MonitorError::Signature`] for a set that does not fit the
    /// model (layers, widths, rows, non-finite values, labels).
    pub fn fit(
        model: &SignatureModel,
        calibration: &Samples<'_>,
        settings: MonitorSettings,
    ) -> Result<Self> {
        let alpha = settings.alpha_value();
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(MonitorError::InvalidAlpha { value: alpha });
        }
        model.check(calibration, "calibration set")?;
        if calibration.is_empty() {
            return Err(MonitorError::NoCalibration);
        }
        if settings.is_class_conditional() && calibration.probabilities.is_none() {
            return Err(MonitorError::NoPredictions {
                what: "the calibration set".into(),
            });
        }
        let labels = model.reference_labels().to_vec();
        let n_classes = model.class_names().len();
        let maps: Vec<LayerMap> = model.layers().iter().map(|l| l.map().clone()).collect();
        let neighbours: Vec<ClassNeighbours> = model
            .layers()
            .par_iter()
            .map(|l| ClassNeighbours::new(l.knn().rows(), &labels, n_classes))
            .collect();
        let smallest = neighbours
            .iter()
            .map(ClassNeighbours::smallest_class)
            .min()
            .unwrap_or(0);
        let dknn_k = if calibration.labels.is_some() {
            settings.dknn_k_value().min(smallest.saturating_sub(1))
        } else {
            0
        };
        let ev = evidence(&maps, &neighbours, dknn_k, calibration)?;
        let groups = settings
            .is_class_conditional()
            .then(|| ev.predicted.clone())
            .flatten();
        let calibrate = |scores: ArrayView1<'_, f64>| -> Result<Calibrations> {
            let pooled = Calibration::new(scores.to_vec()).ok_or(MonitorError::NoCalibration)?;
            let by_class = match &groups {
                None => Vec::new(),
                Some(pred) => (0..n_classes)
                    .map(|c| {
                        let own: Vec<f64> = scores
                            .iter()
                            .zip(pred)
                            .filter(|&(_, &p)| p == c)
                            .map(|(&s, _)| s)
                            .collect();
                        (own.len() >= MONDRIAN_MIN)
                            .then(|| Calibration::new(own))
                            .flatten()
                    })
                    .collect(),
            };
            Ok(Calibrations { pooled, by_class })
        };
        let layer_calibration: Vec<Calibrations> = ev
            .nearest
            .columns()
            .into_iter()
            .map(calibrate)
            .collect::<Result<_>>()?;
        // the layers of Fisher's statistic: the first, and each one not redundant with the
        // previous one (decided on the reference set)
        let combined_layers: Vec<bool> = (0..maps.len())
            .map(|l| {
                l == 0
                    || !model
                        .redundancy()
                        .verdicts
                        .get(l - 1)
                        .is_some_and(|v| v.redundant)
            })
            .collect();
        // Fisher's statistic of every calibration input, each layer's p-value taken against
        // the other calibration inputs (of its group)
        let n_cal = calibration.len();
        let fisher_of = |i: usize, class: Option<usize>| {
            -2.0 * layer_calibration
                .iter()
                .enumerate()
                .filter(|&(l, _)| combined_layers[l])
                .map(|(l, cal)| cal.of(class).log_p_value_left_out(ev.nearest[[i, l]]))
                .sum::<f64>()
        };
        // the pooled calibration of the statistic from the pooled layer calibrations (what a
        // class without its own calibration is scored with), each class's from its own
        let pooled = Array1::from_iter((0..n_cal).map(|i| fisher_of(i, None)));
        let mut combined = calibrate(pooled.view())?;
        if let Some(g) = &groups {
            let own = Array1::from_iter((0..n_cal).map(|i| fisher_of(i, Some(g[i]))));
            combined.by_class = calibrate(own.view())?.by_class;
        }
        let credibility = match (&ev.votes, calibration.labels) {
            (Some(votes), Some(y)) if dknn_k > 0 => Calibration::new(
                (0..n_cal)
                    .map(|i| dknn_nonconformity(votes.row(i), y[i], dknn_k, maps.len()))
                    .collect(),
            ),
            _ => None,
        };
        Ok(Self {
            settings,
            layer_names: model.layer_names().to_vec(),
            class_names: model.class_names().to_vec(),
            cluster_names: model.cluster_names(),
            path_counts: model
                .paths()
                .iter()
                .map(|r| (r.clusters.clone(), r.count))
                .collect(),
            n_reference: model.n_reference(),
            maps,
            neighbours,
            dknn_k: if credibility.is_some() { dknn_k } else { 0 },
            layer_calibration,
            combined_layers,
            combined,
            credibility,
            n_calibration: n_cal,
            network: None,
        })
    }
}
