//! Walking a library folder: every regular file below it, following symbolic links, with
//! loops and unreadable folders recorded as problems instead of stopping the walk.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::cancel::CancelToken;
use crate::catalog::IssueKind;
use crate::error::Result;
use crate::paths;

#[derive(Debug, Clone)]
pub(crate) struct WalkedFile {
    pub(crate) path: PathBuf,
    pub(crate) path_bytes: Vec<u8>,
    pub(crate) size: u64,
    pub(crate) mtime_ns: i64,
    /// Lower-case file extension, if the name has one that is valid UTF-8.
    pub(crate) extension: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub(crate) files: Vec<WalkedFile>,
    pub(crate) problems: Vec<(PathBuf, IssueKind, String)>,
}

/// How often the walk reports how many files it found.
const PROGRESS_EVERY: u64 = 500;

/// Walks `folder` (with its subfolders when `recursive`) into `walked`.
pub(crate) fn walk(
    folder: &Path,
    recursive: bool,
    walked: &mut Walked,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let entries = walkdir::WalkDir::new(folder)
        .follow_links(true)
        .max_depth(if recursive { usize::MAX } else { 1 })
        .into_iter()
        // Hidden folders hold caches and thumbnails of other programs, not the user's photos.
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
    for entry in entries {
        if cancel.is_cancelled() {
            break;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                walked.problems.push(describe_walk_error(&error));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            // Folders are walked into; sockets, pipes and devices are never photos (and opening
            // a pipe would block the scan).
            continue;
        }
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(error) => {
                walked.problems.push(describe_walk_error(&error));
                continue;
            }
        };
        let mtime_ns = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        let path = entry.into_path();
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        walked.files.push(WalkedFile {
            path_bytes: paths::to_bytes(&path),
            path,
            size: metadata.len(),
            mtime_ns,
            extension,
        });
        if (walked.files.len() as u64).is_multiple_of(PROGRESS_EVERY) {
            progress(walked.files.len() as u64);
        }
    }
    progress(walked.files.len() as u64);
    Ok(())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

fn describe_walk_error(error: &walkdir::Error) -> (PathBuf, IssueKind, String) {
    let path = error.path().map(Path::to_path_buf).unwrap_or_default();
    if let Some(ancestor) = error.loop_ancestor() {
        return (
            path,
            IssueKind::SymlinkLoop,
            format!("symbolic link loops back to {}; not followed", ancestor.display()),
        );
    }
    let is_link = std::fs::symlink_metadata(&path).map(|m| m.file_type().is_symlink()).unwrap_or(false);
    match error.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::NotFound && is_link => {
            (path, IssueKind::BrokenLink, "symbolic link points to something that does not exist".into())
        }
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => {
            (path, IssueKind::Vanished, "disappeared while the scan was running".into())
        }
        Some(io) => (path, IssueKind::Unreadable, format!("cannot read: {io}")),
        None => (path, IssueKind::Unreadable, format!("cannot read: {error}")),
    }
}
