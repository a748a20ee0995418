//! The one error type of this crate.

/// Everything that can go wrong while reading or shaping data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// Features and labels disagree on the number of samples.
    #[error("{features} feature rows but {labels} labels")]
    LengthMismatch {
        /// Rows of the feature matrix.
        features: usize,
        /// Number of labels.
        labels: usize,
    },
}

/// `Result` with [`DataError`] as the default error.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
