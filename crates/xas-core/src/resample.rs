//! Interpolation of data onto new abscissae: linear, natural cubic spline and monotone
//! PCHIP, with explicit extrapolation policies.
//!
//! Every method is evaluated interval by interval. The two cubic methods share one
//! evaluator: a cubic Hermite polynomial on `[x_k, x_{k+1}]` defined by the end values
//! `y_k, y_{k+1}` and end slopes `d_k, d_{k+1}`,
//!
//! `p(t) = h00(t) y_k + h10(t) h d_k + h01(t) y_{k+1} + h11(t) h d_{k+1}`, with
//! `t = (x - x_k) / h`, `h = x_{k+1} - x_k`, `h00 = (1 + 2t)(1 - t)^2`,
//! `h10 = t (1 - t)^2`, `h01 = t^2 (3 - 2t)`, `h11 = t^2 (t - 1)`;
//!
//! the methods differ only in how the slopes `d_k` are chosen.

use crate::error::{Error, Result};
use crate::grid::{check_axis, check_values, min_max};
use crate::spectrum::{Spectrum, validate_axis};

/// How values between data points are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Interpolation {
    /// Straight line between neighbours: `y = (1 - t) y_k + t y_{k+1}`. The default.
    #[default]
    Linear,
    /// Natural cubic spline: twice continuously differentiable, second derivative zero at
    /// both ends. The second derivatives `M_k` solve the tridiagonal system
    /// `h_{k-1} M_{k-1} + 2 (h_{k-1} + h_k) M_k + h_k M_{k+1} = 6 (s_k - s_{k-1})`,
    /// `s_k = (y_{k+1} - y_k) / h_k`, `M_0 = M_{n-1} = 0`. Can overshoot near steps.
    CubicSpline,
    /// Monotone piecewise cubic Hermite interpolation (Fritsch–Carlson slopes as in
    /// SciPy's `PchipInterpolator`): slopes are the weighted harmonic mean of the
    /// neighbouring secant slopes, zero at local extrema, and a one-sided three-point
    /// estimate at the ends. Never overshoots the data; preserves monotonicity.
    Pchip,
}

/// What to return for abscissae outside `[x_0, x_{n-1}]`.
///
/// Points within `1e-9 * (x_{n-1} - x_0)` of the data range count as inside (rounding
/// in grid construction must not make an in-range grid fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Extrapolation {
    /// Refuse: [`Error::OutOfRange`]. The default.
    #[default]
    Error,
    /// Hold the edge value: `y_0` below the data, `y_{n-1}` above.
    Clamp,
    /// Return 0 outside the data.
    Zero,
}

/// Relative tolerance (of the data span) within which a point outside the data range is
/// treated as lying on the edge.
const EDGE_TOL: f64 = 1e-9;

/// Where one target abscissa falls relative to the data.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Site {
    /// Before the first data point.
    Below,
    /// After the last data point.
    Above,
    /// In interval `[x_k, x_{k+1}]` at fraction `t` in `[0, 1]`.
    Inside { k: usize, t: f64 },
}

/// An interpolation from a fixed source axis `x` to a fixed target axis `xi`, prepared
/// once and applied to any number of value arrays `y` on `x`.
///
/// Construction locates every `xi` in `x` (O(n + m) when `xi` is sorted, O(m log n)
/// otherwise) and, for [`Interpolation::CubicSpline`], factorises the tridiagonal
/// system; each [`Resampler::apply`] is then O(n + m).
#[derive(Debug, Clone, PartialEq)]
pub struct Resampler {
    x: Vec<f64>,
    sites: Vec<Site>,
    scheme: Scheme,
    extrapolation: Extrapolation,
}

/// The interpolation method with whatever it precomputes from `x`.
#[derive(Debug, Clone, PartialEq)]
enum Scheme {
    Linear,
    Spline(SplineSystem),
    Pchip,
}

impl Resampler {
    /// Prepares interpolation from `x` (strictly increasing, at least two points) to
    /// `xi` (any order, finite).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `x[i]` or `xi[i]` for non-finite or (for `x`)
    /// non-increasing values; [`Error::OutOfRange`] when `extrapolation` is
    /// [`Extrapolation::Error`] and some `xi` lies outside the data range.
    pub fn new(
        x: &[f64],
        xi: &[f64],
        method: Interpolation,
        extrapolation: Extrapolation,
    ) -> Result<Self> {
        check_axis("x", x)?;
        check_values("xi", xi, xi.len())?;
        let sites = locate_all(x, xi);
        if extrapolation == Extrapolation::Error {
            check_in_range(x, xi, &sites)?;
        }
        let scheme = match method {
            Interpolation::Linear => Scheme::Linear,
            Interpolation::CubicSpline => Scheme::Spline(SplineSystem::new(x)),
            Interpolation::Pchip => Scheme::Pchip,
        };
        Ok(Resampler {
            x: x.to_vec(),
            sites,
            scheme,
            extrapolation,
        })
    }

    /// Number of source points `n` (the length `y` must have).
    pub fn input_len(&self) -> usize {
        self.x.len()
    }

    /// Number of target points `m` (the length `out` must have).
    pub fn output_len(&self) -> usize {
        self.sites.len()
    }

    /// Interpolates `y` (values at the source axis) onto the target axis, writing `out`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `y` or `out` on a length mismatch, or `y[i]` when a
    /// value is not finite.
    pub fn apply(&self, y: &[f64], out: &mut [f64]) -> Result<()> {
        check_values("y", y, self.x.len())?;
        if out.len() != self.sites.len() {
            return Err(Error::data(
                "out",
                format!("has {} slots, expected {}", out.len(), self.sites.len()),
            ));
        }
        match &self.scheme {
            Scheme::Linear => self.eval_linear(y, out),
            Scheme::Spline(system) => self.eval_hermite(y, &system.slopes(&self.x, y), out),
            Scheme::Pchip => self.eval_hermite(y, &pchip_slopes(&self.x, y), out),
        }
        Ok(())
    }

    /// Like [`Resampler::apply`], returning a new vector.
    ///
    /// # Errors
    /// As [`Resampler::apply`].
    pub fn apply_to_vec(&self, y: &[f64]) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.sites.len()];
        self.apply(y, &mut out)?;
        Ok(out)
    }

    fn outside_value(&self, y: &[f64], site: Site) -> f64 {
        match (self.extrapolation, site) {
            (Extrapolation::Clamp, Site::Below) => y[0],
            (Extrapolation::Clamp, Site::Above) => y[y.len() - 1],
            _ => 0.0,
        }
    }

    fn eval_linear(&self, y: &[f64], out: &mut [f64]) {
        for (o, &site) in out.iter_mut().zip(&self.sites) {
            *o = match site {
                Site::Inside { k, t } => lerp(t, y[k], y[k + 1]),
                _ => self.outside_value(y, site),
            };
        }
    }

    fn eval_hermite(&self, y: &[f64], slopes: &[f64], out: &mut [f64]) {
        for (o, &site) in out.iter_mut().zip(&self.sites) {
            *o = match site {
                Site::Inside { k, t } => {
                    let h = self.x[k + 1] - self.x[k];
                    hermite(t, h, y[k], y[k + 1], slopes[k], slopes[k + 1])
                }
                _ => self.outside_value(y, site),
            };
        }
    }
}

/// Interpolates the data `(x, y)` at the abscissae `xi`.
///
/// `x` must be strictly increasing (at least two points); `xi` may be in any order
/// (O(n + m) when sorted, binary search otherwise). See [`Interpolation`] for the
/// methods and [`Extrapolation`] for points outside `[x_0, x_{n-1}]`.
///
/// # Errors
/// [`Error::InvalidData`] naming `x`, `y` or `xi` (with the index) for non-finite values,
/// length mismatch or a non-increasing `x`; [`Error::OutOfRange`] when extrapolation is
/// [`Extrapolation::Error`] and `xi` leaves the data range.
pub fn interpolate(
    x: &[f64],
    y: &[f64],
    xi: &[f64],
    method: Interpolation,
    extrapolation: Extrapolation,
) -> Result<Vec<f64>> {
    Resampler::new(x, xi, method, extrapolation)?.apply_to_vec(y)
}

/// Resamples a spectrum onto `grid_ev` (eV, strictly increasing).
///
/// The intensity uses `method`; sigma, when present, is interpolated linearly (which
/// keeps it positive). With [`Extrapolation::Zero`], sigma is clamped (held at the edge
/// value) outside the data, since a zero uncertainty would be invalid. Metadata are kept
/// and a note is appended to `meta.history`.
///
/// # Errors
/// [`Error::InvalidData`] when the grid fails [`validate_axis`]; [`Error::OutOfRange`] as
/// for [`interpolate`].
pub fn resample(
    spectrum: &Spectrum,
    grid_ev: &[f64],
    method: Interpolation,
    extrapolation: Extrapolation,
) -> Result<Spectrum> {
    validate_axis(grid_ev)?;
    let energy = spectrum.energy_ev();
    let intensity = Resampler::new(energy, grid_ev, method, extrapolation)?
        .apply_to_vec(spectrum.intensity())?;
    let mut out = Spectrum::new(grid_ev.to_vec(), intensity)?.with_meta(spectrum.meta.clone());
    if let Some(sigma) = spectrum.sigma() {
        let sigma_extrapolation = match extrapolation {
            Extrapolation::Zero => Extrapolation::Clamp,
            other => other,
        };
        let resampler =
            Resampler::new(energy, grid_ev, Interpolation::Linear, sigma_extrapolation)?;
        out = out.with_sigma(resampler.apply_to_vec(sigma)?)?;
    }
    out.meta.history.push(format!(
        "resampled onto {} points [{}, {}] eV ({method:?}, extrapolation {extrapolation:?})",
        grid_ev.len(),
        grid_ev[0],
        grid_ev[grid_ev.len() - 1]
    ));
    Ok(out)
}

/// The cubic Hermite polynomial on one interval (see the module documentation),
/// expanded about the nearer end so that both end values are reproduced exactly and a
/// flat segment (`y0 == y1`, zero slopes) stays exactly flat:
///
/// `p = y0 + t (h d0 + t (c2 + t c3))` for `t <= 1/2`, and
/// `p = y1 + u (h d1 + u (e2 + u c3))` with `u = t - 1` otherwise, where
/// `D = y1 - y0`, `c2 = 3 D - h (2 d0 + d1)`, `e2 = h (d0 + 2 d1) - 3 D`,
/// `c3 = h (d0 + d1) - 2 D`.
fn hermite(t: f64, h: f64, y0: f64, y1: f64, d0: f64, d1: f64) -> f64 {
    let rise = y1 - y0;
    let c3 = h * (d0 + d1) - 2.0 * rise;
    if t <= 0.5 {
        let c2 = 3.0 * rise - h * (2.0 * d0 + d1);
        y0 + t * (h * d0 + t * (c2 + t * c3))
    } else {
        let u = t - 1.0;
        let e2 = h * (d0 + 2.0 * d1) - 3.0 * rise;
        y1 + u * (h * d1 + u * (e2 + u * c3))
    }
}

/// Linear interpolation expanded about the nearer end (exact at both ends and for
/// constant data): `y0 + t (y1 - y0)` for `t <= 1/2`, else `y1 - (1 - t)(y1 - y0)`.
fn lerp(t: f64, y0: f64, y1: f64) -> f64 {
    if t <= 0.5 {
        y0 + t * (y1 - y0)
    } else {
        y1 - (1.0 - t) * (y1 - y0)
    }
}

/// Locates every target abscissa, walking forward when `xi` is sorted and using binary
/// search otherwise.
fn locate_all(x: &[f64], xi: &[f64]) -> Vec<Site> {
    let sorted = xi.windows(2).all(|w| w[0] <= w[1]);
    if !sorted {
        return xi
            .iter()
            .map(|&v| locate(x, v, interval_by_search(x, v)))
            .collect();
    }
    let mut k = 0;
    xi.iter()
        .map(|&v| {
            while k + 2 < x.len() && x[k + 1] <= v {
                k += 1;
            }
            locate(x, v, k)
        })
        .collect()
}

/// Index `k` in `0..=n-2` of the last `x_k <= v` (0 when `v < x_0`).
fn interval_by_search(x: &[f64], v: f64) -> usize {
    x[..x.len() - 1]
        .partition_point(|&e| e <= v)
        .saturating_sub(1)
}

/// Classifies `v` given its candidate interval `k`.
fn locate(x: &[f64], v: f64, k: usize) -> Site {
    let n = x.len();
    let tol = EDGE_TOL * (x[n - 1] - x[0]);
    if v < x[0] - tol {
        Site::Below
    } else if v > x[n - 1] + tol {
        Site::Above
    } else {
        let t = (v - x[k]) / (x[k + 1] - x[k]);
        Site::Inside {
            k,
            t: t.clamp(0.0, 1.0),
        }
    }
}

/// [`Error::OutOfRange`] when any site lies outside the data.
fn check_in_range(x: &[f64], xi: &[f64], sites: &[Site]) -> Result<()> {
    if sites.iter().all(|s| matches!(s, Site::Inside { .. })) {
        return Ok(());
    }
    let (lo, hi) = min_max(xi);
    Err(Error::OutOfRange {
        target_min_ev: lo,
        target_max_ev: hi,
        data_min_ev: x[0],
        data_max_ev: x[x.len() - 1],
    })
}

/// The natural-spline tridiagonal system for the interior second derivatives
/// `M_1 .. M_{n-2}`, factorised once (Thomas algorithm) since it depends only on `x`.
#[derive(Debug, Clone, PartialEq)]
struct SplineSystem {
    /// Modified super-diagonal `c'_i` of the forward sweep.
    upper: Vec<f64>,
    /// Pivot `b_i - a_i c'_{i-1}` of the forward sweep.
    pivot: Vec<f64>,
}

impl SplineSystem {
    /// Factorises the system for the axis `x` (`n >= 2`; empty for `n == 2`).
    fn new(x: &[f64]) -> Self {
        let interior = x.len().saturating_sub(2);
        let mut upper = Vec::with_capacity(interior);
        let mut pivot = Vec::with_capacity(interior);
        for i in 1..=interior {
            let (h_left, h_right) = (x[i] - x[i - 1], x[i + 1] - x[i]);
            let diag = 2.0 * (h_left + h_right);
            let p = match upper.last() {
                Some(&c) => diag - h_left * c,
                None => diag,
            };
            pivot.push(p);
            upper.push(h_right / p);
        }
        SplineSystem { upper, pivot }
    }

    /// Second derivatives `M_0 .. M_{n-1}` of the natural spline through `(x, y)`.
    fn second_derivatives(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut m = vec![0.0; n];
        let secant = |k: usize| (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
        for (j, &p) in self.pivot.iter().enumerate() {
            let i = j + 1;
            let rhs = 6.0 * (secant(i) - secant(i - 1));
            m[i] = (rhs - (x[i] - x[i - 1]) * m[i - 1]) / p;
        }
        for (j, &c) in self.upper.iter().enumerate().rev() {
            m[j + 1] -= c * m[j + 2];
        }
        m
    }

    /// Node slopes of the spline: `d_k = s_k - h_k (2 M_k + M_{k+1}) / 6` and, at the
    /// last node, `d_{n-1} = s_{n-2} + h_{n-2} (M_{n-2} + 2 M_{n-1}) / 6`.
    fn slopes(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let n = x.len();
        let m = self.second_derivatives(x, y);
        let mut d: Vec<f64> = (0..n - 1)
            .map(|k| {
                let h = x[k + 1] - x[k];
                (y[k + 1] - y[k]) / h - h * (2.0 * m[k] + m[k + 1]) / 6.0
            })
            .collect();
        let h = x[n - 1] - x[n - 2];
        d.push((y[n - 1] - y[n - 2]) / h + h * (m[n - 2] + 2.0 * m[n - 1]) / 6.0);
        d
    }
}

/// PCHIP node slopes (Fritsch–Carlson with SciPy's weighted harmonic mean and edge rule).
fn pchip_slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len();
    let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let s: Vec<f64> = (0..n - 1).map(|k| (y[k + 1] - y[k]) / h[k]).collect();
    if n == 2 {
        return vec![s[0], s[0]];
    }
    let mut d = vec![0.0; n];
    for k in 1..n - 1 {
        d[k] = pchip_interior_slope(h[k - 1], h[k], s[k - 1], s[k]);
    }
    d[0] = pchip_edge_slope(h[0], h[1], s[0], s[1]);
    d[n - 1] = pchip_edge_slope(h[n - 2], h[n - 3], s[n - 2], s[n - 3]);
    d
}

/// Interior PCHIP slope: 0 when the secants `s0`, `s1` differ in sign or one is 0,
/// otherwise the weighted harmonic mean
/// `(w1 + w2) / d = w1 / s0 + w2 / s1`, `w1 = 2 h1 + h0`, `w2 = h1 + 2 h0`.
fn pchip_interior_slope(h0: f64, h1: f64, s0: f64, s1: f64) -> f64 {
    if s0 == 0.0 || s1 == 0.0 || s0.signum() != s1.signum() {
        return 0.0;
    }
    let w1 = 2.0 * h1 + h0;
    let w2 = h1 + 2.0 * h0;
    (w1 + w2) / (w1 / s0 + w2 / s1)
}

/// End-point PCHIP slope: the one-sided three-point estimate
/// `d = ((2 h0 + h1) s0 - h0 s1) / (h0 + h1)`, set to 0 if its sign differs from `s0`,
/// and limited to `3 s0` when the secants change sign.
fn pchip_edge_slope(h0: f64, h1: f64, s0: f64, s1: f64) -> f64 {
    let d = ((2.0 * h0 + h1) * s0 - h0 * s1) / (h0 + h1);
    if d.signum() != s0.signum() || s0 == 0.0 {
        0.0
    } else if s0.signum() != s1.signum() && d.abs() > 3.0 * s0.abs() {
        3.0 * s0
    } else {
        d
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const METHODS: [Interpolation; 3] = [
        Interpolation::Linear,
        Interpolation::CubicSpline,
        Interpolation::Pchip,
    ];

    fn uneven_axis() -> Vec<f64> {
        vec![0.0, 0.3, 1.0, 1.2, 2.5, 3.0, 4.1, 5.0]
    }

    #[test]
    fn linear_data_is_reproduced_by_all_methods() {
        let x = uneven_axis();
        let y: Vec<f64> = x.iter().map(|v| 3.0 - 2.5 * v).collect();
        let xi = [0.1, 4.9, 2.2, 0.0, 5.0, 3.33];
        for method in METHODS {
            let yi = interpolate(&x, &y, &xi, method, Extrapolation::Error).unwrap();
            for (a, b) in xi.iter().zip(&yi) {
                assert!((3.0 - 2.5 * a - b).abs() < 1e-12, "{method:?} {a} {b}");
            }
        }
    }

    #[test]
    fn same_grid_is_identity() {
        let x = uneven_axis();
        let y: Vec<f64> = x.iter().map(|v| (v * 1.7).sin() + 0.1 * v * v).collect();
        for method in METHODS {
            let yi = interpolate(&x, &y, &x, method, Extrapolation::Error).unwrap();
            assert_eq!(yi, y, "{method:?}");
        }
    }

    #[test]
    fn pchip_is_monotone_without_overshoot_on_steps() {
        let x: Vec<f64> = (0..12).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|&v| if v < 6.0 { 0.0 } else { 1.0 }).collect();
        let xi: Vec<f64> = (0..=1100).map(|i| i as f64 * 0.01).collect();
        let yi = interpolate(&x, &y, &xi, Interpolation::Pchip, Extrapolation::Error).unwrap();
        assert!(yi.windows(2).all(|w| w[1] >= w[0]));
        assert!(yi.iter().all(|&v| (0.0..=1.0).contains(&v)));
        let spline = interpolate(
            &x,
            &y,
            &xi,
            Interpolation::CubicSpline,
            Extrapolation::Error,
        )
        .unwrap();
        assert!(spline.iter().any(|&v| !(0.0..=1.0).contains(&v)));
    }

    #[test]
    fn pchip_slopes_follow_the_scipy_rules() {
        let x = [0.0, 1.0, 2.0, 4.0];
        let y = [0.0, 1.0, 4.0, 2.0];
        let d = pchip_slopes(&x, &y);
        // Secants 1, 3, -1. d1: harmonic mean of 1 and 3 with w1 = w2 = 3 -> 1.5;
        // d2 = 0 (sign change); d0 = (3 * 1 - 1 * 3) / 2 = 0;
        // d3 = ((2 * 2 + 1)(-1) - 2 * 3) / 3 = -11/3, limited to 3 * (-1).
        assert!((d[0] - 0.0).abs() < 1e-15);
        assert!((d[1] - 1.5).abs() < 1e-15);
        assert_eq!(d[2], 0.0);
        assert!((d[3] + 3.0).abs() < 1e-15);
    }

    #[test]
    fn spline_matches_a_cubic_in_the_interior() {
        let f = |x: f64| 0.5 * x * x * x - 2.0 * x * x + x + 3.0;
        let x: Vec<f64> = (0..=40).map(|i| -2.0 + 0.1 * i as f64).collect();
        let y: Vec<f64> = x.iter().map(|&v| f(v)).collect();
        let xi: Vec<f64> = (0..=100).map(|i| -1.0 + 0.02 * i as f64).collect();
        let yi = interpolate(
            &x,
            &y,
            &xi,
            Interpolation::CubicSpline,
            Extrapolation::Error,
        )
        .unwrap();
        // With the true end values M = f'' = 3x - 4 the spline would be f itself. The
        // natural ends set M = 0 instead, errors of 10 (x = -2) and -2 (x = 2) that
        // decay by |r| = 2 - sqrt(3) per node (r the small root of r^2 + 4r + 1 = 0, the
        // spline recurrence). xi starts 10 nodes in, so |dM| <= 12 |r|^10 there; the
        // spline minus f vanishes at the nodes and its second derivative is dM, hence
        // |error| <= h^2 / 8 * max |dM| (about 3e-8 for h = 0.1).
        let r = 2.0 - 3f64.sqrt();
        let bound = 0.1f64.powi(2) / 8.0 * 12.0 * r.powi(10);
        for (a, b) in xi.iter().zip(&yi) {
            assert!((f(*a) - b).abs() <= bound, "{a}: {} vs {b}", f(*a));
        }
    }

    #[test]
    fn spline_second_derivatives_match_the_closed_form_for_a_parabola() {
        // y = x^2 on x = -5..=5 (h = 1): the interior equations read
        // M_(i-1) + 4 M_i + M_(i+1) = 12, solved by M = 2, but the natural ends force
        // M_0 = M_10 = 0. The deviation e_i = M_i - 2 solves the homogeneous recurrence
        // with e_0 = e_10 = -2: e_i = -2 (r^i + r^(10-i)) / (1 + r^10), r = sqrt(3) - 2.
        let x: Vec<f64> = (-5..=5).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v * v).collect();
        let m = SplineSystem::new(&x).second_derivatives(&x, &y);
        assert_eq!(m[0], 0.0);
        assert_eq!(m[10], 0.0);
        let r = 3f64.sqrt() - 2.0;
        for (i, &mi) in m.iter().enumerate() {
            let expected =
                2.0 - 2.0 * (r.powi(i as i32) + r.powi(10 - i as i32)) / (1.0 + r.powi(10));
            assert!(
                (mi - expected).abs() < 1e-13,
                "M_{i} = {mi}, expected {expected}"
            );
        }
        for i in 0..11 {
            assert!((m[i] - m[10 - i]).abs() < 1e-12);
        }
    }

    #[test]
    fn unsorted_targets_match_sorted_ones() {
        let x = uneven_axis();
        let y: Vec<f64> = x.iter().map(|v| v.cos()).collect();
        let sorted = [0.05, 0.7, 1.1, 2.0, 3.9, 4.95];
        let shuffled = [3.9, 0.05, 4.95, 1.1, 2.0, 0.7];
        for method in METHODS {
            let a = interpolate(&x, &y, &sorted, method, Extrapolation::Error).unwrap();
            let b = interpolate(&x, &y, &shuffled, method, Extrapolation::Error).unwrap();
            for (i, v) in shuffled.iter().enumerate() {
                let j = sorted.iter().position(|s| s == v).unwrap();
                assert_eq!(a[j], b[i]);
            }
        }
    }

    #[test]
    fn extrapolation_modes() {
        let x = [1.0, 2.0, 3.0];
        let y = [10.0, 20.0, 40.0];
        let xi = [0.0, 1.5, 3.5];
        let err = interpolate(&x, &y, &xi, Interpolation::Linear, Extrapolation::Error);
        assert!(matches!(
            err,
            Err(Error::OutOfRange {
                target_min_ev: 0.0,
                target_max_ev: 3.5,
                ..
            })
        ));
        let clamp = interpolate(&x, &y, &xi, Interpolation::Pchip, Extrapolation::Clamp).unwrap();
        assert_eq!(clamp[0], 10.0);
        assert_eq!(clamp[2], 40.0);
        let zero = interpolate(&x, &y, &xi, Interpolation::Linear, Extrapolation::Zero).unwrap();
        assert_eq!(zero, vec![0.0, 15.0, 0.0]);
        // Rounding just outside the range is tolerated.
        let edge = interpolate(
            &x,
            &y,
            &[3.0 + 1e-12],
            Interpolation::Linear,
            Extrapolation::Error,
        );
        assert_eq!(edge.unwrap(), vec![40.0]);
    }

    #[test]
    fn bad_input_is_named() {
        let err = interpolate(
            &[0.0, 1.0],
            &[0.0],
            &[0.5],
            Interpolation::Linear,
            Extrapolation::Error,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains('y'), "{err}");
        let err = interpolate(
            &[0.0, 1.0, 0.5],
            &[0.0; 3],
            &[0.5],
            Interpolation::Linear,
            Extrapolation::Error,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("x[2]"), "{err}");
        let err = interpolate(
            &[0.0, 1.0],
            &[0.0, 1.0],
            &[f64::NAN],
            Interpolation::Pchip,
            Extrapolation::Clamp,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("xi[0]"), "{err}");
        let r = Resampler::new(
            &[0.0, 1.0],
            &[0.5],
            Interpolation::Linear,
            Extrapolation::Error,
        )
        .unwrap();
        assert!(r.apply(&[0.0, 1.0], &mut [0.0; 2]).is_err());
    }

    #[test]
    fn resampler_reuses_setup_for_many_rows() {
        let x = uneven_axis();
        let xi: Vec<f64> = (0..50).map(|i| 0.1 * i as f64).collect();
        let r = Resampler::new(&x, &xi, Interpolation::CubicSpline, Extrapolation::Error).unwrap();
        assert_eq!((r.input_len(), r.output_len()), (8, 50));
        for scale in [1.0, -2.0, 7.5] {
            let y: Vec<f64> = x.iter().map(|v| scale * v.sin()).collect();
            let mut out = vec![0.0; 50];
            r.apply(&y, &mut out).unwrap();
            let direct = interpolate(
                &x,
                &y,
                &xi,
                Interpolation::CubicSpline,
                Extrapolation::Error,
            )
            .unwrap();
            assert_eq!(out, direct);
        }
    }

    #[test]
    fn resample_spectrum_keeps_meta_and_sigma() {
        let mut s = Spectrum::new(vec![0.0, 1.0, 2.0], vec![1.0, 2.0, 3.0])
            .unwrap()
            .with_sigma(vec![0.1, 0.3, 0.5])
            .unwrap();
        s.meta.label = Some("a".into());
        let r = resample(
            &s,
            &[0.5, 1.5, 2.5],
            Interpolation::Pchip,
            Extrapolation::Zero,
        )
        .unwrap();
        assert_eq!(r.meta.label.as_deref(), Some("a"));
        assert_eq!(r.intensity()[2], 0.0);
        let sigma = r.sigma().unwrap();
        assert!((sigma[0] - 0.2).abs() < 1e-15);
        assert_eq!(sigma[2], 0.5);
        assert!(resample(&s, &[0.5, 0.5], Interpolation::Linear, Extrapolation::Clamp).is_err());
    }
}
