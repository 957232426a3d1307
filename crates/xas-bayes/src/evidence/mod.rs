//! Bayes free energy `F = -ln Z`, `Z = ∫ exp(-E(θ)) φ(θ) dθ`, from a replica-exchange
//! run, by two independent estimators with block-bootstrap error bars:
//! [`stepping_stone`] (bridge sampling between neighbouring rungs, the originating
//! group's estimator) and [`wham`] (multiple histogram, bin-less).
//!
//! Both give `ln Z(β)` at every rung, which noise estimation uses to turn the ladder
//! into a grid of noise levels.

mod bootstrap;
mod stepping_stone;
mod wham;

use serde::{Deserialize, Serialize};

pub use bootstrap::Bootstrap;
use bootstrap::column_sd;

use crate::remc::Samples;
use crate::{Error, Result};

/// Which estimator produced a [`FreeEnergy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Estimator {
    /// Stepping-stone (bridge) sampling.
    SteppingStone,
    /// Multiple-histogram method, bin-less (MBAR).
    Wham,
}

/// `ln Z(β_l)` at every rung with bootstrap standard errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreeEnergy {
    /// The estimator.
    pub estimator: Estimator,
    /// Inverse temperature of each rung.
    pub betas: Vec<f64>,
    /// `ln Z(β_l) = ln ∫ exp(-β_l E) φ dθ` (0 at `β = 0`).
    pub ln_z: Vec<f64>,
    /// Bootstrap standard error of each `ln Z(β_l)` (zeros without bootstrap).
    pub ln_z_err: Vec<f64>,
    /// Block length of the bootstrap, in recorded sweeps.
    pub block: usize,
}

impl FreeEnergy {
    /// `F = -ln Z` at the top of the ladder (nats).
    pub fn free_energy(&self) -> f64 {
        -self.ln_z[self.ln_z.len() - 1]
    }

    /// Bootstrap standard error of [`FreeEnergy::free_energy`].
    pub fn error(&self) -> f64 {
        self.ln_z_err[self.ln_z_err.len() - 1]
    }
}

fn check(samples: &Samples) -> Result<()> {
    if samples.len() < 2 {
        return Err(Error::numerical(
            "free energy",
            "needs at least two recorded sweeps",
        ));
    }
    if samples.betas()[0] != 0.0 {
        return Err(Error::numerical(
            "free energy",
            "the ladder must start at beta = 0",
        ));
    }
    Ok(())
}

/// Stepping-stone estimate of `ln Z` at every rung.
pub fn stepping_stone(samples: &Samples, bootstrap: &Bootstrap) -> Result<FreeEnergy> {
    check(samples)?;
    let all: Vec<usize> = (0..samples.len()).collect();
    let (block, resamples) = bootstrap.resamples(samples);
    let reps: Vec<Vec<f64>> = resamples
        .iter()
        .map(|idx| stepping_stone::ln_z(samples, idx))
        .collect();
    Ok(FreeEnergy {
        estimator: Estimator::SteppingStone,
        betas: samples.betas().to_vec(),
        ln_z: stepping_stone::ln_z(samples, &all),
        ln_z_err: errors(&reps, samples.n_rungs()),
        block,
    })
}

/// Multiple-histogram (bin-less WHAM) estimate of `ln Z` at every rung; bootstrap
/// replicates run in parallel when the `rayon` feature is on.
pub fn wham(samples: &Samples, bootstrap: &Bootstrap) -> Result<FreeEnergy> {
    check(samples)?;
    let all: Vec<usize> = (0..samples.len()).collect();
    let start = stepping_stone::ln_z(samples, &all);
    let ln_z = wham::ln_z(samples, &all, &start)?;
    let (block, resamples) = bootstrap.resamples(samples);
    let one = |idx: &Vec<usize>| wham::ln_z(samples, idx, &ln_z);
    #[cfg(feature = "rayon")]
    let reps: Vec<Vec<f64>> = {
        use rayon::prelude::*;
        resamples.par_iter().map(one).collect::<Result<_>>()?
    };
    #[cfg(not(feature = "rayon"))]
    let reps: Vec<Vec<f64>> = resamples.iter().map(one).collect::<Result<_>>()?;
    Ok(FreeEnergy {
        estimator: Estimator::Wham,
        betas: samples.betas().to_vec(),
        ln_z,
        ln_z_err: errors(&reps, samples.n_rungs()),
        block,
    })
}

/// Column standard deviations of the replicates, or zeros without replicates.
fn errors(reps: &[Vec<f64>], rungs: usize) -> Vec<f64> {
    if reps.len() < 2 {
        vec![0.0; rungs]
    } else {
        column_sd(reps)
    }
}
