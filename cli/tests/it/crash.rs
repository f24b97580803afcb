//! kill -9 in the middle of a scan: the library stays consistent, nothing committed is lost,
//! and the next scan finishes the work.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kindred_core::testing::{self, ExifSpec};

use crate::util::{KINDRED, kindred};

const FILES: usize = 600;

/// (id, path, content hash) of every photo row, read through SQLite as another process would.
fn recorded(library: &Path) -> BTreeMap<i64, (String, Option<String>)> {
    let conn = rusqlite::Connection::open(library).unwrap();
    let mut stmt = conn.prepare("SELECT id, path, content_hash FROM photos").unwrap();
    stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, (String::from_utf8_lossy(&r.get::<_, Vec<u8>>(1)?).into_owned(), r.get(2)?)))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn count_photos(library: &Path) -> usize {
    if !library.exists() {
        return 0;
    }
    rusqlite::Connection::open(library)
        .and_then(|c| c.query_row("SELECT count(*) FROM photos", [], |r| r.get::<_, i64>(0)))
        .map(|n| n as usize)
        .unwrap_or(0)
}

#[test]
fn kill_nine_mid_scan_loses_nothing_and_the_next_scan_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    // Distinct files that each take a little decoding: one JPEG with a different trailer each.
    let base = testing::jpeg_with_exif(900, 600, 1, &ExifSpec::default());
    for i in 0..FILES {
        let mut bytes = base.clone();
        bytes.extend_from_slice(format!("copy {i}").as_bytes());
        std::fs::write(photos.join(format!("p{i:04}.jpg")), bytes).unwrap();
    }
    let library = dir.path().join("k.db");

    // Kill at several points of progress: right after the first commit, and further on.
    let mut before_kill = BTreeMap::new();
    for kill_after in [1, FILES / 4, FILES / 2] {
        let mut child = Command::new(KINDRED)
            .arg("--library")
            .arg(&library)
            .arg("scan")
            .arg(&photos)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while count_photos(&library) < kill_after.max(before_kill.len() + 1) {
            assert!(Instant::now() < deadline, "the scan made no progress");
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the scan ended ({status}) before it could be killed; make the test tree larger");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let conn = rusqlite::Connection::open(&library).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        let now = recorded(&library);
        for (id, row) in &before_kill {
            assert_eq!(
                now.get(id),
                Some(row),
                "photo {id} recorded before an earlier kill changed or vanished"
            );
        }
        assert!(now.len() < FILES, "killed too late to test anything");
        before_kill = now;
    }

    let run = kindred(&library, &["--json", "scan", photos.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.json();
    assert_eq!(summary["photos"].as_u64(), Some(FILES as u64));
    assert_eq!(summary["unchanged"].as_u64(), Some(before_kill.len() as u64), "committed work is not redone");
    let after = recorded(&library);
    assert_eq!(after.len(), FILES);
    for (id, row) in &before_kill {
        assert_eq!(after.get(id), Some(row));
    }
    let jobs = kindred(&library, &["--json", "status"]).json();
    assert_eq!(jobs["last_job"]["status"], "completed");
    let conn = rusqlite::Connection::open(&library).unwrap();
    let interrupted: i64 =
        conn.query_row("SELECT count(*) FROM jobs WHERE status = 'interrupted'", [], |r| r.get(0)).unwrap();
    assert_eq!(interrupted, 3, "each killed scan is on record as interrupted");
}
