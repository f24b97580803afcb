use crate::util::{kindred, ok, sample_photos};

/// Albums, folders and the filters of `kindred search`, through the real binary on the
/// sample photos: the Curie portraits show Marie and Pierre (named in their XMP), the Solvay
/// conference of 1927 many people (Marie Curie among them, whom recognition may find there),
/// the others one person each.
#[test]
fn albums_folders_and_only_these_people_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    let photos_dir = std::fs::canonicalize(sample_photos()).unwrap();
    ok(&library, &["scan", photos_dir.to_str().unwrap()]);
    ok(&library, &["faces", "--device", "cpu"]);
    let count = |args: &[&str]| ok(&library, args)["photos"].as_array().unwrap().len();

    let marie = ok(&library, &["search", "--person", "Marie Curie"])["photos"].as_array().unwrap().clone();
    let marie_in = |suffix: &str| marie.iter().any(|p| p["path"].as_str().unwrap().ends_with(suffix));
    assert!(marie_in("/curie-portrait.jpg") && marie_in("/curie-portrait-orientation-6.jpg"), "{marie:?}");
    let marie_at_solvay = marie_in("/solvay-1927.jpg");
    assert_eq!(marie.len(), 2 + usize::from(marie_at_solvay));
    assert_eq!(count(&["search", "--person", "Marie Curie", "--only"]), 0, "Pierre is in both");
    assert_eq!(count(&["search", "--person", "Marie Curie", "--person", "Pierre Curie", "--only"]), 2);
    let refused = kindred(&library, &["search", "--only", "--any", "--person", "Marie Curie"]);
    assert_eq!(refused.code, 2, "--only and --any contradict each other");
    assert_eq!(kindred(&library, &["search"]).code, 2, "a search needs a person, an album or a folder");

    let all = ok(&library, &["photos"]);
    let id_of = |suffix: &str| -> String {
        all.as_array().unwrap().iter().find(|p| p["path"].as_str().unwrap().ends_with(suffix)).unwrap()["id"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let (curie, obama, solvay) =
        (id_of("curie-portrait.jpg"), id_of("obama-official-2012.jpg"), id_of("solvay-1927.jpg"));
    let made = ok(&library, &["album", "create", "Scientists", &curie, &solvay]);
    let album = made["album"].as_i64().unwrap().to_string();
    assert_eq!(ok(&library, &["album", "add", "scientists", &obama, &curie])["added"], 1);
    assert_eq!(count(&["search", "--album", "Scientists"]), 3);
    assert_eq!(
        count(&["search", "--album", &album, "--person", "Marie Curie"]),
        1 + usize::from(marie_at_solvay),
        "filters combine"
    );
    ok(&library, &["album", "remove", "Scientists", &obama]);
    ok(&library, &["album", "rename", "Scientists", "Physicists"]);
    let listed = ok(&library, &["albums"]);
    assert_eq!(listed["albums"][0]["name"], "Physicists");
    assert_eq!(listed["albums"][0]["photos"], 2);
    assert_eq!(listed["folders"][0]["path"], photos_dir.to_str().unwrap());
    assert_eq!(listed["folders"][0]["photos"], 6);
    assert_eq!(count(&["search", "--folder", photos_dir.to_str().unwrap()]), 6);

    // Deleting an album leaves its photos; undo brings it back; the backup carries it.
    ok(&library, &["album", "delete", "Physicists"]);
    assert!(ok(&library, &["albums"])["albums"].as_array().unwrap().is_empty());
    assert_eq!(ok(&library, &["photos"]).as_array().unwrap().len(), 6);
    ok(&library, &["undo"]);
    assert_eq!(ok(&library, &["albums"])["albums"][0]["photos"], 2);
    let backup = dir.path().join("names.json");
    ok(&library, &["export", "--out", backup.to_str().unwrap()]);
    let restored = dir.path().join("restored.db");
    ok(&restored, &["scan", photos_dir.to_str().unwrap()]);
    let summary = ok(&restored, &["import", backup.to_str().unwrap()]);
    assert_eq!(summary["albums"], 1);
    assert_eq!(ok(&restored, &["albums"])["albums"][0]["photos"], 2);
    let unknown = kindred(&library, &["search", "--album", "Nope"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no album"), "{}", unknown.stderr);
}

/// A face the detector did not find, drawn from the command line and named at once.
#[test]
fn a_face_is_drawn_and_named_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    ok(&library, &["scan", sample_photos().to_str().unwrap()]);
    ok(&library, &["faces", "--device", "cpu"]);
    let all = ok(&library, &["photos"]);
    let obama = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"].as_str().unwrap().ends_with("obama-official-2012.jpg"))
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let photo = ok(&library, &["photo", &obama]);
    let face = &photo["faces"][0];
    let (x, y, w) = (face["x"].as_f64().unwrap(), face["y"].as_f64().unwrap(), face["w"].as_f64().unwrap());
    // On the found face: refused.
    let args = |x: f64, y: f64| [x.to_string(), y.to_string(), w.to_string(), w.to_string()];
    let [a, b, c, d] = args(x, y);
    let refused = kindred(&library, &["draw-face", &obama, &a, &b, &c, &d, "--device", "cpu"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("already there"), "{}", refused.stderr);
    // Beside it (the flag behind him): a face the user says is there, named.
    let [a, b, c, d] = args(x + 1.6 * w, y);
    let drawn = ok(&library, &["draw-face", &obama, &a, &b, &c, &d, "--name", "Someone", "--device", "cpu"]);
    let person = drawn["person"].as_i64().unwrap();
    let faces = ok(&library, &["photo", &obama])["faces"].as_array().unwrap().clone();
    assert_eq!(faces.len(), 2);
    let added = faces.iter().find(|f| f["drawn"] == true).unwrap();
    assert_eq!(ok(&library, &["person", &person.to_string()])["face_list"][0]["face"], added["id"]);
}
