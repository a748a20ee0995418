//! The Sankey diagram: layout (node boxes, bands, label boxes) and its standalone SVG.

use std::fmt::Write as _;

use super::markup::{esc, fit_text, group_colour, hatch_pattern, px, text_width};
use super::validate::{Flows, check_sankey};
use super::{Result, SankeyData};

/// Smallest width of the drawing, in pixels.
const WIDTH: f64 = 1100.0;
/// Smallest distance between two columns; more columns make the drawing wider.
const MIN_GAP: f64 = 170.0;
/// Room left of the first column, for its labels.
const MARGIN_LEFT: f64 = 150.0;
/// Room right of the last column, for its labels.
const MARGIN_RIGHT: f64 = 170.0;
/// Top of the node area (column titles sit above).
const TOP: f64 = 64.0;
/// Width of a node bar.
const NODE_W: f64 = 14.0;
/// Vertical gap between two nodes of a column.
const NODE_PAD: f64 = 18.0;
/// Smallest height of the node area.
const MIN_PLOT_H: f64 = 520.0;
/// Largest height of the node area (beyond it, gaps shrink and small nodes lose their labels).
const MAX_PLOT_H: f64 = 900.0;
/// Smallest height a node bar is drawn with, however few samples it holds.
const MIN_NODE_H: f64 = 2.0;
/// Font size of node labels.
const FONT: f64 = 12.0;
/// Height of a label box.
const LABEL_H: f64 = 15.0;
/// Horizontal gap between a node and its label.
const LABEL_GAP: f64 = 6.0;
/// How far (pixels) a label may be moved off its node before it is dropped instead.
const LABEL_SLACK: f64 = 6.0;
/// Fill opacity of bands.
const BAND_OPACITY: f64 = 0.55;

/// Where everything of a Sankey diagram goes; [`sankey_svg`] draws exactly this.
#[derive(Debug, Clone, PartialEq)]
pub struct SankeyLayout {
    /// Width of the drawing.
    pub width: f64,
    /// Height of the drawing.
    pub height: f64,
    /// One box per node holding samples (empty nodes are not drawn).
    pub nodes: Vec<NodeBox>,
    /// One band per link with a count above 0, in the order of [`SankeyData::links`].
    pub bands: Vec<BandShape>,
    /// Node labels that fit; a label that would overlap another is dropped (the node keeps its
    /// tooltip).
    pub labels: Vec<LabelBox>,
    /// Column titles.
    pub titles: Vec<LabelBox>,
    /// Legend entries: one per group holding samples (swatch and text), then, if any of them is
    /// injected, a note saying what hatching means (text only).
    pub legend: Vec<LabelBox>,
}

/// A node's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeBox {
    /// Column index.
    pub column: usize,
    /// Node index within the column.
    pub node: usize,
    /// Samples the node holds.
    pub count: usize,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Height, proportional to `count` (bars are drawn at least 2 px tall).
    pub height: f64,
}

/// A band: a ribbon from its source node's right edge to its target node's left edge.
#[derive(Debug, Clone, PartialEq)]
pub struct BandShape {
    /// Index of the link in [`SankeyData::links`].
    pub link: usize,
    /// Its group.
    pub group: usize,
    /// Samples it carries.
    pub count: usize,
    /// Its width, proportional to `count`.
    pub width: f64,
    /// x at the source.
    pub x0: f64,
    /// Top y at the source.
    pub y0: f64,
    /// x at the target.
    pub x1: f64,
    /// Top y at the target.
    pub y1: f64,
}

/// A piece of text and the box it occupies.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelBox {
    /// The text drawn.
    pub text: String,
    /// Left edge of the box.
    pub left: f64,
    /// Top edge of the box.
    pub top: f64,
    /// Width of the box (a generous estimate of the text's width).
    pub width: f64,
    /// Height of the box.
    pub height: f64,
}

impl LabelBox {
    /// Whether two boxes overlap (touching edges do not count).
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        self.left < other.left + other.width
            && other.left < self.left + self.width
            && self.top < other.top + other.height
            && other.top < self.top + self.height
    }
}

/// Lays out a Sankey diagram: node heights and band widths proportional to counts, nodes
/// stacked per column with padding, later columns ordered by the mean position of their
/// sources, bands at each node ordered by the position of their other end (fewer crossings),
/// labels moved or dropped so that none overlaps another.
///
/// # Errors
/// [`ReportError`](super::ReportError) if the diagram has fewer than two columns, an empty
/// column, no group, a link to a missing node or group or skipping a column, no sample at all,
/// or an inner node whose inflow differs from its outflow.
pub fn sankey_layout(sankey: &SankeyData) -> Result<SankeyLayout> {
    let flows = check_sankey(sankey)?;
    Ok(layout(sankey, &flows))
}

#[allow(clippy::cast_precision_loss, clippy::too_many_lines)]
fn layout(sankey: &SankeyData, flows: &Flows) -> SankeyLayout {
    let n_cols = sankey.columns.len();
    let max_nodes = sankey
        .columns
        .iter()
        .map(|c| c.nodes.len())
        .max()
        .unwrap_or(0);
    let plot_h = MIN_PLOT_H.max(MAX_PLOT_H.min(max_nodes as f64 * (LABEL_H + NODE_PAD)));
    // Crowded columns get thinner gaps, so that gaps never take more than 40 % of the height.
    let pad = NODE_PAD.min(0.4 * plot_h / max_nodes.saturating_sub(1).max(1) as f64);
    let total_w = WIDTH.max(MARGIN_LEFT + MARGIN_RIGHT + NODE_W + MIN_GAP * (n_cols - 1) as f64);
    let gap = (total_w - MARGIN_LEFT - MARGIN_RIGHT - NODE_W) / (n_cols - 1) as f64;
    let col_x = |c: usize| MARGIN_LEFT + c as f64 * gap;

    // Scale: the fullest column (nodes and paddings) fills the plot height.
    let scale = (0..n_cols)
        .filter_map(|c| {
            let values: Vec<usize> = (0..sankey.columns[c].nodes.len())
                .map(|n| flows.value(c, n))
                .filter(|&v| v > 0)
                .collect();
            let total: usize = values.iter().sum();
            (total > 0)
                .then(|| (plot_h - pad * (values.len().saturating_sub(1)) as f64) / total as f64)
        })
        .fold(f64::INFINITY, f64::min);

    // Node order and positions, column by column.
    let mut rank: Vec<Vec<usize>> = sankey
        .columns
        .iter()
        .map(|c| vec![usize::MAX; c.nodes.len()])
        .collect();
    let mut y_top: Vec<Vec<f64>> = sankey
        .columns
        .iter()
        .map(|c| vec![0.0; c.nodes.len()])
        .collect();
    let mut nodes = Vec::new();
    for c in 0..n_cols {
        let mut order: Vec<usize> = (0..sankey.columns[c].nodes.len())
            .filter(|&n| flows.value(c, n) > 0)
            .collect();
        if c > 0 {
            let mut centre = vec![0.0; sankey.columns[c].nodes.len()];
            for l in sankey.links.iter().filter(|l| l.to.0 == c && l.count > 0) {
                let src_h = flows.value(c - 1, l.from.1) as f64 * scale;
                centre[l.to.1] += l.count as f64 * (y_top[c - 1][l.from.1] + src_h / 2.0);
            }
            for &n in &order {
                centre[n] /= flows.value(c, n) as f64;
            }
            order.sort_by(|&a, &b| centre[a].total_cmp(&centre[b]).then(a.cmp(&b)));
        }
        let total: usize = order.iter().map(|&n| flows.value(c, n)).sum();
        let used = total as f64 * scale + pad * order.len().saturating_sub(1) as f64;
        let mut y = TOP + (plot_h - used) / 2.0;
        for (r, &n) in order.iter().enumerate() {
            rank[c][n] = r;
            y_top[c][n] = y;
            let height = flows.value(c, n) as f64 * scale;
            nodes.push(NodeBox {
                column: c,
                node: n,
                count: flows.value(c, n),
                x: col_x(c),
                y,
                height,
            });
            y += height + pad;
        }
    }

    // Bands: at each node, stack outgoing bands by target position, incoming by source position.
    let live: Vec<usize> = (0..sankey.links.len())
        .filter(|&i| sankey.links[i].count > 0)
        .collect();
    let mut out_y = vec![0.0; sankey.links.len()];
    let mut in_y = vec![0.0; sankey.links.len()];
    let mut by_source = live.clone();
    by_source.sort_by_key(|&i| {
        let l = &sankey.links[i];
        (l.from, rank[l.to.0][l.to.1], l.group, i)
    });
    let mut by_target = live.clone();
    by_target.sort_by_key(|&i| {
        let l = &sankey.links[i];
        (l.to, rank[l.from.0][l.from.1], l.group, i)
    });
    let mut cursor: Option<((usize, usize), f64)> = None;
    for &i in &by_source {
        let l = &sankey.links[i];
        let y = match cursor {
            Some((node, y)) if node == l.from => y,
            _ => y_top[l.from.0][l.from.1],
        };
        out_y[i] = y;
        cursor = Some((l.from, y + l.count as f64 * scale));
    }
    cursor = None;
    for &i in &by_target {
        let l = &sankey.links[i];
        let y = match cursor {
            Some((node, y)) if node == l.to => y,
            _ => y_top[l.to.0][l.to.1],
        };
        in_y[i] = y;
        cursor = Some((l.to, y + l.count as f64 * scale));
    }
    let bands = live
        .iter()
        .map(|&i| {
            let l = &sankey.links[i];
            BandShape {
                link: i,
                group: l.group,
                count: l.count,
                width: l.count as f64 * scale,
                x0: col_x(l.from.0) + NODE_W,
                y0: out_y[i],
                x1: col_x(l.to.0),
                y1: in_y[i],
            }
        })
        .collect();

    // Labels: beside their node, moved a little or dropped so that none overlaps.
    let mut labels = Vec::new();
    for c in 0..n_cols {
        let (max_w, left_of_node) = if c == 0 {
            (MARGIN_LEFT - LABEL_GAP - 8.0, true)
        } else if c == n_cols - 1 {
            (MARGIN_RIGHT - NODE_W - LABEL_GAP - 8.0, false)
        } else {
            (gap - NODE_W - 2.0 * LABEL_GAP - 8.0, false)
        };
        let col_nodes: Vec<&NodeBox> = nodes.iter().filter(|b| b.column == c).collect();
        let tops = place_labels(&col_nodes);
        for (b, top) in col_nodes.iter().zip(tops) {
            let Some(top) = top else { continue };
            let count = format!(" ({})", b.count);
            let name = fit_text(
                &sankey.columns[c].nodes[b.node].label,
                FONT,
                max_w - text_width(&count, FONT),
            );
            let text = format!("{name}{count}");
            let width = text_width(&text, FONT);
            let left = if left_of_node {
                b.x - LABEL_GAP - width
            } else {
                b.x + NODE_W + LABEL_GAP
            };
            labels.push(LabelBox {
                text,
                left,
                top,
                width,
                height: LABEL_H,
            });
        }
    }

    let titles = (0..n_cols)
        .map(|c| {
            let text = fit_text(&sankey.columns[c].title, 14.0, gap - 16.0);
            let width = text_width(&text, 14.0);
            LabelBox {
                text,
                left: col_x(c) + NODE_W / 2.0 - width / 2.0,
                top: TOP - 40.0,
                width,
                height: 18.0,
            }
        })
        .collect();

    // Legend: a swatch and "label (n)" per group, wrapped to the width.
    let mut group_total = vec![0usize; sankey.groups.len()];
    for l in sankey.links.iter().filter(|l| l.from.0 == 0) {
        group_total[l.group] += l.count;
    }
    // (text, room for a swatch before it): the groups, then the note on hatching.
    let mut items: Vec<(String, f64)> = sankey
        .groups
        .iter()
        .enumerate()
        .filter(|&(g, _)| group_total[g] > 0)
        .map(|(g, group)| {
            let text = format!("{} ({})", group.label, group_total[g]);
            (fit_text(&text, FONT, total_w - 80.0), 20.0)
        })
        .collect();
    let any_injected = sankey
        .groups
        .iter()
        .enumerate()
        .any(|(g, group)| group.injected && group_total[g] > 0);
    if any_injected {
        items.push(("hatched: classes never seen in training".to_owned(), 0.0));
    }
    let mut legend = Vec::new();
    let (mut x, mut y) = (24.0, TOP + plot_h + 34.0);
    for (text, swatch) in items {
        let width = swatch + text_width(&text, FONT);
        if x + width > total_w - 24.0 && x > 24.0 {
            x = 24.0;
            y += 24.0;
        }
        legend.push(LabelBox {
            text,
            left: x,
            top: y,
            width,
            height: LABEL_H,
        });
        x += width + 26.0;
    }
    let height = y + LABEL_H + 20.0;
    SankeyLayout {
        width: total_w,
        height,
        nodes,
        bands,
        labels,
        titles,
        legend,
    }
}

/// Vertical label positions for one column's nodes (sorted top to bottom): `None` for a label
/// dropped because it could not sit next to its node without overlapping a bigger node's label.
fn place_labels(nodes: &[&NodeBox]) -> Vec<Option<f64>> {
    let mut shown: Vec<bool> = vec![true; nodes.len()];
    loop {
        let idx: Vec<usize> = (0..nodes.len()).filter(|&i| shown[i]).collect();
        let mut tops: Vec<f64> = idx
            .iter()
            .map(|&i| nodes[i].y + nodes[i].height.max(MIN_NODE_H) / 2.0 - LABEL_H / 2.0)
            .collect();
        // Push overlapping neighbours apart, half each, until nothing moves.
        for _ in 0..200 {
            let mut moved = false;
            for j in 1..tops.len() {
                let overlap = tops[j - 1] + LABEL_H + 1.0 - tops[j];
                if overlap > 1e-9 {
                    tops[j - 1] -= overlap / 2.0;
                    tops[j] += overlap / 2.0;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        // A label must stay beside its node (within a few pixels).
        let misplaced = idx.iter().zip(&tops).any(|(&i, &t)| {
            let n = nodes[i];
            t + LABEL_H < n.y - LABEL_SLACK || t > n.y + n.height.max(MIN_NODE_H) + LABEL_SLACK
        });
        let crowded = tops.windows(2).any(|w| w[1] < w[0] + LABEL_H);
        if !misplaced && !crowded {
            let mut out = vec![None; nodes.len()];
            for (&i, &t) in idx.iter().zip(&tops) {
                out[i] = Some(t);
            }
            return out;
        }
        // Drop the label of the smallest node still labelled, and try again.
        match idx
            .iter()
            .min_by_key(|&&i| (nodes[i].count, std::cmp::Reverse(i)))
        {
            Some(&i) => shown[i] = false,
            None => return vec![None; nodes.len()],
        }
    }
}

/// Draws a Sankey diagram as a standalone SVG (no script, no external resource): grey node bars
/// with "label (count)", semi-transparent cubic-Bézier bands coloured by group (colour-blind-safe
/// palette; injected groups hatched), a tooltip (`<title>`) on every band and node, column titles
/// and a legend.
///
/// # Errors
/// As [`sankey_layout`].
pub fn sankey_svg(sankey: &SankeyData) -> Result<String> {
    let flows = check_sankey(sankey)?;
    let lay = layout(sankey, &flows);
    Ok(draw(sankey, &lay))
}

fn draw(sankey: &SankeyData, lay: &SankeyLayout) -> String {
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="'DejaVu Sans', 'Liberation Sans', Arial, sans-serif" font-size="{FONT}" role="img">"#,
        w = px(lay.width),
        h = px(lay.height)
    );
    s.push_str("<title>Sankey diagram: how the samples flow through the layers</title>");
    s.push_str("<defs>");
    for (g, group) in sankey.groups.iter().enumerate().filter(|(_, g)| g.injected) {
        let _ = group;
        hatch_pattern(
            &mut s,
            &format!("mtq-sankey-hatch-{g}"),
            group_colour(&sankey.groups, g),
        );
    }
    s.push_str("</defs>");
    let _ = write!(
        s,
        r##"<rect width="{}" height="{}" fill="#ffffff"/>"##,
        px(lay.width),
        px(lay.height)
    );

    let fill = |g: usize| {
        if sankey.groups[g].injected {
            format!("url(#mtq-sankey-hatch-{g})")
        } else {
            group_colour(&sankey.groups, g).to_owned()
        }
    };
    let node_label = |c: usize, n: usize| &sankey.columns[c].nodes[n].label;

    // Bands, widest first so thin ones stay visible on top.
    let mut order: Vec<&BandShape> = lay.bands.iter().collect();
    order.sort_by(|a, b| b.count.cmp(&a.count).then(a.link.cmp(&b.link)));
    s.push_str(r#"<g class="bands">"#);
    for b in order {
        let l = &sankey.links[b.link];
        let xm = (b.x0 + b.x1) / 2.0;
        let (y0b, y1b) = (b.y0 + b.width, b.y1 + b.width);
        let group_total: usize = sankey
            .links
            .iter()
            .filter(|k| k.group == l.group && k.from.0 == l.from.0)
            .map(|k| k.count)
            .sum();
        let _ = write!(
            s,
            r#"<path class="band" data-link="{i}" d="M{x0},{y0}C{xm},{y0} {xm},{y1} {x1},{y1}L{x1},{y1b}C{xm},{y1b} {xm},{y0b} {x0},{y0b}Z" fill="{f}" fill-opacity="{BAND_OPACITY}" stroke="{c}" stroke-opacity="0.35" stroke-width="0.5"><title>{t}</title></path>"#,
            i = b.link,
            x0 = px(b.x0),
            y0 = px(b.y0),
            xm = px(xm),
            x1 = px(b.x1),
            y1 = px(b.y1),
            y1b = px(y1b),
            y0b = px(y0b),
            f = fill(l.group),
            c = group_colour(&sankey.groups, l.group),
            t = esc(&format!(
                "{}: {} → {}: {} samples ({} of the group)",
                sankey.groups[l.group].label,
                node_label(l.from.0, l.from.1),
                node_label(l.to.0, l.to.1),
                l.count,
                super::markup::pct(l.count, group_total, 1)
            )),
        );
    }
    s.push_str("</g>");

    // Nodes, with a per-group breakdown as tooltip.
    s.push_str(r#"<g class="nodes">"#);
    for n in &lay.nodes {
        let mut per_group = vec![0usize; sankey.groups.len()];
        for l in &sankey.links {
            let touches = if n.column == 0 {
                l.from == (n.column, n.node)
            } else {
                l.to == (n.column, n.node)
            };
            if touches {
                per_group[l.group] += l.count;
            }
        }
        let breakdown: Vec<String> = per_group
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(g, c)| format!("{}: {c}", sankey.groups[g].label))
            .collect();
        let h = n.height.max(MIN_NODE_H);
        let _ = write!(
            s,
            r##"<rect class="node" x="{}" y="{}" width="{NODE_W}" height="{}" fill="#3a3a3a"><title>{}</title></rect>"##,
            px(n.x),
            px(n.y + n.height / 2.0 - h / 2.0),
            px(h),
            esc(&format!(
                "{} — {}: {} samples ({})",
                sankey.columns[n.column].title,
                node_label(n.column, n.node),
                n.count,
                breakdown.join(", ")
            ))
        );
    }
    s.push_str("</g>");

    // Labels with a white halo so they stay legible over bands.
    s.push_str(r##"<g class="labels" fill="#111111" paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round">"##);
    for l in &lay.labels {
        let _ = write!(
            s,
            r#"<text class="label" x="{}" y="{}">{}</text>"#,
            px(l.left),
            px(l.top + LABEL_H * 0.77),
            esc(&l.text)
        );
    }
    s.push_str("</g>");
    s.push_str(r##"<g class="titles" font-size="14" font-weight="bold" fill="#111111" text-anchor="middle">"##);
    for t in &lay.titles {
        let _ = write!(
            s,
            r#"<text class="title" x="{}" y="{}">{}</text>"#,
            px(t.left + t.width / 2.0),
            px(t.top + 14.0),
            esc(&t.text)
        );
    }
    s.push_str("</g>");

    // Legend.
    s.push_str(r##"<g class="legend" fill="#111111">"##);
    let shown: Vec<usize> = (0..sankey.groups.len())
        .filter(|&g| {
            sankey
                .links
                .iter()
                .any(|l| l.group == g && l.from.0 == 0 && l.count > 0)
        })
        .collect();
    for (entry, &g) in lay.legend.iter().zip(&shown) {
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="14" height="14" fill="{}" fill-opacity="0.8" stroke="{}"/><text x="{}" y="{}">{}</text>"#,
            px(entry.left),
            px(entry.top),
            fill(g),
            group_colour(&sankey.groups, g),
            px(entry.left + 20.0),
            px(entry.top + LABEL_H * 0.77),
            esc(&entry.text)
        );
    }
    for note in lay.legend.iter().skip(shown.len()) {
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" fill="#555555" font-style="italic">{}</text>"##,
            px(note.left),
            px(note.top + LABEL_H * 0.77),
            esc(&note.text)
        );
    }
    s.push_str("</g></svg>\n");
    s
}
