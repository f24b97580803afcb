//! A face where the user says there is one: the detector missed it, so the user drew its box.
//! It is aligned and embedded like any face. Its landmarks come from the detector run again on
//! the neighbourhood of the box with a lower score threshold (a face the detector was unsure
//! of); where it still finds nothing there, from where landmarks sit in a face box on average.

use image::{RgbImage, imageops};
use kindred_models::align;

use super::{FaceEngine, MODEL_ID, detect};
use crate::catalog::{Catalog, FoundFace, PhotoRow};
use crate::error::{Error, ErrorKind, Result};

/// Where the five landmarks sit in YuNet's box of a face, on average, as fractions of its width
/// and height (measured on the reference detections in `assets/golden`, made symmetric).
const MEAN_LANDMARKS: [[f32; 2]; 5] =
    [[0.294, 0.382], [0.706, 0.382], [0.5, 0.573], [0.334, 0.746], [0.666, 0.746]];

/// The detector looks this far around the drawn box (in box sizes on each side).
const SEARCH_MARGIN: f32 = 0.5;
/// A face the detector was this unsure of still gives better landmarks than the average.
const LOW_SCORE_THRESHOLD: f32 = 0.3;
/// A detection must overlap the drawn box this much to be the face the user meant.
const MIN_OVERLAP: f32 = 0.3;
/// Boxes smaller than this (pixels of the photo) hold no face that can be recognised.
pub const MIN_DRAWN_SIDE: f32 = 8.0;

impl FaceEngine {
    /// The face in `bounds` (x, y, w, h in pixels of the oriented `photo`): landmarks,
    /// alignment and embedding. The box stays the user's.
    pub fn face_in_box(&self, photo: &RgbImage, bounds: [f32; 4]) -> FoundFace {
        let [x, y, w, h] = bounds;
        let (found, score) = self
            .landmarks_near(photo, bounds)
            .unwrap_or_else(|| (MEAN_LANDMARKS.map(|[fx, fy]| [x + fx * w, y + fy * h]), 0.0));
        let crop = align::align_face(photo, &found);
        let (embedding, embedding_norm) =
            self.embed_crops_with_norms(std::slice::from_ref(&crop)).pop().unwrap_or_default();
        FoundFace { x, y, w, h, score, landmarks: found, embedding, embedding_norm }
    }

    /// Landmarks (and the detector's score) of the face the detector finds in and around the
    /// box, if it finds one there at a low threshold.
    fn landmarks_near(&self, photo: &RgbImage, bounds: [f32; 4]) -> Option<([[f32; 2]; 5], f32)> {
        let [x, y, w, h] = bounds;
        let margin = SEARCH_MARGIN * w.max(h);
        let left = (x - margin).max(0.0).floor() as u32;
        let top = (y - margin).max(0.0).floor() as u32;
        let right = ((x + w + margin).ceil() as u32).min(photo.width());
        let bottom = ((y + h + margin).ceil() as u32).min(photo.height());
        if right <= left || bottom <= top {
            return None;
        }
        let around = imageops::crop_imm(photo, left, top, right - left, bottom - top).to_image();
        let options = detect::DetectOptions { score_threshold: LOW_SCORE_THRESHOLD, ..self.options.clone() };
        let (dx, dy) = (left as f32, top as f32);
        detect::find_faces(&self.detector, &mut super::frame::Frames::full(&around), &options)
            .into_iter()
            .map(|d| {
                let overlap = crate::geometry::iou(bounds, [d.x + dx, d.y + dy, d.w, d.h]);
                (d, overlap)
            })
            .filter(|(_, overlap)| *overlap >= MIN_OVERLAP)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(d, _)| (d.landmarks.map(|[px, py]| [px + dx, py + dy]), d.score))
    }
}

/// Checks a box drawn on `photo` and clips it to the photo; an error says what is wrong.
pub(crate) fn check_drawn_box(photo: &PhotoRow, bounds: [f32; 4]) -> Result<[f32; 4]> {
    let (width, height) = photo.upright_size().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("photo {} cannot be shown, so no face can be drawn on it", photo.id),
        )
    })?;
    let [x, y, w, h] = bounds;
    if ![x, y, w, h].iter().all(|v| v.is_finite()) {
        return Err(Error::new(ErrorKind::InvalidInput, "a face box needs four numbers"));
    }
    let (left, top) = (x.max(0.0), y.max(0.0));
    let (right, bottom) = ((x + w).min(width as f32), (y + h).min(height as f32));
    if right - left < MIN_DRAWN_SIDE || bottom - top < MIN_DRAWN_SIDE {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("a face box must lie on the photo and be at least {MIN_DRAWN_SIDE} pixels wide and high"),
        ));
    }
    Ok([left, top, right - left, bottom - top])
}

/// The face drawn on a photo of the library: the photo is read as shown and the face found in
/// the box.
pub(crate) fn face_in_photo_box(
    engine: &FaceEngine,
    photo: &PhotoRow,
    bounds: [f32; 4],
) -> Result<FoundFace> {
    let (_, image) = super::job::read_photo(&photo.path, Some(photo.orientation))
        .map_err(|(_, message)| Error::new(ErrorKind::Io, format!("{}: {message}", photo.path.display())))?;
    Ok(engine.face_in_box(&image, bounds))
}

/// Boxes of one face found by two models overlap far more than this (as for decisions).
const SAME_PLACE_IOU: f32 = 0.4;

/// Makes a face again from every box the user drew whose face row went with a new search of
/// its photo's faces (a new model, an edited file), unless the detector now finds a face
/// there itself. Photos that cannot be read now are left for the next time. Returns the faces
/// made.
pub(crate) fn restore_drawn_faces(catalog: &mut Catalog, engine: &FaceEngine) -> Result<u64> {
    let mut restored = 0;
    for drawn in catalog.drawn_faces_to_restore()? {
        let detected_there = catalog
            .faces_of_photo(drawn.photo_id)?
            .iter()
            .any(|f| crate::geometry::iou(drawn.bounds, [f.x, f.y, f.w, f.h]) >= SAME_PLACE_IOU);
        if detected_there {
            continue;
        }
        let photo = catalog.photo(drawn.photo_id)?;
        let Ok(face) = face_in_photo_box(engine, &photo, drawn.bounds) else { continue };
        catalog.restore_drawn_face(&drawn, &face, MODEL_ID)?;
        restored += 1;
    }
    Ok(restored)
}
