//! The unit cell: edges `a, b, c` (Å) and angles `α, β, γ` (degrees), the direct metric
//! tensor `G` (`G_ij = a_i · a_j`), its inverse the reciprocal metric `G*`, volume
//! `V = √det G`, and d-spacings `1/d² = hᵀ G* h`.
//!
//! Refinement works on the six reciprocal-metric terms of GSAS-II,
//! `A = (G*11, G*22, G*33, 2G*12, 2G*13, 2G*23)` (Å⁻²), in which `1/d²` is linear.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Lattice parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Edge `a` (Å).
    pub a: f64,
    /// Edge `b` (Å).
    pub b: f64,
    /// Edge `c` (Å).
    pub c: f64,
    /// Angle `α` between `b` and `c` (degrees).
    pub alpha: f64,
    /// Angle `β` between `a` and `c` (degrees).
    pub beta: f64,
    /// Angle `γ` between `a` and `b` (degrees).
    pub gamma: f64,
}

impl Cell {
    /// A checked cell.
    ///
    /// # Errors
    /// Non-positive or non-finite edges, angles outside (0, 180), or angles that do not
    /// form a cell (non-positive volume).
    pub fn new(a: f64, b: f64, c: f64, alpha: f64, beta: f64, gamma: f64) -> Result<Self> {
        let cell = Cell {
            a,
            b,
            c,
            alpha,
            beta,
            gamma,
        };
        for (name, v) in [("a", a), ("b", b), ("c", c)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::param(
                    format!("cell {name}"),
                    format!("must be > 0 Å, got {v}"),
                ));
            }
        }
        for (name, v) in [("alpha", alpha), ("beta", beta), ("gamma", gamma)] {
            if !(v.is_finite() && v > 0.0 && v < 180.0) {
                return Err(Error::param(
                    format!("cell {name}"),
                    format!("must be in (0, 180) degrees, got {v}"),
                ));
            }
        }
        // det G / (abc)² = 1 - cos²α - cos²β - cos²γ + 2 cosα cosβ cosγ must be > 0.
        let det = det3(&cell.metric()) / (a * b * c).powi(2);
        if det.is_nan() || det <= 1e-12 {
            return Err(Error::param(
                "cell angles",
                "these angles do not form a cell",
            ));
        }
        Ok(cell)
    }

    /// The direct metric tensor `G` (Å²).
    pub fn metric(&self) -> [[f64; 3]; 3] {
        let (ca, cb, cg) = (
            self.alpha.to_radians().cos(),
            self.beta.to_radians().cos(),
            self.gamma.to_radians().cos(),
        );
        let (a, b, c) = (self.a, self.b, self.c);
        [
            [a * a, a * b * cg, a * c * cb],
            [a * b * cg, b * b, b * c * ca],
            [a * c * cb, b * c * ca, c * c],
        ]
    }

    /// Cell volume (Å³).
    pub fn volume(&self) -> f64 {
        det3(&self.metric()).sqrt()
    }

    /// The reciprocal metric tensor `G* = G⁻¹` (Å⁻²).
    pub fn reciprocal_metric(&self) -> [[f64; 3]; 3] {
        invert3(&self.metric())
    }

    /// The six terms `A = (G*11, G*22, G*33, 2G*12, 2G*13, 2G*23)` (Å⁻²).
    pub fn to_a(&self) -> [f64; 6] {
        let g = self.reciprocal_metric();
        [
            g[0][0],
            g[1][1],
            g[2][2],
            2.0 * g[0][1],
            2.0 * g[0][2],
            2.0 * g[1][2],
        ]
    }

    /// The cell of reciprocal-metric terms `A`.
    ///
    /// # Errors
    /// Terms that do not form a positive-definite metric.
    pub fn from_a(a: &[f64; 6]) -> Result<Self> {
        let gs = [
            [a[0], a[3] / 2.0, a[4] / 2.0],
            [a[3] / 2.0, a[1], a[5] / 2.0],
            [a[4] / 2.0, a[5] / 2.0, a[2]],
        ];
        let det = det3(&gs);
        if det.is_nan() || det <= 0.0 || gs[0][0] <= 0.0 {
            return Err(Error::param(
                "cell A terms",
                "not a positive-definite reciprocal metric",
            ));
        }
        let g = invert3(&gs);
        let (la, lb, lc) = (g[0][0].sqrt(), g[1][1].sqrt(), g[2][2].sqrt());
        let angle = |gij: f64, x: f64, y: f64| (gij / (x * y)).clamp(-1.0, 1.0).acos().to_degrees();
        Cell::new(
            la,
            lb,
            lc,
            angle(g[1][2], lb, lc),
            angle(g[0][2], la, lc),
            angle(g[0][1], la, lb),
        )
    }

    /// `1/d²` (Å⁻²) of reflection `h`.
    pub fn inv_d_squared(&self, h: [i32; 3]) -> f64 {
        inv_d_squared(&self.to_a(), h)
    }

    /// The d-spacing (Å) of reflection `h` (infinite for `000`).
    pub fn d_spacing(&self, h: [i32; 3]) -> f64 {
        1.0 / self.inv_d_squared(h).sqrt()
    }
}

/// `1/d² = A0 h² + A1 k² + A2 l² + A3 hk + A4 hl + A5 kl` (Å⁻²).
pub fn inv_d_squared(a: &[f64; 6], h: [i32; 3]) -> f64 {
    let [h, k, l] = h.map(f64::from);
    a[0] * h * h + a[1] * k * k + a[2] * l * l + a[3] * h * k + a[4] * h * l + a[5] * k * l
}

fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Inverse of a 3×3 matrix by cofactors (the caller ensures it is invertible).
fn invert3(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let det = det3(m);
    std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            let (r0, r1) = ((j + 1) % 3, (j + 2) % 3);
            let (c0, c1) = ((i + 1) % 3, (i + 2) % 3);
            (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_orthorhombic_and_hexagonal_d_spacings() {
        let cubic = Cell::new(4.0, 4.0, 4.0, 90.0, 90.0, 90.0).unwrap();
        assert!((cubic.d_spacing([1, 1, 1]) - 4.0 / 3f64.sqrt()).abs() < 1e-12);
        assert!((cubic.volume() - 64.0).abs() < 1e-10);
        let ortho = Cell::new(8.48, 5.398, 6.958, 90.0, 90.0, 90.0).unwrap();
        let expect =
            1.0 / (1.0 / 8.48f64.powi(2) + 4.0 / 5.398f64.powi(2) + 9.0 / 6.958f64.powi(2)).sqrt();
        assert!((ortho.d_spacing([1, 2, 3]) - expect).abs() < 1e-12);
        // Hexagonal: 1/d² = 4/3 (h² + hk + k²)/a² + l²/c²; V = √3/2 a² c.
        let (a, c) = (9.3719, 6.8859);
        let hex = Cell::new(a, a, c, 90.0, 90.0, 120.0).unwrap();
        let inv = 4.0 / 3.0 * (4.0 + 2.0 + 1.0) / (a * a) + 1.0 / (c * c);
        assert!((hex.inv_d_squared([2, 1, 1]) - inv).abs() < 1e-12);
        assert!((hex.volume() - 3f64.sqrt() / 2.0 * a * a * c).abs() < 1e-9);
    }

    #[test]
    fn a_terms_round_trip_for_a_triclinic_cell() {
        let cell = Cell::new(5.1, 6.2, 7.3, 80.0, 95.0, 103.0).unwrap();
        let back = Cell::from_a(&cell.to_a()).unwrap();
        for (x, y) in [
            (cell.a, back.a),
            (cell.b, back.b),
            (cell.c, back.c),
            (cell.alpha, back.alpha),
            (cell.beta, back.beta),
            (cell.gamma, back.gamma),
        ] {
            assert!((x - y).abs() < 1e-10, "{x} vs {y}");
        }
        // G G* = 1.
        let (g, gs) = (cell.metric(), cell.reciprocal_metric());
        for (i, row) in g.iter().enumerate() {
            for j in 0..3 {
                let p: f64 = row.iter().zip(&gs).map(|(a, col)| a * col[j]).sum();
                assert!((p - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn impossible_cells_are_errors() {
        assert!(Cell::new(-1.0, 1.0, 1.0, 90.0, 90.0, 90.0).is_err());
        assert!(Cell::new(1.0, 1.0, 1.0, 180.0, 90.0, 90.0).is_err());
        assert!(Cell::new(1.0, 1.0, 1.0, 120.0, 120.0, 120.0).is_err());
        assert!(Cell::from_a(&[-1.0, 1.0, 1.0, 0.0, 0.0, 0.0]).is_err());
    }
}
