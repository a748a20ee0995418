//! Per-cluster sums and counts of K-means' update step, for several runs at once
//! ([`add_rows`]): rows of 16, 32 and 64 features as fixed-width arrays, any other width by
//! a plain loop, compiled plain, for AVX2 + FMA and for AVX-512F, chosen at run time.

#![allow(unsafe_code)]

use super::dispatch::Level;

/// Adds each row of `x` (row-major) to the sum of its cluster and counts it, for several runs
/// at once: run `r` labels the rows with `labels[r]` and sums into the `k x d` block
/// `sums[r * k * d..(r + 1) * k * d]`, counts into `counts[r * k..(r + 1) * k]`. Each run
/// adds its rows in row order (the same bits as a run alone). Rows of 16, 32 or 64 features:
/// the runs take turns row by row, so their chains of additions overlap instead of each
/// waiting on the last store; other widths: cluster by cluster ([`add_rows_any`]).
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
        Level::Avx512 => return unsafe { add_rows_avx512(x, labels, sums, counts) },
        // SAFETY: as above.
        Level::Avx2 => return unsafe { add_rows_avx2(x, labels, sums, counts) },
        Level::Plain => {}
    }
    add_rows_body(x, labels, sums, counts);
}

#[inline(always)]
pub(super) fn add_rows_body(
    x: &[f32],
    labels: &[&mut [usize]],
    sums: &mut [f32],
    counts: &mut [u64],
) {
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
pub(super) fn add_rows_any(
    x: &[f32],
    labels: &[&mut [usize]],
    sums: &mut [f32],
    counts: &mut [u64],
    d: usize,
) {
    let rows = labels.first().map_or(0, |l| l.len());
    let k = counts.len() / labels.len().max(1);
    let dd = d.max(1);
    // Per run, the rows of each cluster in row order (a counting sort); then, per span of
    // `SPAN` features, the span's sums in registers while the cluster's rows are added: one
    // load and store of the sums per cluster instead of per row (row-by-row, each row's stores
    // and the next row's loads of the same sums serialise). Each sum still adds its rows in
    // row order, so the result is the same bits.
    let mut order = vec![0usize; rows];
    let mut starts = vec![0usize; k + 1];
    for (r, lab) in labels.iter().enumerate() {
        starts.fill(0);
        for &l in lab.iter() {
            starts[l + 1] += 1;
        }
        for j in 0..k {
            starts[j + 1] += starts[j];
        }
        let mut next = starts.clone();
        for (i, &l) in lab.iter().enumerate() {
            order[next[l]] = i;
            next[l] += 1;
        }
        for j in 0..k {
            let members = &order[starts[j]..starts[j + 1]];
            counts[r * k + j] += members.len() as u64;
            if members.is_empty() {
                continue;
            }
            let sum = &mut sums[(r * k + j) * d..(r * k + j + 1) * d];
            let (spans, tail) = sum.as_chunks_mut::<SPAN>();
            for (q, span) in spans.iter_mut().enumerate() {
                let mut acc = *span;
                for &i in members {
                    let v = &x[i * dd + q * SPAN..i * dd + (q + 1) * SPAN];
                    for (a, &b) in acc.iter_mut().zip(v) {
                        *a += b;
                    }
                }
                *span = acc;
            }
            let from = d - tail.len();
            for &i in members {
                for (t, &v) in tail.iter_mut().zip(&x[i * d + from..(i + 1) * d]) {
                    *t += v;
                }
            }
        }
    }
}

/// Features whose sums [`add_rows_any`] keeps in registers at a time: 8 AVX-512 registers, 8
/// independent chains of additions.
const SPAN: usize = 128;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn add_rows_avx2(x: &[f32], labels: &[&mut [usize]], sums: &mut [f32], counts: &mut [u64]) {
    add_rows_body(x, labels, sums, counts);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn add_rows_avx512(x: &[f32], labels: &[&mut [usize]], sums: &mut [f32], counts: &mut [u64]) {
    add_rows_body(x, labels, sums, counts);
}
