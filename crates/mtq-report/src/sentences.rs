//! Every English sentence of a report, written from the numbers: the headline findings, the
//! redundancy verdict, why a score is trusted, and what changes across seeds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mtq_signature::{Redundancy, Stability, StudyResult, TrustRule};

use crate::data::ReportData;
use crate::markup::{num, pct};
use crate::meta::ReportMeta;

/// The redundancy verdict: what it measures and its threshold, then the layers found redundant
/// (or the most similar consecutive pair when none is). Never one clause per layer: at twenty
/// layers the per-pair numbers belong in the report's layer table.
#[must_use]
pub fn redundancy_verdict(red: &Redundancy) -> String {
    if red.verdicts.is_empty() {
        return "Only one layer: nothing to compare.".into();
    }
    let t = red.threshold;
    let rule = format!(
        "A layer is redundant when its activations repeat the previous layer's geometry: linear CKA \
         (Kornblith et al. 2019; 1 = the same up to rotation and scale) at least {}, on the \
         reference set, whatever K either layer chose.",
        num(t, 2)
    );
    let cka = |v: &mtq_signature::redundancy::LayerVerdict| {
        v.cka.map_or("n/a".into(), |c| format!("{c:.3}"))
    };
    let redundant: Vec<String> = red
        .verdicts
        .iter()
        .filter(|v| v.redundant)
        .map(|v| format!("{} repeats {} (CKA {})", v.layer, v.previous, cka(v)))
        .collect();
    let n = red.verdicts.len();
    if redundant.is_empty() {
        let closest = red
            .verdicts
            .iter()
            .max_by(|a, b| a.cka.unwrap_or(0.0).total_cmp(&b.cka.unwrap_or(0.0)));
        let closest = closest.map_or(String::new(), |v| {
            format!(
                " The most similar pair, {} and {}, has CKA {}.",
                v.previous,
                v.layer,
                cka(v)
            )
        });
        format!("{rule} No layer is redundant.{closest}")
    } else if redundant.len() <= 4 {
        format!(
            "{rule} {} of the {n} layers after the first redundant: {}.",
            redundant.len(),
            redundant.join("; ")
        )
    } else {
        let names: Vec<&str> = red
            .verdicts
            .iter()
            .filter(|v| v.redundant)
            .map(|v| v.layer.as_str())
            .collect();
        format!(
            "{rule} {} of the {n} layers after the first repeat the previous one ({}); the layer table gives each pair's CKA.",
            names.len(),
            names.join(", ")
        )
    }
}

/// Why the trusted score is trusted: how it was chosen, and its AUROC beside the baseline's.
#[must_use]
pub fn trusted_rationale(result: &StudyResult, meta: &ReportMeta) -> String {
    let Some(t) = &result.trusted else {
        return "No score is trusted: the study has no calibration set (in-distribution samples \
                the network never trained on), so no score can be calibrated without peeking at \
                the unseen classes. Every score's AUROC is in the table."
            .into();
    };
    let mut s = match (t.rule, &result.monitor) {
        (TrustRule::Monitor, Some(m)) => format!(
            "{} is fixed in advance, before any task is evaluated. In every layer the distance \
             to the nearest reference sample becomes a split-conformal p-value against {} \
             calibration samples the network never trained on (never the unseen classes); \
             the p-values of the layers not redundant with the previous one ({}) are combined \
             by Fisher's method and the combination is \
             calibrated the same way, so an in-distribution input is flagged (p < {}) with \
             probability {} (at most {} more: one calibration step) whatever the layers' \
             dependence. The score is -log10 p.",
            t.score,
            m.n_calibration,
            m.combined_layers.join(", "),
            m.alpha,
            m.alpha,
            num(1.0 / (m.n_calibration as f64 + 1.0), 4)
        ),
        _ => format!("{} was fixed in advance by the user.", t.score),
    };
    let base = mtq_signature::ScoreId::max_softmax();
    for task in &result.tasks {
        if let Some(a) = result.auroc(&t.score, task) {
            let _ = write!(s, " On {}: AUROC {a:.3}", meta.task_name(task));
            if let Some(b) = result.auroc(&base, task) {
                let _ = write!(s, " (max-softmax baseline {b:.3})");
            }
            s.push('.');
        }
    }
    if result.tasks.is_empty() {
        s.push_str(" No unseen set to evaluate it on.");
    }
    s
}
/// One note naming the layers whose K sweep ran on seeded samples of the reference rows, with
/// the sizes: K-means' restarts (automatic above `FIT_SAMPLE_VALUES` rows x features) and the
/// silhouette (automatic above `EXACT_SILHOUETTE_BUDGET`, or `--silhouette-sample`); `None`
/// when every layer used every row.
#[must_use]
pub fn approximation_note(curves: &[&mtq_signature::KCurve]) -> Option<String> {
    let group = |rows: fn(&mtq_signature::KCurve) -> Option<usize>| {
        let mut by_size: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for c in curves {
            if let Some(n) = rows(c) {
                by_size.entry(n).or_default().push(&c.layer);
            }
        }
        by_size
    };
    let mut parts = Vec::new();
    for (n, layers) in group(|c| c.fit_rows) {
        parts.push(format!(
            "in {}, K-means' restarts ran on {} seeded reference rows, then {} Lloyd \
             iterations on every row from the best restart's centroids",
            layers.join(", "),
            thousands(n),
            mtq_signature::REFINE_MAX_ITER
        ));
    }
    for (n, layers) in group(|c| c.silhouette_rows) {
        parts.push(format!(
            "in {}, the silhouette (and Davies-Bouldin, Calinski-Harabasz) was computed on {} \
             seeded reference rows",
            layers.join(", "),
            thousands(n)
        ));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "The K sweep ran on samples (automatic for many rows of wide layers, see the \
             README's \"Wide layers\"; or --silhouette-sample): {}.",
            parts.join("; ")
        )
    })
}

/// What the path monitor did, in one sentence: its false alarms on the test set against the
/// rate it promises, and per unseen class the share it flagged and the layer most of them left
/// at.
#[must_use]
pub fn monitor_line(m: &mtq_signature::monitor::MonitorSummary) -> String {
    use mtq_signature::monitor::FlagCount;
    let mut line = format!(
        "Monitor at alpha {} (calibrated on {} samples):",
        m.alpha, m.n_calibration
    );
    if let Some(t) = &m.test {
        let (lo, hi) = FlagCount::interval(m.alpha, t.n);
        let _ = write!(
            line,
            " false alarms on the test set {} ({} of {}; 99 % interval for alpha {}–{}{})",
            pct(t.flagged, t.n, 1),
            t.flagged,
            t.n,
            num(100.0 * lo, 1),
            num(100.0 * hi, 1),
            if t.holds(m.alpha) { "" } else { ": outside it" }
        );
    }
    let flagged: Vec<String> = m
        .unseen
        .iter()
        .map(|u| {
            let left = u
                .left_at
                .iter()
                .enumerate()
                .max_by_key(|&(i, c)| (*c, std::cmp::Reverse(i)))
                .filter(|(_, c)| **c > 0)
                .map_or_else(String::new, |(i, c)| {
                    format!(", most of them leaving at {} ({c})", m.layers[i])
                });
            format!("flags {} of unseen {}{left}", pct(u.flagged, u.n, 1), u.set)
        })
        .collect();
    if !flagged.is_empty() {
        let _ = write!(line, "; {}", flagged.join("; "));
    }
    line.push('.');
    if m.alpha_below_resolution {
        let _ = write!(
            line,
            " Alpha is below 1/(calibration + 1) = {}: these flags come from the extrapolated tail, without the conformal guarantee.",
            num(1.0 / (m.n_calibration as f64 + 1.0), 4)
        );
    }
    line
}

/// What changes across seeds, in a few sentences.
#[must_use]
pub fn stability_notes(st: &Stability, meta: &ReportMeta) -> Vec<String> {
    let seeds: Vec<String> = st.seeds.iter().map(u64::to_string).collect();
    let mut notes = vec![format!(
        "Over seeds {}: chosen K per layer {}, redundancy verdict {}.",
        seeds.join(", "),
        if st.same_k { "agrees" } else { "differs" },
        if st.same_redundancy {
            "agrees"
        } else {
            "differs"
        },
    )];
    let aris: Vec<String> = st
        .partition_ari_range()
        .into_iter()
        .map(|(l, lo, hi)| format!("{l} {lo:.3}-{hi:.3}"))
        .collect();
    if st.seeds.len() > 1 {
        notes.push(format!(
            "The seeds' partitions of the reference set agree (ARI between pairs of seeds): {}.",
            aris.join(", ")
        ));
    }
    if let Some(best) = st.scores.first() {
        let tasks: Vec<String> = st.tasks.iter().map(|t| meta.task_name(t)).collect();
        let per: Vec<String> = best
            .mean
            .iter()
            .zip(&best.sd)
            .map(|(m, s)| format!("{m:.3} ± {s:.3}"))
            .collect();
        notes.push(format!(
            "Best mean worst-case AUROC over seeds: {} ({}: {}); for information only, the trusted \
             score stays the one fixed in advance.",
            best.score,
            tasks.join(" | "),
            per.join(" | ")
        ));
    }
    notes
}

/// `n` with a comma every three digits: `2,000`.
#[must_use]
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Up to `max` names joined by commas, then `and N more`.
fn some_of(names: &[String], max: usize) -> String {
    if names.len() <= max {
        return names.join(", ");
    }
    format!("{} and {} more", names[..max].join(", "), names.len() - max)
}

/// A path in one line: every step when it has at most five, else the first two, the number
/// left out and the last two.
#[must_use]
pub fn short_path(path: &[String]) -> String {
    if path.len() <= 5 {
        return path.join(" → ");
    }
    format!(
        "{} → {} → … ({} more) → {} → {}",
        path[0],
        path[1],
        path.len() - 4,
        path[path.len() - 2],
        path[path.len() - 1]
    )
}

/// The headline findings of a report in plain sentences, most important first: accuracy, chosen
/// K, each class's main path, the redundancy verdict, where each unseen class goes, the trusted
/// score and the weakest, then the notes. Each sentence names the set it counts (the test set
/// when the study has one); per-layer numbers are summarised (the layer table has them all).
/// The HTML report and the `mtq` command show these.
#[must_use]
pub fn headlines(data: &ReportData) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(acc) = data.summary.test_accuracy {
        out.push(match &data.summary.test_set {
            Some(t) => format!(
                "Of the {} test samples{}, the network classifies {:.2} % correctly.",
                thousands(t.n),
                if t.name == "test" {
                    String::new()
                } else {
                    format!(" ({})", t.name)
                },
                100.0 * acc
            ),
            None => format!(
                "The network classifies {:.2} % of the test samples correctly.",
                100.0 * acc
            ),
        });
    }
    if !data.silhouette_curves.is_empty() {
        let curves = &data.silhouette_curves;
        let chosen_s = |c: &crate::data::SilhouetteCurve| {
            c.k.iter()
                .position(|&k| k == c.chosen_k)
                .map_or(f64::NAN, |i| c.silhouette[i])
        };
        let k_lo = curves.iter().map(|c| c.chosen_k).min().unwrap_or(0);
        let k_hi = curves.iter().map(|c| c.chosen_k).max().unwrap_or(0);
        let (s_lo, s_hi) = curves
            .iter()
            .map(chosen_s)
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let n = curves.len();
        let layers = if n == 1 {
            format!("layer {}", curves[0].layer)
        } else {
            format!("{n} layers")
        };
        let ks = if k_lo == k_hi {
            format!("K = {k_lo} in every one of the {layers}")
        } else {
            format!("K ranges {k_lo}-{k_hi} over the {layers}")
        };
        let sil = if !s_lo.is_finite() {
            String::new()
        } else if (s_hi - s_lo).abs() < 5e-4 {
            format!(" (silhouette {})", num(s_lo, 3))
        } else {
            format!(" (silhouette {}-{})", num(s_lo, 3), num(s_hi, 3))
        };
        let mut line = format!(
            "Clusters, fitted on the reference (training) set, K chosen by silhouette: {ks}{sil}; see the layer table."
        );
        // K at an end of the range tried may not be the best K: say so.
        let at = |last: bool| -> Vec<String> {
            curves
                .iter()
                .filter(|c| c.k.len() >= 2 && !c.capped)
                .filter(|c| {
                    if last {
                        c.k.last() == Some(&c.chosen_k)
                    } else {
                        c.k.first() == Some(&c.chosen_k) && c.chosen_k > 2
                    }
                })
                .map(|c| format!("{} (K = {})", c.layer, c.chosen_k))
                .collect()
        };
        for (last, end) in [(true, "largest"), (false, "smallest")] {
            let names = at(last);
            if !names.is_empty() {
                let bigger = if last { "larger" } else { "smaller" };
                let _ = write!(
                    line,
                    " {} chose the {end} K tried, a {bigger} one may fit better: widen the K range.",
                    some_of(&names, 3)
                );
            }
        }
        out.push(line);
    }
    let set_kind = data
        .shown_set
        .as_ref()
        .map_or_else(|| "reference (training)".to_owned(), crate::SetSize::kind);
    for t in data.path_tables.iter().filter(|t| !t.injected) {
        if let Some(top) = t.rows.iter().max_by_key(|r| r.count) {
            out.push(format!(
                "Class {} ({} {set_kind} samples): {} ({} of {}) take {} and are predicted {}; {} distinct path{}.",
                t.class,
                thousands(t.n_samples),
                pct(top.count, t.n_samples, 1),
                top.count,
                t.n_samples,
                short_path(&top.path),
                top.predicted,
                t.rows.len(),
                if t.rows.len() == 1 { "" } else { "s" }
            ));
        }
    }
    let red = &data.redundancy;
    let redundant: Vec<&crate::data::LayerPair> =
        red.pairs.iter().filter(|p| p.redundant).collect();
    let cka = |p: &crate::data::LayerPair| p.cka.map_or("n/a".into(), |c| num(c, 3));
    match redundant.as_slice() {
        [] => {
            if let Some(p) = red
                .pairs
                .iter()
                .max_by(|a, b| a.cka.unwrap_or(0.0).total_cmp(&b.cka.unwrap_or(0.0)))
            {
                out.push(format!(
                    "No layer is redundant: no two consecutive layers reach linear CKA {} (the most similar, {} and {}, {}).",
                    num(red.threshold, 2),
                    p.first,
                    p.second,
                    cka(p)
                ));
            }
        }
        few if few.len() <= 3 => {
            let list: Vec<String> = few
                .iter()
                .map(|p| format!("{} repeats {} (CKA {})", p.second, p.first, cka(p)))
                .collect();
            out.push(format!(
                "Redundant layer (linear CKA ≥ {} with the previous layer): {}.",
                num(red.threshold, 2),
                list.join("; ")
            ));
        }
        many => out.push(format!(
            "{} of the {} layers after the first repeat the previous layer (linear CKA ≥ {}): see the layer table.",
            many.len(),
            red.pairs.len(),
            num(red.threshold, 2)
        )),
    }
    for st in &data.strangers {
        let mut line = format!(
            "Unseen class {} ({} samples):",
            st.class,
            thousands(st.n_samples)
        );
        if let Some(p) = st.predicted.iter().max_by_key(|p| p.count) {
            let _ = write!(
                line,
                " predicted {} for {};",
                p.label,
                pct(p.count, st.n_samples, 1)
            );
        }
        let top = |r: &crate::data::LayerRoute| {
            r.shares.iter().max_by_key(|x| x.count).map(|x| {
                (
                    r.layer.clone(),
                    pct(x.count, st.n_samples, 0),
                    x.label.clone(),
                )
            })
        };
        let ends: Vec<String> = match st.routes.as_slice() {
            [] => Vec::new(),
            [one] => top(one)
                .map(|(l, p, c)| format!("{p} go to {c}'s clusters at {l}"))
                .into_iter()
                .collect(),
            [first, .., last] => match (top(first), top(last)) {
                (Some((l0, p0, c0)), Some((l1, p1, c1))) if c0 == c1 => {
                    vec![format!("{p0} go to {c0}'s clusters at {l0}, {p1} at {l1}")]
                }
                (a, b) => a
                    .into_iter()
                    .chain(b)
                    .map(|(l, p, c)| format!("{p} go to {c}'s clusters at {l}"))
                    .collect(),
            },
        };
        if !ends.is_empty() {
            let more = if st.routes.len() > 2 {
                " (every layer in the layer table)"
            } else {
                ""
            };
            let _ = write!(line, " {}{more};", ends.join(", "));
        }
        match st.unseen_paths {
            0 => line.push_str(" no path unseen in training."),
            n => {
                let _ = write!(
                    line,
                    " {n} path(s) unseen in training, taken by {}.",
                    st.samples_on_unseen_paths
                );
            }
        }
        out.push(line);
    }
    let an = &data.anomaly;
    if let Some(row) = an.scores.iter().find(|r| r.name == an.trusted) {
        let res: Vec<String> = row
            .results
            .iter()
            .map(|r| format!("AUROC {} on {}", num(r.auroc, 3), r.task))
            .collect();
        out.push(format!(
            "Anomaly score to trust: {} ({}).",
            row.name,
            res.join(", ")
        ));
    }
    if let Some(m) = &an.monitor {
        out.push(monitor_line(m));
    }
    let mean_auroc = |r: &crate::data::ScoreRow| {
        #[allow(clippy::cast_precision_loss)]
        let n = r.results.len().max(1) as f64;
        r.results.iter().map(|t| t.auroc).sum::<f64>() / n
    };
    if an.scores.len() > 1
        && let Some(worst) = an
            .scores
            .iter()
            .filter(|r| !r.results.is_empty())
            .min_by(|a, b| mean_auroc(a).total_cmp(&mean_auroc(b)))
    {
        out.push(format!(
            "Weakest score: {} (mean AUROC {:.3}).",
            worst.name,
            mean_auroc(worst)
        ));
    }
    out.extend(data.notes.iter().cloned());
    out
}

/// Where a study's calibration set comes from, e.g. `held out of the training split before
/// training (20 % of each class)` (feature `pipeline`).
#[cfg(feature = "pipeline")]
#[must_use]
pub fn calibration_source(source: &mtq_signature::pipeline::CalibrationSource) -> String {
    use mtq_signature::pipeline::{
        CALIBRATION_FRACTION, CalibrationSource, TEST_CALIBRATION_FRACTION,
    };
    match source {
        CalibrationSource::HeldOutOfTraining => format!(
            "held out of the training split before training ({:.0} % of each class)",
            100.0 * CALIBRATION_FRACTION
        ),
        CalibrationSource::TestShare => format!(
            "a seeded {:.0} % of each test class, left out of every evaluation",
            100.0 * TEST_CALIBRATION_FRACTION
        ),
        CalibrationSource::Given(p) => format!("{} (--calibration)", p.display()),
        CalibrationSource::GivenInMemory => "the calibration set given".into(),
        _ => "given".into(),
    }
}

/// One line of progress for a stage of a running study (feature `pipeline`), e.g. `seed 0:
/// trained, test accuracy 0.9932`.
#[cfg(feature = "pipeline")]
#[must_use]
pub fn stage(s: &mtq_signature::pipeline::Stage) -> String {
    use mtq_signature::pipeline::Stage;

    let join = |v: Vec<String>| v.join(", ");
    match s {
        Stage::Loaded {
            data,
            reference,
            test,
            calibration,
            features,
            unseen,
            ..
        } => format!(
            "data: {data}: {reference} reference, {calibration} calibration and {test} test samples{}; unseen: {}",
            features.map_or_else(String::new, |f| format!(" of {f} features")),
            if unseen.is_empty() {
                "none".into()
            } else {
                join(unseen.iter().map(|(n, c)| format!("{c} {n}")).collect())
            }
        ),
        Stage::Trained { seed, accuracy } => {
            format!("seed {seed}: trained, test accuracy {accuracy:.4}")
        }
        Stage::Evaluated {
            seed,
            accuracy: Some(accuracy),
        } => format!("seed {seed}: given model, test accuracy {accuracy:.4}"),
        Stage::Evaluated { seed, .. } => {
            format!("seed {seed}: given model, no probabilities (no accuracy)")
        }
        Stage::Extracted { seed, layers } => {
            format!("seed {seed}: extracted layers {}", layers.join(", "))
        }
        Stage::Fitted { seed, ks } => format!(
            "seed {seed}: chose K per layer by silhouette: {}",
            join(
                ks.iter()
                    .map(|(l, k, s)| match s {
                        Some(s) => format!("{l} K={k} ({s:.3})"),
                        None => format!("{l} constant (K undefined)"),
                    })
                    .collect()
            )
        ),
        Stage::Studied { seed, n_scores } => {
            format!("seed {seed}: traced, scored and evaluated {n_scores} scores")
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(
        layer: &str,
        fit_rows: Option<usize>,
        silhouette_rows: Option<usize>,
    ) -> mtq_signature::KCurve {
        mtq_signature::KCurve {
            layer: layer.into(),
            ks: vec![2, 3],
            silhouette: vec![0.5, 0.4],
            inertia: vec![1.0, 0.5],
            chosen_k: 2,
            outcome: mtq_signature::SweepOutcome::default(),
            labels: Vec::new(),
            fit_rows,
            silhouette_rows,
        }
    }

    #[test]
    fn the_approximation_note_groups_layers_by_sample_size() {
        let exact = curve("h1", None, None);
        assert_eq!(approximation_note(&[&exact]), None);
        let (a, b) = (
            curve("l0", Some(10_240), Some(13_975)),
            curve("l1", Some(10_240), Some(13_975)),
        );
        let c = curve("l2", Some(2_560), None);
        let note = approximation_note(&[&exact, &a, &b, &c]).unwrap_or_default();
        assert!(
            note.contains("in l2, K-means' restarts ran on 2,560 seeded"),
            "{note}"
        );
        assert!(
            note.contains("in l0, l1, K-means' restarts ran on 10,240 seeded"),
            "{note}"
        );
        assert!(note.contains("in l0, l1, the silhouette"), "{note}");
        assert!(note.contains("13,975"), "{note}");
        assert!(!note.contains("h1"), "{note}");
    }
}
