//! Preparations checked against scikit-learn (`tests/fixtures/make_sklearn_prep.py`):
//! `StandardScaler`, `normalize` and `PCA` fitted on a reference set and applied to other samples.

use std::path::Path;

use approx::assert_abs_diff_eq;
use mtq_activations::{Preparation, read_npy_matrix};
use ndarray::Array2;

fn fixture(name: &str) -> Array2<f32> {
    read_npy_matrix(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture written by make_sklearn_prep.py")
}

fn assert_close(got: &Array2<f32>, want: &Array2<f32>, eps: f32) {
    assert_eq!(got.dim(), want.dim());
    for (g, w) in got.iter().zip(want) {
        assert_abs_diff_eq!(*g, *w, epsilon = eps);
    }
}

#[test]
fn standardize_matches_standard_scaler() {
    let fitted = Preparation::Standardize
        .fit(fixture("prep_ref.npy").view())
        .unwrap();
    let got = fitted.apply(fixture("prep_unseen.npy").view()).unwrap();
    assert_close(&got, &fixture("prep_std_unseen.npy"), 1e-4);
}

#[test]
fn l2_normalize_matches_normalize() {
    let fitted = Preparation::L2Normalize
        .fit(fixture("prep_ref.npy").view())
        .unwrap();
    let got = fitted.apply(fixture("prep_unseen.npy").view()).unwrap();
    assert_close(&got, &fixture("prep_l2_unseen.npy"), 1e-6);
}

#[test]
fn pca_matches_sklearn_including_signs() {
    let reference = fixture("prep_ref.npy");
    let fitted = Preparation::Pca { dims: 3 }.fit(reference.view()).unwrap();
    assert_eq!((fitted.input_dim(), fitted.output_dim()), (6, 3));
    let scale = fixture("prep_pca3_ref.npy")
        .iter()
        .fold(0f32, |m, v| m.max(v.abs()));
    let eps = 1e-5 * scale.max(1.0);
    assert_close(
        &fitted.apply(reference.view()).unwrap(),
        &fixture("prep_pca3_ref.npy"),
        eps,
    );
    assert_close(
        &fitted.apply(fixture("prep_unseen.npy").view()).unwrap(),
        &fixture("prep_pca3_unseen.npy"),
        eps,
    );
    let var = fixture("prep_pca_var.npy"); // 1 x 6
    assert_eq!(var.dim(), (1, 6));
    let got = fitted.explained_variance().unwrap();
    for (g, w) in got.iter().zip(var.iter()) {
        assert_abs_diff_eq!(*g, *w, epsilon = 1e-5 * w.abs().max(1.0));
    }
}
