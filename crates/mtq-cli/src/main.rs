//! `mtq`: trace the cluster path every input takes through a neural network's hidden layers, and
//! write the report (Sankey SVG, HTML, JSON, per-sample CSV/JSON).
//!
//! Every route is flags -> library [`Study`] (checked whole before any work) -> report. Exit
//! codes: 0 success, 1 failure (with its cause chain), 2 usage (found before any data is read).
//! Progress goes to stderr (`--quiet`), the findings to stdout, last the report's path.
//! `mtq monitor fit` saves the path monitor of a study instead of its report; `mtq monitor
//! score` scores new inputs with a saved monitor into a CSV. `mtq compare` runs a plan of
//! studies and compares them (compare.html, compare.json, each study's report).

mod args;
mod compare;
mod failure;
mod fit;
mod list;
mod monitor_args;
mod output;
mod plan;
mod progress;
mod score;
mod to_study;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;
use mtq_report::Report;
use mtq_signature::pipeline::Study;

use crate::args::{Cli, Command, DeviceArg, MonitorCommand, Route};
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
    let report = |route, out: &Path| {
        to_study::route(route).and_then(|(s, device)| run(s, out, device, &progress))
    };
    let done = match &cli.command {
        Command::Mnist { route, report: r } => report(Route::Mnist(route), &r.out),
        Command::Data { route, report: r } => report(Route::Data(route), &r.out),
        Command::Onnx { route, .. } if route.list_layers => list::list_layers(&route.model),
        Command::Onnx { route, report: r } => report(Route::Onnx(route), &r.out),
        Command::Npy { route, report: r } => report(Route::Npy(route), &r.out),
        Command::Monitor(MonitorCommand::Fit(r)) => {
            let (route, out) = r.route();
            fit::fit(route, out, &progress)
        }
        Command::Monitor(MonitorCommand::Score(a)) => score::score(a, &progress),
        Command::Compare(a) => compare::compare(a, &progress),
    };
    match done {
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
