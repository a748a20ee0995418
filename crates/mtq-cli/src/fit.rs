//! `mtq monitor fit`: a route's study on its first seed, the path monitor it fits saved as one
//! file (with the network file it was fitted through), and what the monitor did on stdout.

use std::path::Path;

use mtq_report::sentences;
use mtq_signature::NetworkRecord;
use mtq_signature::monitor::MonitorSummary;

use crate::args::Route;
use crate::failure::Failure;
use crate::output::{self, percent};
use crate::progress::Progress;
use crate::to_study;

/// Runs `route`'s study, saves its path monitor at `out` and prints what it did.
///
/// # Errors
/// [`Failure::Usage`] (before any data is read) for `--seeds` or a flag the study refuses;
/// [`Failure::Run`] if `out` cannot be written, the study fails, or it fitted no monitor.
pub fn fit(route: Route<'_>, out: &Path, progress: &Progress) -> Result<(), Failure> {
    if route.seeds().seeds.is_some() {
        return Err(Failure::Usage(
            "--seeds: mtq monitor fit fits one monitor on one seed; give --seed S".into(),
        ));
    }
    let (mut study, device) = to_study::route(route)?;
    study.check()?;
    output::prepare_file(out)?;
    study.device = to_study::device(device)?;
    let outcome = study.run(&mut |stage| progress.stage(&stage))?;
    let record = NetworkRecord::of_study(&study.network, &outcome.facts.provenance);
    let calibration = outcome.facts.calibration.clone();
    let Some(run) = outcome.runs.into_iter().next() else {
        return Err(Failure::Run("the study ran no seed".into()));
    };
    let Some(mut monitor) = run.result.path_monitor else {
        return Err(Failure::Run(
            "the study fitted no path monitor: it needs a calibration set (with `npy`, give \
             --test or --calibration)"
                .into(),
        ));
    };
    monitor.set_network(record);
    monitor.save(out).map_err(|e| Failure::Run(Box::new(e)))?;
    progress.say(&format!("saved the path monitor in {}", out.display()));
    let source = calibration.as_ref().map_or_else(
        || "given".to_owned(),
        |(s, _)| sentences::calibration_source(s),
    );
    println!(
        "path monitor: {} calibration samples, {source}; alpha {}, {} calibration",
        monitor.n_calibration(),
        monitor.alpha(),
        if monitor.settings().is_class_conditional() {
            "per predicted class"
        } else {
            "pooled"
        }
    );
    if let Some(summary) = &run.result.monitor {
        print_summary(summary);
    }
    if let Some(n) = monitor.network() {
        println!(
            "network recorded: {} {} (SHA-256 {})",
            n.kind.name(),
            n.file,
            n.sha256
        );
    }
    let size = std::fs::metadata(out).map_or(0, |m| m.len());
    println!("monitor: {} ({})", out.display(), output::bytes(size));
    Ok(())
}

/// The false alarms on the test set against their 99 % interval, and per unseen set the
/// detections and where they left.
fn print_summary(s: &MonitorSummary) {
    // the report's sentence: false alarms against their interval, detections, the warning
    // when alpha is below the calibration's resolution
    println!("{}", sentences::monitor_line(s));
    for u in &s.unseen {
        let left: Vec<String> = s
            .layers
            .iter()
            .zip(&u.left_at)
            .map(|(l, n)| format!("{l} {n}"))
            .collect();
        println!(
            "unseen {}: {} flagged ({} of {}); the flagged left at {}; {} flagged by no single layer",
            u.set,
            percent(u.flagged, u.n),
            u.flagged,
            u.n,
            left.join(", "),
            u.stayed
        );
    }
}
