//! A cluster model compiled for repeated evaluation: Fock sectors, the matrices of
//! every Hamiltonian term and the transition operators, built once; evaluations only
//! assemble `H(theta) = sum_k theta_k H_k` and diagonalise.

use crate::coulomb::{AtomShell, direct_between, direct_within, exchange_between};
use crate::error::{Error, Result};
use crate::fock::{Sector, ShellRange};
use crate::operator::{Csr, Operator, TermMatrices};
use crate::orbitals::{
    L_D, L_P, d4h_ds, d4h_dt, eg_projector, identity, n_spin_orbitals, oh_crystal_field,
    orbital_moment, so_index, so_quantum_numbers, spin_moment, spin_orbit, t2g_projector,
};
use crate::params::{AtomicValues, ClusterParams, OnSite};
use crate::wigner::gaunt;

/// Largest Fock sector compiled (term matrices of bigger sectors take gigabytes and
/// minutes to build; d^n ions with n <= 5 reach it with two ligand holes).
pub const MAX_SECTOR_DIM: usize = 30_000;

/// The Hamiltonian terms; each enters linearly with one coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// `F^0_dd` (unit Slater integral).
    F0dd,
    /// `F^2_dd`.
    F2dd,
    /// `F^4_dd`.
    F4dd,
    /// 3d spin-orbit `l.s`.
    Zeta3d,
    /// Octahedral crystal field per unit 10Dq.
    TenDq,
    /// Tetragonal Ds.
    Ds,
    /// Tetragonal Dt.
    Dt,
    /// 3d number operator.
    Nd,
    /// Ligand number operator.
    Nl,
    /// Ligand octahedral splitting per unit 10Dq_L.
    TenDqL,
    /// eg hopping `sum (d^dagger L + h.c.)`.
    Veg,
    /// t2g hopping.
    Vt2g,
    /// `2 S_x` of the 3d shell.
    SpinX,
    /// `2 S_z` of the 3d shell.
    SpinZ,
    /// `L_x` of the 3d shell.
    OrbX,
    /// `L_z` of the 3d shell.
    OrbZ,
    /// `F^0_pd` (core-hole states).
    F0pd,
    /// `F^2_pd`.
    F2pd,
    /// `G^1_pd`.
    G1pd,
    /// `G^3_pd`.
    G3pd,
    /// 2p spin-orbit `l.s`.
    Zeta2p,
}

/// The three sectors of a 2p spectroscopy calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectorKind {
    /// Ground configuration `2p^6 3d^n` (plus charge-transfer configurations).
    Initial,
    /// XAS final states `2p^5 3d^(n+1)`.
    XasFinal,
    /// XPS final states `2p^5 3d^n`.
    XpsFinal,
}

/// The matrices of one sector.
#[derive(Debug, Clone)]
pub struct CompiledSector {
    /// The determinants.
    pub sector: Sector,
    /// Terms present in this sector, in the order of `matrices`' value arrays.
    pub terms: Vec<Term>,
    /// The term matrices on a shared pattern.
    pub matrices: TermMatrices,
}

/// Orbital layout: 3d first, then the ligand shell (if any), then 2p.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The 3d shell.
    pub d: AtomShell,
    /// The ligand shell, with charge transfer.
    pub ligand: Option<AtomShell>,
    /// The 2p shell.
    pub p: AtomShell,
}

impl Layout {
    fn new(with_ligand: bool) -> Self {
        let d = AtomShell { l: L_D, offset: 0 };
        let ligand = with_ligand.then_some(AtomShell { l: L_D, offset: 10 });
        let p = AtomShell {
            l: L_P,
            offset: if with_ligand { 20 } else { 10 },
        };
        Layout { d, ligand, p }
    }

    fn ranges(&self) -> Vec<ShellRange> {
        let mut r = vec![ShellRange {
            offset: self.d.offset,
            size: 10,
        }];
        if let Some(l) = self.ligand {
            r.push(ShellRange {
                offset: l.offset,
                size: 10,
            });
        }
        r.push(ShellRange {
            offset: self.p.offset,
            size: 6,
        });
        r
    }

    /// The shells present, with their angular momenta.
    fn shells(&self) -> impl Iterator<Item = AtomShell> {
        std::iter::once(self.d)
            .chain(self.ligand)
            .chain(std::iter::once(self.p))
    }

    /// Spin-orbital `(m, s)` of a shell mapped to `(-m, -s)`: the orbital part of time
    /// reversal (its phases are left out).
    fn reversed_orbital(&self, i: usize) -> usize {
        self.shells()
            .find(|sh| i >= sh.offset && i < sh.offset + n_spin_orbitals(sh.l))
            .map_or(i, |sh| {
                let (m, up) = so_quantum_numbers(sh.l, i - sh.offset);
                sh.offset + so_index(sh.l, -m, !up)
            })
    }
}

impl CompiledSector {
    /// For every determinant, the index of its image under `(m, s) -> (-m, -s)` on
    /// every spin-orbital (time reversal up to a sign per determinant); `None` if an
    /// image falls outside the sector.
    pub fn reversed_indices(&self, layout: &Layout) -> Option<Vec<usize>> {
        self.sector
            .dets()
            .iter()
            .map(|&det| {
                let image = (0..64)
                    .filter(|&i| det >> i & 1 == 1)
                    .fold(0u64, |acc, i| acc | 1 << layout.reversed_orbital(i));
                self.sector.index_of(image)
            })
            .collect()
    }
}

/// A compiled model: layout, sectors with term matrices, transition operators.
#[derive(Debug, Clone)]
pub struct CompiledModel {
    /// Orbital layout.
    pub layout: Layout,
    /// Initial-state sector.
    pub initial: CompiledSector,
    /// XAS final-state sector.
    pub xas_final: CompiledSector,
    /// XPS final-state sector.
    pub xps_final: CompiledSector,
    /// Dipole operators `T_q = sum <3d m|C^1_q|2p m'> d^dagger p`, `q = -1, 0, +1`
    /// (rows: XAS final, columns: initial).
    pub dipole: [Csr; 3],
    /// Annihilators of the six 2p spin-orbitals (rows: XPS final, columns: initial).
    pub core_annihilators: Vec<Csr>,
}

fn one_particle_term(h: Vec<Vec<f64>>, shell: AtomShell) -> Operator {
    Operator::one_particle(&h, shell.offset, shell.offset)
}

/// The operator of one term in a layout.
fn term_operator(term: Term, layout: &Layout) -> Operator {
    let (d, p) = (layout.d, layout.p);
    let ligand = layout.ligand.unwrap_or(d);
    let hop = |h: Vec<Vec<f64>>| {
        let mut op = Operator::one_particle(&h, d.offset, ligand.offset);
        let back = op.one_body_adjoint();
        op.add_scaled(&back, 1.0);
        op
    };
    match term {
        Term::F0dd => direct_within(d, 0),
        Term::F2dd => direct_within(d, 2),
        Term::F4dd => direct_within(d, 4),
        Term::Zeta3d => one_particle_term(spin_orbit(L_D), d),
        Term::TenDq => one_particle_term(oh_crystal_field(), d),
        Term::Ds => one_particle_term(d4h_ds(), d),
        Term::Dt => one_particle_term(d4h_dt(), d),
        Term::Nd => one_particle_term(identity(L_D), d),
        Term::Nl => one_particle_term(identity(L_D), ligand),
        Term::TenDqL => one_particle_term(oh_crystal_field(), ligand),
        Term::Veg => hop(eg_projector()),
        Term::Vt2g => hop(t2g_projector()),
        Term::SpinX => one_particle_term(scaled(spin_moment(L_D, 'x'), 2.0), d),
        Term::SpinZ => one_particle_term(scaled(spin_moment(L_D, 'z'), 2.0), d),
        Term::OrbX => one_particle_term(orbital_moment(L_D, 'x'), d),
        Term::OrbZ => one_particle_term(orbital_moment(L_D, 'z'), d),
        Term::F0pd => direct_between(p, d, 0),
        Term::F2pd => direct_between(p, d, 2),
        Term::G1pd => exchange_between(p, d, 1),
        Term::G3pd => exchange_between(p, d, 3),
        Term::Zeta2p => one_particle_term(spin_orbit(L_P), p),
    }
}

fn scaled(mut h: Vec<Vec<f64>>, s: f64) -> Vec<Vec<f64>> {
    h.iter_mut().flatten().for_each(|v| *v *= s);
    h
}

/// Terms present in a sector of a model with or without a ligand shell.
fn sector_terms(kind: SectorKind, with_ligand: bool) -> Vec<Term> {
    use Term::*;
    let mut terms = vec![
        F0dd, F2dd, F4dd, Zeta3d, TenDq, Ds, Dt, Nd, SpinX, SpinZ, OrbX, OrbZ,
    ];
    if with_ligand {
        terms.extend([Nl, TenDqL, Veg, Vt2g]);
    }
    if kind != SectorKind::Initial {
        terms.extend([F0pd, F2pd, G1pd, G3pd, Zeta2p]);
    }
    terms
}

/// Allowed (3d, [ligand,] 2p) counts of a sector.
fn occupations(kind: SectorKind, params: &ClusterParams) -> Vec<Vec<usize>> {
    let (extra_d, n_p) = match kind {
        SectorKind::Initial => (0, 6),
        SectorKind::XasFinal => (1, 5),
        SectorKind::XpsFinal => (0, 5),
    };
    let n0 = params.n_d + extra_d;
    match &params.charge_transfer {
        None => vec![vec![n0, n_p]],
        Some(ct) => (0..=ct.max_ligand_holes)
            .filter(|h| n0 + h <= 10)
            .map(|h| vec![n0 + h, 10 - h, n_p])
            .collect(),
    }
}

impl CompiledModel {
    /// Builds the sectors and all term matrices for the structure of `params` (the
    /// electron count and whether charge transfer is on, and how many ligand holes).
    /// Numerical values of the parameters are used only by [`CompiledModel::coefficients`].
    ///
    /// # Errors
    /// As [`ClusterParams::validate`].
    pub fn new(params: &ClusterParams) -> Result<Self> {
        params.validate()?;
        let with_ligand = params.charge_transfer.is_some();
        let layout = Layout::new(with_ligand);
        let ranges = layout.ranges();
        // All three sectors are sized before any term matrix is built, so that a model
        // too large fails at once rather than after compiling the sectors that fit.
        let sector = |kind: SectorKind| -> Result<Sector> {
            let sector = Sector::new(&ranges, &occupations(kind, params))?;
            if sector.dim() > MAX_SECTOR_DIM {
                return Err(Error::param(
                    "max_ligand_holes",
                    format!(
                        "the {kind:?} sector has {} states (limit {MAX_SECTOR_DIM}); use fewer ligand holes",
                        sector.dim()
                    ),
                ));
            }
            Ok(sector)
        };
        let (initial, xas_final, xps_final) = (
            sector(SectorKind::Initial)?,
            sector(SectorKind::XasFinal)?,
            sector(SectorKind::XpsFinal)?,
        );
        let compile = |kind: SectorKind, sector: Sector| {
            let terms = sector_terms(kind, with_ligand);
            let ops: Vec<Operator> = terms.iter().map(|&t| term_operator(t, &layout)).collect();
            let matrices = TermMatrices::new(&ops, &sector);
            CompiledSector {
                sector,
                terms,
                matrices,
            }
        };
        let initial = compile(SectorKind::Initial, initial);
        let xas_final = compile(SectorKind::XasFinal, xas_final);
        let xps_final = compile(SectorKind::XpsFinal, xps_final);
        let dipole = [-1, 0, 1].map(|q| {
            let op = dipole_operator(&layout, q);
            let t = op.triplets(&initial.sector, &xas_final.sector);
            Csr::from_sorted_triplets(xas_final.sector.dim(), initial.sector.dim(), &t)
        });
        let core_annihilators = (0..6)
            .map(|j| {
                let op = Operator {
                    annihilators: vec![(layout.p.offset + j, 1.0)],
                    ..Operator::default()
                };
                let t = op.triplets(&initial.sector, &xps_final.sector);
                Csr::from_sorted_triplets(xps_final.sector.dim(), initial.sector.dim(), &t)
            })
            .collect();
        Ok(CompiledModel {
            layout,
            initial,
            xas_final,
            xps_final,
            dipole,
            core_annihilators,
        })
    }

    /// The compiled sector of a kind.
    pub fn sector(&self, kind: SectorKind) -> &CompiledSector {
        match kind {
            SectorKind::Initial => &self.initial,
            SectorKind::XasFinal => &self.xas_final,
            SectorKind::XpsFinal => &self.xps_final,
        }
    }

    /// Coefficients of the terms of sector `kind` for `params`, and the constant energy
    /// added to every state of the sector (eV).
    ///
    /// The constant makes energies absolute in the convention of
    /// [`ClusterParams::edge_offset_ev`]: the configuration average of `d^n` is 0 and
    /// that of `2p^5 d^(n+1)` is `edge_offset_ev`.
    pub fn coefficients(&self, kind: SectorKind, params: &ClusterParams) -> (Vec<f64>, f64) {
        let ct = params.charge_transfer.as_ref();
        let on = OnSite::solve(params.n_d, params.u_dd, params.u_pd, ct.map(|c| c.delta));
        let core = kind != SectorKind::Initial;
        let v: &AtomicValues = if core {
            &params.core_hole
        } else {
            &params.initial
        };
        let coefficient = |t: Term| match t {
            Term::F0dd => params.f0_dd(v),
            Term::F2dd => v.f2_dd,
            Term::F4dd => v.f4_dd,
            Term::Zeta3d => v.zeta_3d,
            Term::TenDq => params.tendq,
            Term::Ds => params.ds,
            Term::Dt => params.dt,
            Term::Nd => {
                if core {
                    on.e_dc
                } else {
                    on.e_d
                }
            }
            Term::Nl => {
                if core {
                    on.e_lc
                } else {
                    on.e_l
                }
            }
            Term::TenDqL => ct.map_or(0.0, |c| c.tendq_l),
            Term::Veg => ct.map_or(0.0, |c| c.v_eg),
            Term::Vt2g => ct.map_or(0.0, |c| c.v_t2g),
            Term::SpinX => params.spin_field_ev[0],
            Term::SpinZ => params.spin_field_ev[1],
            Term::OrbX => params.orbital_field_ev[0],
            Term::OrbZ => params.orbital_field_ev[1],
            Term::F0pd => params.f0_pd(),
            Term::F2pd => v.f2_pd,
            Term::G1pd => v.g1_pd,
            Term::G3pd => v.g3_pd,
            Term::Zeta2p => v.zeta_2p,
        };
        let terms = &self.sector(kind).terms;
        let constant = if core {
            5.0 * on.e_p + params.edge_offset_ev
        } else {
            0.0
        };
        (terms.iter().map(|&t| coefficient(t)).collect(), constant)
    }
}

/// `T_q = sum_(m_d, m_p, s) c^1(2 m_d; 1 m_p) d^dagger_(m_d s) p_(m_p s)` with
/// `m_d = m_p + q`: the dipole operator's spherical component `q` in units of
/// `<3d||r||2p>` (renormalised spherical harmonic `C^1_q`, Quanty's normalisation).
fn dipole_operator(layout: &Layout, q: i64) -> Operator {
    let mut op = Operator::default();
    for mp in -L_P..=L_P {
        let md = mp + q;
        if md.abs() > L_D {
            continue;
        }
        let c = gaunt(L_D, md, 1, L_P, mp);
        for up in [true, false] {
            op.one_body.push((
                layout.d.offset + so_index(L_D, md, up),
                layout.p.offset + so_index(L_P, mp, up),
                c,
            ));
        }
    }
    op
}
