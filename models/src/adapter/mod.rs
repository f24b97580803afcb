//! Fine-tuning: a residual linear adapter on top of the frozen SFace embedding, trained with
//! FaceNet's triplet loss on the faces a user has labeled.
//!
//! `y = normalise(x + W·x)`, with `W` starting at zero, so an untrained adapter is the identity
//! and training moves the embedding only as far as the user's labels ask. There is no bias: a
//! common offset would raise every similarity at once and merge strangers. Training the
//! head alone needs only the stored embeddings (no photo is decoded again, an epoch over 10k
//! faces takes seconds on a CPU), and re-grouping a library with it is one small matrix product
//! per face.
//!
//! Training follows Schroff et al. 2015: mini-batches of P people × K faces, every
//! anchor-positive pair of the batch, and for each pair a semi-hard negative chosen online in
//! the batch — farther from the anchor than the positive, but within the margin.

#[cfg(test)]
mod tests;

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::{EMBEDDING_DIM, ModelError, Runtime};

/// The trainable part.
#[derive(Module, Debug)]
pub(crate) struct AdapterNet {
    linear: Linear,
}

impl AdapterNet {
    fn identity(device: &Device) -> AdapterNet {
        AdapterNet::from_weight(vec![0f32; EMBEDDING_DIM * EMBEDDING_DIM], device)
    }

    fn from_weight(weight: Vec<f32>, device: &Device) -> AdapterNet {
        AdapterNet {
            linear: Linear {
                weight: Param::from_data(TensorData::new(weight, [EMBEDDING_DIM, EMBEDDING_DIM]), device),
                bias: None,
            },
        }
    }

    /// `[N, 128]` unit vectors in, `[N, 128]` unit vectors out.
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let y = x.clone() + self.linear.forward(x);
        let norm = y.clone().powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(1e-12);
        y / norm
    }

    fn weight(&self) -> Vec<f32> {
        self.linear.weight.val().into_data().try_into_vec::<f32>().expect("f32 weights")
    }
}

/// A trained adapter, ready to map stored embeddings.
#[derive(Debug)]
pub struct Adapter {
    net: AdapterNet,
    device: Device,
}

/// File signature and version of [`Adapter::to_bytes`].
const MAGIC: &[u8; 8] = b"KDADPT02";

impl Adapter {
    /// The identity adapter (what training starts from).
    pub fn identity(rt: &Runtime) -> Adapter {
        Adapter { net: AdapterNet::identity(&rt.device), device: rt.device.clone() }
    }

    /// Maps `n × 128` L2-normalised embeddings (row-major) to adapted unit vectors.
    pub fn apply(&self, embeddings: &[f32]) -> Vec<f32> {
        assert!(embeddings.len().is_multiple_of(EMBEDDING_DIM), "embeddings are n × {EMBEDDING_DIM}");
        let mut out = Vec::with_capacity(embeddings.len());
        // Chunks bound the memory of one product on a GPU as on the CPU.
        for chunk in embeddings.chunks(EMBEDDING_DIM * 8192) {
            let n = chunk.len() / EMBEDDING_DIM;
            let x = Tensor::<2>::from_data(TensorData::new(chunk.to_vec(), [n, EMBEDDING_DIM]), &self.device);
            out.extend(self.net.forward(x).into_data().try_into_vec::<f32>().expect("f32 output"));
        }
        out
    }

    /// The weights as bytes: a signature, then `W` (row-major, `[in, out]`), little-endian f32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(self.net.weight().iter().flat_map(|v| v.to_le_bytes()));
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)'s output.
    ///
    /// # Errors
    /// Another file, a truncated one, or values that are not finite.
    pub fn from_bytes(bytes: &[u8], rt: &Runtime) -> Result<Adapter, ModelError> {
        let expected = MAGIC.len() + 4 * EMBEDDING_DIM * EMBEDDING_DIM;
        if bytes.len() != expected || &bytes[..MAGIC.len()] != MAGIC {
            return Err(ModelError::Adapter(format!(
                "not a Kindred adapter file ({} bytes, expected {expected} starting with {:?})",
                bytes.len(),
                String::from_utf8_lossy(MAGIC)
            )));
        }
        let values: Vec<f32> = bytes[MAGIC.len()..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::Adapter("the adapter file holds values that are not finite".into()));
        }
        Ok(Adapter { net: AdapterNet::from_weight(values, &rt.device), device: rt.device.clone() })
    }
}

/// Labeled embeddings to train on.
#[derive(Debug, Clone, Default)]
pub struct LabeledEmbeddings {
    /// `n × 128`, L2-normalised.
    pub embeddings: Vec<f32>,
    /// One label per embedding: faces with one label are one person. Faces known only as "not
    /// person X" get a label of their own, so they are only ever negatives.
    pub labels: Vec<u32>,
    /// (face, label): a face that is known not to be the person of `label`; it is put in the
    /// batches of that person as a hard negative.
    pub hard_negatives: Vec<(usize, u32)>,
}

/// Training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingConfig {
    /// α of the triplet loss (FaceNet: 0.2), on squared distances of unit vectors.
    pub margin: f32,
    /// People per batch (P) and faces per person (K).
    pub people_per_batch: usize,
    pub faces_per_person: usize,
    pub learning_rate: f64,
    /// Batches drawn per epoch at least (a small label set gives few people groups).
    pub min_batches_per_epoch: usize,
    /// L2 penalty pulling `W` and `b` back towards the identity adapter.
    pub weight_decay: f32,
    pub max_epochs: usize,
    /// Epochs without a better validation score before stopping.
    pub patience: usize,
    pub seed: u64,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            margin: 0.2,
            people_per_batch: 16,
            faces_per_person: 4,
            // Chosen on CelebA (40 people × 8 confirmed faces): larger steps or a weaker pull
            // towards the identity overfit the few labels and cost precision on everyone else.
            learning_rate: 3e-4,
            min_batches_per_epoch: 16,
            weight_decay: 1e-2,
            max_epochs: 40,
            patience: 6,
            seed: 20_261_124,
        }
    }
}

/// One epoch, as the progress report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    pub epoch: usize,
    /// Mean triplet loss over the epoch's triplets.
    pub loss: f32,
    /// Triplets trained on (semi-hard, or the gentlest hard one when no semi-hard exists).
    pub triplets: usize,
    /// The caller's validation score of the adapter after the epoch (higher is better).
    pub validation: f32,
}

/// Chooses triplets in one batch. `squared` is the `n × n` matrix of squared distances, `labels`
/// the batch's labels. For every anchor-positive pair (same label, both orders), the negative is
/// semi-hard: `d(a,p) < d(a,n) < d(a,p) + margin`, the hardest such one. When a pair has none, the
/// fallback is the least hard of the negatives closer than the positive (a hard negative that does
/// not pull the embedding towards collapse); pairs whose negatives are all beyond the margin are
/// already satisfied and yield nothing.
pub fn select_triplets(squared: &[f32], labels: &[u32], margin: f32) -> Vec<(usize, usize, usize)> {
    let n = labels.len();
    assert_eq!(squared.len(), n * n, "n × n distances for n labels");
    let mut triplets = Vec::new();
    for a in 0..n {
        for p in 0..n {
            if p == a || labels[p] != labels[a] {
                continue;
            }
            let d_ap = squared[a * n + p];
            let mut semi_hard: Option<(usize, f32)> = None;
            let mut gentlest_hard: Option<(usize, f32)> = None;
            for (neg, &label) in labels.iter().enumerate() {
                if label == labels[a] {
                    continue;
                }
                let d_an = squared[a * n + neg];
                if d_an > d_ap && d_an < d_ap + margin {
                    if semi_hard.is_none_or(|(_, best)| d_an < best) {
                        semi_hard = Some((neg, d_an));
                    }
                } else if d_an <= d_ap && gentlest_hard.is_none_or(|(_, best)| d_an > best) {
                    gentlest_hard = Some((neg, d_an));
                }
            }
            if let Some((neg, _)) = semi_hard.or(gentlest_hard) {
                triplets.push((a, p, neg));
            }
        }
    }
    triplets
}

/// A small deterministic generator for batch sampling.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Batches of one epoch: every person with ≥ 2 faces, in random groups of P (people the user
/// told apart in one group), each with up to K of its faces (a random choice each epoch) and
/// its first 2 hard negatives.
fn epoch_batches(data: &LabeledEmbeddings, config: &TrainingConfig, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut by_label: std::collections::BTreeMap<u32, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, &label) in data.labels.iter().enumerate() {
        by_label.entry(label).or_default().push(i);
    }
    let people: Vec<u32> = by_label.iter().filter(|(_, faces)| faces.len() >= 2).map(|(&l, _)| l).collect();
    // People told apart by the user (a face of one is "not" the other) are look-alikes: they
    // share a batch, so that each gives the other its hardest negatives.
    let mut rivals: std::collections::BTreeMap<u32, Vec<u32>> = std::collections::BTreeMap::new();
    for &(face, label) in &data.hard_negatives {
        let own = data.labels[face];
        if own != label && by_label.get(&own).is_some_and(|f| f.len() >= 2) {
            rivals.entry(label).or_default().push(own);
            rivals.entry(own).or_default().push(label);
        }
    }
    let mut batches = Vec::new();
    while batches.len() < config.min_batches_per_epoch.max(1) {
        let before = batches.len();
        let mut order = people.clone();
        rng.shuffle(&mut order);
        let groups = groups_with_rivals_together(&order, &rivals, config.people_per_batch.max(2));
        batches.extend(pass_batches(data, config, rng, &by_label, &groups));
        if batches.len() == before {
            break;
        }
    }
    batches
}

/// `order` in groups of at most `size` people (the last may be smaller), each person with their
/// rivals: a person and the rivals not placed yet go into one group, which starts afresh when
/// they do not fit in the current one (a person with more rivals than a group holds overflows).
fn groups_with_rivals_together(
    order: &[u32],
    rivals: &std::collections::BTreeMap<u32, Vec<u32>>,
    size: usize,
) -> Vec<Vec<u32>> {
    let known: std::collections::HashSet<u32> = order.iter().copied().collect();
    let mut placed = std::collections::HashSet::new();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    for &person in order {
        if !placed.insert(person) {
            continue;
        }
        let mut unit = vec![person];
        for &rival in rivals.get(&person).into_iter().flatten() {
            if known.contains(&rival) && placed.insert(rival) {
                unit.push(rival);
            }
        }
        if !current.is_empty() && current.len() + unit.len() > size {
            groups.push(std::mem::take(&mut current));
        }
        current.extend(unit);
        while current.len() > size {
            let rest = current.split_off(size);
            groups.push(std::mem::replace(&mut current, rest));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// One pass over `groups` of people, a batch each.
fn pass_batches(
    data: &LabeledEmbeddings,
    config: &TrainingConfig,
    rng: &mut Rng,
    by_label: &std::collections::BTreeMap<u32, Vec<usize>>,
    groups: &[Vec<u32>],
) -> Vec<Vec<usize>> {
    let mut batches = Vec::new();
    for group in groups {
        if group.len() < 2 {
            continue;
        }
        let mut batch = Vec::new();
        for label in group {
            let mut faces = by_label[label].clone();
            rng.shuffle(&mut faces);
            batch.extend(faces.into_iter().take(config.faces_per_person.max(2)));
            let negatives: Vec<usize> =
                data.hard_negatives.iter().filter(|(_, l)| l == label).map(|&(f, _)| f).take(2).collect();
            batch.extend(negatives);
        }
        batch.sort_unstable();
        batch.dedup();
        batches.push(batch);
    }
    batches
}

/// Trains an adapter on `train`. After each epoch `validate` scores the adapter (higher is
/// better) and `progress` sees the report; `progress` returning false stops training (cancel).
/// Returns the adapter of the best validation score (early stopping) and every epoch's report.
///
/// # Errors
/// Fewer than two people with two faces each.
pub fn train(
    rt: &Runtime,
    train: &LabeledEmbeddings,
    config: &TrainingConfig,
    validate: &mut dyn FnMut(&Adapter) -> f32,
    progress: &mut dyn FnMut(&EpochReport) -> bool,
) -> Result<(Adapter, Vec<EpochReport>), ModelError> {
    let n = train.labels.len();
    assert_eq!(train.embeddings.len(), n * EMBEDDING_DIM, "one label per embedding");
    let mut counts: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for &l in &train.labels {
        *counts.entry(l).or_default() += 1;
    }
    if counts.values().filter(|&&c| c >= 2).count() < 2 {
        return Err(ModelError::Adapter("training needs at least two people with two faces each".into()));
    }
    let autodiff = rt.device.clone().autodiff();
    let mut model = AdapterNet::identity(&rt.device).fork(&autodiff).train();
    let mut optimizer = AdamConfig::new().init();
    let mut rng = Rng(config.seed);
    let mut reports: Vec<EpochReport> = Vec::new();
    let mut best: Option<(f32, Vec<f32>)> = None;
    let mut since_best = 0;
    // At least one epoch, so that there is always a best adapter to return.
    for epoch in 1..=config.max_epochs.max(1) {
        let (mut loss_sum, mut triplet_count) = (0f32, 0usize);
        for batch in epoch_batches(train, config, &mut rng) {
            let data: Vec<f32> = batch
                .iter()
                .flat_map(|&i| train.embeddings[i * EMBEDDING_DIM..(i + 1) * EMBEDDING_DIM].iter().copied())
                .collect();
            let labels: Vec<u32> = batch.iter().map(|&i| train.labels[i]).collect();
            let x = Tensor::<2>::from_data(TensorData::new(data, [batch.len(), EMBEDDING_DIM]), &autodiff);
            let y = model.forward(x);
            // Mining looks at the current embedding without tracking gradients.
            let values = y.clone().into_data().try_into_vec::<f32>().expect("f32 output");
            let squared = squared_distances(&values, batch.len());
            let triplets = select_triplets(&squared, &labels, config.margin);
            if triplets.is_empty() {
                continue;
            }
            let triplet_loss = triplet_loss(y, &triplets, config.margin, &autodiff);
            // The penalty keeps the adapter near the identity: few labels must not move
            // everyone else's faces far.
            let penalty = model.linear.weight.val().powf_scalar(2.0).sum() * config.weight_decay;
            let loss = triplet_loss.clone() + penalty;
            loss_sum += triplet_loss.into_scalar::<f32>() * triplets.len() as f32;
            triplet_count += triplets.len();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
        }
        let weight = model.valid().weight();
        let adapter =
            Adapter { net: AdapterNet::from_weight(weight.clone(), &rt.device), device: rt.device.clone() };
        let validation = validate(&adapter);
        let report = EpochReport {
            epoch,
            loss: if triplet_count > 0 { loss_sum / triplet_count as f32 } else { 0.0 },
            triplets: triplet_count,
            validation,
        };
        let keep_going = progress(&report);
        reports.push(report);
        if best.as_ref().is_none_or(|(score, _)| validation > *score) {
            best = Some((validation, weight));
            since_best = 0;
        } else {
            since_best += 1;
        }
        if !keep_going || since_best >= config.patience {
            break;
        }
    }
    let (_, weight) = best.expect("at least one epoch ran");
    Ok((Adapter { net: AdapterNet::from_weight(weight, &rt.device), device: rt.device.clone() }, reports))
}

/// Mean of `max(0, ‖a−p‖² − ‖a−n‖² + margin)` over `triplets` (indices into the rows of `y`).
fn triplet_loss(y: Tensor<2>, triplets: &[(usize, usize, usize)], margin: f32, device: &Device) -> Tensor<1> {
    let index = |pick: fn(&(usize, usize, usize)) -> usize| {
        let idx: Vec<i64> = triplets.iter().map(|t| pick(t) as i64).collect();
        Tensor::<1, Int>::from_data(TensorData::new(idx, [triplets.len()]), device)
    };
    let anchors = y.clone().select(0, index(|t| t.0));
    let positives = y.clone().select(0, index(|t| t.1));
    let negatives = y.select(0, index(|t| t.2));
    let d_ap = (anchors.clone() - positives).powf_scalar(2.0).sum_dim(1);
    let d_an = (anchors - negatives).powf_scalar(2.0).sum_dim(1);
    (d_ap - d_an + margin).clamp_min(0.0).mean()
}

fn squared_distances(values: &[f32], n: usize) -> Vec<f32> {
    let mut out = vec![0f32; n * n];
    for a in 0..n {
        for b in 0..n {
            let (x, y) = (
                &values[a * EMBEDDING_DIM..(a + 1) * EMBEDDING_DIM],
                &values[b * EMBEDDING_DIM..(b + 1) * EMBEDDING_DIM],
            );
            out[a * n + b] = x.iter().zip(y).map(|(p, q)| (p - q) * (p - q)).sum();
        }
    }
    out
}

/// For tests: the adapter's trainable parameters get gradients from the triplet loss.
#[cfg(test)]
pub(crate) fn gradient_norm(rt: &Runtime, data: &LabeledEmbeddings, margin: f32) -> f32 {
    let autodiff = rt.device.clone().autodiff();
    let model = AdapterNet::identity(&rt.device).fork(&autodiff).train();
    let n = data.labels.len();
    let x = Tensor::<2>::from_data(TensorData::new(data.embeddings.clone(), [n, EMBEDDING_DIM]), &autodiff);
    let y = model.forward(x);
    let values = y.clone().into_data().try_into_vec::<f32>().unwrap();
    let triplets = select_triplets(&squared_distances(&values, n), &data.labels, margin);
    let loss = triplet_loss(y, &triplets, margin, &autodiff);
    let grads = loss.backward();
    model.linear.weight.grad(&grads).map_or(0.0, |g| g.powf_scalar(2.0).sum().sqrt().into_scalar::<f32>())
}
