//! Two networks compared in Rust, as `mtq compare` does: the MLP and the LeNet-style CNN on the
//! embedded MNIST 1/7 (4s and 3s unseen), three seeds each; every share and AUROC with its 95 %
//! interval, the differences beyond noise, and linear CKA between every layer of one network and
//! every layer of the other on their shared test digits; then `compare.html`, `compare.json` and
//! `compare.md` in `mtq-compare-example/`.
//!
//! ```sh
//! cargo run --release --example compare
//! ```
//!
//! The same from the command line: a plan of `[[study]]` tables, `mtq compare PLAN.toml`.

use mtq::model::ConvTap;
use mtq::report::{CompareReport, compare_sentences, write_compare};
use mtq::signature::compare::{CompareParams, compare};
use mtq::signature::pipeline::{Network, Study, Training};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mlp = Study {
        seeds: vec![0, 1, 2],
        // the test digits' activations stay in memory for CKA (never written)
        keep_test_activations: true,
        ..Study::new()
    };
    let cnn = Study {
        network: Network::Train(Training::cnn(ConvTap::ChannelMean, 10)),
        ..mlp.clone()
    };
    let mut facts = Vec::new();
    for (name, study) in [("MLP", &mlp), ("CNN", &cnn)] {
        let mut outcome = study.run(&mut |_| {})?;
        facts.push(outcome.compare_facts(name));
    }
    let comparison = compare(&facts, &CompareParams::default());

    for line in compare_sentences::compare_headlines(&comparison) {
        println!("{line}");
    }
    let across = comparison
        .similarities
        .iter()
        .find(|s| s.a != s.b)
        .ok_or("the two studies share their test digits")?;
    if let Some(cka) = &across.cka {
        println!(
            "\nlinear CKA, MLP rows x CNN columns ({} test digits, seeds {:?}):",
            across.shared_samples, across.seeds
        );
        println!("{:>6} {}", "", across.b_layers.join("  "));
        for (layer, row) in across.a_layers.iter().zip(&cka.mean) {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:5.2}")).collect();
            println!("{layer:>6} {}", cells.join(" "));
        }
    }
    let out = std::path::Path::new("mtq-compare-example");
    std::fs::create_dir_all(out)?;
    let files = write_compare(
        out,
        &CompareReport::new("MLP and CNN on MNIST 1/7", comparison),
    )?;
    println!("\ncompare: {}", files.html.display());
    Ok(())
}
