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
