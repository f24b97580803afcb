use std::collections::{HashMap, HashSet};

use super::synthetic::{self, Rng, SyntheticFace};
use super::*;
use crate::catalog::{Catalog, DecisionKind, FoundFace, PhotoSearch};
use crate::faces::MODEL_ID;
use crate::{ErrorKind, Library, Person};

fn library() -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(&dir.path().join("library.db")).unwrap();
    (dir, library)
}

/// A library of `photos` synthetic photos of `identities` people, grouped by a first pass.
fn grouped_library(
    identities: usize,
    photos: usize,
    seed: u64,
) -> (tempfile::TempDir, Library, Vec<Vec<f32>>, Vec<SyntheticFace>) {
    let (dir, mut library) = library();
    let mut rng = Rng::new(seed);
    let people = synthetic::identities(identities, &mut rng);
    let faces = synthetic::add_photos(&mut library, &people, photos, 3, 0, &mut rng).unwrap();
    library.update_people().unwrap();
    (dir, library, people, faces)
}

type PersonRow = (i64, Option<String>, bool, Option<i64>, Option<i64>);
type DecisionRow = (i64, Option<i64>, i64, String, Option<i64>);
type FaceRow = (i64, Option<i64>, Option<String>);
type State = (Vec<PersonRow>, Vec<DecisionRow>, Vec<FaceRow>);

/// Everything the user owns, and the derived assignment, for exact comparisons.
fn state(library: &Library) -> State {
    let conn = library.catalog().conn();
    let people = conn
        .prepare("SELECT id, name, hidden, cover_face_id, merged_into FROM people ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let decisions = conn
        .prepare("SELECT id, face_id, photo_id, kind, person_id FROM face_decisions ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let faces = conn
        .prepare("SELECT id, person_id, assigned_by FROM faces ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    (people, decisions, faces)
}

fn resolve(library: &Library, person: i64) -> i64 {
    crate::catalog::people::resolve_person_in(library.catalog().conn(), person).unwrap()
}

/// The invariants of the people layer; `names` are the names the user typed, by person row.
fn check_invariants(library: &Library, names: &HashMap<i64, String>) {
    let conn = library.catalog().conn();
    for (&person, name) in names {
        let stored: Option<String> =
            conn.query_row("SELECT name FROM people WHERE id = ?1", [person], |r| r.get(0)).unwrap();
        assert_eq!(stored.as_deref(), Some(name.as_str()), "the name of person {person} was lost");
    }
    let assignment: HashMap<i64, (Option<i64>, i64)> = conn
        .prepare("SELECT id, person_id, photo_id FROM faces")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for decision in library.catalog().decisions().unwrap() {
        let Some(face) = decision.face_id else { continue };
        let current = assignment[&face].0;
        match decision.kind {
            DecisionKind::Is => {
                let person = resolve(library, decision.person_id.unwrap());
                assert_eq!(current, Some(person), "confirmed face {face} is not with person {person}");
            }
            DecisionKind::IsNot => {
                let person = resolve(library, decision.person_id.unwrap());
                assert_ne!(current, Some(person), "face {face} is back with person {person} it is not");
            }
            DecisionKind::NotAFace => assert_eq!(current, None, "'not a face' {face} is with someone"),
        }
    }
    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    for (face, (person, photo)) in &assignment {
        if let Some(person) = person {
            assert!(
                seen.insert((*photo, *person)),
                "photo {photo} shows person {person} twice (face {face})"
            );
        }
    }
    // The counts the triggers keep are the faces' own counts.
    let kept: HashSet<(i64, i64, i64)> = conn
        .prepare("SELECT person_id, faces, confirmed FROM person_face_counts WHERE faces > 0")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let counted: HashSet<(i64, i64, i64)> = conn
        .prepare(
            "SELECT person_id, count(*), coalesce(sum(assigned_by = 'user'), 0) FROM faces
             WHERE person_id IS NOT NULL GROUP BY person_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(kept, counted, "the people counts kept by triggers drifted");
    // Hidden people stay hidden: a hidden row is never un-hidden by a pass.
}

/// The unnamed groups, largest first.
fn groups(library: &Library) -> Vec<Person> {
    library.people(true).unwrap().into_iter().filter(|p| p.name.is_none()).collect()
}

#[test]
fn a_first_pass_groups_people_and_a_second_changes_nothing() {
    let (_dir, mut library, _people, faces) = grouped_library(10, 120, 1);
    let truth: HashMap<i64, usize> = faces.iter().map(|f| (f.face_id, f.identity)).collect();
    let before = state(&library);
    let predicted: Vec<u32> = faces
        .iter()
        .map(|f| {
            library
                .catalog()
                .assignment_of_face(f.face_id)
                .unwrap()
                .map_or(u32::MAX - f.face_id as u32, |a| a.0 as u32)
        })
        .collect();
    let true_labels: Vec<u32> = faces.iter().map(|f| truth[&f.face_id] as u32).collect();
    let scores = crate::cluster::score_clustering(&predicted, &true_labels);
    assert!(scores.bcubed_f1 > 0.9, "synthetic people are found: {scores:?}");
    assert!(library.update_people().unwrap().faces == 0, "nothing new to place");
    assert_eq!(state(&library), before);
    library.recluster_people().unwrap();
    assert_eq!(state(&library).1, before.1);
    assert_eq!(
        state(&library).2.iter().filter(|f| f.1.is_some()).count(),
        before.2.iter().filter(|f| f.1.is_some()).count()
    );
}

#[test]
fn names_and_corrections_survive_reclustering_threshold_changes_and_reembedding() {
    let (_dir, mut library, people, faces) = grouped_library(12, 160, 2);
    let mut names = HashMap::new();
    let found = groups(&library);
    assert!(found.len() >= 6, "enough groups to work with: {}", found.len());
    for (i, group) in found.iter().take(4).enumerate() {
        let name = format!("Person {i}");
        let id = library.name_person(group.id, &name).unwrap();
        names.insert(id, name);
    }
    let named: Vec<i64> = names.keys().copied().collect();
    // "Not this person", "not a face", a face moved to someone else, a merge, a hidden person.
    let face_of = |library: &Library, person: i64, n: usize| library.faces_of_person(person).unwrap()[n].0;
    let removed = face_of(&library, named[0], 0);
    library.remove_face(removed).unwrap();
    let not_a_face = face_of(&library, named[1], 0);
    library.mark_not_a_face(not_a_face).unwrap();
    let moved = face_of(&library, named[2], 0);
    if library.move_faces(&[moved], Some(named[3])).is_err() {
        library.move_faces(&[moved], None).unwrap();
    }
    // Faces split off by mistake and merged back.
    let split =
        library.move_faces(&[face_of(&library, named[1], 1), face_of(&library, named[1], 2)], None).unwrap();
    let merged_group = split;
    library.merge_people(named[1], merged_group).unwrap();
    library.hide_person(named[2], true).unwrap();
    check_invariants(&library, &names);

    for threshold in [0.65, 0.3, 0.9, 1.3, 0.55] {
        library.set_people_settings(&PeopleSettings { threshold, ..Default::default() }).unwrap();
        check_invariants(&library, &names);
        assert!(library.person(named[2]).unwrap().hidden, "hidden people stay hidden");
    }

    // A new model finds the faces again, slightly elsewhere, with new embeddings.
    let truth: HashMap<i64, usize> = faces.iter().map(|f| (f.face_id, f.identity)).collect();
    let mut rng = Rng::new(99);
    let catalog: &mut Catalog = library.catalog_mut();
    let photos: Vec<i64> = {
        let mut ids: Vec<i64> = faces.iter().map(|f| f.photo_id).collect();
        ids.dedup();
        ids
    };
    let now = crate::time::now_utc();
    let tx = catalog.conn_mut().transaction().unwrap();
    for photo in photos {
        let old: Vec<(i64, f32, f32)> = tx
            .prepare("SELECT id, x, y FROM faces WHERE photo_id = ?1 ORDER BY id")
            .unwrap()
            .query_map([photo], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let new: Vec<FoundFace> = old
            .iter()
            .map(|&(id, x, y)| FoundFace {
                x: x + 6.0,
                y: y - 4.0,
                w: 290.0,
                h: 310.0,
                score: 0.8,
                landmarks: [[0.0; 2]; 5],
                embedding: synthetic::face_of(&people[truth[&id]], &mut rng),
            })
            .collect();
        Catalog::write_faces(&tx, photo, "rehashed", MODEL_ID, &new, &now).unwrap();
    }
    tx.commit().unwrap();
    let detached: i64 = library
        .catalog()
        .conn()
        .query_row("SELECT count(*) FROM face_decisions WHERE face_id IS NULL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(detached, 0, "every decision found its face again");
    let summary = library.update_people().unwrap();
    assert!(summary.faces > 0);
    check_invariants(&library, &names);
    assert!(library.person(named[2]).unwrap().hidden);
    for person in &named {
        assert!(library.person(*person).unwrap().confirmed > 0, "person {person} kept its confirmed faces");
    }
}

#[test]
fn random_operations_never_break_the_invariants() {
    for seed in 0..3u64 {
        let (_dir, mut library, people, _faces) = grouped_library(15, 150, 10 + seed);
        let mut rng = Rng::new(1000 + seed);
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut next_day = 500;
        for step in 0..60 {
            let everyone = library.people(true).unwrap();
            let faces: Vec<i64> = library
                .catalog()
                .conn()
                .prepare("SELECT id FROM faces")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            let pick_person = |rng: &mut Rng| everyone[rng.below(everyone.len())].id;
            let pick_face = |rng: &mut Rng| faces[rng.below(faces.len())];
            let before = state(&library);
            let outcome = match rng.below(11) {
                0 | 1 => {
                    let person = pick_person(&mut rng);
                    let name = format!("N{seed}-{step}");
                    library.name_person(person, &name).map(|id| {
                        names.insert(id, name);
                    })
                }
                2 => library.remove_face(pick_face(&mut rng)).map(drop),
                3 => {
                    let (a, b) = (pick_face(&mut rng), pick_face(&mut rng));
                    library.move_faces(&[a, b], Some(pick_person(&mut rng))).map(drop)
                }
                4 => library.merge_people(pick_person(&mut rng), pick_person(&mut rng)).map(drop),
                5 => library.mark_not_a_face(pick_face(&mut rng)),
                6 => library.hide_person(pick_person(&mut rng), rng.below(2) == 0).map(drop),
                7 => {
                    let undone = library.undo().map(drop);
                    // An undone naming no longer holds the name; forget it.
                    names.retain(|id, name| {
                        library
                            .catalog()
                            .conn()
                            .query_row("SELECT name FROM people WHERE id = ?1", [*id], |r| {
                                r.get::<_, Option<String>>(0)
                            })
                            .ok()
                            .flatten()
                            .as_deref()
                            == Some(name.as_str())
                    });
                    undone
                }
                8 => {
                    let threshold = 0.3 + 0.8 * rng.uniform();
                    library.set_people_settings(&PeopleSettings { threshold, ..Default::default() }).map(drop)
                }
                9 => {
                    synthetic::add_photos(&mut library, &people, 5, 3, next_day, &mut rng).unwrap();
                    next_day += 5;
                    library.update_people().map(drop)
                }
                _ => library.update_people().map(drop),
            };
            if let Err(error) = outcome {
                assert!(
                    matches!(error.kind(), ErrorKind::InvalidInput | ErrorKind::NotFound),
                    "step {step}: unexpected error {error}"
                );
                assert_eq!(state(&library), before, "step {step}: a refused operation changed something");
            }
            check_invariants(&library, &names);
        }
        library.catalog().integrity_check().unwrap();
    }
}

#[test]
fn undo_puts_back_exactly_what_each_operation_changed() {
    let (_dir, mut library, _people, _faces) = grouped_library(10, 120, 3);
    let found = groups(&library);
    let (a, b) = (found[0].id, found[1].id);
    // Faces split off `a`, to merge back.
    let c = library.move_faces(&[library.faces_of_person(a).unwrap()[1].0], None).unwrap();
    let face_a = library.faces_of_person(a).unwrap()[0].0;
    let face_b = library.faces_of_person(b).unwrap()[1].0;
    type Op = Box<dyn Fn(&mut Library) -> crate::Result<()>>;
    let operations: Vec<(&str, Op)> = vec![
        ("name", Box::new(move |l| l.name_person(a, "Ada").map(drop))),
        ("merge", Box::new(move |l| l.merge_people(a, c).map(drop))),
        ("move", Box::new(move |l| l.move_faces(&[face_b], Some(a)).map(drop))),
        ("split", Box::new(move |l| l.move_faces(&[face_b], None).map(drop))),
        ("remove", Box::new(move |l| l.remove_face(face_a).map(drop))),
        ("not a face", Box::new(move |l| l.mark_not_a_face(face_a))),
        ("hide", Box::new(move |l| l.hide_person(b, true).map(drop))),
        ("cover", Box::new(move |l| l.set_cover(a, face_a).map(drop))),
    ];
    for (what, operation) in &operations {
        let before = state(&library);
        operation(&mut library).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_ne!(state(&library), before, "{what} changed something");
        let undone = library.undo().unwrap().expect("an operation to undo");
        assert!(!undone.description.is_empty());
        let after = state(&library);
        assert_eq!(after.1, before.1, "{what}: decisions restored");
        assert_eq!(after.2, before.2, "{what}: assignments restored");
        // Rows an operation created are gone; every other row is as it was.
        assert_eq!(after.0, before.0, "{what}: people restored");
    }
    // Undo steps back through the history, newest first.
    library.name_person(a, "Ada").unwrap();
    library.name_person(b, "Bob").unwrap();
    library.undo().unwrap();
    assert_eq!(library.person(b).unwrap().name, None);
    assert_eq!(library.person(a).unwrap().name.as_deref(), Some("Ada"));
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (_dir, mut library, _people, faces) = grouped_library(8, 80, 4);
    let found = groups(&library);
    let (a, b) = (found[0].id, found[1].id);
    library.name_person(a, "Ada").unwrap();
    let before = state(&library);
    for result in [
        library.name_person(b, "  ").map(drop),
        library.name_person(b, "ada").map(drop),
        library.name_person(b, &"x".repeat(300)).map(drop),
        library.merge_people(a, a).map(drop),
        library.merge_people(a, 999_999).map(drop),
        library.remove_face(999_999).map(drop),
        library.move_faces(&[], Some(a)).map(drop),
        library.set_cover(a, library.faces_of_person(b).unwrap()[0].0).map(drop),
    ] {
        let error = result.unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidInput | ErrorKind::NotFound), "{error}");
        assert!(!error.to_string().is_empty());
    }
    // Two faces of one photo cannot be moved to one person.
    let mut by_photo: HashMap<i64, Vec<i64>> = HashMap::new();
    for f in &faces {
        by_photo.entry(f.photo_id).or_default().push(f.face_id);
    }
    let pair = by_photo.values().find(|v| v.len() >= 2).unwrap();
    assert!(library.move_faces(&pair[..2], Some(a)).is_err());
    assert_eq!(state(&library), before);
    assert!(library.set_people_settings(&PeopleSettings { threshold: 7.0, ..Default::default() }).is_err());
}

#[test]
fn merging_two_people_confirmed_in_one_photo_is_refused() {
    let (_dir, mut library, _people, faces) = grouped_library(8, 80, 5);
    let mut by_photo: HashMap<i64, Vec<i64>> = HashMap::new();
    for f in &faces {
        by_photo.entry(f.photo_id).or_default().push(f.face_id);
    }
    let pair = by_photo.values().find(|v| v.len() >= 2).unwrap().clone();
    let first = library.move_faces(&[pair[0]], None).unwrap();
    let second = library.move_faces(&[pair[1]], None).unwrap();
    let before = state(&library);
    let error = library.merge_people(first, second).unwrap_err();
    assert!(error.to_string().contains("one photo"), "{error}");
    assert_eq!(state(&library), before);
}

#[test]
fn new_faces_are_recognised_without_moving_anyone() {
    let (_dir, mut library, people, faces) = grouped_library(8, 200, 6);
    // Name every group after the identity most of its faces have, as a user would.
    let truth: HashMap<i64, usize> = faces.iter().map(|f| (f.face_id, f.identity)).collect();
    let mut identity_of_person = HashMap::new();
    for group in groups(&library) {
        let mut votes: HashMap<usize, usize> = HashMap::new();
        for (face, _, _) in library.faces_of_person(group.id).unwrap() {
            *votes.entry(truth[&face]).or_default() += 1;
        }
        let identity = votes.into_iter().max_by_key(|v| v.1).unwrap().0;
        if identity_of_person.values().any(|&i| i == identity) {
            continue;
        }
        library.name_person(group.id, &format!("Identity {identity}")).unwrap();
        identity_of_person.insert(group.id, identity);
    }
    let before = state(&library).2;
    let mut rng = Rng::new(60);
    let new = synthetic::add_photos(&mut library, &people, 20, 2, 900, &mut rng).unwrap();
    let summary = library.update_people().unwrap();
    assert_eq!(summary.faces, new.len() as u64);
    let after = state(&library).2;
    for old in &before {
        assert!(after.contains(old), "face {} moved in an incremental pass", old.0);
    }
    let mut right = 0;
    let mut named_new = 0;
    for face in &new {
        let Some((person, _)) = library.catalog().assignment_of_face(face.face_id).unwrap() else { continue };
        if let Some(&identity) = identity_of_person.get(&person) {
            named_new += 1;
            right += usize::from(identity == face.identity);
        }
    }
    assert!(named_new * 10 >= new.len() * 8, "most new faces are recognised: {named_new} of {}", new.len());
    assert_eq!(right, named_new, "recognised faces are the right people");
    assert!(summary.matched > 0);
}

#[test]
fn search_finds_photos_with_all_or_any_of_several_people_newest_first() {
    let (_dir, mut library, _people, _faces) = grouped_library(6, 120, 7);
    let found = groups(&library);
    let (a, b) = (found[0].id, found[1].id);
    let a = library.name_person(a, "Ada").unwrap();
    let b = library.name_person(b, "Bob").unwrap();
    let photos_of = |person: i64| -> HashSet<i64> {
        library.faces_of_person(person).unwrap().into_iter().map(|f| f.1).collect()
    };
    let (of_a, of_b) = (photos_of(a), photos_of(b));
    let search = |people: Vec<i64>, match_all: bool, from: Option<&str>| {
        library
            .search(&PhotoSearch {
                people,
                match_all,
                from: from.map(String::from),
                to: None,
                limit: None,
                offset: 0,
                ..Default::default()
            })
            .unwrap()
    };
    let any = search(vec![a, b], false, None);
    let all = search(vec![a, b], true, None);
    let ids = |rows: &[crate::PhotoRow]| rows.iter().map(|p| p.id).collect::<HashSet<_>>();
    assert_eq!(ids(&any), of_a.union(&of_b).copied().collect());
    assert_eq!(ids(&all), of_a.intersection(&of_b).copied().collect());
    assert!(!all.is_empty() && all.len() < any.len());
    let dates: Vec<&str> = any.iter().map(|p| p.taken_at.as_deref().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let recent = search(vec![a], false, Some("2000-03-01"));
    assert!(recent.iter().all(|p| p.taken_at.as_deref().unwrap() >= "2000-03-01"));
    assert!(recent.len() < search(vec![a], false, None).len());
    assert_eq!(library.find_person("bob").unwrap(), b);
    assert!(library.search(&PhotoSearch::default()).is_err());
}

/// A library of ten people split by a strict threshold, five of them named: the groups left
/// close to a named person are questions to review.
fn library_with_questions() -> (tempfile::TempDir, Library) {
    let (dir, mut library, _people, _faces) = grouped_library(10, 200, 8);
    library.set_people_settings(&PeopleSettings { threshold: 0.45, ..Default::default() }).unwrap();
    for (i, group) in groups(&library).iter().take(5).enumerate() {
        library.name_person(group.id, &format!("P{i}")).unwrap();
    }
    (dir, library)
}

#[test]
fn the_review_queue_asks_the_most_useful_questions_and_never_asks_twice() {
    let (_dir, mut library) = library_with_questions();
    let queue = library.review_queue(50).unwrap();
    assert!(!queue.is_empty(), "split people leave questions");
    assert!(queue.windows(2).all(|w| w[0].priority >= w[1].priority));
    // One person's questions are those of the whole queue about them, in the same order.
    let person = queue[queue.len() / 2].person_id;
    let about: Vec<_> =
        library.review_queue(usize::MAX).unwrap().into_iter().filter(|i| i.person_id == person).collect();
    assert!(!about.is_empty());
    assert_eq!(library.review_queue_about(person, usize::MAX).unwrap(), about);
    let first = queue[0].clone();
    library.answer_review(&first, false).unwrap();
    let asked_again = |library: &Library| {
        library
            .review_queue(1000)
            .unwrap()
            .into_iter()
            .any(|i| i.subject == first.subject && i.person_id == first.person_id)
    };
    assert!(!asked_again(&library));
    library.recluster_people().unwrap();
    assert!(!asked_again(&library), "a 'no' is never asked again, even after re-clustering");
    if let Some(next) =
        library.review_queue(10).unwrap().into_iter().find(|i| matches!(i.subject, ReviewSubject::Group(_)))
    {
        let before = library.person(next.person_id).unwrap().faces;
        library.answer_review(&next, true).unwrap();
        assert!(library.person(next.person_id).unwrap().faces > before, "a 'yes' merges the group");
    }
}

#[test]
fn decisions_follow_a_face_found_again_and_wait_when_it_is_not() {
    let (_dir, mut library) = library();
    let mut rng = Rng::new(9);
    let people = synthetic::identities(3, &mut rng);
    let faces = synthetic::add_photos(&mut library, &people, 10, 1, 0, &mut rng).unwrap();
    library.update_people().unwrap();
    let face = faces[0];
    let person = library.move_faces(&[face.face_id], None).unwrap();
    library.name_person(person, "Cleo").unwrap();
    // The photo is analysed again and the face is not found (an edit cropped it out).
    let now = crate::time::now_utc();
    let tx = library.catalog_mut().conn_mut().transaction().unwrap();
    Catalog::write_faces(&tx, face.photo_id, "edited", MODEL_ID, &[], &now).unwrap();
    tx.commit().unwrap();
    let decisions = library.catalog().decisions().unwrap();
    assert!(decisions.iter().any(|d| d.face_id.is_none() && d.kind == DecisionKind::Is), "kept, detached");
    assert_eq!(library.person(person).unwrap().name.as_deref(), Some("Cleo"));
    // Found again later, where it was.
    let tx = library.catalog_mut().conn_mut().transaction().unwrap();
    let again = FoundFace {
        x: 52.0,
        y: 101.0,
        w: 298.0,
        h: 300.0,
        score: 0.9,
        landmarks: [[0.0; 2]; 5],
        embedding: synthetic::face_of(&people[face.identity], &mut rng),
    };
    let ids = Catalog::write_faces(&tx, face.photo_id, "restored", MODEL_ID, &[again], &now).unwrap();
    tx.commit().unwrap();
    assert_eq!(library.catalog().assignment_of_face(ids[0]).unwrap().map(|a| a.0), Some(person));
}

#[test]
fn undo_never_gets_stuck_on_a_group_a_pass_removed() {
    let (_dir, mut library, _people, _faces) = grouped_library(8, 80, 11);
    let group = groups(&library)[0].id;
    let face = library.faces_of_person(group).unwrap()[0].0;
    library.move_faces(&[face], Some(group)).unwrap();
    for other in library.faces_of_person(group).unwrap() {
        if other.0 != face {
            library.remove_face(other.0).unwrap();
        }
    }
    library.mark_not_a_face(face).unwrap();
    library.recluster_people().unwrap();
    library.recluster_people().unwrap();
    // Every operation can still be undone, newest first, down to the start.
    while library.undo().unwrap().is_some() {}
    check_invariants(&library, &HashMap::new());
    assert!(library.catalog().decisions().unwrap().is_empty(), "all decisions undone");
}

/// The folder [`move_to_removed_folder`] uses.
const ELSEWHERE: &str = "/elsewhere";

/// Moves `photos` to a second folder of the library, which the user then removes.
fn move_to_removed_folder<'a>(library: &mut Library, photos: impl IntoIterator<Item = &'a i64>) {
    let root =
        library.catalog_mut().ensure_root(std::path::Path::new(ELSEWHERE), &crate::time::now_utc()).unwrap();
    for photo in photos {
        library
            .catalog()
            .conn()
            .execute("UPDATE photos SET root_id = ?1 WHERE id = ?2", [root, *photo])
            .unwrap();
    }
    library.remove_root(std::path::Path::new(ELSEWHERE)).unwrap();
}

/// Adds the folder of [`move_to_removed_folder`] again.
fn add_removed_folder_back(library: &mut Library) {
    library.catalog_mut().ensure_root(std::path::Path::new(ELSEWHERE), &crate::time::now_utc()).unwrap();
}

#[test]
fn faces_in_a_removed_folder_leave_counts_and_lists_and_come_back_with_it() {
    let (_dir, mut library, _, _) = grouped_library(3, 60, 41);
    let before = library.people(false).unwrap();
    let largest = before.iter().max_by_key(|p| p.faces).unwrap().clone();
    let ann = library.name_person(largest.id, "Ann").unwrap();
    let faces = library.faces_of_person(ann).unwrap();
    // Half of Ann's photos move to a second folder, which the user then removes.
    let mut moved: Vec<i64> = faces.iter().map(|f| f.1).collect();
    moved.sort_unstable();
    moved.dedup();
    moved.truncate(moved.len() / 2);
    let faces_moved = faces.iter().filter(|f| moved.contains(&f.1)).count() as u64;
    let everything = state(&library);
    move_to_removed_folder(&mut library, &moved);

    let card = |library: &Library| library.people(false).unwrap().into_iter().find(|p| p.id == ann).unwrap();
    let shown = card(&library);
    assert_eq!(shown.name.as_deref(), Some("Ann"));
    assert_eq!(shown.photos, largest.photos - moved.len() as u64);
    assert_eq!(shown.faces, largest.faces - faces_moved);
    assert_eq!(library.person(ann).unwrap().photos, shown.photos);
    let listed = library.faces_of_person(ann).unwrap();
    assert_eq!(listed.len() as u64, shown.faces);
    assert!(listed.iter().all(|f| !moved.contains(&f.1)), "a face of a removed folder is listed");
    // Nothing the user owns changed: the faces keep their people while the folder is away.
    assert_eq!(state(&library), everything);

    add_removed_folder_back(&mut library);
    let back = card(&library);
    assert_eq!((back.photos, back.faces), (largest.photos, largest.faces));
    assert_eq!(library.faces_of_person(ann).unwrap().len(), faces.len());
}

#[test]
fn the_review_queue_leaves_out_faces_in_a_removed_folder() {
    let (_dir, mut library) = library_with_questions();
    let queue = library.review_queue(usize::MAX).unwrap();
    assert!(!queue.is_empty());
    // The photos of every face the queue asks about move to a folder the user removes.
    let subject_photos = |item: &ReviewItem| -> Vec<i64> {
        let conn = library.catalog().conn();
        let sql = match item.subject {
            ReviewSubject::Face(_) => "SELECT photo_id FROM faces WHERE id = ?1",
            ReviewSubject::Group(_) => "SELECT photo_id FROM faces WHERE person_id = ?1",
        };
        let id = match item.subject {
            ReviewSubject::Face(id) | ReviewSubject::Group(id) => id,
        };
        conn.prepare(sql).unwrap().query_map([id], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let moved: HashSet<i64> = queue.iter().flat_map(subject_photos).collect();
    move_to_removed_folder(&mut library, &moved);
    let asked = |library: &Library| -> Vec<(ReviewSubject, i64)> {
        library.review_queue(usize::MAX).unwrap().into_iter().map(|i| (i.subject, i.person_id)).collect()
    };
    let after = asked(&library);
    for item in &queue {
        assert!(!after.contains(&(item.subject, item.person_id)), "asked about a removed photo: {item:?}");
    }
    // Back with the folder.
    add_removed_folder_back(&mut library);
    let back = asked(&library);
    assert!(queue.iter().all(|i| back.contains(&(i.subject, i.person_id))));
}

#[test]
fn people_pages_list_named_people_then_groups_with_small_groups_apart() {
    use super::{PeopleQuery, PeopleSection, SMALL_GROUP_PHOTOS};
    let (_dir, mut library, _people, _faces) = grouped_library(300, 300, 23);
    let found = groups(&library);
    library.name_person(found[3].id, "Person 10").unwrap();
    library.name_person(found[5].id, "person 9").unwrap();
    let page = |query: PeopleQuery| library.people_page(&query).unwrap();
    let main = page(PeopleQuery::default());
    let more = page(PeopleQuery { section: PeopleSection::More, ..Default::default() });
    let all = page(PeopleQuery { section: PeopleSection::All, ..Default::default() });
    assert_eq!(main.named, 2);
    assert_eq!(main.total + more.total, all.total);
    assert_eq!(more.total, main.small_groups);
    assert_eq!(
        main.people.iter().take(2).map(|p| p.name.clone().unwrap()).collect::<Vec<_>>(),
        vec!["person 9", "Person 10"],
        "named first, in the order people read numbers"
    );
    let unnamed: Vec<&Person> = main.people.iter().skip(2).collect();
    assert!(unnamed.windows(2).all(|w| w[0].faces >= w[1].faces), "groups by size");
    assert!(unnamed.iter().all(|p| p.photos >= SMALL_GROUP_PHOTOS));
    assert!(more.people.iter().all(|p| p.name.is_none() && p.photos < SMALL_GROUP_PHOTOS));
    assert!(more.total > 0, "a library of 300 people seen in 300 photos has small groups");
    // Pages put together are the whole section.
    let first = page(PeopleQuery { limit: Some(3), ..Default::default() });
    let second = page(PeopleQuery { limit: Some(3), offset: 3, ..Default::default() });
    let ids = |people: &[Person]| people.iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!([ids(&first.people), ids(&second.people)].concat(), ids(&main.people[..6]));
    // A search looks in every section: names, and groups by number.
    let small = more.people[0].id;
    assert_eq!(
        ids(&page(PeopleQuery { search: Some(format!("group {small}")), ..Default::default() }).people),
        vec![small]
    );
    assert_eq!(page(PeopleQuery { search: Some("PERSON".into()), ..Default::default() }).total, 2);
}

#[test]
fn hiding_every_small_group_is_one_undoable_operation() {
    let (_dir, mut library, _people, _faces) = grouped_library(300, 300, 29);
    let named = library.name_person(groups(&library)[0].id, "Ada").unwrap();
    let small: Vec<i64> = groups(&library).iter().filter(|p| p.photos < 3).map(|p| p.id).collect();
    assert!(!small.is_empty());
    let shown_before = library.people(false).unwrap().len();
    assert_eq!(library.hide_small_groups(3).unwrap(), small.len() as u64);
    let shown: Vec<Person> = library.people(false).unwrap();
    assert_eq!(shown.len(), shown_before - small.len());
    assert!(shown.iter().all(|p| p.name.is_some() || p.photos >= 3));
    assert!(shown.iter().any(|p| p.id == named), "named people are never hidden this way");
    check_invariants(&library, &HashMap::from([(named, "Ada".to_string())]));
    // A regrouping keeps them hidden.
    library.recluster_people().unwrap();
    assert!(small.iter().all(|&p| library.person(p).unwrap().hidden));
    library.undo().unwrap();
    assert_eq!(library.people(false).unwrap().len(), shown_before, "one undo shows them all again");
    assert_eq!(library.hide_small_groups(1).unwrap(), 0);
}

#[test]
fn faces_are_taken_away_or_marked_not_faces_many_at_once() {
    let (_dir, mut library, _people, _faces) = grouped_library(6, 80, 31);
    let group = groups(&library)[0].id;
    let person = library.name_person(group, "Ada").unwrap();
    let faces: Vec<i64> = library.faces_of_person(person).unwrap().iter().map(|f| f.0).take(4).collect();
    let before = state(&library);
    let removed = library.remove_faces(&faces[..2]).unwrap();
    assert_eq!(removed, vec![(faces[0], person), (faces[1], person)]);
    library.mark_not_faces(&faces[2..]).unwrap();
    let left: HashSet<i64> = library.faces_of_person(person).unwrap().iter().map(|f| f.0).collect();
    assert!(faces.iter().all(|f| !left.contains(f)));
    assert_eq!(library.faces_alone().unwrap().iter().filter(|(f, _)| faces[2..].contains(f)).count(), 0);
    check_invariants(&library, &HashMap::from([(person, "Ada".to_string())]));
    library.undo().unwrap();
    library.undo().unwrap();
    assert_eq!(state(&library), before, "two operations, two undos");
    // One bad face refuses the whole operation.
    let error = library.remove_faces(&[faces[0], 9_999_999]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(state(&library), before);
}

#[test]
fn a_mosaic_spreads_over_the_whole_group() {
    let (_dir, library, _people, _faces) = grouped_library(3, 60, 37);
    let group = groups(&library)[0].id;
    let all: Vec<i64> = library.faces_of_person(group).unwrap().iter().map(|f| f.0).collect();
    let sample = library.face_sample(group, 5).unwrap();
    assert_eq!(sample.len(), 5.min(all.len()));
    assert_eq!(sample[0], all[0]);
    assert!(sample.iter().all(|f| all.contains(f)));
    assert_eq!(sample.iter().collect::<HashSet<_>>().len(), sample.len());
    assert!(*sample.last().unwrap() >= all[all.len() * 3 / 5]);
}

#[test]
fn names_sort_the_way_people_read_them() {
    use std::cmp::Ordering::*;
    assert_eq!(super::natural_cmp("Person 9", "person 10"), Less);
    assert_eq!(super::natural_cmp("Anna", "anna"), Equal);
    assert_eq!(super::natural_cmp("Anna", "Anne"), Less);
    assert_eq!(super::natural_cmp("Kid 007", "Kid 7b"), Less);
}
