//! Criterion: one exact silhouette (K = 8 labels from K-means) on the reference activations
//! (1,755 rows) and on 12,000 x 64 and 60,000 x 64 Gaussian blobs.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtq::cluster::{KMeansParams, make_blobs, silhouette_score};
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
    let mut g = c.benchmark_group("silhouette_k8");
    g.sample_size(10);
    for (name, x) in datasets() {
        let labels = KMeansParams::new(8)
            .n_init(1)
            .seed(0)
            .fit(x.view())
            .expect("fit")
            .labels()
            .to_owned();
        g.bench_with_input(BenchmarkId::from_parameter(&name), &x, |b, x| {
            b.iter(|| black_box(silhouette_score(x.view(), labels.view()).expect("silhouette")));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
