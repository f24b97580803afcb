//! XMP sidecars (`photo.jpg.xmp`, `photo.xmp`): the names of face regions, and the orientation
//! a raw developer or a photo manager records there instead of rewriting the photo.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::catalog::regions::RegionSource;
use crate::catalog::{Catalog, IssueKind};
use crate::error::Result;
use crate::{paths, time};

use super::ScanScope;
use super::walk::WalkedFile;

/// A photo as the sidecar pass needs it.
struct PhotoForSidecar {
    id: i64,
    path: PathBuf,
    format: String,
    orientation: u8,
    file_orientation: Option<u8>,
    size: Option<(u32, u32)>,
}

/// Reads the sidecars of the photos in `scope` that are new or changed since the last scan (or
/// gone): their orientation, which turns the photo when the file itself declares none (or is a
/// camera RAW file), and their named face regions. A sidecar that cannot be parsed is reported as
/// a warning and read again next time.
pub(crate) fn read_sidecars(
    catalog: &mut Catalog,
    root_id: i64,
    scope: &ScanScope,
    files: &[WalkedFile],
) -> Result<()> {
    let now = time::now_utc();
    let sidecars: HashMap<&Path, &WalkedFile> = files
        .iter()
        .filter(|f| f.extension.as_deref() == Some("xmp"))
        .map(|f| (f.path.as_path(), f))
        .collect();
    let photos: Vec<PhotoForSidecar> = {
        let mut stmt = catalog.conn().prepare(
            "SELECT id, path, format, orientation, file_orientation, width, height FROM photos
             WHERE root_id = ?1 AND status != 'missing'",
        )?;
        let rows = stmt.query_map([root_id], |r| {
            let (width, height): (Option<u32>, Option<u32>) = (r.get(5)?, r.get(6)?);
            Ok(PhotoForSidecar {
                id: r.get(0)?,
                path: paths::from_bytes(&r.get::<_, Vec<u8>>(1)?),
                format: r.get(2)?,
                orientation: r.get(3)?,
                file_orientation: r.get(4)?,
                size: width.zip(height),
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().filter(|p| scope.contains(&p.path)).collect()
    };
    let read_before: HashMap<i64, String> = {
        let mut stmt = catalog.conn().prepare(
            "SELECT s.photo_id, s.signature FROM sidecar_reads s JOIN photos p ON p.id = s.photo_id
             WHERE p.root_id = ?1",
        )?;
        let rows = stmt.query_map([root_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let tx = catalog.conn_mut().transaction()?;
    for photo in photos {
        let sidecar = crate::xmp::sidecar_candidates(&photo.path)
            .into_iter()
            .find_map(|c| sidecars.get(c.as_path()).copied());
        let signature = sidecar.map(|f| format!("{}:{}", f.size, f.mtime_ns)).unwrap_or_default();
        if read_before.get(&photo.id).map_or("", String::as_str) == signature {
            continue;
        }
        let text = match sidecar.map(|file| std::fs::read_to_string(&file.path)) {
            None => Ok(None),
            Some(Ok(text)) => Ok(Some(text)),
            Some(Err(e)) => Err(format!("cannot read it: {e}")),
        };
        let read = text.and_then(|text| {
            let sidecar_orientation = text.as_deref().and_then(crate::xmp::read_orientation);
            let orientation =
                super::effective_orientation(&photo.format, photo.file_orientation, sidecar_orientation);
            let regions = match &text {
                Some(text) => crate::xmp::read_people(text, orientation)?.regions,
                None => Vec::new(),
            };
            Ok((sidecar_orientation, orientation, regions))
        });
        match read {
            Ok((sidecar_orientation, orientation, regions)) => {
                if orientation != photo.orientation {
                    Catalog::reorient_photo(&tx, photo.id, photo.orientation, orientation, photo.size)?;
                }
                Catalog::replace_regions(&tx, photo.id, RegionSource::Sidecar, &regions)?;
                Catalog::set_sidecar_read(&tx, photo.id, &signature, sidecar_orientation)?;
            }
            Err(message) => {
                let file = sidecar.map(|f| f.path.as_path()).unwrap_or(&photo.path);
                Catalog::add_issue(
                    &tx,
                    file,
                    photo.id,
                    IssueKind::BadMetadata,
                    &format!("XMP sidecar: {message}"),
                    &now,
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}
