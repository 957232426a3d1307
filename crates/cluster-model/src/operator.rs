//! Second-quantised operators and their sparse matrices between Fock sectors.

use crate::fock::{Det, Sector, annihilate, create};

/// A sum of one-body terms `v c_i^dagger c_j` and two-body terms
/// `v c_i^dagger c_j^dagger c_l c_k` over global spin-orbital indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Operator {
    /// `(i, j, v)`: `v c_i^dagger c_j`.
    pub one_body: Vec<(usize, usize, f64)>,
    /// `(i, j, k, l, v)`: `v c_i^dagger c_j^dagger c_l c_k`.
    pub two_body: Vec<(usize, usize, usize, usize, f64)>,
    /// `(i, v)`: `v c_i` (annihilation; changes the electron count).
    pub annihilators: Vec<(usize, f64)>,
}

impl Operator {
    /// `sum_ij h[i][j] c_(offset_a + i)^dagger c_(offset_b + j)` for a one-particle matrix
    /// between two shells (the same shell when `offset_a == offset_b`).
    pub fn one_particle(h: &[Vec<f64>], offset_a: usize, offset_b: usize) -> Self {
        let mut op = Operator::default();
        for (i, row) in h.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    op.one_body.push((offset_a + i, offset_b + j, v));
                }
            }
        }
        op
    }

    /// Adds `scale * other` to `self`.
    pub fn add_scaled(&mut self, other: &Operator, scale: f64) {
        self.one_body
            .extend(other.one_body.iter().map(|&(i, j, v)| (i, j, scale * v)));
        self.two_body.extend(
            other
                .two_body
                .iter()
                .map(|&(i, j, k, l, v)| (i, j, k, l, scale * v)),
        );
        self.annihilators
            .extend(other.annihilators.iter().map(|&(i, v)| (i, scale * v)));
    }

    /// The Hermitian conjugate of the one-body part (`c_i^dagger c_j -> c_j^dagger c_i`);
    /// used to make `V + V^dagger` hopping.
    pub fn one_body_adjoint(&self) -> Operator {
        Operator {
            one_body: self.one_body.iter().map(|&(i, j, v)| (j, i, v)).collect(),
            ..Operator::default()
        }
    }

    /// Calls `f(new_det, amplitude)` for every determinant the operator produces from
    /// `det` (amplitudes of equal determinants are not merged here).
    pub fn apply(&self, det: Det, mut f: impl FnMut(Det, f64)) {
        for &(i, j, v) in &self.one_body {
            if let Some((d1, s1)) = annihilate(det, j)
                && let Some((d2, s2)) = create(d1, i)
            {
                f(d2, v * s1 * s2);
            }
        }
        for &(i, j, k, l, v) in &self.two_body {
            let Some((d1, s1)) = annihilate(det, k) else {
                continue;
            };
            let Some((d2, s2)) = annihilate(d1, l) else {
                continue;
            };
            let Some((d3, s3)) = create(d2, j) else {
                continue;
            };
            let Some((d4, s4)) = create(d3, i) else {
                continue;
            };
            f(d4, v * s1 * s2 * s3 * s4);
        }
        for &(i, v) in &self.annihilators {
            if let Some((d1, s1)) = annihilate(det, i) {
                f(d1, v * s1);
            }
        }
    }

    /// The matrix `<to_i| O |from_j>` as sorted, merged triplets `(row, col, value)`.
    /// Products that leave `to` are dropped (they are zero by construction for
    /// operators that conserve the sector's counts).
    pub fn triplets(&self, from: &Sector, to: &Sector) -> Vec<(usize, usize, f64)> {
        let mut out = Vec::new();
        let mut column: Vec<(usize, f64)> = Vec::new();
        for (col, &det) in from.dets().iter().enumerate() {
            column.clear();
            self.apply(det, |d, v| {
                if let Some(row) = to.index_of(d) {
                    column.push((row, v));
                }
            });
            column.sort_by_key(|&(r, _)| r);
            let mut k = 0;
            while k < column.len() {
                let row = column[k].0;
                let mut v = 0.0;
                while k < column.len() && column[k].0 == row {
                    v += column[k].1;
                    k += 1;
                }
                if v.abs() > 1e-14 {
                    out.push((row, col, v));
                }
            }
        }
        out.sort_by_key(|&(r, c, _)| (r, c));
        out
    }
}

/// A sparse matrix in compressed sparse row form.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// Number of rows.
    pub nrows: usize,
    /// Number of columns.
    pub ncols: usize,
    /// Row start offsets into `cols`/`values` (length `nrows + 1`).
    pub row_ptr: Vec<usize>,
    /// Column indices.
    pub cols: Vec<usize>,
    /// Values.
    pub values: Vec<f64>,
}

impl Csr {
    /// From triplets sorted by (row, col) without duplicates.
    pub fn from_sorted_triplets(nrows: usize, ncols: usize, t: &[(usize, usize, f64)]) -> Self {
        let mut row_ptr = vec![0; nrows + 1];
        for &(r, _, _) in t {
            row_ptr[r + 1] += 1;
        }
        for r in 0..nrows {
            row_ptr[r + 1] += row_ptr[r];
        }
        Csr {
            nrows,
            ncols,
            row_ptr,
            cols: t.iter().map(|&(_, c, _)| c).collect(),
            values: t.iter().map(|&(_, _, v)| v).collect(),
        }
    }

    /// `y = A x`.
    pub fn matvec(&self, x: &[f64], y: &mut [f64]) {
        matvec_with(&self.row_ptr, &self.cols, &self.values, x, y);
    }
}

impl Csr {
    /// `Y = A X` for `nv` interleaved vectors (component `i` of vector `v` at `i * nv + v`).
    pub fn matvec_multi(&self, x: &[f64], y: &mut [f64], nv: usize) {
        matvec_multi_with(&self.row_ptr, &self.cols, &self.values, x, y, nv);
    }
}

/// `Y = A X` for `nv` interleaved vectors, CSR pattern with separate values.
///
/// Each row is summed in registers, four vectors at a time (callers pad `nv` to a
/// multiple of four; any rest is summed one vector at a time), and the row is stored
/// once. Summing into `y` in memory instead made every product wait for the previous
/// one's store. Even and odd entries of a row go to two partial sums, added at the
/// end, so that two additions are in flight at once.
fn matvec_multi_with(
    row_ptr: &[usize],
    cols: &[usize],
    values: &[f64],
    x: &[f64],
    y: &mut [f64],
    nv: usize,
) {
    for (r, out) in y.chunks_exact_mut(nv).enumerate() {
        let range = row_ptr[r]..row_ptr[r + 1];
        let (cols, values) = (&cols[range.clone()], &values[range]);
        let (o4, o_rest) = out.as_chunks_mut::<4>();
        for (p, o) in o4.iter_mut().enumerate() {
            *o = row_sum(cols, values, |c| {
                let start = c * nv + 4 * p;
                x[start..start + 4].try_into().expect("four entries")
            });
        }
        let done = 4 * o4.len();
        for (q, o) in o_rest.iter_mut().enumerate() {
            *o = row_sum(cols, values, |c| [x[c * nv + done + q]])[0];
        }
    }
}

/// `Σ_k values[k] · x(cols[k])` over one CSR row, for `N` vectors at once, in two
/// interleaved partial sums (even and odd `k`).
#[inline(always)]
fn row_sum<const N: usize>(
    cols: &[usize],
    values: &[f64],
    x: impl Fn(usize) -> [f64; N],
) -> [f64; N] {
    let mut acc = [[0.0; N]; 2];
    let (pairs_c, rest_c) = cols.as_chunks::<2>();
    let (pairs_v, rest_v) = values.as_chunks::<2>();
    for (c, v) in pairs_c.iter().zip(pairs_v) {
        for j in 0..2 {
            let xv = x(c[j]);
            for l in 0..N {
                acc[j][l] += v[j] * xv[l];
            }
        }
    }
    if let (Some(&c), Some(&v)) = (rest_c.first(), rest_v.first()) {
        let xv = x(c);
        for l in 0..N {
            acc[0][l] += v * xv[l];
        }
    }
    std::array::from_fn(|l| acc[0][l] + acc[1][l])
}

/// `y = A x` for a CSR pattern with separately stored values.
pub fn matvec_with(row_ptr: &[usize], cols: &[usize], values: &[f64], x: &[f64], y: &mut [f64]) {
    for (r, out) in y.iter_mut().enumerate() {
        let range = row_ptr[r]..row_ptr[r + 1];
        *out = cols[range.clone()]
            .iter()
            .zip(&values[range])
            .map(|(&c, v)| v * x[c])
            .sum();
    }
}

/// The matrices of several Hermitian terms `H_k` on one sector sharing one sparsity
/// pattern (the union of theirs), so that `H(theta) = sum_k theta_k H_k` is a weighted
/// sum of value arrays, assembled without allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct TermMatrices {
    dim: usize,
    row_ptr: Vec<usize>,
    cols: Vec<usize>,
    /// One value array per term, aligned with the pattern.
    values: Vec<Vec<f64>>,
}

impl TermMatrices {
    /// Builds the matrices of `terms` on `sector`.
    pub fn new(terms: &[Operator], sector: &Sector) -> Self {
        let per_term: Vec<Vec<(usize, usize, f64)>> =
            terms.iter().map(|t| t.triplets(sector, sector)).collect();
        let mut pattern: Vec<(usize, usize)> = per_term
            .iter()
            .flat_map(|t| t.iter().map(|&(r, c, _)| (r, c)))
            .collect();
        pattern.sort_unstable();
        pattern.dedup();
        let dim = sector.dim();
        let mut row_ptr = vec![0; dim + 1];
        for &(r, _) in &pattern {
            row_ptr[r + 1] += 1;
        }
        for r in 0..dim {
            row_ptr[r + 1] += row_ptr[r];
        }
        let cols: Vec<usize> = pattern.iter().map(|&(_, c)| c).collect();
        let values = per_term
            .iter()
            .map(|t| {
                let mut v = vec![0.0; pattern.len()];
                for &(r, c, x) in t {
                    let slot =
                        row_ptr[r] + cols[row_ptr[r]..row_ptr[r + 1]].partition_point(|&k| k < c);
                    v[slot] = x;
                }
                v
            })
            .collect();
        TermMatrices {
            dim,
            row_ptr,
            cols,
            values,
        }
    }

    /// Matrix dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of terms.
    pub fn n_terms(&self) -> usize {
        self.values.len()
    }

    /// Number of stored entries of the shared pattern.
    pub fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// `out = sum_k coefficients[k] H_k` on the shared pattern (`out` is resized once).
    pub fn assemble(&self, coefficients: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.cols.len(), 0.0);
        for (c, v) in coefficients.iter().zip(&self.values) {
            if *c != 0.0 {
                out.iter_mut().zip(v).for_each(|(o, x)| *o += c * x);
            }
        }
    }

    /// The connected components of the graph of non-zero entries of the assembled
    /// `values` (each sorted ascending, components ordered by their smallest index):
    /// the matrix is block diagonal over them.
    pub fn components(&self, values: &[f64]) -> Vec<Vec<usize>> {
        let mut parent: Vec<usize> = (0..self.dim).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        // The pattern and values are symmetric, so the upper triangle has every edge.
        for r in 0..self.dim {
            let range = self.row_ptr[r]..self.row_ptr[r + 1];
            for (&c, &v) in self.cols[range.clone()].iter().zip(&values[range]) {
                if c > r && v != 0.0 {
                    let (a, b) = (root(&mut parent, r), root(&mut parent, c));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        let mut slot = vec![usize::MAX; self.dim];
        let mut out: Vec<Vec<usize>> = Vec::new();
        for i in 0..self.dim {
            let r = root(&mut parent, i);
            if slot[r] == usize::MAX {
                slot[r] = out.len();
                out.push(Vec::new());
            }
            out[slot[r]].push(i);
        }
        out
    }

    /// The diagonal blocks of the assembled `values` over `components` (from
    /// [`TermMatrices::components`]) as CSR matrices in local indices.
    pub fn blocks(&self, values: &[f64], components: &[Vec<usize>]) -> Vec<Csr> {
        let mut local = vec![0; self.dim];
        components
            .iter()
            .map(|indices| {
                for (k, &i) in indices.iter().enumerate() {
                    local[i] = k;
                }
                let mut t = Vec::new();
                for (lr, &r) in indices.iter().enumerate() {
                    for k in self.row_ptr[r]..self.row_ptr[r + 1] {
                        if values[k] != 0.0 {
                            t.push((lr, local[self.cols[k]], values[k]));
                        }
                    }
                }
                Csr::from_sorted_triplets(indices.len(), indices.len(), &t)
            })
            .collect()
    }

    /// Writes the block `indices` of the assembled `values` into a dense column-major
    /// buffer of `n * n` (`local[i]` is the position of sector index `i` in `indices`).
    pub fn gather_dense(
        &self,
        values: &[f64],
        indices: &[usize],
        local: &[usize],
        dense: &mut [f64],
    ) {
        let n = indices.len();
        dense.iter_mut().for_each(|x| *x = 0.0);
        for (lr, &r) in indices.iter().enumerate() {
            for k in self.row_ptr[r]..self.row_ptr[r + 1] {
                if values[k] != 0.0 {
                    dense[local[self.cols[k]] * n + lr] = values[k];
                }
            }
        }
    }

    /// `Y = H X` for `nv` vectors stored interleaved (component `i` of vector `v` at
    /// `i * nv + v`), one pass over the matrix for all of them.
    pub fn matvec_multi(&self, values: &[f64], x: &[f64], y: &mut [f64], nv: usize) {
        matvec_multi_with(&self.row_ptr, &self.cols, values, x, y, nv);
    }

    /// `y = H x` with assembled `values`.
    pub fn matvec(&self, values: &[f64], x: &[f64], y: &mut [f64]) {
        matvec_with(&self.row_ptr, &self.cols, values, x, y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_products_equal_one_vector_at_a_time() {
        // Rows with 0 to 6 entries (odd and even counts), 5 and 8 vectors (a rest of
        // one beside a group of four, and two whole groups).
        let n = 7;
        let triplets: Vec<(usize, usize, f64)> = (0..n)
            .flat_map(|r| (0..r).map(move |k| (r, (r * 3 + k * 5) % n, 0.3 * k as f64 - 1.1)))
            .collect();
        let mut sorted = triplets.clone();
        sorted.sort_by_key(|&(r, c, _)| (r, c));
        sorted.dedup_by_key(|t| (t.0, t.1));
        let a = Csr::from_sorted_triplets(n, n, &sorted);
        for nv in [5, 8] {
            let x: Vec<f64> = (0..n * nv).map(|i| (i as f64 * 0.61).sin()).collect();
            let mut y = vec![f64::NAN; n * nv];
            a.matvec_multi(&x, &mut y, nv);
            for v in 0..nv {
                let xv: Vec<f64> = (0..n).map(|i| x[i * nv + v]).collect();
                let mut yv = vec![0.0; n];
                a.matvec(&xv, &mut yv);
                for i in 0..n {
                    assert!((y[i * nv + v] - yv[i]).abs() < 1e-14, "nv {nv} row {i}");
                }
            }
        }
    }
}
