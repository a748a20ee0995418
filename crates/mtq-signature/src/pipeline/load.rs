//! A study's data read from its [`DataSource`]: the sets of a network's inputs, or activations
//! already extracted.

use std::path::{Path, PathBuf};

use mtq_data::{BreastCancer, Dataset, Mnist, MnistPaths, Scaler, UciDigits};

use super::error::{Result, StudyError, StudyOption};
use super::facts::Images;
use super::spec::{DataSource, Network, Study};
use crate::npy_sets::NpySet;
use crate::provenance::InputFile;

/// Fraction of each class held out as the test set, where a data set has no split of its own.
pub const TEST_FRACTION: f64 = 0.25;

/// Fraction of each class of the training split held out of training as the path monitor's
/// calibration set, where the study trains the network (seeded by the first seed).
pub const CALIBRATION_FRACTION: f64 = 0.2;

/// Fraction of each class of the test set taken as the calibration set (and left out of every
/// evaluation), where the network was trained elsewhere and no calibration set is given: its
/// training samples are unknown, so only the test set is known to be unseen by it.
pub const TEST_CALIBRATION_FRACTION: f64 = 0.5;

/// Where a study's calibration set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CalibrationSource {
    /// A seeded share of the training split, held out before training
    /// ([`CALIBRATION_FRACTION`]).
    HeldOutOfTraining,
    /// A seeded share of the test set ([`TEST_CALIBRATION_FRACTION`]), left out of every
    /// evaluation.
    TestShare,
    /// A set given by the user (its path).
    Given(PathBuf),
    /// A set given in memory ([`SetsInMemory::calibration`]).
    GivenInMemory,
}

/// Sets of activations held in memory (e.g. numpy arrays handed over from Python), studied by
/// [`Study::run_sets`](super::Study::run_sets) as `mtq npy` studies the same arrays in files:
/// the same class relabelling, calibration share and checks.
#[derive(Debug, Clone)]
pub struct SetsInMemory {
    /// Layer names in network order, one per matrix of every set.
    pub layers: Vec<String>,
    /// The reference set (labels required).
    pub reference: NpySet,
    /// The in-distribution test set.
    pub test: Option<NpySet>,
    /// The path monitor's calibration set; `None`: a seeded half of the test set, left out of
    /// every evaluation.
    pub calibration: Option<NpySet>,
    /// Unseen sets: a name and its set (labels ignored).
    pub unseen: Vec<(String, NpySet)>,
    /// Class names, one per label index; `None`: the reference's distinct label values.
    pub classes: Option<Vec<String>>,
}

/// The inputs of a study whose network runs on them.
#[derive(Debug, Clone)]
pub struct StudyData {
    /// Training samples of the learned classes (the reference set).
    pub train: Dataset,
    /// Test samples of the learned classes.
    pub test: Dataset,
    /// Calibration samples of the learned classes: never trained on, never evaluated (held
    /// out by the loading; `None` only as a source first reads its data).
    pub calibration: Option<Dataset>,
    /// The samples of each unseen class, with its name.
    pub unseen: Vec<(String, Dataset)>,
}

/// What a source gave, before any network runs.
pub(crate) enum Loaded {
    /// A network's inputs.
    Inputs {
        /// Boxed: the variant holds three data sets.
        data: Box<StudyData>,
        /// The learned classes' names, one per label index.
        classes: Vec<String>,
        /// What the data is, for the report: `embedded MNIST sample, digits 1/7`.
        description: String,
        /// The reference set's and the test set's display names.
        names: (String, String),
        /// The images, as thumbnails (image data only; drawn by [`load`] from the sets as
        /// split, before any scaling).
        images: Option<Images>,
        /// The files read.
        files: Vec<InputFile>,
        /// Whether every set is standardised by the statistics of the training split (the
        /// reference, calibration excluded), once the calibration share is held out.
        standardize: bool,
    },
    /// Activations already extracted.
    Activations {
        /// The layers read, in network order.
        layers: Vec<String>,
        /// What the data is, for the report: the reference set's path as given.
        description: String,
        /// Boxed, as the test set: a set holds its layers, labels, ids and images.
        reference: Box<NpySet>,
        test: Option<Box<NpySet>>,
        /// The calibration set and where it comes from (`None` without a test set or one of
        /// its own).
        calibration: Option<(Box<NpySet>, CalibrationSource)>,
        unseen: Vec<(String, NpySet)>,
        classes: Vec<String>,
        images: Option<Images>,
        files: Vec<InputFile>,
    },
}

/// A set of activations (a prefix's `.npy` files, or a saved folder), and its files for the
/// provenance (`role` names them).
fn read_set(role: &str, path: &Path, layers: &[String]) -> Result<(NpySet, Vec<InputFile>)> {
    Ok(match NpySet::saved_folder(path) {
        Some(dir) => (
            NpySet::read_saved(dir, Some(layers))?,
            InputFile::read_folder(role, dir)?,
        ),
        None => (
            NpySet::read(path, layers)?,
            InputFile::read_set(role, path, layers)?,
        ),
    })
}

/// `1/7`.
pub(crate) fn digits(d: &[usize]) -> String {
    d.iter().map(usize::to_string).collect::<Vec<_>>().join("/")
}

/// Reads the study's data, the calibration set held out.
pub(crate) fn load(study: &Study) -> Result<Loaded> {
    let split_seed = study.seeds.first().copied().unwrap_or(0);
    let trains = matches!(study.network, Network::Train(_));
    Ok(match read(study, split_seed, trains)? {
        Loaded::Inputs {
            mut data,
            classes,
            description,
            names,
            images: _,
            files,
            standardize,
        } => {
            let cal_seed = calibration_seed(split_seed);
            if trains {
                let (train, cal) = data
                    .train
                    .stratified_split(CALIBRATION_FRACTION, cal_seed)?;
                data.train = train;
                data.calibration = Some(cal);
            } else {
                let (test, cal) = data
                    .test
                    .stratified_split(TEST_CALIBRATION_FRACTION, cal_seed)?;
                data.test = test;
                data.calibration = Some(cal);
            }
            // the thumbnails show the samples as given, before any scaling
            let images = Images::of(&data);
            if standardize {
                // fitted on the training rows alone: no statistic of the calibration, test or
                // unseen samples leaks into the network's inputs
                let scaler = Scaler::standard(data.train.features())?;
                data.train = scaler.apply(&data.train)?;
                data.test = scaler.apply(&data.test)?;
                if let Some(c) = &data.calibration {
                    data.calibration = Some(scaler.apply(c)?);
                }
                for (_, d) in &mut data.unseen {
                    *d = scaler.apply(d)?;
                }
            }
            Loaded::Inputs {
                images,
                data,
                classes,
                description,
                names,
                files,
                standardize,
            }
        }
        activations => activations,
    })
}

/// The seed of the calibration share held out of a study whose first seed is `split_seed`: its
/// own stream, not the train/test split's.
#[must_use]
pub fn calibration_seed(split_seed: u64) -> u64 {
    split_seed ^ 0xC0FF_EE00_CA11_B8A7
}

/// Reads the study's data as its source gives it.
fn read(study: &Study, split_seed: u64, trains: bool) -> Result<Loaded> {
    match &study.data {
        DataSource::Mnist {
            dir,
            classes,
            unseen,
        } => load_mnist(dir.as_deref(), classes, unseen),
        DataSource::UciDigits { classes, unseen } => {
            let all = UciDigits::embedded()?;
            let learned = all.select_classes(classes)?;
            let (train, test) = learned.stratified_split(TEST_FRACTION, split_seed)?;
            let unseen = unseen
                .iter()
                .map(|&d| Ok((d.to_string(), all.select_classes(&[d])?)))
                .collect::<Result<Vec<_>>>()?;
            let data = StudyData {
                train,
                test,
                calibration: None,
                unseen,
            };
            Ok(Loaded::Inputs {
                standardize: false,
                images: None,
                data: Box::new(data),
                classes: classes.iter().map(usize::to_string).collect(),
                description: format!("UCI 8x8 digits, {}", digits(classes)),
                names: ("train".into(), "test".into()),
                files: Vec::new(),
            })
        }
        DataSource::BreastCancer => {
            let (train, test) =
                BreastCancer::embedded()?.stratified_split(TEST_FRACTION, split_seed)?;
            Ok(Loaded::Inputs {
                standardize: true,
                data: Box::new(StudyData {
                    train,
                    test,
                    calibration: None,
                    unseen: Vec::new(),
                }),
                classes: BreastCancer::CLASS_NAMES.map(String::from).to_vec(),
                description: "Breast Cancer Wisconsin".into(),
                names: ("train".into(), "test".into()),
                images: None,
                files: Vec::new(),
            })
        }
        DataSource::Arrays { x, y, unseen } => load_arrays(x, y, unseen, split_seed, trains),
        DataSource::InMemory => Err(StudyError::option(
            StudyOption::Data,
            "in memory: its sets are given to Study::run_sets, not read by Study::run",
        )),
        DataSource::Activations {
            layers,
            reference,
            test,
            calibration,
            unseen,
            classes,
        } => load_activations(
            layers,
            reference,
            test.as_deref(),
            calibration.as_deref(),
            unseen,
            classes.as_deref(),
            split_seed,
        ),
    }
}

fn load_mnist(dir: Option<&Path>, classes: &[usize], unseen: &[usize]) -> Result<Loaded> {
    let mut used: Vec<usize> = classes.iter().chain(unseen).copied().collect();
    used.sort_unstable();
    let mut learned = classes.to_vec();
    learned.sort_unstable();
    let (mnist, files) = match dir {
        Some(dir) => {
            let paths = MnistPaths::in_dir(dir)?;
            let files = [
                ("train images", &paths.train_images),
                ("train labels", &paths.train_labels),
                ("test images", &paths.test_images),
                ("test labels", &paths.test_labels),
            ]
            .into_iter()
            .map(|(role, p)| InputFile::read(role, p))
            .collect::<Result<Vec<_>>>()?;
            (Mnist::from_dir_splits(dir, &learned, &used)?, files)
        }
        None => (Mnist::embedded()?, Vec::new()),
    };
    // the unseen digits come from the test split only
    let (train, test_all) = mnist.into_split();
    let unseen_sets = unseen
        .iter()
        .map(|&d| Ok((d.to_string(), test_all.select_classes(&[d])?)))
        .collect::<Result<Vec<_>>>()?;
    let data = StudyData {
        train: train.into_classes(classes)?,
        test: test_all.into_classes(classes)?,
        calibration: None,
        unseen: unseen_sets,
    };
    let source = if dir.is_some() {
        "MNIST"
    } else {
        "embedded MNIST sample"
    };
    let names = digits(classes);
    Ok(Loaded::Inputs {
        standardize: false,
        images: None,
        data: Box::new(data),
        classes: classes.iter().map(usize::to_string).collect(),
        description: format!("{source}, digits {names}"),
        names: (format!("train {names}"), format!("{names} test")),
        files,
    })
}

fn load_arrays(
    x: &Path,
    y: &Path,
    unseen: &[(String, PathBuf)],
    seed: u64,
    standardize: bool,
) -> Result<Loaded> {
    let mut files = vec![InputFile::read("x", x)?, InputFile::read("y", y)?];
    let all = Dataset::from_npy(x, y)?.relabel();
    let classes: Vec<String> = all.classes().iter().map(usize::to_string).collect();
    if classes.len() < 2 {
        return Err(StudyError::OneClass {
            set: y.display().to_string(),
            n_classes: classes.len(),
            classes: classes.join(", "),
        });
    }
    let (train, test) = all.stratified_split(TEST_FRACTION, seed)?;
    let mut sets = Vec::with_capacity(unseen.len());
    for (name, path) in unseen {
        files.push(InputFile::read(&format!("unseen {name}"), path)?);
        let d = Dataset::from_npy_unlabelled(path)?;
        if d.n_features() != all.n_features() {
            return Err(StudyError::WidthMismatch {
                name: name.clone(),
                path: path.clone(),
                found: d.n_features(),
                reference: x.to_path_buf(),
                expected: all.n_features(),
            });
        }
        if let (Some(found), Some(expected)) = (d.sample_shape(), all.sample_shape())
            && found != expected
        {
            return Err(StudyError::ShapeMismatch {
                name: name.clone(),
                path: path.clone(),
                found: found.to_vec(),
                reference: x.to_path_buf(),
                expected: expected.to_vec(),
            });
        }
        sets.push((name.clone(), d));
    }
    Ok(Loaded::Inputs {
        standardize,
        data: Box::new(StudyData {
            train,
            test,
            calibration: None,
            unseen: sets,
        }),
        classes,
        description: x.display().to_string(),
        names: ("train".into(), "test".into()),
        images: None,
        files,
    })
}

fn load_activations(
    layers: &[String],
    reference: &Path,
    test: Option<&Path>,
    calibration: Option<&Path>,
    unseen: &[(String, PathBuf)],
    classes: Option<&[String]>,
    seed: u64,
) -> Result<Loaded> {
    let (reference_set, mut files) = read_set("reference", reference, layers)?;
    if reference_set.labels.is_none() {
        return Err(StudyError::NoLabels {
            file: crate::npy_sets::npy_file(reference, "labels"),
        });
    }
    let test_set = match test {
        Some(p) => {
            let (set, set_files) = read_set("test", p, layers)?;
            files.extend(set_files);
            Some(set)
        }
        None => None,
    };
    let calibration_set = match calibration {
        Some(p) => {
            let (set, set_files) = read_set("calibration", p, layers)?;
            files.extend(set_files);
            Some(set)
        }
        None => None,
    };
    let mut unseen_sets = Vec::with_capacity(unseen.len());
    for (name, p) in unseen {
        let (set, set_files) = read_set(&format!("unseen {name}"), p, layers)?;
        files.extend(set_files);
        unseen_sets.push((name.clone(), set));
    }
    let sets = SetsInMemory {
        layers: layers.to_vec(),
        reference: reference_set,
        test: test_set,
        calibration: calibration_set,
        unseen: unseen_sets,
        classes: classes.map(<[String]>::to_vec),
    };
    let given = CalibrationSource::Given(calibration.map(Path::to_path_buf).unwrap_or_default());
    let names = (
        reference.display().to_string(),
        format!("{}_labels.npy", reference.display()),
    );
    activation_sets(sets, given, seed, names, files)
}

/// The sets of a study of activations, read or given: the classes (named, or the reference's
/// label values, every set relabelled to them), at least two of them in the reference, the
/// calibration set (`given`, where a set of its own comes from; else a share of the test set
/// drawn from `seed`), the unseen sets unlabelled, the thumbnails. `names` are the data's
/// description and how to name the reference's labels in an error; `files`, those read.
fn activation_sets(
    sets: SetsInMemory,
    given: CalibrationSource,
    seed: u64,
    (description, labels_name): (String, String),
    files: Vec<InputFile>,
) -> Result<Loaded> {
    let SetsInMemory {
        layers,
        reference: mut reference_set,
        test: mut test_set,
        calibration,
        unseen: unseen_sets,
        classes,
    } = sets;
    let mut calibration_set = calibration.map(|c| (c, given));
    // Without class names, the classes are the label values the reference has (labels 1 and
    // 7 make two classes named "1" and "7", not eight of which six are empty).
    let classes = match classes {
        Some(c) => c,
        None => {
            let values = reference_set.label_values();
            reference_set.relabel("reference", &values)?;
            if let Some(t) = &mut test_set {
                t.relabel("test", &values)?;
            }
            if let Some((c, _)) = &mut calibration_set {
                c.relabel("calibration", &values)?;
            }
            values.iter().map(usize::to_string).collect()
        }
    };
    let present = reference_set.label_values();
    if present.len() < 2 {
        return Err(StudyError::OneClass {
            set: labels_name,
            n_classes: present.len(),
            classes: present
                .iter()
                .map(|&c| classes.get(c).cloned().unwrap_or_else(|| c.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let calibration = match calibration_set {
        Some((set, source)) => Some((Box::new(set), source)),
        None => match test_set.take() {
            Some(t) => {
                let (rest, share) =
                    t.split_share(TEST_CALIBRATION_FRACTION, calibration_seed(seed))?;
                test_set = Some(rest);
                Some((Box::new(share), CalibrationSource::TestShare))
            }
            None => None,
        },
    };
    let mut sets = unseen_sets;
    for (_, set) in &mut sets {
        // An unseen set is named, not labelled: its class is its name (labels it may carry,
        // e.g. a saved folder's, index no learned class).
        set.labels = None;
    }
    let mut named = vec![
        ("reference".to_string(), reference_set.images.as_ref()),
        (
            "test".to_string(),
            test_set.as_ref().and_then(|t| t.images.as_ref()),
        ),
    ];
    named.extend(
        sets.iter()
            .map(|(n, s)| (format!("unseen:{n}"), s.images.as_ref())),
    );
    let images = Images::of_arrays(&named);
    Ok(Loaded::Activations {
        layers,
        description,
        images,
        reference: Box::new(reference_set),
        test: test_set.map(Box::new),
        calibration,
        unseen: sets,
        classes,
        files,
    })
}

/// The [`Loaded`] sets of a study of sets held in memory, after the checks `read_set` makes of
/// files: every set has one matrix per layer, all of its rows, and as many labels, ids and
/// probability rows as rows; the calibration share of the test set is drawn from `seed`.
pub(crate) fn in_memory(sets: SetsInMemory, seed: u64) -> Result<Loaded> {
    let mut named: Vec<(String, &NpySet)> = vec![("reference".into(), &sets.reference)];
    named.extend(sets.test.iter().map(|t| ("test".to_string(), t)));
    named.extend(
        sets.calibration
            .iter()
            .map(|c| ("calibration".to_string(), c)),
    );
    named.extend(sets.unseen.iter().map(|(n, s)| (format!("unseen {n}"), s)));
    for (name, set) in &named {
        set.check_shape(name, &sets.layers, &sets.reference)?;
    }
    if sets.reference.labels.is_none() {
        return Err(StudyError::NoLabels {
            file: PathBuf::from("the reference set's labels"),
        });
    }
    let names = (
        "sets given in memory".to_string(),
        "the reference set's labels".to_string(),
    );
    activation_sets(
        sets,
        CalibrationSource::GivenInMemory,
        seed,
        names,
        Vec::new(),
    )
}
