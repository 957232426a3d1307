//! Closed-form posterior and evidence of models linear in their parameters with
//! Gaussian noise and a Gaussian prior: `y = A θ + ε`, `ε ~ N(0, diag σ²)`,
//! `θ ~ N(μ_0, Σ_0)`.
//!
//! Posterior precision `Λ = Σ_0⁻¹ + Aᵀ D⁻¹ A` (`D = diag σ²`), mean
//! `μ = Λ⁻¹ (Σ_0⁻¹ μ_0 + Aᵀ D⁻¹ y)`, and with `r = y - A μ_0`, `b = Aᵀ D⁻¹ r`:
//! `ln Z = -½ (n ln 2π + ln|D| + ln|Σ_0| + ln|Λ| + rᵀ D⁻¹ r - bᵀ Λ⁻¹ b)`
//! (the Gaussian `N(y; A μ_0, D + A Σ_0 Aᵀ)` rewritten by the matrix determinant lemma
//! and Woodbury's identity). Used for instant per-cycle updates of amplitude models
//! (measurement termination) and as the exact reference for the sampler and the
//! free-energy estimators.

use faer::Mat;
use faer::linalg::solvers::{DenseSolveCore, Solve};

use crate::{Error, Result};

/// A linear-Gaussian problem.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearGaussian {
    /// Design matrix `A`, `n x d`, row-major.
    pub design: Vec<f64>,
    /// Number of parameters `d`.
    pub n_params: usize,
    /// Data `y` (`n`).
    pub y: Vec<f64>,
    /// Noise standard deviation per point (`n`, all `> 0`).
    pub sigma: Vec<f64>,
    /// Prior mean `μ_0` (`d`).
    pub prior_mean: Vec<f64>,
    /// Prior covariance `Σ_0`, `d x d`, row-major, positive definite.
    pub prior_cov: Vec<f64>,
}

/// Posterior of a [`LinearGaussian`] problem.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearPosterior {
    /// Posterior mean `μ`.
    pub mean: Vec<f64>,
    /// Posterior covariance `Λ⁻¹`, row-major.
    pub cov: Vec<f64>,
    /// Log evidence `ln Z` (nats).
    pub ln_evidence: f64,
}

/// `2 Σ ln L_ii` of a Cholesky factor, or an error naming the matrix.
fn cholesky_ln_det(m: &Mat<f64>, what: &str) -> Result<(faer::linalg::solvers::Llt<f64>, f64)> {
    let llt = m.llt(faer::Side::Lower).map_err(|_| {
        Error::numerical(
            "linear-Gaussian posterior",
            format!("{what} is not positive definite"),
        )
    })?;
    let l = llt.L();
    let ln_det = 2.0 * (0..m.nrows()).map(|i| l[(i, i)].ln()).sum::<f64>();
    Ok((llt, ln_det))
}

impl LinearGaussian {
    fn check(&self) -> Result<(usize, usize)> {
        let d = self.n_params;
        let n = self.y.len();
        if d == 0 || n == 0 {
            return Err(Error::param(
                "linear model",
                "needs at least one parameter and one point",
            ));
        }
        if self.design.len() != n * d
            || self.sigma.len() != n
            || self.prior_mean.len() != d
            || self.prior_cov.len() != d * d
        {
            return Err(Error::param("linear model", "inconsistent dimensions"));
        }
        if let Some(i) = self.sigma.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::data(
                format!("point {}", i + 1),
                format!("sigma must be > 0, got {}", self.sigma[i]),
            ));
        }
        Ok((n, d))
    }

    /// Posterior mean, covariance and log evidence.
    pub fn posterior(&self) -> Result<LinearPosterior> {
        use std::f64::consts::PI;
        let (n, d) = self.check()?;
        let a = |i: usize, j: usize| self.design[i * d + j];
        let prior_cov = Mat::<f64>::from_fn(d, d, |i, j| self.prior_cov[i * d + j]);
        let (prior_llt, ln_det_prior) = cholesky_ln_det(&prior_cov, "the prior covariance")?;
        let prior_precision = prior_llt.inverse();
        let w: Vec<f64> = self.sigma.iter().map(|s| 1.0 / (s * s)).collect();
        let lambda = Mat::<f64>::from_fn(d, d, |j, k| {
            prior_precision[(j, k)] + (0..n).map(|i| a(i, j) * w[i] * a(i, k)).sum::<f64>()
        });
        let (llt, ln_det_lambda) = cholesky_ln_det(&lambda, "the posterior precision")?;
        let r: Vec<f64> = (0..n)
            .map(|i| self.y[i] - (0..d).map(|j| a(i, j) * self.prior_mean[j]).sum::<f64>())
            .collect();
        let b = Mat::<f64>::from_fn(d, 1, |j, _| (0..n).map(|i| a(i, j) * w[i] * r[i]).sum());
        let lambda_inv_b = llt.solve(&b);
        let quad = (0..n).map(|i| r[i] * r[i] * w[i]).sum::<f64>()
            - (0..d)
                .map(|j| b[(j, 0)] * lambda_inv_b[(j, 0)])
                .sum::<f64>();
        let ln_det_noise: f64 = self.sigma.iter().map(|s| 2.0 * s.ln()).sum();
        let ln_evidence = -0.5
            * (n as f64 * (2.0 * PI).ln() + ln_det_noise + ln_det_prior + ln_det_lambda + quad);
        let cov = llt.inverse();
        // μ = μ_0 + Λ⁻¹ b (the same mean as Λ⁻¹(Σ_0⁻¹ μ_0 + Aᵀ D⁻¹ y)).
        let mean = (0..d)
            .map(|j| self.prior_mean[j] + lambda_inv_b[(j, 0)])
            .collect();
        Ok(LinearPosterior {
            mean,
            cov: (0..d * d).map(|i| cov[(i / d, i % d)]).collect(),
            ln_evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_parameter_evidence_matches_direct_gaussian() {
        // y_i = θ + ε, θ ~ N(0, s²): y ~ N(0, σ² I + s² 1 1ᵀ). For n = 1:
        // ln Z = ln N(y; 0, σ² + s²).
        let p = LinearGaussian {
            design: vec![1.0],
            n_params: 1,
            y: vec![0.7],
            sigma: vec![0.5],
            prior_mean: vec![0.0],
            prior_cov: vec![4.0],
        };
        let post = p.posterior().unwrap();
        let v: f64 = 0.25 + 4.0;
        let expect = -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + 0.49 / v);
        assert!((post.ln_evidence - expect).abs() < 1e-14);
        // Posterior mean y s²/(σ²+s²), variance σ² s²/(σ²+s²).
        assert!((post.mean[0] - 0.7 * 4.0 / v).abs() < 1e-14);
        assert!((post.cov[0] - 0.25 * 4.0 / v).abs() < 1e-14);
    }

    #[test]
    fn inconsistent_dimensions_are_errors() {
        let p = LinearGaussian {
            design: vec![1.0, 2.0],
            n_params: 1,
            y: vec![0.7],
            sigma: vec![0.5],
            prior_mean: vec![0.0],
            prior_cov: vec![4.0],
        };
        assert!(p.posterior().is_err());
    }
}
