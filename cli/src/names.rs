//! Names outside the catalog: XMP sidecars, and the JSON backup.
//!
//! The backup format belongs to this front end (the core derives no serialisation): a
//! versioned JSON document, readable by people and other programs.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use kindred_core::backup::{Backup, BackupAlbum, BackupDecision, BackupDrawnFace, BackupPerson, FacePlace};
use kindred_core::xmp::{SidecarNaming, SidecarOptions};
use kindred_core::{DecisionKind, Library};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::exit;
use crate::output::{self, count, plural};
use crate::progress::TerminalProgress;

pub(crate) fn write_xmp(
    library: &Library,
    sidecar: Option<&str>,
    include_suggested: bool,
    as_json: bool,
) -> anyhow::Result<u8> {
    if let Some(naming) = sidecar.and_then(SidecarNaming::parse) {
        library.set_sidecar_naming(naming)?;
    }
    let options = SidecarOptions { naming: library.sidecar_naming()?, include_suggested };
    let cancel = crate::commands::cancel_on_ctrl_c();
    let progress = TerminalProgress::new(as_json);
    let summary = library.write_names_to_sidecars(&options, &progress, &cancel);
    progress.finish();
    let summary = summary?;
    if as_json {
        output::json(&json!({
            "photos": summary.photos, "written": summary.written, "unchanged": summary.unchanged,
            "faces": summary.faces, "sidecar": options.naming.as_str(), "cancelled": summary.cancelled,
            "failed": summary.failed.iter().map(|(p, m)| json!({"path": p.display().to_string(), "message": m})).collect::<Vec<_>>(),
        }))?;
    } else {
        let mut lines = vec![format!(
            "Names of {} written to the sidecars of {} ({} written, {} already up to date).",
            plural(summary.faces, "face", "faces"),
            plural(summary.photos, "photo", "photos"),
            count(summary.written),
            count(summary.unchanged)
        )];
        for (path, message) in &summary.failed {
            lines.push(format!("  not written: {}: {message}", path.display()));
        }
        output::lines(lines)?;
    }
    Ok(if summary.cancelled {
        exit::CANCELLED
    } else if summary.failed.is_empty() {
        exit::OK
    } else {
        exit::WITH_ISSUES
    })
}

const FORMAT: &str = "kindred-backup";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct BackupFile {
    format: String,
    version: u32,
    created_at: String,
    people: Vec<PersonRecord>,
    decisions: Vec<DecisionRecord>,
    settings: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    albums: Vec<AlbumRecord>,
    #[serde(default)]
    drawn_faces: Vec<DrawnFaceRecord>,
}

#[derive(Serialize, Deserialize)]
struct AlbumRecord {
    name: String,
    created_at: String,
    /// blake3 of each photo file's content.
    photos: Vec<String>,
}

/// A face the user drew where Kindred found none.
#[derive(Serialize, Deserialize)]
struct DrawnFaceRecord {
    #[serde(flatten)]
    place: PlaceRecord,
    drawn_at: String,
}

#[derive(Serialize, Deserialize)]
struct PlaceRecord {
    /// blake3 of the photo file's content.
    photo: String,
    /// x, y, w, h in pixels of the photo as shown.
    face: [f32; 4],
}

#[derive(Serialize, Deserialize)]
struct PersonRecord {
    id: i64,
    name: Option<String>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    merged_into: Option<i64>,
    #[serde(default)]
    cover: Option<PlaceRecord>,
    /// YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    birth_date: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DecisionRecord {
    #[serde(flatten)]
    place: PlaceRecord,
    /// "is", "is_not" or "not_a_face".
    kind: String,
    person: Option<i64>,
    decided_at: String,
}

fn kind_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Is => "is",
        DecisionKind::IsNot => "is_not",
        DecisionKind::NotAFace => "not_a_face",
    }
}

pub(crate) fn export(library: &Library, out: &Path, as_json: bool) -> anyhow::Result<u8> {
    let backup = library.backup()?;
    let place = |p: &FacePlace| PlaceRecord { photo: p.photo_hash.clone(), face: p.bounds };
    let file = BackupFile {
        format: FORMAT.to_string(),
        version: VERSION,
        created_at: kindred_core::now_utc(),
        people: backup
            .people
            .iter()
            .map(|p| PersonRecord {
                id: p.id,
                name: p.name.clone(),
                hidden: p.hidden,
                merged_into: p.merged_into,
                cover: p.cover.as_ref().map(place),
                birth_date: p.birth_date.clone(),
            })
            .collect(),
        decisions: backup
            .decisions
            .iter()
            .map(|d| DecisionRecord {
                place: place(&d.place),
                kind: kind_name(d.kind).to_string(),
                person: d.person,
                decided_at: d.decided_at.clone(),
            })
            .collect(),
        settings: backup.settings.iter().cloned().collect(),
        albums: backup
            .albums
            .iter()
            .map(|a| AlbumRecord {
                name: a.name.clone(),
                created_at: a.created_at.clone(),
                photos: a.photos.clone(),
            })
            .collect(),
        drawn_faces: backup
            .drawn_faces
            .iter()
            .map(|d| DrawnFaceRecord { place: place(&d.place), drawn_at: d.drawn_at.clone() })
            .collect(),
    };
    // Written beside its final name and renamed, so an interrupted export never leaves half a
    // backup where a good one was.
    kindred_core::files::write_atomically(out, kindred_core::files::Durability::Synced, |temp| {
        serde_json::to_writer_pretty(&mut *temp, &file)?;
        temp.write_all(b"\n")
    })
    .with_context(|| format!("cannot write {}", out.display()))?;
    let summary = json!({
        "file": out.display().to_string(), "people": file.people.len(), "decisions": file.decisions.len(),
        "albums": file.albums.len(), "drawn_faces": file.drawn_faces.len(),
    });
    if as_json {
        output::json(&summary)?;
    } else {
        output::lines([format!(
            "Backed up {} and {} to {}.",
            plural(file.people.len() as u64, "person", "people"),
            plural(file.decisions.len() as u64, "decision", "decisions"),
            out.display()
        )])?;
    }
    Ok(exit::OK)
}

pub(crate) fn import(library: &mut Library, file: &Path, partial: bool, as_json: bool) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed: BackupFile =
        serde_json::from_str(&text).with_context(|| format!("{} is not a Kindred backup", file.display()))?;
    if parsed.format != FORMAT {
        bail!("{} is not a Kindred backup (format {:?})", file.display(), parsed.format);
    }
    if parsed.version > VERSION {
        bail!(
            "{} was written by a newer Kindred (backup version {}; this one reads up to {VERSION})",
            file.display(),
            parsed.version
        );
    }
    let place = |p: &PlaceRecord| FacePlace { photo_hash: p.photo.clone(), bounds: p.face };
    let mut decisions = Vec::with_capacity(parsed.decisions.len());
    for d in &parsed.decisions {
        let kind = match d.kind.as_str() {
            "is" => DecisionKind::Is,
            "is_not" => DecisionKind::IsNot,
            "not_a_face" => DecisionKind::NotAFace,
            other => bail!("{}: unknown decision kind {other:?}", file.display()),
        };
        decisions.push(BackupDecision {
            place: place(&d.place),
            kind,
            person: d.person,
            decided_at: d.decided_at.clone(),
        });
    }
    let backup = Backup {
        people: parsed
            .people
            .iter()
            .map(|p| BackupPerson {
                id: p.id,
                name: p.name.clone(),
                hidden: p.hidden,
                merged_into: p.merged_into,
                cover: p.cover.as_ref().map(place),
                birth_date: p.birth_date.clone(),
            })
            .collect(),
        decisions,
        settings: parsed.settings.into_iter().collect(),
        albums: parsed
            .albums
            .iter()
            .map(|a| BackupAlbum {
                name: a.name.clone(),
                created_at: a.created_at.clone(),
                photos: a.photos.clone(),
            })
            .collect(),
        drawn_faces: parsed
            .drawn_faces
            .iter()
            .map(|d| BackupDrawnFace { place: place(&d.place), drawn_at: d.drawn_at.clone() })
            .collect(),
    };
    let summary = library.restore(&backup, partial)?;
    if as_json {
        output::json(&json!({
            "people": summary.people, "decisions": summary.decisions, "attached": summary.attached,
            "photos_not_found": summary.photos_not_found, "albums": summary.albums,
            "drawn_faces": summary.drawn_faces,
        }))?;
    } else {
        let mut lines = vec![format!(
            "Restored {} and {} ({} on faces already found; the rest wait for `kindred faces`).",
            plural(summary.people, "person", "people"),
            plural(summary.decisions, "decision", "decisions"),
            count(summary.attached)
        )];
        if summary.albums > 0 || summary.drawn_faces > 0 {
            lines.push(format!(
                "  Also {} and {} you drew (made again by `kindred faces`).",
                plural(summary.albums, "album", "albums"),
                plural(summary.drawn_faces, "face", "faces")
            ));
        }
        if summary.photos_not_found > 0 {
            lines.push(format!(
                "  {} about photos this library does not hold were left out: scan the folders they are in first.",
                plural(summary.photos_not_found, "decision", "decisions")
            ));
        }
        output::lines(lines)?;
    }
    Ok(if summary.photos_not_found > 0 { exit::WITH_ISSUES } else { exit::OK })
}
