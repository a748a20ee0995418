//! `mtq monitor fit` and `mtq monitor score` as a user runs them: a monitor fitted on the
//! embedded MNIST sample (through a network trained here, or given as weights) or on
//! activations, new inputs scored into a CSV, and every refusal with its exit code.

mod common;

use std::path::Path;

#[cfg(feature = "onnx")]
use common::write_arrays;
use common::{mtq, temp, text, write_weights};
use mtq_signature::{NetworkKind, PathMonitor};

/// `mtq monitor fit <args> --out <out>`, quick (one epoch where the study trains, K up to 3).
fn fit(args: &[&str], out: &Path) -> std::process::Output {
    let mut all = vec!["monitor", "fit"];
    all.extend(args);
    all.extend(["--k-max", "3", "--out", out.to_str().expect("test fixture")]);
    mtq(&all)
}

/// `mtq monitor score <monitor> <args> --out <out>`.
fn score(monitor: &Path, args: &[&str], out: &Path) -> std::process::Output {
    let mut all = vec!["monitor", "score", monitor.to_str().expect("test fixture")];
    all.extend(args);
    all.extend(["--out", out.to_str().expect("test fixture")]);
    mtq(&all)
}

/// The embedded sample's test digits `digits`, as 28 x 28 images in [0, 1], into `path`.
fn write_digits(path: &Path, digits: &[usize]) -> usize {
    let (_, test) = mtq_data::Mnist::embedded()
        .expect("test fixture")
        .into_split();
    let set = test.select_classes(digits).expect("test fixture");
    let images = set
        .features()
        .to_owned()
        .into_shape_with_order((set.n_samples(), 28, 28))
        .expect("test fixture");
    mtq_data::npy::write_npy(path, &images).expect("test fixture");
    set.n_samples()
}

/// The rows of a CSV without its header, split on commas (no field here holds one).
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// Share of rows whose `flagged` column is `true`.
fn flag_rate(csv: &str) -> f64 {
    let col = csv
        .lines()
        .next()
        .expect("test fixture")
        .split(',')
        .position(|c| c == "flagged")
        .expect("test fixture");
    let r = rows(csv);
    r.iter().filter(|row| row[col] == "true").count() as f64 / r.len() as f64
}

#[test]
fn a_monitor_fitted_on_mnist_is_saved_and_loads() {
    let dir = temp("monitor-mnist");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("m.mtq");
    let out = fit(&["mnist", "--epochs", "1", "--alpha", "0.1"], &file);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("calibration samples, held out of the training split")
            && stdout.contains("alpha 0.1")
            && stdout.contains("false alarms on the test set")
            && stdout.contains("99 % interval")
            && stdout.contains("unseen 4:")
            && stdout.contains("unseen 3:")
            && stdout.contains("left at h1 "),
        "{stdout}"
    );
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(
        stdout.contains(&format!("m.mtq ({}", size / 1000)),
        "{stdout}"
    );
    let monitor = PathMonitor::load(&file).unwrap();
    assert_eq!(monitor.alpha(), 0.1);
    assert_eq!(monitor.layer_names(), ["h1", "h2", "out"]);
    // a network mtq trained itself is not recorded: --x is refused, saying what to do
    assert!(monitor.network().is_none());
    let x = dir.join("X.npy");
    write_digits(&x, &[1]);
    let w = dir.join("w.safetensors");
    write_weights(&w, false, false);
    let out = score(
        &file,
        &["--x", x.to_str().unwrap(), "--weights", w.to_str().unwrap()],
        &dir.join("s.csv"),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("records no network file") && err.contains("--npy"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Fitted through a safetensors MLP, the monitor records it; test images run through the same
/// file are scored into the CSV, and unseen digits are flagged more often than test digits.
/// Another file, or a contradicting flag, is refused.
#[test]
fn a_monitor_fitted_through_weights_scores_new_images() {
    let dir = temp("monitor-weights");
    std::fs::create_dir_all(&dir).unwrap();
    let (w, keras) = (dir.join("torch.safetensors"), dir.join("keras.safetensors"));
    write_weights(&w, false, false);
    write_weights(&keras, true, false);
    let file = dir.join("mlp.mtq");
    let out = fit(&["mnist", "--weights", w.to_str().unwrap()], &file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("network recorded: weights") && stdout.contains("test set"),
        "{stdout}"
    );
    let monitor = PathMonitor::load(&file).unwrap();
    let record = monitor.network().unwrap();
    assert_eq!(record.kind, NetworkKind::Weights);
    assert_eq!(record.option("activation"), Some("relu"));
    assert_eq!(record.option("weight_layout"), Some("out-in"));

    let (test, unseen) = (dir.join("test.npy"), dir.join("unseen.npy"));
    let n_test = write_digits(&test, &[1, 7]);
    write_digits(&unseen, &[4, 3]);
    let csv_path = dir.join("scores.csv");
    let with = |x: &Path, net: &[&str]| {
        let mut args = vec!["--x", x.to_str().unwrap()];
        args.extend(net);
        score(&file, &args, &csv_path)
    };
    let weights = ["--weights", w.to_str().unwrap()];
    let out = with(&test, &weights);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("of {n_test} inputs"))
            && stdout.contains("predicted 1: flagged")
            && stdout.contains("scores: "),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "id,predicted,path,path_seen,p_value,flagged,left_at,h1_p_value,out_p_value,credibility"
    );
    let r = rows(&csv);
    assert_eq!(r.len(), n_test);
    assert_eq!(r[0][0], "0");
    // every p-value parses and is a probability (tiny ones in scientific notation)
    for row in &r {
        for p in [&row[4], &row[7], &row[8], &row[9]] {
            let p: f64 = p.parse().unwrap();
            assert!((0.0..=1.0).contains(&p), "{p}");
        }
    }
    assert!(r.iter().all(|row| ["1", "7"].contains(&row[1].as_str())));
    assert!(r[0][2].starts_with("h1:") && r[0][2].contains(" > out:"));
    let test_rate = flag_rate(&csv);
    let out = with(&unseen, &weights);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let unseen_rate = flag_rate(&std::fs::read_to_string(&csv_path).unwrap());
    assert!(
        unseen_rate > 2.0 * test_rate && unseen_rate > test_rate + 0.1,
        "unseen 4s and 3s flagged {unseen_rate}, test digits {test_rate}"
    );

    // another network file: named with the recorded one
    let out = with(&test, &["--weights", keras.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("keras.safetensors is not the network the monitor was fitted on")
            && err.contains("torch.safetensors"),
        "{err}"
    );
    // a flag that contradicts the record
    let mut contradicting = weights.to_vec();
    contradicting.extend(["--activation", "tanh"]);
    let out = with(&test, &contradicting);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the monitor was fitted with --activation relu"),
        "{}",
        text(&out.stderr)
    );
    // the same flag as recorded is fine
    let mut same = weights.to_vec();
    same.extend(["--activation", "relu", "--weight-layout", "out-in"]);
    assert!(with(&test, &same).status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A monitor fitted on activations scores activations: a prefix (ids from PREFIX_ids.npy, the
/// predicted class from PREFIX_probs.npy) or a folder saved by the library; a layer of
/// another width is refused naming it.
#[test]
fn a_monitor_of_activations_scores_activations() {
    use mtq_activations::{Activations, Layer};
    use ndarray::{Array1, Array2};
    let dir = temp("monitor-npy");
    std::fs::create_dir_all(&dir).unwrap();
    let h1 = |n: usize, shift: f32| {
        Array2::from_shape_fn((n, 3), |(i, j)| {
            (i % 2) as f32 * 4.0 + ((i * 3 + j) % 5) as f32 * 0.1 + shift
        })
    };
    let labels = |n: usize| Array1::from_shape_fn(n, |i| (i % 2) as i64);
    let probs =
        |n: usize| Array2::from_shape_fn((n, 2), |(i, c)| if i % 2 == c { 0.9f32 } else { 0.1 });
    let w = |name: &str| dir.join(name);
    mtq_data::npy::write_npy(w("ref_h1.npy"), &h1(60, 0.0)).unwrap();
    mtq_data::npy::write_npy(w("ref_labels.npy"), &labels(60)).unwrap();
    mtq_data::npy::write_npy(w("test_h1.npy"), &h1(80, 0.02)).unwrap();
    mtq_data::npy::write_npy(w("test_labels.npy"), &labels(80)).unwrap();
    mtq_data::npy::write_npy(w("test_probs.npy"), &probs(80)).unwrap();
    let file = w("acts.mtq");
    let reference = w("ref");
    let base = [
        "npy",
        "--layers",
        "h1",
        "--reference",
        reference.to_str().unwrap(),
    ];
    // no test or calibration set: no monitor to save
    let out = fit(&base, &file);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--test or --calibration"));
    assert!(!file.exists());
    let test = w("test");
    let mut args = base.to_vec();
    args.extend(["--test", test.to_str().unwrap()]);
    let out = fit(&args, &file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(PathMonitor::load(&file).unwrap().network().is_none());

    // a prefix with ids and probabilities
    mtq_data::npy::write_npy(w("new_h1.npy"), &h1(6, 0.0)).unwrap();
    mtq_data::npy::write_npy(w("new_probs.npy"), &probs(6)).unwrap();
    mtq_data::npy::write_npy(
        w("new_ids.npy"),
        &Array1::from_shape_fn(6, |i| 500 + i as u64),
    )
    .unwrap();
    let csv = w("s.csv");
    let out = score(&file, &["--npy", w("new").to_str().unwrap()], &csv);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("predicted 0: flagged"));
    let text_csv = std::fs::read_to_string(&csv).unwrap();
    let r = rows(&text_csv);
    assert_eq!(r.len(), 6);
    assert_eq!((r[0][0].as_str(), r[0][1].as_str()), ("500", "0"));
    assert_eq!(r[1][1], "1");
    // a saved folder: no probabilities, the row number as id
    let saved = w("saved");
    Activations::new(
        vec![Layer::new("h1", h1(4, 0.0))],
        Array1::zeros(4),
        Array1::from_shape_fn(4, |i| i),
    )
    .unwrap()
    .save(&saved)
    .unwrap();
    let out = score(&file, &["--npy", saved.to_str().unwrap()], &csv);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = rows(&std::fs::read_to_string(&csv).unwrap());
    assert_eq!(r.len(), 4);
    assert_eq!((r[3][0].as_str(), r[3][1].as_str()), ("3", ""));
    // a layer of another width, a missing set
    mtq_data::npy::write_npy(w("wide_h1.npy"), &Array2::<f32>::zeros((3, 5))).unwrap();
    let out = score(&file, &["--npy", w("wide").to_str().unwrap()], &csv);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("h1") && err.contains('5'), "{err}");
    let out = score(&file, &["--npy", w("nope").to_str().unwrap()], &csv);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nope_h1.npy"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A file that is not a monitor, or a truncated one, fails with exit 1 naming it; usage
/// mistakes exit 2 before anything is read.
#[test]
fn foreign_and_damaged_monitors_and_usage_mistakes_are_refused() {
    let dir = temp("monitor-refusals");
    std::fs::create_dir_all(&dir).unwrap();
    let weights = dir.join("w.safetensors");
    write_weights(&weights, false, false);
    let npy = ["--npy", "acts/new"];
    let csv = dir.join("s.csv");
    let out = score(&weights, &npy, &csv);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("w.safetensors is not a saved path monitor"),
        "{err}"
    );
    let file = dir.join("m.mtq");
    let out = fit(&["mnist", "--epochs", "1"], &file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.join("cut.mtq");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let out = score(&cut, &npy, &csv);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cut.mtq is a damaged path monitor") && err.contains("truncated"),
        "{err}"
    );
    let out = score(&dir.join("none.mtq"), &npy, &csv);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("none.mtq"));
    // usage: before the (missing) monitor is read
    let missing = dir.join("none.mtq");
    for args in [
        vec!["--npy", "a", "--x", "X.npy", "--weights", "w"],
        vec![],
        vec!["--weights", "w", "--npy", "a"],
    ] {
        let out = score(&missing, &args, &csv);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!text(&out.stderr).contains("none.mtq"), "{args:?}");
    }
    let out = fit(&["mnist", "--seeds", "0,1"], &file);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    // an output file in a folder that does not exist: before any data is read
    let out = fit(&["mnist"], &dir.join("no/such/m.mtq"));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("does not exist") && !err.contains("data:"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(not(feature = "onnx"))]
#[test]
fn score_through_onnx_without_the_feature_is_a_usage_error() {
    let out = mtq(&[
        "monitor",
        "score",
        "m.mtq",
        "--x",
        "X.npy",
        "--onnx",
        "model.onnx",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--features onnx"));
}

/// Fitted through an ONNX model, the monitor records it with its taps; the same model scores
/// new arrays, and a contradicting --conv-tap is refused.
#[cfg(feature = "onnx")]
#[test]
fn a_monitor_fitted_through_onnx_scores_new_arrays() {
    let dir = temp("monitor-onnx");
    write_arrays(&dir);
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let model = format!(
        "{}/../mtq-activations/tests/fixtures/onnx/mlp.onnx",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = dir.join("onnx.mtq");
    let unseen = format!("odd={}", p("U.npy"));
    let args = [
        "onnx",
        model.as_str(),
        "--x",
        &p("X.npy"),
        "--y",
        &p("y.npy"),
        "--unseen",
        &unseen,
    ];
    let out = fit(&args, &file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let monitor = PathMonitor::load(&file).unwrap();
    let record = monitor.network().unwrap();
    assert_eq!(record.kind, NetworkKind::Onnx);
    assert_eq!(record.option("conv_tap"), Some("mean"));
    assert_eq!(record.option("token_pool"), Some("mean"));
    let csv = dir.join("s.csv");
    let onnx = |x: &str, more: &[&str]| {
        let x = p(x);
        let mut a = vec!["--x", x.as_str(), "--onnx", model.as_str()];
        a.extend(more);
        score(&file, &a, &csv)
    };
    let out = onnx("X.npy", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scored = std::fs::read_to_string(&csv).unwrap();
    assert!(
        scored
            .lines()
            .next()
            .unwrap()
            .contains("relu1_p_value,relu2_p_value,out_p_value"),
        "{scored}"
    );
    assert_eq!(rows(&scored).len(), 90);
    let known = flag_rate(&scored);
    assert!(onnx("U.npy", &[]).status.success());
    let odd = flag_rate(&std::fs::read_to_string(&csv).unwrap());
    assert!(odd > known, "unseen {odd}, known {known}");
    let out = onnx("X.npy", &["--conv-tap", "flatten"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = onnx("X.npy", &["--token-pool", "first"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("the monitor was fitted with --token-pool mean"),
        "{}",
        text(&out.stderr)
    );
    assert!(onnx("X.npy", &["--token-pool", "mean"]).status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_monitor_commands_have_help_with_examples() {
    for args in [
        &["monitor", "--help"][..],
        &["monitor", "fit", "--help"],
        &["monitor", "fit", "mnist", "--help"],
        &["monitor", "score", "--help"],
    ] {
        let out = mtq(args);
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        assert!(help.contains("--") || help.contains("Commands"), "{args:?}");
    }
    let help = text(&mtq(&["monitor", "score", "--help"]).stdout);
    assert!(help.contains("Examples:") && help.contains("scores.csv"));
    let help = text(&mtq(&["monitor", "fit", "mnist", "--help"]).stdout);
    assert!(help.contains("--weights") && help.contains("monitor.mtq"));
}
