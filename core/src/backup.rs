//! Backup and restore of everything the user decided: people, names, confirmed faces,
//! corrections and settings. Faces are named by their photo's content hash and their box, so
//! a backup survives moved and renamed files and a new library.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use crate::catalog::people::reattach_decisions;
use crate::catalog::{Catalog, DecisionKind, Journal};
use crate::error::{Error, ErrorKind, Result};

/// Where a face is: its photo's content hash and its box (pixels of the photo as shown).
#[derive(Debug, Clone, PartialEq)]
pub struct FacePlace {
    pub photo_hash: String,
    pub bounds: [f32; 4],
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackupPerson {
    /// The id in the library backed up; other records refer to people by it.
    pub id: i64,
    pub name: Option<String>,
    pub hidden: bool,
    pub merged_into: Option<i64>,
    pub cover: Option<FacePlace>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackupDecision {
    pub place: FacePlace,
    pub kind: DecisionKind,
    pub person: Option<i64>,
    pub decided_at: String,
}

/// An album the user made: its photos by content hash.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupAlbum {
    pub name: String,
    pub created_at: String,
    pub photos: Vec<String>,
}

/// A face the user drew where the detector found none.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupDrawnFace {
    pub place: FacePlace,
    pub drawn_at: String,
}

/// Everything the user decided in one library.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backup {
    pub people: Vec<BackupPerson>,
    pub decisions: Vec<BackupDecision>,
    pub settings: Vec<(String, String)>,
    pub albums: Vec<BackupAlbum>,
    pub drawn_faces: Vec<BackupDrawnFace>,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestoreSummary {
    pub people: u64,
    pub decisions: u64,
    /// Decisions already on a face of this library; the others wait for the face job.
    pub attached: u64,
    /// Decisions about photos this library does not hold (by content), left out of a partial
    /// restore.
    pub photos_not_found: u64,
    pub albums: u64,
    /// Faces the user drew; their faces are made again when the library's faces are next
    /// looked for.
    pub drawn_faces: u64,
}

impl Catalog {
    pub(crate) fn backup(&self) -> Result<Backup> {
        let mut people = Vec::new();
        {
            let mut stmt = self.conn().prepare(
                "SELECT p.id, p.name, p.hidden, p.merged_into, ph.content_hash, f.x, f.y, f.w, f.h,
                        p.birth_date
                 FROM people p
                 LEFT JOIN faces f ON f.id = p.cover_face_id
                 LEFT JOIN photos ph ON ph.id = f.photo_id
                 WHERE p.name IS NOT NULL OR p.hidden != 0 OR p.cover_face_id IS NOT NULL
                    OR p.merged_into IS NOT NULL OR p.birth_date IS NOT NULL
                    OR EXISTS (SELECT 1 FROM face_decisions d WHERE d.person_id = p.id)
                    OR EXISTS (SELECT 1 FROM people q WHERE q.merged_into = p.id)
                 ORDER BY p.id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let hash: Option<String> = r.get(4)?;
                people.push(BackupPerson {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    hidden: r.get(2)?,
                    merged_into: r.get(3)?,
                    cover: match hash {
                        Some(photo_hash) => Some(FacePlace {
                            photo_hash,
                            bounds: [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
                        }),
                        None => None,
                    },
                    birth_date: r.get(9)?,
                });
            }
        }
        let mut decisions = Vec::new();
        {
            let mut stmt = self.conn().prepare(
                "SELECT ph.content_hash, d.x, d.y, d.w, d.h, d.kind, d.person_id, d.decided_at
                 FROM face_decisions d JOIN photos ph ON ph.id = d.photo_id
                 WHERE ph.content_hash IS NOT NULL ORDER BY d.id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let kind: String = r.get(5)?;
                decisions.push(BackupDecision {
                    place: FacePlace {
                        photo_hash: r.get(0)?,
                        bounds: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                    },
                    kind: DecisionKind::parse(&kind).unwrap_or(DecisionKind::IsNot),
                    person: r.get(6)?,
                    decided_at: r.get(7)?,
                });
            }
        }
        let settings = self
            .conn()
            .prepare("SELECT key, value FROM settings WHERE key NOT LIKE 'embedder.%' ORDER BY key")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut albums: Vec<BackupAlbum> = Vec::new();
        {
            let mut stmt = self.conn().prepare(
                "SELECT a.id, a.name, a.created_at, ph.content_hash FROM albums a
                 LEFT JOIN album_photos ap ON ap.album_id = a.id
                 LEFT JOIN photos ph ON ph.id = ap.photo_id AND ph.content_hash IS NOT NULL
                 WHERE a.deleted_at IS NULL ORDER BY a.id, ap.added_at, ap.photo_id",
            )?;
            let mut rows = stmt.query([])?;
            let mut last = None;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                if last != Some(id) {
                    albums.push(BackupAlbum { name: r.get(1)?, created_at: r.get(2)?, photos: Vec::new() });
                    last = Some(id);
                }
                if let (Some(album), Some(hash)) = (albums.last_mut(), r.get::<_, Option<String>>(3)?) {
                    album.photos.push(hash);
                }
            }
        }
        let drawn_faces = self
            .conn()
            .prepare(
                "SELECT ph.content_hash, d.x, d.y, d.w, d.h, d.drawn_at FROM drawn_faces d
                 JOIN photos ph ON ph.id = d.photo_id WHERE ph.content_hash IS NOT NULL ORDER BY d.id",
            )?
            .query_map([], |r| {
                Ok(BackupDrawnFace {
                    place: FacePlace {
                        photo_hash: r.get(0)?,
                        bounds: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                    },
                    drawn_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Backup { people, decisions, settings, albums, drawn_faces })
    }

    /// Restores `backup` into this library, which must not hold decisions or names yet (a
    /// fresh library, scanned). Refused when some decisions are about photos the library does
    /// not hold, unless `partial`. One undoable operation.
    pub(crate) fn restore(&mut self, backup: &Backup, partial: bool) -> Result<RestoreSummary> {
        // Names read from the photos' own metadata are no reason to refuse: the backup holds them.
        let already: i64 = self.conn().query_row(
            "SELECT count(*) FROM face_decisions d JOIN operations o ON o.id = d.op_id
             WHERE o.kind != 'import_names'",
            [],
            |r| r.get(0),
        )?;
        if already > 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "this library already has names or corrections; restore a backup into a new library \
                 (kindred --library NEW.db scan ... then import)",
            ));
        }
        let known: std::collections::HashSet<i64> = backup.people.iter().map(|p| p.id).collect();
        for d in &backup.decisions {
            if let Some(person) = d.person.filter(|p| !known.contains(p)) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("the backup is inconsistent: a decision names person {person}, who is not in it"),
                ));
            }
        }
        if !partial {
            let mut absent = std::collections::HashSet::new();
            let mut stmt =
                self.conn().prepare_cached("SELECT 1 FROM photos WHERE content_hash = ?1 LIMIT 1")?;
            let hashes = backup
                .decisions
                .iter()
                .map(|d| d.place.photo_hash.as_str())
                .chain(backup.drawn_faces.iter().map(|d| d.place.photo_hash.as_str()))
                .chain(backup.albums.iter().flat_map(|a| a.photos.iter().map(String::as_str)));
            for hash in hashes {
                if !absent.contains(hash) && stmt.query_row([hash], |_| Ok(())).optional()?.is_none() {
                    absent.insert(hash);
                }
            }
            if !absent.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "the backup names faces or albums in {} photos this library does not hold; scan \
                         the folders they are in first (or restore only what is here with --partial)",
                        absent.len()
                    ),
                ));
            }
        }
        let mut summary = RestoreSummary::default();
        let tx = self.conn_mut().transaction()?;
        {
            let journal = Journal::begin(&tx, "restore", "restore names and corrections from a backup")?;
            let mut new_id: HashMap<i64, i64> = HashMap::new();
            for person in &backup.people {
                let id = journal.create_person(person.name.as_deref())?;
                // A date that does not parse is dropped rather than refusing the whole restore.
                let birth_date = person.birth_date.as_deref().and_then(crate::time::parse_date);
                tx.execute(
                    "UPDATE people SET hidden = ?1, birth_date = ?2 WHERE id = ?3",
                    params![person.hidden, birth_date, id],
                )?;
                new_id.insert(person.id, id);
                summary.people += 1;
            }
            for person in &backup.people {
                if let Some(into) = person.merged_into.and_then(|m| new_id.get(&m)) {
                    tx.execute(
                        "UPDATE people SET merged_into = ?1 WHERE id = ?2",
                        [*into, new_id[&person.id]],
                    )?;
                }
            }
            let photo_of = |hash: &str| -> rusqlite::Result<Option<i64>> {
                tx.query_row(
                    "SELECT id FROM photos WHERE content_hash = ?1 ORDER BY status != 'ok', id LIMIT 1",
                    [hash],
                    |r| r.get(0),
                )
                .optional()
            };
            let mut photos = std::collections::BTreeSet::new();
            for d in &backup.decisions {
                let Some(photo) = photo_of(&d.place.photo_hash)? else {
                    summary.photos_not_found += 1;
                    continue;
                };
                let person = d.person.map(|p| new_id[&p]);
                journal.decide_at(photo, d.place.bounds, d.kind, person, &d.decided_at)?;
                photos.insert(photo);
                summary.decisions += 1;
            }
            // Drawn faces first: their face rows are made when faces are next looked for, and
            // the decisions about them wait for them at their place.
            for drawn in &backup.drawn_faces {
                let Some(photo) = photo_of(&drawn.place.photo_hash)? else { continue };
                journal.draw_face_at(photo, drawn.place.bounds, &drawn.drawn_at)?;
                summary.drawn_faces += 1;
            }
            for photo in photos {
                reattach_decisions(&tx, photo)?;
            }
            for album in &backup.albums {
                // An album of the same name already here gets the backup's photos too.
                let id = match crate::catalog::album_named_in(&tx, &album.name)? {
                    Some(id) => id,
                    None => {
                        let id = journal.create_album(album.name.trim())?;
                        tx.execute(
                            "UPDATE albums SET created_at = ?1 WHERE id = ?2",
                            params![album.created_at, id],
                        )?;
                        id
                    }
                };
                for hash in &album.photos {
                    if let Some(photo) = photo_of(hash)? {
                        journal.add_album_photo(id, photo)?;
                    }
                }
                summary.albums += 1;
            }
            summary.attached = tx.query_row(
                "SELECT count(*) FROM face_decisions WHERE face_id IS NOT NULL AND op_id = ?1",
                [journal.op_id],
                |r| r.get(0),
            )?;
            for person in &backup.people {
                let Some(cover) = &person.cover else { continue };
                let Some(photo) = photo_of(&cover.photo_hash)? else { continue };
                let face: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM faces WHERE photo_id = ?1 AND abs(x - ?2) < 1 AND abs(y - ?3) < 1
                           AND abs(w - ?4) < 1 AND abs(h - ?5) < 1",
                        params![photo, cover.bounds[0], cover.bounds[1], cover.bounds[2], cover.bounds[3]],
                        |r| r.get(0),
                    )
                    .optional()?;
                if face.is_some() {
                    tx.execute(
                        "UPDATE people SET cover_face_id = ?1 WHERE id = ?2",
                        params![face, new_id[&person.id]],
                    )?;
                }
            }
            // The fine-tuned model is a file of the backed-up library, not part of the backup.
            for (key, value) in backup.settings.iter().filter(|(k, _)| !k.starts_with("embedder.")) {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, value],
                )?;
            }
        }
        tx.commit()?;
        Ok(summary)
    }
}
