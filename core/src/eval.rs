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

/// The photos a labels file lists, analysed in a throwaway library.
pub(crate) struct LabeledLibrary {
    /// Keeps the library and the linked photos alive.
    _work: tempfile::TempDir,
    pub(crate) library: Library,
    /// (path relative to the folder, identity) of every labeled row.
    pub(crate) listed: Vec<(PathBuf, String)>,
    pub(crate) photos_missing: Vec<PathBuf>,
    /// Photo id of each listed path found in the library.
    photo_ids: HashMap<PathBuf, i64>,
    pub(crate) faces: u64,
    pub(crate) faces_seconds: f64,
}

impl LabeledLibrary {
    /// Scans and finds the faces of the photos `labels` lists (columns `path`, `identity`;
    /// paths relative to `dir`) in a new library with `settings`.
    pub(crate) fn build(
        engine: &FaceEngine,
        dir: &Path,
        labels: &Path,
        settings: &PeopleSettings,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<LabeledLibrary> {
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
        // The photos are linked, not copied, into a folder of their own so that the library
        // sees exactly the listed photos.
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
        let root =
            std::fs::canonicalize(&photos_dir).map_err(|e| Error::io(&photos_dir, "cannot open", e))?;
        let mut photo_ids: HashMap<PathBuf, i64> = HashMap::new();
        for photo in library.photos(&crate::PhotoFilter::default())? {
            if let Ok(relative) = photo.path.strip_prefix(&root) {
                photo_ids.insert(relative.to_path_buf(), photo.id);
            }
        }
        Ok(LabeledLibrary {
            _work: work,
            library,
            listed,
            photos_missing,
            photo_ids,
            faces: found.faces,
            faces_seconds,
        })
    }

    /// The main (largest) face of a listed photo, if it was found and has one.
    pub(crate) fn main_face(&self, relative: &Path) -> Result<Option<i64>> {
        let Some(&photo) = self.photo_ids.get(relative) else { return Ok(None) };
        Ok(self.library.faces_of_photo(photo)?.first().map(|f| f.id))
    }

    /// Scores the people of the main faces of the listed rows `rows` selects.
    fn score(&self, rows: impl Fn(usize) -> bool) -> Result<(ClusteringScores, Vec<PathBuf>)> {
        let mut identities: HashMap<&str, u32> = HashMap::new();
        let (mut predicted, mut truth) = (Vec::new(), Vec::new());
        let mut without_face = Vec::new();
        // Faces alone get labels of their own, above every person id.
        let mut next_alone = u32::MAX;
        for (i, (relative, identity)) in self.listed.iter().enumerate() {
            if !rows(i) || self.photos_missing.contains(relative) {
                continue;
            }
            let Some(face) = self.main_face(relative)? else {
                without_face.push(relative.clone());
                continue;
            };
            let label = match self.library.catalog().assignment_of_face(face)? {
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
        Ok((score_clustering(&predicted, &truth), without_face))
    }
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
    let mut labeled = LabeledLibrary::build(engine, dir, labels, settings, sink, cancel)?;
    // The face job grouped the faces as an incremental pass would; measure the full pass.
    let people = labeled.library.recluster_people()?;
    let (scores, photos_without_face) = labeled.score(|_| true)?;
    Ok(ClusteringReport {
        photos_listed: labeled.listed.len(),
        photos_missing: labeled.photos_missing.clone(),
        scored: scores_len(&labeled, &photos_without_face),
        photos_without_face,
        faces: labeled.faces,
        scores,
        settings: *settings,
        faces_seconds: labeled.faces_seconds,
        clustering_seconds: people.elapsed.as_secs_f64(),
    })
}

fn scores_len(labeled: &LabeledLibrary, without_face: &[PathBuf]) -> usize {
    labeled.listed.len() - labeled.photos_missing.len() - without_face.len()
}

/// What fine-tuning did to grouping, on people it was trained on and on the others.
#[derive(Debug, Clone, PartialEq)]
pub struct FinetuneEffect {
    pub trained_people: usize,
    pub confirmed_per_person: usize,
    /// Main faces of the trained people's other photos, before and after.
    pub trained_before: ClusteringScores,
    pub trained_after: ClusteringScores,
    /// Main faces of every other labeled person, before and after.
    pub others_before: ClusteringScores,
    pub others_after: ClusteringScores,
    pub report: crate::finetune::FinetuneReport,
}

/// The measurement of fine-tuning on labeled photos: in a throwaway library of the listed
/// photos, `people` people (the first by identity, among those with more than `per_person`
/// photos with a face) get `per_person` faces confirmed and named, as a user would; the faces
/// are grouped with the base model, an adapter is trained on the confirmed faces, and the faces
/// are grouped again with it. Both groupings keep the confirmations as constraints, so the
/// difference is the adapter's. The adapter is measured even when the product would not have
/// activated it (the report says whether it would).
pub fn finetune_effect(
    engine: &FaceEngine,
    dir: &Path,
    labels: &Path,
    settings: &PeopleSettings,
    (people, per_person): (usize, usize),
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<FinetuneEffect> {
    let mut labeled = LabeledLibrary::build(engine, dir, labels, settings, sink, cancel)?;
    // Rows of each identity that have a main face, in file order.
    let mut rows_of: std::collections::BTreeMap<String, Vec<(usize, i64)>> =
        std::collections::BTreeMap::new();
    for (i, (relative, identity)) in labeled.listed.iter().enumerate() {
        if let Some(face) = labeled.main_face(relative)? {
            rows_of.entry(identity.clone()).or_default().push((i, face));
        }
    }
    let trained: Vec<String> = rows_of
        .iter()
        .filter(|(_, rows)| rows.len() > per_person)
        .map(|(id, _)| id.clone())
        .take(people)
        .collect();
    if trained.len() < crate::finetune::MIN_PEOPLE {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "too few labeled people with enough photos to fine-tune",
        ));
    }
    let mut confirmed_rows = std::collections::HashSet::new();
    for identity in &trained {
        let chosen: Vec<(usize, i64)> = rows_of[identity].iter().copied().take(per_person).collect();
        let faces: Vec<i64> = chosen.iter().map(|&(_, face)| face).collect();
        let person = labeled.library.move_faces(&faces, None)?;
        labeled.library.name_person(person, identity)?;
        confirmed_rows.extend(chosen.iter().map(|&(row, _)| row));
    }
    let trained_set: std::collections::HashSet<&str> = trained.iter().map(String::as_str).collect();
    let is_trained =
        |labeled: &LabeledLibrary, row: usize| trained_set.contains(labeled.listed[row].1.as_str());
    labeled.library.recluster_people()?;
    let trained_before = labeled.score(|row| is_trained(&labeled, row) && !confirmed_rows.contains(&row))?.0;
    let others_before = labeled.score(|row| !is_trained(&labeled, row))?.0;
    let options = crate::finetune::FinetuneOptions {
        device: if engine.device().kind == "gpu" { crate::Device::Gpu } else { crate::Device::Cpu },
        activate_even_if_worse: true,
        ..Default::default()
    };
    let report = labeled.library.finetune(&options, &mut |_| {}, cancel)?;
    let trained_after = labeled.score(|row| is_trained(&labeled, row) && !confirmed_rows.contains(&row))?.0;
    let others_after = labeled.score(|row| !is_trained(&labeled, row))?.0;
    Ok(FinetuneEffect {
        trained_people: trained.len(),
        confirmed_per_person: per_person,
        trained_before,
        trained_after,
        others_before,
        others_after,
        report,
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
