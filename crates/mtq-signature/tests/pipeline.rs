//! The study runner on the embedded sample: one seed's study is repeatable, several seeds give
//! their stability, a network given by value goes through the same study as a trained one,
//! and a network or data that cannot fit is refused with the error that names it.

use std::sync::Arc;

use mtq_model::{Device, Mlp, MlpConfig, TrainConfig};
use mtq_signature::pipeline::{
    DataSource, Network, Stage, Study, StudyError, StudyOutcome, Training,
};
use mtq_signature::{ScoreId, ScoreKind, SetRole};

fn quick(seeds: &[u64]) -> Study {
    Study {
        network: Network::Train(Training::mlp(vec![32, 64], 1)),
        k_max: 3,
        seeds: seeds.to_vec(),
        ..Study::new()
    }
}

fn run(study: &Study) -> StudyOutcome {
    study.run(&mut |_| {}).expect("the study runs")
}

#[test]
fn a_seed_runs_the_whole_study_and_repeats_exactly() {
    let study = quick(&[3]);
    let mut stages = Vec::new();
    let a = study.run(&mut |s| stages.push(s)).unwrap();
    assert!(matches!(
        &stages[0],
        // a fifth of the 1,755 training digits held out of training to calibrate the monitor
        Stage::Loaded { reference: 1404, test: 442, calibration: 351, features: Some(784), unseen, .. }
            if unseen.iter().map(|(n, _)| n.as_str()).eq(["4", "3"])
    ));
    assert!(matches!(stages[1], Stage::Trained { seed: 3, .. }));
    assert!(matches!(
        stages.last(),
        Some(Stage::Studied { seed: 3, .. })
    ));
    let first = a.first();
    assert_eq!(first.network, [784, 32, 64, 2]);
    assert_eq!(first.epochs, Some(1));
    assert_eq!(first.model.layer_names(), ["h1", "h2", "out"]);
    let roles: Vec<SetRole> = first.result.sets.iter().map(|s| s.role.clone()).collect();
    assert_eq!(
        roles,
        [
            SetRole::Reference,
            SetRole::Test,
            SetRole::Unseen("4".into()),
            SetRole::Unseen("3".into())
        ]
    );
    assert_eq!(
        first.result.trusted.as_ref().map(|t| &t.score),
        Some(&ScoreId::global(ScoreKind::Combined))
    );
    assert_eq!(
        a.facts.calibration,
        Some((
            mtq_signature::pipeline::CalibrationSource::HeldOutOfTraining,
            351
        ))
    );
    assert!(first.result.test_accuracy.unwrap() > 0.9);
    assert!(a.stability.is_none());
    // the facts the report words
    let f = &a.facts;
    assert_eq!(f.data, "embedded MNIST sample, digits 1/7");
    assert_eq!(
        (f.reference_name.as_str(), f.test_name.as_str()),
        ("train 1/7", "1/7 test")
    );
    assert_eq!(f.network.as_deref(), Some("MLP"));
    assert_eq!(f.k_range, (2, 3));
    assert_eq!(f.provenance.seeds, [3]);
    assert_eq!(f.provenance.mtq_version, env!("CARGO_PKG_VERSION"));
    assert!(
        f.provenance.inputs.is_empty(),
        "the embedded sample reads no file"
    );
    assert!(
        f.provenance
            .options
            .iter()
            .any(|o| o.name == "classes" && o.value == "1,7")
    );
    assert!(
        a.images
            .as_ref()
            .is_some_and(|i| i.width == 28 && i.sets.len() == 4)
    );
    // the same seed again: the same numbers
    let b = run(&study);
    assert_eq!(first.result.evaluations, b.first().result.evaluations);
    assert_eq!(first.result.strangers, b.first().result.strangers);
}

#[test]
fn several_seeds_give_their_stability() {
    let outcome = run(&quick(&[0, 1]));
    assert_eq!(outcome.runs.len(), 2);
    let s = outcome.stability.expect("two seeds");
    assert_eq!(s.seeds, [0, 1]);
    assert_eq!(s.per_seed.len(), 2);
    assert_eq!(s.per_seed[1].ks.len(), 3);
    assert_eq!(s.tasks.len(), 2);
    // One pair of seeds per layer; the 1s/7s split is found by every seed.
    assert!(s.partition_ari.iter().all(|v| v.len() == 1 && v[0] > 0.5));
    // Scores sorted by their worst task's mean AUROC, best first.
    assert!(
        s.scores
            .windows(2)
            .all(|w| w[0].worst_mean >= w[1].worst_mean)
    );
    assert_eq!(s.rank_correlation.len(), 1);
}

/// The MNIST 1s and 7s of the embedded sample's training split.
fn train_17() -> mtq_data::Dataset {
    let (train, _) = mtq_data::Mnist::embedded()
        .expect("the embedded sample")
        .into_split();
    train.into_classes(&[1, 7]).expect("1s and 7s")
}

fn given(model: Mlp) -> Study {
    Study {
        network: Network::Given {
            model: Arc::new(model),
            name: "mlp".into(),
        },
        ..quick(&[1])
    }
}

#[test]
fn a_given_network_goes_through_the_same_study_as_a_trained_one() {
    let trained = run(&quick(&[1]));
    // the same network trained outside the study (on the training split less the share the
    // study holds out for its calibration), then given to it
    let (train, _) = train_17()
        .stratified_split(
            mtq_signature::pipeline::CALIBRATION_FRACTION,
            mtq_signature::pipeline::calibration_seed(1),
        )
        .unwrap();
    let mut mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), 1, &Device::Cpu).unwrap();
    mlp.train(&train, &TrainConfig::new().epochs(1).seed(1))
        .unwrap();
    let mut stages = Vec::new();
    let outcome = given(mlp).run(&mut |s| stages.push(s)).unwrap();
    assert!(matches!(
        stages[1],
        Stage::Evaluated {
            seed: 1,
            accuracy: Some(_)
        }
    ));
    let (g, t) = (outcome.first(), trained.first());
    assert_eq!((&g.network, g.epochs), (&t.network, None));
    assert_eq!(g.model.layer_names(), t.model.layer_names());
    // a network trained elsewhere is calibrated on half the test set, kept out of the tasks
    assert_eq!(
        outcome.facts.calibration,
        Some((mtq_signature::pipeline::CalibrationSource::TestShare, 221))
    );
    assert_eq!(g.result.set(&SetRole::Test).unwrap().len(), 221);
    // the same network on the same unseen digits: the same predictions and probabilities
    for (g, t) in g.result.unseen().zip(t.result.unseen()) {
        assert_eq!(g.trace.predictions, t.trace.predictions);
        assert_eq!(g.trace.max_probability, t.trace.max_probability);
    }
}

#[test]
fn a_network_that_does_not_fit_the_data_is_refused() {
    // another input width
    let small = Mlp::new(MlpConfig::new(12, [4], 2), 0, &Device::Cpu).unwrap();
    let err = given(small).run(&mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            StudyError::ModelMismatch {
                what: "input width",
                model: 12,
                data: 784,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_usage());
    // three classes predicted for two
    let three = Mlp::new(MlpConfig::new(784, [4], 3), 0, &Device::Cpu).unwrap();
    let err = given(three).run(&mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            StudyError::ModelMismatch {
                model: 3,
                data: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_cnn_needs_images_and_one_class_is_not_a_study() {
    let dir = std::env::temp_dir().join(format!("mtq-pipeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let x = ndarray::Array2::from_shape_fn((40, 6), |(i, j)| ((i * 7 + j) % 11) as f32);
    let y = ndarray::Array1::from_shape_fn(40, |i| (i % 2) as i64);
    mtq_data::npy::write_npy(dir.join("x.npy"), &x).unwrap();
    mtq_data::npy::write_npy(dir.join("y.npy"), &y).unwrap();
    mtq_data::npy::write_npy(dir.join("one.npy"), &y.mapv(|_| 3i64)).unwrap();
    let arrays = |y: &str| DataSource::Arrays {
        x: dir.join("x.npy"),
        y: dir.join(y),
        unseen: Vec::new(),
    };
    let cnn = Study {
        data: arrays("y.npy"),
        network: Network::Train(Training::cnn(mtq_model::ConvTap::ChannelMean, 1)),
        ..Study::new()
    };
    let err = cnn.run(&mut |_| {}).unwrap_err();
    assert!(
        matches!(err, StudyError::NotImages { n_features: 6 }),
        "{err}"
    );
    let one = Study {
        data: arrays("one.npy"),
        ..quick(&[0])
    };
    let err = one.run(&mut |_| {}).unwrap_err();
    assert!(
        matches!(&err, StudyError::OneClass { n_classes: 1, set, .. } if set.ends_with("one.npy")),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A network given as a file is recorded from the study that ran it (kind, path, SHA-256,
/// options) and runs on new inputs as the study extracts them (hidden layers, then `out`); a
/// network the study trains is neither.
#[test]
fn a_network_file_is_recorded_and_runs_on_new_inputs() {
    use mtq_model::{Activation, WeightLayout};
    use mtq_signature::pipeline::{InputFile, OptionValue, Provenance};
    use mtq_signature::{NetworkKind, NetworkRecord};
    let path = std::path::PathBuf::from(format!(
        "{}/../mtq-model/tests/fixtures/torch_mlp.safetensors",
        env!("CARGO_MANIFEST_DIR")
    ));
    let network = Network::Weights {
        path: path.clone(),
        activation: Activation::Tanh,
        layout: WeightLayout::OutIn,
    };
    let dir = std::env::temp_dir().join(format!("mtq-pipeline-given-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let x = dir.join("x.npy");
    let rows = ndarray::Array2::from_shape_fn((5, 12), |(i, j)| (i * 12 + j) as f32 / 60.0);
    mtq_data::npy::write_npy(&x, &rows).unwrap();
    let (names, set) = network.layers_of(&x, &Device::Cpu).unwrap();
    assert_eq!(names.last().map(String::as_str), Some("out"));
    assert_eq!(set.layers.len(), names.len());
    assert!(set.layers.iter().all(|l| l.nrows() == 5));
    assert_eq!(set.probabilities.as_ref(), set.layers.last());
    assert_eq!(set.ids.as_ref().unwrap().to_vec(), vec![0, 1, 2, 3, 4]);
    let provenance = Provenance {
        mtq_version: String::new(),
        command: Vec::new(),
        options: [
            ("activation", "tanh"),
            ("weight_layout", "out-in"),
            ("k_max", "3"),
        ]
        .map(|(n, v)| OptionValue {
            name: n.into(),
            value: v.into(),
        })
        .to_vec(),
        seeds: vec![0],
        inputs: vec![InputFile::read("weights", &path).unwrap()],
    };
    let record = NetworkRecord::of_study(&network, &provenance).unwrap();
    assert_eq!(record.kind, NetworkKind::Weights);
    assert_eq!(record.file, path.display().to_string());
    assert_eq!(record.sha256, provenance.inputs[0].sha256);
    assert_eq!(
        record.options,
        [("activation", "tanh"), ("weight_layout", "out-in")]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    let trained = Network::Train(Training::mlp(vec![4], 1));
    assert!(NetworkRecord::of_study(&trained, &provenance).is_none());
    assert!(trained.layers_of(&x, &Device::Cpu).unwrap_err().is_usage());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A network whose input has a shape (e.g. `3 x 4 x 4`), wrapping a plain MLP.
struct Shaped(Mlp, Vec<usize>);

impl mtq_activations::LayerModel for Shaped {
    fn device(&self) -> &Device {
        mtq_activations::LayerModel::device(&self.0)
    }
    fn input_dim(&self) -> usize {
        mtq_activations::LayerModel::input_dim(&self.0)
    }
    fn input_shape(&self) -> Option<Vec<usize>> {
        Some(self.1.clone())
    }
    fn layers(&self) -> Vec<mtq_activations::LayerSpec> {
        mtq_activations::LayerModel::layers(&self.0)
    }
    fn forward_layers(
        &self,
        x: &mtq_model::Tensor,
    ) -> mtq_activations::Result<Vec<mtq_model::Tensor>> {
        mtq_activations::LayerModel::forward_layers(&self.0, x)
    }
}

/// Arrays of any rank keep their shape: `N x 3 x 4 x 4` colour images give colour thumbnails
/// (levels 0-255 kept), and data laid out otherwise (`N x 4 x 4 x 3`, the same width) is refused
/// by a network whose input is `3 x 4 x 4` and as an unseen set beside `3 x 4 x 4` training
/// samples, naming both shapes.
#[test]
fn arrays_of_any_rank_keep_their_shape_and_colour() {
    let dir = std::env::temp_dir().join(format!("mtq-rgb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // class 0 red, class 1 blue
    let x = ndarray::Array4::from_shape_fn((60, 3, 4, 4), |(i, c, r, k)| {
        let bright = c == 2 * (i % 2);
        (if bright { 200 } else { 20 } + (r * 4 + k + i) % 30) as f32
    });
    let y = ndarray::Array1::from_shape_fn(60, |i| (i % 2) as i64);
    let green = ndarray::Array4::from_shape_fn(
        (10, 3, 4, 4),
        |(_, c, _, _)| {
            if c == 1 { 220.0f32 } else { 10.0 }
        },
    );
    let nhwc = ndarray::Array4::<f32>::zeros((10, 4, 4, 3));
    for (name, a) in [("x", &x), ("green", &green), ("nhwc", &nhwc)] {
        mtq_data::npy::write_npy(dir.join(format!("{name}.npy")), a).unwrap();
    }
    mtq_data::npy::write_npy(dir.join("y.npy"), &y).unwrap();
    let arrays = |unseen: &str| DataSource::Arrays {
        x: dir.join("x.npy"),
        y: dir.join("y.npy"),
        unseen: vec![(unseen.to_string(), dir.join(format!("{unseen}.npy")))],
    };
    let outcome = run(&Study {
        data: arrays("green"),
        ..quick(&[0])
    });
    let images = outcome
        .images
        .as_ref()
        .expect("colour arrays give thumbnails");
    assert_eq!((images.width, images.height, images.channels), (4, 4, 3));
    let names: Vec<&str> = images.sets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["reference", "test", "unseen:green"]);
    let (_, greens) = &images.sets[2];
    assert_eq!(greens.len(), 10 * 4 * 4 * 3);
    assert_eq!(
        greens[..3],
        [10, 220, 10],
        "a pixel's channels together, as given"
    );
    for (_, bytes) in &images.sets[..2] {
        // every pixel is clearly red or clearly blue: the planes were interleaved per pixel
        assert!(
            bytes
                .chunks(3)
                .all(|p| p[1] < 60 && (p[0] > 190) != (p[2] > 190))
        );
    }

    let err = Study {
        data: arrays("nhwc"),
        ..quick(&[0])
    }
    .run(&mut |_| {})
    .unwrap_err();
    assert!(
        matches!(&err, StudyError::ShapeMismatch { name, found, expected, .. }
            if name == "nhwc" && found == &[4, 4, 3] && expected == &[3, 4, 4]),
        "{err}"
    );

    let shaped_as = |shape: &[usize]| Network::Given {
        model: Arc::new(Shaped(
            Mlp::new(MlpConfig::new(48, [8], 2), 0, &Device::Cpu).unwrap(),
            shape.to_vec(),
        )),
        name: "shaped".into(),
    };
    let shaped = || shaped_as(&[3, 4, 4]);
    mtq_data::npy::write_npy(
        dir.join("x_nhwc.npy"),
        &x.clone()
            .permuted_axes([0, 2, 3, 1])
            .as_standard_layout()
            .to_owned(),
    )
    .unwrap();
    let err = Study {
        data: DataSource::Arrays {
            x: dir.join("x_nhwc.npy"),
            y: dir.join("y.npy"),
            unseen: Vec::new(),
        },
        network: shaped(),
        ..quick(&[0])
    }
    .run(&mut |_| {})
    .unwrap_err();
    assert!(
        matches!(&err, StudyError::InputShape { model, data, .. }
            if model == &[3, 4, 4] && data == &[4, 4, 3]),
        "{err}"
    );
    // the network's own layout goes through, and a flat input (`48`, `1 x 48`) takes any
    // layout of its width
    for network in [shaped(), shaped_as(&[48]), shaped_as(&[1, 48])] {
        run(&Study {
            data: arrays("green"),
            network,
            ..quick(&[0])
        });
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sets_in_memory_are_studied_as_the_same_sets_in_files() {
    use mtq_signature::NpySet;
    use mtq_signature::pipeline::SetsInMemory;
    let dir = format!("{}/tests/fixtures/npy", env!("CARGO_MANIFEST_DIR"));
    let layers = vec!["h1".to_string(), "h2".to_string()];
    let prefix = |set: &str| std::path::PathBuf::from(format!("{dir}/{set}"));
    let files = Study {
        data: DataSource::Activations {
            layers: layers.clone(),
            reference: prefix("train"),
            test: Some(prefix("test")),
            calibration: None,
            unseen: vec![("u".into(), prefix("unseen"))],
            classes: None,
        },
        network: Network::None,
        k_max: 4,
        seeds: vec![0, 1],
        ..Study::new()
    };
    let from_files = run(&files);
    let read = |set: &str| NpySet::read(prefix(set), &layers).unwrap();
    let sets = SetsInMemory {
        layers: layers.clone(),
        reference: read("train"),
        test: Some(read("test")),
        calibration: None,
        unseen: vec![("u".into(), read("unseen"))],
        classes: None,
    };
    let memory = Study {
        data: DataSource::InMemory,
        ..files.clone()
    };
    let in_memory = memory.run_sets(sets.clone(), &mut |_| {}).unwrap();
    assert_eq!(in_memory.runs.len(), 2);
    for (a, b) in from_files.runs.iter().zip(&in_memory.runs) {
        let ks = |r: &mtq_signature::pipeline::StudyRun| -> Vec<usize> {
            r.model.layers().iter().map(|l| l.k()).collect()
        };
        assert_eq!(ks(a), ks(b));
        assert_eq!(a.result.evaluations, b.result.evaluations);
        assert_eq!(a.result.strangers, b.result.strangers);
        assert_eq!(a.result.test_accuracy, b.result.test_accuracy);
    }
    assert_eq!(from_files.stability, in_memory.stability);
    assert_eq!(in_memory.facts.data, "sets given in memory");
    // `run` refuses sets in memory; a set that does not fit the reference is named
    assert!(memory.run(&mut |_| {}).unwrap_err().is_usage());
    let mut short = sets.clone();
    short.test.as_mut().unwrap().labels = Some(ndarray::Array1::zeros(3));
    let e = memory.run_sets(short, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("test set, labels: expected"), "{e}");
    let mut narrow = sets;
    narrow.unseen[0].1.layers[1] = ndarray::Array2::zeros((5, 1));
    let e = memory
        .run_sets(narrow, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("layer h2"), "{e}");
}
