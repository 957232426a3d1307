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

/// Solves the symmetric system `a` (row-major `n × n`) `x = b`. A variable whose
/// diagonal element is zero (a parameter without effect at this point) gets a zero step
/// and zero variance and counts as dropped.
///
/// # Errors
/// Non-finite elements or an eigensolver failure.
pub fn solve_symmetric(a: &[f64], b: &[f64]) -> Result<Solution> {
    let n = b.len();
    if let Some(i) =
        (0..n).find(|&i| !b[i].is_finite() || (0..n).any(|j| !a[i * n + j].is_finite()))
    {
        return Err(Error::param(
            format!("parameter {}", i + 1),
            "its derivative is not finite",
        ));
    }
    let scale: Vec<f64> = (0..n).map(|i| a[i * n + i].max(0.0).sqrt()).collect();
    let inactive = scale.iter().filter(|&&s| s == 0.0).count();
    // Inactive variables get a unit diagonal and no coupling, then zero step and variance.
    let m = Mat::from_fn(n, n, |i, j| match (scale[i] > 0.0, scale[j] > 0.0) {
        (true, true) => a[i * n + j] / (scale[i] * scale[j]),
        _ => f64::from(u8::from(i == j)),
    });
    let evd = m
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::param("normal matrix", format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (evd.U(), evd.S().column_vector());
    let max = (0..n).map(|k| s[k].abs()).fold(0.0, f64::max);
    let keep: Vec<usize> = (0..n).filter(|&k| s[k] > RCOND * max).collect();
    let mut inverse = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            if scale[i] > 0.0 && scale[j] > 0.0 {
                let v: f64 = keep.iter().map(|&k| u[(i, k)] * u[(j, k)] / s[k]).sum();
                inverse[i * n + j] = v / (scale[i] * scale[j]);
            }
        }
    }
    let x = (0..n)
        .map(|i| (0..n).map(|j| inverse[i * n + j] * b[j]).sum())
        .collect();
    Ok(Solution {
        x,
        inverse,
        dropped: n - keep.len() + inactive,
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
        // A variable without effect: zero step, the other solved alone.
        let s = solve_symmetric(&[0.0, 0.0, 0.0, 2.0], &[0.0, 1.0]).unwrap();
        assert!(s.x[0] == 0.0 && (s.x[1] - 0.5).abs() < 1e-15 && s.dropped == 1);
        assert!(solve_symmetric(&[f64::NAN, 0.0, 0.0, 1.0], &[1.0, 1.0]).is_err());
    }
}
