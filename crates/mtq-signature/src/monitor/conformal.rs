//! Split-conformal p-values of one score, with the ranking resolution of the score kept.
//!
//! The textbook split-conformal p-value of a score `s` against `m` calibration scores is
//! `p(s) = (1 + #{c_i >= s}) / (m + 1)` (Vovk, Gammerman & Shafer 2005; Angelopoulos & Bates
//! 2021, eq. 1): a step function, so inputs between two calibration scores tie, every input
//! beyond the largest one gets `1 / (m + 1)`, and with few calibration scores it is
//! conservative (its flag rate is `floor(alpha (m + 1)) / (m + 1)`, below alpha).
//! [`Calibration::log_p_value`] is the smoothed conformal p-value `(#{c_i > s} + u) / (m + 1)`
//! (Vovk et al. 2005, §2.4) with the uniform draw `u` replaced by the input's position in its
//! gap between calibration scores, so it is deterministic and keeps the ranking:
//! - between the `j`-th and `(j+1)`-th smallest calibration scores it falls linearly from
//!   `(m - j + 1) / (m + 1)` to `(m - j) / (m + 1)`: never more than `1 / (m + 1)` below the
//!   textbook value, so `P(p <= alpha) <= alpha + 1 / (m + 1)` for new inputs exchangeable
//!   with the calibration set, and `= alpha` on average for continuous scores (the smoothed
//!   p-value's exactness);
//! - beyond the largest calibration score `c_max` it continues as
//!   `p(s) = exp(-(s - c_max) / tau) / (m + 1)`, the exponential tail of a peaks-over-threshold
//!   fit (Pickands 1975; `tau` = the mean excess of the top tenth of the calibration scores over
//!   the value below them): continuous at `c_max` and strictly decreasing, so the most unusual
//!   inputs keep their order. Below `1 / (m + 1)` the p-value carries no conformal guarantee
//!   (no calibration set of `m` scores can): choose `alpha >= 1 / (m + 1)`.
//!
//! p-values are handled as natural logarithms so that the far tail does not underflow.

/// The smallest `ln p` returned: an infinite score (a distance that overflowed) is as unusual
/// as can be, and every statistic built on it stays finite.
pub const LOG_P_FLOOR: f64 = -1e300;

/// Share of the largest calibration scores whose excesses give the tail scale.
const TAIL_SHARE: f64 = 0.1;

/// The calibration scores of one score (higher = more unusual), sorted, with the scale of their
/// upper tail. Build with [`Calibration::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    sorted: Vec<f64>,
    tau: f64,
}

impl Calibration {
    /// The calibration of `scores` (the score of every calibration input). `None` when a score
    /// is not finite or there is none.
    #[must_use]
    pub fn new(mut scores: Vec<f64>) -> Option<Self> {
        if scores.is_empty() || scores.iter().any(|v| !v.is_finite()) {
            return None;
        }
        scores.sort_by(f64::total_cmp);
        let tau = tail_scale(&scores);
        Some(Self {
            sorted: scores,
            tau,
        })
    }

    /// A calibration from its parts (as [`Calibration::scores`] and [`Calibration::tail_scale`]
    /// give them, e.g. read from a file). `None` unless the scores are finite, non-empty and
    /// sorted ascending and `tau` is finite and positive.
    #[must_use]
    pub fn from_parts(sorted: Vec<f64>, tau: f64) -> Option<Self> {
        let ok = !sorted.is_empty()
            && sorted.iter().all(|v| v.is_finite())
            && sorted.windows(2).all(|w| w[0] <= w[1])
            && tau.is_finite()
            && tau > 0.0;
        ok.then_some(Self { sorted, tau })
    }

    /// The calibration scores, ascending.
    #[must_use]
    pub fn scores(&self) -> &[f64] {
        &self.sorted
    }

    /// The scale `tau` of the exponential tail beyond the largest calibration score.
    #[must_use]
    pub fn tail_scale(&self) -> f64 {
        self.tau
    }

    /// Number of calibration scores.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always false: a calibration has at least one score.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// `ln p(s)` of a new input's score `s` (see the [module doc](self)), at least
    /// [`LOG_P_FLOOR`]; a NaN score counts as the most unusual (fail closed).
    #[must_use]
    pub fn log_p_value(&self, s: f64) -> f64 {
        log_p(&self.sorted, self.tau, s, false)
    }

    /// `ln p` of calibration score `s` against the other calibration scores (one copy of `s`
    /// left out): the leave-one-out p-value of a calibration input, to calibrate a statistic
    /// built from several p-values. `s` must be one of [`Calibration::scores`].
    #[must_use]
    pub fn log_p_value_left_out(&self, s: f64) -> f64 {
        log_p(&self.sorted, self.tau, s, true)
    }

    /// The score above which `p(s) < alpha`: the threshold that flags at level `alpha`
    /// (`alpha` in `(0, 1)`; `-inf` for `alpha >= 1`, `+inf` for `alpha <= 0`).
    #[must_use]
    pub fn threshold(&self, alpha: f64) -> f64 {
        if alpha >= 1.0 {
            return f64::NEG_INFINITY;
        }
        if alpha.is_nan() || alpha <= 0.0 {
            return f64::INFINITY;
        }
        let m = self.sorted.len();
        let a = alpha * (m as f64 + 1.0);
        let top = self.sorted[m - 1];
        if a <= 1.0 {
            return top + self.tau * (1.0 / a).ln();
        }
        if m < 2 {
            return top;
        }
        // interior: p = (m - j + 1 - t) / (m + 1) on (c_j, c_{j+1}], 1 <= j <= m - 1
        let j = ((m as f64 - a).ceil().max(1.0) as usize).min(m - 1);
        let t = (m as f64 - j as f64 + 1.0 - a).clamp(0.0, 1.0);
        let (lo, hi) = (self.sorted[j - 1], self.sorted[j]);
        lo + t * (hi - lo)
    }
}

/// `ln p(s)` against `sorted` (with `exclude_one`, against `sorted` less one copy of `s`).
fn log_p(sorted: &[f64], tau: f64, s: f64, exclude_one: bool) -> f64 {
    if s.is_nan() {
        return LOG_P_FLOOR;
    }
    // j = calibration scores strictly below s (unchanged by leaving out a copy of s)
    let j = sorted.partition_point(|&c| c < s);
    let m = sorted.len() - usize::from(exclude_one && j < sorted.len());
    let m1 = m as f64 + 1.0;
    if j == 0 {
        return 0.0;
    }
    // the smallest kept calibration score at or above s
    let upper = if exclude_one {
        sorted.get(j + 1)
    } else {
        sorted.get(j)
    };
    match upper {
        None => {
            let top = sorted[j - 1];
            (-(m1.ln()) - (s - top) / tau).max(LOG_P_FLOOR)
        }
        Some(&hi) => {
            let lo = sorted[j - 1];
            let t = if hi > lo { (s - lo) / (hi - lo) } else { 1.0 };
            ((m as f64 - j as f64 + 1.0 - t.clamp(0.0, 1.0)) / m1)
                .min(1.0)
                .ln()
        }
    }
}

/// Mean excess of the top [`TAIL_SHARE`] of `sorted` over the value just below them; falls back
/// to the spread of all scores, then to 1, so the tail always decreases.
fn tail_scale(sorted: &[f64]) -> f64 {
    let m = sorted.len();
    let top = ((m as f64 * TAIL_SHARE).ceil() as usize).clamp(1, m);
    let base = if m > top {
        sorted[m - top - 1]
    } else {
        sorted[0]
    };
    let excess = sorted[m - top..].iter().map(|v| v - base).sum::<f64>() / top as f64;
    let spread = sorted[m - 1] - sorted[0];
    [excess, spread, 1.0]
        .into_iter()
        .find(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook split-conformal p-value.
    fn textbook(cal: &[f64], s: f64) -> f64 {
        (1.0 + cal.iter().filter(|&&c| c >= s).count() as f64) / (cal.len() as f64 + 1.0)
    }

    #[test]
    fn p_values_lie_within_one_step_below_the_textbook_value() {
        let cal: Vec<f64> = (0..50).map(|i| f64::from((i * 37) % 50) * 0.5).collect();
        let c = Calibration::new(cal.clone()).unwrap();
        let top = c.scores()[49];
        let mut last = 1.0f64;
        for i in 0..=600 {
            let s = -1.0 + f64::from(i) * 0.05;
            let p = c.log_p_value(s).exp();
            if s <= top {
                assert!(p <= textbook(&cal, s) + 1e-12, "s {s}: {p} > textbook");
                assert!(
                    p >= textbook(&cal, s) - 1.0 / 51.0 - 1e-12,
                    "s {s}: {p} more than a step below the textbook value"
                );
            } else {
                assert!(p < 1.0 / 51.0, "beyond the top, below 1/(m+1)");
            }
            // non-increasing everywhere, strictly decreasing beyond the top (no plateau)
            assert!(p <= last + 1e-12, "s {s}: {p} > {last}");
            if s > top + 0.05 {
                assert!(p < last, "plateau at {s}");
            }
            last = p;
        }
    }

    #[test]
    fn threshold_inverts_the_p_value() {
        let cal: Vec<f64> = (0..200).map(|i| f64::from(i).sqrt()).collect();
        let c = Calibration::new(cal).unwrap();
        for alpha in [0.5, 0.1, 0.05, 0.01, 0.001] {
            let t = c.threshold(alpha);
            let p = c.log_p_value(t).exp();
            assert!(
                (p - alpha).abs() < 1e-9,
                "alpha {alpha}: p(threshold) = {p}"
            );
            assert!(c.log_p_value(t + 1e-6).exp() < alpha);
        }
    }

    #[test]
    fn flag_rate_of_exchangeable_scores_is_at_most_alpha() {
        // 200 calibration scores and 20,000 new ones from the same distribution
        let draw =
            |i: u64| ((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64) / (1u64 << 53) as f64;
        let cal: Vec<f64> = (0..200).map(draw).collect();
        let c = Calibration::new(cal).unwrap();
        for alpha in [0.01f64, 0.05, 0.1] {
            let flagged = (1000..21_000)
                .filter(|&i| c.log_p_value(draw(i)) < f64::ln(alpha))
                .count() as f64
                / 20_000.0;
            // P(p <= alpha) <= alpha + 1/(m+1), and about alpha for continuous scores
            assert!(flagged <= alpha + 1.0 / 201.0, "alpha {alpha}: {flagged}");
            assert!(flagged >= alpha - 0.01, "alpha {alpha}: {flagged}");
        }
    }

    #[test]
    fn left_out_p_value_is_the_p_value_against_the_others() {
        let cal = vec![1.0, 2.0, 2.0, 3.0, 5.0, 8.0];
        let c = Calibration::new(cal.clone()).unwrap();
        for (i, &s) in cal.iter().enumerate() {
            let mut others = cal.clone();
            others.remove(i);
            let o = Calibration::from_parts(others, c.tail_scale()).unwrap();
            assert!(
                (c.log_p_value_left_out(s) - o.log_p_value(s)).abs() < 1e-12,
                "{s}"
            );
        }
    }

    #[test]
    fn bad_calibrations_are_refused() {
        assert!(Calibration::new(vec![]).is_none());
        assert!(Calibration::new(vec![1.0, f64::NAN]).is_none());
        assert!(Calibration::from_parts(vec![2.0, 1.0], 1.0).is_none());
        assert!(Calibration::from_parts(vec![1.0], 0.0).is_none());
        // a constant calibration still has a decreasing tail
        let c = Calibration::new(vec![3.0; 10]).unwrap();
        assert!(c.log_p_value(4.0) < c.log_p_value(3.5));
        assert_eq!(c.log_p_value(3.0), 0.0);
    }
}
