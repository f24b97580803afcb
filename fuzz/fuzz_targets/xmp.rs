//! XMP embedded in a photo's bytes: finding the packet and reading its people.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let orientation = data.first().map_or(1, |b| b % 9);
    if let Some(packet) = kindred_media::xmp::embedded_packet(data) {
        let _ = kindred_media::xmp::read_people(packet, orientation);
    }
});
