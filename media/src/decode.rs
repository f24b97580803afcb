//! Decoding a photo's pixels, whatever its format, with a pixel limit checked before any pixel
//! memory is allocated.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};

use crate::format::Format;

/// A photo's pixels as the file stores them: before the EXIF orientation the caller applies (a
/// HEIF's own rotation, mirroring and crop are applied, as its format requires), possibly
/// scaled down.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub image: RgbImage,
    /// The full size of the picture `image` shows, which `image` may be a scaled copy of.
    pub full_width: u32,
    pub full_height: u32,
}

impl Decoded {
    /// The factor from full-size pixels to `image`'s pixels, per axis.
    pub fn scale(&self) -> (f32, f32) {
        (
            self.image.width() as f32 / self.full_width.max(1) as f32,
            self.image.height() as f32 / self.full_height.max(1) as f32,
        )
    }
}

/// Why a photo could not be decoded. Its `Display` is plain words for the person whose photo it
/// is.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The header announces more pixels than the limit: decoding could exhaust memory.
    TooLarge { width: u32, height: u32 },
    /// The data stops before the image is complete (an interrupted copy or download).
    Truncated,
    /// The bytes are damaged: what the decoder found wrong.
    Damaged(String),
    /// A valid file of a kind Kindred cannot decode: which variant.
    Unsupported(String),
    /// A camera RAW file whose largest embedded preview is too small to find faces on (its
    /// size), or that has none (`None`).
    NoPreview(Option<(u32, u32)>),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge { width, height } => write!(
                f,
                "the image is {width}×{height} ({:.0} megapixels), too large to open safely",
                (u64::from(*width) * u64::from(*height)) as f64 / 1e6
            ),
            DecodeError::Truncated => {
                write!(f, "the file ends early: it was cut short while being copied or saved")
            }
            DecodeError::Damaged(what) => write!(f, "the data is damaged ({what})"),
            DecodeError::Unsupported(what) => write!(f, "unsupported variant: {what}"),
            DecodeError::NoPreview(None) => {
                write!(
                    f,
                    "the RAW file holds no picture the camera rendered (Kindred reads a RAW file's preview)"
                )
            }
            DecodeError::NoPreview(Some((w, h))) => write!(
                f,
                "the RAW file's largest preview is only {w}×{h}, too small to find faces on (Kindred reads a RAW \
                 file's preview, and needs one of at least {MIN_RAW_PREVIEW_SIDE} pixels)"
            ),
        }
    }
}

/// The long side a RAW file's embedded preview needs for faces to be found on it.
pub const MIN_RAW_PREVIEW_SIDE: u32 = 1000;

/// How large the decoded picture must be: `None` for full size, else a long side of at least
/// this many pixels (the decoder picks the smallest size it can make cheaply that has it).
pub type MinSide = Option<u32>;

/// Decodes a photo of `format` (as recognised by [`Format::sniff`]).
pub fn decode(
    bytes: &[u8],
    format: Format,
    min_side: MinSide,
    max_pixels: u64,
) -> Result<Decoded, DecodeError> {
    match format {
        Format::Jpeg => crate::jpeg::decode(bytes, min_side, max_pixels),
        Format::Heif | Format::Avif => crate::heif::decode(bytes, max_pixels),
        Format::Raw => crate::raw::decode(bytes, min_side, max_pixels),
        Format::Tiff => crate::tiff_decode::decode(bytes, max_pixels).map(full_size),
        Format::Bmp => crate::bmp::decode(bytes, max_pixels).map(full_size),
        Format::Png => decode_with_image(bytes, ImageFormat::Png, max_pixels).map(full_size),
        Format::WebP => decode_with_image(bytes, ImageFormat::WebP, max_pixels).map(full_size),
        Format::Gif => decode_with_image(bytes, ImageFormat::Gif, max_pixels).map(full_size),
        Format::JpegXl => Err(DecodeError::Unsupported("JPEG XL".into())),
    }
}

fn full_size(image: RgbImage) -> Decoded {
    let (full_width, full_height) = image.dimensions();
    Decoded { image, full_width, full_height }
}

/// Decodes through the `image` crate after checking the announced size against `max_pixels`,
/// so that a decompression bomb is refused before any pixel memory is allocated.
pub(crate) fn decode_with_image(
    bytes: &[u8],
    format: ImageFormat,
    max_pixels: u64,
) -> Result<RgbImage, DecodeError> {
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = reader.into_dimensions().map_err(describe)?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(DecodeError::TooLarge { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // Room for the decoded pixels at 16 bits per channel, RGBA, plus decoder scratch space.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    let image = reader.decode().map_err(describe)?;
    Ok(to_rgb(image))
}

pub(crate) fn to_rgb(image: DynamicImage) -> RgbImage {
    match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    }
}

/// The `image` crate's errors in the words of [`DecodeError`].
pub(crate) fn describe(error: image::ImageError) -> DecodeError {
    use image::ImageError;
    match &error {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => DecodeError::Truncated,
        ImageError::Unsupported(unsupported) => DecodeError::Unsupported(unsupported_feature(unsupported)),
        ImageError::Limits(_) => {
            DecodeError::Damaged("it asks for more memory than its size can need".into())
        }
        ImageError::Decoding(decoding) => {
            let text = decoding.to_string();
            if text.to_ascii_lowercase().contains("unexpected end")
                || text.to_ascii_lowercase().contains("eof")
            {
                DecodeError::Truncated
            } else {
                // "Format error decoding Png: CRC error" → "CRC error"
                DecodeError::Damaged(
                    text.split_once(": ").map_or(text.as_str(), |(_, rest)| rest).to_string(),
                )
            }
        }
        _ => DecodeError::Damaged(error.to_string()),
    }
}

fn unsupported_feature(error: &image::error::UnsupportedError) -> String {
    use image::error::UnsupportedErrorKind;
    match error.kind() {
        UnsupportedErrorKind::Color(_) => "a colour layout the decoder does not handle".into(),
        UnsupportedErrorKind::GenericFeature(feature) => feature.clone(),
        _ => "a kind of file the decoder does not handle".into(),
    }
}
