//! MTQ Paths: trace the path each input takes through a neural network's hidden layers.
//!
//! This facade re-exports the workspace crates under short names.

pub use mtq_data as data;
pub use mtq_model as model;
pub use mtq_signature as signature;
pub use mtq_activations as activations;
pub use mtq_cluster as cluster;
