//! The fuzzy simplicial set of UMAP (McInnes, Healy & Melville 2018, §3; the
//! conventions of umap-learn 0.5):
//!
//! 1. per point `i` with neighbour distances `d_i1 <= ... <= d_ik`, the distance `rho_i`
//!    to its `local_connectivity`-th nearest (non-zero) neighbour and the scale
//!    `sigma_i` that solves `sum_j exp(-max(0, d_ij - rho_i) / sigma_i) = log2(k)`
//!    ([`smooth_knn_dist`]);
//! 2. directed memberships `w_ij = exp(-max(0, d_ij - rho_i) / sigma_i)`;
//! 3. symmetrisation by the fuzzy union `W = mix (A + A^T - A∘A^T) + (1 - mix) A∘A^T`
//!    ([`fuzzy_union`]).
//!
//! Labels (supervised UMAP) scale the edges between different classes by
//! `exp(-far_dist)` ([`intersect_categorical`]).

use crate::error::{Error, Result};
use crate::knn::KnnGraph;

/// Relative tolerance of the `sigma` search and of fractional `local_connectivity`
/// (umap-learn's `SMOOTH_K_TOLERANCE`).
const SMOOTH_K_TOLERANCE: f64 = 1e-5;
/// `sigma_i` is at least this fraction of the mean neighbour distance
/// (umap-learn's `MIN_K_DIST_SCALE`).
const MIN_K_DIST_SCALE: f64 = 1e-3;
/// Bisection steps of the `sigma` search.
const SIGMA_ITERATIONS: usize = 64;

/// A sparse weighted graph as edge lists sorted by `(head, tail)`: the COO form of a
/// CSR matrix with `n_heads` rows and `n_tails` columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Edges {
    /// Number of rows (head vertices).
    pub n_heads: usize,
    /// Number of columns (tail vertices).
    pub n_tails: usize,
    /// Row of each edge.
    pub head: Vec<usize>,
    /// Column of each edge.
    pub tail: Vec<usize>,
    /// Weight of each edge, in `(0, 1]`.
    pub weight: Vec<f64>,
}

impl Edges {
    /// Number of edges.
    pub fn len(&self) -> usize {
        self.head.len()
    }

    /// Whether there are no edges.
    pub fn is_empty(&self) -> bool {
        self.head.is_empty()
    }

    /// Largest weight (0 for an empty graph).
    pub fn max_weight(&self) -> f64 {
        self.weight.iter().copied().fold(0.0, f64::max)
    }

    /// Removes edges of weight below `threshold` (umap-learn drops edges with
    /// `w < max(w) / n_epochs`, which would be sampled less than once).
    pub fn drop_below(&mut self, threshold: f64) {
        let mut kept = 0;
        for e in 0..self.len() {
            let w = self.weight[e];
            if w >= threshold && w > 0.0 {
                self.head[kept] = self.head[e];
                self.tail[kept] = self.tail[e];
                self.weight[kept] = w;
                kept += 1;
            }
        }
        self.head.truncate(kept);
        self.tail.truncate(kept);
        self.weight.truncate(kept);
    }

    /// Start of each row in the edge lists (`n_heads + 1` offsets).
    pub fn row_offsets(&self) -> Vec<usize> {
        let mut offsets = vec![0; self.n_heads + 1];
        for &h in &self.head {
            offsets[h + 1] += 1;
        }
        for i in 0..self.n_heads {
            offsets[i + 1] += offsets[i];
        }
        offsets
    }

    /// Builds sorted edges from unsorted `(head, tail, weight)` triples, summing
    /// duplicates and dropping zero weights.
    fn from_triples(n_heads: usize, n_tails: usize, mut t: Vec<(usize, usize, f64)>) -> Self {
        t.sort_unstable_by_key(|&(h, c, _)| (h, c));
        let mut e = Edges {
            n_heads,
            n_tails,
            head: Vec::with_capacity(t.len()),
            tail: Vec::with_capacity(t.len()),
            weight: Vec::with_capacity(t.len()),
        };
        for (h, c, w) in t {
            if e.head.last() == Some(&h) && e.tail.last() == Some(&c) {
                if let Some(last) = e.weight.last_mut() {
                    *last += w;
                }
            } else {
                e.head.push(h);
                e.tail.push(c);
                e.weight.push(w);
            }
        }
        e.drop_below(0.0);
        e
    }
}

/// `(sigma, rho)` of one point from its neighbour distances `dists` (ascending), as
/// umap-learn's `smooth_knn_dist`: `rho` is the `local_connectivity`-th smallest
/// non-zero distance (interpolated linearly for fractional values; the largest when
/// fewer exist); `sigma` is found by bisection (64 steps, tolerance 1e-5) so that
/// `sum_{j>=1} exp(-max(0, d_j - rho) / sigma) = log2(n_neighbors)`, then raised to at
/// least `1e-3` times the mean distance of the row (of all rows, `mean_all`, when
/// `rho = 0`).
///
/// In a fit the row starts with the point itself at distance 0, so the sum skips it;
/// umap-learn's `transform` passes rows of training neighbours only and keeps the same
/// `j >= 1` sum, and so does this function.
pub fn smooth_knn_dist(
    dists: &[f64],
    n_neighbors: f64,
    local_connectivity: f64,
    mean_all: f64,
) -> (f64, f64) {
    let target = n_neighbors.log2();
    let rho = local_rho(dists, local_connectivity);
    let (mut lo, mut hi, mut mid) = (0.0, f64::INFINITY, 1.0);
    for _ in 0..SIGMA_ITERATIONS {
        let psum: f64 = dists
            .iter()
            .skip(1)
            .map(|&d| {
                let t = d - rho;
                if t > 0.0 { (-(t / mid)).exp() } else { 1.0 }
            })
            .sum();
        if (psum - target).abs() < SMOOTH_K_TOLERANCE {
            break;
        }
        if psum > target {
            hi = mid;
            mid = (lo + hi) / 2.0;
        } else {
            lo = mid;
            mid = if hi == f64::INFINITY {
                mid * 2.0
            } else {
                (lo + hi) / 2.0
            };
        }
    }
    let mean = if rho > 0.0 {
        dists.iter().sum::<f64>() / dists.len().max(1) as f64
    } else {
        mean_all
    };
    (mid.max(MIN_K_DIST_SCALE * mean), rho)
}

/// `rho`: the distance to the `local_connectivity`-th nearest non-zero neighbour.
fn local_rho(dists: &[f64], local_connectivity: f64) -> f64 {
    let non_zero: Vec<f64> = dists.iter().copied().filter(|&d| d > 0.0).collect();
    if non_zero.len() as f64 >= local_connectivity {
        let index = local_connectivity.floor() as usize;
        let frac = local_connectivity - index as f64;
        if index > 0 {
            let mut rho = non_zero[index - 1];
            if frac > SMOOTH_K_TOLERANCE {
                rho += frac * (non_zero[index] - non_zero[index - 1]);
            }
            rho
        } else {
            frac * non_zero[0]
        }
    } else {
        non_zero.last().copied().unwrap_or(0.0)
    }
}

/// Membership strength of a neighbour at distance `d`: 1 within `rho` (or for
/// `sigma = 0`), else `exp(-(d - rho) / sigma)`.
pub fn membership(d: f64, sigma: f64, rho: f64) -> f64 {
    if d - rho <= 0.0 || sigma == 0.0 {
        1.0
    } else {
        (-(d - rho) / sigma).exp()
    }
}

/// Mean of all neighbour distances including the zero self-distance of each row
/// (umap-learn's global mean for rows with `rho = 0`).
fn mean_with_self(graph: &KnnGraph) -> f64 {
    let n = graph.len();
    let total: f64 = (0..n).map(|i| graph.distances(i).iter().sum::<f64>()).sum();
    total / (n * (graph.k() + 1)).max(1) as f64
}

/// The directed membership graph `A` of a kNN graph (self excluded): row `i` holds
/// `w_ij` of its `k` neighbours, with `n_neighbors = k + 1` counting the point itself
/// as umap-learn does.
pub fn directed_memberships(graph: &KnnGraph, local_connectivity: f64) -> Edges {
    let n = graph.len();
    let k = graph.k();
    let mean_all = mean_with_self(graph);
    let mut triples = Vec::with_capacity(n * k);
    let mut row = Vec::with_capacity(k + 1);
    for i in 0..n {
        row.clear();
        row.push(0.0);
        row.extend_from_slice(graph.distances(i));
        let (sigma, rho) = smooth_knn_dist(&row, (k + 1) as f64, local_connectivity, mean_all);
        for (&j, &d) in graph.neighbors(i).iter().zip(graph.distances(i)) {
            triples.push((i, j, membership(d, sigma, rho)));
        }
    }
    Edges::from_triples(n, n, triples)
}

/// Symmetrises `A` by `W = mix (A + A^T - A∘A^T) + (1 - mix) A∘A^T` (`mix = 1`: fuzzy
/// union, `mix = 0`: fuzzy intersection).
pub fn fuzzy_union(a: &Edges, mix: f64) -> Edges {
    // Each entry of A once as (i, j, a_ij, 0) and once transposed as (j, i, 0, a_ij).
    let mut entries: Vec<(usize, usize, f64, f64)> = Vec::with_capacity(2 * a.len());
    for ((&i, &j), &w) in a.head.iter().zip(&a.tail).zip(&a.weight) {
        entries.push((i, j, w, 0.0));
        entries.push((j, i, 0.0, w));
    }
    entries.sort_unstable_by_key(|&(i, j, _, _)| (i, j));
    let mut combined: Vec<(usize, usize, f64)> = Vec::with_capacity(entries.len());
    let mut it = entries.into_iter().peekable();
    while let Some((i, j, mut aij, mut aji)) = it.next() {
        while let Some(&(i2, j2, x, y)) = it.peek() {
            if (i2, j2) != (i, j) {
                break;
            }
            aij += x;
            aji += y;
            it.next();
        }
        let prod = aij * aji;
        combined.push((i, j, mix * (aij + aji - prod) + (1.0 - mix) * prod));
    }
    Edges::from_triples(a.n_heads, a.n_tails, combined)
}

/// Supervised UMAP with categorical labels: edges between points of different labels
/// are scaled by `exp(-far_dist)`, edges touching an unlabelled point (`None`) by
/// `exp(-1)`; then the local connectivity is restored ([`reset_local_connectivity`]).
///
/// # Errors
/// [`Error::InvalidData`] when there is not one label per vertex.
pub fn intersect_categorical(w: &Edges, labels: &[Option<usize>], far_dist: f64) -> Result<Edges> {
    if labels.len() != w.n_heads {
        return Err(Error::data(
            "labels",
            format!("{} labels for {} points", labels.len(), w.n_heads),
        ));
    }
    let mut out = w.clone();
    for ((&i, &j), v) in w.head.iter().zip(&w.tail).zip(out.weight.iter_mut()) {
        match (labels[i], labels[j]) {
            (Some(a), Some(b)) if a != b => *v *= (-far_dist).exp(),
            (Some(_), Some(_)) => {}
            _ => *v *= (-1.0f64).exp(),
        }
    }
    out.drop_below(0.0);
    Ok(reset_local_connectivity(&out))
}

/// Rescales every row to maximum 1 and symmetrises by the fuzzy union again (so each
/// point keeps at least one edge of weight 1), as umap-learn's
/// `reset_local_connectivity`.
pub fn reset_local_connectivity(w: &Edges) -> Edges {
    let offsets = w.row_offsets();
    let mut scaled = w.clone();
    for r in 0..w.n_heads {
        let row = offsets[r]..offsets[r + 1];
        let max = w.weight[row.clone()].iter().copied().fold(0.0, f64::max);
        if max > 0.0 {
            scaled.weight[row].iter_mut().for_each(|v| *v /= max);
        }
    }
    fuzzy_union(&scaled, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weight of the edge `i -> j` of `w`, if present.
    fn weight(w: &Edges, i: usize, j: usize) -> Option<f64> {
        (0..w.len())
            .find(|&e| w.head[e] == i && w.tail[e] == j)
            .map(|e| w.weight[e])
    }

    #[test]
    fn sigma_solves_the_target_sum() {
        let dists = [0.0, 0.5, 0.7, 1.0, 1.1, 1.6, 2.0];
        let (sigma, rho) = smooth_knn_dist(&dists, 7.0, 1.0, 1.0);
        assert_eq!(rho, 0.5);
        let sum: f64 = dists[1..].iter().map(|&d| membership(d, sigma, rho)).sum();
        assert!((sum - 7f64.log2()).abs() < SMOOTH_K_TOLERANCE, "{sum}");
    }

    #[test]
    fn fractional_local_connectivity_interpolates() {
        let dists = [0.0, 1.0, 2.0, 4.0];
        assert_eq!(local_rho(&dists, 1.5), 1.5);
        assert_eq!(local_rho(&dists, 0.5), 0.5);
        assert_eq!(local_rho(&dists, 9.0), 4.0);
        assert_eq!(local_rho(&[0.0, 0.0], 1.0), 0.0);
    }

    #[test]
    fn union_is_symmetric_probabilistic_or() {
        let a = Edges::from_triples(3, 3, vec![(0, 1, 0.5), (1, 0, 0.4), (1, 2, 1.0)]);
        let w = fuzzy_union(&a, 1.0);
        let get = |i, j| weight(&w, i, j);
        assert!((get(0, 1).expect("edge") - (0.5 + 0.4 - 0.2)).abs() < 1e-15);
        assert_eq!(get(0, 1), get(1, 0));
        assert_eq!(get(2, 1), Some(1.0));
        let w0 = fuzzy_union(&a, 0.0);
        assert_eq!(w0.len(), 2, "intersection keeps mutual edges only");
    }

    /// Chain 0-1-2-3 labelled `[0, 0, 1, 1]` plus an unlabelled point 4 joined to 2
    /// and 3. The cross-class edge 1-2 keeps `2 e^-5 - e^-10` after the union of the
    /// scaled rows; edge 3-4 (0.5 each way) keeps `0.5 + 0.25 e^-1`: row 3 scaled by
    /// `e^-1`, row 4 by `e^-1` and then restored to maximum 1 by the reset.
    #[test]
    fn labels_weaken_cross_class_edges() {
        let pairs = [
            (0, 1, 1.0),
            (1, 2, 1.0),
            (2, 3, 1.0),
            (3, 4, 0.5),
            (2, 4, 1.0),
        ];
        let triples = pairs
            .iter()
            .flat_map(|&(i, j, w)| [(i, j, w), (j, i, w)])
            .collect();
        let a = Edges::from_triples(5, 5, triples);
        let labels = [Some(0), Some(0), Some(1), Some(1), None];
        let w = intersect_categorical(&a, &labels, 5.0).expect("labels");
        let get = |i, j| weight(&w, i, j).expect("edge");
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-15 * y;
        assert_eq!(get(0, 1), 1.0);
        assert_eq!(get(2, 4), 1.0);
        let (e1, e5) = ((-1.0f64).exp(), (-5.0f64).exp());
        assert!(close(get(1, 2), 2.0 * e5 - e5 * e5), "{}", get(1, 2));
        assert!(close(get(3, 4), 0.5 + 0.25 * e1), "{}", get(3, 4));
        assert_eq!(get(1, 2), get(2, 1));
        assert!(intersect_categorical(&a, &[Some(0)], 5.0).is_err());
    }
}
