//! `mtq onnx MODEL --list-layers`: every output of an ONNX model that can be tapped, as a
//! table on stdout, and nothing else (no data read, no report).

use std::path::Path;

use crate::failure::Failure;

/// Prints the candidate taps of the ONNX model at `model`: index, short name (what
/// `--layers` and the report call it), `*` for a default tap, op, shape without the batch
/// (`?` where an axis is not fixed), node name.
///
/// # Errors
/// [`Failure::Run`] if the model cannot be read or typed (naming the file and the node);
/// [`Failure::Usage`] in a build without ONNX support.
#[cfg(feature = "onnx")]
pub fn list_layers(model: &Path) -> Result<(), Failure> {
    use mtq_signature::pipeline::OnnxModel;
    let list = OnnxModel::candidates(model).map_err(|e| Failure::Run(Box::new(e)))?;
    let rows: Vec<[String; 6]> = list
        .iter()
        .map(|c| {
            [
                c.index.to_string(),
                c.short_name.clone(),
                if c.default { "*" } else { "" }.to_owned(),
                c.op.clone(),
                c.shape.as_ref().map_or_else(
                    || "?".to_owned(),
                    |s| {
                        s.iter()
                            .map(usize::to_string)
                            .collect::<Vec<_>>()
                            .join(" x ")
                    },
                ),
                c.node.clone(),
            ]
        })
        .collect();
    let header = ["#", "layer", "default", "op", "shape", "node"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String; 6]| {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 0 {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        println!("{}", cells.join("  ").trim_end());
    };
    line(&header);
    for row in &rows {
        line(row);
    }
    let defaults: Vec<&str> = list
        .iter()
        .filter(|c| c.default)
        .map(|c| c.short_name.as_str())
        .collect();
    println!(
        "\n{} outputs can be tapped; the {} default taps (*): {}",
        list.len(),
        defaults.len(),
        defaults.join(", ")
    );
    println!("choose others with --layers NAME,NODE,NODE=NAME,.. (a layer name or a node name)");
    Ok(())
}

/// Without ONNX support: the usage error saying how to build it.
///
/// # Errors
/// Always [`Failure::Usage`].
#[cfg(not(feature = "onnx"))]
pub fn list_layers(_: &Path) -> Result<(), Failure> {
    Err(crate::to_study::no_onnx())
}
