//! The same analysis and report for activations exported from any framework (PyTorch, Keras,
//! numpy): one `.npy` per layer and set, named `<prefix>_<layer>.npy`, with
//! `<prefix>_labels.npy` (integers) and optionally `<prefix>_probs.npy` (class probabilities).
//!
//! ```sh
//! cargo run --release --example paths_from_npy -- \
//!     --layers h1,h2 --reference data/train --test data/test \
//!     --unseen 4=data/four --unseen 3=data/three --classes 1,7 --out target/npy-report
//! # try it on the numpy-written fixture of mtq-signature's tests:
//! cargo run --release --example paths_from_npy -- --layers h1,h2 \
//!     --reference crates/mtq-signature/tests/fixtures/npy/train \
//!     --test crates/mtq-signature/tests/fixtures/npy/test \
//!     --unseen u=crates/mtq-signature/tests/fixtures/npy/unseen --k-max 5
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use mtq::signature::report::{Fact, write_report};
use mtq::signature::{NpySet, SignatureAnalysis, StudyInput};

const USAGE: &str = "usage: paths_from_npy --layers L1,L2,.. --reference PREFIX [options]
  --layers L1,L2,..    layer names: PREFIX_<layer>.npy is read for each set
  --reference PREFIX   the reference set (PREFIX_labels.npy required; PREFIX_probs.npy optional)
  --test PREFIX        in-distribution test set: the negatives of each anomaly task
  --unseen NAME=PREFIX a set of an unseen class (repeat the flag for several)
  --classes A,B,..     class names, in label order (default 0,1,..)
  --seed S             seed (default 0)
  --k-min K / --k-max K  K range per layer (default 2..=10)
  --out DIR            output folder (default target/npy-report)";

struct Args {
    layers: Vec<String>,
    reference: PathBuf,
    test: Option<PathBuf>,
    unseen: Vec<(String, PathBuf)>,
    classes: Option<Vec<String>>,
    seed: u64,
    k_min: usize,
    k_max: usize,
    out: PathBuf,
}

fn parse_args(raw: Vec<String>) -> Result<Option<Args>, String> {
    let mut layers = None;
    let mut reference = None;
    let mut a = Args {
        layers: Vec::new(),
        reference: PathBuf::new(),
        test: None,
        unseen: Vec::new(),
        classes: None,
        seed: 0,
        k_min: 2,
        k_max: 10,
        out: PathBuf::from("target/npy-report"),
    };
    let mut it = raw.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let known = [
            "--layers",
            "--reference",
            "--test",
            "--unseen",
            "--classes",
            "--seed",
            "--k-min",
            "--k-max",
            "--out",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown flag '{flag}'"));
        }
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| -> Result<usize, String> {
            v.parse()
                .map_err(|_| format!("{flag}: '{v}' is not a valid number"))
        };
        match flag.as_str() {
            "--layers" => layers = Some(v.split(',').map(str::to_string).collect::<Vec<_>>()),
            "--reference" => reference = Some(PathBuf::from(v)),
            "--test" => a.test = Some(PathBuf::from(v)),
            "--unseen" => {
                let (name, prefix) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--unseen wants NAME=PREFIX, got '{v}'"))?;
                a.unseen.push((name.to_string(), PathBuf::from(prefix)));
            }
            "--classes" => a.classes = Some(v.split(',').map(str::to_string).collect()),
            "--seed" => {
                a.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: '{v}' is not a valid number"))?
            }
            "--k-min" => a.k_min = num(&v)?,
            "--k-max" => a.k_max = num(&v)?,
            _ => a.out = PathBuf::from(v),
        }
    }
    a.layers = layers.ok_or("--layers is required")?;
    if a.layers.iter().any(String::is_empty) {
        return Err("--layers: empty layer name".into());
    }
    a.reference = reference.ok_or("--reference is required")?;
    if a.k_min < 2 || a.k_min > a.k_max {
        return Err(format!(
            "K range {}..={} is invalid: need 2 <= k-min <= k-max",
            a.k_min, a.k_max
        ));
    }
    Ok(Some(a))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let say = |s: &str| eprintln!("[{:6.2} s] {s}", t0.elapsed().as_secs_f64());
    let reference = NpySet::read(&args.reference, &args.layers)?;
    let labels = reference
        .labels
        .as_ref()
        .ok_or("the reference set needs <prefix>_labels.npy")?;
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    let classes = match &args.classes {
        Some(c) => c.clone(),
        None => (0..n_classes).map(|c| c.to_string()).collect(),
    };
    let test = args
        .test
        .as_ref()
        .map(|p| NpySet::read(p, &args.layers))
        .transpose()?;
    let unseen = args
        .unseen
        .iter()
        .map(|(n, p)| Ok((n.clone(), NpySet::read(p, &args.layers)?)))
        .collect::<Result<Vec<_>, mtq::signature::SignatureError>>()?;
    say(&format!(
        "read {} reference samples over layers {}",
        labels.len(),
        args.layers.join(", ")
    ));
    let model = SignatureAnalysis::new(args.layers.clone(), classes)
        .k_range(args.k_min, args.k_max)
        .seed(args.seed)
        .fit(&reference.samples())?;
    for l in model.layers() {
        say(&format!(
            "{}: K = {} (silhouette {:.3})",
            l.name(),
            l.k(),
            l.curve().chosen_silhouette()
        ));
    }
    let input = StudyInput {
        title: format!("MTQ Paths from .npy: {}", args.reference.display()),
        seed: args.seed,
        test_accuracy: None,
        reference_name: "reference".into(),
        reference: reference.samples(),
        test_name: "test".into(),
        test: test.as_ref().map(NpySet::samples),
        injected: unseen
            .iter()
            .map(|(n, s)| (n.clone(), s.samples()))
            .collect(),
        facts: vec![Fact {
            label: "source".into(),
            value: args.reference.display().to_string(),
        }],
        notes: Vec::new(),
    };
    let res = model.study(&input)?;
    let files = write_report(&args.out, &res.report)?;
    res.samples.write(&args.out)?;
    say(&format!(
        "wrote {} and {}, samples.csv/json in {}",
        files.sankey_svg.display(),
        files.html.display(),
        args.out.display()
    ));
    println!("redundancy: {}", res.report.redundancy.verdict);
    for t in &res.report.path_tables {
        if let Some(top) = t.rows.first() {
            println!(
                "{} (n={}): top path {} ({})",
                t.class,
                t.n_samples,
                top.path.join(" > "),
                top.count
            );
        }
    }
    for task in res.tasks() {
        let mut best: Vec<(&str, f64)> = res
            .evaluations
            .iter()
            .filter(|e| e.task == task)
            .map(|e| (e.name.as_str(), e.roc.auroc))
            .collect();
        best.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let top: Vec<String> = best
            .iter()
            .take(3)
            .map(|(n, a)| format!("{n} {a:.3}"))
            .collect();
        println!("{task}: best AUROC {}", top.join(", "));
    }
    println!("trusted score: {}", res.trusted);
    Ok(())
}
