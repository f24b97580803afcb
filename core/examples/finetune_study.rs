//! Study of fine-tuning settings on a library whose faces are already found.
//!
//! ```text
//! finetune_study LIBRARY.db FACES_DIR LABELS.csv PEOPLE PER_PERSON [LR DECAY MARGIN EPOCHS]...
//! ```
//! The main face of each labeled photo is its largest. The first PEOPLE identities (by name)
//! with more than PER_PERSON such faces give PER_PERSON faces each for training (80%) and
//! validation (20%), as `kindred finetune` splits them; every setting is scored by BCubed F1 of
//! average-linkage grouping at the default threshold, on the trained people's other faces and
//! on every other person, before and after.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use kindred_core::Library;
use kindred_core::cluster::{self, ClusterParams, Constraints};
use kindred_models::adapter::{self, Adapter, LabeledEmbeddings, TrainingConfig};
use kindred_models::{EMBEDDING_DIM, Runtime};

fn f1(embeddings: &[f32], labels: &[u32]) -> f64 {
    let params = ClusterParams::default();
    let predicted = cluster::cluster(embeddings, EMBEDDING_DIM, &params, &Constraints::default());
    cluster::score_clustering(&predicted, labels).bcubed_f1
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let library = Library::open(Path::new(&args[0])).expect("library");
    let dir = std::fs::canonicalize(&args[1]).expect("faces dir");
    let rows = kindred_core::eval::read_csv(Path::new(&args[2])).expect("labels");
    let people: usize = args[3].parse().unwrap();
    let per_person: usize = args[4].parse().unwrap();
    let photos: HashMap<std::path::PathBuf, i64> = library
        .photos(&kindred_core::PhotoFilter::default())
        .unwrap()
        .into_iter()
        .map(|p| (p.path, p.id))
        .collect();
    let mut by_identity: BTreeMap<String, Vec<Vec<f32>>> = BTreeMap::new();
    for row in &rows {
        let Some(&id) = photos.get(&dir.join(&row["path"])) else { continue };
        if let Some(face) = library.faces_of_photo(id).unwrap().first() {
            by_identity.entry(row["identity"].clone()).or_default().push(face.embedding.clone());
        }
    }
    let trained: Vec<String> = by_identity
        .iter()
        .filter(|(_, f)| f.len() > per_person)
        .map(|(k, _)| k.clone())
        .take(people)
        .collect();
    let (mut train, mut val) = (LabeledEmbeddings::default(), (Vec::new(), Vec::new()));
    let (mut rest, mut others) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    for (label, (identity, faces)) in by_identity.iter().enumerate() {
        let is_trained = trained.contains(identity);
        for (i, face) in faces.iter().enumerate() {
            let target = if !is_trained {
                &mut others
            } else if i >= per_person {
                &mut rest
            } else if i < per_person / 5 {
                &mut val
            } else {
                train.embeddings.extend_from_slice(face);
                train.labels.push(label as u32);
                continue;
            };
            target.0.extend_from_slice(face);
            target.1.push(label as u32);
        }
    }
    println!(
        "{} trained people: {} train, {} validation faces; {} other faces of them, {} of others",
        trained.len(),
        train.labels.len(),
        val.1.len(),
        rest.1.len(),
        others.1.len()
    );
    println!(
        "base: validation {:.4}, rest {:.4}, others {:.4}",
        f1(&val.0, &val.1),
        f1(&rest.0, &rest.1),
        f1(&others.0, &others.1)
    );
    let rt = Runtime::cpu();
    for setting in args[5..].chunks(4) {
        let config = TrainingConfig {
            learning_rate: setting[0].parse().unwrap(),
            weight_decay: setting[1].parse().unwrap(),
            margin: setting[2].parse().unwrap(),
            max_epochs: setting[3].parse().unwrap(),
            patience: 1000,
            // FACES_PER_PERSON and PEOPLE_PER_BATCH vary the batch shape (P × K).
            faces_per_person: std::env::var("FACES_PER_PERSON")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(4),
            people_per_batch: std::env::var("PEOPLE_PER_BATCH")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(16),
            ..TrainingConfig::default()
        };
        let started = std::time::Instant::now();
        let mut validate = |a: &Adapter| f1(&a.apply(&val.0), &val.1) as f32;
        let (adapter, reports) = adapter::train(&rt, &train, &config, &mut validate, &mut |_| true).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let best = reports.iter().max_by(|a, b| a.validation.total_cmp(&b.validation)).unwrap();
        println!(
            "lr {} decay {} margin {} epochs {}: {:.1} s, loss {:.4} → {:.4}, best epoch {} (val {:.4}); rest {:.4}, others {:.4}",
            setting[0],
            setting[1],
            setting[2],
            setting[3],
            seconds,
            reports[0].loss,
            reports.last().unwrap().loss,
            best.epoch,
            best.validation,
            f1(&adapter.apply(&rest.0), &rest.1),
            f1(&adapter.apply(&others.0), &others.1)
        );
    }
}
