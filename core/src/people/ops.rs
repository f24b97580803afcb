//! The user's operations on people. Each is one transaction recorded in the journal, so that
//! it can be undone, and each checks its input before writing anything.

use std::collections::{HashMap, HashSet};

use rusqlite::OptionalExtension;

use super::review::{ReviewItem, ReviewSubject};
use crate::catalog::people::{
    PersonRecord, decisions_of_face, decisions_of_person, faces_of_person_in, last_operation,
    person_record_in, resolve_person_in, undo_operation,
};
use crate::catalog::{Catalog, DecisionKind, Journal, Operation};
use crate::error::{Error, ErrorKind, Result};

/// Longest name accepted; longer input is almost certainly pasted by mistake.
const MAX_NAME_CHARS: usize = 200;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

fn is_kept(journal: &Journal<'_, '_>, person: &PersonRecord) -> Result<bool> {
    Ok(person.name.is_some()
        || person.hidden
        || person.cover_face_id.is_some()
        || person.birth_date.is_some()
        || !decisions_of_person(journal.tx, person.id)?.is_empty())
}

/// Makes an unnamed group the user's: the faces they see in it now become confirmed, so that
/// no later pass reshuffles what the user acted on.
fn adopt(journal: &Journal<'_, '_>, person: i64) -> Result<()> {
    let record = person_record_in(journal.tx, person)?;
    if is_kept(journal, &record)? {
        return Ok(());
    }
    for (face, _, _) in faces_of_person_in(journal.tx, person)? {
        confirm(journal, face, person)?;
    }
    Ok(())
}

/// Records "face is person", replacing the face's earlier "is" / "not a face" and any "is not
/// this person", and assigns it.
fn confirm(journal: &Journal<'_, '_>, face: i64, person: i64) -> Result<()> {
    for decision in decisions_of_face(journal.tx, face)? {
        let replaced = match decision.kind {
            DecisionKind::Is => decision.person_id != Some(person),
            DecisionKind::NotAFace => true,
            DecisionKind::IsNot => decision.person_id == Some(person),
        };
        if replaced {
            journal.delete_decision(decision.id)?;
        }
    }
    if !decisions_of_face(journal.tx, face)?.iter().any(|d| d.kind == DecisionKind::Is) {
        journal.decide(face, DecisionKind::Is, Some(person))?;
    }
    journal.assign_face(face, Some(person), Some("user"))
}

fn live_person(journal: &Journal<'_, '_>, id: i64) -> Result<i64> {
    resolve_person_in(journal.tx, id)
}

fn face_photo(journal: &Journal<'_, '_>, face: i64) -> Result<(i64, Option<i64>, Option<String>)> {
    journal
        .tx
        .query_row("SELECT photo_id, person_id, assigned_by FROM faces WHERE id = ?1", [face], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no face {face}")))
}

fn display_name(record: &PersonRecord) -> String {
    match &record.name {
        Some(name) => format!("{name} (person {})", record.id),
        None => format!("unnamed group {}", record.id),
    }
}

/// Runs `body` as one journalled operation and commits it.
pub(crate) fn operation<T>(
    catalog: &mut Catalog,
    kind: &str,
    description: &str,
    body: impl FnOnce(&Journal<'_, '_>) -> Result<T>,
) -> Result<T> {
    let tx = catalog.conn_mut().transaction()?;
    let result = {
        let journal = Journal::begin(&tx, kind, description)?;
        body(&journal)?
    };
    tx.commit()?;
    Ok(result)
}

/// Names (or renames) a person. Two living people never share a name: the user is pointed to
/// merge instead.
/// Checks a name a user typed (or a file carried): not empty, not absurdly long, no control
/// characters.
pub fn validate_name(name: &str) -> Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("a name cannot be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "a name has at most {MAX_NAME_CHARS} characters and no control characters"
        )));
    }
    Ok(())
}

/// Refuses `name` when a living person other than `person` has it: the user is pointed to
/// merge instead.
fn check_name_free(journal: &Journal<'_, '_>, name: &str, person: Option<i64>) -> Result<()> {
    let holder: Option<i64> = journal
        .tx
        .query_row(
            "SELECT id FROM people WHERE name = ?1 COLLATE NOCASE AND merged_into IS NULL AND id IS NOT ?2",
            rusqlite::params![name, person],
            |r| r.get(0),
        )
        .optional()?;
    match holder {
        Some(other) => Err(invalid(format!(
            "{name} is already the name of person {other}; if they are the same person, merge them \
             (kindred merge {other} {})",
            person.map_or_else(|| "…".to_string(), |p| p.to_string())
        ))),
        None => Ok(()),
    }
}

pub(crate) fn name_person(catalog: &mut Catalog, person: i64, name: &str) -> Result<i64> {
    validate_name(name)?;
    let name = name.trim();
    let description = format!("name person {person} {name:?}");
    operation(catalog, "name", &description, |journal| {
        let person = live_person(journal, person)?;
        check_name_free(journal, name, Some(person))?;
        adopt(journal, person)?;
        journal.set_name(person, Some(name))?;
        Ok(person)
    })
}

/// Makes `from` part of `into`: its faces, confirmations and rejections move over, and its row
/// stays (with its name) pointing at `into`. Refused when both have a confirmed face in one
/// photo, since one photo cannot show one person twice.
pub(crate) fn merge(catalog: &mut Catalog, into: i64, from: i64) -> Result<i64> {
    let description = format!("merge person {from} into {into}");
    operation(catalog, "merge", &description, |journal| {
        let (into, from) = (live_person(journal, into)?, live_person(journal, from)?);
        if into == from {
            return Err(invalid(format!("person {into} cannot be merged with itself")));
        }
        // Adopting first makes "confirmed" mean what the user sees; an error below rolls the
        // whole operation back.
        adopt(journal, into)?;
        adopt(journal, from)?;
        let into_by_photo: HashMap<i64, (i64, bool)> = faces_of_person_in(journal.tx, into)?
            .into_iter()
            .map(|(face, photo, how)| (photo, (face, how.as_deref() == Some("user"))))
            .collect();
        for (face, photo, how) in faces_of_person_in(journal.tx, from)? {
            if let Some(&(other, true)) = into_by_photo.get(&photo)
                && how.as_deref() == Some("user")
            {
                return Err(invalid(format!(
                    "photo {photo} shows both people (faces {other} and {face}); one photo cannot show one \
                     person twice, so remove the wrong face first"
                )));
            }
        }
        let into_rejected: HashSet<i64> = decisions_of_person(journal.tx, into)?
            .into_iter()
            .filter(|d| d.kind == DecisionKind::IsNot)
            .filter_map(|d| d.face_id)
            .collect();
        for decision in decisions_of_person(journal.tx, from)? {
            let face = decision.face_id;
            let contradicts = match decision.kind {
                // "f is not `from`" now reads "f is not `into`": dropped if f is `into`'s.
                DecisionKind::IsNot => face.is_some_and(|f| {
                    into_rejected.contains(&f)
                        || decisions_of_face(journal.tx, f).is_ok_and(|ds| {
                            ds.iter().any(|d| d.kind == DecisionKind::Is && d.person_id == Some(into))
                        })
                }),
                // "f is `from`" with f rejected from `into`: the merge is the newer word.
                DecisionKind::Is => false,
                DecisionKind::NotAFace => false,
            };
            if contradicts {
                journal.delete_decision(decision.id)?;
            } else {
                journal.move_decision(decision.id, into)?;
            }
        }
        for d in decisions_of_person(journal.tx, into)? {
            let is_into = |f: i64| {
                decisions_of_face(journal.tx, f).is_ok_and(|ds| {
                    ds.iter().any(|x| x.kind == DecisionKind::Is && x.person_id == Some(into))
                })
            };
            if d.kind == DecisionKind::IsNot && d.face_id.is_some_and(is_into) {
                journal.delete_decision(d.id)?;
            }
        }
        for (face, photo, how) in faces_of_person_in(journal.tx, from)? {
            match into_by_photo.get(&photo) {
                // A suggested face yields to a confirmed one of the same photo.
                Some(&(other, other_confirmed)) => {
                    if how.as_deref() == Some("user") && !other_confirmed {
                        journal.assign_face(other, None, None)?;
                        journal.assign_face(face, Some(into), how.as_deref())?;
                    } else {
                        journal.assign_face(face, None, None)?;
                    }
                }
                None => journal.assign_face(face, Some(into), how.as_deref())?,
            }
        }
        let into_record = person_record_in(journal.tx, into)?;
        let from_record = person_record_in(journal.tx, from)?;
        if into_record.name.is_none() && from_record.name.is_some() {
            journal.set_name(into, from_record.name.as_deref())?;
        }
        journal.set_merged_into(from, into)?;
        Ok(into)
    })
}

/// Says that `faces` are `to` (a new unnamed person when `None`: splitting faces off).
/// Where [`move_faces`] puts faces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MoveTo<'a> {
    Person(i64),
    /// A new person, named or not (splitting faces off; naming a face seen once).
    NewPerson(Option<&'a str>),
}

pub(crate) fn move_faces(catalog: &mut Catalog, faces: &[i64], to: MoveTo<'_>) -> Result<i64> {
    if faces.is_empty() {
        return Err(invalid("name at least one face to move"));
    }
    if let MoveTo::NewPerson(Some(name)) = to {
        validate_name(name)?;
    }
    let description = match to {
        MoveTo::Person(person) => format!("move {} face(s) to person {person}", faces.len()),
        MoveTo::NewPerson(None) => format!("split {} face(s) into a new person", faces.len()),
        MoveTo::NewPerson(Some(name)) => format!("{} face(s) are {:?}", faces.len(), name.trim()),
    };
    operation(catalog, "move", &description, |journal| {
        let mut photos = HashMap::new();
        for &face in faces {
            let (photo, _, _) = face_photo(journal, face)?;
            if let Some(other) = photos.insert(photo, face)
                && other != face
            {
                return Err(invalid(format!(
                    "faces {other} and {face} are in the same photo {photo}, so they cannot be one person"
                )));
            }
        }
        let to = match to {
            MoveTo::Person(person) => live_person(journal, person)?,
            MoveTo::NewPerson(name) => {
                let name = name.map(str::trim);
                if let Some(name) = name {
                    check_name_free(journal, name, None)?;
                }
                journal.create_person(name)?
            }
        };
        let moving: HashSet<i64> = faces.iter().copied().collect();
        for (other, photo, how) in faces_of_person_in(journal.tx, to)? {
            if moving.contains(&other) {
                continue;
            }
            if let Some(&face) = photos.get(&photo) {
                if how.as_deref() == Some("user") {
                    let record = person_record_in(journal.tx, to)?;
                    return Err(invalid(format!(
                        "photo {photo} already shows {} as face {other}; remove that face first, or move \
                         face {face} elsewhere",
                        display_name(&record)
                    )));
                }
                // A suggestion yields to the user's word.
                journal.assign_face(other, None, None)?;
            }
        }
        // After the check: faces a group only suggested must not be confirmed first.
        adopt(journal, to)?;
        for &face in faces {
            confirm(journal, face, to)?;
        }
        Ok(to)
    })
}

/// "Not this person": the face leaves its person and is never put with them again.
pub(crate) fn remove_face(catalog: &mut Catalog, face: i64) -> Result<i64> {
    operation(catalog, "remove", &format!("face {face} is not its person"), |journal| {
        let (_, person, _) = face_photo(journal, face)?;
        let person = person.ok_or_else(|| {
            invalid(format!("face {face} is not with anyone; there is no person to remove it from"))
        })?;
        reject(journal, face, person)?;
        Ok(person)
    })
}

/// Records "face is not person" (adopting an unnamed group first, so that the group the user
/// corrected stays), and takes the face out if it is there.
fn reject(journal: &Journal<'_, '_>, face: i64, person: i64) -> Result<()> {
    let person = live_person(journal, person)?;
    adopt(journal, person)?;
    let decisions = decisions_of_face(journal.tx, face)?;
    for decision in &decisions {
        if decision.kind == DecisionKind::Is && decision.person_id == Some(person) {
            journal.delete_decision(decision.id)?;
        }
    }
    if !decisions.iter().any(|d| d.kind == DecisionKind::IsNot && d.person_id == Some(person)) {
        journal.decide(face, DecisionKind::IsNot, Some(person))?;
    }
    let (_, current, _) = face_photo(journal, face)?;
    if current == Some(person) {
        // Unassigned and unseen: the next people pass places it anywhere but here.
        journal.assign_face(face, None, None)?;
    }
    Ok(())
}

/// "Not a face": the detection leaves people for good.
pub(crate) fn mark_not_a_face(catalog: &mut Catalog, face: i64) -> Result<()> {
    operation(catalog, "not_a_face", &format!("face {face} is not a face"), |journal| {
        face_photo(journal, face)?;
        for decision in decisions_of_face(journal.tx, face)? {
            if decision.kind != DecisionKind::IsNot {
                journal.delete_decision(decision.id)?;
            }
        }
        journal.decide(face, DecisionKind::NotAFace, None)?;
        journal.assign_face(face, None, None)
    })
}

/// "Not this person" for several faces at once, as one operation: each face leaves the person
/// it is with. Returns (face, person it was taken from).
pub(crate) fn remove_faces(catalog: &mut Catalog, faces: &[i64]) -> Result<Vec<(i64, i64)>> {
    if faces.is_empty() {
        return Err(invalid("name at least one face to take away"));
    }
    let description = format!("{} face(s) are not their person", faces.len());
    operation(catalog, "remove", &description, |journal| {
        let mut removed = Vec::with_capacity(faces.len());
        for &face in faces {
            let (_, person, _) = face_photo(journal, face)?;
            let person = person.ok_or_else(|| {
                invalid(format!("face {face} is not with anyone; there is no person to remove it from"))
            })?;
            reject(journal, face, person)?;
            removed.push((face, person));
        }
        Ok(removed)
    })
}

/// "Not a face" for several detections at once, as one operation.
pub(crate) fn mark_not_faces(catalog: &mut Catalog, faces: &[i64]) -> Result<()> {
    if faces.is_empty() {
        return Err(invalid("name at least one face"));
    }
    operation(catalog, "not_a_face", &format!("{} detection(s) are not faces", faces.len()), |journal| {
        for &face in faces {
            face_photo(journal, face)?;
            for decision in decisions_of_face(journal.tx, face)? {
                if decision.kind != DecisionKind::IsNot {
                    journal.delete_decision(decision.id)?;
                }
            }
            journal.decide(face, DecisionKind::NotAFace, None)?;
            journal.assign_face(face, None, None)?;
        }
        Ok(())
    })
}

/// Hides every unnamed group (not hidden yet) with fewer than `photos` photos, as one
/// operation, so that one undo shows them all again. Returns how many were hidden.
pub(crate) fn hide_small_groups(catalog: &mut Catalog, photos: u64) -> Result<u64> {
    let small: Vec<i64> = catalog
        .people_list(false)?
        .into_iter()
        .filter(|p| p.name.is_none() && p.photos < photos)
        .map(|p| p.id)
        .collect();
    if small.is_empty() {
        return Ok(0);
    }
    let description = format!("hide {} unnamed group(s) with fewer than {photos} photos", small.len());
    operation(catalog, "hide", &description, |journal| {
        for &person in &small {
            adopt(journal, person)?;
            journal.set_hidden(person, true)?;
        }
        Ok(small.len() as u64)
    })
}

/// Records a face the user drew on `photo` (found in their box), as one operation.
pub(crate) fn draw_face(catalog: &mut Catalog, photo: i64, face: &crate::catalog::FoundFace) -> Result<i64> {
    operation(catalog, "draw", &format!("draw a face on photo {photo}"), |journal| {
        journal.draw_face(photo, face, crate::faces::MODEL_ID)
    })
}

pub(crate) fn hide(catalog: &mut Catalog, person: i64, hidden: bool) -> Result<i64> {
    let verb = if hidden { "hide" } else { "show" };
    operation(catalog, verb, &format!("{verb} person {person}"), |journal| {
        let person = live_person(journal, person)?;
        adopt(journal, person)?;
        journal.set_hidden(person, hidden)?;
        Ok(person)
    })
}

pub(crate) fn set_cover(catalog: &mut Catalog, person: i64, face: i64) -> Result<i64> {
    operation(catalog, "cover", &format!("face {face} is the cover of person {person}"), |journal| {
        let person = live_person(journal, person)?;
        let (_, owner, _) = face_photo(journal, face)?;
        if owner != Some(person) {
            return Err(invalid(format!("face {face} is not one of person {person}'s faces")));
        }
        adopt(journal, person)?;
        journal.set_cover(person, Some(face))?;
        Ok(person)
    })
}

/// What giving a person a birth date changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthDateChange {
    pub person: i64,
    /// Faces placed with the person automatically in photos taken before the date: they leave.
    pub released: u64,
    /// Faces the user confirmed in photos dated before it: they stay, since the user's word
    /// outranks a camera's clock (the photo's date is likely wrong).
    pub confirmed_before: u64,
}

/// Sets (or, with `None`, forgets) a person's birth date: no photo taken before it is theirs,
/// so faces placed with them automatically in earlier photos leave them now, and no pass puts
/// such a face with them again.
pub(crate) fn set_birth_date(
    catalog: &mut Catalog,
    person: i64,
    date: Option<&str>,
) -> Result<BirthDateChange> {
    let date = match date.map(str::trim) {
        Some(text) => Some(
            crate::time::parse_date(text)
                .ok_or_else(|| invalid(format!("{text:?} is not a birth date; give it as YYYY-MM-DD")))?,
        ),
        None => None,
    };
    // A day of slack: somewhere east of UTC it is tomorrow already.
    let today = crate::time::day_number(&crate::time::now_utc()).unwrap_or(i64::MAX);
    if let Some(date) = &date
        && crate::time::day_number(date).is_some_and(|day| day > today + 1)
    {
        return Err(invalid(format!("{date} is in the future; a birth date is a day that has passed")));
    }
    let description = match &date {
        Some(date) => format!("person {person} was born on {date}"),
        None => format!("forget the birth date of person {person}"),
    };
    operation(catalog, "birth_date", &description, |journal| {
        let person = live_person(journal, person)?;
        adopt(journal, person)?;
        journal.set_birth_date(person, date.as_deref())?;
        let mut change = BirthDateChange { person, released: 0, confirmed_before: 0 };
        let Some(date) = &date else { return Ok(change) };
        let earlier: Vec<(i64, Option<String>)> = journal
            .tx
            .prepare(
                "SELECT f.id, f.assigned_by FROM faces f JOIN photos p ON p.id = f.photo_id
                 WHERE f.person_id = ?1 AND p.taken_at IS NOT NULL AND substr(p.taken_at, 1, 10) < ?2",
            )?
            .query_map(rusqlite::params![person, date], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (face, how) in earlier {
            if how.as_deref() == Some("user") {
                change.confirmed_before += 1;
            } else {
                // Unassigned and unseen: the next people pass places it anywhere but here.
                journal.assign_face(face, None, None)?;
                change.released += 1;
            }
        }
        Ok(change)
    })
}

/// Undoes the newest operation not undone yet; `None` when there is nothing to undo.
pub(crate) fn undo(catalog: &mut Catalog) -> Result<Option<Operation>> {
    let tx = catalog.conn_mut().transaction()?;
    let Some(op) = last_operation(&tx)? else { return Ok(None) };
    undo_operation(&tx, op.id)?;
    tx.commit()?;
    Ok(Some(op))
}

/// Applies the answer to "is this X?" from the review queue.
pub(crate) fn answer_review(catalog: &mut Catalog, item: &ReviewItem, yes: bool) -> Result<()> {
    match (item.subject, yes) {
        (ReviewSubject::Group(group), true) => merge(catalog, item.person_id, group).map(drop),
        (ReviewSubject::Face(face), true) => {
            move_faces(catalog, &[face], MoveTo::Person(item.person_id)).map(drop)
        }
        (ReviewSubject::Face(face), false) => operation(
            catalog,
            "review",
            &format!("face {face} is not person {}", item.person_id),
            |journal| reject(journal, face, item.person_id),
        ),
        (ReviewSubject::Group(group), false) => operation(
            catalog,
            "review",
            &format!("group {group} is not person {}", item.person_id),
            |journal| {
                // Every face of the group is not X; the group itself stays as it is.
                for (face, _, _) in faces_of_person_in(journal.tx, group)? {
                    let decisions = decisions_of_face(journal.tx, face)?;
                    if !decisions
                        .iter()
                        .any(|d| d.kind == DecisionKind::IsNot && d.person_id == Some(item.person_id))
                    {
                        journal.decide(face, DecisionKind::IsNot, Some(item.person_id))?;
                    }
                }
                Ok(())
            },
        ),
    }
}

/// A region drawn by a person or another program and a box found by the detector overlap at
/// least this much when they frame the same face (measured on the sample portraits: 0.5–0.7).
const REGION_MIN_IOU: f32 = 0.3;

/// Names read from photos' metadata (XMP face regions) become confirmed faces: each pending
/// region is matched to the face it covers, and that face is confirmed as the person of that
/// name (created if nobody has it yet), in one undoable operation. The user's own decisions
/// win: a face already decided otherwise, or a person already confirmed elsewhere in the photo,
/// leaves the region as a conflict. Returns the faces confirmed.
pub(crate) fn apply_names_from_files(catalog: &mut Catalog) -> Result<u64> {
    use crate::catalog::regions::set_region_state;
    let pending = catalog.pending_regions(crate::faces::MODEL_ID)?;
    if pending.is_empty() {
        return Ok(0);
    }
    // (region, outcome): a face to confirm as a name, or a final state.
    type Outcome = std::result::Result<(i64, String), &'static str>;
    let mut plan: Vec<(i64, Outcome)> = Vec::new();
    {
        let conn = catalog.conn();
        let mut faces_stmt =
            conn.prepare("SELECT id, x, y, w, h FROM faces WHERE photo_id = ?1 AND model = ?2")?;
        let mut photo_stmt = conn.prepare("SELECT width, height, orientation FROM photos WHERE id = ?1")?;
        for region in &pending {
            let (width, height, orientation): (Option<f32>, Option<f32>, u8) =
                photo_stmt.query_row([region.photo_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let (Some(width), Some(height)) = (width, height) else {
                plan.push((region.id, Err("no_face")));
                continue;
            };
            let (width, height) = if orientation >= 5 { (height, width) } else { (width, height) };
            let b = region.bounds;
            let target = [b[0] * width, b[1] * height, b[2] * width, b[3] * height];
            let faces: Vec<(i64, [f32; 4])> = faces_stmt
                .query_map(rusqlite::params![region.photo_id, crate::faces::MODEL_ID], |r| {
                    Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let best = faces
                .iter()
                .map(|(id, face)| (*id, crate::geometry::iou(target, *face)))
                .filter(|&(_, overlap)| overlap >= REGION_MIN_IOU)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            plan.push((region.id, best.map(|(face, _)| (face, region.name.clone())).ok_or("no_face")));
        }
    }
    let confirmations = plan.iter().filter(|p| p.1.is_ok()).count();
    let tx = catalog.conn_mut().transaction()?;
    let mut confirmed = 0;
    {
        let journal = if confirmations > 0 {
            Some(Journal::begin(
                &tx,
                "import_names",
                &format!("names of {confirmations} face(s) read from photo metadata"),
            )?)
        } else {
            None
        };
        for (region, outcome) in plan {
            let (state, op) = match (outcome, &journal) {
                (Err(state), _) => (state, None),
                (Ok((face, name)), Some(journal)) => {
                    let state = apply_name(journal, face, &name)?;
                    confirmed += u64::from(state == "confirmed");
                    match state {
                        "confirmed" => ("applied", Some(journal.op_id)),
                        "already" => ("applied", None),
                        _ => ("conflict", None),
                    }
                }
                (Ok(_), None) => ("pending", None),
            };
            set_region_state(&tx, region, state, op)?;
        }
    }
    tx.commit()?;
    Ok(confirmed)
}

/// Confirms `face` as the person named `name` unless the user said otherwise; returns
/// "confirmed", "already" or "conflict".
fn apply_name(journal: &Journal<'_, '_>, face: i64, name: &str) -> Result<&'static str> {
    if validate_name(name).is_err() {
        return Ok("conflict");
    }
    let existing: Option<i64> = journal
        .tx
        .query_row(
            "SELECT id FROM people WHERE name = ?1 COLLATE NOCASE AND merged_into IS NULL ORDER BY id LIMIT 1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    let decisions = decisions_of_face(journal.tx, face)?;
    if decisions.iter().any(|d| d.kind == DecisionKind::NotAFace) {
        return Ok("conflict");
    }
    if let Some(is) = decisions.iter().find(|d| d.kind == DecisionKind::Is) {
        return Ok(
            if existing.is_some()
                && is.person_id.map(|p| resolve_person_in(journal.tx, p)).transpose()? == existing
            {
                "already"
            } else {
                "conflict"
            },
        );
    }
    let (photo, _, _) = face_photo(journal, face)?;
    let person = match existing {
        Some(person) => {
            if decisions.iter().any(|d| d.kind == DecisionKind::IsNot && d.person_id == Some(person)) {
                return Ok("conflict");
            }
            let confirmed_here: bool = journal
                .tx
                .query_row(
                    "SELECT 1 FROM faces WHERE photo_id = ?1 AND person_id = ?2 AND assigned_by = 'user' AND id != ?3",
                    rusqlite::params![photo, person, face],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if confirmed_here {
                return Ok("conflict");
            }
            // A suggestion of this person elsewhere in the photo yields to the named face.
            let others: Vec<i64> = journal
                .tx
                .prepare("SELECT id FROM faces WHERE photo_id = ?1 AND person_id = ?2 AND id != ?3")?
                .query_map(rusqlite::params![photo, person, face], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for other in others {
                journal.assign_face(other, None, None)?;
            }
            person
        }
        None => journal.create_person(Some(name))?,
    };
    confirm(journal, face, person)?;
    Ok("confirmed")
}
