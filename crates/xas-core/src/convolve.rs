//! Instrumental and lifetime broadening: convolution of sampled spectra with Gaussian
//! and Lorentzian line shapes on uniform or non-uniform energy grids, and broadening of
//! stick spectra (line positions and weights) onto a grid.
//!
//! # Convolution of a sampled spectrum
//!
//! For a spectrum `y_j` on energies `E_j` (any spacing), the broadened value is
//!
//! `out(E_i) = sum_j K(E_i - E_j) y_j w_j / sum_j K(E_i - E_j) w_j`,
//!
//! with `w_j` the trapezoid weights of the grid ([`trapezoid_weights`]) and `K` the
//! line shape of the [`Kernel`]. Dividing by the discrete kernel sum makes the kernel
//! exactly normalised on the grid, so a constant stays constant everywhere, and the
//! area `sum_i w_i out_i` equals that of the input wherever the kernel lies fully
//! inside the data.
//!
//! **Edges:** near the ends of the data the kernel is cut by the data range and
//! renormalised over what remains, i.e. the spectrum is implicitly continued by its own
//! local weighted average rather than by zeros. This avoids the artificial drop to
//! one half of a constant at the edges that zero padding causes, at the price of exact
//! area conservation within about one kernel width of the ends.
//!
//! **Support:** the Gaussian is truncated at `±6 sigma` (relative weight `1.5e-8` of
//! the peak; dropped area `2e-9`), evaluated with a sliding window on the sorted axis.
//! The Lorentzian's tails decay only as `1/x^2`: it is truncated at `±1000 gamma`
//! (HWHM), where its value is `1e-6` of the peak and the dropped area is
//! `2 / (1000 pi) = 6.4e-4` of the total. For spectra narrower than `2000 gamma`
//! (nearly all XAS data) this is no truncation at all; the cost is then O(n^2).

#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::grid::{check_axis, check_positive, check_values, trapezoid_weights};
use crate::spectrum::Spectrum;

/// Conversion factor `FWHM = 2 sqrt(2 ln 2) sigma` of a Gaussian.
pub const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949_3;

/// Gaussian truncation half-width in units of sigma.
const GAUSSIAN_CUTOFF_SIGMAS: f64 = 6.0;

/// Lorentzian truncation half-width in units of the HWHM gamma.
const LORENTZIAN_CUTOFF_HWHMS: f64 = 1000.0;

/// A normalised line shape (area 1), parametrised by its width in eV.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Kernel {
    /// Gaussian `G(x) = exp(-x^2 / (2 sigma^2)) / (sigma sqrt(2 pi))` with
    /// `sigma = fwhm_ev / (2 sqrt(2 ln 2))`; peak height `1 / (sigma sqrt(2 pi))`.
    Gaussian {
        /// Full width at half maximum (eV), > 0.
        fwhm_ev: f64,
    },
    /// Lorentzian (Cauchy) `L(x) = gamma / (pi (x^2 + gamma^2))` with
    /// `gamma = hwhm_ev`; peak height `1 / (pi gamma)`.
    Lorentzian {
        /// Half width at half maximum gamma (eV), > 0.
        hwhm_ev: f64,
    },
}

impl Kernel {
    /// Checks that the width is finite and positive.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `fwhm_ev` or `hwhm_ev`.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Kernel::Gaussian { fwhm_ev } => check_positive("fwhm_ev", fwhm_ev),
            Kernel::Lorentzian { hwhm_ev } => check_positive("hwhm_ev", hwhm_ev),
        }
    }

    /// Full width at half maximum (eV).
    pub fn fwhm_ev(&self) -> f64 {
        match *self {
            Kernel::Gaussian { fwhm_ev } => fwhm_ev,
            Kernel::Lorentzian { hwhm_ev } => 2.0 * hwhm_ev,
        }
    }

    /// Value of the area-normalised line shape at `offset_ev` from its centre (1/eV);
    /// zero beyond [`Kernel::cutoff_ev`].
    pub fn density(&self, offset_ev: f64) -> f64 {
        if offset_ev.abs() > self.cutoff_ev() {
            return 0.0;
        }
        match *self {
            Kernel::Gaussian { fwhm_ev } => {
                let sigma = fwhm_ev / FWHM_PER_SIGMA;
                let u = offset_ev / sigma;
                (-0.5 * u * u).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt())
            }
            Kernel::Lorentzian { hwhm_ev } => {
                let u = offset_ev / hwhm_ev;
                1.0 / (std::f64::consts::PI * hwhm_ev * (1.0 + u * u))
            }
        }
    }

    /// Half-width of the support used (eV): `6 sigma` for the Gaussian, `1000 gamma`
    /// for the Lorentzian (see the module documentation).
    pub fn cutoff_ev(&self) -> f64 {
        match *self {
            Kernel::Gaussian { fwhm_ev } => GAUSSIAN_CUTOFF_SIGMAS * fwhm_ev / FWHM_PER_SIGMA,
            Kernel::Lorentzian { hwhm_ev } => LORENTZIAN_CUTOFF_HWHMS * hwhm_ev,
        }
    }
}

/// Convolves `y` on `energy_ev` (eV, strictly increasing, any spacing) with a Gaussian
/// of full width at half maximum `fwhm_ev` (eV); see the module documentation for the
/// normalised sum and the edge treatment.
///
/// # Errors
/// [`Error::InvalidData`] for a bad axis or `y` (naming the index);
/// [`Error::InvalidParameter`] naming `fwhm_ev` when it is not finite and > 0.
pub fn gaussian_broaden(energy_ev: &[f64], y: &[f64], fwhm_ev: f64) -> Result<Vec<f64>> {
    broaden_values(energy_ev, y, Kernel::Gaussian { fwhm_ev })
}

/// Convolves `y` on `energy_ev` (eV, strictly increasing, any spacing) with a
/// Lorentzian of half width at half maximum `hwhm_ev` (eV); see the module
/// documentation for the normalised sum, the edge treatment and the `±1000 hwhm`
/// truncation.
///
/// # Errors
/// [`Error::InvalidData`] for a bad axis or `y` (naming the index);
/// [`Error::InvalidParameter`] naming `hwhm_ev` when it is not finite and > 0.
pub fn lorentzian_broaden(energy_ev: &[f64], y: &[f64], hwhm_ev: f64) -> Result<Vec<f64>> {
    broaden_values(energy_ev, y, Kernel::Lorentzian { hwhm_ev })
}

/// Convolves `y` on `energy_ev` with any [`Kernel`] (module documentation gives the
/// equation).
///
/// # Errors
/// As [`gaussian_broaden`].
pub fn broaden_values(energy_ev: &[f64], y: &[f64], kernel: Kernel) -> Result<Vec<f64>> {
    check_axis("energy", energy_ev)?;
    check_values("y", y, energy_ev.len())?;
    kernel.validate()?;
    Ok(convolve(energy_ev, y, None, kernel).0)
}

/// Broadens a spectrum with `kernel` (see the module documentation).
///
/// A present sigma is propagated exactly for independent errors: with
/// `out_i = sum_j a_ij y_j`, `sigma_out_i = sqrt(sum_j a_ij^2 sigma_j^2)`. Metadata
/// are kept and the operation is noted in `meta.history`.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the width when it is not finite and > 0.
pub fn broaden_spectrum(spectrum: &Spectrum, kernel: Kernel) -> Result<Spectrum> {
    kernel.validate()?;
    let (values, sigma) = convolve(
        spectrum.energy_ev(),
        spectrum.intensity(),
        spectrum.sigma(),
        kernel,
    );
    let mut out = spectrum.with_intensity(values)?;
    if let Some(sigma) = sigma {
        out = out.with_sigma(sigma)?;
    }
    out.meta.history.push(format!("broadened with {kernel:?}"));
    Ok(out)
}

/// Sum of area-normalised line shapes evaluated on `grid_ev`:
/// `out(E) = sum_k weight_k K(E - position_k)`, so line `k` contributes area
/// `weight_k` (for a grid fine enough to resolve it and covering it).
///
/// Positions may be in any order and outside the grid; weights may be negative. The
/// line shape is evaluated analytically (not renormalised on the grid) within
/// [`Kernel::cutoff_ev`] of each line.
///
/// # Errors
/// [`Error::InvalidData`] naming `grid_ev`, `positions_ev` or `weights` (with index);
/// [`Error::InvalidParameter`] for a bad kernel width.
pub fn broaden_sticks(
    positions_ev: &[f64],
    weights: &[f64],
    grid_ev: &[f64],
    kernel: Kernel,
) -> Result<Vec<f64>> {
    check_axis("grid_ev", grid_ev)?;
    check_values("positions_ev", positions_ev, positions_ev.len())?;
    check_values("weights", weights, positions_ev.len())?;
    kernel.validate()?;
    let mut out = vec![0.0; grid_ev.len()];
    let reach = kernel.cutoff_ev();
    for (&p, &w) in positions_ev.iter().zip(weights) {
        let lo = grid_ev.partition_point(|&e| e < p - reach);
        let hi = grid_ev.partition_point(|&e| e <= p + reach);
        for (o, &e) in out[lo..hi].iter_mut().zip(&grid_ev[lo..hi]) {
            *o += w * kernel.density(e - p);
        }
    }
    Ok(out)
}

/// The normalised discrete convolution on a validated axis, with optional error
/// propagation.
fn convolve(
    energy: &[f64],
    y: &[f64],
    sigma: Option<&[f64]>,
    kernel: Kernel,
) -> (Vec<f64>, Option<Vec<f64>>) {
    let n = energy.len();
    let w = trapezoid_weights(energy);
    let reach = kernel.cutoff_ev();
    let mut out = Vec::with_capacity(n);
    let mut out_var = sigma.map(|_| Vec::with_capacity(n));
    let (mut lo, mut hi) = (0, 0);
    for &e in energy {
        while energy[lo] < e - reach {
            lo += 1;
        }
        while hi < n && energy[hi] <= e + reach {
            hi += 1;
        }
        let kw: Vec<f64> = (lo..hi)
            .map(|j| kernel.density(e - energy[j]) * w[j])
            .collect();
        let norm: f64 = kw.iter().sum();
        out.push(kw.iter().zip(&y[lo..hi]).map(|(a, v)| a * v).sum::<f64>() / norm);
        if let (Some(var), Some(s)) = (out_var.as_mut(), sigma) {
            let sum_sq: f64 = kw
                .iter()
                .zip(&s[lo..hi])
                .map(|(a, v)| (a * v).powi(2))
                .sum();
            var.push(sum_sq.sqrt() / norm);
        }
    }
    (out, out_var)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::grid::{linspace, uniform_grid};
    use crate::normalize::trapezoid;

    fn delta_on(grid: &[f64], at: usize) -> Vec<f64> {
        let w = trapezoid_weights(grid);
        let mut y = vec![0.0; grid.len()];
        y[at] = 1.0 / w[at];
        y
    }

    /// FWHM of a single peak, from linear interpolation of the half-maximum crossings.
    fn measured_fwhm(x: &[f64], y: &[f64]) -> f64 {
        let (imax, &ymax) = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        let half = ymax / 2.0;
        let cross = |i: usize, j: usize| x[i] + (half - y[i]) * (x[j] - x[i]) / (y[j] - y[i]);
        let left = (0..imax).rev().find(|&i| y[i] < half).unwrap();
        let right = (imax..y.len()).find(|&i| y[i] < half).unwrap();
        cross(right - 1, right) - cross(left, left + 1)
    }

    fn uneven_grid() -> Vec<f64> {
        // Fine near the middle, coarser towards the ends: E = 7100 + 60 sinh(u) / sinh(1).
        linspace(-1.0, 1.0, 1601)
            .unwrap()
            .iter()
            .map(|u| 7100.0 + 60.0 * u.sinh() / 1f64.sinh())
            .collect()
    }

    #[test]
    fn constant_stays_constant_everywhere() {
        let e = uneven_grid();
        let y = vec![2.5; e.len()];
        for kernel in [
            Kernel::Gaussian { fwhm_ev: 3.0 },
            Kernel::Lorentzian { hwhm_ev: 1.0 },
        ] {
            let out = broaden_values(&e, &y, kernel).unwrap();
            assert!(out.iter().all(|v| (v - 2.5).abs() < 1e-12), "{kernel:?}");
        }
    }

    #[test]
    fn area_is_conserved_away_from_edges() {
        let e = uniform_grid(7000.0, 7200.0, 0.1).unwrap();
        let peak =
            |x: f64| (-(x - 7100.0).powi(2) / 8.0).exp() + 0.5 / (1.0 + (x - 7080.0).powi(2));
        let y: Vec<f64> = e.iter().map(|&x| peak(x)).collect();
        let area = trapezoid(&e, &y);
        let g = gaussian_broaden(&e, &y, 2.0).unwrap();
        assert!((trapezoid(&e, &g) - area).abs() < 1e-3 * area);
        let y: Vec<f64> = e
            .iter()
            .map(|&x| (-(x - 7100.0).powi(2) / 8.0).exp())
            .collect();
        let area = trapezoid(&e, &y);
        let g = gaussian_broaden(&e, &y, 2.0).unwrap();
        assert!((trapezoid(&e, &g) - area).abs() < 1e-12 * area);
        let l = lorentzian_broaden(&e, &y, 0.5).unwrap();
        assert!((trapezoid(&e, &l) - area).abs() < 2e-2 * area);
    }

    #[test]
    fn delta_gives_the_analytic_peak_heights() {
        let e = uniform_grid(7000.0, 7200.0, 0.02).unwrap();
        let centre = 5000;
        let y = delta_on(&e, centre);
        let fwhm = 1.5;
        let sigma = fwhm / FWHM_PER_SIGMA;
        let g = gaussian_broaden(&e, &y, fwhm).unwrap();
        let expected = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        assert!(
            (g[centre] - expected).abs() < 1e-8 * expected,
            "{} {expected}",
            g[centre]
        );
        let gamma = 0.4;
        let l = lorentzian_broaden(&e, &y, gamma).unwrap();
        let analytic = 1.0 / (std::f64::consts::PI * gamma);
        // The kernel is renormalised over the data range [-100, 100] eV around the line:
        // the exact discrete expectation is 1 / (2 gamma atan(100 / gamma)).
        let truncated = 1.0 / (2.0 * gamma * (100.0 / gamma).atan());
        assert!(
            (l[centre] - truncated).abs() < 1e-4 * truncated,
            "{} {truncated}",
            l[centre]
        );
        assert!((l[centre] - analytic).abs() < 3e-3 * analytic);
    }

    #[test]
    fn measured_fwhm_matches_the_request() {
        let e = uniform_grid(7050.0, 7150.0, 0.01).unwrap();
        let y = delta_on(&e, 5000);
        for fwhm in [0.5, 1.3, 4.0] {
            let g = gaussian_broaden(&e, &y, fwhm).unwrap();
            assert!((measured_fwhm(&e, &g) - fwhm).abs() < 1e-3, "{fwhm}");
            let l = lorentzian_broaden(&e, &y, fwhm / 2.0).unwrap();
            assert!((measured_fwhm(&e, &l) - fwhm).abs() < 1e-3, "{fwhm}");
        }
    }

    #[test]
    fn uniform_and_non_uniform_grids_agree() {
        let f = |x: f64| {
            1.0 / (1.0 + (-(x - 7100.0) / 0.7).exp()) + 2.0 * (-(x - 7103.0).powi(2) / 2.0).exp()
        };
        let uneven = uneven_grid();
        let even = uniform_grid(7040.0, 7160.0, 0.05).unwrap();
        for kernel in [
            Kernel::Gaussian { fwhm_ev: 2.0 },
            Kernel::Lorentzian { hwhm_ev: 0.8 },
        ] {
            let a = broaden_values(
                &uneven,
                &uneven.iter().map(|&x| f(x)).collect::<Vec<_>>(),
                kernel,
            )
            .unwrap();
            let b = broaden_values(
                &even,
                &even.iter().map(|&x| f(x)).collect::<Vec<_>>(),
                kernel,
            )
            .unwrap();
            let b_on_uneven = crate::resample::interpolate(
                &even,
                &b,
                &uneven,
                crate::resample::Interpolation::CubicSpline,
                crate::resample::Extrapolation::Clamp,
            )
            .unwrap();
            for (i, &x) in uneven.iter().enumerate() {
                if (x - 7100.0).abs() < 30.0 {
                    assert!(
                        (a[i] - b_on_uneven[i]).abs() < 2e-3,
                        "{kernel:?} {x}: {} {}",
                        a[i],
                        b_on_uneven[i]
                    );
                }
            }
        }
    }

    #[test]
    fn sticks_have_the_requested_areas_and_heights() {
        let grid = uniform_grid(600.0, 700.0, 0.01).unwrap();
        let positions = [640.0, 655.3, 655.0];
        let weights = [1.0, 2.0, 0.5];
        let g = broaden_sticks(
            &positions,
            &weights,
            &grid,
            Kernel::Gaussian { fwhm_ev: 0.8 },
        )
        .unwrap();
        assert!((trapezoid(&grid, &g) - 3.5).abs() < 1e-8, "{}", trapezoid(&grid, &g));
        let sigma = 0.8 / FWHM_PER_SIGMA;
        let h = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        assert!((g[4000] - h).abs() < 1e-12 * h);
        let l =
            broaden_sticks(&[650.0], &[1.0], &grid, Kernel::Lorentzian { hwhm_ev: 0.2 }).unwrap();
        assert!((l[5000] - 1.0 / (std::f64::consts::PI * 0.2)).abs() < 1e-12);
        let inside = 2.0 / std::f64::consts::PI * (50.0f64 / 0.2).atan();
        assert!((trapezoid(&grid, &l) - inside).abs() < 1e-6);
    }

    #[test]
    fn spectrum_form_propagates_sigma() {
        let e = uniform_grid(0.0, 10.0, 0.1).unwrap();
        let s = Spectrum::new(e.clone(), vec![1.0; e.len()])
            .unwrap()
            .with_sigma(vec![0.1; e.len()])
            .unwrap();
        let b = broaden_spectrum(&s, Kernel::Gaussian { fwhm_ev: 1.0 }).unwrap();
        let sigma = b.sigma().unwrap();
        // Averaging over ~ fwhm / step points reduces independent noise.
        assert!(sigma[50] < 0.05 && sigma[50] > 0.01, "{}", sigma[50]);
        assert_eq!(b.meta.history.len(), 1);
    }

    #[test]
    fn bad_input_is_named() {
        let e = [0.0, 1.0, 2.0];
        let err = gaussian_broaden(&e, &[1.0; 3], -1.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fwhm_ev"), "{err}");
        let err = lorentzian_broaden(&e, &[1.0; 3], f64::NAN)
            .unwrap_err()
            .to_string();
        assert!(err.contains("hwhm_ev"), "{err}");
        let err = gaussian_broaden(&e, &[1.0; 2], 1.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains('y'), "{err}");
        let err = gaussian_broaden(&[0.0, 2.0, 1.0], &[1.0; 3], 1.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("energy[2]"), "{err}");
        let err = broaden_sticks(&[1.0], &[], &e, Kernel::Gaussian { fwhm_ev: 1.0 })
            .unwrap_err()
            .to_string();
        assert!(err.contains("weights"), "{err}");
    }
}
