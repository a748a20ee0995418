//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading or shaping data.
///
/// Every IDX variant names its source in `path`: the file path, or the name given to a reader
/// (for the embedded sample, `embedded:mnist-10k/<file name>`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("cannot read {}", .path.display())]
    Io {
        /// The file or source.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A file could not be created or written.
    #[error("cannot write {}", .path.display())]
    Write {
        /// The file or destination.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// None of the accepted file names for one of the four MNIST files exists in the directory.
    #[error("{}: no {name} (looked for {})", .dir.display(), .tried.join(", "))]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The standard file name (without `.gz`).
        name: &'static str,
        /// Every file name tried, in order.
        tried: Vec<String>,
    },

    /// The file or stream holds no byte at all (or a gzip stream that inflates to nothing).
    #[error("{}: empty file, expected an IDX header", .path.display())]
    Empty {
        /// The file or source.
        path: PathBuf,
    },

    /// No longer returned: the content, not the name, decides whether a file is gzip (kept so
    /// that code matching on it still compiles).
    #[error("{}: named .gz but not gzip (starts with {found:02x?}, expected [1f, 8b])", .path.display())]
    NotGzip {
        /// The file or source.
        path: PathBuf,
        /// The first bytes found (at most two).
        found: Vec<u8>,
    },

    /// The gzip stream is corrupt or cut short.
    #[error("{}: corrupt or truncated gzip stream", .path.display())]
    Decompress {
        /// The file or source.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: std::io::Error,
    },

    /// The data ends before the end of the IDX header.
    #[error("{}: IDX header needs {expected} bytes, only {actual} present", .path.display())]
    HeaderTooShort {
        /// The file or source.
        path: PathBuf,
        /// Header length in bytes for this kind of file.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },

    /// The magic number is not the one of the expected kind of IDX file.
    #[error(
        "{}: expected IDX magic {expected} ({expected:#010x}), found {found} ({found:#010x})",
        .path.display()
    )]
    BadMagic {
        /// The file or source.
        path: PathBuf,
        /// 2051 for images, 2049 for labels (unsigned bytes).
        expected: u32,
        /// The magic number read.
        found: u32,
    },

    /// The header declares images with no pixel (zero rows or zero columns).
    #[error("{}: header declares {rows} x {cols} images, expected at least 1 x 1", .path.display())]
    EmptyImage {
        /// The file or source.
        path: PathBuf,
        /// Declared rows per image.
        rows: u32,
        /// Declared columns per image.
        cols: u32,
    },

    /// The header's dimensions multiply to more bytes than this machine can address.
    #[error("{}: header dimensions {dims:?} overflow the addressable size", .path.display())]
    SizeOverflow {
        /// The file or source.
        path: PathBuf,
        /// The declared dimensions.
        dims: Vec<u32>,
    },

    /// Fewer payload bytes than the header declares.
    #[error("{}: header declares {expected} payload bytes, only {actual} present", .path.display())]
    Truncated {
        /// The file or source.
        path: PathBuf,
        /// Payload bytes declared by the header.
        expected: usize,
        /// Payload bytes present.
        actual: usize,
    },

    /// A gzip file too small to hold what its header declares: deflate inflates at most
    /// [`MAX_DEFLATE_RATIO`](crate::idx::MAX_DEFLATE_RATIO) bytes per compressed byte, so the
    /// header lies; refused before a byte of the payload is inflated.
    #[error(
        "{}: header declares {declared} bytes, but {compressed} gzip bytes inflate to at most {max}",
        .path.display()
    )]
    InflationBeyondBound {
        /// The file.
        path: PathBuf,
        /// Bytes the header declares (header included).
        declared: u64,
        /// Size of the gzip file.
        compressed: u64,
        /// The most the file can inflate to: `compressed x MAX_DEFLATE_RATIO`.
        max: u64,
    },

    /// More payload bytes than the header declares.
    #[error("{}: header declares {expected} payload bytes, found {actual} (trailing data)", .path.display())]
    TrailingData {
        /// The file or source.
        path: PathBuf,
        /// Payload bytes declared by the header.
        expected: usize,
        /// Payload bytes present.
        actual: u64,
    },

    /// More items than an IDX header can count (`u32::MAX`).
    #[error("{n} items do not fit an IDX header (at most {})", u32::MAX)]
    TooManyForIdx {
        /// Number of items.
        n: usize,
    },

    /// The header declares another number of items than the caller expects (see
    /// [`idx::read_images_expecting`](crate::idx::read_images_expecting)); found before the
    /// payload is read.
    #[error("{}: header declares {declared} items, {expected} expected", .path.display())]
    UnexpectedCount {
        /// The file or source.
        path: PathBuf,
        /// Items the header declares.
        declared: u32,
        /// Items expected.
        expected: usize,
    },

    /// A label too large to be a class index (above [`MAX_LABEL`](crate::MAX_LABEL)).
    #[error("label {label} at sample {index} is above the largest class index accepted, {max}")]
    LabelTooLarge {
        /// Position of the sample.
        index: usize,
        /// The label.
        label: usize,
        /// The largest label accepted.
        max: usize,
    },

    /// An image file and its label file disagree on the number of items.
    #[error(
        "{} holds {images} images but {} holds {labels} labels",
        .images_path.display(),
        .labels_path.display()
    )]
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// The label file.
        labels_path: PathBuf,
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },

    /// A label is not a valid class.
    #[error("{}: label {label} at index {index} is out of range 0..{n_classes}", .path.display())]
    LabelOutOfRange {
        /// The file or source.
        path: PathBuf,
        /// Position of the label in the file.
        index: usize,
        /// The label read.
        label: u8,
        /// Number of valid classes.
        n_classes: usize,
    },

    /// The training and test images have different shapes.
    #[error("training images are {train:?} (rows, cols) but test images are {test:?}")]
    ImageShapeMismatch {
        /// Training image shape (rows, cols).
        train: (usize, usize),
        /// Test image shape (rows, cols).
        test: (usize, usize),
    },

    /// Features and labels disagree on the number of samples.
    #[error("{features} feature rows but {labels} labels")]
    LengthMismatch {
        /// Rows of the feature matrix.
        features: usize,
        /// Number of labels.
        labels: usize,
    },

    /// Ids and labels disagree on the number of samples.
    #[error("{ids} ids for {samples} samples")]
    IdsLengthMismatch {
        /// Number of samples.
        samples: usize,
        /// Number of ids.
        ids: usize,
    },

    /// An image shape whose pixel count is not the number of features.
    #[error("image shape {rows} x {cols} does not match {n_features} features")]
    ImageShape {
        /// Rows requested.
        rows: usize,
        /// Columns requested.
        cols: usize,
        /// Features per sample.
        n_features: usize,
    },

    /// A sample shape whose size is not the number of features.
    #[error("sample shape {shape:?} does not match {n_features} features")]
    SampleShape {
        /// The shape requested.
        shape: Vec<usize>,
        /// Features per sample.
        n_features: usize,
    },

    /// A label is not an index into the class list.
    #[error("label {label} at sample {index} but only {n_classes} classes")]
    LabelNotInClasses {
        /// Position of the sample.
        index: usize,
        /// The label.
        label: usize,
        /// Length of the class list.
        n_classes: usize,
    },

    /// An empty class list was given.
    #[error("no class given")]
    NoClasses,

    /// The same class appears twice in a class list.
    #[error("class {class} listed twice")]
    DuplicateClass {
        /// The repeated class.
        class: usize,
    },

    /// A requested class is not among the data set's classes.
    #[error("class {class} is not one of the data set's classes {available:?}")]
    UnknownClass {
        /// The requested class.
        class: usize,
        /// The data set's classes.
        available: Vec<usize>,
    },

    /// A sample index past the end of the data set.
    #[error("sample index {index} out of range for {n_samples} samples")]
    IndexOutOfRange {
        /// The index given.
        index: usize,
        /// Number of samples.
        n_samples: usize,
    },

    /// A fraction outside the open interval (0, 1), or not finite.
    #[error("{name} must lie strictly between 0 and 1, got {value}")]
    InvalidFraction {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
    },

    /// More samples requested than the data set holds.
    #[error("{requested} samples requested, only {available} available")]
    NotEnoughSamples {
        /// Samples requested.
        requested: usize,
        /// Samples available.
        available: usize,
    },

    /// A batch size of zero.
    #[error("batch size must be at least 1")]
    ZeroBatchSize,

    /// A scaler was fitted on no sample.
    #[error("cannot fit a scaler on an empty data set")]
    EmptyFit,

    /// A non-finite value where the computation needs finite ones.
    #[error("non-finite value {value} at sample {row}, feature {col}")]
    NonFinite {
        /// Sample index.
        row: usize,
        /// Feature index.
        col: usize,
        /// The value.
        value: f32,
    },

    /// A fixed scaling range with `low >= high` or a non-finite bound.
    #[error("scaling range needs finite low < high, got [{low}, {high}]")]
    InvalidRange {
        /// Lower bound.
        low: f32,
        /// Upper bound.
        high: f32,
    },

    /// Data with a different number of features than the scaler was fitted on.
    #[error("scaler fitted on {expected} features, data has {found}")]
    FeatureCountMismatch {
        /// Features at fit time.
        expected: usize,
        /// Features of the data given.
        found: usize,
    },

    /// An `.npy` file whose header cannot be parsed (bad magic string, version or dictionary).
    #[error("{}: not a valid .npy header: {message}", .path.display())]
    NpyHeader {
        /// The file or source.
        path: PathBuf,
        /// What the header parser reported.
        message: String,
    },

    /// An `.npy` file of a dtype this reader does not accept (or big-endian).
    #[error("{}: dtype {dtype}, {accepted} expected", .path.display())]
    NpyDtype {
        /// The file or source.
        path: PathBuf,
        /// The dtype found, numpy's name (e.g. `float16`, `bool`) or the descriptor.
        dtype: String,
        /// The dtypes accepted here.
        accepted: &'static str,
    },

    /// An `.npy` file whose data are not the `shape x itemsize` bytes its header promises
    /// (checked before anything is allocated: a header claiming 16 GB in a 10 KB file is
    /// refused here).
    #[error(
        "{}: header declares shape {shape:?} of {dtype} ({} bytes of data) but {actual} bytes follow it",
        .path.display(),
        .expected.map_or_else(|| "more than addressable".to_owned(), |e| e.to_string())
    )]
    NpySize {
        /// The file or source.
        path: PathBuf,
        /// The shape the header declares.
        shape: Vec<usize>,
        /// The dtype the header declares (numpy's name, e.g. `float32`).
        dtype: String,
        /// Data bytes the header implies (`None`: overflows `usize`).
        expected: Option<usize>,
        /// Data bytes present after the header.
        actual: u64,
    },

    /// An `.npy` array of the wrong rank.
    #[error("{}: array of shape {shape:?}, expected rank {expected}", .path.display())]
    NpyRank {
        /// The file or source.
        path: PathBuf,
        /// The shape found.
        shape: Vec<usize>,
        /// The rank(s) accepted, in words.
        expected: &'static str,
    },

    /// A NaN or infinite feature in an `.npy` file.
    #[error("{}: non-finite value {value} at index {index:?}", .path.display())]
    NpyNonFinite {
        /// The file or source.
        path: PathBuf,
        /// Index of the value (one entry per axis).
        index: Vec<usize>,
        /// The value, as `f32`.
        value: f32,
    },

    /// A finite `float64` value too large for `f32` (it would become infinite).
    #[error(
        "{}: value {value:e} at index {index:?} is beyond float32's range (|x| <= 3.4e38)",
        .path.display()
    )]
    NpyF32Range {
        /// The file or source.
        path: PathBuf,
        /// Index of the value (one entry per axis).
        index: Vec<usize>,
        /// The value.
        value: f64,
    },

    /// A label (or id) that the one label rule refuses: negative, fractional, not finite, or
    /// above [`MAX_LABEL`](crate::MAX_LABEL) (ids: above `usize::MAX`, or 2^53 as a float).
    #[error("{}: row {row} holds {what} value {value}, {reason}", .path.display())]
    NpyLabel {
        /// The file or source.
        path: PathBuf,
        /// `"labels"` or `"ids"`.
        what: &'static str,
        /// Row (position) of the value.
        row: usize,
        /// The value as stored in the file.
        value: String,
        /// Why it is refused.
        reason: String,
    },

    /// Labels (or ids) stored as text or Python objects (`<U5`, `|S3`, `|O`).
    #[error(
        "{}: the {what} are text (dtype {dtype}); integer class indices 0, 1, 2, .. are needed (in numpy: `names, y = np.unique(labels, return_inverse=True)`)",
        .path.display()
    )]
    NpyTextLabels {
        /// The file or source.
        path: PathBuf,
        /// The dtype found (`str5`, `bytes3`, `object`).
        dtype: String,
        /// `"labels"` or `"ids"`.
        what: &'static str,
    },

    /// An `.npy` file that holds no sample (its first axis is 0).
    #[error("{}: the file is empty (shape {shape:?}): no sample to read", .path.display())]
    NpyEmpty {
        /// The file.
        path: PathBuf,
        /// The shape found.
        shape: Vec<usize>,
    },

    /// An `.npy` file whose number of rows (first axis) differs from the set's.
    #[error(
        "{}: {rows} rows, but {} has {expected} (one row per sample)",
        .path.display(),
        .reference.display()
    )]
    NpyRows {
        /// The file.
        path: PathBuf,
        /// Its rows.
        rows: usize,
        /// The file whose row count is the set's.
        reference: PathBuf,
        /// The set's rows.
        expected: usize,
    },

    /// The feature and label files disagree on the number of samples.
    #[error(
        "{} holds {samples} samples but {} holds {labels} labels",
        .x_path.display(),
        .y_path.display()
    )]
    NpyCountMismatch {
        /// The feature file.
        x_path: PathBuf,
        /// The label file.
        y_path: PathBuf,
        /// Samples (first axis) of the features.
        samples: usize,
        /// Number of labels.
        labels: usize,
    },

    /// An array without a sample axis and a feature axis (rank 0 or 1).
    #[error(
        "array of shape {shape:?}: expected rank 2 or more (samples x features, or samples x the shape of one sample, e.g. samples x channels x rows x cols)"
    )]
    ArrayRank {
        /// The shape given.
        shape: Vec<usize>,
    },
}

/// `Result` with [`DataError`] as the default error.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
