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

/// A large photo of a field with one small face far off (the Obama portrait's face, 48 pixels
/// wide): at the detector's first-pass scale the face shrinks below what it can see, so no face
/// is found, as happens with a face in the distance of a landscape.
fn photo_with_a_small_face() -> (RgbImage, [f32; 4], Vec<f32>) {
    let portrait = image::open(sample("obama-official-2012.jpg")).unwrap().to_rgb8();
    let found = &faces_in("obama-official-2012.jpg")[0];
    let side = found.w.max(found.h) * 1.6;
    let (left, top) =
        ((found.x + found.w / 2.0 - side / 2.0).max(0.0), (found.y + found.h / 2.0 - side / 2.0).max(0.0));
    let head =
        image::imageops::crop_imm(&portrait, left as u32, top as u32, side as u32, side as u32).to_image();
    let scale = 48.0 / found.w;
    let small = image::imageops::resize(
        &head,
        (side * scale) as u32,
        (side * scale) as u32,
        image::imageops::FilterType::Triangle,
    );
    let mut field = RgbImage::from_fn(3200, 2400, |x, y| {
        image::Rgb([90 + (x / 40) as u8 % 20, 130 + (y / 60) as u8 % 25, 70])
    });
    let (at_x, at_y) = (2200i64, 1500i64);
    image::imageops::replace(&mut field, &small, at_x, at_y);
    let face_box = [
        at_x as f32 + (found.x - left) * scale,
        at_y as f32 + (found.y - top) * scale,
        found.w * scale,
        found.h * scale,
    ];
    (field, face_box, found.embedding.clone())
}

#[test]
fn a_face_drawn_where_the_detector_missed_it_is_found_aligned_and_recognised() {
    let (field, face_box, portrait_embedding) = photo_with_a_small_face();
    assert!(engine().detect(&field).is_empty(), "the detector misses the distant face");
    let face = engine().face_in_box(&field, face_box);
    assert!(face.score > 0.0, "the detector finds it once told where to look");
    assert_eq!([face.x, face.y, face.w, face.h], face_box, "the box stays the user's");
    let similarity = cosine(&face.embedding, &portrait_embedding);
    assert!(similarity >= SAME_PERSON_COSINE, "the drawn face is recognised as the portrait's: {similarity}");
    // A box around no face at all still gives a face (the user said so): aligned from where
    // landmarks sit in a face box on average.
    let nothing = engine().face_in_box(&field, [200.0, 200.0, 60.0, 60.0]);
    assert_eq!(nothing.score, 0.0);
    assert_eq!(nothing.embedding.len(), 128);
}

#[test]
fn a_drawn_face_is_named_kept_through_new_searches_and_undone() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let (field, face_box, _) = photo_with_a_small_face();
    field.save(photos.join("field.jpg")).unwrap();
    std::fs::copy(sample("obama-official-2012.jpg"), photos.join("portrait.jpg")).unwrap();
    let mut library = Library::open(&dir.path().join("k.db")).unwrap();
    library
        .scan(std::slice::from_ref(&photos), &ScanOptions::default(), &NoProgress, &CancelToken::new())
        .unwrap();
    library.find_faces(engine(), &NoProgress, &CancelToken::new()).unwrap();
    let photo_of = |name: &str| {
        library
            .photos(&crate::PhotoFilter::default())
            .unwrap()
            .into_iter()
            .find(|p| p.path.ends_with(name))
            .unwrap()
            .id
    };
    let (field_id, portrait_id) = (photo_of("field.jpg"), photo_of("portrait.jpg"));
    assert!(library.faces_of_photo(field_id).unwrap().is_empty());
    let portrait_face = library.faces_of_photo(portrait_id).unwrap()[0].id;
    let obama = library.move_faces_to_new_person(&[portrait_face], "Barack Obama").unwrap();

    // Drawn over a face found already: refused, pointing at it.
    let portrait = library.faces_of_photo(portrait_id).unwrap()[0].clone();
    let refused = library
        .draw_face(engine(), portrait_id, [portrait.x, portrait.y, portrait.w, portrait.h])
        .unwrap_err();
    assert!(refused.to_string().contains("already there"), "{refused}");
    assert_eq!(
        library.draw_face(engine(), field_id, [10.0, 10.0, 3.0, 3.0]).unwrap_err().kind(),
        crate::ErrorKind::InvalidInput
    );

    let drawn = library.draw_face(engine(), field_id, face_box).unwrap();
    assert_eq!(library.drawn_face_ids(field_id).unwrap(), [drawn].into_iter().collect());
    // Placed like any face: recognised as the person named from the portrait.
    assert_eq!(library.catalog().assignment_of_face(drawn).unwrap().map(|a| a.0), Some(obama));
    assert!(library.face_thumbnail(drawn).unwrap().is_file());
    library.move_faces(&[drawn], Some(obama)).unwrap();

    // The photo's faces are found again (a new model, an edited file): the face row goes with
    // the others, and the next face job makes it again from the box, still confirmed.
    {
        let now = crate::time::now_utc();
        let hash = library.photo(field_id).unwrap().content_hash.unwrap();
        let tx = library.catalog_mut().conn_mut().transaction().unwrap();
        crate::catalog::Catalog::write_faces(&tx, field_id, &hash, MODEL_ID, &[], &now).unwrap();
        tx.commit().unwrap();
    }
    assert!(library.faces_of_photo(field_id).unwrap().is_empty());
    library.find_faces(engine(), &NoProgress, &CancelToken::new()).unwrap();
    let again = library.faces_of_photo(field_id).unwrap();
    assert_eq!(again.len(), 1);
    let found_again = [again[0].x, again[0].y, again[0].w, again[0].h];
    assert!(
        found_again.iter().zip(face_box).all(|(a, b)| (a - b).abs() < 0.01),
        "{found_again:?} {face_box:?}"
    );
    assert_eq!(
        library.catalog().assignment_of_face(again[0].id).unwrap(),
        Some((obama, crate::Assignment::User))
    );

    // Undoing takes back the naming, then the drawing: the face and its box are gone.
    library.undo().unwrap();
    library.undo().unwrap();
    assert!(library.faces_of_photo(field_id).unwrap().is_empty());
    assert!(library.drawn_face_ids(field_id).unwrap().is_empty());
    library.find_faces(engine(), &NoProgress, &CancelToken::new()).unwrap();
    assert!(library.faces_of_photo(field_id).unwrap().is_empty(), "an undone box is not made again");
}

mod auto_device {
    use super::device::{AutoPlan, adapter_key, load_auto, plan};
    use super::*;

    fn measured(adapter: &str, gpu_ms: f64, cpu_ms: f64) -> AutoChoice {
        AutoChoice { adapter: adapter.into(), gpu_ms, cpu_ms }
    }

    #[test]
    fn without_a_hardware_gpu_auto_is_the_cpu_and_measures_nothing() {
        assert_eq!(plan(None, None), AutoPlan::Cpu);
        assert_eq!(plan(None, Some(&measured("Radeon (RADV)", 5.0, 20.0))), AutoPlan::Cpu);
    }

    #[test]
    fn a_new_or_changed_adapter_is_measured_and_the_same_one_is_not() {
        let kept = measured("Intel UHD 620 (Mesa 23.1)", 30.0, 20.0);
        assert_eq!(
            plan(Some("Intel UHD 620 (Mesa 23.1)"), None),
            AutoPlan::Measure("Intel UHD 620 (Mesa 23.1)".into())
        );
        assert_eq!(plan(Some("Intel UHD 620 (Mesa 23.1)"), Some(&kept)), AutoPlan::Remembered(kept.clone()));
        // A driver update is a new adapter: its speed may have changed.
        assert_eq!(
            plan(Some("Intel UHD 620 (Mesa 24.0)"), Some(&kept)),
            AutoPlan::Measure("Intel UHD 620 (Mesa 24.0)".into())
        );
    }

    #[test]
    fn the_faster_device_is_chosen_and_a_slower_gpu_never() {
        assert_eq!(measured("integrated", 31.0, 20.0).device(), Device::Cpu);
        assert_eq!(measured("discrete", 2.0, 20.0).device(), Device::Gpu);
        assert_eq!(measured("even", 20.0, 20.0).device(), Device::Cpu);
    }

    #[test]
    fn a_measurement_survives_the_settings() {
        let choice = measured("NVIDIA H100 80GB HBM3 (NVIDIA 550.54)", 0.4125, 21.5);
        assert_eq!(AutoChoice::from_setting(&choice.to_setting()), Some(choice));
        assert_eq!(AutoChoice::from_setting("garbage"), None);
        assert_eq!(AutoChoice::from_setting("1\tx"), None);
    }

    #[test]
    fn adapters_are_known_by_name_and_driver() {
        let info = kindred_models::Runtime::cpu().info();
        assert_eq!(adapter_key(&info), "cpu");
        let gpu = kindred_models::RuntimeInfo {
            driver: "llvmpipe Mesa 22.3.6".into(),
            adapter: "llvmpipe".into(),
            ..info
        };
        assert_eq!(adapter_key(&gpu), "llvmpipe (llvmpipe Mesa 22.3.6)");
    }

    /// Where no hardware GPU exists (CI, this project's machines), `auto` in a library is the
    /// CPU and keeps nothing; a kept measurement of an adapter that is gone is ignored.
    #[test]
    fn auto_in_a_library_without_a_gpu_is_the_cpu() {
        if kindred_models::Runtime::hardware_gpu().is_some() {
            eprintln!("auto_in_a_library_without_a_gpu_is_the_cpu: this machine has a GPU; skipped");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let library = Library::open(&dir.path().join("library.db")).unwrap();
        let models = locate_models().unwrap();
        let engine = library.face_engine(&models, Device::Auto).unwrap();
        assert_eq!(engine.device().kind, "cpu");
        assert_eq!(engine.auto_choice(), None);
    }

    /// Opt-in (`KINDRED_GPU_TESTS=1`): Mesa's software Vulkan stands in for a GPU. It is slower
    /// than the CPU, so `auto` measures both and keeps the CPU; told the same adapter again, it
    /// keeps that measurement without measuring.
    #[test]
    fn auto_keeps_the_cpu_over_a_slower_gpu() {
        if std::env::var("KINDRED_GPU_TESTS").as_deref() != Ok("1") {
            eprintln!("auto_keeps_the_cpu_over_a_slower_gpu: set KINDRED_GPU_TESTS=1 to run");
            return;
        }
        let gpu =
            kindred_models::Runtime::new(kindred_models::DevicePreference::Gpu).expect("a wgpu adapter");
        let models = locate_models().unwrap();
        let engine = load_auto(&models, Some(gpu.clone()), None).unwrap();
        let choice = engine.auto_choice().cloned().expect("a measurement");
        eprintln!("measured: {choice:?}");
        assert_eq!(choice.adapter, adapter_key(&gpu.info()));
        assert!(choice.gpu_ms > choice.cpu_ms, "{choice:?}");
        assert_eq!(engine.device().kind, "cpu");
        assert_eq!(engine.device().backend, "flex");
        let again = load_auto(&models, Some(gpu), Some(&choice)).unwrap();
        assert_eq!(again.auto_choice(), Some(&choice));
        assert_eq!(again.device().backend, "flex");
    }
}

/// Four copies of the Solvay photo in one: 116 faces of 9 to 14 pixels at the first pass's
/// scale, where YuNet finds almost none; the tiled pass finds them.
#[test]
fn a_crowd_of_faces_too_small_for_the_first_pass_is_found_by_the_tiled_pass() {
    let solvay = read_oriented(&sample("solvay-1927.jpg")).unwrap();
    let (w, h) = solvay.dimensions();
    let mut crowd = image::RgbImage::new(2 * w, 2 * h);
    for (x, y) in [(0, 0), (w, 0), (0, h), (w, h)] {
        image::imageops::replace(&mut crowd, &solvay, i64::from(x), i64::from(y));
    }
    let first_only = DetectOptions { crowd_min_faces: usize::MAX, ..DetectOptions::default() };
    let first = detect::find_faces(&engine().detector, &mut frame::Frames::full(&crowd), &first_only);
    assert!(first.len() < 10, "the first pass alone finds {} faces", first.len());
    let found = engine().detect(&crowd);
    assert!((112..=120).contains(&found.len()), "{} faces of 116", found.len());
}

/// Where the first pass sees every face well within YuNet's range, the tiled pass does not run:
/// the Solvay photo's 29 faces come from the first pass alone.
#[test]
fn the_tiled_pass_runs_only_on_faces_near_the_smallest_size() {
    let solvay = read_oriented(&sample("solvay-1927.jpg")).unwrap();
    let options = DetectOptions::default();
    let (copy_w, copy_h) = (640, (640 * solvay.height() + solvay.width() / 2) / solvay.width());
    let copy = image::imageops::thumbnail(&solvay, copy_w, copy_h);
    let first = engine().detector.detect(&copy, options.score_threshold, options.nms_iou);
    assert_eq!(first.len(), 29);
    assert!(!options.wants_tiles(&first, solvay.width()));
    let tiny = kindred_models::Detection { h: 12.0, ..first[0] };
    assert!(options.wants_tiles(&[first[0], tiny], solvay.width()));
    // Never on a photo the first pass saw at full size.
    assert!(!options.wants_tiles(&[tiny], 640));
}

/// The sample photos (two of them decoded at half size) and a phone-sized copy of the Solvay
/// photo (4032 pixels wide, decoded at a quarter, its faces decoded again larger for their
/// crops).
fn photos_to_decode_scaled(dir: &Path) -> Vec<PathBuf> {
    let mut photos: Vec<PathBuf> = Vec::new();
    for folder in [sample(""), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/public-domain")]
    {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        photos.extend(
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "jpg")),
        );
    }
    photos.sort();
    let solvay = read_oriented(&sample("solvay-1927.jpg")).unwrap();
    let (w, h) = solvay.dimensions();
    let phone = image::imageops::resize(&solvay, 4032, 4032 * h / w, image::imageops::FilterType::Triangle);
    let path = dir.join("solvay-4032.jpg");
    phone.save(&path).unwrap();
    photos.push(path);
    photos
}

/// Decoding at the scale the detector needs finds the faces of a full decode, in the same
/// full-size places, and the crops cut from the frames decoded for them embed like crops cut
/// from the full photo.
#[test]
fn scaled_decoding_finds_the_faces_of_a_full_decode() {
    let dir = tempfile::tempdir().unwrap();
    let photos = photos_to_decode_scaled(dir.path());
    assert!(photos.len() >= 7, "{photos:?}");
    let mut scaled_frames = 0;
    for path in &photos {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let full = engine().detect_file(path, false).unwrap();
        let scaled = engine().detect_file(path, true).unwrap();
        let (_, frames) = job::read_scaled(path, None, Some(engine().options.first_pass_side)).unwrap();
        scaled_frames += usize::from(frames.image().dimensions() != frames.full_size());
        assert_eq!(scaled.len(), full.len(), "{name}: {} faces scaled, {} full", scaled.len(), full.len());
        assert!(!full.is_empty(), "{name}");
        // A first-pass pixel in full-size pixels: the detector's own resolution.
        let (w, h) = frames.full_size();
        let unit = w.max(h) as f32 / engine().options.first_pass_side.min(w.max(h)) as f32;
        let mut shift = [0.0f32; 2];
        let mut wandering = std::collections::HashSet::new();
        for f in &full {
            let best = scaled
                .iter()
                .max_by(|a, b| {
                    let iou = |d: &kindred_models::Detection| {
                        crate::geometry::iou([f.x, f.y, f.w, f.h], [d.x, d.y, d.w, d.h])
                    };
                    iou(a).total_cmp(&iou(b))
                })
                .unwrap();
            let iou = crate::geometry::iou([f.x, f.y, f.w, f.h], [best.x, best.y, best.w, best.h]);
            assert!(iou > 0.75, "{name}: face at ({}, {}) found scaled at IoU {iou}", f.x, f.y);
            for (p, q) in f.landmarks.iter().zip(&best.landmarks) {
                let off = (p[0] - q[0]).hypot(p[1] - q[1]) / unit;
                if off >= 2.5 {
                    // YuNet's landmarks on faces near its smallest size move with any resampling.
                    assert!(f.w / unit < 24.0, "{name}: a landmark {off} first-pass px away on a face {f:?}");
                    wandering.insert((f.x as i64, f.y as i64));
                }
                shift[0] += (q[0] - p[0]) / unit / (5 * full.len()) as f32;
                shift[1] += (q[1] - p[1]) / unit / (5 * full.len()) as f32;
            }
        }
        // Noise of a few tenths of a pixel, no shift: both decodes map to the same places.
        println!(
            "{name}: {} faces, {} with a landmark moved by 2.5 first-pass px or more, mean landmark shift {shift:?} first-pass px",
            full.len(),
            wandering.len()
        );
        assert!(wandering.len() * 10 <= full.len(), "{name}: {} faces moved", wandering.len());
        assert!(shift[0].abs() < 0.3 && shift[1].abs() < 0.3, "{name}: landmarks shifted by {shift:?}");
        // The job's crops and embeddings against crops cut from the full decode.
        let found = engine().analyze_files(std::slice::from_ref(path)).pop().unwrap().unwrap();
        assert_eq!(found.len(), full.len(), "{name}");
        let image = read_oriented(path).unwrap();
        let crops: Vec<_> = found.iter().map(|f| align::align_face(&image, &f.landmarks)).collect();
        for (face, embedding) in found.iter().zip(engine().embed_crops(&crops)) {
            let similarity = cosine(&face.embedding, &embedding);
            assert!(similarity > 0.9, "{name}: face at ({}, {}): cosine {similarity}", face.x, face.y);
        }
    }
    assert!(scaled_frames >= 3, "only {scaled_frames} photos were decoded scaled");
}
