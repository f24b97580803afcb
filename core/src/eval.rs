//! Measuring Kindred on labeled photos: verification accuracy on same/different pairs, and the
//! quality of the people it finds. (So anyone can measure Kindred on their own labels.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cancel::CancelToken;
use crate::cluster::{ClusteringScores, score_clustering};
use crate::error::{Error, ErrorKind, Result};
use crate::events::EventSink;
use crate::faces::{FaceEngine, cosine};
use crate::people::PeopleSettings;
use crate::{Library, ScanOptions};

/// Reads a CSV file with a header line into one map per row. Fields may be quoted with `"`
/// (doubled inside to stand for itself).
pub fn read_csv(path: &Path) -> Result<Vec<HashMap<String, String>>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let mut rows = parse_csv(&text).into_iter();
    let header = rows
        .next()
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("{} is empty", path.display())))?;
    Ok(rows
        .filter(|r| !(r.len() == 1 && r[0].is_empty()))
        .map(|r| header.iter().cloned().zip(r.into_iter().chain(std::iter::repeat(String::new()))).collect())
        .collect())
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Verification accuracy on a pair list, with the threshold chosen on one half of the pairs
/// and measured on the other (even rows / odd rows, then the other way round).
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationReport {
    pub pairs: usize,
    pub same_pairs: usize,
    /// Photos in which no face was found; their pairs count as wrong.
    pub photos_without_face: Vec<PathBuf>,
    /// (threshold chosen on the even rows, accuracy on the odd rows), and the reverse.
    pub even_to_odd: (f32, f64),
    pub odd_to_even: (f32, f64),
    /// The mean of the two held-out accuracies.
    pub held_out_accuracy: f64,
    /// Accuracy of all pairs at the given fixed threshold.
    pub accuracy_at_default: (f32, f64),
}

/// The main face of a photo: the largest (the labeled subject of a photo is its main face;
/// a detector score says how face-like a box is, not who the subject is).
fn main_embeddings(engine: &FaceEngine, files: &[PathBuf]) -> Vec<Option<Vec<f32>>> {
    engine
        .analyze_files(files)
        .into_iter()
        .map(|r| r.ok()?.into_iter().max_by(|a, b| (a.w * a.h).total_cmp(&(b.w * b.h))).map(|f| f.embedding))
        .collect()
}

/// Runs verification on `pairs_csv` (columns `path1,path2,same`, paths relative to `dir`).
pub fn verification(
    engine: &FaceEngine,
    dir: &Path,
    pairs_csv: &Path,
    default_threshold: f32,
) -> Result<VerificationReport> {
    let rows = read_csv(pairs_csv)?;
    let mut pairs = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let get = |k: &str| {
            row.get(k).filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::new(ErrorKind::InvalidInput, format!("{} row {}: no {k}", pairs_csv.display(), i + 2))
            })
        };
        let same = matches!(get("same")?.as_str(), "1" | "true" | "True" | "yes");
        pairs.push((dir.join(get("path1")?), dir.join(get("path2")?), same));
    }
    let mut files: Vec<PathBuf> = pairs.iter().flat_map(|(a, b, _)| [a.clone(), b.clone()]).collect();
    files.sort();
    files.dedup();
    let embeddings: HashMap<PathBuf, Option<Vec<f32>>> =
        files.iter().cloned().zip(main_embeddings(engine, &files)).collect();
    // A pair with a photo without a face gets a similarity that no threshold accepts or
    // rejects correctly: it always counts as wrong.
    let scored: Vec<(Option<f32>, bool)> = pairs
        .iter()
        .map(|(a, b, same)| match (&embeddings[a], &embeddings[b]) {
            (Some(x), Some(y)) => (Some(cosine(x, y)), *same),
            _ => (None, *same),
        })
        .collect();
    let half = |parity: usize| -> Vec<(Option<f32>, bool)> {
        scored.iter().enumerate().filter(|(i, _)| i % 2 == parity).map(|(_, s)| *s).collect()
    };
    let (even, odd) = (half(0), half(1));
    let t_even = best_threshold(&even);
    let t_odd = best_threshold(&odd);
    let even_to_odd = (t_even, accuracy(&odd, t_even));
    let odd_to_even = (t_odd, accuracy(&even, t_odd));
    Ok(VerificationReport {
        pairs: pairs.len(),
        same_pairs: pairs.iter().filter(|p| p.2).count(),
        photos_without_face: files.iter().filter(|f| embeddings[*f].is_none()).cloned().collect(),
        even_to_odd,
        odd_to_even,
        held_out_accuracy: (even_to_odd.1 + odd_to_even.1) / 2.0,
        accuracy_at_default: (default_threshold, accuracy(&scored, default_threshold)),
    })
}

fn accuracy(scored: &[(Option<f32>, bool)], threshold: f32) -> f64 {
    let right = scored.iter().filter(|(s, same)| s.is_some_and(|s| (s >= threshold) == *same)).count();
    right as f64 / scored.len().max(1) as f64
}

/// The threshold with the best accuracy: midway between neighbouring similarities.
fn best_threshold(scored: &[(Option<f32>, bool)]) -> f32 {
    let mut values: Vec<f32> = scored.iter().filter_map(|(s, _)| *s).collect();
    values.sort_by(f32::total_cmp);
    let mut best = (0.0, f64::MIN);
    for w in values.windows(2) {
        let t = (w[0] + w[1]) / 2.0;
        let a = accuracy(scored, t);
        if a > best.1 {
            best = (t, a);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_csv() {
        let rows = parse_csv("a,b,c\n1,\"x, \"\"y\"\"\",3\r\n4,,6\n");
        assert_eq!(rows, vec![vec!["a", "b", "c"], vec!["1", "x, \"y\"", "3"], vec!["4", "", "6"]]);
    }

    #[test]
    fn picks_the_threshold_that_separates_best() {
        let scored =
            [(Some(0.9), true), (Some(0.6), true), (Some(0.4), false), (Some(0.1), false), (None, true)];
        let t = best_threshold(&scored);
        assert!(t > 0.4 && t < 0.6, "{t}");
        assert_eq!(accuracy(&scored, t), 0.8, "the pair without a face is always wrong");
    }
}

/// Clustering quality of the whole pipeline on photos labeled with who their main face is.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusteringReport {
    /// Rows of the labels file with an identity.
    pub photos_listed: usize,
    /// Listed photos that are not files under the folder.
    pub photos_missing: Vec<PathBuf>,
    /// Listed photos in which no face was found (not scored).
    pub photos_without_face: Vec<PathBuf>,
    /// Faces found in the listed photos, bystanders included; all of them are clustered.
    pub faces: u64,
    /// Main faces scored (the largest face of each photo).
    pub scored: usize,
    pub scores: ClusteringScores,
    pub settings: PeopleSettings,
    /// Seconds spent finding faces, and grouping them.
    pub faces_seconds: f64,
    pub clustering_seconds: f64,
}

/// Runs scan, face finding and grouping on the photos `labels` lists (columns `path`,
/// `identity`; paths relative to `dir`) in a throwaway library, and scores the person given to
/// each photo's main face (its largest) against the labels. Bystanders are clustered like any
/// face but not scored; photos with no face are reported, not scored.
pub fn clustering(
    engine: &FaceEngine,
    dir: &Path,
    labels: &Path,
    settings: &PeopleSettings,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<ClusteringReport> {
    settings.validate()?;
    let rows = read_csv(labels)?;
    let mut listed: Vec<(PathBuf, String)> = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        let (Some(path), Some(identity)) = (row.get("path"), row.get("identity")) else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{} needs the columns path and identity (row {})", labels.display(), n + 2),
            ));
        };
        if !identity.trim().is_empty() {
            listed.push((PathBuf::from(path), identity.trim().to_string()));
        }
    }
    // The photos are linked, not copied, into a folder of their own so that the library sees
    // exactly the listed photos.
    let work =
        tempfile::tempdir().map_err(|e| Error::io(Path::new("temporary folder"), "cannot create", e))?;
    let photos_dir = work.path().join("photos");
    let mut photos_missing = Vec::new();
    for (relative, _) in &listed {
        let source = dir.join(relative);
        if !source.is_file() || relative.is_absolute() {
            photos_missing.push(relative.clone());
            continue;
        }
        let link = photos_dir.join(relative);
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "cannot create", e))?;
        }
        let source = std::fs::canonicalize(&source).map_err(|e| Error::io(&source, "cannot open", e))?;
        link_or_copy(&source, &link)?;
    }
    std::fs::create_dir_all(&photos_dir).map_err(|e| Error::io(&photos_dir, "cannot create", e))?;

    let mut library = Library::open(&work.path().join("eval.db"))?;
    settings.save(library.catalog())?;
    library.scan(std::slice::from_ref(&photos_dir), &ScanOptions::default(), sink, cancel)?;
    let started = std::time::Instant::now();
    let found = library.find_faces(engine, sink, cancel)?;
    if found.cancelled {
        return Err(Error::cancelled());
    }
    let faces_seconds = started.elapsed().as_secs_f64() - found.people.elapsed.as_secs_f64();
    // The face job grouped the faces as an incremental pass would; measure the full pass.
    let people = library.recluster_people()?;

    let root = std::fs::canonicalize(&photos_dir).map_err(|e| Error::io(&photos_dir, "cannot open", e))?;
    let mut photo_ids: HashMap<PathBuf, i64> = HashMap::new();
    for photo in library.photos(&crate::PhotoFilter::default())? {
        if let Ok(relative) = photo.path.strip_prefix(&root) {
            photo_ids.insert(relative.to_path_buf(), photo.id);
        }
    }
    let mut identities: HashMap<&str, u32> = HashMap::new();
    let (mut predicted, mut truth) = (Vec::new(), Vec::new());
    let mut photos_without_face = Vec::new();
    // Faces alone get labels of their own, above every person id.
    let mut next_alone = u32::MAX;
    for (relative, identity) in &listed {
        let Some(&photo) = photo_ids.get(relative) else {
            if !photos_missing.contains(relative) {
                photos_without_face.push(relative.clone());
            }
            continue;
        };
        let faces = library.faces_of_photo(photo)?;
        let Some(main) = faces.first() else {
            photos_without_face.push(relative.clone());
            continue;
        };
        let label = match library.catalog().assignment_of_face(main.id)? {
            Some((person, _)) => person as u32,
            None => {
                next_alone -= 1;
                next_alone
            }
        };
        let next = identities.len() as u32;
        truth.push(*identities.entry(identity.as_str()).or_insert(next));
        predicted.push(label);
    }
    Ok(ClusteringReport {
        photos_listed: listed.len(),
        photos_missing,
        photos_without_face,
        faces: found.faces,
        scored: predicted.len(),
        scores: score_clustering(&predicted, &truth),
        settings: *settings,
        faces_seconds,
        clustering_seconds: people.elapsed.as_secs_f64(),
    })
}

#[cfg(unix)]
fn link_or_copy(source: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(source, link).map_err(|e| Error::io(link, "cannot link", e))
}

#[cfg(not(unix))]
fn link_or_copy(source: &Path, link: &Path) -> Result<()> {
    std::fs::copy(source, link).map(drop).map_err(|e| Error::io(link, "cannot copy", e))
}
