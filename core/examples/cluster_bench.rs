//! Benchmark of face clustering on synthetic face-like embeddings.
//!
//! ```text
//! cluster_bench [SIZES...]              per size: kNN + clustering time, peak RSS, clusters,
//!                                       BCubed F1 vs truth (5 thresholds up to 200k, else 1);
//!                                       IVF recall on a sample; agreement with exact ≤ 20k
//! cluster_bench --knn-study N           exact vs IVF (several probe counts): time and recall@k
//! cluster_bench --k-study N             k = 5..40: time and agreement with exact clustering
//! cluster_bench --linkage-study N       average vs centroid linkage over a threshold sweep
//! ```
//!
//! Data: n/20 identities on average, sizes from a Lomax (Pareto II, α = 1.2) law capped at
//! 10,000, so most people have a handful of faces and a few have thousands. Identity directions are random on the 128-D
//! sphere with a small shared component (different people are slightly similar: cos ≈ 0.05).
//! A face is `q·μ + √(1−q²)·u` with u a random unit vector orthogonal to its identity's μ and
//! q ~ N(0.775, 0.1) clipped to [0.4, 0.97] its "quality", so two faces of one person have cosine
//! ≈ q₁q₂ ≈ 0.6 ± 0.1.

use std::time::Instant;

use kindred_core::cluster::{
    ClusterParams, Constraints, DEFAULT_K, DEFAULT_THRESHOLD, IvfParams, KnnGraph, KnnMethod, Linkage,
    build_knn_graph, cluster_with_graph, exact_cluster, knn_recall, score_clustering,
};
use rayon::prelude::*;

const DIM: usize = 128;
const SEED: u64 = 20_240_601;
const MAX_IDENTITY_FACES: usize = 10_000;
/// Above this size the O(n²)-memory exact reference is not run (20k needs 1.6 GB).
const EXACT_REFERENCE_MAX: usize = 20_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size_at = |i: usize| args.get(i).and_then(|s| s.parse::<usize>().ok()).expect("a size");
    match args.first().map(String::as_str) {
        Some("--knn-study") => knn_study(size_at(1)),
        Some("--k-study") => k_study(size_at(1)),
        Some("--linkage-study") => linkage_study(size_at(1)),
        _ => {
            let sizes: Vec<usize> = if args.is_empty() {
                vec![10_000, 100_000, 1_000_000]
            } else {
                args.iter().map(|s| s.parse().expect("sizes are integers")).collect()
            };
            for n in sizes {
                main_benchmark(n);
            }
        }
    }
}

fn main_benchmark(n: usize) {
    println!("\n=== n = {n} ===");
    let started = Instant::now();
    let data = FaceData::generate(n, SEED);
    println!("data: {} ({:.1} s)", data.describe(), started.elapsed().as_secs_f64());

    reset_peak_rss();
    let params = at(DEFAULT_THRESHOLD);
    println!("rescore tolerance {}", params.rescore_tolerance);
    let (started, cpu_started) = (Instant::now(), cpu_seconds());
    let graph = build_knn_graph(&data.vectors, DIM, params.k, &params.knn);
    let (knn_seconds, knn_cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_started);
    let (started, cpu_started) = (Instant::now(), cpu_seconds());
    let labels = cluster_with_graph(&data.vectors, DIM, &graph, &params, &Constraints::default());
    let (cluster_seconds, cluster_cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_started);
    let peak = peak_rss_mib();
    println!(
        "k = {}, {}: kNN {knn_seconds:.2} s (CPU {knn_cpu:.1} s), clustering {cluster_seconds:.2} s (CPU {cluster_cpu:.1} s), \
         total {:.2} s, peak RSS {peak:.0} MiB (embeddings alone {:.0} MiB)",
        params.k,
        if n <= kindred_core::cluster::EXACT_SEARCH_MAX_POINTS { "exact kNN" } else { "IVF kNN" },
        knn_seconds + cluster_seconds,
        (n * DIM * 4) as f64 / (1u64 << 20) as f64
    );
    print_scores(params.threshold, cluster_seconds, &labels, &data.identity);
    if n > kindred_core::cluster::EXACT_SEARCH_MAX_POINTS {
        let (recall, same_identity_recall) = sampled_recall(&data, &graph, 1000);
        println!(
            "  IVF recall@{} on 1000 sampled faces (brute force): {recall:.4}; of same-person neighbours: \
             {same_identity_recall:.4}",
            params.k
        );
    }
    // Other thresholds reuse the graph; above 200k they would add minutes per threshold.
    let other_thresholds: &[f32] = if n <= 200_000 { &[0.5, 0.6, 0.75, 0.85] } else { &[] };
    for &threshold in other_thresholds {
        let started = Instant::now();
        let labels = cluster_with_graph(&data.vectors, DIM, &graph, &at(threshold), &Constraints::default());
        print_scores(threshold, started.elapsed().as_secs_f64(), &labels, &data.identity);
    }

    if n <= EXACT_REFERENCE_MAX {
        for threshold in [0.5, DEFAULT_THRESHOLD, 0.85] {
            let started = Instant::now();
            let exact =
                exact_cluster(&data.vectors, DIM, threshold, Linkage::Average, &Constraints::default());
            let exact_seconds = started.elapsed().as_secs_f64();
            let sparse =
                cluster_with_graph(&data.vectors, DIM, &graph, &at(threshold), &Constraints::default());
            let agreement = score_clustering(&sparse, &exact);
            let same = same_assignment_share(&sparse, &exact);
            println!(
                "  exact reference t = {threshold}: {exact_seconds:.1} s, {} clusters, F1 vs truth {:.4}; sparse vs exact: \
                 BCubed F1 {:.5}, identical partition {}, faces whose cluster is identical {:.4}",
                agreement.true_classes,
                score_clustering(&exact, &data.identity).bcubed_f1,
                agreement.bcubed_f1,
                sparse == exact,
                same
            );
        }
    }
}

/// Default parameters at another threshold; `BENCH_TOLERANCE` overrides the re-scoring tolerance.
fn at(threshold: f32) -> ClusterParams {
    let defaults = ClusterParams::default();
    let rescore_tolerance = std::env::var("BENCH_TOLERANCE")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(defaults.rescore_tolerance);
    ClusterParams { threshold, rescore_tolerance, ..defaults }
}

fn print_scores(threshold: f32, seconds: f64, labels: &[u32], truth: &[u32]) {
    let s = score_clustering(labels, truth);
    println!(
        "  t = {threshold:.2}: {} clusters / {} identities, BCubed P {:.4} R {:.4} F1 {:.4}, pairwise F1 {:.4} ({seconds:.2} s)",
        s.predicted_clusters, s.true_classes, s.bcubed_precision, s.bcubed_recall, s.bcubed_f1, s.pairwise_f1
    );
}

/// Recall of `graph` against brute force on a sample of faces: all exact neighbours, and only
/// those of the same person (the edges clustering needs).
fn sampled_recall(data: &FaceData, graph: &KnnGraph, samples: usize) -> (f64, f64) {
    let n = data.identity.len();
    let k = graph.k();
    let mut rng = Rng(99);
    let queries: Vec<usize> = (0..samples).map(|_| rng.below(n)).collect();
    let counts: Vec<(usize, usize, usize, usize)> = queries
        .par_iter()
        .map(|&q| {
            let query = &data.vectors[q * DIM..(q + 1) * DIM];
            let mut all: Vec<(f32, usize)> = (0..n)
                .filter(|&j| j != q)
                .map(|j| {
                    (query.iter().zip(&data.vectors[j * DIM..(j + 1) * DIM]).map(|(a, b)| a * b).sum(), j)
                })
                .collect();
            all.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
            let found: Vec<u32> = graph.neighbors_of(q).map(|(id, _)| id).collect();
            let (mut hit, mut same, mut same_hit) = (0, 0, 0);
            for &(_, j) in &all[..k] {
                let is_found = found.contains(&(j as u32));
                hit += usize::from(is_found);
                if data.identity[j] == data.identity[q] {
                    same += 1;
                    same_hit += usize::from(is_found);
                }
            }
            (hit, k, same_hit, same)
        })
        .collect();
    let total = |f: fn(&(usize, usize, usize, usize)) -> usize| counts.iter().map(f).sum::<usize>() as f64;
    (total(|c| c.0) / total(|c| c.1), total(|c| c.2) / total(|c| c.3).max(1.0))
}

/// Share of faces whose whole cluster (as a set of faces) is the same in both clusterings.
fn same_assignment_share(a: &[u32], b: &[u32]) -> f64 {
    // A face's cluster is identical iff its (a, b) contingency cell covers both its clusters.
    let count = |labels: &[u32]| {
        let mut sizes = vec![0usize; labels.iter().max().map_or(0, |&m| m as usize + 1)];
        labels.iter().for_each(|&l| sizes[l as usize] += 1);
        sizes
    };
    let (size_a, size_b) = (count(a), count(b));
    let mut cells: Vec<(u32, u32)> = a.iter().copied().zip(b.iter().copied()).collect();
    cells.sort_unstable();
    let same: usize = cells
        .chunk_by(|x, y| x == y)
        .filter(|cell| size_a[cell[0].0 as usize] == cell.len() && size_b[cell[0].1 as usize] == cell.len())
        .map(<[_]>::len)
        .sum();
    same as f64 / a.len().max(1) as f64
}

fn knn_study(n: usize) {
    println!("\n=== kNN study, n = {n}, k = {DEFAULT_K} ===");
    let data = FaceData::generate(n, SEED);
    println!("data: {}", data.describe());
    let started = Instant::now();
    let exact = build_knn_graph(&data.vectors, DIM, DEFAULT_K, &KnnMethod::Exact);
    let exact_seconds = started.elapsed().as_secs_f64();
    let gmacs = (n as f64 * n as f64 * DIM as f64) / exact_seconds / 1e9;
    println!("exact: {exact_seconds:.2} s ({gmacs:.1} G multiply-adds/s)");
    let reference = cluster_default(&data, &exact);
    let truth_f1 = |labels: &[u32]| score_clustering(labels, &data.identity).bcubed_f1;
    println!(
        "exact-graph clustering at t = {DEFAULT_THRESHOLD}: BCubed F1 vs truth {:.5}",
        truth_f1(&reference)
    );
    // Edges that can matter at thresholds up to 0.75: similarity ≥ 0.25.
    let relevant = 0.25;
    let default_cells = (n as f64).sqrt().ceil() as usize;
    for cells in [default_cells / 2, default_cells, default_cells * 2] {
        for probes in [4, 8, 12, 16, 24] {
            let method = KnnMethod::Ivf(IvfParams { cells, probes, ..IvfParams::default() });
            let started = Instant::now();
            let graph = build_knn_graph(&data.vectors, DIM, DEFAULT_K, &method);
            let seconds = started.elapsed().as_secs_f64();
            let labels = cluster_default(&data, &graph);
            let agreement = score_clustering(&labels, &reference);
            println!(
                "IVF cells {cells:4} probes {probes:2}: {seconds:.2} s, recall@{DEFAULT_K} {:.4}, recall of edges ≥ {relevant} {:.4}; \
                 clustering: F1 vs exact-graph clustering {:.5}, vs truth {:.5}",
                knn_recall(&graph, &exact, f32::NEG_INFINITY),
                knn_recall(&graph, &exact, relevant),
                agreement.bcubed_f1,
                truth_f1(&labels)
            );
        }
    }
}

fn cluster_default(data: &FaceData, graph: &KnnGraph) -> Vec<u32> {
    cluster_with_graph(&data.vectors, DIM, graph, &at(DEFAULT_THRESHOLD), &Constraints::default())
}

fn k_study(n: usize) {
    println!("\n=== k study, n = {n} ===");
    let data = FaceData::generate(n, SEED);
    println!("data: {}", data.describe());
    let thresholds = [0.5, DEFAULT_THRESHOLD, 0.85];
    let exact: Vec<Vec<u32>> = thresholds
        .iter()
        .map(|&t| exact_cluster(&data.vectors, DIM, t, Linkage::Average, &Constraints::default()))
        .collect();
    for k in [5, 10, 15, 20, 30, 40] {
        let started = Instant::now();
        let graph = build_knn_graph(&data.vectors, DIM, k, &KnnMethod::Auto);
        let knn_seconds = started.elapsed().as_secs_f64();
        let mut line = format!("k {k:2}: kNN {knn_seconds:.2} s");
        for (&threshold, reference) in thresholds.iter().zip(&exact) {
            let started = Instant::now();
            let labels =
                cluster_with_graph(&data.vectors, DIM, &graph, &at(threshold), &Constraints::default());
            let seconds = started.elapsed().as_secs_f64();
            let agreement = score_clustering(&labels, reference);
            line += &format!(
                " | t {threshold}: {seconds:.2} s, vs exact F1 {:.5} same-share {:.4}",
                agreement.bcubed_f1,
                same_assignment_share(&labels, reference)
            );
        }
        println!("{line}");
    }
}

fn linkage_study(n: usize) {
    println!("\n=== linkage study, n = {n} ===");
    let data = FaceData::generate(n, SEED);
    println!("data: {}", data.describe());
    let graph = build_knn_graph(&data.vectors, DIM, DEFAULT_K, &KnnMethod::Auto);
    for (linkage, thresholds) in [
        (Linkage::Average, &[0.4, 0.5, 0.6, 0.68, 0.75, 0.8, 0.85, 0.9][..]),
        (Linkage::Centroid, &[0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9][..]),
    ] {
        for &threshold in thresholds {
            let started = Instant::now();
            let params = ClusterParams { linkage, ..at(threshold) };
            let labels = cluster_with_graph(&data.vectors, DIM, &graph, &params, &Constraints::default());
            print!("{linkage:?} ");
            print_scores(threshold, started.elapsed().as_secs_f64(), &labels, &data.identity);
        }
    }
}

struct FaceData {
    vectors: Vec<f32>,
    identity: Vec<u32>,
}

impl FaceData {
    fn generate(n: usize, seed: u64) -> Self {
        let mut rng = Rng(seed);
        // Identity sizes: 1 + ⌊5.6·Lomax(α = 1.2)⌋ (sample mean ≈ 20), until n faces are covered,
        // capped at 10,000 faces (uncapped, the largest of 1M faces would have ~70,000).
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < n {
            let lomax = rng.uniform_open().powf(-1.0 / 1.2) - 1.0;
            let size = (1 + (5.6 * lomax) as usize).min(MAX_IDENTITY_FACES).min(n - total);
            sizes.push(size);
            total += size;
        }
        let mut identity: Vec<u32> =
            sizes.iter().enumerate().flat_map(|(i, &s)| std::iter::repeat_n(i as u32, s)).collect();
        // Photos arrive in time order, not grouped by person.
        for i in (1..n).rev() {
            identity.swap(i, rng.below(i + 1));
        }

        // Shared "face-ness" direction: makes different people slightly similar, as real
        // embeddings are (cos ≈ 0.3² / (1 + 0.3²) ≈ 0.08 between identity directions).
        let shared = unit_gaussian(&mut Rng(seed ^ 1), DIM);
        let means: Vec<f32> = (0..sizes.len())
            .into_par_iter()
            .flat_map_iter(|i| {
                let mut rng = Rng(seed ^ (0x1000 + i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                let mut mean = unit_gaussian(&mut rng, DIM);
                mean.iter_mut().zip(&shared).for_each(|(m, s)| *m += 0.3 * s);
                normalize(&mut mean);
                mean
            })
            .collect();
        let mut vectors = vec![0f32; n * DIM];
        vectors.par_chunks_mut(DIM).enumerate().for_each(|(face, out)| {
            let mut rng = Rng(seed ^ (0xface_0000 + face as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9));
            let mean = &means[identity[face] as usize * DIM..(identity[face] as usize + 1) * DIM];
            let quality = (0.775 + 0.1 * rng.gaussian()).clamp(0.4, 0.97);
            // Random direction orthogonal to the identity's mean.
            let mut noise = unit_gaussian(&mut rng, DIM);
            let along: f32 = noise.iter().zip(mean).map(|(a, b)| a * b).sum();
            noise.iter_mut().zip(mean).for_each(|(x, m)| *x -= along * m);
            normalize(&mut noise);
            let across = (1.0 - quality * quality).sqrt();
            for d in 0..DIM {
                out[d] = quality * mean[d] + across * noise[d];
            }
            normalize(out);
        });
        Self { vectors, identity }
    }

    /// Identity sizes and pair similarity statistics, to check the data resemble faces.
    fn describe(&self) -> String {
        let n = self.identity.len();
        let identities = self.identity.iter().max().map_or(0, |&m| m as usize + 1);
        let mut sizes = vec![0usize; identities];
        self.identity.iter().for_each(|&i| sizes[i as usize] += 1);
        sizes.sort_unstable();
        let small = sizes.iter().filter(|&&s| s <= 3).count();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); identities];
        for (face, &i) in self.identity.iter().enumerate() {
            members[i as usize].push(face);
        }
        let mut rng = Rng(7);
        let (mut same, mut different) = (Vec::new(), Vec::new());
        while same.len() < 20_000 || different.len() < 20_000 {
            let a = rng.below(n);
            let group = &members[self.identity[a] as usize];
            let b = if same.len() < 20_000 && group.len() > 1 {
                group[rng.below(group.len())]
            } else {
                rng.below(n)
            };
            if a == b {
                continue;
            }
            let sim: f32 = self.vectors[a * DIM..(a + 1) * DIM]
                .iter()
                .zip(&self.vectors[b * DIM..(b + 1) * DIM])
                .map(|(x, y)| x * y)
                .sum();
            if self.identity[a] == self.identity[b] {
                same.push(sim);
            } else if different.len() < 20_000 {
                different.push(sim);
            }
        }
        let stats = |v: &mut Vec<f32>| {
            v.sort_by(f32::total_cmp);
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            let std = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / v.len() as f32).sqrt();
            format!("{mean:.3} ± {std:.3} (5%–95%: {:.2}–{:.2})", v[v.len() / 20], v[v.len() * 19 / 20])
        };
        format!(
            "{identities} identities, sizes median {} max {} (≤3 faces: {small}, ≥1000: {}); \
             cos same person {}, different {}",
            sizes[identities / 2],
            sizes[identities - 1],
            sizes.iter().filter(|&&s| s >= 1000).count(),
            stats(&mut same),
            stats(&mut different)
        )
    }
}

fn unit_gaussian(rng: &mut Rng, dim: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dim).map(|_| rng.gaussian()).collect();
    normalize(&mut v);
    v
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
}

/// SplitMix64 with Box–Muller; plenty for synthetic data and keeps the bench dependency-free.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn uniform_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    fn gaussian(&mut self) -> f32 {
        let (u1, u2) = (self.uniform_open(), self.uniform_open());
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

/// Resets the kernel's peak-RSS counter (VmHWM) so each size reports its own peak.
fn reset_peak_rss() {
    // Best effort: without it the peak is the process-wide one, still an upper bound.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// User + system CPU time of the process so far (from /proc/self/stat, 100 ticks per second);
/// with other jobs on the machine, CPU time is the steadier measure of the work done.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}
