//! The library's folders, watched while the window is open: photos added, changed, moved or
//! deleted are read and their faces found and placed, and the window is told to reload.

use std::sync::Arc;
use std::time::Duration;

use kindred_core::watch::{DEFAULT_POLL_INTERVAL, DEFAULT_QUIET, FolderWatcher};
use kindred_core::{NoProgress, ScanOptions, ScanScope};
use tauri::{AppHandle, Emitter};

use crate::dto::JobKind;
use crate::state::AppState;

/// The event the window reloads on.
pub(crate) const LIBRARY_CHANGED: &str = "library-changed";

/// How often a change waits for a job the user started to end.
const BUSY_RETRY: Duration = Duration::from_millis(500);

/// Starts the watcher thread; it lives as long as the app.
pub(crate) fn start(app: AppHandle, state: Arc<AppState>) {
    let spawned = std::thread::Builder::new().name("folder watcher".into()).spawn(move || run(&app, &state));
    if let Err(e) = spawned {
        eprintln!("kindred-app: folders are not watched for changes: {e}");
    }
}

fn run(app: &AppHandle, state: &Arc<AppState>) {
    loop {
        let roots: Vec<_> = match state.library().roots() {
            Ok(roots) => roots.into_iter().map(|r| r.path).collect(),
            Err(e) => {
                eprintln!("kindred-app: cannot list the library's folders to watch: {e}");
                Vec::new()
            }
        };
        // With no folder (or none that can be watched), the watcher only waits to be restarted.
        let mut watcher = FolderWatcher::start(&roots, DEFAULT_QUIET, DEFAULT_POLL_INTERVAL)
            .or_else(|e| {
                eprintln!("kindred-app: {e}");
                FolderWatcher::start(&[], DEFAULT_QUIET, DEFAULT_POLL_INTERVAL)
            })
            .expect("a watcher of no folder always starts");
        state.set_watch_stopper(watcher.stopper());
        while let Some(scopes) = watcher.next_changes() {
            if let Err(e) = pick_up(state, &scopes) {
                eprintln!("kindred-app: changes in the library's folders could not be read: {}", e.message);
            }
            // The window reloads what it shows; a closed window is no error.
            let _ = app.emit(LIBRARY_CHANGED, ());
        }
        // Stopped: the library's folders changed, so the new set is watched.
    }
}

/// Reads what changed and finds the new faces, as one job (after any job the user started).
fn pick_up(state: &Arc<AppState>, scopes: &[ScanScope]) -> Result<(), crate::dto::AppError> {
    let (_slot, cancel) = loop {
        match state.start_job(JobKind::Watch) {
            Ok(claimed) => break claimed,
            Err(_) => std::thread::sleep(BUSY_RETRY),
        }
    };
    let mut library = state.open_for_job()?;
    library.scan_scopes(scopes, &ScanOptions::default(), &NoProgress, &cancel)?;
    let loaded = state.engine(library.device_setting()?)?;
    library.find_faces(&loaded.engine, &NoProgress, &cancel)?;
    Ok(())
}
