//! The comparison page, `compare.html`: several studies side by side in the report's style,
//! self-contained (inline CSS, SVG and a small script; no network).

use std::fmt::Write as _;

use mtq_signature::compare::{
    Comparison, Estimate, IntervalMethod, LayerGrid, LayerSimilarity, Measure, Quantity, ScoreRole,
    StudySummary, Verdict,
};

use crate::charts::{heat, svg_open};
use crate::compare_data::CompareReport;
use crate::compare_sentences::{compare_headlines, estimate, how_intervals, how_maps, value};
use crate::html::CSS;
use crate::markup::{MISSING, esc, fit_text, num_or_missing, px, text_width};

const COMPARE_CSS: &str = "
table.side td{white-space:nowrap}
table.side td.wrap{white-space:normal;min-width:160px;max-width:300px}
table.side tr.study[data-href]{cursor:pointer}
table.side tr.study[data-href]:hover td{background:#f3f7fb}
td .path{display:block;color:#555;font-size:11px}
.maps-top{display:flex;gap:8px 24px;flex-wrap:wrap;align-items:center;font-size:13px;margin:6px 0}
.maps{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}
figure.heatmap{margin:8px 0}
figure.heatmap svg{max-width:none}
svg.hm rect.hm-cell{cursor:pointer}
svg.hm rect.hm-cell.sel{stroke:#d55e00;stroke-width:3}
#maps.show-ari svg.hm-cka{display:none}
#maps.show-ari svg.hm-alt{display:block}
svg.hm-alt{display:none}
#compare-detail{border:1px solid #ddd;padding:6px 10px;font-size:13px;min-height:2.5em;background:#fcfcfc;position:sticky;top:0;z-index:2}
#compare-detail h3{margin:2px 0}
#only-distinct:checked~div table tr.overlap{display:none}
tr.distinct td.verdict{font-weight:bold;color:#005a00}
";

const COMPARE_JS: &str = r"(function(){
var panel=document.getElementById('compare-detail');
function put(el,tag,text,cls){var e=document.createElement(tag);e.textContent=text;if(cls)e.className=cls;el.appendChild(e);return e;}
document.querySelectorAll('svg.hm rect.hm-cell').forEach(function(r){r.addEventListener('click',function(){
  document.querySelectorAll('svg.hm rect.hm-cell.sel').forEach(function(x){x.classList.remove('sel');});
  r.classList.add('sel');
  var d=r.dataset;panel.textContent='';
  put(panel,'h3',d.title);
  var p=put(panel,'p','');
  put(p,'span',d.metric+' between ');put(p,'b',d.row,'row');put(p,'span',' ('+d.a+') and ');
  put(p,'b',d.col,'col');put(p,'span',' ('+d.b+'): mean ');
  var m=put(p,'b',d.meanText,'mean');m.dataset.value=d.mean;
  put(p,'span',' over '+d.seeds+'; per-seed range ');
  var g=put(p,'b',d.rangeText,'range');g.dataset.min=d.min;g.dataset.max=d.max;
  put(p,'span','.');
});});
document.querySelectorAll('input[name=metric]').forEach(function(i){i.addEventListener('change',function(){
  if(i.checked){document.getElementById('maps').classList.toggle('show-ari',i.value==='ari');}
});});
document.querySelectorAll('table.side tr.study[data-href]').forEach(function(tr){tr.addEventListener('click',function(e){
  if(e.target.closest('a'))return;window.location.href=tr.dataset.href;
});});
})();";

/// Renders the comparison page, one self-contained HTML file (every name escaped):
///
/// - the headlines: each difference beyond noise in a sentence, and how many are within it;
/// - "Side by side": one row per study (accuracy, K per layer, redundant layers, each class's
///   main path, each unseen class's main path and routes, the AUROCs of the trusted score and
///   of max-softmax per task), each number `mean [low-high]` with the seeds' values as its
///   tooltip; a row (and the study's name) links to the study's report when
///   [`CompareReport::link`] gives one;
/// - "Layers compared": one heatmap (`figure.heatmap`) per
///   [`LayerSimilarity`](mtq_signature::compare::LayerSimilarity), linear CKA when present
///   (with an ARI twin behind a toggle) else ARI; clicking a cell fills the detail panel
///   `#compare-detail`;
/// - "Differences": every difference with its verdict, filtered by the checkbox
///   `#only-distinct` (on: only those beyond noise; works without script);
/// - "How to read": the intervals and the maps.
///
/// Never panics: NaN values read `—`, an empty comparison gives a page saying so, a study
/// without seeds an empty row.
#[must_use]
pub fn compare_html(report: &CompareReport) -> String {
    let c = &report.comparison;
    let mut s = String::with_capacity(64 * 1024);
    let title = esc(&report.title);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><link rel=\"icon\" href=\"data:,\"/><title>{title}</title><style>{CSS}{COMPARE_CSS}</style></head><body><main>\n<h1>{title}</h1>\n"
    );
    let names: Vec<String> = c.studies.iter().map(|x| x.name.clone()).collect();
    let _ = writeln!(
        s,
        "<p class=\"sub\">{} · every number below is also in <code>compare.json</code>.</p>",
        esc(&match names.len() {
            0 => "No study".to_owned(),
            1 => "1 study".to_owned(),
            n => format!("{n} studies: {}", names.join(", ")),
        })
    );
    s.push_str("<ul class=\"headlines\">\n");
    for line in compare_headlines(c).iter().chain(&report.notes) {
        let _ = writeln!(s, "<li>{}</li>", esc(line));
    }
    s.push_str("</ul>\n");
    side_by_side(&mut s, report);
    maps_section(&mut s, c);
    differences_section(&mut s, c);
    let hanley = c
        .studies
        .iter()
        .flat_map(|x| &x.measures)
        .any(|m| m.estimate.method == IntervalMethod::HanleyMcNeil);
    let _ = write!(
        s,
        "<h2 id=\"how\">How to read</h2>\n<p class=\"note\">{}</p>\n<p class=\"note\">{}</p>\n",
        esc(&how_intervals(&c.params, hanley)),
        esc(&how_maps())
    );
    let _ = writeln!(s, "</main><script>{COMPARE_JS}</script></body></html>");
    s
}

/// Every quantity of `kind` any study measures, in first-seen order.
fn quantities(c: &Comparison, keep: impl Fn(&Quantity) -> bool) -> Vec<Quantity> {
    let mut out: Vec<Quantity> = Vec::new();
    for m in c.studies.iter().flat_map(|x| &x.measures) {
        if keep(&m.quantity) && !out.contains(&m.quantity) {
            out.push(m.quantity.clone());
        }
    }
    out
}

/// The seeds' values of an estimate, for a tooltip: `seed 0: 99.1 %; seed 1: 98.7 %`, each
/// with what it names (the seed's main path) when given.
fn per_seed(q: &Quantity, e: &Estimate, detail: &[String]) -> String {
    e.per_seed
        .iter()
        .enumerate()
        .map(|(i, (seed, v))| {
            let named = detail
                .get(i)
                .filter(|d| !d.is_empty())
                .map_or_else(String::new, |d| format!(" ({d})"));
            format!("seed {seed}: {}{named}", value(q, *v))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One table cell of a measure: `mean [low-high]` (`†` for Hanley-McNeil), the seeds' values in
/// its title; with the main path under it when `path`.
fn measure_cell(s: &mut String, m: Option<&Measure>, path: bool) {
    let Some(m) = m else {
        let _ = write!(s, "<td class=\"n\">{MISSING}</td>");
        return;
    };
    let e = &m.estimate;
    let mark = if e.method == IntervalMethod::HanleyMcNeil {
        "†"
    } else {
        ""
    };
    let _ = write!(
        s,
        "<td class=\"n\" title=\"{}\">{}{mark}",
        esc(&per_seed(&m.quantity, e, &m.detail)),
        esc(&estimate(&m.quantity, (e.mean, e.low, e.high)))
    );
    if path && let Some(first) = m.detail.first() {
        let differs = m.detail.iter().any(|d| d != first);
        let _ = write!(
            s,
            "<span class=\"path\">{}{}</span>",
            esc(first),
            if differs { " (differs over seeds)" } else { "" }
        );
    }
    s.push_str("</td>");
}

/// K per layer over the seeds: `h1 2, h2 3 (2 of 3 seeds; else 4)`.
pub(crate) fn ks_words(st: &StudySummary) -> String {
    st.layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let ks: Vec<usize> = st.ks.iter().filter_map(|row| row.get(l).copied()).collect();
            let mut counts: Vec<(usize, usize)> = Vec::new();
            for k in &ks {
                match counts.iter_mut().find(|(v, _)| v == k) {
                    Some(c) => c.1 += 1,
                    None => counts.push((*k, 1)),
                }
            }
            counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            match counts.as_slice() {
                [] => format!("{layer} {MISSING}"),
                [(k, _)] => format!("{layer} {k}"),
                [(k, n), rest @ ..] => format!(
                    "{layer} {k} ({n} of {} seeds; else {})",
                    ks.len(),
                    rest.iter()
                        .map(|(k, _)| k.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn side_by_side(s: &mut String, report: &CompareReport) {
    let c = &report.comparison;
    s.push_str("<h2 id=\"side\">Side by side</h2>\n");
    if c.studies.is_empty() {
        s.push_str("<p class=\"note\">No study to show.</p>\n");
        return;
    }
    let classes = quantities(c, |q| matches!(q, Quantity::ClassPath { .. }));
    let unseen = quantities(c, |q| matches!(q, Quantity::UnseenPath { .. }));
    let routes = quantities(c, |q| matches!(q, Quantity::Route { .. }));
    let aurocs = quantities(c, |q| matches!(q, Quantity::Auroc { .. }));
    let mut unseen_classes: Vec<&str> = Vec::new();
    for q in unseen.iter().chain(&routes) {
        if let Quantity::UnseenPath { class } | Quantity::Route { class, .. } = q
            && !unseen_classes.contains(&class.as_str())
        {
            unseen_classes.push(class);
        }
    }
    s.push_str("<p class=\"note\">One row per study; click a row to open its report. Each number: mean over the seeds [95 % interval]; hover it for each seed's value.</p>\n<div class=\"hscroll\"><table class=\"side\"><tr><th>study</th><th>data</th><th>seeds</th><th>accuracy</th><th>K per layer</th><th>redundant layers</th>");
    for q in &classes {
        if let Quantity::ClassPath { class } = q {
            let _ = write!(s, "<th>class {}: main path</th>", esc(class));
        }
    }
    for u in &unseen_classes {
        let _ = write!(
            s,
            "<th>unseen {u}: main path</th><th>unseen {u}: where it goes</th>",
            u = esc(u)
        );
    }
    for q in &aurocs {
        if let Quantity::Auroc { task, role } = q {
            let _ = write!(
                s,
                "<th>AUROC vs {}: {}</th>",
                esc(task),
                match role {
                    ScoreRole::Trusted => "trusted",
                    ScoreRole::MaxSoftmax => "max-softmax",
                }
            );
        }
    }
    s.push_str("</tr>\n");
    for (i, st) in c.studies.iter().enumerate() {
        let link = report.link(i);
        match link {
            Some(href) => {
                let _ = write!(
                    s,
                    "<tr class=\"study\" data-href=\"{h}\"><td><a href=\"{h}\">{}</a></td>",
                    esc(&st.name),
                    h = esc(href)
                );
            }
            None => {
                let _ = write!(s, "<tr class=\"study\"><td>{}</td>", esc(&st.name));
            }
        }
        let seeds: Vec<String> = st.seeds.iter().map(u64::to_string).collect();
        let _ = write!(
            s,
            "<td class=\"wrap\">{}</td><td>{}</td>",
            esc(&st.data),
            if seeds.is_empty() {
                MISSING.to_owned()
            } else {
                seeds.join(", ")
            }
        );
        measure_cell(s, st.measure(&Quantity::Accuracy), false);
        let _ = write!(s, "<td class=\"wrap\">{}</td>", esc(&ks_words(st)));
        let red: Vec<String> = st
            .redundant
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(l, n)| format!("{l} ({n}/{} seeds)", st.seeds.len()))
            .collect();
        let _ = write!(
            s,
            "<td class=\"wrap\">{}</td>",
            esc(&if st.layers.len() < 2 {
                MISSING.to_owned()
            } else if red.is_empty() {
                "none".to_owned()
            } else {
                red.join(", ")
            })
        );
        for q in &classes {
            measure_cell(s, st.measure(q), true);
        }
        for u in &unseen_classes {
            measure_cell(
                s,
                st.measure(&Quantity::UnseenPath {
                    class: (*u).to_owned(),
                }),
                true,
            );
            let goes: Vec<String> = st
                .measures
                .iter()
                .filter_map(|m| match &m.quantity {
                    Quantity::Route { class, to } if class == u => Some(format!(
                        "→ {to}: {}",
                        estimate(
                            &m.quantity,
                            (m.estimate.mean, m.estimate.low, m.estimate.high)
                        )
                    )),
                    _ => None,
                })
                .collect();
            if goes.is_empty() {
                let _ = write!(s, "<td>{MISSING}</td>");
            } else {
                s.push_str("<td>");
                for (k, g) in goes.iter().enumerate() {
                    if k > 0 {
                        s.push_str("<br/>");
                    }
                    s.push_str(&esc(g));
                }
                s.push_str("</td>");
            }
        }
        for q in &aurocs {
            measure_cell(s, st.measure(q), false);
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table></div>\n");
}

fn maps_section(s: &mut String, c: &Comparison) {
    s.push_str("<h2 id=\"maps-title\">Layers compared</h2>\n<section id=\"maps\">");
    if c.similarities.is_empty() {
        s.push_str("<p class=\"note\">No two studies share their test inputs with their signatures kept (or the studies were read from their reports): no layer map.</p></section>\n");
        return;
    }
    if c.similarities.iter().any(|m| m.cka.is_some()) {
        s.push_str("<div class=\"maps-top\"><span>Show:</span><label><input type=\"radio\" name=\"metric\" value=\"cka\" checked=\"checked\"/> linear CKA (activations)</label><label><input type=\"radio\" name=\"metric\" value=\"ari\"/> ARI (cluster partitions)</label></div>");
    }
    s.push_str("<aside id=\"compare-detail\"><p class=\"note\">Click a cell of a map for its layers, its mean and its range over seeds.</p></aside><div class=\"maps\">");
    for (k, m) in c.similarities.iter().enumerate() {
        let name = |i: usize| {
            c.studies
                .get(i)
                .map_or_else(|| format!("study {i}"), |x| x.name.clone())
        };
        let (a, b) = (name(m.a), name(m.b));
        let title = if m.a == m.b {
            format!("{a} (within)")
        } else {
            format!("{a} vs {b}")
        };
        let _ = write!(s, "<figure class=\"heatmap\" data-index=\"{k}\">");
        if let Some(cka) = &m.cka {
            heatmap_svg(s, m, &title, (&a, &b), cka, "linear CKA", "hm hm-cka");
            heatmap_svg(s, m, &title, (&a, &b), &m.ari, "ARI", "hm hm-ari hm-alt");
        } else {
            heatmap_svg(s, m, &title, (&a, &b), &m.ari, "ARI", "hm hm-ari");
        }
        let seeds: Vec<String> = m.seeds.iter().map(u64::to_string).collect();
        let _ = write!(
            s,
            "<figcaption>{}: {} shared test samples, seed{} {}.</figcaption></figure>",
            esc(&title),
            crate::sentences::thousands(m.shared_samples),
            if seeds.len() == 1 { "" } else { "s" },
            seeds.join(", ")
        );
    }
    s.push_str("</div></section>\n");
}

/// The value of `grid` at `[i][j]`, NaN when missing.
fn at(grid: &[Vec<f64>], i: usize, j: usize) -> f64 {
    grid.get(i)
        .and_then(|r| r.get(j))
        .copied()
        .unwrap_or(f64::NAN)
}

/// A number for a `data-` attribute (full precision; `NaN` when not finite).
fn attr_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "NaN".into()
    }
}

/// One heatmap: rows `m.a_layers`, columns `m.b_layers`, each cell coloured by its mean from
/// white (0 or less) to dark blue (1), the mean printed in it, the seeds' range in its title.
#[allow(clippy::cast_precision_loss)]
fn heatmap_svg(
    s: &mut String,
    m: &LayerSimilarity,
    title: &str,
    (a, b): (&str, &str),
    grid: &LayerGrid,
    metric: &str,
    class: &str,
) {
    const FONT: f64 = 11.0;
    const ROW: f64 = 26.0;
    const TOP: f64 = 56.0;
    const MAX_LABEL: f64 = 150.0;
    let row_labels: Vec<String> = m
        .a_layers
        .iter()
        .map(|l| fit_text(l, FONT, MAX_LABEL))
        .collect();
    let left = row_labels
        .iter()
        .map(|l| text_width(l, FONT))
        .fold(30.0, f64::max)
        + 14.0;
    let cell = m
        .b_layers
        .iter()
        .map(|l| text_width(l, FONT) + 8.0)
        .fold(44.0, f64::max)
        .min(90.0);
    let (rows, cols) = (m.a_layers.len(), m.b_layers.len());
    let heading = format!("{title}: {metric}");
    let axes = fit_text(
        &format!("rows: {a} · columns: {b}"),
        FONT,
        (left + cols as f64 * cell).max(240.0),
    );
    let legend_y = TOP + rows as f64 * ROW + 14.0;
    let legend_note = format!("{metric}: white 0 or less, dark blue 1");
    let width = (left + cols as f64 * cell + 12.0)
        // bold runs about a tenth wider than the regular widths `text_width` estimates
        .max(1.12 * text_width(&heading, 13.0) + 12.0)
        .max(text_width(&axes, FONT) + 12.0)
        .max(8.0 + 10.0 * 16.0 + 24.0 + text_width(&legend_note, FONT) + 12.0);
    let height = legend_y + 34.0;
    let mut svg = String::new();
    svg_open(
        &mut svg,
        width,
        height,
        &format!("{heading} between layers"),
    );
    // the class and metric go on the root element
    let root = format!(
        "<svg class=\"{class}\" data-metric=\"{}\" ",
        if metric == "ARI" { "ari" } else { "cka" }
    );
    let svg = svg.replacen("<svg ", &root, 1);
    s.push_str(&svg);
    let _ = write!(
        s,
        r##"<text class="hm-label" x="4" y="16" font-size="13" font-weight="bold" fill="#111111">{}</text>"##,
        esc(&heading)
    );
    let _ = write!(
        s,
        r##"<text class="hm-label" x="4" y="32" font-size="{FONT}" fill="#555555">{}</text>"##,
        esc(&axes)
    );
    for (j, l) in m.b_layers.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text class="hm-label" x="{}" y="{}" font-size="{FONT}" text-anchor="middle" fill="#111111"><title>{}</title>{}</text>"##,
            px(left + (j as f64 + 0.5) * cell),
            px(TOP - 6.0),
            esc(l),
            esc(&fit_text(l, FONT, cell - 4.0))
        );
    }
    let n_seeds = m.seeds.len();
    let seeds_words = format!("{n_seeds} seed{}", if n_seeds == 1 { "" } else { "s" });
    for (i, row) in m.a_layers.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        let _ = write!(
            s,
            r##"<text class="hm-label" x="{}" y="{}" font-size="{FONT}" text-anchor="end" fill="#111111"><title>{}</title>{}</text>"##,
            px(left - 6.0),
            px(y + ROW / 2.0 + 4.0),
            esc(row),
            esc(&row_labels[i])
        );
        for (j, col) in m.b_layers.iter().enumerate() {
            let x = left + j as f64 * cell;
            let (mean, lo, hi) = (
                at(&grid.mean, i, j),
                at(&grid.min, i, j),
                at(&grid.max, i, j),
            );
            let (fill, ink) = if mean.is_finite() {
                heat(mean, 0.0)
            } else {
                ("#eeeeee".to_owned(), "#555555")
            };
            let mean_text = num_or_missing(mean, 3);
            let range_text = if lo.is_finite() && hi.is_finite() {
                format!("{}-{}", num_or_missing(lo, 3), num_or_missing(hi, 3))
            } else {
                MISSING.to_owned()
            };
            let _ = write!(
                s,
                r##"<rect class="hm-cell" x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="#ffffff" stroke-width="1" data-i="{i}" data-j="{j}" data-row="{}" data-col="{}" data-a="{}" data-b="{}" data-title="{}" data-metric="{metric}" data-mean="{}" data-min="{}" data-max="{}" data-mean-text="{mean_text}" data-range-text="{range_text}" data-seeds="{seeds_words}"><title>{} × {}: {metric} {mean_text} (mean over {seeds_words}; range {range_text})</title></rect><text class="hm-val" x="{}" y="{}" text-anchor="middle" font-size="{FONT}" fill="{ink}" pointer-events="none">{}</text>"##,
                px(x + 1.0),
                px(y + 1.0),
                px(cell - 2.0),
                px(ROW - 2.0),
                esc(row),
                esc(col),
                esc(a),
                esc(b),
                esc(title),
                attr_num(mean),
                attr_num(lo),
                attr_num(hi),
                esc(row),
                esc(col),
                px(x + cell / 2.0),
                px(y + ROW / 2.0 + 4.0),
                num_or_missing(mean, 2)
            );
        }
    }
    // legend: ten steps from 0 to 1
    for k in 0..10 {
        let v = (f64::from(k) + 0.5) / 10.0;
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="16" height="12" fill="{}"/>"##,
            px(20.0 + f64::from(k) * 16.0),
            px(legend_y),
            heat(v, 0.0).0
        );
    }
    let _ = write!(
        s,
        r##"<text class="hm-label" x="4" y="{y}" font-size="{FONT}" fill="#111111">0</text><text class="hm-label" x="{}" y="{y}" font-size="{FONT}" fill="#111111">1</text><text class="hm-label" x="{}" y="{y}" font-size="{FONT}" fill="#555555">{}</text>"##,
        px(20.0 + 160.0 + 4.0),
        px(20.0 + 160.0 + 18.0),
        esc(&legend_note),
        y = px(legend_y + 10.0)
    );
    s.push_str("</svg>");
}

fn differences_section(s: &mut String, c: &Comparison) {
    s.push_str("<h2 id=\"differences\">Differences</h2>\n");
    if c.differences.is_empty() {
        s.push_str("<p class=\"note\">No quantity is measured by two studies.</p>\n");
        return;
    }
    let distinct = c.differences.iter().filter(|d| d.distinct()).count();
    let name = |i: usize| {
        c.studies
            .get(i)
            .map_or_else(|| format!("study {i}"), |x| x.name.clone())
    };
    let _ = write!(
        s,
        "<div class=\"diffs\"><p class=\"note\">{} differences, {distinct} beyond noise (the intervals do not overlap).</p><input type=\"checkbox\" id=\"only-distinct\" checked=\"checked\"/><label for=\"only-distinct\"> only distinct (beyond noise)</label><div class=\"hscroll\"><table id=\"difference-table\"><tr><th>quantity</th><th>study</th><th>value</th><th>study</th><th>value</th><th>verdict</th></tr>",
        c.differences.len()
    );
    for d in &c.differences {
        let (a, b) = (name(d.a), name(d.b));
        let verdict = match d.verdict {
            Verdict::Higher => format!("{a} higher"),
            Verdict::Lower => format!("{a} lower"),
            Verdict::Overlap => "within noise".to_owned(),
        };
        let _ = write!(
            s,
            "<tr class=\"diff {}\"><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"verdict\">{}</td></tr>",
            if d.distinct() { "distinct" } else { "overlap" },
            esc(&d.quantity.to_string()),
            esc(&a),
            esc(&estimate(&d.quantity, d.a_value)),
            esc(&b),
            esc(&estimate(&d.quantity, d.b_value)),
            esc(&verdict)
        );
    }
    s.push_str("</table></div></div>\n");
}
