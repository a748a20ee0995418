//! Writing files whole or not at all, and the three report files.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::html::html_report;
use super::sankey_svg::sankey_svg;
use super::validate::check_report;
use super::{ReportData, ReportError, Result};

/// Distinguishes the temporary files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` whole or not at all: into a temporary file in the same directory
/// (`.<name>.tmp-<pid>-<n>`), flushed to disk, then renamed over `path`. A reader sees either the
/// old file or the new one, never half a file; on failure the temporary file is removed.
///
/// # Errors
/// [`ReportError::NotAFilePath`] if `path` has no file name, [`ReportError::Write`] if the
/// temporary file cannot be created, written or flushed (e.g. the directory does not exist),
/// [`ReportError::Rename`] if it cannot be renamed to `path` (e.g. `path` is a directory).
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let Some(name) = path.file_name() else {
        return Err(ReportError::NotAFilePath {
            path: path.to_path_buf(),
        });
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{n}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::Write { path: tmp, source });
    }
    if let Err(source) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::Rename {
            from: tmp,
            to: path.to_path_buf(),
            source,
        });
    }
    // Make the rename itself durable; not every platform can open a directory, so this is best effort.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The files [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// The standalone Sankey diagram, `sankey.svg`.
    pub sankey_svg: PathBuf,
    /// The self-contained HTML report, `report.html`.
    pub html: PathBuf,
    /// Every number of the report, `report.json`.
    pub json: PathBuf,
}

/// Renders the report and writes `sankey.svg`, `report.html` and `report.json` into `dir`
/// (created if missing), each atomically (see [`write_atomic`]). Everything is rendered before
/// the first file is written, so bad data leaves the directory untouched.
///
/// # Errors
/// Any error of [`html_report`] for bad data, [`ReportError::Json`] if serialisation fails,
/// [`ReportError::CreateDir`] if `dir` cannot be created, and the errors of [`write_atomic`].
pub fn write_report(dir: impl AsRef<Path>, data: &ReportData) -> Result<ReportFiles> {
    let dir = dir.as_ref();
    check_report(data)?;
    let svg = sankey_svg(&data.sankey)?;
    let html = html_report(data)?;
    let mut json = serde_json::to_string_pretty(data)?;
    json.push('\n');
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = ReportFiles {
        sankey_svg: dir.join("sankey.svg"),
        html: dir.join("report.html"),
        json: dir.join("report.json"),
    };
    write_atomic(&files.sankey_svg, svg.as_bytes())?;
    write_atomic(&files.html, html.as_bytes())?;
    write_atomic(&files.json, json.as_bytes())?;
    Ok(files)
}
