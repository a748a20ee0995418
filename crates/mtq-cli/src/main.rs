//! `mtq`: trace the cluster path every input takes through a neural network's hidden layers, and
//! write the report (Sankey SVG, HTML, JSON, per-sample CSV/JSON).
//!
//! Exit codes: 0 success, 1 failure (the error and its whole cause chain on stderr), 2 usage
//! (bad flags, an output folder that cannot be written: found before any computation).
//! Progress goes to stderr (`--quiet` silences it), the findings to stdout; the last line says
//! where the report is.

mod args;
mod arrays;
mod data;
mod failure;
mod mnist;
mod npy;
mod onnx;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, Command};

use crate::progress::Progress;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; anything else is a usage error.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let progress = Progress::new(cli.quiet);
    let outcome = match &cli.command {
        Command::Mnist(a) => mnist::run(a, &progress),
        Command::Npy(a) => npy::run(a, &progress),
        Command::Data(a) => data::run(a, &progress),
        Command::Onnx(a) => onnx::run(a, &progress),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}
