//! Albums: the user's own, and the library's folders.

use kindred_core::Library;
use serde_json::json;

use crate::args::AlbumAction;
use crate::exit;
use crate::output::{self, count, plural};

pub(crate) fn list(library: &Library, as_json: bool) -> anyhow::Result<u8> {
    let albums = library.albums()?;
    let folders = library.folder_albums()?;
    if as_json {
        output::json(&json!({
            "albums": albums.iter().map(|a| json!({
                "id": a.id, "name": a.name, "photos": a.photos, "cover_photo": a.cover_photo_id,
                "created_at": a.created_at,
            })).collect::<Vec<_>>(),
            "folders": folders.iter().map(|f| json!({
                "path": f.path.display().to_string(), "depth": f.depth, "photos": f.photos,
                "own_photos": f.own_photos,
            })).collect::<Vec<_>>(),
        }))?;
        return Ok(exit::OK);
    }
    let mut lines = vec![format!("{}:", plural(albums.len() as u64, "album", "albums"))];
    if albums.is_empty() {
        lines.push("  (none yet: kindred album create NAME [PHOTO...])".to_string());
    }
    for a in &albums {
        lines.push(format!("  {:>6}  {:<32} {:>7} photos", a.id, a.name, count(a.photos)));
    }
    lines.push("Folders:".to_string());
    for f in &folders {
        let name = if f.depth == 0 {
            f.path.display().to_string()
        } else {
            f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        };
        lines.push(format!(
            "  {:indent$}{name:<width$} {:>7} photos",
            "",
            count(f.photos),
            indent = 2 * f.depth as usize,
            width = 40usize.saturating_sub(2 * f.depth as usize)
        ));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn change(library: &mut Library, action: AlbumAction, as_json: bool) -> anyhow::Result<u8> {
    let (message, value) = match action {
        AlbumAction::Create { name, photos } => {
            let id = library.create_album(&name, &photos)?;
            (
                format!(
                    "Album {id} {:?} made with {}.",
                    name.trim(),
                    plural(photos.len() as u64, "photo", "photos")
                ),
                json!({"album": id, "name": name.trim(), "photos": photos.len()}),
            )
        }
        AlbumAction::Rename { album, name } => {
            let id = library.find_album(&album)?;
            library.rename_album(id, &name)?;
            (format!("Album {id} is now {:?}.", name.trim()), json!({"album": id, "name": name.trim()}))
        }
        AlbumAction::Add { album, photos } => {
            let id = library.find_album(&album)?;
            let added = library.add_to_album(id, &photos)?;
            (
                format!(
                    "{} added to album {id} ({} already in it).",
                    plural(added, "photo", "photos"),
                    photos.len() as u64 - added
                ),
                json!({"album": id, "added": added}),
            )
        }
        AlbumAction::Remove { album, photos } => {
            let id = library.find_album(&album)?;
            let removed = library.remove_from_album(id, &photos)?;
            (
                format!(
                    "{} taken out of album {id}; they stay in the library.",
                    plural(removed, "photo", "photos")
                ),
                json!({"album": id, "removed": removed}),
            )
        }
        AlbumAction::Delete { album } => {
            let id = library.find_album(&album)?;
            library.delete_album(id)?;
            (
                format!("Album {id} deleted; its photos stay in the library (kindred undo brings it back)."),
                json!({"album": id, "deleted": true}),
            )
        }
    };
    if as_json {
        output::json(&value)?;
    } else {
        output::lines([message])?;
    }
    Ok(exit::OK)
}
