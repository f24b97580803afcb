//! A photo's pixels at the scale the face pipeline needs, decoded again larger where it needs
//! more.
//!
//! A 12-megapixel JPEG decoded at 1/4 or 1/8 of its size in the DCT domain costs a fraction of
//! a full decode, and the detector's first pass only looks at 640 pixels. So the face job
//! decodes each photo at the smallest scale the first pass can use, and decodes it again
//! larger only where a later step needs more detail: the tiled pass for crowds, or a face too
//! small in the scaled frame for its 112×112 crop or its thumbnail. Detections are kept in
//! full-size pixels whatever frame they were found in. A RAW file's preview is a JPEG and
//! scales the same way. Formats whose decoders cannot scale are decoded at full size once:
//! HEIC and AVIF (libheif decodes whole images only), PNG, WebP, TIFF, BMP, GIF.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use image::RgbImage;

/// What a frame is decoded from, to decode it again larger.
pub(crate) struct Source {
    pub bytes: Vec<u8>,
    pub format: kindred_media::Format,
    pub orientation: u8,
    pub max_pixels: u64,
}

/// A photo as shown (orientation applied), at some scale.
pub(crate) struct Frames<'a> {
    image: Cow<'a, RgbImage>,
    /// The photo's size as shown, at full scale.
    full: (u32, u32),
    source: Option<Source>,
    /// Time spent decoding the photo again.
    redecoding: Duration,
}

impl<'a> Frames<'a> {
    /// A photo already decoded at full size.
    pub(crate) fn full(image: &'a RgbImage) -> Frames<'a> {
        Frames {
            full: image.dimensions(),
            image: Cow::Borrowed(image),
            source: None,
            redecoding: Duration::ZERO,
        }
    }

    /// `image`, a scaled copy of a photo whose full size as shown is `full`, decoded from
    /// `source`.
    pub(crate) fn scaled(image: RgbImage, full: (u32, u32), source: Source) -> Frames<'static> {
        let source = (image.dimensions() != full).then_some(source);
        Frames { image: Cow::Owned(image), full, source, redecoding: Duration::ZERO }
    }

    /// The frame at hand.
    pub(crate) fn image(&self) -> &RgbImage {
        &self.image
    }

    /// The frame at hand, kept.
    pub(crate) fn into_image(self) -> RgbImage {
        self.image.into_owned()
    }

    /// The photo's full size as shown.
    pub(crate) fn full_size(&self) -> (u32, u32) {
        self.full
    }

    /// The factors from full-size pixels to the frame's pixels, per axis.
    pub(crate) fn scale(&self) -> (f32, f32) {
        let (w, h) = self.image.dimensions();
        let (fw, fh) = (self.full.0.max(1), self.full.1.max(1));
        // A JPEG decoded at 1/d has ⌈size / d⌉ pixels, the last row and column covering less
        // than d: its factor is 1/d exactly, not the ratio of the sizes.
        let dct = |d: u32| (w, h) != (fw, fh) && (w, h) == (fw.div_ceil(d), fh.div_ceil(d));
        match [2, 4, 8].into_iter().find(|&d| dct(d)) {
            Some(d) => (1.0 / d as f32, 1.0 / d as f32),
            None => (w as f32 / fw as f32, h as f32 / fh as f32),
        }
    }

    /// Time spent decoding the photo again so far.
    pub(crate) fn redecoding(&self) -> Duration {
        self.redecoding
    }

    /// The frame, first decoded again larger where its long side is under `long_side` and the
    /// photo's is not. Where the second decode fails (the first one did not), the frame at
    /// hand is kept.
    pub(crate) fn at_least(&mut self, long_side: u32) -> &RgbImage {
        let long = |(w, h): (u32, u32)| w.max(h);
        if long(self.image.dimensions()) < long_side.min(long(self.full))
            && let Some(source) = &self.source
        {
            let started = Instant::now();
            if let Ok(decoded) =
                kindred_media::decode(&source.bytes, source.format, Some(long_side), source.max_pixels)
            {
                let image = kindred_media::orient(decoded.image, source.orientation);
                if image.dimensions() == self.full {
                    self.source = None;
                }
                self.image = Cow::Owned(image);
            }
            self.redecoding += started.elapsed();
        }
        &self.image
    }
}

/// The long side of the frame a face needs, in a photo whose long side is `full_long`: enough
/// that its aligned 112×112 crop and its thumbnail are cut without enlarging any pixel. The
/// face's box and landmarks are in full-size pixels.
pub(crate) fn long_side_for(face: &kindred_models::Detection, full_long: u32) -> u32 {
    // Crop pixels per photo pixel: the scale of the similarity the crop is cut with.
    let m = kindred_models::align::alignment_transform(&face.landmarks);
    let crop = (m[0][0] * m[1][1] - m[0][1] * m[1][0]).abs().sqrt() as f32;
    // A thumbnail is a square of 1.6 times the box's larger side, shrunk to its side.
    let thumbnail = super::thumbs::THUMBNAIL_SIDE as f32 / (1.6 * face.w.max(face.h)).max(1.0);
    (crop.max(thumbnail) * full_long as f32).ceil() as u32
}
