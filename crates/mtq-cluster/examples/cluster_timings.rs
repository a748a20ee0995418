//! Median timings of mtq-cluster on the benchmark arrays, printed as the rows of the side-by-side
//! table in BENCHMARKS.md (scikit-learn's side: benches/scripts/bench_sklearn.py).
//!
//! ```text
//! cargo run --release -p mtq-cluster --example cluster_timings -- [DATA_DIR] [--only NAME] [--reps N] [--sweep-only]
//! cargo run --release -p mtq-cluster --example cluster_timings -- [DATA_DIR] --only NAME --silhouette-sample S [--n-init M]
//! cargo run --release -p mtq-cluster --example cluster_timings -- --blobs N --silhouette-sample S [--n-init M]
//! ```
//! With `--silhouette-sample S`, only the K sweep (K = 2..10, `n_init` M, default 10, seed 0)
//! is timed, with its silhouette on S sampled rows (seed 0), and, for data read from
//! `DATA_DIR`, the exact sweep too, to compare the chosen K. `--blobs N` generates seeded blobs
//! in memory instead (`make_blobs(N, 64, 8, 1.0, 10.0, seed 0)`; the exact sweep is not run).
//! `DATA_DIR` (default `/tmp/mtqdata`) holds `acts_h1_1755x32.npy`, `acts_h2_1755x64.npy`,
//! `blobs_12000x64.npy`, `blobs_60000x64.npy` (`bench_sklearn.py --make-blobs --data-dir DIR`).
//! Timed like the Python script: K-means `n_init = 1`, k-means++, seed 0, per K = 2..10;
//! one exact silhouette per K; the sweep (`select_k`, fit + silhouette for K = 2..10, which
//! also computes Davies-Bouldin and Calinski-Harabasz); on 60k also `n_init = 10`, K = 8.

use std::time::Instant;

use mtq_cluster::{
    Algorithm, KMeansParams, KMeansSettings, KRange, KSweepParams, SilhouetteMode, select_k,
    silhouette_score,
};
use mtq_data::npy::read_npy;
use mtq_testkit::make_blobs;
use ndarray::Array2;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(reps: usize, warm: bool, mut f: impl FnMut() -> T) -> (f64, T) {
    if warm {
        f();
    }
    let mut ts = Vec::new();
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        last = Some(f());
        ts.push(t.elapsed().as_secs_f64());
    }
    (median(ts), last.expect("reps >= 1"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = "/tmp/mtqdata".to_string();
    let mut only: Option<String> = None;
    let mut reps_arg: Option<usize> = None;
    let mut sweep_only = false;
    let mut sample: Option<usize> = None;
    let mut blobs: Option<usize> = None;
    let mut n_init = 10;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--silhouette-sample" => sample = it.next().map(|v| v.parse()).transpose()?,
            "--blobs" => blobs = it.next().map(|v| v.parse()).transpose()?,
            "--n-init" => n_init = it.next().map(|v| v.parse()).transpose()?.unwrap_or(10),
            "--only" => only = it.next().cloned(),
            "--reps" => reps_arg = it.next().map(|v| v.parse()).transpose()?,
            "--sweep-only" => sweep_only = true,
            _ => dir = a.clone(),
        }
    }
    println!("threads {}", rayon::current_num_threads());
    if let Some(size) = sample {
        let (name, x) = match blobs {
            Some(n) => {
                let t = Instant::now();
                let x = make_blobs(n, 64, 8, 1.0, 10.0, 0)?.0;
                println!(
                    "blobs {n}x64 generated in {:.2} s",
                    t.elapsed().as_secs_f64()
                );
                (format!("blobs_{n}x64 (generated)"), x)
            }
            None => {
                let name = only
                    .clone()
                    .ok_or("--silhouette-sample needs --only or --blobs")?;
                let x: Array2<f32> = read_npy(format!("{dir}/{name}.npy"))?;
                (name, x)
            }
        };
        return sampled_sweep(&name, &x, size, n_init, blobs.is_none());
    }
    for name in [
        "acts_h1_1755x32",
        "acts_h2_1755x64",
        "blobs_12000x64",
        "blobs_60000x64",
    ] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let x: Array2<f32> = read_npy(format!("{dir}/{name}.npy"))?;
        let (n, d) = x.dim();
        let reps = reps_arg.unwrap_or(if n >= 50_000 { 3 } else { 5 });
        println!("{name} {n}x{d} reps={reps}");
        let mut totals = [0.0f64; 3];
        for k in (2..=10).filter(|_| !sweep_only) {
            let p = KMeansParams::new(k).n_init(1).seed(0);
            let (t_l, m) = time(reps, true, || p.clone().fit(x.view()));
            let m = m?;
            let (t_h, mh) = time(reps, true, || {
                p.clone().algorithm(Algorithm::Hamerly).fit(x.view())
            });
            let mh = mh?;
            let (t_s, s) = time(reps, true, || silhouette_score(x.view(), m.labels()));
            let s = s?;
            totals[0] += t_l;
            totals[1] += t_h;
            totals[2] += t_s;
            // the distance kernel: n²/2 pairs (upper triangle) x 2 (d + 2) flop each
            let flop = (n * n) as f64 * (d + 2) as f64;
            println!(
                "  k={k:2} lloyd {:8.2} ms (iter {:3}, inertia {:.6e})  hamerly {:8.2} ms (iter {:3}, inertia {:.6e})  silhouette {:9.2} ms s={s:.5} (distance kernel {:.1} GFLOP/s)",
                t_l * 1e3,
                m.n_iter(),
                m.inertia(),
                t_h * 1e3,
                mh.n_iter(),
                mh.inertia(),
                t_s * 1e3,
                flop / t_s / 1e9
            );
        }
        let p = KMeansSettings::new().n_init(1).seed(0);
        let ks = KRange::new(2, 10)?;
        let (t_sw, sw) = time(reps, n < 50_000, || select_k(x.view(), ks, p));
        let sw = sw?;
        let (t_swh, _) = time(reps, n < 50_000, || {
            select_k(x.view(), ks, p.algorithm(Algorithm::Hamerly))
        });
        println!(
            "  kmeans_total lloyd {:.4} s hamerly {:.4} s  silhouette_total {:.4} s  sweep {:.4} s (hamerly {:.4} s, best k {})",
            totals[0],
            totals[1],
            totals[2],
            t_sw,
            t_swh,
            sw.best_k()
        );
        if n >= 50_000 && !sweep_only {
            for alg in [Algorithm::Lloyd, Algorithm::Hamerly] {
                let p = KMeansParams::new(8).n_init(10).seed(0).algorithm(alg);
                let (t, m) = time(reps, false, || p.fit(x.view()));
                let m = m?;
                println!(
                    "  kmeans n_init=10 k=8 {alg:?}: {:.4} s (n_iter {}, inertia {:.6e})",
                    t,
                    m.n_iter(),
                    m.inertia()
                );
            }
        }
    }
    Ok(())
}

/// The K sweep (K = 2..10, `n_init`, seed 0) with the silhouette on `size` sampled rows, and
/// with `exact_too` the exact sweep, printing times, the chosen K and the standard errors.
fn sampled_sweep(
    name: &str,
    x: &Array2<f32>,
    size: usize,
    n_init: usize,
    exact_too: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let (n, d) = x.dim();
    println!("{name} {n}x{d}: K = 2..10, n_init {n_init}, silhouette on {size} sampled rows");
    let params =
        KSweepParams::new(KRange::new(2, 10)?).kmeans(KMeansSettings::new().n_init(n_init).seed(0));
    let t = Instant::now();
    let sw = params
        .clone()
        .silhouette(SilhouetteMode::Sampled { size, seed: 0 })
        .fit(x.view())?;
    let t_s = t.elapsed().as_secs_f64();
    for s in sw.scores() {
        println!(
            "  k={:2} inertia {:.6e} silhouette {:.5} ± {:.5} (n_iter {})",
            s.k,
            s.inertia,
            s.silhouette,
            s.silhouette_std_error,
            s.model.n_iter()
        );
    }
    println!(
        "  sampled sweep {t_s:.3} s, best k {} (silhouette on {:?} rows)",
        sw.best_k(),
        sw.silhouette_sample_size()
    );
    if exact_too {
        let t = Instant::now();
        let ex = params.silhouette(SilhouetteMode::Exact).fit(x.view())?;
        let t_e = t.elapsed().as_secs_f64();
        let curve: Vec<String> = ex
            .scores()
            .iter()
            .map(|s| format!("{}:{:.5}", s.k, s.silhouette))
            .collect();
        println!(
            "  exact sweep {t_e:.3} s, best k {} (exact silhouettes {})",
            ex.best_k(),
            curve.join(" ")
        );
    }
    Ok(())
}
