//! A whole study: trace the reference, an in-distribution test set and injected sets of unseen
//! classes; score and evaluate every anomaly score; analyse where the strangers go. Numbers and
//! typed verdicts only: `mtq-report` turns a [`StudyResult`] into figures, tables and sentences.

use std::collections::BTreeMap;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::analysis::{SignatureModel, Trace};
use crate::error::{Result, SignatureError};
use crate::monitor::{MonitorScores, MonitorSummary, PathMonitor};
use crate::path::path_name;
use crate::samples::Samples;
use crate::scores::{ScoreEvaluation, ScoreId, ScoreKind, ScoreTable, evaluate};
pub use crate::task::Task;

/// The sets of one study. The reference must be the set the model was fitted on.
#[derive(Debug, Clone)]
pub struct StudyInput<'a> {
    /// Seed of the run (reported).
    pub seed: u64,
    /// Test accuracy of the network, if measured.
    pub test_accuracy: Option<f64>,
    /// The reference set (labels required).
    pub reference: Samples<'a>,
    /// The in-distribution test set, if any (labels optional): the negatives of every task.
    pub test: Option<Samples<'a>>,
    /// In-distribution inputs the network never trained on, kept out of every evaluation: the
    /// calibration set of the study's [`PathMonitor`] (labels for its Deep k-NN credibility).
    /// Without it the study fits no monitor and trusts no score unless one was fixed with
    /// [`SignatureParams::trusted_score`](crate::SignatureParams::trusted_score).
    pub calibration: Option<Samples<'a>>,
    /// Injected sets of unseen classes, each with its class name; each becomes the positives of
    /// one task.
    pub unseen: Vec<UnseenSet<'a>>,
}

/// One injected set of a class the network never saw.
#[derive(Debug, Clone)]
pub struct UnseenSet<'a> {
    /// Class name, e.g. `4`.
    pub name: String,
    /// Its samples (labels not needed).
    pub samples: Samples<'a>,
}

/// The role of a set in a study.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "name")]
pub enum SetRole {
    /// The set the model was fitted on.
    Reference,
    /// The in-distribution test set.
    Test,
    /// An injected set of an unseen class, with the class name.
    Unseen(String),
}

impl std::fmt::Display for SetRole {
    /// `reference`, `test`, `unseen:<name>`: the set names of the per-sample files.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Reference => f.write_str("reference"),
            Self::Test => f.write_str("test"),
            Self::Unseen(n) => write!(f, "unseen:{n}"),
        }
    }
}

/// One traced and scored set of a study.
#[derive(Debug, Clone)]
pub struct TracedSet {
    /// What the set is.
    pub role: SetRole,
    /// True labels (indices into the class names), if given.
    pub labels: Option<Array1<usize>>,
    /// Sample ids (e.g. rows of the source file), if given.
    pub ids: Option<Array1<usize>>,
    /// Every sample's clusters, distances and prediction.
    pub trace: Trace,
    /// Every sample's anomaly scores. The reference has no kNN columns and no monitor scores
    /// (a leave-one-out search of the whole reference is quadratic and no task uses it): not
    /// computed, [`ScoreTable::column`] gives `None`.
    pub scores: ScoreTable,
    /// What the study's path monitor says of every sample (not for the reference, nor without
    /// a calibration set).
    pub monitor: Option<MonitorScores>,
}

impl TracedSet {
    /// Number of samples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.trace.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.trace.is_empty()
    }
}

/// One path an unseen set takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrangerPath {
    /// Cluster id per layer.
    pub clusters: Vec<usize>,
    /// Its name, `h1:7 > h2:7 > out:7`.
    pub name: String,
    /// Samples of the set on it.
    pub count: usize,
    /// Whether any reference sample takes it.
    pub taken_in_training: bool,
}

/// How many samples of a set fall in one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterCount {
    /// Cluster name, e.g. `h1:7`.
    pub cluster: String,
    /// Samples in it.
    pub count: usize,
}

/// Where one injected set goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stranger {
    /// Class name of the injected set.
    pub class: String,
    /// Samples in it.
    pub n: usize,
    /// Per layer: count per cluster, in cluster id order.
    pub clusters: Vec<Vec<ClusterCount>>,
    /// Per layer: share routed through the clusters of each reference class (by majority class),
    /// in class order.
    pub class_shares: Vec<Vec<f64>>,
    /// Count per predicted class, if predictions were given.
    pub predicted: Option<Vec<usize>>,
    /// Paths they take, most frequent first.
    pub paths: Vec<StrangerPath>,
    /// Distinct paths of theirs no training sample takes.
    pub unseen_paths: usize,
    /// Their samples on such paths.
    pub samples_on_unseen_paths: usize,
}

/// How the score to trust was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TrustRule {
    /// The path monitor's combined p-value ([`ScoreKind::Combined`]), fixed before any task
    /// was evaluated: every layer's nearest-neighbour distance, each made a p-value and
    /// combined, calibrated on the calibration set, never on the unseen classes.
    Monitor,
    /// Fixed in advance by the user.
    UserChoice,
}

/// The score the study trusts, and how it was chosen. Never chosen on the tasks it is
/// evaluated on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedScore {
    /// The score.
    pub score: ScoreId,
    /// How it was chosen.
    pub rule: TrustRule,
}

/// The outcome of a study: numbers and typed verdicts.
#[derive(Debug, Clone)]
pub struct StudyResult {
    /// Seed of the run.
    pub seed: u64,
    /// Test accuracy of the network, if measured.
    pub test_accuracy: Option<f64>,
    /// The traced sets: the reference, then the test set if any, then the unseen sets in input
    /// order.
    pub sets: Vec<TracedSet>,
    /// The tasks, in unseen-set order (none without a test set).
    pub tasks: Vec<Task>,
    /// Every score on every task, ROC curves included, task by task.
    pub evaluations: Vec<ScoreEvaluation>,
    /// Where each injected set goes.
    pub strangers: Vec<Stranger>,
    /// The score to trust (`None`: no calibration set and no score fixed by the user).
    pub trusted: Option<TrustedScore>,
    /// The path monitor fitted on the calibration set, if any.
    pub path_monitor: Option<PathMonitor>,
    /// What the monitor did on the test and unseen sets.
    pub monitor: Option<MonitorSummary>,
}

impl StudyResult {
    /// AUROC of `score` on `task`.
    #[must_use]
    pub fn auroc(&self, score: &ScoreId, task: &Task) -> Option<f64> {
        self.evaluations
            .iter()
            .find(|e| e.score == *score && e.task == *task)
            .map(|e| e.roc.auroc)
    }

    /// The set with `role`.
    #[must_use]
    pub fn set(&self, role: &SetRole) -> Option<&TracedSet> {
        self.sets.iter().find(|s| s.role == *role)
    }

    /// The reference set.
    #[must_use]
    pub fn reference(&self) -> &TracedSet {
        &self.sets[0]
    }

    /// The unseen sets, in input order.
    pub fn unseen(&self) -> impl Iterator<Item = &TracedSet> {
        self.sets
            .iter()
            .filter(|s| matches!(s.role, SetRole::Unseen(_)))
    }
}

impl SignatureModel {
    /// Runs the study of `input` on this fitted model.
    ///
    /// # Errors
    /// The errors of [`SignatureModel::trace`] and [`SignatureModel::scores`] for any set,
    /// [`SignatureError::RowMismatch`] if the reference is not the fitted one's size.
    pub fn study(&self, input: &StudyInput<'_>) -> Result<StudyResult> {
        if input.reference.len() != self.n_reference() {
            return Err(SignatureError::RowMismatch {
                what: "study reference (must be the fitted reference)".into(),
                expected: self.n_reference(),
                found: input.reference.len(),
            });
        }
        let path_monitor = input
            .calibration
            .as_ref()
            .map(|cal| PathMonitor::fit(self, cal, self.params().monitor_settings()))
            .transpose()?;
        let trusted = self.trusted_score(path_monitor.is_some());
        let traced = |role: SetRole, s: &Samples<'_>| -> Result<TracedSet> {
            let mut set = self.traced(role, s)?;
            if let Some(m) = &path_monitor {
                let scores = m.score(s)?;
                // after the global scores (max-softmax, path rarity), before the per-layer ones
                let at = set
                    .scores
                    .columns
                    .iter()
                    .take_while(|c| c.layer.is_none())
                    .count();
                if let Some(c) = &scores.credibility_log_p {
                    set.scores.insert(
                        at,
                        ScoreId::global(ScoreKind::Credibility),
                        c.mapv(|v| -v / std::f64::consts::LN_10),
                    );
                }
                set.scores.insert(
                    at,
                    ScoreId::global(ScoreKind::Combined),
                    scores.log_p.mapv(|v| -v / std::f64::consts::LN_10),
                );
                set.monitor = Some(scores);
            }
            Ok(set)
        };
        let mut sets = vec![self.traced(SetRole::Reference, &input.reference)?];
        if let Some(t) = &input.test {
            sets.push(traced(SetRole::Test, t)?);
        }
        for u in &input.unseen {
            sets.push(traced(SetRole::Unseen(u.name.clone()), &u.samples)?);
        }
        let monitor = path_monitor.as_ref().map(|m| {
            let unseen: Vec<(String, &MonitorScores)> = sets
                .iter()
                .filter_map(|s| match (&s.role, &s.monitor) {
                    (SetRole::Unseen(name), Some(ms)) => Some((name.clone(), ms)),
                    _ => None,
                })
                .collect();
            let test = sets
                .iter()
                .find(|s| s.role == SetRole::Test)
                .and_then(|s| s.monitor.as_ref());
            MonitorSummary::new(m, test, &unseen)
        });
        let mut tasks = Vec::new();
        let mut evaluations = Vec::new();
        if let Some(test) = sets.iter().find(|s| s.role == SetRole::Test) {
            for u in &input.unseen {
                let task = Task {
                    unseen: u.name.clone(),
                };
                let positives = sets
                    .iter()
                    .find(|s| s.role == SetRole::Unseen(u.name.clone()))
                    .map(|s| &s.scores)
                    .ok_or_else(|| SignatureError::RowMismatch {
                        what: format!("unseen set {}", u.name),
                        expected: 1,
                        found: 0,
                    })?;
                evaluations.extend(evaluate(&test.scores, positives, &task)?);
                tasks.push(task);
            }
        }
        let strangers = sets
            .iter()
            .filter_map(|s| match &s.role {
                SetRole::Unseen(name) => Some(self.stranger(name, &s.trace)),
                _ => None,
            })
            .collect();
        Ok(StudyResult {
            seed: input.seed,
            test_accuracy: input.test_accuracy,
            sets,
            tasks,
            evaluations,
            strangers,
            trusted,
            path_monitor,
            monitor,
        })
    }

    /// The score to trust: the one set with
    /// [`SignatureParams::trusted_score`](crate::SignatureParams::trusted_score), else the path
    /// monitor's combined p-value when the study has a calibration set (`monitored`)
    /// ([`TrustRule::Monitor`]), else none.
    #[must_use]
    pub fn trusted_score(&self, monitored: bool) -> Option<TrustedScore> {
        match self.params().trusted() {
            Some(score) => Some(TrustedScore {
                score: score.clone(),
                rule: TrustRule::UserChoice,
            }),
            None => monitored.then(|| TrustedScore {
                score: ScoreId::global(ScoreKind::Combined),
                rule: TrustRule::Monitor,
            }),
        }
    }

    fn traced(&self, role: SetRole, s: &Samples<'_>) -> Result<TracedSet> {
        let trace = self.trace_named(s, &format!("set {role}"))?;
        // The reference's kNN scores would be a leave-one-out search of the whole reference
        // against itself (quadratic, and no task uses them): its rows carry the other scores.
        let scores = if role == SetRole::Reference {
            self.scores_without_knn(s, &trace)?
        } else {
            self.scores(s, &trace)?
        };
        Ok(TracedSet {
            role,
            labels: s.labels.map(|l| l.to_owned()),
            ids: s.ids.map(|l| l.to_owned()),
            trace,
            scores,
            monitor: None,
        })
    }

    fn stranger(&self, name: &str, trace: &Trace) -> Stranger {
        let n = trace.len();
        let n_classes = self.class_names().len();
        let mut clusters = Vec::new();
        let mut class_shares = Vec::new();
        for (li, layer) in self.layers().iter().enumerate() {
            let mut counts = vec![0usize; layer.k()];
            for &c in trace.clusters.column(li) {
                counts[c] += 1;
            }
            let mut shares = vec![0.0; n_classes];
            for (c, &m) in counts.iter().enumerate() {
                if let Some(y) = layer.table().majority[c] {
                    shares[y] += m as f64 / n.max(1) as f64;
                }
            }
            clusters.push(
                layer
                    .cluster_names()
                    .iter()
                    .zip(counts)
                    .map(|(c, count)| ClusterCount {
                        cluster: c.clone(),
                        count,
                    })
                    .collect(),
            );
            class_shares.push(shares);
        }
        let predicted = trace.predictions.as_ref().map(|p| {
            let mut v = vec![0usize; n_classes];
            for &y in p {
                if y < n_classes {
                    v[y] += 1;
                }
            }
            v
        });
        let names = self.cluster_names();
        let mut counts: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
        for row in trace.clusters.rows() {
            *counts.entry(row.to_vec()).or_insert(0) += 1;
        }
        let mut paths: Vec<(Vec<usize>, usize)> = counts.into_iter().collect();
        paths.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let unseen: Vec<&(Vec<usize>, usize)> = paths
            .iter()
            .filter(|(p, _)| self.path_count(p) == 0)
            .collect();
        Stranger {
            class: name.to_string(),
            n,
            clusters,
            class_shares,
            predicted,
            unseen_paths: unseen.len(),
            samples_on_unseen_paths: unseen.iter().map(|(_, c)| c).sum(),
            paths: paths
                .iter()
                .map(|(p, c)| StrangerPath {
                    name: path_name(p, &names),
                    clusters: p.clone(),
                    count: *c,
                    taken_in_training: self.path_count(p) > 0,
                })
                .collect(),
        }
    }
}
