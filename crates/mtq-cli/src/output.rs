//! The output folder, checked before any computation, and the report written into it.

use std::path::Path;

use mtq_report::{Report, sentences, write_report};

use crate::failure::Failure;
use crate::progress::Progress;

/// Checks that `out` can hold the report ([`mtq_report::prepare_dir`]).
///
/// # Errors
/// [`Failure::Usage`] for an empty path; [`Failure::Run`] naming the folder and the reason
/// for one that cannot be made or written (an I/O failure, exit 1).
pub fn prepare(out: &Path) -> Result<(), Failure> {
    if out.as_os_str().is_empty() {
        return Err(Failure::Usage(
            "--out: the output folder is an empty string".into(),
        ));
    }
    mtq_report::prepare_dir(out)
        .map(|_| ())
        .map_err(|e| Failure::Run(format!("--out {e}").into()))
}

/// Writes the report into `out` (already [`prepare`]d), then prints the headline findings on
/// stdout and, last, where the report is.
///
/// # Errors
/// [`Failure::Run`] if a file cannot be rendered or written.
pub fn finish(out: &Path, report: &Report, progress: &Progress) -> Result<(), Failure> {
    let files = write_report(out, report).map_err(|e| Failure::Run(Box::new(e)))?;
    progress.say(&format!("wrote the report in {}", out.display()));
    for line in sentences::headlines(&report.data) {
        println!("{line}");
    }
    println!("report: {}", files.html.display());
    Ok(())
}
