//! The output folder, checked before any computation.

use std::fs;
use std::path::{Path, PathBuf};

use mtq_report::{Report, ReportFiles, sentences, write_report};

use crate::failure::Failure;
use crate::progress::Progress;

/// Checks that `out` can hold the report, creating it if missing: not empty, not an existing
/// file, writable (a probe file is created and removed), and no report file in it read-only.
///
/// # Errors
/// [`Failure::Usage`] for an empty path; [`Failure::Run`] naming the path and the reason for
/// a folder that cannot be made or written (an I/O failure, exit 1).
pub fn prepare(out: &Path) -> Result<PathBuf, Failure> {
    let usage = |why: String| Failure::Run(format!("--out {}: {why}", out.display()).into());
    if out.as_os_str().is_empty() {
        return Err(Failure::Usage(
            "--out: the output folder is an empty string".into(),
        ));
    }
    if out.exists() && !out.is_dir() {
        return Err(usage("exists and is not a folder".into()));
    }
    fs::create_dir_all(out).map_err(|e| usage(format!("cannot create the folder ({e})")))?;
    let probe = out.join(format!(".mtq-write-probe-{}", std::process::id()));
    fs::write(&probe, b"").map_err(|e| usage(format!("cannot write in the folder ({e})")))?;
    let _ = fs::remove_file(&probe);
    let files = ReportFiles::in_dir(out);
    for f in [
        &files.sankey_svg,
        &files.html,
        &files.json,
        &files.samples_csv,
        &files.samples_json,
    ] {
        match fs::metadata(f) {
            Ok(m) if m.is_dir() => return Err(usage(format!("{} is a folder", f.display()))),
            Ok(m) if m.permissions().readonly() => {
                return Err(usage(format!(
                    "{} is read-only: not replaced (remove it or choose another --out)",
                    f.display()
                )));
            }
            _ => {}
        }
    }
    Ok(out.to_path_buf())
}

/// Writes the report into `out` (already [`prepare`]d), then prints the headline findings on
/// stdout and, last, where the report is.
///
/// # Errors
/// [`Failure::Run`] if a file cannot be rendered or written.
pub fn finish(out: &Path, report: &Report, progress: &Progress) -> Result<(), Failure> {
    let files = write_report(out, report)?;
    progress.say(&format!("wrote the report in {}", out.display()));
    for line in sentences::headlines(&report.data) {
        println!("{line}");
    }
    println!("report: {}", files.html.display());
    Ok(())
}
