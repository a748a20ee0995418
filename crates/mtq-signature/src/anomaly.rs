//! Distance-based anomaly scores against a reference set: exact k-nearest-neighbour distances
//! (blocked, parallel, deterministic) and the Mahalanobis distance to the closest class mean under a
//! shared covariance.
//!
//! The kNN search is this crate's only `unsafe` code: a bounds-checked call into the `gemm`
//! crate for the distance tiles, calls into AVX-512 / AVX2 builds of the tile scan chosen at run
//! time (plain code on other CPUs), and those builds' unaligned loads of 16-lane groups.

#![allow(unsafe_code)]

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Slice};
use rayon::prelude::*;

use crate::error::{Result, SignatureError};

/// Query rows per block of the kNN search (one rayon task).
const QUERY_BLOCK: usize = 256;
/// Reference rows per distance tile: a `QUERY_BLOCK x REF_BLOCK` f32 tile (1 MiB) stays in
/// a core's L2 cache while it is scanned.
const REF_BLOCK: usize = 1024;

/// Scales every row to unit Euclidean length; all-zero rows stay zero.
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

/// An exact k-nearest-neighbour index over a reference set (Euclidean distance).
#[derive(Debug, Clone)]
pub struct KnnIndex {
    reference: Array2<f32>,
    sq_norms: Array1<f32>,
    /// `1 / |r|` per reference row (0 for an all-zero row): L2-normalised distances come from the
    /// same dot products as the raw ones.
    inv_norms: Array1<f32>,
    /// For at most [`DIRECT_MAX_D`] features, the reference transposed (`d x n`): distances are
    /// then computed from coordinate differences (no cancellation between nearby points far
    /// from the origin, such as the probabilities of a softmax layer).
    columns: Option<Array2<f32>>,
}

/// Up to this many features, kNN distances come from coordinate differences.
const DIRECT_MAX_D: usize = 4;

impl KnnIndex {
    /// Keeps a copy of `reference` (rows = samples) and its squared row norms.
    #[must_use]
    pub fn new(reference: ArrayView2<'_, f32>) -> Self {
        let sq_norms = reference.map_axis(Axis(1), |r| r.dot(&r));
        let inv_norms = sq_norms.mapv(inv_norm);
        let columns = (reference.ncols() <= DIRECT_MAX_D)
            .then(|| reference.t().as_standard_layout().into_owned());
        Self {
            reference: reference.as_standard_layout().into_owned(),
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

    /// The `k_max` smallest distances from each query row to the reference rows, sorted ascending
    /// (`out[[i, j]]` is the distance to the `(j+1)`-th neighbour). With `exclude_self`, query row
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
    /// [`SignatureError::InvalidNeighbours`] unless `1 <= k_max <= ` usable reference rows;
    /// [`SignatureError::DimMismatch`] if the widths differ; [`SignatureError::RowMismatch`] if
    /// `exclude_self` is set and the query has another row count than the reference.
    pub fn distances(
        &self,
        queries: ArrayView2<'_, f32>,
        k_max: usize,
        exclude_self: bool,
    ) -> Result<Array2<f32>> {
        let skip = exclude_self.then_some(Skip::Same);
        Ok(self.search(queries, k_max, skip, false)?.0)
    }

    /// The `k_max` smallest distances from reference rows `rows` to the other reference rows
    /// (each row left out of its own search), sorted ascending: leave-one-out distances of a
    /// subset of the reference.
    ///
    /// # Errors
    /// [`SignatureError::InvalidNeighbours`] unless `1 <= k_max <= ` reference rows − 1;
    /// [`SignatureError::RowMismatch`] if a row is not a reference row.
    pub fn member_distances(&self, rows: &[usize], k_max: usize) -> Result<Array2<f32>> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(SignatureError::RowMismatch {
                what: "reference row".into(),
                expected: self.len(),
                found: bad,
            });
        }
        let queries = self.reference.select(Axis(0), rows);
        Ok(self
            .search(queries.view(), k_max, Some(Skip::Rows(rows)), false)?
            .0)
    }

    /// As [`KnnIndex::distances`], and also the same search with every row (query and
    /// reference) scaled to unit length first, as if both were [`l2_normalize`]d: both come
    /// from one matrix product per block (`|q^ - r^|^2 = 2 - 2 q.r / (|q| |r|)`).
    ///
    /// # Errors
    /// As [`KnnIndex::distances`].
    pub fn distances_raw_and_l2(
        &self,
        queries: ArrayView2<'_, f32>,
        k_max: usize,
        exclude_self: bool,
    ) -> Result<(Array2<f32>, Array2<f32>)> {
        self.search(queries, k_max, exclude_self.then_some(Skip::Same), true)
    }

    fn search(
        &self,
        queries: ArrayView2<'_, f32>,
        k_max: usize,
        skip: Option<Skip<'_>>,
        with_l2: bool,
    ) -> Result<Pair> {
        let usable = self.len() - usize::from(skip.is_some() && !self.is_empty());
        if k_max == 0 || k_max > usable {
            return Err(SignatureError::InvalidNeighbours {
                k: k_max,
                n_reference: usable,
            });
        }
        if queries.ncols() != self.reference.ncols() {
            return Err(SignatureError::DimMismatch {
                layer: "kNN query".into(),
                expected: self.reference.ncols(),
                found: queries.ncols(),
            });
        }
        if matches!(skip, Some(Skip::Same)) && queries.nrows() != self.len() {
            return Err(SignatureError::RowMismatch {
                what: "leave-one-out kNN query".into(),
                expected: self.len(),
                found: queries.nrows(),
            });
        }
        let n_q = queries.nrows();
        let l2_rows = if with_l2 { n_q } else { 0 };
        let starts: Vec<usize> = (0..n_q).step_by(QUERY_BLOCK).collect();
        let blocks: Vec<Pair> = starts
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
        let join = |pick: fn(&Pair) -> &Array2<f32>, n: usize| {
            let views: Vec<_> = blocks.iter().map(|b| pick(b).view()).collect();
            if views.is_empty() {
                Array2::zeros((0, k_max))
            } else {
                ndarray::concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((n, k_max)))
            }
        };
        Ok((join(|b| &b.0, n_q), join(|b| &b.1, l2_rows)))
    }

    /// One block of queries against the whole reference, from coordinate differences (at most
    /// [`DIRECT_MAX_D`] features).
    fn direct_block(
        &self,
        q: ArrayView2<'_, f32>,
        cols: &Array2<f32>,
        k_max: usize,
        skip_of: impl Fn(usize) -> Option<usize>,
        with_l2: bool,
    ) -> Pair {
        let rows = q.nrows();
        let mut raw = Array2::zeros((rows, k_max));
        let mut l2 = Array2::zeros((if with_l2 { rows } else { 0 }, k_max));
        let mut buf: Vec<f32> = Vec::with_capacity(self.len());
        for (r, qrow) in q.rows().into_iter().enumerate() {
            let skip = skip_of(r);
            direct_fill(&mut buf, qrow, cols, None);
            smallest_into(&mut buf, skip, k_max, raw.row_mut(r));
            if with_l2 {
                let qi = inv_norm(qrow.dot(&qrow));
                let qh = qrow.mapv(|v| v * qi);
                direct_fill(&mut buf, qh.view(), cols, Some(&self.inv_norms));
                smallest_into(&mut buf, skip, k_max, l2.row_mut(r));
            }
        }
        (raw, l2)
    }

    /// One block of queries against the whole reference, tile by tile: a matrix product per
    /// tile of [`REF_BLOCK`] reference rows, each tile scanned for the running smallest.
    fn tiled_block(
        &self,
        q: ArrayView2<'_, f32>,
        k_max: usize,
        skip_of: impl Fn(usize) -> Option<usize>,
        with_l2: bool,
    ) -> Pair {
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
            gemm_abt(qs, &refs[c0 * d..(c0 + cb) * d], d, tile);
            let t = Tile {
                g: tile,
                cb,
                c0,
                rn: &rn[c0..c0 + cb],
                ri: &ri[c0..c0 + cb],
            };
            scan_tile(&t, &query, &mut raw_best, &mut l2_best);
        }
        let mut raw = Array2::zeros((rows, k_max));
        let mut l2 = Array2::zeros((l2_best.len(), k_max));
        for (b, out) in raw_best.iter_mut().zip(raw.rows_mut()) {
            b.finish_into(out);
        }
        for (b, out) in l2_best.iter_mut().zip(l2.rows_mut()) {
            b.finish_into(out);
        }
        (raw, l2)
    }
}

/// Raw and L2-normalised kNN distances.
type Pair = (Array2<f32>, Array2<f32>);

/// Which reference row each query row is, to leave it out of its own search.
#[derive(Clone, Copy)]
enum Skip<'a> {
    /// Query row `i` is reference row `i`.
    Same,
    /// Query row `i` is reference row `rows[i]`.
    Rows(&'a [usize]),
}

/// What the tile scan needs of one query row.
struct QueryRow {
    /// `|q|²`.
    qn: f32,
    /// `1 / |q|` (0 for a zero row).
    qi: f32,
    /// `|q^|²` of the normalised row: 1, or 0 for a zero row.
    qh: f32,
    /// The reference row left out of this query's search.
    skip: Option<usize>,
}

/// One distance tile: `g[r * cb + j]` = query `r` · reference row `c0 + j`, with those
/// reference rows' squared norms `rn` and inverse norms `ri`.
struct Tile<'a> {
    g: &'a [f32],
    cb: usize,
    c0: usize,
    rn: &'a [f32],
    ri: &'a [f32],
}

/// Up to this many neighbours, [`Smallest`] keeps the `k` smallest sorted by insertion; beyond,
/// it appends candidates and cuts them back by a selection when `2k` have come (a binary search
/// and a shift per accepted value cost more than an append once `k` is larger: at k = 50 the
/// insertions took a third of the search).
const INSERT_MAX_K: usize = 8;

/// The running `k` smallest values of a stream (by `f32::total_cmp`).
struct Smallest {
    /// Up to [`INSERT_MAX_K`]: the `k` smallest so far, ascending (+inf-filled). Beyond: candidates
    /// (every value below `worst` when it came), cut back to the `k` smallest when `2k` long.
    head: Vec<f32>,
    k: usize,
    /// No value at or above this can be among the `k` smallest.
    worst: f32,
}

impl Smallest {
    fn new(k: usize) -> Self {
        let head = if k <= INSERT_MAX_K {
            vec![f32::INFINITY; k]
        } else {
            Vec::with_capacity(2 * k)
        };
        Self {
            head,
            k,
            worst: f32::INFINITY,
        }
    }

    /// Offers `v` (`>= +0.0` or +inf: on such values `<` is `f32::total_cmp`).
    #[inline(always)]
    fn insert(&mut self, v: f32) {
        if v >= self.worst {
            return;
        }
        let k = self.k;
        if k <= INSERT_MAX_K {
            // after every value <= v (stable, as an insertion from the back)
            let head = &mut self.head;
            let p = head.partition_point(|&h| h <= v);
            head.copy_within(p..k - 1, p + 1);
            head[p] = v;
            self.worst = head[k - 1];
        } else {
            self.head.push(v);
            if self.head.len() >= 2 * k {
                self.head.select_nth_unstable_by(k - 1, f32::total_cmp);
                self.head.truncate(k);
                self.worst = self.head[k - 1];
            }
        }
    }

    /// The square roots of the `k` smallest, ascending (+inf where fewer came).
    fn finish_into(&mut self, mut out: ndarray::ArrayViewMut1<'_, f32>) {
        let k = self.k;
        if self.head.len() > k {
            self.head.select_nth_unstable_by(k - 1, f32::total_cmp);
            self.head.truncate(k);
        }
        self.head.sort_unstable_by(f32::total_cmp);
        self.head.resize(k, f32::INFINITY);
        for (o, v) in out.iter_mut().zip(&self.head) {
            *o = v.sqrt();
        }
    }
}

/// Feeds every distance of `tile` to its query's running smallest: raw `max(|q|² + |r|² −
/// 2 q·r, 0)` and, when `l2` is not empty, normalised `max(|q^|² + |r^|² − 2 q·r / (|q| |r|), 0)`
/// (the same expressions, so the same values, as a full distance row would give). AVX-512 or
/// AVX2 build when the CPU has it.
fn scan_tile(t: &Tile<'_>, query: &[QueryRow], raw: &mut [Smallest], l2: &mut [Smallest]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above), the only requirement of the
            // `#[target_feature]` function.
            return unsafe { scan_tile_avx512(t, query, raw, l2) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above, for AVX2.
            return unsafe { scan_tile_avx2(t, query, raw, l2) };
        }
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
        let g = &t.g[r * t.cb..(r + 1) * t.cb];
        let skip = qr
            .skip
            .and_then(|s| s.checked_sub(t.c0))
            .filter(|&s| s < t.cb);
        let qn = qr.qn;
        scan_row(g, t.rn, skip, &mut raw[r], below, |v, rn| {
            (qn + rn - 2.0 * v).max(0.0)
        });
        if let Some(best) = l2.get_mut(r) {
            let (qh, qi) = (qr.qh, qr.qi);
            scan_row(g, t.ri, skip, best, below, |v, ri| {
                let rh = if ri > 0.0 { 1.0 } else { 0.0 };
                (qh + rh - 2.0 * v * qi * ri).max(0.0)
            });
        }
    }
}

/// Feeds `f(g[j], per_ref[j]) + 0.0` for every `j` except `skip` to `best` (`f` returns a
/// value `>= 0` or +inf, never NaN; adding `+0.0` turns a `-0.0` into `+0.0`, so on these
/// values `<` is `f32::total_cmp`). [`SCAN_W`] values at a time are computed and compared with
/// the current k-th smallest first (vectorised); in a group holding a smaller value, only the
/// lanes `below` marks are offered, in lane order.
#[inline(always)]
fn scan_row(
    g: &[f32],
    per_ref: &[f32],
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
                    best.insert(v[l]);
                }
            }
        }
    }
    let j0 = gc.len() * SCAN_W;
    for (l, (&gv, &pv)) in gr.iter().zip(pr).enumerate() {
        if skip != j0 + l {
            best.insert(f(gv, pv) + 0.0);
        }
    }
}

/// `out[i * b_rows + j] = Σ_p a[i, p] · b[j, p]` for row-major `a` (`a.len() / d` rows) and
/// `b` (`b_rows = b.len() / d` rows) of `d` features, by the `gemm` crate (single-threaded:
/// callers parallelise over fixed blocks, so results never depend on the thread count).
///
/// # Panics
/// If `d == 0` or the slices do not hold whole rows and the output (a bug in this module).
fn gemm_abt(a: &[f32], b: &[f32], d: usize, out: &mut [f32]) {
    assert!(
        d > 0 && a.len().is_multiple_of(d) && b.len().is_multiple_of(d),
        "whole rows"
    );
    let (m, n) = (a.len() / d, b.len() / d);
    assert_eq!(out.len(), m * n, "output size");
    if m == 0 || n == 0 {
        return;
    }
    let to_isize = |v: usize| isize::try_from(v).expect("stride fits isize");
    // SAFETY: lhs element (i, p) is a[i * d + p] (i < m, p < d: inside `a`), rhs element
    // (p, j) is b[j * d + p] (inside `b`), dst element (i, j) is out[i * n + j] (inside
    // `out`, checked above); `out` is borrowed mutably, so it aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            d,
            out.as_mut_ptr(),
            1,
            to_isize(n),
            false,
            a.as_ptr(),
            1,
            to_isize(d),
            b.as_ptr(),
            to_isize(d),
            1,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `1 / sqrt(sq_norm)`, or 0 for a zero row.
fn inv_norm(sq_norm: f32) -> f32 {
    if sq_norm > 0.0 {
        1.0 / sq_norm.sqrt()
    } else {
        0.0
    }
}

/// `buf[j] = Σ_p (q_p − scale_j · cols[p, j])²` from coordinate differences (`scale`: the
/// reference rows' inverse norms for L2-normalised distances, else 1).
fn direct_fill(
    buf: &mut Vec<f32>,
    q: ArrayView1<'_, f32>,
    cols: &Array2<f32>,
    scale: Option<&Array1<f32>>,
) {
    buf.clear();
    buf.resize(cols.ncols(), 0.0);
    for (&qv, col) in q.iter().zip(cols.rows()) {
        match (col.as_slice(), scale.and_then(|s| s.as_slice())) {
            (Some(c), Some(sc)) => {
                for ((b, &v), &s) in buf.iter_mut().zip(c).zip(sc) {
                    let diff = qv - v * s;
                    *b += diff * diff;
                }
            }
            (Some(c), None) if scale.is_none() => {
                for (b, &v) in buf.iter_mut().zip(c) {
                    let diff = qv - v;
                    *b += diff * diff;
                }
            }
            _ => {
                for (j, (b, &v)) in buf.iter_mut().zip(col.iter()).enumerate() {
                    let s = scale.map_or(1.0, |s| s[j]);
                    let diff = qv - v * s;
                    *b += diff * diff;
                }
            }
        }
    }
}

/// Up to this many neighbours, [`smallest_into`] keeps them in one pass instead of a selection.
const SMALL_K: usize = 64;

/// The `k` smallest squared distances of `buf` (skipping index `skip`), square-rooted, ascending,
/// into `out`.
fn smallest_into(
    buf: &mut [f32],
    skip: Option<usize>,
    k: usize,
    mut out: ndarray::ArrayViewMut1<'_, f32>,
) {
    if let Some(i) = skip {
        buf[i] = f32::INFINITY;
    }
    if k <= SMALL_K && k < buf.len() {
        // one pass keeping the k smallest, ascending (same values and order as the
        // selection below; a full selection per query dominated the kNN time at k = 1)
        let mut head = [f32::INFINITY; SMALL_K];
        let head = &mut head[..k];
        let mut worst = f32::INFINITY;
        for chunk in buf.chunks(16) {
            // cheap vectorised test first: most chunks hold nothing below the current k-th
            if !chunk.iter().fold(false, |a, &v| a | (v <= worst)) {
                continue;
            }
            for &v in chunk {
                if v.total_cmp(&worst).is_lt() {
                    let mut p = k - 1;
                    while p > 0 && v.total_cmp(&head[p - 1]).is_lt() {
                        head[p] = head[p - 1];
                        p -= 1;
                    }
                    head[p] = v;
                    worst = head[k - 1];
                }
            }
        }
        for (o, v) in out.iter_mut().zip(head.iter()) {
            *o = v.sqrt();
        }
        return;
    }
    if k < buf.len() {
        buf.select_nth_unstable_by(k - 1, f32::total_cmp);
    }
    let head = &mut buf[..k];
    head.sort_unstable_by(f32::total_cmp);
    for (o, v) in out.iter_mut().zip(head.iter()) {
        *o = v.sqrt();
    }
}

/// Mahalanobis distance to the nearest class mean under the pooled within-class covariance plus a
/// ridge, fitted on a reference set.
#[derive(Debug, Clone)]
pub struct Mahalanobis {
    /// `W = L^-1` where `L L^T = Sigma + ridge`: distances are Euclidean after `x -> W x`.
    whitener: Array2<f64>,
    /// Whitened class means (rows), for the classes present in the reference.
    means: Array2<f64>,
}

impl Mahalanobis {
    /// Fits class means and the shared covariance. The ridge added to the diagonal is
    /// `ridge * (trace / d) + 1e-9` (relative to the mean variance, so it is scale-free; the tiny
    /// absolute term keeps an all-constant layer invertible).
    ///
    /// # Errors
    /// [`SignatureError::InvalidRidge`], [`SignatureError::Empty`], [`SignatureError::RowMismatch`],
    /// [`SignatureError::LabelOutOfRange`], and [`SignatureError::NotPositiveDefinite`] if the
    /// factorisation still fails.
    pub fn fit(
        layer: &str,
        x: ArrayView2<'_, f32>,
        labels: ArrayView1<'_, usize>,
        n_classes: usize,
        ridge: f64,
    ) -> Result<Self> {
        if !ridge.is_finite() || ridge < 0.0 {
            return Err(SignatureError::InvalidRidge { value: ridge });
        }
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(SignatureError::Empty {
                what: format!("layer {layer} (Mahalanobis reference)"),
            });
        }
        if labels.len() != n {
            return Err(SignatureError::RowMismatch {
                what: format!("labels of layer {layer}"),
                expected: n,
                found: labels.len(),
            });
        }
        if let Some((row, &label)) = labels.iter().enumerate().find(|(_, y)| **y >= n_classes) {
            return Err(SignatureError::LabelOutOfRange {
                what: "reference labels".into(),
                row,
                label,
                n_classes,
            });
        }
        let xf = x.mapv(f64::from);
        let mut sums = Array2::<f64>::zeros((n_classes, d));
        let mut counts = vec![0usize; n_classes];
        for (row, &y) in xf.rows().into_iter().zip(labels.iter()) {
            sums.row_mut(y).scaled_add(1.0, &row);
            counts[y] += 1;
        }
        let present: Vec<usize> = (0..n_classes).filter(|&c| counts[c] > 0).collect();
        let mut means = Array2::<f64>::zeros((present.len(), d));
        for (i, &c) in present.iter().enumerate() {
            means.row_mut(i).assign(&(&sums.row(c) / counts[c] as f64));
        }
        let mut centred = xf;
        let slot: Vec<usize> = {
            let mut s = vec![0; n_classes];
            for (i, &c) in present.iter().enumerate() {
                s[c] = i;
            }
            s
        };
        for (mut row, &y) in centred.rows_mut().into_iter().zip(labels.iter()) {
            row -= &means.row(slot[y]);
        }
        let mut cov = centred.t().dot(&centred) / n as f64;
        let mean_var = cov.diag().sum() / d as f64;
        let add = ridge * mean_var + 1e-9;
        cov.diag_mut().mapv_inplace(|v| v + add);
        let l = cholesky(&cov).map_err(|(index, pivot)| SignatureError::NotPositiveDefinite {
            layer: layer.to_string(),
            index,
            pivot,
        })?;
        let whitener = lower_inverse(&l);
        let means = means.dot(&whitener.t());
        Ok(Self { whitener, means })
    }

    /// Distance of every row of `x` to its nearest class mean.
    ///
    /// # Errors
    /// [`SignatureError::DimMismatch`] if `x` has another width than the reference.
    pub fn distances(&self, x: ArrayView2<'_, f32>) -> Result<Array1<f64>> {
        if x.ncols() != self.whitener.ncols() {
            return Err(SignatureError::DimMismatch {
                layer: "Mahalanobis query".into(),
                expected: self.whitener.ncols(),
                found: x.ncols(),
            });
        }
        let z = x.mapv(f64::from).dot(&self.whitener.t());
        Ok(z.map_axis(Axis(1), |row| {
            self.means
                .rows()
                .into_iter()
                .map(|m| {
                    row.iter()
                        .zip(m.iter())
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
                .sqrt()
        }))
    }
}

/// Cholesky factor `L` (lower) of a symmetric positive-definite matrix; on failure the index and
/// value of the first non-positive pivot.
fn cholesky(a: &Array2<f64>) -> std::result::Result<Array2<f64>, (usize, f64)> {
    let d = a.nrows();
    let mut l = Array2::<f64>::zeros((d, d));
    for j in 0..d {
        let mut diag = a[[j, j]];
        for k in 0..j {
            diag -= l[[j, k]] * l[[j, k]];
        }
        if diag <= 0.0 || !diag.is_finite() {
            return Err((j, diag));
        }
        let ljj = diag.sqrt();
        l[[j, j]] = ljj;
        for i in j + 1..d {
            let mut v = a[[i, j]];
            for k in 0..j {
                v -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = v / ljj;
        }
    }
    Ok(l)
}

/// Inverse of a lower-triangular matrix with a positive diagonal, by forward substitution.
fn lower_inverse(l: &Array2<f64>) -> Array2<f64> {
    let d = l.nrows();
    let mut inv = Array2::<f64>::zeros((d, d));
    for c in 0..d {
        inv[[c, c]] = 1.0 / l[[c, c]];
        for i in c + 1..d {
            let mut v = 0.0;
            for k in c..i {
                v -= l[[i, k]] * inv[[k, c]];
            }
            inv[[i, c]] = v / l[[i, i]];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

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
                let mut want = base.clone();
                if let Some(i) = skip {
                    want[i] = f32::INFINITY;
                }
                want.sort_by(f32::total_cmp);
                let mut buf = base.clone();
                let mut out = Array1::<f32>::zeros(k);
                smallest_into(&mut buf, skip, k, out.view_mut());
                let want: Vec<f32> = want[..k].iter().map(|v| v.sqrt()).collect();
                assert_eq!(out.to_vec(), want, "k = {k}, skip = {skip:?}");
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

    type ScanFn = dyn Fn(&Tile<'_>, &[QueryRow], &mut [Smallest], &mut [Smallest]);

    #[test]
    fn every_tile_scan_build_gives_the_same_bits() {
        let r = data(300, 16, 10);
        let q = data(20, 16, 11);
        let (rows, cb) = (q.nrows(), r.nrows());
        let mut g = vec![0.0f32; rows * cb];
        gemm_abt(q.as_slice().unwrap(), r.as_slice().unwrap(), 16, &mut g);
        for (i, qr) in q.rows().into_iter().enumerate() {
            for (j, rr) in r.rows().into_iter().enumerate() {
                let want: f32 = qr.iter().zip(rr.iter()).map(|(a, b)| a * b).sum();
                assert!((g[i * cb + j] - want).abs() < 1e-4);
            }
        }
        let idx = KnnIndex::new(r.view());
        let query: Vec<QueryRow> = q
            .rows()
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let qn = row.dot(&row);
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
            rn: idx.sq_norms.as_slice().unwrap(),
            ri: idx.inv_norms.as_slice().unwrap(),
        };
        // k = 5 keeps a sorted head, k = 20 a buffer of candidates
        for k in [5, 20] {
            let run = |f: &ScanFn| {
                let mut raw: Vec<Smallest> = (0..rows).map(|_| Smallest::new(k)).collect();
                let mut l2: Vec<Smallest> = (0..rows).map(|_| Smallest::new(k)).collect();
                f(&t, &query, &mut raw, &mut l2);
                let mut out = Array2::<f32>::zeros((2 * rows, k));
                for (b, o) in raw.iter_mut().chain(l2.iter_mut()).zip(out.rows_mut()) {
                    b.finish_into(o);
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
                let mut d: Vec<f32> = (0..cb)
                    .filter(|&j| Some(j) != qr.skip)
                    .map(|j| (qr.qn + t.rn[j] - 2.0 * g[i * cb + j]).max(0.0))
                    .collect();
                d.sort_by(f32::total_cmp);
                let want: Vec<f32> = d[..k].iter().map(|v| v.sqrt()).collect();
                assert_eq!(plain.row(i).to_vec(), want, "query {i}, k = {k}");
            }
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
            Err(SignatureError::RowMismatch { .. })
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
            Err(SignatureError::InvalidNeighbours {
                k: 4,
                n_reference: 3
            })
        ));
        assert!(matches!(
            idx.distances(r.view(), 0, false),
            Err(SignatureError::InvalidNeighbours { k: 0, .. })
        ));
        assert!(matches!(
            idx.distances(data(2, 3, 1).view(), 1, false),
            Err(SignatureError::DimMismatch {
                expected: 2,
                found: 3,
                ..
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
    fn mahalanobis_matches_explicit_inverse() {
        // Two classes; covariance is the pooled within-class scatter / n.
        let x = array![
            [1.0f32, 2.0],
            [2.0, 1.0],
            [3.0, 4.0],
            [10.0, 0.0],
            [11.0, 1.0],
            [12.0, -1.0]
        ];
        let y = array![0, 0, 0, 1, 1, 1];
        let m = Mahalanobis::fit("h", x.view(), y.view(), 2, 0.0).unwrap();
        let mu0 = [2.0f64, 7.0 / 3.0];
        let mu1 = [11.0f64, 0.0];
        let mut cov = [[0.0f64; 2]; 2];
        for (row, &c) in x.rows().into_iter().zip(y.iter()) {
            let mu = if c == 0 { mu0 } else { mu1 };
            let dv = [f64::from(row[0]) - mu[0], f64::from(row[1]) - mu[1]];
            for a in 0..2 {
                for b in 0..2 {
                    cov[a][b] += dv[a] * dv[b] / 6.0;
                }
            }
        }
        let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
        let inv = [
            [cov[1][1] / det, -cov[0][1] / det],
            [-cov[1][0] / det, cov[0][0] / det],
        ];
        let q = array![[5.0f32, 5.0]];
        let maha = |mu: [f64; 2]| {
            let dv = [5.0 - mu[0], 5.0 - mu[1]];
            (dv[0] * (inv[0][0] * dv[0] + inv[0][1] * dv[1])
                + dv[1] * (inv[1][0] * dv[0] + inv[1][1] * dv[1]))
                .sqrt()
        };
        let want = maha(mu0).min(maha(mu1));
        let got = m.distances(q.view()).unwrap()[0];
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    #[test]
    fn mahalanobis_ridge_handles_dead_units_and_rejects_bad_ridge() {
        let x = array![[1.0f32, 0.0], [2.0, 0.0], [3.0, 0.0]];
        let y = array![0, 0, 0];
        let m = Mahalanobis::fit("h", x.view(), y.view(), 1, 1e-3).unwrap();
        let d = m
            .distances(array![[2.0f32, 0.0], [2.0, 1.0]].view())
            .unwrap();
        assert!(d[0] < 1e-6 && d[1] > 10.0);
        assert!(matches!(
            Mahalanobis::fit("h", x.view(), y.view(), 1, -1.0),
            Err(SignatureError::InvalidRidge { .. })
        ));
        assert!(matches!(
            Mahalanobis::fit("h", x.view(), array![0, 2, 0].view(), 2, 0.1),
            Err(SignatureError::LabelOutOfRange {
                label: 2,
                row: 1,
                ..
            })
        ));
    }
}
