//! Anisotropic atomic displacement parameters in the CIF convention:
//! `U = (U¹¹, U²², U³³, U¹², U¹³, U²³)` (Å²) on the reciprocal axes, so that the
//! mean-square fractional displacements are `⟨uᵢuⱼ⟩ = Uⁱʲ a*ᵢ a*ⱼ` and the
//! Debye-Waller factor of reflection `h` is
//! `T(h) = exp(−2π² Σᵢⱼ hᵢ hⱼ a*ᵢ a*ⱼ Uⁱʲ)` (Grosse-Kunstleve & Adams, J. Appl. Cryst.
//! 35, 477 (2002)). An atom at `R x + t` carries `R ⟨uuᵀ⟩ Rᵀ`, so its factor is the
//! reference atom's at `Rᵀh`. Site symmetry constrains `U`: `R ⟨uuᵀ⟩ Rᵀ = ⟨uuᵀ⟩` for
//! every operation that fixes the site ([`adp_basis`]).

use crate::constraints::{null_space, site_symmetry};
use crate::lattice::Cell;
use crate::symmetry::SpaceGroup;

/// Matrix index pairs of the six components, in order.
const PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)];

/// `a*ᵢ` (Å⁻¹).
fn reciprocal_lengths(cell: &Cell) -> [f64; 3] {
    let g = cell.reciprocal_metric();
    [g[0][0].sqrt(), g[1][1].sqrt(), g[2][2].sqrt()]
}

/// The component of `U` at matrix position `(i, j)`.
fn component(i: usize, j: usize) -> usize {
    PAIRS
        .iter()
        .position(|&(a, b)| (a, b) == (i.min(j), i.max(j)))
        .unwrap_or(0)
}

/// `⟨uᵢuⱼ⟩ = Uⁱʲ a*ᵢ a*ⱼ`: the fractional displacement tensor (dimensionless²).
pub fn fractional(u: &[f64; 6], cell: &Cell) -> [[f64; 3]; 3] {
    let s = reciprocal_lengths(cell);
    std::array::from_fn(|i| std::array::from_fn(|j| u[component(i, j)] * s[i] * s[j]))
}

/// The `U` of an isotropic atom, `Uⁱʲ = U_iso G*ᵢⱼ / (a*ᵢ a*ⱼ)` (for a hexagonal cell
/// `U¹¹ = U²² = 2U¹² = U_iso`).
pub fn isotropic(u_iso: f64, cell: &Cell) -> [f64; 6] {
    let g = cell.reciprocal_metric();
    let s = reciprocal_lengths(cell);
    // cos 90° is 6e-17 in floating point: such a cross term is exactly zero.
    PAIRS.map(|(i, j)| {
        let c = g[i][j] / (s[i] * s[j]);
        if c.abs() < 1e-12 { 0.0 } else { u_iso * c }
    })
}

/// `U_eq = tr(⟨uuᵀ⟩ G) / 3` (Å²), a third of the trace of the Cartesian tensor.
pub fn equivalent(u: &[f64; 6], cell: &Cell) -> f64 {
    let f = fractional(u, cell);
    let g = cell.metric();
    (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .map(|(i, j)| f[i][j] * g[j][i])
        .sum::<f64>()
        / 3.0
}

/// Whether `U` describes a physical (positive definite) displacement ellipsoid:
/// Sylvester's criterion on `⟨uuᵀ⟩`.
pub fn is_positive_definite(u: &[f64; 6], cell: &Cell) -> bool {
    let m = fractional(u, cell);
    let minor2 = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    m[0][0] > 0.0 && minor2 > 0.0 && det > 0.0
}

/// `exp(−2π² hᵀ⟨uuᵀ⟩h)` for the fractional tensor `f` of [`fractional`].
pub fn debye_waller(f: &[[f64; 3]; 3], h: [f64; 3]) -> f64 {
    let q: f64 = (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .map(|(i, j)| h[i] * f[i][j] * h[j])
        .sum();
    (-2.0 * std::f64::consts::PI * std::f64::consts::PI * q).exp()
}

/// Free directions of `U` for an atom at `x` (site-symmetry constraints, see the module
/// docs), each with its free component set to 1.
pub fn adp_basis(group: &SpaceGroup, cell: &Cell, x: [f64; 3]) -> Vec<[f64; 6]> {
    let s = reciprocal_lengths(cell);
    let mut rows = Vec::new();
    for op in site_symmetry(group, x) {
        let r = op.rotation.map(|row| row.map(f64::from));
        // (R F Rᵀ)ᵢⱼ − Fᵢⱼ = 0 with Fₖₗ = Uᵏˡ a*ₖ a*ₗ, divided by a*ᵢ a*ⱼ.
        for &(i, j) in &PAIRS {
            let mut row = vec![0.0; 6];
            for k in 0..3 {
                for l in 0..3 {
                    row[component(k, l)] += r[i][k] * r[j][l] * s[k] * s[l] / (s[i] * s[j]);
                }
            }
            row[component(i, j)] -= 1.0;
            rows.push(row);
        }
    }
    let basis = null_space(&rows, 6);
    // Scale each direction so that its first component no other direction moves is 1
    // (U¹¹ rather than U¹² for a site on a 3-fold axis).
    basis
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let own = (0..6)
                .find(|&i| {
                    v[i].abs() > 1e-12
                        && basis
                            .iter()
                            .enumerate()
                            .all(|(j, w)| j == k || w[i].abs() < 1e-12)
                })
                .map_or(1.0, |i| v[i]);
            std::array::from_fn(|i| v[i] / own)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hexagonal() -> Cell {
        Cell::new(9.37, 9.37, 6.88, 90.0, 90.0, 120.0).unwrap()
    }

    #[test]
    fn isotropic_tensors_have_their_u_iso_as_u_eq() {
        let cell = hexagonal();
        let u = isotropic(0.012, &cell);
        assert!((u[0] - 0.012).abs() < 1e-15 && (u[1] - 0.012).abs() < 1e-15);
        assert!((u[3] - 0.006).abs() < 1e-15, "U12 = U_iso/2: {u:?}");
        assert!(u[4].abs() < 1e-15 && u[5].abs() < 1e-15);
        assert!((equivalent(&u, &cell) - 0.012).abs() < 1e-15);
        assert!(is_positive_definite(&u, &cell));
        assert!(!is_positive_definite(
            &[0.01, 0.01, -0.001, 0.0, 0.0, 0.0],
            &cell
        ));
        // The isotropic factor exp(−8π² U s²) with s² = hᵀG*h/4.
        let h = [2.0, 1.0, 3.0];
        let g = cell.reciprocal_metric();
        let s2: f64 = (0..3)
            .flat_map(|i| (0..3).map(move |j| (i, j)))
            .map(|(i, j)| h[i] * g[i][j] * h[j])
            .sum::<f64>()
            / 4.0;
        let iso = (-crate::structure::EIGHT_PI_SQUARED * 0.012 * s2).exp();
        assert!((debye_waller(&fractional(&u, &cell), h) - iso).abs() < 1e-14);
    }

    #[test]
    fn site_symmetry_constraints_match_the_tables() {
        let close = |a: &[[f64; 6]], b: &[[f64; 6]]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(u, v)| u.iter().zip(v).all(|(x, y)| (x - y).abs() < 1e-12))
        };
        // P 63/m, 4f (1/3, 2/3, z), site symmetry 3: U11 = U22 = 2 U12, U13 = U23 = 0.
        let hex = SpaceGroup::from_hm("P 63/m").unwrap();
        let b = adp_basis(&hex, &hexagonal(), [1.0 / 3.0, 2.0 / 3.0, 0.0012]);
        assert!(
            close(
                &b,
                &[
                    [1.0, 1.0, 0.0, 0.5, 0.0, 0.0],
                    [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
                ]
            ),
            "{b:?}"
        );
        // General position: all six free.
        assert_eq!(adp_basis(&hex, &hexagonal(), [0.1, 0.2, 0.3]).len(), 6);
        // P n m a, 4c (x, 1/4, z), mirror ⊥ b: U12 = U23 = 0.
        let ortho = Cell::new(8.48, 5.40, 6.96, 90.0, 90.0, 90.0).unwrap();
        let pnma = SpaceGroup::from_hm("P n m a").unwrap();
        let b = adp_basis(&pnma, &ortho, [0.188, 0.25, 0.167]);
        let free: Vec<usize> = b
            .iter()
            .map(|v| v.iter().position(|x| *x != 0.0).unwrap())
            .collect();
        assert_eq!(free, [0, 1, 2, 4]);
        // F m -3 m, 4a: isotropic only.
        let cubic = Cell::new(5.64, 5.64, 5.64, 90.0, 90.0, 90.0).unwrap();
        let fm3m = SpaceGroup::from_hm("F m -3 m").unwrap();
        let b = adp_basis(&fm3m, &cubic, [0.0; 3]);
        assert!(close(&b, &[[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]]), "{b:?}");
    }
}
