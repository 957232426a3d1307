//! Sums of peaks for spectral deconvolution (Nagata, Sugita & Okada, Neural Networks 28,
//! 82 (2012)): `f(x) = Σ_k a_k g((x - μ_k) / w_k)` with peak height `a_k`, centre `μ_k`
//! and full width at half maximum `w_k` (FWHM), and shape
//! * Gaussian `g = exp(-4 ln2 u²)`,
//! * Lorentzian `g = 1 / (1 + 4 u²)`,
//! * pseudo-Voigt `g = η_k L + (1 - η_k) G` with a mixing parameter `η_k` per peak.
//!
//! An optional background is added to the sum: a constant `b0` or a straight line
//! `b0 + b1 (x - x_ref)` about a reference abscissa `x_ref` (the middle of the data, so
//! that `b0` and `b1` are nearly uncorrelated).
//!
//! The number of peaks is chosen by the Bayes free energy: fit `K = 1, 2, ...` and take
//! the smallest `F(K)`; the same comparison chooses between backgrounds.

use serde::{Deserialize, Serialize};

use crate::posterior::ForwardModel;
use crate::prior::{Prior, Priors};
use crate::{Error, Result};

/// Peak shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// Gaussian.
    Gaussian,
    /// Lorentzian.
    Lorentzian,
    /// Pseudo-Voigt with a mixing parameter per peak.
    PseudoVoigt,
}

/// Background under the peaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Background {
    /// No background: the peaks alone.
    #[default]
    None,
    /// A constant `b0` (parameter `bg0`, intensity units).
    Constant,
    /// A straight line `b0 + b1 (x - x_ref)` (parameters `bg0`, intensity units, and
    /// `bg1`, intensity per unit of `x`).
    Linear,
}

impl Background {
    /// Names of the background parameters.
    fn parameter_names(self) -> &'static [&'static str] {
        match self {
            Background::None => &[],
            Background::Constant => &["bg0"],
            Background::Linear => &["bg0", "bg1"],
        }
    }
}

/// A sum of `n_peaks` peaks of one shape, plus an optional background.
#[derive(Debug, Clone, PartialEq)]
pub struct Peaks {
    n_peaks: usize,
    shape: Shape,
    background: Background,
    x_ref: f64,
    names: Vec<String>,
}

/// `4 ln 2`: a Gaussian of FWHM `w` is `exp(-4 ln2 (x - μ)² / w²)`.
const FOUR_LN2: f64 = 4.0 * std::f64::consts::LN_2;

impl Peaks {
    /// A model of `n_peaks ≥ 1` peaks; parameters `a1, mu1, w1[, eta1], a2, ...`.
    pub fn new(n_peaks: usize, shape: Shape) -> Result<Self> {
        if n_peaks == 0 {
            return Err(Error::param("peaks", "need at least one peak"));
        }
        let mut names = Vec::new();
        for k in 1..=n_peaks {
            names.extend([format!("a{k}"), format!("mu{k}"), format!("w{k}")]);
            if shape == Shape::PseudoVoigt {
                names.push(format!("eta{k}"));
            }
        }
        Ok(Peaks {
            n_peaks,
            shape,
            background: Background::None,
            x_ref: 0.0,
            names,
        })
    }

    /// The same peaks on `background`; a linear background is `b0 + b1 (x - x_ref)`.
    /// The background parameters follow the peaks' in the parameter vector.
    #[must_use]
    pub fn with_background(mut self, background: Background, x_ref: f64) -> Self {
        let n_peak_params = self.n_peaks * self.stride();
        self.names.truncate(n_peak_params);
        self.names.extend(
            background
                .parameter_names()
                .iter()
                .map(|n| (*n).to_string()),
        );
        self.background = background;
        self.x_ref = x_ref;
        self
    }

    /// The middle of the range of `x`, the natural `x_ref` of a linear background.
    pub fn middle(x: &[f64]) -> f64 {
        let (lo, hi) = xas_core::grid::min_max(x);
        0.5 * (lo + hi)
    }

    /// Parameters per peak.
    fn stride(&self) -> usize {
        if self.shape == Shape::PseudoVoigt {
            4
        } else {
            3
        }
    }

    /// Default priors from the data. Heights `Gamma(5, 5 / h)` (mean `h`, the height
    /// scale: `y_max` without background, `y_max - y_min` with one), centres uniform
    /// over the data range, FWHM `Gamma(5, 5 / (0.07 R))` (mean 7 % of the range `R`),
    /// mixing `Uniform(0, 1)`; background level `bg0 ~ Normal(y_min, (y_max - y_min) / 4)`
    /// and slope `bg1 ~ Normal(0, (y_max - y_min) / R)`. For `x` in `[0, 3]` and heights
    /// of order one the peak priors are close to those of the originating study.
    pub fn default_priors(&self, x: &[f64], y: &[f64]) -> Result<Priors> {
        let (lo, hi) = xas_core::grid::min_max(x);
        let (y_min, y_max) = xas_core::grid::min_max(y);
        let height = match self.background {
            Background::None => y_max,
            _ => y_max - y_min,
        };
        if hi <= lo || height.is_nan() || height <= 0.0 {
            return Err(Error::data(
                "peaks",
                "need a non-empty x range and a positive height scale of y \
                 (y_max without background, y_max - y_min with one)",
            ));
        }
        let range = hi - lo;
        let spread = y_max - y_min;
        let prior = |name: &str| -> Prior {
            match name {
                "bg0" => Prior::normal(y_min, 0.25 * spread),
                "bg1" => Prior::normal(0.0, spread / range),
                _ => match name.chars().next() {
                    Some('a') => Prior::gamma(5.0, 5.0 / height),
                    Some('m') => Prior::uniform(lo, hi),
                    Some('w') => Prior::gamma(5.0, 5.0 / (0.07 * range)),
                    _ => Prior::uniform(0.0, 1.0),
                },
            }
        };
        Priors::new(self.names.iter().map(|n| (n.clone(), prior(n))))
    }
}

impl ForwardModel for Peaks {
    fn name(&self) -> &str {
        "peaks"
    }

    fn parameter_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn predict(&self, theta: &[f64], x: &[f64], out: &mut [f64]) -> Result<()> {
        if theta.len() != self.names.len() {
            return Err(Error::param(
                "peaks",
                format!(
                    "expected {} parameters, got {}",
                    self.names.len(),
                    theta.len()
                ),
            ));
        }
        let n_peak_params = self.n_peaks * self.stride();
        let (peaks, bg) = theta.split_at(n_peak_params);
        match (self.background, bg) {
            (Background::Constant, [b0, ..]) => out.iter_mut().for_each(|o| *o = *b0),
            (Background::Linear, [b0, b1, ..]) => {
                for (o, &xi) in out.iter_mut().zip(x) {
                    *o = b0 + b1 * (xi - self.x_ref);
                }
            }
            _ => out.iter_mut().for_each(|o| *o = 0.0),
        }
        for p in peaks.chunks_exact(self.stride()) {
            let (a, mu, w) = (p[0], p[1], p[2]);
            let inv_w2 = 1.0 / (w * w);
            for (o, &xi) in out.iter_mut().zip(x) {
                let u2 = (xi - mu) * (xi - mu) * inv_w2;
                let g = match self.shape {
                    Shape::Gaussian => (-FOUR_LN2 * u2).exp(),
                    Shape::Lorentzian => 1.0 / (1.0 + 4.0 * u2),
                    Shape::PseudoVoigt => {
                        p[3] / (1.0 + 4.0 * u2) + (1.0 - p[3]) * (-FOUR_LN2 * u2).exp()
                    }
                };
                *o += a * g;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_has_its_height_at_the_centre_and_half_at_half_width() {
        for shape in [Shape::Gaussian, Shape::Lorentzian, Shape::PseudoVoigt] {
            let m = Peaks::new(1, shape).unwrap();
            let mut theta = vec![2.0, 1.0, 0.4];
            if shape == Shape::PseudoVoigt {
                theta.push(0.3);
            }
            let x = [1.0, 1.2, 0.8];
            let mut f = [0.0; 3];
            m.predict(&theta, &x, &mut f).unwrap();
            assert!(
                (f[0] - 2.0).abs() < 1e-14
                    && (f[1] - 1.0).abs() < 1e-14
                    && (f[2] - 1.0).abs() < 1e-14,
                "{shape:?}: {f:?}"
            );
        }
        assert_eq!(
            Peaks::new(2, Shape::PseudoVoigt)
                .unwrap()
                .parameter_names()
                .len(),
            8
        );
        assert!(Peaks::new(0, Shape::Gaussian).is_err());
    }

    #[test]
    fn backgrounds_add_a_level_and_a_slope_about_the_reference() {
        let x = [0.0, 1.0, 2.0, 30.0];
        let theta_peak = [2.0, 30.0, 0.5];
        let mut peak_only = [0.0; 4];
        let bare = Peaks::new(1, Shape::Lorentzian).unwrap();
        bare.predict(&theta_peak, &x, &mut peak_only).unwrap();
        let cases = [
            (Background::Constant, vec![0.7], [0.7, 0.7, 0.7, 0.7]),
            (Background::Linear, vec![0.7, -0.1], [0.8, 0.7, 0.6, -2.2]),
        ];
        for (background, bg, expected) in cases {
            let m = bare.clone().with_background(background, 1.0);
            let theta: Vec<f64> = theta_peak.iter().chain(&bg).copied().collect();
            assert_eq!(m.parameter_names().len(), theta.len());
            let mut f = [0.0; 4];
            m.predict(&theta, &x, &mut f).unwrap();
            for i in 0..4 {
                assert!(
                    (f[i] - peak_only[i] - expected[i]).abs() < 1e-14,
                    "{background:?} at x = {}: {}",
                    x[i],
                    f[i]
                );
            }
            // A wrong parameter count is an error, not a panic.
            assert!(m.predict(&theta_peak, &x, &mut f).is_err());
        }
        // Changing the background twice leaves one set of background parameters.
        let m = bare
            .with_background(Background::Linear, 0.0)
            .with_background(Background::Constant, 0.0);
        assert_eq!(m.parameter_names(), ["a1", "mu1", "w1", "bg0"]);
    }

    #[test]
    fn background_priors_are_scaled_to_the_data() {
        let x = [0.0, 1.0, 2.0, 4.0];
        let y = [1.0, 3.0, 1.5, 1.0];
        let m = Peaks::new(1, Shape::Gaussian)
            .unwrap()
            .with_background(Background::Linear, 2.0);
        let priors = m.default_priors(&x, &y).unwrap();
        let prior = |n: &str| &priors.priors()[priors.index_of(n).unwrap()];
        assert_eq!(*prior("bg0"), Prior::normal(1.0, 0.5));
        assert_eq!(*prior("bg1"), Prior::normal(0.0, 0.5));
        // With a background the height scale is y_max - y_min = 2 (mean of Gamma(5, 5/2)).
        assert_eq!(*prior("a1"), Prior::gamma(5.0, 2.5));
        // A flat spectrum has no height scale once a background takes the level.
        assert!(m.default_priors(&x, &[1.0; 4]).is_err());
    }
}
