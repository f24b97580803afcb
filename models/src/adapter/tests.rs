use super::*;

/// A 4 × 4 distance matrix from a list of (i, j, d) entries, symmetric.
fn distances(entries: &[(usize, usize, f32)], n: usize) -> Vec<f32> {
    let mut d = vec![0f32; n * n];
    for &(i, j, v) in entries {
        d[i * n + j] = v;
        d[j * n + i] = v;
    }
    d
}

#[test]
fn mining_picks_semi_hard_negatives_and_falls_back_gently() {
    // Faces 0, 1 are one person; 2, 3, 4 others. d(0,1) = 0.5.
    let labels = [7, 7, 8, 9, 9];
    let d = distances(
        &[
            (0, 1, 0.5),
            (0, 2, 0.4),  // hard (closer than the positive)
            (0, 3, 0.65), // semi-hard (0.5 < 0.65 < 0.7)
            (0, 4, 0.9),  // beyond the margin
            (1, 2, 0.3),  // hard
            (1, 3, 0.45), // hard, the least hard
            (1, 4, 1.2),
            (2, 3, 1.0),
            (2, 4, 1.0),
            (3, 4, 0.1),
        ],
        5,
    );
    let triplets = select_triplets(&d, &labels, 0.2);
    // Anchor 0 → semi-hard 3. Anchor 1 has no semi-hard negative: the least hard, 3.
    assert!(triplets.contains(&(0, 1, 3)), "{triplets:?}");
    assert!(triplets.contains(&(1, 0, 3)), "{triplets:?}");
    // Faces 3 and 4 are close (0.1): every negative is beyond the margin for anchor 3 (1.0 vs
    // 0.1 + 0.2), except 0 (0.65) and 1 (0.45) which are beyond too: nothing to learn.
    assert!(!triplets.iter().any(|t| t.0 == 3 || t.0 == 4), "{triplets:?}");
    for &(a, p, n) in &triplets {
        assert_eq!(labels[a], labels[p]);
        assert_ne!(labels[a], labels[n]);
        let (d_ap, d_an) = (d[a * 5 + p], d[a * 5 + n]);
        let semi_hard = d_an > d_ap && d_an < d_ap + 0.2;
        assert!(semi_hard || d_an <= d_ap, "({a},{p},{n}): d_ap {d_ap}, d_an {d_an}");
    }
}

/// Six people whose faces vary mostly along a few shared "nuisance" directions (light, age,
/// pose): in the base embedding a face is often nearer another person's face in the same
/// conditions than its own person's. `faces_seed` draws other faces of the same people.
fn people_in_varying_conditions(faces_seed: u64, faces_per_person: usize) -> LabeledEmbeddings {
    let mut rng = Rng(7);
    let normal = |rng: &mut Rng| {
        let u1 = (rng.below(1 << 24) as f32 + 0.5) / (1 << 24) as f32;
        let u2 = rng.below(1 << 24) as f32 / (1 << 24) as f32;
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    };
    let unit = |v: Vec<f32>| {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
    };
    let people: Vec<Vec<f32>> =
        (0..6).map(|_| unit((0..EMBEDDING_DIM).map(|_| normal(&mut rng)).collect())).collect();
    let nuisance: Vec<Vec<f32>> =
        (0..4).map(|_| unit((0..EMBEDDING_DIM).map(|_| normal(&mut rng)).collect())).collect();
    let mut rng = Rng(faces_seed);
    let mut data = LabeledEmbeddings::default();
    for (label, centre) in people.iter().enumerate() {
        for _ in 0..faces_per_person {
            let mut face: Vec<f32> = centre.iter().map(|c| 0.5 * c + 0.01 * normal(&mut rng)).collect();
            for direction in &nuisance {
                let amount = 0.6 * normal(&mut rng);
                face.iter_mut().zip(direction).for_each(|(f, d)| *f += amount * d);
            }
            data.embeddings.extend(unit(face));
            data.labels.push(label as u32);
        }
    }
    data
}

/// Share of faces whose nearest other face (cosine) has their label.
fn nearest_neighbour_accuracy(embeddings: &[f32], labels: &[u32]) -> f32 {
    let n = labels.len();
    let row = |i: usize| &embeddings[i * EMBEDDING_DIM..(i + 1) * EMBEDDING_DIM];
    let mut right = 0;
    for i in 0..n {
        let best = (0..n)
            .filter(|&j| j != i)
            .max_by(|&a, &b| {
                let da: f32 = row(i).iter().zip(row(a)).map(|(x, y)| x * y).sum();
                let db: f32 = row(i).iter().zip(row(b)).map(|(x, y)| x * y).sum();
                da.total_cmp(&db)
            })
            .unwrap();
        right += usize::from(labels[best] == labels[i]);
    }
    right as f32 / n as f32
}

#[test]
fn training_lowers_the_loss_and_raises_the_validation_score() {
    let rt = Runtime::cpu();
    let train_set = people_in_varying_conditions(1, 8);
    let validation_set = people_in_varying_conditions(2, 16);
    let before = nearest_neighbour_accuracy(&validation_set.embeddings, &validation_set.labels);
    let config =
        TrainingConfig { max_epochs: 30, patience: 30, people_per_batch: 6, ..TrainingConfig::default() };
    let mut validate = |adapter: &Adapter| {
        nearest_neighbour_accuracy(&adapter.apply(&validation_set.embeddings), &validation_set.labels)
    };
    let (adapter, reports) = train(&rt, &train_set, &config, &mut validate, &mut |_| true).unwrap();
    let first = reports.first().unwrap();
    let last = reports.last().unwrap();
    assert!(last.loss < first.loss * 0.7, "loss {} → {}", first.loss, last.loss);
    let after =
        nearest_neighbour_accuracy(&adapter.apply(&validation_set.embeddings), &validation_set.labels);
    assert!(after > before + 0.05, "validation {before} → {after}");
    // Adapted vectors stay unit length; the weights survive a round trip through bytes.
    let adapted = adapter.apply(&validation_set.embeddings[..EMBEDDING_DIM]);
    assert!((adapted.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);
    let reloaded = Adapter::from_bytes(&adapter.to_bytes(), &rt).unwrap();
    assert_eq!(reloaded.apply(&validation_set.embeddings), adapter.apply(&validation_set.embeddings));
    assert!(Adapter::from_bytes(b"not an adapter", &rt).is_err());
}

#[test]
fn gradients_reach_the_trained_parameters() {
    let rt = Runtime::cpu();
    let weight = gradient_norm(&rt, &people_in_varying_conditions(3, 4), 0.2);
    assert!(weight > 0.0 && weight.is_finite(), "weight gradient {weight}");
}

#[test]
fn the_untrained_adapter_is_the_identity_and_too_little_data_is_refused() {
    let rt = Runtime::cpu();
    let data = people_in_varying_conditions(4, 2);
    let adapted = Adapter::identity(&rt).apply(&data.embeddings);
    for (a, b) in adapted.iter().zip(&data.embeddings) {
        assert!((a - b).abs() < 1e-6);
    }
    let one_person = LabeledEmbeddings {
        embeddings: data.embeddings[..2 * EMBEDDING_DIM].to_vec(),
        labels: vec![0, 0],
        hard_negatives: Vec::new(),
    };
    assert!(train(&rt, &one_person, &TrainingConfig::default(), &mut |_| 0.0, &mut |_| true).is_err());
}

#[test]
fn people_told_apart_share_a_batch() {
    // 40 people of 3 faces; a face of person 7 was said not to be person 31.
    let labels: Vec<u32> = (0..40u32).flat_map(|p| [p, p, p]).collect();
    let data = LabeledEmbeddings {
        embeddings: vec![0.0; labels.len() * EMBEDDING_DIM],
        hard_negatives: vec![(7 * 3, 31)],
        labels,
    };
    let config = TrainingConfig { people_per_batch: 4, ..TrainingConfig::default() };
    for seed in 0..8 {
        let batches = epoch_batches(&data, &config, &mut Rng(seed));
        let with_7: Vec<&Vec<usize>> =
            batches.iter().filter(|b| b.iter().any(|&f| data.labels[f] == 7)).collect();
        assert!(!with_7.is_empty());
        for batch in with_7 {
            assert!(batch.iter().any(|&f| data.labels[f] == 31), "seed {seed}: 7 without 31 in {batch:?}");
        }
    }
}
