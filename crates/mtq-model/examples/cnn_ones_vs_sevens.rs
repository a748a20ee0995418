//! Train the LeNet-style CNN on the embedded MNIST 1s and 7s for seeds 0, 1, 2: test accuracy
//! and training wall time per seed, then their means.
//!
//! ```text
//! cargo run --release -p mtq-model --example cnn_ones_vs_sevens [-- EPOCHS [BATCH [LR]]]
//! ```

use std::time::Instant;

use mtq_data::Mnist;
use mtq_model::{Cnn, CnnConfig, Device, Optimizer, TrainConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |i: usize| std::env::args().nth(i);
    let epochs: usize = arg(1).map(|s| s.parse()).transpose()?.unwrap_or(10);
    let batch: usize = arg(2).map(|s| s.parse()).transpose()?.unwrap_or(32);
    let lr: f64 = arg(3).map(|s| s.parse()).transpose()?.unwrap_or(1e-3);
    let mnist = Mnist::embedded()?;
    let train = mnist.train().select_classes(&[1, 7])?;
    let test = mnist.test().select_classes(&[1, 7])?;
    let config = CnnConfig::lenet(28, 28, 2);
    println!(
        "{} training / {} test images, {config:?}, {} parameters, {epochs} epochs, batch {batch}, Adam {lr}",
        train.n_samples(),
        test.n_samples(),
        config.n_params()
    );
    let (mut acc_sum, mut time_sum) = (0.0, 0.0);
    for seed in 0..3u64 {
        let start = Instant::now();
        let mut cnn = Cnn::new(config.clone(), seed, &Device::Cpu)?;
        let cfg = TrainConfig::new()
            .epochs(epochs)
            .batch_size(batch)
            .optimizer(Optimizer::adam(lr))
            .seed(seed);
        cnn.train(&train, &cfg)?;
        let seconds = start.elapsed().as_secs_f64();
        let eval = cnn.evaluate(&test)?;
        let errors = eval.n_samples - (eval.accuracy * eval.n_samples as f64).round() as usize;
        println!(
            "seed {seed}: test accuracy {:.4} ({errors} errors), training {seconds:.2} s",
            eval.accuracy
        );
        acc_sum += eval.accuracy;
        time_sum += seconds;
    }
    println!(
        "mean over seeds 0, 1, 2: test accuracy {:.4}, training {:.2} s",
        acc_sum / 3.0,
        time_sum / 3.0
    );
    Ok(())
}
