//! Symmetry constraints as null spaces: the cell terms `A` allowed by a Laue group
//! (`R G* Rᵀ = G*` for every rotation `R`) and the displacements `δ` of an atom allowed by
//! its site symmetry (`R δ = δ` for every operation that fixes the site). Each is
//! `{v : M v = 0}` for a small integer-like matrix `M`; the basis comes from the reduced
//! row-echelon form, so its vectors are simple (`(1, 1, 1, 0, 0, 0)` for a cubic cell,
//! `(1, 0, 0)` and `(0, 0, 1)` for a site `(x, 1/4, z)`).

use crate::symmetry::{SpaceGroup, SymOp};

/// Pivot tolerance of the row reduction.
const PIVOT_TOL: f64 = 1e-9;

/// A basis of `{v ∈ ℝⁿ : rows · v = 0}`, one vector per free variable of the reduced
/// row-echelon form (the free variable set to 1, the others to 0), ordered by the first
/// non-zero component.
pub fn null_space(rows: &[Vec<f64>], n: usize) -> Vec<Vec<f64>> {
    let mut m: Vec<Vec<f64>> = rows.iter().map(|r| r[..n].to_vec()).collect();
    let mut pivots: Vec<usize> = Vec::new();
    let mut row = 0;
    for col in 0..n {
        let Some(p) = (row..m.len()).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
        else {
            break;
        };
        if m[p][col].abs() < PIVOT_TOL {
            continue;
        }
        m.swap(row, p);
        let lead = m[row][col];
        m[row].iter_mut().for_each(|v| *v /= lead);
        for r in 0..m.len() {
            if r != row && m[r][col].abs() > 0.0 {
                let factor = m[r][col];
                let pivot_row = m[row].clone();
                m[r].iter_mut()
                    .zip(&pivot_row)
                    .for_each(|(v, p)| *v -= factor * p);
            }
        }
        pivots.push(col);
        row += 1;
    }
    let mut basis: Vec<Vec<f64>> = (0..n)
        .filter(|c| !pivots.contains(c))
        .map(|free| {
            let mut v = vec![0.0; n];
            v[free] = 1.0;
            for (r, &pc) in pivots.iter().enumerate() {
                // `0.0 - 0.0` keeps zeros positive.
                v[pc] = 0.0 - m[r][free];
            }
            v
        })
        .collect();
    basis.sort_by_key(|v| v.iter().position(|x| x.abs() > PIVOT_TOL));
    basis
}

/// Free directions of the six cell terms `A = (G*11, G*22, G*33, 2G*12, 2G*13, 2G*23)`.
pub fn cell_basis(group: &SpaceGroup) -> Vec<[f64; 6]> {
    // Index of G*_ij in A, and the factor: G*_ii = A_i, G*_ij = A_k / 2.
    let term = |i: usize, j: usize| -> (usize, f64) {
        match (i.min(j), i.max(j)) {
            (0, 0) => (0, 1.0),
            (1, 1) => (1, 1.0),
            (2, 2) => (2, 1.0),
            (0, 1) => (3, 0.5),
            (0, 2) => (4, 0.5),
            _ => (5, 0.5),
        }
    };
    let mut rows = Vec::new();
    for op in group.operations() {
        let r = op.rotation.map(|row| row.map(f64::from));
        // (R G* Rᵀ)_ij − G*_ij = 0 for i ≤ j.
        for i in 0..3 {
            for j in i..3 {
                let mut row = vec![0.0; 6];
                for k in 0..3 {
                    for l in 0..3 {
                        let (t, f) = term(k, l);
                        row[t] += r[i][k] * r[j][l] * f;
                    }
                }
                let (t, f) = term(i, j);
                row[t] -= f;
                rows.push(row);
            }
        }
    }
    null_space(&rows, 6)
        .into_iter()
        .map(|v| std::array::from_fn(|i| v[i]))
        .collect()
}

/// The operations of `group` that map `x` onto itself modulo lattice translations (its
/// site-symmetry group).
pub fn site_symmetry(group: &SpaceGroup, x: [f64; 3]) -> impl Iterator<Item = &SymOp> {
    group.operations().iter().filter(move |op| {
        let y = op.apply(x);
        (0..3).all(|i| {
            let d = y[i] - x[i];
            (d - d.round()).abs() < 1e-4
        })
    })
}

/// Free directions of the position of an atom at `x`: `R δ = δ` for the operations
/// that map `x` onto itself (modulo lattice translations).
pub fn site_basis(group: &SpaceGroup, x: [f64; 3]) -> Vec<[f64; 3]> {
    let mut rows = Vec::new();
    for op in site_symmetry(group, x) {
        for i in 0..3 {
            let mut row: Vec<f64> = op.rotation[i].iter().map(|&v| f64::from(v)).collect();
            row[i] -= 1.0;
            rows.push(row);
        }
    }
    null_space(&rows, 3)
        .into_iter()
        .map(|v| std::array::from_fn(|i| v[i]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_terms_by_crystal_system() {
        let basis = |symbol: &str| cell_basis(&SpaceGroup::from_hm(symbol).unwrap());
        assert_eq!(basis("P m -3 m"), vec![[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]]);
        assert_eq!(basis("I a -3").len(), 1);
        assert_eq!(
            basis("P 4/m m m"),
            vec![
                [1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
            ]
        );
        // Hexagonal: A0 = A1 = A3 (1/d² = 4/3a² (h² + hk + k²) + l²/c²).
        assert_eq!(
            basis("P 63/m"),
            vec![
                [1.0, 1.0, 0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
            ]
        );
        assert_eq!(basis("P n m a").len(), 3);
        // Monoclinic, unique axis b: A0, A1, A2 and A4 (2G*13).
        assert_eq!(basis("P 21/c").len(), 4);
        assert_eq!(basis("P -1").len(), 6);
    }

    #[test]
    fn site_freedom_by_wyckoff_position() {
        let pnma = SpaceGroup::from_hm("P n m a").unwrap();
        // 4c (x, 1/4, z) on the mirror: x and z free.
        assert_eq!(
            site_basis(&pnma, [0.188, 0.25, 0.167]),
            vec![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
        );
        assert_eq!(site_basis(&pnma, [0.085, 0.026, 0.806]).len(), 3);
        let ia3 = SpaceGroup::from_hm("I a -3").unwrap();
        // 8b (1/4, 1/4, 1/4): fixed; 24d (x, 0, 1/4): x free.
        assert!(site_basis(&ia3, [0.25; 3]).is_empty());
        assert_eq!(site_basis(&ia3, [0.9673, 0.0, 0.25]), vec![[1.0, 0.0, 0.0]]);
        let pm3m = SpaceGroup::from_hm("P m -3 m").unwrap();
        // LaB6 6f (x, 1/2, 1/2).
        assert_eq!(site_basis(&pm3m, [0.1993, 0.5, 0.5]), vec![[1.0, 0.0, 0.0]]);
        // (x, x, x) on the 3-fold axis of F m -3 m (32f).
        let fm3m = SpaceGroup::from_hm("F m -3 m").unwrap();
        assert_eq!(site_basis(&fm3m, [0.3; 3]), vec![[1.0, 1.0, 1.0]]);
    }
}
