use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use image::ImageFormat;

use crate::catalog::{Catalog, IssueKind, PhotoFilter, PhotoStatus};
use crate::testing::{self, ExifSpec};
use crate::{CancelToken, Event, Library, NoProgress, ScanOptions, ScanSummary};

struct Fixture {
    dir: tempfile::TempDir,
    library: Library,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("photos")).unwrap();
        let library = Library::open(&dir.path().join("library.db")).unwrap();
        Fixture { dir, library }
    }

    fn photos_dir(&self) -> PathBuf {
        self.dir.path().join("photos")
    }

    fn write(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = self.photos_dir().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }

    fn scan(&mut self) -> ScanSummary {
        let root = self.photos_dir();
        self.library.scan(&[root], &ScanOptions::default(), &NoProgress, &CancelToken::new()).unwrap()
    }

    fn catalog(&self) -> &Catalog {
        self.library.catalog()
    }

    fn photo(&self, relative: &str) -> crate::PhotoRow {
        let path = fs::canonicalize(self.photos_dir()).unwrap().join(relative);
        let all = self.catalog().photos(&PhotoFilter::default()).unwrap();
        all.into_iter().find(|p| p.path == path).unwrap_or_else(|| panic!("{relative} is not in the catalog"))
    }

    fn issue_kinds(&self) -> Vec<(String, IssueKind)> {
        let root = fs::canonicalize(self.photos_dir()).unwrap();
        let mut kinds: Vec<(String, IssueKind)> = self
            .catalog()
            .issues()
            .unwrap()
            .into_iter()
            .map(|i| (i.path.strip_prefix(&root).unwrap_or(&i.path).to_string_lossy().into_owned(), i.kind))
            .collect();
        kinds.sort_by(|a, b| a.0.cmp(&b.0));
        kinds
    }
}

fn jpeg(seed: u32) -> Vec<u8> {
    testing::jpeg_with_exif(64, 48, seed, &ExifSpec::default())
}

#[test]
fn records_exif_facts_for_every_orientation() {
    let mut fx = Fixture::new();
    for orientation in 1..=8u16 {
        let exif = ExifSpec {
            orientation: Some(orientation),
            date_time_original: Some(format!("2019:06:0{orientation} 14:03:22")),
            offset_time_original: Some("+02:00".into()),
            gps: Some((48.8584, -2.2945)),
            make: Some("Canon".into()),
            model: Some("EOS 5D".into()),
        };
        fx.write(&format!("o{orientation}.jpg"), &testing::jpeg_with_exif(40, 30, orientation.into(), &exif));
    }
    let summary = fx.scan();
    assert_eq!(summary.new, 8);
    assert_eq!(summary.decoded, 8);
    assert_eq!(summary.issues, 0, "{:?}", fx.issue_kinds());
    for orientation in 1..=8u8 {
        let photo = fx.photo(&format!("o{orientation}.jpg"));
        assert_eq!(photo.orientation, orientation);
        assert_eq!(photo.status, PhotoStatus::Ok);
        assert_eq!((photo.width, photo.height), (Some(40), Some(30)), "stored pixels, before rotation");
        assert_eq!(photo.taken_at.as_deref(), Some(format!("2019-06-0{orientation}T14:03:22").as_str()));
        assert_eq!(photo.taken_offset.as_deref(), Some("+02:00"));
        let (lat, lon) = photo.gps.expect("gps");
        assert!((lat - 48.8584).abs() < 1e-4 && (lon + 2.2945).abs() < 1e-4, "{lat} {lon}");
        assert_eq!(photo.camera_make.as_deref(), Some("Canon"));
        assert_eq!(photo.camera_model.as_deref(), Some("EOS 5D"));
        assert_eq!(photo.format, "jpeg");
    }
}

#[test]
fn decodes_every_supported_format_by_content() {
    let mut fx = Fixture::new();
    let image = testing::test_image(33, 21, 4);
    for (name, format) in [
        ("a.png", ImageFormat::Png),
        ("b.webp", ImageFormat::WebP),
        ("c.tiff", ImageFormat::Tiff),
        ("d.gif", ImageFormat::Gif),
        ("e.bmp", ImageFormat::Bmp),
        ("f.jpg", ImageFormat::Jpeg),
    ] {
        fx.write(name, &testing::encode(&image, format));
    }
    let summary = fx.scan();
    assert_eq!((summary.new, summary.decoded, summary.issues), (6, 6, 0), "{:?}", fx.issue_kinds());
    for (name, format) in
        [("a.png", "png"), ("b.webp", "webp"), ("c.tiff", "tiff"), ("d.gif", "gif"), ("e.bmp", "bmp")]
    {
        let photo = fx.photo(name);
        assert_eq!((photo.format.as_str(), photo.width, photo.height), (format, Some(33), Some(21)));
    }
}

#[test]
fn rescan_of_an_unchanged_tree_reads_nothing() {
    let mut fx = Fixture::new();
    for i in 0..5 {
        fx.write(&format!("p{i}.jpg"), &jpeg(i));
    }
    fx.write("broken.jpg", b"\xFF\xD8\xFF\xE0garbage");
    let first = fx.scan();
    assert_eq!((first.new, first.decoded), (6, 5));
    let second = fx.scan();
    assert_eq!((second.new, second.changed, second.decoded, second.unchanged), (0, 0, 0, 6));
    assert_eq!(second.issues, 1, "the broken file's issue stays while the file does");
}

#[test]
fn a_changed_file_is_read_again_and_keeps_its_identity() {
    let mut fx = Fixture::new();
    let path = fx.write("p.jpg", &jpeg(1));
    fx.scan();
    let before = fx.photo("p.jpg");
    let exif = ExifSpec { date_time_original: Some("2001:02:03 04:05:06".into()), ..ExifSpec::default() };
    fs::write(&path, testing::jpeg_with_exif(80, 60, 2, &exif)).unwrap();
    let summary = fx.scan();
    assert_eq!((summary.changed, summary.decoded), (1, 1));
    let after = fx.photo("p.jpg");
    assert_eq!(after.id, before.id);
    assert_ne!(after.content_hash, before.content_hash);
    assert_eq!((after.width, after.taken_at.as_deref()), (Some(80), Some("2001-02-03T04:05:06")));
}

#[test]
fn a_moved_or_renamed_file_keeps_its_identity() {
    let mut fx = Fixture::new();
    let old = fx.write("2019/beach.jpg", &jpeg(7));
    fx.scan();
    let before = fx.photo("2019/beach.jpg");
    fs::create_dir_all(fx.photos_dir().join("holidays")).unwrap();
    fs::rename(&old, fx.photos_dir().join("holidays/beach-renamed.jpg")).unwrap();
    let summary = fx.scan();
    assert_eq!((summary.moved, summary.new, summary.missing), (1, 0, 0));
    let after = fx.photo("holidays/beach-renamed.jpg");
    assert_eq!(after.id, before.id);
    assert_eq!(fx.catalog().photos(&PhotoFilter::default()).unwrap().len(), 1);
}

#[test]
fn a_file_moved_to_another_library_folder_keeps_its_identity() {
    let mut fx = Fixture::new();
    let other_root = fx.dir.path().join("other");
    fs::create_dir_all(&other_root).unwrap();
    let old = fx.write("a.jpg", &jpeg(3));
    fx.library
        .scan(
            &[fx.photos_dir(), other_root.clone()],
            &ScanOptions::default(),
            &NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let id = fx.photo("a.jpg").id;
    fs::rename(&old, other_root.join("a.jpg")).unwrap();
    let summary = fx.library.scan(&[], &ScanOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!((summary.moved, summary.missing), (1, 0));
    let all = fx.catalog().photos(&PhotoFilter::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, id);
    assert_eq!(all[0].root, fs::canonicalize(&other_root).unwrap());
}

#[test]
fn a_missing_file_is_marked_missing_and_never_deleted() {
    let mut fx = Fixture::new();
    let path = fx.write("p.jpg", &jpeg(1));
    let bytes = fs::read(&path).unwrap();
    fx.scan();
    let id = fx.photo("p.jpg").id;
    fs::remove_file(&path).unwrap();
    let summary = fx.scan();
    assert_eq!(summary.missing, 1);
    let photo = fx.photo("p.jpg");
    assert_eq!((photo.id, photo.status), (id, PhotoStatus::Missing));
    // It comes back: same row, usable again.
    fs::write(&path, bytes).unwrap();
    let summary = fx.scan();
    assert_eq!(summary.missing, 0);
    let photo = fx.photo("p.jpg");
    assert_eq!((photo.id, photo.status), (id, PhotoStatus::Ok));
}

#[test]
fn an_unreachable_folder_leaves_its_photos_alone() {
    let mut fx = Fixture::new();
    fx.write("p.jpg", &jpeg(1));
    fx.scan();
    let root = fs::canonicalize(fx.photos_dir()).unwrap();
    fs::rename(fx.photos_dir(), fx.dir.path().join("unplugged")).unwrap();
    let summary = fx.library.scan(&[], &ScanOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(summary.unreachable_roots, vec![root]);
    assert_eq!(summary.missing, 0);
    let all = fx.catalog().photos(&PhotoFilter::default()).unwrap();
    assert_eq!(all[0].status, PhotoStatus::Ok);
}

#[test]
fn zero_byte_file_is_an_issue() {
    let mut fx = Fixture::new();
    fx.write("empty.jpg", b"");
    let summary = fx.scan();
    assert_eq!(summary.issues, 1);
    assert_eq!(fx.issue_kinds(), vec![("empty.jpg".into(), IssueKind::Empty)]);
    assert_eq!(fx.photo("empty.jpg").status, PhotoStatus::Broken);
}

#[test]
fn corrupt_file_is_an_issue() {
    let mut fx = Fixture::new();
    let mut bytes = jpeg(1);
    // Keep the headers, scramble the entropy-coded data and the markers inside it.
    let start = bytes.len() / 3;
    for (i, byte) in bytes[start..].iter_mut().enumerate() {
        *byte = if i % 2 == 0 { 0xFF } else { 0xD9 };
    }
    fx.write("corrupt.jpg", &bytes);
    fx.write("noise.jpg", &[0x42; 500]);
    let summary = fx.scan();
    assert_eq!(summary.issues, 2, "{:?}", fx.issue_kinds());
    assert_eq!(
        fx.issue_kinds(),
        vec![("corrupt.jpg".into(), IssueKind::Corrupt), ("noise.jpg".into(), IssueKind::NotAnImage)]
    );
}

#[test]
fn truncated_file_is_an_issue() {
    let mut fx = Fixture::new();
    let png = testing::encode(&testing::test_image(300, 200, 1), ImageFormat::Png);
    fx.write("cut.png", &png[..png.len() / 2]);
    let bytes = testing::jpeg_with_exif(300, 200, 1, &ExifSpec::default());
    fx.write("cut.jpg", &bytes[..bytes.len() / 2]);
    let summary = fx.scan();
    let kinds = fx.issue_kinds();
    assert_eq!(summary.issues, 2, "{kinds:?}");
    assert_eq!(
        kinds,
        vec![("cut.jpg".into(), IssueKind::Truncated), ("cut.png".into(), IssueKind::Truncated)]
    );
}

#[test]
fn wrong_extension_is_read_by_content_and_noted() {
    let mut fx = Fixture::new();
    fx.write("really-a-png.jpg", &testing::encode(&testing::test_image(10, 10, 1), ImageFormat::Png));
    let summary = fx.scan();
    assert_eq!(summary.decoded, 1);
    let photo = fx.photo("really-a-png.jpg");
    assert_eq!((photo.format.as_str(), photo.status), ("png", PhotoStatus::Ok));
    assert_eq!(fx.issue_kinds(), vec![("really-a-png.jpg".into(), IssueKind::WrongExtension)]);
}

#[test]
fn an_image_without_an_image_name_is_still_found() {
    let mut fx = Fixture::new();
    fx.write("IMG_0001", &jpeg(1));
    fx.write("notes.txt", b"shopping list");
    let summary = fx.scan();
    assert_eq!((summary.new, summary.other_files, summary.issues), (1, 1, 0));
    assert_eq!(fx.photo("IMG_0001").format, "jpeg");
}

#[test]
fn decompression_bomb_is_refused_before_decoding() {
    let mut fx = Fixture::new();
    fx.write("bomb.png", &testing::png_bomb(100_000, 100_000));
    let summary = fx.scan();
    assert_eq!(summary.decoded, 0);
    assert_eq!(fx.issue_kinds(), vec![("bomb.png".into(), IssueKind::TooLarge)]);
    let photo = fx.photo("bomb.png");
    assert_eq!(
        (photo.width, photo.height, photo.status),
        (Some(100_000), Some(100_000), PhotoStatus::Broken)
    );
}

#[test]
fn heic_raw_and_the_unreadable_rest_are_each_read_or_explained() {
    let mut fx = Fixture::new();
    fx.write("phone.heic", &testing::format_fixture("card-orientation-6.heic"));
    fx.write("camera.cr2", &testing::raw_with_preview(1200, 800, 3));
    let mut tiny = b"II*\0\x10\0\0\0CR\x02\0".to_vec();
    tiny.resize(256, 0);
    fx.write("stub.cr2", &tiny);
    fx.write("future.jxl", b"\xFF\x0A\xFA\x7F\x01\x90\x08\x06\x01\x00\x48\x00\x00");
    let summary = fx.scan();
    let heic = fx.photo("phone.heic");
    assert_eq!(
        (heic.format.as_str(), heic.status, heic.width, heic.height),
        ("heif", PhotoStatus::Ok, Some(96), Some(64))
    );
    assert_eq!(heic.orientation, 1, "a HEIF comes out of its decoder upright");
    let raw = fx.photo("camera.cr2");
    assert_eq!(
        (raw.format.as_str(), raw.status, raw.width, raw.height),
        ("raw", PhotoStatus::Ok, Some(1200), Some(800))
    );
    assert_eq!(fx.photo("stub.cr2").status, PhotoStatus::Unsupported);
    assert_eq!(fx.photo("future.jxl").status, PhotoStatus::Unsupported);
    assert_eq!(summary.unsupported, vec![("jxl".to_string(), 1), ("raw".to_string(), 1)]);
    assert_eq!(
        fx.issue_kinds(),
        vec![("future.jxl".into(), IssueKind::Unsupported), ("stub.cr2".into(), IssueKind::Unsupported)]
    );
    let messages: Vec<String> = fx.catalog().issues().unwrap().into_iter().map(|i| i.message).collect();
    assert!(messages.iter().any(|m| m == "unsupported variant: JPEG XL"), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("no picture the camera rendered")), "{messages:?}");
}

#[test]
fn a_jpeg_with_stray_bytes_between_segments_is_a_healthy_photo() {
    let mut fx = Fixture::new();
    let clean = jpeg(4);
    // After SOI and the APP1 (EXIF) segment, five bytes that belong to no segment.
    let app1_end = 4 + usize::from(u16::from_be_bytes([clean[4], clean[5]]));
    let mut stray = clean[..app1_end].to_vec();
    stray.extend_from_slice(&[0, 1, 2, 3, 4]);
    stray.extend_from_slice(&clean[app1_end..]);
    fx.write("stray.jpg", &stray);
    let summary = fx.scan();
    assert_eq!((summary.issues, fx.photo("stray.jpg").status), (0, PhotoStatus::Ok));
}

fn companions(fx: &Fixture, relative: &str) -> Vec<(String, String)> {
    let photo = fx.photo(relative);
    let root = fs::canonicalize(fx.photos_dir()).unwrap();
    fx.library
        .companions(photo.id)
        .unwrap()
        .into_iter()
        .map(|c| (c.path.strip_prefix(&root).unwrap().to_string_lossy().into_owned(), c.kind))
        .collect()
}

fn photo_paths(fx: &Fixture) -> Vec<String> {
    let root = fs::canonicalize(fx.photos_dir()).unwrap();
    let mut paths: Vec<String> = fx
        .catalog()
        .photos(&PhotoFilter::default())
        .unwrap()
        .into_iter()
        .filter(|p| p.status != PhotoStatus::Missing)
        .map(|p| p.path.strip_prefix(&root).unwrap().to_string_lossy().into_owned())
        .collect();
    paths.sort();
    paths
}

#[test]
fn a_raw_and_jpeg_pair_and_a_live_photo_are_one_photo_each_and_videos_are_listed() {
    let mut fx = Fixture::new();
    fx.write("trip/IMG_0001.JPG", &jpeg(1));
    fx.write("trip/IMG_0001.CR2", &testing::raw_with_preview(1200, 800, 1));
    fx.write("trip/IMG_0002.HEIC", &testing::format_fixture("card-orientation-1.heic"));
    fx.write("trip/IMG_0002.MOV", b"\0\0\0\x14ftypqt  \0\0\0\0qt  ");
    fx.write("trip/IMG_0003.CR2", &testing::raw_with_preview(1200, 800, 3));
    fx.write("trip/clip.mp4", b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom");
    let summary = fx.scan();
    assert_eq!(photo_paths(&fx), ["trip/IMG_0001.JPG", "trip/IMG_0002.HEIC", "trip/IMG_0003.CR2"]);
    assert_eq!((summary.photos_seen, summary.companions, summary.videos, summary.issues), (3, 2, 1, 0));
    assert_eq!(companions(&fx, "trip/IMG_0001.JPG"), [("trip/IMG_0001.CR2".to_string(), "raw".to_string())]);
    assert_eq!(
        companions(&fx, "trip/IMG_0002.HEIC"),
        [("trip/IMG_0002.MOV".to_string(), "video".to_string())]
    );
    let videos = fx.library.videos().unwrap();
    assert_eq!(videos.len(), 2);
    assert_eq!(
        videos.iter().filter(|v| v.photo_id.is_some()).count(),
        1,
        "the Live Photo's video knows its photo"
    );
    assert_eq!(fx.library.status().unwrap().photos, 3, "a shot is counted once");

    // A rescan changes nothing; the pair moves together and stays a pair.
    assert_eq!(fx.scan().unchanged, 3);
    let id = fx.photo("trip/IMG_0001.JPG").id;
    fs::create_dir_all(fx.photos_dir().join("moved")).unwrap();
    for name in ["IMG_0001.JPG", "IMG_0001.CR2"] {
        fs::rename(fx.photos_dir().join("trip").join(name), fx.photos_dir().join("moved").join(name))
            .unwrap();
    }
    let summary = fx.scan();
    assert_eq!((summary.moved, summary.missing, summary.companions), (1, 0, 2));
    assert_eq!(fx.photo("moved/IMG_0001.JPG").id, id, "the moved photo keeps its identity");
    assert_eq!(
        companions(&fx, "moved/IMG_0001.JPG"),
        [("moved/IMG_0001.CR2".to_string(), "raw".to_string())]
    );

    // Without its JPEG, the RAW file is a photo of its own.
    fs::remove_file(fx.photos_dir().join("moved/IMG_0001.JPG")).unwrap();
    let summary = fx.scan();
    assert_eq!((summary.new, summary.missing), (1, 1));
    assert_eq!(fx.photo("moved/IMG_0001.CR2").status, PhotoStatus::Ok);
}

#[test]
fn a_raw_file_with_faces_stays_the_photo_when_its_jpeg_arrives_later() {
    let mut fx = Fixture::new();
    fx.write("IMG_0005.NEF", &testing::raw_with_preview(1200, 800, 5));
    fx.scan();
    let raw = fx.photo("IMG_0005.NEF");
    {
        let catalog = fx.library.catalog_mut();
        let tx = catalog.conn_mut().transaction().unwrap();
        let face = crate::FoundFace {
            x: 10.0,
            y: 10.0,
            w: 40.0,
            h: 40.0,
            score: 0.9,
            landmarks: [[0.0; 2]; 5],
            embedding: vec![0.0; 128],
            embedding_norm: 1.0,
        };
        Catalog::write_faces(&tx, raw.id, raw.content_hash.as_deref().unwrap(), "test", &[face], "now")
            .unwrap();
        tx.commit().unwrap();
    }
    fx.write("IMG_0005.JPG", &jpeg(5));
    let summary = fx.scan();
    assert_eq!(photo_paths(&fx), ["IMG_0005.NEF"]);
    assert_eq!(summary.companions, 1);
    assert_eq!(companions(&fx, "IMG_0005.NEF"), [("IMG_0005.JPG".to_string(), "image".to_string())]);
}

#[test]
fn a_raw_file_recorded_alone_becomes_the_companion_of_its_jpeg() {
    let mut fx = Fixture::new();
    // A RAW file with no usable preview, recorded (as an unsupported photo with an issue) before
    // its JPEG was copied next to it.
    let mut stub = b"II*\0\x10\0\0\0CR\x02\0".to_vec();
    stub.resize(256, 0);
    fx.write("IMG_0006.CR2", &stub);
    fx.scan();
    assert_eq!(fx.issue_kinds().len(), 1);
    fx.write("IMG_0006.JPG", &jpeg(6));
    let summary = fx.scan();
    assert_eq!((photo_paths(&fx), summary.missing, summary.issues), (vec!["IMG_0006.JPG".to_string()], 0, 0));
    assert_eq!(fx.library.status().unwrap().photos, 1);
}

#[test]
fn a_sidecar_orientation_turns_a_photo_that_has_none_of_its_own() {
    let mut fx = Fixture::new();
    // Stored turned (landscape pixels), shown upright by the sidecar's orientation 6, with a
    // named region given in the stored image's frame.
    fx.write("turned.jpg", &testing::encode(&testing::test_image(80, 60, 1), ImageFormat::Jpeg));
    fx.write("turned.jpg.xmp", testing::sidecar_xmp(6, Some(("Anna", [0.25, 0.5, 0.2, 0.3]))).as_bytes());
    // One with its own EXIF orientation: the file's word stands.
    let own = testing::jpeg_with_exif(80, 60, 2, &ExifSpec { orientation: Some(3), ..ExifSpec::default() });
    fx.write("own.jpg", &own);
    fx.write("own.xmp", testing::sidecar_xmp(6, None).as_bytes());
    // A RAW file: the sidecar wins over the file (Lightroom keeps the user's rotation there).
    fx.write("shot.dng", &testing::raw_with_preview(1200, 800, 7));
    fx.write("shot.xmp", testing::sidecar_xmp(8, None).as_bytes());
    fx.scan();
    assert_eq!(fx.photo("turned.jpg").orientation, 6);
    assert_eq!(fx.photo("turned.jpg").upright_size(), Some((60, 80)));
    assert_eq!(fx.photo("own.jpg").orientation, 3);
    assert_eq!(fx.photo("shot.dng").orientation, 8);
    // The region, turned with the photo: the stored left half is the shown top half.
    let id = fx.photo("turned.jpg").id;
    let [x, y, w, h]: [f32; 4] = fx
        .catalog()
        .conn()
        .query_row("SELECT x, y, w, h FROM photo_regions WHERE photo_id = ?1", [id], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?])
        })
        .unwrap();
    let expected = crate::xmp::stored_to_shown(6, [0.15, 0.35, 0.2, 0.3]);
    for (a, b) in [x, y, w, h].iter().zip(expected) {
        assert!((a - b).abs() < 1e-4, "{:?} vs {expected:?}", [x, y, w, h]);
    }
    assert!(y < 0.5, "the region is in the upper half of the upright photo");

    // The user turns it the other way in another program: the photo follows.
    std::thread::sleep(std::time::Duration::from_millis(10));
    fx.write("turned.jpg.xmp", testing::sidecar_xmp(8, Some(("Anna", [0.25, 0.5, 0.2, 0.3]))).as_bytes());
    fx.scan();
    assert_eq!(fx.photo("turned.jpg").orientation, 8);
}

#[cfg(unix)]
#[test]
fn non_utf8_names_round_trip() {
    use std::os::unix::ffi::OsStrExt;
    let mut fx = Fixture::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9-\xff.jpg");
    fs::write(fx.photos_dir().join(name), jpeg(1)).unwrap();
    let summary = fx.scan();
    assert_eq!((summary.new, summary.issues), (1, 0));
    let photos = fx.catalog().photos(&PhotoFilter::default()).unwrap();
    assert_eq!(photos[0].path.file_name().unwrap().as_bytes(), name.as_bytes());
    assert!(photos[0].path.exists(), "the stored path names the real file");
    assert_eq!(fx.scan().unchanged, 1, "found again by its exact bytes");
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_broken_links_are_issues() {
    let mut fx = Fixture::new();
    fx.write("album/p.jpg", &jpeg(1));
    std::os::unix::fs::symlink(fx.photos_dir(), fx.photos_dir().join("album/loop")).unwrap();
    std::os::unix::fs::symlink(fx.dir.path().join("nowhere.jpg"), fx.photos_dir().join("dangling.jpg"))
        .unwrap();
    let summary = fx.scan();
    assert_eq!(summary.new, 1);
    assert_eq!(
        fx.issue_kinds(),
        vec![("album/loop".into(), IssueKind::SymlinkLoop), ("dangling.jpg".into(), IssueKind::BrokenLink)]
    );
}

/// Deletes a file as soon as the scan has planned its work, before the file is read.
struct DeleteWhenPlanned(Mutex<Option<PathBuf>>);

impl crate::EventSink for DeleteWhenPlanned {
    fn event(&self, event: Event) {
        if let Event::ScanPlanned { .. } = event
            && let Some(path) = self.0.lock().unwrap().take()
        {
            fs::remove_file(path).unwrap();
        }
    }
}

#[test]
fn a_file_deleted_mid_scan_is_an_issue_and_the_scan_finishes() {
    let mut fx = Fixture::new();
    for i in 0..4 {
        fx.write(&format!("p{i}.jpg"), &jpeg(i));
    }
    let doomed = fx.write("doomed.jpg", &jpeg(9));
    let sink = DeleteWhenPlanned(Mutex::new(Some(doomed)));
    let summary =
        fx.library.scan(&[fx.photos_dir()], &ScanOptions::default(), &sink, &CancelToken::new()).unwrap();
    assert!(!summary.cancelled);
    assert_eq!(summary.new, 4);
    assert_eq!(fx.issue_kinds(), vec![("doomed.jpg".into(), IssueKind::Vanished)]);
    // The next scan no longer sees the file, so the issue goes away.
    assert_eq!(fx.scan().issues, 0);
}

/// Cancels the scan once `after` files were read.
struct CancelAfter {
    token: CancelToken,
    after: u64,
}

impl crate::EventSink for CancelAfter {
    fn event(&self, event: Event) {
        if let Event::ScanProgress { done, .. } = event
            && done >= self.after
        {
            self.token.cancel();
        }
    }
}

#[test]
fn a_cancelled_scan_keeps_its_work_and_the_next_one_finishes() {
    let mut fx = Fixture::new();
    for i in 0..200 {
        fx.write(&format!("p{i:03}.jpg"), &jpeg(i));
    }
    let token = CancelToken::new();
    let sink = CancelAfter { token: token.clone(), after: 10 };
    let first = fx.library.scan(&[fx.photos_dir()], &ScanOptions::default(), &sink, &token).unwrap();
    assert!(first.cancelled);
    assert!(first.new >= 10 && first.new < 200, "{}", first.new);
    assert_eq!(first.missing, 0);
    let recorded = fx.catalog().photos(&PhotoFilter::default()).unwrap().len() as u64;
    assert_eq!(recorded, first.new);
    let second = fx.scan();
    assert_eq!((second.unchanged, second.new), (first.new, 200 - first.new));
    let jobs = fx.library.recent_jobs(2).unwrap();
    assert_eq!(jobs[1].status, crate::JobStatus::Cancelled);
    assert_eq!(jobs[0].status, crate::JobStatus::Completed);
}

#[test]
fn fixed_files_lose_their_issue() {
    let mut fx = Fixture::new();
    let path = fx.write("p.jpg", b"not yet a photo");
    assert_eq!(fx.scan().issues, 1);
    fs::write(&path, jpeg(1)).unwrap();
    let summary = fx.scan();
    assert_eq!((summary.issues, summary.changed), (0, 1));
    assert_eq!(fx.photo("p.jpg").status, PhotoStatus::Ok);
}

#[test]
fn date_filters_are_inclusive_and_newest_first() {
    let mut fx = Fixture::new();
    for (i, date) in
        ["2018:12:31 23:59:59", "2019:01:01 00:00:00", "2019:06:15 12:00:00", "2019:12:31 23:59:59"]
            .iter()
            .enumerate()
    {
        let exif = ExifSpec { date_time_original: Some(date.to_string()), ..ExifSpec::default() };
        fx.write(&format!("p{i}.jpg"), &testing::jpeg_with_exif(16, 16, i as u32, &exif));
    }
    fx.write("undated.jpg", &jpeg(99));
    fx.scan();
    let filter = PhotoFilter {
        from: Some("2019-01-01".into()),
        to: Some("2019-12-31".into()),
        ..PhotoFilter::default()
    };
    let names: Vec<String> = fx
        .catalog()
        .photos(&filter)
        .unwrap()
        .iter()
        .map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["p3.jpg", "p2.jpg", "p1.jpg"]);
    let all = fx.catalog().photos(&PhotoFilter::default()).unwrap();
    assert_eq!(all.last().unwrap().path.file_name().unwrap(), "undated.jpg", "undated photos come last");
}

#[test]
fn scanning_a_missing_folder_is_a_clear_error() {
    let mut fx = Fixture::new();
    let error = fx
        .library
        .scan(
            &[Path::new("/no/such/folder").to_path_buf()],
            &ScanOptions::default(),
            &NoProgress,
            &CancelToken::new(),
        )
        .unwrap_err();
    assert_eq!(error.kind(), crate::ErrorKind::NotFound);
    assert!(error.to_string().contains("/no/such/folder"), "{error}");
}

#[test]
fn files_that_are_not_photos_are_passed_over_on_every_scan() {
    let mut fx = Fixture::new();
    fx.write("clip.mp4", &[0u8; 4096]);
    fx.write("notes.txt", b"shopping list");
    fx.write("data.bin", &[7u8; 100]);
    fx.write("p.jpg", &jpeg(1));
    for _ in 0..2 {
        let summary = fx.scan();
        assert_eq!((summary.other_files, summary.videos, summary.issues), (2, 1, 0));
    }
    assert_eq!(fx.catalog().photos(&PhotoFilter::default()).unwrap().len(), 1);
}

#[test]
fn a_removed_folder_leaves_lists_and_scans_and_comes_back_whole() {
    let mut fx = Fixture::new();
    fx.write("a.jpg", &jpeg(1));
    fx.write("b.jpg", &jpeg(2));
    fx.scan();
    let ids: Vec<i64> = ["a.jpg", "b.jpg"].iter().map(|p| fx.photo(p).id).collect();
    assert_eq!(fx.library.remove_root(&fx.photos_dir()).unwrap(), 2);
    assert!(fx.library.roots().unwrap().is_empty());
    assert!(fx.catalog().photos(&PhotoFilter::default()).unwrap().is_empty());
    // With no folder left, a rescan has nothing to do rather than reading the removed one.
    let rescan = fx.library.scan(&[], &ScanOptions::default(), &NoProgress, &CancelToken::new());
    assert_eq!(rescan.unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    let err = fx.library.remove_root(&fx.dir.path().join("elsewhere")).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::NotFound);
    // Adding it again brings back the same rows, so whatever hangs on them is still there.
    fx.scan();
    let again: Vec<i64> = ["a.jpg", "b.jpg"].iter().map(|p| fx.photo(p).id).collect();
    assert_eq!(again, ids);
    assert_eq!(fx.library.roots().unwrap().len(), 1);
}
