//! Prior distributions of single parameters and the named, ordered set of priors of a
//! model.
//!
//! Every density is normalised (it integrates to one over its support), because the
//! replica at inverse temperature 0 samples the prior itself and the free energy is
//! measured from it: `F = -ln ∫ L(θ) φ(θ) dθ` needs `∫ φ = 1`.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Gamma, LogNormal, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::special::{gamma_p, normal_cdf};
use crate::{Error, Result};

/// Multiplier of a prior's standard deviation that gives the initial random-walk step
/// (the value used by the originating group's exchange Monte Carlo code).
const STEP_PER_SD: f64 = 2.94;

/// Below this prior mass a truncated prior is sampled by inverting its distribution
/// function instead of by rejection.
const REJECTION_MIN_MASS: f64 = 0.05;

/// Prior distribution of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Prior {
    /// Uniform on `[lo, hi]`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound (`> lo`).
        hi: f64,
    },
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (`> 0`).
        sd: f64,
    },
    /// Log-normal: `ln x ~ Normal(mu, sigma)`, `x > 0`.
    LogNormal {
        /// Mean of `ln x`.
        mu: f64,
        /// Standard deviation of `ln x` (`> 0`).
        sigma: f64,
    },
    /// Gamma with shape `k` and rate `r`: density `r^k x^(k-1) e^(-r x) / Γ(k)`, mean
    /// `k / r`, `x > 0`.
    Gamma {
        /// Shape `k > 0`.
        shape: f64,
        /// Rate `r > 0` (inverse scale).
        rate: f64,
    },
    /// Another prior restricted to `[lo, hi]` and renormalised (either bound may be
    /// infinite).
    Truncated {
        /// The prior being truncated.
        prior: Box<Prior>,
        /// Lower bound.
        lo: f64,
        /// Upper bound (`> lo`).
        hi: f64,
    },
}

impl Prior {
    /// Uniform on `[lo, hi]`.
    pub fn uniform(lo: f64, hi: f64) -> Self {
        Prior::Uniform { lo, hi }
    }

    /// Normal with `mean` and standard deviation `sd`.
    pub fn normal(mean: f64, sd: f64) -> Self {
        Prior::Normal { mean, sd }
    }

    /// Gamma with `shape` and `rate`.
    pub fn gamma(shape: f64, rate: f64) -> Self {
        Prior::Gamma { shape, rate }
    }

    /// Log-normal with `ln x ~ Normal(mu, sigma)`.
    pub fn log_normal(mu: f64, sigma: f64) -> Self {
        Prior::LogNormal { mu, sigma }
    }

    /// This prior restricted to `[lo, hi]`.
    pub fn truncated(self, lo: f64, hi: f64) -> Self {
        Prior::Truncated {
            prior: Box::new(self),
            lo,
            hi,
        }
    }

    /// Checks the hyper-parameters; `name` is the parameter the prior belongs to and is
    /// named in the error. A truncation must keep some prior mass.
    pub fn validate(&self, name: &str) -> Result<()> {
        let bad = |msg: String| Err(Error::param(name, msg));
        match *self {
            Prior::Uniform { lo, hi } => {
                if !(lo.is_finite() && hi.is_finite() && hi > lo) {
                    return bad(format!(
                        "uniform prior needs finite lo < hi, got [{lo}, {hi}]"
                    ));
                }
            }
            Prior::Normal { mean, sd } => {
                if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
                    return bad(format!(
                        "normal prior needs a finite mean and sd > 0, got mean {mean}, sd {sd}"
                    ));
                }
            }
            Prior::LogNormal { mu, sigma } => {
                if !(mu.is_finite() && sigma.is_finite() && sigma > 0.0) {
                    return bad(format!(
                        "log-normal prior needs a finite mu and sigma > 0, got mu {mu}, sigma {sigma}"
                    ));
                }
            }
            Prior::Gamma { shape, rate } => {
                if !(shape.is_finite() && rate.is_finite() && shape > 0.0 && rate > 0.0) {
                    return bad(format!(
                        "gamma prior needs shape > 0 and rate > 0, got shape {shape}, rate {rate}"
                    ));
                }
            }
            Prior::Truncated { ref prior, lo, hi } => {
                prior.validate(name)?;
                if lo.is_nan() || hi.is_nan() || hi <= lo {
                    return bad(format!("truncation needs lo < hi, got [{lo}, {hi}]"));
                }
                let mass = prior.cdf(hi) - prior.cdf(lo);
                if mass.is_nan() || mass <= 1e-12 {
                    return bad(format!(
                        "truncation to [{lo}, {hi}] leaves no prior mass ({mass:.1e})"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The interval outside which the density is zero.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Prior::Uniform { lo, hi } => (lo, hi),
            Prior::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Prior::LogNormal { .. } | Prior::Gamma { .. } => (0.0, f64::INFINITY),
            Prior::Truncated { ref prior, lo, hi } => {
                let (a, b) = prior.support();
                (a.max(lo), b.min(hi))
            }
        }
    }

    /// Natural logarithm of the normalised density at `x` (`-inf` outside the support).
    pub fn ln_density(&self, x: f64) -> f64 {
        use std::f64::consts::PI;
        let (lo, hi) = self.support();
        if !(x >= lo && x <= hi) {
            return f64::NEG_INFINITY;
        }
        match *self {
            Prior::Uniform { lo, hi } => -(hi - lo).ln(),
            Prior::Normal { mean, sd } => {
                let z = (x - mean) / sd;
                -0.5 * z * z - sd.ln() - 0.5 * (2.0 * PI).ln()
            }
            Prior::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                let z = (x.ln() - mu) / sigma;
                -0.5 * z * z - (x * sigma).ln() - 0.5 * (2.0 * PI).ln()
            }
            Prior::Gamma { shape, rate } => {
                if x <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                shape * rate.ln() + (shape - 1.0) * x.ln() - rate * x - libm::lgamma(shape)
            }
            Prior::Truncated { ref prior, lo, hi } => {
                prior.ln_density(x) - (prior.cdf(hi) - prior.cdf(lo)).ln()
            }
        }
    }

    /// Cumulative distribution function at `x`.
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Prior::Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(0.0, 1.0),
            Prior::Normal { mean, sd } => normal_cdf((x - mean) / sd),
            Prior::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    normal_cdf((x.ln() - mu) / sigma)
                }
            }
            Prior::Gamma { shape, rate } => {
                if x <= 0.0 {
                    0.0
                } else {
                    gamma_p(shape, rate * x)
                }
            }
            Prior::Truncated { ref prior, lo, hi } => {
                let (a, b) = (prior.cdf(lo), prior.cdf(hi));
                ((prior.cdf(x.clamp(lo, hi)) - a) / (b - a)).clamp(0.0, 1.0)
            }
        }
    }

    /// Standard deviation of the distribution; for a truncated prior a scale instead:
    /// the smaller of the untruncated sd and the sd of a uniform over the interval
    /// (enough for step sizes and bracketing).
    pub fn sd(&self) -> f64 {
        match *self {
            Prior::Uniform { lo, hi } => (hi - lo) / 12f64.sqrt(),
            Prior::Normal { sd, .. } => sd,
            Prior::LogNormal { mu, sigma } => {
                let s2 = sigma * sigma;
                ((s2.exp() - 1.0) * (2.0 * mu + s2).exp()).sqrt()
            }
            Prior::Gamma { shape, rate } => shape.sqrt() / rate,
            Prior::Truncated { ref prior, lo, hi } => {
                let width = hi - lo;
                prior.sd().min(width / 12f64.sqrt())
            }
        }
    }

    /// Initial random-walk step at inverse temperature 0: the width of a uniform prior,
    /// otherwise 2.94 standard deviations (Okada group's convention).
    pub fn proposal_scale(&self) -> f64 {
        match *self {
            Prior::Uniform { lo, hi } => hi - lo,
            _ => STEP_PER_SD * self.sd(),
        }
    }

    /// One draw from the prior.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Prior::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
            Prior::Normal { mean, sd } => {
                mean + sd * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)
            }
            Prior::LogNormal { mu, sigma } => LogNormal::new(mu, sigma)
                .map(|d| d.sample(rng))
                .unwrap_or(f64::NAN),
            Prior::Gamma { shape, rate } => Gamma::new(shape, 1.0 / rate)
                .map(|d| d.sample(rng))
                .unwrap_or(f64::NAN),
            Prior::Truncated { ref prior, lo, hi } => {
                let (a, b) = (prior.cdf(lo), prior.cdf(hi));
                if b - a >= REJECTION_MIN_MASS {
                    loop {
                        let x = prior.sample(rng);
                        if x >= lo && x <= hi {
                            return x;
                        }
                    }
                }
                let u = a + (b - a) * rng.random::<f64>();
                prior.quantile_between(u, lo, hi)
            }
        }
    }

    /// The `x` in `[lo, hi]` (clipped to the support) with `cdf(x) = u`, by bisection;
    /// an infinite end is replaced by a finite one found by doubling.
    fn quantile_between(&self, u: f64, lo: f64, hi: f64) -> f64 {
        let (s_lo, s_hi) = self.support();
        let (mut a, mut b) = (lo.max(s_lo), hi.min(s_hi));
        let anchor = if a.is_finite() {
            a
        } else if b.is_finite() {
            b
        } else {
            0.0
        };
        let mut step = self.sd().max(1e-300);
        while !a.is_finite() || self.cdf(a) > u {
            a = anchor - step;
            step *= 2.0;
        }
        step = self.sd().max(1e-300);
        while !b.is_finite() || self.cdf(b) < u {
            b = anchor.max(a) + step;
            step *= 2.0;
        }
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if m <= a || m >= b {
                break;
            }
            if self.cdf(m) < u { a = m } else { b = m }
        }
        0.5 * (a + b)
    }
}

/// The priors of a model's parameters, in the model's parameter order, each with the
/// parameter's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priors {
    names: Vec<String>,
    priors: Vec<Prior>,
}

impl Priors {
    /// Priors from `(name, prior)` pairs; names must be unique and every prior valid.
    pub fn new<S: Into<String>>(entries: impl IntoIterator<Item = (S, Prior)>) -> Result<Self> {
        let (names, priors): (Vec<String>, Vec<Prior>) =
            entries.into_iter().map(|(n, p)| (n.into(), p)).unzip();
        if names.is_empty() {
            return Err(Error::param(
                "priors",
                "a model needs at least one parameter",
            ));
        }
        for (i, (name, prior)) in names.iter().zip(&priors).enumerate() {
            prior.validate(name)?;
            if names[..i].contains(name) {
                return Err(Error::param(name, "parameter named twice"));
            }
        }
        Ok(Priors { names, priors })
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false: a set of priors has at least one parameter.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Parameter names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The priors in parameter order.
    pub fn priors(&self) -> &[Prior] {
        &self.priors
    }

    /// Index of the parameter called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// `ln φ(θ) = Σ_j ln φ_j(θ_j)` (`-inf` outside the support).
    pub fn ln_density(&self, theta: &[f64]) -> f64 {
        self.priors
            .iter()
            .zip(theta)
            .map(|(p, &x)| p.ln_density(x))
            .sum()
    }

    /// One parameter vector drawn from the prior into `theta`.
    pub fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, theta: &mut [f64]) {
        for (p, t) in self.priors.iter().zip(theta.iter_mut()) {
            *t = p.sample(rng);
        }
    }

    /// The priors of `self` followed by those of `other` that `self` does not name (for
    /// joint fits of models that share some parameters); a shared name must have the
    /// same prior in both.
    pub fn union(&self, other: &Priors) -> Result<Priors> {
        let mut out = self.clone();
        for (name, prior) in other.names.iter().zip(&other.priors) {
            match out.index_of(name) {
                Some(i) if out.priors[i] != *prior => {
                    return Err(Error::param(
                        name,
                        format!("two different priors: {:?} and {prior:?}", out.priors[i]),
                    ));
                }
                Some(_) => {}
                None => {
                    out.names.push(name.clone());
                    out.priors.push(prior.clone());
                }
            }
        }
        Ok(out)
    }

    /// Replaces the prior of parameter `name`; errors if the model has no such parameter
    /// or the prior is invalid.
    pub fn set(&mut self, name: &str, prior: Prior) -> Result<()> {
        let i = self.index_of(name).ok_or_else(|| {
            Error::param(
                name,
                format!(
                    "the model has no such parameter (it has: {})",
                    self.names.join(", ")
                ),
            )
        })?;
        prior.validate(name)?;
        self.priors[i] = prior;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    /// Trapezoidal integral of the density over a wide range.
    fn integral(p: &Prior, lo: f64, hi: f64) -> f64 {
        let n = 200_000;
        let h = (hi - lo) / n as f64;
        (0..=n)
            .map(|i| {
                let x = lo + i as f64 * h;
                let w = if i == 0 || i == n { 0.5 } else { 1.0 };
                w * p.ln_density(x).exp()
            })
            .sum::<f64>()
            * h
    }

    fn moments(p: &Prior, n: usize) -> (f64, f64) {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let xs: Vec<f64> = (0..n).map(|_| p.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, v.sqrt())
    }

    #[test]
    fn densities_are_normalised() {
        let cases = [
            (Prior::uniform(-1.0, 3.0), -2.0, 4.0),
            (Prior::normal(1.0, 0.5), -5.0, 7.0),
            (Prior::log_normal(0.2, 0.4), 0.0, 20.0),
            (Prior::gamma(5.0, 0.04), 0.0, 2000.0),
            (Prior::gamma(2.5, 3.0), 0.0, 30.0),
            (Prior::normal(0.0, 1.0).truncated(0.5, 2.0), 0.0, 3.0),
            (
                Prior::gamma(3.0, 1.0).truncated(1.0, f64::INFINITY),
                0.0,
                60.0,
            ),
        ];
        for (p, lo, hi) in cases {
            p.validate("x").unwrap();
            let z = integral(&p, lo, hi);
            assert!((z - 1.0).abs() < 2e-4, "{p:?}: integral {z}");
        }
    }

    /// Sample mean within 4 standard errors `sd/√n` of `mean`, sample sd within 4
    /// standard errors `sd √((κ + 2)/(4n))` of `sd` (`κ` the excess kurtosis).
    fn assert_moments(p: &Prior, mean: f64, sd: f64, excess_kurtosis: f64) {
        let n = 200_000;
        let (m, s) = moments(p, n);
        let n = n as f64;
        assert!(
            (m - mean).abs() < 4.0 * sd / n.sqrt(),
            "{p:?}: mean {m} vs {mean}"
        );
        let se_sd = sd * ((excess_kurtosis + 2.0) / (4.0 * n)).sqrt();
        assert!((s - sd).abs() < 4.0 * se_sd, "{p:?}: sd {s} vs {sd}");
    }

    #[test]
    fn samples_have_the_distribution_moments() {
        // Gamma(k, r): mean k/r, sd √k/r, excess kurtosis 6/k.
        assert_moments(&Prior::gamma(5.0, 5.0), 1.0, 5f64.sqrt() / 5.0, 1.2);
        // Log-normal(0, s²): mean e^(s²/2), excess kurtosis e^(4s²) + 2e^(3s²) + 3e^(2s²) - 6.
        let ln = Prior::log_normal(0.0, 0.5);
        let k = 1f64.exp() + 2.0 * 0.75f64.exp() + 3.0 * 0.5f64.exp() - 6.0;
        // sd = sqrt((e^(s²) - 1) e^(s²)) = 0.60390053 for s = 0.5.
        assert!((ln.sd() - 0.603_900_53).abs() < 1e-8, "{}", ln.sd());
        assert_moments(&ln, 0.125f64.exp(), 0.603_900_53, k);
        // Half-normal: mean √(2/π), sd √(1 - 2/π), excess kurtosis
        // 8(π - 3)/(π - 2)² ≈ 0.869.
        let half = Prior::normal(0.0, 1.0).truncated(0.0, f64::INFINITY);
        let em = (2.0 / std::f64::consts::PI).sqrt();
        let pi = std::f64::consts::PI;
        assert_moments(
            &half,
            em,
            (1.0 - em * em).sqrt(),
            8.0 * (pi - 3.0) / (pi - 2.0).powi(2),
        );
    }

    #[test]
    fn far_tail_truncation_is_sampled_by_inversion() {
        // Mass 3e-5: rejection would be hopeless; the mean of N(0,1) on [4, 5] is
        // (φ(4) - φ(5)) / (Φ(5) - Φ(4)).
        let p = Prior::normal(0.0, 1.0).truncated(4.0, 5.0);
        let (m, _) = moments(&p, 20_000);
        let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let expect = (phi(4.0) - phi(5.0)) / (normal_cdf(5.0) - normal_cdf(4.0));
        assert!((m - expect).abs() < 5e-3, "{m} vs {expect}");
    }

    #[test]
    fn invalid_priors_name_the_parameter() {
        for p in [
            Prior::uniform(1.0, 1.0),
            Prior::normal(0.0, -1.0),
            Prior::gamma(0.0, 1.0),
            Prior::log_normal(f64::NAN, 1.0),
            Prior::normal(0.0, 1.0).truncated(50.0, 60.0),
        ] {
            let e = p.validate("Delta").unwrap_err().to_string();
            assert!(e.contains("Delta"), "{e}");
        }
        let e = Priors::new([
            ("a", Prior::uniform(0.0, 1.0)),
            ("a", Prior::uniform(0.0, 1.0)),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("twice"), "{e}");
        let mut ps = Priors::new([("a", Prior::uniform(0.0, 1.0))]).unwrap();
        let e = ps
            .set("b", Prior::uniform(0.0, 1.0))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`b`") && e.contains("a"), "{e}");
    }

    #[test]
    fn union_keeps_shared_parameters_once_and_rejects_conflicts() {
        let a = Priors::new([
            ("x", Prior::uniform(0.0, 1.0)),
            ("y", Prior::normal(0.0, 1.0)),
        ])
        .unwrap();
        let b = Priors::new([
            ("y", Prior::normal(0.0, 1.0)),
            ("z", Prior::gamma(2.0, 1.0)),
        ])
        .unwrap();
        assert_eq!(a.union(&b).unwrap().names(), &["x", "y", "z"]);
        let c = Priors::new([("y", Prior::normal(1.0, 1.0))]).unwrap();
        assert!(a.union(&c).unwrap_err().to_string().contains("`y`"));
    }

    #[test]
    fn priors_round_trip_through_serde() {
        let ps = Priors::new([
            ("a", Prior::uniform(0.0, 1.0)),
            ("b", Prior::gamma(2.0, 1.0).truncated(0.1, 5.0)),
        ])
        .unwrap();
        let text = serde_json::to_string(&ps).unwrap();
        let back: Priors = serde_json::from_str(&text).unwrap();
        assert_eq!(ps, back);
    }
}
