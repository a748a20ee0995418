//! The MNIST study as a library on the embedded sample: one seed's run is repeatable (whole, or
//! in its two halves with the data dropped in between), and the stability of several seeds is
//! measured on the same reference set.

use mtq_signature::pipeline::{MnistStudy, Stage};
use mtq_signature::{ScoreId, ScoreKind, SetRole, stability};

fn quick() -> MnistStudy {
    MnistStudy {
        epochs: 1,
        k_max: 3,
        ..MnistStudy::new()
    }
}

#[test]
fn a_seed_runs_the_whole_study_and_repeats_exactly() {
    let study = quick();
    let data = study.load().unwrap();
    assert_eq!((data.train.n_samples(), data.test.n_samples()), (1755, 442));
    let mut stages = Vec::new();
    let a = study.run(&data, 3, &mut |s| stages.push(s)).unwrap();
    assert!(matches!(stages[0], Stage::Trained { seed: 3, .. }));
    assert!(matches!(
        stages.last(),
        Some(Stage::Studied { seed: 3, .. })
    ));
    assert_eq!(a.network, [784, 32, 64, 2]);
    assert_eq!(a.model.layer_names(), ["h1", "h2", "out"]);
    let roles: Vec<SetRole> = a.result.sets.iter().map(|s| s.role.clone()).collect();
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
        a.result.trusted.score,
        ScoreId::of_layer(ScoreKind::Knn { k: 1, l2: true }, "h1")
    );
    assert!(a.result.test_accuracy.unwrap() > 0.9);
    // the same study in its two halves, the data dropped in between
    let extracted = study.extract(&data, 3, &mut |_| {}).unwrap();
    assert_eq!(
        (extracted.seed(), extracted.accuracy()),
        (3, a.result.test_accuracy)
    );
    drop(data);
    // a study of three classes refuses a run extracted for two
    let three = MnistStudy {
        classes: vec![1, 7, 4],
        ..quick()
    };
    assert!(matches!(
        three.study(extracted.clone(), &mut |_| {}),
        Err(mtq_signature::SignatureError::ModelMismatch {
            what: "number of classes",
            model: 2,
            data: 3
        })
    ));
    let b = study.study(extracted, &mut |_| {}).unwrap();
    assert_eq!((&b.network, b.epochs), (&a.network, a.epochs));
    assert_eq!(a.result.evaluations, b.result.evaluations);
    assert_eq!(a.result.strangers, b.result.strangers);
}

#[test]
fn stability_compares_seeds_on_the_same_reference() {
    let study = quick();
    let data = study.load().unwrap();
    let runs: Vec<_> = [0, 1]
        .iter()
        .map(|&s| study.run(&data, s, &mut |_| {}).unwrap())
        .collect();
    let pairs: Vec<_> = runs.iter().map(|r| (&r.model, &r.result)).collect();
    let s = stability(&pairs).unwrap();
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
    // A run is its own perfect match.
    let same = stability(&[pairs[0], pairs[0]]).unwrap();
    assert!(same.same_k && same.same_redundancy);
    assert!(
        same.partition_ari
            .iter()
            .all(|v| (v[0] - 1.0).abs() < 1e-12)
    );
}

#[test]
fn a_given_network_goes_through_the_same_study_as_a_trained_one() {
    use mtq_model::{Device, Mlp, MlpConfig, TrainConfig};
    use mtq_signature::SignatureError;
    use mtq_signature::pipeline::ModelKind;

    let study = quick();
    let data = study.load().unwrap();
    let trained = study.run(&data, 1, &mut |_| {}).unwrap();
    // the same network trained outside the study, then given to it
    let config = MlpConfig::new(784, study.hidden.clone(), 2);
    let mut mlp = Mlp::new(config, 1, &Device::Cpu).unwrap();
    mlp.train(
        &data.train,
        &TrainConfig::new().epochs(study.epochs).seed(1),
    )
    .unwrap();
    let mut stages = Vec::new();
    let given = study
        .run_model(&mlp, &data, 1, &mut |s| stages.push(s))
        .unwrap();
    assert!(matches!(
        stages[0],
        Stage::Evaluated {
            seed: 1,
            accuracy: Some(_)
        }
    ));
    assert_eq!(
        (given.network.clone(), given.epochs),
        (trained.network.clone(), 0)
    );
    // accuracy from the extracted probabilities = the model's own evaluation
    assert_eq!(given.result.test_accuracy, trained.result.test_accuracy);
    assert_eq!(given.model.layer_names(), trained.model.layer_names());
    for (g, t) in given.result.sets.iter().zip(&trained.result.sets) {
        assert_eq!(g.trace.clusters, t.trace.clusters);
        assert_eq!(g.trace.predictions, t.trace.predictions);
    }
    // a network of another input width is refused before any work
    let small = Mlp::new(MlpConfig::new(12, [4], 2), 0, &Device::Cpu).unwrap();
    let err = study.run_model(&small, &data, 0, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            SignatureError::ModelMismatch {
                what: "input width",
                model: 12,
                data: 784
            }
        ),
        "{err}"
    );
    // and one predicting three classes for two
    let three = Mlp::new(MlpConfig::new(784, [4], 3), 0, &Device::Cpu).unwrap();
    let err = study.run_model(&three, &data, 0, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            SignatureError::ModelMismatch {
                model: 3,
                data: 2,
                ..
            }
        ),
        "{err}"
    );
    // the CNN needs images
    let mut flat = data.clone();
    flat.train = mtq_data::Dataset::new(
        flat.train.features().to_owned(),
        flat.train.labels().to_owned(),
    )
    .unwrap();
    let cnn = MnistStudy {
        model: ModelKind::Cnn,
        ..quick()
    };
    let err = cnn.run(&flat, 0, &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, SignatureError::NotImages { n_features: 784 }),
        "{err}"
    );
}
