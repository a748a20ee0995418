//! `mtq compare` as a user runs it: a plan of studies run in one process into compare.html,
//! compare.json, compare.md and a report per study; finished reports compared; bad plans refused
//! before any work (exit 2) naming the study and the key; a study that fails names itself (exit 1).

mod common;

use std::path::Path;

use common::{mtq, temp, text};

/// Two MLPs on the embedded MNIST 1/7 (shared test inputs) and one on the UCI digits, 1 epoch,
/// K up to 3, two seeds.
const PLAN: &str = r#"
title = "Two widths"

[[study]]
name = "Wide MLP"
route = "mnist"
hidden = [32, 64]
epochs = 1
k_max = 3
seeds = [0, 1]

[[study]]
name = "Narrow MLP"
route = "mnist"
hidden = [8]
epochs = 1
k_max = 3
seeds = [0, 1]

[[study]]
name = "UCI"
route = "data"
dataset = "uci-digits"
k-max = 3
seeds = [0, 1]
"#;

fn json(path: &Path) -> serde_json::Value {
    let body = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&body).expect("valid JSON")
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = mtq(args);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_plan_runs_every_study_and_compares_them() {
    let dir = temp("compare-plan");
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("plan.toml");
    std::fs::write(&plan, PLAN).unwrap();
    let out = dir.join("out");
    let (code, stdout, stderr) = run(&[
        "-q",
        "compare",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--resamples",
        "200",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.trim_end().ends_with("compare.html"), "{stdout}");
    for slug in ["wide-mlp", "narrow-mlp", "uci"] {
        assert!(out.join(slug).join("report.html").is_file(), "{slug}");
        let report = json(&out.join(slug).join("report.json"));
        // each study's own report keeps its seeds' stability and the plan's command line
        assert_eq!(report["stability"]["seeds"], serde_json::json!([0, 1]));
    }
    let c = json(&out.join("compare.json"));
    let comparison = &c["comparison"];
    assert_eq!(comparison["params"]["resamples"], 200);
    let names: Vec<&str> = comparison["studies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Wide MLP", "Narrow MLP", "UCI"]);
    // the two MNIST networks share their test inputs: CKA between them; never with the UCI one
    let sims = comparison["similarities"].as_array().unwrap();
    let across = sims
        .iter()
        .find(|s| s["a"] == 0 && s["b"] == 1)
        .expect("wide vs narrow");
    assert_eq!(across["cka"]["mean"].as_array().unwrap().len(), 3); // h1, h2, out
    assert!(!sims.iter().any(|s| s["a"] != s["b"] && s["b"] == 2));
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| ")).count(),
        2 + 3,
        "{md}"
    );
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.contains("wide-mlp/report.html"));

    // the finished reports compared: what report.json holds, no CKA
    let again = dir.join("again");
    let (code, _, stderr) = run(&[
        "-q",
        "compare",
        "--reports",
        out.join("wide-mlp").to_str().unwrap(),
        out.join("narrow-mlp").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let c = json(&again.join("compare.json"));
    assert!(
        c["comparison"]["similarities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["cka"].is_null())
    );
    assert!(
        !c["comparison"]["differences"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_plans_are_refused_before_any_work() {
    let dir = temp("compare-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out");
    for (body, expected) in [
        (
            "[[study]]\nname = \"CNN\"\nroute = \"mnist\"\nconv_tapp = \"mean\"\n",
            "study `CNN`: key `conv_tapp` is not an option of `mtq mnist`",
        ),
        (
            "[[study]]\nname = \"CNN\"\nroute = \"mnist\"\nclasses = [1, 1]\n",
            "study `CNN`: key `classes`: --classes lists 1 twice",
        ),
        ("[[study]]\nname = \"X\"\n", "study `X`: has no key `route`"),
    ] {
        let plan = dir.join("plan.toml");
        std::fs::write(&plan, body).unwrap();
        let (code, _, stderr) = run(&[
            "compare",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr:?} lacks {expected:?}");
        assert!(stderr.contains("plan.toml"), "{stderr}");
        assert!(
            !out.exists(),
            "the output folder was made before the plan was checked"
        );
    }
    for args in [
        &["compare"][..],
        &["compare", "p.toml", "--reports", "a", "b"],
        &["compare", "--reports", "a"],
        &["compare", "p.toml", "--resamples", "0"],
    ] {
        let (code, _, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
    }
    // a missing report folder is a failure naming it
    let (code, _, stderr) = run(&[
        "compare",
        "--reports",
        dir.join("nope1").to_str().unwrap(),
        dir.join("nope2").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("nope1"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_study_that_fails_names_itself() {
    let dir = temp("compare-fail");
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("plan.toml");
    std::fs::write(
        &plan,
        "[[study]]\nname = \"Mine\"\nroute = \"data\"\nx = \"missing_x.npy\"\ny = \"missing_y.npy\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let (code, _, stderr) = run(&[
        "compare",
        plan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("study `Mine` failed"), "{stderr}");
    assert!(stderr.contains("missing_x.npy"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
