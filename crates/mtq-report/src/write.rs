//! Writing files whole or not at all, and the three report files.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::content::Content;
use super::html::explorable_html;
use super::sankey_svg::sankey_svg;
use super::swap;
use super::validate::check_report;
use crate::{Report, ReportError, Result};

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
    write_atomic_all(&[(path.as_ref(), bytes)])
}

/// One temporary file on its way to its final name.
struct Pending<'a> {
    tmp: PathBuf,
    path: &'a Path,
    dir: PathBuf,
    file: Option<File>,
}

/// Writes several files, each whole or not at all, as [`write_atomic`] does, but faster: every
/// temporary file is written first, then all are flushed (on journaling file systems the first
/// flush carries the others), then renamed in order. Each file is atomic, the set is not: if
/// renaming the third file fails, the first two already have their new content.
///
/// # Errors
/// As [`write_atomic`]; nothing is created if any path has no file name, and on any error every
/// temporary file not yet renamed is removed.
pub fn write_atomic_all<P: AsRef<Path>>(files: &[(P, &[u8])]) -> Result<()> {
    let files: Vec<(&Path, Content<'_>)> = files
        .iter()
        .map(|(p, b)| (p.as_ref(), Content::Bytes(b)))
        .collect();
    write_contents_atomic(&files)
}

/// [`write_atomic_all`] for any [`Content`].
fn write_contents_atomic(files: &[(&Path, Content<'_>)]) -> Result<()> {
    let mut pending = Vec::with_capacity(files.len());
    for &(path, _) in files {
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
        pending.push(Pending {
            tmp,
            path,
            dir,
            file: None,
        });
    }
    let cleanup = |pending: &[Pending<'_>]| {
        for p in pending {
            let _ = fs::remove_file(&p.tmp);
        }
    };
    // Write every temporary file, then flush them all.
    for i in 0..pending.len() {
        let content = files[i].1;
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&pending[i].tmp)
            .and_then(|f| content.write_to(&f).map(|()| f));
        match written {
            Ok(f) => pending[i].file = Some(f),
            Err(source) => {
                // Only the files created so far exist (and, if create failed, not this one).
                cleanup(&pending[..=i]);
                return Err(ReportError::Write {
                    path: pending[i].tmp.clone(),
                    source,
                });
            }
        }
    }
    for i in 0..pending.len() {
        if let Some(Err(source)) = pending[i].file.take().map(|f| f.sync_all()) {
            cleanup(&pending);
            return Err(ReportError::Write {
                path: pending[i].tmp.clone(),
                source,
            });
        }
    }
    for (i, p) in pending.iter().enumerate() {
        if let Err(source) = fs::rename(&p.tmp, p.path) {
            cleanup(&pending[i..]);
            return Err(ReportError::Rename {
                from: p.tmp.clone(),
                to: p.path.to_path_buf(),
                source,
            });
        }
    }
    // Make the renames durable; not every platform can open a directory, so this is best effort.
    let mut dirs: Vec<&PathBuf> = pending.iter().map(|p| &p.dir).collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        if let Ok(d) = File::open(d) {
            let _ = d.sync_all();
        }
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
    /// One row per sample, `samples.csv`.
    pub samples_csv: PathBuf,
    /// The same rows as JSON records, `samples.json`.
    pub samples_json: PathBuf,
}

impl ReportFiles {
    /// The five files in `dir`.
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            sankey_svg: dir.join("sankey.svg"),
            html: dir.join("report.html"),
            json: dir.join("report.json"),
            samples_csv: dir.join("samples.csv"),
            samples_json: dir.join("samples.json"),
        }
    }

    /// The five paths.
    #[must_use]
    pub fn all(&self) -> [&PathBuf; 5] {
        [
            &self.sankey_svg,
            &self.html,
            &self.json,
            &self.samples_csv,
            &self.samples_json,
        ]
    }
}

/// Checks that `dir` can hold a report before any work, creating it if missing: not an
/// existing file, writable (a probe file is created and removed), and none of the report's
/// files in it a folder or read-only (a read-only file is never silently replaced).
///
/// # Errors
/// [`ReportError::OutputDir`] naming the folder (or file) and the reason.
pub fn prepare_dir(dir: &Path) -> Result<ReportFiles> {
    let bad = |path: &Path, reason: String| ReportError::OutputDir {
        path: path.to_path_buf(),
        reason,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(bad(dir, "exists and is not a folder".into()));
    }
    fs::create_dir_all(dir).map_err(|e| bad(dir, format!("cannot create the folder ({e})")))?;
    let probe = dir.join(format!(".mtq-write-probe-{}", std::process::id()));
    fs::write(&probe, b"").map_err(|e| bad(dir, format!("cannot write in the folder ({e})")))?;
    let _ = fs::remove_file(&probe);
    let files = ReportFiles::in_dir(dir);
    for f in files.all() {
        match fs::metadata(f) {
            Ok(m) if m.is_dir() => return Err(bad(f, "is a folder".into())),
            Ok(m) if m.permissions().readonly() => {
                return Err(bad(
                    f,
                    "is read-only: not replaced (remove it or choose another folder)".into(),
                ));
            }
            _ => {}
        }
    }
    Ok(files)
}

/// Removes the temporary files (`.<name>.tmp-*`) that an earlier write of these files left behind
/// when its process was killed before renaming them. Best effort: a file that cannot be removed
/// stays.
fn remove_stale_temporaries(dir: &Path, files: &ReportFiles) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefixes: Vec<String> = [
        &files.sankey_svg,
        &files.html,
        &files.json,
        &files.samples_csv,
        &files.samples_json,
    ]
    .iter()
    .filter_map(|p| p.file_name())
    .map(|n| format!(".{}.tmp-", n.to_string_lossy()))
    .collect();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Renders the report and writes `sankey.svg`, `report.html`, `report.json`, `samples.csv` and
/// `samples.json` into `dir` (created if missing).
///
/// Everything is rendered before the first file is written, so bad data leaves the directory
/// untouched. Then the set is replaced whole when it can be, else file by file:
///
/// - **Whole set** when `dir` holds nothing but these five files (writable regular files), or
///   nothing at all: the new set is written into a staging folder beside `dir`
///   (`.<dir name>.mtq-set-<pid>-<n>`), flushed to disk, and put in `dir`'s place in one step: a
///   plain rename over an empty `dir`, or on Linux an exchange of the two folders
///   (`renameat2(RENAME_EXCHANGE)`), after which the old set is deleted. A reader, or a run
///   killed at any moment (or a power cut, the files and folders being flushed), finds in `dir`
///   either the complete old set or the complete new one, never a mix. `dir` is then a new
///   folder with the old one's permissions: a shell whose working directory was `dir` sees the
///   new files after `cd .`.
/// - **File by file** otherwise, with [`write_atomic_all`] (each file whole, the set not: a kill
///   between two renames leaves new and old files side by side): when `dir` holds files of
///   someone else (which are never moved or deleted) or a read-only report file, when `dir` is
///   or holds the working directory, when no folder can be created beside `dir`, and, over a
///   previous set, on platforms or file systems without a folder exchange (all but Linux; on
///   Linux e.g. some network file systems).
///
/// Leftovers of an earlier, killed write are removed first: its temporary files in `dir`
/// (`.<name>.tmp-*`) and its staging folders beside `dir`, of which only these five file names
/// (and their temporaries) are deleted, and a folder only if that empties it. One writer at a
/// time per folder: a concurrent write may find its staging folder removed and fall back to
/// writing file by file.
///
/// # Errors
/// Any error of [`explorable_html`] for bad data, [`ReportError::Json`] if serialisation fails,
/// [`ReportError::CreateDir`] if `dir` cannot be created, and, file by file, the errors of
/// [`write_atomic_all`].
pub fn write_report(dir: impl AsRef<Path>, report: &Report) -> Result<ReportFiles> {
    let dir = dir.as_ref();
    let data = &report.data;
    check_report(data)?;
    let svg = sankey_svg(&data.sankey)?;
    let html = explorable_html(data, &report.explore)?;
    let mut json = serde_json::to_string_pretty(data)?;
    json.push('\n');
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = ReportFiles::in_dir(dir);
    remove_stale_temporaries(dir, &files);
    let contents: [(&Path, Content<'_>); 5] = [
        (&files.sankey_svg, Content::Bytes(svg.as_bytes())),
        (&files.html, Content::Bytes(html.as_bytes())),
        (&files.json, Content::Bytes(json.as_bytes())),
        (&files.samples_csv, Content::SamplesCsv(&report.samples)),
        (&files.samples_json, Content::SamplesJson(&report.samples)),
    ];
    let named: Vec<(&str, Content<'_>)> = contents
        .iter()
        .filter_map(|&(p, c)| Some((p.file_name()?.to_str()?, c)))
        .collect();
    swap::remove_stale_sets(dir, &named);
    if let swap::Outcome::NotSwapped(_) = swap::write_set(dir, &named) {
        write_contents_atomic(&contents)?;
    }
    Ok(files)
}

/// The two files [`write_compare`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareFiles {
    /// The self-contained comparison page, `compare.html`.
    pub html: PathBuf,
    /// Every number of the comparison, `compare.json`.
    pub json: PathBuf,
    /// The studies side by side as Markdown, with the differences beyond noise, `compare.md`
    /// ([`compare_markdown`](crate::compare_markdown)).
    pub markdown: PathBuf,
}

/// Renders a comparison and writes `compare.html` ([`compare_html`](crate::compare_html)),
/// `compare.json` (the [`CompareReport`](crate::CompareReport), pretty-printed) and
/// `compare.md` (its title, then [`compare_markdown`](crate::compare_markdown)'s table and
/// differences) into `dir`, an
/// existing folder (the studies' report folders beside them are left alone). Each file is
/// written whole or not at all ([`write_atomic_all`]); all three are rendered before any is
/// written.
///
/// `compare.json` would hold a NaN value as `null` (JSON has no NaN); a comparison has none: every
/// non-finite measurement is left out and CKA and ARI are defined on any two partitions and
/// layers of at least 2 samples.
///
/// # Errors
/// [`ReportError::Json`] if the comparison cannot be serialised, else the errors of
/// [`write_atomic_all`], naming the file (e.g. `dir` does not exist: [`ReportError::Write`] of
/// its temporary `.compare.html.tmp-…`).
pub fn write_compare(dir: &Path, report: &crate::CompareReport) -> Result<CompareFiles> {
    let html = crate::compare_html(report);
    let mut json = serde_json::to_string_pretty(report)?;
    json.push('\n');
    let markdown = format!(
        "# {}\n\n{}",
        report.title,
        crate::compare_markdown(&report.comparison)
    );
    let files = CompareFiles {
        html: dir.join("compare.html"),
        json: dir.join("compare.json"),
        markdown: dir.join("compare.md"),
    };
    write_atomic_all(&[
        (files.html.as_path(), html.as_bytes()),
        (files.json.as_path(), json.as_bytes()),
        (files.markdown.as_path(), markdown.as_bytes()),
    ])?;
    Ok(files)
}
