//! Stepping-stone (bridge) estimator of `ln Z(β)` along the ladder:
//! `ln Z(β_{l+1}) - ln Z(β_l) = ln ⟨exp(-(β_{l+1} - β_l) E)⟩_{p_l}`, the average over
//! the samples of rung `l`, accumulated from `ln Z(0) = 0`.

use crate::remc::Samples;

/// `ln Z(β_l)` for every rung from the sweeps `idx`.
pub(crate) fn ln_z(samples: &Samples, idx: &[usize]) -> Vec<f64> {
    let betas = samples.betas();
    let mut out = vec![0.0; betas.len()];
    for l in 0..betas.len() - 1 {
        let d_beta = betas[l + 1] - betas[l];
        let terms = idx.iter().map(|&s| -d_beta * samples.energy(s, l));
        out[l + 1] = out[l] + ln_mean_exp(terms, idx.len());
    }
    out
}

/// `ln((1/n) Σ exp(t_i))` without overflow.
fn ln_mean_exp(terms: impl Iterator<Item = f64> + Clone, n: usize) -> f64 {
    let max = terms.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    let sum: f64 = terms.map(|t| (t - max).exp()).sum();
    max + (sum / n as f64).ln()
}
