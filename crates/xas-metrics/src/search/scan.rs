//! [`KnnIndex`]: exact search by a vectorised scan of the whole library.

use pulp::{Arch, Simd, WithSimd};

use super::kernels::{sq_l2, weighted_l1};
use super::{CdfTransform, FastMetric, Neighbor, Real, TopK};
use crate::error::{Error, Result};

/// Bytes of library rows scanned by one block of queries before moving on (a quarter
/// of a 2 MB L2 cache, so the rows stay cached while every query of the block reads
/// them).
const BATCH_CHUNK_BYTES: usize = 512 * 1024;

/// Queries sharing one pass over the library in [`KnnIndex::knn_batch`].
const BATCH_QUERIES: usize = 8;

/// The W1 part of an index: weights and empty rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct W1Rows<T> {
    pub(crate) transform: CdfTransform,
    /// Trapezoid weights in the storage type.
    pub(crate) weights: Vec<T>,
    /// Rows without positive area (stored as zeros).
    pub(crate) empty: Vec<bool>,
}

/// A query converted like the library rows.
#[derive(Debug, Clone)]
pub(crate) struct Prepared<T> {
    /// The query as stored rows are (converted; unit-normalised for cosine; the CDF
    /// for W1, zeros when empty).
    pub(crate) row: Vec<T>,
    /// W1 only: the query has no positive area.
    pub(crate) empty: bool,
}

/// A library of `n` spectra of `m` points, prepared for fast exact search by a full
/// scan.
///
/// Rows are stored contiguously in the element type `T` (`f32` halves the memory
/// traffic of a scan; distances are then accurate to about `1e-7` relative): raw for
/// Euclidean, unit-normalised for cosine, as CDFs ([`CdfTransform::cdf`]) for
/// Wasserstein-1. A query is converted the same way once, then compared with every row
/// by one vectorised sum that stops as soon as its partial value exceeds the current
/// k-th best ("early abandon"; exact, because the summed terms are non-negative).
#[derive(Debug, Clone, PartialEq)]
pub struct KnnIndex<T: Real = f64> {
    n: usize,
    m: usize,
    metric: FastMetric,
    /// Row-major prepared rows.
    data: Vec<T>,
    /// Present exactly for [`FastMetric::Wasserstein1`].
    w1: Option<W1Rows<T>>,
}

impl<T: Real> KnnIndex<T> {
    /// Prepares `data` (`n x m`, row-major, `f64`) for `metric`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the length is not a positive multiple of `m`, a
    /// value is not finite, (cosine) a row is all zero, or (W1) the energy axis is
    /// invalid or its length is not `m`.
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
        let w1 = match &metric {
            FastMetric::Euclidean => {
                rows.extend(data.iter().map(|&v| T::from_f64(v)));
                None
            }
            FastMetric::Cosine => {
                for (r, row) in data.chunks_exact(m).enumerate() {
                    let scale = unit_scale(row).ok_or_else(|| {
                        Error::data(
                            "library",
                            format!("row {r} is all zero: cosine distance undefined"),
                        )
                    })?;
                    rows.extend(row.iter().map(|v| T::from_f64(v * scale)));
                }
                None
            }
            FastMetric::Wasserstein1 { energy_ev } => {
                let transform = CdfTransform::new(energy_ev)?;
                if energy_ev.len() != m {
                    return Err(Error::data(
                        "energy_ev",
                        format!("has {} points, the library rows {m}", energy_ev.len()),
                    ));
                }
                let mut empty = Vec::with_capacity(n);
                for row in data.chunks_exact(m) {
                    match transform.cdf(row) {
                        Some(cdf) => {
                            rows.extend(cdf.iter().map(|&v| T::from_f64(v)));
                            empty.push(false);
                        }
                        None => {
                            rows.extend(std::iter::repeat_n(T::ZERO, m));
                            empty.push(true);
                        }
                    }
                }
                let weights = transform
                    .weights()
                    .iter()
                    .map(|&w| T::from_f64(w))
                    .collect();
                Some(W1Rows {
                    transform,
                    weights,
                    empty,
                })
            }
        };
        Ok(KnnIndex {
            n,
            m,
            metric,
            data: rows,
            w1,
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

    /// The measure the index is prepared for.
    pub fn metric(&self) -> &FastMetric {
        &self.metric
    }

    /// Row `i` as stored (unit-normalised for cosine, the CDF for W1, all zeros for an
    /// empty W1 row).
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.m..(i + 1) * self.m]
    }

    pub(crate) fn w1(&self) -> Option<&W1Rows<T>> {
        self.w1.as_ref()
    }

    /// The distance a key stands for: `sqrt` (Euclidean), `key / 2` (cosine), the key
    /// itself (W1).
    pub(crate) fn key_to_distance(&self) -> fn(f64) -> f64 {
        match self.metric {
            FastMetric::Euclidean => f64::sqrt,
            FastMetric::Cosine => |d| 0.5 * d,
            FastMetric::Wasserstein1 { .. } => |d| d,
        }
    }

    pub(crate) fn check_query(&self, query: &[f64], k: usize) -> Result<()> {
        if query.len() != self.m {
            return Err(Error::data(
                "query",
                format!("has {} points, the library {}", query.len(), self.m),
            ));
        }
        if let Some(i) = query.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                "query",
                format!("point {i}: value is not finite"),
            ));
        }
        if k == 0 {
            return Err(Error::param("k", "must be at least 1"));
        }
        Ok(())
    }

    /// The query as stored rows are. Expects a checked query.
    pub(crate) fn prepare(&self, query: &[f64]) -> Result<Prepared<T>> {
        match (&self.metric, &self.w1) {
            (_, Some(w1)) => Ok(match w1.transform.cdf(query) {
                Some(cdf) => Prepared {
                    row: cdf.iter().map(|&v| T::from_f64(v)).collect(),
                    empty: false,
                },
                None => Prepared {
                    row: vec![T::ZERO; self.m],
                    empty: true,
                },
            }),
            (FastMetric::Cosine, None) => {
                let scale = unit_scale(query).ok_or_else(|| {
                    Error::data("query", "is all zero: cosine distance undefined")
                })?;
                Ok(Prepared {
                    row: query.iter().map(|v| T::from_f64(v * scale)).collect(),
                    empty: false,
                })
            }
            _ => Ok(Prepared {
                row: query.iter().map(|&v| T::from_f64(v)).collect(),
                empty: false,
            }),
        }
    }

    /// Checks and prepares a row-major batch of queries.
    pub(crate) fn prepare_batch(&self, queries: &[f64], k: usize) -> Result<Vec<Prepared<T>>> {
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
        if k == 0 {
            return Err(Error::param("k", "must be at least 1"));
        }
        queries
            .chunks_exact(self.m)
            .enumerate()
            .map(|(i, q)| {
                self.check_query(q, k)
                    .and_then(|()| self.prepare(q))
                    .map_err(|e| match e {
                        Error::InvalidData { field, message } => {
                            Error::data(format!("queries (row {i}), {field}"), message)
                        }
                        other => other,
                    })
            })
            .collect()
    }

    /// Key of row `j` for a prepared query, or a partial key `> limit` when the sum
    /// was abandoned early: `sum (q_i - x_i)^2` (Euclidean), the same of unit rows
    /// (cosine) or `sum w_i |F_q,i - F_x,i|` (W1); see [`KnnIndex::key_to_distance`].
    #[inline(always)]
    fn row_key<S: Simd>(&self, simd: S, q: &Prepared<T>, j: usize, limit: T) -> T {
        let row = &self.data[j * self.m..(j + 1) * self.m];
        match &self.w1 {
            None => sq_l2(simd, &q.row, row, limit),
            Some(w1) => match (q.empty, w1.empty[j]) {
                (false, false) => weighted_l1(simd, &q.row, row, &w1.weights, limit),
                (true, true) => T::ZERO,
                _ => T::from_f64(w1.transform.empty_distance()),
            },
        }
    }

    /// Computes the key of row `j` with the current k-th best of `best` as its limit,
    /// and offers it. Every search path (scan, batch, reduced) offers rows through
    /// here, so their keys are bit-identical.
    #[inline(always)]
    pub(crate) fn offer<S: Simd>(&self, simd: S, q: &Prepared<T>, j: usize, best: &mut TopK) {
        let limit = best.limit();
        let key = self.row_key(simd, q, j, T::from_f64(limit)).to_f64();
        if key <= limit {
            best.push(key, j);
        }
    }

    /// Offers rows `rows` to `best`.
    #[inline(always)]
    fn scan_rows<S: Simd>(
        &self,
        simd: S,
        q: &Prepared<T>,
        rows: std::ops::Range<usize>,
        best: &mut TopK,
    ) {
        for j in rows {
            self.offer(simd, q, j, best);
        }
    }

    /// The `k` nearest library spectra to `query` under the index's metric, closest
    /// first (ties by row index). With `k > len()` all rows are returned.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a query of the wrong length, with non-finite values,
    /// or (cosine) all zero; [`Error::InvalidParameter`] for `k = 0`.
    pub fn knn(&self, query: &[f64], k: usize) -> Result<Vec<Neighbor>> {
        self.check_query(query, k)?;
        let q = self.prepare(query)?;
        Ok(self.scan_one(&q, k).into_sorted(self.key_to_distance()))
    }

    fn scan_one(&self, q: &Prepared<T>, k: usize) -> TopK {
        struct One<'a, T: Real> {
            index: &'a KnnIndex<T>,
            q: &'a Prepared<T>,
            k: usize,
        }
        impl<T: Real> WithSimd for One<'_, T> {
            type Output = TopK;
            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) -> TopK {
                let mut best = TopK::new(self.k);
                self.index
                    .scan_rows(simd, self.q, 0..self.index.n, &mut best);
                best
            }
        }
        Arch::new().dispatch(One { index: self, q, k })
    }

    /// The `k` nearest library spectra under any distance `f(query, row)` (row as
    /// stored, see [`KnnIndex::row`]), closest first. A plain serial loop: one call of
    /// `f` per row.
    ///
    /// # Errors
    /// As [`KnnIndex::knn`] (except the cosine zero check), and the first error `f`
    /// returns.
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
    /// queries), with results identical to calling `knn` on each.
    ///
    /// Blocks of 8 queries walk the library together in chunks of rows that fit in the
    /// L2 cache (about 512 kB), so each row is read from memory once per block rather
    /// than once per query; blocks run in parallel with the `rayon` feature. Every
    /// query still sees the rows in order with the same kernel as `knn`.
    ///
    /// # Errors
    /// As [`KnnIndex::knn`], naming the first failing query's row.
    pub fn knn_batch(&self, queries: &[f64], k: usize) -> Result<Vec<Vec<Neighbor>>> {
        let prepared = self.prepare_batch(queries, k)?;
        let blocks: Vec<&[Prepared<T>]> = prepared.chunks(BATCH_QUERIES).collect();
        let run = |block: &&[Prepared<T>]| self.scan_block(block, k);
        #[cfg(feature = "rayon")]
        let results: Vec<Vec<TopK>> = {
            use rayon::prelude::*;
            blocks.par_iter().map(run).collect()
        };
        #[cfg(not(feature = "rayon"))]
        let results: Vec<Vec<TopK>> = blocks.iter().map(run).collect();
        let to_distance = self.key_to_distance();
        Ok(results
            .into_iter()
            .flatten()
            .map(|best| best.into_sorted(to_distance))
            .collect())
    }

    fn scan_block(&self, block: &[Prepared<T>], k: usize) -> Vec<TopK> {
        struct Block<'a, T: Real> {
            index: &'a KnnIndex<T>,
            queries: &'a [Prepared<T>],
            k: usize,
        }
        impl<T: Real> WithSimd for Block<'_, T> {
            type Output = Vec<TopK>;
            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) -> Vec<TopK> {
                let index = self.index;
                let row_bytes = index.m * std::mem::size_of::<T>();
                let chunk = (BATCH_CHUNK_BYTES / row_bytes.max(1)).max(1);
                let mut best: Vec<TopK> = self.queries.iter().map(|_| TopK::new(self.k)).collect();
                for start in (0..index.n).step_by(chunk) {
                    let rows = start..(start + chunk).min(index.n);
                    for (q, b) in self.queries.iter().zip(best.iter_mut()) {
                        index.scan_rows(simd, q, rows.clone(), b);
                    }
                }
                best
            }
        }
        Arch::new().dispatch(Block {
            index: self,
            queries: block,
            k,
        })
    }
}

/// `1 / |v|`, or `None` for a zero vector.
fn unit_scale(v: &[f64]) -> Option<f64> {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    (norm > 0.0 && norm.is_finite()).then(|| 1.0 / norm)
}
