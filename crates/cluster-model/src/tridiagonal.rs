//! Eigenvalues and first eigenvector components of a symmetric tridiagonal matrix by
//! the implicit QL method with Wilkinson-type shifts.
//!
//! Used to turn Lanczos coefficients into poles and weights (Gauss quadrature of the
//! spectral measure): with `T` the tridiagonal Lanczos matrix of `H` started from
//! `phi`, the eigenvalues `theta_k` of `T` and the squared first components `z_k^2`
//! give `<phi|f(H)|phi> ~ ||phi||^2 sum_k z_k^2 f(theta_k)`, exact for polynomials up
//! to degree `2m - 1`.

use crate::error::{Error, Result};

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `diag` and
/// off-diagonal `off` (`off[i]` couples `i` and `i + 1`; `off.len() == diag.len() - 1`),
/// and the squared first component of each normalised eigenvector, as `(theta, z^2)`
/// pairs (unsorted).
///
/// # Errors
/// [`Error::Numerical`] if an eigenvalue does not converge within 60 sweeps.
pub fn eigen_first_components(diag: &[f64], off: &[f64]) -> Result<Vec<(f64, f64)>> {
    let n = diag.len();
    let mut d = diag.to_vec();
    let mut e: Vec<f64> = off
        .iter()
        .copied()
        .chain(std::iter::once(0.0))
        .take(n)
        .collect();
    // z holds the first row of the accumulated rotation matrix.
    let mut z = vec![0.0; n];
    if n > 0 {
        z[0] = 1.0;
    }
    for l in 0..n {
        let mut sweeps = 0;
        loop {
            // Smallest m >= l where the matrix splits.
            let mut m = l;
            while m + 1 < n {
                let scale = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * scale {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            sweeps += 1;
            if sweeps > 60 {
                return Err(Error::Numerical {
                    routine: "tridiagonal QL".into(),
                    message: format!("eigenvalue {l} did not converge"),
                });
            }
            sweep(&mut d, &mut e, &mut z, l, m);
        }
    }
    Ok(d.into_iter().zip(z).map(|(t, c)| (t, c * c)).collect())
}

/// One implicit QL sweep on the unreduced block `l ..= m`, shifted towards the
/// eigenvalue of the leading 2x2 block closest to `d[l]`.
fn sweep(d: &mut [f64], e: &mut [f64], z: &mut [f64], l: usize, m: usize) {
    let g0 = (d[l + 1] - d[l]) / (2.0 * e[l]);
    let r0 = g0.hypot(1.0);
    let mut g = d[m] - d[l] + e[l] / (g0 + r0.copysign(g0));
    let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
    let mut i = m;
    while i > l {
        i -= 1;
        let f = s * e[i];
        let b = c * e[i];
        // sqrt of the sum of squares: the entries are energies of order 1-1000 eV, far
        // from overflow, and this is several times faster than `hypot`.
        let r = (f * f + g * g).sqrt();
        e[i + 1] = r;
        if r == 0.0 {
            // Underflow: the block splits here; finish this sweep early.
            d[i + 1] -= p;
            e[m] = 0.0;
            return;
        }
        s = f / r;
        c = g / r;
        let h = d[i + 1] - p;
        let t = (d[i] - h) * s + 2.0 * c * b;
        p = s * t;
        d[i + 1] = h + p;
        g = c * t - b;
        let zf = z[i + 1];
        z[i + 1] = s * z[i] + c * zf;
        z[i] = c * z[i] - s * zf;
    }
    d[l] -= p;
    e[l] = g;
    e[m] = 0.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_spectrum() {
        // Tridiagonal with 2 on the diagonal and -1 off it: eigenvalues
        // 2 - 2 cos(k pi / (n + 1)), first components sqrt(2/(n+1)) sin(k pi/(n+1)).
        let n = 40;
        let mut got = eigen_first_components(&vec![2.0; n], &vec![-1.0; n - 1]).unwrap();
        got.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (k, (theta, z2)) in got.iter().enumerate() {
            let x = (k + 1) as f64 * std::f64::consts::PI / (n + 1) as f64;
            assert!((theta - (2.0 - 2.0 * x.cos())).abs() < 1e-12);
            assert!((z2 - 2.0 / (n + 1) as f64 * x.sin().powi(2)).abs() < 1e-12);
        }
        let total: f64 = got.iter().map(|g| g.1).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn handles_split_and_tiny_matrices() {
        let got = eigen_first_components(&[1.0, 5.0, 3.0], &[0.0, 0.5]).unwrap();
        let w: f64 = got
            .iter()
            .filter(|g| (g.0 - 1.0).abs() < 1e-12)
            .map(|g| g.1)
            .sum();
        assert!((w - 1.0).abs() < 1e-12, "{got:?}");
        assert_eq!(
            eigen_first_components(&[7.0], &[]).unwrap(),
            vec![(7.0, 1.0)]
        );
        assert!(eigen_first_components(&[], &[]).unwrap().is_empty());
    }
}
