//! Every decoder entry point, at full size and scaled: the first byte picks the format (so that
//! each decoder sees every input), the second the size asked for.
#![no_main]
use kindred_media::format::ALL;
use libfuzzer_sys::fuzz_target;

/// Small enough that an allocation the pixel limit allows stays far below the RSS limit.
const MAX_PIXELS: u64 = 16_000_000;

fuzz_target!(|data: &[u8]| {
    let [which, size, bytes @ ..] = data else { return };
    let format = ALL[usize::from(*which) % ALL.len()];
    let min_side = (*size != 0).then(|| u32::from(*size) * 8);
    if let Ok(decoded) = kindred_media::decode(bytes, format, min_side, MAX_PIXELS) {
        assert!(u64::from(decoded.image.width()) * u64::from(decoded.image.height()) <= MAX_PIXELS);
    }
});
