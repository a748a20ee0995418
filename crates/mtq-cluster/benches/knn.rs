//! Exact kNN search against a reference set (the anomaly scores' hot loop): on seeded data the
//! size of the reference study's layers (1,755 reference rows, k = 50), and at scale on seeded
//! blobs (64 features, 10 centres): the 8-class full-MNIST scoring shape (10,000 queries x
//! 48,200 reference rows, k = 50, raw and L2-normalised distances as the scores ask) and
//! faiss's `IndexFlatL2` comparison shape (2,000 x 12,000, k = 1; the side-by-side figures come
//! from the `knn_timings` example and benches/scripts/bench_knn.py on the same arrays).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mtq_cluster::KnnIndex;
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

fn blobs(n: usize, seed: u64) -> Array2<f32> {
    mtq_testkit::make_blobs(n, 64, 10, 1.0, 10.0, seed)
        .expect("valid blob parameters")
        .0
}

fn knn_at_scale(c: &mut Criterion) {
    let mut g = c.benchmark_group("knn_scale");
    let r = blobs(12_000, 0);
    let q = blobs(2_000, 1);
    let idx = KnnIndex::new(r.view());
    g.bench_function("2000x12000x64_k1", |b| {
        b.iter(|| idx.distances(q.view(), 1, false))
    });
    let r = blobs(48_200, 2);
    let q = blobs(10_000, 3);
    let idx = KnnIndex::new(r.view());
    g.bench_function("10000x48200x64_k50_raw_l2", |b| {
        b.iter(|| idx.distances_raw_and_l2(q.view(), 50, false))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(2));
    targets = knn, knn_at_scale
}
criterion_main!(benches);
