//! [`Study::run`]: every seed, their stability, and the facts the report needs.

use mtq_data::Dataset;
use mtq_model::{Activation, ConvTap, WeightLayout};

use super::error::{Result, StudyError, StudyOption};
use super::facts::{Images, RunFacts};
use super::given::Ready;
use super::load::{self, CalibrationSource, Loaded, SetsInMemory, StudyData};
use super::seed::{self, ExtractedRun, Stage, StudyRun, Sweep};
use super::spec::{DataSource, ModelKind, Network, Study, check_activations};
use crate::compare::{SeedFacts, StudyFacts};
use crate::npy_sets::NpySet;
use crate::provenance::{InputFile, OptionValue, Provenance};
use crate::stability::{Stability, stability};
use crate::study::{StudyInput, UnseenSet};

/// Everything a study found: one run per seed, their stability, and what the report says
/// besides the numbers.
#[derive(Debug, Clone)]
pub struct StudyOutcome {
    /// One run per seed, in the order of [`Study::seeds`] (never empty).
    pub runs: Vec<StudyRun>,
    /// How the runs agree, when there are several.
    pub stability: Option<Stability>,
    /// The data, the network, the options and where it all came from.
    pub facts: RunFacts,
    /// The samples' images, for thumbnails (image data only).
    pub images: Option<Images>,
}

impl StudyOutcome {
    /// What a comparison reads of this study ([`crate::compare`]), named `name`: every seed's
    /// facts, with its test activations when they were kept (moved out of the runs, not
    /// copied: [`StudyRun::test_activations`] is `None` afterwards).
    #[must_use]
    pub fn compare_facts(&mut self, name: &str) -> StudyFacts {
        StudyFacts {
            name: name.to_string(),
            data: self.facts.data.clone(),
            seeds: self
                .runs
                .iter_mut()
                .map(|r| SeedFacts::from_run(&r.model, &r.result, r.test_activations.take()))
                .collect(),
        }
    }

    /// The first seed's run (the one a report shows).
    ///
    /// # Panics
    /// If `runs` is empty, which [`Study::run`] never returns.
    #[must_use]
    pub fn first(&self) -> &StudyRun {
        &self.runs[0]
    }
}

impl Study {
    /// Runs the study: [`Study::check`], then reads the data, and for every seed trains the
    /// network (or takes the given one), extracts every set's layers, fits the signatures (K
    /// per layer by silhouette) and runs the study (trace, scores, strangers); then the
    /// stability of the seeds when there are several. The data is dropped once the last seed's
    /// layers are extracted. `progress` hears each stage as it ends.
    ///
    /// # Errors
    /// [`StudyError::Option`](super::StudyError::Option) from [`Study::check`], before any work; then the data's, the
    /// network's, the extraction's and the study's errors, each naming its file, set or layer.
    pub fn run(&self, progress: &mut dyn FnMut(Stage)) -> Result<StudyOutcome> {
        self.check()?;
        // A given network is read (and refused) before the data.
        let given = self.network.ready(&self.device)?;
        let loaded = load::load(self)?;
        self.run_loaded(loaded, given, progress)
    }

    /// Runs the study of activations held in memory, as [`Study::run`] runs activations read
    /// from files (the route of `mtq npy`): the same checks, class relabelling, calibration
    /// share of the test set, seeds and stability. The study's `data` must be
    /// [`DataSource::InMemory`] and its network [`Network::None`].
    ///
    /// # Errors
    /// [`StudyError::Option`] from [`Study::check`], or naming the data when it is not
    /// [`DataSource::InMemory`]; a set whose shape does not fit the reference's (its layers,
    /// widths, rows, labels), named; then the study's errors.
    pub fn run_sets(
        &self,
        sets: SetsInMemory,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<StudyOutcome> {
        self.check()?;
        if !matches!(self.data, DataSource::InMemory) {
            return Err(StudyError::option(
                StudyOption::Data,
                "must be DataSource::InMemory for sets given to Study::run_sets",
            ));
        }
        check_activations(
            &sets.layers,
            sets.unseen.iter().map(|(n, _)| n),
            sets.classes.as_deref(),
        )?;
        let loaded = load::in_memory(sets, self.seeds.first().copied().unwrap_or(0))?;
        self.run_loaded(loaded, None, progress)
    }

    /// Every seed of the loaded data, their stability and the facts.
    fn run_loaded(
        &self,
        loaded: Loaded,
        given: Option<Ready>,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<StudyOutcome> {
        match loaded {
            Loaded::Inputs {
                data,
                classes,
                description,
                names,
                images,
                files,
                ..
            } => {
                let n_calibration = data.calibration.as_ref().map_or(0, Dataset::n_samples);
                progress(Stage::Loaded {
                    data: description.clone(),
                    reference: data.train.n_samples(),
                    test: data.test.n_samples(),
                    calibration: n_calibration,
                    features: Some(data.train.n_features()),
                    unseen: sizes(data.unseen.iter().map(|(n, d)| (n, d.n_samples()))),
                });
                let n_reference = data.train.n_samples();
                let sweep = self.sweep(classes);
                let runs = self.run_inputs(*data, &sweep, given.as_ref(), progress)?;
                let (network, taps, mut inputs) = match given {
                    Some(g) => (Some(g.description), g.taps, g.inputs),
                    None => (self.trained_description(), Vec::new(), Vec::new()),
                };
                inputs.extend(files);
                let facts = RunFacts {
                    data: description,
                    reference_name: names.0,
                    test_name: names.1,
                    network,
                    taps,
                    epochs: runs[0].epochs,
                    k_range: (self.k_min, self.k_max),
                    silhouette_sample: self.silhouette_sample.filter(|&s| s < n_reference),
                    calibration: Some((
                        if matches!(self.network, Network::Train(_)) {
                            CalibrationSource::HeldOutOfTraining
                        } else {
                            CalibrationSource::TestShare
                        },
                        n_calibration,
                    )),
                    provenance: self.provenance(inputs),
                };
                self.finish(runs, facts, images)
            }
            Loaded::Activations {
                layers,
                description,
                reference,
                test,
                calibration,
                unseen,
                classes,
                images,
                files,
            } => {
                let layers = &layers;
                let n_reference = reference.labels.as_ref().map_or(0, |l| l.len());
                progress(Stage::Loaded {
                    data: description.clone(),
                    reference: n_reference,
                    test: test.as_ref().map_or(0, |t| t.n_samples()),
                    calibration: calibration.as_ref().map_or(0, |(c, _)| c.n_samples()),
                    features: None,
                    unseen: sizes(unseen.iter().map(|(n, s)| (n, s.n_samples()))),
                });
                let sweep = self.sweep(classes);
                let runs = self
                    .seeds
                    .iter()
                    .map(|&seed| {
                        study_activations(
                            &sweep,
                            layers,
                            seed,
                            &ActivationSets {
                                reference: &reference,
                                test: test.as_deref(),
                                calibration: calibration.as_ref().map(|(c, _)| &**c),
                                unseen: &unseen,
                            },
                            progress,
                        )
                    })
                    .collect::<Result<Vec<_>>>()?;
                let facts = RunFacts {
                    data: description,
                    reference_name: "reference".into(),
                    test_name: "test".into(),
                    network: None,
                    taps: Vec::new(),
                    epochs: None,
                    k_range: (self.k_min, self.k_max),
                    silhouette_sample: self.silhouette_sample.filter(|&s| s < n_reference),
                    calibration: calibration.map(|(c, source)| (source, c.n_samples())),
                    provenance: self.provenance(files),
                };
                self.finish(runs, facts, images)
            }
        }
    }

    fn sweep(&self, classes: Vec<String>) -> Sweep {
        Sweep {
            classes,
            k_min: self.k_min,
            k_max: self.k_max,
            silhouette_sample: self.silhouette_sample,
            monitor: self.monitor,
            keep_test_activations: self.keep_test_activations,
        }
    }

    /// Every seed on a network's inputs; `data` is dropped after the last seed's extraction.
    fn run_inputs(
        &self,
        data: StudyData,
        sweep: &Sweep,
        given: Option<&Ready>,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<Vec<StudyRun>> {
        let n_classes = sweep.classes.len();
        let extract = |seed,
                       data: &StudyData,
                       progress: &mut dyn FnMut(Stage)|
         -> Result<ExtractedRun> {
            match (&self.network, given) {
                (_, Some(g)) => {
                    seed::extract_given(&*g.model, g.file.clone(), data, n_classes, seed, progress)
                }
                (Network::Train(t), None) => {
                    seed::extract_trained(t, &self.device, data, n_classes, seed, progress)
                }
                _ => Err(StudyError::option(
                    StudyOption::Network,
                    "is missing: every route but activations needs a network (trained or given)",
                )),
            }
        };
        let Some((&last, before)) = self.seeds.split_last() else {
            return Err(StudyError::option(
                StudyOption::Seeds,
                "needs at least one seed",
            ));
        };
        let mut runs = Vec::with_capacity(self.seeds.len());
        for &seed in before {
            runs.push(extract(seed, &data, progress)?.study(sweep, progress)?);
        }
        let extracted = extract(last, &data, progress)?;
        drop(data);
        runs.push(extracted.study(sweep, progress)?);
        Ok(runs)
    }

    /// How the report names a network the study trains.
    fn trained_description(&self) -> Option<String> {
        let Network::Train(t) = &self.network else {
            return None;
        };
        Some(match t.kind {
            ModelKind::Mlp => "MLP".into(),
            ModelKind::Cnn => format!(
                "LeNet-style CNN, convolutions as {}",
                match t.conv_tap {
                    ConvTap::ChannelMean => "channel means",
                    ConvTap::Flatten => "flattened maps",
                }
            ),
        })
    }

    /// The provenance of a run that read `inputs`.
    fn provenance(&self, inputs: Vec<InputFile>) -> Provenance {
        Provenance {
            mtq_version: env!("CARGO_PKG_VERSION").into(),
            command: Vec::new(),
            options: self.options(),
            seeds: self.seeds.clone(),
            inputs,
        }
    }

    /// Every option as run.
    fn options(&self) -> Vec<OptionValue> {
        let list = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        let mut o = Vec::new();
        let mut put = |name: &str, value: String| {
            o.push(OptionValue {
                name: name.into(),
                value,
            });
        };
        match &self.data {
            DataSource::Mnist {
                dir,
                classes,
                unseen,
            } => {
                put(
                    "data",
                    dir.as_ref().map_or_else(
                        || "mnist (embedded sample)".into(),
                        |d| format!("mnist {}", d.display()),
                    ),
                );
                put("classes", list(classes));
                put("inject", list(unseen));
            }
            DataSource::UciDigits { classes, unseen } => {
                put("data", "uci-digits".into());
                put("classes", list(classes));
                put("inject", list(unseen));
            }
            DataSource::BreastCancer => put("data", "breast-cancer".into()),
            DataSource::InMemory => put("data", "sets given in memory".into()),
            DataSource::Arrays { x, y, unseen } => {
                put("x", x.display().to_string());
                put("y", y.display().to_string());
                for (n, p) in unseen {
                    put("unseen", format!("{n}={}", p.display()));
                }
            }
            DataSource::Activations {
                layers,
                reference,
                test,
                calibration,
                unseen,
                classes,
            } => {
                put("layers", layers.join(","));
                put("reference", reference.display().to_string());
                if let Some(t) = test {
                    put("test", t.display().to_string());
                }
                if let Some(c) = calibration {
                    put("calibration", c.display().to_string());
                }
                for (n, p) in unseen {
                    put("unseen", format!("{n}={}", p.display()));
                }
                if let Some(c) = classes {
                    put("classes", c.join(","));
                }
            }
        }
        match &self.network {
            Network::Train(t) => {
                match t.kind {
                    ModelKind::Mlp => {
                        put("model", "mlp".into());
                        put("hidden", list(&t.hidden));
                    }
                    ModelKind::Cnn => {
                        put("model", "cnn".into());
                        put("conv_tap", tap_name(t.conv_tap).into());
                    }
                }
                put("epochs", t.epochs.to_string());
            }
            Network::Weights {
                path,
                activation,
                layout,
            } => {
                put("weights", path.display().to_string());
                put(
                    "activation",
                    match activation {
                        Activation::Relu => "relu",
                        Activation::Tanh => "tanh",
                        Activation::Sigmoid => "sigmoid",
                        Activation::Gelu => "gelu",
                    }
                    .into(),
                );
                put(
                    "weight_layout",
                    match layout {
                        WeightLayout::OutIn => "out-in",
                        WeightLayout::InOut => "in-out",
                    }
                    .into(),
                );
            }
            #[cfg(feature = "onnx")]
            Network::Onnx {
                path,
                layers,
                conv_tap,
                token_pool,
            } => {
                put("onnx", path.display().to_string());
                if let Some(l) = layers {
                    put("layers", l.join(","));
                }
                put("conv_tap", tap_name(*conv_tap).into());
                put("token_pool", token_pool.name().into());
            }
            Network::Given { name, .. } => put("network", name.clone()),
            Network::None => {}
        }
        put("k_min", self.k_min.to_string());
        put("k_max", self.k_max.to_string());
        if let Some(s) = self.silhouette_sample {
            put("silhouette_sample", s.to_string());
        }
        put(
            "seeds",
            self.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        );
        put(
            "device",
            if self.device.is_cpu() { "cpu" } else { "cuda" }.into(),
        );
        o
    }

    fn finish(
        &self,
        runs: Vec<StudyRun>,
        facts: RunFacts,
        images: Option<Images>,
    ) -> Result<StudyOutcome> {
        let stability = if runs.len() > 1 {
            let pairs: Vec<_> = runs.iter().map(|r| (&r.model, &r.result)).collect();
            Some(stability(&pairs)?)
        } else {
            None
        };
        Ok(StudyOutcome {
            runs,
            stability,
            facts,
            images,
        })
    }
}

/// A convolution tap as the command line names it.
fn tap_name(tap: ConvTap) -> &'static str {
    match tap {
        ConvTap::ChannelMean => "mean",
        ConvTap::Flatten => "flatten",
    }
}

/// `[("4", 191)]` as owned pairs.
fn sizes<'a>(sets: impl Iterator<Item = (&'a String, usize)>) -> Vec<(String, usize)> {
    sets.map(|(n, c)| (n.clone(), c)).collect()
}

/// The sets of a study of activations.
struct ActivationSets<'a> {
    reference: &'a NpySet,
    test: Option<&'a NpySet>,
    calibration: Option<&'a NpySet>,
    unseen: &'a [(String, NpySet)],
}

/// One seed's study of activations already extracted.
fn study_activations(
    sweep: &Sweep,
    layers: &[String],
    seed: u64,
    sets: &ActivationSets<'_>,
    progress: &mut dyn FnMut(Stage),
) -> Result<StudyRun> {
    let ActivationSets {
        reference,
        test,
        calibration,
        unseen,
    } = *sets;
    let test_accuracy = test.and_then(|t| {
        let (p, l) = (t.probabilities.as_ref()?, t.labels.as_ref()?);
        (p.nrows() == l.len()).then(|| seed::accuracy(p.view(), l.view()))?
    });
    let input = StudyInput {
        seed,
        test_accuracy,
        reference: reference.samples(),
        test: test.map(NpySet::samples),
        calibration: calibration.map(NpySet::samples),
        unseen: unseen
            .iter()
            .map(|(n, s)| UnseenSet {
                name: n.clone(),
                samples: s.samples(),
            })
            .collect(),
    };
    let (model, result) = sweep.fit_and_study(layers.to_vec(), &input, progress)?;
    Ok(StudyRun {
        network: reference.layers.iter().map(|l| l.ncols()).collect(),
        epochs: None,
        model,
        result,
        test_activations: sweep
            .keep_test_activations
            .then(|| test.map(|t| t.layers.clone()))
            .flatten(),
    })
}
