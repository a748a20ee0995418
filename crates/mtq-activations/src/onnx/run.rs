//! Running the optimised graph: a batch of rows in, every tapped output out.

use candle_core::{Device, Tensor};
use tract_onnx::prelude::{IntoTValue, tvec};
use tract_onnx::tract_hir::internal::Tensor as TractTensor;

use super::OnnxModel;
use super::reduce::reduce;
use super::taps::Layout;
use crate::error::{ActivationsError, Result};
use crate::{LayerModel, LayerSpec};

impl OnnxModel {
    /// Runs the graph on `rows x input_dim` values (row-major) and returns each tapped output
    /// as `rows x width` values with its width.
    fn run(&self, values: &[f32], rows: usize) -> Result<Vec<(Vec<f32>, usize)>> {
        let mut shape = vec![rows];
        shape.extend_from_slice(&self.input_shape);
        let onnx_err = |e: tract_onnx::prelude::TractError| ActivationsError::Onnx {
            path: self.path.clone(),
            message: format!("{e:#}"),
        };
        let input = TractTensor::from_shape(&shape, values).map_err(onnx_err)?;
        let outputs = self
            .plan
            .run(tvec![input.into_tvalue()])
            .map_err(onnx_err)?;
        if outputs.len() != self.specs.len() {
            return Err(ActivationsError::OutputCount {
                expected: self.specs.len(),
                found: outputs.len(),
            });
        }
        outputs
            .iter()
            .zip(&self.specs)
            .enumerate()
            .map(|(i, (t, spec))| {
                let t = t.cast_to::<f32>().map_err(onnx_err)?;
                let view = t.to_plain_array_view::<f32>().map_err(onnx_err)?;
                let dims = view.shape().to_vec();
                if dims.first() != Some(&rows) {
                    return Err(ActivationsError::OutputShape {
                        layer: spec.name.clone(),
                        shape: dims,
                        expected_rows: rows,
                        expected_width: None,
                    });
                }
                let values = view.iter().copied().collect();
                Ok(reduce(
                    &dims,
                    values,
                    self.layouts.get(i).copied().unwrap_or(Layout::Tokens),
                    self.conv_tap,
                    self.token_pool,
                ))
            })
            .collect()
    }
}

impl LayerModel for OnnxModel {
    fn device(&self) -> &Device {
        &self.device
    }

    fn input_dim(&self) -> usize {
        self.input_shape.iter().product()
    }

    fn input_shape(&self) -> Option<Vec<usize>> {
        Some(self.input_shape.clone())
    }

    fn layers(&self) -> Vec<LayerSpec> {
        self.specs.clone()
    }

    fn forward_layers(&self, x: &Tensor) -> Result<Vec<Tensor>> {
        let (rows, cols) = x.dims2()?;
        if cols != self.input_dim() {
            return Err(ActivationsError::WidthMismatch {
                expected: self.input_dim(),
                found: cols,
            });
        }
        let values = x
            .to_dtype(candle_core::DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        self.run(&values, rows)?
            .into_iter()
            .map(|(v, width)| Ok(Tensor::from_vec(v, (rows, width), &self.device)?))
            .collect()
    }
}
