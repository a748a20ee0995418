//! The classifier of MTQ Paths: a seeded, deterministic multi-layer perceptron in
//! [candle](https://github.com/huggingface/candle) that exposes every hidden layer.
//!
//! Build an [`Mlp`] from an [`MlpConfig`] (input width, hidden widths, classes, [`Activation`]),
//! run it with [`Mlp::forward`] (logits) or [`Mlp::forward_all`] (every hidden layer, logits and
//! probabilities from one pass). [`array_to_tensor`] and [`tensor_to_array`] convert between
//! ndarray matrices (the currency of mtq-data) and candle tensors.
//!
//! # Example
//! ```
//! use mtq_model::{Activation, Mlp, MlpConfig, array_to_tensor, tensor_to_array};
//! use candle_core::Device;
//! use ndarray::Array2;
//!
//! # fn main() -> Result<(), mtq_model::ModelError> {
//! let config = MlpConfig::new(4, [8, 6], 3).with_activation(Activation::Tanh);
//! let mlp = Mlp::new(config, 42, &Device::Cpu)?;
//! let x = Array2::from_shape_fn((5, 4), |(i, j)| (i + j) as f32 / 10.0);
//! let pass = mlp.forward_all(&array_to_tensor(x.view(), mlp.device())?)?;
//! assert_eq!(mlp.layer_names(), ["h1", "h2"]);
//! assert_eq!(tensor_to_array(&pass.hidden[1])?.dim(), (5, 6));
//! assert_eq!(tensor_to_array(&pass.probs)?.dim(), (5, 3));
//! # Ok(())
//! # }
//! ```
//!
//! # Crate features
//! - `cuda`: passes through to candle's CUDA backend (off by default, not built in CI). Nothing in
//!   the API assumes a CPU: pass a CUDA [`Device`](candle_core::Device) to [`Mlp::new`].

mod config;
mod convert;
mod data;
mod dense;
mod error;
mod eval;
mod io;
mod mlp;
mod optim;
mod train;

pub use config::{Activation, MlpConfig};
pub use convert::{array_to_tensor, tensor_to_array};
pub use error::{ModelError, Result};
pub use eval::Evaluation;
pub use io::{CONFIG_FILE, WEIGHTS_FILE};
pub use mlp::{ForwardPass, Mlp};
pub use train::{EpochStats, History, Optimizer, TrainConfig};

/// candle's core crate, re-exported so callers use the same version.
pub use candle_core;
pub use candle_core::{Device, Tensor};
/// candle's neural-network crate, re-exported so callers use the same version.
pub use candle_nn;
