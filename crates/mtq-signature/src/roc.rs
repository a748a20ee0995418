//! ROC curves, area under them and the false-positive rate at 95 % true-positive rate.
//!
//! Convention: a higher score means "more anomalous"; positives are the anomalies (unseen classes),
//! negatives the in-distribution samples.

use serde::{Deserialize, Serialize};

use crate::error::{Result, SignatureError};

/// A ROC curve and its summary figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roc {
    /// False-positive rates, from 0 to 1, one point per distinct threshold (plus the origin).
    pub fpr: Vec<f64>,
    /// True-positive rates matching `fpr`.
    pub tpr: Vec<f64>,
    /// Area under the curve; ties count one half (equals the Mann-Whitney statistic).
    pub auroc: f64,
    /// Smallest false-positive rate among thresholds reaching a true-positive rate of at least 0.95.
    pub fpr_at_95_tpr: f64,
}

/// Computes the ROC curve of `negatives` (in-distribution) against `positives` (anomalies).
///
/// Equal scores are ties (`-0.0 == +0.0`, `inf == inf`): one point per distinct score, a tied
/// positive/negative pair counts one half, as scikit-learn's `roc_curve` / `roc_auc_score`
/// (checked against them on tie-heavy inputs in `tests/roc_sklearn.rs`).
///
/// # Errors
/// [`SignatureError::RocNeedsBoth`] if either side is empty, [`SignatureError::NanScore`] if a score
/// is NaN (infinities are fine: they sort at the ends).
///
/// # Example
/// ```
/// let roc = mtq_signature::roc(&[0.1, 0.2, 0.3], &[0.25, 0.9])?;
/// assert!((roc.auroc - 5.0 / 6.0).abs() < 1e-12);
/// # Ok::<(), mtq_signature::SignatureError>(())
/// ```
pub fn roc(negatives: &[f64], positives: &[f64]) -> Result<Roc> {
    if negatives.is_empty() || positives.is_empty() {
        return Err(SignatureError::RocNeedsBoth {
            positives: positives.len(),
            negatives: negatives.len(),
        });
    }
    for (name, s) in [("negatives", negatives), ("positives", positives)] {
        if let Some(index) = s.iter().position(|v| v.is_nan()) {
            return Err(SignatureError::NanScore {
                name: name.to_string(),
                index,
            });
        }
    }
    // `v + 0.0` turns -0.0 into +0.0: equal scores are ties whatever their sign bit, as in
    // scikit-learn (which compares with `==`).
    let mut all: Vec<(f64, bool)> = negatives
        .iter()
        .map(|&v| (v + 0.0, false))
        .chain(positives.iter().map(|&v| (v + 0.0, true)))
        .collect();
    // Descending score; ties are grouped below, so their inner order does not matter.
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (n_pos, n_neg) = (positives.len() as f64, negatives.len() as f64);
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut fpr = vec![0.0];
    let mut tpr = vec![0.0];
    let mut auc = 0.0;
    let mut fpr95 = 1.0f64;
    let mut i = 0;
    while i < all.len() {
        let v = all[i].0;
        let (tp0, fp0) = (tp, fp);
        while i < all.len() && all[i].0 == v {
            if all[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        // Trapezoid over the tie group: counts a tied positive/negative pair one half.
        auc += (fp - fp0) as f64 * (tp + tp0) as f64 / 2.0;
        let (f, t) = (fp as f64 / n_neg, tp as f64 / n_pos);
        if t >= 0.95 {
            fpr95 = fpr95.min(f);
        }
        fpr.push(f);
        tpr.push(t);
    }
    Ok(Roc {
        fpr,
        tpr,
        auroc: auc / (n_pos * n_neg),
        fpr_at_95_tpr: fpr95,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AUROC by brute force over all pairs (ties one half).
    fn pairs_auc(neg: &[f64], pos: &[f64]) -> f64 {
        let mut s = 0.0;
        for &p in pos {
            for &n in neg {
                s += if p > n {
                    1.0
                } else if p == n {
                    0.5
                } else {
                    0.0
                };
            }
        }
        s / (neg.len() * pos.len()) as f64
    }

    #[test]
    fn auroc_matches_pair_count_with_ties() {
        let neg = [0.1, 0.4, 0.4, 0.35, 0.8, 0.2];
        let pos = [0.4, 0.9, 0.35, 0.7, 0.05];
        let r = roc(&neg, &pos).unwrap();
        assert!((r.auroc - pairs_auc(&neg, &pos)).abs() < 1e-12);
        assert_eq!(r.fpr.first(), Some(&0.0));
        assert_eq!(r.tpr.last(), Some(&1.0));
        assert_eq!(r.fpr.len(), r.tpr.len());
    }

    #[test]
    fn perfect_and_reversed_separation() {
        let r = roc(&[0.0, 1.0], &[2.0, 3.0]).unwrap();
        assert_eq!(r.auroc, 1.0);
        assert_eq!(r.fpr_at_95_tpr, 0.0);
        let r = roc(&[2.0, 3.0], &[0.0, 1.0]).unwrap();
        assert_eq!(r.auroc, 0.0);
        assert_eq!(r.fpr_at_95_tpr, 1.0);
    }

    #[test]
    fn fpr_at_95_takes_first_threshold_reaching_it() {
        // 20 positives at 1..=20, negatives 0.5, 10.5, 18.5: TPR 0.95 needs threshold 2 (19 of 20),
        // above 0.5 only -> 2 of 3 negatives are higher.
        let pos: Vec<f64> = (1..=20).map(f64::from).collect();
        let r = roc(&[0.5, 10.5, 18.5], &pos).unwrap();
        assert!((r.fpr_at_95_tpr - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_empty_and_nan() {
        assert!(matches!(
            roc(&[], &[1.0]),
            Err(SignatureError::RocNeedsBoth {
                positives: 1,
                negatives: 0
            })
        ));
        assert!(matches!(
            roc(&[1.0], &[f64::NAN]),
            Err(SignatureError::NanScore { index: 0, .. })
        ));
    }
}
