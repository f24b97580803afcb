//! Reading one file: what format its content is, its EXIF facts, whether it decodes.
//! Formats are recognised by their bytes; the file name only decides whether a file that is
//! not an image deserves a complaint.

use std::io::Cursor;

use crate::catalog::{IssueKind, PhotoStatus};
use crate::imaging::{self, Format};

/// What the scanner learned from one file's bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Probe {
    pub(crate) format: &'static str,
    pub(crate) status: PhotoStatus,
    pub(crate) content_hash: Option<String>,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) exif: ExifFacts,
    pub(crate) issues: Vec<(IssueKind, String)>,
    /// True when the pixels were decoded (and so the content was checked for damage).
    pub(crate) decoded: bool,
    /// Named face regions of the photo's embedded XMP.
    pub(crate) embedded_regions: Vec<crate::xmp::Region>,
}

/// The EXIF fields the catalog keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ExifFacts {
    pub(crate) orientation: u8,
    pub(crate) taken_at: Option<String>,
    pub(crate) taken_offset: Option<String>,
    pub(crate) gps: Option<(f64, f64)>,
    pub(crate) camera_make: Option<String>,
    pub(crate) camera_model: Option<String>,
}

/// Whether a file name claims to be a photo: such files are reported when their content is not
/// an image, while other files (videos, documents) are passed over quietly.
pub(crate) fn has_image_extension(extension: Option<&str>) -> bool {
    extension.is_some_and(|ext| Format::from_extension(ext).is_some())
}

/// How far into a file its XMP packet is looked for: JPEG keeps it in an APP1 segment of at most
/// 64 KiB after at most a few others; PNG, WebP and TIFF writers put it before the pixels too.
const XMP_SEARCH_BYTES: usize = 512 * 1024;

/// Examines a whole file's bytes. `extension` is the file name's, lower-case.
pub(crate) fn probe(bytes: &[u8], extension: Option<&str>, max_pixels: u64) -> Probe {
    let content_hash = Some(blake3::hash(bytes).to_hex().to_string());
    let mut probe = Probe {
        format: "unknown",
        status: PhotoStatus::Broken,
        content_hash,
        width: None,
        height: None,
        exif: ExifFacts { orientation: 1, ..ExifFacts::default() },
        issues: Vec::new(),
        decoded: false,
        embedded_regions: Vec::new(),
    };
    if bytes.is_empty() {
        probe.content_hash = None;
        probe.issues.push((IssueKind::Empty, "the file is empty (0 bytes)".into()));
        return probe;
    }
    let Some(format) = Format::sniff(bytes, extension) else {
        let named = extension.map(|e| format!(" although it is named .{e}")).unwrap_or_default();
        probe.issues.push((
            IssueKind::NotAnImage,
            format!("the content is not an image format Kindred knows{named}"),
        ));
        return probe;
    };
    probe.format = format.name();
    if let Some(claimed) = extension.and_then(Format::from_extension)
        && claimed.name() != format.name()
    {
        probe.issues.push((
            IssueKind::WrongExtension,
            format!(
                "named .{} but the content is {}; read as {}",
                extension.unwrap_or_default(),
                format.label(),
                format.label()
            ),
        ));
    }
    probe.exif = read_exif(bytes);
    // Every format Kindred reads keeps its XMP packet near the start of the file.
    if let Some(packet) = crate::xmp::embedded_packet(&bytes[..bytes.len().min(XMP_SEARCH_BYTES)]) {
        match crate::xmp::read_people(packet, probe.exif.orientation) {
            Ok(people) => probe.embedded_regions = people.regions,
            Err(message) => probe.issues.push((IssueKind::BadMetadata, format!("embedded XMP: {message}"))),
        }
    }

    if !format.is_decodable() {
        probe.status = PhotoStatus::Unsupported;
        return probe;
    }
    match imaging::decode_checked(bytes, format, max_pixels) {
        Ok(image) => {
            probe.width = Some(image.width());
            probe.height = Some(image.height());
            probe.status = PhotoStatus::Ok;
            probe.decoded = true;
        }
        Err(imaging::DecodeError::TooLarge { width, height }) => {
            probe.width = Some(width);
            probe.height = Some(height);
            probe.issues.push((
                IssueKind::TooLarge,
                format!(
                    "{width}×{height} is {:.0} megapixels, above the limit of {:.0}; not decoded",
                    (u64::from(width) * u64::from(height)) as f64 / 1e6,
                    max_pixels as f64 / 1e6
                ),
            ));
        }
        Err(imaging::DecodeError::Truncated) => {
            probe.issues.push((
                IssueKind::Truncated,
                format!(
                    "the {} file ends early: it was cut short while being copied or saved",
                    format.label()
                ),
            ));
        }
        Err(imaging::DecodeError::Damaged(message)) => {
            probe.issues.push((
                IssueKind::Corrupt,
                format!("the {} data is damaged or incomplete: {message}", format.label()),
            ));
        }
    }
    probe
}

/// Reads the EXIF block, if any. A damaged EXIF block is not a reason to reject a photo.
pub(crate) fn read_exif(bytes: &[u8]) -> ExifFacts {
    let mut facts = ExifFacts { orientation: 1, ..ExifFacts::default() };
    let mut reader = exif::Reader::new();
    // Keep whatever fields are readable when some other part of the block is broken.
    reader.continue_on_error(true);
    let Ok(exif) = reader
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_errors| {}))
    else {
        return facts;
    };
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY);
    if let Some(value) = field(exif::Tag::Orientation).and_then(|f| f.value.get_uint(0))
        && (1..=8).contains(&value)
    {
        facts.orientation = value as u8;
    }
    let date_and_offset = [
        (exif::Tag::DateTimeOriginal, exif::Tag::OffsetTimeOriginal),
        (exif::Tag::DateTimeDigitized, exif::Tag::OffsetTimeDigitized),
        (exif::Tag::DateTime, exif::Tag::OffsetTime),
    ];
    for (date_tag, offset_tag) in date_and_offset {
        let Some(text) = field(date_tag).and_then(|f| ascii(&f.value)) else { continue };
        if let Some(taken) = parse_exif_datetime(&text) {
            facts.taken_at = Some(taken);
            facts.taken_offset =
                field(offset_tag).and_then(|f| ascii(&f.value)).and_then(|s| parse_offset(&s));
            break;
        }
        // Some software writes ISO 8601 with the offset inline: `2018-01-22T19:58:36-05:00`.
        if let Some((taken, offset)) = parse_iso_datetime(&text) {
            facts.taken_at = Some(taken);
            facts.taken_offset = offset;
            break;
        }
    }
    let coordinate = |value_tag, ref_tag, negative: u8| -> Option<f64> {
        let exif::Value::Rational(parts) = &field(value_tag)?.value else { return None };
        let [deg, min, sec] = parts.get(..3)? else { return None };
        let magnitude = deg.to_f64() + min.to_f64() / 60.0 + sec.to_f64() / 3600.0;
        let sign = match field(ref_tag).and_then(|f| ascii(&f.value)) {
            Some(r) if r.as_bytes().first() == Some(&negative) => -1.0,
            _ => 1.0,
        };
        magnitude.is_finite().then_some(sign * magnitude)
    };
    let lat = coordinate(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, b'S');
    let lon = coordinate(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, b'W');
    // (0, 0) is what many phones write when they had no fix.
    facts.gps =
        lat.zip(lon).filter(|&(la, lo)| la.abs() <= 90.0 && lo.abs() <= 180.0 && !(la == 0.0 && lo == 0.0));
    facts.camera_make = field(exif::Tag::Make).and_then(|f| ascii(&f.value)).filter(|s| !s.is_empty());
    facts.camera_model = field(exif::Tag::Model).and_then(|f| ascii(&f.value)).filter(|s| !s.is_empty());
    facts
}

fn ascii(value: &exif::Value) -> Option<String> {
    let exif::Value::Ascii(parts) = value else { return None };
    let first = parts.first()?;
    let text = String::from_utf8_lossy(first);
    Some(text.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string())
}

/// `2019:06:01 14:03:22` → `2019-06-01T14:03:22`; blank or impossible dates give `None`.
pub(crate) fn parse_exif_datetime(text: &str) -> Option<String> {
    let dt = exif::DateTime::from_ascii(text.as_bytes()).ok()?;
    let valid = (1800..=2200).contains(&dt.year)
        && (1..=12).contains(&dt.month)
        && (1..=31).contains(&dt.day)
        && dt.hour < 24
        && dt.minute < 60
        && dt.second < 61;
    valid.then(|| {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
        )
    })
}

/// `+02:00` / `-05:30`; anything else gives `None`.
pub(crate) fn parse_offset(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 6
        && matches!(bytes[0], b'+' | b'-')
        && bytes[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| bytes[i].is_ascii_digit());
    well_formed.then(|| text.to_string())
}

/// `2018-01-22T19:58:36-05:00` (offset optional, `Z` allowed) → local time and offset.
pub(crate) fn parse_iso_datetime(text: &str) -> Option<(String, Option<String>)> {
    if text.len() < 19 || text.as_bytes()[10] != b'T' {
        return None;
    }
    let (local, rest) = text.split_at(19);
    let as_exif = local.replacen('-', ":", 2).replacen('T', " ", 1);
    let taken = parse_exif_datetime(&as_exif)?;
    let offset = match rest {
        "" => None,
        "Z" => Some("+00:00".to_string()),
        other => Some(parse_offset(other)?),
    };
    Some((taken, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exif_and_iso_dates() {
        assert_eq!(parse_exif_datetime("2019:06:01 14:03:22").as_deref(), Some("2019-06-01T14:03:22"));
        assert_eq!(parse_exif_datetime("0000:00:00 00:00:00"), None);
        assert_eq!(parse_exif_datetime("    :  :     :  :  "), None);
        assert_eq!(
            parse_iso_datetime("2018-01-22T19:58:36-05:00"),
            Some(("2018-01-22T19:58:36".into(), Some("-05:00".into())))
        );
        assert_eq!(
            parse_iso_datetime("2018-01-22T19:58:36Z"),
            Some(("2018-01-22T19:58:36".into(), Some("+00:00".into())))
        );
        assert_eq!(parse_iso_datetime("2018-01-22T19:58:36+5"), None);
        assert_eq!(parse_offset("+02:00").as_deref(), Some("+02:00"));
        assert_eq!(parse_offset("2:00"), None);
    }
}
