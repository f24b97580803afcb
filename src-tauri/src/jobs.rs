//! Long jobs (scan, faces, names to photos, fine-tune): one at a time, on a connection of their
//! own, reporting over a Tauri channel and stopping when cancelled.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kindred_core::finetune::FinetuneOptions;
use kindred_core::xmp::SidecarOptions;
use kindred_core::{CancelToken, Event, EventSink, ScanOptions};
use tauri::ipc::Channel;

use crate::dto::{AppError, FinetuneOutcome, JobKind, JobOutcome, JobProgress, count};
use crate::state::AppState;

/// Progress is sent at most this often; the last event of a job always goes out.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Turns core events into channel messages, throttled so that a fast scan does not flood the
/// window.
struct ChannelSink {
    kind: JobKind,
    channel: Channel<JobProgress>,
    last_sent: Mutex<Option<Instant>>,
}

impl ChannelSink {
    fn new(kind: JobKind, channel: Channel<JobProgress>) -> ChannelSink {
        ChannelSink { kind, channel, last_sent: Mutex::new(None) }
    }

    fn send(&self, stage: &str, done: u64, total: u64, detail: Option<String>) {
        let finished = total > 0 && done >= total;
        {
            let mut last = crate::state::lock(&self.last_sent);
            if !finished && last.is_some_and(|t| t.elapsed() < PROGRESS_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        // A closed window drops the channel; the job still finishes its work.
        let _ = self.channel.send(JobProgress {
            kind: self.kind,
            stage: stage.to_string(),
            done: count(done),
            total: count(total),
            detail,
        });
    }
}

/// The file in hand, as the progress line shows it.
fn shown_path(path: &std::path::Path) -> Option<String> {
    Some(path.display().to_string())
}

impl EventSink for ChannelSink {
    fn event(&self, event: Event) {
        match event {
            Event::ScanWalking { found } => self.send("Looking for photos", found, 0, None),
            Event::ScanPlanned { to_process, .. } => self.send("Reading photos", 0, to_process, None),
            Event::ScanProgress { done, total, path } => {
                self.send("Reading photos", done, total, shown_path(&path))
            }
            Event::FacesPlanned { photos } => self.send("Finding faces", 0, photos, None),
            Event::FacesProgress { done, total, path, .. } => {
                self.send("Finding faces", done, total, shown_path(&path))
            }
            Event::NamesPlanned { photos } => self.send("Writing names", 0, photos, None),
            Event::NamesProgress { done, total, path } => {
                self.send("Writing names", done, total, shown_path(&path))
            }
            _ => {}
        }
    }
}

/// Runs one job to its end and says how it went. Blocking: call it off the async runtime.
pub(crate) fn run(
    state: &Arc<AppState>,
    kind: JobKind,
    folders: Vec<PathBuf>,
    channel: Channel<JobProgress>,
) -> Result<JobOutcome, AppError> {
    let (_slot, cancel) = state.start_job(kind)?;
    let sink = ChannelSink::new(kind, channel);
    let mut library = state.open_for_job()?;
    match kind {
        JobKind::Scan => {
            let summary = library.scan(&folders, &ScanOptions::default(), &sink, &cancel);
            // New folders are watched from now on.
            state.folders_changed();
            let summary = summary?;
            let mut summary_text = format!(
                "{} photos found: {} new, {} changed, {} moved, {} missing",
                summary.photos_seen, summary.new, summary.changed, summary.moved, summary.missing
            );
            if summary.issues > 0 {
                summary_text.push_str(&format!("; {} files need a look", summary.issues));
            }
            if !summary.unreachable_roots.is_empty() {
                summary_text
                    .push_str(&format!("; {} folders could not be reached", summary.unreachable_roots.len()));
            }
            Ok(JobOutcome { kind, cancelled: summary.cancelled, summary: summary_text, finetune: None })
        }
        JobKind::Faces => {
            let device = library.device_setting()?;
            sink.send("Loading the face models", 0, 0, None);
            let loaded = state.engine(device)?;
            let summary = library.find_faces(&loaded.engine, &sink, &cancel)?;
            let mut text = format!(
                "{} photos analysed, {} faces found in {} of them",
                summary.analyzed, summary.faces, summary.photos_with_faces
            );
            if summary.failed > 0 {
                text.push_str(&format!("; {} photos could not be read", summary.failed));
            }
            if !summary.cancelled {
                let groups = summary.people.new_groups;
                text.push_str(&format!(
                    "; {} faces recognised, {} grouped, {} new {}",
                    summary.people.matched,
                    summary.people.clustered,
                    groups,
                    if groups == 1 { "group" } else { "groups" }
                ));
            }
            Ok(JobOutcome { kind, cancelled: summary.cancelled, summary: text, finetune: None })
        }
        JobKind::WriteNames => {
            let options = SidecarOptions { naming: library.sidecar_naming()?, include_suggested: false };
            let summary = library.write_names_to_sidecars(&options, &sink, &cancel)?;
            let mut text = format!(
                "names of {} faces written beside {} photos ({} already up to date)",
                summary.faces, summary.written, summary.unchanged
            );
            if !summary.failed.is_empty() {
                text.push_str(&format!("; {} could not be written", summary.failed.len()));
            }
            Ok(JobOutcome { kind, cancelled: summary.cancelled, summary: text, finetune: None })
        }
        JobKind::Finetune => finetune(&mut library, &sink, &cancel),
        JobKind::Watch => Err(AppError::new(
            crate::dto::ErrorCode::InvalidInput,
            "changes in watched folders are read by the watcher itself",
        )),
    }
}

fn finetune(
    library: &mut kindred_core::Library,
    sink: &ChannelSink,
    cancel: &CancelToken,
) -> Result<JobOutcome, AppError> {
    let options = FinetuneOptions { device: library.device_setting()?, ..FinetuneOptions::default() };
    let max_epochs = options.max_epochs as u64;
    sink.send("Preparing your labeled faces", 0, max_epochs, None);
    let report = library.finetune(
        &options,
        &mut |epoch| {
            sink.send(
                "Training",
                epoch.epoch as u64,
                max_epochs,
                Some(format!("loss {:.3}, grouping {:.0}%", epoch.loss, epoch.validation * 100.0)),
            )
        },
        cancel,
    )?;
    let percent = |score: f32| (score * 100.0).round();
    let summary = if report.cancelled {
        "fine-tuning was cancelled; the model in use did not change".to_string()
    } else if report.activated {
        format!(
            "grouping on your labeled people: {}% → {}%; the fine-tuned model is now in use",
            percent(report.base_score),
            percent(report.tuned_score)
        )
    } else {
        format!(
            "grouping on your labeled people: {}% → {}%; no better, so the model in use did not change",
            percent(report.base_score),
            percent(report.tuned_score)
        )
    };
    let finetune = (!report.cancelled).then_some(FinetuneOutcome {
        before: report.base_score,
        after: report.tuned_score,
        activated: report.activated,
    });
    Ok(JobOutcome { kind: JobKind::Finetune, cancelled: report.cancelled, summary, finetune })
}
