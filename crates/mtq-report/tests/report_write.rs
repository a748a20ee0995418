//! Atomic writes: whole files or nothing, no temporary file left behind, typed errors with paths;
//! `write_report` writes its three files or, on bad data, nothing.

#[path = "report_fixtures/sample.rs"]
mod sample;

use std::fs;
use std::path::{Path, PathBuf};

use mtq_report::{
    Report, ReportData, ReportError, SampleTable, write_atomic, write_atomic_all, write_report,
};

/// A fresh, empty directory under the target dir, one per test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mtq-report-write-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn writes_the_whole_file_and_no_temporary_file_remains() {
    let dir = scratch("whole");
    let path = dir.join("out.txt");
    write_atomic(&path, b"first version").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"first version");
    write_atomic(&path, b"second").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second");
    write_atomic(&path, b"").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"");
    assert_eq!(entries(&dir), vec!["out.txt".to_owned()]);
}

#[test]
fn a_missing_directory_is_a_write_error_naming_the_path() {
    let dir = scratch("missing");
    let path = dir.join("no-such-dir").join("out.txt");
    let err = write_atomic(&path, b"x").unwrap_err();
    match &err {
        ReportError::Write { path: tmp, .. } => assert!(tmp.starts_with(dir.join("no-such-dir"))),
        other => panic!("expected Write, got {other:?}"),
    }
    assert!(err.to_string().contains("no-such-dir"));
    assert!(entries(&dir).is_empty());
}

#[test]
fn renaming_over_a_directory_fails_cleanly() {
    let dir = scratch("over-dir");
    let target = dir.join("taken");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep.txt"), b"keep").unwrap();
    let err = write_atomic(&target, b"x").unwrap_err();
    assert!(
        matches!(&err, ReportError::Rename { to, .. } if *to == target),
        "{err:?}"
    );
    // The temporary file is gone and the directory is untouched.
    assert_eq!(entries(&dir), vec!["taken".to_owned()]);
    assert_eq!(fs::read(target.join("keep.txt")).unwrap(), b"keep");
}

#[test]
fn a_path_without_file_name_is_rejected() {
    let err = write_atomic(Path::new("/"), b"x").unwrap_err();
    assert!(matches!(err, ReportError::NotAFilePath { .. }));
    let err = write_atomic(Path::new("some/dir/.."), b"x").unwrap_err();
    assert!(matches!(err, ReportError::NotAFilePath { .. }));
}

#[test]
fn several_files_are_written_together_each_whole() {
    let dir = scratch("many");
    let files = [
        (dir.join("a.txt"), &b"alpha"[..]),
        (dir.join("b.txt"), &b"beta"[..]),
        (dir.join("c.txt"), &b""[..]),
    ];
    write_atomic_all(&files).unwrap();
    for (path, bytes) in &files {
        assert_eq!(fs::read(path).unwrap(), *bytes);
    }
    assert_eq!(entries(&dir), vec!["a.txt", "b.txt", "c.txt"]);

    // A path without file name anywhere: nothing is written at all.
    let bad = [
        (dir.join("d.txt"), &b"delta"[..]),
        (PathBuf::from("/"), &b"x"[..]),
    ];
    assert!(matches!(
        write_atomic_all(&bad),
        Err(ReportError::NotAFilePath { .. })
    ));
    assert_eq!(entries(&dir), vec!["a.txt", "b.txt", "c.txt"]);

    // The second rename fails: the first file is new and whole, no temporary file remains.
    fs::create_dir(dir.join("e")).unwrap();
    let clash = [
        (dir.join("a.txt"), &b"new alpha"[..]),
        (dir.join("e"), &b"x"[..]),
        (dir.join("f.txt"), &b"phi"[..]),
    ];
    let err = write_atomic_all(&clash).unwrap_err();
    assert!(
        matches!(&err, ReportError::Rename { to, .. } if *to == dir.join("e")),
        "{err:?}"
    );
    assert_eq!(fs::read(dir.join("a.txt")).unwrap(), b"new alpha");
    assert_eq!(entries(&dir), vec!["a.txt", "b.txt", "c.txt", "e"]);
}

#[test]
fn readers_never_see_half_a_file() {
    let dir = scratch("readers");
    let path = dir.join("big.bin");
    let n = 256 * 1024;
    let (a, b) = (vec![b'a'; n], vec![b'b'; n]);
    write_atomic(&path, &a).unwrap();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for i in 0..40 {
                write_atomic(&path, if i % 2 == 0 { &b } else { &a }).unwrap();
            }
        });
        let mut reads = 0;
        while !writer.is_finished() || reads < 10 {
            let got = fs::read(&path).unwrap();
            assert_eq!(got.len(), n, "a reader saw a file of {} bytes", got.len());
            assert!(got == a || got == b, "a reader saw a mixed file");
            reads += 1;
        }
        writer.join().unwrap();
    });
    assert_eq!(entries(&dir), vec!["big.bin".to_owned()]);
}

/// A report of the sample data, with an empty per-sample table.
fn with_no_samples(data: ReportData) -> Report {
    Report {
        data,
        samples: SampleTable::from_rows(vec!["set".into()], &[]),
        explore: mtq_report::ExploreData::default(),
    }
}

#[test]
fn write_report_writes_five_files_that_read_back() {
    let dir = scratch("report").join("nested").join("out");
    let data = with_no_samples(sample::report());
    let files = write_report(&dir, &data).unwrap();
    assert_eq!(
        entries(&dir),
        vec![
            "report.html",
            "report.json",
            "samples.csv",
            "samples.json",
            "sankey.svg"
        ]
    );
    assert_eq!(fs::read_to_string(&files.samples_csv).unwrap(), "set\n");
    assert_eq!(fs::read_to_string(&files.samples_json).unwrap(), "[]");
    let data = &data.data;
    let json = fs::read_to_string(&files.json).unwrap();
    let back: ReportData = serde_json::from_str(&json).unwrap();
    assert_eq!(back.sankey, data.sankey);
    assert!(
        fs::read_to_string(&files.sankey_svg)
            .unwrap()
            .starts_with("<svg ")
    );
    assert!(
        fs::read_to_string(&files.html)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    // A temporary file left by a killed write is cleaned by the next one.
    fs::write(dir.join(".report.html.tmp-999999-0"), b"half").unwrap();
    // Writing again replaces the files and leaves nothing else.
    write_report(&dir, &with_no_samples(data.clone())).unwrap();
    assert_eq!(entries(&dir).len(), 5);
}

#[test]
fn bad_data_writes_nothing() {
    let dir = scratch("bad").join("out");
    let mut data = sample::report();
    data.sankey.links[0].to = (1, 42);
    let err = write_report(&dir, &with_no_samples(data)).unwrap_err();
    assert!(matches!(
        err,
        ReportError::MissingNode {
            link: 0,
            node: 42,
            ..
        }
    ));
    assert!(!dir.exists(), "nothing may be created for bad data");
}

#[test]
fn an_unwritable_directory_is_a_create_dir_error() {
    let base = scratch("blocked");
    let blocker = base.join("file");
    fs::write(&blocker, b"not a directory").unwrap();
    let err = write_report(blocker.join("out"), &with_no_samples(sample::report())).unwrap_err();
    assert!(
        matches!(&err, ReportError::CreateDir { path, .. } if *path == blocker.join("out")),
        "{err:?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_folder_of_report_files_is_replaced_whole_one_with_other_files_file_by_file() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let base = scratch("whole-set");
    let dir = base.join("out");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
    write_report(&dir, &with_no_samples(sample::report())).unwrap();
    // The old folder exists while the new one is made: their inode numbers differ.
    let old = fs::metadata(&dir).unwrap().ino();
    write_report(&dir, &with_no_samples(sample::report())).unwrap();
    // Swapped in whole (a new folder), with the old folder's permissions; nothing left beside.
    let m = fs::metadata(&dir).unwrap();
    assert_ne!(m.ino(), old);
    assert_eq!(m.permissions().mode() & 0o777, 0o750);
    assert_eq!(entries(&base), vec!["out"]);
    assert_eq!(entries(&dir).len(), 5);

    // A file of the user's: written file by file in the same folder, theirs untouched.
    fs::write(dir.join("notes.txt"), b"mine").unwrap();
    let before = fs::metadata(&dir).unwrap().ino();
    write_report(&dir, &with_no_samples(sample::report())).unwrap();
    assert_eq!(fs::metadata(&dir).unwrap().ino(), before);
    assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(entries(&dir).len(), 6);
    assert_eq!(entries(&base), vec!["out"]);
}
