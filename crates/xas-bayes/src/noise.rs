//! The noise level from the Bayes free energy (Tokuda, Nagata & Okada, JPSJ 86, 024001
//! (2017)).
//!
//! With Gaussian noise of precision `b = 1/σ²` the likelihood is
//! `(b/2π)^{n/2} exp(-b H(θ))`, `H = ½ Σ r_i²`. A run on the energy `H`
//! ([`crate::posterior::Noise::Estimated`]) samples `exp(-β H) φ` at every rung, so each
//! inverse temperature is a noise precision and
//! `F(b) = -(n/2) ln(b / 2π) - ln Z(b)` follows for every rung from one run. The
//! estimate `b̂` minimises `F`; it is refined by a parabola through the three rungs
//! around the minimum in `ln b`.

use serde::{Deserialize, Serialize};

use crate::evidence::FreeEnergy;
use crate::{Error, Result};

/// The free energy against the noise level, and its minimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseScan {
    /// Noise standard deviation `σ = b^{-1/2}` of each rung `β > 0`.
    pub sigma: Vec<f64>,
    /// `F(σ)` in nats.
    pub free_energy: Vec<f64>,
    /// Bootstrap error of each `F(σ)`.
    pub error: Vec<f64>,
    /// Rung (index into the vectors above) of the smallest `F`.
    pub best: usize,
    /// `σ̂` from the parabola through the minimum and its neighbours.
    pub sigma_hat: f64,
    /// `F` at `σ̂` from the same parabola.
    pub free_energy_min: f64,
}

/// `F(σ)` on every rung of a run on the energy `½ Σ r²` with `n_points` data points.
pub fn scan(ln_z: &FreeEnergy, n_points: usize) -> Result<NoiseScan> {
    let n = n_points as f64;
    let rungs: Vec<usize> = (0..ln_z.betas.len())
        .filter(|&l| ln_z.betas[l] > 0.0)
        .collect();
    if rungs.len() < 3 {
        return Err(Error::param(
            "ladder",
            "noise estimation needs at least three rungs with beta > 0",
        ));
    }
    let sigma: Vec<f64> = rungs.iter().map(|&l| ln_z.betas[l].powf(-0.5)).collect();
    let f: Vec<f64> = rungs
        .iter()
        .map(|&l| -0.5 * n * (ln_z.betas[l] / (2.0 * std::f64::consts::PI)).ln() - ln_z.ln_z[l])
        .collect();
    let best = (0..f.len())
        .min_by(|&a, &b| f[a].total_cmp(&f[b]))
        .unwrap_or(0);
    if best == 0 || best == f.len() - 1 {
        return Err(Error::numerical(
            "noise estimation",
            format!(
                "the free energy is smallest at the end of the ladder (sigma = {:.3e}); extend beta_max or the ladder",
                sigma[best]
            ),
        ));
    }
    // Parabola in t = ln b through (t_{i-1}, F_{i-1}), (t_i, F_i), (t_{i+1}, F_{i+1}).
    let t: Vec<f64> = [best - 1, best, best + 1]
        .iter()
        .map(|&i| ln_z.betas[rungs[i]].ln())
        .collect();
    let y = [f[best - 1], f[best], f[best + 1]];
    let d1 = (y[1] - y[0]) / (t[1] - t[0]);
    let d2 = (y[2] - y[1]) / (t[2] - t[1]);
    let curvature = (d2 - d1) / (t[2] - t[0]);
    let (t_hat, f_min) = if curvature > 0.0 {
        // p(t) = y0 + d1 (t - t0) + c (t - t0)(t - t1) has p'(t) = 0 at
        // t = (t0 + t1)/2 - d1 / (2c).
        let t_hat = (0.5 * (t[0] + t[1]) - d1 / (2.0 * curvature)).clamp(t[0], t[2]);
        let f_hat = y[0] + d1 * (t_hat - t[0]) + curvature * (t_hat - t[0]) * (t_hat - t[1]);
        (t_hat, f_hat)
    } else {
        (t[1], y[1])
    };
    Ok(NoiseScan {
        error: rungs.iter().map(|&l| ln_z.ln_z_err[l]).collect(),
        sigma,
        free_energy: f,
        best,
        sigma_hat: (-0.5 * t_hat).exp(),
        free_energy_min: f_min,
    })
}
