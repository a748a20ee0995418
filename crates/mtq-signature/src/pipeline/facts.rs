//! What a study's report says that the numbers do not: what was read, which network, which
//! options, which version; typed here, worded by `mtq-report`.

use super::load::{CalibrationSource, StudyData};
use crate::provenance::Provenance;

/// Images of a study's samples (grey or RGB), one set at a time, kept for the report's
/// thumbnails once the data is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// 1 (grey levels) or 3 (red, green, blue).
    pub channels: usize,
    /// Per set (`reference`, `test`, `unseen:<name>`: the per-sample files' set names), its
    /// levels 0-255, `width * height * channels` per sample in the set's order: pixels
    /// row-major, a pixel's channels together (`r g b r g b ..`). Grey 0 is black.
    pub sets: Vec<(String, Vec<u8>)>,
}

impl Images {
    /// The images of a study's sets (the reference, test and unseen sets' samples, when the
    /// training samples are images: `rows x cols`, or `1 | 3 x rows x cols`, see
    /// [`Dataset::image_shape`](mtq_data::Dataset::image_shape)); a set shaped otherwise gets
    /// none. Levels as [`Images::of_arrays`]. `None` when the samples are not images.
    #[must_use]
    pub fn of(data: &StudyData) -> Option<Self> {
        let (height, width) = data.train.image_shape()?;
        let channels = data.train.image_channels()?;
        let named = [
            ("reference".to_string(), &data.train),
            ("test".to_string(), &data.test),
        ]
        .into_iter()
        .chain(data.unseen.iter().map(|(n, d)| (format!("unseen:{n}"), d)));
        let sets: Vec<(String, &[f32])> = named
            .filter(|(_, d)| {
                d.image_shape() == Some((height, width)) && d.image_channels() == Some(channels)
            })
            .filter_map(|(name, d)| Some((name, d.features().to_slice()?)))
            .collect();
        Some(Self::from_planes(&sets, width, height, channels, channels))
    }

    /// The images of `.npy` sets (`PREFIX_images.npy`: `n x h x w`, or `n x c x h x w` with
    /// channel planes first; 3 channels are drawn in colour, any other count as the mean of
    /// its channels in grey). Levels: values in `[0, 1]` scaled by 255, values in `[0, 255]`
    /// kept, any other range stretched from the sets' minimum to their maximum; NaN is 0.
    /// `None` if no set has images or their image shapes differ; a set without images gets
    /// none.
    #[must_use]
    pub fn of_arrays(sets: &[(String, Option<&ndarray::ArrayD<f32>>)]) -> Option<Self> {
        let shape = |a: &ndarray::ArrayD<f32>| match a.shape() {
            [_, h, w] => Some((*h, *w, 1)),
            [_, c, h, w] => Some((*h, *w, *c)),
            _ => None,
        };
        let given: Vec<_> = sets.iter().filter_map(|(_, a)| *a).collect();
        let (height, width, channels) = shape(given.first()?)?;
        if given
            .iter()
            .any(|a| shape(a) != Some((height, width, channels)))
        {
            return None;
        }
        let planes: Vec<(String, &[f32])> = sets
            .iter()
            .filter_map(|(name, a)| Some((name.clone(), a.as_ref()?.as_slice()?)))
            .collect();
        let out = if channels == 3 { 3 } else { 1 };
        Some(Self::from_planes(
            &planes,
            width,
            height,
            channels.max(1),
            out,
        ))
    }

    /// Levels of images stored as channel planes (`channels x height x width` per sample,
    /// row-major), `out` channels per pixel (3: the planes interleaved; 1: their mean).
    fn from_planes(
        sets: &[(String, &[f32])],
        width: usize,
        height: usize,
        channels: usize,
        out: usize,
    ) -> Self {
        let (lo, hi) = sets
            .iter()
            .flat_map(|(_, v)| v.iter())
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
        let level = |v: f32| -> u8 {
            let v = (v - offset) * scale;
            if v.is_finite() {
                v.clamp(0.0, 255.0).round() as u8
            } else {
                0
            }
        };
        let plane = width * height;
        let convert = |values: &[f32]| -> Vec<u8> {
            let mut bytes = Vec::with_capacity(values.len() / channels.max(1) * out);
            for img in values.chunks_exact(plane * channels) {
                for p in 0..plane {
                    if out == channels {
                        bytes.extend((0..channels).map(|c| level(img[c * plane + p])));
                    } else {
                        let sum: f32 = (0..channels).map(|c| img[c * plane + p]).sum();
                        bytes.push(level(sum / channels as f32));
                    }
                }
            }
            bytes
        };
        Self {
            width,
            height,
            channels: out,
            sets: sets
                .iter()
                .map(|(name, v)| (name.clone(), convert(v)))
                .collect(),
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
    /// Where the path monitor's calibration set comes from, and its size (`None`: no
    /// calibration set, no monitor).
    pub calibration: Option<(CalibrationSource, usize)>,
    /// Where the numbers come from.
    pub provenance: Provenance,
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn};

    use super::Images;

    fn set<'a>(name: &str, a: &'a ArrayD<f32>) -> (String, Option<&'a ArrayD<f32>>) {
        (name.to_string(), Some(a))
    }

    #[test]
    fn arrays_give_colour_or_grey_levels_with_channels_interleaved() {
        // one 3 x 1 x 2 image: red plane 1, 0; green 0, 1; blue 0.5, 0.5 (levels in [0, 1])
        let rgb = ArrayD::from_shape_vec(IxDyn(&[1, 3, 1, 2]), vec![1.0, 0.0, 0.0, 1.0, 0.5, 0.5])
            .unwrap();
        let im = Images::of_arrays(&[set("reference", &rgb), ("test".into(), None)]).unwrap();
        assert_eq!((im.width, im.height, im.channels), (2, 1, 3));
        assert_eq!(im.sets.len(), 1, "a set without images gets none");
        assert_eq!(im.sets[0].1, [255, 0, 128, 0, 255, 128]);
        // 0-255 levels are kept; 2 channels are averaged to grey
        let two =
            ArrayD::from_shape_vec(IxDyn(&[1, 2, 1, 2]), vec![10.0, 200.0, 30.0, 0.0]).unwrap();
        let im = Images::of_arrays(&[set("reference", &two)]).unwrap();
        assert_eq!((im.channels, im.sets[0].1.clone()), (1, vec![20, 100]));
        // any other range is stretched from the minimum to the maximum; NaN is 0
        let wide = ArrayD::from_shape_vec(IxDyn(&[1, 1, 3]), vec![-1.0, 1.0, f32::NAN]).unwrap();
        let im = Images::of_arrays(&[set("reference", &wide)]).unwrap();
        assert_eq!(im.sets[0].1, [0, 255, 0]);
        // sets whose image sizes differ give no thumbnails at all
        let other = ArrayD::zeros(IxDyn(&[1, 2, 2]));
        assert!(Images::of_arrays(&[set("reference", &wide), set("test", &other)]).is_none());
    }
}
