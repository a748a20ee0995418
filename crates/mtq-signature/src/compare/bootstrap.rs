//! Seeded bootstrap replicates of a share and of an AUROC, and the percentile interval of a pool
//! of replicates (Efron and Tibshirani 1993, "An Introduction to the Bootstrap", ch. 13).
//!
//! Every quantity draws from its own `ChaCha8Rng` stream, seeded from the comparison's seed and
//! the quantity's name: the replicates never depend on the thread count or on what else is
//! compared.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::facts::Count;

/// The seed of one quantity's stream: FNV-1a over `key`'s bytes, mixed with `seed` by
/// SplitMix64's finaliser.
pub(crate) fn stream_seed(seed: u64, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `b` replicates of `count`'s share: each resamples its `n` samples with replacement and gives
/// the share of counted ones, i.e. draws `Binomial(n, hits / n) / n`. An empty set gives zeros.
pub(crate) fn share_replicates(count: Count, b: usize, seed: u64) -> Vec<f64> {
    let Count { hits, n } = count;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // n > 0 and 0 <= hits / n <= 1 (hits never exceeds n): the only errors Binomial has
    match rand_distr::Binomial::new(n as u64, hits.min(n) as f64 / n.max(1) as f64) {
        Ok(binomial) if n > 0 => (0..b)
            .map(|_| rng.sample(binomial) as f64 / n as f64)
            .collect(),
        _ => vec![0.0; b],
    }
}

/// `b` replicates of the AUROC of `negatives` against `positives` (higher = more anomalous; a
/// tie counts one half, as [`roc`](crate::roc())): each resamples the negatives and the
/// positives with replacement, separately (the task's class sizes are fixed), and computes the
/// Mann-Whitney statistic of the resample in one pass over the scores sorted once.
///
/// `None` if either side is empty or a score is NaN.
pub(crate) fn auroc_replicates(
    negatives: &[f64],
    positives: &[f64],
    b: usize,
    seed: u64,
) -> Option<Vec<f64>> {
    let (nn, np) = (negatives.len(), positives.len());
    if nn == 0 || np == 0 || negatives.iter().chain(positives).any(|v| v.is_nan()) {
        return None;
    }
    // samples 0..nn are the negatives, nn.. the positives; `order` sorts them by score and
    // `starts` marks where each run of equal scores begins (`v + 0.0`: -0.0 ties +0.0)
    let all: Vec<f64> = negatives.iter().chain(positives).map(|v| v + 0.0).collect();
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by(|&i, &j| all[i].total_cmp(&all[j]));
    let mut starts: Vec<usize> = (0..order.len())
        .filter(|&r| r == 0 || all[order[r]] != all[order[r - 1]])
        .collect();
    starts.push(order.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut weight = vec![0u32; all.len()];
    let pairs = nn as f64 * np as f64;
    Some(
        (0..b)
            .map(|_| {
                weight.fill(0);
                for _ in 0..nn {
                    weight[rng.random_range(0..nn)] += 1;
                }
                for _ in 0..np {
                    weight[nn + rng.random_range(0..np)] += 1;
                }
                let (mut below, mut wins) = (0.0f64, 0.0f64);
                for run in starts.windows(2) {
                    let (mut neg, mut pos) = (0.0f64, 0.0f64);
                    for &i in &order[run[0]..run[1]] {
                        let w = f64::from(weight[i]);
                        if i < nn { neg += w } else { pos += w }
                    }
                    wins += pos * (below + 0.5 * neg);
                    below += neg;
                }
                wins / pairs
            })
            .collect(),
    )
}

/// Hanley and McNeil's (1982) standard error of an AUROC `a` measured on `n_pos` positives and
/// `n_neg` negatives (Radiology 143:29-36, eq. 2): the interval of an AUROC whose samples are
/// not known (a finished report).
pub(crate) fn hanley_mcneil_se(a: f64, n_pos: usize, n_neg: usize) -> f64 {
    let (np, nn) = (n_pos as f64, n_neg as f64);
    if np < 1.0 || nn < 1.0 {
        return 0.0;
    }
    let q1 = a / (2.0 - a);
    let q2 = 2.0 * a * a / (1.0 + a);
    let var = (a * (1.0 - a) + (np - 1.0) * (q1 - a * a) + (nn - 1.0) * (q2 - a * a)) / (np * nn);
    var.max(0.0).sqrt()
}

/// `b` draws of `Normal(mean, sd)` clamped to `[0, 1]` on the seeded stream: the parametric
/// replicates of an AUROC known only by its value and its standard error.
pub(crate) fn normal_replicates(mean: f64, sd: f64, b: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // sd is finite and >= 0 (a square root); a constant otherwise
    match rand_distr::Normal::new(mean, sd) {
        Ok(normal) => (0..b).map(|_| rng.sample(normal).clamp(0.0, 1.0)).collect(),
        Err(_) => vec![mean; b],
    }
}

/// The `q` quantile (`0 <= q <= 1`) of `sorted` (ascending, not empty) by linear interpolation
/// between the closest ranks (numpy's default, `method="linear"`).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos.fract());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roc;

    #[test]
    fn resampled_auroc_centres_on_the_roc_modules() {
        // ties across the sides (0.2, and -0.0 against 0.0) count one half, as in `roc`
        let (neg, pos) = ([0.1, 0.2, 0.2, 0.5, -0.0], [0.2, 0.6, 0.0, 0.9]);
        let expected = roc(&neg, &pos).unwrap().auroc;
        let reps = auroc_replicates(&neg, &pos, 4000, 7).unwrap();
        let mean = reps.iter().sum::<f64>() / reps.len() as f64;
        assert!((mean - expected).abs() < 0.02, "{mean} vs {expected}");
        assert!(reps.iter().all(|a| (0.0..=1.0).contains(a)));
        // one sample a side: every resample is the sample itself
        assert_eq!(
            auroc_replicates(&[0.3], &[0.3], 5, 0).unwrap(),
            vec![0.5; 5]
        );
        assert_eq!(
            auroc_replicates(&[0.1], &[0.3], 5, 0).unwrap(),
            vec![1.0; 5]
        );
    }

    #[test]
    fn replicates_are_seeded() {
        let c = Count { hits: 30, n: 100 };
        assert_eq!(share_replicates(c, 50, 3), share_replicates(c, 50, 3));
        assert_ne!(share_replicates(c, 50, 3), share_replicates(c, 50, 4));
        let reps = share_replicates(c, 2000, 1);
        let mean = reps.iter().sum::<f64>() / reps.len() as f64;
        // binomial: mean 0.3, sd sqrt(0.3 * 0.7 / 100) = 0.046
        assert!((mean - 0.3).abs() < 0.005, "{mean}");
        let sd = (reps.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / reps.len() as f64).sqrt();
        assert!((sd - 0.0458).abs() < 0.004, "{sd}");
    }

    #[test]
    fn hanley_mcneil_by_hand() {
        // A = 0.9, 50 and 50: Q1 = 0.9 / 1.1, Q2 = 1.62 / 1.9,
        // var = (0.09 + 49 (Q1 - 0.81) + 49 (Q2 - 0.81)) / 2500 = 0.0010319, SE = 0.03212
        let se = hanley_mcneil_se(0.9, 50, 50);
        assert!((se - 0.03212).abs() < 1e-4, "{se}");
        assert_eq!(hanley_mcneil_se(0.9, 0, 50), 0.0);
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&s, 0.0), 1.0);
        assert_eq!(quantile(&s, 1.0), 4.0);
        assert!((quantile(&s, 0.25) - 1.75).abs() < 1e-12);
        assert!(auroc_replicates(&[], &[1.0], 3, 0).is_none());
        assert!(auroc_replicates(&[f64::NAN], &[1.0], 3, 0).is_none());
    }
}
