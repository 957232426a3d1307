//! Exact k-nearest-neighbour search of query spectra against a library.
//!
//! The library is one contiguous row-major matrix (`n` spectra x `m` points), so a
//! query streams through memory once. Two measures have closed-form fast paths:
//!
//! * Euclidean: `|q - x|^2 = |q|^2 + |x|^2 - 2 q.x` with the library's squared norms
//!   precomputed, so each pair costs one dot product;
//! * cosine: library rows are stored unit-normalised, so `1 - q.x / |q|` is one dot
//!   product too.
//!
//! Any other measure goes through [`KnnIndex::knn_with`] with a distance closure. The
//! top k are kept by a running selection ([`TopK`]): one comparison per library row,
//! no allocation per pair. Batches of queries
//! ([`KnnIndex::knn_batch`]) compute their dot products as one cache-blocked matrix
//! product, multi-threaded with the `rayon` feature.

use std::cmp::Ordering;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::error::{Error, Result};

/// Floating-point element type of a library: `f64`, or `f32` for half the memory
/// traffic (distances are accumulated in the same type and reported as `f64`).
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + 'static
{
    /// Zero.
    const ZERO: Self;
    /// Conversion from `f64` (rounding for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Conversion to `f64`.
    fn to_f64(self) -> f64;
    /// All dot products of `nq` queries with `n` library rows (`m` points, both
    /// row-major): `out[i + j * nq] = q_i . x_j`, by a cache-blocked matrix product.
    fn dots(
        queries: &[Self],
        library: &[Self],
        nq: usize,
        n: usize,
        m: usize,
        out: &mut [Self],
        par: Par,
    );
}

macro_rules! real_gemm {
    ($t:ty) => {
        fn dots(
            queries: &[$t],
            library: &[$t],
            nq: usize,
            n: usize,
            m: usize,
            out: &mut [$t],
            par: Par,
        ) {
            let q = MatRef::from_column_major_slice(queries, m, nq).transpose();
            let x = MatRef::from_column_major_slice(library, m, n);
            let d = MatMut::from_column_major_slice_mut(out, nq, n);
            matmul(d, Accum::Replace, q, x, 1.0, par);
        }
    };
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    real_gemm!(f64);
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    real_gemm!(f32);
}

/// Dot product with eight independent accumulators, so the compiler can keep them in
/// SIMD registers without reassociating floating-point sums.
#[inline]
pub fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        let (x, y) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for j in 0..8 {
            acc[j] = acc[j] + x[j] * y[j];
        }
    }
    let mut tail = T::ZERO;
    for i in chunks * 8..a.len().min(b.len()) {
        tail = tail + a[i] * b[i];
    }
    let pairs = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    (pairs[0] + pairs[2]) + (pairs[1] + pairs[3]) + tail
}

/// One neighbour: library row and distance.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Neighbor {
    /// Row of the library.
    pub index: usize,
    /// Distance to the query.
    pub distance: f64,
}

/// Which fast path a [`KnnIndex`] is prepared for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastMetric {
    /// Euclidean distance `|q - x|`.
    Euclidean,
    /// Cosine distance `1 - q.x / (|q| |x|)`.
    Cosine,
}

/// A library of `n` spectra of `m` points, prepared for fast exact search.
#[derive(Debug, Clone, PartialEq)]
pub struct KnnIndex<T: Real = f64> {
    n: usize,
    m: usize,
    metric: FastMetric,
    /// Row-major data (unit-normalised rows for cosine).
    data: Vec<T>,
    /// Squared norms of the rows (Euclidean).
    norms2: Vec<T>,
}

impl<T: Real> KnnIndex<T> {
    /// Prepares `data` (`n x m`, row-major, `f64`) for `metric`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the length is not a multiple of `m`, a value is not
    /// finite, or (cosine) a row is all zero.
    pub fn new(data: &[f64], m: usize, metric: FastMetric) -> Result<Self> {
        if m == 0 || data.is_empty() || !data.len().is_multiple_of(m) {
            return Err(Error::data(
                "library",
                format!("{} values do not form rows of {m} points", data.len()),
            ));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                "library",
                format!("row {}, point {}: value is not finite", i / m, i % m),
            ));
        }
        let n = data.len() / m;
        let mut rows: Vec<T> = Vec::with_capacity(data.len());
        for (r, row) in data.chunks_exact(m).enumerate() {
            let scale = match metric {
                FastMetric::Euclidean => 1.0,
                FastMetric::Cosine => {
                    let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                    if norm == 0.0 {
                        return Err(Error::data(
                            "library",
                            format!("row {r} is all zero: cosine distance undefined"),
                        ));
                    }
                    1.0 / norm
                }
            };
            rows.extend(row.iter().map(|v| T::from_f64(v * scale)));
        }
        let norms2 = rows.chunks_exact(m).map(|r| dot(r, r)).collect();
        Ok(KnnIndex {
            n,
            m,
            metric,
            data: rows,
            norms2,
        })
    }

    /// Number of spectra.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when the library holds no spectra (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Points per spectrum.
    pub fn points(&self) -> usize {
        self.m
    }

    /// Row `i` as stored (unit-normalised for cosine).
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.m..(i + 1) * self.m]
    }

    fn check_query(&self, query: &[f64], k: usize) -> Result<()> {
        if query.len() != self.m {
            return Err(Error::data(
                "query",
                format!("has {} points, the library {}", query.len(), self.m),
            ));
        }
        if query.iter().any(|v| !v.is_finite()) {
            return Err(Error::data("query", "contains a value that is not finite"));
        }
        if k == 0 {
            return Err(Error::param("k", "must be at least 1"));
        }
        Ok(())
    }

    /// The `k` nearest library spectra to `query` under the library's fast metric,
    /// closest first (ties by row index).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a query of the wrong length or with non-finite values,
    /// [`Error::InvalidParameter`] for `k = 0`; a zero query under cosine.
    pub fn knn(&self, query: &[f64], k: usize) -> Result<Vec<Neighbor>> {
        self.check_query(query, k)?;
        self.knn_into(query, k)
    }

    /// The query as stored rows are: converted, and unit-normalised for cosine.
    fn prepare_query(&self, query: &[f64]) -> Result<Vec<T>> {
        let scale = match self.metric {
            FastMetric::Euclidean => 1.0,
            FastMetric::Cosine => {
                let norm = query.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm == 0.0 {
                    return Err(Error::data(
                        "query",
                        "is all zero: cosine distance undefined",
                    ));
                }
                1.0 / norm
            }
        };
        Ok(query.iter().map(|&v| T::from_f64(v * scale)).collect())
    }

    /// Ranking key of row `j` from the query's squared norm and its dot product with the
    /// row: the squared distance (Euclidean) or the distance (cosine); see
    /// [`KnnIndex::key_to_distance`].
    #[inline]
    fn key_from_dot(&self, query_norm2: f64, j: usize, dot: f64) -> f64 {
        match self.metric {
            FastMetric::Euclidean => (query_norm2 + self.norms2[j].to_f64() - 2.0 * dot).max(0.0),
            FastMetric::Cosine => (1.0 - dot).max(0.0),
        }
    }

    /// The distance a ranking key stands for.
    fn key_to_distance(&self) -> fn(f64) -> f64 {
        match self.metric {
            FastMetric::Euclidean => f64::sqrt,
            FastMetric::Cosine => |d| d,
        }
    }

    fn knn_into(&self, query: &[f64], k: usize) -> Result<Vec<Neighbor>> {
        let q = self.prepare_query(query)?;
        let qn = dot(&q, &q).to_f64();
        let mut best = TopK::new(k);
        for (j, row) in self.data.chunks_exact(self.m).enumerate() {
            best.push(self.key_from_dot(qn, j, dot(&q, row).to_f64()), j);
        }
        Ok(best.into_sorted(self.key_to_distance()))
    }

    /// The `k` nearest library spectra under any distance `f(query, row)` (row as
    /// stored), closest first.
    ///
    /// # Errors
    /// As [`KnnIndex::knn`], and the first error `f` returns.
    pub fn knn_with(
        &self,
        query: &[f64],
        k: usize,
        mut f: impl FnMut(&[f64], &[T]) -> Result<f64>,
    ) -> Result<Vec<Neighbor>> {
        self.check_query(query, k)?;
        let mut best = TopK::new(k);
        for (i, row) in self.data.chunks_exact(self.m).enumerate() {
            best.push(f(query, row)?, i);
        }
        Ok(best.into_sorted(|d| d))
    }

    /// [`KnnIndex::knn`] for every query of a row-major batch (`queries.len() / m`
    /// queries). The dot products of a block of queries with the whole library are one
    /// cache-blocked matrix product (faer), so the library is read from memory once per
    /// block rather than once per query; with the `rayon` feature the product uses all
    /// threads. Distances and neighbours equal those of [`KnnIndex::knn`] up to the
    /// rounding of the summation order.
    ///
    /// # Errors
    /// As [`KnnIndex::knn`], for the first failing query.
    pub fn knn_batch(&self, queries: &[f64], k: usize) -> Result<Vec<Vec<Neighbor>>> {
        if !queries.len().is_multiple_of(self.m) {
            return Err(Error::data(
                "queries",
                format!(
                    "{} values do not form rows of {} points",
                    queries.len(),
                    self.m
                ),
            ));
        }
        let mut prepared: Vec<T> = Vec::with_capacity(queries.len());
        let mut qn = Vec::with_capacity(queries.len() / self.m);
        for q in queries.chunks_exact(self.m) {
            self.check_query(q, k)?;
            let row = self.prepare_query(q)?;
            qn.push(dot(&row, &row).to_f64());
            prepared.extend(row);
        }
        let nq = qn.len();
        // Blocks of queries whose distance matrix stays within ~64 MB.
        let block = (8_000_000 / self.n).clamp(1, nq.max(1));
        let par = if cfg!(feature = "rayon") {
            Par::rayon(0)
        } else {
            Par::Seq
        };
        let mut out = Vec::with_capacity(nq);
        let mut d = vec![T::ZERO; block * self.n];
        for start in (0..nq).step_by(block) {
            let b = block.min(nq - start);
            let dots = &mut d[..b * self.n];
            T::dots(
                &prepared[start * self.m..(start + b) * self.m],
                &self.data,
                b,
                self.n,
                self.m,
                dots,
                par,
            );
            // Walk the product column by column (contiguous), one selection per query.
            let mut best: Vec<TopK> = (0..b).map(|_| TopK::new(k)).collect();
            for (j, column) in dots.chunks_exact(b).enumerate() {
                for ((sel, &d), &n2) in best.iter_mut().zip(column).zip(&qn[start..start + b]) {
                    sel.push(self.key_from_dot(n2, j, d.to_f64()), j);
                }
            }
            out.extend(
                best.into_iter()
                    .map(|sel| sel.into_sorted(self.key_to_distance())),
            );
        }
        Ok(out)
    }
}

/// Order by distance, then by index (total, so NaN-free inputs give a unique order).
fn by_distance(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Running selection of the `k` smallest `(key, index)` pairs: a candidate costs one
/// comparison with the current k-th best unless it enters the set (then a linear scan
/// of the k kept, cheap for the small k of neighbour searches).
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    kept: Vec<(f64, usize)>,
    worst: usize,
}

impl TopK {
    /// An empty selection of at most `k` entries.
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            kept: Vec::with_capacity(k),
            worst: 0,
        }
    }

    /// Offers a candidate.
    #[inline]
    pub fn push(&mut self, key: f64, index: usize) {
        if self.kept.len() < self.k {
            self.kept.push((key, index));
            if self.kept.len() == self.k {
                self.find_worst();
            }
        } else if by_distance(&(key, index), &self.kept[self.worst]) == Ordering::Less {
            self.kept[self.worst] = (key, index);
            self.find_worst();
        }
    }

    fn find_worst(&mut self) {
        self.worst = (0..self.kept.len())
            .max_by(|&a, &b| by_distance(&self.kept[a], &self.kept[b]))
            .unwrap_or(0);
    }

    /// The kept entries, closest first, with `transform` applied to the keys (e.g. a
    /// square root when squared distances were compared).
    pub fn into_sorted(mut self, transform: impl Fn(f64) -> f64) -> Vec<Neighbor> {
        self.kept.sort_unstable_by(by_distance);
        self.kept
            .into_iter()
            .map(|(d, index)| Neighbor {
                index,
                distance: transform(d),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random library (LCG), smooth-ish rows.
    fn library(n: usize, m: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n * m)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    fn brute(
        data: &[f64],
        m: usize,
        q: &[f64],
        k: usize,
        f: impl Fn(&[f64], &[f64]) -> f64,
    ) -> Vec<usize> {
        let mut d: Vec<(f64, usize)> = data
            .chunks_exact(m)
            .enumerate()
            .map(|(i, r)| (f(q, r), i))
            .collect();
        d.sort_by(by_distance);
        d.iter().take(k).map(|p| p.1).collect()
    }

    #[test]
    fn euclidean_and_cosine_match_brute_force() {
        let (n, m) = (300, 37);
        let data = library(n, m, 1);
        let queries = library(5, m, 2);
        let euclid = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let cosine = |a: &[f64], b: &[f64]| {
            let na = a.iter().map(|v| v * v).sum::<f64>().sqrt();
            let nb = b.iter().map(|v| v * v).sum::<f64>().sqrt();
            1.0 - a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (na * nb)
        };
        let e = KnnIndex::<f64>::new(&data, m, FastMetric::Euclidean).unwrap();
        let c = KnnIndex::<f64>::new(&data, m, FastMetric::Cosine).unwrap();
        let e32 = KnnIndex::<f32>::new(&data, m, FastMetric::Euclidean).unwrap();
        for q in queries.chunks_exact(m) {
            let got = e.knn(q, 7).unwrap();
            assert_eq!(
                got.iter().map(|x| x.index).collect::<Vec<_>>(),
                brute(&data, m, q, 7, euclid)
            );
            assert!(
                (got[0].distance - euclid(q, &data[got[0].index * m..(got[0].index + 1) * m]))
                    .abs()
                    < 1e-9
            );
            let got = c.knn(q, 7).unwrap();
            assert_eq!(
                got.iter().map(|x| x.index).collect::<Vec<_>>(),
                brute(&data, m, q, 7, cosine)
            );
            // f32 storage: same neighbours on well-separated random data.
            let got32 = e32.knn(q, 3).unwrap();
            assert_eq!(
                got32.iter().map(|x| x.index).collect::<Vec<_>>(),
                brute(&data, m, q, 3, euclid)
            );
        }
        let batch = e.knn_batch(&queries, 4).unwrap();
        for (b, q) in batch.iter().zip(queries.chunks_exact(m)) {
            let single = e.knn(q, 4).unwrap();
            let ids = |v: &[Neighbor]| v.iter().map(|x| x.index).collect::<Vec<_>>();
            assert_eq!(ids(b), ids(&single));
            for (x, y) in b.iter().zip(&single) {
                assert!((x.distance - y.distance).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn a_library_row_is_its_own_nearest_neighbour() {
        let (n, m) = (50, 16);
        let data = library(n, m, 3);
        let e = KnnIndex::<f64>::new(&data, m, FastMetric::Euclidean).unwrap();
        for i in 0..n {
            let nn = e.knn(&data[i * m..(i + 1) * m], 1).unwrap();
            assert_eq!(nn[0].index, i);
            assert!(nn[0].distance < 1e-6);
        }
        let custom = e
            .knn_with(&data[..m], 2, |q, r| {
                Ok(q.iter().zip(r).map(|(a, b)| (a - b).abs()).sum())
            })
            .unwrap();
        assert_eq!(custom[0].index, 0);
    }

    #[test]
    fn bad_input_is_an_error() {
        let data = library(4, 3, 4);
        assert!(KnnIndex::<f64>::new(&data[..10], 3, FastMetric::Euclidean).is_err());
        assert!(KnnIndex::<f64>::new(&[0.0; 6], 3, FastMetric::Cosine).is_err());
        let e = KnnIndex::<f64>::new(&data, 3, FastMetric::Euclidean).unwrap();
        assert!(e.knn(&[1.0, 2.0], 1).is_err());
        assert!(e.knn(&[1.0, f64::NAN, 2.0], 1).is_err());
        assert!(e.knn(&[1.0, 2.0, 3.0], 0).is_err());
        assert_eq!(e.knn(&[1.0, 2.0, 3.0], 10).unwrap().len(), 4);
    }

    #[test]
    fn top_k_keeps_the_smallest_sorted_with_index_tie_break() {
        let mut t = TopK::new(3);
        for (d, i) in [(2.0, 0), (1.0, 3), (1.0, 1), (0.5, 2), (7.0, 4)] {
            t.push(d, i);
        }
        let got = t.into_sorted(|d| d);
        assert_eq!(
            got.iter().map(|n| n.index).collect::<Vec<_>>(),
            vec![2, 1, 3]
        );
        assert_eq!(TopK::new(2).into_sorted(|d| d), Vec::new());
    }
}
