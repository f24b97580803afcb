//! Grouping face embeddings into people: average-linkage agglomerative clustering on cosine
//! distance, cut at a distance threshold, with user constraints.
//!
//! # Algorithm
//! Embeddings are unit vectors, so for clusters A and B with member sums `S_A`, `S_B` the mean
//! cosine similarity over all cross pairs is `S_A·S_B / (|A|·|B|)`. A cluster is therefore just a
//! sum vector and a size: O(n·dim) memory, no n×n matrix, and any linkage value costs O(dim).
//!
//! Only cluster pairs joined by at least one edge of a k-nearest-neighbour graph (made symmetric)
//! are candidates. A max-heap holds candidate pairs keyed by their linkage similarity; entries
//! carry both clusters' version counters and are discarded lazily when popped stale. Popping the
//! best valid pair merges it (unless a cannot-link pair spans it, in which case the pair is
//! dropped for good); the merged cluster's neighbours are the union of its parts' neighbours,
//! re-scored exactly. Pairs whose similarity is not above `1 − threshold` are never pushed: a
//! pair's linkage only changes when one side merges, and then it is re-scored.
//!
//! Two refinements:
//! - **Lazy re-scoring** ([`ClusterParams::rescore_tolerance`]). A person with thousands of faces
//!   grows by absorbing small fragments one at a time, and re-scoring all of its (thousands of)
//!   neighbours at every absorption is O(size²·d) per person — minutes at 1M faces. Absorbing F
//!   into M moves sim(M, C) by at most `|F|·(1 − s)/|M ∪ F|`, so M accumulates that bound as
//!   "drift" and keeps its queued keys until the drift would exceed the tolerance; only F's own
//!   neighbours are scored. A popped pair whose key may be stale is re-scored and merges only if
//!   its exact value still beats the next key, otherwise it is queued again. Merges are thus in
//!   exact order up to the tolerance (0.01 by default; 0 restores the exact greedy order).
//!   Clusters with drift are re-scored fully before the cut is declared done.
//! - **Mean-vector rounds.** When the heap is empty, every cluster's mean is searched against
//!   the means of all clusters of two or more faces (for average linkage, `mean_A·mean_B` *is*
//!   the linkage), and pairs above the threshold become candidates; repeated while it finds
//!   merges (at most 3 rounds). This recovers what the kNN graph cannot see: faces
//!   whose approximate search missed their few mates, low-quality faces whose 20 nearest faces
//!   are strangers, and two large clusters of one person with no edge between them.
//!
//! The loop ends when no candidate is left above the threshold: the flat cut at `threshold`.
//!
//! # Complexity (n faces, k neighbours, d = dim, m clusters left after the first pass)
//! - Memory: O(n·d) for the sums (merged clusters only; singletons use their own row) plus
//!   O(n·k) for adjacency and the heap. Measured peak RSS, embeddings included: 194 MiB at 100k,
//!   2.0 GiB at 1M.
//! - Time: kNN graph (see [`build_knn_graph`]: exact O(n²·d) up to 30k faces, IVF ≈ O(n^1.5·d) above), plus
//!   Σ over merges of O(re-scored neighbours · d + pushes · log heap), plus O(m·m₂·d) per mean
//!   round (m₂ = clusters with ≥ 2 faces). A merge replaces two neighbour lists by their union
//!   (deduplicated at full re-scorings; mean rounds add ≤ 4 edges per cluster), so a cluster's
//!   degree is at most the number of distinct clusters its members' edges reach (≤ 2·k·|cluster|)
//!   and all lists together stay O(n·k). Without laziness a person of s faces is re-scored fully at each of its
//!   ~s merges, O(s·deg·d); with it, a full re-scoring happens only each time the cluster grows
//!   by a factor ≈ 1 + tolerance/(1 − s_min), i.e. O(log(s)/tolerance) times when it absorbs
//!   small fragments. Measured at 100k: 34.8M pair scorings at tolerance 0, 11.8M at 0.01.
//!   Stale heap entries are purged when they outnumber live ones.
//!
//! # Constraints
//! Must-link groups (overlapping groups are joined) start as one cluster and so are never split.
//! Cannot-link pairs are lifted to cluster level and merged on every merge; a merge whose two
//! sides are cannot-linked is refused and that pair is dropped. A cannot-link pair inside one
//! must-link group contradicts it; the must-link wins (the user confirmed the group) and the
//! cannot-link is ignored.

mod exact;
mod knn;
mod metrics;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

pub use exact::exact_cluster;
pub(crate) use knn::nearest_rows;
pub use knn::{EXACT_SEARCH_MAX_POINTS, IvfParams, KnnGraph, KnnMethod, NO_NEIGHBOR, build_knn_graph};
pub use metrics::{ClusteringScores, knn_recall, score_clustering};

/// User decisions that clustering must never violate. Indices are face indices (rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Groups of faces confirmed as one person.
    pub must_link: Vec<Vec<usize>>,
    /// Pairs of faces that are not the same person (user "not this person", or two faces of
    /// one photo).
    pub cannot_link: Vec<(usize, usize)>,
}

/// How the similarity of two clusters is computed from their sum vectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Linkage {
    /// Mean cosine similarity over all cross pairs: `S_A·S_B / (|A|·|B|)`. The reference.
    #[default]
    Average,
    /// Cosine similarity of the two mean directions: `S_A·S_B / (‖S_A‖·‖S_B‖)`. Not monotone
    /// (merged clusters can be more similar to a third than their parts were), and its values are
    /// much closer to 1 than average linkage's, so it needs its own threshold.
    Centroid,
}

/// Parameters of [`cluster`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterParams {
    /// Cosine distance (1 − cosine similarity): clusters merge while their linkage distance is
    /// strictly below it.
    pub threshold: f32,
    /// Neighbours per face in the candidate graph.
    pub k: usize,
    pub linkage: Linkage,
    pub knn: KnnMethod,
    /// Lazy re-scoring (average linkage only): when a cluster absorbs one much smaller, its
    /// other queued pairs keep their keys as long as they provably lag the truth by at most
    /// this much similarity, instead of all being re-scored. A popped pair is re-scored exactly
    /// before it merges, so merges happen in exact order up to this tolerance, and the final
    /// cut is checked exactly. 0 gives the exact greedy order (slow for people with thousands
    /// of faces: every absorption re-scores all their neighbours).
    pub rescore_tolerance: f32,
}

/// Average-linkage cut chosen on labelled photos that are not the evaluation set (382 photos of
/// 72 people from ten sources, main faces): the best BCubed F1 there (0.975, precision 0.993).
/// Above ~0.70 look-alike strangers start to merge quickly, which a family forgives far less
/// than a person split in two.
pub const DEFAULT_THRESHOLD: f32 = 0.65;
/// Neighbours per face. On the synthetic benchmark every k from 5 to 40 reproduced the exact
/// clustering at the default threshold at 10k faces, and k ≥ 15 at 20k; 20 leaves a margin
/// for other thresholds (agreement with exact at distance 0.85 grows with k: 0.81 at k = 5,
/// 0.87 at 20, 0.97 at 40) and for cannot-link constraints, which need more candidate edges. The
/// clustering step costs roughly linearly in k.
pub const DEFAULT_K: usize = 20;

/// See [`ClusterParams::rescore_tolerance`]; chosen by measurement (benchmark notes).
pub const DEFAULT_RESCORE_TOLERANCE: f32 = 0.01;

impl Default for ClusterParams {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            k: DEFAULT_K,
            linkage: Linkage::Average,
            knn: KnnMethod::Auto,
            rescore_tolerance: DEFAULT_RESCORE_TOLERANCE,
        }
    }
}

/// Clusters `n = embeddings.len() / dim` face embeddings (row-major) into people.
///
/// Returns one label per face; labels are dense `0..m`, numbered by first appearance, so two
/// runs producing the same partition produce the same vector. Rows that are not unit length are
/// normalised on a private copy.
///
/// # Panics
/// If `embeddings.len()` is not a multiple of `dim`, or a constraint names a face ≥ n.
pub fn cluster(
    embeddings: &[f32],
    dim: usize,
    params: &ClusterParams,
    constraints: &Constraints,
) -> Vec<u32> {
    let vectors = normalized_rows(embeddings, dim);
    let graph = build_knn_graph(&vectors, dim, params.k, &params.knn);
    cluster_with_graph(&vectors, dim, &graph, params, constraints)
}

/// [`cluster`] on a prebuilt graph, so that several thresholds (a UI slider, an evaluation
/// sweep) share one kNN search. The graph must have been built on the same embeddings;
/// `params.k` and `params.knn` are not used.
///
/// # Panics
/// As [`cluster`], and if the graph's size does not match.
pub fn cluster_with_graph(
    embeddings: &[f32],
    dim: usize,
    graph: &KnnGraph,
    params: &ClusterParams,
    constraints: &Constraints,
) -> Vec<u32> {
    let vectors = normalized_rows(embeddings, dim);
    let n = vectors.len() / dim;
    assert_eq!(graph.len(), n, "kNN graph was built on a different number of embeddings");
    let initial = InitialClusters::new(&vectors, dim, constraints);
    let mut agglomeration = Agglomeration::new(
        &vectors,
        dim,
        params.linkage,
        1.0 - params.threshold,
        params.rescore_tolerance.max(0.0),
        initial,
        graph,
    );
    agglomeration.run();
    agglomeration.labels()
}

/// The rows of `embeddings`, L2-normalised. Borrowed when every row already has unit length
/// (within 1e-3), so callers passing normalised embeddings pay no copy. All-zero rows stay zero:
/// they have similarity 0 to everything and end up alone unless constraints say otherwise.
///
/// # Panics
/// If `embeddings.len()` is not a multiple of `dim` or `dim` is 0.
pub fn normalized_rows(embeddings: &[f32], dim: usize) -> Cow<'_, [f32]> {
    assert!(dim > 0 && embeddings.len().is_multiple_of(dim), "embedding buffer is not n × dim");
    let is_unit = |row: &[f32]| (dot(row, row) - 1.0).abs() <= 1e-3;
    if embeddings.par_chunks_exact(dim).all(is_unit) {
        return Cow::Borrowed(embeddings);
    }
    let mut owned = embeddings.to_vec();
    owned.par_chunks_exact_mut(dim).for_each(normalize_in_place);
    Cow::Owned(owned)
}

pub(crate) fn normalize_in_place(row: &mut [f32]) {
    let norm = dot(row, row).sqrt();
    if norm > 0.0 {
        row.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Lanes of the dot-product accumulators: two SSE registers (one AVX register), so the loop
/// vectorises on the baseline target without reassociating a single sum.
const LANES: usize = 8;

/// Dot product with [`LANES`] independent accumulators. Every linkage value in both the sparse
/// and the exact algorithm goes through this function so that they compute identical floats.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let (a_chunks, a_tail) = a.as_chunks::<LANES>();
    let (b_chunks, b_tail) = b.as_chunks::<LANES>();
    let mut acc = [0f32; LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for lane in 0..LANES {
            acc[lane] += x[lane] * y[lane];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    reduce_lanes(&acc) + tail
}

/// Fixed pairwise reduction order of [`dot`]'s lanes. (The kNN kernel sums in another order; its
/// values only rank neighbours and never enter a linkage.)
#[inline(always)]
fn reduce_lanes(acc: &[f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Linkage similarity from sum vectors, sizes and (for centroid linkage) sum norms.
#[inline]
pub(crate) fn linkage_similarity(
    linkage: Linkage,
    sum_a: &[f32],
    size_a: u32,
    norm_a: f32,
    sum_b: &[f32],
    size_b: u32,
    norm_b: f32,
) -> f32 {
    let product = dot(sum_a, sum_b);
    match linkage {
        Linkage::Average => product / (size_a as f32 * size_b as f32),
        Linkage::Centroid if norm_a > 0.0 && norm_b > 0.0 => product / (norm_a * norm_b),
        Linkage::Centroid => 0.0,
    }
}

/// Must-link components: the clusters agglomeration starts from. Shared with the exact reference
/// so both start from bit-identical sums.
pub(crate) struct InitialClusters {
    /// Representative face of every face's component (the smallest index in it).
    pub(crate) root: Vec<u32>,
    /// Sum vectors of components with more than one face, members added in index order.
    pub(crate) group_sums: Vec<(u32, Vec<f32>)>,
    pub(crate) size: Vec<u32>,
    /// Cannot-link pairs lifted to roots, pairs inside one must-link group dropped.
    pub(crate) cannot_link_roots: Vec<(u32, u32)>,
}

impl InitialClusters {
    pub(crate) fn new(vectors: &[f32], dim: usize, constraints: &Constraints) -> Self {
        let n = vectors.len() / dim;
        let mut parent: Vec<u32> = (0..n as u32).collect();
        for group in &constraints.must_link {
            for &face in group {
                assert!(face < n, "must-link names face {face} but there are {n}");
            }
            for pair in group.windows(2) {
                let (a, b) = (find_root(&mut parent, pair[0] as u32), find_root(&mut parent, pair[1] as u32));
                // Smallest index as root, so the representative does not depend on group order.
                let (low, high) = if a < b { (a, b) } else { (b, a) };
                parent[high as usize] = low;
            }
        }
        for &(a, b) in &constraints.cannot_link {
            assert!(a < n && b < n, "cannot-link names face {a} or {b} but there are {n}");
        }
        let root: Vec<u32> = (0..n as u32).map(|face| find_root(&mut parent, face)).collect();
        let mut size = vec![0u32; n];
        for &r in &root {
            size[r as usize] += 1;
        }
        let mut sum_index = vec![u32::MAX; n];
        let mut group_sums: Vec<(u32, Vec<f32>)> = Vec::new();
        for (face, &r) in root.iter().enumerate() {
            if size[r as usize] < 2 {
                continue;
            }
            if sum_index[r as usize] == u32::MAX {
                sum_index[r as usize] = group_sums.len() as u32;
                group_sums.push((r, vec![0f32; dim]));
            }
            let sum = &mut group_sums[sum_index[r as usize] as usize].1;
            for (acc, x) in sum.iter_mut().zip(&vectors[face * dim..(face + 1) * dim]) {
                *acc += x;
            }
        }
        let cannot_link_roots = constraints
            .cannot_link
            .iter()
            .map(|&(a, b)| (root[a], root[b]))
            .filter(|(a, b)| a != b)
            .collect();
        Self { root, group_sums, size, cannot_link_roots }
    }
}

/// Union-find lookup with path halving.
pub(crate) fn find_root(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let grandparent = parent[parent[x as usize] as usize];
        parent[x as usize] = grandparent;
        x = grandparent;
    }
    x
}

/// Dense labels numbered by first appearance of each root.
pub(crate) fn dense_labels(roots: impl Iterator<Item = u32>, n: usize) -> Vec<u32> {
    let mut label_of_root = vec![u32::MAX; n];
    let mut next = 0u32;
    roots
        .map(|r| {
            let label = &mut label_of_root[r as usize];
            if *label == u32::MAX {
                *label = next;
                next += 1;
            }
            *label
        })
        .collect()
}

/// A candidate merge in the heap. Valid only while both clusters still have these versions.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    similarity: f32,
    a: u32,
    b: u32,
    version_a: u32,
    version_b: u32,
    /// Generations at scoring time: while they are current the similarity is exact.
    generation_a: u32,
    generation_b: u32,
}

impl Ord for Candidate {
    /// Highest similarity first; ties go to the smaller pair so the result is deterministic.
    fn cmp(&self, other: &Self) -> Ordering {
        self.similarity.total_cmp(&other.similarity).then_with(|| (other.a, other.b).cmp(&(self.a, self.b)))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

const NO_SLOT: u32 = u32::MAX;
/// Rounds of mean-vector candidate search after the graph's candidates are exhausted. Each round
/// that finds merges can enable more; in the benchmarks a third round found nothing new.
const MAX_MEAN_ROUNDS: usize = 3;
/// Multi-face clusters searched per cluster in a mean-vector round.
const MEAN_NEIGHBORS: usize = 4;
/// Neighbour lists longer than this are re-scored in parallel after a merge.
const PARALLEL_RESCORE_MIN: usize = 256;
/// The heap is not purged of stale entries below this size; purging small heaps is not worth it.
const MIN_PURGE_LEN: usize = 1 << 16;

/// State of the sparse agglomeration. Cluster ids are face indices: a cluster is named after
/// one of its faces, and a merged-away id forwards to the survivor through `merged_into`.
struct Agglomeration<'a> {
    vectors: &'a [f32],
    dim: usize,
    linkage: Linkage,
    /// Merge only pairs whose linkage similarity is strictly above this (1 − threshold).
    min_similarity: f32,
    /// Union-find parent; an alive cluster is its own parent.
    merged_into: Vec<u32>,
    /// Faces in the cluster; 0 for merged-away ids.
    size: Vec<u32>,
    /// Bumped when the cluster dies or is fully re-scored, invalidating its queued pairs.
    version: Vec<u32>,
    /// Bumped whenever the cluster changes; a queued pair whose generations are not current has
    /// an inexact key (see `drift`).
    generation: Vec<u32>,
    /// Upper bound on how far the cluster's queued similarities may lag the truth, accumulated
    /// by lazy merges since its last full re-scoring; kept ≤ `tolerance`.
    drift: Vec<f32>,
    /// Largest drift allowed before a full re-scoring; 0 disables lazy merges.
    tolerance: f32,
    /// Slot of the cluster's sum in `sums`, or `NO_SLOT` for a single face (its row is its sum).
    sum_slot: Vec<u32>,
    sums: Vec<f32>,
    free_slots: Vec<u32>,
    /// ‖sum‖, used by centroid linkage only.
    sum_norm: Vec<f32>,
    /// Candidate neighbour clusters; may hold merged-away ids, resolved on use.
    neighbors: Vec<Vec<u32>>,
    /// Cannot-link partner clusters; may hold merged-away ids, resolved on use.
    cannot_link: Vec<Vec<u32>>,
    /// Per-cluster marks for O(1) set membership during a merge, compared to `current_mark`.
    mark: Vec<u32>,
    current_mark: u32,
    heap: BinaryHeap<Candidate>,
    purge_at_len: usize,
}

impl<'a> Agglomeration<'a> {
    fn new(
        vectors: &'a [f32],
        dim: usize,
        linkage: Linkage,
        min_similarity: f32,
        tolerance: f32,
        initial: InitialClusters,
        graph: &KnnGraph,
    ) -> Self {
        let n = vectors.len() / dim;
        let InitialClusters { root, group_sums, size, cannot_link_roots } = initial;

        let mut sum_slot = vec![NO_SLOT; n];
        let mut sums = Vec::with_capacity(group_sums.len() * dim);
        for (slot, (r, sum)) in group_sums.into_iter().enumerate() {
            sum_slot[r as usize] = slot as u32;
            sums.extend_from_slice(&sum);
        }

        // Symmetric adjacency between initial clusters: an edge i→j in the kNN graph makes
        // root(i) and root(j) candidates of each other.
        let mut degree = vec![0u32; n];
        for i in 0..n {
            for (j, _) in graph.neighbors_of(i) {
                let (ri, rj) = (root[i], root[j as usize]);
                if ri != rj {
                    degree[ri as usize] += 1;
                    degree[rj as usize] += 1;
                }
            }
        }
        let mut neighbors: Vec<Vec<u32>> = degree.iter().map(|&d| Vec::with_capacity(d as usize)).collect();
        drop(degree);
        for i in 0..n {
            for (j, _) in graph.neighbors_of(i) {
                let (ri, rj) = (root[i], root[j as usize]);
                if ri != rj {
                    neighbors[ri as usize].push(rj);
                    neighbors[rj as usize].push(ri);
                }
            }
        }
        neighbors.par_iter_mut().for_each(|list| {
            list.sort_unstable();
            list.dedup();
            list.shrink_to_fit();
        });

        let mut cannot_link: Vec<Vec<u32>> = vec![Vec::new(); n];
        for &(a, b) in &cannot_link_roots {
            cannot_link[a as usize].push(b);
            cannot_link[b as usize].push(a);
        }

        let mut state = Self {
            vectors,
            dim,
            linkage,
            min_similarity,
            merged_into: root,
            size,
            version: vec![0; n],
            generation: vec![0; n],
            drift: vec![0.0; n],
            tolerance,
            sum_slot,
            sums,
            free_slots: Vec::new(),
            sum_norm: vec![0.0; n],
            neighbors,
            cannot_link,
            mark: vec![0; n],
            current_mark: 0,
            heap: BinaryHeap::new(),
            purge_at_len: MIN_PURGE_LEN,
        };
        let alive: Vec<u32> = (0..n as u32).filter(|&c| state.merged_into[c as usize] == c).collect();
        if linkage == Linkage::Centroid {
            for &c in &alive {
                let sum = state.sum(c);
                state.sum_norm[c as usize] = dot(sum, sum).sqrt();
            }
        }
        // Initial candidates, scored in parallel; cannot-link is checked when a pair is popped.
        let initial: Vec<Candidate> = alive
            .par_iter()
            .flat_map_iter(|&a| {
                let state = &state;
                state.neighbors[a as usize]
                    .iter()
                    .filter(move |&&b| a < b)
                    .map(move |&b| state.candidate(a, b))
                    .filter(|candidate| candidate.similarity > state.min_similarity)
            })
            .collect();
        state.heap = BinaryHeap::from(initial);
        state.purge_at_len = MIN_PURGE_LEN.max(2 * state.heap.len());
        state
    }

    /// The cluster's sum vector: its own row while it is a single face.
    fn sum(&self, cluster: u32) -> &[f32] {
        let c = cluster as usize;
        match self.sum_slot[c] {
            NO_SLOT => &self.vectors[c * self.dim..(c + 1) * self.dim],
            slot => &self.sums[slot as usize * self.dim..(slot as usize + 1) * self.dim],
        }
    }

    fn candidate(&self, a: u32, b: u32) -> Candidate {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        let (ia, ib) = (a as usize, b as usize);
        let similarity = linkage_similarity(
            self.linkage,
            self.sum(a),
            self.size[ia],
            self.sum_norm[ia],
            self.sum(b),
            self.size[ib],
            self.sum_norm[ib],
        );
        Candidate {
            similarity,
            a,
            b,
            version_a: self.version[ia],
            version_b: self.version[ib],
            generation_a: self.generation[ia],
            generation_b: self.generation[ib],
        }
    }

    fn is_exact(&self, candidate: &Candidate) -> bool {
        self.generation[candidate.a as usize] == candidate.generation_a
            && self.generation[candidate.b as usize] == candidate.generation_b
    }

    fn is_current(&self, candidate: &Candidate) -> bool {
        let (a, b) = (candidate.a as usize, candidate.b as usize);
        self.size[a] > 0
            && self.size[b] > 0
            && self.version[a] == candidate.version_a
            && self.version[b] == candidate.version_b
    }

    fn run(&mut self) {
        self.merge_candidates();
        for _ in 0..MAX_MEAN_ROUNDS {
            if !self.add_candidates_from_cluster_means() {
                break;
            }
            self.merge_candidates();
        }
    }

    /// Merges heap candidates, best first, until none is above the threshold.
    fn merge_candidates(&mut self) {
        loop {
            while let Some(popped) = self.heap.pop() {
                if !self.is_current(&popped) || self.cannot_link_between(popped.a, popped.b) {
                    continue;
                }
                if !self.is_exact(&popped) {
                    // A side absorbed a small cluster since scoring (lazy re-scoring): the key is
                    // within the tolerance of the truth. Merge only if the exact value still
                    // beats every other key; else queue it again with its exact value.
                    let rescored = self.candidate(popped.a, popped.b);
                    if rescored.similarity <= self.min_similarity {
                        continue;
                    }
                    if self.heap.peek().is_some_and(|next| *next > rescored) {
                        self.heap.push(rescored);
                        continue;
                    }
                }
                self.merge(popped.a, popped.b);
                if self.heap.len() >= self.purge_at_len {
                    self.purge_stale();
                }
            }
            // Pairs of a lazily grown cluster that were below the threshold when last scored may
            // have drifted above it: re-score such clusters fully before declaring the cut done.
            let drifted: Vec<u32> = (0..self.merged_into.len() as u32)
                .filter(|&c| self.merged_into[c as usize] == c && self.drift[c as usize] > 0.0)
                .collect();
            if drifted.is_empty() {
                return;
            }
            for cluster in drifted {
                self.rescore_all_neighbors(cluster);
            }
        }
    }

    /// Finds merge candidates the kNN graph missed, by searching every cluster's mean vector
    /// against the means of all clusters of two or more faces; returns whether any was found.
    ///
    /// Two kinds of pairs above the threshold can lack kNN edges: a face whose neighbours all
    /// lie elsewhere (approximate search missed its few mates, or it is a low-quality face whose
    /// 20 nearest faces are strangers), and two big clusters of one person whose members'
    /// neighbours all lie inside their own cluster. Both have a high mean-to-mean dot product,
    /// which for average linkage *is* the linkage: `S_A·S_B/(|A||B|) = mean_A · mean_B`.
    fn add_candidates_from_cluster_means(&mut self) -> bool {
        let n = self.merged_into.len();
        let alive: Vec<u32> = (0..n as u32).filter(|&c| self.merged_into[c as usize] == c).collect();
        let targets: Vec<u32> = alive.iter().copied().filter(|&c| self.size[c as usize] >= 2).collect();
        if targets.is_empty() || alive.len() < 2 {
            return false;
        }
        let dim = self.dim;
        let mean_vectors = |clusters: &[u32]| {
            let mut means = vec![0f32; clusters.len() * dim];
            means.par_chunks_mut(dim).zip(clusters.par_iter()).for_each(|(mean, &c)| {
                let scale = match self.linkage {
                    Linkage::Average => 1.0 / self.size[c as usize] as f32,
                    Linkage::Centroid => 1.0 / self.sum_norm[c as usize].max(f32::MIN_POSITIVE),
                };
                mean.iter_mut().zip(self.sum(c)).for_each(|(m, s)| *m = s * scale);
            });
            means
        };
        let per_query = MEAN_NEIGHBORS.min(targets.len());
        let nearest = knn::nearest_rows(&mean_vectors(&alive), &mean_vectors(&targets), dim, per_query);
        let state = &*self;
        let targets = &targets;
        let found: Vec<Candidate> = alive
            .par_iter()
            .zip(nearest.par_chunks(per_query))
            .flat_map_iter(|(&a, row)| {
                row.iter()
                    .filter(move |&&t| t != knn::NO_NEIGHBOR && targets[t as usize] != a)
                    .map(move |&t| state.candidate(a, targets[t as usize]))
                    .filter(|candidate| candidate.similarity > state.min_similarity)
            })
            .collect();
        let mut added = false;
        for candidate in found {
            // A pair already linked by the graph was scored at these versions and is not in the
            // heap any more, so it was refused by a cannot-link; only new pairs get here.
            if self.cannot_link_between(candidate.a, candidate.b) {
                continue;
            }
            self.neighbors[candidate.a as usize].push(candidate.b);
            self.neighbors[candidate.b as usize].push(candidate.a);
            self.heap.push(candidate);
            added = true;
        }
        added
    }

    /// Whether any cannot-link pair spans the two alive clusters.
    fn cannot_link_between(&mut self, a: u32, b: u32) -> bool {
        let (scan, other) = if self.cannot_link[a as usize].len() <= self.cannot_link[b as usize].len() {
            (a, b)
        } else {
            (b, a)
        };
        let list = std::mem::take(&mut self.cannot_link[scan as usize]);
        let found = list.iter().any(|&x| find_root(&mut self.merged_into, x) == other);
        self.cannot_link[scan as usize] = list;
        found
    }

    fn next_mark(&mut self) -> u32 {
        self.current_mark = self.current_mark.wrapping_add(1);
        if self.current_mark == 0 {
            // Wrapped after 2³² marks: old marks could collide, so clear them once.
            self.mark.fill(0);
            self.current_mark = 1;
        }
        self.current_mark
    }

    /// Replaces the ids in `list` by their alive clusters and keeps each cluster once, skipping
    /// clusters that already carry `mark`; kept clusters are marked.
    fn retain_unmarked_roots(&mut self, list: &mut Vec<u32>, mark: u32) {
        list.retain_mut(|id| {
            let root = find_root(&mut self.merged_into, *id);
            *id = root;
            let seen = self.mark[root as usize] == mark;
            self.mark[root as usize] = mark;
            !seen
        });
    }

    fn merge(&mut self, a: u32, b: u32) {
        // The bigger cluster survives: the lazy bound is relative to its size, and its (usually
        // longer) neighbour list is reused.
        let (keep, gone) = if (self.size[a as usize], self.neighbors[a as usize].len())
            >= (self.size[b as usize], self.neighbors[b as usize].len())
        {
            (a, b)
        } else {
            (b, a)
        };
        let (k, g) = (keep as usize, gone as usize);
        self.add_sums(k, g);
        let merged_size = self.size[k] + self.size[g];
        // Absorbing F into M moves sim(M, C) by |F|·(sim(F, C) − sim(M, C)) / |M ∪ F|, which for
        // the pairs that matter (sim(M, C) ≥ merge level − tolerance) is at most `increment`.
        let increment =
            self.size[g] as f32 * (1.0 - self.min_similarity + self.tolerance) / merged_size as f32;
        let lazy = self.linkage == Linkage::Average
            && self.tolerance > 0.0
            && self.drift[k] + increment <= self.tolerance;
        self.size[k] = merged_size;
        self.size[g] = 0;
        self.version[g] += 1;
        self.merged_into[g] = keep;
        self.generation[k] += 1;
        let mut gone_banned = std::mem::take(&mut self.cannot_link[g]);
        self.cannot_link[k].append(&mut gone_banned);

        if lazy {
            // Re-score only the absorbed cluster's neighbours (its pairs died with it); keep's
            // other entries stay queued with keys that are off by at most the drift.
            self.drift[k] += increment;
            let mut fresh = std::mem::take(&mut self.neighbors[g]);
            let mark = self.next_mark();
            self.mark[k] = mark;
            self.retain_unmarked_roots(&mut fresh, mark);
            self.push_candidates(keep, &fresh);
            // Duplicates in keep's list are removed at its next full re-scoring.
            self.neighbors[k].append(&mut fresh);
        } else {
            let mut gone_neighbors = std::mem::take(&mut self.neighbors[g]);
            self.neighbors[k].append(&mut gone_neighbors);
            self.rescore_all_neighbors(keep);
        }
    }

    /// S_k ← S_k + S_g, stored in a slot owned by `k`.
    fn add_sums(&mut self, k: usize, g: usize) {
        let dim = self.dim;
        match (self.sum_slot[k], self.sum_slot[g]) {
            (NO_SLOT, NO_SLOT) => {
                let slot = self.allocate_slot();
                let (sum_start, gone_row) = (slot as usize * dim, g * dim);
                for i in 0..dim {
                    self.sums[sum_start + i] = self.vectors[k * dim + i] + self.vectors[gone_row + i];
                }
                self.sum_slot[k] = slot;
            }
            (NO_SLOT, slot) => {
                // Take over the other's slot; addition is commutative, so the floats are the same.
                let start = slot as usize * dim;
                for i in 0..dim {
                    self.sums[start + i] += self.vectors[k * dim + i];
                }
                self.sum_slot[k] = slot;
                self.sum_slot[g] = NO_SLOT;
            }
            (slot, NO_SLOT) => {
                let start = slot as usize * dim;
                for i in 0..dim {
                    self.sums[start + i] += self.vectors[g * dim + i];
                }
            }
            (slot, other) => {
                let (start, other_start) = (slot as usize * dim, other as usize * dim);
                for i in 0..dim {
                    self.sums[start + i] += self.sums[other_start + i];
                }
                self.free_slots.push(other);
                self.sum_slot[g] = NO_SLOT;
            }
        }
        if self.linkage == Linkage::Centroid {
            let sum = self.sum(k as u32);
            self.sum_norm[k] = dot(sum, sum).sqrt();
        }
    }

    /// Starts a new version of `cluster`: its queued pairs become stale, its cannot-link and
    /// neighbour lists are resolved and deduplicated, and every neighbour is scored exactly.
    fn rescore_all_neighbors(&mut self, cluster: u32) {
        let c = cluster as usize;
        self.version[c] += 1;
        self.generation[c] += 1;
        self.drift[c] = 0.0;

        let mut banned = std::mem::take(&mut self.cannot_link[c]);
        let mark = self.next_mark();
        self.mark[c] = mark;
        self.retain_unmarked_roots(&mut banned, mark);

        // Neighbours minus the cluster itself and minus banned clusters (no superset of this
        // cluster may ever merge with a superset of theirs).
        let mut neighbors = std::mem::take(&mut self.neighbors[c]);
        let mark = self.next_mark();
        self.mark[c] = mark;
        for &x in &banned {
            self.mark[x as usize] = mark;
        }
        self.retain_unmarked_roots(&mut neighbors, mark);
        self.cannot_link[c] = banned;
        self.push_candidates(cluster, &neighbors);
        self.neighbors[c] = neighbors;
    }

    /// Scores `cluster` against each of `others` (alive, distinct) and queues the pairs above
    /// the merge level.
    fn push_candidates(&mut self, cluster: u32, others: &[u32]) {
        let min_similarity = self.min_similarity;
        let state = &*self;
        let fresh: Vec<Candidate> = if others.len() >= PARALLEL_RESCORE_MIN {
            others
                .par_iter()
                .map(|&c| state.candidate(cluster, c))
                .filter(|candidate| candidate.similarity > min_similarity)
                .collect()
        } else {
            others
                .iter()
                .map(|&c| state.candidate(cluster, c))
                .filter(|candidate| candidate.similarity > min_similarity)
                .collect()
        };
        self.heap.extend(fresh);
    }

    fn allocate_slot(&mut self) -> u32 {
        if let Some(slot) = self.free_slots.pop() {
            return slot;
        }
        let slot = self.sums.len() / self.dim;
        self.sums.resize(self.sums.len() + self.dim, 0.0);
        slot as u32
    }

    /// Drops stale entries once they make up most of the heap; amortised O(1) per push.
    fn purge_stale(&mut self) {
        let mut heap = std::mem::take(&mut self.heap).into_vec();
        heap.retain(|candidate| self.is_current(candidate));
        self.heap = BinaryHeap::from(heap);
        self.purge_at_len = MIN_PURGE_LEN.max(2 * self.heap.len());
    }

    fn labels(&mut self) -> Vec<u32> {
        let n = self.merged_into.len();
        let roots: Vec<u32> = (0..n as u32).map(|face| find_root(&mut self.merged_into, face)).collect();
        dense_labels(roots.into_iter(), n)
    }
}
