//! The box structure of ISO base media files (HEIF, AVIF, Canon CR3, MP4): just enough of it
//! to read a HEIF's geometry and a CR3's EXIF without decoding anything.

/// One box: its four-letter type (for `uuid` boxes, the 16-byte user type follows in `uuid`)
/// and its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BmffBox<'a> {
    pub(crate) kind: [u8; 4],
    pub(crate) uuid: Option<[u8; 16]>,
    pub(crate) body: &'a [u8],
}

/// The boxes laid end to end in `bytes`; stops at the first one that does not fit.
pub(crate) fn boxes(bytes: &[u8]) -> impl Iterator<Item = BmffBox<'_>> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let header = rest.get(..8)?;
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as u64;
        let kind = [header[4], header[5], header[6], header[7]];
        let (header_len, size) = match size {
            0 => (8, rest.len() as u64),
            1 => (16, u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)),
            n => (8, n),
        };
        let mut header_len = header_len as usize;
        if size < header_len as u64 || size > rest.len() as u64 {
            rest = &[];
            return None;
        }
        let size = size as usize;
        let uuid = if &kind == b"uuid" {
            let id: [u8; 16] = rest.get(header_len..header_len + 16)?.try_into().ok()?;
            header_len += 16;
            Some(id)
        } else {
            None
        };
        if header_len > size {
            rest = &[];
            return None;
        }
        let body = &rest[header_len..size];
        rest = &rest[size..];
        Some(BmffBox { kind, uuid, body })
    })
}

/// The first box of type `kind` among `bytes`' boxes.
pub(crate) fn find<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<BmffBox<'a>> {
    boxes(bytes).find(|b| &b.kind == kind)
}

/// The body of a "full box" after its version and flags.
fn full_box(body: &[u8]) -> Option<(u8, u32, &[u8])> {
    let header = body.get(..4)?;
    Some((header[0], u32::from_be_bytes([0, header[1], header[2], header[3]]), &body[4..]))
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A HEIF's primary image as its container describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeifGeometry {
    /// The size as shown: after the crop (`clap`) and rotation (`irot`) libheif applies.
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Whether the container rotates or mirrors the coded image (`irot`, `imir`).
    pub(crate) oriented: bool,
}

/// Reads the primary item's size and transformations from a HEIF's `meta` box.
pub(crate) fn heif_geometry(bytes: &[u8]) -> Option<HeifGeometry> {
    let (_, _, meta) = full_box(find(bytes, b"meta")?.body)?;
    let (version, _, pitm) = full_box(find(meta, b"pitm")?.body)?;
    let primary = if version == 0 { u32::from(be_u16(pitm, 0)?) } else { be_u32(pitm, 0)? };
    let iprp = find(meta, b"iprp")?.body;
    let properties: Vec<BmffBox<'_>> = boxes(find(iprp, b"ipco")?.body).collect();
    let (ipma_version, ipma_flags, ipma) = full_box(find(iprp, b"ipma")?.body)?;
    // ipma: for each item, the 1-based indices of its properties, in the order they apply.
    let mut at = 4;
    let entries = be_u32(ipma, 0)?;
    let mut associated = None;
    for _ in 0..entries {
        let item = if ipma_version < 1 {
            at += 2;
            u32::from(be_u16(ipma, at - 2)?)
        } else {
            at += 4;
            be_u32(ipma, at - 4)?
        };
        let count = *ipma.get(at)? as usize;
        at += 1;
        let mut indices = Vec::with_capacity(count);
        for _ in 0..count {
            let index = if ipma_flags & 1 == 1 {
                at += 2;
                usize::from(be_u16(ipma, at - 2)? & 0x7FFF)
            } else {
                at += 1;
                usize::from(ipma.get(at - 1)? & 0x7F)
            };
            indices.push(index);
        }
        if item == primary {
            associated = Some(indices);
            break;
        }
    }
    let mut size = None;
    let mut oriented = false;
    for index in associated? {
        let Some(property) = index.checked_sub(1).and_then(|i| properties.get(i)) else { continue };
        match &property.kind {
            b"ispe" => {
                let (_, _, body) = full_box(property.body)?;
                size = Some((be_u32(body, 0)?, be_u32(body, 4)?));
            }
            b"clap" => {
                let fraction = |i: usize| -> Option<u32> {
                    let (n, d) = (be_u32(property.body, i * 8)?, be_u32(property.body, i * 8 + 4)?);
                    (d != 0).then(|| (f64::from(n) / f64::from(d)).round() as u32)
                };
                if let (Some((w, h)), Some(cw), Some(ch)) = (size, fraction(0), fraction(1)) {
                    // A clean aperture of the image swapped by an earlier rotation keeps its axes.
                    size = Some((cw.min(w), ch.min(h)));
                }
            }
            b"irot" => {
                oriented = true;
                if property.body.first().is_some_and(|angle| angle & 1 == 1) {
                    size = size.map(|(w, h)| (h, w));
                }
            }
            b"imir" => oriented = true,
            _ => {}
        }
    }
    let (width, height) = size?;
    Some(HeifGeometry { width, height, oriented })
}
