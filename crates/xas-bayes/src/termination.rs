//! When to stop a measurement that accumulates in cycles.
//!
//! * [`CycleAccumulator`]: for models linear in their amplitudes (a magnetic Compton
//!   profile `a_3d J_3d + a_4s J_4s`, any sum of fixed components) the posterior after
//!   each cycle is Gaussian and exact ([`crate::linear`]); counts are summed over cycles
//!   and the Poisson variance of each point is taken as `max(counts, 1)`.
//! * [`StopRule`]: stop when the posterior sd of a chosen quantity falls below a target,
//!   or when it has stopped shrinking (plateau).
//! * [`kde_l1_distance`] and [`kde_converged_at`]: the rule for data without a
//!   parametric model (the seed's SAXS case): stop when the kernel density estimate of
//!   the accumulating samples no longer changes between steps.

use serde::{Deserialize, Serialize};

use crate::linear::{LinearGaussian, LinearPosterior};
use crate::special::normal_cdf;
use crate::{Error, Result};

/// A stopping rule over the posterior sd of one quantity after each cycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum StopRule {
    /// Stop at the first cycle whose sd is at most `sd`.
    Target {
        /// Target standard deviation (units of the quantity).
        sd: f64,
    },
    /// Stop at the first cycle `c > window` with
    /// `|sd_c - sd_(c-window)| ≤ rel_change · sd_c`: more cycles no longer help.
    Plateau {
        /// Cycles looked back.
        window: usize,
        /// Relative change below which the sd counts as flat.
        rel_change: f64,
    },
}

impl StopRule {
    /// The first cycle (1-based) at which the rule stops, given the sd after each cycle.
    pub fn first_stop(&self, sds: &[f64]) -> Option<usize> {
        match *self {
            StopRule::Target { sd } => sds.iter().position(|&s| s <= sd).map(|i| i + 1),
            StopRule::Plateau { window, rel_change } => (window.max(1)..sds.len())
                .find(|&i| (sds[i] - sds[i - window.max(1)]).abs() <= rel_change * sds[i])
                .map(|i| i + 1),
        }
    }
}

/// Exact posterior of the amplitudes of fixed components as counts accumulate.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleAccumulator {
    problem: LinearGaussian,
    /// Summed variances of the accumulated data.
    variance: Vec<f64>,
    cycles: usize,
}

impl CycleAccumulator {
    /// Components `design` (`n x d`, row-major: column `j` is component `j` at the `n`
    /// points, in counts per cycle per unit amplitude) with a Gaussian prior.
    pub fn new(
        design: Vec<f64>,
        n_params: usize,
        prior_mean: Vec<f64>,
        prior_cov: Vec<f64>,
    ) -> Result<Self> {
        if n_params == 0 || !design.len().is_multiple_of(n_params) {
            return Err(Error::param(
                "design",
                "length must be a multiple of the number of parameters",
            ));
        }
        let n = design.len() / n_params;
        Ok(CycleAccumulator {
            variance: vec![0.0; n],
            problem: LinearGaussian {
                design,
                n_params,
                y: vec![0.0; n],
                sigma: vec![1.0; n],
                prior_mean,
                prior_cov,
            },
            cycles: 0,
        })
    }

    /// Adds one cycle of counts and returns the posterior of the amplitudes per cycle
    /// given all counts so far: after `c` cycles the data are the summed counts, the
    /// model `c · A θ` and the variance `max(counts, 1)`.
    pub fn add_cycle(&mut self, counts: &[f64]) -> Result<LinearPosterior> {
        self.add_cycle_with_variance(counts, counts)
    }

    /// Adds one cycle of values with their variances (e.g. a difference of two count
    /// channels `N+ - N-` with variance `N+ + N-`) and returns the posterior given all
    /// cycles so far; variances are summed and floored at 1.
    pub fn add_cycle_with_variance(
        &mut self,
        values: &[f64],
        variances: &[f64],
    ) -> Result<LinearPosterior> {
        let n = self.problem.y.len();
        if values.len() != n || variances.len() != n {
            return Err(Error::data(
                "cycle",
                format!(
                    "{} values and {} variances for {n} points",
                    values.len(),
                    variances.len()
                ),
            ));
        }
        if let Some(i) = (0..n).find(|&i| !(values[i].is_finite() && variances[i] >= 0.0)) {
            return Err(Error::data(
                format!("cycle, point {}", i + 1),
                format!(
                    "need a finite value and a variance >= 0, got {} and {}",
                    values[i], variances[i]
                ),
            ));
        }
        self.cycles += 1;
        for (y, v) in self.problem.y.iter_mut().zip(values) {
            *y += v;
        }
        for (s, v) in self.variance.iter_mut().zip(variances) {
            *s += v;
        }
        self.scaled().posterior()
    }

    /// The accumulated problem: summed data, model `c · A θ`, summed variances.
    fn scaled(&self) -> LinearGaussian {
        let c = self.cycles as f64;
        let mut scaled = self.problem.clone();
        scaled.design.iter_mut().for_each(|a| *a *= c);
        scaled.sigma = self.variance.iter().map(|v| v.max(1.0).sqrt()).collect();
        scaled
    }

    /// Reduced chi-square `Σ (y - c A μ)² / σ² / (n - d)` of the accumulated data at
    /// the posterior mean `μ`: about 1 when the model and the variances are right, and
    /// growing with the cycles when the model misses something the counts resolve.
    /// Scaling the covariance by it (the maximum-likelihood noise scale) gives
    /// posterior sds that stop shrinking once the misfit dominates.
    pub fn reduced_chi_square(&self, posterior: &LinearPosterior) -> f64 {
        let p = self.scaled();
        let d = p.n_params;
        let n = p.y.len();
        let chi2: f64 = (0..n)
            .map(|i| {
                let f: f64 = (0..d)
                    .map(|j| p.design[i * d + j] * posterior.mean[j])
                    .sum();
                ((p.y[i] - f) / p.sigma[i]).powi(2)
            })
            .sum();
        chi2 / (n.saturating_sub(d)).max(1) as f64
    }

    /// Cycles added so far.
    pub fn cycles(&self) -> usize {
        self.cycles
    }
}

/// Posterior sd of the linear combination `Σ_j c_j θ_j` (e.g. the spin moment
/// `a_3d + a_4s`): `sqrt(cᵀ Σ c)`.
pub fn sd_of(posterior: &LinearPosterior, c: &[f64]) -> f64 {
    let d = c.len();
    let var: f64 = (0..d)
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .map(|(i, j)| c[i] * posterior.cov[i * d + j] * c[j])
        .sum();
    var.max(0.0).sqrt()
}

/// Silverman's rule-of-thumb bandwidth `0.9 min(sd, IQR/1.34) n^(-1/5)`.
fn bandwidth(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |p: f64| crate::diagnostics::quantile_sorted(&s, p);
    let iqr = (q(0.75) - q(0.25)) / 1.34;
    let spread = if iqr > 0.0 { sd.min(iqr) } else { sd };
    0.9 * spread * n.powf(-0.2)
}

/// `∫ |p̂_a - p̂_b| dx` between Gaussian kernel density estimates of two samples (each
/// with Silverman's bandwidth), by the trapezoid rule on 2000 points spanning both
/// samples ± 5 bandwidths. 0 for identical samples, 2 for disjoint ones.
pub fn kde_l1_distance(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.len() < 2 || b.len() < 2 {
        return Err(Error::data("kde", "each sample needs at least two values"));
    }
    if a.iter().chain(b).any(|v| !v.is_finite()) {
        return Err(Error::data("kde", "non-finite sample value"));
    }
    let (ha, hb) = (bandwidth(a), bandwidth(b));
    if !(ha > 0.0 && hb > 0.0) {
        return Err(Error::data("kde", "a sample has no spread"));
    }
    let lo = a.iter().chain(b).fold(f64::INFINITY, |m, &v| m.min(v)) - 5.0 * ha.max(hb);
    let hi = a.iter().chain(b).fold(f64::NEG_INFINITY, |m, &v| m.max(v)) + 5.0 * ha.max(hb);
    const POINTS: usize = 2000;
    let step = (hi - lo) / (POINTS - 1) as f64;
    let density = |s: &[f64], h: f64, x: f64| {
        let norm = 1.0 / (s.len() as f64 * h * (2.0 * std::f64::consts::PI).sqrt());
        norm * s
            .iter()
            .map(|v| (-0.5 * ((x - v) / h).powi(2)).exp())
            .sum::<f64>()
    };
    let l1: f64 = (0..POINTS)
        .map(|i| {
            let x = lo + i as f64 * step;
            let w = if i == 0 || i == POINTS - 1 { 0.5 } else { 1.0 };
            w * (density(a, ha, x) - density(b, hb, x)).abs()
        })
        .sum::<f64>()
        * step;
    Ok(l1)
}

/// The first step (1-based, at least 2) at which the KDE of the samples accumulated up
/// to that step differs from the previous step's by at most `threshold` in L1.
pub fn kde_converged_at(steps: &[Vec<f64>], threshold: f64) -> Result<Option<usize>> {
    let mut acc: Vec<f64> = Vec::new();
    let mut previous: Option<Vec<f64>> = None;
    for (i, step) in steps.iter().enumerate() {
        acc.extend_from_slice(step);
        if let Some(prev) = &previous
            && kde_l1_distance(prev, &acc)? <= threshold
        {
            return Ok(Some(i + 1));
        }
        previous = Some(acc.clone());
    }
    Ok(None)
}

/// Exact L1 distance between the densities of `N(0, 1)` and `N(δ, 1)`,
/// `2 (2Φ(|δ|/2) - 1)`: the reference for [`kde_l1_distance`].
pub fn normal_shift_l1(delta: f64) -> f64 {
    2.0 * (2.0 * normal_cdf(delta.abs() / 2.0) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Poisson, StandardNormal};
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn target_and_plateau_rules_stop_where_expected() {
        let sds: Vec<f64> = (1..=100).map(|c| 0.5 / (c as f64).sqrt()).collect();
        assert_eq!(StopRule::Target { sd: 0.1 }.first_stop(&sds), Some(25));
        assert_eq!(StopRule::Target { sd: 0.01 }.first_stop(&sds), None);
        // A floor: sd = max(0.5/sqrt(c), 0.2) is flat from c = 7 on.
        let floor: Vec<f64> = sds.iter().map(|s| s.max(0.2)).collect();
        assert_eq!(
            StopRule::Plateau {
                window: 3,
                rel_change: 1e-9
            }
            .first_stop(&floor),
            Some(10)
        );
    }

    #[test]
    fn counting_posterior_narrows_as_one_over_root_cycles() {
        // Two components on 50 points; true amplitudes (3, 1); Poisson counts.
        let n = 50;
        let design: Vec<f64> = (0..n)
            .flat_map(|i| {
                let x = i as f64 / n as f64;
                [
                    100.0 * (-((x - 0.3) / 0.1).powi(2)).exp(),
                    100.0 * (-((x - 0.6) / 0.2).powi(2)).exp(),
                ]
            })
            .collect();
        let mut acc = CycleAccumulator::new(
            design.clone(),
            2,
            vec![0.0, 0.0],
            vec![100.0, 0.0, 0.0, 100.0],
        )
        .unwrap();
        let mut rng = Pcg64Mcg::seed_from_u64(4);
        let mut sds = Vec::new();
        let mut last = None;
        for _ in 0..16 {
            let counts: Vec<f64> = (0..n)
                .map(|i| {
                    Poisson::new(3.0 * design[2 * i] + design[2 * i + 1] + 1e-9)
                        .unwrap()
                        .sample(&mut rng)
                })
                .collect();
            let post = acc.add_cycle(&counts).unwrap();
            sds.push(sd_of(&post, &[1.0, 0.0]));
            last = Some(post);
        }
        let post = last.unwrap();
        assert!(
            (post.mean[0] - 3.0).abs() < 4.0 * sds[15]
                && (post.mean[1] - 1.0).abs() < 4.0 * post.cov[3].sqrt()
        );
        let ratio = sds[0] / sds[15];
        assert!((ratio - 4.0).abs() < 0.4, "sd(1)/sd(16) = {ratio}");
        assert!(acc.add_cycle(&[1.0]).is_err());
    }

    #[test]
    fn kde_distance_matches_the_normal_shift_formula() {
        let mut rng = Pcg64Mcg::seed_from_u64(9);
        let a: Vec<f64> = (0..4000).map(|_| StandardNormal.sample(&mut rng)).collect();
        let b: Vec<f64> = (0..4000)
            .map(|_| 1.0 + <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng))
            .collect();
        let d = kde_l1_distance(&a, &b).unwrap();
        assert!(
            (d - normal_shift_l1(1.0)).abs() < 0.06,
            "{d} vs {}",
            normal_shift_l1(1.0)
        );
        assert_eq!(kde_l1_distance(&a, &a).unwrap(), 0.0);
        // Accumulating draws of one distribution converge; the step is reported.
        let steps: Vec<Vec<f64>> = a.chunks(200).map(<[f64]>::to_vec).collect();
        let at = kde_converged_at(&steps, 0.05).unwrap().unwrap();
        let upto = |s: usize| steps[..s].concat();
        let change = |s: usize| kde_l1_distance(&upto(s), &upto(s - 1)).unwrap();
        assert!(change(at) <= 0.05, "step {at}: {}", change(at));
        assert!((2..at).all(|s| change(s) > 0.05), "{at} is not the first");
    }
}
