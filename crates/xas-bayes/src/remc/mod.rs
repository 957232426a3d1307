//! Replica-exchange (exchange, parallel-tempering) Monte Carlo.
//!
//! `L` replicas sample `p_l(θ) ∝ exp(-β_l E(θ)) φ(θ)` on a ladder `0 = β_0 < ... <
//! β_{L-1} = β_max`. Each sweep:
//! 1. every replica moves: the `β = 0` rung draws a fresh prior sample, the others make
//!    one random-walk Metropolis move per parameter, or one joint move per group of
//!    parameters named in [`RemcSettings::blocks`] (in parallel over replicas);
//! 2. neighbours `l, l+1` (`l = 0, 1, ..., L-2` in turn) swap states with probability
//!    `min(1, exp((β_{l+1} - β_l)(E_{l+1} - E_l)))`;
//! 3. during burn-in, every `adapt_every` sweeps, each rung's steps are adapted towards
//!    the target acceptance (Robbins-Monro) and the blocks' proposal shapes follow the
//!    covariance of the states visited; after burn-in, every `thin`-th sweep is
//!    recorded.
//!
//! Each rung has its own random stream and the exchanges have another, all derived from
//! the seed, so a run is identical whatever the number of threads. The sampler state
//! (including the streams) serialises, so a run can be checkpointed, interrupted and
//! resumed with the same result as an uninterrupted one.

mod block;
mod checkpoint;
pub mod ladder;
mod replica;
mod samples;

use std::ops::ControlFlow;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

pub use ladder::Ladder;
use replica::Replica;
pub use samples::Samples;

use crate::posterior::Posterior;
use crate::{Error, Result};

/// Settings of a replica-exchange run. Defaults: 24 replicas, 5000 burn-in sweeps,
/// 20000 recorded sweeps, the automatic ladder up to `β_max = 1`, target acceptance 0.5
/// (0.25 for blocks), steps adapted every 20 sweeps, no blocks, no thinning, parallel
/// over replicas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemcSettings {
    /// Number of replicas `L` (rungs of the ladder), at least 2.
    pub replicas: usize,
    /// Sweeps of burn-in (steps adapt; nothing recorded).
    pub burn_in: usize,
    /// Sweeps after burn-in.
    pub sweeps: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// How the inverse temperatures are chosen.
    pub ladder: Ladder,
    /// The largest inverse temperature: 1 for a posterior; the largest noise precision
    /// of interest when the noise level is estimated (noise estimation).
    pub beta_max: f64,
    /// Acceptance rate the component-wise steps adapt towards during burn-in.
    pub target_acceptance: f64,
    /// Groups of parameters (by name) moved jointly by an adaptive multivariate
    /// proposal instead of one at a time: worth it when every change of any member
    /// costs an expensive model evaluation (a sweep then costs one per group).
    #[serde(default)]
    pub blocks: Vec<Vec<String>>,
    /// Acceptance rate the block proposals adapt towards (about 0.23 is optimal for
    /// many dimensions, 0.44 for one).
    #[serde(default = "default_block_target")]
    pub block_target_acceptance: f64,
    /// Sweeps between step adaptations during burn-in.
    pub adapt_every: usize,
    /// Record every `thin`-th sweep after burn-in.
    pub thin: usize,
    /// Move the replicas in parallel (rayon); the result is the same either way.
    pub parallel: bool,
}

impl Default for RemcSettings {
    fn default() -> Self {
        RemcSettings {
            replicas: 24,
            burn_in: 5000,
            sweeps: 20000,
            seed: 1,
            ladder: Ladder::default(),
            beta_max: 1.0,
            target_acceptance: 0.5,
            blocks: Vec::new(),
            block_target_acceptance: default_block_target(),
            adapt_every: 20,
            thin: 1,
            parallel: true,
        }
    }
}

fn default_block_target() -> f64 {
    0.25
}

impl RemcSettings {
    /// Indices of the block members in `names`; errors name an unknown or repeated
    /// parameter, or an empty block.
    fn block_indices(&self, names: &[String]) -> Result<Vec<Vec<usize>>> {
        let mut seen = vec![false; names.len()];
        self.blocks
            .iter()
            .map(|block| {
                if block.is_empty() {
                    return Err(Error::param(
                        "blocks",
                        "a block needs at least one parameter",
                    ));
                }
                block
                    .iter()
                    .map(|name| {
                        let j = names.iter().position(|n| n == name).ok_or_else(|| {
                            Error::param(
                                "blocks",
                                format!("no parameter '{name}' (have {})", names.join(", ")),
                            )
                        })?;
                        if std::mem::replace(&mut seen[j], true) {
                            return Err(Error::param(
                                "blocks",
                                format!("'{name}' is in more than one block"),
                            ));
                        }
                        Ok(j)
                    })
                    .collect()
            })
            .collect()
    }

    /// Checks every setting; errors name the setting.
    pub fn validate(&self) -> Result<()> {
        if self.replicas < 2 {
            return Err(Error::param(
                "replicas",
                format!("need at least 2, got {}", self.replicas),
            ));
        }
        if self.sweeps == 0 {
            return Err(Error::param(
                "sweeps",
                "need at least one sweep after burn-in",
            ));
        }
        if !(self.beta_max.is_finite() && self.beta_max > 0.0) {
            return Err(Error::param(
                "beta_max",
                format!("must be > 0, got {}", self.beta_max),
            ));
        }
        for (name, target) in [
            ("target_acceptance", self.target_acceptance),
            ("block_target_acceptance", self.block_target_acceptance),
        ] {
            if !(target > 0.0 && target < 1.0) {
                return Err(Error::param(
                    name,
                    format!("must be in (0, 1), got {target}"),
                ));
            }
        }
        if self.adapt_every == 0 || self.thin == 0 {
            return Err(Error::param("adapt_every / thin", "must be at least 1"));
        }
        match &self.ladder {
            Ladder::Auto {
                overlap,
                prior_samples,
            } => {
                if !(*overlap > 0.0 && *overlap < 1.0) || *prior_samples < 10 {
                    return Err(Error::param(
                        "ladder",
                        "automatic ladder needs overlap in (0, 1) and at least 10 prior samples",
                    ));
                }
            }
            Ladder::Geometric { beta_1 } => {
                if !(beta_1.is_finite() && *beta_1 > 0.0) {
                    return Err(Error::param(
                        "ladder",
                        format!("beta_1 must be > 0, got {beta_1}"),
                    ));
                }
            }
            Ladder::Explicit(b) => {
                ladder::check_explicit(b)?;
                if b.len() != self.replicas {
                    return Err(Error::param(
                        "ladder",
                        format!(
                            "{} inverse temperatures for {} replicas",
                            b.len(),
                            self.replicas
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Steps adapt, nothing is recorded.
    BurnIn,
    /// Samples are recorded.
    Sampling,
    /// All sweeps done.
    Done,
}

impl Phase {
    /// `burn-in`, `sampling` or `done`, for progress lines.
    pub fn label(self) -> &'static str {
        match self {
            Phase::BurnIn => "burn-in",
            Phase::Sampling => "sampling",
            Phase::Done => "done",
        }
    }
}

/// What the observer sees after each sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Sweeps done (burn-in included).
    pub sweep: usize,
    /// Sweeps in the whole run.
    pub total: usize,
    /// Current phase.
    pub phase: Phase,
    /// Mean Metropolis acceptance over rungs `β > 0` since the last reset (during
    /// burn-in: of the last adaptation window when the counters were just reset).
    pub acceptance: f64,
    /// Mean swap acceptance over neighbour pairs since the last reset.
    pub swap_rate: f64,
    /// Energy of the top rung.
    pub top_energy: f64,
}

/// How [`Remc::run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// All sweeps are done.
    Finished,
    /// The observer asked to stop; the sampler can be checkpointed and resumed.
    Interrupted,
}

/// Per-walker direction for counting round trips between the ends of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Heading {
    Unknown,
    Up,
    Down,
}

/// A replica-exchange sampler: settings, ladder, replica states, counters and samples.
/// Serialises completely (checkpoint); [`Remc::run`] continues where it stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Remc {
    settings: RemcSettings,
    names: Vec<String>,
    betas: Vec<f64>,
    replicas: Vec<Replica>,
    /// Largest step per parameter (the prior's proposal scale).
    max_steps: Vec<f64>,
    swap_rng: Pcg64Mcg,
    sweep: usize,
    adaptations: usize,
    /// Mean acceptance of the last adaptation window (for progress reports).
    #[serde(default)]
    window_acceptance: f64,
    swaps_tried: Vec<u64>,
    swaps_accepted: Vec<u64>,
    headings: Vec<Heading>,
    round_trips: usize,
    samples: Samples,
}

/// Seed of the random stream of rung `l` (`l = L` for the exchanges, `L + 1` for the
/// ladder's prior samples).
fn stream_seed(seed: u64, l: usize) -> u64 {
    seed ^ (l as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Remc {
    /// A sampler for `posterior`: checks the settings, chooses the ladder, sets the
    /// initial steps `s_j = C_j / max(1, β n)^{1/2}` (`C_j` the prior's proposal scale,
    /// `n` the number of data points) and draws the initial states from the prior.
    pub fn new<P: Posterior + ?Sized>(posterior: &P, settings: RemcSettings) -> Result<Self> {
        settings.validate()?;
        let priors = posterior.priors();
        let blocks = settings.block_indices(priors.names())?;
        let rungs = settings.replicas;
        let betas = match &settings.ladder {
            Ladder::Explicit(b) => b.clone(),
            Ladder::Geometric { beta_1 } => ladder::geometric(rungs, *beta_1, settings.beta_max),
            Ladder::Auto {
                overlap,
                prior_samples,
            } => {
                let mut rng = Pcg64Mcg::seed_from_u64(stream_seed(settings.seed, rungs + 1));
                let mut theta = vec![0.0; priors.len()];
                let energies = (0..*prior_samples)
                    .map(|_| {
                        priors.sample_into(&mut rng, &mut theta);
                        posterior.energy(&theta)
                    })
                    .collect::<Result<Vec<_>>>()?;
                let beta_1 = ladder::first_rung(&energies, *overlap, settings.beta_max)?;
                ladder::geometric(rungs, beta_1, settings.beta_max)
            }
        };
        let max_steps: Vec<f64> = priors.priors().iter().map(|p| p.proposal_scale()).collect();
        let n = posterior.n_data() as f64;
        let replicas = betas
            .iter()
            .enumerate()
            .map(|(l, &beta)| {
                let shrink = (beta * n).max(1.0).sqrt();
                let steps = max_steps.iter().map(|c| c / shrink).collect();
                Replica::from_prior(
                    posterior,
                    beta,
                    l,
                    steps,
                    &blocks,
                    stream_seed(settings.seed, l),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Remc {
            names: priors.names().to_vec(),
            samples: Samples::new(priors.names().to_vec(), betas.clone()),
            swap_rng: Pcg64Mcg::seed_from_u64(stream_seed(settings.seed, rungs)),
            swaps_tried: vec![0; rungs - 1],
            swaps_accepted: vec![0; rungs - 1],
            headings: vec![Heading::Unknown; rungs],
            round_trips: 0,
            sweep: 0,
            adaptations: 0,
            window_acceptance: 0.0,
            betas,
            replicas,
            max_steps,
            settings,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &RemcSettings {
        &self.settings
    }

    /// The inverse temperatures.
    pub fn betas(&self) -> &[f64] {
        &self.betas
    }

    /// Samples recorded so far.
    pub fn samples(&self) -> &Samples {
        &self.samples
    }

    /// Sweeps done so far (burn-in included).
    pub fn sweeps_done(&self) -> usize {
        self.sweep
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        if self.sweep < self.settings.burn_in {
            Phase::BurnIn
        } else if self.sweep < self.total_sweeps() {
            Phase::Sampling
        } else {
            Phase::Done
        }
    }

    fn total_sweeps(&self) -> usize {
        self.settings.burn_in + self.settings.sweeps
    }

    /// Extends a finished (or unfinished) run by `more` recorded sweeps.
    pub fn extend(&mut self, more: usize) {
        self.settings.sweeps += more;
    }

    /// Errors unless this sampler was made for a posterior with the same parameters
    /// (checked on resume from a checkpoint).
    pub fn check_posterior<P: Posterior + ?Sized>(&self, posterior: &P) -> Result<()> {
        let names = posterior.priors().names();
        if names != self.names.as_slice() {
            return Err(Error::Checkpoint(format!(
                "it samples ({}) but the model has ({})",
                self.names.join(", "),
                names.join(", ")
            )));
        }
        Ok(())
    }

    /// Runs sweeps until the run is complete or `observer` breaks after a sweep.
    pub fn run<P: Posterior + ?Sized>(
        &mut self,
        posterior: &P,
        observer: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
    ) -> Result<RunStatus> {
        self.check_posterior(posterior)?;
        while self.sweep < self.total_sweeps() {
            self.step(posterior)?;
            if observer(&self.progress()).is_break() {
                return Ok(RunStatus::Interrupted);
            }
        }
        Ok(RunStatus::Finished)
    }

    /// Mean Metropolis acceptance over the moving rungs since the counters were last
    /// reset; `None` right after a reset.
    fn mean_acceptance(&self) -> Option<f64> {
        let moving = &self.replicas[1..];
        if moving.iter().all(|r| r.proposed == 0) {
            return None;
        }
        let sum: f64 = moving
            .iter()
            .map(|r| {
                r.accepted.iter().sum::<u64>() as f64
                    / (r.proposed.max(1) * r.accepted.len() as u64) as f64
            })
            .sum();
        Some(sum / moving.len() as f64)
    }

    /// Progress after the last sweep.
    pub fn progress(&self) -> Progress {
        let acceptance = self.mean_acceptance().unwrap_or(self.window_acceptance);
        let rates = self.swap_rates();
        let swap_rate = rates.iter().sum::<f64>() / rates.len() as f64;
        Progress {
            sweep: self.sweep,
            total: self.total_sweeps(),
            phase: self.phase(),
            acceptance,
            swap_rate,
            top_energy: self.replicas[self.replicas.len() - 1].energy,
        }
    }

    /// One sweep: moves, exchanges, bookkeeping.
    fn step<P: Posterior + ?Sized>(&mut self, posterior: &P) -> Result<()> {
        self.move_replicas(posterior)?;
        self.exchange();
        self.track_walkers();
        self.sweep += 1;
        let burn_in = self.settings.burn_in;
        if self.sweep <= burn_in {
            self.replicas[1..]
                .iter_mut()
                .for_each(Replica::observe_for_blocks);
            if self.sweep.is_multiple_of(self.settings.adapt_every) {
                self.window_acceptance = self.mean_acceptance().unwrap_or(0.0);
                let s = &self.settings;
                let targets = (s.target_acceptance, s.block_target_acceptance);
                for r in &mut self.replicas[1..] {
                    r.adapt_steps(targets.0, targets.1, self.adaptations, &self.max_steps);
                }
                self.adaptations += 1;
            }
            if self.sweep == burn_in {
                self.reset_counters();
            }
        } else if (self.sweep - burn_in - 1).is_multiple_of(self.settings.thin) {
            self.samples.push(
                self.replicas
                    .iter()
                    .map(|r| (r.theta.as_slice(), r.energy, r.ln_prior)),
            );
        }
        Ok(())
    }

    /// Metropolis sweep of every replica, in parallel when enabled.
    fn move_replicas<P: Posterior + ?Sized>(&mut self, posterior: &P) -> Result<()> {
        #[cfg(feature = "rayon")]
        if self.settings.parallel {
            use rayon::prelude::*;
            return self
                .replicas
                .par_iter_mut()
                .zip(self.betas.par_iter())
                .try_for_each(|(r, &beta)| r.sweep(posterior, beta));
        }
        self.replicas
            .iter_mut()
            .zip(&self.betas)
            .try_for_each(|(r, &beta)| r.sweep(posterior, beta))
    }

    /// Neighbour exchanges `l ↔ l+1` for `l = 0, ..., L-2` in turn.
    fn exchange(&mut self) {
        for l in 0..self.replicas.len() - 1 {
            let d_beta = self.betas[l + 1] - self.betas[l];
            let d_energy = self.replicas[l + 1].energy - self.replicas[l].energy;
            // d_beta > 0: an infinite energy (a zero-likelihood prior draw at β = 0)
            // never moves up; NaN (∞ - ∞) never swaps.
            let ln_ratio = d_beta * d_energy;
            self.swaps_tried[l] += 1;
            if self.swap_rng.random::<f64>().ln() < ln_ratio {
                let (lower, upper) = self.replicas.split_at_mut(l + 1);
                Replica::swap_states(&mut lower[l], &mut upper[0]);
                self.swaps_accepted[l] += 1;
            }
        }
    }

    /// Counts a round trip when a walker reaches the bottom rung after having visited
    /// the top one.
    fn track_walkers(&mut self) {
        let bottom = self.replicas[0].walker;
        if self.headings[bottom] == Heading::Down {
            self.round_trips += 1;
        }
        self.headings[bottom] = Heading::Up;
        let top = self.replicas[self.replicas.len() - 1].walker;
        if self.headings[top] == Heading::Up {
            self.headings[top] = Heading::Down;
        }
    }

    /// Zeroes acceptance, swap and round-trip counters (at the end of burn-in).
    fn reset_counters(&mut self) {
        self.replicas.iter_mut().for_each(Replica::reset_counters);
        self.swaps_tried.iter_mut().for_each(|c| *c = 0);
        self.swaps_accepted.iter_mut().for_each(|c| *c = 0);
        self.round_trips = 0;
    }

    /// Swap acceptance rate of each neighbour pair since the last reset.
    fn swap_rates(&self) -> Vec<f64> {
        self.swaps_accepted
            .iter()
            .zip(&self.swaps_tried)
            .map(|(&a, &t)| a as f64 / t.max(1) as f64)
            .collect()
    }

    /// Acceptance, swap and round-trip statistics since burn-in (or since the start
    /// while still burning in).
    pub fn statistics(&self) -> SamplerStatistics {
        SamplerStatistics {
            betas: self.betas.clone(),
            acceptance: self
                .replicas
                .iter()
                .map(|r| {
                    r.accepted
                        .iter()
                        .map(|&a| a as f64 / r.proposed.max(1) as f64)
                        .collect()
                })
                .collect(),
            steps: self.replicas.iter().map(|r| r.steps.clone()).collect(),
            swap_rates: self.swap_rates(),
            round_trips: self.round_trips,
        }
    }
}

/// Sampler statistics: what tells whether the ladder and steps were adequate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerStatistics {
    /// Inverse temperature of each rung.
    pub betas: Vec<f64>,
    /// Metropolis acceptance rate per rung and parameter (1 at `β = 0`, which draws
    /// from the prior).
    pub acceptance: Vec<Vec<f64>>,
    /// Final random-walk half-width per rung and parameter.
    pub steps: Vec<Vec<f64>>,
    /// Swap acceptance rate of each neighbour pair `(l, l+1)`.
    pub swap_rates: Vec<f64>,
    /// Completed bottom-top-bottom round trips of walkers.
    pub round_trips: usize,
}
