//! From a study's numbers to the [`ReportData`] the renderers draw.

use std::collections::BTreeMap;

use mtq_signature::{
    ScoreId, ScoreKind, SetRole, SignatureModel, Stability, StudyResult, TracedSet, analysis::Trace,
};

use crate::data::{
    AnomalyData, ClusterColumn, ClusterTable, LayerPair, LayerRoute, LayerVsLabels,
    PathRow as ReportPathRow, PathTable, RedundancyData, ReportData, RocCurve, SankeyColumn,
    SankeyData, SankeyGroup, SankeyLink, SankeyNode, ScoreRow, SetSize, Share, SilhouetteCurve,
    StrangerData, Summary, TaskScore,
};
use crate::meta::ReportMeta;
use crate::sentences;

/// The version of `report.json`'s layout; raised whenever a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 4;

/// A path and the predicted class at its end.
type PathKey = (Vec<usize>, Option<usize>);

/// The class name of an unseen set.
fn unseen_name(t: &TracedSet) -> String {
    match &t.role {
        SetRole::Unseen(n) => n.clone(),
        other => other.to_string(),
    }
}

/// The set the headlines, path tables and Sankey count: the test set when it has labels, else
/// the reference (the set the clusters are fitted on).
#[must_use]
pub(crate) fn shown_set(result: &StudyResult) -> &TracedSet {
    result
        .set(&SetRole::Test)
        .filter(|t| t.labels.is_some() && !t.is_empty())
        .unwrap_or_else(|| result.reference())
}

/// Fills the [`ReportData`] of a study: what `model` found on the reference, what `result` found
/// on every set, named and worded with `meta`. The sentences (redundancy verdicts, the trusted
/// score's rationale, the stability notes) are written here.
#[must_use]
pub fn report_data(
    model: &SignatureModel,
    result: &StudyResult,
    meta: &ReportMeta,
    stability: Option<&Stability>,
) -> ReportData {
    Builder {
        m: model,
        r: result,
        meta,
    }
    .build(stability)
}

/// The pieces one report is built from.
struct Builder<'a> {
    m: &'a SignatureModel,
    r: &'a StudyResult,
    meta: &'a ReportMeta,
}

impl Builder<'_> {
    fn build(&self, stability: Option<&Stability>) -> ReportData {
        let (model, result, meta) = (self.m, self.r, self.meta);
        let classes = model.class_names();
        let injected: Vec<&TracedSet> = result.unseen().collect();
        let size_of = |s: &TracedSet| SetSize {
            name: meta.set_name(&s.role),
            n: s.len(),
            key: s.role.to_string(),
        };
        let sets = result.sets.iter().map(size_of).collect();
        let test = result.set(&SetRole::Test);
        // The headlines, path tables and Sankey count the held-out test set when it has labels;
        // the clusters themselves stay fitted on the reference.
        let shown = shown_set(result);
        let summary = Summary {
            seed: result.seed,
            test_accuracy: result.test_accuracy,
            layers: model.layer_names().to_vec(),
            sets,
            test_set: test.map(size_of),
            facts: meta.facts.clone(),
        };
        // A constant layer has no silhouette curve (K undefined): see `KCurve::verdict`.
        let silhouette_curves = model
            .layers()
            .iter()
            .filter(|l| !l.curve().ks.is_empty())
            .map(|l| SilhouetteCurve {
                layer: l.name().to_string(),
                k: l.curve().ks.clone(),
                silhouette: l.curve().silhouette.clone(),
                chosen_k: l.k(),
                capped: matches!(
                    l.curve().outcome,
                    mtq_signature::SweepOutcome::Capped { .. }
                ),
            })
            .collect();
        let cluster_tables = model
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
        let shown_labels = shown.labels.as_ref();
        for (y, class) in classes.iter().enumerate() {
            let keep: Vec<usize> = (0..shown.trace.len())
                .filter(|&i| shown_labels.is_some_and(|l| l[i] == y))
                .collect();
            path_tables.push(self.path_table(class, false, &shown.trace, &keep));
        }
        for t in &injected {
            let keep: Vec<usize> = (0..t.trace.len()).collect();
            path_tables.push(self.path_table(&unseen_name(t), true, &t.trace, &keep));
        }
        let red = model.redundancy();
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
            verdict: sentences::redundancy_verdict(red),
        };
        let strangers_data = result
            .strangers
            .iter()
            .map(|s| StrangerData {
                class: s.class.clone(),
                n_samples: s.n,
                routes: model
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
                main_clusters: s
                    .clusters
                    .iter()
                    .map(|layer| {
                        layer
                            .iter()
                            .max_by_key(|c| (c.count, std::cmp::Reverse(c.cluster.clone())))
                            .map_or_else(
                                || Share {
                                    label: "-".into(),
                                    count: 0,
                                },
                                |c| Share {
                                    label: c.cluster.clone(),
                                    count: c.count,
                                },
                            )
                    })
                    .collect(),
            })
            .collect();
        let mut scores: Vec<ScoreRow> = Vec::new();
        for e in &result.evaluations {
            let r = TaskScore {
                task: meta.task_name(&e.task),
                auroc: e.roc.auroc,
                fpr_at_95_tpr: e.roc.fpr_at_95_tpr,
            };
            let name = e.score.to_string();
            match scores.iter_mut().find(|s| s.name == name) {
                Some(s) => s.results.push(r),
                None => scores.push(ScoreRow {
                    name,
                    results: vec![r],
                }),
            }
        }
        let roc_curves = self.roc_curves_to_draw();
        let anomaly = AnomalyData {
            scores,
            roc_curves,
            trusted: result
                .trusted
                .as_ref()
                .map_or_else(String::new, |t| t.score.to_string()),
            trusted_key: result
                .trusted
                .as_ref()
                .map_or_else(String::new, |t| t.score.key()),
            monitor: result.monitor.clone(),
            rationale: sentences::trusted_rationale(result, meta),
        };
        ReportData {
            schema_version: SCHEMA_VERSION,
            title: meta.title.clone(),
            summary,
            // Layers that could not be clustered as asked (constant, K capped) are findings,
            // and so are the samples a sweep ran on.
            notes: model
                .layers()
                .iter()
                .filter_map(|l| l.curve().verdict())
                .chain(sentences::approximation_note(
                    &model.layers().iter().map(|l| l.curve()).collect::<Vec<_>>(),
                ))
                .chain(
                    stability
                        .map(|s| sentences::stability_notes(s, meta))
                        .unwrap_or_default(),
                )
                .collect(),
            stability: stability.cloned(),
            shown_set: Some(size_of(shown)),
            sankey: self.sankey(shown, &injected),
            silhouette_curves,
            cluster_tables,
            path_tables,
            redundancy,
            strangers: strangers_data,
            anomaly,
            provenance: meta.provenance.clone(),
        }
    }

    fn path_table(&self, class: &str, injected: bool, trace: &Trace, keep: &[usize]) -> PathTable {
        let names = self.m.cluster_names();
        let classes = self.m.class_names();
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
                    unseen_in_training: self.m.path_count(&p) == 0,
                })
                .collect(),
        }
    }

    /// Sankey of the shown set (test, else reference) and the injected sets: true class -> each layer's clusters ->
    /// predicted class (the last column only when every set has predictions).
    fn sankey(&self, shown: &TracedSet, injected: &[&TracedSet]) -> SankeyData {
        let classes = self.m.class_names();
        let mut groups: Vec<SankeyGroup> = classes
            .iter()
            .map(|c| SankeyGroup {
                label: c.clone(),
                injected: false,
            })
            .collect();
        for t in injected {
            groups.push(SankeyGroup {
                label: format!("{} (unseen)", unseen_name(t)),
                injected: true,
            });
        }
        let with_pred = shown.trace.predictions.is_some()
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
        for l in self.m.layers() {
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
        let n_layers = self.m.layers().len();
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
        if let Some(l) = &shown.labels {
            for (i, &y) in l.iter().enumerate() {
                add(y, &shown.trace, i);
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

    /// The ROC curves worth drawing: per task the baseline, the trusted score, and per layer the
    /// centroid distance and the kNN k=1 score (raw); everything else stays in the table.
    fn roc_curves_to_draw(&self) -> Vec<RocCurve> {
        let layers = self.m.layer_names();
        let mut wanted = vec![ScoreId::max_softmax()];
        wanted.extend(self.r.trusted.as_ref().map(|t| t.score.clone()));
        wanted.push(ScoreId::global(ScoreKind::PathRarity));
        wanted.extend(
            layers
                .iter()
                .map(|l| ScoreId::of_layer(ScoreKind::CentroidDistance, l.clone())),
        );
        if let Some(first) = layers.first() {
            wanted.push(ScoreId::of_layer(
                ScoreKind::Knn { k: 1, l2: false },
                first.clone(),
            ));
        }
        let mut seen = Vec::new();
        wanted.retain(|w| {
            let keep = !seen.contains(w);
            seen.push(w.clone());
            keep
        });
        self.r
            .evaluations
            .iter()
            .filter(|e| wanted.contains(&e.score))
            .map(|e| RocCurve {
                name: e.score.to_string(),
                task: self.meta.task_name(&e.task),
                fpr: e.roc.fpr.clone(),
                tpr: e.roc.tpr.clone(),
                auroc: e.roc.auroc,
                fpr_at_95_tpr: e.roc.fpr_at_95_tpr,
            })
            .collect()
    }
}
