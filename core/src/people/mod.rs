//! People: faces grouped into persons, the user's decisions kept as constraints, the review
//! queue and search.
//!
//! # Who decides what
//! The user's decisions (`face_decisions`: "is", "is not", "not a face") are the ground truth
//! and are only ever changed by the user. A face's current person (`faces.person_id`) is
//! derived: a full pass ([`recluster`](assign::recluster)) and an incremental pass
//! ([`assign_new_faces`](assign::assign_new_faces)) rewrite it, but only within the bounds the
//! decisions set:
//! - faces confirmed as one person are clustered as one block (must-link);
//! - a face is never put with a person it was said not to be, two faces of one photo never
//!   share a person, and two people the user keeps are never merged by clustering
//!   (cannot-link);
//! - "not a face" detections are left out.
//!
//! A person is the user's ("kept") once it is named, hidden, given a cover, or named by a
//! decision. Passes add faces to kept people and never dissolve them; unnamed groups nobody
//! touched are derived and may be renumbered, merged or dropped by the next pass. Acting on
//! such a group (naming it, hiding it, merging it, removing a face from it) first adopts it:
//! the faces the user was looking at become confirmed, so what they saw is what is kept.
//!
//! A user operation is one transaction, journalled with before-images of every row it touches
//! (`undo_*` tables), so the last operations can be undone exactly.

mod assign;
mod browse;
pub mod dates;
mod evidence;
mod ops;
mod review;
pub mod synthetic;
#[cfg(test)]
mod tests;

use std::time::Duration;

use crate::catalog::Catalog;
use crate::cluster::{self, Linkage};
use crate::error::{Error, ErrorKind, Result};

pub use browse::{PeoplePage, PeopleQuery, PeopleSection, SMALL_GROUP_PHOTOS, natural_cmp};
pub(crate) use browse::{face_sample, people_page};
pub use review::{ReviewItem, ReviewSubject};

pub(crate) use assign::{assign_new_faces, recluster};
pub use ops::{BirthDateChange, validate_name};
pub(crate) use ops::{
    MoveTo, answer_review, apply_names_from_files, draw_face, hide, hide_small_groups, mark_not_a_face,
    mark_not_faces, merge, move_faces, name_person, operation, remove_face, remove_faces, set_birth_date,
    set_cover, undo,
};
pub(crate) use review::review_queue;

/// How faces are grouped into people. Stored per library.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeopleSettings {
    /// Cosine distance under which clusters merge (see [`cluster::ClusterParams::threshold`]).
    pub threshold: f32,
    pub linkage: Linkage,
}

impl Default for PeopleSettings {
    fn default() -> Self {
        Self { threshold: cluster::DEFAULT_THRESHOLD, linkage: Linkage::Average }
    }
}

const THRESHOLD_KEY: &str = "people.threshold";
const LINKAGE_KEY: &str = "people.linkage";

/// Thresholds outside this range make every face its own person or everyone one person.
const THRESHOLD_RANGE: std::ops::RangeInclusive<f32> = 0.05..=1.5;

impl PeopleSettings {
    pub(crate) fn load(catalog: &Catalog) -> Result<PeopleSettings> {
        let mut settings = PeopleSettings::default();
        if let Some(value) = catalog.setting(THRESHOLD_KEY)?.and_then(|v| v.parse::<f32>().ok())
            && THRESHOLD_RANGE.contains(&value)
        {
            settings.threshold = value;
        }
        if let Some(linkage) = catalog.setting(LINKAGE_KEY)?.as_deref().and_then(parse_linkage) {
            settings.linkage = linkage;
        }
        Ok(settings)
    }

    pub(crate) fn save(&self, catalog: &Catalog) -> Result<()> {
        self.validate()?;
        catalog.set_setting(THRESHOLD_KEY, &self.threshold.to_string())?;
        catalog.set_setting(LINKAGE_KEY, linkage_name(self.linkage))
    }

    pub fn validate(&self) -> Result<()> {
        if !THRESHOLD_RANGE.contains(&self.threshold) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "a clustering threshold of {} makes no sense; use a cosine distance between {} and {}",
                    self.threshold,
                    THRESHOLD_RANGE.start(),
                    THRESHOLD_RANGE.end()
                ),
            ));
        }
        Ok(())
    }
}

pub fn parse_linkage(text: &str) -> Option<Linkage> {
    match text {
        "average" => Some(Linkage::Average),
        "centroid" => Some(Linkage::Centroid),
        _ => None,
    }
}

pub fn linkage_name(linkage: Linkage) -> &'static str {
    match linkage {
        Linkage::Average => "average",
        Linkage::Centroid => "centroid",
    }
}

/// Recognition of a face as one of the user's people by its nearest confirmed faces (FaceNet's
/// k-NN; the whole rule is in [`evidence`]): the mean similarity to the person's `MATCH_TOP_K`
/// most similar confirmed faces of about the same age must reach `MATCH_MIN_SIMILARITY` (plus
/// up to `CHILD_MATCH_EXTRA` for a young child) and beat every other person's by
/// `MATCH_MARGIN`. Chosen on the people of one half of the dev sets (FG-NET and CelebA-wild,
/// `models/scripts/calibrate_quality.py`) with 3 or 5 faces of each person confirmed, every
/// other person left a stranger or not: from 0.45 on no face was given a wrong name, at 0.40
/// three were; the child extra is the largest that cost at most one point of coverage there,
/// a margin for the look-alike brothers and sisters that FG-NET does not have.
pub const MATCH_TOP_K: usize = 3;
pub const MATCH_MIN_SIMILARITY: f32 = 0.45;
pub const CHILD_MATCH_EXTRA: f32 = 0.05;
pub const MATCH_MARGIN: f32 = 0.05;
/// Evidence from fewer than `MATCH_TOP_K` confirmed faces of about the same age (a child with
/// one confirmed photo of that age) is a mean of fewer similarities, and one look-alike face is
/// enough to reach it: each face missing raises the bar by this much. On FG-NET with 3 or 5
/// faces of every other person confirmed and the rest left strangers, all of its 41 people
/// together (look-alikes fall in different halves of the people, so no half alone shows a wrong
/// name), wrong names fell from 8 to 1 (3 confirmed) and from 5 to 0 (5 confirmed).
pub const SPARSE_MATCH_EXTRA: f32 = 0.05;

/// Hard faces (a young child's, or one the embedder sees poorly: see [`crate::faces::quality`])
/// do not start unnamed groups: after the others are grouped, each joins the group whose
/// members from about the same years it resembles most (the mean of its `MATCH_TOP_K` most
/// similar ones) when that beats the grouping threshold by `HARD_FACE_EXTRA`, and those left
/// group among themselves only at a cut stricter by `HARD_GROUP_EXTRA`. Chosen on the even
/// halves of FG-NET and CelebA-wild for the best mean BCubed F1 without losing precision.
pub const HARD_FACE_EXTRA: f32 = 0.05;
pub const HARD_GROUP_EXTRA: f32 = 0.15;

/// Smallest unnamed group shown as a person; a lone face waits for company.
pub const MIN_GROUP_FACES: usize = 2;

/// What a people pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeopleSummary {
    /// Faces the pass looked at.
    pub faces: u64,
    /// Faces recognised as a kept person by their nearest confirmed faces.
    pub matched: u64,
    /// Faces put in a person or group by clustering.
    pub clustered: u64,
    /// Faces left without a person (no close company yet).
    pub alone: u64,
    /// Unnamed groups created by the pass.
    pub new_groups: u64,
    pub elapsed: Duration,
}

/// Faces of the current model as the people passes see them: embeddings mapped through the
/// fine-tuned adapter when one is active.
pub(crate) fn faces_for_grouping(catalog: &Catalog) -> Result<Vec<crate::catalog::FaceForPeople>> {
    let mut faces = catalog.faces_for_people(crate::faces::MODEL_ID)?;
    // A damaged row must not poison the pass: it is left out.
    faces.retain(|f| f.embedding.len() == kindred_models::EMBEDDING_DIM);
    // Quality is read from the base model's embedding, which the probe was fitted on.
    for face in &mut faces {
        face.childhood = crate::faces::quality::apparent_childhood(&face.embedding);
        face.seen_poorly = crate::faces::quality::seen_poorly(face.embedding_norm);
    }
    let mut rows: Vec<Vec<f32>> = faces.iter_mut().map(|f| std::mem::take(&mut f.embedding)).collect();
    crate::finetune::adapt_embeddings(catalog, &mut rows)?;
    for (face, row) in faces.iter_mut().zip(rows) {
        face.embedding = row;
    }
    Ok(faces)
}
