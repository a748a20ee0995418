//! MNIST-format data for MTQ Paths: IDX files in, typed [`Dataset`]s out.

mod dataset;
mod error;

pub use dataset::Dataset;
pub use error::{DataError, Result};
