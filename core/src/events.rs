//! Progress of long jobs, as plain data. The core never prints: each front end turns these
//! events into its own presentation (a terminal bar, a Tauri channel).

use std::path::PathBuf;

/// One step of progress. Counts are cumulative for the job that sends them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The folder walk found `found` candidate files so far.
    ScanWalking { found: u64 },
    /// The walk is over: `to_process` of `found` files are new or changed and will be read.
    ScanPlanned { found: u64, to_process: u64 },
    /// One more file was read (or failed to be read).
    ScanProgress { done: u64, total: u64, path: PathBuf },
    /// The face job will analyse this many photos.
    FacesPlanned { photos: u64 },
    /// One more photo was analysed; `faces` found so far.
    FacesProgress { done: u64, total: u64, faces: u64, path: PathBuf },
    /// Names will be written to the sidecars of this many photos.
    NamesPlanned { photos: u64 },
    /// One more photo's sidecar was written (or left as it was).
    NamesProgress { done: u64, total: u64, path: PathBuf },
}

/// Receives progress events. Implementations must be cheap: events come from worker threads.
pub trait EventSink: Sync {
    fn event(&self, event: Event);
}

/// Discards every event, for callers that do not show progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl EventSink for NoProgress {
    fn event(&self, _event: Event) {}
}

impl<F: Fn(Event) + Sync> EventSink for F {
    fn event(&self, event: Event) {
        self(event)
    }
}
