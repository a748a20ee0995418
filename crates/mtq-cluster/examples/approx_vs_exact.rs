//! The K sweep's automatic approximations against the exact sweep, on the same arrays: for each
//! `.npy` (rows x features), the default sweep ([`FitRows::Auto`], [`SilhouetteMode::Auto`])
//! and the exact one ([`FitRows::All`], [`SilhouetteMode::Exact`]), K = 2..10, `n_init` 10,
//! seed 0 (the study's settings). Prints one markdown row per array: the sizes the defaults
//! chose, the chosen K of each, the ARI of their partitions at the chosen K and at the exact
//! sweep's K, the largest silhouette difference over K, and both times.
//!
//! ```text
//! cargo run --release -p mtq-cluster --example approx_vs_exact -- A.npy [B.npy ..]
//! ```

use std::time::Instant;

use mtq_cluster::{FitRows, KRange, KSweepParams, SilhouetteMode, adjusted_rand_index};
use mtq_data::npy::read_npy;
use ndarray::Array2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        return Err("usage: approx_vs_exact A.npy [B.npy ..]".into());
    }
    println!(
        "| array | rows x features | fit rows | silhouette rows | K exact | K default | ARI at chosen K | ARI at exact K | max silhouette diff | exact | default |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for path in paths {
        let x: Array2<f32> = read_npy(&path)?;
        let (n, d) = x.dim();
        let base = KSweepParams::new(KRange::new(2, 10)?);
        let t = Instant::now();
        let approx = base.clone().fit(x.view())?;
        let t_approx = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let exact = base
            .fit_rows(FitRows::All)
            .silhouette(SilhouetteMode::Exact)
            .fit(x.view())?;
        let t_exact = t.elapsed().as_secs_f64();
        let at = |k: usize, s: &mtq_cluster::KSweep| {
            s.scores()
                .iter()
                .find(|sc| sc.k == k)
                .map(|sc| sc.model.labels().to_owned())
        };
        let ari = |k_a: usize, k_b: usize| -> Result<f64, Box<dyn std::error::Error>> {
            match (at(k_a, &approx), at(k_b, &exact)) {
                (Some(a), Some(b)) => Ok(adjusted_rand_index(a.view(), b.view())?),
                _ => Ok(f64::NAN),
            }
        };
        let diff = approx
            .scores()
            .iter()
            .zip(exact.scores())
            .map(|(a, b)| (a.silhouette - b.silhouette).abs())
            .fold(0.0f64, f64::max);
        let name = std::path::Path::new(&path)
            .file_stem()
            .map_or(path.clone(), |s| s.to_string_lossy().into_owned());
        let rows = |v: Option<usize>| v.map_or("all".to_string(), |s| s.to_string());
        println!(
            "| {name} | {n} x {d} | {} | {} | {} | {} | {:.4} | {:.4} | {diff:.4} | {t_exact:.2} s | {t_approx:.2} s |",
            rows(approx.fit_sample_size()),
            rows(approx.silhouette_sample_size()),
            exact.best_k(),
            approx.best_k(),
            ari(approx.best_k(), exact.best_k())?,
            ari(exact.best_k(), exact.best_k())?,
        );
    }
    Ok(())
}
