//! Model parameters: atomic values, crystal field, charge transfer, fields.

use crate::error::{Error, Result};

/// Slater integrals and spin-orbit constants of one state (eV, already scaled).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AtomicValues {
    /// `F^2(3d,3d)`.
    pub f2_dd: f64,
    /// `F^4(3d,3d)`.
    pub f4_dd: f64,
    /// 3d spin-orbit constant `zeta_3d`.
    pub zeta_3d: f64,
    /// `F^2(2p,3d)` (core-hole states only; ignored in the initial state).
    pub f2_pd: f64,
    /// `G^1(2p,3d)`.
    pub g1_pd: f64,
    /// `G^3(2p,3d)`.
    pub g3_pd: f64,
    /// 2p spin-orbit constant `zeta_2p` (a full 2p shell is insensitive to it).
    pub zeta_2p: f64,
}

/// Charge transfer to one ligand shell with the 3d shell's symmetry-adapted orbitals.
///
/// Configuration energies follow the multiplet-averaged convention of edrixs
/// (`CT_imp_bath`) and Crispy/Quanty: without a core hole
/// `E(d^(n+1) L) - E(d^n) = delta` and `E(d^(n+2) L^2) - E(d^(n+1) L) = delta + u_dd`;
/// with a 2p hole `E(c d^(n+1) L) - E(c d^n) = delta - u_pd`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChargeTransfer {
    /// Charge-transfer energy Delta (eV).
    pub delta: f64,
    /// Hybridisation of the eg orbitals, `V_eg` (eV).
    pub v_eg: f64,
    /// Hybridisation of the t2g orbitals, `V_t2g` (eV).
    pub v_t2g: f64,
    /// Octahedral splitting of the ligand orbitals, `10Dq_L` (eV).
    pub tendq_l: f64,
    /// Most ligand holes kept (2 gives d^n, d^(n+1)L, d^(n+2)L^2).
    pub max_ligand_holes: usize,
}

/// All parameters of a cluster (or, without charge transfer, atomic) model.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClusterParams {
    /// 3d electrons of the initial configuration (`d^n`, 0 ..= 9 for 2p XAS).
    pub n_d: usize,
    /// Atomic values of the initial state (only `f2_dd`, `f4_dd`, `zeta_3d` matter).
    pub initial: AtomicValues,
    /// Atomic values of the 2p core-hole states (XAS and XPS final states).
    pub core_hole: AtomicValues,
    /// Multiplet-averaged 3d-3d Coulomb energy `U_dd` (eV);
    /// `F^0_dd = U_dd + 2/63 (F^2_dd + F^4_dd)`.
    pub u_dd: f64,
    /// Multiplet-averaged 2p-3d Coulomb energy `U_pd` (eV);
    /// `F^0_pd = U_pd + G^1/15 + 3 G^3/70`.
    pub u_pd: f64,
    /// Octahedral crystal field 10Dq (eV): eg at +0.6 10Dq, t2g at -0.4 10Dq.
    pub tendq: f64,
    /// Tetragonal parameter Ds (eV).
    pub ds: f64,
    /// Tetragonal parameter Dt (eV).
    pub dt: f64,
    /// Charge transfer; `None` gives the crystal-field (atomic) model.
    pub charge_transfer: Option<ChargeTransfer>,
    /// Exchange field on the 3d spin, `(B_x, B_z)` in eV: `H += 2 (B_x S_x + B_z S_z)`.
    pub spin_field_ev: [f64; 2],
    /// Field on the 3d orbital moment, `(B_x, B_z)` in eV: `H += B_x L_x + B_z L_z`.
    pub orbital_field_ev: [f64; 2],
    /// Photon energy (eV) of the transition between the configuration averages of
    /// `d^n` and `2p^5 d^(n+1)` (with the full ligand shell); sets the absolute axis.
    pub edge_offset_ev: f64,
}

impl ClusterParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad parameter.
    pub fn validate(&self) -> Result<()> {
        if self.n_d > 9 {
            return Err(Error::param(
                "n_d",
                format!(
                    "{} 3d electrons leave no hole for 2p XAS (0 ..= 9)",
                    self.n_d
                ),
            ));
        }
        // (name, value, is a Slater integral and so >= 0), checked in this order.
        let values = [
            ("initial.f2_dd", self.initial.f2_dd, true),
            ("initial.f4_dd", self.initial.f4_dd, true),
            ("initial.zeta_3d", self.initial.zeta_3d, false),
            ("core_hole.f2_dd", self.core_hole.f2_dd, true),
            ("core_hole.f4_dd", self.core_hole.f4_dd, true),
            ("core_hole.zeta_3d", self.core_hole.zeta_3d, false),
            ("core_hole.f2_pd", self.core_hole.f2_pd, true),
            ("core_hole.g1_pd", self.core_hole.g1_pd, true),
            ("core_hole.g3_pd", self.core_hole.g3_pd, true),
            ("core_hole.zeta_2p", self.core_hole.zeta_2p, false),
            ("u_dd", self.u_dd, false),
            ("u_pd", self.u_pd, false),
            ("tendq", self.tendq, false),
            ("ds", self.ds, false),
            ("dt", self.dt, false),
            ("spin_field_ev[0]", self.spin_field_ev[0], false),
            ("spin_field_ev[1]", self.spin_field_ev[1], false),
            ("orbital_field_ev[0]", self.orbital_field_ev[0], false),
            ("orbital_field_ev[1]", self.orbital_field_ev[1], false),
            ("edge_offset_ev", self.edge_offset_ev, false),
        ];
        if let Some(&(name, _, _)) = values.iter().find(|v| !v.1.is_finite()) {
            return Err(Error::param(name, "must be finite"));
        }
        if let Some(&(name, v, _)) = values.iter().find(|v| v.2 && v.1 < 0.0) {
            return Err(Error::param(
                name,
                format!("Slater integrals are >= 0, got {v}"),
            ));
        }
        if let Some(ct) = &self.charge_transfer {
            for (name, v) in [
                ("delta", ct.delta),
                ("v_eg", ct.v_eg),
                ("v_t2g", ct.v_t2g),
                ("tendq_l", ct.tendq_l),
            ] {
                if !v.is_finite() {
                    return Err(Error::param(name, "must be finite"));
                }
            }
            if ct.max_ligand_holes == 0 || ct.max_ligand_holes > 10 {
                return Err(Error::param("max_ligand_holes", "must lie in 1 ..= 10"));
            }
        }
        Ok(())
    }

    /// `F^0_dd` of a state: `U_dd + 2/63 (F^2 + F^4)`.
    pub fn f0_dd(&self, v: &AtomicValues) -> f64 {
        self.u_dd + 2.0 / 63.0 * (v.f2_dd + v.f4_dd)
    }

    /// `F^0_pd`: `U_pd + G^1/15 + 3 G^3/70`.
    pub fn f0_pd(&self) -> f64 {
        self.u_pd + self.core_hole.g1_pd / 15.0 + 3.0 * self.core_hole.g3_pd / 70.0
    }
}

/// One-particle on-site energies that realise the configuration energies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnSite {
    /// 3d level without a core hole.
    pub e_d: f64,
    /// Ligand level without a core hole.
    pub e_l: f64,
    /// 3d level with a 2p hole.
    pub e_dc: f64,
    /// Ligand level with a 2p hole.
    pub e_lc: f64,
    /// 2p level (a constant within every sector used here).
    pub e_p: f64,
}

impl OnSite {
    /// Solves the master formula
    /// `E = e_d n_d + e_L n_L + e_p n_p + n_d (n_d - 1) U_dd / 2 + n_d n_p U_pd` for the
    /// conditions of the module documentation of [`ChargeTransfer`]: without a core hole
    /// `E(d^n L^10) = 0` and `E(d^(n+1) L^9) = Delta`; with the core-hole levels,
    /// `E(d^n L^10 p^6) = 0`, `E(d^(n+1) L^9 p^6) = Delta` and `E(d^(n+1) L^10 p^5) = 0`.
    /// Without a ligand shell the ligand conditions are dropped.
    pub fn solve(n: usize, u_dd: f64, u_pd: f64, delta: Option<f64>) -> OnSite {
        let n = n as f64;
        // Core-hole conditions, numbered as in the doc comment:
        // (1) E(d^n L^10 p^6) = 0, (2) E(d^(n+1) L^9 p^6) = Delta, (3) E(d^(n+1) L^10 p^5) = 0.
        // (3) - (1) fixes e_dc - e_p, with or without a ligand shell.
        let rhs1 = -n * (n - 1.0) / 2.0 * u_dd - 6.0 * n * u_pd;
        let dc_minus_p = -n * u_dd - (5.0 * (n + 1.0) - 6.0 * n) * u_pd;
        match delta {
            Some(delta) => {
                let e_l = n * ((n + 1.0) * u_dd / 2.0 - delta) / (n + 10.0);
                // (2) - (1) fixes e_dc - e_lc; (1) then gives e_dc.
                let dc_minus_l = delta - n * u_dd - 6.0 * u_pd;
                let e_dc = (rhs1 + 10.0 * dc_minus_l + 6.0 * dc_minus_p) / (n + 16.0);
                OnSite {
                    e_d: delta - n * u_dd + e_l,
                    e_l,
                    e_dc,
                    e_lc: e_dc - dc_minus_l,
                    e_p: e_dc - dc_minus_p,
                }
            }
            None => {
                // (1) without the ligand term gives e_dc.
                let e_dc = (rhs1 + 6.0 * dc_minus_p) / (n + 6.0);
                OnSite {
                    e_d: -(n - 1.0) * u_dd / 2.0,
                    e_l: 0.0,
                    e_dc,
                    e_lc: 0.0,
                    e_p: e_dc - dc_minus_p,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nio_on_site_energies_match_edrixs() {
        // README of shared/data/multiplet: Delta 4.7, Udd 7.3, Upd 8.5, n = 8.
        let o = OnSite::solve(8, 7.3, 8.5, Some(4.7));
        assert!((o.e_d - -41.188888889).abs() < 1e-8);
        assert!((o.e_l - 12.511111111).abs() < 1e-8);
        assert!((o.e_dc - -77.366666667).abs() < 1e-8);
        assert!((o.e_lc - 27.333333333).abs() < 1e-8);
        assert!((o.e_p - -44.466666667).abs() < 1e-8);
    }

    #[test]
    fn validation_names_the_first_bad_parameter() {
        let mut p = ClusterParams::nio_seed_like();
        assert!(p.validate().is_ok());
        p.core_hole.g1_pd = -1.0;
        p.tendq = f64::NAN;
        // Non-finite values are reported before negative Slater integrals.
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("`tendq`"), "{e}");
        p.tendq = 0.6;
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("`core_hole.g1_pd`") && e.contains(">= 0"), "{e}");
        // Spin-orbit constants and the crystal field may take either sign.
        p.core_hole.g1_pd = 1.0;
        p.initial.zeta_3d = -0.1;
        p.tendq = -0.6;
        assert!(p.validate().is_ok());
    }

    #[test]
    fn conditions_hold_for_every_n() {
        let (u, upd, delta) = (6.0, 7.5, 3.0);
        let e = |o: &OnSite, nd: f64, nl: f64, np: f64, core: bool| {
            let (ed, el) = if core {
                (o.e_dc, o.e_lc)
            } else {
                (o.e_d, o.e_l)
            };
            let p = if core {
                o.e_p * np + nd * np * upd
            } else {
                0.0
            };
            ed * nd + el * nl + nd * (nd - 1.0) / 2.0 * u + p
        };
        for n in 0..9 {
            let o = OnSite::solve(n, u, upd, Some(delta));
            let n = n as f64;
            assert!(e(&o, n, 10.0, 0.0, false).abs() < 1e-10);
            assert!((e(&o, n + 1.0, 9.0, 0.0, false) - delta).abs() < 1e-10);
            assert!(e(&o, n, 10.0, 6.0, true).abs() < 1e-10);
            assert!((e(&o, n + 1.0, 9.0, 6.0, true) - delta).abs() < 1e-10);
            assert!(e(&o, n + 1.0, 10.0, 5.0, true).abs() < 1e-10);
            // Screening: E(c d^(n+1) L) - E(c d^n) = delta - Upd.
            assert!(
                (e(&o, n + 1.0, 9.0, 5.0, true) - e(&o, n, 10.0, 5.0, true) - (delta - upd)).abs()
                    < 1e-10
            );
            let a = OnSite::solve(n as usize, u, upd, None);
            assert!(e(&a, n, 0.0, 0.0, false).abs() < 1e-10);
            assert!(e(&a, n, 0.0, 6.0, true).abs() < 1e-10);
            assert!(e(&a, n + 1.0, 0.0, 5.0, true).abs() < 1e-10);
        }
    }
}
