//! The exact kNN index: the reference kept with its norms, the argument checks, and the
//! parallel loop over fixed blocks of queries.

use ndarray::{Array1, Array2, ArrayView2, Axis, Slice};
use rayon::prelude::*;

use crate::error::{ClusterError, Result};

/// Query rows per block of the kNN search (one rayon task).
pub(crate) const QUERY_BLOCK: usize = 256;
/// Reference rows per distance tile: a `QUERY_BLOCK x REF_BLOCK` f32 tile (1 MiB) stays in
/// a core's L2 cache while it is scanned.
pub(crate) const REF_BLOCK: usize = 1024;

/// Scales every row of `x` (`n x d`) to unit Euclidean length; all-zero rows stay zero. The
/// geometry of [`KnnIndex::distances_raw_and_l2`]'s second result, for a caller who wants the
/// normalised rows themselves.
#[must_use]
pub fn l2_normalize(x: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut out = x.to_owned();
    for mut row in out.rows_mut() {
        let n = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if n > 0.0 {
            row.mapv_inplace(|v| v / n);
        }
    }
    out
}

/// An exact k-nearest-neighbour index over a reference set (Euclidean distance): a copy of the
/// reference (`n x d`, rows = samples) and its row norms. See the [module doc](super) for the
/// method and an example.
#[derive(Debug, Clone)]
pub struct KnnIndex {
    /// The reference rows, standard layout (`n x d`).
    pub(super) reference: Array2<f32>,
    /// `|r|²` per reference row.
    pub(super) sq_norms: Array1<f32>,
    /// `1 / |r|` per reference row (0 for an all-zero row): L2-normalised distances come from the
    /// same dot products as the raw ones.
    pub(super) inv_norms: Array1<f32>,
    /// For at most [`DIRECT_MAX_D`] features, the reference transposed (`d x n`): distances are
    /// then computed from coordinate differences (no cancellation between nearby points far
    /// from the origin, such as the probabilities of a softmax layer).
    columns: Option<Array2<f32>>,
}

/// Up to this many features, kNN distances come from coordinate differences.
pub(super) const DIRECT_MAX_D: usize = 4;

impl KnnIndex {
    /// Keeps a copy of `reference` (`n x d`, rows = samples, any layout) and its row norms.
    /// Any `n` and `d`, including 0: the searches check `k` against `n`.
    #[must_use]
    pub fn new(reference: ArrayView2<'_, f32>) -> Self {
        Self::from_owned(reference.as_standard_layout().into_owned())
    }

    /// As [`KnnIndex::new`], keeping `reference` itself (no copy when it is in standard
    /// layout).
    #[must_use]
    pub fn from_owned(reference: Array2<f32>) -> Self {
        let reference = if reference.is_standard_layout() {
            reference
        } else {
            reference.as_standard_layout().into_owned()
        };
        let sq_norms = reference.map_axis(Axis(1), |r| r.dot(&r));
        let inv_norms = sq_norms.mapv(inv_norm);
        let columns = (reference.ncols() <= DIRECT_MAX_D)
            .then(|| reference.t().as_standard_layout().into_owned());
        Self {
            reference,
            sq_norms,
            inv_norms,
            columns,
        }
    }

    /// Number of reference rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.reference.nrows()
    }

    /// Whether the index holds no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.reference.nrows() == 0
    }

    /// The reference rows (`n x d`), as given to [`KnnIndex::new`].
    #[must_use]
    pub fn rows(&self) -> ArrayView2<'_, f32> {
        self.reference.view()
    }

    /// The `k_max` smallest Euclidean distances (in the data's units, not squared) from each
    /// query row (`queries`: `m x d`) to the reference rows, sorted ascending: `m x k_max`, where
    /// `out[[i, j]]` is the distance to the `(j+1)`-th neighbour. With `exclude_self`, query row
    /// `i` is taken to be reference row `i` and that pair is skipped (leave-one-out scores of the
    /// reference set itself).
    ///
    /// Distances come from `|q|^2 + |r|^2 - 2 q.r`, clamped at 0: tiles of 256 queries x 1,024
    /// reference rows from one matrix product each (the `gemm` crate, AVX-512 or AVX2 kernels
    /// chosen at run time), each tile scanned at once for the running `k_max` smallest of every
    /// query (a vectorised test against the current k-th value, then insertion), so no full
    /// distance row is ever stored. With at most 4 features, from coordinate differences (exact
    /// for close points far from the origin, as softmax outputs). The result is exact (every
    /// reference row is compared) and does not depend on the number of threads.
    ///
    /// # Errors
    /// [`ClusterError::InvalidNeighbours`] unless `1 <= k_max <= ` usable reference rows (`n`,
    /// or `n - 1` with `exclude_self`); [`ClusterError::FeatureMismatch`] if the query has
    /// another width than the reference; [`ClusterError::QueryRows`] if `exclude_self` is set
    /// and the query has another row count than the reference.
    pub fn distances(
        &self,
        queries: ArrayView2<'_, f32>,
        k_max: usize,
        exclude_self: bool,
    ) -> Result<Array2<f32>> {
        let skip = exclude_self.then_some(Skip::Same);
        Ok(self.search(queries, k_max, skip, false)?.raw)
    }

    /// As [`KnnIndex::distances`] (without leaving any row out), and which reference rows they
    /// are: `m x k` distances, ascending, and `m x k` row indices into the reference (ties: the
    /// lower row first). The neighbours' labels, e.g. for the Deep k-NN of Papernot & McDaniel
    /// (2018). Reference rows are indexed by `u32`: at most `u32::MAX` rows.
    ///
    /// # Errors
    /// As [`KnnIndex::distances`].
    pub fn neighbours(
        &self,
        queries: ArrayView2<'_, f32>,
        k: usize,
    ) -> Result<(Array2<f32>, Array2<u32>)> {
        let found = self.search(queries, k, None, false)?;
        Ok((found.raw, found.rows))
    }

    /// The `k_max` smallest distances from reference rows `rows` to the other reference rows
    /// (each row left out of its own search), sorted ascending: leave-one-out distances of a
    /// subset of the reference: `rows.len() x k_max`, in the order of `rows`.
    ///
    /// # Errors
    /// [`ClusterError::InvalidNeighbours`] unless `1 <= k_max <= ` reference rows − 1;
    /// [`ClusterError::RowOutOfRange`] if a row is not a reference row.
    pub fn member_distances(&self, rows: &[usize], k_max: usize) -> Result<Array2<f32>> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(ClusterError::RowOutOfRange {
                row: bad,
                n_rows: self.len(),
            });
        }
        let queries = self.reference.select(Axis(0), rows);
        Ok(self
            .search(queries.view(), k_max, Some(Skip::Rows(rows)), false)?
            .raw)
    }

    /// As [`KnnIndex::distances`], and also the same search with every row (query and
    /// reference) scaled to unit length first, as if both were [`l2_normalize`]d: both come
    /// from one matrix product per block (`|q^ - r^|^2 = 2 - 2 q.r / (|q| |r|)`). Two
    /// `m x k_max` arrays: raw, then normalised (distances between unit vectors, in `[0, 2]`).
    ///
    /// # Errors
    /// As [`KnnIndex::distances`].
    pub fn distances_raw_and_l2(
        &self,
        queries: ArrayView2<'_, f32>,
        k_max: usize,
        exclude_self: bool,
    ) -> Result<(Array2<f32>, Array2<f32>)> {
        let found = self.search(queries, k_max, exclude_self.then_some(Skip::Same), true)?;
        Ok((found.raw, found.l2))
    }

    /// The search behind every public method: checks, then blocks of [`QUERY_BLOCK`] queries
    /// in parallel (each block's result depends on its rows only), joined in block order.
    fn search(
        &self,
        queries: ArrayView2<'_, f32>,
        k_max: usize,
        skip: Option<Skip<'_>>,
        with_l2: bool,
    ) -> Result<Found> {
        let usable = self.len() - usize::from(skip.is_some() && !self.is_empty());
        if k_max == 0 || k_max > usable {
            return Err(ClusterError::InvalidNeighbours {
                k: k_max,
                n_reference: usable,
            });
        }
        if queries.ncols() != self.reference.ncols() {
            return Err(ClusterError::FeatureMismatch {
                expected: self.reference.ncols(),
                actual: queries.ncols(),
            });
        }
        if matches!(skip, Some(Skip::Same)) && queries.nrows() != self.len() {
            return Err(ClusterError::QueryRows {
                expected: self.len(),
                found: queries.nrows(),
            });
        }
        let n_q = queries.nrows();
        let l2_rows = if with_l2 { n_q } else { 0 };
        let starts: Vec<usize> = (0..n_q).step_by(QUERY_BLOCK).collect();
        let blocks: Vec<Found> = starts
            .par_iter()
            .map(|&start| {
                let end = (start + QUERY_BLOCK).min(n_q);
                let q = queries.slice_axis(Axis(0), Slice::from(start..end));
                let skip_of = |r: usize| match skip {
                    Some(Skip::Same) => Some(start + r),
                    Some(Skip::Rows(rows)) => Some(rows[start + r]),
                    None => None,
                };
                match &self.columns {
                    Some(cols) => self.direct_block(q, cols, k_max, skip_of, with_l2),
                    None => self.tiled_block(q, k_max, skip_of, with_l2),
                }
            })
            .collect();
        let join = |pick: fn(&Found) -> ArrayView2<'_, f32>, n: usize| {
            let views: Vec<_> = blocks.iter().map(pick).collect();
            if views.is_empty() {
                Array2::zeros((0, k_max))
            } else {
                ndarray::concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((n, k_max)))
            }
        };
        let row_views: Vec<_> = blocks.iter().map(|b| b.rows.view()).collect();
        let rows = if row_views.is_empty() {
            Array2::zeros((0, k_max))
        } else {
            ndarray::concatenate(Axis(0), &row_views)
                .unwrap_or_else(|_| Array2::from_elem((n_q, k_max), u32::MAX))
        };
        Ok(Found {
            raw: join(|b| b.raw.view(), n_q),
            l2: join(|b| b.l2.view(), l2_rows),
            rows,
        })
    }
}

/// What a search finds for a block of queries: raw distances (`m x k`), L2-normalised ones
/// (`m x k`, or `0 x k` when not asked for) and the raw neighbours' reference rows (`m x k`).
pub(super) struct Found {
    pub(super) raw: Array2<f32>,
    pub(super) l2: Array2<f32>,
    pub(super) rows: Array2<u32>,
}

impl Found {
    /// Zeros for `m` queries (`l2_rows` of them normalised) and `k` neighbours.
    pub(super) fn empty(m: usize, l2_rows: usize, k: usize) -> Self {
        Self {
            raw: Array2::zeros((m, k)),
            l2: Array2::zeros((l2_rows, k)),
            rows: Array2::zeros((m, k)),
        }
    }
}

/// Which reference row each query row is, to leave it out of its own search.
#[derive(Clone, Copy)]
enum Skip<'a> {
    /// Query row `i` is reference row `i`.
    Same,
    /// Query row `i` is reference row `rows[i]`.
    Rows(&'a [usize]),
}

/// `1 / sqrt(sq_norm)`, or 0 for a zero row.
pub(super) fn inv_norm(sq_norm: f32) -> f32 {
    if sq_norm > 0.0 {
        1.0 / sq_norm.sqrt()
    } else {
        0.0
    }
}
