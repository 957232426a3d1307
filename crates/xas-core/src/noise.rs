//! Synthetic noise for simulated spectra: additive Gaussian noise (by absolute level or
//! by signal-to-noise ratio) and counting (Poisson) noise, reproducible from a seed.

use rand::SeedableRng;
use rand_distr::{Distribution, Poisson, StandardNormal};
use rand_pcg::Pcg64Mcg;

use crate::error::{Error, Result};
use crate::grid::check_positive;
use crate::spectrum::Spectrum;

/// Largest `counts_at_max` accepted (10^15), far below the Poisson sampler's limit and
/// far beyond any real detector.
pub const MAX_COUNTS: f64 = 1e15;

/// A noise model.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum NoiseModel {
    /// Additive white Gaussian noise of standard deviation `sigma` (intensity units):
    /// `y_i + sigma * N(0, 1)`.
    Gaussian {
        /// Standard deviation (intensity units), > 0.
        sigma: f64,
    },
    /// Additive white Gaussian noise at a peak-to-rms signal-to-noise ratio:
    /// `sigma = max_i |y_i| / snr`.
    GaussianSnr {
        /// Peak-to-rms signal-to-noise ratio, > 0.
        snr: f64,
    },
    /// Counting noise: the spectrum is scaled so that its maximum corresponds to
    /// `counts_at_max` counts, `s = counts_at_max / max_i y_i`; counts
    /// `k_i ~ Poisson(s y_i)` are drawn and scaled back, `y_i' = k_i / s`. Requires
    /// non-negative intensities.
    Poisson {
        /// Expected counts at the maximum of the spectrum, in `(0, 1e15]`.
        counts_at_max: f64,
    },
}

/// Adds noise drawn from a `Pcg64Mcg` generator seeded with `seed` (via
/// `SeedableRng::seed_from_u64`): the same spectrum, model and seed always give the same
/// result. See [`add_noise_with`] for the model details and the returned sigma.
///
/// # Errors
/// As [`add_noise_with`].
pub fn add_noise(spectrum: &Spectrum, model: NoiseModel, seed: u64) -> Result<Spectrum> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    add_noise_with(spectrum, model, &mut rng)
}

/// Adds noise drawn from `rng` to the intensity of `spectrum`.
///
/// The returned spectrum carries the per-point standard deviation of the noise added:
/// `sigma` for the Gaussian models, `sqrt(max(k_i, 1)) / s` for Poisson (the usual
/// `sqrt(counts)` estimate from the drawn counts, floored at one count so that points
/// with zero counts keep a positive uncertainty). If the input already had a sigma, the
/// two are combined in quadrature, `sqrt(sigma_old^2 + sigma_noise^2)`. Metadata are
/// kept and the model is noted in `meta.history`.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `sigma`, `snr` or `counts_at_max` when not finite
/// and > 0 (or above [`MAX_COUNTS`]); [`Error::InvalidData`] when the SNR or Poisson
/// models meet an all-zero spectrum, or Poisson meets a negative intensity (naming
/// `intensity[i]`).
pub fn add_noise_with<R: rand::Rng + ?Sized>(
    spectrum: &Spectrum,
    model: NoiseModel,
    rng: &mut R,
) -> Result<Spectrum> {
    let y = spectrum.intensity();
    let (noisy, noise_sigma) = match model {
        NoiseModel::Gaussian { sigma } => {
            check_positive("sigma", sigma)?;
            gaussian(y, sigma, rng)
        }
        NoiseModel::GaussianSnr { snr } => {
            check_positive("snr", snr)?;
            gaussian(y, snr_sigma(y, snr)?, rng)
        }
        NoiseModel::Poisson { counts_at_max } => poisson(y, counts_at_max, rng)?,
    };
    let sigma = combine_sigma(spectrum.sigma(), noise_sigma);
    let mut out = spectrum.with_intensity(noisy)?.with_sigma(sigma)?;
    out.meta.history.push(format!("added noise: {model:?}"));
    Ok(out)
}

/// `sigma = max |y| / snr`; errors when the spectrum is all zero.
fn snr_sigma(y: &[f64], snr: f64) -> Result<f64> {
    let peak = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if peak > 0.0 {
        Ok(peak / snr)
    } else {
        Err(Error::data(
            "intensity",
            "is zero everywhere; a signal-to-noise ratio is undefined",
        ))
    }
}

/// `y_i + sigma * N(0, 1)`, with the constant per-point sigma.
fn gaussian<R: rand::Rng + ?Sized>(y: &[f64], sigma: f64, rng: &mut R) -> (Vec<f64>, Vec<f64>) {
    let noisy = y
        .iter()
        .map(|v| {
            let z: f64 = StandardNormal.sample(rng);
            v + sigma * z
        })
        .collect();
    (noisy, vec![sigma; y.len()])
}

/// Poisson counting noise (see [`NoiseModel::Poisson`]).
fn poisson<R: rand::Rng + ?Sized>(
    y: &[f64],
    counts_at_max: f64,
    rng: &mut R,
) -> Result<(Vec<f64>, Vec<f64>)> {
    check_positive("counts_at_max", counts_at_max)?;
    if counts_at_max > MAX_COUNTS {
        return Err(Error::param(
            "counts_at_max",
            format!("must be at most {MAX_COUNTS}, got {counts_at_max}"),
        ));
    }
    let scale = counts_scale(y, counts_at_max)?;
    let mut noisy = Vec::with_capacity(y.len());
    let mut sigma = Vec::with_capacity(y.len());
    for &v in y {
        let k = draw_counts(v * scale, rng)?;
        noisy.push(k / scale);
        sigma.push(k.max(1.0).sqrt() / scale);
    }
    Ok((noisy, sigma))
}

/// `s = counts_at_max / max y`, after checking that no intensity is negative.
fn counts_scale(y: &[f64], counts_at_max: f64) -> Result<f64> {
    if let Some(i) = y.iter().position(|&v| v < 0.0) {
        return Err(Error::data(
            format!("intensity[{i}]"),
            format!("is negative ({}); Poisson noise needs counts >= 0", y[i]),
        ));
    }
    let peak = y.iter().fold(0.0f64, |m, &v| m.max(v));
    if peak > 0.0 {
        Ok(counts_at_max / peak)
    } else {
        Err(Error::data(
            "intensity",
            "is zero everywhere; Poisson noise needs a positive maximum",
        ))
    }
}

/// One Poisson draw with mean `lambda >= 0` (0 for `lambda == 0`).
fn draw_counts<R: rand::Rng + ?Sized>(lambda: f64, rng: &mut R) -> Result<f64> {
    if lambda == 0.0 {
        return Ok(0.0);
    }
    let dist = Poisson::new(lambda)
        .map_err(|e| Error::param("counts_at_max", format!("Poisson mean {lambda}: {e}")))?;
    Ok(dist.sample(rng))
}

/// Quadrature sum of an existing sigma (if any) and the noise sigma.
fn combine_sigma(existing: Option<&[f64]>, noise: Vec<f64>) -> Vec<f64> {
    match existing {
        Some(old) => old.iter().zip(&noise).map(|(a, b)| a.hypot(*b)).collect(),
        None => noise,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn flat(n: usize, value: f64) -> Spectrum {
        let e: Vec<f64> = (0..n).map(|i| 7000.0 + 0.1 * i as f64).collect();
        Spectrum::new(e, vec![value; n]).unwrap()
    }

    fn mean_var(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        (
            m,
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
        )
    }

    #[test]
    fn same_seed_same_noise() {
        let s = flat(100, 1.0);
        for model in [
            NoiseModel::Gaussian { sigma: 0.1 },
            NoiseModel::GaussianSnr { snr: 50.0 },
            NoiseModel::Poisson {
                counts_at_max: 1000.0,
            },
        ] {
            let a = add_noise(&s, model, 42).unwrap();
            let b = add_noise(&s, model, 42).unwrap();
            let c = add_noise(&s, model, 43).unwrap();
            assert_eq!(a, b);
            assert_ne!(a.intensity(), c.intensity());
        }
    }

    /// Tolerance of the sample statistics below: five standard errors (a chance of
    /// 6e-7 per check that a correct sampler fails with a new generator or seed).
    const STANDARD_ERRORS: f64 = 5.0;

    #[test]
    fn gaussian_sigma_is_as_requested() {
        let n = 100_000;
        let s = flat(n, 3.0);
        let noisy = add_noise(&s, NoiseModel::Gaussian { sigma: 0.2 }, 7).unwrap();
        let residual: Vec<f64> = noisy.intensity().iter().map(|v| v - 3.0).collect();
        let (m, v) = mean_var(&residual);
        // Standard errors: sigma / sqrt(n) for the mean, sigma / sqrt(2 n) for the
        // sample standard deviation of normal data.
        let n = n as f64;
        assert!(m.abs() < STANDARD_ERRORS * 0.2 / n.sqrt(), "{m}");
        let std_tol = |sigma: f64| STANDARD_ERRORS * sigma / (2.0 * n).sqrt();
        assert!((v.sqrt() - 0.2).abs() < std_tol(0.2), "{}", v.sqrt());
        assert!(noisy.sigma().unwrap().iter().all(|&x| x == 0.2));
        let snr = add_noise(&s, NoiseModel::GaussianSnr { snr: 30.0 }, 8).unwrap();
        let residual: Vec<f64> = snr.intensity().iter().map(|v| v - 3.0).collect();
        let (_, v) = mean_var(&residual);
        assert!((v.sqrt() - 0.1).abs() < std_tol(0.1), "{}", v.sqrt());
    }

    #[test]
    fn poisson_mean_and_variance_match_the_counts() {
        let s = flat(100_000, 0.5);
        let noisy = add_noise(
            &s,
            NoiseModel::Poisson {
                counts_at_max: 40.0,
            },
            11,
        )
        .unwrap();
        // Scale s = 40 / 0.5 = 80: counts = 80 y' have mean = variance = lambda = 40.
        let counts: Vec<f64> = noisy.intensity().iter().map(|v| v * 80.0).collect();
        assert!(counts.iter().all(|c| (c - c.round()).abs() < 1e-9));
        let (m, v) = mean_var(&counts);
        // Standard errors: sqrt(lambda / n) for the mean; for the sample variance
        // sqrt((mu_4 - lambda^2) / n) with the Poisson mu_4 = lambda + 3 lambda^2.
        let (lambda, n) = (40.0, counts.len() as f64);
        assert!(
            (m - 40.0).abs() < STANDARD_ERRORS * (lambda / n).sqrt(),
            "{m}"
        );
        let var_se = ((lambda + 2.0 * lambda * lambda) / n).sqrt();
        assert!((v - 40.0).abs() < STANDARD_ERRORS * var_se, "{v}");
        let sigma = noisy.sigma().unwrap();
        assert!((sigma[0] - counts[0].max(1.0).sqrt() / 80.0).abs() < 1e-15);
    }

    #[test]
    fn poisson_zero_counts_get_the_floor() {
        let e = vec![1.0, 2.0, 3.0];
        let s = Spectrum::new(e, vec![0.0, 1.0, 0.0]).unwrap();
        let noisy = add_noise(
            &s,
            NoiseModel::Poisson {
                counts_at_max: 100.0,
            },
            1,
        )
        .unwrap();
        assert_eq!(noisy.intensity()[0], 0.0);
        assert!((noisy.sigma().unwrap()[0] - 0.01).abs() < 1e-15);
    }

    #[test]
    fn existing_sigma_is_combined_in_quadrature() {
        let s = flat(10, 1.0).with_sigma(vec![0.3; 10]).unwrap();
        let noisy = add_noise(&s, NoiseModel::Gaussian { sigma: 0.4 }, 5).unwrap();
        assert!(
            noisy
                .sigma()
                .unwrap()
                .iter()
                .all(|&x| (x - 0.5).abs() < 1e-15)
        );
    }

    #[test]
    fn add_noise_with_accepts_any_rng() {
        let s = flat(20, 1.0);
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let a = add_noise_with(&s, NoiseModel::Gaussian { sigma: 0.1 }, &mut rng).unwrap();
        assert_eq!(
            a,
            add_noise(&s, NoiseModel::Gaussian { sigma: 0.1 }, 3).unwrap()
        );
        let dyn_rng: &mut dyn rand::Rng = &mut rng;
        assert!(add_noise_with(&s, NoiseModel::Gaussian { sigma: 0.1 }, dyn_rng).is_ok());
    }

    #[test]
    fn bad_parameters_and_data_are_named() {
        let s = flat(5, 1.0);
        for (model, name) in [
            (NoiseModel::Gaussian { sigma: -1.0 }, "sigma"),
            (NoiseModel::Gaussian { sigma: f64::NAN }, "sigma"),
            (NoiseModel::GaussianSnr { snr: 0.0 }, "snr"),
            (NoiseModel::Poisson { counts_at_max: 0.0 }, "counts_at_max"),
            (
                NoiseModel::Poisson {
                    counts_at_max: 1e20,
                },
                "counts_at_max",
            ),
        ] {
            let err = add_noise(&s, model, 0).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
        let neg = Spectrum::new(vec![1.0, 2.0, 3.0], vec![1.0, -0.5, 2.0]).unwrap();
        let err = add_noise(
            &neg,
            NoiseModel::Poisson {
                counts_at_max: 10.0,
            },
            0,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("intensity[1]"), "{err}");
        let zero = flat(5, 0.0);
        assert!(add_noise(&zero, NoiseModel::GaussianSnr { snr: 10.0 }, 0).is_err());
        assert!(
            add_noise(
                &zero,
                NoiseModel::Poisson {
                    counts_at_max: 10.0
                },
                0
            )
            .is_err()
        );
    }
}
