//! The review queue: "is this X?" questions about named people, most useful first.
//!
//! Candidates are unnamed groups that look like a named person, lone faces near one, faces
//! placed with a named person automatically, and faces of a group that look like someone else
//! than the group as a whole does (or much more like its person). Each is scored by its
//! similarity to the person's confirmed faces (average linkage: the dot product of means),
//! which gives the chance that the answer is yes: a logistic curve around the clustering
//! threshold, about `ANSWER_WIDTH` of similarity wide. An answer is most useful when it puts the most faces that matter with
//! their right person: a yes to a group settles all its faces, a yes to a lone face one, a no
//! to a face placed automatically takes one wrong face away. And faces matter as much as they
//! stand out in their photo: the people of a family photo are its large faces, strangers in
//! the background are small. So the queue is ordered by the expected number of faces an
//! answer puts right, each face weighted by its prominence (its area over the area of the
//! largest face of its photo, squared): `P(yes) × Σ prominence²` for groups and lone faces,
//! `P(no) × prominence²` for a face placed automatically. Measured with the simulated user on
//! the CelebA photos (`kindred eval --simulate-user`): weighting by prominence cuts the answers
//! needed to get 99% of the main faces right by more than half, since most questions of an
//! unweighted queue were about strangers in the background. A subject the user turned down
//! for one person is asked about the next person it looks like with no less weight: making it
//! wait after each "no" (it might be a stranger) took three to four times as many answers,
//! since many of the faces still wrong at the end are put right only after several people
//! were turned down. Questions whose useful answer is nearly impossible are not asked.

use std::collections::{HashMap, HashSet};

use super::PeopleSettings;
use crate::catalog::{Catalog, DecisionKind, LEFT_ALONE};
use crate::cluster;
use crate::error::Result;

/// What a review question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewSubject {
    /// A whole unnamed group.
    Group(i64),
    /// One face.
    Face(i64),
}

/// "Is this `person_id`?"
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewItem {
    pub subject: ReviewSubject,
    pub person_id: i64,
    pub person_name: String,
    /// Average-linkage similarity of the subject to the person's confirmed faces.
    pub similarity: f32,
    /// Faces the answer settles.
    pub faces: u64,
    /// A face to show for the subject.
    pub sample_face_id: i64,
    /// Faces the answer is expected to put with their right person, weighted by how much they
    /// stand out in their photos; the queue's order.
    pub priority: f32,
}

/// Similarity scale over which the answer goes from "surely no" to "surely yes" (the slope of
/// a logistic curve centred on the clustering threshold).
const ANSWER_WIDTH: f32 = 0.08;
/// A face of a group is asked about on its own, for the person the group is asked about,
/// when its chance of yes is this many times the group's.
const STANDS_OUT_OF_GROUP: f32 = 2.0;
/// Questions whose useful answer (yes to a group or a lone face, no to a face placed
/// automatically) is less likely than this are not worth asking.
const MIN_USEFUL_ANSWER: f32 = 0.001;

/// The chance that the user answers yes to a subject of this similarity to the person.
fn chance_of_yes(similarity: f32, boundary: f32) -> f32 {
    1.0 / (1.0 + (-(similarity - boundary) / ANSWER_WIDTH).exp())
}

pub(crate) fn review_queue(
    catalog: &Catalog,
    settings: &PeopleSettings,
    about: Option<i64>,
    limit: usize,
) -> Result<Vec<ReviewItem>> {
    let faces = super::faces_for_grouping(catalog)?;
    let dim = kindred_models::EMBEDDING_DIM;
    let names = catalog.person_names()?;
    let births = catalog.birth_days()?;
    let hidden: HashSet<i64> =
        catalog.people_list(true)?.into_iter().filter(|p| p.hidden).map(|p| p.id).collect();
    let mut rejected: HashMap<i64, HashSet<i64>> = HashMap::new();
    let mut confirmed_sum: HashMap<i64, (Vec<f32>, u32)> = HashMap::new();
    let by_id: HashMap<i64, usize> = faces.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    for decision in catalog.decisions()? {
        let (Some(face), Some(person)) = (decision.face_id, decision.person_id) else { continue };
        match decision.kind {
            DecisionKind::IsNot => {
                rejected.entry(face).or_default().insert(person);
            }
            DecisionKind::Is if names.contains_key(&person) => {
                if let Some(&i) = by_id.get(&face) {
                    let entry = confirmed_sum.entry(person).or_insert_with(|| (vec![0f32; dim], 0));
                    for (s, x) in entry.0.iter_mut().zip(&faces[i].embedding) {
                        *s += x;
                    }
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    let named: Vec<(i64, Vec<f32>)> = confirmed_sum
        .into_iter()
        .filter(|(person, _)| !hidden.contains(person))
        .map(|(person, (sum, n))| (person, sum.into_iter().map(|x| x / n as f32).collect()))
        .collect();
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let boundary = 1.0 - settings.threshold;
    let prominence = prominence_of_faces(catalog)?;
    let weight = |face: i64| prominence.get(&face).map_or(1.0, |p| p * p);
    let mut photo_people: HashMap<i64, HashSet<i64>> = HashMap::new();
    for face in &faces {
        if let Some(p) = face.person_id {
            photo_people.entry(face.photo_id).or_default().insert(p);
        }
    }
    // The named person closest to `mean` that the subject's faces were not rejected from, that
    // is not already in one of its photos, and that was born when they were taken.
    let best_person = |mean: &[f32], members: &[usize], current: Option<i64>| -> Option<(i64, f32)> {
        named
            .iter()
            .filter(|(person, _)| Some(*person) != current)
            .filter(|(person, _)| {
                members.iter().all(|&i| {
                    let face = &faces[i];
                    !rejected.get(&face.id).is_some_and(|r| r.contains(person))
                        && !photo_people.get(&face.photo_id).is_some_and(|p| p.contains(person))
                        && births.get(person).zip(face.taken_day).is_none_or(|(birth, day)| day >= *birth)
                })
            })
            .map(|(person, centre)| (*person, cluster::dot(mean, centre)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };

    // Faces in a removed folder are not asked about: the user no longer sees their photos.
    let removed = catalog.photos_in_removed_folders()?;
    let mut items = Vec::new();
    let mut groups: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, face) in faces.iter().enumerate() {
        if removed.contains(&face.photo_id) {
            continue;
        }
        match (face.person_id, face.assigned_by.as_deref()) {
            (Some(person), _) if !names.contains_key(&person) && !hidden.contains(&person) => {
                groups.entry(person).or_default().push(i)
            }
            // A face placed with a named person automatically (is it really them?), or a lone
            // face near one.
            (person @ Some(_), Some("match" | "cluster")) | (person @ None, Some(LEFT_ALONE))
                if person.is_none_or(|p| !hidden.contains(&p)) =>
            {
                let question = match person {
                    Some(person) => named
                        .iter()
                        .find(|(p, _)| *p == person)
                        .map(|(_, centre)| (person, cluster::dot(&face.embedding, centre))),
                    None => best_person(&face.embedding, &[i], None),
                };
                if let Some((person, similarity)) = question {
                    let p = chance_of_yes(similarity, boundary);
                    // Placed with the person already: the useful answer is no.
                    let useful = if face.person_id.is_some() { 1.0 - p } else { p };
                    let value = useful * weight(face.id);
                    items.extend(item(
                        ReviewSubject::Face(face.id),
                        person,
                        similarity,
                        1,
                        face.id,
                        useful,
                        value,
                        &names,
                    ));
                }
            }
            _ => {}
        }
    }
    for (group, members) in groups {
        let mut mean = vec![0f32; dim];
        for &i in &members {
            for (m, x) in mean.iter_mut().zip(&faces[i].embedding) {
                *m += x / members.len() as f32;
            }
        }
        let sample = members
            .iter()
            .copied()
            .max_by(|&a, &b| {
                cluster::dot(&mean, &faces[a].embedding).total_cmp(&cluster::dot(&mean, &faces[b].embedding))
            })
            .map(|i| faces[i].id)
            .unwrap_or_default();
        let asked_for_group = best_person(&mean, &members, Some(group))
            .map(|(person, similarity)| (person, similarity, chance_of_yes(similarity, boundary)));
        if let Some((person, similarity, p)) = asked_for_group {
            let value = p * members.iter().map(|&i| weight(faces[i].id)).sum::<f32>();
            items.extend(item(
                ReviewSubject::Group(group),
                person,
                similarity,
                members.len() as u64,
                sample,
                p,
                value,
                &names,
            ));
        }
        // A face of the group that looks like someone other than the group as a whole, or much
        // more like its person than the group does, is asked about on its own: groups of small
        // children mix siblings and cousins, and a "no" for the whole group would never put
        // such a face right.
        for &i in &members {
            let Some((person, similarity)) = best_person(&faces[i].embedding, &[i], Some(group)) else {
                continue;
            };
            let p = chance_of_yes(similarity, boundary);
            if asked_for_group.is_some_and(|(group_person, _, group_p)| {
                group_person == person && p < STANDS_OUT_OF_GROUP * group_p
            }) {
                continue;
            }
            items.extend(item(
                ReviewSubject::Face(faces[i].id),
                person,
                similarity,
                1,
                faces[i].id,
                p,
                p * weight(faces[i].id),
                &names,
            ));
        }
    }
    items.retain(|i| about.is_none_or(|person| i.person_id == person));
    items.sort_by(|a, b| b.priority.total_cmp(&a.priority).then(a.person_id.cmp(&b.person_id)));
    items.truncate(limit);
    Ok(items)
}

/// How much each face stands out in its photo: its area over the area of the photo's largest
/// face (1 for the largest).
fn prominence_of_faces(catalog: &Catalog) -> Result<HashMap<i64, f32>> {
    let mut stmt = catalog
        .conn()
        .prepare("SELECT id, w * h / max(max(w * h) OVER (PARTITION BY photo_id), 1.0) FROM faces")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, f64>(1)? as f32)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A question whose useful answer has chance `useful` and is expected to put `value` faces
/// right; `None` when it is not worth asking.
#[allow(clippy::too_many_arguments, reason = "the fields of the question")]
fn item(
    subject: ReviewSubject,
    person_id: i64,
    similarity: f32,
    faces: u64,
    sample_face_id: i64,
    useful: f32,
    value: f32,
    names: &HashMap<i64, String>,
) -> Option<ReviewItem> {
    (useful >= MIN_USEFUL_ANSWER).then(|| ReviewItem {
        subject,
        person_id,
        person_name: names.get(&person_id).cloned().unwrap_or_default(),
        similarity,
        faces,
        sample_face_id,
        priority: value,
    })
}
