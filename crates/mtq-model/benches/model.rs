//! Criterion benches of the reference network (784 -> 32 -> 64 -> 2 ReLU) on the embedded 1s
//! and 7s: 5 epochs of training (Adam, batch 32), and one forward pass over the 1,755 images.

use criterion::{Criterion, criterion_group, criterion_main};
use mtq_data::Mnist;
use mtq_model::{Device, Mlp, MlpConfig, TrainConfig, array_to_tensor};

fn bench(c: &mut Criterion) {
    let mnist = Mnist::embedded().expect("embedded MNIST");
    let train = mnist.train().select_classes(&[1, 7]).expect("1s and 7s");
    let config = MlpConfig::new(784, [32, 64], 2);
    let cfg = TrainConfig::new().epochs(5).batch_size(32).seed(0);

    let mut group = c.benchmark_group("reference_mlp");
    group.sample_size(10);
    group.bench_function("train_5_epochs_1755", |b| {
        b.iter(|| {
            let mut mlp = Mlp::new(config.clone(), 0, &Device::Cpu).expect("model");
            mlp.train(&train, &cfg).expect("train")
        });
    });
    let mut mlp = Mlp::new(config.clone(), 0, &Device::Cpu).expect("model");
    mlp.train(&train, &cfg).expect("train");
    let x = array_to_tensor(train.features(), &Device::Cpu).expect("tensor");
    group.bench_function("forward_all_1755", |b| {
        b.iter(|| mlp.forward_all(&x).expect("forward"))
    });
    group.bench_function("predict_proba_1755", |b| {
        b.iter(|| mlp.predict_proba(train.features()).expect("predict"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
