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
    /// Scores of children and adults apart, when the labels give ages.
    pub by_age: Vec<AgeGroupScores>,
    pub settings: PeopleSettings,
    /// Seconds spent finding faces, and grouping them.
    pub faces_seconds: f64,
    pub clustering_seconds: f64,
}

/// Which of the labeled people an evaluation uses: all, or those at even (odd) places of the
/// sorted identities, so that settings chosen on one half can be measured on the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PeopleHalf {
    #[default]
    All,
    Even,
    Odd,
}

impl PeopleHalf {
    pub fn parse(text: &str) -> Option<PeopleHalf> {
        match text {
            "all" => Some(PeopleHalf::All),
            "even" => Some(PeopleHalf::Even),
            "odd" => Some(PeopleHalf::Odd),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PeopleHalf::All => "all",
            PeopleHalf::Even => "even",
            PeopleHalf::Odd => "odd",
        }
    }
}

/// What the optional columns of a labels file say about a photo.
#[derive(Debug, Clone, Default, PartialEq)]
struct RowFacts {
    /// `taken`: when the photo was taken (it replaces the photo's own date).
    taken: Option<String>,
    /// `birth`: the person's birth date.
    birth: Option<String>,
    /// `age`: the person's age in the photo.
    age: Option<f32>,
}

/// The photos a labels file lists, analysed in a throwaway library.
pub(crate) struct LabeledLibrary {
    /// Keeps the library and the linked photos alive.
    _work: tempfile::TempDir,
    pub(crate) library: Library,
    /// (path relative to the folder, identity) of every labeled row.
    pub(crate) listed: Vec<(PathBuf, String)>,
    /// The optional columns of each listed row.
    facts: Vec<RowFacts>,
    pub(crate) photos_missing: Vec<PathBuf>,
    /// Photo id of each listed path found in the library.
    photo_ids: HashMap<PathBuf, i64>,
    pub(crate) faces: u64,
    pub(crate) faces_seconds: f64,
    /// The folder the labels' paths are relative to, and the library's linked copy of it.
    dir: PathBuf,
    photos_dir: PathBuf,
}

impl LabeledLibrary {
    /// Scans and finds the faces of every photo `labels` lists (columns `path`, `identity`;
    /// paths relative to `dir`; the optional columns as for [`clustering`]) in a new library
    /// with `settings`.
    pub(crate) fn build(
        engine: &FaceEngine,
        dir: &Path,
        labels: &Path,
        settings: &PeopleSettings,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<LabeledLibrary> {
        let mut labeled = LabeledLibrary::empty(dir, labels, settings, PeopleHalf::All)?;
        labeled.add_rows(engine, |_| true, sink, cancel)?;
        Ok(labeled)
    }

    /// A new library for the rows of `labels` about the people `half` selects, with no photo yet.
    fn empty(
        dir: &Path,
        labels: &Path,
        settings: &PeopleSettings,
        half: PeopleHalf,
    ) -> Result<LabeledLibrary> {
        settings.validate()?;
        let rows = read_csv(labels)?;
        let mut listed: Vec<(PathBuf, String)> = Vec::new();
        let mut facts = Vec::new();
        for (n, row) in rows.iter().enumerate() {
            let (Some(path), Some(identity)) = (row.get("path"), row.get("identity")) else {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{} needs the columns path and identity (row {})", labels.display(), n + 2),
                ));
            };
            if identity.trim().is_empty() {
                continue;
            }
            let date = |column: &str| -> Result<Option<String>> {
                match row.get(column).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                    None => Ok(None),
                    Some(text) => crate::time::parse_date(text).map(Some).ok_or_else(|| {
                        Error::new(
                            ErrorKind::InvalidInput,
                            format!(
                                "{} row {}: {column} {text:?} is not a date YYYY-MM-DD",
                                labels.display(),
                                n + 2
                            ),
                        )
                    }),
                }
            };
            let age = match row.get("age").map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => None,
                Some(text) => Some(text.parse::<f32>().map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidInput,
                        format!("{} row {}: age {text:?} is not a number", labels.display(), n + 2),
                    )
                })?),
            };
            listed.push((PathBuf::from(path), identity.trim().to_string()));
            facts.push(RowFacts { taken: date("taken")?, birth: date("birth")?, age });
        }
        if half != PeopleHalf::All {
            let mut people: Vec<&str> = listed.iter().map(|(_, id)| id.as_str()).collect();
            people.sort_unstable();
            people.dedup();
            let parity = usize::from(half == PeopleHalf::Odd);
            let kept: std::collections::HashSet<String> = people
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == parity)
                .map(|(_, p)| p.to_string())
                .collect();
            let (rows, row_facts): (Vec<_>, Vec<_>) =
                listed.into_iter().zip(facts).filter(|((_, id), _)| kept.contains(id)).unzip();
            listed = rows;
            facts = row_facts;
        }
        // The photos are linked, not copied, into a folder of their own so that the library
        // sees exactly the listed photos.
        let work =
            tempfile::tempdir().map_err(|e| Error::io(Path::new("temporary folder"), "cannot create", e))?;
        let photos_dir = work.path().join("photos");
        std::fs::create_dir_all(&photos_dir).map_err(|e| Error::io(&photos_dir, "cannot create", e))?;
        let library = Library::open(&work.path().join("eval.db"))?;
        settings.save(library.catalog())?;
        let photos_missing = listed
            .iter()
            .filter(|(relative, _)| relative.is_absolute() || !dir.join(relative).is_file())
            .map(|(relative, _)| relative.clone())
            .collect();
        Ok(LabeledLibrary {
            _work: work,
            library,
            listed,
            facts,
            photos_missing,
            photo_ids: HashMap::new(),
            faces: 0,
            faces_seconds: 0.0,
            dir: dir.to_path_buf(),
            photos_dir,
        })
    }

    /// Adds the photos of the listed rows `rows` selects: links them into the library's
    /// folder, scans it, dates them from the `taken` column, and finds their faces (which
    /// runs the people pass, as `kindred faces` does).
    fn add_rows(
        &mut self,
        engine: &FaceEngine,
        rows: impl Fn(usize) -> bool,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<crate::PeopleSummary> {
        for (i, (relative, _)) in self.listed.iter().enumerate() {
            if !rows(i) || self.photos_missing.contains(relative) {
                continue;
            }
            let link = self.photos_dir.join(relative);
            if link.symlink_metadata().is_ok() {
                continue;
            }
            if let Some(parent) = link.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "cannot create", e))?;
            }
            let source = self.dir.join(relative);
            let source = std::fs::canonicalize(&source).map_err(|e| Error::io(&source, "cannot open", e))?;
            link_or_copy(&source, &link)?;
        }
        self.library.scan(std::slice::from_ref(&self.photos_dir), &ScanOptions::default(), sink, cancel)?;
        let root = std::fs::canonicalize(&self.photos_dir)
            .map_err(|e| Error::io(&self.photos_dir, "cannot open", e))?;
        for photo in self.library.photos(&crate::PhotoFilter::default())? {
            if let Ok(relative) = photo.path.strip_prefix(&root) {
                self.photo_ids.insert(relative.to_path_buf(), photo.id);
            }
        }
        // The labels' dates stand in for the photos' EXIF dates.
        for ((relative, _), facts) in self.listed.iter().zip(&self.facts) {
            if let (Some(taken), Some(&photo)) = (&facts.taken, self.photo_ids.get(relative)) {
                self.library.catalog().conn().execute(
                    "UPDATE photos SET taken_at = ?1 WHERE id = ?2",
                    rusqlite::params![format!("{taken}T12:00:00"), photo],
                )?;
            }
        }
        let started = std::time::Instant::now();
        let found = self.library.find_faces(engine, sink, cancel)?;
        if found.cancelled {
            return Err(Error::cancelled());
        }
        self.faces += found.faces;
        self.faces_seconds += started.elapsed().as_secs_f64() - found.people.elapsed.as_secs_f64();
        Ok(found.people)
    }

    /// Rows of each identity that have a main face, in file order: identity → (row, face).
    fn rows_by_person(&self) -> Result<std::collections::BTreeMap<String, Vec<(usize, i64)>>> {
        let mut rows_of: std::collections::BTreeMap<String, Vec<(usize, i64)>> = Default::default();
        for (i, (relative, identity)) in self.listed.iter().enumerate() {
            if let Some(face) = self.main_face(relative)? {
                rows_of.entry(identity.clone()).or_default().push((i, face));
            }
        }
        Ok(rows_of)
    }

    /// `count` of `rows` (one person's), spread evenly over their dates when the labels give
    /// dates (the youngest and the oldest photo among them), else the first ones.
    fn spread<T: Copy>(&self, rows: &[(usize, T)], count: usize) -> Vec<(usize, T)> {
        let mut sorted: Vec<(usize, T)> = rows.to_vec();
        if sorted.iter().all(|&(row, _)| self.facts[row].taken.is_some()) {
            sorted.sort_by(|a, b| self.facts[a.0].taken.cmp(&self.facts[b.0].taken).then(a.0.cmp(&b.0)));
            if count > 1 && sorted.len() > count {
                return (0..count)
                    .map(|i| sorted[(i * (sorted.len() - 1) + (count - 1) / 2) / (count - 1)])
                    .collect();
            }
        }
        sorted.truncate(count);
        sorted
    }

    /// Confirms `chosen` faces of `identity` as a new person of that name, with the birth date
    /// the labels give, as a user would.
    fn name_person(&mut self, identity: &str, chosen: &[(usize, i64)]) -> Result<i64> {
        let faces: Vec<i64> = chosen.iter().map(|&(_, face)| face).collect();
        let person = self.library.move_faces_to_new_person(&faces, identity)?;
        if let Some(birth) = chosen.iter().find_map(|&(row, _)| self.facts[row].birth.clone()) {
            self.library.set_birth_date(person, Some(&birth))?;
        }
        Ok(person)
    }

    /// The main (largest) face of a listed photo, if it was found and has one.
    pub(crate) fn main_face(&self, relative: &Path) -> Result<Option<i64>> {
        let Some(&photo) = self.photo_ids.get(relative) else { return Ok(None) };
        Ok(self.library.faces_of_photo(photo)?.first().map(|f| f.id))
    }

    /// Scores the people of the main faces of the listed rows `rows` selects.
    fn score(&self, rows: impl Fn(usize) -> bool) -> Result<(ClusteringScores, Vec<PathBuf>)> {
        let (predicted, truth, _, without_face) = self.labels_of(rows)?;
        Ok((score_clustering(&predicted, &truth), without_face))
    }
}

/// Predicted and true labels of scored faces, the row of each, and the rows without a face.
type LabelsOfRows = (Vec<u32>, Vec<u32>, Vec<usize>, Vec<PathBuf>);

/// BCubed precision, recall and F1 of the faces of one age group, within the clustering of all
/// scored faces.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeGroupScores {
    /// "under 13", "13 to 17", "18 and over".
    pub group: &'static str,
    pub faces: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// The age groups reported apart.
const AGE_GROUPS: [(&str, f32, f32); 3] =
    [("under 13", 0.0, 13.0), ("13 to 17", 13.0, 18.0), ("18 and over", 18.0, f32::INFINITY)];

fn age_group(age: f32) -> Option<&'static str> {
    AGE_GROUPS.iter().find(|(_, low, high)| age >= *low && age < *high).map(|g| g.0)
}

/// Per-item BCubed averaged over the items `include` selects (the clusters are of all items).
fn bcubed_of(predicted: &[u32], truth: &[u32], include: impl Fn(usize) -> bool) -> (usize, f64, f64, f64) {
    let mut cluster_size: HashMap<u32, f64> = HashMap::new();
    let mut class_size: HashMap<u32, f64> = HashMap::new();
    let mut cell: HashMap<(u32, u32), f64> = HashMap::new();
    for (&p, &t) in predicted.iter().zip(truth) {
        *cluster_size.entry(p).or_default() += 1.0;
        *class_size.entry(t).or_default() += 1.0;
        *cell.entry((p, t)).or_default() += 1.0;
    }
    let (mut n, mut precision, mut recall) = (0usize, 0.0, 0.0);
    for (i, (&p, &t)) in predicted.iter().zip(truth).enumerate() {
        if include(i) {
            n += 1;
            precision += cell[&(p, t)] / cluster_size[&p];
            recall += cell[&(p, t)] / class_size[&t];
        }
    }
    if n == 0 {
        return (0, 1.0, 1.0, 1.0);
    }
    let (precision, recall) = (precision / n as f64, recall / n as f64);
    (n, precision, recall, 2.0 * precision * recall / (precision + recall))
}

impl LabeledLibrary {
    /// Predicted and true labels of the main faces of the listed rows `rows` selects, with the
    /// row of each; and the rows without a face.
    fn labels_of(&self, rows: impl Fn(usize) -> bool) -> Result<LabelsOfRows> {
        let mut identities: HashMap<&str, u32> = HashMap::new();
        let (mut predicted, mut truth, mut scored) = (Vec::new(), Vec::new(), Vec::new());
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
            scored.push(i);
        }
        Ok((predicted, truth, scored, without_face))
    }

    /// BCubed scores of each age group, when the labels give ages.
    fn scores_by_age(&self, rows: impl Fn(usize) -> bool) -> Result<Vec<AgeGroupScores>> {
        let (predicted, truth, scored, _) = self.labels_of(rows)?;
        let mut groups = Vec::new();
        for (group, _, _) in AGE_GROUPS {
            let in_group = |k: usize| self.facts[scored[k]].age.and_then(age_group) == Some(group);
            let (faces, precision, recall, f1) = bcubed_of(&predicted, &truth, in_group);
            if faces > 0 {
                groups.push(AgeGroupScores { group, faces, precision, recall, f1 });
            }
        }
        Ok(groups)
    }
}

/// Runs scan, face finding and grouping on the photos `labels` lists (columns `path`,
/// `identity`; paths relative to `dir`; optional `taken` and `birth` dates, and `age`) in a
/// throwaway library, and scores the person given to each photo's main face (its largest)
/// against the labels. Bystanders are clustered like any face but not scored; photos with no
/// face are reported, not scored. `taken` replaces the photos' own dates; with `age`, the
/// scores of children and adults are reported apart.
pub fn clustering(
    engine: &FaceEngine,
    dir: &Path,
    labels: &Path,
    settings: &PeopleSettings,
    half: PeopleHalf,
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<ClusteringReport> {
    let mut labeled = LabeledLibrary::empty(dir, labels, settings, half)?;
    labeled.add_rows(engine, |_| true, sink, cancel)?;
    // The face job grouped the faces as an incremental pass would; measure the full pass.
    let people = labeled.library.recluster_people()?;
    let (scores, photos_without_face) = labeled.score(|_| true)?;
    let by_age = labeled.scores_by_age(|_| true)?;
    Ok(ClusteringReport {
        photos_listed: labeled.listed.len(),
        photos_missing: labeled.photos_missing.clone(),
        scored: scores_len(&labeled, &photos_without_face),
        photos_without_face,
        faces: labeled.faces,
        scores,
        by_age,
        settings: *settings,
        faces_seconds: labeled.faces_seconds,
        clustering_seconds: people.elapsed.as_secs_f64(),
    })
}

fn scores_len(labeled: &LabeledLibrary, without_face: &[PathBuf]) -> usize {
    labeled.listed.len() - labeled.photos_missing.len() - without_face.len()
}

/// How well faces earn names: a few faces of each person are confirmed, the other photos are
/// added, and the faces Kindred puts on named people are checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NamingReport {
    pub confirmed_per_person: usize,
    /// People named, and people left unnamed (strangers to the library).
    pub named_people: usize,
    pub strangers: usize,
    /// Main faces of the named people's other photos.
    pub named_faces: usize,
    /// Main faces of the strangers' photos.
    pub stranger_faces: usize,
    /// Main faces put on a named person, and how many of them on the right one.
    pub placed: usize,
    pub placed_right: usize,
    /// Strangers' faces given a name.
    pub strangers_named: usize,
    /// Other faces (bystanders) put on a named person.
    pub bystanders_named: usize,
    /// `placed_right / placed`, and `placed_right / named_faces`.
    pub precision: f64,
    pub coverage: f64,
    /// (age group, main faces of named people there, placed, placed right), when the labels
    /// give ages.
    pub by_age: Vec<(&'static str, usize, usize, usize)>,
    /// What the face job's people pass did with the other photos.
    pub people: crate::PeopleSummary,
}

/// Measures the evidence names need on labeled photos, as a user meets it: in a throwaway
/// library, the photos of `confirmed` faces of each labeled person (spread over their dates
/// when the labels give them) are added first and their main faces confirmed under the
/// person's name (with the labels' birth date), then the other photos are added and the face
/// job places their faces. With `strangers`, every other person is left unnamed: their faces
/// must stay unnamed. Scores the main faces put on named people.
#[allow(clippy::too_many_arguments)]
pub fn naming(
    engine: &FaceEngine,
    dir: &Path,
    labels: &Path,
    settings: &PeopleSettings,
    half: PeopleHalf,
    (confirmed, strangers): (usize, bool),
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<NamingReport> {
    if confirmed == 0 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "confirm at least one face of each person (--name 1 or more)",
        ));
    }
    let mut labeled = LabeledLibrary::empty(dir, labels, settings, half)?;
    let mut rows_of: std::collections::BTreeMap<String, Vec<(usize, ())>> = Default::default();
    for (i, (relative, identity)) in labeled.listed.iter().enumerate() {
        if !labeled.photos_missing.contains(relative) {
            rows_of.entry(identity.clone()).or_default().push((i, ()));
        }
    }
    // People with photos left to place once theirs are confirmed; every other one a stranger.
    let people: Vec<&String> =
        rows_of.iter().filter(|(_, rows)| rows.len() > confirmed).map(|(p, _)| p).collect();
    let named: std::collections::HashSet<String> = people
        .iter()
        .enumerate()
        .filter(|(i, _)| !strangers || i % 2 == 0)
        .map(|(_, p)| (*p).clone())
        .collect();
    let first: std::collections::HashSet<usize> = named
        .iter()
        .flat_map(|p| labeled.spread(&rows_of[p], confirmed).into_iter().map(|(row, _)| row))
        .collect();
    labeled.add_rows(engine, |row| first.contains(&row), sink, cancel)?;
    let mut chosen_of: HashMap<String, Vec<(usize, i64)>> = HashMap::new();
    for &row in &first {
        if let Some(face) = labeled.main_face(&labeled.listed[row].0)? {
            chosen_of.entry(labeled.listed[row].1.clone()).or_default().push((row, face));
        }
    }
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut identities: Vec<&String> = chosen_of.keys().collect();
    identities.sort();
    for identity in identities.into_iter().cloned().collect::<Vec<_>>() {
        let mut chosen = chosen_of[&identity].clone();
        chosen.sort_unstable();
        let person = labeled.name_person(&identity, &chosen)?;
        names.insert(person, identity);
    }
    let people_pass = labeled.add_rows(engine, |row| !first.contains(&row), sink, cancel)?;

    let mut report = NamingReport {
        confirmed_per_person: confirmed,
        named_people: names.len(),
        strangers: rows_of.len() - names.len(),
        named_faces: 0,
        stranger_faces: 0,
        placed: 0,
        placed_right: 0,
        strangers_named: 0,
        bystanders_named: 0,
        precision: 1.0,
        coverage: 0.0,
        by_age: Vec::new(),
        people: people_pass,
    };
    let named_identities: std::collections::HashSet<&String> = names.values().collect();
    let mut by_age: HashMap<&'static str, (usize, usize, usize)> = HashMap::new();
    let mut main_faces = std::collections::HashSet::new();
    for (row, (relative, identity)) in labeled.listed.iter().enumerate() {
        if first.contains(&row) || labeled.photos_missing.contains(relative) {
            continue;
        }
        let Some(face) = labeled.main_face(relative)? else { continue };
        main_faces.insert(face);
        let given = labeled
            .library
            .catalog()
            .assignment_of_face(face)?
            .and_then(|(person, _)| names.get(&labeled.library.person(person).ok()?.id));
        let is_named = named_identities.contains(identity);
        let group = labeled.facts[row].age.and_then(age_group);
        if is_named {
            report.named_faces += 1;
        } else {
            report.stranger_faces += 1;
        }
        if let Some(given) = given {
            report.placed += 1;
            if given == identity {
                report.placed_right += 1;
            } else if !is_named {
                report.strangers_named += 1;
            }
        }
        if let Some(group) = group
            && is_named
        {
            let entry = by_age.entry(group).or_default();
            entry.0 += 1;
            entry.1 += usize::from(given.is_some());
            entry.2 += usize::from(given == Some(identity));
        }
    }
    for photo in labeled.photo_ids.values() {
        for face in labeled.library.faces_of_photo(*photo)? {
            if !main_faces.contains(&face.id)
                && let Some((person, how)) = labeled.library.catalog().assignment_of_face(face.id)?
                && how != crate::Assignment::User
                && names.contains_key(&person)
            {
                report.bystanders_named += 1;
            }
        }
    }
    report.precision =
        if report.placed == 0 { 1.0 } else { report.placed_right as f64 / report.placed as f64 };
    report.coverage = report.placed_right as f64 / report.named_faces.max(1) as f64;
    report.by_age = AGE_GROUPS
        .iter()
        .filter_map(|(group, _, _)| by_age.get(group).map(|&(n, placed, right)| (*group, n, placed, right)))
        .collect();
    Ok(report)
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
/// photos with a face) get `per_person` faces confirmed and named, as a user would (spread over
/// their dates, with their birth dates, when the labels give them); the faces
/// are grouped with the base model, an adapter is trained on the confirmed faces, and the faces
/// are grouped again with it. Both groupings keep the confirmations as constraints, so the
/// difference is the adapter's. The adapter is measured even when the product would not have
/// activated it (the report says whether it would).
#[allow(clippy::too_many_arguments)]
pub fn finetune_effect(
    engine: &FaceEngine,
    dir: &Path,
    labels: &Path,
    settings: &PeopleSettings,
    half: PeopleHalf,
    (people, per_person): (usize, usize),
    sink: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<FinetuneEffect> {
    let mut labeled = LabeledLibrary::empty(dir, labels, settings, half)?;
    labeled.add_rows(engine, |_| true, sink, cancel)?;
    let rows_of = labeled.rows_by_person()?;
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
        let chosen = labeled.spread(&rows_of[identity], per_person);
        labeled.name_person(identity, &chosen)?;
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
        min_faces_per_person: per_person.min(crate::finetune::MIN_FACES_PER_PERSON),
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
