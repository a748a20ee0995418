//! The comparison on real studies of the embedded MNIST sample: two networks on the same test
//! inputs get CKA and ARI maps (a network against itself: CKA 1 on the diagonal), every number
//! an interval around its seeds, the same comparison at any thread count, and nothing compared
//! across data sets that do not share inputs.

use mtq_signature::compare::{CompareParams, Quantity, ScoreRole, compare};
use mtq_signature::pipeline::{DataSource, Network, Study, StudyOutcome, Training};

fn mnist(hidden: Vec<usize>) -> Study {
    Study {
        network: Network::Train(Training::mlp(hidden, 1)),
        k_max: 3,
        seeds: vec![0, 1],
        keep_test_activations: true,
        ..Study::new()
    }
}

fn run(study: &Study) -> StudyOutcome {
    study.run(&mut |_| {}).expect("the study runs")
}

#[test]
fn two_networks_on_the_same_inputs_are_compared_layer_by_layer() {
    let wide = run(&mnist(vec![32, 64])).compare_facts("wide");
    let narrow = run(&mnist(vec![8])).compare_facts("narrow");
    let uci = run(&Study {
        data: DataSource::UciDigits {
            classes: vec![1, 7],
            unseen: vec![4],
        },
        ..mnist(vec![16])
    })
    .compare_facts("uci");
    let studies = [wide, narrow, uci];
    let params = CompareParams {
        seed: 5,
        resamples: 200,
    };
    let c = compare(&studies, &params);

    // wide-wide, wide-narrow, narrow-narrow, uci-uci: never MNIST against the UCI digits
    let pairs: Vec<(usize, usize)> = c.similarities.iter().map(|s| (s.a, s.b)).collect();
    assert_eq!(pairs, [(0, 0), (0, 1), (1, 1), (2, 2)]);
    let across = &c.similarities[1];
    assert_eq!(across.a_layers, ["h1", "h2", "out"]);
    assert_eq!(across.b_layers, ["h1", "out"]);
    assert_eq!(across.seeds, [0, 1]);
    let test = studies[0].seeds[0].shared.as_ref().unwrap().ids.len();
    assert_eq!(across.shared_samples, test);
    let cka = across.cka.as_ref().expect("both kept their activations");
    assert_eq!((cka.mean.len(), cka.mean[0].len()), (3, 2));
    for (row, (lo, hi)) in cka.mean.iter().zip(cka.min.iter().zip(&cka.max)) {
        for ((m, l), h) in row.iter().zip(lo).zip(hi) {
            assert!(
                (0.0..=1.0 + 1e-9).contains(m) && l <= m && m <= h,
                "{l} {m} {h}"
            );
        }
    }
    // the outputs of two networks trained to the same classes agree more than their inputs' first
    // layer does with the other's output
    assert!(cka.mean[2][1] > 0.8, "out vs out {}", cka.mean[2][1]);
    let within = &c.similarities[0];
    let w = within.cka.as_ref().unwrap();
    for i in 0..3 {
        assert!((w.mean[i][i] - 1.0).abs() < 1e-9);
        assert!((within.ari.mean[i][i] - 1.0).abs() < 1e-12);
    }

    // every estimate is the mean of its seeds, inside or near its interval
    for s in &c.studies {
        assert_eq!(s.seeds, [0, 1]);
        for m in &s.measures {
            let e = &m.estimate;
            assert!(e.low <= e.high, "{:?}", m.quantity);
            let mean = e.per_seed.iter().map(|p| p.1).sum::<f64>() / e.per_seed.len() as f64;
            assert!((e.mean - mean).abs() < 1e-12);
            assert!(
                e.low - 1e-9 <= e.mean && e.mean <= e.high + 1e-9,
                "{:?} {e:?}",
                m.quantity
            );
        }
        assert!(s.measure(&Quantity::Accuracy).is_some());
        let trusted = Quantity::Auroc {
            task: "4".into(),
            role: ScoreRole::Trusted,
        };
        assert!(s.measure(&trusted).is_some(), "{}", s.name);
    }
    // differences only between studies measuring the same thing: MNIST has 3s, UCI does not
    let three = Quantity::Auroc {
        task: "3".into(),
        role: ScoreRole::MaxSoftmax,
    };
    assert!(
        c.differences
            .iter()
            .any(|d| d.quantity == three && (d.a, d.b) == (0, 1))
    );
    assert!(
        !c.differences
            .iter()
            .any(|d| d.quantity == three && d.b == 2)
    );

    // the same comparison on one thread and on two
    let on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| compare(&studies, &params))
    };
    assert_eq!(on(1), c);
    assert_eq!(on(2), c);
    // another bootstrap seed moves the intervals, not the means
    let other = compare(&studies, &CompareParams { seed: 6, ..params });
    let estimates = |c: &mtq_signature::compare::Comparison| -> Vec<(f64, f64, f64)> {
        c.studies
            .iter()
            .flat_map(|s| s.measures.iter().map(|m| m.estimate.clone()))
            .map(|e| (e.mean, e.low, e.high))
            .collect()
    };
    let (a, b) = (estimates(&c), estimates(&other));
    assert!(a.iter().zip(&b).all(|(x, y)| x.0 == y.0));
    assert!(a.iter().zip(&b).any(|(x, y)| x.1 != y.1 || x.2 != y.2));
}
