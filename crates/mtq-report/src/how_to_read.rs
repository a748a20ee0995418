//! The "How to read this report" section: every term the report uses, and which set each
//! figure shows.

use std::fmt::Write as _;

use crate::ReportData;
use crate::markup::esc;

/// Writes the section (a `<details>` block, closed until clicked).
pub(crate) fn section(s: &mut String, data: &ReportData, explorable: bool) {
    let set = |i: usize, fallback: &str| {
        data.summary
            .sets
            .get(i)
            .map_or_else(|| fallback.to_string(), |x| esc(&x.name))
    };
    let reference = set(0, "reference");
    let test = set(1, "test");
    let layer = data.summary.layers.first().map_or("h1", String::as_str);
    let layer = esc(layer);
    s.push_str("<details class=\"howto\" id=\"how-to-read\"><summary><h2>How to read this report</h2> (click: every term, and which set each figure shows)</summary><dl>");
    let mut term = |t: &str, d: String| {
        let _ = write!(s, "<dt>{t}</dt><dd>{d}</dd>");
    };
    term(
        "reference",
        format!(
            "The set the clusters are fitted on: <b>{reference}</b>, the network's training samples of the classes it learned. Cluster names, the silhouette curves, the K-trees, the cluster tables and the layer agreement (ARI, CKA) are computed on it. The headlines, the path tables and the Sankey count the test set when the study has one (each says which set)."
        ),
    );
    term(
        "test",
        format!(
            "<b>{test}</b>: held-out samples of the learned classes, never used to fit anything; the negatives of the anomaly tasks."
        ),
    );
    term(
        "unseen (injected) class",
        "Samples of a class the network never saw in training (e.g. <code>unseen:4</code>), traced through the same clusters; the positives of the anomaly tasks. Drawn hatched.".into(),
    );
    term(
        &format!("{layer}, cluster <code>{layer}:7</code>, <code>{layer}:7#2</code>"),
        format!(
            "A layer of the network (<code>out</code> = its class probabilities). Each layer's activations of the reference are clustered with K-means; a cluster is named by its layer and its majority class: <code>{layer}:7</code> is the cluster of layer {layer} whose members are mostly 7s, <code>{layer}:7#2</code> a second cluster of mostly 7s in the same layer."
        ),
    );
    term(
        "K, silhouette, K-tree",
        "K is the number of clusters of a layer, chosen as the K with the highest mean silhouette (how much closer a sample is to its own cluster than to the next one, from −1 to 1) over the K range tried. The K-tree shows how the reference samples split as K grows: one row per K, one circle per cluster (area ∝ size, colour = majority class), lines = samples moving from a cluster at K to one at K+1; the chosen K is outlined.".into(),
    );
    term(
        "path",
        "The sequence of clusters a sample falls in, one per layer (e.g. <code>h1:7 &gt; h2:7 &gt; out:7</code>), then the class the network predicts.".into(),
    );
    term(
        "path rarity",
        "How rare a sample's path is in the reference: <code>−ln((c + 1) / (n + 1))</code> where <code>c</code> of the <code>n</code> reference samples take the same path; highest for a path no reference sample takes. An anomaly score.".into(),
    );
    term(
        "distance to the centroid",
        "Euclidean distance from a sample's activations to the centre of its cluster, in the layer's prepared space. Small: a prototype of the cluster; large: atypical.".into(),
    );
    term(
        "(L2)",
        "Activations normalised to unit length (L2 norm) before the distances are taken, so only their direction counts.".into(),
    );
    term(
        "kNN score",
        "Distance to the k-th nearest reference sample in one layer (<code>k=1</code>: the nearest). Not computed for the reference's own samples (a sample is its own nearest neighbour): empty cells.".into(),
    );
    term(
        "p-value, combined p-value, flagged, left at",
        "The path monitor's answer for one sample. In every layer, the distance to the nearest reference sample becomes a conformal p-value: about the share of calibration samples (held out, never trained on) that lie at least as far. The p-values of the layers not redundant with the previous one are combined by Fisher's method, itself calibrated the same way: the <b>combined p-value</b> (the score shows <code>-log10 p</code>: 2 means p = 0.01). A sample is <b>flagged</b> when it is below alpha, which on in-distribution samples happens with probability alpha. A flagged sample <b>left</b> the known paths at the first layer whose own p-value is below alpha.".into(),
    );
    term(
        "Deep k-NN credibility",
        "Papernot &amp; McDaniel (2018): in every layer the k nearest reference samples vote for their classes; the credibility is the conformal p-value of the label most of them agree on (low: the layers disagree about what the sample is).".into(),
    );
    term(
        "trusted score, anomaly_score",
        format!(
            "The one score the report recommends, fixed in advance (see its rationale under Anomaly scores): <b>{}</b>. Its values are the <code>anomaly_score</code> column of <code>samples.csv</code>; higher = more anomalous.",
            esc(&data.anomaly.trusted)
        ),
    );
    term(
        "AUROC, FPR at 95 % TPR",
        "How well a score separates an unseen class (positives) from the test set (negatives): AUROC 1 = every unseen sample scores above every test sample, 0.5 = chance; FPR at 95 % TPR = the share of test samples flagged when 95 % of the unseen ones are.".into(),
    );
    term(
        "ARI, NMI, linear CKA, redundant",
        "ARI (adjusted Rand index) and NMI (normalised mutual information): agreement of two partitions of the reference set (1 = identical, whatever the cluster names). Linear CKA (Kornblith et al. 2019): similarity of two layers' activations on the same samples (1 = the same geometry up to rotation and scale), which does not depend on the K either layer chose. A layer is called redundant when its linear CKA with the previous layer reaches the threshold: its clusters and distances then add little to the previous layer's.".into(),
    );
    s.push_str("</dl><p class=\"note\">Which set each figure shows: the Sankey diagram and the path tables show the test set (the reference set when the study has none) and the unseen sets, and the strangers tables the unseen sets");
    if explorable {
        s.push_str(" (the set switch above the Sankey shows any one set, or all of them)");
    }
    s.push_str("; the silhouette curves, K-trees, cluster tables and redundancy use the reference only; the anomaly scores and ROC curves compare the test set with each unseen set");
    if explorable {
        s.push_str("; the top anomalies are ranked over the test and unseen sets");
    }
    s.push_str(".</p></details>\n");
}
