//! Structure factors
//! `F(h) = Σ_j occ_j (f0_j(s) + f'_j + i f''_j) exp(-8π² U_j s²) Σ_p exp(2πi h · x_p)`
//! over the atoms `j` of the asymmetric unit and the distinct positions `x_p` of each
//! atom's orbit in the cell, with `s = 1/(2d)` (Å⁻¹). For powder intensities `|F|²` is the
//! mean over the Friedel pair `h`, `-h` (they differ only through `f''` in
//! non-centrosymmetric groups).

use std::f64::consts::TAU;

use crate::Result;
use crate::form_factor::{FormFactor, anomalous};
use crate::structure::{Crystal, EIGHT_PI_SQUARED};

/// One atom ready for structure factors: form factor, anomalous terms, occupancy,
/// displacement and the positions of its orbit.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    form_factor: &'static FormFactor,
    /// `f'` (electrons).
    pub f_prime: f64,
    /// `f''` (electrons).
    pub f_double_prime: f64,
    /// Occupancy.
    pub occupancy: f64,
    /// `U_iso` (Å²).
    pub u_iso: f64,
    /// Distinct positions in the cell (fractional).
    pub positions: Vec<[f64; 3]>,
}

/// The atoms of a crystal prepared for structure factors at one wavelength.
#[derive(Debug, Clone, PartialEq)]
pub struct StructureFactors {
    sites: Vec<Site>,
    /// `|F(h)| = |F(-h)|` for every `h`: the group is centrosymmetric or no atom has an
    /// `f''`, so the Friedel mean needs one structure factor, not two.
    friedel_equal: bool,
}

impl StructureFactors {
    /// Sites of `crystal`; `f'` and `f''` are Chantler's values when `wavelength_angstrom`
    /// is a tabulated laboratory line (see [`anomalous`]) and zero otherwise.
    ///
    /// # Errors
    /// An atom type without a form factor.
    pub fn new(crystal: &Crystal, wavelength_angstrom: f64) -> Result<Self> {
        let sites: Vec<Site> = crystal
            .atoms
            .iter()
            .map(|atom| {
                let form_factor = FormFactor::lookup(&atom.type_symbol)?;
                let (f_prime, f_double_prime) =
                    anomalous(form_factor.z, wavelength_angstrom).unwrap_or((0.0, 0.0));
                Ok(Site {
                    form_factor,
                    f_prime,
                    f_double_prime,
                    occupancy: atom.occupancy,
                    u_iso: atom.u_iso,
                    positions: crystal
                        .group
                        .orbit(atom.xyz)
                        .into_iter()
                        .map(|(_, p)| p)
                        .collect(),
                })
            })
            .collect::<Result<_>>()?;
        let friedel_equal =
            crystal.group.is_centrosymmetric() || sites.iter().all(|s| s.f_double_prime == 0.0);
        Ok(StructureFactors {
            sites,
            friedel_equal,
        })
    }

    /// The sites.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// `F(h)` as (real, imaginary) (electrons) for a reflection of d-spacing `d` (Å).
    pub fn f(&self, hkl: [i32; 3], d: f64) -> (f64, f64) {
        let s = 0.5 / d;
        let (mut re, mut im) = (0.0, 0.0);
        for site in &self.sites {
            let (c, sn) = site.positions.iter().fold((0.0, 0.0), |(c, sn), p| {
                let phase = TAU * (0..3).map(|i| f64::from(hkl[i]) * p[i]).sum::<f64>();
                (c + phase.cos(), sn + phase.sin())
            });
            let w = site.occupancy * (-EIGHT_PI_SQUARED * site.u_iso * s * s).exp();
            let f = site.form_factor.f0(s) + site.f_prime;
            // (f + i f'') (c + i sn)
            re += w * (f * c - site.f_double_prime * sn);
            im += w * (f * sn + site.f_double_prime * c);
        }
        (re, im)
    }

    /// `|F|²` (electrons²) averaged over the Friedel pair `h`, `-h`.
    pub fn f_squared(&self, hkl: [i32; 3], d: f64) -> f64 {
        let (a, b) = self.f(hkl, d);
        if self.friedel_equal {
            return a * a + b * b;
        }
        let (c, e) = self.f(hkl.map(|v| -v), d);
        0.5 * (a * a + b * b + c * c + e * e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cif::Cif;
    use crate::form_factor::line_wavelength;

    fn crystal(group: &str, a: f64, atoms: &[(&str, [f64; 3], f64)]) -> Crystal {
        let mut text = format!(
            "data_x\n_cell_length_a {a}\n_cell_length_b {a}\n_cell_length_c {a}\n_cell_angle_alpha 90\n\
             _cell_angle_beta 90\n_cell_angle_gamma 90\n_space_group_name_H-M_alt '{group}'\nloop_\n\
             _atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
             _atom_site_fract_z\n_atom_site_U_iso_or_equiv\n"
        );
        for (i, (t, x, u)) in atoms.iter().enumerate() {
            text.push_str(&format!("A{i} {t} {} {} {} {u}\n", x[0], x[1], x[2]));
        }
        let cif = Cif::parse(&text, "test").unwrap();
        Crystal::from_cif(&cif, "test").unwrap().remove(0)
    }

    /// `(f0 + f' + i f'') exp(-8π² U s²)` of one atom, by hand.
    fn atom_f(symbol: &str, s: f64, u: f64, lambda: f64) -> (f64, f64) {
        let ff = FormFactor::lookup(symbol).unwrap();
        let (fp, fpp) = anomalous(ff.z, lambda).unwrap();
        let t = (-EIGHT_PI_SQUARED * u * s * s).exp();
        ((ff.f0(s) + fp) * t, fpp * t)
    }

    #[test]
    fn nacl_type_structure_factors() {
        let lambda = line_wavelength("Cu Ka1").unwrap();
        let (a, un, uc) = (5.64, 0.012, 0.010);
        let c = crystal(
            "F m -3 m",
            a,
            &[("Na+", [0.0; 3], un), ("Cl-", [0.5; 3], uc)],
        );
        let sf = StructureFactors::new(&c, lambda).unwrap();
        for (hkl, sign) in [
            ([1, 1, 1], -1.0),
            ([2, 0, 0], 1.0),
            ([3, 1, 1], -1.0),
            ([2, 2, 2], 1.0),
        ] {
            let d = c.cell.d_spacing(hkl);
            let s = 0.5 / d;
            let (na, cl) = (atom_f("Na+", s, un, lambda), atom_f("Cl-", s, uc, lambda));
            // F = 4 (f_Na ± f_Cl): all even, +; all odd, -.
            let want = (4.0 * (na.0 + sign * cl.0), 4.0 * (na.1 + sign * cl.1));
            let got = sf.f(hkl, d);
            assert!(
                (got.0 - want.0).abs() < 1e-10 && (got.1 - want.1).abs() < 1e-10,
                "{hkl:?}: {got:?} vs {want:?}"
            );
        }
        // Mixed parity is extinct by the F centring.
        let (re, im) = sf.f([1, 0, 0], c.cell.d_spacing([1, 0, 0]));
        assert!(re.abs() < 1e-10 && im.abs() < 1e-10);
    }

    #[test]
    fn cscl_type_structure_factors() {
        let lambda = line_wavelength("Mo Ka1").unwrap();
        let c = crystal(
            "P m -3 m",
            4.12,
            &[("Cs", [0.0; 3], 0.02), ("Cl", [0.5; 3], 0.02)],
        );
        let sf = StructureFactors::new(&c, lambda).unwrap();
        for (hkl, sign) in [
            ([1, 0, 0], -1.0),
            ([1, 1, 0], 1.0),
            ([1, 1, 1], -1.0),
            ([2, 0, 0], 1.0),
        ] {
            let d = c.cell.d_spacing(hkl);
            let s = 0.5 / d;
            let (cs, cl) = (atom_f("Cs", s, 0.02, lambda), atom_f("Cl", s, 0.02, lambda));
            let want = (cs.0 + sign * cl.0, cs.1 + sign * cl.1);
            let got = sf.f(hkl, d);
            assert!(
                (got.0 - want.0).abs() < 1e-10 && (got.1 - want.1).abs() < 1e-10,
                "{hkl:?}"
            );
            // Centrosymmetric: |F(h)|² = |F(-h)|², so the Friedel mean is |F(h)|².
            assert!((sf.f_squared(hkl, d) - (got.0 * got.0 + got.1 * got.1)).abs() < 1e-9);
        }
    }

    #[test]
    fn friedel_pairs_differ_without_a_centre_of_symmetry() {
        // Zincblende ZnS (F-43m) at Cu Kα1: Zn and S have f'' ≠ 0, so |F(111)|² and
        // |F(-1-1-1)|² differ (Bijvoet pair) and the powder value is their mean; with the
        // centrosymmetric rock-salt cell above the shortcut |F(h)|² is exact.
        let lambda = line_wavelength("Cu Ka1").unwrap();
        let c = crystal(
            "F -4 3 m",
            5.41,
            &[("Zn", [0.0; 3], 0.01), ("S", [0.25; 3], 0.01)],
        );
        let sf = StructureFactors::new(&c, lambda).unwrap();
        let d = c.cell.d_spacing([1, 1, 1]);
        let sq = |(a, b): (f64, f64)| a * a + b * b;
        let (plus, minus) = (sq(sf.f([1, 1, 1], d)), sq(sf.f([-1, -1, -1], d)));
        assert!((plus - minus).abs() > 1e-3 * plus, "{plus} {minus}");
        assert!((sf.f_squared([1, 1, 1], d) - 0.5 * (plus + minus)).abs() < 1e-9 * plus);
    }
}
