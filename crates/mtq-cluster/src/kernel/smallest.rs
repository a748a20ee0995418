//! The running `k` smallest values of a stream, fed by the kNN tile scan
//! ([`super::knn_scan`]).

/// Up to this many neighbours, [`Smallest`] keeps the `k` smallest sorted by insertion; beyond,
/// it appends candidates and cuts them back by a selection when `2k` have come (a binary search
/// and a shift per accepted value cost more than an append once `k` is larger: at k = 50 the
/// insertions took a third of the search).
pub(crate) const INSERT_MAX_K: usize = 8;

/// The running `k` smallest values of a stream (by `f32::total_cmp`, then by index: values come
/// with the index of the reference row they belong to, in increasing index order, so a value
/// equal to the k-th smallest comes after it and is not kept).
pub(crate) struct Smallest {
    /// Up to [`INSERT_MAX_K`]: the `k` smallest so far, ascending (+inf-filled). Beyond: candidates
    /// (every value below `worst` when it came), cut back to the `k` smallest when `2k` long.
    head: Vec<(f32, u32)>,
    k: usize,
    /// No value at or above this can be among the `k` smallest.
    pub(super) worst: f32,
}

impl Smallest {
    pub(crate) fn new(k: usize) -> Self {
        let head = if k <= INSERT_MAX_K {
            vec![(f32::INFINITY, u32::MAX); k]
        } else {
            Vec::with_capacity(2 * k)
        };
        Self {
            head,
            k,
            worst: f32::INFINITY,
        }
    }

    /// Offers `v` (`>= +0.0` or +inf: on such values `<` is `f32::total_cmp`) of reference row
    /// `index` (rows come in increasing order).
    #[inline(always)]
    pub(super) fn insert(&mut self, v: f32, index: u32) {
        if v >= self.worst {
            return;
        }
        let k = self.k;
        if k <= INSERT_MAX_K {
            // after every value <= v (stable, as an insertion from the back)
            let head = &mut self.head;
            let p = head.partition_point(|h| h.0 <= v);
            head.copy_within(p..k - 1, p + 1);
            head[p] = (v, index);
            self.worst = head[k - 1].0;
        } else {
            self.head.push((v, index));
            if self.head.len() >= 2 * k {
                self.head.select_nth_unstable_by(k - 1, by_value_then_index);
                self.head.truncate(k);
                self.worst = self.head[k - 1].0;
            }
        }
    }

    /// The square roots of the `k` smallest, ascending (+inf where fewer came), and their
    /// reference rows (`u32::MAX` where fewer came).
    pub(crate) fn finish_into(
        &mut self,
        mut out: ndarray::ArrayViewMut1<'_, f32>,
        mut rows: ndarray::ArrayViewMut1<'_, u32>,
    ) {
        let k = self.k;
        if self.head.len() > k {
            self.head.select_nth_unstable_by(k - 1, by_value_then_index);
            self.head.truncate(k);
        }
        self.head.sort_unstable_by(by_value_then_index);
        self.head.resize(k, (f32::INFINITY, u32::MAX));
        for ((o, r), (v, i)) in out.iter_mut().zip(rows.iter_mut()).zip(&self.head) {
            *o = v.sqrt();
            *r = *i;
        }
    }
}

/// The order of the kept values: by value (`f32::total_cmp`), then by reference row.
fn by_value_then_index(a: &(f32, u32), b: &(f32, u32)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}
