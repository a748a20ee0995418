//! The plain data the renderers take: every number a report shows, and nothing else.
//!
//! [`report_data`](crate::report_data) fills these types from a study; [`sankey_svg`](crate::sankey_svg),
//! [`html_report`](crate::html_report) and [`write_report`](crate::write_report) only read them.
//! Every type is `serde` (de)serialisable, so `report.json` holds exactly what the report shows.
//! Names (layers, clusters, classes, scores) are free text: the renderers escape them.
//! Clusters should be named by their majority class (e.g. `"h1:7"`), since raw ids are
//! arbitrary from run to run.

use serde::{Deserialize, Serialize};

/// Everything one report shows, in the order the HTML report shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportData {
    /// The version of this layout ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION) when written here).
    pub schema_version: u32,
    /// Title of the report (HTML `<title>` and top heading).
    pub title: String,
    /// Key facts of the run: seed, accuracy, layers, set sizes.
    pub summary: Summary,
    /// Extra findings in plain sentences, shown under the headlines generated from the numbers
    /// (e.g. the stability of the results across seeds). May be empty.
    pub notes: Vec<String>,
    /// How the study varies across seeds, when several were run.
    #[serde(default)]
    pub stability: Option<mtq_signature::Stability>,
    /// The set the headlines, the path tables and the Sankey diagram count: the held-out test
    /// set when the study has one, else the reference (schema version 4 on; `None` in older
    /// files: the reference).
    #[serde(default)]
    pub shown_set: Option<SetSize>,
    /// The flows of [`ReportData::shown_set`] and every unseen set: true class -> each layer's
    /// clusters -> predicted class.
    pub sankey: SankeyData,
    /// One silhouette curve per clustered layer.
    pub silhouette_curves: Vec<SilhouetteCurve>,
    /// Per layer, the class x cluster table with purity and entropy. May be empty.
    pub cluster_tables: Vec<ClusterTable>,
    /// Per true class (of [`ReportData::shown_set`], then each injected class), its paths and
    /// their counts.
    pub path_tables: Vec<PathTable>,
    /// Layer redundancy: agreement between consecutive layers and with the true labels.
    pub redundancy: RedundancyData,
    /// Where the samples of each injected (unseen) class go, layer by layer.
    pub strangers: Vec<StrangerData>,
    /// Anomaly scores, their ROC curves and which one to trust.
    pub anomaly: AnomalyData,
    /// Where the study came from: the mtq version, the command, the options, the seeds and
    /// every input file with its size and SHA-256 (schema version 2 on; `None` when the
    /// caller did not give it).
    #[serde(default)]
    pub provenance: Option<mtq_signature::Provenance>,
}

/// Key facts of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// The seed the whole run used.
    pub seed: u64,
    /// Test accuracy of the network on the reference classes, in `[0, 1]`, if measured.
    pub test_accuracy: Option<f64>,
    /// Names of the clustered layers, in network order (e.g. `["h1", "h2", "out"]`).
    /// Path tables give one cluster per layer in this order.
    pub layers: Vec<String>,
    /// Sizes of the sets the run used (e.g. `"train 1/7": 1755`, `"test 4s": 191`).
    pub sets: Vec<SetSize>,
    /// The set the test accuracy is measured on, when there is one (schema version 4 on).
    #[serde(default)]
    pub test_set: Option<SetSize>,
    /// Any other facts worth one line (e.g. `"hidden": "32, 64"`, `"epochs": "5"`).
    pub facts: Vec<Fact>,
}

/// The size of one set of samples.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SetSize {
    /// Name of the set (e.g. `"train 1/7"`).
    pub name: String,
    /// Number of samples in it.
    pub n: usize,
    /// Its role, as in the per-sample files: `reference`, `test` or `unseen:<name>` (schema
    /// version 4 on; empty in older files).
    #[serde(default)]
    pub key: String,
}

impl SetSize {
    /// How sentences name the set's samples: `test` for the test set, `reference (training)`
    /// for the reference, else its name.
    #[must_use]
    pub fn kind(&self) -> String {
        match self.key.as_str() {
            "test" => "test".into(),
            "reference" => "reference (training)".into(),
            _ => self.name.clone(),
        }
    }
}

/// One labelled fact, shown as is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fact {
    /// What the fact is about.
    pub label: String,
    /// Its value, already formatted.
    pub value: String,
}

/// A Sankey diagram: columns of nodes, and bands (links) between consecutive columns.
///
/// Typical columns: `"true class"` -> `"h1"` clusters -> `"h2"` clusters -> `"predicted"`.
/// There is one link per (group, from node, to node), so bands are coloured by group
/// (true class) and injected classes are bands of their own.
/// Every node of an inner column must receive as many samples as it sends on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SankeyData {
    /// The columns, left to right; at least two.
    pub columns: Vec<SankeyColumn>,
    /// The bands; each goes from a node of column `c` to a node of column `c + 1`.
    /// Links with a zero count are allowed and not drawn.
    pub links: Vec<SankeyLink>,
    /// The band groups (colours), indexed by [`SankeyLink::group`].
    pub groups: Vec<SankeyGroup>,
}

/// One column of a Sankey diagram.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SankeyColumn {
    /// Title shown above the column (e.g. `"h1"`).
    pub title: String,
    /// Its nodes. The first column is drawn in this order; later columns are reordered by
    /// the mean position of what flows into them, to reduce crossings.
    pub nodes: Vec<SankeyNode>,
}

/// One node (a class or a cluster) of a Sankey column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SankeyNode {
    /// Its label (e.g. `"h1:7"`); the renderer adds the count.
    pub label: String,
}

/// One band of a Sankey diagram: `count` samples of `group` going from one node to the next.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SankeyLink {
    /// Source as (column index, node index within the column).
    pub from: (usize, usize),
    /// Target as (column index, node index within the column); the column must be `from.0 + 1`.
    pub to: (usize, usize),
    /// Index into [`SankeyData::groups`].
    pub group: usize,
    /// Number of samples in the band.
    pub count: usize,
}

/// A band group: usually one true class.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SankeyGroup {
    /// Its label in the legend (e.g. `"1"` or `"4 (unseen)"`).
    pub label: String,
    /// Whether the group is a class the network never saw in training (drawn hatched).
    pub injected: bool,
}

/// The silhouette score of one layer's clustering for each K tried.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SilhouetteCurve {
    /// Layer name (e.g. `"h1"`).
    pub layer: String,
    /// The K values tried, increasing.
    pub k: Vec<usize>,
    /// The silhouette score for each K, in `[-1, 1]`; same length as `k`.
    pub silhouette: Vec<f64>,
    /// The K chosen; must be one of `k`.
    pub chosen_k: usize,
    /// Whether the range was cut below the K asked for (the layer has fewer distinct
    /// reference rows): then `k` ends below the range's end.
    #[serde(default)]
    pub capped: bool,
}

/// One layer's class x cluster table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClusterTable {
    /// Layer name.
    pub layer: String,
    /// The classes (table rows).
    pub classes: Vec<String>,
    /// The clusters (table columns).
    pub clusters: Vec<ClusterColumn>,
}

/// One cluster of a [`ClusterTable`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClusterColumn {
    /// Cluster name (e.g. `"h1:7"`).
    pub name: String,
    /// Samples of each class in the cluster; same length as [`ClusterTable::classes`].
    pub counts: Vec<usize>,
    /// Share of the cluster's majority class, in `[0, 1]`.
    pub purity: f64,
    /// Entropy of the class given the cluster, in bits (`>= 0`).
    pub entropy: f64,
}

/// The paths taken by the samples of one true class.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathTable {
    /// The true class (e.g. `"7"`), or `"all"` for every reference sample.
    pub class: String,
    /// Whether the class was never seen in training.
    pub injected: bool,
    /// Number of samples of the class.
    pub n_samples: usize,
    /// Its paths, most frequent first (the renderer keeps the given order).
    pub rows: Vec<PathRow>,
}

/// One distinct path and how many samples take it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathRow {
    /// Cluster name per layer, in the order of [`Summary::layers`].
    pub path: Vec<String>,
    /// The predicted class at the end of the path.
    pub predicted: String,
    /// Number of samples of the class taking this path.
    pub count: usize,
    /// Whether no training sample takes this path (for injected classes).
    pub unseen_in_training: bool,
}

/// Layer redundancy, measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RedundancyData {
    /// Linear CKA at or above which a layer counts as redundant with the previous one.
    pub threshold: f64,
    /// Agreement between consecutive layers.
    pub pairs: Vec<LayerPair>,
    /// Agreement of each layer's partition with the true labels.
    pub vs_labels: Vec<LayerVsLabels>,
    /// The verdict in one or two plain sentences.
    pub verdict: String,
}

/// Agreement between two layers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LayerPair {
    /// The earlier layer.
    pub first: String,
    /// The later layer.
    pub second: String,
    /// Adjusted Rand index between the two partitions.
    pub ari: f64,
    /// Normalised mutual information between the two partitions.
    pub nmi: f64,
    /// Linear CKA between the two layers' activations, if computed.
    pub cka: Option<f64>,
    /// Whether `second` is judged redundant with `first`.
    pub redundant: bool,
}

/// Agreement of one layer's partition with the true labels.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LayerVsLabels {
    /// Layer name.
    pub layer: String,
    /// Adjusted Rand index against the true labels.
    pub ari: f64,
    /// Normalised mutual information against the true labels.
    pub nmi: f64,
}

/// Where the samples of one injected (unseen) class go.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StrangerData {
    /// The injected class (e.g. `"4"`).
    pub class: String,
    /// Number of its samples.
    pub n_samples: usize,
    /// Per layer, how many of them land in the clusters of each reference class.
    pub routes: Vec<LayerRoute>,
    /// What the network predicts for them: count per predicted class.
    pub predicted: Vec<Share>,
    /// Number of distinct paths they take that no training sample takes.
    pub unseen_paths: usize,
    /// Number of their samples on such paths.
    pub samples_on_unseen_paths: usize,
    /// Per layer (in the order of [`Summary::layers`]), the one cluster most of them fall in
    /// and how many do (schema version 4 on; empty in older files).
    #[serde(default)]
    pub main_clusters: Vec<Share>,
}

/// One layer of a [`StrangerData`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LayerRoute {
    /// Layer name.
    pub layer: String,
    /// Count per destination (a reference class's clusters, e.g. `"7"`, or a cluster name).
    pub shares: Vec<Share>,
}

/// A labelled count (the share is `count / n_samples` of the owner).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Share {
    /// What the samples went to.
    pub label: String,
    /// How many did.
    pub count: usize,
}

/// Anomaly scores, evaluated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnomalyData {
    /// Every score, with its AUROC and FPR at 95 % TPR on each task.
    pub scores: Vec<ScoreRow>,
    /// ROC curves to draw (one chart per task, in order of first appearance).
    pub roc_curves: Vec<RocCurve>,
    /// Name of the score to trust: one of `scores` when there are any; may be empty. Its values
    /// are the `anomaly_score` column of the per-sample files.
    pub trusted: String,
    /// The trusted score's column key in the per-sample files (e.g. `knn_h1_k1_l2`).
    #[serde(default)]
    pub trusted_key: String,
    /// Why, in plain sentences.
    pub rationale: String,
    /// The path monitor, when the study has a calibration set: its alpha, its thresholds, the
    /// false alarms it raised on the test set and what it flagged of each unseen class (where
    /// they left the known paths).
    #[serde(default)]
    pub monitor: Option<mtq_signature::monitor::MonitorSummary>,
}

/// One anomaly score, evaluated on each task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScoreRow {
    /// Name of the score (e.g. `"kNN h1 k=5 (L2-normalised)"`).
    pub name: String,
    /// Its results, one per task.
    pub results: Vec<TaskScore>,
}

/// One score's result on one task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskScore {
    /// The task (e.g. `"1/7 test vs 4s"`).
    pub task: String,
    /// Area under the ROC curve, in `[0, 1]`.
    pub auroc: f64,
    /// False-positive rate at 95 % true-positive rate, in `[0, 1]`.
    pub fpr_at_95_tpr: f64,
}

/// One ROC curve.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RocCurve {
    /// Name of the score.
    pub name: String,
    /// The task (e.g. `"1/7 test vs 4s"`).
    pub task: String,
    /// False-positive rates, in `[0, 1]`, non-decreasing.
    pub fpr: Vec<f64>,
    /// True-positive rates, in `[0, 1]`, non-decreasing; same length as `fpr`.
    pub tpr: Vec<f64>,
    /// Area under the curve, in `[0, 1]`.
    pub auroc: f64,
    /// False-positive rate at 95 % true-positive rate, in `[0, 1]`.
    pub fpr_at_95_tpr: f64,
}
