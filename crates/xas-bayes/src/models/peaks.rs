//! Sums of peaks for spectral deconvolution (Nagata, Sugita & Okada, Neural Networks 28,
//! 82 (2012)): `f(x) = Σ_k a_k g((x - μ_k) / w_k)` with peak height `a_k`, centre `μ_k`
//! and full width at half maximum `w_k` (FWHM), and shape
//! * Gaussian `g = exp(-4 ln2 u²)`,
//! * Lorentzian `g = 1 / (1 + 4 u²)`,
//! * pseudo-Voigt `g = η_k L + (1 - η_k) G` with a mixing parameter `η_k` per peak.
//!
//! The number of peaks is chosen by the Bayes free energy: fit `K = 1, 2, ...` and take
//! the smallest `F(K)`.

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

/// A sum of `n_peaks` peaks of one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Peaks {
    n_peaks: usize,
    shape: Shape,
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
            names,
        })
    }

    /// Parameters per peak.
    fn stride(&self) -> usize {
        if self.shape == Shape::PseudoVoigt {
            4
        } else {
            3
        }
    }

    /// Default priors from the data: heights `Gamma(5, 5 / y_max)` (mean `y_max`),
    /// centres uniform over the data range, FWHM `Gamma(5, 5 / (0.07 R))` (mean 7 % of
    /// the range `R`), mixing `Uniform(0, 1)`. For `x` in `[0, 3]` and heights of order
    /// one these are close to the priors of the originating study.
    pub fn default_priors(&self, x: &[f64], y: &[f64]) -> Result<Priors> {
        let (lo, hi) = xas_core::grid::min_max(x);
        let y_max = y.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v));
        if hi <= lo || y_max.is_nan() || y_max <= 0.0 {
            return Err(Error::data(
                "peaks",
                "need a non-empty x range and a positive maximum of y",
            ));
        }
        let range = hi - lo;
        let per_peak = |name: &str| -> Prior {
            match name.chars().next() {
                Some('a') => Prior::gamma(5.0, 5.0 / y_max),
                Some('m') => Prior::uniform(lo, hi),
                Some('w') => Prior::gamma(5.0, 5.0 / (0.07 * range)),
                _ => Prior::uniform(0.0, 1.0),
            }
        };
        Priors::new(self.names.iter().map(|n| (n.clone(), per_peak(n))))
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
        out.iter_mut().for_each(|o| *o = 0.0);
        for p in theta.chunks_exact(self.stride()).take(self.n_peaks) {
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
}
