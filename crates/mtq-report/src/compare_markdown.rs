//! A comparison as Markdown: the table "Models and data sets compared" of the README, every
//! share and AUROC with its 95 % interval and its per-seed values, then every difference beyond
//! noise in a sentence.

use std::fmt::Write as _;

use mtq_signature::compare::{Comparison, Estimate, Quantity, ScoreRole, StudySummary};

use crate::compare_page::ks_words;
use crate::compare_sentences::{difference_sentence, estimate, value};
use crate::markup::MISSING;

/// One Markdown table row per study of `c` (header first): test accuracy, K per layer,
/// redundant layers, where each unseen class goes (its main path and the class most of it is
/// routed to; without unseen classes, each class's main path), and the AUROC of the trusted
/// score and of max-softmax per unseen class. Every number is the mean over the seeds with its
/// 95 % interval in brackets (as [`estimate`] words it); `—` where a study has no such number.
/// Then every difference beyond noise as [`difference_sentence`] words it (between studies of
/// the same data first), and how many are within noise.
#[must_use]
pub fn compare_markdown(c: &Comparison) -> String {
    let mut out = String::from(
        "| data, model | seeds | test accuracy | K per layer | redundant layer (seeds) | where the \
         unseen classes go: most taken path, most predicted class (without unseen classes: each \
         class's path) | AUROC of the trusted score, per unseen class | AUROC of max-softmax |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for s in &c.studies {
        let accuracy = s.measure(&Quantity::Accuracy).map_or_else(
            || MISSING.into(),
            |m| with_seeds(&Quantity::Accuracy, &m.estimate),
        );
        let _ = writeln!(
            out,
            "| {} | {} | {accuracy} | {} | {} | {} | {} | {} |",
            cell(&s.name),
            s.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            cell(&ks_words(s)),
            redundant(s),
            routes(s),
            aurocs(s, ScoreRole::Trusted),
            aurocs(s, ScoreRole::MaxSoftmax),
        );
    }
    let names: Vec<String> = c.studies.iter().map(|s| s.name.clone()).collect();
    let mut distinct: Vec<_> = c.differences.iter().filter(|d| d.distinct()).collect();
    distinct.sort_by_key(|d| !d.same_data);
    if !distinct.is_empty() {
        out.push_str("\nDifferences beyond noise (95 % intervals that do not overlap):\n\n");
        for d in &distinct {
            let _ = writeln!(out, "- {}", difference_sentence(d, &names));
        }
    }
    if !c.differences.is_empty() {
        let _ = writeln!(
            out,
            "\n{} of the {} differences between studies are within noise (the intervals overlap).",
            c.differences.len() - distinct.len(),
            c.differences.len()
        );
    }
    out
}

/// A table cell's text: `|` escaped, line breaks as spaces.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `mean [low-high]` in the quantity's unit.
fn interval(q: &Quantity, e: &Estimate) -> String {
    estimate(q, (e.mean, e.low, e.high))
}

/// `mean [low-high] (seed values)`.
fn with_seeds(q: &Quantity, e: &Estimate) -> String {
    let seeds: Vec<String> = e.per_seed.iter().map(|&(_, v)| value(q, v)).collect();
    format!("{} ({})", interval(q, e), seeds.join(", "))
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
    let mut lines = Vec::new();
    // the main path with its share when every seed takes it; else each seed's main path with
    // how many seeds take it, the share being of each seed's own main path
    let path_line = |class: &str, m: &mtq_signature::compare::Measure| {
        // the seeds that measured it (a finished report has the paths of its first seed only)
        let n = m.detail.len();
        let mut paths: Vec<(&str, usize)> = Vec::new();
        for d in &m.detail {
            match paths.iter_mut().find(|(p, _)| *p == d.as_str()) {
                Some((_, c)) => *c += 1,
                None => paths.push((d, 1)),
            }
        }
        paths.sort_by_key(|p| std::cmp::Reverse(p.1));
        let share = interval(&m.quantity, &m.estimate);
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
                interval(&r.quantity, &r.estimate)
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
            parts.push(format!(
                "{}: {}",
                cell(task),
                interval(&m.quantity, &m.estimate)
            ));
            names.extend(m.detail.iter().filter(|d| !d.is_empty()).cloned());
        }
    }
    if parts.is_empty() {
        let unseen = s.measures.iter().any(|m| {
            matches!(
                m.quantity,
                Quantity::UnseenPath { .. } | Quantity::Auroc { .. }
            )
        });
        return if unseen {
            format!("{MISSING} (not measured)")
        } else {
            format!("{MISSING} (no unseen class)")
        };
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
        assert!(row.starts_with("| MLP | 0, 1, 2 | 95.0 % ["), "{row}");
        assert!(row.contains("(95.0 %, 95.0 %, 95.0 %)"), "{row}");
        assert!(
            row.contains("h1 2, h\\|2 2 (2 of 3 seeds; else 3)"),
            "{row}"
        );
        assert!(row.contains("| h\\|2 (1/3) |"), "{row}");
        assert!(
            row.contains("4: main path by seed h1:7 > h2:7 (2/3), x (1/3) (75.0 % ["),
            "{row}"
        );
        assert!(row.contains(" on it); predicted 7 (75.0 % ["), "{row}");
        assert!(row.contains("4: 0.900 [0.8"), "{row}");
        assert!(row.contains("<br>(kNN)"), "{row}");
        // unseen classes but no max-softmax: not measured, not "no unseen class"
        assert!(row.ends_with("| — (not measured) |"), "{row}");
        // one study: the table and nothing after it
        assert_eq!(md.lines().count(), 3, "{md}");
        // every seed on the same main path: the path once, with its share
        let same = StudyFacts {
            name: "CNN".into(),
            data: "d".into(),
            seeds: vec![seed(0, 2, "a > b"), seed(1, 2, "a > b")],
        };
        let md = compare_markdown(&compare(&[same], &CompareParams::default()));
        let row = md.lines().nth(2).unwrap();
        assert!(row.contains("| 4: a > b (75.0 % ["), "{row}");
        assert!(row.contains("h1 2, h\\|2 2 |"), "{row}");
    }
}
