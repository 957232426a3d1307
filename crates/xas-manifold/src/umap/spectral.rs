//! Spectral initialisation of UMAP: the eigenvectors of the normalised graph Laplacian
//! `L = I - D^(-1/2) W D^(-1/2)` with the smallest non-zero eigenvalues (Laplacian
//! eigenmaps, Belkin & Niyogi 2003), as umap-learn's `spectral_layout`.
//!
//! They are computed as the largest eigenvectors of `M = P (I + D^(-1/2) W D^(-1/2)) P`
//! (eigenvalues in `[0, 2]`), where `P` projects out the known trivial eigenvector
//! `u ∝ D^(1/2) 1`: densely (faer) for components of at most [`DENSE_BELOW`] vertices,
//! by the restarted Krylov-Schur Lanczos method of faer (`partial_self_adjoint_eigen`)
//! above. A graph of several connected components gets one spectral layout per
//! component, each placed in its own cell of a square grid (largest component first);
//! components too small for a spectral layout are placed at random in their cell.
//! Signs are fixed so that the largest entry of each eigenvector is positive.
//!
//! Limitation shared with umap-learn's ARPACK/LOBPCG path: a single-vector Krylov
//! method finds one vector of an exactly degenerate eigenspace (the symmetric pairs of a
//! perfectly square grid graph), so above [`DENSE_BELOW`] such a graph may get a
//! different, equally valid, basis of that space than the dense solver. Measured
//! spectra never give exactly degenerate graphs; the layout only seeds the SGD.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::matrix_free::LinOp;
use faer::matrix_free::eigen::{
    PartialEigenParams, partial_self_adjoint_eigen, partial_self_adjoint_eigen_scratch,
};
use faer::{Col, Mat, MatMut, MatRef, Par, Side};

use super::fuzzy::Edges;
use crate::rng::SplitMix64;

/// Components up to this size are diagonalised densely.
pub const DENSE_BELOW: usize = 512;
/// Residual tolerance of the Lanczos eigenvectors (unit vectors, eigenvalues in
/// `[0, 2]`).
const TOLERANCE: f64 = 1e-6;

/// A spectral layout of the symmetric graph `w`: `n x dims` row-major coordinates
/// (each component's eigenvectors have unit norm before placement).
///
/// # Errors
/// A message saying why the eigensolver failed (the caller falls back to a random
/// layout and reports it).
pub fn spectral_layout(w: &Edges, dims: usize, seed: u64) -> Result<Vec<f64>, String> {
    let n = w.n_heads;
    let components = connected_components(w);
    let n_comp = components.iter().max().map_or(0, |&c| c + 1);
    if n_comp == 1 {
        return component_layout(w, &(0..n).collect::<Vec<_>>(), dims, seed);
    }
    // Components by decreasing size (ties by their first vertex).
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_comp];
    for (v, &c) in components.iter().enumerate() {
        members[c].push(v);
    }
    members.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let side = (n_comp as f64).sqrt().ceil() as usize;
    let mut out = vec![0.0; n * dims];
    let mut rng = SplitMix64::stream(seed, &[u64::MAX]);
    for (c, vertices) in members.iter().enumerate() {
        let cell = [(c % side) as f64, (c / side) as f64];
        let local = if vertices.len() > dims + 1 {
            let sub = subgraph(w, vertices);
            component_layout(&sub, &(0..vertices.len()).collect::<Vec<_>>(), dims, seed)?
        } else {
            (0..vertices.len() * dims)
                .map(|_| rng.uniform() - 0.5)
                .collect()
        };
        let scale = 0.4 / max_abs(&local).max(f64::MIN_POSITIVE);
        for (r, &v) in vertices.iter().enumerate() {
            for d in 0..dims {
                let offset = if d < 2 { cell[d] } else { 0.0 };
                out[v * dims + d] = offset + scale * local[r * dims + d];
            }
        }
    }
    Ok(out)
}

/// Largest absolute value (0 for an empty slice).
pub(crate) fn max_abs(x: &[f64]) -> f64 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Connected-component label of every vertex (labels `0..c` in order of first vertex).
fn connected_components(w: &Edges) -> Vec<usize> {
    let n = w.n_heads;
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (&h, &t) in w.head.iter().zip(&w.tail) {
        let (a, b) = (find(&mut parent, h), find(&mut parent, t));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut label = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|v| {
            let r = find(&mut parent, v);
            if label[r] == usize::MAX {
                label[r] = next;
                next += 1;
            }
            label[r]
        })
        .collect()
}

/// The subgraph on `vertices` (renumbered `0..len`).
fn subgraph(w: &Edges, vertices: &[usize]) -> Edges {
    let mut local = vec![usize::MAX; w.n_heads];
    for (i, &v) in vertices.iter().enumerate() {
        local[v] = i;
    }
    let mut sub = Edges {
        n_heads: vertices.len(),
        n_tails: vertices.len(),
        head: Vec::new(),
        tail: Vec::new(),
        weight: Vec::new(),
    };
    // Rows of a component appear in increasing vertex order, so the result stays sorted.
    for e in 0..w.len() {
        let (h, t) = (local[w.head[e]], local[w.tail[e]]);
        if h != usize::MAX && t != usize::MAX {
            sub.head.push(h);
            sub.tail.push(t);
            sub.weight.push(w.weight[e]);
        }
    }
    sub
}

/// `x <- x - u (u . x)`.
fn project_out(u: &[f64], x: &mut [f64]) {
    let c: f64 = u.iter().zip(x.iter()).map(|(a, b)| a * b).sum();
    x.iter_mut().zip(u).for_each(|(v, a)| *v -= c * a);
}

/// `M = P (I + D^(-1/2) W D^(-1/2)) P` of one connected graph, applied matrix-free.
#[derive(Debug)]
struct ShiftedAdjacency {
    offsets: Vec<usize>,
    tail: Vec<usize>,
    /// `w_ij / sqrt(deg_i deg_j)`.
    scaled: Vec<f64>,
    /// Unit trivial eigenvector `sqrt(deg) / |sqrt(deg)|`.
    u: Vec<f64>,
}

impl ShiftedAdjacency {
    fn new(w: &Edges) -> Self {
        let n = w.n_heads;
        let mut degree = vec![0.0; n];
        for (&h, &v) in w.head.iter().zip(&w.weight) {
            degree[h] += v;
        }
        let inv_sqrt: Vec<f64> = degree.iter().map(|d| 1.0 / d.sqrt()).collect();
        let scaled = (0..w.len())
            .map(|e| w.weight[e] * inv_sqrt[w.head[e]] * inv_sqrt[w.tail[e]])
            .collect();
        let norm = degree.iter().sum::<f64>().sqrt();
        ShiftedAdjacency {
            offsets: w.row_offsets(),
            tail: w.tail.clone(),
            scaled,
            u: degree.iter().map(|d| d.sqrt() / norm).collect(),
        }
    }

    fn n(&self) -> usize {
        self.u.len()
    }

    /// `y = M x`.
    fn apply_vec(&self, x: &[f64], y: &mut [f64]) {
        let mut px = x.to_vec();
        project_out(&self.u, &mut px);
        for (i, yi) in y.iter_mut().enumerate() {
            let row = self.offsets[i]..self.offsets[i + 1];
            let s: f64 = self.tail[row.clone()]
                .iter()
                .zip(&self.scaled[row])
                .map(|(&j, &v)| v * px[j])
                .sum();
            *yi = px[i] + s;
        }
        project_out(&self.u, y);
    }

    /// `M` as a dense matrix.
    fn dense(&self) -> Mat<f64> {
        let n = self.n();
        let mut m = Mat::<f64>::zeros(n, n);
        let mut e = vec![0.0; n];
        let mut y = vec![0.0; n];
        for j in 0..n {
            e.fill(0.0);
            e[j] = 1.0;
            self.apply_vec(&e, &mut y);
            for (i, &v) in y.iter().enumerate() {
                m[(i, j)] = v;
            }
        }
        m
    }
}

impl LinOp<f64> for ShiftedAdjacency {
    fn apply_scratch(&self, _rhs_ncols: usize, _par: Par) -> StackReq {
        StackReq::EMPTY
    }

    fn nrows(&self) -> usize {
        self.n()
    }

    fn ncols(&self) -> usize {
        self.n()
    }

    fn apply(
        &self,
        mut out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        _par: Par,
        _stack: &mut MemStack,
    ) {
        let n = self.n();
        let mut x = vec![0.0; n];
        let mut y = vec![0.0; n];
        for c in 0..rhs.ncols() {
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = rhs[(i, c)];
            }
            self.apply_vec(&x, &mut y);
            for (i, &yi) in y.iter().enumerate() {
                out[(i, c)] = yi;
            }
        }
    }

    fn conj_apply(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
        stack: &mut MemStack,
    ) {
        self.apply(out, rhs, par, stack);
    }
}

/// Spectral coordinates of one connected graph (`vertices` = all of it, in order).
fn component_layout(
    w: &Edges,
    vertices: &[usize],
    dims: usize,
    seed: u64,
) -> Result<Vec<f64>, String> {
    let n = vertices.len();
    if n <= dims + 1 {
        return Err(format!("{n} points cannot span {dims} spectral dimensions"));
    }
    let op = ShiftedAdjacency::new(w);
    let vectors = if n <= DENSE_BELOW {
        dense_top(&op, dims)?
    } else {
        lanczos_top(&op, dims, seed)?
    };
    let mut out = vec![0.0; n * dims];
    for (d, v) in vectors.iter().enumerate() {
        let sign = sign_of_largest(v);
        for (r, x) in v.iter().enumerate() {
            out[r * dims + d] = sign * x;
        }
    }
    Ok(out)
}

/// `+1` or `-1`: the sign of the entry of largest magnitude (first one on ties).
fn sign_of_largest(v: &[f64]) -> f64 {
    let mut best = 0.0f64;
    for &x in v {
        if x.abs() > best.abs() {
            best = x;
        }
    }
    if best < 0.0 { -1.0 } else { 1.0 }
}

/// The `dims` leading eigenvectors of `M` by a dense eigendecomposition.
fn dense_top(op: &ShiftedAdjacency, dims: usize) -> Result<Vec<Vec<f64>>, String> {
    let m = op.dense();
    let evd = m
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| format!("dense eigendecomposition failed: {e:?}"))?;
    let u = evd.U();
    let n = op.n();
    // Eigenvalues ascend: the leading ones are the last columns.
    Ok((0..dims)
        .map(|d| (0..n).map(|r| u[(r, n - 1 - d)]).collect())
        .collect())
}

/// The `dims` leading eigenvectors of `M` by restarted Lanczos, from a seeded random
/// start vector.
fn lanczos_top(op: &ShiftedAdjacency, dims: usize, seed: u64) -> Result<Vec<Vec<f64>>, String> {
    let n = op.n();
    // Subspace size: 32 vectors (at least 2k + 1). umap-learn gives ARPACK
    // `max(2k + 1, sqrt(n))`, but the orthogonalisation of a basis of m vectors costs
    // O(n m^2) per restart: at 70,000 points 264 vectors took 1.4 s, 32 take 0.6 s to
    // the same tolerance (more, cheaper restarts).
    let params = PartialEigenParams {
        max_dim: (2 * dims + 1).max(32).min(n - 1),
        ..PartialEigenParams::default()
    };
    let mut rng = SplitMix64::new(seed);
    let mut v0: Col<f64> = Col::from_fn(n, |_| rng.normal());
    let mut start: Vec<f64> = (0..n).map(|i| v0[i]).collect();
    project_out(&op.u, &mut start);
    for (i, s) in start.iter().enumerate() {
        v0[i] = *s;
    }
    let mut vecs = Mat::<f64>::zeros(n, dims);
    let mut vals = vec![0.0; dims];
    let mut mem = MemBuffer::new(partial_self_adjoint_eigen_scratch(
        op,
        dims,
        Par::Seq,
        params,
    ));
    let info = partial_self_adjoint_eigen(
        vecs.as_mut(),
        &mut vals,
        op,
        v0.as_ref(),
        TOLERANCE,
        Par::Seq,
        MemStack::new(&mut mem),
        params,
    );
    if info.n_converged_eigen < dims {
        return Err(format!(
            "Lanczos converged {} of {dims} eigenvectors",
            info.n_converged_eigen
        ));
    }
    // Largest magnitude first; M is positive semi-definite so this is largest first.
    let mut order: Vec<usize> = (0..dims).collect();
    order.sort_by(|&a, &b| vals[b].total_cmp(&vals[a]));
    Ok(order
        .into_iter()
        .map(|d| (0..n).map(|r| vecs[(r, d)]).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ring of `n` vertices with unit weights.
    fn ring(n: usize) -> Edges {
        let mut t = Vec::new();
        for i in 0..n {
            for j in [(i + 1) % n, (i + n - 1) % n] {
                t.push((i, j));
            }
        }
        t.sort_unstable();
        Edges {
            n_heads: n,
            n_tails: n,
            head: t.iter().map(|e| e.0).collect(),
            tail: t.iter().map(|e| e.1).collect(),
            weight: vec![1.0; t.len()],
        }
    }

    /// The Laplacian eigenmap of a ring is a circle: `(cos, sin)` of the angle.
    fn assert_circle(n: usize) {
        let y = spectral_layout(&ring(n), 2, 1).expect("layout");
        let radii: Vec<f64> = y.chunks(2).map(|p| p[0].hypot(p[1])).collect();
        let mean = radii.iter().sum::<f64>() / n as f64;
        // Unit eigenvectors of a ring: each coordinate has norm 1, radius sqrt(2/n).
        assert!(
            (mean - (2.0 / n as f64).sqrt()).abs() < 1e-6 * mean,
            "{mean}"
        );
        assert!(radii.iter().all(|r| (r - mean).abs() < 1e-6 * mean));
    }

    #[test]
    fn ring_gives_a_circle() {
        assert_circle(100);
    }

    /// An `s x h` grid graph (4-neighbour, unit weights).
    fn grid(s: usize, h: usize) -> Edges {
        let mut t = Vec::new();
        for i in 0..s * h {
            let (x, y) = (i % s, i / s);
            if x > 0 {
                t.push((i, i - 1));
            }
            if x + 1 < s {
                t.push((i, i + 1));
            }
            if y > 0 {
                t.push((i, i - s));
            }
            if y + 1 < h {
                t.push((i, i + s));
            }
        }
        t.sort_unstable();
        Edges {
            n_heads: s * h,
            n_tails: s * h,
            head: t.iter().map(|e| e.0).collect(),
            tail: t.iter().map(|e| e.1).collect(),
            weight: vec![1.0; t.len()],
        }
    }

    /// Lanczos finds the same leading eigenvectors as the dense solver. (A rectangular
    /// grid: a single-vector Krylov method, like ARPACK, finds one vector of an exactly
    /// degenerate eigenspace, such as the pairs of a square grid.)
    #[test]
    fn lanczos_matches_dense() {
        let op = ShiftedAdjacency::new(&grid(25, 36));
        let dense = dense_top(&op, 3).expect("dense");
        let lanczos = lanczos_top(&op, 3, 5).expect("lanczos");
        for v in &lanczos {
            let residual: f64 = {
                let mut r = v.clone();
                for u in &dense {
                    let c: f64 = u.iter().zip(v).map(|(a, b)| a * b).sum();
                    r.iter_mut().zip(u).for_each(|(x, a)| *x -= c * a);
                }
                r.iter().map(|x| x * x).sum::<f64>().sqrt()
            };
            assert!(residual < 1e-4, "{residual}");
        }
    }

    #[test]
    fn components_get_separate_cells() {
        let a = ring(30);
        let mut e = a.clone();
        e.n_heads = 62;
        e.n_tails = 62;
        for k in 0..a.len() {
            e.head.push(a.head[k] + 30);
            e.tail.push(a.tail[k] + 30);
            e.weight.push(1.0);
        }
        // Two isolated vertices (60, 61) form their own components.
        let y = spectral_layout(&e, 2, 3).expect("layout");
        let centre = |r: std::ops::Range<usize>| {
            let k = r.len() as f64;
            let s = r.fold([0.0, 0.0], |s, i| [s[0] + y[2 * i], s[1] + y[2 * i + 1]]);
            [s[0] / k, s[1] / k]
        };
        let (c0, c1) = (centre(0..30), centre(30..60));
        assert!((c0[0] - c1[0]).hypot(c0[1] - c1[1]) > 0.9);
        assert!(y.iter().all(|v| v.is_finite()));
        assert_eq!(connected_components(&e)[61], 3);
    }
}
