//! The error of saving and loading a path monitor's file.

use std::path::PathBuf;

/// Everything that can go wrong while saving a [`PathMonitor`](crate::PathMonitor) to its file
/// or loading one. Every message names the file and, for a damaged file, the tensor or the
/// manifest field at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorFileError {
    /// The file could not be read, written or renamed into place.
    #[error("cannot access {}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a saved path monitor: not a safetensors file at all (its 8-byte header
    /// length or JSON header cannot be read), or a safetensors file without the `mtq_monitor`
    /// manifest in its `__metadata__` (e.g. a model's weights).
    #[error("{} is not a saved path monitor: {reason}", .path.display())]
    NotAMonitor {
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// The monitor was saved in a format version this build does not read (a newer MTQ Paths
    /// wrote it, or the number is corrupt).
    #[error(
        "{}: path monitor format version {found}, this build of mtq-signature reads version {supported}",
        .path.display()
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Version the manifest states.
        found: u64,
        /// Version this build reads.
        supported: u64,
    },
    /// A saved path monitor that cannot be trusted: truncated or extended, a manifest field
    /// missing or out of range, a tensor missing, unexpected, of the wrong dtype or shape, or
    /// holding a value that breaks a rule (non-finite, unsorted calibration, cluster id out of
    /// range, counts that do not add up).
    #[error("{} is a damaged path monitor: {what}", .path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the tensor or manifest field.
        what: String,
    },
}
