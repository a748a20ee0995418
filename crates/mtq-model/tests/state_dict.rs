//! Weights made with numpy under PyTorch and Keras layouts (`fixtures/make_state_dict.py`) load
//! into an `Mlp` whose every layer equals numpy's forward pass to 1e-5.

use std::collections::HashMap;
use std::path::PathBuf;

use mtq_model::candle_core::safetensors;
use mtq_model::{Activation, Device, Mlp, MlpConfig, StateDictNaming, Tensor, WeightLayout};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn reference() -> HashMap<String, Tensor> {
    safetensors::load(fixture("reference.safetensors"), &Device::Cpu).expect("reference")
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    (a - b)
        .and_then(|d| d.abs())
        .and_then(|d| d.flatten_all())
        .and_then(|d| d.max(0))
        .and_then(|d| d.to_scalar::<f32>())
        .expect("difference")
}

/// Largest difference over every layer between `mlp` and numpy's reference.
fn worst_layer_diff(mlp: &Mlp) -> f32 {
    let r = reference();
    let pass = mlp.forward_all(&r["x"]).expect("forward");
    let mut worst = 0f32;
    for (i, h) in pass.hidden.iter().enumerate() {
        worst = worst.max(max_diff(h, &r[&format!("h{}", i + 1)]));
    }
    worst = worst.max(max_diff(&pass.logits, &r["logits"]));
    worst.max(max_diff(&pass.probs, &r["probs"]))
}

#[test]
fn pytorch_sequential_state_dict_matches_numpy() {
    let (mlp, naming) = Mlp::from_state_dict(
        fixture("torch_mlp.safetensors"),
        Activation::Relu,
        WeightLayout::OutIn,
        &Device::Cpu,
    )
    .expect("load");
    assert_eq!(mlp.config(), &MlpConfig::new(12, [10, 8], 3));
    assert_eq!(
        naming,
        StateDictNaming::Sequential {
            prefix: String::new()
        }
    );
    let d = worst_layer_diff(&mlp);
    eprintln!("state_dict (PyTorch names, out x in): max |mtq - numpy| = {d:e}");
    assert!(d <= 1e-5, "{d}");
}

#[test]
fn keras_kernels_load_with_in_out_layout() {
    let path = fixture("keras_mlp.safetensors");
    let (mlp, _) = Mlp::from_state_dict(&path, Activation::Relu, WeightLayout::InOut, &Device::Cpu)
        .expect("load");
    let d = worst_layer_diff(&mlp);
    eprintln!("state_dict (Keras kernels, in x out): max |mtq - numpy| = {d:e}");
    assert!(d <= 1e-5, "{d}");
    // read as out x in, the shapes do not chain: a typed error that points to the layout
    let err = Mlp::from_state_dict(&path, Activation::Relu, WeightLayout::OutIn, &Device::Cpu)
        .expect_err("wrong layout");
    assert!(err.to_string().contains("InOut"), "{err}");
}

#[test]
fn own_names_round_trip_through_save() {
    let (mlp, _) = Mlp::from_state_dict(
        fixture("torch_mlp.safetensors"),
        Activation::Relu,
        WeightLayout::OutIn,
        &Device::Cpu,
    )
    .expect("load");
    let dir = std::env::temp_dir().join(format!("mtq-state-dict-{}", std::process::id()));
    mlp.save(&dir).expect("save");
    let (again, naming) = Mlp::from_state_dict(
        dir.join(mtq_model::WEIGHTS_FILE),
        Activation::Relu,
        WeightLayout::OutIn,
        &Device::Cpu,
    )
    .expect("load own names");
    assert_eq!(naming, StateDictNaming::Project);
    assert_eq!(worst_layer_diff(&again), worst_layer_diff(&mlp));
    std::fs::remove_dir_all(&dir).expect("clean up");
    // not a safetensors file: a typed error naming the file
    let bad = fixture("make_state_dict.py");
    let err = Mlp::from_state_dict(&bad, Activation::Relu, WeightLayout::OutIn, &Device::Cpu)
        .expect_err("not safetensors");
    assert!(err.to_string().contains("make_state_dict.py"), "{err}");
}
