//! Iteration over consecutive batches of a data set, as views (no copy).

use std::iter::FusedIterator;

use ndarray::{ArrayView1, ArrayView2, Axis, Slice};

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// One batch: views into consecutive rows of a [`Dataset`].
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Position of the batch's first sample in the data set.
    pub start: usize,
    /// The batch's `b x d` features.
    pub features: ArrayView2<'a, f32>,
    /// The batch's labels.
    pub labels: ArrayView1<'a, usize>,
    /// The batch's sample ids.
    pub ids: ArrayView1<'a, usize>,
}

impl Batch<'_> {
    /// Number of samples in the batch.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` for a batch with no sample (never yielded by [`Batches`]).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Iterator over the batches of a [`Dataset`], made by [`Dataset::batches`].
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    data: &'a Dataset,
    batch_size: usize,
    next: usize,
}

impl<'a> Iterator for Batches<'a> {
    type Item = Batch<'a>;

    fn next(&mut self) -> Option<Batch<'a>> {
        let n = self.data.n_samples();
        if self.next >= n {
            return None;
        }
        let start = self.next;
        let end = start.saturating_add(self.batch_size).min(n);
        self.next = end;
        // `s![..]` would expand to `#[allow(unsafe_code)]`, which the workspace forbids.
        let rows = Slice::from(start..end);
        Some(Batch {
            start,
            features: self.data.features().slice_axis_move(Axis(0), rows),
            labels: self.data.labels().slice_axis_move(Axis(0), rows),
            ids: self.data.ids().slice_axis_move(Axis(0), rows),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self
            .data
            .n_samples()
            .saturating_sub(self.next)
            .div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Batches<'_> {}
impl FusedIterator for Batches<'_> {}

impl Dataset {
    /// Consecutive batches of `batch_size` samples, in order; the last may be smaller. Views
    /// borrow the data set: nothing is copied. Shuffle first for random batches.
    ///
    /// # Errors
    /// [`DataError::ZeroBatchSize`] if `batch_size` is 0.
    pub fn batches(&self, batch_size: usize) -> Result<Batches<'_>> {
        if batch_size == 0 {
            return Err(DataError::ZeroBatchSize);
        }
        Ok(Batches {
            data: self,
            batch_size,
            next: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};

    use super::*;

    #[test]
    fn batches_cover_every_sample_once_without_copying() {
        let x = Array2::from_shape_fn((10, 3), |(i, j)| (i * 3 + j) as f32);
        let d = Dataset::new(x, Array1::from_iter((0..10).map(|i| i % 2))).unwrap();
        let batches: Vec<Batch<'_>> = d.batches(4).unwrap().collect();
        assert_eq!(
            batches.iter().map(Batch::len).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        assert_eq!(d.batches(4).unwrap().len(), 3);
        assert_eq!(batches[2].start, 8);
        assert_eq!(batches[2].ids.to_vec(), [8, 9]);
        assert_eq!(batches[1].features.row(0).to_vec(), [12.0, 13.0, 14.0]);
        assert!(std::ptr::eq(
            batches[0].features.as_ptr(),
            d.features().as_ptr()
        ));
        assert!(matches!(d.batches(0), Err(DataError::ZeroBatchSize)));
    }
}
