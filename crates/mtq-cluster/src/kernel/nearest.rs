//! The K-means assignment kernels: the nearest centre of every row ([`nearest`],
//! [`nearest_runs`]) and the squared distances to a few centres ([`sq_dists`]), each a portable
//! body compiled plain, for AVX2 + FMA and for AVX-512F, chosen at run time
//! ([`dispatch!`](super::dispatch::dispatch)).

#![allow(unsafe_code)]

use super::dispatch::dispatch;
use super::dots::{DotsSink, for_each_dots};
use super::nearest_gemm;
#[cfg(target_arch = "x86_64")]
use super::nearest_x86;
use super::packed::{Centres, GROUP, PackedRows};

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
pub(super) fn write_labels(ids: &[u32], r0: usize, labels: &mut [usize]) -> usize {
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
pub(super) fn nearest_body<const FMA: bool, const L: usize>(
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
pub(super) fn sq_dists_body<const FMA: bool, const L: usize>(
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn nearest_avx2<const L: usize>(
    x: PackedRows<'_>,
    c: &Centres,
    labels: &mut [&mut [usize]],
    changed: &mut [usize],
) {
    nearest_body::<true, L>(x, c, labels, changed);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn sq_dists_avx2<const L: usize>(
    x: PackedRows<'_>,
    x_norms: &[f32],
    c: &Centres,
    out: &mut [f32],
) {
    sq_dists_body::<true, L>(x, x_norms, c, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) fn sq_dists_avx512(x: PackedRows<'_>, x_norms: &[f32], c: &Centres, out: &mut [f32]) {
    sq_dists_body::<true, 16>(x, x_norms, c, out);
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
/// On packed rows every distance is computed as by a run alone, so each run's labels are the
/// same bits; on row-major rows (the GEMM) the product's shape includes the other runs, which
/// may change how it rounds. Either way the result does not depend on the thread count.
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
    if x.lanes == 0 {
        return nearest_gemm::nearest_runs(x, c, labels, changed);
    }
    let sixteen = x.lanes == 16;
    dispatch!(x,
        avx512: nearest_x86::nearest_avx512(x, c, labels, changed),
        avx2: if sixteen { nearest_avx2::<16>(x, c, labels, changed) } else { nearest_x86::nearest_avx2(x, c, labels, changed) },
        plain: if sixteen { nearest_body::<false, 16>(x, c, labels, changed) } else { nearest_body::<false, 8>(x, c, labels, changed) })
}

/// Squared distances `max(|x|² + |c|² − 2 x·c, 0)` of every row of `x` (squared norms
/// `x_norms`) to every centre, into `out` (`k x rows`, row-major: centre `j`'s distances at
/// `out[j * rows..(j + 1) * rows]`).
pub(crate) fn sq_dists(x: PackedRows<'_>, x_norms: &[f32], c: &Centres, out: &mut [f32]) {
    assert_eq!(x.rows, x_norms.len(), "rows and norms differ");
    assert_eq!(x.d, c.d, "feature counts differ");
    assert_eq!(out.len(), x.rows * c.k, "output size");
    if x.lanes == 0 {
        return nearest_gemm::sq_dists(x, x_norms, c, out);
    }
    let sixteen = x.lanes == 16;
    dispatch!(x,
        avx512: sq_dists_avx512(x, x_norms, c, out),
        avx2: if sixteen { sq_dists_avx2::<16>(x, x_norms, c, out) } else { sq_dists_avx2::<8>(x, x_norms, c, out) },
        plain: if sixteen { sq_dists_body::<false, 16>(x, x_norms, c, out) } else { sq_dists_body::<false, 8>(x, x_norms, c, out) })
}
