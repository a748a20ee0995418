//! The hostile-input cases of issue 13 (fixtures in `tests/fixtures/cases/`, see its README),
//! each tested for the behaviour a user should get, with siblings of each kind.

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use mtq_activations::ActivationsError;
use mtq_data::npy::write_npy;
use mtq_signature::{
    KRange, NpySet, ScoreKind, SetRole, SignatureError, SignatureModel, SignatureParams,
    StudyInput, StudyResult, SweepOutcome, UnseenSet,
};
use mtq_testkit::{LOCK, PeakAlloc, measure};
use ndarray::{Array1, Array2};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Every test holds the measurement lock: the counting allocator sees all threads, so a test
/// allocating beside a measured one would inflate its peak.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn case(dir: &str, prefix: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cases")
        .join(dir)
        .join(prefix)
}

fn layers() -> Vec<String> {
    vec!["h1".into(), "h2".into()]
}

/// A copy of a case directory in a fresh temp folder, to write siblings into.
fn scratch_copy(dir: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!("mtq-hostile-{dir}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let src = case(dir, "");
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, out.join(p.file_name().unwrap())).unwrap();
    }
    out
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s += &format!(": {c}");
        cur = c.source();
    }
    s
}

fn fit(reference: &NpySet, classes: &[&str]) -> SignatureModel {
    SignatureParams::new(layers(), classes.iter().copied())
        .k_range(KRange::new(2, 6).unwrap())
        .n_init(3)
        .knn_ks(vec![1, 3])
        .fit(&reference.samples())
        .unwrap()
}

fn study(
    model: &SignatureModel,
    reference: &NpySet,
    test: &NpySet,
    unseen: &NpySet,
) -> StudyResult {
    let input = StudyInput {
        seed: 0,
        test_accuracy: None,
        reference: reference.samples(),
        test: Some(test.samples()),
        // the hostile test set calibrates the monitor too: it must cope with the same data
        calibration: Some(test.samples()),
        unseen: vec![UnseenSet {
            name: "unseen".into(),
            samples: unseen.samples(),
        }],
    };
    model.study(&input).unwrap()
}

/// No `Ok` carries inf or NaN: every number of the sweep, the scores and the samples.
fn assert_finite(model: &SignatureModel, res: &StudyResult) {
    for l in model.layers() {
        let c = l.curve();
        assert!(
            c.silhouette.iter().chain(&c.inertia).all(|v| v.is_finite()),
            "{c:?}"
        );
    }
    assert!(res.test_accuracy.is_none_or(f64::is_finite));
    for e in &res.evaluations {
        let r = &e.roc;
        assert!(
            [r.auroc, r.fpr_at_95_tpr]
                .iter()
                .chain(&r.fpr)
                .chain(&r.tpr)
                .all(|v| v.is_finite()),
            "{} {}",
            e.score,
            e.task
        );
    }
    for s in &res.strangers {
        assert!(s.class_shares.iter().flatten().all(|v| v.is_finite()));
    }
    for set in &res.sets {
        let t = &set.trace;
        assert!(t.distances.iter().all(|v| v.is_finite()), "{:?}", set.role);
        assert!(
            t.max_probability
                .as_ref()
                .is_none_or(|p| p.iter().all(|v| v.is_finite())),
            "{:?}",
            set.role
        );
        // Every score of every set, the reference's included: a score not computed has no
        // column, never a NaN.
        assert_eq!(set.scores.values.ncols(), set.scores.columns.len());
        for (j, c) in set.scores.columns.iter().enumerate() {
            assert!(
                set.scores.values.column(j).iter().all(|v| v.is_finite()),
                "{:?} {c}",
                set.role
            );
        }
        let knn = set
            .scores
            .columns
            .iter()
            .filter(|c| matches!(c.kind, ScoreKind::Knn { .. } | ScoreKind::Combined))
            .count();
        if set.role == SetRole::Reference {
            assert_eq!(knn, 0, "the reference's kNN scores are not computed");
        } else {
            assert!(knn > 0, "{:?} has no kNN score", set.role);
            let m = set.monitor.as_ref().expect("a monitored set");
            assert!(
                m.log_p
                    .iter()
                    .chain(&m.layer_log_p)
                    .chain(&m.fisher)
                    .all(|v| v.is_finite()),
                "{:?}",
                set.role
            );
        }
    }
}

#[test]
fn header_claiming_16_gb_is_refused_without_allocating_it() {
    let _g = serial();
    let (res, peak) = measure(|| NpySet::read(case("npy_hdr_huge_shape_1e9", "ref"), &layers()));
    let err = res.unwrap_err();
    let SignatureError::Activations(ActivationsError::Data(mtq_data::DataError::NpySize {
        path,
        shape,
        dtype,
        expected,
        actual: available,
    })) = &err
    else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("npy_hdr_huge_shape_1e9/ref_h1.npy"));
    assert_eq!(shape, &[1_000_000_000, 4]);
    assert_eq!(dtype, "float32");
    assert_eq!(*expected, Some(16_000_000_000));
    assert!(*available < 10_000);
    assert!(chain(&err).contains("ref_h1.npy"), "{}", chain(&err));
    eprintln!("16 GB header case: peak heap {peak} bytes; {err}");
    assert!(peak < 1 << 20, "peak {peak} bytes");
    // The other sets of the case are fine.
    assert!(NpySet::read(case("npy_hdr_huge_shape_1e9", "test"), &layers()).is_ok());
}

#[test]
fn a_label_of_2_pow_63_or_1e9_names_file_row_and_value() {
    let _g = serial();
    let (res, peak) = measure(|| NpySet::read(case("npy_labels_2pow63", "ref"), &layers()));
    let err = res.unwrap_err();
    assert!(
        matches!(&err, SignatureError::Activations(ActivationsError::Data(mtq_data::DataError::NpyLabel { path, row: 3, value, .. }))
            if path.ends_with("ref_labels.npy") && value == "9223372036854775808"),
        "{err:?}"
    );
    assert!(err.to_string().contains("row 3"), "{err}");
    eprintln!("2^63 label case: peak heap {peak} bytes; {}", chain(&err));
    assert!(peak < 1 << 20, "peak {peak} bytes");
    // Siblings: 10^9 as int64 and as float64, and a negative label.
    let dir = scratch_copy("npy_labels_2pow63");
    let labels = || Array1::from_iter((0..300).map(|i| (i % 2) as i64));
    for (value, text) in [(1_000_000_000i64, "1000000000"), (-4, "-4")] {
        let mut y = labels();
        y[17] = value;
        write_npy(dir.join("ref_labels.npy"), &y).unwrap();
        let (res, peak) = measure(|| NpySet::read(dir.join("ref"), &layers()));
        let err = res.unwrap_err();
        assert!(
            matches!(&err, SignatureError::Activations(ActivationsError::Data(mtq_data::DataError::NpyLabel { row: 17, value, .. })) if value == text),
            "{err:?}"
        );
        assert!(peak < 1 << 20, "peak {peak} bytes");
    }
    let mut y = labels().mapv(|v| v as f64);
    y[5] = 1e9;
    write_npy(dir.join("ref_labels.npy"), &y).unwrap();
    let err = NpySet::read(dir.join("ref"), &layers()).unwrap_err();
    assert!(
        matches!(
            &err,
            SignatureError::Activations(ActivationsError::Data(mtq_data::DataError::NpyLabel {
                row: 5,
                ..
            }))
        ),
        "{err:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn float_labels_are_read_when_whole_and_explained_when_not() {
    let _g = serial();
    let train = NpySet::read(case("npy_float_labels", "train"), &layers()).unwrap();
    let y = train.labels.as_ref().unwrap();
    assert_eq!(train.label_values(), [0, 1]);
    assert_eq!(y.len(), train.layers[0].nrows());
    let test = NpySet::read(case("npy_float_labels", "test"), &layers()).unwrap();
    let unseen = NpySet::read(case("npy_float_labels", "unseen"), &layers()).unwrap();
    let model = fit(&train, &["0", "1"]);
    let res = study(&model, &train, &test, &unseen);
    assert_finite(&model, &res);
    // Siblings: a fractional label, and a dtype that is no number.
    let dir = scratch_copy("npy_float_labels");
    let mut y = y.mapv(|v| v as f64);
    y[2] = 0.5;
    write_npy(dir.join("train_labels.npy"), &y).unwrap();
    let err = NpySet::read(dir.join("train"), &layers()).unwrap_err();
    assert!(
        err.to_string().contains("row 2") && err.to_string().contains("float64"),
        "{err}"
    );
    write_npy(
        dir.join("train_labels.npy"),
        &Array1::from(vec![true, false]),
    )
    .unwrap();
    let err = NpySet::read(dir.join("train"), &layers()).unwrap_err();
    assert!(err.to_string().contains("dtype bool, integers"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_constant_layer_is_a_finding_and_the_study_completes() {
    let _g = serial();
    let reference = NpySet::read(case("npy_ref_constant", "ref"), &layers()).unwrap();
    let test = NpySet::read(case("npy_ref_constant", "test"), &layers()).unwrap();
    let unseen = NpySet::read(case("npy_ref_constant", "unseen"), &layers()).unwrap();
    let model = fit(&reference, &["0", "1"]);
    let h1 = &model.layers()[0];
    assert_eq!(h1.curve().outcome, SweepOutcome::Constant);
    assert_eq!(h1.curve().defined_k(), None);
    assert_eq!(h1.curve().chosen_silhouette(), None);
    assert!(h1.curve().ks.is_empty());
    assert_eq!(h1.k(), 1);
    let verdict = h1.curve().verdict().unwrap();
    assert!(
        verdict.contains("h1") && verdict.contains("no information"),
        "{verdict}"
    );
    let h2 = &model.layers()[1];
    assert_eq!(h2.curve().outcome, SweepOutcome::Clustered);
    assert!(h2.curve().defined_k().is_some_and(|k| k >= 2));
    let res = study(&model, &reference, &test, &unseen);
    assert_finite(&model, &res);
    // Every reference sample sits on the single h1 cluster.
    assert!(
        model
            .reference_trace()
            .clusters
            .column(0)
            .iter()
            .all(|&c| c == 0)
    );
}

#[test]
fn activations_near_1e20_cluster_as_at_unit_scale() {
    let _g = serial();
    let train = NpySet::read(case("npy_large_magnitude", "train"), &layers()).unwrap();
    let test = NpySet::read(case("npy_large_magnitude", "test"), &layers()).unwrap();
    let unseen = NpySet::read(case("npy_large_magnitude", "unseen"), &layers()).unwrap();
    let model = fit(&train, &["0", "1"]);
    let res = study(&model, &train, &test, &unseen);
    assert_finite(&model, &res);
    // The same sets divided by 2^66 (exact) give the same clusters and the same paths.
    let shrink = |s: &NpySet| NpySet {
        layers: s
            .layers
            .iter()
            .map(|x| x.mapv(|v| v * 2f32.powi(-66)))
            .collect(),
        labels: s.labels.clone(),
        probabilities: s.probabilities.clone(),
        ids: None,
        images: None,
    };
    let small = fit(&shrink(&train), &["0", "1"]);
    for (a, b) in model.layers().iter().zip(small.layers()) {
        assert_eq!(a.k(), b.k(), "{}", a.name());
    }
    assert_eq!(
        model.reference_trace().clusters,
        small.reference_trace().clusters
    );
    assert!(model.layers()[0].scale() < 1.0);
}

#[test]
fn the_monitor_copes_with_a_constant_layer() {
    let _g = serial();
    // Both layers constant but for one row in h2: no division by a zero scale.
    let n = 40;
    let h1 = Array2::<f32>::zeros((n, 3));
    let mut h2 = Array2::from_shape_fn((n, 2), |(i, j)| (i % 5) as f32 + j as f32);
    h2[[0, 0]] = 9.0;
    let labels = Array1::from_iter((0..n).map(|i| i % 2));
    let set = NpySet {
        layers: vec![h1, h2],
        labels: Some(labels),
        probabilities: None,
        ids: None,
        images: None,
    };
    let model = fit(&set, &["a", "b"]);
    assert_eq!(model.layers()[0].curve().outcome, SweepOutcome::Constant);
    let res = study(&model, &set, &set, &set);
    assert_finite(&model, &res);
}

#[test]
fn labels_with_gaps_become_their_distinct_values() {
    let _g = serial();
    let mut set = NpySet::read(case("npy_float_labels", "train"), &layers()).unwrap();
    set.labels = set.labels.map(|y| y.mapv(|v| if v == 0 { 1 } else { 7 }));
    let classes = set.label_values();
    assert_eq!(classes, [1, 7]);
    set.relabel("reference", &classes).unwrap();
    assert_eq!(set.label_values(), [0, 1]);
    let names: Vec<String> = classes.iter().map(ToString::to_string).collect();
    let model = SignatureParams::new(layers(), names)
        .k_range(KRange::new(2, 4).unwrap())
        .n_init(2)
        .knn_ks(vec![1])
        .fit(&set.samples())
        .unwrap();
    assert_eq!(model.class_names(), ["1", "7"]);
    // A test label the reference never had is named with its set and row.
    let mut other = NpySet::read(case("npy_float_labels", "test"), &layers()).unwrap();
    other.labels = other.labels.map(|y| y.mapv(|v| if v == 0 { 1 } else { 3 }));
    let err = other.relabel("test", &classes).unwrap_err();
    assert!(
        matches!(err, SignatureError::LabelNotInReference { ref set, value: 3, .. } if set == "test"),
        "{err}"
    );
}

#[test]
fn duplicate_layer_names_are_refused() {
    let _g = serial();
    let set = NpySet::read(case("npy_float_labels", "train"), &layers()).unwrap();
    let mut s = set.samples();
    s = s.labels(set.labels.as_ref().unwrap().view());
    let err = SignatureParams::new(["h1", "h1"], ["0", "1"])
        .fit(&s)
        .unwrap_err();
    assert!(
        matches!(&err, SignatureError::DuplicateLayer { name } if name == "h1"),
        "{err}"
    );
}

#[test]
fn a_one_class_reference_set_is_studied() {
    let _g = serial();
    let mut set = NpySet::read(case("npy_float_labels", "train"), &layers()).unwrap();
    set.labels = set.labels.map(|y| y.mapv(|_| 0));
    let model = SignatureParams::new(layers(), ["only"])
        .k_range(KRange::new(2, 4).unwrap())
        .n_init(2)
        .knn_ks(vec![1])
        .fit(&set.samples())
        .unwrap();
    let test = NpySet::read(case("npy_float_labels", "test"), &layers()).unwrap();
    let mut test = test;
    test.labels = test.labels.map(|y| y.mapv(|_| 0));
    let unseen = NpySet::read(case("npy_float_labels", "unseen"), &layers()).unwrap();
    let res = study(&model, &set, &test, &unseen);
    assert_finite(&model, &res);
}

#[test]
fn an_unseen_set_without_the_test_sets_probabilities_is_named() {
    let _g = serial();
    let reference = NpySet::read(case("npy_hdr_huge_shape_1e9", "test"), &layers()).unwrap();
    let mut test = reference.clone();
    let unseen = NpySet::read(case("npy_hdr_huge_shape_1e9", "unseen"), &layers()).unwrap();
    assert!(reference.probabilities.is_some() && unseen.probabilities.is_some());
    let mut unseen_bare = unseen.clone();
    unseen_bare.probabilities = None;
    test.labels = reference.labels.clone();
    let model = fit(&reference, &["0", "1"]);
    let input = StudyInput {
        seed: 0,
        test_accuracy: None,
        reference: reference.samples(),
        test: Some(test.samples()),
        calibration: None,
        unseen: vec![UnseenSet {
            name: "unseen".into(),
            samples: unseen_bare.samples(),
        }],
    };
    let err = model.study(&input).unwrap_err();
    assert!(
        matches!(&err, SignatureError::ScoreColumns { only_negatives, only_positives, .. }
            if only_negatives.len() == 1 && only_negatives[0].starts_with("max-softmax") && only_positives.is_empty()),
        "{err}"
    );
    assert!(err.to_string().contains("unseen"), "{err}");
}
