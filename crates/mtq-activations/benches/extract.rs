//! Criterion: extraction of every layer (h1, h2, logits, probabilities) of the 784-32-64-2 MLP
//! into ndarray, parallel and sequential, on the 1/7 set and on 60,000 synthetic inputs.
//!
//! `cargo bench -p mtq-activations --bench extract`; throughput is reported in samples/s.
//! `examples/extract_throughput.rs` prints the same figures beside Keras' `predict`.

use candle_core::Device;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mtq_activations::ExtractParams;
use mtq_data::{Dataset, Mnist};
use mtq_model::{Mlp, MlpConfig};
use ndarray::{Array1, Array2};

fn synthetic(n: usize) -> Dataset {
    let x = Array2::from_shape_fn((n, 784), |(i, j)| {
        ((i.wrapping_mul(2_654_435_761) ^ j.wrapping_mul(40_503)) % 256) as f32 / 255.0
    });
    Dataset::new(x, Array1::from_iter((0..n).map(|i| i % 2))).expect("valid synthetic data")
}

fn bench(c: &mut Criterion) {
    let mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), 0, &Device::Cpu).expect("valid MLP");
    let ones_sevens = Mnist::embedded()
        .and_then(|m| m.train().select_classes(&[1, 7]))
        .expect("embedded MNIST");
    let big = synthetic(60_000);
    let mut group = c.benchmark_group("extract_784_32_64_2");
    group.sample_size(10);
    for (name, data) in [("ones_sevens", &ones_sevens), ("synthetic", &big)] {
        group.throughput(Throughput::Elements(data.n_samples() as u64));
        for parallel in [true, false] {
            let params = ExtractParams::new(256).logits(true).parallel(parallel);
            let id = if parallel { "parallel" } else { "sequential" };
            group.bench_with_input(BenchmarkId::new(id, name), data, |b, data| {
                b.iter(|| params.extract(&mlp, data).expect("extraction"));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
