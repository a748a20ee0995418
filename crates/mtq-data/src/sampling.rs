//! Seeded shuffling, train/test splits and stratified subsampling.
//!
//! Every random choice draws from one `ChaCha8Rng` seeded with the caller's `seed`, so the same
//! seed gives the same result on every machine and with every `rand` patch release.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

impl Dataset {
    /// The samples in a random order drawn from `seed` (ids travel with their samples).
    pub fn shuffle(&self, seed: u64) -> Self {
        let mut order: Vec<usize> = (0..self.n_samples()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        self.take(&order)
    }

    /// A random train/test split: `round(test_fraction * n)` samples, drawn with `seed`, go to
    /// the test set. Both sets keep the original sample order (call [`shuffle`](Self::shuffle)
    /// for a random order); classes and image shape are kept.
    ///
    /// # Errors
    /// [`DataError::InvalidFraction`] unless `0 < test_fraction < 1`.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let n_test = test_count(self.n_samples(), test_fraction)?;
        let mut order: Vec<usize> = (0..self.n_samples()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        Ok(self.split_at(&order[..n_test]))
    }

    /// A train/test split that keeps the class proportions: `round(test_fraction * n)` test
    /// samples, shared among the classes in proportion to their counts (largest remainders get
    /// the leftovers, ties to the lower label), each class's drawn with `seed`. Both sets keep
    /// the original sample order.
    ///
    /// # Errors
    /// [`DataError::InvalidFraction`] unless `0 < test_fraction < 1`.
    pub fn stratified_split(&self, test_fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let n_test = test_count(self.n_samples(), test_fraction)?;
        let picked = self.stratified_indices(n_test, seed);
        Ok(self.split_at(&picked))
    }

    /// `n` samples drawn with `seed` so that each class keeps its share of the data set (as in
    /// [`stratified_split`](Self::stratified_split)), in the original sample order.
    ///
    /// # Errors
    /// [`DataError::NotEnoughSamples`] if `n` exceeds [`n_samples`](Self::n_samples).
    pub fn stratified_subsample(&self, n: usize, seed: u64) -> Result<Self> {
        if n > self.n_samples() {
            return Err(DataError::NotEnoughSamples {
                requested: n,
                available: self.n_samples(),
            });
        }
        let mut picked = self.stratified_indices(n, seed);
        picked.sort_unstable();
        Ok(self.take(&picked))
    }

    /// Indices of `n <= n_samples` samples, class shares kept, unsorted.
    fn stratified_indices(&self, n: usize, seed: u64) -> Vec<usize> {
        stratified_indices(&self.labels().to_vec(), n, seed)
    }

    /// `(train, test)` where test holds the samples at `test_indices` (distinct, in range).
    fn split_at(&self, test_indices: &[usize]) -> (Self, Self) {
        let mut in_test = vec![false; self.n_samples()];
        for &i in test_indices {
            in_test[i] = true;
        }
        let (test, train): (Vec<usize>, Vec<usize>) =
            (0..self.n_samples()).partition(|&i| in_test[i]);
        (self.take(&train), self.take(&test))
    }
}

/// The rows a stratified split of rows labelled `labels` (class indices, one per row) puts on
/// the `fraction` side, as [`Dataset::stratified_split`] draws them: `round(fraction * n)` rows,
/// shared among the classes in proportion to their counts, each class's drawn with `seed`;
/// ascending. For sets that are not a [`Dataset`] (e.g. activations read from `.npy` files).
///
/// # Errors
/// [`DataError::InvalidFraction`] unless `0 < fraction < 1`.
pub fn stratified_pick(labels: &[usize], fraction: f64, seed: u64) -> Result<Vec<usize>> {
    let n = test_count(labels.len(), fraction)?;
    let mut picked = stratified_indices(labels, n, seed);
    picked.sort_unstable();
    Ok(picked)
}

/// Indices of `n <= labels.len()` rows, class shares kept, unsorted.
fn stratified_indices(labels: &[usize], n: usize, seed: u64) -> Vec<usize> {
    let n_classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let counts: Vec<usize> = by_class.iter().map(Vec::len).collect();
    let quota = proportional_counts(&counts, n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut picked = Vec::with_capacity(n);
    for (mut members, q) in by_class.into_iter().zip(quota) {
        let (chosen, _) = members.partial_shuffle(&mut rng, q);
        picked.extend_from_slice(chosen);
    }
    picked
}

fn test_count(n: usize, fraction: f64) -> Result<usize> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(DataError::InvalidFraction {
            name: "test_fraction",
            value: fraction,
        });
    }
    // 0 < fraction < 1, so the product lies in [0, n] and the cast cannot truncate.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let k = (fraction * n as f64).round() as usize;
    Ok(k.min(n))
}

/// Shares `n <= sum(counts)` among classes in proportion to `counts` (largest remainder method;
/// ties go to the lower index). No share exceeds its count.
fn proportional_counts(counts: &[usize], n: usize) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    if total == 0 {
        return vec![0; counts.len()];
    }
    let (n, total_w) = (n as u128, total as u128);
    let mut shares: Vec<usize> = Vec::with_capacity(counts.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(counts.len());
    for (k, &c) in counts.iter().enumerate() {
        let exact = n * c as u128;
        // exact / total <= c, so the share fits a usize.
        shares.push(usize::try_from(exact / total_w).unwrap_or(c));
        remainders.push((exact % total_w, k));
    }
    let assigned: usize = shares.iter().sum();
    let left = usize::try_from(n)
        .unwrap_or(usize::MAX)
        .saturating_sub(assigned);
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, k) in remainders.iter().take(left) {
        shares[k] += 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};

    use super::*;

    fn data(labels: &[usize]) -> Dataset {
        let x = Array2::from_shape_fn((labels.len(), 2), |(i, j)| (2 * i + j) as f32);
        Dataset::new(x, Array1::from_vec(labels.to_vec())).unwrap()
    }

    #[test]
    fn proportional_counts_sum_to_n_and_respect_counts() {
        for n in 0..=10 {
            let s = proportional_counts(&[5, 3, 2, 0], n);
            assert_eq!(s.iter().sum::<usize>(), n);
            assert!(s.iter().zip([5, 3, 2, 0]).all(|(&a, c)| a <= c));
        }
        assert_eq!(proportional_counts(&[5, 3, 2], 5), [3, 1, 1]);
    }

    #[test]
    fn shuffle_is_a_seeded_permutation_carrying_ids() {
        let d = data(&[0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
        let a = d.shuffle(7);
        assert_eq!(a, d.shuffle(7));
        assert_ne!(a.ids(), d.shuffle(8).ids());
        let mut ids = a.ids().to_vec();
        ids.sort_unstable();
        assert_eq!(ids, (0..10).collect::<Vec<_>>());
        for (row, &id) in a.features().rows().into_iter().zip(a.ids()) {
            assert_eq!(row[0], (2 * id) as f32);
            assert_eq!(
                a.labels()[a.ids().iter().position(|&j| j == id).unwrap()],
                id % 2
            );
        }
    }

    #[test]
    fn split_partitions_ids() {
        let d = data(&[0; 20]);
        let (train, test) = d.split(0.25, 3).unwrap();
        assert_eq!((train.n_samples(), test.n_samples()), (15, 5));
        let mut all: Vec<usize> = train.ids().iter().chain(test.ids()).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..20).collect::<Vec<_>>());
        assert!(test.ids().windows(2).into_iter().all(|w| w[0] < w[1]));
        for bad in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(matches!(
                d.split(bad, 0),
                Err(DataError::InvalidFraction { .. })
            ));
        }
    }

    #[test]
    fn stratified_split_keeps_proportions() {
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i % 4 == 0)).collect(); // 75 / 25
        let (train, test) = data(&labels).stratified_split(0.2, 1).unwrap();
        assert_eq!(test.class_counts(), [15, 5]);
        assert_eq!(train.class_counts(), [60, 20]);
    }

    #[test]
    fn stratified_subsample_keeps_proportions_and_checks_n() {
        let labels: Vec<usize> = (0..90).map(|i| i % 3).collect();
        let d = data(&labels);
        let s = d.stratified_subsample(30, 5).unwrap();
        assert_eq!(s.class_counts(), [10, 10, 10]);
        assert_eq!(s, d.stratified_subsample(30, 5).unwrap());
        assert!(matches!(
            d.stratified_subsample(91, 0),
            Err(DataError::NotEnoughSamples {
                requested: 91,
                available: 90
            })
        ));
    }
}
