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
//! The example below (a model of your own) needs the `extract` feature.
//!
#![cfg_attr(feature = "extract", doc = include_str!("doc_example.md"))]
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
//! - `extract` (off by default; on in the `mtq` facade and the `mtq` command): [`LayerModel`], [`extract`] and [`ExtractParams`], which bring candle
//!   and `mtq-model`. Without it the crate reads and writes `.npy` activations (through
//!   `mtq-data`'s one `.npy` reader, [`mtq_data::npy`]) and prepares them, with no
//!   neural-network code. Models on other devices work through
//!   [`LayerModel::device`]; outputs are copied to the CPU batch by batch.
//!   [`mtq_model::Cnn`] implements [`LayerModel`] too (`conv1, .., fc1, .., logits, probs`).
//! - `onnx` (off by default; implies `extract`): `onnx::OnnxModel`, an ONNX classifier loaded
//!   with tract-onnx (pure Rust, about 45 more crates to build) whose layers are each residual
//!   block's output and the pooled features (ResNets, transformers) or the activations after
//!   each `Gemm`/`MatMul`/`Conv` (other graphs), then the logits and probabilities, or the
//!   nodes you name.

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
    MANIFEST_FILE, Manifest, ManifestLayer, read_npy_features, read_npy_ids, read_npy_labels,
    read_npy_matrix,
};
#[cfg(feature = "onnx")]
pub use onnx::{Candidate, OnnxModel, TokenPool};
pub use prepare::{FittedPreparation, Preparation, PreparationParts};
