//! Representations compared across studies that share their test inputs: linear CKA (Kornblith
//! et al. 2019) between every layer of one network and every layer of the other, and the ARI
//! between their partitions, on the samples both tested.

use std::collections::HashMap;

use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::facts::{SharedInputs, StudyFacts};
use crate::redundancy::linear_cka;

/// A layers x layers matrix over the seeds both studies ran: the mean and the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerGrid {
    /// Mean over the seed pairs; `mean[i][j]` is layer `i` of the first study against layer `j`
    /// of the second.
    pub mean: Vec<Vec<f64>>,
    /// Smallest value over the seed pairs.
    pub min: Vec<Vec<f64>>,
    /// Largest value over the seed pairs.
    pub max: Vec<Vec<f64>>,
}

/// Two studies' representations on their shared test inputs (the same study twice: its layers
/// against each other).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSimilarity {
    /// Index of the first study.
    pub a: usize,
    /// Index of the second study (`a` itself for the within-network map).
    pub b: usize,
    /// The first study's layers (rows).
    pub a_layers: Vec<String>,
    /// The second study's layers (columns).
    pub b_layers: Vec<String>,
    /// The seeds compared: each of the first study's seeds with the second's run of the same
    /// seed.
    pub seeds: Vec<u64>,
    /// Test samples both studies have (matched by id).
    pub shared_samples: usize,
    /// Linear CKA between the layers' activations, when both studies kept them.
    pub cka: Option<LayerGrid>,
    /// Adjusted Rand index between the layers' partitions (each layer's chosen K).
    pub ari: LayerGrid,
}

/// Every pair of studies (`a <= b`) with the same data and shared test ids, on every seed they
/// both ran.
pub(crate) fn similarities(studies: &[StudyFacts]) -> Vec<LayerSimilarity> {
    let mut pairs = Vec::new();
    for a in 0..studies.len() {
        for b in a..studies.len() {
            if studies[a].data == studies[b].data {
                pairs.push((a, b));
            }
        }
    }
    pairs
        .into_par_iter()
        .filter_map(|(a, b)| pair(studies, a, b))
        .collect()
}

/// The maps of studies `a` and `b` over the seeds both ran with test signatures of the first
/// such seed's layers and at least 2 shared samples; `None` when no seed is left.
fn pair(studies: &[StudyFacts], a: usize, b: usize) -> Option<LayerSimilarity> {
    let (sa, sb) = (&studies[a], &studies[b]);
    let mut runs: Vec<(u64, &SharedInputs, &SharedInputs)> = Vec::new();
    for fa in &sa.seeds {
        let Some(fb) = sb.seeds.iter().find(|f| f.seed == fa.seed) else {
            continue;
        };
        if let (Some(x), Some(y)) = (&fa.shared, &fb.shared) {
            runs.push((fa.seed, x, y));
        }
    }
    let (_, x0, y0) = *runs.first()?;
    let (a_layers, b_layers) = (x0.layers.clone(), y0.layers.clone());
    runs.retain(|(_, x, y)| x.layers == a_layers && y.layers == b_layers);
    let mut cka = Vec::new();
    let mut ari = Vec::new();
    let mut shared_samples = usize::MAX;
    // a seed whose test sets share fewer than 2 samples has no map
    runs.retain(|(_, x, y)| common_rows(&x.ids, &y.ids).0.len() >= 2);
    for &(_, x, y) in &runs {
        let (rx, ry) = common_rows(&x.ids, &y.ids);
        shared_samples = shared_samples.min(rx.len());
        ari.push(grid(a_layers.len(), b_layers.len(), |i, j| {
            let ci = x.clusters.column(i).select(Axis(0), &rx);
            let cj = y.clusters.column(j).select(Axis(0), &ry);
            // same lengths by construction: the only error ARI has
            mtq_cluster::metrics::adjusted_rand_index(ci.view(), cj.view()).unwrap_or(f64::NAN)
        }));
        if let (Some(ax), Some(ay)) = (&x.activations, &y.activations) {
            let ax: Vec<Array2<f32>> = ax.iter().map(|m| m.select(Axis(0), &rx)).collect();
            let ay: Vec<Array2<f32>> = ay.iter().map(|m| m.select(Axis(0), &ry)).collect();
            cka.push(grid(a_layers.len(), b_layers.len(), |i, j| {
                linear_cka(ax[i].view(), ay[j].view())
            }));
        }
    }
    if runs.is_empty() {
        return None;
    }
    Some(LayerSimilarity {
        a,
        b,
        a_layers,
        b_layers,
        seeds: runs.iter().map(|r| r.0).collect(),
        shared_samples,
        cka: (cka.len() == runs.len()).then(|| summarise(&cka)),
        ari: summarise(&ari),
    })
}

/// The rows of `a` and of `b` holding the same ids, in `a`'s order (an id repeated in `b`
/// matches its first row).
fn common_rows(a: &[usize], b: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut at: HashMap<usize, usize> = HashMap::with_capacity(b.len());
    for (r, &id) in b.iter().enumerate().rev() {
        at.insert(id, r);
    }
    a.iter()
        .enumerate()
        .filter_map(|(r, id)| at.get(id).map(|&s| (r, s)))
        .unzip()
}

fn grid(rows: usize, cols: usize, f: impl Fn(usize, usize) -> f64 + Sync) -> Array2<f64> {
    let cells: Vec<f64> = (0..rows * cols)
        .into_par_iter()
        .map(|c| f(c / cols, c % cols))
        .collect();
    Array2::from_shape_vec((rows, cols), cells).unwrap_or_else(|_| Array2::zeros((rows, cols)))
}

/// Mean, min and max over the seed pairs' grids (not empty, all the same shape).
fn summarise(grids: &[Array2<f64>]) -> LayerGrid {
    let rows = |f: &dyn Fn(&[f64]) -> f64| -> Vec<Vec<f64>> {
        let (r, c) = grids[0].dim();
        (0..r)
            .map(|i| {
                (0..c)
                    .map(|j| f(&grids.iter().map(|g| g[[i, j]]).collect::<Vec<_>>()))
                    .collect()
            })
            .collect()
    };
    LayerGrid {
        mean: rows(&|v| v.iter().sum::<f64>() / v.len() as f64),
        min: rows(&|v| v.iter().copied().fold(f64::INFINITY, f64::min)),
        max: rows(&|v| v.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::SeedFacts;
    use ndarray::Array2;

    fn seed(seed: u64, ids: &[usize], clusters: &[usize]) -> SeedFacts {
        SeedFacts {
            seed,
            accuracy: None,
            layers: vec!["h".into()],
            ks: vec![2],
            redundant: vec![],
            class_paths: vec![],
            unseen_paths: vec![],
            routes: vec![],
            aurocs: vec![],
            shared: Some(SharedInputs {
                ids: ids.to_vec(),
                layers: vec!["h".into()],
                clusters: Array2::from_shape_vec((clusters.len(), 1), clusters.to_vec()).unwrap(),
                activations: None,
            }),
        }
    }

    #[test]
    fn samples_are_matched_by_id_and_a_seed_without_two_shared_is_left_out() {
        let study = |name: &str, seeds| StudyFacts {
            name: name.into(),
            data: "d".into(),
            seeds,
        };
        // the same partition of ids 0..6, listed in another order (and one id only b has);
        // seed 1 shares no sample
        let a = study(
            "a",
            vec![
                seed(0, &[0, 1, 2, 3, 4, 5], &[0, 0, 0, 1, 1, 1]),
                seed(1, &[100, 101], &[0, 1]),
            ],
        );
        let b = study(
            "b",
            vec![
                seed(0, &[5, 4, 3, 2, 1, 0, 9], &[1, 1, 1, 0, 0, 0, 0]),
                seed(1, &[200, 201], &[0, 1]),
            ],
        );
        let maps = similarities(&[a, b]);
        let across = maps.iter().find(|m| (m.a, m.b) == (0, 1)).unwrap();
        assert_eq!(across.seeds, [0]);
        assert_eq!(across.shared_samples, 6);
        assert!((across.ari.mean[0][0] - 1.0).abs() < 1e-12);
        assert!(across.cka.is_none());
        // another data set: no map across
        let c = StudyFacts {
            data: "other".into(),
            ..study("c", vec![seed(0, &[0, 1, 2], &[0, 1, 0])])
        };
        let a = study("a", vec![seed(0, &[0, 1, 2], &[0, 1, 0])]);
        let maps = similarities(&[a, c]);
        assert!(maps.iter().all(|m| m.a == m.b));
    }

    #[test]
    fn common_rows_match_ids_in_the_first_order() {
        let (a, b) = common_rows(&[5, 3, 9, 1], &[1, 2, 3, 5, 5]);
        assert_eq!(a, vec![0, 1, 3]);
        assert_eq!(b, vec![3, 2, 0]);
    }
}
