//! The crate's error type.

/// Everything that can go wrong while fitting, tracing, scoring or exporting signatures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No layer was given (or the layer selection is empty).
    #[error("no layer to analyse: give at least one layer")]
    NoLayers,
    /// No class name was given.
    #[error("no class names: give the names of the reference classes")]
    NoClasses,
    /// A per-layer setting names a layer that does not exist.
    #[error("layer index {index} given, but only {n_layers} layers are analysed")]
    LayerOutOfRange {
        /// The index given.
        index: usize,
        /// Number of analysed layers.
        n_layers: usize,
    },
    /// A set that needs true labels has none.
    #[error("{what} has no labels; they are required here")]
    MissingLabels {
        /// Which set.
        what: String,
    },
    /// `n_init` is zero.
    #[error("n_init must be at least 1")]
    ZeroInit,
    /// The redundancy threshold is not in (0, 1].
    #[error("redundancy threshold {value} is not in (0, 1]")]
    InvalidThreshold {
        /// The rejected threshold.
        value: f64,
    },
    /// The Mahalanobis ridge is negative or not finite.
    #[error("Mahalanobis ridge {value} must be finite and >= 0")]
    InvalidRidge {
        /// The rejected ridge.
        value: f64,
    },
    /// A kNN neighbour count is 0 or exceeds the reference set.
    #[error("kNN with k = {k} needs 1 <= k <= {n_reference} (reference rows)")]
    InvalidNeighbours {
        /// The rejected neighbour count.
        k: usize,
        /// Reference rows available.
        n_reference: usize,
    },
    /// Too few reference samples for the largest K.
    #[error("layer {layer}: {n_samples} reference samples cannot make {k} clusters")]
    TooFewSamples {
        /// Layer name.
        layer: String,
        /// Rows available.
        n_samples: usize,
        /// Clusters asked for.
        k: usize,
    },
    /// A set has no rows.
    #[error("{what} is empty")]
    Empty {
        /// What was empty.
        what: String,
    },
    /// Two arrays that must have as many rows disagree.
    #[error("{what}: expected {expected} rows, found {found}")]
    RowMismatch {
        /// Which array.
        what: String,
        /// Rows expected.
        expected: usize,
        /// Rows found.
        found: usize,
    },
    /// A set has a different number of layers from the reference.
    #[error("expected {expected} layers, found {found}")]
    LayerCountMismatch {
        /// Layers in the fitted analysis.
        expected: usize,
        /// Layers given.
        found: usize,
    },
    /// A layer has a different width from the reference.
    #[error("layer {layer}: expected {expected} columns, found {found}")]
    DimMismatch {
        /// Layer name.
        layer: String,
        /// Width at fit time.
        expected: usize,
        /// Width given.
        found: usize,
    },
    /// A layer holds NaN or infinity.
    #[error("layer {layer}: non-finite value at row {row}, column {col}")]
    NonFinite {
        /// Layer name.
        layer: String,
        /// Row of the first bad value.
        row: usize,
        /// Column of the first bad value.
        col: usize,
    },
    /// A label is out of range of the class names.
    #[error("{what}: label {label} at row {row}, but only {n_classes} classes are named")]
    LabelOutOfRange {
        /// Which labels.
        what: String,
        /// Row of the bad label.
        row: usize,
        /// The label.
        label: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// A ROC curve needs both positives and negatives.
    #[error("ROC needs positives and negatives: got {positives} positives, {negatives} negatives")]
    RocNeedsBoth {
        /// Positive scores given.
        positives: usize,
        /// Negative scores given.
        negatives: usize,
    },
    /// A score is NaN.
    #[error("score {name} is NaN at index {index}")]
    NanScore {
        /// Score name.
        name: String,
        /// Index of the NaN.
        index: usize,
    },
    /// The shared covariance stays singular even with the ridge.
    #[error(
        "layer {layer}: covariance is not positive definite (pivot {pivot} at {index}); raise the ridge"
    )]
    NotPositiveDefinite {
        /// Layer name.
        layer: String,
        /// Index of the failing pivot.
        index: usize,
        /// The failing pivot value.
        pivot: f64,
    },
    /// A clustering error on one layer (or pair of layers), naming it and the step.
    #[error("layer {layer}, {what}")]
    LayerCluster {
        /// Layer name (or `a vs b` for a pair).
        layer: String,
        /// The set and step, e.g. `reference set, K sweep`.
        what: String,
        /// The clustering error.
        #[source]
        source: mtq_cluster::ClusterError,
    },
    /// A set's label is not one of the reference set's label values.
    #[error("{set}: label {value} at row {row} is not one of the reference set's labels")]
    LabelNotInReference {
        /// The set.
        set: String,
        /// Row of the label.
        row: usize,
        /// The raw label value.
        value: usize,
    },
    /// The same layer name is given twice.
    #[error("layer {name:?} is listed twice; layer names must be unique")]
    DuplicateLayer {
        /// The repeated name.
        name: String,
    },
    /// The two sides of an anomaly task have different scores: typically one set has class
    /// probabilities (`<prefix>_probs.npy`) and the other not, so only one has the max-softmax
    /// baseline. Give every set probabilities, or none.
    #[error(
        "task {task}: the scores differ between its sets (only the in-distribution set has {only_negatives:?}, only the anomalies have {only_positives:?}); give every set class probabilities, or none"
    )]
    ScoreColumns {
        /// The task, e.g. `test vs unseen`.
        task: String,
        /// Scores only the negatives (in-distribution set) have.
        only_negatives: Vec<String>,
        /// Scores only the positives (anomalies) have.
        only_positives: Vec<String>,
    },
    /// Error from the clustering crate.
    #[error(transparent)]
    Cluster(#[from] mtq_cluster::ClusterError),
    /// Error from the activations crate (preparation, .npy files).
    #[error(transparent)]
    Activations(#[from] mtq_activations::ActivationsError),
    /// The study's path monitor could not be fitted (e.g. a bad `alpha`, no calibration
    /// probabilities for a class-conditional monitor).
    #[error(transparent)]
    Monitor(Box<crate::monitor::MonitorError>),
}

impl From<crate::monitor::MonitorError> for SignatureError {
    /// A set error of the monitor is the set error itself; anything else stays the monitor's.
    fn from(e: crate::monitor::MonitorError) -> Self {
        match e {
            crate::monitor::MonitorError::Signature(inner) => inner,
            other => Self::Monitor(Box::new(other)),
        }
    }
}

/// Result with [`SignatureError`] as the default error.
pub type Result<T, E = SignatureError> = std::result::Result<T, E>;
