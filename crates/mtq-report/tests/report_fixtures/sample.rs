//! Report data shaped like the reference study (`shared/peers/README.md`, seed 0): 896 training
//! 1s and 859 training 7s through h1 -> h2 -> output, 191 injected 4s mostly routed into the
//! 7-clusters and 221 injected 3s split between both. Counts are invented but consistent (every
//! total adds up), so the renderers can be checked and the demo report looked at.

#![allow(dead_code)]

use mtq_report::{
    AnomalyData, ClusterColumn, ClusterTable, Fact, LayerPair, LayerRoute, LayerVsLabels, PathRow,
    PathTable, RedundancyData, ReportData, RocCurve, SankeyColumn, SankeyData, SankeyGroup,
    SankeyLink, SankeyNode, ScoreRow, SetSize, Share, SilhouetteCurve, StrangerData, Summary,
    TaskScore,
};

/// Classes (Sankey groups and first-column nodes): two trained, two injected.
pub const CLASSES: [(&str, bool); 4] = [("1", false), ("7", false), ("4", true), ("3", true)];

/// (class index, h1 cluster, h2 cluster, predicted, count); cluster / prediction 0 = "1", 1 = "7".
pub const PATHS: [(usize, usize, usize, usize, usize); 16] = [
    (0, 0, 0, 0, 895),
    (0, 1, 1, 1, 1),
    (1, 1, 1, 1, 835),
    (1, 0, 1, 1, 16),
    (1, 0, 0, 1, 6),
    (1, 0, 0, 0, 2),
    (2, 1, 1, 1, 145),
    (2, 1, 0, 0, 3),
    (2, 1, 1, 0, 2),
    (2, 0, 1, 1, 16),
    (2, 0, 0, 1, 20),
    (2, 0, 0, 0, 5),
    (3, 1, 1, 1, 55),
    (3, 1, 0, 0, 8),
    (3, 0, 0, 0, 110),
    (3, 0, 1, 1, 35),
];

/// The 3s left out of [`PATHS`] to keep its length fixed: (class, h1, h2, predicted, count).
pub const MORE_PATHS: [(usize, usize, usize, usize, usize); 2] =
    [(3, 0, 0, 1, 10), (3, 0, 1, 0, 3)];

const SIDE: [&str; 2] = ["1", "7"];

fn all_paths() -> Vec<(usize, usize, usize, usize, usize)> {
    PATHS.iter().chain(MORE_PATHS.iter()).copied().collect()
}

fn class_total(class: usize) -> usize {
    all_paths()
        .iter()
        .filter(|p| p.0 == class)
        .map(|p| p.4)
        .sum()
}

/// Adds `count` samples of `group` to the link `from -> to`, creating it if needed.
fn add_link(
    links: &mut Vec<SankeyLink>,
    group: usize,
    from: (usize, usize),
    to: (usize, usize),
    count: usize,
) {
    match links
        .iter_mut()
        .find(|l| l.group == group && l.from == from && l.to == to)
    {
        Some(l) => l.count += count,
        None => links.push(SankeyLink {
            from,
            to,
            group,
            count,
        }),
    }
}

/// The Sankey diagram of [`PATHS`]: true class -> h1 -> h2 -> predicted, one link per
/// (class, from, to).
pub fn sankey() -> SankeyData {
    let node = |label: String| SankeyNode { label };
    let columns = vec![
        SankeyColumn {
            title: "true class".into(),
            nodes: CLASSES
                .iter()
                .map(|&(c, inj)| {
                    node(if inj {
                        format!("{c} (unseen)")
                    } else {
                        c.to_owned()
                    })
                })
                .collect(),
        },
        SankeyColumn {
            title: "h1".into(),
            nodes: SIDE.iter().map(|s| node(format!("h1:{s}"))).collect(),
        },
        SankeyColumn {
            title: "h2".into(),
            nodes: SIDE.iter().map(|s| node(format!("h2:{s}"))).collect(),
        },
        SankeyColumn {
            title: "predicted".into(),
            nodes: SIDE.iter().map(|s| node((*s).to_owned())).collect(),
        },
    ];
    let mut links: Vec<SankeyLink> = Vec::new();
    for (c, h1, h2, pred, n) in all_paths() {
        add_link(&mut links, c, (0, c), (1, h1), n);
        add_link(&mut links, c, (1, h1), (2, h2), n);
        add_link(&mut links, c, (2, h2), (3, pred), n);
    }
    let groups = CLASSES
        .iter()
        .map(|&(c, injected)| SankeyGroup {
            label: c.to_owned(),
            injected,
        })
        .collect();
    SankeyData {
        columns,
        links,
        groups,
    }
}

/// A ROC curve `tpr = fpr^a` with the given AUROC (`a = 1 / auroc - 1`).
pub fn power_roc(name: &str, task: &str, auroc: f64) -> RocCurve {
    let a = 1.0 / auroc - 1.0;
    let fpr: Vec<f64> = (0..=100).map(|i| f64::from(i) / 100.0).collect();
    let tpr = fpr.iter().map(|&x| x.powf(a)).collect();
    RocCurve {
        name: name.to_owned(),
        task: task.to_owned(),
        fpr,
        tpr,
        auroc,
        fpr_at_95_tpr: 0.95_f64.powf(1.0 / a),
    }
}

/// Every score of the study with (AUROC vs 4s, AUROC vs 3s).
pub const SCORES: [(&str, f64, f64); 6] = [
    ("1 − max softmax", 0.684, 0.748),
    ("centroid distance h1 (K = 2)", 0.781, 0.819),
    ("centroid distance h2 (K = 2)", 0.732, 0.802),
    ("path rarity", 0.760, 0.506),
    ("kNN distance h1, k = 5, L2-normalised", 0.931, 0.948),
    ("Mahalanobis h1", 0.874, 0.902),
];

/// The two detection tasks.
pub const TASKS: [&str; 2] = ["1/7 test vs 4s", "1/7 test vs 3s"];

/// A complete report.
pub fn report() -> ReportData {
    let layers = vec!["h1".to_owned(), "h2".to_owned(), "out".to_owned()];
    let path_tables = CLASSES
        .iter()
        .enumerate()
        .map(|(ci, &(c, injected))| {
            let mut rows: Vec<PathRow> = all_paths()
                .iter()
                .filter(|p| p.0 == ci)
                .map(|&(_, h1, h2, pred, count)| PathRow {
                    path: vec![
                        format!("h1:{}", SIDE[h1]),
                        format!("h2:{}", SIDE[h2]),
                        format!("out:{}", SIDE[pred]),
                    ],
                    predicted: SIDE[pred].to_owned(),
                    count,
                    unseen_in_training: false,
                })
                .collect();
            rows.sort_by_key(|r| std::cmp::Reverse(r.count));
            PathTable {
                class: c.to_owned(),
                injected,
                n_samples: class_total(ci),
                rows,
            }
        })
        .collect();
    let k: Vec<usize> = (2..=10).collect();
    let curve = |layer: &str, s: [f64; 9]| SilhouetteCurve {
        layer: layer.to_owned(),
        k: k.clone(),
        silhouette: s.to_vec(),
        chosen_k: 2,
        capped: false,
    };
    let strangers = CLASSES
        .iter()
        .enumerate()
        .filter(|(_, c)| c.1)
        .map(|(ci, &(c, _))| {
            let paths: Vec<_> = all_paths().into_iter().filter(|p| p.0 == ci).collect();
            let share = |pick: fn(&(usize, usize, usize, usize, usize)) -> usize| -> Vec<Share> {
                (0..2)
                    .map(|s| Share {
                        label: SIDE[s].to_owned(),
                        count: paths.iter().filter(|p| pick(p) == s).map(|p| p.4).sum(),
                    })
                    .collect()
            };
            StrangerData {
                class: c.to_owned(),
                n_samples: class_total(ci),
                routes: vec![
                    LayerRoute {
                        layer: "h1".into(),
                        shares: share(|p| p.1),
                    },
                    LayerRoute {
                        layer: "h2".into(),
                        shares: share(|p| p.2),
                    },
                    LayerRoute {
                        layer: "out".into(),
                        shares: share(|p| p.3),
                    },
                ],
                predicted: share(|p| p.3),
                unseen_paths: 0,
                samples_on_unseen_paths: 0,
                main_clusters: ["h1", "h2", "out"]
                    .iter()
                    .map(|l| Share {
                        label: format!("{l}:7"),
                        count: class_total(ci) / 2,
                    })
                    .collect(),
            }
        })
        .collect();
    let cluster_table = |layer: &str, pick: fn(&(usize, usize, usize, usize, usize)) -> usize| {
        let clusters = (0..2)
            .map(|s| {
                let counts: Vec<usize> = (0..2)
                    .map(|ci| {
                        all_paths()
                            .iter()
                            .filter(|p| p.0 == ci && pick(p) == s)
                            .map(|p| p.4)
                            .sum()
                    })
                    .collect();
                let total: usize = counts.iter().sum();
                let probs: Vec<f64> = counts.iter().map(|&c| c as f64 / total as f64).collect();
                ClusterColumn {
                    name: format!("{layer}:{}", SIDE[s]),
                    purity: probs.iter().copied().fold(0.0, f64::max),
                    entropy: -probs
                        .iter()
                        .filter(|&&p| p > 0.0)
                        .map(|p| p * p.log2())
                        .sum::<f64>(),
                    counts,
                }
            })
            .collect();
        ClusterTable {
            layer: layer.to_owned(),
            classes: vec!["1".into(), "7".into()],
            clusters,
        }
    };
    let scores = SCORES
        .iter()
        .map(|&(name, a4, a3)| ScoreRow {
            name: name.to_owned(),
            results: [(TASKS[0], a4), (TASKS[1], a3)]
                .iter()
                .map(|&(task, auroc)| TaskScore {
                    task: task.to_owned(),
                    auroc,
                    fpr_at_95_tpr: power_roc(name, task, auroc).fpr_at_95_tpr,
                })
                .collect(),
        })
        .collect();
    let roc_curves = TASKS
        .iter()
        .enumerate()
        .flat_map(|(t, &task)| {
            SCORES
                .iter()
                .map(move |&(name, a4, a3)| power_roc(name, task, if t == 0 { a4 } else { a3 }))
        })
        .collect();
    ReportData {
        schema_version: mtq_report::SCHEMA_VERSION,
        shown_set: Some(SetSize { name: "train 1/7".into(), n: 1755, key: "reference".into() }),
        title: "MTQ Paths: MNIST 1 vs 7, seed 0".into(),
        summary: Summary {
            seed: 0,
            test_accuracy: Some(0.9955),
            layers,
            sets: vec![
                SetSize { name: "train 1/7".into(), n: 1755, key: "reference".into() },
                SetSize { name: "test 1/7".into(), n: 442, key: "test".into() },
                SetSize { name: "injected 4s".into(), n: 191, key: "unseen:4".into() },
                SetSize { name: "injected 3s".into(), n: 221, key: "unseen:3".into() },
            ],
            test_set: Some(SetSize { name: "test 1/7".into(), n: 442, key: "test".into() }),
            facts: vec![
                Fact { label: "network".into(), value: "784 → 32 → 64 → 2, ReLU, 5 epochs".into() },
                Fact { label: "K range".into(), value: "2 to 10".into() },
            ],
        },
        notes: vec!["Seeds 0, 1, 2 agree on K = 2 in every layer and on the redundancy verdict.".into()],
        stability: None,
        sankey: sankey(),
        silhouette_curves: vec![
            curve("h1", [0.587, 0.450, 0.381, 0.342, 0.310, 0.295, 0.281, 0.270, 0.262]),
            curve("h2", [0.686, 0.564, 0.470, 0.421, 0.389, 0.360, 0.344, 0.331, 0.322]),
            curve("out", [0.991, 0.987, 0.962, 0.940, 0.921, 0.905, 0.899, 0.890, 0.881]),
        ],
        cluster_tables: vec![cluster_table("h1", |p| p.1), cluster_table("h2", |p| p.2)],
        path_tables,
        redundancy: RedundancyData {
            threshold: 0.95,
            pairs: vec![
                LayerPair { first: "h1".into(), second: "h2".into(), ari: 0.971, nmi: 0.945, cka: Some(0.982), redundant: true },
                LayerPair { first: "h2".into(), second: "out".into(), ari: 0.982, nmi: 0.961, cka: Some(0.874), redundant: false },
            ],
            vs_labels: vec![
                LayerVsLabels { layer: "h1".into(), ari: 0.946, nmi: 0.905 },
                LayerVsLabels { layer: "h2".into(), ari: 0.974, nmi: 0.950 },
                LayerVsLabels { layer: "out".into(), ari: 0.998, nmi: 0.993 },
            ],
            verdict: "h2 repeats h1's partition (ARI 0.971 ≥ 0.95): the second hidden layer adds no new grouping of 1s and 7s.".into(),
        },
        strangers,
        anomaly: AnomalyData {
            scores,
            roc_curves,
            trusted: SCORES[4].0.to_owned(),
            trusted_key: "knn_h1_k5_l2".into(),
            rationale: "Few-neighbour distances in the first hidden layer separate the unseen digits best on both tasks; last-layer scores fold the 4s into the 7s.".into(),
            monitor: None,
        },
        provenance: None,
    }
}

/// A busier diagram, for the eye and the overlap checks: three trained classes and one injected,
/// three layers with 6, 9 and 5 clusters, then the prediction. Sample paths come from a small
/// fixed linear congruential generator (no randomness in tests), aggregated into links.
pub fn many_clusters() -> SankeyData {
    let classes = [
        ("0", 900, false),
        ("6", 850, false),
        ("8", 700, false),
        ("5", 200, true),
    ];
    let ks = [6usize, 9, 5, 3];
    let titles = ["h1", "h2", "h3", "predicted"];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).expect("31 bits fit") % n
    };
    let mut links: Vec<SankeyLink> = Vec::new();
    for (g, &(_, n, _)) in classes.iter().enumerate() {
        for _ in 0..n {
            let mut prev = g;
            for (col, &k) in ks.iter().enumerate() {
                // Mostly the "home" cluster of the previous node, sometimes anywhere.
                let node = if next(10) < 7 {
                    (prev * 7 + g) % k
                } else {
                    next(k)
                };
                let (from, to) = ((col, prev), (col + 1, node));
                add_link(&mut links, g, from, to, 1);
                prev = node;
            }
        }
    }
    let mut columns = vec![SankeyColumn {
        title: "true class".into(),
        nodes: classes
            .iter()
            .map(|c| SankeyNode {
                label: c.0.to_owned(),
            })
            .collect(),
    }];
    for (t, &k) in titles.iter().zip(&ks) {
        columns.push(SankeyColumn {
            title: (*t).to_owned(),
            nodes: (0..k)
                .map(|i| SankeyNode {
                    label: format!("{t}:{i}"),
                })
                .collect(),
        });
    }
    let groups = classes
        .iter()
        .map(|&(label, _, injected)| SankeyGroup {
            label: label.to_owned(),
            injected,
        })
        .collect();
    SankeyData {
        columns,
        links,
        groups,
    }
}
