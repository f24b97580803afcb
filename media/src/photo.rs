//! What the scanner learns from a photo file's bytes: its size, camera facts, orientation and
//! XMP, and whether its pixels decode, as cheaply as each format allows.

use crate::decode::{self, DecodeError};
use crate::exif::{ExifFacts, read_exif, read_exif_block};
use crate::format::Format;

/// The facts of one photo file.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoFacts {
    pub format: Format,
    /// The pixel size of the picture Kindred decodes (a RAW file's preview; a HEIF's image
    /// after its own rotation and crop), before the orientation below.
    pub size: Option<(u32, u32)>,
    pub exif: ExifFacts,
    /// The orientation (1-8) the file declares for its decoded pixels, `None` when it declares
    /// none (a sidecar's then counts). A HEIF's own rotation is already applied by decoding,
    /// so one that declares any orientation declares 1.
    pub orientation: Option<u8>,
    /// The embedded XMP packet.
    pub xmp: Option<String>,
    /// Whether the pixels were decoded and found sound (HEIF and RAW previews are left to the
    /// face job).
    pub checked: bool,
    /// Why the pixels cannot be used, when they cannot.
    pub problem: Option<DecodeError>,
}

/// How far into a file its XMP packet is looked for: JPEG keeps it in an APP1 segment of at most
/// 64 KiB after at most a few others; PNG, WebP, TIFF and RAW writers put it before the pixels.
const XMP_SEARCH_BYTES: usize = 512 * 1024;

/// The orientation a photo file declares for its decoded pixels (see
/// [`PhotoFacts::orientation`]), read without decoding anything.
pub fn declared_orientation(bytes: &[u8], format: Format) -> Option<u8> {
    match format {
        Format::Heif | Format::Avif => {
            let exif = crate::heif::metadata(bytes).ok().and_then(|m| m.exif);
            let declared = crate::bmff::heif_geometry(bytes).is_some_and(|g| g.oriented)
                || exif.is_some_and(|tiff| read_exif_block(&tiff).orientation.is_some());
            declared.then_some(1)
        }
        Format::Raw => crate::raw::exif(bytes).orientation,
        _ => read_exif(bytes).orientation,
    }
}

/// Examines a photo's bytes. JPEG is decoded at 1/8 scale (every coefficient is still read, so
/// damage is found at a fraction of the cost); HEIF and RAW are read without decoding their
/// pixels, which the face job does.
pub fn inspect(bytes: &[u8], format: Format, max_pixels: u64) -> PhotoFacts {
    let mut facts = PhotoFacts {
        format,
        size: None,
        exif: ExifFacts::default(),
        orientation: None,
        xmp: None,
        checked: false,
        problem: None,
    };
    let embedded_xmp =
        || crate::xmp::embedded_packet(&bytes[..bytes.len().min(XMP_SEARCH_BYTES)]).map(str::to_string);
    match format {
        Format::Heif | Format::Avif => {
            match crate::heif::metadata(bytes) {
                Ok(metadata) => {
                    facts.exif = metadata.exif.as_deref().map(read_exif_block).unwrap_or_default();
                    facts.xmp = metadata.xmp;
                }
                Err(problem) => facts.problem = Some(problem),
            }
            let geometry = crate::bmff::heif_geometry(bytes);
            facts.size = geometry.map(|g| (g.width, g.height));
            let declared = geometry.is_some_and(|g| g.oriented) || facts.exif.orientation.is_some();
            facts.orientation = declared.then_some(1);
            if let Some((width, height)) = facts.size
                && u64::from(width) * u64::from(height) > max_pixels
            {
                facts.problem = Some(DecodeError::TooLarge { width, height });
            }
        }
        Format::Raw => {
            facts.exif = crate::raw::exif(bytes);
            facts.orientation = facts.exif.orientation;
            facts.xmp = embedded_xmp();
            match crate::raw::usable_preview(bytes) {
                Ok((preview, frame)) => {
                    facts.size = Some((frame.width, frame.height));
                    facts.problem = crate::jpeg::decode(preview, Some(1), max_pixels).err();
                    facts.checked = facts.problem.is_none();
                }
                Err(problem) => {
                    facts.size = crate::raw::largest_preview(bytes).map(|(_, f)| (f.width, f.height));
                    facts.problem = Some(problem);
                }
            }
        }
        Format::JpegXl => {
            facts.exif = read_exif(bytes);
            facts.orientation = facts.exif.orientation;
            facts.problem = Some(DecodeError::Unsupported("JPEG XL".into()));
        }
        _ => {
            facts.exif = read_exif(bytes);
            facts.orientation = facts.exif.orientation;
            facts.xmp = embedded_xmp();
            // The smallest decode the format allows: 1/8 scale for JPEG, full size otherwise.
            match decode::decode(bytes, format, Some(1), max_pixels) {
                Ok(decoded) => {
                    facts.size = Some((decoded.full_width, decoded.full_height));
                    facts.checked = true;
                }
                Err(problem) => {
                    if let DecodeError::TooLarge { width, height } = problem {
                        facts.size = Some((width, height));
                    }
                    facts.problem = Some(problem);
                }
            }
        }
    }
    facts
}
