//! Save and load: round trip, and each malformed directory gives its own error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mtq_model::{
    Activation, CONFIG_FILE, Device, Mlp, MlpConfig, ModelError, Tensor, WEIGHTS_FILE,
    array_to_tensor,
};
use ndarray::Array2;

/// A fresh, empty directory under the target's temporary folder.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtq-model-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn saved_model(name: &str) -> (Mlp, PathBuf) {
    let cfg = MlpConfig::new(6, [5, 4], 3).with_activation(Activation::Tanh);
    let mlp = Mlp::new(cfg, 11, &Device::Cpu).expect("model");
    let dir = scratch_dir(name);
    mlp.save(&dir).expect("save");
    (mlp, dir)
}

fn rewrite_weights(dir: &Path, edit: impl FnOnce(&mut HashMap<String, Tensor>)) {
    let path = dir.join(WEIGHTS_FILE);
    let mut tensors =
        mtq_model::candle_core::safetensors::load(&path, &Device::Cpu).expect("weights load");
    edit(&mut tensors);
    mtq_model::candle_core::safetensors::save(&tensors, &path).expect("weights save");
}

#[test]
fn round_trip_gives_identical_outputs() {
    let (mlp, dir) = saved_model("round-trip");
    let loaded = Mlp::load(&dir, &Device::Cpu).expect("load");
    assert_eq!(loaded.config(), mlp.config());
    let x = Array2::from_shape_fn((7, 6), |(i, j)| ((i * 6 + j) as f32 * 0.3).sin());
    let t = array_to_tensor(x.view(), &Device::Cpu).expect("tensor");
    let a = mlp.forward_all(&t).expect("forward");
    let b = loaded.forward_all(&t).expect("forward");
    assert_eq!(
        a.logits.to_vec2::<f32>().expect("logits"),
        b.logits.to_vec2::<f32>().expect("logits")
    );
    for (ha, hb) in a.hidden.iter().zip(&b.hidden) {
        assert_eq!(
            ha.to_vec2::<f32>().expect("h"),
            hb.to_vec2::<f32>().expect("h")
        );
    }
    // the config file is readable JSON naming the activation
    let json = std::fs::read_to_string(dir.join(CONFIG_FILE)).expect("config");
    assert!(json.contains("\"tanh\""), "{json}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn missing_directory_is_io_error() {
    let dir = scratch_dir("does-not-exist");
    let err = Mlp::load(&dir, &Device::Cpu).expect_err("nothing to load");
    assert!(
        matches!(err, ModelError::Io { ref path, .. } if path.ends_with(CONFIG_FILE)),
        "{err}"
    );
}

#[test]
fn bad_json_is_config_error() {
    let (_, dir) = saved_model("bad-json");
    std::fs::write(dir.join(CONFIG_FILE), "{\"input_dim\": 6, \"hidden\": [5,").expect("write");
    let err = Mlp::load(&dir, &Device::Cpu).expect_err("bad json");
    assert!(matches!(err, ModelError::ConfigJson { .. }), "{err}");
    // valid JSON describing an invalid network is rejected by the config check
    std::fs::write(
        dir.join(CONFIG_FILE),
        r#"{"input_dim":6,"hidden":[0],"n_classes":3}"#,
    )
    .expect("write");
    let err = Mlp::load(&dir, &Device::Cpu).expect_err("zero width");
    assert!(matches!(err, ModelError::ZeroWidth { layer: 1 }), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn corrupt_weights_are_weights_error() {
    let (_, dir) = saved_model("corrupt");
    let path = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
    let err = Mlp::load(&dir, &Device::Cpu).expect_err("truncated");
    assert!(matches!(err, ModelError::Weights { .. }), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn missing_tensor_is_named() {
    let (_, dir) = saved_model("missing");
    rewrite_weights(&dir, |t| {
        t.remove("h2.bias");
    });
    let err = Mlp::load(&dir, &Device::Cpu).expect_err("missing");
    assert!(
        matches!(err, ModelError::MissingTensor { ref name, .. } if name == "h2.bias"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn wrong_shape_is_named_with_both_shapes() {
    let (_, dir) = saved_model("shape");
    rewrite_weights(&dir, |t| {
        let w =
            Tensor::zeros((4, 6), mtq_model::candle_core::DType::F32, &Device::Cpu).expect("zeros");
        t.insert("h1.weight".into(), w);
    });
    let err = Mlp::load(&dir, &Device::Cpu).expect_err("shape");
    assert!(
        matches!(err, ModelError::TensorShape { ref name, ref expected, ref found, .. }
            if name == "h1.weight" && *expected == [5, 6] && *found == [4, 6]),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unknown_tensor_is_rejected() {
    let (_, dir) = saved_model("extra");
    rewrite_weights(&dir, |t| {
        let x = Tensor::zeros(3, mtq_model::candle_core::DType::F32, &Device::Cpu).expect("zeros");
        t.insert("h3.bias".into(), x);
    });
    let err = Mlp::load(&dir, &Device::Cpu).expect_err("extra");
    assert!(
        matches!(err, ModelError::UnexpectedTensor { ref name, .. } if name == "h3.bias"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
