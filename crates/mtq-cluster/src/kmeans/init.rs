//! Initial centroids: greedy k-means++ (scikit-learn's algorithm) and uniform random samples.

use ndarray::Array2;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::data::{block_slices, map_blocks, sq_norm};
use crate::kernel::{Centres, Packed, sq_dists};

/// Rows per parallel block (fixed: the grouping of partial sums never depends on threads).
const BLOCK: usize = 1024;

/// Up to this many candidate distances (16 MB) are kept from the potentials to the update of
/// the closest distances; above, the chosen candidates' distances are computed again (a
/// second pass, lighter than holding rows x candidates at a million rows).
const KEEP_MAX: usize = 1 << 22;

/// Greedy k-means++ as scikit-learn's `_kmeans_plusplus` (unit sample weights) for several
/// runs at once, run `r` drawing from `rngs[r]`; squared distances from `|x|² + |c|² − 2 x·c`
/// (clamped at 0), as scikit-learn's. Each step makes one pass over the data for every run
/// together (the distances to all runs' candidates; a second one for the chosen candidates
/// when keeping them all would exceed [`KEEP_MAX`]) instead of one per run: at a million rows
/// the passes, not the arithmetic, are the cost. Each run
/// draws and sums exactly as it would alone (per-block sums added in block order), so on
/// packed (narrow) rows its centres are the same bits; on wide rows the GEMM's distances may
/// round differently with other runs' candidates beside them. Never dependent on threads.
pub(crate) fn plusplus(
    x: &Array2<f32>,
    packed: &Packed<'_>,
    k: usize,
    rngs: &mut [ChaCha8Rng],
) -> Vec<Array2<f32>> {
    let (n, d) = x.dim();
    let xs = x.as_slice().unwrap_or_default();
    let x_norms: Vec<f32> = xs.chunks_exact(d).map(sq_norm).collect();
    let pass = Pass {
        xs,
        packed,
        x_norms: &x_norms,
        n,
        d,
    };
    let n_trials = 2 + (k as f64).ln() as usize;
    let mut centers = vec![Array2::<f32>::zeros((k, d)); rngs.len()];
    let firsts: Vec<usize> = rngs.iter_mut().map(|r| r.random_range(0..n)).collect();
    for (c, &f) in centers.iter_mut().zip(&firsts) {
        c.row_mut(0).assign(&x.row(f));
    }
    let mut closest = vec![vec![f64::INFINITY; n]; rngs.len()];
    pass.lower_closest(&firsts, &mut closest);
    let mut pots: Vec<f64> = closest.iter().map(|c| block_sum(c)).collect();
    let mut cum = vec![0.0f64; n];
    for c in 1..k {
        let mut cands = Vec::with_capacity(rngs.len() * n_trials);
        for ((rng, cl), &pot) in rngs.iter_mut().zip(&closest).zip(&pots) {
            let mut acc = 0.0f64;
            for (cv, &v) in cum.iter_mut().zip(cl) {
                acc += v;
                *cv = acc;
            }
            cands.extend((0..n_trials).map(|_| {
                let r = rng.random::<f64>() * pot;
                cum.partition_point(|&v| v < r).min(n - 1)
            }));
        }
        // the potential of each candidate (the sum of every row's min of its current closest
        // and its distance to the candidate) in fixed blocks, added in block order
        let keep = n * cands.len() <= KEEP_MAX;
        let parts = pass.blocks(&cands, vec![(); n.div_ceil(BLOCK)], |(), r0, dist| {
            let len = dist.len() / cands.len();
            let mut out = Vec::with_capacity(cands.len());
            for (cl, run) in closest.iter().zip(dist.chunks_exact(len * n_trials)) {
                let cb = &cl[r0..r0 + len];
                out.extend(run.chunks_exact(len).map(|dt| {
                    cb.iter()
                        .zip(dt)
                        .map(|(&c0, &v)| c0.min(f64::from(v)))
                        .sum::<f64>()
                }));
            }
            (out, if keep { dist.to_vec() } else { Vec::new() })
        });
        let mut chosen = Vec::with_capacity(rngs.len());
        let mut columns = Vec::with_capacity(rngs.len());
        for (r, pot) in pots.iter_mut().enumerate() {
            let cand_pot = |t: usize| -> f64 { parts.iter().map(|p| p.0[r * n_trials + t]).sum() };
            let mut best = 0;
            let mut best_pot = cand_pot(0);
            for t in 1..n_trials {
                let p = cand_pot(t);
                if p < best_pot {
                    best = t;
                    best_pot = p;
                }
            }
            *pot = best_pot;
            chosen.push(cands[r * n_trials + best]);
            columns.push(r * n_trials + best);
        }
        if keep {
            let states = block_slices(&mut closest, n, BLOCK);
            map_blocks(states, n * rngs.len(), |b, mut runs| {
                let dist = &parts[b].1;
                let len = dist.len() / cands.len();
                for (cl, &col) in runs.iter_mut().zip(&columns) {
                    lower(cl, &dist[col * len..(col + 1) * len]);
                }
            });
        } else {
            pass.lower_closest(&chosen, &mut closest);
        }
        for (cs, &i) in centers.iter_mut().zip(&chosen) {
            cs.row_mut(c).assign(&x.row(i));
        }
    }
    centers
}

/// Passes over the data computing squared distances to a few of its rows, block by block.
struct Pass<'a> {
    xs: &'a [f32],
    packed: &'a Packed<'a>,
    x_norms: &'a [f32],
    n: usize,
    d: usize,
}

impl Pass<'_> {
    /// `f(state, first_row, dists)` for every block of rows in parallel (`states`: one per
    /// block), `dists` the block's squared distances to the rows `rows` (`rows.len() x len`:
    /// one row's distances to the block contiguous); the results in block order.
    fn blocks<S: Send, T: Send>(
        &self,
        rows: &[usize],
        states: Vec<S>,
        f: impl Fn(S, usize, &[f32]) -> T + Sync + Send,
    ) -> Vec<T> {
        let (n, d, t) = (self.n, self.d, rows.len());
        let cs: Vec<f32> = rows
            .iter()
            .flat_map(|&i| self.xs[i * d..(i + 1) * d].iter().copied())
            .collect();
        let c = Centres::new(&cs, t, d);
        map_blocks(states, n * t * d, |b, state| {
            let r0 = b * BLOCK;
            let len = BLOCK.min(n - r0);
            let mut buf = vec![0.0f32; len * t];
            sq_dists(
                self.packed.rows(r0, len),
                &self.x_norms[r0..r0 + len],
                &c,
                &mut buf,
            );
            f(state, r0, &buf)
        })
    }

    /// `closest[r][i] = min(closest[r][i], |x_i − x_{rows[r]}|²)` for every run `r`.
    fn lower_closest(&self, rows: &[usize], closest: &mut [Vec<f64>]) {
        let t = rows.len();
        self.blocks(
            rows,
            block_slices(closest, self.n, BLOCK),
            |mut runs, _, dist| {
                let len = dist.len() / t;
                for (cl, dr) in runs.iter_mut().zip(dist.chunks_exact(len)) {
                    lower(cl, dr);
                }
            },
        );
    }
}

/// `closest[i] = min(closest[i], dist[i])`.
fn lower(closest: &mut [f64], dist: &[f32]) {
    for (c0, &v) in closest.iter_mut().zip(dist) {
        *c0 = c0.min(f64::from(v));
    }
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
