//! A whole study: trace the reference, an in-distribution test set and injected sets of unseen
//! classes; score and evaluate every anomaly score; analyse where the strangers go; fill the
//! [`ReportData`] the report renders; and build the per-sample export.

use std::collections::BTreeMap;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::analysis::{SignatureModel, Trace};
use crate::error::{Result, SignatureError};
use crate::export::SampleTable;
use crate::path::path_name;
use crate::report::{
    AnomalyData, ClusterColumn, ClusterTable, Fact, LayerPair, LayerRoute, LayerVsLabels,
    PathRow as ReportPathRow, PathTable, RedundancyData, ReportData, RocCurve, SankeyColumn,
    SankeyData, SankeyGroup, SankeyLink, SankeyNode, ScoreRow, SetSize, Share, SilhouetteCurve,
    StrangerData, Summary, TaskScore,
};
use crate::samples::Samples;
use crate::scores::{ScoreEvaluation, ScoreKind, ScoreTable, evaluate};

/// A path and the predicted class at its end.
type PathKey = (Vec<usize>, Option<usize>);

/// The sets of one study. The reference must be the set the model was fitted on.
#[derive(Debug, Clone)]
pub struct StudyInput<'a> {
    /// Report title.
    pub title: String,
    /// Seed of the run (reported).
    pub seed: u64,
    /// Test accuracy of the network, if measured.
    pub test_accuracy: Option<f64>,
    /// Name of the reference set, e.g. `train 1/7`.
    pub reference_name: String,
    /// The reference set (labels required).
    pub reference: Samples<'a>,
    /// Name of the in-distribution test set, e.g. `test 1/7`, the negatives of every task.
    pub test_name: String,
    /// The in-distribution test set, if any (labels optional).
    pub test: Option<Samples<'a>>,
    /// Injected sets of unseen classes, each `(class name, samples)`; each becomes the positives
    /// of one task.
    pub injected: Vec<(String, Samples<'a>)>,
    /// Extra facts for the summary.
    pub facts: Vec<Fact>,
    /// Extra findings in plain sentences.
    pub notes: Vec<String>,
}

/// Where one injected set goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stranger {
    /// Class name of the injected set.
    pub class: String,
    /// Samples in it.
    pub n: usize,
    /// Per layer: count per cluster (by cluster name, in cluster id order).
    pub clusters: Vec<Vec<(String, usize)>>,
    /// Per layer: share routed through the clusters of each reference class (by majority class),
    /// in class order.
    pub class_shares: Vec<Vec<f64>>,
    /// Count per predicted class, if predictions were given.
    pub predicted: Option<Vec<usize>>,
    /// Paths they take: `(path name, count, taken in training)`, most frequent first.
    pub paths: Vec<(String, usize, bool)>,
    /// Distinct paths of theirs no training sample takes.
    pub unseen_paths: usize,
    /// Their samples on such paths.
    pub samples_on_unseen_paths: usize,
}

/// The outcome of a study.
#[derive(Debug, Clone)]
pub struct StudyResult {
    /// Everything the report shows.
    pub report: ReportData,
    /// Every score on every task, ROC curves included.
    pub evaluations: Vec<ScoreEvaluation>,
    /// Where each injected set goes.
    pub strangers: Vec<Stranger>,
    /// The per-sample table of every set.
    pub samples: SampleTable,
    /// Name of the score judged most trustworthy.
    pub trusted: String,
}

impl StudyResult {
    /// AUROC of score `name` on `task`.
    #[must_use]
    pub fn auroc(&self, name: &str, task: &str) -> Option<f64> {
        self.evaluations
            .iter()
            .find(|e| e.name == name && e.task == task)
            .map(|e| e.roc.auroc)
    }

    /// The task names, in order.
    #[must_use]
    pub fn tasks(&self) -> Vec<String> {
        let mut t: Vec<String> = Vec::new();
        for e in &self.evaluations {
            if !t.contains(&e.task) {
                t.push(e.task.clone());
            }
        }
        t
    }
}

/// One traced and scored set.
struct Traced {
    name: String,
    labels: Option<Array1<usize>>,
    ids: Option<Array1<usize>>,
    trace: Trace,
    scores: ScoreTable,
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
        let reference = self.traced(&input.reference_name, &input.reference, true)?;
        let test = input
            .test
            .as_ref()
            .map(|t| self.traced(&input.test_name, t, false))
            .transpose()?;
        let injected: Vec<Traced> = input
            .injected
            .iter()
            .map(|(name, s)| self.traced(name, s, false))
            .collect::<Result<_>>()?;
        let mut evaluations = Vec::new();
        if let Some(t) = &test {
            for inj in &injected {
                let task = format!("{} vs {}s", t.name, inj.name);
                evaluations.extend(evaluate(&t.scores, &inj.scores, &task)?);
            }
        }
        let strangers: Vec<Stranger> = injected.iter().map(|s| self.stranger(s)).collect();
        let (trusted, rationale) = choose_trusted(&evaluations, &reference.scores);
        let mut all = vec![&reference];
        all.extend(test.iter());
        all.extend(injected.iter());
        let samples = SampleTable::build(
            self,
            all.iter()
                .map(|t| {
                    (
                        t.name.as_str(),
                        t.labels.as_ref(),
                        t.ids.as_ref(),
                        &t.trace,
                        &t.scores,
                    )
                })
                .collect(),
            injected.iter().map(|t| t.name.clone()).collect(),
        );
        let report = self.report_data(
            input,
            &reference,
            test.as_ref(),
            &injected,
            &strangers,
            &evaluations,
            &trusted,
            &rationale,
        );
        Ok(StudyResult {
            report,
            evaluations,
            strangers,
            samples,
            trusted,
        })
    }

    fn traced(&self, name: &str, s: &Samples<'_>, reference: bool) -> Result<Traced> {
        let trace = self.trace(s)?;
        // The reference's kNN scores would be a leave-one-out search of the whole reference
        // against itself (quadratic, and no task uses them): its rows carry the other scores.
        let scores = if reference {
            self.scores_without_knn(s, &trace)?
        } else {
            self.scores(s, &trace)?
        };
        Ok(Traced {
            name: name.to_string(),
            labels: s.labels.map(|l| l.to_owned()),
            ids: s.ids.map(|l| l.to_owned()),
            trace,
            scores,
        })
    }

    fn stranger(&self, s: &Traced) -> Stranger {
        let n = s.trace.len();
        let n_classes = self.class_names().len();
        let mut clusters = Vec::new();
        let mut class_shares = Vec::new();
        for (li, layer) in self.layers().iter().enumerate() {
            let mut counts = vec![0usize; layer.k()];
            for &c in s.trace.clusters.column(li) {
                counts[c] += 1;
            }
            let mut shares = vec![0.0; n_classes];
            for (c, &m) in counts.iter().enumerate() {
                if let Some(y) = layer.table().majority[c] {
                    shares[y] += m as f64 / n.max(1) as f64;
                }
            }
            clusters.push(layer.cluster_names().iter().cloned().zip(counts).collect());
            class_shares.push(shares);
        }
        let predicted = s.trace.predictions.as_ref().map(|p| {
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
        for row in s.trace.clusters.rows() {
            *counts.entry(row.to_vec()).or_insert(0) += 1;
        }
        let mut paths: Vec<(Vec<usize>, usize)> = counts.into_iter().collect();
        paths.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let unseen: Vec<&(Vec<usize>, usize)> = paths
            .iter()
            .filter(|(p, _)| self.path_count(p) == 0)
            .collect();
        Stranger {
            class: s.name.clone(),
            n,
            clusters,
            class_shares,
            predicted,
            unseen_paths: unseen.len(),
            samples_on_unseen_paths: unseen.iter().map(|(_, c)| c).sum(),
            paths: paths
                .iter()
                .map(|(p, c)| (path_name(p, &names), *c, self.path_count(p) > 0))
                .collect(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn report_data(
        &self,
        input: &StudyInput<'_>,
        reference: &Traced,
        test: Option<&Traced>,
        injected: &[Traced],
        strangers: &[Stranger],
        evaluations: &[ScoreEvaluation],
        trusted: &str,
        rationale: &str,
    ) -> ReportData {
        let classes = self.class_names();
        let mut sets = vec![SetSize {
            name: reference.name.clone(),
            n: reference.trace.len(),
        }];
        if let Some(t) = test {
            sets.push(SetSize {
                name: t.name.clone(),
                n: t.trace.len(),
            });
        }
        for t in injected {
            sets.push(SetSize {
                name: format!("unseen {}", t.name),
                n: t.trace.len(),
            });
        }
        let summary = Summary {
            seed: input.seed,
            test_accuracy: input.test_accuracy,
            layers: self.layer_names().to_vec(),
            sets,
            facts: input.facts.clone(),
        };
        let silhouette_curves = self
            .layers()
            .iter()
            .map(|l| SilhouetteCurve {
                layer: l.name().to_string(),
                k: l.curve().ks.clone(),
                silhouette: l.curve().silhouette.clone(),
                chosen_k: l.k(),
            })
            .collect();
        let cluster_tables = self
            .layers()
            .iter()
            .map(|l| {
                let t = l.table();
                ClusterTable {
                    layer: l.name().to_string(),
                    classes: classes.to_vec(),
                    clusters: (0..l.k())
                        .map(|c| ClusterColumn {
                            name: t.names[c].clone(),
                            counts: t.counts.iter().map(|r| r[c]).collect(),
                            purity: t.purity[c],
                            entropy: t.entropy[c],
                        })
                        .collect(),
                }
            })
            .collect();
        let mut path_tables = Vec::new();
        let ref_labels = reference.labels.as_ref();
        for (y, class) in classes.iter().enumerate() {
            let keep: Vec<usize> = (0..reference.trace.len())
                .filter(|&i| ref_labels.is_some_and(|l| l[i] == y))
                .collect();
            path_tables.push(self.path_table(class, false, &reference.trace, &keep));
        }
        for t in injected {
            let keep: Vec<usize> = (0..t.trace.len()).collect();
            path_tables.push(self.path_table(&t.name, true, &t.trace, &keep));
        }
        let red = self.redundancy();
        let redundancy = RedundancyData {
            threshold: red.threshold,
            pairs: red
                .consecutive
                .iter()
                .zip(&red.verdicts)
                .map(|(p, v)| LayerPair {
                    first: p.a.clone(),
                    second: p.b.clone(),
                    ari: p.ari,
                    nmi: p.nmi,
                    cka: p.cka,
                    redundant: v.redundant,
                })
                .collect(),
            vs_labels: red
                .vs_labels
                .iter()
                .map(|p| LayerVsLabels {
                    layer: p.a.clone(),
                    ari: p.ari,
                    nmi: p.nmi,
                })
                .collect(),
            verdict: red.summary(),
        };
        let strangers_data = strangers
            .iter()
            .map(|s| StrangerData {
                class: s.class.clone(),
                n_samples: s.n,
                routes: self
                    .layer_names()
                    .iter()
                    .zip(&s.class_shares)
                    .map(|(layer, shares)| LayerRoute {
                        layer: layer.clone(),
                        shares: classes
                            .iter()
                            .zip(shares)
                            .map(|(c, sh)| Share {
                                label: c.clone(),
                                count: (sh * s.n as f64).round() as usize,
                            })
                            .collect(),
                    })
                    .collect(),
                predicted: s
                    .predicted
                    .as_ref()
                    .map(|p| {
                        classes
                            .iter()
                            .zip(p)
                            .map(|(c, &n)| Share {
                                label: c.clone(),
                                count: n,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                unseen_paths: s.unseen_paths,
                samples_on_unseen_paths: s.samples_on_unseen_paths,
            })
            .collect();
        let mut scores: Vec<ScoreRow> = Vec::new();
        for e in evaluations {
            let r = TaskScore {
                task: e.task.clone(),
                auroc: e.roc.auroc,
                fpr_at_95_tpr: e.roc.fpr_at_95_tpr,
            };
            match scores.iter_mut().find(|s| s.name == e.name) {
                Some(s) => s.results.push(r),
                None => scores.push(ScoreRow {
                    name: e.name.clone(),
                    results: vec![r],
                }),
            }
        }
        let roc_curves = roc_curves_to_draw(evaluations, trusted, self.layer_names());
        let anomaly = AnomalyData {
            scores,
            roc_curves,
            trusted: trusted.to_string(),
            rationale: rationale.to_string(),
        };
        ReportData {
            title: input.title.clone(),
            summary,
            notes: input.notes.clone(),
            sankey: self.sankey(reference, injected),
            silhouette_curves,
            cluster_tables,
            path_tables,
            redundancy,
            strangers: strangers_data,
            anomaly,
        }
    }

    fn path_table(&self, class: &str, injected: bool, trace: &Trace, keep: &[usize]) -> PathTable {
        let names = self.cluster_names();
        let classes = self.class_names();
        let mut counts: BTreeMap<(Vec<usize>, Option<usize>), usize> = BTreeMap::new();
        for &i in keep {
            let pred = trace.predictions.as_ref().map(|p| p[i]);
            *counts.entry((trace.path(i), pred)).or_insert(0) += 1;
        }
        let mut rows: Vec<(PathKey, usize)> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        PathTable {
            class: class.to_string(),
            injected,
            n_samples: keep.len(),
            rows: rows
                .into_iter()
                .map(|((p, pred), count)| ReportPathRow {
                    path: p.iter().zip(&names).map(|(&c, n)| n[c].clone()).collect(),
                    predicted: pred.map_or("-".into(), |y| classes[y].clone()),
                    count,
                    unseen_in_training: self.path_count(&p) == 0,
                })
                .collect(),
        }
    }

    /// Sankey of the reference set and the injected sets: true class -> each layer's clusters ->
    /// predicted class (the last column only when every set has predictions).
    fn sankey(&self, reference: &Traced, injected: &[Traced]) -> SankeyData {
        let classes = self.class_names();
        let mut groups: Vec<SankeyGroup> = classes
            .iter()
            .map(|c| SankeyGroup {
                label: c.clone(),
                injected: false,
            })
            .collect();
        for t in injected {
            groups.push(SankeyGroup {
                label: format!("{} (unseen)", t.name),
                injected: true,
            });
        }
        let with_pred = reference.trace.predictions.is_some()
            && injected.iter().all(|t| t.trace.predictions.is_some());
        let mut columns = vec![SankeyColumn {
            title: "true class".into(),
            nodes: groups
                .iter()
                .map(|g| SankeyNode {
                    label: g.label.clone(),
                })
                .collect(),
        }];
        for l in self.layers() {
            columns.push(SankeyColumn {
                title: l.name().to_string(),
                nodes: l
                    .cluster_names()
                    .iter()
                    .map(|n| SankeyNode { label: n.clone() })
                    .collect(),
            });
        }
        if with_pred {
            columns.push(SankeyColumn {
                title: "predicted".into(),
                nodes: classes
                    .iter()
                    .map(|c| SankeyNode {
                        label: format!("pred {c}"),
                    })
                    .collect(),
            });
        }
        // (group, from column, from node, to node) -> count
        let mut links: BTreeMap<(usize, usize, usize, usize), usize> = BTreeMap::new();
        let n_layers = self.layers().len();
        let mut add = |group: usize, trace: &Trace, i: usize| {
            let mut prev = group;
            for li in 0..n_layers {
                let c = trace.clusters[[i, li]];
                *links.entry((group, li, prev, c)).or_insert(0) += 1;
                prev = c;
            }
            if let Some(p) = &trace.predictions
                && with_pred
            {
                *links.entry((group, n_layers, prev, p[i])).or_insert(0) += 1;
            }
        };
        if let Some(l) = &reference.labels {
            for (i, &y) in l.iter().enumerate() {
                add(y, &reference.trace, i);
            }
        }
        for (g, t) in injected.iter().enumerate() {
            for i in 0..t.trace.len() {
                add(classes.len() + g, &t.trace, i);
            }
        }
        SankeyData {
            columns,
            links: links
                .into_iter()
                .map(|((group, col, a, b), count)| SankeyLink {
                    from: (col, a),
                    to: (col + 1, b),
                    group,
                    count,
                })
                .collect(),
            groups,
        }
    }
}

/// The ROC curves worth drawing: per task the baseline, the trusted score, and per layer the
/// centroid distance and the kNN k=1 score (raw); everything else stays in the table.
fn roc_curves_to_draw(
    evaluations: &[ScoreEvaluation],
    trusted: &str,
    layers: &[String],
) -> Vec<RocCurve> {
    let mut wanted: Vec<String> = vec!["max-softmax (1 - p)".into(), trusted.to_string()];
    wanted.push("path rarity".into());
    for l in layers {
        wanted.push(format!("centroid distance {l}"));
    }
    if let Some(first) = layers.first() {
        wanted.push(format!("kNN {first} k=1"));
    }
    let mut seen = Vec::new();
    wanted.retain(|w| {
        let keep = !seen.contains(w);
        seen.push(w.clone());
        keep
    });
    evaluations
        .iter()
        .filter(|e| wanted.contains(&e.name))
        .map(|e| RocCurve {
            name: e.name.clone(),
            task: e.task.clone(),
            fpr: e.roc.fpr.clone(),
            tpr: e.roc.tpr.clone(),
            auroc: e.roc.auroc,
            fpr_at_95_tpr: e.roc.fpr_at_95_tpr,
        })
        .collect()
}

/// Picks the score to trust: the best worst-case AUROC over the tasks (ties: list order). Says
/// why, with the baseline beside it. Without tasks, the combined score, unevaluated.
fn choose_trusted(evaluations: &[ScoreEvaluation], scores: &ScoreTable) -> (String, String) {
    let mut worst: Vec<(String, f64)> = Vec::new();
    for e in evaluations {
        match worst.iter_mut().find(|(n, _)| *n == e.name) {
            Some((_, w)) => *w = w.min(e.roc.auroc),
            None => worst.push((e.name.clone(), e.roc.auroc)),
        }
    }
    let combined = scores
        .columns
        .iter()
        .find(|c| c.kind == ScoreKind::Combined)
        .map_or_else(String::new, |c| c.name.clone());
    let Some((best, best_auc)) = worst
        .iter()
        .fold(None::<&(String, f64)>, |acc, x| match acc {
            Some(a) if a.1 >= x.1 => Some(a),
            _ => Some(x),
        })
        .cloned()
    else {
        return (
            combined,
            "No unseen set to evaluate against: the combined score is shown unevaluated.".into(),
        );
    };
    let base = worst
        .iter()
        .find(|(n, _)| n == "max-softmax (1 - p)")
        .map(|(_, a)| format!(" The max-softmax baseline reaches only {a:.3}: the output layer folds unseen classes into known ones."))
        .unwrap_or_default();
    let rationale = format!(
        "{best} has the best worst-case AUROC over the tasks ({best_auc:.3}).{base} \
         Distances to individual reference samples in an early layer keep the detail that later layers \
         and coarse clusters discard, so unseen classes stand out there. It is chosen on these very \
         tasks: check it agrees across seeds before relying on it."
    );
    (best, rationale)
}
