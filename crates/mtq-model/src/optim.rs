//! Adam and SGD with momentum over the model's variables, in a fixed (layer) order.
//!
//! On CPU each variable is updated by one fused, in-place pass ([`FusedStep`], a candle
//! `InplaceOp2`) over its values, gradient and moments; candle's tensor operations would
//! take about a dozen passes, each allocating a new tensor. Other devices use tensor
//! operations. Both compute the same formulas in the same order for every element, so the
//! result does not depend on the thread count.

use std::cell::RefCell;

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, Layout, Tensor, Var};

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// The update rule and its coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Adam (Kingma & Ba), as Keras' `Adam`.
    Adam {
        /// Learning rate (Keras default 1e-3).
        lr: f64,
        /// Decay of the first moment, in `[0, 1)` (default 0.9).
        beta1: f64,
        /// Decay of the second moment, in `[0, 1)` (default 0.999).
        beta2: f64,
        /// Added to the root of the second moment, `> 0` (Keras default 1e-7).
        eps: f64,
    },
    /// Stochastic gradient descent with (heavy-ball) momentum, as Keras' `SGD`.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum in `[0, 1)`; 0 is plain SGD.
        momentum: f64,
    },
}

impl Optimizer {
    /// Adam with learning rate `lr` and Keras' other defaults (0.9, 0.999, 1e-7).
    pub fn adam(lr: f64) -> Self {
        Self::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
        }
    }

    /// SGD with learning rate `lr` and `momentum`.
    pub fn sgd(lr: f64, momentum: f64) -> Self {
        Self::Sgd { lr, momentum }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            Self::Adam { lr, .. } | Self::Sgd { lr, .. } => lr,
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        let lr = self.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(ModelError::InvalidLearningRate { lr });
        }
        let unit = |name, value: f64| {
            if (0.0..1.0).contains(&value) {
                Ok(())
            } else {
                Err(ModelError::InvalidOptimizerParam {
                    name,
                    value,
                    range: "[0, 1)",
                })
            }
        };
        match *self {
            Self::Adam {
                beta1, beta2, eps, ..
            } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                if !(eps.is_finite() && eps > 0.0) {
                    return Err(ModelError::InvalidOptimizerParam {
                        name: "eps",
                        value: eps,
                        range: "(0, inf)",
                    });
                }
                Ok(())
            }
            Self::Sgd { momentum, .. } => unit("momentum", momentum),
        }
    }
}

impl Default for Optimizer {
    /// `Optimizer::adam(1e-3)`.
    fn default() -> Self {
        Self::adam(1e-3)
    }
}

/// Optimizer state of one variable.
enum State {
    /// CPU: moments as plain vectors (Adam: first and second moment; SGD: velocity, unused).
    Cpu { m: Vec<f32>, v: Vec<f32> },
    /// Any other device: moments as tensors.
    Tensors { m: Tensor, v: Tensor },
}

struct Slot {
    var: Var,
    state: State,
}

/// A running optimizer: its settings, step count and one state slot per variable.
pub(crate) struct OptimState {
    kind: Optimizer,
    step: i32,
    slots: Vec<Slot>,
}

impl OptimState {
    /// Zero state for `vars` (taken in the given order).
    pub(crate) fn new(kind: Optimizer, vars: Vec<Var>) -> Result<Self> {
        let slots = vars
            .into_iter()
            .map(|var| {
                let t = var.as_tensor();
                let state = if t.device().is_cpu() && t.dtype() == candle_core::DType::F32 {
                    let n = t.elem_count();
                    State::Cpu {
                        m: vec![0.0; n],
                        v: vec![0.0; n],
                    }
                } else {
                    State::Tensors {
                        m: t.zeros_like()?,
                        v: t.zeros_like()?,
                    }
                };
                Ok(Slot { var, state })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            kind,
            step: 0,
            slots,
        })
    }

    /// Applies one update from the gradients of a loss.
    pub(crate) fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step = self.step.saturating_add(1);
        for slot in &mut self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            match &mut slot.state {
                State::Cpu { m, v } => {
                    let op = FusedStep {
                        kind: self.kind,
                        step: self.step,
                        moments: RefCell::new((m.as_mut_slice(), v.as_mut_slice())),
                    };
                    slot.var.as_tensor().inplace_op2(&g.contiguous()?, &op)?;
                }
                State::Tensors { m, v } => tensor_step(self.kind, self.step, &slot.var, g, m, v)?,
            }
        }
        Ok(())
    }
}

/// One update with candle tensor operations (any device).
fn tensor_step(
    kind: Optimizer,
    step: i32,
    var: &Var,
    g: &Tensor,
    m: &mut Tensor,
    v: &mut Tensor,
) -> Result<()> {
    match kind {
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => {
            // Kingma & Ba, as Keras: bias-corrected moments, eps outside the square root.
            let m_new = ((&*m * beta1)? + (g * (1.0 - beta1))?)?;
            let v_new = ((&*v * beta2)? + (g.sqr()? * (1.0 - beta2))?)?;
            let m_hat = (&m_new * (1.0 / (1.0 - beta1.powi(step))))?;
            let v_hat = (&v_new * (1.0 / (1.0 - beta2.powi(step))))?;
            let update = ((m_hat / (v_hat.sqrt()? + eps)?)? * lr)?;
            var.set(&(var.as_tensor() - update)?)?;
            *m = m_new;
            *v = v_new;
        }
        Optimizer::Sgd { lr, momentum } => {
            // Keras: velocity = momentum * velocity - lr * g; w += velocity.
            let vel = ((&*m * momentum)? - (g * lr)?)?;
            var.set(&(var.as_tensor() + &vel)?)?;
            *m = vel;
        }
    }
    Ok(())
}

/// The in-place CPU update of one f32 variable from its gradient.
struct FusedStep<'a> {
    kind: Optimizer,
    step: i32,
    moments: RefCell<(&'a mut [f32], &'a mut [f32])>,
}

fn contiguous<'s>(data: &'s [f32], l: &Layout) -> candle_core::Result<&'s [f32]> {
    l.contiguous_offsets()
        .and_then(|(a, b)| data.get(a..b))
        .ok_or_else(|| candle_core::Error::Msg(format!("mtq optimizer: non-contiguous {l:?}")))
}

impl candle_core::InplaceOp2 for FusedStep<'_> {
    fn name(&self) -> &'static str {
        "mtq_fused_optimizer_step"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        let (CpuStorage::F32(w), CpuStorage::F32(g)) = (s1, s2) else {
            candle_core::bail!("mtq optimizer: f32 variables and gradients only")
        };
        let g = contiguous(g, l2)?;
        let (a, b) = l1.contiguous_offsets().ok_or_else(|| {
            candle_core::Error::Msg(format!("mtq optimizer: non-contiguous {l1:?}"))
        })?;
        let w = w.get_mut(a..b).unwrap_or_default();
        let mut moments = self.moments.borrow_mut();
        let (m, v) = &mut *moments;
        if w.len() != g.len() || m.len() != w.len() || v.len() != w.len() {
            candle_core::bail!("mtq optimizer: {} values, {} gradients", w.len(), g.len())
        }
        match self.kind {
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                let (b1, b2) = (beta1 as f32, beta2 as f32);
                let c1 = (1.0 / (1.0 - beta1.powi(self.step))) as f32;
                let c2 = (1.0 / (1.0 - beta2.powi(self.step))) as f32;
                let (lr, eps) = (lr as f32, eps as f32);
                for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * (g * g);
                    *w -= lr * (*m * c1) / ((*v * c2).sqrt() + eps);
                }
            }
            Optimizer::Sgd { lr, momentum } => {
                let (lr, mu) = (lr as f32, momentum as f32);
                for ((w, &g), m) in w.iter_mut().zip(g).zip(m.iter_mut()) {
                    *m = mu * *m - lr * g;
                    *w += *m;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// The fused CPU step and the tensor-operation step agree.
    #[test]
    fn fused_matches_tensor_ops() -> Result<()> {
        for kind in [Optimizer::adam(0.01), Optimizer::sgd(0.05, 0.9)] {
            let init: Vec<f32> = (0..12).map(|i| (i as f32 * 0.7).sin()).collect();
            let a = Var::from_vec(init.clone(), (3, 4), &Device::Cpu)?;
            let b = Var::from_vec(init, (3, 4), &Device::Cpu)?;
            let mut fused = OptimState::new(kind, vec![a.clone()])?;
            let mut plain = OptimState::new(kind, vec![b.clone()])?;
            let (m, v) = (b.as_tensor().zeros_like()?, b.as_tensor().zeros_like()?);
            plain.slots[0].state = State::Tensors { m, v };
            for _ in 0..3 {
                fused.step(&a.as_tensor().sqr()?.sum_all()?.backward()?)?;
                plain.step(&b.as_tensor().sqr()?.sum_all()?.backward()?)?;
            }
            let (fa, fb) = (
                a.flatten_all()?.to_vec1::<f32>()?,
                b.flatten_all()?.to_vec1::<f32>()?,
            );
            for (x, y) in fa.iter().zip(&fb) {
                assert!((x - y).abs() < 1e-5, "{kind:?}: {x} vs {y}");
            }
            assert_ne!(
                fa,
                (0..12).map(|i| (i as f32 * 0.7).sin()).collect::<Vec<_>>()
            );
        }
        Ok(())
    }
}
