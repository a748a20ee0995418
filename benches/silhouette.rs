//! Criterion: one exact silhouette (K = 8 labels from K-means) on the reference activations
//! (1,755 rows) and on 12,000 x 64 and 60,000 x 64 Gaussian blobs, and on the first 8 features
//! of the 12,000-row blobs (distance tiles from coordinate differences, as for a softmax layer);
//! and on 13,975 rows of the 50,000 x 512 blobs, the automatic silhouette sample of a wide
//! layer.

use std::hint::black_box;

mod cluster_common;

use cluster_common::{datasets, wide};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtq::cluster::{KMeansParams, silhouette_score};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("silhouette_k8");
    g.sample_size(10);
    let mut sets = datasets();
    if let Some((_, x)) = sets.iter().find(|(n, _)| n == "blobs_12000x64") {
        let narrow = x.slice(ndarray::s![.., ..8]).to_owned();
        sets.push(("blobs_12000x8".to_string(), narrow));
    }
    let (_, x) = wide();
    sets.push((
        "blobs_13975x512".to_string(),
        x.slice(ndarray::s![..13_975, ..]).to_owned(),
    ));
    for (name, x) in sets {
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
