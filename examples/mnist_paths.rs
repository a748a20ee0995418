//! The reference study through the library: train an MLP 784 -> 32 -> 64 -> 2 on the MNIST 1s and
//! 7s of the embedded sample, extract every layer, choose K per layer by silhouette, trace each
//! sample's path of clusters, judge layer redundancy, inject 4s and 3s the network never saw,
//! score anomalies, and write the report to `target/mtq-report/`.
//!
//! ```sh
//! cargo run --release --example mnist_paths
//! ```
//!
//! The same study, with every option on the command line, is `mtq mnist` (crate `mtq-cli`);
//! both run the same library [`Study`], so for the same settings they write the same numbers.

use mtq::report::{Report, sentences, write_report};
use mtq::signature::pipeline::{Stage, Study};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1 vs 7, 4s and 3s unseen, hidden widths 32 and 64, 5 epochs, K from 2 to 10, seed 0.
    let study = Study::new();
    let outcome = study.run(&mut |stage| {
        if let Stage::Fitted { ks, .. } = stage {
            for (layer, k, silhouette) in ks {
                match silhouette {
                    Some(s) => eprintln!("{layer}: K = {k} (silhouette {s:.3})"),
                    None => eprintln!("{layer}: constant layer, K undefined"),
                }
            }
        }
    })?;

    // The numbers: where the unseen 4s go, and how well the trusted score flags them.
    let run = outcome.first();
    for s in &run.result.strangers {
        let top = s.paths.first().map_or("-", |p| p.name.as_str());
        eprintln!("unseen {}: {} samples, most on {top}", s.class, s.n);
    }
    if let Some(trusted) = &run.result.trusted {
        for task in &run.result.tasks {
            let auroc = run.result.auroc(&trusted.score, task);
            eprintln!("{task}: AUROC of {} = {auroc:.3?}", trusted.score);
        }
    }

    // The report: Sankey SVG, HTML, JSON and the per-sample CSV/JSON.
    let report = Report::from_outcome(outcome);
    let files = write_report("target/mtq-report", &report)?;
    for line in sentences::headlines(&report.data) {
        println!("{line}");
    }
    println!("report: {}", files.html.display());
    Ok(())
}
