//! Criterion: K-means fits (`n_init = 1`, k-means++, seed 0) for K = 2..10 on the reference
//! activations (1,755 rows) and on 12,000 x 64 and 60,000 x 64 Gaussian blobs, Lloyd and Hamerly;
//! and one K = 8 fit with `n_init = 10` (the study's setting: its ten runs share each pass over
//! the data, k-means++ and Lloyd in lockstep). On 50,000 x 512 blobs (rows wide enough for the
//! GEMM route): K = 2..10 with `n_init = 1`, and K = 10 with `n_init = 10`.

use std::hint::black_box;

mod cluster_common;

use cluster_common::{datasets, wide};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtq::cluster::{Algorithm, KMeansParams};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("kmeans_fit_k2to10");
    g.sample_size(10);
    for (name, x) in datasets() {
        for alg in [Algorithm::Lloyd, Algorithm::Hamerly] {
            g.bench_with_input(BenchmarkId::new(format!("{alg:?}"), &name), &x, |b, x| {
                b.iter(|| {
                    for k in 2..=10 {
                        let m = KMeansParams::new(k)
                            .n_init(1)
                            .seed(0)
                            .algorithm(alg)
                            .fit(x.view());
                        black_box(m.expect("fit").inertia());
                    }
                });
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("kmeans_fit_k8_n_init10");
    g.sample_size(10);
    for (name, x) in datasets() {
        g.bench_with_input(BenchmarkId::from_parameter(&name), &x, |b, x| {
            b.iter(|| {
                let m = KMeansParams::new(8).n_init(10).seed(0).fit(x.view());
                black_box(m.expect("fit").inertia())
            });
        });
    }
    g.finish();
    let (name, x) = wide();
    let mut g = c.benchmark_group("kmeans_wide");
    g.sample_size(10);
    g.bench_with_input(BenchmarkId::new("k2to10_n_init1", &name), &x, |b, x| {
        b.iter(|| {
            for k in 2..=10 {
                let m = KMeansParams::new(k).n_init(1).seed(0).fit(x.view());
                black_box(m.expect("fit").inertia());
            }
        });
    });
    g.bench_with_input(BenchmarkId::new("k10_n_init10", &name), &x, |b, x| {
        b.iter(|| {
            let m = KMeansParams::new(10).n_init(10).seed(0).fit(x.view());
            black_box(m.expect("fit").inertia())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
