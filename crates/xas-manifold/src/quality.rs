//! How faithful is a map? Measures comparing the input space (a [`Dissimilarity`]) with
//! an embedding `low` (`n x dims`, row-major, Euclidean).
//!
//! # Neighbourhood ranks
//!
//! For a point `i`, `r(i, j)` is the rank of `j` among the other points ordered by their
//! input-space distance from `i` (1 = nearest; `i` itself is excluded) and `r^(i, j)` the
//! same in the embedding; `N_i^k` and `N^_i^k` are the `k` points of rank `<= k`.
//! **Ties** are ordered by point index (the lower index ranks first), which makes every
//! rank and neighbourhood unique; scikit-learn ranks with `argsort` (quicksort), whose
//! order among equal distances is unspecified, so the two agree exactly whenever no two
//! distances from a point are equal. Input-space distances are `high.distance(i, j)`
//! (from `i`), so asymmetric inputs are ranked from each query point.
//!
//! * Trustworthiness (Venna & Kaski 2001): `T(k) = 1 - 2 / (n k (2n - 3k - 1))
//!   sum_i sum_{j in N^_i^k} max(0, r(i, j) - k)`, penalising embedding neighbours that
//!   are far in the input; equal to `sklearn.manifold.trustworthiness`. Needs `k < n/2`.
//! * Continuity: the same with the roles swapped, `C(k) = 1 - 2 / (n k (2n - 3k - 1))
//!   sum_i sum_{j in N_i^k} max(0, r^(i, j) - k)`, penalising input neighbours torn apart
//!   (scikit-learn's `trustworthiness(X_low, X)` when the input is Euclidean).
//! * kNN preservation: `mean_i |N_i^k ∩ N^_i^k| / k`.
//!
//! For a random embedding `E[T] = E[C] = 1 - (n - 1 - k)(n - k) / ((2n - 3k - 1)(n - 1))`,
//! about 1/2, and the kNN preservation about `k / (n - 1)`.
//!
//! # Cost and sampling
//!
//! Each query point costs `n` distances in both spaces, two selections of the `k`
//! nearest (`O(n)`) and one `O(n)` count per neighbour the spaces do not share: `O(n^2)`
//! to `O(n^2 k)` for all points. Queries run in tiles of 16 whose distance rows are
//! filled point by point (each spectrum is read once per tile, not once per query),
//! tiles in parallel with the `rayon` feature; the sums are of integers, so the results
//! are identical on any number of threads. For large maps ([`report`] with
//! `sample = Some((m, seed))`) the per-point sums run over `m` query points drawn
//! uniformly without replacement (ranks still against all `n` points), and the totals
//! are estimated as `n / m` times the sample sums: an unbiased estimator of `T`, `C`
//! and the kNN preservation. The per-point terms lie in `[0, 1]` after normalisation,
//! so the standard error is at most `0.5 / sqrt(m)` (0.016 for `m = 1000`), and much
//! less in practice. The silhouette is estimated the same way, as the mean of `s_i`
//! over the sampled points. Measured on 2 cores: 70 000 spectra of 200 points, a
//! report with `m = 1000` (and 10^6 Shepard pairs) takes about 3 s.
//!
//! # Other measures
//!
//! * [`silhouette`]: `s_i = (b_i - a_i) / max(a_i, b_i)`, `a_i` the mean distance to
//!   the other members of `i`'s class and `b_i` the smallest mean distance to another
//!   class; `s_i = 0` for a point alone in its class (and when `a_i = b_i = 0`), as
//!   `sklearn.metrics.silhouette_score`. `O(n^2)`.
//! * [`shepard_correlation`]: Spearman's rank correlation between the input and
//!   embedding distances of all pairs `i < j`, or of a seeded sample of pairs.

#[cfg(feature = "rayon")]
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::space::{Dissimilarity, squared_l2};

/// Pairs [`report`] uses for the Shepard correlation (all pairs below about 1400 points).
pub const REPORT_SHEPARD_PAIRS: usize = 1_000_000;

/// Trustworthiness `T(k)` of `low` (`n x dims`) as a map of `high` (see the
/// [module](self) documentation); in `[0, 1]`, 1 when every embedding neighbour is an
/// input neighbour.
///
/// # Errors
/// [`Error::InvalidParameter`] for `k = 0`, `k >= n/2` or `dims = 0`;
/// [`Error::InvalidData`] naming `embedding` for a length other than `n x dims` or a
/// non-finite coordinate.
pub fn trustworthiness(high: Dissimilarity<'_>, low: &[f64], dims: usize, k: usize) -> Result<f64> {
    Ok(neighbourhoods(high, low, dims, k, None)?.trustworthiness())
}

/// Continuity `C(k)` of `low` (`n x dims`) as a map of `high`: trustworthiness with the
/// roles of the spaces swapped; 1 when every input neighbour stays an embedding
/// neighbour.
///
/// # Errors
/// As [`trustworthiness`].
pub fn continuity(high: Dissimilarity<'_>, low: &[f64], dims: usize, k: usize) -> Result<f64> {
    Ok(neighbourhoods(high, low, dims, k, None)?.continuity())
}

/// kNN preservation `mean_i |N_i^k ∩ N^_i^k| / k`: the fraction of the `k` input-space
/// neighbours that are also embedding neighbours; in `[0, 1]`.
///
/// # Errors
/// As [`trustworthiness`] (the same `k < n/2`, so that the three are comparable).
pub fn knn_preservation(
    high: Dissimilarity<'_>,
    low: &[f64],
    dims: usize,
    k: usize,
) -> Result<f64> {
    Ok(neighbourhoods(high, low, dims, k, None)?.preservation())
}

/// Mean silhouette of the classes `labels` (any integers; one per point) under the
/// distances of `space`; in `[-1, 1]`.
///
/// # Errors
/// [`Error::InvalidData`] naming `labels` when their number differs from `n` or there
/// are fewer than 2 or more than `n - 1` distinct labels.
pub fn silhouette(space: Dissimilarity<'_>, labels: &[usize]) -> Result<f64> {
    let all: Vec<usize> = (0..space.len()).collect();
    silhouette_of(space.len(), labels, |i, j| space.distance(i, j), &all)
}

/// Mean silhouette of the classes `labels` in the embedding `low` (`n x dims`,
/// Euclidean distances).
///
/// # Errors
/// As [`silhouette`]; [`Error::InvalidParameter`] for `dims = 0`; [`Error::InvalidData`]
/// naming `embedding` for a length that is not a multiple of `dims` or a non-finite
/// coordinate.
pub fn silhouette_embedding(low: &[f64], dims: usize, labels: &[usize]) -> Result<f64> {
    let n = low.len().checked_div(dims).unwrap_or(0);
    let emb = Embedding::new(n, low, dims)?;
    let all: Vec<usize> = (0..n).collect();
    silhouette_of(n, labels, |i, j| emb.squared(i, j).sqrt(), &all)
}

/// Integer class labels for names: equal names get equal labels, numbered in order of
/// first appearance; returns the labels and the distinct names (label `c` is `names[c]`).
pub fn labels_from_strings<S: AsRef<str>>(names: &[S]) -> (Vec<usize>, Vec<String>) {
    let (labels, distinct) = codes(names.iter().map(AsRef::as_ref));
    (labels, distinct.into_iter().map(str::to_string).collect())
}

/// Dense codes `0..c` for `items` in order of first appearance, and the distinct items.
fn codes<T: Ord + Copy>(items: impl Iterator<Item = T>) -> (Vec<usize>, Vec<T>) {
    let mut code = BTreeMap::new();
    let mut distinct = Vec::new();
    let labels = items
        .map(|x| {
            *code.entry(x).or_insert_with(|| {
                distinct.push(x);
                distinct.len() - 1
            })
        })
        .collect();
    (labels, distinct)
}

/// Spearman rank correlation between the input distances `high.distance(i, j)` and the
/// embedding distances of the pairs `i < j`: all of them when there are at most
/// `max_pairs`, otherwise `max_pairs` distinct pairs drawn uniformly with `seed`. Ties
/// get their average rank (as `scipy.stats.spearmanr`).
///
/// # Errors
/// [`Error::InvalidParameter`] for `max_pairs < 2` or `dims = 0`; [`Error::InvalidData`]
/// for fewer than 3 points, an embedding of the wrong length or with a non-finite
/// coordinate, or when all the input (or all the embedding) distances compared are
/// equal (the correlation is then undefined).
pub fn shepard_correlation(
    high: Dissimilarity<'_>,
    low: &[f64],
    dims: usize,
    max_pairs: usize,
    seed: u64,
) -> Result<f64> {
    let n = high.len();
    let emb = Embedding::new(n, low, dims)?;
    if max_pairs < 2 {
        return Err(Error::param(
            "max_pairs",
            format!("must be at least 2, got {max_pairs}"),
        ));
    }
    if n < 3 {
        return Err(Error::data(
            "points",
            format!("{n} points: a rank correlation needs at least 3"),
        ));
    }
    let pairs = pairs(n, max_pairs, seed);
    let dist = par_map(&pairs, |&(i, j)| (high.distance(i, j), emb.squared(i, j)));
    let (h, l): (Vec<f64>, Vec<f64>) = dist.into_iter().unzip();
    let (rh, rl) = (average_ranks(&h), average_ranks(&l));
    pearson(&rh, &rl).ok_or_else(|| {
        let which = if rh.iter().all(|&r| r == rh[0]) {
            "input"
        } else {
            "embedding"
        };
        Error::data(
            which,
            "all distances compared are equal; the rank correlation is undefined",
        )
    })
}

/// The measures of one map, as [`report`] computes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Neighbourhood size of the rank measures.
    pub k: usize,
    /// [`trustworthiness`] `T(k)`.
    pub trustworthiness: f64,
    /// [`continuity`] `C(k)`.
    pub continuity: f64,
    /// [`knn_preservation`] at `k`.
    pub knn_preservation: f64,
    /// [`shepard_correlation`] over at most [`REPORT_SHEPARD_PAIRS`] pairs.
    pub shepard: f64,
    /// [`silhouette_embedding`] of the labels, when labels were given.
    pub silhouette: Option<f64>,
    /// Query points the neighbourhood sums and the silhouette ran over (`n` when exact).
    pub queries: usize,
    /// Pairs of the Shepard correlation.
    pub pairs: usize,
}

/// All measures of `low` (`n x dims`) as a map of `high`: trustworthiness, continuity
/// and kNN preservation at `k`, the Shepard correlation (at most
/// [`REPORT_SHEPARD_PAIRS`] pairs), and the silhouette of `labels` in the embedding.
///
/// With `sample = Some((m, seed))` and `m < n`, the neighbourhood measures and the
/// silhouette are estimated from `m` query points drawn with `seed` (see the
/// [module](self) documentation), which costs `O(m n)` instead of `O(n^2)` distances;
/// `seed` also draws the Shepard pairs (seed 0 without `sample`).
///
/// # Errors
/// As [`trustworthiness`], [`silhouette`] and [`shepard_correlation`];
/// [`Error::InvalidParameter`] naming `sample` for `m = 0`.
pub fn report(
    high: Dissimilarity<'_>,
    low: &[f64],
    dims: usize,
    k: usize,
    labels: Option<&[usize]>,
    sample: Option<(usize, u64)>,
) -> Result<QualityReport> {
    let n = high.len();
    let scores = neighbourhoods(high, low, dims, k, sample)?;
    let seed = sample.map_or(0, |(_, s)| s);
    let emb = Embedding::new(n, low, dims)?;
    let silhouette = labels
        .map(|l| silhouette_of(n, l, |i, j| emb.squared(i, j).sqrt(), &scores.queries))
        .transpose()?;
    Ok(QualityReport {
        k,
        trustworthiness: scores.trustworthiness(),
        continuity: scores.continuity(),
        knn_preservation: scores.preservation(),
        shepard: shepard_correlation(high, low, dims, REPORT_SHEPARD_PAIRS, seed)?,
        silhouette,
        queries: scores.queries.len(),
        pairs: REPORT_SHEPARD_PAIRS.min(n * (n - 1) / 2),
    })
}

/// `items.map(f)` in order, in parallel with the `rayon` feature.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync + Send) -> Vec<U> {
    #[cfg(feature = "rayon")]
    let out = items.par_iter().map(f).collect();
    #[cfg(not(feature = "rayon"))]
    let out = items.iter().map(f).collect();
    out
}

/// A checked embedding: `n` rows of `dims` finite coordinates.
struct Embedding<'a> {
    low: &'a [f64],
    dims: usize,
}

impl<'a> Embedding<'a> {
    fn new(n: usize, low: &'a [f64], dims: usize) -> Result<Self> {
        if dims == 0 {
            return Err(Error::param("dims", "must be at least 1"));
        }
        if low.len() != n * dims {
            return Err(Error::data(
                "embedding",
                format!("{} values for {n} points of {dims} coordinates", low.len()),
            ));
        }
        if let Some(p) = low.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                "embedding",
                format!("point {}, coordinate {} is not finite", p / dims, p % dims),
            ));
        }
        Ok(Embedding { low, dims })
    }

    /// Squared Euclidean distance between rows `i` and `j`.
    fn squared(&self, i: usize, j: usize) -> f64 {
        let d = self.dims;
        squared_l2(&self.low[i * d..(i + 1) * d], &self.low[j * d..(j + 1) * d])
    }
}

/// Integer sums of the rank measures over some query points.
struct Neighbourhoods {
    n: usize,
    k: usize,
    queries: Vec<usize>,
    /// `sum max(0, r(i, j) - k)` over embedding neighbours.
    trust: u64,
    /// `sum max(0, r^(i, j) - k)` over input neighbours.
    cont: u64,
    /// `sum |N_i ∩ N^_i|`.
    shared: u64,
}

impl Neighbourhoods {
    /// `n / m`: from sums over `m` queries to sums over all points.
    fn scale(&self) -> f64 {
        self.n as f64 / self.queries.len() as f64
    }

    /// `1 - 2 S / (n k (2n - 3k - 1))`.
    fn normalised(&self, sum: u64) -> f64 {
        let (n, k) = (self.n as f64, self.k as f64);
        1.0 - 2.0 * sum as f64 * self.scale() / (n * k * (2.0 * n - 3.0 * k - 1.0))
    }

    fn trustworthiness(&self) -> f64 {
        self.normalised(self.trust)
    }

    fn continuity(&self) -> f64 {
        self.normalised(self.cont)
    }

    fn preservation(&self) -> f64 {
        self.shared as f64 / (self.queries.len() * self.k) as f64
    }
}

/// The rank sums of `low` against `high` at `k`, over all points or a sample.
fn neighbourhoods(
    high: Dissimilarity<'_>,
    low: &[f64],
    dims: usize,
    k: usize,
    sample: Option<(usize, u64)>,
) -> Result<Neighbourhoods> {
    let n = high.len();
    let emb = Embedding::new(n, low, dims)?;
    if k == 0 || 2 * k >= n {
        return Err(Error::param(
            "k",
            format!("needs 1 <= k < n/2 (scikit-learn's condition); got k = {k} for {n} points"),
        ));
    }
    let queries = query_points(n, sample)?;
    let per_query = over_tiles(
        &queries,
        n,
        |i, j| high.distance(i, j),
        |i, high_row| {
            let low_row: Vec<f64> = (0..n).map(|j| emb.squared(i, j)).collect();
            rank_terms(i, high_row, &low_row, k)
        },
    );
    let sum = |f: fn(&(u64, u64, u64)) -> u64| per_query.iter().map(f).sum();
    Ok(Neighbourhoods {
        n,
        k,
        trust: sum(|q| q.0),
        cont: sum(|q| q.1),
        shared: sum(|q| q.2),
        queries,
    })
}

/// The terms of query `i` from its distances to every point in both spaces:
/// `(sum_{j in N^ \ N} (r(i, j) - k), sum_{j in N \ N^} (r^(i, j) - k), |N ∩ N^|)`.
/// Costs `O(n)` plus `O(n)` per neighbour not shared.
fn rank_terms(i: usize, high: &[f64], low: &[f64], k: usize) -> (u64, u64, u64) {
    let (nh, nl) = (nearest(i, high, k), nearest(i, low, k));
    let excess = |row: &[f64], j: usize| (rank(i, row, j) - k) as u64;
    let shared = nl.iter().filter(|j| nh.contains(j)).count() as u64;
    let trust = nl
        .iter()
        .filter(|j| !nh.contains(j))
        .map(|&j| excess(high, j))
        .sum();
    let cont = nh
        .iter()
        .filter(|j| !nl.contains(j))
        .map(|&j| excess(low, j))
        .sum();
    (trust, cont, shared)
}

/// `(d, j) < (e, l)`: by distance, then by index.
fn before(a: (f64, usize), b: (f64, usize)) -> bool {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).is_lt()
}

/// The `k` points `j != i` of smallest `(row[j], j)` (in no particular order).
fn nearest(i: usize, row: &[f64], k: usize) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = row
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(j, &d)| (d, j))
        .collect();
    keyed.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    keyed[..k].iter().map(|&(_, j)| j).collect()
}

/// Rank of `j` among the points other than `i` by `(row[l], l)`: 1 for the nearest.
fn rank(i: usize, row: &[f64], j: usize) -> usize {
    let key = (row[j], j);
    1 + row
        .iter()
        .enumerate()
        .filter(|&(l, &d)| l != i && before((d, l), key))
        .count()
}

/// Queries per tile of [`over_tiles`].
const QUERY_TILE: usize = 16;

/// `per_query(i, row)` for each query `i`, in order, `row` being `dist(i, j)` for all
/// `j`. The rows of a tile of [`QUERY_TILE`] queries are filled point by point, so each
/// point's data is read from memory once per tile rather than once per query; tiles
/// run in parallel with the `rayon` feature.
fn over_tiles<T: Send>(
    queries: &[usize],
    n: usize,
    dist: impl Fn(usize, usize) -> f64 + Sync + Send,
    per_query: impl Fn(usize, &[f64]) -> T + Sync + Send,
) -> Vec<T> {
    let tiles: Vec<&[usize]> = queries.chunks(QUERY_TILE).collect();
    par_map(&tiles, |tile| {
        let mut rows = vec![0.0; tile.len() * n];
        for j in 0..n {
            for (q, &i) in tile.iter().enumerate() {
                rows[q * n + j] = dist(i, j);
            }
        }
        tile.iter()
            .zip(rows.chunks_exact(n))
            .map(|(&i, row)| per_query(i, row))
            .collect::<Vec<T>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// All points, or `m` of them drawn uniformly without replacement (a partial
/// Fisher–Yates shuffle seeded by `seed`), in increasing order.
fn query_points(n: usize, sample: Option<(usize, u64)>) -> Result<Vec<usize>> {
    let mut all: Vec<usize> = (0..n).collect();
    match sample {
        Some((0, _)) => Err(Error::param("sample", "needs at least one query point")),
        Some((m, seed)) if m < n => {
            let mut rng = SplitMix64::new(seed);
            for t in 0..m {
                let s = t + rng.below(n - t);
                all.swap(t, s);
            }
            all.truncate(m);
            all.sort_unstable();
            Ok(all)
        }
        _ => Ok(all),
    }
}

/// Mean silhouette over `queries` of the classes `labels` under `dist`.
fn silhouette_of(
    n: usize,
    labels: &[usize],
    dist: impl Fn(usize, usize) -> f64 + Sync + Send,
    queries: &[usize],
) -> Result<f64> {
    if labels.len() != n {
        return Err(Error::data(
            "labels",
            format!("{} labels for {n} points", labels.len()),
        ));
    }
    let (class, distinct) = codes(labels.iter().copied());
    let classes = distinct.len();
    if classes < 2 || classes >= n {
        return Err(Error::data(
            "labels",
            format!("{classes} distinct labels for {n} points; the silhouette needs 2 to n - 1"),
        ));
    }
    let mut size = vec![0usize; classes];
    for &c in &class {
        size[c] += 1;
    }
    let s = over_tiles(queries, n, dist, |i, row| {
        let mut sum = vec![0.0; classes];
        for (j, d) in row.iter().enumerate().filter(|&(j, _)| j != i) {
            sum[class[j]] += d;
        }
        let own = class[i];
        if size[own] == 1 {
            return 0.0;
        }
        let a = sum[own] / (size[own] - 1) as f64;
        let b = (0..classes)
            .filter(|&c| c != own)
            .map(|c| sum[c] / size[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 { (b - a) / m } else { 0.0 }
    });
    Ok(s.iter().sum::<f64>() / s.len() as f64)
}

/// The pairs `i < j` of `n` points: all of them in order when there are at most
/// `max_pairs`, otherwise `max_pairs` distinct pairs drawn uniformly (each draw an
/// ordered pair `i != j` from the seeded stream, repeats skipped), sorted.
fn pairs(n: usize, max_pairs: usize, seed: u64) -> Vec<(usize, usize)> {
    if n * (n - 1) / 2 <= max_pairs {
        return (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .collect();
    }
    let mut rng = SplitMix64::new(seed);
    let mut seen = HashSet::with_capacity(max_pairs);
    while seen.len() < max_pairs {
        let (a, b) = (rng.below(n), rng.below(n));
        if a != b {
            seen.insert((a.min(b), a.max(b)));
        }
    }
    let mut out: Vec<(usize, usize)> = seen.into_iter().collect();
    out.sort_unstable();
    out
}

/// Ranks `1..=len` of `values`, ties sharing their average rank.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let mut rank = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let v = values[order[start]];
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&p| values[p] == v)
                .count();
        let average = (start + end + 1) as f64 / 2.0;
        for &p in &order[start..end] {
            rank[p] = average;
        }
        start = end;
    }
    rank
}

/// Pearson correlation of `x` and `y`, `None` when either is constant.
pub(crate) fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let len = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / len, y.iter().sum::<f64>() / len);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{DistanceMatrix, Vectors};
    use xas_metrics::measures::Metric;

    /// Points on a line as spectra of two points `(x, 0)` (an axis needs two points).
    fn on_line(x: &[f64]) -> Vectors {
        euclidean(&x.iter().flat_map(|&p| [p, 0.0]).collect::<Vec<_>>(), 2)
    }

    fn euclidean(rows: &[f64], dim: usize) -> Vectors {
        let axis: Vec<f64> = (0..dim).map(|e| e as f64).collect();
        Vectors::new(Metric::Euclidean, &axis, rows).expect("valid points")
    }

    /// `x_i = (sin(0.37 i), cos(1.3 i), 0.03 i)`, `i < 60`, and its first two coordinates.
    fn curve() -> (Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (0..60)
            .flat_map(|i| {
                let t = f64::from(i);
                [(0.37 * t).sin(), (1.3 * t).cos(), 0.03 * t]
            })
            .collect();
        let y = x.chunks_exact(3).flat_map(|p| [p[0], p[1]]).collect();
        (x, y)
    }

    /// `n` points of `dim` standard normal coordinates.
    fn gaussian(n: usize, dim: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        (0..n * dim).map(|_| rng.normal()).collect()
    }

    #[test]
    fn matches_scikit_learn() {
        // Reference (scikit-learn 1.9.1, scipy):
        //   i = np.arange(60)
        //   X = np.stack([np.sin(0.37 * i), np.cos(1.3 * i), 0.03 * i], axis=1); Y = X[:, :2]
        //   trustworthiness(X, Y, n_neighbors=k), trustworthiness(Y, X, n_neighbors=k)
        //   silhouette_score(X, i // 20), silhouette_score(Y, i // 20)
        //   spearmanr(pdist(X), pdist(Y)).statistic
        // No two distances from a point are equal (smallest gap 5e-6), so ties do not arise.
        let (x, y) = curve();
        let v = euclidean(&x, 3);
        let high: Dissimilarity<'_> = (&v).into();
        for (k, t, c) in [
            (5, 0.901474358974359, 0.963974358974359),
            (12, 0.9394912985274431, 0.9683734939759037),
        ] {
            assert!((trustworthiness(high, &y, 2, k).expect("T") - t).abs() < 1e-12);
            assert!((continuity(high, &y, 2, k).expect("C") - c).abs() < 1e-12);
        }
        let labels: Vec<usize> = (0..60).map(|i| i / 20).collect();
        assert!((silhouette(high, &labels).expect("s") - 0.06065223918006489).abs() < 1e-12);
        let s = silhouette_embedding(&y, 2, &labels).expect("s");
        assert!((s - -0.0550979624567888).abs() < 1e-12);
        let rho = shepard_correlation(high, &y, 2, 10_000, 0).expect("rho");
        assert!((rho - 0.9067047409671319).abs() < 1e-12);
    }

    #[test]
    fn six_points_by_hand() {
        // Input x = 0, 1, 3, 7, 12, 20 on a line; the map swaps points 1 and 4:
        // y = 0, 12, 3, 7, 1, 20. With k = 2:
        //   input neighbours  N: {1,2} {0,2} {1,0} {2,4} {3,5} {4,3}
        //   map neighbours   N^: {4,2} {3,5} {4,0} {2,1} {0,2} {1,3}
        //   T: sum over j in N^ \ N of r(i, j) - 2 = 2 + (1 + 3) + 2 + 1 + (3 + 1) + 2 = 15,
        //      T = 1 - 2 * 15 / (6 * 2 * (12 - 6 - 1)) = 1/2 (scikit-learn: 0.5);
        //   C: sum over j in N \ N^ of r^(i, j) - 2 = 2 + (3 + 1) + 2 + 1 + (1 + 3) + 2 = 15,
        //      C = 1/2; shared neighbours 1 + 0 + 1 + 1 + 0 + 1 = 4, preservation 4/12.
        //   Silhouette of classes {0, 1, 2}, {3, 4, 5} in the input:
        //   s = 11/13, 10.5/12, 7.5/10, -10/27, 25/64, 49/112 (scikit-learn: 0.4881514126305793).
        //   Spearman correlation of the 15 pair distances: 47/140 (scipy 0.33571428571428563).
        let x = [0.0, 1.0, 3.0, 7.0, 12.0, 20.0];
        let y = [0.0, 12.0, 3.0, 7.0, 1.0, 20.0];
        let v = on_line(&x);
        let high: Dissimilarity<'_> = (&v).into();
        assert_eq!(trustworthiness(high, &y, 1, 2).expect("T"), 0.5);
        assert_eq!(continuity(high, &y, 1, 2).expect("C"), 0.5);
        assert_eq!(knn_preservation(high, &y, 1, 2).expect("P"), 4.0 / 12.0);
        let s = silhouette(high, &[0, 0, 0, 1, 1, 1]).expect("s");
        let want =
            (11.0 / 13.0 + 10.5 / 12.0 + 0.75 - 10.0 / 27.0 + 25.0 / 64.0 + 49.0 / 112.0) / 6.0;
        assert!((s - want).abs() < 1e-15 && (s - 0.4881514126305793).abs() < 1e-15);
        let rho = shepard_correlation(high, &y, 1, 100, 0).expect("rho");
        assert!((rho - 47.0 / 140.0).abs() < 1e-15);
        // The same through a distance matrix, and with labels named by strings.
        let d = v.distance_matrix().expect("matrix");
        assert_eq!(trustworthiness((&d).into(), &y, 1, 2).expect("T"), 0.5);
        let (labels, names) =
            labels_from_strings(&["Fe2+", "Fe2+", "Fe2+", "Fe3+", "Fe3+", "Fe3+"]);
        assert_eq!(names, ["Fe2+", "Fe3+"]);
        assert_eq!(silhouette((&d).into(), &labels).expect("s"), s);
    }

    #[test]
    fn identity_map_is_perfect() {
        let x = gaussian(300, 4, 1);
        let v = euclidean(&x, 4);
        let r = report((&v).into(), &x, 4, 10, None, None).expect("report");
        assert_eq!(
            (r.trustworthiness, r.continuity, r.knn_preservation),
            (1.0, 1.0, 1.0)
        );
        assert!((r.shepard - 1.0).abs() < 1e-12);
        assert_eq!((r.queries, r.pairs), (300, 300 * 299 / 2));
    }

    #[test]
    fn shuffled_map_is_near_one_half() {
        // A map whose rows are permuted: embedding neighbours are random points, whose
        // input ranks are uniform on 1..n-1, so E[T] = E[C] =
        // 1 - (n - 1 - k)(n - k) / ((2n - 3k - 1)(n - 1)) and E[kNN] = k / (n - 1).
        let (n, k) = (1000usize, 10usize);
        let x = gaussian(n, 5, 2);
        let mut rng = SplitMix64::new(3);
        let mut perm: Vec<usize> = (0..n).collect();
        for t in (1..n).rev() {
            perm.swap(t, rng.below(t + 1));
        }
        let low: Vec<f64> = perm
            .iter()
            .flat_map(|&p| x[p * 5..p * 5 + 5].to_vec())
            .collect();
        let v = euclidean(&x, 5);
        let r = report((&v).into(), &low, 5, k, None, None).expect("report");
        let (nf, kf) = (n as f64, k as f64);
        let expected =
            1.0 - (nf - 1.0 - kf) * (nf - kf) / ((2.0 * nf - 3.0 * kf - 1.0) * (nf - 1.0));
        println!("shuffled: {r:?}, expected T = C = {expected:.4}");
        assert!(
            (r.trustworthiness - expected).abs() < 0.02,
            "{r:?} vs {expected}"
        );
        assert!(
            (r.continuity - expected).abs() < 0.02,
            "{r:?} vs {expected}"
        );
        assert!(r.knn_preservation < 3.0 * kf / (nf - 1.0), "{r:?}");
        assert!(r.shepard.abs() < 0.05, "{r:?}");
    }

    /// 1200 points in 8-D: three shifted blobs, mapped by their first two coordinates.
    fn blobs() -> (Vec<f64>, Vec<f64>, Vec<usize>) {
        let mut x = gaussian(1200, 8, 4);
        let labels: Vec<usize> = (0..1200).map(|i| i % 3).collect();
        for (i, p) in x.chunks_exact_mut(8).enumerate() {
            p[0] += 3.0 * labels[i] as f64;
        }
        let y = x.chunks_exact(8).flat_map(|p| [p[0], p[1]]).collect();
        (x, y, labels)
    }

    #[test]
    fn sampled_report_estimates_the_exact_one() {
        let (x, y, labels) = blobs();
        let v = euclidean(&x, 8);
        let exact = report((&v).into(), &y, 2, 15, Some(&labels), None).expect("exact");
        let sampled =
            report((&v).into(), &y, 2, 15, Some(&labels), Some((300, 9))).expect("sample");
        assert_eq!(sampled.queries, 300);
        println!("exact   {exact:?}\nsampled {sampled:?}");
        let pairs = (
            (exact.trustworthiness, sampled.trustworthiness),
            (exact.continuity, sampled.continuity),
            (exact.knn_preservation, sampled.knn_preservation),
            (
                exact.silhouette.expect("labels"),
                sampled.silhouette.expect("labels"),
            ),
        );
        for (a, b) in [pairs.0, pairs.1, pairs.2, pairs.3] {
            assert!((a - b).abs() < 0.02, "exact {exact:?}\nsampled {sampled:?}");
        }
        assert!((exact.shepard - sampled.shepard).abs() < 0.02);
        let again = report((&v).into(), &y, 2, 15, Some(&labels), Some((300, 9))).expect("sample");
        assert_eq!(sampled, again);
        // A sample at least as large as the input is the exact computation.
        let full = report((&v).into(), &y, 2, 15, Some(&labels), Some((5000, 9))).expect("full");
        assert_eq!(full.trustworthiness, exact.trustworthiness);
    }

    #[cfg(feature = "rayon")]
    #[test]
    fn one_and_two_threads_agree() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let (x, y, labels) = blobs();
        let v = euclidean(&x, 8);
        let run =
            |threads: usize| -> std::result::Result<QualityReport, Box<dyn std::error::Error>> {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()?;
                Ok(pool.install(|| report((&v).into(), &y, 2, 10, Some(&labels), Some((500, 1))))?)
            };
        assert_eq!(run(1)?, run(2)?);
        Ok(())
    }

    #[test]
    fn shepard_sampling_and_scale() {
        let (x, y, _) = blobs();
        let v = euclidean(&x, 8);
        let all = shepard_correlation((&v).into(), &y, 2, usize::MAX, 0).expect("all pairs");
        let some = shepard_correlation((&v).into(), &y, 2, 20_000, 5).expect("sample");
        assert!((all - some).abs() < 0.02, "{all} {some}");
        // Ranks ignore a change of scale of the map.
        let scaled: Vec<f64> = x.iter().map(|c| 7.0 * c).collect();
        let one = shepard_correlation((&v).into(), &scaled, 8, 20_000, 5).expect("scaled");
        assert!((one - 1.0).abs() < 1e-12);
        let p = pairs(100, 300, 1);
        assert_eq!(p.len(), 300);
        assert!(p.windows(2).all(|w| w[0] < w[1]) && p.iter().all(|&(i, j)| i < j && j < 100));
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn bad_inputs_are_named() {
        let x = [0.0, 1.0, 3.0, 7.0, 12.0, 20.0];
        let v = on_line(&x);
        let high: Dissimilarity<'_> = (&v).into();
        let msg = |e: Error| e.to_string();
        assert!(msg(trustworthiness(high, &x, 1, 3).expect_err("k = n/2")).contains("`k`"));
        assert!(msg(continuity(high, &x, 1, 0).expect_err("k = 0")).contains("`k`"));
        assert!(
            msg(knn_preservation(high, &x[..5], 1, 2).expect_err("short")).contains("embedding")
        );
        let mut bad = x.to_vec();
        bad[4] = f64::NAN;
        assert!(
            msg(trustworthiness(high, &bad, 1, 2).expect_err("nan"))
                .contains("point 4, coordinate 0")
        );
        assert!(msg(trustworthiness(high, &x, 0, 2).expect_err("dims")).contains("dims"));
        assert!(msg(silhouette(high, &[1; 6]).expect_err("one label")).contains("labels"));
        assert!(
            msg(silhouette(high, &[0, 1, 2, 3, 4, 5]).expect_err("n labels")).contains("labels")
        );
        assert!(msg(silhouette(high, &[0, 1]).expect_err("length")).contains("labels"));
        assert!(
            msg(silhouette_embedding(&x, 1, &[0, 0, 0]).expect_err("length")).contains("labels")
        );
        assert!(
            msg(report(high, &x, 1, 2, None, Some((0, 1))).expect_err("sample")).contains("sample")
        );
        assert!(
            msg(shepard_correlation(high, &x, 1, 1, 0).expect_err("pairs")).contains("max_pairs")
        );
        let flat = shepard_correlation(high, &[1.0; 6], 1, 100, 0).expect_err("constant map");
        assert!(msg(flat).contains("embedding"));
        let two = DistanceMatrix::new(2, vec![0.0, 1.0, 1.0, 0.0]).expect("valid");
        assert!(shepard_correlation((&two).into(), &[0.0, 1.0], 1, 100, 0).is_err());
    }
}
