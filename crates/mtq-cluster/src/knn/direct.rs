//! The kNN search for at most [`DIRECT_MAX_D`](super::index::DIRECT_MAX_D) features: distances from coordinate
//! differences (no cancellation between nearby points far from the origin, such as the
//! probabilities of a softmax layer), one full row per query, then its `k` smallest.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::index::{Found, KnnIndex, inv_norm};

impl KnnIndex {
    /// One block of queries against the whole reference, from coordinate differences (at most
    /// [`DIRECT_MAX_D`](super::index::DIRECT_MAX_D) features).
    pub(super) fn direct_block(
        &self,
        q: ArrayView2<'_, f32>,
        cols: &Array2<f32>,
        k_max: usize,
        skip_of: impl Fn(usize) -> Option<usize>,
        with_l2: bool,
    ) -> Found {
        let rows = q.nrows();
        let mut found = Found::empty(rows, if with_l2 { rows } else { 0 }, k_max);
        let mut l2_rows = Array2::zeros((found.l2.nrows(), k_max));
        let mut buf: Vec<f32> = Vec::with_capacity(self.len());
        for (r, qrow) in q.rows().into_iter().enumerate() {
            let skip = skip_of(r);
            direct_fill(&mut buf, qrow, cols, None);
            smallest_into(
                &mut buf,
                skip,
                k_max,
                found.raw.row_mut(r),
                found.rows.row_mut(r),
            );
            if with_l2 {
                let qi = inv_norm(qrow.dot(&qrow));
                let qh = qrow.mapv(|v| v * qi);
                direct_fill(&mut buf, qh.view(), cols, Some(&self.inv_norms));
                smallest_into(
                    &mut buf,
                    skip,
                    k_max,
                    found.l2.row_mut(r),
                    l2_rows.row_mut(r),
                );
            }
        }
        found
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
pub(super) const SMALL_K: usize = 64;

/// The `k` smallest squared distances of `buf` (skipping index `skip`), square-rooted, ascending,
/// into `out`, and their indices into `rows` (ties: the lower index first).
pub(super) fn smallest_into(
    buf: &mut [f32],
    skip: Option<usize>,
    k: usize,
    mut out: ndarray::ArrayViewMut1<'_, f32>,
    mut rows: ndarray::ArrayViewMut1<'_, u32>,
) {
    if let Some(i) = skip {
        buf[i] = f32::INFINITY;
    }
    let mut write = |head: &[(f32, u32)]| {
        for ((o, r), &(v, i)) in out.iter_mut().zip(rows.iter_mut()).zip(head) {
            *o = v.sqrt();
            *r = i;
        }
    };
    if k <= SMALL_K && k < buf.len() {
        // one pass keeping the k smallest, ascending (same values and order as the
        // selection below; a full selection per query dominated the kNN time at k = 1)
        let mut head = [(f32::INFINITY, u32::MAX); SMALL_K];
        let head = &mut head[..k];
        let mut worst = f32::INFINITY;
        for (c, chunk) in buf.chunks(16).enumerate() {
            // cheap vectorised test first: most chunks hold nothing below the current k-th
            if !chunk.iter().fold(false, |a, &v| a | (v <= worst)) {
                continue;
            }
            for (l, &v) in chunk.iter().enumerate() {
                if v.total_cmp(&worst).is_lt() {
                    let mut p = k - 1;
                    while p > 0 && v.total_cmp(&head[p - 1].0).is_lt() {
                        head[p] = head[p - 1];
                        p -= 1;
                    }
                    head[p] = (v, (c * 16 + l) as u32);
                    worst = head[k - 1].0;
                }
            }
        }
        write(head);
        return;
    }
    let mut all: Vec<(f32, u32)> = buf
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i as u32))
        .collect();
    let order = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if k < all.len() {
        all.select_nth_unstable_by(k - 1, order);
    }
    let head = &mut all[..k];
    head.sort_unstable_by(order);
    write(head);
}
