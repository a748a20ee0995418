//! The per-sample data the interactive report needs, embedded in `report.html` as one JSON blob
//! (it is not in `report.json`, which stays readable; `samples.json` holds the same rows).
//!
//! Per set: the sample ids, true class (as a band group), predicted class, cluster id and
//! distance to the centroid per layer, the trusted anomaly score, and optionally the sample's
//! image as a thumbnail. Per layer: the K-tree, i.e. how the reference samples split as K grows
//! over the K sweep's partitions (as clustree draws it).

use mtq_signature::{SetRole, SignatureModel, StudyResult, TracedSet};
use serde::Serialize;

use crate::markup::group_colour;
use crate::{ReportMeta, SankeyGroup};

/// At most this many thumbnails are embedded over all sets (and at most
/// [`MAX_THUMBNAIL_BYTES`]); beyond it every set keeps an evenly spaced sample of its
/// thumbnails (counts are never sampled).
pub const MAX_THUMBNAILS: usize = 16_000;

/// At most this many bytes of thumbnails (before base64) are embedded over all sets: 16,000
/// MNIST digits' worth; larger (e.g. colour) images are sampled more sparsely.
pub const MAX_THUMBNAIL_BYTES: usize = MAX_THUMBNAILS * 28 * 28 / 2;

/// Images of the samples (grey or RGB), one set at a time, to show as thumbnails in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnails {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Levels per pixel: 1 (grey, drawn dark on light as ink) or 3 (red, green, blue).
    pub channels: usize,
    /// The images of each set.
    pub sets: Vec<SetImages>,
}

/// The images of one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetImages {
    /// The set, as named in the per-sample files: `reference`, `test` or `unseen:<name>`.
    pub set: String,
    /// Levels 0-255, `width * height * channels` per sample, samples in the set's order: pixels
    /// row-major, a pixel's channels together. Grey 0 is blank paper, 255 full ink.
    pub pixels: Vec<u8>,
}

impl SetImages {
    /// The images of `set` from features in `[0, 1]` (one row of `width * height` per sample,
    /// row-major, e.g. MNIST's); values outside `[0, 1]` are clamped, NaN is 0.
    #[must_use]
    pub fn from_unit_floats(
        set: impl Into<String>,
        features: impl IntoIterator<Item = f32>,
    ) -> Self {
        Self {
            set: set.into(),
            pixels: features
                .into_iter()
                .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect(),
        }
    }
}

#[cfg(feature = "pipeline")]
impl From<mtq_signature::pipeline::Images> for Thumbnails {
    /// The thumbnails of a study's images (feature `pipeline`), the pixels moved, not copied.
    fn from(images: mtq_signature::pipeline::Images) -> Self {
        Self {
            width: images.width,
            height: images.height,
            channels: images.channels,
            sets: images
                .sets
                .into_iter()
                .map(|(set, pixels)| SetImages { set, pixels })
                .collect(),
        }
    }
}

/// Everything the interactive report draws from, serialised into `report.html`. The default is
/// empty: the page then keeps its static Sankey.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExploreData {
    /// The reference class names.
    pub classes: Vec<String>,
    /// The band groups: the reference classes, then one per unseen set; with their colours.
    pub groups: Vec<ExploreGroup>,
    /// The analysed layers.
    pub layers: Vec<String>,
    /// Per layer, its cluster names by cluster id (e.g. `h1:7`, `h1:7#2`).
    pub clusters: Vec<Vec<String>>,
    /// Whether every set has predictions (the Sankey then ends in a `predicted` column).
    pub with_predictions: bool,
    /// The trusted anomaly score's name (its values are [`ExploreSet::score`]).
    pub score_name: String,
    /// Thumbnail width in pixels (0: no thumbnails).
    pub thumb_width: usize,
    /// Thumbnail height in pixels (0: no thumbnails).
    pub thumb_height: usize,
    /// Levels per thumbnail pixel: 1 (grey) or 3 (RGB).
    pub thumb_channels: usize,
    /// Every set of the study, reference first.
    pub sets: Vec<ExploreSet>,
    /// The key of the set the default view draws with the unseen sets (`test` when the study
    /// has a labelled test set, else `reference`), as `report.json`'s Sankey.
    pub shown_set: String,
    /// Per layer, how the reference samples split as K grows.
    pub ktrees: Vec<KTree>,
}

/// One band group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExploreGroup {
    /// Legend label, e.g. `1` or `4 (unseen)`.
    pub label: String,
    /// Whether it is a class never seen in training (drawn hatched).
    pub injected: bool,
    /// Its colour, `#rrggbb`.
    pub colour: String,
}

/// One set's samples, as parallel arrays.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExploreSet {
    /// `reference`, `test` or `unseen:<name>`.
    pub key: String,
    /// Display name, e.g. `train 1/7`.
    pub name: String,
    /// Sample ids (the `id` column of the per-sample files).
    pub ids: Vec<usize>,
    /// Band group per sample (true class, or the unseen set's group); -1 when unknown.
    pub group: Vec<i64>,
    /// Predicted class per sample; -1 without predictions.
    pub predicted: Vec<i64>,
    /// `samples x layers` cluster ids, row-major.
    pub clusters: Vec<u32>,
    /// `samples x layers` distances to the cluster centroid, row-major, rounded to 4 significant
    /// digits.
    pub distances: Vec<f32>,
    /// Trusted anomaly score per sample (`null` where not computed, e.g. the reference's kNN).
    pub score: Vec<Option<f32>>,
    /// Thumbnails: base64 of 4-bit levels (two a byte, high nibble first; `thumb_channels` per
    /// pixel), one image per entry of `thumb_rows`, each starting on a byte; empty without
    /// images.
    pub thumbs: String,
    /// The samples that have a thumbnail, in `thumbs` order.
    pub thumb_rows: Vec<usize>,
}

/// How one layer's reference samples split as K grows over the K sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KTree {
    /// Layer name.
    pub layer: String,
    /// The K values, increasing.
    pub ks: Vec<usize>,
    /// The K chosen.
    pub chosen_k: usize,
    /// Per K, the size of each cluster.
    pub sizes: Vec<Vec<usize>>,
    /// Per K, each cluster's majority class (index into the classes).
    pub majority: Vec<Vec<usize>>,
    /// Per K, each cluster's purity (share of its majority class), rounded to 3 decimals.
    pub purity: Vec<Vec<f32>>,
    /// `[i, parent, child, count]`: `count` samples in cluster `parent` at `ks[i]` and in
    /// cluster `child` at `ks[i + 1]`.
    pub edges: Vec<[usize; 4]>,
}

/// Rounds to `digits` significant digits (keeps the JSON short).
fn round_sig(v: f32, digits: i32) -> f32 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    let scale = 10f32.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// Standard base64 (RFC 4648, with padding).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(A[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The 4-bit packing of `pixels` (two a byte, high nibble first).
fn pack4(pixels: &[u8]) -> Vec<u8> {
    pixels
        .chunks(2)
        .map(|p| ((p[0] >> 4) << 4) | p.get(1).map_or(0, |q| q >> 4))
        .collect()
}

impl ExploreData {
    /// The explorable data of `result` (a study of `model`), with `meta`'s set names and images.
    /// Images of a set whose pixel count does not match its size are left out.
    #[must_use]
    pub fn new(model: &SignatureModel, result: &StudyResult, meta: &ReportMeta) -> Self {
        let classes = model.class_names().to_vec();
        let n_layers = model.layers().len();
        let mut sankey_groups: Vec<SankeyGroup> = classes
            .iter()
            .map(|c| SankeyGroup {
                label: c.clone(),
                injected: false,
            })
            .collect();
        for s in result.unseen() {
            if let SetRole::Unseen(n) = &s.role {
                sankey_groups.push(SankeyGroup {
                    label: format!("{n} (unseen)"),
                    injected: true,
                });
            }
        }
        let groups = (0..sankey_groups.len())
            .map(|g| ExploreGroup {
                label: sankey_groups[g].label.clone(),
                injected: sankey_groups[g].injected,
                colour: group_colour(&sankey_groups, g).to_string(),
            })
            .collect();
        let thumbs = meta.thumbnails.as_ref();
        let px = thumbs.map_or(0, |t| t.width * t.height * t.channels);
        let total: usize = result.sets.iter().map(TracedSet::len).sum();
        let kept = (MAX_THUMBNAIL_BYTES / px.div_ceil(2).max(1)).clamp(1, MAX_THUMBNAILS);
        let step = total.div_ceil(kept).max(1);
        let mut unseen_rank = 0;
        let sets = result
            .sets
            .iter()
            .map(|s| {
                let n = s.len();
                let key = s.role.to_string();
                let group: Vec<i64> = match (&s.role, &s.labels) {
                    (SetRole::Unseen(_), _) => {
                        unseen_rank += 1;
                        vec![(classes.len() + unseen_rank - 1) as i64; n]
                    }
                    (_, Some(l)) => l.iter().map(|&y| y as i64).collect(),
                    (_, None) => vec![-1; n],
                };
                let predicted = s
                    .trace
                    .predictions
                    .as_ref()
                    .map_or(vec![-1; n], |p| p.iter().map(|&y| y as i64).collect());
                let trusted = result
                    .trusted
                    .as_ref()
                    .and_then(|t| s.scores.column(&t.score));
                let score = (0..n)
                    .map(|i| {
                        trusted
                            .map(|c| c[i] as f32)
                            .filter(|v| v.is_finite())
                            .map(|v| round_sig(v, 4))
                    })
                    .collect();
                let images = thumbs
                    .and_then(|t| t.sets.iter().find(|i| i.set == key))
                    .filter(|i| px > 0 && i.pixels.len() == n * px);
                let (thumbs, thumb_rows) = match images {
                    Some(img) => {
                        let rows: Vec<usize> = (0..n).step_by(step).collect();
                        let mut bytes = Vec::with_capacity(rows.len() * px.div_ceil(2));
                        for &r in &rows {
                            bytes.extend(pack4(&img.pixels[r * px..(r + 1) * px]));
                        }
                        (base64(&bytes), rows)
                    }
                    None => (String::new(), Vec::new()),
                };
                ExploreSet {
                    key,
                    name: meta.set_name(&s.role),
                    ids: s.ids.as_ref().map_or((0..n).collect(), |v| v.to_vec()),
                    group,
                    predicted,
                    clusters: s.trace.clusters.iter().map(|&c| c as u32).collect(),
                    distances: s.trace.distances.iter().map(|&d| round_sig(d, 4)).collect(),
                    score,
                    thumbs,
                    thumb_rows,
                }
            })
            .collect();
        let labels = model.reference_labels();
        let ktrees = model
            .layers()
            .iter()
            .map(|l| ktree(l.curve(), labels.as_slice().unwrap_or(&[]), classes.len()))
            .collect();
        Self {
            classes,
            groups,
            layers: model.layer_names().to_vec(),
            clusters: model.cluster_names(),
            with_predictions: n_layers > 0
                && result.sets.iter().all(|s| s.trace.predictions.is_some()),
            score_name: result
                .trusted
                .as_ref()
                .map_or_else(String::new, |t| t.score.to_string()),
            thumb_width: if px > 0 {
                thumbs.map_or(0, |t| t.width)
            } else {
                0
            },
            thumb_height: if px > 0 {
                thumbs.map_or(0, |t| t.height)
            } else {
                0
            },
            thumb_channels: thumbs.map_or(1, |t| t.channels),
            sets,
            shown_set: crate::from_study::shown_set(result).role.to_string(),
            ktrees,
        }
    }
}

/// The K-tree of one layer from its sweep's labels of the reference (`labels` its true classes).
fn ktree(curve: &mtq_signature::KCurve, labels: &[usize], n_classes: usize) -> KTree {
    let mut sizes = Vec::new();
    let mut majority = Vec::new();
    let mut purity = Vec::new();
    let mut edges = Vec::new();
    for (i, (lab, &k)) in curve.labels.iter().zip(&curve.ks).enumerate() {
        let mut counts = vec![vec![0usize; n_classes.max(1)]; k];
        for (j, &c) in lab.iter().enumerate() {
            let y = labels
                .get(j)
                .copied()
                .unwrap_or(0)
                .min(n_classes.saturating_sub(1));
            if let Some(row) = counts.get_mut(c as usize) {
                row[y] += 1;
            }
        }
        let size: Vec<usize> = counts.iter().map(|r| r.iter().sum()).collect();
        let maj: Vec<usize> = counts
            .iter()
            .map(|r| {
                (0..r.len())
                    .max_by_key(|&y| (r[y], usize::MAX - y))
                    .unwrap_or(0)
            })
            .collect();
        purity.push(
            counts
                .iter()
                .zip(&size)
                .zip(&maj)
                .map(|((r, &s), &m)| {
                    if s == 0 {
                        0.0
                    } else {
                        (r[m] as f32 / s as f32 * 1000.0).round() / 1000.0
                    }
                })
                .collect(),
        );
        sizes.push(size);
        majority.push(maj);
        if let Some(next) = curve.labels.get(i + 1) {
            let k2 = curve.ks[i + 1];
            let mut m = vec![0usize; k * k2];
            for (&a, &b) in lab.iter().zip(next) {
                if (a as usize) < k && (b as usize) < k2 {
                    m[a as usize * k2 + b as usize] += 1;
                }
            }
            for (idx, &count) in m.iter().enumerate() {
                if count > 0 {
                    edges.push([i, idx / k2, idx % k2, count]);
                }
            }
        }
    }
    KTree {
        layer: curve.layer.clone(),
        ks: curve.ks[..curve.labels.len().min(curve.ks.len())].to_vec(),
        chosen_k: curve.chosen_k,
        sizes,
        majority,
        purity,
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn packs_two_pixels_a_byte() {
        assert_eq!(pack4(&[255, 0, 17, 34, 200]), vec![0xF0, 0x12, 0xC0]);
    }

    #[test]
    fn rounds_to_significant_digits() {
        assert!((round_sig(1.234_567, 4) - 1.235).abs() < 1e-6);
        assert!((round_sig(0.000_123_456, 3) - 0.000_123).abs() < 1e-9);
        assert_eq!(round_sig(0.0, 4), 0.0);
    }

    #[test]
    fn ktree_counts_splits() {
        let curve = mtq_signature::KCurve {
            layer: "h1".into(),
            ks: vec![2, 3],
            silhouette: vec![0.5, 0.4],
            inertia: vec![1.0, 0.5],
            chosen_k: 2,
            outcome: mtq_signature::SweepOutcome::default(),
            labels: vec![vec![0, 0, 1, 1], vec![0, 2, 1, 1]],
            fit_rows: None,
            silhouette_rows: None,
        };
        let t = ktree(&curve, &[0, 0, 1, 0], 2);
        assert_eq!(t.sizes, vec![vec![2, 2], vec![1, 2, 1]]);
        assert_eq!(t.majority[0], vec![0, 0]);
        assert_eq!(t.purity[0], vec![1.0, 0.5]);
        assert_eq!(t.edges, vec![[0, 0, 0, 1], [0, 0, 2, 1], [0, 1, 1, 2]]);
    }
}
