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
//! `alpha * clip(2 gamma b / ((0.001 + d2)(1 + a d2^b)) (y_i - y_k))`. The negative
//! samples are evaluated in groups of four (vectorised single-precision-accurate powers), each
//! group from the position of `y_i` before its own updates; umap-learn updates `y_i`
//! after every single sample. The maps' trustworthiness still agrees with umap-learn's
//! to 0.002 (`tests/umap_vs_umap_learn.rs`).
//! `clip` limits every gradient component to `[-4, 4]`; the learning rate decays
//! linearly, `alpha = alpha_0 (1 - (epoch - 1) / n_epochs)` (umap-learn updates it after
//! each epoch, so the first two epochs share `alpha_0`).
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
use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use super::fuzzy::Edges;
use super::power::{self, LANES};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// Edges per block of the SGD (the unit of random streams and of parallel work).
pub const BLOCK: usize = 4096;
/// Gradient components are clipped to `[-CLIP, CLIP]`.
const CLIP: f64 = 4.0;

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
    /// Negative samples per positive sample.
    pub negative_sample_rate: usize,
    /// Epochs.
    pub n_epochs: usize,
    /// Seed of the negative sampling.
    pub seed: u64,
    /// Run blocks on the rayon pool (see the module documentation).
    pub parallel: bool,
}

/// Coordinates shared by the blocks of an epoch, stored as `f64` bits.
struct Coords {
    dims: usize,
    values: Vec<AtomicU64>,
}

impl Coords {
    fn new(values: &[f64], dims: usize) -> Self {
        Coords {
            dims,
            values: values.iter().map(|v| AtomicU64::new(v.to_bits())).collect(),
        }
    }

    fn get(&self, i: usize, d: usize) -> f64 {
        f64::from_bits(self.values[i * self.dims + d].load(Ordering::Relaxed))
    }

    fn add(&self, i: usize, d: usize, delta: f64) {
        let slot = &self.values[i * self.dims + d];
        let v = f64::from_bits(slot.load(Ordering::Relaxed)) + delta;
        slot.store(v.to_bits(), Ordering::Relaxed);
    }

    fn into_vec(self) -> Vec<f64> {
        self.values
            .into_iter()
            .map(|a| f64::from_bits(a.into_inner()))
            .collect()
    }
}

/// Per-edge sampling schedule.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    every: f64,
    next: f64,
    negative_every: f64,
    next_negative: f64,
}

/// Optimises `head` (`n_heads x dims`, updated in place) against the graph `edges`.
/// With `tail = None` the edges join points of `head` itself and both ends move (a
/// fit); with `tail = Some(fixed)` the edges point into the fixed coordinates of a
/// fitted map and only `head` moves (placing new points). `progress(epoch, n_epochs)`
/// is called after every epoch.
///
/// # Errors
/// [`Error::Interrupted`] when `progress` breaks.
pub fn optimize(
    head: &mut [f64],
    tail: Option<&[f64]>,
    dims: usize,
    edges: &Edges,
    settings: &LayoutSettings,
    progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<()> {
    let coords = Coords::new(head, dims);
    let fixed = tail.map(|t| Coords::new(t, dims));
    let max_w = edges.max_weight();
    let n_epochs = settings.n_epochs;
    let rate = settings.negative_sample_rate.max(1) as f64;
    let mut schedule: Vec<Schedule> = edges
        .weight
        .iter()
        .map(|&w| {
            let samples = n_epochs as f64 * w / max_w;
            let every = if samples > 0.0 {
                n_epochs as f64 / samples
            } else {
                f64::INFINITY
            };
            Schedule {
                every,
                next: every,
                negative_every: every / rate,
                next_negative: every / rate,
            }
        })
        .collect();
    for epoch in 0..n_epochs {
        let alpha =
            settings.initial_alpha * (1.0 - epoch.saturating_sub(1) as f64 / n_epochs as f64);
        let run = |(block, sched): (usize, &mut [Schedule])| {
            let mut rng = SplitMix64::stream(settings.seed, &[epoch as u64, block as u64]);
            let mut diff = vec![0.0; LANES * dims];
            let mut state = BlockState {
                coords: &coords,
                fixed: fixed.as_ref(),
                edges,
                epoch: epoch as f64,
                alpha,
                settings,
                rng: &mut rng,
                diff: &mut diff,
            };
            let first = block * BLOCK;
            // The common map dimensions get loops of constant length.
            match dims {
                2 => state.run::<2>(first, sched),
                3 => state.run::<3>(first, sched),
                _ => state.run::<0>(first, sched),
            }
        };
        run_blocks(&mut schedule, settings.parallel, run);
        if progress(epoch + 1, n_epochs).is_break() {
            return Err(Error::Interrupted);
        }
    }
    head.copy_from_slice(&coords.into_vec());
    Ok(())
}

/// Runs `run` over the blocks of `schedule`, in order or on the rayon pool.
fn run_blocks(
    schedule: &mut [Schedule],
    parallel: bool,
    run: impl Fn((usize, &mut [Schedule])) + Sync + Send,
) {
    #[cfg(feature = "rayon")]
    if parallel {
        schedule.par_chunks_mut(BLOCK).enumerate().for_each(run);
        return;
    }
    let _ = parallel;
    schedule.chunks_mut(BLOCK).enumerate().for_each(run);
}

/// What the edges of one block share in one epoch.
struct BlockState<'a> {
    coords: &'a Coords,
    /// The fitted map's coordinates when placing new points.
    fixed: Option<&'a Coords>,
    edges: &'a Edges,
    epoch: f64,
    alpha: f64,
    settings: &'a LayoutSettings,
    rng: &'a mut SplitMix64,
    /// `LANES x dims` differences.
    diff: &'a mut [f64],
}

impl BlockState<'_> {
    /// Steps the edges `first..` with schedules `sched`. `D` is the map dimension, or
    /// 0 for "read it from the coordinates".
    fn run<const D: usize>(&mut self, first: usize, sched: &mut [Schedule]) {
        for (offset, s) in sched.iter_mut().enumerate() {
            if s.next <= self.epoch {
                self.step_edge::<D>(first + offset, s);
            }
        }
    }

    /// Squared Euclidean distance between `y_i` of `a` and `y_j` of `b`, and the
    /// difference vector in `diff` (`dims` long).
    #[inline(always)]
    fn difference<const D: usize>(
        a: &Coords,
        i: usize,
        b: &Coords,
        j: usize,
        diff: &mut [f64],
    ) -> f64 {
        let dims = if D == 0 { a.dims } else { D };
        let mut d2 = 0.0;
        for (d, v) in diff[..dims].iter_mut().enumerate() {
            *v = a.get(i, d) - b.get(j, d);
            d2 += *v * *v;
        }
        d2
    }

    /// One due edge (an edge is due when its next sampling time is `<= epoch`, epochs
    /// counted from 0 as in umap-learn, so epoch 0 samples nothing): the attractive
    /// step, then the negative samples that have fallen due.
    #[inline(always)]
    fn step_edge<const D: usize>(&mut self, e: usize, s: &mut Schedule) {
        let (coords, settings) = (self.coords, self.settings);
        let dims = if D == 0 { coords.dims } else { D };
        let (a, b, alpha) = (settings.a, settings.b, self.alpha);
        let (i, j) = (self.edges.head[e], self.edges.tail[e]);
        let other = self.fixed.unwrap_or(coords);
        let move_other = self.fixed.is_none();
        let diff = &mut *self.diff;
        let d2 = Self::difference::<D>(coords, i, other, j, diff);
        let coeff = if d2 > 0.0 {
            let d2b = power::pow(d2, b);
            -2.0 * a * b * (d2b / d2) / (a * d2b + 1.0)
        } else {
            0.0
        };
        for (d, &v) in diff[..dims].iter().enumerate() {
            let g = (coeff * v).clamp(-CLIP, CLIP) * alpha;
            coords.add(i, d, g);
            if move_other {
                coords.add(j, d, -g);
            }
        }
        s.next += s.every;
        let n_neg = ((self.epoch - s.next_negative) / s.negative_every).max(0.0) as usize;
        let n_vertices = self.edges.n_tails;
        let mut left = n_neg;
        while left > 0 {
            let lanes = left.min(LANES);
            left -= lanes;
            let mut d2 = [1.0; LANES];
            for (l, d2) in d2.iter_mut().enumerate().take(lanes) {
                let k = self.rng.below(n_vertices);
                *d2 = Self::difference::<D>(coords, i, other, k, &mut diff[l * dims..]);
            }
            let d2b = power::pow_lanes(&d2, b);
            for l in 0..lanes {
                if d2[l] > 0.0 {
                    let coeff = 2.0 * settings.gamma * b / ((0.001 + d2[l]) * (a * d2b[l] + 1.0));
                    for (d, &v) in diff[l * dims..(l + 1) * dims].iter().enumerate() {
                        coords.add(i, d, (coeff * v).clamp(-CLIP, CLIP) * alpha);
                    }
                }
            }
        }
        s.next_negative += n_neg as f64 * s.negative_every;
    }
}
