//! K-means of `mtq-cluster` on one `.npy` array, timed as `benches/scripts/kmeans_peers.py`
//! times scikit-learn, scikit-learn-intelex and faiss-cpu on the same array: K = 2..10, one
//! run each (k-means++, seed 0), the median of `--reps` fits per K, with its iteration count.
//!
//! ```text
//! cargo run --release -p mtq-cluster --example kmeans_peers -- X.npy [--reps N] [--max-iter M] [--tol T] [--n-init R]
//! ```
//! Prints one JSON object: `{"k": [..], "seconds": [..], "n_iter": [..]}`, per K in order.
//! `--max-iter 20 --tol 0` runs faiss's fixed 20 iterations (a run still stops early when no
//! label changes).

use std::time::Instant;

use mtq_cluster::{KMeansParams, KMeansSettings};
use mtq_data::npy::read_npy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut path = None;
    let (mut reps, mut max_iter, mut tol, mut n_init) = (3usize, 300usize, 1e-4f64, 1usize);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--reps" => reps = value()?.parse()?,
            "--max-iter" => max_iter = value()?.parse()?,
            "--tol" => tol = value()?.parse()?,
            "--n-init" => n_init = value()?.parse()?,
            _ => path = Some(a.clone()),
        }
    }
    let path = path.ok_or("usage: kmeans_peers X.npy [--reps N] [--max-iter M] [--tol T]")?;
    let x: ndarray::Array2<f32> = read_npy(&path)?;
    let settings = KMeansSettings::new()
        .n_init(n_init)
        .max_iter(max_iter)
        .tol(tol)
        .seed(0);
    let (mut ks, mut secs, mut iters) = (Vec::new(), Vec::new(), Vec::new());
    for k in 2..=10 {
        let params = KMeansParams::new(k).settings(settings);
        std::hint::black_box(params.fit(x.view())?);
        let mut times = Vec::new();
        let mut n_iter = 0;
        for _ in 0..reps.max(1) {
            let t = Instant::now();
            let m = params.fit(x.view())?;
            times.push(t.elapsed().as_secs_f64());
            n_iter = m.n_iter();
        }
        times.sort_by(f64::total_cmp);
        ks.push(k);
        secs.push(times[times.len() / 2]);
        iters.push(n_iter);
    }
    println!("{{\"k\": {ks:?}, \"seconds\": {secs:?}, \"n_iter\": {iters:?}}}");
    Ok(())
}
