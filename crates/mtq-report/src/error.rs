//! The error type of the report module.

use std::path::PathBuf;

/// Result of the report module.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;

/// What can go wrong when checking, rendering or writing a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A Sankey diagram needs at least two columns.
    #[error("a Sankey diagram needs at least 2 columns, got {columns}")]
    TooFewColumns {
        /// Number of columns given.
        columns: usize,
    },
    /// A Sankey column has no node.
    #[error("Sankey column {column} ({title:?}) has no node")]
    EmptyColumn {
        /// Index of the column.
        column: usize,
        /// Its title.
        title: String,
    },
    /// A Sankey diagram has no band group.
    #[error("the Sankey diagram has no band group")]
    NoGroups,
    /// A link points to a column or node that does not exist.
    #[error("Sankey link {link} points to missing node {node} of column {column}")]
    MissingNode {
        /// Index of the link.
        link: usize,
        /// Column index it names.
        column: usize,
        /// Node index it names.
        node: usize,
    },
    /// A link does not go from one column to the next.
    #[error(
        "Sankey link {link} goes from column {from_column} to column {to_column}, not to the next one"
    )]
    LinkNotAdjacent {
        /// Index of the link.
        link: usize,
        /// Its source column.
        from_column: usize,
        /// Its target column.
        to_column: usize,
    },
    /// A link names a group that does not exist.
    #[error("Sankey link {link} names group {group}, but there are {groups} groups")]
    MissingGroup {
        /// Index of the link.
        link: usize,
        /// Group index it names.
        group: usize,
        /// Number of groups.
        groups: usize,
    },
    /// No link carries any sample.
    #[error("the Sankey diagram carries no sample (no link with a count above 0)")]
    NothingToDraw,
    /// An inner node receives a different number of samples than it sends on.
    #[error(
        "Sankey node {label:?} (column {column}, node {node}) receives {inflow} samples but sends {outflow}"
    )]
    UnbalancedNode {
        /// Column index.
        column: usize,
        /// Node index.
        node: usize,
        /// Node label.
        label: String,
        /// Samples flowing in.
        inflow: usize,
        /// Samples flowing out.
        outflow: usize,
    },
    /// A curve has no point.
    #[error("curve {curve:?} has no point")]
    EmptyCurve {
        /// Which curve.
        curve: String,
    },
    /// A curve's x and y lists differ in length.
    #[error("curve {curve:?} has {xs} x values but {ys} y values")]
    CurveLengthMismatch {
        /// Which curve.
        curve: String,
        /// Number of x values.
        xs: usize,
        /// Number of y values.
        ys: usize,
    },
    /// A number is NaN, infinite or outside its range.
    #[error("{what}: value {value} at index {index} is not in [{min}, {max}]")]
    ValueOutOfRange {
        /// Which number (e.g. `silhouette of "h1"`).
        what: String,
        /// Its index in its list (0 for a single number).
        index: usize,
        /// The value.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A ROC curve's rates decrease somewhere.
    #[error("ROC curve {curve:?}: {rate} decreases at index {index}")]
    RocNotMonotone {
        /// Which curve (`name (task)`).
        curve: String,
        /// Which rate: `"FPR"` or `"TPR"`.
        rate: &'static str,
        /// First index where it decreases.
        index: usize,
    },
    /// The K values of a silhouette curve are not strictly increasing.
    #[error("silhouette curve {layer:?}: K values are not strictly increasing at index {index}")]
    KNotIncreasing {
        /// Layer name.
        layer: String,
        /// First index where K does not increase.
        index: usize,
    },
    /// The chosen K of a silhouette curve is not one of its K values.
    #[error("silhouette curve {layer:?}: chosen K = {chosen_k} is not among the K values tried")]
    ChosenKNotOnCurve {
        /// Layer name.
        layer: String,
        /// The chosen K.
        chosen_k: usize,
    },
    /// A table row has the wrong number of cells.
    #[error("{table}: row {row} has {found} cells, expected {expected}")]
    RowLength {
        /// Which table (e.g. `path table of class "7"`).
        table: String,
        /// Row index.
        row: usize,
        /// Cells expected.
        expected: usize,
        /// Cells found.
        found: usize,
    },
    /// Counts add up to more samples than there are.
    #[error("{what}: counts add up to {sum}, more than the {total} samples")]
    CountsExceedTotal {
        /// Which counts (e.g. `strangers "4" at layer "h1"`).
        what: String,
        /// Their sum.
        sum: usize,
        /// The number of samples.
        total: usize,
    },
    /// The trusted anomaly score is not among the scores.
    #[error("the trusted anomaly score {name:?} is not among the {scores} scores")]
    UnknownTrustedScore {
        /// The name given.
        name: String,
        /// Number of scores.
        scores: usize,
    },
    /// A path has no file name to write to.
    #[error("{}: not a file path", .path.display())]
    NotAFilePath {
        /// The path.
        path: PathBuf,
    },
    /// A report cannot be written in a folder (found before any work by
    /// [`prepare_dir`](crate::prepare_dir)).
    #[error("{}: {reason}", .path.display())]
    OutputDir {
        /// The folder, or the report file in it at fault.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A directory could not be created.
    #[error("cannot create directory {}", .path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A temporary file could not be created, written or flushed to disk.
    #[error("cannot write {}", .path.display())]
    Write {
        /// The temporary file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A temporary file could not be renamed to its final name.
    #[error("cannot rename {} to {}", .from.display(), .to.display())]
    Rename {
        /// The temporary file.
        from: PathBuf,
        /// The final name.
        to: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The report could not be serialised to JSON.
    #[error("cannot serialise the report to JSON")]
    Json(#[from] serde_json::Error),
    /// A finished report's `report.json` could not be read (missing, unreadable).
    #[error("cannot read {}", .path.display())]
    ReadReport {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A finished report's `report.json` is not JSON of a report.
    #[error("{} is not a report's JSON", .path.display())]
    ReportJson {
        /// The file.
        path: PathBuf,
        /// The cause (with its line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A finished report's `report.json` has a schema version this crate cannot read.
    #[error("{}: schema version {found}, this mtq reads versions 1 to {supported}", .path.display())]
    ReportSchema {
        /// The file.
        path: PathBuf,
        /// Its `schema_version` (0 when absent).
        found: u64,
        /// The newest version this crate reads ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
        supported: u32,
    },
}
