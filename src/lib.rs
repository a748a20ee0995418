//! MTQ Paths: trace the path each input takes through a neural network's hidden layers.
//!
//! This facade re-exports the workspace crates under short names, in the order data flows:
//!
//! | module | crate | what it holds |
//! | --- | --- | --- |
//! | [`data`] | `mtq-data` | MNIST IDX files into typed [`data::Dataset`]s; the embedded 10k-digit sample |
//! | [`model`] | `mtq-model` | the candle MLP classifier: train, evaluate, save, every layer's output |
//! | [`activations`] | `mtq-activations` | batched activation extraction, `.npy` storage, per-layer preparation |
//! | [`cluster`] | `mtq-cluster` | K-means, exact silhouette, the K sweep, ARI / NMI |
//! | [`signature`] | `mtq-signature` | per-sample cluster paths, statistics, anomaly scores, the study pipeline |
//! | [`report`] | `mtq-report` | Sankey SVG, charts, HTML, JSON, per-sample CSV/JSON, every sentence |
//!
//! The bundled examples (`cargo run --release --example mnist_paths`) show the library; the `mtq`
//! command (crate `mtq-cli`) runs every study from the command line.

pub use mtq_activations as activations;
pub use mtq_cluster as cluster;
pub use mtq_data as data;
pub use mtq_model as model;
pub use mtq_report as report;
pub use mtq_signature as signature;
