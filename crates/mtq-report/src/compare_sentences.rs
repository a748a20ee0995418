//! Every English sentence of the comparison page, written from a
//! [`Comparison`]: the differences beyond noise, the count of
//! those within it, and how the intervals were made.

use mtq_signature::compare::{CompareParams, Comparison, Difference, Quantity, ScoreRole, Verdict};

use crate::markup::{MISSING, num_or_missing, share};

/// Headline differences shown before the rest are left to the differences table.
pub const MAX_HEADLINES: usize = 12;

/// A value of `quantity` in its unit: shares as percentages with one decimal (`60.2 %`), AUROCs
/// with three decimals (`0.981`); `—` for NaN.
#[must_use]
pub fn value(quantity: &Quantity, v: f64) -> String {
    match quantity {
        Quantity::Auroc { .. } => num_or_missing(v, 3),
        _ => share(v, 1),
    }
}

/// A mean and its interval in the quantity's unit: `60.2 % [55.1-65.3 %]`, `0.981
/// [0.970-0.990]`; `—` for a NaN mean.
#[must_use]
pub fn estimate(quantity: &Quantity, (mean, low, high): (f64, f64, f64)) -> String {
    if !mean.is_finite() {
        return MISSING.to_owned();
    }
    let unit = |v: f64| value(quantity, v);
    match quantity {
        Quantity::Auroc { .. } => format!("{} [{}-{}]", unit(mean), unit(low), unit(high)),
        _ => {
            let hi = unit(high);
            let lo = unit(low);
            format!("{} [{}-{hi}]", unit(mean), lo.trim_end_matches(" %"))
        }
    }
}

/// A class's samples in words: `3s` for a digit-like name, else `samples of <name>`.
fn samples_of(class: &str) -> String {
    if !class.is_empty() && class.chars().all(|c| c.is_ascii_digit()) {
        format!("{class}s")
    } else {
        format!("samples of {class}")
    }
}

fn role_words(role: ScoreRole) -> &'static str {
    match role {
        ScoreRole::Trusted => "trusted score",
        ScoreRole::MaxSoftmax => "max-softmax",
    }
}

/// What is more in the first of two studies, as the clause after its name: `is more accurate
/// than`, `sends more 3s to 1 than`...
fn more_clause(q: &Quantity) -> String {
    match q {
        Quantity::Accuracy => "is more accurate than".into(),
        Quantity::ClassPath { class } => {
            format!("keeps more of class {class} on its main path than")
        }
        Quantity::UnseenPath { class } => {
            format!("keeps more of unseen {class} on its main path than")
        }
        Quantity::Route { class, to } => format!("sends more {} to {to} than", samples_of(class)),
        Quantity::Auroc { task, role } => format!(
            "tells unseen {task} from the test set better by its {} (AUROC) than",
            role_words(*role)
        ),
    }
}

/// One difference in a sentence, the larger study first: `CNN sends more 3s to 1 than MLP: 60.2
/// % [55.1-65.3 %] vs 43.0 % [38.0-48.0 %], intervals do not overlap.` An overlap reads `MLP
/// and CNN: path share of 7 ... within noise (the intervals overlap).` `names` are the studies'
/// names (an index beyond them is named `study <i>`).
#[must_use]
pub fn difference_sentence(d: &Difference, names: &[String]) -> String {
    let name = |i: usize| {
        names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("study {i}"))
    };
    let q = &d.quantity;
    let ((hi, hv), (lo, lv)) = match d.verdict {
        Verdict::Lower => ((d.b, d.b_value), (d.a, d.a_value)),
        _ => ((d.a, d.a_value), (d.b, d.b_value)),
    };
    match d.verdict {
        Verdict::Overlap => format!(
            "{} and {}: {q} {} vs {}, within noise (the intervals overlap).",
            name(d.a),
            name(d.b),
            estimate(q, d.a_value),
            estimate(q, d.b_value)
        ),
        _ => format!(
            "{} {} {}: {} vs {}, intervals do not overlap{}.",
            name(hi),
            more_clause(q),
            name(lo),
            estimate(q, hv),
            estimate(q, lv),
            if d.same_data {
                ""
            } else {
                " (different data sets)"
            }
        ),
    }
}

/// Order of the kinds in the headlines: accuracy, AUROCs, main paths, routes.
fn rank(q: &Quantity) -> u8 {
    match q {
        Quantity::Accuracy => 0,
        Quantity::Auroc { .. } => 1,
        Quantity::ClassPath { .. } => 2,
        Quantity::UnseenPath { .. } => 3,
        Quantity::Route { .. } => 4,
    }
}

/// The headlines of a comparison: one sentence per difference beyond noise (between studies of
/// the same data first; accuracy first, then AUROCs, main-path shares and routes; at most [`MAX_HEADLINES`], then how many more the
/// differences table has), then how many differences are within noise. One sentence when the
/// comparison has no difference at all.
#[must_use]
pub fn compare_headlines(c: &Comparison) -> Vec<String> {
    let names: Vec<String> = c.studies.iter().map(|s| s.name.clone()).collect();
    let mut distinct: Vec<&Difference> = c.differences.iter().filter(|d| d.distinct()).collect();
    // networks on the same data first, then differences between data sets
    distinct.sort_by_key(|d| (!d.same_data, rank(&d.quantity)));
    let mut out: Vec<String> = distinct
        .iter()
        .take(MAX_HEADLINES)
        .map(|d| difference_sentence(d, &names))
        .collect();
    if distinct.len() > MAX_HEADLINES {
        out.push(format!(
            "{} more differences beyond noise in the differences table.",
            distinct.len() - MAX_HEADLINES
        ));
    }
    let total = c.differences.len();
    let within = total - distinct.len();
    out.push(match (total, within) {
        (0, _) => "No quantity is measured by two studies: nothing to compare.".into(),
        (_, 0) => format!("None of the {total} differences is within noise."),
        (_, w) if w == total => format!(
            "All {total} difference{} within noise (the intervals overlap).",
            if total == 1 { " is" } else { "s are" }
        ),
        (_, w) => format!(
            "{w} of the {total} differences {} within noise (the intervals overlap).",
            if w == 1 { "is" } else { "are" }
        ),
    });
    out
}

/// How the intervals were made, in a short paragraph: the 95 % percentile interval of
/// `resamples` bootstrap replicates per seed over samples, pooled over seeds, with `seed`; and,
/// when `hanley_mcneil`, that AUROCs marked † had no per-sample scores.
#[must_use]
pub fn how_intervals(params: &CompareParams, hanley_mcneil: bool) -> String {
    let mut s = format!(
        "Every number is the mean over the study's seeds, with a 95 % interval: the 2.5 and 97.5 \
         percentiles of {} bootstrap replicates per seed (the samples resampled with \
         replacement; an AUROC resamples the test set and the unseen set separately), the \
         replicates of every seed pooled, so one interval holds both the sample noise and the \
         seed noise (bootstrap seed {}). Two studies differ when their intervals do not overlap; \
         otherwise the difference is within noise. Hover a number for each seed's value.",
        crate::sentences::thousands(params.resamples.max(1)),
        params.seed
    );
    if hanley_mcneil {
        s.push_str(
            " An AUROC marked † had no per-sample scores (read back from a report): its \
             replicates are drawn from Hanley and McNeil's (1982) normal approximation of its \
             standard error.",
        );
    }
    s
}

/// What the layer maps show, in a short paragraph.
#[must_use]
pub fn how_maps() -> String {
    "Layer maps: rows are the first study's layers, columns the second's, on the test samples \
     both studies share (matched by id). Linear CKA (Kornblith et al. 2019) compares the \
     layers' activations: 1 = the same representation up to rotation and scale. ARI compares \
     their cluster partitions (each layer's chosen K): 1 = the same partition, 0 = chance. Each \
     cell is the mean over the seeds both studies ran (seed i of one against seed i of the \
     other); hover it for the range over seeds, click it for the details. A study against \
     itself (\"within\") shows how its own layers relate."
        .into()
}
