//! Extraction throughput of the 784-32-64-2 MLP (every layer, logits and probabilities, into
//! ndarray) on the 1/7 training set and on 60,000 synthetic inputs, beside Keras' `predict`.
//!
//! ```sh
//! cargo run --release -p mtq-activations --example extract_throughput [-- --reps 15 --batch 256]
//! ```
//!
//! Keras' figure is from `../shared/peers/README.md`: `predict(batch_size=256)` on the layer
//! sub-model takes 67 ms for the 1,755 images (26.2k samples/s) on this machine class; measure
//! it side by side with a copy of `bench_keras.py` for a fair ratio. The goal is 30x.

use std::time::Instant;

use candle_core::Device;
use mtq_activations::{Activations, ExtractParams};
use mtq_data::{Dataset, Mnist};
use mtq_model::{Mlp, MlpConfig};
use ndarray::{Array1, Array2};

/// Keras `predict` on the 1,755 images: 67 ms (peers README).
const KERAS_SAMPLES_PER_S: f64 = 1755.0 / 0.067;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds of `reps` timed runs after one warm-up, and the last result.
fn time(
    reps: usize,
    mut run: impl FnMut() -> Result<Activations, mtq_activations::ActivationsError>,
) -> Result<(f64, Activations), Box<dyn std::error::Error>> {
    let mut last = run()?;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        last = run()?;
        times.push(t0.elapsed().as_secs_f64());
    }
    Ok((median(times), last))
}

fn arg(name: &str, default: usize) -> Result<usize, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).ok_or("missing value")?.parse()?),
        None => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps = arg("--reps", 15)?;
    let batch = arg("--batch", 256)?;
    println!(
        "RAYON_NUM_THREADS={:?}, batch {batch}, median of {reps} runs",
        std::env::var("RAYON_NUM_THREADS").ok()
    );
    let mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), 0, &Device::Cpu)?;
    let parallel = ExtractParams::new(batch).logits(true).probabilities(true);
    let sequential = parallel.clone().parallel(false);

    let ones_sevens = Mnist::embedded()?.train().select_classes(&[1, 7])?;
    let synthetic = {
        let n = 60_000;
        // deterministic pseudo-pixels in [0, 1]
        let x = Array2::from_shape_fn((n, 784), |(i, j)| {
            ((i.wrapping_mul(2_654_435_761) ^ j.wrapping_mul(40_503)) % 256) as f32 / 255.0
        });
        Dataset::new(x, Array1::from_iter((0..n).map(|i| i % 2)))?
    };

    println!(
        "{:<22} {:>10} {:>8} {:>10} {:>14} {:>10}",
        "data", "batches", "n", "median", "samples/s", "vs Keras"
    );
    for (name, data) in [
        ("1/7 train (embedded)", &ones_sevens),
        ("synthetic", &synthetic),
    ] {
        for (mode, params) in [("parallel", &parallel), ("sequential", &sequential)] {
            let (secs, acts) = time(reps, || params.extract(&mlp, data))?;
            let rate = data.n_samples() as f64 / secs;
            println!(
                "{:<22} {:>10} {:>8} {:>8.2}ms {:>14.0} {:>9.1}x",
                name,
                mode,
                data.n_samples(),
                secs * 1e3,
                rate,
                rate / KERAS_SAMPLES_PER_S
            );
            assert_eq!(acts.widths(), [32, 64, 2, 2]);
        }
    }
    Ok(())
}
