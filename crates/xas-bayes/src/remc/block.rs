//! Joint (block) random-walk moves for groups of parameters whose every change is
//! expensive, such as the Hamiltonian parameters of a cluster model: one proposal moves
//! the whole group, so a sweep costs one model evaluation for the group instead of one
//! per member.
//!
//! The proposal is `θ_B' = θ_B + λ L z`, `z ~ N(0, I_k)`, with `L` the Cholesky factor
//! of the proposal shape. The shape starts diagonal (the members' component-wise steps)
//! and during burn-in becomes the covariance of the states the rung visited in windows
//! of doubling length (100, 200, 400, ... sweeps), so the proposal follows the
//! correlations of the posterior at that rung (adaptive Metropolis, Haario et al.
//! 2001). After each shape update `λ` restarts at `2.38/√k`, the optimum for a Gaussian
//! target (Roberts, Gelman & Gilks 1997), and is then adapted towards the block's target
//! acceptance by a Robbins-Monro step on `ln λ`,
//! `ln λ ← ln λ + g (a - a*) / √(1 + t)`, `t` counting updates since the shape update:
//! on a curved or narrow posterior the optimal `λ` can be an order of magnitude below
//! `2.38/√k`, which a multiplicative step of decaying gain does not reach within a
//! window. Nothing adapts after burn-in.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Sweeps in the first covariance window; each later window is twice as long.
const FIRST_WINDOW: u64 = 100;
/// Gain `g` of the Robbins-Monro step on `ln λ`.
const SCALE_GAIN: f64 = 2.0;
/// Ridge added to the diagonal of a window covariance, relative to its mean diagonal.
const RIDGE: f64 = 1e-9;

/// Running mean and co-moment matrix of the states seen in one window (Welford).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Moments {
    n: u64,
    mean: Vec<f64>,
    /// `Σ (x - x̄)(x - x̄)ᵀ`, row-major `k × k`.
    comoment: Vec<f64>,
}

impl Moments {
    fn new(k: usize) -> Self {
        Moments {
            n: 0,
            mean: vec![0.0; k],
            comoment: vec![0.0; k * k],
        }
    }

    fn push(&mut self, x: &[f64]) {
        let k = self.mean.len();
        self.n += 1;
        let delta: Vec<f64> = x.iter().zip(&self.mean).map(|(a, m)| a - m).collect();
        for (m, d) in self.mean.iter_mut().zip(&delta) {
            *m += d / self.n as f64;
        }
        for (row, d) in self.comoment.chunks_exact_mut(k).zip(&delta) {
            for ((c, xb), mb) in row.iter_mut().zip(x).zip(&self.mean) {
                *c += d * (xb - mb);
            }
        }
    }

    /// Sample covariance (`n - 1` denominator).
    fn covariance(&self) -> Vec<f64> {
        let d = (self.n.max(2) - 1) as f64;
        self.comoment.iter().map(|c| c / d).collect()
    }
}

/// Lower Cholesky factor (row-major) of the symmetric `k × k` matrix `a`, or `None`
/// when `a` is not positive definite.
fn cholesky(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|p| l[i * k + p] * l[j * k + p]).sum();
            if i == j {
                let d = a[i * k + i] - s;
                if !(d > 0.0 && d.is_finite()) {
                    return None;
                }
                l[i * k + i] = d.sqrt();
            } else {
                l[i * k + j] = (a[i * k + j] - s) / l[j * k + j];
            }
        }
    }
    Some(l)
}

/// The joint move of one group of parameters at one rung.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BlockMove {
    /// Indices of the parameters moved together.
    pub members: Vec<usize>,
    /// Global proposal scale `λ`.
    pub scale: f64,
    /// Lower Cholesky factor `L` of the proposal shape, row-major `k × k`.
    chol: Vec<f64>,
    window: Moments,
    /// Length of the current covariance window (sweeps).
    window_length: u64,
    /// Robbins-Monro updates of `λ` since the last shape update.
    updates: usize,
    /// Accepted and proposed moves since the counters were reset.
    pub accepted: u64,
    pub proposed: u64,
}

impl BlockMove {
    /// A block of `members` whose initial shape is `diag(steps_j²)`.
    pub fn new(members: Vec<usize>, steps: &[f64]) -> Self {
        let k = members.len();
        let mut chol = vec![0.0; k * k];
        for (a, &j) in members.iter().enumerate() {
            chol[a * k + a] = steps[j];
        }
        BlockMove {
            scale: optimal_scale(k),
            chol,
            window: Moments::new(k),
            window_length: FIRST_WINDOW,
            updates: 0,
            accepted: 0,
            proposed: 0,
            members,
        }
    }

    /// Writes the proposal `θ_B + λ L z` into the members of `theta`.
    pub fn propose<R: Rng + ?Sized>(&self, rng: &mut R, theta: &mut [f64]) {
        let k = self.members.len();
        let z: Vec<f64> = (0..k).map(|_| StandardNormal.sample(rng)).collect();
        for (a, &j) in self.members.iter().enumerate() {
            let lz: f64 = (0..=a).map(|b| self.chol[a * k + b] * z[b]).sum();
            theta[j] += self.scale * lz;
        }
    }

    /// Adds the members of the current state to the covariance window (burn-in only).
    pub fn observe(&mut self, theta: &[f64]) {
        let x: Vec<f64> = self.members.iter().map(|&j| theta[j]).collect();
        self.window.push(&x);
    }

    /// Robbins-Monro update of `ln λ` towards `target` from the counters, then, when
    /// the window is full, the shape from the window covariance (kept as it was when
    /// that covariance is not positive definite). Resets the counters.
    pub fn adapt(&mut self, target: f64) {
        if self.proposed > 0 {
            let rate = self.accepted as f64 / self.proposed as f64;
            let gain = SCALE_GAIN / (1.0 + self.updates as f64).sqrt();
            self.scale *= (gain * (rate - target)).exp();
            self.updates += 1;
        }
        self.accepted = 0;
        self.proposed = 0;
        if self.window.n < self.window_length {
            return;
        }
        let k = self.members.len();
        let mut cov = self.window.covariance();
        let ridge = RIDGE * (0..k).map(|a| cov[a * k + a]).sum::<f64>() / k as f64;
        for a in 0..k {
            cov[a * k + a] += ridge;
        }
        if let Some(l) = cholesky(&cov, k) {
            self.chol = l;
            self.scale = optimal_scale(k);
            self.updates = 0;
        }
        self.window = Moments::new(k);
        self.window_length *= 2;
    }
}

/// `2.38/√k`: the random-walk scale that is optimal for a `k`-dimensional Gaussian
/// target when the proposal shape equals its covariance.
fn optimal_scale(k: usize) -> f64 {
    2.38 / (k as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn cholesky_reproduces_the_matrix_and_rejects_indefinite_ones() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let llt: f64 = (0..3).map(|p| l[i * 3 + p] * l[j * 3 + p]).sum();
                assert!((llt - a[i * 3 + j]).abs() < 1e-12, "({i},{j})");
            }
        }
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    #[test]
    fn window_covariance_matches_the_two_pass_formula() {
        let xs = [[1.0, 2.0], [2.0, 1.5], [4.0, 3.0], [0.5, -1.0], [3.0, 2.5]];
        let mut m = Moments::new(2);
        xs.iter().for_each(|x| m.push(x));
        let mean = [
            xs.iter().map(|x| x[0]).sum::<f64>() / 5.0,
            xs.iter().map(|x| x[1]).sum::<f64>() / 5.0,
        ];
        let cov = m.covariance();
        for a in 0..2 {
            for b in 0..2 {
                let exact: f64 = xs
                    .iter()
                    .map(|x| (x[a] - mean[a]) * (x[b] - mean[b]))
                    .sum::<f64>()
                    / 4.0;
                assert!((cov[a * 2 + b] - exact).abs() < 1e-12);
            }
        }
    }

    /// Proposals from a fitted shape have covariance `λ² Σ` (sampling check at five
    /// standard errors of each entry).
    #[test]
    fn proposals_follow_the_adapted_shape() {
        let sigma = [1.0, 0.8, 0.8, 2.0];
        let l = cholesky(&sigma, 2).unwrap();
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let mut block = BlockMove::new(vec![0, 1], &[1.0, 1.0]);
        // Fill the first window with draws from N(0, Σ) and adapt.
        for _ in 0..FIRST_WINDOW * 50 {
            let z: [f64; 2] = [
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut rng),
            ];
            block.observe(&[l[0] * z[0], l[2] * z[0] + l[3] * z[1]]);
        }
        block.adapt(0.25);
        assert_eq!(block.scale, optimal_scale(2));
        let n = 40_000;
        let mut m = Moments::new(2);
        for _ in 0..n {
            let mut theta = [0.0, 0.0];
            block.propose(&mut rng, &mut theta);
            m.push(&theta);
        }
        let s2 = block.scale * block.scale;
        let cov = m.covariance();
        // The fitted Σ itself has sampling error from 5000 draws; both enter.
        for (a, b) in [(0, 0), (0, 1), (1, 1)] {
            let var = sigma[a * 2 + a] * sigma[b * 2 + b] + sigma[a * 2 + b].powi(2);
            let se = s2 * (var * (1.0 / n as f64 + 1.0 / 5000.0)).sqrt();
            let err = (cov[a * 2 + b] - s2 * sigma[a * 2 + b]).abs();
            assert!(err < 5.0 * se, "({a},{b}): {err} vs se {se}");
        }
    }
}
