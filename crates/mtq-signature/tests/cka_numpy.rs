//! Linear CKA against numpy: [`linear_cka`] on float32 matrices written by numpy, each pair's
//! value within 1e-6 of numpy's float64 textbook formula. The pairs cover the feature form
//! (widths at most the rows), the sample (Gram) form (a layer wider than the rows), CKA near 1
//! (a nearly identical pair, a scaled and rotated copy, a matrix with itself), near 0 (unrelated
//! draws) and a matrix with constant columns. Fixtures: `tests/fixtures/cka/`, written by
//! `make_cka.py` beside them.

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use mtq_data::npy::read_npy;
use mtq_signature::redundancy::linear_cka;
use ndarray::{Array2, Ix2};
use serde_json::Value;

fn matrix(stem: &str) -> Array2<f32> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cka")
        .join(format!("{stem}.npy"));
    read_npy::<f32, Ix2>(path).unwrap()
}

fn pairs() -> Vec<Value> {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/cka/expected.json")).unwrap();
    fixture["pairs"].as_array().unwrap().clone()
}

#[test]
fn linear_cka_matches_numpy() {
    let pairs = pairs();
    assert_eq!(pairs.len(), 12);
    let mut sample_form = 0;
    for p in &pairs {
        let name = p["name"].as_str().unwrap();
        let (x, y) = (
            matrix(p["x"].as_str().unwrap()),
            matrix(p["y"].as_str().unwrap()),
        );
        assert_eq!(x.nrows(), y.nrows(), "{name}: rows");
        if x.ncols().max(y.ncols()) > x.nrows() {
            sample_form += 1;
        }
        let want = p["cka"].as_f64().unwrap();
        let got = linear_cka(x.view(), y.view());
        assert!(
            (got - want).abs() <= 1e-6,
            "{name}: rust {got} vs numpy {want}"
        );
    }
    // wide_xy, wide_yx and wide_pq take the n x n form
    assert_eq!(sample_form, 3);
}

#[test]
fn linear_cka_is_symmetric() {
    for (a, b) in [
        ("net_a_200x32", "net_b_200x64"),
        ("wide_x_60x150", "wide_y_60x10"),
    ] {
        let (x, y) = (matrix(a), matrix(b));
        let (xy, yx) = (
            linear_cka(x.view(), y.view()),
            linear_cka(y.view(), x.view()),
        );
        assert!((xy - yx).abs() <= 1e-12, "{a} / {b}: {xy} vs {yx}");
    }
}
