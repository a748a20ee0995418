//! What the `mtq` binary's tests share: running it, a scratch folder, a safetensors MLP.

// Test helpers outside #[test] functions: a failure here is a test failure; each test file
// uses some of them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `mtq` with `args`.
pub fn mtq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mtq"))
        .args(args)
        .output()
        .expect("the mtq binary runs")
}

/// Bytes as text, lossily.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh scratch folder (not created) named for the test and the process.
pub fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mtq-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A 784 -> 16 -> 2 network of fixed weights as a PyTorch (`out x in`) or Keras (`in x out`)
/// state_dict; `poison` puts a NaN into `0.weight`.
pub fn write_weights(path: &std::path::Path, keras: bool, poison: bool) {
    use mtq_model::candle_core::{Device, Tensor};
    let w1: Vec<f32> = (0..16 * 784)
        .map(|i| {
            if poison && i == 5 {
                f32::NAN
            } else {
                ((i * 37 % 101) as f32 / 101.0 - 0.5) * 0.2
            }
        })
        .collect();
    let w2: Vec<f32> = (0..2 * 16)
        .map(|i| ((i * 17 % 29) as f32 / 29.0 - 0.5) * 2.0)
        .collect();
    let t = |v: Vec<f32>, out: usize, inp: usize| {
        let t = Tensor::from_vec(v, (out, inp), &Device::Cpu).expect("test fixture");
        if keras {
            t.t()
                .expect("test fixture")
                .contiguous()
                .expect("test fixture")
        } else {
            t
        }
    };
    let (a, b) = if keras { ("0", "1") } else { ("0", "2") };
    let tensors = std::collections::HashMap::from([
        (format!("{a}.weight"), t(w1, 16, 784)),
        (
            format!("{a}.bias"),
            Tensor::from_vec(vec![0.01f32; 16], 16, &Device::Cpu).expect("test fixture"),
        ),
        (format!("{b}.weight"), t(w2, 2, 16)),
    ]);
    mtq_model::candle_core::safetensors::save(&tensors, path).expect("test fixture");
}

/// Three separable classes of 12 features (labels 0, 1, 2; 30 each) and 15 samples of a fourth
/// cluster, written as X.npy, y.npy and U.npy into `dir`; also `W.npy`, 15 samples of 5 features.
pub fn write_arrays(dir: &std::path::Path) {
    use ndarray::{Array1, Array2};
    std::fs::create_dir_all(dir).expect("test fixture");
    let noise = |i: usize, j: usize| ((i * 7 + j * 13) % 11) as f32 / 10.0;
    let x = Array2::from_shape_fn((90, 12), |(i, j)| {
        (i % 3) as f32 * 2.0 * if j % 2 == 0 { 1.0 } else { -1.0 } + noise(i, j)
    });
    let y = Array1::from_shape_fn(90, |i| (i % 3) as i64);
    let u = Array2::from_shape_fn((15, 12), |(i, j)| 6.0 + noise(i, j));
    let w = Array2::from_shape_fn((15, 5), |(i, j)| noise(i, j));
    mtq_data::npy::write_npy(dir.join("X.npy"), &x).expect("test fixture");
    mtq_data::npy::write_npy(dir.join("y.npy"), &y).expect("test fixture");
    mtq_data::npy::write_npy(dir.join("U.npy"), &u).expect("test fixture");
    mtq_data::npy::write_npy(dir.join("W.npy"), &w).expect("test fixture");
}
