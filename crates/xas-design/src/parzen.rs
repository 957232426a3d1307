//! Parzen (kernel) density estimators of one dimension, the building block of the
//! Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011).
//!
//! A numeric dimension on `[lo, hi]` gets a mixture of Gaussians truncated to the
//! interval: one of weight 1 at each observation and a prior component of weight
//! `prior_weight` centred at `(lo + hi)/2` with `σ = hi − lo`, which keeps the density
//! positive everywhere. The bandwidth of an observation is the larger of the distances
//! to its neighbours in sorted order (the interval ends count as neighbours), clipped to
//! `[(hi − lo)/min(100, n + 2), hi − lo]`:
//!
//! `p(x) = Σ_k w_k N(x; μ_k, σ_k) / (Φ((hi−μ_k)/σ_k) − Φ((lo−μ_k)/σ_k)) / Σ_k w_k`.
//!
//! A categorical dimension with `m` choices and `n` observations is an equal mixture of
//! `n + 1` kernels: a uniform prior, and per observation `c_k` the distribution
//! `∝ [c = c_k] + prior_weight/(n + 1)`, so that a few good observations still leave the
//! other choices a fair chance.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// Draws before a truncated-Gaussian sample falls back to clamping. The truncation mass
/// of every component is at least about 0.34 (a centre inside the interval, a bandwidth
/// at most its width), so this fallback is practically never reached.
const MAX_REJECTIONS: usize = 100;

/// Standard normal distribution function through `erfc` (accurate in both tails).
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Parzen estimator of a numeric dimension on `[lo, hi]` (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct NumericParzen {
    lo: f64,
    hi: f64,
    components: Vec<Component>,
}

/// One truncated Gaussian of a [`NumericParzen`].
#[derive(Debug, Clone, Copy)]
struct Component {
    mu: f64,
    sigma: f64,
    /// Mixture weight (the weights sum to 1).
    weight: f64,
    /// `ln(weight / (σ √(2π) · truncation mass))`: the log density at the centre.
    ln_peak: f64,
}

impl NumericParzen {
    /// The estimator of `observations` (internal coordinates inside `[lo, hi]`).
    pub(crate) fn new(observations: &[f64], lo: f64, hi: f64, prior_weight: f64) -> Self {
        let width = hi - lo;
        let mut sorted = observations.to_vec();
        sorted.sort_by(f64::total_cmp);
        // n + 1 kernels with the prior.
        let min_sigma = width / (observations.len() as f64 + 2.0).min(100.0);
        let mut mixture: Vec<(f64, f64, f64)> = sorted
            .iter()
            .enumerate()
            .map(|(i, &mu)| {
                let n = sorted.len();
                let left = if i == 0 { lo } else { sorted[i - 1] };
                let right = if i + 1 == n { hi } else { sorted[i + 1] };
                let spacing = (mu - left).max(right - mu);
                let sigma = spacing.clamp(min_sigma, width);
                (mu, sigma, 1.0)
            })
            .collect();
        mixture.push((0.5 * (lo + hi), width, prior_weight));
        let total: f64 = mixture.iter().map(|c| c.2).sum();
        let components = mixture
            .into_iter()
            .map(|(mu, sigma, w)| {
                let mass = normal_cdf((hi - mu) / sigma) - normal_cdf((lo - mu) / sigma);
                let weight = w / total;
                Component {
                    mu,
                    sigma,
                    weight,
                    ln_peak: (weight / (sigma * (2.0 * std::f64::consts::PI).sqrt() * mass)).ln(),
                }
            })
            .collect();
        NumericParzen { lo, hi, components }
    }

    /// A draw: a component chosen by weight, then its truncated Gaussian.
    pub(crate) fn sample(&self, rng: &mut impl Rng) -> f64 {
        let mut u = rng.random::<f64>();
        let k = self
            .components
            .iter()
            .position(|c| {
                u -= c.weight;
                u < 0.0
            })
            .unwrap_or(self.components.len() - 1);
        let Component { mu, sigma, .. } = self.components[k];
        for _ in 0..MAX_REJECTIONS {
            let z: f64 = StandardNormal.sample(rng);
            let x = mu + sigma * z;
            if (self.lo..=self.hi).contains(&x) {
                return x;
            }
        }
        mu.clamp(self.lo, self.hi)
    }

    /// `ln p(x)` for `x` in `[lo, hi]`.
    pub(crate) fn ln_pdf(&self, x: f64) -> f64 {
        let terms: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let z = (x - c.mu) / c.sigma;
                c.ln_peak - 0.5 * z * z
            })
            .collect();
        log_sum_exp(&terms)
    }
}

/// `ln Σ exp(t_k)` without overflow.
fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// Parzen estimator of a categorical dimension (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct CategoricalParzen {
    probabilities: Vec<f64>,
}

impl CategoricalParzen {
    /// The estimator of `observations` (choice indices below `choices`).
    pub(crate) fn new(observations: &[usize], choices: usize, prior_weight: f64) -> Self {
        // n + 1 kernels (the prior is uniform); observation kernel k puts
        // 1 + prior_weight/(n + 1) on its choice and prior_weight/(n + 1) on every other.
        let kernels = observations.len() + 1;
        let smoothing = prior_weight / kernels as f64;
        let kernel_total = 1.0 + smoothing * choices as f64;
        let mut probabilities = vec![1.0 / (choices * kernels) as f64; choices];
        for p in &mut probabilities {
            *p += observations.len() as f64 * smoothing / kernel_total / kernels as f64;
        }
        for &c in observations {
            probabilities[c] += 1.0 / kernel_total / kernels as f64;
        }
        CategoricalParzen { probabilities }
    }

    /// A draw.
    pub(crate) fn sample(&self, rng: &mut impl Rng) -> usize {
        let mut u = rng.random::<f64>();
        self.probabilities
            .iter()
            .position(|&p| {
                u -= p;
                u < 0.0
            })
            .unwrap_or(self.probabilities.len() - 1)
    }

    /// `ln p(c)`.
    pub(crate) fn ln_pmf(&self, c: usize) -> f64 {
        self.probabilities[c].ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    /// Trapezoid integral of `p` over `[lo, hi]` on `n` intervals.
    fn integral(p: &NumericParzen, lo: f64, hi: f64, n: usize) -> f64 {
        let h = (hi - lo) / n as f64;
        (0..=n)
            .map(|i| {
                let w = if i == 0 || i == n { 0.5 } else { 1.0 };
                w * p.ln_pdf(lo + h * i as f64).exp()
            })
            .sum::<f64>()
            * h
    }

    #[test]
    fn numeric_density_is_normalised_on_its_interval() {
        for obs in [vec![], vec![0.1], vec![-1.9, 0.3, 0.35, 0.4, 2.9]] {
            let p = NumericParzen::new(&obs, -2.0, 3.0, 1.0);
            let total = integral(&p, -2.0, 3.0, 200_000);
            assert!((total - 1.0).abs() < 1e-6, "{obs:?}: {total}");
        }
    }

    #[test]
    fn prior_alone_is_the_truncated_gaussian() {
        // One component N(0.5, 1) on [0, 1]: mass Φ(0.5) − Φ(−0.5) = 0.382924922548026.
        let p = NumericParzen::new(&[], 0.0, 1.0, 1.0);
        let expected =
            (-0.5 * 0.25f64).exp() / (2.0 * std::f64::consts::PI).sqrt() / 0.382_924_922_548_026;
        assert!((p.ln_pdf(0.0).exp() - expected).abs() < 1e-12);
    }

    #[test]
    fn samples_follow_the_density() {
        // Fraction of draws in [0, 0.5] against the integral of the density there.
        let p = NumericParzen::new(&[0.2, 0.25, 0.8], 0.0, 1.0, 1.0);
        let mut rng = Pcg64Mcg::seed_from_u64(11);
        let n = 200_000;
        let below = (0..n).filter(|_| p.sample(&mut rng) <= 0.5).count() as f64 / n as f64;
        let expected = integral(&p, 0.0, 0.5, 100_000);
        // Binomial sd √(p(1−p)/n) ≈ 0.0011: 5 sd.
        assert!((below - expected).abs() < 0.0056, "{below} vs {expected}");
    }

    #[test]
    fn categorical_probabilities_mix_smoothed_kernels() {
        let p = CategoricalParzen::new(&[2, 2, 0], 3, 1.5);
        // Four kernels: uniform (1/3 each), and three of weights 1 + 0.375 on the
        // observed choice and 0.375 on the others, normalised by 1 + 3 × 0.375 = 2.125.
        let (own, other) = (1.375 / 2.125, 0.375 / 2.125);
        let expected = [
            (1.0 / 3.0 + own + 2.0 * other) / 4.0,
            (1.0 / 3.0 + 3.0 * other) / 4.0,
            (1.0 / 3.0 + 2.0 * own + other) / 4.0,
        ];
        assert!((expected.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        for (c, e) in expected.iter().enumerate() {
            assert!((p.ln_pmf(c).exp() - e).abs() < 1e-15);
        }
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        let n = 90_000;
        let twos = (0..n).filter(|_| p.sample(&mut rng) == 2).count() as f64 / n as f64;
        assert!((twos - expected[2]).abs() < 0.01);
    }
}
