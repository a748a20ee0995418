//! Sets read from `.npy` files written by numpy (`tests/fixtures/make_npy_fixture.py`): the
//! analysis runs on them end to end, and bad files give typed errors.

use std::path::PathBuf;

use mtq_signature::{
    KRange, NpySet, ScoreId, ScoreKind, SignatureError, SignatureParams, StudyInput, Task,
    UnseenSet,
};

fn fixture(prefix: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/npy")
        .join(prefix)
}

fn layers() -> Vec<String> {
    vec!["h1".into(), "h2".into()]
}

#[test]
fn numpy_sets_load_with_labels_and_probabilities() {
    let train = NpySet::read(fixture("train"), &layers()).unwrap();
    assert_eq!(train.layers[0].dim(), (90, 3));
    assert_eq!(train.layers[1].dim(), (90, 2)); // float64 in the file
    let labels = train.labels.as_ref().unwrap();
    assert_eq!(labels.iter().filter(|&&y| y == 0).count(), 60);
    assert_eq!(train.probabilities.as_ref().unwrap().dim(), (90, 2));
    let unseen = NpySet::read(fixture("unseen"), &layers()).unwrap();
    assert!(unseen.labels.is_none());
    assert_eq!(unseen.samples().len(), 12);
}

#[test]
fn the_whole_study_runs_on_numpy_activations() {
    let train = NpySet::read(fixture("train"), &layers()).unwrap();
    let test = NpySet::read(fixture("test"), &layers()).unwrap();
    let unseen = NpySet::read(fixture("unseen"), &layers()).unwrap();
    let model = SignatureParams::new(layers(), ["a", "b"])
        .k_range(KRange::new(2, 5).unwrap())
        .n_init(3)
        .knn_ks(vec![1, 3])
        .fit(&train.samples())
        .unwrap();
    assert_eq!(model.layers()[0].k(), 3);
    // the test set's halves: one calibrates the monitor, the other is evaluated
    let (test, calibration) = test.split_share(0.5, 0).unwrap();
    let input = StudyInput {
        seed: 0,
        test_accuracy: None,
        reference: train.samples(),
        test: Some(test.samples()),
        calibration: Some(calibration.samples()),
        unseen: vec![UnseenSet {
            name: "u".into(),
            samples: unseen.samples(),
        }],
    };
    let res = model.study(&input).unwrap();
    // The unseen point sits far from every blob in h1: kNN separates it perfectly.
    let knn = ScoreId::of_layer(ScoreKind::Knn { k: 1, l2: false }, "h1");
    let task = Task { unseen: "u".into() };
    assert!(res.auroc(&knn, &task).unwrap() > 0.99);
    let trusted = res.trusted.clone().unwrap().score;
    assert!(res.auroc(&trusted, &task).unwrap() > 0.99);
    assert_eq!(
        res.sets.iter().map(|s| s.len()).collect::<Vec<_>>(),
        [90, 15, 12]
    );
    // The fixture has probabilities: every set has predictions.
    assert!(res.sets.iter().all(|s| s.trace.predictions.is_some()));
}

#[test]
fn missing_or_bad_files_are_typed_errors() {
    let err = NpySet::read(fixture("nope"), &layers()).unwrap_err();
    assert!(matches!(err, SignatureError::Activations(_)), "{err:?}");
    // A labels file read as a matrix: wrong rank.
    let err = NpySet::read(fixture("train"), &["labels".to_string()]).unwrap_err();
    assert!(matches!(err, SignatureError::Activations(_)), "{err:?}");
}
