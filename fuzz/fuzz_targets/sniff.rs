//! Format recognition: any bytes, any extension.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let extension = ["jpg", "cr2", "heic", "mov", "tif"][usize::from(data.first().copied().unwrap_or(0)) % 5];
    let _ = kindred_media::Format::sniff(data, Some(extension));
    let _ = kindred_media::Format::sniff(data, None);
    let _ = kindred_media::is_video(data, Some(extension));
});
