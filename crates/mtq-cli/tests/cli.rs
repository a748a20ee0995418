//! The `mtq` binary as a user runs it: exit codes, where output goes, the output folder checked
//! before any work, and a whole `mtq npy` study on the repository's numpy-written fixture.

mod common;

use std::process::Output;

use common::{mtq, temp, text, write_arrays, write_weights};

/// A file of the workspace's crates: `rel` from the `crates` folder.
fn crate_file(rel: &str) -> String {
    format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// The `.npy` fixture set `set` of mtq-signature.
fn fixture(set: &str) -> String {
    crate_file(&format!("mtq-signature/tests/fixtures/npy/{set}"))
}

/// The ONNX fixture `f` of mtq-activations (made by its `make_torch_onnx.py`).
#[cfg(feature = "onnx")]
fn onnx(f: &str) -> String {
    crate_file(&format!("mtq-activations/tests/fixtures/onnx/{f}"))
}

#[test]
fn help_and_version_succeed_on_stdout() {
    let out = mtq(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(help.contains("mnist") && help.contains("npy") && help.contains("Examples:"));
    let out = mtq(&["mnist", "--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("--device"));
    let out = mtq(&["--version"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with(&format!("mtq {}", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["mnist", "--bogus"][..],
        &["mnist", "--epochs", "many"],
        &["mnist", "--seed", "1", "--seeds", "1,2"],
        &["npy", "--layers", "h1"],
        &[
            "npy",
            "--layers",
            "h1",
            "--reference",
            "x",
            "--unseen",
            "nameonly",
        ],
        &[],
    ] {
        let out = mtq(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_bad_output_folder_fails_before_any_work() {
    let dir = temp("badout");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a_file");
    std::fs::write(&file, b"x").unwrap();
    let file = file.to_str().unwrap();
    // An empty path is a usage error; a folder that cannot be made or written is an I/O
    // failure (exit 1); either before any data is read.
    for (args, code) in [
        (vec!["mnist", "--out", ""], 2),
        (vec!["mnist", "--out", file], 1),
        (vec!["mnist", "--out", "/proc/nope"], 1),
        (
            vec![
                "npy",
                "--layers",
                "h1",
                "--reference",
                "nope",
                "--out",
                file,
            ],
            1,
        ),
    ] {
        let out = mtq(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("--out") && !err.contains("data:"), "{err}");
    }
    // A read-only report file is not silently replaced.
    let ro = dir.join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    let json = ro.join("report.json");
    std::fs::write(&json, b"{}").unwrap();
    let mut perm = std::fs::metadata(&json).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&json, perm).unwrap();
    let out = mtq(&["mnist", "--out", ro.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("read-only"));
    assert_eq!(std::fs::read(&json).unwrap(), b"{}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README's exit codes, case by case: every usage mistake exits 2 before any data is read
/// (no progress line), with a message naming the flag.
#[test]
fn the_readme_exit_codes_hold_case_by_case() {
    let out_dir = temp("exit-codes");
    let o = out_dir.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["mnist", "--classes", "1"],
            "--classes needs at least two digits",
        ),
        (&["mnist", "--classes", "1,1,7"], "--classes lists 1 twice"),
        (
            &["mnist", "--classes", "10,11"],
            "--classes 10 is not a digit",
        ),
        (
            &["mnist", "--k-max", "1"],
            "--k-max must be at least --k-min (2)",
        ),
        (&["mnist", "--k-min", "0"], "--k-min must be at least 2"),
        (
            &["mnist", "--silhouette-sample", "0"],
            "--silhouette-sample must be at least 2",
        ),
        (
            &["mnist", "--hidden", "0"],
            "--hidden width 0 (layer h1) must be at least 1",
        ),
        (&["mnist", "--epochs", "0"], "--epochs must be at least 1"),
        (
            &["mnist", "--classes", "1,7", "--inject", "7"],
            "--inject 7 is a trained class",
        ),
        (&["mnist", "--inject", "4,x"], "'x' is not a digit"),
        (&["mnist", "--seeds", "0,0"], "--seeds lists seed 0 twice"),
        (
            &["mnist", "--conv-tap", "flatten"],
            "--conv-tap does not apply to --model mlp",
        ),
        (
            &["mnist", "--model", "cnn", "--hidden", "8"],
            "--hidden does not apply to --model cnn",
        ),
        (
            &["data", "--dataset", "breast-cancer", "--classes", "1,7"],
            "does not apply to --dataset breast-cancer",
        ),
        (
            &["data", "--dataset", "breast-cancer", "--inject", "4"],
            "does not apply to --dataset breast-cancer",
        ),
        (
            &["data", "--x", "X.npy", "--y", "y.npy", "--classes", "0,1"],
            "does not apply to --x/--y",
        ),
        (
            &["data", "--dataset", "breast-cancer", "--model", "cnn"],
            "unexpected argument",
        ),
        (
            &["npy", "--layers", "h1,h1", "--reference", "r"],
            "--layers lists layer h1 twice",
        ),
        (
            &[
                "npy",
                "--layers",
                "h1",
                "--reference",
                "r",
                "--classes",
                "a",
            ],
            "--classes needs at least two class names",
        ),
        (
            &[
                "npy",
                "--layers",
                "h1",
                "--reference",
                "r",
                "--unseen",
                "u=a",
                "--unseen",
                "u=b",
            ],
            "--unseen names the set u twice",
        ),
        (
            &["monitor", "fit", "mnist", "--seeds", "0,1"],
            "--seeds: mtq monitor fit fits one monitor on one seed",
        ),
        (
            &["monitor", "fit", "mnist", "--k-max", "1"],
            "--k-max must be at least --k-min (2)",
        ),
        (
            &[
                "monitor",
                "fit",
                "data",
                "--dataset",
                "breast-cancer",
                "--inject",
                "4",
            ],
            "does not apply to --dataset breast-cancer",
        ),
        (
            &["monitor", "fit", "bogus"],
            "unrecognized subcommand 'bogus'",
        ),
        (
            &[
                "monitor",
                "score",
                "m.mtq",
                "--npy",
                "a",
                "--x",
                "X.npy",
                "--weights",
                "w",
            ],
            "cannot be used with",
        ),
        (&["monitor", "score", "m.mtq"], "--npy <PREFIX>|--x <X.npy>"),
        (
            &["monitor", "score", "m.mtq", "--npy", "a", "--weights", "w"],
            "cannot be used with",
        ),
        (&["monitor", "score", "m.mtq", "--x", "X.npy"], "--weights"),
        (
            &[
                "monitor",
                "score",
                "m.mtq",
                "--npy",
                "a",
                "--activation",
                "tanh",
            ],
            "--weights",
        ),
    ];
    for (args, message) in cases {
        let mut args = args.to_vec();
        args.extend(["--out", o]);
        let out = mtq(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("data:"), "{args:?} read data: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(
        !out_dir.exists(),
        "no usage error creates the output folder"
    );
}

#[test]
fn a_missing_file_fails_with_exit_1_and_its_cause() {
    let out_dir = temp("missing");
    let out = mtq(&[
        "npy",
        "--layers",
        "h1,h2",
        "--reference",
        "no/such/prefix",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no/such/prefix_h1.npy"), "{err}");
    assert!(err.contains("caused by"), "{err}");
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn npy_study_writes_the_report_and_says_where() {
    let out_dir = temp("npy");
    let unseen = format!("u={}", fixture("unseen"));
    let out = mtq(&[
        "npy",
        "--layers",
        "h1,h2",
        "--reference",
        &fixture("train"),
        "--test",
        &fixture("test"),
        "--unseen",
        &unseen,
        "--classes",
        "a,b",
        "--k-max",
        "5",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert_eq!(
        last,
        format!("report: {}", out_dir.join("report.html").display())
    );
    assert!(text(&out.stderr).contains("chose K per layer"));
    for f in [
        "report.html",
        "report.json",
        "sankey.svg",
        "samples.csv",
        "samples.json",
    ] {
        assert!(out_dir.join(f).is_file(), "{f}");
    }
    // the provenance: the command, the options, each file read with its size and SHA-256
    let json = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let p = &report["provenance"];
    assert_eq!(p["mtq_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["command"][1], "npy");
    let h1 = &p["inputs"][0];
    let file = format!("{}_h1.npy", fixture("train"));
    assert_eq!(h1["path"], file.as_str());
    assert_eq!(h1["bytes"], std::fs::metadata(&file).unwrap().len());
    assert_eq!(h1["sha256"].as_str().map(str::len), Some(64));
    // --quiet: nothing on stderr, the same findings on stdout; a sampled silhouette
    // (--silhouette-sample) still finds the fixture's three blobs in h1.
    let quiet = mtq(&[
        "--quiet",
        "npy",
        "--layers",
        "h1,h2",
        "--reference",
        &fixture("train"),
        "--k-max",
        "5",
        "--silhouette-sample",
        "60",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(quiet.status.success());
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
    assert!(
        text(&quiet.stdout).contains("K = 3 in every one of the 2 layers"),
        "{}",
        text(&quiet.stdout)
    );
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_without_the_feature_is_a_usage_error() {
    let out_dir = temp("cuda");
    let out = mtq(&[
        "mnist",
        "--device",
        "cuda",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("without CUDA"));
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn mnist_study_runs_end_to_end() {
    let out_dir = temp("mnist");
    let study = |extra: &[&str]| {
        let mut args = vec!["mnist", "--epochs", "1", "--k-max", "3", "--inject", "4"];
        args.extend_from_slice(extra);
        args.extend(["--out", out_dir.to_str().unwrap()]);
        mtq(&args)
    };
    let out = study(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Unseen class 4"), "{stdout}");
    assert!(stdout.lines().last().unwrap().starts_with("report: "));
    let json: String = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(json.contains("\"schema_version\": 4"));
    assert!(!json.contains("sampled reference rows"), "exact by default");
    // the sampled silhouette is opted into and said in the report
    let out = study(&["--silhouette-sample", "500"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: String = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(
        json.contains("estimated on 500 sampled reference rows per K (seed 0"),
        "{json}"
    );
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[test]
fn data_studies_run_on_the_shipped_data_sets() {
    for (set, expect) in [
        ("uci-digits", "Unseen class 4"),
        ("breast-cancer", "Class malignant"),
    ] {
        let out_dir = temp(set);
        let out = mtq(&[
            "data",
            "--dataset",
            set,
            "--epochs",
            "5",
            "--k-max",
            "4",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{set}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(expect),
            "{set}: {}",
            text(&out.stdout)
        );
        assert!(out_dir.join("samples.csv").is_file());
        std::fs::remove_dir_all(&out_dir).unwrap();
    }
}

#[test]
fn a_constant_layer_is_reported_as_a_finding() {
    let case = |p: &str| {
        crate_file(&format!(
            "mtq-signature/tests/fixtures/cases/npy_ref_constant/{p}"
        ))
    };
    let out_dir = temp("constant");
    let unseen = format!("u={}", case("unseen"));
    let out = mtq(&[
        "npy",
        "--layers",
        "h1,h2",
        "--reference",
        &case("ref"),
        "--test",
        &case("test"),
        "--unseen",
        &unseen,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("h1") && stdout.contains("no information"),
        "{stdout}"
    );
    let json = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(json.contains("no information"));
    std::fs::remove_dir_all(&out_dir).unwrap();
}

/// `mtq npy` reads a set's ids and images when the files exist (the ids into samples.csv, the
/// images as thumbnails), and a folder written by `Activations::save` as a set.
#[test]
fn npy_reads_ids_images_and_saved_folders() {
    use mtq_activations::{Activations, Layer};
    use ndarray::{Array1, Array2, Array3};
    let dir = temp("npy-extras");
    std::fs::create_dir_all(&dir).unwrap();
    let h1 = Array2::from_shape_fn((40, 3), |(i, j)| {
        (i % 2) as f32 * 4.0 + ((i * 3 + j) % 5) as f32 * 0.1
    });
    let labels = Array1::from_shape_fn(40, |i| (i % 2) as i64);
    let ids = Array1::from_shape_fn(40, |i| 1000 + i as u64);
    let images = Array3::from_shape_fn((40, 4, 4), |(i, r, c)| ((i + r * 4 + c) % 256) as u8);
    let w = |name: &str| dir.join(name);
    mtq_data::npy::write_npy(w("a_h1.npy"), &h1).unwrap();
    mtq_data::npy::write_npy(w("a_labels.npy"), &labels).unwrap();
    mtq_data::npy::write_npy(w("a_ids.npy"), &ids).unwrap();
    mtq_data::npy::write_npy(w("a_images.npy"), &images).unwrap();
    let out_dir = dir.join("report");
    let prefix = w("a");
    let o = out_dir.to_str().unwrap();
    // an npy study of `reference` (a prefix or a folder), more flags after
    let study = |reference: &std::path::Path, more: &[&str]| {
        let mut args = vec!["npy", "--layers", "h1", "--k-max", "3", "--out", o];
        let reference = reference.to_str().unwrap().to_owned();
        args.extend(["--reference", reference.as_str()]);
        args.extend(more);
        mtq(&args)
    };
    let out = study(&prefix, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(out_dir.join("samples.csv")).unwrap();
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with("reference,1000,"), "{first}");
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("\"thumb_width\":4"), "thumbnails embedded");
    let json = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(
        json.contains("a_images.npy") && json.contains("a_ids.npy"),
        "provenance lists them"
    );
    // the same layer saved by the library: a folder read as the set
    let saved = w("saved");
    let acts = Activations::new(
        vec![Layer::new("h1", h1.clone())],
        labels.mapv(|v| v as usize),
        Array1::from_shape_fn(40, |i| 1000 + i),
    )
    .unwrap();
    acts.save(&saved).unwrap();
    let out = study(&saved, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = std::fs::read_to_string(out_dir.join("samples.csv")).unwrap();
    // the same rows, ids, clusters and paths as from the prefix
    assert_eq!(csv, again);
    // a saved folder as an unseen set: its rows are named by the set, whatever labels it
    // carries, and its manifest may stand for the folder
    let unseen = format!("u={}", saved.join("manifest.json").display());
    let out = study(&prefix, &["--unseen", &unseen]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(out_dir.join("samples.csv")).unwrap();
    let unseen_rows: Vec<&str> = csv.lines().filter(|l| l.starts_with("unseen:u,")).collect();
    assert_eq!(unseen_rows.len(), 40);
    assert!(
        unseen_rows
            .iter()
            .all(|r| r.split(',').nth(2) == Some("") && r.split(',').nth(3) == Some("u"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn data_from_own_npy_arrays_with_an_unseen_set() {
    let dir = temp("arrays");
    write_arrays(&dir);
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let out_dir = dir.join("report");
    let unseen = format!("odd={}", p("U.npy"));
    let out = mtq(&[
        "data",
        "--x",
        &p("X.npy"),
        "--y",
        &p("y.npy"),
        "--unseen",
        &unseen,
        "--epochs",
        "20",
        "--hidden",
        "8,6",
        "--k-max",
        "4",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Unseen class odd (15 samples)"), "{stdout}");
    assert!(stdout.contains("Class 2"), "{stdout}");
    assert!(
        // a fifth of the 67 training rows is held out of training to calibrate the monitor
        text(&out.stderr)
            .contains("54 reference, 13 calibration and 23 test samples of 12 features"),
        "{}",
        text(&out.stderr)
    );
    // an unseen set of another width is refused by name
    let bad = format!("w={}", p("W.npy"));
    let out = mtq(&[
        "data",
        "--x",
        &p("X.npy"),
        "--y",
        &p("y.npy"),
        "--unseen",
        &bad,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("W.npy") && err.contains("5 features"), "{err}");
    // --dataset and --x/--y: exactly one of them; --x needs --y
    for args in [
        vec!["data"],
        vec!["data", "--dataset", "uci-digits", "--x", "a", "--y", "b"],
        vec!["data", "--x", "a"],
        vec!["data", "--dataset", "uci-digits", "--unseen", "a=b"],
    ] {
        let out = mtq(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mnist_cnn_is_trained_and_studied_per_channel() {
    let out_dir = temp("cnn");
    let out = mtq(&[
        "mnist",
        "--model",
        "cnn",
        "--epochs",
        "1",
        "--k-max",
        "3",
        "--inject",
        "4",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("extracted layers conv1, conv2, fc1, logits, probs"),
        "{err}"
    );
    let json = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    // channel means: 6 and 16 features for the two blocks
    assert!(json.contains("784 -> 6 -> 16 -> 64 -> 2"), "network fact");
    assert!(json.contains("LeNet-style CNN, convolutions as channel means"));
    let out = mtq(&["mnist", "--model", "cnn", "--weights", "w.safetensors"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--weights conflicts with --model"
    );
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[test]
fn mnist_studies_weights_trained_elsewhere() {
    let dir = temp("weights");
    std::fs::create_dir_all(&dir).unwrap();
    let (torch, keras, nan) = (
        dir.join("torch.safetensors"),
        dir.join("keras.safetensors"),
        dir.join("nan.safetensors"),
    );
    write_weights(&torch, false, false);
    write_weights(&keras, true, false);
    write_weights(&nan, false, true);
    let out_dir = dir.join("report");
    let run = |weights: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "mnist",
            "--weights",
            weights.to_str().unwrap(),
            "--k-max",
            "3",
            "--inject",
            "4",
            "--out",
            out_dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        mtq(&args)
    };
    let a = run(&torch, &[]);
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert!(text(&a.stderr).contains("given model, test accuracy"));
    assert!(!text(&a.stderr).contains("trained"));
    let json = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(json.contains("torch.safetensors") && json.contains("784 -> 16 -> 2"));
    // the accuracy reported is the network's own, measured by mtq-model
    let (mlp, _) = mtq_model::Mlp::from_state_dict(
        &torch,
        mtq_model::Activation::Relu,
        mtq_model::WeightLayout::OutIn,
        &mtq_model::Device::Cpu,
    )
    .unwrap();
    // a network trained elsewhere: half the test set calibrates the monitor, the rest is
    // evaluated (seeded by the first seed, 0)
    let (test, _calibration) = mtq_data::Mnist::embedded()
        .unwrap()
        .test()
        .select_classes(&[1, 7])
        .unwrap()
        .stratified_split(0.5, mtq_signature::pipeline::calibration_seed(0))
        .unwrap();
    let accuracy = mlp.evaluate(&test).unwrap().accuracy;
    let expect = format!("classifies {:.2} %", accuracy * 100.0);
    assert!(
        text(&a.stdout).contains(&expect),
        "{expect}: {}",
        text(&a.stdout)
    );
    // the same network as Keras kernels: the same findings
    let b = run(&keras, &["--weight-layout", "in-out"]);
    assert!(b.status.success(), "{}", text(&b.stderr));
    let findings = |o: &Output| {
        let s = text(&o.stdout);
        s.lines()
            .filter(|l| !l.starts_with("report:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(findings(&a), findings(&b));
    // Keras kernels read as PyTorch's: the shapes do not chain
    let c = run(&keras, &[]);
    assert_eq!(c.status.code(), Some(1));
    assert!(text(&c.stderr).contains("keras.safetensors"));
    // a NaN weight is refused by file and tensor
    let d = run(&nan, &[]);
    assert_eq!(d.status.code(), Some(1));
    let err = text(&d.stderr);
    assert!(
        err.contains("nan.safetensors")
            && err.contains("tensor 0.weight holds NaN at flat index 5"),
        "{err}"
    );
    // a network of another input width: a failure naming the file
    let fixture = crate_file("mtq-model/tests/fixtures/torch_mlp.safetensors");
    let e = run(std::path::Path::new(&fixture), &[]);
    assert_eq!(e.status.code(), Some(1));
    let err = text(&e.stderr);
    assert!(
        err.contains("torch_mlp.safetensors: the network's input width is 12, the data's is 784"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(not(feature = "onnx"))]
#[test]
fn onnx_without_the_feature_is_a_usage_error() {
    let out = mtq(&["onnx", "model.onnx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--features onnx"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(feature = "onnx")]
#[test]
fn onnx_models_are_studied_on_arrays_and_refused_clearly() {
    let dir = temp("onnx");
    write_arrays(&dir);
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let out_dir = dir.join("report");
    let unseen = format!("odd={}", p("U.npy"));
    let mlp = onnx("mlp.onnx");
    let base = [
        "onnx",
        mlp.as_str(),
        "--x",
        &p("X.npy"),
        "--y",
        &p("y.npy"),
        "--k-max",
        "3",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let mut args = base.to_vec();
    args.extend(["--unseen", &unseen]);
    let out = mtq(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("extracted layers relu1, relu2, fc3, softmax"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("Unseen class odd"));
    let json = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(!json.contains("\"h1\"") && json.contains("relu2"));
    // --layers: the listed nodes, then the model's logits and probabilities
    let mut args = base.to_vec();
    args.extend(["--layers", "fc1"]);
    let out = mtq(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("extracted layers fc1, fc3, softmax"));
    // an op no runtime knows: named with its node
    let out = mtq(&[
        "onnx",
        &onnx("unsupported.onnx"),
        "--x",
        &p("X.npy"),
        "--y",
        &p("y.npy"),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("NoSuchOp") && err.contains("mystery"), "{err}");
    // MNIST digits into a 12-input model: a failure naming the file; --classes with --x is
    // refused, not ignored
    let out = mtq(&["onnx", &mlp, "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("mlp.onnx: the network's input width is 12, the data's is 784"),
        "{err}"
    );
    let mut args = base.to_vec();
    args.extend(["--classes", "0,1"]);
    let out = mtq(&args);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--classes/--inject does not apply to --x/--y"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `mtq onnx MODEL --list-layers` prints the candidate taps and exits 0 with no data; a study
/// flag with it, or `--token-pool` on another route, is a usage error.
#[cfg(feature = "onnx")]
#[test]
fn onnx_layers_are_listed_and_a_transformer_is_studied_per_block() {
    let resnet = onnx("resnet.onnx");
    let out = mtq(&["onnx", &resnet, "--list-layers"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let row = table
        .lines()
        .find(|l| l.contains("/net/layer4/layer4.1/relu_1/Relu"))
        .expect("the last block's row");
    assert!(
        row.contains("layer4.1") && row.contains('*') && row.contains("32 x 1 x 1"),
        "{row}"
    );
    assert!(
        table.contains("the 11 default taps (*): layer1.0, layer1.1, layer2.0"),
        "{table}"
    );
    assert!(table.contains("pool, logits, probs"), "{table}");
    for extra in [
        &["--x", "X.npy", "--y", "y.npy"][..],
        &["--k-max", "4"],
        &["--out", "somewhere"],
        &["--layers", "layer1.0"],
        &["--token-pool", "first"],
    ] {
        let mut args = vec!["onnx", resnet.as_str(), "--list-layers"];
        args.extend(extra);
        let out = mtq(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{extra:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("--list-layers"), "{extra:?}");
    }
    let out = mtq(&["onnx", &onnx("missing.onnx"), "--list-layers"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("missing.onnx"));
    let out = mtq(&["data", "--dataset", "uci-digits", "--token-pool", "first"]);
    assert_eq!(out.status.code(), Some(2));
    let out = mtq(&["monitor", "fit", "onnx", &resnet, "--list-layers"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // the transformer on arrays of 16 tokens x 16 features: one layer per encoder block
    let dir = temp("onnx-transformer");
    std::fs::create_dir_all(&dir).unwrap();
    let x = ndarray::Array3::from_shape_fn((60, 16, 16), |(i, t, f)| {
        (i % 3) as f32 * if (t + f) % 2 == 0 { 1.0 } else { -1.0 }
            + ((i * 7 + t * 5 + f) % 11) as f32 / 10.0
    });
    let y = ndarray::Array1::from_shape_fn(60, |i| (i % 3) as i64);
    mtq_data::npy::write_npy(dir.join("X.npy"), &x).unwrap();
    mtq_data::npy::write_npy(dir.join("y.npy"), &y).unwrap();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let report = dir.join("report");
    let out = mtq(&[
        "onnx",
        &onnx("transformer.onnx"),
        "--x",
        &p("X.npy"),
        "--y",
        &p("y.npy"),
        "--k-max",
        "3",
        "--token-pool",
        "first",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("extracted layers enc.0, enc.1, pool, logits, probs"),
        "{}",
        text(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    let options = json["provenance"]["options"].as_array().unwrap();
    assert!(
        options
            .iter()
            .any(|o| o["name"] == "token_pool" && o["value"] == "first"),
        "{options:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
