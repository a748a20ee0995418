//! The multi-layer perceptron: seeded construction and one forward pass that returns every layer.

use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::MlpConfig;
use crate::dense::dense;
use crate::error::{ModelError, Result};

/// A fully connected classifier `input_dim -> hidden.. -> n_classes` whose hidden layers are
/// all visible.
///
/// Every layer is a candle-nn [`Linear`] whose weight and bias are variables of one
/// [`VarMap`], named `h1.weight`, `h1.bias`, .., `out.weight`, `out.bias` (weights are
/// `out x in`, as in candle and PyTorch). [`Mlp::new`] draws the initial weights from a seeded
/// `ChaCha8Rng`, Glorot (Xavier) uniform like Keras' `Dense` default: each weight uniform in
/// `[-l, l)` with `l = sqrt(6 / (fan_in + fan_out))`, drawn layer by layer in row-major
/// `out x in` order; biases start at zero.
///
/// The model does not implement `Clone`: its variables are shared handles, so a shallow clone
/// would train both copies at once. Save and load to duplicate one.
pub struct Mlp {
    pub(crate) config: MlpConfig,
    pub(crate) device: Device,
    pub(crate) varmap: VarMap,
    pub(crate) layers: Vec<Linear>,
}

impl std::fmt::Debug for Mlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mlp")
            .field("config", &self.config)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// Everything one forward pass computes.
#[derive(Debug, Clone)]
pub struct ForwardPass {
    /// Post-activation output of each hidden layer, first to last (`batch x hidden[i]`).
    pub hidden: Vec<Tensor>,
    /// Output layer before softmax (`batch x n_classes`).
    pub logits: Tensor,
    /// Softmax of the logits (`batch x n_classes`).
    pub probs: Tensor,
}

impl Mlp {
    /// A freshly initialised network (Glorot-uniform weights from `ChaCha8Rng::seed_from_u64(seed)`,
    /// zero biases) on `device`.
    ///
    /// The same seed gives bit-identical weights on every run and machine.
    ///
    /// # Errors
    /// The [`MlpConfig::check`] errors; candle's errors if the device cannot allocate.
    pub fn new(config: MlpConfig, seed: u64, device: &Device) -> Result<Self> {
        config.check()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut init = Vec::new();
        for (name, w) in config
            .param_layer_names()
            .iter()
            .zip(config.widths().windows(2))
        {
            let (fan_in, fan_out) = (w[0], w[1]);
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
            let weights: Vec<f32> = (0..fan_in * fan_out)
                .map(|_| rng.random_range(-limit..limit))
                .collect();
            init.push((
                format!("{name}.weight"),
                Tensor::from_vec(weights, (fan_out, fan_in), device)?,
            ));
            init.push((
                format!("{name}.bias"),
                Tensor::zeros(fan_out, DType::F32, device)?,
            ));
        }
        Self::from_tensors(config, device, init.into_iter())
    }

    /// Builds the model and its variables from named tensors of the right shapes.
    pub(crate) fn from_tensors(
        config: MlpConfig,
        device: &Device,
        tensors: impl Iterator<Item = (String, Tensor)>,
    ) -> Result<Self> {
        let mut varmap = VarMap::new();
        let init = candle_nn::Init::Const(0.0);
        let mut layers = Vec::new();
        for (name, w) in config
            .param_layer_names()
            .iter()
            .zip(config.widths().windows(2))
        {
            let weight = varmap.get(
                (w[1], w[0]),
                &format!("{name}.weight"),
                init,
                DType::F32,
                device,
            )?;
            let bias = varmap.get(w[1], &format!("{name}.bias"), init, DType::F32, device)?;
            layers.push(Linear::new(weight, Some(bias)));
        }
        // The layers share their variables' storage: setting a variable sets its layer.
        for (name, t) in tensors {
            varmap.set_one(&name, &t)?;
        }
        Ok(Self {
            config,
            device: device.clone(),
            varmap,
            layers,
        })
    }

    /// The configuration the model was built from.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// The device holding the weights.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Names of the hidden layers, 1-based: `["h1", "h2"]` for two hidden layers.
    pub fn layer_names(&self) -> Vec<String> {
        self.config.layer_names()
    }

    /// The variables (weights and biases), e.g. for an optimizer of your own or for saving.
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// The dense layers, hidden layers first, output layer last.
    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }

    /// Checks that `x` is a `batch x input_dim` matrix on this model's terms.
    fn check_input(&self, x: &Tensor) -> Result<()> {
        match *x.dims() {
            [_, d] if d == self.config.input_dim => Ok(()),
            [_, d] => Err(ModelError::WidthMismatch {
                expected: self.config.input_dim,
                found: d,
            }),
            _ => Err(ModelError::NotAMatrix {
                shape: x.dims().to_vec(),
            }),
        }
    }

    /// Runs the hidden layers, returning each post-activation output, and the logits.
    fn run(&self, x: &Tensor, keep_hidden: bool) -> Result<(Vec<Tensor>, Tensor)> {
        self.check_input(x)?;
        let (out_layer, hidden_layers) =
            self.layers.split_last().ok_or(ModelError::ZeroInputDim)?;
        let mut hidden = Vec::with_capacity(if keep_hidden { hidden_layers.len() } else { 0 });
        let mut h = x.clone();
        for layer in hidden_layers {
            h = dense(&h, layer, Some(self.config.activation))?;
            if keep_hidden {
                hidden.push(h.clone());
            }
        }
        let logits = dense(&h, out_layer, None)?;
        Ok((hidden, logits))
    }

    /// The logits (`batch x n_classes`, before softmax) for a `batch x input_dim` tensor.
    ///
    /// Gradients flow through it (it is what training differentiates). Inputs are not scanned
    /// for NaN here; the [`Dataset`](mtq_data::Dataset) methods do that.
    ///
    /// # Errors
    /// [`ModelError::NotAMatrix`], [`ModelError::WidthMismatch`]; candle's errors.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.run(x, false)?.1)
    }

    /// One forward pass returning every hidden layer's post-activation output, the logits and
    /// the softmax probabilities.
    ///
    /// # Errors
    /// As [`Mlp::forward`].
    pub fn forward_all(&self, x: &Tensor) -> Result<ForwardPass> {
        let (hidden, logits) = self.run(x, true)?;
        let probs = candle_nn::ops::softmax_last_dim(&logits)?;
        Ok(ForwardPass {
            hidden,
            logits,
            probs,
        })
    }
}

impl crate::train::Network for Mlp {
    fn device(&self) -> &Device {
        &self.device
    }

    fn input_dim(&self) -> usize {
        self.config.input_dim
    }

    fn n_classes(&self) -> usize {
        self.config.n_classes
    }

    fn layer_names(&self) -> Vec<String> {
        Mlp::layer_names(self)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Mlp::forward(self, x)
    }

    fn forward_all(&self, x: &Tensor) -> Result<ForwardPass> {
        Mlp::forward_all(self, x)
    }

    /// `h1, .., out`.
    fn parameters(&self) -> Vec<(String, &Linear)> {
        self.config
            .param_layer_names()
            .into_iter()
            .zip(&self.layers)
            .collect()
    }

    /// 4,096 rows.
    fn inference_batch(&self) -> usize {
        crate::eval::INFERENCE_BATCH
    }
}

impl candle_nn::Module for Mlp {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        Mlp::forward(self, xs).map_err(|e| match e {
            ModelError::Candle(c) => c,
            other => candle_core::Error::Msg(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(m: &Mlp) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::new();
        for l in m.layers() {
            out.push(l.weight().flatten_all()?.to_vec1::<f32>()?);
            if let Some(b) = l.bias() {
                out.push(b.to_vec1::<f32>()?);
            }
        }
        Ok(out)
    }

    #[test]
    fn seeded_glorot_init() -> Result<()> {
        let cfg = MlpConfig::new(784, [32, 64], 2);
        let a = Mlp::new(cfg.clone(), 7, &Device::Cpu)?;
        let b = Mlp::new(cfg.clone(), 7, &Device::Cpu)?;
        let c = Mlp::new(cfg, 8, &Device::Cpu)?;
        let (wa, wb, wc) = (weights(&a)?, weights(&b)?, weights(&c)?);
        assert_eq!(wa, wb);
        assert_ne!(wa, wc);
        // layer shapes, zero biases, Glorot bounds and a spread that fills them
        assert_eq!(a.layers()[0].weight().dims(), &[32, 784]);
        assert_eq!(a.layers()[2].weight().dims(), &[2, 64]);
        for (i, (fan_in, fan_out)) in [(784usize, 32usize), (32, 64), (64, 2)]
            .into_iter()
            .enumerate()
        {
            let w = &wa[2 * i];
            let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
            assert!(w.iter().all(|v| v.abs() <= limit));
            let max = w.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(
                max > 0.9 * limit,
                "layer {i}: max |w| {max} vs limit {limit}"
            );
            assert!(wa[2 * i + 1].iter().all(|&b| b == 0.0));
        }
        Ok(())
    }

    #[test]
    fn forward_all_shapes_and_probabilities() -> Result<()> {
        let m = Mlp::new(MlpConfig::new(5, [4, 3], 3), 0, &Device::Cpu)?;
        let x = Tensor::from_vec(
            (0..10).map(|i| i as f32 / 10.0).collect::<Vec<_>>(),
            (2, 5),
            &Device::Cpu,
        )?;
        let pass = m.forward_all(&x)?;
        assert_eq!(pass.hidden.len(), 2);
        assert_eq!(pass.hidden[0].dims(), &[2, 4]);
        assert_eq!(pass.hidden[1].dims(), &[2, 3]);
        assert_eq!(pass.logits.dims(), &[2, 3]);
        // ReLU outputs are non-negative; probabilities sum to one; forward == forward_all logits
        assert!(pass.hidden.iter().all(|h| {
            h.min_all()
                .and_then(|v| v.to_scalar::<f32>())
                .is_ok_and(|v| v >= 0.0)
        }));
        for row in pass.probs.to_vec2::<f32>()? {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        assert_eq!(
            m.forward(&x)?.to_vec2::<f32>()?,
            pass.logits.to_vec2::<f32>()?
        );
        assert_eq!(m.layer_names(), vec!["h1", "h2"]);
        Ok(())
    }

    #[test]
    fn forward_rejects_bad_shapes() -> Result<()> {
        let m = Mlp::new(MlpConfig::new(5, [4], 2), 0, &Device::Cpu)?;
        let wide = Tensor::zeros((2, 6), DType::F32, &Device::Cpu)?;
        assert!(matches!(
            m.forward(&wide),
            Err(ModelError::WidthMismatch {
                expected: 5,
                found: 6
            })
        ));
        let flat = Tensor::zeros(5, DType::F32, &Device::Cpu)?;
        assert!(matches!(
            m.forward_all(&flat),
            Err(ModelError::NotAMatrix { .. })
        ));
        Ok(())
    }

    #[test]
    fn empty_and_strided_batches() -> Result<()> {
        let m = Mlp::new(MlpConfig::new(5, [4], 3), 0, &Device::Cpu)?;
        let empty = Tensor::zeros((0, 5), DType::F32, &Device::Cpu)?;
        let pass = m.forward_all(&empty)?;
        assert_eq!(pass.hidden[0].dims(), &[0, 4]);
        assert_eq!(pass.probs.dims(), &[0, 3]);
        // a transposed (non-contiguous) input gives the same logits as its contiguous copy
        let xt = Tensor::from_vec(
            (0..15).map(|i| i as f32 * 0.1).collect::<Vec<_>>(),
            (5, 3),
            &Device::Cpu,
        )?
        .t()?;
        assert!(!xt.is_contiguous());
        let a = m.forward(&xt)?.to_vec2::<f32>()?;
        let b = m.forward(&xt.contiguous()?)?.to_vec2::<f32>()?;
        assert_eq!(a, b);
        Ok(())
    }

    #[test]
    fn model_and_results_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Mlp>();
        send_sync::<ForwardPass>();
        send_sync::<crate::History>();
        send_sync::<crate::Evaluation>();
        send_sync::<ModelError>();
    }

    #[test]
    fn bad_config_is_rejected_by_new() {
        let r = Mlp::new(MlpConfig::new(3, [2], 1), 0, &Device::Cpu);
        assert!(matches!(r, Err(ModelError::TooFewClasses { n_classes: 1 })));
    }
}
