//! The classifier of MTQ Paths: a seeded, deterministic multi-layer perceptron in
//! [candle](https://github.com/huggingface/candle) that exposes every hidden layer.
//!
//! * **Build.** [`Mlp::new`] from an [`MlpConfig`] (input width, hidden widths, classes,
//!   [`Activation`]: ReLU by default, tanh, sigmoid, GELU) and a seed: candle-nn `Linear`
//!   layers over a `VarMap`, Glorot-uniform weights drawn from `ChaCha8Rng::seed_from_u64(seed)`
//!   and zero biases (Keras' `Dense` defaults).
//! * **Run.** [`Mlp::forward`] gives logits; [`Mlp::forward_all`] gives every hidden layer's
//!   post-activation output, the logits and the softmax probabilities from one pass.
//! * **Train.** [`Mlp::train`] with a [`TrainConfig`] (epochs, batch size, [`Optimizer`] Adam or
//!   SGD with momentum, seed, validation split; progress through a callback): mini-batch cross-entropy, seeded
//!   reshuffling each epoch, a typed per-epoch [`History`]. Same seeds, same weights, bit for bit,
//!   whatever the number of threads. The MLP and the [`Cnn`] share one loop, [`train`], over the
//!   [`Network`] trait (logits, parameters), with the loss and every weight checked for NaN and
//!   infinity after every step.
//! * **Evaluate.** [`Mlp::evaluate`] (accuracy, loss, per-class accuracy, confusion matrix),
//!   [`Mlp::predict_proba`], [`Mlp::predict`]; the same for the [`Cnn`] (one inference path,
//!   [`predict_proba`]).
//! * **Save / load.** [`Mlp::save`] / [`Mlp::load`]: weights as safetensors, config as JSON; a
//!   missing tensor, a wrong shape or bad JSON is a typed [`ModelError`].
//! * **Convolutional network.** [`Cnn`]: LeNet-style blocks (`k x k` convolution, ReLU, 2 x 2
//!   max pooling) then dense layers ([`CnnConfig::lenet`]), seeded and deterministic like the
//!   MLP, trained with the same [`TrainConfig`]; each block is tapped as one mean per channel
//!   ([`ConvTap::ChannelMean`], the default) or as its flattened maps ([`ConvTap::Flatten`]).
//! * **Weights trained elsewhere.** [`Mlp::from_state_dict`] reads a safetensors state_dict of a
//!   PyTorch `nn.Sequential(Linear, ReLU, ..)` (`0.weight` `out x in`, `0.bias`, `2.weight`, ..)
//!   or of this project's names, the architecture read from the shapes; Keras kernels (`in x
//!   out`) with [`WeightLayout::InOut`] (see [`state_dict`]).
//! * **Convert.** [`array_to_tensor`] and [`tensor_to_array`] between ndarray matrices (the
//!   currency of mtq-data) and candle tensors; mtq-data itself stays free of candle.
//!
//! # Example
//! ```
//! use mtq_data::Mnist;
//! use mtq_model::{Mlp, MlpConfig, Device, Optimizer, TrainConfig, array_to_tensor, tensor_to_array};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Ones against sevens from the embedded MNIST sample, pixels in [0, 1].
//! let mnist = Mnist::embedded()?;
//! let train = mnist.train().select_classes(&[1, 7])?;
//! let test = mnist.test().select_classes(&[1, 7])?;
//!
//! // 784 -> 32 -> 64 -> 2, ReLU; Adam, 5 epochs, batch 32 (the defaults).
//! let mut mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), 0, &Device::Cpu)?;
//! let history = mlp.train(&train, &TrainConfig::new().optimizer(Optimizer::adam(1e-3)).seed(0))?;
//! assert_eq!(history.epochs.len(), 5);
//! assert!(mlp.evaluate(&test)?.accuracy > 0.98);
//!
//! // Every layer of the network from one forward pass.
//! let pass = mlp.forward_all(&array_to_tensor(test.features(), mlp.device())?)?;
//! assert_eq!(mlp.layer_names(), ["h1", "h2"]);
//! assert_eq!(tensor_to_array(&pass.hidden[1])?.dim(), (442, 64));
//! assert_eq!(tensor_to_array(&pass.probs)?.dim(), (442, 2));
//! # Ok(())
//! # }
//! ```
//!
//! # Speed on CPU
//! candle 0.11's CPU `matmul` re-reads `/proc/cpuinfo` on every call unless `RAYON_NUM_THREADS`
//! is set, which doubles this network's training time. Here each dense layer is instead one
//! fused candle custom op, `act(x · wᵀ + b)` with its backward pass (ndarray's
//! `matrixmultiply` kernels), and the optimizer updates each variable in one in-place pass;
//! nothing reads environment variables or builds thread pools. Forward passes over more than
//! 256 rows run in fixed 256-row chunks on the caller's rayon pool. Run
//! `cargo run --release -p mtq-model --example train_speed` for the figures beside Keras.
//!
//! # Crate features
//! - `cuda`: passes through to candle's CUDA backend (off by default, not built in CI). Nothing in
//!   the API assumes a CPU: pass a CUDA [`Device`] to [`Mlp::new`]; the fused CPU paths then give
//!   way to candle's own operations.

mod cnn;
mod cnn_train;
mod config;
mod conv_ops;
mod convert;
mod data;
mod dense;
mod error;
mod eval;
mod io;
mod mlp;
mod optim;
pub mod state_dict;
mod train;

pub use cnn::{Cnn, CnnConfig, ConvTap};
pub use config::{Activation, MlpConfig};
pub use convert::{array_to_tensor, tensor_to_array};
pub use error::{ModelError, Result};
pub use eval::{Evaluation, evaluate, predict, predict_proba};
pub use io::{CONFIG_FILE, MAX_CONFIG_BYTES, WEIGHTS_FILE};
pub use mlp::{ForwardPass, Mlp};
pub use optim::Optimizer;
pub use state_dict::{StateDictNaming, WeightLayout};
pub use train::{EpochStats, History, Network, TrainConfig, train};

/// candle's core crate, re-exported so callers use the same version.
pub use candle_core;
pub use candle_core::{Device, Tensor};
/// candle's neural-network crate, re-exported so callers use the same version.
pub use candle_nn;
