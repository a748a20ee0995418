//! Cross-kernel tests of the K-means kernels: every compiled build of the nearest-centre,
//! distance and per-cluster-sum kernels against naive code and against each other.

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use super::dispatch::{Level, has_avx2_fma};
use super::nearest::*;
#[cfg(target_arch = "x86_64")]
use super::nearest_x86;
use super::packed::{Centres, Packed, PackedRows};
use super::sums::*;

/// Deterministic pseudo-random values in [-1, 1).
pub(super) fn values(len: usize, seed: u32) -> Vec<f32> {
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
        if has_avx2_fma() {
            // SAFETY (all closures below): the CPU has the features (detected above).
            if lanes == 8 {
                v.push((
                    "avx2 8 portable",
                    Box::new(|x, c, l, ch| unsafe { nearest_avx2::<8>(x, c, l, ch) }),
                    Box::new(|x, n, c, o| unsafe { sq_dists_avx2::<8>(x, n, c, o) }),
                ));
                v.push((
                    "avx2 8 intrinsics",
                    Box::new(|x, c, l, ch| unsafe { nearest_x86::nearest_avx2(x, c, l, ch) }),
                    Box::new(|x, n, c, o| unsafe { sq_dists_avx2::<8>(x, n, c, o) }),
                ));
            } else {
                v.push((
                    "avx2 16",
                    Box::new(|x, c, l, ch| unsafe { nearest_avx2::<16>(x, c, l, ch) }),
                    Box::new(|x, n, c, o| unsafe { sq_dists_avx2::<16>(x, n, c, o) }),
                ));
            }
        }
        if level == Level::Avx512 && lanes == 16 {
            v.push((
                "avx512 16",
                Box::new(|x, c, l, ch| unsafe { nearest_x86::nearest_avx512(x, c, l, ch) }),
                Box::new(|x, n, c, o| unsafe { sq_dists_avx512(x, n, c, o) }),
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
        // wide rows: the GEMM route (row-major, tiles of 256 rows and a ragged last one)
        (300, 130, 7),
        (70, 512, 10),
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
                        let want = naive(start + i, j);
                        assert!(
                            (v - want).abs() < 1e-4 * (1.0 + want),
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
        // the row-major layout of wide rows: the GEMM kernels, the same labels, distances
        // within rounding
        let row_major = Packed::row_major(&x, n, d);
        let rows = row_major.rows(start, n - start);
        let mut three = vec![vec![usize::MAX; n - start]; 3];
        let mut slices: Vec<&mut [usize]> = three.iter_mut().map(Vec::as_mut_slice).collect();
        let mut changed = [0; 3];
        nearest_runs(rows, &multi, &mut slices, &mut changed);
        assert_eq!(changed, [n - start; 3], "gemm");
        for (got, w) in three.iter().zip(&wants) {
            assert_eq!(got, &w[start..], "gemm: {n} {d} {k}, three runs");
        }
        let mut out = vec![-1.0f32; (n - start) * k];
        sq_dists(rows, &norms, &c, &mut out);
        for (j, o) in out.chunks_exact(n - start).enumerate() {
            for (i, &v) in o.iter().enumerate() {
                let want = naive(start + i, j);
                assert!(
                    (v - want).abs() < 1e-4 * (1.0 + want),
                    "gemm: {n} {d} {k}: {i} {j}"
                );
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
