//! Stability of a study across seeds: chosen K, redundancy verdicts, agreement of the seeds'
//! partitions (ARI), and the anomaly scores' AUROC (mean, standard deviation, rank agreement).

use serde::{Deserialize, Serialize};

use crate::analysis::SignatureModel;
use crate::error::{Result, SignatureError};
use crate::scores::ScoreId;
use crate::study::{SetRole, StudyResult, Task};

/// One seed's headline numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRow {
    /// The seed.
    pub seed: u64,
    /// Test accuracy of the network, if measured.
    pub test_accuracy: Option<f64>,
    /// Chosen K per layer.
    pub ks: Vec<usize>,
    /// Per consecutive pair of layers, whether the second is redundant with the first.
    pub redundant: Vec<bool>,
    /// AUROC of the trusted score per task.
    pub trusted_auroc: Vec<f64>,
    /// AUROC of the max-softmax baseline per task, if the sets had probabilities.
    pub max_softmax_auroc: Vec<Option<f64>>,
}

/// One score's AUROC over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreStability {
    /// The score.
    pub score: ScoreId,
    /// Mean AUROC per task.
    pub mean: Vec<f64>,
    /// Population standard deviation of the AUROC per task.
    pub sd: Vec<f64>,
    /// The smallest of [`ScoreStability::mean`]: the score's worst task on average.
    pub worst_mean: f64,
}

/// How a study varies with the seed. Built by [`stability`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// The seeds, in run order.
    pub seeds: Vec<u64>,
    /// The analysed layers.
    pub layers: Vec<String>,
    /// The tasks, in order.
    pub tasks: Vec<Task>,
    /// One row per seed.
    pub per_seed: Vec<SeedRow>,
    /// Whether every seed chose the same K in every layer.
    pub same_k: bool,
    /// Whether every seed gave the same redundancy verdicts.
    pub same_redundancy: bool,
    /// Per layer, the adjusted Rand index between the partitions of the reference set of every
    /// pair of seeds `(a, b)`, `a < b`, in that order.
    pub partition_ari: Vec<Vec<f64>>,
    /// Every score's AUROC over seeds, best worst-case mean first (ties: column order).
    pub scores: Vec<ScoreStability>,
    /// Spearman correlation of the scores' worst-case AUROC between consecutive seeds.
    pub rank_correlation: Vec<f64>,
}

impl Stability {
    /// Per layer, its name and the smallest and largest of [`partition_ari`](Self::partition_ari)
    /// (`+inf, -inf` for a layer with no pair, i.e. a single seed).
    #[must_use]
    pub fn partition_ari_range(&self) -> Vec<(&str, f64, f64)> {
        self.layers
            .iter()
            .zip(&self.partition_ari)
            .map(|(l, v)| {
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (l.as_str(), lo, hi)
            })
            .collect()
    }
}

/// Compares the runs of one study with different seeds. Each item is a fitted model and its
/// study result on the same reference set (same samples, same order), the same layers and the
/// same tasks.
///
/// # Errors
/// [`SignatureError::RowMismatch`] if the runs are empty or do not share their reference set
/// size, layers or tasks; [`SignatureError::Cluster`] if an ARI cannot be computed.
pub fn stability(runs: &[(&SignatureModel, &StudyResult)]) -> Result<Stability> {
    let Some(&(m0, r0)) = runs.first() else {
        return Err(SignatureError::RowMismatch {
            what: "runs compared for stability".into(),
            expected: 1,
            found: 0,
        });
    };
    for &(m, r) in runs {
        if m.n_reference() != m0.n_reference() {
            return Err(SignatureError::RowMismatch {
                what: format!("reference set of seed {}", r.seed),
                expected: m0.n_reference(),
                found: m.n_reference(),
            });
        }
        if m.layer_names() != m0.layer_names() || r.tasks != r0.tasks {
            return Err(SignatureError::RowMismatch {
                what: format!("layers and tasks of seed {}", r.seed),
                expected: m0.layer_names().len() + r0.tasks.len(),
                found: m.layer_names().len() + r.tasks.len(),
            });
        }
    }
    let tasks = r0.tasks.clone();
    let per_seed: Vec<SeedRow> = runs
        .iter()
        .map(|&(m, r)| SeedRow {
            seed: r.seed,
            test_accuracy: r.test_accuracy,
            ks: m.layers().iter().map(|l| l.k()).collect(),
            redundant: m
                .redundancy()
                .verdicts
                .iter()
                .map(|v| v.redundant)
                .collect(),
            trusted_auroc: tasks
                .iter()
                .map(|t| {
                    r.trusted
                        .as_ref()
                        .and_then(|ts| r.auroc(&ts.score, t))
                        .unwrap_or(f64::NAN)
                })
                .collect(),
            max_softmax_auroc: tasks
                .iter()
                .map(|t| r.auroc(&ScoreId::max_softmax(), t))
                .collect(),
        })
        .collect();
    let mut partition_ari = Vec::new();
    for li in 0..m0.layer_names().len() {
        let mut v = Vec::new();
        for a in 0..runs.len() {
            for b in a + 1..runs.len() {
                let pa = runs[a].0.reference_trace().clusters.column(li);
                let pb = runs[b].0.reference_trace().clusters.column(li);
                v.push(mtq_cluster::adjusted_rand_index(pa, pb)?);
            }
        }
        partition_ari.push(v);
    }
    // The test set's scores: the ones evaluated (the reference has no kNN scores).
    let columns = &r0
        .set(&SetRole::Test)
        .unwrap_or(r0.reference())
        .scores
        .columns;
    let mut scores: Vec<ScoreStability> = columns
        .iter()
        .filter(|c| tasks.iter().all(|t| r0.auroc(c, t).is_some()))
        .map(|c| {
            let (mut mean, mut sd) = (Vec::new(), Vec::new());
            for t in &tasks {
                let v: Vec<f64> = runs.iter().filter_map(|(_, r)| r.auroc(c, t)).collect();
                let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
                let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len().max(1) as f64;
                mean.push(m);
                sd.push(var.sqrt());
            }
            let worst_mean = mean.iter().copied().fold(f64::INFINITY, f64::min);
            ScoreStability {
                score: c.clone(),
                mean,
                sd,
                worst_mean,
            }
        })
        .collect();
    scores.sort_by(|a, b| b.worst_mean.total_cmp(&a.worst_mean));
    let worst = |r: &StudyResult| -> Vec<f64> {
        let v: Vec<f64> = scores
            .iter()
            .map(|s| {
                tasks
                    .iter()
                    .filter_map(|t| r.auroc(&s.score, t))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        ranks(&v)
    };
    let rs: Vec<Vec<f64>> = runs.iter().map(|(_, r)| worst(r)).collect();
    let rank_correlation = rs.windows(2).map(|w| pearson(&w[0], &w[1])).collect();
    Ok(Stability {
        seeds: runs.iter().map(|(_, r)| r.seed).collect(),
        layers: m0.layer_names().to_vec(),
        same_k: per_seed.windows(2).all(|w| w[0].ks == w[1].ks),
        same_redundancy: per_seed
            .windows(2)
            .all(|w| w[0].redundant == w[1].redundant),
        tasks,
        per_seed,
        partition_ari,
        scores,
        rank_correlation,
    })
}

/// Ranks from 1, ties sharing their mean rank (as `scipy.stats.rankdata`).
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation (of ranks: Spearman); NaN when either side is constant.
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties_and_spearman_of_reversed_is_minus_one() {
        assert_eq!(ranks(&[0.3, 0.1, 0.3, 0.2]), vec![3.5, 1.0, 3.5, 2.0]);
        let a = ranks(&[1.0, 2.0, 3.0]);
        let b = ranks(&[3.0, 2.0, 1.0]);
        assert!((pearson(&a, &b) + 1.0).abs() < 1e-12);
        assert!((pearson(&a, &a) - 1.0).abs() < 1e-12);
    }
}
