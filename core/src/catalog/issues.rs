//! Per-file problems found by scans: what, where, and how bad.

use std::collections::HashSet;
use std::path::PathBuf;

use rusqlite::{Transaction, params};

use super::Catalog;
use crate::error::Result;
use crate::paths;

/// The kinds of per-file problem, each with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssueKind {
    /// A zero-byte file with an image name.
    Empty,
    /// A file with an image name whose content is no image format Kindred knows.
    NotAnImage,
    /// An image whose data is damaged.
    Corrupt,
    /// An image whose file ends before the image does.
    Truncated,
    /// An image larger than the pixel limit (a decompression bomb, or a giant panorama).
    TooLarge,
    /// The file or folder could not be read (permissions, I/O error).
    Unreadable,
    /// The file disappeared while it was being scanned.
    Vanished,
    /// A symbolic link that leads back into a folder it is inside.
    SymlinkLoop,
    /// A symbolic link whose target does not exist.
    BrokenLink,
    /// The name says one format, the content is another (the photo is still read by content).
    WrongExtension,
    /// The photo's XMP metadata (embedded or in a sidecar) cannot be read; the photo itself is fine.
    BadMetadata,
    /// A photo in a format or variant Kindred has no decoder for, or a camera RAW file without a
    /// preview large enough to find faces on.
    Unsupported,
}

impl IssueKind {
    pub fn code(self) -> &'static str {
        match self {
            IssueKind::Empty => "empty",
            IssueKind::NotAnImage => "not_an_image",
            IssueKind::Corrupt => "corrupt",
            IssueKind::Truncated => "truncated",
            IssueKind::TooLarge => "too_large",
            IssueKind::Unreadable => "unreadable",
            IssueKind::Vanished => "vanished",
            IssueKind::SymlinkLoop => "symlink_loop",
            IssueKind::BrokenLink => "broken_link",
            IssueKind::WrongExtension => "wrong_extension",
            IssueKind::BadMetadata => "bad_metadata",
            IssueKind::Unsupported => "unsupported",
        }
    }

    pub fn parse(code: &str) -> Option<IssueKind> {
        ALL_KINDS.iter().copied().find(|k| k.code() == code)
    }

    /// Whether the photo could still be used despite the problem.
    pub fn severity(self) -> Severity {
        match self {
            IssueKind::WrongExtension | IssueKind::BadMetadata => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

const ALL_KINDS: [IssueKind; 12] = [
    IssueKind::Empty,
    IssueKind::NotAnImage,
    IssueKind::Corrupt,
    IssueKind::Truncated,
    IssueKind::TooLarge,
    IssueKind::Unreadable,
    IssueKind::Vanished,
    IssueKind::SymlinkLoop,
    IssueKind::BrokenLink,
    IssueKind::WrongExtension,
    IssueKind::Unsupported,
    IssueKind::BadMetadata,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One recorded problem with one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileIssue {
    pub path: PathBuf,
    pub photo_id: Option<i64>,
    pub kind: IssueKind,
    pub severity: Severity,
    pub message: String,
    pub seen_at: String,
}

impl Catalog {
    /// Replaces the issues recorded for one path with `found` (possibly none).
    pub(crate) fn replace_issues(
        tx: &Transaction<'_>,
        root_id: i64,
        path: &std::path::Path,
        photo_id: Option<i64>,
        found: &[(IssueKind, String)],
        now: &str,
    ) -> Result<()> {
        let bytes = paths::to_bytes(path);
        tx.prepare_cached("DELETE FROM file_issues WHERE path = ?1")?.execute([&bytes])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO file_issues (root_id, path, photo_id, kind, severity, message, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (path, kind) DO UPDATE SET message = excluded.message, seen_at = excluded.seen_at,
                 photo_id = excluded.photo_id",
        )?;
        for (kind, message) in found {
            insert.execute(params![
                root_id,
                bytes,
                photo_id,
                kind.code(),
                kind.severity().as_str(),
                message,
                now
            ])?;
        }
        Ok(())
    }

    /// Records one problem with a known photo found outside a scan (by the face job), leaving
    /// its other issues alone.
    pub(crate) fn add_issue(
        tx: &Transaction<'_>,
        path: &std::path::Path,
        photo_id: i64,
        kind: IssueKind,
        message: &str,
        now: &str,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO file_issues (root_id, path, photo_id, kind, severity, message, seen_at)
             SELECT root_id, ?1, ?2, ?3, ?4, ?5, ?6 FROM photos WHERE id = ?2
             ON CONFLICT (path, kind) DO UPDATE SET message = excluded.message, seen_at = excluded.seen_at",
            params![paths::to_bytes(path), photo_id, kind.code(), kind.severity().as_str(), message, now],
        )?;
        Ok(())
    }

    /// Forgets issues under a root for paths the latest complete walk no longer saw: the file is
    /// gone, so its problem is too. (Every path this scan wrote an issue for was seen by it.)
    pub(crate) fn prune_issues(
        tx: &Transaction<'_>,
        root_id: i64,
        seen_paths: &HashSet<Vec<u8>>,
        in_scope: &dyn Fn(&std::path::Path) -> bool,
    ) -> Result<u64> {
        let mut select = tx.prepare("SELECT id, path FROM file_issues WHERE root_id = ?1")?;
        let stale: Vec<i64> = select
            .query_map([root_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
            .filter_map(|row| row.ok())
            .filter(|(_, path)| !seen_paths.contains(path) && in_scope(&paths::from_bytes(path)))
            .map(|(id, _)| id)
            .collect();
        let mut delete = tx.prepare_cached("DELETE FROM file_issues WHERE id = ?1")?;
        for id in &stale {
            delete.execute([id])?;
        }
        Ok(stale.len() as u64)
    }

    /// Every recorded issue, by path.
    pub fn issues(&self) -> Result<Vec<FileIssue>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, photo_id, kind, message, seen_at FROM file_issues ORDER BY path, kind")?;
        let rows = stmt.query_map([], |r| {
            let kind = IssueKind::parse(&r.get::<_, String>(2)?).unwrap_or(IssueKind::Corrupt);
            Ok(FileIssue {
                path: paths::from_bytes(&r.get::<_, Vec<u8>>(0)?),
                photo_id: r.get(1)?,
                kind,
                severity: kind.severity(),
                message: r.get(3)?,
                seen_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
