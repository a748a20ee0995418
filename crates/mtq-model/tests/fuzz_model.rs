//! Fuzz harness (issue 13, kind 9) for model files: seeded mutations of a saved model's
//! `model.safetensors` (header JSON, offsets, data) and `config.json` (widths, names, huge
//! numbers). Asserts no panic and a peak heap near the files' size (`mtq_testkit::Campaign`);
//! a file with a non-finite weight must be refused.

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use mtq_model::{Activation, CONFIG_FILE, Device, Mlp, MlpConfig, ModelError, WEIGHTS_FILE};
use mtq_testkit::{Campaign, LOCK, Mutator, PeakAlloc};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const CASES: usize = 1200;

fn saved(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtq-fuzz-model-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = MlpConfig::new(6, [5, 4], 3).with_activation(Activation::Relu);
    Mlp::new(cfg, 3, &Device::Cpu).unwrap().save(&dir).unwrap();
    dir
}

/// Budget: the model's own tensors and copies of the file, a few times over, plus candle's
/// and serde's fixed costs.
fn budget(n: usize) -> usize {
    16 * n + (1 << 20)
}

#[test]
fn mutated_safetensors_never_panic() {
    let dir = saved("weights");
    let path = dir.join(WEIGHTS_FILE);
    let seed = std::fs::read(&path).unwrap();
    let header = 8 + u64::from_le_bytes(seed[..8].try_into().unwrap()) as usize;
    let mut m = Mutator::new(6, header);
    let mut campaign = Campaign::new("model safetensors", budget);
    let mut ok = 0;
    for case in 0..CASES {
        let bytes = if case % 3 == 0 {
            // the JSON header as text: offsets, shapes and dtypes get huge or broken numbers
            let text = String::from_utf8_lossy(&seed[8..header]).into_owned();
            let mutated = m.text(&text);
            let mut b = (mutated.len() as u64).to_le_bytes().to_vec();
            b.extend_from_slice(&mutated);
            b.extend_from_slice(&seed[header..]);
            b
        } else {
            m.bytes(&seed)
        };
        std::fs::write(&path, &bytes).unwrap();
        campaign.case(
            || format!("seed 6, case {case}"),
            bytes.len(),
            || {
                ok += usize::from(Mlp::load(&dir, &Device::Cpu).is_ok());
            },
        );
    }
    assert!(ok < CASES);
    campaign.finish(CASES);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mutated_configs_never_panic() {
    let dir = saved("config");
    let path = dir.join(CONFIG_FILE);
    let seed = std::fs::read_to_string(&path).unwrap();
    let mut m = Mutator::new(7, 4096);
    let mut campaign = Campaign::new("model config JSON", budget);
    for case in 0..CASES {
        let text = m.text(&seed);
        std::fs::write(&path, &text).unwrap();
        campaign.case(
            || format!("seed 7, case {case}"),
            text.len(),
            || {
                let _ = Mlp::load(&dir, &Device::Cpu);
            },
        );
    }
    campaign.finish(CASES);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn non_finite_weights_are_refused_on_load() {
    // Measured campaigns run in this binary: keep this test's allocations out of them.
    let _quiet = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let dir = saved("nan");
        let path = dir.join(WEIGHTS_FILE);
        let mut tensors = mtq_model::candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
        let w = tensors["h2.weight"]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let mut w2 = w.clone();
        w2[7] = bad;
        let t = mtq_model::Tensor::from_vec(w2, tensors["h2.weight"].dims(), &Device::Cpu).unwrap();
        tensors.insert("h2.weight".into(), t);
        mtq_model::candle_core::safetensors::save(&tensors, &path).unwrap();
        let err = Mlp::load(&dir, &Device::Cpu).unwrap_err();
        assert!(
            matches!(&err, ModelError::NonFiniteWeight { tensor, index: 7, path: p, .. }
                if tensor == "h2.weight" && p == &path),
            "{err}"
        );
        assert!(err.to_string().contains("h2.weight"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn oversized_files_are_refused_before_reading() {
    // Measured campaigns run in this binary: keep this test's allocations out of them.
    let _quiet = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = saved("big");
    let cfg_path = dir.join(CONFIG_FILE);
    let mut text = std::fs::read_to_string(&cfg_path).unwrap();
    text.push_str(&" ".repeat(2 << 20));
    std::fs::write(&cfg_path, &text).unwrap();
    assert!(matches!(
        Mlp::load(&dir, &Device::Cpu),
        Err(ModelError::FileTooLarge { .. })
    ));
    let dir = saved("big-weights");
    let w = dir.join(WEIGHTS_FILE);
    let mut bytes = std::fs::read(&w).unwrap();
    bytes.resize(bytes.len() + (3 << 20), 0);
    std::fs::write(&w, &bytes).unwrap();
    let err = Mlp::load(&dir, &Device::Cpu).unwrap_err();
    assert!(matches!(err, ModelError::FileTooLarge { .. }), "{err}");
}
