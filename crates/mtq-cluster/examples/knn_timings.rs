//! Median timings of the exact kNN search on the arrays `benches/scripts/bench_knn.py` writes
//! (and times with faiss-cpu's exact `IndexFlatL2` and scikit-learn), for the side-by-side table
//! in BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p mtq-cluster --example knn_timings -- [DATA_DIR] [--reps N]
//! ```
//! `DATA_DIR` (default `/tmp/mtqdata`) holds `knn_ref_12000x64.npy`, `knn_query_2000x64.npy`
//! (k = 1, raw distances: faiss's shape) and `knn_ref_48200x64.npy`, `knn_query_10000x64.npy`
//! (the 8-class full-MNIST scoring shape: k = 50, raw and L2-normalised distances, as the
//! anomaly scores call it). Index construction is timed separately from the search.

use std::time::Instant;

use mtq_cluster::KnnIndex;
use mtq_data::npy::read_npy;
use ndarray::Array2;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut last = f(); // warm-up
    let mut ts = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        last = f();
        ts.push(t.elapsed().as_secs_f64());
    }
    (median(ts), last)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = "/tmp/mtqdata".to_string();
    let mut reps = 5;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reps" => reps = it.next().map(|v| v.parse()).transpose()?.unwrap_or(5),
            _ => dir = a.clone(),
        }
    }
    println!("threads {}", rayon::current_num_threads());
    for (r_name, q_name, k, both) in [
        ("knn_ref_12000x64", "knn_query_2000x64", 1, false),
        ("knn_ref_48200x64", "knn_query_10000x64", 50, true),
    ] {
        let r: Array2<f32> = read_npy(format!("{dir}/{r_name}.npy"))?;
        let q: Array2<f32> = read_npy(format!("{dir}/{q_name}.npy"))?;
        let (t_new, idx) = time(reps, || KnnIndex::new(r.view()));
        let (t, sum) = if both {
            time(reps, || {
                idx.distances_raw_and_l2(q.view(), k, false)
                    .map(|(a, _)| a.column(0).sum())
            })
        } else {
            time(reps, || {
                idx.distances(q.view(), k, false).map(|a| a.column(0).sum())
            })
        };
        let sum = sum?;
        let flop = 2.0 * (r.nrows() * q.nrows() * r.ncols()) as f64;
        println!(
            "{} queries x {} reference x {} k={k}{}: search {:.2} ms (index {:.2} ms; product {:.1} GFLOP/s; sum of raw 1-NN distances {:.6e})",
            q.nrows(),
            r.nrows(),
            r.ncols(),
            if both { " raw+L2" } else { "" },
            t * 1e3,
            t_new * 1e3,
            flop / t / 1e9,
            sum
        );
    }
    Ok(())
}
