//! `study()`: a whole study of numpy sets, and what it gives back ([`PyStudy`]).

use std::path::PathBuf;

use numpy::PyReadonlyArray2;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use mtq_report::{CompareReport, Report, explorable_html, write_compare, write_report};
use mtq_signature::MonitorSettings;
use mtq_signature::compare::{CompareParams, StudyFacts, compare as compare_studies};
use mtq_signature::pipeline::{DataSource, Network, SetsInMemory, Study};

use crate::{convert, mtq_error};

/// A finished study: its report (numbers, per-sample table, page) and what a comparison reads
/// of it (its test set's activations included, for CKA).
#[pyclass(frozen, name = "Study", module = "mtq_paths._core")]
pub struct PyStudy {
    report: Report,
    facts: StudyFacts,
}

#[pymethods]
impl PyStudy {
    /// The report's numbers as `report.json`'s text (the same bytes `report()` writes).
    fn report_json(&self) -> PyResult<String> {
        let mut json =
            serde_json::to_string_pretty(&self.report.data).map_err(|e| mtq_error(&e))?;
        json.push('\n');
        Ok(json)
    }

    /// One row per sample of every set, as `samples.csv`'s text.
    fn samples_csv(&self) -> String {
        self.report.samples.to_csv()
    }

    /// The self-contained interactive page, as `report.html`'s text.
    fn html(&self) -> PyResult<String> {
        explorable_html(&self.report.data, &self.report.explore).map_err(|e| mtq_error(&e))
    }

    /// Writes the report's files into `dir` (created if missing) and gives their paths: the
    /// same files as `mtq npy --out dir`.
    fn write(&self, py: Python<'_>, dir: PathBuf) -> PyResult<Vec<String>> {
        let files = py
            .detach(|| write_report(&dir, &self.report))
            .map_err(|e| mtq_error(&e))?;
        Ok(files
            .all()
            .iter()
            .map(|p| p.display().to_string())
            .collect())
    }
}

/// Runs the study of the sets (dicts made by the Python layer's `Set`) with the GIL released.
#[pyfunction]
#[pyo3(signature = (layers, reference, test, calibration, unseen, classes, k_min, k_max, seeds, silhouette_sample, alpha, class_conditional))]
#[allow(clippy::too_many_arguments)]
pub fn study(
    py: Python<'_>,
    layers: Vec<String>,
    reference: &Bound<'_, PyDict>,
    test: Option<&Bound<'_, PyDict>>,
    calibration: Option<&Bound<'_, PyDict>>,
    unseen: Vec<(String, Bound<'_, PyDict>)>,
    classes: Option<Vec<String>>,
    k_min: usize,
    k_max: usize,
    seeds: Vec<u64>,
    silhouette_sample: Option<usize>,
    alpha: f64,
    class_conditional: bool,
) -> PyResult<PyStudy> {
    let sets = SetsInMemory {
        layers,
        reference: convert::set(reference, "reference")?,
        test: test.map(|t| convert::set(t, "test")).transpose()?,
        calibration: calibration
            .map(|c| convert::set(c, "calibration"))
            .transpose()?,
        unseen: unseen
            .iter()
            .map(|(n, s)| Ok((n.clone(), convert::set(s, &format!("unseen {n}"))?)))
            .collect::<PyResult<Vec<_>>>()?,
        classes,
    };
    let study = Study {
        data: DataSource::InMemory,
        network: Network::None,
        k_min,
        k_max,
        silhouette_sample,
        seeds,
        monitor: MonitorSettings::new()
            .alpha(alpha)
            .class_conditional(class_conditional),
        keep_test_activations: true,
        ..Study::new()
    };
    // the GIL is released while Rust computes; the error is made there (lazily, without it)
    let (report, facts) = py.detach(|| {
        let mut outcome = study
            .run_sets(sets, &mut |_| {})
            .map_err(|e| mtq_error(&e))?;
        let facts = outcome.compare_facts("");
        Ok::<_, PyErr>((Report::from_outcome(outcome), facts))
    })?;
    Ok(PyStudy { report, facts })
}

/// Compares named studies (`mtq compare`'s comparison): gives `compare.json`'s text, and writes
/// compare.html, compare.json and compare.md into `out` when given (created if missing).
#[pyfunction]
#[pyo3(signature = (studies, title, resamples, seed, out))]
pub fn compare(
    py: Python<'_>,
    studies: Vec<(String, PyRef<'_, PyStudy>)>,
    title: String,
    resamples: usize,
    seed: u64,
    out: Option<PathBuf>,
) -> PyResult<String> {
    let facts: Vec<StudyFacts> = studies
        .iter()
        .map(|(name, s)| StudyFacts {
            name: name.clone(),
            ..s.facts.clone()
        })
        .collect();
    let params = CompareParams { seed, resamples };
    let report = py.detach(|| CompareReport::new(title, compare_studies(&facts, &params)));
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)
            .map_err(|e| mtq_error(&e))
            .and_then(|()| write_compare(&dir, &report).map_err(|e| mtq_error(&e)))?;
    }
    serde_json::to_string_pretty(&report).map_err(|e| mtq_error(&e))
}

/// The mean silhouette of `x` (samples x features, float32) partitioned by `labels` (int64),
/// exact: scikit-learn's `silhouette_score(x, labels)` (Rousseeuw 1987).
#[pyfunction]
pub fn silhouette_score(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    labels: &Bound<'_, PyAny>,
) -> PyResult<f64> {
    let labels = convert::indices_of(labels, "labels")?;
    // owned: another Python thread may write to the caller's array while the GIL is released
    let x = x.as_array().to_owned();
    py.detach(|| mtq_cluster::silhouette_score(x.view(), labels.view()))
        .map_err(|e| mtq_error(&e))
}
