//! Spectral deconvolution with model selection: fit `K = 1, 2, ...` peaks by replica
//! exchange, compute the Bayes free energy `F(K)` of each, and take the smallest.
//!
//! With a known noise level the likelihood is Gaussian with that σ and the ladder ends
//! at `β = 1`. With an unknown one (the default of the originating group's follow-up,
//! Tokuda et al. 2017) the energy is `½ Σ r²`, the ladder runs up to the precision of
//! a noise level 10⁻³ of the data range, and `F(K) = min_σ F(K, σ)` ([`crate::noise`]);
//! the posterior is then summarised at the rung closest to `σ̂`.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::peaks::{Background, Peaks, Shape};
use crate::diagnostics::{ParameterSummary, summarize};
use crate::evidence::{self, Bootstrap};
use crate::noise;
use crate::posterior::{DataSet, ForwardModel, Joint, Noise};
use crate::remc::{Progress, Remc, RemcSettings, RunStatus, SamplerStatistics};
use crate::{Error, Result};

/// Smallest noise level on the ladder when σ is estimated, relative to the data range.
const SIGMA_MIN_RELATIVE: f64 = 1e-3;

/// Settings of a deconvolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeconvolutionSettings {
    /// Peak shape.
    pub shape: Shape,
    /// Background under the peaks (a linear one is taken about the middle of the data).
    #[serde(default)]
    pub background: Background,
    /// Numbers of peaks to compare.
    pub peaks: Vec<usize>,
    /// Known noise standard deviation, or `None` to estimate it from `F`.
    pub sigma: Option<f64>,
    /// Sampler settings (`beta_max` is set here).
    pub remc: RemcSettings,
    /// Bootstrap of the free-energy error bars.
    pub bootstrap: Bootstrap,
}

/// The fit with one number of peaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakFit {
    /// Number of peaks `K`.
    pub n_peaks: usize,
    /// Peak shape.
    pub shape: Shape,
    /// Background under the peaks.
    pub background: Background,
    /// Reference abscissa `x_ref` of a linear background `b0 + b1 (x - x_ref)`.
    pub x_ref: f64,
    /// Bayes free energy `F(K)` by stepping-stone (nats; at `σ̂` when estimated).
    pub free_energy: f64,
    /// Its bootstrap error.
    pub error: f64,
    /// `F(K)` by the multiple-histogram method.
    pub free_energy_wham: f64,
    /// Its bootstrap error.
    pub error_wham: f64,
    /// The noise level: given, or `σ̂`.
    pub sigma: f64,
    /// Posterior summaries of every parameter.
    pub parameters: Vec<ParameterSummary>,
    /// Parameters of the highest-posterior sample.
    pub map: Vec<f64>,
    /// Sampler statistics.
    pub statistics: SamplerStatistics,
}

/// Fits every `K` of `settings.peaks` to `(x, y)`. `observer(K, progress)` is called
/// after each sweep; breaking stops with [`Error::Interrupted`].
pub fn deconvolve(
    name: &str,
    x: &[f64],
    y: &[f64],
    settings: &DeconvolutionSettings,
    observer: &mut dyn FnMut(usize, &Progress) -> ControlFlow<()>,
) -> Result<Vec<PeakFit>> {
    if settings.peaks.is_empty() {
        return Err(Error::param("peaks", "give at least one number of peaks"));
    }
    settings
        .peaks
        .iter()
        .map(|&k| fit_one(name, x, y, k, settings, observer))
        .collect()
}

/// The fit with `k` peaks.
fn fit_one(
    name: &str,
    x: &[f64],
    y: &[f64],
    k: usize,
    settings: &DeconvolutionSettings,
    observer: &mut dyn FnMut(usize, &Progress) -> ControlFlow<()>,
) -> Result<PeakFit> {
    let x_ref = Peaks::middle(x);
    let model = Peaks::new(k, settings.shape)?.with_background(settings.background, x_ref);
    let priors = model.default_priors(x, y)?;
    let (noise, beta_max) = match settings.sigma {
        Some(sigma) => (Noise::Gaussian { sigma }, 1.0),
        None => {
            let (lo, hi) = xas_core::grid::min_max(y);
            let sigma_min = SIGMA_MIN_RELATIVE * (hi - lo);
            (Noise::Estimated, 1.0 / (sigma_min * sigma_min))
        }
    };
    let data = DataSet::new(name, x.to_vec(), y.to_vec(), noise)?;
    let posterior = Joint::single(model, data, priors)?;
    let mut sampler = Remc::new(
        &posterior,
        RemcSettings {
            beta_max,
            ..settings.remc.clone()
        },
    )?;
    if sampler.run(&posterior, &mut |p| observer(k, p))? == RunStatus::Interrupted {
        return Err(Error::Interrupted);
    }
    let samples = sampler.samples();
    let ss = evidence::stepping_stone(samples, &settings.bootstrap)?;
    let wh = evidence::wham(samples, &settings.bootstrap)?;
    let (free_energy, error, free_energy_wham, error_wham, sigma, rung) = match settings.sigma {
        Some(sigma) => (
            ss.free_energy(),
            ss.error(),
            wh.free_energy(),
            wh.error(),
            sigma,
            samples.top(),
        ),
        None => {
            let scan_ss = noise::scan(&ss, x.len())?;
            let scan_wh = noise::scan(&wh, x.len())?;
            // The rung closest to σ̂ (rungs with β > 0 start at index 1).
            let rung = scan_ss.best + 1;
            (
                scan_ss.free_energy_min,
                scan_ss.error[scan_ss.best],
                scan_wh.free_energy_min,
                scan_wh.error[scan_wh.best],
                scan_ss.sigma_hat,
                rung,
            )
        }
    };
    let parameters = summarize(samples, rung);
    let map = parameters.iter().map(|p| p.map).collect();
    Ok(PeakFit {
        n_peaks: k,
        shape: settings.shape,
        background: settings.background,
        x_ref,
        free_energy,
        error,
        free_energy_wham,
        error_wham,
        sigma,
        parameters,
        map,
        statistics: sampler.statistics(),
    })
}

/// True heights `exp(a_k)` of the three-peak benchmark (Nagata, Sugita & Okada 2012, as
/// quoted by the follow-up literature; not checked against the 2012 paper itself).
pub const BENCHMARK_LN_HEIGHTS: [f64; 3] = [0.587, 1.522, 1.183];
/// True centres of the three-peak benchmark.
pub const BENCHMARK_CENTRES: [f64; 3] = [1.210, 1.455, 1.703];
/// True precisions `b_k` of `exp(-b (x - μ)² / 2)` in the three-peak benchmark.
pub const BENCHMARK_PRECISIONS: [f64; 3] = [95.689, 146.837, 164.469];

/// The three-peak benchmark: 301 points on `x = 0, 0.01, ..., 3` with Gaussian noise
/// of standard deviation `sigma` drawn from `Pcg64Mcg` seeded with `seed`.
pub fn three_peak_benchmark(sigma: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let x: Vec<f64> = (0..301).map(|i| i as f64 * 0.01).collect();
    let y = x
        .iter()
        .map(|&x| {
            let f: f64 = (0..3)
                .map(|k| {
                    let d = x - BENCHMARK_CENTRES[k];
                    BENCHMARK_LN_HEIGHTS[k].exp() * (-BENCHMARK_PRECISIONS[k] * d * d / 2.0).exp()
                })
                .sum();
            let e: f64 = StandardNormal.sample(&mut rng);
            f + sigma * e
        })
        .collect();
    (x, y)
}

/// The fit with the smallest free energy.
pub fn best(fits: &[PeakFit]) -> Option<&PeakFit> {
    fits.iter()
        .min_by(|a, b| a.free_energy.total_cmp(&b.free_energy))
}

/// The model curve, each peak and the background of `fit` at `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Components {
    /// The whole model: peaks plus background.
    pub total: Vec<f64>,
    /// Each peak alone.
    pub peaks: Vec<Vec<f64>>,
    /// The background alone (zeros without one).
    pub background: Vec<f64>,
}

/// The model curve, each peak and the background of the highest-posterior sample of
/// `fit` at `x`.
///
/// # Errors
/// A fit whose parameter vector does not match its number of peaks and background.
pub fn components(fit: &PeakFit, x: &[f64]) -> Result<Components> {
    let all = Peaks::new(fit.n_peaks, fit.shape)?.with_background(fit.background, fit.x_ref);
    let mut total = vec![0.0; x.len()];
    all.predict(&fit.map, x, &mut total)?;
    let one = Peaks::new(1, fit.shape)?;
    let stride = one.parameter_names().len();
    let (peak_params, _) = fit.map.split_at(fit.n_peaks * stride);
    let peaks: Vec<Vec<f64>> = peak_params
        .chunks_exact(stride)
        .map(|p| {
            let mut out = vec![0.0; x.len()];
            one.predict(p, x, &mut out).map(|()| out)
        })
        .collect::<Result<_>>()?;
    let background = total
        .iter()
        .enumerate()
        .map(|(i, t)| t - peaks.iter().map(|p| p[i]).sum::<f64>())
        .collect();
    Ok(Components {
        total,
        peaks,
        background,
    })
}
