//! Image formats and decoding, shared by the scanner and the face pipeline.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// The image formats Kindred recognises by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Tiff,
    Gif,
    Bmp,
    Heif,
    Avif,
    JpegXl,
    Raw,
}

impl Format {
    /// The name stored in the catalog.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Tiff => "tiff",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
            Format::Heif => "heif",
            Format::Avif => "avif",
            Format::JpegXl => "jxl",
            Format::Raw => "raw",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Tiff => "TIFF",
            Format::Gif => "GIF",
            Format::Bmp => "BMP",
            Format::Heif => "HEIC/HEIF",
            Format::Avif => "AVIF",
            Format::JpegXl => "JPEG XL",
            Format::Raw => "camera RAW",
        }
    }

    /// Whether Kindred can decode it today; the others are recorded as "unsupported for now".
    pub fn is_decodable(self) -> bool {
        self.image_format().is_some()
    }

    fn image_format(self) -> Option<ImageFormat> {
        Some(match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::WebP => ImageFormat::WebP,
            Format::Tiff => ImageFormat::Tiff,
            Format::Gif => ImageFormat::Gif,
            Format::Bmp => ImageFormat::Bmp,
            Format::Heif | Format::Avif | Format::JpegXl | Format::Raw => return None,
        })
    }

    /// The format a file name claims (lower-case extension).
    pub fn from_extension(extension: &str) -> Option<Format> {
        Some(match extension {
            "jpg" | "jpeg" | "jpe" | "jfif" => Format::Jpeg,
            "png" => Format::Png,
            "webp" => Format::WebP,
            "tif" | "tiff" => Format::Tiff,
            "gif" => Format::Gif,
            "bmp" | "dib" => Format::Bmp,
            "heic" | "heif" | "hif" => Format::Heif,
            "avif" => Format::Avif,
            "jxl" => Format::JpegXl,
            ext if RAW_EXTENSIONS.contains(&ext) => Format::Raw,
            _ => return None,
        })
    }

    /// Recognises a format from the first bytes of a file. TIFF-based camera RAW files carry a
    /// plain TIFF signature, so for those the extension tells RAW from TIFF.
    pub fn sniff(bytes: &[u8], extension: Option<&str>) -> Option<Format> {
        let starts = |magic: &[u8]| bytes.starts_with(magic);
        if starts(&[0xFF, 0xD8, 0xFF]) {
            return Some(Format::Jpeg);
        }
        if starts(b"\x89PNG\r\n\x1a\n") {
            return Some(Format::Png);
        }
        if starts(b"GIF87a") || starts(b"GIF89a") {
            return Some(Format::Gif);
        }
        if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            return Some(Format::WebP);
        }
        if starts(b"BM") && bytes.len() >= 26 {
            // The two-byte signature is short: also require the DIB header size to be a known one.
            let dib = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
            if matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124) {
                return Some(Format::Bmp);
            }
        }
        if starts(b"FUJIFILMCCD-RAW") || starts(b"IIRO") || starts(b"IIRS") || starts(b"IIU\0") {
            return Some(Format::Raw);
        }
        if starts(b"II*\0") || starts(b"MM\0*") {
            let raw_name = extension.is_some_and(|e| RAW_EXTENSIONS.contains(&e));
            let canon_raw = bytes.len() >= 10 && &bytes[8..10] == b"CR";
            return Some(if raw_name || canon_raw { Format::Raw } else { Format::Tiff });
        }
        if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0CJXL \r\n\x87\n") {
            return Some(Format::JpegXl);
        }
        if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
            return match &bytes[8..12] {
                b"avif" | b"avis" => Some(Format::Avif),
                b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                    Some(Format::Heif)
                }
                b"crx " => Some(Format::Raw),
                _ => None,
            };
        }
        None
    }
}

const RAW_EXTENSIONS: &[&str] = &[
    "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "dng", "orf", "rw2", "raf", "pef", "srw", "3fr",
    "erf", "kdc", "mrw", "x3f", "iiq", "rwl",
];

/// Why an image could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The header announces more pixels than the limit: decoding could exhaust memory.
    TooLarge { width: u32, height: u32 },
    /// The data stops before the image is complete (an interrupted copy or download).
    Truncated,
    /// The decoder rejected the data.
    Damaged(String),
}

/// Decodes a whole image after checking its announced size against `max_pixels`, so that a
/// decompression bomb is refused before any pixel memory is allocated.
pub fn decode_checked(bytes: &[u8], format: Format, max_pixels: u64) -> Result<DynamicImage, DecodeError> {
    let image_format =
        format.image_format().ok_or_else(|| DecodeError::Damaged("unsupported format".into()))?;
    let reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let (width, height) = reader.into_dimensions().map_err(describe)?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(DecodeError::TooLarge { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut limits = Limits::default();
    // Room for the decoded pixels at 16 bits per channel, RGBA, plus decoder scratch space.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    let image = reader.decode().map_err(describe)?;
    // The JPEG decoder fills a cut-off image with grey instead of failing; the missing
    // end-of-image marker tells us.
    if format == Format::Jpeg && !jpeg_has_end(bytes) {
        return Err(DecodeError::Truncated);
    }
    Ok(image)
}

fn describe(error: image::ImageError) -> DecodeError {
    match &error {
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated
        }
        _ if error.to_string().to_ascii_lowercase().contains("unexpected end") => DecodeError::Truncated,
        _ => DecodeError::Damaged(error.to_string()),
    }
}

/// Whether a JPEG has an end-of-image marker after its first scan. Header segments are skipped by
/// their lengths, so the EOI of an EXIF thumbnail (inside APP1) does not count. Bytes after the
/// EOI (e.g. the video of a "motion photo") are allowed.
fn jpeg_has_end(bytes: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if marker == 0xDA {
            let scan_data = bytes.get(at + 2 + length..).unwrap_or_default();
            return scan_data.windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        at += 2 + length;
    }
    false
}

/// The photo as a person sees it: decoded, with its EXIF orientation applied.
pub fn decode_oriented(
    bytes: &[u8],
    format: Format,
    orientation: u8,
    max_pixels: u64,
) -> Result<DynamicImage, DecodeError> {
    let mut image = decode_checked(bytes, format, max_pixels)?;
    if let Some(orientation) = image::metadata::Orientation::from_exif(orientation) {
        image.apply_orientation(orientation);
    }
    Ok(image)
}
