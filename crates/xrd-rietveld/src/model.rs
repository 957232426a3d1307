//! The calculated pattern and its refinable parameters.
//!
//! `y_c(2θ) = b(2θ) + Σ_phases S Σ_hkl Σ_lines r_λ m |F|² LP(θ) Φ(2θ − 2θ_hkl,λ)` with the
//! background `b` ([`crate::background`]), phase scale `S`, line ratio `r_λ`
//! (1 for Kα1, I2/I1 for Kα2), multiplicity `m`, Friedel-averaged `|F|²`
//! ([`crate::structure_factor`]), Lorentz-polarisation
//! `LP = [(1 − Pola) cos²2θ + Pola] / (2 sin²θ cosθ)` and the unit-area profile `Φ`
//! ([`crate::profile`]). Peak positions are `2θ = 2 asin(λ/2d) + Zero + Δ_shift` with the
//! Bragg-Brentano specimen displacement `Δ_shift = −(0.09/(πR)) 4 Shift cosθ` (degrees;
//! Shift in µm, goniometer radius `R` in mm), as in GSAS-II.
//!
//! Symmetry constraints are built in: the cell is refined through the free directions of
//! its reciprocal-metric terms and each atom through the free directions of its site
//! ([`crate::constraints`]). Each free direction has one component that only it moves
//! (the free variable of the row reduction); that component is the parameter's value,
//! so a `(x, 1/4, z)` site refines `x` and `z` and a cubic cell refines `A0 = 1/a²`.

use crate::adp::{self, adp_basis};
use crate::background::{Background, BackgroundKind};
use crate::constraints::{cell_basis, site_basis};
use crate::instrument::Instrument;
use crate::lattice::{Cell, inv_d_squared};
use crate::pattern::Pattern;
use crate::preferred_orientation::MarchDollase;
use crate::profile::{
    Asymmetry, PeakShape, ProfileDerivatives, SampleBroadening, peak_shape, width_terms,
};
use crate::reflections::{Reflection, generate};
use crate::structure::Crystal;
use crate::structure_factor::{SiteDerivative, StructureFactors};
use crate::{Error, Result};

/// Default goniometer radius (mm).
pub const DEFAULT_RADIUS_MM: f64 = 200.0;
/// Smallest Gaussian variance the refinement allows (centideg²): a Gaussian FWHM of
/// 0.0074°, far below any diffractometer's resolution.
pub const MIN_GAUSS_VARIANCE: f64 = 0.1;
/// The profile is evaluated within this many FWHM of the peak (plus the asymmetry range).
const WINDOW_FWHM: f64 = 25.0;

/// Free directions of a vector of `N` components and the constant part they move from.
#[derive(Debug, Clone, PartialEq)]
struct Constrained<const N: usize> {
    basis: Vec<[f64; N]>,
    /// For each direction, the component only it moves.
    free_index: Vec<usize>,
    /// `v − Σ_k v[free_k] basis_k`, fixed by symmetry.
    fixed: [f64; N],
}

impl<const N: usize> Constrained<N> {
    fn new(basis: Vec<[f64; N]>, start: [f64; N]) -> Self {
        let free_index: Vec<usize> = (0..basis.len())
            .map(|k| {
                (0..N)
                    .find(|&i| {
                        (basis[k][i] - 1.0).abs() < 1e-12
                            && basis
                                .iter()
                                .enumerate()
                                .all(|(j, b)| j == k || b[i].abs() < 1e-12)
                    })
                    .unwrap_or(0)
            })
            .collect();
        let mut fixed = start;
        for (b, &f) in basis.iter().zip(&free_index) {
            for i in 0..N {
                fixed[i] -= start[f] * b[i];
            }
        }
        Constrained {
            basis,
            free_index,
            fixed,
        }
    }

    /// The full vector from the free values.
    fn expand(&self, values: &[f64]) -> [f64; N] {
        let mut v = self.fixed;
        for (b, c) in self.basis.iter().zip(values) {
            for i in 0..N {
                v[i] += c * b[i];
            }
        }
        v
    }
}

/// One phase: its structure, scale and reflections.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseModel {
    /// The structure with its current cell and atoms.
    pub crystal: Crystal,
    /// Scale factor `S`.
    pub scale: f64,
    /// March-Dollase preferred orientation, if modelled.
    pub preferred_orientation: Option<MarchDollase>,
    /// Crystallite size and microstrain broadening (none by default).
    pub broadening: SampleBroadening,
    reflections: Vec<Reflection>,
    cell: Constrained<6>,
    sites: Vec<Constrained<3>>,
    /// Site-symmetry constraints of the anisotropic atoms' `U` (`None` for isotropic).
    adps: Vec<Option<Constrained<6>>>,
}

impl PhaseModel {
    /// A phase with the reflections of `d ≥ d_min` (Å) and scale 1.
    ///
    /// # Errors
    /// A bad `d_min`.
    pub fn new(crystal: Crystal, d_min: f64) -> Result<Self> {
        let reflections = generate(&crystal.cell, &crystal.group, d_min)?;
        let cell = Constrained::new(cell_basis(&crystal.group), crystal.cell.to_a());
        let sites = crystal
            .atoms
            .iter()
            .map(|a| Constrained::new(site_basis(&crystal.group, a.xyz), a.xyz))
            .collect();
        let adps = crystal
            .atoms
            .iter()
            .map(|a| {
                a.u_aniso
                    .map(|u| Constrained::new(adp_basis(&crystal.group, &crystal.cell, a.xyz), u))
            })
            .collect();
        Ok(PhaseModel {
            crystal,
            scale: 1.0,
            preferred_orientation: None,
            broadening: SampleBroadening::default(),
            reflections,
            cell,
            sites,
            adps,
        })
    }

    /// The reflections (their `d` is that of the starting cell).
    pub fn reflections(&self) -> &[Reflection] {
        &self.reflections
    }
}

/// One reflection line (a reflection at one wavelength) on the pattern grid.
#[derive(Debug, Clone, PartialEq)]
pub struct LineProfile {
    /// Index of the reflection in [`PhaseModel::reflections`].
    pub reflection: usize,
    /// `r_λ m LP`: line ratio, multiplicity and Lorentz-polarisation.
    pub factor: f64,
    /// First grid point of the window.
    pub start: usize,
    /// Unit-area profile values on the window.
    pub values: Vec<f64>,
}

/// Where and how one reflection line sits, independent of the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineShape {
    /// Index of the reflection in [`PhaseModel::reflections`].
    pub reflection: usize,
    /// Peak position (degrees 2θ).
    pub position: f64,
    /// FWHM, mixing and asymmetry.
    pub shape: PeakShape,
    /// `r_λ m LP`: line ratio, multiplicity and Lorentz-polarisation.
    pub factor: f64,
}

impl LineShape {
    /// The asymmetry nodes (with their SH/L derivatives if asked) and the grid window
    /// `start..end` of `two_theta` (increasing) where the profile is evaluated: [`WINDOW_FWHM`] FWHM either side of the peak
    /// plus the asymmetry range.
    fn window(&self, two_theta: &[f64], sh_l_derivatives: bool) -> (Asymmetry, usize, usize) {
        let (position, sh_l, fwhm) = (self.position, self.shape.sh_l, self.shape.fwhm_deg);
        let nodes = if sh_l_derivatives {
            Asymmetry::with_sh_l_derivatives(position, sh_l, fwhm)
        } else {
            Asymmetry::new(position, sh_l, fwhm)
        };
        let half = WINDOW_FWHM * self.shape.fwhm_deg + nodes.reach;
        let start = two_theta.partition_point(|&t| t < self.position - half);
        let end = two_theta.partition_point(|&t| t <= self.position + half);
        (nodes, start, end)
    }
}

/// A line's unit-area profile and its derivatives on its window of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct LineDerivatives {
    /// First grid point of the window.
    pub start: usize,
    /// Profile and derivatives at each point of the window.
    pub values: Vec<ProfileDerivatives>,
}

/// Lorentz-polarisation factor at Bragg angle `theta` (radians) of a Bragg-Brentano
/// powder pattern, `LP = [(1 − Pola) cos²2θ + Pola] / (2 sin²θ cosθ)` (GSAS-II's form;
/// `Pola = 0.5` is an unpolarised beam, `(1 + cos²2θ) / (4 sin²θ cosθ)`).
pub fn lorentz_polarization(theta: f64, polarization: f64) -> f64 {
    let cos2t = (2.0 * theta).cos();
    ((1.0 - polarization) * cos2t * cos2t + polarization)
        / (2.0 * theta.sin().powi(2) * theta.cos())
}

/// `f` of every line, in parallel with the `rayon` feature; results in line order, the
/// same on the serial path.
fn map_lines<T: Send>(lines: Vec<LineShape>, f: impl Fn(LineShape) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        lines.into_par_iter().with_min_len(8).map(f).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        lines.into_iter().map(f).collect()
    }
}

/// Adds `Σ_lines scale · factor · |F|²(reflection) · profile` to `out`.
pub fn accumulate(lines: &[LineProfile], f2: &[f64], scale: f64, out: &mut [f64]) {
    for line in lines {
        let intensity = scale * line.factor * f2[line.reflection];
        for (o, v) in out[line.start..].iter_mut().zip(&line.values) {
            *o += intensity * v;
        }
    }
}

/// A refinable parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// Zero shift (degrees).
    Zero,
    /// Specimen displacement (µm).
    Shift,
    /// Gaussian U (centideg²).
    U,
    /// Gaussian V (centideg²).
    V,
    /// Gaussian W (centideg²).
    W,
    /// Lorentzian X (centideg).
    X,
    /// Lorentzian Y (centideg).
    Y,
    /// Axial divergence SH/L.
    ShL,
    /// Background coefficient `k`.
    Background(usize),
    /// Scale of phase `p`.
    Scale(usize),
    /// Free cell term `k` of phase `p` (Å⁻²).
    Cell(usize, usize),
    /// Free coordinate `k` of atom `a` of phase `p`.
    Coordinate(usize, usize, usize),
    /// `U_iso` of atom `a` of phase `p` (Å²).
    Uiso(usize, usize),
    /// March-Dollase ratio of phase `p` (only for phases with a preferred orientation).
    PreferredOrientation(usize),
    /// Free `U` component `k` of anisotropic atom `a` of phase `p` (Å²).
    Uaniso(usize, usize, usize),
    /// Occupancy of atom `a` of phase `p`.
    Occupancy(usize, usize),
    /// Crystallite size of phase `p` (µm, [`SampleBroadening::size_um`]).
    Size(usize),
    /// Microstrain of phase `p` (10⁻⁶, [`SampleBroadening::microstrain`]).
    Microstrain(usize),
}

/// The whole model of one pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Instrument (wavelengths, profile terms, zero).
    pub instrument: Instrument,
    /// Bragg-Brentano specimen displacement (µm).
    pub shift_um: f64,
    /// Goniometer radius (mm).
    pub radius_mm: f64,
    /// Background.
    pub background: Background,
    /// Phases.
    pub phases: Vec<PhaseModel>,
}

impl Model {
    /// A model of `crystals` for angles up to `two_theta_max_deg`, with the background.
    ///
    /// # Errors
    /// Bad instrument values or an angle range without reflections.
    pub fn new(
        instrument: Instrument,
        background: Background,
        crystals: Vec<Crystal>,
        two_theta_max_deg: f64,
    ) -> Result<Self> {
        instrument.validate()?;
        let lambda_max = instrument.lines().iter().map(|l| l.0).fold(0.0, f64::max);
        // A margin of 2° so that peaks just outside the range still contribute tails.
        let theta = (0.5 * (two_theta_max_deg + 2.0)).min(89.9).to_radians();
        let d_min = lambda_max / (2.0 * theta.sin());
        let phases = crystals
            .into_iter()
            .map(|c| PhaseModel::new(c, d_min))
            .collect::<Result<Vec<_>>>()?;
        Ok(Model {
            instrument,
            shift_um: 0.0,
            radius_mm: DEFAULT_RADIUS_MM,
            background,
            phases,
        })
    }

    /// A model of `crystals` for `pattern`: a background of `kind` with `terms`
    /// coefficients over the pattern's 2θ range, and reflections up to its last angle.
    ///
    /// # Errors
    /// Bad instrument values or background settings.
    pub fn for_pattern(
        instrument: Instrument,
        background: (BackgroundKind, usize),
        crystals: Vec<Crystal>,
        pattern: &Pattern,
    ) -> Result<Self> {
        let x = &pattern.two_theta_deg;
        let (lo, hi) = (x[0], x[x.len() - 1]);
        let background = Background::new(background.0, background.1, lo, hi)?;
        Self::new(instrument, background, crystals, hi)
    }

    /// Every parameter the model has, in a fixed order.
    pub fn parameters(&self) -> Vec<Param> {
        let mut out = vec![
            Param::Zero,
            Param::Shift,
            Param::U,
            Param::V,
            Param::W,
            Param::X,
            Param::Y,
            Param::ShL,
        ];
        out.extend((0..self.background.coefficients.len()).map(Param::Background));
        for (p, phase) in self.phases.iter().enumerate() {
            out.extend([Param::Scale(p), Param::Size(p), Param::Microstrain(p)]);
            if phase.preferred_orientation.is_some() {
                out.push(Param::PreferredOrientation(p));
            }
            out.extend((0..phase.cell.basis.len()).map(|k| Param::Cell(p, k)));
            for (a, site) in phase.sites.iter().enumerate() {
                out.extend((0..site.basis.len()).map(|k| Param::Coordinate(p, a, k)));
                match &phase.adps[a] {
                    Some(adp) => out.extend((0..adp.basis.len()).map(|k| Param::Uaniso(p, a, k))),
                    None => out.push(Param::Uiso(p, a)),
                }
                out.push(Param::Occupancy(p, a));
            }
        }
        out
    }

    /// A readable name: `zero`, `U`, `bkg3`, `PbSO4:scale`, `PbSO4:A0`, `PbSO4:O1:x`,
    /// `PbSO4:O1:Uiso`.
    pub fn name(&self, param: Param) -> String {
        let phase = |p: usize| {
            self.phases
                .get(p)
                .map_or("?", |ph| ph.crystal.name.as_str())
        };
        let atom = |p: usize, a: usize| {
            self.phases
                .get(p)
                .and_then(|ph| ph.crystal.atoms.get(a))
                .map_or("?", |at| at.label.as_str())
        };
        match param {
            Param::Zero => "zero".into(),
            Param::Shift => "shift".into(),
            Param::U => "U".into(),
            Param::V => "V".into(),
            Param::W => "W".into(),
            Param::X => "X".into(),
            Param::Y => "Y".into(),
            Param::ShL => "SH/L".into(),
            Param::Background(k) => format!("bkg{k}"),
            Param::Scale(p) => format!("{}:scale", phase(p)),
            Param::PreferredOrientation(p) => format!("{}:MD", phase(p)),
            Param::Size(p) => format!("{}:size", phase(p)),
            Param::Microstrain(p) => format!("{}:mustrain", phase(p)),
            Param::Cell(p, k) => {
                let i = self.phases.get(p).map_or(0, |ph| ph.cell.free_index[k]);
                format!("{}:A{i}", phase(p))
            }
            Param::Coordinate(p, a, k) => {
                let i = self.phases.get(p).map_or(0, |ph| ph.sites[a].free_index[k]);
                format!("{}:{}:{}", phase(p), atom(p, a), ["x", "y", "z"][i])
            }
            Param::Uiso(p, a) => format!("{}:{}:Uiso", phase(p), atom(p, a)),
            Param::Uaniso(p, a, k) => {
                let i = self
                    .phases
                    .get(p)
                    .and_then(|ph| ph.adps[a].as_ref())
                    .map_or(0, |c| c.free_index[k]);
                let names = ["U11", "U22", "U33", "U12", "U13", "U23"];
                format!("{}:{}:{}", phase(p), atom(p, a), names[i])
            }
            Param::Occupancy(p, a) => format!("{}:{}:occ", phase(p), atom(p, a)),
        }
    }

    /// The free directions of the anisotropic `U` of atom `a` of phase `p` (one per
    /// [`Param::Uaniso`]), or `None` for an isotropic atom.
    pub fn adp_basis(&self, p: usize, a: usize) -> Option<&[[f64; 6]]> {
        self.phases[p].adps[a].as_ref().map(|c| c.basis.as_slice())
    }

    /// The free directions of the coordinates of atom `a` of phase `p` (one per
    /// [`Param::Coordinate`] of the atom).
    pub fn coordinate_basis(&self, p: usize, a: usize) -> &[[f64; 3]] {
        &self.phases[p].sites[a].basis
    }

    /// The cell of phase `p` with its free cell terms set to `values` (in the order of
    /// the [`Param::Cell`] parameters).
    ///
    /// # Errors
    /// Terms that do not form a cell.
    pub fn cell_from_free(&self, p: usize, values: &[f64]) -> Result<Cell> {
        Cell::from_a(&self.phases[p].cell.expand(values))
    }

    /// The parameter called `name` (see [`Model::name`]).
    pub fn find(&self, name: &str) -> Option<Param> {
        self.parameters()
            .into_iter()
            .find(|&p| self.name(p) == name)
    }

    /// The current value of `param`.
    pub fn get(&self, param: Param) -> f64 {
        let inst = &self.instrument;
        match param {
            Param::Zero => inst.zero_deg,
            Param::Shift => self.shift_um,
            Param::U => inst.u,
            Param::V => inst.v,
            Param::W => inst.w,
            Param::X => inst.x,
            Param::Y => inst.y,
            Param::ShL => inst.sh_l,
            Param::Background(k) => self.background.coefficients[k],
            Param::Scale(p) => self.phases[p].scale,
            Param::PreferredOrientation(p) => self.phases[p]
                .preferred_orientation
                .map_or(1.0, |po| po.ratio),
            Param::Cell(p, k) => {
                let ph = &self.phases[p];
                ph.crystal.cell.to_a()[ph.cell.free_index[k]]
            }
            Param::Coordinate(p, a, k) => {
                let ph = &self.phases[p];
                ph.crystal.atoms[a].xyz[ph.sites[a].free_index[k]]
            }
            Param::Uiso(p, a) => self.phases[p].crystal.atoms[a].u_iso,
            Param::Uaniso(p, a, k) => {
                let ph = &self.phases[p];
                match (&ph.adps[a], ph.crystal.atoms[a].u_aniso) {
                    (Some(c), Some(u)) => u[c.free_index[k]],
                    _ => 0.0,
                }
            }
            Param::Occupancy(p, a) => self.phases[p].crystal.atoms[a].occupancy,
            Param::Size(p) => self.phases[p].broadening.size_um,
            Param::Microstrain(p) => self.phases[p].broadening.microstrain,
        }
    }

    /// Sets `param` to `value`, keeping symmetry-related components in step.
    ///
    /// # Errors
    /// Cell terms that no longer form a cell.
    pub fn set(&mut self, param: Param, value: f64) -> Result<()> {
        let inst = &mut self.instrument;
        match param {
            Param::Zero => inst.zero_deg = value,
            Param::Shift => self.shift_um = value,
            Param::U => inst.u = value,
            Param::V => inst.v = value,
            Param::W => inst.w = value,
            Param::X => inst.x = value,
            Param::Y => inst.y = value,
            Param::ShL => inst.sh_l = value,
            Param::Background(k) => self.background.coefficients[k] = value,
            Param::Scale(p) => self.phases[p].scale = value,
            Param::PreferredOrientation(p) => {
                let po = self.phases[p]
                    .preferred_orientation
                    .as_mut()
                    .ok_or_else(|| {
                        Error::param(
                            "preferred orientation",
                            format!("phase {p} has no March-Dollase axis"),
                        )
                    })?;
                po.ratio = value;
            }
            Param::Cell(p, k) => {
                let ph = &mut self.phases[p];
                let a = ph.crystal.cell.to_a();
                let mut free: Vec<f64> = ph.cell.free_index.iter().map(|&i| a[i]).collect();
                free[k] = value;
                ph.crystal.cell = Cell::from_a(&ph.cell.expand(&free))?;
            }
            Param::Coordinate(p, at, k) => {
                let ph = &mut self.phases[p];
                let site = &ph.sites[at];
                let x = ph.crystal.atoms[at].xyz;
                let mut free: Vec<f64> = site.free_index.iter().map(|&i| x[i]).collect();
                free[k] = value;
                ph.crystal.atoms[at].xyz = site.expand(&free);
            }
            Param::Uiso(p, a) => self.phases[p].crystal.atoms[a].u_iso = value,
            Param::Uaniso(p, at, k) => {
                let ph = &mut self.phases[p];
                let atom = &mut ph.crystal.atoms[at];
                let (Some(c), Some(u)) = (&ph.adps[at], atom.u_aniso) else {
                    return Err(Error::param(
                        "U_aniso",
                        format!("atom {} is isotropic", atom.label),
                    ));
                };
                let mut free: Vec<f64> = c.free_index.iter().map(|&i| u[i]).collect();
                free[k] = value;
                let u = c.expand(&free);
                atom.u_iso = adp::equivalent(&u, &ph.crystal.cell);
                atom.u_aniso = Some(u);
            }
            Param::Occupancy(p, a) => self.phases[p].crystal.atoms[a].occupancy = value,
            Param::Size(p) => self.phases[p].broadening.size_um = value,
            Param::Microstrain(p) => self.phases[p].broadening.microstrain = value,
        }
        Ok(())
    }

    /// Why the profile is unphysical somewhere in `[lo, hi]` degrees, if it is: the
    /// Gaussian variance `U tan²θ + V tanθ + W` must stay positive and the Lorentzian
    /// FWHM `X/cosθ + Y tanθ + Z` non-negative, checked on a fine grid of the range (both
    /// are smooth in `tanθ`, so a grid of 200 points cannot miss a dip of consequence).
    /// The refinement restrains the variance to at least [`MIN_GAUSS_VARIANCE`].
    pub fn profile_problem(&self, lo: f64, hi: f64) -> Option<String> {
        (0..=200).find_map(|k| {
            let two_theta = lo + (hi - lo) * k as f64 / 200.0;
            let w = width_terms(&self.instrument, two_theta);
            let (sigma2, gamma) = (w.gauss_variance, w.lorentz_fwhm);
            if sigma2 <= 0.0 {
                Some(format!(
                    "Gaussian variance {sigma2:.3} centideg² at 2θ = {two_theta:.2}°"
                ))
            } else if gamma < 0.0 {
                Some(format!(
                    "negative Lorentzian width {gamma:.3} centideg at 2θ = {two_theta:.2}°"
                ))
            } else {
                None
            }
        })
    }

    /// Peak position (degrees) of a reflection of d-spacing `d` (Å) at wavelength
    /// `lambda` (Å), or `None` beyond 180°.
    pub fn peak_position(&self, d: f64, lambda: f64) -> Option<f64> {
        let s = lambda / (2.0 * d);
        if s >= 1.0 {
            return None;
        }
        let theta = s.asin();
        let shift =
            -(0.09 / (std::f64::consts::PI * self.radius_mm)) * 4.0 * self.shift_um * theta.cos();
        Some(2.0 * theta.to_degrees() + self.instrument.zero_deg + shift)
    }

    /// The background alone on `two_theta`.
    pub fn background_values(&self, two_theta: &[f64]) -> Vec<f64> {
        self.background.values(two_theta)
    }

    /// `|F|²` (Friedel mean) of every reflection of phase `p` at the current structure
    /// and cell, in the order of [`PhaseModel::reflections`].
    ///
    /// # Errors
    /// An atom without a form factor.
    pub fn squared_structure_factors(&self, p: usize) -> Result<Vec<f64>> {
        let phase = &self.phases[p];
        let sf = StructureFactors::new(&phase.crystal, self.instrument.lambda1)?;
        let a_terms = phase.crystal.cell.to_a();
        Ok(phase
            .reflections
            .iter()
            .map(|r| sf.f_squared(r.hkl, 1.0 / inv_d_squared(&a_terms, r.hkl).sqrt()))
            .collect())
    }

    /// Position, shape and intensity factor of every reflection line of phase `p`
    /// (lines beyond 180° are left out).
    pub fn line_shapes(&self, p: usize) -> Vec<LineShape> {
        let phase = &self.phases[p];
        let inst = &self.instrument;
        let a_terms = phase.crystal.cell.to_a();
        let mut out = Vec::with_capacity(2 * phase.reflections.len());
        for (k, r) in phase.reflections.iter().enumerate() {
            let d = 1.0 / inv_d_squared(&a_terms, r.hkl).sqrt();
            for (lambda, ratio) in inst.lines() {
                let Some(position) = self.peak_position(d, lambda) else {
                    continue;
                };
                let lp = lorentz_polarization((lambda / (2.0 * d)).asin(), inst.polarization);
                out.push(LineShape {
                    reflection: k,
                    position,
                    shape: peak_shape(inst, &phase.broadening, lambda, position),
                    factor: ratio * r.multiplicity as f64 * lp,
                });
            }
        }
        out
    }

    /// `|F|² P` of every reflection of phase `p`: the squared structure factor times
    /// the preferred-orientation correction (1 without one), in the order of
    /// [`PhaseModel::reflections`].
    ///
    /// # Errors
    /// An atom without a form factor.
    pub fn peak_intensities(&self, p: usize) -> Result<Vec<f64>> {
        let mut f2 = self.squared_structure_factors(p)?;
        let phase = &self.phases[p];
        if let Some(po) = &phase.preferred_orientation {
            let (group, cell) = (&phase.crystal.group, &phase.crystal.cell);
            for (v, r) in f2.iter_mut().zip(&phase.reflections) {
                *v *= po.correction(group, cell, r.hkl);
            }
        }
        Ok(f2)
    }

    /// Analytic derivatives of the scaled peak intensities `S |F|² P` of phase `p`
    /// ([`Model::peak_intensities`] times the scale), per reflection, with respect to
    /// each of `params` that is a coordinate, an isotropic `U` or an occupancy of phase
    /// `p` ([`StructureFactors::f_squared_gradient`]); `None` for the others.
    ///
    /// # Errors
    /// An atom without a form factor.
    pub fn intensity_gradients(&self, p: usize, params: &[Param]) -> Result<Vec<Option<Vec<f64>>>> {
        let phase = &self.phases[p];
        let targets: Vec<Option<(usize, SiteDerivative)>> = params
            .iter()
            .map(|&param| match param {
                Param::Coordinate(q, a, k) if q == p => {
                    Some((a, SiteDerivative::Coordinate(phase.sites[a].basis[k])))
                }
                Param::Uiso(q, a) if q == p => Some((a, SiteDerivative::Uiso)),
                Param::Occupancy(q, a) if q == p => Some((a, SiteDerivative::Occupancy)),
                _ => None,
            })
            .collect();
        let wrt: Vec<(usize, SiteDerivative)> = targets.iter().flatten().copied().collect();
        let mut columns: Vec<Vec<f64>> =
            vec![Vec::with_capacity(phase.reflections.len()); wrt.len()];
        if !wrt.is_empty() {
            let sf = StructureFactors::new(&phase.crystal, self.instrument.lambda1)?;
            let (group, cell) = (&phase.crystal.group, &phase.crystal.cell);
            let a_terms = cell.to_a();
            for r in &phase.reflections {
                let d = 1.0 / inv_d_squared(&a_terms, r.hkl).sqrt();
                let (_, gradient) = sf.f_squared_gradient(r.hkl, d, &wrt);
                let po = phase
                    .preferred_orientation
                    .as_ref()
                    .map_or(1.0, |po| po.correction(group, cell, r.hkl));
                for (column, g) in columns.iter_mut().zip(gradient) {
                    column.push(phase.scale * po * g);
                }
            }
        }
        let mut columns = columns.into_iter();
        Ok(targets
            .iter()
            .map(|t| t.and_then(|_| columns.next()))
            .collect())
    }

    /// The profile of every reflection line of phase `p` on `two_theta` (increasing):
    /// everything but the scale and `|F|²`, which enter linearly.
    pub fn line_profiles(&self, p: usize, two_theta: &[f64]) -> Vec<LineProfile> {
        map_lines(self.line_shapes(p), |line| {
            let (nodes, start, end) = line.window(two_theta, false);
            LineProfile {
                reflection: line.reflection,
                factor: line.factor,
                start,
                values: (start..end)
                    .map(|i| {
                        let dx = two_theta[i] - line.position;
                        nodes.profile(dx, &line.shape)
                    })
                    .collect(),
            }
        })
    }

    /// The lines of phase `p` with their profiles and profile derivatives on
    /// `two_theta` (increasing), in the order of [`Model::line_shapes`].
    pub fn line_derivatives(
        &self,
        p: usize,
        two_theta: &[f64],
    ) -> Vec<(LineShape, LineDerivatives)> {
        map_lines(self.line_shapes(p), |line| {
            let (nodes, start, end) = line.window(two_theta, true);
            let values = (start..end)
                .map(|i| {
                    let dx = two_theta[i] - line.position;
                    nodes.profile_derivatives(dx, &line.shape)
                })
                .collect();
            (line, LineDerivatives { start, values })
        })
    }

    /// Adds phase `p`'s peaks, times `factor`, to `out` on `two_theta` (increasing).
    ///
    /// # Errors
    /// An atom without a form factor.
    pub fn add_phase(
        &self,
        p: usize,
        factor: f64,
        two_theta: &[f64],
        out: &mut [f64],
    ) -> Result<()> {
        let f2 = self.peak_intensities(p)?;
        let scale = factor * self.phases[p].scale;
        accumulate(&self.line_profiles(p, two_theta), &f2, scale, out);
        Ok(())
    }

    /// The calculated pattern on `two_theta` (degrees, increasing).
    ///
    /// # Errors
    /// An atom without a form factor, or non-finite results (say which parameter set).
    pub fn calculate(&self, two_theta: &[f64]) -> Result<Vec<f64>> {
        let mut out = self.background_values(two_theta);
        for p in 0..self.phases.len() {
            self.add_phase(p, 1.0, two_theta, &mut out)?;
        }
        if out.iter().any(|v| !v.is_finite()) {
            return Err(Error::param(
                "model",
                "the calculated pattern is not finite",
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lorentz_polarization_by_hand() {
        // 2θ = 90°: cos 2θ = 0, so LP = Pola / (2 · ½ · √½) = Pola √2.
        let t = 45f64.to_radians();
        assert!((lorentz_polarization(t, 0.7) - 0.7 * 2f64.sqrt()).abs() < 1e-14);
        // 2θ = 60°, unpolarised: (1 + ¼) / (4 · ¼ · √3/2) = 1.25 / (√3/2).
        let t = 30f64.to_radians();
        assert!((lorentz_polarization(t, 0.5) - 1.25 / (3f64.sqrt() / 2.0)).abs() < 1e-13);
    }
}
