//! Adam and SGD with momentum over the model's variables, in a fixed (layer) order.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::Result;
use crate::train::Optimizer;

/// Per-variable optimizer state.
struct Slot {
    var: Var,
    /// Adam: first moment; SGD: velocity.
    m: Tensor,
    /// Adam: second moment; unused by SGD.
    v: Tensor,
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
                let m = var.as_tensor().zeros_like()?;
                let v = var.as_tensor().zeros_like()?;
                Ok(Slot { var, m, v })
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
            match self.kind {
                Optimizer::Adam {
                    lr,
                    beta1,
                    beta2,
                    eps,
                } => {
                    // Keras / Kingma & Ba: bias-corrected moments, eps outside the square root.
                    let m = ((&slot.m * beta1)? + (g * (1.0 - beta1))?)?;
                    let v = ((&slot.v * beta2)? + (g.sqr()? * (1.0 - beta2))?)?;
                    let m_hat = (&m * (1.0 / (1.0 - beta1.powi(self.step))))?;
                    let v_hat = (&v * (1.0 / (1.0 - beta2.powi(self.step))))?;
                    let update = ((m_hat / (v_hat.sqrt()? + eps)?)? * lr)?;
                    slot.var.set(&(slot.var.as_tensor() - update)?)?;
                    slot.m = m;
                    slot.v = v;
                }
                Optimizer::Sgd { lr, momentum } => {
                    // Keras: velocity = momentum * velocity - lr * g; w += velocity.
                    let vel = ((&slot.m * momentum)? - (g * lr)?)?;
                    slot.var.set(&(slot.var.as_tensor() + &vel)?)?;
                    slot.m = vel;
                }
            }
        }
        Ok(())
    }
}
