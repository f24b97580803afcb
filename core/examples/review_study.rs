//! How many answers a user needs to name the people of a library whose faces are already
//! found: the simulation of `kindred eval --simulate-user`, run on a copy of a library (so
//! that the order of the review queue can be studied without finding the faces again).
//!
//! ```text
//! review_study LIBRARY.db FACES_DIR LABELS.csv [KEEP.db]
//! ```
//! LIBRARY.db is a library of the photos LABELS.csv lists (`kindred scan FACES_DIR/...` then
//! `kindred faces`); paths in LABELS.csv are relative to FACES_DIR. The main face of a labeled
//! photo is its largest. KEEP.db, if given, receives the library as the queue's own order left
//! it.

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
    // A face's prominence: its area over the area of the largest face of its photo.
    let prominence: HashMap<i64, f32> = {
        let library = Library::open(Path::new(&args[0])).expect("the library");
        let faces = library.catalog().all_faces().unwrap();
        let mut largest: HashMap<i64, f32> = HashMap::new();
        for f in &faces {
            let area = largest.entry(f.photo_id).or_default();
            *area = area.max(f.w * f.h);
        }
        faces.iter().map(|f| (f.id, f.w * f.h / largest[&f.photo_id].max(1.0))).collect()
    };
    /// (similarity, faces, faces weighted by prominence, by its square, "no"s the subject's
    /// faces had, placed, boundary) → priority; below 0 not asked.
    type Score = fn(f32, f32, f32, f32, f32, bool, f32) -> f32;
    let orders: Vec<(&str, Option<Score>)> = vec![
        ("the queue's own order", None),
        (
            "P(yes) x faces (no prominence)",
            Some(|s, n, _a, _a2, _no, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.08f32).exp());
                if placed { 1.0 - p } else { p * n }
            }),
        ),
        (
            "P(yes) x prominence",
            Some(|s, _n, a, _a2, _no, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.08f32).exp());
                if placed { 1.0 - p } else { p * a }
            }),
        ),
        (
            "P(yes) x prominence^2, placed last",
            Some(|s, _n, _a, a2, _no, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.08f32).exp());
                if placed { 1e-4 * (1.0 - p) } else { p * a2 }
            }),
        ),
        (
            "P(yes) x prominence^2, width 0.04",
            Some(|s, _n, _a, a2, _no, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.04f32).exp());
                if placed { (1.0 - p) * a2 } else { p * a2 }
            }),
        ),
        (
            "P(yes) x prominence^2 x 0.75 per no",
            Some(|s, _n, _a, a2, no, placed, b| {
                let p = 1.0 / (1.0 + (-(s - b) / 0.08f32).exp());
                if placed { (1.0 - p) * a2 } else { p * a2 * 0.75f32.powf(no) }
            }),
        ),
        (
            "similarity x prominence^2",
            Some(|s, _n, _a, a2, _no, placed, _b| if placed { 0.001 * (1.0 - s) } else { s.max(0.0) * a2 }),
        ),
    ];
    for (name, score) in orders {
        let copy = work.path().join(format!("{}.db", name.len()));
        std::fs::copy(&args[0], &copy).expect("a copy of the library");
        let mut library = Library::open(&copy).expect("the copy");
        let mut asked = |library: &Library| -> kindred_core::Result<Option<kindred_core::ReviewItem>> {
            let Some(score) = score else { return Ok(library.review_queue(1)?.pop()) };
            let mut noes: HashMap<i64, f32> = HashMap::new();
            for d in library.catalog().decisions()? {
                if d.kind == kindred_core::DecisionKind::IsNot
                    && let Some(face) = d.face_id
                {
                    *noes.entry(face).or_default() += 1.0;
                }
            }
            let mut best: Option<(f32, kindred_core::ReviewItem)> = None;
            for item in library.review_queue(usize::MAX)? {
                let (placed, faces) = match item.subject {
                    kindred_core::ReviewSubject::Face(face) => {
                        (library.catalog().assignment_of_face(face)?.is_some(), vec![face])
                    }
                    kindred_core::ReviewSubject::Group(group) => {
                        (false, library.faces_of_person(group)?.into_iter().map(|f| f.0).collect())
                    }
                };
                let prominent = |f: &i64| prominence.get(f).copied().unwrap_or(1.0);
                let area: f32 = faces.iter().map(prominent).sum();
                let squared: f32 = faces.iter().map(|f| prominent(f) * prominent(f)).sum();
                let no = faces.iter().map(|f| noes.get(f).copied().unwrap_or(0.0)).sum::<f32>()
                    / faces.len() as f32;
                let value = score(item.similarity, item.faces as f32, area, squared, no, placed, boundary);
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
        if score.is_none() {
            for (item, yes) in &user.asked {
                let (kind, id) = match item.subject {
                    kindred_core::ReviewSubject::Group(id) => ("group", id),
                    kindred_core::ReviewSubject::Face(id) => ("face", id),
                };
                let main =
                    matches!(item.subject, kindred_core::ReviewSubject::Face(f) if truth.contains_key(&f));
                eprintln!(
                    "ASKED {kind} {:.4} {} {yes} {id} {main} {}",
                    item.similarity, item.faces, item.person_id
                );
            }
        }
        if score.is_none()
            && let Some(keep) = args.get(3)
        {
            drop(library);
            std::fs::copy(&copy, keep).expect("the library kept");
        }
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
