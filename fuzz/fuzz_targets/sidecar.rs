//! An XMP sidecar as the scanner reads it: its orientation, then its people in that frame.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let orientation = kindred_media::xmp::read_orientation(text).unwrap_or(1);
    if let Ok(people) = kindred_media::xmp::read_people(text, orientation) {
        for region in people.regions {
            let _ = kindred_media::xmp::shown_to_stored(orientation, region.bounds());
        }
    }
});
