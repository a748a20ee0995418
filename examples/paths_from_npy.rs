//! The study of activations exported from any framework (PyTorch, Keras, numpy): one `.npy` per
//! layer and set, `<prefix>_<layer>.npy`, with `<prefix>_labels.npy` (integer classes) and
//! optionally `<prefix>_probs.npy`. This reads the small numpy-written fixture of
//! `mtq-signature`'s tests (layers `h1`, `h2`; a reference, a test set and an unseen class `u`).
//!
//! ```sh
//! cargo run --release --example paths_from_npy
//! ```
//!
//! With your own files and every option: `mtq npy --layers h1,h2 --reference PREFIX ...`.

use mtq::report::{Report, ReportMeta, write_report};
use mtq::signature::{KRange, NpySet, SignatureParams, StudyInput, UnseenSet};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/mtq-signature/tests/fixtures/npy"
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let layers = ["h1".to_string(), "h2".to_string()];
    let read = |set: &str| NpySet::read(format!("{FIXTURE}/{set}"), &layers);
    let (reference, test, unseen) = (read("train")?, read("test")?, read("unseen")?);
    // Half of the test set calibrates the path monitor (never trained on, never evaluated).
    let (test, calibration) = test.split_share(0.5, 0)?;

    // Fit K-means per layer on the reference (K by silhouette), then trace and score every set.
    let model = SignatureParams::new(layers.clone(), ["0", "1"])
        .k_range(KRange::new(2, 5)?)
        .seed(0)
        .fit(&reference.samples())?;
    let result = model.study(&StudyInput {
        seed: 0,
        test_accuracy: None,
        reference: reference.samples(),
        test: Some(test.samples()),
        calibration: Some(calibration.samples()),
        unseen: vec![UnseenSet {
            name: "u".into(),
            samples: unseen.samples(),
        }],
    })?;

    for layer in model.layers() {
        println!("{}: K = {}", layer.name(), layer.k());
    }
    for v in &model.redundancy().verdicts {
        println!("{} redundant with {}: {}", v.layer, v.previous, v.redundant);
    }
    if let Some(trusted) = &result.trusted {
        for task in &result.tasks {
            let auroc = result.auroc(&trusted.score, task).unwrap_or(f64::NAN);
            println!("{task}: {} AUROC {auroc:.3}", trusted.score);
        }
    }
    let report = Report::new(
        &model,
        &result,
        &ReportMeta::new("MTQ Paths from .npy"),
        None,
    );
    let files = write_report("target/npy-report", &report)?;
    println!("report: {}", files.html.display());
    Ok(())
}
