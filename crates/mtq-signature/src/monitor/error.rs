//! The path monitor's error type.

use crate::error::SignatureError;

/// Everything that can go wrong while fitting a [`PathMonitor`](super::PathMonitor) or scoring
/// with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// The false-alarm rate is not in (0, 1).
    #[error("alpha {value} is not a false-alarm rate in (0, 1)")]
    InvalidAlpha {
        /// The rejected value.
        value: f64,
    },
    /// The calibration set has no rows.
    #[error(
        "the calibration set is empty: the monitor needs in-distribution inputs the network never trained on"
    )]
    NoCalibration,
    /// The class-conditional (Mondrian) calibration, or a scored batch of a class-conditional
    /// monitor, needs the network's class probabilities to know each input's predicted class.
    #[error(
        "{what} has no class probabilities: the class-conditional monitor calibrates on the predicted class"
    )]
    NoPredictions {
        /// Which set.
        what: String,
    },
    /// A set does not fit the monitor (layers, widths, rows, values, labels), or a search
    /// failed.
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

/// Result with [`MonitorError`] as the default error.
pub type Result<T, E = MonitorError> = std::result::Result<T, E>;
