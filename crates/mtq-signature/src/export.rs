//! The per-sample table (CSV and JSON) so users can join paths back to their data.

use std::fmt::Write as _;
use std::path::Path;

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::analysis::{SignatureModel, Trace};
use crate::error::Result;
use crate::path::path_name;
use crate::report::write_atomic;
use crate::scores::ScoreTable;

/// One sample's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    /// The set it belongs to (e.g. `train 1/7`, `4`).
    pub set: String,
    /// Sample id (the given id, else the row number within its set).
    pub id: usize,
    /// True label: a class name, the injected set's name, or empty when unknown.
    pub true_label: String,
    /// Predicted class name, or empty without probabilities.
    pub predicted: String,
    /// Cluster name per layer.
    pub clusters: Vec<String>,
    /// Cluster id per layer.
    pub cluster_ids: Vec<usize>,
    /// Distance to the cluster's centroid per layer.
    pub distances: Vec<f32>,
    /// Path name (`h1:7 > h2:7 > out:7`).
    pub path: String,
    /// Reference samples taking the same path.
    pub path_count_in_reference: usize,
    /// Anomaly scores, in the order of [`SampleTable::score_names`]; NaN (`null` in JSON, empty
    /// in CSV) where not computed: the kNN and combined scores of reference rows.
    pub scores: Vec<f64>,
}

/// Every sample of a study, one row each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleTable {
    /// Layer names.
    pub layers: Vec<String>,
    /// Score names, the order of [`SampleRecord::scores`].
    pub score_names: Vec<String>,
    /// The rows, set by set in study order.
    pub samples: Vec<SampleRecord>,
}

/// One set's pieces: name, labels, ids, trace, scores.
pub(crate) type SetParts<'a> = (
    &'a str,
    Option<&'a Array1<usize>>,
    Option<&'a Array1<usize>>,
    &'a Trace,
    &'a ScoreTable,
);

impl SampleTable {
    pub(crate) fn build(
        model: &SignatureModel,
        sets: Vec<SetParts<'_>>,
        injected: Vec<String>,
    ) -> Self {
        let names = model.cluster_names();
        let classes = model.class_names();
        let score_names = sets
            .first()
            .map(|s| s.4.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        let mut samples = Vec::new();
        for (set, labels, ids, trace, scores) in sets {
            let is_injected = injected.iter().any(|n| n == set);
            for i in 0..trace.len() {
                let path = trace.path(i);
                samples.push(SampleRecord {
                    set: set.to_string(),
                    id: ids.map_or(i, |v| v[i]),
                    true_label: match labels {
                        Some(l) => classes.get(l[i]).cloned().unwrap_or_default(),
                        None if is_injected => set.to_string(),
                        None => String::new(),
                    },
                    predicted: trace
                        .predictions
                        .as_ref()
                        .and_then(|p| classes.get(p[i]).cloned())
                        .unwrap_or_default(),
                    clusters: path
                        .iter()
                        .zip(&names)
                        .map(|(&c, n)| n[c].clone())
                        .collect(),
                    path: path_name(&path, &names),
                    path_count_in_reference: model.path_count(&path),
                    cluster_ids: path,
                    distances: trace.distances.row(i).to_vec(),
                    scores: scores.values.row(i).to_vec(),
                });
            }
        }
        Self {
            layers: model.layer_names().to_vec(),
            score_names,
            samples,
        }
    }

    /// The table as CSV: `set,id,true_label,predicted,<layer>_cluster,<layer>_distance,...,path,
    /// path_count_in_reference,<score>...`. Fields with commas or quotes are quoted.
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut header: Vec<String> = ["set", "id", "true_label", "predicted"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for l in &self.layers {
            header.push(format!("{l}_cluster"));
            header.push(format!("{l}_cluster_id"));
            header.push(format!("{l}_distance"));
        }
        header.push("path".into());
        header.push("path_count_in_reference".into());
        header.extend(self.score_names.iter().cloned());
        let mut out = String::new();
        out.push_str(
            &header
                .iter()
                .map(|h| csv_field(h))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
        for r in &self.samples {
            let mut f: Vec<String> = vec![
                csv_field(&r.set),
                r.id.to_string(),
                csv_field(&r.true_label),
                csv_field(&r.predicted),
            ];
            for ((c, id), d) in r.clusters.iter().zip(&r.cluster_ids).zip(&r.distances) {
                f.push(csv_field(c));
                f.push(id.to_string());
                f.push(d.to_string());
            }
            f.push(csv_field(&r.path));
            f.push(r.path_count_in_reference.to_string());
            for s in &r.scores {
                // NaN (a score not computed for this set) is an empty field.
                f.push(if s.is_nan() {
                    String::new()
                } else {
                    s.to_string()
                });
            }
            let _ = writeln!(out, "{}", f.join(","));
        }
        out
    }

    /// Writes `samples.csv` and `samples.json` into `dir` (which must exist), each whole or not
    /// at all.
    ///
    /// # Errors
    /// [`SignatureError::Json`](crate::SignatureError::Json) if serialisation fails,
    /// [`SignatureError::Report`](crate::SignatureError::Report) if a file cannot be written.
    pub fn write(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        write_atomic(dir.join("samples.csv"), self.to_csv().as_bytes())?;
        let json = serde_json::to_string(self)?;
        write_atomic(dir.join("samples.json"), json.as_bytes())?;
        Ok(())
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
}
