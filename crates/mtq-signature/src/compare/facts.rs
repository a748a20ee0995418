//! What a comparison reads of each study: per seed, the counts and scores behind every number it
//! compares ([`SeedFacts`]), built from a run ([`SeedFacts::from_run`]) or from a finished
//! report's numbers by the caller.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::analysis::SignatureModel;
use crate::path::{archetypes, count_paths};
use crate::scores::ScoreId;
use crate::study::{SetRole, StudyResult};

/// `hits` of `n` samples: a share with the sample count its interval needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Samples counted.
    pub hits: usize,
    /// Samples in the set.
    pub n: usize,
}

impl Count {
    /// `hits / n`, in `[0, 1]` (0 for an empty set).
    #[must_use]
    pub fn share(self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.hits as f64 / self.n as f64
        }
    }
}

/// A class's most taken path on the test set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MainPath {
    /// The class (a reference class on the test set, or an unseen class).
    pub class: String,
    /// The path, `h1:7 > h2:7 > out:7`.
    pub path: String,
    /// Its samples on it, of all its samples.
    pub count: Count,
}

/// Where an unseen class goes: the reference class each of its samples is routed to (its
/// predicted class when the network gives probabilities, else the majority class of its cluster
/// in the last layer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routes {
    /// The unseen class.
    pub class: String,
    /// Per reference class, in class order: its name and the samples routed to it.
    pub to: Vec<(String, Count)>,
}

/// Which score an AUROC is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreRole {
    /// The study's trusted score ([`TrustedScore`](crate::TrustedScore)), fixed before any task.
    Trusted,
    /// The max-softmax baseline, `1 - max p`.
    MaxSoftmax,
}

/// One score's AUROC on one task (the test set against one unseen class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AurocFact {
    /// The unseen class of the task.
    pub task: String,
    /// Which score.
    pub role: ScoreRole,
    /// The score's name, e.g. `max-softmax (1 - p)`.
    pub score: String,
    /// Its AUROC, in `[0, 1]`.
    pub auroc: f64,
    /// Negatives (test samples) and positives (unseen samples).
    pub n_negatives: usize,
    /// Positives.
    pub n_positives: usize,
    /// Every sample's score (negatives, positives), when known: the interval resamples them;
    /// without them it uses Hanley and McNeil's standard error.
    #[serde(skip)]
    pub samples: Option<(Vec<f64>, Vec<f64>)>,
}

/// The test set's signatures, for comparing partitions and activations across studies that
/// share their inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedInputs {
    /// One id per test sample (its row in the data's source), in row order.
    pub ids: Vec<usize>,
    /// The analysed layers' names.
    pub layers: Vec<String>,
    /// Cluster per sample (rows) and layer (columns).
    pub clusters: Array2<usize>,
    /// Each layer's activations (samples x units), when kept: linear CKA needs them.
    pub activations: Option<Vec<Array2<f32>>>,
}

/// The numbers of one seed of one study.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedFacts {
    /// The seed.
    pub seed: u64,
    /// Test samples classified right, if measured.
    pub accuracy: Option<Count>,
    /// The analysed layers.
    pub layers: Vec<String>,
    /// Chosen K per layer.
    pub ks: Vec<usize>,
    /// Per layer after the first, whether it is redundant with the one before.
    pub redundant: Vec<bool>,
    /// Per reference class, its main path on the test set.
    pub class_paths: Vec<MainPath>,
    /// Per unseen class, its main path.
    pub unseen_paths: Vec<MainPath>,
    /// Per unseen class, where it goes.
    pub routes: Vec<Routes>,
    /// The trusted score's and max-softmax's AUROC per task (those the study has).
    pub aurocs: Vec<AurocFact>,
    /// The test set's signatures (`None`: not known, e.g. read from a report).
    pub shared: Option<SharedInputs>,
}

/// One study of a comparison: its name, its data and its seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyFacts {
    /// The study's name in the plan, e.g. `CNN`.
    pub name: String,
    /// What it studied, e.g. `embedded MNIST sample, digits 1/7`: studies with the same data
    /// and test ids share their inputs.
    pub data: String,
    /// One entry per seed, in run order (never empty for a comparison).
    pub seeds: Vec<SeedFacts>,
}

impl SeedFacts {
    /// The facts of one seed's run: `model` fitted and `result` studied by it; `activations`,
    /// the test set's analysed layers (samples x units each, in `model`'s layer order), when kept.
    ///
    /// Without a test set there are no class paths, no accuracy count and no shared inputs.
    #[must_use]
    pub fn from_run(
        model: &SignatureModel,
        result: &StudyResult,
        activations: Option<Vec<Array2<f32>>>,
    ) -> Self {
        let classes = model.class_names();
        let names = model.cluster_names();
        let test = result.set(&SetRole::Test);
        let mut class_paths = Vec::new();
        let mut accuracy = None;
        let mut shared = None;
        if let Some(t) = test {
            if let Some(labels) = &t.labels {
                let rows = count_paths(
                    t.trace.clusters.view(),
                    labels.view(),
                    classes.len(),
                    &names,
                );
                for (c, class) in classes.iter().enumerate() {
                    let n = labels.iter().filter(|&&y| y == c).count();
                    if let Some(top) = archetypes(&rows, c, 1).into_iter().next() {
                        class_paths.push(MainPath {
                            class: class.clone(),
                            path: top.name,
                            count: Count { hits: top.count, n },
                        });
                    }
                }
                if let Some(p) = &t.trace.predictions {
                    let hits = p.iter().zip(labels).filter(|(p, y)| p == y).count();
                    accuracy = Some(Count { hits, n: t.len() });
                }
            }
            shared = t.ids.as_ref().map(|ids| SharedInputs {
                ids: ids.to_vec(),
                layers: model.layer_names().to_vec(),
                clusters: t.trace.clusters.clone(),
                activations,
            });
        }
        let mut unseen_paths = Vec::new();
        let mut routes = Vec::new();
        for s in &result.strangers {
            if let Some(p) = s.paths.first() {
                unseen_paths.push(MainPath {
                    class: s.class.clone(),
                    path: p.name.clone(),
                    count: Count {
                        hits: p.count,
                        n: s.n,
                    },
                });
            }
            let counts: Vec<usize> = match &s.predicted {
                Some(p) => p.clone(),
                // shares of whole counts: the rounding only undoes the division
                None => s.class_shares.last().map_or_else(Vec::new, |shares| {
                    shares
                        .iter()
                        .map(|v| (v * s.n as f64).round() as usize)
                        .collect()
                }),
            };
            routes.push(Routes {
                class: s.class.clone(),
                to: classes
                    .iter()
                    .zip(counts)
                    .map(|(c, hits)| (c.clone(), Count { hits, n: s.n }))
                    .collect(),
            });
        }
        let mut aurocs = Vec::new();
        let scored: Vec<(ScoreRole, ScoreId)> = result
            .trusted
            .iter()
            .map(|t| (ScoreRole::Trusted, t.score.clone()))
            .chain([(ScoreRole::MaxSoftmax, ScoreId::max_softmax())])
            .collect();
        for task in &result.tasks {
            let unseen = result.set(&SetRole::Unseen(task.unseen.clone()));
            for (role, id) in &scored {
                let (Some(auroc), Some(t), Some(u)) = (result.auroc(id, task), test, unseen) else {
                    continue;
                };
                let samples = t
                    .scores
                    .column(id)
                    .zip(u.scores.column(id))
                    .map(|(n, p)| (n.to_vec(), p.to_vec()));
                aurocs.push(AurocFact {
                    task: task.unseen.clone(),
                    role: *role,
                    score: id.to_string(),
                    auroc,
                    n_negatives: t.len(),
                    n_positives: u.len(),
                    samples,
                });
            }
        }
        Self {
            seed: result.seed,
            accuracy,
            layers: model.layer_names().to_vec(),
            ks: model.layers().iter().map(|l| l.k()).collect(),
            redundant: model
                .redundancy()
                .verdicts
                .iter()
                .map(|v| v.redundant)
                .collect(),
            class_paths,
            unseen_paths,
            routes,
            aurocs,
            shared,
        }
    }
}
