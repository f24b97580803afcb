use super::*;

#[test]
fn a_new_library_has_the_current_schema_and_safe_settings() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("lib.db")).unwrap();
    assert_eq!(catalog.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = catalog.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = catalog.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 1);
    let sync: i64 = catalog.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "FULL: committed work survives a power cut");
    catalog.integrity_check().unwrap();
}

#[test]
fn every_migration_applies_in_order_on_an_empty_database() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    migrations::migrate(&mut conn).unwrap();
    assert_eq!(migrations::schema_version(&conn).unwrap(), SCHEMA_VERSION);
    // Running again is a no-op.
    migrations::migrate(&mut conn).unwrap();
    assert_eq!(migrations::schema_version(&conn).unwrap(), SCHEMA_VERSION);
}

#[test]
fn a_library_from_a_newer_kindred_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.db");
    drop(Catalog::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5).unwrap();
    }
    let error = Catalog::open(&path).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SchemaTooNew);
    assert!(error.to_string().contains("newer Kindred"), "{error}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION + 5);
}

#[test]
fn the_backup_taken_before_a_migration_holds_the_whole_library() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.db");
    let catalog = Catalog::open(&path).unwrap();
    catalog.conn().execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", []).unwrap();
    let backup = backup_before_migration(catalog.conn(), &path, SCHEMA_VERSION).unwrap();
    assert!(backup.file_name().unwrap().to_string_lossy().starts_with("lib.db.v"));
    let copy = rusqlite::Connection::open(&backup).unwrap();
    let value: String =
        copy.query_row("SELECT value FROM settings WHERE key = 'k'", [], |r| r.get(0)).unwrap();
    assert_eq!(value, "v");
}

#[test]
fn a_file_that_is_not_a_library_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, vec![0xAB; 4096]).unwrap();
    let error = Catalog::open(&path).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Database);
    assert!(error.to_string().contains("photo.jpg"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), vec![0xAB; 4096], "the file is left as it was");
}

#[test]
fn jobs_left_running_by_a_dead_process_are_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.db");
    {
        let catalog = Catalog::open(&path).unwrap();
        catalog.start_job("scan", "2026-01-01T00:00:00Z").unwrap();
    }
    let catalog = Catalog::open(&path).unwrap();
    let jobs = catalog.recent_jobs(5).unwrap();
    assert_eq!(jobs[0].status, JobStatus::Interrupted);
}

#[test]
fn a_running_job_of_a_live_process_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.db");
    let running = Catalog::open(&path).unwrap();
    running.start_job("scan", "2026-01-01T00:00:00Z").unwrap();
    let lock = running.job_lock_file().unwrap().unwrap();
    lock.lock_shared().unwrap();
    let other = Catalog::open(&path).unwrap();
    assert_eq!(other.recent_jobs(1).unwrap()[0].status, JobStatus::Running);
}

#[test]
fn an_older_library_is_backed_up_then_upgraded_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(migrations::MIGRATIONS[0].1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute("INSERT INTO roots (path, added_at) VALUES (x'2f70', '2026-01-01T00:00:00Z')", [])
            .unwrap();
    }
    let catalog = Catalog::open(&path).unwrap();
    assert_eq!(catalog.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(catalog.roots().unwrap().len(), 1, "data survives the upgrade");
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lib.db.v1-") && n.ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1, "one backup of the version-1 file");
    let old = rusqlite::Connection::open(dir.path().join(&backups[0])).unwrap();
    let version: u32 = old.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 1);
}
