//! Fuzz harness of the path monitor's file: seeded mutations of saved monitors (bytes flipped,
//! inserted and cut, the safetensors header's JSON edited as text, a tensor's dtype, shape or
//! offsets changed, manifest values changed). `PathMonitor::from_bytes` must return a monitor
//! or a typed error naming the file, never panic, and keep its peak heap a small multiple of
//! the file's size (`mtq_testkit::Campaign`); a monitor it accepts must score a batch.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{blobs, monitor, split};
use mtq_signature::{MonitorFileError, PathMonitor, Samples};
use mtq_testkit::{Campaign, Mutator, PeakAlloc};
use ndarray::Array2;
use rand::Rng;
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const CASES: usize = 1600;

/// Memory budget of a case of `n` bytes: the reference rows are held about three times (read,
/// kNN index copy, its transposed copy for narrow layers), the header's JSON parsed twice, plus
/// room for the error. Measured: under 2 x the file.
fn budget(n: usize) -> usize {
    8 * n + (256 << 10)
}

/// Values that break counts, shapes and floats.
fn odd_value(m: &mut Mutator) -> Value {
    let all = [
        json!(0),
        json!(1),
        json!(-1),
        json!(2),
        json!(7),
        json!(4_294_967_296u64),
        json!(u64::MAX),
        json!(1e308),
        json!(-0.0),
        json!(0.5),
        json!(null),
        json!(""),
        json!("x"),
        json!([]),
        json!([1, 2]),
        json!({}),
    ];
    all[m.rng().random_range(0..all.len())].clone()
}

/// A value somewhere in `v` (objects and arrays walked at random) replaced by an odd one.
fn replace_somewhere(v: &mut Value, m: &mut Mutator, depth: usize) {
    let go_deeper = depth < 4 && m.rng().random_bool(0.75);
    match v {
        Value::Object(map) if go_deeper && !map.is_empty() => {
            let i = m.rng().random_range(0..map.len());
            let key = map.keys().nth(i).unwrap().clone();
            replace_somewhere(map.get_mut(&key).unwrap(), m, depth + 1);
        }
        Value::Array(a) if go_deeper && !a.is_empty() => {
            let i = m.rng().random_range(0..a.len());
            replace_somewhere(&mut a[i], m, depth + 1);
        }
        _ => *v = odd_value(m),
    }
}

/// One structured edit of the header: a tensor's dtype, shape or offsets, or a manifest value.
fn edit_header(seed: &[u8], m: &mut Mutator) -> Vec<u8> {
    let mut p = split(seed);
    let names = p.tensor_names();
    let name = names[m.rng().random_range(0..names.len())].clone();
    match m.rng().random_range(0..4) {
        0 => {
            let dtypes = [
                "F32", "F64", "U32", "U64", "I64", "U8", "BOOL", "F16", "F4", "X",
            ];
            p.header[&name]["dtype"] = json!(dtypes[m.rng().random_range(0..dtypes.len())]);
        }
        1 => {
            let shape = p.header[&name]["shape"].as_array_mut().unwrap();
            match m.rng().random_range(0..3) {
                0 if !shape.is_empty() => {
                    let i = m.rng().random_range(0..shape.len());
                    shape[i] = odd_value(m);
                }
                1 => shape.push(json!(1)),
                _ => {
                    shape.pop();
                }
            }
        }
        2 => {
            let i = m.rng().random_range(0..2);
            let o = p.header[&name]["data_offsets"][i].as_u64().unwrap();
            let shift: [i64; 6] = [-8, -4, -1, 1, 4, 1 << 40];
            let s = shift[m.rng().random_range(0..shift.len())];
            p.header[&name]["data_offsets"][i] = json!(o.saturating_add_signed(s));
        }
        _ => {
            let mut manifest = p.manifest();
            replace_somewhere(&mut manifest, m, 0);
            p.set_manifest(&manifest);
        }
    }
    p.join()
}

/// The header's JSON text mutated (the length prefix rewritten to match, most of the time).
fn mutate_header_text(seed: &[u8], m: &mut Mutator) -> Vec<u8> {
    let n = u64::from_le_bytes(seed[..8].try_into().unwrap()) as usize;
    let text = String::from_utf8_lossy(&seed[8..8 + n]).into_owned();
    let mutated = m.text(&text);
    let len = if m.rng().random_bool(0.9) {
        mutated.len() as u64
    } else {
        n as u64
    };
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(&mutated);
    out.extend_from_slice(&seed[8 + n..]);
    out
}

#[test]
fn mutated_monitor_files_never_panic_nor_allocate_their_claims() {
    let (seeds, batch) = {
        let _quiet = mtq_testkit::LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let b = blobs();
        let seeds = [
            monitor(&b, true, true).to_bytes(),
            monitor(&b, false, false).to_bytes(),
        ];
        let (t1, t2, tp, _) = b.part(2);
        let rows = |a: &Array2<f32>| a.slice(ndarray::s![..3, ..]).to_owned();
        (seeds, (rows(&t1), rows(&t2), rows(&tp)))
    };
    let header_len = |s: &[u8]| 8 + u64::from_le_bytes(s[..8].try_into().unwrap()) as usize;
    let mut m = Mutator::new(2049, header_len(&seeds[0]));
    let mut campaign = Campaign::new("path monitor file", budget);
    let name = Path::new("fuzz/monitor.safetensors");
    let (mut ok, mut typed) = (0usize, [0usize; 4]);
    for case in 0..CASES {
        let seed = &seeds[case % 2];
        let bytes = match case % 5 {
            0 | 1 => m.bytes(seed),
            2 => mutate_header_text(seed, &mut m),
            _ => edit_header(seed, &mut m),
        };
        campaign.case(
            || format!("seed 2049, case {case}"),
            bytes.len(),
            || match PathMonitor::from_bytes(&bytes, name) {
                Ok(monitor) => {
                    ok += 1;
                    let (t1, t2, tp) = &batch;
                    let s = Samples::new(vec![t1.view(), t2.view()]).probabilities(tp.view());
                    if let Ok(scores) = monitor.score(&s) {
                        assert_eq!(scores.len(), 3);
                    }
                }
                Err(e) => {
                    assert!(
                        e.to_string().contains("fuzz/monitor.safetensors"),
                        "error does not name its file: {e}"
                    );
                    let i = match e {
                        MonitorFileError::Io { .. } => 0,
                        MonitorFileError::NotAMonitor { .. } => 1,
                        MonitorFileError::Version { .. } => 2,
                        MonitorFileError::Damaged { .. } => 3,
                        _ => unreachable!("a variant this test does not know"),
                    };
                    typed[i] += 1;
                }
            },
        );
    }
    eprintln!("accepted {ok}, refused [io, not a monitor, version, damaged] {typed:?}");
    // Many mutations change a value a monitor may hold (a float, a name); most break it.
    assert!(ok > 0 && ok < CASES / 2, "{ok}");
    assert!(typed[1] > 0 && typed[2] > 0 && typed[3] > 0, "{typed:?}");
    campaign.finish(CASES);
}
