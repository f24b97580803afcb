//! XMP packets: the names of face regions, keywords and the orientation a photo's embedded
//! packet or its sidecar carries.
//!
//! Two standards of face regions are read:
//! - MWG Regions (`mwg-rs:Regions`): centre-based normalised boxes relative to the image as
//!   stored (before EXIF orientation), with the `AppliedToDimensions` they were measured on.
//! - Microsoft People tags (`MP:RegionInfo`): `MPReg:Rectangle` = "x, y, w, h", normalised,
//!   top-left based, relative to the image as shown (the convention of Windows Photo Gallery).
//!
//! Inside Kindred a region is a normalised top-left box in the photo as shown.

use std::path::{Path, PathBuf};

pub const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const NS_MWG_RS: &str = "http://www.metadataworkinggroup.com/schemas/regions/";
pub const NS_ST_AREA: &str = "http://ns.adobe.com/xmp/sType/Area#";
pub const NS_ST_DIM: &str = "http://ns.adobe.com/xap/1.0/sType/Dimensions#";
pub const NS_MP: &str = "http://ns.microsoft.com/photo/1.2/";
pub const NS_MPRI: &str = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#";
pub const NS_MPREG: &str = "http://ns.microsoft.com/photo/1.2/t/Region#";
pub const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
pub const NS_LR: &str = "http://ns.adobe.com/lightroom/1.0/";
pub const NS_TIFF: &str = "http://ns.adobe.com/tiff/1.0/";
pub const NS_EXIF: &str = "http://ns.adobe.com/exif/1.0/";

/// A named region of a photo: a normalised, top-left based box in the photo as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub name: String,
    /// "Face" for people; other MWG types (Pet, Focus, …) are kept when a sidecar is merged.
    pub kind: String,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Region {
    /// `[x, y, w, h]`, normalised, in the photo as shown.
    pub fn bounds(&self) -> [f32; 4] {
        [self.x, self.y, self.w, self.h]
    }
}

/// What an XMP packet says about people.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XmpPeople {
    /// MWG regions, then Microsoft regions that do not repeat one of them.
    pub regions: Vec<Region>,
    /// `dc:subject` keywords.
    pub keywords: Vec<String>,
    /// `lr:hierarchicalSubject` keywords.
    pub hierarchical: Vec<String>,
}

/// How a sidecar is named: `photo.jpg.xmp` (the default; darktable, digiKam) or `photo.xmp`
/// (Lightroom, for raw files).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SidecarNaming {
    #[default]
    Append,
    Replace,
}

impl SidecarNaming {
    pub fn parse(text: &str) -> Option<SidecarNaming> {
        match text {
            "append" => Some(SidecarNaming::Append),
            "replace" => Some(SidecarNaming::Replace),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SidecarNaming::Append => "append",
            SidecarNaming::Replace => "replace",
        }
    }

    pub fn sidecar_of(self, photo: &Path) -> PathBuf {
        match self {
            SidecarNaming::Append => {
                let mut name = photo.as_os_str().to_os_string();
                name.push(".xmp");
                PathBuf::from(name)
            }
            SidecarNaming::Replace => photo.with_extension("xmp"),
        }
    }
}

/// The sidecars a photo may have, in the order they are preferred.
pub fn sidecar_candidates(photo: &Path) -> [PathBuf; 2] {
    [SidecarNaming::Append.sidecar_of(photo), SidecarNaming::Replace.sidecar_of(photo)]
}

/// The XMP packet embedded in a photo's bytes (JPEG APP1, PNG iTXt, WebP and TIFF all store it
/// as plain text), if any.
pub fn embedded_packet(bytes: &[u8]) -> Option<&str> {
    const START: &[u8] = b"<x:xmpmeta";
    const END: &[u8] = b"</x:xmpmeta>";
    let start = find(bytes, START)?;
    let end = find(&bytes[start..], END)? + start + END.len();
    std::str::from_utf8(&bytes[start..end]).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Maps a normalised point of the stored image to the image as shown, for EXIF orientation
/// `orientation` (1–8).
fn stored_to_shown_point(orientation: u8, u: f32, v: f32) -> (f32, f32) {
    match orientation {
        2 => (1.0 - u, v),
        3 => (1.0 - u, 1.0 - v),
        4 => (u, 1.0 - v),
        5 => (v, u),
        6 => (1.0 - v, u),
        7 => (1.0 - v, 1.0 - u),
        8 => (v, 1.0 - u),
        _ => (u, v),
    }
}

/// The inverse of [`stored_to_shown_point`].
fn shown_to_stored_point(orientation: u8, u: f32, v: f32) -> (f32, f32) {
    match orientation {
        6 => stored_to_shown_point(8, u, v),
        8 => stored_to_shown_point(6, u, v),
        o => stored_to_shown_point(o, u, v),
    }
}

fn map_box(r: [f32; 4], map: impl Fn(f32, f32) -> (f32, f32)) -> [f32; 4] {
    let (ax, ay) = map(r[0], r[1]);
    let (bx, by) = map(r[0] + r[2], r[1] + r[3]);
    [ax.min(bx), ay.min(by), (ax - bx).abs(), (ay - by).abs()]
}

/// A normalised top-left box of the stored image, in the image as shown.
pub fn stored_to_shown(orientation: u8, r: [f32; 4]) -> [f32; 4] {
    map_box(r, |u, v| stored_to_shown_point(orientation, u, v))
}

/// A normalised top-left box of the image as shown, in the stored image.
pub fn shown_to_stored(orientation: u8, r: [f32; 4]) -> [f32; 4] {
    map_box(r, |u, v| shown_to_stored_point(orientation, u, v))
}

/// Reads the people of an XMP packet. `orientation` is the photo's EXIF orientation (MWG
/// boxes are turned to the photo as shown). Malformed packets give an error message.
pub fn read_people(xml: &str, orientation: u8) -> Result<XmpPeople, String> {
    let document = roxmltree::Document::parse(xml).map_err(|e| format!("the XMP is not valid XML: {e}"))?;
    let mut people = XmpPeople::default();
    for node in document.descendants().filter(|n| n.is_element()) {
        match (node.tag_name().namespace(), node.tag_name().name()) {
            (Some(NS_MWG_RS), "Regions") => people.regions.extend(mwg_regions(node, orientation)),
            (Some(NS_DC), "subject") => people.keywords.extend(bag_items(node)),
            (Some(NS_LR), "hierarchicalSubject") => people.hierarchical.extend(bag_items(node)),
            _ => {}
        }
    }
    for node in document.descendants().filter(|n| n.has_tag_name((NS_MP, "RegionInfo"))) {
        for region in mp_regions(node) {
            if !people
                .regions
                .iter()
                .any(|r| r.name == region.name && crate::geometry::iou(r.bounds(), region.bounds()) > 0.3)
            {
                people.regions.push(region);
            }
        }
    }
    Ok(people)
}

/// The orientation (1-8) an XMP packet gives the photo (`tiff:Orientation`, else
/// `exif:Orientation`): where Lightroom, darktable and digiKam keep a rotation the user chose
/// without rewriting the photo. `None` when the packet has none or is not valid XML.
pub fn read_orientation(xml: &str) -> Option<u8> {
    let document = roxmltree::Document::parse(xml).ok()?;
    let descriptions = || document.descendants().filter(|n| n.has_tag_name((NS_RDF, "Description")));
    [NS_TIFF, NS_EXIF].into_iter().find_map(|namespace| {
        descriptions()
            .find_map(|d| property(d, namespace, "Orientation"))
            .and_then(|v| v.trim().parse::<u8>().ok())
            .filter(|o| (1..=8).contains(o))
    })
}

/// An XMP property of `node`: an attribute, or the text of a child element (itself possibly
/// inside an `rdf:Description`).
fn property(node: roxmltree::Node<'_, '_>, namespace: &str, name: &str) -> Option<String> {
    if let Some(value) = node.attribute((namespace, name)) {
        return Some(value.to_string());
    }
    for child in node.children().filter(|c| c.is_element()) {
        if child.has_tag_name((namespace, name)) {
            return child.text().map(|t| t.trim().to_string());
        }
        if child.has_tag_name((NS_RDF, "Description"))
            && let Some(value) = property(child, namespace, name)
        {
            return Some(value);
        }
    }
    None
}

/// The element child `namespace:name` of `node`, looking through an `rdf:Description`.
fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    namespace: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().filter(|c| c.is_element()).find_map(|c| {
        if c.has_tag_name((namespace, name)) {
            Some(c)
        } else if c.has_tag_name((NS_RDF, "Description")) {
            child(c, namespace, name)
        } else {
            None
        }
    })
}

/// The `rdf:li` items of a bag, sequence or alternative below `node`.
fn list_items<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.descendants().filter(|n| n.has_tag_name((NS_RDF, "li")))
}

fn bag_items(node: roxmltree::Node<'_, '_>) -> Vec<String> {
    list_items(node)
        .filter_map(|li| li.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn number(text: Option<String>) -> Option<f32> {
    text?.trim().parse::<f32>().ok().filter(|v| v.is_finite())
}

fn mwg_regions(regions: roxmltree::Node<'_, '_>, orientation: u8) -> Vec<Region> {
    let Some(list) = child(regions, NS_MWG_RS, "RegionList") else { return Vec::new() };
    let mut out = Vec::new();
    for li in list_items(list) {
        let name = property(li, NS_MWG_RS, "Name").unwrap_or_default();
        let kind = property(li, NS_MWG_RS, "Type").unwrap_or_else(|| "Face".to_string());
        let Some(area) = child(li, NS_MWG_RS, "Area") else { continue };
        let unit = property(area, NS_ST_AREA, "unit").unwrap_or_else(|| "normalized".to_string());
        let (Some(cx), Some(cy), Some(w), Some(h)) = (
            number(property(area, NS_ST_AREA, "x")),
            number(property(area, NS_ST_AREA, "y")),
            number(property(area, NS_ST_AREA, "w")),
            number(property(area, NS_ST_AREA, "h")),
        ) else {
            continue;
        };
        if unit != "normalized" || w <= 0.0 || h <= 0.0 {
            continue;
        }
        let [x, y, w, h] = stored_to_shown(orientation, [cx - w / 2.0, cy - h / 2.0, w, h]);
        out.push(Region { name, kind, x, y, w, h });
    }
    out
}

fn mp_regions(info: roxmltree::Node<'_, '_>) -> Vec<Region> {
    let mut out = Vec::new();
    for li in list_items(info) {
        let Some(name) = property(li, NS_MPREG, "PersonDisplayName") else { continue };
        let Some(rectangle) = property(li, NS_MPREG, "Rectangle") else { continue };
        let values: Vec<f32> = rectangle.split(',').filter_map(|v| v.trim().parse().ok()).collect();
        if let [x, y, w, h] = values[..]
            && w > 0.0
            && h > 0.0
        {
            out.push(Region { name, kind: "Face".to_string(), x, y, w, h });
        }
    }
    out
}
