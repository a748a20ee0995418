//! The path monitor in an inference loop: train an MLP on the MNIST 1s and 7s of the embedded
//! sample (a fifth of the training split held out of training), fit the signatures on the
//! training split, calibrate a `PathMonitor` on the held-out fifth, save it, load it back, then
//! score a stream of batches (1s and 7s the network never saw, mixed with 4s it never learned)
//! as they go through the network, flagging as it goes.
//!
//! ```sh
//! cargo run --release --example monitor
//! ```
//!
//! The same from the command line: `mtq monitor fit mnist --out monitor.mtq`, then
//! `mtq monitor score monitor.mtq --npy PREFIX`.

use mtq::activations::{Activations, LayerKind, extract};
use mtq::data::{Dataset, Mnist};
use mtq::model::{Device, Mlp, MlpConfig, TrainConfig};
use mtq::signature::{KRange, MonitorSettings, PathMonitor, Samples, SignatureParams};
use ndarray::{Array2, ArrayView2, Axis, concatenate};

/// The studied layers of a batch: every hidden layer, then the class probabilities (`out`).
fn layers(acts: &Activations) -> (Vec<Array2<f32>>, Array2<f32>) {
    let probs = acts.probabilities().expect("the MLP gives probabilities");
    let mut out: Vec<Array2<f32>> = acts
        .layers()
        .iter()
        .filter(|l| l.kind() == LayerKind::Hidden)
        .map(|l| l.values().to_owned())
        .collect();
    out.push(probs.clone());
    (out, probs)
}

fn views(x: &[Array2<f32>]) -> Vec<ArrayView2<'_, f32>> {
    x.iter().map(|a| a.view()).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Data: 1s and 7s; a seeded fifth of the training split never trains the network.
    let (train_all, test_all) = Mnist::embedded()?.into_split();
    let (train, calibration) = train_all.into_classes(&[1, 7])?.stratified_split(0.2, 0)?;
    let test = test_all.select_classes(&[1, 7])?;
    let fours = test_all.select_classes(&[4])?;

    // 2. The network, trained on the rest (seeded: same weights every run).
    let mut mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), 0, &Device::Cpu)?;
    mlp.train(&train, &TrainConfig::new().epochs(5).seed(0))?;

    // 3. Signatures of the training split, and the monitor calibrated on the held-out fifth.
    let (reference, _) = layers(&extract(&mlp, &train, 512)?);
    let model = SignatureParams::new(["h1", "h2", "out"], ["1", "7"])
        .k_range(KRange::new(2, 6)?)
        .seed(0)
        .fit(&Samples::new(views(&reference)).labels(train.labels()))?;
    let (cal, cal_probs) = layers(&extract(&mlp, &calibration, 512)?);
    let monitor = PathMonitor::fit(
        &model,
        &Samples::new(views(&cal))
            .labels(calibration.labels())
            .probabilities(cal_probs.view()),
        MonitorSettings::new().alpha(0.05),
    )?;

    // 4. Save, and load back: what a service would read at start-up.
    let path = std::path::Path::new("target/monitor.mtq");
    std::fs::create_dir_all("target")?;
    monitor.save(path)?;
    let monitor = PathMonitor::load(path)?;
    println!(
        "monitor: {} bytes, {} reference rows, {} calibration inputs, alpha {}",
        std::fs::metadata(path)?.len(),
        monitor.n_reference(),
        monitor.n_calibration(),
        monitor.alpha()
    );

    // 5. The stream: 1s and 7s the network never saw, then 4s, in batches of 32.
    let stream = Dataset::new(
        concatenate(Axis(0), &[test.features(), fours.features()])?,
        concatenate(Axis(0), &[test.labels(), fours.labels()])?,
    )?;
    let n_known = test.n_samples();
    let (mut flagged, mut seen) = ([0usize; 2], [0usize; 2]);
    let mut left = vec![0usize; monitor.layer_names().len()];
    for start in (0..stream.n_samples()).step_by(32) {
        let rows: Vec<usize> = (start..(start + 32).min(stream.n_samples())).collect();
        let batch = stream.select(&rows)?;
        // inference: the network's layers for this batch, then the monitor's verdict
        let (acts, probs) = layers(&extract(&mlp, &batch, 32)?);
        let verdict = monitor.score(&Samples::new(views(&acts)).probabilities(probs.view()))?;
        for (i, &row) in rows.iter().enumerate() {
            let kind = usize::from(row >= n_known); // 0: a 1 or a 7, 1: a 4
            seen[kind] += 1;
            if verdict.flagged[i] {
                flagged[kind] += 1;
                if let Some(l) = verdict.left_at[i] {
                    left[l] += 1;
                }
            }
        }
    }
    println!(
        "flagged {} of {} known digits ({:.1} %: the false alarms, alpha 5 %)",
        flagged[0],
        seen[0],
        100.0 * flagged[0] as f64 / seen[0] as f64
    );
    println!(
        "flagged {} of {} unseen 4s ({:.1} %)",
        flagged[1],
        seen[1],
        100.0 * flagged[1] as f64 / seen[1] as f64
    );
    for (name, n) in monitor.layer_names().iter().zip(&left) {
        println!("  flagged inputs that left the known paths at {name}: {n}");
    }
    Ok(())
}
