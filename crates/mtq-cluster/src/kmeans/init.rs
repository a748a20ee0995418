//! Initial centroids: greedy k-means++ (scikit-learn's algorithm) and uniform random samples.

use ndarray::Array2;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::data::sq_dist;

/// Rows per parallel block (fixed: the grouping of partial sums never depends on threads).
const BLOCK: usize = 1024;

/// Greedy k-means++ as scikit-learn's `_kmeans_plusplus` (unit sample weights).
pub(crate) fn plusplus(x: &Array2<f32>, k: usize, rng: &mut ChaCha8Rng) -> Array2<f32> {
    let (n, d) = x.dim();
    let xs = x.as_slice().unwrap_or_default();
    let row = |i: usize| &xs[i * d..(i + 1) * d];
    let n_trials = 2 + (k as f64).ln() as usize;
    let mut centers = Array2::<f32>::zeros((k, d));
    let first = rng.random_range(0..n);
    centers.row_mut(0).assign(&x.row(first));
    let mut closest: Vec<f64> = (0..n)
        .map(|i| f64::from(sq_dist(row(i), row(first))))
        .collect();
    let mut pot = block_sum(&closest);
    let mut cum = vec![0.0f64; n];
    for c in 1..k {
        let mut acc = 0.0f64;
        for (cv, &v) in cum.iter_mut().zip(&closest) {
            acc += v;
            *cv = acc;
        }
        let cands: Vec<usize> = (0..n_trials)
            .map(|_| {
                let r = rng.random::<f64>() * pot;
                cum.partition_point(|&v| v < r).min(n - 1)
            })
            .collect();
        // distances to every candidate, min with the current closest, potentials per candidate
        let mut trial: Vec<Vec<f64>> = vec![vec![0.0; n]; n_trials];
        let mut pots = vec![0.0f64; n_trials];
        for (t, &cand) in cands.iter().enumerate() {
            let cr = row(cand);
            trial[t]
                .par_chunks_mut(BLOCK)
                .zip(closest.par_chunks(BLOCK))
                .enumerate()
                .for_each(|(b, (out, cl))| {
                    for (j, (o, &c0)) in out.iter_mut().zip(cl).enumerate() {
                        *o = c0.min(f64::from(sq_dist(row(b * BLOCK + j), cr)));
                    }
                });
            pots[t] = block_sum(&trial[t]);
        }
        let mut best = 0;
        for t in 1..n_trials {
            if pots[t] < pots[best] {
                best = t;
            }
        }
        pot = pots[best];
        closest = std::mem::take(&mut trial[best]);
        centers.row_mut(c).assign(&x.row(cands[best]));
    }
    centers
}

/// `k` distinct rows drawn uniformly.
pub(crate) fn random(x: &Array2<f32>, k: usize, rng: &mut ChaCha8Rng) -> Array2<f32> {
    let idx = rand::seq::index::sample(rng, x.nrows(), k);
    let mut centers = Array2::<f32>::zeros((k, x.ncols()));
    for (c, i) in idx.iter().enumerate() {
        centers.row_mut(c).assign(&x.row(i));
    }
    centers
}

/// Sum in fixed blocks, blocks added in order.
fn block_sum(v: &[f64]) -> f64 {
    let parts: Vec<f64> = v.par_chunks(BLOCK).map(|c| c.iter().sum::<f64>()).collect();
    parts.iter().sum()
}
