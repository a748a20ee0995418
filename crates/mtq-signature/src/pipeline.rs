//! The MNIST study as a library (feature `pipeline`): load the digits, train the network (the
//! MLP or the CNN, [`ModelKind`]), extract every layer, fit the signatures and run the study, for
//! one seed or several. A network trained elsewhere (any [`LayerModel`]: weights loaded with
//! [`Mlp::from_state_dict`], an ONNX model) goes through the same study with
//! [`MnistStudy::run_model`]. Each is two halves: [`MnistStudy::extract`] (train, extract every
//! set's layers) then [`MnistStudy::study`] (fit, trace, score), so a caller done with the data
//! can drop it in between.
//!
//! ```no_run
//! use mtq_signature::pipeline::{MnistStudy, stability};
//!
//! # fn main() -> Result<(), mtq_signature::SignatureError> {
//! let study = MnistStudy::new(); // 1 vs 7, 4s and 3s unseen, 784 -> 32 -> 64 -> 2, 5 epochs
//! let data = study.load()?;      // the embedded 10,000-digit sample
//! let runs = [0, 1, 2]
//!     .iter()
//!     .map(|&seed| study.run(&data, seed, &mut |_| {}))
//!     .collect::<Result<Vec<_>, _>>()?;
//! let s = stability(&runs.iter().map(|r| (&r.model, &r.result)).collect::<Vec<_>>())?;
//! assert_eq!(s.seeds, vec![0, 1, 2]);
//! # Ok(())
//! # }
//! ```

use std::path::PathBuf;

use mtq_activations::{Activations, ExtractParams, LayerKind, LayerModel};
use mtq_cluster::SilhouetteMode;
use mtq_data::{Dataset, Mnist};
use mtq_model::{Cnn, CnnConfig, ConvTap, Device, Mlp, MlpConfig, TrainConfig};
use ndarray::{Array2, ArrayView2, Axis};

use crate::analysis::{SignatureModel, SignatureParams};
use crate::error::{Result, SignatureError};
use crate::samples::Samples;
use crate::study::{StudyInput, StudyResult, UnseenSet};

pub use crate::stability::stability;

/// Rows per forward pass when extracting activations.
const EXTRACT_BATCH: usize = 1024;

/// The configuration of an MNIST study: which digits the network learns, which are injected
/// unseen, the network, its training and the K range. A by-value builder; every value is checked
/// when the study runs (by the crates that use it).
///
/// Defaults (the reference study): classes 1 and 7, unseen 4 and 3, the MLP with hidden widths
/// 32 and 64, 5 epochs of Adam (1e-3, batch 32), K from 2 to 10, the embedded 10,000-digit
/// sample, CPU.
#[derive(Debug, Clone)]
pub struct MnistStudy {
    /// Digits the network learns, in class order.
    pub classes: Vec<usize>,
    /// Digits injected after training as unseen classes.
    pub unseen: Vec<usize>,
    /// The network trained by [`MnistStudy::run`].
    pub model: ModelKind,
    /// Hidden layer widths of the MLP ([`ModelKind::Mlp`]; the CNN has its own, see
    /// [`CnnConfig::lenet`]).
    pub hidden: Vec<usize>,
    /// How the CNN's convolution blocks are studied ([`ModelKind::Cnn`] only): one mean per
    /// channel (the default) or the flattened maps.
    pub conv_tap: ConvTap,
    /// Training epochs.
    pub epochs: usize,
    /// Smallest K tried per layer.
    pub k_min: usize,
    /// Largest K tried per layer.
    pub k_max: usize,
    /// Estimate each K's silhouette on this many reference rows drawn with the study's seed
    /// ([`SilhouetteMode::Sampled`], scikit-learn's `sample_size`) instead of
    /// [`SilhouetteMode::Auto`] (exact up to 100,000 rows): an approximation to opt into.
    pub silhouette_sample: Option<usize>,
    /// A folder with the four MNIST IDX files (raw or gzip); `None` for the embedded sample.
    pub mnist_dir: Option<PathBuf>,
    /// Where the network runs.
    pub device: Device,
    /// Class names, if not the digits of [`MnistStudy::classes`] (e.g. `malignant`, `benign`
    /// for a tabular data set run through [`MnistStudy::run`]).
    pub names: Option<Vec<String>>,
}

impl Default for MnistStudy {
    fn default() -> Self {
        Self::new()
    }
}

/// The network [`MnistStudy::run`] trains, seeded and deterministic either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelKind {
    /// The multi-layer perceptron [`Mlp`] with [`MnistStudy::hidden`] widths (the default).
    #[default]
    Mlp,
    /// The LeNet-style convolutional network [`Cnn`] of [`CnnConfig::lenet`] for the data's
    /// image size (the training set must hold images), its blocks tapped as
    /// [`MnistStudy::conv_tap`].
    Cnn,
}

/// The data of an MNIST study, loaded once for any number of seeds.
#[derive(Debug, Clone)]
pub struct StudyData {
    /// Training images of the learned digits (the reference set).
    pub train: Dataset,
    /// Test images of the learned digits.
    pub test: Dataset,
    /// Test images of each unseen digit, with its name.
    pub unseen: Vec<(String, Dataset)>,
}

/// What a running study has just done, for progress display.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Stage {
    /// A given network (not trained by the study) is evaluated on the test set.
    Evaluated {
        /// The seed.
        seed: u64,
        /// Test accuracy, in `[0, 1]`, if the model gives probabilities or logits.
        accuracy: Option<f64>,
    },
    /// The network is trained.
    Trained {
        /// The seed.
        seed: u64,
        /// Test accuracy, in `[0, 1]`.
        accuracy: f64,
    },
    /// Every layer's activations are extracted.
    Extracted {
        /// The seed.
        seed: u64,
        /// The extracted layer names.
        layers: Vec<String>,
    },
    /// K is chosen and the clusterings fitted.
    Fitted {
        /// The seed.
        seed: u64,
        /// Per layer: name, chosen K, its silhouette (`None` for a constant layer, whose K and
        /// silhouette are undefined: see `KCurve::verdict`).
        ks: Vec<(String, usize, Option<f64>)>,
    },
    /// Every set is traced, scored and evaluated.
    Studied {
        /// The seed.
        seed: u64,
        /// Scores evaluated.
        n_scores: usize,
    },
}

/// One seed's study.
#[derive(Debug, Clone)]
pub struct StudyRun {
    /// The network's shape as studied: the input width, then the width of every studied
    /// layer, e.g. `[784, 32, 64, 2]` (a CNN's blocks tapped as channel means count their
    /// channels).
    pub network: Vec<usize>,
    /// Epochs trained (0 for a given model).
    pub epochs: usize,
    /// The fitted signatures.
    pub model: SignatureModel,
    /// The study's numbers.
    pub result: StudyResult,
}

impl MnistStudy {
    /// The defaults listed on [`MnistStudy`].
    #[must_use]
    pub fn new() -> Self {
        Self {
            classes: vec![1, 7],
            unseen: vec![4, 3],
            model: ModelKind::Mlp,
            hidden: vec![32, 64],
            conv_tap: ConvTap::ChannelMean,
            epochs: 5,
            k_min: 2,
            k_max: 10,
            silhouette_sample: None,
            mnist_dir: None,
            device: Device::Cpu,
            names: None,
        }
    }

    /// The class names: [`MnistStudy::names`] if set, else the learned digits.
    #[must_use]
    pub fn class_names(&self) -> Vec<String> {
        self.names
            .clone()
            .unwrap_or_else(|| self.classes.iter().map(usize::to_string).collect())
    }

    /// Loads the digits: from [`MnistStudy::mnist_dir`] (decoding only the digits used), else
    /// the embedded sample.
    ///
    /// # Errors
    /// [`SignatureError::Data`] for unreadable or invalid files, or a digit absent from them.
    pub fn load(&self) -> Result<StudyData> {
        let mut digits: Vec<usize> = self.classes.iter().chain(&self.unseen).copied().collect();
        digits.sort_unstable();
        digits.dedup();
        // the unseen digits come from the test split only
        let mut trained = self.classes.clone();
        trained.sort_unstable();
        trained.dedup();
        let (train, test_all) = match &self.mnist_dir {
            Some(dir) => Mnist::from_dir_splits(dir, &trained, &digits)?,
            None => Mnist::embedded()?,
        }
        .into_split();
        let unseen = self
            .unseen
            .iter()
            .map(|&d| Ok((d.to_string(), test_all.select_classes(&[d])?)))
            .collect::<Result<_>>()?;
        let test = test_all.into_classes(&self.classes)?;
        let train = train.into_classes(&self.classes)?;
        Ok(StudyData {
            train,
            test,
            unseen,
        })
    }

    /// Trains the network ([`MnistStudy::model`]) with `seed` on `data` (any [`StudyData`]:
    /// MNIST from [`MnistStudy::load`], or another data set whose labels index
    /// [`MnistStudy::class_names`]), then studies it as [`MnistStudy::run_model`] with the same
    /// seed: [`MnistStudy::extract`], then [`MnistStudy::study`]. `progress` hears each stage as
    /// it ends.
    ///
    /// # Errors
    /// Those of [`MnistStudy::extract`] and [`MnistStudy::study`].
    pub fn run(
        &self,
        data: &StudyData,
        seed: u64,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<StudyRun> {
        let extracted = self.extract(data, seed, progress)?;
        self.study(extracted, progress)
    }

    /// Studies a network trained elsewhere, e.g. weights read with [`Mlp::from_state_dict`] or
    /// an ONNX model, as [`MnistStudy::run`] does after training:
    /// [`MnistStudy::extract_model`], then [`MnistStudy::study`]. [`MnistStudy::hidden`],
    /// `epochs` and `model` are not used; the report's epochs are 0.
    ///
    /// # Errors
    /// Those of [`MnistStudy::extract_model`] and [`MnistStudy::study`].
    pub fn run_model<M: LayerModel + Sync + ?Sized>(
        &self,
        model: &M,
        data: &StudyData,
        seed: u64,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<StudyRun> {
        let extracted = self.extract_model(model, data, seed, progress)?;
        self.study(extracted, progress)
    }

    /// The first half of [`MnistStudy::run`]: trains the network with `seed` on `data`, then
    /// extracts every set's layers ([`MnistStudy::extract_model`]). Everything the study needs
    /// of `data` is then in the result, so the data (the training images, 151 MB for 48,200
    /// MNIST digits as `f32`) can be dropped before [`MnistStudy::study`].
    ///
    /// # Errors
    /// [`SignatureError::Model`] if the network cannot be built or trained,
    /// [`SignatureError::NotImages`] for the CNN on data without an image shape, and the errors
    /// of [`MnistStudy::extract_model`].
    pub fn extract(
        &self,
        data: &StudyData,
        seed: u64,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<ExtractedRun> {
        let n_classes = self.classes.len();
        let train = TrainConfig::new().epochs(self.epochs).seed(seed);
        match self.model {
            ModelKind::Mlp => {
                let config =
                    MlpConfig::new(data.train.n_features(), self.hidden.clone(), n_classes);
                let mut mlp = Mlp::new(config, seed, &self.device)?;
                mlp.train(&data.train, &train)?;
                let accuracy = mlp.evaluate(&data.test)?.accuracy;
                progress(Stage::Trained { seed, accuracy });
                self.extract_sets(&mlp, data, seed, Some(accuracy), progress)
            }
            ModelKind::Cnn => {
                let (rows, cols) = data.train.image_shape().ok_or(SignatureError::NotImages {
                    n_features: data.train.n_features(),
                })?;
                let config = CnnConfig::lenet(rows, cols, n_classes);
                let mut cnn = Cnn::new(config, seed, &self.device)?.with_conv_taps(self.conv_tap);
                cnn.train(&data.train, &train)?;
                let accuracy = cnn.evaluate(&data.test)?.accuracy;
                progress(Stage::Trained { seed, accuracy });
                self.extract_sets(&cnn, data, seed, Some(accuracy), progress)
            }
        }
    }

    /// The first half of [`MnistStudy::run_model`]: extracts every set's layers through
    /// `model` (no training); its test accuracy is measured from its probabilities (or the
    /// softmax of its logits). `seed` is kept for [`MnistStudy::study`].
    ///
    /// # Errors
    /// [`SignatureError::ModelMismatch`] if the model's input width differs from the data's
    /// features per sample, or its probabilities from the number of classes;
    /// [`SignatureError::Activations`] if extraction fails; [`SignatureError::NoLayers`] if a
    /// set has neither hidden layers nor probabilities.
    pub fn extract_model<M: LayerModel + Sync + ?Sized>(
        &self,
        model: &M,
        data: &StudyData,
        seed: u64,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<ExtractedRun> {
        self.extract_sets(model, data, seed, None, progress)
    }

    /// Extracts every set through `model`; `accuracy` (given when the study trained it) is
    /// measured here when `None`.
    fn extract_sets<M: LayerModel + Sync + ?Sized>(
        &self,
        model: &M,
        data: &StudyData,
        seed: u64,
        accuracy: Option<f64>,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<ExtractedRun> {
        let trained = accuracy.is_some();
        if model.input_dim() != data.train.n_features() {
            return Err(SignatureError::ModelMismatch {
                what: "input width",
                model: model.input_dim(),
                data: data.train.n_features(),
            });
        }
        let params = ExtractParams::new(EXTRACT_BATCH).logits(true);
        let n_classes = self.class_names().len();
        let train = Extracted::new(params.extract(model, &data.train)?)?;
        let test = Extracted::new(params.extract(model, &data.test)?)?;
        let unseen = data
            .unseen
            .iter()
            .map(|(name, d)| Ok((name.clone(), Extracted::new(params.extract(model, d)?)?)))
            .collect::<Result<Vec<_>>>()?;
        if let Some(p) = &train.probs
            && p.ncols() != n_classes
        {
            return Err(SignatureError::ModelMismatch {
                what: "number of classes",
                model: p.ncols(),
                data: n_classes,
            });
        }
        let accuracy = accuracy.or_else(|| test.accuracy());
        if !trained {
            progress(Stage::Evaluated { seed, accuracy });
        }
        progress(Stage::Extracted {
            seed,
            layers: train
                .acts
                .layer_names()
                .into_iter()
                .map(String::from)
                .collect(),
        });
        let mut network = vec![data.train.n_features()];
        network.extend(train.hidden().map(|l| l.ncols()));
        network.extend(train.probs.as_ref().map(Array2::ncols));
        Ok(ExtractedRun {
            seed,
            n_classes,
            accuracy,
            epochs: if trained { self.epochs } else { 0 },
            network,
            train,
            test,
            unseen,
        })
    }

    /// The second half of [`MnistStudy::run`]: fits the signatures of `extracted` with its
    /// seed (every hidden layer, and the probabilities as layer `out`; K from
    /// [`MnistStudy::k_min`] to [`MnistStudy::k_max`] by silhouette) and runs the study on the
    /// test and unseen sets. Call it on the study that extracted the run: the K range, the
    /// silhouette mode and the class names are this one's.
    ///
    /// # Errors
    /// [`SignatureError::ModelMismatch`] if this study has another number of classes than the
    /// one that extracted the run; the errors of [`SignatureParams::fit`] and
    /// [`SignatureModel::study`].
    pub fn study(
        &self,
        extracted: ExtractedRun,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<StudyRun> {
        let ExtractedRun {
            seed,
            n_classes,
            accuracy,
            epochs,
            network,
            train,
            test,
            unseen,
        } = extracted;
        let class_names = self.class_names();
        if class_names.len() != n_classes {
            return Err(SignatureError::ModelMismatch {
                what: "number of classes",
                model: n_classes,
                data: class_names.len(),
            });
        }
        // The analysed layers: every hidden layer, then the probabilities as "out".
        let mut layer_names = train.hidden_names();
        if train.probs.is_some() {
            layer_names.push("out".into());
        }
        let signature = SignatureParams::new(layer_names, class_names)
            .k_range(self.k_min, self.k_max)
            .seed(seed)
            .silhouette(match self.silhouette_sample {
                Some(size) => SilhouetteMode::Sampled { size, seed },
                None => SilhouetteMode::Auto,
            });
        let reference = train.samples().labels(train.acts.labels());
        let model_fit = signature.fit(&reference)?;
        progress(Stage::Fitted {
            seed,
            ks: model_fit
                .layers()
                .iter()
                .map(|l| (l.name().to_string(), l.k(), l.curve().chosen_silhouette()))
                .collect(),
        });
        let input = StudyInput {
            seed,
            test_accuracy: accuracy,
            reference,
            test: Some(test.samples().labels(test.acts.labels())),
            unseen: unseen
                .iter()
                .map(|(name, a)| UnseenSet {
                    name: name.clone(),
                    samples: a.samples(),
                })
                .collect(),
        };
        let result = model_fit.study(&input)?;
        progress(Stage::Studied {
            seed,
            n_scores: result
                .sets
                .iter()
                .map(|s| s.scores.columns.len())
                .max()
                .unwrap_or(0),
        });
        Ok(StudyRun {
            network,
            epochs,
            model: model_fit,
            result,
        })
    }
}

/// One seed's network (trained by [`MnistStudy::extract`] or given to
/// [`MnistStudy::extract_model`]) and every set's activations through it: all that
/// [`MnistStudy::study`] needs, without the data.
#[derive(Debug, Clone)]
pub struct ExtractedRun {
    seed: u64,
    /// The number of classes of the study that extracted it.
    n_classes: usize,
    accuracy: Option<f64>,
    epochs: usize,
    network: Vec<usize>,
    train: Extracted,
    test: Extracted,
    unseen: Vec<(String, Extracted)>,
}

impl ExtractedRun {
    /// The seed the network was trained with and the signatures will be fitted with.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The test accuracy, in `[0, 1]` (`None` for a given model without probabilities or
    /// logits).
    #[must_use]
    pub fn accuracy(&self) -> Option<f64> {
        self.accuracy
    }
}

/// One set's extracted layers: the hidden ones, and the class probabilities (the model's, or
/// the softmax of its logits) if it has either.
#[derive(Debug, Clone)]
struct Extracted {
    acts: Activations,
    probs: Option<Array2<f32>>,
}

impl Extracted {
    fn new(acts: Activations) -> Result<Self> {
        let layer = |kind| acts.layers().iter().find(|l| l.kind() == kind);
        let probs = match (layer(LayerKind::Probabilities), layer(LayerKind::Logits)) {
            (Some(p), _) => Some(p.values().to_owned()),
            (None, Some(z)) => Some(softmax(z.values())),
            (None, None) => None,
        };
        if acts.layers().iter().all(|l| l.kind() != LayerKind::Hidden) && probs.is_none() {
            return Err(SignatureError::NoLayers);
        }
        Ok(Self { acts, probs })
    }

    fn hidden(&self) -> impl Iterator<Item = ArrayView2<'_, f32>> {
        self.acts
            .layers()
            .iter()
            .filter(|l| l.kind() == LayerKind::Hidden)
            .map(|l| l.values())
    }

    fn hidden_names(&self) -> Vec<String> {
        self.acts
            .layers()
            .iter()
            .filter(|l| l.kind() == LayerKind::Hidden)
            .map(|l| l.name().to_owned())
            .collect()
    }

    /// The studied layers (hidden, then the probabilities), with ids and probabilities.
    fn samples(&self) -> Samples<'_> {
        let mut layers: Vec<ArrayView2<'_, f32>> = self.hidden().collect();
        let samples = match &self.probs {
            Some(p) => {
                layers.push(p.view());
                Samples::new(layers).probabilities(p.view())
            }
            None => Samples::new(layers),
        };
        samples.ids(self.acts.ids())
    }

    /// Share of rows whose most probable class is the label (first maximum on ties).
    fn accuracy(&self) -> Option<f64> {
        let p = self.probs.as_ref()?;
        let labels = self.acts.labels();
        if p.nrows() == 0 {
            return None;
        }
        let correct = p
            .axis_iter(Axis(0))
            .zip(labels)
            .filter(|&(ref row, &label)| {
                let best = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f32::NEG_INFINITY),
                        |b, (i, &v)| if v > b.1 { (i, v) } else { b },
                    );
                best.0 == label
            })
            .count();
        Some(correct as f64 / p.nrows() as f64)
    }
}

/// Row-wise softmax, shifted by each row's maximum.
fn softmax(z: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut p = z.to_owned();
    for mut row in p.axis_iter_mut(Axis(0)) {
        let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
    p
}
