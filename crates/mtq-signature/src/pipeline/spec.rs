//! What a study runs: its data, its network, its K sweep and its seeds, checked as a whole
//! before any work ([`Study::check`]).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use mtq_activations::LayerModel;
use mtq_model::{Activation, ConvTap, Device, WeightLayout};

use super::error::{Result, StudyError, StudyOption};
use crate::monitor::MonitorSettings;

/// The largest MNIST and UCI digit.
const MAX_DIGIT: usize = 9;

/// One study, whatever its route: the data it reads, the network it trains or is given, the K
/// sweep, the seeds. [`Study::check`] validates every option against every other before any
/// work; [`Study::run`](Study::run) runs every seed and their stability.
///
/// Defaults ([`Study::new`], the reference study): the embedded MNIST sample, digits 1 vs 7
/// learned, 4s and 3s injected unseen; the MLP 784 -> 32 -> 64 -> 2 trained 5 epochs; K from 2
/// to 10 by exact silhouette; seed 0; CPU.
#[derive(Debug, Clone)]
pub struct Study {
    /// Where the samples come from.
    pub data: DataSource,
    /// The network whose layers are studied.
    pub network: Network,
    /// Smallest K tried per layer (at least 2).
    pub k_min: usize,
    /// Largest K tried per layer (at least `k_min`).
    pub k_max: usize,
    /// Estimate each K's silhouette on this many reference rows drawn with the run's seed
    /// (scikit-learn's `sample_size`) instead of exactly (by default exact while rows² x
    /// features is at most 100,000² x 64, sampled above: `SilhouetteMode::Auto`): an
    /// approximation to opt into, stated in the report. At least 2; a size at or
    /// above the reference's rows is the exact silhouette.
    pub silhouette_sample: Option<usize>,
    /// The seeds, distinct: each trains its network (where the study trains one), seeds its
    /// K-means and its silhouette sample; the first also seeds the train/test split of data
    /// sets that have none. Several seeds give the report's stability section.
    pub seeds: Vec<u64>,
    /// Where a network runs.
    pub device: Device,
    /// The path monitor fitted on the calibration set ([`crate::PathMonitor`]): its `alpha`,
    /// class-conditional calibration and Deep k-NN neighbours.
    pub monitor: MonitorSettings,
    /// Keep every seed's test-set activations (the analysed layers) in its
    /// [`StudyRun::test_activations`](super::StudyRun::test_activations), for a comparison's
    /// CKA across networks ([`crate::compare`]); off by default (nothing is ever written).
    pub keep_test_activations: bool,
}

/// Where a study's samples come from.
#[derive(Debug, Clone)]
pub enum DataSource {
    /// MNIST digits: the embedded 10,000-digit sample (`dir` = `None`) or the four IDX files
    /// of a folder. The network learns `classes` on the training split; each `unseen` digit
    /// is injected from the test split.
    Mnist {
        /// A folder with the four MNIST IDX files (raw or gzip); `None` for the embedded sample.
        dir: Option<PathBuf>,
        /// Digits learned, in class order (at least two, distinct, 0-9).
        classes: Vec<usize>,
        /// Digits injected unseen (distinct, none of `classes`).
        unseen: Vec<usize>,
    },
    /// The 1,797 UCI 8x8 digits shipped with `mtq-data`, split 75/25 stratified by the first
    /// seed; `unseen` digits are injected whole.
    UciDigits {
        /// Digits learned, in class order.
        classes: Vec<usize>,
        /// Digits injected unseen.
        unseen: Vec<usize>,
    },
    /// The 569 x 30 Breast Cancer Wisconsin set shipped with `mtq-data` (malignant vs
    /// benign), split 75/25 stratified by the first seed and standardised on the training
    /// split; no unseen class.
    BreastCancer,
    /// The user's arrays: `x` (samples x features, or samples of any shape, e.g.
    /// `N x 3 x 32 x 32`, as the network takes them) and `y` (one
    /// integer label per sample, every value present a class), split 75/25 stratified by the
    /// first seed; standardised on the training split when the study trains its network
    /// (a given network takes its inputs as they are). Each unseen set is features only.
    Arrays {
        /// Features.
        x: PathBuf,
        /// Labels.
        y: PathBuf,
        /// Unseen sets: a name and a features file.
        unseen: Vec<(String, PathBuf)>,
    },
    /// Activations exported by any framework, each set a prefix read with
    /// [`NpySet::read`](crate::NpySet::read) (`PREFIX_<layer>.npy` per layer,
    /// `PREFIX_labels.npy`, optionally `PREFIX_probs.npy`, `PREFIX_ids.npy`,
    /// `PREFIX_images.npy` for thumbnails) or a folder written by
    /// [`Activations::save`](mtq_activations::Activations::save) (read with
    /// [`NpySet::read_saved`](crate::NpySet::read_saved)). No network: [`Network::None`].
    Activations {
        /// Layer names in network order.
        layers: Vec<String>,
        /// The reference set's prefix (labels required).
        reference: PathBuf,
        /// The in-distribution test set's prefix.
        test: Option<PathBuf>,
        /// The path monitor's calibration set (in-distribution inputs the network never trained
        /// on; prefix or saved folder); `None`: a seeded half of the test set, left out of
        /// every evaluation.
        calibration: Option<PathBuf>,
        /// Unseen sets: a name and a prefix.
        unseen: Vec<(String, PathBuf)>,
        /// Class names, one per label index; `None`: the reference's distinct label values.
        classes: Option<Vec<String>>,
    },
    /// Activations held in memory, given to [`Study::run_sets`] (e.g. numpy arrays from
    /// Python); [`Study::run`] refuses it. No network: [`Network::None`].
    InMemory,
}

/// The network a [`Study`] trains or is given.
#[derive(Clone)]
pub enum Network {
    /// A network trained by the study, seeded by each seed.
    Train(Training),
    /// An MLP trained elsewhere: a safetensors state_dict (PyTorch `nn.Sequential` names or
    /// mtq's), read with [`Mlp::from_state_dict`](mtq_model::Mlp::from_state_dict).
    Weights {
        /// The file.
        path: PathBuf,
        /// The non-linearity after every hidden layer (a state_dict does not store it).
        activation: Activation,
        /// The layout of the weight matrices.
        layout: WeightLayout,
    },
    /// An ONNX classifier (feature `onnx`), every hidden layer tapped or the `layers` named.
    #[cfg(feature = "onnx")]
    Onnx {
        /// The model file.
        path: PathBuf,
        /// Outputs to tap as hidden layers (`NODE`, `NODE:slot` or a short name, each
        /// optionally `=NAME`: [`OnnxModel::load_with_layers`](mtq_activations::OnnxModel::load_with_layers));
        /// `None`: the default taps (each residual block's output and the pooled features, or
        /// every activation after a Gemm/MatMul/Conv: [`mtq_activations::onnx`]).
        layers: Option<Vec<String>>,
        /// How convolution outputs are studied.
        conv_tap: ConvTap,
        /// How sequences of tokens (`batch x tokens x features`) are pooled.
        token_pool: mtq_activations::TokenPool,
    },
    /// Any [`LayerModel`], named for the report.
    Given {
        /// The network.
        model: Arc<dyn LayerModel + Send + Sync>,
        /// Its name in the report, e.g. a file name.
        name: String,
    },
    /// No network: the data are activations already ([`DataSource::Activations`]).
    None,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Train(t) => f.debug_tuple("Train").field(t).finish(),
            Self::Weights { path, .. } => f.debug_struct("Weights").field("path", path).finish(),
            #[cfg(feature = "onnx")]
            Self::Onnx { path, layers, .. } => f
                .debug_struct("Onnx")
                .field("path", path)
                .field("layers", layers)
                .finish(),
            Self::Given { name, .. } => f.debug_struct("Given").field("name", name).finish(),
            Self::None => f.write_str("None"),
        }
    }
}

/// A network the study trains: which, its shape, its training.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Training {
    /// The MLP or the CNN.
    pub kind: ModelKind,
    /// The MLP's hidden widths (each at least 1); empty for the CNN, which has its own (see
    /// [`CnnConfig::lenet`](mtq_model::CnnConfig::lenet)).
    pub hidden: Vec<usize>,
    /// How the CNN's convolution blocks are studied.
    pub conv_tap: ConvTap,
    /// Training epochs (at least 1).
    pub epochs: usize,
}

impl Training {
    /// The MLP with `hidden` widths, trained `epochs` epochs.
    #[must_use]
    pub fn mlp(hidden: Vec<usize>, epochs: usize) -> Self {
        Self {
            kind: ModelKind::Mlp,
            hidden,
            conv_tap: ConvTap::ChannelMean,
            epochs,
        }
    }

    /// The LeNet-style CNN, its blocks tapped as `conv_tap`, trained `epochs` epochs.
    #[must_use]
    pub fn cnn(conv_tap: ConvTap, epochs: usize) -> Self {
        Self {
            kind: ModelKind::Cnn,
            hidden: Vec::new(),
            conv_tap,
            epochs,
        }
    }
}

/// The network [`Network::Train`] trains, seeded and deterministic either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelKind {
    /// The multi-layer perceptron [`Mlp`](mtq_model::Mlp) (the default).
    #[default]
    Mlp,
    /// The LeNet-style convolutional network [`Cnn`](mtq_model::Cnn) of
    /// [`CnnConfig::lenet`](mtq_model::CnnConfig::lenet) for the data's image size.
    Cnn,
}

impl Default for Study {
    fn default() -> Self {
        Self::new()
    }
}

impl Study {
    /// The defaults listed on [`Study`].
    #[must_use]
    pub fn new() -> Self {
        Self {
            data: DataSource::Mnist {
                dir: None,
                classes: vec![1, 7],
                unseen: vec![4, 3],
            },
            network: Network::Train(Training::mlp(vec![32, 64], 5)),
            k_min: 2,
            k_max: 10,
            silhouette_sample: None,
            seeds: vec![0],
            device: Device::Cpu,
            monitor: MonitorSettings::new(),
            keep_test_activations: false,
        }
    }

    /// Checks every option, alone and against the others, without reading any data: the
    /// classes (at least two, distinct, digits 0-9 for the digit sets), the unseen classes
    /// (distinct, none of them learned), the K range (2 <= `k_min` <= `k_max`), the
    /// silhouette sample (at least 2), the monitor's alpha (in (0, 1)), the seeds (at least one, distinct), the network
    /// (widths and epochs at least 1; the CNN on images only; a network for every route but
    /// activations, none for them), the layers (at least one, distinct).
    ///
    /// # Errors
    /// [`StudyError::Option`] naming the first option at fault.
    pub fn check(&self) -> Result<()> {
        let alpha = self.monitor.alpha_value();
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(StudyError::option(
                StudyOption::Alpha,
                format!("must be a false-alarm rate in (0, 1) (got {alpha})"),
            ));
        }
        if self.k_min < 2 {
            return Err(StudyError::option(
                StudyOption::KMin,
                format!("must be at least 2 (got {})", self.k_min),
            ));
        }
        if self.k_max < self.k_min {
            return Err(StudyError::option(
                StudyOption::KMax,
                format!(
                    "must be at least --k-min ({}), got {}",
                    self.k_min, self.k_max
                ),
            ));
        }
        if let Some(n) = self.silhouette_sample
            && n < 2
        {
            return Err(StudyError::option(
                StudyOption::SilhouetteSample,
                format!("must be at least 2 rows (got {n})"),
            ));
        }
        if self.seeds.is_empty() {
            return Err(StudyError::option(
                StudyOption::Seeds,
                "needs at least one seed",
            ));
        }
        if let Some(s) = first_repeat(&self.seeds) {
            return Err(StudyError::option(
                StudyOption::Seeds,
                format!("lists seed {s} twice; each seed must be distinct"),
            ));
        }
        match &self.data {
            DataSource::Mnist {
                classes, unseen, ..
            }
            | DataSource::UciDigits { classes, unseen } => check_digits(classes, unseen)?,
            DataSource::BreastCancer | DataSource::InMemory => {}
            DataSource::Arrays { unseen, .. } => check_names(unseen.iter().map(|(n, _)| n))?,
            DataSource::Activations {
                layers,
                unseen,
                classes,
                ..
            } => check_activations(layers, unseen.iter().map(|(n, _)| n), classes.as_deref())?,
        }
        let activations = matches!(
            self.data,
            DataSource::Activations { .. } | DataSource::InMemory
        );
        match &self.network {
            Network::None if !activations => Err(StudyError::option(
                StudyOption::Network,
                "is missing: every route but activations needs a network (trained or given)",
            )),
            Network::None => Ok(()),
            _ if activations => Err(StudyError::option(
                StudyOption::Network,
                "does not apply to activations: they are a network's outputs already",
            )),
            Network::Train(t) => self.check_training(t),
            _ => Ok(()),
        }
    }

    fn check_training(&self, t: &Training) -> Result<()> {
        if t.epochs == 0 {
            return Err(StudyError::option(
                StudyOption::Epochs,
                "must be at least 1 (got 0)",
            ));
        }
        match t.kind {
            ModelKind::Mlp => {
                if t.hidden.is_empty() {
                    return Err(StudyError::option(
                        StudyOption::Hidden,
                        "needs at least one hidden layer",
                    ));
                }
                if let Some(i) = t.hidden.iter().position(|&w| w == 0) {
                    return Err(StudyError::option(
                        StudyOption::Hidden,
                        format!(
                            "width {} (layer h{}) must be at least 1",
                            t.hidden[i],
                            i + 1
                        ),
                    ));
                }
            }
            ModelKind::Cnn => {
                if !t.hidden.is_empty() {
                    return Err(StudyError::option(
                        StudyOption::Hidden,
                        "does not apply to --model cnn (its widths are fixed)",
                    ));
                }
                if matches!(self.data, DataSource::BreastCancer) {
                    return Err(StudyError::option(
                        StudyOption::Model,
                        "cnn needs images; the breast-cancer set is tabular (30 features)",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The layers (at least one, distinct), the unseen sets' names (distinct, not empty) and the
/// class names (at least two, distinct) of a study of activations, read or in memory.
pub(crate) fn check_activations<'a>(
    layers: &[String],
    unseen: impl Iterator<Item = &'a String>,
    classes: Option<&[String]>,
) -> Result<()> {
    if layers.is_empty() {
        return Err(StudyError::option(
            StudyOption::Layers,
            "needs at least one layer",
        ));
    }
    if let Some(l) = first_repeat(layers) {
        return Err(StudyError::option(
            StudyOption::Layers,
            format!("lists layer {l} twice; each layer must be distinct"),
        ));
    }
    if let Some(c) = classes {
        if c.len() < 2 {
            return Err(StudyError::option(
                StudyOption::Classes,
                format!("needs at least two class names (got {})", c.len()),
            ));
        }
        if let Some(n) = first_repeat(c) {
            return Err(StudyError::option(
                StudyOption::Classes,
                format!("lists {n} twice"),
            ));
        }
    }
    check_names(unseen)
}

/// The classes and unseen classes of a digit set: at least two learned, all 0-9, each once,
/// none both learned and unseen.
fn check_digits(classes: &[usize], unseen: &[usize]) -> Result<()> {
    if classes.len() < 2 {
        return Err(StudyError::option(
            StudyOption::Classes,
            format!(
                "needs at least two digits to tell apart (got {})",
                list(classes)
            ),
        ));
    }
    for (option, digits) in [
        (StudyOption::Classes, classes),
        (StudyOption::Inject, unseen),
    ] {
        if let Some(&d) = digits.iter().find(|&&d| d > MAX_DIGIT) {
            return Err(StudyError::option(
                option,
                format!("{d} is not a digit (0-9)"),
            ));
        }
        if let Some(d) = first_repeat(digits) {
            return Err(StudyError::option(option, format!("lists {d} twice")));
        }
    }
    if let Some(d) = unseen.iter().find(|d| classes.contains(d)) {
        return Err(StudyError::option(
            StudyOption::Inject,
            format!("{d} is a trained class (in --classes); an unseen class must not be learned"),
        ));
    }
    Ok(())
}

/// The names of unseen sets: each non-empty and distinct.
fn check_names<'a>(names: impl Iterator<Item = &'a String>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for n in names {
        if n.is_empty() {
            return Err(StudyError::option(StudyOption::Unseen, "has an empty name"));
        }
        if !seen.insert(n) {
            return Err(StudyError::option(
                StudyOption::Unseen,
                format!("names the set {n} twice; each unseen set needs its own name"),
            ));
        }
    }
    Ok(())
}

/// The first value that appears twice.
fn first_repeat<T: Ord + Clone>(values: &[T]) -> Option<T> {
    let mut seen = BTreeSet::new();
    values.iter().find(|v| !seen.insert(*v)).cloned()
}

/// `1,7`.
fn list(values: &[usize]) -> String {
    if values.is_empty() {
        return "none".into();
    }
    values
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_data(data: DataSource) -> Study {
        Study {
            data,
            ..Study::new()
        }
    }

    fn option_of(s: &Study) -> Option<StudyOption> {
        match s.check() {
            Err(StudyError::Option { option, .. }) => Some(option),
            _ => None,
        }
    }

    #[test]
    fn the_defaults_pass() {
        assert!(Study::new().check().is_ok());
    }

    #[test]
    fn each_bad_option_is_named() {
        let mnist = |classes: &[usize], unseen: &[usize]| {
            with_data(DataSource::Mnist {
                dir: None,
                classes: classes.to_vec(),
                unseen: unseen.to_vec(),
            })
        };
        assert_eq!(option_of(&mnist(&[1], &[])), Some(StudyOption::Classes));
        assert_eq!(
            option_of(&mnist(&[1, 1, 7], &[])),
            Some(StudyOption::Classes)
        );
        assert_eq!(
            option_of(&mnist(&[10, 11], &[])),
            Some(StudyOption::Classes)
        );
        assert_eq!(option_of(&mnist(&[1, 7], &[7])), Some(StudyOption::Inject));
        assert_eq!(
            option_of(&mnist(&[1, 7], &[4, 4])),
            Some(StudyOption::Inject)
        );
        let k = |k_min, k_max| Study {
            k_min,
            k_max,
            ..Study::new()
        };
        assert_eq!(option_of(&k(0, 10)), Some(StudyOption::KMin));
        assert_eq!(option_of(&k(2, 1)), Some(StudyOption::KMax));
        let sample = Study {
            silhouette_sample: Some(0),
            ..Study::new()
        };
        assert_eq!(option_of(&sample), Some(StudyOption::SilhouetteSample));
        let seeds = Study {
            seeds: vec![0, 0],
            ..Study::new()
        };
        assert_eq!(option_of(&seeds), Some(StudyOption::Seeds));
        let net = |t: Training| Study {
            network: Network::Train(t),
            ..Study::new()
        };
        assert_eq!(
            option_of(&net(Training::mlp(vec![0], 5))),
            Some(StudyOption::Hidden)
        );
        assert_eq!(
            option_of(&net(Training::mlp(vec![32], 0))),
            Some(StudyOption::Epochs)
        );
        let cnn_on_table = Study {
            data: DataSource::BreastCancer,
            network: Network::Train(Training::cnn(ConvTap::ChannelMean, 10)),
            ..Study::new()
        };
        assert_eq!(option_of(&cnn_on_table), Some(StudyOption::Model));
        let acts = |layers: Vec<String>, network| Study {
            data: DataSource::Activations {
                layers,
                reference: "r".into(),
                test: None,
                calibration: None,
                unseen: Vec::new(),
                classes: None,
            },
            network,
            ..Study::new()
        };
        assert!(acts(vec!["h1".into()], Network::None).check().is_ok());
        assert_eq!(
            option_of(&acts(vec!["h1".into(), "h1".into()], Network::None)),
            Some(StudyOption::Layers)
        );
        assert_eq!(
            option_of(&acts(
                vec!["h1".into()],
                Network::Train(Training::mlp(vec![4], 1))
            )),
            Some(StudyOption::Network)
        );
        let arrays = |unseen: Vec<(String, PathBuf)>| {
            with_data(DataSource::Arrays {
                x: "x".into(),
                y: "y".into(),
                unseen,
            })
        };
        assert_eq!(
            option_of(&arrays(vec![
                ("a".into(), "p".into()),
                ("a".into(), "q".into())
            ])),
            Some(StudyOption::Unseen)
        );
    }

    #[test]
    fn messages_name_the_flag() {
        let e = Study {
            k_max: 1,
            ..Study::new()
        }
        .check()
        .unwrap_err();
        assert_eq!(e.to_string(), "--k-max must be at least --k-min (2), got 1");
        assert!(e.is_usage());
    }
}
