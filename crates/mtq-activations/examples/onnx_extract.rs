//! Extraction alone from an ONNX classifier, for `benches/scripts/onnx_speed.py`: loads the
//! model once (not timed), then times `--reps` extractions of every default tap (hidden
//! layers, logits, probabilities) over the rows of a `.npy` matrix, as the study runs them.
//!
//! ```sh
//! cargo run --release -p mtq-activations --features onnx --example onnx_extract -- \
//!     MODEL.onnx X.npy [--batch 1024] [--reps 1]
//! ```
//!
//! `X.npy` is `samples x input_dim` (an image network's rows are reshaped to its input).
//! Prints one JSON line: the tapped nodes, their widths, the load time and each extraction's seconds.

use std::time::Instant;

use mtq_activations::{ExtractParams, OnnxModel, read_npy_matrix};
use ndarray::Array1;

fn arg(args: &[String], name: &str, default: usize) -> Result<usize, Box<dyn std::error::Error>> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).ok_or("missing value")?.parse()?),
        None => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(model_path), Some(x_path)) = (args.get(1), args.get(2)) else {
        return Err("usage: onnx_extract MODEL.onnx X.npy [--batch 1024] [--reps 1]".into());
    };
    let batch = arg(&args, "--batch", 1024)?;
    let reps = arg(&args, "--reps", 1)?.max(1);
    let x = read_npy_matrix(x_path)?;
    let n = x.nrows();
    let t0 = Instant::now();
    let model = OnnxModel::load(model_path)?;
    let load = t0.elapsed().as_secs_f64();
    let labels = Array1::<usize>::zeros(n);
    let ids = Array1::from_iter(0..n);
    let params = ExtractParams::new(batch).logits(true).probabilities(true);
    let mut seconds = Vec::with_capacity(reps);
    let mut widths = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let acts = params.extract_arrays(&model, x.view(), labels.view(), ids.view())?;
        seconds.push(t.elapsed().as_secs_f64());
        widths = acts.layers().iter().map(|l| l.values().ncols()).collect();
    }
    // the graph's node names (what onnxruntime is asked for), not the layers' short names
    let taps: Vec<String> = model.nodes().iter().map(|n| format!("{n:?}")).collect();
    println!(
        "{{\"taps\": [{}], \"widths\": {widths:?}, \"load_seconds\": {load}, \"seconds\": {seconds:?}}}",
        taps.join(", ")
    );
    Ok(())
}
