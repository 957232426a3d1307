//! 3d transition-metal ions and their default model parameters from the Hartree-Fock
//! tables.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::hf_tables::{HfValues, core_hole, ground};
use crate::params::{AtomicValues, ChargeTransfer, ClusterParams};

/// Elements covered, with atomic number and 2p3/2 binding energy (eV, X-ray Data
/// Booklet, Table 1-1).
const ELEMENTS: [(&str, usize, f64); 8] = [
    ("Ti", 22, 453.8),
    ("V", 23, 512.1),
    ("Cr", 24, 574.1),
    ("Mn", 25, 638.7),
    ("Fe", 26, 706.8),
    ("Co", 27, 778.1),
    ("Ni", 28, 852.7),
    ("Cu", 29, 932.7),
];

/// An ion such as `Ni2+`: element and charge, hence the 3d count `Z - 18 - charge`.
///
/// Built only by parsing (`"Ni2+".parse()`), which checks the element and that the ion
/// has 0 ..= 9 3d electrons, so every `Ion` is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ion {
    /// Index into `ELEMENTS`.
    entry: usize,
    charge: usize,
}

impl Ion {
    /// Element symbol (`"Ti"` ..= `"Cu"`).
    pub fn element(&self) -> &'static str {
        ELEMENTS[self.entry].0
    }

    /// Charge (oxidation state).
    pub fn charge(&self) -> usize {
        self.charge
    }

    /// 3d electrons of the ion, `Z - 18 - charge`.
    pub fn n_d(&self) -> usize {
        ELEMENTS[self.entry].1 - 18 - self.charge
    }

    /// Tabulated 2p3/2 binding energy of the element (eV).
    pub fn l3_edge_ev(&self) -> f64 {
        ELEMENTS[self.entry].2
    }
}

impl fmt::Display for Ion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}+", self.element(), self.charge)
    }
}

impl FromStr for Ion {
    type Err = Error;

    /// Parses `Ni2+`, `Mn3+`, `Cu+` (charge 1).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::param(
                "ion",
                format!("`{s}`: expected an element Ti..Cu and a charge, e.g. `Ni2+`"),
            )
        };
        let t = s.trim().strip_suffix('+').ok_or_else(bad)?;
        let split = t.find(|c: char| c.is_ascii_digit()).unwrap_or(t.len());
        let (symbol, digits) = t.split_at(split);
        let entry = ELEMENTS
            .iter()
            .position(|e| e.0 == symbol)
            .ok_or_else(bad)?;
        let z = ELEMENTS[entry].1;
        let charge = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| bad())?
        };
        if charge == 0 || charge + 18 > z || z - 18 - charge > 9 {
            return Err(Error::param(
                "ion",
                format!(
                    "`{s}`: needs 0..=9 3d electrons for 2p XAS, has {}",
                    z as i64 - 18 - charge as i64
                ),
            ));
        }
        Ok(Ion { entry, charge })
    }
}

fn scaled(v: &HfValues, scale: f64) -> AtomicValues {
    AtomicValues {
        f2_dd: scale * v.f2_dd,
        f4_dd: scale * v.f4_dd,
        zeta_3d: v.zeta_3d,
        f2_pd: scale * v.f2_pd.unwrap_or(0.0),
        g1_pd: scale * v.g1_pd.unwrap_or(0.0),
        g3_pd: scale * v.g3_pd.unwrap_or(0.0),
        zeta_2p: v.zeta_2p.unwrap_or(0.0),
    }
}

impl ClusterParams {
    /// Crystal-field (atomic) parameters of `ion`: Hartree-Fock values of `3d^n`
    /// (initial) and `2p^5 3d^(n+1)` (final states), Slater integrals times
    /// `slater_scale` (0.8 is customary), spin-orbit unscaled; no crystal field, no
    /// charge transfer, `U_dd = U_pd = 0` (they only shift configurations then), and
    /// `edge_offset_ev` = 2p3/2 binding energy + `zeta_2p / 2`, which puts the L3
    /// threshold near the tabulated edge.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the tables lack a configuration or the scale is
    /// not in `0 ..= 1.5`.
    pub fn for_ion(ion: Ion, slater_scale: f64) -> Result<Self> {
        if !(0.0..=1.5).contains(&slater_scale) {
            return Err(Error::param(
                "slater_scale",
                format!("{slater_scale} is not in 0 ..= 1.5"),
            ));
        }
        let n = ion.n_d();
        let missing =
            |what: &str| Error::param("ion", format!("no Hartree-Fock values for {ion} {what}"));
        let initial = ground(ion.element(), n as u32).ok_or_else(|| missing(&format!("3d{n}")))?;
        let fin = core_hole(ion.element(), n as u32 + 1)
            .ok_or_else(|| missing(&format!("2p5 3d{}", n + 1)))?;
        let core_hole = scaled(fin, slater_scale);
        Ok(ClusterParams {
            n_d: n,
            initial: scaled(initial, slater_scale),
            core_hole,
            u_dd: 0.0,
            u_pd: 0.0,
            tendq: 0.0,
            ds: 0.0,
            dt: 0.0,
            charge_transfer: None,
            spin_field_ev: [0.0; 2],
            orbital_field_ev: [0.0; 2],
            edge_offset_ev: ion.l3_edge_ev() + core_hole.zeta_2p / 2.0,
        })
    }
}

impl ClusterParams {
    /// The seed-like \[NiO6\]10- charge-transfer cluster ("model B" of the project's
    /// reference data): Ni2+ d8 with Delta 4.7, U_dd 7.3, U_pd 8.5, 10Dq 0.6,
    /// V_eg 2.2, V_t2g 1.1, 10Dq_L 0, Slater integrals 0.8 x the edrixs Ni atom data
    /// (3d8: F2 12.234, F4 7.598; 2p5 3d9: F2pd 7.721, G1 5.787, G3 3.291),
    /// zeta_3d 0.083 in both states (as edrixs example 3), zeta_2p 11.507, edge offset
    /// 857.6 eV. Parameters after Haverkort et al., PRB 85, 165113 (2012).
    pub fn nio_seed_like() -> Self {
        let v = AtomicValues {
            f2_dd: 0.8 * 12.234,
            f4_dd: 0.8 * 7.598,
            zeta_3d: 0.083,
            f2_pd: 0.8 * 7.721,
            g1_pd: 0.8 * 5.787,
            g3_pd: 0.8 * 3.291,
            zeta_2p: 11.507,
        };
        ClusterParams {
            n_d: 8,
            initial: v,
            core_hole: v,
            u_dd: 7.3,
            u_pd: 8.5,
            tendq: 0.6,
            ds: 0.0,
            dt: 0.0,
            charge_transfer: Some(ChargeTransfer {
                delta: 4.7,
                v_eg: 2.2,
                v_t2g: 1.1,
                tendq_l: 0.0,
                max_ligand_holes: 2,
            }),
            spin_field_ev: [0.0; 2],
            orbital_field_ev: [0.0; 2],
            edge_offset_ev: 857.6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ions() {
        let ni: Ion = "Ni2+".parse().unwrap();
        assert_eq!((ni.element(), ni.charge(), ni.n_d()), ("Ni", 2, 8));
        assert_eq!(ni.to_string(), "Ni2+");
        assert_eq!("Mn4+".parse::<Ion>().unwrap().n_d(), 3);
        assert_eq!("Cu2+".parse::<Ion>().unwrap().n_d(), 9);
        for bad in ["Ni", "Zn2+", "Ni0+", "Cu1+x", "Ti5+", "Cu+"] {
            assert!(bad.parse::<Ion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_from_tables() {
        let p = ClusterParams::for_ion("Mn2+".parse().unwrap(), 0.8).unwrap();
        assert_eq!(p.n_d, 5);
        assert!((p.initial.f2_dd - 0.8 * 10.3156).abs() < 1e-12);
        assert!((p.core_hole.zeta_2p - 6.8458).abs() < 1e-12);
        assert!(ClusterParams::for_ion("Mn2+".parse().unwrap(), 2.0).is_err());
    }
}
