//! Camera RAW files: the camera's own rendering of the shot, and the shot's EXIF.
//!
//! Every RAW container (TIFF-based CR2, NEF, ARW, DNG, PEF, SRW, ORF, RW2; Canon's ISO-based
//! CR3; Fujifilm's RAF) keeps the camera-rendered previews as complete baseline JPEG streams,
//! but each maker files them somewhere else (IFD0, sub-IFDs, maker notes, `uuid` boxes, a
//! header offset). Kindred finds the JPEG streams themselves, checks each one's markers, and
//! takes the largest: the same picture whatever the container. The sensor data (lossless JPEG
//! in CR2 and DNG) is never mistaken for one: it is not a DCT picture.

use crate::decode::{DecodeError, Decoded, MIN_RAW_PREVIEW_SIDE};
use crate::exif::{ExifFacts, read_exif, read_exif_block};
use crate::jpeg::{self, Frame};

/// The largest camera-rendered picture inside a RAW file: its JPEG stream and frame.
pub(crate) fn largest_preview(bytes: &[u8]) -> Option<(&[u8], Frame)> {
    jpeg::embedded_pictures(bytes)
        .into_iter()
        .max_by_key(|(_, _, frame)| u64::from(frame.width) * u64::from(frame.height))
        .map(|(offset, length, frame)| (&bytes[offset..offset + length], frame))
}

/// The largest preview, if it is large enough to find faces on.
pub(crate) fn usable_preview(bytes: &[u8]) -> Result<(&[u8], Frame), DecodeError> {
    match largest_preview(bytes) {
        None => Err(DecodeError::NoPreview(None)),
        Some((_, frame)) if frame.width.max(frame.height) < MIN_RAW_PREVIEW_SIDE => {
            Err(DecodeError::NoPreview(Some((frame.width, frame.height))))
        }
        Some(found) => Ok(found),
    }
}

/// Decodes the largest preview (scaled as `min_side` allows).
pub(crate) fn decode(bytes: &[u8], min_side: Option<u32>, max_pixels: u64) -> Result<Decoded, DecodeError> {
    let (preview, _) = usable_preview(bytes)?;
    jpeg::decode(preview, min_side, max_pixels)
}

/// The shot's EXIF: from the container where it is TIFF-structured (including Olympus' and
/// Panasonic's own TIFF signatures, and CR3's `CMT` boxes), completed from the largest preview's
/// own EXIF (what RAF keeps).
pub(crate) fn exif(bytes: &[u8]) -> ExifFacts {
    let container = if bytes.starts_with(b"IIRO") || bytes.starts_with(b"IIRS") || bytes.starts_with(b"IIU\0")
    {
        // ORF and RW2 are TIFF with another magic number in the header.
        let mut tiff = bytes.to_vec();
        tiff[2..4].copy_from_slice(b"*\0");
        read_exif_block(&tiff)
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        cr3_exif(bytes)
    } else {
        read_exif(bytes)
    };
    match largest_preview(bytes) {
        Some((preview, _)) => container.or(read_exif(preview)),
        None => container,
    }
}

/// Canon's `uuid` box in `moov` that holds the CR3's TIFF blocks.
const CANON_CR3_UUID: [u8; 16] =
    [0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48];

/// CR3: `CMT1` is IFD0 (camera, orientation), `CMT2` the Exif IFD (dates), `CMT4` the GPS IFD,
/// each a TIFF structure of its own.
fn cr3_exif(bytes: &[u8]) -> ExifFacts {
    let Some(moov) = crate::bmff::find(bytes, b"moov") else { return ExifFacts::default() };
    let Some(canon) = crate::bmff::boxes(moov.body).find(|b| b.uuid == Some(CANON_CR3_UUID)) else {
        return ExifFacts::default();
    };
    let block = |kind: &[u8; 4]| crate::bmff::find(canon.body, kind).map(|b| b.body);
    let mut facts = block(b"CMT1").map(read_exif_block).unwrap_or_default();
    for (kind, pointer_tag) in [(b"CMT2", 0x8769u16), (b"CMT4", 0x8825u16)] {
        if let Some(tiff) = block(kind).and_then(|b| as_sub_ifd(b, pointer_tag)) {
            facts = facts.or(read_exif_block(&tiff));
        }
    }
    facts
}

/// A TIFF block whose IFD0 is really an Exif or GPS IFD, rewritten so that a standard reader
/// finds it there: a new IFD0 holding only the pointer tag to the old one is appended.
fn as_sub_ifd(tiff: &[u8], pointer_tag: u16) -> Option<Vec<u8>> {
    let little = match tiff.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_bytes = |v: u16| if little { v.to_le_bytes() } else { v.to_be_bytes() };
    let u32_bytes = |v: u32| if little { v.to_le_bytes() } else { v.to_be_bytes() };
    let old_ifd: [u8; 4] = tiff.get(4..8)?.try_into().ok()?;
    let mut out = tiff.to_vec();
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let new_ifd = u32::try_from(out.len()).ok()?;
    out.extend_from_slice(&u16_bytes(1));
    out.extend_from_slice(&u16_bytes(pointer_tag));
    out.extend_from_slice(&u16_bytes(4)); // LONG
    out.extend_from_slice(&u32_bytes(1));
    out.extend_from_slice(&old_ifd);
    out.extend_from_slice(&u32_bytes(0));
    out[4..8].copy_from_slice(&u32_bytes(new_ifd));
    Some(out)
}
