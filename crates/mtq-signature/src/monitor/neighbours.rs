//! One layer's reference rows grouped by class, searched exactly: the nearest reference row
//! (the layer's kNN score) and, for the Deep k-NN credibility, how many of the `k` nearest
//! reference rows belong to each class.
//!
//! One exact search of all the rows ([`KnnIndex::neighbours`], the workspace's matrix-product
//! kNN, which also says which rows it found) gives both: the rows are kept grouped by class,
//! so a row's class is the group its index falls in.

use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate};

use crate::anomaly::{KnnIndex, knn_error};
use crate::error::Result;

/// The reference rows of one layer, grouped by class (class 0's rows first), in one exact kNN
/// index.
#[derive(Debug, Clone)]
pub(crate) struct ClassNeighbours {
    index: KnnIndex,
    /// `starts[c]..starts[c + 1]`: the rows of class `c`.
    starts: Vec<usize>,
}

/// What one layer's search says of a batch.
pub(crate) struct LayerNeighbours {
    /// Distance to the nearest reference row, per input.
    pub(crate) nearest: Array1<f64>,
    /// Per input and class, how many of the `k` nearest reference rows have that class
    /// (`n x classes`); empty (`n x 0`) when `k = 0`.
    pub(crate) votes: Array2<u32>,
}

impl ClassNeighbours {
    /// Groups the rows of `x` (prepared reference activations, `n x d`) by `labels` (one copy
    /// of the rows, in class order; each class's rows keep their order).
    pub(crate) fn new(x: ArrayView2<'_, f32>, labels: &[usize], n_classes: usize) -> Self {
        let mut order: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] < n_classes)
            .collect();
        order.sort_by_key(|&i| labels[i]);
        let mut starts = vec![0; n_classes + 1];
        for &i in &order {
            starts[labels[i] + 1] += 1;
        }
        for c in 0..n_classes {
            starts[c + 1] += starts[c];
        }
        Self {
            index: KnnIndex::from_owned(x.select(Axis(0), &order)),
            starts,
        }
    }

    /// The rows of each class (`None` for a class with none), all `width` wide.
    pub(crate) fn from_classes(classes: &[Option<Array2<f32>>], width: usize) -> Self {
        let mut starts = vec![0];
        let mut views = Vec::new();
        for c in classes {
            if let Some(x) = c {
                views.push(x.view());
            }
            starts.push(starts.last().copied().unwrap_or(0) + c.as_ref().map_or(0, Array2::nrows));
        }
        let rows = if views.is_empty() {
            Array2::zeros((0, width))
        } else {
            concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((0, width)))
        };
        Self {
            index: KnnIndex::from_owned(rows),
            starts,
        }
    }

    /// The rows of class `c` (`None` for a class with none, or past the last).
    pub(crate) fn class_rows(&self, c: usize) -> Option<ArrayView2<'_, f32>> {
        let (a, b) = (*self.starts.get(c)?, *self.starts.get(c + 1)?);
        (b > a).then(|| self.index.rows().slice_move(ndarray::s![a..b, ..]))
    }

    /// Reference rows of the smallest class present.
    pub(crate) fn smallest_class(&self) -> usize {
        self.starts
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|&n| n > 0)
            .min()
            .unwrap_or(0)
    }

    /// The exact search of `q` (prepared activations, `m x d`): nearest distance, and the class
    /// votes of the `k` nearest rows (0 for none).
    pub(crate) fn search(&self, q: ArrayView2<'_, f32>, k: usize) -> Result<LayerNeighbours> {
        let (dist, rows) = self.index.neighbours(q, k.max(1)).map_err(knn_error)?;
        let nearest = dist.column(0).mapv(f64::from);
        let n_classes = self.starts.len() - 1;
        if k == 0 {
            return Ok(LayerNeighbours {
                nearest,
                votes: Array2::zeros((q.nrows(), 0)),
            });
        }
        let mut votes = Array2::<u32>::zeros((q.nrows(), n_classes));
        for (mut v, found) in votes.rows_mut().into_iter().zip(rows.rows()) {
            for &row in found {
                // the class whose group holds the row
                let c = self.starts.partition_point(|&s| s <= row as usize) - 1;
                if c < n_classes {
                    v[c] += 1;
                }
            }
        }
        Ok(LayerNeighbours { nearest, votes })
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn nearest_and_votes_match_a_brute_force_search() {
        let x = array![
            [0.0f32, 0.0],
            [1.0, 0.0],
            [0.0, 1.0],
            [5.0, 5.0],
            [6.0, 5.0],
            [5.0, 6.0]
        ];
        let labels = [0, 0, 1, 1, 2, 2];
        let nb = ClassNeighbours::new(x.view(), &labels, 3);
        assert_eq!(nb.smallest_class(), 2);
        let q = array![[0.2f32, 0.1], [5.5, 5.4]];
        let res = nb.search(q.view(), 2).unwrap();
        for (r, row) in q.rows().into_iter().enumerate() {
            let mut d: Vec<(f32, usize)> = x
                .rows()
                .into_iter()
                .zip(labels)
                .map(|(p, c)| {
                    (
                        ((p[0] - row[0]).powi(2) + (p[1] - row[1]).powi(2)).sqrt(),
                        c,
                    )
                })
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!((res.nearest[r] - f64::from(d[0].0)).abs() < 1e-5);
            let mut want = [0u32; 3];
            for (_, c) in &d[..2] {
                want[*c] += 1;
            }
            assert_eq!(res.votes.row(r).to_vec(), want.to_vec(), "row {r}");
        }
        let plain = nb.search(q.view(), 0).unwrap();
        assert_eq!(plain.nearest, res.nearest);
        assert_eq!(plain.votes.ncols(), 0);
    }
}
