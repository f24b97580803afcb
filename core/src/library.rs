//! `Library`: the one API the app and the CLI use.

use std::path::{Path, PathBuf};

use crate::cancel::CancelToken;
use crate::catalog::{Catalog, FaceRow, FileIssue, JobRow, PhotoFilter, PhotoRow, Root, StatusCounts};
use crate::error::{Error, ErrorKind, Result};
use crate::events::EventSink;
use crate::faces::{self, FaceEngine, FacesSummary};
use crate::scan::{self, ScanOptions, ScanSummary};

/// An open Kindred library.
#[derive(Debug)]
pub struct Library {
    catalog: Catalog,
}

impl Library {
    /// Where the library lives when the user does not choose: the platform's data folder
    /// (`$XDG_DATA_HOME/kindred/library.db` on Linux).
    pub fn default_path() -> Result<PathBuf> {
        let dirs = directories::ProjectDirs::from("", "", "kindred").ok_or_else(|| {
            Error::new(ErrorKind::Io, "cannot find a home folder for the library; choose one with --library")
        })?;
        Ok(dirs.data_dir().join("library.db"))
    }

    /// Opens the library at `path`, creating it if needed.
    pub fn open(path: &Path) -> Result<Library> {
        Ok(Library { catalog: Catalog::open(path)? })
    }

    pub fn path(&self) -> &Path {
        self.catalog.path()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Adds `folders` as roots (if given) and scans them; with no folders, rescans every root.
    pub fn scan(
        &mut self,
        folders: &[PathBuf],
        options: &ScanOptions,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<ScanSummary> {
        let roots = if folders.is_empty() {
            let roots: Vec<PathBuf> = self.catalog.roots()?.into_iter().map(|r| r.path).collect();
            if roots.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "this library has no folders yet; name one to scan (kindred scan ~/Pictures)",
                ));
            }
            roots
        } else {
            folders.iter().map(|f| scan::canonical_root(f)).collect::<Result<Vec<_>>>()?
        };
        if cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        scan::scan(&mut self.catalog, &roots, options, sink, cancel)
    }

    pub fn roots(&self) -> Result<Vec<Root>> {
        self.catalog.roots()
    }

    pub fn status(&self) -> Result<StatusCounts> {
        self.catalog.status_counts()
    }

    pub fn photos(&self, filter: &PhotoFilter) -> Result<Vec<PhotoRow>> {
        self.catalog.photos(filter)
    }

    pub fn issues(&self) -> Result<Vec<FileIssue>> {
        self.catalog.issues()
    }

    pub fn recent_jobs(&self, limit: u32) -> Result<Vec<JobRow>> {
        self.catalog.recent_jobs(limit)
    }

    /// The folder of rebuildable caches (face thumbnails) beside the library file.
    pub fn cache_dir(&self) -> PathBuf {
        let mut name = self.path().file_name().unwrap_or_default().to_os_string();
        name.push(".cache");
        self.path().with_file_name(name)
    }

    /// Finds and embeds the faces of every photo not analysed yet (or changed since).
    pub fn find_faces(
        &mut self,
        engine: &FaceEngine,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<FacesSummary> {
        let cache = self.cache_dir();
        faces::run_faces_job(&mut self.catalog, engine, &cache, sink, cancel)
    }

    pub fn photo(&self, id: i64) -> Result<PhotoRow> {
        self.catalog.photo(id)
    }

    /// The faces of one photo, largest first.
    pub fn faces_of_photo(&self, photo_id: i64) -> Result<Vec<FaceRow>> {
        self.catalog.faces_of_photo(photo_id)
    }

    /// A small square JPEG of one face, from the cache or made on the spot.
    pub fn face_thumbnail(&self, face_id: i64) -> Result<PathBuf> {
        faces::face_thumbnail(&self.catalog, &self.cache_dir(), face_id)
    }
}
