//! Moving-block bootstrap over recorded sweeps, for the error bars of the free-energy
//! estimators.
//!
//! Samples of one run are autocorrelated, so resampling single sweeps would understate
//! the error. Blocks of consecutive sweeps, longer than the correlation time, are drawn
//! with replacement; the same sweeps are used for every rung, which keeps the
//! correlation that exchanges create between neighbouring rungs.
//!
//! The correlation time that matters is that of the estimate, not of one rung: a walker
//! in an unusual state leaves a rung after a few sweeps but carries the state to the
//! neighbouring rungs, so the energy at a fixed rung decorrelates faster than the sum
//! over rungs that the free energy is made of. The automatic block therefore covers the
//! correlation time of the thermodynamic-integration series
//! `s(t) = Σ_l (β_l - β_{l-1}) E_l(t)` (two to three times that of the slowest rung on
//! a linear-Gaussian test problem) and is at least `√n` sweeps: the autocorrelation of
//! `s` has a slowly decaying tail from walkers diffusing along the ladder that the
//! windowed `τ` misses (batch means of `s` keep growing up to batches of about 100
//! sweeps on that problem, where `2τ` is 7 to 20).

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use crate::diagnostics::integrated_time;
use crate::remc::Samples;

/// Bootstrap settings. Defaults: 100 replicates, block length automatic, seed 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Number of bootstrap replicates (0: no error bar).
    pub replicates: usize,
    /// Block length in recorded sweeps; `None`: the larger of `ceil(2 τ)` and
    /// `ceil(√n)`, `τ` the largest integrated autocorrelation time of the energy of any
    /// rung and of the series `s(t)`, `n` the number of recorded sweeps; at most a
    /// twentieth of the run.
    pub block: Option<usize>,
    /// Seed of the resampling.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            replicates: 100,
            block: None,
            seed: 0,
        }
    }
}

impl Bootstrap {
    /// The block length used for `samples`.
    pub fn block_length(&self, samples: &Samples) -> usize {
        let n = samples.len();
        let auto = || {
            let betas = samples.betas();
            let mut series = vec![0.0; n];
            let mut tau = 1.0_f64;
            for l in 1..samples.n_rungs() {
                let e = samples.energies(l);
                tau = tau.max(integrated_time(&e, 5.0));
                let d_beta = betas[l] - betas[l - 1];
                series
                    .iter_mut()
                    .zip(&e)
                    .for_each(|(s, e)| *s += d_beta * e);
            }
            let tau = tau.max(integrated_time(&series, 5.0));
            (2.0 * tau).max((n as f64).sqrt()).ceil() as usize
        };
        self.block.unwrap_or_else(auto).clamp(1, (n / 20).max(1))
    }

    /// The block length and the resampled sweep indices of every replicate.
    pub fn resamples(&self, samples: &Samples) -> (usize, Vec<Vec<usize>>) {
        let n = samples.len();
        let block = self.block_length(samples);
        let mut rng = Pcg64Mcg::seed_from_u64(self.seed);
        let replicates = (0..self.replicates)
            .map(|_| {
                let mut idx = Vec::with_capacity(n + block);
                while idx.len() < n {
                    let start = rng.random_range(0..=n - block);
                    idx.extend(start..start + block);
                }
                idx.truncate(n);
                idx
            })
            .collect();
        (block, replicates)
    }
}

/// Sample standard deviation of each column of `rows` (replicates x values).
pub(crate) fn column_sd(rows: &[Vec<f64>]) -> Vec<f64> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let r = rows.len() as f64;
    (0..first.len())
        .map(|k| {
            let mean = rows.iter().map(|row| row[k]).sum::<f64>() / r;
            let var =
                rows.iter().map(|row| (row[k] - mean).powi(2)).sum::<f64>() / (r - 1.0).max(1.0);
            var.sqrt()
        })
        .collect()
}
