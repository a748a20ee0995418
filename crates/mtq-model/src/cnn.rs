//! A LeNet-style convolutional network: seeded construction and one forward pass that returns
//! every block.

use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::conv_ops::{Im2Col, MaxPool2, conv_out};
use crate::dense::dense;
use crate::error::{ModelError, Result};
use crate::{Activation, ForwardPass};

/// The shape of a [`Cnn`]: convolution blocks (`k x k` convolution with stride 1, ReLU, 2 x 2
/// max pooling), then dense ReLU layers, then the output layer.
///
/// Input: single-channel `rows x cols` images, given flattened row by row (as
/// [`Dataset`](mtq_data::Dataset) stores them). JSON:
/// `{"rows":28,"cols":28,"filters":[6,16],"kernel":5,"padding":0,"dense":[64],"n_classes":2}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CnnConfig {
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// Number of filters of each convolution block, first to last.
    pub filters: Vec<usize>,
    /// Side of the square convolution kernels.
    pub kernel: usize,
    /// Zero padding on each side of every convolution (`kernel / 2` keeps the size: "same").
    pub padding: usize,
    /// Widths of the dense hidden layers after the last block (flattened).
    pub dense: Vec<usize>,
    /// Number of classes (at least 2).
    pub n_classes: usize,
}

impl CnnConfig {
    /// LeNet-style defaults for `rows x cols` images: two blocks of 6 and 16 filters, one dense
    /// layer of 64. Images of at least 16 x 16 use LeNet-5's 5 x 5 "valid" convolutions
    /// (28 x 28 -> 24 -> 12 -> 8 -> 4: 256 features into the dense layer); smaller ones (the
    /// 8 x 8 UCI digits) use 3 x 3 "same" convolutions (8 -> 8 -> 4 -> 4 -> 2: 64 features).
    ///
    /// On the embedded MNIST 1s and 7s, 10 epochs of Adam 1e-3 with batch 32 give a test
    /// accuracy of 1.0000, 0.9910 and 0.9977 for seeds 0, 1, 2 (mean 0.9962; 5 epochs: 0.9932),
    /// about 3.3 s of CPU per training on one thread (`examples/cnn_ones_vs_sevens.rs`).
    pub fn lenet(rows: usize, cols: usize, n_classes: usize) -> Self {
        let (kernel, padding) = if rows.min(cols) >= 16 { (5, 0) } else { (3, 1) };
        Self {
            rows,
            cols,
            filters: vec![6, 16],
            kernel,
            padding,
            dense: vec![64],
            n_classes,
        }
    }

    /// Width of one flattened input row, `rows * cols`.
    pub fn input_dim(&self) -> usize {
        self.rows * self.cols
    }

    /// `(rows, cols, channels)` after each convolution block (after its pooling).
    pub fn block_shapes(&self) -> Vec<(usize, usize, usize)> {
        let (mut h, mut w) = (self.rows, self.cols);
        let mut out = Vec::with_capacity(self.filters.len());
        for &f in &self.filters {
            h = conv_out(h, self.kernel, self.padding).unwrap_or(0) / 2;
            w = conv_out(w, self.kernel, self.padding).unwrap_or(0) / 2;
            out.push((h, w, f));
        }
        out
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`ModelError::ZeroInputDim`] for an empty image, [`ModelError::CnnKernel`] for a zero
    /// kernel or a zero filter count, [`ModelError::CnnTooSmall`] if a block leaves no pixel,
    /// [`ModelError::ZeroWidth`] for a zero dense width, [`ModelError::TooFewClasses`].
    pub fn check(&self) -> Result<()> {
        if self.rows == 0 || self.cols == 0 {
            return Err(ModelError::ZeroInputDim);
        }
        if self.kernel == 0 || self.filters.contains(&0) {
            return Err(ModelError::CnnKernel {
                kernel: self.kernel,
                filters: self.filters.clone(),
            });
        }
        for (i, (h, w, _)) in self.block_shapes().into_iter().enumerate() {
            if h == 0 || w == 0 {
                return Err(ModelError::CnnTooSmall {
                    block: i + 1,
                    rows: self.rows,
                    cols: self.cols,
                    kernel: self.kernel,
                    padding: self.padding,
                });
            }
        }
        if let Some(i) = self.dense.iter().position(|&w| w == 0) {
            return Err(ModelError::ZeroWidth { layer: i + 1 });
        }
        if self.n_classes < 2 {
            return Err(ModelError::TooFewClasses {
                n_classes: self.n_classes,
            });
        }
        Ok(())
    }

    /// Names of the hidden outputs: `conv1, conv2, .., fc1, fc2, ..`.
    pub fn layer_names(&self) -> Vec<String> {
        let conv = (1..=self.filters.len()).map(|i| format!("conv{i}"));
        conv.chain((1..=self.dense.len()).map(|i| format!("fc{i}")))
            .collect()
    }

    /// Width of the flattened last block (the first dense layer's input).
    fn flat_width(&self) -> usize {
        self.block_shapes()
            .last()
            .map_or(self.input_dim(), |&(h, w, c)| h * w * c)
    }

    /// `(name, out, in)` of every weight matrix: convolutions as `filters x (k·k·c_in)`, then
    /// the dense layers and `out`.
    pub(crate) fn weight_shapes(&self) -> Vec<(String, usize, usize)> {
        let mut shapes = Vec::new();
        let mut c_in = 1;
        for (i, &f) in self.filters.iter().enumerate() {
            shapes.push((
                format!("conv{}", i + 1),
                f,
                self.kernel * self.kernel * c_in,
            ));
            c_in = f;
        }
        let mut width = self.flat_width();
        for (i, &d) in self.dense.iter().enumerate() {
            shapes.push((format!("fc{}", i + 1), d, width));
            width = d;
        }
        shapes.push(("out".to_owned(), self.n_classes, width));
        shapes
    }

    /// Number of trainable parameters (weights and biases).
    pub fn n_params(&self) -> usize {
        self.weight_shapes().iter().map(|(_, o, i)| o * i + o).sum()
    }
}

/// What the study takes from a convolution block (its post-pooling output, `h x w x c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConvTap {
    /// One mean per channel (global average pooling): `c` features. The default: a handful of
    /// features per block that do not depend on where in the image a pattern occurs, which
    /// suits a clustering of a few hundred to a few thousand samples.
    #[default]
    ChannelMean,
    /// The whole feature map, flattened channel by channel (`c·h·w` features, PyTorch's
    /// `flatten` order of an NCHW map): every spatial detail, in many more dimensions.
    Flatten,
}

/// A LeNet-style classifier (LeCun et al., 1998) in candle, seeded and deterministic like
/// [`Mlp`](crate::Mlp): `[conv k x k -> ReLU -> max-pool 2 x 2] x blocks -> [dense -> ReLU] x
/// layers -> dense -> softmax`.
///
/// Weights are variables of one [`VarMap`]: `conv1.weight` (`filters x (k·k·c_in)`, each row a
/// kernel in `(ky, kx, c)` order), `conv1.bias`, .., `fc1.weight` (`out x in`), ..,
/// `out.weight`, `out.bias`. [`Cnn::new`] draws them from `ChaCha8Rng::seed_from_u64(seed)`,
/// Glorot uniform as Keras' `Conv2D` and `Dense` defaults (fans `k·k·c_in`, `k·k·c_out` for a
/// convolution), layer by layer in row-major order; biases start at zero.
///
/// CPU only: the convolution and pooling are candle custom ops without a GPU kernel.
pub struct Cnn {
    pub(crate) config: CnnConfig,
    pub(crate) device: Device,
    pub(crate) varmap: VarMap,
    /// Convolutions (as dense layers over patches), dense hidden layers, output layer.
    pub(crate) layers: Vec<Linear>,
    pub(crate) taps: Vec<ConvTap>,
}

impl std::fmt::Debug for Cnn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cnn")
            .field("config", &self.config)
            .field("taps", &self.taps)
            .finish_non_exhaustive()
    }
}

impl Cnn {
    /// A freshly initialised network (Glorot uniform from `ChaCha8Rng::seed_from_u64(seed)`,
    /// zero biases) on `device`; every convolution block tapped as [`ConvTap::ChannelMean`].
    ///
    /// # Errors
    /// The [`CnnConfig::check`] errors; candle's errors.
    pub fn new(config: CnnConfig, seed: u64, device: &Device) -> Result<Self> {
        config.check()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut varmap = VarMap::new();
        let mut layers = Vec::new();
        let n_conv = config.filters.len();
        let k2 = config.kernel * config.kernel;
        for (i, (name, out, inp)) in config.weight_shapes().into_iter().enumerate() {
            let (fan_in, fan_out) = if i < n_conv {
                (inp, k2 * out)
            } else {
                (inp, out)
            };
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
            let values: Vec<f32> = (0..out * inp)
                .map(|_| rng.random_range(-limit..limit))
                .collect();
            let init = candle_nn::Init::Const(0.0);
            let w = varmap.get(
                (out, inp),
                &format!("{name}.weight"),
                init,
                DType::F32,
                device,
            )?;
            let b = varmap.get(out, &format!("{name}.bias"), init, DType::F32, device)?;
            varmap.set_one(
                format!("{name}.weight"),
                Tensor::from_vec(values, (out, inp), device)?,
            )?;
            layers.push(Linear::new(w, Some(b)));
        }
        Ok(Self {
            taps: vec![ConvTap::default(); n_conv],
            config,
            device: device.clone(),
            varmap,
            layers,
        })
    }

    /// The same network with convolution block `block` (1-based) tapped as `tap`.
    ///
    /// # Errors
    /// [`ModelError::CnnBlock`] if there is no such block.
    pub fn with_conv_tap(mut self, block: usize, tap: ConvTap) -> Result<Self> {
        let n = self.taps.len();
        let slot = block
            .checked_sub(1)
            .and_then(|i| self.taps.get_mut(i))
            .ok_or(ModelError::CnnBlock { block, blocks: n })?;
        *slot = tap;
        Ok(self)
    }

    /// The same network with every convolution block tapped as `tap`.
    #[must_use]
    pub fn with_conv_taps(mut self, tap: ConvTap) -> Self {
        self.taps.iter_mut().for_each(|t| *t = tap);
        self
    }

    /// How each convolution block is tapped, first to last.
    pub fn conv_taps(&self) -> &[ConvTap] {
        &self.taps
    }

    /// The configuration.
    pub fn config(&self) -> &CnnConfig {
        &self.config
    }

    /// The device holding the weights.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The variables (weights and biases).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// Names of the hidden outputs: `conv1, conv2, .., fc1, ..`.
    pub fn layer_names(&self) -> Vec<String> {
        self.config.layer_names()
    }

    /// Widths of the hidden outputs under the current taps.
    pub fn layer_widths(&self) -> Vec<usize> {
        let conv = self.config.block_shapes().into_iter().zip(&self.taps).map(
            |((h, w, c), tap)| match tap {
                ConvTap::ChannelMean => c,
                ConvTap::Flatten => c * h * w,
            },
        );
        conv.chain(self.config.dense.iter().copied()).collect()
    }

    /// Runs the network: the post-pooling output of every block (`b x h x w x c`) and every
    /// dense hidden layer if `keep`, and the logits.
    fn run(&self, x: &Tensor, keep: bool) -> Result<(Vec<Tensor>, Tensor)> {
        let (b, d) = match *x.dims() {
            [b, d] => (b, d),
            _ => {
                return Err(ModelError::NotAMatrix {
                    shape: x.dims().to_vec(),
                });
            }
        };
        if d != self.config.input_dim() {
            return Err(ModelError::WidthMismatch {
                expected: self.config.input_dim(),
                found: d,
            });
        }
        let n_conv = self.config.filters.len();
        let (convs, rest) = self.layers.split_at(n_conv);
        let (out_layer, hidden) = rest.split_last().ok_or(ModelError::ZeroInputDim)?;
        let mut kept = Vec::new();
        let mut h = x
            .contiguous()?
            .reshape((b, self.config.rows, self.config.cols, 1))?;
        let im2col = Im2Col {
            k: self.config.kernel,
            pad: self.config.padding,
        };
        for conv in convs {
            let (_, rows, cols, _) = h.dims4()?;
            let oh = conv_out(rows, im2col.k, im2col.pad).unwrap_or(0);
            let ow = conv_out(cols, im2col.k, im2col.pad).unwrap_or(0);
            let patches = h.apply_op1(im2col)?;
            let maps = dense(&patches, conv, Some(Activation::Relu))?;
            h = maps
                .reshape((b, oh, ow, conv.weight().dim(0)?))?
                .apply_op1(MaxPool2)?;
            if keep {
                kept.push(h.clone());
            }
        }
        let mut h = h.flatten_from(1)?;
        for layer in hidden {
            h = dense(&h, layer, Some(Activation::Relu))?;
            if keep {
                kept.push(h.clone());
            }
        }
        Ok((kept, dense(&h, out_layer, None)?))
    }

    /// The logits (`batch x n_classes`) for a `batch x (rows·cols)` tensor of flattened images.
    ///
    /// # Errors
    /// [`ModelError::NotAMatrix`], [`ModelError::WidthMismatch`]; candle's errors (e.g. on a
    /// GPU device).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.run(x, false)?.1)
    }

    /// One forward pass returning every hidden output under the current taps (convolution
    /// blocks: `batch x c` channel means or `batch x (c·h·w)` flattened maps; dense layers:
    /// `batch x width`), the logits and the softmax probabilities.
    ///
    /// # Errors
    /// As [`Cnn::forward`].
    pub fn forward_all(&self, x: &Tensor) -> Result<ForwardPass> {
        let (kept, logits) = self.run(x, true)?;
        let mut hidden = Vec::with_capacity(kept.len());
        for (i, t) in kept.into_iter().enumerate() {
            let t = match self.taps.get(i) {
                Some(ConvTap::ChannelMean) => t.mean((1, 2))?,
                Some(ConvTap::Flatten) => t.permute((0, 3, 1, 2))?.flatten_from(1)?,
                None => t,
            };
            hidden.push(t);
        }
        let probs = candle_nn::ops::softmax_last_dim(&logits)?;
        Ok(ForwardPass {
            hidden,
            logits,
            probs,
        })
    }
}

/// Rows per forward pass in the CNN's batched inference (the first block's patches of 256
/// MNIST images take about 15 MB).
pub(crate) const CNN_INFERENCE_BATCH: usize = 256;

impl crate::train::Network for Cnn {
    fn device(&self) -> &Device {
        &self.device
    }

    fn input_dim(&self) -> usize {
        self.config.input_dim()
    }

    fn n_classes(&self) -> usize {
        self.config.n_classes
    }

    fn layer_names(&self) -> Vec<String> {
        Cnn::layer_names(self)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Cnn::forward(self, x)
    }

    fn forward_all(&self, x: &Tensor) -> Result<ForwardPass> {
        Cnn::forward_all(self, x)
    }

    /// `conv1, .., fc1, .., out`.
    fn parameters(&self) -> Vec<(String, &Linear)> {
        self.config
            .weight_shapes()
            .into_iter()
            .map(|(name, _, _)| name)
            .zip(&self.layers)
            .collect()
    }

    /// 256 rows.
    fn inference_batch(&self) -> usize {
        CNN_INFERENCE_BATCH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenet_shapes_names_and_widths() -> Result<()> {
        let cfg = CnnConfig::lenet(28, 28, 2);
        assert_eq!(cfg.block_shapes(), [(12, 12, 6), (4, 4, 16)]);
        assert_eq!(cfg.layer_names(), ["conv1", "conv2", "fc1"]);
        assert_eq!(
            cfg.n_params(),
            (6 * 25 + 6) + (16 * 150 + 16) + (64 * 256 + 64) + (2 * 64 + 2)
        );
        let small = CnnConfig::lenet(8, 8, 10);
        assert_eq!(small.block_shapes(), [(4, 4, 6), (2, 2, 16)]);
        let m = Cnn::new(cfg, 0, &Device::Cpu)?;
        assert_eq!(m.layer_widths(), [6, 16, 64]);
        let m = m.with_conv_tap(2, ConvTap::Flatten)?;
        assert_eq!(m.layer_widths(), [6, 256, 64]);
        let x = Tensor::from_vec(
            (0..3 * 784)
                .map(|i| (i % 17) as f32 / 17.0)
                .collect::<Vec<_>>(),
            (3, 784),
            &Device::Cpu,
        )?;
        let pass = m.forward_all(&x)?;
        let dims: Vec<Vec<usize>> = pass.hidden.iter().map(|t| t.dims().to_vec()).collect();
        assert_eq!(dims, [vec![3, 6], vec![3, 256], vec![3, 64]]);
        assert_eq!(pass.probs.dims(), [3, 2]);
        assert!(matches!(
            m.with_conv_tap(3, ConvTap::Flatten),
            Err(ModelError::CnnBlock {
                block: 3,
                blocks: 2
            })
        ));
        Ok(())
    }

    #[test]
    fn bad_configs_are_rejected() {
        let mut c = CnnConfig::lenet(28, 28, 2);
        c.rows = 10;
        assert!(matches!(
            c.check(),
            Err(ModelError::CnnTooSmall { block: 2, .. })
        ));
        let mut c = CnnConfig::lenet(28, 28, 2);
        c.kernel = 0;
        assert!(matches!(c.check(), Err(ModelError::CnnKernel { .. })));
        assert!(matches!(
            CnnConfig::lenet(28, 28, 1).check(),
            Err(ModelError::TooFewClasses { n_classes: 1 })
        ));
    }

    #[test]
    fn seeded_init_is_reproducible() -> Result<()> {
        let w = |seed| -> Result<Vec<f32>> {
            let m = Cnn::new(CnnConfig::lenet(8, 8, 3), seed, &Device::Cpu)?;
            Ok(m.layers[1].weight().flatten_all()?.to_vec1::<f32>()?)
        };
        assert_eq!(w(4)?, w(4)?);
        assert_ne!(w(4)?, w(5)?);
        Ok(())
    }
}
