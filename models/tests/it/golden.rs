//! Golden tests against OpenCV 4.10's `FaceDetectorYN` and `FaceRecognizerSF` (see
//! `assets/golden/README.md` for how the reference files were made).

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
    /// OpenCV's L2-normalised embedding of that crop.
    embedding: Vec<f32>,
}

#[derive(Debug)]
struct Case {
    name: String,
    /// The exact detector input.
    input: PathBuf,
    /// The original photo, when the reference names it.
    photo: Option<PathBuf>,
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
        .map(|x| {
            x.as_f64()
                .unwrap_or_else(|| panic!("expected a number, got {x}")) as f32
        })
        .collect()
}

fn points(v: &Value) -> [[f32; 2]; 5] {
    let pts: Vec<Vec<f32>> = v
        .as_array()
        .expect("landmarks")
        .iter()
        .map(floats)
        .collect();
    assert_eq!(pts.len(), 5, "five landmarks");
    std::array::from_fn(|i| [pts[i][0], pts[i][1]])
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let mut jsons: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    jsons.sort();
    jsons
        .iter()
        .map(|path| {
            let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let input = v["input"]["file"]
                .as_str()
                .or_else(|| v["input"].as_str())
                .unwrap_or_else(|| panic!("{name}: no input.file"));
            let top_photo = v["photo"].as_str();
            let faces = v["faces"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: no faces"))
                .iter()
                .map(|f| Face {
                    bbox: floats(&f["box"]).try_into().expect("box of 4"),
                    score: f["score"].as_f64().expect("score") as f32,
                    landmarks: points(&f["landmarks"]),
                    landmarks_original: (!f["landmarks_original"].is_null())
                        .then(|| points(&f["landmarks_original"])),
                    crop: f["aligned_crop"].as_str().map(|c| dir.join(c)),
                    embedding: floats(&f["embedding"]),
                })
                .collect();
            let photo = top_photo
                .or_else(|| v["faces"][0]["photo"].as_str())
                .map(|p| support::repo_root().join(p));
            Case {
                name,
                input: dir.join(input),
                photo,
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

struct Tolerance {
    iou: f32,
    landmark_px: f32,
    score: f32,
    cosine: f32,
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
        let input = image::open(&case.input)
            .unwrap_or_else(|e| panic!("{}: {e}", case.input.display()))
            .to_rgb8();
        let min_score = case.faces.iter().map(|f| f.score).fold(1.0, f32::min);
        // Below the reference's own threshold, so that a face OpenCV scored just above it is
        // not lost to a rounding difference.
        let found = detector.detect(&input, (min_score - 0.1).max(0.05), 0.3);

        let mut worst = Worst::default();
        let mut opencv_crops = Vec::new();
        let mut our_crops = Vec::new();
        let photo = case.photo.as_deref().map(open_oriented);
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
            }
            faces_checked += 1;
        }

        // No confident face that OpenCV did not find.
        for d in found.iter().filter(|d| d.score >= min_score + tol.score) {
            assert!(
                case.faces.iter().any(|f| iou(f.bbox, d) >= 0.5),
                "{}: extra detection {d:?}",
                case.name
            );
        }

        let images: Vec<RgbImage> = opencv_crops.iter().map(|(_, c)| c.clone()).collect();
        for ((i, _), v) in opencv_crops.iter().zip(embedder.embed(&images)) {
            let c = cosine(&v, &case.faces[*i].embedding);
            worst.cos_their_crop = worst.cos_their_crop.min(c);
            assert!(
                c >= tol.cosine,
                "{} face {i}: embedding of OpenCV's crop, cosine {c}",
                case.name
            );
        }
        let images: Vec<RgbImage> = our_crops.iter().map(|(_, c)| c.clone()).collect();
        for ((i, crop), v) in our_crops.iter().zip(embedder.embed(&images)) {
            let c = cosine(&v, &case.faces[*i].embedding);
            let diff = opencv_crops
                .iter()
                .find(|(j, _)| j == i)
                .map(|(_, theirs)| mean_abs_diff(crop, theirs));
            worst.cos_our_crop = worst.cos_our_crop.min(c);
            worst.crop_diff = worst.crop_diff.max(diff.unwrap_or(0.0));
            assert!(
                c >= tol.cosine,
                "{} face {i}: embedding of our crop, cosine {c} (mean pixel difference to \
                 OpenCV's crop {diff:?})",
                case.name
            );
        }
        eprintln!(
            "{}: {} faces; worst: IoU {:.4}, landmark {:.3} px, score ±{:.4}, cosine {:.6} \
             (OpenCV's crop) / {:.6} (our crop, {} checked), crop pixel difference {:.3}",
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

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f32 {
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f32 / a.as_raw().len() as f32
}

#[test]
fn golden_cpu() {
    check_golden(
        "golden_cpu",
        &Runtime::new(DevicePreference::Cpu).unwrap(),
        &Tolerance {
            iou: 0.9,
            landmark_px: 2.0,
            score: 0.02,
            cosine: 0.999,
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
            score: 0.03,
            cosine: 0.995,
        },
    );
}
