//! Smoothing and differentiation: Savitzky–Golay filters on uniform and non-uniform
//! energy grids, and a second-order finite-difference derivative.

use crate::error::{Error, Result};
use crate::grid::{check_axis, check_values, is_uniform};
use crate::poly::Polynomial;

/// Relative spacing tolerance under which a grid is treated as uniform and filtered by
/// convolution (see [`SavitzkyGolay::apply`]).
const UNIFORM_REL_TOL: f64 = 1e-8;

/// A Savitzky–Golay filter: at each point, the least-squares polynomial of degree
/// `order` through the `window` points centred on it is evaluated (or differentiated
/// `derivative` times) at that point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SavitzkyGolay {
    /// Window length in points; odd and greater than `order`.
    pub window: usize,
    /// Degree of the local polynomial.
    pub order: usize,
    /// Order of the derivative returned (0 = smoothed values); at most `order`.
    pub derivative: usize,
}

impl SavitzkyGolay {
    /// A validated filter.
    ///
    /// # Errors
    /// As [`SavitzkyGolay::validate`].
    pub fn new(window: usize, order: usize, derivative: usize) -> Result<Self> {
        let filter = SavitzkyGolay {
            window,
            order,
            derivative,
        };
        filter.validate()?;
        Ok(filter)
    }

    /// Checks that `window` is odd, `order < window` and `derivative <= order`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `window`, `order` or `derivative`.
    pub fn validate(&self) -> Result<()> {
        if self.window.is_multiple_of(2) {
            return Err(Error::param(
                "window",
                format!("must be odd, got {}", self.window),
            ));
        }
        if self.order >= self.window {
            return Err(Error::param(
                "order",
                format!(
                    "must be less than window ({}), got {}",
                    self.window, self.order
                ),
            ));
        }
        if self.derivative > self.order {
            return Err(Error::param(
                "derivative",
                format!(
                    "must not exceed order ({}), got {}",
                    self.order, self.derivative
                ),
            ));
        }
        Ok(())
    }

    /// Convolution coefficients `c_j`, `j = -m..=m` (`m = window / 2`), for unit point
    /// spacing: `out_i = sum_j c_j y_{i+j} / h^derivative` on a grid of step `h`.
    ///
    /// `c_j = derivative! * a_{derivative, j}` where `a = (V^T V)^{-1} V^T` is the
    /// least-squares solution operator for the Vandermonde matrix `V_{jk} = j^k`. For
    /// window 5, order 2 this gives the textbook `(-3, 12, 17, 12, -3) / 35`.
    ///
    /// # Errors
    /// As [`SavitzkyGolay::validate`].
    pub fn coefficients(&self) -> Result<Vec<f64>> {
        self.validate()?;
        let half = (self.window / 2) as f64;
        let offsets: Vec<f64> = (0..self.window).map(|j| j as f64 - half).collect();
        (0..self.window)
            .map(|j| {
                let unit: Vec<f64> = (0..self.window).map(|k| f64::from(k == j)).collect();
                let p = Polynomial::fit(&offsets, &unit, self.order, None)?;
                Ok(derivative_of(&p, 0.0, self.derivative))
            })
            .collect()
    }

    /// Filters `y` sampled at `energy_ev` (eV, strictly increasing). Derivatives are per
    /// eV^`derivative`.
    ///
    /// On a uniform grid (spacings equal within a relative `1e-8`) interior points use
    /// the convolution [`SavitzkyGolay::coefficients`]; the first and last `window / 2`
    /// points are evaluated from the polynomial fitted to the first and last full window
    /// (SciPy's `mode='interp'`). On a non-uniform grid the polynomial is fitted in
    /// energy to the window around each point (the same clamped windows at the ends).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid filter or a window longer than the
    /// data; [`Error::InvalidData`] for a bad axis or `y`.
    pub fn apply(&self, energy_ev: &[f64], y: &[f64]) -> Result<Vec<f64>> {
        self.validate()?;
        check_axis("energy", energy_ev)?;
        check_values("y", y, energy_ev.len())?;
        if self.window > y.len() {
            return Err(Error::param(
                "window",
                format!(
                    "{} is longer than the data ({} points)",
                    self.window,
                    y.len()
                ),
            ));
        }
        match is_uniform(energy_ev, UNIFORM_REL_TOL) {
            Some(step) => self.apply_uniform(energy_ev, y, step),
            None => (0..y.len())
                .map(|i| self.local_fit(energy_ev, y, i))
                .collect(),
        }
    }

    /// Convolution in the interior, end-window fits at the edges.
    fn apply_uniform(&self, energy: &[f64], y: &[f64], step: f64) -> Result<Vec<f64>> {
        let n = y.len();
        let m = self.window / 2;
        let c = self.coefficients()?;
        let unit = step.powi(self.derivative as i32);
        (0..n)
            .map(|i| {
                if i < m || i + m >= n {
                    self.local_fit(energy, y, i)
                } else {
                    let dot: f64 = c.iter().zip(&y[i - m..=i + m]).map(|(a, b)| a * b).sum();
                    Ok(dot / unit)
                }
            })
            .collect()
    }

    /// Fits the window around point `i` (clamped to the data) and evaluates the
    /// requested derivative at `energy[i]`.
    fn local_fit(&self, energy: &[f64], y: &[f64], i: usize) -> Result<f64> {
        let start = i.saturating_sub(self.window / 2).min(y.len() - self.window);
        let range = start..start + self.window;
        let p = Polynomial::fit(&energy[range.clone()], &y[range], self.order, None)?;
        Ok(derivative_of(&p, energy[i], self.derivative))
    }
}

/// `d`-th derivative of `p` at `x`:
/// `sum_{k >= d} c_k k! / (k - d)! t^(k - d) / dx^d` with `t = (x - x0) / dx`.
fn derivative_of(p: &Polynomial, x: f64, d: usize) -> f64 {
    let t = (x - p.x0) / p.dx;
    let falling = |k: usize| ((k - d + 1)..=k).map(|v| v as f64).product::<f64>();
    let sum = p
        .coefficients
        .iter()
        .enumerate()
        .skip(d)
        .rev()
        .fold(0.0, |acc, (k, c)| acc * t + c * falling(k));
    sum / p.dx.powi(d as i32)
}

/// First derivative `dy/dE` (units of `y` per eV) by finite differences on any grid,
/// like `numpy.gradient(y, energy, edge_order=1)`.
///
/// Interior points use the second-order three-point formula for unequal spacings
/// `h_l = E_i - E_{i-1}`, `h_r = E_{i+1} - E_i`:
///
/// `y'_i = (h_l^2 y_{i+1} - h_r^2 y_{i-1} + (h_r^2 - h_l^2) y_i) / (h_l h_r (h_l + h_r))`,
///
/// exact for quadratics. The end points use first-order one-sided differences
/// `(y_1 - y_0) / (E_1 - E_0)` and `(y_{n-1} - y_{n-2}) / (E_{n-1} - E_{n-2})`.
///
/// # Errors
/// [`Error::InvalidData`] for a bad axis (fewer than two points, not strictly
/// increasing, non-finite) or a bad `y` (length, non-finite), naming the index.
pub fn derivative(energy_ev: &[f64], y: &[f64]) -> Result<Vec<f64>> {
    check_axis("energy", energy_ev)?;
    check_values("y", y, energy_ev.len())?;
    let n = y.len();
    let secant = |i: usize| (y[i + 1] - y[i]) / (energy_ev[i + 1] - energy_ev[i]);
    let mut out = Vec::with_capacity(n);
    out.push(secant(0));
    for i in 1..n - 1 {
        out.push(three_point(
            energy_ev[i] - energy_ev[i - 1],
            energy_ev[i + 1] - energy_ev[i],
            [y[i - 1], y[i], y[i + 1]],
        ));
    }
    out.push(secant(n - 2));
    Ok(out)
}

/// First derivative as the secant over the two neighbours,
/// `(y_(i+1) - y_(i-1)) / (E_(i+1) - E_(i-1))` inside and one-sided secants at the ends
/// (what `numpy.gradient(y) / numpy.gradient(E)` computes, and Larch's E0 search uses).
/// First order on non-uniform grids (see [`derivative`] for second order), cheap and
/// without validation: an empty vector for fewer than two points.
pub fn central_secant(energy_ev: &[f64], y: &[f64]) -> Vec<f64> {
    let n = energy_ev.len().min(y.len());
    if n < 2 {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(1), (i + 1).min(n - 1));
            (y[hi] - y[lo]) / (energy_ev[hi] - energy_ev[lo])
        })
        .collect()
}

/// The second-order central difference on unequal spacings (see [`derivative`]).
fn three_point(h_l: f64, h_r: f64, [y_l, y_c, y_r]: [f64; 3]) -> f64 {
    (h_l * h_l * y_r - h_r * h_r * y_l + (h_r * h_r - h_l * h_l) * y_c) / (h_l * h_r * (h_l + h_r))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::grid::uniform_grid;

    fn cubic(x: f64) -> [f64; 4] {
        let u = x - 7100.0;
        [
            1.0 + 0.5 * u - 0.02 * u * u + 0.003 * u * u * u,
            0.5 - 0.04 * u + 0.009 * u * u,
            -0.04 + 0.018 * u,
            0.018,
        ]
    }

    fn uneven_grid() -> Vec<f64> {
        (0..60)
            .map(|i| {
                let i = i as f64;
                7090.0 + 0.3 * i + 0.05 * (1.3 * i).sin()
            })
            .collect()
    }

    #[test]
    fn textbook_coefficients() {
        let c = SavitzkyGolay::new(5, 2, 0).unwrap().coefficients().unwrap();
        let expected = [-3.0, 12.0, 17.0, 12.0, -3.0].map(|v| v / 35.0);
        for (a, b) in c.iter().zip(expected) {
            assert!((a - b).abs() < 1e-14, "{c:?}");
        }
        let d = SavitzkyGolay::new(5, 2, 1).unwrap().coefficients().unwrap();
        let expected = [-2.0, -1.0, 0.0, 1.0, 2.0].map(|v| v / 10.0);
        for (a, b) in d.iter().zip(expected) {
            assert!((a - b).abs() < 1e-14, "{d:?}");
        }
        let c7 = SavitzkyGolay::new(7, 3, 0).unwrap().coefficients().unwrap();
        let expected = [-2.0, 3.0, 6.0, 7.0, 6.0, 3.0, -2.0].map(|v| v / 21.0);
        for (a, b) in c7.iter().zip(expected) {
            assert!((a - b).abs() < 1e-14, "{c7:?}");
        }
    }

    #[test]
    fn polynomials_up_to_order_are_preserved_with_derivatives() {
        let uniform = uniform_grid(7090.0, 7110.0, 0.25).unwrap();
        for grid in [uniform, uneven_grid()] {
            let y: Vec<f64> = grid.iter().map(|&x| cubic(x)[0]).collect();
            for derivative in 0..=3 {
                let sg = SavitzkyGolay::new(9, 3, derivative).unwrap();
                let out = sg.apply(&grid, &y).unwrap();
                for (i, &x) in grid.iter().enumerate() {
                    let expected = cubic(x)[derivative];
                    assert!(
                        (out[i] - expected).abs() < 1e-7 * (1.0 + expected.abs()),
                        "d{derivative} at {x}: {} vs {expected}",
                        out[i]
                    );
                }
            }
        }
    }

    #[test]
    fn smoothing_reduces_alternating_noise() {
        let grid = uniform_grid(0.0, 10.0, 0.1).unwrap();
        let y: Vec<f64> = (0..grid.len())
            .map(|i| if i % 2 == 0 { 0.1 } else { -0.1 })
            .collect();
        let out = SavitzkyGolay::new(11, 2, 0)
            .unwrap()
            .apply(&grid, &y)
            .unwrap();
        // Inside, the filter's gain at the Nyquist frequency is sum_j (-1)^j c_j over the
        // textbook 11-point quadratic coefficients c_(-5..=5) =
        // (-36, 9, 44, 69, 84, 89, 84, 69, 44, 9, -36) / 429, i.e. 61 / 429.
        let textbook = [
            -36.0, 9.0, 44.0, 69.0, 84.0, 89.0, 84.0, 69.0, 44.0, 9.0, -36.0,
        ];
        let gain = (-5i32..=5)
            .zip(textbook)
            .map(|(j, c)| if j % 2 == 0 { c } else { -c })
            .sum::<f64>()
            / 429.0;
        assert!((gain - 61.0 / 429.0).abs() < 1e-15);
        for (i, v) in out.iter().enumerate().take(96).skip(5) {
            assert!((v - gain * y[i]).abs() < 1e-15, "{i}: {v}");
        }
    }

    #[test]
    fn invalid_filters_are_named() {
        for (w, o, d, name) in [
            (4, 2, 0, "window"),
            (5, 5, 0, "order"),
            (5, 2, 3, "derivative"),
        ] {
            let err = SavitzkyGolay::new(w, o, d).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
        let sg = SavitzkyGolay::new(7, 2, 0).unwrap();
        let err = sg
            .apply(&[0.0, 1.0, 2.0], &[0.0; 3])
            .unwrap_err()
            .to_string();
        assert!(err.contains("window"), "{err}");
        let err = sg.apply(&[0.0, 1.0], &[0.0; 3]).unwrap_err().to_string();
        assert!(err.contains('y'), "{err}");
        let err = SavitzkyGolay {
            window: 6,
            order: 1,
            derivative: 0,
        }
        .apply(&[0.0; 8], &[0.0; 8])
        .unwrap_err()
        .to_string();
        assert!(err.contains("window"), "{err}");
    }

    #[test]
    fn window_of_one_is_identity() {
        let grid = uneven_grid();
        let y: Vec<f64> = grid.iter().map(|x| x.sin()).collect();
        let out = SavitzkyGolay::new(1, 0, 0)
            .unwrap()
            .apply(&grid, &y)
            .unwrap();
        for (a, b) in out.iter().zip(&y) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn gradient_is_exact_for_quadratics_inside_and_lines_at_the_ends() {
        let grid = uneven_grid();
        let q: Vec<f64> = grid
            .iter()
            .map(|&x| 2.0 + 0.3 * (x - 7100.0).powi(2))
            .collect();
        let d = derivative(&grid, &q).unwrap();
        for i in 1..grid.len() - 1 {
            let expected = 0.6 * (grid[i] - 7100.0);
            assert!((d[i] - expected).abs() < 1e-8, "{i}: {} {expected}", d[i]);
        }
        let line: Vec<f64> = grid.iter().map(|&x| 1.5 * x - 3.0).collect();
        let d = derivative(&grid, &line).unwrap();
        assert!(d.iter().all(|v| (v - 1.5).abs() < 1e-9));
        // numpy.gradient([1, 4, 9], [0, 1, 3]) == [3, 2.8333.., 2.5]
        let d = derivative(&[0.0, 1.0, 3.0], &[1.0, 4.0, 9.0]).unwrap();
        assert!((d[0] - 3.0).abs() < 1e-15);
        assert!((d[1] - 17.0 / 6.0).abs() < 1e-15);
        assert!((d[2] - 2.5).abs() < 1e-15);
        assert!(derivative(&[0.0, 0.0], &[1.0, 2.0]).is_err());
    }
}
