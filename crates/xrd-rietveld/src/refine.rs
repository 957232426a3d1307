//! Weighted least squares by Levenberg-Marquardt: minimise `Σ w (yo − yc)²`,
//! `w = 1/σ²`, over the released parameters. Each cycle builds the normal matrix
//! `JᵀWJ` and vector `JᵀW(yo − yc)`, solves `(JᵀWJ + λ diag) δ = JᵀW(yo − yc)` with a
//! pseudo-inverse ([`crate::solve`]), and accepts the step if `χ²` falls (then `λ /= 10`) or retries
//! with `λ × 10`. Converged when a cycle lowers `χ²` by less than `tolerance` relative.
//! Esds are `√diag((JᵀWJ)⁻¹ χ²_red)` at the solution; pairs with |correlation| above
//! [`CORRELATION_WARNING`] are reported.
//!
//! Parameters are kept physical by bounds applied after every step (scale > 0,
//! `U_iso ≥ 0`, occupancy in [0, 1], `SH/L` in [0.0005, 0.2], March-Dollase ratio in
//! [0.1, 10]) and by restraints on the
//! profile widths: the Gaussian variance `U tan²θ + V tanθ + W` below
//! [`MIN_GAUSS_VARIANCE`] or a negative Lorentzian width anywhere in the range adds
//! `P × (shortfall)²` to `χ²` (`P` = [`RESTRAINT_WEIGHT`]), so the fit slides along the
//! physical boundary instead of crossing it. The restraint rows enter the normal
//! equations like extra observations.
//!
//! Jacobian columns: the background's are its basis functions; a parameter that changes
//! only peak intensities (scale, coordinates, `U_iso`, occupancy) spreads its change of
//! `S|F|²` over the current profiles; one that moves lines (zero, displacement, U V W X
//! Y, cell) combines per-line differences of position, FWHM, mixing and intensity with
//! the analytic profile derivatives ([`crate::profile::profile_derivatives`]); SH/L
//! recomputes the pattern.

use std::borrow::Cow;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::model::{LineDerivatives, LineShape, MIN_GAUSS_VARIANCE, Model, Param};
use crate::pattern::Pattern;
use crate::profile::{ProfileDerivatives, width_terms};
use crate::rfactors::{RFactors, r_factors};
use crate::solve::solve_symmetric;
use crate::{Error, Result};

/// Correlations above this magnitude are reported.
pub const CORRELATION_WARNING: f64 = 0.95;
/// Largest Marquardt `λ` before a cycle gives up.
const LAMBDA_MAX: f64 = 1e6;

/// Settings of a refinement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RefineSettings {
    /// Maximum number of cycles.
    pub max_cycles: usize,
    /// Converged when a cycle lowers χ² by less than this fraction.
    pub tolerance: f64,
    /// Starting Marquardt `λ` (relative to the diagonal).
    pub lambda_start: f64,
}

impl Default for RefineSettings {
    fn default() -> Self {
        RefineSettings {
            max_cycles: 30,
            tolerance: 1e-5,
            lambda_start: 1e-3,
        }
    }
}

/// A refined parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refined {
    /// Name ([`Model::name`]).
    pub name: String,
    /// Value.
    pub value: f64,
    /// Estimated standard deviation.
    pub esd: f64,
}

/// Progress after each cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cycle {
    /// Cycle number (1-based).
    pub cycle: usize,
    /// Reduced χ² after the cycle.
    pub chi2: f64,
    /// Rwp (%) after the cycle.
    pub rwp: f64,
    /// Marquardt λ used.
    pub lambda: f64,
}

/// The outcome of a refinement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refinement {
    /// Refined parameters with esds.
    pub parameters: Vec<Refined>,
    /// Agreement factors at the end.
    pub r: RFactors,
    /// Cycles run.
    pub cycles: usize,
    /// Whether the χ² change fell below the tolerance.
    pub converged: bool,
    /// Directions of the normal matrix dropped as singular.
    pub singular_directions: usize,
    /// Highly correlated pairs (name, name, correlation).
    pub correlations: Vec<(String, String, f64)>,
    /// Unphysical results left at the end (a profile width out of bounds).
    pub warnings: Vec<String>,
    /// Covariance of the refined parameters (row-major, in the order of `parameters`).
    pub covariance: Vec<f64>,
}

/// Forward-difference step of a parameter at `value`.
fn step(param: Param, value: f64) -> f64 {
    let rel = |floor: f64| 1e-6 * value.abs().max(floor);
    match param {
        Param::Zero => 1e-5,
        Param::Shift => 1e-2,
        Param::U | Param::V | Param::W => rel(1.0),
        Param::X | Param::Y => rel(0.1),
        Param::ShL => 1e-6,
        Param::Background(_) => rel(1.0),
        Param::Scale(_) | Param::Cell(..) => rel(1e-12),
        Param::Coordinate(..)
        | Param::Uiso(..)
        | Param::Uaniso(..)
        | Param::PreferredOrientation(_) => 1e-6,
        Param::Occupancy(..) => 1e-6,
        Param::Size(_) => rel(1e-3),
        Param::Microstrain(_) => rel(1.0),
    }
}

/// Smallest crystallite size (µm) a refinement may reach: 1 nm.
pub const MIN_SIZE_UM: f64 = 1e-3;
/// Largest crystallite size (µm) a refinement may reach (the broadening of a 1 mm
/// crystallite is far below any instrument's).
pub const MAX_SIZE_UM: f64 = 1e3;
/// Where a crystallite size released from "no size broadening" (infinite, where its
/// derivative vanishes) starts: 1 µm, GSAS-II's default.
pub const SIZE_START_UM: f64 = 1.0;

/// Brings `value` inside the physical bounds of `param`.
fn bound(param: Param, value: f64) -> f64 {
    match param {
        Param::Scale(_) => value.max(1e-30),
        Param::Uiso(..) => value.max(0.0),
        Param::Occupancy(..) => value.clamp(0.0, 1.0),
        Param::ShL => value.clamp(5e-4, 0.2),
        Param::PreferredOrientation(_) => value.clamp(0.1, 10.0),
        Param::Size(_) => value.clamp(MIN_SIZE_UM, MAX_SIZE_UM),
        Param::Microstrain(_) => value.max(0.0),
        _ => value,
    }
}

/// Weight of the width restraint: a Gaussian variance 1 centideg² below the minimum
/// costs as much as 10⁶ points one standard deviation off.
pub const RESTRAINT_WEIGHT: f64 = 1e6;
/// Angles (evenly over the range) at which the width restraint is checked.
const RESTRAINT_POINTS: usize = 41;

/// Restraint rows keeping the profile physical: at each of [`RESTRAINT_POINTS`] angles
/// of `range`, `√P · min(0, σ² − σ²_min)` and `√P · min(0, γ)` (Gaussian variance and
/// Lorentzian width, [`Model::profile_problem`]), with their derivatives with respect to
/// `params` (zero for non-width parameters). Returns (value, gradient) of the active rows.
fn width_restraints(model: &Model, params: &[Param], range: (f64, f64)) -> Vec<(f64, Vec<f64>)> {
    let sqrt_p = RESTRAINT_WEIGHT.sqrt();
    let mut rows = Vec::new();
    for k in 0..RESTRAINT_POINTS {
        let two_theta = range.0 + (range.1 - range.0) * k as f64 / (RESTRAINT_POINTS - 1) as f64;
        let w = width_terms(&model.instrument, two_theta);
        // ∂(σ², γ)/∂param.
        let derivative = |p: &Param| -> [f64; 2] {
            match p {
                Param::U => [w.tan * w.tan, 0.0],
                Param::V => [w.tan, 0.0],
                Param::W => [1.0, 0.0],
                Param::X => [0.0, w.sec],
                Param::Y => [0.0, w.tan],
                _ => [0.0, 0.0],
            }
        };
        let shortfalls = [w.gauss_variance - MIN_GAUSS_VARIANCE, w.lorentz_fwhm];
        for (which, shortfall) in shortfalls.into_iter().enumerate() {
            if shortfall < 0.0 {
                let grad = params
                    .iter()
                    .map(|p| sqrt_p * derivative(p)[which])
                    .collect();
                rows.push((sqrt_p * shortfall, grad));
            }
        }
    }
    rows
}

/// Weighted χ² (not reduced) and the calculated pattern.
///
/// The width restraints ([`width_restraints`]) are included.
fn chi_square(model: &Model, pattern: &Pattern) -> Result<(f64, Vec<f64>)> {
    let calc = model.calculate(&pattern.two_theta_deg)?;
    let data: f64 = (0..calc.len())
        .map(|i| ((pattern.intensity[i] - calc[i]) / pattern.sigma[i]).powi(2))
        .sum();
    let restraint: f64 = width_restraints(model, &[], range_of(pattern))
        .iter()
        .map(|(r, _)| r * r)
        .sum();
    Ok((data + restraint, calc))
}

/// First and last angle of the pattern.
fn range_of(pattern: &Pattern) -> (f64, f64) {
    let x = &pattern.two_theta_deg;
    (x[0], x[x.len() - 1])
}

/// The phase whose peak intensities (and nothing else) a parameter changes: scale,
/// coordinates, `U_iso`, occupancies and the March-Dollase ratio move only `S |F|² P`.
fn intensity_only(param: Param) -> Option<usize> {
    match param {
        Param::Scale(p)
        | Param::Coordinate(p, ..)
        | Param::Uiso(p, _)
        | Param::Uaniso(p, ..)
        | Param::Occupancy(p, _)
        | Param::PreferredOrientation(p) => Some(p),
        _ => None,
    }
}

/// Whether a parameter moves peak positions, widths or line intensities without
/// changing the asymmetry nodes' dependence on SH/L: the zero, displacement, widths and
/// cell (whose `d` also changes `LP` and `|F|²`).
fn moves_lines(param: Param) -> bool {
    matches!(
        param,
        Param::Zero
            | Param::Shift
            | Param::U
            | Param::V
            | Param::W
            | Param::X
            | Param::Y
            | Param::Cell(..)
            | Param::Size(_)
            | Param::Microstrain(_)
    )
}

/// Each phase's lines with their profile derivatives, and `|F|²` per reflection.
type PhaseLines = (Vec<(LineShape, LineDerivatives)>, Vec<f64>);

/// Weighted Jacobian columns `(∂yc/∂p)/σ` of `params` at the current model.
///
/// * Background columns are exact (the basis functions).
/// * Intensity-only parameters ([`intensity_only`]): `∂(S|F|²P)/∂q` per reflection,
///   spread by the current profiles; analytic for coordinates, isotropic `U` and
///   occupancies ([`Model::intensity_gradients`]), a forward difference for the scale,
///   anisotropic `U` and March-Dollase ratios.
/// * Parameters that move lines ([`moves_lines`]): per line, forward differences of the
///   position `p`, FWHM `Γ`, mixing `η` and intensity `c = S r m LP |F|²` (scalars, cheap),
///   combined with the analytic profile derivatives:
///   `∂yc/∂q = Σ_lines (∂c/∂q) Φ + c (−∂Φ/∂dx ∂p/∂q + ∂Φ/∂Γ ∂Γ/∂q + ∂Φ/∂η ∂η/∂q)`.
///   The asymmetry nodes are held fixed (their change with the peak position is second
///   order).
/// * SH/L through the asymmetry nodes ([`sh_l_column`]):
///   `∂Φ/∂(SH/L) = Σ_n ∂w_n/∂(SH/L) pV + w_n ∂o_n/∂(SH/L) ∂pV/∂dx`, with the node
///   derivatives from differences of the nodes alone.
/// * Anything else recomputes the pattern (forward difference).
///
/// With the `rayon` feature the columns are computed in parallel (each on its own copy
/// of the model), with results identical to the serial path.
fn jacobian(
    model: &Model,
    pattern: &Pattern,
    params: &[Param],
    calc: &[f64],
) -> Result<Vec<Vec<f64>>> {
    let x = &pattern.two_theta_deg;
    let phases: Vec<PhaseLines> = (0..model.phases.len())
        .map(|p| Ok((model.line_derivatives(p, x), model.peak_intensities(p)?)))
        .collect::<Result<_>>()?;
    let gradients: Vec<Vec<Option<Vec<f64>>>> = (0..model.phases.len())
        .map(|p| model.intensity_gradients(p, params))
        .collect::<Result<_>>()?;
    let background = if params.iter().any(|p| matches!(p, Param::Background(_))) {
        model.background.columns(x)
    } else {
        Vec::new()
    };
    let column = |(i, &p): (usize, &Param)| -> Result<Vec<f64>> {
        let analytic = intensity_only(p).and_then(|ph| Some((ph, gradients[ph][i].as_ref()?)));
        let raw: Vec<f64> = if let Param::Background(k) = p {
            background[k].clone()
        } else if let Some((ph, gradient)) = analytic {
            spread(&phases[ph].0, gradient, x.len(), |v| v.value)
        } else if p == Param::ShL {
            sh_l_column(model, &phases, x.len())
        } else {
            let mut moved_model = model.clone();
            let v = model.get(p);
            let h = step(p, v);
            moved_model.set(p, v + h)?;
            if let Some(ph) = intensity_only(p) {
                intensity_column(model, &moved_model, ph, &phases[ph], h, x.len())?
            } else if moves_lines(p) {
                let cell_of = match p {
                    Param::Cell(ph, _) => Some(ph),
                    _ => None,
                };
                match line_column(model, &moved_model, &phases, cell_of, h, x.len())? {
                    Some(column) => column,
                    None => difference_column(&moved_model, x, calc, h)?,
                }
            } else {
                difference_column(&moved_model, x, calc, h)?
            }
        };
        Ok(raw.iter().zip(&pattern.sigma).map(|(c, s)| c / s).collect())
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        params.par_iter().enumerate().map(column).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        params.iter().enumerate().map(column).collect()
    }
}

/// `(yc(moved) − yc)/h` by recomputing the pattern.
fn difference_column(moved: &Model, x: &[f64], calc: &[f64], h: f64) -> Result<Vec<f64>> {
    let y = moved.calculate(x)?;
    Ok(y.iter().zip(calc).map(|(a, b)| (a - b) / h).collect())
}

/// The column of an intensity-only parameter of phase `ph`: `Δ(S|F|²)/h` per reflection
/// spread by the unchanged profiles.
fn intensity_column(
    model: &Model,
    moved: &Model,
    ph: usize,
    (lines, f2): &PhaseLines,
    h: f64,
    n: usize,
) -> Result<Vec<f64>> {
    let (s0, s1) = (model.phases[ph].scale, moved.phases[ph].scale);
    let moved_f2 = moved.peak_intensities(ph)?;
    let change: Vec<f64> = moved_f2
        .iter()
        .zip(f2)
        .map(|(m, f)| (s1 * m - s0 * f) / h)
        .collect();
    Ok(spread(lines, &change, n, |v| v.value))
}

/// `Σ_lines r m LP · ∂(S|F|²P)/∂q · Φ`: per-reflection intensity derivatives spread by
/// the lines' current profiles over `n` points; `pick` selects `Φ` or one of its
/// derivatives.
fn spread(
    lines: &[(LineShape, LineDerivatives)],
    per_reflection: &[f64],
    n: usize,
    pick: fn(&ProfileDerivatives) -> f64,
) -> Vec<f64> {
    let mut out = vec![0.0; n];
    for (line, d) in lines {
        let delta = line.factor * per_reflection[line.reflection];
        for (o, v) in out[d.start..].iter_mut().zip(&d.values) {
            *o += delta * pick(v);
        }
    }
    out
}

/// The SH/L column `Σ_lines S r m LP |F|²P · ∂Φ/∂(SH/L)`, from the derivatives of the
/// asymmetry nodes ([`crate::profile::Asymmetry::with_sh_l_derivatives`]).
fn sh_l_column(model: &Model, phases: &[PhaseLines], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n];
    for (phase, (lines, f2)) in model.phases.iter().zip(phases) {
        let intensities: Vec<f64> = f2.iter().map(|f| phase.scale * f).collect();
        let column = spread(lines, &intensities, n, |v| v.d_sh_l);
        out.iter_mut().zip(column).for_each(|(o, c)| *o += c);
    }
    out
}

/// The column of a parameter that moves lines (see [`jacobian`]), or `None` if the
/// moved model has a different set of lines (a peak crossing 180°). A cell term of phase
/// `cell_of` moves that phase alone and changes its `|F|² P` (through `d`); the
/// instrument terms move every phase and leave `|F|² P` as it is.
fn line_column(
    model: &Model,
    moved: &Model,
    phases: &[PhaseLines],
    cell_of: Option<usize>,
    h: f64,
    n: usize,
) -> Result<Option<Vec<f64>>> {
    let mut out = vec![0.0; n];
    for (ph, (lines, f2)) in phases.iter().enumerate() {
        if cell_of.is_some_and(|c| c != ph) {
            continue;
        }
        let moved_lines = moved.line_shapes(ph);
        if moved_lines.len() != lines.len() {
            return Ok(None);
        }
        let moved_f2 = if cell_of.is_some() {
            Cow::Owned(moved.peak_intensities(ph)?)
        } else {
            Cow::Borrowed(f2)
        };
        let scale = model.phases[ph].scale;
        for ((line, d), new) in lines.iter().zip(&moved_lines) {
            let k = line.reflection;
            let c0 = scale * line.factor * f2[k];
            let dc = (scale * new.factor * moved_f2[k] - c0) / h;
            let dpos = (new.position - line.position) / h;
            let dfwhm = (new.shape.fwhm_deg - line.shape.fwhm_deg) / h;
            let deta = (new.shape.eta - line.shape.eta) / h;
            for (o, v) in out[d.start..].iter_mut().zip(&d.values) {
                *o += dc * v.value + c0 * (v.d_fwhm * dfwhm + v.d_eta * deta - v.d_offset * dpos);
            }
        }
    }
    Ok(Some(out))
}

/// Adds the active width restraints to the normal equations.
fn add_restraints(
    model: &Model,
    params: &[Param],
    range: (f64, f64),
    a: &mut [f64],
    b: &mut [f64],
) {
    let n = params.len();
    for (value, grad) in width_restraints(model, params, range) {
        for i in 0..n {
            b[i] -= grad[i] * value;
            for j in 0..n {
                a[i * n + j] += grad[i] * grad[j];
            }
        }
    }
}

/// Normal matrix `JᵀWJ` (row-major) and vector `JᵀW(yo − yc)`; the rows of the
/// matrix in parallel with the `rayon` feature (same result on the serial path).
fn normal_equations(columns: &[Vec<f64>], pattern: &Pattern, calc: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = columns.len();
    let r: Vec<f64> = (0..calc.len())
        .map(|i| (pattern.intensity[i] - calc[i]) / pattern.sigma[i])
        .collect();
    let upper =
        |i: usize| -> Vec<f64> { columns[i..].iter().map(|c| dot(&columns[i], c)).collect() };
    #[cfg(feature = "rayon")]
    let rows: Vec<Vec<f64>> = {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(upper).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let rows: Vec<Vec<f64>> = (0..n).map(upper).collect();
    let mut a = vec![0.0; n * n];
    for (i, row) in rows.iter().enumerate() {
        for (j, &v) in (i..n).zip(row) {
            a[i * n + j] = v;
            a[j * n + i] = v;
        }
    }
    let b = columns.iter().map(|c| dot(c, &r)).collect();
    (a, b)
}

/// `Σ xᵢ yᵢ` in four independent lanes, which the compiler vectorises (the lane order
/// is fixed, so the result does not depend on the machine).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let (xc, xr) = x.as_chunks::<4>();
    let (yc, yr) = y.as_chunks::<4>();
    let mut lanes = [0.0; 4];
    for (a, b) in xc.iter().zip(yc) {
        for k in 0..4 {
            lanes[k] += a[k] * b[k];
        }
    }
    let rest: f64 = xr.iter().zip(yr).map(|(a, b)| a * b).sum();
    (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]) + rest
}

/// Sets the scales and background coefficients by weighted linear least squares (the
/// pattern is linear in them), leaving everything else as it is.
///
/// # Errors
/// A failed pattern calculation or a singular system.
pub fn linear_start(model: &mut Model, pattern: &Pattern) -> Result<()> {
    let mut params: Vec<Param> = (0..model.phases.len()).map(Param::Scale).collect();
    params.extend((0..model.background.coefficients.len()).map(Param::Background));
    // Evaluate at zero for the linear parameters: the calculation is then exactly linear.
    let saved: Vec<f64> = params.iter().map(|&p| model.get(p)).collect();
    for &p in &params {
        model.set(
            p,
            if matches!(p, Param::Scale(_)) {
                1.0
            } else {
                0.0
            },
        )?;
    }
    let zero_bkg = vec![0.0; pattern.two_theta_deg.len()];
    let weigh = |column: Vec<f64>| -> Vec<f64> {
        column
            .iter()
            .zip(&pattern.sigma)
            .map(|(c, s)| c / s)
            .collect()
    };
    let mut columns = Vec::with_capacity(params.len());
    for ph in 0..model.phases.len() {
        let mut out = zero_bkg.clone();
        model.add_phase(ph, 1.0, &pattern.two_theta_deg, &mut out)?;
        columns.push(weigh(out));
    }
    columns.extend(
        model
            .background
            .columns(&pattern.two_theta_deg)
            .into_iter()
            .map(weigh),
    );
    let (a, b) = normal_equations(&columns, pattern, &zero_bkg);
    match solve_symmetric(&a, &b) {
        Ok(sol) => {
            for (&p, v) in params.iter().zip(&sol.x) {
                model.set(p, bound(p, *v))?;
            }
            Ok(())
        }
        Err(e) => {
            for (&p, v) in params.iter().zip(saved) {
                model.set(p, v)?;
            }
            Err(e)
        }
    }
}

/// Refines `params` of `model` against `pattern`; `observer` sees each cycle and may stop
/// the refinement (the model keeps the last accepted values).
///
/// # Errors
/// No parameters, a parameter without effect, or a failed calculation at the start.
pub fn refine(
    model: &mut Model,
    pattern: &Pattern,
    params: &[Param],
    settings: &RefineSettings,
    observer: &mut dyn FnMut(&Cycle) -> ControlFlow<()>,
) -> Result<Refinement> {
    if params.is_empty() {
        return Err(Error::param("parameters", "nothing to refine"));
    }
    for &p in params {
        if matches!(p, Param::Size(_)) && model.get(p).is_infinite() {
            model.set(p, SIZE_START_UM)?;
        }
    }
    let n_obs = pattern.two_theta_deg.len();
    let (mut chi2, mut calc) = chi_square(model, pattern)?;
    let mut lambda = settings.lambda_start;
    let mut converged = false;
    let mut cycles = 0;
    while cycles < settings.max_cycles {
        cycles += 1;
        let columns = jacobian(model, pattern, params, &calc)?;
        let (mut a, mut b) = normal_equations(&columns, pattern, &calc);
        add_restraints(model, params, range_of(pattern), &mut a, &mut b);
        let start: Vec<f64> = params.iter().map(|&p| model.get(p)).collect();
        let mut improved = None;
        while lambda <= LAMBDA_MAX {
            let mut damped = a.clone();
            let n = params.len();
            for i in 0..n {
                damped[i * n + i] *= 1.0 + lambda;
            }
            let sol = solve_symmetric(&damped, &b)?;
            let trial = params
                .iter()
                .zip(&start)
                .zip(&sol.x)
                .try_for_each(|((&p, &v), &d)| model.set(p, bound(p, v + d)))
                .and_then(|()| chi_square(model, pattern));
            match trial {
                Ok((c, y)) if c < chi2 => {
                    improved = Some((c, y));
                    lambda = (lambda / 10.0).max(1e-12);
                    break;
                }
                _ => {
                    for (&p, &v) in params.iter().zip(&start) {
                        model.set(p, v)?;
                    }
                    lambda *= 10.0;
                }
            }
        }
        let Some((new_chi2, new_calc)) = improved else {
            converged = true;
            break;
        };
        let gain = (chi2 - new_chi2) / chi2;
        chi2 = new_chi2;
        calc = new_calc;
        let reduced = chi2 / (n_obs.saturating_sub(params.len()).max(1)) as f64;
        let bkg = model.background_values(&pattern.two_theta_deg);
        let r = r_factors(
            &pattern.intensity,
            &calc,
            &pattern.sigma,
            &bkg,
            params.len(),
        );
        let report = Cycle {
            cycle: cycles,
            chi2: reduced,
            rwp: r.rwp,
            lambda,
        };
        if observer(&report).is_break() {
            break;
        }
        if gain < settings.tolerance {
            converged = true;
            break;
        }
    }
    summarize(model, pattern, params, &calc, cycles, converged)
}

/// Esds, correlations and R factors at the current model.
fn summarize(
    model: &mut Model,
    pattern: &Pattern,
    params: &[Param],
    calc: &[f64],
    cycles: usize,
    converged: bool,
) -> Result<Refinement> {
    let n = params.len();
    let columns = jacobian(model, pattern, params, calc)?;
    let (a, b) = normal_equations(&columns, pattern, calc);
    let sol = solve_symmetric(&a, &b)?;
    let bkg = model.background_values(&pattern.two_theta_deg);
    let r = r_factors(&pattern.intensity, calc, &pattern.sigma, &bkg, n);
    let cov = |i: usize, j: usize| sol.inverse[i * n + j] * r.chi2;
    let parameters = params
        .iter()
        .enumerate()
        .map(|(i, &p)| Refined {
            name: model.name(p),
            value: model.get(p),
            esd: cov(i, i).max(0.0).sqrt(),
        })
        .collect();
    let mut correlations = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let c = cov(i, j) / (cov(i, i) * cov(j, j)).sqrt();
            if c.abs() > CORRELATION_WARNING {
                correlations.push((model.name(params[i]), model.name(params[j]), c));
            }
        }
    }
    let (lo, hi) = range_of(pattern);
    Ok(Refinement {
        parameters,
        r,
        cycles,
        converged,
        singular_directions: sol.dropped,
        correlations,
        warnings: model.profile_problem(lo, hi).into_iter().collect(),
        covariance: sol.inverse.iter().map(|v| v * r.chi2).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::background::BackgroundKind;
    use crate::instrument::Instrument;
    use crate::profile::SampleBroadening;
    use crate::structure::Crystal;
    use std::path::Path;

    /// Fluoroapatite (tests/data) with a displaced zero, specimen and Lorentzian width so
    /// that no derivative vanishes by symmetry.
    fn fluoroapatite() -> (Model, Pattern) {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let pattern = Pattern::read(&data.join("FAP.XRA")).unwrap();
        let inst = Instrument::read_prm(&data.join("FAP_INST_XRY.PRM")).unwrap();
        let crystal = Crystal::read_cif(&data.join("FAP_start.cif"))
            .unwrap()
            .remove(0);
        let mut model = Model::for_pattern(
            inst,
            (BackgroundKind::Chebyshev, 4),
            vec![crystal],
            &pattern,
        )
        .unwrap();
        linear_start(&mut model, &pattern).unwrap();
        model.set(Param::Zero, 0.02).unwrap();
        model.set(Param::Shift, 30.0).unwrap();
        model.set(Param::Y, 2.0).unwrap();
        model.phases[0].broadening = mixed_broadening(0.5, 800.0);
        (model, pattern)
    }

    /// Size and strain broadening with both Lorentzian and Gaussian parts.
    fn mixed_broadening(size_um: f64, microstrain: f64) -> SampleBroadening {
        SampleBroadening {
            size_um,
            microstrain,
            size_mix: 0.8,
            strain_mix: 0.6,
        }
    }

    #[test]
    fn size_and_strain_are_recovered_from_a_calculated_pattern() {
        let (mut truth, mut pattern) = fluoroapatite();
        truth.phases[0].broadening = mixed_broadening(0.25, 1200.0);
        let calc = truth.calculate(&pattern.two_theta_deg).unwrap();
        pattern.sigma = calc.iter().map(|v| v.sqrt().max(1.0)).collect();
        pattern.intensity = calc;
        // From no sample broadening at all: the size starts at SIZE_START_UM.
        let (mut model, _) = fluoroapatite();
        model.phases[0].broadening = SampleBroadening {
            size_um: f64::INFINITY,
            microstrain: 0.0,
            ..mixed_broadening(1.0, 0.0)
        };
        let params = [Param::Scale(0), Param::Size(0), Param::Microstrain(0)];
        let settings = RefineSettings::default();
        let result = refine(&mut model, &pattern, &params, &settings, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap();
        let size = model.get(Param::Size(0));
        let strain = model.get(Param::Microstrain(0));
        assert!((size / 0.25 - 1.0).abs() < 1e-4, "size {size} µm");
        assert!((strain / 1200.0 - 1.0).abs() < 1e-4, "microstrain {strain}");
        assert!(result.r.rwp < 1e-4, "Rwp {}", result.r.rwp);
        assert_eq!(result.parameters[1].name, "fap:size");
    }

    /// Points allowed to differ by a discontinuity of the recomputed pattern.
    const JUMPS: usize = 10;

    #[test]
    fn line_columns_match_recomputed_differences() {
        let (model, pattern) = fluoroapatite();
        let x = &pattern.two_theta_deg;
        let calc = model.calculate(x).unwrap();
        let mut params = vec![
            Param::Zero,
            Param::Shift,
            Param::U,
            Param::V,
            Param::W,
            Param::X,
            Param::Y,
            Param::Cell(0, 0),
            Param::Cell(0, 1),
            Param::ShL,
            Param::Size(0),
            Param::Microstrain(0),
        ];
        // The analytic intensity columns: every coordinate, U_iso and occupancy.
        params.extend(model.parameters().into_iter().filter(|p| {
            matches!(
                p,
                Param::Coordinate(..) | Param::Uiso(..) | Param::Occupancy(..)
            )
        }));
        let columns = jacobian(&model, &pattern, &params, &calc).unwrap();
        for (p, column) in params.iter().zip(&columns) {
            // Central differences: second-order accurate, unlike the forward ones.
            let at = |delta: f64| {
                let mut moved = model.clone();
                moved.set(*p, model.get(*p) + delta).unwrap();
                moved.calculate(x).unwrap()
            };
            let h = step(*p, model.get(*p));
            let (up, down) = (at(h), at(-h));
            let reference: Vec<f64> = (0..x.len())
                .map(|i| (up[i] - down[i]) / (2.0 * h) / pattern.sigma[i])
                .collect();
            // The recomputed pattern jumps where a profile window edge crosses a grid
            // point or the asymmetry quadrature changes order (near 90°); those few
            // points are left out, the rest must agree closely.
            let mut squares: Vec<f64> = column
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).powi(2))
                .collect();
            squares.sort_by(|a, b| b.total_cmp(a));
            let reference_norm = reference.iter().map(|a| a * a).sum::<f64>().sqrt();
            let relative = squares[JUMPS..].iter().sum::<f64>().sqrt() / reference_norm;
            assert!(relative < 1e-4, "{}: {relative:e}", model.name(*p));
        }
    }
}
