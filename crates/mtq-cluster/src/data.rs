//! Input checks and the centred, contiguous copy the kernels work on.

use std::collections::HashSet;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;

use crate::error::{ClusterError, Result};

/// Checks that `x` has rows, columns, and only finite values.
pub(crate) fn check_data(x: ArrayView2<'_, f32>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(ClusterError::EmptyInput);
    }
    if x.ncols() == 0 {
        return Err(ClusterError::NoFeatures);
    }
    check_finite(x).map_err(|(row, col, value)| ClusterError::NonFinite { row, col, value })
}

/// The first non-finite value of `x`, as `(row, col, value)`.
pub(crate) fn check_finite(x: ArrayView2<'_, f32>) -> std::result::Result<(), (usize, usize, f32)> {
    let all_finite = match x.as_slice() {
        // no early exit: the fold vectorises
        Some(s) => s.iter().fold(true, |a, v| a & v.is_finite()),
        None => x.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return Ok(());
    }
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err((row, col, value));
        }
    }
    Ok(())
}

/// Checks that `labels` has one entry per sample.
pub(crate) fn check_labels(n_samples: usize, labels: ArrayView1<'_, usize>) -> Result<()> {
    if labels.len() != n_samples {
        return Err(ClusterError::LabelLength {
            labels: labels.len(),
            n_samples,
        });
    }
    Ok(())
}

/// Rows per block of the column sums (fixed: the grouping never depends on the threads).
const SUM_BLOCK: usize = 1024;

/// Per-column sums of `f(value)` over the rows of `xs` (row-major, `d` columns), in f64: per
/// block of rows a sum in row order, blocks added in order.
pub(crate) fn column_sums(xs: &[f32], d: usize, f: impl Fn(f64) -> f64 + Sync) -> Vec<f64> {
    let parts: Vec<Vec<f64>> = xs
        .par_chunks(SUM_BLOCK * d.max(1))
        .map(|block| {
            let mut s = vec![0.0f64; d];
            for row in block.chunks_exact(d.max(1)) {
                for (a, &v) in s.iter_mut().zip(row) {
                    *a += f(f64::from(v));
                }
            }
            s
        })
        .collect();
    let mut total = vec![0.0f64; d];
    for p in &parts {
        for (t, &v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// Column means of `x`, in f64 (sums as [`column_sums`]).
pub(crate) fn column_mean(x: ArrayView2<'_, f32>) -> Array1<f64> {
    let (n, d) = x.dim();
    let owned;
    let xs = match x.as_slice() {
        Some(s) => s,
        None => {
            owned = x.as_standard_layout().into_owned();
            owned.as_slice().unwrap_or_default()
        }
    };
    let n = n.max(1) as f64;
    column_sums(xs, d, |v| v)
        .into_iter()
        .map(|s| s / n)
        .collect()
}

/// A contiguous row-major copy of `x` minus `mean` (distances do not change; the norms in
/// `|x|² + |y|² − 2x·y` shrink, and so does the cancellation error of that formula).
pub(crate) fn centered(x: ArrayView2<'_, f32>, mean: &Array1<f64>) -> Array2<f32> {
    let (n, d) = x.dim();
    let mut out = Array2::<f32>::zeros((n, d));
    let mean: Vec<f64> = mean.to_vec();
    if let Some(o) = out.as_slice_mut() {
        o.par_chunks_mut(SUM_BLOCK * d.max(1))
            .enumerate()
            .for_each(|(b, block)| {
                for (r, orow) in block.chunks_exact_mut(d.max(1)).enumerate() {
                    let xr = x.row(b * SUM_BLOCK + r);
                    match xr.as_slice() {
                        Some(xr) => {
                            for ((o, &v), &m) in orow.iter_mut().zip(xr).zip(&mean) {
                                *o = (f64::from(v) - m) as f32;
                            }
                        }
                        None => {
                            for ((o, &v), &m) in orow.iter_mut().zip(xr.iter()).zip(&mean) {
                                *o = (f64::from(v) - m) as f32;
                            }
                        }
                    }
                }
            });
    }
    out
}

/// Labels re-coded to `0..n_distinct` in sorted order of their values (scikit-learn's
/// `LabelEncoder`), with the distinct values.
pub(crate) fn encode(labels: ArrayView1<'_, usize>) -> (Vec<usize>, Vec<usize>) {
    let mut uniq: Vec<usize> = labels.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let codes = labels
        .iter()
        .map(|l| uniq.binary_search(l).unwrap_or_default())
        .collect();
    (codes, uniq)
}

/// Squared Euclidean norm of `row`, accumulated in f64.
pub(crate) fn sq_norm(row: &[f32]) -> f32 {
    row.iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>() as f32
}

/// Squared Euclidean distance between two equal-length slices, accumulated in f32 lanes.
#[inline]
pub(crate) fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        let d = x - y;
        tail += d * d;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// Magnitudes of centred data outside `[2^-40, 2^40]` are brought to at most 1 by a power of
/// two before squared distances are taken in `f32` (whose range ends at 2^128: a coordinate of
/// 1e20 squares to infinity, one of 1e-30 to zero). Inside the window nothing is scaled, so
/// ordinary data gives bit-for-bit the results it gave before.
const SCALE_WINDOW_LOG2: i32 = 40;

/// The power of two by which to multiply centred data whose largest magnitude is `max_abs` (1
/// for ordinary magnitudes and for all-zero data; see [`SCALE_WINDOW_LOG2`]). Multiplying by a
/// power of two is exact, so distances, labels and centroids only change scale.
pub(crate) fn pow2_scale(max_abs: f32) -> f32 {
    if max_abs == 0.0 || !max_abs.is_finite() {
        return 1.0;
    }
    let e = max_abs.log2().ceil() as i32;
    if e.abs() <= SCALE_WINDOW_LOG2 {
        return 1.0;
    }
    2.0f32.powi((-e).clamp(-126, 126))
}

/// The largest absolute value of `xs`.
pub(crate) fn max_abs(xs: &[f32]) -> f32 {
    xs.par_chunks(SUM_BLOCK * 64)
        .map(|c| c.iter().fold(0.0f32, |m, v| m.max(v.abs())))
        .reduce(|| 0.0, f32::max)
}

/// Multiplies every value of `xs` by `scale` (no-op for 1).
pub(crate) fn scale_in_place(xs: &mut [f32], scale: f32) {
    if scale != 1.0 {
        xs.par_chunks_mut(SUM_BLOCK * 64)
            .for_each(|c| c.iter_mut().for_each(|v| *v *= scale));
    }
}

/// Number of distinct rows of `x`, counting at most up to `limit` (the scan stops there, so on
/// ordinary data it reads about `limit` rows). `-0.0` and `0.0` are the same coordinate.
pub(crate) fn distinct_rows(x: ArrayView2<'_, f32>, limit: usize) -> usize {
    let mut seen: HashSet<Vec<u32>> = HashSet::new();
    for row in x.rows() {
        seen.insert(row.iter().map(|&v| (v + 0.0).to_bits()).collect());
        if seen.len() >= limit {
            break;
        }
    }
    seen.len()
}

/// Multiply-adds below which a pass over blocks of rows runs on the calling thread: waking the
/// thread pool for it costs more than it saves (12,000 x 64 rows against 2 centres).
const PAR_MIN_WORK: usize = 1 << 21;

/// `f(index, item)` for every item, in parallel when the pass does at least
/// [`PAR_MIN_WORK`] multiply-adds (`work`); the results in item order either way, so they
/// never depend on the choice.
pub(crate) fn map_blocks<T: Send, R: Send>(
    items: Vec<T>,
    work: usize,
    f: impl Fn(usize, T) -> R + Sync + Send,
) -> Vec<R> {
    if work >= PAR_MIN_WORK {
        items
            .into_par_iter()
            .enumerate()
            .map(|(i, t)| f(i, t))
            .collect()
    } else {
        items
            .into_iter()
            .enumerate()
            .map(|(i, t)| f(i, t))
            .collect()
    }
}

/// Per block of `block` rows, the block's slice of each of `vectors` (rows in order), so that
/// several runs' per-row vectors can be handed out block by block to parallel passes.
pub(crate) fn block_slices<'a, T: 'a>(
    vectors: impl IntoIterator<Item = &'a mut Vec<T>>,
    n: usize,
    block: usize,
) -> Vec<Vec<&'a mut [T]>> {
    let mut blocks: Vec<Vec<&mut [T]>> = (0..n.div_ceil(block)).map(|_| Vec::new()).collect();
    for v in vectors {
        for (b, s) in blocks.iter_mut().zip(v.chunks_mut(block)) {
            b.push(s);
        }
    }
    blocks
}
