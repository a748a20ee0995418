//! The K-means assignment kernels for wide rows, through the GEMM (as faiss does): the dot
//! products `x · c` of a tile of rows with every centre of every run in one matrix product
//! ([`gemm_xct`]: `C · Xᵀ`, so the rows are read in place and only the centres are packed),
//! then the nearest centre (`|c|² − 2 x·c` smallest, ties to the lower index)
//! or the squared distances `max(|x|² + |c|² − 2 x·c, 0)` from them. The same formulas as the
//! register kernels of [`super::nearest`]; only the order in which a dot product adds its
//! terms differs (the GEMM's blocking instead of one chain over the features), so a label can
//! differ where two centres are equally near to the last bits.

use super::gemm::{Mat, gemm_xct};
use super::packed::{Centres, PackedRows};

/// Rows per matrix product: a tile of products (`TILE_ROWS x` all runs' centres) stays in the
/// core's L2 cache while the minimum is taken.
const TILE_ROWS: usize = 256;

/// [`super::nearest_runs`] on row-major rows: the nearest of run `r`'s centres (ids local to
/// the run) into `labels[r]`, the number changed added to `changed[r]`.
pub(super) fn nearest_runs(
    x: PackedRows<'_>,
    c: &Centres,
    labels: &mut [&mut [usize]],
    changed: &mut [usize],
) {
    let (d, k) = (x.d, c.k);
    let cols = c.flat_norms.len();
    let centres = Mat::new(&c.flat, cols, d);
    let mut tile = vec![0.0f32; TILE_ROWS.min(x.rows) * cols];
    for r0 in (0..x.rows).step_by(TILE_ROWS) {
        let m = TILE_ROWS.min(x.rows - r0);
        let rows = Mat::new(&x.data[r0 * d..(r0 + m) * d], m, d);
        gemm_xct(centres, rows, &mut tile);
        for (i, products) in tile.chunks_exact(cols).take(m).enumerate() {
            for (r, (run_products, run_norms)) in products
                .chunks_exact(k)
                .zip(c.flat_norms.chunks_exact(k))
                .enumerate()
            {
                let mut best = 0;
                let mut best_v = f32::INFINITY;
                for (j, (&dot, &cn)) in run_products.iter().zip(run_norms).enumerate() {
                    let v = cn - 2.0 * dot;
                    if v < best_v {
                        best_v = v;
                        best = j;
                    }
                }
                let label = &mut labels[r][r0 + i];
                if *label != best {
                    changed[r] += 1;
                    *label = best;
                }
            }
        }
    }
}

/// [`super::sq_dists`] on row-major rows: `out` is `k x rows`, centre `j`'s distances at
/// `out[j * rows..(j + 1) * rows]`, from a tile of products per [`TILE_ROWS`] rows (each row's
/// contiguous, as [`gemm_xct`] writes them) read centre by centre.
pub(super) fn sq_dists(x: PackedRows<'_>, x_norms: &[f32], c: &Centres, out: &mut [f32]) {
    let (d, k, n) = (x.d, c.k, x.rows);
    let centres = Mat::new(&c.flat, k, d);
    let mut tile = vec![0.0f32; TILE_ROWS.min(n) * k];
    for r0 in (0..n).step_by(TILE_ROWS) {
        let m = TILE_ROWS.min(n - r0);
        let rows = Mat::new(&x.data[r0 * d..(r0 + m) * d], m, d);
        gemm_xct(centres, rows, &mut tile);
        // centre by centre: contiguous writes, strided reads of the small tile
        for (j, (dists, &cn)) in out.chunks_exact_mut(n).zip(&c.flat_norms).enumerate() {
            for ((o, &xn), products) in dists[r0..r0 + m]
                .iter_mut()
                .zip(&x_norms[r0..r0 + m])
                .zip(tile.chunks_exact(k))
            {
                *o = (xn + cn - 2.0 * products[j]).max(0.0);
            }
        }
    }
}
