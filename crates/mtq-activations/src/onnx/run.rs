//! Building and running the optimised graph: a batch of rows in, every tapped output out.
//!
//! tract optimises the graph for a fixed batch of [`PLAN_BATCH`] rows (a concrete batch axis
//! lets it precompute every convolution's and matrix product's geometry, and keeps the
//! intermediate tensors small enough for the caches). A call with more rows is cut into chunks
//! of that many rows, the last one padded with zeros (rows are independent in inference, the
//! padding rows' outputs are dropped); the chunks run on rayon's pool, each in its own tract
//! state. Chunk boundaries depend only on the row count, so the results do not depend on the
//! thread count.

use std::sync::Arc;

use candle_core::{Device, Tensor};
use rayon::prelude::*;
use tract_onnx::prelude::{
    Datum, InferenceFact, InferenceModel, InferenceModelExt, IntoRunnable, IntoTValue, TractResult,
    TypedRunnableModel, tvec,
};
use tract_onnx::tract_hir::internal::Tensor as TractTensor;

use super::OnnxModel;
use super::reduce::reduce;
use super::taps::Layout;
use crate::error::{ActivationsError, Result};
use crate::{LayerModel, LayerSpec};

/// Each tapped output of a run as `rows x width` values (row-major), with its width.
type Outputs = Vec<(Vec<f32>, usize)>;

/// Rows per tract run: the batch the graph is optimised for.
pub(super) const PLAN_BATCH: usize = 32;

/// The optimised graph, for a fixed batch of rows.
pub(super) struct Plan {
    runnable: Arc<TypedRunnableModel>,
    batch: usize,
}

/// Fixes the input of `model` to `batch x input_shape` `f32` values, makes the nodes in
/// `taps` (`name` or `name:slot`) its outputs, in that order, and optimises it for that batch.
pub(super) fn optimise(
    model: InferenceModel,
    input_shape: &[usize],
    taps: &[String],
    batch: usize,
) -> TractResult<Plan> {
    let runnable = with_taps(model, input_shape, taps, batch)?
        .into_optimized()?
        .into_runnable()?;
    Ok(Plan { runnable, batch })
}

/// `model` with its input fixed to `batch` f32 rows of `input_shape` and the nodes (or
/// `node:slot` outputs) `taps` as its outputs, in that order: tract's taps are chosen before
/// it optimises, so one run computes them all.
pub(super) fn with_taps(
    mut model: InferenceModel,
    input_shape: &[usize],
    taps: &[String],
    batch: usize,
) -> TractResult<InferenceModel> {
    let mut shape = Vec::with_capacity(input_shape.len() + 1);
    shape.push(batch);
    shape.extend_from_slice(input_shape);
    model.set_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), shape))?;
    model.select_outputs_by_name(taps.iter().map(String::as_str))?;
    Ok(model)
}

impl OnnxModel {
    fn onnx_err(&self, e: tract_onnx::prelude::TractError) -> ActivationsError {
        ActivationsError::Onnx {
            path: self.path.clone(),
            message: format!("{e:#}"),
        }
    }

    /// Runs the graph on `rows x input_dim` values (row-major) and returns each tapped output
    /// as `rows x width` values with its width.
    fn run(&self, values: &[f32], rows: usize) -> Result<Outputs> {
        let dim = self.input_dim();
        let batch = self.plan.batch.max(1);
        if rows == 0 {
            // one padded run tells the widths
            return self.run_chunk(&[], 0);
        }
        let chunks: Vec<Result<Outputs>> = (0..rows.div_ceil(batch))
            .into_par_iter()
            .map(|c| {
                let start = c * batch;
                let end = (start + batch).min(rows);
                let slice =
                    values
                        .get(start * dim..end * dim)
                        .ok_or(ActivationsError::WidthMismatch {
                            expected: rows * dim,
                            found: values.len(),
                        })?;
                self.run_chunk(slice, end - start)
            })
            .collect();
        let mut chunks = chunks.into_iter();
        let Some(first) = chunks.next() else {
            return Ok(Vec::new());
        };
        let first = first?;
        if chunks.len() == 0 {
            return Ok(first);
        }
        let mut outputs: Outputs = first
            .into_iter()
            .map(|(v, width)| {
                let mut all = Vec::with_capacity(rows * width);
                all.extend_from_slice(&v);
                (all, width)
            })
            .collect();
        for chunk in chunks {
            for (((all, width), (v, w)), spec) in outputs.iter_mut().zip(chunk?).zip(&self.specs) {
                // the plan's shapes are fixed: every chunk has the same widths
                if w != *width {
                    return Err(ActivationsError::OutputShape {
                        layer: spec.name.clone(),
                        shape: vec![v.len() / w.max(1), w],
                        expected_rows: v.len() / w.max(1),
                        expected_width: Some(*width),
                    });
                }
                all.extend_from_slice(&v);
            }
        }
        Ok(outputs)
    }

    /// Runs one chunk of `rows` (at most the plan's batch) rows, padded to the plan's batch,
    /// and returns each tapped output's first `rows` rows as `rows x width` values.
    fn run_chunk(&self, values: &[f32], rows: usize) -> Result<Outputs> {
        let batch = self.plan.batch;
        let mut shape = Vec::with_capacity(self.input_shape.len() + 1);
        shape.push(batch);
        shape.extend_from_slice(&self.input_shape);
        let input = if rows == batch {
            TractTensor::from_shape(&shape, values)
        } else {
            let mut padded = vec![0f32; batch * self.input_dim()];
            padded.iter_mut().zip(values).for_each(|(p, &v)| *p = v);
            TractTensor::from_shape(&shape, &padded)
        }
        .map_err(|e| self.onnx_err(e))?;
        let outputs = self
            .plan
            .runnable
            .run(tvec![input.into_tvalue()])
            .map_err(|e| self.onnx_err(e))?;
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
            .map(|(i, (t, spec))| self.output(t, spec, i, rows))
            .collect()
    }

    /// The first `rows` rows of tapped output `index` (of the plan's batch), reduced to
    /// `rows x width` values by [`reduce`] (feature maps by the conv tap, token sequences by the
    /// token pool).
    fn output(
        &self,
        t: &TractTensor,
        spec: &LayerSpec,
        index: usize,
        rows: usize,
    ) -> Result<(Vec<f32>, usize)> {
        let cast;
        let t = if t.datum_type() == f32::datum_type() {
            t
        } else {
            cast = t.cast_to::<f32>().map_err(|e| self.onnx_err(e))?;
            &*cast
        };
        let dims = t.shape();
        let view = t
            .to_plain_array_view::<f32>()
            .map_err(|e| self.onnx_err(e))?;
        let copied: Vec<f32>;
        let values = match view.as_slice() {
            Some(values) => values,
            None => {
                copied = view.iter().copied().collect();
                &copied
            }
        };
        if dims.first() != Some(&self.plan.batch) {
            return Err(ActivationsError::OutputShape {
                layer: spec.name.clone(),
                shape: dims.to_vec(),
                expected_rows: self.plan.batch,
                expected_width: None,
            });
        }
        let width: usize = dims[1..].iter().product();
        let kept = values
            .get(..rows * width)
            .ok_or_else(|| ActivationsError::OutputShape {
                layer: spec.name.clone(),
                shape: dims.to_vec(),
                expected_rows: rows,
                expected_width: Some(width),
            })?;
        let mut kept_dims = dims.to_vec();
        kept_dims[0] = rows;
        Ok(reduce(
            &kept_dims,
            kept,
            self.layouts.get(index).copied().unwrap_or(Layout::Tokens),
            self.conv_tap,
            self.token_pool,
        ))
    }
}

impl LayerModel for OnnxModel {
    fn device(&self) -> &Device {
        &self.device
    }

    fn input_dim(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// The graph input's sample shape when it has more than one axis that is not 1 (an image
    /// `c x h x w`, a sequence `t x d`); `None` for a flat input (`784`, `1 x 784`), which
    /// takes rows of any layout of that width.
    fn input_shape(&self) -> Option<Vec<usize>> {
        (self.input_shape.iter().filter(|&&d| d != 1).count() >= 2)
            .then(|| self.input_shape.clone())
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
