use ndarray::{Array1, Array2, Axis, s};

use super::*;
use crate::{KRange, Samples, SignatureModel, SignatureParams};

/// 6,000 rows of two blobs in 4 features (class `i % 2`), as layer 1; layer 2 is `|x|`; fake
/// probabilities from the label. Rows are split in three interleaved sets.
struct Blobs {
    h1: Array2<f32>,
    h2: Array2<f32>,
    probs: Array2<f32>,
    y: Array1<usize>,
}

fn blobs() -> Blobs {
    let (h1, y) = mtq_testkit::make_blobs(6000, 4, 2, 1.0, 4.0, 7).unwrap();
    let h2 = h1.mapv(f32::abs);
    let probs = Array2::from_shape_fn((6000, 2), |(i, j)| if y[i] == j { 0.9 } else { 0.1 });
    Blobs { h1, h2, probs, y }
}

impl Blobs {
    fn rows(&self, part: usize) -> (Array2<f32>, Array2<f32>, Array2<f32>, Array1<usize>) {
        let idx: Vec<usize> = (part..6000).step_by(3).collect();
        (
            self.h1.select(Axis(0), &idx),
            self.h2.select(Axis(0), &idx),
            self.probs.select(Axis(0), &idx),
            self.y.select(Axis(0), &idx),
        )
    }
}

fn model(h1: &Array2<f32>, h2: &Array2<f32>, y: &Array1<usize>) -> SignatureModel {
    SignatureParams::new(["h1", "h2"], ["a", "b"])
        .k_range(KRange::new(2, 3).unwrap())
        .n_init(2)
        .fit(&Samples::new(vec![h1.view(), h2.view()]).labels(y.view()))
        .unwrap()
}

#[test]
fn in_distribution_flag_rate_is_alpha_and_strangers_are_flagged_where_they_leave() {
    let b = blobs();
    let (r1, r2, _, ry) = b.rows(0);
    let (c1, c2, cp, cy) = b.rows(1);
    let (t1, t2, tp, _) = b.rows(2);
    let m = model(&r1, &r2, &ry);
    let cal = Samples::new(vec![c1.view(), c2.view()])
        .labels(cy.view())
        .probabilities(cp.view());
    for class_conditional in [false, true] {
        let monitor = PathMonitor::fit(
            &m,
            &cal,
            MonitorSettings::new()
                .alpha(0.1)
                .class_conditional(class_conditional),
        )
        .unwrap();
        assert_eq!(monitor.n_calibration(), 2000);
        assert!(monitor.dknn_k() > 0);
        let test = Samples::new(vec![t1.view(), t2.view()]).probabilities(tp.view());
        let scores = monitor.score(&test).unwrap();
        // binomial 99 % interval of 2,000 draws at 0.1: about [0.083, 0.118]
        let rate = scores.flag_rate();
        assert!((0.08..=0.12).contains(&rate), "flag rate {rate}");
        // strangers: far from both blobs in layer 1 (and so in layer 2)
        let far1 = Array2::from_elem((5, 4), 40.0f32);
        let far2 = far1.mapv(f32::abs);
        let fp = Array2::from_elem((5, 2), 0.5f32);
        let far = monitor
            .score(&Samples::new(vec![far1.view(), far2.view()]).probabilities(fp.view()))
            .unwrap();
        assert!(far.flagged.iter().all(|&f| f));
        assert!(far.left_at.iter().all(|&l| l == Some(0)));
        // further is more unusual: no plateau at 1 / (n + 1)
        let further1 = Array2::from_elem((1, 4), 80.0f32);
        let further = monitor
            .score(
                &Samples::new(vec![further1.view(), further1.view()])
                    .probabilities(fp.slice(s![..1, ..])),
            )
            .unwrap();
        assert!(further.log_p[0] < far.log_p[0]);
        assert!(further.log_p[0] < monitor.min_alpha().ln());
        // the credibility is a p-value too: in-distribution inputs are mostly credible
        let cred = scores.credibility_log_p.as_ref().unwrap();
        let low = cred.iter().filter(|&&v| v < 0.1f64.ln()).count() as f64 / 2000.0;
        assert!(low <= 0.12, "credibility flags {low}");
    }
}

#[test]
fn scores_do_not_depend_on_the_batch_split() {
    let b = blobs();
    let (r1, r2, _, ry) = b.rows(0);
    let (c1, c2, _, cy) = b.rows(1);
    let (t1, t2, _, _) = b.rows(2);
    let m = model(&r1, &r2, &ry);
    let monitor = PathMonitor::fit(
        &m,
        &Samples::new(vec![c1.view(), c2.view()]).labels(cy.view()),
        MonitorSettings::new(),
    )
    .unwrap();
    let all = monitor
        .score(&Samples::new(vec![t1.view(), t2.view()]))
        .unwrap();
    for i in [0, 17, 1999] {
        let one = monitor
            .score(&Samples::new(vec![
                t1.slice(s![i..=i, ..]),
                t2.slice(s![i..=i, ..]),
            ]))
            .unwrap();
        assert_eq!(one.log_p[0], all.log_p[i]);
        assert_eq!(one.layer_log_p.row(0), all.layer_log_p.row(i));
        assert_eq!(one.clusters.row(0), all.clusters.row(i));
    }
    assert_eq!(all.path_count.len(), 2000);
    assert!(all.path_seen(0));
}

#[test]
fn bad_settings_and_sets_are_refused() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<PathMonitor>();
    let b = blobs();
    let (r1, r2, _, ry) = b.rows(0);
    let (c1, c2, _, cy) = b.rows(1);
    let m = model(&r1, &r2, &ry);
    let cal = Samples::new(vec![c1.view(), c2.view()]).labels(cy.view());
    for alpha in [0.0, 1.0, f64::NAN, -0.5] {
        assert!(matches!(
            PathMonitor::fit(&m, &cal, MonitorSettings::new().alpha(alpha)),
            Err(MonitorError::InvalidAlpha { .. })
        ));
    }
    assert!(matches!(
        PathMonitor::fit(&m, &cal, MonitorSettings::new().class_conditional(true)),
        Err(MonitorError::NoPredictions { .. })
    ));
    let empty = Array2::<f32>::zeros((0, 4));
    assert!(matches!(
        PathMonitor::fit(
            &m,
            &Samples::new(vec![empty.view(), empty.view()]),
            MonitorSettings::new()
        ),
        Err(MonitorError::NoCalibration) | Err(MonitorError::Signature(_))
    ));
    let monitor = PathMonitor::fit(&m, &cal, MonitorSettings::new()).unwrap();
    let narrow = Array2::<f32>::zeros((3, 3));
    assert!(matches!(
        monitor.score(&Samples::new(vec![narrow.view(), narrow.view()])),
        Err(MonitorError::Signature(
            crate::SignatureError::DimMismatch { .. }
        ))
    ));
    // no calibration labels: no Deep k-NN credibility
    let unlabelled = Samples::new(vec![c1.view(), c2.view()]);
    let plain = PathMonitor::fit(&m, &unlabelled, MonitorSettings::new()).unwrap();
    assert_eq!(plain.dknn_k(), 0);
    let s = plain
        .score(&Samples::new(vec![c1.view(), c2.view()]))
        .unwrap();
    assert!(s.credibility_log_p.is_none());
}
