//! Convergence diagnostics and posterior summaries: integrated autocorrelation time and
//! effective sample size per parameter, split-R̂ over independent runs, and mean, sd,
//! quantiles and MAP of every parameter.

use serde::{Deserialize, Serialize};

use crate::remc::Samples;

/// Integrated autocorrelation time `τ = 1 + 2 Σ_{t=1}^{M} ρ(t)` with Sokal's automatic
/// window: the smallest `M` with `M ≥ c τ(M)` (`c = 5` is usual). A constant trace
/// gives 1; if no window fits, the estimate at `M = n - 1` is returned (the chain is too
/// short for a reliable τ).
pub fn integrated_time(x: &[f64], c: f64) -> f64 {
    let n = x.len();
    if n < 2 {
        return 1.0;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let c0: f64 = d.iter().map(|v| v * v).sum();
    if c0.is_nan() || c0 <= 0.0 {
        return 1.0;
    }
    let mut tau = 1.0;
    for t in 1..n {
        let ct: f64 = d[..n - t].iter().zip(&d[t..]).map(|(a, b)| a * b).sum();
        tau += 2.0 * ct / c0;
        if t as f64 >= c * tau {
            break;
        }
    }
    tau.max(1.0 / n as f64)
}

/// Effective sample size `n / τ`.
pub fn effective_sample_size(x: &[f64]) -> f64 {
    x.len() as f64 / integrated_time(x, 5.0)
}

/// Split-R̂ (Gelman et al., Bayesian Data Analysis 3rd ed., §11.4) of one quantity over
/// independent chains: each chain is cut in halves, and
/// `R̂ = sqrt(((n-1)/n W + B/n) / W)` with `W` the mean within-half variance and `B/n`
/// the variance of the half means. Values near 1 (below about 1.01) mean the chains
/// agree. Chains are truncated to the shortest; `NaN` with fewer than 4 points each.
pub fn split_rhat(chains: &[&[f64]]) -> f64 {
    let len = chains.iter().map(|c| c.len()).min().unwrap_or(0);
    let n = len / 2;
    if chains.is_empty() || n < 2 {
        return f64::NAN;
    }
    let halves: Vec<&[f64]> = chains
        .iter()
        .flat_map(|c| [&c[..n], &c[n..2 * n]])
        .collect();
    let m = halves.len() as f64;
    let means: Vec<f64> = halves
        .iter()
        .map(|h| h.iter().sum::<f64>() / n as f64)
        .collect();
    let grand = means.iter().sum::<f64>() / m;
    let b_over_n = means.iter().map(|x| (x - grand).powi(2)).sum::<f64>() / (m - 1.0);
    let w = halves
        .iter()
        .zip(&means)
        .map(|(h, mu)| h.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n as f64 - 1.0))
        .sum::<f64>()
        / m;
    if w.is_nan() || w <= 0.0 {
        return if b_over_n > 0.0 { f64::INFINITY } else { 1.0 };
    }
    (((n as f64 - 1.0) / n as f64 * w + b_over_n) / w).sqrt()
}

/// Quantile `q` in `[0, 1]` of sorted values, linear between order statistics.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + frac * (next - sorted[i])
}

/// The quantiles reported for every parameter: 2.5, 16, 50, 84 and 97.5 %.
pub const QUANTILES: [f64; 5] = [0.025, 0.16, 0.5, 0.84, 0.975];

/// Posterior summary of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSummary {
    /// Parameter name.
    pub name: String,
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation.
    pub sd: f64,
    /// Values at [`QUANTILES`].
    pub quantiles: Vec<f64>,
    /// Value in the sample of highest posterior density `-β E + ln φ`.
    pub map: f64,
    /// Integrated autocorrelation time (recorded sweeps).
    pub tau: f64,
    /// Effective sample size.
    pub ess: f64,
}

/// Summaries of every parameter at rung `rung` (the top rung is the posterior).
pub fn summarize(samples: &Samples, rung: usize) -> Vec<ParameterSummary> {
    let beta = samples.betas()[rung];
    let best = (0..samples.len())
        .max_by(|&a, &b| {
            let lp = |s: usize| -beta * samples.energy(s, rung) + samples.ln_prior(s, rung);
            lp(a).total_cmp(&lp(b))
        })
        .unwrap_or(0);
    samples
        .names()
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let trace = samples.trace(rung, j);
            let n = trace.len() as f64;
            let mean = trace.iter().sum::<f64>() / n;
            let sd =
                (trace.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
            let tau = integrated_time(&trace, 5.0);
            let mut sorted = trace.clone();
            sorted.sort_by(f64::total_cmp);
            ParameterSummary {
                name: name.clone(),
                mean,
                sd,
                quantiles: QUANTILES
                    .iter()
                    .map(|&q| quantile_sorted(&sorted, q))
                    .collect(),
                map: samples.theta(best, rung)[j],
                tau,
                ess: n / tau,
            }
        })
        .collect()
}

/// Quantiles of the model curve over posterior draws at every point of a data set: a
/// credible band of the noise-free prediction (add the noise sd for the band of new
/// measurements).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictiveBand {
    /// Abscissae of the data set.
    pub x: Vec<f64>,
    /// The probabilities of `curves`.
    pub probabilities: Vec<f64>,
    /// `curves[q][i]`: quantile `probabilities[q]` of the prediction at `x[i]`.
    pub curves: Vec<Vec<f64>>,
}

/// The predictive band of data set `k` of `joint` from `draws` samples of rung `rung`
/// spaced evenly through the run, at the quantiles `probabilities`.
pub fn predictive_band(
    joint: &crate::posterior::Joint,
    k: usize,
    samples: &Samples,
    rung: usize,
    draws: usize,
    probabilities: &[f64],
) -> crate::Result<PredictiveBand> {
    let n = samples.len();
    if n == 0 || draws == 0 || rung >= samples.n_rungs() {
        return Err(crate::Error::param(
            "predictive band",
            "needs samples, draws > 0 and a valid rung",
        ));
    }
    let x = joint
        .data_sets()
        .nth(k)
        .map(|d| d.x.clone())
        .ok_or_else(|| crate::Error::param("data set", format!("no data set {k}")))?;
    let draws = draws.min(n);
    let predictions = (0..draws)
        .map(|i| joint.predict(k, samples.theta(i * n / draws, rung)))
        .collect::<crate::Result<Vec<_>>>()?;
    let mut column = vec![0.0; draws];
    let mut curves = vec![vec![0.0; x.len()]; probabilities.len()];
    for i in 0..x.len() {
        for (c, p) in column.iter_mut().zip(&predictions) {
            *c = p[i];
        }
        column.sort_by(f64::total_cmp);
        for (curve, &q) in curves.iter_mut().zip(probabilities) {
            curve[i] = quantile_sorted(&column, q);
        }
    }
    Ok(PredictiveBand {
        x,
        probabilities: probabilities.to_vec(),
        curves,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64Mcg;

    /// AR(1) `x_t = a x_{t-1} + e_t` has `τ = (1 + a) / (1 - a)`.
    fn ar1(a: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                x = a * x + (rng.random::<f64>() - 0.5);
                x
            })
            .collect()
    }

    #[test]
    fn autocorrelation_time_of_ar1_matches_closed_form() {
        for a in [0.0, 0.5, 0.9] {
            let tau = integrated_time(&ar1(a, 400_000, 3), 5.0);
            let expect = (1.0 + a) / (1.0 - a);
            assert!(
                (tau / expect - 1.0).abs() < 0.06,
                "a = {a}: {tau} vs {expect}"
            );
        }
        assert_eq!(integrated_time(&[2.0; 10], 5.0), 1.0);
    }

    #[test]
    fn split_rhat_detects_disagreeing_chains() {
        let a = ar1(0.5, 10_000, 1);
        let b = ar1(0.5, 10_000, 2);
        let r = split_rhat(&[&a, &b]);
        assert!((r - 1.0).abs() < 0.01, "{r}");
        let shifted: Vec<f64> = b.iter().map(|x| x + 1.0).collect();
        assert!(split_rhat(&[&a, &shifted]) > 1.5);
        // A drifting single chain is caught by the split.
        let drift: Vec<f64> = (0..1000).map(|i| i as f64 * 0.01).collect();
        assert!(split_rhat(&[&drift]) > 1.5);
    }

    #[test]
    fn quantiles_interpolate_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&v, 0.5), 3.0);
        assert_eq!(quantile_sorted(&v, 0.125), 1.5);
        assert_eq!(quantile_sorted(&v, 1.0), 5.0);
    }
}
