//! Initial centroids: greedy k-means++ (scikit-learn's algorithm) and uniform random samples.

use ndarray::Array2;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::data::sq_norm;
use crate::kernel::{Centres, Packed, sq_dists};

/// Rows per parallel block (fixed: the grouping of partial sums never depends on threads).
const BLOCK: usize = 1024;

/// Greedy k-means++ as scikit-learn's `_kmeans_plusplus` (unit sample weights); squared
/// distances from `|x|² + |c|² − 2 x·c` (clamped at 0), as scikit-learn's.
pub(crate) fn plusplus(
    x: &Array2<f32>,
    packed: &Packed,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Array2<f32> {
    let (n, d) = x.dim();
    let xs = x.as_slice().unwrap_or_default();
    let row = |i: usize| &xs[i * d..(i + 1) * d];
    let x_norms: Vec<f32> = xs.chunks_exact(d).map(sq_norm).collect();
    // squared distances of every row to the given rows, `n x rows.len()`
    let dists_to = |rows: &[usize]| -> Vec<f32> {
        let t = rows.len();
        let cs: Vec<f32> = rows.iter().flat_map(|&i| row(i).iter().copied()).collect();
        let c = Centres::new(&cs, t, d);
        let mut out = vec![0.0f32; n * t];
        out.par_chunks_mut(BLOCK * t)
            .enumerate()
            .for_each(|(b, o)| {
                let r0 = b * BLOCK;
                let len = o.len() / t;
                sq_dists(packed.rows(r0, len), &x_norms[r0..r0 + len], &c, o);
            });
        out
    };
    let n_trials = 2 + (k as f64).ln() as usize;
    let mut centers = Array2::<f32>::zeros((k, d));
    let first = rng.random_range(0..n);
    centers.row_mut(0).assign(&x.row(first));
    let mut closest: Vec<f64> = dists_to(&[first]).into_iter().map(f64::from).collect();
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
        // distances to every candidate; the potential of each candidate (the sum of every
        // row's min of its current closest and its distance to the candidate) in fixed
        // blocks, added in block order, without a vector of n mins per candidate
        let dist = dists_to(&cands);
        let parts: Vec<Vec<f64>> = closest
            .par_chunks(BLOCK)
            .zip(dist.par_chunks(BLOCK * n_trials))
            .map(|(cb, db)| {
                (0..n_trials)
                    .map(|t| {
                        cb.iter()
                            .zip(db.chunks_exact(n_trials))
                            .map(|(&c0, dr)| c0.min(f64::from(dr[t])))
                            .sum::<f64>()
                    })
                    .collect()
            })
            .collect();
        let pots: Vec<f64> = (0..n_trials)
            .map(|t| parts.iter().map(|p| p[t]).sum())
            .collect();
        let mut best = 0;
        for t in 1..n_trials {
            if pots[t] < pots[best] {
                best = t;
            }
        }
        pot = pots[best];
        closest
            .par_iter_mut()
            .zip(dist.par_chunks(n_trials))
            .for_each(|(c0, dr)| *c0 = c0.min(f64::from(dr[best])));
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
