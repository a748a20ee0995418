//! The self-contained HTML report: headlines generated from the numbers, then every section,
//! with the SVGs inline and the CSS inline. No network, no external font.
//!
//! [`html_report`] is the static page (no script). [`explorable_html`] adds the per-sample data
//! (one JSON blob, see [`ExploreData`]) and an inline script (`assets/report.js`) that redraws
//! the Sankey from it: hover and click nodes and bands, a panel of the selected samples with
//! thumbnails, a legend to hide or isolate classes, a switch between sets, the unseen classes'
//! routes, the top anomalies and the K-trees.

use std::fmt::Write as _;

use super::charts::{agreement_svg, roc_svg, silhouette_svg};
use super::markup::{esc, num, pct};
use super::sankey_svg::sankey_svg;
use super::validate::check_report;
use super::{
    AnomalyData, ExploreData, PathTable, RedundancyData, ReportData, ReportError, Result,
    StrangerData,
};

/// Path rows shown per class; the JSON holds them all.
const MAX_PATH_ROWS: usize = 12;
/// Score rows beyond which the score table scrolls in its own box.
const SCROLL_ROWS: usize = 24;

pub(crate) const CSS: &str = "
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:#111;background:#fff;margin:0;padding:24px 32px;line-height:1.45}
main{max-width:1180px;margin:0 auto}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
p.sub{color:#555;margin:0 0 16px}
ul.headlines{background:#f3f7fb;border-left:4px solid #0072B2;padding:12px 16px 12px 36px;margin:12px 0;font-size:15px}
ul.headlines li{margin:4px 0}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.trusted td{background:#e6f2e6;font-weight:bold}
td.best{font-weight:bold;color:#005a00}
tr.new td{color:#b34700}
.grid{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}
figure{margin:8px 0}
figure svg{max-width:100%;height:auto}
figcaption{color:#555;font-size:13px}
p.verdict{font-size:15px}
p.note{font-size:13px;color:#555;margin:4px 0}
div.scroll{max-height:560px;overflow:auto;display:inline-block;border:1px solid #ddd}
div.scroll table{margin:0}
div.hscroll{overflow-x:auto;max-width:100%}
div.hscroll>svg{max-width:none}
table.layers td.u{white-space:nowrap}
table.layers tr.red td{background:#fff4e0}
";

/// Renders the whole report as one self-contained HTML file: headline findings generated from
/// the numbers, the run summary, the Sankey diagram, the silhouette curves, the per-layer
/// cluster tables, the per-class path tables, the redundancy verdict, where the strangers go,
/// and the anomaly scores with their ROC curves.
///
/// # Errors
/// [`ReportError`](super::ReportError) for any inconsistency in `data`: see
/// [`sankey_layout`](super::sankey_layout), [`silhouette_svg`] and [`roc_svg`], plus table rows
/// of the wrong length, counts above their totals, rates or indices outside their range, and a
/// trusted score that is not among the scores.
pub fn html_report(data: &ReportData) -> Result<String> {
    page(data, None)
}

/// The report of [`html_report`], made explorable: the per-sample data of `explore` embedded as
/// one JSON blob and an inline script drawing the interactive views from it (see the module
/// documentation). Still one file, with no network access.
///
/// # Errors
/// As [`html_report`], and [`ReportError::Json`] if `explore` cannot be serialised.
pub fn explorable_html(data: &ReportData, explore: &ExploreData) -> Result<String> {
    page(data, Some(explore))
}

const JS: &str = include_str!("../assets/report.js");
const EXPLORE_CSS: &str = include_str!("../assets/report.css");

fn page(data: &ReportData, explore: Option<&ExploreData>) -> Result<String> {
    check_report(data)?;
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{t}</title><style>{CSS}{x}</style></head><body><main>\n<h1>{t}</h1>\n",
        t = esc(&data.title),
        x = if explore.is_some() { EXPLORE_CSS } else { "" }
    );
    let _ = writeln!(
        s,
        "<p class=\"sub\">Seed {} · {} · every number below is also in <code>report.json</code>.</p>",
        data.summary.seed,
        esc(&layers_in_short(&data.summary.layers))
    );

    s.push_str("<ul class=\"headlines\">\n");
    for line in crate::sentences::headlines(data) {
        // Several seeds: the stability table below replaces the notes.
        if data.stability.is_some() && data.notes.contains(&line) {
            continue;
        }
        let _ = writeln!(s, "<li>{}</li>", esc(&line));
    }
    s.push_str("</ul>\n");

    summary_section(&mut s, data);
    if let Some(st) = &data.stability {
        crate::stability_table::stability_section(&mut s, st, &data.anomaly.trusted);
    }
    layers_section(&mut s, data)?;
    crate::how_to_read::section(&mut s, data, explore.is_some());

    s.push_str("<h2 id=\"flows\">How the samples flow</h2>\n");
    if explore.is_some() {
        s.push_str("<div id=\"controls\"></div><div class=\"explore\"><figure id=\"sankey\">");
    } else {
        s.push_str("<figure><div class=\"hscroll\">");
    }
    s.push_str(&sankey_svg(&data.sankey)?);
    if explore.is_none() {
        s.push_str("</div>");
    }
    let _ = write!(
        s,
        "<figcaption>Shows {} and every unseen set, as <code>sankey.svg</code> (clusters fitted on the reference set). Band width is proportional to the number of samples; colours are true classes, dark hatched bands are classes never seen in training. {}</figcaption></figure>",
        esc(&shown_set_words(data)),
        if explore.is_some() {
            "Hover a band or node for its counts per class; click it to select its samples; click a legend entry to hide a class (double-click: isolate it)."
        } else {
            "Hover a band or node for its counts."
        }
    );
    if explore.is_some() {
        s.push_str("<aside id=\"panel\"><p class=\"note\">Click a node or a band to list its samples here.</p></aside></div>\n");
    }
    s.push('\n');

    if !data.silhouette_curves.is_empty() {
        s.push_str("<h2>Choosing K per layer</h2>\n<div class=\"grid\"><figure>");
        s.push_str(&silhouette_svg(&data.silhouette_curves)?);
        s.push_str("<figcaption>Reference (training) set: the clusters are fitted on it. K-means for each K, scored by the mean silhouette; the K with the highest score is chosen.</figcaption></figure>");
        if explore.is_some() {
            s.push_str("<div id=\"ktrees\"></div>");
        }
        s.push_str("</div>\n");
    }

    if !data.cluster_tables.is_empty() {
        s.push_str("<h2>Clusters per layer</h2>\n<p class=\"note\">Counted on the reference (training) set, the set the clusters are fitted on.</p>\n<div class=\"grid\">");
        for t in &data.cluster_tables {
            let _ = write!(
                s,
                "<div><h3>{}</h3><table><tr><th>class</th>",
                esc(&t.layer)
            );
            for c in &t.clusters {
                let _ = write!(s, "<th>{}</th>", esc(&c.name));
            }
            s.push_str("</tr>");
            for (i, class) in t.classes.iter().enumerate() {
                let _ = write!(s, "<tr><td>{}</td>", esc(class));
                for c in &t.clusters {
                    let _ = write!(s, "<td class=\"n\">{}</td>", c.counts[i]);
                }
                s.push_str("</tr>");
            }
            s.push_str("<tr><th>purity</th>");
            for c in &t.clusters {
                let _ = write!(s, "<td class=\"n\">{}</td>", num(c.purity, 3));
            }
            s.push_str("</tr><tr><th>entropy (bits)</th>");
            for c in &t.clusters {
                let _ = write!(s, "<td class=\"n\">{}</td>", num(c.entropy, 3));
            }
            s.push_str("</tr></table></div>");
        }
        s.push_str("</div>\n");
    }

    if !data.path_tables.is_empty() {
        let _ = write!(
            s,
            "<h2>Paths per class</h2>\n<p class=\"note\">Known classes: {}; unseen classes: their own sets. A path is marked when no reference (training) sample takes it.</p>\n<div class=\"grid\">",
            esc(&shown_set_words(data))
        );
        let set = data
            .shown_set
            .as_ref()
            .map_or_else(|| "reference (training)".to_owned(), crate::SetSize::kind);
        for t in &data.path_tables {
            path_table(&mut s, t, &data.summary.layers, &set);
        }
        s.push_str("</div>\n");
    }

    redundancy_section(&mut s, &data.redundancy);

    if !data.strangers.is_empty() {
        s.push_str("<h2>Strangers: where unseen classes go</h2>\n<div class=\"grid\">");
        for st in &data.strangers {
            stranger_table(&mut s, st);
        }
        s.push_str("</div>\n");
        if explore.is_some() {
            s.push_str("<div id=\"routes\"></div>\n");
        }
    }

    anomaly_section(&mut s, &data.anomaly)?;
    if let Some(m) = &data.anomaly.monitor {
        crate::monitor_table::monitor_section(&mut s, m);
    }
    if explore.is_some() {
        s.push_str("<div id=\"anomalies\"></div>\n");
    }

    s.push_str("</main>");
    if let Some(x) = explore {
        // `</` cannot end the script early once escaped; JSON reads `<\/` as `</`.
        let blob = serde_json::to_string(x)
            .map_err(ReportError::from)?
            .replace("</", "<\\/");
        let _ = write!(
            s,
            "<script type=\"application/json\" id=\"mtq-data\">{blob}</script>\n<script>{JS}</script>"
        );
    }
    s.push_str("</body></html>\n");
    Ok(s)
}

/// A chain such as `784 -> 32 -> 32 -> 32 -> 2` with runs of three or more equal steps
/// written once with their count: `784 -> 32 (×3) -> 2`; other text unchanged.
fn runs_in_short(value: &str) -> String {
    let steps: Vec<&str> = value.split(" -> ").collect();
    if steps.len() < 4 {
        return value.to_owned();
    }
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        let run = steps[i..].iter().take_while(|x| **x == steps[i]).count();
        if run >= 3 {
            out.push(format!("{} (×{run})", steps[i]));
        } else {
            out.extend(steps[i..i + run].iter().map(|x| (*x).to_owned()));
        }
        i += run;
    }
    out.join(" -> ")
}

/// `18 layers: h1, h2, …, h17, out` (every name up to six layers).
fn layers_in_short(layers: &[String]) -> String {
    match layers.len() {
        0 => "no layer".into(),
        1 => format!("1 layer: {}", layers[0]),
        n if n <= 6 => format!("{n} layers: {}", layers.join(", ")),
        n => format!(
            "{n} layers: {}, {}, …, {}, {}",
            layers[0],
            layers[1],
            layers[n - 2],
            layers[n - 1]
        ),
    }
}

/// The set the Sankey and path tables count, in words: `the test set (1/7 test, 442 samples)`.
fn shown_set_words(data: &ReportData) -> String {
    match &data.shown_set {
        Some(set) if set.name == set.key || set.name == set.kind() => format!(
            "the {} set ({} samples)",
            set.kind(),
            crate::sentences::thousands(set.n)
        ),
        Some(set) => format!(
            "the {} set ({}, {} samples)",
            set.kind(),
            set.name,
            crate::sentences::thousands(set.n)
        ),
        None => format!(
            "the reference set ({})",
            data.summary
                .sets
                .first()
                .map_or("reference", |x| x.name.as_str())
        ),
    }
}

/// The layer table (one row per layer: K, silhouette, agreement with the previous layer, where
/// each unseen class goes) and the agreement strip of consecutive layers.
fn layers_section(s: &mut String, data: &ReportData) -> Result<()> {
    let layers = &data.summary.layers;
    if layers.is_empty() {
        return Ok(());
    }
    s.push_str("<h2 id=\"layers\">Layers at a glance</h2>\n<p class=\"note\">One row per layer. K and silhouette: the clustering of the reference (training) set. ARI and linear CKA: agreement with the previous layer (1 = the same partition / representation), on the reference set. Unseen classes: the one cluster most of each unseen set falls in, and its share.</p>\n<div class=\"hscroll\"><table class=\"layers\"><tr><th>layer</th><th>K</th><th>silhouette</th><th>ARI with previous</th><th>linear CKA with previous</th><th>redundant</th>");
    for st in &data.strangers {
        let _ = write!(s, "<th>unseen {}: main cluster</th>", esc(&st.class));
    }
    s.push_str("</tr>");
    for (l, layer) in layers.iter().enumerate() {
        let curve = data.silhouette_curves.iter().find(|c| &c.layer == layer);
        let k = curve.map(|c| c.chosen_k).or_else(|| {
            data.cluster_tables
                .iter()
                .find(|t| &t.layer == layer)
                .map(|t| t.clusters.len())
        });
        let sil = curve.and_then(|c| {
            c.k.iter()
                .position(|&k| k == c.chosen_k)
                .map(|i| c.silhouette[i])
        });
        let pair = data.redundancy.pairs.iter().find(|p| &p.second == layer);
        let _ = write!(
            s,
            "<tr{}><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            if pair.is_some_and(|p| p.redundant) {
                " class=\"red\""
            } else {
                ""
            },
            esc(layer),
            k.map_or_else(|| "–".into(), |k| k.to_string()),
            sil.map_or_else(|| "–".into(), |v| num(v, 3))
        );
        match pair {
            Some(p) => {
                let _ = write!(
                    s,
                    "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>",
                    num(p.ari, 3),
                    p.cka.map_or_else(|| "–".into(), |c| num(c, 3)),
                    if p.redundant { "yes" } else { "no" }
                );
            }
            None => s.push_str("<td class=\"n\">–</td><td class=\"n\">–</td><td>–</td>"),
        }
        for st in &data.strangers {
            match st.main_clusters.get(l) {
                Some(m) => {
                    let _ = write!(
                        s,
                        "<td class=\"u\">{} ({})</td>",
                        esc(&m.label),
                        pct(m.count, st.n_samples, 0)
                    );
                }
                None => s.push_str("<td>–</td>"),
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</table></div>\n");
    if !data.redundancy.pairs.is_empty() {
        s.push_str("<figure id=\"agreement\"><div class=\"hscroll\">");
        s.push_str(&agreement_svg(
            &data.redundancy.pairs,
            data.redundancy.threshold,
        )?);
        s.push_str("</div><figcaption>Agreement of each layer with the previous one, on the reference set: ARI of their cluster partitions and linear CKA of their activations (darker = closer to 1; the scale starts at the lowest value shown). An outlined CKA cell: the layer is judged redundant with the previous one (its activations repeat the previous layer's geometry, whatever K either chose).</figcaption></figure>\n");
    }
    Ok(())
}

/// Plain sentences stating the main findings, generated from the numbers, then the notes.
fn summary_section(s: &mut String, data: &ReportData) {
    let sm = &data.summary;
    s.push_str("<h2>Run</h2>\n<table>");
    let _ = write!(s, "<tr><th>seed</th><td>{}</td></tr>", sm.seed);
    if let Some(acc) = sm.test_accuracy {
        let _ = write!(s, "<tr><th>test accuracy</th><td>{acc:.4}</td></tr>");
    }
    let _ = write!(
        s,
        "<tr><th>layers</th><td>{} (one row each in the layer table)</td></tr>",
        esc(&layers_in_short(&sm.layers))
    );
    for set in &sm.sets {
        let _ = write!(
            s,
            "<tr><th>{}</th><td>{} samples</td></tr>",
            esc(&set.name),
            set.n
        );
    }
    for f in &sm.facts {
        let _ = write!(
            s,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(&f.label),
            esc(&runs_in_short(&f.value))
        );
    }
    s.push_str("</table>\n");
}

fn path_table(s: &mut String, t: &PathTable, layers: &[String], set: &str) {
    let unseen = if t.injected {
        " (unseen in training)"
    } else {
        ""
    };
    let _ = write!(
        s,
        "<div class=\"hscroll\"><h3>Class {}{unseen}: {} {}samples, {} path{}</h3><table><tr>",
        esc(&t.class),
        t.n_samples,
        if t.injected {
            String::new()
        } else {
            format!("{} ", esc(set))
        },
        t.rows.len(),
        if t.rows.len() == 1 { "" } else { "s" }
    );
    for l in layers {
        let _ = write!(s, "<th>{}</th>", esc(l));
    }
    s.push_str("<th>predicted</th><th>count</th><th>share</th></tr>");
    for r in t.rows.iter().take(MAX_PATH_ROWS) {
        s.push_str(if r.unseen_in_training {
            "<tr class=\"new\" title=\"no training sample takes this path\">"
        } else {
            "<tr>"
        });
        for step in &r.path {
            let _ = write!(s, "<td>{}</td>", esc(step));
        }
        let _ = write!(
            s,
            "<td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.predicted),
            r.count,
            pct(r.count, t.n_samples, 1)
        );
    }
    if t.rows.len() > MAX_PATH_ROWS {
        let rest: usize = t.rows.iter().skip(MAX_PATH_ROWS).map(|r| r.count).sum();
        let _ = write!(
            s,
            "<tr><td colspan=\"{}\">… {} more paths</td><td class=\"n\">{rest}</td><td class=\"n\">{}</td></tr>",
            layers.len() + 1,
            t.rows.len() - MAX_PATH_ROWS,
            pct(rest, t.n_samples, 1)
        );
    }
    s.push_str("</table></div>");
}

fn redundancy_section(s: &mut String, red: &RedundancyData) {
    if red.pairs.is_empty() && red.vs_labels.is_empty() && red.verdict.is_empty() {
        return;
    }
    s.push_str("<h2>Layer redundancy</h2>\n");
    if !red.verdict.is_empty() {
        let _ = writeln!(s, "<p class=\"verdict\">{}</p>", esc(&red.verdict));
    }
    s.push_str("<div class=\"grid\">");
    if !red.pairs.is_empty() {
        let _ = write!(
            s,
            "<div><h3>Consecutive layers (redundant if linear CKA ≥ {:.2})</h3><table><tr><th>layers</th><th>ARI</th><th>NMI</th><th>linear CKA</th><th>redundant</th></tr>",
            red.threshold
        );
        for p in &red.pairs {
            let cka = p.cka.map_or_else(|| "–".to_owned(), |c| num(c, 3));
            let _ = write!(
                s,
                "<tr><td>{} → {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{cka}</td><td>{}</td></tr>",
                esc(&p.first),
                esc(&p.second),
                num(p.ari, 3),
                num(p.nmi, 3),
                if p.redundant { "yes" } else { "no" }
            );
        }
        s.push_str("</table></div>");
    }
    if !red.vs_labels.is_empty() {
        s.push_str("<div><h3>Each layer against the true classes</h3><table><tr><th>layer</th><th>ARI</th><th>NMI</th></tr>");
        for l in &red.vs_labels {
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&l.layer),
                num(l.ari, 3),
                num(l.nmi, 3)
            );
        }
        s.push_str("</table></div>");
    }
    s.push_str("</div>\n");
}

fn stranger_table(s: &mut String, st: &StrangerData) {
    let mut labels: Vec<&str> = Vec::new();
    for share in st
        .routes
        .iter()
        .flat_map(|r| &r.shares)
        .chain(&st.predicted)
    {
        if !labels.contains(&share.label.as_str()) {
            labels.push(&share.label);
        }
    }
    let _ = write!(
        s,
        "<div><h3>Class {}: {} samples</h3><table><tr><th>layer</th>",
        esc(&st.class),
        st.n_samples
    );
    for l in &labels {
        let _ = write!(s, "<th>→ {}</th>", esc(l));
    }
    s.push_str("</tr>");
    let row = |s: &mut String, name: &str, shares: &[super::Share]| {
        let _ = write!(s, "<tr><td>{}</td>", esc(name));
        for l in &labels {
            let c = shares
                .iter()
                .filter(|x| x.label == *l)
                .map(|x| x.count)
                .sum::<usize>();
            let _ = write!(s, "<td class=\"n\">{c} ({})</td>", pct(c, st.n_samples, 1));
        }
        s.push_str("</tr>");
    };
    for r in &st.routes {
        row(s, &r.layer, &r.shares);
    }
    if !st.predicted.is_empty() {
        row(s, "predicted", &st.predicted);
    }
    s.push_str("</table><p class=\"note\">");
    if st.unseen_paths == 0 {
        s.push_str("Every path they take is also taken in training.");
    } else {
        let _ = write!(
            s,
            "{} path(s) never taken in training, by {} sample(s) ({}).",
            st.unseen_paths,
            st.samples_on_unseen_paths,
            pct(st.samples_on_unseen_paths, st.n_samples, 1)
        );
    }
    s.push_str("</p></div>");
}

fn anomaly_section(s: &mut String, an: &AnomalyData) -> Result<()> {
    if an.scores.is_empty()
        && an.roc_curves.is_empty()
        && an.trusted.is_empty()
        && an.rationale.is_empty()
    {
        return Ok(());
    }
    s.push_str("<h2>Anomaly scores</h2>\n");
    if !an.trusted.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"verdict\"><b>Trust: {}.</b> {}</p>",
            esc(&an.trusted),
            esc(&an.rationale)
        );
    } else if !an.rationale.is_empty() {
        let _ = writeln!(s, "<p class=\"verdict\">{}</p>", esc(&an.rationale));
    }
    if !an.scores.is_empty() {
        let mut tasks: Vec<&str> = Vec::new();
        for r in an.scores.iter().flat_map(|r| &r.results) {
            if !tasks.contains(&r.task.as_str()) {
                tasks.push(&r.task);
            }
        }
        let best: Vec<f64> = tasks
            .iter()
            .map(|t| {
                an.scores
                    .iter()
                    .flat_map(|r| &r.results)
                    .filter(|r| r.task == *t)
                    .map(|r| r.auroc)
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .collect();
        // A long table scrolls in its own box, so the ROC curves stay close.
        let scroll = an.scores.len() > SCROLL_ROWS;
        if scroll {
            s.push_str("<div class=\"scroll\">");
        }
        s.push_str("<table><tr><th rowspan=\"2\">score</th>");
        for t in &tasks {
            let _ = write!(s, "<th colspan=\"2\">{}</th>", esc(t));
        }
        s.push_str("</tr><tr>");
        for _ in &tasks {
            s.push_str("<th>AUROC</th><th>FPR at 95 % TPR</th>");
        }
        s.push_str("</tr>");
        for r in &an.scores {
            let class = if r.name == an.trusted {
                " class=\"trusted\""
            } else {
                ""
            };
            let _ = write!(s, "<tr{class}><td>{}</td>", esc(&r.name));
            for (t, b) in tasks.iter().zip(&best) {
                match r.results.iter().find(|x| x.task == *t) {
                    Some(x) => {
                        let cls = if x.auroc >= *b { "n best" } else { "n" };
                        let _ = write!(
                            s,
                            "<td class=\"{cls}\">{}</td><td class=\"n\">{}</td>",
                            num(x.auroc, 3),
                            num(x.fpr_at_95_tpr, 3)
                        );
                    }
                    None => s.push_str("<td class=\"n\">–</td><td class=\"n\">–</td>"),
                }
            }
            s.push_str("</tr>");
        }
        s.push_str("</table>");
        if scroll {
            s.push_str("</div>");
        }
        s.push_str("\n<p class=\"note\">AUROC: 1 = the score ranks every unseen sample above every known one, 0.5 = chance. Best per task in bold; the trusted score highlighted.</p>\n");
    }
    if !an.roc_curves.is_empty() {
        s.push_str("<figure id=\"roc\">");
        s.push_str(&roc_svg(&an.roc_curves, &an.trusted)?);
        s.push_str("<figcaption>Positives: the unseen class; negatives: the test samples of the trained classes. Thick line: the trusted score. Dashed diagonal: chance.</figcaption></figure>\n");
    }
    Ok(())
}
