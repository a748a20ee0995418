//! From a real study to the report: blobs whose answers are known, traced by `mtq-signature`,
//! then every file `write_report` writes, checked.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use mtq_report::{
    Report, ReportMeta, SCHEMA_VERSION, SetImages, Thumbnails, explorable_html, html_report,
    sankey_svg, write_report,
};
use mtq_signature::{KRange, Samples, SignatureParams, StudyInput, UnseenSet};
use ndarray::{Array1, Array2};

/// Deterministic points around `centres` (a fixed LCG; no RNG dependency).
fn blobs(centres: &[[f32; 2]], n_per: usize, seed: u64) -> Array2<f32> {
    let mut s = seed;
    let mut noise = || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    };
    Array2::from_shape_fn((centres.len() * n_per, 2), |(i, j)| {
        centres[i / n_per][j] + noise()
    })
}

fn study() -> (mtq_signature::SignatureModel, mtq_signature::StudyResult) {
    let x = blobs(&[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], 40, 1);
    let y = Array1::from_iter((0..120).map(|i| usize::from(i >= 80)));
    let x2 = x.mapv(|v| 2.0 * v);
    let t = blobs(&[[0.0, 0.0], [0.0, 10.0]], 20, 2);
    let ty = Array1::from_iter((0..40).map(|i| usize::from(i >= 20)));
    let t2 = t.mapv(|v| 2.0 * v);
    let z = blobs(&[[6.0, 6.0]], 25, 3);
    let z2 = z.mapv(|v| 2.0 * v);
    // the calibration set: more of the training distribution, never fitted on
    let c = blobs(&[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], 20, 4);
    let cy = Array1::from_iter((0..60).map(|i| usize::from(i >= 40)));
    let c2 = c.mapv(|v| 2.0 * v);
    let model = SignatureParams::new(["h1", "h2"], ["a", "b"])
        .k_range(KRange::new(2, 5).unwrap())
        .n_init(3)
        .seed(0)
        .fit(&Samples::new(vec![x.view(), x2.view()]).labels(y.view()))
        .unwrap();
    let result = model
        .study(&StudyInput {
            seed: 7,
            test_accuracy: Some(0.99),
            reference: Samples::new(vec![x.view(), x2.view()]).labels(y.view()),
            test: Some(Samples::new(vec![t.view(), t2.view()]).labels(ty.view())),
            calibration: Some(Samples::new(vec![c.view(), c2.view()]).labels(cy.view())),
            unseen: vec![UnseenSet {
                name: "z".into(),
                samples: Samples::new(vec![z.view(), z2.view()]),
            }],
        })
        .unwrap();
    (model, result)
}

#[test]
fn a_study_becomes_a_valid_report_and_per_sample_files() {
    let (model, result) = study();
    let report = Report::new(&model, &result, &ReportMeta::new("blobs"), None);
    let d = &report.data;
    assert_eq!(d.schema_version, SCHEMA_VERSION);
    // Renderable: a balanced Sankey, curves, tables.
    html_report(d).unwrap();
    sankey_svg(&d.sankey).unwrap();
    assert_eq!(d.sankey.groups.len(), 3);
    assert!(d.sankey.groups[2].injected);
    // The trusted score is named, with how it was chosen, and evaluated on the one task.
    assert_eq!(
        d.anomaly.trusted,
        "combined p-value (kNN-1 per layer, Fisher, conformal; -log10 p)"
    );
    assert_eq!(d.anomaly.trusted_key, "combined_neg_log10_p");
    assert!(d.anomaly.rationale.contains("fixed in advance"));
    assert!(d.anomaly.rationale.contains("60 calibration samples"));
    let monitor = d.anomaly.monitor.as_ref().unwrap();
    assert_eq!(monitor.unseen[0].flagged, 25, "every stranger is flagged");
    assert!(d.anomaly.scores.iter().all(|s| s.results.len() == 1));
    assert_eq!(d.anomaly.scores[0].results[0].task, "test vs z");
    assert!(d.redundancy.verdict.contains("h2 repeats h1 (CKA 1.000)"));
    assert!(d.redundancy.verdict.contains("linear CKA"));

    // samples.csv: one row per sample, snake_case columns, set names people can filter on.
    let csv = report.samples.to_csv();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..10],
        [
            "set",
            "id",
            "true_label",
            "true_class",
            "predicted",
            "predicted_class",
            "h1_cluster",
            "h1_cluster_id",
            "h1_distance",
            "h2_cluster"
        ]
    );
    assert!(header.contains(&"anomaly_score") && header.contains(&"knn_h1_k1_l2"));
    for monitor_column in ["p_value", "flagged", "left_at", "h1_p_value", "h2_p_value"] {
        assert!(header.contains(&monitor_column), "{monitor_column}");
    }
    assert!(header.iter().all(|h| {
        h.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 120 + 40 + 25);
    // true_label and predicted are class indices (integers) whatever the class names, so a
    // plain comparison of the two columns is the network's hit; an unseen row has no label.
    for r in &rows {
        if r[0] == "unseen:z" {
            assert!(r[2].is_empty() && r[3] == "z", "{r:?}");
        } else {
            let label: usize = r[2].parse().unwrap();
            assert_eq!(r[3], ["a", "b"][label], "{r:?}");
        }
        if !r[4].is_empty() {
            let predicted: usize = r[4].parse().unwrap();
            assert_eq!(r[5], ["a", "b"][predicted], "{r:?}");
        }
    }
    let count = |set: &str| rows.iter().filter(|r| r[0] == set).count();
    assert_eq!(
        (count("reference"), count("test"), count("unseen:z")),
        (120, 40, 25)
    );
    // Every row has every column; the score columns are the test set's, in its order (the
    // reference has no kNN scores: not computed, its cells are empty).
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let test_keys: Vec<String> = result.sets[1]
        .scores
        .columns
        .iter()
        .map(|c| c.key())
        .collect();
    assert_eq!(header[header.len() - test_keys.len()..], test_keys);
    assert!(result.sets[0].scores.columns.len() < test_keys.len());
    // anomaly_score is the trusted column; the reference's own kNN cells are empty.
    let a = header.iter().position(|h| *h == "anomaly_score").unwrap();
    let k = header
        .iter()
        .position(|h| *h == "combined_neg_log10_p")
        .unwrap();
    let f = header.iter().position(|h| *h == "flagged").unwrap();
    assert!(
        rows.iter()
            .filter(|r| r[0] == "unseen:z")
            .all(|r| r[f] == "true")
    );
    assert!(rows.iter().all(|r| r[a] == r[k]));
    assert!(
        rows.iter()
            .filter(|r| r[0] == "reference")
            .all(|r| r[a].is_empty())
    );
    assert!(
        rows.iter()
            .filter(|r| r[0] != "reference")
            .all(|r| !r[a].is_empty())
    );

    // samples.json: flat records with the same keys, null for the empty cells.
    let json: serde_json::Value = serde_json::from_str(&report.samples.to_json().unwrap()).unwrap();
    let records = json.as_array().unwrap();
    assert_eq!(records.len(), 185);
    let keys: Vec<&String> = records[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), header.len());
    assert!(records[0]["anomaly_score"].is_null());
    assert!(records[184]["anomaly_score"].is_f64());
    assert_eq!(records[184]["set"], "unseen:z");
}

#[test]
fn write_report_writes_all_five_files() {
    let (model, result) = study();
    let report = Report::new(&model, &result, &ReportMeta::new("blobs"), None);
    let dir = std::env::temp_dir().join(format!("mtq-report-five-{}", std::process::id()));
    let files = write_report(&dir, &report).unwrap();
    for f in [
        &files.sankey_svg,
        &files.html,
        &files.json,
        &files.samples_csv,
        &files.samples_json,
    ] {
        assert!(std::fs::metadata(f).unwrap().len() > 100, "{}", f.display());
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files.json).unwrap()).unwrap();
    assert_eq!(json["schema_version"], SCHEMA_VERSION);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The explorable page's per-sample data gives back the Sankey's bands of `report.json` (the
/// test set, the study having one, and the unseen sets, as the page draws them by default), and
/// is embedded whole.
#[test]
fn explore_data_reproduces_the_sankey_bands() {
    let (model, result) = study();
    let report = Report::new(&model, &result, &ReportMeta::new("blobs"), None);
    let x = &report.explore;
    assert_eq!(x.sets.len(), 3);
    assert_eq!(x.layers, vec!["h1".to_string(), "h2".into()]);
    assert!(!x.with_predictions);
    let l = x.layers.len();
    let mut bands = std::collections::BTreeMap::new();
    assert_eq!(x.shown_set, "test");
    assert_eq!(
        report
            .data
            .shown_set
            .as_ref()
            .map(|s| (s.key.as_str(), s.n)),
        Some(("test", 40))
    );
    for s in x.sets.iter().filter(|s| s.key != "reference") {
        assert_eq!(s.clusters.len(), s.ids.len() * l);
        assert_eq!(s.distances.len(), s.ids.len() * l);
        for i in 0..s.ids.len() {
            let g = usize::try_from(s.group[i]).unwrap();
            let mut prev = g;
            for c in 0..l {
                let n = s.clusters[i * l + c] as usize;
                *bands.entry((c, prev, n, g)).or_insert(0usize) += 1;
                prev = n;
            }
        }
    }
    let expected: std::collections::BTreeMap<_, _> = report
        .data
        .sankey
        .links
        .iter()
        .map(|k| ((k.from.0, k.from.1, k.to.1, k.group), k.count))
        .collect();
    assert_eq!(bands, expected);
    // The unseen set is the third band group; its scores are the trusted score's.
    assert!(x.sets[2].group.iter().all(|&g| g == 2));
    assert!(x.groups[2].injected);
    assert!(x.sets[2].score.iter().all(Option::is_some));
    assert!(
        x.sets[0].score.iter().all(Option::is_none),
        "reference kNN not computed"
    );
    // K-trees: one per layer, a row per K tried, every row a partition of the reference.
    for t in &x.ktrees {
        assert_eq!(t.ks, vec![2, 3, 4, 5]);
        assert!(t.sizes.iter().all(|r| r.iter().sum::<usize>() == 120));
        let moved: usize = t.edges.iter().filter(|e| e[0] == 0).map(|e| e[3]).sum();
        assert_eq!(moved, 120);
    }
    // Embedded in the page as one JSON blob that parses back.
    let html = explorable_html(&report.data, x).unwrap();
    let start = html.find("id=\"mtq-data\">").unwrap() + "id=\"mtq-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let blob: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(blob["sets"][2]["key"], "unseen:z");
    assert_eq!(html.matches("<script").count(), 2);
}

/// Thumbnails: 4-bit grey levels, two pixels a byte, only for the sets whose size matches.
#[test]
fn thumbnails_are_packed_and_checked_against_the_set_size() {
    let (model, result) = study();
    let mut meta = ReportMeta::new("blobs");
    let n_ref = result.sets[0].len();
    meta.thumbnails = Some(Thumbnails {
        width: 2,
        height: 2,
        channels: 1,
        sets: vec![
            SetImages::from_unit_floats("reference", (0..n_ref * 4).map(|i| (i % 4) as f32 / 3.0)),
            // Wrong size: left out, not misread.
            SetImages::from_unit_floats("unseen:z", vec![1.0; 3]),
        ],
    });
    let report = Report::new(&model, &result, &meta, None);
    let x = &report.explore;
    assert_eq!((x.thumb_width, x.thumb_height), (2, 2));
    assert_eq!(x.sets[0].thumb_rows.len(), n_ref);
    // Pixels 0, 85, 170, 255 -> nibbles 0, 5, 10, 15 -> bytes 0x05, 0xAF -> "Ba8=" per image.
    assert!(x.sets[0].thumbs.starts_with("Ba8F"));
    assert!(x.sets[2].thumbs.is_empty() && x.sets[2].thumb_rows.is_empty());
    assert!(x.sets[1].thumbs.is_empty());
}

/// Several seeds: one table row per seed (K per layer, verdicts, AUROCs), not sentences.
#[test]
fn several_seeds_make_one_table() {
    let (model, result) = study();
    let st = mtq_signature::stability(&[(&model, &result), (&model, &result)]).unwrap();
    let report = Report::new(&model, &result, &ReportMeta::new("blobs"), Some(&st));
    let html = html_report(&report.data).unwrap();
    let table = &html[html.find("<table class=\"seeds\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    // Two seed rows (the same seed twice here), each with K per layer and both AUROCs.
    assert_eq!(table.matches("<tr><td class=\"n\">7</td>").count(), 2);
    assert!(table.contains("max-softmax"));
    // The stability notes stay in report.json but are not repeated as headlines.
    assert!(!report.data.notes.is_empty());
    assert!(!html.contains(&report.data.notes[0]));
}
