use std::path::Path;

use crate::util::{kindred, ok, sample_photos};

/// The person a photo's largest face is with.
fn person_in(library: &Path, photo_suffix: &str) -> Option<i64> {
    let photos = ok(library, &["photos"]);
    let photo = photos
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"].as_str().unwrap().ends_with(photo_suffix))
        .unwrap();
    let id = photo["id"].as_i64().unwrap().to_string();
    let faces = ok(library, &["photo", &id]);
    let face = faces["faces"][0]["id"].as_i64().unwrap();
    let people = ok(library, &["people", "--hidden"]);
    people["people"].as_array().unwrap().iter().find_map(|p| {
        let id = p["id"].as_i64().unwrap();
        let listed = ok(library, &["person", &id.to_string()]);
        listed["face_list"].as_array().unwrap().iter().any(|f| f["face"] == face).then_some(id)
    })
}

/// The sample photos, as a user meets them: faces found, people grouped, a person named,
/// searched, corrected, regrouped and the correction undone, all through the real binary.
#[test]
fn naming_searching_and_correcting_people_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    ok(&library, &["scan", sample_photos().to_str().unwrap()]);
    let found = ok(&library, &["faces", "--device", "cpu"]);
    assert!(found["people"]["faces"].as_u64().unwrap() >= 30, "{found}");

    // The names in the Curie portrait's XMP were read; the two Biden photos are one group.
    let curie =
        person_in(&library, "curie-portrait-orientation-6.jpg").expect("the portrait's face has a person");
    assert_eq!(person_in(&library, "curie-portrait.jpg"), Some(curie));
    assert!(ok(&library, &["person", &curie.to_string()])["name"].is_string(), "named from the photo's XMP");
    let biden = person_in(&library, "biden-official-2013.jpg").expect("Biden's face is in a group");
    assert_eq!(person_in(&library, "biden-white-house.jpg"), Some(biden));
    ok(&library, &["name", &biden.to_string(), "Joe Biden"]);
    let refused = kindred(&library, &["name", &biden.to_string(), "  "]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("empty"), "{}", refused.stderr);
    let taken = kindred(&library, &["name", &curie.to_string(), "joe biden"]);
    assert_eq!(taken.code, 1, "two people never share a name");
    assert!(taken.stderr.contains("merge"), "{}", taken.stderr);

    let photos = ok(&library, &["search", "--person", "joe biden"]);
    let paths: Vec<&str> =
        photos["photos"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths.iter().all(|p| p.contains("biden")), "{paths:?}");
    let both = ok(&library, &["search", "--person", "Joe Biden", "--person", &curie.to_string()]);
    assert_eq!(both["photos"].as_array().unwrap().len(), 0, "no photo shows both");
    let either = ok(&library, &["search", "--person", "Joe Biden", "--person", &curie.to_string(), "--any"]);
    assert!(either["photos"].as_array().unwrap().len() >= 4);
    let unknown = kindred(&library, &["search", "--person", "Nobody"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("Nobody"), "{}", unknown.stderr);

    // "Not this person" holds through a regrouping at any threshold, and undo brings it back.
    let person = ok(&library, &["person", "Joe Biden"]);
    let face = person["face_list"][0]["face"].as_i64().unwrap().to_string();
    ok(&library, &["remove", &face]);
    for threshold in ["0.9", "0.65"] {
        ok(&library, &["cluster", "--threshold", threshold]);
        let person = ok(&library, &["person", "Joe Biden"]);
        assert_eq!(person["name"], "Joe Biden");
        assert!(
            !person["face_list"].as_array().unwrap().iter().any(|f| f["face"].as_i64() == face.parse().ok())
        );
    }
    let undone = ok(&library, &["undo"]);
    assert!(undone["undone"]["description"].as_str().unwrap().contains(&face), "{undone}");
    let person = ok(&library, &["person", "Joe Biden"]);
    assert!(person["face_list"].as_array().unwrap().iter().any(|f| f["face"].as_i64() == face.parse().ok()));

    // A birth date: checked, shown with the age in each dated photo, and forgotten again.
    let bad = kindred(&library, &["birth-date", "Joe Biden", "1942-02-30"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let born = ok(&library, &["birth-date", "Joe Biden", "1942-11-20"]);
    assert_eq!(born["birth_date"], "1942-11-20");
    let person = ok(&library, &["person", "Joe Biden"]);
    assert_eq!(person["birth_date"], "1942-11-20");
    for face in person["face_list"].as_array().unwrap() {
        let photo = ok(&library, &["photo", &face["photo"].to_string()]);
        if let Some(taken) = photo["taken_at"].as_str() {
            let years = face["age"]["years"].as_u64().expect("an age where the photo is dated");
            let year: u64 = taken[..4].parse().unwrap();
            assert!(years + 1942 == year || years + 1943 == year, "{taken}: {years}");
        }
    }
    ok(&library, &["birth-date", "Joe Biden", "--clear"]);
    assert!(ok(&library, &["person", "Joe Biden"])["birth_date"].is_null());

    ok(&library, &["hide", "Joe Biden"]);
    let visible = ok(&library, &["people"]);
    assert!(!visible["people"].as_array().unwrap().iter().any(|p| p["name"] == "Joe Biden"));
    let all = ok(&library, &["people", "--hidden"]);
    assert!(
        all["people"].as_array().unwrap().iter().any(|p| p["name"] == "Joe Biden" && p["hidden"] == true)
    );
}

/// `kindred eval --labels` on the sample portraits: the JSON keys the documentation promises,
/// and the right grouping.
#[test]
fn eval_with_labels_reports_clustering_quality() {
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.csv");
    std::fs::write(
        &labels,
        "path,identity\ncurie-portrait.jpg,curie\ncurie-portrait-orientation-6.jpg,curie\n\
         obama-official-2012.jpg,obama\nmissing.jpg,nobody\n",
    )
    .unwrap();
    let run = kindred(
        &dir.path().join("unused.db"),
        &[
            "--json",
            "eval",
            sample_photos().to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
            "--device",
            "cpu",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let clustering = &report["clustering"];
    for key in [
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f1",
        "pairwise_precision",
        "pairwise_recall",
        "pairwise_f1",
    ] {
        assert_eq!(clustering[key].as_f64(), Some(1.0), "{key}: {clustering}");
    }
    assert_eq!(clustering["people"], 2);
    assert_eq!(clustering["clusters"], 2);
    assert_eq!(clustering["scored"], 3);
    assert_eq!(clustering["photos_missing"].as_array().unwrap().len(), 1);
    assert!(!dir.path().join("unused.db").exists(), "eval works in a throwaway library");
}
