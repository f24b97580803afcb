//! Replacing a file atomically: readers and crashes see the old file or the new one, never
//! half of one.

use std::io::Write;
use std::path::Path;

/// Whether a replaced file must be on disk before the call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Synced before it replaces the old file: what the user would lose (sidecars, backups,
    /// models).
    Synced,
    /// Not synced: a cache that is rebuilt when lost.
    Cache,
}

/// Writes `path` through `write` into a temporary file beside it and renames that over it. A
/// path that is a symbolic link is written where it points, so the link stays; the new file
/// keeps the old one's permissions (a new one gets those of an ordinary file).
pub fn write_atomically(
    path: &Path,
    durability: Durability,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let folder = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    let mut file = tempfile::Builder::new().prefix(".kindred").tempfile_in(folder)?;
    write(file.as_file_mut())?;
    file.as_file_mut().flush()?;
    if durability == Durability::Synced {
        file.as_file().sync_all()?;
    }
    match permissions {
        Some(permissions) => file.as_file().set_permissions(permissions)?,
        None => set_ordinary_permissions(file.as_file())?,
    }
    file.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn set_ordinary_permissions(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_ordinary_permissions(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}
