//! People, face assignments, the user's face decisions, and the operation journal that makes
//! every user operation undoable.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::Catalog;
use super::faces::blob_to_floats;
use super::photos::PHOTOS_IN_REMOVED_FOLDERS;
use crate::error::{Error, ErrorKind, Result};

/// How a face came to belong to its person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assignment {
    /// The user said so (a decision).
    User,
    /// Recognised: its nearest confirmed faces are this person's.
    Match,
    /// Grouped with the person's faces by clustering.
    Cluster,
}

impl Assignment {
    pub fn as_str(self) -> &'static str {
        match self {
            Assignment::User => "user",
            Assignment::Match => "match",
            Assignment::Cluster => "cluster",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Assignment> {
        match text {
            "user" => Some(Assignment::User),
            "match" => Some(Assignment::Match),
            "cluster" => Some(Assignment::Cluster),
            _ => None,
        }
    }
}

/// `faces.assigned_by` of a face that the people pass looked at and left without a person.
pub(crate) const LEFT_ALONE: &str = "alone";

/// A decision the user made about one face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// The face is this person.
    Is,
    /// The face is not this person.
    IsNot,
    /// The detection is not a face.
    NotAFace,
}

impl DecisionKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Is => "is",
            DecisionKind::IsNot => "is_not",
            DecisionKind::NotAFace => "not_a_face",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<DecisionKind> {
        match text {
            "is" => Some(DecisionKind::Is),
            "is_not" => Some(DecisionKind::IsNot),
            "not_a_face" => Some(DecisionKind::NotAFace),
            _ => None,
        }
    }
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: i64,
    /// `None` while the face is not found in the photo's current faces.
    pub face_id: Option<i64>,
    pub photo_id: i64,
    pub kind: DecisionKind,
    pub person_id: Option<i64>,
}

/// A person row as stored (counts come from [`Catalog::people_list`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PersonRecord {
    pub(crate) id: i64,
    pub(crate) name: Option<String>,
    pub(crate) hidden: bool,
    pub(crate) cover_face_id: Option<i64>,
    pub(crate) merged_into: Option<i64>,
    pub(crate) birth_date: Option<String>,
}

/// A person or unnamed group as listings show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: i64,
    /// `None` for a group clustering found that nobody named yet.
    pub name: Option<String>,
    pub hidden: bool,
    pub faces: u64,
    /// Faces the user confirmed.
    pub confirmed: u64,
    pub photos: u64,
    /// The user's chosen cover, else the face closest to the person's mean.
    pub cover_face_id: Option<i64>,
    /// `YYYY-MM-DD`, when the user gave it: no photo taken before it is theirs.
    pub birth_date: Option<String>,
}

/// One face of the current model, as the people pass sees it.
#[derive(Debug, Clone)]
pub(crate) struct FaceForPeople {
    pub(crate) id: i64,
    pub(crate) photo_id: i64,
    pub(crate) embedding: Vec<f32>,
    pub(crate) person_id: Option<i64>,
    /// `faces.assigned_by`, raw: NULL for faces no people pass has seen yet.
    pub(crate) assigned_by: Option<String>,
    /// When the photo was taken (`photos.taken_at`), as a day number, if known.
    pub(crate) taken_day: Option<i64>,
    pub(crate) embedding_norm: Option<f32>,
    /// How young the face looks, and whether the embedder sees it poorly (see
    /// [`crate::faces::quality`]); set from the base model's embedding by the people layer.
    pub(crate) childhood: f32,
    pub(crate) seen_poorly: bool,
}

fn person_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonRecord> {
    Ok(PersonRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        hidden: r.get(2)?,
        cover_face_id: r.get(3)?,
        merged_into: r.get(4)?,
        birth_date: r.get(5)?,
    })
}

fn decision_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Decision> {
    let kind: String = r.get(3)?;
    Ok(Decision {
        id: r.get(0)?,
        face_id: r.get(1)?,
        photo_id: r.get(2)?,
        kind: DecisionKind::parse(&kind).unwrap_or(DecisionKind::IsNot),
        person_id: r.get(4)?,
    })
}

const DECISION_COLUMNS: &str = "id, face_id, photo_id, kind, person_id";

/// Reads shared by the catalog's connection and open transactions.
pub(crate) fn person_record_in(conn: &rusqlite::Connection, id: i64) -> Result<PersonRecord> {
    conn.query_row(
        "SELECT id, name, hidden, cover_face_id, merged_into, birth_date FROM people WHERE id = ?1",
        [id],
        person_record,
    )
    .optional()?
    .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no person {id}")))
}

pub(crate) fn decisions_of_face(conn: &rusqlite::Connection, face_id: i64) -> Result<Vec<Decision>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {DECISION_COLUMNS} FROM face_decisions WHERE face_id = ?1"))?;
    let rows = stmt.query_map([face_id], decision_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn decisions_of_person(conn: &rusqlite::Connection, person_id: i64) -> Result<Vec<Decision>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {DECISION_COLUMNS} FROM face_decisions WHERE person_id = ?1"))?;
    let rows = stmt.query_map([person_id], decision_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (face id, photo id, assigned_by) of the faces now assigned to a person.
pub(crate) fn faces_of_person_in(
    conn: &rusqlite::Connection,
    person_id: i64,
) -> Result<Vec<(i64, i64, Option<String>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, photo_id, assigned_by FROM faces WHERE person_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([person_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Follows `merged_into` links to the person that stands for `id` now.
pub(crate) fn resolve_person_in(conn: &rusqlite::Connection, id: i64) -> Result<i64> {
    let mut current = id;
    // A chain longer than the number of people would be a cycle; the bound keeps a damaged file
    // from hanging the app.
    for _ in 0..10_000 {
        let record = person_record_in(conn, current)?;
        match record.merged_into {
            Some(next) => current = next,
            None => return Ok(current),
        }
    }
    Err(Error::new(ErrorKind::Database, format!("person {id} is merged in a cycle")))
}

/// A person is the user's ("kept") once it has a name, is hidden, has a chosen cover or a birth
/// date, or any decision names it. Clustering may only ever add faces to a kept person, never
/// dissolve it.
const KEPT_PERSON: &str = "(p.name IS NOT NULL OR p.hidden != 0 OR p.cover_face_id IS NOT NULL
     OR p.birth_date IS NOT NULL OR EXISTS (SELECT 1 FROM face_decisions d WHERE d.person_id = p.id))";

impl Catalog {
    /// People and unnamed groups with at least one face, or a name. Named people first (by
    /// name), then groups, largest first.
    pub fn people_list(&self, include_hidden: bool) -> Result<Vec<Person>> {
        self.people_where(include_hidden, false)
    }

    /// The people the user named (by name, ignoring case).
    pub fn named_people(&self, include_hidden: bool) -> Result<Vec<Person>> {
        self.people_where(include_hidden, true)
    }

    fn people_where(&self, include_hidden: bool, named_only: bool) -> Result<Vec<Person>> {
        let filter = format!(
            "{}{}",
            if include_hidden { "" } else { " AND p.hidden = 0" },
            if named_only { " AND p.name IS NOT NULL" } else { "" }
        );
        let any_removed: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM roots WHERE removed_at IS NOT NULL)",
            [],
            |r| r.get(0),
        )?;
        // With every folder in the library, the counts the triggers keep are the counts; a
        // removed folder's faces must be left out one by one.
        let sql = if !any_removed {
            format!(
                "SELECT p.id, p.name, p.hidden,
                        CASE WHEN EXISTS (SELECT 1 FROM faces c WHERE c.id = p.cover_face_id AND c.person_id = p.id)
                             THEN p.cover_face_id ELSE p.typical_face_id END,
                        coalesce(n.faces, 0), coalesce(n.confirmed, 0), coalesce(n.faces, 0),
                        p.birth_date
                 FROM people p LEFT JOIN person_face_counts n ON n.person_id = p.id
                 WHERE p.merged_into IS NULL{filter} AND (n.faces > 0 OR p.name IS NOT NULL)
                 ORDER BY p.name IS NULL, p.name COLLATE NOCASE, coalesce(n.faces, 0) DESC, p.id"
            )
        } else {
            format!(
                "SELECT p.id, p.name, p.hidden,
                        CASE WHEN p.cover_face_id IN (SELECT id FROM faces WHERE person_id = p.id)
                             THEN p.cover_face_id ELSE p.typical_face_id END,
                        count(f.id), coalesce(sum(f.assigned_by = 'user'), 0), count(DISTINCT f.photo_id),
                        p.birth_date
                 FROM people p LEFT JOIN faces f ON f.person_id = p.id AND f.photo_id NOT IN ({PHOTOS_IN_REMOVED_FOLDERS})
                 WHERE p.merged_into IS NULL{filter}
                 GROUP BY p.id
                 HAVING count(f.id) > 0 OR p.name IS NOT NULL
                 ORDER BY p.name IS NULL, p.name COLLATE NOCASE, count(f.id) DESC, p.id"
            )
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Person {
                id: r.get(0)?,
                name: r.get(1)?,
                hidden: r.get(2)?,
                cover_face_id: r.get(3)?,
                faces: r.get(4)?,
                confirmed: r.get(5)?,
                photos: r.get(6)?,
                birth_date: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One person with counts; a merged-away id answers with the person it was merged into.
    pub fn person(&self, id: i64) -> Result<Person> {
        let id = resolve_person_in(&self.conn, id)?;
        let record = person_record_in(&self.conn, id)?;
        let (faces, confirmed, photos, typical): (u64, u64, u64, Option<i64>) = self.conn.query_row(
            &format!(
                "SELECT count(*), coalesce(sum(f.assigned_by = 'user'), 0), count(DISTINCT f.photo_id),
                        (SELECT typical_face_id FROM people WHERE id = ?1)
                 FROM faces f WHERE f.person_id = ?1 AND f.photo_id NOT IN ({PHOTOS_IN_REMOVED_FOLDERS})"
            ),
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let cover_is_current = match record.cover_face_id {
            Some(face) => self
                .conn
                .query_row("SELECT 1 FROM faces WHERE id = ?1 AND person_id = ?2", [face, id], |_| Ok(()))
                .optional()?
                .is_some(),
            None => false,
        };
        Ok(Person {
            id,
            name: record.name,
            hidden: record.hidden,
            faces,
            confirmed,
            photos,
            cover_face_id: if cover_is_current { record.cover_face_id } else { typical },
            birth_date: record.birth_date,
        })
    }

    /// The person `id` is now: itself, or the person it was merged into.
    pub(crate) fn resolve_person(&self, id: i64) -> Result<i64> {
        resolve_person_in(&self.conn, id)
    }

    /// The person whose current name is `name` (case-insensitive), if any.
    pub fn person_named(&self, name: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM people WHERE name = ?1 COLLATE NOCASE AND merged_into IS NULL
                 ORDER BY id LIMIT 1",
                [name.trim()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Faces now assigned to a person, in folders the user has not removed: (face id, photo
    /// id, how). Faces in a removed folder keep their person and come back with the folder.
    pub fn faces_of_person(&self, person_id: i64) -> Result<Vec<(i64, i64, Assignment)>> {
        let id = resolve_person_in(&self.conn, person_id)?;
        let removed = self.photos_in_removed_folders()?;
        Ok(faces_of_person_in(&self.conn, id)?
            .into_iter()
            .filter(|(_, photo, _)| !removed.contains(photo))
            .map(|(face, photo, how)| {
                (face, photo, how.as_deref().and_then(Assignment::parse).unwrap_or(Assignment::Cluster))
            })
            .collect())
    }

    /// Faces the people passes left alone (no close company yet), not excluded as "not a face",
    /// in folders the user has not removed: (face id, photo id), largest first.
    pub fn faces_alone(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT f.id, f.photo_id FROM faces f
             WHERE f.person_id IS NULL AND f.assigned_by = 'alone' AND f.photo_id NOT IN ({PHOTOS_IN_REMOVED_FOLDERS})
               AND NOT EXISTS (SELECT 1 FROM face_decisions d WHERE d.face_id = f.id AND d.kind = 'not_a_face')
             ORDER BY f.w * f.h DESC, f.id"
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether any of `faces` waits for a people pass (taken from its person and not placed
    /// anywhere since).
    pub(crate) fn any_unplaced(&self, faces: &[i64]) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached("SELECT assigned_by IS NULL FROM faces WHERE id = ?1")?;
        for &face in faces {
            if stmt.query_row([face], |r| r.get::<_, bool>(0)).optional()?.unwrap_or(false) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The person a face is assigned to now, and how.
    pub fn assignment_of_face(&self, face_id: i64) -> Result<Option<(i64, Assignment)>> {
        let row: Option<(Option<i64>, Option<String>)> = self
            .conn
            .query_row("SELECT person_id, assigned_by FROM faces WHERE id = ?1", [face_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (person, how) =
            row.ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no face {face_id}")))?;
        Ok(person.map(|p| (p, how.as_deref().and_then(Assignment::parse).unwrap_or(Assignment::Cluster))))
    }

    /// Every decision, attached or not.
    pub fn decisions(&self) -> Result<Vec<Decision>> {
        let mut stmt =
            self.conn.prepare(&format!("SELECT {DECISION_COLUMNS} FROM face_decisions ORDER BY id"))?;
        let rows = stmt.query_map([], decision_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Faces of `model` that are not excluded as "not a face", in id order.
    pub(crate) fn faces_for_people(&self, model: &str) -> Result<Vec<FaceForPeople>> {
        let mut stmt = self.conn.prepare(
            "SELECT f.id, f.photo_id, f.embedding, f.person_id, f.assigned_by, p.taken_at, f.embedding_norm
             FROM faces f JOIN photos p ON p.id = f.photo_id
             WHERE f.model = ?1
               AND NOT EXISTS (SELECT 1 FROM face_decisions d WHERE d.face_id = f.id AND d.kind = 'not_a_face')
             ORDER BY f.id",
        )?;
        let rows = stmt.query_map([model], |r| {
            Ok(FaceForPeople {
                id: r.get(0)?,
                photo_id: r.get(1)?,
                embedding: blob_to_floats(&r.get::<_, Vec<u8>>(2)?),
                person_id: r.get(3)?,
                assigned_by: r.get(4)?,
                taken_day: r.get::<_, Option<String>>(5)?.as_deref().and_then(crate::time::day_number),
                embedding_norm: r.get(6)?,
                childhood: 0.0,
                seen_poorly: false,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of the people clustering must keep (see `KEPT_PERSON`).
    pub(crate) fn kept_people(&self) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.id FROM people p WHERE p.merged_into IS NULL AND {KEPT_PERSON} ORDER BY p.id"
        ))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Birth dates of people (not merged away) who have one, as day numbers.
    pub(crate) fn birth_days(&self) -> Result<HashMap<i64, i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, birth_date FROM people WHERE birth_date IS NOT NULL AND merged_into IS NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut days = HashMap::new();
        for row in rows {
            let (person, date) = row?;
            if let Some(day) = crate::time::day_number(&date) {
                days.insert(person, day);
            }
        }
        Ok(days)
    }

    /// Names of people (not merged away) by id, for display.
    pub fn person_names(&self) -> Result<HashMap<i64, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name FROM people WHERE name IS NOT NULL AND merged_into IS NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// Unnamed groups nothing refers to any more: derived rows, removed after a people pass.
pub(crate) fn delete_orphan_groups(tx: &Transaction<'_>) -> Result<usize> {
    Ok(tx.execute(
        &format!(
            "DELETE FROM people AS p WHERE p.merged_into IS NULL AND NOT {KEPT_PERSON}
               AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.person_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM people q WHERE q.merged_into = p.id)
               AND NOT EXISTS (SELECT 1 FROM undo_people u WHERE u.person_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM undo_decisions u WHERE u.person_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM undo_faces u WHERE u.person_id = p.id)"
        ),
        [],
    )?)
}

/// Re-attaches the decisions of one photo whose face was replaced (a new model, changed
/// content) to the new face at the same place, and applies "is" decisions to the new faces.
/// A decision that finds no face stays, detached, and waits for a later pass to find its face.
pub(crate) fn reattach_decisions(tx: &Transaction<'_>, photo_id: i64) -> Result<()> {
    let detached: Vec<(i64, [f32; 4], String, Option<i64>)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, x, y, w, h, kind, person_id FROM face_decisions
             WHERE photo_id = ?1 AND face_id IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([photo_id], |r| {
            Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?], r.get(5)?, r.get(6)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if detached.is_empty() {
        return Ok(());
    }
    let faces: Vec<(i64, [f32; 4])> = {
        let mut stmt = tx.prepare_cached("SELECT id, x, y, w, h FROM faces WHERE photo_id = ?1")?;
        let rows =
            stmt.query_map([photo_id], |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (decision, place, kind, person) in detached {
        let best = faces
            .iter()
            .map(|(id, face)| (*id, crate::geometry::iou(place, *face)))
            .filter(|&(_, overlap)| overlap >= REATTACH_MIN_IOU)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((face_id, _)) = best else { continue };
        tx.prepare_cached("UPDATE face_decisions SET face_id = ?1 WHERE id = ?2")?
            .execute([face_id, decision])?;
        if kind == "is" {
            tx.prepare_cached("UPDATE faces SET person_id = ?1, assigned_by = 'user' WHERE id = ?2")?
                .execute(params![person, face_id])?;
        }
    }
    Ok(())
}

/// Boxes of one face found by two models (or before and after a small edit) overlap far more
/// than this; neighbouring faces in a group photo overlap far less.
const REATTACH_MIN_IOU: f32 = 0.4;

/// Records what one user operation changes, so that [`undo_operation`] can put it back. Every
/// write of an operation goes through it; the first before-image of a row wins.
pub(crate) struct Journal<'t, 'c> {
    pub(crate) tx: &'t Transaction<'c>,
    pub(crate) op_id: i64,
    now: String,
}

impl<'t, 'c> Journal<'t, 'c> {
    pub(crate) fn begin(tx: &'t Transaction<'c>, kind: &str, description: &str) -> Result<Self> {
        let now = crate::time::now_utc();
        tx.execute(
            "INSERT INTO operations (kind, description, done_at) VALUES (?1, ?2, ?3)",
            params![kind, description, now],
        )?;
        Ok(Journal { tx, op_id: tx.last_insert_rowid(), now })
    }

    fn save_person(&self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO undo_people
                     (op_id, person_id, existed, name, hidden, cover_face_id, merged_into, created_at, birth_date)
                 SELECT ?1, id, 1, name, hidden, cover_face_id, merged_into, created_at, birth_date
                 FROM people WHERE id = ?2",
            )?
            .execute([self.op_id, id])?;
        Ok(())
    }

    fn save_decision(&self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO undo_decisions
                     (op_id, decision_id, existed, face_id, photo_id, x, y, w, h, kind, person_id, decided_op, decided_at)
                 SELECT ?1, id, 1, face_id, photo_id, x, y, w, h, kind, person_id, op_id, decided_at
                 FROM face_decisions WHERE id = ?2",
            )?
            .execute([self.op_id, id])?;
        Ok(())
    }

    fn save_face(&self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO undo_faces (op_id, face_id, person_id, assigned_by)
                 SELECT ?1, id, person_id, assigned_by FROM faces WHERE id = ?2",
            )?
            .execute([self.op_id, id])?;
        Ok(())
    }

    pub(crate) fn create_person(&self, name: Option<&str>) -> Result<i64> {
        self.tx.execute("INSERT INTO people (name, created_at) VALUES (?1, ?2)", params![name, self.now])?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT INTO undo_people (op_id, person_id, existed) VALUES (?1, ?2, 0)",
            [self.op_id, id],
        )?;
        Ok(id)
    }

    pub(crate) fn set_name(&self, person: i64, name: Option<&str>) -> Result<()> {
        self.save_person(person)?;
        self.tx.execute("UPDATE people SET name = ?1 WHERE id = ?2", params![name, person])?;
        Ok(())
    }

    pub(crate) fn set_hidden(&self, person: i64, hidden: bool) -> Result<()> {
        self.save_person(person)?;
        self.tx.execute("UPDATE people SET hidden = ?1 WHERE id = ?2", params![hidden, person])?;
        Ok(())
    }

    pub(crate) fn set_cover(&self, person: i64, face: Option<i64>) -> Result<()> {
        self.save_person(person)?;
        self.tx.execute("UPDATE people SET cover_face_id = ?1 WHERE id = ?2", params![face, person])?;
        Ok(())
    }

    pub(crate) fn set_birth_date(&self, person: i64, date: Option<&str>) -> Result<()> {
        self.save_person(person)?;
        self.tx.execute("UPDATE people SET birth_date = ?1 WHERE id = ?2", params![date, person])?;
        Ok(())
    }

    pub(crate) fn set_merged_into(&self, person: i64, into: i64) -> Result<()> {
        self.save_person(person)?;
        self.tx.execute("UPDATE people SET merged_into = ?1 WHERE id = ?2", [into, person])?;
        Ok(())
    }

    pub(crate) fn assign_face(&self, face: i64, person: Option<i64>, how: Option<&str>) -> Result<()> {
        self.save_face(face)?;
        self.tx
            .prepare_cached("UPDATE faces SET person_id = ?1, assigned_by = ?2 WHERE id = ?3")?
            .execute(params![person, how, face])?;
        Ok(())
    }

    /// Records a decision about a face (where it is now, so that it can be found again).
    pub(crate) fn decide(&self, face: i64, kind: DecisionKind, person: Option<i64>) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO face_decisions (face_id, photo_id, x, y, w, h, kind, person_id, op_id, decided_at)
                 SELECT id, photo_id, x, y, w, h, ?2, ?3, ?4, ?5 FROM faces WHERE id = ?1",
            )?
            .execute(params![face, kind.as_str(), person, self.op_id, self.now])?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached("INSERT INTO undo_decisions (op_id, decision_id, existed) VALUES (?1, ?2, 0)")?
            .execute([self.op_id, id])?;
        Ok(id)
    }

    /// Records a decision about the face at `bounds` in `photo`, detached: it attaches to the
    /// face found there (see [`reattach_decisions`]).
    pub(crate) fn decide_at(
        &self,
        photo: i64,
        bounds: [f32; 4],
        kind: DecisionKind,
        person: Option<i64>,
        decided_at: &str,
    ) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO face_decisions (face_id, photo_id, x, y, w, h, kind, person_id, op_id, decided_at)
                 VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                photo,
                bounds[0],
                bounds[1],
                bounds[2],
                bounds[3],
                kind.as_str(),
                person,
                self.op_id,
                decided_at
            ])?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached("INSERT INTO undo_decisions (op_id, decision_id, existed) VALUES (?1, ?2, 0)")?
            .execute([self.op_id, id])?;
        Ok(id)
    }

    pub(crate) fn delete_decision(&self, id: i64) -> Result<()> {
        self.save_decision(id)?;
        self.tx.prepare_cached("DELETE FROM face_decisions WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    pub(crate) fn move_decision(&self, id: i64, person: i64) -> Result<()> {
        self.save_decision(id)?;
        self.tx
            .prepare_cached("UPDATE face_decisions SET person_id = ?1 WHERE id = ?2")?
            .execute([person, id])?;
        Ok(())
    }
}

/// A user operation, for the undo history.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub id: i64,
    pub kind: String,
    pub description: String,
    pub done_at: String,
}

/// The newest operation not undone yet.
pub(crate) fn last_operation(conn: &rusqlite::Connection) -> Result<Option<Operation>> {
    Ok(conn
        .query_row(
            "SELECT id, kind, description, done_at FROM operations WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok(Operation { id: r.get(0)?, kind: r.get(1)?, description: r.get(2)?, done_at: r.get(3)? }),
        )
        .optional()?)
}

/// Puts back every row `op` changed, in the caller's transaction. Operations are undone newest
/// first, so every later operation is already undone; faces the people pass assigned since (to
/// a person the operation created) are left for the next pass.
pub(crate) fn undo_operation(tx: &Transaction<'_>, op: i64) -> Result<()> {
    // Faces first: their before-images may name people the operation merged away.
    tx.execute(
        "UPDATE faces SET
             person_id = CASE WHEN u.person_id IN (SELECT id FROM people) THEN u.person_id END,
             assigned_by = CASE WHEN u.person_id IS NULL OR u.person_id IN (SELECT id FROM people)
                                THEN u.assigned_by END
         FROM undo_faces u WHERE u.op_id = ?1 AND faces.id = u.face_id",
        [op],
    )?;
    // Decisions: drop those the operation made, restore those it changed or deleted. A face
    // replaced since is left NULL and found again by its place.
    tx.execute(
        "DELETE FROM face_decisions WHERE id IN
             (SELECT decision_id FROM undo_decisions WHERE op_id = ?1 AND existed = 0)",
        [op],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO face_decisions
             (id, face_id, photo_id, x, y, w, h, kind, person_id, op_id, decided_at)
         SELECT decision_id, CASE WHEN face_id IN (SELECT id FROM faces) THEN face_id END,
                photo_id, x, y, w, h, kind, person_id, decided_op, decided_at
         FROM undo_decisions WHERE op_id = ?1 AND existed = 1",
        [op],
    )?;
    tx.execute(
        "UPDATE people SET name = u.name, hidden = u.hidden, cover_face_id = u.cover_face_id,
                merged_into = u.merged_into, birth_date = u.birth_date
         FROM undo_people u WHERE u.op_id = ?1 AND u.existed = 1 AND people.id = u.person_id",
        [op],
    )?;
    // People the operation created: whatever still points at them is derived.
    let created: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT person_id FROM undo_people WHERE op_id = ?1 AND existed = 0")?;
        let rows = stmt.query_map([op], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for person in created {
        tx.execute("UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE person_id = ?1", [person])?;
        tx.execute("UPDATE people SET merged_into = NULL WHERE merged_into = ?1", [person])?;
        tx.execute("DELETE FROM undo_people WHERE person_id = ?1 AND op_id != ?2", [person, op])?;
        tx.execute("DELETE FROM people WHERE id = ?1", [person])?;
    }
    let photos: Vec<i64> = {
        let mut stmt = tx.prepare(
            "SELECT DISTINCT photo_id FROM face_decisions WHERE face_id IS NULL AND id IN
                 (SELECT decision_id FROM undo_decisions WHERE op_id = ?1)",
        )?;
        let rows = stmt.query_map([op], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for photo in photos {
        reattach_decisions(tx, photo)?;
    }
    // A face may have been replaced (and its decision re-attached) since the operation: a face
    // left confirmed with no "is" decision behind it is confirmed by nobody.
    tx.execute(
        "UPDATE faces SET person_id = NULL, assigned_by = NULL WHERE assigned_by = 'user'
           AND NOT EXISTS (SELECT 1 FROM face_decisions d WHERE d.face_id = faces.id AND d.kind = 'is')",
        [],
    )?;
    // Names read from photo metadata that the user took back are not read into faces again.
    tx.execute("UPDATE photo_regions SET state = 'conflict' WHERE applied_op = ?1", [op])?;
    super::albums::undo_album_changes(tx, op)?;
    super::drawn::undo_drawn_faces(tx, op)?;
    // A group the people pass made for faces the operation released is empty once they are
    // back: a derived row, removed as a pass removes them.
    delete_orphan_groups(tx)?;
    tx.execute("UPDATE operations SET undone_at = ?1 WHERE id = ?2", params![crate::time::now_utc(), op])?;
    Ok(())
}
