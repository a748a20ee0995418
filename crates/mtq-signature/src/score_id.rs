//! The identity of a score ([`ScoreId`]: what it measures, [`ScoreKind`], and the layer it
//! reads), its display name and its column key. Plain data: every module that names a score
//! depends on this one, and it depends on none of them.

use serde::{Deserialize, Serialize};

/// What a score measures. Higher always means "more anomalous".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum ScoreKind {
    /// `1 - max softmax probability` (the baseline).
    MaxSoftmax,
    /// `-ln((c + 1) / (n + 1))` where `c` reference samples take the sample's path.
    PathRarity,
    /// The path monitor's combined p-value as `-log10 p`: per layer the split-conformal p-value
    /// of the nearest-neighbour distance, combined by Fisher's statistic and calibrated on the
    /// calibration set ([`PathMonitor`](crate::PathMonitor)). `2` means `p = 0.01`.
    Combined,
    /// The Deep k-NN credibility (Papernot & McDaniel 2018) of the path monitor, as `-log10 p`.
    Credibility,
    /// Distance to the nearest centroid in one layer.
    CentroidDistance,
    /// Distance to the `k`-th nearest reference sample in one layer.
    Knn {
        /// Neighbour rank.
        k: usize,
        /// Whether rows are L2-normalised first (cosine geometry).
        l2: bool,
    },
    /// Mahalanobis distance to the nearest class mean in one layer (shared covariance + ridge).
    Mahalanobis,
}

/// The identity of one score: what it measures and the layer it reads. The one way the
/// workspace names a score: compare `ScoreId`s, never their display strings.
///
/// `Display` gives the readable name used in reports (`kNN h1 k=1 (L2)`, `centroid distance h2`,
/// `max-softmax (1 - p)`, ...); [`ScoreId::key`] a snake_case column key (`knn_h1_k1_l2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScoreId {
    /// What it measures.
    pub kind: ScoreKind,
    /// The layer it reads: `Some` for the per-layer kinds (centroid distance, kNN, Mahalanobis),
    /// `None` for max-softmax, path rarity, the combined p-value and the credibility.
    pub layer: Option<String>,
}

impl ScoreId {
    /// A score that reads no single layer (max-softmax, path rarity, combined, credibility).
    #[must_use]
    pub fn global(kind: ScoreKind) -> Self {
        Self { kind, layer: None }
    }

    /// A score of one layer.
    #[must_use]
    pub fn of_layer(kind: ScoreKind, layer: impl Into<String>) -> Self {
        Self {
            kind,
            layer: Some(layer.into()),
        }
    }

    /// The max-softmax baseline.
    #[must_use]
    pub fn max_softmax() -> Self {
        Self::global(ScoreKind::MaxSoftmax)
    }

    /// A snake_case key for column names: `one_minus_max_softmax` (the baseline's score, 1 - the
    /// largest class probability: higher = more anomalous, as every score), `path_rarity`, `combined_neg_log10_p`, `dknn_credibility_neg_log10_p`,
    /// `centroid_distance_h1`, `mahalanobis_h1`, `knn_h1_k5`, `knn_h1_k5_l2` (characters of the
    /// layer name other than ASCII letters and digits become `_`).
    #[must_use]
    pub fn key(&self) -> String {
        let layer = column_key(self.layer.as_deref().unwrap_or_default());
        match self.kind {
            ScoreKind::MaxSoftmax => "one_minus_max_softmax".into(),
            ScoreKind::PathRarity => "path_rarity".into(),
            ScoreKind::Combined => "combined_neg_log10_p".into(),
            ScoreKind::Credibility => "dknn_credibility_neg_log10_p".into(),
            ScoreKind::CentroidDistance => format!("centroid_distance_{layer}"),
            ScoreKind::Mahalanobis => format!("mahalanobis_{layer}"),
            ScoreKind::Knn { k, l2 } => {
                format!("knn_{layer}_k{k}{}", if l2 { "_l2" } else { "" })
            }
        }
    }
}

/// A name as a column key: ASCII letters lower-cased, digits kept, anything else `_`
/// (`"conv 1/a"` -> `conv_1_a`).
#[must_use]
pub fn column_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

impl std::fmt::Display for ScoreId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let layer = self.layer.as_deref().unwrap_or("?");
        match self.kind {
            ScoreKind::MaxSoftmax => f.write_str("max-softmax (1 - p)"),
            ScoreKind::PathRarity => f.write_str("path rarity"),
            ScoreKind::Combined => {
                f.write_str("combined p-value (kNN-1 per layer, Fisher, conformal; -log10 p)")
            }
            ScoreKind::Credibility => f.write_str("Deep k-NN credibility (-log10 p)"),
            ScoreKind::CentroidDistance => write!(f, "centroid distance {layer}"),
            ScoreKind::Mahalanobis => write!(f, "Mahalanobis {layer}"),
            ScoreKind::Knn { k, l2 } => {
                write!(f, "kNN {layer} k={k}{}", if l2 { " (L2)" } else { "" })
            }
        }
    }
}
