//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while building, training, evaluating, saving or loading an [`Mlp`](crate::Mlp).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The configuration asks for inputs of width zero.
    #[error("input_dim must be at least 1")]
    ZeroInputDim,
    /// A hidden layer has width zero.
    #[error("hidden layer h{layer} has width 0")]
    ZeroWidth {
        /// 1-based index of the hidden layer.
        layer: usize,
    },
    /// The configuration asks for fewer than two classes.
    #[error("n_classes must be at least 2, got {n_classes}")]
    TooFewClasses {
        /// The rejected number of classes.
        n_classes: usize,
    },
    /// The input tensor is not a 2-D `batch x features` matrix.
    #[error("expected a rank-2 tensor (batch x features), got shape {shape:?}")]
    NotAMatrix {
        /// Shape of the rejected tensor.
        shape: Vec<usize>,
    },
    /// The input width differs from the model's `input_dim`.
    #[error("input width {found} does not match the model's input_dim {expected}")]
    WidthMismatch {
        /// The model's input width.
        expected: usize,
        /// The width of the data passed in.
        found: usize,
    },
    /// The data set holds no sample.
    #[error("the data set is empty")]
    EmptyData,
    /// A label is not a class index of the model.
    #[error(
        "sample {index} has label {label}, but the model has {n_classes} classes (labels 0..{n_classes})"
    )]
    LabelOutOfRange {
        /// Row of the offending sample.
        index: usize,
        /// Its label.
        label: usize,
        /// Number of classes of the model.
        n_classes: usize,
    },
    /// An input value is NaN or infinite.
    #[error("input value at row {row}, column {col} is not finite ({value})")]
    NonFiniteInput {
        /// Row of the value.
        row: usize,
        /// Column of the value.
        col: usize,
        /// The value itself (NaN or ±inf).
        value: f32,
    },
    /// `epochs` is zero.
    #[error("epochs must be at least 1")]
    ZeroEpochs,
    /// `batch_size` is zero.
    #[error("batch_size must be at least 1")]
    ZeroBatchSize,
    /// The learning rate is not a finite positive number.
    #[error("learning rate must be finite and > 0, got {lr}")]
    InvalidLearningRate {
        /// The rejected learning rate.
        lr: f64,
    },
    /// An optimizer coefficient (momentum, beta, epsilon) is out of its range.
    #[error("optimizer parameter {name} = {value} is outside {range}")]
    InvalidOptimizerParam {
        /// Name of the parameter.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The accepted range, in words.
        range: &'static str,
    },
    /// The validation fraction is not in `[0, 1)`.
    #[error("validation_split must be in [0, 1), got {fraction}")]
    InvalidValidationSplit {
        /// The rejected fraction.
        fraction: f64,
    },
    /// The validation split leaves no training sample (or takes none although one was asked for).
    #[error(
        "validation_split {fraction} of {n_samples} samples leaves {n_train} for training and {n_val} for validation"
    )]
    DegenerateSplit {
        /// The requested fraction.
        fraction: f64,
        /// Samples in the data set.
        n_samples: usize,
        /// Samples left for training.
        n_train: usize,
        /// Samples held out for validation.
        n_val: usize,
    },
    /// The training loss became NaN or infinite; training stopped.
    #[error(
        "training loss became {loss} in epoch {epoch}, batch {batch} (both 1-based); training stopped"
    )]
    LossNotFinite {
        /// 1-based epoch in which it happened.
        epoch: usize,
        /// 1-based batch within that epoch.
        batch: usize,
        /// The loss value.
        loss: f32,
    },
    /// A weight or bias became NaN or infinite during training (checked after every step, the
    /// last one included); training stops with the weights of that step.
    #[error("non-finite weight after epoch {epoch}, batch {batch}: {tensor}[{index}] = {value}")]
    WeightNotFinite {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within that epoch.
        batch: usize,
        /// The tensor, e.g. `h1.weight`.
        tensor: String,
        /// Flat (row-major) index of the value, or the tensor's length if only its sum
        /// overflowed.
        index: usize,
        /// The value (or the overflowing sum).
        value: f32,
    },
    /// A weights file holds a NaN or infinite value.
    #[error("{}: tensor {tensor} holds {value} at flat index {index}", .path.display())]
    NonFiniteWeight {
        /// The weights file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Flat (row-major) index of the value.
        index: usize,
        /// The value.
        value: f32,
    },
    /// A model file larger than the configuration can honestly need.
    #[error("{}: {size} bytes, more than the {max} bytes {why}", .path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The largest size accepted.
        max: u64,
        /// What bounds it.
        why: &'static str,
    },
    /// A file could not be read or written.
    #[error("cannot access {}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration JSON could not be parsed or written.
    #[error("bad model config JSON in {}", .path.display())]
    ConfigJson {
        /// The file.
        path: PathBuf,
        /// The underlying serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The weights file is not a readable safetensors file.
    #[error("cannot read safetensors weights from {}", .path.display())]
    Weights {
        /// The file.
        path: PathBuf,
        /// The underlying candle/safetensors error.
        #[source]
        source: candle_core::Error,
    },
    /// The weights file lacks a tensor the configuration needs.
    #[error("{}: missing tensor {name:?}", .path.display())]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// Name of the missing tensor.
        name: String,
    },
    /// The weights file holds a tensor the configuration does not know.
    #[error("{}: unexpected tensor {name:?} (does the config match the weights?)", .path.display())]
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// Name of the unknown tensor.
        name: String,
    },
    /// A tensor in the weights file has the wrong shape.
    #[error("{}: tensor {name:?} has shape {found:?}, the config needs {expected:?}", .path.display())]
    TensorShape {
        /// The file.
        path: PathBuf,
        /// Name of the tensor.
        name: String,
        /// Shape the configuration needs.
        expected: Vec<usize>,
        /// Shape found in the file.
        found: Vec<usize>,
    },
    /// An error from mtq-data.
    #[error(transparent)]
    Data(#[from] mtq_data::DataError),
    /// An internal candle error (tensor operation failure).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// A state_dict whose tensor names follow no recognised scheme.
    #[error(
        "{}: no layer weights found: expected PyTorch nn.Sequential names (0.weight, 0.bias, 2.weight, ..) or h1.weight, .., out.weight; found {names:?}",
        .path.display()
    )]
    StateDictNaming {
        /// The file.
        path: PathBuf,
        /// The tensor names found, sorted.
        names: Vec<String>,
    },
    /// Sequential weights under two different prefixes.
    #[error("{}: layer weights under two prefixes, {first:?} and {second:?}", .path.display())]
    StateDictPrefixes {
        /// The file.
        path: PathBuf,
        /// One prefix.
        first: String,
        /// Another.
        second: String,
    },
    /// A weight that is not a matrix, or a bias that is not a vector.
    #[error("{}: tensor {name:?} has shape {shape:?}, expected rank {expected}", .path.display())]
    StateDictRank {
        /// The file.
        path: PathBuf,
        /// Name of the tensor.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// The rank expected (2 for a weight, 1 for a bias).
        expected: usize,
    },
    /// A layer whose input width is not the previous layer's output width.
    #[error(
        "{}: layer {layer} ({name:?}) takes {in_features} inputs but the previous layer gives {previous_out} (a Keras in x out kernel needs WeightLayout::InOut)",
        .path.display()
    )]
    StateDictChain {
        /// The file.
        path: PathBuf,
        /// Name of the weight.
        name: String,
        /// 1-based position of the layer.
        layer: usize,
        /// Its input width.
        in_features: usize,
        /// The previous layer's output width.
        previous_out: usize,
    },
    /// A CNN with a zero kernel side or a block of zero filters.
    #[error("CNN kernel side {kernel} and filter counts {filters:?} must all be at least 1")]
    CnnKernel {
        /// The kernel side.
        kernel: usize,
        /// The filters per block.
        filters: Vec<usize>,
    },
    /// A CNN whose images are too small for its blocks.
    #[error(
        "CNN block {block} leaves no pixel of {rows} x {cols} images ({kernel} x {kernel} kernels, padding {padding}, 2 x 2 pooling per block)"
    )]
    CnnTooSmall {
        /// 1-based block that leaves nothing.
        block: usize,
        /// Image rows.
        rows: usize,
        /// Image columns.
        cols: usize,
        /// Kernel side.
        kernel: usize,
        /// Padding.
        padding: usize,
    },
    /// A convolution block number that does not exist.
    #[error("no convolution block {block}: the network has blocks 1..={blocks}")]
    CnnBlock {
        /// The block asked for (1-based).
        block: usize,
        /// Number of blocks.
        blocks: usize,
    },
}

/// `Result` with [`ModelError`] as the default error.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
