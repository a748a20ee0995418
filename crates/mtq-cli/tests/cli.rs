//! The `mtq` binary as a user runs it: exit codes, where output goes, the output folder checked
//! before any work, and a whole `mtq npy` study on the repository's numpy-written fixture.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn mtq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mtq"))
        .args(args)
        .output()
        .expect("the mtq binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mtq-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn fixture(set: &str) -> String {
    format!(
        "{}/../mtq-signature/tests/fixtures/npy/{set}",
        env!("CARGO_MANIFEST_DIR")
    )
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
fn a_bad_output_folder_fails_at_once_with_exit_2() {
    let dir = temp("badout");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a_file");
    std::fs::write(&file, b"x").unwrap();
    let file = file.to_str().unwrap();
    for args in [
        vec!["mnist", "--out", file],
        vec!["mnist", "--out", ""],
        vec![
            "npy",
            "--layers",
            "h1",
            "--reference",
            "nope",
            "--out",
            file,
        ],
    ] {
        let t = Instant::now();
        let out = mtq(&args);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{args:?} took {:?}",
            t.elapsed()
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("--out"), "{}", text(&out.stderr));
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
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("read-only"));
    assert_eq!(std::fs::read(&json).unwrap(), b"{}");
    std::fs::remove_dir_all(&dir).unwrap();
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
        text(&quiet.stdout).contains("h1 K = 3"),
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
    let out = mtq(&[
        "mnist",
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
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Unseen class 4"), "{stdout}");
    assert!(stdout.lines().last().unwrap().starts_with("report: "));
    let json: String = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(json.contains("\"schema_version\": 1"));
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
        format!(
            "{}/../mtq-signature/tests/fixtures/cases/npy_ref_constant/{p}",
            env!("CARGO_MANIFEST_DIR")
        )
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
