//! How a [`Study`](super::Study) fails: an option that cannot work (found by
//! [`Study::check`](super::Study::check) before any work), or a failure while it runs.

use std::path::PathBuf;

/// Result of the study runner.
pub type Result<T, E = StudyError> = std::result::Result<T, E>;

/// An option of a [`Study`](super::Study), named as the `mtq` command's flag (the README's
/// vocabulary); [`StudyOption::field`] gives the Rust field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StudyOption {
    /// The classes the network learns (`--classes`).
    Classes,
    /// The classes injected unseen (`--inject`).
    Inject,
    /// The unseen sets given as files (`--unseen`).
    Unseen,
    /// The MLP's hidden widths (`--hidden`).
    Hidden,
    /// Training epochs (`--epochs`).
    Epochs,
    /// The network trained (`--model`).
    Model,
    /// Smallest K (`--k-min`).
    KMin,
    /// Largest K (`--k-max`).
    KMax,
    /// The silhouette's sample size (`--silhouette-sample`).
    SilhouetteSample,
    /// The seeds (`--seeds`).
    Seeds,
    /// The layers studied (`--layers`).
    Layers,
    /// The reference set (`--reference`).
    Reference,
    /// The network, trained or given (no single flag: `--model`, `--weights`, the ONNX
    /// model).
    Network,
    /// The path monitor's false-alarm rate (`--alpha`).
    Alpha,
    /// Where the samples come from ([`Study::data`](super::Study::data)).
    Data,
}

impl StudyOption {
    /// The `mtq` flag, e.g. `--k-max` (`the network` for the network, which several flags
    /// choose).
    #[must_use]
    pub fn flag(self) -> &'static str {
        match self {
            Self::Classes => "--classes",
            Self::Inject => "--inject",
            Self::Unseen => "--unseen",
            Self::Hidden => "--hidden",
            Self::Epochs => "--epochs",
            Self::Model => "--model",
            Self::KMin => "--k-min",
            Self::KMax => "--k-max",
            Self::SilhouetteSample => "--silhouette-sample",
            Self::Seeds => "--seeds",
            Self::Layers => "--layers",
            Self::Reference => "--reference",
            Self::Network => "the network",
            Self::Alpha => "--alpha",
            Self::Data => "the data",
        }
    }

    /// The field of [`Study`](super::Study) or of its parts that holds the option, e.g.
    /// `k_max`.
    #[must_use]
    pub fn field(self) -> &'static str {
        match self {
            Self::Classes => "classes",
            Self::Inject => "unseen",
            Self::Unseen => "unseen",
            Self::Hidden => "hidden",
            Self::Epochs => "epochs",
            Self::Model => "kind",
            Self::KMin => "k_min",
            Self::KMax => "k_max",
            Self::SilhouetteSample => "silhouette_sample",
            Self::Seeds => "seeds",
            Self::Layers => "layers",
            Self::Reference => "reference",
            Self::Network => "network",
            Self::Alpha => "monitor",
            Self::Data => "data",
        }
    }
}

impl std::fmt::Display for StudyOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.flag())
    }
}

/// Why a study could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// An option that cannot work, alone or with another one; found by
    /// [`Study::check`](super::Study::check) before any data is read.
    #[error("{option} {reason}")]
    Option {
        /// The option at fault.
        option: StudyOption,
        /// What is wrong with it, in a phrase that follows the option's name.
        reason: String,
    },
    /// The reference set has fewer than two classes: nothing to tell apart.
    #[error(
        "{set}: the reference holds {n_classes} class(es) ({classes}); a study needs at least two"
    )]
    OneClass {
        /// The set, e.g. a file or `the training split`.
        set: String,
        /// Number of classes found.
        n_classes: usize,
        /// Their names.
        classes: String,
    },
    /// The reference set of activations has no labels.
    #[error("{}: missing; the reference set needs labels (integer class indices)", file.display())]
    NoLabels {
        /// The labels file expected.
        file: PathBuf,
    },
    /// An input file could not be read for its provenance (size and SHA-256).
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The data set could not be loaded.
    #[error(transparent)]
    Data(Box<mtq_data::DataError>),
    /// The network could not be built, read, trained or evaluated.
    #[error(transparent)]
    Model(Box<mtq_model::ModelError>),
    /// Activations could not be extracted or read.
    #[error(transparent)]
    Activations(#[from] mtq_activations::ActivationsError),
    /// The signatures could not be fitted or the study run.
    #[error(transparent)]
    Signature(#[from] crate::SignatureError),
    /// A network does not fit the data: its input width or its number of classes differs from
    /// the data's.
    #[error("{}the network's {what} is {model}, the data's is {data}", network.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    ModelMismatch {
        /// The network's file, if it was given as one.
        network: Option<PathBuf>,
        /// What differs: `input width` (features per sample) or `number of classes`.
        what: &'static str,
        /// The network's value.
        model: usize,
        /// The data's value.
        data: usize,
    },
    /// The data's samples are shaped otherwise than the network's input (same width, e.g.
    /// `32 x 32 x 3` against `3 x 32 x 32`): reshaping would scramble them.
    #[error("{}the network takes samples of shape {model:?}, the data's are {data:?} (the same values in another layout would be read wrongly: transpose them to the network's shape)", network.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    InputShape {
        /// The network's file, if it was given as one.
        network: Option<PathBuf>,
        /// The shape of one sample in the network.
        model: Vec<usize>,
        /// The shape of one sample in the data.
        data: Vec<usize>,
    },
    /// An unseen set's samples are shaped otherwise than the training samples.
    #[error("--unseen {name}={}: samples of shape {found:?}, but {} has {expected:?}", path.display(), reference.display())]
    ShapeMismatch {
        /// The unseen set's name.
        name: String,
        /// Its file.
        path: PathBuf,
        /// The shape of one of its samples.
        found: Vec<usize>,
        /// The training samples' file.
        reference: PathBuf,
        /// The shape of one training sample.
        expected: Vec<usize>,
    },
    /// An unseen set's samples are not as wide as the training samples.
    #[error("--unseen {name}={}: {found} features per sample, but {} has {expected}", path.display(), reference.display())]
    WidthMismatch {
        /// The unseen set's name.
        name: String,
        /// Its file.
        path: PathBuf,
        /// Its features per sample.
        found: usize,
        /// The training samples' file.
        reference: PathBuf,
        /// Their features per sample.
        expected: usize,
    },
    /// A convolutional network is asked for, but the training samples are not grey images.
    #[error(
        "the convolutional network needs grey images (rows x cols, or 1 x rows x cols); the training set's {n_features} features per sample are not"
    )]
    NotImages {
        /// Features per sample.
        n_features: usize,
    },
}

impl StudyError {
    /// Whether the error is a usage error: an option that cannot work, found before any work
    /// (the `mtq` command exits 2 for these, 1 for the rest).
    #[must_use]
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Option { .. })
    }

    /// An [`StudyError::Option`] error.
    pub(crate) fn option(option: StudyOption, reason: impl Into<String>) -> Self {
        Self::Option {
            option,
            reason: reason.into(),
        }
    }
}

impl From<mtq_data::DataError> for StudyError {
    fn from(e: mtq_data::DataError) -> Self {
        Self::Data(Box::new(e))
    }
}

impl From<mtq_model::ModelError> for StudyError {
    fn from(e: mtq_model::ModelError) -> Self {
        Self::Model(Box::new(e))
    }
}
