//! Principal component analysis (PCA) of `n` spectra of `m` points.
//!
//! The rows `x_i` (an `n x m` row-major slice) are centred by the column mean
//! `mu = (1/n) sum_i x_i`, giving `X_c = U S V^T` (thin singular value decomposition).
//! The `k` principal axes ("components", unit loadings) are the first `k` rows of
//! `V^T`, the scores of a spectrum are `t = V_k^T (x - mu)`, and
//!
//! * `explained_variance_c = s_c^2 / (n - 1)`: the eigenvalues of the sample covariance
//!   `C = X_c^T X_c / (n - 1)` (the `1/(n-1)` convention of scikit-learn);
//! * `explained_variance_ratio_c = explained_variance_c / tr(C)`, with the total
//!   variance `tr(C) = ||X_c||_F^2 / (n - 1)` computed exactly from the data, whichever
//!   solver found the components.
//!
//! **Solvers** ([`PcaSolver`]). `Exact`: the thin SVD of `X_c` (faer), `O(n m min(n, m))`.
//! `Randomized`: the range finder of Halko, Martinsson & Tropp (2011, algorithms 4.4
//! and 5.1): a Gaussian test matrix `Omega` (`m x l`, `l = k + oversample`), `Q = qr(X_c
//! Omega)`, `q` power iterations `Q = qr(X_c qr(X_c^T Q))` re-orthonormalised by QR at
//! every half step, then the small SVD of `Q^T X_c`; `O(n m l (2q + 2))`. `Auto` is
//! scikit-learn's rule for its `full`/`randomized` choice: exact unless `max(n, m) > 500`
//! and `k < 0.8 min(n, m)`, then randomized with 7 power iterations (scikit-learn's
//! `n_iter='auto'` for `k < 0.1 min(n, m)`; it uses 4 above). scikit-learn >= 1.5 also
//! picks a covariance eigendecomposition for tall data (`m <= 1000`, `n >= 10 m`),
//! which is the exact solution by another route; here that case is `Exact` or
//! `Randomized` by the rule above.
//!
//! **Sign convention.** An axis is only defined up to sign; each loading vector is
//! flipped so that its entry of largest absolute value (the first such entry on ties)
//! is positive (scikit-learn >= 1.5 does the same, `svd_flip(u_based_decision=False)`).
//! Results are deterministic: the randomized solver draws its test matrix from a seeded
//! SplitMix64 generator.

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// How the leading singular vectors of the centred data are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PcaSolver {
    /// Exact unless `max(n, m) > 500` and `n_components < 0.8 min(n, m)` (scikit-learn's
    /// rule); then `Randomized { oversample: 10, power_iterations: 7, seed: 0 }`.
    #[default]
    Auto,
    /// Thin SVD of the whole centred matrix.
    Exact,
    /// Randomized SVD (Halko, Martinsson & Tropp 2011) with `n_components + oversample`
    /// Gaussian probe vectors (capped at `min(n, m)`), `power_iterations` subspace
    /// iterations with QR re-orthonormalisation, and the test matrix drawn from `seed`.
    /// Accurate when the singular values decay past `n_components` (spectra usually do);
    /// on a flat, noise-like spectrum it underestimates the leading variances by a few
    /// percent.
    Randomized {
        /// Extra probe vectors beyond `n_components` (10 is usual).
        oversample: usize,
        /// Power (subspace) iterations; more sharpen a slowly decaying spectrum.
        power_iterations: usize,
        /// Seed of the Gaussian test matrix.
        seed: u64,
    },
}

impl PcaSolver {
    /// The solver `Auto` stands for on an `n x m` matrix and `k` components; other
    /// solvers are returned unchanged.
    pub fn resolve(self, n: usize, m: usize, k: usize) -> PcaSolver {
        match self {
            PcaSolver::Auto if n.max(m) > 500 && (k as f64) < 0.8 * n.min(m) as f64 => {
                PcaSolver::Randomized {
                    oversample: 10,
                    power_iterations: 7,
                    seed: 0,
                }
            }
            PcaSolver::Auto => PcaSolver::Exact,
            other => other,
        }
    }
}

/// Parameters of [`Pca::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcaParams {
    /// Number of principal components `k`, `1 <= k <= min(n, m)` (default 2).
    pub n_components: usize,
    /// How the components are computed (default [`PcaSolver::Auto`]).
    pub solver: PcaSolver,
}

impl Default for PcaParams {
    fn default() -> Self {
        PcaParams {
            n_components: 2,
            solver: PcaSolver::Auto,
        }
    }
}

impl PcaParams {
    /// Checks what can be checked without the data.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `n_components` when it is 0.
    pub fn validate(&self) -> Result<()> {
        if self.n_components == 0 {
            return Err(Error::param("n_components", "must be at least 1"));
        }
        Ok(())
    }
}

/// A fitted PCA: the column mean, `k` unit principal axes and their variances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Column mean `mu` (length `m`).
    mean: Vec<f64>,
    /// Principal axes, `k x m` row-major, unit length, sign-fixed.
    components: Vec<f64>,
    /// `s_c^2 / (n - 1)` (length `k`, non-increasing).
    explained_variance: Vec<f64>,
    /// `explained_variance / tr(C)` (length `k`).
    explained_variance_ratio: Vec<f64>,
    /// Singular values `s_c` of the centred data (length `k`).
    singular_values: Vec<f64>,
    /// Number of spectra fitted.
    n_samples: usize,
}

impl Pca {
    /// Fits `params.n_components` principal axes to `rows` (`n x m` row-major).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `n_components` when it is 0 or above
    /// `min(n, m)`; [`Error::InvalidData`] naming `rows` for `m = 0`, a length that is
    /// not a multiple of `m`, fewer than 2 spectra, a non-finite value (with its row and
    /// point) or identical spectra (no variance); [`Error::Numerical`] when the SVD does
    /// not converge.
    pub fn fit(rows: &[f64], m: usize, params: &PcaParams) -> Result<Pca> {
        params.validate()?;
        let n = check_rows("rows", rows, m)?;
        if n < 2 {
            return Err(Error::data(
                "rows",
                format!("PCA needs at least 2 spectra, got {n}"),
            ));
        }
        let k = params.n_components;
        if k > n.min(m) {
            return Err(Error::param(
                "n_components",
                format!("{k} exceeds min(spectra, points) = min({n}, {m})"),
            ));
        }
        let mean = column_mean(rows, m);
        let centred = Mat::from_fn(n, m, |i, j| rows[i * m + j] - mean[j]);
        let total = squared_norm(rows, &mean) / (n - 1) as f64;
        if total <= 0.0 {
            return Err(Error::data(
                "rows",
                "all spectra are identical: there is no variance to analyse",
            ));
        }
        let mut axes = match params.solver.resolve(n, m, k) {
            PcaSolver::Randomized {
                oversample,
                power_iterations,
                seed,
            } => randomized_axes(&centred, k, oversample, power_iterations, seed)?,
            PcaSolver::Exact | PcaSolver::Auto => exact_axes(&centred, k)?,
        };
        axes.vectors.chunks_exact_mut(m).for_each(flip_sign);
        let explained_variance: Vec<f64> = axes
            .singular_values
            .iter()
            .map(|s| s * s / (n - 1) as f64)
            .collect();
        Ok(Pca {
            mean,
            components: axes.vectors,
            explained_variance_ratio: explained_variance.iter().map(|v| v / total).collect(),
            explained_variance,
            singular_values: axes.singular_values,
            n_samples: n,
        })
    }

    /// [`Pca::fit`] followed by [`Pca::transform`] of the same rows: the model and the
    /// `n x k` scores.
    ///
    /// # Errors
    /// As [`Pca::fit`].
    pub fn fit_transform(rows: &[f64], m: usize, params: &PcaParams) -> Result<(Pca, Vec<f64>)> {
        let pca = Pca::fit(rows, m, params)?;
        let scores = pca.transform(rows)?;
        Ok((pca, scores))
    }

    /// Scores `t_ic = sum_j (x_ij - mu_j) v_cj` of `rows` (`q x m` row-major), as a
    /// `q x k` row-major vector.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `rows` for a length that is not a positive multiple
    /// of `m` or a non-finite value (with its row and point), or naming `model` for an
    /// inconsistent (e.g. hand-edited, deserialised) model.
    pub fn transform(&self, rows: &[f64]) -> Result<Vec<f64>> {
        self.check_model()?;
        let m = self.dim();
        check_rows("rows", rows, m)?;
        let mut scores = Vec::with_capacity(rows.len() / m * self.n_components());
        for row in rows.chunks_exact(m) {
            for axis in self.components.chunks_exact(m) {
                let t: f64 = row
                    .iter()
                    .zip(&self.mean)
                    .zip(axis)
                    .map(|((x, mu), v)| (x - mu) * v)
                    .sum();
                scores.push(t);
            }
        }
        Ok(scores)
    }

    /// Spectra `x_ij = mu_j + sum_c t_ic v_cj` from scores (`q x k` row-major), as a
    /// `q x m` row-major vector: the projection of the original spectra onto the
    /// principal subspace (exact when `k` equals the rank of the centred data).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `scores` for a length that is not a positive
    /// multiple of `k` or a non-finite value, or naming `model` for an inconsistent
    /// model.
    pub fn inverse_transform(&self, scores: &[f64]) -> Result<Vec<f64>> {
        self.check_model()?;
        let k = self.n_components();
        check_rows("scores", scores, k)?;
        let mut rows = Vec::with_capacity(scores.len() / k * self.dim());
        for t in scores.chunks_exact(k) {
            let start = rows.len();
            rows.extend_from_slice(&self.mean);
            for (tc, axis) in t.iter().zip(self.components.chunks_exact(self.dim())) {
                rows[start..]
                    .iter_mut()
                    .zip(axis)
                    .for_each(|(x, v)| *x += tc * v);
            }
        }
        Ok(rows)
    }

    /// Column mean `mu` of the fitted spectra (length `m`).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Principal axes, `k x m` row-major: unit vectors, mutually orthogonal, ordered by
    /// decreasing variance, the largest-magnitude entry of each positive.
    pub fn components(&self) -> &[f64] {
        &self.components
    }

    /// Variance along each axis, `s_c^2 / (n - 1)` (units of the data squared).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }

    /// Fraction of the total variance `tr(C)` along each axis.
    pub fn explained_variance_ratio(&self) -> &[f64] {
        &self.explained_variance_ratio
    }

    /// Singular values `s_c` of the centred data matrix.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }

    /// Number of spectra the model was fitted to.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Number of components `k`.
    pub fn n_components(&self) -> usize {
        self.explained_variance.len()
    }

    /// Points per spectrum `m`.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Checks that the stored arrays fit together (a deserialised model may not).
    fn check_model(&self) -> Result<()> {
        let (k, m) = (self.n_components(), self.dim());
        if k == 0 || m == 0 || self.components.len() != k * m {
            return Err(Error::data(
                "model",
                format!(
                    "{} loadings do not form {k} components of {m} points",
                    self.components.len()
                ),
            ));
        }
        Ok(())
    }
}

/// Leading right singular vectors (`k x m` row-major) and singular values.
struct Axes {
    vectors: Vec<f64>,
    singular_values: Vec<f64>,
}

/// Checks an `_ x width` row-major slice and returns its number of rows (at least 1).
fn check_rows(field: &str, values: &[f64], width: usize) -> Result<usize> {
    if width == 0 || values.is_empty() || !values.len().is_multiple_of(width) {
        return Err(Error::data(
            field,
            format!("{} values do not form rows of {width} points", values.len()),
        ));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::data(
            field,
            format!(
                "row {}, point {}: value is not finite",
                i / width,
                i % width
            ),
        ));
    }
    Ok(values.len() / width)
}

/// Column mean of an `n x m` row-major slice.
fn column_mean(rows: &[f64], m: usize) -> Vec<f64> {
    let mut mean = vec![0.0; m];
    for row in rows.chunks_exact(m) {
        mean.iter_mut().zip(row).for_each(|(mu, x)| *mu += x);
    }
    let n = (rows.len() / m) as f64;
    mean.iter_mut().for_each(|mu| *mu /= n);
    mean
}

/// `||X - 1 mu^T||_F^2`.
fn squared_norm(rows: &[f64], mean: &[f64]) -> f64 {
    rows.chunks_exact(mean.len())
        .map(|row| {
            row.iter()
                .zip(mean)
                .map(|(x, mu)| (x - mu) * (x - mu))
                .sum::<f64>()
        })
        .sum()
}

/// Flips `v` so that its entry of largest magnitude (the first on ties) is positive.
fn flip_sign(v: &mut [f64]) {
    let mut largest = 0.0f64;
    for &x in v.iter() {
        if x.abs() > largest.abs() {
            largest = x;
        }
    }
    if largest < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
}

/// The `k` leading axes from the thin SVD of the centred matrix `a`.
fn exact_axes(a: &Mat<f64>, k: usize) -> Result<Axes> {
    let svd = a
        .thin_svd()
        .map_err(|e| Error::numerical("PCA (exact SVD)", format!("{e:?}")))?;
    Ok(leading_axes(svd.V(), svd.S().column_vector(), k))
}

/// The first `k` columns of `v` as rows, and the first `k` of `s`.
fn leading_axes(v: faer::MatRef<'_, f64>, s: faer::ColRef<'_, f64>, k: usize) -> Axes {
    let m = v.nrows();
    let mut vectors = Vec::with_capacity(k * m);
    for c in 0..k {
        vectors.extend((0..m).map(|j| v[(j, c)]));
    }
    Axes {
        vectors,
        singular_values: (0..k).map(|c| s[c]).collect(),
    }
}

/// The `k` leading axes of the centred matrix `a` (`n x m`) by randomized SVD.
fn randomized_axes(
    a: &Mat<f64>,
    k: usize,
    oversample: usize,
    power_iterations: usize,
    seed: u64,
) -> Result<Axes> {
    let (n, m) = (a.nrows(), a.ncols());
    let l = k.saturating_add(oversample).min(n.min(m));
    let omega = gaussian_matrix(m, l, seed);
    let mut q = orthonormal_basis(&(a * &omega));
    for _ in 0..power_iterations {
        let z = orthonormal_basis(&(a.transpose() * &q));
        q = orthonormal_basis(&(a * &z));
    }
    let b = q.transpose() * a;
    let svd = b
        .thin_svd()
        .map_err(|e| Error::numerical("PCA (randomized SVD)", format!("{e:?}")))?;
    Ok(leading_axes(svd.V(), svd.S().column_vector(), k))
}

/// A `rows x cols` matrix of independent standard normal entries from `seed`, drawn in
/// row-major order.
fn gaussian_matrix(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    let mut rng = SplitMix64::new(seed);
    let values: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
    Mat::from_fn(rows, cols, |i, j| values[i * cols + j])
}

/// Orthonormal basis of the columns of `y` (`r x c`, `r >= c`): the thin `Q` of its
/// Householder QR factorisation.
fn orthonormal_basis(y: &Mat<f64>) -> Mat<f64> {
    y.qr().compute_thin_Q()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_scikit_learn() {
        assert_eq!(PcaSolver::Auto.resolve(400, 300, 2), PcaSolver::Exact);
        assert_eq!(
            PcaSolver::Auto.resolve(1000, 300, 2),
            PcaSolver::Randomized {
                oversample: 10,
                power_iterations: 7,
                seed: 0
            }
        );
        assert_eq!(PcaSolver::Auto.resolve(1000, 300, 240), PcaSolver::Exact);
        assert_eq!(PcaSolver::Exact.resolve(1000, 300, 2), PcaSolver::Exact);
    }

    #[test]
    fn sign_convention_makes_the_largest_entry_positive() {
        let mut v = [0.1, -0.9, 0.3];
        flip_sign(&mut v);
        assert_eq!(v, [-0.1, 0.9, -0.3]);
        let mut tie = [-0.5, 0.5];
        flip_sign(&mut tie);
        assert_eq!(tie, [0.5, -0.5]);
    }

    #[test]
    fn gaussian_matrix_is_seeded() {
        let a = gaussian_matrix(3, 4, 9);
        let b = gaussian_matrix(3, 4, 9);
        assert_eq!(a, b);
        assert_ne!(a, gaussian_matrix(3, 4, 10));
    }

    #[test]
    fn bad_inputs_are_named() {
        let p = PcaParams::default();
        let err = Pca::fit(&[1.0, 2.0, 3.0], 2, &p).expect_err("ragged");
        assert!(err.to_string().contains("rows"), "{err}");
        let err = Pca::fit(&[1.0, 2.0, f64::NAN, 4.0], 2, &p).expect_err("nan");
        assert!(err.to_string().contains("row 1, point 0"), "{err}");
        let err = Pca::fit(&[1.0, 2.0], 2, &p).expect_err("one row");
        assert!(err.to_string().contains("at least 2"), "{err}");
        let zero = PcaParams {
            n_components: 0,
            ..p
        };
        let err = Pca::fit(&[1.0, 2.0, 3.0, 5.0], 2, &zero).expect_err("k = 0");
        assert!(err.to_string().contains("n_components"), "{err}");
        let three = PcaParams {
            n_components: 3,
            ..p
        };
        let err = Pca::fit(&[1.0, 2.0, 3.0, 5.0], 2, &three).expect_err("k > m");
        assert!(err.to_string().contains("n_components"), "{err}");
        let err = Pca::fit(&[1.0, 2.0, 1.0, 2.0], 2, &p).expect_err("constant");
        assert!(err.to_string().contains("identical"), "{err}");
        let pca = Pca::fit(&[1.0, 2.0, 3.0, 5.0, 0.0, 1.0], 2, &p).expect("fit");
        let err = pca.transform(&[1.0, 2.0, 3.0]).expect_err("ragged");
        assert!(err.to_string().contains("rows"), "{err}");
        let err = pca
            .inverse_transform(&[f64::INFINITY, 0.0])
            .expect_err("inf");
        assert!(err.to_string().contains("scores"), "{err}");
    }

    #[test]
    fn inconsistent_model_is_an_error() {
        let p = PcaParams::default();
        let mut pca = Pca::fit(&[1.0, 2.0, 3.0, 5.0, 0.0, 1.0], 2, &p).expect("fit");
        pca.components.pop();
        let err = pca.transform(&[1.0, 2.0]).expect_err("bad model");
        assert!(err.to_string().contains("model"), "{err}");
    }
}
