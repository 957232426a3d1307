//! Symmetric least-squares systems `A x = b` solved by a pseudo-inverse: `A` is scaled
//! to unit diagonal, decomposed into eigenpairs, and directions with eigenvalues below
//! `rcond × λ_max` are dropped (as GSAS-II drops "SVD zeros"), so strongly correlated or
//! redundant parameters do not blow the step up.

use faer::{Mat, Side};

use crate::{Error, Result};

/// Relative eigenvalue floor of the pseudo-inverse.
pub const RCOND: f64 = 1e-10;

/// The solution of `A x = b` and the pseudo-inverse of `A` (row-major `n × n`), with the
/// number of dropped directions.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// `x`.
    pub x: Vec<f64>,
    /// `A⁺`, row-major.
    pub inverse: Vec<f64>,
    /// Directions dropped as singular.
    pub dropped: usize,
}

/// Solves the symmetric system `a` (row-major `n × n`) `x = b`.
///
/// # Errors
/// A non-positive diagonal element (a parameter with no effect on the pattern) or an
/// eigensolver failure.
pub fn solve_symmetric(a: &[f64], b: &[f64]) -> Result<Solution> {
    let n = b.len();
    let scale: Vec<f64> = (0..n).map(|i| a[i * n + i].sqrt()).collect();
    if let Some(i) = scale.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(Error::param(
            format!("parameter {}", i + 1),
            "has no effect on the calculated pattern",
        ));
    }
    let m = Mat::from_fn(n, n, |i, j| a[i * n + j] / (scale[i] * scale[j]));
    let evd = m
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::param("normal matrix", format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (evd.U(), evd.S().column_vector());
    let max = (0..n).map(|k| s[k].abs()).fold(0.0, f64::max);
    let keep: Vec<usize> = (0..n).filter(|&k| s[k] > RCOND * max).collect();
    let mut inverse = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let v: f64 = keep.iter().map(|&k| u[(i, k)] * u[(j, k)] / s[k]).sum();
            inverse[i * n + j] = v / (scale[i] * scale[j]);
        }
    }
    let x = (0..n)
        .map(|i| (0..n).map(|j| inverse[i * n + j] * b[j]).sum())
        .collect();
    Ok(Solution {
        x,
        inverse,
        dropped: n - keep.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_and_drops_singular_directions() {
        let a = [4.0, 1.0, 1.0, 3.0];
        let s = solve_symmetric(&a, &[1.0, 2.0]).unwrap();
        // Exact: x = (1/11, 7/11); A⁻¹ = [3, -1; -1, 4] / 11.
        assert!((s.x[0] - 1.0 / 11.0).abs() < 1e-14 && (s.x[1] - 7.0 / 11.0).abs() < 1e-14);
        assert!((s.inverse[1] + 1.0 / 11.0).abs() < 1e-14 && s.dropped == 0);
        // Two identical parameters: one direction dropped, the step shared equally.
        let s = solve_symmetric(&[1.0, 1.0, 1.0, 1.0], &[2.0, 2.0]).unwrap();
        assert_eq!(s.dropped, 1);
        assert!((s.x[0] - 1.0).abs() < 1e-12 && (s.x[1] - 1.0).abs() < 1e-12);
        assert!(solve_symmetric(&[0.0, 0.0, 0.0, 1.0], &[1.0, 1.0]).is_err());
    }
}
