//! [`KRange`]: the range of K a sweep tries, checked when it is made.

use std::fmt;
use std::ops::RangeInclusive;

use crate::error::{ClusterError, Result};

/// The numbers of clusters a K sweep tries: every K from [`min`](Self::min) to
/// [`max`](Self::max), both included, with `2 <= min <= max` (a silhouette needs two clusters).
///
/// Made by [`KRange::new`] (or `KRange::try_from(2..=10)`), so a range that exists is valid; the
/// check that needs the data (K below the number of rows) is made by the sweep's `fit`, which
/// also stops early when the data has fewer distinct rows than `max`
/// ([`KSweep::capped_from`](crate::KSweep::capped_from)). The default is the reference study's
/// `2..=10`. Displayed as `2..=10`.
///
/// ```
/// use mtq_cluster::{ClusterError, KRange};
/// # fn main() -> mtq_cluster::Result<()> {
/// let ks = KRange::new(2, 5)?;
/// assert_eq!((ks.min(), ks.max()), (2, 5));
/// assert!(ks.contains(5) && !ks.contains(6));
/// assert_eq!(ks.into_iter().collect::<Vec<_>>(), [2, 3, 4, 5]);
/// assert_eq!(ks.to_string(), "2..=5");
/// assert_eq!(KRange::try_from(2..=5)?, ks);
/// assert_eq!(KRange::new(1, 5), Err(ClusterError::InvalidKRange { min: 1, max: 5 }));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KRange {
    min: usize,
    max: usize,
}

impl KRange {
    /// Every K from `min` to `max`, both included.
    ///
    /// # Errors
    /// [`ClusterError::InvalidKRange`] (naming `min` and `max`) unless `2 <= min <= max`.
    pub fn new(min: usize, max: usize) -> Result<Self> {
        if min < 2 || max < min {
            return Err(ClusterError::InvalidKRange { min, max });
        }
        Ok(Self { min, max })
    }

    /// The smallest K tried (at least 2).
    #[must_use]
    pub fn min(self) -> usize {
        self.min
    }

    /// The largest K tried (at least [`min`](Self::min)).
    #[must_use]
    pub fn max(self) -> usize {
        self.max
    }

    /// Whether `k` is in the range.
    #[must_use]
    pub fn contains(self, k: usize) -> bool {
        (self.min..=self.max).contains(&k)
    }

    /// The range as `min..=max` (also what iterating a `KRange` walks through).
    #[must_use]
    pub fn to_range(self) -> RangeInclusive<usize> {
        self.min..=self.max
    }
}

impl Default for KRange {
    /// `2..=10`, the reference study's range.
    fn default() -> Self {
        Self { min: 2, max: 10 }
    }
}

impl fmt::Display for KRange {
    /// `min..=max`, e.g. `2..=10`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", self.min, self.max)
    }
}

impl IntoIterator for KRange {
    type Item = usize;
    type IntoIter = RangeInclusive<usize>;

    /// Every K of the range, in increasing order.
    fn into_iter(self) -> Self::IntoIter {
        self.to_range()
    }
}

impl From<KRange> for RangeInclusive<usize> {
    fn from(range: KRange) -> Self {
        range.to_range()
    }
}

impl TryFrom<RangeInclusive<usize>> for KRange {
    type Error = ClusterError;

    /// `a..=b` as [`KRange::new(a, b)`](KRange::new).
    fn try_from(range: RangeInclusive<usize>) -> Result<Self> {
        Self::new(*range.start(), *range.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_range_gives_its_bounds() {
        let ks = KRange::new(2, 10).unwrap();
        assert_eq!((ks.min(), ks.max()), (2, 10));
        assert_eq!(ks, KRange::default());
        assert_eq!(ks.to_range(), 2..=10);
        assert_eq!(RangeInclusive::from(ks), 2..=10);
        assert_eq!(ks.into_iter().count(), 9);
        assert_eq!(ks.to_string(), "2..=10");
        let one = KRange::new(3, 3).unwrap();
        assert_eq!(one.into_iter().collect::<Vec<_>>(), [3]);
        assert!(one.contains(3) && !one.contains(2) && !one.contains(4));
    }

    #[test]
    fn a_min_below_two_is_refused() {
        assert_eq!(
            KRange::new(0, 5),
            Err(ClusterError::InvalidKRange { min: 0, max: 5 })
        );
        assert_eq!(
            KRange::new(1, 5),
            Err(ClusterError::InvalidKRange { min: 1, max: 5 })
        );
        assert_eq!(
            KRange::new(1, 1),
            Err(ClusterError::InvalidKRange { min: 1, max: 1 })
        );
    }

    #[test]
    fn a_max_below_min_is_refused() {
        assert_eq!(
            KRange::new(5, 4),
            Err(ClusterError::InvalidKRange { min: 5, max: 4 })
        );
        let (hi, lo) = (10, 2);
        assert_eq!(
            KRange::try_from(hi..=lo),
            Err(ClusterError::InvalidKRange { min: 10, max: 2 })
        );
    }

    #[test]
    fn the_error_names_both_bounds() {
        let msg = KRange::new(5, 4).unwrap_err().to_string();
        assert_eq!(msg, "K range 5..=4 is invalid: need 2 <= min <= max");
    }
}
