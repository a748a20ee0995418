//! The ONNX graph as this module reads it: its nodes (named as tract names them) and the
//! sample shape of its input.

use tract_onnx::pb;

/// One node of the ONNX graph, as this module needs it.
pub(super) struct NodeInfo {
    pub(super) name: String,
    pub(super) op: String,
    pub(super) domain: String,
    pub(super) inputs: Vec<String>,
    pub(super) outputs: Vec<String>,
}

/// The node name tract gives a protobuf node: its name, else its first output, else
/// `"<index>-<op>"` (tract's rule, so names given to `select_outputs_by_name` resolve).
pub(super) fn node_infos(graph: &pb::GraphProto, n_initializers: usize) -> Vec<NodeInfo> {
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

/// The fixed sample shape of the graph input (every axis after the first).
pub(super) fn input_sample_shape(
    input: &pb::ValueInfoProto,
) -> std::result::Result<Vec<usize>, String> {
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
