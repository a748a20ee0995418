//! ONNX classifiers as [`LayerModel`](crate::LayerModel)s, in pure Rust through
//! [tract](https://github.com/sonos/tract) (feature `onnx`).
//!
//! [`OnnxModel::load`] finds the hidden layers itself: the output of every activation
//! (`Relu`, `LeakyRelu`, `Sigmoid`, `Tanh`, `Elu`, `Selu`, `Gelu`, `Softplus`, `HardSigmoid`,
//! `HardSwish`, `Mish`, `PRelu`) whose input comes from a `Gemm`, `MatMul` or `Conv` (directly
//! or through a bias `Add` or a `BatchNormalization`), then the logits and the probabilities:
//! when the graph ends in a `Softmax`, its input is the logits and its output the
//! probabilities; otherwise the graph's output is the logits. [`OnnxModel::load_with_layers`]
//! takes the node names you list instead (`name`, or `name:slot` for another output slot).
//! Outputs are named after the graph's nodes (a node without a name is called after its
//! first output, as tract does).
//!
//! The tapped nodes become extra outputs of the graph before tract optimises it
//! (`select_outputs_by_name`), so one run computes them all. The model's single input may
//! have any rank: each `batch x input_dim` row is reshaped to the input's shape
//! (e.g. `1 x 28 x 28` for an image network); its first axis is the batch.
//!
//! A convolution output (`batch x channels x h x w`) is tapped as one mean per channel
//! ([`ConvTap::ChannelMean`], the default, as [`mtq_model::Cnn`]) or flattened in `c·h·w`
//! order ([`ConvTap::Flatten`]): [`OnnxModel::with_conv_tap`].

mod graph;
mod run;
mod taps;

use std::path::{Path, PathBuf};

use candle_core::Device;
use mtq_model::ConvTap;
use tract_onnx::pb;
use tract_onnx::prelude::Framework;

use crate::error::{ActivationsError, Result};
use crate::{LayerKind, LayerSpec};
use graph::{input_sample_shape, node_infos};
use taps::auto_layers;
pub use taps::{ACTIVATION_OPS, LINEAR_OPS};

/// An ONNX classifier whose chosen node outputs are the layers of a [`LayerModel`](crate::LayerModel).
pub struct OnnxModel {
    path: PathBuf,
    plan: run::Plan,
    /// Input shape without the batch axis.
    input_shape: Vec<usize>,
    specs: Vec<LayerSpec>,
    conv_tap: ConvTap,
    device: Device,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("path", &self.path)
            .field("input_shape", &self.input_shape)
            .field("layers", &self.specs)
            .field("conv_tap", &self.conv_tap)
            .finish_non_exhaustive()
    }
}

impl OnnxModel {
    /// Loads an ONNX classifier and taps its hidden layers, logits and probabilities as
    /// described in the [module documentation](self).
    ///
    /// # Errors
    /// [`ActivationsError::Io`] if the file cannot be read; [`ActivationsError::OnnxParse`]
    /// if it is not an ONNX model; [`ActivationsError::OnnxUnsupportedOp`] naming the first op
    /// tract cannot run and its node; [`ActivationsError::OnnxInput`] unless the graph has one
    /// input whose axes after the first are fixed; [`ActivationsError::NoLayers`] if nothing
    /// can be tapped; [`ActivationsError::Onnx`] if tract fails to type or optimise the graph.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::open(path.as_ref(), None)
    }

    /// Loads an ONNX classifier and taps the nodes named in `layers` (`name` or `name:slot`),
    /// in that order. A listed node that is the automatic logits or probabilities keeps that
    /// kind; the others are hidden layers.
    ///
    /// # Errors
    /// As [`OnnxModel::load`]; [`ActivationsError::UnknownLayer`] for a name the graph does
    /// not have (with the node names that exist); [`ActivationsError::DuplicateLayer`].
    pub fn load_with_layers<S: AsRef<str>>(
        path: impl AsRef<Path>,
        layers: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let names: Vec<String> = layers.into_iter().map(|s| s.as_ref().to_owned()).collect();
        Self::open(path.as_ref(), Some(names))
    }

    /// Loads an ONNX classifier and taps the nodes named in `layers` (`name` or `name:slot`)
    /// as its hidden layers, in that order, then the automatic logits and probabilities (as
    /// [`OnnxModel::load`] finds them) that are not listed: the study keeps the model's
    /// predictions whichever hidden layers are chosen.
    ///
    /// # Errors
    /// As [`OnnxModel::load_with_layers`].
    pub fn load_with_hidden<S: AsRef<str>>(
        path: impl AsRef<Path>,
        layers: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let names: Vec<String> = layers.into_iter().map(|s| s.as_ref().to_owned()).collect();
        Self::open_with(path.as_ref(), Some(names), true)
    }

    fn open(path: &Path, names: Option<Vec<String>>) -> Result<Self> {
        Self::open_with(path, names, false)
    }

    /// Opens the model with the automatic taps (`names` `None`) or the listed ones, followed by
    /// the automatic outputs not listed if `with_outputs`.
    fn open_with(path: &Path, names: Option<Vec<String>>, with_outputs: bool) -> Result<Self> {
        let onnx_err = |e: tract_onnx::prelude::TractError| ActivationsError::Onnx {
            path: path.to_path_buf(),
            message: format!("{e:#}"),
        };
        let bytes = std::fs::read(path).map_err(|source| ActivationsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let onnx = tract_onnx::onnx();
        let proto = onnx
            .proto_model_for_read(&mut bytes.as_slice())
            .map_err(|e| ActivationsError::OnnxParse {
                path: path.to_path_buf(),
                message: format!("{e:#}"),
            })?;
        let graph = proto
            .graph
            .as_ref()
            .ok_or_else(|| ActivationsError::OnnxParse {
                path: path.to_path_buf(),
                message: "no graph".to_owned(),
            })?;
        let nodes = node_infos(graph, graph.initializer.len());
        // an op tract does not know is caught here, by name, before tract's own errors
        let registered = |op: &str| onnx.op_register.0.contains_key(op);
        if let Some(n) = nodes.iter().find(|n| !registered(&n.op)) {
            return Err(ActivationsError::OnnxUnsupportedOp {
                path: path.to_path_buf(),
                op: if n.domain.is_empty() {
                    n.op.clone()
                } else {
                    format!("{}.{}", n.domain, n.op)
                },
                node: n.name.clone(),
            });
        }
        let initializers: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
        let inputs: Vec<&pb::ValueInfoProto> = graph
            .input
            .iter()
            .filter(|i| !initializers.contains(&i.name.as_str()))
            .collect();
        let [input] = inputs.as_slice() else {
            return Err(ActivationsError::OnnxInput {
                path: path.to_path_buf(),
                message: format!(
                    "{} graph inputs ({:?}), expected one",
                    inputs.len(),
                    inputs.iter().map(|i| &i.name).collect::<Vec<_>>()
                ),
            });
        };
        let input_shape =
            input_sample_shape(input).map_err(|message| ActivationsError::OnnxInput {
                path: path.to_path_buf(),
                message,
            })?;
        let graph_outputs: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
        let auto = auto_layers(&nodes, &graph_outputs);
        let specs = match names {
            None => auto,
            Some(names) => {
                let mut specs = Vec::with_capacity(names.len());
                for name in names {
                    let base = name.split(':').next().unwrap_or(&name);
                    if !nodes.iter().any(|n| n.name == base) {
                        return Err(ActivationsError::UnknownLayer {
                            name,
                            available: nodes.iter().map(|n| n.name.clone()).collect(),
                        });
                    }
                    if specs.iter().any(|s: &LayerSpec| s.name == name) {
                        return Err(ActivationsError::DuplicateLayer { name });
                    }
                    let kind = auto
                        .iter()
                        .find(|s| s.name == name)
                        .map_or(LayerKind::Hidden, |s| s.kind);
                    specs.push(LayerSpec { name, kind });
                }
                if with_outputs {
                    let outputs: Vec<LayerSpec> = auto
                        .iter()
                        .filter(|s| s.kind != LayerKind::Hidden)
                        .filter(|s| !specs.iter().any(|t| t.name == s.name))
                        .cloned()
                        .collect();
                    specs.extend(outputs);
                }
                specs
            }
        };
        if specs.is_empty() {
            return Err(ActivationsError::NoLayers);
        }

        let model = onnx.model_for_proto_model(&proto).map_err(onnx_err)?;
        let taps: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let plan = run::optimise(model, &input_shape, &taps, run::PLAN_BATCH).map_err(onnx_err)?;
        Ok(Self {
            path: path.to_path_buf(),
            plan,
            input_shape,
            specs,
            conv_tap: ConvTap::default(),
            device: Device::Cpu,
        })
    }

    /// The same model with every output of rank 4 (`batch x channels x h x w`) tapped as
    /// `tap` (default [`ConvTap::ChannelMean`]). Outputs of rank 3 or above 4 are flattened.
    #[must_use]
    pub fn with_conv_tap(mut self, tap: ConvTap) -> Self {
        self.conv_tap = tap;
        self
    }

    /// The file the model was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The input shape of one sample (without the batch axis), e.g. `[1, 28, 28]`.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
}
