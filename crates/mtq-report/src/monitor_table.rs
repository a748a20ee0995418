//! The report's path-monitor section: what the monitor promised (alpha) and what it did on the
//! test set (false alarms, against the binomial 99 % interval) and on each unseen class
//! (detections), then where the flagged inputs left the known paths, layer by layer (layers as
//! rows, so a deep network's table grows down, not across).

use std::fmt::Write as _;

use mtq_signature::monitor::{FlagCount, MonitorSummary};

use crate::markup::{esc, num, pct};
use crate::sentences::monitor_line;

/// Layers above which the where-they-left table scrolls in its own box.
const SCROLL_LAYERS: usize = 24;

/// Appends the section for `m`.
pub(crate) fn monitor_section(s: &mut String, m: &MonitorSummary) {
    s.push_str("<h2>Path monitor</h2>\n");
    let _ = writeln!(s, "<p class=\"verdict\">{}</p>", esc(&monitor_line(m)));
    s.push_str(
        "<table><tr><th>set</th><th>inputs</th><th>flagged</th><th>share</th><th></th></tr>",
    );
    let row = |s: &mut String, f: &FlagCount, what: String| {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&f.set),
            f.n,
            f.flagged,
            pct(f.flagged, f.n, 1),
            esc(&what)
        );
    };
    if let Some(t) = &m.test {
        let (lo, hi) = FlagCount::interval(m.alpha, t.n);
        let inside = t.holds(m.alpha);
        row(
            s,
            t,
            format!(
                "false alarms; {} expected at alpha {} (99 % interval {}–{} %){}",
                pct((m.alpha * t.n as f64).round() as usize, t.n, 1),
                m.alpha,
                num(100.0 * lo, 1),
                num(100.0 * hi, 1),
                if inside { "" } else { ": outside it" }
            ),
        );
    }
    for u in &m.unseen {
        row(s, u, "detected (never seen in training)".into());
    }
    s.push_str("</table>\n");
    let sets: Vec<&FlagCount> = m.test.iter().chain(&m.unseen).collect();
    let scroll = m.layers.len() > SCROLL_LAYERS;
    if scroll {
        s.push_str("<div class=\"scroll\">");
    }
    s.push_str("<table><tr><th>flagged inputs left the known paths at</th><th>layer flags above (nearest-neighbour distance, scaled units)</th>");
    for f in &sets {
        let _ = write!(s, "<th>{}</th>", esc(&f.set));
    }
    s.push_str("</tr>");
    for (l, layer) in m.layers.iter().enumerate() {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td>",
            esc(layer),
            num(m.layer_thresholds.get(l).copied().unwrap_or(f64::NAN), 4)
        );
        for f in &sets {
            let c = f.left_at.get(l).copied().unwrap_or(0);
            let _ = write!(s, "<td class=\"n\">{c} ({})</td>", pct(c, f.n, 0));
        }
        s.push_str("</tr>");
    }
    s.push_str("<tr><td>no single layer (flagged by their combination)</td><td></td>");
    for f in &sets {
        let _ = write!(
            s,
            "<td class=\"n\">{} ({})</td>",
            f.stayed,
            pct(f.stayed, f.n, 0)
        );
    }
    s.push_str("</tr></table>");
    if scroll {
        s.push_str("</div>");
    }
    let _ = writeln!(
        s,
        "\n<p class=\"note\">Each layer's distance to its nearest reference sample becomes a conformal p-value against the {} calibration samples (never trained on, never evaluated); an input leaves the known paths at the first layer whose p-value is below alpha = {}. It is flagged when the combined p-value of the layers not redundant with the previous one ({}: Fisher's method, calibrated the same way; Fisher statistic above {}) is below alpha. The per-sample files give every p-value (<code>p_value</code>, <code>flagged</code>, <code>left_at</code>, <code>&lt;layer&gt;_p_value</code>).</p>",
        m.n_calibration,
        m.alpha,
        esc(&m.combined_layers.join(", ")),
        num(m.fisher_threshold, 3)
    );
}
