//! Textbook agglomerative clustering over the full similarity matrix: the reference the sparse
//! algorithm is tested and measured against. O(m²) memory for m initial clusters (400 MB at 10k,
//! 1.6 GB at 20k), so only for tests and evaluation.
//!
//! Every step merges the globally most similar allowed pair, exactly as the textbook, using a
//! cached best partner per row (Day–Edelsbrunner's "generic" scheme): after a merge only the
//! merged row is recomputed and only rows whose best partner was one of the two merged clusters
//! are rescanned, which is O(m²) time per ~m merges in practice instead of O(m³).
//!
//! Linkage values come from the sum-vector formula and the same [`super::dot`] as the sparse
//! algorithm (not a Lance–Williams update of the matrix, which would round differently), so when
//! both algorithms make the same merges they see bit-identical similarities and any difference in
//! the result is due to candidate pairs missing from the kNN graph, never to rounding.

use rayon::prelude::*;

use super::{Constraints, InitialClusters, Linkage, dense_labels, dot, linkage_similarity, normalized_rows};

/// Marks a forbidden pair (cannot-link) or the diagonal; the mean with it stays forbidden.
const FORBIDDEN: f32 = f32::NEG_INFINITY;

/// Exact agglomerative clustering with the same threshold, linkage and constraint semantics as
/// [`super::cluster`]; labels are dense and numbered by first appearance.
///
/// # Panics
/// As [`super::cluster`].
pub fn exact_cluster(
    embeddings: &[f32],
    dim: usize,
    threshold: f32,
    linkage: Linkage,
    constraints: &Constraints,
) -> Vec<u32> {
    let vectors = normalized_rows(embeddings, dim);
    let n = vectors.len() / dim;
    let initial = InitialClusters::new(&vectors, dim, constraints);
    let min_similarity = 1.0 - threshold;

    // Initial clusters get dense row indices 0..m in face order of their representatives.
    let roots: Vec<u32> = (0..n as u32).filter(|&face| initial.root[face as usize] == face).collect();
    let m = roots.len();
    let mut row_of_root = vec![u32::MAX; n];
    for (row, &r) in roots.iter().enumerate() {
        row_of_root[r as usize] = row as u32;
    }
    let mut sums = vec![0f32; m * dim];
    for (row, &r) in roots.iter().enumerate() {
        let r = r as usize;
        sums[row * dim..(row + 1) * dim].copy_from_slice(&vectors[r * dim..(r + 1) * dim]);
    }
    for (r, sum) in &initial.group_sums {
        let row = row_of_root[*r as usize] as usize;
        sums[row * dim..(row + 1) * dim].copy_from_slice(sum);
    }
    let mut size: Vec<u32> = roots.iter().map(|&r| initial.size[r as usize]).collect();
    let mut norm: Vec<f32> = (0..m)
        .map(|row| dot(&sums[row * dim..(row + 1) * dim], &sums[row * dim..(row + 1) * dim]).sqrt())
        .collect();

    let mut similarity = vec![0f32; m * m];
    similarity.par_chunks_mut(m.max(1)).enumerate().for_each(|(i, row)| {
        let sum_i = &sums[i * dim..(i + 1) * dim];
        for (j, value) in row.iter_mut().enumerate() {
            *value = if i == j {
                FORBIDDEN
            } else {
                linkage_similarity(
                    linkage,
                    sum_i,
                    size[i],
                    norm[i],
                    &sums[j * dim..(j + 1) * dim],
                    size[j],
                    norm[j],
                )
            };
        }
    });
    for &(a, b) in &initial.cannot_link_roots {
        let (a, b) = (row_of_root[a as usize] as usize, row_of_root[b as usize] as usize);
        similarity[a * m + b] = FORBIDDEN;
        similarity[b * m + a] = FORBIDDEN;
    }

    let mut alive = vec![true; m];
    // Best partner of every alive row, ties to the lowest index.
    let best_in_row = |similarity: &[f32], alive: &[bool], i: usize| -> (usize, f32) {
        let mut best = (usize::MAX, FORBIDDEN);
        for (j, &s) in similarity[i * m..(i + 1) * m].iter().enumerate() {
            if alive[j] && s > best.1 {
                best = (j, s);
            }
        }
        best
    };
    let mut best: Vec<(usize, f32)> =
        (0..m).into_par_iter().map(|i| best_in_row(&similarity, &alive, i)).collect();
    let mut merged_into: Vec<u32> = (0..m as u32).collect();

    loop {
        let mut top = (usize::MAX, FORBIDDEN);
        for (i, &(_, s)) in best.iter().enumerate() {
            if alive[i] && s > top.1 {
                top = (i, s);
            }
        }
        let (i, s) = top;
        if i == usize::MAX || s <= min_similarity {
            break;
        }
        let j = best[i].0;
        let (keep, gone) = (i.min(j), i.max(j));
        alive[gone] = false;
        merged_into[gone] = keep as u32;
        let (head, tail) = sums.split_at_mut(gone * dim);
        for (acc, x) in head[keep * dim..(keep + 1) * dim].iter_mut().zip(&tail[..dim]) {
            *acc += x;
        }
        size[keep] += size[gone];
        let sum_keep = sums[keep * dim..(keep + 1) * dim].to_vec();
        norm[keep] = dot(&sum_keep, &sum_keep).sqrt();

        let new_row: Vec<f32> = (0..m)
            .into_par_iter()
            .map(|c| {
                let forbidden =
                    similarity[keep * m + c] == FORBIDDEN || similarity[gone * m + c] == FORBIDDEN;
                if c == keep || !alive[c] || forbidden {
                    FORBIDDEN
                } else {
                    linkage_similarity(
                        linkage,
                        &sum_keep,
                        size[keep],
                        norm[keep],
                        &sums[c * dim..(c + 1) * dim],
                        size[c],
                        norm[c],
                    )
                }
            })
            .collect();
        for (c, &value) in new_row.iter().enumerate() {
            similarity[keep * m + c] = value;
            similarity[c * m + keep] = value;
        }

        best[keep] = best_in_row(&similarity, &alive, keep);
        let updates: Vec<(usize, (usize, f32))> = (0..m)
            .into_par_iter()
            .filter(|&c| alive[c] && c != keep)
            .filter_map(|c| {
                let (partner, value) = best[c];
                if partner == keep || partner == gone {
                    Some((c, best_in_row(&similarity, &alive, c)))
                } else if new_row[c] > value || (new_row[c] == value && keep < partner) {
                    Some((c, (keep, new_row[c])))
                } else {
                    None
                }
            })
            .collect();
        for (c, value) in updates {
            best[c] = value;
        }
    }

    let row_roots: Vec<u32> = (0..m as u32).map(|row| super::find_root(&mut merged_into, row)).collect();
    dense_labels(initial.root.iter().map(|&r| row_roots[row_of_root[r as usize] as usize]), m)
}
