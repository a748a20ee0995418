//! Per-sample anomaly scores of a traced set, and their evaluation by ROC.

use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::analysis::{SignatureModel, Trace};
use crate::error::{Result, SignatureError};
use crate::roc::{Roc, roc};
use crate::samples::Samples;

/// What a score measures. Higher always means "more anomalous".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum ScoreKind {
    /// `1 - max softmax probability` (the baseline).
    MaxSoftmax,
    /// `-ln((c + 1) / (n + 1))` where `c` reference samples take the sample's path.
    PathRarity,
    /// Mean over layers of the nearest-neighbour distance divided by the reference's median
    /// leave-one-out nearest-neighbour distance in that layer.
    Combined,
    /// Distance to the nearest centroid in one layer.
    CentroidDistance,
    /// Distance to the `k`-th nearest reference sample in one layer.
    Knn {
        /// Neighbour rank.
        k: usize,
        /// Whether rows are L2-normalised first (cosine geometry).
        l2: bool,
    },
    /// Mahalanobis distance to the nearest class mean in one layer (shared covariance + ridge).
    Mahalanobis,
}

/// How the kNN columns are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Knn {
    Full,
    LeaveOneOut,
    Skip,
}

/// One score column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreInfo {
    /// Readable name, e.g. `kNN h1 k=1 (L2)`.
    pub name: String,
    /// The layer it reads, if one.
    pub layer: Option<String>,
    /// What it measures.
    pub kind: ScoreKind,
}

/// Every score of every sample of one set.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreTable {
    /// The score columns.
    pub columns: Vec<ScoreInfo>,
    /// `samples x columns` values; higher = more anomalous.
    pub values: Array2<f64>,
}

impl ScoreTable {
    /// The column named `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<ArrayView1<'_, f64>> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .map(|i| self.values.column(i))
    }
}

/// One score evaluated on one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreEvaluation {
    /// Score name.
    pub name: String,
    /// Task, e.g. `1/7 test vs 4s`.
    pub task: String,
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

    /// As [`SignatureModel::scores`] but without the kNN search: the kNN columns and the
    /// combined score (built on kNN) are NaN. The cheap scores of a large reference set.
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
        let mut columns: Vec<ScoreInfo> = Vec::new();
        let mut values: Vec<Array1<f64>> = Vec::new();
        let mut push = |name: String, layer: Option<&str>, kind: ScoreKind, v: Array1<f64>| {
            columns.push(ScoreInfo {
                name,
                layer: layer.map(str::to_string),
                kind,
            });
            values.push(v);
        };
        if let Some(p) = &trace.max_probability {
            push(
                "max-softmax (1 - p)".into(),
                None,
                ScoreKind::MaxSoftmax,
                p.mapv(|v| 1.0 - f64::from(v)),
            );
        }
        let total = self.n_reference() as f64;
        let rarity: Array1<f64> = (0..n)
            .map(|i| {
                let c = self.path_count(&trace.path(i)) as f64;
                -((c + 1.0) / (total + 1.0)).ln()
            })
            .collect();
        push("path rarity".into(), None, ScoreKind::PathRarity, rarity);
        let prepared = self.prepare(set)?;
        let k_max = self.knn_k_max();
        let mut combined = Array1::<f64>::zeros(n);
        let mut per_layer: Vec<(ScoreInfo, Array1<f64>)> = Vec::new();
        for (li, layer) in self.layers().iter().enumerate() {
            let name = layer.name();
            let x = prepared[li].view();
            per_layer.push((
                ScoreInfo {
                    name: format!("centroid distance {name}"),
                    layer: Some(name.into()),
                    kind: ScoreKind::CentroidDistance,
                },
                trace.distances.column(li).mapv(f64::from),
            ));
            per_layer.push((
                ScoreInfo {
                    name: format!("Mahalanobis {name}"),
                    layer: Some(name.into()),
                    kind: ScoreKind::Mahalanobis,
                },
                layer.mahalanobis().distances(x)?,
            ));
            let (raw, l2) = if knn == Knn::Skip {
                let nan = Array2::from_elem((n, k_max), f32::NAN);
                (nan.clone(), nan)
            } else {
                let loo = knn == Knn::LeaveOneOut;
                layer.knn().distances_raw_and_l2(x, k_max, loo)?
            };
            combined += &raw.column(0).mapv(|v| f64::from(v) / layer.knn1_median());
            for (is_l2, d) in [(false, &raw), (true, &l2)] {
                for &k in self.knn_ks() {
                    let suffix = if is_l2 { " (L2)" } else { "" };
                    per_layer.push((
                        ScoreInfo {
                            name: format!("kNN {name} k={k}{suffix}"),
                            layer: Some(name.into()),
                            kind: ScoreKind::Knn { k, l2: is_l2 },
                        },
                        d.column(k - 1).mapv(f64::from),
                    ));
                }
            }
        }
        combined /= self.layers().len() as f64;
        push(
            "combined (kNN-1 / reference median, mean over layers)".into(),
            None,
            ScoreKind::Combined,
            combined,
        );
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
/// [`SignatureError::RowMismatch`] if the two tables have different columns (compared by
/// count); the errors of [`roc`].
pub fn evaluate(
    negatives: &ScoreTable,
    positives: &ScoreTable,
    task: &str,
) -> Result<Vec<ScoreEvaluation>> {
    if negatives.columns != positives.columns {
        return Err(SignatureError::RowMismatch {
            what: format!("score columns of task {task}"),
            expected: negatives.columns.len(),
            found: positives.columns.len(),
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
                name: info.name.clone(),
                task: task.to_string(),
                roc: roc(&neg, &pos)?,
            })
        })
        .collect()
}
