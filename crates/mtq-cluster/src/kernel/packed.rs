//! The K-means kernels' data layouts: the rows packed in blocks of one vector register, or kept
//! row-major for the GEMM when they are wide ([`Packed`]), a run of them ([`PackedRows`]), and
//! the centres in groups of [`GROUP`] and row-major ([`Centres`]).

use std::borrow::Cow;

use rayon::prelude::*;

use super::dispatch::Level;
use crate::data::sq_norm;

/// Centres per pass of the K-means kernels.
pub(super) const GROUP: usize = 4;

/// From this many features on, the K-means kernels compute their dot products through the
/// GEMM ([`super::nearest_gemm`], as faiss does): the register kernels of [`super::nearest`]
/// load two rows and four centres per eight multiply-adds, which bounds them by the loads at
/// about 10-15 % of the f32 peak, while the GEMM reaches about 40 % of it on 512 features with
/// the study's ten restarts (BENCHMARKS.md, "Wide layers").
pub(crate) const GEMM_MIN_FEATURES: usize = 128;

/// Data for the K-means kernels. Rows narrower than [`GEMM_MIN_FEATURES`] are packed in blocks
/// of `lanes` rows (8 or 16, one vector register), feature-major within a block
/// (`data[(b * d + p) * lanes + l]` is feature `p` of row `b * lanes + l`), the last block
/// padded with zeros; wider rows are kept row-major (`lanes == 0`) for the GEMM. Built once per
/// fit: every iteration reads it. The lane width only changes which rows share a vector: every
/// packed dot product is the same sequential chain over the features whatever it is, so results
/// do not depend on it.
pub(crate) struct Packed<'a> {
    data: Cow<'a, [f32]>,
    rows: usize,
    d: usize,
    lanes: usize,
}

impl<'a> Packed<'a> {
    /// The layout of this CPU's fastest kernel for rows of `d` features: row-major for the
    /// GEMM from [`GEMM_MIN_FEATURES`] on, else packed for the widest register kernel.
    pub(crate) fn new(x: &'a [f32], rows: usize, d: usize) -> Self {
        if d >= GEMM_MIN_FEATURES {
            Self::row_major(x, rows, d)
        } else {
            Self::with_lanes(x, rows, d, Level::detect().lanes())
        }
    }

    /// The rows as they are (row-major, borrowed), for the GEMM kernels.
    pub(crate) fn row_major(x: &'a [f32], rows: usize, d: usize) -> Self {
        Self {
            data: Cow::Borrowed(&x[..rows * d]),
            rows,
            d,
            lanes: 0,
        }
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
            data: Cow::Owned(data),
            rows,
            d,
            lanes,
        }
    }

    /// Rows `start..start + len` (`start` a multiple of 16).
    pub(crate) fn rows(&self, start: usize, len: usize) -> PackedRows<'_> {
        debug_assert_eq!(start % 16, 0);
        if self.lanes == 0 {
            let len = len.min(self.rows.saturating_sub(start));
            return PackedRows {
                data: &self.data[start * self.d..(start + len) * self.d],
                rows: len,
                d: self.d,
                lanes: 0,
            };
        }
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

/// A run of rows of a [`Packed`] matrix (`lanes == 0`: row-major).
#[derive(Clone, Copy)]
pub(crate) struct PackedRows<'a> {
    pub(super) data: &'a [f32],
    pub(super) rows: usize,
    pub(super) d: usize,
    pub(super) lanes: usize,
}

impl<'a> PackedRows<'a> {
    /// The blocks as arrays of `L` lanes (`L` must be the packing's lane count).
    #[inline(always)]
    pub(super) fn blocks<const L: usize>(self) -> &'a [[f32; L]] {
        debug_assert_eq!(self.lanes, L);
        self.data.as_chunks::<L>().0
    }
}

/// A few centres (or candidate centres) for the K-means kernels: groups of [`GROUP`] centres,
/// feature-major within a group, the count padded with zero centres whose squared norm is +inf
/// (never nearest; no distance reported); and the same centres row-major, every run's after the
/// other with no padding, with their squared norms, for the GEMM kernels.
pub(crate) struct Centres {
    pub(super) groups: Vec<[f32; GROUP]>,
    pub(super) norms: Vec<f32>,
    /// `runs * k x d`, row-major: centre `j` of run `r` is row `r * k + j`.
    pub(super) flat: Vec<f32>,
    /// The squared norm of each row of `flat`.
    pub(super) flat_norms: Vec<f32>,
    pub(super) k: usize,
    pub(super) d: usize,
    /// Groups per run: the centres of run `r` are groups `r * run_groups..(r + 1) * run_groups`.
    pub(super) run_groups: usize,
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
        let mut flat = Vec::with_capacity(runs.len() * k * d);
        let mut flat_norms = Vec::with_capacity(runs.len() * k);
        for (r, c) in runs.iter().enumerate() {
            for (j, row) in c.chunks_exact(d.max(1)).take(k).enumerate() {
                let g = r * run_groups + j / GROUP;
                for (p, &v) in row.iter().enumerate() {
                    groups[g * d + p][j % GROUP] = v;
                }
                norms[g * GROUP + j % GROUP] = sq_norm(row);
                flat.extend_from_slice(row);
                flat_norms.push(sq_norm(row));
            }
        }
        Self {
            groups,
            norms,
            flat,
            flat_norms,
            k,
            d,
            run_groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::tests::values;

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
