//! `kindred watch`: the library kept in step with its folders for as long as it runs.

use std::path::PathBuf;

use anyhow::bail;
use kindred_core::watch::{DEFAULT_POLL_INTERVAL, DEFAULT_QUIET, FolderWatcher};
use kindred_core::{CancelToken, FacesSummary, Library, NoProgress, ScanOptions, ScanSummary};
use serde_json::json;

use crate::args::DeviceArg;
use crate::exit;
use crate::output::{self, count};

pub(crate) fn watch(library: &mut Library, device: &DeviceArg, as_json: bool) -> anyhow::Result<u8> {
    let roots: Vec<PathBuf> = library.roots()?.into_iter().map(|r| r.path).collect();
    if roots.is_empty() {
        bail!("this library has no folders yet; add one with `kindred scan ~/Pictures`");
    }
    let engine = crate::faces::load_engine_on(device.or_library_choice(library)?)?;
    // Watching starts before catching up, so that nothing changed meanwhile is missed.
    let mut watcher = FolderWatcher::start(&roots, DEFAULT_QUIET, DEFAULT_POLL_INTERVAL)?;
    let cancel = CancelToken::new();
    {
        let (cancel, stopper) = (cancel.clone(), watcher.stopper());
        // Without the handler Ctrl-C kills the process, which the catalog survives too.
        let _ = ctrlc::set_handler(move || {
            cancel.cancel();
            stopper.stop();
        });
    }
    if !as_json {
        let polled: Vec<String> = watcher.polled.iter().map(|p| p.display().to_string()).collect();
        let mut lines = vec![format!("Watching {} (Ctrl-C to stop).", plural_folders(roots.len()))];
        if !polled.is_empty() {
            lines.push(format!("  on a network drive, looked at every minute: {}", polled.join(", ")));
        }
        output::lines(lines)?;
    }
    let options = ScanOptions::default();
    let scan = library.scan(&[], &options, &NoProgress, &cancel)?;
    report(library, &engine, scan, &cancel, as_json)?;
    while let Some(scopes) = watcher.next_changes() {
        if cancel.is_cancelled() {
            break;
        }
        let scan = library.scan_scopes(&scopes, &options, &NoProgress, &cancel)?;
        report(library, &engine, scan, &cancel, as_json)?;
    }
    Ok(exit::OK)
}

/// Finds the faces of what a scan brought, and says what changed in one line.
fn report(
    library: &mut Library,
    engine: &kindred_core::FaceEngine,
    scan: ScanSummary,
    cancel: &CancelToken,
    as_json: bool,
) -> anyhow::Result<()> {
    let faces: FacesSummary = library.find_faces(engine, &NoProgress, cancel)?;
    if as_json {
        return Ok(output::json_line(&json!({
            "time": kindred_core::now_utc(),
            "new": scan.new, "changed": scan.changed, "moved": scan.moved, "missing": scan.missing,
            "videos": scan.videos, "companions": scan.companions, "issues": scan.issues,
            "analyzed": faces.analyzed, "faces": faces.faces,
            "recognised": faces.people.matched, "grouped": faces.people.clustered,
        }))?);
    }
    if scan.new + scan.changed + scan.moved + scan.missing + faces.analyzed == 0 {
        return Ok(());
    }
    output::lines([format!(
        "{}  {} new, {} changed, {} moved, {} missing; {} faces in {} photos",
        kindred_core::now_utc(),
        count(scan.new),
        count(scan.changed),
        count(scan.moved),
        count(scan.missing),
        count(faces.faces),
        count(faces.analyzed)
    )])?;
    Ok(())
}

fn plural_folders(n: usize) -> String {
    if n == 1 { "1 folder".into() } else { format!("{n} folders") }
}
