use std::path::Path;

use serde_json::Value;

use crate::util::{kindred, sample_photos};

fn ok(library: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = kindred(library, &all);
    assert_eq!(run.code, 0, "kindred {args:?}: {}{}", run.stdout, run.stderr);
    run.json()
}

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

    // The two Curie portraits (one stored rotated) are one group.
    let curie = person_in(&library, "curie-portrait.jpg").expect("Curie's face is in a group");
    assert_eq!(person_in(&library, "curie-portrait-orientation-6.jpg"), Some(curie));
    ok(&library, &["name", &curie.to_string(), "Marie Curie"]);
    let refused = kindred(&library, &["name", &curie.to_string(), "  "]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("empty"), "{}", refused.stderr);

    let photos = ok(&library, &["search", "--person", "marie curie"]);
    let paths: Vec<&str> =
        photos["photos"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
    assert!(paths.iter().any(|p| p.ends_with("curie-portrait.jpg")), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with("curie-portrait-orientation-6.jpg")), "{paths:?}");
    let unknown = kindred(&library, &["search", "--person", "Nobody"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("Nobody"), "{}", unknown.stderr);

    // "Not this person" holds through a regrouping at any threshold, and undo brings it back.
    let person = ok(&library, &["person", "Marie Curie"]);
    let face = person["face_list"][0]["face"].as_i64().unwrap().to_string();
    ok(&library, &["remove", &face]);
    for threshold in ["0.9", "0.65"] {
        ok(&library, &["cluster", "--threshold", threshold]);
        let person = ok(&library, &["person", "Marie Curie"]);
        assert_eq!(person["name"], "Marie Curie");
        assert!(
            !person["face_list"].as_array().unwrap().iter().any(|f| f["face"].as_i64() == face.parse().ok())
        );
    }
    let undone = ok(&library, &["undo"]);
    assert!(undone["undone"]["description"].as_str().unwrap().contains(&face), "{undone}");
    let person = ok(&library, &["person", "Marie Curie"]);
    assert!(person["face_list"].as_array().unwrap().iter().any(|f| f["face"].as_i64() == face.parse().ok()));

    ok(&library, &["hide", "Marie Curie"]);
    let visible = ok(&library, &["people"]);
    assert!(!visible["people"].as_array().unwrap().iter().any(|p| p["name"] == "Marie Curie"));
    let all = ok(&library, &["people", "--hidden"]);
    assert!(
        all["people"].as_array().unwrap().iter().any(|p| p["name"] == "Marie Curie" && p["hidden"] == true)
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
