//! The machine's measured f32 peak: fused multiply-add throughput on every rayon thread, with
//! 512-bit (AVX-512F) and 256-bit (AVX2 + FMA) vectors, whichever the CPU has (checked at run
//! time). BENCHMARKS.md quotes each kernel's GFLOP/s as a share of the widest figure.
//!
//! ```text
//! cargo run --release -p mtq-cluster --example fma_peak [-- SECONDS_PER_TEST]
//! ```
//! Each thread runs 16 independent accumulator chains (`acc = acc * a + b`; more chains than
//! FMA latency x FMA ports on current x86 cores, so throughput, not latency, bounds it) for a
//! fixed number of steps; one FMA is 2 flop per lane. The median of 5 timed runs is printed.
//!
//! Then the rate of two of the crate's kernels through the public API, with the useful flop
//! counted (padding and overheads not): Lloyd's iteration (K-means of 16,384 x 64 uniform
//! random values, in the caches, of 200,000 x 64, streamed from memory, and of 50,000 x 512,
//! through the GEMM, with one run and with the study's 10 restarts; K = 10, the time of 30
//! iterations less that of 1, tolerance 0: `2 n K d` flop per iteration and run for the
//! assignment; the per-cluster sums ride along, so this is a floor of the assignment kernel's
//! rate) and the exact silhouette's
//! distance tiles
//! (`silhouette_score` of 20,000 x 64 and of 14,000 x 512 (the automatic sample of a wide
//! layer), K = 8: `n² (d + 2)` flop, the upper half of the
//! `n x n` products of rows augmented to `d + 2` features; the sums per cluster and square
//! roots ride along). Each as a share of the widest peak. The kNN tiles' rate is printed by
//! mtq-signature's `knn_timings` example.

#![allow(unsafe_code)] // the AVX intrinsics below

use std::time::Instant;

use mtq_cluster::{Init, KMeansParams, silhouette_score};
use mtq_testkit::make_blobs;
use rayon::prelude::*;

/// Chains per thread (independent accumulators).
const CHAINS: usize = 16;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::CHAINS;
    use std::arch::x86_64::*;

    /// `steps` rounds of one FMA on each of [`CHAINS`] 16-lane accumulators; returns a value
    /// derived from all of them (so nothing is optimised away).
    #[target_feature(enable = "avx512f")]
    pub fn fma512(steps: u64, seed: f32) -> f32 {
        let a = _mm512_set1_ps(0.999_999);
        let b = _mm512_set1_ps(1e-7);
        let mut acc = [_mm512_set1_ps(seed); CHAINS];
        for (i, v) in acc.iter_mut().enumerate() {
            *v = _mm512_add_ps(*v, _mm512_set1_ps(i as f32));
        }
        for _ in 0..steps {
            for v in acc.iter_mut() {
                *v = _mm512_fmadd_ps(*v, a, b);
            }
        }
        let mut s = _mm512_setzero_ps();
        for v in acc {
            s = _mm512_add_ps(s, v);
        }
        _mm512_reduce_add_ps(s)
    }

    /// As [`fma512`] with 8-lane (256-bit) vectors.
    #[target_feature(enable = "avx2,fma")]
    pub fn fma256(steps: u64, seed: f32) -> f32 {
        let a = _mm256_set1_ps(0.999_999);
        let b = _mm256_set1_ps(1e-7);
        let mut acc = [_mm256_set1_ps(seed); CHAINS];
        for (i, v) in acc.iter_mut().enumerate() {
            *v = _mm256_add_ps(*v, _mm256_set1_ps(i as f32));
        }
        for _ in 0..steps {
            for v in acc.iter_mut() {
                *v = _mm256_fmadd_ps(*v, a, b);
            }
        }
        let mut out = [0.0f32; 8];
        let mut s = _mm256_setzero_ps();
        for v in acc {
            s = _mm256_add_ps(s, v);
        }
        // SAFETY: `out` holds 8 f32, the width of one unaligned 256-bit store.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), s) };
        out.iter().sum()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// GFLOP/s of `f(steps, seed)` run once per thread at the same time (`lanes` f32 per vector).
fn measure(lanes: usize, seconds: f64, f: impl Fn(u64, f32) -> f32 + Sync) -> f64 {
    let threads = rayon::current_num_threads();
    // calibrate: steps for about `seconds` on one thread
    let mut steps = 1u64 << 16;
    loop {
        let t = Instant::now();
        std::hint::black_box(f(steps, 1.0));
        if t.elapsed().as_secs_f64() > seconds / 4.0 {
            steps = (steps as f64 * seconds / t.elapsed().as_secs_f64()) as u64;
            break;
        }
        steps *= 2;
    }
    let runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let s: f32 = (0..threads)
                .into_par_iter()
                .map(|i| f(steps, i as f32))
                .sum();
            std::hint::black_box(s);
            let flop = (threads * CHAINS * lanes * 2) as f64 * steps as f64;
            flop / t.elapsed().as_secs_f64() / 1e9
        })
        .collect();
    median(runs)
}

/// Median seconds of 5 calls of `f` (after one warm-up call).
fn median_time<T>(mut f: impl FnMut() -> T) -> f64 {
    std::hint::black_box(f());
    let runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(runs)
}

/// Lloyd's iteration on `n` x `d` uniform values, K = 10, `runs` restarts in lockstep (1: from
/// given centres; more: k-means++ restarts, as the study's `n_init`): its rate and share. The
/// time of 30 iterations less that of 1 (restarts' initialisation and the final pass cancel)
/// is divided by 29 iterations' `2 n K d` flop per run.
fn lloyd_rate(n: usize, d: usize, runs: usize, share: impl Fn(f64) -> f64) {
    let k = 10;
    // uniform values: no cluster structure, so Lloyd's iteration does not stop early
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let x = ndarray::Array2::from_shape_simple_fn((n, d), || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    });
    let params = |iters: usize| {
        let p = KMeansParams::new(k).max_iter(iters).tol(0.0);
        if runs == 1 {
            p.init(Init::Given(x.slice(ndarray::s![..k, ..]).to_owned()))
        } else {
            p.n_init(runs)
        }
    };
    let (long, short) = (params(30), params(1));
    let mut n_iter = 0;
    let t_long = median_time(|| {
        if let Ok(m) = long.fit(x.view()) {
            n_iter = m.n_iter();
        }
    });
    let t_short = median_time(|| short.fit(x.view()));
    let t = (t_long - t_short).max(f64::MIN_POSITIVE);
    let g = (2 * n * k * d * runs * n_iter.saturating_sub(1)) as f64 / t / 1e9;
    println!(
        "Lloyd's iteration {n} x {d}, K = {k}, {runs} run(s), {n_iter} iterations: {:.1} ms, {g:6.1} GFLOP/s = {:.0} % of peak",
        t_long * 1e3,
        share(g)
    );
}

/// The K-means assignment and silhouette-tile rates, as shares of `peak` GFLOP/s.
fn kernel_rates(peak: f64) {
    let share = |g: f64| {
        if peak > 0.0 {
            100.0 * g / peak
        } else {
            f64::NAN
        }
    };
    // 16,384 x 64 (4 MB: in the cores' caches), 200,000 x 64 (51 MB: streamed from memory),
    // and wide rows through the GEMM: 50,000 x 512 (102 MB), one run and the study's 10
    for (n, d, runs) in [
        (16_384, 64, 1),
        (200_000, 64, 1),
        (50_000, 512, 1),
        (50_000, 512, 10),
    ] {
        lloyd_rate(n, d, runs, share);
    }
    for (n, d, k) in [(20_000, 64, 8), (14_000, 512, 8)] {
        let Ok((x, labels)) = make_blobs(n, d, k, 1.0, 10.0, 0) else {
            return;
        };
        let t = median_time(|| silhouette_score(x.view(), labels.view()));
        let g = (n * n * (d + 2)) as f64 / t / 1e9;
        println!(
            "silhouette tiles {n} x {d}, K = {k}: {:.1} ms, {g:6.1} GFLOP/s = {:.0} % of peak",
            t * 1e3,
            share(g)
        );
    }
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.5);
    println!(
        "threads {} ({} chains of FMA per thread)",
        rayon::current_num_threads(),
        CHAINS
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            let g = measure(8, seconds, |s, x| unsafe { x86::fma256(s, x) });
            println!("f32 FMA peak, AVX2 256-bit:    {g:7.1} GFLOP/s");
        }
        let mut peak = 0.0;
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            peak = measure(8, seconds, |s, x| unsafe { x86::fma256(s, x) });
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            let g = measure(16, seconds, |s, x| unsafe { x86::fma512(s, x) });
            println!("f32 FMA peak, AVX-512 512-bit: {g:7.1} GFLOP/s");
            peak = g;
        } else {
            println!("no AVX-512F on this CPU");
        }
        kernel_rates(peak);
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("not an x86-64 CPU: no measurement");
}
