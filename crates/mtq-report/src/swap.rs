//! Replacing a folder's whole set of report files in one step: the new set is written into a
//! staging folder beside it, which then takes the folder's place atomically.

use std::fs::{self, File, OpenOptions};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::content::Content;
use std::sync::atomic::{AtomicU64, Ordering};

/// Names the staging folders: `.<folder name>.mtq-set-<pid>-<n>`, beside the folder.
const STAGING_TAG: &str = ".mtq-set-";

/// Distinguishes the staging folders of concurrent writes within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// How a set was written by [`write_set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The folder now holds the new set, put in place in one step.
    Swapped,
    /// Nothing was changed in the folder, for the reason given: the caller writes file by file.
    NotSwapped(&'static str),
}

/// The points of [`write_set_with`] where a test can stop the write as a kill would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The empty staging folder exists.
    Staged,
    /// The `i`-th file is written and flushed in the staging folder.
    Written(usize),
    /// Every file and the staging folder are flushed.
    Synced,
    /// The staging folder took the folder's place; the old set, if any, is at the staging name.
    Swapped,
}

/// The staging-name prefix of the folder `name`.
fn staging_prefix(name: &std::ffi::OsStr) -> String {
    format!(".{}{STAGING_TAG}", name.to_string_lossy())
}

/// Writes `files` (names in the folder, contents) as the whole content of the folder `dir`,
/// which exists: into a fresh staging folder beside it, flushed to disk, then put in its place
/// in one step, so that a reader, or a run killed at any moment, finds either the old set or the
/// new one. See [`write_report`](crate::write_report) for when this is possible.
pub(crate) fn write_set(dir: &Path, files: &[(&str, Content<'_>)]) -> Outcome {
    match write_set_with(dir, files, &mut |_| ControlFlow::Continue(())) {
        ControlFlow::Continue(outcome) => outcome,
        ControlFlow::Break(()) => Outcome::NotSwapped("stopped"),
    }
}

/// [`write_set`], calling `hook` after each [`Step`]; a `Break` stops there and then, leaving
/// everything as it is, as a kill would (for tests).
pub(crate) fn write_set_with(
    dir: &Path,
    files: &[(&str, Content<'_>)],
    hook: &mut dyn FnMut(Step) -> ControlFlow<()>,
) -> ControlFlow<(), Outcome> {
    use Outcome::NotSwapped;
    let Ok(real) = fs::canonicalize(dir) else {
        return ControlFlow::Continue(NotSwapped("the folder cannot be resolved"));
    };
    let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
        return ControlFlow::Continue(NotSwapped("the folder is a root"));
    };
    // The process's working directory would follow the old folder out of the way.
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
        && cwd.starts_with(&real)
    {
        return ControlFlow::Continue(NotSwapped("the folder holds the working directory"));
    }
    let empty = match holds_only(&real, files) {
        Some(empty) => empty,
        None => {
            return ControlFlow::Continue(NotSwapped(
                "the folder holds other files than the report's (or a read-only one)",
            ));
        }
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let staging = parent.join(format!(
        "{}{}-{n}",
        staging_prefix(name),
        std::process::id()
    ));
    if fs::create_dir(&staging).is_err() {
        return ControlFlow::Continue(NotSwapped(
            "no staging folder can be created beside the folder",
        ));
    }
    let abandon = |reason| {
        remove_set_dir(&staging, files);
        ControlFlow::Continue(NotSwapped(reason))
    };
    hook(Step::Staged)?;
    for (i, &(file, content)) in files.iter().enumerate() {
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(staging.join(file))
            .and_then(|f| content.write_to(&f).and_then(|()| f.sync_all()));
        if written.is_err() {
            return abandon("the staging folder cannot be written");
        }
        hook(Step::Written(i))?;
    }
    if let Ok(m) = fs::metadata(&real) {
        let _ = fs::set_permissions(&staging, m.permissions());
    }
    sync_dir(&staging);
    hook(Step::Synced)?;
    // An empty folder is replaced by a plain rename (atomic on POSIX); one holding the old set
    // is exchanged with the staging folder.
    let swapped = if empty {
        fs::rename(&staging, &real).is_ok()
    } else {
        exchange(&staging, &real)
    };
    if !swapped {
        return abandon("this platform or file system cannot swap folders atomically");
    }
    sync_dir(parent);
    hook(Step::Swapped)?;
    if !empty {
        // The old set now lives at the staging name.
        remove_set_dir(&staging, files);
    }
    ControlFlow::Continue(Outcome::Swapped)
}

/// `Some(true)` if `dir` is empty, `Some(false)` if it holds nothing but writable regular files
/// named in `files`, `None` otherwise (or if it cannot be listed).
fn holds_only(dir: &Path, files: &[(&str, Content<'_>)]) -> Option<bool> {
    let mut empty = true;
    for e in fs::read_dir(dir).ok()? {
        let e = e.ok()?;
        empty = false;
        let name = e.file_name();
        // `DirEntry::metadata` does not follow a symbolic link: a link is not ours.
        let m = e.metadata().ok()?;
        let ours = files.iter().any(|(f, _)| name == **f);
        if !ours || !m.is_file() || m.permissions().readonly() {
            return None;
        }
    }
    Some(empty)
}

/// Removes the files named in `files` (and their `.<name>.tmp-*` temporaries) from `dir`, then
/// `dir` itself if that left it empty: anything else in it stays, and so does `dir`.
fn remove_set_dir(dir: &Path, files: &[(&str, Content<'_>)]) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let ours = files
                .iter()
                .any(|(f, _)| name == *f || name.starts_with(&format!(".{f}.tmp-")));
            if ours && e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
}

/// Removes the staging folders that a write of `dir` killed midway left beside it (a partial
/// new set before the swap, the old set after it): only our files in them are removed, and a
/// folder only once that empties it. Best effort.
pub(crate) fn remove_stale_sets(dir: &Path, files: &[(&str, Content<'_>)]) {
    let Ok(real) = fs::canonicalize(dir) else {
        return;
    };
    let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
        return;
    };
    let prefix = staging_prefix(name);
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let stale: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    for s in stale {
        remove_set_dir(&s, files);
    }
}

/// Flushes a folder's entries to disk; not every platform can open a folder: best effort.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Exchanges two folders in one step: `renameat2(RENAME_EXCHANGE)` (Linux 3.15+; not every file
/// system has it). `false` if it failed, changing nothing.
#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
#[allow(unsafe_code)]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt as _;
    let (Ok(a), Ok(b)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: `a` and `b` are NUL-terminated strings that outlive the call, which only reads
    // them; the flags are a valid `renameat2` flag.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

/// Exchanging two folders in one step needs Linux's `renameat2`: elsewhere it is not done.
#[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const NAMES: [&str; 5] = [
        "sankey.svg",
        "report.html",
        "report.json",
        "samples.csv",
        "samples.json",
    ];

    /// The five files of run `run`: each names the run.
    fn set(run: usize) -> Vec<(&'static str, Vec<u8>)> {
        NAMES
            .iter()
            .map(|n| {
                (
                    *n,
                    format!("{n} of run {run}\n").repeat(run + 1).into_bytes(),
                )
            })
            .collect()
    }

    fn borrowed<'a>(s: &'a [(&'static str, Vec<u8>)]) -> Vec<(&'static str, Content<'a>)> {
        s.iter()
            .map(|(n, b)| (*n, Content::Bytes(b.as_slice())))
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// The run whose complete set `dir` holds, and nothing else; panics on a mix.
    fn run_in(dir: &Path, runs: &[usize]) -> Option<usize> {
        let mut want: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        want.sort();
        if names(dir).is_empty() {
            return None;
        }
        assert_eq!(names(dir), want, "{}", dir.display());
        let found = runs.iter().copied().find(|&r| {
            set(r)
                .iter()
                .all(|(n, b)| fs::read(dir.join(n)).unwrap() == *b)
        });
        assert!(found.is_some(), "a mixed set in {}", dir.display());
        found
    }

    fn scratch(name: &str) -> PathBuf {
        let base = std::env::temp_dir().join(format!("mtq-swap-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("out")).unwrap();
        base
    }

    // Over an old set, the swap needs Linux's folder exchange.
    #[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
    #[test]
    fn a_write_stopped_at_any_step_leaves_one_whole_set_and_the_next_cleans_up() {
        let steps = [
            Step::Staged,
            Step::Written(0),
            Step::Written(2),
            Step::Written(4),
            Step::Synced,
            Step::Swapped,
        ];
        for (i, &stop) in steps.iter().enumerate() {
            let base = scratch(&format!("stop{i}"));
            let out = base.join("out");
            // From an empty folder, then from a folder holding run 1.
            for old in [None, Some(1)] {
                if let Some(r) = old {
                    assert_eq!(write_set(&out, &borrowed(&set(r))), Outcome::Swapped);
                }
                let flow = write_set_with(&out, &borrowed(&set(2)), &mut |s| {
                    if s == stop {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                assert_eq!(flow, ControlFlow::Break(()));
                let seen = run_in(&out, &[1, 2]);
                let expect = if stop == Step::Swapped { Some(2) } else { old };
                assert_eq!(seen, expect, "stopped at {stop:?}, old {old:?}");
                // A killed run leaves its staging folder; the next run removes it.
                remove_stale_sets(&out, &borrowed(&set(3)));
                assert_eq!(names(&base), vec!["out"], "stopped at {stop:?}");
                assert_eq!(write_set(&out, &borrowed(&set(3))), Outcome::Swapped);
                assert_eq!(run_in(&out, &[3]), Some(3));
                assert_eq!(names(&base), vec!["out"]);
                fs::remove_dir_all(&out).unwrap();
                fs::create_dir(&out).unwrap();
            }
            fs::remove_dir_all(&base).unwrap();
        }
    }

    #[test]
    fn a_folder_with_other_files_is_not_swapped_and_theirs_stay() {
        let base = scratch("others");
        let out = base.join("out");
        fs::write(out.join("notes.txt"), b"mine").unwrap();
        assert!(matches!(
            write_set(&out, &borrowed(&set(1))),
            Outcome::NotSwapped(_)
        ));
        assert_eq!(names(&out), vec!["notes.txt"]);
        assert_eq!(names(&base), vec!["out"]);
        // A stale staging folder holding a file not ours keeps that file.
        let stale = base.join(".out.mtq-set-1-0");
        fs::create_dir(&stale).unwrap();
        fs::write(stale.join("report.html"), b"old").unwrap();
        fs::write(stale.join("keep.txt"), b"theirs").unwrap();
        remove_stale_sets(&out, &borrowed(&set(1)));
        assert_eq!(names(&stale), vec!["keep.txt"]);
        fs::remove_dir_all(&base).unwrap();
    }
}
