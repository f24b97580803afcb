use std::path::Path;

use image::{ImageFormat, RgbImage};

use crate::{DecodeError, Format, decode, inspect};

const NO_LIMIT: u64 = 250_000_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/formats").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The upright test card every fixture shows: four coloured quadrants, a white mark top-left.
fn card() -> RgbImage {
    image::load_from_memory(&fixture("card.png")).unwrap().to_rgb8()
}

/// Mean absolute difference per channel of two images of one size.
fn difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "sizes differ");
    let total: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    total as f64 / a.as_raw().len() as f64
}

fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A photo-like picture: smooth gradients with detail, so that JPEG coding is realistic.
fn photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, ((x * y) % 251) as u8])
    })
}

/// The offset of the first marker segment after the APP segments (DQT or DHT, say).
fn after_app_segments(jpeg: &[u8]) -> usize {
    let mut at = 2;
    while (0xE0..=0xEF).contains(&jpeg[at + 1]) {
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    at
}

#[test]
fn a_jpeg_with_stray_bytes_between_segments_decodes_like_the_clean_one() {
    let clean = encode(&photo(320, 240), ImageFormat::Jpeg);
    let at = after_app_segments(&clean);
    let mut stray = clean[..at].to_vec();
    stray.extend_from_slice(&[0x00, 0x12, 0x34, 0x00, 0x00]);
    stray.extend_from_slice(&clean[at..]);
    let a = decode(&clean, Format::Jpeg, None, NO_LIMIT).unwrap();
    let b = decode(&stray, Format::Jpeg, None, NO_LIMIT).expect("stray bytes are tolerated, as libjpeg does");
    assert_eq!(a.image, b.image);
    let facts = inspect(&stray, Format::Jpeg, NO_LIMIT);
    assert_eq!(facts.problem, None);
    assert_eq!(facts.size, Some((320, 240)));
}

#[test]
fn a_jpeg_cut_short_is_truncated_and_a_garbled_one_damaged() {
    let jpeg = encode(&photo(320, 240), ImageFormat::Jpeg);
    let cut = &jpeg[..jpeg.len() * 2 / 3];
    assert_eq!(decode(cut, Format::Jpeg, None, NO_LIMIT).unwrap_err(), DecodeError::Truncated);
    assert_eq!(inspect(cut, Format::Jpeg, NO_LIMIT).problem, Some(DecodeError::Truncated));
    // Only the headers survive: no frame at all.
    let headers = &jpeg[..after_app_segments(&jpeg) + 4];
    assert!(decode(headers, Format::Jpeg, None, NO_LIMIT).is_err());
}

#[test]
fn jpeg_decodes_at_the_smallest_dct_scale_with_the_side_asked() {
    let jpeg = encode(&photo(800, 600), ImageFormat::Jpeg);
    for (min_side, expected) in
        [(Some(100), (100, 75)), (Some(101), (200, 150)), (Some(400), (400, 300)), (None, (800, 600))]
    {
        let decoded = decode(&jpeg, Format::Jpeg, min_side, NO_LIMIT).unwrap();
        assert_eq!(decoded.image.dimensions(), expected, "min side {min_side:?}");
        assert_eq!((decoded.full_width, decoded.full_height), (800, 600));
    }
    // A scaled decode shows the same picture.
    let full = decode(&jpeg, Format::Jpeg, None, NO_LIMIT).unwrap().image;
    let quarter = decode(&jpeg, Format::Jpeg, Some(200), NO_LIMIT).unwrap().image;
    let shrunk = image::imageops::resize(&full, 200, 150, image::imageops::FilterType::Triangle);
    assert!(difference(&quarter, &shrunk) < 4.0, "{}", difference(&quarter, &shrunk));
}

#[test]
fn the_pixel_limit_is_checked_before_decoding() {
    let jpeg = encode(&photo(800, 600), ImageFormat::Jpeg);
    assert_eq!(
        decode(&jpeg, Format::Jpeg, Some(100), 1000).unwrap_err(),
        DecodeError::TooLarge { width: 800, height: 600 }
    );
}

/// A made-up RAW container: sensor data around a thumbnail, a lossless JPEG stream (as CR2 and
/// DNG store sensor data) and the camera's preview.
fn raw_container(preview: &[u8], thumbnail: &[u8]) -> Vec<u8> {
    let mut raw = b"II*\0\x08\0\0\0".to_vec();
    raw.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    raw.extend_from_slice(thumbnail);
    // A lossless (SOF3) stream: sensor data, not a picture.
    let mut lossless = encode(&photo(64, 48), ImageFormat::Jpeg);
    let sof = lossless.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    lossless[sof + 1] = 0xC3;
    raw.extend_from_slice(&lossless);
    raw.extend((0..3000u32).map(|i| (i * 7) as u8));
    raw.extend_from_slice(preview);
    raw.extend((0..3000u32).map(|i| (i * 13) as u8));
    raw
}

#[test]
fn a_raw_file_is_read_through_its_largest_camera_preview() {
    let preview_image = photo(1200, 800);
    let preview = encode(&preview_image, ImageFormat::Jpeg);
    let raw = raw_container(&preview, &encode(&photo(160, 120), ImageFormat::Jpeg));
    let decoded = decode(&raw, Format::Raw, None, NO_LIMIT).unwrap();
    assert_eq!(decoded.image.dimensions(), (1200, 800));
    assert_eq!(decoded.image, decode(&preview, Format::Jpeg, None, NO_LIMIT).unwrap().image);
    let facts = inspect(&raw, Format::Raw, NO_LIMIT);
    assert_eq!((facts.size, facts.problem), (Some((1200, 800)), None));
}

#[test]
fn a_raw_file_without_a_usable_preview_says_so() {
    let raw = raw_container(&encode(&photo(640, 480), ImageFormat::Jpeg), &[]);
    let problem = decode(&raw, Format::Raw, None, NO_LIMIT).unwrap_err();
    assert_eq!(problem, DecodeError::NoPreview(Some((640, 480))));
    assert!(problem.to_string().contains("only 640×480"), "{problem}");
    let bare = raw_container(&[], &[]);
    assert_eq!(decode(&bare, Format::Raw, None, NO_LIMIT).unwrap_err(), DecodeError::NoPreview(None));
}

#[test]
fn tiff_variants_other_decoders_read_are_read() {
    let card = card();
    for (name, tolerance) in [
        ("palette8.tif", 12.0),
        // ImageMagick's 4-bit palette also keeps 4 bits of each colour: 220 becomes 204.
        ("palette4.tif", 12.5),
        ("jpeg-ycbcr.tif", 6.0),
        ("old-style-jpeg.tif", 6.0),
        ("bigtiff.tif", 0.0),
    ] {
        let decoded = decode(&fixture(name), Format::Tiff, None, NO_LIMIT)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .image;
        let d = difference(&decoded, &card);
        assert!(d <= tolerance, "{name}: differs from the card by {d}");
    }
}

#[test]
fn an_os2_bitmap_is_read() {
    let decoded = decode(&fixture("os2-v2.bmp"), Format::Bmp, None, NO_LIMIT).unwrap().image;
    assert_eq!(decoded, card());
}

#[test]
fn a_heic_is_upright_once_whatever_its_orientation() {
    let card = card();
    for orientation in 1..=8 {
        let bytes = fixture(&format!("card-orientation-{orientation}.heic"));
        assert_eq!(Format::sniff(&bytes, None), Some(Format::Heif));
        let decoded = decode(&bytes, Format::Heif, None, NO_LIMIT).unwrap();
        let d = difference(&decoded.image, &card);
        assert!(d < 8.0, "orientation {orientation}: differs from the upright card by {d}");
        let facts = inspect(&bytes, Format::Heif, NO_LIMIT);
        assert_eq!(facts.size, Some((96, 64)), "orientation {orientation}: the size as shown");
        assert_eq!(facts.exif.orientation, Some(orientation), "the EXIF tag is read");
        assert_eq!(facts.orientation, Some(1), "the container's own turn is already applied");
        assert_eq!(facts.exif.camera_make.as_deref(), Some("Kindred"));
        assert_eq!(facts.problem, None);
    }
}

#[test]
fn avif_is_decoded_through_the_same_library() {
    let bytes = fixture("card.avif");
    assert_eq!(Format::sniff(&bytes, None), Some(Format::Avif));
    let decoded = decode(&bytes, Format::Avif, None, NO_LIMIT).unwrap();
    assert!(difference(&decoded.image, &card()) < 8.0);
}

#[test]
fn a_damaged_heic_is_an_error_not_a_crash() {
    let bytes = fixture("card-orientation-6.heic");
    for cut in [bytes.len() / 2, 40, 12] {
        assert!(decode(&bytes[..cut], Format::Heif, None, NO_LIMIT).is_err(), "cut at {cut}");
        let _ = inspect(&bytes[..cut], Format::Heif, NO_LIMIT);
    }
}

#[test]
fn videos_are_told_from_photos() {
    let mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    let mov = b"\0\0\0\x14ftypqt  \0\0\0\0qt  ".to_vec();
    let heic = fixture("card-orientation-1.heic");
    assert!(crate::is_video(&mp4, Some("mp4")));
    assert!(crate::is_video(&mov, None));
    assert!(!crate::is_video(&heic, Some("heic")));
    assert!(crate::is_video(b"\0\0\0\x08wide\0\0\0\0mdat", Some("mov")));
    assert!(crate::is_video(&[0x47; 64], Some("mts")));
    assert!(!crate::is_video(b"plain text", Some("txt")));
}

#[test]
fn orientation_is_read_from_xmp() {
    let attribute = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>"#;
    let element = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/"><exif:Orientation>8</exif:Orientation></rdf:Description>
        </rdf:RDF></x:xmpmeta>"#;
    assert_eq!(crate::xmp::read_orientation(attribute), Some(6));
    assert_eq!(crate::xmp::read_orientation(element), Some(8));
    assert_eq!(crate::xmp::read_orientation(&attribute.replace("\"6\"", "\"9\"")), None);
    assert_eq!(crate::xmp::read_orientation("<not xml"), None);
}

#[test]
fn error_messages_are_plain_words() {
    let png = encode(&photo(32, 32), ImageFormat::Png);
    let mut broken = png.clone();
    let at = broken.len() / 2;
    broken[at] ^= 0xFF;
    for bytes in [&broken[..], &png[..png.len() / 2]] {
        let message = decode(bytes, Format::Png, None, NO_LIMIT).unwrap_err().to_string();
        assert!(!message.contains("Error") && !message.contains("::") && !message.contains('{'), "{message}");
    }
}

/// Every input the fuzzer ever found a failure with (`fuzz/regressions/`), and its seeds, through
/// every entry point: none may panic.
#[test]
fn fuzz_regressions_stay_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs = 0;
    for dir in ["regressions", "seeds"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            inputs += 1;
            for extension in [None, Some("cr2"), Some("mov")] {
                let _ = Format::sniff(&bytes, extension);
                let _ = crate::is_video(&bytes, extension);
            }
            let _ = crate::exif::read_exif(&bytes);
            let _ = crate::exif::read_exif_block(&bytes);
            if let Some(packet) = crate::xmp::embedded_packet(&bytes) {
                let _ = crate::xmp::read_people(packet, 6);
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = crate::xmp::read_orientation(text);
                let _ = crate::xmp::read_people(text, 1);
            }
            for format in crate::format::ALL {
                let _ = decode(&bytes, format, None, 16_000_000);
                let _ = decode(&bytes, format, Some(64), 16_000_000);
                let _ = inspect(&bytes, format, 16_000_000);
                let _ = crate::declared_orientation(&bytes, format);
            }
        }
    }
    assert!(inputs >= 4, "the seeds are there");
}
