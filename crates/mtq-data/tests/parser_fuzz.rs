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
