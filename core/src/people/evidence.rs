//! The evidence a name needs: when a face is recognised as one of the user's people.
//!
//! A face is put with a kept person (named, or otherwise the user's) automatically only by
//! recognition, FaceNet's k-NN over the person's confirmed faces, and only when all of this
//! holds:
//! - **nearest confirmed faces**: the mean similarity to the person's `MATCH_TOP_K` most
//!   similar confirmed faces *of about the same age* (photos taken within a few years, fewer
//!   for a child: see [`dates::comparable`]; all of them when none is) reaches
//!   `MATCH_MIN_SIMILARITY`, plus `CHILD_MATCH_EXTRA` scaled by how young the person was then
//!   (from their birth date, else from how young the face looks), or all of it for a face the
//!   embedder sees poorly (see [`crate::faces::quality`]), plus `SPARSE_MATCH_EXTRA` for each
//!   of the `MATCH_TOP_K` faces missing when fewer are of about that age;
//! - **margin over the runner-up**: it beats every other candidate's mean similarity to their
//!   most similar confirmed faces, whatever their age, by `MATCH_MARGIN`;
//! - **the photo's other faces**: no other face of the photo resembles the person almost as
//!   much (one photo shows a person once, and two look-alikes side by side are a question for
//!   the user), and the person is not confirmed elsewhere in the photo;
//! - **decisions and dates**: the face was never said not to be them, and the photo was not
//!   taken before their birth date.
//!
//! Anything weaker leaves the face to unnamed grouping, or alone, and the review queue asks.

use std::collections::{HashMap, HashSet};

use super::dates;
use super::{CHILD_MATCH_EXTRA, MATCH_MARGIN, MATCH_MIN_SIMILARITY, MATCH_TOP_K, SPARSE_MATCH_EXTRA};
use crate::catalog::FaceForPeople;
use crate::cluster;

/// How much a face resembles one person's confirmed faces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Resemblance {
    pub(crate) person: i64,
    /// Mean similarity to the most similar confirmed faces of about the same age (all of them
    /// when none is).
    pub(crate) near: f32,
    /// Mean similarity to the most similar confirmed faces of any age.
    pub(crate) any_age: f32,
    /// How many confirmed faces of about the same age `near` is the mean of, at most
    /// `MATCH_TOP_K` (0 when there is none and `near` is of any age).
    pub(crate) comparable: usize,
}

/// The confirmed faces of the user's people and what dates say about them.
pub(crate) struct Evidence<'a> {
    faces: &'a [FaceForPeople],
    /// Kept person → indices of its confirmed faces.
    confirmed: &'a HashMap<i64, Vec<usize>>,
    /// Confirmed face index → its person.
    owner: HashMap<usize, i64>,
    births: &'a HashMap<i64, i64>,
}

/// The `MATCH_TOP_K` largest values seen, and their mean.
#[derive(Default)]
struct TopK {
    values: [f32; MATCH_TOP_K],
    len: usize,
}

impl TopK {
    fn push(&mut self, value: f32) {
        if self.len < MATCH_TOP_K {
            self.values[self.len] = value;
            self.len += 1;
        } else if let Some(worst) = self.values.iter_mut().min_by(|a, b| a.total_cmp(b))
            && value > *worst
        {
            *worst = value;
        }
    }

    fn mean(&self) -> Option<f32> {
        (self.len > 0).then(|| self.values[..self.len].iter().sum::<f32>() / self.len as f32)
    }
}

impl<'a> Evidence<'a> {
    pub(crate) fn new(
        faces: &'a [FaceForPeople],
        confirmed: &'a HashMap<i64, Vec<usize>>,
        births: &'a HashMap<i64, i64>,
    ) -> Evidence<'a> {
        let owner =
            confirmed.iter().flat_map(|(&person, list)| list.iter().map(move |&f| (f, person))).collect();
        Evidence { faces, confirmed, owner, births }
    }

    /// Whether dates allow `face` to be `person`: not in a photo taken before their birth.
    pub(crate) fn born_by(&self, face: usize, person: i64) -> bool {
        match (self.births.get(&person), self.faces[face].taken_day) {
            (Some(&birth), Some(day)) => day >= birth,
            _ => true,
        }
    }

    /// The similarity a match of `face` with `person` needs, from `comparable` confirmed faces
    /// of about the same age: fewer than `MATCH_TOP_K` are weaker evidence, and each one missing
    /// raises the bar by `SPARSE_MATCH_EXTRA`.
    pub(crate) fn needed(&self, face: usize, person: i64, comparable: usize) -> f32 {
        let f = &self.faces[face];
        let youth = match (self.births.get(&person), f.taken_day) {
            (Some(&birth), Some(day)) => youth_at(dates::age_years(birth, day)),
            _ => f.childhood.clamp(0.0, 1.0),
        };
        let youth = if f.seen_poorly { 1.0 } else { youth };
        let missing = MATCH_TOP_K.saturating_sub(comparable) as f32;
        MATCH_MIN_SIMILARITY + CHILD_MATCH_EXTRA * youth + SPARSE_MATCH_EXTRA * missing
    }

    fn resemblance(
        &self,
        face: usize,
        person: i64,
        similarities: impl Iterator<Item = (usize, f32)>,
    ) -> Resemblance {
        let day = self.faces[face].taken_day;
        let birth = self.births.get(&person).copied();
        let (mut near, mut any_age) = (TopK::default(), TopK::default());
        for (other, similarity) in similarities {
            any_age.push(similarity);
            if dates::comparable(day, self.faces[other].taken_day, birth) {
                near.push(similarity);
            }
        }
        let any_age = any_age.mean().unwrap_or(-1.0);
        Resemblance { person, near: near.mean().unwrap_or(any_age), any_age, comparable: near.len }
    }

    /// How much `face` resembles each person `allowed` lets it be, against every confirmed face.
    pub(crate) fn resemblances(&self, face: usize, allowed: &dyn Fn(i64) -> bool) -> Vec<Resemblance> {
        let embedding = &self.faces[face].embedding;
        let mut found: Vec<Resemblance> = self
            .confirmed
            .iter()
            .filter(|&(&person, list)| !list.is_empty() && allowed(person))
            .map(|(&person, list)| {
                let sims = list.iter().map(|&c| (c, cluster::dot(embedding, &self.faces[c].embedding)));
                self.resemblance(face, person, sims)
            })
            .collect();
        found.sort_by(|a, b| b.near.total_cmp(&a.near).then(a.person.cmp(&b.person)));
        found
    }

    /// As [`resemblances`](Self::resemblances), from the face's nearest confirmed faces (best
    /// first; `complete` when they are all of them): a person with `MATCH_TOP_K` comparable
    /// faces among them is scored from those alone (their farther faces cannot be in their top
    /// k), others against all their confirmed faces. Returns also the similarity no unlisted
    /// person can exceed.
    pub(crate) fn resemblances_among(
        &self,
        face: usize,
        neighbours: &[(u32, f32)],
        complete: bool,
        allowed: &dyn Fn(i64) -> bool,
    ) -> (Vec<Resemblance>, f32) {
        let mut listed: HashMap<i64, Vec<(usize, f32)>> = HashMap::new();
        for &(other, similarity) in neighbours {
            if let Some(&person) = self.owner.get(&(other as usize))
                && allowed(person)
            {
                listed.entry(person).or_default().push((other as usize, similarity));
            }
        }
        let embedding = &self.faces[face].embedding;
        let mut found: Vec<Resemblance> = listed
            .into_iter()
            .map(|(person, sims)| {
                let birth = self.births.get(&person).copied();
                let day = self.faces[face].taken_day;
                let comparable = sims
                    .iter()
                    .filter(|(o, _)| dates::comparable(day, self.faces[*o].taken_day, birth))
                    .count();
                if comparable >= MATCH_TOP_K {
                    self.resemblance(face, person, sims.into_iter())
                } else {
                    let all = self.confirmed[&person]
                        .iter()
                        .map(|&c| (c, cluster::dot(embedding, &self.faces[c].embedding)));
                    self.resemblance(face, person, all)
                }
            })
            .collect();
        found.sort_by(|a, b| b.near.total_cmp(&a.near).then(a.person.cmp(&b.person)));
        // Faces past the list are at most as similar as its last one.
        let ceiling = if complete { -1.0 } else { neighbours.last().map_or(1.0, |n| n.1) };
        (found, ceiling)
    }

    /// The person `face` is recognised as, with its evidence, if it earns the name:
    /// `resemblances` best first, and `unseen` the most any person not among them can score.
    pub(crate) fn recognise(
        &self,
        face: usize,
        resemblances: &[Resemblance],
        unseen: f32,
    ) -> Option<(i64, f32)> {
        let best = resemblances.first()?;
        let runner_up =
            resemblances.iter().filter(|r| r.person != best.person).map(|r| r.any_age).fold(unseen, f32::max);
        (best.near >= self.needed(face, best.person, best.comparable)
            && best.near - runner_up >= MATCH_MARGIN)
            .then_some((best.person, best.near))
    }

    /// How much `face` resembles `person`, against all their confirmed faces.
    pub(crate) fn resemblance_to(&self, face: usize, person: i64) -> Option<Resemblance> {
        let list = self.confirmed.get(&person).filter(|l| !l.is_empty())?;
        let embedding = &self.faces[face].embedding;
        Some(self.resemblance(
            face,
            person,
            list.iter().map(|&c| (c, cluster::dot(embedding, &self.faces[c].embedding))),
        ))
    }
}

/// How young someone is at `age` years, for strictness: 1 at birth, 0 from 13 on.
fn youth_at(age: f32) -> f32 {
    ((13.0 - age) / 13.0).clamp(0.0, 1.0)
}

/// One photo shows a person once: of the faces of one photo recognised as the same person,
/// none keeps the name unless the best beats the photo's other faces' resemblance to that
/// person by `MATCH_MARGIN`. `matches` are (face, person, evidence); `photo_faces` the faces of
/// each photo. Returns the matches that stand.
pub(crate) fn settle_photos(
    evidence: &Evidence<'_>,
    matches: Vec<(usize, i64, f32)>,
    photo_of: impl Fn(usize) -> i64,
    photo_faces: &HashMap<i64, Vec<usize>>,
) -> Vec<(usize, i64, f32)> {
    let mut by_photo_person: HashMap<(i64, i64), Vec<(usize, f32)>> = HashMap::new();
    for &(face, person, score) in &matches {
        by_photo_person.entry((photo_of(face), person)).or_default().push((face, score));
    }
    let mut standing = Vec::with_capacity(matches.len());
    for ((photo, person), mut claims) in by_photo_person {
        claims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let (face, score) = claims[0];
        let claimed: HashSet<usize> = claims.iter().map(|c| c.0).collect();
        let rival = photo_faces
            .get(&photo)
            .into_iter()
            .flatten()
            // A face the user confirmed is somebody already, not a rival.
            .filter(|&&other| other != face && !evidence.owner.contains_key(&other))
            .map(|&other| {
                if claimed.contains(&other) {
                    claims.iter().find(|c| c.0 == other).map_or(-1.0, |c| c.1)
                } else {
                    evidence.resemblance_to(other, person).map_or(-1.0, |r| r.near)
                }
            })
            .fold(-1.0f32, f32::max);
        if score - rival >= MATCH_MARGIN {
            standing.push((face, person, score));
        }
    }
    standing.sort_by_key(|m| m.0);
    standing
}
