//! The face thumbnail cache: small square JPEGs of each face for the UI, kept in a folder
//! beside the library. Everything here can be rebuilt from the photos at any time.

use std::path::{Path, PathBuf};

use image::{RgbImage, imageops};

use crate::catalog::Catalog;
use crate::error::{Error, ErrorKind, Result};

/// The side of a face thumbnail, in pixels.
pub(crate) const THUMBNAIL_SIDE: u32 = 160;

/// A square around the face with some margin, scaled to [`THUMBNAIL_SIDE`]; parts outside the
/// photo are black.
pub(crate) fn render(photo: &RgbImage, x: f32, y: f32, w: f32, h: f32) -> RgbImage {
    let side = (w.max(h) * 1.6).max(1.0);
    let left = (x + w / 2.0 - side / 2.0).round() as i64;
    let top = (y + h / 2.0 - side / 2.0).round() as i64;
    let side_px = side.round().max(1.0) as u32;
    let mut square = RgbImage::new(side_px, side_px);
    imageops::replace(&mut square, photo, -left, -top);
    imageops::thumbnail(&square, THUMBNAIL_SIDE, THUMBNAIL_SIDE)
}

fn path_for(cache_dir: &Path, face_id: i64) -> PathBuf {
    cache_dir.join("faces").join(format!("{face_id}.jpg"))
}

/// A thumbnail as the JPEG file the cache holds.
pub(crate) fn encode(thumbnail: &RgbImage) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    thumbnail
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .map_err(std::io::Error::other)?;
    Ok(bytes)
}

/// Writes a thumbnail atomically (temporary file in the same folder, then rename), so a reader
/// never sees half of one.
pub(crate) fn save(cache_dir: &Path, face_id: i64, thumbnail: &RgbImage) -> std::io::Result<PathBuf> {
    save_encoded(cache_dir, face_id, &encode(thumbnail)?)
}

/// [`save`] for a thumbnail already encoded by [`encode`].
pub(crate) fn save_encoded(cache_dir: &Path, face_id: i64, jpeg: &[u8]) -> std::io::Result<PathBuf> {
    let path = path_for(cache_dir, face_id);
    std::fs::create_dir_all(path.parent().unwrap_or(cache_dir))?;
    crate::files::write_atomically(&path, crate::files::Durability::Cache, |file| {
        std::io::Write::write_all(file, jpeg)
    })?;
    Ok(path)
}

/// The thumbnail of a face, made from its photo if it is not in the cache.
pub(crate) fn face_thumbnail(catalog: &Catalog, cache_dir: &Path, face_id: i64) -> Result<PathBuf> {
    let path = path_for(cache_dir, face_id);
    if path.is_file() {
        return Ok(path);
    }
    let face = catalog.face(face_id)?;
    let photo = catalog.photo(face.photo_id)?;
    let (_, image) = super::job::read_photo(&photo.path, Some(photo.orientation))
        .map_err(|(_, message)| Error::new(ErrorKind::Io, format!("{}: {message}", photo.path.display())))?;
    save(cache_dir, face_id, &render(&image, face.x, face.y, face.w, face.h))
        .map_err(|e| Error::io(&path, "cannot write the face thumbnail", e))
}

/// Previews up to this size (grid tiles) are kept in the cache; larger ones (the photo viewer)
/// are made when asked, since they are seen one at a time.
const LARGEST_CACHED_PREVIEW: u32 = 512;

/// A photo as a JPEG for the screen: upright (EXIF orientation applied, the frame face boxes
/// are in) and at most `max_side` pixels on its long side. Any decodable format comes out as a
/// JPEG, so the UI never needs to understand the original file. Small previews are cached by
/// content hash, so an edited photo gets a new one.
pub(crate) fn photo_preview(
    catalog: &Catalog,
    cache_dir: &Path,
    photo_id: i64,
    max_side: u32,
) -> Result<PhotoPreview> {
    let photo = catalog.photo(photo_id)?;
    let cached = match &photo.content_hash {
        Some(hash) if max_side <= LARGEST_CACHED_PREVIEW => {
            Some(cache_dir.join("previews").join(format!("{hash}-{max_side}.jpg")))
        }
        _ => None,
    };
    if let (Some(path), Some((width, height))) = (&cached, photo.upright_size())
        && let Ok(jpeg) = std::fs::read(path)
    {
        return Ok(PhotoPreview { jpeg, width, height });
    }
    let (_, image) = super::job::read_photo(&photo.path, Some(photo.orientation))
        .map_err(|(_, message)| Error::new(ErrorKind::Io, format!("{}: {message}", photo.path.display())))?;
    let (width, height) = image.dimensions();
    let shown = if width.max(height) > max_side {
        imageops::thumbnail(&image, scaled(width, height, max_side), scaled(height, width, max_side))
    } else {
        image
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88).encode_image(&shown).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot encode a preview of photo {photo_id}: {e}"))
    })?;
    if let Some(path) = cached {
        // A cache that cannot be written only costs speed.
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(cache_dir)).and_then(|()| {
            crate::files::write_atomically(&path, crate::files::Durability::Cache, |file| {
                std::io::Write::write_all(file, &jpeg)
            })
        });
    }
    Ok(PhotoPreview { jpeg, width, height })
}

/// `side` scaled so that the longer of `side` and `other` becomes `max_side`.
fn scaled(side: u32, other: u32, max_side: u32) -> u32 {
    ((u64::from(side) * u64::from(max_side)) / u64::from(side.max(other))).max(1) as u32
}

/// An upright photo as a JPEG, with the size of the upright original (the frame of face boxes).
#[derive(Debug, Clone)]
pub struct PhotoPreview {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}
