//! Refined structures with standard uncertainties, for reports and CIF output.
//!
//! Esds come from the covariance of the refined parameters: a coordinate is
//! `x_i = x_fixed + Σ_k c_k e_k[i]` over the free directions `e_k` of its site, so
//! `var(x_i) = Σ_kl e_k[i] e_l[i] cov(c_k, c_l)`; the cell edges, angles and volume are
//! functions of the free reciprocal-metric terms, propagated through their numerical
//! Jacobian (`cov(cell) = J cov(A) Jᵀ`).

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::model::{Model, Param};
use crate::pattern::Pattern;
use crate::refine::Refinement;

/// A value and its standard uncertainty (0 when it was not refined).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValueEsd {
    /// Value.
    pub value: f64,
    /// Standard uncertainty.
    pub esd: f64,
}

impl ValueEsd {
    /// CIF style: `8.48031(2)` (two significant digits of the esd when they are below 20,
    /// one otherwise); plain value when the esd is zero.
    pub fn to_cif(&self) -> String {
        if !(self.esd > 0.0 && self.esd.is_finite()) {
            return format!("{:.6}", self.value);
        }
        let mut decimals = (-self.esd.log10().floor()) as i32;
        let mut digits = (self.esd * 10f64.powi(decimals)).round();
        if digits < 2.0 {
            decimals += 1;
            digits = (self.esd * 10f64.powi(decimals)).round();
        }
        let decimals = decimals.max(0) as usize;
        format!("{:.decimals$}({})", self.value, digits as i64)
    }
}

/// An atom of a refined phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtomReport {
    /// Site label.
    pub label: String,
    /// Type symbol.
    pub type_symbol: String,
    /// Fractional coordinates.
    pub xyz: [ValueEsd; 3],
    /// Occupancy.
    pub occupancy: ValueEsd,
    /// `U_iso` (Å²).
    pub uiso: ValueEsd,
    /// Site multiplicity.
    pub multiplicity: usize,
}

/// A refined phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// Phase name.
    pub name: String,
    /// Space-group symbol.
    pub space_group: String,
    /// International Tables number, when known.
    pub space_group_number: Option<i32>,
    /// `a, b, c` (Å) and `α, β, γ` (degrees).
    pub cell: [ValueEsd; 6],
    /// Cell volume (Å³).
    pub volume: ValueEsd,
    /// Scale factor.
    pub scale: ValueEsd,
    /// Atoms.
    pub atoms: Vec<AtomReport>,
    /// Bragg R factor on intensities (%), [`bragg_r_factors`].
    pub r_bragg: f64,
    /// R factor on structure-factor moduli (%).
    pub r_f: f64,
}

/// `R_Bragg = Σ|I_o − I_c| / Σ I_o` and `R_F = Σ||F_o| − |F_c|| / Σ|F_o|` (percent) of
/// phase `p`, with the "observed" intensity of each reflection apportioned from the
/// pattern by the Rietveld rule `I_o = Σ_i c_i (y_o − y_b)_i / (y_c − y_b)_i`, where `c_i`
/// is the reflection's calculated contribution at point `i` (both lines) and
/// `I_c = Σ_i c_i`; `|F_o| = |F_c| √(I_o / I_c)`. Points where the peaks add less than
/// 10⁻⁹ of the largest net intensity are skipped.
///
/// # Errors
/// A failed pattern calculation.
pub fn bragg_r_factors(model: &Model, p: usize, pattern: &Pattern) -> Result<(f64, f64)> {
    let x = &pattern.two_theta_deg;
    let calc = model.calculate(x)?;
    let bkg = model.background_values(x);
    let net_calc: Vec<f64> = calc.iter().zip(&bkg).map(|(c, b)| c - b).collect();
    let floor = 1e-9 * net_calc.iter().fold(0.0f64, |m, v| m.max(*v));
    let f2 = model.squared_structure_factors(p)?;
    let scale = model.phases[p].scale;
    let n = f2.len();
    let (mut i_calc, mut i_obs) = (vec![0.0; n], vec![0.0; n]);
    for line in model.line_profiles(p, x) {
        let intensity = scale * line.factor * f2[line.reflection];
        for (k, v) in line.values.iter().enumerate() {
            let i = line.start + k;
            if net_calc[i] > floor {
                let c = intensity * v;
                i_calc[line.reflection] += c;
                i_obs[line.reflection] += c * (pattern.intensity[i] - bkg[i]) / net_calc[i];
            }
        }
    }
    let (mut num_b, mut den_b, mut num_f, mut den_f) = (0.0, 0.0, 0.0, 0.0);
    for k in 0..n {
        if i_calc[k] <= 0.0 {
            continue;
        }
        num_b += (i_obs[k] - i_calc[k]).abs();
        den_b += i_obs[k].abs();
        let f_calc = f2[k].sqrt();
        let f_obs = f_calc * (i_obs[k].max(0.0) / i_calc[k]).sqrt();
        num_f += (f_obs - f_calc).abs();
        den_f += f_obs;
    }
    Ok((100.0 * num_b / den_b, 100.0 * num_f / den_f))
}

/// Covariances of a refinement, looked up by parameter (through its name, so any
/// parameter of the model can be asked for; unrefined ones have zero covariance).
struct Covariance<'a> {
    model: &'a Model,
    refinement: &'a Refinement,
}

impl Covariance<'_> {
    fn index(&self, param: Param) -> Option<usize> {
        let name = self.model.name(param);
        self.refinement
            .parameters
            .iter()
            .position(|r| r.name == name)
    }

    fn get(&self, a: Param, b: Param) -> f64 {
        let n = self.refinement.parameters.len();
        match (self.index(a), self.index(b)) {
            (Some(i), Some(j)) => self
                .refinement
                .covariance
                .get(i * n + j)
                .copied()
                .unwrap_or(0.0),
            _ => 0.0,
        }
    }

    fn esd(&self, a: Param) -> f64 {
        self.get(a, a).max(0.0).sqrt()
    }
}

/// Reports of every phase of `model` after `refinement` against `pattern`.
///
/// # Errors
/// A cell that cannot be rebuilt while propagating esds.
pub fn phase_reports(
    model: &Model,
    refinement: &Refinement,
    pattern: &Pattern,
) -> Result<Vec<PhaseReport>> {
    let cov = Covariance { model, refinement };
    (0..model.phases.len())
        .map(|p| phase_report(&cov, p, pattern))
        .collect()
}

fn phase_report(cov: &Covariance<'_>, p: usize, pattern: &Pattern) -> Result<PhaseReport> {
    let model = cov.model;
    let phase = &model.phases[p];
    let crystal = &phase.crystal;
    let cell_params: Vec<Param> = model
        .parameters()
        .into_iter()
        .filter(|q| matches!(q, Param::Cell(pp, _) if *pp == p))
        .collect();
    let (cell, volume) = cell_with_esds(cov, p, &cell_params)?;
    let (r_bragg, r_f) = bragg_r_factors(model, p, pattern)?;
    let multiplicities = crystal.multiplicities();
    let atoms = crystal
        .atoms
        .iter()
        .enumerate()
        .map(|(a, atom)| {
            let basis = model.coordinate_basis(p, a);
            let xyz = std::array::from_fn(|i| {
                let mut v = 0.0;
                for (k, bk) in basis.iter().enumerate() {
                    for (l, bl) in basis.iter().enumerate() {
                        v += bk[i]
                            * bl[i]
                            * cov.get(Param::Coordinate(p, a, k), Param::Coordinate(p, a, l));
                    }
                }
                ValueEsd {
                    value: atom.xyz[i],
                    esd: v.max(0.0).sqrt(),
                }
            });
            AtomReport {
                label: atom.label.clone(),
                type_symbol: atom.type_symbol.clone(),
                xyz,
                occupancy: ValueEsd {
                    value: atom.occupancy,
                    esd: cov.esd(Param::Occupancy(p, a)),
                },
                uiso: ValueEsd {
                    value: atom.u_iso,
                    esd: cov.esd(Param::Uiso(p, a)),
                },
                multiplicity: multiplicities[a],
            }
        })
        .collect();
    Ok(PhaseReport {
        name: crystal.name.clone(),
        space_group: crystal.group.symbol().to_string(),
        space_group_number: crystal.group.number(),
        cell,
        volume,
        scale: ValueEsd {
            value: phase.scale,
            esd: cov.esd(Param::Scale(p)),
        },
        atoms,
        r_bragg,
        r_f,
    })
}

/// Cell parameters and volume with esds by a central-difference Jacobian in the free
/// cell terms.
fn cell_with_esds(
    cov: &Covariance<'_>,
    p: usize,
    cell_params: &[Param],
) -> Result<([ValueEsd; 6], ValueEsd)> {
    let model = cov.model;
    let values = |c: &crate::lattice::Cell| [c.a, c.b, c.c, c.alpha, c.beta, c.gamma, c.volume()];
    let free: Vec<f64> = cell_params.iter().map(|&q| model.get(q)).collect();
    let centre = values(&model.cell_from_free(p, &free)?);
    let mut jac = vec![[0.0; 7]; free.len()];
    for k in 0..free.len() {
        let h = 1e-6 * free[k].abs().max(1e-12);
        let (mut up, mut down) = (free.clone(), free.clone());
        up[k] += h;
        down[k] -= h;
        let (u, d) = (
            values(&model.cell_from_free(p, &up)?),
            values(&model.cell_from_free(p, &down)?),
        );
        for m in 0..7 {
            jac[k][m] = (u[m] - d[m]) / (2.0 * h);
        }
    }
    let esd = |m: usize| {
        let mut v = 0.0;
        for (k, &qk) in cell_params.iter().enumerate() {
            for (l, &ql) in cell_params.iter().enumerate() {
                v += jac[k][m] * jac[l][m] * cov.get(qk, ql);
            }
        }
        v.max(0.0).sqrt()
    };
    let cell = std::array::from_fn(|m| ValueEsd {
        value: centre[m],
        esd: esd(m),
    });
    Ok((
        cell,
        ValueEsd {
            value: centre[6],
            esd: esd(6),
        },
    ))
}

/// A CIF data block of a refined phase: cell, space group with its operators (`x,y,z`
/// strings), atoms with esds and `U_iso`.
pub fn to_cif(report: &PhaseReport, operators: &[String]) -> String {
    let block: String = report
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut s = format!("data_{block}\n_pd_phase_name '{}'\n", report.name);
    for (tag, v) in ["a", "b", "c"].iter().zip(&report.cell[..3]) {
        s.push_str(&format!("_cell_length_{tag} {}\n", v.to_cif()));
    }
    for (tag, v) in ["alpha", "beta", "gamma"].iter().zip(&report.cell[3..]) {
        s.push_str(&format!("_cell_angle_{tag} {}\n", v.to_cif()));
    }
    s.push_str(&format!("_cell_volume {}\n", report.volume.to_cif()));
    s.push_str(&format!(
        "_space_group_name_H-M_alt '{}'\n",
        report.space_group
    ));
    if let Some(n) = report.space_group_number {
        s.push_str(&format!("_space_group_IT_number {n}\n"));
    }
    s.push_str("loop_\n_space_group_symop_operation_xyz\n");
    for op in operators {
        s.push_str(&format!("'{op}'\n"));
    }
    s.push_str(
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
         _atom_site_fract_z\n_atom_site_occupancy\n_atom_site_adp_type\n_atom_site_U_iso_or_equiv\n\
         _atom_site_symmetry_multiplicity\n",
    );
    for a in &report.atoms {
        s.push_str(&format!(
            "{} {} {} {} {} {} Uiso {} {}\n",
            a.label,
            a.type_symbol,
            a.xyz[0].to_cif(),
            a.xyz[1].to_cif(),
            a.xyz[2].to_cif(),
            a.occupancy.to_cif(),
            a.uiso.to_cif(),
            a.multiplicity
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cif_numbers_with_esds() {
        let v = |value, esd| ValueEsd { value, esd }.to_cif();
        assert_eq!(v(8.480297, 0.000097), "8.48030(10)");
        assert_eq!(v(0.18754, 0.00008), "0.18754(8)");
        assert_eq!(v(0.18754, 0.000013), "0.187540(13)");
        assert_eq!(v(120.0, 2.0), "120(2)");
        assert_eq!(v(1.5, 0.0), "1.500000");
    }
}
