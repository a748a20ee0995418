//! Tests of the kNN search against brute force, on both paths (coordinate differences, tiles).

use ndarray::{Array1, Array2, array};

use super::direct::{SMALL_K, smallest_into};
use super::index::{QUERY_BLOCK, REF_BLOCK};
use super::*;
use crate::error::ClusterError;
use crate::kernel::INSERT_MAX_K;

#[test]
fn one_pass_smallest_equals_a_full_sort() {
    // duplicates, zeros, an infinity and a skipped index; k on both sides of SMALL_K
    let base: Vec<f32> = (0..500u32)
        .map(|i| match i % 7 {
            0 => 0.0,
            1 => f32::INFINITY,
            _ => ((i * 37 % 101) as f32) * 0.25,
        })
        .collect();
    for k in [1, 2, 5, 50, SMALL_K, SMALL_K + 1, 499] {
        for skip in [None, Some(3)] {
            let mut want: Vec<(f32, u32)> = base
                .iter()
                .enumerate()
                .map(|(i, &v)| (v, i as u32))
                .collect();
            if let Some(i) = skip {
                want[i].0 = f32::INFINITY;
            }
            // a stable sort: equal values keep their index order
            want.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut buf = base.clone();
            let mut out = Array1::<f32>::zeros(k);
            let mut rows = Array1::<u32>::zeros(k);
            smallest_into(&mut buf, skip, k, out.view_mut(), rows.view_mut());
            let values: Vec<f32> = want[..k].iter().map(|v| v.0.sqrt()).collect();
            let index: Vec<u32> = want[..k].iter().map(|v| v.1).collect();
            assert_eq!(out.to_vec(), values, "k = {k}, skip = {skip:?}");
            assert_eq!(rows.to_vec(), index, "k = {k}, skip = {skip:?}");
        }
    }
}

#[test]
fn neighbours_are_the_rows_of_a_brute_force_search_ties_to_the_lower_row() {
    // integer grids: many exact ties; d = 3 (coordinate differences) and d = 12 (tiles); more
    // reference rows than a tile, k on both sides of INSERT_MAX_K
    for d in [3usize, 12] {
        let r = Array2::from_shape_fn((REF_BLOCK + 300, d), |(i, j)| ((i * 7 + j * 3) % 5) as f32);
        let q = Array2::from_shape_fn((QUERY_BLOCK + 9, d), |(i, j)| ((i + j) % 4) as f32);
        let idx = KnnIndex::new(r.view());
        for k in [1, INSERT_MAX_K + 3, 40] {
            let (dist, rows) = idx.neighbours(q.view(), k).unwrap();
            assert_eq!(dist, idx.distances(q.view(), k, false).unwrap());
            for (i, qr) in q.rows().into_iter().enumerate() {
                let mut all: Vec<(f32, u32)> = r
                    .rows()
                    .into_iter()
                    .enumerate()
                    .map(|(j, rr)| {
                        let s: f32 = qr
                            .iter()
                            .zip(rr.iter())
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum();
                        (s, j as u32)
                    })
                    .collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let want: Vec<u32> = all[..k].iter().map(|v| v.1).collect();
                assert_eq!(rows.row(i).to_vec(), want, "d {d}, k {k}, query {i}");
            }
        }
    }
}

fn brute_knn(r: &Array2<f32>, q: &Array2<f32>, k: usize, skip_self: bool) -> Array2<f32> {
    let mut out = Array2::zeros((q.nrows(), k));
    for (i, qr) in q.rows().into_iter().enumerate() {
        let mut d: Vec<f32> = r
            .rows()
            .into_iter()
            .enumerate()
            .filter(|(j, _)| !(skip_self && *j == i))
            .map(|(_, rr)| {
                qr.iter()
                    .zip(rr.iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>()
                    .sqrt()
            })
            .collect();
        d.sort_by(f32::total_cmp);
        for j in 0..k {
            out[[i, j]] = d[j];
        }
    }
    out
}

fn data(n: usize, d: usize, seed: u32) -> Array2<f32> {
    // A small deterministic pseudo-random fill (LCG): no RNG needed for a fixture.
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    Array2::from_shape_fn((n, d), |_| {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (s >> 8) as f32 / (1u32 << 24) as f32
    })
}

#[test]
fn knn_matches_brute_force_across_blocks() {
    let r = data(300, 5, 1);
    let q = data(QUERY_BLOCK + 37, 5, 2);
    let idx = KnnIndex::new(r.view());
    let got = idx.distances(q.view(), 7, false).unwrap();
    let want = brute_knn(&r, &q, 7, false);
    assert_eq!(got.dim(), (QUERY_BLOCK + 37, 7));
    for (a, b) in got.iter().zip(want.iter()) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn tiled_knn_matches_brute_force_on_ragged_shapes() {
    // several reference tiles (the last one ragged), a ragged query block, k on both
    // sides of SMALL_K, a zero row, leave-one-out across tiles
    let mut r = data(2 * REF_BLOCK + 77, 9, 8);
    r.row_mut(REF_BLOCK + 3).fill(0.0);
    let q = data(QUERY_BLOCK + 5, 9, 9);
    let idx = KnnIndex::new(r.view());
    for k in [1, 7, INSERT_MAX_K + 1, 50, SMALL_K + 6] {
        let (raw, l2) = idx.distances_raw_and_l2(q.view(), k, false).unwrap();
        let want = brute_knn(&r, &q, k, false);
        let want_l2 = brute_knn(&l2_normalize(r.view()), &l2_normalize(q.view()), k, false);
        for (a, b) in raw.iter().zip(want.iter()) {
            assert!((a - b).abs() < 1e-4, "k = {k}: {a} vs {b}");
        }
        for (a, b) in l2.iter().zip(want_l2.iter()) {
            assert!((a - b).abs() < 1e-3, "k = {k} (L2): {a} vs {b}");
        }
    }
    let loo = idx.distances(r.view(), 3, true).unwrap();
    let want = brute_knn(&r, &r, 3, true);
    for (a, b) in loo.iter().zip(want.iter()) {
        assert!((a - b).abs() < 1e-4, "leave-one-out: {a} vs {b}");
    }
}

#[test]
fn shared_l2_search_matches_a_normalised_index() {
    let mut r = data(150, 4, 5);
    r.row_mut(3).fill(0.0); // a zero row stays zero when normalised
    let q = data(40, 4, 6);
    let idx = KnnIndex::new(r.view());
    let (raw, l2) = idx.distances_raw_and_l2(q.view(), 5, false).unwrap();
    let want_raw = idx.distances(q.view(), 5, false).unwrap();
    let rn = l2_normalize(r.view());
    let want_l2 = brute_knn(&rn, &l2_normalize(q.view()), 5, false);
    assert_eq!(raw, want_raw);
    for (a, b) in l2.iter().zip(want_l2.iter()) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
}

#[test]
fn knn_leave_one_out_skips_self() {
    let r = data(200, 3, 3);
    let idx = KnnIndex::new(r.view());
    let got = idx.distances(r.view(), 3, true).unwrap();
    let want = brute_knn(&r, &r, 3, true);
    assert!(got.iter().all(|&v| v > 0.0));
    for (a, b) in got.iter().zip(want.iter()) {
        assert!((a - b).abs() < 1e-4);
    }
}

#[test]
fn member_distances_leave_each_chosen_row_out() {
    let r = data(QUERY_BLOCK + 60, 3, 4);
    let idx = KnnIndex::new(r.view());
    let rows: Vec<usize> = (0..r.nrows()).rev().step_by(3).collect();
    let got = idx.member_distances(&rows, 2).unwrap();
    let want = brute_knn(&r, &r, 2, true);
    assert_eq!(got.dim(), (rows.len(), 2));
    for (g, &i) in got.rows().into_iter().zip(&rows) {
        for (a, b) in g.iter().zip(want.row(i)) {
            assert!((a - b).abs() < 1e-4, "row {i}: {a} vs {b}");
        }
    }
    assert!(matches!(
        idx.member_distances(&[0, r.nrows()], 1),
        Err(ClusterError::RowOutOfRange { row, n_rows }) if row == r.nrows() && n_rows == r.nrows()
    ));
}

#[test]
fn low_dimensional_neighbours_keep_their_precision() {
    // softmax-like points near (1, 0), a few 1e-6 apart: the expansion would lose them
    let r = Array2::from_shape_fn((300, 2), |(i, j)| {
        let t = i as f32 * 3e-6;
        if j == 0 { 0.999 - t } else { 0.001 + t }
    });
    let q = Array2::from_shape_fn((5, 2), |(i, j)| r[[i * 50, j]] + 1e-6);
    let idx = KnnIndex::new(r.view());
    let (raw, l2) = idx.distances_raw_and_l2(q.view(), 1, false).unwrap();
    let want = brute_knn(&r, &q, 1, false);
    let want_l2 = brute_knn(&l2_normalize(r.view()), &l2_normalize(q.view()), 1, false);
    for ((a, b), (c, e)) in raw.iter().zip(&want).zip(l2.iter().zip(&want_l2)) {
        assert!((a - b).abs() <= 1e-3 * b, "{a} vs {b}");
        assert!((c - e).abs() <= 1e-2 * e + 1e-9, "{c} vs {e}");
    }
}

#[test]
fn knn_rejects_bad_k_and_width() {
    let r = data(4, 2, 1);
    let idx = KnnIndex::new(r.view());
    assert!(matches!(
        idx.distances(r.view(), 4, true),
        Err(ClusterError::InvalidNeighbours {
            k: 4,
            n_reference: 3
        })
    ));
    assert!(matches!(
        idx.distances(r.view(), 0, false),
        Err(ClusterError::InvalidNeighbours { k: 0, .. })
    ));
    assert!(matches!(
        idx.distances(data(2, 3, 1).view(), 1, false),
        Err(ClusterError::FeatureMismatch {
            expected: 2,
            actual: 3
        })
    ));
}

#[test]
fn l2_rows_have_unit_norm_and_zero_stays() {
    let x = array![[3.0f32, 4.0], [0.0, 0.0]];
    let y = l2_normalize(x.view());
    assert!((y[[0, 0]] - 0.6).abs() < 1e-6 && (y[[0, 1]] - 0.8).abs() < 1e-6);
    assert_eq!(y.row(1).sum(), 0.0);
}

#[test]
fn a_query_whose_norm_overflows_is_the_farthest_not_the_nearest() {
    // 16 features (the tiled path); |q|² overflows f32 for q = 1e30
    let r = Array2::from_shape_fn((40, 16), |(i, j)| (i + j) as f32 * 0.1);
    let q = Array2::from_elem((2, 16), 1e30f32);
    let idx = KnnIndex::new(r.view());
    let (d, rows) = idx.neighbours(q.view(), 3).unwrap();
    assert!(d.iter().all(|v| v.is_infinite() && *v > 0.0), "{d:?}");
    assert!(rows.iter().all(|&i| i == u32::MAX));
}
