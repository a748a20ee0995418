//! Property test of the IDX parser over arbitrary and mutated bytes: it never panics, and it
//! never accepts a payload that disagrees with its header.
//!
//! A seeded loop (rand 0.9 / ChaCha8Rng, `mtq_testkit::Mutator`) rather than proptest: proptest
//! 1.12 would pull in a second `rand` (0.10). Memory: the reader's buffer only grows with bytes
//! present, so inputs of a few hundred bytes whose headers claim gigabytes are read quickly;
//! every mutated case runs under `mtq_testkit::Campaign`, which catches panics and checks the
//! peak heap of the case against a budget proportional to the input's size.

mod common;

use common::{gzip, image_bytes, images, label_bytes, labels};
use mtq_data::DataError;
use mtq_data::idx::{read_images, read_labels};
use mtq_testkit::{Campaign, LOCK, Mutator, PeakAlloc};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const CASES: usize = 4000;

/// Parses `bytes` both ways and checks what an `Ok` promises.
fn check(bytes: &[u8], name: &str) {
    match read_images(bytes, name) {
        Ok(imgs) => {
            assert_eq!(imgs.pixels().dim(), (imgs.len(), imgs.rows() * imgs.cols()));
            assert!(imgs.rows() > 0 && imgs.cols() > 0);
            if !name.ends_with(".gz") && bytes.first() != Some(&0x1f) {
                assert_eq!(bytes.len(), 16 + imgs.pixels().len());
            }
        }
        Err(e) => assert!(
            e.to_string().contains(name),
            "error does not name its source: {e}"
        ),
    }
    match read_labels(bytes, name) {
        Ok(labs) => {
            if !name.ends_with(".gz") && bytes.first() != Some(&0x1f) {
                assert_eq!(bytes.len(), 8 + labs.len());
            }
        }
        Err(e) => assert!(
            e.to_string().contains(name),
            "error does not name its source: {e}"
        ),
    }
}

fn mutate(rng: &mut ChaCha8Rng, seed_bytes: &[u8]) -> Vec<u8> {
    let mut b = seed_bytes.to_vec();
    match rng.random_range(0..5) {
        0 => {
            // flip a few bytes, header bytes more often
            for _ in 0..rng.random_range(1..4) {
                let hi = if rng.random_bool(0.7) {
                    b.len().min(16)
                } else {
                    b.len()
                };
                let i = rng.random_range(0..hi.max(1));
                if let Some(x) = b.get_mut(i) {
                    *x = rng.random();
                }
            }
        }
        1 => b.truncate(rng.random_range(0..=b.len())),
        2 => b.extend((0..rng.random_range(1..40)).map(|_| rng.random::<u8>())),
        3 => {
            // a random dimension in the header
            let at = 4 * rng.random_range(1..4);
            if b.len() >= at + 4 {
                let d: u32 = if rng.random_bool(0.5) {
                    rng.random()
                } else {
                    rng.random_range(0..64)
                };
                b[at..at + 4].copy_from_slice(&d.to_be_bytes());
            }
        }
        _ => {
            let i = rng.random_range(0..=b.len());
            b.insert(i, rng.random());
        }
    }
    b
}

#[test]
fn arbitrary_bytes_never_panic() {
    // Measured campaigns run in this binary: keep this test's allocations out of them.
    let _quiet = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut rng = ChaCha8Rng::seed_from_u64(2051);
    for _ in 0..CASES {
        let len = rng.random_range(0..64);
        let mut bytes = vec![0u8; len];
        rng.fill_bytes(&mut bytes);
        if rng.random_bool(0.5) && bytes.len() >= 4 {
            // a valid magic half of the time, so the parser gets past the first check
            let magic: u32 = if rng.random_bool(0.5) { 2051 } else { 2049 };
            bytes[..4].copy_from_slice(&magic.to_be_bytes());
        }
        check(&bytes, "arbitrary");
        check(&bytes, "arbitrary.gz");
    }
}

#[test]
fn mutated_valid_files_never_panic_raw_or_gzip() {
    let mut rng = ChaCha8Rng::seed_from_u64(2049);
    let mut mutator = Mutator::new(2049, 16);
    let seeds = [image_bytes(&images(6, 5, 4)), label_bytes(&labels(12))];
    // Memory: a raw input is read into at most its own size (the header's claim is never
    // allocated up front), plus the gzip decoder's fixed state when mutated bytes start with
    // the gzip magic; a gzip input can honestly inflate about 1,032-fold.
    let mut raw_campaign = Campaign::new("IDX raw", |n| 64 * n + (256 << 10));
    let mut gz_campaign = Campaign::new("IDX gzip", |n| 1100 * n + (256 << 10));
    let mut accepted = 0;
    for case in 0..CASES {
        let seed = &seeds[case % 2];
        let raw = if case % 4 < 2 {
            mutate(&mut rng, seed)
        } else {
            mutator.bytes(seed)
        };
        raw_campaign.case(
            || format!("seed 2049, case {case}, raw"),
            raw.len(),
            || {
                check(&raw, "raw");
            },
        );
        // Mutate compressed bytes too, and compress mutated bytes.
        let gz = if case % 4 < 2 {
            mutate(&mut rng, &gzip(seed))
        } else {
            mutator.bytes(&gzip(seed))
        };
        gz_campaign.case(
            || format!("seed 2049, case {case}, mutated gzip"),
            gz.len(),
            || {
                check(&gz, "m.gz");
            },
        );
        let zipped = gzip(&raw);
        gz_campaign.case(
            || format!("seed 2049, case {case}, gzip of mutated raw"),
            zipped.len(),
            || {
                check(&zipped, "z.gz");
            },
        );
        accepted += usize::from(
            read_images(&zipped[..], "z.gz").is_ok() || read_labels(&zipped[..], "z.gz").is_ok(),
        );
    }
    // Some mutations keep a valid file (e.g. a flipped pixel); most do not.
    assert!(accepted > 0 && accepted < CASES, "{accepted}");
    raw_campaign.finish(CASES);
    gz_campaign.finish(2 * CASES);
}

#[test]
fn huge_claims_in_tiny_inputs_fail_fast() {
    // Measured campaigns run in this binary: keep this test's allocations out of them.
    let _quiet = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..CASES {
        let mut b = image_bytes(&images(1, 2, 2));
        for at in [4, 8, 12] {
            b[at..at + 4].copy_from_slice(&rng.random_range(1u32 << 20..=u32::MAX).to_be_bytes());
        }
        let input = if rng.random_bool(0.5) { gzip(&b) } else { b };
        let err = read_images(&input[..], "huge").unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Truncated { actual: 4, .. } | DataError::SizeOverflow { .. }
            ),
            "{err}"
        );
    }
}

#[test]
fn mutated_npy_files_never_panic_nor_allocate_their_claims() {
    use mtq_data::npy::{
        read_header, read_npy, read_npy_features, read_npy_ids, read_npy_labels, read_npy_matrix,
        to_npy_bytes,
    };
    use ndarray::{Array1, Array2, Array3, IxDyn};

    let dir = std::env::temp_dir().join(format!("mtq-data-npy-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("case.npy");
    let seeds = [
        to_npy_bytes(&Array2::from_shape_fn((6, 3), |(i, j)| {
            i as f32 - j as f32 * 0.5
        })),
        to_npy_bytes(&Array2::from_shape_fn((4, 5), |(i, j)| (i * j) as f64 * 1e3).reversed_axes()),
        to_npy_bytes(&Array3::from_shape_fn((2, 3, 3), |(i, j, k)| {
            (i + j + k) as u8
        })),
        to_npy_bytes(&Array1::from(vec![0i64, 1, 1, 0, 2, 1])),
        to_npy_bytes(&Array1::from(vec![1.0f64, 0.0, 1.0])),
        to_npy_bytes(&Array1::from(vec![7u16, 9])),
    ];
    let mut mutator = Mutator::new(1193, 80);
    let mut rng = ChaCha8Rng::seed_from_u64(1193);
    // Memory: the result (at most 8 f32/usize per data byte) plus the reader's 64 KB buffers.
    let mut campaign = Campaign::new(".npy", |n| 48 * n + (512 << 10));
    let mut ok = 0usize;
    let cases = CASES / 2;
    for case in 0..cases {
        let seed = &seeds[case % seeds.len()];
        let bytes = if case % 2 == 0 {
            mutator.bytes(seed)
        } else {
            mutate(&mut rng, seed)
        };
        std::fs::write(&path, &bytes).unwrap();
        campaign.case(
            || format!("seed 1193, case {case}"),
            bytes.len(),
            || {
                let results = [
                    read_header(&path).map(|_| ()),
                    read_npy_features(&path).map(|_| ()),
                    read_npy_matrix(&path).map(|_| ()),
                    read_npy_labels(&path).map(|_| ()),
                    read_npy_ids(&path).map(|_| ()),
                    read_npy::<f32, IxDyn>(&path).map(|_| ()),
                ];
                for r in results {
                    match r {
                        Ok(()) => ok += 1,
                        Err(e) => assert!(
                            e.to_string().contains("case.npy"),
                            "error does not name its file: {e}"
                        ),
                    }
                }
            },
        );
    }
    assert!(ok > 0, "no mutated file was readable");
    campaign.finish(cases);
    // A header claiming 16 GB over a few bytes of data fails without allocating it.
    let bytes = mtq_testkit::raw_npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 4), }",
        &[0; 64],
    );
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        read_npy_matrix(&path),
        Err(DataError::NpySize {
            expected: Some(16_000_000_000),
            actual: 64,
            ..
        })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
