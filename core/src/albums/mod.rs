//! The user's operations on albums: create, rename, delete, add and remove photos. Each is one
//! journalled operation, undone like the operations on people; photos themselves are never
//! touched.

use crate::catalog::{Catalog, album_named_in};
use crate::error::{Error, ErrorKind, Result};
use crate::people::{operation, validate_name};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

/// Refuses `name` when a live album other than `album` has it.
fn check_name_free(conn: &rusqlite::Connection, name: &str, album: Option<i64>) -> Result<()> {
    match album_named_in(conn, name)? {
        Some(other) if Some(other) != album => {
            Err(invalid(format!("there is already an album called {:?} (album {other})", name.trim())))
        }
        _ => Ok(()),
    }
}

fn check_photos_exist(conn: &rusqlite::Connection, photos: &[i64]) -> Result<()> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM photos WHERE id = ?1")?;
    for &photo in photos {
        if !stmt.exists([photo])? {
            return Err(Error::new(ErrorKind::NotFound, format!("there is no photo {photo}")));
        }
    }
    Ok(())
}

pub(crate) fn create_album(catalog: &mut Catalog, name: &str, photos: &[i64]) -> Result<i64> {
    validate_name(name)?;
    let name = name.trim();
    operation(catalog, "album", &format!("create album {name:?}"), |journal| {
        check_name_free(journal.tx, name, None)?;
        check_photos_exist(journal.tx, photos)?;
        let album = journal.create_album(name)?;
        for &photo in photos {
            journal.add_album_photo(album, photo)?;
        }
        Ok(album)
    })
}

pub(crate) fn rename_album(catalog: &mut Catalog, album: i64, name: &str) -> Result<()> {
    validate_name(name)?;
    let name = name.trim();
    operation(catalog, "album", &format!("rename album {album} {name:?}"), |journal| {
        crate::catalog::live_album_in(journal.tx, album)?;
        check_name_free(journal.tx, name, Some(album))?;
        journal.rename_album(album, name)
    })
}

/// Deletes an album; its photos stay where they are (and in the library).
pub(crate) fn delete_album(catalog: &mut Catalog, album: i64) -> Result<()> {
    operation(catalog, "album", &format!("delete album {album}"), |journal| {
        crate::catalog::live_album_in(journal.tx, album)?;
        journal.delete_album(album)
    })
}

/// Puts photos in an album; returns how many were not in it yet.
pub(crate) fn add_to_album(catalog: &mut Catalog, album: i64, photos: &[i64]) -> Result<u64> {
    if photos.is_empty() {
        return Err(invalid("name at least one photo to add"));
    }
    operation(catalog, "album", &format!("add {} photo(s) to album {album}", photos.len()), |journal| {
        crate::catalog::live_album_in(journal.tx, album)?;
        check_photos_exist(journal.tx, photos)?;
        let mut added = 0;
        for &photo in photos {
            added += u64::from(journal.add_album_photo(album, photo)?);
        }
        Ok(added)
    })
}

/// Takes photos out of an album (never out of the library); returns how many were in it.
pub(crate) fn remove_from_album(catalog: &mut Catalog, album: i64, photos: &[i64]) -> Result<u64> {
    if photos.is_empty() {
        return Err(invalid("name at least one photo to take out"));
    }
    operation(catalog, "album", &format!("take {} photo(s) out of album {album}", photos.len()), |journal| {
        crate::catalog::live_album_in(journal.tx, album)?;
        let mut removed = 0;
        for &photo in photos {
            removed += u64::from(journal.remove_album_photo(album, photo)?);
        }
        Ok(removed)
    })
}

#[cfg(test)]
mod tests;
