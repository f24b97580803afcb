//! TIFF: through the `image` crate, and for the variants it refuses, through the `tiff` crate's
//! own decoder with the last step done here: palette images (indices through the colour map),
//! JPEG-compressed YCbCr (libtiff's usual output, converted to RGB) and old-style JPEG
//! (compression 6: the complete JPEG stream the file points to).

use std::io::Cursor;

use image::{ImageFormat, RgbImage};
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use crate::decode::{DecodeError, decode_with_image};

const PHOTOMETRIC_PALETTE: u16 = 3;
const PHOTOMETRIC_YCBCR: u16 = 6;
const COMPRESSION_OLD_JPEG: u16 = 6;

pub(crate) fn decode(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, DecodeError> {
    let refused = match decode_with_image(bytes, ImageFormat::Tiff, max_pixels) {
        Err(DecodeError::Unsupported(what)) => what,
        done => return done,
    };
    let layout = Layout::read(bytes, max_pixels)?;
    match (layout.photometric, layout.compression) {
        (_, COMPRESSION_OLD_JPEG) => old_style_jpeg(bytes, &layout, max_pixels),
        (PHOTOMETRIC_PALETTE, _) => palette(bytes, &layout, max_pixels),
        (PHOTOMETRIC_YCBCR, 7) => ycbcr_jpeg(bytes, max_pixels),
        _ => Err(DecodeError::Unsupported(format!("TIFF variant: {refused}"))),
    }
}

/// The first image's tags that decide how to decode it.
struct Layout {
    width: u32,
    height: u32,
    photometric: u16,
    compression: u16,
    bits: u16,
    colour_map: Option<Vec<u16>>,
    jpeg_stream: Option<(u64, u64)>,
}

impl Layout {
    fn read(bytes: &[u8], max_pixels: u64) -> Result<Layout, DecodeError> {
        let mut decoder = open(bytes, max_pixels)?;
        let (width, height) = decoder.dimensions().map_err(describe)?;
        if u64::from(width) * u64::from(height) > max_pixels {
            return Err(DecodeError::TooLarge { width, height });
        }
        let mut tag = |tag: Tag| decoder.find_tag_unsigned::<u64>(tag).ok().flatten();
        let photometric = tag(Tag::PhotometricInterpretation).unwrap_or(0) as u16;
        let compression = tag(Tag::Compression).unwrap_or(1) as u16;
        let bits = tag(Tag::BitsPerSample).unwrap_or(1) as u16;
        // JPEGInterchangeFormat and its length.
        let jpeg_stream = tag(Tag::Unknown(513)).zip(tag(Tag::Unknown(514)));
        let colour_map = decoder.find_tag_unsigned_vec::<u16>(Tag::ColorMap).ok().flatten();
        Ok(Layout { width, height, photometric, compression, bits, colour_map, jpeg_stream })
    }
}

fn open(bytes: &[u8], max_pixels: u64) -> Result<Decoder<Cursor<&[u8]>>, DecodeError> {
    let mut limits = Limits::default();
    limits.decoding_buffer_size = usize::try_from(max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    Decoder::new(Cursor::new(bytes)).map(|d| d.with_limits(limits)).map_err(describe)
}

fn describe(error: tiff::TiffError) -> DecodeError {
    match error {
        tiff::TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated
        }
        tiff::TiffError::UnsupportedError(e) => DecodeError::Unsupported(format!("TIFF variant: {e}")),
        tiff::TiffError::LimitsExceeded => {
            DecodeError::Damaged("it asks for more memory than its size can need".into())
        }
        other => DecodeError::Damaged(other.to_string()),
    }
}

/// Old-style JPEG-in-TIFF: decoders that still read it use the complete JPEG stream that
/// `JPEGInterchangeFormat` points to.
fn old_style_jpeg(bytes: &[u8], layout: &Layout, max_pixels: u64) -> Result<RgbImage, DecodeError> {
    let (offset, length) = layout.jpeg_stream.ok_or_else(|| {
        DecodeError::Unsupported("old-style JPEG-in-TIFF without a complete JPEG stream".into())
    })?;
    let start = usize::try_from(offset).map_err(|_| DecodeError::Truncated)?;
    let end = start.checked_add(usize::try_from(length).map_err(|_| DecodeError::Truncated)?);
    let stream = end.and_then(|end| bytes.get(start..end)).ok_or(DecodeError::Truncated)?;
    Ok(crate::jpeg::decode(stream, None, max_pixels)?.image)
}

/// A palette image: its samples decoded as if they were grey levels (the tag that says
/// "palette" is changed in a copy of the header), then looked up in the colour map.
fn palette(bytes: &[u8], layout: &Layout, max_pixels: u64) -> Result<RgbImage, DecodeError> {
    let map = layout
        .colour_map
        .as_deref()
        .ok_or_else(|| DecodeError::Damaged("a palette image without its colour map".into()))?;
    let entries = 1usize << layout.bits.min(16);
    if !matches!(layout.bits, 1 | 2 | 4 | 8) || map.len() < 3 * entries {
        return Err(DecodeError::Unsupported(format!("TIFF palette of {} bits per sample", layout.bits)));
    }
    let mut grey = bytes.to_vec();
    set_photometric(&mut grey, 1).ok_or_else(|| DecodeError::Damaged("unreadable first directory".into()))?;
    let mut decoder = open(&grey, max_pixels)?;
    let DecodingResult::U8(samples) = decoder.read_image().map_err(describe)? else {
        return Err(DecodeError::Unsupported(format!("TIFF palette of {} bits per sample", layout.bits)));
    };
    let (w, h) = (layout.width as usize, layout.height as usize);
    let bits = usize::from(layout.bits);
    let row_bytes = (w * bits).div_ceil(8);
    if samples.len() < row_bytes * h {
        return Err(DecodeError::Truncated);
    }
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in samples.chunks_exact(row_bytes).take(h) {
        for x in 0..w {
            let bit = x * bits;
            let index = usize::from((row[bit / 8] >> (8 - bits - bit % 8)) & ((1u16 << bits) - 1) as u8);
            // 16-bit colour map entries: reds, then greens, then blues.
            for channel in 0..3 {
                rgb.push((map[channel * entries + index] >> 8) as u8);
            }
        }
    }
    Ok(RgbImage::from_raw(layout.width, layout.height, rgb).expect("sized for the image"))
}

/// Refuses a JPEG-compressed TIFF whose strips or tiles hold JPEG frames larger than the strip
/// or tile they fill, or whose shared tables hold a frame of their own: the JPEG decoder would
/// do the work of the size the frame claims, however small the file, before the mismatch shows.
fn check_jpeg_chunks(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<(), DecodeError> {
    let damaged = || DecodeError::Damaged("a JPEG strip of the TIFF is larger than the picture".into());
    if let Ok(tables) = decoder.get_tag_u8_vec(Tag::JPEGTables) {
        if crate::jpeg::structure(&tables).frame.is_some() {
            return Err(damaged());
        }
    }
    let mut tag = |tag: Tag| decoder.find_tag_unsigned::<u32>(tag).ok().flatten();
    let (chunk_width, chunk_height, offsets, counts) = match (tag(Tag::TileWidth), tag(Tag::TileLength)) {
        (Some(w), Some(h)) => (w, h, Tag::TileOffsets, Tag::TileByteCounts),
        _ => (
            width,
            tag(Tag::RowsPerStrip).unwrap_or(height).min(height),
            Tag::StripOffsets,
            Tag::StripByteCounts,
        ),
    };
    let offsets = decoder.find_tag_unsigned_vec::<u64>(offsets).ok().flatten().unwrap_or_default();
    let counts = decoder.find_tag_unsigned_vec::<u64>(counts).ok().flatten().unwrap_or_default();
    // A frame may round its strip up to whole MCUs (at most 16 pixels).
    let fits =
        |frame: crate::jpeg::Frame| frame.width <= chunk_width + 16 && frame.height <= chunk_height + 16;
    for (&offset, &count) in offsets.iter().zip(&counts) {
        let Some(chunk) = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(count).ok())
            .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
        else {
            continue; // the decoder says what is wrong with a strip outside the file
        };
        if let Some(frame) = crate::jpeg::structure(chunk).frame {
            if !fits(frame) {
                return Err(damaged());
            }
        }
    }
    Ok(())
}

/// JPEG-compressed YCbCr: the `tiff` crate returns the JPEG decoder's YCbCr samples as they
/// are; the JFIF conversion to RGB is applied here.
fn ycbcr_jpeg(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, DecodeError> {
    let mut decoder = open(bytes, max_pixels)?;
    let (width, height) = decoder.dimensions().map_err(describe)?;
    check_jpeg_chunks(&mut decoder, bytes, width, height)?;
    let DecodingResult::U8(samples) = decoder.read_image().map_err(describe)? else {
        return Err(DecodeError::Unsupported("YCbCr TIFF of more than 8 bits per sample".into()));
    };
    let pixels = width as usize * height as usize;
    if samples.len() < pixels * 3 {
        return Err(DecodeError::Truncated);
    }
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    let mut rgb = Vec::with_capacity(pixels * 3);
    for px in samples.chunks_exact(3).take(pixels) {
        let (y, cb, cr) = (f32::from(px[0]), f32::from(px[1]) - 128.0, f32::from(px[2]) - 128.0);
        rgb.extend([
            clamp(y + 1.402 * cr),
            clamp(y - 0.344_136 * cb - 0.714_136 * cr),
            clamp(y + 1.772 * cb),
        ]);
    }
    Ok(RgbImage::from_raw(width, height, rgb).expect("sized for the image"))
}

/// Rewrites the `PhotometricInterpretation` value of the first directory in place.
fn set_photometric(bytes: &mut [u8], value: u16) -> Option<()> {
    let little = match bytes.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |b: &[u8], at: usize| -> Option<u16> {
        let v: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if little { u16::from_le_bytes(v) } else { u16::from_be_bytes(v) })
    };
    let u64_at = |b: &[u8], at: usize, len: usize| -> Option<u64> {
        let v = b.get(at..at + len)?;
        let mut buf = [0u8; 8];
        if little {
            buf[..len].copy_from_slice(v);
            Some(u64::from_le_bytes(buf))
        } else {
            buf[8 - len..].copy_from_slice(v);
            Some(u64::from_be_bytes(buf))
        }
    };
    let big = u16_at(bytes, 2)? == 43;
    let (ifd, count_len, entry_len) =
        if big { (u64_at(bytes, 8, 8)?, 8, 20) } else { (u64_at(bytes, 4, 4)?, 2, 12) };
    let ifd = usize::try_from(ifd).ok()?;
    let count = usize::try_from(u64_at(bytes, ifd, count_len)?).ok()?;
    for i in 0..count.min(4096) {
        let entry = ifd + count_len + i * entry_len;
        if u16_at(bytes, entry)? == 262 {
            let value_at = entry + if big { 12 } else { 8 };
            let encoded = if little { value.to_le_bytes() } else { value.to_be_bytes() };
            bytes.get_mut(value_at..value_at + 2)?.copy_from_slice(&encoded);
            return Some(());
        }
    }
    None
}
