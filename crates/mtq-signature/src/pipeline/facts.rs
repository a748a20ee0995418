//! What a study's report says that the numbers do not: what was read, which network, which
//! options, which version; typed here, worded by `mtq-report`.

use super::load::StudyData;
use crate::provenance::Provenance;

/// Grey images of a study's samples, one set at a time, kept for the report's thumbnails once
/// the data is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Per set (`reference`, `test`, `unseen:<name>`: the per-sample files' set names), its
    /// row-major grey levels (0 black, 255 white), `width * height` per sample in the set's
    /// order.
    pub sets: Vec<(String, Vec<u8>)>,
}

impl Images {
    /// The `width x height` images (features in `[0, 1]`, row-major; values outside are
    /// clamped, NaN is 0) of a study's sets: the reference (training) set, the test set and
    /// each unseen set.
    #[must_use]
    pub fn of(data: &StudyData, width: usize, height: usize) -> Self {
        let grey = |d: &mtq_data::Dataset| -> Vec<u8> {
            d.features()
                .iter()
                .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect()
        };
        let mut sets = vec![
            ("reference".to_string(), grey(&data.train)),
            ("test".to_string(), grey(&data.test)),
        ];
        for (name, d) in &data.unseen {
            sets.push((format!("unseen:{name}"), grey(d)));
        }
        Self {
            width,
            height,
            sets,
        }
    }
}

/// What the report says about a study besides its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts {
    /// What the data is, e.g. `embedded MNIST sample, digits 1/7`, `Breast Cancer Wisconsin`,
    /// a file path.
    pub data: String,
    /// The reference set's display name, e.g. `train 1/7`.
    pub reference_name: String,
    /// The test set's display name, e.g. `1/7 test`.
    pub test_name: String,
    /// The network, e.g. `MLP`, `LeNet-style CNN, convolutions as channel means`, a file
    /// path; `None` for activations.
    pub network: Option<String>,
    /// The layers tapped in a given network, by their names in it (ONNX node names).
    pub taps: Vec<String>,
    /// Epochs trained (`None` for a network trained elsewhere or activations).
    pub epochs: Option<usize>,
    /// Smallest and largest K tried.
    pub k_range: (usize, usize),
    /// The silhouette's sample size, when one was asked for and is below the reference's
    /// rows (then each K's silhouette is an estimate).
    pub silhouette_sample: Option<usize>,
    /// Where the numbers come from.
    pub provenance: Provenance,
}
