//! Inverse-temperature ladders `0 = β_0 < β_1 < ... < β_{L-1} = β_max`.
//!
//! The automatic ladder follows the originating group's exchange Monte Carlo code:
//! `β_1` is set from energies of prior samples so that the first tempered distribution
//! still overlaps the prior, and the remaining rungs are geometric up to `β_max`.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How the inverse temperatures are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Ladder {
    /// `β_1` from prior samples such that the Boltzmann-weighted mean rank of the sorted
    /// prior energies is `overlap` times the unweighted one (`2 Σ i w_i / ((S-1) Σ w_i)
    /// = overlap`, `w_i = exp(-β_1 (E_i - E_min))`), then geometric to `β_max`.
    Auto {
        /// Target relative mean rank in `(0, 1)`; 0.5 in the originating code.
        overlap: f64,
        /// Number of prior samples `S` used to set `β_1`.
        prior_samples: usize,
    },
    /// `β_0 = 0` and a geometric ladder from `beta_1` to `β_max`.
    Geometric {
        /// The smallest non-zero inverse temperature.
        beta_1: f64,
    },
    /// The inverse temperatures themselves: increasing, starting at 0.
    Explicit(Vec<f64>),
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder::Auto {
            overlap: 0.5,
            prior_samples: 1000,
        }
    }
}

/// `β_0 = 0` then `rungs - 1` values geometric from `beta_1` to `beta_max`; if
/// `beta_1 >= beta_max` the likelihood is too weak to need tempering and the rungs are
/// evenly spaced instead.
pub(crate) fn geometric(rungs: usize, beta_1: f64, beta_max: f64) -> Vec<f64> {
    let mut betas = vec![0.0; rungs];
    let top = rungs - 1;
    if beta_1 >= beta_max {
        for (l, b) in betas.iter_mut().enumerate() {
            *b = beta_max * l as f64 / top as f64;
        }
        return betas;
    }
    let ratio = (beta_max / beta_1).ln();
    for (l, b) in betas.iter_mut().enumerate().skip(1) {
        *b = if top == 1 {
            beta_max
        } else {
            beta_1 * (ratio * (l - 1) as f64 / (top - 1) as f64).exp()
        };
    }
    betas[top] = beta_max;
    betas
}

/// `β_1` such that the Boltzmann-weighted mean rank of the sorted prior-sample energies,
/// relative to the unweighted mean rank, equals `overlap` (bisection in
/// `[0, 1.1 β_max]`). Infinite energies (zero likelihood) count as the highest ranks.
pub(crate) fn first_rung(energies: &[f64], overlap: f64, beta_max: f64) -> Result<f64> {
    let mut e: Vec<f64> = energies.iter().copied().filter(|e| !e.is_nan()).collect();
    if e.len() < 2 {
        return Err(Error::numerical(
            "automatic ladder",
            "fewer than two prior samples",
        ));
    }
    e.sort_by(f64::total_cmp);
    let e_min = e[0];
    if !e_min.is_finite() {
        return Err(Error::numerical(
            "automatic ladder",
            "every prior sample has zero likelihood; narrow the priors",
        ));
    }
    let s = e.len();
    let relative_rank = |beta: f64| {
        let (mut num, mut den) = (0.0, 0.0);
        for (i, &ei) in e.iter().enumerate() {
            let w = (-(beta * (ei - e_min))).exp();
            num += i as f64 * w;
            den += w;
        }
        2.0 * num / ((s - 1) as f64 * den)
    };
    let (mut lo, mut hi) = (0.0, 1.1 * beta_max);
    if relative_rank(hi) > overlap {
        return Ok(beta_max);
    }
    while hi - lo > 1e-3 * hi.max(1e-300) {
        let mid = 0.5 * (lo + hi);
        if relative_rank(mid) > overlap {
            lo = mid
        } else {
            hi = mid
        }
    }
    Ok(hi.min(beta_max))
}

/// Checks an explicit ladder: at least two rungs, starting at 0, strictly increasing,
/// finite.
pub(crate) fn check_explicit(betas: &[f64]) -> Result<()> {
    if betas.len() < 2 {
        return Err(Error::param(
            "ladder",
            "needs at least two inverse temperatures",
        ));
    }
    if betas[0] != 0.0 {
        return Err(Error::param(
            "ladder",
            format!("must start at beta = 0 (the prior), got {}", betas[0]),
        ));
    }
    if let Some(w) = betas
        .windows(2)
        .find(|w| !(w[1] > w[0] && w[1].is_finite()))
    {
        return Err(Error::param(
            "ladder",
            format!(
                "inverse temperatures must increase and be finite, got {} then {}",
                w[0], w[1]
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_ladder_has_constant_ratio() {
        let b = geometric(6, 1e-3, 1.0);
        assert_eq!(b[0], 0.0);
        assert_eq!(b[5], 1.0);
        assert!((b[1] - 1e-3).abs() < 1e-15);
        for w in b[1..].windows(2) {
            assert!((w[1] / w[0] - 10f64.powf(0.75)).abs() < 1e-12);
        }
        assert_eq!(geometric(3, 2.0, 1.0), vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn first_rung_solves_the_rank_condition() {
        // Energies 0, 1, ..., S-1: the relative mean rank at β is a smooth decreasing
        // function; check the condition holds at the returned β.
        let e: Vec<f64> = (0..1000).map(|i| i as f64 * 0.01).collect();
        let b = first_rung(&e, 0.5, 1000.0).unwrap();
        let w: Vec<f64> = e.iter().map(|x| (-b * x).exp()).collect();
        let rank: f64 = w.iter().enumerate().map(|(i, w)| i as f64 * w).sum::<f64>() * 2.0
            / (999.0 * w.iter().sum::<f64>());
        assert!((rank - 0.5).abs() < 2e-3, "{rank} at beta {b}");
        // The root of that condition, by bisection outside the code: beta = 0.35884.
        assert!((b - 0.35884).abs() < 1e-3, "beta {b}");
        // A likelihood that is flat over the prior needs no tempering.
        assert_eq!(first_rung(&[1.0, 1.0, 1.0], 0.5, 1.0).unwrap(), 1.0);
        assert!(first_rung(&[f64::INFINITY; 5], 0.5, 1.0).is_err());
    }

    #[test]
    fn explicit_ladders_are_checked() {
        assert!(check_explicit(&[0.0, 0.5, 1.0]).is_ok());
        assert!(check_explicit(&[0.1, 1.0]).is_err());
        assert!(check_explicit(&[0.0, 0.5, 0.5]).is_err());
        assert!(check_explicit(&[0.0]).is_err());
    }
}
