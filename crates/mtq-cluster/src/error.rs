//! The crate's error type.

/// Everything that can go wrong in `mtq-cluster`; each variant carries the facts of the case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// `k = 0` was asked for.
    #[error("the number of clusters k must be at least 1, got 0")]
    ZeroClusters,
    /// More clusters were asked for than there are samples.
    #[error("k = {k} clusters asked of only {n_samples} samples")]
    TooFewSamples {
        /// Clusters asked for.
        k: usize,
        /// Rows of the data.
        n_samples: usize,
    },
    /// More clusters were asked for than the data has distinct rows: K-means would return
    /// duplicated centroids. `n_distinct` is exact when below `k`.
    #[error("k = {k} clusters asked of data with only {n_distinct} distinct rows")]
    TooFewDistinctRows {
        /// Clusters asked for.
        k: usize,
        /// Distinct rows of the data.
        n_distinct: usize,
    },
    /// The data has no rows.
    #[error("the data has no samples (0 rows)")]
    EmptyInput,
    /// The data has no columns.
    #[error("the data has no features (0 columns)")]
    NoFeatures,
    /// A NaN or infinite value in the data.
    #[error("non-finite value {value} at row {row}, column {col}")]
    NonFinite {
        /// Row of the value.
        row: usize,
        /// Column of the value.
        col: usize,
        /// The value itself (NaN or ±inf).
        value: f32,
    },
    /// `n_init = 0`.
    #[error("n_init must be at least 1, got 0")]
    ZeroInit,
    /// `max_iter = 0`.
    #[error("max_iter must be at least 1, got 0")]
    ZeroMaxIter,
    /// A negative, NaN or infinite tolerance.
    #[error("tol must be finite and >= 0, got {tol}")]
    InvalidTol {
        /// The tolerance given.
        tol: f64,
    },
    /// `Init::Given` centroids of the wrong shape.
    #[error("given initial centroids are {rows}x{cols}, expected {k}x{n_features}")]
    InitShape {
        /// Rows of the given centroids.
        rows: usize,
        /// Columns of the given centroids.
        cols: usize,
        /// Clusters asked for.
        k: usize,
        /// Features of the data.
        n_features: usize,
    },
    /// `Init::Given` centroids with a NaN or infinite value.
    #[error("given initial centroids hold non-finite value {value} at row {row}, column {col}")]
    NonFiniteInit {
        /// Row of the value.
        row: usize,
        /// Column of the value.
        col: usize,
        /// The value itself.
        value: f32,
    },
    /// New data with another number of features than the model (or centroids) expects.
    #[error("data has {actual} features, expected {expected}")]
    FeatureMismatch {
        /// Features expected.
        expected: usize,
        /// Features found.
        actual: usize,
    },
    /// Labels whose length is not the number of rows of the data.
    #[error("{labels} labels given for {n_samples} samples")]
    LabelLength {
        /// Length of the label array.
        labels: usize,
        /// Rows of the data.
        n_samples: usize,
    },
    /// A label that does not name one of the `n_clusters` given centroids.
    #[error("label {label} at index {index} is out of range for {n_clusters} clusters")]
    LabelOutOfRange {
        /// Position of the label.
        index: usize,
        /// The label.
        label: usize,
        /// Number of clusters (valid labels are `0..n_clusters`).
        n_clusters: usize,
    },
    /// A cluster-quality score asked of a partition with fewer than 2 or more than
    /// `n_samples - 1` distinct labels (scikit-learn's rule for silhouette, Davies-Bouldin and
    /// Calinski-Harabasz).
    #[error(
        "the score needs 2 <= distinct labels <= n_samples - 1; got {n_clusters} distinct labels for {n_samples} samples"
    )]
    InvalidClusterCount {
        /// Distinct labels found.
        n_clusters: usize,
        /// Number of samples.
        n_samples: usize,
    },
    /// A K sweep's fit sample ([`FitRows::Sampled`](crate::FitRows::Sampled)) no larger than
    /// the largest K: the restarts need more rows than clusters.
    #[error("the fit sample of {size} rows must be larger than the largest K ({k_max})")]
    FitSampleTooSmall {
        /// The sample size asked for.
        size: usize,
        /// The largest K of the sweep.
        k_max: usize,
    },
    /// A silhouette sample size outside `2..=n_samples`.
    #[error("sample_size must be in 2..={n_samples}, got {sample_size}")]
    InvalidSampleSize {
        /// The sample size asked for.
        sample_size: usize,
        /// Rows of the data.
        n_samples: usize,
    },
    /// A K range that is empty or starts below 2 ([`KRange::new`](crate::KRange::new)).
    #[error("K range {min}..={max} is invalid: need 2 <= min <= max")]
    InvalidKRange {
        /// Smallest K asked for.
        min: usize,
        /// Largest K asked for.
        max: usize,
    },
    /// A K sweep whose largest K is not below the number of samples (a silhouette needs at
    /// most `n_samples - 1` clusters).
    #[error("K range {range} needs more than {} samples, the data has {n_samples}", .range.max())]
    KRangeTooLarge {
        /// The range asked for.
        range: crate::KRange,
        /// Rows of the data.
        n_samples: usize,
    },
    /// Two partitions of different lengths.
    #[error("partitions have different lengths: {len_a} and {len_b}")]
    PartitionLength {
        /// Length of the first partition.
        len_a: usize,
        /// Length of the second partition.
        len_b: usize,
    },
    /// A partition comparison asked of empty partitions.
    #[error("partitions are empty")]
    EmptyPartition,
    /// A kNN neighbour count of 0, or more than the reference rows a search can use.
    #[error("kNN with k = {k} needs 1 <= k <= {n_reference} (reference rows)")]
    InvalidNeighbours {
        /// The neighbour count asked for.
        k: usize,
        /// Reference rows the search can use (one fewer when each query leaves itself out).
        n_reference: usize,
    },
    /// A leave-one-out kNN query whose row count is not the reference's (query row `i` is
    /// reference row `i`).
    #[error("leave-one-out kNN query has {found} rows, the reference {expected}")]
    QueryRows {
        /// Rows of the reference.
        expected: usize,
        /// Rows of the query.
        found: usize,
    },
    /// A reference row index past the end of the reference.
    #[error("reference row {row} asked for, but the reference has {n_rows} rows")]
    RowOutOfRange {
        /// The row asked for.
        row: usize,
        /// Rows of the reference.
        n_rows: usize,
    },
}

/// `Result` with [`ClusterError`] as the default error.
pub type Result<T, E = ClusterError> = std::result::Result<T, E>;
