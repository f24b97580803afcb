use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{kindred, ok, run, sample_photos};

/// A private copy of the sample photos (sidecars are written beside them).
fn photo_copy(dir: &Path) -> PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for entry in std::fs::read_dir(sample_photos()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jpg") {
            std::fs::copy(&path, photos.join(path.file_name().unwrap())).unwrap();
        }
    }
    photos
}

/// Named faces of a library: photo file name → {(name, face box rounded to pixels)}.
fn named_faces(library: &Path) -> BTreeMap<String, BTreeSet<(String, [i64; 4])>> {
    let mut out: BTreeMap<String, BTreeSet<(String, [i64; 4])>> = BTreeMap::new();
    for person in ok(library, &["people", "--hidden"])["people"].as_array().unwrap() {
        let Some(name) = person["name"].as_str() else { continue };
        let listed = ok(library, &["person", &person["id"].to_string()]);
        for face in listed["face_list"].as_array().unwrap() {
            if face["assigned_by"] != "user" {
                continue;
            }
            let photo = ok(library, &["photo", &face["photo"].to_string()]);
            let file = Path::new(photo["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let f = photo["faces"].as_array().unwrap().iter().find(|f| f["id"] == face["face"]).unwrap();
            let px = |k: &str| f[k].as_f64().unwrap().round() as i64;
            out.entry(file).or_default().insert((name.to_string(), [px("x"), px("y"), px("w"), px("h")]));
        }
    }
    out
}

/// The largest face of the photo whose path ends with `suffix`.
fn face_of_photo(library: &Path, suffix: &str) -> String {
    let photos = ok(library, &["photos"]);
    let photo =
        photos.as_array().unwrap().iter().find(|p| p["path"].as_str().unwrap().ends_with(suffix)).unwrap();
    let faces = ok(library, &["photo", &photo["id"].to_string()]);
    faces["faces"][0]["id"].to_string()
}

/// Names typed in one library travel through XMP sidecars to a new library, and the names the
/// sample portrait carries in its own XMP are read on the way in.
#[test]
fn names_round_trip_through_xmp_sidecars() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_copy(dir.path());
    let first = dir.path().join("first.db");
    ok(&first, &["scan", photos.to_str().unwrap()]);
    ok(&first, &["faces", "--device", "cpu"]);
    let imported = named_faces(&first);
    for photo in ["curie-portrait.jpg", "curie-portrait-orientation-6.jpg"] {
        let names: BTreeSet<&str> = imported[photo].iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, BTreeSet::from(["Marie Curie", "Pierre Curie"]), "names read from {photo}'s XMP");
    }

    // Obama's one face is alone: naming it makes him a person.
    let obama = face_of_photo(&first, "obama-official-2012.jpg");
    let alone = ok(&first, &["people", "--alone"]);
    assert!(
        alone["faces"].as_array().unwrap().iter().any(|f| f["face"].as_i64() == obama.parse().ok()),
        "{alone}"
    );
    ok(&first, &["move", &obama, "--to", "Barack Obama"]);
    let alone = ok(&first, &["people", "--alone"]);
    assert!(!alone["faces"].as_array().unwrap().iter().any(|f| f["face"].as_i64() == obama.parse().ok()));
    ok(&first, &["move", &face_of_photo(&first, "biden-official-2013.jpg"), "--to", "Joe Biden"]);
    let written = ok(&first, &["write-xmp"]);
    assert!(written["written"].as_u64().unwrap() >= 4, "{written}");
    assert!(photos.join("obama-official-2012.jpg.xmp").is_file());
    let again = ok(&first, &["write-xmp"]);
    assert_eq!(again["written"], 0, "writing the same names again changes nothing: {again}");

    let second = dir.path().join("second.db");
    ok(&second, &["scan", photos.to_str().unwrap()]);
    ok(&second, &["faces", "--device", "cpu"]);
    assert_eq!(named_faces(&second), named_faces(&first), "the same names on the same faces");
}

/// The sidecar of a photo stored rotated (EXIF Orientation 6) puts its regions on the faces
/// when a standard tool reads it back.
#[test]
fn sidecar_regions_of_a_rotated_photo_land_on_the_faces_for_exiftool() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_copy(dir.path());
    let library = dir.path().join("k.db");
    ok(&library, &["scan", photos.to_str().unwrap()]);
    ok(&library, &["faces", "--device", "cpu"]);
    ok(&library, &["write-xmp"]);
    let faces = named_faces(&library);
    let rotated = &faces["curie-portrait-orientation-6.jpg"];
    let sidecar = photos.join("curie-portrait-orientation-6.jpg.xmp");
    let mut command = Command::new("exiftool");
    command.args(["-j", "-struct", "-RegionInfo", "-RegionInfoMP"]).arg(&sidecar);
    let read = run(command);
    assert_eq!(read.code, 0, "exiftool reads the sidecar: {}", read.stderr);
    let read: Value = serde_json::from_str(&read.stdout).unwrap();
    let info = &read[0]["RegionInfo"];
    let (stored_w, stored_h) = (
        info["AppliedToDimensions"]["W"].as_f64().unwrap(),
        info["AppliedToDimensions"]["H"].as_f64().unwrap(),
    );
    assert_eq!((stored_w, stored_h), (700.0, 840.0), "dimensions of the stored, unrotated image");
    let regions = info["RegionList"].as_array().unwrap();
    assert_eq!(regions.len(), rotated.len());
    for region in regions {
        let area = &region["Area"];
        let (cx, cy, w, h) = (
            area["X"].as_f64().unwrap(),
            area["Y"].as_f64().unwrap(),
            area["W"].as_f64().unwrap(),
            area["H"].as_f64().unwrap(),
        );
        // Orientation 6 shows the stored image turned 90° clockwise: stored (u, v) is shown at
        // (1 − v, u), and the shown image is stored_h wide.
        let shown = [(1.0 - cy - h / 2.0) * stored_h, (cx - w / 2.0) * stored_w, h * stored_h, w * stored_w];
        let name = region["Name"].as_str().unwrap();
        let (_, face) = rotated.iter().find(|(n, _)| n == name).expect("a face of that name");
        let face = face.map(|v| v as f64);
        let ix = ((shown[0] + shown[2]).min(face[0] + face[2]) - shown[0].max(face[0])).max(0.0);
        let iy = ((shown[1] + shown[3]).min(face[1] + face[3]) - shown[1].max(face[1])).max(0.0);
        let iou = ix * iy / (shown[2] * shown[3] + face[2] * face[3] - ix * iy);
        assert!(iou > 0.95, "{name}: region {shown:?} vs face {face:?} (IoU {iou:.3})");
    }
    let mp = read[0]["RegionInfoMP"]["Regions"].as_array().unwrap();
    assert_eq!(mp.len(), rotated.len(), "Microsoft People tags too");
}

/// A backup restored into a fresh library (after a scan) gives back every name and decision.
#[test]
fn backup_and_restore_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photo_copy(dir.path());
    let first = dir.path().join("first.db");
    ok(&first, &["scan", photos.to_str().unwrap()]);
    ok(&first, &["faces", "--device", "cpu"]);
    ok(&first, &["move", &face_of_photo(&first, "obama-official-2012.jpg"), "--to", "Barack Obama"]);
    ok(&first, &["hide", "Barack Obama"]);
    ok(&first, &["birth-date", "Barack Obama", "1961-08-04"]);
    let solvay_groups: Vec<i64> = ok(&first, &["people"])["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"].is_null())
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    if let Some(group) = solvay_groups.first() {
        let listed = ok(&first, &["person", &group.to_string()]);
        let face = listed["face_list"][0]["face"].to_string();
        ok(&first, &["name", &group.to_string(), "Albert Einstein"]);
        ok(&first, &["remove", &face]);
    }
    let backup = dir.path().join("backup.json");
    ok(&first, &["export", "--out", backup.to_str().unwrap()]);

    let second = dir.path().join("second.db");
    let refused = kindred(&second, &["import", backup.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "nothing scanned yet: {}", refused.stdout);
    assert!(refused.stderr.contains("scan"), "{}", refused.stderr);
    ok(&second, &["scan", photos.to_str().unwrap()]);
    ok(&second, &["import", backup.to_str().unwrap()]);
    ok(&second, &["faces", "--device", "cpu"]);
    assert_eq!(named_faces(&second), named_faces(&first));
    let again = dir.path().join("again.json");
    ok(&second, &["export", "--out", again.to_str().unwrap()]);
    let decisions = |file: &Path| -> BTreeSet<String> {
        let value: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let names: BTreeMap<i64, Value> = value["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_i64().unwrap(), p["name"].clone()))
            .collect();
        value["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let person = d["person"].as_i64().map(|p| names[&p].clone());
                format!("{} {} {} {:?}", d["photo"], d["face"], d["kind"], person)
            })
            .collect()
    };
    assert_eq!(
        decisions(&again),
        decisions(&backup),
        "every decision, on the same face, for the same person"
    );
    let hidden = ok(&second, &["person", "Barack Obama"]);
    assert_eq!(hidden["hidden"], true);
    assert_eq!(hidden["birth_date"], "1961-08-04", "the birth date is restored");
    let twice = kindred(&second, &["import", backup.to_str().unwrap()]);
    assert_eq!(twice.code, 1, "a library with names is not restored over");
}
