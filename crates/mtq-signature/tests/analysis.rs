//! End-to-end tests of the analysis on synthetic activations: well-separated blobs whose answers
//! are known (K, paths, redundancy, which samples are strangers).

use mtq_signature::{
    KRange, Samples, ScoreId, ScoreKind, SetRole, SignatureError, SignatureParams, StudyInput,
    Task, UnseenSet,
};
use ndarray::{Array1, Array2, Axis, Slice};

/// Deterministic standard normals (LCG + Box-Muller): fixtures without an RNG dependency.
struct Normals(u64);

impl Normals {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// `n_per` points around each centre, with noise `sd`; labels = centre's class.
fn blobs(
    centres: &[(Vec<f64>, usize)],
    n_per: usize,
    sd: f64,
    seed: u64,
) -> (Array2<f32>, Array1<usize>) {
    let d = centres[0].0.len();
    let mut g = Normals(seed);
    let n = centres.len() * n_per;
    let mut x = Array2::zeros((n, d));
    let mut y = Array1::zeros(n);
    for (c, (centre, class)) in centres.iter().enumerate() {
        for i in 0..n_per {
            let r = c * n_per + i;
            for j in 0..d {
                x[[r, j]] = (centre[j] + sd * g.next()) as f32;
            }
            y[r] = *class;
        }
    }
    (x, y)
}

/// Layer 2 is a fixed linear map of layer 1 (so the same partition, CKA 1).
fn second_layer(x: &Array2<f32>) -> Array2<f32> {
    let w = ndarray::array![[2.0f32, 0.5, 0.0], [-1.0, 1.0, 0.3]];
    x.dot(&w)
}

/// Three blobs: class 0 at two places, class 1 at one; well apart.
fn reference(seed: u64) -> (Array2<f32>, Array2<f32>, Array1<usize>) {
    let (x, y) = blobs(
        &[
            (vec![0.0, 0.0], 0),
            (vec![10.0, 0.0], 0),
            (vec![0.0, 10.0], 1),
        ],
        40,
        0.5,
        seed,
    );
    let x2 = second_layer(&x);
    (x, x2, y)
}

fn analysis() -> SignatureParams {
    SignatureParams::new(["h1", "h2"], ["a", "b"])
        .k_range(KRange::new(2, 5).expect("2 <= min <= max"))
        .n_init(3)
        .seed(7)
        .knn_ks(vec![1, 5])
}

#[test]
fn fit_finds_the_blobs_names_clusters_and_counts_paths() {
    let (x1, x2, y) = reference(1);
    let m = analysis()
        .fit(&Samples::new(vec![x1.view(), x2.view()]).labels(y.view()))
        .unwrap();
    for l in m.layers() {
        assert_eq!(l.k(), 3, "layer {}", l.name());
        assert_eq!(l.curve().ks, vec![2, 3, 4, 5]);
        assert!(l.curve().chosen_silhouette().unwrap() > 0.8);
        assert!((l.table().overall_purity - 1.0).abs() < 1e-12);
        let mut names = l.cluster_names().to_vec();
        names.sort();
        let p = l.name();
        assert_eq!(
            names,
            vec![format!("{p}:a"), format!("{p}:a#2"), format!("{p}:b")]
        );
    }
    // Three blobs -> three paths of 40 samples each; class a takes two of them.
    assert_eq!(m.paths().len(), 3);
    assert!(m.paths().iter().all(|p| p.count == 40));
    let a_paths = m.paths().iter().filter(|p| p.per_class[0] > 0).count();
    assert_eq!(a_paths, 2);
    // Layer 2 repeats layer 1: ARI 1, redundant, CKA < 1 (non-isotropic map) but high.
    let r = m.redundancy();
    assert_eq!(r.consecutive.len(), 1);
    assert!((r.consecutive[0].ari - 1.0).abs() < 1e-12);
    assert!(r.verdicts[0].redundant);
    assert!(r.consecutive[0].cka.unwrap() > 0.5);
    // Against the classes: 3 clusters for 2 classes -> ARI below 1, NMI below 1.
    assert!(r.vs_labels[0].ari < 1.0 && r.vs_labels[0].ari > 0.3);
}

#[test]
fn strangers_score_high_and_roc_separates_them() {
    let (x1, x2, y) = reference(1);
    let m = analysis()
        .fit(&Samples::new(vec![x1.view(), x2.view()]).labels(y.view()))
        .unwrap();
    let (t1, ty) = blobs(&[(vec![0.0, 0.0], 0), (vec![0.0, 10.0], 1)], 20, 0.5, 2);
    let t2 = second_layer(&t1);
    let (s1, _) = blobs(&[(vec![6.0, 6.0], 0)], 25, 0.5, 3);
    let s2 = second_layer(&s1);
    let (c1, cy) = blobs(&[(vec![0.0, 0.0], 0), (vec![0.0, 10.0], 1)], 30, 0.5, 4);
    let c2 = second_layer(&c1);
    let input = StudyInput {
        seed: 7,
        test_accuracy: None,
        reference: Samples::new(vec![x1.view(), x2.view()]).labels(y.view()),
        test: Some(Samples::new(vec![t1.view(), t2.view()]).labels(ty.view())),
        calibration: Some(Samples::new(vec![c1.view(), c2.view()]).labels(cy.view())),
        unseen: vec![UnseenSet {
            name: "z".into(),
            samples: Samples::new(vec![s1.view(), s2.view()]),
        }],
    };
    let res = m.study(&input).unwrap();
    let task = Task { unseen: "z".into() };
    assert_eq!(res.tasks, vec![task.clone()]);
    let knn = |layer: &str, k| ScoreId::of_layer(ScoreKind::Knn { k, l2: false }, layer);
    for score in [
        ScoreId::global(ScoreKind::Combined),
        knn("h1", 1),
        knn("h2", 5),
        ScoreId::of_layer(ScoreKind::Mahalanobis, "h1"),
        ScoreId::of_layer(ScoreKind::CentroidDistance, "h1"),
    ] {
        let auc = res.auroc(&score, &task).unwrap();
        assert!(auc > 0.99, "{score}: {auc}");
    }
    // Max-softmax is absent (no probabilities), so it is not evaluated.
    assert!(res.auroc(&ScoreId::max_softmax(), &task).is_none());
    // The trusted score is fixed in advance: the monitor's combined p-value, calibrated on the
    // calibration set; the monitor flags every stranger and says where it left.
    let trusted = res.trusted.clone().unwrap();
    assert_eq!(trusted.score, ScoreId::global(ScoreKind::Combined));
    assert_eq!(trusted.rule, mtq_signature::TrustRule::Monitor);
    let summary = res.monitor.as_ref().unwrap();
    assert_eq!(summary.n_calibration, 60);
    assert_eq!(summary.test.as_ref().unwrap().n, 40);
    let z = &summary.unseen[0];
    assert_eq!((z.set.as_str(), z.n, z.flagged), ("z", 25, 25));
    assert_eq!(z.left_at.iter().sum::<usize>() + z.stayed, 25);
    assert!(res.set(&SetRole::Reference).unwrap().monitor.is_none());
    // The strangers sit between blobs: all of them in known clusters, counted.
    let s = &res.strangers[0];
    assert_eq!(s.n, 25);
    assert_eq!(s.clusters[0].iter().map(|c| c.count).sum::<usize>(), 25);
    let shares: f64 = s.class_shares[0].iter().sum();
    assert!((shares - 1.0).abs() < 1e-9);
    assert_eq!(s.paths.iter().map(|p| p.count).sum::<usize>(), 25);
    // Every set is traced, in order: reference, test, unseen.
    let roles: Vec<&SetRole> = res.sets.iter().map(|t| &t.role).collect();
    assert_eq!(
        roles,
        [
            &SetRole::Reference,
            &SetRole::Test,
            &SetRole::Unseen("z".into())
        ]
    );
    assert_eq!(
        res.sets.iter().map(|t| t.len()).collect::<Vec<_>>(),
        [120, 40, 25]
    );
}

#[test]
fn same_seed_same_result() {
    let (x1, x2, y) = reference(4);
    let s = Samples::new(vec![x1.view(), x2.view()]).labels(y.view());
    let a = analysis().fit(&s).unwrap();
    let b = analysis().fit(&s).unwrap();
    assert_eq!(a.reference_trace(), b.reference_trace());
    assert_eq!(a.paths(), b.paths());
    for (la, lb) in a.layers().iter().zip(b.layers()) {
        assert_eq!(la.curve(), lb.curve());
        assert_eq!(la.centroids(), lb.centroids());
    }
}

#[test]
fn parameters_are_checked_at_fit() {
    let (x1, x2, y) = reference(1);
    let s = Samples::new(vec![x1.view(), x2.view()]).labels(y.view());
    let fit = |a: SignatureParams| a.fit(&s).unwrap_err();
    assert!(matches!(
        fit(analysis().n_init(0)),
        SignatureError::ZeroInit
    ));
    assert!(matches!(
        fit(analysis().redundancy_threshold(0.0)),
        SignatureError::InvalidThreshold { .. }
    ));
    assert!(matches!(
        fit(analysis().redundancy_threshold(1.5)),
        SignatureError::InvalidThreshold { .. }
    ));
    assert!(matches!(
        fit(analysis().mahalanobis_ridge(-1.0)),
        SignatureError::InvalidRidge { .. }
    ));
    assert!(matches!(
        fit(analysis().knn_ks(vec![0])),
        SignatureError::InvalidNeighbours { k: 0, .. }
    ));
    assert!(matches!(
        fit(analysis().knn_ks(vec![51])),
        SignatureError::InvalidNeighbours { k: 51, .. }
    ));
    assert!(matches!(
        fit(analysis().layer_preparation(2, mtq_activations::Preparation::Standardize)),
        SignatureError::LayerOutOfRange {
            index: 2,
            n_layers: 2
        }
    ));
    let none: [&str; 0] = [];
    assert!(matches!(
        SignatureParams::new(none, ["a"]).fit(&s).unwrap_err(),
        SignatureError::NoLayers
    ));
    assert!(matches!(
        SignatureParams::new(["h1", "h2"], none)
            .fit(&s)
            .unwrap_err(),
        SignatureError::NoClasses
    ));
}

#[test]
fn bad_data_gets_typed_errors() {
    let (x1, x2, y) = reference(1);
    let a = analysis();
    assert!(matches!(
        a.fit(&Samples::new(vec![x1.view(), x2.view()]))
            .unwrap_err(),
        SignatureError::MissingLabels { .. }
    ));
    assert!(matches!(
        a.fit(&Samples::new(vec![x1.view()]).labels(y.view()))
            .unwrap_err(),
        SignatureError::LayerCountMismatch {
            expected: 2,
            found: 1
        }
    ));
    let mut bad = x1.clone();
    bad[[3, 1]] = f32::NAN;
    assert!(matches!(
        a.fit(&Samples::new(vec![bad.view(), x2.view()]).labels(y.view()))
            .unwrap_err(),
        SignatureError::NonFinite { row: 3, col: 1, .. }
    ));
    let mut yb = y.clone();
    yb[5] = 2;
    assert!(matches!(
        a.fit(&Samples::new(vec![x1.view(), x2.view()]).labels(yb.view()))
            .unwrap_err(),
        SignatureError::LabelOutOfRange {
            row: 5,
            label: 2,
            ..
        }
    ));
    let short = y.slice_axis(Axis(0), Slice::from(..10)).to_owned();
    assert!(matches!(
        a.fit(&Samples::new(vec![x1.view(), x2.view()]).labels(short.view()))
            .unwrap_err(),
        SignatureError::RowMismatch {
            expected: 120,
            found: 10,
            ..
        }
    ));
    let tiny = x1.slice_axis(Axis(0), Slice::from(..4)).to_owned();
    let tiny2 = x2.slice_axis(Axis(0), Slice::from(..4)).to_owned();
    let ty = y.slice_axis(Axis(0), Slice::from(..4)).to_owned();
    assert!(matches!(
        a.fit(&Samples::new(vec![tiny.view(), tiny2.view()]).labels(ty.view()))
            .unwrap_err(),
        SignatureError::TooFewSamples {
            n_samples: 4,
            k: 5,
            ..
        }
    ));
    // Tracing checks widths against the fitted layers.
    let m = a
        .fit(&Samples::new(vec![x1.view(), x2.view()]).labels(y.view()))
        .unwrap();
    let wide = Array2::<f32>::zeros((3, 4));
    let ok = Array2::<f32>::zeros((3, 3));
    assert!(matches!(
        m.trace(&Samples::new(vec![wide.view(), ok.view()]))
            .unwrap_err(),
        SignatureError::DimMismatch {
            expected: 2,
            found: 4,
            ..
        }
    ));
    let empty1 = Array2::<f32>::zeros((0, 2));
    let empty2 = Array2::<f32>::zeros((0, 3));
    assert!(matches!(
        m.trace(&Samples::new(vec![empty1.view(), empty2.view()]))
            .unwrap_err(),
        SignatureError::Empty { .. }
    ));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (x1, x2, y) = reference(5);
    let (s1, _) = blobs(&[(vec![6.0, 6.0], 0)], 25, 0.5, 3);
    let s2 = second_layer(&s1);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let m = analysis()
                .fit(&Samples::new(vec![x1.view(), x2.view()]).labels(y.view()))
                .unwrap();
            let input = StudyInput {
                seed: 7,
                test_accuracy: None,
                reference: Samples::new(vec![x1.view(), x2.view()]).labels(y.view()),
                test: Some(Samples::new(vec![x1.view(), x2.view()])),
                calibration: Some(Samples::new(vec![s1.view(), s2.view()])),
                unseen: vec![UnseenSet {
                    name: "z".into(),
                    samples: Samples::new(vec![s1.view(), s2.view()]),
                }],
            };
            let res = m.study(&input).unwrap();
            let sets: Vec<_> = res
                .sets
                .iter()
                .map(|t| (t.trace.clone(), t.scores.values.mapv(f64::to_bits)))
                .collect();
            let evals: Vec<_> = res
                .evaluations
                .iter()
                .map(|e| (e.roc.auroc.to_bits(), e.roc.fpr.clone(), e.roc.tpr.clone()))
                .collect();
            (sets, evals, res.strangers)
        })
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one, two);
}
