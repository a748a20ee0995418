//! Hamerly's accelerated K-means: per sample an upper bound on the distance to its centre and
//! a lower bound on the distance to every other centre; a sample whose upper bound is below
//! `max(lower bound, half the distance from its centre to the nearest other centre)` cannot
//! change cluster and is skipped. Same fixed points as Lloyd's iteration.

use ndarray::Array2;
use rayon::prelude::*;

use super::Run;
use super::lloyd::{CHUNK, Partial, finish, reduce, shift, stop, update_centers};
use crate::data::sq_dist;
use crate::kernel::Packed;

/// Per-sample state of one block.
struct Block<'a> {
    labels: &'a mut [usize],
    upper: &'a mut [f32],
    lower: &'a mut [f32],
}

/// One Hamerly run from `centers`; the same stopping rules as [`super::lloyd::run_many`].
pub(crate) fn run(
    x: &Array2<f32>,
    packed: &Packed<'_>,
    mut centers: Array2<f32>,
    max_iter: usize,
    tol: f64,
) -> Run {
    let (n, d) = x.dim();
    let k = centers.nrows();
    let xs = x.as_slice().unwrap_or_default();
    let mut labels = vec![usize::MAX; n];
    let mut upper = vec![f32::INFINITY; n];
    let mut lower = vec![0.0f32; n];
    // how far each centre moved last iteration, and the two largest moves
    let mut moved = vec![0.0f32; k];
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let cs = centers.as_slice().unwrap_or_default();
        let crow = |j: usize| &cs[j * d..(j + 1) * d];
        // half the distance from each centre to its nearest other centre
        let mut half = vec![f32::INFINITY; k];
        for a in 0..k {
            for b in (a + 1)..k {
                let v = 0.5 * sq_dist(crow(a), crow(b)).sqrt();
                half[a] = half[a].min(v);
                half[b] = half[b].min(v);
            }
        }
        let (mut m1, mut m1_at, mut m2) = (0.0f32, usize::MAX, 0.0f32);
        for (j, &m) in moved.iter().enumerate() {
            if m > m1 {
                m2 = m1;
                m1 = m;
                m1_at = j;
            } else if m > m2 {
                m2 = m;
            }
        }
        let blocks: Vec<Block<'_>> = labels
            .chunks_mut(CHUNK)
            .zip(upper.chunks_mut(CHUNK))
            .zip(lower.chunks_mut(CHUNK))
            .map(|((labels, upper), lower)| Block {
                labels,
                upper,
                lower,
            })
            .collect();
        let parts: Vec<Partial> = blocks
            .into_par_iter()
            .enumerate()
            .map(|(b, blk)| {
                let mut p = Partial::new(k, d);
                for j in 0..blk.labels.len() {
                    let i = b * CHUNK + j;
                    let xi = &xs[i * d..(i + 1) * d];
                    let mut a = blk.labels[j];
                    if a != usize::MAX {
                        blk.upper[j] += moved[a];
                        blk.lower[j] -= if a == m1_at { m2 } else { m1 };
                    }
                    let bound = if a == usize::MAX {
                        0.0
                    } else {
                        half[a].max(blk.lower[j])
                    };
                    if blk.upper[j] > bound {
                        if a != usize::MAX {
                            blk.upper[j] = sq_dist(xi, crow(a)).sqrt();
                        }
                        if blk.upper[j] > bound {
                            let (mut b1, mut d1, mut d2) = (0usize, f32::INFINITY, f32::INFINITY);
                            for c in 0..k {
                                let v = sq_dist(xi, crow(c));
                                if v < d1 {
                                    d2 = d1;
                                    d1 = v;
                                    b1 = c;
                                } else if v < d2 {
                                    d2 = v;
                                }
                            }
                            if b1 != a {
                                p.changed += 1;
                                a = b1;
                                blk.labels[j] = a;
                            }
                            blk.upper[j] = d1.sqrt();
                            blk.lower[j] = d2.sqrt();
                        }
                    }
                    p.add_row(a, xi);
                }
                p
            })
            .collect();
        let total = reduce(parts, k, d);
        let changed = total.changed;
        let new = update_centers(x, &labels, &centers, total);
        let nsl = new.as_slice().unwrap_or_default();
        for (j, m) in moved.iter_mut().enumerate() {
            *m = sq_dist(crow(j), &nsl[j * d..(j + 1) * d]).sqrt();
        }
        let sh = shift(&new, &centers);
        centers = new;
        if let Some(s) = stop(it, changed, sh, tol) {
            strict = s;
            break;
        }
    }
    finish(x, packed, centers, labels, strict, n_iter)
}
