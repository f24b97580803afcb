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

type PersonRow = (i64, Option<String>, bool, Option<i64>, Option<i64>, Option<String>);
type DecisionRow = (i64, Option<i64>, i64, String, Option<i64>);
type FaceRow = (i64, Option<i64>, Option<String>);
type State = (Vec<PersonRow>, Vec<DecisionRow>, Vec<FaceRow>);

/// Everything the user owns, and the derived assignment, for exact comparisons.
fn state(library: &Library) -> State {
    let conn = library.catalog().conn();
    let people = conn
        .prepare("SELECT id, name, hidden, cover_face_id, merged_into, birth_date FROM people ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
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
    // Nobody is in a photo taken before their birth date, unless the user said so.
    let born_later: Vec<(i64, i64, String, String)> = conn
        .prepare(
            "SELECT f.id, f.person_id, pe.birth_date, ph.taken_at FROM faces f
             JOIN people pe ON pe.id = f.person_id JOIN photos ph ON ph.id = f.photo_id
             WHERE pe.birth_date IS NOT NULL AND substr(ph.taken_at, 1, 10) < pe.birth_date
               AND NOT EXISTS (SELECT 1 FROM face_decisions d WHERE d.face_id = f.id AND d.kind = 'is')",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(born_later.is_empty(), "faces before their person's birth: {born_later:?}");
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
                embedding_norm: synthetic::EMBEDDING_NORM,
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
                8 if rng.below(3) == 0 => {
                    let day = rng.below(400) as i64;
                    let (year, month, date) = crate::time::civil_from_days(10_957 + day);
                    let birth = format!("{year:04}-{month:02}-{date:02}");
                    library.set_birth_date(pick_person(&mut rng), Some(&birth)).map(drop)
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
        ("birth date", Box::new(move |l| l.set_birth_date(a, Some("1999-06-01")).map(drop))),
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
        embedding_norm: synthetic::EMBEDDING_NORM,
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
    // Name pickers get the named people alone, hidden ones only when asked.
    let names = |library: &Library, hidden: bool| {
        library.named_people(hidden).unwrap().into_iter().map(|p| p.name.unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(names(&library, false), vec!["person 9", "Person 10"]);
    library.hide_person(found[5].id, true).unwrap();
    assert_eq!(names(&library, false), vec!["Person 10"]);
    assert_eq!(names(&library, true), vec!["person 9", "Person 10"]);
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

/// Adds one photo taken on `day` (days since 2000-01-01; undated when `None`) with faces of
/// these embeddings, side by side, as the face job stores them. Returns the face ids.
fn add_photo(library: &mut Library, day: Option<i64>, embeddings: &[Vec<f32>]) -> Vec<i64> {
    let catalog = library.catalog_mut();
    let now = crate::time::now_utc();
    let root = catalog.ensure_root(std::path::Path::new("/synthetic"), &now).unwrap();
    let tx = catalog.conn_mut().transaction().unwrap();
    let number: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM photos", [], |r| r.get(0)).unwrap();
    let path = format!("/synthetic/added-{number}.jpg");
    let (_, ids) =
        synthetic::write_photo(&tx, root, &path, &format!("added-{number}"), day, embeddings, &now).unwrap();
    tx.commit().unwrap();
    ids
}

fn day_of(library: &Library, face: i64) -> Option<i64> {
    let photo = library.catalog().face(face).unwrap().photo_id;
    library.photo(photo).unwrap().taken_at.as_deref().and_then(crate::time::day_number).map(|d| d - 10_957)
}

/// Names the unnamed group holding most faces of each identity after it ("Identity N"), as a
/// user would; returns person → identity.
fn name_groups_by_identity(library: &mut Library, faces: &[SyntheticFace]) -> HashMap<i64, usize> {
    let truth: HashMap<i64, usize> = faces.iter().map(|f| (f.face_id, f.identity)).collect();
    let mut identity_of_person = HashMap::new();
    for group in groups(library) {
        let mut votes: HashMap<usize, usize> = HashMap::new();
        for (face, _, _) in library.faces_of_person(group.id).unwrap() {
            if let Some(&identity) = truth.get(&face) {
                *votes.entry(identity).or_default() += 1;
            }
        }
        let Some((identity, _)) = votes.into_iter().max_by_key(|v| (v.1, std::cmp::Reverse(v.0))) else {
            continue;
        };
        if identity_of_person.values().any(|&i| i == identity) {
            continue;
        }
        library.name_person(group.id, &format!("Identity {identity}")).unwrap();
        identity_of_person.insert(group.id, identity);
    }
    identity_of_person
}

#[test]
fn a_birth_date_keeps_earlier_photos_away_through_every_pass() {
    // Photos on days 0 to 199; identity 0 is in many of them, before and after day 100.
    let (_dir, mut library, people, faces) = grouped_library(6, 200, 21);
    let of_identity_0 = |library: &Library, before: bool| -> Vec<i64> {
        faces
            .iter()
            .filter(|f| f.identity == 0)
            .map(|f| f.face_id)
            .filter(|&f| (day_of(library, f) < Some(100)) == before)
            .collect()
    };
    let (early, late) = (of_identity_0(&library, true), of_identity_0(&library, false));
    assert!(early.len() > 10 && late.len() > 20, "identity 0 is in photos before and after day 100");
    // Ten faces of her from after the birth date are confirmed, and one from before it: a
    // camera with a wrong clock. That one stays hers.
    let mut confirmed: Vec<i64> = late[..10].to_vec();
    confirmed.push(early[0]);
    let cleo = library.move_faces_to_new_person(&confirmed, "Cleo").unwrap();
    // Another person, in a group with none of her faces left in it.
    let identity_of: HashMap<i64, usize> = faces.iter().map(|f| (f.face_id, f.identity)).collect();
    let other = groups(&library)
        .into_iter()
        .find(|g| {
            g.faces >= 5
                && library.faces_of_person(g.id).unwrap().iter().all(|f| identity_of.get(&f.0) != Some(&0))
        })
        .unwrap()
        .id;
    let other = library.name_person(other, "Dan").unwrap();
    let names: HashMap<i64, String> = [(cleo, "Cleo".to_string()), (other, "Dan".to_string())].into();
    library.recluster_people().unwrap();
    let hers = |library: &Library| -> (usize, usize) {
        let faces = library.faces_of_person(cleo).unwrap();
        let before = faces.iter().filter(|f| day_of(library, f.0) < Some(100)).count();
        (before, faces.len() - before)
    };
    assert!(hers(&library).0 > 1, "without a birth date her earlier faces are recognised");

    let change = library.set_birth_date(cleo, Some("2000-04-10")).unwrap(); // day 100
    assert_eq!(change.person, cleo);
    assert_eq!(change.confirmed_before, 1);
    assert!(change.released > 0, "faces of earlier photos left her: {change:?}");
    assert_eq!(library.person(cleo).unwrap().birth_date.as_deref(), Some("2000-04-10"));
    let check = |library: &Library, when: &str| {
        check_invariants(library, &names);
        let (before, after) = hers(library);
        assert_eq!(before, 1, "{when}: only the confirmed face before her birth is hers");
        assert!(after > 10, "{when}: her later faces are still recognised ({after})");
    };
    check(&library, "after the birth date");
    library.update_people().unwrap();
    check(&library, "incremental pass");
    library.recluster_people().unwrap();
    check(&library, "full pass");
    for threshold in [0.5, 0.8, 0.65] {
        library.set_people_settings(&PeopleSettings { threshold, ..Default::default() }).unwrap();
        check(&library, &format!("threshold {threshold}"));
    }
    // New photos of her from before and after the birth date.
    let mut rng = Rng::new(77);
    synthetic::add_photos(&mut library, &people[..1], 10, 1, 40, &mut rng).unwrap();
    synthetic::add_photos(&mut library, &people[..1], 10, 1, 150, &mut rng).unwrap();
    library.update_people().unwrap();
    check(&library, "new photos");
    // A new model finds every face again with new embeddings (the faces added since are all of
    // identity 0).
    let now = crate::time::now_utc();
    let identity_of: HashMap<i64, usize> = faces.iter().map(|f| (f.face_id, f.identity)).collect();
    let tx = library.catalog_mut().conn_mut().transaction().unwrap();
    let old: Vec<(i64, i64, f32)> = tx
        .prepare("SELECT photo_id, id, x FROM faces ORDER BY photo_id, id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut by_photo: std::collections::BTreeMap<i64, Vec<(i64, f32)>> = Default::default();
    for (photo, id, x) in old {
        by_photo.entry(photo).or_default().push((id, x));
    }
    for (photo, list) in by_photo {
        let new: Vec<FoundFace> = list
            .iter()
            .map(|&(id, x)| FoundFace {
                x: x + 3.0,
                y: 102.0,
                w: 296.0,
                h: 302.0,
                score: 0.9,
                landmarks: [[0.0; 2]; 5],
                embedding: synthetic::face_of(&people[identity_of.get(&id).copied().unwrap_or(0)], &mut rng),
                embedding_norm: synthetic::EMBEDDING_NORM,
            })
            .collect();
        Catalog::write_faces(&tx, photo, "re-embedded", MODEL_ID, &new, &now).unwrap();
    }
    tx.commit().unwrap();
    library.update_people().unwrap();
    check(&library, "a new model");
    // A fine-tuned model.
    let options = crate::finetune::FinetuneOptions {
        device: crate::Device::Cpu,
        max_epochs: 2,
        activate_even_if_worse: true,
        ..Default::default()
    };
    let report = library.finetune(&options, &mut |_| {}, &crate::CancelToken::new()).unwrap();
    assert!(report.activated);
    check(&library, "a fine-tuned model");
    // Kept in a backup; forgotten, her earlier faces are recognised again.
    let backup = library.backup().unwrap();
    assert_eq!(
        backup.people.iter().find(|p| p.id == cleo).and_then(|p| p.birth_date.as_deref()),
        Some("2000-04-10")
    );
    library.set_birth_date(cleo, None).unwrap();
    library.recluster_people().unwrap();
    assert!(hers(&library).0 > 1, "without a birth date her earlier faces are hers again");
}

#[test]
fn a_birth_date_is_checked_and_undone() {
    let (_dir, mut library, _people, _faces) = grouped_library(4, 40, 23);
    let group = groups(&library)[0].id;
    let before = state(&library);
    for bad in ["2000-02-30", "yesterday", "3000-01-01"] {
        let error = library.set_birth_date(group, Some(bad)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}: {error}");
        assert_eq!(state(&library), before, "{bad} changed something");
    }
    library.set_birth_date(group, Some("1990-05-01")).unwrap();
    assert_eq!(library.person(group).unwrap().birth_date.as_deref(), Some("1990-05-01"));
    library.undo().unwrap();
    assert_eq!(state(&library), before, "undone exactly");
}

#[test]
fn a_stranger_similar_to_nobody_never_joins_a_named_person() {
    let (_dir, mut library, people, faces) = grouped_library(8, 200, 22);
    let named = name_groups_by_identity(&mut library, &faces);
    assert!(named.len() >= 5);
    let settings = library.people_settings().unwrap();
    // Strangers leaning towards a named person: close enough to their mean that average
    // linkage would have joined them, never as close to their nearest confirmed faces as a
    // name needs.
    let mut rng = Rng::new(5);
    let mut strangers = Vec::new();
    for (&person, _) in named.iter() {
        let confirmed: Vec<Vec<f32>> = library
            .faces_of_person(person)
            .unwrap()
            .iter()
            .map(|f| library.catalog().face(f.0).unwrap().embedding)
            .collect();
        let mut mean = vec![0f32; synthetic::DIM];
        for e in &confirmed {
            for (m, x) in mean.iter_mut().zip(e) {
                *m += x / confirmed.len() as f32;
            }
        }
        let direction = {
            let mut d = mean.clone();
            crate::cluster::normalize_in_place(&mut d);
            d
        };
        for _ in 0..200 {
            let lean = 0.45 + 0.2 * rng.uniform();
            let noise = synthetic::face_of(&synthetic::identities(1, &mut rng)[0], &mut rng);
            let mut stranger: Vec<f32> = direction
                .iter()
                .zip(&noise)
                .map(|(d, n)| lean * d + (1.0 - lean * lean).sqrt() * n)
                .collect();
            crate::cluster::normalize_in_place(&mut stranger);
            let linkage = crate::cluster::dot(&stranger, &mean);
            let mut sims: Vec<f32> = confirmed.iter().map(|e| crate::cluster::dot(&stranger, e)).collect();
            sims.sort_by(|a, b| b.total_cmp(a));
            let top = sims.iter().take(MATCH_TOP_K).sum::<f32>() / MATCH_TOP_K as f32;
            if linkage > 1.0 - settings.threshold && top < MATCH_MIN_SIMILARITY {
                strangers.push((person, stranger));
                break;
            }
        }
    }
    assert!(strangers.len() >= 3, "strangers that average linkage would have named: {}", strangers.len());
    let mut added = Vec::new();
    for (i, (_, stranger)) in strangers.iter().enumerate() {
        // With a face of somebody else in the photo, as strangers often are.
        let other = synthetic::face_of(&people[7], &mut rng);
        added.push(add_photo(&mut library, Some(300 + i as i64), &[stranger.clone(), other])[0]);
    }
    let summary = library.update_people().unwrap();
    assert!(summary.faces as usize >= added.len());
    let named_now = |library: &Library| -> Vec<(i64, i64)> {
        added
            .iter()
            .filter_map(|&f| library.catalog().assignment_of_face(f).unwrap().map(|a| (f, a.0)))
            .filter(|(_, p)| named.contains_key(p))
            .collect()
    };
    assert_eq!(named_now(&library), vec![], "incremental pass");
    library.recluster_people().unwrap();
    assert_eq!(named_now(&library), vec![], "full pass");
}

#[test]
fn two_look_alikes_in_one_photo_are_asked_about_not_named() {
    let (_dir, mut library, people, faces) = grouped_library(6, 150, 24);
    let named = name_groups_by_identity(&mut library, &faces);
    let (&ada, &identity) = named.iter().min_by_key(|&(_, &i)| i).unwrap();
    let mut rng = Rng::new(8);
    // A photo with two faces of her look that resemble her about as much (twins, or a
    // reflection): neither gets her name.
    let twin = synthetic::face_of(&people[identity], &mut rng);
    let mut other_twin: Vec<f32> =
        twin.iter().enumerate().map(|(k, t)| t + 0.01 * (k as f32 * 1.7).sin()).collect();
    crate::cluster::normalize_in_place(&mut other_twin);
    let twins = add_photo(&mut library, Some(400), &[twin, other_twin]);
    // A photo with one face of her look: recognised.
    let single = add_photo(&mut library, Some(401), &[synthetic::face_of(&people[identity], &mut rng)]);
    library.update_people().unwrap();
    let person_of = |face: i64| library.catalog().assignment_of_face(face).unwrap().map(|a| a.0);
    let resemblance = |a: i64, b: i64| {
        crate::cluster::dot(
            &library.catalog().face(a).unwrap().embedding,
            &library.catalog().face(b).unwrap().embedding,
        )
    };
    assert!(resemblance(twins[0], twins[1]) > 0.3);
    for &twin in &twins {
        assert_ne!(person_of(twin), Some(ada), "face {twin} of two look-alikes got her name");
    }
    assert_eq!(person_of(single[0]), Some(ada));
}

/// A child whose face changes as they grow: at `age` years, faces lie around a direction that
/// turns away from `young`, towards and past `old`, between birth and 12.
fn face_at_age(young: &[f32], old: &[f32], age: f32, rng: &mut Rng) -> Vec<f32> {
    let angle = (age / 12.0).clamp(0.0, 1.0) * 0.6 * std::f32::consts::PI;
    let mut direction: Vec<f32> =
        young.iter().zip(old).map(|(y, o)| angle.cos() * y + angle.sin() * o).collect();
    crate::cluster::normalize_in_place(&mut direction);
    let noise = synthetic::face_of(&synthetic::identities(1, rng)[0], rng);
    let quality = 0.85f32;
    let mut face: Vec<f32> = direction
        .iter()
        .zip(&noise)
        .map(|(d, n)| quality * d + (1.0 - quality * quality).sqrt() * n)
        .collect();
    crate::cluster::normalize_in_place(&mut face);
    face
}

#[test]
fn a_named_child_is_recognised_from_photos_of_their_own_age() {
    let (_dir, mut library) = library();
    let mut rng = Rng::new(31);
    let look = synthetic::identities(2, &mut rng);
    let others = synthetic::identities(6, &mut rng);
    // Born on day 0 (2000-01-01); photos at about 2 and at about 11.
    let day_at = |age: f32| (age * 365.25) as i64;
    let mut confirmed = Vec::new();
    confirmed.extend(add_photo(
        &mut library,
        Some(day_at(2.0)),
        &[face_at_age(&look[0], &look[1], 2.0, &mut rng)],
    ));
    for k in 0..6 {
        let age = 10.5 + 0.2 * k as f32;
        confirmed.extend(add_photo(
            &mut library,
            Some(day_at(age)),
            &[face_at_age(&look[0], &look[1], age, &mut rng)],
        ));
    }
    // Other people around, so that there is a runner-up.
    let mut other_faces = Vec::new();
    for (i, other) in others.iter().enumerate() {
        for k in 0..4 {
            other_faces.push((
                i,
                add_photo(
                    &mut library,
                    Some(day_at(1.0 + k as f32 * 3.0)),
                    &[synthetic::face_of(other, &mut rng)],
                )[0],
            ));
        }
    }
    library.update_people().unwrap();
    let child = library.move_faces_to_new_person(&confirmed, "Noor").unwrap();
    library.set_birth_date(child, Some("2000-01-01")).unwrap();
    for i in 0..others.len() {
        let theirs: Vec<i64> = other_faces.iter().filter(|f| f.0 == i).map(|f| f.1).collect();
        library.move_faces_to_new_person(&theirs, &format!("Other {i}")).unwrap();
    }
    let young_face = confirmed[0];
    let young_embedding = library.catalog().face(young_face).unwrap().embedding;

    // New photos of her at 2 and a bit: her one confirmed face of that age is the evidence; the
    // faces of her at 11 do not dilute it.
    let mut at_two = Vec::new();
    for k in 0..6 {
        let age = 2.1 + 0.05 * k as f32;
        let face = face_at_age(&look[0], &look[1], age, &mut rng);
        let old_sims: Vec<f32> = confirmed[1..]
            .iter()
            .map(|&c| crate::cluster::dot(&face, &library.catalog().face(c).unwrap().embedding))
            .collect();
        assert!(old_sims.iter().all(|&s| s < 0.4), "at 2 she does not look like herself at 11");
        assert!(crate::cluster::dot(&face, &young_embedding) > 0.55);
        at_two.push(add_photo(&mut library, Some(day_at(age)), &[face])[0]);
    }
    library.update_people().unwrap();
    for &face in &at_two {
        assert_eq!(
            library.catalog().assignment_of_face(face).unwrap(),
            Some((child, crate::Assignment::Match)),
            "face {face} of her at two"
        );
    }
    // The same faces dated when she was 11 are not named: nothing of her then looks like that
    // (a scanned print carries the day it was scanned; the review queue asks about those).
    let mut moved = Vec::new();
    for &face in &at_two {
        let embedding = library.catalog().face(face).unwrap().embedding;
        moved.push(add_photo(&mut library, Some(day_at(11.2)), &[embedding])[0]);
    }
    library.update_people().unwrap();
    for &face in &moved {
        assert_ne!(library.catalog().assignment_of_face(face).unwrap().map(|a| a.0), Some(child));
    }
}

#[test]
fn a_face_taken_from_its_person_is_placed_again_at_once() {
    let (_dir, mut library, _people, _faces) = grouped_library(6, 80, 31);
    let group = groups(&library)[0].id;
    let person = library.name_person(group, "Ada").unwrap();
    let faces: Vec<i64> = library.faces_of_person(person).unwrap().iter().map(|f| f.0).take(3).collect();
    library.remove_face(faces[0]).unwrap();
    library.remove_faces(&faces[1..]).unwrap();
    let alone: HashSet<i64> = library.faces_alone().unwrap().into_iter().map(|(f, _)| f).collect();
    for &face in &faces {
        // With someone else, in a group, or alone (and so in review questions), never waiting
        // unseen for the next face job, and never back with Ada.
        assert!(!library.catalog().any_unplaced(&[face]).unwrap(), "face {face} is placed again");
        match library.catalog().assignment_of_face(face).unwrap() {
            Some((other, _)) => assert_ne!(other, person),
            None => assert!(alone.contains(&face), "face {face} is alone"),
        }
    }
    check_invariants(&library, &HashMap::from([(person, "Ada".to_string())]));
}

#[test]
fn a_face_unlike_the_rest_of_its_group_is_asked_about_on_its_own() {
    let (_dir, mut library) = library();
    let mut rng = Rng::new(12);
    let people = synthetic::identities(3, &mut rng);
    // Cleo looks a little like Ada, nothing like Bo.
    let mut cleo: Vec<f32> = people[2].iter().zip(&people[0]).map(|(c, a)| c + 0.45 * a).collect();
    crate::cluster::normalize_in_place(&mut cleo);
    let mut faces_of: Vec<Vec<i64>> = vec![Vec::new(); 3];
    for (day, identity) in (0..18).map(|i| (i as i64, i % 3)) {
        let base = if identity == 2 { &cleo } else { &people[identity] };
        faces_of[identity].extend(add_photo(&mut library, Some(day), &[synthetic::face_of(base, &mut rng)]));
    }
    library.update_people().unwrap();
    let group_of =
        |library: &Library, face: i64| library.catalog().assignment_of_face(face).unwrap().unwrap().0;
    library.name_person(group_of(&library, faces_of[0][0]), "Ada").unwrap();
    let bo = library.name_person(group_of(&library, faces_of[1][0]), "Bo").unwrap();
    let cleo_group = group_of(&library, faces_of[2][0]);
    assert!(faces_of[2].iter().all(|&f| group_of(&library, f) == cleo_group), "Cleo's photos make one group");
    // A photo of Bo put with Cleo's group by mistake.
    let stray = add_photo(&mut library, Some(30), &[synthetic::face_of(&people[1], &mut rng)])[0];
    library.move_faces(&[stray], Some(cleo_group)).unwrap();

    let queue = library.review_queue(usize::MAX).unwrap();
    assert!(queue.iter().any(|q| q.subject == ReviewSubject::Group(cleo_group)), "the group is asked about");
    let face_question = queue
        .iter()
        .find(|q| q.subject == ReviewSubject::Face(stray))
        .expect("the stray face is asked about");
    assert_eq!(face_question.person_id, bo);
    library.answer_review(&face_question.clone(), true).unwrap();
    assert_eq!(group_of(&library, stray), bo);
}
