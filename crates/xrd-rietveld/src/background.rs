//! Backgrounds, linear in their coefficients `b_k`:
//! * Chebyshev polynomials of the first kind, `Σ_k b_k T_k(t)` with
//!   `t = 2 (2θ − 2θ_lo)/(2θ_hi − 2θ_lo) − 1` over the refined range (true Chebyshev
//!   polynomials, GSAS-II's `chebyschev-1`; its `chebyschev` is a power series);
//! * linear interpolation between `n` knots equally spaced in `2θ` (`lin interpolate`),
//!   or in `ln 2θ` (`log interpolate`), whose coefficients are the background at the
//!   knots.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Background model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackgroundKind {
    /// Chebyshev polynomials of the first kind.
    Chebyshev,
    /// Linear interpolation between knots equally spaced in 2θ.
    LinearInterpolation,
    /// Linear interpolation between knots equally spaced in ln 2θ.
    LogInterpolation,
}

/// A background over `[lo, hi]` degrees with `n` coefficients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Background {
    /// Model.
    pub kind: BackgroundKind,
    /// Coefficients (counts).
    pub coefficients: Vec<f64>,
    /// Lower end of the range (degrees 2θ).
    pub lo: f64,
    /// Upper end of the range (degrees 2θ).
    pub hi: f64,
}

impl Background {
    /// A background of `n` zero coefficients over `[lo, hi]`.
    ///
    /// # Errors
    /// `n = 0`, fewer than two knots for interpolation, or an empty or non-positive range
    /// (log spacing needs `lo > 0`).
    pub fn new(kind: BackgroundKind, n: usize, lo: f64, hi: f64) -> Result<Self> {
        let min_terms = if kind == BackgroundKind::Chebyshev {
            1
        } else {
            2
        };
        if n < min_terms {
            return Err(Error::param(
                "background terms",
                format!("{kind:?} needs at least {min_terms}, got {n}"),
            ));
        }
        if !(lo.is_finite() && hi.is_finite() && hi > lo && lo > 0.0) {
            return Err(Error::param(
                "background range",
                format!("need 0 < lo < hi, got {lo}..{hi}"),
            ));
        }
        Ok(Background {
            kind,
            coefficients: vec![0.0; n],
            lo,
            hi,
        })
    }

    /// The basis functions at `two_theta_deg` (the background is their dot product with
    /// the coefficients).
    pub fn basis(&self, two_theta_deg: f64, out: &mut [f64]) {
        let n = self.coefficients.len();
        match self.kind {
            BackgroundKind::Chebyshev => {
                let t =
                    (2.0 * (two_theta_deg - self.lo) / (self.hi - self.lo) - 1.0).clamp(-1.0, 1.0);
                let (mut prev, mut cur) = (1.0, t);
                for (k, o) in out.iter_mut().enumerate().take(n) {
                    *o = match k {
                        0 => 1.0,
                        1 => t,
                        _ => {
                            (prev, cur) = (cur, 2.0 * t * cur - prev);
                            cur
                        }
                    };
                }
            }
            BackgroundKind::LinearInterpolation | BackgroundKind::LogInterpolation => {
                let map = |x: f64| {
                    if self.kind == BackgroundKind::LogInterpolation {
                        x.ln()
                    } else {
                        x
                    }
                };
                let (a, b) = (map(self.lo), map(self.hi));
                let pos = ((map(two_theta_deg.clamp(self.lo, self.hi)) - a) / (b - a)
                    * (n - 1) as f64)
                    .clamp(0.0, (n - 1) as f64);
                let k = (pos.floor() as usize).min(n - 2);
                let f = pos - k as f64;
                out.iter_mut().take(n).for_each(|o| *o = 0.0);
                out[k] = 1.0 - f;
                out[k + 1] = f;
            }
        }
    }

    /// The background at `two_theta_deg` (counts).
    pub fn value(&self, two_theta_deg: f64) -> f64 {
        self.values(&[two_theta_deg])[0]
    }

    /// The background at every angle of `two_theta_deg` (counts).
    pub fn values(&self, two_theta_deg: &[f64]) -> Vec<f64> {
        let mut basis = vec![0.0; self.coefficients.len()];
        two_theta_deg
            .iter()
            .map(|&t| {
                self.basis(t, &mut basis);
                basis
                    .iter()
                    .zip(&self.coefficients)
                    .map(|(b, c)| b * c)
                    .sum()
            })
            .collect()
    }

    /// Every basis function on `two_theta_deg`: `columns[k][i]` is function `k` at
    /// angle `i` (the background's derivatives with respect to its coefficients).
    pub fn columns(&self, two_theta_deg: &[f64]) -> Vec<Vec<f64>> {
        let mut columns = vec![Vec::with_capacity(two_theta_deg.len()); self.coefficients.len()];
        let mut basis = vec![0.0; self.coefficients.len()];
        for &t in two_theta_deg {
            self.basis(t, &mut basis);
            for (column, &b) in columns.iter_mut().zip(&basis) {
                column.push(b);
            }
        }
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chebyshev_polynomials_are_cosines() {
        let mut bg = Background::new(BackgroundKind::Chebyshev, 6, 10.0, 110.0).unwrap();
        let mut out = [0.0; 6];
        for x in [10.0, 23.0, 60.0, 97.5, 110.0] {
            bg.basis(x, &mut out);
            let t: f64 = 2.0 * (x - 10.0) / 100.0 - 1.0;
            for (k, v) in out.iter().enumerate() {
                assert!((v - (k as f64 * t.acos()).cos()).abs() < 1e-12, "T{k}({t})");
            }
        }
        bg.coefficients = vec![100.0, 10.0, 0.0, 0.0, 0.0, 0.0];
        assert!((bg.value(110.0) - 110.0).abs() < 1e-12);
    }

    #[test]
    fn interpolation_hits_the_knots() {
        let mut lin = Background::new(BackgroundKind::LinearInterpolation, 3, 10.0, 30.0).unwrap();
        lin.coefficients = vec![5.0, 7.0, 3.0];
        assert_eq!(
            (
                lin.value(10.0),
                lin.value(20.0),
                lin.value(30.0),
                lin.value(15.0)
            ),
            (5.0, 7.0, 3.0, 6.0)
        );
        let mut log = Background::new(BackgroundKind::LogInterpolation, 3, 10.0, 90.0).unwrap();
        log.coefficients = vec![1.0, 2.0, 3.0];
        // The middle knot of log spacing over 10-90 is at 30 (geometric mean).
        assert!((log.value(30.0) - 2.0).abs() < 1e-12);
        assert!(Background::new(BackgroundKind::LogInterpolation, 1, 10.0, 90.0).is_err());
        assert!(Background::new(BackgroundKind::Chebyshev, 3, 90.0, 10.0).is_err());
    }

    #[test]
    fn values_are_the_coefficients_times_the_columns() {
        for kind in [
            BackgroundKind::Chebyshev,
            BackgroundKind::LinearInterpolation,
            BackgroundKind::LogInterpolation,
        ] {
            let mut bg = Background::new(kind, 5, 10.0, 110.0).unwrap();
            bg.coefficients = vec![3.0, -1.0, 0.5, 2.0, 7.0];
            let x = [10.0, 17.5, 42.0, 88.8, 110.0];
            let columns = bg.columns(&x);
            for (i, (&t, v)) in x.iter().zip(bg.values(&x)).enumerate() {
                let by_columns: f64 = (0..5).map(|k| bg.coefficients[k] * columns[k][i]).sum();
                assert!((v - by_columns).abs() < 1e-12, "{kind:?} at {t}");
                assert_eq!(v, bg.value(t));
            }
        }
    }
}
