use std::collections::HashMap;

use super::*;
use crate::people::synthetic::{self, Rng};

/// A synthetic library where every face is a main face whose identity is known.
fn labeled_library(
    identities: usize,
    photos: usize,
    seed: u64,
) -> (tempfile::TempDir, Library, HashMap<i64, String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut library = Library::open(&dir.path().join("library.db")).unwrap();
    let mut rng = Rng::new(seed);
    let people = synthetic::identities(identities, &mut rng);
    let faces = synthetic::add_photos(&mut library, &people, photos, 2, 0, &mut rng).unwrap();
    library.update_people().unwrap();
    let truth = faces.iter().map(|f| (f.face_id, format!("Person {}", f.identity))).collect();
    (dir, library, truth)
}

#[test]
fn the_simulated_user_names_people_and_answers_until_the_faces_are_right() {
    let (_dir, mut library, truth) = labeled_library(12, 300, 5);
    let user = simulate_user(&mut library, &truth, TARGET_RIGHT, &CancelToken::new()).unwrap();
    assert_eq!(user.main_faces, truth.len());
    assert_eq!(user.people, 12);
    assert_eq!(user.named, 12, "each person's largest group is named once");
    assert!(user.right_after_naming < user.right || user.answers == 0);
    assert!(user.right >= TARGET_RIGHT || user.queue_ran_out, "{user:?}");
    // The figure counts every name typed, every answer and every face taken out.
    let expected = 100.0 * (user.named + user.answers + user.taken_out) as f64 / user.main_faces as f64;
    assert!((user.actions_per_100_faces() - expected).abs() < 1e-9);
    // The milestones are reached in order, with more actions for more right faces.
    assert!(user.milestones.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1), "{user:?}");
    // The user never confirms a face they know to be someone else.
    let confirmed: Vec<(i64, String)> = library
        .catalog()
        .conn()
        .prepare("SELECT f.id, p.name FROM faces f JOIN people p ON p.id = f.person_id WHERE f.assigned_by = 'user'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for (face, name) in confirmed {
        assert_eq!(truth.get(&face), Some(&name), "face {face} confirmed as {name}");
    }
    // What the user named is in the library: every labeled person has their name.
    for identity in truth.values() {
        assert!(library.find_person(identity).is_ok(), "{identity} was named");
    }
}

#[test]
fn the_simulated_user_answers_from_the_labels() {
    let (_dir, library, truth) = labeled_library(6, 120, 9);
    let group = library.people(false).unwrap().into_iter().find(|p| p.name.is_none()).unwrap();
    let identity = majority(&library, &truth, ReviewSubject::Group(group.id)).unwrap().unwrap();
    let faces = library.faces_of_person(group.id).unwrap();
    let agreeing = faces.iter().filter(|f| truth[&f.0] == identity).count();
    assert!(2 * agreeing >= faces.len(), "the majority of the group is {identity}");
    let question = |subject, name: &str| ReviewItem {
        subject,
        person_id: 0,
        person_name: name.to_string(),
        similarity: 0.0,
        faces: 1,
        sample_face_id: 0,
        priority: 0.0,
    };
    assert!(answer(&library, &truth, &question(ReviewSubject::Group(group.id), &identity)).unwrap());
    assert!(!answer(&library, &truth, &question(ReviewSubject::Group(group.id), "Someone else")).unwrap());
    // A face nobody labeled (a bystander) is nobody the user knows.
    assert!(!answer(&library, &truth, &question(ReviewSubject::Face(9_999_999), &identity)).unwrap());
}
