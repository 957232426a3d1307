//! Noise model: the variance of a camera or counter reading, propagated to optical
//! density.
//!
//! A reading of `I` counts has variance `σ_I² = g·I + c` ([`CameraNoise`]: gain `g`
//! in counts per detected quantum, offset `c` in counts² for read noise and dark
//! current; photon counting is `g = 1`, `c = 0`). Optical density
//! `OD = -ln(I / I0)` then has `σ_OD² = σ_I² / I²`; the incident spectrum `I0` is
//! treated as noise-free (it is usually averaged over many pixels or a long dwell).

use xas_core::SpectralImageSource;

use crate::error::{Error, Result};

/// Variance of a reading of `counts`: `gain * counts + offset`, floored at `gain`
/// (one quantum) so that an offset below zero never makes it vanish.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CameraNoise {
    /// Counts per detected quantum (ADU per photoelectron for a camera).
    pub gain: f64,
    /// Variance at zero signal (counts²); negative when a fit says so (the sCMOS
    /// calibration of Ito et al. is `9.3131·I - 63.003`).
    pub offset: f64,
}

impl CameraNoise {
    /// Photon counting: `σ² = I`.
    pub const POISSON: CameraNoise = CameraNoise {
        gain: 1.0,
        offset: 0.0,
    };

    /// A checked model.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `gain > 0` and both are finite.
    pub fn new(gain: f64, offset: f64) -> Result<Self> {
        if !(gain.is_finite() && gain > 0.0) {
            return Err(Error::param("gain", format!("{gain} must be positive")));
        }
        if !offset.is_finite() {
            return Err(Error::param("offset", format!("{offset} must be finite")));
        }
        Ok(CameraNoise { gain, offset })
    }

    /// Variance (counts²) of a reading of `counts`.
    pub fn variance(&self, counts: f64) -> f64 {
        (self.gain * counts + self.offset).max(self.gain)
    }
}

/// What the image's values are.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// Transmitted counts `I`; `i0` is the incident intensity per energy (counts).
    Counts {
        /// Incident counts per energy.
        i0: Vec<f64>,
    },
    /// Optical density `-ln(I/I0)` already; `i0` (counts per energy) sets the count
    /// level `I = I0·exp(-OD)` from which the noise follows.
    OpticalDensity {
        /// Incident counts per energy.
        i0: Vec<f64>,
    },
}

impl Signal {
    /// The incident counts per energy.
    pub fn i0(&self) -> &[f64] {
        match self {
            Signal::Counts { i0 } | Signal::OpticalDensity { i0 } => i0,
        }
    }

    /// Checks `i0` against the number of energies.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `i0` when its length differs or a value is
    /// not a positive finite count.
    pub fn validate(&self, n_energies: usize) -> Result<()> {
        let i0 = self.i0();
        if i0.len() != n_energies {
            return Err(Error::param(
                "i0",
                format!(
                    "has {} values but the image has {n_energies} energies",
                    i0.len()
                ),
            ));
        }
        if let Some((k, v)) = i0
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > 0.0))
        {
            return Err(Error::param(
                "i0",
                format!("value {v} at energy index {k} is not a positive count"),
            ));
        }
        Ok(())
    }

    /// Transmitted counts of one value at energy index `k`.
    fn counts(&self, value: f64, k: usize) -> f64 {
        match self {
            Signal::Counts { .. } => value,
            Signal::OpticalDensity { i0 } => i0[k] * (-value).exp(),
        }
    }

    /// Converts one pixel's values to optical density and its variance, in double
    /// precision (the classifier's vectorised single-precision path is checked against
    /// it). `at` is the pixel's `(y, x)` for error messages.
    ///
    /// Zero counts are taken as half a count (the OD of an opaque pixel is then large
    /// but finite, and its variance huge).
    ///
    /// # Errors
    /// [`Error::InvalidPixel`] for NaN or negative counts.
    pub fn to_od(
        &self,
        noise: &CameraNoise,
        values: &[f64],
        od: &mut [f64],
        var: &mut [f64],
        at: (usize, usize),
    ) -> Result<()> {
        let i0 = self.i0();
        for (k, &v) in values.iter().enumerate() {
            let bad = |message: &str| Error::InvalidPixel {
                y: at.0,
                x: at.1,
                energy: k,
                message: message.into(),
            };
            if !v.is_finite() {
                return Err(bad("value is not finite"));
            }
            let counts = self.counts(v, k);
            if counts < 0.0 {
                return Err(bad(&format!("negative counts {counts}")));
            }
            let counts = counts.max(0.5);
            od[k] = match self {
                Signal::Counts { .. } => (i0[k] / counts).ln(),
                Signal::OpticalDensity { .. } => v,
            };
            var[k] = noise.variance(counts) / (counts * counts);
        }
        Ok(())
    }
}

/// Result of [`estimate_noise`]: the fitted model and the points it was fitted to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NoiseEstimate {
    /// Fitted `variance = gain * counts + offset`.
    pub noise: CameraNoise,
    /// Count bins: (mean counts, robust variance, number of pixel pairs).
    pub bins: Vec<(f64, f64, usize)>,
}

/// Estimates [`CameraNoise`] from the image itself.
///
/// Horizontally adjacent pixels see nearly the same signal, so half the variance of
/// their difference is the reading variance at their mean count. Differences are
/// binned by mean count on a logarithmic scale (30 bins), each bin's variance is taken
/// robustly as `(1.4826·MAD)²/2` (image edges give outliers, not spread), and
/// `variance = g·I + c` is fitted by weighted least squares (weight = pairs/variance²,
/// the inverse variance of a variance estimate). With counts in too narrow a range to
/// separate gain from offset, the offset is set to zero; when the variance does not
/// grow with the counts, it is taken as constant (the weighted mean). At most `max_pairs` pixel
/// pairs are used, from rows spread evenly over the image.
///
/// # Errors
/// Read errors of the source; [`Error::InvalidParameter`] when the image is narrower
/// than two pixels or fewer than 100 usable pairs are found.
pub fn estimate_noise<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    signal: &Signal,
    max_pairs: usize,
) -> Result<NoiseEstimate> {
    let shape = source.shape();
    signal.validate(shape.n_energies)?;
    if shape.width < 2 {
        return Err(Error::param("image", "needs at least two pixel columns"));
    }
    let pairs_per_row = shape.width / 2;
    let rows_wanted = max_pairs.div_ceil(pairs_per_row).clamp(1, shape.height);
    let step = (shape.height / rows_wanted).max(1);
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut buf = Vec::new();
    for y in (0..shape.height).step_by(step) {
        source.read_rows(y..y + 1, &mut buf)?;
        for pair in buf.chunks_exact(2 * shape.n_energies) {
            let (a, b) = pair.split_at(shape.n_energies);
            for k in 0..shape.n_energies {
                let (ca, cb) = (signal.counts(a[k], k), signal.counts(b[k], k));
                if ca.is_finite() && cb.is_finite() && ca > 0.0 && cb > 0.0 {
                    samples.push((0.5 * (ca + cb), ca - cb));
                }
            }
        }
    }
    fit_noise(samples)
}

/// Bins `(mean, difference)` samples and fits `variance = g·mean + c`.
fn fit_noise(samples: Vec<(f64, f64)>) -> Result<NoiseEstimate> {
    const BINS: usize = 30;
    const MIN_PER_BIN: usize = 50;
    if samples.len() < 100 {
        return Err(Error::param(
            "image",
            format!(
                "only {} usable neighbour pairs to estimate the noise from",
                samples.len()
            ),
        ));
    }
    let (lo, hi) = samples.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), s| {
        (lo.min(s.0), hi.max(s.0))
    });
    let span = (hi / lo).ln().max(1e-12);
    let mut bins: Vec<Vec<(f64, f64)>> = vec![Vec::new(); BINS];
    for s in samples {
        let i = (((s.0 / lo).ln() / span) * BINS as f64) as usize;
        bins[i.min(BINS - 1)].push(s);
    }
    let points: Vec<(f64, f64, usize)> = bins
        .into_iter()
        .filter(|b| b.len() >= MIN_PER_BIN)
        .map(|b| {
            let mean = b.iter().map(|s| s.0).sum::<f64>() / b.len() as f64;
            let mut d: Vec<f64> = b.iter().map(|s| s.1).collect();
            let median = median_of(&mut d);
            let mut dev: Vec<f64> = d.iter().map(|v| (v - median).abs()).collect();
            let mad = median_of(&mut dev);
            (mean, 0.5 * (1.4826 * mad).powi(2), b.len())
        })
        .collect();
    let noise = weighted_line(&points)?;
    Ok(NoiseEstimate {
        noise,
        bins: points,
    })
}

fn median_of(v: &mut [f64]) -> f64 {
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    *m
}

/// Weighted least-squares line `var = g·m + c` through the bins, weight
/// `n / var²`; the offset is dropped when the means span less than a factor 1.5.
fn weighted_line(points: &[(f64, f64, usize)]) -> Result<CameraNoise> {
    let usable: Vec<_> = points.iter().filter(|p| p.1 > 0.0).collect();
    if usable.is_empty() {
        return Err(Error::param(
            "image",
            "no count range has enough neighbour pairs to estimate the noise",
        ));
    }
    let w = |p: &(f64, f64, usize)| p.2 as f64 / (p.1 * p.1);
    let (m_lo, m_hi) = usable.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    if usable.len() < 2 || m_hi < 1.5 * m_lo {
        let g = usable.iter().map(|p| w(p) * p.0 * p.1).sum::<f64>()
            / usable.iter().map(|p| w(p) * p.0 * p.0).sum::<f64>();
        return CameraNoise::new(g, 0.0);
    }
    let (mut s, mut sx, mut sxx, mut sy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in &usable {
        let wi = w(p);
        s += wi;
        sx += wi * p.0;
        sxx += wi * p.0 * p.0;
        sy += wi * p.1;
        sxy += wi * p.0 * p.1;
    }
    let det = s * sxx - sx * sx;
    let g = (s * sxy - sx * sy) / det;
    let c = (sxx * sy - sx * sxy) / det;
    if g > 0.0 {
        return CameraNoise::new(g, c);
    }
    // The variance does not grow with the counts (read noise dominates, or the data
    // were smoothed): a constant variance, the weighted mean, with a negligible gain.
    let constant = sy / s;
    CameraNoise::new(1e-9 * constant / m_hi, constant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn od_variance_follows_the_counts() {
        let noise = CameraNoise::new(9.3131, -63.003).unwrap();
        let signal = Signal::Counts {
            i0: vec![27_000.0, 27_000.0],
        };
        let (mut od, mut var) = ([0.0; 2], [0.0; 2]);
        signal
            .to_od(
                &noise,
                &[27_000.0 / std::f64::consts::E, 2.0],
                &mut od,
                &mut var,
                (0, 0),
            )
            .unwrap();
        assert!((od[0] - 1.0).abs() < 1e-12);
        let i = 27_000.0 / std::f64::consts::E;
        assert!((var[0] - (9.3131 * i - 63.003) / (i * i)).abs() < 1e-15);
        // Below the offset the variance is floored at one quantum.
        assert!((var[1] - 9.3131 / 4.0).abs() < 1e-12);
        // The same pixel given as OD has the same variance.
        let signal = Signal::OpticalDensity {
            i0: vec![27_000.0, 27_000.0],
        };
        let mut var2 = [0.0; 2];
        signal
            .to_od(&noise, &[1.0, 1.0], &mut od, &mut var2, (0, 0))
            .unwrap();
        assert!((var2[0] - var[0]).abs() < 1e-12 * var[0]);
    }

    #[test]
    fn fit_recovers_a_line_and_falls_back_to_a_constant() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(9);
        // Pairs at counts 100..10_000; differences of two readings of variance v(m).
        let samples = |v: &dyn Fn(f64) -> f64, rng: &mut rand_pcg::Pcg64Mcg| -> Vec<(f64, f64)> {
            (0..200_000)
                .map(|i| {
                    let m = 100.0 + f64::from(i % 1000) * 9.9;
                    let g: f64 = StandardNormal.sample(&mut *rng);
                    (m, g * (2.0 * v(m)).sqrt())
                })
                .collect()
        };
        let line = fit_noise(samples(&|m| 2.0 * m + 50.0, &mut rng))
            .unwrap()
            .noise;
        assert!((line.gain / 2.0 - 1.0).abs() < 0.03, "{line:?}");
        let flat = fit_noise(samples(&|_| 17.0, &mut rng)).unwrap().noise;
        for m in [100.0, 10_000.0] {
            assert!((flat.variance(m) / 17.0 - 1.0).abs() < 0.03, "{flat:?}");
        }
        // A variance falling with the counts (smoothed data) gives a constant model.
        let falling = fit_noise(samples(&|m| 20.0 - 5e-4 * m, &mut rng))
            .unwrap()
            .noise;
        assert!(falling.gain < 1e-8, "{falling:?}");
        assert!((15.0..20.0).contains(&falling.offset), "{falling:?}");
    }

    #[test]
    fn bad_values_name_the_pixel() {
        let signal = Signal::Counts { i0: vec![10.0] };
        let (mut od, mut var) = ([0.0], [0.0]);
        let err = signal
            .to_od(&CameraNoise::POISSON, &[-3.0], &mut od, &mut var, (4, 7))
            .unwrap_err();
        assert!(err.to_string().contains("(y 4, x 7)"), "{err}");
        assert!(Signal::Counts { i0: vec![0.0] }.validate(1).is_err());
        assert!(Signal::Counts { i0: vec![1.0] }.validate(2).is_err());
        assert!(CameraNoise::new(0.0, 0.0).is_err());
    }
}
