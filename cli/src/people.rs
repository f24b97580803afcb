//! People subcommands: listing, naming and correcting, review, search, and the people benchmark.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use kindred_core::people::synthetic::{self, Rng};
use kindred_core::{
    Assignment, Library, PeopleSettings, PeopleSummary, Person, PhotoSearch, ReviewItem, ReviewSubject,
};
use serde_json::json;

use crate::args::{DeviceArg, GroupingArgs};
use crate::exit;
use crate::output::{self, count, plural};

/// The settings `grouping` asks for, on top of `base`.
pub(crate) fn settings_from(grouping: &GroupingArgs, base: PeopleSettings) -> anyhow::Result<PeopleSettings> {
    let mut settings = base;
    if let Some(threshold) = grouping.threshold {
        settings.threshold = threshold;
    }
    if let Some(linkage) = &grouping.linkage {
        settings.linkage = kindred_core::people::parse_linkage(linkage).context("unknown linkage")?;
    }
    settings.validate()?;
    Ok(settings)
}

fn person_label(person: &Person) -> String {
    match &person.name {
        Some(name) => name.clone(),
        None => format!("(unnamed group {})", person.id),
    }
}

fn person_json(person: &Person) -> serde_json::Value {
    json!({
        "id": person.id, "name": person.name, "hidden": person.hidden, "faces": person.faces,
        "confirmed_faces": person.confirmed, "photos": person.photos, "cover_face": person.cover_face_id,
        "birth_date": person.birth_date,
    })
}

pub(crate) fn summary_json(summary: &PeopleSummary) -> serde_json::Value {
    json!({
        "faces": summary.faces, "matched": summary.matched, "clustered": summary.clustered,
        "alone": summary.alone, "new_groups": summary.new_groups, "seconds": summary.elapsed.as_secs_f64(),
    })
}

pub(crate) fn summary_line(summary: &PeopleSummary) -> String {
    format!(
        "People: {} placed ({} recognised, {} grouped), {} alone for now, {} ({:.2} s).",
        plural(summary.faces, "face", "faces"),
        count(summary.matched),
        count(summary.clustered),
        count(summary.alone),
        plural(summary.new_groups, "new group", "new groups"),
        summary.elapsed.as_secs_f64()
    )
}

pub(crate) fn list(library: &Library, hidden: bool, as_json: bool) -> anyhow::Result<u8> {
    let people = library.people(hidden)?;
    if as_json {
        output::json(&json!({ "people": people.iter().map(person_json).collect::<Vec<_>>() }))?;
        return Ok(exit::OK);
    }
    if people.is_empty() {
        output::lines(["No people yet: run `kindred faces` to find the faces in your photos.".to_string()])?;
        return Ok(exit::OK);
    }
    let named = people.iter().filter(|p| p.name.is_some()).count();
    let mut lines = vec![format!(
        "{} named, {} not named yet.",
        plural(named as u64, "person", "people"),
        plural((people.len() - named) as u64, "group", "groups")
    )];
    for p in &people {
        lines.push(format!(
            "  {:>6}  {:<32} {:>6} faces ({} confirmed) in {} photos{}",
            p.id,
            person_label(p),
            count(p.faces),
            count(p.confirmed),
            count(p.photos),
            if p.hidden { "  [hidden]" } else { "" }
        ));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn alone(library: &Library, as_json: bool) -> anyhow::Result<u8> {
    let faces = library.faces_alone()?;
    if as_json {
        output::json(&json!({
            "faces": faces.iter().map(|(face, photo)| json!({"face": face, "photo": photo})).collect::<Vec<_>>()
        }))?;
        return Ok(exit::OK);
    }
    let mut lines = vec![format!(
        "{} with nobody yet (name one: kindred move FACE --to NAME)",
        plural(faces.len() as u64, "face", "faces")
    )];
    for (face, photo) in faces {
        let path = library.photo(photo).map(|p| p.path.display().to_string()).unwrap_or_default();
        lines.push(format!("  face {face:>7}  photo {photo}  {path}"));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn show(library: &Library, person: &str, as_json: bool) -> anyhow::Result<u8> {
    let person = library.person(library.find_person(person)?)?;
    let faces = library.faces_of_person(person.id)?;
    let how = |a: Assignment| a.as_str();
    if as_json {
        let mut value = person_json(&person);
        value["face_list"] = faces
            .iter()
            .map(|(face, photo, a)| {
                let age = age_in(library, &person, *photo)
                    .map(|age| json!({"years": age.years, "months": age.months}));
                json!({"face": face, "photo": photo, "assigned_by": how(*a), "age": age})
            })
            .collect();
        output::json(&value)?;
        return Ok(exit::OK);
    }
    let mut lines = vec![format!(
        "{} (person {}): {} in {}, {} confirmed{}",
        person_label(&person),
        person.id,
        plural(person.faces, "face", "faces"),
        plural(person.photos, "photo", "photos"),
        count(person.confirmed),
        if person.hidden { ", hidden" } else { "" }
    )];
    if let Some(cover) = person.cover_face_id {
        lines.push(format!("  cover: face {cover}"));
    }
    if let Some(birth) = &person.birth_date {
        lines.push(format!("  born {birth}"));
    }
    for (face, photo, a) in faces {
        let path = library.photo(photo).map(|p| p.path.display().to_string()).unwrap_or_default();
        let age = age_in(library, &person, photo).map(|age| format!("  at {age}")).unwrap_or_default();
        lines.push(format!("  face {face:>7}  {:<8} photo {photo}  {path}{age}", how(a)));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

/// How old `person` was in `photo`, when both dates are known.
fn age_in(library: &Library, person: &Person, photo: i64) -> Option<kindred_core::people::dates::Age> {
    let taken = library.photo(photo).ok()?.taken_at?;
    kindred_core::people::dates::age_at(person.birth_date.as_deref()?, &taken)
}

pub(crate) fn cluster(library: &mut Library, grouping: &GroupingArgs, as_json: bool) -> anyhow::Result<u8> {
    let settings = settings_from(grouping, library.people_settings()?)?;
    let summary = library.set_people_settings(&settings)?;
    if as_json {
        let mut value = summary_json(&summary);
        value["threshold"] = json!(settings.threshold);
        value["linkage"] = json!(kindred_core::people::linkage_name(settings.linkage));
        output::json(&value)?;
    } else {
        output::lines([
            format!(
                "Grouped at distance {} ({} linkage).",
                settings.threshold,
                kindred_core::people::linkage_name(settings.linkage)
            ),
            summary_line(&summary),
        ])?;
    }
    Ok(exit::OK)
}

/// Prints what a change did, or its JSON.
fn changed(message: String, value: serde_json::Value, as_json: bool) -> anyhow::Result<u8> {
    if as_json {
        output::json(&value)?;
    } else {
        output::lines([message])?;
    }
    Ok(exit::OK)
}

pub(crate) fn name(library: &mut Library, person: &str, name: &str, as_json: bool) -> anyhow::Result<u8> {
    let id = library.name_person(library.find_person(person)?, name)?;
    changed(
        format!("Person {id} is now {}.", name.trim()),
        json!({"person": id, "name": name.trim()}),
        as_json,
    )
}

pub(crate) fn merge(library: &mut Library, into: &str, from: &[String], as_json: bool) -> anyhow::Result<u8> {
    let into = library.find_person(into)?;
    for other in from {
        let other = library.find_person(other)?;
        library.merge_people(into, other)?;
    }
    let person = library.person(into)?;
    changed(
        format!("{} now has {}.", person_label(&person), plural(person.faces, "face", "faces")),
        person_json(&person),
        as_json,
    )
}

pub(crate) fn move_faces(
    library: &mut Library,
    faces: &[i64],
    to: Option<&str>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let to = match to.map(|p| (p, library.find_person(p))) {
        None => None,
        Some((_, Ok(id))) => Some(id),
        // A name nobody has yet: the faces become a new person of that name.
        Some((name, Err(e)))
            if e.kind() == kindred_core::ErrorKind::NotFound && name.trim().parse::<i64>().is_err() =>
        {
            let id = library.move_faces_to_new_person(faces, name)?;
            let person = library.person(id)?;
            return changed(
                format!(
                    "{} are now {} (person {}).",
                    plural(faces.len() as u64, "face", "faces"),
                    person_label(&person),
                    id
                ),
                json!({"person": id, "faces": faces, "created": true}),
                as_json,
            );
        }
        Some((_, Err(e))) => return Err(e.into()),
    };
    let person = library.move_faces(faces, to)?;
    let person = library.person(person)?;
    changed(
        format!(
            "{} moved to {} (person {}).",
            plural(faces.len() as u64, "face", "faces"),
            person_label(&person),
            person.id
        ),
        json!({"person": person.id, "faces": faces}),
        as_json,
    )
}

pub(crate) fn remove(library: &mut Library, faces: &[i64], as_json: bool) -> anyhow::Result<u8> {
    let mut from = Vec::new();
    for &face in faces {
        from.push(json!({"face": face, "person": library.remove_face(face)?}));
    }
    changed(
        format!(
            "{} taken away; they will not be suggested for that person again.",
            plural(faces.len() as u64, "face", "faces")
        ),
        json!({ "removed": from }),
        as_json,
    )
}

pub(crate) fn not_a_face(library: &mut Library, faces: &[i64], as_json: bool) -> anyhow::Result<u8> {
    for &face in faces {
        library.mark_not_a_face(face)?;
    }
    changed(
        format!("{} marked as not a face.", plural(faces.len() as u64, "detection", "detections")),
        json!({ "not_a_face": faces }),
        as_json,
    )
}

pub(crate) fn hide(library: &mut Library, person: &str, hidden: bool, as_json: bool) -> anyhow::Result<u8> {
    let id = library.hide_person(library.find_person(person)?, hidden)?;
    changed(
        format!("Person {id} is {}.", if hidden { "hidden" } else { "shown again" }),
        json!({"person": id, "hidden": hidden}),
        as_json,
    )
}

pub(crate) fn cover(library: &mut Library, person: &str, face: i64, as_json: bool) -> anyhow::Result<u8> {
    let id = library.set_cover(library.find_person(person)?, face)?;
    changed(
        format!("Face {face} is the cover of person {id}."),
        json!({"person": id, "cover_face": face}),
        as_json,
    )
}

pub(crate) fn birth_date(
    library: &mut Library,
    person: &str,
    date: Option<&str>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let change = library.set_birth_date(library.find_person(person)?, date)?;
    let mut message = match date {
        Some(date) => format!("Person {} was born on {}.", change.person, date.trim()),
        None => format!("Person {} has no birth date now.", change.person),
    };
    if change.released > 0 {
        message.push_str(&format!(
            " {} in photos taken before it left them.",
            plural(change.released, "face", "faces")
        ));
    }
    if change.confirmed_before > 0 {
        message.push_str(&format!(
            " {} you confirmed are in photos dated before it: they stay (check those photos' dates).",
            plural(change.confirmed_before, "face", "faces")
        ));
    }
    changed(
        message,
        json!({"person": change.person, "birth_date": date.map(str::trim), "released": change.released,
               "confirmed_before": change.confirmed_before}),
        as_json,
    )
}

pub(crate) fn undo(library: &mut Library, as_json: bool) -> anyhow::Result<u8> {
    match library.undo()? {
        Some(op) => changed(
            format!("Undone: {} ({}).", op.description, op.done_at),
            json!({"undone": {"id": op.id, "kind": op.kind, "description": op.description, "done_at": op.done_at}}),
            as_json,
        ),
        None => changed("Nothing to undo.".to_string(), json!({ "undone": null }), as_json),
    }
}

fn subject_text(subject: ReviewSubject) -> String {
    match subject {
        ReviewSubject::Face(id) => format!("face:{id}"),
        ReviewSubject::Group(id) => format!("group:{id}"),
    }
}

pub(crate) fn review(library: &Library, limit: usize, as_json: bool) -> anyhow::Result<u8> {
    let items = library.review_queue(limit)?;
    if as_json {
        let items: Vec<_> = items
            .iter()
            .map(|i| {
                json!({
                    "subject": subject_text(i.subject), "person": i.person_id, "person_name": i.person_name,
                    "similarity": i.similarity, "faces": i.faces, "sample_face": i.sample_face_id,
                    "priority": i.priority,
                })
            })
            .collect();
        output::json(&json!({ "questions": items }))?;
        return Ok(exit::OK);
    }
    if items.is_empty() {
        output::lines([
            "Nothing to review: name a few people first, or every suggestion is clear.".to_string()
        ])?;
        return Ok(exit::OK);
    }
    let mut lines = vec!["Is this …? (answer with: kindred answer yes|no SUBJECT PERSON)".to_string()];
    for i in &items {
        let what = match i.subject {
            ReviewSubject::Face(_) => "this face".to_string(),
            ReviewSubject::Group(_) => {
                format!("{} (e.g. face {})", plural(i.faces, "face", "faces"), i.sample_face_id)
            }
        };
        lines.push(format!(
            "  {:<14} {what} → {} (person {}), similarity {:.2}",
            subject_text(i.subject),
            i.person_name,
            i.person_id,
            i.similarity
        ));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn answer(
    library: &mut Library,
    answer: &str,
    subject: &str,
    person: &str,
    as_json: bool,
) -> anyhow::Result<u8> {
    let subject = match subject.split_once(':') {
        Some(("face", id)) => ReviewSubject::Face(id.parse().context("a face id is a number")?),
        Some(("group", id)) => ReviewSubject::Group(id.parse().context("a group id is a number")?),
        _ => bail!("the subject is face:ID or group:ID, as `kindred review` shows it"),
    };
    let person_id = library.find_person(person)?;
    let item = ReviewItem {
        subject,
        person_id,
        person_name: String::new(),
        similarity: 0.0,
        faces: 0,
        sample_face_id: 0,
        priority: 0.0,
    };
    let yes = answer == "yes";
    library.answer_review(&item, yes)?;
    changed(
        format!(
            "Recorded: {} is{} person {person_id}.",
            subject_text(subject),
            if yes { "" } else { " not" }
        ),
        json!({"subject": subject_text(subject), "person": person_id, "same": yes}),
        as_json,
    )
}

/// `kindred search` as typed.
pub(crate) struct SearchArgs {
    pub(crate) people: Vec<String>,
    pub(crate) any: bool,
    pub(crate) only: bool,
    pub(crate) album: Option<String>,
    pub(crate) folder: Option<std::path::PathBuf>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) limit: Option<u64>,
}

pub(crate) fn search(library: &Library, args: &SearchArgs, as_json: bool) -> anyhow::Result<u8> {
    let ids = args.people.iter().map(|p| library.find_person(p)).collect::<kindred_core::Result<Vec<_>>>()?;
    let album = args.album.as_deref().map(|a| library.find_album(a)).transpose()?;
    let photos = library.search(&PhotoSearch {
        people: ids,
        match_all: !args.any,
        only: args.only,
        album,
        folder: args.folder.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        limit: args.limit,
        offset: 0,
    })?;
    if as_json {
        output::json(
            &json!({ "photos": photos.iter().map(crate::commands::photo_json).collect::<Vec<_>>() }),
        )?;
        return Ok(exit::OK);
    }
    let mut lines = vec![plural(photos.len() as u64, "photo", "photos")];
    for p in &photos {
        lines.push(format!(
            "  {:>7}  {:<19}  {}",
            p.id,
            p.taken_at.as_deref().unwrap_or("(no date)"),
            p.path.display()
        ));
    }
    output::lines(lines)?;
    Ok(exit::OK)
}

pub(crate) fn hide_small(library: &mut Library, photos: u64, as_json: bool) -> anyhow::Result<u8> {
    let hidden = library.hide_small_groups(photos)?;
    changed(
        format!(
            "{} with fewer than {} hidden (kindred undo shows them again).",
            plural(hidden, "unnamed group", "unnamed groups"),
            plural(photos, "photo", "photos")
        ),
        json!({"hidden": hidden, "fewer_photos_than": photos}),
        as_json,
    )
}

/// Peak resident memory of this process so far, in MiB (Linux), for the benchmark.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// People passes on synthetic libraries: the first full pass, a small import placed
/// incrementally, and a full re-clustering after naming; time, peak memory and quality.
pub(crate) fn bench(sizes: &[usize], keep: Option<&Path>, as_json: bool) -> anyhow::Result<u8> {
    let mut results = Vec::new();
    for (n, &faces) in sizes.iter().enumerate() {
        let dir = tempfile::tempdir()?;
        let file = match keep {
            Some(keep) if n + 1 == sizes.len() => {
                anyhow::ensure!(
                    !keep.exists(),
                    "{} already exists; --keep writes a new library",
                    keep.display()
                );
                keep.to_path_buf()
            }
            _ => dir.path().join("bench.db"),
        };
        let mut library = Library::open(&file)?;
        let mut rng = Rng::new(20_261_124 + faces as u64);
        let identities = synthetic::identities((faces / 20).max(2), &mut rng);
        // Photos show 1 to 3 people, 2 on average.
        let started = Instant::now();
        let written = synthetic::add_photos(&mut library, &identities, faces / 2, 3, 0, &mut rng)?;
        let insert_seconds = started.elapsed().as_secs_f64();
        let first = library.update_people()?;
        let truth: std::collections::HashMap<i64, u32> =
            written.iter().map(|f| (f.face_id, f.identity as u32)).collect();
        let quality = |library: &Library| -> anyhow::Result<f64> {
            let (mut predicted, mut labels) = (Vec::new(), Vec::new());
            let mut alone = u32::MAX;
            for (&face, &identity) in &truth {
                predicted.push(match library.catalog().assignment_of_face(face)? {
                    Some((person, _)) => person as u32,
                    None => {
                        alone -= 1;
                        alone
                    }
                });
                labels.push(identity);
            }
            Ok(kindred_core::cluster::score_clustering(&predicted, &labels).bcubed_f1)
        };
        let first_f1 = quality(&library)?;
        // The user names the 50 largest groups.
        for group in library.people(false)?.iter().filter(|p| p.name.is_none()).take(50) {
            library.name_person(group.id, &format!("Person {}", group.id))?;
        }
        let new = synthetic::add_photos(&mut library, &identities, 100, 3, faces, &mut rng)?;
        let incremental = library.update_people()?;
        let full = library.recluster_people()?;
        let result = json!({
            "faces": written.len(),
            "identities": identities.len(),
            "insert_seconds": insert_seconds,
            "first_pass_seconds": first.elapsed.as_secs_f64(),
            "first_pass_bcubed_f1": first_f1,
            "import_100_photos": { "faces": new.len(), "seconds": incremental.elapsed.as_secs_f64(),
                                    "recognised": incremental.matched, "grouped": incremental.clustered,
                                    "alone": incremental.alone },
            "recluster_with_names_seconds": full.elapsed.as_secs_f64(),
            "peak_rss_mib_so_far": peak_rss_mib(),
        });
        if !as_json {
            output::lines([format!(
                "{:>8} faces: first pass {:.2} s (BCubed F1 {:.3}), import of 100 photos ({} faces) {:.3} s \
                 ({} recognised), full pass with 50 names {:.2} s, peak RSS so far {:.0} MiB",
                count(written.len() as u64),
                first.elapsed.as_secs_f64(),
                first_f1,
                new.len(),
                incremental.elapsed.as_secs_f64(),
                incremental.matched,
                full.elapsed.as_secs_f64(),
                peak_rss_mib().unwrap_or(f64::NAN)
            )])?;
        }
        results.push(result);
    }
    if as_json {
        output::json(&json!({ "people_bench": results }))?;
    }
    Ok(exit::OK)
}

#[allow(clippy::too_many_arguments, reason = "one per command-line option")]
pub(crate) fn finetune(
    library: &mut Library,
    margin: f32,
    epochs: usize,
    seed: u64,
    use_base: bool,
    use_model: Option<&str>,
    device: &DeviceArg,
    as_json: bool,
) -> anyhow::Result<u8> {
    if use_base || use_model.is_some() {
        let summary = library.use_adapter(use_model)?;
        let model = use_model.unwrap_or("the base model");
        return changed(
            format!("Now using {model}; every face regrouped. {}", summary_line(&summary)),
            json!({"model": use_model, "people": summary_json(&summary)}),
            as_json,
        );
    }
    let options = kindred_core::finetune::FinetuneOptions {
        margin,
        max_epochs: epochs,
        seed,
        device: device.or_library_choice(library)?,
        ..Default::default()
    };
    let cancel = crate::commands::cancel_on_ctrl_c();
    let mut progress = |e: &kindred_core::finetune::EpochReport| {
        if !as_json {
            eprintln!(
                "epoch {:>3}: loss {:.4} over {} triplets, grouping of held-out faces {:.1}%",
                e.epoch,
                e.loss,
                e.triplets,
                100.0 * e.validation
            );
        }
    };
    let report = library.finetune(&options, &mut progress, &cancel)?;
    if as_json {
        output::json(&json!({
            "people": report.people, "train_faces": report.train_faces,
            "validation_faces": report.validation_faces, "hard_negatives": report.hard_negatives,
            "epochs": report.epochs.iter().map(|e| json!({"epoch": e.epoch, "loss": e.loss, "triplets": e.triplets, "validation": e.validation})).collect::<Vec<_>>(),
            "base_score": report.base_score, "tuned_score": report.tuned_score, "activated": report.activated,
            "model": report.adapter_file.as_ref().map(|p| p.display().to_string()),
            "cancelled": report.cancelled, "seconds": report.elapsed.as_secs_f64(),
        }))?;
    } else {
        let verdict = if report.activated {
            "the adapted model is now in use and every face was regrouped with it"
        } else if report.cancelled {
            "cancelled; the base model stays in use"
        } else {
            "it did not do better, so the current model stays in use"
        };
        output::lines([format!(
            "Grouping of your held-out labeled faces ({} people, {} faces): {:.0}% → {:.0}%; {verdict} ({:.1} s).",
            report.people,
            report.validation_faces,
            100.0 * report.base_score,
            100.0 * report.tuned_score,
            report.elapsed.as_secs_f64()
        )])?;
    }
    Ok(if report.cancelled { exit::CANCELLED } else { exit::OK })
}

/// Fine-tune speed on synthetic labeled faces, per device.
pub(crate) fn bench_finetune(sizes: &[usize], on: &str, as_json: bool) -> anyhow::Result<u8> {
    const EPOCHS: usize = 5;
    let devices: Vec<kindred_core::Device> = match on {
        "cpu" => vec![kindred_core::Device::Cpu],
        "gpu" => vec![kindred_core::Device::Gpu],
        _ => vec![kindred_core::Device::Cpu, kindred_core::Device::Gpu],
    };
    let mut results = Vec::new();
    for device in devices {
        for &faces in sizes {
            let times = match kindred_core::finetune::benchmark(faces, EPOCHS, device) {
                Ok(times) => times,
                Err(e) if device == kindred_core::Device::Gpu => {
                    if !as_json {
                        output::lines([format!("  gpu: not measured ({e})")])?;
                    }
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            let total: f64 = times.iter().sum();
            let name = format!("{device:?}").to_lowercase();
            if !as_json {
                output::lines([format!(
                    "{:>7} labeled faces on {name}: {:.3} s per epoch ({} epochs, {:.2} s)",
                    count(faces as u64),
                    total / times.len() as f64,
                    times.len(),
                    total
                )])?;
            }
            results.push(json!({"device": name, "faces": faces, "epochs": times.len(), "seconds_per_epoch": total / times.len() as f64, "seconds": total}));
        }
    }
    if as_json {
        output::json(&json!({ "finetune_bench": results }))?;
    }
    Ok(exit::OK)
}
