//! The catalog: one SQLite file holding everything Kindred knows about a library.
//!
//! Durability rules: WAL journal with `synchronous = FULL`, so a committed transaction survives
//! a killed process and a power cut; every multi-row change is one transaction; the schema is
//! migrated forward only, after a backup copy of the file is taken.

mod albums;
mod browse;
mod drawn;
mod faces;
mod issues;
mod jobs;
mod migrations;
pub(crate) mod people;
mod photos;
pub(crate) mod regions;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, ErrorKind, Result};

pub use albums::{Album, FolderAlbum};
pub(crate) use albums::{album_named_in, live_album_in};
pub use browse::MonthCount;
pub use drawn::DrawnFace;
pub(crate) use faces::PhotoToAnalyze;
pub use faces::{FaceRow, FoundFace};
pub use issues::{FileIssue, IssueKind, Severity};
pub use jobs::{JobRow, JobStatus};
pub use migrations::SCHEMA_VERSION;
pub use people::{Assignment, Decision, DecisionKind, Operation, Person};
pub(crate) use people::{FaceForPeople, Journal, LEFT_ALONE};
pub use photos::{Companion, PhotoFilter, PhotoRow, PhotoSearch, PhotoStatus, Root, StatusCounts, VideoRow};
pub(crate) use photos::{KnownPhoto, PhotoRecord, SideFile};

/// How long a writer waits for another process holding the library before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open library file.
pub struct Catalog {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("path", &self.path).finish()
    }
}

impl Catalog {
    /// Opens (creating if needed) the library at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Catalog> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(parent, "cannot create the folder for the library", e))?;
        }
        let existed = path.exists();
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            Error::with_source(ErrorKind::Database, format!("cannot open library {}: {e}", path.display()), e)
        })?;
        configure(&conn).map_err(|e| describe_open_error(path, e))?;

        let version = migrations::check_not_newer(&conn)?;
        if existed && version > 0 && version < SCHEMA_VERSION {
            backup_before_migration(&conn, path, version)?;
        }
        migrations::migrate(&mut conn)?;
        let catalog = Catalog { conn, path: path.to_path_buf() };
        catalog.mark_interrupted_jobs()?;
        Ok(catalog)
    }

    /// An in-memory catalog, for tests.
    pub fn open_in_memory() -> Result<Catalog> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        Ok(Catalog { conn, path: PathBuf::from(":memory:") })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> Result<u32> {
        migrations::schema_version(&self.conn)
    }

    /// SQLite's own consistency check; `Ok(())` when it answers "ok".
    pub fn integrity_check(&self) -> Result<()> {
        let answer: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if answer == "ok" {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Database, format!("library integrity check failed: {answer}")))
        }
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode answers with the mode in effect; in-memory databases stay "memory".
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

fn describe_open_error(path: &Path, e: rusqlite::Error) -> Error {
    let hint = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => " (the file is not a Kindred library)",
        Some(rusqlite::ErrorCode::DatabaseBusy) => " (another program holds it)",
        _ => "",
    };
    Error::with_source(ErrorKind::Database, format!("cannot open library {}{hint}: {e}", path.display()), e)
}

/// Copies the whole library beside itself before a migration touches it, so that a failed or
/// regretted upgrade can be undone by hand.
fn backup_before_migration(conn: &Connection, path: &Path, version: u32) -> Result<PathBuf> {
    let stamp = crate::time::now_utc().replace([':', '-'], "");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".v{version}-{stamp}.bak"));
    let backup = path.with_file_name(name);
    let target = backup.to_str().ok_or_else(|| {
        Error::new(ErrorKind::Io, format!("library path {} is not valid UTF-8", path.display()))
    })?;
    conn.execute("VACUUM INTO ?1", [target]).map_err(|e| {
        Error::with_source(
            ErrorKind::Database,
            format!("cannot back up the library to {} before upgrading it: {e}", backup.display()),
            e,
        )
    })?;
    Ok(backup)
}
