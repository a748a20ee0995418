//! Your own candle network in the study: implement `LayerModel` (where the model lives, its input
//! width, its named outputs, one forward pass), then extraction, signatures and the report work
//! unchanged. Here a small convolutional network with fixed, seeded random weights (untrained: a
//! random network already separates 1s from 7s in its first layer) on the embedded MNIST 1s/7s.
//!
//! ```sh
//! cargo run --release --example own_model
//! ```

use mtq::activations::{Activations, ActivationsError, LayerModel, LayerSpec, extract};
use mtq::data::Mnist;
use mtq::model::candle_core::{DType, Device, Tensor};
use mtq::report::{Report, ReportMeta, write_report};
use mtq::signature::{KRange, Samples, SignatureParams, StudyInput};
use ndarray::ArrayView2;

/// conv 3x3 (4 filters) + ReLU + 2x2 max-pool, then a dense layer of 16 + ReLU.
struct SmallCnn {
    kernel: Tensor, // 4 x 1 x 3 x 3
    dense: Tensor,  // (4 · 13 · 13) x 16
    device: Device,
}

impl SmallCnn {
    /// Weights from a seeded generator (candle's own CPU generator cannot be seeded).
    fn new(seed: u64) -> Result<Self, ActivationsError> {
        let mut state = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut uniform = |n: usize, scale: f32| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    // SplitMix64, enough for an illustration.
                    state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    let u = ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32;
                    (2.0 * u - 1.0) * scale
                })
                .collect()
        };
        let device = Device::Cpu;
        let kernel = Tensor::from_vec(uniform(36, 1.0 / 3.0), (4, 1, 3, 3), &device)?;
        let dense = Tensor::from_vec(uniform(676 * 16, 0.04), (676, 16), &device)?;
        Ok(Self {
            kernel,
            dense,
            device,
        })
    }
}

impl LayerModel for SmallCnn {
    fn device(&self) -> &Device {
        &self.device
    }
    fn input_dim(&self) -> usize {
        784
    }
    fn layers(&self) -> Vec<LayerSpec> {
        vec![LayerSpec::hidden("conv"), LayerSpec::hidden("dense")]
    }
    fn forward_layers(&self, x: &Tensor) -> Result<Vec<Tensor>, ActivationsError> {
        let images = x.reshape((x.dim(0)?, 1, 28, 28))?;
        let conv = images
            .conv2d(&self.kernel, 0, 1, 1, 1)?
            .relu()?
            .max_pool2d(2)?;
        let flat = conv.flatten_from(1)?;
        let dense = flat.matmul(&self.dense)?.relu()?;
        Ok(vec![flat, dense.to_dtype(DType::F32)?])
    }
}

fn views(a: &Activations) -> Vec<ArrayView2<'_, f32>> {
    a.layers().iter().map(|l| l.values()).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mnist = Mnist::embedded()?;
    let train = mnist.train().select_classes(&[1, 7])?;
    let fours = mnist.test().select_classes(&[4])?;
    let model = SmallCnn::new(0)?;
    let acts = extract(&model, &train, 512)?;
    let acts_4 = extract(&model, &fours, 512)?;

    let signatures = SignatureParams::new(["conv", "dense"], ["1", "7"])
        .k_range(KRange::new(2, 6)?)
        .seed(0)
        .fit(&Samples::new(views(&acts)).labels(acts.labels()))?;
    for l in signatures.layers() {
        println!(
            "{}: K = {}, clusters {:?}",
            l.name(),
            l.k(),
            l.cluster_names()
        );
    }
    let result = signatures.study(&StudyInput {
        seed: 0,
        test_accuracy: None,
        reference: Samples::new(views(&acts)).labels(acts.labels()),
        test: None,
        calibration: None,
        unseen: vec![mtq::signature::UnseenSet {
            name: "4".into(),
            samples: Samples::new(views(&acts_4)),
        }],
    })?;
    for s in &result.strangers {
        println!(
            "unseen {}: {} paths, first {:?}",
            s.class,
            s.paths.len(),
            s.paths[0].name
        );
    }
    let meta = ReportMeta::new("A random CNN on MNIST 1/7");
    let files = write_report(
        "target/own-model-report",
        &Report::new(&signatures, &result, &meta, None),
    )?;
    println!("report: {}", files.html.display());
    Ok(())
}
