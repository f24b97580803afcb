//! The face job: every decodable photo whose current content has not been analysed yet is
//! decoded, searched for faces, and its faces stored with their embeddings. Photos are
//! committed a few at a time, each atomically, so the job resumes where a kill left it.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use image::RgbImage;
use kindred_models::align;
use rayon::prelude::*;

use super::frame::{self, Frames, Source};
use super::{FaceEngine, MODEL_ID, thumbs};
use crate::cancel::CancelToken;
use crate::catalog::{Catalog, FoundFace, IssueKind, JobStatus, PhotoToAnalyze};
use crate::error::Result;
use crate::events::{Event, EventSink};
use crate::time;

/// What the face job did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacesSummary {
    /// Photos that needed analysing when the job started.
    pub to_analyze: u64,
    pub analyzed: u64,
    pub faces: u64,
    pub photos_with_faces: u64,
    /// Photos that could not be read or decoded (recorded as file issues).
    pub failed: u64,
    pub cancelled: bool,
    pub elapsed: Duration,
    /// What the people pass that follows the job did with the new faces.
    pub people: crate::people::PeopleSummary,
    /// Where the time went.
    pub stages: StageTimes,
}

/// Time spent in each stage of the face pipeline. Decoding, detection and alignment run one
/// photo per call, several photos side by side: their times are summed over the photos, and
/// together can exceed the elapsed time. Embedding, committing and the people pass are each
/// one call at a time: their times are elapsed times (embedding uses every core inside).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    /// Reading, hashing and decoding photos as shown (EXIF orientation applied).
    pub decode: Duration,
    /// Finding faces: every detection pass, with the scaled copies it needs.
    pub detect: Duration,
    /// Cutting each face's aligned crop and its thumbnail.
    pub align: Duration,
    /// Embedding the crops.
    pub embed: Duration,
    /// Recording results: the catalog's transactions and the thumbnail files, on one thread.
    pub commit: Duration,
    /// The people pass after the job (placing the new faces).
    pub people: Duration,
}

/// The stages [`StageTimes`] measures, as a shared, thread-safe accumulator.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    nanos: [AtomicU64; 6],
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    Decode,
    Detect,
    Align,
    Embed,
    Commit,
    People,
}

impl Clock {
    pub(crate) fn time<R>(&self, stage: Stage, f: impl FnOnce() -> R) -> R {
        let started = Instant::now();
        let result = f();
        self.add(stage, started.elapsed());
        result
    }

    pub(crate) fn add(&self, stage: Stage, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[stage as usize].fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn times(&self) -> StageTimes {
        let at = |stage: Stage| Duration::from_nanos(self.nanos[stage as usize].load(Ordering::Relaxed));
        StageTimes {
            decode: at(Stage::Decode),
            detect: at(Stage::Detect),
            align: at(Stage::Align),
            embed: at(Stage::Embed),
            commit: at(Stage::Commit),
            people: at(Stage::People),
        }
    }
}

/// Pixels above which the face job does not decode a photo (the scanner's limit).
const MAX_PIXELS: u64 = 250_000_000;

struct Analyzed {
    photo: PhotoToAnalyze,
    content_hash: String,
    faces: Vec<FoundFace>,
    /// Each face's thumbnail, encoded (empty where encoding failed: the cache rebuilds it).
    thumbnails: Vec<Vec<u8>>,
}

enum Outcome {
    Done(Analyzed),
    Failed { photo: PhotoToAnalyze, kind: IssueKind, message: String },
}

struct Decoded {
    photo: PhotoToAnalyze,
    content_hash: String,
    frames: Frames<'static>,
}

/// Reads, hashes and decodes one photo as shown (EXIF orientation applied), at full size. With
/// no `orientation` given, it is read from the bytes already in memory. On failure, the issue
/// to record.
pub(super) fn read_photo(
    path: &Path,
    orientation: Option<u8>,
) -> std::result::Result<(String, RgbImage), (IssueKind, String)> {
    let (content_hash, frames) = read_scaled(path, orientation, None)?;
    Ok((content_hash, frames.into_image()))
}

/// [`read_photo`], decoding at the smallest scale the decoder makes cheaply whose long side is
/// at least `min_side` (`None`: full size); the frames decode it again larger on demand.
pub(super) fn read_scaled(
    path: &Path,
    orientation: Option<u8>,
    min_side: Option<u32>,
) -> std::result::Result<(String, Frames<'static>), (IssueKind, String)> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            (IssueKind::Vanished, "the file disappeared before its faces were found".to_string())
        }
        _ => (IssueKind::Unreadable, format!("cannot read the file: {e}")),
    })?;
    let content_hash = blake3::hash(&bytes).to_hex().to_string();
    let Some(format) = kindred_media::Format::sniff(&bytes, None) else {
        return Err((IssueKind::NotAnImage, "the file's content is no longer an image".into()));
    };
    let orientation = match orientation {
        Some(orientation) => orientation,
        None => crate::scan::effective_orientation(
            format.name(),
            kindred_media::declared_orientation(&bytes, format),
            None,
        ),
    };
    let decoded = kindred_media::decode(&bytes, format, min_side, MAX_PIXELS)
        .map_err(|problem| crate::scan::issue_for(format, &problem, MAX_PIXELS))?;
    // Orientations 5 to 8 turn the picture a quarter.
    let full = if (5..=8).contains(&orientation) {
        (decoded.full_height, decoded.full_width)
    } else {
        (decoded.full_width, decoded.full_height)
    };
    let image = kindred_media::orient(decoded.image, orientation);
    let source = Source { bytes, format, orientation, max_pixels: MAX_PIXELS };
    Ok((content_hash, Frames::scaled(image, full, source)))
}

fn decode(
    photo: PhotoToAnalyze,
    engine: &FaceEngine,
    clock: &Clock,
) -> std::result::Result<Decoded, Outcome> {
    let min_side = Some(engine.options.first_pass_side);
    match clock.time(Stage::Decode, || read_scaled(&photo.path, photo.orientation, min_side)) {
        Ok((content_hash, frames)) => Ok(Decoded { photo, content_hash, frames }),
        Err((kind, message)) => Err(Outcome::Failed { photo, kind, message }),
    }
}

pub(crate) fn run_faces_job(
    catalog: &mut Catalog,
    engine: &FaceEngine,
    cache_dir: &Path,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<FacesSummary> {
    let started = Instant::now();
    let clock = Clock::default();
    let summary = catalog.run_job(
        "faces",
        |catalog, job| analyze_all(catalog, engine, cache_dir, sink, cancel, job, &clock),
        |s| {
            if s.cancelled {
                (JobStatus::Cancelled, None)
            } else {
                (JobStatus::Completed, Some(format!("{} photos, {} faces", s.analyzed, s.faces)))
            }
        },
    )?;
    Ok(FacesSummary { elapsed: started.elapsed(), stages: clock.times(), ..summary })
}

fn analyze_all(
    catalog: &mut Catalog,
    engine: &FaceEngine,
    cache_dir: &Path,
    sink: &dyn EventSink,
    cancel: &CancelToken,
    job: i64,
    clock: &Clock,
) -> Result<FacesSummary> {
    let todo = catalog.photos_needing_faces(MODEL_ID)?;
    let total = todo.len() as u64;
    let mut summary = FacesSummary { to_analyze: total, ..FacesSummary::default() };
    sink.event(Event::FacesPlanned { photos: total });
    let mut done = 0u64;
    let mut cancelled = false;
    let chunks = todo.chunks(chunk_size()).map(<[PhotoToAnalyze]>::to_vec);
    let keep_going = || {
        cancelled = cancel.is_cancelled();
        !cancelled
    };
    let record = |outcomes: Vec<Outcome>| -> Result<()> {
        let started = Instant::now();
        let now = time::now_utc();
        let mut thumbnails_to_write = Vec::new();
        {
            let tx = catalog.conn_mut().transaction()?;
            for outcome in outcomes {
                done += 1;
                match outcome {
                    Outcome::Done(analyzed) => {
                        let ids = Catalog::write_faces(
                            &tx,
                            analyzed.photo.id,
                            &analyzed.content_hash,
                            MODEL_ID,
                            &analyzed.faces,
                            &now,
                        )?;
                        summary.analyzed += 1;
                        summary.faces += ids.len() as u64;
                        summary.photos_with_faces += u64::from(!ids.is_empty());
                        sink.event(Event::FacesProgress {
                            done,
                            total,
                            faces: summary.faces,
                            path: analyzed.photo.path.clone(),
                        });
                        thumbnails_to_write.extend(ids.into_iter().zip(analyzed.thumbnails));
                    }
                    Outcome::Failed { photo, kind, message } => {
                        summary.failed += 1;
                        Catalog::add_issue(&tx, &photo.path, photo.id, kind, &message, &now)?;
                        sink.event(Event::FacesProgress {
                            done,
                            total,
                            faces: summary.faces,
                            path: photo.path,
                        });
                    }
                }
            }
            tx.commit()?;
        }
        catalog.update_job_progress(job, done, total)?;
        // The cache can always be rebuilt from the photos, so a failed write is not an error.
        for (face_id, jpeg) in thumbnails_to_write {
            if !jpeg.is_empty() {
                let _ = thumbs::save_encoded(cache_dir, face_id, &jpeg);
            }
        }
        clock.add(Stage::Commit, started.elapsed());
        Ok(())
    };
    analyze_chunks(engine, chunks, keep_going, record, clock)?;
    summary.cancelled = cancelled;
    Ok(summary)
}

/// What decoding, detecting and aligning a photo left to do: its faces without embeddings and
/// their aligned crops, or why it failed.
type Found = std::result::Result<(Analyzed, Vec<RgbImage>), Outcome>;

/// The pipeline shared by the job and [`analyze_files`]: the photos of each chunk are decoded,
/// searched and aligned side by side (each photo on one core: decoding and the detector's
/// many small steps gain little from more), then the chunk's faces are embedded in one batch
/// (the embedder's big layers use every core). The embedding of one chunk overlaps the
/// decoding and detection of the next, so no core waits for the other stage. `record`
/// receives each chunk's outcomes in order, photos in chunk order, on one thread at a time;
/// no new chunk is started once `keep_going` says no.
fn analyze_chunks<R>(
    engine: &FaceEngine,
    mut chunks: impl Iterator<Item = Vec<PhotoToAnalyze>>,
    mut keep_going: impl FnMut() -> bool,
    mut record: R,
    clock: &Clock,
) -> Result<()>
where
    R: FnMut(Vec<Outcome>) -> Result<()> + Send,
{
    let find_chunk = |photos: Vec<PhotoToAnalyze>| -> Vec<Found> {
        photos
            .into_par_iter()
            .map(|photo| decode(photo, engine, clock).map(|d| find_faces(engine, d, clock)))
            .collect()
    };
    let mut pending: Option<Vec<Found>> = None;
    loop {
        let next = if keep_going() { chunks.next() } else { None };
        pending = match (pending.take(), next) {
            (None, None) => break,
            (None, Some(photos)) => Some(find_chunk(photos)),
            (Some(found), None) => {
                record(embed_chunk(engine, found, clock))?;
                None
            }
            (Some(found), Some(photos)) => {
                let (recorded, next_found) =
                    rayon::join(|| record(embed_chunk(engine, found, clock)), || find_chunk(photos));
                recorded?;
                Some(next_found)
            }
        };
    }
    Ok(())
}

/// The face job's own pipeline on files outside any library (for `compare` and `bench`):
/// the faces of each file, or why it could not be read. Files go through [`analyze_chunks`]
/// as the job's photos do, so timings of this measure the job.
pub(crate) fn analyze_files(
    engine: &FaceEngine,
    files: &[std::path::PathBuf],
    clock: &Clock,
) -> Vec<std::result::Result<Vec<FoundFace>, String>> {
    let mut results = Vec::with_capacity(files.len());
    let chunks = files.chunks(chunk_size()).map(|chunk| {
        chunk
            .iter()
            .enumerate()
            .map(|(i, path)| PhotoToAnalyze { id: i as i64, path: path.clone(), orientation: None })
            .collect()
    });
    let record = |outcomes: Vec<Outcome>| -> Result<()> {
        results.extend(outcomes.into_iter().map(|outcome| match outcome {
            Outcome::Done(analyzed) => Ok(analyzed.faces),
            Outcome::Failed { photo, message, .. } => Err(format!("{}: {message}", photo.path.display())),
        }));
        Ok(())
    };
    analyze_chunks(engine, chunks, || true, record, clock).expect("recording in memory cannot fail");
    results
}

/// Finds the faces of one decoded photo and cuts their aligned crops and thumbnails, from a
/// frame decoded again larger where the smallest face needs it; the decoded photo is dropped
/// as soon as they are cut.
fn find_faces(engine: &FaceEngine, decoded: Decoded, clock: &Clock) -> (Analyzed, Vec<RgbImage>) {
    let Decoded { photo, content_hash, mut frames } = decoded;
    let started = Instant::now();
    let detections = engine.find_faces(&mut frames);
    let redecoded = frames.redecoding();
    clock.add(Stage::Detect, started.elapsed().saturating_sub(redecoded));
    let started = Instant::now();
    let (full_w, full_h) = frames.full_size();
    let needed = detections.iter().map(|d| frame::long_side_for(d, full_w.max(full_h))).max().unwrap_or(0);
    frames.at_least(needed);
    let mut faces = Vec::with_capacity(detections.len());
    let mut thumbnails = Vec::with_capacity(detections.len());
    let mut crops = Vec::with_capacity(detections.len());
    let (sx, sy) = frames.scale();
    let image = frames.image();
    for d in detections {
        let landmarks = d.landmarks.map(|[x, y]| [x * sx, y * sy]);
        crops.push(align::align_face(image, &landmarks));
        // Encoded here, side by side with the other photos, rather than by the one writer.
        let thumbnail = thumbs::render(image, d.x * sx, d.y * sy, d.w * sx, d.h * sy);
        thumbnails.push(thumbs::encode(&thumbnail).unwrap_or_default());
        faces.push(FoundFace {
            x: d.x,
            y: d.y,
            w: d.w,
            h: d.h,
            score: d.score,
            landmarks: d.landmarks,
            embedding: Vec::new(),
            embedding_norm: 0.0,
        });
    }
    let redecoded_here = frames.redecoding() - redecoded;
    clock.add(Stage::Decode, frames.redecoding());
    clock.add(Stage::Align, started.elapsed().saturating_sub(redecoded_here));
    (Analyzed { photo, content_hash, faces, thumbnails }, crops)
}

/// Embeds the crops of a chunk's photos in one batch and attaches each embedding to its face.
fn embed_chunk(engine: &FaceEngine, found: Vec<Found>, clock: &Clock) -> Vec<Outcome> {
    let mut pending = Vec::with_capacity(found.len());
    let mut crops = Vec::new();
    for item in found {
        pending.push(item.map(|(analyzed, photo_crops)| {
            crops.extend(photo_crops);
            analyzed
        }));
    }
    let mut embeddings = clock.time(Stage::Embed, || engine.embed_crops_with_norms(&crops)).into_iter();
    pending
        .into_iter()
        .map(|item| match item {
            Err(failed) => failed,
            Ok(mut analyzed) => {
                for face in &mut analyzed.faces {
                    (face.embedding, face.embedding_norm) = embeddings.next().unwrap_or_default();
                }
                Outcome::Done(analyzed)
            }
        })
        .collect()
}

/// Photos per chunk: each chunk's photos are decoded, searched and aligned side by side, and
/// their faces embedded in one batch (the larger the batch, the cheaper each face's share of
/// the embedder's final layer). Measured on 2 cores: 8 photos per chunk ran 8 % faster than 4.
fn chunk_size() -> usize {
    (4 * rayon::current_num_threads()).max(8)
}
