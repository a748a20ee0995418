//! The tensors of a monitor's file, taken one by one with their dtype, shape and values
//! checked.

use std::collections::BTreeSet;

use ndarray::Array2;
use safetensors::{Dtype, SafeTensors};

use super::manifest::TailScales;
use super::read::{Errors, Result};
use crate::monitor::{Calibration, Calibrations};

/// The file's tensors, taken one by one by name with their dtype and shape checked; at the
/// end no tensor may be left untaken.
pub(super) struct Tensors<'a, 'p> {
    pub(super) st: SafeTensors<'a>,
    pub(super) taken: BTreeSet<String>,
    pub(super) err: &'p Errors<'p>,
}

impl<'a> Tensors<'a, '_> {
    /// The bytes of tensor `name`, of `dtype`, and its shape; `shape` checks it (`None` in a
    /// slot: any length there).
    pub(super) fn take(
        &mut self,
        name: &str,
        dtype: Dtype,
        shape: &[Option<usize>],
    ) -> Result<&'a [u8]> {
        let view = self
            .st
            .tensor(name)
            .map_err(|_| self.err.damaged(format!("tensor {name} is missing")))?;
        if view.dtype() != dtype {
            return Err(self.err.damaged(format!(
                "tensor {name} is {:?}, expected {dtype:?}",
                view.dtype()
            )));
        }
        let fits = view.shape().len() == shape.len()
            && view
                .shape()
                .iter()
                .zip(shape)
                .all(|(&d, want)| want.is_none_or(|w| w == d));
        if !fits {
            let want: Vec<String> = shape
                .iter()
                .map(|d| d.map_or("any".into(), |d| d.to_string()))
                .collect();
            return Err(self.err.damaged(format!(
                "tensor {name} has shape {:?}, expected [{}]",
                view.shape(),
                want.join(", ")
            )));
        }
        self.taken.insert(name.to_owned());
        Ok(view.data())
    }

    /// An `f32` tensor of `shape` (2-D: rows x columns), every value finite.
    pub(super) fn f32s(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let want: Vec<Option<usize>> = shape.iter().copied().map(Some).collect();
        let t = self.take(name, Dtype::F32, &want)?;
        let values: Vec<f32> = t
            .chunks_exact(4)
            .map(|b| {
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                f32::from_le_bytes(a)
            })
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(self.err.damaged(format!(
                "tensor {name}: value {i} is not finite ({})",
                values[i]
            )));
        }
        Ok(values)
    }

    pub(super) fn f32_matrix(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<Array2<f32>> {
        let values = self.f32s(name, &[rows, cols])?;
        Array2::from_shape_vec((rows, cols), values)
            .map_err(|e| self.err.damaged(format!("tensor {name}: {e}")))
    }

    /// A calibration: an `f64` vector (of `len` values, if given), finite and ascending, with
    /// the manifest's tail scale `tau`.
    pub(super) fn calibration(
        &mut self,
        name: &str,
        len: Option<usize>,
        tau: f64,
    ) -> Result<Calibration> {
        let t = self.take(name, Dtype::F64, &[len])?;
        let scores: Vec<f64> = t
            .chunks_exact(8)
            .map(|b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                f64::from_le_bytes(a)
            })
            .collect();
        if scores.is_empty() {
            return Err(self
                .err
                .damaged(format!("tensor {name}: no calibration score")));
        }
        if let Some(i) = scores.iter().position(|v| !v.is_finite()) {
            return Err(self.err.damaged(format!(
                "tensor {name}: calibration score {i} is not finite ({})",
                scores[i]
            )));
        }
        if let Some(i) = scores.windows(2).position(|w| w[0] > w[1]) {
            return Err(self.err.damaged(format!(
                "tensor {name}: calibration scores not ascending at {}",
                i + 1
            )));
        }
        if !(tau.is_finite() && tau > 0.0) {
            return Err(self.err.damaged(format!(
                "manifest: tail scale {tau} of {name} is not finite and positive"
            )));
        }
        Calibration::from_parts(scores, tau).ok_or_else(|| {
            self.err
                .damaged(format!("tensor {name}: not a calibration"))
        })
    }

    /// One score's calibrations: pooled (`n_calibration` scores) and, for a class-conditional
    /// monitor, one per class the manifest gives a tail scale.
    pub(super) fn calibrations(
        &mut self,
        base: &str,
        tails: &TailScales,
        n_calibration: usize,
        per_class: usize,
    ) -> Result<Calibrations> {
        if tails.by_class.len() != per_class {
            return Err(self.err.damaged(format!(
                "manifest: {} per-class tail scales for {base}, expected {per_class}",
                tails.by_class.len()
            )));
        }
        let pooled = self.calibration(base, Some(n_calibration), tails.pooled)?;
        let by_class = tails
            .by_class
            .iter()
            .enumerate()
            .map(|(c, tau)| {
                tau.map(|tau| self.calibration(&format!("{base}.class.{c}"), None, tau))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        Ok(Calibrations { pooled, by_class })
    }

    /// Fails on the first tensor (by name) nobody took.
    pub(super) fn finish(self) -> Result<()> {
        match self
            .st
            .names()
            .into_iter()
            .filter(|n| !self.taken.contains(*n))
            .min()
        {
            Some(extra) => Err(self.err.damaged(format!("unexpected tensor {extra}"))),
            None => Ok(()),
        }
    }
}
