//! Eigenvalues of a symmetric tridiagonal matrix by the implicit QL method with
//! Wilkinson-type shifts, with the plane rotations that make up its eigenvectors.
//!
//! The QL iteration turns `T` into `Λ = Zᵀ T Z` with `Z = R₁ R₂ ⋯ R_K`, a product of
//! plane rotations. Two uses follow without ever forming `Z`:
//! * the first row of `Z` ([`eigen_first_components`]) turns Lanczos coefficients into
//!   poles and weights (Gauss quadrature of the spectral measure): with `T` the
//!   tridiagonal Lanczos matrix of `H` started from `phi`, the eigenvalues `theta_k` and
//!   the squared first components `z_k^2` give
//!   `<phi|f(H)|phi> ~ ||phi||^2 sum_k z_k^2 f(theta_k)`, exact for polynomials up to
//!   degree `2m - 1`;
//! * the recorded rotations ([`eigen_rotations_many`], [`Rotation`]) give single columns of
//!   `Z` (eigenvectors) or the products `Zᵀ y` (projections of vectors on all
//!   eigenvectors) in `O(K)` operations each, `K ≈ n²`, instead of the `O(n³)` of
//!   accumulating `Z` whole.

use crate::error::{Error, Result};

/// One plane rotation of the QL iteration acting on coordinates `i` and `i + 1`:
/// a row vector `z` becomes `z R` with
/// `(z_i, z_(i+1)) -> (c z_i - s z_(i+1), s z_i + c z_(i+1))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rotation {
    /// First of the two coordinates.
    pub i: usize,
    /// Cosine.
    pub c: f64,
    /// Sine.
    pub s: f64,
}

impl Rotation {
    /// `(a, b) R` for the pair of row-vector components `(z_i, z_(i+1))`.
    #[inline(always)]
    fn row_pair(&self, a: f64, b: f64) -> (f64, f64) {
        (self.c * a - self.s * b, self.s * a + self.c * b)
    }

    /// `z R` for a row vector stored with stride `m`: rows `i` and `i + 1` of an
    /// `n x m` row-major matrix `w` are rotated as a whole (`m` row vectors at once).
    #[inline]
    pub fn apply_to_rows(&self, w: &mut [f64], m: usize) {
        let (head, tail) = w.split_at_mut((self.i + 1) * m);
        for (x, y) in head[self.i * m..].iter_mut().zip(&mut tail[..m]) {
            (*x, *y) = self.row_pair(*x, *y);
        }
    }

    /// `z R` for a single row vector `z` (as `apply_to_rows(z, 1)`, without its slice
    /// splitting, for the innermost loop of [`eigen_first_components_many`]).
    #[inline(always)]
    pub fn apply_to_row(&self, z: &mut [f64]) {
        (z[self.i], z[self.i + 1]) = self.row_pair(z[self.i], z[self.i + 1]);
    }

    /// `R x` for a column vector `x` (the transposed action: `Rᵀ` on rows).
    #[inline]
    pub fn apply_to_column(&self, x: &mut [f64]) {
        let (a, b) = (x[self.i], x[self.i + 1]);
        x[self.i] = self.c * a + self.s * b;
        x[self.i + 1] = -self.s * a + self.c * b;
    }
}

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `diag` and
/// off-diagonal `off` (`off[i]` couples `i` and `i + 1`; `off.len() == diag.len() - 1`),
/// and the squared first component of each normalised eigenvector, as `(theta, z^2)`
/// pairs (unsorted).
///
/// # Errors
/// [`Error::Numerical`] if an eigenvalue does not converge within 60 sweeps.
pub fn eigen_first_components(diag: &[f64], off: &[f64]) -> Result<Vec<(f64, f64)>> {
    Ok(eigen_first_components_many(&[(diag, off)])?.remove(0))
}

/// [`eigen_first_components`] of several independent matrices at once (see
/// [`eigen_rotations_many`] for why this is faster than one after the other).
///
/// # Errors
/// As [`eigen_first_components`].
pub fn eigen_first_components_many(matrices: &[(&[f64], &[f64])]) -> Result<Vec<Vec<(f64, f64)>>> {
    // z holds the first row of the accumulated rotation matrix.
    let mut rows: Vec<Vec<f64>> = matrices
        .iter()
        .map(|(d, _)| {
            (0..d.len())
                .map(|i| if i == 0 { 1.0 } else { 0.0 })
                .collect()
        })
        .collect();
    let values = ql_many(matrices, |k, r| r.apply_to_row(&mut rows[k]))?;
    Ok(values
        .into_iter()
        .zip(rows)
        .map(|(d, z)| d.into_iter().zip(z).map(|(t, c)| (t, c * c)).collect())
        .collect())
}

/// Eigenvalues `λ_j` (unsorted) of each symmetric tridiagonal matrix `(diag, off)`,
/// and the rotations `R₁ … R_K` of each in the order they were made: eigenvector `j`
/// is column `j` of `Z = R₁ R₂ ⋯ R_K` (see [`column()`]).
///
/// The matrices are iterated in lockstep, one rotation of each in turn. A rotation
/// needs a square root and a division that depend on the previous rotation, so one
/// QL iteration alone waits on their latency; independent iterations interleaved
/// overlap some of it (a NiO XAS evaluation, eight blocks of 28-52 states in two
/// groups of four, took 0.59 ms instead of 0.72 ms, measured with faer's
/// tridiagonalisation before `householder`). Each matrix's arithmetic is the
/// same as when it is iterated alone.
///
/// # Errors
/// As [`eigen_first_components`].
pub fn eigen_rotations_many(
    matrices: &[(&[f64], &[f64])],
) -> Result<Vec<(Vec<f64>, Vec<Rotation>)>> {
    // About n² rotations: two sweeps of average length n/2 per eigenvalue.
    let mut rotations: Vec<Vec<Rotation>> = matrices
        .iter()
        .map(|(d, _)| Vec::with_capacity(d.len() * d.len()))
        .collect();
    let values = ql_many(matrices, |k, r| rotations[k].push(r))?;
    Ok(values.into_iter().zip(rotations).collect())
}

/// Column `j` of `Z = R₁ R₂ ⋯ R_K` (a normalised eigenvector of the tridiagonal
/// matrix), written into `x` of length `n`: `R₁ (R₂ (⋯ (R_K e_j)))`.
pub fn column(rotations: &[Rotation], j: usize, x: &mut [f64]) {
    x.fill(0.0);
    x[j] = 1.0;
    for r in rotations.iter().rev() {
        r.apply_to_column(x);
    }
}

/// Runs the QL iterations of all `matrices` in lockstep; rotation `r` of matrix `k` is
/// handed to `rotate(k, r)` in order. Returns the eigenvalues of each.
fn ql_many(
    matrices: &[(&[f64], &[f64])],
    mut rotate: impl FnMut(usize, Rotation),
) -> Result<Vec<Vec<f64>>> {
    let mut iterations: Vec<Ql> = matrices.iter().map(|(d, e)| Ql::new(d, e)).collect();
    let mut active = Vec::with_capacity(iterations.len());
    loop {
        // Bring every unfinished iteration to the middle of a sweep.
        for it in &mut iterations {
            while it.sweep.is_none() && it.l < it.d.len() {
                it.start_sweep()?;
            }
        }
        active.clear();
        active.extend((0..iterations.len()).filter(|&k| iterations[k].sweep.is_some()));
        let Some(steps) = active
            .iter()
            .filter_map(|&k| iterations[k].remaining())
            .min()
        else {
            return Ok(iterations.into_iter().map(|it| it.d).collect());
        };
        // Straight-line rounds, one rotation of each, until the first sweep ends.
        for _ in 0..steps {
            for &k in &active {
                if let Some(r) = iterations[k].rotation() {
                    rotate(k, r);
                }
            }
        }
    }
}

/// The implicit QL iteration with Wilkinson-type shifts on one tridiagonal matrix, as
/// a state machine that advances one rotation per [`Ql::rotation`].
struct Ql {
    d: Vec<f64>,
    e: Vec<f64>,
    /// Eigenvalues `0..l` have converged; done when `l == n`.
    l: usize,
    /// Last index of the unreduced block of the sweep in progress.
    m: usize,
    /// Sweeps spent on eigenvalue `l`.
    sweeps: usize,
    /// Sweep in progress: next rotation acts on `i - 1, i`; `None` between sweeps.
    sweep: Option<Sweep>,
}

/// State carried from one rotation of a sweep to the next.
#[derive(Clone, Copy)]
struct Sweep {
    i: usize,
    s: f64,
    c: f64,
    p: f64,
    g: f64,
}

impl Ql {
    fn new(diag: &[f64], off: &[f64]) -> Self {
        let n = diag.len();
        Ql {
            d: diag.to_vec(),
            e: off
                .iter()
                .copied()
                .chain(std::iter::once(0.0))
                .take(n)
                .collect(),
            l: 0,
            m: 0,
            sweeps: 0,
            sweep: None,
        }
    }

    /// Rotations left in the sweep in progress.
    fn remaining(&self) -> Option<usize> {
        self.sweep.map(|sw| sw.i - self.l)
    }

    /// The next rotation of the sweep in progress (`None` when there is no sweep, or
    /// when the sweep ends early because the block split).
    #[inline(always)]
    fn rotation(&mut self) -> Option<Rotation> {
        let mut sw = self.sweep?;
        let (d, e, l, m) = (&mut self.d, &mut self.e, self.l, self.m);
        sw.i -= 1;
        let i = sw.i;
        let f = sw.s * e[i];
        let b = sw.c * e[i];
        // sqrt of the sum of squares: the entries are energies of order 1-1000 eV, far
        // from overflow, and this is several times faster than `hypot`.
        let r = (f * f + sw.g * sw.g).sqrt();
        e[i + 1] = r;
        if r == 0.0 {
            // Underflow: the block splits here; finish this sweep early.
            d[i + 1] -= sw.p;
            e[m] = 0.0;
            self.sweep = None;
            return None;
        }
        let inv = 1.0 / r;
        sw.s = f * inv;
        sw.c = sw.g * inv;
        let h = d[i + 1] - sw.p;
        let t = (d[i] - h) * sw.s + 2.0 * sw.c * b;
        sw.p = sw.s * t;
        d[i + 1] = h + sw.p;
        sw.g = sw.c * t - b;
        if i == l {
            d[l] -= sw.p;
            e[l] = sw.g;
            e[m] = 0.0;
            self.sweep = None;
        } else {
            self.sweep = Some(sw);
        }
        Some(Rotation {
            i,
            c: sw.c,
            s: sw.s,
        })
    }

    /// Finds the smallest `m >= l` where the matrix splits; when `m == l` eigenvalue
    /// `l` has converged, otherwise a sweep on `l ..= m` begins, shifted towards the
    /// eigenvalue of the leading 2x2 block closest to `d[l]`.
    fn start_sweep(&mut self) -> Result<()> {
        let (d, e, l) = (&self.d, &self.e, self.l);
        let n = d.len();
        let mut m = l;
        while m + 1 < n {
            let scale = d[m].abs() + d[m + 1].abs();
            if e[m].abs() <= f64::EPSILON * scale {
                break;
            }
            m += 1;
        }
        if m == l {
            self.l += 1;
            self.sweeps = 0;
            return Ok(());
        }
        self.sweeps += 1;
        if self.sweeps > 60 {
            return Err(Error::Numerical {
                routine: "tridiagonal QL".into(),
                message: format!("eigenvalue {l} did not converge"),
            });
        }
        let g0 = (d[l + 1] - d[l]) / (2.0 * e[l]);
        // |g0| < 1/ε since e[l] exceeds ε times the diagonal scale here, so g0² cannot
        // overflow and `hypot` (a library call, slower) is not needed.
        let r0 = (g0 * g0 + 1.0).sqrt();
        self.m = m;
        self.sweep = Some(Sweep {
            i: m,
            s: 1.0,
            c: 1.0,
            p: 0.0,
            g: d[m] - d[l] + e[l] / (g0 + r0.copysign(g0)),
        });
        Ok(())
    }
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

    #[test]
    fn recorded_rotations_diagonalise_the_matrix() {
        // T z_j = λ_j z_j for every column of Z, the columns are orthonormal, and the
        // row application Zᵀ y agrees with the columns' dot products.
        let diag = [4.0, -1.0, 2.5, 0.3, 7.0, 2.5];
        let off = [1.0, 0.7, -2.0, 0.0, 0.4];
        let n = diag.len();
        let (values, rotations) = eigen_rotations_many(&[(&diag, &off)]).unwrap().remove(0);
        let mut columns = vec![vec![0.0; n]; n];
        for (j, x) in columns.iter_mut().enumerate() {
            column(&rotations, j, x);
            for i in 0..n {
                let mut tx = diag[i] * x[i];
                if i > 0 {
                    tx += off[i - 1] * x[i - 1];
                }
                if i + 1 < n {
                    tx += off[i] * x[i + 1];
                }
                assert!((tx - values[j] * x[i]).abs() < 1e-13, "column {j}");
            }
        }
        for a in 0..n {
            for b in 0..n {
                let dot: f64 = (0..n).map(|i| columns[a][i] * columns[b][i]).sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-14);
            }
        }
        let y = [0.3, -1.2, 0.8, 2.0, 0.1, -0.5];
        let mut w = y.to_vec();
        for r in &rotations {
            r.apply_to_rows(&mut w, 1);
        }
        for j in 0..n {
            let dot: f64 = (0..n).map(|i| columns[j][i] * y[i]).sum();
            assert!((w[j] - dot).abs() < 1e-14);
        }
    }
}
