//! The kNN search for more than [`DIRECT_MAX_D`](super::index::DIRECT_MAX_D) features:
//! per block of queries, one matrix product per tile of [`REF_BLOCK`] reference rows (the
//! crate's `gemm` wrapper), each tile scanned at once for the running `k` smallest of every
//! query (the kernels' tile scan), so no full distance row is ever stored.

use ndarray::{Array2, ArrayView2};

use super::index::{Found, KnnIndex, REF_BLOCK, inv_norm};
use crate::kernel::{Mat, QueryRow, Smallest, Tile, gemm_abt, scan_tile};

impl KnnIndex {
    /// One block of queries against the whole reference, tile by tile: a matrix product per
    /// tile of [`REF_BLOCK`] reference rows, each tile scanned for the running smallest.
    pub(super) fn tiled_block(
        &self,
        q: ArrayView2<'_, f32>,
        k_max: usize,
        skip_of: impl Fn(usize) -> Option<usize>,
        with_l2: bool,
    ) -> Found {
        let (rows, d) = q.dim();
        let n_ref = self.len();
        let q = q.as_standard_layout();
        let qs = q.as_slice().unwrap_or_default();
        let refs = self.reference.as_slice().unwrap_or_default();
        let rn = self.sq_norms.as_slice().unwrap_or_default();
        let ri = self.inv_norms.as_slice().unwrap_or_default();
        let query: Vec<QueryRow> = q
            .rows()
            .into_iter()
            .enumerate()
            .map(|(r, row)| {
                let qn = row.dot(&row);
                let qi = inv_norm(qn);
                QueryRow {
                    qn,
                    qi,
                    qh: if qi > 0.0 { 1.0 } else { 0.0 },
                    skip: skip_of(r),
                }
            })
            .collect();
        let mut raw_best: Vec<Smallest> = (0..rows).map(|_| Smallest::new(k_max)).collect();
        let mut l2_best: Vec<Smallest> = (0..if with_l2 { rows } else { 0 })
            .map(|_| Smallest::new(k_max))
            .collect();
        let mut tile = vec![0.0f32; rows * REF_BLOCK];
        for c0 in (0..n_ref).step_by(REF_BLOCK) {
            let cb = REF_BLOCK.min(n_ref - c0);
            let tile = &mut tile[..rows * cb];
            gemm_abt(
                Mat::new(qs, rows, d),
                Mat::new(&refs[c0 * d..(c0 + cb) * d], cb, d),
                tile,
                cb,
                false,
            );
            let t = Tile {
                g: tile,
                cb,
                c0,
                rn: &rn[c0..c0 + cb],
                ri: &ri[c0..c0 + cb],
            };
            scan_tile(&t, &query, &mut raw_best, &mut l2_best);
        }
        let mut found = Found::empty(rows, l2_best.len(), k_max);
        for ((b, out), idx) in raw_best
            .iter_mut()
            .zip(found.raw.rows_mut())
            .zip(found.rows.rows_mut())
        {
            b.finish_into(out, idx);
        }
        let mut l2_rows = Array2::zeros((l2_best.len(), k_max));
        for ((b, out), idx) in l2_best
            .iter_mut()
            .zip(found.l2.rows_mut())
            .zip(l2_rows.rows_mut())
        {
            b.finish_into(out, idx);
        }
        found
    }
}
