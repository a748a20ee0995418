//! One study, whatever its route (feature `pipeline`): [`Study`] names the data (MNIST, the
//! shipped data sets, the user's arrays, activations exported as `.npy`), the network (trained
//! here, weights or an ONNX model trained elsewhere, any [`LayerModel`](mtq_activations::LayerModel)),
//! the K sweep and the seeds; [`Study::check`] refuses any option that cannot work before any
//! work, naming it; [`Study::run`] runs every seed and their stability into a
//! [`StudyOutcome`], with the typed facts the report presents ([`RunFacts`], its
//! [`Provenance`]).
//!
//! ```no_run
//! use mtq_signature::pipeline::{DataSource, Study};
//!
//! # fn main() -> Result<(), mtq_signature::pipeline::StudyError> {
//! // 1 vs 7, 4s and 3s unseen, 784 -> 32 -> 64 -> 2, 5 epochs, on the embedded sample.
//! let study = Study {
//!     seeds: vec![0, 1, 2],
//!     ..Study::new()
//! };
//! study.check()?; // before any work: every option, against every other
//! let outcome = study.run(&mut |_stage| {})?;
//! assert_eq!(outcome.runs.len(), 3);
//! assert!(outcome.stability.is_some());
//! // A digit both learned and injected is refused before any data is read.
//! let wrong = Study {
//!     data: DataSource::Mnist { dir: None, classes: vec![1, 7], unseen: vec![7] },
//!     ..Study::new()
//! };
//! assert!(wrong.check().unwrap_err().is_usage());
//! # Ok(())
//! # }
//! ```

mod error;
mod facts;
mod given;
mod load;
mod run;
mod seed;
mod spec;

pub use crate::provenance::{InputFile, OptionValue, Provenance};
pub use error::{Result, StudyError, StudyOption};
pub use facts::{Images, RunFacts};
pub use load::{
    CALIBRATION_FRACTION, CalibrationSource, SetsInMemory, StudyData, TEST_CALIBRATION_FRACTION,
    TEST_FRACTION, calibration_seed,
};
/// The ONNX model of [`Network::Onnx`], its candidate taps and its token pooling (feature
/// `onnx`), for a caller that lists a model's layers before a study.
#[cfg(feature = "onnx")]
pub use mtq_activations::onnx::{Candidate, OnnxModel, TokenPool};
pub use run::StudyOutcome;
pub use seed::{Stage, StudyRun};
pub use spec::{DataSource, ModelKind, Network, Study, Training};
