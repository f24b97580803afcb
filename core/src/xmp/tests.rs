use std::path::Path;

use super::*;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/photos").join(name)).unwrap()
}

fn close(a: &Region, b: &Region) -> bool {
    a.name == b.name
        && (a.x - b.x).abs() < 1e-4
        && (a.y - b.y).abs() < 1e-4
        && (a.w - b.w).abs() < 1e-4
        && (a.h - b.h).abs() < 1e-4
}

#[test]
fn regions_of_a_rotated_photo_land_where_they_do_on_the_upright_copy() {
    let upright = sample("curie-portrait.jpg");
    let rotated = sample("curie-portrait-orientation-6.jpg");
    let upright = read_people(embedded_packet(&upright).unwrap(), 1).unwrap();
    let rotated = read_people(embedded_packet(&rotated).unwrap(), 6).unwrap();
    let names: Vec<&str> = upright.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["Marie Curie", "Pierre Curie"],
        "MWG and Microsoft regions of one face are one region"
    );
    assert_eq!(upright.regions.len(), rotated.regions.len());
    for (a, b) in upright.regions.iter().zip(&rotated.regions) {
        assert!(close(a, b), "{a:?} vs {b:?}");
    }
    // Marie Curie stands left of Pierre, her face at about a third of the width.
    assert!((upright.regions[0].x - 0.3119).abs() < 1e-3, "{:?}", upright.regions[0]);
    assert!(upright.keywords.contains(&"Marie Curie".to_string()));
}

#[test]
fn orientation_maps_are_inverse_and_match_the_rotations() {
    let r = [0.1, 0.2, 0.3, 0.15];
    for orientation in 1..=8 {
        let back = shown_to_stored(orientation, stored_to_shown(orientation, r));
        for (a, b) in r.iter().zip(back) {
            assert!((a - b).abs() < 1e-6, "orientation {orientation}");
        }
    }
    // Orientation 6 shows the stored image turned 90° clockwise: its top-left corner goes to
    // the top-right.
    let shown = stored_to_shown(6, [0.0, 0.0, 0.2, 0.1]);
    for (a, b) in shown.iter().zip([0.9, 0.0, 0.1, 0.2]) {
        assert!((a - b).abs() < 1e-6, "{shown:?}");
    }
}

#[test]
fn a_sidecar_round_trips_and_keeps_what_others_wrote() {
    let people = vec![
        Region { name: "Ada <Lovelace> & co".into(), kind: "Face".into(), x: 0.1, y: 0.2, w: 0.1, h: 0.15 },
        Region { name: "Bob".into(), kind: "Face".into(), x: 0.6, y: 0.25, w: 0.12, h: 0.18 },
    ];
    let faces: Vec<[f32; 4]> = people.iter().map(|r| [r.x, r.y, r.w, r.h]).collect();
    for orientation in [1, 6, 8, 3] {
        let xml = sidecar_xml(None, &people, &faces, orientation, (4000, 3000)).unwrap();
        let read = read_people(&xml, orientation).unwrap();
        assert_eq!(read.regions.len(), 2, "{xml}");
        for (a, b) in people.iter().zip(&read.regions) {
            assert!(close(a, b), "orientation {orientation}: {a:?} vs {b:?}");
        }
        assert!(read.hierarchical.contains(&"People|Bob".to_string()));
    }

    let existing = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"
          xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
          xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
        <dc:subject><rdf:Bag><rdf:li>holiday</rdf:li></rdf:Bag></dc:subject>
        <dc:title><rdf:Alt><rdf:li xml:lang="x-default">At the beach</rdf:li></rdf:Alt></dc:title>
        <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
          <rdf:li><rdf:Description mwg-rs:Name="Rex" mwg-rs:Type="Pet">
            <mwg-rs:Area stArea:x="0.9" stArea:y="0.9" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
          </rdf:Description></rdf:li>
          <rdf:li><rdf:Description mwg-rs:Name="Old name" mwg-rs:Type="Face">
            <mwg-rs:Area stArea:x="0.66" stArea:y="0.34" stArea:w="0.12" stArea:h="0.18" stArea:unit="normalized"/>
          </rdf:Description></rdf:li>
        </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
      </rdf:Description></rdf:RDF></x:xmpmeta>"#;
    let merged = sidecar_xml(Some(existing), &people, &faces, 1, (4000, 3000)).unwrap();
    let read = read_people(&merged, 1).unwrap();
    let names: Vec<&str> = read.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["Rex", "Ada <Lovelace> & co", "Bob"],
        "the old name on Bob's face is replaced, the pet kept"
    );
    assert_eq!(read.keywords, ["holiday", "Ada <Lovelace> & co", "Bob"]);
    assert!(merged.contains("xmp:Rating=\"4\""), "{merged}");
    assert!(merged.contains("At the beach"), "{merged}");
    assert_eq!(merged.matches("<dc:subject>").count(), 1, "a property appears once: {merged}");
    roxmltree::Document::parse(&merged).unwrap();

    assert!(
        sidecar_xml(Some("<x:xmpmeta"), &people, &faces, 1, (1, 1)).is_err(),
        "a broken sidecar is not overwritten"
    );
}

#[test]
fn sidecars_are_named_as_the_setting_says() {
    let photo = Path::new("/photos/a.b.jpg");
    assert_eq!(SidecarNaming::Append.sidecar_of(photo), Path::new("/photos/a.b.jpg.xmp"));
    assert_eq!(SidecarNaming::Replace.sidecar_of(photo), Path::new("/photos/a.b.xmp"));
}
