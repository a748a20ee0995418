//! Fuzz harness (issue 13, kind 9) for the `.npy` reader and the manifest JSON: seeded mutations
//! of valid files (header bytes, shape digits, header length, truncation, extension). Asserts no
//! panic and a peak heap proportional to the file's size (`mtq_testkit::Campaign`); a header
//! claiming gigabytes must fail without allocating them.

// Test helpers outside #[test] functions: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use mtq_activations::{Activations, Manifest, read_npy_ids, read_npy_labels, read_npy_matrix};
use mtq_testkit::{Campaign, Mutator, PeakAlloc};
use ndarray::{Array1, Array2};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const CASES: usize = 1500;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtq-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn npy<T, S, D>(a: &ndarray::ArrayBase<S, D>) -> Vec<u8>
where
    T: mtq_data::npy::NpyElement,
    S: ndarray::Data<Elem = T>,
    D: ndarray::Dimension,
{
    mtq_data::npy::to_npy_bytes(a)
}

/// Memory budget of a case: a few times the file (f64 -> f32 copies, labels widened to
/// 128-bit while checked) plus room for the header and the error.
fn budget(n: usize) -> usize {
    48 * n + (256 << 10)
}

#[test]
fn mutated_npy_files_never_panic_nor_allocate_their_claims() {
    let dir = scratch("npy");
    let seeds = [
        npy(&Array2::from_shape_fn((6, 3), |(i, j)| {
            i as f32 - j as f32 * 0.5
        })),
        npy(&Array2::from_shape_fn((4, 5), |(i, j)| {
            (i * j) as f64 * 1e3
        })),
        npy(&Array2::from_shape_fn((3, 4), |(i, j)| i as f64 + j as f64).reversed_axes()),
        npy(&Array1::from(vec![0i64, 1, 1, 0, 2, 1])),
        npy(&Array1::from(vec![3u8, 1, 4, 1, 5])),
        npy(&Array1::from(vec![1.0f64, 0.0, 1.0])),
        npy(&Array1::from(vec![7u64, 9])),
    ];
    let mut m = Mutator::new(93, 80);
    let mut campaign = Campaign::new(".npy", budget);
    let path = dir.join("case.npy");
    let mut ok = 0usize;
    for case in 0..CASES {
        let seed = &seeds[case % seeds.len()];
        let bytes = if case % 3 == 0 {
            // header text mutations: shape digits, brackets, descriptor
            let split = seed
                .iter()
                .position(|&b| b == b'\n')
                .map_or(seed.len(), |i| i + 1);
            let mut b = seed[..10].to_vec();
            let text = String::from_utf8_lossy(&seed[10..split]).into_owned();
            let mutated = m.text(&text);
            let len = u16::try_from(mutated.len()).unwrap_or(u16::MAX);
            b[8..10].copy_from_slice(&len.to_le_bytes());
            b.extend_from_slice(&mutated);
            b.extend_from_slice(&seed[split..]);
            b
        } else {
            m.bytes(seed)
        };
        std::fs::write(&path, &bytes).unwrap();
        campaign.case(
            || format!("seed 93, case {case}"),
            bytes.len(),
            || {
                ok += usize::from(read_npy_matrix(&path).is_ok());
                ok += usize::from(read_npy_labels(&path).is_ok());
                ok += usize::from(read_npy_ids(&path).is_ok());
                ok += usize::from(mtq_data::npy::read_npy_features(&path).is_ok());
            },
        );
    }
    // A few mutations leave a readable file (a changed value); most do not.
    assert!(ok > 0 && ok < 4 * CASES, "{ok}");
    campaign.finish(CASES);
    let _ = std::fs::remove_dir_all(&dir);
}

fn manifest_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/numpy_set/manifest.json"),
    )
    .unwrap()
}

#[test]
fn mutated_manifests_never_panic() {
    let seed = manifest_text();
    let mut m = Mutator::new(1755, 4096);
    let mut campaign = Campaign::new("manifest JSON", |n| 64 * n + (256 << 10));
    for case in 0..CASES {
        let text = m.text(&seed);
        campaign.case(
            || format!("seed 1755, case {case}"),
            text.len(),
            || {
                if let Ok(s) = std::str::from_utf8(&text) {
                    let _ = Manifest::from_json(s, Path::new("manifest.json"));
                }
            },
        );
    }
    campaign.finish(CASES);
}

#[test]
fn mutated_manifests_load_without_panic() {
    // The whole load: a mutated manifest over the numpy-written files (wrong counts, widths,
    // names, paths leaving the directory, huge n_samples).
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/numpy_set");
    let dir = scratch("manifest-load");
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let seed = manifest_text();
    let mut m = Mutator::new(2026, 4096);
    let mut campaign = Campaign::new("manifest load", |n| 64 * n + (1 << 20));
    let mut ok = 0;
    for case in 0..1000 {
        let text = m.text(&seed);
        std::fs::write(dir.join("manifest.json"), &text).unwrap();
        campaign.case(
            || format!("seed 2026, case {case}"),
            text.len(),
            || {
                ok += usize::from(Activations::load(&dir).is_ok());
            },
        );
    }
    assert!(ok < 1000);
    campaign.finish(1000);
    let _ = std::fs::remove_dir_all(&dir);
}
