//! What a scan does with a file: recognise it, then read its facts.
#![no_main]
use libfuzzer_sys::fuzz_target;

const MAX_PIXELS: u64 = 16_000_000;

fuzz_target!(|data: &[u8]| {
    let extension = if data.first().is_some_and(|b| b % 2 == 0) { Some("cr2") } else { None };
    if let Some(format) = kindred_media::Format::sniff(data, extension) {
        let _ = kindred_media::inspect(data, format, MAX_PIXELS);
        let _ = kindred_media::declared_orientation(data, format);
    }
});
