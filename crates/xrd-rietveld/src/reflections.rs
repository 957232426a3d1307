//! Reflection lists: every `hkl` with `d ≥ d_min` that is not systematically absent,
//! one representative per set of Laue-equivalent reflections, with its powder
//! multiplicity (the size of the set, Friedel mates included).

use serde::{Deserialize, Serialize};

use crate::lattice::Cell;
use crate::symmetry::SpaceGroup;
use crate::{Error, Result};

/// A unique reflection.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reflection {
    /// Miller indices of the representative (the lexicographically largest equivalent).
    pub hkl: [i32; 3],
    /// Powder multiplicity.
    pub multiplicity: usize,
    /// d-spacing (Å).
    pub d: f64,
}

/// The unique, allowed reflections of `group` in `cell` with `d ≥ d_min` (Å), sorted by
/// decreasing `d` (increasing angle), ties by `hkl`.
///
/// # Errors
/// A non-positive or non-finite `d_min`.
pub fn generate(cell: &Cell, group: &SpaceGroup, d_min: f64) -> Result<Vec<Reflection>> {
    if !(d_min.is_finite() && d_min > 0.0) {
        return Err(Error::param("d_min", format!("must be > 0 Å, got {d_min}")));
    }
    // |h| = |r · a| ≤ |r| |a| for a reciprocal vector r of length 1/d ≤ 1/d_min.
    let limit = |edge: f64| (edge / d_min).floor() as i32;
    let (hmax, kmax, lmax) = (limit(cell.a), limit(cell.b), limit(cell.c));
    let inv_d2_max = 1.0 / (d_min * d_min);
    let a_terms = cell.to_a();
    let mut out = Vec::new();
    for h in -hmax..=hmax {
        for k in -kmax..=kmax {
            for l in -lmax..=lmax {
                let hkl = [h, k, l];
                let inv_d2 = crate::lattice::inv_d_squared(&a_terms, hkl);
                if hkl == [0, 0, 0] || inv_d2 > inv_d2_max * (1.0 + 1e-12) {
                    continue;
                }
                let equivalents = group.equivalent_reflections(hkl);
                let representative = equivalents.iter().copied().max().unwrap_or(hkl);
                if representative != hkl || group.is_absent(hkl) {
                    continue;
                }
                out.push(Reflection {
                    hkl,
                    multiplicity: equivalents.len(),
                    d: 1.0 / inv_d2.sqrt(),
                });
            }
        }
    }
    out.sort_by(|a, b| b.d.total_cmp(&a.d).then(b.hkl.cmp(&a.hkl)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcc_reflections_and_multiplicities() {
        let cell = Cell::new(5.64, 5.64, 5.64, 90.0, 90.0, 90.0).unwrap();
        let group = SpaceGroup::from_hm("F m -3 m").unwrap();
        let refl = generate(&cell, &group, 5.64 / 12f64.sqrt() - 1e-9).unwrap();
        let got: Vec<([i32; 3], usize)> = refl.iter().map(|r| (r.hkl, r.multiplicity)).collect();
        // h, k, l all even or all odd: 111 (8), 200 (6), 220 (12), 311 (24), 222 (8).
        assert_eq!(
            got,
            [
                ([1, 1, 1], 8),
                ([2, 0, 0], 6),
                ([2, 2, 0], 12),
                ([3, 1, 1], 24),
                ([2, 2, 2], 8)
            ]
        );
        // Multiplicities add up to the number of allowed lattice vectors in the sphere.
        assert!(generate(&cell, &group, 0.0).is_err());
    }

    #[test]
    fn multiplicities_count_every_allowed_vector_once() {
        let cell = Cell::new(8.48, 5.398, 6.958, 90.0, 90.0, 90.0).unwrap();
        let group = SpaceGroup::from_hm("P n m a").unwrap();
        let d_min = 1.2;
        let refl = generate(&cell, &group, d_min).unwrap();
        let total: usize = refl.iter().map(|r| r.multiplicity).sum();
        let mut brute = 0;
        for h in -8..=8 {
            for k in -5..=5 {
                for l in -6..=6 {
                    let hkl = [h, k, l];
                    if hkl != [0, 0, 0] && cell.d_spacing(hkl) >= d_min && !group.is_absent(hkl) {
                        brute += 1;
                    }
                }
            }
        }
        assert_eq!(total, brute);
        assert!(refl.windows(2).all(|w| w[0].d >= w[1].d));
    }
}
