//! What a study's report says that the numbers do not: what was read, which network, which
//! options, which version; typed here, worded by `mtq-report`.

use super::load::{CalibrationSource, StudyData};
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

impl Images {
    /// The images of `.npy` sets (`PREFIX_images.npy`: `n x h x w` or `n x c x h x w`), as
    /// grey levels: channels averaged; values in `[0, 1]` scaled by 255, values in
    /// `[0, 255]` kept, any other range stretched from the sets' minimum to their maximum.
    /// `None` if no set has images or their image sizes differ; a set without images gets
    /// none.
    #[must_use]
    pub fn of_arrays(sets: &[(String, Option<&ndarray::ArrayD<f32>>)]) -> Option<Self> {
        let shape = |a: &ndarray::ArrayD<f32>| match a.shape() {
            [_, h, w] => Some((*h, *w, 1)),
            [_, c, h, w] => Some((*h, *w, *c)),
            _ => None,
        };
        let given: Vec<_> = sets.iter().filter_map(|(_, a)| *a).collect();
        let (height, width, _) = shape(given.first()?)?;
        if given
            .iter()
            .any(|a| shape(a).is_none_or(|(h, w, _)| (h, w) != (height, width)))
        {
            return None;
        }
        let (lo, hi) = given
            .iter()
            .flat_map(|a| a.iter())
            .filter(|v| v.is_finite())
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let (offset, scale) = if lo >= 0.0 && hi <= 1.0 {
            (0.0, 255.0)
        } else if lo >= 0.0 && hi <= 255.0 {
            (0.0, 1.0)
        } else {
            (lo, 255.0 / (hi - lo).max(f32::MIN_POSITIVE))
        };
        let grey = |a: &ndarray::ArrayD<f32>| -> Vec<u8> {
            let channels = shape(a).map_or(1, |(_, _, c)| c.max(1));
            let plane = width * height;
            a.as_slice()
                .map(|v| {
                    v.chunks(plane * channels)
                        .flat_map(|img| {
                            (0..plane).map(move |p| {
                                let sum: f32 = (0..channels).map(|c| img[c * plane + p]).sum();
                                let v = (sum / channels as f32 - offset) * scale;
                                if v.is_finite() {
                                    v.clamp(0.0, 255.0).round() as u8
                                } else {
                                    0
                                }
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Self {
            width,
            height,
            sets: sets
                .iter()
                .filter_map(|(name, a)| a.map(|a| (name.clone(), grey(a))))
                .collect(),
        })
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
    /// Where the path monitor's calibration set comes from, and its size (`None`: no
    /// calibration set, no monitor).
    pub calibration: Option<(CalibrationSource, usize)>,
    /// Where the numbers come from.
    pub provenance: Provenance,
}
