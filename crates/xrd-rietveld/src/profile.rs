//! Peak profiles of constant-wavelength diffraction (GSAS-II conventions).
//!
//! * Thompson-Cox-Hastings pseudo-Voigt (J. Appl. Cryst. 20, 79 (1987)): Gaussian variance
//!   `σ² = U tan²θ + V tanθ + W` (centidegrees²), Gaussian FWHM `Γ_G = √(8 ln2 σ²)`,
//!   Lorentzian FWHM `Γ_L = X / cosθ + Y tanθ + Z` (centidegrees); total FWHM
//!   `Γ = (Γ_G⁵ + 2.69269 Γ_G⁴Γ_L + 2.42843 Γ_G³Γ_L² + 4.47163 Γ_G²Γ_L³ + 0.07842 Γ_GΓ_L⁴
//!   + Γ_L⁵)^{1/5}` and mixing `η = 1.36603 q − 0.47719 q² + 0.11116 q³`, `q = Γ_L/Γ`.
//! * Finger-Cox-Jephcoat axial-divergence asymmetry (J. Appl. Cryst. 27, 892 (1994)) with
//!   one parameter `SH/L = (S + H)/L` and `S = H`: a peak at `2θ₀ < 90°` receives
//!   intensity from `2φ ∈ [2φ_min, 2θ₀]`, `cos 2φ_min = cos 2θ₀ √(1 + (SH/L)²)`, with weight
//!   `W(h) / (h cos 2φ)`, `h/L = √(cos²2φ / cos²2θ₀ − 1)`, where the slit-overlap length
//!   `W = H + S − h` (for `S = H` over the whole range) falls from `2H` at the peak to 0
//!   at `2φ_min`. The symmetric profile is averaged
//!   over that range by Gauss-Legendre quadrature in `u = √(2θ₀ − 2φ)`, which removes the
//!   integrable singularity at `2φ = 2θ₀`. Above 90° the profile is mirrored.
//!
//! Profiles are normalised to unit area in degrees of 2θ.

use std::sync::OnceLock;

use crate::fast_exp;
use crate::instrument::Instrument;

const LN2: f64 = std::f64::consts::LN_2;
/// Gauss-Legendre orders of the asymmetry average, chosen by the ratio of the
/// divergence range to the FWHM: a range well inside the peak needs few points.
const ORDERS: [usize; 4] = [4, 8, 16, 24];
/// Range/FWHM below which each order of [`ORDERS`] is used (the last covers the rest).
const ORDER_LIMITS: [f64; 3] = [0.25, 1.0, 4.0];

/// Widths of one peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakShape {
    /// Total FWHM `Γ` (degrees).
    pub fwhm_deg: f64,
    /// Lorentzian fraction `η` (0-1).
    pub eta: f64,
    /// Axial divergence `SH/L`.
    pub sh_l: f64,
}

/// Gaussian and Lorentzian FWHM (degrees) at `2θ` (degrees) from the instrument terms;
/// the Gaussian variance is floored at 10⁻⁴ centideg² like GSAS-II's floor, so that a
/// negative `σ²` gives a narrow peak, not a NaN (the refinement flags such solutions as
/// unphysical).
pub fn tch_widths(instrument: &Instrument, two_theta_deg: f64) -> (f64, f64) {
    let w = width_terms(instrument, two_theta_deg);
    floored_widths(w.gauss_variance, w.lorentz_fwhm)
}

/// Gaussian and Lorentzian FWHM (degrees) from a Gaussian variance (centideg², floored
/// at 10⁻⁴) and a Lorentzian FWHM (centideg, floored at 0).
fn floored_widths(gauss_variance: f64, lorentz_fwhm: f64) -> (f64, f64) {
    let gauss = (8.0 * LN2 * gauss_variance.max(1e-4)).sqrt() / 100.0;
    (gauss, (lorentz_fwhm / 100.0).max(0.0))
}

/// The instrument's width terms at one angle, unfloored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WidthTerms {
    /// `tanθ`: `∂σ²/∂(U, V, W) = (tan²θ, tanθ, 1)`, `∂γ/∂Y = tanθ`.
    pub tan: f64,
    /// `1/cosθ = ∂γ/∂X`.
    pub sec: f64,
    /// Gaussian variance `σ² = U tan²θ + V tanθ + W` (centideg²).
    pub gauss_variance: f64,
    /// Lorentzian FWHM `γ = X / cosθ + Y tanθ + Z` (centideg).
    pub lorentz_fwhm: f64,
}

/// [`WidthTerms`] at `2θ` (degrees).
pub fn width_terms(instrument: &Instrument, two_theta_deg: f64) -> WidthTerms {
    let theta = (0.5 * two_theta_deg).to_radians();
    let (t, sec) = (theta.tan(), 1.0 / theta.cos());
    WidthTerms {
        tan: t,
        sec,
        gauss_variance: instrument.u * t * t + instrument.v * t + instrument.w,
        lorentz_fwhm: instrument.x * sec + instrument.y * t + instrument.z,
    }
}

/// The TCH total FWHM (same units as the inputs) and mixing `η`.
pub fn tch_combine(gauss_fwhm: f64, lorentz_fwhm: f64) -> (f64, f64) {
    let (g, l) = (gauss_fwhm, lorentz_fwhm);
    let total = (g.powi(5)
        + 2.69269 * g.powi(4) * l
        + 2.42843 * g.powi(3) * l * l
        + 4.47163 * g * g * l.powi(3)
        + 0.07842 * g * l.powi(4)
        + l.powi(5))
    .powf(0.2);
    let q = if total > 0.0 { l / total } else { 0.0 };
    (
        total,
        (1.36603 * q - 0.47719 * q * q + 0.11116 * q.powi(3)).clamp(0.0, 1.0),
    )
}

/// Isotropic sample broadening of one phase (GSAS-II's model): crystallite size and
/// microstrain, each split between the Lorentzian and Gaussian parts by a mixing
/// fraction.
///
/// At a line of wavelength `λ` (Å) and Bragg angle `θ`, the size and strain FWHM in
/// centidegrees of 2θ are
/// `Γ_size = 1.8 λ / (π L cosθ)` (Scherrer with `K = 1`, `L` in µm) and
/// `Γ_strain = 0.018 ε tanθ / π` (`ε` in units of 10⁻⁶, FWHM `ε tanθ` in radians).
/// The Lorentzian FWHM gains `m_L Γ_size + m_ε Γ_strain` and the Gaussian variance
/// `((1 − m_L) Γ_size)² + ((1 − m_ε) Γ_strain)²)/(8 ln 2)`; both add to the instrument's
/// terms before the Thompson-Cox-Hastings combination. Each line uses its own
/// wavelength and angle (GSAS-II evaluates the Kα₂ line with Kα₁'s widths).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleBroadening {
    /// Crystallite size `L` (µm); infinite for no size broadening.
    pub size_um: f64,
    /// Microstrain `ε` (10⁻⁶); 0 for none.
    pub microstrain: f64,
    /// Lorentzian fraction `m_L` of the size term (GSAS-II's default 1).
    pub size_mix: f64,
    /// Lorentzian fraction `m_ε` of the strain term (default 1).
    pub strain_mix: f64,
}

impl Default for SampleBroadening {
    /// No sample broadening: infinite size, no strain, Lorentzian mixes.
    fn default() -> Self {
        SampleBroadening {
            size_um: f64::INFINITY,
            microstrain: 0.0,
            size_mix: 1.0,
            strain_mix: 1.0,
        }
    }
}

impl SampleBroadening {
    /// Size and strain FWHM `(Γ_size, Γ_strain)` (centideg) of a line of wavelength
    /// `lambda` (Å) at `2θ` (degrees).
    pub fn fwhm(&self, lambda: f64, two_theta_deg: f64) -> (f64, f64) {
        let theta = (0.5 * two_theta_deg).to_radians();
        let pi = std::f64::consts::PI;
        (
            1.8 * lambda / (pi * self.size_um * theta.cos()),
            0.018 * self.microstrain * theta.tan() / pi,
        )
    }

    /// The Gaussian variance (centideg²) and Lorentzian FWHM (centideg) this broadening
    /// adds to a line of wavelength `lambda` (Å) at `2θ` (degrees).
    pub fn widths(&self, lambda: f64, two_theta_deg: f64) -> (f64, f64) {
        let (size, strain) = self.fwhm(lambda, two_theta_deg);
        let (ms, me) = (self.size_mix, self.strain_mix);
        let variance = (((1.0 - ms) * size).powi(2) + ((1.0 - me) * strain).powi(2)) / (8.0 * LN2);
        (variance, ms * size + me * strain)
    }
}

/// The shape of a line of wavelength `lambda` (Å) at `2θ` (degrees): the instrument's
/// widths plus the sample's.
pub fn peak_shape(
    instrument: &Instrument,
    sample: &SampleBroadening,
    lambda: f64,
    two_theta_deg: f64,
) -> PeakShape {
    let w = width_terms(instrument, two_theta_deg);
    let (variance, lorentz) = sample.widths(lambda, two_theta_deg);
    let (g, l) = floored_widths(w.gauss_variance + variance, w.lorentz_fwhm + lorentz);
    let (fwhm_deg, eta) = tch_combine(g, l);
    PeakShape {
        fwhm_deg,
        eta,
        sh_l: instrument.sh_l,
    }
}

/// Unit-area pseudo-Voigt of FWHM `fwhm` and mixing `eta` at offset `dx` (same units).
pub fn pseudo_voigt(dx: f64, fwhm: f64, eta: f64) -> f64 {
    Voigt::new(fwhm, eta).value(dx)
}

/// A pseudo-Voigt of FWHM `Γ` and mixing `η` with its constants computed once, so that
/// evaluating it costs one division and one (vectorisable) exponential. With
/// `x² = 4dx²/Γ²`, the unit-area Lorentzian is `L = 2/(πΓ(1 + x²))` and the Gaussian
/// `G = 2√(ln2/π)/Γ · exp(−ln2 x²)`.
#[derive(Debug, Clone, Copy)]
struct Voigt {
    eta: f64,
    /// `1/Γ`.
    inv_fwhm: f64,
    /// `4/Γ²`, so that `x² = dx² · x2_per_dx2`.
    x2_per_dx2: f64,
    /// `L(0) = 2/(πΓ)`.
    lorentz_peak: f64,
    /// `G(0) = 2√(ln2/π)/Γ`.
    gauss_peak: f64,
}

impl Voigt {
    fn new(fwhm: f64, eta: f64) -> Self {
        let inv_fwhm = 1.0 / fwhm;
        Voigt {
            eta,
            inv_fwhm,
            x2_per_dx2: 4.0 * inv_fwhm * inv_fwhm,
            lorentz_peak: 2.0 / std::f64::consts::PI * inv_fwhm,
            gauss_peak: 2.0 * (LN2 / std::f64::consts::PI).sqrt() * inv_fwhm,
        }
    }

    /// `(x², 1/(1 + x²), L, G)` at offset `dx`. Branch-free, so that the asymmetry
    /// quadrature vectorises; beyond `ln2·x² = 40` the Gaussian is below 5e-18 of its
    /// peak and set to zero.
    #[inline(always)]
    fn parts(&self, dx: f64) -> (f64, f64, f64, f64) {
        let x2 = dx * dx * self.x2_per_dx2;
        let inv_1x2 = 1.0 / (1.0 + x2);
        let exponent = -LN2 * x2;
        let decay = fast_exp::exp(exponent.max(-41.0));
        let gauss = if exponent < -40.0 {
            0.0
        } else {
            self.gauss_peak * decay
        };
        (x2, inv_1x2, self.lorentz_peak * inv_1x2, gauss)
    }

    /// `Φ = ηL + (1 − η)G` at offset `dx`.
    #[inline(always)]
    fn value(&self, dx: f64) -> f64 {
        let (_, _, lorentz, gauss) = self.parts(dx);
        self.eta * lorentz + (1.0 - self.eta) * gauss
    }

    /// [`Voigt::with_derivatives`] where the Gaussian is zero (`ln2·x² > 40`), from
    /// the Lorentzian alone: the same values without the exponential.
    #[inline(always)]
    fn lorentz_tail(&self, dx: f64) -> [f64; 4] {
        let x2 = dx * dx * self.x2_per_dx2;
        let inv_1x2 = 1.0 / (1.0 + x2);
        let lorentz = self.lorentz_peak * inv_1x2;
        let dl_dx = -2.0 * dx * self.x2_per_dx2 * lorentz * inv_1x2;
        let dl_df = lorentz * self.inv_fwhm * (2.0 * x2 * inv_1x2 - 1.0);
        let eta = self.eta;
        [eta * lorentz, eta * dl_dx, eta * dl_df, lorentz]
    }

    /// `[Φ, ∂Φ/∂dx, ∂Φ/∂Γ, ∂Φ/∂η]` at offset `dx`:
    /// `∂L/∂dx = −8 dx L / (Γ²(1 + x²))`, `∂G/∂dx = −8 ln2 dx G / Γ²`,
    /// `∂L/∂Γ = (L/Γ)(2x²/(1 + x²) − 1)`, `∂G/∂Γ = (G/Γ)(2 ln2 x² − 1)`, `∂Φ/∂η = L − G`.
    #[inline(always)]
    fn with_derivatives(&self, dx: f64) -> [f64; 4] {
        let (x2, inv_1x2, lorentz, gauss) = self.parts(dx);
        let per_dx = -2.0 * dx * self.x2_per_dx2;
        let dl_dx = per_dx * lorentz * inv_1x2;
        let dg_dx = per_dx * LN2 * gauss;
        let dl_df = lorentz * self.inv_fwhm * (2.0 * x2 * inv_1x2 - 1.0);
        let dg_df = gauss * self.inv_fwhm * (2.0 * LN2 * x2 - 1.0);
        let eta = self.eta;
        [
            eta * lorentz + (1.0 - eta) * gauss,
            eta * dl_dx + (1.0 - eta) * dg_dx,
            eta * dl_df + (1.0 - eta) * dg_df,
            lorentz - gauss,
        ]
    }
}

/// A pseudo-Voigt value with its partial derivatives.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProfileDerivatives {
    /// The value `Φ`.
    pub value: f64,
    /// `∂Φ/∂dx` (per degree; a peak moved by `δ` changes by `−δ ∂Φ/∂dx`).
    pub d_offset: f64,
    /// `∂Φ/∂Γ` (per degree of FWHM).
    pub d_fwhm: f64,
    /// `∂Φ/∂η`.
    pub d_eta: f64,
    /// `∂Φ/∂(SH/L)` (zero unless the nodes carry their derivatives, see
    /// [`Asymmetry::with_sh_l_derivatives`]).
    pub d_sh_l: f64,
}

impl From<[f64; 5]> for ProfileDerivatives {
    fn from([value, d_offset, d_fwhm, d_eta, d_sh_l]: [f64; 5]) -> Self {
        ProfileDerivatives {
            value,
            d_offset,
            d_fwhm,
            d_eta,
            d_sh_l,
        }
    }
}

/// [`pseudo_voigt`] and its derivatives with respect to `dx`, `fwhm` and `eta`
/// (`d_sh_l` is zero): with `x² = 4dx²/Γ²`, `∂L/∂dx = −8 dx L / (Γ²(1 + x²))`,
/// `∂G/∂dx = −8 ln2 dx G / Γ²`, `∂L/∂Γ = (L/Γ)(2x²/(1 + x²) − 1)`,
/// `∂G/∂Γ = (G/Γ)(2 ln2 x² − 1)`, `∂Φ/∂η = L − G`.
pub fn pseudo_voigt_derivatives(dx: f64, fwhm: f64, eta: f64) -> ProfileDerivatives {
    let [value, d_offset, d_fwhm, d_eta] = Voigt::new(fwhm, eta).with_derivatives(dx);
    ProfileDerivatives::from([value, d_offset, d_fwhm, d_eta, 0.0])
}

/// Gauss-Legendre nodes and weights on `[0, 1]` of order `ORDERS[k]`.
fn gauss_legendre(k: usize) -> &'static [(f64, f64)] {
    static TABLES: OnceLock<Vec<Vec<(f64, f64)>>> = OnceLock::new();
    &TABLES.get_or_init(|| ORDERS.iter().map(|&n| gauss_legendre_nodes(n)).collect())[k]
}

/// Gauss-Legendre nodes and weights of order `n` on `[0, 1]`.
fn gauss_legendre_nodes(n: usize) -> Vec<(f64, f64)> {
    {
        (0..n)
            .map(|i| {
                // Newton iteration on P_n from the Chebyshev-like first guess.
                let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
                let mut dp = 1.0;
                for _ in 0..100 {
                    let (mut p0, mut p1) = (1.0, x);
                    for k in 2..=n {
                        let k = k as f64;
                        (p0, p1) = (p1, ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k);
                    }
                    dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                    let step = p1 / dp;
                    x -= step;
                    if step.abs() < 1e-15 {
                        break;
                    }
                }
                let w = 2.0 / ((1.0 - x * x) * dp * dp);
                (0.5 * (1.0 + x), 0.5 * w)
            })
            .collect()
    }
}

/// Offsets (degrees, ≥ 0, towards low angle for a peak below 90°) and normalised weights
/// of the axial-divergence average for a peak at `two_theta_deg`; a single `(0, 1)` when
/// the asymmetry is negligible (range below 1 % of `fwhm_deg`).
pub fn asymmetry_nodes(two_theta_deg: f64, sh_l: f64, fwhm_deg: f64) -> Vec<(f64, f64)> {
    match asymmetry_order(two_theta_deg, sh_l, fwhm_deg) {
        Some(order) => nodes_of_order(two_theta_deg, sh_l, order),
        None => vec![(0.0, 1.0)],
    }
}

/// The Gauss-Legendre order (index into [`ORDERS`]) for a peak at `two_theta_deg`, or
/// `None` when the asymmetry is negligible (range below 1 % of `fwhm_deg`).
fn asymmetry_order(two_theta_deg: f64, sh_l: f64, fwhm_deg: f64) -> Option<usize> {
    let (_, range, _) = divergence_range(two_theta_deg, sh_l);
    if sh_l <= 0.0 || range.to_degrees() < 0.01 * fwhm_deg {
        return None;
    }
    let ratio_to_width = range.to_degrees() / fwhm_deg;
    Some(
        ORDER_LIMITS
            .iter()
            .position(|&limit| ratio_to_width < limit)
            .unwrap_or(ORDERS.len() - 1),
    )
}

/// The nodes of order `ORDERS[order]` for a peak at `two_theta_deg`.
fn nodes_of_order(two_theta_deg: f64, sh_l: f64, order: usize) -> Vec<(f64, f64)> {
    let (t0, range, mirrored) = divergence_range(two_theta_deg, sh_l);
    divergence_nodes(t0, range, sh_l, mirrored, order)
}

/// `(∂o_n/∂(SH/L), ∂w_n/∂(SH/L))` of the nodes of order `ORDERS[order]` (`sh_l > 0`), by
/// central differences of the nodes alone with a relative step of 1e-4 (truncation
/// error about 1e-8 relative): cheap, unlike differences of the whole pattern.
fn node_derivatives(two_theta_deg: f64, sh_l: f64, order: usize) -> Vec<(f64, f64)> {
    let h = 1e-4 * sh_l;
    let up = nodes_of_order(two_theta_deg, sh_l + h, order);
    let down = nodes_of_order(two_theta_deg, sh_l - h, order);
    up.iter()
        .zip(&down)
        .map(|(u, d)| ((u.0 - d.0) / (2.0 * h), (u.1 - d.1) / (2.0 * h)))
        .collect()
}

/// `(θ₀', range, mirrored)`: the angle (radians) of the peak folded below 90°, the
/// divergence range `2θ₀ − 2φ_min` (radians) and whether the peak is above 90°.
fn divergence_range(two_theta_deg: f64, sh_l: f64) -> (f64, f64, bool) {
    let mirrored = two_theta_deg > 90.0;
    let t0 = if mirrored {
        180.0 - two_theta_deg
    } else {
        two_theta_deg
    }
    .to_radians();
    let cos_min = t0.cos() * (1.0 + sh_l * sh_l).sqrt();
    let phi_min = if cos_min >= 1.0 { 0.0 } else { cos_min.acos() };
    (t0, t0 - phi_min, mirrored)
}

/// Quadrature nodes `(offset, weight)` in groups of four, padded with zero weights: the
/// layout the vectorised profile sums read.
#[derive(Debug, Clone, PartialEq)]
pub struct Nodes {
    offsets: Vec<[f64; 4]>,
    weights: Vec<[f64; 4]>,
    /// `∂offset/∂(SH/L)`, zero unless given.
    d_offsets: Vec<[f64; 4]>,
    /// `∂weight/∂(SH/L)`, zero unless given.
    d_weights: Vec<[f64; 4]>,
    len: usize,
}

impl Nodes {
    /// The nodes `(offset, weight)`.
    pub fn new(nodes: &[(f64, f64)]) -> Self {
        Self::with_derivatives(nodes, &[])
    }

    /// The nodes `(offset, weight)` with their derivatives with respect to SH/L (zero
    /// where `derivatives` is shorter).
    fn with_derivatives(nodes: &[(f64, f64)], derivatives: &[(f64, f64)]) -> Self {
        let groups = nodes.len().div_ceil(4);
        let lane = |from: &[(f64, f64)], pick: fn(&(f64, f64)) -> f64| -> Vec<[f64; 4]> {
            (0..groups)
                .map(|g| std::array::from_fn(|k| from.get(4 * g + k).map_or(0.0, pick)))
                .collect()
        };
        Nodes {
            offsets: lane(nodes, |n| n.0),
            weights: lane(nodes, |n| n.1),
            d_offsets: lane(derivatives, |n| n.0),
            d_weights: lane(derivatives, |n| n.1),
            len: nodes.len(),
        }
    }

    /// Number of nodes (without the padding).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The asymmetry nodes of one peak, split by distance: [`asymmetry_nodes`] near the
/// peak, and the 4-point rule in the tails, beyond [`Asymmetry::far_from`], where the
/// (Lorentzian) profile changes little across the divergence range and the Gaussian part
/// is zero. The tails hold most points of a profile window, so this saves most of the
/// quadrature cost; the two agree there to 1e-7 of the peak (tested).
#[derive(Debug, Clone, PartialEq)]
pub struct Asymmetry {
    /// Nodes near the peak.
    pub near: Nodes,
    /// Nodes in the tails.
    pub far: Nodes,
    /// `|dx|` (degrees) beyond which the tail nodes are used: the divergence range plus
    /// the larger of 2 ranges and 4 FWHM (beyond 3.8 FWHM the Gaussian is cut to zero).
    pub far_from: f64,
    /// Largest node offset (degrees).
    pub reach: f64,
}

impl Asymmetry {
    /// The nodes of a peak at `two_theta_deg` with FWHM `fwhm_deg`.
    pub fn new(two_theta_deg: f64, sh_l: f64, fwhm_deg: f64) -> Self {
        Self::build(two_theta_deg, sh_l, fwhm_deg, false)
    }

    /// [`Asymmetry::new`] with the nodes' derivatives, so that
    /// [`Asymmetry::profile_derivatives`] also gives `∂Φ/∂(SH/L)`.
    pub fn with_sh_l_derivatives(two_theta_deg: f64, sh_l: f64, fwhm_deg: f64) -> Self {
        Self::build(two_theta_deg, sh_l, fwhm_deg, true)
    }

    fn build(two_theta_deg: f64, sh_l: f64, fwhm_deg: f64, derivatives: bool) -> Self {
        let Some(order) = asymmetry_order(two_theta_deg, sh_l, fwhm_deg) else {
            let single = Nodes::new(&[(0.0, 1.0)]);
            return Asymmetry {
                far: single.clone(),
                near: single,
                far_from: f64::INFINITY,
                reach: 0.0,
            };
        };
        let nodes = |order: usize| {
            let n = nodes_of_order(two_theta_deg, sh_l, order);
            let reach = n.iter().map(|n| n.0.abs()).fold(0.0, f64::max);
            let d = if derivatives {
                node_derivatives(two_theta_deg, sh_l, order)
            } else {
                Vec::new()
            };
            (Nodes::with_derivatives(&n, &d), reach)
        };
        let (near, reach) = nodes(order);
        let (far, far_from) = if order == 0 {
            (near.clone(), f64::INFINITY)
        } else {
            (nodes(0).0, reach + (2.0 * reach).max(4.0 * fwhm_deg))
        };
        Asymmetry {
            near,
            far,
            far_from,
            reach,
        }
    }

    /// [`profile`] at offset `dx` with the nodes of that offset; in the tails only the
    /// Lorentzian part is evaluated (the Gaussian part is exactly zero there).
    #[inline]
    pub fn profile(&self, dx: f64, shape: &PeakShape) -> f64 {
        self.profile_derivatives(dx, shape).value
    }

    /// [`profile_derivatives`] at offset `dx`, like [`Asymmetry::profile`].
    #[inline]
    pub fn profile_derivatives(&self, dx: f64, shape: &PeakShape) -> ProfileDerivatives {
        let voigt = Voigt::new(shape.fwhm_deg, shape.eta);
        ProfileDerivatives::from(if dx.abs() > self.far_from {
            node_sum(dx, &self.far, |x| voigt.lorentz_tail(x))
        } else {
            node_sum(dx, &self.near, |x| voigt.with_derivatives(x))
        })
    }
}

/// The divergence average of [`asymmetry_nodes`] with Gauss-Legendre order `ORDERS[order]`.
fn divergence_nodes(
    t0: f64,
    range: f64,
    sh_l: f64,
    mirrored: bool,
    order: usize,
) -> Vec<(f64, f64)> {
    let u_max = range.sqrt();
    let c0 = t0.cos();
    let mut nodes: Vec<(f64, f64)> = gauss_legendre(order)
        .iter()
        .map(|&(s, w)| {
            let u = s * u_max;
            let phi = t0 - u * u;
            let ratio = (phi.cos() / c0).powi(2) - 1.0;
            // 2u du W / (h cos 2φ) with W/L = SH/L − h/L; h/L ≈ u √(2 tan 2θ₀) as u → 0
            // (never reached by the nodes).
            let h = ratio.max(1e-300).sqrt();
            let weight = 2.0 * u * (sh_l - h).max(0.0) / (h * phi.cos()) * w;
            let offset = (u * u).to_degrees();
            (if mirrored { -offset } else { offset }, weight)
        })
        .collect();
    let total: f64 = nodes.iter().map(|n| n.1).sum();
    nodes.iter_mut().for_each(|n| n.1 /= total);
    nodes
}

/// `Σ_n w_n f(dx + o_n)` over quadrature nodes `(o_n, w_n)` of a profile `f` given with
/// its derivatives `[f, ∂f/∂dx, ∂f/∂Γ, ∂f/∂η]`, and as fifth value the derivative with
/// respect to SH/L through the nodes, `Σ_n ∂w_n/∂(SH/L) f + w_n ∂o_n/∂(SH/L) ∂f/∂dx`.
/// Four nodes at a time in independent lanes, so that the compiler vectorises the
/// profile evaluations (the lane order is fixed: the same result on every machine and
/// thread count).
#[inline(always)]
fn node_sum(dx: f64, nodes: &Nodes, f: impl Fn(f64) -> [f64; 4]) -> [f64; 5] {
    let mut lanes = [[0.0; 4]; 5];
    let groups = nodes.offsets.iter().zip(&nodes.weights);
    let derivatives = nodes.d_offsets.iter().zip(&nodes.d_weights);
    for ((offsets, weights), (d_offsets, d_weights)) in groups.zip(derivatives) {
        for k in 0..4 {
            let v = f(dx + offsets[k]);
            for m in 0..4 {
                lanes[m][k] += weights[k] * v[m];
            }
            lanes[4][k] += d_weights[k] * v[0] + weights[k] * d_offsets[k] * v[1];
        }
    }
    lanes.map(|l| (l[0] + l[2]) + (l[1] + l[3]))
}

/// The full profile of a peak centred at `two_theta_deg`, evaluated at offsets
/// `dx = 2θ − 2θ₀` (degrees), with precomputed asymmetry nodes.
pub fn profile(dx: f64, shape: &PeakShape, nodes: &Nodes) -> f64 {
    profile_derivatives(dx, shape, nodes).value
}

/// [`profile`] and its derivatives with respect to the offset, FWHM and mixing at
/// fixed asymmetry nodes.
pub fn profile_derivatives(dx: f64, shape: &PeakShape, nodes: &Nodes) -> ProfileDerivatives {
    let voigt = Voigt::new(shape.fwhm_deg, shape.eta);
    ProfileDerivatives::from(node_sum(dx, nodes, |x| voigt.with_derivatives(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_derivatives_match_central_differences() {
        let shape = PeakShape {
            fwhm_deg: 0.09,
            eta: 0.37,
            sh_l: 0.03,
        };
        let nodes = Nodes::new(&asymmetry_nodes(28.0, shape.sh_l, shape.fwhm_deg));
        let h = 1e-6;
        for dx in [-0.4, -0.07, -0.01, 0.0, 0.02, 0.11, 1.3] {
            let d = profile_derivatives(dx, &shape, &nodes);
            assert_eq!(d.value, profile(dx, &shape, &nodes));
            let at = |dx: f64, fwhm: f64, eta: f64| {
                profile(
                    dx,
                    &PeakShape {
                        fwhm_deg: fwhm,
                        eta,
                        sh_l: shape.sh_l,
                    },
                    &nodes,
                )
            };
            let (f, e) = (shape.fwhm_deg, shape.eta);
            let numeric = [
                (at(dx + h, f, e) - at(dx - h, f, e)) / (2.0 * h),
                (at(dx, f + h, e) - at(dx, f - h, e)) / (2.0 * h),
                (at(dx, f, e + h) - at(dx, f, e - h)) / (2.0 * h),
            ];
            let scale = profile(0.0, &shape, &nodes) / shape.fwhm_deg;
            for (analytic, numeric) in [d.d_offset, d.d_fwhm, d.d_eta].iter().zip(numeric) {
                assert!(
                    (analytic - numeric).abs() < 1e-6 * scale,
                    "dx {dx}: {analytic} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn tch_limits_and_a_hand_value() {
        // Pure Gaussian and pure Lorentzian.
        assert_eq!(tch_combine(0.3, 0.0), (0.3, 0.0));
        let (t, eta) = tch_combine(0.0, 0.2);
        assert!((t - 0.2).abs() < 1e-15 && (eta - (1.36603 - 0.47719 + 0.11116)).abs() < 1e-12);
        // Γ_G = Γ_L = 1: Γ = (1 + 2.69269 + 2.42843 + 4.47163 + 0.07842 + 1)^{1/5}.
        let (t, _) = tch_combine(1.0, 1.0);
        assert!((t - 11.67117f64.powf(0.2)).abs() < 1e-12);
        // U = V = 0: σ² = W, Γ_G = √(8 ln2 W) centideg; X / cosθ.
        let mut inst = Instrument::monochromatic(1.5406);
        inst.w = 4.0;
        inst.x = 2.0;
        let (g, l) = tch_widths(&inst, 60.0);
        assert!((g - (8.0 * LN2 * 4.0f64).sqrt() / 100.0).abs() < 1e-15);
        assert!((l - 0.02 / 30f64.to_radians().cos()).abs() < 1e-15);
    }

    #[test]
    fn profiles_have_unit_area_and_half_maximum_at_half_width() {
        for eta in [0.0, 0.4, 1.0] {
            let fwhm = 0.1;
            let peak = pseudo_voigt(0.0, fwhm, eta);
            assert!((pseudo_voigt(0.05, fwhm, eta) / peak - 0.5).abs() < 1e-12);
            let area: f64 = (-200_000..=200_000)
                .map(|i| pseudo_voigt(i as f64 * 1e-4, fwhm, eta) * 1e-4)
                .sum();
            // Lorentzian tails beyond ±20° hold 2/π · fwhm/40 of the area.
            assert!((area - 1.0).abs() < eta * 2e-3 + 1e-9, "eta {eta}: {area}");
        }
    }

    #[test]
    fn axial_divergence_moves_intensity_to_low_angle_below_90_degrees() {
        let shape = PeakShape {
            fwhm_deg: 0.08,
            eta: 0.5,
            sh_l: 0.03,
        };
        for two_theta in [20.0, 150.0] {
            let nodes = asymmetry_nodes(two_theta, shape.sh_l, shape.fwhm_deg);
            let sum: f64 = nodes.iter().map(|n| n.1).sum();
            assert!((sum - 1.0).abs() < 1e-12);
            // Centroid shift: low-angle side below 90°, high-angle side above.
            let mean: f64 = (-4000..=4000)
                .map(|i| {
                    let dx = i as f64 * 1e-4;
                    dx * profile(dx, &shape, &Nodes::new(&nodes)) * 1e-4
                })
                .sum();
            if two_theta < 90.0 {
                assert!(mean < -0.01, "{mean}")
            } else {
                assert!(mean > 0.001, "{mean}")
            }
            // The range of the offsets is 2θ₀ − 2φ_min.
            let t0 = f64::min(two_theta, 180.0 - two_theta).to_radians();
            let range = (t0 - (t0.cos() * (1.0 + 0.03f64 * 0.03).sqrt()).acos()).to_degrees();
            let max_offset = nodes.iter().map(|n| n.0.abs()).fold(0.0, f64::max);
            assert!(max_offset < range && max_offset > 0.95 * range);
        }
        // Negligible asymmetry near 90°: one node.
        assert_eq!(asymmetry_nodes(89.0, 0.001, 0.1).len(), 1);
        assert_eq!(asymmetry_nodes(30.0, 0.0, 0.1), vec![(0.0, 1.0)]);
    }

    #[test]
    fn quadrature_centroid_matches_a_direct_sum_over_the_divergence() {
        // Direct midpoint sum of (SH/L − h/L) / ((h/L) cos 2φ) over 2φ (a million points;
        // the 1/√ singularity at 2θ₀ limits it to about 1e-3 relative).
        let (two_theta, sh_l): (f64, f64) = (25.0, 0.02);
        let t0 = two_theta.to_radians();
        let phi_min = (t0.cos() * (1.0 + sh_l * sh_l).sqrt()).acos();
        let n = 1_000_000;
        let step = (t0 - phi_min) / n as f64;
        let (mut w_sum, mut m_sum) = (0.0, 0.0);
        for i in 0..n {
            let phi = phi_min + (i as f64 + 0.5) * step;
            let h = ((phi.cos() / t0.cos()).powi(2) - 1.0).sqrt();
            let w = (sh_l - h) / (h * phi.cos());
            w_sum += w;
            m_sum += w * (t0 - phi).to_degrees();
        }
        let direct = m_sum / w_sum;
        let nodes = asymmetry_nodes(two_theta, sh_l, 0.01);
        let quad: f64 = nodes.iter().map(|(o, w)| o * w).sum();
        assert!((quad / direct - 1.0).abs() < 2e-3, "{quad} vs {direct}");
    }

    #[test]
    fn tail_nodes_agree_with_the_full_quadrature() {
        for (two_theta, fwhm, sh_l, eta) in [
            (12.0, 0.05, 0.05, 0.3),
            (25.0, 0.08, 0.03, 0.7),
            (40.0, 0.04, 0.04, 1.0),
            (150.0, 0.1, 0.05, 0.5),
        ] {
            let shape = PeakShape {
                fwhm_deg: fwhm,
                eta,
                sh_l,
            };
            let nodes = Asymmetry::new(two_theta, sh_l, fwhm);
            assert!(nodes.far.len() < nodes.near.len(), "{two_theta}");
            let peak = profile(0.0, &shape, &nodes.near);
            let mut tail_points = 0;
            let mut worst: f64 = 0.0;
            for i in -3000..=3000 {
                let dx = i as f64 * fwhm / 100.0;
                let split = nodes.profile(dx, &shape);
                let derivatives = nodes.profile_derivatives(dx, &shape);
                assert_eq!(derivatives.value, split);
                let full = profile(dx, &shape, &nodes.near);
                worst = worst.max((split - full).abs() / peak);
                tail_points += usize::from(dx.abs() > nodes.far_from);
            }
            assert!(worst < 2e-7, "2θ {two_theta}: {worst:e} of the peak");
            // The tails are a third (a wide divergence range) to most of ±30 FWHM.
            assert!(
                tail_points > 1500,
                "2θ {two_theta}: {tail_points} tail points"
            );
        }
    }

    #[test]
    fn the_adaptive_order_matches_the_highest_order() {
        // For each angle and width the chosen order gives the 24-point profile to 2e-4
        // of its maximum.
        for (two_theta, fwhm) in [
            (15.0, 0.05),
            (25.0, 0.08),
            (40.0, 0.1),
            (60.0, 0.2),
            (120.0, 0.3),
        ] {
            let sh_l: f64 = 0.03;
            let t0 = f64::min(two_theta, 180.0 - two_theta).to_radians();
            let range = t0 - (t0.cos() * (1.0 + sh_l * sh_l).sqrt()).acos();
            let shape = PeakShape {
                fwhm_deg: fwhm,
                eta: 0.5,
                sh_l,
            };
            let chosen = Nodes::new(&asymmetry_nodes(two_theta, sh_l, fwhm));
            let best = Nodes::new(&divergence_nodes(
                t0,
                range,
                sh_l,
                two_theta > 90.0,
                ORDERS.len() - 1,
            ));
            let peak = profile(0.0, &shape, &best);
            for i in -300..=300 {
                let dx = i as f64 * fwhm / 50.0;
                let diff = profile(dx, &shape, &chosen) - profile(dx, &shape, &best);
                assert!(
                    diff.abs() < 2e-4 * peak,
                    "2θ {two_theta}, n = {}: {diff} at {dx}",
                    chosen.len()
                );
            }
        }
    }

    #[test]
    fn sample_broadening_follows_scherrer_and_strain_by_hand() {
        // Cu Kα1 at 2θ = 60°: a 0.1 µm = 1000 Å crystallite broadens by
        // λ/(L cosθ) = 1.5406/(1000 · 0.8660254) rad, and a strain of 10⁻³ by
        // ε tanθ = 10⁻³ · 0.5773503 rad (FWHM in 2θ), here in centidegrees.
        let centideg = 18_000.0 / std::f64::consts::PI;
        let sample = SampleBroadening {
            size_um: 0.1,
            microstrain: 1000.0,
            ..SampleBroadening::default()
        };
        let (size, strain) = sample.fwhm(1.5406, 60.0);
        assert!((size - 1.5406 / (1000.0 * 0.866_025_403_8) * centideg).abs() < 1e-8);
        assert!((strain - 1e-3 * 0.577_350_269_2 * centideg).abs() < 1e-8);
        // Lorentzian mixes put everything in the Lorentzian width ...
        let (variance, lorentz) = sample.widths(1.5406, 60.0);
        assert_eq!(variance, 0.0);
        assert!((lorentz - (size + strain)).abs() < 1e-12);
        // ... Gaussian ones add the FWHMs in quadrature as a variance.
        let gaussian = SampleBroadening {
            size_mix: 0.0,
            strain_mix: 0.0,
            ..sample
        };
        let (variance, lorentz) = gaussian.widths(1.5406, 60.0);
        assert_eq!(lorentz, 0.0);
        assert!((variance * 8.0 * LN2 - (size * size + strain * strain)).abs() < 1e-10);
        // No broadening by default.
        assert_eq!(SampleBroadening::default().widths(1.5406, 60.0), (0.0, 0.0));
        // A pure Lorentzian size term on a sharp Gaussian instrument: the peak's FWHM
        // approaches Γ_size.
        let mut inst = Instrument::monochromatic(1.5406);
        (inst.u, inst.v, inst.w, inst.x, inst.y, inst.z) = (0.0, 0.0, 1e-4, 0.0, 0.0, 0.0);
        let shape = peak_shape(&inst, &sample, 1.5406, 60.0);
        let only_size = SampleBroadening {
            microstrain: 0.0,
            ..sample
        };
        let narrow = peak_shape(&inst, &only_size, 1.5406, 60.0);
        assert!(
            (narrow.fwhm_deg * 100.0 / size - 1.0).abs() < 1e-3,
            "{narrow:?}"
        );
        assert!(narrow.eta > 0.999 && shape.fwhm_deg > narrow.fwhm_deg);
    }
}
