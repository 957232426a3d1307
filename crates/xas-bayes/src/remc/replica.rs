//! One replica: a parameter vector at one rung of the ladder, its random-walk steps and
//! block moves, its own random-number stream, and the Metropolis sweep.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use super::block::BlockMove;
use crate::posterior::Posterior;
use crate::{Error, Result};

/// Robbins-Monro gain `c` of the step adaptation (originating code: 4).
const ADAPT_GAIN: f64 = 4.0;
/// Offset `N_0` of the Robbins-Monro denominator (originating code: 15).
const ADAPT_OFFSET: f64 = 15.0;
/// Prior draws tried before giving up on finding a state with non-zero likelihood.
const MAX_INITIAL_DRAWS: usize = 10_000;

/// The state of one rung.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Replica {
    /// Current parameters.
    pub theta: Vec<f64>,
    /// `E(θ)`.
    #[serde(with = "super::checkpoint::non_finite")]
    pub energy: f64,
    /// `ln φ(θ)`.
    #[serde(with = "super::checkpoint::non_finite")]
    pub ln_prior: f64,
    /// Which walker (state history) currently sits on this rung; walkers move between
    /// rungs by exchanges, rungs keep their steps and random streams.
    pub walker: usize,
    /// Random-walk half-width per parameter.
    pub steps: Vec<f64>,
    /// Accepted moves per parameter since the counters were reset.
    pub accepted: Vec<u64>,
    /// Proposed moves per parameter since the counters were reset.
    pub proposed: u64,
    /// Groups of parameters moved jointly (the other parameters move one at a time).
    pub blocks: Vec<BlockMove>,
    /// Whether parameter `j` belongs to a block.
    in_block: Vec<bool>,
    rng: Pcg64Mcg,
}

/// The energy at `theta`, with a NaN turned into an error that names the parameters.
fn checked_energy<P: Posterior + ?Sized>(posterior: &P, theta: &[f64]) -> Result<f64> {
    let e = posterior.energy(theta)?;
    if e.is_nan() {
        let at: Vec<String> = posterior
            .priors()
            .names()
            .iter()
            .zip(theta)
            .map(|(n, v)| format!("{n} = {v}"))
            .collect();
        return Err(Error::model("energy", format!("NaN at {}", at.join(", "))));
    }
    Ok(e)
}

impl Replica {
    /// A replica drawn from the prior with its own stream `seed`; at `beta > 0` the draw
    /// is repeated until the likelihood is non-zero. `blocks` are disjoint groups of
    /// parameter indices moved jointly.
    pub fn from_prior<P: Posterior + ?Sized>(
        posterior: &P,
        beta: f64,
        walker: usize,
        steps: Vec<f64>,
        blocks: &[Vec<usize>],
        seed: u64,
    ) -> Result<Self> {
        let n = posterior.priors().len();
        let mut in_block = vec![false; n];
        blocks.iter().flatten().for_each(|&j| in_block[j] = true);
        let mut replica = Replica {
            blocks: blocks
                .iter()
                .map(|b| BlockMove::new(b.clone(), &steps))
                .collect(),
            in_block,
            theta: vec![0.0; n],
            energy: f64::INFINITY,
            ln_prior: 0.0,
            walker,
            steps,
            accepted: vec![0; n],
            proposed: 0,
            rng: Pcg64Mcg::seed_from_u64(seed),
        };
        for _ in 0..MAX_INITIAL_DRAWS {
            replica.draw_from_prior(posterior)?;
            if beta == 0.0 || replica.energy.is_finite() {
                return Ok(replica);
            }
        }
        Err(Error::numerical(
            "initialisation",
            format!(
                "none of {MAX_INITIAL_DRAWS} prior draws has a non-zero likelihood; narrow the priors"
            ),
        ))
    }

    /// Replaces the state by an independent prior draw (the move of the `β = 0` rung).
    fn draw_from_prior<P: Posterior + ?Sized>(&mut self, posterior: &P) -> Result<()> {
        let priors = posterior.priors();
        priors.sample_into(&mut self.rng, &mut self.theta);
        self.ln_prior = priors.ln_density(&self.theta);
        self.energy = checked_energy(posterior, &self.theta)?;
        Ok(())
    }

    /// One sweep at inverse temperature `beta`: a prior draw at `β = 0`; otherwise one
    /// joint move per block (see [`BlockMove`]), then one random-walk move per other
    /// parameter, `θ_j' = θ_j + u s_j` with `u ~ U(-1, 1)`. Every move is accepted with
    /// probability `min(1, exp(-β ΔE + Δ ln φ))`.
    pub fn sweep<P: Posterior + ?Sized>(&mut self, posterior: &P, beta: f64) -> Result<()> {
        self.proposed += 1;
        if beta == 0.0 {
            self.draw_from_prior(posterior)?;
            self.accepted.iter_mut().for_each(|a| *a += 1);
            return Ok(());
        }
        let mut proposal = self.theta.clone();
        for b in 0..self.blocks.len() {
            self.blocks[b].propose(&mut self.rng, &mut proposal);
            self.blocks[b].proposed += 1;
            if self.metropolis(posterior, beta, &mut proposal)? {
                self.blocks[b].accepted += 1;
                for &j in &self.blocks[b].members {
                    self.accepted[j] += 1;
                }
            }
        }
        for j in 0..self.theta.len() {
            if self.in_block[j] {
                continue;
            }
            proposal[j] += self.steps[j] * (2.0 * self.rng.random::<f64>() - 1.0);
            if self.metropolis(posterior, beta, &mut proposal)? {
                self.accepted[j] += 1;
            }
        }
        Ok(())
    }

    /// The Metropolis test of `proposal` against the current state: on acceptance the
    /// state becomes `proposal`, otherwise `proposal` is reset to the state.
    fn metropolis<P: Posterior + ?Sized>(
        &mut self,
        posterior: &P,
        beta: f64,
        proposal: &mut [f64],
    ) -> Result<bool> {
        let ln_prior = posterior.priors().ln_density(proposal);
        let accept = ln_prior != f64::NEG_INFINITY && {
            let energy = checked_energy(posterior, proposal)?;
            let ln_ratio = -beta * (energy - self.energy) + (ln_prior - self.ln_prior);
            let accept = self.rng.random::<f64>().ln() < ln_ratio;
            if accept {
                self.energy = energy;
                self.ln_prior = ln_prior;
            }
            accept
        };
        if accept {
            self.theta.copy_from_slice(proposal);
        } else {
            proposal.copy_from_slice(&self.theta);
        }
        Ok(accept)
    }

    /// Adds the current state to the covariance windows of the blocks (burn-in).
    pub fn observe_for_blocks(&mut self) {
        for b in &mut self.blocks {
            b.observe(&self.theta);
        }
    }

    /// Robbins-Monro update of every component-wise step towards `target` from the
    /// counters since the last reset, `s ← s (1 + c (a - a*) / (N_0 + t))`, `t` the
    /// number of earlier updates; steps stay in `(0, max_steps]`. Blocks adapt towards
    /// `block_target` (see [`BlockMove::adapt`]). Resets the counters.
    pub fn adapt_steps(&mut self, target: f64, block_target: f64, t: usize, max_steps: &[f64]) {
        if self.proposed == 0 {
            return;
        }
        let g = ADAPT_GAIN / (ADAPT_OFFSET + t as f64);
        for (j, &cap) in max_steps.iter().enumerate() {
            if !self.in_block[j] {
                let rate = self.accepted[j] as f64 / self.proposed as f64;
                self.steps[j] =
                    (self.steps[j] * (1.0 + g * (rate - target))).clamp(cap * 1e-12, cap);
            }
        }
        for b in &mut self.blocks {
            b.adapt(block_target);
        }
        self.reset_counters();
    }

    /// Zeroes the acceptance counters.
    pub fn reset_counters(&mut self) {
        self.accepted.iter_mut().for_each(|a| *a = 0);
        self.proposed = 0;
        for b in &mut self.blocks {
            b.accepted = 0;
            b.proposed = 0;
        }
    }

    /// Exchanges the states (not steps, streams or counters) of two replicas.
    pub fn swap_states(a: &mut Replica, b: &mut Replica) {
        std::mem::swap(&mut a.theta, &mut b.theta);
        std::mem::swap(&mut a.energy, &mut b.energy);
        std::mem::swap(&mut a.ln_prior, &mut b.ln_prior);
        std::mem::swap(&mut a.walker, &mut b.walker);
    }
}
