//! Checks a report's data before anything is drawn, so bad input is a typed error, never a
//! silently wrong picture.

use super::{
    ReportData, ReportError, Result, RocCurve, SankeyData, SilhouetteCurve, data::StrangerData,
};

/// Slack allowed on range checks, for values computed in floating point (e.g. a CKA of 1 + 1e-12).
const SLACK: f64 = 1e-6;

/// Samples flowing into and out of every Sankey node, indexed `[column][node]`.
#[derive(Debug, Clone)]
pub(crate) struct Flows {
    pub(crate) inflow: Vec<Vec<usize>>,
    pub(crate) outflow: Vec<Vec<usize>>,
}

impl Flows {
    /// The number of samples a node holds: what it sends on (first column) or receives.
    pub(crate) fn value(&self, column: usize, node: usize) -> usize {
        if column == 0 {
            self.outflow[column][node]
        } else {
            self.inflow[column][node]
        }
    }
}

/// Checks the structure of a Sankey diagram and returns its node flows.
pub(crate) fn check_sankey(sankey: &SankeyData) -> Result<Flows> {
    let n_cols = sankey.columns.len();
    if n_cols < 2 {
        return Err(ReportError::TooFewColumns { columns: n_cols });
    }
    for (column, col) in sankey.columns.iter().enumerate() {
        if col.nodes.is_empty() {
            return Err(ReportError::EmptyColumn {
                column,
                title: col.title.clone(),
            });
        }
    }
    if sankey.groups.is_empty() {
        return Err(ReportError::NoGroups);
    }
    let mut inflow: Vec<Vec<usize>> = sankey
        .columns
        .iter()
        .map(|c| vec![0; c.nodes.len()])
        .collect();
    let mut outflow = inflow.clone();
    let mut total = 0usize;
    for (link, l) in sankey.links.iter().enumerate() {
        for &(column, node) in [&l.from, &l.to] {
            let exists = sankey
                .columns
                .get(column)
                .is_some_and(|c| node < c.nodes.len());
            if !exists {
                return Err(ReportError::MissingNode { link, column, node });
            }
        }
        if l.to.0 != l.from.0 + 1 {
            return Err(ReportError::LinkNotAdjacent {
                link,
                from_column: l.from.0,
                to_column: l.to.0,
            });
        }
        if l.group >= sankey.groups.len() {
            return Err(ReportError::MissingGroup {
                link,
                group: l.group,
                groups: sankey.groups.len(),
            });
        }
        outflow[l.from.0][l.from.1] += l.count;
        inflow[l.to.0][l.to.1] += l.count;
        total += l.count;
    }
    if total == 0 {
        return Err(ReportError::NothingToDraw);
    }
    for column in 1..n_cols - 1 {
        for (node, n) in sankey.columns[column].nodes.iter().enumerate() {
            let (i, o) = (inflow[column][node], outflow[column][node]);
            if i != o {
                return Err(ReportError::UnbalancedNode {
                    column,
                    node,
                    label: n.label.clone(),
                    inflow: i,
                    outflow: o,
                });
            }
        }
    }
    Ok(Flows { inflow, outflow })
}

/// Checks that `value` lies in `[min, max]` (with a little slack) and is finite.
pub(crate) fn check_range(
    what: impl FnOnce() -> String,
    index: usize,
    value: f64,
    min: f64,
    max: f64,
) -> Result<()> {
    if value.is_finite() && value >= min - SLACK && value <= max + SLACK {
        Ok(())
    } else {
        Err(ReportError::ValueOutOfRange {
            what: what(),
            index,
            value,
            min,
            max,
        })
    }
}

/// Checks silhouette curves: non-empty, matching lengths, increasing K, values in `[-1, 1]`,
/// chosen K on the curve.
pub(crate) fn check_silhouette(curves: &[SilhouetteCurve]) -> Result<()> {
    for c in curves {
        if c.k.is_empty() {
            return Err(ReportError::EmptyCurve {
                curve: c.layer.clone(),
            });
        }
        if c.k.len() != c.silhouette.len() {
            return Err(ReportError::CurveLengthMismatch {
                curve: c.layer.clone(),
                xs: c.k.len(),
                ys: c.silhouette.len(),
            });
        }
        if let Some(index) = c.k.windows(2).position(|w| w[1] <= w[0]) {
            return Err(ReportError::KNotIncreasing {
                layer: c.layer.clone(),
                index: index + 1,
            });
        }
        for (i, &s) in c.silhouette.iter().enumerate() {
            check_range(|| format!("silhouette of {:?}", c.layer), i, s, -1.0, 1.0)?;
        }
        if !c.k.contains(&c.chosen_k) {
            return Err(ReportError::ChosenKNotOnCurve {
                layer: c.layer.clone(),
                chosen_k: c.chosen_k,
            });
        }
    }
    Ok(())
}

/// Checks ROC curves: non-empty, matching lengths, rates and summaries in `[0, 1]`, rates
/// non-decreasing.
pub(crate) fn check_roc(curves: &[RocCurve]) -> Result<()> {
    for c in curves {
        let name = || format!("{} ({})", c.name, c.task);
        if c.fpr.is_empty() {
            return Err(ReportError::EmptyCurve { curve: name() });
        }
        if c.fpr.len() != c.tpr.len() {
            return Err(ReportError::CurveLengthMismatch {
                curve: name(),
                xs: c.fpr.len(),
                ys: c.tpr.len(),
            });
        }
        for (i, (&x, &y)) in c.fpr.iter().zip(&c.tpr).enumerate() {
            check_range(|| format!("FPR of ROC curve {}", name()), i, x, 0.0, 1.0)?;
            check_range(|| format!("TPR of ROC curve {}", name()), i, y, 0.0, 1.0)?;
        }
        for (rate, v) in [("FPR", &c.fpr), ("TPR", &c.tpr)] {
            if let Some(i) = v.windows(2).position(|w| w[1] < w[0]) {
                return Err(ReportError::RocNotMonotone {
                    curve: name(),
                    rate,
                    index: i + 1,
                });
            }
        }
        check_range(
            || format!("AUROC of ROC curve {}", name()),
            0,
            c.auroc,
            0.0,
            1.0,
        )?;
        check_range(
            || format!("FPR at 95 % TPR of ROC curve {}", name()),
            0,
            c.fpr_at_95_tpr,
            0.0,
            1.0,
        )?;
    }
    Ok(())
}

fn check_counts(
    what: impl FnOnce() -> String,
    counts: impl Iterator<Item = usize>,
    total: usize,
) -> Result<()> {
    let sum: usize = counts.sum();
    if sum > total {
        return Err(ReportError::CountsExceedTotal {
            what: what(),
            sum,
            total,
        });
    }
    Ok(())
}

fn check_stranger(s: &StrangerData) -> Result<()> {
    for r in &s.routes {
        check_counts(
            || format!("strangers {:?} at layer {:?}", s.class, r.layer),
            r.shares.iter().map(|x| x.count),
            s.n_samples,
        )?;
    }
    check_counts(
        || format!("predictions for strangers {:?}", s.class),
        s.predicted.iter().map(|x| x.count),
        s.n_samples,
    )?;
    for (i, m) in s.main_clusters.iter().enumerate() {
        check_counts(
            || format!("strangers {:?} in their main cluster at layer {i}", s.class),
            std::iter::once(m.count),
            s.n_samples,
        )?;
    }
    check_counts(
        || format!("strangers {:?} on unseen paths", s.class),
        std::iter::once(s.samples_on_unseen_paths),
        s.n_samples,
    )
}

/// Checks everything a report shows.
pub(crate) fn check_report(data: &ReportData) -> Result<Flows> {
    let flows = check_sankey(&data.sankey)?;
    check_silhouette(&data.silhouette_curves)?;
    check_roc(&data.anomaly.roc_curves)?;
    if let Some(acc) = data.summary.test_accuracy {
        check_range(|| "test accuracy".to_owned(), 0, acc, 0.0, 1.0)?;
    }
    for t in &data.cluster_tables {
        for (row, c) in t.clusters.iter().enumerate() {
            if c.counts.len() != t.classes.len() {
                return Err(ReportError::RowLength {
                    table: format!("cluster table of layer {:?}", t.layer),
                    row,
                    expected: t.classes.len(),
                    found: c.counts.len(),
                });
            }
            check_range(
                || format!("purity of cluster {:?}", c.name),
                row,
                c.purity,
                0.0,
                1.0,
            )?;
            check_range(
                || format!("entropy of cluster {:?}", c.name),
                row,
                c.entropy,
                0.0,
                f64::MAX,
            )?;
        }
    }
    let n_layers = data.summary.layers.len();
    for t in &data.path_tables {
        for (row, r) in t.rows.iter().enumerate() {
            if r.path.len() != n_layers {
                return Err(ReportError::RowLength {
                    table: format!("path table of class {:?}", t.class),
                    row,
                    expected: n_layers,
                    found: r.path.len(),
                });
            }
        }
        check_counts(
            || format!("path table of class {:?}", t.class),
            t.rows.iter().map(|r| r.count),
            t.n_samples,
        )?;
    }
    let red = &data.redundancy;
    check_range(
        || "redundancy threshold".to_owned(),
        0,
        red.threshold,
        0.0,
        1.0,
    )?;
    for (i, p) in red.pairs.iter().enumerate() {
        let pair = || format!("{} vs {}", p.first, p.second);
        check_range(|| format!("ARI of {}", pair()), i, p.ari, -1.0, 1.0)?;
        check_range(|| format!("NMI of {}", pair()), i, p.nmi, 0.0, 1.0)?;
        if let Some(cka) = p.cka {
            check_range(|| format!("CKA of {}", pair()), i, cka, 0.0, 1.0)?;
        }
    }
    for (i, l) in red.vs_labels.iter().enumerate() {
        check_range(
            || format!("ARI of {} vs labels", l.layer),
            i,
            l.ari,
            -1.0,
            1.0,
        )?;
        check_range(
            || format!("NMI of {} vs labels", l.layer),
            i,
            l.nmi,
            0.0,
            1.0,
        )?;
    }
    for s in &data.strangers {
        check_stranger(s)?;
    }
    let an = &data.anomaly;
    for s in &an.scores {
        for (i, r) in s.results.iter().enumerate() {
            check_range(
                || format!("AUROC of {} on {}", s.name, r.task),
                i,
                r.auroc,
                0.0,
                1.0,
            )?;
            check_range(
                || format!("FPR at 95 % TPR of {} on {}", s.name, r.task),
                i,
                r.fpr_at_95_tpr,
                0.0,
                1.0,
            )?;
        }
    }
    if !an.trusted.is_empty()
        && !an.scores.is_empty()
        && !an.scores.iter().any(|s| s.name == an.trusted)
    {
        return Err(ReportError::UnknownTrustedScore {
            name: an.trusted.clone(),
            scores: an.scores.len(),
        });
    }
    Ok(flows)
}
