use std::collections::BTreeSet;

use kindred_core::{CancelToken, NoProgress, PeopleSettings};

use crate::util::{engine, faces_data};

/// The whole pipeline on real photos of twelve people (CelebA in the wild, ~24 photos each,
/// with bystanders): the people found match the labels, at the threshold chosen on other
/// photos.
#[test]
fn people_found_in_real_photos_match_the_labels() {
    let dir = faces_data();
    let all = kindred_core::eval::read_csv(&dir.join("celeba_wild_labels.csv")).unwrap();
    let chosen: BTreeSet<&str> =
        all.iter().map(|r| r["identity"].as_str()).collect::<BTreeSet<_>>().into_iter().take(12).collect();
    let mut csv = String::from("path,identity\n");
    for row in all.iter().filter(|r| chosen.contains(r["identity"].as_str())) {
        csv.push_str(&format!("{},{}\n", row["path"], row["identity"]));
    }
    let work = tempfile::tempdir().unwrap();
    let labels = work.path().join("labels.csv");
    std::fs::write(&labels, csv).unwrap();
    let report = kindred_core::eval::clustering(
        engine(),
        &dir,
        &labels,
        &PeopleSettings::default(),
        kindred_core::eval::PeopleHalf::All,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    eprintln!("{report:?}");
    assert!(report.photos_listed > 200);
    assert!(report.photos_missing.is_empty());
    assert_eq!(report.scores.true_classes, 12);
    assert!(report.scores.bcubed_precision >= 0.98, "{report:?}");
    assert!(report.scores.bcubed_f1 >= 0.93, "{report:?}");
}

/// Names are earned on real photos of children growing up (FG-NET, with the labels' dates and
/// birth dates): three faces of each of twelve people confirmed, spread over their ages, every
/// other person left a stranger; no face gets a wrong name, and the named people's other
/// photos are mostly recognised.
#[test]
fn names_given_to_real_photos_of_children_growing_up_are_right() {
    let dir = faces_data();
    let all = kindred_core::eval::read_csv(&dir.join("fgnet_labels.csv")).unwrap();
    let chosen: BTreeSet<&str> =
        all.iter().map(|r| r["identity"].as_str()).collect::<BTreeSet<_>>().into_iter().take(12).collect();
    let mut csv = String::from("path,identity,age,taken,birth\n");
    for row in all.iter().filter(|r| chosen.contains(r["identity"].as_str())) {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            row["path"], row["identity"], row["age"], row["taken"], row["birth"]
        ));
    }
    let work = tempfile::tempdir().unwrap();
    let labels = work.path().join("labels.csv");
    std::fs::write(&labels, csv).unwrap();
    let report = kindred_core::eval::naming(
        engine(),
        &dir,
        &labels,
        &PeopleSettings::default(),
        kindred_core::eval::PeopleHalf::All,
        (3, true),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    eprintln!("{report:?}");
    assert_eq!((report.named_people, report.strangers), (6, 6));
    assert!(report.stranger_faces > 40 && report.named_faces > 40, "{report:?}");
    assert_eq!(report.placed, report.placed_right, "a face got a wrong name: {report:?}");
    assert_eq!(report.strangers_named, 0, "{report:?}");
    assert!(report.coverage >= 0.3, "{report:?}");
    assert!(
        report.by_age.iter().any(|g| g.0 == "under 13" && g.3 > 0),
        "children are recognised: {report:?}"
    );
}

/// The embedder's own reading of a face's age: FG-NET's young children look young to it, its
/// adults do not (people of the half the probe was not fitted on).
#[test]
fn young_children_look_young_to_the_quality_probe() {
    let dir = faces_data();
    let rows = kindred_core::eval::read_csv(&dir.join("fgnet_labels.csv")).unwrap();
    let people: Vec<&str> =
        rows.iter().map(|r| r["identity"].as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    let held_out: BTreeSet<&str> = people.iter().skip(1).step_by(2).copied().collect();
    let pick = |young: bool| -> Vec<std::path::PathBuf> {
        rows.iter()
            .filter(|r| held_out.contains(r["identity"].as_str()))
            .filter(|r| {
                let age: f32 = r["age"].parse().unwrap();
                if young { age <= 3.0 } else { age >= 25.0 }
            })
            .take(16)
            .map(|r| dir.join(&r["path"]))
            .collect()
    };
    let childhood = |files: Vec<std::path::PathBuf>| -> Vec<f32> {
        engine()
            .analyze_files(&files)
            .into_iter()
            .filter_map(|r| r.ok()?.into_iter().max_by(|a, b| (a.w * a.h).total_cmp(&(b.w * b.h))))
            .map(|f| {
                assert!(f.embedding_norm > 1.0, "the norm before normalising is kept");
                kindred_core::faces::quality::apparent_childhood(&f.embedding)
            })
            .collect()
    };
    let (young, adult) = (childhood(pick(true)), childhood(pick(false)));
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    assert!(young.len() >= 12 && adult.len() >= 12);
    assert!(mean(&young) > 0.5 && mean(&adult) < 0.2, "young {young:?}, adult {adult:?}");
    let hard = young.iter().filter(|&&c| c > kindred_core::faces::quality::CHILD_FACE).count();
    assert!(hard * 4 >= young.len() * 3, "most young children's faces count as hard: {young:?}");
}
