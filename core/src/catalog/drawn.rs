//! Faces the user drew where the detector found none. The box (`drawn_faces`) is the user's
//! record and stays; the face row made from it is derived, like every face row, and is made
//! again from the box after the photo's faces are found again.

use std::collections::HashSet;

use rusqlite::{Transaction, params};

use super::Catalog;
use super::faces::{FoundFace, insert_face};
use super::people::{Journal, reattach_decisions};
use crate::error::Result;

/// A box the user drew, in pixels of the photo as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnFace {
    pub id: i64,
    pub photo_id: i64,
    pub bounds: [f32; 4],
    /// The face made from it, while there is one.
    pub face_id: Option<i64>,
}

impl Catalog {
    /// Boxes drawn by the user that have no face row now (their photo's faces were found again),
    /// in photos that can be read, in folders not removed.
    pub(crate) fn drawn_faces_to_restore(&self) -> Result<Vec<DrawnFace>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.id, d.photo_id, d.x, d.y, d.w, d.h, d.face_id FROM drawn_faces d
             JOIN photos p ON p.id = d.photo_id JOIN roots r ON r.id = p.root_id
             WHERE d.face_id IS NULL AND p.status = 'ok' AND r.removed_at IS NULL ORDER BY d.id",
        )?;
        let rows = stmt.query_map([], drawn_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The boxes drawn on one photo.
    pub fn drawn_faces_of_photo(&self, photo_id: i64) -> Result<Vec<DrawnFace>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, photo_id, x, y, w, h, face_id FROM drawn_faces WHERE photo_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([photo_id], drawn_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Face ids of one photo that were made from a box the user drew.
    pub fn drawn_face_ids(&self, photo_id: i64) -> Result<HashSet<i64>> {
        Ok(self.drawn_faces_of_photo(photo_id)?.into_iter().filter_map(|d| d.face_id).collect())
    }

    /// Makes the face row of drawn box `drawn` again from `face` (found in the box), and puts
    /// the decisions waiting at its place back on it.
    pub(crate) fn restore_drawn_face(
        &mut self,
        drawn: &DrawnFace,
        face: &FoundFace,
        model: &str,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = insert_face(&tx, drawn.photo_id, face, model, &crate::time::now_utc())?;
        tx.execute("UPDATE drawn_faces SET face_id = ?1 WHERE id = ?2", [id, drawn.id])?;
        reattach_decisions(&tx, drawn.photo_id)?;
        tx.commit()?;
        Ok(id)
    }
}

fn drawn_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DrawnFace> {
    Ok(DrawnFace {
        id: r.get(0)?,
        photo_id: r.get(1)?,
        bounds: [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
        face_id: r.get(6)?,
    })
}

impl Journal<'_, '_> {
    /// Records the box of `face` as drawn by the user on `photo` and makes its face row;
    /// returns the face.
    pub(crate) fn draw_face(&self, photo: i64, face: &FoundFace, model: &str) -> Result<i64> {
        let face_id = insert_face(self.tx, photo, face, model, &crate::time::now_utc())?;
        self.tx.execute(
            "INSERT INTO drawn_faces (photo_id, x, y, w, h, face_id, drawn_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![photo, face.x, face.y, face.w, face.h, face_id, crate::time::now_utc()],
        )?;
        let drawn = self.tx.last_insert_rowid();
        self.tx
            .execute("INSERT INTO undo_drawn_faces (op_id, drawn_id) VALUES (?1, ?2)", [self.op_id, drawn])?;
        Ok(face_id)
    }

    /// Records a box drawn by the user, with no face row yet (a restored backup): the face is
    /// made from it when the library's faces are next looked for.
    pub(crate) fn draw_face_at(&self, photo: i64, bounds: [f32; 4], drawn_at: &str) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO drawn_faces (photo_id, x, y, w, h, face_id, drawn_at)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            params![photo, bounds[0], bounds[1], bounds[2], bounds[3], drawn_at],
        )?;
        let drawn = self.tx.last_insert_rowid();
        self.tx
            .execute("INSERT INTO undo_drawn_faces (op_id, drawn_id) VALUES (?1, ?2)", [self.op_id, drawn])?;
        Ok(drawn)
    }
}

/// Takes away the boxes operation `op` drew, with the face rows made from them (part of
/// undoing it; decisions about those faces are undone with their own operations first).
pub(crate) fn undo_drawn_faces(tx: &Transaction<'_>, op: i64) -> Result<()> {
    let drawn: Vec<(i64, Option<i64>)> = {
        let mut stmt = tx.prepare(
            "SELECT d.id, d.face_id FROM drawn_faces d JOIN undo_drawn_faces u ON u.drawn_id = d.id
             WHERE u.op_id = ?1",
        )?;
        let rows = stmt.query_map([op], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, face) in drawn {
        tx.execute("DELETE FROM drawn_faces WHERE id = ?1", [id])?;
        if let Some(face) = face {
            tx.execute("DELETE FROM faces WHERE id = ?1", [face])?;
        }
    }
    Ok(())
}
