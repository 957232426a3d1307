//! Samples recorded after burn-in: the parameters, energy and log prior of every rung at
//! every recorded sweep.

use serde::{Deserialize, Serialize};

/// Samples of every rung, stored sweep-major: `theta[(s * rungs + l) * params + j]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    names: Vec<String>,
    betas: Vec<f64>,
    theta: Vec<f64>,
    #[serde(with = "super::checkpoint::non_finite_vec")]
    energy: Vec<f64>,
    #[serde(with = "super::checkpoint::non_finite_vec")]
    ln_prior: Vec<f64>,
}

impl Samples {
    /// Empty storage for parameters `names` on the ladder `betas`.
    pub fn new(names: Vec<String>, betas: Vec<f64>) -> Self {
        Samples {
            names,
            betas,
            theta: Vec::new(),
            energy: Vec::new(),
            ln_prior: Vec::new(),
        }
    }

    /// Appends one sweep: for each rung its parameters, energy and log prior.
    pub(crate) fn push<'a>(&mut self, rungs: impl Iterator<Item = (&'a [f64], f64, f64)>) {
        for (theta, energy, ln_prior) in rungs {
            self.theta.extend_from_slice(theta);
            self.energy.push(energy);
            self.ln_prior.push(ln_prior);
        }
    }

    /// Parameter names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The inverse temperatures of the rungs.
    pub fn betas(&self) -> &[f64] {
        &self.betas
    }

    /// Number of rungs.
    pub fn n_rungs(&self) -> usize {
        self.betas.len()
    }

    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.names.len()
    }

    /// Number of recorded sweeps.
    pub fn len(&self) -> usize {
        self.energy.len() / self.betas.len().max(1)
    }

    /// True before the first recorded sweep.
    pub fn is_empty(&self) -> bool {
        self.energy.is_empty()
    }

    /// Index of the rung at the top of the ladder (the posterior when `β_max = 1`).
    pub fn top(&self) -> usize {
        self.betas.len() - 1
    }

    /// Parameters of rung `rung` at recorded sweep `s`.
    pub fn theta(&self, s: usize, rung: usize) -> &[f64] {
        let d = self.names.len();
        let at = (s * self.betas.len() + rung) * d;
        &self.theta[at..at + d]
    }

    /// Energy of rung `rung` at recorded sweep `s`.
    pub fn energy(&self, s: usize, rung: usize) -> f64 {
        self.energy[s * self.betas.len() + rung]
    }

    /// Log prior density of rung `rung` at recorded sweep `s`.
    pub fn ln_prior(&self, s: usize, rung: usize) -> f64 {
        self.ln_prior[s * self.betas.len() + rung]
    }

    /// The energy trace of one rung.
    pub fn energies(&self, rung: usize) -> Vec<f64> {
        (0..self.len()).map(|s| self.energy(s, rung)).collect()
    }

    /// The trace of parameter `j` at one rung.
    pub fn trace(&self, rung: usize, j: usize) -> Vec<f64> {
        (0..self.len()).map(|s| self.theta(s, rung)[j]).collect()
    }
}
