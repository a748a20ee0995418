//! Lloyd's iteration on row blocks: the nearest-centre kernel per block, per-block partial sums
//! reduced in block order (bit-identical whatever the thread count).

use ndarray::Array2;
use rayon::prelude::*;

use super::Run;
use crate::data::sq_dist;
use crate::kernel::{Centres, Packed, add_rows, nearest};

/// Rows per block.
pub(crate) const CHUNK: usize = 1024;

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
pub(crate) fn assign_all(packed: &Packed, centers: &Array2<f32>, labels: &mut [usize]) -> usize {
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
    let d = x.ncols();
    let xs = x.as_slice().unwrap_or_default();
    let cs = centers.as_slice().unwrap_or_default();
    let parts: Vec<f64> = labels
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(b, lab)| {
            lab.iter()
                .enumerate()
                .map(|(j, &l)| {
                    let i = b * CHUNK + j;
                    f64::from(sq_dist(&xs[i * d..(i + 1) * d], &cs[l * d..(l + 1) * d]))
                })
                .sum::<f64>()
        })
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
    packed: &Packed,
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

/// One Lloyd run from `centers` (scikit-learn's loop: stop on unchanged labels or small shift,
/// then a final assignment to the final centres).
pub(crate) fn run(
    x: &Array2<f32>,
    packed: &Packed,
    mut centers: Array2<f32>,
    max_iter: usize,
    tol: f64,
) -> Run {
    let (n, d) = x.dim();
    let k = centers.nrows();
    let xs = x.as_slice().unwrap_or_default();
    let mut labels = vec![usize::MAX; n];
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let c = Centres::new(centers.as_slice().unwrap_or_default(), k, d);
        let parts: Vec<Partial> = labels
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map_init(Vec::new, |sums32, (b, lab)| {
                let changed = nearest(packed.rows(b * CHUNK, lab.len()), &c, lab);
                sums32.clear();
                sums32.resize(k * d, 0.0f32);
                add_rows(&xs[b * CHUNK * d..(b * CHUNK + lab.len()) * d], lab, sums32);
                let mut p = Partial::new(k, d);
                p.changed = changed;
                for (s, &v) in p.sums.iter_mut().zip(sums32.iter()) {
                    *s = f64::from(v);
                }
                for &l in lab.iter() {
                    p.counts[l] += 1;
                }
                p
            })
            .collect();
        let total = reduce(parts, k, d);
        let changed = total.changed;
        let new = update_centers(x, &labels, &centers, total);
        let sh = shift(&new, &centers);
        centers = new;
        if let Some(s) = stop(it, changed, sh, tol) {
            strict = s;
            break;
        }
    }
    finish(x, packed, centers, labels, strict, n_iter)
}
