//! Writing the names of a library's faces to XMP sidecars beside the photos.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use super::{Region, SidecarNaming, sidecar_xml};
use crate::cancel::CancelToken;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::events::{Event, EventSink};
use crate::paths;

/// What [`write_sidecars`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SidecarOptions {
    pub naming: SidecarNaming,
    /// Also faces placed with a named person by recognition or clustering, not only the faces
    /// the user confirmed.
    pub include_suggested: bool,
}

/// What [`write_sidecars`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SidecarSummary {
    /// Photos with named faces.
    pub photos: u64,
    pub written: u64,
    /// Sidecars that already said exactly this.
    pub unchanged: u64,
    pub faces: u64,
    /// Photos whose sidecar could not be written, and why; the others were written.
    pub failed: Vec<(PathBuf, String)>,
    pub cancelled: bool,
}

struct PhotoNames {
    path: PathBuf,
    width: u32,
    height: u32,
    orientation: u8,
    people: Vec<Region>,
    /// Faces whose regions Kindred rewrites (see `sidecar_xml`).
    faces: Vec<[f32; 4]>,
}

/// Writes the names of named, visible people's faces into each photo's XMP sidecar (merged with
/// what the sidecar holds). The photos themselves are never written. Each sidecar is replaced
/// atomically (a new file renamed over the old), so a crash leaves the old or the new one.
pub(crate) fn write_sidecars(
    catalog: &Catalog,
    options: &SidecarOptions,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<SidecarSummary> {
    let mut photos: BTreeMap<i64, PhotoNames> = BTreeMap::new();
    {
        let mut stmt = catalog.conn().prepare(
            "SELECT p.id, p.path, p.width, p.height, p.orientation, f.x, f.y, f.w, f.h, q.name,
                    f.person_id IS NOT NULL AND q.name IS NOT NULL AND q.hidden = 0
                        AND (f.assigned_by = 'user' OR ?1),
                    EXISTS (SELECT 1 FROM face_decisions d WHERE d.face_id = f.id)
             FROM faces f JOIN photos p ON p.id = f.photo_id LEFT JOIN people q ON q.id = f.person_id
             WHERE p.status = 'ok' AND p.width IS NOT NULL AND p.height IS NOT NULL
               AND f.photo_id IN (SELECT f2.photo_id FROM faces f2 JOIN people q2 ON q2.id = f2.person_id
                                  WHERE q2.name IS NOT NULL AND q2.hidden = 0 AND (f2.assigned_by = 'user' OR ?1))
               AND NOT EXISTS (SELECT 1 FROM face_decisions d WHERE d.face_id = f.id AND d.kind = 'not_a_face')
             ORDER BY p.id, f.x",
        )?;
        let mut rows = stmt.query([options.include_suggested])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let (width, height, orientation): (u32, u32, u8) = (r.get(2)?, r.get(3)?, r.get(4)?);
            let entry = photos.entry(id).or_insert_with(|| PhotoNames {
                path: PathBuf::new(),
                width,
                height,
                orientation,
                people: Vec::new(),
                faces: Vec::new(),
            });
            if entry.path.as_os_str().is_empty() {
                entry.path = paths::from_bytes(&r.get::<_, Vec<u8>>(1)?);
            }
            let (shown_w, shown_h) = if orientation >= 5 { (height, width) } else { (width, height) };
            let (x, y, w, h): (f32, f32, f32, f32) = (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?);
            let bounds = [x / shown_w as f32, y / shown_h as f32, w / shown_w as f32, h / shown_h as f32];
            let written = r.get::<_, bool>(10)?;
            // Kindred speaks for a face it writes a name for, or one the user decided about;
            // regions other programs put on any other face stay as they are.
            if written || r.get::<_, bool>(11)? {
                entry.faces.push(bounds);
            }
            if written {
                let name: String = r.get(9)?;
                entry.people.push(Region {
                    name,
                    kind: "Face".to_string(),
                    x: bounds[0],
                    y: bounds[1],
                    w: bounds[2],
                    h: bounds[3],
                });
            }
        }
    }
    let mut summary = SidecarSummary { photos: photos.len() as u64, ..SidecarSummary::default() };
    sink.event(Event::NamesPlanned { photos: summary.photos });
    for (done, photo) in photos.into_values().enumerate() {
        if cancel.is_cancelled() {
            summary.cancelled = true;
            break;
        }
        let target = options.naming.sidecar_of(&photo.path);
        match write_one(&photo, &target) {
            Ok(true) => summary.written += 1,
            Ok(false) => summary.unchanged += 1,
            Err(message) => summary.failed.push((target.clone(), message)),
        }
        summary.faces += photo.people.len() as u64;
        sink.event(Event::NamesProgress { done: done as u64 + 1, total: summary.photos, path: photo.path });
    }
    Ok(summary)
}

/// Writes one sidecar; `Ok(false)` when it already held exactly this.
fn write_one(photo: &PhotoNames, target: &std::path::Path) -> std::result::Result<bool, String> {
    let existing = match std::fs::read_to_string(target) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read the existing sidecar: {e}")),
    };
    let xml = sidecar_xml(
        existing.as_deref(),
        &photo.people,
        &photo.faces,
        photo.orientation,
        (photo.width, photo.height),
    )
    .map_err(|e| format!("the existing sidecar is left alone: {e}"))?;
    if existing.as_deref() == Some(xml.as_str()) {
        return Ok(false);
    }
    crate::files::write_atomically(target, crate::files::Durability::Synced, |file| {
        file.write_all(xml.as_bytes())
    })
    .map_err(|e| format!("cannot write it: {e}"))?;
    Ok(true)
}
