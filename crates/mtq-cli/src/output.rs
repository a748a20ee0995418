//! The output folder or file, checked before any computation, and the report written into it.

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

/// Checks that a file can be written at `out` (the file `--out` names): not empty (a usage
/// error), not a folder, in a folder that exists (else [`Failure::Run`] naming it, exit 1).
/// Nothing is created.
///
/// # Errors
/// As described.
pub fn prepare_file(out: &Path) -> Result<(), Failure> {
    if out.as_os_str().is_empty() {
        return Err(Failure::Usage(
            "--out: the output file is an empty string".into(),
        ));
    }
    let refuse = |why: String| {
        Err(Failure::Run(
            format!("--out {}: {why}", out.display()).into(),
        ))
    };
    if out.is_dir() {
        return refuse("is a folder, not a file".into());
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return refuse(format!("its folder {} does not exist", parent.display()));
    }
    Ok(())
}

/// `n` bytes as `1,234,567 bytes`.
pub fn bytes(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} bytes")
}

/// `k` of `n` as a percentage with one decimal (`0.0 %` of none).
pub fn percent(k: usize, n: usize) -> String {
    format!("{:.1} %", 100.0 * k as f64 / n.max(1) as f64)
}
