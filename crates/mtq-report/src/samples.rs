//! The per-sample table (`samples.csv`, `samples.json`), so users can join paths and scores back
//! to their data.
//!
//! One row per sample of every set, with these columns (the data dictionary of the README):
//!
//! | column | meaning |
//! | --- | --- |
//! | `set` | `reference`, `test` or `unseen:<class>` |
//! | `id` | the sample's id (e.g. its index in the source file), else its row in the set |
//! | `true_label` | class name; the class name of an unseen set; empty when unknown |
//! | `predicted` | the network's predicted class; empty without probabilities |
//! | `<layer>_cluster` | cluster name, e.g. `h1:7` (majority class; `#2` marks a second cluster of the same class) |
//! | `<layer>_cluster_id` | cluster id within the layer, from 0 |
//! | `<layer>_distance` | Euclidean distance to that cluster's centroid |
//! | `path` | the clusters joined by ` > ` |
//! | `path_count_in_reference` | reference samples on the same path (0: a path never taken in training) |
//! | `anomaly_score` | the trusted score (higher = more anomalous); its name is `anomaly_score_name` in `report.json` |
//! | `<score key>` | every score, e.g. `knn_h1_k1_l2`, `centroid_distance_h2`, `max_softmax` |
//!
//! Empty cells (`null` in JSON): the kNN scores and the combined score of `reference` rows (a
//! sample is its own nearest neighbour there; they are not computed, so the reference's
//! [`ScoreTable`](mtq_signature::ScoreTable) has no such column), and therefore `anomaly_score`
//! when the trusted score is one of them; `predicted` / `max_softmax` without probabilities. A
//! study of the reference alone has no kNN column at all. Layer names become keys with
//! [`column_key`].
//!
//! `samples.json` is a list of flat records with the CSV's columns: `pandas.read_json(path,
//! orient="records")` reads it as is, as `pandas.read_csv` reads the CSV.

use std::fmt::Write as _;

use mtq_signature::scores::column_key;
use mtq_signature::{ScoreId, SignatureModel, StudyResult, TracedSet, path::path_name};

use crate::error::Result;

/// One cell of the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count or id.
    Int(usize),
    /// A measurement; NaN is an empty cell.
    Float(f64),
    /// No value: a score not computed for the sample's set, or a value not given (an empty
    /// CSV field, `null` in JSON).
    Empty,
    /// A single-precision measurement (a distance), written with its shortest `f32` digits.
    Single(f32),
}

/// Every sample of a study, one row each, with named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleTable {
    /// Column names (snake_case, unique).
    pub columns: Vec<String>,
    /// The rows, set by set in study order; each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl SampleTable {
    /// The table of every set of `result` (as traced by `model`).
    #[must_use]
    pub fn new(model: &SignatureModel, result: &StudyResult) -> Self {
        let names = model.cluster_names();
        let classes = model.class_names();
        let mut columns: Vec<String> = ["set", "id", "true_label", "predicted"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for l in model.layer_names() {
            let k = column_key(l);
            columns.push(format!("{k}_cluster"));
            columns.push(format!("{k}_cluster_id"));
            columns.push(format!("{k}_distance"));
        }
        columns.extend(
            ["path", "path_count_in_reference", "anomaly_score"]
                .iter()
                .map(|s| s.to_string()),
        );
        let score_ids = score_columns(result);
        columns.extend(score_ids.iter().map(|id| id.key()));
        dedupe(&mut columns);
        let mut rows = Vec::new();
        for set in &result.sets {
            let trusted = set.scores.column(&result.trusted.score);
            // Each header score's column in this set, if computed for it.
            let at: Vec<Option<usize>> = score_ids
                .iter()
                .map(|id| set.scores.columns.iter().position(|c| c == *id))
                .collect();
            let role = set.role.to_string();
            let unseen_label = match &set.role {
                mtq_signature::SetRole::Unseen(n) => n.clone(),
                _ => String::new(),
            };
            for i in 0..set.len() {
                let path = set.trace.path(i);
                let mut row = vec![
                    Cell::Text(role.clone()),
                    Cell::Int(set.ids.as_ref().map_or(i, |v| v[i])),
                    Cell::Text(match &set.labels {
                        Some(l) => classes.get(l[i]).cloned().unwrap_or_default(),
                        None => unseen_label.clone(),
                    }),
                    Cell::Text(
                        set.trace
                            .predictions
                            .as_ref()
                            .and_then(|p| classes.get(p[i]).cloned())
                            .unwrap_or_default(),
                    ),
                ];
                for (li, &c) in path.iter().enumerate() {
                    row.push(Cell::Text(names[li][c].clone()));
                    row.push(Cell::Int(c));
                    row.push(Cell::Single(set.trace.distances[[i, li]]));
                }
                row.push(Cell::Text(path_name(&path, &names)));
                row.push(Cell::Int(model.path_count(&path)));
                row.push(trusted.map_or(Cell::Empty, |c| Cell::Float(c[i])));
                let values = set.scores.values.row(i);
                row.extend(
                    at.iter()
                        .map(|j| j.map_or(Cell::Empty, |j| Cell::Float(values[j]))),
                );
                rows.push(row);
            }
        }
        Self { columns, rows }
    }

    /// The table as CSV, header first. Fields with commas, quotes or line breaks are quoted;
    /// NaN is an empty field.
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = self
            .columns
            .iter()
            .map(|h| csv_field(h))
            .collect::<Vec<_>>()
            .join(",");
        out.push('\n');
        for r in &self.rows {
            let f: Vec<String> = r
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => csv_field(s),
                    Cell::Int(n) => n.to_string(),
                    Cell::Float(v) if v.is_nan() => String::new(),
                    Cell::Empty => String::new(),
                    Cell::Float(v) => v.to_string(),
                    Cell::Single(v) if v.is_nan() => String::new(),
                    Cell::Single(v) => v.to_string(),
                })
                .collect();
            let _ = writeln!(out, "{}", f.join(","));
        }
        out
    }

    /// The table as JSON records (`[{"set": "reference", "id": 0, ...}, ...]`), NaN as `null`:
    /// what `pandas.read_json(path, orient="records")` reads.
    ///
    /// # Errors
    /// [`ReportError::Json`](crate::ReportError::Json) if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        // Written directly (keys escaped once), not through a `serde_json::Value` per cell: the
        // full-MNIST table has millions of cells.
        let keys: Vec<String> = self
            .columns
            .iter()
            .map(serde_json::to_string)
            .collect::<std::result::Result<_, _>>()?;
        let mut out = String::with_capacity(self.rows.len() * self.columns.len() * 24 + 2);
        out.push('[');
        for (i, r) in self.rows.iter().enumerate() {
            out.push_str(if i == 0 { "{" } else { ",{" });
            for (j, (k, c)) in keys.iter().zip(r).enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str(k);
                out.push(':');
                match c {
                    Cell::Text(t) => out.push_str(&serde_json::to_string(t)?),
                    Cell::Int(n) => {
                        let _ = write!(out, "{n}");
                    }
                    // `Debug` is the shortest round-trip form with an exponent when it is
                    // shorter (`1e-7`, `2.5e20`): valid JSON numbers.
                    Cell::Float(v) if v.is_finite() => {
                        let _ = write!(out, "{v:?}");
                    }
                    Cell::Single(v) if v.is_finite() => {
                        let _ = write!(out, "{v:?}");
                    }
                    Cell::Float(_) | Cell::Single(_) | Cell::Empty => out.push_str("null"),
                }
            }
            out.push('}');
        }
        out.push(']');
        Ok(out)
    }
}

/// The score columns of the table: every score computed for any set, in the order of the set
/// with the most (the reference lacks the kNN scores; the others have them all, in the same
/// order), then any other set's extra ones.
fn score_columns(result: &StudyResult) -> Vec<&ScoreId> {
    let mut sets: Vec<&TracedSet> = result.sets.iter().collect();
    sets.sort_by_key(|s| std::cmp::Reverse(s.scores.columns.len()));
    let mut ids: Vec<&ScoreId> = Vec::new();
    for s in sets {
        for c in &s.scores.columns {
            if !ids.contains(&c) {
                ids.push(c);
            }
        }
    }
    ids
}

/// Makes column names unique: a repeated name gets `_2`, `_3`, ... (two layers whose names map
/// to the same key).
fn dedupe(columns: &mut [String]) {
    let mut seen = std::collections::HashSet::new();
    for c in columns.iter_mut() {
        if !seen.insert(c.clone()) {
            let mut n = 2;
            while seen.contains(&format!("{c}_{n}")) {
                n += 1;
            }
            *c = format!("{c}_{n}");
            seen.insert(c.clone());
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("h1:7"), "h1:7");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }

    #[test]
    fn json_records_keep_column_order_and_null_nan() {
        let t = SampleTable {
            columns: vec!["set".into(), "z".into(), "a".into()],
            rows: vec![vec![
                Cell::Text("test".into()),
                Cell::Float(f64::NAN),
                Cell::Single(0.1),
            ]],
        };
        assert_eq!(t.to_json().unwrap(), r#"[{"set":"test","z":null,"a":0.1}]"#);
    }

    #[test]
    fn dedupe_suffixes_repeats() {
        let mut c = vec!["a".to_string(), "a".into(), "a_2".into(), "b".into()];
        dedupe(&mut c);
        let set: std::collections::HashSet<&String> = c.iter().collect();
        assert_eq!(set.len(), 4);
        assert_eq!(c[0], "a");
    }
}
