//! HEIC, HEIF and AVIF through libheif: the primary image, decoded with the container's
//! rotation, mirroring and crop applied (exactly once: a HEIF's EXIF orientation only repeats
//! what `irot` and `imir` already say), and its EXIF and XMP items.

use std::sync::OnceLock;

use image::RgbImage;
use libheif_rs::{ColorSpace, HeifContext, HeifErrorCode, HeifErrorSubCode, ItemId, LibHeif, RgbChroma};

use crate::decode::{DecodeError, Decoded};

/// libheif's global state, initialised once for the process (decoders are thread-safe).
fn library() -> &'static LibHeif {
    static LIBRARY: OnceLock<LibHeif> = OnceLock::new();
    LIBRARY.get_or_init(LibHeif::new)
}

fn open(bytes: &[u8]) -> Result<HeifContext<'_>, DecodeError> {
    library();
    HeifContext::read_from_bytes(bytes).map_err(describe)
}

/// Decodes the primary image, upright as the container says.
pub(crate) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    let context = open(bytes)?;
    let handle = context.primary_image_handle().map_err(describe)?;
    let (width, height) = (handle.width(), handle.height());
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(DecodeError::TooLarge { width, height });
    }
    // Options stay `None`: the binding for libheif 1.15 frees options before using them.
    let decoded = library().decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None).map_err(describe)?;
    let planes = decoded.planes();
    let plane = planes
        .interleaved
        .ok_or_else(|| DecodeError::Unsupported("HEIF image without an RGB rendering".into()))?;
    if plane.storage_bits_per_pixel != 24 {
        return Err(DecodeError::Unsupported(format!(
            "HEIF image delivered with {} bits per pixel",
            plane.storage_bits_per_pixel
        )));
    }
    let (w, h, stride) = (plane.width, plane.height, plane.stride);
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
    for row in plane.data.chunks(stride).take(h as usize) {
        pixels.extend_from_slice(row.get(..w as usize * 3).ok_or(DecodeError::Truncated)?);
    }
    let image = RgbImage::from_raw(w, h, pixels).ok_or(DecodeError::Truncated)?;
    Ok(Decoded { image, full_width: w, full_height: h })
}

/// The metadata a HEIF file carries for its primary image.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HeifMetadata {
    /// The EXIF item's TIFF data (after the offset libheif leaves in front of it).
    pub(crate) exif: Option<Vec<u8>>,
    pub(crate) xmp: Option<String>,
}

pub(crate) fn metadata(bytes: &[u8]) -> Result<HeifMetadata, DecodeError> {
    let context = open(bytes)?;
    let handle = context.primary_image_handle().map_err(describe)?;
    let mut out = HeifMetadata::default();
    let count = handle.number_of_metadata_blocks(b"\0\0\0\0").max(0) as usize;
    let mut ids: Vec<ItemId> = vec![0; count];
    let found = handle.metadata_block_ids(&mut ids, b"\0\0\0\0");
    for &id in &ids[..found.min(count)] {
        let Ok(data) = handle.metadata(id) else { continue };
        match handle.metadata_type(id) {
            Some("Exif") if out.exif.is_none() => {
                // A 4-byte big-endian offset from the end of itself to the TIFF header.
                let Some(offset) =
                    data.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
                else {
                    continue;
                };
                out.exif = data.get(4usize.saturating_add(offset)..).map(<[u8]>::to_vec);
            }
            Some("mime")
                if out.xmp.is_none() && handle.metadata_content_type(id) == Some("application/rdf+xml") =>
            {
                out.xmp = String::from_utf8(data).ok();
            }
            _ => {}
        }
    }
    Ok(out)
}

fn describe(error: libheif_rs::HeifError) -> DecodeError {
    let what =
        if error.message.is_empty() { "the file's structure is invalid".to_string() } else { error.message };
    match (error.code, error.sub_code) {
        (_, HeifErrorSubCode::EndOfData) => DecodeError::Truncated,
        (HeifErrorCode::UnsupportedFeature | HeifErrorCode::UnsupportedFileType, _) => {
            DecodeError::Unsupported(what)
        }
        (HeifErrorCode::MemoryAllocationError, _) | (_, HeifErrorSubCode::SecurityLimitExceeded) => {
            DecodeError::Damaged(format!("{what}: it asks for more memory than a photo needs"))
        }
        _ => DecodeError::Damaged(what),
    }
}
