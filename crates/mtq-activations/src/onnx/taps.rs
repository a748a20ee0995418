//! Which node outputs are tapped by default: the hidden activations, the logits and the
//! probabilities.

use std::collections::HashMap;

use super::graph::NodeInfo;
use crate::LayerSpec;

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

/// The automatic taps: hidden activations after a linear op, then logits and probabilities.
pub(super) fn auto_layers(nodes: &[NodeInfo], graph_outputs: &[String]) -> Vec<LayerSpec> {
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
