//! Where in a photo to look for faces, and at what scale.
//!
//! YuNet sees faces of about 10 to 300 pixels. A first pass runs on a copy whose long side is
//! about 640 pixels (never upscaled: that pushes close-ups past its range). In a large photo of
//! a crowd, faces shrink below its range at that scale; when the first pass finds faces close
//! to that limit, a second pass runs on overlapping tiles of a copy three times larger, where
//! the crowd's smaller faces are in range. Where nothing is found at all (a tight crop of one
//! face), the photo is tried smaller and with a border.
//!
//! The tiled pass costs about ten first passes, so it runs only where it can find something:
//! measured on the labeled photos (206 photos, 405 annotated faces, `examples/crowd_pass.rs`),
//! forcing it on every photo larger than 640 pixels found no annotated face the first pass had
//! missed, the 1927 Solvay photo included (its 29 faces are 18 to 27 pixels at 640); on a photo
//! holding four copies of that one (faces of 9 to 14 pixels at 640), the first pass finds 2 of
//! 116 faces and the tiled pass all of them.

use image::{RgbImage, imageops};
use kindred_models::{Detection, Detector};

use super::frame::Frames;

/// Detection settings.
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// Faces scoring below this are dropped. 0.7 keeps every annotated face of the labeled
    /// albums while dropping faces seen in patterns and paintings.
    pub score_threshold: f32,
    /// Non-maximum suppression overlap.
    pub nms_iou: f32,
    /// The long side of the first pass.
    pub first_pass_side: u32,
    /// The long side of the tiled pass, when it runs.
    pub tiled_pass_side: u32,
    /// The tiled pass runs when the first pass found at least this many faces...
    pub crowd_min_faces: usize,
    /// ...smaller than this many pixels (at the first pass's scale): faces this close to the
    /// smallest YuNet finds are the sign of a crowd whose smaller faces it missed.
    pub crowd_small_face: f32,
}

impl Default for DetectOptions {
    fn default() -> DetectOptions {
        DetectOptions {
            score_threshold: 0.7,
            nms_iou: 0.3,
            first_pass_side: 640,
            tiled_pass_side: 1920,
            crowd_min_faces: 1,
            crowd_small_face: 16.0,
        }
    }
}

impl DetectOptions {
    /// Whether the tiled pass runs on a photo whose long side is `long_side` pixels, after the
    /// first pass found `first` (in the first pass's pixels).
    pub fn wants_tiles(&self, first: &[Detection], long_side: u32) -> bool {
        long_side > self.first_pass_side
            && !first.is_empty()
            && first.iter().filter(|d| d.h < self.crowd_small_face).count() >= self.crowd_min_faces
    }
}

const TILE: u32 = 640;
const TILE_OVERLAP: u32 = 128;
/// Tiles per call to the detector: the CPU runs them side by side, a GPU in one batch.
const TILE_BATCH: usize = 16;

/// A downscaled copy of a photo's frame with long side `side` (never larger than the frame),
/// and the per-axis factors from the photo's full-size pixels to the copy's.
fn scaled<'a>(photo: &'a Frames<'_>, side: u32) -> (std::borrow::Cow<'a, RgbImage>, f32, f32) {
    let frame = photo.image();
    let (fx, fy) = photo.scale();
    let (w, h) = frame.dimensions();
    let long = w.max(h);
    if long <= side {
        return (std::borrow::Cow::Borrowed(frame), fx, fy);
    }
    let s = side as f64 / long as f64;
    let sw = ((w as f64 * s + 0.5).floor() as u32).max(1);
    let sh = ((h as f64 * s + 0.5).floor() as u32).max(1);
    // `thumbnail` averages every source pixel into the target (area resampling), which keeps
    // small faces crisp where a point-sampling resize would alias them.
    let copy = imageops::thumbnail(frame, sw, sh);
    (std::borrow::Cow::Owned(copy), fx * sw as f32 / w as f32, fy * sh as f32 / h as f32)
}

fn to_photo(d: Detection, sx: f32, sy: f32, dx: f32, dy: f32) -> Detection {
    let mut landmarks = d.landmarks;
    for p in &mut landmarks {
        p[0] = (p[0] + dx) / sx;
        p[1] = (p[1] + dy) / sy;
    }
    Detection { x: (d.x + dx) / sx, y: (d.y + dy) / sy, w: d.w / sx, h: d.h / sy, score: d.score, landmarks }
}

/// The faces of a photo, in full-size pixels. `photo` is decoded again larger where the tiled
/// pass runs.
pub(super) fn find_faces(
    detector: &Detector,
    photo: &mut Frames<'_>,
    options: &DetectOptions,
) -> Vec<Detection> {
    let full = photo.full_size();
    if full.0 == 0 || full.1 == 0 {
        return Vec::new();
    }
    photo.at_least(options.first_pass_side);
    let (copy, sx, sy) = scaled(photo, options.first_pass_side);
    let first = detector.detect(&copy, options.score_threshold, options.nms_iou);

    if first.is_empty() {
        drop(copy);
        return retry_smaller(detector, photo, options);
    }
    let mut faces: Vec<Detection> = first.iter().map(|d| to_photo(*d, sx, sy, 0.0, 0.0)).collect();
    if options.wants_tiles(&first, full.0.max(full.1)) {
        drop(copy);
        faces.extend(tiled_pass(detector, photo, options));
        faces = suppress(faces, options.nms_iou);
    }
    faces
}

/// Runs the detector on overlapping 640-pixel tiles of a larger copy of the photo.
fn tiled_pass(detector: &Detector, photo: &mut Frames<'_>, options: &DetectOptions) -> Vec<Detection> {
    photo.at_least(options.tiled_pass_side);
    let (copy, sx, sy) = scaled(photo, options.tiled_pass_side);
    let (w, h) = copy.dimensions();
    let starts = |len: u32| -> Vec<u32> {
        if len <= TILE {
            return vec![0];
        }
        let step = TILE - TILE_OVERLAP;
        let mut v: Vec<u32> = (0..).map(|i| i * step).take_while(|&s| s + TILE < len).collect();
        v.push(len - TILE);
        v
    };
    let mut tiles = Vec::new();
    let mut origins = Vec::new();
    for &ty in &starts(h) {
        for &tx in &starts(w) {
            let tile = imageops::crop_imm(copy.as_ref(), tx, ty, TILE.min(w), TILE.min(h)).to_image();
            tiles.push(tile);
            origins.push((tx as f32, ty as f32));
        }
    }
    // Tiles share one size, so batching them changes no result.
    let refs: Vec<&RgbImage> = tiles.iter().collect();
    let mut found = Vec::new();
    for (chunk, chunk_origins) in refs.chunks(TILE_BATCH).zip(origins.chunks(TILE_BATCH)) {
        for (dets, &(ox, oy)) in detector
            .detect_batch(chunk, options.score_threshold, options.nms_iou)
            .into_iter()
            .zip(chunk_origins)
        {
            for d in dets {
                // A face cut by a tile edge is found whole in the neighbouring tile.
                let cut = (d.x < 2.0 && ox > 0.0)
                    || (d.y < 2.0 && oy > 0.0)
                    || (d.x + d.w > TILE as f32 - 2.0 && ox + (TILE as f32) < w as f32)
                    || (d.y + d.h > TILE as f32 - 2.0 && oy + (TILE as f32) < h as f32);
                if !cut {
                    found.push(to_photo(d, sx, sy, ox, oy));
                }
            }
        }
    }
    found
}

/// Nothing found: a face filling the frame (or bigger than ~300 px at the first scale) is
/// tried again on a smaller copy with a black border around it.
fn retry_smaller(detector: &Detector, photo: &Frames<'_>, options: &DetectOptions) -> Vec<Detection> {
    let side = 256;
    let (copy, sx, sy) = scaled(photo, side);
    let border = side / 4;
    let mut canvas = RgbImage::new(copy.width() + 2 * border, copy.height() + 2 * border);
    imageops::replace(&mut canvas, copy.as_ref(), i64::from(border), i64::from(border));
    detector
        .detect(&canvas, options.score_threshold, options.nms_iou)
        .into_iter()
        .map(|d| to_photo(d, sx, sy, -(border as f32), -(border as f32)))
        .collect()
}

/// Greedy non-maximum suppression across passes, best score first.
pub(super) fn suppress(mut faces: Vec<Detection>, threshold: f32) -> Vec<Detection> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::with_capacity(faces.len());
    for face in faces {
        if kept.iter().all(|k| {
            crate::geometry::iou([k.x, k.y, k.w, k.h], [face.x, face.y, face.w, face.h]) <= threshold
        }) {
            kept.push(face);
        }
    }
    kept
}
