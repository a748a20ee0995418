//! HTML report, silhouette and ROC charts, JSON round trip; also writes the demo report
//! (`target/tmp/mtq-report-demo/`) to look at in a browser.

#[path = "report_fixtures/sample.rs"]
mod sample;
#[path = "report_fixtures/xml.rs"]
mod xml;

use serde_json::Value;

use mtq_report::{ReportData, ReportError, html_report, roc_svg, silhouette_svg, write_report};

#[test]
fn report_is_self_contained_well_formed_and_has_every_section() {
    let data = sample::report();
    let html = html_report(&data).unwrap();
    xml::check(&html).unwrap();
    for section in [
        "How the samples flow",
        "Choosing K per layer",
        "Clusters per layer",
        "Paths per class",
        "Layer redundancy",
        "Strangers",
        "Anomaly scores",
    ] {
        assert!(html.contains(section), "missing section {section}");
    }
    assert!(!html.contains("<script"));
    assert!(!html.contains("src="));
    assert!(!html.contains("<link"));
    assert!(!html.contains("@import") && !html.contains("url(http"));
    // Four inline SVGs: layer agreement, Sankey, silhouette, ROC.
    assert_eq!(html.matches("<svg ").count(), 4);
    // The layer table: one row per layer, the unseen classes' main clusters.
    let table = &html[html.find("<table class=\"layers\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr").count(), 1 + data.summary.layers.len());
    assert!(table.contains("unseen 4: main cluster"));
}

/// A K chosen at the end of the range tried is said, with the advice to widen it; not when
/// the sweep was cut short by the layer's distinct rows (a note says that), and not inside.
#[test]
fn a_k_at_the_edge_of_its_range_is_said() {
    let mut data = sample::report();
    let line = |d: &ReportData| {
        mtq_report::sentences::headlines(d)
            .into_iter()
            .find(|l| l.starts_with("Clusters, fitted on the reference"))
            .unwrap()
    };
    assert!(!line(&data).contains("K tried"), "{}", line(&data));
    data.silhouette_curves[0].chosen_k = 10;
    assert!(
        line(&data).contains(
            "h1 (K = 10) chose the largest K tried, a larger one may fit better: widen the K range."
        ),
        "{}",
        line(&data)
    );
    data.silhouette_curves[0].capped = true;
    assert!(!line(&data).contains("K tried"), "{}", line(&data));
}

#[test]
fn headlines_are_generated_from_the_numbers() {
    let mut data = sample::report();
    let html = html_report(&data).unwrap();
    let headlines =
        &html[html.find("<ul class=\"headlines\">").unwrap()..html.find("</ul>").unwrap()];
    assert!(headlines.contains("99.55 %"), "accuracy");
    assert!(headlines.contains("K = 2 in every one of the 3 layers"));
    assert!(headlines.contains("Of the 442 test samples (test 1/7)"));
    assert!(headlines.contains("(896 reference (training) samples)"));
    // 895 of 896 ones take the archetypal path.
    assert!(headlines.contains("895 of 896") && headlines.contains("h1:1 → h2:1 → out:1"));
    assert!(headlines.contains("835 of 859"));
    assert!(headlines.contains("h2 repeats h1 (CKA 0.982)"));
    assert!(!headlines.contains("out repeats h2"));
    // 181 of 191 fours are predicted 7.
    assert!(headlines.contains("predicted 7 for 94.8 %"));
    assert!(headlines.contains(&sample::SCORES[4].0.to_string()));
    assert!(headlines.contains("Weakest score: path rarity"));
    assert!(headlines.contains(&data.notes[0]));

    // Change the numbers: the sentences follow.
    data.summary.test_accuracy = Some(0.5);
    for p in &mut data.redundancy.pairs {
        p.redundant = false;
        p.cka = Some(0.5);
    }
    let html = html_report(&data).unwrap();
    assert!(html.contains("50.00 %"));
    assert!(html.contains("No layer is redundant"));
}

#[test]
fn trusted_score_is_highlighted_and_best_per_task_bold() {
    let html = html_report(&sample::report()).unwrap();
    assert_eq!(html.matches("<tr class=\"trusted\">").count(), 1);
    assert_eq!(html.matches("class=\"n best\"").count(), 2);
}

#[test]
fn text_from_data_is_escaped() {
    let mut data = sample::report();
    data.title = "<b>bold</b> & \"quoted\"".into();
    data.notes.push("<script>alert(1)</script>".into());
    data.path_tables[0].class = "<img src=x>".into();
    let html = html_report(&data).unwrap();
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>bold"));
    xml::check(&html).unwrap();
}

/// Compares two JSON trees, numbers to the last bit but one (serde_json's default parser may
/// be one ulp off; its output is the shortest exact representation).
fn assert_same(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().expect("finite"), y.as_f64().expect("finite"));
            assert!(
                (x - y).abs() <= 2.0 * f64::EPSILON * x.abs().max(y.abs()),
                "{at}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_same(p, q, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}"
            );
            for (k, p) in x {
                assert_same(p, &y[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn json_round_trip_keeps_every_number() {
    let data = sample::report();
    let json = serde_json::to_string_pretty(&data).unwrap();
    let back: ReportData = serde_json::from_str(&json).unwrap();
    assert_same(
        &serde_json::to_value(&back).unwrap(),
        &serde_json::to_value(&data).unwrap(),
        "$",
    );
    // Everything but the floats is exactly equal.
    assert_eq!(back.sankey, data.sankey);
    assert_eq!(back.path_tables, data.path_tables);
    assert_eq!(back.strangers, data.strangers);
    assert_eq!(back.summary, data.summary);
    assert!(json.contains("\"fpr_at_95_tpr\"") && json.contains("\"chosen_k\": 2"));
}

#[test]
fn silhouette_chart_marks_each_chosen_k() {
    let data = sample::report();
    let svg = silhouette_svg(&data.silhouette_curves).unwrap();
    xml::check(&svg).unwrap();
    assert_eq!(svg.matches("class=\"curve\"").count(), 3);
    assert_eq!(svg.matches("class=\"mark\"").count(), 3);
    assert!(svg.contains("h2: K = 2 (silhouette 0.686)"));
}

#[test]
fn roc_chart_has_a_panel_per_task_and_auroc_in_the_legend() {
    let data = sample::report();
    let svg = roc_svg(&data.anomaly.roc_curves, &data.anomaly.trusted).unwrap();
    xml::check(&svg).unwrap();
    // The trusted score's curve: one per task, drawn thick and labelled "trusted".
    let trusted = data
        .anomaly
        .roc_curves
        .iter()
        .filter(|c| c.name == data.anomaly.trusted)
        .count();
    assert_eq!(trusted, 2);
    assert_eq!(
        svg.matches("class=\"curve\"").count() + trusted,
        data.anomaly.roc_curves.len()
    );
    assert_eq!(svg.matches("class=\"curve trusted\"").count(), trusted);
    assert_eq!(svg.matches(">trusted</text>").count(), trusted);
    assert!(svg.contains(&format!("trusted: {}", data.anomaly.trusted)));
    assert_eq!(svg.matches("<title>chance</title>").count(), 2);
    for task in sample::TASKS {
        assert!(svg.contains(&format!("ROC: {}", task)));
    }
    assert!(svg.contains("AUROC 0.931"));
}

#[test]
fn bad_report_data_is_a_typed_error() {
    let good = sample::report();

    let mut d = good.clone();
    d.silhouette_curves[1].silhouette.pop();
    assert!(matches!(
        html_report(&d),
        Err(ReportError::CurveLengthMismatch { xs: 9, ys: 8, .. })
    ));

    let mut d = good.clone();
    d.silhouette_curves[0].silhouette[3] = f64::NAN;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::ValueOutOfRange { index: 3, .. })
    ));

    let mut d = good.clone();
    d.silhouette_curves[0].chosen_k = 11;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::ChosenKNotOnCurve { chosen_k: 11, .. })
    ));

    let mut d = good.clone();
    d.silhouette_curves[0].k.swap(0, 1);
    assert!(matches!(
        html_report(&d),
        Err(ReportError::KNotIncreasing { index: 1, .. })
    ));

    let mut d = good.clone();
    d.silhouette_curves[2].k.clear();
    d.silhouette_curves[2].silhouette.clear();
    assert!(matches!(
        html_report(&d),
        Err(ReportError::EmptyCurve { .. })
    ));

    let mut d = good.clone();
    d.anomaly.roc_curves[0].tpr[5] = 1.5;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::ValueOutOfRange { index: 5, .. })
    ));

    let mut d = good.clone();
    d.anomaly.roc_curves[2].fpr.swap(10, 11);
    assert!(matches!(
        html_report(&d),
        Err(ReportError::RocNotMonotone {
            rate: "FPR",
            index: 11,
            ..
        })
    ));

    let mut d = good.clone();
    d.anomaly.scores[0].results[1].auroc = -0.1;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::ValueOutOfRange { .. })
    ));

    let mut d = good.clone();
    d.anomaly.trusted = "a score nobody computed".into();
    assert!(matches!(
        html_report(&d),
        Err(ReportError::UnknownTrustedScore { scores: 6, .. })
    ));

    // Without any score, a trusted name is shown as is (nothing to check it against).
    let mut d = good.clone();
    d.anomaly.scores.clear();
    d.anomaly.roc_curves.clear();
    d.anomaly.trusted = "combined".into();
    assert!(html_report(&d).unwrap().contains("Trust: combined."));

    let mut d = good.clone();
    d.path_tables[1].rows[0].path.pop();
    assert!(matches!(
        html_report(&d),
        Err(ReportError::RowLength {
            row: 0,
            expected: 3,
            found: 2,
            ..
        })
    ));

    let mut d = good.clone();
    d.path_tables[1].n_samples = 10;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::CountsExceedTotal { total: 10, .. })
    ));

    let mut d = good.clone();
    d.strangers[0].main_clusters[2].count = d.strangers[0].n_samples + 1;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::CountsExceedTotal { .. })
    ));

    let mut d = good.clone();
    d.strangers[0].routes[0].shares[0].count += 1000;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::CountsExceedTotal { total: 191, .. })
    ));

    let mut d = good.clone();
    d.cluster_tables[0].clusters[0].counts.push(1);
    assert!(matches!(
        html_report(&d),
        Err(ReportError::RowLength {
            expected: 2,
            found: 3,
            ..
        })
    ));

    let mut d = good.clone();
    d.redundancy.pairs[0].cka = Some(f64::INFINITY);
    assert!(matches!(
        html_report(&d),
        Err(ReportError::ValueOutOfRange { .. })
    ));

    let mut d = good.clone();
    d.summary.test_accuracy = Some(99.5);
    assert!(matches!(
        html_report(&d),
        Err(ReportError::ValueOutOfRange { .. })
    ));

    let mut d = good;
    d.sankey.links[0].group = 99;
    assert!(matches!(
        html_report(&d),
        Err(ReportError::MissingGroup { group: 99, .. })
    ));

    assert!(matches!(
        silhouette_svg(&[]),
        Err(ReportError::EmptyCurve { .. })
    ));
    assert!(matches!(
        roc_svg(&[], ""),
        Err(ReportError::EmptyCurve { .. })
    ));
}

/// Writes the demo report to `target/tmp/mtq-report-demo/` (report.html, sankey.svg,
/// report.json) so it can be opened or rendered headless:
/// `cargo test -p mtq-report --test report_html demo` then open the printed folder.
#[test]
fn demo_report_is_written() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mtq-report-demo");
    let report = mtq_report::Report {
        data: sample::report(),
        samples: mtq_report::SampleTable::from_rows(vec!["set".into()], &[]),
        explore: mtq_report::ExploreData::default(),
    };
    let files = write_report(&dir, &report).unwrap();
    println!("demo report in {}", dir.display());
    for f in [&files.html, &files.sankey_svg, &files.json] {
        assert!(
            std::fs::metadata(f).unwrap().len() > 1000,
            "{}",
            f.display()
        );
    }
}

/// At twenty layers the headlines summarise: no sentence names every layer, each counts a named
/// set, and the layer table and agreement strip carry the per-layer numbers.
#[test]
fn headlines_never_list_every_layer() {
    let mut data = sample::report();
    let names: Vec<String> = (1..=19).map(|i| format!("h{i}")).collect();
    let curve = data.silhouette_curves[0].clone();
    data.silhouette_curves = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut c = curve.clone();
            c.layer = n.clone();
            c.chosen_k = c.k[i % 3];
            c
        })
        .collect();
    let route = data.strangers[0].routes[0].clone();
    for st in &mut data.strangers {
        st.routes = names
            .iter()
            .map(|n| {
                let mut r = route.clone();
                r.layer = n.clone();
                r
            })
            .collect();
    }
    let lines = mtq_report::sentences::headlines(&data);
    for line in &lines {
        if line.starts_with("Redundant layer") || line.starts_with("No layer is redundant") {
            continue; // the redundancy verdict's own wording
        }
        let named = names
            .iter()
            .filter(|n| {
                line.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == n.as_str())
            })
            .count();
        assert!(named <= 4, "{named} layers named in: {line}");
    }
    let k = lines.iter().find(|l| l.starts_with("Clusters")).unwrap();
    assert!(k.contains("K ranges 2-4 over the 19 layers"), "{k}");
    assert!(k.contains("see the layer table"), "{k}");
    let unseen = lines
        .iter()
        .find(|l| l.starts_with("Unseen class 4"))
        .unwrap();
    assert!(
        unseen.contains("at h1") && unseen.contains("h19"),
        "{unseen}"
    );
    assert!(
        unseen.contains("every layer in the layer table"),
        "{unseen}"
    );
}
