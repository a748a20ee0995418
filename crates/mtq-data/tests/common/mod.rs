//! Helpers shared by the integration tests: IDX files made in memory.

// Test helpers: not every test file uses each, and a failure here is a test failure.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;
use mtq_data::IdxImages;
use mtq_data::idx::{write_images, write_labels};
use ndarray::{Array1, Array2};

/// `n` images of `rows x cols` with pixel `(i, p)` = `(7 i + p) mod 256`.
pub fn images(n: usize, rows: usize, cols: usize) -> IdxImages {
    let pixels = Array2::from_shape_fn((n, rows * cols), |(i, p)| ((7 * i + p) % 256) as u8);
    IdxImages::new(pixels, rows, cols).unwrap()
}

/// `n` labels cycling through the digits.
pub fn labels(n: usize) -> Array1<u8> {
    Array1::from_iter((0..n).map(|i| (i % 10) as u8))
}

/// Raw IDX bytes of `images`.
pub fn image_bytes(images: &IdxImages) -> Vec<u8> {
    let mut out = Vec::new();
    write_images(&mut out, images).unwrap();
    out
}

/// Raw IDX bytes of `labels`.
pub fn label_bytes(labels: &Array1<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    write_labels(&mut out, labels.view()).unwrap();
    out
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A fresh, empty directory under the system temp dir (removed on drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new directory named after the test.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mtq-data-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
