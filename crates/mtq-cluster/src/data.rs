//! Input checks and the centred, contiguous copy the kernels work on.

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
