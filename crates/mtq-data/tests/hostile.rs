//! Hostile inputs (issue 13): a gzip bomb whose header claims far more images than its label
//! file, label values too large to size a class list, and the memory each costs (measured with
//! a counting allocator).

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::{gzip, image_bytes, images, label_bytes, labels};
use flate2::Compression;
use flate2::write::GzEncoder;
use mtq_data::idx::{
    MAX_DEFLATE_RATIO, read_images, read_images_expecting, read_images_file, read_labels_file,
};
use mtq_data::{DataError, Dataset, MAX_LABEL, Mnist, MnistPaths};
use mtq_testkit::{LOCK, PeakAlloc, measure};
use ndarray::{Array1, Array2};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const MB: usize = 1 << 20;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A gzip stream (several members, as `MultiGzDecoder` reads) whose IDX header claims
/// `n_claimed` 28 x 28 images and which inflates to `zero_megabytes` MB of zeros after it:
/// about 1 KB of gzip per inflated MB.
fn gzip_bomb(n_claimed: u32, zero_megabytes: usize) -> Vec<u8> {
    gzip_zeros(&[2051u32, n_claimed, 28, 28], zero_megabytes)
}

/// A gzip stream of the IDX header `header` (magic, then dimensions), then `zero_megabytes`
/// members of 1 MB of zeros each (deflate's best ratio, about 1,000:1).
fn gzip_zeros(header: &[u32], zero_megabytes: usize) -> Vec<u8> {
    let header: Vec<u8> = header.iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut out = gzip(&header);
    let mut member = GzEncoder::new(Vec::new(), Compression::best());
    member.write_all(&vec![0u8; MB]).unwrap();
    let member = member.finish().unwrap();
    for _ in 0..zero_megabytes {
        out.extend_from_slice(&member);
    }
    out
}

#[test]
fn gzip_bomb_fixture_stops_at_the_header_with_the_label_count() {
    let _guard = LOCK.lock().unwrap();
    let data = crate_dir().join("data/mnist-10k");
    let paths = MnistPaths {
        train_images: data.join("train-images-idx3-ubyte.gz"),
        train_labels: data.join("train-labels-idx1-ubyte.gz"),
        test_images: crate_dir()
            .join("tests/fixtures/cases/idx_gzip_bomb/t10k-images-idx3-ubyte.gz"),
        test_labels: data.join("t10k-labels-idx1-ubyte.gz"),
    };
    let (res, bytes) = measure(|| Mnist::from_paths(&paths));
    let err = res.unwrap_err();
    assert!(
        matches!(
            &err,
            DataError::CountMismatch {
                images: 1_400_000,
                labels: 2000,
                images_path,
                ..
            } if images_path.ends_with("idx_gzip_bomb/t10k-images-idx3-ubyte.gz")
        ),
        "{err}"
    );
    // The honest size: 8,000 + 2,000 digits (6 MB of bytes, 25 MB as f32 for the training
    // split read alongside); the bomb inflates to 1.1 GB.
    eprintln!("gzip bomb fixture + mnist-10k: peak heap {bytes} bytes");
    assert!(bytes < 64 * MB, "peak {bytes} bytes");
}

#[test]
fn a_bomb_read_against_a_count_inflates_nothing_past_the_header() {
    let _guard = LOCK.lock().unwrap();
    let bomb = gzip_bomb(100_000, 64);
    let (res, bytes) = measure(|| read_images_expecting(&bomb[..], "bomb.gz", 10));
    assert!(
        matches!(
            res,
            Err(DataError::UnexpectedCount {
                declared: 100_000,
                expected: 10,
                ..
            })
        ),
        "{res:?}"
    );
    assert!(bytes < MB, "peak {bytes} bytes");
    // Read on its own, the header is honest about 78 MB, but only 64 MB follow: truncated,
    // and memory stays near what is really there.
    let (res, bytes) = measure(|| read_images(&bomb[..], "bomb.gz"));
    assert!(matches!(res, Err(DataError::Truncated { .. })), "{res:?}");
    assert!(bytes < 160 * MB, "peak {bytes} bytes");
}

#[test]
fn readers_check_the_count_before_the_pixels() {
    // Measured campaigns run in this binary: keep this test's allocations out of them.
    let _quiet = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let img = gzip(&image_bytes(&images(50, 28, 28)));
    let lab = label_bytes(&labels(3));
    let err = Mnist::from_readers(&img[..], &lab[..], &img[..], &lab[..]).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                images: 50,
                labels: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn label_values_cannot_size_the_class_list() {
    let _guard = LOCK.lock().unwrap();
    for label in [1usize << 63, 1_000_000_000, MAX_LABEL + 1] {
        let (res, bytes) =
            measure(|| Dataset::new(Array2::zeros((3, 2)), Array1::from(vec![0, label, 1])));
        assert!(
            matches!(res, Err(DataError::LabelTooLarge { index: 1, label: l, max: MAX_LABEL }) if l == label),
            "{res:?}"
        );
        assert!(bytes < 4096, "peak {bytes} bytes");
    }
    let d = Dataset::new(Array2::zeros((2, 2)), Array1::from(vec![0, MAX_LABEL])).unwrap();
    assert_eq!(d.n_classes(), MAX_LABEL + 1);
}

/// Writes `bytes` to a fresh file under the target directory.
fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mtq-data-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_gzip_file_too_small_for_its_header_is_refused_before_inflating() {
    let _guard = LOCK.lock().unwrap();
    // 1 KB of gzip (1 MB of zeros) whose header claims 4e9 images of 28 x 28: 3.1 TB.
    let bomb = gzip_zeros(&[2051, 4_000_000_000, 28, 28], 1);
    let path = temp_file("claims-3tb-images.gz", &bomb);
    let (res, bytes) = measure(|| read_images_file(&path));
    let compressed = bomb.len() as u64;
    match &res {
        Err(DataError::InflationBeyondBound {
            path: p,
            declared,
            compressed: c,
            max,
        }) => {
            assert_eq!(p, &path);
            assert_eq!(*declared, 16 + 4_000_000_000 * 784);
            assert_eq!(*c, compressed);
            assert_eq!(*max, compressed * MAX_DEFLATE_RATIO);
        }
        other => panic!("expected InflationBeyondBound, got {other:?}"),
    }
    let msg = res.unwrap_err().to_string();
    assert!(msg.contains("claims-3tb-images.gz"), "{msg}");
    eprintln!("1 KB gzip claiming 3.1 TB of images: peak heap {bytes} bytes");
    assert!(bytes < 256 * 1024, "peak {bytes} bytes");

    // The same for a label file.
    let bomb = gzip_zeros(&[2049, 4_000_000_000], 1);
    let path = temp_file("claims-4gb-labels.gz", &bomb);
    let (res, bytes) = measure(|| read_labels_file(&path));
    assert!(
        matches!(res, Err(DataError::InflationBeyondBound { declared, .. }) if declared == 8 + 4_000_000_000),
        "{res:?}"
    );
    assert!(bytes < 256 * 1024, "peak {bytes} bytes");

    // Twice what 16 members can hold: refused, though the stream really holds 16 MB.
    let bomb = gzip_zeros(&[2051, 2 * 16 * 1024, 32, 32], 16);
    let path = temp_file("claims-twice.gz", &bomb);
    let (res, bytes) = measure(|| read_images_file(&path));
    assert!(
        matches!(res, Err(DataError::InflationBeyondBound { .. })),
        "{res:?}"
    );
    assert!(bytes < 256 * 1024, "peak {bytes} bytes");
}

#[test]
fn an_honest_gzip_file_at_deflates_best_ratio_is_read() {
    let _guard = LOCK.lock().unwrap();
    // 16 MB of zeros in about 16 KB: near the ratio bound, and honest.
    let bomb = gzip_zeros(&[2051, 16 * 1024, 32, 32], 16);
    let ratio = (16 * MB) as f64 / bomb.len() as f64;
    assert!(ratio > 900.0, "ratio {ratio}");
    let path = temp_file("honest-zeros.gz", &bomb);
    let (res, bytes) = measure(|| read_images_file(&path));
    let images = res.unwrap();
    assert_eq!(images.len(), 16 * 1024);
    assert!(images.pixels().iter().all(|&p| p == 0));
    assert!(bytes < 40 * MB, "peak {bytes} bytes");
}
