//! `kindred watch`: photos added, moved and deleted while it runs are read and analysed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{KINDRED, ok, sample_photos};

/// The watcher's reports (one JSON line each), read on a thread of their own.
struct Watching {
    child: std::process::Child,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Watching {
    fn start(library: &Path) -> Watching {
        let mut child = Command::new(KINDRED)
            .arg("--library")
            .arg(library)
            .args(["--json", "watch", "--device", "cpu"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(serde_json::from_str(&line).unwrap());
            }
        });
        Watching { child, lines }
    }

    /// The next report, or a failure after `within`.
    fn next(&self, within: Duration) -> serde_json::Value {
        self.lines.recv_timeout(within).expect("a report from the watcher")
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn photos_added_moved_and_deleted_while_watching_are_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(photos.join("2024")).unwrap();
    std::fs::copy(sample_photos().join("obama-official-2012.jpg"), photos.join("obama.jpg")).unwrap();
    let library = dir.path().join("w.db");
    ok(&library, &["scan", photos.to_str().unwrap()]);

    let watching = Watching::start(&library);
    // It catches up first: the photo scanned but not analysed yet.
    let caught_up = watching.next(Duration::from_secs(120));
    assert_eq!(
        (caught_up["analyzed"].as_u64(), caught_up["faces"].as_u64()),
        (Some(1), Some(1)),
        "{caught_up}"
    );

    // A photo copied into a subfolder.
    let copied = Instant::now();
    std::fs::copy(sample_photos().join("biden-official-2013.jpg"), photos.join("2024/biden.jpg")).unwrap();
    let added = watching.next(Duration::from_secs(60));
    println!(
        "a copied photo was read and its faces found {} ms after the copy",
        copied.elapsed().as_millis()
    );
    assert_eq!(
        (added["new"].as_u64(), added["analyzed"].as_u64(), added["faces"].as_u64()),
        (Some(1), Some(1), Some(1))
    );

    // Moved to another folder: the same photo, nothing analysed again.
    std::fs::rename(photos.join("2024/biden.jpg"), photos.join("biden.jpg")).unwrap();
    let moved = watching.next(Duration::from_secs(60));
    assert_eq!((moved["moved"].as_u64(), moved["analyzed"].as_u64()), (Some(1), Some(0)), "{moved}");

    // Deleted: marked missing, its row kept.
    std::fs::remove_file(photos.join("obama.jpg")).unwrap();
    let deleted = watching.next(Duration::from_secs(60));
    assert_eq!(deleted["missing"].as_u64(), Some(1), "{deleted}");
    drop(watching);
    let listed = ok(&library, &["photos", "--status", "missing"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
}
