//! EXIF: the facts of a photo's camera metadata that Kindred keeps.

use std::io::Cursor;

/// The EXIF fields the catalog keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifFacts {
    /// The Orientation tag (1-8), `None` when the file has none.
    pub orientation: Option<u8>,
    /// Local wall-clock time the photo was taken, ISO 8601 without offset.
    pub taken_at: Option<String>,
    /// `+02:00` when the camera recorded the offset.
    pub taken_offset: Option<String>,
    /// (latitude, longitude) in degrees.
    pub gps: Option<(f64, f64)>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
}

impl ExifFacts {
    /// Whether nothing at all was read.
    pub fn is_empty(&self) -> bool {
        *self == ExifFacts::default()
    }

    /// Fills what this one lacks from `other` (a RAW's container first, then its preview).
    pub fn or(self, other: ExifFacts) -> ExifFacts {
        let (taken_at, taken_offset) = match self.taken_at {
            Some(_) => (self.taken_at, self.taken_offset),
            None => (other.taken_at, other.taken_offset),
        };
        ExifFacts {
            orientation: self.orientation.or(other.orientation),
            taken_at,
            taken_offset,
            gps: self.gps.or(other.gps),
            camera_make: self.camera_make.or(other.camera_make),
            camera_model: self.camera_model.or(other.camera_model),
        }
    }
}

/// Reads the EXIF block of a file (JPEG, TIFF and TIFF-based RAW, PNG, WebP, HEIF), if any. A
/// damaged EXIF block is not a reason to reject a photo: what can be read is kept.
pub fn read_exif(bytes: &[u8]) -> ExifFacts {
    let mut reader = exif::Reader::new();
    // Keep whatever fields are readable when some other part of the block is broken.
    reader.continue_on_error(true);
    match reader.read_from_container(&mut Cursor::new(bytes)).or_else(|e| e.distill_partial_result(|_| {})) {
        Ok(exif) => facts_of(&exif),
        Err(_) => ExifFacts::default(),
    }
}

/// Reads a bare EXIF block: TIFF-structured data, as HEIF files and RAW containers carry it.
pub fn read_exif_block(tiff: &[u8]) -> ExifFacts {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    match reader.read_raw(tiff.to_vec()).or_else(|e| e.distill_partial_result(|_| {})) {
        Ok(exif) => facts_of(&exif),
        Err(_) => ExifFacts::default(),
    }
}

fn facts_of(exif: &exif::Exif) -> ExifFacts {
    let mut facts = ExifFacts::default();
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY);
    if let Some(value) = field(exif::Tag::Orientation).and_then(|f| f.value.get_uint(0))
        && (1..=8).contains(&value)
    {
        facts.orientation = Some(value as u8);
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
pub fn parse_exif_datetime(text: &str) -> Option<String> {
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
pub fn parse_offset(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 6
        && matches!(bytes[0], b'+' | b'-')
        && bytes[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| bytes[i].is_ascii_digit());
    well_formed.then(|| text.to_string())
}

/// `2018-01-22T19:58:36-05:00` (offset optional, `Z` allowed) → local time and offset.
pub fn parse_iso_datetime(text: &str) -> Option<(String, Option<String>)> {
    // `get` rather than slicing: the text comes from the file and may put a multi-byte
    // character across byte 19.
    let (Some(local), Some(rest)) = (text.get(..19), text.get(19..)) else { return None };
    if local.as_bytes()[10] != b'T' {
        return None;
    }
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
        assert_eq!(parse_iso_datetime("2018-01-22T19:58:3é"), None);
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
