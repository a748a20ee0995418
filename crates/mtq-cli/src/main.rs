//! `mtq`: trace the cluster path every input takes through a neural network's hidden layers, and
//! write the report (Sankey SVG, HTML, JSON, per-sample CSV/JSON).
//!
//! Every route is flags -> library [`Study`] (checked whole before any work) -> report. Exit
//! codes: 0 success, 1 failure (with its cause chain), 2 usage (found before any data is read).
//! Progress goes to stderr (`--quiet`), the findings to stdout, last the report's path.

mod args;
mod failure;
mod output;
mod progress;
mod to_study;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;
use mtq_report::Report;
use mtq_signature::pipeline::Study;

use crate::args::{Cli, Command, DeviceArg};
use crate::failure::Failure;
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
    let (study, out, device) = match &cli.command {
        Command::Mnist(a) => (to_study::mnist(a), &a.study.out, a.device),
        Command::Data(a) => (to_study::data(a), &a.study.out, DeviceArg::Cpu),
        Command::Onnx(a) => (to_study::onnx(a), &a.study.out, DeviceArg::Cpu),
        Command::Npy(a) => (Ok(to_study::npy(a)), &a.study.out, DeviceArg::Cpu),
    };
    match study.and_then(|s| run(s, out, device, &progress)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

/// Checks the study and the output folder, runs the study and writes its report.
fn run(
    mut study: Study,
    out: &Path,
    device: DeviceArg,
    progress: &Progress,
) -> Result<(), Failure> {
    study.check()?;
    study.device = to_study::device(device)?;
    output::prepare(out)?;
    let mut outcome = study.run(&mut |stage| progress.stage(&stage))?;
    let arg = |a: std::ffi::OsString| a.to_string_lossy().into_owned();
    outcome.facts.provenance.command = std::env::args_os().map(arg).collect();
    output::finish(out, &Report::from_outcome(outcome), progress)
}
