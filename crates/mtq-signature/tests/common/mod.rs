//! Monitors fitted on synthetic blobs, and surgery on their files' safetensors header, for the
//! monitor file tests.

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used, dead_code)]

use mtq_signature::{KRange, MonitorSettings, PathMonitor, Preparation, Samples, SignatureParams};
use ndarray::{Array1, Array2, Axis};
use serde_json::{Map, Value};

/// 1,500 rows of three blobs in 4 features; layer `h2` is `|h1|`, standardised; fake class
/// probabilities from the label. Rows `i % 3 == 0` are the reference, `1` the calibration set,
/// `2` the test set.
pub struct Blobs {
    pub h1: Array2<f32>,
    pub h2: Array2<f32>,
    pub probs: Array2<f32>,
    pub y: Array1<usize>,
}

pub fn blobs() -> Blobs {
    let (h1, y) = mtq_testkit::make_blobs(1500, 4, 3, 1.0, 5.0, 11).unwrap();
    let h2 = h1.mapv(f32::abs);
    let probs = Array2::from_shape_fn((1500, 3), |(i, j)| if y[i] == j { 0.8 } else { 0.1 });
    Blobs { h1, h2, probs, y }
}

impl Blobs {
    /// Layers, probabilities and labels of part `part` (0 reference, 1 calibration, 2 test).
    pub fn part(&self, part: usize) -> (Array2<f32>, Array2<f32>, Array2<f32>, Array1<usize>) {
        let idx: Vec<usize> = (part..1500).step_by(3).collect();
        (
            self.h1.select(Axis(0), &idx),
            self.h2.select(Axis(0), &idx),
            self.probs.select(Axis(0), &idx),
            self.y.select(Axis(0), &idx),
        )
    }
}

/// A monitor of the blobs: class-conditional or pooled, with the Deep k-NN credibility when
/// the calibration set is `labelled`.
pub fn monitor(b: &Blobs, class_conditional: bool, labelled: bool) -> PathMonitor {
    monitor_with(b, class_conditional, labelled, Preparation::None)
}

/// As [`monitor`], layer `h1` prepared by `first`.
pub fn monitor_with(
    b: &Blobs,
    class_conditional: bool,
    labelled: bool,
    first: Preparation,
) -> PathMonitor {
    let (r1, r2, _, ry) = b.part(0);
    let (c1, c2, cp, cy) = b.part(1);
    let model = SignatureParams::new(["h1", "h2"], ["a", "b", "c"])
        .k_range(KRange::new(2, 4).unwrap())
        .n_init(2)
        .layer_preparation(0, first)
        .layer_preparation(1, Preparation::Standardize)
        .fit(&Samples::new(vec![r1.view(), r2.view()]).labels(ry.view()))
        .unwrap();
    let mut cal = Samples::new(vec![c1.view(), c2.view()]).probabilities(cp.view());
    if labelled {
        cal = cal.labels(cy.view());
    }
    let settings = MonitorSettings::new()
        .alpha(0.1)
        .class_conditional(class_conditional)
        .dknn_k(10);
    PathMonitor::fit(&model, &cal, settings).unwrap()
}

/// A safetensors file cut into its JSON header and its data section.
pub struct Parts {
    pub header: Map<String, Value>,
    pub data: Vec<u8>,
}

pub fn split(bytes: &[u8]) -> Parts {
    let n = usize::try_from(u64::from_le_bytes(bytes[..8].try_into().unwrap())).unwrap();
    let header = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    Parts {
        header,
        data: bytes[8 + n..].to_vec(),
    }
}

impl Parts {
    /// The file again (the header re-serialised, unpadded).
    pub fn join(&self) -> Vec<u8> {
        let text = serde_json::to_vec(&self.header).unwrap();
        let mut out = (text.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&text);
        out.extend_from_slice(&self.data);
        out
    }

    /// The monitor's manifest, parsed.
    pub fn manifest(&self) -> Value {
        let text = self.header["__metadata__"]["mtq_monitor"].as_str().unwrap();
        serde_json::from_str(text).unwrap()
    }

    pub fn set_manifest(&mut self, manifest: &Value) {
        self.header["__metadata__"]["mtq_monitor"] = Value::String(manifest.to_string());
    }

    /// The byte range of tensor `name` in the data section.
    pub fn range(&self, name: &str) -> std::ops::Range<usize> {
        let o = &self.header[name]["data_offsets"];
        o[0].as_u64().unwrap() as usize..o[1].as_u64().unwrap() as usize
    }

    /// The tensor names, sorted.
    pub fn tensor_names(&self) -> Vec<String> {
        self.header
            .keys()
            .filter(|k| *k != "__metadata__")
            .cloned()
            .collect()
    }
}
