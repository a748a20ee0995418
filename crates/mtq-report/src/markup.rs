//! Small helpers shared by the SVG and HTML writers: escaping, number formatting, palettes.

use std::fmt::Write as _;

/// Twenty class colours, distinct, in an order that keeps the first ones colour-blind-safe:
/// Okabe & Ito's eight (black last), then Paul Tol's "muted" nine, then three of Tol's
/// "medium contrast"/"light" ones. Reference and injected classes take the next colours of this
/// one sequence (so no two classes share a colour up to twenty); injected ones are also hatched.
pub(crate) const CLASS_COLOURS: [&str; 20] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
    "#AA4499", "#6699CC", "#997700", "#EE99AA",
];
/// Colours for curves (Okabe & Ito order, black last).
pub(crate) const CURVE_COLOURS: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];
/// Dash patterns used once the curve colours run out.
pub(crate) const CURVE_DASHES: [&str; 3] = ["", "6 3", "2 3"];

/// Escapes text for XML/HTML content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0: drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with two decimals, without a trailing `.00`.
pub(crate) fn px(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// `v` with `digits` decimals, never `-0.000` (a tiny negative rounds to an unsigned zero).
pub(crate) fn num(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_owned(),
        _ => s,
    }
}

/// `part / whole` as a percentage with `digits` decimals (`"–"` when `whole` is 0).
pub(crate) fn pct(part: usize, whole: usize, digits: usize) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    #[allow(clippy::cast_precision_loss)]
    let p = part as f64 / whole as f64;
    share(p, digits)
}

/// A share in `[0, 1]` as a percentage with `digits` decimals (`0.6` -> `60.0 %`); `—` when it
/// is NaN or infinite.
pub(crate) fn share(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{} %", num(100.0 * v, digits))
    } else {
        MISSING.to_owned()
    }
}

/// `v` with `digits` decimals as [`num`], `—` when it is NaN or infinite.
pub(crate) fn num_or_missing(v: f64, digits: usize) -> String {
    if v.is_finite() {
        num(v, digits)
    } else {
        MISSING.to_owned()
    }
}

/// What the comparison page shows for a number it does not have (or a NaN).
pub(crate) const MISSING: &str = "—";

/// Colours for unseen (injected) classes: dark and warm, drawn hatched with a dark outline, so
/// they read as strangers next to the known classes' palette. Each unseen set takes, in order,
/// the candidate farthest (CIELAB distance) from every known class colour in use and from the
/// unseen colours already taken.
pub(crate) const UNSEEN_COLOURS: [&str; 10] = [
    "#8B1A1A", "#5B2A86", "#7A4A00", "#B8336A", "#3B3B00", "#A0522D", "#4B0B2E", "#6B3E26",
    "#2F4F2F", "#800040",
];

/// sRGB `#rrggbb` to CIELAB (D65).
fn lab(hex: &str) -> [f64; 3] {
    let c = |i: usize| {
        let v = f64::from(u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0))
            / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (c(1), c(3), c(5));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Distance between two colours in CIELAB (ΔE 1976).
pub(crate) fn colour_distance(a: &str, b: &str) -> f64 {
    let (p, q) = (lab(a), lab(b));
    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
}

/// The colour of a band group. Known classes take [`CLASS_COLOURS`] in order (cycling beyond
/// twenty); unseen (injected) groups take [`UNSEEN_COLOURS`], each the candidate farthest from
/// every known colour and every unseen colour before it, so an unseen class never looks like
/// a known one.
pub(crate) fn group_colour(groups: &[super::SankeyGroup], group: usize) -> &'static str {
    let known: Vec<&'static str> = groups
        .iter()
        .filter(|g| !g.injected)
        .enumerate()
        .map(|(i, _)| CLASS_COLOURS[i % CLASS_COLOURS.len()])
        .collect();
    let Some(g) = groups.get(group) else {
        return CLASS_COLOURS[group % CLASS_COLOURS.len()];
    };
    if !g.injected {
        let rank = groups[..group].iter().filter(|g| !g.injected).count();
        return CLASS_COLOURS[rank % CLASS_COLOURS.len()];
    }
    let mut taken = known;
    let mut chosen = UNSEEN_COLOURS[0];
    for _ in groups.iter().take(group + 1).filter(|g| g.injected) {
        let free: Vec<&'static str> = UNSEEN_COLOURS
            .iter()
            .copied()
            .filter(|c| !taken.contains(c))
            .collect();
        let pool = if free.is_empty() {
            UNSEEN_COLOURS.to_vec()
        } else {
            free
        };
        chosen = pool
            .iter()
            .copied()
            .max_by(|a, b| {
                let d = |c: &str| {
                    taken
                        .iter()
                        .map(|t| colour_distance(c, t))
                        .fold(f64::INFINITY, f64::min)
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap_or(UNSEEN_COLOURS[0]);
        taken.push(chosen);
    }
    chosen
}

/// The hatching pattern of an injected group, to put in `<defs>`: its colour with light stripes.
pub(crate) fn hatch_pattern(out: &mut String, id: &str, colour: &str) {
    let _ = write!(
        out,
        r##"<pattern id="{id}" width="7" height="7" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="7" height="7" fill="{colour}"/><rect width="2.5" height="7" fill="#ffffff" fill-opacity="0.55"/></pattern>"##
    );
}

/// Approximate width in pixels of `text` in the 12 px sans-serif the SVGs use.
///
/// Deliberately generous (wider than DejaVu Sans / Liberation Sans), so boxes computed from it
/// contain the real glyphs.
pub(crate) fn text_width(text: &str, font_px: f64) -> f64 {
    let units: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' | '(' | ')' | '['
            | ']' => 0.36,
            'f' | 't' | 'r' | 'I' => 0.45,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.92,
            c if c.is_ascii_uppercase() => 0.72,
            c if c.is_ascii() => 0.62,
            _ => 1.0,
        })
        .sum();
    units * font_px
}

/// Cuts `text` to at most `max_width` pixels, ending it with `…` when cut.
pub(crate) fn fit_text(text: &str, font_px: f64, max_width: f64) -> String {
    if text_width(text, font_px) <= max_width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        let mut next = out.clone();
        next.push(c);
        next.push('…');
        if text_width(&next, font_px) > max_width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            esc("a<b & \"c\" 'd'>\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
    }

    #[test]
    fn formats_coordinates_and_percentages() {
        assert_eq!(px(12.0), "12");
        assert_eq!(px(12.5), "12.5");
        assert_eq!(px(-0.001), "0");
        assert_eq!(pct(1, 4, 1), "25.0 %");
        assert_eq!(pct(1, 0, 1), "–");
        assert_eq!(num(-0.0, 3), "0.000");
        assert_eq!(num(-1e-9, 3), "0.000");
        assert_eq!(num(-0.25, 2), "-0.25");
        assert_eq!(num(0.9955, 2), "1.00");
    }

    #[test]
    fn unseen_classes_are_coloured_far_from_every_known_class() {
        use crate::SankeyGroup;
        let g = |label: &str, injected| SankeyGroup {
            label: label.into(),
            injected,
        };
        for known in [2usize, 8, 10, 20] {
            let mut groups: Vec<SankeyGroup> =
                (0..known).map(|i| g(&i.to_string(), false)).collect();
            groups.push(g("u1", true));
            groups.push(g("u2", true));
            let colours: Vec<&str> = (0..groups.len())
                .map(|i| group_colour(&groups, i))
                .collect();
            for u in known..groups.len() {
                assert!(UNSEEN_COLOURS.contains(&colours[u]));
                for k in 0..known {
                    let d = colour_distance(colours[u], colours[k]);
                    assert!(
                        d > 15.0,
                        "{known} known: unseen {} vs {} (ΔE {d:.1})",
                        colours[u],
                        colours[k]
                    );
                }
            }
            assert_ne!(colours[known], colours[known + 1]);
        }
    }

    #[test]
    fn fitted_text_is_no_wider_than_asked() {
        let long = "a very long cluster name that will not fit";
        let cut = fit_text(long, 12.0, 80.0);
        assert!(cut.ends_with('…'));
        assert!(text_width(&cut, 12.0) <= 80.0);
        assert_eq!(fit_text("h1:7", 12.0, 80.0), "h1:7");
    }
}
