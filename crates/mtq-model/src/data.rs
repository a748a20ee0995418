//! Checks of caller data at the door, and gathering rows into batch tensors.

use candle_core::{Device, Tensor};
use ndarray::{ArrayView1, ArrayView2};

use crate::error::{ModelError, Result};

/// Checks width, emptiness and finiteness of `x` for a model of input width `input_dim`.
pub(crate) fn check_features(x: ArrayView2<'_, f32>, input_dim: usize) -> Result<()> {
    if x.ncols() != input_dim {
        return Err(ModelError::WidthMismatch {
            expected: input_dim,
            found: x.ncols(),
        });
    }
    if x.nrows() == 0 {
        return Err(ModelError::EmptyData);
    }
    for (row, r) in x.outer_iter().enumerate() {
        if let Some((col, &value)) = r.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ModelError::NonFiniteInput { row, col, value });
        }
    }
    Ok(())
}

/// Checks that every label is a class index `< n_classes`.
pub(crate) fn check_labels(y: ArrayView1<'_, usize>, n_classes: usize) -> Result<()> {
    match y.iter().enumerate().find(|(_, l)| **l >= n_classes) {
        Some((index, &label)) => Err(ModelError::LabelOutOfRange {
            index,
            label,
            n_classes,
        }),
        None => Ok(()),
    }
}

/// The rows `idx` of `x` as a `len x d` tensor on `device` (one copy on CPU).
pub(crate) fn gather_rows(
    x: ArrayView2<'_, f32>,
    idx: &[usize],
    device: &Device,
) -> Result<Tensor> {
    let mut buf = Vec::with_capacity(idx.len() * x.ncols());
    for &i in idx {
        let row = x.row(i);
        match row.as_slice() {
            Some(s) => buf.extend_from_slice(s),
            None => buf.extend(row.iter().copied()),
        }
    }
    Ok(Tensor::from_slice(
        buf.as_slice(),
        (idx.len(), x.ncols()),
        device,
    )?)
}

/// The labels `idx` of `y` as a `u32` tensor on `device` (labels were checked `< n_classes`).
pub(crate) fn gather_labels(
    y: ArrayView1<'_, usize>,
    idx: &[usize],
    device: &Device,
) -> Result<Tensor> {
    let v: Vec<u32> = idx
        .iter()
        .map(|&i| u32::try_from(y[i]).unwrap_or(u32::MAX))
        .collect();
    Ok(Tensor::from_vec(v, idx.len(), device)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

    #[test]
    fn feature_checks() {
        let mut x = Array2::<f32>::zeros((3, 4));
        assert!(check_features(x.view(), 4).is_ok());
        assert!(matches!(
            check_features(x.view(), 5),
            Err(ModelError::WidthMismatch {
                expected: 5,
                found: 4
            })
        ));
        assert!(matches!(
            check_features(Array2::<f32>::zeros((0, 4)).view(), 4),
            Err(ModelError::EmptyData)
        ));
        x[[2, 1]] = f32::NAN;
        assert!(matches!(
            check_features(x.view(), 4),
            Err(ModelError::NonFiniteInput { row: 2, col: 1, .. })
        ));
        x[[2, 1]] = f32::INFINITY;
        assert!(matches!(
            check_features(x.view(), 4),
            Err(ModelError::NonFiniteInput { row: 2, col: 1, .. })
        ));
    }

    #[test]
    fn label_check_and_gather() -> Result<()> {
        let y = Array1::from(vec![0usize, 1, 2, 1]);
        assert!(check_labels(y.view(), 3).is_ok());
        assert!(matches!(
            check_labels(y.view(), 2),
            Err(ModelError::LabelOutOfRange {
                index: 2,
                label: 2,
                n_classes: 2
            })
        ));
        let x = Array2::from_shape_fn((4, 2), |(i, j)| (10 * i + j) as f32);
        let t = gather_rows(x.view(), &[3, 0], &Device::Cpu)?;
        assert_eq!(t.to_vec2::<f32>()?, vec![vec![30.0, 31.0], vec![0.0, 1.0]]);
        let l = gather_labels(y.view(), &[2, 1], &Device::Cpu)?;
        assert_eq!(l.to_vec1::<u32>()?, vec![2, 1]);
        Ok(())
    }
}
