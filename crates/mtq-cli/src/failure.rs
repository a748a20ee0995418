//! How `mtq` fails: a usage error (exit 2) or a failed run (exit 1), printed with every cause.

use std::error::Error;
use std::process::ExitCode;

use mtq_signature::pipeline::StudyError;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// The command line asks for something impossible (exit code 2).
    Usage(String),
    /// The run failed (exit code 1).
    Run(Box<dyn Error>),
}

impl Failure {
    /// Prints the error and its whole cause chain on stderr; the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            Self::Usage(msg) => {
                eprintln!("error: {msg}");
                eprintln!("\nFor more information, try '--help'.");
                ExitCode::from(2)
            }
            Self::Run(e) => {
                eprintln!("error: {e}");
                let mut source = e.source();
                while let Some(s) = source {
                    eprintln!("  caused by: {s}");
                    source = s.source();
                }
                ExitCode::FAILURE
            }
        }
    }
}

impl From<StudyError> for Failure {
    /// An option the study refuses is a usage error; anything else a failed run.
    fn from(e: StudyError) -> Self {
        if e.is_usage() {
            Self::Usage(e.to_string())
        } else {
            Self::Run(Box::new(e))
        }
    }
}
