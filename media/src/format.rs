//! Recognising a file's format by its content.

/// The photo formats Kindred recognises by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// The format a catalog name stands for.
    pub fn from_name(name: &str) -> Option<Format> {
        ALL.iter().copied().find(|f| f.name() == name)
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

    /// Whether Kindred decodes it; the others are recorded as unsupported.
    pub fn is_decodable(self) -> bool {
        !matches!(self, Format::JpegXl)
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

    /// Recognises a format from the first bytes of a file ([`SNIFF_BYTES`] are enough). TIFF-based
    /// camera RAW files carry a plain TIFF signature, so for those the extension tells RAW from
    /// TIFF.
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
            // The two-byte signature is short: also require the DIB header size to be a known
            // one (12 and 64 are OS/2's).
            let dib = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
            if matches!(dib, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124) {
                return Some(Format::Bmp);
            }
        }
        if starts(b"FUJIFILMCCD-RAW") || starts(b"IIRO") || starts(b"IIRS") || starts(b"IIU\0") {
            return Some(Format::Raw);
        }
        // Classic TIFF (42) and BigTIFF (43).
        if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
            let raw_name = extension.is_some_and(|e| RAW_EXTENSIONS.contains(&e));
            let canon_raw = bytes.len() >= 10 && &bytes[8..10] == b"CR";
            return Some(if raw_name || canon_raw { Format::Raw } else { Format::Tiff });
        }
        if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0CJXL \r\n\x87\n") {
            return Some(Format::JpegXl);
        }
        if let Some(brands) = ftyp_brands(bytes) {
            let has = |brand: &[u8]| brands.iter().any(|b| b == brand);
            if brands[0] == *b"crx " {
                return Some(Format::Raw);
            }
            if brands[0] == *b"avif" || brands[0] == *b"avis" {
                return Some(Format::Avif);
            }
            if HEIF_BRANDS.iter().any(|b| has(*b)) {
                return Some(Format::Heif);
            }
            if has(b"avif") {
                return Some(Format::Avif);
            }
        }
        None
    }
}

/// Every format, in a fixed order.
pub const ALL: [Format; 10] = [
    Format::Jpeg,
    Format::Png,
    Format::WebP,
    Format::Tiff,
    Format::Gif,
    Format::Bmp,
    Format::Heif,
    Format::Avif,
    Format::JpegXl,
    Format::Raw,
];

/// Enough bytes to recognise every format Kindred knows, and a video.
pub const SNIFF_BYTES: usize = 64;

/// The major brand and the compatible brands of an ISO base media file (`ftyp` box), as far as
/// the first bytes hold them.
fn ftyp_brands(bytes: &[u8]) -> Option<Vec<[u8; 4]>> {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(12, bytes.len());
    let mut brands = vec![[bytes[8], bytes[9], bytes[10], bytes[11]]];
    // Bytes 12..16 are the minor version; compatible brands follow.
    brands.extend(bytes.get(16..end).unwrap_or_default().chunks_exact(4).map(|b| [b[0], b[1], b[2], b[3]]));
    Some(brands)
}

const HEIF_BRANDS: [&[u8; 4]; 8] = [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];

pub(crate) const RAW_EXTENSIONS: &[&str] = &[
    "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "dng", "orf", "rw2", "raf", "pef", "srw", "3fr",
    "erf", "kdc", "mrw", "x3f", "iiq", "rwl",
];

/// Video files: a phone's camera roll is full of them, and a Live Photo is a still with one.
/// Recognised by content, or by name when the first bytes are not conclusive (MPEG transport
/// streams, for one, have no signature at the start).
pub fn is_video(bytes: &[u8], extension: Option<&str>) -> bool {
    if let Some(brands) = ftyp_brands(bytes) {
        // An ISO base media file that is not a still image format: MP4, MOV, 3GP, M4V.
        return Format::sniff(bytes, extension).is_none() && !brands.is_empty();
    }
    // QuickTime files without an ftyp box start with another top-level atom.
    let quicktime_atom =
        bytes.len() >= 8 && matches!(&bytes[4..8], b"moov" | b"mdat" | b"wide" | b"free" | b"skip");
    let avi = bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"AVI ";
    let matroska = bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]);
    let mpeg_ps = bytes.starts_with(&[0x00, 0x00, 0x01, 0xBA]);
    quicktime_atom || avi || matroska || mpeg_ps || extension.is_some_and(is_video_extension)
}

/// Whether a file name says video.
pub fn is_video_extension(extension: &str) -> bool {
    matches!(
        extension,
        "mov"
            | "mp4"
            | "m4v"
            | "3gp"
            | "3g2"
            | "avi"
            | "mkv"
            | "webm"
            | "mts"
            | "m2ts"
            | "mpg"
            | "mpeg"
            | "wmv"
    )
}
