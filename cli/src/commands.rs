//! One function per subcommand, each a thin call into `kindred_core::Library`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kindred_core::{CancelToken, Library, PhotoFilter, PhotoRow, PhotoStatus, ScanOptions};
use serde_json::json;

use crate::args::{Cli, Command};
use crate::exit;
use crate::output::{self, count, plural};
use crate::progress::TerminalProgress;

pub(crate) fn run(cli: Cli) -> anyhow::Result<u8> {
    let path = match &cli.library {
        Some(path) => path.clone(),
        None => Library::default_path()?,
    };
    // Commands that do not need a library do not create one.
    match &cli.command {
        Command::Compare { first, second, threshold, device } => {
            return crate::faces::compare(first, second, *threshold, device, cli.json);
        }
        Command::Doctor { device } => return crate::faces::doctor(&path, device, cli.json),
        Command::Bench { photos: Some(photos), limit, on, .. } => {
            return crate::faces::bench(photos, *limit, on, cli.json);
        }
        Command::Bench { photos: None, finetune, on, .. } if !finetune.is_empty() => {
            return crate::people::bench_finetune(finetune, on, cli.json);
        }
        Command::Bench { photos: None, people, keep, .. } => {
            return crate::people::bench(people, keep.as_deref(), cli.json);
        }
        Command::Eval {
            dir,
            labels: Some(labels),
            finetune: Some((people, per_person)),
            grouping,
            device,
            half,
            ..
        } => {
            return crate::faces::eval_finetune(
                dir,
                labels,
                (*people, *per_person),
                crate::faces::half(half),
                grouping,
                device,
                cli.json,
            );
        }
        Command::Eval { dir, labels: Some(labels), simulate_user: true, grouping, device, .. } => {
            return crate::faces::eval_simulated_user(dir, labels, grouping, device, cli.json);
        }
        Command::Eval {
            dir,
            labels: Some(labels),
            name: Some(confirmed),
            strangers,
            grouping,
            device,
            half,
            ..
        } => {
            return crate::faces::eval_naming(
                dir,
                labels,
                (*confirmed, *strangers),
                crate::faces::half(half),
                grouping,
                device,
                cli.json,
            );
        }
        Command::Eval { dir, labels, pairs, grouping, device, half, .. } => {
            return crate::faces::eval(
                dir,
                labels.as_deref(),
                pairs.as_deref(),
                crate::faces::half(half),
                grouping,
                device,
                cli.json,
            );
        }
        _ => {}
    }
    let mut library =
        Library::open(&path).with_context(|| format!("cannot use the library at {}", path.display()))?;
    match cli.command {
        Command::Scan { folders, max_megapixels } => scan(&mut library, &folders, max_megapixels, cli.json),
        Command::Status => status(&library, cli.json),
        Command::RemoveFolder { folder } => remove_folder(&library, &folder, cli.json),
        Command::Device { choice } => device(&library, choice.as_deref(), cli.json),
        Command::Photos { root, from, to, has_issues, status, limit } => {
            let filter = PhotoFilter {
                root,
                from,
                to,
                has_issues,
                status: status.as_deref().and_then(PhotoStatus::parse),
                limit,
                offset: 0,
            };
            photos(&library, &filter, cli.json)
        }
        Command::Issues => issues(&library, cli.json),
        Command::Videos => videos(&library, cli.json),
        Command::Watch { device } => crate::watch::watch(&mut library, &device, cli.json),
        Command::Faces { device } => crate::faces::find_faces(&mut library, &device, cli.json),
        Command::Photo { id } => crate::faces::photo(&library, id, cli.json),
        Command::People { alone: true, .. } => crate::people::alone(&library, cli.json),
        Command::People { hidden, .. } => crate::people::list(&library, hidden, cli.json),
        Command::Person { person } => crate::people::show(&library, &person, cli.json),
        Command::Cluster { grouping } => crate::people::cluster(&mut library, &grouping, cli.json),
        Command::Name { person, name } => crate::people::name(&mut library, &person, &name, cli.json),
        Command::Merge { into, from } => crate::people::merge(&mut library, &into, &from, cli.json),
        Command::Move { faces, to, .. } => {
            crate::people::move_faces(&mut library, &faces, to.as_deref(), cli.json)
        }
        Command::Remove { faces } => crate::people::remove(&mut library, &faces, cli.json),
        Command::NotAFace { faces } => crate::people::not_a_face(&mut library, &faces, cli.json),
        Command::Hide { person } => crate::people::hide(&mut library, &person, true, cli.json),
        Command::Unhide { person } => crate::people::hide(&mut library, &person, false, cli.json),
        Command::Cover { person, face } => crate::people::cover(&mut library, &person, face, cli.json),
        Command::BirthDate { person, date, .. } => {
            crate::people::birth_date(&mut library, &person, date.as_deref(), cli.json)
        }
        Command::Undo => crate::people::undo(&mut library, cli.json),
        Command::Review { limit } => crate::people::review(&library, limit, cli.json),
        Command::Answer { answer, subject, person } => {
            crate::people::answer(&mut library, &answer, &subject, &person, cli.json)
        }
        Command::WriteXmp { sidecar, include_suggested } => {
            crate::names::write_xmp(&library, sidecar.as_deref(), include_suggested, cli.json)
        }
        Command::Finetune { margin, epochs, seed, use_base, use_model, device } => crate::people::finetune(
            &mut library,
            margin,
            epochs,
            seed,
            use_base,
            use_model.as_deref(),
            &device,
            cli.json,
        ),
        Command::Export { out } => crate::names::export(&library, &out, cli.json),
        Command::Import { file, partial } => crate::names::import(&mut library, &file, partial, cli.json),
        Command::Search { people, any, only, album, folder, from, to, limit } => {
            let search = crate::people::SearchArgs { people, any, only, album, folder, from, to, limit };
            crate::people::search(&library, &search, cli.json)
        }
        Command::Albums => crate::albums::list(&library, cli.json),
        Command::Album { action } => crate::albums::change(&mut library, action, cli.json),
        Command::HideSmall { photos } => crate::people::hide_small(&mut library, photos, cli.json),
        Command::DrawFace { photo, x, y, width, height, name, device } => crate::faces::draw_face(
            &mut library,
            photo,
            [x, y, width, height],
            name.as_deref(),
            &device,
            cli.json,
        ),
        Command::Compare { .. } | Command::Doctor { .. } | Command::Bench { .. } | Command::Eval { .. } => {
            unreachable!("handled before the library is opened")
        }
    }
}

/// Cancels `token` on Ctrl-C, so a job stops between files and keeps what it committed.
pub(crate) fn cancel_on_ctrl_c() -> CancelToken {
    let token = CancelToken::new();
    let handler_token = token.clone();
    // Failing to install the handler only means Ctrl-C kills the process instead, which the
    // catalog survives too.
    let _ = ctrlc::set_handler(move || handler_token.cancel());
    token
}

fn remove_folder(library: &Library, folder: &Path, as_json: bool) -> anyhow::Result<u8> {
    let photos = library.remove_root(folder)?;
    if as_json {
        output::json(&json!({"removed": folder, "photos": photos}))?;
    } else {
        output::lines([format!(
            "removed {} ({}); names and corrections made there are kept",
            folder.display(),
            plural(photos, "photo", "photos")
        )])?;
    }
    Ok(exit::OK)
}

fn device(library: &Library, choice: Option<&str>, as_json: bool) -> anyhow::Result<u8> {
    if let Some(choice) = choice {
        library.set_device_setting(kindred_core::Device::parse(choice).unwrap_or_default())?;
    }
    let device = library.device_setting()?.as_str();
    if as_json {
        output::json(&json!({"device": device}))?;
    } else {
        output::lines([format!("face networks run on: {device}")])?;
    }
    Ok(exit::OK)
}

fn scan(
    library: &mut Library,
    folders: &[PathBuf],
    max_megapixels: u64,
    as_json: bool,
) -> anyhow::Result<u8> {
    let cancel = cancel_on_ctrl_c();
    let progress = TerminalProgress::new(as_json);
    let options = ScanOptions { max_pixels: max_megapixels.saturating_mul(1_000_000) };
    let summary = library.scan(folders, &options, &progress, &cancel);
    progress.finish();
    let summary = summary?;
    let code = if summary.cancelled {
        exit::CANCELLED
    } else if summary.issues > 0 {
        exit::WITH_ISSUES
    } else {
        exit::OK
    };
    let outcome = if summary.cancelled {
        "cancelled".to_string()
    } else if summary.issues > 0 {
        format!("completed with {}", plural(summary.issues, "issue", "issues"))
    } else {
        "completed".to_string()
    };
    if as_json {
        output::json(&json!({
            "outcome": if summary.cancelled { "cancelled" } else if summary.issues > 0 { "completed_with_issues" } else { "completed" },
            "roots": summary.roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "unreachable_roots": summary.unreachable_roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "photos": summary.photos_seen,
            "new": summary.new,
            "changed": summary.changed,
            "moved": summary.moved,
            "unchanged": summary.unchanged,
            "missing": summary.missing,
            "decoded": summary.decoded,
            "unsupported": summary.unsupported.iter().map(|(f, n)| json!({"format": f, "count": n})).collect::<Vec<_>>(),
            "videos": summary.videos,
            "companions": summary.companions,
            "other_files": summary.other_files,
            "issues": summary.issues,
            "seconds": summary.elapsed.as_secs_f64(),
        }))?;
        return Ok(code);
    }
    let mut lines = vec![format!(
        "Scan {outcome}: {} in {} ({:.1} s).",
        plural(summary.photos_seen, "photo", "photos"),
        plural(summary.roots.len() as u64, "folder", "folders"),
        summary.elapsed.as_secs_f64()
    )];
    lines.push(format!(
        "  {} new, {} changed, {} moved, {} unchanged, {} missing; {} decoded.",
        count(summary.new),
        count(summary.changed),
        count(summary.moved),
        count(summary.unchanged),
        count(summary.missing),
        count(summary.decoded)
    ));
    if !summary.unsupported.is_empty() {
        let list: Vec<String> =
            summary.unsupported.iter().map(|(f, n)| format!("{f} {}", count(*n))).collect();
        lines.push(format!(
            "  Not readable (kept in the library; `kindred issues` says why): {}.",
            list.join(", ")
        ));
    }
    if summary.companions > 0 {
        lines.push(format!(
            "  {} kept with the photo of the same shot (RAW+JPEG pairs, Live Photos).",
            plural(summary.companions, "file", "files")
        ));
    }
    if summary.videos > 0 {
        lines.push(format!("  {} listed (`kindred videos`).", plural(summary.videos, "video", "videos")));
    }
    if summary.other_files > 0 {
        lines.push(format!(
            "  {} passed over (not photos).",
            plural(summary.other_files, "other file", "other files")
        ));
    }
    for root in &summary.unreachable_roots {
        lines.push(format!("  {} could not be reached; its photos were left as they were.", root.display()));
    }
    if summary.issues > 0 {
        lines.push("  Run `kindred issues` to see them.".into());
    }
    output::lines(lines)?;
    Ok(code)
}

fn status(library: &Library, as_json: bool) -> anyhow::Result<u8> {
    let counts = library.status()?;
    let jobs = library.recent_jobs(1)?;
    if as_json {
        output::json(&json!({
            "library": library.path().display().to_string(),
            "schema_version": library.catalog().schema_version()?,
            "photos": counts.photos,
            "by_status": counts.by_status.iter().map(|(s, n)| (s.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "by_format": counts.by_format.iter().map(|(f, n)| (f.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "with_date": counts.with_date,
            "with_gps": counts.with_gps,
            "videos": counts.videos,
            "companions": counts.companions,
            "issues": counts.issues,
            "roots": counts.roots.iter().map(|r| json!({
                "path": r.path.display().to_string(),
                "photos": r.photo_count,
                "added_at": r.added_at,
                "last_scan_at": r.last_scan_at,
            })).collect::<Vec<_>>(),
            "last_job": jobs.first().map(|j| json!({
                "kind": j.kind, "status": j.status.as_str(), "started_at": j.started_at,
                "finished_at": j.finished_at, "done": j.done, "total": j.total,
            })),
        }))?;
        return Ok(exit::OK);
    }
    let mut lines = vec![format!("Library {}", library.path().display())];
    lines.push(format!("  {}", plural(counts.photos, "photo", "photos")));
    for (status, n) in &counts.by_status {
        if *n > 0 {
            lines.push(format!("    {:<12} {}", status.as_str(), count(*n)));
        }
    }
    if !counts.by_format.is_empty() {
        let list: Vec<String> = counts.by_format.iter().map(|(f, n)| format!("{f} {}", count(*n))).collect();
        lines.push(format!("  formats: {}", list.join(", ")));
    }
    lines.push(format!(
        "  {} with a date, {} with a location",
        count(counts.with_date),
        count(counts.with_gps)
    ));
    if counts.companions > 0 {
        lines.push(format!(
            "  {} kept with their photos (RAW+JPEG pairs, Live Photos)",
            plural(counts.companions, "companion file", "companion files")
        ));
    }
    if counts.videos > 0 {
        lines.push(format!("  {}", plural(counts.videos, "video", "videos")));
    }
    lines.push(format!("  {}", plural(counts.issues, "file issue", "file issues")));
    lines.push(format!("  {}:", plural(counts.roots.len() as u64, "folder", "folders")));
    for root in &counts.roots {
        let scanned = root.last_scan_at.as_deref().unwrap_or("never");
        lines.push(format!(
            "    {}  ({} photos, scanned {scanned})",
            root.path.display(),
            count(root.photo_count)
        ));
    }
    if let Some(job) = jobs.first() {
        lines.push(format!("  last job: {} {} at {}", job.kind, job.status.as_str(), job.started_at));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn photo_json(photo: &PhotoRow) -> serde_json::Value {
    json!({
        "id": photo.id,
        "path": photo.path.display().to_string(),
        "root": photo.root.display().to_string(),
        "size": photo.size,
        "content_hash": photo.content_hash,
        "format": photo.format,
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "taken_at": photo.taken_at,
        "taken_offset": photo.taken_offset,
        "gps": photo.gps.map(|(lat, lon)| json!({"lat": lat, "lon": lon})),
        "camera_make": photo.camera_make,
        "camera_model": photo.camera_model,
        "status": photo.status.as_str(),
        "issues": photo.issue_count,
    })
}

fn photos(library: &Library, filter: &PhotoFilter, as_json: bool) -> anyhow::Result<u8> {
    let photos = library.photos(filter)?;
    if as_json {
        output::json(&serde_json::Value::Array(photos.iter().map(photo_json).collect()))?;
        return Ok(exit::OK);
    }
    output::lines(photos.iter().map(|p| {
        let taken = p.taken_at.as_deref().map(|t| t.replace('T', " ")).unwrap_or_else(|| "(no date)".into());
        let size = match (p.width, p.height) {
            (Some(w), Some(h)) => format!("{w}×{h}"),
            _ => "-".into(),
        };
        format!("{taken:<19}  {:<5} {:>11}  {:<11}  {}", p.format, size, p.status.as_str(), p.path.display())
    }))?;
    Ok(exit::OK)
}

fn videos(library: &Library, as_json: bool) -> anyhow::Result<u8> {
    let videos = library.videos()?;
    if as_json {
        output::json(&serde_json::Value::Array(
            videos
                .iter()
                .map(|v| json!({"path": v.path.display().to_string(), "bytes": v.size, "live_photo_of": v.photo_id}))
                .collect(),
        ))?;
        return Ok(exit::OK);
    }
    if videos.is_empty() {
        output::lines(["No videos.".to_string()])?;
        return Ok(exit::OK);
    }
    output::lines(videos.iter().map(|v| match v.photo_id {
        Some(photo) => format!("{}  (the Live Photo video of photo {photo})", v.path.display()),
        None => v.path.display().to_string(),
    }))?;
    Ok(exit::OK)
}

fn issues(library: &Library, as_json: bool) -> anyhow::Result<u8> {
    let issues = library.issues()?;
    if as_json {
        output::json(&serde_json::Value::Array(
            issues
                .iter()
                .map(|i| {
                    json!({
                        "path": i.path.display().to_string(),
                        "photo_id": i.photo_id,
                        "kind": i.kind.code(),
                        "severity": i.severity.as_str(),
                        "message": i.message,
                        "seen_at": i.seen_at,
                    })
                })
                .collect(),
        ))?;
        return Ok(exit::OK);
    }
    if issues.is_empty() {
        output::lines(["No file issues.".to_string()])?;
        return Ok(exit::OK);
    }
    output::lines(issues.iter().map(|i| {
        format!("{:<7} {:<15} {}: {}", i.severity.as_str(), i.kind.code(), i.path.display(), i.message)
    }))?;
    Ok(exit::OK)
}
