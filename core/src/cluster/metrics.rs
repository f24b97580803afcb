//! Clustering quality against ground truth, from the contingency table (O(n log n), no pairs).
//!
//! With `n_pt` the number of items in predicted cluster p and true class t, `a_p = Σ_t n_pt` and
//! `b_t = Σ_p n_pt`:
//! - BCubed precision = (1/n) Σ n_pt² / a_p, recall = (1/n) Σ n_pt² / b_t (the item-averaged
//!   share of an item's cluster that shares its class, and vice versa; each item counts itself).
//! - Pairwise precision = Σ C(n_pt, 2) / Σ C(a_p, 2), recall = Σ C(n_pt, 2) / Σ C(b_t, 2).
//!
//! A ratio with no pairs in its denominator (all predicted clusters singletons, say) is 1: nothing
//! was claimed, so nothing was claimed wrongly.

use super::knn::KnnGraph;

/// Quality of a predicted clustering against true labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusteringScores {
    pub bcubed_precision: f64,
    pub bcubed_recall: f64,
    pub bcubed_f1: f64,
    pub pairwise_precision: f64,
    pub pairwise_recall: f64,
    pub pairwise_f1: f64,
    /// Distinct predicted labels.
    pub predicted_clusters: usize,
    /// Distinct true labels.
    pub true_classes: usize,
}

/// Scores `predicted` against `truth` (one label per item, any label values).
///
/// # Panics
/// If the two slices differ in length.
pub fn score_clustering(predicted: &[u32], truth: &[u32]) -> ClusteringScores {
    assert_eq!(predicted.len(), truth.len(), "one predicted and one true label per item");
    let n = predicted.len();
    if n == 0 {
        return ClusteringScores {
            bcubed_precision: 1.0,
            bcubed_recall: 1.0,
            bcubed_f1: 1.0,
            pairwise_precision: 1.0,
            pairwise_recall: 1.0,
            pairwise_f1: 1.0,
            predicted_clusters: 0,
            true_classes: 0,
        };
    }
    let predicted_sizes = group_sizes(predicted);
    let true_sizes = group_sizes(truth);

    // Contingency cells: runs of equal (predicted, true) pairs after sorting.
    let mut pairs: Vec<(u32, u32)> = predicted.iter().copied().zip(truth.iter().copied()).collect();
    pairs.sort_unstable();
    let (mut bcubed_precision, mut bcubed_recall, mut together_pairs) = (0.0f64, 0.0f64, 0u64);
    for cell in pairs.chunk_by(|x, y| x == y) {
        let (p, t) = cell[0];
        let count = cell.len() as f64;
        bcubed_precision += count * count / predicted_sizes.size_of(p) as f64;
        bcubed_recall += count * count / true_sizes.size_of(t) as f64;
        together_pairs += pairs_in(cell.len() as u64);
    }
    bcubed_precision /= n as f64;
    bcubed_recall /= n as f64;

    let predicted_pairs: u64 = predicted_sizes.sizes.iter().map(|&(_, s)| pairs_in(s)).sum();
    let true_pairs: u64 = true_sizes.sizes.iter().map(|&(_, s)| pairs_in(s)).sum();
    let ratio = |num: u64, den: u64| if den == 0 { 1.0 } else { num as f64 / den as f64 };
    let pairwise_precision = ratio(together_pairs, predicted_pairs);
    let pairwise_recall = ratio(together_pairs, true_pairs);
    ClusteringScores {
        bcubed_precision,
        bcubed_recall,
        bcubed_f1: harmonic_mean(bcubed_precision, bcubed_recall),
        pairwise_precision,
        pairwise_recall,
        pairwise_f1: harmonic_mean(pairwise_precision, pairwise_recall),
        predicted_clusters: predicted_sizes.sizes.len(),
        true_classes: true_sizes.sizes.len(),
    }
}

/// Share of the exact graph's neighbours with similarity ≥ `min_similarity` that the approximate
/// graph also found. With `f32::NEG_INFINITY` this is recall@k; with the clustering's merge level
/// (1 − threshold, minus a margin) it counts only the edges that can matter for clustering, since
/// far neighbours (a person's 20th "neighbour" when they have 3 faces) are noise either way.
///
/// # Panics
/// If the graphs differ in size.
pub fn knn_recall(approximate: &KnnGraph, exact: &KnnGraph, min_similarity: f32) -> f64 {
    assert_eq!(approximate.len(), exact.len(), "graphs over different point sets");
    let (mut found, mut total) = (0usize, 0usize);
    for point in 0..exact.len() {
        for (id, _) in exact.neighbors_of(point).filter(|&(_, sim)| sim >= min_similarity) {
            total += 1;
            found += usize::from(approximate.neighbors_of(point).any(|(other, _)| other == id));
        }
    }
    if total == 0 { 1.0 } else { found as f64 / total as f64 }
}

fn pairs_in(count: u64) -> u64 {
    count * count.saturating_sub(1) / 2
}

fn harmonic_mean(a: f64, b: f64) -> f64 {
    if a + b == 0.0 { 0.0 } else { 2.0 * a * b / (a + b) }
}

/// Label → size, sorted by label for binary search.
struct GroupSizes {
    sizes: Vec<(u32, u64)>,
}

impl GroupSizes {
    fn size_of(&self, label: u32) -> u64 {
        let index = self.sizes.binary_search_by_key(&label, |&(l, _)| l).expect("label counted");
        self.sizes[index].1
    }
}

fn group_sizes(labels: &[u32]) -> GroupSizes {
    let mut sorted = labels.to_vec();
    sorted.sort_unstable();
    GroupSizes { sizes: sorted.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u64)).collect() }
}
