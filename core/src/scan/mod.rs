//! The incremental scanner: walks library folders and brings the catalog in line with them.
//!
//! A rescan reads only files whose size or modification time changed. Files are read and
//! decoded on all cores while one writer commits the results in small transactions, so a kill
//! at any moment loses at most the batch in flight, which the next scan redoes.

mod probe;
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

pub(crate) use probe::read_exif;
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
    /// Files that are not photos (videos, documents) and were passed over.
    pub other_files: u64,
    /// Issues recorded for the scanned folders after this scan.
    pub issues: u64,
    pub cancelled: bool,
    pub elapsed: Duration,
}

/// Scans `roots` (canonical folder paths) into `catalog`.
pub(crate) fn scan(
    catalog: &mut Catalog,
    roots: &[PathBuf],
    options: &ScanOptions,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<ScanSummary> {
    let started = Instant::now();
    let scan_started = time::now_utc();
    let summary = catalog.run_job(
        "scan",
        |catalog, job| scan_roots(catalog, roots, options, sink, cancel, job, &scan_started),
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

fn scan_roots(
    catalog: &mut Catalog,
    roots: &[PathBuf],
    options: &ScanOptions,
    sink: &dyn EventSink,
    cancel: &CancelToken,
    job: i64,
    scan_started: &str,
) -> Result<ScanSummary> {
    let mut summary = ScanSummary { roots: roots.to_vec(), ..ScanSummary::default() };

    // Walk every root first: moves between folders are recognised only once we know which
    // known files are gone.
    let mut walked_roots = Vec::new();
    let mut found = 0u64;
    for root in roots {
        if cancel.is_cancelled() {
            summary.cancelled = true;
            return Ok(summary);
        }
        if !root.is_dir() {
            summary.unreachable_roots.push(root.clone());
            continue;
        }
        let root_id = catalog.ensure_root(root, scan_started)?;
        let walked = walk::walk(root, cancel, &mut |n| sink.event(Event::ScanWalking { found: found + n }))?;
        found += walked.files.len() as u64;
        let known = catalog.known_photos(root_id)?;
        walked_roots.push((root_id, root.clone(), walked, known));
    }
    if cancel.is_cancelled() {
        summary.cancelled = true;
        return Ok(summary);
    }

    // Decide what needs reading.
    let mut work: Vec<WorkItem> = Vec::new();
    let mut unseen_by_hash: HashMap<String, Vec<i64>> = HashMap::new();
    let mut unseen_ids: HashSet<i64> = HashSet::new();
    for (root_id, _, walked, known) in &walked_roots {
        let present: HashSet<&[u8]> = walked.files.iter().map(|f| f.path_bytes.as_slice()).collect();
        for (path, photo) in known {
            if !present.contains(path.as_slice()) && photo.status != PhotoStatus::Missing {
                unseen_ids.insert(photo.id);
                if let Some(hash) = &photo.content_hash {
                    unseen_by_hash.entry(hash.clone()).or_default().push(photo.id);
                }
            }
        }
        for file in &walked.files {
            match known.get(&file.path_bytes) {
                Some(photo) if is_unchanged(photo, file) => {
                    summary.unchanged += 1;
                    summary.photos_seen += 1;
                }
                Some(photo) => {
                    work.push(WorkItem { root_id: *root_id, file: file.clone(), known: Some(photo.clone()) })
                }
                None => work.push(WorkItem { root_id: *root_id, file: file.clone(), known: None }),
            }
        }
    }
    let total = work.len() as u64;
    sink.event(Event::ScanPlanned { found, to_process: total });

    // Walk problems (loops, unreadable folders, broken links) are recorded up front.
    {
        let tx = catalog.conn_mut().transaction()?;
        for (root_id, _, walked, _) in &walked_roots {
            for (path, kind, message) in &walked.problems {
                Catalog::replace_issues(
                    &tx,
                    *root_id,
                    path,
                    None,
                    &[(*kind, message.clone())],
                    scan_started,
                )?;
            }
        }
        tx.commit()?;
    }

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
                write_batch(
                    catalog,
                    &mut batch,
                    &mut unseen_by_hash,
                    &mut unseen_ids,
                    &mut summary,
                    &mut unsupported,
                )?;
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

    read_sidecars(catalog, &walked_roots)?;

    // Whatever known photo was neither found nor recognised at a new path is missing.
    let tx = catalog.conn_mut().transaction()?;
    let missing: Vec<i64> = unseen_ids.into_iter().collect();
    Catalog::mark_missing(&tx, &missing)?;
    summary.missing = missing.len() as u64;
    for (root_id, _, walked, _) in &walked_roots {
        let mut seen: HashSet<Vec<u8>> = walked.files.iter().map(|f| f.path_bytes.clone()).collect();
        seen.extend(walked.problems.iter().map(|(p, _, _)| paths::to_bytes(p)));
        Catalog::prune_issues(&tx, *root_id, &seen)?;
    }
    tx.commit()?;
    for (root_id, _, _, _) in &walked_roots {
        catalog.set_root_scanned(*root_id, scan_started)?;
    }
    let root_ids: Vec<i64> = walked_roots.iter().map(|(id, ..)| *id).collect();
    summary.issues = count_issues(catalog, &root_ids)?;
    Ok(summary)
}

/// A root as walked: its id, path, files, and the photos the catalog knew under it.
type WalkedRoot = (i64, PathBuf, walk::Walked, HashMap<Vec<u8>, KnownPhoto>);

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
    // The first bytes decide whether this is a photo at all, so a folder of videos is not read
    // in full on every scan.
    let mut bytes = Vec::with_capacity(file.size.min(1 << 30) as usize);
    if let Err(e) = (&mut handle).take(SNIFF_BYTES).read_to_end(&mut bytes) {
        return unreadable(e);
    }
    if !named_like_image && crate::imaging::Format::sniff(&bytes, extension).is_none() {
        return FileOutcome::NotAPhoto;
    }
    if let Err(e) = handle.read_to_end(&mut bytes) {
        return unreadable(e);
    }
    FileOutcome::Photo(Box::new(probe::probe(&bytes, extension, max_pixels)))
}

/// Enough bytes to recognise every format Kindred knows.
const SNIFF_BYTES: u64 = 64;

fn write_batch(
    catalog: &mut Catalog,
    batch: &mut Vec<(WorkItem, FileOutcome)>,
    unseen_by_hash: &mut HashMap<String, Vec<i64>>,
    unseen_ids: &mut HashSet<i64>,
    summary: &mut ScanSummary,
    unsupported: &mut HashMap<&'static str, u64>,
) -> Result<()> {
    let now = time::now_utc();
    let tx = catalog.conn_mut().transaction()?;
    for (item, outcome) in batch.drain(..) {
        let file = &item.file;
        match outcome {
            FileOutcome::NotAPhoto => {
                summary.other_files += 1;
                Catalog::replace_issues(&tx, item.root_id, &file.path, None, &[], &now)?;
            }
            FileOutcome::Unreadable { kind, message } => {
                let photo_id = item.known.as_ref().map(|k| k.id);
                if kind == IssueKind::Vanished {
                    // Gone: a known photo goes to the missing-file pass, which keeps its row.
                    if let Some(id) = photo_id {
                        unseen_ids.insert(id);
                    }
                    Catalog::replace_issues(&tx, item.root_id, &file.path, None, &[(kind, message)], &now)?;
                    continue;
                }
                summary.photos_seen += 1;
                if let Some(id) = photo_id {
                    tx.execute("UPDATE photos SET status = 'broken' WHERE id = ?1", [id])?;
                }
                Catalog::replace_issues(&tx, item.root_id, &file.path, photo_id, &[(kind, message)], &now)?;
            }
            FileOutcome::Photo(probe) => {
                summary.photos_seen += 1;
                if probe.decoded {
                    summary.decoded += 1;
                }
                if probe.status == PhotoStatus::Unsupported {
                    *unsupported.entry(probe.format).or_default() += 1;
                }
                let existing = match &item.known {
                    Some(known) => {
                        summary.changed += 1;
                        Some(known.id)
                    }
                    None => {
                        let moved_from = probe.content_hash.as_ref().and_then(|hash| {
                            let ids = unseen_by_hash.get_mut(hash)?;
                            let id = ids.pop()?;
                            unseen_ids.remove(&id);
                            Some(id)
                        });
                        let moved_from = match (moved_from, &probe.content_hash) {
                            (Some(id), _) => Some(id),
                            (None, Some(hash)) => Catalog::missing_with_hash(&tx, hash)?,
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
                let record = PhotoRecord {
                    root_id: item.root_id,
                    path: file.path.clone(),
                    size: file.size,
                    mtime_ns: file.mtime_ns,
                    content_hash: probe.content_hash.clone(),
                    format: probe.format,
                    width: probe.width,
                    height: probe.height,
                    orientation: probe.exif.orientation,
                    taken_at: probe.exif.taken_at.clone(),
                    taken_offset: probe.exif.taken_offset.clone(),
                    gps: probe.exif.gps,
                    camera_make: probe.exif.camera_make.clone(),
                    camera_model: probe.exif.camera_model.clone(),
                    status: probe.status,
                };
                let id = Catalog::write_photo(&tx, &record, existing, &now)?;
                Catalog::replace_issues(&tx, item.root_id, &file.path, Some(id), &probe.issues, &now)?;
                Catalog::replace_regions(&tx, id, RegionSource::Embedded, &probe.embedded_regions)?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// Resolves user-given folders to canonical paths, with errors that name the folder.
pub(crate) fn canonical_root(path: &Path) -> Result<PathBuf> {
    let canonical = std::fs::canonicalize(path).map_err(|e| Error::io(path, "cannot open folder", e))?;
    if !canonical.is_dir() {
        return Err(Error::new(ErrorKind::InvalidInput, format!("{} is not a folder", path.display())));
    }
    Ok(canonical)
}

/// Reads the XMP sidecars that are new or changed since the last scan, for their named face
/// regions. A sidecar that cannot be parsed is reported as a warning and read again next time.
fn read_sidecars(catalog: &mut Catalog, walked_roots: &[WalkedRoot]) -> Result<()> {
    let now = time::now_utc();
    for (root_id, _, walked, _) in walked_roots {
        let sidecars: HashMap<&Path, &WalkedFile> = walked
            .files
            .iter()
            .filter(|f| f.extension.as_deref() == Some("xmp"))
            .map(|f| (f.path.as_path(), f))
            .collect();
        let photos: Vec<(i64, PathBuf, u8)> = {
            let mut stmt = catalog.conn().prepare(
                "SELECT id, path, orientation FROM photos WHERE root_id = ?1 AND status != 'missing'",
            )?;
            let rows = stmt.query_map([root_id], |r| {
                Ok((r.get(0)?, paths::from_bytes(&r.get::<_, Vec<u8>>(1)?), r.get(2)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
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
        for (photo, path, orientation) in photos {
            let sidecar = crate::xmp::sidecar_candidates(&path)
                .into_iter()
                .find_map(|c| sidecars.get(c.as_path()).copied());
            let signature = sidecar.map(|f| format!("{}:{}", f.size, f.mtime_ns)).unwrap_or_default();
            if read_before.get(&photo).map_or("", String::as_str) == signature {
                continue;
            }
            let regions = match sidecar {
                None => Ok(Vec::new()),
                Some(file) => std::fs::read_to_string(&file.path)
                    .map_err(|e| format!("cannot read it: {e}"))
                    .and_then(|text| crate::xmp::read_people(&text, orientation).map(|p| p.regions)),
            };
            match regions {
                Ok(regions) => {
                    Catalog::replace_regions(&tx, photo, RegionSource::Sidecar, &regions)?;
                    Catalog::set_sidecar_signature(&tx, photo, &signature)?;
                }
                Err(message) => {
                    let file = sidecar.map(|f| f.path.as_path()).unwrap_or(&path);
                    Catalog::add_issue(
                        &tx,
                        file,
                        photo,
                        IssueKind::BadMetadata,
                        &format!("XMP sidecar: {message}"),
                        &now,
                    )?;
                }
            }
        }
        tx.commit()?;
    }
    Ok(())
}
