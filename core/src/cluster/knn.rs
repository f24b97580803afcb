//! k-nearest-neighbour graphs over unit vectors (similarity = dot product = 1 − cosine distance).
//!
//! Two builders share one scanning kernel:
//! - [`KnnMethod::Exact`]: blocked brute force, O(n²·dim) work, exact. Rows are scanned in blocks so
//!   that one block of candidate rows stays in L2 while a block of queries runs over it.
//! - [`KnnMethod::Ivf`]: an inverted file. A spherical k-means coarse quantiser (≈ √n cells, trained
//!   on a sample) assigns every vector to its nearest cell; the vectors are stored cell by cell and
//!   each query scans only the `probes` cells whose centroids are closest to it. Work is about
//!   O(n·cells·dim + n·probes·(n/cells)·dim), i.e. O(n^1.5·dim) for cells ≈ √n.
//!
//! The kernel is written so that LLVM vectorises it for the baseline x86-64 target (SSE2) without
//! `unsafe` or target features. Candidate rows are stored in panels of 8 rows transposed
//! (`dim × 8`, see [`Panels`]), and four queries are scored against one panel at a time: per
//! dimension one 8-wide load of the panel serves four broadcast query values, 32 multiply-adds in
//! 8 independent accumulator registers. That is ≈ 3× the throughput of row-by-row dot products.

use rayon::prelude::*;

/// Marks an empty neighbour slot (a row has fewer than `k` candidates when n ≤ k).
pub const NO_NEIGHBOR: u32 = u32::MAX;

/// Above this many points [`KnnMethod::Auto`] switches from exact search to IVF. Measured on the
/// 2-core dev machine (128-D, k = 20): exact ≈ 0.65 s at 10k, 2.5 s at 20k, 8 s at 50k (≈ 40 G
/// multiply-adds/s); IVF ≈ 0.8 s at 50k. Exact is worth its cost while it stays within a few
/// seconds, since it is what the clustering is validated against.
pub const EXACT_SEARCH_MAX_POINTS: usize = 30_000;

/// How to build the k-nearest-neighbour graph.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum KnnMethod {
    /// Exact up to [`EXACT_SEARCH_MAX_POINTS`] points, IVF with default parameters above.
    #[default]
    Auto,
    /// Blocked brute force.
    Exact,
    /// Inverted-file approximate search.
    Ivf(IvfParams),
}

/// Parameters of the inverted-file index.
#[derive(Debug, Clone, PartialEq)]
pub struct IvfParams {
    /// Number of coarse cells; 0 picks ⌈√n⌉.
    pub cells: usize,
    /// Cells scanned per query (the nearest ones to the query).
    pub probes: usize,
    /// Points sampled to train the quantiser, per cell.
    pub training_points_per_cell: usize,
    /// Spherical k-means iterations.
    pub training_iterations: usize,
    /// Seed of the sampling and the k-means initialisation, so graphs are reproducible.
    pub seed: u64,
}

impl Default for IvfParams {
    fn default() -> Self {
        // Measured on 50k synthetic faces (benchmark `--knn-study`): √n cells and 12 probes give
        // recall@20 0.89 and a clustering at BCubed F1 0.9967 to the exact-graph one (0.9962 vs
        // 0.9980 against the truth). Recall looks low because a person with few faces has
        // strangers among their 20 "neighbours", which no index finds reliably and which do not
        // matter; the mean-vector rounds of the clustering recover most missed mates. 24 probes
        // reach 0.9985 agreement at 1.6× the time; fewer cells with the same probes, 0.9981 at 1.5×.
        Self { cells: 0, probes: 12, training_points_per_cell: 40, training_iterations: 8, seed: 0x5eed }
    }
}

/// The `k` most similar other points of every point, best first.
#[derive(Debug, Clone)]
pub struct KnnGraph {
    k: usize,
    /// Row-major `n × k`; [`NO_NEIGHBOR`] pads rows that have fewer than `k` neighbours.
    neighbors: Vec<u32>,
    /// Dot products matching `neighbors`; `-inf` in padded slots.
    similarities: Vec<f32>,
}

impl KnnGraph {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.neighbors.len().checked_div(self.k).unwrap_or(0)
    }

    /// Whether the graph has no points.
    pub fn is_empty(&self) -> bool {
        self.neighbors.is_empty()
    }

    /// Neighbours kept per point.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The graph among `points` only (indices into this graph, in the order given), renumbered
    /// 0.. in that order: neighbours outside `points` are dropped.
    pub fn restricted_to(&self, points: &[usize]) -> KnnGraph {
        let mut new_index = vec![NO_NEIGHBOR; self.len()];
        for (i, &p) in points.iter().enumerate() {
            new_index[p] = i as u32;
        }
        let mut neighbors = Vec::with_capacity(points.len() * self.k);
        let mut similarities = Vec::with_capacity(points.len() * self.k);
        for &p in points {
            let before = neighbors.len();
            for (other, similarity) in self.neighbors_of(p) {
                if new_index[other as usize] != NO_NEIGHBOR {
                    neighbors.push(new_index[other as usize]);
                    similarities.push(similarity);
                }
            }
            let padding = self.k - (neighbors.len() - before);
            neighbors.extend(std::iter::repeat_n(NO_NEIGHBOR, padding));
            similarities.extend(std::iter::repeat_n(f32::NEG_INFINITY, padding));
        }
        KnnGraph { k: self.k, neighbors, similarities }
    }

    /// Neighbours of `point` with their similarities, best first, padding skipped.
    pub fn neighbors_of(&self, point: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let row = point * self.k..(point + 1) * self.k;
        self.neighbors[row.clone()]
            .iter()
            .zip(&self.similarities[row])
            .filter(|(id, _)| **id != NO_NEIGHBOR)
            .map(|(id, sim)| (*id, *sim))
    }
}

/// Builds the k-nearest-neighbour graph of `n = vectors.len() / dim` unit vectors.
///
/// The vectors must already be L2-normalised (see [`super::normalized_rows`]); self-matches are
/// excluded.
pub fn build_knn_graph(vectors: &[f32], dim: usize, k: usize, method: &KnnMethod) -> KnnGraph {
    assert!(dim > 0 && vectors.len().is_multiple_of(dim), "embedding buffer is not n × dim");
    let n = vectors.len() / dim;
    let k = k.max(1);
    match method {
        KnnMethod::Exact => exact_knn(vectors, dim, k),
        KnnMethod::Auto if n <= EXACT_SEARCH_MAX_POINTS => exact_knn(vectors, dim, k),
        KnnMethod::Auto => ivf_knn(vectors, dim, k, &IvfParams::default()),
        KnnMethod::Ivf(params) => ivf_knn(vectors, dim, k, params),
    }
}

/// Queries handled by one parallel task: enough to amortise streaming the candidate panels.
const QUERY_BLOCK: usize = 128;
/// Panels per block in exact search: 64 panels × 8 rows × 128 dims × 4 B = 256 KiB, fits L2.
const PANEL_BLOCK: usize = 64;
/// Rows per panel: two SSE registers (one AVX register) of `f32`.
const PANEL_ROWS: usize = 8;
/// Queries scored together against a panel.
const QUERY_GROUP: usize = 4;

/// Rows stored as panels of [`PANEL_ROWS`] rows transposed: panel `p` holds, for every dimension
/// `d`, the 8 values `row[8p + r][d]`. Missing rows at the end of a panel are zero and carry the
/// id [`NO_NEIGHBOR`], so they are never reported.
struct Panels {
    dim: usize,
    values: Vec<f32>,
    ids: Vec<u32>,
}

impl Panels {
    /// Panels of the given rows of `vectors`, in the order and with the ids given by `rows`, one
    /// padded run of panels per group in `group_starts` (a group never shares a panel).
    fn new(vectors: &[f32], dim: usize, rows: &[u32], group_starts: &[usize]) -> (Self, Vec<usize>) {
        let mut panel_starts = Vec::with_capacity(group_starts.len());
        let mut total_panels = 0;
        for group in group_starts.windows(2) {
            panel_starts.push(total_panels);
            total_panels += (group[1] - group[0]).div_ceil(PANEL_ROWS);
        }
        panel_starts.push(total_panels);
        let mut ids = vec![NO_NEIGHBOR; total_panels * PANEL_ROWS];
        for (g, group) in group_starts.windows(2).enumerate() {
            let first_slot = panel_starts[g] * PANEL_ROWS;
            ids[first_slot..first_slot + group[1] - group[0]].copy_from_slice(&rows[group[0]..group[1]]);
        }
        let mut values = vec![0f32; total_panels * PANEL_ROWS * dim];
        values.par_chunks_mut(PANEL_ROWS * dim).zip(ids.par_chunks(PANEL_ROWS)).for_each(
            |(panel, panel_ids)| {
                for (r, &id) in panel_ids.iter().enumerate().filter(|(_, id)| **id != NO_NEIGHBOR) {
                    let row = &vectors[id as usize * dim..(id as usize + 1) * dim];
                    for (d, &x) in row.iter().enumerate() {
                        panel[d * PANEL_ROWS + r] = x;
                    }
                }
            },
        );
        (Self { dim, values, ids }, panel_starts)
    }

    fn panel(&self, p: usize) -> &[f32] {
        &self.values[p * PANEL_ROWS * self.dim..(p + 1) * PANEL_ROWS * self.dim]
    }

    fn panel_ids(&self, p: usize) -> &[u32] {
        &self.ids[p * PANEL_ROWS..(p + 1) * PANEL_ROWS]
    }
}

/// Dot products of four queries with the eight rows of one panel.
#[inline(always)]
fn score_panel(queries: [&[f32]; QUERY_GROUP], panel: &[f32]) -> [[f32; PANEL_ROWS]; QUERY_GROUP] {
    let dim = queries[0].len();
    let (panel, _) = panel.as_chunks::<PANEL_ROWS>();
    let panel = &panel[..dim];
    let (q0, q1, q2, q3) = (&queries[0][..dim], &queries[1][..dim], &queries[2][..dim], &queries[3][..dim]);
    let mut acc = [[0f32; PANEL_ROWS]; QUERY_GROUP];
    for d in 0..dim {
        let rows = &panel[d];
        let query_values = [q0[d], q1[d], q2[d], q3[d]];
        for (acc_query, &q) in acc.iter_mut().zip(&query_values) {
            for lane in 0..PANEL_ROWS {
                acc_query[lane] += q * rows[lane];
            }
        }
    }
    acc
}

/// Best-k lists of a block of queries: row `q` of `ids`/`sims` (k entries each), sorted best
/// first. k is small (≤ ~64), so insertion by shifting beats a heap.
struct TopKBlock<'a> {
    k: usize,
    ids: &'a mut [u32],
    sims: &'a mut [f32],
}

impl TopKBlock<'_> {
    #[inline(always)]
    fn worst(&self, query: usize) -> f32 {
        self.sims[(query + 1) * self.k - 1]
    }

    fn insert(&mut self, query: usize, sim: f32, id: u32) {
        let first = query * self.k;
        let mut position = first + self.k - 1;
        while position > first && self.sims[position - 1] < sim {
            self.sims[position] = self.sims[position - 1];
            self.ids[position] = self.ids[position - 1];
            position -= 1;
        }
        self.sims[position] = sim;
        self.ids[position] = id;
    }

    /// Scores a group of up to four queries (block-local indices `group`, vectors `vectors`,
    /// global ids `self_ids` excluded from their own lists) against panels `panels` of `store`.
    fn offer_panels(
        &mut self,
        group: &[usize],
        vectors: [&[f32]; QUERY_GROUP],
        self_ids: [u32; QUERY_GROUP],
        store: &Panels,
        panels: std::ops::Range<usize>,
    ) {
        for p in panels {
            let sims = score_panel(vectors, store.panel(p));
            let ids = store.panel_ids(p);
            for (slot, &query) in group.iter().enumerate() {
                for (lane, &sim) in sims[slot].iter().enumerate() {
                    // Cheap rejection first: after warm-up almost every candidate loses.
                    if sim > self.worst(query) {
                        let id = ids[lane];
                        if id != NO_NEIGHBOR && id != self_ids[slot] {
                            self.insert(query, sim, id);
                        }
                    }
                }
            }
        }
    }
}

/// Query vectors and ids for a group of up to four block-local queries; missing slots repeat the
/// first query (their scores are computed and ignored: simpler than a narrower kernel).
fn query_group<'v>(
    group: &[usize],
    vector_of: impl Fn(usize) -> &'v [f32],
    id_of: impl Fn(usize) -> u32,
) -> ([&'v [f32]; QUERY_GROUP], [u32; QUERY_GROUP]) {
    let pick = |slot: usize| group[slot.min(group.len() - 1)];
    (
        [vector_of(pick(0)), vector_of(pick(1)), vector_of(pick(2)), vector_of(pick(3))],
        [id_of(pick(0)), id_of(pick(1)), id_of(pick(2)), id_of(pick(3))],
    )
}

fn exact_knn(vectors: &[f32], dim: usize, k: usize) -> KnnGraph {
    let n = vectors.len() / dim;
    let all_rows: Vec<u32> = (0..n as u32).collect();
    let (panels, _) = Panels::new(vectors, dim, &all_rows, &[0, n]);
    let panel_count = n.div_ceil(PANEL_ROWS);
    let mut neighbors = vec![NO_NEIGHBOR; n * k];
    let mut similarities = vec![f32::NEG_INFINITY; n * k];
    neighbors
        .par_chunks_mut(QUERY_BLOCK * k)
        .zip(similarities.par_chunks_mut(QUERY_BLOCK * k))
        .enumerate()
        .for_each(|(block, (ids, sims))| {
            let first_query = block * QUERY_BLOCK;
            let queries: Vec<usize> = (0..ids.len() / k).collect();
            let mut top = TopKBlock { k, ids, sims };
            let row = |q: usize| &vectors[(first_query + q) * dim..(first_query + q + 1) * dim];
            for start in (0..panel_count).step_by(PANEL_BLOCK) {
                let panel_range = start..(start + PANEL_BLOCK).min(panel_count);
                for group in queries.chunks(QUERY_GROUP) {
                    let (group_vectors, group_ids) = query_group(group, row, |q| (first_query + q) as u32);
                    top.offer_panels(group, group_vectors, group_ids, &panels, panel_range.clone());
                }
            }
        });
    KnnGraph { k, neighbors, similarities }
}

fn ivf_knn(vectors: &[f32], dim: usize, k: usize, params: &IvfParams) -> KnnGraph {
    let n = vectors.len() / dim;
    if n == 0 {
        return KnnGraph { k, neighbors: Vec::new(), similarities: Vec::new() };
    }
    let cells = if params.cells == 0 { (n as f64).sqrt().ceil() as usize } else { params.cells }.clamp(1, n);
    let probes = params.probes.clamp(1, cells);
    let centroids = train_spherical_kmeans(vectors, dim, cells, params);

    // Nearest `probes` cells of every vector; the first one is its own cell.
    let probe_cells = nearest_rows(vectors, &centroids, dim, probes);

    // Counting sort by own cell: `order` lists the points cell by cell.
    let mut cell_start = vec![0usize; cells + 1];
    for point in 0..n {
        cell_start[probe_cells[point * probes] as usize + 1] += 1;
    }
    for c in 0..cells {
        cell_start[c + 1] += cell_start[c];
    }
    let mut fill = cell_start.clone();
    let mut order = vec![0u32; n];
    for point in 0..n {
        let cell = probe_cells[point * probes] as usize;
        order[fill[cell]] = point as u32;
        fill[cell] += 1;
    }
    let (panels, cell_panel_start) = Panels::new(vectors, dim, &order, &cell_start);

    // Queries are taken in cell order, so the queries of one block probe mostly the same cells,
    // and each probed cell is scanned once for all the block's queries that probe it, four at a
    // time, while it is hot in cache.
    let mut sorted_neighbors = vec![NO_NEIGHBOR; n * k];
    let mut sorted_similarities = vec![f32::NEG_INFINITY; n * k];
    sorted_neighbors
        .par_chunks_mut(QUERY_BLOCK * k)
        .zip(sorted_similarities.par_chunks_mut(QUERY_BLOCK * k))
        .enumerate()
        .for_each(|(block, (ids, sims))| {
            let first = block * QUERY_BLOCK;
            let queries = ids.len() / k;
            let mut work: Vec<(u32, u32)> = Vec::with_capacity(queries * probes);
            for q in 0..queries {
                let point = order[first + q] as usize;
                for &cell in &probe_cells[point * probes..(point + 1) * probes] {
                    work.push((cell, q as u32));
                }
            }
            work.sort_unstable();
            let mut top = TopKBlock { k, ids, sims };
            let vector_of = |q: usize| {
                let point = order[first + q] as usize;
                &vectors[point * dim..(point + 1) * dim]
            };
            let mut group = Vec::with_capacity(QUERY_GROUP);
            for same_cell in work.chunk_by(|a, b| a.0 == b.0) {
                let cell = same_cell[0].0 as usize;
                let panel_range = cell_panel_start[cell]..cell_panel_start[cell + 1];
                for chunk in same_cell.chunks(QUERY_GROUP) {
                    group.clear();
                    group.extend(chunk.iter().map(|&(_, q)| q as usize));
                    let (group_vectors, group_ids) = query_group(&group, vector_of, |q| order[first + q]);
                    top.offer_panels(&group, group_vectors, group_ids, &panels, panel_range.clone());
                }
            }
        });
    drop(panels);

    // Back from cell order to point order.
    let mut neighbors = vec![NO_NEIGHBOR; n * k];
    let mut similarities = vec![f32::NEG_INFINITY; n * k];
    for (position, &point) in order.iter().enumerate() {
        let (src, dst) = (position * k..(position + 1) * k, point as usize * k..(point as usize + 1) * k);
        neighbors[dst.clone()].copy_from_slice(&sorted_neighbors[src.clone()]);
        similarities[dst].copy_from_slice(&sorted_similarities[src]);
    }
    KnnGraph { k, neighbors, similarities }
}

/// Spherical k-means (cosine k-means: centroids re-normalised every step) on a sample.
fn train_spherical_kmeans(vectors: &[f32], dim: usize, cells: usize, params: &IvfParams) -> Vec<f32> {
    let n = vectors.len() / dim;
    let mut rng = SplitMix64(params.seed);
    let sample_size = (cells * params.training_points_per_cell.max(1)).clamp(cells, n);
    let sample_ids = rng.sample_indices(n, sample_size);
    let mut sample = Vec::with_capacity(sample_size * dim);
    for &i in &sample_ids {
        sample.extend_from_slice(&vectors[i * dim..(i + 1) * dim]);
    }
    // Initial centroids: the first `cells` sampled points (the sample is already random).
    let mut centroids = sample[..cells * dim].to_vec();
    for _ in 0..params.training_iterations {
        let assignment = nearest_rows(&sample, &centroids, dim, 1);
        let mut sums = vec![0f32; cells * dim];
        let mut counts = vec![0usize; cells];
        for (s, &cell) in assignment.iter().enumerate() {
            let cell = cell as usize;
            counts[cell] += 1;
            for (acc, x) in sums[cell * dim..(cell + 1) * dim].iter_mut().zip(&sample[s * dim..(s + 1) * dim])
            {
                *acc += x;
            }
        }
        for cell in 0..cells {
            let centroid = &mut sums[cell * dim..(cell + 1) * dim];
            if counts[cell] == 0 {
                // Re-seed an empty cell with a random sample point instead of losing it.
                let s = rng.below(sample_size);
                centroid.copy_from_slice(&sample[s * dim..(s + 1) * dim]);
            }
            super::normalize_in_place(centroid);
        }
        centroids = sums;
    }
    centroids
}

/// For every row of `queries`, the indices of its `k` rows of `rows` with the largest dot
/// product, best first, by brute force (the rows are few: centroids, or multi-face clusters).
pub(crate) fn nearest_rows(queries: &[f32], rows: &[f32], dim: usize, k: usize) -> Vec<u32> {
    let n = queries.len() / dim;
    let row_count = rows.len() / dim;
    let all_rows: Vec<u32> = (0..row_count as u32).collect();
    let (panels, _) = Panels::new(rows, dim, &all_rows, &[0, row_count]);
    let panel_count = row_count.div_ceil(PANEL_ROWS);
    let mut ids = vec![NO_NEIGHBOR; n * k];
    let mut sims = vec![f32::NEG_INFINITY; n * k];
    ids.par_chunks_mut(QUERY_BLOCK * k).zip(sims.par_chunks_mut(QUERY_BLOCK * k)).enumerate().for_each(
        |(block, (ids, sims))| {
            let first = block * QUERY_BLOCK;
            let block_queries: Vec<usize> = (0..ids.len() / k).collect();
            let mut top = TopKBlock { k, ids, sims };
            let vector_of = |q: usize| &queries[(first + q) * dim..(first + q + 1) * dim];
            for group in block_queries.chunks(QUERY_GROUP) {
                let (group_vectors, group_ids) = query_group(group, vector_of, |_| NO_NEIGHBOR);
                top.offer_panels(group, group_vectors, group_ids, &panels, 0..panel_count);
            }
        },
    );
    ids
}

/// SplitMix64: a tiny, good-enough generator for sampling; no dependency, reproducible by seed.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0); the modulo bias is irrelevant at these sizes.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// `count` distinct indices of `0..n` in random order (partial Fisher–Yates).
    fn sample_indices(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..count {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    }
}
