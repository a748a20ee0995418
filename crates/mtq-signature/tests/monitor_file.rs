//! A saved path monitor reads back bit-identical, and damaged or foreign files are refused with
//! the variant that says why, naming the file.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{blobs, monitor, monitor_with, split};
use mtq_signature::{MonitorFileError, PathMonitor, Preparation, Samples};
use serde_json::json;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtq-monitor-file-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_saved_monitor_scores_bit_identically_after_loading() {
    let b = blobs();
    let (t1, t2, tp, _) = b.part(2);
    let far1 = t1.mapv(|v| v * 6.0 + 30.0);
    let far2 = far1.mapv(f32::abs);
    let dir = scratch("round-trip");
    for (class_conditional, labelled) in
        [(false, false), (false, true), (true, true), (true, false)]
    {
        let original = monitor(&b, class_conditional, labelled);
        assert_eq!(original.dknn_k() > 0, labelled);
        let path = dir.join(format!("m-{class_conditional}-{labelled}.safetensors"));
        original.save(&path).unwrap();
        let loaded = PathMonitor::load(&path).unwrap();
        // the same bytes again: every array, scalar and name came back exactly
        assert_eq!(loaded.to_bytes(), std::fs::read(&path).unwrap());
        for (x1, x2) in [(&t1, &t2), (&far1, &far2)] {
            let batch = Samples::new(vec![x1.view(), x2.view()]).probabilities(tp.view());
            let (a, b) = (
                original.score(&batch).unwrap(),
                loaded.score(&batch).unwrap(),
            );
            assert_eq!(a, b);
            let bits = |v: &ndarray::Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.log_p), bits(&b.log_p));
            assert_eq!(bits(&a.fisher), bits(&b.fisher));
            assert_eq!(a.credibility_log_p.is_some(), labelled);
        }
        assert_eq!(loaded.settings(), original.settings());
        assert_eq!(loaded.widths(), original.widths());
        assert_eq!(loaded.cluster_names(), original.cluster_names());
        // the manifest says what was written
        let m = split(&loaded.to_bytes()).manifest();
        assert_eq!(m["format_version"], 1);
        assert_eq!(m["mtq_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(m["score_rule"], "knn1-conformal-fisher-nonredundant");
        assert_eq!(m["layers"][0]["combined"], true);
        assert_eq!(m["alpha"], 0.1);
        assert_eq!(m["class_conditional"], class_conditional);
        assert_eq!(m["dknn_k"], original.dknn_k());
        assert_eq!(m["n_reference"], 500);
        assert_eq!(m["n_calibration"], 500);
        assert_eq!(m["class_names"], json!(["a", "b", "c"]));
        assert_eq!(m["layers"][0]["name"], "h1");
        assert_eq!(m["layers"][1]["preparation"], "standardize");
        assert_eq!(m["layers"][1]["width"], 4);
        assert_eq!(
            m["layers"][0]["k"].as_u64().unwrap() as usize,
            original.cluster_names()[0].len()
        );
        assert_eq!(
            m["layers"][0]["calibration"]["pooled"]
                .as_f64()
                .unwrap()
                .to_bits(),
            original
                .layer_calibration(0)
                .unwrap()
                .tail_scale()
                .to_bits()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_preparation_reads_back() {
    let b = blobs();
    for first in [Preparation::L2Normalize, Preparation::Pca { dims: 2 }] {
        let bytes = monitor_with(&b, false, true, first).to_bytes();
        let loaded = PathMonitor::from_bytes(&bytes, Path::new("m.safetensors")).unwrap();
        assert_eq!(loaded.to_bytes(), bytes, "{first:?}");
        let m = split(&bytes).manifest();
        assert_eq!(
            m["layers"][0]["preparation"],
            serde_json::to_value(first).unwrap()
        );
    }
}

fn named(e: &MonitorFileError, name: &str) -> bool {
    e.to_string().contains(name)
}

#[test]
fn foreign_truncated_newer_and_damaged_files_are_refused() {
    let b = blobs();
    let bytes = monitor(&b, true, true).to_bytes();
    let name = Path::new("saved/monitor.safetensors");
    let load = |bytes: &[u8]| PathMonitor::from_bytes(bytes, name).unwrap_err();

    // a model's weights: safetensors, no manifest
    let weights = {
        let mut p = split(&bytes);
        p.header.retain(|k, _| k == "layer.0.centroids");
        let r = p.range("layer.0.centroids");
        p.data = p.data[r.clone()].to_vec();
        p.header["layer.0.centroids"]["data_offsets"] = json!([0, r.len()]);
        p.join()
    };
    let e = load(&weights);
    assert!(matches!(e, MonitorFileError::NotAMonitor { .. }), "{e}");
    assert!(
        named(&e, "monitor.safetensors") && named(&e, "mtq_monitor"),
        "{e}"
    );
    let e = load(b"not a safetensors file at all");
    assert!(matches!(e, MonitorFileError::NotAMonitor { .. }), "{e}");

    // truncated in its data, and in its header
    let e = load(&bytes[..bytes.len() - 3]);
    assert!(matches!(e, MonitorFileError::Damaged { .. }), "{e}");
    assert!(
        named(&e, "monitor.safetensors") && named(&e, "truncated"),
        "{e}"
    );
    let e = load(&bytes[..100]);
    assert!(matches!(e, MonitorFileError::NotAMonitor { .. }), "{e}");

    // a newer format
    let mut p = split(&bytes);
    let mut m = p.manifest();
    m["format_version"] = json!(2);
    m["a_field_of_version_2"] = json!(true);
    p.set_manifest(&m);
    let e = load(&p.join());
    assert!(
        matches!(
            e,
            MonitorFileError::Version {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(named(&e, "monitor.safetensors"), "{e}");

    // a NaN among the calibration scores
    let mut p = split(&bytes);
    let r = p.range("layer.1.calibration");
    p.data[r.start..r.start + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let e = load(&p.join());
    assert!(matches!(e, MonitorFileError::Damaged { .. }), "{e}");
    assert!(
        named(&e, "layer.1.calibration") && named(&e, "not finite"),
        "{e}"
    );

    // unsorted calibration scores
    let mut p = split(&bytes);
    let r = p.range("combined.calibration");
    p.data[r.start..r.start + 8].copy_from_slice(&1e300f64.to_le_bytes());
    let e = load(&p.join());
    assert!(
        named(&e, "combined.calibration") && named(&e, "ascending"),
        "{e}"
    );

    // a shape that fits the bytes but not the manifest
    let mut p = split(&bytes);
    let shape = p.header["layer.0.centroids"]["shape"].clone();
    let n = shape[0].as_u64().unwrap() * shape[1].as_u64().unwrap();
    p.header["layer.0.centroids"]["shape"] = json!([n, 1]);
    let e = load(&p.join());
    assert!(matches!(e, MonitorFileError::Damaged { .. }), "{e}");
    assert!(named(&e, "layer.0.centroids") && named(&e, "shape"), "{e}");

    // a tensor of another dtype, a tensor missing, a tensor more
    let mut p = split(&bytes);
    p.header["paths.counts"]["dtype"] = json!("I64");
    assert!(named(&load(&p.join()), "paths.counts"));
    let mut p = split(&bytes);
    let t = p.header.remove("credibility.calibration").unwrap();
    p.header.insert("credibility.calibration.old".into(), t);
    let e = load(&p.join());
    assert!(
        named(&e, "tensor credibility.calibration is missing"),
        "{e}"
    );
    let mut p = split(&bytes);
    let mut m = p.manifest();
    m["credibility"] = json!(null);
    m["dknn_k"] = json!(0);
    p.set_manifest(&m);
    let e = load(&p.join());
    assert!(
        named(&e, "unexpected tensor credibility.calibration"),
        "{e}"
    );

    // manifest values out of range
    for (field, value, says) in [
        ("alpha", json!(1.5), "alpha"),
        ("score_rule", json!("knn5-mean"), "score_rule"),
        ("class_names", json!(["a", "a", "c"]), "twice"),
        ("n_reference", json!(499), "n_reference"),
    ] {
        let mut p = split(&bytes);
        let mut m = p.manifest();
        m[field] = value;
        p.set_manifest(&m);
        let e = load(&p.join());
        assert!(matches!(e, MonitorFileError::Damaged { .. }), "{e}");
        assert!(named(&e, says), "{field}: {e}");
    }

    // a cluster id past its layer's k
    let mut p = split(&bytes);
    let r = p.range("paths.clusters");
    p.data[r.start..r.start + 4].copy_from_slice(&77u32.to_le_bytes());
    let e = load(&p.join());
    assert!(
        named(&e, "paths.clusters") && named(&e, "cluster 77"),
        "{e}"
    );

    // a missing file
    let e = PathMonitor::load(Path::new("/nonexistent/monitor.safetensors")).unwrap_err();
    assert!(matches!(e, MonitorFileError::Io { .. }) && named(&e, "/nonexistent/monitor"));
}

/// The network a monitor was fitted through reads back, a file without one reads as before
/// (no `network` field written), and a damaged record is refused naming the field.
#[test]
fn the_network_record_round_trips_and_is_checked() {
    use mtq_signature::{NetworkKind, NetworkRecord};
    let b = blobs();
    let mut original = monitor(&b, false, true);
    let without = original.to_bytes();
    assert!(split(&without).manifest().get("network").is_none());
    let name = Path::new("m.mtq");
    assert_eq!(
        PathMonitor::from_bytes(&without, name).unwrap().network(),
        None
    );
    let record = NetworkRecord {
        kind: NetworkKind::Weights,
        file: "nets/mlp.safetensors".into(),
        sha256: "ab".repeat(32),
        options: vec![
            ("activation".into(), "relu".into()),
            ("weight_layout".into(), "out-in".into()),
        ],
    };
    original.set_network(Some(record.clone()));
    let bytes = original.to_bytes();
    let m = split(&bytes).manifest();
    assert_eq!(m["network"]["kind"], "weights");
    assert_eq!(m["network"]["options"][0], json!(["activation", "relu"]));
    let loaded = PathMonitor::from_bytes(&bytes, name).unwrap();
    assert_eq!(loaded.network(), Some(&record));
    assert_eq!(loaded.to_bytes(), bytes);
    assert_eq!(record.option("weight_layout"), Some("out-in"));
    for (field, value, says) in [
        ("sha256", json!("AB".repeat(32)), "network.sha256"),
        ("sha256", json!("ab"), "network.sha256"),
        ("file", json!(""), "network.file"),
        ("kind", json!("torchscript"), "torchscript"),
        (
            "options",
            json!([["activation", "relu"], ["activation", "tanh"]]),
            "network.options",
        ),
    ] {
        let mut p = split(&bytes);
        let mut m = p.manifest();
        m["network"][field] = value;
        p.set_manifest(&m);
        let e = PathMonitor::from_bytes(&p.join(), name).unwrap_err();
        assert!(
            matches!(e, MonitorFileError::Damaged { .. }),
            "{field}: {e}"
        );
        assert!(named(&e, says) && named(&e, "m.mtq"), "{field}: {e}");
    }
}
