//! Which node outputs are tapped by default, what each is called, and which outputs are
//! worth listing: the graph's structure read from the protobuf, before tract sees it.
//!
//! Two rules, the first that applies:
//! - **residual networks** (any *residual Add*, below): the output of every residual block,
//!   the pooled features that feed the classifier, then the logits and the probabilities;
//! - **otherwise** (MLPs, plain CNNs): every activation that follows a `Gemm`, `MatMul` or
//!   `Conv` (directly or through a bias `Add` or a `BatchNormalization`), then the logits and
//!   the probabilities.

use std::collections::{HashMap, HashSet};

use super::graph::NodeInfo;
use crate::{LayerKind, LayerSpec};

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
/// Operators whose output is listed as a candidate tap besides activations and linear ops.
const LISTED_OPS: &[&str] = &[
    "LayerNormalization",
    "BatchNormalization",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "ReduceMean",
    "Flatten",
    "Softmax",
    "LogSoftmax",
    "ConvTranspose",
];
/// Operators that leave a channels-first (`N x C x ...`) layout: a rank-3 output below them is
/// a 1-d feature map, not a sequence of tokens.
const CHANNEL_OPS: &[&str] = &[
    "Conv",
    "ConvTranspose",
    "MaxPool",
    "AveragePool",
    "BatchNormalization",
    "InstanceNormalization",
];
/// Operators that leave a tokens-last (`N x T x D`) layout.
/// Also token-setting: ops that move axes (a ViT's patch embedding ends `Conv`, `Flatten` or
/// `Reshape`, `Transpose`: what follows is `tokens x features`, not channels).
const TOKEN_OPS: &[&str] = &[
    "MatMul",
    "Gemm",
    "LayerNormalization",
    "Attention",
    "Transpose",
    "Reshape",
    "Flatten",
];
/// How many ops a skip connection may hold (torchvision's downsample: `Conv`, `BatchNorm`).
const MAX_SKIP_OPS: usize = 4;

/// The layout of a tapped output, which decides how a rank-3 output is reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// `N x C x ...`, below a convolution or pooling: reduced as a feature map.
    Channels,
    /// `N x T x D`, a sequence of tokens (or anything else): reduced over the tokens.
    Tokens,
}

/// A tapped output: the name tract knows it by (`node` or `node:slot`) and its layer.
#[derive(Debug, Clone)]
pub(super) struct Tap {
    /// The node name, with `:slot` for an output slot other than 0.
    pub(super) key: String,
    /// The layer: its short name and kind.
    pub(super) spec: LayerSpec,
}

/// The graph's structure: producers, consumers, which tensors depend on the input data.
pub(super) struct Structure<'a> {
    nodes: &'a [NodeInfo],
    /// tensor -> (node index, output slot)
    producer: HashMap<&'a str, (usize, usize)>,
    /// tensor -> consuming node indices
    consumers: HashMap<&'a str, Vec<usize>>,
    /// tensors computed from the graph input's values (not from constants, initializers or
    /// only the input's shape)
    data: HashSet<&'a str>,
    /// residual Add node indices, in graph order
    residual: Vec<usize>,
    /// output key -> short name
    short: HashMap<String, String>,
    /// the default taps
    auto: Vec<Tap>,
}

impl<'a> Structure<'a> {
    /// Reads the structure of `nodes` (in graph order, as ONNX stores them: topologically
    /// sorted) whose data input is `input` and whose outputs are `graph_outputs`.
    pub(super) fn new(nodes: &'a [NodeInfo], input: &'a str, graph_outputs: &[String]) -> Self {
        let mut producer = HashMap::new();
        let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut data: HashSet<&str> = HashSet::from([input]);
        for (i, n) in nodes.iter().enumerate() {
            for (slot, o) in n.outputs.iter().enumerate() {
                producer.insert(o.as_str(), (i, slot));
            }
            for inp in &n.inputs {
                consumers.entry(inp.as_str()).or_default().push(i);
            }
            // Shape and Size read only the shape: what follows from them is not data
            let depends = !matches!(n.op.as_str(), "Shape" | "Size")
                && n.inputs.iter().any(|i| data.contains(i.as_str()));
            if depends {
                data.extend(n.outputs.iter().map(String::as_str));
            }
        }
        let mut s = Self {
            nodes,
            producer,
            consumers,
            data,
            residual: Vec::new(),
            short: HashMap::new(),
            auto: Vec::new(),
        };
        s.residual = (0..nodes.len()).filter(|&i| s.is_residual(i)).collect();
        let (auto, roles) = s.default_taps(graph_outputs);
        s.short = s.short_names(&roles);
        s.auto = auto
            .into_iter()
            .map(|(key, kind)| Tap {
                spec: LayerSpec {
                    name: s.short_name(&key),
                    kind,
                },
                key,
            })
            .collect();
        s
    }

    /// The default taps, as [the module](self) describes them.
    pub(super) fn auto(&self) -> &[Tap] {
        &self.auto
    }

    /// Whether node `i` is a residual Add (a skip connection around a Conv/MatMul/Gemm branch).
    pub(super) fn is_residual(&self, i: usize) -> bool {
        let n = &self.nodes[i];
        if n.op != "Add" || n.inputs.len() != 2 {
            return false;
        }
        let (a, b) = (n.inputs[0].as_str(), n.inputs[1].as_str());
        if !self.data.contains(a) || !self.data.contains(b) {
            return false;
        }
        self.skips_to(a, b) || self.skips_to(b, a)
    }

    /// Whether `skip`, followed back through at most [`MAX_SKIP_OPS`] ops along its data
    /// input, reaches an ancestor of `main`, and `main`'s branch from there holds a linear op
    /// (so `x + f(x)` with `f` a `Conv`/`MatMul`/`Gemm` block, not an elementwise formula such
    /// as `x + 0.044715 * x^3`).
    fn skips_to(&self, skip: &str, main: &str) -> bool {
        let mut stops: HashSet<&str> = HashSet::from([skip]);
        let mut t = skip;
        for _ in 0..MAX_SKIP_OPS {
            let Some(&(p, _)) = self.producer.get(t) else {
                break;
            };
            match self.nodes[p]
                .inputs
                .iter()
                .find(|i| self.data.contains(i.as_str()))
            {
                Some(i) => {
                    t = i.as_str();
                    stops.insert(t);
                }
                None => break,
            }
        }
        // walk main's ancestry, not past the skip
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack = vec![main];
        let (mut reached, mut linear) = (false, false);
        while let Some(t) = stack.pop() {
            if !seen.insert(t) {
                continue;
            }
            if stops.contains(t) {
                reached = true;
                continue;
            }
            let Some(&(p, _)) = self.producer.get(t) else {
                continue;
            };
            let node = &self.nodes[p];
            linear |= LINEAR_OPS.contains(&node.op.as_str());
            stack.extend(
                node.inputs
                    .iter()
                    .map(String::as_str)
                    .filter(|i| self.data.contains(i)),
            );
        }
        reached && linear
    }

    /// The key (`node` or `node:slot`) of a tensor.
    fn key_of(&self, tensor: &str) -> Option<String> {
        self.producer
            .get(tensor)
            .map(|&(i, slot)| key(&self.nodes[i].name, slot))
    }

    /// The block output of residual Add `i`: the activation or `LayerNormalization` that is
    /// its only consumer, in its scope (post-norm, a ResNet's last ReLU), else the Add itself.
    fn block_output(&self, i: usize) -> usize {
        let add = &self.nodes[i];
        let Some(out) = add.outputs.first() else {
            return i;
        };
        if let Some([c]) = self.consumers.get(out.as_str()).map(Vec::as_slice) {
            let next = &self.nodes[*c];
            let follows =
                ACTIVATION_OPS.contains(&next.op.as_str()) || next.op == "LayerNormalization";
            let same_scope =
                scope(&add.name).is_none_or(|s| next.name.starts_with(&format!("{s}/")));
            if follows && same_scope {
                return *c;
            }
        }
        i
    }

    /// The default taps (key, kind) and the role names to give some of them (key, name).
    #[allow(clippy::type_complexity)]
    fn default_taps(
        &self,
        graph_outputs: &[String],
    ) -> (Vec<(String, LayerKind)>, Vec<(String, String)>) {
        let nodes = self.nodes;
        let mut taps: Vec<(String, LayerKind)> = Vec::new();
        let mut roles: Vec<(String, String)> = Vec::new();
        if self.residual.is_empty() {
            let from_linear = |input: &str| -> bool {
                let mut current = self.producer.get(input).map(|&(i, _)| &nodes[i]);
                // follow at most a few pass-through ops (bias Add, BatchNormalization)
                for _ in 0..3 {
                    match current {
                        Some(n) if LINEAR_OPS.contains(&n.op.as_str()) => return true,
                        Some(n) if PASS_THROUGH_OPS.contains(&n.op.as_str()) => {
                            current = n
                                .inputs
                                .first()
                                .and_then(|i| self.producer.get(i.as_str()))
                                .map(|&(i, _)| &nodes[i]);
                        }
                        _ => return false,
                    }
                }
                false
            };
            taps = nodes
                .iter()
                .filter(|n| ACTIVATION_OPS.contains(&n.op.as_str()))
                .filter(|n| n.inputs.first().is_some_and(|i| from_linear(i)))
                .map(|n| (n.name.clone(), LayerKind::Hidden))
                .collect();
        } else {
            for (block, points) in self.blocks() {
                let Some(&last) = points.last() else { continue };
                let out = self.block_output(last);
                let k = key(&nodes[out].name, 0);
                if let Some(name) = block {
                    roles.push((k.clone(), name));
                }
                taps.push((k, LayerKind::Hidden));
            }
        }
        let last = graph_outputs
            .first()
            .and_then(|o| self.producer.get(o.as_str()))
            .map(|&(i, _)| i);
        let logits = match last {
            Some(p) if nodes[p].op == "Softmax" => {
                let logits = nodes[p]
                    .inputs
                    .first()
                    .and_then(|i| self.producer.get(i.as_str()))
                    .map(|&(i, _)| i);
                if let Some(l) = logits {
                    let k = key(&nodes[l].name, 0);
                    taps.retain(|(t, _)| *t != k);
                    roles.push((k.clone(), "logits".to_owned()));
                    taps.push((k, LayerKind::Logits));
                }
                let k = key(&nodes[p].name, 0);
                taps.retain(|(t, _)| *t != k);
                roles.push((k.clone(), "probs".to_owned()));
                taps.push((k, LayerKind::Probabilities));
                logits
            }
            Some(p) => {
                let k = key(&nodes[p].name, 0);
                taps.retain(|(t, _)| *t != k);
                roles.push((k.clone(), "logits".to_owned()));
                taps.push((k, LayerKind::Logits));
                Some(p)
            }
            None => None,
        };
        if !self.residual.is_empty()
            && let Some(pool) = logits.and_then(|l| self.classifier_input(l))
            && let Some(k) = self.key_of(pool)
            && !taps.iter().any(|(t, _)| *t == k)
        {
            let at = taps
                .iter()
                .position(|(_, kind)| *kind != LayerKind::Hidden)
                .unwrap_or(taps.len());
            roles.push((k.clone(), "pool".to_owned()));
            taps.insert(at, (k, LayerKind::Hidden));
        }
        (taps, roles)
    }

    /// The residual Adds grouped into blocks, in graph order, each with the short name of its
    /// block when the node names carry a scope (`/net/layer1/layer1.0/Add` is in block
    /// `/net/layer1/layer1.0`: the deepest scope component numbered `name.N`). Without scopes:
    /// one block per residual Add, or per two when they feed `LayerNormalization`s
    /// (a transformer's attention and feed-forward halves).
    fn blocks(&self) -> Vec<(Option<String>, Vec<usize>)> {
        let scopes: Vec<Option<&str>> = self
            .residual
            .iter()
            .map(|&i| block_scope(&self.nodes[i].name))
            .collect();
        if scopes.iter().all(Option::is_some) {
            let mut blocks: Vec<(&str, Vec<usize>)> = Vec::new();
            for (&i, s) in self.residual.iter().zip(&scopes) {
                let s = s.unwrap_or_default();
                match blocks.iter_mut().find(|(b, _)| *b == s) {
                    Some((_, points)) => points.push(i),
                    None => blocks.push((s, vec![i])),
                }
            }
            let prefix = self.common_prefix();
            return blocks
                .into_iter()
                .map(|(s, points)| (Some(derived_name(s, None, prefix)), points))
                .collect();
        }
        let transformer = self.nodes.iter().any(|n| n.op == "LayerNormalization");
        let step = if transformer { 2 } else { 1 };
        self.residual
            .chunks(step)
            .map(|points| (None, points.to_vec()))
            .collect()
    }

    /// The tensor the classifier's linear op reads (the pooled features), from the logits
    /// node `l`: a `Gemm`/`MatMul`, or a bias `Add` after one.
    fn classifier_input(&self, l: usize) -> Option<&'a str> {
        let mut n = &self.nodes[l];
        if n.op == "Add" {
            let inner = n.inputs.iter().find(|i| self.data.contains(i.as_str()))?;
            n = &self.nodes[self.producer.get(inner.as_str())?.0];
        }
        if !matches!(n.op.as_str(), "Gemm" | "MatMul") {
            return None;
        }
        let x = n.inputs.iter().find(|i| self.data.contains(i.as_str()))?;
        // the graph input itself is no hidden layer
        self.producer.get(x.as_str()).map(|_| x.as_str())
    }

    /// The number of leading scope components every scoped node name shares (e.g. `net` when
    /// the network is wrapped), dropped from short names.
    fn common_prefix(&self) -> usize {
        let lists: Vec<Vec<&str>> = self
            .nodes
            .iter()
            .filter_map(|n| scope(&n.name))
            .map(|s| components(s))
            .filter(|c| !c.is_empty())
            .collect();
        let Some(first) = lists.first() else {
            return 0;
        };
        let mut k = 0;
        while k < first.len() && lists.iter().all(|l| l.len() > k && l[k] == first[k]) {
            k += 1;
        }
        k
    }

    /// Every output's short name: the role names first (`layer1.0`, `enc.0`, `pool`,
    /// `logits`, `probs`), then one derived from the node name (its scope without the op:
    /// `layer1.0.relu`; with the op in lower case when that is taken: `layer1.0.add`), the
    /// node name itself when that is taken too or the name carries no scope.
    fn short_names(&self, roles: &[(String, String)]) -> HashMap<String, String> {
        let mut short: HashMap<String, String> = HashMap::new();
        let mut used: HashSet<String> = HashSet::new();
        for (k, name) in roles {
            // a name without scope is the user's own: kept
            if !k.contains('/') || used.contains(name) {
                continue;
            }
            used.insert(name.clone());
            short.insert(k.clone(), name.clone());
        }
        let prefix = self.common_prefix();
        for n in self.nodes {
            for slot in 0..n.outputs.len() {
                let k = key(&n.name, slot);
                if short.contains_key(&k) {
                    continue;
                }
                let slotted = |base: String| {
                    if slot == 0 || base.is_empty() {
                        base
                    } else {
                        format!("{base}:{slot}")
                    }
                };
                let mut name = if n.name.contains('/') {
                    let derived = derived_name(&n.name, Some(&n.op), prefix);
                    // an unnamed nn.Sequential's `/1/Relu` is `1.relu`, not `1`
                    if !derived.is_empty() && !derived.chars().any(char::is_alphabetic) {
                        slotted(format!("{derived}.{}", n.op.to_lowercase()))
                    } else {
                        slotted(derived)
                    }
                } else {
                    slotted(n.name.clone())
                };
                if n.name.contains('/') && (name.is_empty() || used.contains(&name)) {
                    // the op kept, in lower case: `layer1.0.add`, `enc.0.add_2`
                    let full = derived_name(&n.name, None, prefix);
                    name = slotted(match full.rsplit_once('.') {
                        Some((head, op)) => format!("{head}.{}", op.to_lowercase()),
                        None => full.to_lowercase(),
                    });
                }
                if name.is_empty() || used.contains(&name) {
                    name = k.clone();
                }
                let mut unique = name.clone();
                let mut i = 2;
                while used.contains(&unique) {
                    unique = format!("{name}#{i}");
                    i += 1;
                }
                used.insert(unique.clone());
                short.insert(k, unique);
            }
        }
        short
    }

    /// The short name of output `key`, or `key` itself.
    pub(super) fn short_name(&self, key: &str) -> String {
        self.short
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// The output whose key or short name is `name` (`node`, `node:slot` or a short name).
    pub(super) fn resolve(&self, name: &str) -> Option<String> {
        let (base, slot) = match name.rsplit_once(':') {
            Some((b, s)) => match s.parse::<usize>() {
                Ok(slot) => (b, slot),
                Err(_) => (name, 0),
            },
            None => (name, 0),
        };
        if let Some(n) = self.nodes.iter().find(|n| n.name == base)
            && slot < n.outputs.len().max(1)
        {
            return Some(key(&n.name, slot));
        }
        self.short
            .iter()
            .filter(|(_, s)| s.as_str() == name)
            .map(|(k, _)| k.clone())
            .min()
    }

    /// The layout of output `key`: [`Layout::Channels`] when the nearest layout-setting op
    /// above it (along data inputs) is a convolution, pooling or batch norm; [`Layout::Tokens`]
    /// when it is a matrix product, a layer norm or an op that moves axes (`Transpose`,
    /// `Reshape`, `Flatten`), or nothing is found.
    pub(super) fn layout(&self, key: &str) -> Layout {
        let base = key.rsplit_once(':').map_or(key, |(b, _)| b);
        let mut node = self.nodes.iter().position(|n| n.name == base);
        for _ in 0..64 {
            let Some(i) = node else { break };
            let n = &self.nodes[i];
            if CHANNEL_OPS.contains(&n.op.as_str()) {
                return Layout::Channels;
            }
            if TOKEN_OPS.contains(&n.op.as_str()) {
                return Layout::Tokens;
            }
            node = n
                .inputs
                .iter()
                .find(|i| self.data.contains(i.as_str()))
                .and_then(|i| self.producer.get(i.as_str()))
                .map(|&(p, _)| p);
        }
        Layout::Tokens
    }

    /// Whether node `i`'s outputs are listed as candidate taps: activations, linear ops,
    /// normalisations, pooling, softmax, residual and bias Adds, the `Mul` ending an `Erf`
    /// GELU, and every default tap.
    pub(super) fn is_candidate(&self, i: usize) -> bool {
        let n = &self.nodes[i];
        let op = n.op.as_str();
        if ACTIVATION_OPS.contains(&op) || LINEAR_OPS.contains(&op) || LISTED_OPS.contains(&op) {
            return true;
        }
        if self.residual.contains(&i) {
            return true;
        }
        let from = |t: &str| self.producer.get(t).map(|&(p, _)| &self.nodes[p]);
        match op {
            // a bias after a MatMul
            "Add" => {
                n.inputs
                    .iter()
                    .any(|t| from(t).is_some_and(|p| LINEAR_OPS.contains(&p.op.as_str())))
                    && n.inputs
                        .iter()
                        .filter(|t| self.data.contains(t.as_str()))
                        .count()
                        == 1
            }
            // GELU exported as x * 0.5 * (1 + erf(x / sqrt 2)): the Mul two or three ops below Erf
            "Mul" => {
                let mut frontier: Vec<&str> = n.inputs.iter().map(String::as_str).collect();
                for _ in 0..3 {
                    let mut next = Vec::new();
                    for t in frontier {
                        if let Some(p) = from(t) {
                            if p.op == "Erf" {
                                return !n.outputs.iter().any(|o| {
                                    self.consumers.get(o.as_str()).is_some_and(|cs| {
                                        cs.iter().any(|&c| self.nodes[c].op == "Mul")
                                    })
                                });
                            }
                            next.extend(p.inputs.iter().map(String::as_str));
                        }
                    }
                    frontier = next;
                }
                false
            }
            _ => self.auto.iter().any(|t| {
                n.outputs
                    .iter()
                    .enumerate()
                    .any(|(s, _)| t.key == key(&n.name, s))
            }),
        }
    }
}

/// The key tract knows an output by: the node's name, with `:slot` after slot 0.
pub(super) fn key(node: &str, slot: usize) -> String {
    if slot == 0 {
        node.to_owned()
    } else {
        format!("{node}:{slot}")
    }
}

/// The scope of a node name: everything before its last `/`, if not empty.
fn scope(name: &str) -> Option<&str> {
    name.rsplit_once('/')
        .map(|(s, _)| s)
        .filter(|s| !s.trim_matches('/').is_empty())
}

/// The scope of the block holding a node: its scope up to the deepest component numbered
/// `name.N` (`/net/layer1/layer1.0/Add` -> `/net/layer1/layer1.0`,
/// `/bert/encoder/layer.0/attention/output/Add` -> `/bert/encoder/layer.0`), else its scope.
fn block_scope(name: &str) -> Option<&str> {
    let s = scope(name)?;
    let mut end = None;
    let mut pos = 0;
    for c in s.split('/') {
        pos += c.len();
        if numbered(c).is_some() {
            end = Some(pos);
        }
        pos += 1;
    }
    Some(end.map_or(s, |e| &s[..e]))
}

/// `Some(("layers", "0"))` for a component `layers.0`.
fn numbered(c: &str) -> Option<(&str, &str)> {
    let (word, n) = c.rsplit_once('.')?;
    (!word.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .then_some((word, n))
}

/// The non-empty `/`-separated components of a name.
fn components(name: &str) -> Vec<&str> {
    name.split('/').filter(|c| !c.is_empty()).collect()
}

/// A short name from a scoped node name: its components without the op (`Relu`, `Add_1`),
/// without the `prefix` leading ones every name shares, without a component repeated as the
/// stem of the next (`layer1/layer1.0` -> `layer1.0`), a stack of layers under an encoder or
/// decoder written `enc.N`/`dec.N`; joined with `.`. Empty if nothing is left.
fn derived_name(name: &str, op: Option<&str>, prefix: usize) -> String {
    let mut parts = components(name);
    if let (Some(op), Some(last)) = (op, parts.last())
        && (*last == op
            || last
                .strip_prefix(op)
                .and_then(|r| r.strip_prefix('_'))
                .is_some_and(|r| r.bytes().all(|b| b.is_ascii_digit())))
    {
        parts.pop();
    }
    let parts: Vec<&str> = parts.into_iter().skip(prefix).collect();
    let mut out: Vec<String> = Vec::new();
    for (i, c) in parts.iter().enumerate() {
        if parts
            .get(i + 1)
            .is_some_and(|next| next.strip_prefix(c).is_some_and(|r| r.starts_with('.')))
        {
            continue;
        }
        if let Some((word, n)) = numbered(c)
            && matches!(word, "layers" | "layer" | "blocks" | "block" | "h")
            && let Some(parent) = out.last()
        {
            let abbrev = match parent.as_str() {
                "encoder" | "transformer_encoder" => Some("enc"),
                "decoder" | "transformer_decoder" => Some("dec"),
                _ => None,
            };
            if let Some(a) = abbrev {
                out.pop();
                out.push(format!("{a}.{n}"));
                continue;
            }
        }
        out.push((*c).to_owned());
    }
    out.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_are_short() {
        assert_eq!(
            derived_name("/net/layer4/layer4.1/relu_1/Relu", Some("Relu"), 1),
            "layer4.1.relu_1"
        );
        assert_eq!(derived_name("/net/layer1/layer1.0", None, 1), "layer1.0");
        assert_eq!(derived_name("/net/encoder/layers.0", None, 1), "enc.0");
        assert_eq!(
            derived_name("/net/encoder/layers.1/Add_2", Some("Add"), 1),
            "enc.1"
        );
        assert_eq!(derived_name("/Softmax", Some("Softmax"), 0), "");
        assert_eq!(
            block_scope("/bert/encoder/layer.0/attention/output/Add"),
            Some("/bert/encoder/layer.0")
        );
        assert_eq!(block_scope("/a/Add"), Some("/a"));
        assert_eq!(block_scope("/Add"), None);
        assert_eq!(block_scope("Add"), None);
    }

    fn node(name: &str, op: &str, inputs: &[&str]) -> NodeInfo {
        NodeInfo {
            name: name.to_owned(),
            op: op.to_owned(),
            domain: String::new(),
            inputs: inputs.iter().map(|&i| i.to_owned()).collect(),
            outputs: vec![format!("{name}_out")],
        }
    }

    fn taps(nodes: &[NodeInfo]) -> Vec<(String, String)> {
        let last = format!("{}_out", nodes[nodes.len() - 1].name);
        Structure::new(nodes, "x", &[last])
            .auto()
            .iter()
            .map(|t| (t.key.clone(), t.spec.name.clone()))
            .collect()
    }

    fn keys(taps: &[(String, String)]) -> Vec<&str> {
        taps.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn unscoped_residual_blocks_end_after_their_add() {
        // a ResNet whose nodes carry no scope: each Add a block, its ReLU the output; the
        // second block's skip through a 1x1 conv (a projection)
        let nodes = [
            node("c1", "Conv", &["x", "w1"]),
            node("r1", "Relu", &["c1_out"]),
            node("c2", "Conv", &["r1_out", "w2"]),
            node("a1", "Add", &["c2_out", "r1_out"]),
            node("r2", "Relu", &["a1_out"]),
            node("c3", "Conv", &["r2_out", "w3"]),
            node("d3", "Conv", &["r2_out", "wd"]),
            node("a2", "Add", &["c3_out", "d3_out"]),
            node("r3", "Relu", &["a2_out"]),
            node("gp", "GlobalAveragePool", &["r3_out"]),
            node("fl", "Flatten", &["gp_out"]),
            node("fc", "Gemm", &["fl_out", "wf", "bf"]),
            node("sm", "Softmax", &["fc_out"]),
        ];
        let t = taps(&nodes);
        assert_eq!(keys(&t), ["r2", "r3", "fl", "fc", "sm"]);
        // names without scope are the user's: kept
        assert_eq!(t[2].1, "fl");
    }

    #[test]
    fn pre_norm_blocks_end_at_their_second_add() {
        // a pre-norm transformer without scopes: x + attn(ln(x)), then + ffn(ln(.)), twice
        let nodes = [
            node("emb", "MatMul", &["x", "we"]),
            node("ln1", "LayerNormalization", &["emb_out", "g", "b"]),
            node("att1", "MatMul", &["ln1_out", "wa"]),
            node("a1", "Add", &["emb_out", "att1_out"]),
            node("ln2", "LayerNormalization", &["a1_out", "g", "b"]),
            node("ff1", "MatMul", &["ln2_out", "wf"]),
            node("a2", "Add", &["a1_out", "ff1_out"]),
            node("ln3", "LayerNormalization", &["a2_out", "g", "b"]),
            node("att2", "MatMul", &["ln3_out", "wa"]),
            node("a3", "Add", &["a2_out", "att2_out"]),
            node("ln4", "LayerNormalization", &["a3_out", "g", "b"]),
            node("ff2", "MatMul", &["ln4_out", "wf"]),
            node("a4", "Add", &["a3_out", "ff2_out"]),
            node("rm", "ReduceMean", &["a4_out"]),
            node("head", "Gemm", &["rm_out", "wh", "bh"]),
            node("sm", "Softmax", &["head_out"]),
        ];
        assert_eq!(keys(&taps(&nodes)), ["a2", "a4", "rm", "head", "sm"]);
        // the same with torch's scopes: grouped by layer, named enc.N
        let scoped: Vec<NodeInfo> = nodes
            .iter()
            .map(|n| {
                let rename = |s: &str| -> String {
                    let (base, tail) = s.split_once('_').map_or((s, ""), |(b, t)| (b, t));
                    let scope = match base {
                        "ln1" | "att1" | "a1" | "ln2" | "ff1" | "a2" => "/encoder/layers.0/",
                        "ln3" | "att2" | "a3" | "ln4" | "ff2" | "a4" => "/encoder/layers.1/",
                        _ => "/",
                    };
                    let name = format!("{scope}{base}/{}", node_op(&nodes, base));
                    if tail.is_empty() {
                        name
                    } else {
                        format!("{name}_{tail}")
                    }
                };
                let mut m = node(&rename(&n.name), &n.op, &[]);
                m.inputs = n
                    .inputs
                    .iter()
                    .map(|i| {
                        if i.ends_with("_out") {
                            rename(i)
                        } else {
                            i.clone()
                        }
                    })
                    .collect();
                m.outputs = vec![rename(&n.outputs[0])];
                m
            })
            .collect();
        let t = taps(&scoped);
        let names: Vec<&str> = t.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["enc.0", "enc.1", "pool", "logits", "probs"]);
        assert_eq!(t[1].0, "/encoder/layers.1/a4/Add");
    }

    fn node_op<'a>(nodes: &'a [NodeInfo], name: &str) -> &'a str {
        nodes
            .iter()
            .find(|n| n.name == name)
            .map_or("Op", |n| n.op.as_str())
    }

    #[test]
    fn an_unnamed_sequential_gets_op_names() {
        // torch.onnx.export of nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)
        let nodes = [
            node("/0/Gemm", "Gemm", &["x", "w0", "b0"]),
            node("/1/Relu", "Relu", &["/0/Gemm_out"]),
            node("/2/Gemm", "Gemm", &["/1/Relu_out", "w2", "b2"]),
            node("/3/Relu", "Relu", &["/2/Gemm_out"]),
            node("/4/Gemm", "Gemm", &["/3/Relu_out", "w4", "b4"]),
        ];
        let t = taps(&nodes);
        let names: Vec<&str> = t.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["1.relu", "3.relu", "logits"]);
    }

    #[test]
    fn an_elementwise_formula_is_no_skip_connection() {
        // tanh-GELU's x + 0.044715 x^3: both inputs computed, one the other's ancestor, but no
        // linear op on the way: the MLP's rule applies
        let nodes = [
            node("fc1", "Gemm", &["x", "w", "b"]),
            node("pow", "Pow", &["fc1_out", "three"]),
            node("mul", "Mul", &["pow_out", "c"]),
            node("add", "Add", &["fc1_out", "mul_out"]),
            node("tanh", "Tanh", &["add_out"]),
            node("fc2", "Gemm", &["tanh_out", "w2", "b2"]),
        ];
        let s = Structure::new(&nodes, "x", &["fc2_out".to_owned()]);
        assert!(!s.is_residual(3));
        assert_eq!(keys(&taps(&nodes)), ["tanh", "fc2"]);
        // Shape arithmetic is no data
        let nodes = [
            node("shape", "Shape", &["x"]),
            node("g0", "Gather", &["shape_out", "i0"]),
            node("g1", "Gather", &["shape_out", "i1"]),
            node("add", "Add", &["g0_out", "g1_out"]),
            node("fc", "MatMul", &["x", "w"]),
        ];
        let s = Structure::new(&nodes, "x", &["fc_out".to_owned()]);
        assert!(!s.is_residual(3));
    }
}
