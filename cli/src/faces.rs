//! The face commands: faces, photo, compare, doctor, bench.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use kindred_core::faces::{self, FaceEngine, SAME_PERSON_COSINE, StageTimes};
use kindred_core::{Device, Library, PeopleSettings};
use serde_json::json;

use crate::args::{DeviceArg, GroupingArgs};
use crate::exit;
use crate::output::{self, count, plural};
use crate::progress::TerminalProgress;

fn load_engine(device: &DeviceArg) -> anyhow::Result<FaceEngine> {
    load_engine_on(device.device.as_deref().and_then(Device::parse).unwrap_or_default())
}

pub(crate) fn load_engine_on(device: Device) -> anyhow::Result<FaceEngine> {
    let dir = faces::locate_models()?;
    Ok(FaceEngine::load(&dir, device)?)
}

fn device_json(engine: &FaceEngine) -> serde_json::Value {
    let d = engine.device();
    let auto = engine.auto_choice().map(|c| {
        json!({
            "adapter": c.adapter,
            "gpu_ms_per_photo": c.gpu_ms,
            "cpu_ms_per_photo": c.cpu_ms,
            "chosen": c.device().as_str(),
        })
    });
    json!({"kind": d.kind, "backend": d.backend, "adapter": d.adapter, "driver": d.driver, "auto": auto})
}

/// What `auto` measured, in a sentence.
fn auto_line(choice: &faces::AutoChoice) -> String {
    format!(
        "measured on {}: {:.1} ms per photo on the GPU, {:.1} ms on the CPU; the {} is faster",
        choice.adapter,
        choice.gpu_ms,
        choice.cpu_ms,
        if choice.device() == Device::Gpu { "GPU" } else { "CPU" }
    )
}

fn stages_json(t: &StageTimes) -> serde_json::Value {
    json!({
        "decode": t.decode.as_secs_f64(),
        "detect": t.detect.as_secs_f64(),
        "align": t.align.as_secs_f64(),
        "embed": t.embed.as_secs_f64(),
        "commit": t.commit.as_secs_f64(),
        "people": t.people.as_secs_f64(),
    })
}

fn stages_line(t: &StageTimes) -> String {
    format!(
        "decode {:.1} s, detect {:.1} s, align {:.1} s (photos side by side, summed); embed {:.1} s, \
         commit {:.1} s, people pass {:.1} s",
        t.decode.as_secs_f64(),
        t.detect.as_secs_f64(),
        t.align.as_secs_f64(),
        t.embed.as_secs_f64(),
        t.commit.as_secs_f64(),
        t.people.as_secs_f64()
    )
}

fn device_line(engine: &FaceEngine) -> String {
    let d = engine.device();
    format!("{} ({}, {})", d.kind, d.backend, d.adapter)
}

pub(crate) fn find_faces(library: &mut Library, device: &DeviceArg, as_json: bool) -> anyhow::Result<u8> {
    let engine = library.face_engine(&faces::locate_models()?, device.or_library_choice(library)?)?;
    let cancel = crate::commands::cancel_on_ctrl_c();
    let progress = TerminalProgress::new(as_json);
    let summary = library.find_faces(&engine, &progress, &cancel);
    progress.finish();
    let summary = summary?;
    if as_json {
        output::json(&json!({
            "outcome": if summary.cancelled { "cancelled" } else { "completed" },
            "device": device_json(&engine),
            "to_analyze": summary.to_analyze,
            "analyzed": summary.analyzed,
            "faces": summary.faces,
            "photos_with_faces": summary.photos_with_faces,
            "failed": summary.failed,
            "seconds": summary.elapsed.as_secs_f64(),
            "stages": stages_json(&summary.stages),
            "people": crate::people::summary_json(&summary.people),
        }))?;
    } else {
        let rate = summary.analyzed as f64 / summary.elapsed.as_secs_f64().max(1e-9);
        output::lines([
            format!(
                "Faces {}: {} in {} ({:.1} s, {rate:.1} photos/s on {}).",
                if summary.cancelled { "cancelled" } else { "completed" },
                plural(summary.faces, "face", "faces"),
                plural(summary.photos_with_faces, "photo", "photos"),
                summary.elapsed.as_secs_f64(),
                device_line(&engine)
            ),
            format!(
                "  {} analysed, {} without a face, {} could not be read.",
                count(summary.analyzed),
                count(summary.analyzed - summary.photos_with_faces),
                count(summary.failed)
            ),
            crate::people::summary_line(&summary.people),
            format!("  Time: {}.", stages_line(&summary.stages)),
        ])?;
    }
    Ok(if summary.cancelled {
        exit::CANCELLED
    } else if summary.failed > 0 {
        exit::WITH_ISSUES
    } else {
        exit::OK
    })
}

pub(crate) fn photo(library: &Library, id: i64, as_json: bool) -> anyhow::Result<u8> {
    let photo = library.photo(id)?;
    let faces = library.faces_of_photo(id)?;
    let companions = library.companions(id)?;
    let drawn = library.drawn_face_ids(id)?;
    if as_json {
        let mut value = crate::commands::photo_json(&photo);
        value["companions"] = companions
            .iter()
            .map(|c| json!({"path": c.path.display().to_string(), "kind": c.kind}))
            .collect();
        value["faces"] = faces
            .iter()
            .map(|f| {
                json!({
                    "id": f.id, "x": f.x, "y": f.y, "w": f.w, "h": f.h, "score": f.score,
                    "landmarks": f.landmarks, "model": f.model, "drawn": drawn.contains(&f.id),
                })
            })
            .collect();
        output::json(&value)?;
        return Ok(exit::OK);
    }
    let mut lines = vec![format!("{}  ({})", photo.path.display(), photo.status.as_str())];
    if let Some(taken) = &photo.taken_at {
        lines.push(format!("  taken {taken}{}", photo.taken_offset.as_deref().unwrap_or("")));
    }
    for companion in &companions {
        let what = match companion.kind.as_str() {
            "video" => "its Live Photo video",
            "raw" => "its RAW file",
            _ => "the camera's JPEG",
        };
        lines.push(format!("  with {what}: {}", companion.path.display()));
    }
    lines.push(format!("  {}", plural(faces.len() as u64, "face", "faces")));
    for f in &faces {
        lines.push(format!(
            "    face {}: {:.0}×{:.0} at ({:.0}, {:.0}), {}",
            f.id,
            f.w,
            f.h,
            f.x,
            f.y,
            if drawn.contains(&f.id) { "drawn by you".to_string() } else { format!("score {:.2}", f.score) }
        ));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn compare(
    first: &Path,
    second: &Path,
    threshold: Option<f32>,
    device: &DeviceArg,
    as_json: bool,
) -> anyhow::Result<u8> {
    let engine = load_engine(device)?;
    let threshold = threshold.unwrap_or(SAME_PERSON_COSINE);
    let files = [first.to_path_buf(), second.to_path_buf()];
    let mut embeddings = Vec::new();
    for (file, result) in files.iter().zip(engine.analyze_files(&files)) {
        let found = result.map_err(anyhow::Error::msg)?;
        let main = found
            .into_iter()
            .max_by(|a, b| (a.w * a.h).total_cmp(&(b.w * b.h)))
            .with_context(|| format!("no face found in {}", file.display()))?;
        embeddings.push(main.embedding);
    }
    let cosine = faces::cosine(&embeddings[0], &embeddings[1]);
    let distance = (2.0 - 2.0 * cosine).max(0.0).sqrt();
    let same = cosine >= threshold;
    if as_json {
        output::json(&json!({
            "cosine": cosine, "distance": distance, "threshold": threshold, "same_person": same,
            "device": device_json(&engine),
        }))?;
    } else {
        output::lines([format!(
            "{}: cosine similarity {cosine:.3} (distance {distance:.3}; same person at ≥ {threshold:.3})",
            if same { "Same person" } else { "Different people" }
        )])?;
    }
    Ok(exit::OK)
}

pub(crate) fn doctor(library_path: &Path, device: &DeviceArg, as_json: bool) -> anyhow::Result<u8> {
    let models = faces::locate_models();
    let library = Library::open(library_path);
    let engine = models.as_ref().map_err(|e| anyhow::anyhow!("{e}")).and_then(|dir| match &library {
        Ok(library) => Ok(library.face_engine(dir, device.or_library_choice(library)?)?),
        Err(_) => load_engine(device),
    });
    if as_json {
        output::json(&json!({
            "models_dir": models.as_ref().ok().map(|d| d.display().to_string()),
            "models": match &engine { Ok(_) => json!("ok"), Err(e) => json!(format!("{e:#}")) },
            "device": engine.as_ref().ok().map(device_json),
            "library": library_path.display().to_string(),
            "library_status": match &library { Ok(_) => json!("ok"), Err(e) => json!(e.to_string()) },
        }))?;
    } else {
        let mut lines = Vec::new();
        match &engine {
            Ok(engine) => {
                lines.push(format!("device:  {}", device_line(engine)));
                if !engine.device().driver.is_empty() {
                    lines.push(format!("driver:  {}", engine.device().driver));
                }
                if let Some(choice) = engine.auto_choice() {
                    lines.push(format!("auto:    {}", auto_line(choice)));
                }
                lines.push(format!(
                    "models:  ok ({}, sha256 verified)",
                    models.as_ref().map(|d| d.display().to_string()).unwrap_or_default()
                ));
            }
            Err(e) => lines.push(format!("models:  NOT USABLE: {e:#}")),
        }
        match &library {
            Ok(l) => lines.push(format!(
                "library: ok ({}, schema {})",
                library_path.display(),
                l.catalog().schema_version().unwrap_or(0)
            )),
            Err(e) => lines.push(format!("library: NOT USABLE: {e}")),
        }
        output::lines(lines)?;
    }
    Ok(if engine.is_ok() && library.is_ok() { exit::OK } else { exit::ERROR })
}

/// The photos under `dir`, sorted, or those a text file lists (one path a line, relative to
/// the file's folder; `#` starts a comment), in its order.
fn image_files(dir: &Path, limit: Option<usize>) -> anyhow::Result<Vec<PathBuf>> {
    if dir.is_file() {
        let text = std::fs::read_to_string(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        let base = dir.parent().unwrap_or(Path::new("."));
        let mut files: Vec<PathBuf> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| base.join(l))
            .collect();
        if let Some(limit) = limit {
            files.truncate(limit);
        }
        return Ok(files);
    }
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .with_context(|| format!("cannot list {}", d.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries.into_iter().rev() {
            if path.is_dir() {
                stack.push(path);
            } else if kindred_core::media::Format::from_extension(
                &path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase(),
            )
            .is_some_and(|f| f.is_decodable())
            {
                files.push(path);
            }
        }
    }
    files.sort();
    if let Some(limit) = limit {
        files.truncate(limit);
    }
    Ok(files)
}

pub(crate) fn bench(photos: &Path, limit: Option<usize>, on: &str, as_json: bool) -> anyhow::Result<u8> {
    let files = image_files(photos, limit)?;
    if files.is_empty() {
        bail!("no photos under {}", photos.display());
    }
    // Read every file once so the page cache holds them: the bench measures the pipeline,
    // not the disk.
    for f in &files {
        std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
    }
    let devices: &[&str] = match on {
        "cpu" => &["cpu"],
        "gpu" => &["gpu"],
        _ => &["cpu", "gpu"],
    };
    let mut results = Vec::new();
    for &device in devices {
        let engine = match load_engine(&DeviceArg { device: Some(device.into()) }) {
            Ok(engine) => engine,
            Err(e) if on == "both" => {
                eprintln!("kindred bench: skipping {device}: {e:#}");
                continue;
            }
            Err(e) => return Err(e),
        };
        if on == "both" && device == "gpu" && engine.device().kind != "gpu" {
            eprintln!(
                "kindred bench: skipping gpu: the only wgpu adapter is a software one ({}); \
                 --on gpu measures it anyway",
                engine.device().adapter
            );
            continue;
        }
        // One untimed photo first: kernels are compiled and memory allocated on first use.
        let _ = engine.analyze_files(&files[..1]);
        let started = Instant::now();
        let (analyzed, stages) = engine.analyze_files_timed(&files);
        let pipeline_s = started.elapsed().as_secs_f64();
        let faces: usize = analyzed.iter().filter_map(|r| r.as_ref().ok()).map(Vec::len).sum();
        let failed = analyzed.iter().filter(|r| r.is_err()).count();

        // Embedding alone, on the crops of the faces just found, in the job's batch size.
        let crops = engine.aligned_crops(&files, 512);
        let _ = engine.embed_crops(&crops[..crops.len().min(4)]);
        let started = Instant::now();
        for batch in crops.chunks(16) {
            engine.embed_crops(batch);
        }
        let embed_s = started.elapsed().as_secs_f64();
        results.push(json!({
            "device": device_json(&engine),
            "photos": files.len(),
            "failed": failed,
            "faces": faces,
            "pipeline_seconds": pipeline_s,
            "photos_per_second": files.len() as f64 / pipeline_s,
            "threads": faces::worker_threads(),
            "stage_ms_per_photo": {
                "decode": 1e3 * stages.decode.as_secs_f64() / files.len() as f64,
                "detect": 1e3 * stages.detect.as_secs_f64() / files.len() as f64,
                "align": 1e3 * stages.align.as_secs_f64() / files.len() as f64,
                "embed": 1e3 * stages.embed.as_secs_f64() / files.len() as f64,
            },
            "embedded_faces": crops.len(),
            "embed_seconds": embed_s,
            "faces_per_second": crops.len() as f64 / embed_s.max(1e-9),
        }));
    }
    if as_json {
        output::json(&json!({ "photos_dir": photos.display().to_string(), "results": results }))?;
    } else {
        let mut lines =
            vec![format!("{} from {}", plural(files.len() as u64, "photo", "photos"), photos.display())];
        for r in &results {
            lines.push(format!(
                "  {:<4} {:<40} pipeline {:>7.2} photos/s ({} faces, {} unreadable)   embedding {:>7.1} faces/s",
                r["device"]["kind"].as_str().unwrap_or(""),
                format!("{} {}", r["device"]["backend"].as_str().unwrap_or(""), r["device"]["adapter"].as_str().unwrap_or("")),
                r["photos_per_second"].as_f64().unwrap_or(0.0),
                r["faces"],
                r["failed"],
                r["faces_per_second"].as_f64().unwrap_or(0.0),
            ));
            let ms = |k: &str| r["stage_ms_per_photo"][k].as_f64().unwrap_or(0.0);
            lines.push(format!(
                "       per photo: decode {:.1} ms, detect {:.1} ms, align {:.1} ms (summed over the photos \
                 run side by side), embed {:.1} ms",
                ms("decode"),
                ms("detect"),
                ms("align"),
                ms("embed")
            ));
        }
        output::lines(lines)?;
    }
    Ok(exit::OK)
}

/// The `--half` argument, as clap checked it.
pub(crate) fn half(text: &str) -> kindred_core::eval::PeopleHalf {
    kindred_core::eval::PeopleHalf::parse(text).unwrap_or_default()
}

pub(crate) fn eval(
    dir: &Path,
    labels: Option<&Path>,
    pairs: Option<&Path>,
    half: kindred_core::eval::PeopleHalf,
    grouping: &GroupingArgs,
    device: &DeviceArg,
    as_json: bool,
) -> anyhow::Result<u8> {
    let engine = load_engine(device)?;
    let started = Instant::now();
    let mut value = json!({ "device": device_json(&engine) });
    let mut lines = Vec::new();
    if let Some(labels) = labels {
        let settings = crate::people::settings_from(grouping, PeopleSettings::default())?;
        let cancel = crate::commands::cancel_on_ctrl_c();
        let progress = TerminalProgress::new(as_json);
        let report =
            kindred_core::eval::clustering(&engine, dir, labels, &settings, half, &progress, &cancel);
        progress.finish();
        let report = report?;
        let s = &report.scores;
        let paths =
            |list: &[std::path::PathBuf]| list.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
        value["clustering"] = json!({
            "threshold": report.settings.threshold,
            "linkage": kindred_core::people::linkage_name(report.settings.linkage),
            "photos": report.photos_listed,
            "photos_missing": paths(&report.photos_missing),
            "photos_without_face": paths(&report.photos_without_face),
            "faces": report.faces,
            "scored": report.scored,
            "people": s.true_classes,
            "clusters": s.predicted_clusters,
            "bcubed_precision": s.bcubed_precision,
            "bcubed_recall": s.bcubed_recall,
            "bcubed_f1": s.bcubed_f1,
            "pairwise_precision": s.pairwise_precision,
            "pairwise_recall": s.pairwise_recall,
            "pairwise_f1": s.pairwise_f1,
            "faces_seconds": report.faces_seconds,
            "clustering_seconds": report.clustering_seconds,
            "half": half.as_str(),
            "by_age": report.by_age.iter().map(|g| json!({
                "group": g.group, "faces": g.faces, "bcubed_precision": g.precision,
                "bcubed_recall": g.recall, "bcubed_f1": g.f1,
            })).collect::<Vec<_>>(),
        });
        lines.push(format!(
            "People in {}{} ({} photos, {} faces; {} linkage at distance {}):",
            labels.display(),
            half_note(half),
            report.photos_listed,
            report.faces,
            kindred_core::people::linkage_name(report.settings.linkage),
            report.settings.threshold
        ));
        lines.push(format!(
            "  BCubed precision {:.4}, recall {:.4}, F1 {:.4}",
            s.bcubed_precision, s.bcubed_recall, s.bcubed_f1
        ));
        lines.push(format!(
            "  pairwise precision {:.4}, recall {:.4}, F1 {:.4}",
            s.pairwise_precision, s.pairwise_recall, s.pairwise_f1
        ));
        lines.push(format!(
            "  {} people found for {} labeled people, over {} photos scored by their main face",
            s.predicted_clusters, s.true_classes, report.scored
        ));
        for g in &report.by_age {
            lines.push(format!(
                "  faces {:<12} BCubed precision {:.4}, recall {:.4}, F1 {:.4} ({} faces)",
                g.group, g.precision, g.recall, g.f1, g.faces
            ));
        }
        lines.push(format!(
            "  {} with no face found, {} missing; faces found in {:.1} s, grouped in {:.2} s",
            plural(report.photos_without_face.len() as u64, "photo", "photos"),
            count(report.photos_missing.len() as u64),
            report.faces_seconds,
            report.clustering_seconds
        ));
        for p in &report.photos_without_face {
            lines.push(format!("  no face found in {}", p.display()));
        }
    }
    if let Some(pairs) = pairs {
        let report = kindred_core::eval::verification(&engine, dir, pairs, SAME_PERSON_COSINE)?;
        value["verification"] = json!({
            "pairs": report.pairs,
            "same_pairs": report.same_pairs,
            "photos_without_face": report.photos_without_face.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "threshold_even": report.even_to_odd.0,
            "accuracy_odd": report.even_to_odd.1,
            "threshold_odd": report.odd_to_even.0,
            "accuracy_even": report.odd_to_even.1,
            "held_out_accuracy": report.held_out_accuracy,
            "default_threshold": report.accuracy_at_default.0,
            "accuracy_at_default": report.accuracy_at_default.1,
        });
        lines.push(format!(
            "Verification on {} ({} pairs, {} same):",
            pairs.display(),
            report.pairs,
            report.same_pairs
        ));
        lines.push(format!(
            "  held-out accuracy {:.2}% (threshold {:.3} from even rows: {:.2}% on odd; {:.3} from odd rows: {:.2}% on even)",
            100.0 * report.held_out_accuracy,
            report.even_to_odd.0,
            100.0 * report.even_to_odd.1,
            report.odd_to_even.0,
            100.0 * report.odd_to_even.1
        ));
        lines.push(format!(
            "  at Kindred's threshold {:.3}: {:.2}%",
            report.accuracy_at_default.0,
            100.0 * report.accuracy_at_default.1
        ));
        for p in &report.photos_without_face {
            lines.push(format!("  no face found in {}", p.display()));
        }
    }
    value["seconds"] = json!(started.elapsed().as_secs_f64());
    if as_json {
        output::json(&value)?;
    } else {
        lines.push(format!("  ({:.1} s on {})", started.elapsed().as_secs_f64(), device_line(&engine)));
        output::lines(lines)?;
    }
    Ok(exit::OK)
}

/// " (odd half of the people)" and the like, or nothing for all of them.
fn half_note(half: kindred_core::eval::PeopleHalf) -> String {
    match half {
        kindred_core::eval::PeopleHalf::All => String::new(),
        other => format!(" ({} half of the people)", other.as_str()),
    }
}

/// What every measurement on labeled photos starts from: the networks on their device, the
/// grouping settings, Ctrl-C, a progress line and a clock.
struct EvalRun {
    engine: FaceEngine,
    settings: PeopleSettings,
    cancel: kindred_core::CancelToken,
    progress: TerminalProgress,
    started: Instant,
}

impl EvalRun {
    fn start(device: &DeviceArg, grouping: &GroupingArgs, as_json: bool) -> anyhow::Result<EvalRun> {
        Ok(EvalRun {
            engine: load_engine(device)?,
            settings: crate::people::settings_from(grouping, PeopleSettings::default())?,
            cancel: crate::commands::cancel_on_ctrl_c(),
            progress: TerminalProgress::new(as_json),
            started: Instant::now(),
        })
    }
}

pub(crate) fn eval_naming(
    dir: &Path,
    labels: &Path,
    (confirmed, strangers): (usize, bool),
    half: kindred_core::eval::PeopleHalf,
    grouping: &GroupingArgs,
    device: &DeviceArg,
    as_json: bool,
) -> anyhow::Result<u8> {
    let run = EvalRun::start(device, grouping, as_json)?;
    let report = kindred_core::eval::naming(
        &run.engine,
        dir,
        labels,
        &run.settings,
        half,
        (confirmed, strangers),
        &run.progress,
        &run.cancel,
    );
    run.progress.finish();
    let r = report?;
    if as_json {
        output::json(&json!({
            "naming": {
                "half": half.as_str(),
                "confirmed_per_person": r.confirmed_per_person,
                "named_people": r.named_people, "strangers": r.strangers,
                "named_faces": r.named_faces, "stranger_faces": r.stranger_faces,
                "placed": r.placed, "placed_right": r.placed_right,
                "strangers_named": r.strangers_named, "bystanders_named": r.bystanders_named,
                "precision": r.precision, "coverage": r.coverage,
                "by_age": r.by_age.iter().map(|(group, faces, placed, right)| json!({
                    "group": group, "faces": faces, "placed": placed, "placed_right": right,
                })).collect::<Vec<_>>(),
                "people": crate::people::summary_json(&r.people),
            },
            "seconds": run.started.elapsed().as_secs_f64(),
        }))?;
        return Ok(exit::OK);
    }
    let mut lines = vec![
        format!(
            "Names in {}{}: {} faces confirmed of each of {} people{}, then their other photos added:",
            labels.display(),
            half_note(half),
            r.confirmed_per_person,
            r.named_people,
            if r.strangers > 0 { format!(" ({} others left strangers)", r.strangers) } else { String::new() }
        ),
        format!(
            "  faces put on named people: {} ({} right): precision {:.4}, coverage {:.4} of {} faces of named people",
            r.placed, r.placed_right, r.precision, r.coverage, r.named_faces
        ),
    ];
    if r.strangers > 0 {
        lines.push(format!("  strangers given a name: {} of {} faces", r.strangers_named, r.stranger_faces));
    }
    lines.push(format!("  other faces in the photos given a name: {}", r.bystanders_named));
    for (group, faces, placed, right) in &r.by_age {
        lines.push(format!(
            "  faces {group:<12} {placed} named, {right} right, of {faces} ({:.1}% covered)",
            100.0 * *right as f64 / (*faces).max(1) as f64
        ));
    }
    lines.push(format!("  {}", crate::people::summary_line(&r.people)));
    lines.push(format!("  ({:.1} s on {})", run.started.elapsed().as_secs_f64(), device_line(&run.engine)));
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn eval_finetune(
    dir: &Path,
    labels: &Path,
    (people, per_person): (usize, usize),
    half: kindred_core::eval::PeopleHalf,
    grouping: &GroupingArgs,
    device: &DeviceArg,
    as_json: bool,
) -> anyhow::Result<u8> {
    let run = EvalRun::start(device, grouping, as_json)?;
    let effect = kindred_core::eval::finetune_effect(
        &run.engine,
        dir,
        labels,
        &run.settings,
        half,
        (people, per_person),
        &run.progress,
        &run.cancel,
    );
    run.progress.finish();
    let effect = effect?;
    let scores = |s: &kindred_core::cluster::ClusteringScores| {
        json!({
            "bcubed_precision": s.bcubed_precision, "bcubed_recall": s.bcubed_recall, "bcubed_f1": s.bcubed_f1,
            "pairwise_precision": s.pairwise_precision, "pairwise_recall": s.pairwise_recall,
            "pairwise_f1": s.pairwise_f1, "people": s.true_classes, "clusters": s.predicted_clusters,
        })
    };
    let r = &effect.report;
    if as_json {
        output::json(&json!({
            "finetune": {
                "trained_people": effect.trained_people,
                "confirmed_per_person": effect.confirmed_per_person,
                "trained_before": scores(&effect.trained_before),
                "trained_after": scores(&effect.trained_after),
                "others_before": scores(&effect.others_before),
                "others_after": scores(&effect.others_after),
                "epochs": r.epochs.len(),
                "hard_negatives": r.hard_negatives,
                "between_people": r.between_people,
                "half": half.as_str(),
                "validation_base": r.base_score,
                "validation_tuned": r.tuned_score,
                "would_activate": r.better,
                "training_seconds": r.elapsed.as_secs_f64(),
            },
            "seconds": run.started.elapsed().as_secs_f64(),
        }))?;
        return Ok(exit::OK);
    }
    output::lines([
        format!(
            "Fine-tune on {} people × {} confirmed faces{} ({} epochs, {:.1} s; held-out labels {:.1}% → {:.1}%, {}):",
            effect.trained_people,
            effect.confirmed_per_person,
            half_note(half),
            r.epochs.len(),
            r.elapsed.as_secs_f64(),
            100.0 * r.base_score,
            100.0 * r.tuned_score,
            if r.better { "would be kept" } else { "would not be kept" }
        ),
        format!(
            "  trained people, other photos: BCubed F1 {:.4} → {:.4} (precision {:.4} → {:.4})",
            effect.trained_before.bcubed_f1,
            effect.trained_after.bcubed_f1,
            effect.trained_before.bcubed_precision,
            effect.trained_after.bcubed_precision
        ),
        format!(
            "  other people:                 BCubed F1 {:.4} → {:.4} (precision {:.4} → {:.4})",
            effect.others_before.bcubed_f1,
            effect.others_after.bcubed_f1,
            effect.others_before.bcubed_precision,
            effect.others_after.bcubed_precision
        ),
        format!("  ({:.1} s on {})", run.started.elapsed().as_secs_f64(), device_line(&run.engine)),
    ])?;
    Ok(exit::OK)
}

pub(crate) fn draw_face(
    library: &mut Library,
    photo: i64,
    bounds: [f32; 4],
    name: Option<&str>,
    device: &DeviceArg,
    as_json: bool,
) -> anyhow::Result<u8> {
    let engine = load_engine_on(device.or_library_choice(library)?)?;
    let face = library.draw_face(&engine, photo, bounds)?;
    if let Some(name) = name {
        return crate::people::move_faces(library, &[face], Some(name), as_json);
    }
    let placed = library.catalog().assignment_of_face(face)?;
    if as_json {
        output::json(&json!({"face": face, "photo": photo, "person": placed.map(|(p, _)| p)}))?;
    } else {
        output::lines([format!(
            "Face {face} added to photo {photo}{}; name it with `kindred move {face} --to NAME`.",
            match placed {
                Some((person, _)) => format!(" (placed with person {person})"),
                None => String::new(),
            }
        )])?;
    }
    Ok(exit::OK)
}

pub(crate) fn eval_simulated_user(
    dir: &Path,
    labels: &Path,
    grouping: &GroupingArgs,
    device: &DeviceArg,
    as_json: bool,
) -> anyhow::Result<u8> {
    let run = EvalRun::start(device, grouping, as_json)?;
    let result = kindred_core::simulate::simulate_user_on_labels(
        &run.engine,
        dir,
        labels,
        &run.settings,
        &run.progress,
        &run.cancel,
    );
    run.progress.finish();
    let (user, photos) = result?;
    let milestones: Vec<serde_json::Value> =
        user.milestones.iter().map(|(share, actions)| json!({"right": share, "actions": actions})).collect();
    if as_json {
        output::json(&json!({
            "simulated_user": {
                "photos": photos.photos_listed, "photos_missing": photos.photos_missing, "faces": photos.faces,
                "main_faces": user.main_faces, "people": user.people, "named": user.named,
                "answers": user.answers, "yes": user.yes, "taken_out": user.taken_out,
                "faces_settled": user.faces_settled,
                "right_after_naming": user.right_after_naming, "right": user.right, "target": user.target,
                "queue_ran_out": user.queue_ran_out, "actions_per_100_faces": user.actions_per_100_faces(),
                "milestones": milestones, "simulation_seconds": user.seconds,
                "faces_seconds": photos.faces_seconds,
            },
            "device": device_json(&run.engine),
            "seconds": run.started.elapsed().as_secs_f64(),
        }))?;
        return Ok(exit::OK);
    }
    let mut lines = vec![
        format!(
            "Simulated user on {} ({} photos, {} main faces of {} people, {} faces in all):",
            labels.display(),
            photos.photos_listed,
            user.main_faces,
            user.people,
            photos.faces
        ),
        format!(
            "  named {} groups: {:.1}% of the main faces right",
            user.named,
            100.0 * user.right_after_naming
        ),
        format!(
            "  picked {} faces out of groups by hand (others' before naming a group or saying yes, the person's own before saying no)",
            user.taken_out
        ),
        format!(
            "  answered {} questions ({} yes), settling {} faces: {:.1}% right{}",
            user.answers,
            user.yes,
            user.faces_settled,
            100.0 * user.right,
            if user.queue_ran_out { " (no more questions)" } else { "" }
        ),
    ];
    for (share, actions) in &user.milestones {
        lines.push(format!("  {:.0}% right after {actions} actions", 100.0 * share));
    }
    lines.push(format!(
        "  {:.1} actions (names, answers, faces picked out by hand) per 100 faces {} {:.0}% ({:.1} s on {})",
        user.actions_per_100_faces(),
        if user.right >= user.target { "to reach" } else { "without reaching" },
        100.0 * user.target,
        run.started.elapsed().as_secs_f64(),
        device_line(&run.engine)
    ));
    output::lines(lines)?;
    Ok(exit::OK)
}
