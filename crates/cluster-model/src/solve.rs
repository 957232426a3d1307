//! Eigensolvers: dense symmetric eigendecomposition (faer, sequential, reusable
//! workspace) and the Lanczos continued-fraction Green's function.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::{Mat, MatRef, Par};

use crate::error::{Error, Result};
use crate::operator::TermMatrices;

/// Eigenvalues (ascending) and eigenvectors (columns of a column-major matrix).
#[derive(Debug, Clone, PartialEq)]
pub struct Eigen {
    /// Matrix dimension.
    pub dim: usize,
    /// Eigenvalues, ascending.
    pub values: Vec<f64>,
    /// Eigenvectors, column `j` is `vectors[j*dim .. (j+1)*dim]`.
    pub vectors: Vec<f64>,
}

impl Eigen {
    /// Eigenvector `j`.
    pub fn vector(&self, j: usize) -> &[f64] {
        &self.vectors[j * self.dim..(j + 1) * self.dim]
    }
}

/// Buffers reused across dense diagonalisations of one dimension.
pub struct DenseSolver {
    dim: usize,
    dense: Vec<f64>,
    values: Vec<f64>,
    buffer: MemBuffer,
}

impl DenseSolver {
    /// Allocates the workspace for `dim x dim` problems.
    pub fn new(dim: usize) -> Self {
        let req = self_adjoint_evd_scratch::<f64>(
            dim,
            ComputeEigenvectors::Yes,
            Par::Seq,
            Default::default(),
        );
        DenseSolver {
            dim,
            dense: vec![0.0; dim * dim],
            values: Vec::with_capacity(dim),
            buffer: MemBuffer::new(req),
        }
    }

    /// Diagonalises the assembled matrix `values` of `matrices` (plus `constant` on the
    /// diagonal, added to the eigenvalues).
    ///
    /// # Errors
    /// [`Error::Numerical`] when the eigensolver does not converge.
    pub fn solve(
        &mut self,
        matrices: &TermMatrices,
        values: &[f64],
        constant: f64,
    ) -> Result<Eigen> {
        let n = self.dim;
        matrices.scatter_dense(values, &mut self.dense);
        let a = MatRef::from_column_major_slice(&self.dense, n, n);
        let mut u = Mat::<f64>::zeros(n, n);
        let mut s = faer::diag::Diag::<f64>::zeros(n);
        self_adjoint_evd(
            a,
            s.as_mut(),
            Some(u.as_mut()),
            Par::Seq,
            MemStack::new(&mut self.buffer),
            Default::default(),
        )
        .map_err(|e| Error::Numerical {
            routine: "self_adjoint_evd".into(),
            message: format!("{e:?}"),
        })?;
        self.values.clear();
        self.values
            .extend(s.column_vector().iter().map(|v| v + constant));
        let mut vectors = Vec::with_capacity(n * n);
        for j in 0..n {
            vectors.extend(u.col(j).iter().copied());
        }
        Ok(Eigen {
            dim: n,
            values: self.values.clone(),
            vectors,
        })
    }
}

/// Tridiagonal Lanczos coefficients of `H` from a start vector: `alpha` (diagonal),
/// `beta` (off-diagonal, `beta[0]` unused = 0) and the start vector's squared norm.
#[derive(Debug, Clone, PartialEq)]
pub struct Lanczos {
    /// Diagonal `a_k = <v_k|H|v_k>`.
    pub alpha: Vec<f64>,
    /// Off-diagonal `b_k = ||r_k||` (`b_0 = 0`).
    pub beta: Vec<f64>,
    /// `<phi|phi>` of the (unnormalised) start vector.
    pub norm2: f64,
}

impl Lanczos {
    /// Runs at most `max_steps` Lanczos steps of `H` (applied by `matvec`) from `start`,
    /// stopping early when the Krylov space is exhausted (`b_k < 1e-12 ||phi||`).
    /// Full reorthogonalisation is not needed for the continued fraction.
    pub fn run(
        start: &[f64],
        max_steps: usize,
        mut matvec: impl FnMut(&[f64], &mut [f64]),
    ) -> Self {
        let n = start.len();
        let norm2: f64 = start.iter().map(|x| x * x).sum();
        let mut alpha = Vec::new();
        let mut beta = vec![0.0];
        if norm2 == 0.0 {
            return Lanczos { alpha, beta, norm2 };
        }
        let norm = norm2.sqrt();
        let mut v_prev = vec![0.0; n];
        let mut v: Vec<f64> = start.iter().map(|x| x / norm).collect();
        let mut w = vec![0.0; n];
        for k in 0..max_steps.min(n) {
            matvec(&v, &mut w);
            let a: f64 = w.iter().zip(&v).map(|(x, y)| x * y).sum();
            alpha.push(a);
            let b_prev = beta[k];
            for i in 0..n {
                w[i] -= a * v[i] + b_prev * v_prev[i];
            }
            let b = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if b < 1e-12 || k + 1 == max_steps.min(n) {
                break;
            }
            beta.push(b);
            for i in 0..n {
                v_prev[i] = v[i];
                v[i] = w[i] / b;
            }
        }
        beta.truncate(alpha.len());
        Lanczos { alpha, beta, norm2 }
    }

    /// `-Im G(omega + i gamma) / pi` with `G(z) = <phi|(z - H)^-1|phi>` as a continued
    /// fraction: the spectrum broadened by a Lorentzian of HWHM `gamma` (eV).
    pub fn spectral_function(&self, omega: f64, gamma: f64) -> f64 {
        // Evaluate from the bottom: g = 1 / (z - a_k - b_(k+1)^2 g).
        let (mut re, mut im) = (0.0, 0.0);
        for k in (0..self.alpha.len()).rev() {
            let b2 = if k + 1 < self.beta.len() {
                self.beta[k + 1].powi(2)
            } else {
                0.0
            };
            let (dr, di) = (omega - self.alpha[k] - b2 * re, gamma - b2 * im);
            let d = dr * dr + di * di;
            re = dr / d;
            im = -di / d;
        }
        -self.norm2 * im / std::f64::consts::PI
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fock::{Sector, ShellRange};
    use crate::operator::Operator;

    #[test]
    fn lanczos_reproduces_lorentzian_sum_of_a_small_matrix() {
        // Diagonal H with energies 0, 1, 3; start vector weights 1, 2, 3 (squared).
        let e = [0.0, 1.0, 3.0];
        let phi = [1.0, 2.0f64.sqrt(), 3.0f64.sqrt()];
        let l = Lanczos::run(&phi, 10, |x, y| {
            for i in 0..3 {
                y[i] = e[i] * x[i];
            }
        });
        let g = 0.3;
        for omega in [-1.0, 0.5, 2.0, 3.3] {
            let exact: f64 = e
                .iter()
                .zip(&phi)
                .map(|(ei, p)| p * p * g / std::f64::consts::PI / ((omega - ei).powi(2) + g * g))
                .sum();
            assert!((l.spectral_function(omega, g) - exact).abs() < 1e-12);
        }
    }

    #[test]
    fn dense_solver_diagonalises_a_hopping_dimer() {
        // One electron on two orbitals with hopping t: eigenvalues -t, +t.
        let sector = Sector::new(&[ShellRange { offset: 0, size: 2 }], &[vec![1]]).unwrap();
        let op = Operator {
            one_body: vec![(0, 1, 0.7), (1, 0, 0.7)],
            ..Operator::default()
        };
        let m = TermMatrices::new(&[op], &sector);
        let mut v = Vec::new();
        m.assemble(&[1.0], &mut v);
        let e = DenseSolver::new(2).solve(&m, &v, 10.0).unwrap();
        assert!((e.values[0] - 9.3).abs() < 1e-14 && (e.values[1] - 10.7).abs() < 1e-14);
    }
}
