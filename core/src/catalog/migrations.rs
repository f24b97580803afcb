//! Forward-only schema migrations guarded by `PRAGMA user_version`.
//!
//! Each migration is an SQL file applied in one transaction together with the bump of
//! `user_version`, so a crash mid-migration leaves the previous version intact.

use rusqlite::Connection;

use crate::error::{Error, ErrorKind, Result};

/// The migrations in order; `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[(&str, &str)] = &[
    ("init", include_str!("migrations/0001_init.sql")),
    ("faces", include_str!("migrations/0002_faces.sql")),
    ("people", include_str!("migrations/0003_people.sql")),
    ("names in files", include_str!("migrations/0004_names_in_files.sql")),
    ("removed folders", include_str!("migrations/0005_removed_folders.sql")),
    ("media files", include_str!("migrations/0006_media_files.sql")),
    ("albums", include_str!("migrations/0007_albums.sql")),
    ("drawn faces", include_str!("migrations/0008_drawn_faces.sql")),
    ("browsing indexes", include_str!("migrations/0009_browsing_indexes.sql")),
    ("birth dates and face quality", include_str!("migrations/0010_birth_dates_and_face_quality.sql")),
];

/// The schema version this build of Kindred writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn schema_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get::<_, u32>(0))?)
}

/// Refuses a schema newer than this build knows, so an old Kindred never damages a library
/// written by a newer one.
pub(crate) fn check_not_newer(conn: &Connection) -> Result<u32> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(Error::new(
            ErrorKind::SchemaTooNew,
            format!(
                "this library was written by a newer Kindred (schema version {found}; this version \
                 knows up to {SCHEMA_VERSION}); install a newer Kindred to open it"
            ),
        ));
    }
    Ok(found)
}

/// Applies every pending migration, each atomically.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let from = check_not_newer(conn)?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let target = index as u32 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql).map_err(|e| {
            Error::with_source(ErrorKind::Database, format!("migration {target} ({name}) failed: {e}"), e)
        })?;
        tx.pragma_update(None, "user_version", target)?;
        tx.commit()?;
    }
    Ok(())
}
