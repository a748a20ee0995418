//! The per-sample table (`samples.csv`, `samples.json`), so users can join paths and scores back
//! to their data.
//!
//! One row per sample of every set, with these columns (the data dictionary of the README):
//!
//! | column | meaning |
//! | --- | --- |
//! | `set` | `reference`, `test` or `unseen:<class>` |
//! | `id` | the sample's id where the route has one (its row in the source file: the IDX file for MNIST, the shipped set for UCI digits and breast cancer, `--x` for arrays, `PREFIX_ids.npy` for activations), else its row in the set |
//! | `true_label` | the true class as an index into `report.json`'s classes (integer); empty for an unseen set or when unknown |
//! | `true_class` | the true class's name; the class name of an unseen set; empty when unknown |
//! | `predicted` | the network's predicted class as an index into the classes (integer); empty without probabilities |
//! | `predicted_class` | the predicted class's name; empty without probabilities |
//! | `<layer>_cluster` | cluster name, e.g. `h1:7` (majority class; `#2` marks a second cluster of the same class) |
//! | `<layer>_cluster_id` | cluster id within the layer, from 0 |
//! | `<layer>_distance` | Euclidean distance to that cluster's centroid |
//! | `path` | the clusters joined by ` > ` |
//! | `path_count_in_reference` | reference samples on the same path (0: a path never taken in training) |
//! | `anomaly_score` | the trusted score (higher = more anomalous); its name is `anomaly_score_name` in `report.json` |
//! | `p_value` | the path monitor's combined conformal p-value (studies with a calibration set; empty for `reference` rows) |
//! | `flagged` | `true` when `p_value` is below the monitor's alpha (`report.json`'s `anomaly.monitor.alpha`) |
//! | `left_at` | the first layer whose own p-value is below alpha: where the sample left the known paths; empty if none |
//! | `<layer>_p_value` | that layer's conformal p-value (nearest-neighbour distance against the calibration set) |
//! | `<score key>` | every score, higher = more anomalous, e.g. `knn_h1_k1_l2`, `centroid_distance_h2`, `one_minus_max_softmax` (1 - the largest class probability) |
//!
//! Empty cells (`null` in JSON): the kNN and monitor scores of `reference` rows (a
//! sample is its own nearest neighbour there; they are not computed, so the reference's
//! [`ScoreTable`](mtq_signature::ScoreTable) has no such column), and therefore `anomaly_score`
//! when the trusted score is one of them; `predicted` / `one_minus_max_softmax` without
//! probabilities. `true_label` and `predicted` are both integers (or empty) whatever the class
//! names, so `df.true_label == df.predicted` after a plain `pandas.read_csv` is the network's
//! hit on each labelled row. A
//! study of the reference alone has no kNN column at all. Layer names become keys with
//! [`column_key`].
//!
//! `samples.json` is a list of flat records with the CSV's columns: `pandas.read_json(path,
//! orient="records")` reads it as is, as `pandas.read_csv` reads the CSV.

use std::collections::HashMap;
use std::io::{self, Write};

use mtq_signature::scores::column_key;
use mtq_signature::{ScoreId, SignatureModel, StudyResult, TracedSet, path::path_name};

use crate::error::Result;

/// Writes `v` with its shortest round-trip digits: plainly from `1e-4` to `1e16`, in
/// scientific notation outside (`1.59e-243`, not 243 zeros; a p-value of the far tail stays
/// short).
fn write_number<T>(w: &mut (impl Write + ?Sized), v: T) -> io::Result<()>
where
    T: std::fmt::Display + std::fmt::LowerExp + Into<f64> + Copy,
{
    let a = v.into().abs();
    if a == 0.0 || (1e-4..1e16).contains(&a) || !a.is_finite() {
        write!(w, "{v}")
    } else {
        write!(w, "{v:e}")
    }
}

/// A missing integer ([`Column::Int`]): written as an empty field, `null` in JSON.
const MISSING: usize = usize::MAX;

/// One cell of the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count, an id or a class index.
    Int(usize),
    /// A measurement; NaN is an empty cell.
    Float(f64),
    /// No value: a score not computed for the sample's set, or a value not given (an empty
    /// CSV field, `null` in JSON).
    Empty,
    /// A single-precision measurement (a distance), written with its shortest `f32` digits.
    Single(f32),
}

/// One column's values, one per row. Texts are indices into the table's pool of distinct
/// strings (a set name, a class, a cluster or a path repeats over thousands of rows); a
/// missing measurement is NaN.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    Text(Vec<u32>),
    Int(Vec<usize>),
    Float(Vec<f64>),
    Single(Vec<f32>),
}

/// Every sample of a study, one row each, with named columns.
///
/// Stored by column (about 8 bytes a cell: the 58,200 x 67 table of the 8-class full-MNIST
/// study takes ~30 MB, not the ~150 MB of a `Vec<Cell>` per row) and written by streaming
/// ([`write_csv`](Self::write_csv), [`write_json`](Self::write_json)).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleTable {
    /// Column names (snake_case, unique).
    pub columns: Vec<String>,
    values: Vec<Column>,
    texts: Vec<String>,
    n_rows: usize,
}

/// Builds the columns row by row, interning the texts.
struct Builder {
    values: Vec<Column>,
    texts: Vec<String>,
    index: HashMap<String, u32>,
    at: usize,
}

impl Builder {
    fn text(&mut self, s: &str) {
        let id = match self.index.get(s) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
                self.texts.push(s.to_string());
                self.index.insert(s.to_string(), id);
                id
            }
        };
        self.push(|c| match c {
            Column::Text(v) => v.push(id),
            _ => unreachable_kind(),
        });
    }

    fn opt_int(&mut self, n: Option<usize>) {
        self.int(n.unwrap_or(MISSING));
    }

    fn int(&mut self, n: usize) {
        self.push(|c| match c {
            Column::Int(v) => v.push(n),
            _ => unreachable_kind(),
        });
    }

    fn float(&mut self, x: f64) {
        self.push(|c| match c {
            Column::Float(v) => v.push(x),
            _ => unreachable_kind(),
        });
    }

    fn single(&mut self, x: f32) {
        self.push(|c| match c {
            Column::Single(v) => v.push(x),
            _ => unreachable_kind(),
        });
    }

    fn push(&mut self, f: impl FnOnce(&mut Column)) {
        f(&mut self.values[self.at]);
        self.at = (self.at + 1) % self.values.len();
    }
}

/// The column kinds are fixed by [`SampleTable::new`] in the order it fills them.
#[cold]
fn unreachable_kind() {
    debug_assert!(false, "a sample-table column of the wrong kind");
}

impl SampleTable {
    /// The table of every set of `result` (as traced by `model`).
    #[must_use]
    pub fn new(model: &SignatureModel, result: &StudyResult) -> Self {
        let names = model.cluster_names();
        let classes = model.class_names();
        let mut columns: Vec<String> = [
            "set",
            "id",
            "true_label",
            "true_class",
            "predicted",
            "predicted_class",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut kinds = vec![
            Column::Text(Vec::new()),
            Column::Int(Vec::new()),
            Column::Int(Vec::new()),
            Column::Text(Vec::new()),
            Column::Int(Vec::new()),
            Column::Text(Vec::new()),
        ];
        for l in model.layer_names() {
            let k = column_key(l);
            columns.push(format!("{k}_cluster"));
            columns.push(format!("{k}_cluster_id"));
            columns.push(format!("{k}_distance"));
            kinds.extend([
                Column::Text(Vec::new()),
                Column::Int(Vec::new()),
                Column::Single(Vec::new()),
            ]);
        }
        columns.extend(
            ["path", "path_count_in_reference", "anomaly_score"]
                .iter()
                .map(|s| s.to_string()),
        );
        kinds.extend([
            Column::Text(Vec::new()),
            Column::Int(Vec::new()),
            Column::Float(Vec::new()),
        ]);
        // the path monitor's verdict, when the study has one
        let monitored = result.monitor.is_some();
        if monitored {
            columns.extend(["p_value", "flagged", "left_at"].map(String::from));
            kinds.extend([
                Column::Float(Vec::new()),
                Column::Text(Vec::new()),
                Column::Text(Vec::new()),
            ]);
            for l in model.layer_names() {
                columns.push(format!("{}_p_value", column_key(l)));
                kinds.push(Column::Float(Vec::new()));
            }
        }
        let score_ids = score_columns(result);
        columns.extend(score_ids.iter().map(|id| id.key()));
        kinds.extend(score_ids.iter().map(|_| Column::Float(Vec::new())));
        dedupe(&mut columns);
        let mut b = Builder {
            values: kinds,
            texts: Vec::new(),
            index: HashMap::new(),
            at: 0,
        };
        let mut n_rows = 0;
        for set in &result.sets {
            let trusted = result
                .trusted
                .as_ref()
                .and_then(|t| set.scores.column(&t.score));
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
                b.text(&role);
                b.int(set.ids.as_ref().map_or(i, |v| v[i]));
                let label = set.labels.as_ref().map(|l| l[i]);
                b.opt_int(label.filter(|&l| l < classes.len()));
                b.text(match label {
                    Some(l) => classes.get(l).map_or("", String::as_str),
                    None => &unseen_label,
                });
                let predicted = set.trace.predictions.as_ref().map(|p| p[i]);
                b.opt_int(predicted.filter(|&p| p < classes.len()));
                b.text(
                    predicted
                        .and_then(|p| classes.get(p))
                        .map_or("", String::as_str),
                );
                for (li, &c) in path.iter().enumerate() {
                    b.text(&names[li][c]);
                    b.int(c);
                    b.single(set.trace.distances[[i, li]]);
                }
                b.text(&path_name(&path, &names));
                b.int(model.path_count(&path));
                b.float(trusted.map_or(f64::NAN, |c| c[i]));
                if monitored {
                    let m = set.monitor.as_ref();
                    b.float(m.map_or(f64::NAN, |m| m.log_p[i].exp()));
                    b.text(m.map_or("", |m| if m.flagged[i] { "true" } else { "false" }));
                    b.text(
                        m.and_then(|m| m.left_at[i])
                            .and_then(|l| model.layer_names().get(l))
                            .map_or("", String::as_str),
                    );
                    for li in 0..path.len() {
                        b.float(m.map_or(f64::NAN, |m| m.layer_log_p[[i, li]].exp()));
                    }
                }
                let values = set.scores.values.row(i);
                for j in &at {
                    b.float(j.map_or(f64::NAN, |j| values[j]));
                }
                n_rows += 1;
            }
        }
        Self {
            columns,
            values: b.values,
            texts: b.texts,
            n_rows,
        }
    }

    /// A table from rows of cells (each as long as `columns`; a short row is padded with
    /// empty cells). A column keeps its cells' kind when they all share it ([`Cell::Empty`]
    /// fits a measurement column); a column mixing kinds is written as text.
    #[must_use]
    pub fn from_rows(columns: Vec<String>, rows: &[Vec<Cell>]) -> Self {
        let mut texts = Vec::new();
        let mut index = HashMap::new();
        let mut intern = |s: String| -> u32 {
            *index.entry(s.clone()).or_insert_with(|| {
                texts.push(s);
                u32::try_from(texts.len() - 1).unwrap_or(u32::MAX)
            })
        };
        let values = (0..columns.len())
            .map(|j| {
                let cells: Vec<&Cell> = rows
                    .iter()
                    .map(|r| r.get(j).unwrap_or(&Cell::Empty))
                    .collect();
                let all = |f: fn(&Cell) -> bool| cells.iter().all(|c| f(c));
                if all(|c| matches!(c, Cell::Int(_) | Cell::Empty))
                    && cells.iter().any(|c| matches!(c, Cell::Int(_)))
                {
                    Column::Int(
                        cells
                            .iter()
                            .map(|c| match c {
                                Cell::Int(n) => *n,
                                _ => MISSING,
                            })
                            .collect(),
                    )
                } else if all(|c| matches!(c, Cell::Single(_) | Cell::Empty)) {
                    Column::Single(
                        cells
                            .iter()
                            .map(|c| match c {
                                Cell::Single(v) => *v,
                                _ => f32::NAN,
                            })
                            .collect(),
                    )
                } else if all(|c| matches!(c, Cell::Float(_) | Cell::Empty)) {
                    Column::Float(
                        cells
                            .iter()
                            .map(|c| match c {
                                Cell::Float(v) => *v,
                                _ => f64::NAN,
                            })
                            .collect(),
                    )
                } else {
                    Column::Text(
                        cells
                            .iter()
                            .map(|c| {
                                intern(match c {
                                    Cell::Text(t) => t.clone(),
                                    Cell::Int(n) => n.to_string(),
                                    Cell::Float(v) if !v.is_nan() => v.to_string(),
                                    Cell::Single(v) if !v.is_nan() => v.to_string(),
                                    _ => String::new(),
                                })
                            })
                            .collect(),
                    )
                }
            })
            .collect();
        Self {
            columns,
            values,
            texts,
            n_rows: rows.len(),
        }
    }

    /// Number of rows (samples).
    #[must_use]
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Row `i` as cells (a missing measurement as [`Cell::Empty`]); `None` past the end.
    #[must_use]
    pub fn row(&self, i: usize) -> Option<Vec<Cell>> {
        (i < self.n_rows).then(|| self.values.iter().map(|c| self.cell(c, i)).collect())
    }

    fn cell(&self, column: &Column, i: usize) -> Cell {
        match column {
            Column::Text(v) => Cell::Text(self.text(v[i]).to_string()),
            Column::Int(v) if v[i] == MISSING => Cell::Empty,
            Column::Int(v) => Cell::Int(v[i]),
            Column::Float(v) if v[i].is_nan() => Cell::Empty,
            Column::Float(v) => Cell::Float(v[i]),
            Column::Single(v) if v[i].is_nan() => Cell::Empty,
            Column::Single(v) => Cell::Single(v[i]),
        }
    }

    fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).map_or("", String::as_str)
    }

    /// The table as CSV, header first (see [`write_csv`](Self::write_csv)).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        // writing to a Vec cannot fail
        let _ = self.write_csv(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the table as CSV, header first. Fields with commas, quotes or line breaks are
    /// quoted; a missing value is an empty field.
    ///
    /// # Errors
    /// The writer's.
    pub fn write_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        let header: Vec<String> = self.columns.iter().map(|h| csv_field(h)).collect();
        writeln!(w, "{}", header.join(","))?;
        let texts: Vec<String> = self.texts.iter().map(|t| csv_field(t)).collect();
        for i in 0..self.n_rows {
            for (j, c) in self.values.iter().enumerate() {
                if j > 0 {
                    w.write_all(b",")?;
                }
                match c {
                    Column::Text(v) => {
                        w.write_all(
                            texts
                                .get(v[i] as usize)
                                .map_or("", String::as_str)
                                .as_bytes(),
                        )?;
                    }
                    Column::Int(v) if v[i] != MISSING => write!(w, "{}", v[i])?,
                    Column::Float(v) if !v[i].is_nan() => write_number(w, v[i])?,
                    Column::Single(v) if !v[i].is_nan() => write_number(w, v[i])?,
                    Column::Int(_) | Column::Float(_) | Column::Single(_) => {}
                }
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The table as JSON records (see [`write_json`](Self::write_json)).
    ///
    /// # Errors
    /// [`ReportError::Write`](crate::ReportError::Write) if a text cannot be serialised.
    pub fn to_json(&self) -> Result<String> {
        let mut out = Vec::new();
        self.write_json(&mut out)
            .map_err(|source| crate::ReportError::Write {
                path: "samples.json".into(),
                source,
            })?;
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    /// Writes the table as JSON records (`[{"set": "reference", "id": 0, ...}, ...]`), a
    /// missing value or a non-finite one as `null`: what `pandas.read_json(path,
    /// orient="records")` reads.
    ///
    /// # Errors
    /// The writer's (a key or text that cannot be serialised too, as an I/O error).
    pub fn write_json(&self, w: &mut dyn Write) -> io::Result<()> {
        // Written directly (keys and texts escaped once), not through a `serde_json::Value` per
        // cell: the full-MNIST table has millions of cells.
        let keys: Vec<String> = self
            .columns
            .iter()
            .map(serde_json::to_string)
            .collect::<std::result::Result<_, _>>()?;
        let texts: Vec<String> = self
            .texts
            .iter()
            .map(serde_json::to_string)
            .collect::<std::result::Result<_, _>>()?;
        w.write_all(b"[")?;
        for i in 0..self.n_rows {
            w.write_all(if i == 0 { b"{" } else { b",{" })?;
            for (j, (k, c)) in keys.iter().zip(&self.values).enumerate() {
                if j > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(k.as_bytes())?;
                w.write_all(b":")?;
                // `Debug` is the shortest round-trip form with an exponent when it is shorter
                // (`1e-7`, `2.5e20`): valid JSON numbers.
                match c {
                    Column::Text(v) => w.write_all(
                        texts
                            .get(v[i] as usize)
                            .map_or("\"\"", String::as_str)
                            .as_bytes(),
                    ),
                    Column::Int(v) if v[i] != MISSING => write!(w, "{}", v[i]),
                    Column::Float(v) if v[i].is_finite() => write!(w, "{:?}", v[i]),
                    Column::Single(v) if v[i].is_finite() => write!(w, "{:?}", v[i]),
                    Column::Int(_) | Column::Float(_) | Column::Single(_) => w.write_all(b"null"),
                }?;
            }
            w.write_all(b"}")?;
        }
        w.write_all(b"]")?;
        Ok(())
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
            values: vec![
                Column::Text(vec![0]),
                Column::Float(vec![f64::NAN]),
                Column::Single(vec![0.1]),
            ],
            texts: vec!["test".into()],
            n_rows: 1,
        };
        assert_eq!(
            t.row(0),
            Some(vec![
                Cell::Text("test".into()),
                Cell::Empty,
                Cell::Single(0.1)
            ])
        );
        assert_eq!(t.to_csv(), "set,z,a\ntest,,0.1\n");
        assert_eq!(t.to_json().unwrap(), r#"[{"set":"test","z":null,"a":0.1}]"#);
    }

    #[test]
    fn tiny_and_huge_numbers_are_written_short() {
        let rows = vec![
            vec![Cell::Float(1.59e-243), Cell::Single(0.25)],
            vec![Cell::Float(0.5), Cell::Single(3e20)],
            vec![Cell::Float(0.0), Cell::Single(1e-5)],
        ];
        let t = SampleTable::from_rows(vec!["p".into(), "d".into()], &rows);
        assert_eq!(t.to_csv(), "p,d\n1.59e-243,0.25\n0.5,3e20\n0,1e-5\n");
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
