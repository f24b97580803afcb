//! Real files from phones and cameras (fetched from package registries by
//! `scripts/fetch-test-media`), and every orientation of a HEIC compared with the same picture
//! as a JPEG: read right side up, once.

use std::path::{Path, PathBuf};

use image::RgbImage;
use kindred_core::media::{self, Format};
use kindred_core::{CancelToken, Library, NoProgress, PhotoFilter, PhotoStatus, ScanOptions};

use crate::util::engine;

fn test_media(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("media").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} ({e}): run scripts/fetch-test-media", path.display()))
}

fn format_fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/formats").join(name)).unwrap()
}

const LIMIT: u64 = 250_000_000;

/// An 8×8 grey thumbnail (box filter), the resolution at which a picture's layout shows.
fn thumbnail(image: &RgbImage) -> Vec<f64> {
    let (w, h) = image.dimensions();
    let mut cells = vec![0.0f64; 64];
    let mut counts = vec![0u32; 64];
    for (x, y, px) in image.enumerate_pixels() {
        let cell = (y * 8 / h) as usize * 8 + (x * 8 / w) as usize;
        cells[cell] += 0.299 * f64::from(px[0]) + 0.587 * f64::from(px[1]) + 0.114 * f64::from(px[2]);
        counts[cell] += 1;
    }
    cells.iter().zip(counts).map(|(s, n)| s / f64::from(n.max(1))).collect()
}

fn mean_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

/// The phone's photo decoded by libheif 1.23 through pillow-heif (which applies the container's
/// rotation and ignores the EXIF tag), as 8×8 grey thumbnails: size as shown, then the cells.
const REFERENCES: [(&str, (u32, u32), [u8; 64]); 4] = [
    (
        "apple-iphone8plus-arrow.heic",
        (3024, 4032),
        [
            157, 158, 160, 156, 158, 168, 169, 172, 159, 163, 156, 151, 151, 160, 171, 173, 163, 152, 154,
            164, 165, 157, 158, 175, 150, 143, 143, 163, 159, 145, 151, 167, 161, 161, 143, 162, 162, 148,
            166, 171, 161, 162, 143, 150, 152, 141, 168, 171, 159, 162, 162, 164, 165, 167, 168, 170, 157,
            158, 160, 162, 163, 165, 166, 167,
        ],
    ),
    (
        "apple-iphone13pro-pug.heic",
        (4032, 3024),
        [
            191, 219, 224, 222, 225, 223, 220, 214, 187, 200, 200, 198, 200, 198, 196, 193, 184, 191, 191,
            192, 192, 188, 186, 183, 182, 185, 187, 186, 176, 184, 182, 179, 179, 182, 180, 113, 57, 177,
            180, 172, 174, 180, 147, 81, 61, 162, 178, 100, 162, 157, 117, 58, 104, 146, 103, 60, 105, 130,
            104, 76, 82, 84, 71, 64,
        ],
    ),
    (
        "samsung-s25ultra-map.heic",
        (4000, 1848),
        [
            122, 132, 131, 111, 128, 146, 136, 127, 136, 128, 139, 117, 122, 147, 137, 127, 147, 114, 139,
            116, 116, 148, 138, 128, 141, 120, 130, 119, 116, 145, 138, 127, 144, 130, 126, 128, 121, 139,
            137, 127, 148, 120, 126, 132, 122, 134, 137, 126, 145, 124, 128, 129, 123, 123, 135, 124, 147,
            128, 129, 129, 119, 114, 133, 123,
        ],
    ),
    (
        "xiaomi-m2012k11ag.heic",
        (2592, 1944),
        [
            81, 122, 103, 182, 226, 218, 224, 229, 146, 118, 98, 149, 225, 222, 220, 225, 217, 102, 121, 106,
            203, 218, 222, 226, 226, 175, 96, 80, 182, 218, 219, 224, 226, 220, 127, 111, 148, 215, 223, 227,
            218, 218, 211, 139, 205, 224, 222, 225, 220, 221, 215, 208, 213, 222, 223, 231, 218, 207, 215,
            214, 215, 216, 227, 231,
        ],
    ),
];

#[test]
fn phone_heics_from_three_makers_are_read_upright_once() {
    for (name, shown, reference) in REFERENCES {
        let bytes = test_media(name);
        assert_eq!(Format::sniff(&bytes, Some("heic")), Some(Format::Heif), "{name}");
        let facts = media::inspect(&bytes, Format::Heif, LIMIT);
        assert_eq!(facts.problem, None, "{name}");
        assert_eq!(facts.size, Some(shown), "{name}: the size as shown");
        assert!(
            facts.exif.camera_make.is_some() && facts.exif.taken_at.is_some(),
            "{name}: {:?}",
            facts.exif
        );
        let decoded = media::decode(&bytes, Format::Heif, None, LIMIT).unwrap();
        // What the face job sees: the orientation the scan records applied to the pixels.
        let upright = media::orient(
            decoded.image,
            kindred_core::scan::effective_orientation("heif", facts.orientation, None),
        );
        assert_eq!(upright.dimensions(), shown, "{name}");
        let reference: Vec<f64> = reference.iter().map(|&v| f64::from(v)).collect();
        let ours = thumbnail(&upright);
        let difference = mean_difference(&ours, &reference);
        assert!(difference < 4.0, "{name}: {difference} grey levels from libheif's own rendering");
        // Turned once more (the classic double rotation), it would not match.
        for orientation in 2..=8 {
            let turned = thumbnail(&media::orient(upright.clone(), orientation));
            if turned.len() == ours.len() && orientation != 1 {
                assert!(
                    mean_difference(&turned, &reference) > difference,
                    "{name}: orientation {orientation}"
                );
            }
        }
    }
    let makers: Vec<String> = REFERENCES
        .iter()
        .map(|(name, ..)| media::inspect(&test_media(name), Format::Heif, LIMIT).exif.camera_make.unwrap())
        .collect();
    assert_eq!(makers, ["Apple", "Apple", "samsung", "Xiaomi"]);
}

#[test]
fn a_200_megapixel_heic_is_refused_before_decoding_not_after() {
    let bytes = test_media("samsung-s24ultra-200mp.heic");
    let facts = media::inspect(&bytes, Format::Heif, LIMIT);
    assert_eq!(facts.size, Some((12240, 16320)), "shown upright: its container turns it");
    assert_eq!(facts.exif.camera_model.as_deref(), Some("Galaxy S24 Ultra"));
    let refused = media::decode(&bytes, Format::Heif, None, 100_000_000).unwrap_err();
    assert!(matches!(refused, media::DecodeError::TooLarge { .. }), "{refused:?}");
}

/// Faces found in `image`, as boxes normalised to the picture.
fn face_boxes(image: &RgbImage) -> Vec<[f32; 4]> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let mut boxes: Vec<[f32; 4]> =
        engine().detect(image).into_iter().map(|d| [d.x / w, d.y / h, d.w / w, d.h / h]).collect();
    boxes.sort_by(|a, b| a[0].total_cmp(&b[0]));
    boxes
}

fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let w = ((a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0])).max(0.0);
    let h = ((a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1])).max(0.0);
    w * h / (a[2] * a[3] + b[2] * b[3] - w * h)
}

#[test]
fn a_heic_in_every_orientation_shows_its_faces_where_the_jpeg_does() {
    // The same picture as a JPEG: the portrait the fixtures were made from, scaled alike.
    let jpeg = media::decode(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/photos/biden-official-2013.jpg"),
        )
        .unwrap(),
        Format::Jpeg,
        None,
        LIMIT,
    )
    .unwrap()
    .image;
    let crop =
        image::imageops::crop_imm(&jpeg, jpeg.width() / 8, 0, jpeg.width() * 3 / 4, jpeg.height()).to_image();
    let expected = face_boxes(&crop);
    assert_eq!(expected.len(), 1, "{expected:?}");
    for orientation in 1..=8 {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("portrait.heic"),
            format_fixture(&format!("portrait-orientation-{orientation}.heic")),
        )
        .unwrap();
        // Through the library, as a user's photo is read: scan, then the face job.
        let mut library = Library::open(&dir.path().join("library.db")).unwrap();
        library
            .scan(&[dir.path().to_path_buf()], &ScanOptions::default(), &NoProgress, &CancelToken::new())
            .unwrap();
        let photo = library.photos(&PhotoFilter::default()).unwrap().pop().unwrap();
        assert_eq!(photo.status, PhotoStatus::Ok);
        assert_eq!(photo.upright_size(), Some((360, 480)), "orientation {orientation}");
        library.find_faces(engine(), &NoProgress, &CancelToken::new()).unwrap();
        let faces = library.faces_of_photo(photo.id).unwrap();
        assert_eq!(faces.len(), 1, "orientation {orientation}");
        let f = &faces[0];
        let found = [f.x / 360.0, f.y / 480.0, f.w / 360.0, f.h / 480.0];
        assert!(iou(found, expected[0]) > 0.8, "orientation {orientation}: {found:?} vs {:?}", expected[0]);
    }
}

#[test]
fn a_canon_raw_file_is_read_through_its_camera_preview() {
    let bytes = test_media("canon-eos30d.cr2");
    assert_eq!(Format::sniff(&bytes, Some("cr2")), Some(Format::Raw));
    let facts = media::inspect(&bytes, Format::Raw, LIMIT);
    assert_eq!(facts.problem, None);
    assert_eq!(facts.size, Some((1728, 1152)), "the largest preview, not the 160×120 thumbnail");
    assert_eq!(facts.exif.camera_make.as_deref(), Some("Canon"));
    assert_eq!(facts.exif.camera_model.as_deref(), Some("Canon EOS 30D"));
    assert!(facts.exif.taken_at.is_some());
    let quarter = media::decode(&bytes, Format::Raw, Some(432), LIMIT).unwrap();
    assert_eq!(quarter.image.dimensions(), (432, 288), "decoded at a quarter in the DCT domain");
}

#[test]
fn a_canon_cr3_is_read_through_its_camera_preview() {
    // An EOS R6 file whose raw data was cut out: its 1620×1080 preview (in the `PRVW` box of a
    // Canon UUID box) is what Kindred reads.
    let bytes = test_media("canon-eosr6-preview-only.cr3");
    assert_eq!(Format::sniff(&bytes, Some("cr3")), Some(Format::Raw));
    let facts = media::inspect(&bytes, Format::Raw, LIMIT);
    assert_eq!(facts.problem, None);
    assert_eq!(facts.size, Some((1620, 1080)));
    assert_eq!(facts.exif.camera_model.as_deref(), Some("Canon EOS R6"));
    assert_eq!(facts.exif.taken_at.as_deref(), Some("2021-05-12T12:21:21"));
    let decoded = media::decode(&bytes, Format::Raw, None, LIMIT).unwrap();
    assert_eq!(decoded.image.dimensions(), (1620, 1080));
}

#[test]
fn raw_files_of_four_makers_and_a_dng_give_their_metadata_and_say_plainly_that_their_preview_is_unusable() {
    // Real cameras' files whose pictures were cut down to stubs: the container is read (dates,
    // camera) and the missing preview is an issue in plain words, never "damaged".
    let files = [
        ("stub-nikon-d70.nef", "NIKON D70", "2004-06-09T16:02:35"),
        ("stub-canon-350d.dng", "Canon EOS 350D DIGITAL", "2005-08-03T18:59:18"),
        ("stub-fujifilm-s5pro.raf", "FinePix S5Pro", "2007-05-22T13:58:30"),
        ("stub-panasonic-lx3.rw2", "DMC-LX3", "2008-08-06T15:21:56"),
        ("stub-canon-m50.cr3", "Canon EOS M50", "2018-02-21T12:08:56"),
    ];
    for (name, model, taken) in files {
        let bytes = test_media(name);
        let extension = name.rsplit('.').next();
        assert_eq!(Format::sniff(&bytes, extension), Some(Format::Raw), "{name}");
        let facts = media::inspect(&bytes, Format::Raw, LIMIT);
        assert!(
            matches!(facts.problem, Some(media::DecodeError::NoPreview(_))),
            "{name}: {:?}",
            facts.problem
        );
        let said = facts.problem.unwrap().to_string();
        assert!(said.contains("preview") && !said.contains("damaged"), "{name}: {said}");
        assert_eq!(facts.exif.camera_model.as_deref(), Some(model), "{name}");
        assert_eq!(facts.exif.taken_at.as_deref(), Some(taken), "{name}");
    }
}

#[test]
fn an_iphone_heic_rotated_by_its_container_and_its_exif_is_turned_once() {
    // `irot` 270 and EXIF orientation 6 both say "a quarter turn": applied once, the 4032×3024
    // sensor picture stands 3024×4032.
    let bytes = test_media("apple-iphonexr-rotated.heic");
    let facts = media::inspect(&bytes, Format::Heif, LIMIT);
    assert_eq!(facts.exif.orientation, Some(6));
    assert_eq!(facts.orientation, Some(1), "the container's rotation already applies it");
    assert_eq!(facts.size, Some((3024, 4032)));
    assert_eq!(facts.exif.camera_model.as_deref(), Some("iPhone XR"));
}

#[test]
fn a_phone_video_is_listed_as_a_video_and_a_phone_jpeg_turned_upright() {
    let dir = tempfile::tempdir().unwrap();
    let folder: PathBuf = dir.path().join("camera roll");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("VID_1.mp4"), test_media("android-phone.mp4")).unwrap();
    std::fs::write(folder.join("IMG_1.jpg"), test_media("xiaomi-mia3-orientation-3.jpg")).unwrap();
    let mut library = Library::open(&dir.path().join("library.db")).unwrap();
    let summary =
        library.scan(&[folder.clone()], &ScanOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!((summary.photos_seen, summary.videos, summary.issues), (1, 1, 0));
    let photo = library.photos(&PhotoFilter::default()).unwrap().pop().unwrap();
    assert_eq!((photo.orientation, photo.camera_make.as_deref()), (3, Some("Xiaomi")));
    assert_eq!(library.videos().unwrap().len(), 1);
}
