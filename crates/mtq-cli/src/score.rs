//! `mtq monitor score`: new inputs (activations, or inputs run through the network file the
//! monitor recorded) scored by a saved path monitor, one CSV row each.

use std::path::Path;

use mtq_report::samples::Cell;
use mtq_report::{SampleTable, write_atomic};
use mtq_signature::path::path_name;
use mtq_signature::pipeline::InputFile;
use mtq_signature::scores::column_key;
use mtq_signature::{MonitorScores, NetworkKind, NpySet, PathMonitor};

use crate::args::{ConvTapArg, ScoreArgs, TokenPoolArg};
use crate::failure::Failure;
use crate::output::{self, percent};
use crate::progress::Progress;
use crate::to_study;

/// A failed run of this command.
fn run_error(e: impl std::error::Error + 'static) -> Failure {
    Failure::Run(Box::new(e))
}

/// Scores `a`'s inputs with its monitor, writes the CSV and prints the flag rates.
///
/// # Errors
/// [`Failure::Usage`] for `--onnx` in a build without ONNX, an empty `--out` (both before
/// anything is read) and a flag contradicting the network the monitor recorded;
/// [`Failure::Run`] for a monitor file that cannot be read or trusted, inputs that cannot be
/// read or do not fit it, another network file than the recorded one, a CSV that cannot be
/// written.
pub fn score(a: &ScoreArgs, progress: &Progress) -> Result<(), Failure> {
    if let Some(onnx) = &a.onnx {
        to_study::onnx_network(onnx.clone(), None, ConvTapArg::Mean, TokenPoolArg::Mean)?;
    }
    output::prepare_file(&a.out)?;
    let monitor = PathMonitor::load(&a.monitor).map_err(run_error)?;
    progress.say(&format!(
        "read the path monitor {}: layers {}, classes {}",
        a.monitor.display(),
        monitor.layer_names().join(", "),
        monitor.class_names().join(", ")
    ));
    let set = match (&a.npy, &a.x) {
        (Some(prefix), _) => NpySet::read_any(prefix, monitor.layer_names()).map_err(run_error)?,
        (None, Some(x)) => through_network(&monitor, x, a)?,
        (None, None) => return Err(Failure::Usage("give --npy or --x".into())),
    };
    let scores = monitor.score(&set.samples()).map_err(run_error)?;
    progress.say(&format!("scored {} inputs", scores.len()));
    let table = table(&monitor, &set, &scores);
    let mut csv = Vec::new();
    table
        .write_csv(&mut csv)
        .map_err(|e| Failure::Run(Box::new(e)))?;
    write_atomic(&a.out, &csv).map_err(run_error)?;
    print_rates(&monitor, &scores);
    println!("scores: {}", a.out.display());
    Ok(())
}

/// The inputs `x` run through the network file `a` gives, which must be the one the monitor
/// recorded (same kind, same SHA-256), with the recorded options.
fn through_network(monitor: &PathMonitor, x: &Path, a: &ScoreArgs) -> Result<NpySet, Failure> {
    let Some(record) = monitor.network() else {
        return Err(Failure::Run(
            format!(
                "{} records no network file: it was fitted on a network mtq trained itself, or \
                 on activations; score its activations with --npy PREFIX, or fit a monitor on a \
                 saved network file (mtq monitor fit mnist --weights FILE)",
                a.monitor.display()
            )
            .into(),
        ));
    };
    let (file, flag) = match (&a.weights, &a.onnx) {
        (Some(w), _) => (w, NetworkKind::Weights),
        (None, Some(o)) => (o, NetworkKind::Onnx),
        (None, None) => return Err(Failure::Usage("--x needs --weights or --onnx".into())),
    };
    if flag != record.kind {
        return Err(Failure::Run(
            format!(
                "{} was fitted through the {} file {}: give it with --{}",
                a.monitor.display(),
                record.kind.name(),
                record.file,
                record.kind.name()
            )
            .into(),
        ));
    }
    let sha256 = InputFile::read(record.kind.name(), file)?.sha256;
    if sha256 != record.sha256 {
        return Err(Failure::Run(
            format!(
                "{} is not the network the monitor was fitted on: {} records {} (SHA-256 {}), \
                 {} has SHA-256 {sha256}",
                file.display(),
                a.monitor.display(),
                record.file,
                record.sha256,
                file.display()
            )
            .into(),
        ));
    }
    let network = to_study::recorded_network(record, file, a)?;
    let (names, set) = network.layers_of(x, &mtq_model::Device::Cpu)?;
    if names != monitor.layer_names() {
        return Err(Failure::Run(
            format!(
                "{} through {} gives the layers {}; the monitor scores {}",
                x.display(),
                file.display(),
                names.join(", "),
                monitor.layer_names().join(", ")
            )
            .into(),
        ));
    }
    Ok(set)
}

/// One row per input: id, predicted class, path, whether the reference takes it, the
/// combined p-value, the flag, where it left, each layer's p-value, the credibility.
fn table(monitor: &PathMonitor, set: &NpySet, s: &MonitorScores) -> SampleTable {
    let layers = monitor.layer_names();
    let mut columns: Vec<String> = [
        "id",
        "predicted",
        "path",
        "path_seen",
        "p_value",
        "flagged",
        "left_at",
    ]
    .map(str::to_owned)
    .to_vec();
    columns.extend(layers.iter().map(|l| format!("{}_p_value", column_key(l))));
    columns.push("credibility".into());
    let yes_no = |b: bool| Cell::Text(if b { "true" } else { "false" }.into());
    let rows: Vec<Vec<Cell>> = (0..s.len())
        .map(|i| {
            let mut row = vec![
                Cell::Int(set.ids.as_ref().map_or(i, |ids| ids[i])),
                s.predicted
                    .as_ref()
                    .and_then(|p| monitor.class_names().get(p[i]))
                    .map_or(Cell::Empty, |c| Cell::Text(c.clone())),
                Cell::Text(path_name(
                    &s.clusters.row(i).to_vec(),
                    monitor.cluster_names(),
                )),
                yes_no(s.path_seen(i)),
                p_cell(s.log_p[i]),
                yes_no(s.flagged[i]),
                s.left_at[i].map_or(Cell::Empty, |l| Cell::Text(layers[l].clone())),
            ];
            row.extend(s.layer_log_p.row(i).iter().map(|&lp| p_cell(lp)));
            row.push(
                s.credibility_log_p
                    .as_ref()
                    .map_or(Cell::Empty, |c| p_cell(c[i])),
            );
            row
        })
        .collect();
    SampleTable::from_rows(columns, &rows)
}

/// The p-value of `ln p` (the table writes a tiny one in scientific notation).
fn p_cell(log_p: f64) -> Cell {
    Cell::Float(log_p.exp())
}

/// The flag rate overall and per predicted class.
fn print_rates(monitor: &PathMonitor, s: &MonitorScores) {
    let flagged = s.flagged.iter().filter(|&&f| f).count();
    println!(
        "flagged {} of {} inputs ({}) at alpha {}",
        flagged,
        s.len(),
        percent(flagged, s.len()),
        monitor.alpha()
    );
    let Some(predicted) = &s.predicted else {
        return;
    };
    for (c, name) in monitor.class_names().iter().enumerate() {
        let of_class: Vec<bool> = predicted
            .iter()
            .zip(&s.flagged)
            .filter(|&(&p, _)| p == c)
            .map(|(_, &f)| f)
            .collect();
        let k = of_class.iter().filter(|&&f| f).count();
        println!(
            "predicted {name}: flagged {k} of {} ({})",
            of_class.len(),
            percent(k, of_class.len())
        );
    }
}
