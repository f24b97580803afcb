//! Golden tests against OpenCV 4.10's `FaceDetectorYN` and `FaceRecognizerSF` on the same
//! weights (`assets/golden/README.md` says how the references were made).

use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use kindred_models::{Detection, DevicePreference, Runtime, align};
use serde_json::Value;

use crate::support::{self, cosine};

/// One reference face.
#[derive(Debug)]
struct Face {
    /// `[x, y, w, h]` in detector-input pixels.
    bbox: [f32; 4],
    score: f32,
    landmarks: [[f32; 2]; 5],
    /// Landmarks in the EXIF-oriented original photo.
    landmarks_original: Option<[[f32; 2]; 5]>,
    /// OpenCV's aligned 112×112 crop.
    crop: Option<PathBuf>,
    /// The 2×3 matrix OpenCV's alignCrop used (original pixels → crop pixels).
    align_matrix: Option<[[f64; 3]; 2]>,
    /// The patch of the original that the warp reads, and where it sits: lets the warp be
    /// checked independently of the JPEG decoder.
    align_source: Option<(PathBuf, u32, u32)>,
    /// OpenCV's L2-normalised embedding of its crop.
    embedding: Vec<f32>,
}

#[derive(Debug)]
struct Case {
    name: String,
    /// The exact detector input.
    input: PathBuf,
    /// The original photo.
    photo: Option<PathBuf>,
    /// Size of the photo after EXIF orientation.
    oriented: Option<(u32, u32)>,
    score_threshold: f32,
    nms_iou: f32,
    faces: Vec<Face>,
}

/// `KINDRED_GOLDEN_DIR`, or `assets/golden/` of the repository.
fn golden_dir() -> PathBuf {
    std::env::var_os("KINDRED_GOLDEN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::repo_root().join("assets/golden"))
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("expected a number, got {x}")) as f32)
        .collect()
}

fn points(v: &Value) -> [[f32; 2]; 5] {
    let pts: Vec<Vec<f32>> = v.as_array().expect("landmarks").iter().map(floats).collect();
    assert_eq!(pts.len(), 5, "five landmarks");
    std::array::from_fn(|i| [pts[i][0], pts[i][1]])
}

fn face(dir: &Path, f: &Value) -> Face {
    Face {
        bbox: floats(&f["box"]).try_into().expect("box of 4"),
        score: f["score"].as_f64().expect("score") as f32,
        landmarks: points(&f["landmarks"]),
        landmarks_original: (!f["landmarks_original"].is_null()).then(|| points(&f["landmarks_original"])),
        crop: f["aligned_crop"].as_str().map(|c| dir.join(c)),
        align_matrix: f["align_matrix"].as_array().map(|rows| {
            let row = |i: usize| -> [f64; 3] {
                std::array::from_fn(|j| rows[i][j].as_f64().expect("matrix entry"))
            };
            [row(0), row(1)]
        }),
        align_source: f["align_source"]["file"].as_str().map(|file| {
            let at = |k: &str| f["align_source"][k].as_u64().expect(k) as u32;
            (dir.join(file), at("x"), at("y"))
        }),
        embedding: floats(&f["embedding"]),
    }
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let mut jsons: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        // checks.json records the generator's self-checks, not a case.
        .filter(|p| p.file_name().is_some_and(|n| n != "checks.json"))
        .collect();
    jsons.sort();
    jsons
        .iter()
        .map(|path| {
            let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let input = v["input"]["file"].as_str().unwrap_or_else(|| panic!("{name}: no input.file"));
            let faces = v["faces"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: no faces"))
                .iter()
                .map(|f| face(dir, f))
                .collect();
            let oriented = v["oriented_width"]
                .as_u64()
                .zip(v["oriented_height"].as_u64())
                .map(|(w, h)| (w as u32, h as u32));
            Case {
                name,
                input: dir.join(input),
                photo: v["photo"].as_str().map(|p| support::repo_root().join(p)),
                oriented,
                score_threshold: v["score_threshold"].as_f64().unwrap_or(0.6) as f32,
                nms_iou: v["nms_iou"].as_f64().unwrap_or(0.3) as f32,
                faces,
            }
        })
        .collect()
}

/// An image with its EXIF orientation applied, as the reference's `cv2.imread` reads it.
fn open_oriented(path: &Path) -> RgbImage {
    let mut decoder = ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_decoder()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let orientation = decoder.orientation().unwrap();
    let mut img = DynamicImage::from_decoder(decoder).unwrap();
    img.apply_orientation(orientation);
    img.to_rgb8()
}

fn iou(a: [f32; 4], d: &Detection) -> f32 {
    let x1 = a[0].max(d.x);
    let y1 = a[1].max(d.y);
    let x2 = (a[0] + a[2]).min(d.x + d.w);
    let y2 = (a[1] + a[3]).min(d.y + d.h);
    let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    inter / (a[2] * a[3] + d.w * d.h - inter)
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f32 {
    let sum: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f32 / a.as_raw().len() as f32
}

struct Tolerance {
    iou: f32,
    landmark_px: f32,
    score: f32,
    /// Whether our detector must find exactly as many faces at the reference threshold.
    same_count: bool,
    /// Embedding of OpenCV's own crop against OpenCV's embedding.
    cosine_their_crop: f32,
    /// Embedding of our crop, from our decoding of the photo, against OpenCV's embedding.
    cosine_our_crop: f32,
}

/// The worst agreement seen in one case, for the log.
struct Worst {
    iou: f32,
    landmark_px: f32,
    score: f32,
    cos_their_crop: f32,
    cos_our_crop: f32,
    crop_diff: f32,
}

impl Default for Worst {
    fn default() -> Self {
        Worst {
            iou: 1.0,
            landmark_px: 0.0,
            score: 0.0,
            cos_their_crop: 1.0,
            cos_our_crop: 1.0,
            crop_diff: 0.0,
        }
    }
}

/// Our similarity transform equals the matrix OpenCV used, and, where the reference saved
/// the patch of the photo that the warp reads, our warp of that patch equals OpenCV's crop
/// byte for byte (whatever the JPEG decoders do).
fn check_alignment(case: &Case, i: usize, face: &Face, landmarks: &[[f32; 2]; 5]) {
    if let Some(want) = &face.align_matrix {
        let got = align::alignment_transform(landmarks);
        for r in 0..2 {
            for c in 0..3 {
                let (g, w) = (got[r][c], want[r][c]);
                assert!(
                    (g - w).abs() <= 1e-9 * (1.0 + w.abs()),
                    "{} face {i}: alignment matrix {got:?}, OpenCV's {want:?}",
                    case.name
                );
            }
        }
    }
    let (Some((patch, x, y)), Some((w, h)), Some(crop)) = (&face.align_source, case.oriented, &face.crop)
    else {
        return;
    };
    let patch = image::open(patch).unwrap().to_rgb8();
    let mut canvas = RgbImage::new(w, h);
    image::imageops::replace(&mut canvas, &patch, i64::from(*x), i64::from(*y));
    let ours = align::align_face(&canvas, landmarks);
    let theirs = image::open(crop).unwrap().to_rgb8();
    let max = ours.as_raw().iter().zip(theirs.as_raw()).map(|(a, b)| a.abs_diff(*b)).max();
    assert_eq!(max, Some(0), "{} face {i}: our warp differs from OpenCV's crop", case.name);
}

fn check_golden(test: &str, rt: &Runtime, tol: &Tolerance) {
    let Some((detector, embedder)) = support::networks(test, rt) else {
        return;
    };
    let dir = golden_dir();
    if !dir.is_dir() {
        eprintln!(
            "\n********************************************************************\n\
             * SKIPPED {test}: no golden references in {}\n\
             ********************************************************************\n",
            dir.display()
        );
        return;
    }
    let cases = load_cases(&dir);
    assert!(!cases.is_empty(), "no golden cases in {}", dir.display());
    let mut faces_checked = 0;
    for case in &cases {
        // The PNG holds OpenCV's BGR input as an ordinary RGB image: decoding gives RGB.
        let input =
            image::open(&case.input).unwrap_or_else(|e| panic!("{}: {e}", case.input.display())).to_rgb8();
        if tol.same_count {
            let ours = detector.detect(&input, case.score_threshold, case.nms_iou);
            assert_eq!(
                ours.len(),
                case.faces.len(),
                "{}: {} faces at score {} where OpenCV found {}: {ours:?}",
                case.name,
                ours.len(),
                case.score_threshold,
                case.faces.len()
            );
        }
        // Matching runs below the reference's own threshold, so that a face OpenCV scored
        // just above it is not lost to a rounding difference.
        let min_score = case.faces.iter().map(|f| f.score).fold(1.0, f32::min);
        let found = detector.detect(&input, (min_score - 0.1).max(0.05), case.nms_iou);

        let mut worst = Worst::default();
        let mut opencv_crops = Vec::new();
        let mut our_crops = Vec::new();
        let photo = case.photo.as_deref().map(open_oriented);
        if let (Some(photo), Some(size)) = (&photo, case.oriented) {
            assert_eq!(photo.dimensions(), size, "{}: EXIF orientation", case.name);
        }
        for (i, face) in case.faces.iter().enumerate() {
            let best = found
                .iter()
                .max_by(|a, b| iou(face.bbox, a).total_cmp(&iou(face.bbox, b)))
                .unwrap_or_else(|| panic!("{} face {i}: nothing detected", case.name));
            let overlap = iou(face.bbox, best);
            worst.iou = worst.iou.min(overlap);
            worst.score = worst.score.max((face.score - best.score).abs());
            assert!(
                overlap >= tol.iou,
                "{} face {i}: best IoU {overlap}\nreference {face:?}\nours {best:?}",
                case.name
            );
            for (n, (r, o)) in face.landmarks.iter().zip(&best.landmarks).enumerate() {
                let dist = ((r[0] - o[0]).powi(2) + (r[1] - o[1]).powi(2)).sqrt();
                worst.landmark_px = worst.landmark_px.max(dist);
                assert!(
                    dist <= tol.landmark_px,
                    "{} face {i} landmark {n}: {dist} px off ({r:?} vs {o:?})",
                    case.name
                );
            }
            assert!(
                (face.score - best.score).abs() <= tol.score,
                "{} face {i}: score {} vs reference {}",
                case.name,
                best.score,
                face.score
            );
            if let Some(crop) = &face.crop {
                opencv_crops.push((i, image::open(crop).unwrap().to_rgb8()));
            }
            if let (Some(photo), Some(lm)) = (&photo, &face.landmarks_original) {
                our_crops.push((i, align::align_face(photo, lm)));
                check_alignment(case, i, face, lm);
            }
            faces_checked += 1;
        }

        // No confident face that OpenCV did not find.
        for d in found.iter().filter(|d| d.score >= min_score + tol.score) {
            assert!(case.faces.iter().any(|f| iou(f.bbox, d) >= 0.5), "{}: extra detection {d:?}", case.name);
        }

        let images: Vec<RgbImage> = opencv_crops.iter().map(|(_, c)| c.clone()).collect();
        for ((i, _), v) in opencv_crops.iter().zip(embedder.embed(&images)) {
            let c = cosine(&v, &case.faces[*i].embedding);
            worst.cos_their_crop = worst.cos_their_crop.min(c);
            assert!(
                c >= tol.cosine_their_crop,
                "{} face {i}: embedding of OpenCV's crop, cosine {c}",
                case.name
            );
        }
        let images: Vec<RgbImage> = our_crops.iter().map(|(_, c)| c.clone()).collect();
        for ((i, crop), v) in our_crops.iter().zip(embedder.embed(&images)) {
            let c = cosine(&v, &case.faces[*i].embedding);
            let diff =
                opencv_crops.iter().find(|(j, _)| j == i).map(|(_, theirs)| mean_abs_diff(crop, theirs));
            worst.cos_our_crop = worst.cos_our_crop.min(c);
            worst.crop_diff = worst.crop_diff.max(diff.unwrap_or(0.0));
            assert!(
                c >= tol.cosine_our_crop,
                "{} face {i}: embedding of our crop, cosine {c} (mean pixel difference to \
                 OpenCV's crop {diff:?})",
                case.name
            );
        }
        eprintln!(
            "{}: {} faces; worst: IoU {:.5}, landmark {:.4} px, score ±{:.5}, cosine {:.6} \
             (OpenCV's crop) / {:.6} (our crop, {} checked), mean crop pixel difference {:.3}",
            case.name,
            case.faces.len(),
            worst.iou,
            worst.landmark_px,
            worst.score,
            worst.cos_their_crop,
            worst.cos_our_crop,
            our_crops.len(),
            worst.crop_diff,
        );
    }
    eprintln!("{test}: {faces_checked} faces in {} cases", cases.len());
}

#[test]
fn golden_cpu() {
    check_golden(
        "golden_cpu",
        &Runtime::new(DevicePreference::Cpu).unwrap(),
        // On the CPU only the summation order differs from OpenCV's: far tighter than the
        // pipeline needs, so that any drift shows.
        &Tolerance {
            iou: 0.99,
            landmark_px: 0.1,
            score: 1e-3,
            same_count: true,
            cosine_their_crop: 0.9999,
            cosine_our_crop: 0.999,
        },
    );
}

/// The same on wgpu, opt-in with `KINDRED_GPU_TESTS=1` (CI has no GPU).
#[test]
fn golden_gpu() {
    if !support::gpu_tests_enabled() {
        eprintln!("golden_gpu: set KINDRED_GPU_TESTS=1 to run");
        return;
    }
    let rt = Runtime::new(DevicePreference::Gpu).expect("KINDRED_GPU_TESTS=1 needs a wgpu adapter");
    eprintln!("golden_gpu on {:?}", rt.info());
    check_golden(
        "golden_gpu",
        &rt,
        &Tolerance {
            iou: 0.9,
            landmark_px: 2.0,
            score: 0.02,
            same_count: false,
            cosine_their_crop: 0.995,
            cosine_our_crop: 0.995,
        },
    );
}
