//! Cluster-path signatures of a network's inputs: which cluster each sample falls in at every
//! hidden layer, what those paths say about the network, and which samples are strangers.
//!
//! - [`SignatureParams`] (builder: layers, K range, restarts, per-layer
//!   [`Preparation`], seed, redundancy threshold, kNN neighbour counts, Mahalanobis ridge) is
//!   fitted on a reference set ([`Samples`]: one activation matrix per layer plus the true labels)
//!   into a [`SignatureModel`]: per layer a K-means partition whose K maximises the silhouette
//!   (the [`KCurve`] keeps the whole curve), clusters named by majority class (`h1:7`), the
//!   class x cluster table with purity and entropy ([`stats`]), the reference paths ([`path`]) and
//!   the layer redundancy (ARI / NMI between consecutive layers and against the classes, linear
//!   CKA; [`redundancy`]).
//! - [`SignatureModel::trace`] gives any set's signatures (nearest centroid per layer, distance
//!   kept, predicted class), including classes never seen in training;
//!   [`SignatureModel::scores`] its anomaly scores (centroid distance, path rarity, a combined
//!   score, kNN distance for k up to 50 raw and L2-normalised, Mahalanobis, max-softmax), each
//!   evaluated by [`roc()`] (AUROC, FPR at 95 % TPR) with [`evaluate`].
//! - [`SignatureModel::study`] runs the whole study (reference, in-distribution test set,
//!   injected unseen classes) into a [`StudyResult`]: every traced and scored set
//!   ([`TracedSet`]), every score evaluated on every [`Task`], where each unseen class goes
//!   ([`Stranger`]) and the score to trust ([`TrustedScore`], fixed in advance, never chosen on
//!   the tasks it is judged on). Numbers and typed verdicts only: the `mtq-report` crate draws
//!   and words them.
//! - [`compare::compare`] puts several studies side by side (several seeds each): every share and
//!   AUROC with a seeded 95 % bootstrap interval over samples and seeds, the verdict of each
//!   difference, linear CKA and ARI between the layers of networks that share their test inputs.
//! - [`NpySet`] reads sets exported as `.npy` from any framework.
//! - `pipeline` (feature `pipeline`) runs a whole study from its options: `pipeline::Study`
//!   reads the data (MNIST, the shipped data sets, arrays, `.npy` activations), trains or
//!   loads the network, runs every seed and their [`stability()`]; every route of the `mtq`
//!   command goes through it.
//!
//! # Crate features
//! - `pipeline` (off by default; on in the `mtq` facade and the `mtq` command): the `pipeline`
//!   module, which brings `mtq-data`, `mtq-model` and candle. Without it the crate analyses
//!   activations you bring (e.g. `.npy` files) and compiles no neural-network code.
//! - `onnx` (off by default): ONNX networks in `pipeline::Study` through tract-onnx.
//!
//! # Example
//! ```
//! use mtq_signature::{KRange, Samples, ScoreId, ScoreKind, SignatureParams};
//! use ndarray::{Array1, Array2};
//!
//! # fn main() -> Result<(), mtq_signature::SignatureError> {
//! // Two layers of 40 samples: class 0 near (0, 0), class 1 near (5, 5); layer 2 = 2 x layer 1.
//! let h1 = Array2::from_shape_fn((40, 2), |(i, j)| {
//!     (i / 20) as f32 * 5.0 + ((i * 7 + j * 3) % 10) as f32 * 0.05
//! });
//! let h2 = h1.mapv(|v| 2.0 * v);
//! let labels = Array1::from_iter((0..40).map(|i| i / 20));
//! let reference = Samples::new(vec![h1.view(), h2.view()]).labels(labels.view());
//! let model = SignatureParams::new(["h1", "h2"], ["0", "1"])
//!     .k_range(KRange::new(2, 4)?)
//!     .seed(0)
//!     .fit(&reference)?;
//! assert_eq!(model.layers()[0].k(), 2);
//! assert_eq!(model.paths().len(), 2); // h1:0 > h2:0 and h1:1 > h2:1
//! assert!(model.redundancy().verdicts[0].redundant); // h2 repeats h1
//!
//! // A stranger far from both classes: high kNN distance in every layer.
//! let s1 = Array2::from_elem((1, 2), 20.0f32);
//! let s2 = s1.mapv(|v| 2.0 * v);
//! let stranger = Samples::new(vec![s1.view(), s2.view()]);
//! let trace = model.trace(&stranger)?;
//! let scores = model.scores(&stranger, &trace)?;
//! let knn_h1 = ScoreId::of_layer(ScoreKind::Knn { k: 1, l2: false }, "h1");
//! let knn = scores.column(&knn_h1).map_or(0.0, |c| c[0]);
//! assert!(knn > 10.0);
//! # Ok(())
//! # }
//! ```

pub mod analysis;
pub mod anomaly;
mod clustering;
pub mod compare;
pub mod error;
mod layer_map;
pub mod monitor;
pub mod npy_sets;
pub mod path;
#[cfg(feature = "pipeline")]
pub mod pipeline;
pub mod provenance;
pub mod redundancy;
pub mod roc;
pub mod samples;
mod score_id;
pub mod scores;
pub mod stability;
pub mod stats;
pub mod study;
mod task;

pub use analysis::{FittedLayer, KCurve, Redundancy, SignatureModel, SignatureParams, Trace};
pub use clustering::SweepOutcome;
pub use error::{Result, SignatureError};
pub use monitor::{
    MonitorError, MonitorFileError, MonitorScores, MonitorSettings, NetworkKind, NetworkRecord,
    PathMonitor,
};
pub use mtq_activations::{FittedPreparation, Preparation};
pub use mtq_cluster::{FitRows, KRange, REFINE_MAX_ITER, SilhouetteMode};
pub use npy_sets::NpySet;
pub use provenance::{InputFile, OptionValue, Provenance};
pub use roc::{Roc, roc};
pub use samples::Samples;
pub use scores::{ScoreEvaluation, ScoreId, ScoreKind, ScoreTable, evaluate};
pub use stability::{ScoreStability, SeedRow, Stability, stability};
pub use study::{
    ClusterCount, SetRole, Stranger, StrangerPath, StudyInput, StudyResult, Task, TracedSet,
    TrustRule, TrustedScore, UnseenSet,
};
