//! Named face regions read from photos' XMP metadata.

use rusqlite::{Transaction, params};

use super::Catalog;
use crate::error::Result;
use crate::xmp::Region;

/// Where a region was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegionSource {
    Embedded,
    Sidecar,
}

impl RegionSource {
    fn as_str(self) -> &'static str {
        match self {
            RegionSource::Embedded => "embedded",
            RegionSource::Sidecar => "sidecar",
        }
    }
}

/// A region waiting to be matched to a face.
#[derive(Debug, Clone)]
pub(crate) struct PendingRegion {
    pub(crate) id: i64,
    pub(crate) photo_id: i64,
    pub(crate) name: String,
    /// Normalised, top-left, in the photo as shown.
    pub(crate) bounds: [f32; 4],
}

impl Catalog {
    /// Replaces the face regions of one photo read from `source`.
    pub(crate) fn replace_regions(
        tx: &Transaction<'_>,
        photo_id: i64,
        source: RegionSource,
        regions: &[Region],
    ) -> Result<()> {
        tx.prepare_cached("DELETE FROM photo_regions WHERE photo_id = ?1 AND source = ?2")?
            .execute(params![photo_id, source.as_str()])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO photo_regions (photo_id, source, name, x, y, w, h) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for r in regions.iter().filter(|r| r.kind == "Face" && !r.name.trim().is_empty()) {
            insert.execute(params![photo_id, source.as_str(), r.name.trim(), r.x, r.y, r.w, r.h])?;
        }
        Ok(())
    }

    /// Records the sidecar a photo had when it was read (its signature, '' for none) and the
    /// orientation it gave.
    pub(crate) fn set_sidecar_read(
        tx: &Transaction<'_>,
        photo_id: i64,
        signature: &str,
        orientation: Option<u8>,
    ) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO sidecar_reads (photo_id, signature, orientation) VALUES (?1, ?2, ?3)
             ON CONFLICT (photo_id) DO UPDATE SET signature = excluded.signature, orientation = excluded.orientation",
        )?
        .execute(params![photo_id, signature, orientation])?;
        Ok(())
    }

    /// Regions not matched yet in photos whose faces `model` has found.
    pub(crate) fn pending_regions(&self, model: &str) -> Result<Vec<PendingRegion>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.photo_id, r.name, r.x, r.y, r.w, r.h FROM photo_regions r
             JOIN face_scans s ON s.photo_id = r.photo_id AND s.model = ?1
             WHERE r.state = 'pending' ORDER BY r.photo_id, r.id",
        )?;
        let rows = stmt.query_map([model], |r| {
            Ok(PendingRegion {
                id: r.get(0)?,
                photo_id: r.get(1)?,
                name: r.get(2)?,
                bounds: [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The named regions of one photo (name, normalised box as shown).
    pub fn regions_of_photo(&self, photo_id: i64) -> Result<Vec<(String, [f32; 4])>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT name, x, y, w, h FROM photo_regions WHERE photo_id = ?1 ORDER BY name",
        )?;
        let rows =
            stmt.query_map([photo_id], |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

pub(crate) fn set_region_state(
    tx: &Transaction<'_>,
    region: i64,
    state: &str,
    op: Option<i64>,
) -> Result<()> {
    tx.prepare_cached("UPDATE photo_regions SET state = ?1, applied_op = ?2 WHERE id = ?3")?
        .execute(params![state, op, region])?;
    Ok(())
}
