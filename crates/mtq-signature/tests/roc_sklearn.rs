//! ROC and AUROC against scikit-learn on tie-heavy inputs (issue 13, kind 4): scores from a few
//! levels, signed zeros (`-0.0` ties `+0.0`), all scores equal. Fixture:
//! `tests/fixtures/roc/roc_ties.json`, written by `make_roc_ties.py` beside it.

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use mtq_signature::roc;
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) => s.parse().unwrap(),
            x => x.as_f64().unwrap(),
        })
        .collect()
}

#[test]
fn roc_matches_scikit_learn_on_ties() {
    let text = include_str!("fixtures/roc/roc_ties.json");
    let fixture: Value = serde_json::from_str(text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    let mut signed_zero_seen = false;
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (neg, pos) = (floats(&c["negatives"]), floats(&c["positives"]));
        signed_zero_seen |= neg
            .iter()
            .chain(&pos)
            .any(|v| *v == 0.0 && v.is_sign_negative());
        let r = roc(&neg, &pos).unwrap();
        let auroc = c["auroc"].as_f64().unwrap();
        assert!(
            (r.auroc - auroc).abs() < 1e-12,
            "{name}: {} vs {auroc}",
            r.auroc
        );
        let (fpr, tpr) = (floats(&c["fpr"]), floats(&c["tpr"]));
        assert_eq!(r.fpr.len(), fpr.len(), "{name}: points");
        for (i, ((a, b), (x, y))) in r
            .fpr
            .iter()
            .zip(&r.tpr)
            .zip(fpr.iter().zip(&tpr))
            .enumerate()
        {
            assert!(
                (a - x).abs() < 1e-12 && (b - y).abs() < 1e-12,
                "{name} point {i}"
            );
        }
    }
    assert!(signed_zero_seen);
}

#[test]
fn signed_zeros_tie() {
    let r = roc(&[-0.0, -0.0], &[0.0, 0.0]).unwrap();
    assert_eq!(r.auroc, 0.5);
    assert_eq!(r.fpr, [0.0, 1.0]);
    let r = roc(&[0.0, 1.0], &[-0.0, 2.0]).unwrap();
    // pairs: (-0, 0) ties = 1/2, (-0, 1) = 0, (2, 0) = 1, (2, 1) = 1: 2.5 of 4
    assert_eq!(r.auroc, 0.625);
}
