//! Several seeds in one table: per seed its accuracy, K per layer, redundancy verdicts and the
//! AUROC of the trusted score and of max-softmax per task; then the partitions' agreement.

use std::fmt::Write as _;

use mtq_signature::Stability;

use crate::markup::{esc, num};

/// Writes the "Across seeds" section of the HTML report.
pub(crate) fn stability_section(s: &mut String, st: &Stability, trusted: &str) {
    s.push_str("<h2 id=\"seeds\">Across seeds</h2>\n<table class=\"seeds\"><tr><th rowspan=\"2\">seed</th><th rowspan=\"2\">test accuracy</th>");
    let _ = write!(
        s,
        "<th colspan=\"{}\">K per layer</th>",
        st.layers.len().max(1)
    );
    let pairs = st.layers.len().saturating_sub(1);
    if pairs > 0 {
        let _ = write!(
            s,
            "<th colspan=\"{pairs}\">redundant with the previous layer</th>"
        );
    }
    for t in &st.tasks {
        let _ = write!(
            s,
            "<th colspan=\"2\">AUROC, test vs {}</th>",
            esc(&t.unseen)
        );
    }
    s.push_str("</tr><tr>");
    for l in &st.layers {
        let _ = write!(s, "<th>{}</th>", esc(l));
    }
    for l in st.layers.iter().skip(1) {
        let _ = write!(s, "<th>{}</th>", esc(l));
    }
    for _ in &st.tasks {
        let _ = write!(s, "<th>trusted ({})</th><th>max-softmax</th>", esc(trusted));
    }
    s.push_str("</tr>");
    for r in &st.per_seed {
        let _ = write!(
            s,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            r.seed,
            r.test_accuracy.map_or_else(|| "–".into(), |a| num(a, 4))
        );
        for k in &r.ks {
            let _ = write!(s, "<td class=\"n\">{k}</td>");
        }
        for v in &r.redundant {
            let _ = write!(s, "<td>{}</td>", if *v { "yes" } else { "no" });
        }
        for (i, a) in r.trusted_auroc.iter().enumerate() {
            let m = r.max_softmax_auroc.get(i).copied().flatten();
            let _ = write!(
                s,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
                num(*a, 3),
                m.map_or_else(|| "–".into(), |m| num(m, 3))
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>\n");
    if st.seeds.len() > 1 && !st.partition_ari.is_empty() {
        s.push_str("<p class=\"note\">Agreement of the seeds' partitions of the reference set (ARI over pairs of seeds, min–max): ");
        let parts: Vec<String> = st
            .partition_ari_range()
            .into_iter()
            .map(|(l, lo, hi)| format!("{} {}–{}", esc(l), num(lo, 3), num(hi, 3)))
            .collect();
        s.push_str(&parts.join(", "));
        s.push_str(". The report below shows the first seed.</p>\n");
    }
}
