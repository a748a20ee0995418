//! A finished report read back for a comparison (`mtq compare --reports`): `report.json` parsed
//! ([`read_report_json`]) and turned into the [`StudyFacts`] a comparison reads
//! ([`study_facts_from_report`]).

use std::path::Path;

use mtq_signature::ScoreId;
use mtq_signature::compare::{
    AurocFact, Count, MainPath, Routes, ScoreRole, SeedFacts, StudyFacts,
};

use crate::data::{PathTable, ReportData, Share};
use crate::{ReportError, Result, SCHEMA_VERSION};

/// Reads `dir/report.json`, a report written by [`write_report`](crate::write_report) (schema
/// versions 1 to [`SCHEMA_VERSION`]).
///
/// # Errors
/// Each naming the file: [`ReportError::ReadReport`] if it is missing or unreadable,
/// [`ReportError::ReportSchema`] if its `schema_version` is absent, 0 or newer than this crate,
/// [`ReportError::ReportJson`] if it is not JSON or not a report's.
pub fn read_report_json(dir: &Path) -> Result<ReportData> {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).map_err(|source| ReportError::ReadReport {
        path: path.clone(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| ReportError::ReportJson {
            path: path.clone(),
            source,
        })?;
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if found == 0 || found > u64::from(SCHEMA_VERSION) {
        return Err(ReportError::ReportSchema {
            path,
            found,
            supported: SCHEMA_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|source| ReportError::ReportJson { path, source })
}

/// What the report says its data is: the summary's `data` fact, else the provenance's `data`
/// (or `x`) option, else empty. Two reports of the same data and split give the same text.
fn data_description(report: &ReportData) -> String {
    if let Some(f) = report.summary.facts.iter().find(|f| f.label == "data") {
        return f.value.clone();
    }
    report
        .provenance
        .as_ref()
        .and_then(|p| {
            ["data", "x"]
                .iter()
                .find_map(|name| p.options.iter().find(|o| o.name == *name))
        })
        .map_or_else(String::new, |o| o.value.clone())
}

/// The size of the test set the accuracy and the AUROCs' negatives count, if the report has one.
fn test_size(report: &ReportData) -> Option<usize> {
    report.summary.test_set.as_ref().map(|t| t.n).or_else(|| {
        report
            .shown_set
            .as_ref()
            .filter(|s| s.key == "test")
            .map(|s| s.n)
    })
}

/// `round(share * n)` of `n`, for a share read back from a report (`None` without a size or a
/// finite share).
fn count_of(share: Option<f64>, n: Option<usize>) -> Option<Count> {
    let (v, n) = (share?, n?);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    v.is_finite().then(|| Count {
        hits: (v.clamp(0.0, 1.0) * n as f64).round() as usize,
        n,
    })
}

/// The most taken path of a path table (its first row: the tables are sorted most frequent
/// first).
fn main_path(t: &PathTable) -> Option<MainPath> {
    t.rows.first().map(|r| MainPath {
        class: t.class.clone(),
        path: r.path.join(" > "),
        count: Count {
            hits: r.count,
            n: t.n_samples,
        },
    })
}

/// The unseen class a task of the report names (`1/7 test vs 4` -> `4`): the longest unseen
/// class the task's name ends with after ` vs `; else, when the report has as many tasks as
/// unseen classes, the unseen class of the same rank (`tasks` in order of first appearance);
/// else the task's name.
fn task_class(task: &str, tasks: &[&str], unseen: &[&str]) -> String {
    unseen
        .iter()
        .filter(|c| task == **c || task.ends_with(&format!(" vs {c}")))
        .max_by_key(|c| c.len())
        .or_else(|| {
            (tasks.len() == unseen.len())
                .then(|| tasks.iter().position(|t| *t == task))
                .flatten()
                .and_then(|i| unseen.get(i))
        })
        .map_or_else(|| task.to_owned(), |c| (*c).to_owned())
}

/// The [`StudyFacts`] of a finished report, named `name`, for
/// [`compare`](mtq_signature::compare::compare):
///
/// - `data`: the report's `data` fact (else the provenance's `data` or `x` option);
/// - the first seed ([`Summary::seed`](crate::Summary::seed)) with every number the report
///   holds: the accuracy as `round(test_accuracy * test set size)` hits, K per layer (the
///   silhouette curves' chosen K, else the cluster table's size, else 0), the redundancy
///   verdicts, each class's and each unseen class's main path (the first row of its path
///   table; shares of the set the path tables count), where each unseen class is predicted
///   (else where its last layer routes it), and the AUROC of the trusted score and of
///   max-softmax per task (negatives: the test set; positives: the unseen set; no per-sample
///   scores, so their intervals are Hanley and McNeil's);
/// - every other seed of the report's [`Stability`](mtq_signature::Stability) with the numbers
///   it keeps: accuracy, K, redundancy and the two AUROCs (no paths, no routes).
///
/// No seed has shared inputs: reports give no CKA or ARI maps. Never panics: a report without a
/// test set has no accuracy, a task whose set is unknown counts 0 positives.
#[must_use]
pub fn study_facts_from_report(name: &str, report: &ReportData) -> StudyFacts {
    let sm = &report.summary;
    let n_test = test_size(report);
    let layers = sm.layers.clone();
    let ks: Vec<usize> = layers
        .iter()
        .map(|l| {
            report
                .silhouette_curves
                .iter()
                .find(|c| &c.layer == l)
                .map(|c| c.chosen_k)
                .or_else(|| {
                    report
                        .cluster_tables
                        .iter()
                        .find(|t| &t.layer == l)
                        .map(|t| t.clusters.len())
                })
                .unwrap_or(0)
        })
        .collect();
    let redundant: Vec<bool> = layers
        .iter()
        .skip(1)
        .map(|l| {
            report
                .redundancy
                .pairs
                .iter()
                .any(|p| &p.second == l && p.redundant)
        })
        .collect();
    let class_paths = report
        .path_tables
        .iter()
        .filter(|t| !t.injected && t.class != "all")
        .filter_map(main_path)
        .collect();
    let unseen_paths = report
        .path_tables
        .iter()
        .filter(|t| t.injected)
        .filter_map(main_path)
        .collect();
    let classes: Vec<&str> = report
        .sankey
        .groups
        .iter()
        .filter(|g| !g.injected)
        .map(|g| g.label.as_str())
        .collect();
    let routes = report
        .strangers
        .iter()
        .map(|st| {
            let shares: &[Share] = if st.predicted.is_empty() {
                st.routes.last().map_or(&[], |r| r.shares.as_slice())
            } else {
                &st.predicted
            };
            let mut labels: Vec<&str> = classes.clone();
            for s in shares {
                if !labels.contains(&s.label.as_str()) {
                    labels.push(&s.label);
                }
            }
            Routes {
                class: st.class.clone(),
                to: labels
                    .iter()
                    .map(|l| {
                        let hits = shares
                            .iter()
                            .filter(|s| s.label == *l)
                            .map(|s| s.count)
                            .sum();
                        (
                            (*l).to_owned(),
                            Count {
                                hits,
                                n: st.n_samples,
                            },
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let unseen: Vec<&str> = report.strangers.iter().map(|s| s.class.as_str()).collect();
    let positives = |class: &str| {
        report
            .strangers
            .iter()
            .find(|s| s.class == class)
            .map_or(0, |s| s.n_samples)
    };
    let n_neg = n_test
        .or_else(|| report.shown_set.as_ref().map(|s| s.n))
        .unwrap_or(0);
    let soft = ScoreId::max_softmax().to_string();
    let auroc = |task: String, role, score: &str, auroc| AurocFact {
        n_positives: positives(&task),
        task,
        role,
        score: score.to_owned(),
        auroc,
        n_negatives: n_neg,
        samples: None,
    };
    let an = &report.anomaly;
    let mut tasks: Vec<&str> = Vec::new();
    for r in an.scores.iter().flat_map(|r| &r.results) {
        if !tasks.contains(&r.task.as_str()) {
            tasks.push(&r.task);
        }
    }
    let mut aurocs = Vec::new();
    for (role, name) in [
        (ScoreRole::Trusted, an.trusted.as_str()),
        (ScoreRole::MaxSoftmax, &soft),
    ] {
        if name.is_empty() {
            continue;
        }
        if let Some(row) = an.scores.iter().find(|r| r.name == name) {
            for r in &row.results {
                aurocs.push(auroc(
                    task_class(&r.task, &tasks, &unseen),
                    role,
                    name,
                    r.auroc,
                ));
            }
        }
    }
    let first = SeedFacts {
        seed: sm.seed,
        accuracy: count_of(sm.test_accuracy, n_test),
        layers,
        ks,
        redundant,
        class_paths,
        unseen_paths,
        routes,
        aurocs,
        shared: None,
    };
    let mut seeds = vec![first];
    if let Some(st) = &report.stability {
        for row in st.per_seed.iter().filter(|r| r.seed != sm.seed) {
            let mut aurocs = Vec::new();
            for (i, t) in st.tasks.iter().enumerate() {
                if let Some(&v) = row.trusted_auroc.get(i)
                    && !an.trusted.is_empty()
                {
                    aurocs.push(auroc(t.unseen.clone(), ScoreRole::Trusted, &an.trusted, v));
                }
                if let Some(Some(v)) = row.max_softmax_auroc.get(i) {
                    aurocs.push(auroc(t.unseen.clone(), ScoreRole::MaxSoftmax, &soft, *v));
                }
            }
            seeds.push(SeedFacts {
                seed: row.seed,
                accuracy: count_of(row.test_accuracy, n_test),
                layers: st.layers.clone(),
                ks: row.ks.clone(),
                redundant: row.redundant.clone(),
                class_paths: Vec::new(),
                unseen_paths: Vec::new(),
                routes: Vec::new(),
                aurocs,
                shared: None,
            });
        }
    }
    StudyFacts {
        name: name.to_owned(),
        data: data_description(report),
        seeds,
    }
}
