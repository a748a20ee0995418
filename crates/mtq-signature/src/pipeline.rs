//! The MNIST study as a library (feature `pipeline`): load the digits, train the MLP, extract
//! every layer, fit the signatures and run the study, for one seed or several.
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

use mtq_activations::{Activations, ExtractParams};
use mtq_data::{Dataset, Mnist};
use mtq_model::{Device, Mlp, MlpConfig, TrainConfig};
use ndarray::{Array2, ArrayView2};

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
/// Defaults (the reference study): classes 1 and 7, unseen 4 and 3, hidden widths 32 and 64,
/// 5 epochs of Adam (1e-3, batch 32), K from 2 to 10, the embedded 10,000-digit sample, CPU.
#[derive(Debug, Clone)]
pub struct MnistStudy {
    /// Digits the network learns, in class order.
    pub classes: Vec<usize>,
    /// Digits injected after training as unseen classes.
    pub unseen: Vec<usize>,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Training epochs.
    pub epochs: usize,
    /// Smallest K tried per layer.
    pub k_min: usize,
    /// Largest K tried per layer.
    pub k_max: usize,
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
    /// The network's shape, e.g. `[784, 32, 64, 2]`.
    pub network: Vec<usize>,
    /// Epochs trained.
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
            hidden: vec![32, 64],
            epochs: 5,
            k_min: 2,
            k_max: 10,
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

    /// Trains the network with `seed` on `data` (any [`StudyData`]: MNIST from
    /// [`MnistStudy::load`], or another data set whose labels index [`MnistStudy::class_names`]),
    /// extracts every layer, fits the signatures (hidden layers
    /// and the probabilities as layer `out`) with the same seed and runs the study. `progress`
    /// hears each stage as it ends.
    ///
    /// # Errors
    /// [`SignatureError::Model`] if the network cannot be built or trained,
    /// [`SignatureError::Activations`] if extraction fails, and the errors of
    /// [`SignatureParams::fit`] and [`SignatureModel::study`].
    pub fn run(
        &self,
        data: &StudyData,
        seed: u64,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<StudyRun> {
        let n_classes = self.classes.len();
        let config = MlpConfig::new(data.train.n_features(), self.hidden.clone(), n_classes);
        let mut mlp = Mlp::new(config, seed, &self.device)?;
        mlp.train(
            &data.train,
            &TrainConfig::new().epochs(self.epochs).seed(seed),
        )?;
        let accuracy = mlp.evaluate(&data.test)?.accuracy;
        progress(Stage::Trained { seed, accuracy });
        let params = ExtractParams::new(EXTRACT_BATCH);
        let a_train = params.extract(&mlp, &data.train)?;
        let a_test = params.extract(&mlp, &data.test)?;
        let a_unseen = data
            .unseen
            .iter()
            .map(|(_, d)| params.extract(&mlp, d))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        progress(Stage::Extracted {
            seed,
            layers: a_train
                .layer_names()
                .into_iter()
                .map(String::from)
                .collect(),
        });
        // The analysed layers: every hidden layer, then the probabilities as "out".
        let mut layer_names = mlp.layer_names();
        layer_names.push("out".into());
        let signature = SignatureParams::new(layer_names, self.class_names())
            .k_range(self.k_min, self.k_max)
            .seed(seed);
        let p_train = probabilities(&a_train)?;
        let reference = Samples::new(views(&a_train))
            .labels(a_train.labels())
            .ids(a_train.ids())
            .probabilities(p_train.view());
        let model = signature.fit(&reference)?;
        progress(Stage::Fitted {
            seed,
            ks: model
                .layers()
                .iter()
                .map(|l| (l.name().to_string(), l.k(), l.curve().chosen_silhouette()))
                .collect(),
        });
        let p_test = probabilities(&a_test)?;
        let p_unseen: Vec<Array2<f32>> =
            a_unseen.iter().map(probabilities).collect::<Result<_>>()?;
        let input = StudyInput {
            seed,
            test_accuracy: Some(accuracy),
            reference,
            test: Some(
                Samples::new(views(&a_test))
                    .labels(a_test.labels())
                    .ids(a_test.ids())
                    .probabilities(p_test.view()),
            ),
            unseen: data
                .unseen
                .iter()
                .zip(&a_unseen)
                .zip(&p_unseen)
                .map(|(((name, _), a), p)| UnseenSet {
                    name: name.clone(),
                    samples: Samples::new(views(a)).ids(a.ids()).probabilities(p.view()),
                })
                .collect(),
        };
        let result = model.study(&input)?;
        progress(Stage::Studied {
            seed,
            n_scores: result
                .sets
                .iter()
                .map(|s| s.scores.columns.len())
                .max()
                .unwrap_or(0),
        });
        let mut network = vec![data.train.n_features()];
        network.extend(&self.hidden);
        network.push(n_classes);
        Ok(StudyRun {
            network,
            epochs: self.epochs,
            model,
            result,
        })
    }
}

fn views(a: &Activations) -> Vec<ArrayView2<'_, f32>> {
    a.layers().iter().map(|l| l.values()).collect()
}

fn probabilities(a: &Activations) -> Result<Array2<f32>> {
    a.layers()
        .last()
        .map(|l| l.values().to_owned())
        .ok_or(SignatureError::NoLayers)
}
