//! The people passes: a full re-clustering, and the incremental pass that places new faces
//! without re-clustering the library.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;
use rusqlite::{Transaction, params};

use super::{
    MATCH_MARGIN, MATCH_MIN_SIMILARITY, MATCH_TOP_K, MIN_GROUP_FACES, PeopleSettings, PeopleSummary,
};
use crate::catalog::{Catalog, DecisionKind, FaceForPeople, LEFT_ALONE};
use crate::cluster::{self, ClusterParams, Constraints};
use crate::error::Result;

/// The faces of the current model with everything the passes need to respect decisions.
struct Snapshot {
    faces: Vec<FaceForPeople>,
    dim: usize,
    /// Kept person → indices of its confirmed faces.
    confirmed: HashMap<i64, Vec<usize>>,
    /// Face index → people it is not.
    rejected: HashMap<usize, HashSet<i64>>,
    /// Kept people, in id order.
    kept: Vec<i64>,
}

impl Snapshot {
    fn load(catalog: &Catalog) -> Result<Snapshot> {
        // Rows of another width are already left out.
        let faces = super::faces_for_grouping(catalog)?;
        let dim = kindred_models::EMBEDDING_DIM;
        let index_of: HashMap<i64, usize> = faces.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
        let kept = catalog.kept_people()?;
        let kept_set: HashSet<i64> = kept.iter().copied().collect();
        let mut confirmed: HashMap<i64, Vec<usize>> = HashMap::new();
        let mut rejected: HashMap<usize, HashSet<i64>> = HashMap::new();
        for decision in catalog.decisions()? {
            let (Some(face), Some(person)) = (decision.face_id, decision.person_id) else { continue };
            let Some(&index) = index_of.get(&face) else { continue };
            match decision.kind {
                DecisionKind::Is if kept_set.contains(&person) => {
                    confirmed.entry(person).or_default().push(index)
                }
                DecisionKind::IsNot => {
                    rejected.entry(index).or_default().insert(person);
                }
                _ => {}
            }
        }
        for list in confirmed.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        Ok(Snapshot { faces, dim, confirmed, rejected, kept })
    }

    fn embedding(&self, index: usize) -> &[f32] {
        &self.faces[index].embedding
    }
}

/// Groups every face of the current model into people from scratch, keeping every decision.
pub(crate) fn recluster(catalog: &mut Catalog, settings: &PeopleSettings) -> Result<PeopleSummary> {
    let started = Instant::now();
    let snapshot = Snapshot::load(catalog)?;
    let n = snapshot.faces.len();
    let mut summary = PeopleSummary { faces: n as u64, ..PeopleSummary::default() };
    let labels = if n == 0 {
        Vec::new()
    } else {
        let embeddings: Vec<f32> = snapshot.faces.iter().flat_map(|f| f.embedding.iter().copied()).collect();
        let constraints = constraints_of(&snapshot);
        let params =
            ClusterParams { threshold: settings.threshold, linkage: settings.linkage, ..Default::default() };
        cluster::cluster(&embeddings, snapshot.dim, &params, &constraints)
    };

    // Each cluster holding a kept person's confirmed faces is that person (cannot-links keep
    // two kept people apart); other clusters become unnamed groups, reusing the id of the
    // group most of their faces were in so that ids stay stable from pass to pass.
    let cluster_count = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); cluster_count];
    for (face, &label) in labels.iter().enumerate() {
        members[label as usize].push(face);
    }
    let mut person_of_cluster: Vec<Option<i64>> = vec![None; cluster_count];
    for (&person, faces) in &snapshot.confirmed {
        if let Some(&first) = faces.first() {
            person_of_cluster[labels[first] as usize] = Some(person);
        }
    }
    let kept: HashSet<i64> = snapshot.kept.iter().copied().collect();
    let mut used_groups: HashSet<i64> = HashSet::new();
    let tx = catalog.conn_mut().transaction()?;
    let now = crate::time::now_utc();
    let mut order: Vec<usize> = (0..cluster_count).collect();
    // Larger clusters choose their old group first.
    order.sort_by_key(|&c| std::cmp::Reverse(members[c].len()));
    for c in order {
        if person_of_cluster[c].is_some() || members[c].len() < MIN_GROUP_FACES {
            continue;
        }
        let mut votes: HashMap<i64, usize> = HashMap::new();
        for &face in &members[c] {
            if let Some(old) = snapshot.faces[face].person_id
                && !kept.contains(&old)
                && !used_groups.contains(&old)
            {
                *votes.entry(old).or_default() += 1;
            }
        }
        let reuse =
            votes.into_iter().max_by_key(|&(id, count)| (count, std::cmp::Reverse(id))).map(|(id, _)| id);
        let group = match reuse {
            Some(id) => id,
            None => {
                summary.new_groups += 1;
                new_group(&tx, &now)?
            }
        };
        used_groups.insert(group);
        person_of_cluster[c] = Some(group);
    }

    let confirmed_faces: HashSet<usize> = snapshot.confirmed.values().flatten().copied().collect();
    let mut assignments = Vec::with_capacity(n);
    for (face, &label) in labels.iter().enumerate() {
        let person = person_of_cluster[label as usize];
        let how = match person {
            Some(_) if confirmed_faces.contains(&face) => "user",
            Some(_) => "cluster",
            None => LEFT_ALONE,
        };
        match how {
            "cluster" => summary.clustered += 1,
            LEFT_ALONE => summary.alone += 1,
            _ => {}
        }
        assignments.push((face, person, how));
    }
    write_assignments(&tx, &snapshot, &assignments)?;
    update_typical_faces(&tx, &snapshot, &assignments)?;
    crate::catalog::people::delete_orphan_groups(&tx)?;
    tx.commit()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The decisions as clustering constraints over the snapshot's face indices.
fn constraints_of(snapshot: &Snapshot) -> Constraints {
    let mut constraints = Constraints::default();
    let mut representatives: Vec<(i64, usize)> = Vec::new();
    for person in &snapshot.kept {
        if let Some(faces) = snapshot.confirmed.get(person).filter(|f| !f.is_empty()) {
            constraints.must_link.push(faces.clone());
            representatives.push((*person, faces[0]));
        }
    }
    let representative: HashMap<i64, usize> = representatives.iter().copied().collect();
    // Two people the user keeps stay two people.
    for (i, &(_, a)) in representatives.iter().enumerate() {
        for &(_, b) in &representatives[i + 1..] {
            constraints.cannot_link.push((a, b));
        }
    }
    for (&face, people) in &snapshot.rejected {
        for person in people {
            if let Some(&rep) = representative.get(person) {
                constraints.cannot_link.push((face, rep));
            }
        }
    }
    // Two faces of one photo are two people.
    let mut by_photo: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, face) in snapshot.faces.iter().enumerate() {
        by_photo.entry(face.photo_id).or_default().push(i);
    }
    for faces in by_photo.values() {
        for (i, &a) in faces.iter().enumerate() {
            for &b in &faces[i + 1..] {
                constraints.cannot_link.push((a, b));
            }
        }
    }
    constraints
}

fn new_group(tx: &Transaction<'_>, now: &str) -> Result<i64> {
    tx.prepare_cached("INSERT INTO people (created_at) VALUES (?1)")?.execute([now])?;
    Ok(tx.last_insert_rowid())
}

/// Writes (face index, person, how) where it differs from what is stored.
fn write_assignments(
    tx: &Transaction<'_>,
    snapshot: &Snapshot,
    assignments: &[(usize, Option<i64>, &str)],
) -> Result<()> {
    let mut update = tx.prepare_cached("UPDATE faces SET person_id = ?1, assigned_by = ?2 WHERE id = ?3")?;
    for &(face, person, how) in assignments {
        let current = &snapshot.faces[face];
        if current.person_id != person || current.assigned_by.as_deref() != Some(how) {
            update.execute(params![person, how, current.id])?;
        }
    }
    Ok(())
}

/// Stores, for every person the assignments touch, the face closest to its mean: the cover
/// shown when the user chose none.
fn update_typical_faces(
    tx: &Transaction<'_>,
    snapshot: &Snapshot,
    assignments: &[(usize, Option<i64>, &str)],
) -> Result<()> {
    let touched: HashSet<i64> = assignments.iter().filter_map(|a| a.1).collect();
    // Members come from the stored assignments of the whole current model, as updated.
    let mut members: HashMap<i64, Vec<usize>> = HashMap::new();
    let updated: HashMap<usize, Option<i64>> = assignments.iter().map(|&(f, p, _)| (f, p)).collect();
    for (i, face) in snapshot.faces.iter().enumerate() {
        let person = updated.get(&i).copied().unwrap_or(face.person_id);
        if let Some(person) = person.filter(|p| touched.contains(p)) {
            members.entry(person).or_default().push(i);
        }
    }
    let mut set = tx.prepare_cached("UPDATE people SET typical_face_id = ?1 WHERE id = ?2")?;
    for (person, faces) in members {
        let mut mean = vec![0f32; snapshot.dim];
        for &f in &faces {
            for (m, x) in mean.iter_mut().zip(snapshot.embedding(f)) {
                *m += x;
            }
        }
        let best = faces
            .iter()
            .copied()
            .max_by(|&a, &b| {
                cluster::dot(&mean, snapshot.embedding(a))
                    .total_cmp(&cluster::dot(&mean, snapshot.embedding(b)))
            })
            .map(|f| snapshot.faces[f].id);
        set.execute(params![best, person])?;
    }
    Ok(())
}

/// Above this share of new faces, or this many, the incremental pass clusters everything instead.
const FULL_PASS_SHARE: f64 = 0.2;
const FULL_PASS_FACES: usize = 20_000;

/// How many candidate people each new face keeps from the parallel scoring, for the sequential
/// pass that checks constraints.
const CANDIDATES_PER_FACE: usize = 4;

/// Places faces no pass has seen yet (new photos, faces found again by a new model): first by
/// recognition against kept people's confirmed faces, then by average linkage to an existing
/// person or group, and the rest are clustered among themselves and with lone faces near them.
/// Nothing already placed moves, so a small import costs little however large the library.
pub(crate) fn assign_new_faces(catalog: &mut Catalog, settings: &PeopleSettings) -> Result<PeopleSummary> {
    let started = Instant::now();
    let snapshot = Snapshot::load(catalog)?;
    let fresh: Vec<usize> =
        (0..snapshot.faces.len()).filter(|&i| snapshot.faces[i].assigned_by.is_none()).collect();
    let mut summary = PeopleSummary { faces: fresh.len() as u64, ..PeopleSummary::default() };
    if fresh.is_empty() {
        return Ok(summary);
    }
    // A large import (or the first pass, or a new model) is better served by clustering
    // everything: the incremental pass compares each new face with every lone face.
    if fresh.len() as f64 > FULL_PASS_SHARE * snapshot.faces.len() as f64 || fresh.len() > FULL_PASS_FACES {
        drop(snapshot);
        return recluster(catalog, settings);
    }
    let dim = snapshot.dim;
    let min_similarity = 1.0 - settings.threshold;

    // Who is in each photo already: a face never joins a person present in its photo.
    let mut present: HashMap<i64, HashSet<i64>> = HashMap::new();
    // Sum and size of every person's faces (average linkage of a face to a person is the dot
    // product with the mean).
    let mut sums: HashMap<i64, (Vec<f32>, u32)> = HashMap::new();
    for face in &snapshot.faces {
        if let Some(person) = face.person_id {
            present.entry(face.photo_id).or_default().insert(person);
            let entry = sums.entry(person).or_insert_with(|| (vec![0f32; dim], 0));
            for (s, x) in entry.0.iter_mut().zip(&face.embedding) {
                *s += x;
            }
            entry.1 += 1;
        }
    }
    let people: Vec<i64> = {
        let mut ids: Vec<i64> = sums.keys().copied().collect();
        ids.sort_unstable();
        ids
    };
    let means: Vec<f32> = people
        .iter()
        .flat_map(|p| {
            let (sum, size) = &sums[p];
            sum.iter().map(move |x| x / *size as f32)
        })
        .collect();
    // Confirmed faces of kept people, for recognition.
    let gallery: Vec<(i64, usize)> = snapshot
        .confirmed
        .iter()
        .flat_map(|(&person, faces)| faces.iter().map(move |&f| (person, f)))
        .collect();

    // Per new face: (recognised people, nearest people), each ranked (person, similarity).
    type Ranked = Vec<(i64, f32)>;
    let candidates: Vec<(Ranked, Ranked)> = fresh
        .par_iter()
        .map(|&face| {
            let embedding = snapshot.embedding(face);
            (recognise(&snapshot, &gallery, embedding), nearest_people(&people, &means, dim, embedding))
        })
        .collect();

    let mut placed: Vec<(usize, Option<i64>, &str)> = Vec::with_capacity(fresh.len());
    let mut leftover = Vec::new();
    for (&face, (recognised, near)) in fresh.iter().zip(&candidates) {
        let photo = snapshot.faces[face].photo_id;
        let allowed = |person: i64, present: &HashMap<i64, HashSet<i64>>| {
            !present.get(&photo).is_some_and(|p| p.contains(&person))
                && !snapshot.rejected.get(&face).is_some_and(|r| r.contains(&person))
        };
        let matched = match recognised.as_slice() {
            [(best, score), rest @ ..]
                if *score >= MATCH_MIN_SIMILARITY
                    && rest.first().is_none_or(|(_, second)| score - second >= MATCH_MARGIN)
                    && allowed(*best, &present) =>
            {
                Some((*best, "match"))
            }
            _ => near
                .iter()
                .find(|&&(person, similarity)| similarity > min_similarity && allowed(person, &present))
                .map(|&(person, _)| (person, "cluster")),
        };
        match matched {
            Some((person, how)) => {
                present.entry(photo).or_default().insert(person);
                if how == "match" {
                    summary.matched += 1;
                } else {
                    summary.clustered += 1;
                }
                placed.push((face, Some(person), how));
            }
            None => leftover.push(face),
        }
    }

    // The leftovers form groups among themselves and with lone faces close to one of them.
    let lone: Vec<usize> = (0..snapshot.faces.len())
        .filter(|&i| {
            snapshot.faces[i].person_id.is_none()
                && snapshot.faces[i].assigned_by.as_deref() == Some(LEFT_ALONE)
        })
        .collect();
    let near_lone: Vec<usize> = lone
        .par_iter()
        .copied()
        .filter(|&l| {
            leftover
                .iter()
                .any(|&f| cluster::dot(snapshot.embedding(l), snapshot.embedding(f)) > min_similarity)
        })
        .collect();
    let pool: Vec<usize> = leftover.iter().chain(&near_lone).copied().collect();
    let tx = catalog.conn_mut().transaction()?;
    let now = crate::time::now_utc();
    if !pool.is_empty() {
        let embeddings: Vec<f32> = pool.iter().flat_map(|&i| snapshot.embedding(i).iter().copied()).collect();
        let mut constraints = Constraints::default();
        let mut by_photo: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, &face) in pool.iter().enumerate() {
            by_photo.entry(snapshot.faces[face].photo_id).or_default().push(i);
        }
        for faces in by_photo.values() {
            for (i, &a) in faces.iter().enumerate() {
                for &b in &faces[i + 1..] {
                    constraints.cannot_link.push((a, b));
                }
            }
        }
        let params =
            ClusterParams { threshold: settings.threshold, linkage: settings.linkage, ..Default::default() };
        let labels = cluster::cluster(&embeddings, dim, &params, &constraints);
        let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, &label) in labels.iter().enumerate() {
            members.entry(label).or_default().push(pool[i]);
        }
        let mut groups: Vec<Vec<usize>> = members.into_values().collect();
        groups.sort_by_key(|g| g[0]);
        // Counts are of the new faces; lone faces joining a group are a bonus.
        let fresh_set: HashSet<usize> = leftover.iter().copied().collect();
        for group in groups {
            let person = if group.len() >= MIN_GROUP_FACES {
                summary.new_groups += 1;
                Some(new_group(&tx, &now)?)
            } else {
                None
            };
            for face in group {
                let is_fresh = fresh_set.contains(&face);
                match person {
                    Some(_) => summary.clustered += u64::from(is_fresh),
                    None => summary.alone += u64::from(is_fresh),
                }
                placed.push((face, person, if person.is_some() { "cluster" } else { LEFT_ALONE }));
            }
        }
    }
    write_assignments(&tx, &snapshot, &placed)?;
    update_typical_faces(&tx, &snapshot, &placed)?;
    tx.commit()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Kept people ranked by the mean similarity of `embedding` to their `MATCH_TOP_K` most similar
/// confirmed faces (fewer when a person has fewer), best first, at most `CANDIDATES_PER_FACE`.
fn recognise(snapshot: &Snapshot, gallery: &[(i64, usize)], embedding: &[f32]) -> Vec<(i64, f32)> {
    let mut top: HashMap<i64, Vec<f32>> = HashMap::new();
    for &(person, face) in gallery {
        let similarity = cluster::dot(embedding, snapshot.embedding(face));
        let best = top.entry(person).or_default();
        if best.len() < MATCH_TOP_K {
            best.push(similarity);
        } else if let Some(worst) = best.iter_mut().min_by(|a, b| a.total_cmp(b))
            && similarity > *worst
        {
            *worst = similarity;
        }
    }
    let mut ranked: Vec<(i64, f32)> = top
        .into_iter()
        .map(|(person, sims)| (person, sims.iter().sum::<f32>() / sims.len() as f32))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(CANDIDATES_PER_FACE);
    ranked
}

/// People ranked by average linkage to `embedding` (the dot product with their mean).
fn nearest_people(people: &[i64], means: &[f32], dim: usize, embedding: &[f32]) -> Vec<(i64, f32)> {
    let mut ranked: Vec<(i64, f32)> = people
        .iter()
        .zip(means.chunks_exact(dim))
        .map(|(&person, mean)| (person, cluster::dot(embedding, mean)))
        .collect();
    let keep = CANDIDATES_PER_FACE.min(ranked.len());
    if keep == 0 {
        return ranked;
    }
    ranked.select_nth_unstable_by(keep - 1, |a, b| b.1.total_cmp(&a.1));
    ranked.truncate(keep);
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}
