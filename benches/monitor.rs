//! Criterion: the path monitor's speed at the size of the 8-class full-MNIST study (issue: the
//! path monitor). A monitor fitted on 48,200 reference rows in three layers of widths 32, 64
//! and 8 (the default MLP's `h1`, `h2` and the 8-class probabilities; exact kNN is
//! data-independent brute force, so blobs of that shape cost what real activations cost),
//! calibrated on 5,000 rows, Deep k-NN with 50 neighbours:
//!
//! - `monitor/score_batch/10000`: scoring 10,000 inputs at once (throughput in inputs/s; goal
//!   >= 20,000/s on 2 cores);
//! - `monitor/score_one`: one input at a time; after criterion, the p99 of 2,000 single-input
//!   scorings is printed (goal <= 1 ms);
//! - `monitor/load`: reading the monitor back from its bytes (goal <= 100 ms); the file size is
//!   printed.
//!
//! `cargo bench --bench monitor` (set `RAYON_NUM_THREADS` to the cores to use).

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use mtq::signature::{
    KRange, MonitorSettings, PathMonitor, Samples, SignatureParams, SilhouetteMode,
};
use ndarray::{Array1, Array2, s};

const N_REFERENCE: usize = 48_200;
const N_CALIBRATION: usize = 5_000;
const N_BATCH: usize = 10_000;
const WIDTHS: [usize; 3] = [32, 64, 8];
const CLASSES: usize = 8;

/// `n` rows of 8 blobs per layer (ReLU-like, non-negative), labels `i % 8`, probabilities
/// peaked on the label.
fn layers(n: usize, seed: u64) -> (Vec<Array2<f32>>, Array1<usize>, Array2<f32>) {
    let y = Array1::from_iter((0..n).map(|i| i % CLASSES));
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let mut out = Vec::new();
    for &w in &WIDTHS[..2] {
        out.push(Array2::from_shape_fn((n, w), |(i, j)| {
            let centre = if (j + y[i]) % 4 == 0 { 2.0 } else { 0.3 };
            (centre + noise()).max(0.0)
        }));
    }
    let probs = Array2::from_shape_fn((n, CLASSES), |(i, j)| {
        if j == y[i] {
            0.93 + 0.05 * noise()
        } else {
            0.01
        }
    });
    out.push(probs.clone());
    (out, y, probs)
}

fn views(x: &[Array2<f32>]) -> Vec<ndarray::ArrayView2<'_, f32>> {
    x.iter().map(|a| a.view()).collect()
}

fn main() {
    let (reference, ry, _) = layers(N_REFERENCE, 1);
    let (calibration, cy, cp) = layers(N_CALIBRATION, 2);
    let (batch, _, bp) = layers(N_BATCH, 3);
    let model = SignatureParams::new(["h1", "h2", "out"], (0..CLASSES).map(|c| c.to_string()))
        .k_range(KRange::new(8, 9).expect("8 <= 9"))
        .n_init(1)
        .silhouette(SilhouetteMode::Sampled {
            size: 5_000,
            seed: 0,
        })
        .fit(&Samples::new(views(&reference)).labels(ry.view()))
        .expect("the signatures");
    let monitor = PathMonitor::fit(
        &model,
        &Samples::new(views(&calibration))
            .labels(cy.view())
            .probabilities(cp.view()),
        MonitorSettings::new().dknn_k(
            std::env::var("DKNN_K")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(50),
        ),
    )
    .expect("the monitor");
    let bytes = monitor.to_bytes();

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("monitor");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N_BATCH as u64));
    let all = Samples::new(views(&batch)).probabilities(bp.view());
    g.bench_function(BenchmarkId::new("score_batch", N_BATCH), |b| {
        b.iter(|| black_box(monitor.score(&all).expect("scores").log_p[0]));
    });
    g.throughput(Throughput::Elements(1));
    g.sample_size(50);
    let one = |i: usize| {
        let rows: Vec<_> = batch.iter().map(|x| x.slice(s![i..=i, ..])).collect();
        monitor
            .score(&Samples::new(rows).probabilities(bp.slice(s![i..=i, ..])))
            .expect("one input")
            .log_p[0]
    };
    g.bench_function("score_one", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % N_BATCH;
            black_box(one(i))
        });
    });
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("load", |b| {
        b.iter(|| {
            black_box(
                PathMonitor::from_bytes(&bytes, "bench.mtq".as_ref())
                    .expect("loads")
                    .n_reference(),
            )
        });
    });
    g.finish();
    c.final_summary();

    let mut times: Vec<f64> = (0..2_000)
        .map(|i| {
            let t = Instant::now();
            black_box(one(i));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "monitor/score_one over 2,000 inputs: median {:.3} ms, p99 {:.3} ms (goal <= 1 ms)",
        at(0.5),
        at(0.99)
    );
    println!(
        "monitor file: {} bytes ({:.1} MiB) for {N_REFERENCE} reference rows, widths {WIDTHS:?}",
        bytes.len(),
        bytes.len() as f64 / (1 << 20) as f64
    );
}
