//! Fine-tune mode: adapts the embedding to one family with triplet loss on the faces its user
//! has confirmed, and keeps the adapted model only when it groups held-out labeled faces
//! better than the base model.
//!
//! What is trained is a residual linear adapter on the frozen SFace embedding (see
//! `kindred_models::adapter`): it needs only the stored embeddings, so training and re-grouping
//! never decode a photo again, and switching back to the base model is instant. Adapters are
//! stored beside the library (`<library>.models/adapter-<time>.bin`); the setting
//! `embedder.adapter` names the active one, and every people pass maps embeddings through it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kindred_models::adapter::{self, Adapter, LabeledEmbeddings, TrainingConfig};

use kindred_models::Runtime;
pub use kindred_models::adapter::EpochReport;

use crate::cancel::CancelToken;
use crate::catalog::{Catalog, DecisionKind};
use crate::cluster::{self, ClusterParams, Constraints};
use crate::error::{Error, ErrorKind, Result};
use crate::faces::{Device, MODEL_ID};
use crate::people::PeopleSettings;

/// Setting naming the active adapter file (in the models folder), absent for the base model.
const ADAPTER_KEY: &str = "embedder.adapter";

/// Fewest people, and confirmed faces per person, a fine-tune needs.
pub const MIN_PEOPLE: usize = 2;
pub const MIN_FACES_PER_PERSON: usize = 5;

/// Fine-tune settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FinetuneOptions {
    /// α of the triplet loss.
    pub margin: f32,
    pub max_epochs: usize,
    /// Share of each person's confirmed faces held out to validate (at least one each).
    pub validation_share: f32,
    pub seed: u64,
    pub device: Device,
    /// Activate the adapter even when it validates worse (for measurements only: a user's
    /// library never gets a worse model).
    pub activate_even_if_worse: bool,
    /// Fewest confirmed faces of a person trained on (at least 3: one is held out).
    pub min_faces_per_person: usize,
}

impl Default for FinetuneOptions {
    fn default() -> Self {
        let training = TrainingConfig::default();
        FinetuneOptions {
            margin: training.margin,
            max_epochs: training.max_epochs,
            validation_share: 0.2,
            seed: training.seed,
            device: Device::Auto,
            activate_even_if_worse: false,
            min_faces_per_person: MIN_FACES_PER_PERSON,
        }
    }
}

/// What a fine-tune did.
#[derive(Debug, Clone, PartialEq)]
pub struct FinetuneReport {
    pub people: usize,
    pub train_faces: usize,
    pub validation_faces: usize,
    pub hard_negatives: usize,
    /// Of them, faces of one named person said not to be another (look-alikes told apart).
    pub between_people: usize,
    pub epochs: Vec<EpochReport>,
    /// BCubed F1 of grouping the held-out faces, with the base model and with the adapter.
    pub base_score: f32,
    pub tuned_score: f32,
    /// Whether the adapter validated better than the base model.
    pub better: bool,
    /// Whether the adapter is now in use (it validated better, or was asked for anyway).
    pub activated: bool,
    pub adapter_file: Option<PathBuf>,
    pub cancelled: bool,
    pub elapsed: Duration,
}

/// The folder of fine-tuned model versions beside the library.
pub(crate) fn models_dir(library: &Path) -> PathBuf {
    let mut name = library.file_name().unwrap_or_default().to_os_string();
    name.push(".models");
    library.with_file_name(name)
}

/// The active adapter of the library, if any.
pub(crate) fn active_adapter(catalog: &Catalog) -> Result<Option<Adapter>> {
    let Some(file) = catalog.setting(ADAPTER_KEY)? else { return Ok(None) };
    check_adapter_file(&models_dir(catalog.path()).join(&file)).map(Some)
}

/// Reads an adapter file, with errors that say how to get out.
pub(crate) fn check_adapter_file(path: &Path) -> Result<Adapter> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::io(
            path,
            "the fine-tuned model cannot be read (switch back with `kindred finetune --use-base`):",
            e,
        )
    })?;
    Adapter::from_bytes(&bytes, &Runtime::cpu())
        .map_err(|e| Error::new(ErrorKind::Model, format!("{}: {e}", path.display())))
}

/// Maps embeddings (rows of 128) through the active adapter, if any.
pub(crate) fn adapt_embeddings(catalog: &Catalog, rows: &mut [Vec<f32>]) -> Result<()> {
    let Some(adapter) = active_adapter(catalog)? else { return Ok(()) };
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    let adapted = adapter.apply(&flat);
    for (row, new) in rows.iter_mut().zip(adapted.chunks_exact(kindred_models::EMBEDDING_DIM)) {
        row.copy_from_slice(new);
    }
    Ok(())
}

pub(crate) fn set_active(catalog: &Catalog, file: Option<&str>) -> Result<()> {
    match file {
        Some(name) => catalog.set_setting(ADAPTER_KEY, name),
        None => {
            catalog.conn().execute("DELETE FROM settings WHERE key = ?1", [ADAPTER_KEY])?;
            Ok(())
        }
    }
}

pub(crate) fn active_name(catalog: &Catalog) -> Result<Option<String>> {
    catalog.setting(ADAPTER_KEY)
}

/// Confirmed faces of named people: person → (face id, embedding of the base model), and the
/// "not this person" faces: (face id, embedding, person).
type LabeledFaces = (BTreeMap<i64, Vec<(i64, Vec<f32>)>>, Vec<(i64, Vec<f32>, i64)>);

fn labeled_faces(catalog: &Catalog) -> Result<LabeledFaces> {
    let faces: HashMap<i64, Vec<f32>> =
        catalog.faces_for_people(MODEL_ID)?.into_iter().map(|f| (f.id, f.embedding)).collect();
    let names = catalog.person_names()?;
    let mut confirmed: BTreeMap<i64, Vec<(i64, Vec<f32>)>> = BTreeMap::new();
    let mut rejected = Vec::new();
    for d in catalog.decisions()? {
        let (Some(face), Some(person)) = (d.face_id, d.person_id) else { continue };
        let Some(embedding) = faces.get(&face) else { continue };
        match d.kind {
            DecisionKind::Is if names.contains_key(&person) => {
                confirmed.entry(person).or_default().push((face, embedding.clone()))
            }
            DecisionKind::IsNot => rejected.push((face, embedding.clone(), person)),
            _ => {}
        }
    }
    Ok((confirmed, rejected))
}

/// BCubed F1 of grouping `embeddings` (rows) at the library's settings against `labels`.
fn grouping_score(embeddings: &[f32], labels: &[u32], settings: &PeopleSettings) -> f32 {
    let params =
        ClusterParams { threshold: settings.threshold, linkage: settings.linkage, ..Default::default() };
    let predicted =
        cluster::cluster(embeddings, kindred_models::EMBEDDING_DIM, &params, &Constraints::default());
    cluster::score_clustering(&predicted, labels).bcubed_f1 as f32
}

/// Trains an adapter on the library's confirmed faces and activates it if it groups the
/// held-out faces better than the base model. `progress` sees every epoch.
pub(crate) fn finetune(
    catalog: &Catalog,
    settings: &PeopleSettings,
    options: &FinetuneOptions,
    progress: &mut dyn FnMut(&EpochReport),
    cancel: &CancelToken,
) -> Result<FinetuneReport> {
    let started = Instant::now();
    let (confirmed, rejected) = labeled_faces(catalog)?;
    let min_faces = options.min_faces_per_person.max(3);
    let eligible: Vec<_> = confirmed.iter().filter(|(_, faces)| faces.len() >= min_faces).collect();
    if eligible.len() < MIN_PEOPLE {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "fine-tuning needs at least {MIN_PEOPLE} named people with {min_faces} confirmed faces \
                 each; this library has {} (confirm more faces with `kindred review` or `kindred move`)",
                eligible.len()
            ),
        ));
    }
    let mut train = LabeledEmbeddings::default();
    let (mut val_embeddings, mut val_labels) = (Vec::new(), Vec::new());
    let mut label_of: HashMap<i64, u32> = HashMap::new();
    // Training row of each confirmed face trained on.
    let mut train_row: HashMap<i64, usize> = HashMap::new();
    let mut rng = crate::people::synthetic::Rng::new(options.seed);
    for (label, (person, faces)) in eligible.iter().enumerate() {
        label_of.insert(**person, label as u32);
        let mut order: Vec<usize> = (0..faces.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let held_out =
            ((faces.len() as f32 * options.validation_share).round() as usize).clamp(1, faces.len() - 2);
        for (rank, &i) in order.iter().enumerate() {
            let (face, embedding) = &faces[i];
            if rank < held_out {
                val_embeddings.extend_from_slice(embedding);
                val_labels.push(label as u32);
            } else {
                train_row.insert(*face, train.labels.len());
                train.embeddings.extend_from_slice(embedding);
                train.labels.push(label as u32);
            }
        }
    }
    // "Not this person" answers. Those between two named people (a face of one said not to be
    // the other: look-alikes, brothers and sisters) come first, and put both in one batch;
    // then faces known only as not someone, each with a label of its own.
    let mut next_label = eligible.len() as u32;
    let mut between_people = 0;
    for (face, _, person) in &rejected {
        if let (Some(&label), Some(&row)) = (label_of.get(person), train_row.get(face)) {
            train.hard_negatives.push((row, label));
            between_people += 1;
        }
    }
    for (face, embedding, person) in &rejected {
        if let Some(&label) = label_of.get(person)
            && !train_row.contains_key(face)
        {
            train.hard_negatives.push((train.labels.len(), label));
            train.embeddings.extend_from_slice(embedding);
            train.labels.push(next_label);
            next_label += 1;
        }
    }

    let runtime =
        Runtime::new(options.device.preference()).map_err(|e| Error::new(ErrorKind::Model, e.to_string()))?;
    let base_score = grouping_score(&val_embeddings, &val_labels, settings);
    let config = TrainingConfig {
        margin: options.margin,
        max_epochs: options.max_epochs,
        seed: options.seed,
        ..TrainingConfig::default()
    };
    let mut validate = |a: &Adapter| grouping_score(&a.apply(&val_embeddings), &val_labels, settings);
    let mut on_epoch = |report: &EpochReport| {
        progress(report);
        !cancel.is_cancelled()
    };
    let (tuned, epochs) = adapter::train(&runtime, &train, &config, &mut validate, &mut on_epoch)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
    let tuned_score = epochs.iter().map(|e| e.validation).fold(f32::MIN, f32::max);
    let mut report = FinetuneReport {
        people: eligible.len(),
        train_faces: train.labels.len() - (train.hard_negatives.len() - between_people),
        validation_faces: val_labels.len(),
        hard_negatives: train.hard_negatives.len(),
        between_people,
        epochs,
        base_score,
        tuned_score,
        better: tuned_score > base_score,
        activated: false,
        adapter_file: None,
        cancelled: cancel.is_cancelled(),
        elapsed: Duration::ZERO,
    };
    if !report.cancelled && (report.better || options.activate_even_if_worse) {
        let dir = models_dir(catalog.path());
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "cannot create", e))?;
        let name = format!("adapter-{}.bin", crate::time::now_utc().replace([':', '-'], ""));
        let path = dir.join(&name);
        let bytes = tuned.to_bytes();
        crate::files::write_atomically(&path, crate::files::Durability::Synced, |file| {
            std::io::Write::write_all(file, &bytes)
        })
        .map_err(|e| Error::io(&path, "cannot write", e))?;
        set_active(catalog, Some(&name))?;
        report.activated = true;
        report.adapter_file = Some(path);
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Training speed on synthetic labeled faces (10 per person): `epochs` epochs over `faces`
/// faces. Returns the seconds of each epoch.
pub fn benchmark(faces: usize, epochs: usize, device: Device) -> Result<Vec<f64>> {
    let mut rng = crate::people::synthetic::Rng::new(7);
    let people = crate::people::synthetic::identities((faces / 10).max(2), &mut rng);
    let mut data = LabeledEmbeddings::default();
    for i in 0..faces {
        let person = i % people.len();
        data.embeddings.extend(crate::people::synthetic::face_of(&people[person], &mut rng));
        data.labels.push(person as u32);
    }
    let runtime =
        Runtime::new(device.preference()).map_err(|e| Error::new(ErrorKind::Model, e.to_string()))?;
    // An epoch draws every person once (at least 16 batches), as a fine-tune does.
    let config = TrainingConfig { max_epochs: epochs, patience: epochs + 1, ..TrainingConfig::default() };
    let mut times = Vec::new();
    let mut last = Instant::now();
    let mut on_epoch = |_: &EpochReport| {
        times.push(last.elapsed().as_secs_f64());
        last = Instant::now();
        true
    };
    adapter::train(&runtime, &data, &config, &mut |_| 0.0, &mut on_epoch)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Library;
    use crate::people::synthetic::{self, Rng};

    #[test]
    fn fine_tuning_needs_enough_labels_and_keeps_only_a_better_model() {
        let dir = tempfile::tempdir().unwrap();
        let mut library = Library::open(&dir.path().join("library.db")).unwrap();
        let mut rng = Rng::new(5);
        let people = synthetic::identities(6, &mut rng);
        synthetic::add_photos(&mut library, &people, 120, 2, 0, &mut rng).unwrap();
        library.update_people().unwrap();
        let options = FinetuneOptions { device: Device::Cpu, max_epochs: 8, ..FinetuneOptions::default() };

        let error = library.finetune(&options, &mut |_| {}, &CancelToken::new()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(error.to_string().contains("at least 2 named people"), "{error}");

        let groups: Vec<i64> =
            library.people(true).unwrap().iter().filter(|p| p.faces >= 5).map(|p| p.id).collect();
        assert!(groups.len() >= 2);
        for (i, group) in groups.iter().enumerate() {
            library.name_person(*group, &format!("Person {i}")).unwrap();
        }
        let mut epochs_seen = 0;
        let report = library.finetune(&options, &mut |_| epochs_seen += 1, &CancelToken::new()).unwrap();
        assert_eq!(report.epochs.len(), epochs_seen);
        assert!(report.train_faces > 0 && report.validation_faces >= groups.len());
        assert_eq!(report.activated, report.better, "activated exactly when it validates better");
        assert_eq!(library.active_adapter().unwrap().is_some(), report.activated);
        if let Some(file) = &report.adapter_file {
            assert!(file.is_file());
        }
        for (i, group) in groups.iter().enumerate() {
            assert_eq!(library.person(*group).unwrap().name, Some(format!("Person {i}")), "names untouched");
        }

        // Measured anyway: the adapter is activated, used by the passes, and switched off again.
        let forced = FinetuneOptions { activate_even_if_worse: true, ..options };
        let report = library.finetune(&forced, &mut |_| {}, &CancelToken::new()).unwrap();
        assert!(report.activated);
        let name = library.active_adapter().unwrap().expect("an active adapter");
        library.recluster_people().unwrap();
        library.use_adapter(None).unwrap();
        assert_eq!(library.active_adapter().unwrap(), None);
        library.use_adapter(Some(&name)).unwrap();
        assert_eq!(library.active_adapter().unwrap(), Some(name));
        assert!(library.use_adapter(Some("adapter-none.bin")).is_err());
        for (i, group) in groups.iter().enumerate() {
            assert_eq!(library.person(*group).unwrap().name, Some(format!("Person {i}")));
        }
    }
}
