//! Criterion: K-means fits (`n_init = 1`, k-means++, seed 0) for K = 2..10 on the reference
//! activations (1,755 rows) and on 12,000 x 64 and 60,000 x 64 Gaussian blobs, Lloyd and Hamerly.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtq::cluster::{Algorithm, KMeansParams, make_blobs};
use ndarray::Array2;

fn datasets() -> Vec<(String, Array2<f32>)> {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/mtq-cluster/tests/fixtures"
    );
    let mut out = Vec::new();
    for (name, file) in [
        ("acts_h1_1755x32", "acts_h1.npy"),
        ("acts_h2_1755x64", "acts_h2.npy"),
    ] {
        let x: Array2<f32> = ndarray_npy::read_npy(format!("{fixtures}/{file}")).expect("fixture");
        out.push((name.to_string(), x));
    }
    for n in [12_000, 60_000] {
        let (x, _) = make_blobs(n, 64, 8, 1.0, 10.0, 0).expect("blobs");
        out.push((format!("blobs_{n}x64"), x));
    }
    out
}

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
