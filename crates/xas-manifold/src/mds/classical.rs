//! Classical (Torgerson-Gower) MDS, also called principal coordinates analysis.
//!
//! With `S_ij = delta_ij^2`, row means `s_i = (1/n) sum_j S_ij` and grand mean
//! `g = (1/n) sum_i s_i`, the double-centred matrix is
//!
//! ```text
//! B = -1/2 J S J,   B_ij = -1/2 (S_ij - s_i - s_j + g),   J = I - 11^T / n,
//! ```
//!
//! the Gram matrix of the centred points when the distances are Euclidean. With its
//! eigenpairs `B v_c = lambda_c v_c` (`lambda_1 >= lambda_2 >= ...`, `|v_c| = 1`) the
//! coordinates are `x_ic = sqrt(lambda_c) v_ic` for the `dims` largest eigenvalues.
//! Eigenvalues not above `1e-10 max|lambda|` count as zero: **if fewer than `dims`
//! eigenvalues are positive, the remaining coordinate columns are zero**.
//! `tr(B) = sum_ij S_ij / (2n)` is the sum of all eigenvalues; negative eigenvalues mean
//! the distances are not Euclidean, and their share of `sum |lambda|` measures how far.
//!
//! **Solvers.** Up to [`DENSE_LIMIT`] points, `B` is formed and diagonalised densely
//! (faer, `O(n^3)` time, `O(n^2)` memory), which gives the whole spectrum. Above, the
//! largest eigenpairs come from faer's restarted Krylov-Schur Lanczos method applied
//! matrix-free to `B x = -1/2 J (S (J x))` (`O(n^2)` per product, no copy of `S` when
//! `D` is symmetric), which gives the kept eigenvalues and the smallest eigenvalue but
//! not the positive and negative masses. Lanczos finds the eigenvalues of largest
//! *magnitude*; when some of those are negative it is rerun on `B + rho I` (`rho` the
//! spectral radius), whose largest-magnitude eigenvalues are the largest of `B`.
//!
//! **New points** (Gower 1968): a point at distances `d_j` from the training points has
//! coordinates `y_c = 1/(2 lambda_c) sum_j x_jc (s_j - d_j^2)`, which reproduces `x_i`
//! for the distances of training point `i` and is the projection onto the map of any
//! point of the same Euclidean space.

use std::borrow::Cow;

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::matrix_free::LinOp;
use faer::matrix_free::eigen::{
    PartialEigenParams, partial_self_adjoint_eigen, partial_self_adjoint_eigen_scratch,
};
use faer::{Col, Mat, MatMut, MatRef, Par, Side};
#[cfg(feature = "rayon")]
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{check_coords, check_queries, fix_signs, symmetric_part};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::space::DistanceMatrix;

/// Matrices of up to this many points are diagonalised densely (whole spectrum); larger
/// ones by matrix-free Lanczos (kept eigenpairs only).
pub const DENSE_LIMIT: usize = 3000;
/// Eigenvalues of magnitude at most this times the spectral radius count as zero.
const ZERO_EIGENVALUE: f64 = 1e-10;
/// Lanczos residual tolerance, relative to `||B||_F`.
const LANCZOS_TOLERANCE: f64 = 1e-10;
/// Seed of the Lanczos start vector.
const LANCZOS_SEED: u64 = 0x00C1_A551_CA1D;

/// A classical MDS map of `n` points in `dims` dimensions, with the spectrum summary
/// and what [`ClassicalMds::transform`] needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassicalMds {
    /// Coordinates, `n x dims` row-major.
    coords: Vec<f64>,
    /// The `dims` largest eigenvalues of `B`, non-increasing (units: distance^2).
    eigenvalues: Vec<f64>,
    /// How many of `eigenvalues` count as positive (the non-zero coordinate columns).
    rank: usize,
    /// `tr(B)`, the sum of all eigenvalues.
    trace: f64,
    /// Sum of the positive eigenvalues (dense solver only).
    positive_mass: Option<f64>,
    /// Sum of the magnitudes of the negative eigenvalues (dense solver only).
    negative_mass: Option<f64>,
    /// The smallest eigenvalue of `B`.
    smallest_eigenvalue: f64,
    /// `s_j`, the mean squared distance from training point `j` to all of them.
    mean_squared: Vec<f64>,
}

impl ClassicalMds {
    /// Classical MDS of `d` (symmetrised as `(D + D^T) / 2`) in `dims` dimensions.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `distances` for fewer than 3 points or all
    /// distances zero; [`Error::InvalidParameter`] naming `dims` unless
    /// `1 <= dims < n`; [`Error::Numerical`] when the eigensolver fails.
    pub fn fit(d: &DistanceMatrix, dims: usize) -> Result<ClassicalMds> {
        let delta = symmetric_part(d, dims)?;
        let n = d.len();
        let op = DoubleCentred::new(delta, n);
        let spectrum = if n <= DENSE_LIMIT || !lanczos_applies(n, dims) {
            dense_spectrum(&op, dims)?
        } else {
            lanczos_spectrum(&op, dims)?
        };
        Ok(ClassicalMds::from_spectrum(&op, spectrum))
    }

    /// The model from the leading eigenpairs.
    fn from_spectrum(op: &DoubleCentred<'_>, s: Spectrum) -> ClassicalMds {
        let dims = s.values.len();
        let floor = ZERO_EIGENVALUE * s.radius;
        let rank = s.values.iter().take_while(|&&l| l > floor).count();
        let mut coords = vec![0.0; op.n * dims];
        for (c, (lambda, v)) in s.values.iter().zip(&s.vectors).take(rank).enumerate() {
            let root = lambda.sqrt();
            for (row, vi) in coords.chunks_exact_mut(dims).zip(v) {
                row[c] = root * vi;
            }
        }
        fix_signs(&mut coords, dims);
        ClassicalMds {
            coords,
            eigenvalues: s.values,
            rank,
            trace: op.trace(),
            positive_mass: s.positive_mass,
            negative_mass: s.negative_mass,
            smallest_eigenvalue: s.smallest,
            mean_squared: op.row_mean_sq.clone(),
        }
    }

    /// Places new points from their distances to the `n` training points
    /// (`q x n` row-major) by Gower's formula
    /// `y_c = 1/(2 lambda_c) sum_j x_jc (s_j - d_j^2)`; returns `q x dims` row-major.
    /// Coordinates of zero-eigenvalue columns are zero.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `distances_to_training` for a length that is not a
    /// positive multiple of `n` or an entry that is negative or not finite (with its
    /// query and training point), or naming `model` for an inconsistent model.
    pub fn transform(&self, distances_to_training: &[f64]) -> Result<Vec<f64>> {
        let (n, dims) = (self.n_points(), self.dims());
        check_coords(&self.coords, n, dims)?;
        if self.rank > dims {
            return Err(Error::data("model", "rank exceeds the dimensions"));
        }
        check_queries("distances_to_training", distances_to_training, n)?;
        let mut out = Vec::with_capacity(distances_to_training.len() / n * dims);
        for d in distances_to_training.chunks_exact(n) {
            out.extend((0..dims).map(|c| self.gower(d, c)));
        }
        Ok(out)
    }

    /// Coordinate `c` of a point at distances `d` (zero beyond the rank).
    fn gower(&self, d: &[f64], c: usize) -> f64 {
        if c >= self.rank {
            return 0.0;
        }
        let dims = self.dims();
        let sum: f64 = self
            .coords
            .chunks_exact(dims)
            .zip(&self.mean_squared)
            .zip(d)
            .map(|((x, s), dj)| x[c] * (s - dj * dj))
            .sum();
        sum / (2.0 * self.eigenvalues[c])
    }

    /// Coordinates of the training points, `n x dims` row-major.
    pub fn coords(&self) -> &[f64] {
        &self.coords
    }

    /// Number of training points `n`.
    pub fn n_points(&self) -> usize {
        self.mean_squared.len()
    }

    /// Embedding dimension.
    pub fn dims(&self) -> usize {
        self.eigenvalues.len()
    }

    /// The `dims` largest eigenvalues of `B`, non-increasing (units of distance
    /// squared; `lambda_c / (n - 1)` is the variance along axis `c`).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// Number of kept eigenvalues above `1e-10` times the spectral radius: the leading
    /// coordinate columns that are not identically zero.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// `tr(B) = sum_ij delta_ij^2 / (2n)`: the sum of all eigenvalues (positive minus
    /// negative mass).
    pub fn trace(&self) -> f64 {
        self.trace
    }

    /// Sum of the positive eigenvalues of `B`; `None` above [`DENSE_LIMIT`] points,
    /// where only the leading eigenvalues are computed.
    pub fn positive_mass(&self) -> Option<f64> {
        self.positive_mass
    }

    /// Sum of `|lambda|` over the negative eigenvalues of `B` (zero for Euclidean
    /// distances); `None` above [`DENSE_LIMIT`] points.
    pub fn negative_mass(&self) -> Option<f64> {
        self.negative_mass
    }

    /// The smallest eigenvalue of `B`: clearly negative (beyond rounding,
    /// `~1e-12 max|lambda|`) when the distances are not Euclidean.
    pub fn smallest_eigenvalue(&self) -> f64 {
        self.smallest_eigenvalue
    }

    /// Fraction of the positive eigenvalue mass captured by the map,
    /// `sum_{c <= dims, lambda_c > 0} lambda_c / sum_{lambda > 0} lambda` (1 for
    /// Euclidean distances of rank at most `dims`); `None` above [`DENSE_LIMIT`] points.
    pub fn captured_fraction(&self) -> Option<f64> {
        let kept: f64 = self.eigenvalues[..self.rank.min(self.dims())].iter().sum();
        self.positive_mass
            .map(|p| if p > 0.0 { kept / p } else { 1.0 })
    }

    /// `negative mass / (positive mass + negative mass)`: 0 for Euclidean distances,
    /// growing with the violation; `None` above [`DENSE_LIMIT`] points.
    pub fn negative_mass_fraction(&self) -> Option<f64> {
        let (p, q) = (self.positive_mass?, self.negative_mass?);
        Some(if p + q > 0.0 { q / (p + q) } else { 0.0 })
    }
}

/// Whether faer's Lanczos can run: its subspace `max(64, 2 dims)` must be smaller
/// than `n`.
fn lanczos_applies(n: usize, dims: usize) -> bool {
    n > (2 * dims).max(64)
}

/// The leading eigenpairs and the summary of the spectrum of `B`.
struct Spectrum {
    /// The `dims` largest eigenvalues, non-increasing.
    values: Vec<f64>,
    /// Their unit eigenvectors (length `n` each).
    vectors: Vec<Vec<f64>>,
    positive_mass: Option<f64>,
    negative_mass: Option<f64>,
    smallest: f64,
    /// Spectral radius `max |lambda|`.
    radius: f64,
}

/// `B = -1/2 J S J` of the squared dissimilarities, applied without forming it.
#[derive(Debug)]
struct DoubleCentred<'a> {
    /// `delta`, `n x n` row-major (squared on the fly).
    delta: Cow<'a, [f64]>,
    n: usize,
    /// `s_i = (1/n) sum_j delta_ij^2`.
    row_mean_sq: Vec<f64>,
    /// `g = (1/n) sum_i s_i`.
    grand_mean_sq: f64,
}

impl<'a> DoubleCentred<'a> {
    /// The operator of the `n x n` dissimilarities `delta`.
    fn new(delta: Cow<'a, [f64]>, n: usize) -> Self {
        let row_mean_sq: Vec<f64> = delta
            .chunks_exact(n)
            .map(|row| row.iter().map(|v| v * v).sum::<f64>() / n as f64)
            .collect();
        let grand_mean_sq = row_mean_sq.iter().sum::<f64>() / n as f64;
        DoubleCentred {
            delta,
            n,
            row_mean_sq,
            grand_mean_sq,
        }
    }

    /// `B_ij`.
    fn entry(&self, i: usize, j: usize) -> f64 {
        let v = self.delta[i * self.n + j];
        -0.5 * (v * v - self.row_mean_sq[i] - self.row_mean_sq[j] + self.grand_mean_sq)
    }

    /// `B` as a dense matrix.
    fn dense(&self) -> Mat<f64> {
        Mat::from_fn(self.n, self.n, |i, j| self.entry(i, j))
    }

    /// `tr(B) = n g / 2`.
    fn trace(&self) -> f64 {
        0.5 * self.n as f64 * self.grand_mean_sq
    }

    /// `||B||_F`.
    fn frobenius(&self) -> f64 {
        let n = self.n;
        (0..n)
            .map(|i| (0..n).map(|j| self.entry(i, j).powi(2)).sum::<f64>())
            .sum::<f64>()
            .sqrt()
    }

    /// `y = B x = -1/2 J S J x`.
    fn apply_vec(&self, x: &[f64], y: &mut [f64]) {
        let z = centred(x);
        self.squared_matvec(&z, y);
        let mean = y.iter().sum::<f64>() / self.n as f64;
        y.iter_mut().for_each(|v| *v = -0.5 * (*v - mean));
    }

    /// `w = S z`, row by row (rows in parallel with the `rayon` feature; each row's sum
    /// is serial, so the result does not depend on the thread count).
    fn squared_matvec(&self, z: &[f64], w: &mut [f64]) {
        let n = self.n;
        let row = |(i, wi): (usize, &mut f64)| {
            *wi = squared_dot(&self.delta[i * n..(i + 1) * n], z);
        };
        #[cfg(feature = "rayon")]
        w.par_iter_mut().enumerate().for_each(row);
        #[cfg(not(feature = "rayon"))]
        w.iter_mut().enumerate().for_each(row);
    }
}

/// `x - mean(x)`.
fn centred(x: &[f64]) -> Vec<f64> {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|v| v - mean).collect()
}

/// `sum_j a_j^2 z_j` with four running sums (so the compiler vectorises it).
fn squared_dot(a: &[f64], z: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cz) = (a.chunks_exact(4), z.chunks_exact(4));
    let (ra, rz) = (ca.remainder(), cz.remainder());
    for (x, y) in ca.zip(cz) {
        for l in 0..4 {
            acc[l] += x[l] * x[l] * y[l];
        }
    }
    let tail: f64 = ra.iter().zip(rz).map(|(x, y)| x * x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `scale B + shift I`, the operator handed to Lanczos.
#[derive(Debug)]
struct Shifted<'a, 'b> {
    b: &'a DoubleCentred<'b>,
    scale: f64,
    shift: f64,
}

impl LinOp<f64> for Shifted<'_, '_> {
    fn apply_scratch(&self, _rhs_ncols: usize, _par: Par) -> StackReq {
        StackReq::EMPTY
    }

    fn nrows(&self) -> usize {
        self.b.n
    }

    fn ncols(&self) -> usize {
        self.b.n
    }

    fn apply(&self, mut out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, _par: Par, _: &mut MemStack) {
        let n = self.b.n;
        let mut y = vec![0.0; n];
        for c in 0..rhs.ncols() {
            let x: Vec<f64> = (0..n).map(|i| rhs[(i, c)]).collect();
            self.b.apply_vec(&x, &mut y);
            for (i, (yi, xi)) in y.iter().zip(&x).enumerate() {
                out[(i, c)] = self.scale * yi + self.shift * xi;
            }
        }
    }

    fn conj_apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par, s: &mut MemStack) {
        self.apply(out, rhs, par, s);
    }
}

/// The whole spectrum by a dense eigendecomposition of `B`.
fn dense_spectrum(op: &DoubleCentred<'_>, dims: usize) -> Result<Spectrum> {
    let evd = op
        .dense()
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::numerical("classical MDS (dense eigensolver)", format!("{e:?}")))?;
    let (u, s) = (evd.U(), evd.S().column_vector());
    let n = op.n;
    // faer returns the eigenvalues in increasing order.
    let all: Vec<f64> = (0..n).map(|i| s[i]).collect();
    let radius = all[0].abs().max(all[n - 1].abs());
    let floor = ZERO_EIGENVALUE * radius;
    let positive: f64 = all.iter().filter(|&&l| l > floor).sum();
    let negative: f64 = all.iter().filter(|&&l| l < -floor).map(|l| -l).sum();
    Ok(Spectrum {
        values: (0..dims).map(|c| all[n - 1 - c]).collect(),
        vectors: (0..dims)
            .map(|c| (0..n).map(|r| u[(r, n - 1 - c)]).collect())
            .collect(),
        positive_mass: Some(positive),
        negative_mass: Some(negative),
        smallest: all[0],
        radius,
    })
}

/// The `dims` largest eigenpairs and the smallest eigenvalue by Lanczos (see the
/// module documentation for the shifts).
fn lanczos_spectrum(op: &DoubleCentred<'_>, dims: usize) -> Result<Spectrum> {
    let tol = LANCZOS_TOLERANCE * op.frobenius();
    let (values, vectors) = lanczos(op, 1.0, 0.0, dims, tol)?;
    let radius = values.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    let floor = ZERO_EIGENVALUE * radius;
    let smallest = if values.iter().any(|&l| l < -floor) {
        values.iter().fold(f64::INFINITY, |m, &l| m.min(l))
    } else {
        // Largest eigenvalue of rho I - B is rho - lambda_min.
        radius - lanczos(op, -1.0, radius, 1, tol)?.0[0]
    };
    let (values, vectors) = if values.iter().all(|&l| l > floor) {
        (values, vectors)
    } else {
        // B + rho I is positive semi-definite: largest magnitude = largest.
        let (shifted, vectors) = lanczos(op, 1.0, radius, dims, tol)?;
        (shifted.iter().map(|l| l - radius).collect(), vectors)
    };
    Ok(Spectrum {
        values,
        vectors,
        positive_mass: None,
        negative_mass: None,
        smallest,
        radius,
    })
}

/// The `nev` eigenpairs of largest magnitude of `scale B + shift I`, sorted by
/// decreasing eigenvalue.
fn lanczos(
    op: &DoubleCentred<'_>,
    scale: f64,
    shift: f64,
    nev: usize,
    tol: f64,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let a = Shifted {
        b: op,
        scale,
        shift,
    };
    let n = op.n;
    let params = PartialEigenParams::default();
    let mut rng = SplitMix64::new(LANCZOS_SEED);
    let start: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let v0 = Col::from_fn(n, |i| start[i]);
    let mut vecs = Mat::<f64>::zeros(n, nev);
    let mut vals = vec![0.0; nev];
    let mut mem = MemBuffer::new(partial_self_adjoint_eigen_scratch(
        &a,
        nev,
        Par::Seq,
        params,
    ));
    let info = partial_self_adjoint_eigen(
        vecs.as_mut(),
        &mut vals,
        &a,
        v0.as_ref(),
        tol,
        Par::Seq,
        MemStack::new(&mut mem),
        params,
    );
    if info.n_converged_eigen < nev {
        return Err(Error::numerical(
            "classical MDS (Lanczos)",
            format!("{} of {nev} eigenpairs converged", info.n_converged_eigen),
        ));
    }
    let mut order: Vec<usize> = (0..nev).collect();
    order.sort_by(|&p, &q| vals[q].total_cmp(&vals[p]));
    Ok((
        order.iter().map(|&c| vals[c]).collect(),
        order
            .iter()
            .map(|&c| (0..n).map(|r| vecs[(r, c)]).collect())
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Euclidean distances of `n x dim` points.
    fn distances(points: &[f64], dim: usize) -> DistanceMatrix {
        let n = points.len() / dim;
        let mut d = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (&points[i * dim..][..dim], &points[j * dim..][..dim]);
                d[i * n + j] = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<f64>()
                    .sqrt();
            }
        }
        DistanceMatrix::new(n, d).expect("valid")
    }

    fn random_points(n: usize, dim: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        (0..n * dim).map(|_| rng.normal()).collect()
    }

    #[test]
    fn matrix_free_operator_matches_the_dense_matrix() {
        let d = distances(&random_points(40, 3, 1), 3);
        let op = DoubleCentred::new(Cow::Borrowed(d.as_slice()), d.len());
        let dense = op.dense();
        let x: Vec<f64> = (0..40).map(|i| f64::from(i % 7) - 2.5).collect();
        let mut y = vec![0.0; 40];
        op.apply_vec(&x, &mut y);
        for (i, yi) in y.iter().enumerate() {
            let want: f64 = (0..40).map(|j| dense[(i, j)] * x[j]).sum();
            assert!(
                (yi - want).abs() < 1e-12 * (1.0 + want.abs()),
                "{yi} {want}"
            );
        }
        let trace: f64 = (0..40).map(|i| dense[(i, i)]).sum();
        assert!((op.trace() - trace).abs() < 1e-12 * trace);
    }

    /// Both solvers on the same operator.
    fn both(d: &DistanceMatrix, dims: usize) -> (ClassicalMds, ClassicalMds) {
        let op = DoubleCentred::new(Cow::Borrowed(d.as_slice()), d.len());
        let dense = ClassicalMds::from_spectrum(&op, dense_spectrum(&op, dims).expect("dense"));
        let lanczos =
            ClassicalMds::from_spectrum(&op, lanczos_spectrum(&op, dims).expect("lanczos"));
        (dense, lanczos)
    }

    fn assert_close(a: &[f64], b: &[f64], tol: f64) {
        let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol * scale, "{x} vs {y}");
        }
    }

    #[test]
    fn lanczos_agrees_with_the_dense_solver() {
        let d = distances(&random_points(200, 3, 2), 3);
        let (dense, lanczos) = both(&d, 2);
        assert_close(dense.eigenvalues(), lanczos.eigenvalues(), 1e-10);
        assert_close(dense.coords(), lanczos.coords(), 1e-8);
        assert!(lanczos.smallest_eigenvalue().abs() < 1e-9 * lanczos.eigenvalues()[0]);
        assert_eq!(lanczos.positive_mass(), None);
        assert!((dense.trace() - lanczos.trace()).abs() < 1e-12 * dense.trace());
    }

    #[test]
    fn lanczos_finds_a_repeated_eigenvalue() {
        // Points evenly spaced on a circle: lambda_1 = lambda_2.
        let n = 150;
        let circle: Vec<f64> = (0..n)
            .flat_map(|i| {
                let t = std::f64::consts::TAU * i as f64 / n as f64;
                [t.cos(), t.sin()]
            })
            .collect();
        let (dense, lanczos) = both(&distances(&circle, 2), 2);
        assert_close(dense.eigenvalues(), lanczos.eigenvalues(), 1e-10);
        assert_eq!(lanczos.rank(), 2);
    }

    #[test]
    fn lanczos_shifts_past_negative_eigenvalues() {
        // Random "distances" (not Euclidean): large negative eigenvalues.
        let n = 120;
        let mut rng = SplitMix64::new(5);
        let mut d = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..i {
                let v = 1.0 + rng.uniform();
                d[i * n + j] = v;
                d[j * n + i] = v;
            }
        }
        let d = DistanceMatrix::new(n, d).expect("valid");
        let (dense, lanczos) = both(&d, 3);
        assert!(
            dense.smallest_eigenvalue() < -0.1,
            "{}",
            dense.smallest_eigenvalue()
        );
        assert_close(dense.eigenvalues(), lanczos.eigenvalues(), 1e-9);
        let (a, b) = (dense.smallest_eigenvalue(), lanczos.smallest_eigenvalue());
        assert!((a - b).abs() < 1e-9 * a.abs(), "{a} {b}");
        assert_close(dense.coords(), lanczos.coords(), 1e-7);
    }

    #[test]
    fn squared_dot_matches_the_plain_sum() {
        let a: Vec<f64> = (0..11).map(|i| f64::from(i) * 0.5).collect();
        let z: Vec<f64> = (0..11).map(|i| 1.0 - f64::from(i) * 0.1).collect();
        let want: f64 = a.iter().zip(&z).map(|(x, y)| x * x * y).sum();
        assert!((squared_dot(&a, &z) - want).abs() < 1e-12);
    }
}
