//! Eigensolvers: dense symmetric eigenproblems block by block (Householder
//! tridiagonalisation, [`crate::householder`], then the QL iteration of
//! [`crate::tridiagonal`] whose rotations are kept instead of accumulated), and the
//! Lanczos continued-fraction Green's function.
//!
//! A spectrum needs all eigenvalues but, of the eigenvectors, only the few initial
//! states and the projections `<f|x>` of a few transition vectors `x` on every final
//! state. With `A = Q T Qᵀ` (Householder) and `T = Z Λ Zᵀ` (`Z` a product of `K ≈ n²`
//! recorded rotations), one eigenvector costs `O(n²)` and the projections of `m` vectors
//! on all `n` eigenvectors `O(m n²)`, where forming every eigenvector costs `O(n³)`
//! (that accumulation, in faer's eigensolver, took three quarters of the time of a NiO
//! XAS evaluation).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::householder::{Householder, Reduction, tridiagonalize};
use crate::operator::TermMatrices;
use crate::tridiagonal::{Rotation, column, eigen_rotations_many};

/// Eigenpairs of one diagonal block in factorised form: the sector indices it spans,
/// its eigenvalues (ascending) and what gives its eigenvectors on demand.
///
/// A block may share the factorisation of another block it is the mirror image of
/// (see [`DenseSolver::with_mirror`]): the block is then `P A Pᵀ` for the factorised
/// `A` and a signed permutation `P`, and its eigenvectors are `P v`. A block that is
/// its own mirror image is factorised in two halves, the states even and odd under
/// `P`; each half is an `EigenBlock` spanning the same `indices`.
#[derive(Debug, Clone, PartialEq)]
pub struct EigenBlock {
    /// Sector indices of the states the block spans, ascending.
    pub indices: Vec<usize>,
    /// Eigenvalues of the block, ascending (constant included).
    pub values: Vec<f64>,
    /// Each row of the factorised matrix in sector states.
    basis: Vec<Row>,
    factor: Arc<Factor>,
}

/// One row of a factorised matrix in sector states, `c₀ e_k₀ + c₁ e_k₁`: a single
/// signed state (`c₁ = 0`) or the even or odd pair `(e_i ± s e_j)/√2` of a block that
/// is its own mirror image.
type Row = [(usize, f64); 2];

/// The row of the single state `k` with sign `sign`.
fn single(k: usize, sign: f64) -> Row {
    [(k, sign), (k, 0.0)]
}

/// The terms of a row with a non-zero coefficient (one or two).
fn terms(row: &Row) -> impl Iterator<Item = &(usize, f64)> {
    row.iter().filter(|t| t.1 != 0.0)
}

/// `A = Q Z Λ Zᵀ Qᵀ` without forming `Q Z`.
#[derive(Debug, PartialEq)]
struct Factor {
    /// Column of `Z` (index into the QL eigenvalues) of each eigenvalue, ascending.
    columns: Vec<usize>,
    /// `Q` of the tridiagonal reduction `T = Qᵀ A Q`.
    reflectors: Householder,
    /// Rotations of the QL iteration, `Z = R₁ ⋯ R_K`.
    rotations: Vec<Rotation>,
}

impl EigenBlock {
    /// Number of eigenpairs (rows of the factorised matrix; fewer than `indices` in
    /// a half of a block that is its own mirror image).
    pub fn len(&self) -> usize {
        self.basis.len()
    }

    /// Whether the block is empty.
    pub fn is_empty(&self) -> bool {
        self.basis.is_empty()
    }

    /// Eigenvector `j` of the factorised matrix, `Q Z e_j`, in its row order.
    fn factor_vector(&self, j: usize) -> Vec<f64> {
        let mut x = vec![0.0; self.len()];
        column(&self.factor.rotations, self.factor.columns[j], &mut x);
        self.factor.reflectors.apply(&mut x);
        x
    }

    /// Local eigenvector `j` (components on `indices`, normalised).
    pub fn vector(&self, j: usize) -> Vec<f64> {
        let mut v = vec![0.0; self.indices.len()];
        for (row, x) in self.basis.iter().zip(self.factor_vector(j)) {
            for &(k, c) in terms(row) {
                let pos = self
                    .indices
                    .binary_search(&k)
                    .expect("basis within indices");
                v[pos] += c * x;
            }
        }
        v
    }

    /// Adds eigenvector `j` into the full-dimension vector `v`.
    fn scatter(&self, j: usize, v: &mut [f64]) {
        for (row, x) in self.basis.iter().zip(self.factor_vector(j)) {
            for &(k, c) in terms(row) {
                v[k] += c * x;
            }
        }
    }

    /// Projections `<v_j|x_r>` of full-dimension vectors `xs` on every eigenvector of
    /// the block, as an `n x m` row-major matrix (`m = xs.len()`, entry `j * m + r`, `j`
    /// in the order of `values`): `Zᵀ Qᵀ Bᵀ X` with `B` the rows in sector states.
    pub fn projections(&self, xs: &[&[f64]]) -> Vec<f64> {
        let (n, m) = (self.len(), xs.len());
        // Column-major n x m for the Householder application.
        let mut y: Vec<f64> = xs
            .iter()
            .flat_map(|x| {
                self.basis
                    .iter()
                    .map(move |row| terms(row).map(|&(k, c)| c * x[k]).sum())
            })
            .collect();
        self.factor.reflectors.apply_transpose(&mut y);
        // Row-major n x m: the rotations act on rows.
        let mut w = vec![0.0; n * m];
        for (r, col) in y.chunks_exact(n.max(1)).enumerate() {
            for (i, &v) in col.iter().enumerate() {
                w[i * m + r] = v;
            }
        }
        for rot in &self.factor.rotations {
            rot.apply_to_rows(&mut w, m);
        }
        let mut out = vec![0.0; n * m];
        for (j, &c) in self.factor.columns.iter().enumerate() {
            out[j * m..(j + 1) * m].copy_from_slice(&w[c * m..(c + 1) * m]);
        }
        out
    }
}

/// All eigenpairs of a symmetric matrix, found block by block: the matrix is split into
/// the connected components of its non-zero pattern (symmetry sectors show up this way
/// without being named), each diagonalised densely. A component that is its own mirror
/// image (see [`DenseSolver::with_mirror`]) gives two consecutive blocks with the same
/// `indices`, its even and odd halves.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigen {
    /// Matrix dimension.
    pub dim: usize,
    /// All eigenvalues, ascending.
    pub values: Vec<f64>,
    /// `(block, local index)` of each entry of `values`.
    pub order: Vec<(usize, usize)>,
    /// The blocks, in the order of the components (halves consecutive).
    pub blocks: Vec<EigenBlock>,
}

impl Eigen {
    /// Eigenvector `j` (in the order of `values`) as a full-dimension vector.
    pub fn vector(&self, j: usize) -> Vec<f64> {
        let (b, k) = self.order[j];
        let block = &self.blocks[b];
        let mut v = vec![0.0; self.dim];
        block.scatter(k, &mut v);
        v
    }
}

/// Reusable buffers of the block diagonalisations, and the basis permutation under
/// which blocks may be mirror images of each other.
#[derive(Default)]
pub struct DenseSolver {
    local: Vec<usize>,
    mirror: Option<Vec<usize>>,
}

/// Largest block diagonalised densely (a 20000 x 20000 eigenproblem needs ~10 GB).
pub const MAX_DENSE_BLOCK: usize = 20_000;

/// Largest entry difference, relative to the largest entry, at which a block still
/// counts as the mirror image of another: a few rounding errors of the assembly. The
/// eigenvalues taken over then differ from the block's own by at most its size times
/// this times the largest entry (Weyl's inequality): 5e-11 of it for 50 states. The
/// same bound holds for the coupling dropped between the two halves of a block that is
/// its own mirror image.
const MIRROR_TOLERANCE: f64 = 1e-12;

impl DenseSolver {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// A workspace that maps, instead of solving, every block that is the image of an
    /// earlier one under the basis permutation `mirror` (`mirror[i]` is the index of the
    /// image of state `i`) up to a sign per state: `B = P A Pᵀ` with `P` a signed
    /// permutation has the eigenvalues of `A` and the eigenvectors `P v`. Time reversal
    /// maps the blocks of a multiplet Hamiltonian with opposite angular-momentum
    /// projections onto each other this way when no magnetic field breaks the symmetry.
    /// The signs are found and every entry is checked on each call (to 1e-12 of the
    /// largest entry), so a block that is not a mirror image is solved as usual.
    ///
    /// A block that is its own image (`P` maps its states onto themselves, as time
    /// reversal does for the blocks without a partner when the electron count is even)
    /// is solved in two halves, the states even and odd under `P`: each half costs an
    /// eighth of the block's reduction and a quarter of its QL rotations. In a NiO XAS
    /// evaluation this splits the 52- and 48-state blocks of the initial sector and the
    /// 32- and 28-state blocks of the final sector.
    pub fn with_mirror(mirror: Vec<usize>) -> Self {
        DenseSolver {
            local: Vec::new(),
            mirror: Some(mirror),
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
        if self.local.len() < matrices.dim() {
            self.local.resize(matrices.dim(), 0);
        }
        let mut dense: Vec<Vec<f64>> = components
            .iter()
            .map(|indices| self.gather(matrices, values, indices))
            .collect();
        let images = self.images(&components, &dense);
        // What is factorised: every block that is no mirror image of another, in two
        // halves when it is its own.
        let mut jobs: Vec<(usize, Vec<f64>, Vec<Row>)> = Vec::new();
        for (b, indices) in components.iter().enumerate() {
            if images[b].is_some() {
                continue;
            }
            let a = std::mem::take(&mut dense[b]);
            match self.halves(indices, &a) {
                Some(halves) => jobs.extend(halves.into_iter().map(|(h, rows)| (b, h, rows))),
                None => jobs.push((b, a, indices.iter().map(|&k| single(k, 1.0)).collect())),
            }
        }
        let reduced: Vec<Reduction> = jobs
            .iter_mut()
            .map(|(_, a, rows)| tridiagonalize(std::mem::take(a), rows.len()))
            .collect();
        let tridiagonal: Vec<(&[f64], &[f64])> = reduced
            .iter()
            .map(|r| (r.diag.as_slice(), r.off.as_slice()))
            .collect();
        let eigen = eigen_rotations_many(&tridiagonal)?;
        let mut blocks: Vec<EigenBlock> = Vec::with_capacity(jobs.len());
        // The factor of each solved block, for the blocks that are its images.
        let mut source: Vec<Option<usize>> = vec![None; components.len()];
        let mut jobs = jobs
            .into_iter()
            .zip(reduced.into_iter().zip(eigen))
            .peekable();
        for (b, (indices, image)) in components.into_iter().zip(images).enumerate() {
            if let Some((a, basis)) = image {
                // `a` is not split in halves: `P` maps its states onto `b`'s, not
                // onto its own.
                let original = &blocks[source[a].expect("images follow their source")];
                debug_assert_eq!(original.len(), original.indices.len(), "source not split");
                blocks.push(EigenBlock {
                    indices,
                    values: original.values.clone(),
                    basis: basis.into_iter().map(|(k, sign)| single(k, sign)).collect(),
                    factor: Arc::clone(&original.factor),
                });
                continue;
            }
            source[b] = Some(blocks.len());
            while let Some(((_, _, rows), (r, (lambda, rotations)))) =
                jobs.next_if(|((owner, _, _), _)| *owner == b)
            {
                let mut columns: Vec<usize> = (0..lambda.len()).collect();
                columns.sort_by(|&x, &y| lambda[x].total_cmp(&lambda[y]));
                blocks.push(EigenBlock {
                    indices: indices.clone(),
                    values: columns.iter().map(|&c| lambda[c] + constant).collect(),
                    basis: rows,
                    factor: Arc::new(Factor {
                        columns,
                        reflectors: r.reflectors,
                        rotations,
                    }),
                });
            }
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

    /// Block `indices` of the assembled matrix, dense column-major.
    fn gather(&mut self, matrices: &TermMatrices, values: &[f64], indices: &[usize]) -> Vec<f64> {
        let n = indices.len();
        for (k, &i) in indices.iter().enumerate() {
            self.local[i] = k;
        }
        let mut dense = vec![0.0; n * n];
        matrices.gather_dense(values, indices, &self.local, &mut dense);
        dense
    }

    /// For each block, the earlier block it is the mirror image of and its signed
    /// basis (see [`mirror_basis`]), if any.
    fn images(&self, components: &[Vec<usize>], dense: &[Vec<f64>]) -> Vec<Image> {
        let mut images: Vec<Image> = vec![None; components.len()];
        let Some(mirror) = &self.mirror else {
            return images;
        };
        for b in 0..components.len() {
            images[b] = (0..b)
                .filter(|&a| images[a].is_none() && components[a].len() == components[b].len())
                .find_map(|a| {
                    mirror_basis(
                        mirror,
                        (&components[a], &dense[a]),
                        (&components[b], &dense[b]),
                    )
                    .map(|basis| (a, basis))
                });
        }
        images
    }

    /// The two halves of a block that is its own mirror image ([`mirror_halves`]).
    fn halves(&self, indices: &[usize], a: &[f64]) -> Option<[(Vec<f64>, Vec<Row>); 2]> {
        let mirror = self.mirror.as_ref()?;
        let (image, sign) = mirror_signs(mirror, (indices, a), (indices, a))?;
        mirror_halves(indices, a, &image, &sign)
    }
}

/// The even and odd halves of block `indices` (dense column-major `a`) under a
/// signed involution `P` (`P e_i = s_i e_p(i)`, `s_i s_p(i) = 1`) with `P A Pᵀ = A`,
/// given as the block positions `image[i] = p(i)` and the signs `sign[i] = s_i`
/// ([`mirror_signs`] of the block with itself): the matrix and the rows of each half.
///
/// The rows are `(e_i ± s_i e_p(i))/√2` for each pair `i < p(i)`, and `e_i` in the
/// half of its sign `s_i` for each fixed state. `A` couples the halves only through
/// `P A Pᵀ - A`, which [`mirror_basis`] has checked to vanish to `MIRROR_TOLERANCE`,
/// so the coupling is dropped. `None` when `P` is not an involution or one half is
/// empty.
fn mirror_halves(
    indices: &[usize],
    a: &[f64],
    image: &[usize],
    sign: &[f64],
) -> Option<[(Vec<f64>, Vec<Row>); 2]> {
    let n = indices.len();
    // Rows in block positions, then in sector indices.
    let mut local: [Vec<Row>; 2] = [Vec::new(), Vec::new()];
    let h = std::f64::consts::FRAC_1_SQRT_2;
    for i in 0..n {
        let (j, s) = (image[i], sign[i]);
        if image[j] != i || s * sign[j] != 1.0 {
            return None;
        }
        match i.cmp(&j) {
            std::cmp::Ordering::Equal => local[usize::from(s < 0.0)].push(single(i, 1.0)),
            std::cmp::Ordering::Less => {
                local[0].push([(i, h), (j, s * h)]);
                local[1].push([(i, h), (j, -s * h)]);
            }
            std::cmp::Ordering::Greater => {}
        }
    }
    if local.iter().any(Vec::is_empty) {
        return None;
    }
    Some(local.map(|rows| {
        let m = rows.len();
        let mut half = vec![0.0; m * m];
        // Entry (r, c) is rowᵣᵀ A row_c, with at most two terms in each row; computed
        // for r <= c and mirrored, so that the half is exactly symmetric.
        for (c, &[(q0, d0), (q1, d1)]) in rows.iter().enumerate() {
            let (col0, col1) = (&a[q0 * n..(q0 + 1) * n], &a[q1 * n..(q1 + 1) * n]);
            for (r, &[(p0, c0), (p1, c1)]) in rows[..=c].iter().enumerate() {
                let x = c0 * (d0 * col0[p0] + d1 * col1[p0]) + c1 * (d0 * col0[p1] + d1 * col1[p1]);
                (half[c * m + r], half[r * m + c]) = (x, x);
            }
        }
        let rows = rows
            .into_iter()
            .map(|row| row.map(|(p, c)| (indices[p], c)))
            .collect();
        (half, rows)
    }))
}

/// The block a block is the mirror image of, and its signed basis.
type Image = Option<(usize, Vec<(usize, f64)>)>;

/// [`mirror_signs`] with each image as its sector index: the signed basis of block
/// `b` in the rows of `A`.
fn mirror_basis(
    mirror: &[usize],
    a: (&[usize], &[f64]),
    b: (&[usize], &[f64]),
) -> Option<Vec<(usize, f64)>> {
    let ib = b.0;
    let (pos, sign) = mirror_signs(mirror, a, b)?;
    Some(pos.iter().zip(&sign).map(|(&p, &s)| (ib[p], s)).collect())
}

/// When block `b` (sector indices `ib`, dense matrix `B`) is `P A Pᵀ` for block `a` and
/// a signed permutation `P` that takes state `ia[i]` to `±mirror[ia[i]]`: for each row
/// `i` of `A`, the position `p(i)` of its image in `b` and the sign. The signs follow
/// from the non-zero entries by a walk over the (connected) block,
/// `s_j = s_i sign(B/A)`; then every entry is checked,
/// `|B[p(i), p(j)] - s_i s_j A[i, j]| <= tol`.
fn mirror_signs(
    mirror: &[usize],
    (ia, a): (&[usize], &[f64]),
    (ib, b): (&[usize], &[f64]),
) -> Option<(Vec<usize>, Vec<f64>)> {
    // The maxima below cannot see a NaN (`f64::max` ignores it): a block with one is
    // not taken for a mirror image.
    if !a.iter().chain(b).all(|v| v.is_finite()) {
        return None;
    }
    let n = ia.len();
    let pos: Vec<usize> = ia
        .iter()
        .map(|&k| ib.binary_search(&mirror[k]).ok())
        .collect::<Option<_>>()?;
    let mut sign = vec![0.0; n];
    let mut pending = Vec::with_capacity(n);
    if n > 0 {
        sign[0] = 1.0;
        pending.push(0);
    }
    let mut unsigned = n.saturating_sub(1);
    while let Some(i) = pending.pop() {
        if unsigned == 0 {
            break;
        }
        // Column i, which equals row i (A is symmetric).
        for (j, &x) in a[i * n..(i + 1) * n].iter().enumerate() {
            if sign[j] == 0.0 && x != 0.0 {
                let y = b[pos[j] * n + pos[i]];
                if y == 0.0 {
                    return None;
                }
                sign[j] = sign[i] * (x * y).signum();
                pending.push(j);
                unsigned -= 1;
            }
        }
    }
    if sign.contains(&0.0) {
        return None;
    }
    // Column by column, without early exit, the two maxima in four lanes each (one
    // running maximum made every entry wait for the previous comparison).
    let mut lanes = [[0.0f64; 2]; 4];
    for (j, col) in a.chunks_exact(n).enumerate() {
        let image = &b[pos[j] * n..(pos[j] + 1) * n];
        let add = |lane: &mut [f64; 2], x: f64, p: usize, s: f64| {
            lane[0] = lane[0].max(x.abs());
            lane[1] = lane[1].max((image[p] - s * sign[j] * x).abs());
        };
        let ((c4, c1), (p4, p1), (s4, s1)) = (
            col.as_chunks::<4>(),
            pos.as_chunks::<4>(),
            sign.as_chunks::<4>(),
        );
        for ((x, p), s) in c4.iter().zip(p4).zip(s4) {
            for (l, lane) in lanes.iter_mut().enumerate() {
                add(lane, x[l], p[l], s[l]);
            }
        }
        for ((&x, &p), &s) in c1.iter().zip(p1).zip(s1) {
            add(&mut lanes[0], x, p, s);
        }
    }
    let [largest, deviation] = [0, 1].map(|k| lanes.iter().fold(0.0f64, |m, l| m.max(l[k])));
    (deviation <= MIRROR_TOLERANCE * largest).then_some((pos, sign))
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
    // Padded with inactive (zero) vectors to whole groups of four, so that the rows of
    // the interleaved vectors are whole SIMD registers in `matvec`.
    let nv = starts.len().next_multiple_of(4);
    let n = starts.first().map_or(0, Vec::len);
    let norms: Vec<f64> = starts
        .iter()
        .map(|s| s.iter().map(|x| x * x).sum::<f64>().sqrt())
        .chain(std::iter::repeat(0.0))
        .take(nv)
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
        // Four vectors at a time (`nv` is a multiple of four), their sums over the rows
        // held in one register (sums kept in memory made every row wait for the
        // previous row's store); finished vectors are carried along but not recorded.
        for (p, a4) in a.as_chunks_mut::<4>().0.iter_mut().enumerate() {
            let mut acc = [0.0; 4];
            for (wr, vr) in panel(&w, nv, p).zip(panel(&v, nv, p)) {
                for l in 0..4 {
                    acc[l] += wr[l] * vr[l];
                }
            }
            *a4 = acc;
        }
        for (bp, b) in b_prev.iter_mut().zip(&beta) {
            *bp = b.last().copied().unwrap_or(0.0);
        }
        let groups = a.as_chunks::<4>().0.iter().zip(b_prev.as_chunks::<4>().0);
        for (p, (b4, (a4, bp4))) in b2.as_chunks_mut::<4>().0.iter_mut().zip(groups).enumerate() {
            let mut acc = [0.0; 4];
            let rows = w
                .chunks_exact_mut(nv)
                .map(|row| &mut row.as_chunks_mut::<4>().0[p]);
            for ((wr, vr), pr) in rows.zip(panel(&v, nv, p)).zip(panel(&v_prev, nv, p)) {
                for l in 0..4 {
                    let x = wr[l] - a4[l] * vr[l] - bp4[l] * pr[l];
                    wr[l] = x;
                    acc[l] += x * x;
                }
            }
            *b4 = acc;
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
        std::mem::swap(&mut v, &mut v_prev);
        let scale4 = scale.as_chunks::<4>().0;
        for (vr, wr) in v.chunks_exact_mut(nv).zip(w.chunks_exact(nv)) {
            for ((x, y), s) in vr
                .as_chunks_mut::<4>()
                .0
                .iter_mut()
                .zip(wr.as_chunks::<4>().0)
                .zip(scale4)
            {
                for l in 0..4 {
                    x[l] = y[l] * s[l];
                }
            }
        }
    }
    let matrices: Vec<(&[f64], &[f64])> = alpha
        .iter()
        .zip(&beta)
        .map(|(a, b)| (a.as_slice(), &b[..a.len().saturating_sub(1)]))
        .collect();
    let poles = crate::tridiagonal::eigen_first_components_many(&matrices[..starts.len()])?;
    Ok(poles
        .into_iter()
        .zip(&norms)
        .map(|(p, norm)| p.into_iter().map(|(t, z2)| (t, z2 * norm * norm)).collect())
        .collect())
}

/// Vectors `4p .. 4p + 4` of `nv` interleaved vectors, row by row.
fn panel(x: &[f64], nv: usize, p: usize) -> impl Iterator<Item = &[f64; 4]> {
    x.chunks_exact(nv)
        .map(move |row| &row.as_chunks::<4>().0[p])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fock::{Sector, ShellRange};
    use crate::operator::Operator;

    /// One electron on `n` orbitals with the one-body matrix elements `one_body`
    /// `(i, j, value)`: the term matrices, the assembled values and the solution with
    /// `constant` added.
    fn one_electron(
        n: usize,
        one_body: Vec<(usize, usize, f64)>,
        constant: f64,
    ) -> (TermMatrices, Vec<f64>, Eigen) {
        let sector = Sector::new(&[ShellRange { offset: 0, size: n }], &[vec![1]]).unwrap();
        let op = Operator {
            one_body,
            ..Operator::default()
        };
        let m = TermMatrices::new(&[op], &sector);
        let mut values = Vec::new();
        m.assemble(&[1.0], &mut values);
        let e = DenseSolver::new().solve(&m, &values, constant).unwrap();
        (m, values, e)
    }

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
        let one_body = vec![(0, 1, 0.5), (1, 0, 0.5), (2, 2, 3.0), (3, 3, -1.0)];
        let (_, _, e) = one_electron(4, one_body, 0.0);
        assert_eq!(e.blocks.len(), 3);
        for (got, want) in e.values.iter().zip([-1.0, -0.5, 0.5, 3.0]) {
            assert!((got - want).abs() < 1e-14, "{:?}", e.values);
        }
        let v0 = e.vector(0);
        assert_eq!(v0.iter().map(|x| x.abs()).sum::<f64>(), 1.0);
    }

    #[test]
    fn eigenvectors_and_projections_of_a_reduced_block_are_consistent() {
        // One electron on six orbitals, all coupled: one 6 x 6 block, so the Householder
        // reflectors are exercised. Checks A v = λ v, orthonormality, and that the
        // projections equal the dot products with the eigenvectors.
        let n = 6;
        let mut one_body = Vec::new();
        for i in 0..n {
            one_body.push((i, i, 0.3 * i as f64 - 0.7));
            for j in 0..i {
                let t = 0.2 + 0.1 * ((i * 5 + j * 3) % 7) as f64;
                one_body.push((i, j, t));
                one_body.push((j, i, t));
            }
        }
        let (m, values, e) = one_electron(n, one_body, 0.0);
        assert_eq!(e.blocks.len(), 1);
        let vectors: Vec<Vec<f64>> = (0..n).map(|j| e.vector(j)).collect();
        let mut av = vec![0.0; n];
        for (j, v) in vectors.iter().enumerate() {
            m.matvec(&values, v, &mut av);
            for i in 0..n {
                assert!((av[i] - e.values[j] * v[i]).abs() < 1e-13, "state {j}");
            }
            for (k, w) in vectors.iter().enumerate() {
                let dot: f64 = v.iter().zip(w).map(|(a, b)| a * b).sum();
                assert!((dot - f64::from(u8::from(j == k))).abs() < 1e-13);
            }
        }
        let xs = [
            vec![1.0, -2.0, 0.5, 0.0, 3.0, 1.5],
            vec![0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        ];
        let refs: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
        let block = &e.blocks[0];
        let p = block.projections(&refs);
        for j in 0..n {
            let v = block.vector(j);
            for (r, x) in xs.iter().enumerate() {
                let dot: f64 = block.indices.iter().zip(&v).map(|(&k, u)| u * x[k]).sum();
                assert!((p[j * 2 + r] - dot).abs() < 1e-13);
            }
        }
    }

    /// Every sector of `params` solved with and without the time-reversal mirror;
    /// returns, for each sector, the number of blocks taken over from a mirror image
    /// and the number of halves of blocks that are their own image.
    fn compare_with_mirror(params: &crate::params::ClusterParams) -> Vec<[usize; 2]> {
        use crate::model::{CompiledModel, SectorKind};
        let model = CompiledModel::new(params).unwrap();
        let mut mapped = Vec::new();
        for kind in [
            SectorKind::Initial,
            SectorKind::XasFinal,
            SectorKind::XpsFinal,
        ] {
            let sector = model.sector(kind);
            let (coefficients, constant) = model.coefficients(kind, params);
            let mut values = Vec::new();
            sector.matrices.assemble(&coefficients, &mut values);
            let plain = DenseSolver::new()
                .solve(&sector.matrices, &values, constant)
                .unwrap();
            let mirror = sector.reversed_indices(&model.layout).unwrap();
            let mirrored = DenseSolver::with_mirror(mirror)
                .solve(&sector.matrices, &values, constant)
                .unwrap();
            // Agreement to rounding of the ~1000 eV energies (observed: 5e-16 relative).
            let scale = plain.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert_eq!(plain.values.len(), mirrored.values.len());
            for (a, b) in plain.values.iter().zip(&mirrored.values) {
                assert!((a - b).abs() < 1e-14 * scale, "{kind:?}: {a} vs {b}");
            }
            let dim = sector.sector.dim();
            let x: Vec<f64> = (0..dim).map(|i| (i as f64 * 0.37).sin()).collect();
            let (mut full, mut hv) = (vec![0.0; dim], vec![0.0; dim]);
            // Complete and orthonormal on each block's states (the two halves of a
            // block that is its own image together): the squared projections of x sum
            // to |x|² over the block.
            for group in mirrored.blocks.chunk_by(|a, b| a.indices == b.indices) {
                let sum: f64 = group
                    .iter()
                    .flat_map(|block| block.projections(&[&x]))
                    .map(|v| v * v)
                    .sum();
                let norm2: f64 = group[0].indices.iter().map(|&k| x[k] * x[k]).sum();
                assert!((sum - norm2).abs() < 1e-13 * norm2, "{kind:?}");
                assert_eq!(
                    group.iter().map(EigenBlock::len).sum::<usize>(),
                    group[0].indices.len()
                );
            }
            for block in &mirrored.blocks {
                // H v = λ v for every eigenvector.
                for (j, &lambda) in block.values.iter().enumerate() {
                    full.fill(0.0);
                    for (&k, u) in block.indices.iter().zip(block.vector(j)) {
                        full[k] = u;
                    }
                    sector.matrices.matvec(&values, &full, &mut hv);
                    for &k in &block.indices {
                        let residual = hv[k] + (constant - lambda) * full[k];
                        assert!(residual.abs() < 1e-14 * scale, "{kind:?} state {j}");
                    }
                }
            }
            let shared = mirrored
                .blocks
                .iter()
                .enumerate()
                .filter(|(b, blk)| {
                    mirrored.blocks[..*b]
                        .iter()
                        .any(|a| Arc::ptr_eq(&a.factor, &blk.factor))
                })
                .count();
            let halves = mirrored
                .blocks
                .iter()
                .filter(|b| b.len() < b.indices.len())
                .count();
            mapped.push([shared, halves]);
        }
        mapped
    }

    #[test]
    fn mirror_images_of_blocks_are_mapped_and_exact() {
        let params = crate::params::ClusterParams::nio_seed_like();
        // One block of the 45/45 pair of the initial sector, one of the 30/30 pair of
        // the XAS final sector, two of the XPS final sector's pairs. The 52- and
        // 48-state blocks of the initial sector and the 32- and 28-state blocks of the
        // XAS final sector (an even electron count) are their own images and are
        // solved in halves; the XPS final sector (odd: Kramers pairs) has none.
        assert_eq!(compare_with_mirror(&params), vec![[1, 4], [1, 4], [2, 0]]);
    }

    #[test]
    fn a_block_that_is_its_own_image_splits_into_even_and_odd_halves() {
        // States 10 and 11 swapped by the mirror, 12 fixed; A commutes with the swap.
        let mut mirror: Vec<usize> = (0..13).collect();
        mirror.swap(10, 11);
        let indices = [10, 11, 12];
        #[rustfmt::skip]
        let a = vec![
            2.0, 0.5, 0.3,
            0.5, 2.0, 0.3,
            0.3, 0.3, 1.0,
        ];
        let solver = DenseSolver::with_mirror(mirror);
        let [(even, even_rows), (odd, odd_rows)] = solver.halves(&indices, &a).unwrap();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        // Even: (e10 + e11)/√2 and e12; odd: (e10 - e11)/√2. By hand: uᵀ A u.
        assert_eq!(even_rows, vec![[(10, h), (11, h)], single(12, 1.0)]);
        assert_eq!(odd_rows, vec![[(10, h), (11, -h)]]);
        let coupling = 0.6 * h;
        for (got, want) in even.iter().zip([2.5, coupling, coupling, 1.0]) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
        assert!((odd[0] - 1.5).abs() < 1e-15);
        // A that does not commute with the swap is solved whole.
        let mut broken = a.clone();
        (broken[5], broken[7]) = (0.4, 0.4);
        assert!(solver.halves(&indices, &broken).is_none());
        // Nor is one with a NaN entry (on the diagonal, where the sign walk does not
        // look and the maxima of the check would skip it).
        let mut nan = a.clone();
        nan[8] = f64::NAN;
        assert!(solver.halves(&indices, &nan).is_none());
        // A signed permutation with P² = -I (an odd electron count) is no involution.
        let (image, kramers) = ([1, 0, 2], [1.0, -1.0, 1.0]);
        assert!(mirror_halves(&indices, &a, &image, &kramers).is_none());
    }

    #[test]
    fn a_spin_field_breaks_the_mirror_and_every_block_is_solved() {
        let mut params = crate::params::ClusterParams::nio_seed_like();
        params.spin_field_ev = [0.0, 0.05];
        assert_eq!(compare_with_mirror(&params), vec![[0, 0]; 3]);
    }

    #[test]
    fn dense_solver_diagonalises_a_hopping_dimer() {
        // One electron on two orbitals with hopping t: eigenvalues -t, +t.
        let (_, _, e) = one_electron(2, vec![(0, 1, 0.7), (1, 0, 0.7)], 10.0);
        assert_eq!(e.blocks.len(), 1);
        assert!((e.values[0] - 9.3).abs() < 1e-14 && (e.values[1] - 10.7).abs() < 1e-14);
    }
}
