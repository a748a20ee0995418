//! One seed of a study: train (or take) the network, extract every set's layers, fit the
//! signatures and run the study.

use std::path::PathBuf;

use mtq_activations::{Activations, ExtractParams, LayerKind, LayerModel};
use mtq_cluster::{KRange, SilhouetteMode};
use mtq_model::{Cnn, CnnConfig, Device, Mlp, MlpConfig, TrainConfig};
use ndarray::{Array2, ArrayView2};

use super::error::{Result, StudyError};
use super::load::StudyData;
use super::spec::{ModelKind, Training};
use crate::analysis::{SignatureModel, SignatureParams};
use crate::error::SignatureError;
use crate::monitor::MonitorSettings;
use crate::npy_sets::NpySet;
use crate::samples::Samples;
use crate::study::{StudyInput, StudyResult, UnseenSet};
use mtq_data::Dataset;

/// Rows per forward pass when extracting activations.
const EXTRACT_BATCH: usize = 1024;

/// What a running study has just done, for progress display.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Stage {
    /// The data is read.
    Loaded {
        /// What it is, e.g. `embedded MNIST sample, digits 1/7`, a file or a prefix.
        data: String,
        /// Reference (training) samples.
        reference: usize,
        /// Test samples (the calibration share excluded).
        test: usize,
        /// Calibration samples of the path monitor (0: none).
        calibration: usize,
        /// Features per sample (`None` for activations).
        features: Option<usize>,
        /// Each unseen set's name and size.
        unseen: Vec<(String, usize)>,
    },
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
    /// channels); for activations, the width of every layer.
    pub network: Vec<usize>,
    /// Epochs trained (`None` for a network trained elsewhere, or activations).
    pub epochs: Option<usize>,
    /// The fitted signatures.
    pub model: SignatureModel,
    /// The study's numbers.
    pub result: StudyResult,
    /// The test set's analysed layers (samples x units each, in the model's layer order), when
    /// [`Study::keep_test_activations`](super::Study::keep_test_activations) asked for them.
    pub test_activations: Option<Vec<Array2<f32>>>,
}

/// What every seed's fit shares: the classes, the K range, the silhouette's sample size.
#[derive(Debug, Clone)]
pub(crate) struct Sweep {
    pub classes: Vec<String>,
    pub k_min: usize,
    pub k_max: usize,
    /// The silhouette's sample size; `None` for the exact silhouette (or the automatic rule).
    pub silhouette_sample: Option<usize>,
    /// The path monitor's settings.
    pub monitor: MonitorSettings,
    /// Whether each run keeps its test set's activations.
    pub keep_test_activations: bool,
}

impl Sweep {
    /// The signature parameters of one seed over `layers`, for a reference of `n` rows: a
    /// silhouette sample at or above `n` is the exact silhouette.
    fn params(&self, layers: Vec<String>, seed: u64, n: usize) -> Result<SignatureParams> {
        // `Study::check` has refused a bad range with the flag's name; this cannot fail after it
        let k_range = KRange::new(self.k_min, self.k_max).map_err(SignatureError::from)?;
        Ok(SignatureParams::new(layers, self.classes.clone())
            .k_range(k_range)
            .monitor(self.monitor)
            .seed(seed)
            .silhouette(match self.silhouette_sample {
                Some(size) if size < n => SilhouetteMode::Sampled { size, seed },
                Some(_) => SilhouetteMode::Exact,
                None => SilhouetteMode::Auto,
            }))
    }

    /// Fits the signatures of `reference` over `layers` with `seed` and runs the study of
    /// `input`'s sets.
    pub(crate) fn fit_and_study(
        &self,
        layers: Vec<String>,
        input: &StudyInput<'_>,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<(SignatureModel, StudyResult)> {
        let seed = input.seed;
        let model = self
            .params(layers, seed, input.reference.len())?
            .fit(&input.reference)?;
        progress(Stage::Fitted {
            seed,
            ks: model
                .layers()
                .iter()
                .map(|l| (l.name().to_string(), l.k(), l.curve().chosen_silhouette()))
                .collect(),
        });
        let result = model.study(input)?;
        progress(Stage::Studied {
            seed,
            n_scores: result
                .sets
                .iter()
                .map(|s| s.scores.columns.len())
                .max()
                .unwrap_or(0),
        });
        Ok((model, result))
    }
}

/// Trains the network of `training` with `seed` on `data`, then extracts every set's layers.
pub(crate) fn extract_trained(
    training: &Training,
    device: &Device,
    data: &StudyData,
    n_classes: usize,
    seed: u64,
    progress: &mut dyn FnMut(Stage),
) -> Result<ExtractedRun> {
    let train = TrainConfig::new().epochs(training.epochs).seed(seed);
    let run = match training.kind {
        ModelKind::Mlp => {
            let config =
                MlpConfig::new(data.train.n_features(), training.hidden.clone(), n_classes);
            let mut mlp = Mlp::new(config, seed, device)?;
            mlp.train(&data.train, &train)?;
            let accuracy = mlp.evaluate(&data.test)?.accuracy;
            progress(Stage::Trained { seed, accuracy });
            extract_sets(&mlp, None, data, n_classes, seed, Some(accuracy), progress)
        }
        ModelKind::Cnn => {
            let (rows, cols) = data
                .train
                .image_shape()
                .filter(|_| data.train.image_channels() == Some(1))
                .ok_or(StudyError::NotImages {
                    n_features: data.train.n_features(),
                })?;
            let config = CnnConfig::lenet(rows, cols, n_classes);
            let mut cnn = Cnn::new(config, seed, device)?.with_conv_taps(training.conv_tap);
            cnn.train(&data.train, &train)?;
            let accuracy = cnn.evaluate(&data.test)?.accuracy;
            progress(Stage::Trained { seed, accuracy });
            extract_sets(&cnn, None, data, n_classes, seed, Some(accuracy), progress)
        }
    }?;
    Ok(ExtractedRun {
        epochs: Some(training.epochs),
        ..run
    })
}

/// Extracts every set's layers through `model` (no training; `file`, the file it came from,
/// is named in a mismatch); its test accuracy is measured from its probabilities (or the
/// softmax of its logits).
pub(crate) fn extract_given<M: LayerModel + Sync + ?Sized>(
    model: &M,
    file: Option<PathBuf>,
    data: &StudyData,
    n_classes: usize,
    seed: u64,
    progress: &mut dyn FnMut(Stage),
) -> Result<ExtractedRun> {
    extract_sets(model, file, data, n_classes, seed, None, progress)
}

/// Runs `model` (from `file`, named in a mismatch) on `data` and gives the layers a study
/// analyses ([`Extracted::samples`]) as an owned set: their names (every hidden layer, then
/// `out` for the probabilities) and the set, ids the data's.
pub(crate) fn extract_inputs<M: LayerModel + Sync + ?Sized>(
    model: &M,
    file: Option<PathBuf>,
    data: &Dataset,
) -> Result<(Vec<String>, NpySet)> {
    check_input(model, file.as_ref(), data)?;
    let set = Extracted::new(
        ExtractParams::new(EXTRACT_BATCH)
            .logits(true)
            .extract(model, data)?,
    )?;
    let mut names = set.hidden_names();
    let mut layers: Vec<Array2<f32>> = set.hidden().map(|v| v.to_owned()).collect();
    if let Some(p) = &set.probs {
        names.push("out".into());
        layers.push(p.clone());
    }
    let ids = set.acts.ids().to_owned();
    Ok((
        names,
        NpySet {
            layers,
            labels: None,
            probabilities: set.probs,
            ids: Some(ids),
            images: None,
        },
    ))
}

/// Checks that `data`'s samples fit `model`'s input: as wide, and, when both have a shape
/// (an image network and image arrays), the same shape once axes of size 1 are dropped
/// (`28 x 28` data fit a `1 x 28 x 28` input; `32 x 32 x 3` data do not fit `3 x 32 x 32`).
fn check_input<M: LayerModel + ?Sized>(
    model: &M,
    file: Option<&PathBuf>,
    data: &Dataset,
) -> Result<()> {
    if model.input_dim() != data.n_features() {
        return Err(StudyError::ModelMismatch {
            network: file.cloned(),
            what: "input width",
            model: model.input_dim(),
            data: data.n_features(),
        });
    }
    let squeeze = |s: &[usize]| -> Vec<usize> { s.iter().copied().filter(|&d| d != 1).collect() };
    // a flat input (one axis besides those of size 1) takes rows of any layout
    if let (Some(m), Some(d)) = (model.input_shape(), data.sample_shape())
        && squeeze(&m).len() >= 2
        && squeeze(&m) != squeeze(d)
    {
        return Err(StudyError::InputShape {
            network: file.cloned(),
            model: m,
            data: d.to_vec(),
        });
    }
    Ok(())
}

/// Extracts every set through `model`; `accuracy` (given when the study trained it) is
/// measured here when `None`.
fn extract_sets<M: LayerModel + Sync + ?Sized>(
    model: &M,
    file: Option<PathBuf>,
    data: &StudyData,
    n_classes: usize,
    seed: u64,
    accuracy: Option<f64>,
    progress: &mut dyn FnMut(Stage),
) -> Result<ExtractedRun> {
    let trained = accuracy.is_some();
    let mismatch = |what, model, data| StudyError::ModelMismatch {
        network: file.clone(),
        what,
        model,
        data,
    };
    check_input(model, file.as_ref(), &data.train)?;
    let params = ExtractParams::new(EXTRACT_BATCH).logits(true);
    let train = Extracted::new(params.extract(model, &data.train)?)?;
    let test = Extracted::new(params.extract(model, &data.test)?)?;
    let calibration = data
        .calibration
        .as_ref()
        .map(|c| Extracted::new(params.extract(model, c)?))
        .transpose()?;
    let unseen = data
        .unseen
        .iter()
        .map(|(name, d)| Ok((name.clone(), Extracted::new(params.extract(model, d)?)?)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(p) = &train.probs
        && p.ncols() != n_classes
    {
        return Err(mismatch("number of classes", p.ncols(), n_classes));
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
        accuracy,
        epochs: None,
        network,
        train,
        test,
        calibration,
        unseen,
    })
}

/// One seed's network and every set's activations through it: all the study needs, without
/// the data.
#[derive(Debug, Clone)]
pub(crate) struct ExtractedRun {
    seed: u64,
    accuracy: Option<f64>,
    epochs: Option<usize>,
    network: Vec<usize>,
    train: Extracted,
    test: Extracted,
    calibration: Option<Extracted>,
    unseen: Vec<(String, Extracted)>,
}

impl ExtractedRun {
    /// Fits the signatures (every hidden layer, and the probabilities as layer `out`) and runs
    /// the study on the test and unseen sets.
    pub(crate) fn study(self, sweep: &Sweep, progress: &mut dyn FnMut(Stage)) -> Result<StudyRun> {
        let Self {
            seed,
            accuracy,
            epochs,
            network,
            train,
            test,
            calibration,
            unseen,
        } = self;
        // The analysed layers: every hidden layer, then the probabilities as "out".
        let mut layer_names = train.hidden_names();
        if train.probs.is_some() {
            layer_names.push("out".into());
        }
        let input = StudyInput {
            seed,
            test_accuracy: accuracy,
            reference: train.samples().labels(train.acts.labels()),
            test: Some(test.samples().labels(test.acts.labels())),
            calibration: calibration
                .as_ref()
                .map(|c| c.samples().labels(c.acts.labels())),
            unseen: unseen
                .iter()
                .map(|(name, a)| UnseenSet {
                    name: name.clone(),
                    samples: a.samples(),
                })
                .collect(),
        };
        let (model, result) = sweep.fit_and_study(layer_names, &input, progress)?;
        let test_activations = sweep.keep_test_activations.then(|| {
            let mut layers: Vec<Array2<f32>> = test.hidden().map(|v| v.to_owned()).collect();
            layers.extend(test.probs.clone());
            layers
        });
        Ok(StudyRun {
            network,
            epochs,
            model,
            result,
            test_activations,
        })
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
        let probs = acts.probabilities();
        if acts.layers().iter().all(|l| l.kind() != LayerKind::Hidden) && probs.is_none() {
            return Err(crate::SignatureError::NoLayers.into());
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
        accuracy(self.probs.as_ref()?.view(), self.acts.labels())
    }
}

/// Share of rows of `p` (samples x classes) whose most probable class (first maximum on
/// ties) is the row's label; `None` for no rows.
pub(crate) fn accuracy(
    p: ArrayView2<'_, f32>,
    labels: ndarray::ArrayView1<'_, usize>,
) -> Option<f64> {
    if p.nrows() == 0 {
        return None;
    }
    let (predicted, _) = crate::samples::argmax_rows(p);
    let correct = predicted.iter().zip(labels).filter(|(p, y)| p == y).count();
    Some(correct as f64 / p.nrows() as f64)
}
