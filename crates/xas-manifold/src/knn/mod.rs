//! k-nearest-neighbour graphs of the input points: exact (a scan of all pairs, with
//! the vectorised, pruned scan of [`xas_metrics::search::KnnIndex`] for Euclidean,
//! cosine and Wasserstein-1 spectra) or approximate by NN-descent ([`nndescent`]).

pub mod nndescent;

use std::ops::ControlFlow;

#[cfg(feature = "rayon")]
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xas_metrics::measures::Metric;
use xas_metrics::search::{FastMetric, KnnIndex, TopK};

use crate::error::{Error, Result};
use crate::space::{Dissimilarity, Vectors};

pub use nndescent::NnDescentParams;

/// Below this many points [`KnnMethod::Auto`] searches exactly (umap-learn's threshold).
pub const EXACT_BELOW: usize = 4096;

/// The `k` nearest other points of each of `n` points, closest first (ties by index);
/// a point is never its own neighbour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnGraph {
    n: usize,
    k: usize,
    /// `n x k` row-major neighbour indices.
    indices: Vec<usize>,
    /// `n x k` row-major distances.
    distances: Vec<f64>,
}

impl KnnGraph {
    /// A graph from its rows (`n x k` indices and distances, row-major).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for lengths that are not `n x k`, an index out of range or
    /// equal to its own row, a non-finite or negative distance, or a row not sorted by
    /// distance.
    pub fn new(n: usize, k: usize, indices: Vec<usize>, distances: Vec<f64>) -> Result<Self> {
        if indices.len() != n * k || distances.len() != n * k {
            return Err(Error::data(
                "knn graph",
                format!(
                    "{} indices and {} distances for {n} points x {k} neighbours",
                    indices.len(),
                    distances.len()
                ),
            ));
        }
        for i in 0..n {
            let row = &indices[i * k..(i + 1) * k];
            let dist = &distances[i * k..(i + 1) * k];
            if let Some(&j) = row.iter().find(|&&j| j >= n || j == i) {
                return Err(Error::data(
                    "knn graph",
                    format!("point {i}: neighbour {j} is itself or out of range"),
                ));
            }
            if dist.iter().any(|d| !d.is_finite() || *d < 0.0)
                || dist.windows(2).any(|w| w[1] < w[0])
            {
                return Err(Error::data(
                    "knn graph",
                    format!("point {i}: distances are not finite, non-negative and sorted"),
                ));
            }
        }
        Ok(KnnGraph {
            n,
            k,
            indices,
            distances,
        })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the graph has no points.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Neighbours per point.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Neighbour indices of point `i`, closest first.
    ///
    /// # Panics
    /// When `i >= len()`.
    pub fn neighbors(&self, i: usize) -> &[usize] {
        &self.indices[i * self.k..(i + 1) * self.k]
    }

    /// Distances to the neighbours of point `i`, ascending.
    ///
    /// # Panics
    /// When `i >= len()`.
    pub fn distances(&self, i: usize) -> &[f64] {
        &self.distances[i * self.k..(i + 1) * self.k]
    }

    /// Fraction of the true neighbours found: `mean_i |N_i ∩ N_i^exact| / k`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the graphs differ in size or `k`.
    pub fn recall_against(&self, exact: &KnnGraph) -> Result<f64> {
        if self.n != exact.n || self.k != exact.k {
            return Err(Error::data(
                "knn graph",
                "recall needs graphs of the same size and k",
            ));
        }
        let found: usize = (0..self.n)
            .map(|i| {
                let truth = exact.neighbors(i);
                self.neighbors(i)
                    .iter()
                    .filter(|j| truth.contains(j))
                    .count()
            })
            .sum();
        Ok(found as f64 / (self.n * self.k).max(1) as f64)
    }
}

/// How a kNN graph is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum KnnMethod {
    /// Exact below [`EXACT_BELOW`] points, NN-descent with default parameters above.
    Auto,
    /// Exact search.
    Exact,
    /// NN-descent.
    NnDescent(NnDescentParams),
}

/// Checks that `k` other neighbours exist among `n` points.
pub(crate) fn check_k(n: usize, k: usize) -> Result<()> {
    if k == 0 || k >= n {
        return Err(Error::param(
            "n_neighbors",
            format!(
                "{k} neighbours need at least {} points; the input has {n}",
                k + 1
            ),
        ));
    }
    Ok(())
}

/// The kNN graph of `space` with `k` neighbours per point, built by `method`.
///
/// # Errors
/// [`Error::InvalidParameter`] when `k = 0` or `k >= n`; errors of the search.
pub fn knn_graph(space: Dissimilarity<'_>, k: usize, method: &KnnMethod) -> Result<KnnGraph> {
    knn_graph_with_progress(space, k, method, |_, _| ControlFlow::Continue(()))
}

/// [`knn_graph`] reporting progress as `progress(done, total)`: NN-descent's
/// iterations (see [`nndescent::nn_descent_with_progress`]), a single `(1, 1)` for the
/// exact search; the last call is always `done = total`.
///
/// # Errors
/// As [`knn_graph`]; [`Error::Interrupted`] when `progress` breaks.
pub fn knn_graph_with_progress(
    space: Dissimilarity<'_>,
    k: usize,
    method: &KnnMethod,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<KnnGraph> {
    check_k(space.len(), k)?;
    let params = match method {
        KnnMethod::Auto if space.len() >= EXACT_BELOW => &NnDescentParams::default(),
        KnnMethod::NnDescent(params) => params,
        KnnMethod::Exact | KnnMethod::Auto => {
            let graph = exact(space, k)?;
            nndescent::check_progress(progress(1, 1))?;
            return Ok(graph);
        }
    };
    let mut last = (0, 1);
    let graph = nndescent::nn_descent_with_progress(space, k, params, |done, total| {
        last = (done, total);
        progress(done, total)
    })?;
    if last.0 < last.1 {
        // Stopped early by the convergence test: report the end.
        nndescent::check_progress(progress(last.1, last.1))?;
    }
    Ok(graph)
}

/// The exact kNN graph: every pair is compared.
///
/// # Errors
/// [`Error::InvalidParameter`] when `k = 0` or `k >= n`.
pub fn exact(space: Dissimilarity<'_>, k: usize) -> Result<KnnGraph> {
    let n = space.len();
    check_k(n, k)?;
    if let Dissimilarity::Vectors(v) = space
        && let Some(metric) = fast_metric(v)
    {
        return exact_indexed(v, metric, k);
    }
    let row = |i: usize| {
        let mut best = TopK::new(k);
        for j in (0..n).filter(|&j| j != i) {
            best.push(space.distance(i, j), j);
        }
        best.into_sorted(|d| d)
    };
    #[cfg(feature = "rayon")]
    let rows: Vec<_> = (0..n).into_par_iter().map(row).collect();
    #[cfg(not(feature = "rayon"))]
    let rows: Vec<_> = (0..n).map(row).collect();
    let (indices, distances) = rows
        .into_iter()
        .flatten()
        .map(|nb| (nb.index, nb.distance))
        .unzip();
    KnnGraph::new(n, k, indices, distances)
}

/// The measures [`KnnIndex`] scans with its vectorised kernels.
fn fast_metric(v: &Vectors) -> Option<FastMetric> {
    match v.metric() {
        Metric::Euclidean => Some(FastMetric::Euclidean),
        Metric::Cosine => Some(FastMetric::Cosine),
        Metric::Wasserstein1 => Some(FastMetric::Wasserstein1 {
            energy_ev: v.energy_ev().to_vec(),
        }),
        _ => None,
    }
}

/// Exact search with [`KnnIndex::knn_batch`] for `k + 1` neighbours, the point itself
/// then removed (or the farthest, when duplicates hide it).
fn exact_indexed(v: &Vectors, metric: FastMetric, k: usize) -> Result<KnnGraph> {
    let index: KnnIndex<f64> = KnnIndex::new(v.rows(), v.dim(), metric)?;
    let found = index.knn_batch(v.rows(), k + 1)?;
    let n = v.len();
    let mut indices = Vec::with_capacity(n * k);
    let mut distances = Vec::with_capacity(n * k);
    for (i, mut row) in found.into_iter().enumerate() {
        match row.iter().position(|nb| nb.index == i) {
            Some(p) => {
                row.remove(p);
            }
            None => {
                row.pop();
            }
        }
        for nb in row {
            indices.push(nb.index);
            distances.push(nb.distance.max(0.0));
        }
    }
    KnnGraph::new(n, k, indices, distances)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::DistanceMatrix;

    fn grid_points() -> Vectors {
        // 5 x 5 lattice with unit spacing, plus a tiny offset to break ties.
        let rows: Vec<f64> = (0..25)
            .flat_map(|i| [f64::from(i % 5) + 1e-3 * f64::from(i), f64::from(i / 5)])
            .collect();
        Vectors::new(Metric::Euclidean, &[0.0, 1.0], &rows).expect("valid")
    }

    #[test]
    fn exact_paths_agree() {
        let v = grid_points();
        let fast = exact((&v).into(), 4).expect("graph");
        let d = v.distance_matrix().expect("matrix");
        let slow = exact((&d).into(), 4).expect("graph");
        assert_eq!(fast.indices, slow.indices);
        for (a, b) in fast.distances.iter().zip(&slow.distances) {
            assert!((a - b).abs() < 1e-12);
        }
        // The centre point 12 = (2, 2) has its four lattice neighbours.
        let mut nb = fast.neighbors(12).to_vec();
        nb.sort_unstable();
        assert_eq!(nb, vec![7, 11, 13, 17]);
        assert_eq!(fast.recall_against(&slow).expect("same shape"), 1.0);
    }

    #[test]
    fn too_many_neighbours_is_an_error() {
        let d = DistanceMatrix::new(3, vec![0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0])
            .expect("valid");
        let err = knn_graph((&d).into(), 3, &KnnMethod::Auto)
            .expect_err("k >= n")
            .to_string();
        assert!(err.contains("n_neighbors"), "{err}");
    }
}
