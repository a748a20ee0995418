//! The comparison page and its files: heatmaps per layer map, escaped names, headlines beyond
//! noise only, the JSON round trip, the size bound, and finished reports read back as facts.

#[path = "report_fixtures/sample.rs"]
mod sample;
#[path = "report_fixtures/xml.rs"]
mod xml;

use mtq_report::{
    CompareReport, ReportError, StudyLink, compare_html, read_report_json, study_facts_from_report,
    write_compare,
};
use mtq_signature::compare::{
    AurocFact, CompareParams, Comparison, Count, MainPath, Quantity, Routes, ScoreRole, SeedFacts,
    SharedInputs, StudyFacts, compare,
};
use ndarray::Array2;

/// A deterministic stream in `[0, 1)` (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

const N_SHARED: usize = 48;

/// One seed: accuracy `acc` of 1000, class 1's main path `path` of 500, `route` of 200 unseen
/// 3s predicted 1, AUROCs without samples; test signatures on [`N_SHARED`] shared ids.
fn seed(seed: u64, layers: &[&str], acc: usize, path: usize, route: usize) -> SeedFacts {
    let mut rng = Lcg(seed * 7919 + layers.len() as u64);
    let layers: Vec<String> = layers.iter().map(|l| (*l).to_owned()).collect();
    let l = layers.len();
    let activations: Vec<Array2<f32>> = (0..l)
        .map(|_| Array2::from_shape_fn((N_SHARED, 4), |_| rng.next()))
        .collect();
    let clusters = Array2::from_shape_fn((N_SHARED, l), |(i, j)| (i * (j + 1) + seed as usize) % 3);
    SeedFacts {
        seed,
        accuracy: Some(Count { hits: acc, n: 1000 }),
        layers: layers.clone(),
        ks: vec![3; l],
        redundant: (1..l).map(|i| i == 1 && seed == 0).collect(),
        class_paths: vec![MainPath {
            class: "1".into(),
            path: layers
                .iter()
                .map(|x| format!("{x}:1"))
                .collect::<Vec<_>>()
                .join(" > "),
            count: Count { hits: path, n: 500 },
        }],
        unseen_paths: vec![],
        routes: vec![Routes {
            class: "3".into(),
            to: vec![
                (
                    "1".into(),
                    Count {
                        hits: route,
                        n: 200,
                    },
                ),
                (
                    "7".into(),
                    Count {
                        hits: 200 - route,
                        n: 200,
                    },
                ),
            ],
        }],
        aurocs: vec![AurocFact {
            task: "3".into(),
            role: ScoreRole::Trusted,
            score: "kNN h1".into(),
            auroc: 0.9,
            n_negatives: 1000,
            n_positives: 200,
            samples: None,
        }],
        shared: Some(SharedInputs {
            ids: (0..N_SHARED).collect(),
            layers,
            clusters,
            activations: Some(activations),
        }),
    }
}

fn study(name: &str, layers: &[&str], acc: usize, path: usize, route: usize) -> StudyFacts {
    StudyFacts {
        name: name.into(),
        data: "digits 1/7".into(),
        seeds: (0..3).map(|s| seed(s, layers, acc, path, route)).collect(),
    }
}

fn params() -> CompareParams {
    CompareParams {
        seed: 0,
        resamples: 200,
    }
}

/// MLP (3 layers) against CNN (8 layers): accuracy and routes differ, the path share does not.
fn two() -> Comparison {
    let mlp = study("MLP", &["h1", "h2", "out"], 990, 400, 86);
    let cnn = study(
        "CNN",
        &["c1", "c2", "p1", "c3", "c4", "p2", "fc1", "out"],
        900,
        402,
        120,
    );
    compare(&[mlp, cnn], &params())
}

/// The part of `html` from the `k`-th heatmap figure to the next.
fn figure(html: &str, k: usize) -> &str {
    let parts: Vec<&str> = html.split("<figure class=\"heatmap\"").collect();
    parts[k + 1].split("</figure>").next().unwrap_or("")
}

#[test]
fn one_heatmap_per_similarity_with_rows_times_columns_cells() {
    let c = two();
    assert_eq!(
        c.similarities.len(),
        3,
        "MLP within, MLP vs CNN, CNN within"
    );
    let html = compare_html(&CompareReport::new("MLP vs CNN", c.clone()));
    xml::check(&html).unwrap();
    assert_eq!(html.matches("<figure class=\"heatmap\"").count(), 3);
    for (k, m) in c.similarities.iter().enumerate() {
        let f = figure(&html, k);
        let cells = m.a_layers.len() * m.b_layers.len();
        assert!(m.cka.is_some());
        assert_eq!(f.matches("data-metric=\"linear CKA\"").count(), cells);
        assert_eq!(f.matches("data-metric=\"ARI\"").count(), cells);
        let title = if m.a == m.b {
            format!("{} (within)", c.studies[m.a].name)
        } else {
            "MLP vs CNN".to_owned()
        };
        assert!(f.contains(&format!("{title}: linear CKA")), "{title}");
    }
    assert!(html.contains("id=\"compare-detail\""));
}

#[test]
fn names_are_escaped() {
    let evil = "<b>&\"x";
    let a = study(evil, &["<i>h1", "h2"], 990, 400, 86);
    let b = study("B", &["h1", "h2"], 900, 400, 86);
    let mut r = CompareReport::new(evil, compare(&[a, b], &params()));
    r.notes.push("a <script> note".into());
    r.studies[0].report = Some("x/\"><script>.html".into());
    let html = compare_html(&r);
    xml::check(&html).unwrap();
    assert!(!html.contains(evil));
    assert!(!html.contains("<i>h1"));
    assert!(!html.contains("a <script>"));
    assert!(html.contains("&lt;b&gt;&amp;&quot;x"));
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );
}

#[test]
fn headlines_name_distinct_differences_and_count_the_rest() {
    let c = two();
    let acc = c
        .differences
        .iter()
        .find(|d| d.quantity == Quantity::Accuracy)
        .unwrap();
    assert!(acc.distinct());
    let path = c
        .differences
        .iter()
        .find(|d| matches!(d.quantity, Quantity::ClassPath { .. }))
        .unwrap();
    assert!(!path.distinct(), "{path:?}");
    let lines = mtq_report::compare_sentences::compare_headlines(&c);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("MLP is more accurate than CNN: 99.0 % [")),
        "{lines:?}"
    );
    // CNN sends more 3s to 1 (60 % vs 43 %)
    assert!(
        lines.iter().any(
            |l| l.starts_with("CNN sends more 3s to 1 than MLP: 60.0 % [")
                && l.contains("vs 43.0 % [")
                && l.ends_with("intervals do not overlap.")
        ),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("main path")), "{lines:?}");
    let within = c.differences.iter().filter(|d| !d.distinct()).count();
    let total = c.differences.len();
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with(&format!("{within} of the {total} differences")),
        "{lines:?}"
    );
    let html = compare_html(&CompareReport::new("t", c.clone()));
    let head = html.split("</ul>").next().unwrap();
    assert!(head.contains("MLP is more accurate than CNN"));
    assert!(!head.contains("main path"));
    // the differences table has every difference, the overlapping ones marked
    assert_eq!(html.matches("<tr class=\"diff ").count(), total);
    assert_eq!(html.matches("<tr class=\"diff overlap\"").count(), within);
    assert!(html.contains("id=\"only-distinct\" checked=\"checked\""));
}

#[test]
fn compare_json_round_trips_and_the_page_is_written_beside_it() {
    let dir = std::env::temp_dir().join(format!("mtq-compare-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut r = CompareReport::new("MLP vs CNN", two());
    r.studies[0].report = Some("mlp/report.html".into());
    r.notes.push("note".into());
    let files = write_compare(&dir, &r).unwrap();
    let back: CompareReport =
        serde_json::from_str(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    assert_eq!(back, r);
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.contains("<a href=\"mlp/report.html\">MLP</a>"));
    assert!(html.contains("data-href=\"mlp/report.html\""));
    // a folder that does not exist: the error names the file
    let err = write_compare(&dir.join("missing"), &r).unwrap_err();
    assert!(err.to_string().contains("compare.html"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn five_studies_stay_small() {
    let deep: Vec<String> = (0..12).map(|i| format!("block{i}")).collect();
    let deep: Vec<&str> = deep.iter().map(String::as_str).collect();
    let studies = vec![
        study("MLP", &["h1", "h2", "out"], 990, 400, 86),
        study("CNN", &deep, 993, 410, 120),
        study("Wide MLP", &["h1", "h2", "h3", "out"], 985, 380, 90),
        study("UCI digits MLP", &["h1", "out"], 960, 300, 50),
        study("Breast cancer MLP", &["h1", "h2", "out"], 970, 350, 60),
    ];
    let c = compare(&studies, &params());
    let html = compare_html(&CompareReport::new("five", c.clone()));
    xml::check(&html).unwrap();
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
    assert_eq!(
        html.matches("<figure class=\"heatmap\"").count(),
        c.similarities.len()
    );
    assert_eq!(c.similarities.len(), 15);
}

#[test]
fn empty_comparisons_nan_values_and_unsafe_links_do_not_break_the_page() {
    let html = compare_html(&CompareReport::new("empty", compare(&[], &params())));
    xml::check(&html).unwrap();
    assert!(html.contains("No study to show"));
    assert!(html.contains("nothing to compare"));
    let none = StudyFacts {
        name: "no seeds".into(),
        data: String::new(),
        seeds: vec![],
    };
    let mut c = compare(&[none, study("B", &["h1"], 900, 400, 86)], &params());
    c.studies[1].measures[0].estimate.mean = f64::NAN;
    if let Some(m) = c.similarities.first_mut() {
        m.ari.mean[0][0] = f64::NAN;
    }
    let mut r = CompareReport::new("nan", c);
    r.studies[1].report = Some("javascript:alert(1)".into());
    let html = compare_html(&r);
    xml::check(&html).unwrap();
    assert!(html.contains("—"));
    assert!(!html.contains("NaN %"));
    assert!(!html.contains("javascript:alert"));
    let link = |s: &str| {
        let mut r = r.clone();
        r.studies[1].report = Some(s.into());
        r.link(1).map(str::to_owned)
    };
    assert_eq!(link("b/report.html").as_deref(), Some("b/report.html"));
    assert_eq!(link("/etc/passwd"), None);
    assert_eq!(link("https://x/report.html"), None);
    assert_eq!(
        r.studies.get(5),
        None::<&StudyLink>,
        "fewer links than studies is fine"
    );
}

#[test]
fn facts_from_a_report_give_its_k_and_shares() {
    let data = sample::report();
    let f = study_facts_from_report("MLP", &data);
    assert_eq!(f.name, "MLP");
    assert_eq!(f.seeds.len(), 1);
    let s = &f.seeds[0];
    assert_eq!(s.seed, data.summary.seed);
    let ks: Vec<usize> = data.silhouette_curves.iter().map(|c| c.chosen_k).collect();
    assert_eq!(s.ks, ks);
    assert_eq!(s.layers, data.summary.layers);
    let n_test = data.summary.test_set.as_ref().unwrap().n;
    let acc = s.accuracy.unwrap();
    assert_eq!(acc.n, n_test);
    assert!((acc.share() - data.summary.test_accuracy.unwrap()).abs() <= 0.5 / n_test as f64);
    for t in data.path_tables.iter().filter(|t| !t.injected) {
        let p = s.class_paths.iter().find(|p| p.class == t.class).unwrap();
        assert_eq!(p.count.hits, t.rows[0].count);
        assert_eq!(p.count.n, t.n_samples);
        assert_eq!(p.path, t.rows[0].path.join(" > "));
    }
    assert_eq!(
        s.unseen_paths.len(),
        data.path_tables.iter().filter(|t| t.injected).count()
    );
    for st in &data.strangers {
        let r = s.routes.iter().find(|r| r.class == st.class).unwrap();
        for p in &st.predicted {
            let (_, c) = r.to.iter().find(|(l, _)| *l == p.label).unwrap();
            assert_eq!((c.hits, c.n), (p.count, st.n_samples));
        }
    }
    let trusted = data
        .anomaly
        .scores
        .iter()
        .find(|r| r.name == data.anomaly.trusted)
        .unwrap();
    let got: Vec<f64> = s
        .aurocs
        .iter()
        .filter(|a| a.role == ScoreRole::Trusted)
        .map(|a| a.auroc)
        .collect();
    let want: Vec<f64> = trusted.results.iter().map(|r| r.auroc).collect();
    assert_eq!(got, want);
    for a in &s.aurocs {
        assert_eq!(a.n_negatives, n_test);
        assert!(a.n_positives > 0, "{a:?}");
    }
    assert!(s.shared.is_none());
    // two reports compare without a panic, AUROCs by Hanley-McNeil
    let c = compare(&[f.clone(), study_facts_from_report("B", &data)], &params());
    assert!(c.differences.iter().all(|d| !d.distinct()));
    assert!(c.similarities.is_empty());
    let html = compare_html(&CompareReport::new("reports", c));
    assert!(html.contains("Hanley and McNeil"));
}

#[test]
fn read_report_json_names_the_file() {
    let dir = std::env::temp_dir().join(format!("mtq-compare-read-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.json");
    let named = |e: ReportError| {
        let text = e.to_string();
        assert!(text.contains(&file.display().to_string()), "{text}");
        e
    };
    assert!(matches!(
        named(read_report_json(&dir).unwrap_err()),
        ReportError::ReadReport { .. }
    ));
    std::fs::write(&file, "not json").unwrap();
    assert!(matches!(
        named(read_report_json(&dir).unwrap_err()),
        ReportError::ReportJson { .. }
    ));
    let mut data = serde_json::to_value(sample::report()).unwrap();
    data["schema_version"] = 99.into();
    std::fs::write(&file, data.to_string()).unwrap();
    assert!(matches!(
        named(read_report_json(&dir).unwrap_err()),
        ReportError::ReportSchema { found: 99, .. }
    ));
    data["schema_version"] = 4.into();
    data["summary"] = serde_json::Value::Null;
    std::fs::write(&file, data.to_string()).unwrap();
    assert!(matches!(
        named(read_report_json(&dir).unwrap_err()),
        ReportError::ReportJson { .. }
    ));
    std::fs::write(&file, serde_json::to_string(&sample::report()).unwrap()).unwrap();
    assert_eq!(read_report_json(&dir).unwrap(), sample::report());
    std::fs::remove_dir_all(&dir).unwrap();
}
