//! Exact k-nearest-neighbour search of query spectra against a library.
//!
//! Three measures have fast paths ([`FastMetric`]); each is reduced to a plain sum over
//! the points of a transformed row, so one inner loop serves all of them:
//!
//! * Euclidean: `d(q, x) = sqrt(sum_i (q_i - x_i)^2)`;
//! * cosine: rows and queries are stored unit-normalised (`x^ = x / |x|`), and
//!   `1 - q^.x^ = |q^ - x^|^2 / 2`, so the cosine distance is half a squared
//!   Euclidean distance;
//! * Wasserstein-1 along energy, exactly as [`crate::measures::wasserstein1`] defines it:
//!   with the clipped, unit-area trapezoid CDFs `F` of the spectra and the trapezoid
//!   weights `w_k` of the grid, `W1 = sum_k w_k |F_q(E_k) - F_x(E_k)|` (in eV), a
//!   weighted L1 distance between precomputed CDF rows ([`CdfTransform`]).
//!
//! Two indexes:
//!
//! * [`KnnIndex`]: the whole library in one contiguous row-major matrix (`f64`, or
//!   `f32` for half the memory traffic), scanned by vectorised loops (AVX-512, AVX2 or
//!   scalar, chosen at run time) that abandon a row as soon as its partial sum exceeds
//!   the current k-th best; batches are scanned in cache-sized blocks of rows shared by
//!   several queries, in parallel over queries with the `rayon` feature.
//! * [`ReducedIndex`]: the same rows plus a low-dimensional copy of the library (PCA
//!   coordinates with the residual norm for Euclidean and cosine, energy-block sums of
//!   the weighted CDFs for W1) whose distances are lower bounds of the true ones, so
//!   most rows are excluded without reading them. The search is exact (equal to
//!   [`KnnIndex`]'s answer, bit for bit) unless an approximate mode is asked for; the
//!   size of the first stage is calibrated on the library when the index is built,
//!   and an optional k-d tree (`kiddo`) serves approximate search of very large
//!   libraries without a pass over all rows.
//!
//! Which to use: [`ReducedIndex`] whenever the library is searched more than a few
//! times (building it costs about one pass of PCA over the library); [`KnnIndex`] for
//! one-off searches, for any other measure ([`KnnIndex::knn_with`]) and as the
//! reference. Single queries run on the calling thread; batches
//! ([`KnnIndex::knn_batch`], [`ReducedIndex::knn_batch`]) use all threads with the
//! `rayon` feature and return exactly what the single-query calls return.
//!
//! The top k are kept by a running selection ([`TopK`]): one comparison per candidate,
//! no allocation per pair; ties are broken by the lower row index, so every path
//! returns the same neighbours in the same order.

mod kernels;
mod reduced;
mod reduction;
mod scan;
mod tree;
mod wasserstein;

use std::cmp::Ordering;

pub use reduced::{COARSE_CANDIDATES, ReducedIndex, ReducedParams, SearchMode, SearchStats};
pub use scan::KnnIndex;
pub use wasserstein::CdfTransform;

use crate::measures::Metric;

/// Floating-point element type of a library: `f64`, or `f32` for half the memory
/// traffic (distances are accumulated in the same type and reported as `f64`).
///
/// Implemented for `f32` and `f64` only (the trait is sealed: its vector kernels are
/// private to this crate).
pub trait Real:
    kernels::Kernels
    + Copy
    + Send
    + Sync
    + PartialOrd
    + std::fmt::Debug
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + 'static
{
    /// Zero.
    const ZERO: Self;
    /// Unit roundoff `u` of the type (`2^-24` for `f32`, `2^-53` for `f64`): the
    /// largest relative error of one rounded operation, used to bound the rounding
    /// error of a distance computed in this type.
    const UNIT_ROUNDOFF: f64;
    /// Conversion from `f64` (rounding to nearest for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Conversion to `f64` (exact).
    fn to_f64(self) -> f64;
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const UNIT_ROUNDOFF: f64 = f32::EPSILON as f64 / 2.0;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
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

/// A measure with a fast path in [`KnnIndex`] and [`ReducedIndex`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FastMetric {
    /// Euclidean distance `|q - x|` of the raw intensities.
    Euclidean,
    /// Cosine distance `1 - q.x / (|q| |x|)`, in `[0, 2]`; zero spectra are rejected.
    Cosine,
    /// Wasserstein-1 distance along the energy axis, in eV, with the convention of
    /// [`crate::measures::wasserstein1`] (negative intensities clipped to 0, unit
    /// trapezoid area; an empty spectrum is at `E_(m-1) - E_0` from a non-empty one and
    /// at 0 from another empty one).
    Wasserstein1 {
        /// The energy axis shared by library and queries, in eV (strictly increasing).
        energy_ev: Vec<f64>,
    },
}

impl FastMetric {
    /// Short name, as [`Metric::name`] spells it.
    pub fn name(&self) -> &'static str {
        self.measure().name()
    }

    /// The measure of [`crate::measures`] this fast path computes.
    pub fn measure(&self) -> Metric {
        match self {
            FastMetric::Euclidean => Metric::Euclidean,
            FastMetric::Cosine => Metric::Cosine,
            FastMetric::Wasserstein1 { .. } => Metric::Wasserstein1,
        }
    }
}

/// Order by distance, then by index (total, so NaN-free inputs give a unique order).
fn by_distance(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Running selection of the `k` smallest `(key, index)` pairs: a candidate costs one
/// comparison with the current k-th best unless it enters the set (then a linear scan
/// of the k kept, cheap for the small k of neighbour searches). Ties are broken by the
/// lower index, so the result does not depend on the order of the offers.
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

    /// The key a candidate must not exceed to enter: the k-th smallest key kept, or
    /// `+inf` while fewer than `k` are kept. (A candidate with exactly this key enters
    /// only if its index is lower than that of the entry it ties with.)
    #[inline]
    pub fn limit(&self) -> f64 {
        if self.k == 0 {
            f64::NEG_INFINITY
        } else if self.kept.len() < self.k {
            f64::INFINITY
        } else {
            self.kept[self.worst].0
        }
    }

    /// Number of entries kept (at most `k`).
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
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

    #[test]
    fn top_k_keeps_the_smallest_sorted_with_index_tie_break() {
        let mut t = TopK::new(3);
        assert_eq!(t.limit(), f64::INFINITY);
        for (d, i) in [(2.0, 0), (1.0, 3), (1.0, 1), (0.5, 2), (7.0, 4)] {
            t.push(d, i);
        }
        assert_eq!(t.limit(), 1.0);
        let got = t.into_sorted(|d| d);
        assert_eq!(
            got.iter().map(|n| n.index).collect::<Vec<_>>(),
            vec![2, 1, 3]
        );
        assert_eq!(TopK::new(2).into_sorted(|d| d), Vec::new());
    }

    /// The vector dot product of the PCA projection, dispatched as the search does.
    fn dot<T: Real>(a: &[T], b: &[T]) -> T {
        struct Dot<'a, T>(&'a [T], &'a [T]);
        impl<T: Real> pulp::WithSimd for Dot<'_, T> {
            type Output = T;
            #[inline(always)]
            fn with_simd<S: pulp::Simd>(self, simd: S) -> T {
                kernels::dot(simd, self.0, self.1)
            }
        }
        pulp::Arch::new().dispatch(Dot(a, b))
    }

    #[test]
    fn vector_dot_matches_scalar() {
        for n in [0, 1, 7, 16, 63, 64, 65, 301] {
            let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - want).abs() < 1e-12);
            let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            assert!((f64::from(dot(&a32, &b32)) - want).abs() < 1e-4);
        }
    }
}
