//! Edge-step normalisation of absorption spectra with the semantics of Larch's
//! `pre_edge`: E0 from the derivative maximum, a pre-edge line, a post-edge polynomial,
//! the edge step between them at E0, and optional flattening.
//!
//! With `mu(E)` the absorption, the routine
//! 1. finds E0 as the energy of the largest derivative `dmu/dE` that is not a lone
//!    glitch ([`find_e0`]), unless E0 is given;
//! 2. fits a line `pre(E) = (a + b E) E^-nvict` to `mu(E) E^nvict` over
//!    `[E0 + pre1, E0 + pre2]`;
//! 3. fits a polynomial `q(E)` of degree `nnorm` to `mu(E) - pre(E)` over
//!    `[E0 + norm1, E0 + norm2]`; the post-edge curve is `post(E) = pre(E) + q(E)`;
//! 4. takes the edge step `s = |q(E0)|` and returns `norm(E) = (mu(E) - pre(E)) / s`;
//! 5. optionally flattens: above E0, `flat(E) = norm(E) - q(E)/s + q(E0)/s`, so the
//!    post-edge oscillates around 1 instead of following the post-edge curvature.
//!
//! Defaults follow Larch (xraylarch 2026): `pre1` = second energy point relative to E0,
//! rounded to 5 eV (2 eV when E0 is within the first 20 points); `pre2 = pre1 / 2`;
//! `norm2` = last energy relative to E0, rounded to 5 eV; `norm1 = min(25, 5 round(norm2/15))`, at most `norm2 - 10`; `nnorm` = 2 when `norm2 - norm1 >= 300`
//! eV, 1 when `>= 30` eV, else 0. Ranges are inclusive of the lower index found by
//! "last point at or below" and exclusive of the nearest point to the upper bound, as
//! in Larch, so results agree point for point.

use crate::convolve::lorentzian_broaden;
use crate::error::{Error, Result};
use crate::grid::min_max;
use crate::poly::Polynomial;
use crate::smooth::central_secant;
use crate::spectrum::Spectrum;

/// Highest post-edge polynomial degree accepted (as in Larch).
pub const MAX_NNORM: usize = 5;

/// Parameters of [`normalize_edge_step`]. `None` means "choose as Larch does" (see the
/// module documentation). Energies `pre1_ev`, `pre2_ev`, `norm1_ev`, `norm2_ev` are
/// relative to E0, in eV.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EdgeStepParams {
    /// Edge energy E0 (eV); found by [`find_e0`] when `None` or outside the data.
    pub e0_ev: Option<f64>,
    /// Edge step to use instead of the fitted one.
    pub step: Option<f64>,
    /// Start of the pre-edge fit range, relative to E0 (eV, negative).
    pub pre1_ev: Option<f64>,
    /// End of the pre-edge fit range, relative to E0 (eV, negative).
    pub pre2_ev: Option<f64>,
    /// Start of the post-edge fit range, relative to E0 (eV).
    pub norm1_ev: Option<f64>,
    /// End of the post-edge fit range, relative to E0 (eV).
    pub norm2_ev: Option<f64>,
    /// Degree of the post-edge polynomial (0 ..= [`MAX_NNORM`]).
    pub nnorm: Option<usize>,
    /// Victoreen exponent: the pre-edge line is fitted to `mu E^nvict` (default 0).
    pub nvict: i32,
    /// Compute the flattened spectrum (default `true`).
    pub flatten: bool,
}

impl Default for EdgeStepParams {
    fn default() -> Self {
        EdgeStepParams {
            e0_ev: None,
            step: None,
            pre1_ev: None,
            pre2_ev: None,
            norm1_ev: None,
            norm2_ev: None,
            nnorm: None,
            nvict: 0,
            flatten: true,
        }
    }
}

impl EdgeStepParams {
    /// Checks the values that can be checked without data.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<()> {
        let finite = [
            ("e0_ev", self.e0_ev),
            ("step", self.step),
            ("pre1_ev", self.pre1_ev),
            ("pre2_ev", self.pre2_ev),
            ("norm1_ev", self.norm1_ev),
            ("norm2_ev", self.norm2_ev),
        ];
        for (name, value) in finite {
            if value.is_some_and(|v| !v.is_finite()) {
                return Err(Error::param(name, "must be finite"));
            }
        }
        if self.step.is_some_and(|s| s == 0.0) {
            return Err(Error::param("step", "must not be zero"));
        }
        if self.nnorm.is_some_and(|n| n > MAX_NNORM) {
            return Err(Error::param(
                "nnorm",
                format!("must be at most {MAX_NNORM}"),
            ));
        }
        if !(-5..=5).contains(&self.nvict) {
            return Err(Error::param("nvict", "must lie in -5 ..= 5"));
        }
        Ok(())
    }
}

/// Result of [`normalize_edge_step`]: the parameters actually used and the curves.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EdgeStep {
    /// Edge energy E0 (eV), always a point of the energy axis.
    pub e0_ev: f64,
    /// Edge step `|post(E0) - pre(E0)|` (units of mu).
    pub edge_step: f64,
    /// Pre-edge range used, relative to E0 (eV).
    pub pre_range_ev: (f64, f64),
    /// Post-edge range used, relative to E0 (eV).
    pub norm_range_ev: (f64, f64),
    /// Degree of the post-edge polynomial used.
    pub nnorm: usize,
    /// Pre-edge line `(offset, slope)` of `mu E^nvict` against E (slope per eV).
    pub pre_line: (f64, f64),
    /// Pre-edge curve on the energy axis.
    pub pre_edge: Vec<f64>,
    /// Post-edge curve on the energy axis.
    pub post_edge: Vec<f64>,
    /// Normalised absorption `(mu - pre) / step`.
    pub norm: Vec<f64>,
    /// Flattened normalised absorption (equal to `norm` when flattening is off).
    pub flat: Vec<f64>,
}

/// Index of the last point with `energy <= value` (0 when none is), as Larch's
/// `index_of`.
fn index_at_or_below(energy_ev: &[f64], value: f64) -> usize {
    energy_ev.partition_point(|&e| e <= value).saturating_sub(1)
}

/// Index of the point nearest to `value` (first of equals), as Larch's `index_nearest`.
fn index_nearest(energy_ev: &[f64], value: f64) -> usize {
    let mut best = 0;
    for (i, e) in energy_ev.iter().enumerate() {
        if (e - value).abs() < (energy_ev[best] - value).abs() {
            best = i;
        }
    }
    best
}

/// Typical energy step (eV): the mean of the ten smallest steps after skipping the
/// smallest 1 % (which are often repeated points), as Larch's `find_energy_step`.
fn typical_energy_step(energy_ev: &[f64]) -> f64 {
    let nskip = energy_ev.len() / 100;
    let mut steps: Vec<f64> = energy_ev.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.len() > 2 * nskip {
        steps = steps[nskip..steps.len() - nskip].to_vec();
    }
    steps.sort_by(f64::total_cmp);
    let chosen = &steps[nskip.min(steps.len() - 1)..(nskip + 10).min(steps.len())];
    chosen.iter().sum::<f64>() / chosen.len() as f64
}

/// One pass of the E0 search: the index of the largest normalised derivative whose
/// two neighbours also exceed the threshold (so lone glitches are ignored).
fn derivative_peak_index(
    energy_ev: &[f64],
    mu: &[f64],
    smooth_hwhm_ev: Option<f64>,
) -> Result<usize> {
    let n = energy_ev.len();
    let mut dmu = central_secant(energy_ev, mu);
    if let Some(hwhm) = smooth_hwhm_ev {
        dmu = lorentzian_broaden(energy_ev, &dmu, hwhm)?;
    }
    let nmin = (n * 2 / 100).max(3);
    if n <= 2 * nmin + 2 {
        return Err(Error::data(
            "energy",
            format!("E0 search needs more than {} points, got {n}", 2 * nmin + 2),
        ));
    }
    let (lo, hi) = min_max(&dmu[nmin..n - nmin]);
    let range = (hi - lo).max(1e-10);
    let scaled: Vec<f64> = dmu.iter().map(|d| (d - lo) / range).collect();
    let mut threshold = if n > 20 { 0.6 } else { 0.3 };
    let mut high: Vec<bool> = scaled.iter().map(|&d| d > threshold).collect();
    for _ in 0..2 {
        if high.iter().filter(|&&h| h).count() > 3 {
            break;
        }
        threshold *= 0.5;
        high = scaled.iter().map(|&d| d > threshold).collect();
    }
    if high.iter().filter(|&&h| h).count() < 3 {
        high = vec![true; n];
    }
    let mut best = (0, 0.0);
    for i in nmin.max(1)..=(n - nmin).min(n - 2) {
        if high[i] && high[i - 1] && high[i + 1] && scaled[i] > best.1 {
            best = (i, scaled[i]);
        }
    }
    Ok(best.0)
}

/// Finds the edge energy E0 (eV) as Larch's `find_e0` does: a first pass on the raw
/// derivative locates the edge; a second pass on a ±75-point window, with the
/// derivative smoothed by a Lorentzian of HWHM `estep = (clamp(step, 0.01, 1) +
/// clamp(E1/25000, 0.01, 1)) / 2` eV, refines it. Returns a point of the axis.
///
/// # Errors
/// [`Error::InvalidData`] when the spectrum is too short to search.
pub fn find_e0(energy_ev: &[f64], mu: &[f64]) -> Result<f64> {
    let n = energy_ev.len();
    if mu.len() != n {
        return Err(Error::data("mu", "length differs from the energy axis"));
    }
    let ie0 = derivative_peak_index(energy_ev, mu, None)?;
    let mut e1 = energy_ev[ie0];
    let (mut start, mut stop) = (ie0.saturating_sub(75).max(3), (ie0 + 75).min(n - 3));
    if (ie0 as f64) < 0.05 * n as f64 {
        e1 = energy_ev.iter().sum::<f64>() / n as f64;
        start = ie0.saturating_sub(20).max(3);
        stop = n - 3;
    }
    let estep =
        0.5 * (typical_energy_step(energy_ev).clamp(0.01, 1.0) + (e1 / 25000.0).clamp(0.01, 1.0));
    let window = (&energy_ev[start..stop], &mu[start..stop]);
    let i = derivative_peak_index(window.0, window.1, Some(estep))?;
    Ok(if i < 1 {
        energy_ev[start + 2]
    } else {
        window.0[i]
    })
}

/// Rounds `x` to a multiple of `unit`, ties to even (Python's `round`).
fn round_to(x: f64, unit: f64) -> f64 {
    unit * (x / unit).round_ties_even()
}

/// Half-open index range `[p1, p2)` for the fit range `[e0 + lo, e0 + hi]`, at least
/// two points long, as Larch chooses it.
fn fit_indices(energy_ev: &[f64], e0: f64, lo: f64, hi: f64) -> (usize, usize) {
    let p1 = index_at_or_below(energy_ev, e0 + lo);
    let mut p2 = index_nearest(energy_ev, e0 + hi);
    if p2 < p1 + 2 {
        p2 = (p1 + 2).min(energy_ev.len());
    }
    (p1, p2)
}

/// Edge-step normalisation of `spectrum` (see the module documentation).
///
/// # Errors
/// [`Error::InvalidParameter`] for bad parameters or fit ranges with too few points,
/// [`Error::InvalidData`] when the fits are singular or the edge step is zero.
pub fn normalize_edge_step(spectrum: &Spectrum, params: &EdgeStepParams) -> Result<EdgeStep> {
    params.validate()?;
    let energy = spectrum.energy_ev();
    let mu = spectrum.intensity();
    let n = energy.len();
    let e0_guess = match params.e0_ev {
        Some(e0) if e0 >= energy[1] && e0 <= energy[n - 2] => e0,
        _ => find_e0(energy, mu)?,
    };
    let ie0 = index_nearest(energy, e0_guess);
    let e0 = energy[ie0];

    let (pre1, pre2) = pre_range(energy, ie0, params);
    let (norm1, norm2) = post_range(energy, e0, params);
    let nnorm = params.nnorm.unwrap_or(if norm2 - norm1 < 30.0 {
        0
    } else if norm2 - norm1 < 300.0 {
        1
    } else {
        2
    });

    let nvict = params.nvict;
    let (p1, p2) = fit_indices(energy, e0, pre1, pre2);
    let weighted: Vec<f64> = (p1..p2).map(|i| mu[i] * energy[i].powi(nvict)).collect();
    let line = Polynomial::fit(&energy[p1..p2], &weighted, 1, None)
        .map_err(|e| Error::param("pre1_ev/pre2_ev", format!("pre-edge fit failed: {e}")))?;
    let pre_edge: Vec<f64> = energy
        .iter()
        .map(|&e| line.eval(e) * e.powi(-nvict))
        .collect();

    let (mut q1, q2) = fit_indices(energy, e0, norm1, norm2);
    if q2 < q1 + nnorm + 1 {
        q1 = q2.saturating_sub(nnorm + 1);
    }
    let residual: Vec<f64> = (q1..q2).map(|i| mu[i] - pre_edge[i]).collect();
    let post = Polynomial::fit(&energy[q1..q2], &residual, nnorm, None)
        .map_err(|e| Error::param("norm1_ev/norm2_ev", format!("post-edge fit failed: {e}")))?;
    let post_minus_pre: Vec<f64> = energy.iter().map(|&e| post.eval(e)).collect();
    let post_edge: Vec<f64> = pre_edge
        .iter()
        .zip(&post_minus_pre)
        .map(|(p, q)| p + q)
        .collect();

    let edge_step = params.step.unwrap_or(post_minus_pre[ie0]).abs();
    if edge_step.is_nan() || edge_step <= 1e-300 {
        return Err(Error::data(
            "edge step",
            format!("is {edge_step}: no edge between the pre- and post-edge ranges"),
        ));
    }
    let norm: Vec<f64> = mu
        .iter()
        .zip(&pre_edge)
        .map(|(m, p)| (m - p) / edge_step)
        .collect();
    let flat = if params.flatten {
        let at_e0 = post_minus_pre[ie0] / edge_step;
        norm.iter()
            .zip(&post_minus_pre)
            .enumerate()
            .map(|(i, (v, q))| {
                if i < ie0 {
                    *v
                } else {
                    v - q / edge_step + at_e0
                }
            })
            .collect()
    } else {
        norm.clone()
    };
    let slope = line.coefficients[1] / line.dx;
    Ok(EdgeStep {
        e0_ev: e0,
        edge_step,
        pre_range_ev: (pre1, pre2),
        norm_range_ev: (norm1, norm2),
        nnorm,
        pre_line: (line.coefficients[0] - slope * line.x0, slope),
        pre_edge,
        post_edge,
        norm,
        flat,
    })
}

/// Pre-edge range `(pre1, pre2)` relative to E0 (eV), Larch's defaults filled in.
fn pre_range(energy: &[f64], ie0: usize, params: &EdgeStepParams) -> (f64, f64) {
    let e0 = energy[ie0];
    let unit = if ie0 > 20 { 5.0 } else { 2.0 };
    let mut pre1 = params
        .pre1_ev
        .unwrap_or_else(|| round_to(energy[1] - e0, unit))
        .max(energy[0] - e0);
    let mut pre2 = params.pre2_ev.unwrap_or(0.5 * pre1);
    if pre1 > pre2 {
        std::mem::swap(&mut pre1, &mut pre2);
    }
    let relative: Vec<f64> = energy.iter().map(|e| e - e0).collect();
    let i1 = index_at_or_below(&relative, pre1);
    let i2 = index_at_or_below(&relative, pre2);
    let min_points = 2 + params.nvict.max(0) as usize;
    if i2 < i1 + min_points {
        pre2 = relative[(i1 + min_points).min(energy.len() - 1)];
    }
    (pre1, pre2)
}

/// Post-edge range `(norm1, norm2)` relative to E0 (eV), Larch's defaults filled in.
fn post_range(energy: &[f64], e0: f64, params: &EdgeStepParams) -> (f64, f64) {
    let last = energy[energy.len() - 1] - e0;
    let mut norm2 = params.norm2_ev.unwrap_or_else(|| round_to(last, 5.0));
    if norm2 < 0.0 {
        norm2 = last - norm2;
    }
    norm2 = norm2.min(last);
    let mut norm1 = params
        .norm1_ev
        .unwrap_or_else(|| (5.0 * (norm2 / 15.0).round_ties_even()).min(25.0));
    if norm1 > norm2 {
        std::mem::swap(&mut norm1, &mut norm2);
    }
    (norm1.min(norm2 - 10.0), norm2)
}

/// `spectrum` edge-step normalised and flattened with [`EdgeStepParams::default`]
/// (Larch `pre_edge` defaults): the one preprocessing shared by K-edge reference
/// libraries and the spectra compared with them.
///
/// # Errors
/// As [`normalize_edge_step`].
pub fn flattened_edge_step(spectrum: &Spectrum) -> Result<Spectrum> {
    normalize_edge_step(spectrum, &EdgeStepParams::default())?.to_spectrum(spectrum, true)
}

impl EdgeStep {
    /// The normalised (or flattened, when `flat` is true) spectrum on the input axis,
    /// with E0 and the step recorded in the metadata.
    ///
    /// # Errors
    /// Only if the curves are not finite (which a successful fit does not produce).
    pub fn to_spectrum(&self, input: &Spectrum, flat: bool) -> Result<Spectrum> {
        let values = if flat { &self.flat } else { &self.norm };
        let mut out = input.with_intensity(values.clone())?;
        if let Some(sigma) = input.sigma() {
            out = out.with_sigma(sigma.iter().map(|s| s / self.edge_step).collect())?;
        }
        out.meta.e0_ev = Some(self.e0_ev);
        out.meta.history.push(format!(
            "edge-step normalised{}: E0 = {:.3} eV, step = {:.6e}",
            if flat { " and flattened" } else { "" },
            self.e0_ev,
            self.edge_step
        ));
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A synthetic K edge: sloped background, arctan step of height `step` centred at
    /// `e0` (half width 1 eV), and a gently curved post-edge.
    fn synthetic(e0: f64, step: f64) -> Spectrum {
        let energy: Vec<f64> = (0..700).map(|i| 6900.0 + 0.5 * i as f64).collect();
        let mu = energy
            .iter()
            .map(|&e| {
                let background = 0.8 - 2e-4 * (e - 6900.0);
                let edge = step * (0.5 + ((e - e0) / 1.0).atan() / std::f64::consts::PI);
                background + edge
            })
            .collect();
        Spectrum::new(energy, mu).unwrap()
    }

    #[test]
    fn recovers_e0_and_step_of_a_synthetic_edge() {
        let s = synthetic(7112.0, 1.5);
        let r = normalize_edge_step(&s, &EdgeStepParams::default()).unwrap();
        assert!((r.e0_ev - 7112.0).abs() <= 0.5, "e0 {}", r.e0_ev);
        // The arctan tail still rises slowly after the edge; the fitted step sees the
        // tail's average over the post-edge range, within 2 % of the true height.
        assert!(
            (r.edge_step - 1.5).abs() / 1.5 < 0.02,
            "step {}",
            r.edge_step
        );
        let pre = r.norm[s.energy_ev().iter().position(|&e| e >= 7000.0).unwrap()];
        let post = r.norm[s.energy_ev().iter().position(|&e| e >= 7200.0).unwrap()];
        assert!(pre.abs() < 0.01, "pre-edge norm {pre}");
        assert!((post - 1.0).abs() < 0.02, "post-edge norm {post}");
    }

    #[test]
    fn given_e0_and_step_are_used() {
        let s = synthetic(7112.0, 1.5);
        let params = EdgeStepParams {
            e0_ev: Some(7120.2),
            step: Some(3.0),
            flatten: false,
            ..EdgeStepParams::default()
        };
        let r = normalize_edge_step(&s, &params).unwrap();
        assert_eq!(r.e0_ev, 7120.0);
        assert_eq!(r.edge_step, 3.0);
        assert_eq!(r.flat, r.norm);
    }

    #[test]
    fn flattening_removes_post_edge_curvature() {
        let energy: Vec<f64> = (0..800).map(|i| 6900.0 + i as f64).collect();
        let mu = energy
            .iter()
            .map(|&e| {
                let above = e > 7112.0;
                if above {
                    1.0 + 1e-3 * (e - 7112.0) - 5e-7 * (e - 7112.0).powi(2)
                } else {
                    0.0
                }
            })
            .collect();
        let s = Spectrum::new(energy, mu).unwrap();
        let r = normalize_edge_step(&s, &EdgeStepParams::default()).unwrap();
        // The post-edge is an exact quadratic (nnorm = 2 by default for a 560 eV range)
        // above a zero pre-edge, so flattening leaves exactly 1 up to rounding.
        assert_eq!(r.nnorm, 2);
        for (e, flat) in s.energy_ev().iter().zip(&r.flat) {
            if *e >= r.e0_ev {
                assert!((flat - 1.0).abs() < 1e-12, "flat {flat} at {e}");
            }
        }
        let i = s.energy_ev().iter().position(|&e| e >= 7500.0).unwrap();
        assert!((r.norm[i] - 1.0).abs() > 0.1, "norm keeps the curvature");
    }

    #[test]
    fn bad_parameters_are_named() {
        let s = synthetic(7112.0, 1.5);
        let bad = EdgeStepParams {
            nnorm: Some(9),
            ..EdgeStepParams::default()
        };
        let err = normalize_edge_step(&s, &bad).unwrap_err();
        assert!(err.to_string().contains("nnorm"), "{err}");
        let flat = Spectrum::new(vec![1.0, 2.0, 3.0], vec![0.0; 3]).unwrap();
        assert!(normalize_edge_step(&flat, &EdgeStepParams::default()).is_err());
    }

    #[test]
    fn larch_index_conventions() {
        let e = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(index_at_or_below(&e, 2.5), 1);
        assert_eq!(index_at_or_below(&e, 0.5), 0);
        assert_eq!(index_nearest(&e, 2.6), 2);
        assert_eq!(round_to(-102.5, 5.0), -100.0);
        assert_eq!(round_to(-107.5, 5.0), -110.0);
    }
}
