//! Lloyd's iteration on row blocks: the nearest-centre kernel per block, per-block partial sums
//! reduced in block order (bit-identical whatever the thread count).

use ndarray::Array2;
use rayon::prelude::*;

use super::Run;
use crate::data::{block_slices, map_blocks, sq_dist};
use crate::kernel::{Centres, Packed, add_rows, nearest, nearest_runs};

/// Rows per block.
pub(crate) const CHUNK: usize = 1024;

/// Rows per tile of a block that are assigned, then added to their clusters' sums, before the
/// next tile (256 x 512 features: 512 KB, in a core's L2 cache). A multiple of 32 (two packed
/// 16-row blocks), so the packed kernels see the same pairs of blocks as on the whole block.
const FUSED_ROWS: usize = 256;

/// Per-block partial results of an assignment step.
pub(crate) struct Partial {
    /// `k x d` sums of the block's samples per label.
    pub sums: Vec<f64>,
    /// Samples per label.
    pub counts: Vec<u64>,
    /// Labels that changed in the block.
    pub changed: usize,
}

impl Partial {
    pub(crate) fn new(k: usize, d: usize) -> Self {
        Self {
            sums: vec![0.0; k * d],
            counts: vec![0; k],
            changed: 0,
        }
    }

    pub(crate) fn add_row(&mut self, label: usize, row: &[f32]) {
        let d = row.len();
        self.counts[label] += 1;
        for (s, &v) in self.sums[label * d..(label + 1) * d].iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
}

/// Labels of every row of `packed` against `centers`; returns the number changed.
pub(crate) fn assign_all(
    packed: &Packed<'_>,
    centers: &Array2<f32>,
    labels: &mut [usize],
) -> usize {
    let (k, d) = centers.dim();
    let c = Centres::new(centers.as_slice().unwrap_or_default(), k, d);
    labels
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(b, lab)| nearest(packed.rows(b * CHUNK, lab.len()), &c, lab))
        .collect::<Vec<_>>()
        .iter()
        .sum()
}

/// Sums the block partials in block order.
pub(crate) fn reduce(parts: Vec<Partial>, k: usize, d: usize) -> Partial {
    let mut total = Partial::new(k, d);
    for p in parts {
        for (t, s) in total.sums.iter_mut().zip(&p.sums) {
            *t += s;
        }
        for (t, c) in total.counts.iter_mut().zip(&p.counts) {
            *t += c;
        }
        total.changed += p.changed;
    }
    total
}

/// New centres from the reduced sums, relocating empty clusters as scikit-learn does (the
/// samples farthest from their centre, ties to the lower index, become the empty centres).
/// `old` are the centres the labels were computed against.
pub(crate) fn update_centers(
    x: &Array2<f32>,
    labels: &[usize],
    old: &Array2<f32>,
    mut total: Partial,
) -> Array2<f32> {
    let (k, d) = old.dim();
    let xs = x.as_slice().unwrap_or_default();
    let empty: Vec<usize> = (0..k).filter(|&j| total.counts[j] == 0).collect();
    if !empty.is_empty() {
        let os = old.as_slice().unwrap_or_default();
        let dist: Vec<f32> = labels
            .par_iter()
            .enumerate()
            .map(|(i, &l)| sq_dist(&xs[i * d..(i + 1) * d], &os[l * d..(l + 1) * d]))
            .collect();
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
        for (&new_id, &far) in empty.iter().zip(&order) {
            let old_id = labels[far];
            let row = &xs[far * d..(far + 1) * d];
            for (p, &v) in row.iter().enumerate() {
                total.sums[old_id * d + p] -= f64::from(v);
                total.sums[new_id * d + p] = f64::from(v);
            }
            total.counts[new_id] = 1;
            total.counts[old_id] -= 1;
        }
    }
    let mut c = Array2::<f32>::zeros((k, d));
    for j in 0..k {
        let w = if total.counts[j] > 0 {
            total.counts[j] as f64
        } else {
            1.0
        };
        for p in 0..d {
            c[[j, p]] = (total.sums[j * d + p] / w) as f32;
        }
    }
    c
}

/// Sum over clusters of the squared shift of each centre.
pub(crate) fn shift(a: &Array2<f32>, b: &Array2<f32>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(&u, &v)| f64::from(u - v) * f64::from(u - v))
        .sum()
}

/// Exact inertia (sum of squared distances to the assigned centre), block partials in order.
pub(crate) fn inertia(x: &Array2<f32>, centers: &Array2<f32>, labels: &[usize]) -> f64 {
    let xs = x.as_slice().unwrap_or_default();
    let parts: Vec<f64> = labels
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(b, lab)| block_inertia(xs, centers, b * CHUNK, lab))
        .collect();
    parts.iter().sum()
}

/// scikit-learn's stopping rule after iteration `it`: `Some(true)` when no label changed
/// (strict convergence), `Some(false)` when the squared centre shift is at most `tol`.
pub(crate) fn stop(it: usize, changed: usize, shift: f64, tol: f64) -> Option<bool> {
    if it > 0 && changed == 0 {
        Some(true)
    } else if shift <= tol {
        Some(false)
    } else {
        None
    }
}

/// The end of a run: unless it converged strictly, labels against the final centres (as
/// scikit-learn), then the exact inertia.
pub(crate) fn finish(
    x: &Array2<f32>,
    packed: &Packed<'_>,
    centers: Array2<f32>,
    mut labels: Vec<usize>,
    strict: bool,
    n_iter: usize,
) -> Run {
    if !strict {
        assign_all(packed, &centers, &mut labels);
    }
    let inertia = inertia(x, &centers, &labels);
    Run {
        centers,
        labels,
        inertia,
        n_iter,
    }
}

/// Lloyd runs from each of `starts` (scikit-learn's loop per run: stop on unchanged labels or
/// small shift, then a final assignment to the final centres and the exact inertia), in
/// lockstep: each iteration makes one pass over the data for every run still going
/// ([`nearest_runs`]), so a block of rows loaded once serves all of them; the final
/// assignments and inertias are one pass each. On packed (narrow) rows each run's arithmetic
/// is exactly that of a run alone (same distances, same per-block sums reduced in block order),
/// so its result is the same bits; on wide rows the GEMM's products may round differently with
/// other runs beside it. The result never depends on the thread count.
pub(crate) fn run_many(
    x: &Array2<f32>,
    packed: &Packed<'_>,
    starts: Vec<Array2<f32>>,
    max_iter: usize,
    tol: f64,
) -> Vec<Run> {
    let (n, d) = x.dim();
    let k = starts.first().map_or(0, Array2::nrows);
    let xs = x.as_slice().unwrap_or_default();
    let mut centers = starts;
    let mut labels = vec![vec![usize::MAX; n]; centers.len()];
    let mut n_iter = vec![0; centers.len()];
    let mut done: Vec<Option<bool>> = vec![None; centers.len()];
    for it in 0..max_iter {
        let active: Vec<usize> = (0..centers.len()).filter(|&r| done[r].is_none()).collect();
        if active.is_empty() {
            break;
        }
        let c = centres_of(&centers, &active);
        let parts = per_block(&mut labels, &active, (k, d), |b, labs| {
            let len = labs.first().map_or(0, |l| l.len());
            let mut changed = vec![0; labs.len()];
            let mut sums32 = vec![0.0f32; labs.len() * k * d];
            let mut counts = vec![0u64; labs.len() * k];
            // the update fused with the assignment: each tile of rows is added to its
            // clusters' sums while it is still in the cache (rows in order: the same sums)
            for t0 in (0..len).step_by(FUSED_ROWS) {
                let m = FUSED_ROWS.min(len - t0);
                let mut tile: Vec<&mut [usize]> =
                    labs.iter_mut().map(|l| &mut l[t0..t0 + m]).collect();
                let first = b * CHUNK + t0;
                nearest_runs(packed.rows(first, m), &c, &mut tile, &mut changed);
                add_rows(
                    &xs[first * d..(first + m) * d],
                    &tile,
                    &mut sums32,
                    &mut counts,
                );
            }
            sums32
                .chunks_exact(k * d)
                .zip(counts.chunks_exact(k))
                .zip(changed)
                .map(|((s32, c), changed)| Partial {
                    sums: s32.iter().map(|&v| f64::from(v)).collect(),
                    counts: c.to_vec(),
                    changed,
                })
                .collect::<Vec<_>>()
        });
        let mut per_run: Vec<Vec<Partial>> = active.iter().map(|_| Vec::new()).collect();
        for block in parts {
            for (run, p) in per_run.iter_mut().zip(block) {
                run.push(p);
            }
        }
        for (&r, parts) in active.iter().zip(per_run) {
            n_iter[r] = it + 1;
            let total = reduce(parts, k, d);
            let changed = total.changed;
            let new = update_centers(x, &labels[r], &centers[r], total);
            let sh = shift(&new, &centers[r]);
            centers[r] = new;
            done[r] = stop(it, changed, sh, tol);
        }
    }
    // unless a run converged strictly, its labels against its final centres (as scikit-learn)
    let unsettled: Vec<usize> = (0..centers.len())
        .filter(|&r| done[r] != Some(true))
        .collect();
    if !unsettled.is_empty() {
        let c = centres_of(&centers, &unsettled);
        per_block(&mut labels, &unsettled, (k, d), |b, labs| {
            let len = labs.first().map_or(0, |l| l.len());
            let mut changed = vec![0; labs.len()];
            nearest_runs(packed.rows(b * CHUNK, len), &c, labs, &mut changed);
        });
    }
    // the exact inertias, per-block partials added in block order
    let all: Vec<usize> = (0..centers.len()).collect();
    let parts = per_block(&mut labels, &all, (1, d), |b, labs| {
        labs.iter()
            .zip(&centers)
            .map(|(lab, c)| block_inertia(xs, c, b * CHUNK, lab))
            .collect::<Vec<f64>>()
    });
    centers
        .into_iter()
        .zip(labels)
        .zip(n_iter)
        .enumerate()
        .map(|(r, ((centers, labels), n_iter))| Run {
            centers,
            labels,
            inertia: parts.iter().map(|p| p[r]).sum(),
            n_iter,
        })
        .collect()
}

/// The centres of the runs `runs` for [`nearest_runs`].
fn centres_of(centers: &[Array2<f32>], runs: &[usize]) -> Centres {
    let views: Vec<&[f32]> = runs
        .iter()
        .map(|&r| centers[r].as_slice().unwrap_or_default())
        .collect();
    let (k, d) = centers.first().map_or((0, 0), Array2::dim);
    Centres::runs(&views, k, d)
}

/// `f(block, labels)` for every block of [`CHUNK`] rows in parallel, `labels` the block's
/// slices of the label vectors of the runs `runs` (increasing), in that order; the results
/// in block order.
fn per_block<T: Send>(
    labels: &mut [Vec<usize>],
    runs: &[usize],
    (k, d): (usize, usize),
    f: impl Fn(usize, &mut [&mut [usize]]) -> T + Sync + Send,
) -> Vec<T> {
    let n = labels.first().map_or(0, Vec::len);
    let chosen = labels
        .iter_mut()
        .enumerate()
        .filter(|(r, _)| runs.binary_search(r).is_ok())
        .map(|(_, lab)| lab);
    let blocks = block_slices(chosen, n, CHUNK);
    let work = n * runs.len() * k.max(1) * d;
    map_blocks(blocks, work, |b, mut labs| f(b, &mut labs))
}

/// Sum of the squared distances of rows `first..first + labels.len()` of `xs` to their centre.
fn block_inertia(xs: &[f32], centers: &Array2<f32>, first: usize, labels: &[usize]) -> f64 {
    let d = centers.ncols();
    let cs = centers.as_slice().unwrap_or_default();
    labels
        .iter()
        .enumerate()
        .map(|(j, &l)| {
            let i = first + j;
            f64::from(sq_dist(&xs[i * d..(i + 1) * d], &cs[l * d..(l + 1) * d]))
        })
        .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::adjusted_rand_index;
    use ndarray::{ArrayView1, s};

    #[test]
    fn the_gemm_route_finds_the_packed_kernels_partitions() {
        // overlapping blobs (ties are possible), 192 features: the same starts through the
        // packed register kernels and through the GEMM, three runs in lockstep
        let (x, _) = mtq_testkit::make_blobs(3_000, 192, 6, 3.0, 5.0, 3).unwrap();
        let (n, d) = x.dim();
        let xs = x.as_slice().unwrap();
        let starts: Vec<Array2<f32>> = [0, 700, 1_900]
            .iter()
            .map(|&r| x.slice(s![r..r + 6, ..]).to_owned())
            .collect();
        let packed = run_many(
            &x,
            &Packed::with_lanes(xs, n, d, 16),
            starts.clone(),
            100,
            0.0,
        );
        let gemm = run_many(&x, &Packed::row_major(xs, n, d), starts, 100, 0.0);
        for (a, b) in packed.iter().zip(&gemm) {
            let ari = adjusted_rand_index(
                ArrayView1::from(a.labels.as_slice()),
                ArrayView1::from(b.labels.as_slice()),
            )
            .unwrap();
            assert!(ari >= 0.999, "ARI {ari}");
            assert!(
                (a.inertia - b.inertia).abs() <= 1e-5 * a.inertia,
                "{} vs {}",
                a.inertia,
                b.inertia
            );
        }
    }
}
