//! The incremental scanner: walks library folders and brings the catalog in line with them.
//!
//! A rescan reads only files whose size or modification time changed. Files are read and
//! decoded on all cores while one writer commits the results in small transactions, so a kill
//! at any moment loses at most the batch in flight, which the next scan redoes.

mod companions;
mod probe;
mod sidecars;
#[cfg(test)]
mod tests;
mod walk;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cancel::CancelToken;
use crate::catalog::regions::RegionSource;
use crate::catalog::{Catalog, IssueKind, JobStatus, KnownPhoto, PhotoRecord, PhotoStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Event, EventSink};
use crate::{paths, time};

use companions::{CompanionKind, Role};
pub(crate) use probe::issue_for;
use walk::WalkedFile;

/// How many file results are committed together. Small enough that a kill loses little work,
/// large enough that the fsync per commit is not the bottleneck.
const COMMIT_BATCH: usize = 64;
/// The longest a finished result waits before it is committed.
const COMMIT_INTERVAL: Duration = Duration::from_millis(500);

/// Scanner settings.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Images announcing more pixels than this are not decoded (decompression bombs).
    pub max_pixels: u64,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        // 250 MP: far above any camera or phone photo, below what exhausts a home computer.
        ScanOptions { max_pixels: 250_000_000 }
    }
}

/// What a scan did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanSummary {
    pub roots: Vec<PathBuf>,
    /// Known roots that could not be reached (an unplugged drive); their photos were left as
    /// they were rather than marked missing.
    pub unreachable_roots: Vec<PathBuf>,
    /// Image files found by the walk (recognised by name or content).
    pub photos_seen: u64,
    pub new: u64,
    pub changed: u64,
    pub moved: u64,
    pub unchanged: u64,
    /// Photos no longer found where they were.
    pub missing: u64,
    /// Files whose pixels were decoded by this scan.
    pub decoded: u64,
    /// Photos in formats Kindred cannot decode yet, by format.
    pub unsupported: Vec<(String, u64)>,
    /// Videos of their own (listed, not analysed).
    pub videos: u64,
    /// Files kept with a photo of the same shot: the RAW of a RAW+JPEG pair, the video of a
    /// Live Photo.
    pub companions: u64,
    /// Files that are not photos or videos (documents, say) and were passed over.
    pub other_files: u64,
    /// Issues recorded for the scanned folders after this scan.
    pub issues: u64,
    pub cancelled: bool,
    pub elapsed: Duration,
}

/// The part of a library folder a scan reads: all of it, or some folders in it (each with its
/// subfolders or not), as the folder watcher asks after changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanScope {
    /// The library folder (canonical).
    pub root: PathBuf,
    /// `None`: the whole folder. Else these folders inside it, with their subfolders when
    /// `true`.
    pub folders: Option<Vec<(PathBuf, bool)>>,
}

impl ScanScope {
    pub fn whole(root: PathBuf) -> ScanScope {
        ScanScope { root, folders: None }
    }

    /// Whether a file at `path` lies in this scope.
    fn contains(&self, path: &Path) -> bool {
        match &self.folders {
            None => true,
            Some(folders) => folders.iter().any(|(folder, recursive)| {
                if *recursive { path.starts_with(folder) } else { path.parent() == Some(folder.as_path()) }
            }),
        }
    }
}

/// Scans every scope (their roots canonical) into `catalog`.
pub(crate) fn scan(
    catalog: &mut Catalog,
    scopes: &[ScanScope],
    options: &ScanOptions,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<ScanSummary> {
    let started = Instant::now();
    let scan_started = time::now_utc();
    let summary = catalog.run_job(
        "scan",
        |catalog, job| scan_scopes(catalog, scopes, options, sink, cancel, job, &scan_started),
        |s| {
            if s.cancelled {
                (JobStatus::Cancelled, None)
            } else {
                (JobStatus::Completed, Some(format!("{} photos, {} issues", s.photos_seen, s.issues)))
            }
        },
    )?;
    Ok(ScanSummary { elapsed: started.elapsed(), ..summary })
}

/// A scope as walked: what was found in it and what the catalog knew there.
struct WalkedScope {
    root_id: i64,
    scope: ScanScope,
    walked: walk::Walked,
    known: HashMap<Vec<u8>, KnownPhoto>,
    /// Videos and companions found, with the photo each companion belongs to.
    side_files: Vec<(WalkedFile, CompanionKind, Option<PathBuf>)>,
    /// Known photos that are now companions of another file of their shot (they hold no faces
    /// and no decisions, so nothing is lost when they stop being photos).
    became_companions: Vec<i64>,
}

fn scan_scopes(
    catalog: &mut Catalog,
    scopes: &[ScanScope],
    options: &ScanOptions,
    sink: &dyn EventSink,
    cancel: &CancelToken,
    job: i64,
    scan_started: &str,
) -> Result<ScanSummary> {
    let mut summary =
        ScanSummary { roots: scopes.iter().map(|s| s.root.clone()).collect(), ..ScanSummary::default() };

    // Walk every scope first: moves between folders are recognised only once we know which
    // known files are gone.
    let mut walked_scopes = Vec::new();
    let mut found = 0u64;
    for scope in scopes {
        if cancel.is_cancelled() {
            summary.cancelled = true;
            return Ok(summary);
        }
        if !scope.root.is_dir() {
            summary.unreachable_roots.push(scope.root.clone());
            continue;
        }
        let root_id = catalog.ensure_root(&scope.root, scan_started)?;
        let mut walked = walk::Walked::default();
        let mut progress = |n| sink.event(Event::ScanWalking { found: found + n });
        match &scope.folders {
            None => walk::walk(&scope.root, true, &mut walked, cancel, &mut progress)?,
            Some(folders) => {
                for (folder, recursive) in folders.iter().filter(|(f, _)| f.is_dir()) {
                    walk::walk(folder, *recursive, &mut walked, cancel, &mut progress)?;
                }
            }
        }
        found += walked.files.len() as u64;
        let mut known = catalog.known_photos(root_id)?;
        known.retain(|path, _| scope.contains(&paths::from_bytes(path)));
        walked_scopes.push(WalkedScope {
            root_id,
            scope: scope.clone(),
            walked,
            known,
            side_files: Vec::new(),
            became_companions: Vec::new(),
        });
    }
    if cancel.is_cancelled() {
        summary.cancelled = true;
        return Ok(summary);
    }

    // Decide what each file is and what needs reading.
    let mut work: Vec<WorkItem> = Vec::new();
    let mut unseen_by_hash: HashMap<String, Vec<i64>> = HashMap::new();
    let mut unseen_ids: HashSet<i64> = HashSet::new();
    for scope in &mut walked_scopes {
        let known = &scope.known;
        let mut anchored = |file: &WalkedFile| {
            known.get(&file.path_bytes).is_some_and(|photo| {
                photo.status != PhotoStatus::Missing
                    && catalog.has_faces_or_decisions(photo.id).unwrap_or(true)
            })
        };
        let roles = companions::roles(&scope.walked.files, &mut anchored);
        let mut photos_present: HashSet<&[u8]> = HashSet::new();
        for (file, role) in scope.walked.files.iter().zip(roles) {
            match role {
                Role::Photo => {
                    photos_present.insert(&file.path_bytes);
                    match known.get(&file.path_bytes) {
                        Some(photo) if is_unchanged(photo, file) => {
                            summary.unchanged += 1;
                            summary.photos_seen += 1;
                        }
                        known_photo => work.push(WorkItem {
                            root_id: scope.root_id,
                            file: file.clone(),
                            known: known_photo.cloned(),
                        }),
                    }
                }
                Role::Video => {
                    summary.videos += 1;
                    scope.side_files.push((file.clone(), CompanionKind::Video, None));
                }
                Role::Companion { photo, kind } => {
                    summary.companions += 1;
                    if let Some(known) =
                        known.get(&file.path_bytes).filter(|k| k.status != PhotoStatus::Missing)
                    {
                        scope.became_companions.push(known.id);
                    }
                    scope.side_files.push((file.clone(), kind, Some(photo)));
                }
                Role::Other => {}
            }
        }
        for (path, photo) in known {
            if !photos_present.contains(path.as_slice())
                && photo.status != PhotoStatus::Missing
                && !scope.became_companions.contains(&photo.id)
            {
                unseen_ids.insert(photo.id);
                if let Some(hash) = &photo.content_hash {
                    unseen_by_hash.entry(hash.clone()).or_default().push(photo.id);
                }
            }
        }
    }
    let total = work.len() as u64;
    sink.event(Event::ScanPlanned { found, to_process: total });

    // Walk problems (loops, unreadable folders, broken links) are recorded up front.
    {
        let tx = catalog.conn_mut().transaction()?;
        for scope in &walked_scopes {
            for (path, kind, message) in &scope.walked.problems {
                Catalog::replace_issues(
                    &tx,
                    scope.root_id,
                    path,
                    None,
                    &[(*kind, message.clone())],
                    scan_started,
                )?;
            }
        }
        tx.commit()?;
    }

    // The orientation each known photo's sidecar gave, which a rewritten photo keeps.
    let sidecar_orientations = catalog.sidecar_orientations()?;

    // Read files on every core; commit results on this thread as they arrive.
    let (sender, receiver) = mpsc::sync_channel::<(WorkItem, FileOutcome)>(COMMIT_BATCH * 4);
    let max_pixels = options.max_pixels;
    let mut unsupported: HashMap<&'static str, u64> = HashMap::new();
    let write_result = std::thread::scope(|scope| -> Result<()> {
        // Owned here so that it is dropped whenever this closure returns: readers blocked on a
        // full channel then see the hang-up and stop, and the scope can end.
        let receiver = receiver;
        let work = std::mem::take(&mut work);
        scope.spawn(move || {
            work.into_par_iter().for_each_with(sender, |sender, item| {
                if cancel.is_cancelled() {
                    return;
                }
                let outcome = read_file(&item.file, max_pixels);
                // The receiver hangs up after a cancel or an error; the scan is over then.
                let _ = sender.send((item, outcome));
            });
        });

        let mut done = 0u64;
        let mut batch: Vec<(WorkItem, FileOutcome)> = Vec::with_capacity(COMMIT_BATCH);
        let mut last_commit = Instant::now();
        let mut writer = BatchWriter {
            unseen_by_hash: &mut unseen_by_hash,
            unseen_ids: &mut unseen_ids,
            summary: &mut summary,
            unsupported: &mut unsupported,
            sidecar_orientations: &sidecar_orientations,
        };
        loop {
            let received = receiver.recv_timeout(COMMIT_INTERVAL);
            // After a cancel, what is already received is committed and the rest is left for the
            // next scan, so a cancel takes effect within one batch.
            let closed =
                matches!(received, Err(mpsc::RecvTimeoutError::Disconnected)) || cancel.is_cancelled();
            if let Ok(result) = received {
                done += 1;
                sink.event(Event::ScanProgress { done, total, path: result.0.file.path.clone() });
                batch.push(result);
            }
            let due = batch.len() >= COMMIT_BATCH || last_commit.elapsed() >= COMMIT_INTERVAL || closed;
            if due && !batch.is_empty() {
                writer.write(catalog, &mut batch)?;
                catalog.update_job_progress(job, done, total)?;
                last_commit = Instant::now();
            }
            if closed {
                return Ok(());
            }
        }
    });
    write_result?;
    summary.unsupported = {
        let mut list: Vec<(String, u64)> = unsupported.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        list.sort();
        list
    };

    if cancel.is_cancelled() {
        // An unfinished scan has not looked at every file, so it cannot say what is missing.
        summary.cancelled = true;
        return Ok(summary);
    }

    for scope in &walked_scopes {
        sidecars::read_sidecars(catalog, scope.root_id, &scope.scope, &scope.walked.files)?;
    }

    // Whatever known photo was neither found nor recognised at a new path is missing; videos
    // and companions are recorded as the walk found them.
    let tx = catalog.conn_mut().transaction()?;
    let missing: Vec<i64> = unseen_ids.into_iter().collect();
    Catalog::mark_missing(&tx, &missing)?;
    summary.missing = missing.len() as u64;
    for scope in &walked_scopes {
        for &id in &scope.became_companions {
            Catalog::forget_photo(&tx, id)?;
        }
        let side_files: Vec<crate::catalog::SideFile> = scope
            .side_files
            .iter()
            .map(|(file, kind, photo)| crate::catalog::SideFile {
                path: file.path.clone(),
                kind: kind.as_str(),
                size: file.size,
                mtime_ns: file.mtime_ns,
                photo_path: photo.clone(),
            })
            .collect();
        let in_scope = |path: &Path| scope.scope.contains(path);
        Catalog::replace_side_files(&tx, scope.root_id, &side_files, &in_scope)?;
        let mut seen: HashSet<Vec<u8>> = scope.walked.files.iter().map(|f| f.path_bytes.clone()).collect();
        seen.extend(scope.walked.problems.iter().map(|(p, _, _)| paths::to_bytes(p)));
        Catalog::prune_issues(&tx, scope.root_id, &seen, &in_scope)?;
    }
    tx.commit()?;
    for scope in &walked_scopes {
        if scope.scope.folders.is_none() {
            catalog.set_root_scanned(scope.root_id, scan_started)?;
        }
    }
    let root_ids: Vec<i64> = walked_scopes.iter().map(|s| s.root_id).collect();
    summary.issues = count_issues(catalog, &root_ids)?;
    Ok(summary)
}

fn is_unchanged(photo: &KnownPhoto, file: &WalkedFile) -> bool {
    photo.status != PhotoStatus::Missing && photo.size == file.size && photo.mtime_ns == file.mtime_ns
}

fn count_issues(catalog: &Catalog, root_ids: &[i64]) -> Result<u64> {
    let mut total = 0;
    for id in root_ids {
        let n: u64 =
            catalog
                .conn()
                .query_row("SELECT count(*) FROM file_issues WHERE root_id = ?1", [id], |r| r.get(0))?;
        total += n;
    }
    Ok(total)
}

#[derive(Debug, Clone)]
struct WorkItem {
    root_id: i64,
    file: WalkedFile,
    known: Option<KnownPhoto>,
}

/// The result of reading one file.
#[derive(Debug)]
enum FileOutcome {
    /// An image (or a file named like one): recorded as a photo, with its issues.
    Photo(Box<probe::Probe>),
    /// Not an image and not named like one: passed over.
    NotAPhoto,
    /// The file could not be read at all.
    Unreadable { kind: IssueKind, message: String },
}

fn read_file(file: &WalkedFile, max_pixels: u64) -> FileOutcome {
    use std::io::Read;
    let extension = file.extension.as_deref();
    let named_like_image = probe::has_image_extension(extension);
    let unreadable = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FileOutcome::Unreadable {
                kind: IssueKind::Vanished,
                message: "the file disappeared while the scan was running".into(),
            }
        } else {
            FileOutcome::Unreadable {
                kind: IssueKind::Unreadable,
                message: format!("cannot read the file: {e}"),
            }
        }
    };
    let mut handle = match std::fs::File::open(&file.path) {
        Ok(handle) => handle,
        Err(e) => return unreadable(e),
    };
    // The first bytes decide whether this is a photo at all, so a folder of documents is not
    // read in full on every scan.
    let mut bytes = Vec::with_capacity(file.size.min(1 << 30) as usize);
    if let Err(e) = (&mut handle).take(kindred_media::SNIFF_BYTES as u64).read_to_end(&mut bytes) {
        return unreadable(e);
    }
    if !named_like_image && kindred_media::Format::sniff(&bytes, extension).is_none() {
        return FileOutcome::NotAPhoto;
    }
    if let Err(e) = handle.read_to_end(&mut bytes) {
        return unreadable(e);
    }
    FileOutcome::Photo(Box::new(probe::probe(&bytes, extension, max_pixels)))
}

/// The orientation in effect for a photo: what the file itself declares, else its sidecar's;
/// for a camera RAW file the sidecar's first, since raw developers (Lightroom, darktable) keep
/// the user's rotation there.
pub fn effective_orientation(format: &str, file: Option<u8>, sidecar: Option<u8>) -> u8 {
    if format == kindred_media::Format::Raw.name() {
        sidecar.or(file).unwrap_or(1)
    } else {
        file.or(sidecar).unwrap_or(1)
    }
}

/// Commits batches of read files.
struct BatchWriter<'a> {
    unseen_by_hash: &'a mut HashMap<String, Vec<i64>>,
    unseen_ids: &'a mut HashSet<i64>,
    summary: &'a mut ScanSummary,
    unsupported: &'a mut HashMap<&'static str, u64>,
    sidecar_orientations: &'a HashMap<i64, u8>,
}

impl BatchWriter<'_> {
    fn write(&mut self, catalog: &mut Catalog, batch: &mut Vec<(WorkItem, FileOutcome)>) -> Result<()> {
        let now = time::now_utc();
        let tx = catalog.conn_mut().transaction()?;
        for (item, outcome) in batch.drain(..) {
            let file = &item.file;
            match outcome {
                FileOutcome::NotAPhoto => {
                    self.summary.other_files += 1;
                    Catalog::replace_issues(&tx, item.root_id, &file.path, None, &[], &now)?;
                }
                FileOutcome::Unreadable { kind, message } => {
                    let photo_id = item.known.as_ref().map(|k| k.id);
                    if kind == IssueKind::Vanished {
                        // Gone: a known photo goes to the missing-file pass, which keeps its row.
                        if let Some(id) = photo_id {
                            self.unseen_ids.insert(id);
                        }
                        Catalog::replace_issues(
                            &tx,
                            item.root_id,
                            &file.path,
                            None,
                            &[(kind, message)],
                            &now,
                        )?;
                        continue;
                    }
                    self.summary.photos_seen += 1;
                    if let Some(id) = photo_id {
                        tx.execute("UPDATE photos SET status = 'broken' WHERE id = ?1", [id])?;
                    }
                    Catalog::replace_issues(
                        &tx,
                        item.root_id,
                        &file.path,
                        photo_id,
                        &[(kind, message)],
                        &now,
                    )?;
                }
                FileOutcome::Photo(probe) => self.write_photo(&tx, &item, *probe, &now)?,
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn write_photo(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        item: &WorkItem,
        mut probe: probe::Probe,
        now: &str,
    ) -> Result<()> {
        let summary = &mut *self.summary;
        summary.photos_seen += 1;
        if probe.decoded {
            summary.decoded += 1;
        }
        if probe.status == PhotoStatus::Unsupported {
            *self.unsupported.entry(probe.format).or_default() += 1;
        }
        let existing = match &item.known {
            Some(known) => {
                summary.changed += 1;
                Some(known.id)
            }
            None => {
                let moved_from = probe.content_hash.as_ref().and_then(|hash| {
                    let ids = self.unseen_by_hash.get_mut(hash)?;
                    let id = ids.pop()?;
                    self.unseen_ids.remove(&id);
                    Some(id)
                });
                let moved_from = match (moved_from, &probe.content_hash) {
                    (Some(id), _) => Some(id),
                    (None, Some(hash)) => Catalog::missing_with_hash(tx, hash)?,
                    (None, None) => None,
                };
                if moved_from.is_some() {
                    summary.moved += 1
                } else {
                    summary.new += 1
                }
                moved_from
            }
        };
        let sidecar = existing.and_then(|id| self.sidecar_orientations.get(&id).copied());
        let orientation = effective_orientation(probe.format, probe.file_orientation, sidecar);
        // Named regions of the embedded XMP, turned to the photo as shown.
        let regions = match probe.xmp.as_deref().map(|packet| crate::xmp::read_people(packet, orientation)) {
            None => Vec::new(),
            Some(Ok(people)) => people.regions,
            Some(Err(message)) => {
                probe.issues.push((IssueKind::BadMetadata, format!("embedded XMP: {message}")));
                Vec::new()
            }
        };
        let file = &item.file;
        let record = PhotoRecord {
            root_id: item.root_id,
            path: file.path.clone(),
            size: file.size,
            mtime_ns: file.mtime_ns,
            content_hash: probe.content_hash.clone(),
            format: probe.format,
            width: probe.width,
            height: probe.height,
            orientation,
            file_orientation: probe.file_orientation,
            taken_at: probe.exif.taken_at.clone(),
            taken_offset: probe.exif.taken_offset.clone(),
            gps: probe.exif.gps,
            camera_make: probe.exif.camera_make.clone(),
            camera_model: probe.exif.camera_model.clone(),
            status: probe.status,
        };
        let id = Catalog::write_photo(tx, &record, existing, now)?;
        Catalog::replace_issues(tx, item.root_id, &file.path, Some(id), &probe.issues, now)?;
        Catalog::replace_regions(tx, id, RegionSource::Embedded, &regions)?;
        Ok(())
    }
}

/// Resolves user-given folders to canonical paths, with errors that name the folder.
pub(crate) fn canonical_root(path: &Path) -> Result<PathBuf> {
    let canonical = std::fs::canonicalize(path).map_err(|e| Error::io(path, "cannot open folder", e))?;
    if !canonical.is_dir() {
        return Err(Error::new(ErrorKind::InvalidInput, format!("{} is not a folder", path.display())));
    }
    Ok(canonical)
}
