//! `mtq_paths._core`: the Rust side of the Python package `mtq_paths` (the pure-Python layer in
//! `python/mtq_paths/` gives it its API). It turns numpy arrays into the library's sets, runs the
//! study with the GIL released ([`mtq_signature::pipeline::Study::run_sets`], the path of
//! `mtq npy`), and hands back the report: its numbers as `report.json`'s text, its per-sample
//! table as `samples.csv`'s, its page, its files.
//!
//! Every Rust error becomes `mtq_paths.MtqError` (a `ValueError`) whose message is the error and
//! its whole cause chain, one `caused by:` line each; a panic becomes pyo3's `PanicException`,
//! never an abort of the interpreter.

mod convert;
mod study;

use pyo3::prelude::*;

pyo3::create_exception!(
    _core,
    MtqError,
    pyo3::exceptions::PyValueError,
    "A study or a file failed; the message holds the whole cause chain."
);

/// The error and its cause chain as one message: `error`, then `caused by: cause` lines.
pub(crate) fn mtq_error(e: &(dyn std::error::Error + 'static)) -> PyErr {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str("\n  caused by: ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    MtqError::new_err(msg)
}

/// The module `mtq_paths._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MtqError", m.py().get_type::<MtqError>())?;
    m.add_class::<study::PyStudy>()?;
    m.add_function(wrap_pyfunction!(study::study, m)?)?;
    m.add_function(wrap_pyfunction!(study::silhouette_score, m)?)?;
    m.add_function(wrap_pyfunction!(study::compare, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
