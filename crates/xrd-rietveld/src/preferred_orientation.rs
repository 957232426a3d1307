//! March-Dollase preferred orientation (March, Z. Kristallogr. 81, 285 (1932); Dollase,
//! J. Appl. Cryst. 19, 267 (1986)) for flat-plate Bragg-Brentano specimens.
//!
//! Crystallites whose reciprocal direction `H` (the axis) tends to lie along the
//! scattering vector scale each reflection `h` by
//! `P(h) = (1/n) Σ_{h' ≡ h} (r² cos²α' + sin²α'/r)^(-3/2)`, averaged over the `n`
//! symmetry-equivalent reflections `h'` of the powder line, with `α'` the angle between
//! `h'` and `H` in reciprocal space (`cos α = hᵀG*H / (|h| |H|)`, `G*` the reciprocal
//! metric). `r = 1` is a random powder, `r < 1` platelets with `H` along the normal (the
//! axial reflections strengthen), `r > 1` needles. The distribution is normalised:
//! its average over all directions is 1 for every `r`.

use serde::{Deserialize, Serialize};

use crate::lattice::Cell;
use crate::symmetry::SpaceGroup;

/// A March-Dollase texture: reciprocal-lattice axis and ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarchDollase {
    /// Preferred axis `H` as Miller indices (a reciprocal-lattice direction).
    pub axis: [i32; 3],
    /// March ratio `r` (1 = no texture).
    pub ratio: f64,
}

impl MarchDollase {
    /// No texture yet (`r = 1`) about `axis`.
    pub fn new(axis: [i32; 3]) -> Self {
        MarchDollase { axis, ratio: 1.0 }
    }

    /// `P(h)` of the powder line of `h` (see the module docs).
    pub fn correction(&self, group: &SpaceGroup, cell: &Cell, h: [i32; 3]) -> f64 {
        let g = cell.reciprocal_metric();
        let dot = |u: [i32; 3], v: [i32; 3]| -> f64 {
            (0..3)
                .flat_map(|i| (0..3).map(move |j| (i, j)))
                .map(|(i, j)| f64::from(u[i]) * g[i][j] * f64::from(v[j]))
                .sum()
        };
        let axis_norm = dot(self.axis, self.axis).sqrt();
        let equivalents = group.equivalent_reflections(h);
        let sum: f64 = equivalents
            .iter()
            .map(|&e| {
                let cos = dot(e, self.axis) / (dot(e, e).sqrt() * axis_norm);
                march_dollase(self.ratio, cos)
            })
            .sum();
        sum / equivalents.len() as f64
    }
}

/// `(r² cos²α + sin²α / r)^(-3/2)`.
pub fn march_dollase(ratio: f64, cos_alpha: f64) -> f64 {
    let c2 = (cos_alpha * cos_alpha).min(1.0);
    (ratio * ratio * c2 + (1.0 - c2) / ratio).powf(-1.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_normalisation() {
        // Along the axis r⁻³, perpendicular r^{3/2}, and 1 for a random powder.
        let r: f64 = 0.7;
        assert!((march_dollase(r, 1.0) - r.powi(-3)).abs() < 1e-12);
        assert!((march_dollase(r, 0.0) - r.powf(1.5)).abs() < 1e-12);
        assert_eq!(march_dollase(1.0, 0.3), 1.0);
        // Average over the sphere: ∫₀¹ P(cos α) d(cos α) = 1 for any r (midpoint rule).
        for r in [0.4, 0.8, 1.0, 1.5, 3.0] {
            let n = 200_000;
            let mean: f64 = (0..n)
                .map(|i| march_dollase(r, (i as f64 + 0.5) / n as f64))
                .sum::<f64>()
                / n as f64;
            assert!((mean - 1.0).abs() < 1e-6, "r {r}: {mean}");
        }
    }

    #[test]
    fn cubic_lines_average_over_their_equivalents() {
        let group = SpaceGroup::from_hm("P m -3 m").unwrap();
        let cell = Cell::new(4.0, 4.0, 4.0, 90.0, 90.0, 90.0).unwrap();
        let po = MarchDollase {
            axis: [0, 0, 1],
            ratio: 0.8,
        };
        // {100}: two of the six directions along the axis, four perpendicular.
        let expected = (2.0 * 0.8f64.powi(-3) + 4.0 * 0.8f64.powf(1.5)) / 6.0;
        assert!((po.correction(&group, &cell, [1, 0, 0]) - expected).abs() < 1e-12);
        // {111}: every direction at cos²α = 1/3.
        let c = march_dollase(0.8, 1.0 / 3f64.sqrt());
        assert!((po.correction(&group, &cell, [1, 1, 1]) - c).abs() < 1e-12);
    }
}
