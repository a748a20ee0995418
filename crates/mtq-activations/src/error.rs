//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while extracting, checking, preparing, saving or loading
/// activations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActivationsError {
    /// The batch size is zero.
    #[error("batch_size must be at least 1")]
    ZeroBatchSize,
    /// The data set holds no sample, so there is nothing to extract.
    #[error("the data set is empty")]
    EmptyData,
    /// The data's feature width differs from the model's input width.
    #[error("data has {found} features per sample, the model expects {expected}")]
    WidthMismatch {
        /// The model's input width.
        expected: usize,
        /// The width of the data passed in.
        found: usize,
    },
    /// An activation is NaN or infinite.
    #[error(
        "layer {layer:?}: activation of sample {sample} (id {id}), unit {unit} is not finite ({value})"
    )]
    NonFinite {
        /// Name of the layer.
        layer: String,
        /// Row (0-based position) of the sample in the set.
        sample: usize,
        /// The sample's id.
        id: usize,
        /// Column (unit) of the value.
        unit: usize,
        /// The value itself (NaN or ±inf).
        value: f32,
    },
    /// A layer, the labels or the ids do not have one row per sample.
    #[error("{what} has {found} rows, expected {expected} (one per sample)")]
    LengthMismatch {
        /// What has the wrong length: a layer name, `"labels"` or `"ids"`.
        what: String,
        /// Number of samples.
        expected: usize,
        /// Rows found.
        found: usize,
    },
    /// A set of activations must hold at least one layer.
    #[error("no layer selected or given")]
    NoLayers,
    /// Two layers share a name.
    #[error("layer name {name:?} appears twice")]
    DuplicateLayer {
        /// The repeated name.
        name: String,
    },
    /// A layer name is not known.
    #[error("no layer named {name:?}; available: {available:?}")]
    UnknownLayer {
        /// The requested name.
        name: String,
        /// The names that exist.
        available: Vec<String>,
    },
    /// A sample index is out of range.
    #[error("sample index {index} is out of range for {n_samples} samples")]
    SampleOutOfRange {
        /// The rejected index.
        index: usize,
        /// Number of samples in the set.
        n_samples: usize,
    },
    /// The model returned a different number of outputs than it declares layers.
    #[error("the model declares {expected} layers but its forward pass returned {found} tensors")]
    OutputCount {
        /// Number of layers the model declares.
        expected: usize,
        /// Number of tensors it returned.
        found: usize,
    },
    /// A model output does not have one row per input row, or changes width between batches.
    #[error("layer {layer:?}: output of shape {shape:?}, expected {expected_rows} rows{}",
        .expected_width.map(|w| format!(" of width {w}")).unwrap_or_default())]
    OutputShape {
        /// Name of the layer.
        layer: String,
        /// Shape of the returned tensor.
        shape: Vec<usize>,
        /// Rows of the input batch.
        expected_rows: usize,
        /// Width seen in earlier batches, if any.
        expected_width: Option<usize>,
    },
    /// Two sets to concatenate do not have the same layers.
    #[error(
        "cannot concatenate: layer {position} is {left:?} (width {left_width}) in one set and {right:?} (width {right_width}) in the other"
    )]
    LayerMismatch {
        /// Position of the first differing layer.
        position: usize,
        /// Its name in the first set.
        left: String,
        /// Its width in the first set.
        left_width: usize,
        /// Its name in the second set (empty if missing).
        right: String,
        /// Its width in the second set (0 if missing).
        right_width: usize,
    },
    /// PCA was asked for zero dimensions or more than the layer has.
    #[error("PCA to {dims} dimensions is impossible for width {width} (need 1 <= dims <= width)")]
    InvalidPcaDims {
        /// The requested number of dimensions.
        dims: usize,
        /// The width of the data.
        width: usize,
    },
    /// A preparation needs more samples to be fitted.
    #[error("fitting {preparation} needs at least {needed} samples, got {found}")]
    TooFewSamples {
        /// The preparation being fitted.
        preparation: &'static str,
        /// Minimum number of samples.
        needed: usize,
        /// Samples given.
        found: usize,
    },
    /// The parts of a fitted preparation (e.g. read from a file) do not make one: a part
    /// missing, not used by the preparation, of the wrong shape, or holding a bad value.
    #[error("fitted {preparation} preparation: {what}")]
    InvalidPreparation {
        /// The preparation (`none`, `standardize`, `l2_normalize`, `pca`).
        preparation: &'static str,
        /// What is wrong, naming the part.
        what: String,
    },
    /// Data to transform has another width than the data the preparation was fitted on.
    #[error("the preparation was fitted on width {expected}, got width {found}")]
    PreparedWidth {
        /// Width seen at fit.
        expected: usize,
        /// Width of the data passed to `apply`.
        found: usize,
    },
    /// The number of fitted preparations differs from the number of layers.
    #[error("{found} fitted preparations for {expected} layers")]
    PreparationCount {
        /// Number of layers.
        expected: usize,
        /// Number of fitted preparations.
        found: usize,
    },
    /// The symmetric eigen solver did not converge.
    #[error(
        "eigen decomposition of a {dim} x {dim} covariance did not converge in {sweeps} sweeps"
    )]
    EigenNoConvergence {
        /// Size of the matrix.
        dim: usize,
        /// Sweeps done.
        sweeps: usize,
    },
    /// A file could not be read, written or created.
    #[error("cannot access {}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An `.npy` file the project's one reader ([`mtq_data::npy`]) refuses, or one that cannot
    /// be written; the error names the file (and the row and value of a refused label). A file
    /// that cannot be opened or read is an [`ActivationsError::Io`].
    #[error(transparent)]
    Data(mtq_data::DataError),
    /// The manifest is not valid JSON of the expected form.
    #[error("bad manifest {}", .path.display())]
    ManifestJson {
        /// The manifest file.
        path: PathBuf,
        /// The underlying serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The manifest file is larger than [`MAX_MANIFEST_BYTES`](crate::npy::MAX_MANIFEST_BYTES).
    #[error("{}: manifest larger than {max} bytes", .path.display())]
    ManifestTooLarge {
        /// The manifest file.
        path: PathBuf,
        /// The limit in bytes.
        max: u64,
    },
    /// The manifest's `format` is not `"mtq-activations"`.
    #[error("{}: manifest format {found:?}, expected \"mtq-activations\"", .path.display())]
    ManifestFormat {
        /// The manifest file.
        path: PathBuf,
        /// The format found.
        found: String,
    },
    /// The manifest names a format version this crate does not read.
    #[error("{}: manifest format version {found}, this crate reads version {supported}", .path.display())]
    ManifestVersion {
        /// The manifest file.
        path: PathBuf,
        /// Version found.
        found: u32,
        /// Version supported.
        supported: u32,
    },
    /// The manifest names a file outside its own directory (absolute path or `..`).
    #[error("{}: file name {file:?} must be a plain name inside the manifest's directory", .path.display())]
    ManifestFileName {
        /// The manifest file.
        path: PathBuf,
        /// The rejected file name.
        file: String,
    },
    /// The manifest names a dtype other than `float32` or `float64`.
    #[error("{}: unsupported dtype {dtype:?} (float32 or float64)", .path.display())]
    ManifestDtype {
        /// The manifest file.
        path: PathBuf,
        /// The rejected dtype.
        dtype: String,
    },
    /// An `.npy` file's dtype differs from the one the manifest states.
    #[error("{}: holds {found}, the manifest says {expected}", .path.display())]
    DtypeMismatch {
        /// The `.npy` file.
        path: PathBuf,
        /// Dtype stated in the manifest.
        expected: String,
        /// Dtype found in the file.
        found: String,
    },
    /// An `.npy` file's shape differs from what the manifest says.
    #[error("{}: array of shape {found:?}, the manifest says {expected:?}", .path.display())]
    ShapeMismatch {
        /// The `.npy` file.
        path: PathBuf,
        /// Shape stated in the manifest.
        expected: Vec<usize>,
        /// Shape found in the file.
        found: Vec<usize>,
    },
    /// An error from the model.
    #[error(transparent)]
    #[cfg(feature = "extract")]
    Model(#[from] mtq_model::ModelError),
    /// An internal candle error (tensor operation failure).
    #[cfg(feature = "extract")]
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// The file is not an ONNX model (feature `onnx`).
    #[error("{}: not a readable ONNX model: {message}", .path.display())]
    OnnxParse {
        /// The file.
        path: PathBuf,
        /// What the parser reported.
        message: String,
    },
    /// The ONNX graph uses an operator tract cannot run (feature `onnx`).
    #[error("{}: node {node:?} uses operator {op:?}, which tract cannot run", .path.display())]
    OnnxUnsupportedOp {
        /// The file.
        path: PathBuf,
        /// The operator (`domain.op` outside the default domain).
        op: String,
        /// The node's name.
        node: String,
    },
    /// The ONNX graph's input is not one tensor with a batch axis and fixed other axes
    /// (feature `onnx`).
    #[error("{}: unsupported graph input: {message}", .path.display())]
    OnnxInput {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// tract failed to type, optimise or run the graph (feature `onnx`).
    #[error("{}: tract: {message}", .path.display())]
    Onnx {
        /// The file.
        path: PathBuf,
        /// tract's error chain.
        message: String,
    },
}

impl From<mtq_data::DataError> for ActivationsError {
    /// [`DataError::Io`](mtq_data::DataError::Io) becomes [`ActivationsError::Io`], anything
    /// else [`ActivationsError::Data`].
    fn from(e: mtq_data::DataError) -> Self {
        match e {
            mtq_data::DataError::Io { path, source } => Self::Io { path, source },
            other => Self::Data(other),
        }
    }
}

/// `Result` with [`ActivationsError`] as the default error.
pub type Result<T, E = ActivationsError> = std::result::Result<T, E>;
