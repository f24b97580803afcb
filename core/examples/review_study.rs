//! How many answers a user needs to name the people of a library whose faces are already
//! found: the simulation of `kindred eval --simulate-user`, run on a copy of a library (so
//! that the order of the review queue can be studied without finding the faces again).
//!
//! ```text
//! review_study LIBRARY.db FACES_DIR LABELS.csv
//! ```
//! LIBRARY.db is a library of the photos LABELS.csv lists (`kindred scan FACES_DIR/...` then
//! `kindred faces`); paths in LABELS.csv are relative to FACES_DIR. The main face of a labeled
//! photo is its largest.

use std::collections::HashMap;
use std::path::Path;

use kindred_core::{CancelToken, Library};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let work = tempfile::tempdir().expect("a temporary folder");
    let copy = work.path().join("study.db");
    {
        let original = Library::open(Path::new(&args[0])).expect("the library");
        original.catalog().integrity_check().expect("a sound library");
    }
    std::fs::copy(&args[0], &copy).expect("a copy of the library");
    let library = Library::open(&copy).expect("the copy");
    let dir = std::fs::canonicalize(&args[1]).expect("the faces folder");
    let photos: HashMap<std::path::PathBuf, i64> = library
        .photos(&kindred_core::PhotoFilter::default())
        .unwrap()
        .into_iter()
        .map(|p| (p.path, p.id))
        .collect();
    let mut truth = HashMap::new();
    for row in kindred_core::eval::read_csv(Path::new(&args[2])).expect("the labels") {
        let (Some(path), Some(identity)) = (row.get("path"), row.get("identity")) else { continue };
        if identity.trim().is_empty() {
            continue;
        }
        let Some(&photo) = photos.get(&dir.join(path)) else { continue };
        if let Some(face) = library.faces_of_photo(photo).unwrap().first() {
            truth.insert(face.id, identity.trim().to_string());
        }
    }
    let boundary = 1.0 - library.people_settings().unwrap().threshold;
    drop(library);
    // Each order re-ranks every question the queue offers (by similarity, faces and kind), on a
    // fresh copy of the library.
    type Score = fn(f32, f32, bool, f32) -> f32;
    let orders: Vec<(&str, Option<Score>)> = vec![
        ("the queue's own order", None),
        (
            "uncertainty x faces",
            Some(|s, n, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.04f32).exp());
                let u = 1.0 - (2.0 * p - 1.0).abs();
                if u < 0.02 || (placed && p > 0.98) { -1.0 } else { u * n }
            }),
        ),
        (
            "P(yes) x faces, width 0.08",
            Some(|s, n, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.08f32).exp());
                if placed { 1.0 - p } else { p * n }
            }),
        ),
        (
            "P(yes) x faces, centre -0.05",
            Some(|s, n, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b + 0.05) / 0.04f32).exp());
                if placed { 1.0 - p } else { p * n }
            }),
        ),
        (
            "P(yes) x faces, placed faces last",
            Some(|s, n, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.04f32).exp());
                if placed { (1.0 - p) * 1e-3 } else { p * n }
            }),
        ),
        ("similarity only", Some(|s, _n, placed, _b| if placed { -s } else { s })),
    ];
    for (name, score) in orders {
        let copy = work.path().join(format!("{}.db", name.len()));
        std::fs::copy(&args[0], &copy).expect("a copy of the library");
        let mut library = Library::open(&copy).expect("the copy");
        let mut asked = |library: &Library| -> kindred_core::Result<Option<kindred_core::ReviewItem>> {
            let Some(score) = score else { return Ok(library.review_queue(1)?.pop()) };
            let mut best: Option<(f32, kindred_core::ReviewItem)> = None;
            for item in library.review_queue(usize::MAX)? {
                let placed = match item.subject {
                    kindred_core::ReviewSubject::Face(face) => {
                        library.catalog().assignment_of_face(face)?.is_some()
                    }
                    kindred_core::ReviewSubject::Group(_) => false,
                };
                let value = score(item.similarity, item.faces as f32, placed, boundary);
                if value > 0.0 && best.as_ref().is_none_or(|(v, _)| value > *v) {
                    best = Some((value, item));
                }
            }
            Ok(best.map(|(_, item)| item))
        };
        let user = kindred_core::simulate::simulate_user_asked_by(
            &mut library,
            &truth,
            kindred_core::simulate::TARGET_RIGHT,
            &CancelToken::new(),
            &mut asked,
        )
        .unwrap();
        println!(
            "{name:<36} named {:>3}, answered {:>4} ({:>4} yes): {:.1}% → {:.1}%{} · {:.2} per 100 faces · milestones {:?}",
            user.named,
            user.answers,
            user.yes,
            100.0 * user.right_after_naming,
            100.0 * user.right,
            if user.queue_ran_out { " (ran out)" } else { "" },
            user.actions_per_100_faces(),
            user.milestones
        );
    }
}
