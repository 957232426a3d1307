//! Moving-block bootstrap over recorded sweeps, for the error bars of the free-energy
//! estimators.
//!
//! Samples of one run are autocorrelated, so resampling single sweeps would understate
//! the error. Blocks of consecutive sweeps, longer than the correlation time, are drawn
//! with replacement; the same sweeps are used for every rung, which keeps the
//! correlation that exchanges create between neighbouring rungs.

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
    /// Block length in recorded sweeps; `None`: `ceil(2 τ)`, `τ` the largest integrated
    /// autocorrelation time of the energy over rungs, at most a twentieth of the run.
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
            let tau = (1..samples.n_rungs())
                .map(|l| integrated_time(&samples.energies(l), 5.0))
                .fold(1.0, f64::max);
            (2.0 * tau).ceil() as usize
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
