//! [`ReducedIndex`]: exact search that excludes most rows by lower bounds computed in a
//! low-dimensional copy of the library.
//!
//! # Lower bounds
//!
//! *Euclidean and cosine* (cosine is half the squared Euclidean distance of unit rows):
//! a PCA of the stored rows gives the mean `mu` and orthonormal components
//! `u_1 .. u_D` (largest variance first). For a row `x` with `c = x - mu`, scores
//! `z_i = u_i.c` and residual norm `t_d = |c - sum_(i<=d) z_i u_i|`, and the same for
//! the query, the orthogonal split `|q - x|^2 = |P(q - x)|^2 + |r_q - r_x|^2` and the
//! reverse triangle inequality `|r_q - r_x| >= |t_q - t_x|` give, for every `d`,
//!
//! `LB_d^2 = sum_(i<=d) (z_q,i - z_x,i)^2 + (t_q,d - t_x,d)^2 <= |q - x|^2`,
//!
//! the Euclidean distance between the `(d + 1)`-dimensional points `(z_1..z_d, t_d)`.
//!
//! *Wasserstein-1* is the weighted L1 distance `sum_k |v_q,k - v_x,k|` of the rows
//! `v_k = w_k F(E_k)` (weighted CDFs, see [`super::CdfTransform`]). For any partition of
//! the grid into blocks `B`, the triangle inequality gives
//! `LB = sum_B |sum_(k in B) (v_q,k - v_x,k)| <= W1`, the L1 distance between block
//! sums; it is tight wherever `F_q - F_x` keeps its sign within a block, which the
//! CDF differences of spectra do over long stretches.
//!
//! # Search
//!
//! Two stages of bounds: a *coarse* one (`d` components plus the residual, or `d`
//! blocks; stored column by column and computed for every row by one vectorised pass)
//! and a *fine* one (`fine_dims` components plus the residual, or `fine_dims` blocks;
//! stored row by row, computed only for rows the coarse bound keeps). Each query:
//!
//! 1. computes the coarse bound of every row and the minimum of every tile of rows;
//! 2. takes the rows whose coarse bound lies below the `4k`-th smallest tile minimum
//!    (at least one per tile, so at least `4k` rows), ranks them by the fine bound and
//!    computes true distances in that order until the bound exceeds the k-th distance
//!    found: this k-th distance `tau` is an upper bound of the final one, usually close;
//! 3. keeps the rows whose coarse and then fine bounds do not exceed `tau`;
//! 4. computes true distances in increasing order of the fine bound, lowering `tau`,
//!    and stops at the first bound above `tau`.
//!
//! Every row left out has a bound, hence a true distance, above the final `tau`, so the
//! result is exactly that of [`KnnIndex::knn`] (same rows, same order, bit-identical
//! distances from the same kernel). The bounds are computed in `f32`, so each
//! comparison with `tau` carries a margin covering their rounding and that of the
//! distances: a relative `2 (m + 8) u` for a distance accumulated in the storage type
//! (`u` its unit roundoff), `(dims + 8) 2^-23` for the bound, and an absolute
//! `(2^-20 + 2 sqrt((m + D + 8) u_f64))` times the norms of the reduced vectors for the
//! rounded coordinates and residuals. Rounding can cost a few extra distance
//! evaluations, never a neighbour.
//!
//! The number of coarse components `d` trades the cost of the pass over all rows
//! (`n (d + 1)` values) against the rows it lets through; unless fixed in
//! [`ReducedParams`] it is calibrated when the index is built (see
//! [`ReducedParams::coarse_dims`]).
//!
//! [`SearchMode::Approximate`] computes at most a given number of true distances: with
//! a k-d tree ([`ReducedParams::kd_tree`], `kiddo`) it takes the candidates of smallest
//! coarse bound from the tree without any pass over the rows (sublinear, for very large
//! libraries); without, it caps the refinement of the exact procedure.
//!
//! Its per-query set-up (preparing the query, seed tiles, a result vector) suits
//! libraries of thousands of rows or more. `xas-cluster` assigns 10⁸-10⁹ pixels to a
//! few hundred sites and has its own one-stage variant of these bounds (its `search`
//! module), more than six times faster per query at that size.

use std::cell::RefCell;

use pulp::{Arch, Simd, WithSimd};

use super::kernels::{ColumnForm, column_scan, filter_le, l1, sq_l2};
use super::reduction::{Projected, Reduction};
use super::scan::Prepared;
use super::tree::{CoarseTree, TREE_DIMS};
use super::{FastMetric, KnnIndex, Neighbor, Real, TopK};
use crate::error::{Error, Result};

/// Rows of the coarse table are padded to a multiple of this (two of the largest row
/// tiles).
const ROW_PAD: usize = 128;

/// Seed tiles per neighbour (step 2 of the search).
const SEED_TILES_PER_K: usize = 4;

/// Absolute margin of the bound comparisons per unit of reduced norm: covers the `f32`
/// rounding of the stored coordinates (`2^-24` relative) with a wide safety factor.
const ABS_MARGIN: f64 = 1.0 / (1u64 << 20) as f64;

/// Queries whose coarse bounds are computed in one pass over the coarse table.
const BATCH_QUERIES: usize = 8;

/// Coarse components (PCA) or blocks (W1) tried by the calibration.
pub const COARSE_CANDIDATES: [usize; 5] = [4, 6, 8, 12, 16];

/// Library rows used as leave-one-out queries by the calibration.
const CALIBRATION_QUERIES: usize = 64;

/// Neighbours asked for by the calibration queries (one more, the row itself, is
/// found at distance 0).
const CALIBRATION_K: usize = 5;

/// Cost model of the calibration, in CPU cycles measured on x86-64 with AVX-512, for
/// data in the L2 cache and (second value) beyond it: per row and coarse coordinate of
/// the pass over all rows (bounded by cache bandwidth), per row the coarse bound lets
/// through (selection and fine bound, a cache miss on the fine row beyond L2), and per
/// true distance (a cache miss plus `m / 8` per point).
const CYCLES_PER_COORDINATE: (f64, f64) = (0.25, 0.6);
const CYCLES_PER_CANDIDATE: (f64, f64) = (80.0, 250.0);
const CYCLES_PER_REFINED_ROW: f64 = 300.0;
const CYCLES_PER_REFINED_POINT: f64 = 0.125;

/// Bytes of a table that the cost model treats as cache resident (about half of a
/// 2 MB L2 cache).
const CACHE_BYTES: usize = 1 << 20;

/// Parameters of a [`ReducedIndex`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReducedParams {
    /// Components (Euclidean, cosine: the first principal components, plus the
    /// residual norm) or blocks (W1: groups of the fine blocks) of the coarse bound,
    /// computed for every row of every query. `None` (default): chosen among
    /// [`COARSE_CANDIDATES`] when the index is built, by running 64 library rows as
    /// leave-one-out queries (`k = 5`) with each and minimising a cost model of the
    /// work counted (deterministic: counts, not timings). At most `fine_dims`.
    pub coarse_dims: Option<usize>,
    /// Components (plus the residual norm) or blocks of the fine bound, computed for
    /// the rows the coarse bound keeps. Default 32; capped at the number of points.
    pub fine_dims: usize,
    /// Also build a k-d tree (`kiddo`) over the coarse coordinates, used by
    /// [`SearchMode::Approximate`] to find candidates without a pass over all rows.
    /// Needs a coarse size (coordinates, including the PCA residual) of 4-9, 12, 13, 16
    /// or 17. Default false.
    pub kd_tree: bool,
}

impl Default for ReducedParams {
    fn default() -> Self {
        ReducedParams {
            coarse_dims: None,
            fine_dims: 32,
            kd_tree: false,
        }
    }
}

impl ReducedParams {
    /// Checks `fine_dims >= 1` and `1 <= coarse_dims <= fine_dims`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the offending field.
    pub fn validate(&self) -> Result<()> {
        if self.fine_dims == 0 {
            return Err(Error::param("fine_dims", "must be at least 1"));
        }
        match self.coarse_dims {
            Some(0) => Err(Error::param("coarse_dims", "must be at least 1")),
            Some(d) if d > self.fine_dims => Err(Error::param(
                "coarse_dims",
                format!("must not exceed fine_dims = {}, got {d}", self.fine_dims),
            )),
            _ => Ok(()),
        }
    }
}

/// How far a [`ReducedIndex`] search goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SearchMode {
    /// Exact: the same neighbours and distances as [`KnnIndex::knn`].
    #[default]
    Exact,
    /// At most `candidates` true distances (at least `k`), for the rows of smallest
    /// bound (from the k-d tree if the index has one); may miss true neighbours, so
    /// measure the recall on your data.
    Approximate {
        /// Maximum number of true distances per query.
        candidates: usize,
    },
}

/// Work done by one [`ReducedIndex`] search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchStats {
    /// Rows whose coarse bound did not exclude them after the seeds.
    pub coarse_candidates: usize,
    /// Rows whose fine bound did not exclude them either.
    pub fine_candidates: usize,
    /// Rows whose true distance was computed.
    pub refined: usize,
}

/// The coarse coordinates of all rows, column by column.
#[derive(Debug, Clone, PartialEq, Default)]
struct CoarseTable {
    /// Coarse components or blocks.
    components: usize,
    /// Coordinates per row (`components + 1` for PCA).
    dims: usize,
    /// `table[c * stride + j]`; for PCA one more column (`c = dims`) with the squared
    /// norm of the row's coarse vector, for the dot-product form of the scan. Padding
    /// rows have coordinates 0 and norm `+inf` (PCA) or coordinates `+inf` (W1), so
    /// their bounds are `+inf`, never NaN.
    table: Vec<f32>,
}

/// Per-thread work space of the searches (reused between queries).
#[derive(Debug, Default)]
struct Scratch {
    /// Coarse bounds of every row, one vector per query of a block.
    bounds: Vec<Vec<f32>>,
    /// Minimum bound of every tile of rows, one vector per query of a block.
    tile_min: Vec<Vec<f32>>,
    /// Everything else.
    work: Work,
}

/// Candidate lists of one search.
#[derive(Debug, Default)]
struct Work {
    tiles: Vec<(f32, usize)>,
    seed_tiles: Vec<usize>,
    passed: Vec<usize>,
    candidates: Vec<(f32, usize)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A query with its reduced coordinates in the tables' precision.
struct Query<'a, T> {
    q: &'a Prepared<T>,
    /// Coarse coordinates as the scan takes them: `-2 z` (PCA) or `z` (W1).
    coarse: Vec<f32>,
    /// `|z|^2` of the coarse coordinates (PCA).
    coarse_norm2: f32,
    /// The coarse coordinates `z` themselves (for the k-d tree).
    coarse_z: Vec<f32>,
    fine: Vec<f32>,
    /// PCA: residual norm after the fine components.
    tail: f32,
    norm: f64,
}

/// A library prepared for exact search with lower-bound pruning: the rows of a
/// [`KnnIndex`] plus, for every row, coarse and fine reduced coordinates whose
/// distances bound the true distance from below (see the module documentation of
/// [`crate::search`] and the algorithm below).
///
/// Memory: the rows (`n m` values of `T`) plus `n (coarse + fine + 2)` `f32` (plus
/// the k-d tree if asked for). Building costs one pass over the library, for Euclidean
/// and cosine a covariance matrix (`n m^2` flops) and its eigendecomposition (`m^3`),
/// and the calibration (320 searches).
///
/// The pruning works when a few coordinates carry most of the distance: spectra that
/// vary smoothly with a few parameters (simulated libraries) are the favourable case;
/// white noise spread over all points is the unfavourable one. The search stays exact
/// either way and only computes more true distances ([`SearchStats`] tells how many).
///
/// # Algorithm
/// See the documentation of this module's items: the bounds are
/// `LB_d^2 = sum_(i<=d) (z_q,i - z_x,i)^2 + (t_q,d - t_x,d)^2` (PCA scores `z`,
/// residual norms `t`) for Euclidean and cosine, and the L1 distance of energy-block
/// sums of the weighted CDFs for W1; a coarse bound is computed for all rows, a fine
/// one for the rows it keeps, and true distances in increasing order of the fine bound
/// until it exceeds the current k-th distance.
#[derive(Debug, Clone)]
pub struct ReducedIndex<T: Real = f32> {
    exact: KnnIndex<T>,
    reduction: Reduction,
    /// Fine coordinates per row (excluding the residual norm).
    fine_dims: usize,
    /// Rows padded to a multiple of [`ROW_PAD`].
    stride: usize,
    coarse: CoarseTable,
    /// Fine coordinates, row by row: `fine[j * fine_dims + i]`.
    fine: Vec<f32>,
    /// Residual norm after the fine components (PCA; empty for W1).
    fine_tail: Vec<f32>,
    /// Largest reduced norm of a row.
    max_norm: f64,
    /// Absolute margin of the bound comparisons per unit of reduced norm.
    abs_margin: f64,
    tree: Option<CoarseTree>,
}

impl<T: Real> ReducedIndex<T> {
    /// Prepares `data` (`n x m`, row-major) for `metric` with the bounds of `params`.
    ///
    /// # Errors
    /// As [`KnnIndex::new`]; [`Error::InvalidParameter`] from
    /// [`ReducedParams::validate`], or naming `kd_tree` when the coarse size has no
    /// tree; [`Error::InvalidData`] if the eigendecomposition of the covariance fails.
    pub fn new(data: &[f64], m: usize, metric: FastMetric, params: &ReducedParams) -> Result<Self> {
        params.validate()?;
        let exact = KnnIndex::<T>::new(data, m, metric)?;
        let fine_dims = params.fine_dims.min(m);
        let reduction = Reduction::new(&exact, fine_dims)?;
        let n = exact.len();
        let stride = n.div_ceil(ROW_PAD) * ROW_PAD;
        let projected = project_rows(&exact, &reduction);
        let squared = reduction.squared();
        let mut fine = Vec::with_capacity(n * fine_dims);
        let mut fine_tail = Vec::with_capacity(if squared { n } else { 0 });
        let mut max_norm = 0.0f64;
        for p in &projected {
            fine.extend(p.fine.iter().map(|&v| v as f32));
            if squared {
                fine_tail.push(p.tail2.sqrt() as f32);
            }
            max_norm = max_norm.max(p.norm);
        }
        let mut abs_margin = ABS_MARGIN;
        if squared {
            // The residual norms come from |c|^2 - |z|^2 in f64.
            let terms = (m + fine_dims + 8) as f64;
            abs_margin += 2.0 * (terms * f64::EPSILON / 2.0).sqrt();
        }
        let candidates: Vec<usize> = match params.coarse_dims {
            Some(d) => vec![d.min(fine_dims)],
            None => {
                let mut c: Vec<usize> = COARSE_CANDIDATES
                    .iter()
                    .map(|&d| d.min(fine_dims))
                    .collect();
                c.dedup();
                c
            }
        };
        let mut tables: Vec<CoarseTable> = candidates
            .iter()
            .map(|&d| coarse_table(&reduction, &projected, d, stride))
            .collect();
        let mut index = ReducedIndex {
            exact,
            reduction,
            fine_dims,
            stride,
            // Set below; the calibration searches the candidate tables it is given.
            coarse: CoarseTable::default(),
            fine,
            fine_tail,
            max_norm,
            abs_margin,
            tree: None,
        };
        let best = if tables.len() > 1 {
            index.calibrate(&tables)
        } else {
            0
        };
        index.coarse = tables.swap_remove(best);
        if params.kd_tree {
            let dims = index.coarse.dims;
            let points: Vec<f32> = (0..n)
                .flat_map(|j| (0..dims).map(move |c| (c, j)))
                .map(|(c, j)| index.coarse.table[c * stride + j])
                .collect();
            index.tree = Some(CoarseTree::build(&points, dims, squared).ok_or_else(|| {
                Error::param(
                    "kd_tree",
                    format!(
                        "no k-d tree for {dims} coarse coordinates (supported: {TREE_DIMS:?}); \
                         set coarse_dims accordingly"
                    ),
                )
            })?);
        }
        Ok(index)
    }

    /// The exact index holding the rows.
    pub fn exact(&self) -> &KnnIndex<T> {
        &self.exact
    }

    /// Number of spectra.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// True when the library holds no spectra (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Coarse components (PCA, not counting the residual norm) or blocks (W1) in use,
    /// as given or as calibrated.
    pub fn coarse_dims(&self) -> usize {
        self.coarse.components
    }

    /// Fine components (PCA, not counting the residual norm) or blocks (W1).
    pub fn fine_dims(&self) -> usize {
        self.fine_dims
    }

    /// True when the index has a k-d tree for approximate search.
    pub fn has_kd_tree(&self) -> bool {
        self.tree.is_some()
    }

    /// For Euclidean and cosine: the fractions of the library's total variance (sum of
    /// the covariance eigenvalues) captured by the coarse and by the fine components;
    /// `None` for W1.
    pub fn explained_variance(&self) -> Option<(f64, f64)> {
        Some((
            self.reduction.explained(self.coarse.components)?,
            self.reduction.explained(self.fine_dims)?,
        ))
    }

    /// The `k` nearest library spectra to `query`, exactly as [`KnnIndex::knn`] finds
    /// them (same rows, same order, same distances).
    ///
    /// # Errors
    /// As [`KnnIndex::knn`].
    pub fn knn(&self, query: &[f64], k: usize) -> Result<Vec<Neighbor>> {
        Ok(self.search(query, k, SearchMode::Exact)?.0)
    }

    /// The `k` nearest library spectra to `query` in `mode`, with the work done.
    ///
    /// # Errors
    /// As [`KnnIndex::knn`].
    pub fn search(
        &self,
        query: &[f64],
        k: usize,
        mode: SearchMode,
    ) -> Result<(Vec<Neighbor>, SearchStats)> {
        self.exact.check_query(query, k)?;
        let q = self.exact.prepare(query)?;
        let (best, stats) = self
            .search_block(&self.coarse, std::slice::from_ref(&q), k, mode)
            .pop()
            .unwrap_or_else(|| (TopK::new(k), SearchStats::default()));
        Ok((best.into_sorted(self.exact.key_to_distance()), stats))
    }

    /// [`ReducedIndex::search`] for every query of a row-major batch, with results
    /// identical to searching one by one. Blocks of 8 queries share one pass over the
    /// coarse table; blocks run in parallel with the `rayon` feature.
    ///
    /// # Errors
    /// As [`KnnIndex::knn_batch`].
    pub fn knn_batch(
        &self,
        queries: &[f64],
        k: usize,
        mode: SearchMode,
    ) -> Result<Vec<Vec<Neighbor>>> {
        let prepared = self.exact.prepare_batch(queries, k)?;
        let to_distance = self.exact.key_to_distance();
        let run = |block: &[Prepared<T>]| {
            self.search_block(&self.coarse, block, k, mode)
                .into_iter()
                .map(|(best, _)| best.into_sorted(to_distance))
                .collect::<Vec<_>>()
        };
        #[cfg(feature = "rayon")]
        let blocks: Vec<Vec<Vec<Neighbor>>> = {
            use rayon::prelude::*;
            prepared.par_chunks(BATCH_QUERIES).map(run).collect()
        };
        #[cfg(not(feature = "rayon"))]
        let blocks: Vec<Vec<Vec<Neighbor>>> = prepared.chunks(BATCH_QUERIES).map(run).collect();
        Ok(blocks.into_iter().flatten().collect())
    }

    /// Picks the coarse table of least modelled cost for leave-one-out queries.
    fn calibrate(&self, tables: &[CoarseTable]) -> usize {
        let n = self.len();
        let m = self.exact.points();
        let empty = |j: usize| self.exact.w1().is_some_and(|w| w.empty[j]);
        let rows: Vec<usize> = (0..CALIBRATION_QUERIES.min(n))
            .map(|i| i * n / CALIBRATION_QUERIES.min(n))
            .filter(|&j| !empty(j))
            .collect();
        if rows.is_empty() {
            return 0;
        }
        let queries: Vec<Prepared<T>> = rows
            .iter()
            .map(|&j| Prepared {
                row: self.exact.row(j).to_vec(),
                empty: false,
            })
            .collect();
        let k = (CALIBRATION_K + 1).min(n);
        let in_cache = |bytes: usize, (near, far): (f64, f64)| {
            if bytes <= CACHE_BYTES { near } else { far }
        };
        let per_candidate = in_cache(n * self.fine_dims * 4, CYCLES_PER_CANDIDATE);
        let cost = |table: &CoarseTable| {
            let results = self.search_block(table, &queries, k, SearchMode::Exact);
            let count = results.len().max(1) as f64;
            let candidates: usize = results.iter().map(|r| r.1.coarse_candidates).sum();
            let refined: usize = results.iter().map(|r| r.1.refined).sum();
            let per_coordinate = in_cache(n * (table.dims + 2) * 4, CYCLES_PER_COORDINATE);
            n as f64 * table.dims as f64 * per_coordinate
                + candidates as f64 / count * per_candidate
                + refined as f64 / count
                    * (CYCLES_PER_REFINED_ROW + m as f64 * CYCLES_PER_REFINED_POINT)
        };
        let costs: Vec<f64> = tables.iter().map(cost).collect();
        (0..tables.len())
            .min_by(|&a, &b| costs[a].total_cmp(&costs[b]).then(a.cmp(&b)))
            .unwrap_or(0)
    }

    /// Searches a block of queries against `coarse` with the thread's scratch space.
    fn search_block(
        &self,
        coarse: &CoarseTable,
        block: &[Prepared<T>],
        k: usize,
        mode: SearchMode,
    ) -> Vec<(TopK, SearchStats)> {
        struct Search<'a, T: Real> {
            index: &'a ReducedIndex<T>,
            coarse: &'a CoarseTable,
            block: &'a [Prepared<T>],
            k: usize,
            mode: SearchMode,
            scratch: &'a mut Scratch,
        }
        impl<T: Real> WithSimd for Search<'_, T> {
            type Output = Vec<(TopK, SearchStats)>;
            #[inline(always)]
            fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
                self.index.search_simd(
                    simd,
                    self.coarse,
                    self.block,
                    self.k,
                    self.mode,
                    self.scratch,
                )
            }
        }
        SCRATCH.with(|cell| {
            let mut borrowed = cell.try_borrow_mut();
            // Re-entered on this thread (not done by this crate): use fresh space.
            let mut fresh = Scratch::default();
            let scratch = match &mut borrowed {
                Ok(scratch) => &mut **scratch,
                Err(_) => &mut fresh,
            };
            Arch::new().dispatch(Search {
                index: self,
                coarse,
                block,
                k,
                mode,
                scratch,
            })
        })
    }

    /// A prepared query in reduced coordinates.
    fn query<'a>(&self, coarse: &CoarseTable, q: &'a Prepared<T>, p: Projected) -> Query<'a, T> {
        let z = self.reduction.coarse(&p, coarse.components);
        let squared = self.reduction.squared();
        let coarse_norm2 = if squared {
            z.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() as f32
        } else {
            0.0
        };
        Query {
            q,
            coarse: if squared {
                z.iter().map(|&v| -2.0 * v).collect()
            } else {
                z.clone()
            },
            coarse_norm2,
            coarse_z: z,
            fine: p.fine.iter().map(|&v| v as f32).collect(),
            tail: p.tail2.sqrt() as f32,
            norm: p.norm,
        }
    }

    /// The largest bound (in `f32`, of a stage with `dims` coordinates) that can still
    /// belong to a row whose computed key does not exceed `key_limit`.
    fn bound_limit(&self, key_limit: f64, q_norm: f64, dims: usize) -> f32 {
        if key_limit == f64::INFINITY {
            return f32::INFINITY;
        }
        let squared = self.reduction.squared();
        let tau = if squared {
            key_limit.max(0.0).sqrt()
        } else {
            key_limit.max(0.0)
        };
        let gamma = 2.0 * (self.exact.points() + 8) as f64 * T::UNIT_ROUNDOFF;
        let tau = tau * (1.0 + gamma) + self.abs_margin * (q_norm + self.max_norm);
        let rel = 1.0 + (dims + 8) as f64 * f64::from(f32::EPSILON);
        round_up(if squared { tau * tau * rel } else { tau * rel })
    }

    /// [`ReducedIndex::bound_limit`] for the coarse scan, plus (PCA) the rounding of its
    /// dot-product form: `2 (dims + 4) 2^-24 (|z_q| + max |z_x|)^2`.
    fn coarse_limit(&self, key_limit: f64, q_norm: f64, dims: usize) -> f32 {
        let limit = self.bound_limit(key_limit, q_norm, dims);
        if !self.reduction.squared() || !limit.is_finite() {
            return limit;
        }
        let scale = q_norm + self.max_norm;
        let slack = 2.0 * (dims + 4) as f64 * f64::from(f32::EPSILON) / 2.0 * scale * scale;
        round_up(f64::from(limit) + slack)
    }

    /// Fine bound of row `j`.
    #[inline(always)]
    fn fine_bound<S: Simd>(&self, simd: S, zq: &Query<'_, T>, j: usize) -> f32 {
        let row = &self.fine[j * self.fine_dims..(j + 1) * self.fine_dims];
        if self.reduction.squared() {
            let d = zq.tail - self.fine_tail[j];
            sq_l2(simd, &zq.fine, row, f32::INFINITY) + d * d
        } else {
            l1(simd, &zq.fine, row, f32::INFINITY)
        }
    }

    /// Searches a block of prepared queries: one coarse pass for all, then the rest
    /// query by query.
    #[inline(always)]
    fn search_simd<S: Simd>(
        &self,
        simd: S,
        coarse: &CoarseTable,
        block: &[Prepared<T>],
        k: usize,
        mode: SearchMode,
        scratch: &mut Scratch,
    ) -> Vec<(TopK, SearchStats)> {
        let queries: Vec<Query<'_, T>> = self
            .reduction
            .project_block(simd, block)
            .into_iter()
            .zip(block)
            .map(|(p, q)| self.query(coarse, q, p))
            .collect();
        let Scratch {
            bounds,
            tile_min,
            work,
        } = scratch;
        let mut out = Vec::with_capacity(block.len());
        if let (SearchMode::Approximate { candidates }, Some(tree)) = (mode, &self.tree) {
            for zq in &queries {
                out.push(self.tree_search(simd, tree, zq, k, candidates, work));
            }
            return out;
        }
        let tile = 4 * S::F32_LANES;
        let tiles = self.stride / tile;
        bounds.resize_with(block.len(), Vec::new);
        tile_min.resize_with(block.len(), Vec::new);
        for (b, t) in bounds.iter_mut().zip(tile_min.iter_mut()) {
            b.resize(self.stride, 0.0);
            t.resize(tiles, 0.0);
        }
        let coarse_q: Vec<&[f32]> = queries.iter().map(|p| p.coarse.as_slice()).collect();
        let q_norm2: Vec<f32> = queries.iter().map(|p| p.coarse_norm2).collect();
        let form = if self.reduction.squared() {
            ColumnForm::SquaredDot { q_norm2: &q_norm2 }
        } else {
            ColumnForm::L1
        };
        column_scan(
            simd,
            &coarse.table,
            self.stride,
            &coarse_q,
            form,
            &mut bounds[..block.len()],
            &mut tile_min[..block.len()],
        );
        for (i, zq) in queries.iter().enumerate() {
            out.push(self.finish(
                simd,
                coarse,
                zq,
                k,
                mode,
                &mut bounds[i],
                &tile_min[i],
                tile,
                work,
            ));
        }
        out
    }

    /// Approximate search from the k-d tree: the `candidates` rows of smallest coarse
    /// bound, refined in order of their fine bound.
    #[inline(always)]
    fn tree_search<S: Simd>(
        &self,
        simd: S,
        tree: &CoarseTree,
        zq: &Query<'_, T>,
        k: usize,
        candidates: usize,
        work: &mut Work,
    ) -> (TopK, SearchStats) {
        let mut best = TopK::new(k);
        let mut stats = SearchStats::default();
        if zq.q.empty {
            return self.empty_query(simd, zq.q, best);
        }
        let budget = candidates.max(k);
        work.passed.clear();
        tree.nearest(&zq.coarse_z, budget, &mut work.passed);
        stats.coarse_candidates = work.passed.len();
        work.candidates.clear();
        for &j in &work.passed {
            work.candidates.push((self.fine_bound(simd, zq, j), j));
        }
        stats.fine_candidates = work.candidates.len();
        work.candidates.sort_unstable_by(by_bound);
        self.refine_in_order(simd, zq, &work.candidates, budget, &mut best, &mut stats);
        (best, stats)
    }

    /// W1 of an empty query: 0 to empty rows, the axis span to all others.
    fn empty_query<S: Simd>(
        &self,
        simd: S,
        q: &Prepared<T>,
        mut best: TopK,
    ) -> (TopK, SearchStats) {
        let n = self.len();
        for j in 0..n {
            self.exact.offer(simd, q, j, &mut best);
        }
        let stats = SearchStats {
            refined: n,
            ..SearchStats::default()
        };
        (best, stats)
    }

    /// Everything after the coarse pass: seeds, filters, true distances.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn finish<S: Simd>(
        &self,
        simd: S,
        coarse: &CoarseTable,
        zq: &Query<'_, T>,
        k: usize,
        mode: SearchMode,
        bounds: &mut [f32],
        tile_min: &[f32],
        tile: usize,
        work: &mut Work,
    ) -> (TopK, SearchStats) {
        let n = self.exact.len();
        let mut best = TopK::new(k);
        let mut stats = SearchStats::default();
        if zq.q.empty {
            return self.empty_query(simd, zq.q, best);
        }
        let budget = match mode {
            SearchMode::Exact => usize::MAX,
            SearchMode::Approximate { candidates } => candidates.max(k),
        };
        let Work {
            tiles,
            seed_tiles,
            passed,
            candidates,
        } = work;

        // Seeds: the rows below the largest minimum of the most promising tiles,
        // refined in order of their fine bound.
        tiles.clear();
        tiles.extend(tile_min.iter().copied().zip(0..));
        let n_tiles = (SEED_TILES_PER_K * k).clamp(1, tiles.len().max(1));
        if n_tiles < tiles.len() {
            tiles.select_nth_unstable_by(n_tiles - 1, by_bound);
        }
        let theta = tiles[..n_tiles.min(tiles.len())]
            .iter()
            .fold(f32::NEG_INFINITY, |m, t| m.max(t.0));
        seed_tiles.clear();
        seed_tiles.extend(tiles[..n_tiles.min(tiles.len())].iter().map(|t| t.1));
        seed_tiles.sort_unstable();
        passed.clear();
        filter_le(
            simd,
            bounds,
            tile_min,
            seed_tiles.iter().copied(),
            tile,
            n,
            theta,
            passed,
        );
        candidates.clear();
        for &j in passed.iter() {
            candidates.push((self.fine_bound(simd, zq, j), j));
        }
        candidates.sort_unstable_by(by_bound);
        let (done, _) = self.refine_in_order(simd, zq, candidates, budget, &mut best, &mut stats);
        for &(_, j) in &candidates[..done] {
            bounds[j] = f32::NAN; // refined: no comparison with NaN is true
        }
        if stats.refined >= budget {
            return (best, stats);
        }

        // Filter by both bounds against the k-th distance found so far.
        let coarse_limit = self.coarse_limit(best.limit(), zq.norm, coarse.dims);
        let fine_limit = self.bound_limit(best.limit(), zq.norm, self.fine_dims + 1);
        passed.clear();
        filter_le(
            simd,
            bounds,
            tile_min,
            0..tile_min.len(),
            tile,
            n,
            coarse_limit,
            passed,
        );
        stats.coarse_candidates = passed.len();
        candidates.clear();
        for &j in passed.iter() {
            let b = self.fine_bound(simd, zq, j);
            if b <= fine_limit {
                candidates.push((b, j));
            }
        }
        stats.fine_candidates = candidates.len();

        // True distances in increasing order of the bound; a long list is first cut to
        // its k smallest bounds, whose distances usually lower the limit enough to drop
        // most of the rest without sorting it.
        let mut rest: &mut [(f32, usize)] = candidates;
        if rest.len() > 4 * k {
            rest.select_nth_unstable_by(k, by_bound);
            let (head, tail) = rest.split_at_mut(k);
            head.sort_unstable_by(by_bound);
            let (_, complete) = self.refine_in_order(simd, zq, head, budget, &mut best, &mut stats);
            if !complete {
                return (best, stats);
            }
            let limit = self.bound_limit(best.limit(), zq.norm, self.fine_dims + 1);
            let mut kept = 0;
            for i in 0..tail.len() {
                if tail[i].0 <= limit {
                    tail.swap(kept, i);
                    kept += 1;
                }
            }
            rest = &mut tail[..kept];
        }
        rest.sort_unstable_by(by_bound);
        self.refine_in_order(simd, zq, rest, budget, &mut best, &mut stats);
        (best, stats)
    }

    /// Refines `list` (sorted by fine bound) until a bound exceeds the current limit or
    /// the budget is spent. Returns how many entries were refined, and false if it
    /// stopped on the budget.
    #[inline(always)]
    fn refine_in_order<S: Simd>(
        &self,
        simd: S,
        zq: &Query<'_, T>,
        list: &[(f32, usize)],
        budget: usize,
        best: &mut TopK,
        stats: &mut SearchStats,
    ) -> (usize, bool) {
        let mut key_limit = best.limit();
        let mut limit = self.bound_limit(key_limit, zq.norm, self.fine_dims + 1);
        for (i, &(b, j)) in list.iter().enumerate() {
            if b > limit {
                return (i, true);
            }
            if stats.refined >= budget {
                return (i, false);
            }
            self.exact.offer(simd, zq.q, j, best);
            stats.refined += 1;
            if best.limit() != key_limit {
                key_limit = best.limit();
                limit = self.bound_limit(key_limit, zq.norm, self.fine_dims + 1);
            }
        }
        (list.len(), true)
    }
}

/// The smallest `f32` not below `v`.
fn round_up(v: f64) -> f32 {
    let rounded = v as f32;
    if f64::from(rounded) < v {
        rounded.next_up()
    } else {
        rounded
    }
}

/// Order of candidates: bound, then row.
fn by_bound(a: &(f32, usize), b: &(f32, usize)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Reduced coordinates of every library row (in parallel with `rayon`; each row on its
/// own, so the result does not depend on the thread count).
fn project_rows<T: Real>(exact: &KnnIndex<T>, reduction: &Reduction) -> Vec<Projected> {
    struct Rows<'a, T: Real> {
        exact: &'a KnnIndex<T>,
        reduction: &'a Reduction,
        rows: std::ops::Range<usize>,
    }
    impl<T: Real> WithSimd for Rows<'_, T> {
        type Output = Vec<Projected>;
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) -> Vec<Projected> {
            let mut out = Vec::with_capacity(self.rows.len());
            for j in self.rows {
                let q = Prepared {
                    row: self.exact.row(j).to_vec(),
                    empty: false,
                };
                out.push(self.reduction.project(simd, &q));
            }
            out
        }
    }
    let n = exact.len();
    let chunk = 1024;
    let run = |start: usize| {
        Arch::new().dispatch(Rows {
            exact,
            reduction,
            rows: start..(start + chunk).min(n),
        })
    };
    let starts: Vec<usize> = (0..n).step_by(chunk).collect();
    #[cfg(feature = "rayon")]
    let parts: Vec<Vec<Projected>> = {
        use rayon::prelude::*;
        starts.par_iter().map(|&s| run(s)).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let parts: Vec<Vec<Projected>> = starts.iter().map(|&s| run(s)).collect();
    parts.into_iter().flatten().collect()
}

/// The coarse table for `components` coarse components or blocks.
fn coarse_table(
    reduction: &Reduction,
    projected: &[Projected],
    components: usize,
    stride: usize,
) -> CoarseTable {
    let dims = reduction.coarse_len(components);
    let squared = reduction.squared();
    let columns = if squared { dims + 1 } else { dims };
    let pad = if squared { 0.0 } else { f32::INFINITY };
    let mut table = vec![pad; columns * stride];
    if squared {
        table[dims * stride..].fill(f32::INFINITY);
    }
    for (j, p) in projected.iter().enumerate() {
        let z = reduction.coarse(p, components);
        for (c, &v) in z.iter().enumerate() {
            table[c * stride + j] = v;
        }
        if squared {
            table[dims * stride + j] =
                z.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() as f32;
        }
    }
    CoarseTable {
        components,
        dims,
        table,
    }
}
