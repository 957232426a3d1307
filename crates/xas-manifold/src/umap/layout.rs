//! The UMAP layout optimisation: stochastic gradient descent on the fuzzy cross
//! entropy between the graph weights `w_ij` and the embedding similarities
//! `q_ij = 1 / (1 + a |y_i - y_j|^(2b))`, with negative sampling (umap-learn's
//! `optimize_layout_euclidean`).
//!
//! Edge `e` of weight `w_e` is sampled every `n_epochs_total / (n_epochs_total w_e /
//! max w)` epochs, i.e. in proportion to its weight. A sampled edge `(i, j)` at squared
//! distance `d2` pulls both ends together by
//! `alpha * clip(-2ab d2^(b-1) / (1 + a d2^b) (y_i - y_j))` (only `y_i` moves when
//! placing new points); each sample is followed by `negative_sample_rate` repulsions of
//! `y_i` from uniformly drawn vertices `k`,
//! `alpha * clip(2 gamma b / ((0.001 + d2)(1 + a d2^b)) (y_i - y_k))`.
//! `clip` limits every gradient component to `[-4, 4]`; the learning rate decays
//! linearly, `alpha = alpha_0 (1 - (epoch - 1) / n_epochs)` (umap-learn updates it after
//! each epoch, so the first two epochs share `alpha_0`).
//!
//! # Evaluation in batches
//! Coordinates are single precision, as in umap-learn. Samples are evaluated
//! [`LANES`] at a time in vector registers (gather, power, coefficient), then applied
//! one after another: the due edges of a block are taken in groups of [`LANES`], with
//! a stride of [`LANES`] through the block's due edges so that a group holds edges of
//! different vertices (edges come sorted by vertex), and their attractions are
//! computed from the positions before the group's updates; their negative samples,
//! drawn in that order, queue up and are evaluated in groups of [`LANES`] too, each
//! group from the positions before its own updates (so after the attractions that
//! produced them). umap-learn instead updates after every single sample; the maps'
//! trustworthiness agrees with umap-learn's to 0.002 (`tests/umap_vs_umap_learn.rs`).
//! Without the stride a vertex took up to about 30 summed steps from one stale
//! position, which blurred the classes of small maps (valence silhouette of the
//! 78-spectrum Mn library 0.68 against 0.76 one sample at a time; 0.75 strided).
//!
//! # Determinism
//! The edges are cut into fixed blocks of [`BLOCK`] edges; each block draws its negative
//! samples from its own random stream, seeded by `(seed, epoch, block)`. In serial mode
//! the blocks run in order, so a seed gives the same layout on every run and machine.
//! In parallel mode the blocks run on the rayon pool and update the shared coordinates
//! without locks ("Hogwild", as umap-learn does without a seed): the random numbers are
//! the same, but the order in which concurrent updates land is not, so layouts differ
//! from run to run by small amounts and agree in distribution (the quality measures of
//! a map agree to their sampling noise).

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU32, Ordering};

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use super::density::{Density, EpochDensity};
use super::fuzzy::Edges;
use super::power;
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// Edges per block of the SGD (the unit of random streams and of parallel work; at
/// most `2^16`, a power of two).
pub const BLOCK: usize = 4096;
/// Samples evaluated together (see "Evaluation in batches").
pub const LANES: usize = 32;
/// Gradient components are clipped to `[-CLIP, CLIP]`.
const CLIP: f32 = 4.0;

/// Settings of one optimisation.
#[derive(Debug, Clone, Copy)]
pub struct LayoutSettings {
    /// Curve parameter `a`.
    pub a: f64,
    /// Curve parameter `b`.
    pub b: f64,
    /// Repulsion strength `gamma`.
    pub gamma: f64,
    /// Initial learning rate `alpha_0`.
    pub initial_alpha: f64,
    /// Negative samples per positive sample; 0 turns the repulsion off (as in
    /// umap-learn, where the schedule's period becomes infinite).
    pub negative_sample_rate: usize,
    /// Epochs.
    pub n_epochs: usize,
    /// Seed of the negative sampling.
    pub seed: u64,
    /// Run blocks on the rayon pool (see the module documentation).
    pub parallel: bool,
}

/// Coordinates shared by the blocks of an epoch, stored as `f32` bits.
struct Coords {
    dims: usize,
    values: Vec<AtomicU32>,
}

impl Coords {
    fn new(values: &[f64], dims: usize) -> Self {
        Coords {
            dims,
            values: values
                .iter()
                .map(|&v| AtomicU32::new((v as f32).to_bits()))
                .collect(),
        }
    }

    /// Coordinate `at = i dims + d`.
    #[inline(always)]
    fn get(&self, at: usize) -> f32 {
        f32::from_bits(self.values[at].load(Ordering::Relaxed))
    }

    /// Adds `delta` to coordinate `at = i dims + d`.
    #[inline(always)]
    fn add(&self, at: usize, delta: f32) {
        let slot = &self.values[at];
        let v = f32::from_bits(slot.load(Ordering::Relaxed)) + delta;
        slot.store(v.to_bits(), Ordering::Relaxed);
    }

    /// A copy of all coordinates.
    fn snapshot(&self) -> Vec<f32> {
        (0..self.values.len()).map(|at| self.get(at)).collect()
    }

    fn into_vec(self) -> Vec<f64> {
        self.values
            .into_iter()
            .map(|a| f64::from(f32::from_bits(a.into_inner())))
            .collect()
    }
}

/// Per-edge sampling schedule, apart from the time the edge is next due (`next`, kept
/// in its own array because every epoch sweeps it). The edge is due when `next <=
/// epoch`; `next` then advances by `every`. Its negative samples follow the same clock
/// at `rate` times the frequency: by epoch `n` an edge has owed
/// `floor(n rate / every) - 1` of them (the first falls due at `every / rate`, as in
/// umap-learn), and each due sample draws what it owes.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    every: f64,
    /// `rate / every`, negative samples owed per epoch.
    negative_rate: f64,
    /// Negative samples drawn so far.
    drawn: u32,
}

impl Schedule {
    /// Schedule of an edge sampled `samples` times over `n_epochs`, and the time it is
    /// first due.
    fn new(samples: f64, n_epochs: usize, rate: f64) -> (f64, Self) {
        let every = if samples > 0.0 {
            n_epochs as f64 / samples
        } else {
            f64::INFINITY
        };
        let schedule = Schedule {
            every,
            negative_rate: rate / every,
            drawn: 0,
        };
        (every, schedule)
    }

    /// Negative samples owed at `epoch` and not yet drawn; marks them drawn.
    #[inline(always)]
    fn draw_negatives(&mut self, epoch: f64) -> u32 {
        let owed = (epoch * self.negative_rate - 1.0).max(0.0) as u32;
        let n = owed.saturating_sub(self.drawn);
        self.drawn += n;
        n
    }
}

/// Optimises `head` (`n_heads x dims`, updated in place) against the graph `edges`.
/// With `tail = None` the edges join points of `head` itself and both ends move (a
/// fit); with `tail = Some(fixed)` the edges point into the fixed coordinates of a
/// fitted map and only `head` moves (placing new points). `progress(epoch, n_epochs)`
/// is called after every epoch. The optimisation runs in single precision; `head` is
/// rounded to `f32` on entry. With `density` (a fit only), the attractions of the
/// epochs where it is active also carry the densMAP term ([`super::density`]).
///
/// # Errors
/// [`Error::InvalidParameter`] for more than `u32::MAX` vertices, or a `density`
/// when placing new points;
/// [`Error::Interrupted`] when `progress` breaks.
pub fn optimize(
    head: &mut [f64],
    tail: Option<&[f64]>,
    dims: usize,
    edges: &Edges,
    settings: &LayoutSettings,
    density: Option<&Density>,
    progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<()> {
    if density.is_some() && tail.is_some() {
        return Err(Error::param(
            "densmap",
            "the density term applies to fits, not to placing new points",
        ));
    }
    let n_vertices = u32::try_from(edges.n_tails)
        .ok()
        .filter(|_| u32::try_from(edges.n_heads).is_ok())
        .ok_or_else(|| Error::param("points", "more than 2^32 - 1 points in one map"))?;
    let coords = Coords::new(head, dims);
    let fixed = tail.map(|t| Coords::new(t, dims));
    let max_w = edges.max_weight();
    let n_epochs = settings.n_epochs;
    let rate = settings.negative_sample_rate as f64;
    let (mut next, mut schedule): (Vec<f64>, Vec<Schedule>) = edges
        .weight
        .iter()
        .map(|&w| Schedule::new(n_epochs as f64 * w / max_w, n_epochs, rate))
        .unzip();
    let curve = Curve::new(settings);
    for epoch in 0..n_epochs {
        let alpha =
            settings.initial_alpha * (1.0 - epoch.saturating_sub(1) as f64 / n_epochs as f64);
        let epoch_density = density
            .filter(|d| d.active(epoch, n_epochs))
            .map(|d| d.epoch(&coords.snapshot(), dims, edges, curve.a, curve.b));
        let run = |block: usize, next: &mut [f64], sched: &mut [Schedule]| {
            let mut state = BlockState {
                coords: &coords,
                other: fixed.as_ref().unwrap_or(&coords),
                move_other: fixed.is_none(),
                edges,
                epoch: epoch as f64,
                alpha: alpha as f32,
                curve,
                density: epoch_density.as_ref(),
                rng: SplitMix64::stream(settings.seed, &[epoch as u64, block as u64]),
                n_vertices,
                diff: vec![[0.0; LANES]; dims],
                attract: Batch::default(),
                owed: [0; LANES],
                weight: [0.0; LANES],
                negatives: Batch::default(),
            };
            let first = block * BLOCK;
            // The common map dimensions get loops of constant length.
            match dims {
                2 => state.run::<2>(first, next, sched),
                3 => state.run::<3>(first, next, sched),
                _ => state.run::<0>(first, next, sched),
            }
        };
        run_blocks(&mut next, &mut schedule, settings.parallel, run);
        if progress(epoch + 1, n_epochs).is_break() {
            return Err(Error::Interrupted);
        }
    }
    head.copy_from_slice(&coords.into_vec());
    Ok(())
}

/// Runs `run(block, next, schedule)` over the blocks of the edges, in order or on the
/// rayon pool.
fn run_blocks(
    next: &mut [f64],
    schedule: &mut [Schedule],
    parallel: bool,
    run: impl Fn(usize, &mut [f64], &mut [Schedule]) + Sync + Send,
) {
    #[cfg(feature = "rayon")]
    if parallel {
        next.par_chunks_mut(BLOCK)
            .zip(schedule.par_chunks_mut(BLOCK))
            .enumerate()
            .for_each(|(block, (next, sched))| run(block, next, sched));
        return;
    }
    let _ = parallel;
    next.chunks_mut(BLOCK)
        .zip(schedule.chunks_mut(BLOCK))
        .enumerate()
        .for_each(|(block, (next, sched))| run(block, next, sched));
}

/// The constants of the gradient coefficients, in single precision.
#[derive(Debug, Clone, Copy)]
struct Curve {
    a: f32,
    b: f32,
    /// `-2ab`, the attractive prefactor.
    attract: f32,
    /// `2 gamma b`, the repulsive prefactor.
    repel: f32,
}

impl Curve {
    fn new(settings: &LayoutSettings) -> Self {
        let (a, b) = (settings.a, settings.b);
        Curve {
            a: a as f32,
            b: b as f32,
            attract: (-2.0 * a * b) as f32,
            repel: (2.0 * settings.gamma * b) as f32,
        }
    }

    /// Attractive coefficients `-2ab d2^(b-1) / (1 + a d2^b)`, zero where `d2 = 0`.
    #[inline(always)]
    fn attraction(&self, d2: &[f32; LANES], p: &[f32; LANES]) -> [f32; LANES] {
        let mut coeff = *p;
        for (c, &x) in coeff.iter_mut().zip(d2) {
            let v = self.attract * (*c / x) / self.a.mul_add(*c, 1.0);
            *c = if x > 0.0 { v } else { 0.0 };
        }
        coeff
    }

    /// Repulsive coefficients `2 gamma b / ((0.001 + d2)(1 + a d2^b))`, zero where
    /// `d2 = 0` (umap-learn skips coincident points).
    #[inline(always)]
    fn repulsion(&self, d2: &[f32; LANES], p: &[f32; LANES]) -> [f32; LANES] {
        let mut coeff = *p;
        for (c, &x) in coeff.iter_mut().zip(d2) {
            let v = self.repel / ((0.001 + x) * self.a.mul_add(*c, 1.0));
            *c = if x > 0.0 { v } else { 0.0 };
        }
        coeff
    }
}

/// Up to [`LANES`] vertex pairs `(i, j)` evaluated together.
#[derive(Debug, Default)]
struct Batch {
    len: usize,
    head: [usize; LANES],
    tail: [usize; LANES],
}

impl Batch {
    /// Appends `(i, j)`; returns whether the batch is now full.
    #[inline(always)]
    fn push(&mut self, i: usize, j: usize) -> bool {
        self.head[self.len] = i;
        self.tail[self.len] = j;
        self.len += 1;
        self.len == LANES
    }
}

/// What the edges of one block share in one epoch.
struct BlockState<'a> {
    coords: &'a Coords,
    /// The coordinates edge tails and negative samples point into: the fitted map's
    /// when placing new points, else `coords`.
    other: &'a Coords,
    /// Whether edge tails move (a fit) or stay (placing new points).
    move_other: bool,
    edges: &'a Edges,
    epoch: f64,
    alpha: f32,
    curve: Curve,
    /// The densMAP term of this epoch, if active.
    density: Option<&'a EpochDensity>,
    rng: SplitMix64,
    /// Vertices negative samples are drawn from.
    n_vertices: u32,
    /// `dims` rows of per-lane differences `y_i - y_j`, then steps.
    diff: Vec<[f32; LANES]>,
    /// Due edges waiting for their attraction.
    attract: Batch,
    /// Negative samples owed by each edge of `attract`.
    owed: [u32; LANES],
    /// Weight of each edge of `attract`.
    weight: [f32; LANES],
    /// Negative samples waiting for their repulsion.
    negatives: Batch,
}

impl BlockState<'_> {
    /// Steps the edges `first..` with due times `next` and schedules `sched` (an edge
    /// is due when its next sampling time is `<= epoch`, epochs counted from 0 as in
    /// umap-learn, so epoch 0 samples nothing), then empties the queues. `D` is the map
    /// dimension, or 0 for "read it from the coordinates".
    fn run<const D: usize>(&mut self, first: usize, next: &mut [f64], sched: &mut [Schedule]) {
        // The due edges, listed without a branch per edge (whether an edge is due is
        // unpredictable, and the sweep touches only `next`).
        let mut offsets = [0u16; BLOCK];
        let mut count = 0;
        for (offset, &t) in next.iter().enumerate() {
            offsets[count % BLOCK] = offset as u16;
            count += usize::from(t <= self.epoch);
        }
        // In order: advance the clocks, and note each due edge with its vertices and
        // the negative samples it owes.
        let due: Vec<[u32; 3]> = offsets[..count]
            .iter()
            .map(|&offset| {
                let offset = usize::from(offset);
                let s = &mut sched[offset];
                next[offset] += s.every;
                let e = first + offset;
                let owed = s.draw_negatives(self.epoch);
                [self.edges.head[e] as u32, self.edges.tail[e] as u32, owed]
            })
            .collect();
        // The edges' weights, for the densMAP term only (listing them always made
        // plain fits 4 % slower).
        let weights: Vec<f32> = match self.density {
            Some(_) => offsets[..count]
                .iter()
                .map(|&offset| self.edges.weight[first + usize::from(offset)] as f32)
                .collect(),
            None => Vec::new(),
        };
        // Then taken with a stride of LANES, so that the edges of one batch belong to
        // different vertices (edges come sorted by vertex) and each vertex takes few
        // steps from one stale position.
        let strided = (0..LANES).flat_map(|r| (r.min(count)..count).step_by(LANES));
        for at in strided {
            let [i, j, owed] = due[at];
            self.owed[self.attract.len] = owed;
            if let Some(&weight) = weights.get(at) {
                self.weight[self.attract.len] = weight;
            }
            if self.attract.push(i as usize, j as usize) {
                self.attract::<D>();
            }
        }
        self.attract::<D>();
        self.repel::<D>();
    }

    /// Gathers the pairs of the repulsion queue (`negatives`) or of the attraction
    /// queue, turns their differences into steps with the coefficients of their
    /// squared lengths (repulsion; or attraction, plus the densMAP term when active)
    /// and applies them (edge tails move in an attraction of a fit).
    #[inline(always)]
    fn step<const D: usize>(&mut self, negatives: bool) {
        let batch = if negatives {
            &self.negatives
        } else {
            &self.attract
        };
        let d2 = gather::<D>(&mut self.diff, self.coords, self.other, batch);
        // `d2^b`, shared by the curve's coefficients and the densMAP term.
        let p = power::pow_lanes(&d2, self.curve.b);
        let (coeff, density) = if negatives {
            (self.curve.repulsion(&d2, &p), None)
        } else {
            let density = self.density.map(|d| {
                d.coefficients(&d2, &p, &batch.head, &batch.tail, &self.weight, batch.len)
            });
            (self.curve.attraction(&d2, &p), density)
        };
        let steps = steps::<D>(&mut self.diff, &coeff, density.as_ref(), self.alpha);
        apply(steps, self.coords, batch, self.move_other && !negatives);
    }

    /// Attractions of the queued edges, then their negative samples into the
    /// repulsion queue (drawn in edge order, two per random draw).
    fn attract<const D: usize>(&mut self) {
        self.step::<D>(false);
        let mut spare = None;
        for l in 0..std::mem::take(&mut self.attract.len) {
            let i = self.attract.head[l];
            for _ in 0..self.owed[l] {
                let k = spare.take().unwrap_or_else(|| {
                    let [k, next] = self.rng.below_pair(self.n_vertices);
                    spare = Some(next);
                    k
                });
                if self.negatives.push(i, k as usize) {
                    self.repel::<D>();
                }
            }
        }
    }

    /// Repulsions of the queued negative samples (only `y_i` moves).
    fn repel<const D: usize>(&mut self) {
        self.step::<D>(true);
        self.negatives.len = 0;
    }
}

/// Differences `y_i - y_j` of the pairs of `batch` (`i` in `coords`, `j` in `other`)
/// into the `dims` rows of `diff`, and their squared lengths (lanes beyond the batch
/// hold stale values and are never applied). `D` is the dimension, or 0.
#[inline(always)]
fn gather<const D: usize>(
    diff: &mut [[f32; LANES]],
    coords: &Coords,
    other: &Coords,
    batch: &Batch,
) -> [f32; LANES] {
    let dims = if D == 0 { coords.dims } else { D };
    for l in 0..batch.len {
        let (i, j) = (batch.head[l] * dims, batch.tail[l] * dims);
        for (d, row) in diff[..dims].iter_mut().enumerate() {
            row[l] = coords.get(i + d) - other.get(j + d);
        }
    }
    let mut d2 = [0.0; LANES];
    for row in &diff[..dims] {
        for (s, &v) in d2.iter_mut().zip(row) {
            *s = v.mul_add(v, *s);
        }
    }
    d2
}

/// Turns the differences in `diff` into steps `alpha clip(coeff (y_i - y_j))`, or
/// `alpha (clip(coeff (y_i - y_j)) + clip(extra (y_i - y_j)))` with the densMAP
/// coefficients `extra` (clipped apart, as umap-learn does), in place; returns the
/// `dims` rows.
#[inline(always)]
fn steps<'d, const D: usize>(
    diff: &'d mut [[f32; LANES]],
    coeff: &[f32; LANES],
    extra: Option<&[f32; LANES]>,
    alpha: f32,
) -> &'d [[f32; LANES]] {
    let dims = if D == 0 { diff.len() } else { D };
    for row in &mut diff[..dims] {
        match extra {
            None => {
                for (g, &c) in row.iter_mut().zip(coeff) {
                    *g = (c * *g).clamp(-CLIP, CLIP) * alpha;
                }
            }
            Some(extra) => {
                for ((g, &c), &e) in row.iter_mut().zip(coeff).zip(extra) {
                    *g = ((c * *g).clamp(-CLIP, CLIP) + (e * *g).clamp(-CLIP, CLIP)) * alpha;
                }
            }
        }
    }
    &diff[..dims]
}

/// Adds the steps of the pairs of `batch` to `y_i`, and subtracts them from `y_j`
/// when `move_tail`. The steps of consecutive pairs with the same `i` (the negative
/// samples of one edge, the edges of one vertex) are summed before they are added,
/// instead of a chain of dependent additions in memory.
#[inline(always)]
fn apply(steps: &[[f32; LANES]], coords: &Coords, batch: &Batch, move_tail: bool) {
    let dims = steps.len();
    let mut l = 0;
    while l < batch.len {
        let i = batch.head[l];
        let end = l + batch.head[l..batch.len]
            .iter()
            .take_while(|&&h| h == i)
            .count();
        for (d, row) in steps.iter().enumerate() {
            coords.add(i * dims + d, row[l..end].iter().sum());
        }
        l = end;
    }
    if move_tail {
        for l in 0..batch.len {
            let j = batch.tail[l] * dims;
            for (d, row) in steps.iter().enumerate() {
                coords.add(j + d, -row[l]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two separate edges, 0-1 and 2-3: attraction moves both ends of an edge by
    /// opposite steps, so without negative samples each edge's midpoint stays where it
    /// was (to single precision) while its ends approach; with them, the midpoints
    /// are pushed about.
    #[test]
    fn a_zero_negative_sample_rate_turns_the_repulsion_off() {
        let edges = Edges {
            n_heads: 4,
            n_tails: 4,
            head: vec![0, 1, 2, 3],
            tail: vec![1, 0, 3, 2],
            weight: vec![1.0; 4],
        };
        let start = [0.0, 0.0, 4.0, 1.0, 10.0, 10.0, 13.0, 7.0];
        let midpoints = |y: &[f64]| {
            [
                0.5 * (y[0] + y[2]),
                0.5 * (y[1] + y[3]),
                0.5 * (y[4] + y[6]),
                0.5 * (y[5] + y[7]),
            ]
        };
        let run = |rate: usize| {
            let mut y = start.to_vec();
            let settings = LayoutSettings {
                a: 1.577,
                b: 0.895,
                gamma: 1.0,
                initial_alpha: 1.0,
                negative_sample_rate: rate,
                n_epochs: 50,
                seed: 1,
                parallel: false,
            };
            optimize(&mut y, None, 2, &edges, &settings, None, &mut |_, _| {
                ControlFlow::Continue(())
            })
            .unwrap();
            y
        };
        let still = run(0);
        for (m, m0) in midpoints(&still).iter().zip(midpoints(&start)) {
            assert!((m - m0).abs() < 1e-5, "{still:?}");
        }
        let gap = |y: &[f64]| (y[0] - y[2]).hypot(y[1] - y[3]);
        assert!(gap(&still) < 0.5 * gap(&start), "{still:?}");
        let pushed = run(5);
        let moved = midpoints(&pushed)
            .iter()
            .zip(midpoints(&start))
            .map(|(m, m0)| (m - m0).abs())
            .fold(0.0, f64::max);
        assert!(moved > 0.1, "{pushed:?}");
    }

    /// The negative-sample clock draws, epoch by epoch, what umap-learn's recursion
    /// draws (`n_neg = floor((n - next_neg) / every_neg)`, `next_neg += n_neg
    /// every_neg`), for weights that give non-integer sampling periods: the same
    /// epochs are due, and the counts differ by at most one where the two roundings
    /// put a sample on different sides of an epoch (an exact check fails for these
    /// weights).
    #[test]
    fn negative_samples_follow_umap_learns_schedule() {
        let (n_epochs, rate) = (500, 5.0);
        for w in [1.0, 0.73, 0.31, 0.057, 0.0123] {
            let (mut next, mut ours) = Schedule::new(n_epochs as f64 * w, n_epochs, rate);
            let every = n_epochs as f64 / (n_epochs as f64 * w);
            let (every_neg, mut next_neg, mut next_umap) = (every / rate, every / rate, every);
            let (mut total_ours, mut total_umap) = (0, 0);
            for epoch in 0..n_epochs {
                let n = epoch as f64;
                assert_eq!(next <= n, next_umap <= n, "w {w} epoch {epoch}");
                if next_umap <= n {
                    next += ours.every;
                    next_umap += every;
                    let theirs = (((n - next_neg) / every_neg).max(0.0)) as u32;
                    next_neg += f64::from(theirs) * every_neg;
                    let drawn = ours.draw_negatives(n);
                    assert!(drawn.abs_diff(theirs) <= 1, "w {w} epoch {epoch}");
                    total_ours += drawn;
                    total_umap += theirs;
                }
            }
            // Rounding may move a sample across an epoch boundary, never lose one.
            assert!(
                total_ours.abs_diff(total_umap) <= 1,
                "w {w}: {total_ours} vs {total_umap}"
            );
            assert!(total_umap > 0);
        }
    }
}
