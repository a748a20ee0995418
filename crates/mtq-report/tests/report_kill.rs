//! A run killed at any moment (issue 13, kind 8): a child process writes reports in a loop and
//! is killed with SIGKILL after a different delay each time. The output folder always holds one
//! complete set of the five files, all of the same run, and the next write leaves nothing of
//! the killed ones behind.

#![cfg(unix)]
// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "report_fixtures/sample.rs"]
mod sample;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mtq_report::samples::Cell;
use mtq_report::{Report, SampleTable, write_report};

/// The folder the child writes into; unset, the child test does nothing.
const DIR_VAR: &str = "MTQ_REPORT_KILL_TEST_DIR";
/// Runs the child cycles through.
const RUNS: usize = 3;
const NAMES: [&str; 5] = [
    "report.html",
    "report.json",
    "samples.csv",
    "samples.json",
    "sankey.svg",
];

/// Run `run`'s report: its id is stamped into every one of the five files (a Sankey node label,
/// which the SVG, the HTML and the JSON show, and a column of the per-sample table).
fn report_of_run(run: usize) -> Report {
    let mut data = sample::report();
    data.sankey.columns[0].nodes[0].label = format!("run-{run}");
    Report {
        data,
        samples: SampleTable::from_rows(
            vec!["set".into(), "run".into()],
            &[vec![Cell::Text(format!("run-{run}")), Cell::Int(run)]],
        ),
        explore: mtq_report::ExploreData::default(),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The bytes of each run's five files, in [`NAMES`] order.
fn expected_sets(base: &Path) -> Vec<Vec<Vec<u8>>> {
    (0..RUNS)
        .map(|r| {
            let dir = base.join(format!("expect-{r}"));
            write_report(&dir, &report_of_run(r)).unwrap();
            let set: Vec<Vec<u8>> = NAMES
                .iter()
                .map(|n| fs::read(dir.join(n)).unwrap())
                .collect();
            for (n, bytes) in NAMES.iter().zip(&set) {
                let text = String::from_utf8_lossy(bytes);
                assert!(text.contains(&format!("run-{r}")), "{n} of run {r}");
            }
            fs::remove_dir_all(&dir).unwrap();
            set
        })
        .collect()
}

/// The run whose complete set `out` holds (`None` if it holds nothing yet); panics on a mix,
/// a missing or extra file.
fn run_in(out: &Path, sets: &[Vec<Vec<u8>>]) -> Option<usize> {
    if !out.exists() || names(out).is_empty() {
        return None;
    }
    assert_eq!(names(out), NAMES, "{}", out.display());
    let got: Vec<Vec<u8>> = NAMES
        .iter()
        .map(|n| fs::read(out.join(n)).unwrap())
        .collect();
    let run = sets.iter().position(|s| *s == got);
    assert!(run.is_some(), "a mix of runs in {}", out.display());
    run
}

/// The child: writes runs 0, 1, 2, 0, ... into the folder of [`DIR_VAR`] until killed (or 60 s).
#[test]
#[ignore = "the child process of a_killed_run_leaves_one_whole_set"]
fn child_writes_reports_until_killed() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        return;
    };
    let reports: Vec<Report> = (0..RUNS).map(report_of_run).collect();
    let start = Instant::now();
    for r in (0..RUNS).cycle() {
        write_report(&dir, &reports[r]).unwrap();
        if start.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
}

#[test]
fn a_killed_run_leaves_one_whole_set() {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mtq-report-kill-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).unwrap();
    let sets = expected_sets(&base);
    let out = base.join("out");
    let exe = std::env::current_exe().unwrap();
    let (mut whole, mut leftovers) = (0, 0);
    for i in 0..40u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writes_reports_until_killed", "--ignored"])
            .env(DIR_VAR, &out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Delays spread over 5..95 ms: the child starts, then writes a set every few ms.
        std::thread::sleep(Duration::from_micros(5_000 + (i * 7_919) % 90_000));
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
        child.wait().unwrap();
        if run_in(&out, &sets).is_some() {
            whole += 1;
        }
        // Anything beside `out` is a staging folder of a killed write, for the next to clean.
        for n in names(&base) {
            if n != "out" {
                assert!(n.starts_with(".out.mtq-set-"), "unexpected {n}");
                leftovers += 1;
            }
        }
    }
    eprintln!("40 kills: {whole} found a whole set, {leftovers} staging folders left behind");
    assert!(whole > 0, "no kill landed after a complete write");
    // The next run cleans whatever the killed ones left.
    write_report(&out, &report_of_run(1)).unwrap();
    assert_eq!(run_in(&out, &sets), Some(1));
    assert_eq!(names(&base), vec!["out"]);
    fs::remove_dir_all(&base).unwrap();
}
