//! Per-cluster sums and counts of K-means' update step, for several runs at once
//! ([`add_rows`]): rows of 16, 32 and 64 features as fixed-width arrays, any other width by
//! a plain loop, compiled plain, for AVX2 + FMA and for AVX-512F, chosen at run time.

#![allow(unsafe_code)]

use super::dispatch::Level;

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
    // a few rows at a time (in L1), one run after the other: a row of other widths is several
    // independent vector additions already, and runs taking turns row by row would make each
    // row's stores alias the other runs' sums (their blocks often lie a multiple of 4 KiB
    // apart, which the CPU treats as a conflict)
    let dd = d.max(1);
    for (t, tile) in x
        .chunks(ADD_TILE_ROWS * dd)
        .take(rows.div_ceil(ADD_TILE_ROWS))
        .enumerate()
    {
        let first = t * ADD_TILE_ROWS;
        for (r, lab) in labels.iter().enumerate() {
            for (row, &label) in tile.chunks_exact(dd).zip(&lab[first..]) {
                let l = r * k + label;
                counts[l] += 1;
                for (s, &v) in sums[l * d..(l + 1) * d].iter_mut().zip(row) {
                    *s += v;
                }
            }
        }
    }
}

/// Rows [`add_rows_any`] adds per run before the next run takes them (16 KB at 512 features).
const ADD_TILE_ROWS: usize = 8;

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
