//! Eigensolvers: dense symmetric eigendecomposition (faer, sequential, reusable
//! workspace) and the Lanczos continued-fraction Green's function.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::{MatMut, MatRef, Par};

use crate::error::{Error, Result};
use crate::operator::TermMatrices;

/// Eigenpairs of one diagonal block: the sector indices it spans, its eigenvalues
/// (ascending) and eigenvectors (local, column-major).
#[derive(Debug, Clone, PartialEq)]
pub struct EigenBlock {
    /// Sector indices of the block's basis states, ascending.
    pub indices: Vec<usize>,
    /// Eigenvalues of the block, ascending (constant included).
    pub values: Vec<f64>,
    /// Eigenvectors, column `j` is `vectors[j*n .. (j+1)*n]` with `n = indices.len()`.
    pub vectors: Vec<f64>,
}

impl EigenBlock {
    /// Local eigenvector `j` (components on `indices`).
    pub fn vector(&self, j: usize) -> &[f64] {
        let n = self.indices.len();
        &self.vectors[j * n..(j + 1) * n]
    }

    /// `<v_j|x>` for a full-dimension vector `x`.
    pub fn project(&self, j: usize, x: &[f64]) -> f64 {
        self.vector(j)
            .iter()
            .zip(&self.indices)
            .map(|(u, &k)| u * x[k])
            .sum()
    }
}

/// All eigenpairs of a symmetric matrix, found block by block: the matrix is split into
/// the connected components of its non-zero pattern (symmetry sectors show up this way
/// without being named), each diagonalised densely.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigen {
    /// Matrix dimension.
    pub dim: usize,
    /// All eigenvalues, ascending.
    pub values: Vec<f64>,
    /// `(block, local column)` of each entry of `values`.
    pub order: Vec<(usize, usize)>,
    /// The blocks.
    pub blocks: Vec<EigenBlock>,
}

impl Eigen {
    /// Eigenvector `j` (in the order of `values`) as a full-dimension vector.
    pub fn vector(&self, j: usize) -> Vec<f64> {
        let (b, k) = self.order[j];
        let block = &self.blocks[b];
        let mut v = vec![0.0; self.dim];
        for (&i, &u) in block.indices.iter().zip(block.vector(k)) {
            v[i] = u;
        }
        v
    }
}

/// Buffers reused across block diagonalisations. They grow to the largest block met
/// (not the full dimension: symmetry blocks are typically a quarter of it or less).
pub struct DenseSolver {
    capacity: usize,
    dense: Vec<f64>,
    local: Vec<usize>,
    buffer: MemBuffer,
}

impl Default for DenseSolver {
    fn default() -> Self {
        Self::new()
    }
}

/// Largest block diagonalised densely (a 20000 x 20000 eigenproblem needs ~10 GB).
pub const MAX_DENSE_BLOCK: usize = 20_000;

impl DenseSolver {
    /// An empty workspace.
    pub fn new() -> Self {
        DenseSolver {
            capacity: 0,
            dense: Vec::new(),
            local: Vec::new(),
            buffer: MemBuffer::new(faer::dyn_stack::StackReq::EMPTY),
        }
    }

    /// Makes room for blocks of size `n`.
    fn reserve(&mut self, n: usize) {
        if n > self.capacity {
            let req = self_adjoint_evd_scratch::<f64>(
                n,
                ComputeEigenvectors::Yes,
                Par::Seq,
                Default::default(),
            );
            self.buffer = MemBuffer::new(req);
            self.dense = vec![0.0; n * n];
            self.capacity = n;
        }
    }

    /// Diagonalises the assembled matrix `values` of `matrices` (plus `constant` on the
    /// diagonal, added to the eigenvalues), block by block.
    ///
    /// # Errors
    /// [`Error::Numerical`] when the eigensolver does not converge;
    /// [`Error::InvalidParameter`] when a block exceeds [`MAX_DENSE_BLOCK`].
    pub fn solve(
        &mut self,
        matrices: &TermMatrices,
        values: &[f64],
        constant: f64,
    ) -> Result<Eigen> {
        let components = matrices.components(values);
        let largest = components.iter().map(Vec::len).max().unwrap_or(0);
        if largest > MAX_DENSE_BLOCK {
            return Err(Error::param(
                "model size",
                format!(
                    "a block of {largest} states is too large for dense diagonalisation \
                     (limit {MAX_DENSE_BLOCK}); use fewer ligand holes"
                ),
            ));
        }
        self.reserve(largest);
        if self.local.len() < matrices.dim() {
            self.local.resize(matrices.dim(), 0);
        }
        let mut blocks = Vec::new();
        for indices in components {
            blocks.push(self.solve_block(matrices, values, constant, indices)?);
        }
        let mut order: Vec<(usize, usize)> = blocks
            .iter()
            .enumerate()
            .flat_map(|(b, blk)| (0..blk.values.len()).map(move |k| (b, k)))
            .collect();
        order.sort_by(|x, y| blocks[x.0].values[x.1].total_cmp(&blocks[y.0].values[y.1]));
        Ok(Eigen {
            dim: matrices.dim(),
            values: order.iter().map(|&(b, k)| blocks[b].values[k]).collect(),
            order,
            blocks,
        })
    }

    fn solve_block(
        &mut self,
        matrices: &TermMatrices,
        values: &[f64],
        constant: f64,
        indices: Vec<usize>,
    ) -> Result<EigenBlock> {
        let n = indices.len();
        for (k, &i) in indices.iter().enumerate() {
            self.local[i] = k;
        }
        let dense = &mut self.dense[..n * n];
        matrices.gather_dense(values, &indices, &self.local, dense);
        let a = MatRef::from_column_major_slice(dense, n, n);
        // The eigenvectors are written straight into the block's column-major storage.
        let mut vectors = vec![0.0; n * n];
        let mut s = faer::diag::Diag::<f64>::zeros(n);
        self_adjoint_evd(
            a,
            s.as_mut(),
            Some(MatMut::from_column_major_slice_mut(&mut vectors, n, n)),
            Par::Seq,
            MemStack::new(&mut self.buffer),
            Default::default(),
        )
        .map_err(|e| Error::Numerical {
            routine: "self_adjoint_evd".into(),
            message: format!("{e:?}"),
        })?;
        Ok(EigenBlock {
            indices,
            values: s.column_vector().iter().map(|v| v + constant).collect(),
            vectors,
        })
    }
}

/// Poles and weights of `<phi_v|(z - H)^-1|phi_v>` for several start vectors `phi_v`
/// by the Lanczos method, run in lockstep so that each step makes one pass over the
/// matrix for all vectors (`matvec(x, y, nv)` computes `Y = H X` for `nv` vectors stored
/// interleaved: component `i` of vector `v` at `i * nv + v`).
///
/// After `m` steps the poles are the eigenvalues of the `m x m` tridiagonal Lanczos
/// matrix and the weights `||phi||^2 z_1^2` (Gauss quadrature of the spectral measure:
/// the first `2m` moments `<phi|H^k|phi>` are exact). A vector stops early when its
/// Krylov space is exhausted (`b_k < 1e-12 ||phi||`), and the result is then exact.
/// No reorthogonalisation is done: lost orthogonality only duplicates converged poles,
/// whose weights add up correctly.
///
/// # Errors
/// [`Error::Numerical`] if the tridiagonal eigensolver fails.
pub fn lanczos_poles(
    starts: &[Vec<f64>],
    max_steps: usize,
    mut matvec: impl FnMut(&[f64], &mut [f64], usize),
) -> Result<Vec<Vec<(f64, f64)>>> {
    let nv = starts.len();
    let n = starts.first().map_or(0, Vec::len);
    let norms: Vec<f64> = starts
        .iter()
        .map(|s| s.iter().map(|x| x * x).sum::<f64>().sqrt())
        .collect();
    let mut v = vec![0.0; n * nv];
    for (k, (s, &norm)) in starts.iter().zip(&norms).enumerate() {
        if norm > 0.0 {
            for i in 0..n {
                v[i * nv + k] = s[i] / norm;
            }
        }
    }
    let mut v_prev = vec![0.0; n * nv];
    let mut w = vec![0.0; n * nv];
    let mut alpha: Vec<Vec<f64>> = vec![Vec::new(); nv];
    let mut beta: Vec<Vec<f64>> = vec![Vec::new(); nv];
    let mut active: Vec<bool> = norms.iter().map(|&x| x > 0.0).collect();
    let (mut a, mut b2) = (vec![0.0; nv], vec![0.0; nv]);
    let (mut b_prev, mut scale) = (vec![0.0; nv], vec![0.0; nv]);
    for _ in 0..max_steps.min(n) {
        if !active.iter().any(|&a| a) {
            break;
        }
        matvec(&v, &mut w, nv);
        // All vectors at once, row by row, so the inner loops run over contiguous
        // memory; finished vectors are carried along but not recorded.
        a.iter_mut().for_each(|x| *x = 0.0);
        for (wr, vr) in w.chunks_exact(nv).zip(v.chunks_exact(nv)) {
            a.iter_mut()
                .zip(wr.iter().zip(vr))
                .for_each(|(acc, (x, y))| *acc += x * y);
        }
        for (bp, b) in b_prev.iter_mut().zip(&beta) {
            *bp = b.last().copied().unwrap_or(0.0);
        }
        b2.iter_mut().for_each(|x| *x = 0.0);
        for ((wr, vr), pr) in w
            .chunks_exact_mut(nv)
            .zip(v.chunks_exact(nv))
            .zip(v_prev.chunks_exact(nv))
        {
            for k in 0..nv {
                let x = wr[k] - a[k] * vr[k] - b_prev[k] * pr[k];
                wr[k] = x;
                b2[k] += x * x;
            }
        }
        scale.iter_mut().for_each(|x| *x = 0.0);
        for k in 0..nv {
            if !active[k] {
                continue;
            }
            alpha[k].push(a[k]);
            let b = b2[k].sqrt();
            if b < 1e-12 || alpha[k].len() == max_steps.min(n) {
                active[k] = false;
                continue;
            }
            beta[k].push(b);
            scale[k] = 1.0 / b;
        }
        for ((wr, vr), pr) in w
            .chunks_exact(nv)
            .zip(v.chunks_exact_mut(nv))
            .zip(v_prev.chunks_exact_mut(nv))
        {
            pr.copy_from_slice(vr);
            vr.iter_mut()
                .zip(wr.iter().zip(&scale))
                .for_each(|(x, (y, s))| *x = y * s);
        }
    }
    alpha
        .iter()
        .zip(&beta)
        .zip(&norms)
        .map(|((a, b), norm)| {
            let poles =
                crate::tridiagonal::eigen_first_components(a, &b[..a.len().saturating_sub(1)])?;
            Ok(poles
                .into_iter()
                .map(|(t, z2)| (t, z2 * norm * norm))
                .collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fock::{Sector, ShellRange};
    use crate::operator::Operator;

    #[test]
    fn lanczos_poles_of_a_small_matrix_are_exact() {
        // Diagonal H with energies 0, 1, 3; start vectors with weights (1, 2, 3) and
        // (0, 0, 5) (squared amplitudes): the Krylov space is exhausted, poles exact.
        let e = [0.0, 1.0, 3.0];
        let starts = vec![
            vec![1.0, 2.0f64.sqrt(), 3.0f64.sqrt()],
            vec![0.0, 0.0, 5.0f64.sqrt()],
        ];
        let poles = lanczos_poles(&starts, 10, |x, y, nv| {
            for i in 0..3 {
                for v in 0..nv {
                    y[i * nv + v] = e[i] * x[i * nv + v];
                }
            }
        })
        .unwrap();
        let mut p0 = poles[0].clone();
        p0.sort_by(|a, b| a.0.total_cmp(&b.0));
        for ((t, w), (et, ew)) in p0.iter().zip([(0.0, 1.0), (1.0, 2.0), (3.0, 3.0)]) {
            assert!((t - et).abs() < 1e-12 && (w - ew).abs() < 1e-12, "{p0:?}");
        }
        assert_eq!(poles[1].len(), 1);
        assert!((poles[1][0].0 - 3.0).abs() < 1e-12 && (poles[1][0].1 - 5.0).abs() < 1e-12);
    }

    #[test]
    fn uncoupled_orbitals_form_separate_blocks() {
        let sector = Sector::new(&[ShellRange { offset: 0, size: 4 }], &[vec![1]]).unwrap();
        let op = Operator {
            one_body: vec![(0, 1, 0.5), (1, 0, 0.5), (2, 2, 3.0), (3, 3, -1.0)],
            ..Operator::default()
        };
        let m = TermMatrices::new(&[op], &sector);
        let mut v = Vec::new();
        m.assemble(&[1.0], &mut v);
        let e = DenseSolver::new().solve(&m, &v, 0.0).unwrap();
        assert_eq!(e.blocks.len(), 3);
        assert_eq!(e.values, vec![-1.0, -0.5, 0.5, 3.0]);
        let v0 = e.vector(0);
        assert_eq!(v0.iter().map(|x| x.abs()).sum::<f64>(), 1.0);
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
        let e = DenseSolver::new().solve(&m, &v, 10.0).unwrap();
        assert_eq!(e.blocks.len(), 1);
        assert!((e.values[0] - 9.3).abs() < 1e-14 && (e.values[1] - 10.7).abs() < 1e-14);
    }
}
