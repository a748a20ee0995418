//! MTQ Paths, the reference study end to end: train an MLP on two (or more) MNIST digits, extract
//! every hidden layer, choose K per layer by silhouette, trace each sample's path of clusters,
//! judge layer redundancy, inject digits the network never saw, score anomalies, and write a
//! Sankey SVG, an HTML report, JSON and a per-sample CSV.
//!
//! ```sh
//! cargo run --release --example mnist_paths
//! cargo run --release --example mnist_paths -- --classes 3,8 --inject 5 --hidden 32,64,32
//! cargo run --release --example mnist_paths -- --mnist-dir path/to/mnist --out /tmp/report
//! cargo run --release --example mnist_paths -- --seeds 0,1,2     # stability across seeds
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use mtq::activations::{Activations, ExtractParams};
use mtq::data::{Dataset, Mnist};
use mtq::model::{Device, Mlp, MlpConfig, TrainConfig};
use mtq::signature::report::{Fact, write_report};
use mtq::signature::{Samples, SignatureAnalysis, StudyInput, StudyResult};
use ndarray::{Array1, Array2, ArrayView2};

const USAGE: &str = "usage: mnist_paths [options]
  --classes A,B[,..]   digits the network learns (default 1,7)
  --inject  C[,..]     unseen digits injected after training (default 4,3; 'none' for none)
  --hidden  W[,..]     hidden layer widths (default 32,64)
  --epochs  N          training epochs (default 5)
  --seed    S          seed of everything (default 0)
  --seeds   S,S,..     run several seeds and report their stability (report of the first)
  --k-min   K          smallest K tried per layer (default 2)
  --k-max   K          largest K tried per layer (default 10)
  --mnist-dir DIR      read the four MNIST files from DIR (default: the embedded 10,000 digits)
  --out     DIR        output folder (default target/mtq-report)
  --help               this text";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, Clone)]
struct Args {
    classes: Vec<usize>,
    inject: Vec<usize>,
    hidden: Vec<usize>,
    epochs: usize,
    seeds: Vec<u64>,
    k_min: usize,
    k_max: usize,
    mnist_dir: Option<PathBuf>,
    out: PathBuf,
}

fn parse_list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<Vec<T>, String> {
    v.split(',')
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| format!("{flag}: '{s}' is not a valid number (in '{v}')"))
        })
        .collect()
}

fn parse_one<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("{flag}: '{v}' is not a valid number"))
}

fn parse_args(raw: Vec<String>) -> Result<Option<Args>, String> {
    let mut a = Args {
        classes: vec![1, 7],
        inject: vec![4, 3],
        hidden: vec![32, 64],
        epochs: 5,
        seeds: vec![0],
        k_min: 2,
        k_max: 10,
        mnist_dir: None,
        out: PathBuf::from("target/mtq-report"),
    };
    let mut it = raw.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.clone(), None),
        };
        let known = [
            "--classes",
            "--inject",
            "--hidden",
            "--epochs",
            "--seed",
            "--seeds",
            "--k-min",
            "--k-max",
            "--mnist-dir",
            "--out",
        ];
        if !known.contains(&name.as_str()) {
            return Err(format!("unknown flag '{flag}'"));
        }
        let value = match inline {
            Some(v) => v,
            None => it.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        match name.as_str() {
            "--classes" => a.classes = parse_list(&name, &value)?,
            "--inject" => {
                a.inject = if value == "none" {
                    Vec::new()
                } else {
                    parse_list(&name, &value)?
                }
            }
            "--hidden" => a.hidden = parse_list(&name, &value)?,
            "--epochs" => a.epochs = parse_one(&name, &value)?,
            "--seed" => a.seeds = vec![parse_one(&name, &value)?],
            "--seeds" => a.seeds = parse_list(&name, &value)?,
            "--k-min" => a.k_min = parse_one(&name, &value)?,
            "--k-max" => a.k_max = parse_one(&name, &value)?,
            "--mnist-dir" => a.mnist_dir = Some(PathBuf::from(value)),
            _ => a.out = PathBuf::from(value),
        }
    }
    if a.classes.len() < 2 {
        return Err("--classes needs at least two digits".into());
    }
    for (i, &c) in a.classes.iter().chain(&a.inject).enumerate() {
        if c > 9 {
            return Err(format!("digit {c} is not an MNIST digit (0-9)"));
        }
        if a.classes.iter().chain(&a.inject).take(i).any(|&d| d == c) {
            return Err(format!(
                "digit {c} is given twice (classes and injected digits must all differ)"
            ));
        }
    }
    if a.hidden.is_empty() || a.hidden.contains(&0) {
        return Err("--hidden needs one or more widths >= 1".into());
    }
    if a.epochs == 0 {
        return Err("--epochs must be at least 1".into());
    }
    if a.seeds.is_empty() {
        return Err("--seeds needs at least one seed".into());
    }
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
            let mut src = e.source();
            while let Some(s) = src {
                eprintln!("  caused by: {s}");
                src = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// Progress on stderr with the time since start.
struct Progress(Instant);

impl Progress {
    fn say(&self, what: &str) {
        eprintln!("[{:6.2} s] {what}", self.0.elapsed().as_secs_f64());
    }
}

/// One seed's run.
struct Run {
    seed: u64,
    accuracy: f64,
    result: StudyResult,
    ks: Vec<usize>,
    /// The reference partition of each layer (cluster id per training sample).
    partitions: Vec<Array1<usize>>,
}

fn digit_names(d: &[usize]) -> String {
    d.iter().map(usize::to_string).collect::<Vec<_>>().join("/")
}

fn run(args: &Args) -> Res<()> {
    let p = Progress(Instant::now());
    // From files, decode only the digits the study uses (a fifth of the memory of all 70,000).
    let mut digits: Vec<usize> = args.classes.iter().chain(&args.inject).copied().collect();
    digits.sort_unstable();
    digits.dedup();
    let mnist = match &args.mnist_dir {
        Some(dir) => Mnist::from_dir_classes(dir, &digits)?,
        None => Mnist::embedded()?,
    };
    let train = mnist.train().select_classes(&args.classes)?;
    let test = mnist.test().select_classes(&args.classes)?;
    let injected: Vec<Dataset> = args
        .inject
        .iter()
        .map(|&d| mnist.test().select_classes(&[d]))
        .collect::<Result<_, _>>()?;
    drop(mnist);
    p.say(&format!(
        "data: {} training and {} test images of {}; unseen: {}",
        train.n_samples(),
        test.n_samples(),
        digit_names(&args.classes),
        args.inject
            .iter()
            .zip(&injected)
            .map(|(d, s)| format!("{} {d}s", s.n_samples()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut runs = Vec::new();
    for &seed in &args.seeds {
        runs.push(run_seed(args, seed, &train, &test, &injected, &p)?);
    }
    let (notes, trusted) = if runs.len() > 1 {
        stability(&runs)
    } else {
        (Vec::new(), None)
    };
    let first = &mut runs[0];
    first.result.report.notes.extend(notes.iter().cloned());
    if let Some((name, why)) = trusted {
        // Over several seeds, trust the score with the best mean worst-case AUROC.
        first.result.trusted.clone_from(&name);
        first.result.report.anomaly.trusted = name;
        first.result.report.anomaly.rationale = why;
    }
    let files = write_report(&args.out, &first.result.report)?;
    first.result.samples.write(&args.out)?;
    p.say(&format!(
        "wrote {}, {}, {}, samples.csv and samples.json in {}",
        files.sankey_svg.display(),
        files.html.display(),
        files.json.display(),
        args.out.display()
    ));
    print_summary(&runs[0], args);
    for n in &notes {
        println!("{n}");
    }
    Ok(())
}

fn run_seed(
    args: &Args,
    seed: u64,
    train: &Dataset,
    test: &Dataset,
    injected: &[Dataset],
    p: &Progress,
) -> Res<Run> {
    let config = MlpConfig::new(train.n_features(), args.hidden.clone(), args.classes.len());
    let mut mlp = Mlp::new(config, seed, &Device::Cpu)?;
    mlp.train(train, &TrainConfig::new().epochs(args.epochs).seed(seed))?;
    let accuracy = mlp.evaluate(test)?.accuracy;
    p.say(&format!(
        "seed {seed}: trained {} ({} epochs), test accuracy {accuracy:.4}",
        shape(train.n_features(), &args.hidden, args.classes.len()),
        args.epochs
    ));
    let params = ExtractParams::new(1024);
    let a_train = params.extract(&mlp, train)?;
    let a_test = params.extract(&mlp, test)?;
    let a_inj = injected
        .iter()
        .map(|d| params.extract(&mlp, d))
        .collect::<Result<Vec<_>, _>>()?;
    p.say(&format!(
        "seed {seed}: extracted layers {}",
        a_train.layer_names().join(", ")
    ));
    // The analysed layers: every hidden layer, then the probabilities as "out" (as the study).
    let mut layer_names: Vec<String> = mlp.layer_names();
    layer_names.push("out".into());
    let probs = |a: &Activations| -> Res<Array2<f32>> {
        Ok(a.layers()
            .last()
            .ok_or("no probabilities extracted")?
            .values()
            .to_owned())
    };
    let class_names: Vec<String> = args.classes.iter().map(usize::to_string).collect();
    let analysis = SignatureAnalysis::new(layer_names, class_names)
        .k_range(args.k_min, args.k_max)
        .seed(seed);
    let p_train = probs(&a_train)?;
    let reference = Samples::new(views(&a_train))
        .labels(a_train.labels())
        .ids(a_train.ids())
        .probabilities(p_train.view());
    let model = analysis.fit(&reference)?;
    p.say(&format!(
        "seed {seed}: chose K per layer by silhouette: {}",
        model
            .layers()
            .iter()
            .map(|l| format!(
                "{} K={} ({:.3})",
                l.name(),
                l.k(),
                l.curve().chosen_silhouette()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let p_test = probs(&a_test)?;
    let test_set = Samples::new(views(&a_test))
        .labels(a_test.labels())
        .ids(a_test.ids())
        .probabilities(p_test.view());
    let p_inj: Vec<Array2<f32>> = a_inj.iter().map(probs).collect::<Res<_>>()?;
    let inj_sets: Vec<(String, Samples<'_>)> = args
        .inject
        .iter()
        .zip(&a_inj)
        .zip(&p_inj)
        .map(|((d, a), pr)| {
            (
                d.to_string(),
                Samples::new(views(a)).ids(a.ids()).probabilities(pr.view()),
            )
        })
        .collect();
    let input = StudyInput {
        title: format!(
            "MTQ Paths: {} ({}), seed {seed}",
            digit_names(&args.classes),
            if args.mnist_dir.is_some() {
                "MNIST"
            } else {
                "embedded MNIST sample"
            }
        ),
        seed,
        test_accuracy: Some(accuracy),
        reference_name: format!("train {}", digit_names(&args.classes)),
        reference,
        test_name: format!("{} test", digit_names(&args.classes)),
        test: Some(test_set),
        injected: inj_sets,
        facts: vec![
            Fact {
                label: "network".into(),
                value: shape(train.n_features(), &args.hidden, args.classes.len()),
            },
            Fact {
                label: "epochs".into(),
                value: args.epochs.to_string(),
            },
            Fact {
                label: "K range".into(),
                value: format!("{}..={}", args.k_min, args.k_max),
            },
        ],
        notes: Vec::new(),
    };
    let result = model.study(&input)?;
    p.say(&format!(
        "seed {seed}: traced, scored and evaluated {} scores",
        result.report.anomaly.scores.len()
    ));
    let trace = model.reference_trace();
    Ok(Run {
        seed,
        accuracy,
        ks: model.layers().iter().map(|l| l.k()).collect(),
        partitions: (0..trace.clusters.ncols())
            .map(|i| trace.clusters.column(i).to_owned())
            .collect(),
        result,
    })
}

fn views(a: &Activations) -> Vec<ArrayView2<'_, f32>> {
    a.layers().iter().map(|l| l.values()).collect()
}

fn shape(input: usize, hidden: &[usize], classes: usize) -> String {
    let mut s = vec![input.to_string()];
    s.extend(hidden.iter().map(usize::to_string));
    s.push(classes.to_string());
    s.join(" -> ")
}

fn print_summary(run: &Run, args: &Args) {
    let r = &run.result.report;
    println!(
        "\n== MTQ Paths: {} (seed {})",
        digit_names(&args.classes),
        run.seed
    );
    println!("test accuracy {:.4}", run.accuracy);
    for c in &r.silhouette_curves {
        let s =
            c.k.iter()
                .position(|&k| k == c.chosen_k)
                .map_or(f64::NAN, |i| c.silhouette[i]);
        println!("  {:<4} K = {:<2} silhouette {s:.3}", c.layer, c.chosen_k);
    }
    println!("top paths per class:");
    for t in &r.path_tables {
        let tops: Vec<String> = t
            .rows
            .iter()
            .take(3)
            .map(|row| {
                format!(
                    "{} -> {} ({}{})",
                    row.path.join(" > "),
                    row.predicted,
                    row.count,
                    if row.unseen_in_training {
                        ", new path"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        println!(
            "  {}{} (n={}): {}",
            t.class,
            if t.injected { " (unseen)" } else { "" },
            t.n_samples,
            tops.join("; ")
        );
    }
    println!("redundancy: {}", r.redundancy.verdict);
    for v in &r.redundancy.vs_labels {
        println!(
            "  {} vs true class: ARI {:.3}, NMI {:.3}",
            v.layer, v.ari, v.nmi
        );
    }
    for s in &r.strangers {
        let routes: Vec<String> = s
            .routes
            .iter()
            .map(|l| {
                let parts: Vec<String> = l
                    .shares
                    .iter()
                    .map(|sh| {
                        format!(
                            "{:.0}% {}",
                            100.0 * sh.count as f64 / s.n_samples.max(1) as f64,
                            sh.label
                        )
                    })
                    .collect();
                format!("{} {}", l.layer, parts.join("/"))
            })
            .collect();
        let pred: Vec<String> = s
            .predicted
            .iter()
            .map(|sh| format!("{} as {}", sh.count, sh.label))
            .collect();
        println!(
            "unseen {}s (n={}): routed {}; predicted {}; {} samples on {} distinct paths never taken in training",
            s.class,
            s.n_samples,
            routes.join(", "),
            pred.join(", "),
            s.samples_on_unseen_paths,
            s.unseen_paths
        );
    }
    let tasks = run.result.tasks();
    if !tasks.is_empty() {
        println!("anomaly AUROC ({}):", tasks.join(" | "));
        let mut shown = vec!["max-softmax (1 - p)".to_string(), "path rarity".to_string()];
        shown.extend(
            r.summary
                .layers
                .iter()
                .map(|l| format!("centroid distance {l}")),
        );
        shown.extend(r.summary.layers.iter().map(|l| format!("kNN {l} k=1")));
        shown.extend(r.summary.layers.iter().map(|l| format!("Mahalanobis {l}")));
        shown.push("combined (kNN-1 / reference median, mean over layers)".into());
        if !shown.contains(&run.result.trusted) {
            shown.push(run.result.trusted.clone());
        }
        for name in &shown {
            let v: Vec<String> = tasks
                .iter()
                .map(|t| {
                    run.result
                        .auroc(name, t)
                        .map_or("-".into(), |a| format!("{a:.3}"))
                })
                .collect();
            let mark = if *name == run.result.trusted {
                "  <- trusted"
            } else {
                ""
            };
            println!("  {name:<55} {}{mark}", v.join(" | "));
        }
        println!(
            "({} scores in all, with FPR at 95% TPR, in report.json)",
            r.anomaly.scores.len()
        );
    }
}

/// Stability across seeds: chosen K, redundancy verdict, anomaly ranking, ARI between partitions.
fn stability(runs: &[Run]) -> (Vec<String>, Option<(String, String)>) {
    let mut notes = Vec::new();
    let seeds: Vec<String> = runs.iter().map(|r| r.seed.to_string()).collect();
    let ks: Vec<String> = runs
        .iter()
        .map(|r| {
            r.ks.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let same_k = ks.windows(2).all(|w| w[0] == w[1]);
    notes.push(format!(
        "Stability over seeds {}: chosen K per layer {} ({}).",
        seeds.join(", "),
        if same_k { "agrees" } else { "differs" },
        ks.join(" / ")
    ));
    let verdicts: Vec<Vec<bool>> = runs
        .iter()
        .map(|r| {
            r.result
                .report
                .redundancy
                .pairs
                .iter()
                .map(|p| p.redundant)
                .collect()
        })
        .collect();
    let same_v = verdicts.windows(2).all(|w| w[0] == w[1]);
    let aris: Vec<String> = runs
        .iter()
        .map(|r| {
            r.result
                .report
                .redundancy
                .pairs
                .iter()
                .map(|p| format!("{}~{} {:.3}", p.first, p.second, p.ari))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    notes.push(format!(
        "Redundancy verdict {} across seeds (ARI: {}).",
        if same_v { "agrees" } else { "differs" },
        aris.join(" / ")
    ));
    // ARI between seeds' partitions of the same training samples, per layer.
    let layers = &runs[0].result.report.summary.layers;
    let mut per_layer = Vec::new();
    for (li, name) in layers.iter().enumerate() {
        let mut v = Vec::new();
        for a in 0..runs.len() {
            for b in a + 1..runs.len() {
                if let Ok(x) = mtq::cluster::adjusted_rand_index(
                    runs[a].partitions[li].view(),
                    runs[b].partitions[li].view(),
                ) {
                    v.push(format!("{x:.3}"));
                }
            }
        }
        per_layer.push(format!("{name} {}", v.join("/")));
    }
    notes.push(format!(
        "ARI between seeds' partitions of the training set (pairs of seeds): {}.",
        per_layer.join("; ")
    ));
    // Anomaly ranking: mean AUROC per score per task, and whether the top score agrees.
    let tasks = runs[0].result.tasks();
    let names: Vec<String> = runs[0]
        .result
        .report
        .anomaly
        .scores
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mean_of = |name: &str, task: &str| -> f64 {
        runs.iter()
            .filter_map(|r| r.result.auroc(name, task))
            .sum::<f64>()
            / runs.len() as f64
    };
    let tops: Vec<String> = runs.iter().map(|r| r.result.trusted.clone()).collect();
    let same_top = tops.windows(2).all(|w| w[0] == w[1]);
    notes.push(format!(
        "Trusted score per seed: {} ({}).",
        tops.join(" / "),
        if same_top { "agrees" } else { "differs" }
    ));
    let mut trusted = None;
    if !tasks.is_empty() {
        let mut best: Vec<(String, f64)> = names
            .iter()
            .map(|n| {
                let worst = tasks
                    .iter()
                    .map(|t| mean_of(n, t))
                    .fold(f64::INFINITY, f64::min);
                (n.clone(), worst)
            })
            .collect();
        best.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let fmt = |n: &str| {
            tasks
                .iter()
                .map(|t| {
                    let vals: Vec<f64> = runs.iter().filter_map(|r| r.result.auroc(n, t)).collect();
                    let m = vals.iter().sum::<f64>() / vals.len().max(1) as f64;
                    let sd = (vals.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
                        / vals.len().max(1) as f64)
                        .sqrt();
                    format!("{m:.3} ± {sd:.3}")
                })
                .collect::<Vec<_>>()
                .join(" | ")
        };
        if let Some((n, w)) = best.first() {
            trusted = Some((
                n.clone(),
                format!(
                    "{n} has the best worst-case AUROC averaged over seeds {} ({w:.3}; per task {}). \
                     Distances to individual reference samples in the first hidden layer keep the \
                     detail that later layers and two coarse clusters discard: the output layer folds \
                     unseen digits into a known class (max-softmax {}), and path rarity over K = 2 \
                     clusters cannot tell a confident 4-as-7 from a 7 ({}).",
                    seeds.join(", "),
                    fmt(n),
                    fmt("max-softmax (1 - p)"),
                    fmt("path rarity")
                ),
            ));
        }
        for (n, _) in best.iter().take(5) {
            notes.push(format!(
                "Mean AUROC over seeds ({}): {n}: {}.",
                tasks.join(" | "),
                fmt(n)
            ));
        }
        for n in [
            "max-softmax (1 - p)",
            "path rarity",
            "combined (kNN-1 / reference median, mean over layers)",
        ] {
            notes.push(format!("Mean AUROC over seeds: {n}: {}.", fmt(n)));
        }
        for l in layers {
            for n in [
                format!("centroid distance {l}"),
                format!("Mahalanobis {l}"),
                format!("kNN {l} k=1"),
            ] {
                notes.push(format!("Mean AUROC over seeds: {n}: {}.", fmt(&n)));
            }
        }
        // Rank agreement of all scores between consecutive seeds (Spearman on worst-case AUROC).
        let rank = |r: &Run| -> Vec<f64> {
            let v: Vec<f64> = names
                .iter()
                .map(|n| {
                    tasks
                        .iter()
                        .filter_map(|t| r.result.auroc(n, t))
                        .fold(f64::INFINITY, f64::min)
                })
                .collect();
            ranks(&v)
        };
        let rs: Vec<Vec<f64>> = runs.iter().map(rank).collect();
        let rhos: Vec<String> = rs
            .windows(2)
            .map(|w| format!("{:.3}", pearson(&w[0], &w[1])))
            .collect();
        notes.push(format!(
            "Anomaly ranking across seeds: Spearman correlation of the {} scores' worst-case AUROC between consecutive seeds: {}.",
            names.len(),
            rhos.join(", ")
        ));
    }
    (notes, trusted)
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}
