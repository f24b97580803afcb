//! A simulated user, to measure how much work naming a library's people takes: on photos
//! labeled with who their main face is, the user names the largest group of each labeled
//! person (as the Name people view walks them), then answers the review queue from the labels,
//! most useful question first, until the main faces are right. Naming a group, or saying yes to
//! one, confirms all its faces, so before either the user takes out of the group's mosaic the
//! faces they know to be someone else; saying no to a group says it of all its faces, so before
//! that the user moves the faces that are the person asked about to them. The figure is the
//! user's actions (names typed, answers, faces picked out by hand) per 100 main faces: what the
//! order of the review queue saves.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use crate::Library;
use crate::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::eval::LabeledLibrary;
use crate::events::EventSink;
use crate::faces::FaceEngine;
use crate::people::{PeopleQuery, PeopleSection, PeopleSettings, ReviewItem, ReviewSubject};

/// The user stops once this share of the main faces is with the right person.
pub const TARGET_RIGHT: f64 = 0.99;

/// What the simulated user did.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedUser {
    /// Main faces scored (labeled photos in which a face was found).
    pub main_faces: usize,
    /// Labeled people with at least one main face.
    pub people: usize,
    /// Groups named (one per labeled person that has one).
    pub named: u64,
    /// Review questions answered, and how many of the answers were yes.
    pub answers: u64,
    pub yes: u64,
    /// Faces picked out of a group by hand (the user knows them): of another labeled person
    /// before the group was named or said yes to, of the person asked about before a no.
    pub taken_out: u64,
    /// Faces the answers settled (as the Name people view counts them).
    pub faces_settled: u64,
    /// Share of the main faces with the right person after naming, and at the end.
    pub right_after_naming: f64,
    pub right: f64,
    pub target: f64,
    /// The review queue ran out before the target was reached.
    pub queue_ran_out: bool,
    /// (share of main faces right, actions taken when it was first reached), at 90, 95 and
    /// 99%.
    pub milestones: Vec<(f64, u64)>,
    /// Every question asked, with its answer, in order.
    pub asked: Vec<(ReviewItem, bool)>,
    pub seconds: f64,
}

impl SimulatedUser {
    /// Names, answers and faces picked out by hand per 100 main faces.
    pub fn actions_per_100_faces(&self) -> f64 {
        100.0 * self.actions() as f64 / self.main_faces.max(1) as f64
    }

    /// Names typed, answers given and faces picked out by hand.
    pub fn actions(&self) -> u64 {
        self.named + self.answers + self.taken_out
    }
}

/// The labeled photos the simulation ran on.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledPhotos {
    pub photos_listed: usize,
    pub photos_missing: usize,
    /// Faces found in them, bystanders included.
    pub faces: u64,
    pub faces_seconds: f64,
}

/// The simulation on the photos `labels` lists (columns `path`, `identity`; paths relative to
/// `dir`), found and grouped in a throwaway library with `settings`.
pub fn simulate_user_on_labels(
    engine: &FaceEngine,
    dir: &Path,
    labels: &Path,
    settings: &PeopleSettings,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<(SimulatedUser, LabeledPhotos)> {
    let mut labeled = LabeledLibrary::build(engine, dir, labels, settings, sink, cancel)?;
    let mut truth = HashMap::new();
    for (relative, identity) in &labeled.listed {
        if let Some(face) = labeled.main_face(relative)? {
            truth.insert(face, identity.clone());
        }
    }
    let summary = LabeledPhotos {
        photos_listed: labeled.listed.len(),
        photos_missing: labeled.photos_missing.len(),
        faces: labeled.faces,
        faces_seconds: labeled.faces_seconds,
    };
    let user = simulate_user(&mut labeled.library, &truth, TARGET_RIGHT, cancel)?;
    Ok((user, summary))
}

/// The simulation on a library whose faces are found and grouped: `truth` gives the identity
/// of each main face. The library is changed as the user's answers change it.
pub fn simulate_user(
    library: &mut Library,
    truth: &HashMap<i64, String>,
    target: f64,
    cancel: &CancelToken,
) -> Result<SimulatedUser> {
    simulate_user_asked_by(library, truth, target, cancel, &mut |library| Ok(library.review_queue(1)?.pop()))
}

/// [`simulate_user`] with the questions chosen by `next_question` instead of the review
/// queue's order (to study other orders).
pub fn simulate_user_asked_by(
    library: &mut Library,
    truth: &HashMap<i64, String>,
    target: f64,
    cancel: &CancelToken,
    next_question: &mut dyn FnMut(&Library) -> Result<Option<ReviewItem>>,
) -> Result<SimulatedUser> {
    let started = Instant::now();
    let mut faces_of: BTreeMap<&str, usize> = BTreeMap::new();
    for identity in truth.values() {
        *faces_of.entry(identity.as_str()).or_default() += 1;
    }
    let mut user = SimulatedUser {
        main_faces: truth.len(),
        people: faces_of.len(),
        named: 0,
        answers: 0,
        yes: 0,
        taken_out: 0,
        faces_settled: 0,
        right_after_naming: 0.0,
        right: 0.0,
        target,
        queue_ran_out: false,
        milestones: Vec::new(),
        asked: Vec::new(),
        seconds: 0.0,
    };
    // The person each identity was given, by the name the user typed (the identity itself).
    let mut person_of: HashMap<String, i64> = HashMap::new();

    // Naming: the largest unnamed groups first, as the Name people view walks them; a group
    // whose main faces are mostly a person not named yet gets that person's name. Faces taken
    // out of a group are placed again at once and may make groups of their own, so the user
    // walks the groups again until a walk names nobody.
    loop {
        let named_before = user.named;
        let groups =
            library.people_page(&PeopleQuery { section: PeopleSection::All, ..Default::default() })?;
        for group in groups.people.iter().filter(|p| p.name.is_none()) {
            if person_of.len() == faces_of.len() {
                break;
            }
            let Some(identity) = majority(library, truth, ReviewSubject::Group(group.id))? else { continue };
            if person_of.contains_key(&identity) {
                continue;
            }
            take_out_others(library, truth, group.id, &identity, &mut user)?;
            let person = library.name_person(group.id, &identity)?;
            user.faces_settled += group.faces;
            user.named += 1;
            person_of.insert(identity, person);
        }
        if user.named == named_before || person_of.len() == faces_of.len() {
            break;
        }
    }
    // People found in no group: the user names one face of theirs seen alone.
    let alone = library.faces_alone()?;
    for (face, _) in alone {
        let Some(identity) = truth.get(&face) else { continue };
        if person_of.contains_key(identity) {
            continue;
        }
        let person = library.move_faces_to_new_person(&[face], identity)?;
        user.faces_settled += 1;
        user.named += 1;
        person_of.insert(identity.clone(), person);
    }
    user.right_after_naming = share_right(library, truth, &person_of)?;
    user.right = user.right_after_naming;
    record_milestones(&mut user);

    // Review: the most useful question first, answered from the labels.
    let most = 20 * truth.len() as u64 + 100;
    while user.right < target && user.answers < most {
        if cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        let Some(item) = next_question(library)? else {
            user.queue_ran_out = true;
            break;
        };
        let yes = answer(library, truth, &item)?;
        match (item.subject, yes) {
            (ReviewSubject::Group(group), true) => {
                take_out_others(library, truth, group, &item.person_name, &mut user)?;
            }
            // "No" says that none of the group is the person: the faces of the group that are
            // them are moved to them first, as one selection.
            (ReviewSubject::Group(group), false) => {
                move_theirs(library, truth, group, &item, &mut user)?;
            }
            _ => {}
        }
        library.answer_review(&item, yes)?;
        user.answers += 1;
        user.yes += u64::from(yes);
        user.faces_settled += item.faces;
        user.asked.push((item, yes));
        user.right = share_right(library, truth, &person_of)?;
        record_milestones(&mut user);
    }
    user.seconds = started.elapsed().as_secs_f64();
    Ok(user)
}

/// "Not this person" for the faces of `group` the labels give to someone other than
/// `identity`, as one selection in the group's mosaic; each face counts as one action.
fn take_out_others(
    library: &mut Library,
    truth: &HashMap<i64, String>,
    group: i64,
    identity: &str,
    user: &mut SimulatedUser,
) -> Result<()> {
    let others = labeled_faces_of(library, truth, group, |labeled| labeled != identity)?;
    if !others.is_empty() {
        library.remove_faces(&others)?;
        user.taken_out += others.len() as u64;
    }
    Ok(())
}

/// Moves the faces of `group` the labels give to the person `item` asks about to that person,
/// as one selection in the group's mosaic; each face counts as one action.
fn move_theirs(
    library: &mut Library,
    truth: &HashMap<i64, String>,
    group: i64,
    item: &ReviewItem,
    user: &mut SimulatedUser,
) -> Result<()> {
    let theirs = labeled_faces_of(library, truth, group, |labeled| labeled == item.person_name)?;
    if !theirs.is_empty() {
        library.move_faces(&theirs, Some(item.person_id))?;
        user.taken_out += theirs.len() as u64;
    }
    Ok(())
}

/// The faces of `group` whose labeled identity `wanted` accepts (bystanders have none).
fn labeled_faces_of(
    library: &Library,
    truth: &HashMap<i64, String>,
    group: i64,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<i64>> {
    Ok(library
        .faces_of_person(group)?
        .into_iter()
        .map(|f| f.0)
        .filter(|face| truth.get(face).is_some_and(|identity| wanted(identity)))
        .collect())
}

fn record_milestones(user: &mut SimulatedUser) {
    for share in [0.90, 0.95, 0.99] {
        if user.right >= share && !user.milestones.iter().any(|(s, _)| *s == share) {
            user.milestones.push((share, user.actions()));
        }
    }
}

/// The identity most of a subject's labeled faces have (ties: the first by name); `None` when
/// it holds no labeled face (a bystander), whom the user does not know.
fn majority(
    library: &Library,
    truth: &HashMap<i64, String>,
    subject: ReviewSubject,
) -> Result<Option<String>> {
    let faces: Vec<i64> = match subject {
        ReviewSubject::Face(face) => vec![face],
        ReviewSubject::Group(group) => library.faces_of_person(group)?.into_iter().map(|f| f.0).collect(),
    };
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for face in faces {
        if let Some(identity) = truth.get(&face) {
            *votes.entry(identity.as_str()).or_default() += 1;
        }
    }
    let best = votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
    Ok(best.map(|(identity, _)| identity.to_string()))
}

/// "Is this X?" answered as the user who knows the labels would: yes when the face (or most of
/// the group's labeled faces) is X; no for strangers.
fn answer(library: &Library, truth: &HashMap<i64, String>, item: &ReviewItem) -> Result<bool> {
    Ok(majority(library, truth, item.subject)?.is_some_and(|identity| identity == item.person_name))
}

/// The share of main faces that are with the person of their identity.
fn share_right(
    library: &Library,
    truth: &HashMap<i64, String>,
    person_of: &HashMap<String, i64>,
) -> Result<f64> {
    let mut stmt = library.catalog().conn().prepare_cached("SELECT id, person_id FROM faces")?;
    let assigned: HashMap<i64, Option<i64>> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    // A person merged into another since it was named stands for the one it became.
    let mut now_of: HashMap<&str, i64> = HashMap::new();
    for (identity, &person) in person_of {
        now_of.insert(identity.as_str(), library.catalog().resolve_person(person)?);
    }
    let right = truth
        .iter()
        .filter(|(face, identity)| {
            let now = assigned.get(face).copied().flatten();
            now.is_some() && now == now_of.get(identity.as_str()).copied()
        })
        .count();
    Ok(right as f64 / truth.len().max(1) as f64)
}

#[cfg(test)]
mod tests;
