//! Builders of test photos: real JPEG/PNG files with hand-made EXIF blocks, and broken files of
//! every kind the scanner must survive. Only built with the `test-support` feature.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

/// The EXIF facts to write into a test JPEG.
#[derive(Debug, Clone, Default)]
pub struct ExifSpec {
    pub orientation: Option<u16>,
    /// `YYYY:MM:DD HH:MM:SS`
    pub date_time_original: Option<String>,
    /// `+02:00`
    pub offset_time_original: Option<String>,
    /// Degrees; negative is south / west.
    pub gps: Option<(f64, f64)>,
    pub make: Option<String>,
    pub model: Option<String>,
}

/// A smooth gradient with a few shapes, varied by `seed`, so images differ in content.
pub fn test_image(width: u32, height: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let r = ((x * 255) / width.max(1)) as u8;
        let g = ((y * 255) / height.max(1)) as u8;
        let b = ((x / 7 + y / 5 + seed * 37) % 256) as u8;
        Rgb([r, g, b])
    })
}

pub fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), format).expect("encoding a test image cannot fail");
    bytes
}

/// A JPEG of the given size with `exif` inserted as an APP1 segment right after SOI.
pub fn jpeg_with_exif(width: u32, height: u32, seed: u32, exif: &ExifSpec) -> Vec<u8> {
    let jpeg = encode(&test_image(width, height, seed), ImageFormat::Jpeg);
    insert_exif(&jpeg, exif)
}

pub fn insert_exif(jpeg: &[u8], exif: &ExifSpec) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
    let tiff = tiff_block(exif);
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1]);
    let length = (2 + 6 + tiff.len()) as u16;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

enum Value {
    Ascii(String),
    Short(u16),
    Long(u32),
    Rationals(Vec<(u32, u32)>),
}

impl Value {
    fn type_and_count(&self) -> (u16, u32) {
        match self {
            Value::Ascii(s) => (2, s.len() as u32 + 1),
            Value::Short(_) => (3, 1),
            Value::Long(_) => (4, 1),
            Value::Rationals(v) => (5, v.len() as u32),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Ascii(s) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                b
            }
            Value::Short(v) => v.to_le_bytes().to_vec(),
            Value::Long(v) => v.to_le_bytes().to_vec(),
            Value::Rationals(v) => {
                v.iter().flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat()).collect()
            }
        }
    }
}

/// Lays out one IFD at `offset` (from the TIFF start); returns its bytes including out-of-line data.
fn ifd(entries: &[(u16, Value)], offset: u32) -> Vec<u8> {
    let table_len = 2 + entries.len() as u32 * 12 + 4;
    let mut table = Vec::new();
    let mut data = Vec::new();
    table.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, value) in entries {
        let (kind, count) = value.type_and_count();
        table.extend_from_slice(&tag.to_le_bytes());
        table.extend_from_slice(&kind.to_le_bytes());
        table.extend_from_slice(&count.to_le_bytes());
        let mut bytes = value.bytes();
        if bytes.len() <= 4 {
            bytes.resize(4, 0);
            table.extend_from_slice(&bytes);
        } else {
            let at = offset + table_len + data.len() as u32;
            table.extend_from_slice(&at.to_le_bytes());
            data.extend_from_slice(&bytes);
            if data.len() % 2 == 1 {
                data.push(0);
            }
        }
    }
    table.extend_from_slice(&0u32.to_le_bytes());
    table.extend_from_slice(&data);
    table
}

fn dms(degrees: f64) -> Vec<(u32, u32)> {
    let d = degrees.abs();
    let whole = d.floor();
    let minutes = ((d - whole) * 60.0).floor();
    let seconds = ((d - whole) * 60.0 - minutes) * 60.0;
    vec![(whole as u32, 1), (minutes as u32, 1), ((seconds * 1000.0).round() as u32, 1000)]
}

fn tiff_block(exif: &ExifSpec) -> Vec<u8> {
    let mut exif_entries = Vec::new();
    if let Some(date) = &exif.date_time_original {
        exif_entries.push((0x9003, Value::Ascii(date.clone())));
    }
    if let Some(offset) = &exif.offset_time_original {
        exif_entries.push((0x9011, Value::Ascii(offset.clone())));
    }
    let mut gps_entries = Vec::new();
    if let Some((lat, lon)) = exif.gps {
        gps_entries.push((0x0001, Value::Ascii(if lat < 0.0 { "S" } else { "N" }.into())));
        gps_entries.push((0x0002, Value::Rationals(dms(lat))));
        gps_entries.push((0x0003, Value::Ascii(if lon < 0.0 { "W" } else { "E" }.into())));
        gps_entries.push((0x0004, Value::Rationals(dms(lon))));
    }
    // IFD0 is laid out twice: first to learn its size, then with the sub-IFD offsets filled in.
    let ifd0_entries = |exif_at: u32, gps_at: u32| {
        let mut entries = Vec::new();
        if let Some(make) = &exif.make {
            entries.push((0x010F, Value::Ascii(make.clone())));
        }
        if let Some(model) = &exif.model {
            entries.push((0x0110, Value::Ascii(model.clone())));
        }
        if let Some(orientation) = exif.orientation {
            entries.push((0x0112, Value::Short(orientation)));
        }
        if !exif_entries.is_empty() {
            entries.push((0x8769, Value::Long(exif_at)));
        }
        if !gps_entries.is_empty() {
            entries.push((0x8825, Value::Long(gps_at)));
        }
        entries
    };
    let ifd0_len = ifd(&ifd0_entries(0, 0), 8).len() as u32;
    let exif_at = 8 + ifd0_len;
    let exif_block = ifd(&exif_entries, exif_at);
    let gps_at = exif_at + if exif_entries.is_empty() { 0 } else { exif_block.len() as u32 };
    let mut out = b"II\x2A\x00\x08\x00\x00\x00".to_vec();
    out.extend(ifd(&ifd0_entries(exif_at, gps_at), 8));
    if !exif_entries.is_empty() {
        out.extend(exif_block);
    }
    if !gps_entries.is_empty() {
        out.extend(ifd(&gps_entries, gps_at));
    }
    out
}

/// A PNG header announcing `width`×`height` pixels followed by a tiny compressed body: decoding
/// it naively would allocate gigabytes.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let small = encode(&test_image(8, 8, 0), ImageFormat::Png);
    let mut bomb = small.clone();
    // IHDR data starts at byte 16: width, height (big-endian); its CRC at byte 29 must match.
    bomb[16..20].copy_from_slice(&width.to_be_bytes());
    bomb[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The first bytes of an HEIC file (an ISO-BMFF `ftyp` box with the `heic` brand).
pub fn heic_header() -> Vec<u8> {
    let mut bytes = vec![0, 0, 0, 24];
    bytes.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

/// A camera RAW file as Kindred reads one: a TIFF-signed container (named `.cr2`, `.nef`, ...)
/// with sensor-like bytes around a camera-rendered JPEG preview of `width`×`height`.
pub fn raw_with_preview(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut raw = b"II*\0\x08\0\0\0".to_vec();
    raw.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 11) as u8));
    raw.extend(encode(&test_image(width, height, seed), ImageFormat::Jpeg));
    raw.extend((0..4096u32).map(|i| (i.wrapping_mul(40_503) >> 7) as u8));
    raw
}

/// A file of `assets/formats` (small files of each format variant, made by
/// `media/scripts/make_fixtures.py`).
pub fn format_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/formats").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An XMP sidecar giving the photo an orientation, and optionally one named MWG face region
/// (centre-based, normalised, in the stored image).
pub fn sidecar_xmp(orientation: u8, region: Option<(&str, [f32; 4])>) -> String {
    let regions = region
        .map(|(name, [cx, cy, w, h])| {
            format!(
                r#"<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag><rdf:li rdf:parseType="Resource">
                <mwg-rs:Name>{name}</mwg-rs:Name><mwg-rs:Type>Face</mwg-rs:Type>
                <mwg-rs:Area stArea:x="{cx}" stArea:y="{cy}" stArea:w="{w}" stArea:h="{h}" stArea:unit="normalized"/>
                </rdf:li></rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>"#
            )
        })
        .unwrap_or_default();
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
            xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
            xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" tiff:Orientation="{orientation}">{regions}</rdf:Description>
        </rdf:RDF></x:xmpmeta>"#
    )
}
