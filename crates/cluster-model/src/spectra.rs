//! Ground states, stick spectra and broadened spectra of a compiled model.

use crate::error::{Error, Result};
use crate::model::{CompiledModel, SectorKind};
use crate::operator::{Csr, Operator};
use crate::params::ClusterParams;
use crate::solve::{DenseSolver, Eigen, Lanczos};

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
}

impl Default for InitialStates {
    fn default() -> Self {
        InitialStates {
            temperature_k: 0.0,
            max_states: 10,
            degeneracy_tol_ev: 1e-5,
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
        Ok(())
    }

    /// `(index, weight)` of the contributing eigenstates (weights sum to 1).
    fn select(&self, energies: &[f64]) -> Vec<(usize, f64)> {
        let e0 = energies[0];
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

    /// Sorted by energy.
    fn sorted(mut self) -> Self {
        let mut idx: Vec<usize> = (0..self.energy_ev.len()).collect();
        idx.sort_by(|&a, &b| self.energy_ev[a].total_cmp(&self.energy_ev[b]));
        self.energy_ev = idx.iter().map(|&i| self.energy_ev[i]).collect();
        self.weight = idx.iter().map(|&i| self.weight[i]).collect();
        self
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
    /// Weighted `<S^2>` of all electrons, and the spin `S` from `S(S+1) = <S^2>`.
    pub s_squared: f64,
    /// `S` from `S (S + 1) = <S^2>`.
    pub spin: f64,
}

/// Evaluates spectra of one model structure for many parameter values, reusing all
/// matrices and workspaces.
pub struct Calculator {
    model: CompiledModel,
    key: (usize, Option<usize>),
    initial_solver: DenseSolver,
    xas_solver: DenseSolver,
    values: Vec<f64>,
    s_plus: Csr,
    s_minus: Csr,
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
        let spin_op = |raise: bool| {
            let one_body = (0..n_orb / 2)
                .map(|k| {
                    if raise {
                        (2 * k, 2 * k + 1, 1.0)
                    } else {
                        (2 * k + 1, 2 * k, 1.0)
                    }
                })
                .collect();
            let op = Operator {
                one_body,
                ..Operator::default()
            };
            Csr::from_sorted_triplets(initial.dim(), initial.dim(), &op.triplets(initial, initial))
        };
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
            initial_solver: DenseSolver::new(initial.dim()),
            xas_solver: DenseSolver::new(model.xas_final.sector.dim()),
            key: structure_key(params),
            s_plus: spin_op(true),
            s_minus: spin_op(false),
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
        let (coefficients, constant) = self.model.coefficients(kind, params);
        let sector = self.model.sector(kind);
        sector.matrices.assemble(&coefficients, &mut self.values);
        match kind {
            SectorKind::Initial => {
                self.initial_solver
                    .solve(&sector.matrices, &self.values, constant)
            }
            SectorKind::XasFinal => self
                .xas_solver
                .solve(&sector.matrices, &self.values, constant),
            SectorKind::XpsFinal => DenseSolver::new(sector.matrices.dim()).solve(
                &sector.matrices,
                &self.values,
                constant,
            ),
        }
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
        states.validate()?;
        let eig = self.diagonalize(SectorKind::Initial, params)?;
        Ok(self.ground_properties(&eig, states))
    }

    fn ground_properties(&self, eig: &Eigen, states: &InitialStates) -> GroundState {
        let sel = states.select(&eig.values);
        let sector = &self.model.initial.sector;
        let mut config = std::collections::BTreeMap::new();
        let mut s2 = 0.0;
        let dim = eig.dim;
        let (mut tmp, mut out) = (vec![0.0; dim], vec![0.0; dim]);
        for &(i, w) in &sel {
            let v = eig.vector(i);
            for (&d, c) in sector.dets().iter().zip(v) {
                *config.entry(sector.count(d, 0)).or_insert(0.0) += w * c * c;
            }
            // S^2 = S- S+ + Sz^2 + Sz.
            self.s_plus.matvec(v, &mut tmp);
            self.s_minus.matvec(&tmp, &mut out);
            let sz: f64 = v
                .iter()
                .zip(&self.s_z)
                .map(|(c, z)| c * c * (z * z + z))
                .sum();
            s2 += w * (v.iter().zip(&out).map(|(a, b)| a * b).sum::<f64>() + sz);
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
        states.validate()?;
        let initial = self.diagonalize(SectorKind::Initial, params)?;
        let fin = self.diagonalize(SectorKind::XasFinal, params)?;
        let sel = states.select(&initial.values);
        let mut sticks = Sticks::default();
        let n_f = fin.dim;
        let mut t = [vec![0.0; n_f], vec![0.0; n_f], vec![0.0; n_f]];
        for &(i, w) in &sel {
            let g = initial.vector(i);
            for (q, out) in t.iter_mut().enumerate() {
                self.model.dipole[q].matvec(g, out);
            }
            for f in 0..n_f {
                let u = fin.vector(f);
                let a = |q: usize| u.iter().zip(&t[q]).map(|(x, y)| x * y).sum::<f64>();
                let (am, a0, ap) = (a(0), a(1), a(2));
                let intensity = match polarization {
                    Polarization::Isotropic => (am * am + a0 * a0 + ap * ap) / 3.0,
                    Polarization::X => 0.5 * (am - ap).powi(2),
                    Polarization::Y => 0.5 * (am + ap).powi(2),
                    Polarization::Z => a0 * a0,
                    Polarization::Left => ap * ap,
                    Polarization::Right => am * am,
                };
                sticks.energy_ev.push(fin.values[f] - initial.values[i]);
                sticks.weight.push(w * intensity);
            }
        }
        Ok(sticks.sorted())
    }

    /// XPS stick spectrum in the sudden approximation, `sum_j |<f|c_j|g>|^2` over the
    /// six 2p spin-orbitals (exact: dense diagonalisation of the final states).
    ///
    /// # Errors
    /// As [`Calculator::diagonalize`].
    pub fn xps_sticks(&mut self, params: &ClusterParams, states: &InitialStates) -> Result<Sticks> {
        states.validate()?;
        let initial = self.diagonalize(SectorKind::Initial, params)?;
        let fin = self.diagonalize(SectorKind::XpsFinal, params)?;
        let sel = states.select(&initial.values);
        let n_f = fin.dim;
        let mut weight = vec![0.0; n_f * sel.len()];
        let mut t = vec![0.0; n_f];
        for (s, &(i, w)) in sel.iter().enumerate() {
            for c in &self.model.core_annihilators {
                c.matvec(initial.vector(i), &mut t);
                for f in 0..n_f {
                    let a: f64 = fin.vector(f).iter().zip(&t).map(|(x, y)| x * y).sum();
                    weight[s * n_f + f] += w * a * a;
                }
            }
        }
        let energy_ev = sel
            .iter()
            .flat_map(|&(i, _)| {
                let e_i = initial.values[i];
                fin.values.iter().map(move |e| e - e_i)
            })
            .collect();
        Ok(Sticks { energy_ev, weight }.sorted())
    }

    /// XPS spectrum on `grid_ev` (E_f - E_i axis) broadened by a Lorentzian of HWHM
    /// `hwhm_ev`, from Lanczos continued fractions started at `c_j |g>` (`steps`
    /// Lanczos steps each; 200 converge the NiO cluster to 1e-9).
    ///
    /// # Errors
    /// As [`Calculator::diagonalize`]; [`Error::InvalidParameter`] for a width <= 0.
    pub fn xps_lanczos(
        &mut self,
        params: &ClusterParams,
        states: &InitialStates,
        grid_ev: &[f64],
        hwhm_ev: f64,
        steps: usize,
    ) -> Result<Vec<f64>> {
        if hwhm_ev.is_nan() || hwhm_ev <= 0.0 {
            return Err(Error::param("hwhm_ev", "must be > 0"));
        }
        states.validate()?;
        let initial = self.diagonalize(SectorKind::Initial, params)?;
        let sel = states.select(&initial.values);
        let (coefficients, constant) = self.model.coefficients(SectorKind::XpsFinal, params);
        let sector = &self.model.xps_final;
        let mut values = Vec::new();
        sector.matrices.assemble(&coefficients, &mut values);
        let mut out = vec![0.0; grid_ev.len()];
        let mut start = vec![0.0; sector.matrices.dim()];
        for &(i, w) in &sel {
            let shift = constant - initial.values[i];
            for c in &self.model.core_annihilators {
                c.matvec(initial.vector(i), &mut start);
                let l = Lanczos::run(&start, steps, |x, y| sector.matrices.matvec(&values, x, y));
                for (o, &e) in out.iter_mut().zip(grid_ev) {
                    *o += w * l.spectral_function(e - shift, hwhm_ev);
                }
            }
        }
        Ok(out)
    }
}
