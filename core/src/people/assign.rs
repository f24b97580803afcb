//! The people passes: a full re-clustering, and the incremental pass that places new faces
//! without re-clustering the library.
//!
//! Both give a face to one of the user's people only by recognition (see [`super::evidence`]):
//! clustering forms unnamed groups, and a face clustered with a person's confirmed faces without
//! earning their name joins an unnamed group beside them, which the review queue asks about.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;
use rusqlite::{Transaction, params};

use super::dates;
use super::evidence::{Evidence, settle_photos};
use super::{HARD_FACE_EXTRA, HARD_GROUP_EXTRA, MATCH_TOP_K, MIN_GROUP_FACES, PeopleSettings, PeopleSummary};
use crate::catalog::{Catalog, DecisionKind, FaceForPeople, LEFT_ALONE};
use crate::cluster::{self, ClusterParams, Constraints, KnnGraph, KnnMethod};
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
    /// Birth dates (day numbers) of the people who have one.
    births: HashMap<i64, i64>,
    /// Photo → indices of its faces.
    photo_faces: HashMap<i64, Vec<usize>>,
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
        let mut photo_faces: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, face) in faces.iter().enumerate() {
            photo_faces.entry(face.photo_id).or_default().push(i);
        }
        let births = catalog.birth_days()?;
        Ok(Snapshot { faces, dim, confirmed, rejected, kept, births, photo_faces })
    }

    fn embedding(&self, index: usize) -> &[f32] {
        &self.faces[index].embedding
    }

    fn evidence(&self) -> Evidence<'_> {
        Evidence::new(&self.faces, &self.confirmed, &self.births)
    }

    /// Whether a face needs more evidence than others (see [`crate::faces::quality`]).
    fn is_hard(&self, index: usize) -> bool {
        let face = &self.faces[index];
        crate::faces::quality::is_hard(face.embedding_norm, face.childhood)
    }

    fn is_rejected(&self, face: usize, person: i64) -> bool {
        self.rejected.get(&face).is_some_and(|r| r.contains(&person))
    }

    /// Same-photo cannot-links among `items` (face indices), as pairs of positions in `items`.
    fn same_photo_pairs(&self, items: &[usize]) -> Vec<(usize, usize)> {
        let mut by_photo: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, &face) in items.iter().enumerate() {
            by_photo.entry(self.faces[face].photo_id).or_default().push(i);
        }
        let mut pairs = Vec::new();
        for faces in by_photo.values() {
            for (i, &a) in faces.iter().enumerate() {
                for &b in &faces[i + 1..] {
                    pairs.push((a, b));
                }
            }
        }
        pairs
    }

    fn rows(&self, items: &[usize]) -> Vec<f32> {
        items.iter().flat_map(|&i| self.embedding(i).iter().copied()).collect()
    }
}

/// The faces of each person confirmed by the user in each photo: (photo, person).
fn confirmed_in_photos(snapshot: &Snapshot) -> HashSet<(i64, i64)> {
    snapshot
        .confirmed
        .iter()
        .flat_map(|(&person, list)| list.iter().map(move |&f| (snapshot.faces[f].photo_id, person)))
        .collect()
}

/// Groups every face of the current model into people from scratch, keeping every decision.
pub(crate) fn recluster(catalog: &mut Catalog, settings: &PeopleSettings) -> Result<PeopleSummary> {
    let started = Instant::now();
    let snapshot = Snapshot::load(catalog)?;
    let n = snapshot.faces.len();
    let mut summary = PeopleSummary { faces: n as u64, ..PeopleSummary::default() };
    let params =
        ClusterParams { threshold: settings.threshold, linkage: settings.linkage, ..Default::default() };
    let all_rows = snapshot.rows(&(0..n).collect::<Vec<_>>());
    let graph = if n == 0 {
        None
    } else {
        Some(cluster::build_knn_graph(
            &cluster::normalized_rows(&all_rows, snapshot.dim),
            snapshot.dim,
            params.k,
            &params.knn,
        ))
    };

    // Recognition first: the faces that earn a kept person's name.
    let confirmed_faces: HashMap<usize, i64> =
        snapshot.confirmed.iter().flat_map(|(&p, list)| list.iter().map(move |&f| (f, p))).collect();
    let matched = recognise_all(&snapshot, &confirmed_faces);

    // Clustering of every face but the hard ones nobody claims: confirmed and recognised faces
    // of a kept person are one block, kept people stay apart, rejections and photos apart.
    let items: Vec<usize> = (0..n)
        .filter(|&i| confirmed_faces.contains_key(&i) || matched.contains_key(&i) || !snapshot.is_hard(i))
        .collect();
    let position: HashMap<usize, usize> = items.iter().enumerate().map(|(p, &f)| (f, p)).collect();
    let labels = match &graph {
        Some(graph) if !items.is_empty() => {
            let mut blocks: HashMap<i64, Vec<usize>> = HashMap::new();
            for (&face, &person) in confirmed_faces.iter().chain(matched.iter()) {
                blocks.entry(person).or_default().push(position[&face]);
            }
            let mut constraints = Constraints::default();
            let mut representatives: Vec<(i64, usize)> = Vec::new();
            for person in &snapshot.kept {
                if let Some(mut block) = blocks.remove(person) {
                    block.sort_unstable();
                    representatives.push((*person, block[0]));
                    constraints.must_link.push(block);
                }
            }
            for (i, &(_, a)) in representatives.iter().enumerate() {
                for &(_, b) in &representatives[i + 1..] {
                    constraints.cannot_link.push((a, b));
                }
            }
            let representative: HashMap<i64, usize> = representatives.iter().copied().collect();
            for (&face, people) in &snapshot.rejected {
                let Some(&p) = position.get(&face) else { continue };
                for person in people {
                    if let Some(&rep) = representative.get(person) {
                        constraints.cannot_link.push((p, rep));
                    }
                }
            }
            constraints.cannot_link.extend(snapshot.same_photo_pairs(&items));
            let rows = snapshot.rows(&items);
            cluster::cluster_with_graph(
                &rows,
                snapshot.dim,
                &graph.restricted_to(&items),
                &params,
                &constraints,
            )
        }
        _ => Vec::new(),
    };

    // A cluster holding a kept person's block is that person for the block; the rest of it,
    // and every other cluster, are candidates for unnamed groups.
    let cluster_count = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); cluster_count];
    for (p, &label) in labels.iter().enumerate() {
        members[label as usize].push(items[p]);
    }
    let mut assignments: Vec<(usize, Option<i64>, &str)> = Vec::with_capacity(n);
    let mut candidates: Vec<Vec<usize>> = Vec::new();
    for group in members {
        let mut rest = Vec::new();
        for face in group {
            match (confirmed_faces.get(&face), matched.get(&face)) {
                (Some(&person), _) => assignments.push((face, Some(person), "user")),
                (None, Some(&person)) => {
                    summary.matched += 1;
                    assignments.push((face, Some(person), "match"));
                }
                (None, None) => rest.push(face),
            }
        }
        if !rest.is_empty() {
            candidates.push(rest);
        }
    }

    // Hard faces nobody claimed join a group from about the same years on stronger evidence,
    // and the rest group among themselves at a stricter cut.
    let hard: Vec<usize> = (0..n).filter(|i| !position.contains_key(i)).collect();
    let left = match &graph {
        Some(graph) => attach_hard_faces(&snapshot, graph, &hard, &mut candidates, settings),
        None => Vec::new(),
    };
    candidates.extend(group_among_themselves(&snapshot, &left, settings));

    let tx = catalog.conn_mut().transaction()?;
    let now = crate::time::now_utc();
    let kept: HashSet<i64> = snapshot.kept.iter().copied().collect();
    let mut used_groups: HashSet<i64> = HashSet::new();
    // Larger groups choose their old id first, so that ids stay stable from pass to pass.
    candidates.sort_by_key(|c| (std::cmp::Reverse(c.len()), c[0]));
    for group in candidates {
        if group.len() < MIN_GROUP_FACES {
            for face in group {
                summary.alone += 1;
                assignments.push((face, None, LEFT_ALONE));
            }
            continue;
        }
        let mut votes: HashMap<i64, usize> = HashMap::new();
        for &face in &group {
            if let Some(old) = snapshot.faces[face].person_id
                && !kept.contains(&old)
                && !used_groups.contains(&old)
            {
                *votes.entry(old).or_default() += 1;
            }
        }
        let reuse =
            votes.into_iter().max_by_key(|&(id, count)| (count, std::cmp::Reverse(id))).map(|(id, _)| id);
        let id = match reuse {
            Some(id) => id,
            None => {
                summary.new_groups += 1;
                new_group(&tx, &now)?
            }
        };
        used_groups.insert(id);
        for face in group {
            summary.clustered += 1;
            assignments.push((face, Some(id), "cluster"));
        }
    }
    assignments.sort_by_key(|a| a.0);
    write_assignments(&tx, &snapshot, &assignments)?;
    update_typical_faces(&tx, &snapshot, &assignments)?;
    crate::catalog::people::delete_orphan_groups(&tx)?;
    tx.commit()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Confirmed faces each face is compared with directly in a full pass: a person with
/// `MATCH_TOP_K` comparable faces among them is scored from those alone, and no person without
/// one among them can beat the last.
const RECOGNITION_NEIGHBOURS: usize = 32;
/// Faces searched at once against the confirmed faces (bounds the memory of the search).
const RECOGNITION_CHUNK: usize = 8192;

/// Every unconfirmed face that earns a kept person's name.
fn recognise_all(snapshot: &Snapshot, confirmed_faces: &HashMap<usize, i64>) -> HashMap<usize, i64> {
    if snapshot.confirmed.is_empty() {
        return HashMap::new();
    }
    let evidence = snapshot.evidence();
    let present = confirmed_in_photos(snapshot);
    let mut gallery: Vec<usize> = confirmed_faces.keys().copied().collect();
    gallery.sort_unstable();
    let gallery_rows = snapshot.rows(&gallery);
    let k = RECOGNITION_NEIGHBOURS.min(gallery.len());
    let complete = k == gallery.len();
    let queries: Vec<usize> =
        (0..snapshot.faces.len()).filter(|i| !confirmed_faces.contains_key(i)).collect();
    let mut found: Vec<(usize, i64, f32)> = Vec::new();
    for chunk in queries.chunks(RECOGNITION_CHUNK) {
        let nearest = cluster::nearest_rows(&snapshot.rows(chunk), &gallery_rows, snapshot.dim, k);
        found.par_extend(chunk.par_iter().enumerate().filter_map(|(q, &face)| {
            let photo = snapshot.faces[face].photo_id;
            let allowed = |person: i64| {
                !snapshot.is_rejected(face, person)
                    && !present.contains(&(photo, person))
                    && evidence.born_by(face, person)
            };
            let neighbours: Vec<(u32, f32)> = nearest[q * k..(q + 1) * k]
                .iter()
                .map(|&g| {
                    let other = gallery[g as usize];
                    (other as u32, cluster::dot(snapshot.embedding(face), snapshot.embedding(other)))
                })
                .collect();
            let (resemblances, unseen) = evidence.resemblances_among(face, &neighbours, complete, &allowed);
            evidence.recognise(face, &resemblances, unseen).map(|(person, score)| (face, person, score))
        }));
    }
    settle_photos(&evidence, found, |f| snapshot.faces[f].photo_id, &snapshot.photo_faces)
        .into_iter()
        .map(|(face, person, _)| (face, person))
        .collect()
}

/// Mean of the `MATCH_TOP_K` largest of `similarities`.
fn top_mean(mut similarities: Vec<f32>) -> Option<f32> {
    if similarities.is_empty() {
        return None;
    }
    similarities.sort_by(|a, b| b.total_cmp(a));
    similarities.truncate(MATCH_TOP_K);
    Some(similarities.iter().sum::<f32>() / similarities.len() as f32)
}

/// Puts each of the `hard` faces in the candidate group whose members from about the same
/// years (among its nearest faces) it resembles most, when that beats the grouping threshold by
/// `HARD_FACE_EXTRA`; two faces of one photo stay apart. Returns the faces left.
fn attach_hard_faces(
    snapshot: &Snapshot,
    graph: &KnnGraph,
    hard: &[usize],
    candidates: &mut [Vec<usize>],
    settings: &PeopleSettings,
) -> Vec<usize> {
    let mut candidate_of: HashMap<usize, usize> = HashMap::new();
    for (c, group) in candidates.iter().enumerate() {
        for &face in group {
            candidate_of.insert(face, c);
        }
    }
    let needed = 1.0 - settings.threshold + HARD_FACE_EXTRA;
    let choices: Vec<Option<(usize, f32)>> = hard
        .par_iter()
        .map(|&face| {
            let day = snapshot.faces[face].taken_day;
            let mut by_candidate: HashMap<usize, Vec<f32>> = HashMap::new();
            for (other, similarity) in graph.neighbors_of(face) {
                let other = other as usize;
                if let Some(&c) = candidate_of.get(&other)
                    && dates::comparable(day, snapshot.faces[other].taken_day, None)
                {
                    by_candidate.entry(c).or_default().push(similarity);
                }
            }
            by_candidate
                .into_iter()
                .filter_map(|(c, sims)| Some((c, top_mean(sims)?)))
                .filter(|&(_, score)| score > needed)
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        })
        .collect();
    let mut left = Vec::new();
    let mut order: Vec<(usize, usize, f32)> =
        hard.iter().zip(choices).filter_map(|(&f, c)| c.map(|(g, s)| (f, g, s))).collect();
    order.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let attached: HashSet<usize> = order.iter().map(|o| o.0).collect();
    let mut photos_of: Vec<HashSet<i64>> =
        candidates.iter().map(|g| g.iter().map(|&f| snapshot.faces[f].photo_id).collect()).collect();
    for (face, group, _) in order {
        let photo = snapshot.faces[face].photo_id;
        if photos_of[group].insert(photo) {
            candidates[group].push(face);
        } else {
            left.push(face);
        }
    }
    left.extend(hard.iter().copied().filter(|f| !attached.contains(f)));
    left.sort_unstable();
    left
}

/// Clusters `faces` among themselves at a cut stricter by `HARD_GROUP_EXTRA`.
fn group_among_themselves(
    snapshot: &Snapshot,
    faces: &[usize],
    settings: &PeopleSettings,
) -> Vec<Vec<usize>> {
    if faces.is_empty() {
        return Vec::new();
    }
    let params = ClusterParams {
        threshold: (settings.threshold - HARD_GROUP_EXTRA).max(0.0),
        linkage: settings.linkage,
        ..Default::default()
    };
    let constraints = Constraints { must_link: Vec::new(), cannot_link: snapshot.same_photo_pairs(faces) };
    let labels = cluster::cluster(&snapshot.rows(faces), snapshot.dim, &params, &constraints);
    let mut groups: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, &label) in labels.iter().enumerate() {
        groups.entry(label).or_default().push(faces[i]);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_by_key(|g| g[0]);
    groups
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

/// How many candidate groups each new face keeps from the parallel scoring, for the sequential
/// pass that checks constraints.
const CANDIDATES_PER_FACE: usize = 4;

/// Places faces no pass has seen yet (new photos, faces found again by a new model): first by
/// recognition against kept people's confirmed faces, then by average linkage to an existing
/// unnamed group, and the rest are clustered among themselves and with lone faces near them.
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
    let kept: HashSet<i64> = snapshot.kept.iter().copied().collect();

    // Who is in each photo already: a face never joins a person present in its photo.
    let mut present: HashMap<i64, HashSet<i64>> = HashMap::new();
    // Sum, size and members of every unnamed group (average linkage of a face to a group is
    // the dot product with its mean).
    let mut sums: HashMap<i64, (Vec<f32>, u32)> = HashMap::new();
    let mut group_members: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, face) in snapshot.faces.iter().enumerate() {
        if let Some(person) = face.person_id {
            present.entry(face.photo_id).or_default().insert(person);
            if kept.contains(&person) {
                continue;
            }
            let entry = sums.entry(person).or_insert_with(|| (vec![0f32; dim], 0));
            for (s, x) in entry.0.iter_mut().zip(&face.embedding) {
                *s += x;
            }
            entry.1 += 1;
            group_members.entry(person).or_default().push(i);
        }
    }
    let groups: Vec<i64> = {
        let mut ids: Vec<i64> = sums.keys().copied().collect();
        ids.sort_unstable();
        ids
    };
    let means: Vec<f32> = groups
        .iter()
        .flat_map(|p| {
            let (sum, size) = &sums[p];
            sum.iter().map(move |x| x / *size as f32)
        })
        .collect();

    // Recognition, then one person per photo.
    let evidence = snapshot.evidence();
    let recognised: Vec<(usize, i64, f32)> = if snapshot.confirmed.is_empty() {
        Vec::new()
    } else {
        let found: Vec<(usize, i64, f32)> = fresh
            .par_iter()
            .filter_map(|&face| {
                let photo = snapshot.faces[face].photo_id;
                let allowed = |person: i64| {
                    !snapshot.is_rejected(face, person)
                        && !present.get(&photo).is_some_and(|p| p.contains(&person))
                        && evidence.born_by(face, person)
                };
                let resemblances = evidence.resemblances(face, &allowed);
                evidence.recognise(face, &resemblances, -1.0).map(|(person, score)| (face, person, score))
            })
            .collect();
        settle_photos(&evidence, found, |f| snapshot.faces[f].photo_id, &snapshot.photo_faces)
    };
    let recognised: HashMap<usize, i64> = recognised.into_iter().map(|(f, p, _)| (f, p)).collect();

    // The others: the nearest unnamed groups by average linkage.
    let near: Vec<Vec<(i64, f32)>> = fresh
        .par_iter()
        .map(|&face| {
            if recognised.contains_key(&face) {
                Vec::new()
            } else {
                nearest_groups(&groups, &means, dim, snapshot.embedding(face))
            }
        })
        .collect();

    let mut placed: Vec<(usize, Option<i64>, &str)> = Vec::with_capacity(fresh.len());
    let mut leftover = Vec::new();
    for (&face, near) in fresh.iter().zip(&near) {
        let photo = snapshot.faces[face].photo_id;
        let allowed = |person: i64, present: &HashMap<i64, HashSet<i64>>| {
            !present.get(&photo).is_some_and(|p| p.contains(&person)) && !snapshot.is_rejected(face, person)
        };
        let matched = match recognised.get(&face) {
            Some(&person) if allowed(person, &present) => Some((person, "match")),
            Some(_) => None,
            None if snapshot.is_hard(face) => {
                // A hard face joins a group only on stronger evidence, from about the same years.
                let day = snapshot.faces[face].taken_day;
                near.iter()
                    .filter(|&&(group, _)| allowed(group, &present))
                    .filter_map(|&(group, _)| {
                        let sims: Vec<f32> = group_members[&group]
                            .iter()
                            .filter(|&&m| dates::comparable(day, snapshot.faces[m].taken_day, None))
                            .map(|&m| cluster::dot(snapshot.embedding(face), snapshot.embedding(m)))
                            .collect();
                        Some((group, top_mean(sims)?))
                    })
                    .filter(|&(_, score)| score > min_similarity + HARD_FACE_EXTRA)
                    .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                    .map(|(group, _)| (group, "cluster"))
            }
            None => near
                .iter()
                .find(|&&(group, similarity)| similarity > min_similarity && allowed(group, &present))
                .map(|&(group, _)| (group, "cluster")),
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

    // The leftovers form groups among themselves and with lone faces close to one of them; hard
    // faces only at a stricter cut, among themselves.
    let lone: Vec<usize> = (0..snapshot.faces.len())
        .filter(|&i| {
            snapshot.faces[i].person_id.is_none()
                && snapshot.faces[i].assigned_by.as_deref() == Some(LEFT_ALONE)
        })
        .collect();
    let (hard_leftover, easy_leftover): (Vec<usize>, Vec<usize>) =
        leftover.iter().copied().partition(|&f| snapshot.is_hard(f));
    let near_lone = |pool: &[usize], hard: bool, needed: f32| -> Vec<usize> {
        lone.par_iter()
            .copied()
            .filter(|&l| snapshot.is_hard(l) == hard)
            .filter(|&l| {
                pool.iter().any(|&f| cluster::dot(snapshot.embedding(l), snapshot.embedding(f)) > needed)
            })
            .collect()
    };
    let easy_pool: Vec<usize> =
        easy_leftover.iter().copied().chain(near_lone(&easy_leftover, false, min_similarity)).collect();
    let hard_pool: Vec<usize> = hard_leftover
        .iter()
        .copied()
        .chain(near_lone(&hard_leftover, true, min_similarity + HARD_GROUP_EXTRA))
        .collect();
    let tx = catalog.conn_mut().transaction()?;
    let now = crate::time::now_utc();
    let fresh_set: HashSet<usize> = leftover.iter().copied().collect();
    let hard_settings = PeopleSettings { threshold: settings.threshold - HARD_GROUP_EXTRA, ..*settings };
    for (pool, pool_settings) in [(&easy_pool, *settings), (&hard_pool, hard_settings)] {
        if pool.is_empty() {
            continue;
        }
        let params = ClusterParams {
            threshold: pool_settings.threshold.max(0.0),
            linkage: pool_settings.linkage,
            knn: KnnMethod::Auto,
            ..Default::default()
        };
        let constraints = Constraints { must_link: Vec::new(), cannot_link: snapshot.same_photo_pairs(pool) };
        let labels = cluster::cluster(&snapshot.rows(pool), dim, &params, &constraints);
        let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, &label) in labels.iter().enumerate() {
            members.entry(label).or_default().push(pool[i]);
        }
        let mut new_groups: Vec<Vec<usize>> = members.into_values().collect();
        new_groups.sort_by_key(|g| g[0]);
        // Counts are of the new faces; lone faces joining a group are a bonus.
        for group in new_groups {
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

/// Unnamed groups ranked by average linkage to `embedding` (the dot product with their mean),
/// best first, at most `CANDIDATES_PER_FACE`.
fn nearest_groups(groups: &[i64], means: &[f32], dim: usize, embedding: &[f32]) -> Vec<(i64, f32)> {
    let mut ranked: Vec<(i64, f32)> = groups
        .iter()
        .zip(means.chunks_exact(dim))
        .map(|(&group, mean)| (group, cluster::dot(embedding, mean)))
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
