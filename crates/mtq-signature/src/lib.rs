//! placeholder: being written (signature analysis + report).

pub mod analysis;
pub mod anomaly;
mod clustering;
pub mod error;
pub mod export;
pub mod npy_sets;
pub mod path;
pub mod redundancy;
pub mod report;
pub mod roc;
pub mod samples;
pub mod scores;
pub mod stats;
pub mod study;

pub use analysis::{FittedLayer, KCurve, Redundancy, SignatureAnalysis, SignatureModel, Trace};
pub use error::{Result, SignatureError};
pub use export::{SampleRecord, SampleTable};
pub use npy_sets::NpySet;
pub use roc::{Roc, roc};
pub use samples::Samples;
pub use scores::{ScoreEvaluation, ScoreInfo, ScoreKind, ScoreTable, evaluate};
pub use study::{Stranger, StudyInput, StudyResult};
