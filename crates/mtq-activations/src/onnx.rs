//! ONNX classifiers as [`LayerModel`]s, in pure Rust through
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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use mtq_model::ConvTap;
use tract_onnx::pb;
use tract_onnx::prelude::{
    Framework, InferenceFact, InferenceModelExt, IntoRunnable, IntoTValue, TypedRunnableModel, tvec,
};
use tract_onnx::tract_hir::internal::{DatumType, ShapeFactoid, TDim, Tensor as TractTensor};

use crate::error::{ActivationsError, Result};
use crate::{LayerKind, LayerModel, LayerSpec};

/// ONNX operators counted as activations when looking for hidden layers.
pub const ACTIVATION_OPS: &[&str] = &[
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "Elu",
    "Selu",
    "Gelu",
    "Softplus",
    "HardSigmoid",
    "HardSwish",
    "Mish",
    "PRelu",
];
/// ONNX operators whose activation marks a hidden layer.
pub const LINEAR_OPS: &[&str] = &["Gemm", "MatMul", "Conv"];
/// Operators allowed between a linear operator and its activation (a bias, a normalisation).
const PASS_THROUGH_OPS: &[&str] = &["Add", "BatchNormalization"];

/// An ONNX classifier whose chosen node outputs are the layers of a [`LayerModel`].
pub struct OnnxModel {
    path: PathBuf,
    plan: std::sync::Arc<TypedRunnableModel>,
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

/// One node of the ONNX graph, as this module needs it.
struct NodeInfo {
    name: String,
    op: String,
    domain: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

/// The node name tract gives a protobuf node: its name, else its first output, else
/// `"<index>-<op>"` (tract's rule, so names given to `select_outputs_by_name` resolve).
fn node_infos(graph: &pb::GraphProto, n_initializers: usize) -> Vec<NodeInfo> {
    graph
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let name = if !n.name.is_empty() {
                n.name.clone()
            } else if n.output.first().is_some_and(|o| !o.is_empty()) {
                n.output[0].clone()
            } else {
                // tract numbers nodes after its sources and constants
                format!("{}-{}", n_initializers + 1 + i, n.op_type)
            };
            NodeInfo {
                name,
                op: n.op_type.clone(),
                domain: n.domain.clone(),
                inputs: n.input.clone(),
                outputs: n.output.iter().filter(|o| !o.is_empty()).cloned().collect(),
            }
        })
        .collect()
}

/// The automatic taps: hidden activations after a linear op, then logits and probabilities.
fn auto_layers(nodes: &[NodeInfo], graph_outputs: &[String]) -> Vec<LayerSpec> {
    let producer: HashMap<&str, &NodeInfo> = nodes
        .iter()
        .flat_map(|n| n.outputs.iter().map(move |o| (o.as_str(), n)))
        .collect();
    let from_linear = |input: &str| -> bool {
        let mut current = producer.get(input).copied();
        // follow at most a few pass-through ops (bias Add, BatchNormalization)
        for _ in 0..3 {
            match current {
                Some(n) if LINEAR_OPS.contains(&n.op.as_str()) => return true,
                Some(n) if PASS_THROUGH_OPS.contains(&n.op.as_str()) => {
                    current = n
                        .inputs
                        .first()
                        .and_then(|i| producer.get(i.as_str()).copied());
                }
                _ => return false,
            }
        }
        false
    };
    let mut specs: Vec<LayerSpec> = nodes
        .iter()
        .filter(|n| ACTIVATION_OPS.contains(&n.op.as_str()))
        .filter(|n| n.inputs.first().is_some_and(|i| from_linear(i)))
        .map(|n| LayerSpec::hidden(n.name.clone()))
        .collect();
    let last = graph_outputs
        .first()
        .and_then(|o| producer.get(o.as_str()).copied());
    match last {
        Some(n) if n.op == "Softmax" => {
            if let Some(logits) = n.inputs.first().and_then(|i| producer.get(i.as_str())) {
                specs.retain(|s| s.name != logits.name);
                specs.push(LayerSpec::logits(logits.name.clone()));
            }
            specs.retain(|s| s.name != n.name);
            specs.push(LayerSpec::probabilities(n.name.clone()));
        }
        Some(n) => {
            specs.retain(|s| s.name != n.name);
            specs.push(LayerSpec::logits(n.name.clone()));
        }
        None => {}
    }
    specs
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

        let mut model = onnx.model_for_proto_model(&proto).map_err(onnx_err)?;
        let batch = model.symbols.sym("batch");
        let mut shape: Vec<TDim> = vec![TDim::Sym(batch)];
        shape.extend(input_shape.iter().map(|&d| TDim::from(d)));
        model
            .set_input_fact(
                0,
                InferenceFact::dt_shape(
                    DatumType::F32,
                    shape.into_iter().collect::<ShapeFactoid>(),
                ),
            )
            .map_err(onnx_err)?;
        model
            .select_outputs_by_name(specs.iter().map(|s| s.name.as_str()))
            .map_err(onnx_err)?;
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(onnx_err)?;
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

    /// Runs the graph on `rows x input_dim` values (row-major) and returns each tapped output
    /// as `rows x width` values with its width.
    fn run(&self, values: &[f32], rows: usize) -> Result<Vec<(Vec<f32>, usize)>> {
        let mut shape = vec![rows];
        shape.extend_from_slice(&self.input_shape);
        let onnx_err = |e: tract_onnx::prelude::TractError| ActivationsError::Onnx {
            path: self.path.clone(),
            message: format!("{e:#}"),
        };
        let input = TractTensor::from_shape(&shape, values).map_err(onnx_err)?;
        let outputs = self
            .plan
            .run(tvec![input.into_tvalue()])
            .map_err(onnx_err)?;
        if outputs.len() != self.specs.len() {
            return Err(ActivationsError::OutputCount {
                expected: self.specs.len(),
                found: outputs.len(),
            });
        }
        outputs
            .iter()
            .zip(&self.specs)
            .map(|(t, spec)| {
                let t = t.cast_to::<f32>().map_err(onnx_err)?;
                let view = t.to_plain_array_view::<f32>().map_err(onnx_err)?;
                let dims = view.shape().to_vec();
                if dims.first() != Some(&rows) {
                    return Err(ActivationsError::OutputShape {
                        layer: spec.name.clone(),
                        shape: dims,
                        expected_rows: rows,
                        expected_width: None,
                    });
                }
                if dims.len() == 4 && self.conv_tap == ConvTap::ChannelMean {
                    let (c, hw) = (dims[1], dims[2] * dims[3]);
                    let flat: Vec<f32> = view.iter().copied().collect();
                    let means = flat
                        .chunks(hw.max(1))
                        .map(|m| m.iter().sum::<f32>() / hw.max(1) as f32)
                        .collect();
                    Ok((means, c))
                } else {
                    let width = dims[1..].iter().product();
                    Ok((view.iter().copied().collect(), width))
                }
            })
            .collect()
    }
}

/// The fixed sample shape of the graph input (every axis after the first).
fn input_sample_shape(input: &pb::ValueInfoProto) -> std::result::Result<Vec<usize>, String> {
    use pb::tensor_shape_proto::dimension::Value;
    let Some(pb::type_proto::Value::TensorType(t)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(format!("input {:?} is not a tensor", input.name));
    };
    let Some(shape) = &t.shape else {
        return Err(format!("input {:?} has no declared shape", input.name));
    };
    if shape.dim.len() < 2 {
        return Err(format!(
            "input {:?} has rank {}, expected a batch axis and at least one more",
            input.name,
            shape.dim.len()
        ));
    }
    shape.dim[1..]
        .iter()
        .enumerate()
        .map(|(i, d)| match d.value {
            Some(Value::DimValue(v)) if v > 0 => usize::try_from(v).map_err(|e| e.to_string()),
            _ => Err(format!(
                "input {:?}: axis {} is not a fixed size ({:?})",
                input.name,
                i + 1,
                d.value
            )),
        })
        .collect()
}

impl LayerModel for OnnxModel {
    fn device(&self) -> &Device {
        &self.device
    }

    fn input_dim(&self) -> usize {
        self.input_shape.iter().product()
    }

    fn layers(&self) -> Vec<LayerSpec> {
        self.specs.clone()
    }

    fn forward_layers(&self, x: &Tensor) -> Result<Vec<Tensor>> {
        let (rows, cols) = x.dims2()?;
        if cols != self.input_dim() {
            return Err(ActivationsError::WidthMismatch {
                expected: self.input_dim(),
                found: cols,
            });
        }
        let values = x
            .to_dtype(candle_core::DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        self.run(&values, rows)?
            .into_iter()
            .map(|(v, width)| Ok(Tensor::from_vec(v, (rows, width), &self.device)?))
            .collect()
    }
}
