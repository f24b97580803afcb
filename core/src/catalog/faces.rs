//! Faces and the record of which photos the face job has finished.

use rusqlite::{OptionalExtension, Transaction, params};

use super::Catalog;
use crate::error::{Error, ErrorKind, Result};
use crate::paths;

/// A face as the face job found it, in pixels of the photo as shown (orientation applied).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundFace {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
    /// L2-normalised.
    pub embedding: Vec<f32>,
    /// The embedding's norm before normalising (see [`crate::faces::quality`]).
    pub embedding_norm: f32,
}

/// A stored face.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceRow {
    pub id: i64,
    pub photo_id: i64,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
    pub embedding: Vec<f32>,
    pub model: String,
    /// The embedding's norm before normalising; `None` for faces found before it was kept.
    pub embedding_norm: Option<f32>,
}

/// A photo the face job still has to look at.
#[derive(Debug, Clone)]
pub(crate) struct PhotoToAnalyze {
    pub(crate) id: i64,
    pub(crate) path: std::path::PathBuf,
    /// EXIF orientation as recorded by the scan; `None` to read it from the file.
    pub(crate) orientation: Option<u8>,
}

pub(crate) fn floats_to_blob(values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    values.into_iter().flat_map(f32::to_le_bytes).collect()
}

pub(crate) fn blob_to_floats(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn landmarks_from_blob(blob: &[u8]) -> [[f32; 2]; 5] {
    let v = blob_to_floats(blob);
    let mut out = [[0.0; 2]; 5];
    for (i, point) in out.iter_mut().enumerate() {
        *point = [v.get(2 * i).copied().unwrap_or(0.0), v.get(2 * i + 1).copied().unwrap_or(0.0)];
    }
    out
}

const FACE_COLUMNS: &str = "id, photo_id, x, y, w, h, score, landmarks, embedding, model, embedding_norm";

fn face_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FaceRow> {
    Ok(FaceRow {
        id: r.get(0)?,
        photo_id: r.get(1)?,
        x: r.get(2)?,
        y: r.get(3)?,
        w: r.get(4)?,
        h: r.get(5)?,
        score: r.get(6)?,
        landmarks: landmarks_from_blob(&r.get::<_, Vec<u8>>(7)?),
        embedding: blob_to_floats(&r.get::<_, Vec<u8>>(8)?),
        model: r.get(9)?,
        embedding_norm: r.get(10)?,
    })
}

/// Adds one face row (found by the detector or made from a box the user drew); its id.
pub(super) fn insert_face(
    tx: &Transaction<'_>,
    photo_id: i64,
    face: &FoundFace,
    model: &str,
    now: &str,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO faces (photo_id, x, y, w, h, score, landmarks, embedding, model, created_at,
                            embedding_norm)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        photo_id,
        face.x,
        face.y,
        face.w,
        face.h,
        face.score,
        floats_to_blob(face.landmarks.iter().flatten().copied()),
        floats_to_blob(face.embedding.iter().copied()),
        model,
        now,
        face.embedding_norm
    ])?;
    Ok(tx.last_insert_rowid())
}

impl Catalog {
    /// Decodable photos whose current content the face job has not analysed with `model`.
    pub(crate) fn photos_needing_faces(&self, model: &str) -> Result<Vec<PhotoToAnalyze>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.path, p.orientation FROM photos p
             LEFT JOIN face_scans s ON s.photo_id = p.id
             WHERE p.status = 'ok'
               AND (s.photo_id IS NULL OR s.content_hash IS NOT p.content_hash OR s.model != ?1)
             ORDER BY p.id",
        )?;
        let rows = stmt.query_map([model], |r| {
            Ok(PhotoToAnalyze {
                id: r.get(0)?,
                path: paths::from_bytes(&r.get::<_, Vec<u8>>(1)?),
                orientation: Some(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces the faces of one photo with what the face job found in `content_hash`, and
    /// records the photo as done, in the caller's transaction.
    pub(crate) fn write_faces(
        tx: &Transaction<'_>,
        photo_id: i64,
        content_hash: &str,
        model: &str,
        faces: &[FoundFace],
        now: &str,
    ) -> Result<Vec<i64>> {
        tx.prepare_cached("DELETE FROM faces WHERE photo_id = ?1")?.execute([photo_id])?;
        let ids = faces
            .iter()
            .map(|face| insert_face(tx, photo_id, face, model, now))
            .collect::<Result<Vec<_>>>()?;
        tx.prepare_cached(
            "INSERT INTO face_scans (photo_id, content_hash, model, face_count, scanned_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (photo_id) DO UPDATE SET content_hash = excluded.content_hash,
                 model = excluded.model, face_count = excluded.face_count, scanned_at = excluded.scanned_at",
        )?
        .execute(params![photo_id, content_hash, model, faces.len() as i64, now])?;
        // The user's decisions about the replaced faces follow them to the new ones, and names
        // in the photo's metadata that found no face get another look.
        super::people::reattach_decisions(tx, photo_id)?;
        tx.prepare_cached(
            "UPDATE photo_regions SET state = 'pending' WHERE photo_id = ?1 AND state = 'no_face'",
        )?
        .execute([photo_id])?;
        Ok(ids)
    }

    /// The faces found in one photo, largest first.
    pub fn faces_of_photo(&self, photo_id: i64) -> Result<Vec<FaceRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {FACE_COLUMNS} FROM faces WHERE photo_id = ?1 ORDER BY w * h DESC, id"
        ))?;
        let rows = stmt.query_map([photo_id], face_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn face(&self, face_id: i64) -> Result<FaceRow> {
        self.conn
            .query_row(&format!("SELECT {FACE_COLUMNS} FROM faces WHERE id = ?1"), [face_id], face_from_row)
            .optional()?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no face {face_id}")))
    }

    /// Every face, in id order (for clustering and measurement).
    pub fn all_faces(&self) -> Result<Vec<FaceRow>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {FACE_COLUMNS} FROM faces ORDER BY id"))?;
        let rows = stmt.query_map([], face_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// (faces, photos analysed, photos analysed with at least one face).
    pub fn face_counts(&self) -> Result<(u64, u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM faces), (SELECT count(*) FROM face_scans),
                    (SELECT count(*) FROM face_scans WHERE face_count > 0)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }
}
