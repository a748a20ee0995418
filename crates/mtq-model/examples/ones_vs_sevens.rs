//! Train the reference network on the embedded 1s and 7s with a line per epoch, evaluate it,
//! save it and load it back.
//!
//! ```text
//! cargo run --release -p mtq-model --example ones_vs_sevens [-- SEED]
//! ```

use mtq_data::Mnist;
use mtq_model::{Device, Mlp, MlpConfig, TrainConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(0);
    let mnist = Mnist::embedded()?;
    let train = mnist.train().select_classes(&[1, 7])?;
    let test = mnist.test().select_classes(&[1, 7])?;
    println!(
        "{} training and {} test images of classes {:?}",
        train.n_samples(),
        test.n_samples(),
        train.classes()
    );

    let mut mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), seed, &Device::Cpu)?;
    let cfg = TrainConfig::new()
        .epochs(5)
        .batch_size(32)
        .seed(seed)
        .validation_split(0.1);
    let history = mlp.train_with(&train, &cfg, &mut |e| {
        let val = match (e.val_loss, e.val_accuracy) {
            (Some(l), Some(a)) => format!(", val_loss {l:.4}, val_accuracy {a:.4}"),
            _ => String::new(),
        };
        eprintln!(
            "epoch {}: loss {:.4}, accuracy {:.4}{val} ({:.3} s)",
            e.epoch, e.loss, e.accuracy, e.seconds
        );
    })?;
    println!(
        "trained on {}, validated on {}",
        history.n_train, history.n_val
    );

    let eval = mlp.evaluate(&test)?;
    println!("test accuracy {:.4}, loss {:.4}", eval.accuracy, eval.loss);
    for (label, class) in train.classes().iter().enumerate() {
        let acc = eval.per_class_accuracy[label].unwrap_or(f64::NAN);
        println!(
            "  digit {class}: accuracy {acc:.4}, predicted as {:?}",
            eval.confusion.row(label).to_vec()
        );
    }

    let dir = std::env::temp_dir().join(format!("mtq-ones-vs-sevens-{seed}"));
    mlp.save(&dir)?;
    let loaded = Mlp::load(&dir, &Device::Cpu)?;
    println!(
        "saved to {} and loaded back: test accuracy {:.4}",
        dir.display(),
        loaded.evaluate(&test)?.accuracy
    );
    Ok(())
}
