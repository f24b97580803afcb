//! Writing an XMP sidecar with people, merged into whatever the sidecar already holds.

use std::fmt::Write as _;

use super::{
    NS_DC, NS_LR, NS_MP, NS_MPREG, NS_MPRI, NS_MWG_RS, NS_RDF, NS_ST_AREA, NS_ST_DIM, Region, read_people,
    shown_to_stored,
};

/// Properties Kindred writes; an existing sidecar's copies are replaced by merged ones.
const MANAGED: [(&str, &str); 4] =
    [(NS_MWG_RS, "Regions"), (NS_MP, "RegionInfo"), (NS_DC, "subject"), (NS_LR, "hierarchicalSubject")];

/// Regions of an existing sidecar overlapping a face Kindred found this much are Kindred's to
/// rewrite; others (faces Kindred did not find, pets) are kept.
const SAME_FACE_IOU: f32 = 0.3;

/// The sidecar XMP for a photo: `people` (regions in the photo as shown, see
/// [`Region`](super::Region)) on top of `existing` sidecar text. Regions of `existing` that
/// overlap one of `faces` (every face Kindred found in the photo, as shown) are dropped, the
/// rest kept; keywords are merged; every other property is kept as it was. `orientation` and
/// `stored_size` (pixels, before orientation) place the MWG boxes.
pub fn sidecar_xml(
    existing: Option<&str>,
    people: &[Region],
    faces: &[[f32; 4]],
    orientation: u8,
    stored_size: (u32, u32),
) -> Result<String, String> {
    let (mut regions, mut keywords, mut hierarchical) = (Vec::new(), Vec::new(), Vec::new());
    let mut preserved = String::new();
    if let Some(text) = existing {
        let old = read_people(text, orientation)?;
        regions.extend(
            old.regions
                .into_iter()
                .filter(|r| !faces.iter().any(|&f| crate::geometry::iou(r.bounds(), f) >= SAME_FACE_IOU)),
        );
        keywords = old.keywords;
        hierarchical = old.hierarchical;
        let document =
            roxmltree::Document::parse(text).map_err(|e| format!("the XMP is not valid XML: {e}"))?;
        for description in document.descendants().filter(|n| n.has_tag_name((NS_RDF, "Description"))) {
            // Only top-level descriptions; nested ones are written with their parent.
            if description.parent().is_some_and(|p| p.has_tag_name((NS_RDF, "RDF"))) {
                write_preserved(&mut preserved, description);
            }
        }
    }
    regions.extend(people.iter().cloned());
    for person in people {
        if !keywords.contains(&person.name) {
            keywords.push(person.name.clone());
        }
        let path = format!("People|{}", person.name);
        if !hierarchical.contains(&path) {
            hierarchical.push(path);
        }
    }

    let mut out = String::from("<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    out.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Kindred\">\n");
    let _ = writeln!(out, " <rdf:RDF xmlns:rdf=\"{NS_RDF}\">");
    out.push_str(&preserved);
    let _ = writeln!(
        out,
        "  <rdf:Description rdf:about=\"\" xmlns:mwg-rs=\"{NS_MWG_RS}\" xmlns:stDim=\"{NS_ST_DIM}\" \
         xmlns:stArea=\"{NS_ST_AREA}\" xmlns:MP=\"{NS_MP}\" xmlns:MPRI=\"{NS_MPRI}\" xmlns:MPReg=\"{NS_MPREG}\" \
         xmlns:dc=\"{NS_DC}\" xmlns:lr=\"{NS_LR}\">"
    );
    if !regions.is_empty() {
        out.push_str("   <mwg-rs:Regions rdf:parseType=\"Resource\">\n");
        let _ = writeln!(
            out,
            "    <mwg-rs:AppliedToDimensions stDim:w=\"{}\" stDim:h=\"{}\" stDim:unit=\"pixel\"/>",
            stored_size.0, stored_size.1
        );
        out.push_str("    <mwg-rs:RegionList>\n     <rdf:Bag>\n");
        for r in &regions {
            let [x, y, w, h] = shown_to_stored(orientation, [r.x, r.y, r.w, r.h]);
            let _ = writeln!(
                out,
                "      <rdf:li rdf:parseType=\"Resource\">\n       <mwg-rs:Name>{}</mwg-rs:Name>\n       \
                 <mwg-rs:Type>{}</mwg-rs:Type>\n       <mwg-rs:Area stArea:x=\"{}\" stArea:y=\"{}\" \
                 stArea:w=\"{}\" stArea:h=\"{}\" stArea:unit=\"normalized\"/>\n      </rdf:li>",
                escape(&r.name),
                escape(&r.kind),
                fixed(x + w / 2.0),
                fixed(y + h / 2.0),
                fixed(w),
                fixed(h)
            );
        }
        out.push_str("     </rdf:Bag>\n    </mwg-rs:RegionList>\n   </mwg-rs:Regions>\n");
        out.push_str("   <MP:RegionInfo rdf:parseType=\"Resource\">\n    <MPRI:Regions>\n     <rdf:Bag>\n");
        for r in regions.iter().filter(|r| r.kind == "Face" && !r.name.is_empty()) {
            let _ = writeln!(
                out,
                "      <rdf:li MPReg:PersonDisplayName=\"{}\" MPReg:Rectangle=\"{}, {}, {}, {}\"/>",
                escape(&r.name),
                fixed(r.x),
                fixed(r.y),
                fixed(r.w),
                fixed(r.h)
            );
        }
        out.push_str("     </rdf:Bag>\n    </MPRI:Regions>\n   </MP:RegionInfo>\n");
    }
    for (element, items) in [("dc:subject", &keywords), ("lr:hierarchicalSubject", &hierarchical)] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "   <{element}>\n    <rdf:Bag>");
        for item in items.iter() {
            let _ = writeln!(out, "     <rdf:li>{}</rdf:li>", escape(item));
        }
        let _ = writeln!(out, "    </rdf:Bag>\n   </{element}>");
    }
    out.push_str("  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>\n");
    Ok(out)
}

/// Six decimals: a thousandth of a pixel on a 6000-pixel photo.
fn fixed(v: f32) -> String {
    let s = format!("{:.6}", v.clamp(0.0, 1.0));
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() { "0".to_string() } else { s.to_string() }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes a top-level `rdf:Description` of an existing sidecar without the managed properties,
/// declaring every namespace in scope on it so that it stands alone. Nothing is written when
/// only managed properties were in it.
fn write_preserved(out: &mut String, description: roxmltree::Node<'_, '_>) {
    let kept: Vec<roxmltree::Node<'_, '_>> = description
        .children()
        .filter(|c| !(c.is_element() && MANAGED.iter().any(|&m| c.has_tag_name(m))))
        .collect();
    let has_content = kept.iter().any(|c| c.is_element())
        || description.attributes().any(|a| !(a.namespace() == Some(NS_RDF) && a.name() == "about"));
    if !has_content {
        return;
    }
    out.push_str("  ");
    open_tag(out, description, true);
    for node in kept {
        write_node(out, node);
    }
    let _ = writeln!(
        out,
        "</{}>",
        qualified(description, description.tag_name().namespace(), description.tag_name().name())
    );
}

fn qualified(context: roxmltree::Node<'_, '_>, namespace: Option<&str>, name: &str) -> String {
    match namespace.and_then(|uri| context.lookup_prefix(uri)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{name}"),
        _ => name.to_string(),
    }
}

fn open_tag(out: &mut String, node: roxmltree::Node<'_, '_>, declare_all: bool) {
    let _ = write!(out, "<{}", qualified(node, node.tag_name().namespace(), node.tag_name().name()));
    let parent_namespaces: Vec<(Option<&str>, &str)> = match node.parent_element() {
        Some(parent) if !declare_all => parent.namespaces().map(|n| (n.name(), n.uri())).collect(),
        _ => Vec::new(),
    };
    for namespace in node.namespaces() {
        if namespace.name() == Some("xml") || parent_namespaces.contains(&(namespace.name(), namespace.uri()))
        {
            continue;
        }
        match namespace.name() {
            Some(prefix) => {
                let _ = write!(out, " xmlns:{prefix}=\"{}\"", escape(namespace.uri()));
            }
            None => {
                let _ = write!(out, " xmlns=\"{}\"", escape(namespace.uri()));
            }
        }
    }
    for attribute in node.attributes() {
        let _ = write!(
            out,
            " {}=\"{}\"",
            qualified(node, attribute.namespace(), attribute.name()),
            escape(attribute.value())
        );
    }
    out.push('>');
}

fn write_node(out: &mut String, node: roxmltree::Node<'_, '_>) {
    if node.is_text() {
        out.push_str(&escape(node.text().unwrap_or_default()));
    } else if node.is_element() {
        open_tag(out, node, false);
        for child in node.children() {
            write_node(out, child);
        }
        let _ = write!(out, "</{}>", qualified(node, node.tag_name().namespace(), node.tag_name().name()));
    }
}
