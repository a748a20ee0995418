//! Extraction throughput of the 784-32-64-2 MLP (every layer: h1, h2, logits and
//! probabilities, into ndarray) on the 1/7 training set and on 60,000 synthetic inputs, beside
//! Keras' `predict`.
//!
//! ```sh
//! cargo run --release -p mtq-activations --example extract_throughput [-- --reps 21 --batch 256]
//! ```
//!
//! Batches in parallel (rayon's global pool) and sequential are timed interleaved, round by
//! round, so machine load hits both alike; median and best of `--reps` rounds after one warm-up.
//! Keras' figure is from `benches/reference/README.md`: `predict(batch_size=256)` on the layer
//! sub-model, 67 ms for the 1,755 images (26.2k samples/s); measure it side by side with a copy
//! of `bench_keras.py` for a fair ratio. The goal is 30x.

use std::time::Instant;

use candle_core::Device;
use mtq_activations::ExtractParams;
use mtq_data::{Dataset, Mnist};
use mtq_model::{Mlp, MlpConfig};
use ndarray::{Array1, Array2};

/// Keras `predict` on the 1,755 images: 67 ms (peers README).
const KERAS_SAMPLES_PER_S: f64 = 1755.0 / 0.067;

fn arg(name: &str, default: usize) -> Result<usize, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).ok_or("missing value")?.parse()?),
        None => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps = arg("--reps", 21)?.max(1);
    let batch = arg("--batch", 256)?;
    println!(
        "RAYON_NUM_THREADS={:?}, batch {batch}, {reps} interleaved rounds",
        std::env::var("RAYON_NUM_THREADS").ok()
    );
    let mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), 0, &Device::Cpu)?;
    let parallel = ExtractParams::new(batch).logits(true).probabilities(true);
    let sequential = parallel.clone().parallel(false);
    let ways = [("parallel", &parallel), ("sequential", &sequential)];

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
        "{:<22} {:>12} {:>7} {:>10} {:>9} {:>12} {:>9} {:>9}",
        "data", "batches", "n", "median", "best", "samples/s", "vs Keras", "(best)"
    );
    for (name, data) in [
        ("1/7 train (embedded)", &ones_sevens),
        ("synthetic", &synthetic),
    ] {
        let mut times = vec![Vec::with_capacity(reps); ways.len()];
        for round in 0..=reps {
            for ((_, params), t) in ways.iter().zip(&mut times) {
                let t0 = Instant::now();
                let acts = params.extract(&mlp, data)?;
                if round > 0 {
                    t.push(t0.elapsed().as_secs_f64());
                }
                assert_eq!(acts.widths(), [32, 64, 2, 2]);
            }
        }
        for ((way, _), mut t) in ways.iter().zip(times) {
            t.sort_by(f64::total_cmp);
            let (median, best) = (t[t.len() / 2], t[0]);
            let rate = data.n_samples() as f64 / median;
            let best_rate = data.n_samples() as f64 / best;
            println!(
                "{:<22} {:>12} {:>7} {:>8.2}ms {:>7.2}ms {:>12.0} {:>8.1}x {:>8.1}x",
                name,
                way,
                data.n_samples(),
                median * 1e3,
                best * 1e3,
                rate,
                rate / KERAS_SAMPLES_PER_S,
                best_rate / KERAS_SAMPLES_PER_S
            );
        }
    }
    Ok(())
}
