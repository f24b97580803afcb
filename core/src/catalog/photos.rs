//! Roots and photos: what the scanner writes and the listings read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Transaction, params};

use super::Catalog;
use crate::error::{Error, ErrorKind, Result};
use crate::paths;

/// What a photo row says about its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoStatus {
    /// Decoded fine.
    Ok,
    /// An image format Kindred recognises but cannot decode yet (HEIC, AVIF, camera RAW, JPEG XL).
    Unsupported,
    /// Looks like an image but could not be read or decoded; see its file issue.
    Broken,
    /// Not found at its path by the last scan. Kept, with everything attached to it.
    Missing,
}

impl PhotoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoStatus::Ok => "ok",
            PhotoStatus::Unsupported => "unsupported",
            PhotoStatus::Broken => "broken",
            PhotoStatus::Missing => "missing",
        }
    }

    pub fn parse(text: &str) -> Option<PhotoStatus> {
        Some(match text {
            "ok" => PhotoStatus::Ok,
            "unsupported" => PhotoStatus::Unsupported,
            "broken" => PhotoStatus::Broken,
            "missing" => PhotoStatus::Missing,
            _ => return None,
        })
    }
}

/// A folder the user asked Kindred to watch.
#[derive(Debug, Clone, PartialEq)]
pub struct Root {
    pub id: i64,
    pub path: PathBuf,
    pub added_at: String,
    pub last_scan_at: Option<String>,
    pub photo_count: u64,
}

/// Everything the scanner learned about one file.
#[derive(Debug, Clone)]
pub(crate) struct PhotoRecord {
    pub(crate) root_id: i64,
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    pub(crate) mtime_ns: i64,
    pub(crate) content_hash: Option<String>,
    pub(crate) format: &'static str,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    /// The orientation in effect (the file's own, or its sidecar's).
    pub(crate) orientation: u8,
    /// The orientation the file declares itself.
    pub(crate) file_orientation: Option<u8>,
    pub(crate) taken_at: Option<String>,
    pub(crate) taken_offset: Option<String>,
    pub(crate) gps: Option<(f64, f64)>,
    pub(crate) camera_make: Option<String>,
    pub(crate) camera_model: Option<String>,
    pub(crate) status: PhotoStatus,
}

/// A file kept in the library that is not a photo of its own: a video, or a companion of a
/// photo (see `scan::companions`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SideFile {
    pub(crate) path: PathBuf,
    /// `video`, `raw` or `image`.
    pub(crate) kind: &'static str,
    pub(crate) size: u64,
    pub(crate) mtime_ns: i64,
    /// The photo a companion belongs to (by path); `None` for a video of its own.
    pub(crate) photo_path: Option<PathBuf>,
}

/// A file of the same shot as a photo, kept with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Companion {
    pub path: PathBuf,
    /// `video` (a Live Photo's), `raw` (a RAW+JPEG pair's) or `image` (the JPEG of a pair whose
    /// RAW file is the photo).
    pub kind: String,
}

/// A video in a library folder.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoRow {
    pub path: PathBuf,
    pub size: u64,
    /// The photo it is the moving part of (a Live Photo), if any.
    pub photo_id: Option<i64>,
}

/// The little the scanner needs to know to decide whether a file changed.
#[derive(Debug, Clone)]
pub(crate) struct KnownPhoto {
    pub(crate) id: i64,
    pub(crate) size: u64,
    pub(crate) mtime_ns: i64,
    pub(crate) status: PhotoStatus,
    pub(crate) content_hash: Option<String>,
}

/// One photo as listings show it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRow {
    pub id: i64,
    pub path: PathBuf,
    pub root: PathBuf,
    pub size: u64,
    pub content_hash: Option<String>,
    pub format: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: u8,
    pub taken_at: Option<String>,
    pub taken_offset: Option<String>,
    pub gps: Option<(f64, f64)>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub status: PhotoStatus,
    pub issue_count: u64,
}

impl PhotoRow {
    /// Width and height as shown, after EXIF orientation (orientations 5 to 8 turn the picture
    /// a quarter), when the scan could read them.
    pub fn upright_size(&self) -> Option<(u32, u32)> {
        let (width, height) = (self.width?, self.height?);
        Some(if (5..=8).contains(&self.orientation) { (height, width) } else { (width, height) })
    }
}

/// Which photos a listing shows. Dates are `YYYY-MM-DD`, inclusive, compared with the local
/// time the photo was taken; a date filter leaves out photos with no known date.
#[derive(Debug, Clone, Default)]
pub struct PhotoFilter {
    pub root: Option<PathBuf>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub has_issues: bool,
    pub status: Option<PhotoStatus>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// Photos showing people: with all of them (`match_all`), any, or only them (`only`), in an
/// album or a folder, in a date range. Dates as in [`PhotoFilter`]. Every condition given must
/// hold.
#[derive(Debug, Clone, Default)]
pub struct PhotoSearch {
    pub people: Vec<i64>,
    pub match_all: bool,
    /// All of `people` and nobody else: every other face of the photo, named or not, rules it
    /// out (detections the user said are not faces do not count).
    pub only: bool,
    /// Photos of this album of the user's.
    pub album: Option<i64>,
    /// Photos in this folder or below it.
    pub folder: Option<PathBuf>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<u64>,
    /// Photos to skip, for paging (with `limit`).
    pub offset: u64,
}

/// A summary of the library for `status`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusCounts {
    pub roots: Vec<Root>,
    pub photos: u64,
    pub by_status: Vec<(PhotoStatus, u64)>,
    pub by_format: Vec<(String, u64)>,
    pub issues: u64,
    pub with_date: u64,
    pub with_gps: u64,
    /// Videos of their own.
    pub videos: u64,
    /// Files kept with a photo of the same shot.
    pub companions: u64,
}

/// The ids of photos under folders the user removed, as a subquery.
pub(crate) const PHOTOS_IN_REMOVED_FOLDERS: &str =
    "SELECT ph.id FROM photos ph JOIN roots r ON r.id = ph.root_id WHERE r.removed_at IS NOT NULL";

impl Catalog {
    /// Records `path` (already canonical) as a root, or finds it (bringing back a removed one);
    /// returns its id.
    pub(crate) fn ensure_root(&self, path: &Path, now: &str) -> Result<i64> {
        let bytes = paths::to_bytes(path);
        self.conn.execute(
            "INSERT INTO roots (path, added_at) VALUES (?1, ?2)
             ON CONFLICT (path) DO UPDATE SET removed_at = NULL",
            params![bytes, now],
        )?;
        Ok(self.conn.query_row("SELECT id FROM roots WHERE path = ?1", [bytes], |r| r.get(0))?)
    }

    pub(crate) fn set_root_scanned(&self, root_id: i64, now: &str) -> Result<()> {
        self.conn.execute("UPDATE roots SET last_scan_at = ?2 WHERE id = ?1", params![root_id, now])?;
        Ok(())
    }

    /// Removes the folder `path` from the library: it is no longer scanned and its photos
    /// leave listings and searches, but nothing is deleted, so names and corrections made on
    /// its photos come back if the folder is added again. Returns the photos it held.
    pub fn remove_root(&self, path: &Path, now: &str) -> Result<u64> {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let root =
            self.roots()?.into_iter().find(|r| r.path == canonical || r.path == path).ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("{} is not a folder of this library", path.display()))
            })?;
        self.conn.execute("UPDATE roots SET removed_at = ?2 WHERE id = ?1", params![root.id, now])?;
        Ok(root.photo_count)
    }

    /// Every root the user has not removed, with the number of photos under it that are not
    /// missing.
    pub fn roots(&self) -> Result<Vec<Root>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.path, r.added_at, r.last_scan_at,
                    (SELECT count(*) FROM photos p WHERE p.root_id = r.id AND p.status != 'missing')
             FROM roots r WHERE r.removed_at IS NULL ORDER BY r.path",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Root {
                id: r.get(0)?,
                path: paths::from_bytes(&r.get::<_, Vec<u8>>(1)?),
                added_at: r.get(2)?,
                last_scan_at: r.get(3)?,
                photo_count: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Photos under folders the user removed: kept, with their faces and names, but out of
    /// every list and question until the folder is added again.
    pub(crate) fn photos_in_removed_folders(&self) -> Result<std::collections::HashSet<i64>> {
        let mut stmt = self.conn.prepare(PHOTOS_IN_REMOVED_FOLDERS)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The photos already recorded under a root, keyed by path bytes.
    pub(crate) fn known_photos(&self, root_id: i64) -> Result<HashMap<Vec<u8>, KnownPhoto>> {
        let mut stmt = self.conn.prepare(
            "SELECT path, id, size, mtime_ns, status, content_hash FROM photos WHERE root_id = ?1",
        )?;
        let rows = stmt.query_map([root_id], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                KnownPhoto {
                    id: r.get(1)?,
                    size: r.get(2)?,
                    mtime_ns: r.get(3)?,
                    status: PhotoStatus::parse(&r.get::<_, String>(4)?).unwrap_or(PhotoStatus::Broken),
                    content_hash: r.get(5)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of missing photos anywhere in the library whose content had this hash: candidates for a
    /// file that was moved between roots.
    pub(crate) fn missing_with_hash(tx: &Transaction<'_>, hash: &str) -> Result<Option<i64>> {
        Ok(tx
            .query_row(
                "SELECT id FROM photos WHERE content_hash = ?1 AND status = 'missing' ORDER BY id LIMIT 1",
                [hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Inserts a new photo row, or rewrites the row `existing` (same file changed, or the same
    /// content found at a new path) keeping its id and first-seen time.
    pub(crate) fn write_photo(
        tx: &Transaction<'_>,
        record: &PhotoRecord,
        existing: Option<i64>,
        now: &str,
    ) -> Result<i64> {
        let path = paths::to_bytes(&record.path);
        let (lat, lon) = record.gps.unzip();
        let status = record.status.as_str();
        // The same values, in column order, for both statements; `now` comes last.
        let values: [&dyn rusqlite::ToSql; 18] = [
            &record.root_id,
            &path,
            &record.size,
            &record.mtime_ns,
            &record.content_hash,
            &record.format,
            &record.width,
            &record.height,
            &record.orientation,
            &record.taken_at,
            &record.taken_offset,
            &lat,
            &lon,
            &record.camera_make,
            &record.camera_model,
            &status,
            &record.file_orientation,
            &now,
        ];
        match existing {
            Some(id) => {
                tx.execute(
                    "UPDATE photos SET root_id = ?1, path = ?2, size = ?3, mtime_ns = ?4, content_hash = ?5,
                        format = ?6, width = ?7, height = ?8, orientation = ?9, taken_at = ?10,
                        taken_offset = ?11, gps_lat = ?12, gps_lon = ?13, camera_make = ?14,
                        camera_model = ?15, status = ?16, file_orientation = ?17, last_seen_at = ?18,
                        checked_at = ?18
                     WHERE id = ?19",
                    rusqlite::params_from_iter(values.into_iter().chain([&id as &dyn rusqlite::ToSql])),
                )?;
                Ok(id)
            }
            None => {
                tx.execute(
                    "INSERT INTO photos (root_id, path, size, mtime_ns, content_hash, format, width, height,
                        orientation, taken_at, taken_offset, gps_lat, gps_lon, camera_make, camera_model,
                        status, file_orientation, first_seen_at, last_seen_at, checked_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?18)",
                    rusqlite::params_from_iter(values),
                )?;
                Ok(tx.last_insert_rowid())
            }
        }
    }

    /// Whether a photo holds anything the user or the face job put on it: such a photo never
    /// becomes another file's companion.
    pub(crate) fn has_faces_or_decisions(&self, photo_id: i64) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM faces WHERE photo_id = ?1)
                 OR EXISTS (SELECT 1 FROM face_decisions WHERE photo_id = ?1)",
            [photo_id],
            |r| r.get(0),
        )?)
    }

    /// Drops the row of a photo that holds no faces and no decisions and is now a companion of
    /// another file of its shot (a RAW file recorded before its JPEG was, say), with what the
    /// scanner recorded about it.
    pub(crate) fn forget_photo(tx: &Transaction<'_>, photo_id: i64) -> Result<()> {
        for table in ["file_issues", "photo_regions", "sidecar_reads", "face_scans"] {
            tx.execute(&format!("DELETE FROM {table} WHERE photo_id = ?1"), [photo_id])?;
        }
        tx.execute("UPDATE media_files SET photo_id = NULL WHERE photo_id = ?1", [photo_id])?;
        tx.execute("DELETE FROM photos WHERE id = ?1", [photo_id])?;
        Ok(())
    }

    /// Replaces the videos and companions recorded under a root, within the part of it a scan
    /// walked (`in_scope`), by those it found.
    pub(crate) fn replace_side_files(
        tx: &Transaction<'_>,
        root_id: i64,
        files: &[SideFile],
        in_scope: &dyn Fn(&Path) -> bool,
    ) -> Result<()> {
        let found: std::collections::HashSet<Vec<u8>> =
            files.iter().map(|f| paths::to_bytes(&f.path)).collect();
        let stale: Vec<i64> = {
            let mut select = tx.prepare("SELECT id, path FROM media_files WHERE root_id = ?1")?;
            let rows = select.query_map([root_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
            rows.filter_map(|r| r.ok())
                .filter(|(_, path)| !found.contains(path) && in_scope(&paths::from_bytes(path)))
                .map(|(id, _)| id)
                .collect()
        };
        for id in stale {
            tx.execute("DELETE FROM media_files WHERE id = ?1", [id])?;
        }
        let mut photo_id = tx.prepare_cached("SELECT id FROM photos WHERE path = ?1")?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO media_files (root_id, path, kind, size, mtime_ns, photo_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (path) DO UPDATE SET root_id = excluded.root_id, kind = excluded.kind,
                 size = excluded.size, mtime_ns = excluded.mtime_ns, photo_id = excluded.photo_id",
        )?;
        for file in files {
            let photo: Option<i64> = match &file.photo_path {
                Some(path) => photo_id.query_row([paths::to_bytes(path)], |r| r.get(0)).optional()?,
                None => None,
            };
            upsert.execute(params![
                root_id,
                paths::to_bytes(&file.path),
                file.kind,
                file.size,
                file.mtime_ns,
                photo
            ])?;
        }
        Ok(())
    }

    /// The files kept with a photo (of the same shot).
    pub fn companions(&self, photo_id: i64) -> Result<Vec<Companion>> {
        let mut stmt =
            self.conn.prepare("SELECT path, kind FROM media_files WHERE photo_id = ?1 ORDER BY path")?;
        let rows = stmt.query_map([photo_id], |r| {
            Ok(Companion { path: paths::from_bytes(&r.get::<_, Vec<u8>>(0)?), kind: r.get(1)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The videos of the library (those of folders the user removed left out), by path.
    pub fn videos(&self) -> Result<Vec<VideoRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.path, m.size, m.photo_id FROM media_files m JOIN roots r ON r.id = m.root_id
             WHERE m.kind = 'video' AND r.removed_at IS NULL ORDER BY m.path",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(VideoRow {
                path: paths::from_bytes(&r.get::<_, Vec<u8>>(0)?),
                size: r.get(1)?,
                photo_id: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Turns a photo to another orientation (its sidecar's, say): the boxes of the user's
    /// decisions on it are turned with it, and its faces are found again in the new frame, where
    /// the decisions attach to them as to any face found again.
    pub(crate) fn reorient_photo(
        tx: &Transaction<'_>,
        photo_id: i64,
        from: u8,
        to: u8,
        stored_size: Option<(u32, u32)>,
    ) -> Result<()> {
        if let Some((width, height)) = stored_size.filter(|&(w, h)| w > 0 && h > 0) {
            let upright = |o: u8| {
                if (5..=8).contains(&o) {
                    (height as f32, width as f32)
                } else {
                    (width as f32, height as f32)
                }
            };
            let ((fw, fh), (tw, th)) = (upright(from), upright(to));
            let boxes: Vec<(i64, [f32; 4])> = {
                let mut stmt = tx.prepare("SELECT id, x, y, w, h FROM face_decisions WHERE photo_id = ?1")?;
                let rows = stmt.query_map([photo_id], |r| {
                    Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut update =
                tx.prepare_cached("UPDATE face_decisions SET x = ?2, y = ?3, w = ?4, h = ?5 WHERE id = ?1")?;
            for (id, [x, y, w, h]) in boxes {
                let stored = crate::xmp::shown_to_stored(from, [x / fw, y / fh, w / fw, h / fh]);
                let [nx, ny, nw, nh] = crate::xmp::stored_to_shown(to, stored);
                update.execute(params![id, nx * tw, ny * th, nw * tw, nh * th])?;
            }
        }
        tx.execute("UPDATE photos SET orientation = ?2 WHERE id = ?1", params![photo_id, to])?;
        tx.execute("DELETE FROM face_scans WHERE photo_id = ?1", [photo_id])?;
        Ok(())
    }

    /// The orientation each photo's sidecar gave when it was last read.
    pub(crate) fn sidecar_orientations(&self) -> Result<HashMap<i64, u8>> {
        let mut stmt = self
            .conn
            .prepare("SELECT photo_id, orientation FROM sidecar_reads WHERE orientation IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks photos whose files were not found as missing. Nothing else about them changes.
    pub(crate) fn mark_missing(tx: &Transaction<'_>, ids: &[i64]) -> Result<()> {
        let mut stmt = tx.prepare_cached("UPDATE photos SET status = 'missing' WHERE id = ?1")?;
        for id in ids {
            stmt.execute([id])?;
        }
        Ok(())
    }

    /// One photo by id.
    pub fn photo(&self, id: i64) -> Result<PhotoRow> {
        self.photos_where(" AND p.id = ?", vec![id.into()], "")?
            .pop()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no photo {id}")))
    }

    /// Photos matching `filter`, newest first; photos with no date come last, by path.
    pub fn photos(&self, filter: &PhotoFilter) -> Result<Vec<PhotoRow>> {
        let mut sql = String::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(root) = &filter.root {
            let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
            let id: Option<i64> = self
                .conn
                .query_row("SELECT id FROM roots WHERE path = ?1", [paths::to_bytes(&canonical)], |r| {
                    r.get(0)
                })
                .optional()?;
            let id = id.ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("{} is not a folder of this library", root.display()))
            })?;
            sql.push_str(" AND p.root_id = ?");
            args.push(id.into());
        }
        date_range(&mut sql, &mut args, filter.from.as_deref(), filter.to.as_deref());
        if filter.has_issues {
            sql.push_str(" AND EXISTS (SELECT 1 FROM file_issues i WHERE i.photo_id = p.id)");
        }
        if let Some(status) = filter.status {
            sql.push_str(" AND p.status = ?");
            args.push(status.as_str().to_string().into());
        }
        let mut order = String::from(" ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.path");
        if let Some(limit) = filter.limit {
            order.push_str(&format!(" LIMIT {limit} OFFSET {}", filter.offset));
        } else if filter.offset > 0 {
            order.push_str(&format!(" LIMIT -1 OFFSET {}", filter.offset));
        }
        self.photos_where(&sql, args, &order)
    }

    /// Photos with the people of `search`, newest first (undated last); at least one person,
    /// album or folder must be given (see [`Catalog::browse_photos`] for every photo).
    pub fn search_photos(&self, search: &PhotoSearch) -> Result<Vec<PhotoRow>> {
        if search.people.is_empty() && search.album.is_none() && search.folder.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "name at least one person to search for (or an album or a folder)",
            ));
        }
        self.browse_photos(search)
    }

    pub(super) fn photos_where(
        &self,
        conditions: &str,
        args: Vec<rusqlite::types::Value>,
        order: &str,
    ) -> Result<Vec<PhotoRow>> {
        let sql = format!(
            "SELECT p.id, p.path, r.path, p.size, p.content_hash, p.format, p.width, p.height, p.orientation,
                    p.taken_at, p.taken_offset, p.gps_lat, p.gps_lon, p.camera_make, p.camera_model, p.status,
                    (SELECT count(*) FROM file_issues i WHERE i.photo_id = p.id)
             FROM photos p JOIN roots r ON r.id = p.root_id
             WHERE r.removed_at IS NULL{conditions}{order}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            let lat: Option<f64> = r.get(11)?;
            let lon: Option<f64> = r.get(12)?;
            Ok(PhotoRow {
                id: r.get(0)?,
                path: paths::from_bytes(&r.get::<_, Vec<u8>>(1)?),
                root: paths::from_bytes(&r.get::<_, Vec<u8>>(2)?),
                size: r.get(3)?,
                content_hash: r.get(4)?,
                format: r.get(5)?,
                width: r.get(6)?,
                height: r.get(7)?,
                orientation: r.get(8)?,
                taken_at: r.get(9)?,
                taken_offset: r.get(10)?,
                gps: lat.zip(lon),
                camera_make: r.get(13)?,
                camera_model: r.get(14)?,
                status: PhotoStatus::parse(&r.get::<_, String>(15)?).unwrap_or(PhotoStatus::Broken),
                issue_count: r.get(16)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts for `kindred status`.
    pub fn status_counts(&self) -> Result<StatusCounts> {
        let conn = &self.conn;
        let count = |sql: &str| -> Result<u64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
        let mut by_status = Vec::new();
        for status in [PhotoStatus::Ok, PhotoStatus::Unsupported, PhotoStatus::Broken, PhotoStatus::Missing] {
            let n: u64 =
                conn.query_row("SELECT count(*) FROM photos WHERE status = ?1", [status.as_str()], |r| {
                    r.get(0)
                })?;
            by_status.push((status, n));
        }
        let mut stmt = conn.prepare(
            "SELECT format, count(*) FROM photos WHERE status != 'missing' GROUP BY format ORDER BY count(*) DESC, format",
        )?;
        let by_format =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(StatusCounts {
            roots: self.roots()?,
            photos: count("SELECT count(*) FROM photos")?,
            by_status,
            by_format,
            issues: count("SELECT count(*) FROM file_issues")?,
            with_date: count(
                "SELECT count(*) FROM photos WHERE taken_at IS NOT NULL AND status != 'missing'",
            )?,
            with_gps: count("SELECT count(*) FROM photos WHERE gps_lat IS NOT NULL AND status != 'missing'")?,
            videos: count("SELECT count(*) FROM media_files WHERE kind = 'video' AND photo_id IS NULL")?,
            companions: count("SELECT count(*) FROM media_files WHERE photo_id IS NOT NULL")?,
        })
    }
}

/// Adds "taken between `from` and `to`, inclusive" (dates `YYYY-MM-DD`) to a photo query.
pub(super) fn date_range(
    sql: &mut String,
    args: &mut Vec<rusqlite::types::Value>,
    from: Option<&str>,
    to: Option<&str>,
) {
    if let Some(from) = from {
        sql.push_str(" AND p.taken_at >= ?");
        args.push(from.to_string().into());
    }
    if let Some(to) = to {
        // Inclusive: every time of day on `to` sorts before the next day.
        sql.push_str(" AND p.taken_at < ?");
        args.push(format!("{to}T99").into());
    }
}
