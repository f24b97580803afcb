//! JPEG: the structure of a stream (its frame, where it ends) read marker by marker, and
//! decoding through libjpeg-turbo, scaled in the DCT domain when less than full size is needed.

use image::RgbImage;

use crate::decode::{DecodeError, Decoded};

/// What the markers of a JPEG stream say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) components: u8,
    /// Baseline, extended or progressive DCT: what a camera or phone writes for a picture.
    /// Lossless and hierarchical streams (a RAW file's sensor data) are not.
    pub(crate) is_dct_picture: bool,
}

/// A JPEG stream read as far as its markers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Structure {
    pub(crate) frame: Option<Frame>,
    /// Where the stream ends: just after its end-of-image marker, if it has one.
    pub(crate) end: Option<usize>,
    /// Bytes between segments that belong to no marker (tolerated by every decoder worth the
    /// name, and by this reader).
    pub(crate) stray_bytes: usize,
}

/// Reads the markers of the JPEG stream starting at `bytes[0]` (its SOI). Segments are skipped
/// by their lengths, so an EXIF thumbnail inside APP1 is not mistaken for the end; entropy-coded
/// data is walked to the next real marker (`FF 00` and restart markers belong to the data).
pub(crate) fn structure(bytes: &[u8]) -> Structure {
    let mut out = Structure { frame: None, end: None, stray_bytes: 0 };
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return out;
    }
    let mut at = 2;
    let mut in_scan = false;
    while at + 1 < bytes.len() {
        if bytes[at] != 0xFF {
            if in_scan {
                // Entropy-coded data: jump to the next FF.
                match bytes[at..].iter().position(|&b| b == 0xFF) {
                    Some(n) => at += n,
                    None => return out,
                }
                continue;
            }
            out.stray_bytes += 1;
            at += 1;
            continue;
        }
        let marker = bytes[at + 1];
        match marker {
            0xFF => at += 1, // fill byte
            0x00 | 0xD0..=0xD7 if in_scan => at += 2,
            0x00 | 0x01 | 0xD0..=0xD7 => {
                out.stray_bytes += 2;
                at += 2;
            }
            0xD9 => {
                out.end = Some(at + 2);
                return out;
            }
            0xD8 => {
                // A second SOI before the first stream ended: the stream is broken here.
                return out;
            }
            _ => {
                let Some(length) =
                    bytes.get(at + 2..at + 4).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                else {
                    return out;
                };
                if length < 2 {
                    return out;
                }
                let segment = &bytes[at + 4..(at + 2 + length).min(bytes.len())];
                if is_frame_marker(marker) && out.frame.is_none() && segment.len() >= 6 {
                    let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
                    let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
                    out.frame = Some(Frame {
                        width,
                        height,
                        components: segment[5],
                        is_dct_picture: matches!(marker, 0xC0 | 0xC1 | 0xC2),
                    });
                }
                in_scan = marker == 0xDA;
                at += 2 + length;
            }
        }
    }
    out
}

/// Start-of-frame markers (C4, C8 and CC are tables and a reserved code).
fn is_frame_marker(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// The pixel size of a JPEG stream, from its frame header.
pub(crate) fn dimensions(bytes: &[u8]) -> Result<(u32, u32), DecodeError> {
    match structure(bytes).frame {
        Some(frame) if frame.width > 0 && frame.height > 0 => Ok((frame.width, frame.height)),
        Some(_) => Err(DecodeError::Damaged("the frame header gives no size".into())),
        None if bytes.len() < 1024 => Err(DecodeError::Truncated),
        None => Err(DecodeError::Damaged("no frame header".into())),
    }
}

/// The scale denominators libjpeg-turbo decodes at in the DCT domain, largest reduction first.
const SCALES: [u32; 4] = [8, 4, 2, 1];

/// The smallest DCT scale (1/8, 1/4, 1/2 or 1) whose long side is still at least `min_side`.
pub(crate) fn scale_for(width: u32, height: u32, min_side: Option<u32>) -> u32 {
    let long = width.max(height);
    let Some(min_side) = min_side else { return 1 };
    SCALES.into_iter().find(|&d| long.div_ceil(d) >= min_side).unwrap_or(1)
}

/// Decodes a JPEG stream to RGB, at the smallest DCT scale whose long side is at least
/// `min_side` (all of it when `None`).
pub(crate) fn decode(bytes: &[u8], min_side: Option<u32>, max_pixels: u64) -> Result<Decoded, DecodeError> {
    let shape = structure(bytes);
    let (width, height) = dimensions(bytes)?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(DecodeError::TooLarge { width, height });
    }
    let denominator = scale_for(width, height, min_side);
    let (w, h) = (width.div_ceil(denominator), height.div_ceil(denominator));
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    let image = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: w as usize,
        pitch: w as usize * 3,
        height: h as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let result =
        turbojpeg::Decompressor::new().and_then(|mut d| d.decompress(bytes, image)).map_err(|e| classify(&e));
    // A stream without its end marker was cut short; libjpeg fills the missing rows with grey.
    if shape.end.is_none() {
        return Err(DecodeError::Truncated);
    }
    match result {
        Ok(()) | Err(Warning::Harmless) => {}
        Err(Warning::Truncated) => return Err(DecodeError::Truncated),
        Err(Warning::Damaged(message)) => return Err(DecodeError::Damaged(message)),
        // What libjpeg cannot convert (CMYK and YCCK from Adobe software, arithmetic coding in
        // old builds) goes to the second decoder.
        Err(Warning::Refused) => return decode_with_image_crate(bytes, width, height, max_pixels),
    }
    let image = RgbImage::from_raw(w, h, pixels).expect("the buffer was sized for the image");
    Ok(Decoded { image, full_width: width, full_height: height })
}

/// What a libjpeg-turbo error message means for the picture.
enum Warning {
    /// A libjpeg warning about the file's form, not its pixels (stray bytes between segments,
    /// an unknown JFIF revision, a bad ICC marker): the picture is complete.
    Harmless,
    /// The data ends before the picture does.
    Truncated,
    /// The entropy-coded data is corrupt: parts of the picture are wrong.
    Damaged(String),
    /// libjpeg stopped without decoding: it does not handle this stream.
    Refused,
}

/// libjpeg-turbo's TJ2 interface reports a warning and an error alike, with the library's
/// message; the messages are libjpeg's own (`jerror.h`), unchanged for decades.
fn classify(error: &turbojpeg::Error) -> Warning {
    let message = match error {
        turbojpeg::Error::TurboJpegError(message) => message.as_str(),
        _ => return Warning::Refused,
    };
    let lower = message.to_ascii_lowercase();
    if lower.contains("extraneous bytes before marker")
        || lower.contains("unknown jfif revision")
        || lower.contains("bad icc marker")
        || lower.contains("unknown adobe color transform")
    {
        Warning::Harmless
    } else if lower.contains("premature end") {
        Warning::Truncated
    } else if lower.starts_with("corrupt jpeg data") || lower.contains("inconsistent progression") {
        Warning::Damaged(message.trim_start_matches("Corrupt JPEG data: ").to_string())
    } else {
        Warning::Refused
    }
}

fn decode_with_image_crate(
    bytes: &[u8],
    width: u32,
    height: u32,
    max_pixels: u64,
) -> Result<Decoded, DecodeError> {
    let image = crate::decode::decode_with_image(bytes, image::ImageFormat::Jpeg, max_pixels)?;
    Ok(Decoded { image, full_width: width, full_height: height })
}

/// Every JPEG stream embedded in `bytes` that holds a picture (baseline or progressive DCT), as
/// (offset, length, frame). Camera RAW files keep their previews this way, each a complete JPEG
/// stream, wherever the maker's container puts it.
pub(crate) fn embedded_pictures(bytes: &[u8]) -> Vec<(usize, usize, Frame)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(n) = find_soi(&bytes[from..]) {
        let start = from + n;
        let shape = structure(&bytes[start..]);
        match (shape.frame, shape.end) {
            (Some(frame), Some(end)) if frame.is_dct_picture && frame.width > 0 && frame.height > 0 => {
                found.push((start, end, frame));
                // A stream's own thumbnails (inside its APP1) are smaller; skip past it.
                from = start + end;
            }
            _ => from = start + 2,
        }
    }
    found
}

fn find_soi(bytes: &[u8]) -> Option<usize> {
    bytes.windows(3).position(|w| w == [0xFF, 0xD8, 0xFF])
}
