//! The crate's only `unsafe`: a safe, bounds-checked wrapper for the `gemm` crate
//! (`out = A · Bᵀ` on row-major slices), and the calls into the AVX2/FMA versions of the small
//! vector kernels (nearest centre, distances to a few centres, square roots), chosen at run time
//! when the CPU has them (plain code otherwise).

#![allow(unsafe_code)]

use rayon::prelude::*;

use crate::data::sq_norm;

/// Row-major matrix view on a slice: `rows x cols`, row `i` starting at `i * ld`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub ld: usize,
}

impl<'a> Mat<'a> {
    /// A dense row-major matrix (`ld = cols`).
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            ld: cols,
        }
    }

    /// Rows `start..start + len`.
    pub fn rows(self, start: usize, len: usize) -> Self {
        let from = (start * self.ld).min(self.data.len());
        Self {
            data: &self.data[from..],
            rows: len,
            cols: self.cols,
            ld: self.ld,
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.ld + self.cols <= self.data.len()
    }
}

/// A strided matrix operand: element `(i, j)` at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Strided<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

/// Largest index touched by a `rows x cols` matrix with strides `rs`, `cs` (None when empty).
fn last_index(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return None;
    }
    Some((rows - 1) * rs + (cols - 1) * cs)
}

/// `dst (+)= lhs · rhs` with `lhs` `m x k`, `rhs` `k x n`, `dst` `m x n` at
/// `dst[i * dst_rs + j * dst_cs]`. With `accumulate` the product is added to `dst`, else
/// `dst` is overwritten. Single-threaded (`Parallelism::None`): callers parallelise over fixed
/// blocks, so the result never depends on the number of threads.
///
/// # Panics
/// Panics (a bug in this crate, never caller input) if the shapes do not fit the slices.
pub(crate) fn gemm_strided(
    (m, n, k): (usize, usize, usize),
    lhs: Strided<'_>,
    rhs: Strided<'_>,
    dst: &mut [f32],
    (dst_rs, dst_cs): (usize, usize),
    accumulate: bool,
) {
    let Some(last_dst) = last_index(m, n, dst_rs, dst_cs) else {
        return;
    };
    assert!(last_dst < dst.len(), "output out of bounds");
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * dst_rs + j * dst_cs] = 0.0;
                }
            }
        }
        return;
    }
    assert!(
        last_index(m, k, lhs.rs, lhs.cs).is_some_and(|v| v < lhs.data.len()),
        "lhs out of bounds"
    );
    assert!(
        last_index(k, n, rhs.rs, rhs.cs).is_some_and(|v| v < rhs.data.len()),
        "rhs out of bounds"
    );
    // distinct destination elements must not overlap
    assert!(
        (m <= 1 || dst_rs >= 1) && (n <= 1 || dst_cs >= 1),
        "degenerate output strides"
    );
    let to_isize = |v: usize| isize::try_from(v).expect("stride fits isize");
    // SAFETY: the asserts above keep every element gemm reads or writes inside the three
    // slices (index (i, j) of each operand is i * rs + j * cs <= the checked last index);
    // `dst` is borrowed mutably, so it aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            to_isize(dst_cs),
            to_isize(dst_rs),
            accumulate,
            lhs.data.as_ptr(),
            to_isize(lhs.cs),
            to_isize(lhs.rs),
            rhs.data.as_ptr(),
            to_isize(rhs.cs),
            to_isize(rhs.rs),
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `out[i * ld_out + j] (+)= Σ_p a[i, p] · b[j, p]` for `i < a.rows`, `j < b.rows`.
///
/// # Panics
/// Panics (a bug in this crate) if the shapes do not fit the slices.
pub(crate) fn gemm_abt(a: Mat<'_>, b: Mat<'_>, out: &mut [f32], ld_out: usize, accumulate: bool) {
    assert_eq!(a.cols, b.cols, "inner dimensions differ");
    assert!(a.fits() && b.fits(), "operand out of bounds");
    gemm_strided(
        (a.rows, b.rows, a.cols),
        Strided {
            data: a.data,
            rs: a.ld,
            cs: 1,
        },
        Strided {
            data: b.data,
            rs: 1,
            cs: b.ld,
        },
        out,
        (ld_out, 1),
        accumulate,
    );
}

/// Square roots of `row` (clamped at 0) in place; returns whether any input was below
/// `rel * (ni + ncols[j])` (an entry that may have lost precision to cancellation). Uses AVX2
/// when the CPU has it (runtime check), plain code otherwise; same results either way
/// (IEEE square root and comparisons are exact).
pub(crate) fn sqrt_clamp_flag(row: &mut [f32], ni: f32, ncols: &[f32], rel: f32) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above), the only requirement of a
        // `#[target_feature(enable = "avx2")]` function.
        return unsafe { sqrt_clamp_flag_avx2(row, ni, ncols, rel) };
    }
    sqrt_clamp_flag_body(row, ni, ncols, rel)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sqrt_clamp_flag_avx2(row: &mut [f32], ni: f32, ncols: &[f32], rel: f32) -> bool {
    sqrt_clamp_flag_body(row, ni, ncols, rel)
}

#[inline(always)]
fn sqrt_clamp_flag_body(row: &mut [f32], ni: f32, ncols: &[f32], rel: f32) -> bool {
    let mut flag = false;
    for (v, &nj) in row.iter_mut().zip(ncols) {
        flag |= *v < rel * (ni + nj);
        *v = v.max(0.0).sqrt();
    }
    flag
}

/// Rows per SIMD vector of the K-means kernels (one 256-bit register of f32).
pub(crate) const LANES: usize = 8;
/// Centres per pass of the K-means kernels.
const GROUP: usize = 4;

/// Data packed for the K-means kernels: blocks of [`LANES`] rows, feature-major within a block
/// (`blocks[b * d + p][l]` is feature `p` of row `b * LANES + l`), the last block padded with
/// zeros. Built once per fit: every iteration reads it.
pub(crate) struct Packed {
    blocks: Vec<[f32; LANES]>,
    rows: usize,
    d: usize,
}

impl Packed {
    /// Packs `rows x d` row-major data.
    pub(crate) fn new(x: &[f32], rows: usize, d: usize) -> Self {
        let mut blocks = vec![[0.0f32; LANES]; rows.div_ceil(LANES) * d];
        blocks
            .par_chunks_mut(d.max(1))
            .zip(x.par_chunks(LANES * d.max(1)))
            .for_each(|(block, src)| {
                for (l, row) in src.chunks_exact(d.max(1)).enumerate() {
                    for (b, &v) in block.iter_mut().zip(row) {
                        b[l] = v;
                    }
                }
            });
        Self { blocks, rows, d }
    }

    /// Rows `start..start + len` (`start` a multiple of [`LANES`]).
    pub(crate) fn rows(&self, start: usize, len: usize) -> PackedRows<'_> {
        debug_assert_eq!(start % LANES, 0);
        let from = (start / LANES * self.d).min(self.blocks.len());
        let to = ((start + len).div_ceil(LANES) * self.d).min(self.blocks.len());
        PackedRows {
            blocks: &self.blocks[from..to],
            rows: len.min(self.rows.saturating_sub(start)),
            d: self.d,
        }
    }
}

/// A run of rows of a [`Packed`] matrix.
#[derive(Clone, Copy)]
pub(crate) struct PackedRows<'a> {
    blocks: &'a [[f32; LANES]],
    rows: usize,
    d: usize,
}

/// A few centres (or candidate centres) for the K-means kernels: groups of [`GROUP`] centres,
/// feature-major within a group, the count padded with zero centres whose squared norm is +inf
/// (never nearest; no distance reported).
pub(crate) struct Centres {
    groups: Vec<[f32; GROUP]>,
    norms: Vec<f32>,
    k: usize,
    d: usize,
}

impl Centres {
    /// From `k` centres of `d` features, row-major in `c`.
    pub(crate) fn new(c: &[f32], k: usize, d: usize) -> Self {
        let n_groups = k.div_ceil(GROUP);
        let mut groups = vec![[0.0f32; GROUP]; n_groups * d];
        let mut norms = vec![f32::INFINITY; n_groups * GROUP];
        for (j, row) in c.chunks_exact(d.max(1)).take(k).enumerate() {
            for (p, &v) in row.iter().enumerate() {
                groups[(j / GROUP) * d + p][j % GROUP] = v;
            }
            norms[j] = sq_norm(row);
        }
        Self {
            groups,
            norms,
            k,
            d,
        }
    }
}

/// `a · b + c`, fused when `FMA` (the caller runs with the `fma` target feature).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Dot products of two blocks of [`LANES`] rows (`x0`, `x1`: `d` features each) with the
/// [`GROUP`] centres of `group`: `[block][centre][row lane]`. Each product is one sequential
/// chain over the features, so its value never depends on where the row sits.
#[inline(always)]
fn dots<const FMA: bool>(
    x0: &[[f32; LANES]],
    x1: &[[f32; LANES]],
    group: &[[f32; GROUP]],
) -> [[[f32; LANES]; GROUP]; 2] {
    let mut acc = [[[0.0f32; LANES]; GROUP]; 2];
    for ((cv, a), b) in group.iter().zip(x0).zip(x1) {
        for j in 0..GROUP {
            for l in 0..LANES {
                acc[0][j][l] = madd::<FMA>(a[l], cv[j], acc[0][j][l]);
                acc[1][j][l] = madd::<FMA>(b[l], cv[j], acc[1][j][l]);
            }
        }
    }
    acc
}

/// Calls `f(first_row, group, products)` for every pair of row blocks (2 x [`LANES`] rows; a
/// lone last block is computed twice) and every group of centres.
#[inline(always)]
fn for_each_dots<const FMA: bool>(
    x: PackedRows<'_>,
    c: &Centres,
    mut f: impl FnMut(usize, usize, &[[[f32; LANES]; GROUP]; 2]),
) {
    let d = x.d;
    for (pi, pair) in x.blocks.chunks(2 * d).enumerate() {
        let (x0, x1) = if pair.len() == 2 * d {
            pair.split_at(d)
        } else {
            (pair, pair)
        };
        for (g, group) in c.groups.chunks_exact(d).enumerate() {
            f(pi * 2 * LANES, g, &dots::<FMA>(x0, x1, group));
        }
    }
}

#[inline(always)]
fn nearest_body<const FMA: bool>(x: PackedRows<'_>, c: &Centres, labels: &mut [usize]) -> usize {
    let mut best_v = [[f32::INFINITY; LANES]; 2];
    let mut best = [[0u32; LANES]; 2];
    let mut changed = 0;
    let n_groups = c.groups.len() / x.d.max(1);
    for_each_dots::<FMA>(x, c, |r0, g, acc| {
        if g == 0 {
            best_v = [[f32::INFINITY; LANES]; 2];
        }
        for (blk, a) in acc.iter().enumerate() {
            for (j, aj) in a.iter().enumerate() {
                let cn = c.norms[g * GROUP + j];
                let id = (g * GROUP + j) as u32;
                for l in 0..LANES {
                    let v = cn - 2.0 * aj[l];
                    let better = v < best_v[blk][l];
                    best_v[blk][l] = if better { v } else { best_v[blk][l] };
                    best[blk][l] = if better { id } else { best[blk][l] };
                }
            }
        }
        if g + 1 == n_groups {
            let rows = labels.len().saturating_sub(r0).min(2 * LANES);
            for (l, lab) in labels[r0..r0 + rows].iter_mut().enumerate() {
                let b = best[l / LANES][l % LANES] as usize;
                if *lab != b {
                    changed += 1;
                    *lab = b;
                }
            }
        }
    });
    changed
}

#[inline(always)]
fn sq_dists_body<const FMA: bool>(
    x: PackedRows<'_>,
    x_norms: &[f32],
    c: &Centres,
    out: &mut [f32],
) {
    let (k, rows) = (c.k, x.rows);
    for_each_dots::<FMA>(x, c, |r0, g, acc| {
        for (blk, a) in acc.iter().enumerate() {
            for (j, aj) in a.iter().enumerate().take(k.saturating_sub(g * GROUP)) {
                let cj = g * GROUP + j;
                for (l, &dot) in aj.iter().enumerate() {
                    let i = r0 + blk * LANES + l;
                    if i < rows {
                        out[i * k + cj] = (x_norms[i] + c.norms[cj] - 2.0 * dot).max(0.0);
                    }
                }
            }
        }
    });
}

#[inline(always)]
fn add_rows_body(x: &[f32], labels: &[usize], sums: &mut [f32]) {
    let d = x.len() / labels.len().max(1);
    for (&l, row) in labels.iter().zip(x.chunks_exact(d.max(1))) {
        for (s, &v) in sums[l * d..(l + 1) * d].iter_mut().zip(row) {
            *s += v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn nearest_avx2(x: PackedRows<'_>, c: &Centres, labels: &mut [usize]) -> usize {
    nearest_body::<true>(x, c, labels)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn sq_dists_avx2(x: PackedRows<'_>, x_norms: &[f32], c: &Centres, out: &mut [f32]) {
    sq_dists_body::<true>(x, x_norms, c, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn add_rows_avx2(x: &[f32], labels: &[usize], sums: &mut [f32]) {
    add_rows_body(x, labels, sums);
}

/// The nearest centre (`|c_j|² − 2 x·c_j` smallest, ties to the lower index) of every row of
/// `x`, written to `labels` (one per row); returns how many changed.
pub(crate) fn nearest(x: PackedRows<'_>, c: &Centres, labels: &mut [usize]) -> usize {
    assert_eq!(x.rows, labels.len(), "rows and labels differ");
    assert_eq!(x.d, c.d, "feature counts differ");
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above), the only requirement of the
        // `#[target_feature]` function.
        return unsafe { nearest_avx2(x, c, labels) };
    }
    nearest_body::<false>(x, c, labels)
}

/// Squared distances `max(|x|² + |c|² − 2 x·c, 0)` of every row of `x` (squared norms
/// `x_norms`) to every centre, into `out` (`rows x k`, row-major).
pub(crate) fn sq_dists(x: PackedRows<'_>, x_norms: &[f32], c: &Centres, out: &mut [f32]) {
    assert_eq!(x.rows, x_norms.len(), "rows and norms differ");
    assert_eq!(x.d, c.d, "feature counts differ");
    assert_eq!(out.len(), x.rows * c.k, "output size");
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: as in `nearest`.
        return unsafe { sq_dists_avx2(x, x_norms, c, out) };
    }
    sq_dists_body::<false>(x, x_norms, c, out);
}

/// Adds each row of `x` (row-major, one row per label) to the `sums` row of its label
/// (`k x d`), in row order.
pub(crate) fn add_rows(x: &[f32], labels: &[usize], sums: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: as in `nearest`.
        return unsafe { add_rows_avx2(x, labels, sums) };
    }
    add_rows_body(x, labels, sums);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_abt_matches_naive_and_accumulates() {
        let (m, n, k) = (7, 5, 3);
        let a: Vec<f32> = (0..m * k).map(|v| (v as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..n * k).map(|v| (v as f32 * 0.11).cos()).collect();
        let mut out = vec![1.0f32; m * (n + 2)];
        gemm_abt(
            Mat::new(&a, m, k),
            Mat::new(&b, n, k),
            &mut out,
            n + 2,
            false,
        );
        for i in 0..m {
            for j in 0..n {
                let want: f32 = (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum();
                assert!((out[i * (n + 2) + j] - want).abs() < 1e-5);
            }
            // padding columns untouched
            assert_eq!(out[i * (n + 2) + n], 1.0);
        }
        let before = out.clone();
        gemm_abt(
            Mat::new(&a, m, k),
            Mat::new(&b, n, k),
            &mut out,
            n + 2,
            true,
        );
        for i in 0..m {
            for j in 0..n {
                let v = i * (n + 2) + j;
                assert!((out[v] - 2.0 * before[v]).abs() < 1e-5);
            }
        }
    }

    /// Deterministic pseudo-random values in [-1, 1).
    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let h = (i as u32 ^ seed)
                    .wrapping_mul(2_654_435_761)
                    .rotate_left(13);
                (h % 20_000) as f32 / 10_000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn kmeans_kernels_match_naive_on_ragged_shapes() {
        // rows not a multiple of 16, centres not a multiple of 4, a chunk not starting at 0
        for (n, d, k) in [(37, 5, 3), (16, 8, 4), (9, 3, 9), (50, 17, 1)] {
            let x = values(n * d, 7);
            let cs = values(k * d, 11);
            let packed = Packed::new(&x, n, d);
            let c = Centres::new(&cs, k, d);
            let naive = |i: usize, j: usize| -> f32 {
                (0..d).map(|p| (x[i * d + p] - cs[j * d + p]).powi(2)).sum()
            };
            let want: Vec<usize> = (0..n)
                .map(|i| {
                    (0..k)
                        .min_by(|&a, &b| naive(i, a).total_cmp(&naive(i, b)))
                        .unwrap_or(0)
                })
                .collect();
            let start = 16.min(n - n % LANES);
            let rows = packed.rows(start, n - start);
            let mut labels = vec![usize::MAX; n - start];
            assert_eq!(nearest(rows, &c, &mut labels), n - start);
            assert_eq!(labels, want[start..]);
            let mut plain = vec![usize::MAX; n - start];
            nearest_body::<false>(rows, &c, &mut plain);
            assert_eq!(plain, labels);
            let norms: Vec<f32> = x[start * d..]
                .chunks_exact(d)
                .map(|r| r.iter().map(|v| v * v).sum())
                .collect();
            let mut out = vec![-1.0f32; (n - start) * k];
            sq_dists(rows, &norms, &c, &mut out);
            for (i, o) in out.chunks_exact(k).enumerate() {
                for (j, &v) in o.iter().enumerate() {
                    assert!(
                        (v - naive(start + i, j)).abs() < 1e-4,
                        "{n} {d} {k}: {i} {j}"
                    );
                }
            }
            let mut sums = vec![0.0f32; k * d];
            add_rows(&x[start * d..], &want[start..], &mut sums);
            for j in 0..k {
                for p in 0..d {
                    let s: f32 = (start..n)
                        .filter(|&i| want[i] == j)
                        .map(|i| x[i * d + p])
                        .sum();
                    assert!((sums[j * d + p] - s).abs() < 1e-4);
                }
            }
        }
    }
}
