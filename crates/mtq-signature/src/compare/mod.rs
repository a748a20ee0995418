//! Several studies side by side: each number with a 95 % interval over samples and seeds, the
//! verdict of every difference, and the representations of networks that share their inputs.
//!
//! [`compare`] takes one [`StudyFacts`] per study (several seeds each; built by
//! [`SeedFacts::from_run`] from a run, or by the caller from a finished report's numbers) and
//! gives a [`Comparison`]:
//! - per study, the chosen K and the redundancy verdict per layer and seed, and every share and
//!   AUROC as an [`Estimate`]: the mean over the seeds, their spread, and the 2.5-97.5 percentile
//!   interval of the bootstrap replicates of every seed pooled (seed noise and sample noise in
//!   one interval). Shares resample their samples; an AUROC resamples the test set and the
//!   unseen set separately, or, with its samples unknown, draws from Hanley and McNeil's normal
//!   approximation.
//! - [`Difference`]s: every quantity two studies both measure, judged different when their
//!   intervals do not overlap (a conservative test: two 95 % intervals apart is a difference at
//!   about the 0.6 % level for normal estimates), marked as between networks on the same data or
//!   between data sets.
//! - [`LayerSimilarity`] maps: linear CKA and ARI between every layer of two networks (and of one
//!   network with itself) on the test samples they share, seed by seed.
//!
//! Numbers and typed verdicts only: `mtq-report` draws and words them.
//!
//! ```
//! use mtq_signature::compare::{Count, SeedFacts, StudyFacts, CompareParams, Quantity, compare};
//!
//! let seed = |hits| SeedFacts {
//!     seed: 0,
//!     accuracy: Some(Count { hits, n: 1000 }),
//!     layers: vec!["h1".into()],
//!     ks: vec![2],
//!     redundant: vec![],
//!     class_paths: vec![],
//!     unseen_paths: vec![],
//!     routes: vec![],
//!     aurocs: vec![],
//!     shared: None,
//! };
//! let study = |name: &str, hits| StudyFacts {
//!     name: name.into(),
//!     data: "digits".into(),
//!     seeds: vec![seed(hits)],
//! };
//! let c = compare(&[study("A", 990), study("B", 900)], &CompareParams::default());
//! let d = &c.differences[0];
//! assert_eq!(d.quantity, Quantity::Accuracy);
//! assert!(d.distinct()); // 0.99 [0.983, 0.996] vs 0.90 [0.881, 0.918]
//! ```

mod bootstrap;
mod facts;
mod similarity;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use facts::{
    AurocFact, Count, MainPath, Routes, ScoreRole, SeedFacts, SharedInputs, StudyFacts,
};
pub use similarity::{LayerGrid, LayerSimilarity};

/// Replicates per seed of each quantity's bootstrap (the default of
/// [`CompareParams::resamples`]): Efron and Tibshirani's advice for percentile intervals.
pub const DEFAULT_RESAMPLES: usize = 1000;

/// How a comparison draws its intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareParams {
    /// Seeds every bootstrap stream (with the study's name, the quantity and the study's seed).
    pub seed: u64,
    /// Replicates per seed of each quantity (at least 1).
    pub resamples: usize,
}

impl Default for CompareParams {
    fn default() -> Self {
        Self {
            seed: 0,
            resamples: DEFAULT_RESAMPLES,
        }
    }
}

/// What a number measures: the key two studies are compared on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Quantity {
    /// Share of the test set classified right.
    Accuracy,
    /// Share of a reference class's test samples on its most taken path.
    ClassPath {
        /// The class.
        class: String,
    },
    /// Share of an unseen class's samples on its most taken path.
    UnseenPath {
        /// The unseen class.
        class: String,
    },
    /// Share of an unseen class's samples routed to a reference class.
    Route {
        /// The unseen class.
        class: String,
        /// The reference class.
        to: String,
    },
    /// A score's AUROC on the test set against an unseen class.
    Auroc {
        /// The unseen class.
        task: String,
        /// Which score.
        role: ScoreRole,
    },
}

impl std::fmt::Display for Quantity {
    /// `accuracy`, `path share of 7`, `path share of unseen 4`, `4 routed to 7`,
    /// `AUROC trusted, 4`: the key of a stream and a short label.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Accuracy => f.write_str("accuracy"),
            Self::ClassPath { class } => write!(f, "path share of {class}"),
            Self::UnseenPath { class } => write!(f, "path share of unseen {class}"),
            Self::Route { class, to } => write!(f, "{class} routed to {to}"),
            Self::Auroc { task, role } => write!(
                f,
                "AUROC {}, {task}",
                match role {
                    ScoreRole::Trusted => "trusted",
                    ScoreRole::MaxSoftmax => "max-softmax",
                }
            ),
        }
    }
}

/// How an interval was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Resampled samples (nonparametric bootstrap).
    Bootstrap,
    /// An AUROC whose samples are unknown: Hanley and McNeil's (1982) standard error, normal.
    HanleyMcNeil,
}

/// A number over seeds with its 95 % interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Per seed that measured it: the seed and its value.
    pub per_seed: Vec<(u64, f64)>,
    /// Mean over those seeds.
    pub mean: f64,
    /// 2.5 % percentile of every seed's replicates pooled.
    pub low: f64,
    /// 97.5 % percentile of the pooled replicates.
    pub high: f64,
    /// How the replicates were drawn.
    pub method: IntervalMethod,
}

impl Estimate {
    /// The smallest and the largest of the seeds' values (the seed spread).
    #[must_use]
    pub fn seed_range(&self) -> (f64, f64) {
        self.per_seed
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
                (lo.min(v), hi.max(v))
            })
    }
}

/// One quantity of one study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// What it measures.
    pub quantity: Quantity,
    /// Its value.
    pub estimate: Estimate,
    /// Per seed (as [`Estimate::per_seed`]), what the value is of when it names something: the
    /// main path's name, or the score's name; empty otherwise.
    pub detail: Vec<String>,
}

/// One study's numbers over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudySummary {
    /// The study's name.
    pub name: String,
    /// What it studied.
    pub data: String,
    /// Its seeds, in run order.
    pub seeds: Vec<u64>,
    /// The first seed's layers.
    pub layers: Vec<String>,
    /// Chosen K per seed (rows) and layer.
    pub ks: Vec<Vec<usize>>,
    /// Per layer after the first: its name and the seeds that judged it redundant with the one
    /// before.
    pub redundant: Vec<(String, usize)>,
    /// Every share and AUROC, in the order: accuracy, class paths, unseen paths, routes,
    /// AUROCs.
    pub measures: Vec<Measure>,
}

impl StudySummary {
    /// The measure of `quantity`, if the study has it.
    #[must_use]
    pub fn measure(&self, quantity: &Quantity) -> Option<&Measure> {
        self.measures.iter().find(|m| m.quantity == *quantity)
    }
}

/// Which way a difference goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The first study's interval lies above the second's.
    Higher,
    /// The first study's interval lies below the second's.
    Lower,
    /// The intervals overlap: no difference beyond sample and seed noise.
    Overlap,
}

/// One quantity of two studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// What both measure.
    pub quantity: Quantity,
    /// Index of the first study.
    pub a: usize,
    /// Index of the second study.
    pub b: usize,
    /// The first study's estimate's mean and interval `(mean, low, high)`.
    pub a_value: (f64, f64, f64),
    /// The second study's.
    pub b_value: (f64, f64, f64),
    /// The verdict.
    pub verdict: Verdict,
    /// Whether both studies studied the same data ([`StudySummary::data`]): a difference
    /// between two networks on the same inputs; otherwise between two populations.
    pub same_data: bool,
}

impl Difference {
    /// Whether the intervals do not overlap.
    #[must_use]
    pub fn distinct(&self) -> bool {
        self.verdict != Verdict::Overlap
    }
}

/// Several studies compared. Built by [`compare`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// How the intervals were drawn.
    pub params: CompareParams,
    /// One summary per study, in input order.
    pub studies: Vec<StudySummary>,
    /// Every quantity of every pair of studies `a < b` that both measure it, in study-pair
    /// order, then in the first study's measure order.
    pub differences: Vec<Difference>,
    /// Layer maps of every pair of studies `a <= b` sharing test inputs.
    pub similarities: Vec<LayerSimilarity>,
}

/// Compares `studies` (each with at least one seed; a study without seeds has no measures).
/// Deterministic: the same facts and params give the same comparison at any thread count.
#[must_use]
pub fn compare(studies: &[StudyFacts], params: &CompareParams) -> Comparison {
    let resamples = params.resamples.max(1);
    let summaries: Vec<StudySummary> = studies
        .iter()
        .map(|s| summarise(s, params.seed, resamples))
        .collect();
    let mut differences = Vec::new();
    for a in 0..summaries.len() {
        for b in a + 1..summaries.len() {
            for m in &summaries[a].measures {
                if let Some(n) = summaries[b].measure(&m.quantity) {
                    let mut d = difference(&m.quantity, a, &m.estimate, b, &n.estimate);
                    d.same_data = summaries[a].data == summaries[b].data;
                    differences.push(d);
                }
            }
        }
    }
    Comparison {
        params: *params,
        studies: summaries,
        differences,
        similarities: similarity::similarities(studies),
    }
}

fn difference(q: &Quantity, a: usize, ea: &Estimate, b: usize, eb: &Estimate) -> Difference {
    let verdict = if ea.low > eb.high {
        Verdict::Higher
    } else if ea.high < eb.low {
        Verdict::Lower
    } else {
        Verdict::Overlap
    };
    Difference {
        quantity: q.clone(),
        a,
        b,
        a_value: (ea.mean, ea.low, ea.high),
        b_value: (eb.mean, eb.low, eb.high),
        verdict,
        same_data: false,
    }
}

/// One seed's value of a quantity and how to draw its replicates.
enum Source<'a> {
    Share(Count),
    Auroc(&'a AurocFact),
}

impl Source<'_> {
    fn value(&self) -> f64 {
        match self {
            Self::Share(c) => c.share(),
            Self::Auroc(a) => a.auroc,
        }
    }

    fn replicates(&self, b: usize, seed: u64) -> (Vec<f64>, IntervalMethod) {
        match self {
            Self::Share(c) => (
                bootstrap::share_replicates(*c, b, seed),
                IntervalMethod::Bootstrap,
            ),
            Self::Auroc(a) => a
                .samples
                .as_ref()
                .and_then(|(neg, pos)| bootstrap::auroc_replicates(neg, pos, b, seed))
                .map_or_else(
                    || {
                        let se = bootstrap::hanley_mcneil_se(a.auroc, a.n_positives, a.n_negatives);
                        let reps = bootstrap::normal_replicates(a.auroc, se, b, seed);
                        (reps, IntervalMethod::HanleyMcNeil)
                    },
                    |reps| (reps, IntervalMethod::Bootstrap),
                ),
        }
    }
}

/// Every quantity a seed measures, in measure order, with what it names.
fn quantities(f: &facts::SeedFacts) -> Vec<(Quantity, Source<'_>, String)> {
    let mut q = Vec::new();
    if let Some(c) = f.accuracy {
        q.push((Quantity::Accuracy, Source::Share(c), String::new()));
    }
    for p in &f.class_paths {
        let key = Quantity::ClassPath {
            class: p.class.clone(),
        };
        q.push((key, Source::Share(p.count), p.path.clone()));
    }
    for p in &f.unseen_paths {
        let key = Quantity::UnseenPath {
            class: p.class.clone(),
        };
        q.push((key, Source::Share(p.count), p.path.clone()));
    }
    for r in &f.routes {
        for (to, c) in &r.to {
            let key = Quantity::Route {
                class: r.class.clone(),
                to: to.clone(),
            };
            q.push((key, Source::Share(*c), String::new()));
        }
    }
    for a in &f.aurocs {
        let key = Quantity::Auroc {
            task: a.task.clone(),
            role: a.role,
        };
        q.push((key, Source::Auroc(a), a.score.clone()));
    }
    q
}

fn summarise(s: &StudyFacts, seed: u64, resamples: usize) -> StudySummary {
    // every quantity in first-seen order, with each seed's source
    let mut keys: Vec<Quantity> = Vec::new();
    let mut by_key: Vec<Vec<(u64, Source<'_>, String)>> = Vec::new();
    for f in &s.seeds {
        // a value that is not a number (e.g. a seed's AUROC a report could not give) is no
        // measurement
        for (q, src, detail) in quantities(f)
            .into_iter()
            .filter(|q| q.1.value().is_finite())
        {
            let i = keys.iter().position(|k| *k == q).unwrap_or_else(|| {
                keys.push(q);
                by_key.push(Vec::new());
                keys.len() - 1
            });
            by_key[i].push((f.seed, src, detail));
        }
    }
    let measures = keys
        .into_par_iter()
        .zip(by_key.par_iter())
        .map(|(quantity, seeds)| {
            let mut pool = Vec::with_capacity(seeds.len() * resamples);
            let mut method = IntervalMethod::Bootstrap;
            for (run_seed, src, _) in seeds {
                // keyed by the data, not the study: studies of the same data and seed draw the
                // same resamples (common random numbers), so equal counts get equal intervals
                let key = format!("{}\u{1f}{quantity}\u{1f}{run_seed}", s.data);
                let (reps, m) = src.replicates(resamples, bootstrap::stream_seed(seed, &key));
                if m == IntervalMethod::HanleyMcNeil {
                    method = m;
                }
                pool.extend(reps);
            }
            pool.sort_by(f64::total_cmp);
            let per_seed: Vec<(u64, f64)> =
                seeds.iter().map(|(r, src, _)| (*r, src.value())).collect();
            let mean = per_seed.iter().map(|p| p.1).sum::<f64>() / per_seed.len() as f64;
            let detail = seeds.iter().map(|(_, _, d)| d.clone()).collect::<Vec<_>>();
            Measure {
                quantity,
                estimate: Estimate {
                    per_seed,
                    mean,
                    low: bootstrap::quantile(&pool, 0.025),
                    high: bootstrap::quantile(&pool, 0.975),
                    method,
                },
                detail: if detail.iter().all(String::is_empty) {
                    Vec::new()
                } else {
                    detail
                },
            }
        })
        .collect();
    let first = s.seeds.first();
    let layers = first.map_or_else(Vec::new, |f| f.layers.clone());
    let redundant = layers
        .iter()
        .skip(1)
        .enumerate()
        .map(|(i, l)| {
            let seeds = s
                .seeds
                .iter()
                .filter(|f| f.layers == layers && f.redundant.get(i).copied().unwrap_or(false))
                .count();
            (l.clone(), seeds)
        })
        .collect();
    StudySummary {
        name: s.name.clone(),
        data: s.data.clone(),
        seeds: s.seeds.iter().map(|f| f.seed).collect(),
        layers,
        ks: s.seeds.iter().map(|f| f.ks.clone()).collect(),
        redundant,
        measures,
    }
}
