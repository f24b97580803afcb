//! Albums: the user's own (a name and a set of photos) and the library's folders, which are
//! albums nested as they are on disk. Photos are only ever referred to: an album never moves,
//! copies or changes a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Transaction, params};

use super::Catalog;
use super::people::Journal;
use crate::error::{Error, ErrorKind, Result};
use crate::paths;

/// An album the user made.
#[derive(Debug, Clone, PartialEq)]
pub struct Album {
    pub id: i64,
    pub name: String,
    /// Photos in it, leaving out those in folders the user removed.
    pub photos: u64,
    /// The newest of its photos, to show for it.
    pub cover_photo_id: Option<i64>,
    pub created_at: String,
}

/// A folder of the library that holds photos, directly or below it.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderAlbum {
    pub path: PathBuf,
    /// 0 for a folder the user added, 1 for a folder inside it, and so on.
    pub depth: u32,
    /// Photos in it and in every folder below it.
    pub photos: u64,
    /// Photos directly in it.
    pub own_photos: u64,
}

/// Live albums with their counts: `{where}` narrows them.
fn album_query(condition: &str) -> String {
    format!(
        "SELECT a.id, a.name, a.created_at,
                (SELECT count(*) FROM album_photos ap JOIN photos p ON p.id = ap.photo_id
                   JOIN roots r ON r.id = p.root_id
                 WHERE ap.album_id = a.id AND r.removed_at IS NULL),
                (SELECT p.id FROM album_photos ap JOIN photos p ON p.id = ap.photo_id
                   JOIN roots r ON r.id = p.root_id
                 WHERE ap.album_id = a.id AND r.removed_at IS NULL
                 ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.path LIMIT 1)
         FROM albums a WHERE a.deleted_at IS NULL{condition}
         ORDER BY a.name COLLATE NOCASE, a.id"
    )
}

fn album_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Album> {
    Ok(Album {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: r.get(2)?,
        photos: r.get(3)?,
        cover_photo_id: r.get(4)?,
    })
}

impl Catalog {
    /// The user's albums, by name.
    pub fn albums(&self) -> Result<Vec<Album>> {
        let mut stmt = self.conn.prepare(&album_query(""))?;
        let rows = stmt.query_map([], album_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One album (not deleted).
    pub fn album(&self, id: i64) -> Result<Album> {
        self.conn
            .query_row(&album_query(" AND a.id = ?1"), [id], album_from_row)
            .optional()?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no album {id}")))
    }

    /// The album called `name` (any case), if any.
    pub fn album_named(&self, name: &str) -> Result<Option<i64>> {
        album_named_in(&self.conn, name)
    }

    /// Every folder of the library (not removed) that holds photos, nested as on disk: each
    /// folder the user added, then the folders inside it in name order, depth first. Folders
    /// on the way to photos are listed even when they hold none themselves.
    pub fn folder_albums(&self) -> Result<Vec<FolderAlbum>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare("SELECT path FROM photos WHERE root_id = ?1")?;
        for root in self.roots()? {
            // Photos directly in each folder, keyed by the folder's path relative to the root.
            let mut own: BTreeMap<Vec<std::ffi::OsString>, u64> = BTreeMap::new();
            own.entry(Vec::new()).or_default();
            let rows = stmt.query_map([root.id], |r| r.get::<_, Vec<u8>>(0))?;
            for bytes in rows {
                let path = paths::from_bytes(&bytes?);
                let Ok(relative) = path.strip_prefix(&root.path) else { continue };
                let mut parts: Vec<std::ffi::OsString> =
                    relative.components().map(|c| c.as_os_str().to_os_string()).collect();
                parts.pop();
                // Every folder on the way is listed, so that the nesting shows.
                for depth in 0..parts.len() {
                    own.entry(parts[..depth].to_vec()).or_default();
                }
                *own.entry(parts).or_default() += 1;
            }
            // BTreeMap order puts a folder right before everything inside it.
            let keys: Vec<&Vec<std::ffi::OsString>> = own.keys().collect();
            for (i, key) in keys.iter().enumerate() {
                let total: u64 = keys[i..]
                    .iter()
                    .take_while(|other| other.starts_with(key))
                    .map(|other| own[*other])
                    .sum();
                let mut path = root.path.clone();
                path.extend(key.iter());
                out.push(FolderAlbum { path, depth: key.len() as u32, photos: total, own_photos: own[*key] });
            }
        }
        Ok(out)
    }
}

pub(crate) fn album_named_in(conn: &rusqlite::Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM albums WHERE name = ?1 COLLATE NOCASE AND deleted_at IS NULL",
            [name.trim()],
            |r| r.get(0),
        )
        .optional()?)
}

/// The live album `id`, or why not.
pub(crate) fn live_album_in(conn: &rusqlite::Connection, id: i64) -> Result<String> {
    conn.query_row("SELECT name FROM albums WHERE id = ?1 AND deleted_at IS NULL", [id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no album {id}")))
}

/// `path` (a folder) as bounds on stored photo paths: every photo path under it sorts between
/// the two (paths are compared as bytes), so the `photos.path` index finds them.
pub(crate) fn folder_bounds(path: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut low = paths::to_bytes(path);
    while low.len() > 1 && low.ends_with(b"/") {
        low.pop();
    }
    let mut high = low.clone();
    low.push(b'/');
    // The byte after '/'.
    high.push(b'0');
    (low, high)
}

impl Journal<'_, '_> {
    fn save_album(&self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO undo_albums (op_id, album_id, existed, name, deleted_at)
                 SELECT ?1, id, 1, name, deleted_at FROM albums WHERE id = ?2",
            )?
            .execute([self.op_id, id])?;
        Ok(())
    }

    pub(crate) fn create_album(&self, name: &str) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO albums (name, created_at) VALUES (?1, ?2)",
            params![name, crate::time::now_utc()],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT INTO undo_albums (op_id, album_id, existed) VALUES (?1, ?2, 0)",
            [self.op_id, id],
        )?;
        Ok(id)
    }

    pub(crate) fn rename_album(&self, id: i64, name: &str) -> Result<()> {
        self.save_album(id)?;
        self.tx.execute("UPDATE albums SET name = ?1 WHERE id = ?2", params![name, id])?;
        Ok(())
    }

    pub(crate) fn delete_album(&self, id: i64) -> Result<()> {
        self.save_album(id)?;
        self.tx.execute(
            "UPDATE albums SET deleted_at = ?1 WHERE id = ?2",
            params![crate::time::now_utc(), id],
        )?;
        Ok(())
    }

    /// Puts a photo in an album; false when it was there already.
    pub(crate) fn add_album_photo(&self, album: i64, photo: i64) -> Result<bool> {
        let added = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO album_photos (album_id, photo_id, added_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![album, photo, crate::time::now_utc()])?;
        if added > 0 {
            self.tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO undo_album_photos (op_id, album_id, photo_id, existed)
                     VALUES (?1, ?2, ?3, 0)",
                )?
                .execute([self.op_id, album, photo])?;
        }
        Ok(added > 0)
    }

    /// Takes a photo out of an album; false when it was not in it.
    pub(crate) fn remove_album_photo(&self, album: i64, photo: i64) -> Result<bool> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO undo_album_photos (op_id, album_id, photo_id, existed, added_at)
                 SELECT ?1, album_id, photo_id, 1, added_at FROM album_photos
                 WHERE album_id = ?2 AND photo_id = ?3",
            )?
            .execute([self.op_id, album, photo])?;
        let removed = self
            .tx
            .prepare_cached("DELETE FROM album_photos WHERE album_id = ?1 AND photo_id = ?2")?
            .execute([album, photo])?;
        Ok(removed > 0)
    }
}

/// Puts back the albums and album photos operation `op` changed (part of undoing it).
pub(crate) fn undo_album_changes(tx: &Transaction<'_>, op: i64) -> Result<()> {
    tx.execute(
        "DELETE FROM album_photos WHERE EXISTS (SELECT 1 FROM undo_album_photos u
           WHERE u.op_id = ?1 AND u.existed = 0 AND u.album_id = album_photos.album_id
             AND u.photo_id = album_photos.photo_id)",
        [op],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO album_photos (album_id, photo_id, added_at)
         SELECT album_id, photo_id, added_at FROM undo_album_photos
         WHERE op_id = ?1 AND existed = 1 AND album_id IN (SELECT id FROM albums)",
        [op],
    )?;
    tx.execute(
        "UPDATE albums SET name = u.name, deleted_at = u.deleted_at
         FROM undo_albums u WHERE u.op_id = ?1 AND u.existed = 1 AND albums.id = u.album_id",
        [op],
    )?;
    let created: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT album_id FROM undo_albums WHERE op_id = ?1 AND existed = 0")?;
        let rows = stmt.query_map([op], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for album in created {
        tx.execute("DELETE FROM album_photos WHERE album_id = ?1", [album])?;
        tx.execute("DELETE FROM undo_album_photos WHERE album_id = ?1", [album])?;
        tx.execute("DELETE FROM undo_albums WHERE album_id = ?1 AND op_id != ?2", [album, op])?;
        tx.execute("DELETE FROM albums WHERE id = ?1", [album])?;
    }
    Ok(())
}
