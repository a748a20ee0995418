//! The kNN search's tile scan: every distance of a tile of dot products offered to its query's
//! running `k` smallest ([`scan_tile`]), sixteen at a time behind a vectorised test against the
//! current k-th value, compiled plain, for AVX2 and for AVX-512F (with their compare
//! intrinsics), chosen at run time.

#![allow(unsafe_code)]

use super::dispatch::Level;
use super::smallest::Smallest;

/// What the tile scan needs of one query row.
pub(crate) struct QueryRow {
    /// `|q|²`.
    pub(crate) qn: f32,
    /// `1 / |q|` (0 for a zero row).
    pub(crate) qi: f32,
    /// `|q^|²` of the normalised row: 1, or 0 for a zero row.
    pub(crate) qh: f32,
    /// The reference row left out of this query's search.
    pub(crate) skip: Option<usize>,
}

/// One distance tile: `g[r * cb + j]` = query `r` · reference row `c0 + j`, with those
/// reference rows' squared norms `rn` and inverse norms `ri`.
pub(crate) struct Tile<'a> {
    /// The dot products, `rows x cb` row-major.
    pub(crate) g: &'a [f32],
    /// Reference rows in the tile.
    pub(crate) cb: usize,
    /// The tile's first reference row.
    pub(crate) c0: usize,
    /// `|r|²` of the tile's reference rows.
    pub(crate) rn: &'a [f32],
    /// `1 / |r|` of the tile's reference rows (0 for a zero row).
    pub(crate) ri: &'a [f32],
}

/// Feeds every distance of `tile` to its query's running smallest: raw `max(|q|² + |r|² −
/// 2 q·r, 0)` and, when `l2` is not empty, normalised `max(|q^|² + |r^|² − 2 q·r / (|q| |r|), 0)`
/// (the same expressions, so the same values, as a full distance row would give). AVX-512 or
/// AVX2 build when the CPU has it ([`Level::detect`]); the same bits on every build.
pub(crate) fn scan_tile(
    t: &Tile<'_>,
    query: &[QueryRow],
    raw: &mut [Smallest],
    l2: &mut [Smallest],
) {
    #[cfg(target_arch = "x86_64")]
    match Level::detect() {
        // SAFETY: the CPU has AVX-512F (detected), the only requirement of the
        // `#[target_feature]` function.
        Level::Avx512 => return unsafe { scan_tile_avx512(t, query, raw, l2) },
        // SAFETY: as above, for AVX2 (detected with FMA).
        Level::Avx2 => return unsafe { scan_tile_avx2(t, query, raw, l2) },
        Level::Plain => {}
    }
    scan_tile_body(t, query, raw, l2, lanes_below);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn scan_tile_avx512(t: &Tile<'_>, query: &[QueryRow], raw: &mut [Smallest], l2: &mut [Smallest]) {
    use std::arch::x86_64::{_CMP_LT_OQ, _mm512_cmp_ps_mask, _mm512_loadu_ps, _mm512_set1_ps};
    scan_tile_body(t, query, raw, l2, |v, worst| {
        // SAFETY: `v` holds 16 f32, the width of one unaligned load; AVX-512F is enabled.
        let v = unsafe { _mm512_loadu_ps(v.as_ptr()) };
        u32::from(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(v, _mm512_set1_ps(worst)))
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_tile_avx2(t: &Tile<'_>, query: &[QueryRow], raw: &mut [Smallest], l2: &mut [Smallest]) {
    use std::arch::x86_64::_mm256_set1_ps;
    use std::arch::x86_64::{_CMP_LT_OQ, _mm256_cmp_ps, _mm256_loadu_ps, _mm256_movemask_ps};
    scan_tile_body(t, query, raw, l2, |v, worst| {
        let w = _mm256_set1_ps(worst);
        // SAFETY: `v` holds 16 f32: two unaligned loads of 8; AVX2 is enabled.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_ps(v.as_ptr()),
                _mm256_loadu_ps(v[8..].as_ptr()),
            )
        };
        let lo = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(lo, w)) as u32;
        let hi = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(hi, w)) as u32;
        lo | hi << 8
    });
}

/// Values per vectorised test of the tile scan.
const SCAN_W: usize = 16;

/// Bit `l` set where `v[l] < worst`: one vector compare in the x86 builds.
fn lanes_below(v: &[f32; SCAN_W], worst: f32) -> u32 {
    v.iter()
        .enumerate()
        .fold(0, |m, (l, &x)| m | u32::from(x < worst) << l)
}

#[inline(always)]
fn scan_tile_body(
    t: &Tile<'_>,
    query: &[QueryRow],
    raw: &mut [Smallest],
    l2: &mut [Smallest],
    below: impl Fn(&[f32; SCAN_W], f32) -> u32 + Copy,
) {
    for (r, qr) in query.iter().enumerate() {
        // a query whose squared norm overflowed is too far away to measure: it keeps no
        // neighbour (distances +inf), never a NaN clamped to 0, the nearest of all
        if !qr.qn.is_finite() {
            continue;
        }
        let g = &t.g[r * t.cb..(r + 1) * t.cb];
        let skip = qr
            .skip
            .and_then(|s| s.checked_sub(t.c0))
            .filter(|&s| s < t.cb);
        let qn = qr.qn;
        scan_row(g, t.rn, t.c0, skip, &mut raw[r], below, |v, rn| {
            (qn + rn - 2.0 * v).max(0.0)
        });
        if let Some(best) = l2.get_mut(r) {
            let (qh, qi) = (qr.qh, qr.qi);
            scan_row(g, t.ri, t.c0, skip, best, below, |v, ri| {
                let rh = if ri > 0.0 { 1.0 } else { 0.0 };
                (qh + rh - 2.0 * v * qi * ri).max(0.0)
            });
        }
    }
}

/// Feeds `f(g[j], per_ref[j]) + 0.0` of reference row `c0 + j` for every `j` except `skip` to
/// `best` (`f` returns a
/// value `>= 0` or +inf, never NaN; adding `+0.0` turns a `-0.0` into `+0.0`, so on these
/// values `<` is `f32::total_cmp`). [`SCAN_W`] values at a time are computed and compared with
/// the current k-th smallest first (vectorised); in a group holding a smaller value, only the
/// lanes `below` marks are offered, in lane order.
#[inline(always)]
fn scan_row(
    g: &[f32],
    per_ref: &[f32],
    c0: usize,
    skip: Option<usize>,
    best: &mut Smallest,
    below: impl Fn(&[f32; SCAN_W], f32) -> u32,
    f: impl Fn(f32, f32) -> f32,
) {
    let (gc, gr) = g.as_chunks::<SCAN_W>();
    let (pc, pr) = per_ref[..g.len()].as_chunks::<SCAN_W>();
    // `skip` as a position no chunk reaches when there is none
    let skip = skip.unwrap_or(usize::MAX);
    for (ci, (gv, pv)) in gc.iter().zip(pc).enumerate() {
        let mut v = [0.0f32; SCAN_W];
        let mut any = false;
        for l in 0..SCAN_W {
            v[l] = f(gv[l], pv[l]) + 0.0;
            any |= v[l] < best.worst;
        }
        if any {
            let j0 = ci * SCAN_W;
            // each marked lane checked again: an insertion may have lowered the k-th smallest
            let mut lanes = below(&v, best.worst);
            while lanes != 0 {
                let l = lanes.trailing_zeros() as usize;
                lanes &= lanes - 1;
                if v[l] < best.worst && skip != j0 + l {
                    best.insert(v[l], (c0 + j0 + l) as u32);
                }
            }
        }
    }
    let j0 = gc.len() * SCAN_W;
    for (l, (&gv, &pv)) in gr.iter().zip(pr).enumerate() {
        if skip != j0 + l {
            best.insert(f(gv, pv) + 0.0, (c0 + j0 + l) as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{Mat, gemm_abt};

    /// A small deterministic pseudo-random fill (LCG), `n x d` row-major.
    fn data(n: usize, d: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n * d)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32
            })
            .collect()
    }

    fn inv_norm(sq_norm: f32) -> f32 {
        if sq_norm > 0.0 {
            1.0 / sq_norm.sqrt()
        } else {
            0.0
        }
    }

    type ScanFn = dyn Fn(&Tile<'_>, &[QueryRow], &mut [Smallest], &mut [Smallest]);

    #[test]
    fn every_tile_scan_build_gives_the_same_bits() {
        let d = 16;
        let (r, q) = (data(300, d, 10), data(20, d, 11));
        let (rows, cb) = (q.len() / d, r.len() / d);
        let mut g = vec![0.0f32; rows * cb];
        gemm_abt(
            Mat::new(&q, rows, d),
            Mat::new(&r, cb, d),
            &mut g,
            cb,
            false,
        );
        let sq = |row: &[f32]| -> f32 { row.iter().map(|v| v * v).sum() };
        for (i, qr) in q.chunks_exact(d).enumerate() {
            for (j, rr) in r.chunks_exact(d).enumerate() {
                let want: f32 = qr.iter().zip(rr).map(|(a, b)| a * b).sum();
                assert!((g[i * cb + j] - want).abs() < 1e-4);
            }
        }
        let rn: Vec<f32> = r.chunks_exact(d).map(sq).collect();
        let ri: Vec<f32> = rn.iter().map(|&v| inv_norm(v)).collect();
        let query: Vec<QueryRow> = q
            .chunks_exact(d)
            .enumerate()
            .map(|(i, row)| {
                let qn = sq(row);
                QueryRow {
                    qn,
                    qi: inv_norm(qn),
                    qh: 1.0,
                    skip: Some(i * 7),
                }
            })
            .collect();
        let t = Tile {
            g: &g,
            cb,
            c0: 0,
            rn: &rn,
            ri: &ri,
        };
        // k = 5 keeps a sorted head, k = 20 a buffer of candidates
        for k in [5, 20] {
            let run = |f: &ScanFn| {
                let mut raw: Vec<Smallest> = (0..rows).map(|_| Smallest::new(k)).collect();
                let mut l2: Vec<Smallest> = (0..rows).map(|_| Smallest::new(k)).collect();
                f(&t, &query, &mut raw, &mut l2);
                let mut out = ndarray::Array2::<f32>::zeros((2 * rows, k));
                let mut idx = ndarray::Array2::<u32>::zeros((2 * rows, k));
                for ((b, o), i) in raw
                    .iter_mut()
                    .chain(l2.iter_mut())
                    .zip(out.rows_mut())
                    .zip(idx.rows_mut())
                {
                    b.finish_into(o, i);
                }
                out
            };
            let plain = run(&|t, q, a, b| scan_tile_body(t, q, a, b, lanes_below));
            assert_eq!(run(&scan_tile), plain);
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2 (checked).
                    assert_eq!(
                        run(&|t, q, a, b| unsafe { scan_tile_avx2(t, q, a, b) }),
                        plain
                    );
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F (checked).
                    assert_eq!(
                        run(&|t, q, a, b| unsafe { scan_tile_avx512(t, q, a, b) }),
                        plain
                    );
                }
            }
            // against a brute-force search of the same tile, skipped row left out
            for (i, qr) in query.iter().enumerate() {
                let mut dist: Vec<f32> = (0..cb)
                    .filter(|&j| Some(j) != qr.skip)
                    .map(|j| (qr.qn + t.rn[j] - 2.0 * g[i * cb + j]).max(0.0))
                    .collect();
                dist.sort_by(f32::total_cmp);
                let want: Vec<f32> = dist[..k].iter().map(|v| v.sqrt()).collect();
                assert_eq!(plain.row(i).to_vec(), want, "query {i}, k = {k}");
            }
        }
    }
}
