//! NN-descent (Dong, Moses & Li 2011): an approximate k-nearest-neighbour graph built
//! by repeatedly comparing the neighbours of each point's neighbours, with the practical
//! choices of pynndescent (McInnes), which umap-learn uses above 4096 points.
//!
//! # Algorithm
//!
//! 1. **Initial graph.** For spectra compared by the Euclidean or cosine measure, a
//!    forest of random-projection trees: each node splits its points by the hyperplane
//!    equidistant from two of them chosen at random (for cosine, the same on the unit
//!    vectors, i.e. pynndescent's angular split) until at most `leaf_size` points
//!    remain; all pairs within a leaf are compared. Every other input, and any point
//!    whose neighbour list is still short, gets random neighbours.
//! 2. **Local joins.** Each neighbour entry carries a flag, *new* until it has taken part
//!    in a join. Per iteration, each point `u` samples at most `max_candidates` new and
//!    `max_candidates` old candidates from its neighbours and its reverse neighbours
//!    (points that list `u`), by random priority; the sampled new entries are marked
//!    old. Then every pair (new, new) and (new, old) of `u`'s candidates is compared,
//!    and each point of the pair offered to the other's list.
//! 3. **Stop** after `n_iters` iterations, or when an iteration changed at most
//!    `delta k' n` list entries (pynndescent's test), `k' = k + spare`.
//!
//! Each point keeps a max-heap of its `k'` best `(distance, index)` pairs (the `k`
//! nearest are returned), ordered by distance then index, with no repeated index and
//! never the point itself; duplicated points (distance 0) are ordinary neighbours.
//!
//! For the Euclidean and cosine measures the algorithm compares squared Euclidean
//! distances between single-precision copies of the (unit) rows, as pynndescent does:
//! half the memory traffic, vectorised loops, and an early exit once a partial sum
//! exceeds both lists' worst entries. The distances returned are recomputed in double
//! precision by the measure ([`Dissimilarity::distance`]) and the lists sorted by them.
//! Points are joined in the order of the first tree's leaves, so that consecutive
//! points share candidates in the cache.
//!
//! # Determinism
//!
//! Every random draw comes from a stream seeded by `seed` and its purpose with the tree,
//! the point, or the iteration and the point; never from a generator shared between
//! threads. The joins run in fixed
//! blocks of points: within a block, the candidate pairs are compared in parallel
//! against the lists as they stood at the start of the block, and the resulting offers
//! are then applied to the lists, each list receiving its offers in the order of the
//! points that generated them. The graph, the distances and the number of iterations
//! are therefore the same for any number of threads and without the `rayon` feature.
//!
//! # Cost
//!
//! About `n_trees n leaf_size / 2` distances for the forest plus `2 n_trees n
//! log2(n / leaf_size)` for the splits, and at most `~1.5 c^2` distances per point per
//! iteration, `c` the number of candidates (about `2k`, at most `max_candidates`); in
//! practice three or four iterations reach the `delta` test. Memory is
//! `O(n (k + max_candidates))` plus a single-precision copy of the rows. Measured on 2
//! cores with the benchmark's noisy Mn L2,3 spectra and `k = 14` (umap-learn's 15
//! neighbours): 10,000 x 300 in 0.26 s (recall 0.997), 70,000 x 200 in 2.2 s (recall
//! 0.956), against 0.18 s (0.997) and 1.8 s (0.960) for pynndescent 0.7 with
//! umap-learn's settings after its JIT warm-up (whose first call in a process costs
//! about a minute more).

use std::cmp::Ordering;
use std::ops::{ControlFlow, Range};

#[cfg(feature = "rayon")]
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xas_metrics::measures::Metric;

use super::{KnnGraph, check_k};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::space::{Dissimilarity, Vectors};

/// Parameters of [`nn_descent`]; `None` fields take umap-learn's defaults for the size of
/// the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NnDescentParams {
    /// Seed of the trees, the random neighbours and the candidate sampling (default 42).
    pub seed: u64,
    /// Random-projection trees of the initial graph (Euclidean and cosine spectra
    /// only); default `min(64, 5 + round(sqrt(n) / 20))` as umap-learn. `Some(0)` starts
    /// from random neighbours.
    pub n_trees: Option<usize>,
    /// Largest leaf of a tree; default `max(60, min(256, 5 k'))` with `k'` the length of
    /// the lists searched (`k + spare`), as pynndescent 0.7 builds its initial forest.
    /// At least 2.
    pub leaf_size: Option<usize>,
    /// Most local-join iterations; default `max(5, round(log2 n))` as umap-learn.
    pub n_iters: Option<usize>,
    /// Most new (and, separately, old) candidates sampled per point and iteration;
    /// default 60, as umap-learn passes to pynndescent. At least 1.
    pub max_candidates: usize,
    /// List entries kept beyond the `k` returned while searching (default 1): a point's
    /// `(k + 1)`-th candidate often turns out nearer than one of its first `k` late in the
    /// search. pynndescent keeps `n_neighbors` real neighbours and umap-learn uses
    /// `n_neighbors - 1` of them, so it searches with one spare entry too. On 70,000
    /// noisy spectra of 200 points (`k = 14`, leaves of 75, 60 candidates) recall is
    /// 0.956 with the spare entry and 0.950 without, in the same time (pynndescent:
    /// 0.958). Capped at `n - 1 - k`.
    #[serde(default = "one")]
    pub spare: usize,
    /// Early stop when an iteration changes at most `delta k' n` entries, `k' = k +
    /// spare` (default 0.001);
    /// finite, in `[0, 1]`.
    pub delta: f64,
}

impl Default for NnDescentParams {
    fn default() -> Self {
        NnDescentParams {
            seed: 42,
            n_trees: None,
            leaf_size: None,
            n_iters: None,
            max_candidates: 60,
            delta: 0.001,
            spare: 1,
        }
    }
}

impl NnDescentParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `max_candidates = 0`, a `delta` outside `[0, 1]`
    /// or not finite, or a `leaf_size` below 2.
    pub fn validate(&self) -> Result<()> {
        if self.max_candidates == 0 {
            return Err(Error::param("max_candidates", "must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.delta) {
            return Err(Error::param(
                "delta",
                format!("must be in [0, 1], got {}", self.delta),
            ));
        }
        if let Some(l) = self.leaf_size.filter(|&l| l < 2) {
            return Err(Error::param(
                "leaf_size",
                format!("must be at least 2, got {l}"),
            ));
        }
        Ok(())
    }

    /// Trees used for `n` points: `n_trees`, or `min(64, 5 + round(sqrt(n) / 20))`.
    pub fn trees_for(&self, n: usize) -> usize {
        self.n_trees
            .unwrap_or_else(|| 64.min(5 + ((n as f64).sqrt() / 20.0).round() as usize))
    }

    /// Iterations allowed for `n` points: `n_iters`, or `max(5, round(log2 n))`.
    pub fn iters_for(&self, n: usize) -> usize {
        self.n_iters
            .unwrap_or_else(|| 5.max((n.max(1) as f64).log2().round() as usize))
    }

    /// Largest leaf for lists of `k` entries: `leaf_size`, or `max(60, min(256, 5 k))`.
    pub fn leaf_size_for(&self, k: usize) -> usize {
        self.leaf_size.unwrap_or(60.max(256.min(5 * k)))
    }
}

/// Serde default of [`NnDescentParams::spare`] (models saved before it existed).
fn one() -> usize {
    1
}

/// Approximate kNN graph of `space` by NN-descent (see the [module](self) documentation).
///
/// The neighbours of each point are sorted by distance, ties by index, without the
/// point itself; distances are `space.distance(i, j)`.
///
/// # Errors
/// [`Error::InvalidParameter`] when `k = 0`, `k >= n` or a parameter is out of range
/// ([`NnDescentParams::validate`]); [`Error::InvalidData`] for `2^32 - 1` points or more;
/// [`Error::Numerical`] when a point has fewer than `k` neighbours at a finite distance.
pub fn nn_descent(
    space: Dissimilarity<'_>,
    k: usize,
    params: &NnDescentParams,
) -> Result<KnnGraph> {
    nn_descent_with_progress(space, k, params, |_, _| ControlFlow::Continue(()))
}

/// [`nn_descent`] reporting progress: `progress(done, total)` is called once the initial
/// graph is built (`done = 0`) and after each iteration, `total` being the most
/// iterations allowed (an early stop ends the calls before `done = total`).
///
/// # Errors
/// As [`nn_descent`]; [`Error::Interrupted`] when `progress` returns
/// [`ControlFlow::Break`].
pub fn nn_descent_with_progress(
    space: Dissimilarity<'_>,
    k: usize,
    params: &NnDescentParams,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<KnnGraph> {
    let n = space.len();
    check_k(n, k)?;
    params.validate()?;
    if n >= EMPTY as usize {
        return Err(Error::data(
            "points",
            format!("{n} points; NN-descent handles fewer than {EMPTY}"),
        ));
    }
    let proxy = Proxy::new(space);
    // The lists searched: `k` plus the spare entries there is room for.
    let listed = k + params.spare.min(n - 1 - k);
    let mut heaps = Heaps::new(n, listed);
    let mut visit: Vec<u32> = (0..n as u32).collect();
    if let Some(rows) = proxy.tree_rows() {
        let leaf_size = params.leaf_size_for(listed);
        for (b, trees) in ranges(0..params.trees_for(n), TREE_BATCH)
            .into_iter()
            .enumerate()
        {
            let order = join_trees(&proxy, &mut heaps, rows, trees, leaf_size, params.seed);
            if b == 0 {
                visit = order;
            }
        }
    }
    fill_random(&proxy, &mut heaps, params.seed);
    let total = params.iters_for(n);
    check_progress(progress(0, total))?;
    for iteration in 0..total {
        let candidates = Candidates::sample(&mut heaps, params, iteration);
        let changed = local_join(&proxy, &mut heaps, &candidates, &visit);
        check_progress(progress(iteration + 1, total))?;
        if changed as f64 <= params.delta * (listed * n) as f64 {
            break;
        }
    }
    finish(space, &heaps, &visit, k)
}

/// `Err(Interrupted)` on `Break`.
pub(crate) fn check_progress(flow: ControlFlow<()>) -> Result<()> {
    match flow {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(Error::Interrupted),
    }
}

/// Index of an empty heap slot (its key is `+inf`).
const EMPTY: u32 = u32::MAX;
/// Points per block of the local join (offers are applied between blocks).
const JOIN_BLOCK: usize = 4096;
/// Points (or leaves) per parallel task when generating offers.
const TASK: usize = 64;
/// Rows per parallel task when applying offers.
const APPLY_ROWS: usize = 1024;
/// Trees built at once (their leaves are joined one tree after the other).
const TREE_BATCH: usize = 8;
/// Purpose of a random stream: splits of a tree.
const TAG_TREE: u64 = 1;
/// Purpose of a random stream: random neighbours of a point.
const TAG_FILL: u64 = 2;
/// Purpose of a random stream: candidate priorities of a point in an iteration.
const TAG_SAMPLE: u64 = 3;

/// `items.map(f)` in order, in parallel with the `rayon` feature.
fn par_map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    #[cfg(feature = "rayon")]
    let out = items.into_par_iter().map(f).collect();
    #[cfg(not(feature = "rayon"))]
    let out = items.into_iter().map(f).collect();
    out
}

/// `span` cut into consecutive ranges of `step`.
fn ranges(span: Range<usize>, step: usize) -> Vec<Range<usize>> {
    span.clone()
        .step_by(step)
        .map(|s| s..(s + step).min(span.end))
        .collect()
}

/// How pairs are compared inside the algorithm: a key that orders like the distance.
enum Proxy<'a> {
    /// Squared Euclidean distance between `f32` copies of the rows (as pynndescent,
    /// which works in single precision): the raw spectra (Euclidean measure) or the
    /// unit-normalised ones (cosine: `|a^ - b^|^2 = 2 (1 - cos)`). Half the memory
    /// traffic of `f64`; the final distances are recomputed by the measure.
    Rows(TreeRows),
    /// `space.distance(a, b)` itself.
    Space {
        space: Dissimilarity<'a>,
        symmetric: bool,
    },
}

impl<'a> Proxy<'a> {
    fn new(space: Dissimilarity<'a>) -> Self {
        match space {
            Dissimilarity::Vectors(v) => match v.metric() {
                Metric::Euclidean => Proxy::Rows(TreeRows {
                    rows: v.rows().iter().map(|&x| x as f32).collect(),
                    dim: v.dim(),
                }),
                Metric::Cosine => unit_rows(v).map_or(
                    Proxy::Space {
                        space,
                        symmetric: true,
                    },
                    |rows| Proxy::Rows(TreeRows { rows, dim: v.dim() }),
                ),
                metric => Proxy::Space {
                    space,
                    symmetric: metric.is_symmetric(),
                },
            },
            Dissimilarity::Matrix(d) => Proxy::Space {
                space,
                symmetric: (0..d.len()).all(|i| (0..i).all(|j| d.get(i, j) == d.get(j, i))),
            },
        }
    }

    /// The rows the trees split, when the measure has a tree.
    fn tree_rows(&self) -> Option<&TreeRows> {
        match self {
            Proxy::Rows(rows) => Some(rows),
            Proxy::Space { .. } => None,
        }
    }

    /// The key from `a` to `b`; a value above `limit` may be a partial sum.
    fn key(&self, a: usize, b: usize, limit: f64) -> f64 {
        match self {
            Proxy::Rows(rows) => {
                f64::from(bounded_squared_l2(rows.row(a), rows.row(b), limit as f32))
            }
            Proxy::Space { space, .. } => space.distance(a, b),
        }
    }

    /// Offers `q` to `p`'s list and `p` to `q`'s when the key beats the list's worst.
    fn offer_pair(&self, heaps: &Heaps, p: usize, q: usize, out: &mut Vec<Offer>) {
        let (lp, lq) = (heaps.limit(p), heaps.limit(q));
        let mut offer = |target: usize, other: usize, key: f64, limit: f64| {
            if key <= limit {
                out.push(Offer {
                    target: target as u32,
                    other: other as u32,
                    key,
                });
            }
        };
        if let Proxy::Space {
            symmetric: false, ..
        } = self
        {
            offer(p, q, self.key(p, q, lp), lp);
            offer(q, p, self.key(q, p, lq), lq);
        } else {
            let key = self.key(p, q, lp.max(lq));
            offer(p, q, key, lp);
            offer(q, p, key, lq);
        }
    }
}

/// The spectra of `v` scaled to unit length (in `f32`), or `None` when one is zero.
fn unit_rows(v: &Vectors) -> Option<Vec<f32>> {
    let mut out = Vec::with_capacity(v.rows().len());
    for row in v.rows().chunks_exact(v.dim()) {
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return None;
        }
        out.extend(row.iter().map(|x| (x / norm) as f32));
    }
    Some(out)
}

/// Width of the vectorised loops: 32 running sums of `f32` (four AVX registers, so
/// that the additions of successive coordinates do not wait on each other).
const LANES: usize = 32;

/// The running sums, lane `l` at `[l / 8][l % 8]`: four vectors of eight, the shape
/// of the registers, which keeps the compiler's vectorisation stable.
type Lanes = [[f32; 8]; 4];

/// Adds `(x_l - y_l)^2` to lane `l` (fused multiply-adds: 10 % off the 70,000-point
/// graph of the benchmark, whose time is half in these kernels).
#[inline(always)]
fn add_squared_differences(acc: &mut Lanes, x: &[f32; LANES], y: &[f32; LANES]) {
    for (j, lane) in acc.iter_mut().enumerate() {
        for (k, s) in lane.iter_mut().enumerate() {
            let t = x[8 * j + k] - y[8 * j + k];
            *s = t.mul_add(t, *s);
        }
    }
}

/// Adds `x_l y_l` to lane `l`.
#[inline(always)]
fn add_products(acc: &mut Lanes, x: &[f32; LANES], y: &[f32; LANES]) {
    for (j, lane) in acc.iter_mut().enumerate() {
        for (k, s) in lane.iter_mut().enumerate() {
            *s = x[8 * j + k].mul_add(y[8 * j + k], *s);
        }
    }
}

/// The last, short chunk of a row padded with zeros to [`LANES`] values (zeros add
/// nothing to either sum).
fn padded(tail: &[f32]) -> [f32; LANES] {
    let mut x = [0.0; LANES];
    x[..tail.len()].copy_from_slice(tail);
    x
}

/// The running sums combined pairwise in a fixed order: lane `l` with `l + 16`, then
/// with `l + 8`, `l + 4`, `l + 2` and `l + 1`, in registers.
#[inline(always)]
fn lanes_total(acc: &Lanes) -> f32 {
    let eight: [f32; 8] =
        std::array::from_fn(|k| (acc[0][k] + acc[2][k]) + (acc[1][k] + acc[3][k]));
    let four: [f32; 4] = std::array::from_fn(|k| eight[k] + eight[k + 4]);
    (four[0] + four[2]) + (four[1] + four[3])
}

/// Coordinates between checks of the running sum against the bound.
const BOUND_BLOCK: usize = 128;

/// `sum_i (a_i - b_i)^2`, summed in blocks of [`BOUND_BLOCK`] coordinates, or the first
/// partial sum `> limit`. The full sum does not depend on `limit`.
fn bounded_squared_l2(a: &[f32], b: &[f32], limit: f32) -> f32 {
    let mut sum = 0.0;
    for (x, y) in a.chunks(BOUND_BLOCK).zip(b.chunks(BOUND_BLOCK)) {
        sum += squared_l2(x, y);
        if sum > limit {
            break;
        }
    }
    sum
}

/// `sum_i (a_i - b_i)^2` in [`LANES`] running sums. (Out of line: inlined into its
/// callers, the loop lost its vectorisation.)
#[inline(never)]
fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    lanes_sum(a, b, add_squared_differences)
}

/// `sum_i a_i b_i` in [`LANES`] running sums (out of line, as [`squared_l2`]).
#[inline(never)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanes_sum(a, b, add_products)
}

/// The sum over equally long `a` and `b` of what `add` accumulates chunk by chunk, the
/// short last chunk padded with zeros.
#[inline(always)]
fn lanes_sum(a: &[f32], b: &[f32], add: impl Fn(&mut Lanes, &[f32; LANES], &[f32; LANES])) -> f32 {
    let mut acc = [[0.0; 8]; 4];
    let (ca, ra) = a.as_chunks::<LANES>();
    let (cb, rb) = b.as_chunks::<LANES>();
    for (x, y) in ca.iter().zip(cb) {
        add(&mut acc, x, y);
    }
    if !ra.is_empty() {
        add(&mut acc, &padded(ra), &padded(rb));
    }
    lanes_total(&acc)
}

/// An offer of `other` to the list of `target` at `key`.
#[derive(Debug, Clone, Copy)]
struct Offer {
    target: u32,
    other: u32,
    key: f64,
}

/// The `k` best `(key, index)` of every point: `n` max-heaps of `k` slots, row-major,
/// empty slots holding `(+inf, EMPTY)`.
struct Heaps {
    k: usize,
    index: Vec<u32>,
    key: Vec<f64>,
    new: Vec<bool>,
}

/// Rows `first..` of [`Heaps`], borrowed mutably.
struct HeapRows<'a> {
    first: usize,
    k: usize,
    index: &'a mut [u32],
    key: &'a mut [f64],
    new: &'a mut [bool],
}

impl Heaps {
    fn new(n: usize, k: usize) -> Self {
        Heaps {
            k,
            index: vec![EMPTY; n * k],
            key: vec![f64::INFINITY; n * k],
            new: vec![false; n * k],
        }
    }

    fn len(&self) -> usize {
        self.index.len() / self.k
    }

    /// The worst key of point `i` (`+inf` while a slot is empty).
    fn limit(&self, i: usize) -> f64 {
        self.key[i * self.k]
    }

    /// The rows in consecutive groups of `rows`.
    fn groups(&mut self, rows: usize) -> Vec<HeapRows<'_>> {
        let (k, len) = (self.k, rows * self.k);
        self.index
            .chunks_mut(len)
            .zip(self.key.chunks_mut(len))
            .zip(self.new.chunks_mut(len))
            .enumerate()
            .map(|(g, ((index, key), new))| HeapRows {
                first: g * rows,
                k,
                index,
                key,
                new,
            })
            .collect()
    }
}

impl HeapRows<'_> {
    /// Offers `j` at `key` to point `i`'s heap; true when it entered (it beats the worst
    /// and is not already listed).
    fn push(&mut self, i: usize, j: u32, key: f64) -> bool {
        let s = (i - self.first) * self.k..(i - self.first + 1) * self.k;
        let (index, keys, new) = (
            &mut self.index[s.clone()],
            &mut self.key[s.clone()],
            &mut self.new[s],
        );
        if !before(key, j, keys[0], index[0]) || index.contains(&j) {
            return false;
        }
        let mut pos = 0;
        loop {
            let left = 2 * pos + 1;
            if left >= index.len() {
                break;
            }
            let right = left + 1;
            let child = if right < index.len()
                && before(keys[left], index[left], keys[right], index[right])
            {
                right
            } else {
                left
            };
            if !before(key, j, keys[child], index[child]) {
                break;
            }
            index[pos] = index[child];
            keys[pos] = keys[child];
            new[pos] = new[child];
            pos = child;
        }
        index[pos] = j;
        keys[pos] = key;
        new[pos] = true;
        true
    }

    /// Whether point `i` still has an empty slot (the root then is one).
    fn is_short(&self, i: usize) -> bool {
        self.index[(i - self.first) * self.k] == EMPTY
    }

    fn rows(&self) -> Range<usize> {
        self.first..self.first + self.index.len() / self.k
    }
}

/// `(a, i) < (b, j)`: by key, then by index.
fn before(a: f64, i: u32, b: f64, j: u32) -> bool {
    a.total_cmp(&b).then(i.cmp(&j)).is_lt()
}

/// Applies the offers of each task, in task order, to the heaps; returns how many
/// entered. Offers are bucketed by target rows (a stable counting sort), so each list
/// sees its offers in generation order whatever the number of threads.
fn apply(heaps: &mut Heaps, batches: Vec<Vec<Offer>>) -> usize {
    let groups = heaps.len().div_ceil(APPLY_ROWS);
    let mut start = vec![0usize; groups + 1];
    for o in batches.iter().flatten() {
        start[o.target as usize / APPLY_ROWS + 1] += 1;
    }
    for g in 0..groups {
        start[g + 1] += start[g];
    }
    let mut next = start.clone();
    let mut sorted = vec![
        Offer {
            target: 0,
            other: 0,
            key: 0.0
        };
        start[groups]
    ];
    for o in batches.into_iter().flatten() {
        let g = o.target as usize / APPLY_ROWS;
        sorted[next[g]] = o;
        next[g] += 1;
    }
    let work: Vec<_> = heaps
        .groups(APPLY_ROWS)
        .into_iter()
        .zip(start.windows(2))
        .map(|(rows, w)| (rows, &sorted[w[0]..w[1]]))
        .collect();
    par_map(work, |(mut rows, offers)| {
        offers
            .iter()
            .filter(|o| rows.push(o.target as usize, o.other, o.key))
            .count()
    })
    .into_iter()
    .sum()
}

/// The rows a random-projection tree splits (`n x dim`, row-major, `f32`).
struct TreeRows {
    rows: Vec<f32>,
    dim: usize,
}

impl TreeRows {
    fn row(&self, i: usize) -> &[f32] {
        &self.rows[i * self.dim..(i + 1) * self.dim]
    }

    /// The leaves of tree `t`: a permutation of the points and the ranges of it that
    /// form leaves of at most `leaf_size` points.
    fn tree(
        &self,
        n: usize,
        leaf_size: usize,
        seed: u64,
        t: usize,
    ) -> (Vec<u32>, Vec<Range<usize>>) {
        let mut rng = SplitMix64::stream(seed, &[TAG_TREE, t as u64]);
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut stack: Vec<Range<usize>> = Vec::new();
        stack.push(0..n);
        let mut leaves = Vec::new();
        while let Some(r) = stack.pop() {
            if r.len() <= leaf_size {
                leaves.push(r);
                continue;
            }
            let cut = r.start + self.split(&mut order[r.clone()], &mut rng);
            stack.push(cut..r.end);
            stack.push(r.start..cut);
        }
        (order, leaves)
    }

    /// Partitions `ids` (at least 2) by the hyperplane equidistant from two random
    /// members `a` and `b`: a point goes first when it is nearer to `a`, i.e. when the
    /// margin `(x - (a + b)/2).(a - b)` is positive (for unit rows this is the angular
    /// split `x.(a - b) > 0` up to rounding). Returns the size of the first part, in
    /// `1..len`. Points on the plane go to a random side; when one side is empty
    /// (duplicates) the points are cut in half. The partition is stable: ids that
    /// start in increasing order (the root) stay so in every node, and the rows are
    /// then read in memory order, which the hardware prefetches.
    fn split(&self, ids: &mut [u32], rng: &mut SplitMix64) -> usize {
        let len = ids.len();
        let a = rng.below(len);
        let b = (a + 1 + rng.below(len - 1)) % len;
        let (ra, rb) = (self.row(ids[a] as usize), self.row(ids[b] as usize));
        let normal: Vec<f32> = ra.iter().zip(rb).map(|(x, y)| x - y).collect();
        let middle: Vec<f32> = ra.iter().zip(rb).map(|(x, y)| 0.5 * (x + y)).collect();
        let offset = dot(&normal, &middle);
        let mut right = Vec::with_capacity(len);
        let mut left = 0;
        for t in 0..len {
            let id = ids[t];
            let margin = dot(&normal, self.row(id as usize));
            let goes_left = match margin.partial_cmp(&offset) {
                Some(Ordering::Greater) => true,
                Some(Ordering::Less) => false,
                _ => rng.next_u64() & 1 == 0,
            };
            if goes_left {
                ids[left] = id;
                left += 1;
            } else {
                right.push(id);
            }
        }
        ids[left..].copy_from_slice(&right);
        if left == 0 || left == len {
            len / 2
        } else {
            left
        }
    }
}

/// Builds trees `trees` in parallel, then offers all pairs within each leaf, one tree
/// after the other; returns the point order of the first tree.
fn join_trees(
    proxy: &Proxy<'_>,
    heaps: &mut Heaps,
    rows: &TreeRows,
    trees: Range<usize>,
    leaf_size: usize,
    seed: u64,
) -> Vec<u32> {
    let n = heaps.len();
    let forest = par_map(trees.collect(), |t| rows.tree(n, leaf_size, seed, t));
    for (order, leaves) in &forest {
        let heaps_ref = &*heaps;
        let batches = par_map(ranges(0..leaves.len(), TASK), |task| {
            let mut out = Vec::new();
            for leaf in &leaves[task] {
                let ids = &order[leaf.clone()];
                for (a, &p) in ids.iter().enumerate() {
                    for &q in &ids[a + 1..] {
                        proxy.offer_pair(heaps_ref, p as usize, q as usize, &mut out);
                    }
                }
            }
            out
        });
        apply(heaps, batches);
    }
    forest
        .into_iter()
        .next()
        .map(|(order, _)| order)
        .unwrap_or_default()
}

/// Fills the empty slots of every point with random other points: draws from the
/// point's own stream, then (when the draws keep hitting listed points) a scan.
fn fill_random(proxy: &Proxy<'_>, heaps: &mut Heaps, seed: u64) {
    let (n, k) = (heaps.len(), heaps.k);
    par_map(heaps.groups(APPLY_ROWS), |mut rows| {
        for i in rows.rows() {
            let mut rng = SplitMix64::stream(seed, &[TAG_FILL, i as u64]);
            let draws = (0..4 * k).map(|_| rng.below(n));
            for j in draws.chain(0..n).filter(|&j| j != i) {
                if !rows.is_short(i) {
                    break;
                }
                rows.push(i, j as u32, proxy.key(i, j, f64::INFINITY));
            }
        }
    });
}

/// The sampled join candidates of every point, `cap` slots per point.
struct Candidates {
    cap: usize,
    new: Vec<u32>,
    new_len: Vec<usize>,
    old: Vec<u32>,
    old_len: Vec<usize>,
}

/// Candidates of rows `first..` being filled, with the flags of those rows.
struct CandidateRows<'a> {
    first: usize,
    new: &'a mut [u32],
    new_len: &'a mut [usize],
    old: &'a mut [u32],
    old_len: &'a mut [usize],
    flags: &'a mut [bool],
}

impl Candidates {
    /// Samples, for every point, at most `max_candidates` new and old candidates among
    /// its neighbours and reverse neighbours by the priority of its stream for this
    /// iteration, and marks the sampled new neighbours old.
    fn sample(heaps: &mut Heaps, params: &NnDescentParams, iteration: usize) -> Self {
        let (n, k, cap) = (heaps.len(), heaps.k, params.max_candidates);
        let reverse = Reverse::new(heaps);
        let mut c = Candidates {
            cap,
            new: vec![0; n * cap],
            new_len: vec![0; n],
            old: vec![0; n * cap],
            old_len: vec![0; n],
        };
        let rows = APPLY_ROWS;
        let groups: Vec<CandidateRows<'_>> = c
            .new
            .chunks_mut(rows * cap)
            .zip(c.new_len.chunks_mut(rows))
            .zip(c.old.chunks_mut(rows * cap).zip(c.old_len.chunks_mut(rows)))
            .zip(heaps.new.chunks_mut(rows * k))
            .enumerate()
            .map(
                |(g, (((new, new_len), (old, old_len)), flags))| CandidateRows {
                    first: g * rows,
                    new,
                    new_len,
                    old,
                    old_len,
                    flags,
                },
            )
            .collect();
        let index = &heaps.index;
        let stream = [params.seed, iteration as u64];
        par_map(groups, |mut g| {
            let mut scratch = Vec::new();
            for i in g.first..g.first + g.new_len.len() {
                g.fill(
                    i,
                    &index[i * k..(i + 1) * k],
                    &reverse,
                    stream,
                    &mut scratch,
                );
            }
        });
        c
    }

    fn new_of(&self, i: usize) -> &[u32] {
        &self.new[i * self.cap..i * self.cap + self.new_len[i]]
    }

    fn old_of(&self, i: usize) -> &[u32] {
        &self.old[i * self.cap..i * self.cap + self.old_len[i]]
    }
}

impl CandidateRows<'_> {
    /// Samples the candidates of point `i` (neighbours `listed`) and updates its flags.
    fn fill(
        &mut self,
        i: usize,
        listed: &[u32],
        reverse: &Reverse,
        [seed, iteration]: [u64; 2],
        scratch: &mut Vec<(u64, u32)>,
    ) {
        let r = i - self.first;
        let cap = self.new.len() / self.new_len.len();
        let flags = &mut self.flags[r * listed.len()..(r + 1) * listed.len()];
        let mut sample = |fresh: bool, out: &mut [u32], exclude: &[u32]| {
            scratch.clear();
            let forward = listed
                .iter()
                .zip(flags.iter())
                .filter(|&(&j, &f)| j != EMPTY && f == fresh)
                .map(|(&j, _)| j);
            let backward = reverse.of(i).filter(|&(_, f)| f == fresh).map(|(j, _)| j);
            for j in forward.chain(backward).filter(|j| !exclude.contains(j)) {
                let priority =
                    SplitMix64::stream(seed, &[TAG_SAMPLE, iteration, i as u64, u64::from(j)])
                        .next_u64();
                scratch.push((priority, j));
            }
            scratch.sort_unstable();
            scratch.dedup();
            let len = scratch.len().min(cap);
            for (slot, &(_, j)) in out.iter_mut().zip(&scratch[..len]) {
                *slot = j;
            }
            len
        };
        let new_row = &mut self.new[r * cap..(r + 1) * cap];
        let n_new = sample(true, new_row, &[]);
        let new_row = &new_row[..n_new];
        let n_old = sample(false, &mut self.old[r * cap..(r + 1) * cap], new_row);
        self.new_len[r] = n_new;
        self.old_len[r] = n_old;
        for (flag, j) in flags.iter_mut().zip(listed) {
            if *flag && new_row.contains(j) {
                *flag = false;
            }
        }
    }
}

/// Reverse neighbour lists with the flags of the forward entries (a counting sort of
/// the graph's edges, in row order).
struct Reverse {
    start: Vec<usize>,
    source: Vec<(u32, bool)>,
}

impl Reverse {
    fn new(heaps: &Heaps) -> Self {
        let (n, k) = (heaps.len(), heaps.k);
        let mut start = vec![0usize; n + 1];
        for &j in heaps.index.iter().filter(|&&j| j != EMPTY) {
            start[j as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut source = vec![(0, false); start[n]];
        for (s, (&j, &flag)) in heaps.index.iter().zip(&heaps.new).enumerate() {
            if j != EMPTY {
                source[next[j as usize]] = ((s / k) as u32, flag);
                next[j as usize] += 1;
            }
        }
        Reverse { start, source }
    }

    fn of(&self, i: usize) -> impl Iterator<Item = (u32, bool)> + '_ {
        self.source[self.start[i]..self.start[i + 1]]
            .iter()
            .copied()
    }
}

/// One iteration of local joins, in blocks of [`JOIN_BLOCK`] points; returns the number
/// of list entries that changed.
fn local_join(
    proxy: &Proxy<'_>,
    heaps: &mut Heaps,
    candidates: &Candidates,
    visit: &[u32],
) -> usize {
    let n = heaps.len();
    let mut changed = 0;
    for block in ranges(0..n, JOIN_BLOCK) {
        let heaps_ref = &*heaps;
        let batches = par_map(ranges(block, TASK), |task| {
            let mut out = Vec::new();
            for &u in &visit[task] {
                let u = u as usize;
                let (new, old) = (candidates.new_of(u), candidates.old_of(u));
                for (a, &p) in new.iter().enumerate() {
                    for &q in new[a + 1..].iter().chain(old) {
                        proxy.offer_pair(heaps_ref, p as usize, q as usize, &mut out);
                    }
                }
            }
            out
        });
        changed += apply(heaps, batches);
    }
    changed
}

/// The graph: the `k` first of each list with `space.distance`, sorted by distance then
/// index. The points are visited in the order `visit` (neighbours of consecutive points
/// overlap, so their data is found in the cache).
fn finish(space: Dissimilarity<'_>, heaps: &Heaps, visit: &[u32], k: usize) -> Result<KnnGraph> {
    let (n, listed) = (heaps.len(), heaps.k);
    let visited = par_map(visit.to_vec(), |i| {
        let i = i as usize;
        let mut row: Vec<(f64, usize)> = heaps.index[i * listed..(i + 1) * listed]
            .iter()
            .filter(|&&j| j != EMPTY)
            .map(|&j| (space.distance(i, j as usize), j as usize))
            .collect();
        row.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        row.truncate(k);
        row
    });
    let mut rows = vec![Vec::new(); n];
    for (&i, row) in visit.iter().zip(visited) {
        rows[i as usize] = row;
    }
    if let Some(i) = rows
        .iter()
        .position(|r| r.len() < k || r.iter().any(|(d, _)| !d.is_finite()))
    {
        return Err(Error::numerical(
            "NN-descent",
            format!("point {i} has fewer than {k} neighbours at a finite distance"),
        ));
    }
    let (distances, indices) = rows.into_iter().flatten().unzip();
    KnnGraph::new(n, k, indices, distances)
}
