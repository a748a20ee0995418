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
/// `rel * (ni + ncols[j])` (an entry that may have lost precision to cancellation). Uses
/// AVX-512F or AVX2 when the CPU has it (runtime check), plain code otherwise; same results
/// either way (IEEE square root and comparisons are exact).
pub(crate) fn sqrt_clamp_flag(row: &mut [f32], ni: f32, ncols: &[f32], rel: f32) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above), the only requirement
            // of the `#[target_feature]` function.
            return unsafe { sqrt_clamp_flag_avx512(row, ni, ncols, rel) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above, for AVX2.
            return unsafe { sqrt_clamp_flag_avx2(row, ni, ncols, rel) };
        }
    }
    sqrt_clamp_flag_body(row, ni, ncols, rel)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn sqrt_clamp_flag_avx512(row: &mut [f32], ni: f32, ncols: &[f32], rel: f32) -> bool {
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

/// The widest vector instructions of this CPU the kernels use, detected at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// Plain code (what the compiler emits for the build target).
    Plain,
    /// AVX2 + FMA: 256-bit vectors, fused multiply-add.
    Avx2,
    /// AVX-512F: 512-bit vectors, fused multiply-add.
    Avx512,
}

impl Level {
    /// The level of this CPU (`std`'s feature detection caches the CPUID query).
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if has_avx2_fma() {
                return Self::Avx2;
            }
        }
        Self::Plain
    }

    /// Rows per block of [`Packed`] data for this level: one vector register of f32.
    pub(crate) fn lanes(self) -> usize {
        match self {
            Self::Avx512 => 16,
            Self::Avx2 | Self::Plain => 8,
        }
    }
}

/// Centres per pass of the K-means kernels.
const GROUP: usize = 4;

/// Data packed for the K-means kernels: blocks of `lanes` rows (8 or 16, one vector register),
/// feature-major within a block (`data[(b * d + p) * lanes + l]` is feature `p` of row
/// `b * lanes + l`), the last block padded with zeros. Built once per fit: every iteration
/// reads it. The lane width only changes which rows share a vector: every dot product is the
/// same sequential chain over the features whatever it is, so results do not depend on it.
pub(crate) struct Packed {
    data: Vec<f32>,
    rows: usize,
    d: usize,
    lanes: usize,
}

impl Packed {
    /// Packs `rows x d` row-major data for this CPU's widest kernel.
    pub(crate) fn new(x: &[f32], rows: usize, d: usize) -> Self {
        Self::with_lanes(x, rows, d, Level::detect().lanes())
    }

    /// Packs `rows x d` row-major data in blocks of `lanes` (8 or 16) rows.
    pub(crate) fn with_lanes(x: &[f32], rows: usize, d: usize, lanes: usize) -> Self {
        assert!(lanes == 8 || lanes == 16, "8 or 16 lanes");
        let dd = d.max(1);
        let mut data = vec![0.0f32; rows.div_ceil(lanes) * d * lanes];
        data.par_chunks_mut(dd * lanes)
            .zip(x.par_chunks(lanes * dd))
            .for_each(|(block, src)| {
                for (l, row) in src.chunks_exact(dd).enumerate() {
                    for (p, &v) in row.iter().enumerate() {
                        block[p * lanes + l] = v;
                    }
                }
            });
        Self {
            data,
            rows,
            d,
            lanes,
        }
    }

    /// Rows `start..start + len` (`start` a multiple of 16).
    pub(crate) fn rows(&self, start: usize, len: usize) -> PackedRows<'_> {
        debug_assert_eq!(start % 16, 0);
        let per_block = self.d * self.lanes;
        let from = (start / self.lanes * per_block).min(self.data.len());
        let to = ((start + len).div_ceil(self.lanes) * per_block).min(self.data.len());
        PackedRows {
            data: &self.data[from..to],
            rows: len.min(self.rows.saturating_sub(start)),
            d: self.d,
            lanes: self.lanes,
        }
    }
}

/// A run of rows of a [`Packed`] matrix.
#[derive(Clone, Copy)]
pub(crate) struct PackedRows<'a> {
    data: &'a [f32],
    rows: usize,
    d: usize,
    lanes: usize,
}

impl<'a> PackedRows<'a> {
    /// The blocks as arrays of `L` lanes (`L` must be the packing's lane count).
    #[inline(always)]
    fn blocks<const L: usize>(self) -> &'a [[f32; L]] {
        debug_assert_eq!(self.lanes, L);
        self.data.as_chunks::<L>().0
    }
}

/// A few centres (or candidate centres) for the K-means kernels: groups of [`GROUP`] centres,
/// feature-major within a group, the count padded with zero centres whose squared norm is +inf
/// (never nearest; no distance reported).
pub(crate) struct Centres {
    groups: Vec<[f32; GROUP]>,
    norms: Vec<f32>,
    k: usize,
    d: usize,
    /// Groups per run: the centres of run `r` are groups `r * run_groups..(r + 1) * run_groups`.
    run_groups: usize,
}

impl Centres {
    /// From `k` centres of `d` features, row-major in `c`.
    pub(crate) fn new(c: &[f32], k: usize, d: usize) -> Self {
        Self::runs(&[c], k, d)
    }

    /// The `k` centres (`d` features, row-major) of each of several K-means runs, each run's
    /// padded to whole groups, so that one pass over the data serves every run
    /// ([`nearest_runs`]).
    pub(crate) fn runs(runs: &[&[f32]], k: usize, d: usize) -> Self {
        let run_groups = k.div_ceil(GROUP);
        let n_groups = run_groups * runs.len();
        let mut groups = vec![[0.0f32; GROUP]; n_groups * d];
        let mut norms = vec![f32::INFINITY; n_groups * GROUP];
        for (r, c) in runs.iter().enumerate() {
            for (j, row) in c.chunks_exact(d.max(1)).take(k).enumerate() {
                let g = r * run_groups + j / GROUP;
                for (p, &v) in row.iter().enumerate() {
                    groups[g * d + p][j % GROUP] = v;
                }
                norms[g * GROUP + j % GROUP] = sq_norm(row);
            }
        }
        Self {
            groups,
            norms,
            k,
            d,
            run_groups,
        }
    }
}

/// `a · b + c`, fused when `FMA` (the caller runs with the `fma` target feature).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Dot products of two blocks of `L` rows (`x0`, `x1`: `d` features each) with the
/// [`GROUP`] centres of `group`: `[block][centre][row lane]`. Each product is one sequential
/// chain over the features, so its value never depends on where the row sits.
#[inline(always)]
fn dots<const FMA: bool, const L: usize>(
    x0: &[[f32; L]],
    x1: &[[f32; L]],
    group: &[[f32; GROUP]],
) -> [[[f32; L]; GROUP]; 2] {
    let mut acc = [[[0.0f32; L]; GROUP]; 2];
    for ((cv, a), b) in group.iter().zip(x0).zip(x1) {
        for j in 0..GROUP {
            for l in 0..L {
                acc[0][j][l] = madd::<FMA>(a[l], cv[j], acc[0][j][l]);
                acc[1][j][l] = madd::<FMA>(b[l], cv[j], acc[1][j][l]);
            }
        }
    }
    acc
}

/// What a kernel does with the dot products of a pair of row blocks (first row `r0`) and the
/// centres of group `g`: `acc[block][centre][row lane]`. A trait with an always-inlined method
/// rather than a closure: a closure is a function of its own, compiled for the baseline CPU
/// (SSE2) whenever the compiler declines to inline it into the `#[target_feature]` kernel,
/// which made the AVX-512 build spend most of its time in SSE2 code.
trait DotsSink<const L: usize> {
    fn take(&mut self, r0: usize, g: usize, acc: &[[[f32; L]; GROUP]; 2]);
}

/// Calls `sink.take(first_row, group, products)` for every pair of row blocks (2 x `L` rows; a
/// lone last block is computed twice) and every group of centres.
#[inline(always)]
fn for_each_dots<const FMA: bool, const L: usize>(
    x: PackedRows<'_>,
    c: &Centres,
    sink: &mut impl DotsSink<L>,
) {
    let d = x.d;
    for (pi, pair) in x.blocks::<L>().chunks(2 * d).enumerate() {
        let (x0, x1) = if pair.len() == 2 * d {
            pair.split_at(d)
        } else {
            (pair, pair)
        };
        for (g, group) in c.groups.chunks_exact(d).enumerate() {
            sink.take(pi * 2 * L, g, &dots::<FMA, L>(x0, x1, group));
        }
    }
}

/// The running nearest centre of two blocks of rows within each run's groups, written to that
/// run's `labels` after its last group.
struct NearestSink<'a, 'b, const L: usize> {
    best_v: [[f32; L]; 2],
    best: [[u32; L]; 2],
    norms: &'a [f32],
    run_groups: usize,
    /// The next group's place within its run, and its run (counters: no division per group).
    local: usize,
    run: usize,
    labels: &'a mut [&'b mut [usize]],
    changed: &'a mut [usize],
}

impl<const L: usize> DotsSink<L> for NearestSink<'_, '_, L> {
    #[inline(always)]
    fn take(&mut self, r0: usize, g: usize, acc: &[[[f32; L]; GROUP]; 2]) {
        if g == 0 {
            (self.local, self.run) = (0, 0);
        }
        let local = self.local;
        // local copies: the lane loops then compile to vector compares and blends
        let mut best_v = if local == 0 {
            [[f32::INFINITY; L]; 2]
        } else {
            self.best_v
        };
        let mut best = self.best;
        for ((a, bv), bi) in acc.iter().zip(&mut best_v).zip(&mut best) {
            for (j, aj) in a.iter().enumerate() {
                let cn = self.norms[g * GROUP + j];
                let id = (local * GROUP + j) as u32;
                for l in 0..L {
                    let v = cn - 2.0 * aj[l];
                    let better = v < bv[l];
                    bv[l] = if better { v } else { bv[l] };
                    bi[l] = if better { id } else { bi[l] };
                }
            }
        }
        self.best_v = best_v;
        self.best = best;
        if local + 1 == self.run_groups {
            let run = self.run;
            let ids: [u32; 32] = std::array::from_fn(|l| self.best[(l / L) % 2][l % L]);
            self.changed[run] += write_labels(&ids[..2 * L], r0, self.labels[run]);
            (self.local, self.run) = (0, run + 1);
        } else {
            self.local = local + 1;
        }
    }
}

/// Writes the ids of the nearest centre of the rows starting at `r0` into `labels` (rows
/// beyond `labels` ignored); returns how many changed.
#[inline(always)]
fn write_labels(ids: &[u32], r0: usize, labels: &mut [usize]) -> usize {
    let rows = labels.len().saturating_sub(r0).min(ids.len());
    let mut changed = 0;
    for (lab, &b) in labels[r0..r0 + rows].iter_mut().zip(ids) {
        let b = b as usize;
        if *lab != b {
            changed += 1;
            *lab = b;
        }
    }
    changed
}

#[inline(always)]
fn nearest_body<const FMA: bool, const L: usize>(
    x: PackedRows<'_>,
    c: &Centres,
    labels: &mut [&mut [usize]],
    changed: &mut [usize],
) {
    let mut sink = NearestSink::<L> {
        best_v: [[f32::INFINITY; L]; 2],
        best: [[0u32; L]; 2],
        norms: &c.norms,
        run_groups: c.run_groups,
        local: 0,
        run: 0,
        labels,
        changed,
    };
    for_each_dots::<FMA, L>(x, c, &mut sink);
}

/// Squared distances of every row to every centre, into `out` (`k x rows`: one centre's
/// distances contiguous, so each lane block is one vector store).
struct SqDistsSink<'a> {
    x_norms: &'a [f32],
    c_norms: &'a [f32],
    k: usize,
    rows: usize,
    out: &'a mut [f32],
}

impl<const L: usize> DotsSink<L> for SqDistsSink<'_> {
    #[inline(always)]
    fn take(&mut self, r0: usize, g: usize, acc: &[[[f32; L]; GROUP]; 2]) {
        let k = self.k;
        for (blk, a) in acc.iter().enumerate() {
            for (j, aj) in a.iter().enumerate().take(k.saturating_sub(g * GROUP)) {
                let cj = g * GROUP + j;
                let cn = self.c_norms[cj];
                let i0 = r0 + blk * L;
                let m = self.rows.saturating_sub(i0).min(L);
                if m == 0 {
                    continue;
                }
                let out = &mut self.out[cj * self.rows + i0..][..m];
                for ((o, &xn), &dot) in out.iter_mut().zip(&self.x_norms[i0..i0 + m]).zip(aj) {
                    *o = (xn + cn - 2.0 * dot).max(0.0);
                }
            }
        }
    }
}

#[inline(always)]
fn sq_dists_body<const FMA: bool, const L: usize>(
    x: PackedRows<'_>,
    x_norms: &[f32],
    c: &Centres,
    out: &mut [f32],
) {
    let mut sink = SqDistsSink {
        x_norms,
        c_norms: &c.norms,
        k: c.k,
        rows: x.rows,
        out,
    };
    for_each_dots::<FMA, L>(x, c, &mut sink);
}

#[inline(always)]
fn add_rows_body(x: &[f32], labels: &[&mut [usize]], sums: &mut [f32], counts: &mut [u64]) {
    let rows = labels.first().map_or(0, |l| l.len());
    let d = x.len() / rows.max(1);
    match d {
        // whole rows in registers, loaded once for every run (the same additions in the same
        // order as the loop below)
        16 => add_rows_fixed::<16>(x, labels, sums, counts),
        32 => add_rows_fixed::<32>(x, labels, sums, counts),
        64 => add_rows_fixed::<64>(x, labels, sums, counts),
        _ => add_rows_any(x, labels, sums, counts, d),
    }
}

#[inline(always)]
fn add_rows_fixed<const D: usize>(
    x: &[f32],
    labels: &[&mut [usize]],
    sums: &mut [f32],
    counts: &mut [u64],
) {
    let n = labels.first().map_or(0, |l| l.len());
    let k = counts.len() / labels.len().max(1);
    let (sums, _) = sums.as_chunks_mut::<D>();
    let (rows, _) = x.as_chunks::<D>();
    for (i, row) in rows.iter().take(n).enumerate() {
        for (r, lab) in labels.iter().enumerate() {
            let l = r * k + lab[i];
            counts[l] += 1;
            for (s, &v) in sums[l].iter_mut().zip(row) {
                *s += v;
            }
        }
    }
}

#[inline(always)]
fn add_rows_any(
    x: &[f32],
    labels: &[&mut [usize]],
    sums: &mut [f32],
    counts: &mut [u64],
    d: usize,
) {
    let rows = labels.first().map_or(0, |l| l.len());
    let k = counts.len() / labels.len().max(1);
    for (i, row) in x.chunks_exact(d.max(1)).take(rows).enumerate() {
        for (r, lab) in labels.iter().enumerate() {
            let l = r * k + lab[i];
            counts[l] += 1;
            for (s, &v) in sums[l * d..(l + 1) * d].iter_mut().zip(row) {
                *s += v;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
mod nearest_x86;

/// The portable bodies compiled for AVX2 + FMA and for AVX-512F (the compiler vectorises the
/// lane loops: one register per 8 or 16 lanes).
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Centres, PackedRows, add_rows_body, diff_tile_body, nearest_body, sq_dists_body};

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn nearest_avx2<const L: usize>(
        x: PackedRows<'_>,
        c: &Centres,
        labels: &mut [&mut [usize]],
        changed: &mut [usize],
    ) {
        nearest_body::<true, L>(x, c, labels, changed);
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn sq_dists_avx2<const L: usize>(
        x: PackedRows<'_>,
        x_norms: &[f32],
        c: &Centres,
        out: &mut [f32],
    ) {
        sq_dists_body::<true, L>(x, x_norms, c, out);
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn sq_dists_avx512(
        x: PackedRows<'_>,
        x_norms: &[f32],
        c: &Centres,
        out: &mut [f32],
    ) {
        sq_dists_body::<true, 16>(x, x_norms, c, out);
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn add_rows_avx2(
        x: &[f32],
        labels: &[&mut [usize]],
        sums: &mut [f32],
        counts: &mut [u64],
    ) {
        add_rows_body(x, labels, sums, counts);
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn add_rows_avx512(
        x: &[f32],
        labels: &[&mut [usize]],
        sums: &mut [f32],
        counts: &mut [u64],
    ) {
        add_rows_body(x, labels, sums, counts);
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn diff_tile_avx2(
        tile: &mut [f32],
        data: (&[f32], &[f32]),
        shape: (usize, usize),
        rows: (usize, usize),
        cols: (usize, usize),
    ) {
        diff_tile_body(tile, data, shape, rows, cols);
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn diff_tile_avx512(
        tile: &mut [f32],
        data: (&[f32], &[f32]),
        shape: (usize, usize),
        rows: (usize, usize),
        cols: (usize, usize),
    ) {
        diff_tile_body(tile, data, shape, rows, cols);
    }
}

/// Runs `$body` for `$x`'s lane width at the widest level this CPU and the packing allow:
/// AVX-512F with 16 lanes, AVX2 + FMA with 8 or 16, plain code otherwise.
macro_rules! dispatch {
    ($x:expr, avx512: $a512:expr, avx2: $a2:expr, plain: $plain:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            let level = Level::detect();
            if level == Level::Avx512 && $x.lanes == 16 {
                // SAFETY: the CPU has AVX-512F (detected just above), the only requirement of
                // the `#[target_feature]` function.
                return unsafe { $a512 };
            }
            if level != Level::Plain {
                // SAFETY: the CPU has AVX2 and FMA (AVX-512F implies both).
                return unsafe { $a2 };
            }
        }
        $plain
    }};
}

/// The nearest centre (`|c_j|² − 2 x·c_j` smallest, ties to the lower index) of every row of
/// `x`, written to `labels` (one per row); returns how many changed.
pub(crate) fn nearest(x: PackedRows<'_>, c: &Centres, labels: &mut [usize]) -> usize {
    let mut changed = [0];
    nearest_runs(x, c, &mut [labels], &mut changed);
    changed[0]
}

/// [`nearest`] for several runs at once ([`Centres::runs`]): the nearest of run `r`'s centres
/// (ids local to the run) into `labels[r]`, and the number changed added to `changed[r]`.
/// Every distance is computed as by a run alone, so each run's labels are the same bits.
pub(crate) fn nearest_runs(
    x: PackedRows<'_>,
    c: &Centres,
    labels: &mut [&mut [usize]],
    changed: &mut [usize],
) {
    let runs = c.groups.len() / (c.d.max(1) * c.run_groups.max(1));
    assert_eq!(labels.len(), runs, "one label slice per run");
    assert_eq!(changed.len(), runs, "one count per run");
    assert!(
        labels.iter().all(|l| l.len() == x.rows),
        "rows and labels differ"
    );
    assert_eq!(x.d, c.d, "feature counts differ");
    let sixteen = x.lanes == 16;
    dispatch!(x,
        avx512: nearest_x86::nearest_avx512(x, c, labels, changed),
        avx2: if sixteen { x86::nearest_avx2::<16>(x, c, labels, changed) } else { nearest_x86::nearest_avx2(x, c, labels, changed) },
        plain: if sixteen { nearest_body::<false, 16>(x, c, labels, changed) } else { nearest_body::<false, 8>(x, c, labels, changed) })
}

/// Squared distances `max(|x|² + |c|² − 2 x·c, 0)` of every row of `x` (squared norms
/// `x_norms`) to every centre, into `out` (`k x rows`, row-major: centre `j`'s distances at
/// `out[j * rows..(j + 1) * rows]`).
pub(crate) fn sq_dists(x: PackedRows<'_>, x_norms: &[f32], c: &Centres, out: &mut [f32]) {
    assert_eq!(x.rows, x_norms.len(), "rows and norms differ");
    assert_eq!(x.d, c.d, "feature counts differ");
    assert_eq!(out.len(), x.rows * c.k, "output size");
    let sixteen = x.lanes == 16;
    dispatch!(x,
        avx512: x86::sq_dists_avx512(x, x_norms, c, out),
        avx2: if sixteen { x86::sq_dists_avx2::<16>(x, x_norms, c, out) } else { x86::sq_dists_avx2::<8>(x, x_norms, c, out) },
        plain: if sixteen { sq_dists_body::<false, 16>(x, x_norms, c, out) } else { sq_dists_body::<false, 8>(x, x_norms, c, out) })
}

/// Euclidean distances between rows `r0..r0 + rb` and rows `c0..c0 + cb` of the `n x d` data
/// `xs` (row-major; `xt` is its `d x n` transpose) into `tile` (`rb x cb`, row-major), from
/// coordinate differences summed in feature order: exact (no cancellation) and the same bits at
/// every level (no fused multiply-add). Blocks of 4 rows x 16 columns stay in registers while
/// the features stream past, so each column value loaded serves 4 rows.
pub(crate) fn diff_tile(
    tile: &mut [f32],
    (xs, xt): (&[f32], &[f32]),
    (n, d): (usize, usize),
    rows: (usize, usize),
    cols: (usize, usize),
) {
    assert!(xs.len() >= n * d && xt.len() >= n * d, "data size");
    assert!(
        rows.0 + rows.1 <= n && cols.0 + cols.1 <= n,
        "tile outside the data"
    );
    assert!(tile.len() >= rows.1 * cols.1, "tile size");
    #[cfg(target_arch = "x86_64")]
    match Level::detect() {
        // SAFETY: the CPU has the features the called function enables (detected).
        Level::Avx512 => {
            return unsafe { x86::diff_tile_avx512(tile, (xs, xt), (n, d), rows, cols) };
        }
        // SAFETY: as above.
        Level::Avx2 => return unsafe { x86::diff_tile_avx2(tile, (xs, xt), (n, d), rows, cols) },
        Level::Plain => {}
    }
    diff_tile_body(tile, (xs, xt), (n, d), rows, cols);
}

/// Rows and columns of one register block of [`diff_tile`].
const DIFF_ROWS: usize = 4;
const DIFF_COLS: usize = 16;

#[inline(always)]
fn diff_tile_body(
    tile: &mut [f32],
    (xs, xt): (&[f32], &[f32]),
    (n, d): (usize, usize),
    (r0, rb): (usize, usize),
    (c0, cb): (usize, usize),
) {
    for r in (0..rb).step_by(DIFF_ROWS) {
        let nr = DIFF_ROWS.min(rb - r);
        for c in (0..cb).step_by(DIFF_COLS) {
            let nc = DIFF_COLS.min(cb - c);
            let mut acc = [[0.0f32; DIFF_COLS]; DIFF_ROWS];
            if nr == DIFF_ROWS && nc == DIFF_COLS {
                let xr: [&[f32]; DIFF_ROWS] =
                    std::array::from_fn(|i| &xs[(r0 + r + i) * d..(r0 + r + i + 1) * d]);
                for p in 0..d {
                    let col: &[f32; DIFF_COLS] = xt[p * n + c0 + c..][..DIFF_COLS]
                        .try_into()
                        .expect("a block of columns");
                    let v: [f32; DIFF_ROWS] = std::array::from_fn(|i| xr[i][p]);
                    for i in 0..DIFF_ROWS {
                        for l in 0..DIFF_COLS {
                            let diff = v[i] - col[l];
                            acc[i][l] += diff * diff;
                        }
                    }
                }
            } else {
                for (i, a) in acc.iter_mut().enumerate().take(nr) {
                    let row = &xs[(r0 + r + i) * d..(r0 + r + i + 1) * d];
                    for (p, &v) in row.iter().enumerate() {
                        let col = &xt[p * n + c0 + c..p * n + c0 + c + nc];
                        for (t, &y) in a.iter_mut().zip(col) {
                            let diff = v - y;
                            *t += diff * diff;
                        }
                    }
                }
            }
            for (i, a) in acc.iter().enumerate().take(nr) {
                let out = &mut tile[(r + i) * cb + c..(r + i) * cb + c + nc];
                for (o, &v) in out.iter_mut().zip(a) {
                    *o = v.sqrt();
                }
            }
        }
    }
}

/// Adds each row of `x` (row-major) to the sum of its cluster and counts it, for several runs
/// at once: run `r` labels the rows with `labels[r]` and sums into the `k x d` block
/// `sums[r * k * d..(r + 1) * k * d]`, counts into `counts[r * k..(r + 1) * k]`. Each run
/// adds its rows in row order (the same bits as a run alone), but the runs take turns row by
/// row, so their chains of additions overlap instead of each waiting on the last store.
pub(crate) fn add_rows(x: &[f32], labels: &[&mut [usize]], sums: &mut [f32], counts: &mut [u64]) {
    let rows = labels.first().map_or(0, |l| l.len());
    assert!(
        labels.iter().all(|l| l.len() == rows),
        "one label per row in every run"
    );
    assert_eq!(
        sums.len() * rows,
        counts.len() * x.len(),
        "k x d sums per run"
    );
    #[cfg(target_arch = "x86_64")]
    match Level::detect() {
        // SAFETY: the CPU has the features the called function enables (detected).
        Level::Avx512 => return unsafe { x86::add_rows_avx512(x, labels, sums, counts) },
        // SAFETY: as above.
        Level::Avx2 => return unsafe { x86::add_rows_avx2(x, labels, sums, counts) },
        Level::Plain => {}
    }
    add_rows_body(x, labels, sums, counts);
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

    /// Every compiled version of the nearest-centre and distance kernels this CPU can run, by
    /// name: `(name, nearest, sq_dists)` for a packing of `lanes` lanes.
    #[allow(clippy::type_complexity)]
    fn kernel_paths(
        lanes: usize,
    ) -> Vec<(
        &'static str,
        Box<dyn Fn(PackedRows<'_>, &Centres, &mut [&mut [usize]], &mut [usize])>,
        Box<dyn Fn(PackedRows<'_>, &[f32], &Centres, &mut [f32])>,
    )> {
        let mut v: Vec<(
            &'static str,
            Box<dyn Fn(PackedRows<'_>, &Centres, &mut [&mut [usize]], &mut [usize])>,
            Box<dyn Fn(PackedRows<'_>, &[f32], &Centres, &mut [f32])>,
        )> = Vec::new();
        if lanes == 8 {
            v.push((
                "plain 8",
                Box::new(nearest_body::<false, 8>),
                Box::new(sq_dists_body::<false, 8>),
            ));
        } else {
            v.push((
                "plain 16",
                Box::new(nearest_body::<false, 16>),
                Box::new(sq_dists_body::<false, 16>),
            ));
        }
        #[cfg(target_arch = "x86_64")]
        {
            let level = Level::detect();
            if level != Level::Plain {
                // SAFETY (all closures below): the CPU has the features (detected above).
                if lanes == 8 {
                    v.push((
                        "avx2 8 portable",
                        Box::new(|x, c, l, ch| unsafe { x86::nearest_avx2::<8>(x, c, l, ch) }),
                        Box::new(|x, n, c, o| unsafe { x86::sq_dists_avx2::<8>(x, n, c, o) }),
                    ));
                    v.push((
                        "avx2 8 intrinsics",
                        Box::new(|x, c, l, ch| unsafe { nearest_x86::nearest_avx2(x, c, l, ch) }),
                        Box::new(|x, n, c, o| unsafe { x86::sq_dists_avx2::<8>(x, n, c, o) }),
                    ));
                } else {
                    v.push((
                        "avx2 16",
                        Box::new(|x, c, l, ch| unsafe { x86::nearest_avx2::<16>(x, c, l, ch) }),
                        Box::new(|x, n, c, o| unsafe { x86::sq_dists_avx2::<16>(x, n, c, o) }),
                    ));
                }
            }
            if level == Level::Avx512 && lanes == 16 {
                v.push((
                    "avx512 16",
                    Box::new(|x, c, l, ch| unsafe { nearest_x86::nearest_avx512(x, c, l, ch) }),
                    Box::new(|x, n, c, o| unsafe { x86::sq_dists_avx512(x, n, c, o) }),
                ));
            }
        }
        v.push(("dispatched", Box::new(nearest_runs), Box::new(sq_dists)));
        v
    }

    #[test]
    fn kmeans_kernels_match_naive_on_ragged_shapes() {
        // rows not a multiple of 16 or 32 (a lone last block), centres not a multiple of 4, a
        // chunk not starting at 0; every compiled path of both packings, fused-multiply-add
        // paths bit-identical to each other; three runs' centres at once, each run's labels
        // its own nearest centre
        for (n, d, k) in [
            (37, 5, 3),
            (16, 8, 4),
            (9, 3, 9),
            (50, 17, 1),
            (40, 16, 6),
            (45, 32, 5),
            (83, 64, 10),
        ] {
            let x = values(n * d, 7);
            let runs: Vec<Vec<f32>> = [11, 13, 17].iter().map(|&s| values(k * d, s)).collect();
            let cs = &runs[0];
            let c = Centres::new(cs, k, d);
            let multi = Centres::runs(&[&runs[0], &runs[1], &runs[2]], k, d);
            let naive_to = |cs: &[f32], i: usize, j: usize| -> f32 {
                (0..d).map(|p| (x[i * d + p] - cs[j * d + p]).powi(2)).sum()
            };
            let naive = |i: usize, j: usize| naive_to(cs, i, j);
            let nearest_of = |cs: &[f32]| -> Vec<usize> {
                (0..n)
                    .map(|i| {
                        (0..k)
                            .min_by(|&a, &b| naive_to(cs, i, a).total_cmp(&naive_to(cs, i, b)))
                            .unwrap_or(0)
                    })
                    .collect()
            };
            let want = nearest_of(cs);
            let wants: Vec<Vec<usize>> = runs.iter().map(|r| nearest_of(r)).collect();
            let start = if n > 16 { 16 } else { 0 };
            let norms: Vec<f32> = x[start * d..]
                .chunks_exact(d)
                .map(|r| r.iter().map(|v| v * v).sum())
                .collect();
            let mut fused: Option<Vec<f32>> = None;
            for lanes in [8, 16] {
                let packed = Packed::with_lanes(&x, n, d, lanes);
                let rows = packed.rows(start, n - start);
                for (name, near, dists) in kernel_paths(lanes) {
                    let mut labels = vec![usize::MAX; n - start];
                    let mut changed = [0];
                    near(rows, &c, &mut [&mut labels], &mut changed);
                    assert_eq!(changed, [n - start], "{name}");
                    assert_eq!(labels, want[start..], "{name}: {n} {d} {k}");
                    let mut three = vec![vec![usize::MAX; n - start]; 3];
                    let mut slices: Vec<&mut [usize]> =
                        three.iter_mut().map(Vec::as_mut_slice).collect();
                    let mut changed = [0; 3];
                    near(rows, &multi, &mut slices, &mut changed);
                    assert_eq!(changed, [n - start; 3], "{name}");
                    for (got, w) in three.iter().zip(&wants) {
                        assert_eq!(got, &w[start..], "{name}: {n} {d} {k}, three runs");
                    }
                    let mut out = vec![-1.0f32; (n - start) * k];
                    dists(rows, &norms, &c, &mut out);
                    for (j, o) in out.chunks_exact(n - start).enumerate() {
                        for (i, &v) in o.iter().enumerate() {
                            assert!(
                                (v - naive(start + i, j)).abs() < 1e-4,
                                "{name}: {n} {d} {k}: {i} {j}"
                            );
                        }
                    }
                    if !name.starts_with("plain") {
                        match &fused {
                            Some(f) => assert_eq!(f, &out, "{name}: FMA paths differ"),
                            None => fused = Some(out),
                        }
                    }
                }
            }
            // the sums and counts of the three runs' clusters
            let mut labs: Vec<Vec<usize>> = wants.iter().map(|w| w[start..].to_vec()).collect();
            let labs: Vec<&mut [usize]> = labs.iter_mut().map(Vec::as_mut_slice).collect();
            let mut sums = vec![0.0f32; 3 * k * d];
            let mut counts = vec![0u64; 3 * k];
            add_rows(&x[start * d..], &labs, &mut sums, &mut counts);
            let mut plain = vec![0.0f32; 3 * k * d];
            let mut plain_counts = vec![0u64; 3 * k];
            add_rows_body(&x[start * d..], &labs, &mut plain, &mut plain_counts);
            assert_eq!((&sums, &counts), (&plain, &plain_counts));
            // the fixed-width rows (d = 16, 32, 64) add in the same order as any width
            let mut any = vec![0.0f32; 3 * k * d];
            let mut any_counts = vec![0u64; 3 * k];
            add_rows_any(&x[start * d..], &labs, &mut any, &mut any_counts, d);
            assert_eq!((&sums, &counts), (&any, &any_counts));
            for (r, w) in wants.iter().enumerate() {
                for j in 0..k {
                    let members = (start..n).filter(|&i| w[i] == j);
                    assert_eq!(counts[r * k + j], members.clone().count() as u64);
                    for p in 0..d {
                        let s: f32 = members.clone().map(|i| x[i * d + p]).sum();
                        assert!((sums[(r * k + j) * d + p] - s).abs() < 1e-4);
                    }
                }
            }
        }
    }

    #[test]
    fn diff_tiles_match_naive_and_every_level_gives_the_same_bits() {
        // tiles not multiples of the 4 x 16 register block, a tile off the diagonal
        for (n, d) in [(70, 8), (37, 3), (40, 16)] {
            let xs = values(n * d, 5);
            let xt: Vec<f32> = (0..d)
                .flat_map(|p| (0..n).map(move |i| (i, p)))
                .map(|(i, p)| xs[i * d + p])
                .collect();
            let (rows, cols) = ((3, n - 5), (1, n - 2));
            let mut tile = vec![-1.0f32; rows.1 * cols.1];
            diff_tile(&mut tile, (&xs, &xt), (n, d), rows, cols);
            let mut plain = vec![-1.0f32; rows.1 * cols.1];
            diff_tile_body(&mut plain, (&xs, &xt), (n, d), rows, cols);
            assert_eq!(tile, plain, "{n} {d}: dispatched and plain differ");
            for r in 0..rows.1 {
                for c in 0..cols.1 {
                    let (i, j) = (rows.0 + r, cols.0 + c);
                    let want: f32 = (0..d)
                        .map(|p| (xs[i * d + p] - xs[j * d + p]).powi(2))
                        .sum::<f32>()
                        .sqrt();
                    assert!(
                        (tile[r * cols.1 + c] - want).abs() < 1e-5,
                        "{n} {d}: {i} {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn sqrt_clamp_flag_builds_agree() {
        let ncols = values(77, 5).iter().map(|v| v.abs()).collect::<Vec<f32>>();
        let base: Vec<f32> = values(77, 6).iter().map(|v| v * 2.0).collect();
        let mut plain = base.clone();
        let flag = sqrt_clamp_flag_body(&mut plain, 0.5, &ncols, 0.3);
        assert!(plain.iter().all(|v| *v >= 0.0));
        let mut got = base.clone();
        assert_eq!(sqrt_clamp_flag(&mut got, 0.5, &ncols, 0.3), flag);
        assert_eq!(got, plain);
        #[cfg(target_arch = "x86_64")]
        for (ok, f) in [
            (
                std::arch::is_x86_feature_detected!("avx2"),
                sqrt_clamp_flag_avx2 as unsafe fn(&mut [f32], f32, &[f32], f32) -> bool,
            ),
            (
                std::arch::is_x86_feature_detected!("avx512f"),
                sqrt_clamp_flag_avx512,
            ),
        ] {
            if ok {
                let mut v = base.clone();
                // SAFETY: the CPU has the feature (checked).
                assert_eq!(unsafe { f(&mut v, 0.5, &ncols, 0.3) }, flag);
                assert_eq!(v, plain);
            }
        }
    }

    #[test]
    fn packing_puts_each_value_in_its_lane() {
        let (n, d) = (21, 3);
        let x = values(n * d, 3);
        for lanes in [8, 16] {
            let p = Packed::with_lanes(&x, n, d, lanes);
            assert_eq!(p.data.len(), n.div_ceil(lanes) * d * lanes);
            for i in 0..n {
                for q in 0..d {
                    let (b, l) = (i / lanes, i % lanes);
                    assert_eq!(p.data[(b * d + q) * lanes + l], x[i * d + q]);
                }
            }
            // padding rows are zero
            assert!(
                p.data[(n / lanes * d) * lanes..]
                    .iter()
                    .enumerate()
                    .all(|(t, &v)| t % lanes < n % lanes || v == 0.0)
            );
        }
    }
}
