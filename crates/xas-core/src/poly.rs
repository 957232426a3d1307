//! Small dense least-squares and polynomial fitting used by the processing routines.

use crate::error::{Error, Result};
use crate::grid::min_max;

/// Solves the linear least-squares problem `min ||A c - b||_2` by Householder QR.
///
/// `a` is row-major with `rows` rows and `cols` columns (`rows >= cols`). Returns the
/// coefficient vector `c` of length `cols`.
///
/// # Errors
/// [`Error::InvalidParameter`] on inconsistent sizes, [`Error::InvalidData`] when `A` is
/// rank deficient (a column is, to rounding, a combination of the others).
pub fn least_squares(a: &[f64], rows: usize, cols: usize, b: &[f64]) -> Result<Vec<f64>> {
    if cols == 0 || rows < cols || a.len() != rows * cols || b.len() != rows {
        return Err(Error::param(
            "least_squares",
            format!(
                "need rows >= cols > 0 and matching lengths (rows {rows}, cols {cols}, a {}, b {})",
                a.len(),
                b.len()
            ),
        ));
    }
    let mut r = a.to_vec();
    let mut q_tb = b.to_vec();
    let scale = r
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for k in 0..cols {
        let norm = (k..rows)
            .map(|i| r[i * cols + k].powi(2))
            .sum::<f64>()
            .sqrt();
        if norm <= 1e-13 * scale * (rows as f64).sqrt() {
            return Err(Error::data(
                "design matrix",
                format!("column {k} is linearly dependent on the others"),
            ));
        }
        let alpha = if r[k * cols + k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = (k..rows).map(|i| r[i * cols + k]).collect();
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|x| x * x).sum();
        for j in k..cols {
            let dot: f64 = (k..rows).map(|i| v[i - k] * r[i * cols + j]).sum::<f64>();
            let f = 2.0 * dot / vnorm2;
            for i in k..rows {
                r[i * cols + j] -= f * v[i - k];
            }
        }
        let dot: f64 = (k..rows).map(|i| v[i - k] * q_tb[i]).sum::<f64>();
        let f = 2.0 * dot / vnorm2;
        for i in k..rows {
            q_tb[i] -= f * v[i - k];
        }
    }
    let mut c = vec![0.0; cols];
    for k in (0..cols).rev() {
        let s: f64 = ((k + 1)..cols).map(|j| r[k * cols + j] * c[j]).sum();
        c[k] = (q_tb[k] - s) / r[k * cols + k];
    }
    Ok(c)
}

/// A polynomial `p(x) = sum_k c_k ((x - x0) / dx)^k` in a centred, scaled variable,
/// which keeps fits well conditioned on energy axes of ~10^4 eV.
#[derive(Debug, Clone, PartialEq)]
pub struct Polynomial {
    /// Coefficients in increasing degree of the scaled variable.
    pub coefficients: Vec<f64>,
    /// Centre `x0` of the scaled variable.
    pub x0: f64,
    /// Scale `dx` of the scaled variable (> 0).
    pub dx: f64,
}

impl Polynomial {
    /// Evaluates the polynomial at `x` (Horner's rule).
    pub fn eval(&self, x: f64) -> f64 {
        let t = (x - self.x0) / self.dx;
        self.coefficients
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * t + c)
    }

    /// Least-squares fit of degree `degree` to the points `(x, y)`, optionally weighted
    /// by `weights` (the residuals are multiplied by the weights).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when there are fewer than `degree + 1` points or the
    /// lengths differ; [`Error::InvalidData`] when the points do not determine the fit.
    pub fn fit(x: &[f64], y: &[f64], degree: usize, weights: Option<&[f64]>) -> Result<Self> {
        let n = x.len();
        if y.len() != n || weights.is_some_and(|w| w.len() != n) {
            return Err(Error::param("x/y/weights", "must have equal lengths"));
        }
        let cols = degree + 1;
        if n < cols {
            return Err(Error::param(
                "degree",
                format!("a degree-{degree} fit needs at least {cols} points, got {n}"),
            ));
        }
        let (lo, hi) = min_max(x);
        let x0 = 0.5 * (lo + hi);
        let dx = if hi > lo { 0.5 * (hi - lo) } else { 1.0 };
        let mut a = Vec::with_capacity(n * cols);
        let mut b = Vec::with_capacity(n);
        for i in 0..n {
            let w = weights.map_or(1.0, |w| w[i]);
            let t = (x[i] - x0) / dx;
            let mut p = w;
            for _ in 0..cols {
                a.push(p);
                p *= t;
            }
            b.push(w * y[i]);
        }
        let coefficients = least_squares(&a, n, cols, &b)?;
        Ok(Polynomial {
            coefficients,
            x0,
            dx,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_exact_cubic() {
        let x: Vec<f64> = (0..20).map(|i| 7000.0 + 10.0 * i as f64).collect();
        let f = |x: f64| 2.0 - 0.5 * (x - 7100.0) / 100.0 + 3.0 * ((x - 7100.0) / 100.0).powi(3);
        let y: Vec<f64> = x.iter().map(|&v| f(v)).collect();
        let p = Polynomial::fit(&x, &y, 3, None).unwrap();
        for &v in &[7000.0, 7055.5, 7190.0] {
            assert!((p.eval(v) - f(v)).abs() < 1e-10);
        }
    }

    #[test]
    fn rank_deficient_is_an_error() {
        assert!(Polynomial::fit(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], 1, None).is_err());
    }
}
