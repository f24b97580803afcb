use std::fs;

use image::ImageFormat;
use kindred_core::testing::{self, ExifSpec};

use crate::util::{KINDRED, kindred, ok, sample_photos};

#[test]
fn scanning_the_sample_photos_records_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    let sample = sample_photos();
    let run = kindred(&library, &["--json", "scan", sample.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.json();
    assert_eq!(summary["outcome"], "completed");
    assert_eq!(summary["photos"], 6);
    assert_eq!(summary["decoded"], 6);

    let photos = kindred(&library, &["--json", "photos"]).json();
    let photos = photos.as_array().unwrap();
    assert_eq!(photos.len(), 6);
    let rotated = photos.iter().find(|p| p["path"].as_str().unwrap().ends_with("orientation-6.jpg")).unwrap();
    let upright =
        photos.iter().find(|p| p["path"].as_str().unwrap().ends_with("curie-portrait.jpg")).unwrap();
    assert_eq!(rotated["orientation"], 6);
    assert_eq!(upright["orientation"], 1);
    assert_eq!((&rotated["width"], &rotated["height"]), (&upright["height"], &upright["width"]));

    let again = kindred(&library, &["--json", "scan"]).json();
    assert_eq!((again["unchanged"].as_u64(), again["decoded"].as_u64()), (Some(6), Some(0)));

    let status = kindred(&library, &["status"]);
    assert_eq!(status.code, 0);
    assert!(status.stdout.contains("6 photos"), "{}", status.stdout);
}

#[test]
fn bad_files_are_reported_and_the_scan_completes_with_issues() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    fs::create_dir_all(&photos).unwrap();
    fs::write(photos.join("good.jpg"), testing::jpeg_with_exif(32, 32, 1, &ExifSpec::default())).unwrap();
    fs::write(photos.join("empty.jpg"), b"").unwrap();
    fs::write(photos.join("text.jpg"), b"hello").unwrap();
    fs::write(photos.join("bomb.png"), testing::png_bomb(60_000, 60_000)).unwrap();
    let png = testing::encode(&testing::test_image(200, 100, 1), ImageFormat::Png);
    fs::write(photos.join("cut.png"), &png[..png.len() / 2]).unwrap();

    let library = dir.path().join("k.db");
    let run = kindred(&library, &["scan", photos.to_str().unwrap()]);
    assert_eq!(run.code, 3, "exit code 3 means done with issues: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("completed with 4 issues"), "{}", run.stdout);
    let issues = kindred(&library, &["--json", "issues"]).json();
    let mut kinds: Vec<&str> =
        issues.as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["empty", "not_an_image", "too_large", "truncated"]);
    let with_issues = kindred(&library, &["--json", "photos", "--has-issues"]).json();
    assert_eq!(with_issues.as_array().unwrap().len(), 4);
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_issue() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let dir = tempfile::tempdir().unwrap();
    // World-writable so that an unprivileged child can write the library here.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let photos = dir.path().join("photos");
    fs::create_dir_all(&photos).unwrap();
    fs::set_permissions(&photos, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(photos.join("ok.jpg"), testing::jpeg_with_exif(32, 32, 1, &ExifSpec::default())).unwrap();
    let secret = photos.join("secret.jpg");
    fs::write(&secret, testing::jpeg_with_exif(32, 32, 2, &ExifSpec::default())).unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();

    let library = dir.path().join("k.db");
    // Permissions do not bind root, so as root the scan runs as an ordinary user, from a copy
    // of the binary that user may execute (the build folder may sit in root's home).
    let mut command = if is_root() {
        let binary = dir.path().join("kindred");
        if fs::hard_link(KINDRED, &binary).is_err() {
            fs::copy(KINDRED, &binary).unwrap();
        }
        fs::set_permissions(&binary, fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = std::process::Command::new(binary);
        command.uid(65534).gid(65534).env("HOME", dir.path());
        command
    } else {
        std::process::Command::new(KINDRED)
    };
    command.arg("--library").arg(&library).arg("--json").arg("scan").arg(&photos);
    let run = crate::util::run(command);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let summary = run.json();
    assert_eq!((summary["photos"].as_u64(), summary["decoded"].as_u64()), (Some(2), Some(1)));
    let issues = kindred(&library, &["--json", "issues"]).json();
    let issue = &issues.as_array().unwrap()[0];
    assert_eq!(issue["kind"], "unreadable");
    assert!(issue["message"].as_str().unwrap().contains("ermission denied"), "{issue}");
}

#[cfg(unix)]
fn is_root() -> bool {
    // The owner of a file we just created is our effective user.
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

#[test]
fn a_library_from_a_newer_kindred_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    assert_eq!(kindred(&library, &["status"]).code, 0);
    rusqlite::Connection::open(&library).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let run = kindred(&library, &["status"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("newer Kindred"), "{}", run.stderr);
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    let run = kindred(&library, &["photos", "--from", "2019-13-01"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("YYYY-MM-DD"), "{}", run.stderr);
    let run = kindred(&library, &["scan", "/definitely/not/here"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("/definitely/not/here"), "{}", run.stderr);
    let run = kindred(&library, &["scan"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no folders yet"), "{}", run.stderr);
}

#[test]
fn a_removed_folder_is_not_listed_and_the_device_choice_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("k.db");
    let sample = sample_photos();
    ok(&library, &["scan", sample.to_str().unwrap()]);
    let removed = ok(&library, &["remove-folder", sample.to_str().unwrap()]);
    assert_eq!(removed["photos"], 6);
    assert_eq!(ok(&library, &["photos"]).as_array().unwrap().len(), 0);
    let again = kindred(&library, &["remove-folder", sample.to_str().unwrap()]);
    assert_eq!(again.code, 1, "removing it twice is an error: {}", again.stderr);
    assert!(again.stderr.contains("is not a folder of this library"), "{}", again.stderr);
    ok(&library, &["scan", sample.to_str().unwrap()]);
    assert_eq!(ok(&library, &["photos"]).as_array().unwrap().len(), 6);

    assert_eq!(ok(&library, &["device"])["device"], "auto");
    assert_eq!(ok(&library, &["device", "cpu"])["device"], "cpu");
    assert_eq!(ok(&library, &["device"])["device"], "cpu");
    assert_eq!(kindred(&library, &["device", "tpu"]).code, 2);
}
