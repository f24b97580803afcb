//! EXIF: in a container (JPEG, TIFF, PNG, WebP, HEIF), and as a bare TIFF block.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kindred_media::exif::read_exif(data);
    let _ = kindred_media::exif::read_exif_block(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kindred_media::exif::parse_exif_datetime(text);
        let _ = kindred_media::exif::parse_iso_datetime(text);
    }
});
