//! Per-sample anomaly scores of a traced set, and their evaluation by ROC.

use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::analysis::{SignatureModel, Trace};
use crate::anomaly::knn_error;
use crate::error::{Result, SignatureError};
use crate::roc::{Roc, roc};
use crate::samples::Samples;
pub use crate::score_id::{ScoreId, ScoreKind, column_key};
use crate::task::Task;

/// How the kNN columns are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Knn {
    Full,
    LeaveOneOut,
    Skip,
}

/// Every score computed for every sample of one set. A score not computed for the set (the kNN
/// scores of [`SignatureModel::scores_without_knn`], the monitor's scores of a set the study
/// does not monitor) has no column:
/// [`ScoreTable::column`] gives `None`. Every value is finite.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreTable {
    /// The score columns.
    pub columns: Vec<ScoreId>,
    /// `samples x columns` values; higher = more anomalous.
    pub values: Array2<f64>,
}

impl ScoreTable {
    /// Inserts column `id` (one value per sample, finite) at position `at` (at most the
    /// number of columns).
    ///
    /// # Panics
    /// If `values` does not have one value per row.
    pub(crate) fn insert(&mut self, at: usize, id: ScoreId, values: Array1<f64>) {
        let (n, m) = self.values.dim();
        assert_eq!(values.len(), n, "score column {id}: one value per sample");
        let at = at.min(m);
        let mut table = Array2::zeros((n, m + 1));
        table
            .slice_mut(ndarray::s![.., ..at])
            .assign(&self.values.slice(ndarray::s![.., ..at]));
        table.column_mut(at).assign(&values);
        table
            .slice_mut(ndarray::s![.., at + 1..])
            .assign(&self.values.slice(ndarray::s![.., at..]));
        self.values = table;
        self.columns.insert(at, id);
    }

    /// The column of score `id`, `None` if it was not computed for this set.
    #[must_use]
    pub fn column(&self, id: &ScoreId) -> Option<ArrayView1<'_, f64>> {
        self.columns
            .iter()
            .position(|c| c == id)
            .map(|i| self.values.column(i))
    }
}

/// One score evaluated on one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreEvaluation {
    /// The score.
    pub score: ScoreId,
    /// The task.
    pub task: Task,
    /// The ROC curve with AUROC and FPR at 95 % TPR.
    pub roc: Roc,
}

impl SignatureModel {
    /// Scores every sample of `set` (already traced into `trace`) against the reference.
    ///
    /// # Errors
    /// The errors of [`SignatureModel::trace`], and [`SignatureError::RowMismatch`] if `trace`
    /// is not the trace of `set`.
    pub fn scores(&self, set: &Samples<'_>, trace: &Trace) -> Result<ScoreTable> {
        self.scores_impl(set, trace, Knn::Full)
    }

    /// Scores the reference set itself, leaving each sample out of its own kNN search (so its
    /// kNN scores are comparable with those of unseen samples).
    ///
    /// # Errors
    /// As [`SignatureModel::scores`], and [`SignatureError::RowMismatch`] if `set` is not the
    /// size of the reference.
    pub fn reference_scores(&self, set: &Samples<'_>) -> Result<ScoreTable> {
        let trace = self.trace(set)?;
        self.scores_impl(set, &trace, Knn::LeaveOneOut)
    }

    /// As [`SignatureModel::scores`] but without the kNN search: the table has no kNN columns;
    /// the other columns keep their order. The cheap scores of a large reference set.
    ///
    /// # Errors
    /// As [`SignatureModel::scores`].
    pub fn scores_without_knn(&self, set: &Samples<'_>, trace: &Trace) -> Result<ScoreTable> {
        self.scores_impl(set, trace, Knn::Skip)
    }

    fn scores_impl(&self, set: &Samples<'_>, trace: &Trace, knn: Knn) -> Result<ScoreTable> {
        self.check(set, "scored set")?;
        let n = set.len();
        if trace.len() != n {
            return Err(SignatureError::RowMismatch {
                what: "trace of the scored set".into(),
                expected: n,
                found: trace.len(),
            });
        }
        let mut columns: Vec<ScoreId> = Vec::new();
        let mut values: Vec<Array1<f64>> = Vec::new();
        let mut push = |kind: ScoreKind, v: Array1<f64>| {
            columns.push(ScoreId::global(kind));
            values.push(v);
        };
        if let Some(p) = &trace.max_probability {
            push(ScoreKind::MaxSoftmax, p.mapv(|v| 1.0 - f64::from(v)));
        }
        let total = self.n_reference() as f64;
        let rarity: Array1<f64> = (0..n)
            .map(|i| {
                let c = self.path_count(&trace.path(i)) as f64;
                -((c + 1.0) / (total + 1.0)).ln()
            })
            .collect();
        push(ScoreKind::PathRarity, rarity);
        let prepared = self.prepare(set)?;
        let k_max = self.knn_k_max();
        let with_knn = knn != Knn::Skip && k_max > 0;
        let mut per_layer: Vec<(ScoreId, Array1<f64>)> = Vec::new();
        for (li, layer) in self.layers().iter().enumerate() {
            let name = layer.name();
            let x = prepared[li].view();
            per_layer.push((
                ScoreId::of_layer(ScoreKind::CentroidDistance, name),
                trace.distances.column(li).mapv(f64::from),
            ));
            per_layer.push((
                ScoreId::of_layer(ScoreKind::Mahalanobis, name),
                layer.mahalanobis().distances(x)?,
            ));
            if !with_knn {
                continue;
            }
            let loo = knn == Knn::LeaveOneOut;
            let (raw, l2) = layer
                .knn()
                .distances_raw_and_l2(x, k_max, loo)
                .map_err(knn_error)?;
            for (is_l2, d) in [(false, &raw), (true, &l2)] {
                for &k in self.knn_ks() {
                    per_layer.push((
                        ScoreId::of_layer(ScoreKind::Knn { k, l2: is_l2 }, name),
                        d.column(k - 1).mapv(f64::from),
                    ));
                }
            }
        }
        for (info, v) in per_layer {
            columns.push(info);
            values.push(v);
        }
        let mut table = Array2::zeros((n, values.len()));
        for (j, v) in values.iter().enumerate() {
            table.column_mut(j).assign(v);
        }
        Ok(ScoreTable {
            columns,
            values: table,
        })
    }
}

/// Evaluates every score of `negatives` (in-distribution) against the same score of `positives`
/// (anomalies) on one task, keeping the ROC curves.
///
/// # Errors
/// [`SignatureError::ScoreColumns`] if the two tables have different columns, naming the
/// scores only one side has (e.g. the max-softmax baseline when only one set has class
/// probabilities); the errors of [`roc`].
pub fn evaluate(
    negatives: &ScoreTable,
    positives: &ScoreTable,
    task: &Task,
) -> Result<Vec<ScoreEvaluation>> {
    if negatives.columns != positives.columns {
        let names = |a: &ScoreTable, b: &ScoreTable| -> Vec<String> {
            a.columns
                .iter()
                .filter(|c| !b.columns.contains(c))
                .map(ToString::to_string)
                .collect()
        };
        return Err(SignatureError::ScoreColumns {
            task: task.to_string(),
            only_negatives: names(negatives, positives),
            only_positives: names(positives, negatives),
        });
    }
    negatives
        .columns
        .iter()
        .enumerate()
        .map(|(j, info)| {
            let neg: Vec<f64> = negatives.values.column(j).to_vec();
            let pos: Vec<f64> = positives.values.column(j).to_vec();
            Ok(ScoreEvaluation {
                score: info.clone(),
                task: task.clone(),
                roc: roc(&neg, &pos)?,
            })
        })
        .collect()
}
