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

#![allow(unsafe_code)] // the AVX intrinsics below

use std::time::Instant;

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
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            let g = measure(16, seconds, |s, x| unsafe { x86::fma512(s, x) });
            println!("f32 FMA peak, AVX-512 512-bit: {g:7.1} GFLOP/s");
        } else {
            println!("no AVX-512F on this CPU");
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("not an x86-64 CPU: no measurement");
}
