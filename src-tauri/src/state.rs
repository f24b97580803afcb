//! What the window keeps between commands: connections to the library, the running job and the
//! loaded face networks.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use kindred_core::{CancelToken, Device, FaceEngine, Library};

use crate::dto::{AppError, ErrorCode, JobKind};

/// Connections kept for serving thumbnails and photos, so that a screenful of pictures loads
/// in parallel and never waits behind a command.
const MEDIA_CONNECTIONS: usize = 3;

pub(crate) struct AppState {
    library_path: PathBuf,
    /// For commands: quick reads and user operations, one at a time.
    library: Mutex<Library>,
    media: Vec<Mutex<Library>>,
    /// Where the face networks' weights are (the app's resources, or a development tree).
    models_dir: Option<PathBuf>,
    job: Mutex<Option<RunningJob>>,
    engine: Mutex<Option<LoadedEngine>>,
    /// Restarts the folder watcher (when the library's folders change).
    watch: Mutex<Option<kindred_core::watch::WatchStopper>>,
}

/// The face networks, loaded once for a device and kept.
#[derive(Clone)]
pub(crate) struct LoadedEngine {
    pub(crate) device: Device,
    pub(crate) engine: Arc<FaceEngine>,
    /// Where the weights came from.
    pub(crate) models_dir: PathBuf,
}

struct RunningJob {
    kind: JobKind,
    cancel: CancelToken,
}

/// Frees the job slot when the job ends, however it ends.
pub(crate) struct JobSlot {
    state: Arc<AppState>,
}

impl Drop for JobSlot {
    fn drop(&mut self) {
        *lock(&self.state.job) = None;
    }
}

/// A poisoned lock only means an earlier command panicked; SQLite kept the data consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    pub(crate) fn open(library_path: &Path, models_dir: Option<PathBuf>) -> kindred_core::Result<AppState> {
        if let Some(parent) = library_path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                kindred_core::Error::new(
                    kindred_core::ErrorKind::Io,
                    format!("cannot create the library folder {}: {e}", parent.display()),
                )
            })?;
        }
        let library = Library::open(library_path)?;
        let media = (0..MEDIA_CONNECTIONS)
            .map(|_| Library::open(library_path).map(Mutex::new))
            .collect::<kindred_core::Result<Vec<_>>>()?;
        Ok(AppState {
            library_path: library_path.to_path_buf(),
            library: Mutex::new(library),
            media,
            models_dir,
            job: Mutex::new(None),
            engine: Mutex::new(None),
            watch: Mutex::new(None),
        })
    }

    pub(crate) fn library_path(&self) -> &Path {
        &self.library_path
    }

    pub(crate) fn library(&self) -> MutexGuard<'_, Library> {
        lock(&self.library)
    }

    /// A media connection, preferring an idle one.
    pub(crate) fn media(&self) -> MutexGuard<'_, Library> {
        for connection in &self.media {
            if let Ok(guard) = connection.try_lock() {
                return guard;
            }
        }
        lock(&self.media[0])
    }

    /// A connection of its own for a long job, so that browsing goes on while it runs.
    pub(crate) fn open_for_job(&self) -> kindred_core::Result<Library> {
        Library::open(&self.library_path)
    }

    pub(crate) fn running_job(&self) -> Option<JobKind> {
        lock(&self.job).as_ref().map(|job| job.kind)
    }

    /// Claims the one job slot, or says which job holds it.
    pub(crate) fn start_job(self: &Arc<Self>, kind: JobKind) -> Result<(JobSlot, CancelToken), AppError> {
        let mut job = lock(&self.job);
        if let Some(running) = job.as_ref() {
            return Err(AppError::new(
                ErrorCode::Busy,
                format!("{} is still running; wait for it or cancel it first", describe(running.kind)),
            ));
        }
        let cancel = CancelToken::new();
        *job = Some(RunningJob { kind, cancel: cancel.clone() });
        Ok((JobSlot { state: Arc::clone(self) }, cancel))
    }

    /// Asks the running job to stop; it stops after the file or batch in hand.
    pub(crate) fn cancel_job(&self) -> bool {
        match lock(&self.job).as_ref() {
            Some(job) => {
                job.cancel.cancel();
                true
            }
            None => false,
        }
    }

    pub(crate) fn set_watch_stopper(&self, stopper: kindred_core::watch::WatchStopper) {
        *lock(&self.watch) = Some(stopper);
    }

    /// Makes the folder watcher watch the library's folders as they are now.
    pub(crate) fn folders_changed(&self) {
        if let Some(stopper) = lock(&self.watch).as_ref() {
            stopper.stop();
        }
    }

    /// The face networks on `device`, loaded once and kept.
    pub(crate) fn engine(&self, device: Device) -> kindred_core::Result<LoadedEngine> {
        let mut engine = lock(&self.engine);
        if let Some(loaded) = engine.as_ref()
            && loaded.device == device
        {
            return Ok(loaded.clone());
        }
        let models_dir = match &self.models_dir {
            Some(dir) => dir.clone(),
            None => kindred_core::faces::locate_models()?,
        };
        // `auto` keeps what it measured in the library's settings.
        let engine_on_device = self.library().face_engine(&models_dir, device)?;
        let loaded = LoadedEngine { device, engine: Arc::new(engine_on_device), models_dir };
        *engine = Some(loaded.clone());
        Ok(loaded)
    }
}

pub(crate) fn describe(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Scan => "The scan",
        JobKind::Faces => "Finding faces",
        JobKind::WriteNames => "Writing names to photos",
        JobKind::Finetune => "Fine-tuning",
        JobKind::Watch => "Reading the photos that just changed",
    }
}

#[cfg(test)]
mod tests {
    use crate::dto::{ErrorCode, JobKind};
    use crate::media::tests::library_with_sideways_photo;

    #[test]
    fn one_job_runs_at_a_time() {
        let (_dir, state, _) = library_with_sideways_photo();
        let (slot, cancel) = state.start_job(JobKind::Scan).unwrap();
        let refused = state.start_job(JobKind::Faces).err().unwrap();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert!(state.cancel_job());
        assert!(cancel.is_cancelled());
        drop(slot);
        assert!(state.start_job(JobKind::Faces).is_ok());
    }
}
