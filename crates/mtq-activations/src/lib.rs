//! Every hidden layer's activations, for any candle model, as ndarray matrices: batched,
//! checked and portable.
//!
//! - [`LayerModel`]: a model that hands out its named layer outputs from one forward pass.
//!   [`mtq_model::Mlp`] implements it (`h1, h2, .., logits, probs`); your own candle model
//!   implements it in a few lines (below).
//! - [`extract`] / [`ExtractParams`]: batched forward passes over a [`Dataset`](mtq_data::Dataset)
//!   (never the whole set as one tensor), each batch written straight into preallocated
//!   `n x width` matrices, so peak memory is about the outputs plus one batch. Choose the layers,
//!   and whether to keep the logits and/or the probabilities.
//! - [`Activations`]: per layer an `Array2<f32>` with its name, index and kind, plus the samples'
//!   labels and ids. Constructors check that every layer has one row per sample and that every
//!   value is finite; select samples or layers, concatenate sets (reference + unseen samples).
//! - Portability ([`npy`]): [`Activations::save`] / [`Activations::load`] write and read one `.npy`
//!   per layer plus labels, ids and a JSON [`Manifest`], so activations exported with numpy from
//!   PyTorch or Keras can be analysed here (and ours there).
//! - Preparation for clustering lives **here**, not in mtq-cluster: [`Preparation`] (`None`,
//!   `Standardize`, `L2Normalize`, `Pca { dims }`) is fitted on a reference set and applied to
//!   any set, so unseen samples get the reference's means, scales and principal axes.
//!
//! # Example: a model of your own
//!
//! A tiny CNN on 4 x 4 images (16 features per row) that exposes its convolution (flattened) and
//! its logits:
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use mtq_activations::{ActivationsError, LayerModel, LayerSpec, Preparation, extract};
//! use mtq_data::Dataset;
//! use ndarray::{Array1, Array2};
//!
//! struct TinyCnn {
//!     kernel: Tensor, // 2 filters, 1 channel, 3 x 3
//!     dense: Tensor,  // (2 · 2 · 2) x 3 classes
//! }
//!
//! impl LayerModel for TinyCnn {
//!     fn device(&self) -> &Device {
//!         self.kernel.device()
//!     }
//!     fn input_dim(&self) -> usize {
//!         16
//!     }
//!     fn layers(&self) -> Vec<LayerSpec> {
//!         vec![LayerSpec::hidden("conv"), LayerSpec::logits("logits")]
//!     }
//!     fn forward_layers(&self, x: &Tensor) -> Result<Vec<Tensor>, ActivationsError> {
//!         let images = x.reshape((x.dim(0)?, 1, 4, 4))?;
//!         let conv = images.conv2d(&self.kernel, 0, 1, 1, 1)?.relu()?.flatten_from(1)?;
//!         let logits = conv.matmul(&self.dense)?;
//!         Ok(vec![conv, logits])
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let device = Device::Cpu;
//! let model = TinyCnn {
//!     kernel: Tensor::arange(0f32, 18.0, &device)?.affine(0.1, -0.9)?.reshape((2, 1, 3, 3))?,
//!     dense: Tensor::ones((8, 3), candle_core::DType::F32, &device)?,
//! };
//! let x = Array2::from_shape_fn((10, 16), |(i, j)| ((i * 16 + j) % 7) as f32 / 7.0);
//! let data = Dataset::new(x, Array1::from_iter((0..10).map(|i| i % 2)))?;
//!
//! // batches of 4 rows; the model has no probabilities, so only "conv" is kept by default
//! let acts = extract(&model, &data, 4)?;
//! assert_eq!(acts.layer_names(), ["conv"]);
//! assert_eq!(acts.layer("conv").map(|l| l.width()), Some(8));
//!
//! // standardise with the first 6 samples' statistics, apply to the last 4
//! let reference = acts.select_samples(&[0, 1, 2, 3, 4, 5])?;
//! let unseen = acts.select_samples(&[6, 7, 8, 9])?;
//! let fitted = reference.fit_preparation(Preparation::Standardize)?;
//! let prepared = unseen.apply_preparation(&fitted)?;
//! assert_eq!(prepared.labels().to_vec(), [0, 1, 0, 1]);
//!
//! // portable: one .npy per layer plus a JSON manifest
//! let dir = std::env::temp_dir().join(format!("mtq-activations-doc-{}", std::process::id()));
//! acts.save(&dir)?;
//! assert_eq!(mtq_activations::Activations::load(&dir)?, acts);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! With [`mtq_model::Mlp`], `extract(&mlp, &data, 256)?` gives `h1, h2, .., probs`;
//! [`ExtractParams`] chooses layers and adds the logits.
//!
//! # Errors
//!
//! One error type, [`ActivationsError`]: a zero batch size, data whose width differs from the
//! model's input, a NaN or infinite activation (with layer name, sample index, id and unit),
//! misaligned lengths, unknown or duplicate layers, and a manifest that does not match its files
//! (shape, dtype, file names), each with its own variant; I/O errors carry the path.
//!
//! # Crate features
//!
//! - `extract` (default): [`LayerModel`], [`extract`] and [`ExtractParams`], which bring candle
//!   and `mtq-model`. Without it the crate reads and writes `.npy` activations (through
//!   `mtq-data`'s one `.npy` reader, [`mtq_data::npy`]) and prepares them, with no
//!   neural-network code. Models on other devices work through
//!   [`LayerModel::device`]; outputs are copied to the CPU batch by batch.
//!   [`mtq_model::Cnn`] implements [`LayerModel`] too (`conv1, .., fc1, .., logits, probs`).
//! - `onnx` (off by default; implies `extract`): `onnx::OnnxModel`, an ONNX classifier loaded
//!   with tract-onnx (pure Rust, about 45 more crates to build) whose activations after each
//!   `Gemm`/`MatMul`/`Conv`, logits and probabilities (or the nodes you name) are its layers.

mod activations;
mod eigen;
mod error;
#[cfg(feature = "extract")]
mod extract;
mod layer;
#[cfg(feature = "extract")]
mod model;
pub mod npy;
#[cfg(feature = "onnx")]
pub mod onnx;
mod prepare;

pub use activations::{Activations, Layer};
pub use error::{ActivationsError, Result};
#[cfg(feature = "extract")]
pub use extract::{ExtractParams, extract};
pub use layer::{LayerKind, LayerSpec};
#[cfg(feature = "extract")]
pub use model::{LayerModel, MLP_LOGITS, MLP_PROBS};
pub use mtq_data::DataError;
pub use mtq_data::npy::{MAX_HEADER_BYTES, MAX_HEADER_DEPTH, MAX_LABEL};
pub use npy::{
    Manifest, ManifestLayer, read_npy_features, read_npy_ids, read_npy_labels, read_npy_matrix,
};
#[cfg(feature = "onnx")]
pub use onnx::OnnxModel;
pub use prepare::{FittedPreparation, Preparation};
