//! The low-dimensional similarity curve `q(d) = 1 / (1 + a d^(2b))` of UMAP, with `a`
//! and `b` fitted to the target curve set by `min_dist` and `spread`:
//!
//! `f(d) = 1` for `d < min_dist`, `f(d) = exp(-(d - min_dist) / spread)` otherwise,
//!
//! by least squares on 300 points `d = linspace(0, 3 spread, 300)` — the fit umap-learn
//! does (`find_ab_params`) — solved here by Gauss-Newton with a Levenberg damping
//! started at `(a, b) = (1, 1)`.

use crate::error::{Error, Result};

/// Number of points of the fit.
const FIT_POINTS: usize = 300;

/// `(a, b)` for `min_dist` and `spread`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `spread > 0` and `0 <= min_dist <= spread` (both
/// finite); [`Error::Numerical`] if the fit does not converge.
pub fn fit_ab(min_dist: f64, spread: f64) -> Result<(f64, f64)> {
    if !(spread.is_finite() && spread > 0.0) {
        return Err(Error::param("spread", format!("{spread} must be > 0")));
    }
    if !(min_dist.is_finite() && (0.0..=spread).contains(&min_dist)) {
        return Err(Error::param(
            "min_dist",
            format!("{min_dist} must be in [0, spread = {spread}]"),
        ));
    }
    let x: Vec<f64> = (0..FIT_POINTS)
        .map(|i| 3.0 * spread * i as f64 / (FIT_POINTS - 1) as f64)
        .collect();
    let y: Vec<f64> = x
        .iter()
        .map(|&d| {
            if d < min_dist {
                1.0
            } else {
                (-(d - min_dist) / spread).exp()
            }
        })
        .collect();
    levenberg_marquardt(&x, &y)
}

/// Residuals `q(x_i) - y_i` and their Jacobian columns `dq/da`, `dq/db`.
fn residuals(x: &[f64], y: &[f64], a: f64, b: f64) -> (Vec<f64>, Vec<[f64; 2]>) {
    x.iter()
        .zip(y)
        .map(|(&d, &t)| {
            if d <= 0.0 {
                return (1.0 - t, [0.0, 0.0]);
            }
            let p = d.powf(2.0 * b);
            let q = 1.0 / (1.0 + a * p);
            let dq = -q * q;
            (q - t, [dq * p, dq * a * p * 2.0 * d.ln()])
        })
        .unzip()
}

fn sum_sq(r: &[f64]) -> f64 {
    r.iter().map(|v| v * v).sum()
}

/// Minimises `sum (q(x_i) - y_i)^2` over `(a, b)` with Levenberg-Marquardt steps
/// `(J^T J + lambda diag(J^T J)) delta = -J^T r`.
fn levenberg_marquardt(x: &[f64], y: &[f64]) -> Result<(f64, f64)> {
    let (mut a, mut b) = (1.0, 1.0);
    let mut lambda = 1e-3;
    let (mut r, mut jac) = residuals(x, y, a, b);
    let mut cost = sum_sq(&r);
    for _ in 0..500 {
        let mut jtj = [[0.0; 2]; 2];
        let mut jtr = [0.0; 2];
        for (ri, ji) in r.iter().zip(&jac) {
            for p in 0..2 {
                jtr[p] += ji[p] * ri;
                for q in 0..2 {
                    jtj[p][q] += ji[p] * ji[q];
                }
            }
        }
        let m00 = jtj[0][0] * (1.0 + lambda);
        let m11 = jtj[1][1] * (1.0 + lambda);
        let det = m00 * m11 - jtj[0][1] * jtj[1][0];
        if det.abs() < f64::MIN_POSITIVE {
            break;
        }
        let da = -(m11 * jtr[0] - jtj[0][1] * jtr[1]) / det;
        let db = -(m00 * jtr[1] - jtj[1][0] * jtr[0]) / det;
        let (na, nb) = (a + da, b + db);
        let (nr, njac) = residuals(x, y, na, nb);
        let new_cost = sum_sq(&nr);
        if na > 0.0 && nb > 0.0 && new_cost <= cost {
            let converged = (cost - new_cost) <= 1e-15 * cost.max(1e-300)
                && da.abs() <= 1e-12 * a
                && db.abs() <= 1e-12 * b;
            (a, b, r, jac, cost) = (na, nb, nr, njac, new_cost);
            lambda = (lambda * 0.1).max(1e-12);
            if converged {
                return Ok((a, b));
            }
        } else {
            lambda *= 10.0;
            if lambda > 1e12 {
                return Ok((a, b));
            }
        }
    }
    if a.is_finite() && b.is_finite() {
        Ok((a, b))
    } else {
        Err(Error::numerical("a, b fit", "did not converge"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// umap-learn 0.5.12 `find_ab_params(spread, min_dist)` (scipy `curve_fit`),
    /// measured values quoted in `shared/notes/similarity-and-manifolds.md` §3.2.
    #[test]
    fn matches_umap_learn() {
        for (min_dist, a_ref, b_ref) in [
            (0.1, 1.5769, 0.8951),
            (0.0, 1.9328, 0.7905),
            (0.25, 1.1214, 1.0575),
            (0.5, 0.5830, 1.3342),
        ] {
            let (a, b) = fit_ab(min_dist, 1.0).expect("fit");
            assert!(
                (a - a_ref).abs() < 1e-4,
                "min_dist {min_dist}: a {a} vs {a_ref}"
            );
            assert!(
                (b - b_ref).abs() < 1e-4,
                "min_dist {min_dist}: b {b} vs {b_ref}"
            );
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(fit_ab(0.1, 0.0).is_err());
        assert!(fit_ab(2.0, 1.0).is_err());
        assert!(fit_ab(f64::NAN, 1.0).is_err());
    }
}
