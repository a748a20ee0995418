//! The silhouette's distance kernels: exact Euclidean tiles from coordinate differences
//! ([`diff_tile`]) and the square roots of a row of squared distances with the cancellation
//! check ([`sqrt_clamp_flag`]), compiled plain, for AVX2 and for AVX-512F, chosen at run time.

#![allow(unsafe_code)]

use super::dispatch::Level;

/// Square roots of `row` (clamped at 0) in place; returns whether any input was below
/// `rel * (ni + ncols[j])` (an entry that may have lost precision to cancellation). Uses
/// AVX-512F or AVX2 when the CPU has it ([`Level::detect`]), plain code otherwise; same
/// results either way (IEEE square root and comparisons are exact).
pub(crate) fn sqrt_clamp_flag(row: &mut [f32], ni: f32, ncols: &[f32], rel: f32) -> bool {
    #[cfg(target_arch = "x86_64")]
    match Level::detect() {
        // SAFETY: the CPU has AVX-512F (detected), the only requirement of the
        // `#[target_feature]` function.
        Level::Avx512 => return unsafe { sqrt_clamp_flag_avx512(row, ni, ncols, rel) },
        // SAFETY: as above, for AVX2 (detected with FMA).
        Level::Avx2 => return unsafe { sqrt_clamp_flag_avx2(row, ni, ncols, rel) },
        Level::Plain => {}
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
            return unsafe { diff_tile_avx512(tile, (xs, xt), (n, d), rows, cols) };
        }
        // SAFETY: as above.
        Level::Avx2 => return unsafe { diff_tile_avx2(tile, (xs, xt), (n, d), rows, cols) },
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn diff_tile_avx2(
    tile: &mut [f32],
    data: (&[f32], &[f32]),
    shape: (usize, usize),
    rows: (usize, usize),
    cols: (usize, usize),
) {
    diff_tile_body(tile, data, shape, rows, cols);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn diff_tile_avx512(
    tile: &mut [f32],
    data: (&[f32], &[f32]),
    shape: (usize, usize),
    rows: (usize, usize),
    cols: (usize, usize),
) {
    diff_tile_body(tile, data, shape, rows, cols);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::tests::values;

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
}
