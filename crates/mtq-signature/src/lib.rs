//! placeholder: being written (signature analysis + report).

pub mod anomaly;
pub mod error;
pub mod path;
pub mod redundancy;
pub mod report;
pub mod roc;
pub mod stats;

pub use error::{Result, SignatureError};
pub use roc::{Roc, roc};
