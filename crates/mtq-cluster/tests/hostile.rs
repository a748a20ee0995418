//! Degenerate geometry (issue 13, kind 2): more clusters than distinct rows, constant and
//! all-zero data, huge and tiny magnitudes. Every `Ok` carries finite numbers; K above the
//! number of distinct rows is refused by `fit` and capped (and said so) by `select_k`.

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use mtq_cluster::{
    ClusterError, KMeansParams, KMeansSettings, KRange, calinski_harabasz_score,
    davies_bouldin_score, select_k, silhouette_score,
};
use mtq_data::npy::read_npy;
use ndarray::Array2;

fn case_9_of_17() -> Array2<f32> {
    read_npy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cases/kmeans_9_distinct_of_17.npy"),
    )
    .unwrap()
}

fn distinct_rows(x: &Array2<f32>) -> usize {
    let mut rows: Vec<Vec<u32>> = x
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|v| (v + 0.0).to_bits()).collect())
        .collect();
    rows.sort();
    rows.dedup();
    rows.len()
}

#[test]
fn k_above_distinct_rows_is_refused_by_fit() {
    let x = case_9_of_17();
    assert_eq!(x.dim(), (17, 2));
    assert_eq!(distinct_rows(&x), 9);
    let err = KMeansParams::new(10).fit(x.view()).unwrap_err();
    assert_eq!(
        err,
        ClusterError::TooFewDistinctRows {
            k: 10,
            n_distinct: 9
        }
    );
    assert!(err.to_string().contains("only 9 distinct rows"), "{err}");
    // K = 9: every centroid distinct, every cluster used.
    let m = KMeansParams::new(9).fit(x.view()).unwrap();
    assert_eq!(distinct_rows(&m.centroids().to_owned()), 9);
    let mut used = m.labels().to_vec();
    used.sort_unstable();
    used.dedup();
    assert_eq!(used.len(), 9);
    assert!(m.inertia().is_finite());
}

#[test]
fn the_sweep_stops_at_the_distinct_rows_and_says_so() {
    let x = case_9_of_17();
    let sweep = select_k(
        x.view(),
        KRange::new(2, 10).unwrap(),
        KMeansSettings::new().n_init(3),
    )
    .unwrap();
    assert_eq!(sweep.last_k(), 9);
    assert_eq!(sweep.capped_from(), Some(10));
    assert!(sweep.scores().iter().all(|s| s.k <= 9));
    for s in sweep.scores() {
        assert_eq!(distinct_rows(&s.model.centroids().to_owned()), s.k);
        assert!(s.silhouette.is_finite() && s.inertia.is_finite());
    }
    let full = select_k(
        x.view(),
        KRange::new(2, 5).unwrap(),
        KMeansSettings::new().n_init(3),
    )
    .unwrap();
    assert_eq!(full.capped_from(), None);
}

#[test]
fn constant_and_all_zero_data_are_one_distinct_row() {
    for v in [0.0f32, -0.0, 3.5] {
        let mut x = Array2::from_elem((12, 4), v);
        x[[5, 2]] = v + 0.0; // -0.0 and 0.0 are the same point
        let err =
            select_k(x.view(), KRange::new(2, 4).unwrap(), KMeansSettings::new()).unwrap_err();
        assert_eq!(
            err,
            ClusterError::TooFewDistinctRows {
                k: 2,
                n_distinct: 1
            }
        );
        let one = KMeansParams::new(1).fit(x.view()).unwrap();
        assert_eq!(one.inertia(), 0.0);
        assert_eq!(one.centroids().row(0).to_vec(), vec![v + 0.0; 4]);
        assert!(matches!(
            KMeansParams::new(2).fit(x.view()),
            Err(ClusterError::TooFewDistinctRows {
                k: 2,
                n_distinct: 1
            })
        ));
    }
}

/// Three groups on a line with some spread.
fn groups() -> Array2<f32> {
    Array2::from_shape_fn((60, 3), |(i, j)| {
        (i / 20) as f32 * 4.0 + ((i * 7 + j * 3) % 11) as f32 * 0.1 + j as f32
    })
}

#[test]
fn huge_and_tiny_magnitudes_cluster_as_at_unit_scale() {
    let x = groups();
    let base = KMeansParams::new(3)
        .n_init(4)
        .seed(1)
        .fit(x.view())
        .unwrap();
    let base_sil = silhouette_score(x.view(), base.labels()).unwrap();
    // 2^66 ~ 7e19 (squares overflow f32) and 2^-100 (squares underflow): powers of two, so the
    // right answer is exactly the unit-scale one, scaled.
    for (scale, exp) in [(2.0f32.powi(66), 66), (2.0f32.powi(-100), -100)] {
        let xs = x.mapv(|v| v * scale);
        let m = KMeansParams::new(3)
            .n_init(4)
            .seed(1)
            .fit(xs.view())
            .unwrap();
        assert_eq!(m.labels(), base.labels(), "scale 2^{exp}");
        assert!(
            m.inertia().is_finite() && m.inertia() > 0.0,
            "{}",
            m.inertia()
        );
        let rel = m.inertia() / (base.inertia() * f64::from(scale).powi(2));
        assert!(
            (rel - 1.0).abs() < 1e-6,
            "scale 2^{exp}: inertia ratio {rel}"
        );
        for (a, b) in m.centroids().iter().zip(base.centroids().iter()) {
            assert!((f64::from(*a) / f64::from(scale) - f64::from(*b)).abs() < 1e-4);
        }
        let pred = m.predict(xs.view()).unwrap();
        assert_eq!(pred, base.labels());
        let t = m.transform(xs.view()).unwrap();
        assert!(t.iter().all(|v| v.is_finite()));
        let sil = silhouette_score(xs.view(), m.labels()).unwrap();
        assert!((sil - base_sil).abs() < 1e-6, "{sil} vs {base_sil}");
        let db = davies_bouldin_score(xs.view(), m.labels()).unwrap();
        let ch = calinski_harabasz_score(xs.view(), m.labels()).unwrap();
        assert!(db.is_finite() && ch.is_finite());
        let sweep = select_k(
            xs.view(),
            KRange::new(2, 5).unwrap(),
            KMeansSettings::new().n_init(3),
        )
        .unwrap();
        assert_eq!(sweep.best_k(), 3);
        for s in sweep.scores() {
            assert!(
                s.inertia.is_finite() && s.silhouette.is_finite(),
                "K = {}",
                s.k
            );
        }
    }
}

#[test]
fn around_1e20_in_f32_gives_finite_results() {
    // The npy_large_magnitude case: float64 activations near 1e20, converted to f32.
    let x = groups().mapv(|v| (f64::from(v) * 1e20) as f32);
    let m = KMeansParams::new(3).seed(2).fit(x.view()).unwrap();
    assert!(m.inertia().is_finite());
    let sweep = select_k(
        x.view(),
        KRange::new(2, 4).unwrap(),
        KMeansSettings::new().n_init(3),
    )
    .unwrap();
    assert_eq!(sweep.best_k(), 3);
    assert!(
        sweep
            .scores()
            .iter()
            .all(|s| s.inertia.is_finite() && s.silhouette.is_finite())
    );
}
