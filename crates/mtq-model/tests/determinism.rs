//! Same seed, same result: bit-identical weights and accuracy twice in one process, and in
//! child processes running candle with 1 and with 2 threads (`RAYON_NUM_THREADS`).

use std::process::Command;

use mtq_data::Mnist;
use mtq_model::{Device, Mlp, MlpConfig, TrainConfig};

const CHILD_ENV: &str = "MTQ_MODEL_DETERMINISM_CHILD";

/// Trains the reference network on a subset (for speed) and digests its weights and accuracy.
fn train_digest(seed: u64) -> String {
    let mnist = Mnist::embedded().expect("embedded MNIST");
    let train = mnist.train().select_classes(&[1, 7]).expect("1s and 7s");
    let test = mnist.test().select_classes(&[1, 7]).expect("1s and 7s");
    let mut mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), seed, &Device::Cpu).expect("model");
    let history = mlp
        .train(&train, &TrainConfig::new().epochs(2).seed(seed))
        .expect("train");
    let acc = mlp.evaluate(&test).expect("eval").accuracy;
    // FNV-1a over every weight's bits, layer by layer
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for layer in mlp.layers() {
        for t in std::iter::once(layer.weight()).chain(layer.bias()) {
            for v in t
                .flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .expect("weights")
            {
                for b in v.to_bits().to_le_bytes() {
                    h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                }
            }
        }
    }
    let loss_bits = history.last().map(|e| e.loss.to_bits()).unwrap_or_default();
    format!("{h:016x} acc={:016x} loss={loss_bits:016x}", acc.to_bits())
}

#[test]
fn determinism_child() {
    // Runs only as a child of `same_seed_same_weights_with_1_and_2_threads`.
    if std::env::var_os(CHILD_ENV).is_some() {
        println!("DIGEST {}", train_digest(3));
    }
}

#[test]
fn same_seed_same_weights_twice() {
    let a = train_digest(3);
    assert_eq!(a, train_digest(3));
    assert_ne!(a, train_digest(4));
}

#[test]
fn same_seed_same_weights_with_1_and_2_threads() {
    let exe = std::env::current_exe().expect("test binary path");
    let digests: Vec<String> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out = Command::new(&exe)
                .args([
                    "determinism_child",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, "1")
                .env("RAYON_NUM_THREADS", threads)
                .env("CANDLE_NUM_THREADS", threads)
                .output()
                .expect("child test process runs");
            assert!(
                out.status.success(),
                "child failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            stdout
                .lines()
                .find_map(|l| l.split_once("DIGEST ").map(|(_, d)| d))
                .unwrap_or_else(|| panic!("no digest from child ({threads} threads): {stdout}"))
                .to_owned()
        })
        .collect();
    assert_eq!(digests[0], digests[1], "1 thread vs 2 threads");
    assert_eq!(digests[0], train_digest(3), "child vs this process");
}
