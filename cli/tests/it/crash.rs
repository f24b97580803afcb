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

/// What the user decided and the people they named, as another process reads it.
fn decisions_and_names(library: &Path) -> (Vec<(i64, String, Option<i64>)>, Vec<(i64, Option<String>)>) {
    let conn = rusqlite::Connection::open(library).unwrap();
    let decisions = conn
        .prepare("SELECT photo_id, kind, person_id FROM face_decisions ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let names = conn
        .prepare("SELECT id, name FROM people WHERE name IS NOT NULL ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (decisions, names)
}

/// Photo id → (content hash, faces found) of every photo the face job finished.
fn finished_photos(library: &Path) -> BTreeMap<i64, (String, i64)> {
    let Ok(conn) = rusqlite::Connection::open(library) else { return BTreeMap::new() };
    let Ok(mut stmt) = conn.prepare("SELECT photo_id, content_hash, face_count FROM face_scans") else {
        return BTreeMap::new();
    };
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))).unwrap().map(Result::unwrap).collect()
}

fn spawn_kindred(library: &Path, args: &[&str]) -> std::process::Child {
    Command::new(KINDRED)
        .arg("--library")
        .arg(library)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Every decision and name of `before` is still there, unchanged (names read from photos' XMP as
/// their faces are found may have joined them).
fn assert_kept(
    before: &(Vec<(i64, String, Option<i64>)>, Vec<(i64, Option<String>)>),
    now: &(Vec<(i64, String, Option<i64>)>, Vec<(i64, Option<String>)>),
) {
    assert!(now.0.starts_with(&before.0), "a decision changed: {:?} then {:?}", before.0, now.0);
    for name in &before.1 {
        assert!(now.1.contains(name), "the name {name:?} was lost");
    }
}

#[test]
fn kill_nine_mid_face_job_loses_no_face_found_and_no_name_given() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let library = dir.path().join("k.db");
    // A named person first, from one photo.
    std::fs::copy(crate::util::sample_photos().join("obama-official-2012.jpg"), photos.join("obama.jpg"))
        .unwrap();
    crate::util::ok(&library, &["scan", photos.to_str().unwrap()]);
    crate::util::ok(&library, &["faces", "--device", "cpu"]);
    let face = crate::util::ok(&library, &["photo", "1"])["faces"][0]["id"].as_i64().unwrap().to_string();
    crate::util::ok(&library, &["move", &face, "--to", "Barack Obama"]);
    let decided = decisions_and_names(&library);
    assert_eq!(decided.1.len(), 1);

    // Then many photos to analyse: the samples, each copy made distinct by a trailer.
    let samples: Vec<_> = std::fs::read_dir(crate::util::sample_photos())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    for copy in 0..12 {
        for sample in &samples {
            let mut bytes = std::fs::read(sample).unwrap();
            bytes.extend_from_slice(format!("copy {copy}").as_bytes());
            let name = format!("{copy}-{}", sample.file_name().unwrap().to_string_lossy());
            std::fs::write(photos.join(name), bytes).unwrap();
        }
    }
    crate::util::ok(&library, &["scan", photos.to_str().unwrap()]);
    let total = 1 + 12 * samples.len();

    let mut before = finished_photos(&library);
    for kill_after in [before.len() + 1, before.len() + 8, before.len() + 20] {
        let mut child = spawn_kindred(&library, &["faces", "--device", "cpu"]);
        let deadline = Instant::now() + Duration::from_secs(300);
        while finished_photos(&library).len() < kill_after {
            assert!(Instant::now() < deadline, "the face job made no progress");
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the face job ended ({status}) before it could be killed");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let conn = rusqlite::Connection::open(&library).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        let now = finished_photos(&library);
        for (photo, done) in &before {
            assert_eq!(now.get(photo), Some(done), "photo {photo}, finished before an earlier kill, changed");
        }
        assert!(now.len() < total, "killed too late to test anything");
        assert_kept(&decided, &decisions_and_names(&library));
        before = now;
    }

    let summary = crate::util::ok(&library, &["faces", "--device", "cpu"]);
    assert_eq!(
        summary["to_analyze"].as_u64(),
        Some((total - before.len()) as u64),
        "finished photos are not redone"
    );
    assert_eq!(finished_photos(&library).len(), total);
    assert_kept(&decided, &decisions_and_names(&library));
    // The named person found their face in every copy of their photo.
    let people = crate::util::ok(&library, &["people"]);
    let obama = people["people"].as_array().unwrap().iter().find(|p| p["name"] == "Barack Obama").unwrap();
    assert!(obama["faces"].as_u64().unwrap() >= 13, "{obama}");
}

#[test]
fn kill_nine_mid_fine_tune_keeps_names_and_a_working_model() {
    let celebrities = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces/celeb5");
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    let photos = dir.path().join("photos");
    // Three people, ten photos each.
    for person in ["ben_affleck", "elton_john", "madonna"] {
        let folder = photos.join(person);
        std::fs::create_dir_all(&folder).unwrap();
        let mut files: Vec<_> =
            std::fs::read_dir(celebrities.join(person)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files.into_iter().take(10) {
            std::fs::copy(&file, folder.join(file.file_name().unwrap())).unwrap();
        }
    }
    crate::util::ok(&library, &["scan", photos.to_str().unwrap()]);
    crate::util::ok(&library, &["faces", "--device", "cpu"]);
    // Name each person from the largest face of each of their photos.
    let listed = crate::util::ok(&library, &["photos"]);
    for person in ["ben_affleck", "elton_john", "madonna"] {
        let mut faces = Vec::new();
        for photo in
            listed.as_array().unwrap().iter().filter(|p| p["path"].as_str().unwrap().contains(person))
        {
            let detail = crate::util::ok(&library, &["photo", &photo["id"].to_string()]);
            if let Some(face) = detail["faces"].as_array().unwrap().first() {
                faces.push(face["id"].to_string());
            }
        }
        assert!(faces.len() >= 6, "{person}: {} faces", faces.len());
        let mut args = vec!["move"];
        args.extend(faces.iter().map(String::as_str));
        args.extend(["--to", person]);
        crate::util::ok(&library, &args);
    }
    let decided = decisions_and_names(&library);

    for delay_ms in [300u64, 900, 1500, 2500] {
        let mut child = spawn_kindred(&library, &["finetune", "--device", "cpu"]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let conn = rusqlite::Connection::open(&library).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        assert_eq!(
            decisions_and_names(&library),
            decided,
            "killed after {delay_ms} ms: a decision or name changed"
        );
        // Whatever model is active is whole: the library still groups and lists its people.
        let people = kindred(&library, &["--json", "people"]);
        assert_eq!(people.code, 0, "killed after {delay_ms} ms: {}", people.stderr);
    }
    let finished = crate::util::ok(&library, &["finetune", "--device", "cpu"]);
    assert!(finished["epochs"].as_array().is_some_and(|e| !e.is_empty()), "{finished}");
    assert_eq!(decisions_and_names(&library), decided);
    assert_eq!(kindred(&library, &["--json", "cluster"]).code, 0);
}
