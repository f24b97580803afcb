//! The review queue: "is this X?" questions about named people, most useful first.
//!
//! Candidates are unnamed groups that look like a named person, faces placed with a named
//! person automatically, and lone faces near one. Each is scored by its similarity to the
//! person's confirmed faces (average linkage: the dot product of means). An answer is most
//! useful when the machine is least sure and it settles many faces at once, so the queue is
//! ordered by `uncertainty × faces settled`, where uncertainty peaks at the clustering
//! threshold and fades over about `UNCERTAINTY_WIDTH` of similarity on either side.

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
    pub priority: f32,
}

/// Similarity scale over which a question goes from "unsure" to "obvious" (a logistic slope).
const UNCERTAINTY_WIDTH: f32 = 0.04;
/// Questions the machine is this sure about (either way) are not worth asking.
const MIN_UNCERTAINTY: f32 = 0.02;

fn uncertainty(similarity: f32, boundary: f32) -> f32 {
    let p = 1.0 / (1.0 + (-(similarity - boundary) / UNCERTAINTY_WIDTH).exp());
    1.0 - (2.0 * p - 1.0).abs()
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
                    items.push(item(
                        ReviewSubject::Face(face.id),
                        person,
                        similarity,
                        1,
                        face.id,
                        boundary,
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
        if let Some((person, similarity)) = best_person(&mean, &members, Some(group)) {
            items.push(item(
                ReviewSubject::Group(group),
                person,
                similarity,
                members.len() as u64,
                sample,
                boundary,
                &names,
            ));
        }
    }
    items.retain(|i| i.priority >= MIN_UNCERTAINTY && about.is_none_or(|person| i.person_id == person));
    items.sort_by(|a, b| b.priority.total_cmp(&a.priority).then(a.person_id.cmp(&b.person_id)));
    items.truncate(limit);
    Ok(items)
}

fn item(
    subject: ReviewSubject,
    person_id: i64,
    similarity: f32,
    faces: u64,
    sample_face_id: i64,
    boundary: f32,
    names: &HashMap<i64, String>,
) -> ReviewItem {
    ReviewItem {
        subject,
        person_id,
        person_name: names.get(&person_id).cloned().unwrap_or_default(),
        similarity,
        faces,
        sample_face_id,
        priority: uncertainty(similarity, boundary) * faces as f32,
    }
}
