//! Exact kNN search against a reference set (the anomaly scores' hot loop), on seeded data the
//! size of the reference study's layers: 1,755 reference rows, k = 50.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtq_signature::anomaly::KnnIndex;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data(n: usize, d: usize, seed: u64) -> Array2<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((n, d), |_| rng.random::<f32>())
}

const K: usize = 50;
fn knn(c: &mut Criterion) {
    let mut g = c.benchmark_group("knn_k50");
    for &(n, d) in &[(1755usize, 32usize), (1755, 64), (13_007, 64)] {
        let r = data(n, d, 0);
        let q = data(1000, d, 1);
        let idx = KnnIndex::new(r.view());
        g.bench_with_input(
            BenchmarkId::new("1000_queries", format!("{n}x{d}")),
            &q,
            |b, q| b.iter(|| idx.distances(q.view(), K, false)),
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(2));
    targets = knn
}
criterion_main!(benches);
