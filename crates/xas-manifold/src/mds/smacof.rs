//! Metric MDS by SMACOF (Scaling by MAjorizing a COmplicated Function; de Leeuw 1977,
//! de Leeuw & Mair 2009).
//!
//! Minimises the raw stress `sigma(X) = sum_{i<j} (d_ij(X) - delta_ij)^2` (unit
//! weights, `d_ij(X) = |x_i - x_j|`) by the Guttman transform
//!
//! ```text
//! X <- (1/n) B(X) X,   B_ij = -delta_ij / d_ij(X) (0 when d_ij(X) = 0),   B_ii = -sum_{j != i} B_ij,
//! ```
//!
//! i.e. `x_i <- (1/n) sum_j (delta_ij / d_ij) (x_i - x_j)`: the minimiser of a quadratic
//! majoriser of `sigma` touching it at `X`, so the stress never increases. One sweep is
//! `O(n^2 dims)` (rows in parallel with the `rayon` feature; per-row sums are serial and
//! combined in a fixed order, so the result does not depend on the thread count).
//!
//! **Stopping rule** (scikit-learn >= 1.7, after the R package `smacof`): after
//! iteration `t`, stop when `sigma(X_{t-1}) - sigma(X_t) <= eps sum_{i<j} d_ij(X_t)^2`,
//! a decrease small relative to the scale of the configuration (invariant under
//! rescaling the distances); or after `max_iter` iterations (then `converged` is false).
//!
//! **Reported stress.** `stress` is `sigma` of the returned coordinates;
//! `stress_1 = sqrt(sigma / sum_{i<j} delta_ij^2)` is stress-1 normalised by the
//! dissimilarities, so it does not depend on the configuration (Kruskal 1964 and
//! scikit-learn divide by `sum_{i<j} d_ij(X)^2` instead; at a SMACOF fixed point
//! `sum d^2 = sum delta^2 - sigma`, so the two agree to first order in the stress).
//! Rules of thumb: below 0.05 is a good map, above 0.2 a poor one.
//!
//! **New points.** [`Smacof::transform`] minimises the stress of one point against the
//! fixed training coordinates, `f(y) = sum_j (|y - x_j| - d_j)^2`, with the one-point
//! Guttman transform `y <- (1/n) sum_j (x_j + d_j (y - x_j) / |y - x_j|)` (monotone as
//! well), started at the inverse-square-distance weighted mean of the `dims + 1`
//! nearest training points (at the training point itself when a distance is zero), and
//! stopped when a step is at most `1e-10` times the RMS distance to the training points
//! (at most 500 steps; `O(n dims)` each).

use std::ops::ControlFlow;

#[cfg(feature = "rayon")]
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ClassicalMds, check_coords, check_queries, fix_signs, symmetric_part};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::space::DistanceMatrix;

/// At most this many one-point Guttman iterations per new point.
const TRANSFORM_MAX_ITER: usize = 500;
/// One-point stopping rule: a step of at most this times the RMS distance from the
/// point to the training points.
const TRANSFORM_TOL: f64 = 1e-10;

/// The starting configuration of [`smacof`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum SmacofInit {
    /// The classical MDS coordinates ([`ClassicalMds`]); columns beyond the number of
    /// positive eigenvalues are zero and stay zero (the Guttman transform keeps a zero
    /// column at zero), so use `Random` to explore them.
    #[default]
    Classical,
    /// Independent uniform coordinates in `[0, 1)` from `seed` (as scikit-learn).
    Random {
        /// Seed of the generator.
        seed: u64,
    },
    /// These coordinates, `n x dims` row-major.
    Given(Vec<f64>),
}

/// Parameters of [`smacof`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmacofParams {
    /// Embedding dimension, `1 <= dims < n` (default 2).
    pub dims: usize,
    /// Maximum number of Guttman transforms, at least 1 (default 300).
    pub max_iter: usize,
    /// Relative stress decrease below which the iteration stops (default `1e-6`; see the
    /// module documentation for the exact rule); finite, `>= 0`.
    pub eps: f64,
    /// Starting configuration (default [`SmacofInit::Classical`]).
    pub init: SmacofInit,
}

impl Default for SmacofParams {
    fn default() -> Self {
        SmacofParams {
            dims: 2,
            max_iter: 300,
            eps: 1e-6,
            init: SmacofInit::Classical,
        }
    }
}

impl SmacofParams {
    /// Checks what can be checked without the data.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `dims` when 0, `max_iter` when 0, or `eps` when
    /// negative or not finite.
    pub fn validate(&self) -> Result<()> {
        if self.dims == 0 {
            return Err(Error::param("dims", "must be at least 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", "must be at least 1"));
        }
        if !self.eps.is_finite() || self.eps < 0.0 {
            return Err(Error::param(
                "eps",
                format!("{} is not a finite non-negative tolerance", self.eps),
            ));
        }
        Ok(())
    }
}

/// A metric MDS map fitted by [`smacof`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Smacof {
    /// Coordinates, `n x dims` row-major.
    coords: Vec<f64>,
    /// Embedding dimension.
    dims: usize,
    /// Raw stress of `coords`.
    stress: f64,
    /// Kruskal's stress-1 of `coords`.
    stress_1: f64,
    /// Guttman transforms performed.
    iterations: usize,
    /// Whether the stopping rule was met before `max_iter`.
    converged: bool,
    /// Raw stress of the start and after each iteration (`iterations + 1` values).
    stress_history: Vec<f64>,
}

/// Metric MDS of `d` (symmetrised as `(D + D^T) / 2`) by SMACOF. `progress(iteration,
/// max_iter)` is called after every Guttman transform; returning
/// `ControlFlow::Break(())` stops the fit.
///
/// # Errors
/// As [`SmacofParams::validate`]; [`Error::InvalidData`] naming `distances` for fewer
/// than 3 points or all distances zero; [`Error::InvalidParameter`] naming `dims`
/// unless `1 <= dims < n`, or `init` for given coordinates of the wrong length, with a
/// non-finite value, or all equal; [`Error::Interrupted`] when `progress` breaks;
/// errors of [`ClassicalMds::fit`] for the classical start.
pub fn smacof(
    d: &DistanceMatrix,
    params: &SmacofParams,
    mut progress: impl FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<Smacof> {
    params.validate()?;
    let delta = symmetric_part(d, params.dims)?;
    let dims = params.dims;
    let mut x = initial(d, params)?;
    let delta_sq = 0.5 * delta.iter().map(|v| v * v).sum::<f64>();
    let mut sweep = guttman_sweep(&delta, &x, dims);
    let mut stress_history = vec![sweep.stress];
    let (mut iterations, mut converged) = (0, false);
    while iterations < params.max_iter && !converged {
        x = std::mem::take(&mut sweep.next);
        let new = guttman_sweep(&delta, &x, dims);
        iterations += 1;
        converged = sweep.stress - new.stress <= params.eps * new.spread;
        stress_history.push(new.stress);
        sweep = new;
        if progress(iterations, params.max_iter).is_break() {
            return Err(Error::Interrupted);
        }
    }
    fix_signs(&mut x, dims);
    Ok(Smacof {
        coords: x,
        dims,
        stress: sweep.stress,
        stress_1: (sweep.stress / delta_sq).sqrt(),
        iterations,
        converged,
        stress_history,
    })
}

/// The starting coordinates chosen by `params.init`.
fn initial(d: &DistanceMatrix, params: &SmacofParams) -> Result<Vec<f64>> {
    let (n, dims) = (d.len(), params.dims);
    match &params.init {
        SmacofInit::Classical => Ok(ClassicalMds::fit(d, dims)?.coords().to_vec()),
        SmacofInit::Random { seed } => {
            let mut rng = SplitMix64::new(*seed);
            Ok((0..n * dims).map(|_| rng.uniform()).collect())
        }
        SmacofInit::Given(x) => {
            check_given(x, n, dims)?;
            Ok(x.clone())
        }
    }
}

/// Checks given starting coordinates: `n x dims`, finite, not all points equal.
fn check_given(x: &[f64], n: usize, dims: usize) -> Result<()> {
    if x.len() != n * dims {
        return Err(Error::param(
            "init",
            format!("{} values are not {n} points of {dims} dimensions", x.len()),
        ));
    }
    if let Some(k) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::param(
            "init",
            format!(
                "point {}, dimension {}: value is not finite",
                k / dims,
                k % dims
            ),
        ));
    }
    if x.chunks_exact(dims).all(|row| row == &x[..dims]) {
        return Err(Error::param(
            "init",
            "all points coincide, so SMACOF cannot move them",
        ));
    }
    Ok(())
}

/// One pass over all pairs: the stress of `x`, its spread and its Guttman transform.
struct Sweep {
    /// `sigma(X)`.
    stress: f64,
    /// `sum_{i<j} d_ij(X)^2`.
    spread: f64,
    /// `(1/n) B(X) X`.
    next: Vec<f64>,
}

/// The [`Sweep`] of `x` (`n x dims`) against `delta` (`n x n`).
fn guttman_sweep(delta: &[f64], x: &[f64], dims: usize) -> Sweep {
    let n = x.len() / dims;
    let mut next = vec![0.0; n * dims];
    let mut terms = vec![[0.0f64; 2]; n];
    let row = |(i, (out, t)): (usize, (&mut [f64], &mut [f64; 2]))| {
        *t = guttman_row(
            &delta[i * n..(i + 1) * n],
            x,
            &x[i * dims..(i + 1) * dims],
            out,
        );
    };
    #[cfg(feature = "rayon")]
    next.par_chunks_mut(dims)
        .zip(terms.par_iter_mut())
        .enumerate()
        .for_each(row);
    #[cfg(not(feature = "rayon"))]
    next.chunks_mut(dims)
        .zip(terms.iter_mut())
        .enumerate()
        .for_each(row);
    let (stress, spread) = terms
        .iter()
        .fold((0.0, 0.0), |(s, r), t| (s + t[0], r + t[1]));
    // Each pair was counted from both ends.
    Sweep {
        stress: 0.5 * stress,
        spread: 0.5 * spread,
        next,
    }
}

/// Row `i` of a sweep: writes `(1/n) sum_j (delta_ij / d_ij) (x_i - x_j)` to `out` and
/// returns `[sum_j (d_ij - delta_ij)^2, sum_j d_ij^2]`, for the point `xi` with
/// dissimilarities `delta_row` to the points `x` (itself included: it adds nothing).
fn guttman_row(delta_row: &[f64], x: &[f64], xi: &[f64], out: &mut [f64]) -> [f64; 2] {
    let (mut stress, mut spread) = (0.0, 0.0);
    out.fill(0.0);
    for (xj, &dij) in x.chunks_exact(xi.len()).zip(delta_row) {
        let d2: f64 = xi.iter().zip(xj).map(|(a, b)| (a - b) * (a - b)).sum();
        let d = d2.sqrt();
        stress += (d - dij) * (d - dij);
        spread += d2;
        if d > 0.0 {
            let r = dij / d;
            out.iter_mut()
                .zip(xi.iter().zip(xj))
                .for_each(|(o, (a, b))| *o += r * (a - b));
        }
    }
    let inv_n = 1.0 / delta_row.len() as f64;
    out.iter_mut().for_each(|o| *o *= inv_n);
    [stress, spread]
}

impl Smacof {
    /// Places new points from their distances to the `n` training points (`q x n`
    /// row-major): each minimises its own stress `sum_j (|y - x_j| - d_j)^2` against the
    /// fixed training coordinates (see the module documentation). Returns `q x dims`
    /// row-major.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `distances_to_training` for a length that is not a
    /// positive multiple of `n` or an entry that is negative or not finite, or naming
    /// `model` for an inconsistent model.
    pub fn transform(&self, distances_to_training: &[f64]) -> Result<Vec<f64>> {
        let n = self.n_points();
        check_coords(&self.coords, n, self.dims)?;
        check_queries("distances_to_training", distances_to_training, n)?;
        Ok(distances_to_training
            .chunks_exact(n)
            .flat_map(|d| place(&self.coords, self.dims, d))
            .collect())
    }

    /// Coordinates of the training points, `n x dims` row-major.
    pub fn coords(&self) -> &[f64] {
        &self.coords
    }

    /// Embedding dimension.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of training points `n`.
    pub fn n_points(&self) -> usize {
        self.coords.len().checked_div(self.dims).unwrap_or(0)
    }

    /// Raw stress `sum_{i<j} (d_ij - delta_ij)^2` of the coordinates (distance units
    /// squared).
    pub fn stress(&self) -> f64 {
        self.stress
    }

    /// Kruskal's stress-1, `sqrt(sum_{i<j} (d_ij - delta_ij)^2 / sum_{i<j} delta_ij^2)`.
    pub fn stress_1(&self) -> f64 {
        self.stress_1
    }

    /// Number of Guttman transforms performed.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether the stopping rule was met within `max_iter` iterations.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Raw stress of the starting configuration and after each iteration
    /// (`iterations + 1` values, non-increasing up to rounding).
    pub fn stress_history(&self) -> &[f64] {
        &self.stress_history
    }
}

/// The coordinates of one new point at distances `d` from the training points `x`.
fn place(x: &[f64], dims: usize, d: &[f64]) -> Vec<f64> {
    let mut y = start(x, dims, d);
    for _ in 0..TRANSFORM_MAX_ITER {
        let (next, rms) = point_step(x, d, &y);
        let step: f64 = next
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        y = next;
        if step <= TRANSFORM_TOL * rms {
            break;
        }
    }
    y
}

/// Starting point: the inverse-square-distance weighted mean of the `dims + 1` nearest
/// training points, or the nearest one when its distance is zero.
fn start(x: &[f64], dims: usize, d: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..d.len()).collect();
    order.sort_by(|&a, &b| d[a].total_cmp(&d[b]).then(a.cmp(&b)));
    let nearest = &order[..(dims + 1).min(order.len())];
    if d[nearest[0]] == 0.0 {
        return x[nearest[0] * dims..(nearest[0] + 1) * dims].to_vec();
    }
    let mut y = vec![0.0; dims];
    let mut total = 0.0;
    for &j in nearest {
        let w = 1.0 / (d[j] * d[j]);
        total += w;
        y.iter_mut()
            .zip(&x[j * dims..(j + 1) * dims])
            .for_each(|(yc, xc)| *yc += w * xc);
    }
    y.iter_mut().for_each(|yc| *yc /= total);
    y
}

/// The one-point Guttman transform of `y`,
/// `(1/n) sum_j (x_j + d_j (y - x_j) / |y - x_j|)`, and the RMS distance
/// `sqrt((1/n) sum_j |y - x_j|^2)` from `y` to the training points.
fn point_step(x: &[f64], d: &[f64], y: &[f64]) -> (Vec<f64>, f64) {
    let mut next = vec![0.0; y.len()];
    let mut spread = 0.0;
    for (xj, &dj) in x.chunks_exact(y.len()).zip(d) {
        let r2: f64 = y.iter().zip(xj).map(|(a, b)| (a - b) * (a - b)).sum();
        let r = r2.sqrt();
        spread += r2;
        let ratio = if r > 0.0 { dj / r } else { 0.0 };
        next.iter_mut()
            .zip(y.iter().zip(xj))
            .for_each(|(o, (a, b))| *o += b + ratio * (a - b));
    }
    let inv_n = 1.0 / d.len() as f64;
    next.iter_mut().for_each(|o| *o *= inv_n);
    (next, (spread * inv_n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> DistanceMatrix {
        let p: [f64; 8] = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let mut d = vec![0.0; 16];
        for i in 0..4 {
            for j in 0..4 {
                d[i * 4 + j] = (p[2 * i] - p[2 * j]).hypot(p[2 * i + 1] - p[2 * j + 1]);
            }
        }
        DistanceMatrix::new(4, d).expect("valid")
    }

    #[test]
    fn guttman_row_is_the_majorisation_step() {
        // Two points at distance 2 whose dissimilarity is 1: one step gives the centred
        // pair at distance 1, (-0.5, 0.5).
        let x = [0.0, 2.0];
        let mut out = [0.0];
        let t = guttman_row(&[0.0, 1.0], &x, &x[..1], &mut out);
        assert_eq!(t, [1.0, 4.0]);
        assert_eq!(out, [-0.5]);
    }

    #[test]
    fn parameters_are_checked() {
        let d = square();
        let ok = |_: usize, _: usize| ControlFlow::Continue(());
        for (p, name) in [
            (
                SmacofParams {
                    dims: 0,
                    ..SmacofParams::default()
                },
                "dims",
            ),
            (
                SmacofParams {
                    max_iter: 0,
                    ..SmacofParams::default()
                },
                "max_iter",
            ),
            (
                SmacofParams {
                    eps: f64::NAN,
                    ..SmacofParams::default()
                },
                "eps",
            ),
            (
                SmacofParams {
                    init: SmacofInit::Given(vec![0.0; 7]),
                    ..SmacofParams::default()
                },
                "init",
            ),
            (
                SmacofParams {
                    init: SmacofInit::Given(vec![1.0; 8]),
                    ..SmacofParams::default()
                },
                "init",
            ),
        ] {
            let err = smacof(&d, &p, ok).expect_err(name).to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn progress_can_stop_the_fit() {
        let p = SmacofParams {
            init: SmacofInit::Random { seed: 3 },
            ..SmacofParams::default()
        };
        let err = smacof(&square(), &p, |it, _| {
            if it == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .expect_err("stopped");
        assert!(matches!(err, Error::Interrupted));
    }

    #[test]
    fn new_point_at_a_training_point_stays_there() {
        let p = SmacofParams::default();
        let fit = smacof(&square(), &p, |_, _| ControlFlow::Continue(())).expect("fit");
        let y = fit.transform(square().row(2)).expect("transform");
        for (a, b) in y.iter().zip(&fit.coords()[4..6]) {
            assert!((a - b).abs() < 1e-9, "{y:?} {:?}", fit.coords());
        }
    }
}
