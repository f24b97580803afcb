//! The face pipeline with the real networks on the CPU, on the committed sample photos.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::*;
use crate::{CancelToken, Library, NoProgress, ScanOptions};

fn engine() -> &'static FaceEngine {
    static ENGINE: OnceLock<FaceEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = locate_models().expect("the face models (scripts/fetch-models)");
        FaceEngine::load(&dir, Device::Cpu).expect("the face models load")
    })
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/photos").join(name)
}

fn faces_in(name: &str) -> Vec<FoundFace> {
    engine().analyze_files(&[sample(name)]).pop().unwrap().expect("the sample photo is readable")
}

#[test]
fn finds_every_face_of_the_portraits_and_the_crowd() {
    for (name, expected) in [
        ("obama-official-2012.jpg", 1),
        ("biden-white-house.jpg", 1),
        ("biden-official-2013.jpg", 1),
        ("curie-portrait.jpg", 2),
        ("curie-portrait-orientation-6.jpg", 2),
    ] {
        let faces = faces_in(name);
        assert_eq!(faces.len(), expected, "{name}: {faces:?}");
        for face in &faces {
            let norm: f32 = face.embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert_eq!(face.embedding.len(), 128);
            assert!((norm - 1.0).abs() < 1e-4, "{name}: embedding norm {norm}");
        }
    }
    // 29 people sit in the 1927 Solvay photo.
    let crowd = faces_in("solvay-1927.jpg");
    assert!((28..=30).contains(&crowd.len()), "solvay: {} faces", crowd.len());
}

#[test]
fn the_rotated_copy_has_its_faces_in_the_same_places_as_shown() {
    let upright = faces_in("curie-portrait.jpg");
    let rotated = faces_in("curie-portrait-orientation-6.jpg");
    for face in &upright {
        let best = rotated
            .iter()
            .map(|r| crate::geometry::iou([face.x, face.y, face.w, face.h], [r.x, r.y, r.w, r.h]))
            .fold(0.0, f32::max);
        assert!(best > 0.8, "face at ({}, {}) has no match in the rotated copy (IoU {best})", face.x, face.y);
    }
}

#[test]
fn the_same_person_is_closer_than_different_people() {
    let biden_a = &faces_in("biden-official-2013.jpg")[0];
    let biden_b = &faces_in("biden-white-house.jpg")[0];
    let obama = &faces_in("obama-official-2012.jpg")[0];
    let same = cosine(&biden_a.embedding, &biden_b.embedding);
    let different = cosine(&biden_a.embedding, &obama.embedding);
    assert!(same >= SAME_PERSON_COSINE, "Biden and Biden: {same}");
    assert!(different < SAME_PERSON_COSINE, "Biden and Obama: {different}");
}

#[test]
fn the_face_job_is_idempotent_resumable_and_keeps_thumbnails() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for name in ["obama-official-2012.jpg", "biden-white-house.jpg", "curie-portrait.jpg"] {
        std::fs::copy(sample(name), photos.join(name)).unwrap();
    }
    std::fs::write(
        photos.join("no-face.png"),
        crate::testing::encode(&crate::testing::test_image(64, 64, 1), image::ImageFormat::Png),
    )
    .unwrap();
    let mut library = Library::open(&dir.path().join("k.db")).unwrap();
    library
        .scan(std::slice::from_ref(&photos), &ScanOptions::default(), &NoProgress, &CancelToken::new())
        .unwrap();

    // Cancelled before the first chunk: nothing recorded, nothing lost.
    let cancelled = CancelToken::new();
    cancelled.cancel();
    let first = library.find_faces(engine(), &NoProgress, &cancelled).unwrap();
    assert!(first.cancelled);
    assert_eq!(first.analyzed, 0);

    let second = library.find_faces(engine(), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!((second.to_analyze, second.analyzed, second.faces, second.photos_with_faces), (4, 4, 4, 3));
    let third = library.find_faces(engine(), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(third.to_analyze, 0, "nothing is analysed twice");

    let curie = library
        .photos(&crate::PhotoFilter::default())
        .unwrap()
        .into_iter()
        .find(|p| p.path.ends_with("curie-portrait.jpg"))
        .unwrap();
    let faces = library.faces_of_photo(curie.id).unwrap();
    assert_eq!(faces.len(), 2);
    for face in &faces {
        let thumbnail = library.face_thumbnail(face.id).unwrap();
        let image = image::open(&thumbnail).unwrap();
        assert_eq!((image.width(), image.height()), (thumbs::THUMBNAIL_SIDE, thumbs::THUMBNAIL_SIDE));
    }
    // A thumbnail missing from the cache is made again from the photo.
    let first_thumbnail = library.face_thumbnail(faces[0].id).unwrap();
    std::fs::remove_file(&first_thumbnail).unwrap();
    assert!(library.face_thumbnail(faces[0].id).unwrap().is_file());

    // New content at the same path: its faces are found again, in place of the old ones.
    std::fs::copy(sample("obama-official-2012.jpg"), photos.join("curie-portrait.jpg")).unwrap();
    library.scan(&[], &ScanOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    let fourth = library.find_faces(engine(), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!((fourth.analyzed, fourth.faces), (1, 1));
    assert_eq!(library.faces_of_photo(curie.id).unwrap().len(), 1);
}

#[test]
fn a_face_is_found_in_a_tight_crop() {
    // Crops of one face fill the frame: the retry at a smaller scale with a border finds them.
    let photo = image::open(sample("obama-official-2012.jpg")).unwrap().to_rgb8();
    let face = &engine().detect(&photo)[0];
    let crop = image::imageops::crop_imm(
        &photo,
        face.x.max(0.0) as u32,
        face.y.max(0.0) as u32,
        face.w as u32,
        face.h as u32,
    )
    .to_image();
    let found = engine().detect(&crop);
    assert_eq!(found.len(), 1, "{found:?}");
}
