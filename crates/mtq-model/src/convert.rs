//! Conversions between ndarray matrices and candle tensors.

use candle_core::{DType, Device, Tensor};
use ndarray::{Array2, ArrayView2};

use crate::error::{ModelError, Result};

/// Copies an `n x d` matrix into an `f32` tensor of shape `(n, d)` on `device`.
///
/// One copy for a standard-layout (row-major, contiguous) view; other layouts are gathered
/// row by row first.
///
/// # Errors
/// Only candle's own errors (e.g. device allocation).
pub fn array_to_tensor(x: ArrayView2<'_, f32>, device: &Device) -> Result<Tensor> {
    let shape = x.dim();
    let t = match x.as_slice() {
        Some(s) => Tensor::from_slice(s, shape, device)?,
        None => Tensor::from_iter(x.iter().copied(), device)?.reshape(shape)?,
    };
    Ok(t)
}

/// Copies a rank-2 tensor (any float dtype, any device) into an owned `f32` matrix.
///
/// # Errors
/// [`ModelError::NotAMatrix`] if the tensor is not rank 2; candle's errors for a failed copy.
pub fn tensor_to_array(t: &Tensor) -> Result<Array2<f32>> {
    let (rows, cols) = match *t.dims() {
        [r, c] => (r, c),
        _ => {
            return Err(ModelError::NotAMatrix {
                shape: t.dims().to_vec(),
            });
        }
    };
    let v = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    Array2::from_shape_vec((rows, cols), v).map_err(|_| ModelError::NotAMatrix {
        shape: t.dims().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Axis, Slice};

    #[test]
    fn round_trip_standard_and_strided() -> Result<()> {
        let a = Array2::from_shape_fn((4, 3), |(i, j)| (i * 10 + j) as f32);
        let t = array_to_tensor(a.view(), &Device::Cpu)?;
        assert_eq!(t.dims(), &[4, 3]);
        assert_eq!(tensor_to_array(&t)?, a);

        let strided = a.slice_axis(Axis(0), Slice::new(0, None, 2));
        let back = tensor_to_array(&array_to_tensor(strided, &Device::Cpu)?)?;
        assert_eq!(back, strided.to_owned());

        let transposed = a.t();
        let back = tensor_to_array(&array_to_tensor(transposed, &Device::Cpu)?)?;
        assert_eq!(back, transposed.to_owned());
        Ok(())
    }

    #[test]
    fn empty_and_non_matrix() -> Result<()> {
        let e = Array2::<f32>::zeros((0, 5));
        let t = array_to_tensor(e.view(), &Device::Cpu)?;
        assert_eq!(t.dims(), &[0, 5]);
        assert_eq!(tensor_to_array(&t)?.dim(), (0, 5));
        let v = Tensor::zeros(7, DType::F32, &Device::Cpu)?;
        assert!(
            matches!(tensor_to_array(&v), Err(ModelError::NotAMatrix { shape }) if shape == vec![7])
        );
        Ok(())
    }
}
