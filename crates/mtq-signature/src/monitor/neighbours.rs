//! One layer's reference rows grouped by class, searched exactly: the nearest reference row of
//! any class (the layer's kNN score) and, for the Deep k-NN credibility, how many of the `k`
//! nearest reference rows belong to each class.
//!
//! The classes partition the reference, so the `k` nearest rows overall are the `k` smallest of
//! the classes' own `k` nearest: one exact search per class ([`KnnIndex`], the workspace's
//! matrix-product kNN) gives both the distance and the neighbours' labels.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::anomaly::{KnnIndex, knn_error};
use crate::error::Result;

/// The reference rows of one layer, one exact kNN index per class (`None` for a class with no
/// reference row).
#[derive(Debug, Clone)]
pub(crate) struct ClassNeighbours {
    pub(crate) by_class: Vec<Option<KnnIndex>>,
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
    /// Groups the rows of `x` (prepared reference activations, `n x d`) by `labels`.
    pub(crate) fn new(x: ArrayView2<'_, f32>, labels: &[usize], n_classes: usize) -> Self {
        let by_class = (0..n_classes)
            .map(|c| {
                let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
                (!rows.is_empty()).then(|| KnnIndex::new(x.select(Axis(0), &rows).view()))
            })
            .collect();
        Self { by_class }
    }

    /// Reference rows of the smallest class present.
    pub(crate) fn smallest_class(&self) -> usize {
        self.by_class
            .iter()
            .flatten()
            .map(KnnIndex::len)
            .min()
            .unwrap_or(0)
    }

    /// The exact search of `q` (prepared activations, `m x d`): nearest distance, and the class
    /// votes of the `k` nearest rows (`k` below every class's count; 0 for none).
    pub(crate) fn search(&self, q: ArrayView2<'_, f32>, k: usize) -> Result<LayerNeighbours> {
        let m = q.nrows();
        let per_class: Vec<Option<Array2<f32>>> = self
            .by_class
            .iter()
            .map(|idx| {
                idx.as_ref()
                    .map(|i| i.distances(q, k.max(1), false).map_err(knn_error))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        let nearest = Array1::from_iter((0..m).map(|r| {
            per_class
                .iter()
                .flatten()
                .map(|d| f64::from(d[[r, 0]]))
                .fold(f64::INFINITY, f64::min)
        }));
        let n_classes = self.by_class.len();
        if k == 0 {
            return Ok(LayerNeighbours {
                nearest,
                votes: Array2::zeros((m, 0)),
            });
        }
        let rows: Vec<Vec<u32>> = (0..m)
            .into_par_iter()
            .map(|r| {
                let mut pool: Vec<(f32, usize)> = Vec::with_capacity(k * n_classes);
                for (c, d) in per_class.iter().enumerate() {
                    if let Some(d) = d {
                        pool.extend(d.row(r).iter().map(|&v| (v, c)));
                    }
                }
                // the k smallest (ties: lower class first, so the result is deterministic)
                if pool.len() > k {
                    pool.select_nth_unstable_by(k - 1, |a, b| {
                        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                    });
                    pool.truncate(k);
                }
                let mut row = vec![0u32; n_classes];
                for (_, c) in pool {
                    row[c] += 1;
                }
                row
            })
            .collect();
        let votes = Array2::from_shape_vec((m, n_classes), rows.concat())
            .unwrap_or_else(|_| Array2::zeros((m, n_classes)));
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
