//! Criterion: the whole K sweep (`select_k`, K = 2..10: K-means `n_init = 1` + exact silhouette,
//! Davies-Bouldin, Calinski-Harabasz) on the reference activations (1,755 rows) and on
//! 12,000 x 64 and 60,000 x 64 Gaussian blobs; and the study's sweep (`n_init = 10`, the
//! automatic samples of a wide layer: restarts on 10,240 rows, silhouette on 13,975) on 50,000 x
//! 512 blobs.

use std::hint::black_box;

mod cluster_common;

use cluster_common::{datasets, wide};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtq::cluster::{KMeansSettings, KRange, KSweepParams, select_k};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("k_sweep_2to10");
    g.sample_size(10);
    let settings = KMeansSettings::new().n_init(1).seed(0);
    let ks = KRange::new(2, 10).expect("2 <= 2 <= 10");
    for (name, x) in datasets() {
        g.bench_with_input(BenchmarkId::from_parameter(&name), &x, |b, x| {
            b.iter(|| black_box(select_k(x.view(), ks, settings).expect("sweep").best_k()));
        });
    }
    g.finish();
    let (name, x) = wide();
    let mut g = c.benchmark_group("k_sweep_wide_study_defaults");
    g.sample_size(10);
    let study = KSweepParams::new(ks).kmeans(KMeansSettings::new().n_init(10).seed(0));
    g.bench_with_input(BenchmarkId::from_parameter(&name), &x, |b, x| {
        b.iter(|| black_box(study.fit(x.view()).expect("sweep").best_k()));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
