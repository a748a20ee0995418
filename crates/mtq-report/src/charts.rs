//! Line charts: each layer's silhouette curve, and ROC curves per task.

use std::fmt::Write as _;

use super::markup::{CURVE_COLOURS, CURVE_DASHES, esc, fit_text, num, px, text_width};
use super::validate::{check_roc, check_silhouette};
use super::{LayerPair, Result, RocCurve, SilhouetteCurve};

/// Left margin of a panel (y tick labels and axis title).
const PAD_LEFT: f64 = 58.0;
/// Top margin of a panel (its title).
const PAD_TOP: f64 = 34.0;
/// Bottom margin under the plot area (x tick labels and axis title).
const PAD_BOTTOM: f64 = 46.0;
/// Height of one legend line.
const LEGEND_LINE: f64 = 18.0;

/// One curve of a chart.
struct Series {
    label: String,
    /// Numbers appended to the legend entry, never cut.
    suffix: String,
    colour: &'static str,
    dash: &'static str,
    points: Vec<(f64, f64)>,
    /// A highlighted point and its note (e.g. the chosen K).
    mark: Option<((f64, f64), String)>,
    dots: bool,
    /// Drawn thick and labelled on the plot (the trusted score).
    emphasis: bool,
}

/// The frame of a chart panel.
struct Frame {
    title: String,
    x_label: &'static str,
    y_label: &'static str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    x_ticks: Vec<f64>,
    y_ticks: Vec<f64>,
    x_digits: usize,
    plot_w: f64,
    plot_h: f64,
    diagonal: bool,
}

impl Frame {
    fn height(&self, series: &[Series]) -> f64 {
        let lines: usize = series
            .iter()
            .map(|c| legend_lines(c, self.legend_width()).len())
            .sum();
        #[allow(clippy::cast_precision_loss)]
        let legend = lines as f64 * LEGEND_LINE;
        PAD_TOP + self.plot_h + PAD_BOTTOM + legend + 8.0
    }
    /// Room for legend text, right of the line sample.
    fn legend_width(&self) -> f64 {
        self.width() - 10.0 - 30.0 - 4.0
    }
    fn width(&self) -> f64 {
        PAD_LEFT + self.plot_w + 24.0
    }
}

/// Drops the points of a polyline that lie within half a pixel of the last point kept (the
/// first and last are always kept): a ROC curve over thousands of samples becomes a few hundred
/// points, drawn the same.
fn thin(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(points.len().min(1024));
    for (i, &p) in points.iter().enumerate() {
        let keep = match out.last() {
            None => true,
            Some(&(x, y)) => {
                i + 1 == points.len() || (p.0 - x).abs() >= 0.5 || (p.1 - y).abs() >= 0.5
            }
        };
        if keep {
            out.push(p);
        }
    }
    out
}

/// A curve's legend text: `label: numbers` on one line, or the label and the numbers on two
/// lines (each cut to fit) when one is too narrow.
fn legend_lines(c: &Series, width: f64) -> Vec<String> {
    let one = format!("{}{}", c.label, c.suffix);
    if text_width(&one, 12.0) <= width {
        return vec![one];
    }
    vec![
        fit_text(&c.label, 12.0, width),
        fit_text(c.suffix.trim_start_matches(": "), 12.0, width),
    ]
}

fn style_of(i: usize) -> (&'static str, &'static str) {
    (
        CURVE_COLOURS[i % CURVE_COLOURS.len()],
        CURVE_DASHES[(i / CURVE_COLOURS.len()) % CURVE_DASHES.len()],
    )
}

/// Draws one panel with its top-left corner at (`ox`, `oy`).
fn panel(s: &mut String, ox: f64, oy: f64, f: &Frame, series: &[Series]) {
    let (x0, x1) = f.x_range;
    let (y0, y1) = f.y_range;
    let sx = |x: f64| ox + PAD_LEFT + (x - x0) / (x1 - x0) * f.plot_w;
    let sy = |y: f64| oy + PAD_TOP + (1.0 - (y - y0) / (y1 - y0)) * f.plot_h;
    let (left, top, right, bottom) = (sx(x0), sy(y1), sx(x1), sy(y0));
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" font-size="14" font-weight="bold" fill="#111111">{}</text>"##,
        px(left),
        px(oy + 18.0),
        esc(&fit_text(&f.title, 14.0, f.plot_w + PAD_LEFT - 10.0))
    );
    // Grid and ticks.
    s.push_str(r##"<g stroke="#dddddd" stroke-width="1">"##);
    for &t in &f.y_ticks {
        let _ = write!(
            s,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
            px(left),
            px(right),
            y = px(sy(t))
        );
    }
    for &t in &f.x_ticks {
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#,
            px(top),
            px(bottom),
            x = px(sx(t))
        );
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#555555"/>"##,
        px(left),
        px(top),
        px(f.plot_w),
        px(f.plot_h)
    );
    s.push_str(r##"<g fill="#333333" font-size="11">"##);
    for &t in &f.y_ticks {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            px(left - 6.0),
            px(sy(t) + 4.0),
            num(t, 1)
        );
    }
    for &t in &f.x_ticks {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{t:.d$}</text>"#,
            px(sx(t)),
            px(bottom + 16.0),
            d = f.x_digits
        );
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#111111">{}</text>"##,
        px((left + right) / 2.0),
        px(bottom + 34.0),
        f.x_label
    );
    let _ = write!(
        s,
        r##"<text transform="translate({} {}) rotate(-90)" text-anchor="middle" fill="#111111">{}</text>"##,
        px(ox + 16.0),
        px((top + bottom) / 2.0),
        f.y_label
    );
    if f.diagonal {
        let _ = write!(
            s,
            r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888888" stroke-dasharray="4 4"><title>chance</title></line>"##,
            px(left),
            px(bottom),
            px(right),
            px(top)
        );
    }
    // Curves, the emphasised one last (on top), thick, labelled on the plot.
    let mut drawn: Vec<&Series> = series.iter().filter(|c| !c.emphasis).collect();
    drawn.extend(series.iter().filter(|c| c.emphasis));
    for c in drawn {
        let screen: Vec<(f64, f64)> = c.points.iter().map(|&(x, y)| (sx(x), sy(y))).collect();
        let pts: Vec<String> = thin(&screen)
            .iter()
            .map(|&(x, y)| format!("{},{}", px(x), px(y)))
            .collect();
        let dash = if c.dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{}""#, c.dash)
        };
        let _ = write!(
            s,
            r#"<polyline class="{}" points="{}" fill="none" stroke="{}" stroke-width="{}"{dash}><title>{}</title></polyline>"#,
            if c.emphasis { "curve trusted" } else { "curve" },
            pts.join(" "),
            c.colour,
            if c.emphasis { 4.5 } else { 1.5 },
            esc(&c.label)
        );
        if c.emphasis {
            // "trusted" beside the curve where it crosses FPR 0.2 (or its last point).
            let at = screen
                .iter()
                .find(|p| p.0 >= sx(x0 + 0.2 * (x1 - x0)))
                .or(screen.last())
                .copied();
            if let Some((x, y)) = at {
                let _ = write!(
                    s,
                    r##"<text class="trusted-label" x="{}" y="{}" font-size="12" font-weight="bold" fill="{}" paint-order="stroke" stroke="#ffffff" stroke-width="3">trusted</text>"##,
                    px((x + 8.0).min(right - 56.0)),
                    px((y + 16.0).min(bottom - 4.0)),
                    c.colour
                );
            }
        }
        if c.dots {
            for &(x, y) in &c.points {
                let _ = write!(
                    s,
                    r#"<circle cx="{}" cy="{}" r="3" fill="{}"/>"#,
                    px(sx(x)),
                    px(sy(y)),
                    c.colour
                );
            }
        }
        if let Some(((x, y), note)) = &c.mark {
            let _ = write!(
                s,
                r##"<circle class="mark" cx="{cx}" cy="{cy}" r="7" fill="none" stroke="{c}" stroke-width="2.5"><title>{t}</title></circle>"##,
                cx = px(sx(*x)),
                cy = px(sy(*y)),
                c = c.colour,
                t = esc(note)
            );
        }
    }
    // Legend under the plot: one line per curve, two when its name and numbers do not fit.
    let mut y = bottom + PAD_BOTTOM + 6.0;
    let x = ox + 10.0;
    for c in series {
        let dash = if c.dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{}""#, c.dash)
        };
        let _ = write!(
            s,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="{}"{dash}/>"#,
            px(x),
            px(x + 24.0),
            c.colour,
            if c.emphasis { 5 } else { 3 },
            y = px(y - 4.0),
        );
        for line in legend_lines(c, f.legend_width()) {
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" fill="#111111"{}>{}</text>"##,
                px(x + 30.0),
                px(y),
                if c.emphasis {
                    r#" font-weight="bold""#
                } else {
                    ""
                },
                esc(&line)
            );
            y += LEGEND_LINE;
        }
    }
}

pub(crate) fn svg_open(s: &mut String, width: f64, height: f64, title: &str) {
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="'DejaVu Sans', 'Liberation Sans', Arial, sans-serif" font-size="12" role="img"><title>{t}</title><rect width="{w}" height="{h}" fill="#ffffff"/>"##,
        w = px(width),
        h = px(height),
        t = esc(title)
    );
}

/// Draws each layer's silhouette curve (silhouette score against K) in one chart, the chosen K
/// of each layer circled and given in the legend.
///
/// # Errors
/// [`ReportError`](super::ReportError) if there is no curve, or a curve is empty, has K and
/// silhouette lists of different lengths, K not strictly increasing, a score outside `[-1, 1]`,
/// or a chosen K that is not on it.
pub fn silhouette_svg(curves: &[SilhouetteCurve]) -> Result<String> {
    check_silhouette(curves)?;
    if curves.is_empty() {
        return Err(super::ReportError::EmptyCurve {
            curve: "silhouette curves".to_owned(),
        });
    }
    #[allow(clippy::cast_precision_loss)]
    let (k_min, k_max) = (
        curves
            .iter()
            .filter_map(|c| c.k.first())
            .min()
            .copied()
            .unwrap_or(2) as f64,
        curves
            .iter()
            .filter_map(|c| c.k.last())
            .max()
            .copied()
            .unwrap_or(2) as f64,
    );
    let values = curves.iter().flat_map(|c| c.silhouette.iter().copied());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let y_lo = ((lo * 10.0).floor() / 10.0).clamp(-1.0, 0.0);
    let y_hi = ((hi * 10.0).ceil() / 10.0).max(y_lo + 0.1).min(1.0);
    let y_step = if y_hi - y_lo > 1.0 { 0.2 } else { 0.1 };
    let x_span = (k_max - k_min).max(1.0);
    let x_step = (x_span / 12.0).ceil().max(1.0);
    let frame = Frame {
        title: "Silhouette score per K (chosen K circled)".to_owned(),
        x_label: "K (number of clusters)",
        y_label: "silhouette",
        x_range: (k_min - 0.3, k_min + x_span + 0.3),
        y_range: (y_lo, y_hi),
        x_ticks: ticks(k_min, k_max, x_step),
        y_ticks: ticks(y_lo, y_hi, y_step),
        x_digits: 0,
        plot_w: 520.0,
        plot_h: 300.0,
        diagonal: false,
    };
    let series: Vec<Series> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (colour, dash) = style_of(i);
            #[allow(clippy::cast_precision_loss)]
            let points: Vec<(f64, f64)> =
                c.k.iter()
                    .zip(&c.silhouette)
                    .map(|(&k, &v)| (k as f64, v))
                    .collect();
            let chosen = c.k.iter().position(|&k| k == c.chosen_k).map(|i| points[i]);
            let best = chosen.map_or(f64::NAN, |p| p.1);
            Series {
                label: c.layer.clone(),
                suffix: format!(": K = {} (silhouette {})", c.chosen_k, num(best, 3)),
                colour,
                dash,
                mark: chosen.map(|p| (p, format!("{}: chosen K = {}", c.layer, c.chosen_k))),
                points,
                dots: true,
                emphasis: false,
            }
        })
        .collect();
    let (w, h) = (frame.width(), frame.height(&series));
    let mut s = String::new();
    svg_open(&mut s, w, h, "Silhouette score per K, per layer");
    panel(&mut s, 0.0, 0.0, &frame, &series);
    s.push_str("</svg>\n");
    Ok(s)
}

/// Ticks from `lo` to `hi` (inclusive, within rounding) every `step`.
fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut i = 0.0;
    loop {
        let t = lo + i * step;
        if t > hi + step * 1e-6 {
            break;
        }
        out.push((t / step).round() * step);
        i += 1.0;
    }
    out
}

/// Draws ROC curves, one square panel per task (in order of first appearance) side by side,
/// with the chance diagonal and each curve's AUROC and FPR at 95 % TPR in the legend. The
/// curve of the score named `trusted` (if any) is drawn on top, thick, labelled "trusted" on
/// the plot and first in the legend with "trusted: " before its name.
///
/// # Errors
/// [`ReportError`](super::ReportError) if there is no curve, or a curve is empty, has FPR and
/// TPR lists of different lengths, a rate that decreases, or a rate, AUROC or FPR at 95 % TPR
/// outside `[0, 1]`.
pub fn roc_svg(curves: &[RocCurve], trusted: &str) -> Result<String> {
    check_roc(curves)?;
    if curves.is_empty() {
        return Err(super::ReportError::EmptyCurve {
            curve: "ROC curves".to_owned(),
        });
    }
    let mut tasks: Vec<&str> = Vec::new();
    for c in curves {
        if !tasks.contains(&c.task.as_str()) {
            tasks.push(&c.task);
        }
    }
    let frames: Vec<(Frame, Vec<Series>)> = tasks
        .iter()
        .map(|&task| {
            let frame = Frame {
                title: format!("ROC: {task}"),
                x_label: "false-positive rate",
                y_label: "true-positive rate",
                x_range: (0.0, 1.0),
                y_range: (0.0, 1.0),
                x_ticks: ticks(0.0, 1.0, 0.2),
                y_ticks: ticks(0.0, 1.0, 0.2),
                x_digits: 1,
                plot_w: 320.0,
                plot_h: 320.0,
                diagonal: true,
            };
            let mut series: Vec<Series> = curves
                .iter()
                .filter(|c| c.task == task)
                .enumerate()
                .map(|(i, c)| {
                    let (colour, dash) = style_of(i);
                    let is_trusted = !trusted.is_empty() && c.name == trusted;
                    Series {
                        label: if is_trusted {
                            format!("trusted: {}", c.name)
                        } else {
                            c.name.clone()
                        },
                        suffix: format!(
                            ": AUROC {}, FPR@95 {}",
                            num(c.auroc, 3),
                            num(c.fpr_at_95_tpr, 3)
                        ),
                        colour,
                        dash,
                        points: c.fpr.iter().copied().zip(c.tpr.iter().copied()).collect(),
                        mark: None,
                        dots: false,
                        emphasis: !trusted.is_empty() && c.name == trusted,
                    }
                })
                .collect();
            // The trusted curve first in the legend.
            series.sort_by_key(|c| !c.emphasis);
            (frame, series)
        })
        .collect();
    let width: f64 = frames.iter().map(|(f, _)| f.width() + 20.0).sum();
    let height = frames.iter().map(|(f, s)| f.height(s)).fold(0.0, f64::max);
    let mut s = String::new();
    svg_open(&mut s, width, height, "ROC curves of the anomaly scores");
    let mut ox = 0.0;
    for (f, series) in &frames {
        panel(&mut s, ox, 0.0, f, series);
        ox += f.width() + 20.0;
    }
    s.push_str("</svg>\n");
    Ok(s)
}

/// A value in `[lo, 1]` as a sequential blue (white at `lo` and below, dark blue at 1), and the
/// text colour that reads on it.
pub(crate) fn heat(v: f64, lo: f64) -> (String, &'static str) {
    let t = if v.is_finite() {
        ((v - lo) / (1.0 - lo).max(1e-9)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    let colour = format!(
        "#{:02x}{:02x}{:02x}",
        lerp(247.0, 8.0),
        lerp(251.0, 48.0),
        lerp(255.0, 107.0)
    );
    (colour, if t > 0.55 { "#ffffff" } else { "#111111" })
}

/// Draws the agreement of each layer with the previous one as a heat strip: one column per
/// consecutive pair (titled by its later layer), one row for the ARI of their partitions and one
/// for the linear CKA of their activations, each cell coloured from white to dark blue (1) with
/// its value; a redundant pair's CKA cell is outlined (the verdict is linear CKA). White is the lowest value shown rounded
/// down to a tenth (at most 0.9, at least 0), so that values all close to 1 still differ. Readable at twenty layers and more
/// (the strip grows right; the page scrolls it).
///
/// # Errors
/// [`ReportError`](super::ReportError) if there is no pair, or an ARI or CKA outside `[-1, 1]`.
pub fn agreement_svg(pairs: &[LayerPair], threshold: f64) -> Result<String> {
    if pairs.is_empty() {
        return Err(super::ReportError::EmptyCurve {
            curve: "layer agreement".to_owned(),
        });
    }
    for (i, p) in pairs.iter().enumerate() {
        super::validate::check_range(|| format!("ARI of {}", p.second), i, p.ari, -1.0, 1.0)?;
        if let Some(c) = p.cka {
            super::validate::check_range(|| format!("CKA of {}", p.second), i, c, -1.0, 1.0)?;
        }
    }
    const LEFT: f64 = 96.0;
    const TOP: f64 = 40.0;
    const ROW: f64 = 30.0;
    let cell = pairs
        .iter()
        .map(|p| text_width(&p.second, 11.0) + 10.0)
        .fold(46.0, f64::max);
    let lowest = pairs
        .iter()
        .flat_map(|p| [Some(p.ari), p.cka])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(1.0, f64::min);
    let lo = ((lowest * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let title = format!(
        "Agreement with the previous layer (redundant if linear CKA ≥ {})",
        num(threshold, 2)
    );
    let note = format!(
        "Column h: the pair (layer before h) → h. White: {} or less, dark blue: 1; orange outline: redundant.",
        num(lo, 1)
    );
    #[allow(clippy::cast_precision_loss)]
    let width = (LEFT + cell * pairs.len() as f64 + 12.0)
        .max(text_width(&title, 13.0) + 12.0)
        .max(text_width(&note, 11.0) + 12.0);
    let height = TOP + 2.0 * ROW + 30.0;
    let mut s = String::new();
    svg_open(
        &mut s,
        width,
        height,
        "Agreement of each layer with the previous one (ARI, linear CKA)",
    );
    let _ = write!(
        s,
        r##"<text x="4" y="16" font-size="13" font-weight="bold" fill="#111111">{}</text>"##,
        esc(&title)
    );
    for (r, name) in ["ARI", "linear CKA"].iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = TOP + r as f64 * ROW;
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#111111">{name}</text>"##,
            px(LEFT - 8.0),
            px(y + ROW / 2.0 + 4.0)
        );
    }
    for (i, p) in pairs.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = LEFT + i as f64 * cell;
        let _ = write!(
            s,
            r##"<text class="pair" x="{}" y="{}" text-anchor="middle" font-size="11" fill="#111111">{}</text>"##,
            px(x + cell / 2.0),
            px(TOP - 6.0),
            esc(&p.second)
        );
        for (r, v) in [Some(p.ari), p.cka].into_iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let y = TOP + r as f64 * ROW;
            let what = if r == 0 { "ARI" } else { "linear CKA" };
            let (fill, ink) = v.map_or(("#eeeeee".to_owned(), "#555555"), |v| heat(v, lo));
            let outline = if r == 1 && p.redundant {
                r##" stroke="#d55e00" stroke-width="3""##
            } else {
                r##" stroke="#ffffff" stroke-width="1""##
            };
            let text = v.map_or_else(|| "–".to_owned(), |v| num(v, 2));
            let _ = write!(
                s,
                r##"<rect class="cell" x="{}" y="{}" width="{}" height="{}" fill="{fill}"{outline}><title>{} → {}: {what} {}{}</title></rect><text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{ink}">{text}</text>"##,
                px(x + 1.5),
                px(y + 1.5),
                px(cell - 3.0),
                px(ROW - 3.0),
                esc(&p.first),
                esc(&p.second),
                v.map_or_else(|| "not computed".to_owned(), |v| num(v, 3)),
                if r == 1 && p.redundant {
                    " (redundant)"
                } else {
                    ""
                },
                px(x + cell / 2.0),
                px(y + ROW / 2.0 + 4.0)
            );
        }
    }
    let _ = write!(
        s,
        r##"<text x="4" y="{}" font-size="11" fill="#555555">{}</text>"##,
        px(TOP + 2.0 * ROW + 18.0),
        esc(&note)
    );
    s.push_str("</svg>\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::{agreement_svg, thin};
    use crate::LayerPair;

    #[test]
    fn agreement_strip_has_two_cells_per_pair_and_outlines_redundant_ones() {
        let pairs: Vec<LayerPair> = (1..19)
            .map(|i| LayerPair {
                first: format!("h{i}"),
                second: format!("h{}", i + 1),
                ari: 0.9,
                nmi: 0.9,
                cka: if i == 3 { None } else { Some(0.95) },
                redundant: i % 2 == 0,
            })
            .collect();
        let svg = agreement_svg(&pairs, 0.95).unwrap();
        assert_eq!(svg.matches(r#"class="cell""#).count(), 36);
        assert_eq!(svg.matches(r##"stroke="#d55e00""##).count(), 9);
        assert!(svg.contains("not computed"));
        assert!(agreement_svg(&[], 0.95).is_err());
    }

    #[test]
    fn thinning_keeps_ends_and_stays_within_half_a_pixel() {
        // A staircase of 10,000 tiny steps across 300 pixels.
        let pts: Vec<(f64, f64)> = (0..=10_000)
            .map(|i| (f64::from(i) * 0.03, f64::from(i / 2) * 0.06))
            .collect();
        let kept = thin(&pts);
        assert!(kept.len() < 1000, "{} points kept", kept.len());
        assert_eq!(kept.first(), pts.first());
        assert_eq!(kept.last(), pts.last());
        // Every dropped point is within half a pixel (per axis) of the last kept point before it.
        let mut k = 0;
        for p in &pts {
            if k + 1 < kept.len() && *p == kept[k + 1] {
                k += 1;
            }
            assert!((p.0 - kept[k].0).abs() < 0.5 + 1e-9 && (p.1 - kept[k].1).abs() < 0.5 + 1e-9);
        }
    }
}
