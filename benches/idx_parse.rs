//! Criterion bench: parse and decode a 60,000-image MNIST IDX file (gzip and raw), made here by
//! tiling the embedded real digits and writing them with `mtq_data::idx`'s writer.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mtq::data::idx::{read_images, write_images_file};
use mtq::data::{IdxImages, Mnist};
use ndarray::Array2;

const N: usize = 60_000;

/// 60,000 real 28 x 28 digits (the 10,000 embedded ones, six times) as IDX bytes: (gzip, raw).
fn idx_files() -> (Vec<u8>, Vec<u8>) {
    let mnist = Mnist::embedded().expect("embedded MNIST decodes");
    let (train, test) = (mnist.train().features(), mnist.test().features());
    let digits: Vec<_> = train.rows().into_iter().chain(test.rows()).collect();
    let pixels = Array2::from_shape_fn((N, 784), |(i, p)| {
        (digits[i % digits.len()][p] * 255.0).round() as u8
    });
    let images = IdxImages::new(pixels, 28, 28).expect("28 x 28 images");
    let dir = std::env::temp_dir().join(format!("mtq-bench-idx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let read = |name: &str| -> Vec<u8> {
        let path: PathBuf = dir.join(name);
        write_images_file(&path, &images).expect("write IDX");
        std::fs::read(&path).expect("read IDX back")
    };
    let files = (
        read("train-images-idx3-ubyte.gz"),
        read("train-images-idx3-ubyte"),
    );
    let _ = std::fs::remove_dir_all(&dir);
    files
}

fn idx_parse(c: &mut Criterion) {
    let (gz, raw) = idx_files();
    let mut group = c.benchmark_group("idx_parse_60k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N as u64));
    for (kind, bytes) in [("gzip", &gz), ("raw", &raw)] {
        group.bench_with_input(BenchmarkId::new("parse_u8", kind), bytes, |b, bytes| {
            b.iter(|| {
                black_box(read_images(&bytes[..], "train-images-idx3-ubyte").expect("valid IDX"))
            });
        });
        group.bench_with_input(
            BenchmarkId::new("parse+decode_f32", kind),
            bytes,
            |b, bytes| {
                b.iter(|| {
                    let images =
                        read_images(&bytes[..], "train-images-idx3-ubyte").expect("valid IDX");
                    black_box(images.to_unit_f32())
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, idx_parse);
criterion_main!(benches);
