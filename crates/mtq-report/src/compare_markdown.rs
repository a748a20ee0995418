//! A comparison as Markdown: the table "Models and data sets compared" of the README, every
//! share and AUROC with its 95 % interval and its per-seed values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mtq_signature::compare::{Comparison, Estimate, Quantity, ScoreRole, StudySummary};

/// One Markdown table row per study of `c` (header first): test accuracy, K per layer,
/// redundant layers, where each unseen class goes (its main path and the class most of it is
/// routed to; without unseen classes, each class's main path), and the AUROC of the trusted
/// score and of max-softmax per unseen class. Every number is the mean over the seeds with its
/// 95 % interval in brackets; `—` where a study has no such number.
#[must_use]
pub fn compare_markdown(c: &Comparison) -> String {
    let mut out = String::from(
        "| data, model | seeds | test accuracy | K per layer | redundant layer (seeds) | where the \
         unseen classes go: most taken path, most predicted class (without unseen classes: each \
         class's path) | AUROC of the trusted score, per unseen class | AUROC of max-softmax |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for s in &c.studies {
        let accuracy = s
            .measure(&Quantity::Accuracy)
            .map_or_else(|| "—".into(), |m| with_seeds(&m.estimate, ratio));
        let _ = writeln!(
            out,
            "| {} | {} | {accuracy} | {} | {} | {} | {} | {} |",
            cell(&s.name),
            s.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            ks(s),
            redundant(s),
            routes(s),
            aurocs(s, ScoreRole::Trusted),
            aurocs(s, ScoreRole::MaxSoftmax),
        );
    }
    out
}

/// A table cell's text: `|` escaped, line breaks as spaces.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `0.9894` style.
fn ratio(v: f64) -> String {
    format!("{v:.4}")
}

/// `81 %` style.
fn percent(v: f64) -> String {
    format!("{:.0} %", 100.0 * v)
}

/// `0.927` style.
fn auroc(v: f64) -> String {
    format!("{v:.3}")
}

/// `mean [low, high]`.
fn interval(e: &Estimate, f: fn(f64) -> String) -> String {
    format!("{} [{}, {}]", f(e.mean), f(e.low), f(e.high))
}

/// `mean [low, high] (seed values)`.
fn with_seeds(e: &Estimate, f: fn(f64) -> String) -> String {
    let seeds: Vec<String> = e.per_seed.iter().map(|&(_, v)| f(v)).collect();
    format!("{} ({})", interval(e, f), seeds.join(", "))
}

/// `h1 2, h2 2, out 2`; a layer whose K varies lists each K with its seeds: `h1 2 (2/3), 3 (1/3)`.
fn ks(s: &StudySummary) -> String {
    let n = s.ks.len();
    s.layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            for k in s.ks.iter().filter_map(|row| row.get(i)) {
                *counts.entry(*k).or_insert(0) += 1;
            }
            let ks: Vec<String> = if counts.len() == 1 {
                counts.keys().map(usize::to_string).collect()
            } else {
                counts
                    .iter()
                    .map(|(k, c)| format!("{k} ({c}/{n})"))
                    .collect()
            };
            format!("{} {}", cell(layer), ks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `h2 (3/3)`, or `none`.
fn redundant(s: &StudySummary) -> String {
    let n = s.seeds.len();
    let layers: Vec<String> = s
        .redundant
        .iter()
        .filter(|(_, seeds)| *seeds > 0)
        .map(|(l, seeds)| format!("{} ({seeds}/{n})", cell(l)))
        .collect();
    if layers.is_empty() {
        "none".into()
    } else {
        layers.join(", ")
    }
}

/// The most frequent of `names` and how many times it occurs (first seen on ties).
fn most_common(names: &[String]) -> Option<(&str, usize)> {
    let mut best: Option<(&str, usize)> = None;
    for n in names {
        let c = names.iter().filter(|m| *m == n).count();
        if best.is_none_or(|(_, b)| c > b) {
            best = Some((n, c));
        }
    }
    best
}

/// Per unseen class: its main path and the share on it (each seed's main path with how many
/// seeds take it, when they differ), and the class most of it is routed to; without unseen
/// classes, each class's main path.
fn routes(s: &StudySummary) -> String {
    let n = s.seeds.len();
    let mut lines = Vec::new();
    // the main path with its share when every seed takes it; else each seed's main path with
    // how many seeds take it, the share being of each seed's own main path
    let path_line = |class: &str, m: &mtq_signature::compare::Measure| {
        let mut paths: Vec<(&str, usize)> = Vec::new();
        for d in &m.detail {
            match paths.iter_mut().find(|(p, _)| *p == d.as_str()) {
                Some((_, c)) => *c += 1,
                None => paths.push((d, 1)),
            }
        }
        paths.sort_by_key(|p| std::cmp::Reverse(p.1));
        let share = interval(&m.estimate, percent);
        match paths.as_slice() {
            [(path, c)] if *c == n => format!("{}: {} ({share})", cell(class), cell(path)),
            _ => format!(
                "{}: main path by seed {} ({share} on it)",
                cell(class),
                paths
                    .iter()
                    .map(|(p, c)| format!("{} ({c}/{n})", cell(p)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    for m in &s.measures {
        let Quantity::UnseenPath { class } = &m.quantity else {
            continue;
        };
        let mut line = path_line(class, m);
        let best = s
            .measures
            .iter()
            .filter(|r| matches!(&r.quantity, Quantity::Route { class: c, .. } if c == class))
            .max_by(|a, b| a.estimate.mean.total_cmp(&b.estimate.mean));
        if let Some(r) = best
            && let Quantity::Route { to, .. } = &r.quantity
        {
            let _ = write!(
                line,
                "; predicted {} ({})",
                cell(to),
                interval(&r.estimate, percent)
            );
        }
        lines.push(line);
    }
    if lines.is_empty() {
        for m in &s.measures {
            if let Quantity::ClassPath { class } = &m.quantity {
                lines.push(path_line(class, m));
            }
        }
    }
    if lines.is_empty() {
        "—".into()
    } else {
        lines.join("<br>")
    }
}

/// `4: 0.927 [0.91, 0.94]` per unseen class; the trusted score's name once, after them.
fn aurocs(s: &StudySummary, role: ScoreRole) -> String {
    let mut parts = Vec::new();
    let mut names = Vec::new();
    for m in &s.measures {
        if let Quantity::Auroc { task, role: r } = &m.quantity
            && *r == role
        {
            parts.push(format!("{}: {}", cell(task), interval(&m.estimate, auroc)));
            names.extend(m.detail.iter().cloned());
        }
    }
    if parts.is_empty() {
        return "— (no unseen class)".into();
    }
    let mut text = parts.join("<br>");
    if role == ScoreRole::Trusted
        && let Some((name, _)) = most_common(&names)
    {
        let _ = write!(text, "<br>({})", cell(name));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtq_signature::compare::{
        AurocFact, CompareParams, Count, MainPath, Routes, SeedFacts, StudyFacts, compare,
    };

    fn seed(seed: u64, k: usize, path: &str) -> SeedFacts {
        SeedFacts {
            seed,
            accuracy: Some(Count { hits: 95, n: 100 }),
            layers: vec!["h1".into(), "h|2".into()],
            ks: vec![2, k],
            redundant: vec![seed == 0],
            class_paths: vec![],
            unseen_paths: vec![MainPath {
                class: "4".into(),
                path: path.into(),
                count: Count { hits: 30, n: 40 },
            }],
            routes: vec![Routes {
                class: "4".into(),
                to: vec![
                    ("1".into(), Count { hits: 10, n: 40 }),
                    ("7".into(), Count { hits: 30, n: 40 }),
                ],
            }],
            aurocs: vec![AurocFact {
                task: "4".into(),
                role: ScoreRole::Trusted,
                score: "kNN".into(),
                auroc: 0.9,
                n_negatives: 100,
                n_positives: 40,
                samples: None,
            }],
            shared: None,
        }
    }

    #[test]
    fn a_row_per_study_with_intervals_and_seeds() {
        let s = StudyFacts {
            name: "MLP".into(),
            data: "d".into(),
            seeds: vec![
                seed(0, 2, "h1:7 > h2:7"),
                seed(1, 3, "h1:7 > h2:7"),
                seed(2, 2, "x"),
            ],
        };
        let md = compare_markdown(&compare(&[s], &CompareParams::default()));
        let row = md.lines().nth(2).unwrap();
        assert!(row.starts_with("| MLP | 0, 1, 2 | 0.9500 ["), "{row}");
        assert!(row.contains("(0.9500, 0.9500, 0.9500)"), "{row}");
        assert!(row.contains("h1 2, h\\|2 2 (2/3), 3 (1/3)"), "{row}");
        assert!(row.contains("| h\\|2 (1/3) |"), "{row}");
        assert!(
            row.contains("4: main path by seed h1:7 > h2:7 (2/3), x (1/3) (75 % ["),
            "{row}"
        );
        assert!(row.contains(" on it); predicted 7 (75 % ["), "{row}");
        assert!(row.contains("4: 0.900 [0.8"), "{row}");
        assert!(row.contains("<br>(kNN)"), "{row}");
        assert!(row.ends_with("| — (no unseen class) |"), "{row}");
        // every seed on the same main path: the path once, with its share
        let same = StudyFacts {
            name: "CNN".into(),
            data: "d".into(),
            seeds: vec![seed(0, 2, "a > b"), seed(1, 2, "a > b")],
        };
        let md = compare_markdown(&compare(&[same], &CompareParams::default()));
        let row = md.lines().nth(2).unwrap();
        assert!(row.contains("| 4: a > b (75 % ["), "{row}");
        assert!(row.contains("h1 2, h\\|2 2 |"), "{row}");
    }
}
