//! [`SignatureParams`]: the parameters, checked at [`fit`](SignatureParams::fit), which builds
//! a [`SignatureModel`] from a reference set.

use std::collections::BTreeMap;

use mtq_activations::{FittedPreparation, Preparation};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, CowArray, Ix2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::anomaly::{KnnIndex, Mahalanobis};
use crate::clustering::{self, SweepOutcome};
use crate::error::{Result, SignatureError};
use crate::layer_map::{LayerMap, nearest};
use crate::monitor::MonitorSettings;
use crate::path::{PathRow, count_paths};
use crate::redundancy::{LayerVerdict, PairAgreement, linear_cka, verdicts};
use crate::samples::Samples;
use crate::score_id::ScoreId;
use crate::stats::{LayerTable, layer_table};
use mtq_cluster::{KRange, SilhouetteMode};

/// Parameters of a signature analysis. Build with [`SignatureParams::new`], adjust with the
/// by-value setters, then [`fit`](SignatureParams::fit) on a reference set.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureParams {
    layer_names: Vec<String>,
    class_names: Vec<String>,
    k_range: KRange,
    n_init: usize,
    seed: u64,
    redundancy_threshold: f64,
    knn_k_max: usize,
    knn_ks: Vec<usize>,
    mahalanobis_ridge: f64,
    preparation: Preparation,
    layer_preparations: Vec<(usize, Preparation)>,
    trusted: Option<ScoreId>,
    silhouette: SilhouetteMode,
    monitor: MonitorSettings,
}

impl SignatureParams {
    /// An analysis of the layers `layer_names` (in network order; a [`Samples`] gives one matrix
    /// per name) for a network over the classes `class_names` (labels index into it).
    ///
    /// Defaults: K from 2 to 10 chosen by silhouette, `n_init` 10 k-means++ restarts, seed 0,
    /// redundancy threshold linear CKA >= 0.95 between consecutive layers, kNN distances for k = 1..=50 of which k = 1, 2, 3, 5,
    /// 10, 20, 50 become scores, Mahalanobis ridge 1e-3 (times the mean variance).
    #[must_use]
    pub fn new<L: Into<String>, C: Into<String>>(
        layer_names: impl IntoIterator<Item = L>,
        class_names: impl IntoIterator<Item = C>,
    ) -> Self {
        Self {
            layer_names: layer_names.into_iter().map(Into::into).collect(),
            class_names: class_names.into_iter().map(Into::into).collect(),
            k_range: KRange::default(),
            n_init: 10,
            seed: 0,
            redundancy_threshold: crate::redundancy::DEFAULT_CKA_THRESHOLD,
            knn_k_max: 50,
            knn_ks: vec![1, 2, 3, 5, 10, 20, 50],
            mahalanobis_ridge: 1e-3,
            preparation: Preparation::None,
            layer_preparations: Vec::new(),
            trusted: None,
            silhouette: SilhouetteMode::Auto,
            monitor: MonitorSettings::new(),
        }
    }

    /// The range of K tried per layer (the chosen K maximises the silhouette; ties go to the
    /// smaller K). Default `2..=10`.
    #[must_use]
    pub fn k_range(mut self, range: KRange) -> Self {
        self.k_range = range;
        self
    }

    /// K-means restarts per K (the best inertia wins).
    #[must_use]
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Seed of every random choice (k-means++ seeding).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Linear CKA between consecutive layers' activations at or above which a layer counts as
    /// redundant with the previous one (default [`DEFAULT_CKA_THRESHOLD`](crate::redundancy::DEFAULT_CKA_THRESHOLD)).
    #[must_use]
    pub fn redundancy_threshold(mut self, threshold: f64) -> Self {
        self.redundancy_threshold = threshold;
        self
    }

    /// The kNN neighbour counts that become anomaly scores (each `1..=50`). A `k` at or above
    /// the smallest class's reference count is not computed: its neighbours would include
    /// other classes whatever the input.
    #[must_use]
    pub fn knn_ks(mut self, ks: Vec<usize>) -> Self {
        self.knn_ks = ks;
        self
    }

    /// Ridge added to the shared covariance of the Mahalanobis score, relative to the mean
    /// variance.
    #[must_use]
    pub fn mahalanobis_ridge(mut self, ridge: f64) -> Self {
        self.mahalanobis_ridge = ridge;
        self
    }

    /// How every layer's activations are prepared before clustering and distances (fitted on
    /// the reference, applied to every set). Default [`Preparation::None`]: raw activations, as
    /// the reference study clusters them.
    #[must_use]
    pub fn preparation(mut self, preparation: Preparation) -> Self {
        self.preparation = preparation;
        self
    }

    /// The preparation of layer `index` only (overrides [`SignatureParams::preparation`]).
    #[must_use]
    pub fn layer_preparation(mut self, index: usize, preparation: Preparation) -> Self {
        self.layer_preparations.retain(|(i, _)| *i != index);
        self.layer_preparations.push((index, preparation));
        self
    }

    fn preparation_of(&self, index: usize) -> Preparation {
        self.layer_preparations
            .iter()
            .find(|(i, _)| *i == index)
            .map_or(self.preparation, |(_, p)| *p)
    }

    /// How the silhouette of each K is computed: [`SilhouetteMode::Auto`] (default: exact while
    /// rows² x features is within `mtq_cluster::EXACT_SILHOUETTE_BUDGET`, a seeded sample
    /// above, smaller for wider layers), `Exact`, or `Sampled { size, seed }`
    /// (scikit-learn's `silhouette_score(.., sample_size)`; the standard error is in the sweep).
    #[must_use]
    pub fn silhouette(mut self, mode: SilhouetteMode) -> Self {
        self.silhouette = mode;
        self
    }

    /// How a study's path monitor is fitted (alpha, class-conditional calibration, Deep k-NN
    /// neighbours); default [`MonitorSettings::new`]. The study fits one when it is given a
    /// calibration set.
    #[must_use]
    pub fn monitor(mut self, settings: MonitorSettings) -> Self {
        self.monitor = settings;
        self
    }

    /// The settings of a study's path monitor.
    #[must_use]
    pub fn monitor_settings(&self) -> MonitorSettings {
        self.monitor
    }

    /// Fixes in advance the score a study trusts (its `anomaly_score`), instead of the path
    /// monitor's combined p-value. Choose it before looking at the tasks it will be evaluated
    /// on, e.g. on a validation task of another unseen class.
    #[must_use]
    pub fn trusted_score(mut self, score: ScoreId) -> Self {
        self.trusted = Some(score);
        self
    }

    /// The score fixed with [`SignatureParams::trusted_score`], if any.
    #[must_use]
    pub fn trusted(&self) -> Option<&ScoreId> {
        self.trusted.as_ref()
    }

    /// The analysed layers' names.
    #[must_use]
    pub fn layer_names(&self) -> &[String] {
        &self.layer_names
    }

    /// The class names.
    #[must_use]
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    fn check(&self) -> Result<()> {
        if self.layer_names.is_empty() {
            return Err(SignatureError::NoLayers);
        }
        if self.class_names.is_empty() {
            return Err(SignatureError::NoClasses);
        }
        for (i, name) in self.layer_names.iter().enumerate() {
            if self.layer_names[..i].contains(name) {
                return Err(SignatureError::DuplicateLayer { name: name.clone() });
            }
        }
        if self.n_init == 0 {
            return Err(SignatureError::ZeroInit);
        }
        let t = self.redundancy_threshold;
        if !(t > 0.0 && t <= 1.0) {
            return Err(SignatureError::InvalidThreshold { value: t });
        }
        if !self.mahalanobis_ridge.is_finite() || self.mahalanobis_ridge < 0.0 {
            return Err(SignatureError::InvalidRidge {
                value: self.mahalanobis_ridge,
            });
        }
        if let Some(&(index, _)) = self
            .layer_preparations
            .iter()
            .find(|(i, _)| *i >= self.layer_names.len())
        {
            return Err(SignatureError::LayerOutOfRange {
                index,
                n_layers: self.layer_names.len(),
            });
        }
        if let Some(&k) = self.knn_ks.iter().find(|&&k| k == 0 || k > self.knn_k_max) {
            return Err(SignatureError::InvalidNeighbours {
                k,
                n_reference: self.knn_k_max,
            });
        }
        Ok(())
    }

    /// Fits the analysis on `reference` (labels required): per layer the K sweep, the chosen
    /// clustering, the class x cluster table, the kNN and Mahalanobis references; then the
    /// reference paths and the layer redundancy.
    ///
    /// # Errors
    /// A parameter error ([`SignatureError::ZeroInit`],
    /// [`SignatureError::InvalidThreshold`], [`SignatureError::InvalidRidge`],
    /// [`SignatureError::InvalidNeighbours`], [`SignatureError::NoLayers`],
    /// [`SignatureError::NoClasses`], [`SignatureError::DuplicateLayer`]); a data error ([`SignatureError::MissingLabels`],
    /// [`SignatureError::LayerCountMismatch`], [`SignatureError::RowMismatch`],
    /// [`SignatureError::NonFinite`], [`SignatureError::LabelOutOfRange`],
    /// [`SignatureError::TooFewSamples`]); or a clustering error.
    pub fn fit(&self, reference: &Samples<'_>) -> Result<SignatureModel> {
        self.check()?;
        reference.check(
            "reference set",
            &self.layer_names,
            None,
            self.class_names.len(),
        )?;
        let labels = reference.labels.ok_or(SignatureError::MissingLabels {
            what: "reference set".into(),
        })?;
        let n = reference.len();
        if n < 2 {
            return Err(SignatureError::TooFewSamples {
                layer: self.layer_names[0].clone(),
                n_samples: n,
                k: 2,
            });
        }
        let n_classes = self.class_names.len();
        // A kNN score with k at or above the smallest class's reference count cannot mean
        // anything (every neighbour past that count is of another class): not computed.
        let mut class_counts = vec![0usize; n_classes];
        for &y in labels {
            class_counts[y] += 1;
        }
        let smallest = class_counts
            .iter()
            .copied()
            .filter(|&c| c > 0)
            .min()
            .unwrap_or(0);
        let mut knn_ks: Vec<usize> = self
            .knn_ks
            .iter()
            .copied()
            .filter(|&k| k < smallest)
            .collect();
        knn_ks.sort_unstable();
        knn_ks.dedup();
        let knn_k_max = knn_ks.last().copied().unwrap_or(0);
        let layers: Vec<FittedLayer> = self
            .layer_names
            .par_iter()
            .zip(reference.layers.par_iter())
            .enumerate()
            .map(|(li, (name, x))| self.fit_layer(li, name, *x, labels))
            .collect::<Result<_>>()?;
        let prepared = prepare_all(&layers, &reference.layers)?;
        let prepared: Vec<ArrayView2<'_, f32>> = prepared.iter().map(|x| x.view()).collect();
        let trace = assign_all(&layers, &prepared);
        let cluster_names: Vec<Vec<String>> =
            layers.iter().map(|l| l.table.names.clone()).collect();
        let paths = count_paths(trace.clusters.view(), labels, n_classes, &cluster_names);
        let path_counts: BTreeMap<Vec<usize>, usize> = paths
            .iter()
            .map(|r| (r.clusters.clone(), r.count))
            .collect();
        let redundancy = self.redundancy(&layers, &prepared, &trace, labels)?;
        Ok(SignatureModel {
            params: self.clone(),
            knn_ks,
            knn_k_max,
            widths: reference.layers.iter().map(|x| x.ncols()).collect(),
            layers,
            reference_trace: trace,
            reference_labels: labels.to_owned(),
            paths,
            path_counts,
            redundancy,
        })
    }

    fn fit_layer(
        &self,
        li: usize,
        name: &str,
        x: ArrayView2<'_, f32>,
        labels: ArrayView1<'_, usize>,
    ) -> Result<FittedLayer> {
        // A stream per layer so layers do not share seeds.
        let seed = self
            .seed
            .wrapping_add((li as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let preparation = self.preparation_of(li).fit(x)?;
        let mut prepared = preparation.apply(x)?;
        // Activations near 1e20 (or of tiny magnitude) are brought near 1 by a power of two, the
        // same for every set traced later, so f32 squared distances stay finite.
        let scale = clustering::magnitude_scale(prepared.view());
        if scale != 1.0 {
            prepared.mapv_inplace(|v| v * scale);
        }
        let x = prepared.view();
        let sweep = clustering::sweep(name, x, self.k_range, self.n_init, seed, self.silhouette)?;
        let (clusters, _) = nearest(&sweep.centroids, x);
        let table = layer_table(
            name,
            clusters.view(),
            labels,
            sweep.chosen_k,
            &self.class_names,
        );
        let knn_raw = KnnIndex::new(x);
        let mahalanobis = Mahalanobis::fit(
            name,
            x,
            labels,
            self.class_names.len(),
            self.mahalanobis_ridge,
        )?;
        Ok(FittedLayer {
            name: name.to_string(),
            map: LayerMap {
                preparation,
                scale,
                centroids: sweep.centroids,
            },
            curve: KCurve {
                layer: name.to_string(),
                ks: sweep.ks,
                silhouette: sweep.silhouette,
                inertia: sweep
                    .inertia
                    .iter()
                    .map(|i| i / f64::from(scale).powi(2))
                    .collect(),
                chosen_k: sweep.chosen_k,
                outcome: sweep.outcome,
                labels: sweep.labels,
                fit_rows: sweep.fit_rows,
                silhouette_rows: sweep.silhouette_rows,
            },
            table,
            knn_raw,
            mahalanobis,
        })
    }

    fn redundancy(
        &self,
        layers: &[FittedLayer],
        xs: &[ArrayView2<'_, f32>],
        trace: &Trace,
        labels: ArrayView1<'_, usize>,
    ) -> Result<Redundancy> {
        let col = |i: usize| trace.clusters.column(i);
        let pair = |i: usize| format!("{} vs {}", layers[i - 1].name, layers[i].name);
        let vs_class = |i: usize| format!("{} vs class", layers[i].name);
        let mut consecutive = Vec::new();
        for i in 1..layers.len() {
            consecutive.push(PairAgreement {
                a: layers[i - 1].name.clone(),
                b: layers[i].name.clone(),
                ari: clustering::ari(col(i - 1), col(i), &pair(i))?,
                nmi: clustering::nmi(col(i - 1), col(i), &pair(i))?,
                cka: Some(linear_cka(xs[i - 1], xs[i])),
            });
        }
        let mut vs_labels = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            vs_labels.push(PairAgreement {
                a: l.name.clone(),
                b: "class".into(),
                ari: clustering::ari(col(i), labels, &vs_class(i))?,
                nmi: clustering::nmi(col(i), labels, &vs_class(i))?,
                cka: None,
            });
        }
        let verdicts = verdicts(&consecutive, self.redundancy_threshold);
        Ok(Redundancy {
            threshold: self.redundancy_threshold,
            consecutive,
            vs_labels,
            verdicts,
        })
    }
}

/// The silhouette (and inertia) of one layer's clustering for each K tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KCurve {
    /// Layer name.
    pub layer: String,
    /// K values tried, increasing.
    pub ks: Vec<usize>,
    /// Silhouette per K.
    pub silhouette: Vec<f64>,
    /// K-means inertia per K.
    pub inertia: Vec<f64>,
    /// The K chosen (1 for a [`SweepOutcome::Constant`] layer, whose `ks` is empty).
    pub chosen_k: usize,
    /// Whether the K range was fitted in full, capped at the number of distinct rows, or the
    /// layer is constant (K and silhouette undefined).
    #[serde(default)]
    pub outcome: SweepOutcome,
    /// The reference samples' K-means labels for each K tried (same order as `ks`; one `u32`
    /// per sample and K): how the samples split as K grows, drawn as the report's K-tree.
    /// Not serialised.
    #[serde(skip)]
    pub labels: Vec<Vec<u32>>,
    /// Rows the K-means restarts ran on when sampled (`mtq_cluster::FitRows`: automatic above
    /// `FIT_SAMPLE_VALUES` rows x features, then a few Lloyd iterations on every row); `None`:
    /// every row.
    #[serde(default)]
    pub fit_rows: Option<usize>,
    /// Rows the silhouette (and Davies-Bouldin, Calinski-Harabasz) was computed on when
    /// sampled (`mtq_cluster::SilhouetteMode`); `None`: every row, exact.
    #[serde(default)]
    pub silhouette_rows: Option<usize>,
}

impl KCurve {
    /// The silhouette at the chosen K; `None` when it is undefined (a constant layer).
    #[must_use]
    pub fn chosen_silhouette(&self) -> Option<f64> {
        self.ks
            .iter()
            .position(|&k| k == self.chosen_k)
            .map(|i| self.silhouette[i])
    }

    /// The chosen K, `None` when it is undefined (a constant layer: one cluster, no sweep).
    #[must_use]
    pub fn defined_k(&self) -> Option<usize> {
        (self.outcome != SweepOutcome::Constant).then_some(self.chosen_k)
    }

    /// One sentence for the report when the sweep was capped or the layer is constant.
    #[must_use]
    pub fn verdict(&self) -> Option<String> {
        self.outcome.verdict(&self.layer)
    }
}

/// One fitted layer: its clustering, its class table and its distance references.
#[derive(Debug, Clone)]
pub struct FittedLayer {
    name: String,
    map: LayerMap,
    curve: KCurve,
    table: LayerTable,
    knn_raw: KnnIndex,
    mahalanobis: Mahalanobis,
}

impl FittedLayer {
    /// Layer name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The power of two this layer's activations are multiplied by before clustering and
    /// distances (1 unless their magnitude lies outside `[2^-40, 2^40]`). kNN and Mahalanobis
    /// scores are in the scaled units; centroid distances in a [`Trace`] and the inertia are
    /// given back in the activations' own units.
    #[must_use]
    pub fn scale(&self) -> f32 {
        self.map.scale
    }

    /// The K sweep.
    #[must_use]
    pub fn curve(&self) -> &KCurve {
        &self.curve
    }

    /// The chosen K.
    #[must_use]
    pub fn k(&self) -> usize {
        self.curve.chosen_k
    }

    /// Centroids of the chosen clustering (`k x width`), in the scaled units of
    /// [`FittedLayer::scale`].
    #[must_use]
    pub fn centroids(&self) -> &Array2<f32> {
        &self.map.centroids
    }

    /// Class x cluster table of the reference set, with cluster names.
    #[must_use]
    pub fn table(&self) -> &LayerTable {
        &self.table
    }

    /// Cluster names by majority class (`h1:7`).
    #[must_use]
    pub fn cluster_names(&self) -> &[String] {
        &self.table.names
    }

    /// The fitted preparation of this layer's activations.
    #[must_use]
    pub fn preparation(&self) -> &FittedPreparation {
        &self.map.preparation
    }

    pub(crate) fn map(&self) -> &LayerMap {
        &self.map
    }

    pub(crate) fn knn(&self) -> &KnnIndex {
        &self.knn_raw
    }

    pub(crate) fn mahalanobis(&self) -> &Mahalanobis {
        &self.mahalanobis
    }
}

/// Agreement between layers and with the true classes, and the redundancy verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redundancy {
    /// Linear CKA (consecutive layers' activations) at or above which a layer is redundant
    /// with the previous one.
    pub threshold: f64,
    /// Consecutive layers (`consecutive[i]`: layer `i` vs layer `i + 1`), with linear CKA.
    pub consecutive: Vec<PairAgreement>,
    /// Each layer's partition against the true classes.
    pub vs_labels: Vec<PairAgreement>,
    /// One verdict per layer after the first.
    pub verdicts: Vec<LayerVerdict>,
}

/// The signatures of one set: per sample its cluster and distance to that cluster's centroid in
/// every layer, and the network's prediction when probabilities were given.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// `samples x layers` cluster ids (the path of each sample).
    pub clusters: Array2<usize>,
    /// `samples x layers` distance to the nearest centroid.
    pub distances: Array2<f32>,
    /// Predicted class per sample (argmax of the probabilities), if given.
    pub predictions: Option<Array1<usize>>,
    /// Largest class probability per sample, if given.
    pub max_probability: Option<Array1<f32>>,
}

impl Trace {
    /// Number of samples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.clusters.nrows()
    }

    /// Whether the trace is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.clusters.nrows() == 0
    }

    /// The path (cluster id per layer) of sample `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[must_use]
    pub fn path(&self, i: usize) -> Vec<usize> {
        self.clusters.row(i).to_vec()
    }
}

/// A fitted signature analysis: trace any set, score it, and read the reference statistics.
#[derive(Debug, Clone)]
pub struct SignatureModel {
    params: SignatureParams,
    knn_ks: Vec<usize>,
    knn_k_max: usize,
    widths: Vec<usize>,
    layers: Vec<FittedLayer>,
    reference_trace: Trace,
    reference_labels: Array1<usize>,
    paths: Vec<PathRow>,
    path_counts: BTreeMap<Vec<usize>, usize>,
    redundancy: Redundancy,
}

impl SignatureModel {
    /// The parameters it was fitted with.
    #[must_use]
    pub fn params(&self) -> &SignatureParams {
        &self.params
    }

    /// The fitted layers, in network order.
    #[must_use]
    pub fn layers(&self) -> &[FittedLayer] {
        &self.layers
    }

    /// Class names.
    #[must_use]
    pub fn class_names(&self) -> &[String] {
        &self.params.class_names
    }

    /// Layer names.
    #[must_use]
    pub fn layer_names(&self) -> &[String] {
        &self.params.layer_names
    }

    /// Cluster names per layer.
    #[must_use]
    pub fn cluster_names(&self) -> Vec<Vec<String>> {
        self.layers.iter().map(|l| l.table.names.clone()).collect()
    }

    /// The reference set's signatures.
    #[must_use]
    pub fn reference_trace(&self) -> &Trace {
        &self.reference_trace
    }

    /// The reference set's true labels.
    #[must_use]
    pub fn reference_labels(&self) -> ArrayView1<'_, usize> {
        self.reference_labels.view()
    }

    /// Distinct reference paths, most frequent first, with per-class counts.
    #[must_use]
    pub fn paths(&self) -> &[PathRow] {
        &self.paths
    }

    /// How many reference samples take `path` (0 for a path never taken).
    #[must_use]
    pub fn path_count(&self, path: &[usize]) -> usize {
        self.path_counts.get(path).copied().unwrap_or(0)
    }

    /// Number of reference samples.
    #[must_use]
    pub fn n_reference(&self) -> usize {
        self.reference_labels.len()
    }

    /// Layer redundancy.
    #[must_use]
    pub fn redundancy(&self) -> &Redundancy {
        &self.redundancy
    }

    pub(crate) fn knn_ks(&self) -> &[usize] {
        &self.knn_ks
    }

    pub(crate) fn knn_k_max(&self) -> usize {
        self.knn_k_max
    }

    /// Traces `set`: per sample and layer the nearest centroid and its distance; the predicted
    /// class if the set has probabilities. Works for any set, including classes never seen in
    /// training (labels are not needed).
    ///
    /// # Errors
    /// [`SignatureError::LayerCountMismatch`], [`SignatureError::DimMismatch`],
    /// [`SignatureError::RowMismatch`], [`SignatureError::NonFinite`], [`SignatureError::Empty`],
    /// [`SignatureError::LabelOutOfRange`].
    pub fn trace(&self, set: &Samples<'_>) -> Result<Trace> {
        self.trace_named(set, "traced set")
    }

    /// [`SignatureModel::trace`], its errors naming the set `what` (e.g. `set unseen:4`).
    pub(crate) fn trace_named(&self, set: &Samples<'_>, what: &str) -> Result<Trace> {
        self.check(set, what)?;
        let prepared = self.prepare(set)?;
        let prepared: Vec<ArrayView2<'_, f32>> = prepared.iter().map(|x| x.view()).collect();
        let mut t = assign_all(&self.layers, &prepared);
        if let Some(p) = set.probabilities {
            let (pred, maxp) = crate::samples::argmax_rows(p);
            t.predictions = Some(pred);
            t.max_probability = Some(maxp);
        }
        Ok(t)
    }

    /// The set's activations after each layer's fitted preparation (borrowed when that is the
    /// identity: no copy of a layer that is used as it is).
    pub(crate) fn prepare<'a>(&self, set: &Samples<'a>) -> Result<Vec<CowArray<'a, f32, Ix2>>> {
        prepare_all(&self.layers, &set.layers)
    }

    pub(crate) fn check(&self, set: &Samples<'_>, what: &str) -> Result<()> {
        set.check(
            what,
            &self.params.layer_names,
            Some(&self.widths),
            self.params.class_names.len(),
        )
    }
}

fn prepare_all<'a>(
    layers: &[FittedLayer],
    xs: &[ArrayView2<'a, f32>],
) -> Result<Vec<CowArray<'a, f32, Ix2>>> {
    layers
        .iter()
        .zip(xs)
        .map(|(l, x)| l.map.prepare(*x))
        .collect()
}

fn assign_all(layers: &[FittedLayer], xs: &[ArrayView2<'_, f32>]) -> Trace {
    let n = xs.first().map_or(0, |x| x.nrows());
    let mut clusters = Array2::zeros((n, layers.len()));
    let mut distances = Array2::zeros((n, layers.len()));
    for (i, (l, x)) in layers.iter().zip(xs).enumerate() {
        let (c, d) = l.map.assign(*x);
        clusters.column_mut(i).assign(&c);
        distances.column_mut(i).assign(&d);
    }
    Trace {
        clusters,
        distances,
        predictions: None,
        max_probability: None,
    }
}
