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
use crate::symmetry::SpaceGroup;

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
    /// Element ([`crate::structure::Atom::element`]).
    pub element: String,
    /// Fractional coordinates.
    pub xyz: [ValueEsd; 3],
    /// Occupancy.
    pub occupancy: ValueEsd,
    /// `U_iso` (Å²); `U_eq` (without esd) for an anisotropic atom.
    pub uiso: ValueEsd,
    /// `(U¹¹, U²², U³³, U¹², U¹³, U²³)` (Å²) of an anisotropic atom.
    pub u_aniso: Option<[ValueEsd; 6]>,
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
    /// Mass of the cell content `Z M` (g/mol per cell).
    pub cell_mass: f64,
    /// Hill-Howard weight fraction, [`weight_fractions`].
    pub weight_fraction: ValueEsd,
    /// March-Dollase axis and ratio, if modelled.
    pub march_dollase: Option<([i32; 3], ValueEsd)>,
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
    let peaks = model.peak_intensities(p)?;
    let scale = model.phases[p].scale;
    let n = f2.len();
    let (mut i_calc, mut i_obs) = (vec![0.0; n], vec![0.0; n]);
    for line in model.line_profiles(p, x) {
        let intensity = scale * line.factor * peaks[line.reflection];
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
/// A cell that cannot be rebuilt while propagating esds, or an atom without an atomic
/// weight.
pub fn phase_reports(
    model: &Model,
    refinement: &Refinement,
    pattern: &Pattern,
) -> Result<Vec<PhaseReport>> {
    let cov = Covariance { model, refinement };
    let fractions = weight_fractions(model, refinement)?;
    (0..model.phases.len())
        .map(|p| phase_report(&cov, p, pattern, fractions[p]))
        .collect()
}

/// Hill-Howard weight fractions (J. Appl. Cryst. 20, 467 (1987)) with esds:
/// `W_p = S_p (ZMV)_p / Σ_i S_i (ZMV)_i` with scale `S`, cell mass `ZM` and cell volume
/// `V`, valid for the intensity convention of [`crate::model`] (`|F|²` per cell, no
/// `1/V²`). The esds propagate the scales' covariance (cell volumes held fixed).
///
/// # Errors
/// An atom without an atomic weight.
pub fn weight_fractions(model: &Model, refinement: &Refinement) -> Result<Vec<ValueEsd>> {
    let cov = Covariance { model, refinement };
    let zmv: Vec<f64> = model
        .phases
        .iter()
        .map(|ph| Ok(ph.crystal.cell_mass()? * ph.crystal.cell.volume()))
        .collect::<Result<_>>()?;
    let total: f64 = model
        .phases
        .iter()
        .zip(&zmv)
        .map(|(ph, a)| ph.scale * a)
        .sum();
    let n = zmv.len();
    Ok((0..n)
        .map(|p| {
            let value = model.phases[p].scale * zmv[p] / total;
            // ∂W_p/∂S_j = (ZMV)_p δ_pj / D − W_p (ZMV)_j / D.
            let g: Vec<f64> = (0..n)
                .map(|j| (if j == p { zmv[p] } else { 0.0 } - value * zmv[j]) / total)
                .collect();
            let variance: f64 = (0..n)
                .flat_map(|j| (0..n).map(move |k| (j, k)))
                .map(|(j, k)| g[j] * g[k] * cov.get(Param::Scale(j), Param::Scale(k)))
                .sum();
            ValueEsd {
                value,
                esd: variance.max(0.0).sqrt(),
            }
        })
        .collect())
}

fn phase_report(
    cov: &Covariance<'_>,
    p: usize,
    pattern: &Pattern,
    weight_fraction: ValueEsd,
) -> Result<PhaseReport> {
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
            let xyz = std::array::from_fn(|i| ValueEsd {
                value: atom.xyz[i],
                esd: constrained_esd(cov, basis, i, |k| Param::Coordinate(p, a, k)),
            });
            AtomReport {
                label: atom.label.clone(),
                type_symbol: atom.type_symbol.clone(),
                element: atom.element(),
                xyz,
                occupancy: ValueEsd {
                    value: atom.occupancy,
                    esd: cov.esd(Param::Occupancy(p, a)),
                },
                uiso: ValueEsd {
                    value: atom.u_iso,
                    esd: cov.esd(Param::Uiso(p, a)),
                },
                u_aniso: atom.u_aniso.map(|u| {
                    let basis = model.adp_basis(p, a).unwrap_or(&[]);
                    std::array::from_fn(|i| ValueEsd {
                        value: u[i],
                        esd: constrained_esd(cov, basis, i, |k| Param::Uaniso(p, a, k)),
                    })
                }),
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
        cell_mass: crystal.cell_mass()?,
        weight_fraction,
        march_dollase: phase.preferred_orientation.map(|po| {
            (
                po.axis,
                ValueEsd {
                    value: po.ratio,
                    esd: cov.esd(Param::PreferredOrientation(p)),
                },
            )
        }),
        atoms,
        r_bragg,
        r_f,
    })
}

/// Esd of component `i` of a vector constrained to `fixed + Σ_k v_k basis_k`, whose
/// free values are the parameters `param(k)`: `√(Σ_kl b_k[i] b_l[i] cov(k, l))`.
fn constrained_esd<const N: usize>(
    cov: &Covariance<'_>,
    basis: &[[f64; N]],
    i: usize,
    param: impl Fn(usize) -> Param,
) -> f64 {
    let mut v = 0.0;
    for (k, bk) in basis.iter().enumerate() {
        for (l, bl) in basis.iter().enumerate() {
            v += bk[i] * bl[i] * cov.get(param(k), param(l));
        }
    }
    v.max(0.0).sqrt()
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
        // An angle fixed by symmetry (120° of a hexagonal cell) picks up rounding noise
        // from the differences: below 1e-9 relative it is exact.
        let esd = v.max(0.0).sqrt();
        if esd < 1e-9 * centre[m].abs().max(1.0) {
            0.0
        } else {
            esd
        }
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

/// A CIF data block of a refined phase: cell, space group with the operators of
/// `group` (`x,y,z` strings), atoms with esds and `U_iso` (and the aniso loop).
pub fn to_cif(report: &PhaseReport, group: &SpaceGroup) -> String {
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
    for op in group.operations() {
        s.push_str(&format!("'{op}'\n"));
    }
    s.push_str(
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
         _atom_site_fract_z\n_atom_site_occupancy\n_atom_site_adp_type\n_atom_site_U_iso_or_equiv\n\
         _atom_site_symmetry_multiplicity\n",
    );
    for a in &report.atoms {
        s.push_str(&format!(
            "{} {} {} {} {} {} {} {} {}\n",
            a.label,
            a.type_symbol,
            a.xyz[0].to_cif(),
            a.xyz[1].to_cif(),
            a.xyz[2].to_cif(),
            a.occupancy.to_cif(),
            if a.u_aniso.is_some() { "Uani" } else { "Uiso" },
            a.uiso.to_cif(),
            a.multiplicity
        ));
    }
    let anisotropic: Vec<&AtomReport> = report
        .atoms
        .iter()
        .filter(|a| a.u_aniso.is_some())
        .collect();
    if !anisotropic.is_empty() {
        s.push_str("loop_\n_atom_site_aniso_label\n");
        for ij in ["11", "22", "33", "12", "13", "23"] {
            s.push_str(&format!("_atom_site_aniso_U_{ij}\n"));
        }
        for a in anisotropic {
            let u: Vec<String> = a.u_aniso.iter().flatten().map(ValueEsd::to_cif).collect();
            s.push_str(&format!("{} {}\n", a.label, u.join(" ")));
        }
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
