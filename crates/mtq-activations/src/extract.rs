//! Batched extraction of a [`LayerModel`]'s layer outputs into an [`Activations`] set.

use candle_core::{CpuStorage, DType, Storage, Tensor};
use mtq_data::Dataset;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, Slice};
use rayon::prelude::*;

use crate::activations::{Activations, Layer, check_finite};
use crate::error::{ActivationsError, Result};
use crate::layer::{LayerKind, LayerSpec};
use crate::model::LayerModel;

/// How to extract activations: batch size and which layers; checked when extracting.
///
/// Defaults (from [`ExtractParams::new`]): every hidden layer, the probabilities but not the
/// logits (the reference study clusters the softmax output), finiteness checked.
///
/// ```
/// # use mtq_activations::{ExtractParams, LayerKind};
/// # use mtq_model::{Mlp, MlpConfig};
/// # use mtq_data::Dataset;
/// # use candle_core::Device;
/// # use ndarray::{Array1, Array2};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mlp = Mlp::new(MlpConfig::new(6, [5, 4], 3), 0, &Device::Cpu)?;
/// let data = Dataset::new(Array2::from_elem((10, 6), 0.5), Array1::from_elem(10, 1))?;
/// let acts = ExtractParams::new(4)
///     .layers(["h2"])
///     .logits(true)
///     .probabilities(false)
///     .extract(&mlp, &data)?;
/// assert_eq!(acts.layer_names(), ["h2", "logits"]);
/// assert_eq!(acts.layers()[1].kind(), LayerKind::Logits);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractParams {
    batch_size: usize,
    layers: Option<Vec<String>>,
    logits: bool,
    probabilities: bool,
    check_finite: bool,
    parallel: bool,
}

impl ExtractParams {
    /// Extraction in batches of `batch_size` rows (checked at extraction: must be at least 1).
    ///
    /// On the CPU, 256 is a good choice. Keep `batch_size x widest layer` below 65,536: candle
    /// 0.11 runs element-wise operations on larger tensors on its own spinning thread pool,
    /// which made extraction of the 784-32-64-2 network 4x slower at batch 1024 on a busy
    /// 2-core machine.
    ///
    /// Defaults: all hidden layers, `logits(false)`, `probabilities(true)`,
    /// `check_finite(true)`, `parallel(true)`.
    pub fn new(batch_size: usize) -> Self {
        Self {
            batch_size,
            layers: None,
            logits: false,
            probabilities: true,
            check_finite: true,
            parallel: true,
        }
    }

    /// Keeps only the named layers (hidden or output layers, by the names the model gives),
    /// in the model's order; the output flags below may add the logits or probabilities.
    #[must_use]
    pub fn layers<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.layers = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Also keep the logits (output layer before softmax), if the model has them. Default `false`.
    #[must_use]
    pub fn logits(mut self, yes: bool) -> Self {
        self.logits = yes;
        self
    }

    /// Also keep the class probabilities, if the model has them. Default `true`.
    #[must_use]
    pub fn probabilities(mut self, yes: bool) -> Self {
        self.probabilities = yes;
        self
    }

    /// Scan every activation for NaN and infinity (default `true`). Turning it off saves one
    /// pass over the outputs but lets non-finite values through to the clustering.
    #[must_use]
    pub fn check_finite(mut self, yes: bool) -> Self {
        self.check_finite = yes;
        self
    }

    /// Run batches on rayon's global thread pool (default `true`). Results are identical
    /// either way (batch boundaries do not depend on the thread count); sequential runs keep one
    /// batch in flight instead of one per thread.
    #[must_use]
    pub fn parallel(mut self, yes: bool) -> Self {
        self.parallel = yes;
        self
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Positions (in the model's output list) of the layers to keep.
    fn select(&self, specs: &[LayerSpec]) -> Result<Vec<usize>> {
        for (i, spec) in specs.iter().enumerate() {
            if specs[..i].iter().any(|s| s.name == spec.name) {
                return Err(ActivationsError::DuplicateLayer {
                    name: spec.name.clone(),
                });
            }
        }
        if let Some(names) = &self.layers {
            for name in names {
                if !specs.iter().any(|s| &s.name == name) {
                    return Err(ActivationsError::UnknownLayer {
                        name: name.clone(),
                        available: specs.iter().map(|s| s.name.clone()).collect(),
                    });
                }
            }
        }
        let keep: Vec<usize> = specs
            .iter()
            .enumerate()
            .filter(|(_, spec)| {
                let named = match &self.layers {
                    Some(names) => names.contains(&spec.name),
                    None => spec.kind == LayerKind::Hidden,
                };
                named
                    || (spec.kind == LayerKind::Logits && self.logits)
                    || (spec.kind == LayerKind::Probabilities && self.probabilities)
            })
            .map(|(i, _)| i)
            .collect();
        if keep.is_empty() {
            return Err(ActivationsError::NoLayers);
        }
        Ok(keep)
    }

    /// Copies one batch's outputs into their destination row blocks and checks them.
    fn store(
        &self,
        specs: &[LayerSpec],
        keep: &[usize],
        outs: &[Tensor],
        dest: Vec<ArrayViewMut2<'_, f32>>,
        ids: ArrayView1<'_, usize>,
        start: usize,
    ) -> Result<()> {
        for ((t, mut rows), &k) in outs.iter().zip(dest).zip(keep) {
            with_f32_slice(t, |values| match rows.as_slice_mut() {
                // a row range of a standard-layout matrix is one contiguous block
                Some(d) if d.len() == values.len() => d.copy_from_slice(values),
                _ => rows.iter_mut().zip(values).for_each(|(d, &v)| *d = v),
            })?;
            if self.check_finite {
                check_finite(&specs[k].name, rows.view(), ids, start)?;
            }
        }
        Ok(())
    }

    /// Runs `model` over `data` in batches and collects the chosen layers' outputs, with the
    /// data's labels and ids.
    ///
    /// The first batch runs alone and fixes the layer widths; the outputs are then allocated
    /// once and every batch's outputs are written straight into their rows, so peak memory is
    /// about the outputs plus one batch per worker thread (its input copy and the model's
    /// intermediate tensors). The remaining batches run on rayon's global pool (see
    /// [`ExtractParams::parallel`]); the result does not depend on the thread count, and
    /// depends on the batch size only through floating-point summation order inside the model.
    ///
    /// # Errors
    /// [`ActivationsError::ZeroBatchSize`], [`ActivationsError::EmptyData`],
    /// [`ActivationsError::WidthMismatch`] (data width vs [`LayerModel::input_dim`]),
    /// [`ActivationsError::UnknownLayer`], [`ActivationsError::DuplicateLayer`] (model names),
    /// [`ActivationsError::NoLayers`] (nothing selected), [`ActivationsError::OutputCount`] and
    /// [`ActivationsError::OutputShape`] (a model returning the wrong tensors),
    /// [`ActivationsError::NonFinite`] (a NaN or infinite activation, with layer, sample and
    /// unit), and the model's own errors.
    pub fn extract<M: LayerModel + Sync + ?Sized>(
        &self,
        model: &M,
        data: &Dataset,
    ) -> Result<Activations> {
        self.extract_arrays(model, data.features(), data.labels(), data.ids())
    }

    /// As [`ExtractParams::extract`], for features, labels and ids held outside a [`Dataset`].
    ///
    /// # Errors
    /// As [`ExtractParams::extract`], plus [`ActivationsError::LengthMismatch`] if `labels` or
    /// `ids` do not have one entry per row of `features`.
    pub fn extract_arrays<M: LayerModel + Sync + ?Sized>(
        &self,
        model: &M,
        features: ArrayView2<'_, f32>,
        labels: ArrayView1<'_, usize>,
        ids: ArrayView1<'_, usize>,
    ) -> Result<Activations> {
        if self.batch_size == 0 {
            return Err(ActivationsError::ZeroBatchSize);
        }
        let (n, width) = features.dim();
        for (what, len) in [("labels", labels.len()), ("ids", ids.len())] {
            if len != n {
                return Err(ActivationsError::LengthMismatch {
                    what: what.into(),
                    expected: n,
                    found: len,
                });
            }
        }
        if n == 0 {
            return Err(ActivationsError::EmptyData);
        }
        if width != model.input_dim() {
            return Err(ActivationsError::WidthMismatch {
                expected: model.input_dim(),
                found: width,
            });
        }
        let specs = model.layers();
        let keep = self.select(&specs)?;
        let batch_size = self.batch_size;
        // The first batch runs alone: it tells the widths, so the outputs can be allocated once.
        let first_end = batch_size.min(n);
        let first = run_batch(model, &specs, &keep, features, 0..first_end, None)?;
        let mut outputs: Vec<Array2<f32>> = first
            .iter()
            .map(|t| Array2::zeros((n, t.dims()[1])))
            .collect();
        let widths: Vec<usize> = outputs.iter().map(Array2::ncols).collect();
        // One list of destination row blocks per batch, one block per kept layer.
        let mut blocks: Vec<Vec<ArrayViewMut2<'_, f32>>> = (0..n.div_ceil(batch_size))
            .map(|_| Vec::with_capacity(keep.len()))
            .collect();
        for out in &mut outputs {
            for (b, block) in out.axis_chunks_iter_mut(Axis(0), batch_size).enumerate() {
                blocks[b].push(block);
            }
        }
        let mut blocks = blocks.into_iter();
        if let Some(dest) = blocks.next() {
            self.store(&specs, &keep, &first, dest, ids, 0)?;
        }
        drop(first);
        let batch = |(b, dest): (usize, Vec<ArrayViewMut2<'_, f32>>)| -> Result<()> {
            let start = (b + 1) * batch_size;
            let end = (start + batch_size).min(n);
            let outs = run_batch(model, &specs, &keep, features, start..end, Some(&widths))?;
            self.store(&specs, &keep, &outs, dest, ids, start)
        };
        // Batches are independent and fixed by `batch_size`, so the result does not depend on
        // the thread count; the first error in batch order is reported (the parallel run
        // finishes every batch to know which error comes first).
        if self.parallel {
            let results: Vec<Result<()>> = blocks
                .enumerate()
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(batch)
                .collect();
            results.into_iter().collect::<Result<()>>()?;
        } else {
            blocks.enumerate().try_for_each(batch)?;
        }
        let layers = keep
            .iter()
            .zip(outputs)
            .map(|(&k, values)| {
                Layer::new(specs[k].name.clone(), values)
                    .with_index(k)
                    .with_kind(specs[k].kind)
            })
            .collect();
        Ok(Activations::from_checked(
            layers,
            labels.to_owned(),
            ids.to_owned(),
        ))
    }
}

/// Runs one batch (`rows` of `features`) and returns the kept outputs as `rows x width`
/// matrices, checked against `widths` when known.
fn run_batch<M: LayerModel + ?Sized>(
    model: &M,
    specs: &[LayerSpec],
    keep: &[usize],
    features: ArrayView2<'_, f32>,
    rows: std::ops::Range<usize>,
    widths: Option<&[usize]>,
) -> Result<Vec<Tensor>> {
    let n_rows = rows.len();
    let x = mtq_model::array_to_tensor(
        features.slice_axis(Axis(0), Slice::from(rows)),
        model.device(),
    )?;
    let outs = model.forward_layers(&x)?;
    drop(x);
    if outs.len() != specs.len() {
        return Err(ActivationsError::OutputCount {
            expected: specs.len(),
            found: outs.len(),
        });
    }
    keep.iter()
        .enumerate()
        .map(|(slot, &k)| {
            let width = widths.and_then(|w| w.get(slot).copied());
            as_matrix(&outs[k], &specs[k].name, n_rows, width)
        })
        .collect()
}

/// `t` as a `rows x width` matrix (higher ranks flattened), or an [`ActivationsError::OutputShape`].
fn as_matrix(t: &Tensor, name: &str, rows: usize, width: Option<usize>) -> Result<Tensor> {
    let bad = || ActivationsError::OutputShape {
        layer: name.to_owned(),
        shape: t.dims().to_vec(),
        expected_rows: rows,
        expected_width: width,
    };
    let t = match t.rank() {
        2 => t.clone(),
        r if r > 2 => t.flatten_from(1)?,
        _ => return Err(bad()),
    };
    let (r, w) = t.dims2()?;
    if r != rows || width.is_some_and(|expected| expected != w) {
        return Err(bad());
    }
    Ok(t)
}

/// Calls `f` with the row-major `f32` elements of `t`, without copying when the tensor already is
/// a contiguous `f32` CPU tensor.
fn with_f32_slice(t: &Tensor, f: impl FnOnce(&[f32])) -> Result<()> {
    if t.dtype() == DType::F32 {
        let (storage, layout) = t.storage_and_layout();
        if let (Storage::Cpu(CpuStorage::F32(data)), Some((a, b))) =
            (&*storage, layout.contiguous_offsets())
            && let Some(values) = data.get(a..b)
        {
            f(values);
            return Ok(());
        }
    }
    let values = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    f(&values);
    Ok(())
}

/// Extracts every hidden layer and the class probabilities of `model` over `data`, in batches of
/// `batch_size` rows: [`ExtractParams::new(batch_size)`](ExtractParams::new)`.extract(model, data)`.
///
/// # Errors
/// As [`ExtractParams::extract`].
pub fn extract<M: LayerModel + Sync + ?Sized>(
    model: &M,
    data: &Dataset,
    batch_size: usize,
) -> Result<Activations> {
    ExtractParams::new(batch_size).extract(model, data)
}
