//! ONNX classifiers as [`LayerModel`](crate::LayerModel)s, in pure Rust through
//! [tract](https://github.com/sonos/tract) (feature `onnx`).
//!
//! [`OnnxModel::load`] finds the hidden layers itself, from the graph's structure:
//!
//! - **Residual networks** (ResNets, transformers): a *residual Add* is an `Add` whose two
//!   inputs are both computed from the input's values (not initializers, constants or shape
//!   arithmetic) and one of which, followed back through at most four ops (torchvision's
//!   `downsample` projection), reaches an ancestor of the other through a `Conv`, `Gemm` or
//!   `MatMul` (a skip connection around a block). If the graph has one, the hidden layers are
//!   the **output of each residual block**: the residual Adds are grouped by block, the
//!   deepest numbered scope of their node name (`/net/layer1/layer1.0/Add` is in
//!   `layer1.0`, `/net/encoder/layers.1/Add_2` in `layers.1`; HuggingFace's
//!   `/bert/encoder/layer.0/attention/output/Add` in `layer.0`), and each block's last one is
//!   tapped, or rather the activation or `LayerNormalization` right after it when that is its
//!   only consumer in the same scope (a ResNet's final `Relu`, a post-norm transformer's
//!   `norm2`; a pre-norm block ends at its Add). Without scopes in the names, every residual
//!   Add ends a block, or every second one in a graph with `LayerNormalization` (a
//!   transformer's attention and feed-forward halves). Then the **pooled features** feeding
//!   the classifier (the input of the last `Gemm`/`MatMul`: torchvision's `Flatten` after
//!   `avgpool`, a `ReduceMean` over tokens), then the logits and probabilities.
//! - **Otherwise** (MLPs, plain CNNs), the output of every activation (`Relu`, `LeakyRelu`,
//!   `Sigmoid`, `Tanh`, `Elu`, `Selu`, `Gelu`, `Softplus`, `HardSigmoid`, `HardSwish`, `Mish`,
//!   `PRelu`) whose input comes from a `Gemm`, `MatMul` or `Conv` (directly or through a bias
//!   `Add` or a `BatchNormalization`), then the logits and the probabilities.
//!
//! In both, when the graph ends in a `Softmax`, its input is the logits and its output the
//! probabilities; otherwise the graph's output is the logits.
//!
//! Each layer is named by a **short name** from the graph: a block by its scope
//! (`layer1.0`, `layer4.1`; a stack of `layers.N` under an `encoder` as `enc.N`), the pooled
//! features `pool`, the outputs `logits` and `probs`; any other output by its scope without
//! the op and without the scopes every node shares (`/net/layer1/layer1.0/relu/Relu` is
//! `layer1.0.relu`; an unnamed `nn.Sequential`'s `/1/Relu` is `1.relu`), with its op in lower
//! case when that is taken (`/net/layer1/layer1.0/Add` is `layer1.0.add`, the block being
//! `layer1.0`), else the node name; a node name without `/` (a graph written by hand: `relu1`,
//! `fc3`) is kept as it is. [`OnnxModel::nodes`] gives the
//! node behind each layer, [`OnnxModel::candidates`] every output worth tapping with its
//! short name and shape. [`OnnxModel::load_with_layers`] takes the outputs you list instead:
//! `NODE`, `NODE:slot` (another output slot), a short name, each optionally `=NAME` to name
//! the layer. A node without a name is called after its first output, as tract does.
//!
//! The tapped nodes become extra outputs of the graph before tract optimises it
//! (`select_outputs_by_name`), so one run computes them all. The model's single input may
//! have any rank: each `batch x input_dim` row is reshaped to the input's shape
//! (e.g. `1 x 28 x 28` for an image network); its first axis is the batch.
//!
//! Each output becomes one row per sample (`reduce.rs`): a feature map (`batch x channels x
//! h x w`, or `batch x channels x length` below a convolution or pooling) as one mean per
//! channel ([`ConvTap::ChannelMean`], the default, as [`mtq_model::Cnn`]) or flattened in
//! channel order ([`ConvTap::Flatten`]): [`OnnxModel::with_conv_tap`]; a sequence of tokens
//! (`batch x tokens x features`) as the mean over the tokens ([`TokenPool::Mean`], the
//! default), the first token or all of them flattened: [`OnnxModel::with_token_pool`]; any
//! other rank flattened.

mod graph;
mod reduce;
mod run;
mod taps;

use std::path::{Path, PathBuf};

use candle_core::Device;
use mtq_model::ConvTap;
use tract_onnx::pb;
use tract_onnx::prelude::{Framework, InferenceModelExt};
use tract_onnx::tract_hir::internal::DimLike;

use crate::error::{ActivationsError, Result};
use crate::{LayerKind, LayerSpec};
use graph::{NodeInfo, input_sample_shape, node_infos};
pub use reduce::TokenPool;
pub use taps::{ACTIVATION_OPS, LINEAR_OPS};
use taps::{Layout, Structure, Tap};

/// An ONNX classifier whose chosen node outputs are the layers of a [`LayerModel`](crate::LayerModel).
pub struct OnnxModel {
    path: PathBuf,
    plan: run::Plan,
    /// Input shape without the batch axis.
    input_shape: Vec<usize>,
    /// The layers, named by their short names.
    specs: Vec<LayerSpec>,
    /// The tract output of each layer (`node` or `node:slot`).
    keys: Vec<String>,
    /// How each layer's rank-3 output is read.
    layouts: Vec<Layout>,
    conv_tap: ConvTap,
    token_pool: TokenPool,
    device: Device,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("path", &self.path)
            .field("input_shape", &self.input_shape)
            .field("layers", &self.specs)
            .field("nodes", &self.keys)
            .field("conv_tap", &self.conv_tap)
            .field("token_pool", &self.token_pool)
            .finish_non_exhaustive()
    }
}

/// One node output that can be tapped, as [`OnnxModel::candidates`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The node's position in the graph (0-based, the file's order).
    pub index: usize,
    /// The node name as tract knows it, with `:slot` for an output slot other than 0: what
    /// `--layers` and [`OnnxModel::load_with_layers`] take.
    pub node: String,
    /// The ONNX operator, e.g. `Relu`, `Add`, `LayerNormalization`.
    pub op: String,
    /// The output's shape without the batch axis, when tract's typing knows every axis
    /// (e.g. `[16, 8, 8]` for a `batch x 16 x 8 x 8` map); `None` otherwise.
    pub shape: Option<Vec<usize>>,
    /// The short name the layer gets (`layer1.0`, `enc.1`, `pool`, `logits`, `probs`, ..),
    /// accepted by `--layers` as well.
    pub short_name: String,
    /// Whether [`OnnxModel::load`] taps it.
    pub default: bool,
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

    /// Loads an ONNX classifier and taps the outputs listed in `layers`, in that order: each
    /// `NODE`, `NODE:slot` or a short name ([`OnnxModel::candidates`]), optionally followed by
    /// `=NAME` to name the layer (else it takes its short name). A listed output that is the
    /// automatic logits or probabilities keeps that kind; the others are hidden layers.
    ///
    /// # Errors
    /// As [`OnnxModel::load`]; [`ActivationsError::UnknownLayer`] for an entry that names no
    /// node or short name (with the short names of the candidates);
    /// [`ActivationsError::DuplicateLayer`] for an output or a layer name listed twice.
    pub fn load_with_layers<S: AsRef<str>>(
        path: impl AsRef<Path>,
        layers: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let names: Vec<String> = layers.into_iter().map(|s| s.as_ref().to_owned()).collect();
        Self::open(path.as_ref(), Some(names))
    }

    /// Loads an ONNX classifier and taps the outputs listed in `layers` (as
    /// [`OnnxModel::load_with_layers`] reads them) as its hidden layers, in that order, then the automatic logits and probabilities (as
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
        let onnx = tract_onnx::onnx();
        let Parsed {
            proto,
            nodes,
            input,
            input_shape,
            graph_outputs,
        } = Parsed::read(&onnx, path)?;
        let structure = Structure::new(&nodes, &input, &graph_outputs);
        let taps = match names {
            None => structure.auto().to_vec(),
            Some(names) => listed_taps(&structure, &nodes, names, with_outputs)?,
        };
        if taps.is_empty() {
            return Err(ActivationsError::NoLayers);
        }
        let layouts: Vec<Layout> = taps.iter().map(|t| structure.layout(&t.key)).collect();
        let keys: Vec<String> = taps.iter().map(|t| t.key.clone()).collect();
        let specs: Vec<LayerSpec> = taps.into_iter().map(|t| t.spec).collect();

        let model = onnx.model_for_proto_model(&proto).map_err(onnx_err)?;
        let plan = run::optimise(model, &input_shape, &keys, run::PLAN_BATCH).map_err(onnx_err)?;
        Ok(Self {
            path: path.to_path_buf(),
            plan,
            input_shape,
            specs,
            keys,
            layouts,
            conv_tap: ConvTap::default(),
            token_pool: TokenPool::default(),
            device: Device::Cpu,
        })
    }

    /// The same model with every feature map tapped as `tap` (default
    /// [`ConvTap::ChannelMean`]): outputs of rank 4 (`batch x channels x h x w`), and of rank 3
    /// below a convolution or pooling (`batch x channels x length`).
    #[must_use]
    pub fn with_conv_tap(mut self, tap: ConvTap) -> Self {
        self.conv_tap = tap;
        self
    }

    /// The same model with every sequence of tokens (an output of rank 3, `batch x tokens x
    /// features`, not below a convolution) pooled as `pool` (default [`TokenPool::Mean`]).
    /// Outputs of rank 2 are taken as they are; of rank 5 or more, flattened.
    #[must_use]
    pub fn with_token_pool(mut self, pool: TokenPool) -> Self {
        self.token_pool = pool;
        self
    }

    /// How sequences of tokens are pooled ([`OnnxModel::with_token_pool`]).
    pub fn token_pool(&self) -> TokenPool {
        self.token_pool
    }

    /// How feature maps are tapped ([`OnnxModel::with_conv_tap`]).
    pub fn conv_tap(&self) -> ConvTap {
        self.conv_tap
    }

    /// The graph output each layer is read from, in the order of
    /// [`LayerModel::layers`](crate::LayerModel::layers): the node name as tract knows it
    /// (`node`, or `node:slot` for another output slot), e.g.
    /// `/net/layer1/layer1.0/relu_1/Relu` for the layer `layer1.0`.
    pub fn nodes(&self) -> &[String] {
        &self.keys
    }

    /// Every node output of the ONNX file at `path` worth tapping, in graph order: the
    /// activations, the residual `Add`s and bias `Add`s, the `Gemm`/`MatMul`/`Conv` outputs,
    /// normalisations (`LayerNormalization`, `BatchNormalization`), pooling and `Flatten`,
    /// `Softmax`, the end of a GELU exported as `Erf`, and every default tap; each with its
    /// short name (accepted by [`OnnxModel::load_with_layers`]) and its shape as tract types
    /// it with a symbolic batch.
    ///
    /// # Errors
    /// As [`OnnxModel::load`].
    pub fn candidates(path: impl AsRef<Path>) -> Result<Vec<Candidate>> {
        let path = path.as_ref();
        let onnx_err = |e: tract_onnx::prelude::TractError| ActivationsError::Onnx {
            path: path.to_path_buf(),
            message: format!("{e:#}"),
        };
        let onnx = tract_onnx::onnx();
        let parsed = Parsed::read(&onnx, path)?;
        let structure = Structure::new(&parsed.nodes, &parsed.input, &parsed.graph_outputs);
        let mut listed: Vec<(usize, usize)> = Vec::new();
        for (i, n) in parsed.nodes.iter().enumerate() {
            if structure.is_candidate(i) {
                listed.extend((0..n.outputs.len()).map(|slot| (i, slot)));
            }
        }
        let keys: Vec<String> = listed
            .iter()
            .map(|&(i, slot)| taps::key(&parsed.nodes[i].name, slot))
            .collect();
        // the shapes: the listed outputs made the graph's outputs, the graph typed
        let model = onnx
            .model_for_proto_model(&parsed.proto)
            .map_err(onnx_err)?;
        // a batch of one row: the shapes after the batch axis are the same for any batch
        let typed = run::with_taps(model, &parsed.input_shape, &keys, 1)
            .and_then(|m| m.into_typed())
            .map_err(onnx_err)?;
        let outlets = typed.output_outlets().map_err(onnx_err)?;
        let shapes: Vec<Option<Vec<usize>>> = outlets
            .iter()
            .map(|&o| {
                let fact = typed.outlet_fact(o).ok()?;
                fact.shape
                    .iter()
                    .skip(1)
                    .map(|d| d.to_usize().ok())
                    .collect()
            })
            .collect();
        Ok(listed
            .iter()
            .zip(keys)
            .enumerate()
            .map(|(j, (&(i, _), key))| Candidate {
                index: i,
                op: parsed.nodes[i].op.clone(),
                shape: shapes.get(j).cloned().flatten(),
                short_name: structure.short_name(&key),
                default: structure.auto().iter().any(|t| t.key == key),
                node: key,
            })
            .collect())
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

/// The ONNX file as read before tract builds its model: the protobuf, its nodes, its one input
/// (name and sample shape) and its outputs.
struct Parsed {
    proto: pb::ModelProto,
    nodes: Vec<NodeInfo>,
    input: String,
    input_shape: Vec<usize>,
    graph_outputs: Vec<String>,
}

impl Parsed {
    /// Reads and checks `path`: errors as [`OnnxModel::load`] (I/O, parse, unsupported op,
    /// input).
    fn read(onnx: &tract_onnx::Onnx, path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| ActivationsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
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
        let input = input.name.clone();
        Ok(Self {
            proto,
            nodes,
            input,
            input_shape,
            graph_outputs,
        })
    }
}

/// The taps for the entries of `--layers` (each `NODE`, `NODE:slot` or a short name, optionally
/// `=NAME` to name the layer), in order, then the default logits and probabilities not listed
/// if `with_outputs`. A listed default logits or probabilities output keeps that kind.
fn listed_taps(
    structure: &Structure<'_>,
    nodes: &[NodeInfo],
    names: Vec<String>,
    with_outputs: bool,
) -> Result<Vec<Tap>> {
    let mut taps: Vec<Tap> = Vec::with_capacity(names.len());
    for entry in names {
        let (key, name) = match structure.resolve(&entry) {
            Some(key) => {
                let name = structure.short_name(&key);
                (key, name)
            }
            None => {
                let resolved = entry
                    .rsplit_once('=')
                    .filter(|(_, name)| !name.is_empty())
                    .and_then(|(node, name)| Some((structure.resolve(node)?, name.to_owned())));
                resolved.ok_or_else(|| ActivationsError::UnknownLayer {
                    name: entry.clone(),
                    available: available(structure, nodes),
                })?
            }
        };
        if taps.iter().any(|t| t.key == key || t.spec.name == name) {
            return Err(ActivationsError::DuplicateLayer { name: entry });
        }
        let kind = structure
            .auto()
            .iter()
            .find(|t| t.key == key)
            .map_or(LayerKind::Hidden, |t| t.spec.kind);
        taps.push(Tap {
            key,
            spec: LayerSpec { name, kind },
        });
    }
    if with_outputs {
        let outputs: Vec<Tap> = structure
            .auto()
            .iter()
            .filter(|t| t.spec.kind != LayerKind::Hidden)
            .filter(|t| !taps.iter().any(|u| u.key == t.key))
            .cloned()
            .collect();
        for t in outputs {
            if taps.iter().any(|u| u.spec.name == t.spec.name) {
                return Err(ActivationsError::DuplicateLayer { name: t.spec.name });
            }
            taps.push(t);
        }
    }
    Ok(taps)
}

/// The names to suggest for an unknown `--layers` entry: the short names of the candidate
/// outputs ([`OnnxModel::candidates`]; any node name is accepted too).
fn available(structure: &Structure<'_>, nodes: &[NodeInfo]) -> Vec<String> {
    (0..nodes.len())
        .filter(|&i| structure.is_candidate(i))
        .map(|i| structure.short_name(&nodes[i].name))
        .collect()
}
