//! Every file format Kindred reads, with no database and no networks: formats recognised by
//! content ([`Format::sniff`]), photos decoded whatever their format ([`decode`]), the facts a
//! scan keeps ([`inspect`]: size, EXIF, orientation, XMP), and the names of face regions in XMP
//! packets and sidecars ([`xmp`]).
//!
//! | format | decoded through |
//! |---|---|
//! | JPEG | libjpeg-turbo, scaled in the DCT domain when less than full size is needed; the `image` crate for what libjpeg refuses (CMYK) |
//! | HEIC, HEIF, AVIF | libheif (with libde265, dav1d, aom), the container's rotation, mirroring and crop applied |
//! | camera RAW | the largest camera-rendered JPEG preview inside it |
//! | PNG, WebP, GIF | the `image` crate |
//! | TIFF | the `image` crate; palette, YCbCr-JPEG and old-style JPEG TIFF through the `tiff` crate |
//! | BMP | the `image` crate, OS/2 2.x headers rewritten to Windows' form |
//!
//! Every input is untrusted: nothing here panics on any bytes, and sizes are checked against a
//! pixel limit before pixel memory is allocated (`fuzz/` exercises each entry point).

mod bmff;
mod bmp;
pub mod decode;
pub mod exif;
pub mod format;
pub mod geometry;
mod heif;
mod jpeg;
mod photo;
mod raw;
#[cfg(test)]
mod tests;
mod tiff_decode;
pub mod xmp;

pub use decode::{DecodeError, Decoded, MIN_RAW_PREVIEW_SIDE, decode};
pub use exif::ExifFacts;
pub use format::{Format, SNIFF_BYTES, is_video, is_video_extension};
pub use photo::{PhotoFacts, declared_orientation, inspect};

/// Applies an EXIF orientation (1-8) to decoded pixels: the photo as a person sees it.
pub fn orient(image: image::RgbImage, orientation: u8) -> image::RgbImage {
    let mut image = image::DynamicImage::ImageRgb8(image);
    if let Some(orientation) = image::metadata::Orientation::from_exif(orientation) {
        image.apply_orientation(orientation);
    }
    decode::to_rgb(image)
}
