//! Ground states, stick spectra and broadened spectra of a compiled model.

use xas_core::convolve::{Kernel, broaden_sticks, gaussian_broaden};

use crate::error::{Error, Result};
use crate::model::{CompiledModel, SectorKind};
use crate::operator::{Csr, Operator};
use crate::params::ClusterParams;
use crate::solve::{DenseSolver, Eigen, lanczos_poles};

/// Boltzmann constant (eV/K), CODATA 2018.
pub const BOLTZMANN_EV_PER_K: f64 = 8.617_333_262e-5;

/// Which initial states contribute, with which weights.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct InitialStates {
    /// Temperature (K). At 0 the states within `degeneracy_tol_ev` of the lowest are
    /// averaged with equal weights; above 0 the lowest `max_states` states are
    /// Boltzmann-weighted.
    pub temperature_k: f64,
    /// Number of lowest states considered at `temperature_k > 0` (default 10).
    pub max_states: usize,
    /// States this close to the lowest (eV) form the T = 0 manifold (default 1e-5).
    pub degeneracy_tol_ev: f64,
    /// At T = 0, use the first state of the ground manifold instead of averaging all of
    /// them (default false): `n` times faster for an `n`-fold manifold.
    ///
    /// Exact when the manifold is one irreducible representation of the Hamiltonian's
    /// symmetry group and the spectrum is rotation invariant (isotropic XAS, XPS summed
    /// over all core spin-orbitals): the summed transition operator `Σ_k O_k† δ(ω - H)
    /// O_k` then commutes with every symmetry operation, so by Schur's lemma its
    /// expectation value is the same in every state of the manifold. The ³A₂g ground
    /// state of octahedral Ni²⁺ (a T₂ triplet of the double group with spin-orbit
    /// coupling) is such a manifold. An accidental degeneracy is not; polarised XAS is
    /// refused.
    pub irreducible_ground: bool,
}

impl Default for InitialStates {
    fn default() -> Self {
        InitialStates {
            temperature_k: 0.0,
            max_states: 10,
            degeneracy_tol_ev: 1e-5,
            irreducible_ground: false,
        }
    }
}

impl InitialStates {
    fn validate(&self) -> Result<()> {
        if !(self.temperature_k >= 0.0 && self.temperature_k.is_finite()) {
            return Err(Error::param("temperature_k", "must be finite and >= 0"));
        }
        if self.max_states == 0 {
            return Err(Error::param("max_states", "must be at least 1"));
        }
        if self.degeneracy_tol_ev.is_nan() || self.degeneracy_tol_ev < 0.0 {
            return Err(Error::param("degeneracy_tol_ev", "must be >= 0"));
        }
        if self.irreducible_ground && self.temperature_k != 0.0 {
            return Err(Error::param(
                "irreducible_ground",
                "applies to the T = 0 ground manifold only",
            ));
        }
        Ok(())
    }

    /// Errors when one state stands for the ground manifold but the spectrum is not
    /// rotation invariant.
    fn check_polarization(&self, polarization: Polarization) -> Result<()> {
        if self.irreducible_ground && polarization != Polarization::Isotropic {
            return Err(Error::param(
                "irreducible_ground",
                "needs a rotation-invariant (isotropic) spectrum",
            ));
        }
        Ok(())
    }

    /// `(index, weight)` of the contributing eigenstates (weights sum to 1).
    fn select(&self, energies: &[f64]) -> Vec<(usize, f64)> {
        let e0 = energies[0];
        if self.irreducible_ground {
            return vec![(0, 1.0)];
        }
        if self.temperature_k == 0.0 {
            let n = energies
                .iter()
                .take_while(|&&e| e - e0 <= self.degeneracy_tol_ev)
                .count();
            return (0..n).map(|i| (i, 1.0 / n as f64)).collect();
        }
        let kt = BOLTZMANN_EV_PER_K * self.temperature_k;
        let n = self.max_states.min(energies.len());
        let w: Vec<f64> = energies[..n]
            .iter()
            .map(|e| (-(e - e0) / kt).exp())
            .collect();
        let z: f64 = w.iter().sum();
        w.into_iter().enumerate().map(|(i, x)| (i, x / z)).collect()
    }
}

/// Polarisation of the incident X-rays for XAS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Polarization {
    /// Average over x, y, z.
    Isotropic,
    /// Linear along x.
    X,
    /// Linear along y.
    Y,
    /// Linear along z.
    Z,
    /// Circular, helicity +1 (`q = +1`, raises `m`).
    Left,
    /// Circular, helicity -1 (`q = -1`).
    Right,
    /// X-ray magnetic circular dichroism, `Left - Right` (signed weights).
    Xmcd,
}

/// A stick spectrum: transition energies (eV) and weights.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sticks {
    /// `E_f - E_i` (eV).
    pub energy_ev: Vec<f64>,
    /// Weights (initial-state probability times squared matrix element).
    pub weight: Vec<f64>,
}

impl Sticks {
    /// Total weight.
    pub fn total(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// Sticks within `tol_ev` of the lowest of a group merged into one at their
    /// (|weight|-weighted) mean energy, sorted by energy, and merged sticks with
    /// `|weight| <= min_weight` dropped (degenerate initial states give many sticks at
    /// one energy; merging them makes broadening cheaper and changes nothing visible).
    /// The sticks may come in any order.
    pub fn merged(&self, tol_ev: f64, min_weight: f64) -> Sticks {
        // In the order of `sorted`, so that the recursion ends even with NaN energies.
        if !self.energy_ev.is_sorted_by(|a, b| a.total_cmp(b).is_le()) {
            return self.clone().sorted().merged(tol_ev, min_weight);
        }
        let mut out = Sticks::default();
        let n = self.energy_ev.len();
        let mut k = 0;
        while k < n {
            let start = self.energy_ev[k];
            // The group always takes its first stick (a NaN energy compares false).
            let end = k
                + 1
                + self.energy_ev[k + 1..]
                    .iter()
                    .take_while(|&&e| e - start <= tol_ev)
                    .count();
            // Energy weighted by |w|, so that signed (XMCD) weights cannot cancel it.
            let (mut ew, mut aw, mut w) = (0.0, 0.0, 0.0);
            for (e, wk) in self.energy_ev[k..end].iter().zip(&self.weight[k..end]) {
                ew += e * wk.abs();
                aw += wk.abs();
                w += wk;
            }
            k = end;
            if w.abs() > min_weight {
                out.energy_ev.push(if aw > 0.0 { ew / aw } else { start });
                out.weight.push(w);
            }
        }
        out
    }

    /// The spectrum on `grid_ev`: Lorentzian lifetime broadening (optionally wider
    /// above a split energy, for L2) followed by Gaussian resolution (see
    /// [`Broadening`]). Intensities are per eV (each stick keeps its area).
    ///
    /// # Errors
    /// Invalid widths or grid (named).
    pub fn broaden(&self, grid_ev: &[f64], broadening: &Broadening) -> Result<Vec<f64>> {
        broadening.validate()?;
        let (n, n_w) = (self.energy_ev.len(), self.weight.len());
        if n != n_w {
            return Err(Error::param(
                "weight",
                format!("{n_w} weights for {n} energies"),
            ));
        }
        let lorentz = |e: &[f64], w: &[f64], hwhm_ev: f64| {
            broaden_sticks(e, w, grid_ev, Kernel::Lorentzian { hwhm_ev })
        };
        let mut y = match (broadening.l2_hwhm_ev, broadening.l2_split_ev) {
            (Some(l2), Some(split)) => {
                // By value, not by position: the sticks may come in any order.
                let (mut low, mut high) = (Sticks::default(), Sticks::default());
                for (&e, &w) in self.energy_ev.iter().zip(&self.weight) {
                    let side = if e < split { &mut low } else { &mut high };
                    side.energy_ev.push(e);
                    side.weight.push(w);
                }
                let low = lorentz(&low.energy_ev, &low.weight, broadening.hwhm_ev)?;
                let high = lorentz(&high.energy_ev, &high.weight, l2)?;
                low.iter().zip(&high).map(|(a, b)| a + b).collect()
            }
            _ => lorentz(&self.energy_ev, &self.weight, broadening.hwhm_ev)?,
        };
        if broadening.gauss_fwhm_ev > 0.0 {
            y = gaussian_broaden(grid_ev, &y, broadening.gauss_fwhm_ev)?;
        }
        Ok(y)
    }

    /// The broadened spectrum as an [`xas_core::Spectrum`] on `grid_ev` (see
    /// [`Sticks::broaden`]), labelled `label`.
    ///
    /// # Errors
    /// As [`Sticks::broaden`].
    pub fn to_spectrum(
        &self,
        grid_ev: &[f64],
        broadening: &Broadening,
        label: &str,
    ) -> Result<xas_core::Spectrum> {
        let y = self.broaden(grid_ev, broadening)?;
        let mut s = xas_core::Spectrum::new(grid_ev.to_vec(), y)?;
        s.meta.label = Some(label.to_string());
        s.meta.history.push(format!(
            "cluster-model: {} sticks, Lorentzian HWHM {} eV, Gaussian FWHM {} eV",
            self.energy_ev.len(),
            broadening.hwhm_ev,
            broadening.gauss_fwhm_ev
        ));
        Ok(s)
    }

    /// Sorted by energy.
    fn sorted(mut self) -> Self {
        let mut idx: Vec<usize> = (0..self.energy_ev.len()).collect();
        idx.sort_by(|&a, &b| self.energy_ev[a].total_cmp(&self.energy_ev[b]));
        self.energy_ev = idx.iter().map(|&i| self.energy_ev[i]).collect();
        self.weight = idx.iter().map(|&i| self.weight[i]).collect();
        self
    }
}

/// Start vectors of one block with their `(weight, energy shift)`.
type BlockStarts = (Vec<Vec<f64>>, Vec<(f64, f64)>);

/// Line broadening of a stick spectrum.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Broadening {
    /// Lorentzian half width at half maximum (eV), core-hole lifetime (L3 when split).
    pub hwhm_ev: f64,
    /// Lorentzian HWHM (eV) above `l2_split_ev` (the L2 edge), if different.
    pub l2_hwhm_ev: Option<f64>,
    /// Energy (eV) separating the L3 and L2 regions.
    pub l2_split_ev: Option<f64>,
    /// Gaussian resolution, full width at half maximum (eV); 0 for none.
    pub gauss_fwhm_ev: f64,
}

impl Broadening {
    /// Lorentzian only.
    pub fn lorentzian(hwhm_ev: f64) -> Self {
        Broadening {
            hwhm_ev,
            l2_hwhm_ev: None,
            l2_split_ev: None,
            gauss_fwhm_ev: 0.0,
        }
    }

    /// Checks the widths (also done by [`Sticks::broaden`]), so that callers can reject
    /// bad settings before an expensive calculation.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if !(self.hwhm_ev.is_finite() && self.hwhm_ev > 0.0) {
            return Err(Error::param(
                "hwhm_ev",
                format!("must be > 0, got {}", self.hwhm_ev),
            ));
        }
        if self.l2_hwhm_ev.is_some_and(|w| !(w.is_finite() && w > 0.0)) {
            return Err(Error::param("l2_hwhm_ev", "must be > 0"));
        }
        if self.l2_split_ev.is_some_and(|e| !e.is_finite()) {
            return Err(Error::param("l2_split_ev", "must be finite"));
        }
        if self.l2_hwhm_ev.is_some() != self.l2_split_ev.is_some() {
            return Err(Error::param(
                "l2_split_ev",
                "give both l2_hwhm_ev and l2_split_ev, or neither",
            ));
        }
        if !(self.gauss_fwhm_ev.is_finite() && self.gauss_fwhm_ev >= 0.0) {
            return Err(Error::param("gauss_fwhm_ev", "must be >= 0"));
        }
        Ok(())
    }
}

/// Ground-state properties.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroundState {
    /// Lowest eigenvalues of the initial Hamiltonian (eV, up to 10).
    pub lowest_energies_ev: Vec<f64>,
    /// Contributing states: `(energy in eV, weight)`.
    pub states: Vec<(f64, f64)>,
    /// Weighted `<n_d>`.
    pub n_d: f64,
    /// Weights of the configurations by 3d count: `(n_d, weight)`.
    pub configuration_weights: Vec<(usize, f64)>,
    /// Weighted `<S^2>` of all electrons.
    pub s_squared: f64,
    /// `S` from `S (S + 1) = <S^2>`.
    pub spin: f64,
}

/// Evaluates spectra of one model structure for many parameter values, reusing all
/// matrices and workspaces.
pub struct Calculator {
    model: CompiledModel,
    key: (usize, Option<usize>),
    /// One workspace per sector, indexed by `SectorKind as usize`.
    solvers: [DenseSolver; 3],
    values: Vec<f64>,
    /// `S_+` of all electrons on the initial sector (`<S_- S_+> = |S_+ v|^2`).
    s_plus: Csr,
    s_z: Vec<f64>,
}

fn structure_key(p: &ClusterParams) -> (usize, Option<usize>) {
    (p.n_d, p.charge_transfer.map(|c| c.max_ligand_holes))
}

impl Calculator {
    /// Compiles the model for the structure of `params` (see [`CompiledModel::new`]).
    ///
    /// # Errors
    /// As [`ClusterParams::validate`].
    pub fn new(params: &ClusterParams) -> Result<Self> {
        let model = CompiledModel::new(params)?;
        let initial = &model.initial.sector;
        let n_orb = model.layout.p.offset + 6;
        // S_+ = sum_k c_(k up)^dagger c_(k down) (spin up on even orbitals).
        let s_plus = Operator {
            one_body: (0..n_orb / 2).map(|k| (2 * k, 2 * k + 1, 1.0)).collect(),
            ..Operator::default()
        };
        let s_plus = Csr::from_sorted_triplets(
            initial.dim(),
            initial.dim(),
            &s_plus.triplets(initial, initial),
        );
        let s_z = initial
            .dets()
            .iter()
            .map(|&d| {
                let up = (0..n_orb).step_by(2).filter(|&i| d >> i & 1 == 1).count() as f64;
                let down = (1..n_orb).step_by(2).filter(|&i| d >> i & 1 == 1).count() as f64;
                0.5 * (up - down)
            })
            .collect();
        Ok(Calculator {
            solvers: [
                SectorKind::Initial,
                SectorKind::XasFinal,
                SectorKind::XpsFinal,
            ]
            .map(|kind| {
                model
                    .sector(kind)
                    .reversed_indices(&model.layout)
                    .map_or_else(DenseSolver::new, DenseSolver::with_mirror)
            }),
            key: structure_key(params),
            s_plus,
            s_z,
            values: Vec::new(),
            model,
        })
    }

    /// The compiled model.
    pub fn model(&self) -> &CompiledModel {
        &self.model
    }

    fn check(&self, params: &ClusterParams) -> Result<()> {
        params.validate()?;
        if structure_key(params) != self.key {
            return Err(Error::param(
                "params",
                "n_d or the charge-transfer structure differs from the compiled model; build a new Calculator",
            ));
        }
        Ok(())
    }

    /// Diagonalises sector `kind` densely.
    ///
    /// # Errors
    /// Invalid parameters, or a failing eigensolver.
    pub fn diagonalize(&mut self, kind: SectorKind, params: &ClusterParams) -> Result<Eigen> {
        self.check(params)?;
        self.diagonalize_checked(kind, params)
    }

    /// [`Calculator::diagonalize`] for parameters already checked.
    fn diagonalize_checked(&mut self, kind: SectorKind, params: &ClusterParams) -> Result<Eigen> {
        let (coefficients, constant) = self.model.coefficients(kind, params);
        let sector = self.model.sector(kind);
        sector.matrices.assemble(&coefficients, &mut self.values);
        self.solvers[kind as usize].solve(&sector.matrices, &self.values, constant)
    }

    /// The start of every evaluation: checks `states` and `params` (once), diagonalises
    /// the initial sector and selects the contributing states `(index, weight)`.
    fn initial_states(
        &mut self,
        params: &ClusterParams,
        states: &InitialStates,
    ) -> Result<(Eigen, Vec<(usize, f64)>)> {
        states.validate()?;
        self.check(params)?;
        let eig = self.diagonalize_checked(SectorKind::Initial, params)?;
        let sel = states.select(&eig.values);
        Ok((eig, sel))
    }

    /// Ground-state properties for `params` and the initial-state choice `states`.
    ///
    /// # Errors
    /// As [`Calculator::diagonalize`].
    pub fn ground_state(
        &mut self,
        params: &ClusterParams,
        states: &InitialStates,
    ) -> Result<GroundState> {
        let (eig, sel) = self.initial_states(params, states)?;
        Ok(self.ground_properties(&eig, &sel))
    }

    fn ground_properties(&self, eig: &Eigen, sel: &[(usize, f64)]) -> GroundState {
        let sector = &self.model.initial.sector;
        let mut config = std::collections::BTreeMap::new();
        let mut s2 = 0.0;
        let dim = eig.dim;
        let mut s_plus_v = vec![0.0; dim];
        for &(i, w) in sel {
            let v = &eig.vector(i);
            for (&d, c) in sector.dets().iter().zip(v) {
                *config.entry(sector.count(d, 0)).or_insert(0.0) += w * c * c;
            }
            // S^2 = S- S+ + Sz^2 + Sz, and <v|S- S+|v> = |S+ v|^2.
            self.s_plus.matvec(v, &mut s_plus_v);
            let sz: f64 = v
                .iter()
                .zip(&self.s_z)
                .map(|(c, z)| c * c * (z * z + z))
                .sum();
            s2 += w * (s_plus_v.iter().map(|a| a * a).sum::<f64>() + sz);
        }
        let configuration_weights: Vec<(usize, f64)> = config.into_iter().collect();
        GroundState {
            lowest_energies_ev: eig.values.iter().take(10).copied().collect(),
            states: sel.iter().map(|&(i, w)| (eig.values[i], w)).collect(),
            n_d: configuration_weights
                .iter()
                .map(|&(n, w)| n as f64 * w)
                .sum(),
            configuration_weights,
            s_squared: s2,
            spin: 0.5 * ((1.0 + 4.0 * s2.max(0.0)).sqrt() - 1.0),
        }
    }

    /// XAS stick spectrum (exact: dense diagonalisation of the final states).
    ///
    /// # Errors
    /// As [`Calculator::diagonalize`].
    pub fn xas_sticks(
        &mut self,
        params: &ClusterParams,
        polarization: Polarization,
        states: &InitialStates,
    ) -> Result<Sticks> {
        states.check_polarization(polarization)?;
        self.dense_sticks(
            SectorKind::XasFinal,
            params,
            states,
            |model| &model.dipole[..],
            |a| {
                let [am, a0, ap] = [a[0], a[1], a[2]];
                match polarization {
                    Polarization::Isotropic => (am * am + a0 * a0 + ap * ap) / 3.0,
                    Polarization::X => 0.5 * (am - ap).powi(2),
                    Polarization::Y => 0.5 * (am + ap).powi(2),
                    Polarization::Z => a0 * a0,
                    Polarization::Left => ap * ap,
                    Polarization::Right => am * am,
                    Polarization::Xmcd => ap * ap - am * am,
                }
            },
        )
    }

    /// XPS stick spectrum in the sudden approximation, `sum_j |<f|c_j|g>|^2` over the
    /// six 2p spin-orbitals (exact: dense diagonalisation of the final states).
    ///
    /// # Errors
    /// As [`Calculator::diagonalize`].
    pub fn xps_sticks(&mut self, params: &ClusterParams, states: &InitialStates) -> Result<Sticks> {
        self.dense_sticks(
            SectorKind::XpsFinal,
            params,
            states,
            |model| &model.core_annihilators[..],
            |a| a.iter().map(|x| x.powi(2)).sum(),
        )
    }

    /// Shared dense route: the final sector `kind` is diagonalised, and every final
    /// state `f` of every contributing initial state `g` gives a stick of weight
    /// `intensity(<f|O_k|g> for the operators O_k of ops(model))` (zeros dropped).
    fn dense_sticks(
        &mut self,
        kind: SectorKind,
        params: &ClusterParams,
        states: &InitialStates,
        ops: impl Fn(&CompiledModel) -> &[Csr],
        intensity: impl Fn(&[f64]) -> f64,
    ) -> Result<Sticks> {
        let (initial, sel) = self.initial_states(params, states)?;
        let fin = self.diagonalize_checked(kind, params)?;
        let ops = ops(&self.model);
        // Transition vectors O_k|g> of every contributing state, state-major.
        let t: Vec<Vec<f64>> = sel
            .iter()
            .flat_map(|&(i, _)| {
                let g = initial.vector(i);
                ops.iter()
                    .map(|op| {
                        let mut out = vec![0.0; fin.dim];
                        op.matvec(&g, &mut out);
                        out
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let xs: Vec<&[f64]> = t.iter().map(Vec::as_slice).collect();
        let projections: Vec<Vec<f64>> = fin.blocks.iter().map(|b| b.projections(&xs)).collect();
        let (m, n_ops) = (xs.len(), ops.len());
        let mut sticks = Sticks::default();
        for (s, &(i, w)) in sel.iter().enumerate() {
            for (block, p) in fin.blocks.iter().zip(&projections) {
                for (f, e_f) in block.values.iter().enumerate() {
                    let value = intensity(&p[f * m + s * n_ops..f * m + (s + 1) * n_ops]);
                    if value != 0.0 {
                        sticks.energy_ev.push(e_f - initial.values[i]);
                        sticks.weight.push(w * value);
                    }
                }
            }
        }
        Ok(sticks.sorted())
    }

    /// XAS sticks from Lanczos poles (see [`lanczos_poles`]) instead of a dense
    /// diagonalisation of the final states: the route for final-state sectors too large
    /// for dense solvers. With `steps` at least the Krylov dimension (about 120 for
    /// the NiO cluster) the result is exact; fewer steps keep the first `2 steps`
    /// spectral moments exact.
    ///
    /// # Errors
    /// As [`Calculator::diagonalize`].
    pub fn xas_sticks_lanczos(
        &mut self,
        params: &ClusterParams,
        polarization: Polarization,
        states: &InitialStates,
        steps: usize,
    ) -> Result<Sticks> {
        states.check_polarization(polarization)?;
        let r = std::f64::consts::FRAC_1_SQRT_2;
        // (coefficients of T_-1, T_0, T_+1; weight) per start vector.
        let combos: Vec<([f64; 3], f64)> = match polarization {
            Polarization::Isotropic => vec![
                ([1.0, 0.0, 0.0], 1.0 / 3.0),
                ([0.0, 1.0, 0.0], 1.0 / 3.0),
                ([0.0, 0.0, 1.0], 1.0 / 3.0),
            ],
            Polarization::X => vec![([r, 0.0, -r], 1.0)],
            Polarization::Y => vec![([r, 0.0, r], 1.0)],
            Polarization::Z => vec![([0.0, 1.0, 0.0], 1.0)],
            Polarization::Left => vec![([0.0, 0.0, 1.0], 1.0)],
            Polarization::Right => vec![([1.0, 0.0, 0.0], 1.0)],
            Polarization::Xmcd => vec![([0.0, 0.0, 1.0], 1.0), ([1.0, 0.0, 0.0], -1.0)],
        };
        self.lanczos_sticks(SectorKind::XasFinal, params, states, steps, |model, g| {
            let n_f = model.xas_final.sector.dim();
            let t: Vec<Vec<f64>> = model
                .dipole
                .iter()
                .map(|d| {
                    let mut out = vec![0.0; n_f];
                    d.matvec(g, &mut out);
                    out
                })
                .collect();
            combos
                .iter()
                .map(|(c, w)| {
                    (
                        (0..n_f)
                            .map(|i| c[0] * t[0][i] + c[1] * t[1][i] + c[2] * t[2][i])
                            .collect(),
                        *w,
                    )
                })
                .collect()
        })
    }

    /// XPS sticks from Lanczos poles started at `c_j |g>` for the six 2p spin-orbitals
    /// (see [`Calculator::xas_sticks_lanczos`] for accuracy).
    ///
    /// # Errors
    /// As [`Calculator::diagonalize`].
    pub fn xps_sticks_lanczos(
        &mut self,
        params: &ClusterParams,
        states: &InitialStates,
        steps: usize,
    ) -> Result<Sticks> {
        self.lanczos_sticks(SectorKind::XpsFinal, params, states, steps, |model, g| {
            let n_f = model.xps_final.sector.dim();
            model
                .core_annihilators
                .iter()
                .map(|c| {
                    let mut out = vec![0.0; n_f];
                    c.matvec(g, &mut out);
                    (out, 1.0)
                })
                .collect()
        })
    }

    /// Shared Lanczos route: `starts(model, g)` gives the weighted start vectors for an
    /// initial state `g`; all start vectors of all initial states run in lockstep.
    fn lanczos_sticks(
        &mut self,
        kind: SectorKind,
        params: &ClusterParams,
        states: &InitialStates,
        steps: usize,
        starts: impl Fn(&CompiledModel, &[f64]) -> Vec<(Vec<f64>, f64)>,
    ) -> Result<Sticks> {
        if steps == 0 {
            return Err(Error::param("steps", "must be at least 1"));
        }
        let (initial, sel) = self.initial_states(params, states)?;
        let (coefficients, constant) = self.model.coefficients(kind, params);
        let sector = self.model.sector(kind);
        sector.matrices.assemble(&coefficients, &mut self.values);
        // Split every start vector over the diagonal blocks of H (invariant subspaces):
        // the spectrum is the sum over the pieces, and each block runs its own
        // lockstep Lanczos on a matrix a fraction of the size.
        let components = sector.matrices.components(&self.values);
        let blocks = sector.matrices.blocks(&self.values, &components);
        let mut pieces: Vec<BlockStarts> = vec![(Vec::new(), Vec::new()); blocks.len()];
        for &(i, w) in &sel {
            for (v, weight) in starts(&self.model, &initial.vector(i)) {
                for (b, indices) in components.iter().enumerate() {
                    let piece: Vec<f64> = indices.iter().map(|&k| v[k]).collect();
                    if piece.iter().any(|&x| x != 0.0) {
                        pieces[b].0.push(piece);
                        pieces[b].1.push((w * weight, constant - initial.values[i]));
                    }
                }
            }
        }
        let mut sticks = Sticks::default();
        for (block, (vectors, meta)) in blocks.iter().zip(&pieces) {
            if vectors.is_empty() {
                continue;
            }
            let poles = lanczos_poles(vectors, steps, |x, y, nv| block.matvec_multi(x, y, nv))?;
            for (p, &(w, shift)) in poles.iter().zip(meta) {
                for &(e, z) in p {
                    sticks.energy_ev.push(e + shift);
                    sticks.weight.push(w * z);
                }
            }
        }
        Ok(sticks.sorted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sticks(pairs: &[(f64, f64)]) -> Sticks {
        Sticks {
            energy_ev: pairs.iter().map(|p| p.0).collect(),
            weight: pairs.iter().map(|p| p.1).collect(),
        }
    }

    #[test]
    fn merging_does_not_depend_on_the_order_of_the_sticks() {
        let sorted = sticks(&[(1.0, 1.0), (1.0 + 1e-9, 3.0), (2.0, 0.5), (3.0, 1e-12)]);
        let shuffled = sticks(&[(2.0, 0.5), (1.0 + 1e-9, 3.0), (3.0, 1e-12), (1.0, 1.0)]);
        let expect = sticks(&[(1.0 + 0.75e-9, 4.0), (2.0, 0.5)]);
        for s in [&sorted, &shuffled] {
            let m = s.merged(1e-6, 1e-9);
            assert_eq!(m.weight, expect.weight);
            for (a, b) in m.energy_ev.iter().zip(&expect.energy_ev) {
                assert!((a - b).abs() < 1e-15, "{m:?}");
            }
        }
        // NaN energies neither loop nor panic.
        let with_nan = sticks(&[(f64::NAN, 1.0), (1.0, 1.0)]);
        assert_eq!(with_nan.merged(1e-6, 0.0).weight.len(), 2);
    }

    #[test]
    fn l3_and_l2_widths_go_by_energy_not_by_position() {
        let grid: Vec<f64> = (0..400).map(|i| 840.0 + 0.1 * i as f64).collect();
        let b = Broadening {
            hwhm_ev: 0.2,
            l2_hwhm_ev: Some(0.6),
            l2_split_ev: Some(860.0),
            gauss_fwhm_ev: 0.0,
        };
        let sorted = sticks(&[(850.0, 1.0), (870.0, 1.0)]);
        let reversed = sticks(&[(870.0, 1.0), (850.0, 1.0)]);
        let y = sorted.broaden(&grid, &b).unwrap();
        assert_eq!(reversed.broaden(&grid, &b).unwrap(), y);
        // Peak heights 1 / (pi HWHM) of the L3 (0.2 eV) and L2 (0.6 eV) lines.
        let at = |e: f64| y[((e - 840.0) / 0.1).round() as usize];
        let pi = std::f64::consts::PI;
        assert!((at(850.0) - 1.0 / (pi * 0.2)).abs() < 1e-3, "{}", at(850.0));
        assert!((at(870.0) - 1.0 / (pi * 0.6)).abs() < 1e-3, "{}", at(870.0));
    }

    #[test]
    fn broadening_rejects_bad_widths_by_name() {
        let ok = Broadening::lorentzian(0.3);
        assert!(ok.validate().is_ok());
        let cases = [
            (Broadening::lorentzian(0.0), "hwhm_ev"),
            (
                Broadening {
                    l2_hwhm_ev: Some(0.5),
                    l2_split_ev: Some(f64::NAN),
                    ..ok
                },
                "l2_split_ev",
            ),
            (
                Broadening {
                    l2_hwhm_ev: Some(0.5),
                    ..ok
                },
                "l2_split_ev",
            ),
            (
                Broadening {
                    gauss_fwhm_ev: -1.0,
                    ..ok
                },
                "gauss_fwhm_ev",
            ),
        ];
        for (b, name) in cases {
            let e = b.validate().unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        let mismatched = Sticks {
            energy_ev: vec![1.0, 2.0],
            weight: vec![1.0],
        };
        assert!(mismatched.broaden(&[0.0, 1.0], &ok).is_err());
    }
}
