//! Portable storage: numpy-written fixtures, save/load round trips and manifest mismatches.

use std::path::{Path, PathBuf};

use mtq_activations::{
    Activations, ActivationsError, DataError, Layer, LayerKind, read_npy_labels, read_npy_matrix,
};
use mtq_testkit::raw_npy;
use ndarray::{Array1, Array2, array};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A fresh directory under the system temp dir, unique per test and process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtq-activations-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test setup");
    dir
}

fn h1() -> Array2<f32> {
    Array2::from_shape_fn((5, 3), |(i, j)| i as f32 * 0.5 - j as f32 * 0.25)
}

fn h2() -> Array2<f32> {
    Array2::from_shape_fn((5, 2), |(i, j)| i as f32 * 0.125 + j as f32)
}

#[test]
fn reads_a_set_written_by_numpy() {
    let acts = Activations::load(fixtures().join("numpy_set")).unwrap();
    assert_eq!(acts.layer_names(), ["h1", "h2"]);
    assert_eq!(acts.layer("h1").unwrap().values(), h1());
    // float64, Fortran order in the file: converted, standard layout here
    let l2 = acts.layer("h2").unwrap();
    assert_eq!(l2.values(), h2());
    assert!(l2.values().is_standard_layout());
    assert_eq!(l2.index(), 1);
    assert_eq!(l2.kind(), LayerKind::Hidden);
    assert_eq!(acts.labels().to_vec(), [1, 7, 7, 1, 7]);
    assert_eq!(acts.ids().to_vec(), [100, 101, 102, 103, 104]);
    // the manifest file itself is accepted as the path too
    let again = Activations::load(fixtures().join("numpy_set/manifest.json")).unwrap();
    assert_eq!(again, acts);
}

#[test]
fn single_numpy_files() {
    let f = read_npy_matrix(fixtures().join("f32_fortran.npy")).unwrap();
    assert_eq!(f, h1());
    assert!(f.is_standard_layout());
    // Another dtype and another rank are said, with the file.
    let err = read_npy_matrix(fixtures().join("f16.npy")).unwrap_err();
    assert!(
        matches!(&err, ActivationsError::Data(DataError::NpyDtype { path, dtype, .. })
            if path.ends_with("f16.npy") && dtype == "float16"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("float16") && err.to_string().contains("float32 or float64"),
        "{err}"
    );
    let err = read_npy_matrix(fixtures().join("rank1.npy")).unwrap_err();
    assert!(
        matches!(&err, ActivationsError::Data(DataError::NpyRank { path, .. }) if path.ends_with("rank1.npy")),
        "{err:?}"
    );
    assert_eq!(
        read_npy_labels(fixtures().join("labels_u8.npy"))
            .unwrap()
            .to_vec(),
        [1, 7, 7, 1, 7]
    );
    let err = read_npy_labels(fixtures().join("labels_neg.npy")).unwrap_err();
    assert!(
        matches!(&err, ActivationsError::Data(DataError::NpyLabel { row: 1, value, reason, .. })
            if value == "-3" && reason == "negative"),
        "{err:?}"
    );
    // a float matrix is not a label file: its rank is said
    assert!(matches!(
        read_npy_labels(fixtures().join("numpy_set/h1.npy")),
        Err(ActivationsError::Data(DataError::NpyRank { .. }))
    ));
    let err = read_npy_matrix(fixtures().join("missing.npy")).unwrap_err();
    assert!(matches!(err, ActivationsError::Io { path, .. } if path.ends_with("missing.npy")));
}

fn sample_set() -> Activations {
    Activations::new(
        vec![
            Layer::new("h1", h1()).with_index(0),
            Layer::new("weird/name", h2()).with_index(3),
            Layer::new("probs", Array2::from_elem((5, 2), 0.5)).with_kind(LayerKind::Probabilities),
        ],
        array![1, 7, 7, 1, 7],
        Array1::from_iter(40..45),
    )
    .expect("test setup")
}

#[test]
fn save_load_round_trip() {
    let dir = scratch("round-trip");
    let acts = sample_set();
    let manifest = acts.save(&dir).unwrap();
    assert_eq!(manifest, dir.join("manifest.json"));
    let back = Activations::load(&dir).unwrap();
    assert_eq!(back, acts);
    assert_eq!(back.layers()[1].index(), 3);
    assert_eq!(back.layers()[2].kind(), LayerKind::Probabilities);
    // file names stay inside the directory whatever the layer name
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(json["layers"][1]["file"], "layer1-weird_name.npy");
    assert_eq!(json["dtype"], "float32");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Saves the sample set, edits its manifest with `edit`, and returns the load error.
fn load_after(name: &str, edit: impl FnOnce(&mut Value, &Path)) -> ActivationsError {
    let dir = scratch(name);
    sample_set().save(&dir).expect("test setup");
    let path = dir.join("manifest.json");
    let mut json: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("test setup"))
            .expect("test setup");
    edit(&mut json, &dir);
    std::fs::write(&path, serde_json::to_string(&json).expect("test setup")).expect("test setup");
    let err = Activations::load(&dir).expect_err("the edited manifest must not load");
    std::fs::remove_dir_all(&dir).expect("test setup");
    err
}

#[test]
fn manifest_mismatches_are_typed_errors() {
    let err = load_after("width", |j, _| j["layers"][0]["width"] = 4.into());
    assert!(
        matches!(
            &err,
            ActivationsError::ShapeMismatch { path, expected, found }
                if path.ends_with("layer0-h1.npy") && expected == &[5, 4] && found == &[5, 3]
        ),
        "{err:?}"
    );

    let err = load_after("n", |j, _| j["n_samples"] = 6.into());
    assert!(
        matches!(&err, ActivationsError::ShapeMismatch { path, expected, found }
        if path.ends_with("labels.npy") && expected == &[6] && found == &[5]),
        "{err:?}"
    );

    let err = load_after("missing", |j, _| j["layers"][1]["file"] = "nope.npy".into());
    assert!(
        matches!(&err, ActivationsError::Io { path, .. } if path.ends_with("nope.npy")),
        "{err:?}"
    );

    for file in ["../h1.npy", "/etc/passwd", ""] {
        let err = load_after("escape", |j, _| j["layers"][0]["file"] = file.into());
        assert!(
            matches!(&err, ActivationsError::ManifestFileName { file: f, .. } if f == file),
            "{err:?}"
        );
    }

    let err = load_after("dtype", |j, _| j["dtype"] = "float64".into());
    assert!(
        matches!(&err, ActivationsError::DtypeMismatch { expected, found, .. }
        if expected == "float64" && found == "float32"),
        "{err:?}"
    );
    let err = load_after("dtype16", |j, _| j["dtype"] = "float16".into());
    assert!(
        matches!(&err, ActivationsError::ManifestDtype { dtype, .. } if dtype == "float16"),
        "{err:?}"
    );

    let err = load_after("version", |j, _| j["version"] = 2.into());
    assert!(
        matches!(
            err,
            ActivationsError::ManifestVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let err = load_after("format", |j, _| j["format"] = "other".into());
    assert!(
        matches!(&err, ActivationsError::ManifestFormat { found, .. } if found == "other"),
        "{err:?}"
    );

    let err = load_after("dup", |j, _| j["layers"][1]["name"] = "h1".into());
    assert!(
        matches!(&err, ActivationsError::DuplicateLayer { name } if name == "h1"),
        "{err:?}"
    );

    let err = load_after("nolayers", |j, _| j["layers"] = Value::Array(vec![]));
    assert!(matches!(err, ActivationsError::NoLayers), "{err:?}");

    let err = load_after("json", |j, _| j["layers"] = "h1".into());
    assert!(
        matches!(err, ActivationsError::ManifestJson { .. }),
        "{err:?}"
    );

    // a layer file swapped for one holding a NaN: reported with layer, sample and id
    let err = load_after("nan", |_, dir| {
        let mut v = h1();
        v[[2, 1]] = f32::NAN;
        mtq_data::npy::write_npy(dir.join("layer0-h1.npy"), &v).unwrap();
    });
    assert!(
        matches!(&err, ActivationsError::NonFinite { layer, sample: 2, id: 42, unit: 1, .. }
        if layer == "h1"),
        "{err:?}"
    );

    // a truncated layer file
    let err = load_after("truncated", |_, dir| {
        let path = dir.join("layer0-h1.npy");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    });
    assert!(
        matches!(&err, ActivationsError::Data(DataError::NpySize { path, expected: Some(60), actual: 53, .. })
            if path.ends_with("layer0-h1.npy")),
        "{err:?}"
    );
}

#[test]
fn missing_manifest_is_an_io_error_with_its_path() {
    let dir = scratch("empty");
    let err = Activations::load(&dir).unwrap_err();
    assert!(matches!(&err, ActivationsError::Io { path, .. } if path.ends_with("manifest.json")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hostile_headers_are_refused_before_allocating() {
    let dir = scratch("hostile-headers");
    let path = dir.join("x.npy");
    let write = |b: &[u8]| std::fs::write(&path, b).unwrap();
    // 16 GB promised by 64 bytes of data
    write(&raw_npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 4), }",
        &[0; 64],
    ));
    let err = read_npy_matrix(&path).unwrap_err();
    assert!(
        matches!(
            &err,
            ActivationsError::Data(DataError::NpySize {
                expected: Some(16_000_000_000),
                actual: 64,
                ..
            })
        ),
        "{err}"
    );
    // a shape whose byte count overflows usize
    write(&raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
        &[],
    ));
    assert!(matches!(
        read_npy_matrix(&path),
        Err(ActivationsError::Data(DataError::NpySize {
            expected: None,
            ..
        }))
    ));
    // unclosed brackets: the literal parser would backtrack for minutes
    write(&raw_npy(
        &format!("{{'descr': {}'<f8', 'shape': (3,)}}", "[".repeat(24)),
        &[0; 24],
    ));
    let err = read_npy_labels(&path).unwrap_err();
    assert!(err.to_string().contains("brackets deep"), "{err}");
    // a header length beyond the file
    let mut b = raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
        &[0; 24],
    );
    b[8..10].copy_from_slice(&60_000u16.to_le_bytes());
    write(&b);
    let err = read_npy_labels(&path).unwrap_err();
    assert!(
        err.to_string().contains("bytes but the file holds only"),
        "{err}"
    );
    // float64 beyond float32's range is named, not turned into infinity
    let mut data = Vec::new();
    for v in [1.0f64, 2.0, 1e40, 4.0] {
        data.extend_from_slice(&v.to_le_bytes());
    }
    write(&raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
        &data,
    ));
    let err = read_npy_matrix(&path).unwrap_err();
    assert!(
        matches!(err, ActivationsError::Data(DataError::NpyF32Range { ref index, value, .. })
            if index == &[1, 0] && value == 1e40),
        "{err}"
    );
    // every byte order and layout is streamed into the same standard-layout matrix
    let want = Array2::from_shape_fn((2, 3), |(i, j)| (10 * i + j) as f32 + 0.5);
    for (descr, fortran, big) in [
        ("<f4", false, false),
        ("<f4", true, false),
        (">f4", false, true),
        ("<f8", true, false),
        (">f8", true, true),
    ] {
        let order: Vec<(usize, usize)> = if fortran {
            (0..3).flat_map(|j| (0..2).map(move |i| (i, j))).collect()
        } else {
            (0..2).flat_map(|i| (0..3).map(move |j| (i, j))).collect()
        };
        let mut data = Vec::new();
        for (i, j) in order {
            let v = want[[i, j]];
            match (descr.ends_with('8'), big) {
                (true, true) => data.extend_from_slice(&f64::from(v).to_be_bytes()),
                (true, false) => data.extend_from_slice(&f64::from(v).to_le_bytes()),
                (false, true) => data.extend_from_slice(&v.to_be_bytes()),
                (false, false) => data.extend_from_slice(&v.to_le_bytes()),
            }
        }
        let order = if fortran { "True" } else { "False" };
        write(&raw_npy(
            &format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': (2, 3), }}"),
            &data,
        ));
        let got = read_npy_matrix(&path).unwrap();
        assert_eq!(got, want, "{descr} fortran {fortran}");
        assert!(got.is_standard_layout());
    }
    // a matrix of int64 says its dtype
    write(&raw_npy(
        "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }",
        &[0; 8],
    ));
    let err = read_npy_matrix(&path).unwrap_err();
    assert!(
        err.to_string().contains("int64") && err.to_string().contains("float32 or float64"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
