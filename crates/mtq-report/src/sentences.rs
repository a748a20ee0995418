//! Every English sentence of a report, written from the numbers: the headline findings, the
//! redundancy verdict, why a score is trusted, and what changes across seeds.

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
         (Kornblith et al. 2019; 1 = the same up to rotation and scale) at least {t}, on the \
         reference set, whatever K either layer chose."
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
            "{rule} {} of {n} layer(s) redundant: {}.",
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
            "{rule} {} of {n} layers repeat the previous one ({}); the layer table gives each pair's CKA.",
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

/// The headline findings of a report in plain sentences, most important first: accuracy, chosen
/// K, each class's main path, the redundancy verdict, where each unseen class goes, the trusted
/// score and the weakest, then the notes. The HTML report and the `mtq` command show these.
#[must_use]
pub fn headlines(data: &ReportData) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(acc) = data.summary.test_accuracy {
        out.push(format!(
            "The network classifies {:.2} % of the test samples correctly.",
            100.0 * acc
        ));
    }
    if !data.silhouette_curves.is_empty() {
        let ks: Vec<String> = data
            .silhouette_curves
            .iter()
            .map(|c| {
                let s =
                    c.k.iter()
                        .position(|&k| k == c.chosen_k)
                        .map_or(f64::NAN, |i| c.silhouette[i]);
                // K at an end of the range tried may not be the best K: say so.
                let edge = if c.k.len() < 2 || c.capped {
                    ""
                } else if c.k.last() == Some(&c.chosen_k) {
                    "; the largest K tried, a larger one may fit better: widen the K range"
                } else if c.k.first() == Some(&c.chosen_k) && c.chosen_k > 2 {
                    "; the smallest K tried, a smaller one may fit better: widen the K range"
                } else {
                    ""
                };
                format!(
                    "{} K = {} (silhouette {}{edge})",
                    c.layer,
                    c.chosen_k,
                    num(s, 3)
                )
            })
            .collect();
        out.push(format!("Clusters chosen by silhouette: {}.", ks.join(", ")));
    }
    for t in data.path_tables.iter().filter(|t| !t.injected) {
        if let Some(top) = t.rows.iter().max_by_key(|r| r.count) {
            out.push(format!(
                "Class {}: {} ({} of {}) take {} and are predicted {}; {} distinct path{}.",
                t.class,
                pct(top.count, t.n_samples, 1),
                top.count,
                t.n_samples,
                top.path.join(" → "),
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
            "{} of {} layers repeat the previous layer (linear CKA ≥ {}): see the layer table.",
            many.len(),
            red.pairs.len(),
            num(red.threshold, 2)
        )),
    }
    for st in &data.strangers {
        let mut line = format!("Unseen class {} ({} samples):", st.class, st.n_samples);
        if let Some(p) = st.predicted.iter().max_by_key(|p| p.count) {
            let _ = write!(
                line,
                " predicted {} for {};",
                p.label,
                pct(p.count, st.n_samples, 1)
            );
        }
        let routes: Vec<String> = st
            .routes
            .iter()
            .filter_map(|r| {
                r.shares.iter().max_by_key(|x| x.count).map(|x| {
                    format!(
                        "{} {} to {}",
                        r.layer,
                        pct(x.count, st.n_samples, 0),
                        x.label
                    )
                })
            })
            .collect();
        if !routes.is_empty() {
            let _ = write!(line, " {};", routes.join(", "));
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
