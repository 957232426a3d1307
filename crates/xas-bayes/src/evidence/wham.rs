//! Multiple-histogram (WHAM) estimator of `ln Z(β)` in its bin-less form (the
//! zero-bin-width limit, also known as MBAR).
//!
//! All energies `E_n` of all rungs are pooled; the density of states they imply is the
//! self-consistent solution of
//! `Z_k = Σ_n exp(-β_k E_n) / Σ_j N_j exp(-β_j E_n) / Z_j`, with `Z_0 = 1` (the prior).
//! It is the minimum of the convex function
//! `Φ(f) = Σ_n ln Σ_k N_k exp(f_k - β_k E_n) - Σ_k N_k f_k`, `f_k = -ln Z_k`,
//! found here by Newton's method with a backtracking line search, started from the
//! stepping-stone estimate. Unlike histograms it has no bin-width bias.

use faer::Mat;
use faer::linalg::solvers::Solve;

use crate::remc::Samples;
use crate::{Error, Result};

/// Newton iterations allowed.
const MAX_ITER: usize = 100;
/// Converged when every gradient component is below this fraction of its `N_k`...
const GRAD_TOL: f64 = 1e-10;
/// ... or below this one when no step lowers Φ beyond its rounding error ...
const NEAR_GRAD_TOL: f64 = 1e-6;
/// ... or when a Newton step changes no `ln Z_k` by more than this.
const STEP_TOL: f64 = 1e-10;

/// Reduced potentials `u[k][n] = β_k E_n` of the pooled sweeps `idx`, with `0 · ∞ = 0`
/// (a zero-likelihood prior sample has zero weight at every `β > 0` only).
fn reduced_potentials(samples: &Samples, idx: &[usize]) -> Vec<Vec<f64>> {
    let rungs = samples.n_rungs();
    let energies: Vec<f64> = idx
        .iter()
        .flat_map(|&s| (0..rungs).map(move |l| samples.energy(s, l)))
        .collect();
    samples
        .betas()
        .iter()
        .map(|&b| {
            energies
                .iter()
                .map(|&e| if b == 0.0 { 0.0 } else { b * e })
                .collect()
        })
        .collect()
}

/// Objective `Φ`, gradient `g_k = Σ_n W_nk - N_k` and weights `W_nk` at `f`.
fn evaluate(u: &[Vec<f64>], n_k: f64, f: &[f64]) -> (f64, Vec<f64>, Mat<f64>) {
    let (rungs, n) = (u.len(), u[0].len());
    let ln_n = n_k.ln();
    let mut w = Mat::<f64>::zeros(n, rungs);
    let mut phi = -n_k * f.iter().sum::<f64>();
    let mut t = vec![0.0; rungs];
    for i in 0..n {
        let mut max = f64::NEG_INFINITY;
        for k in 0..rungs {
            t[k] = ln_n + f[k] - u[k][i];
            max = max.max(t[k]);
        }
        // t_k <- exp(t_k - max): one exponential per term, reused for the weights.
        t.iter_mut().for_each(|x| *x = (*x - max).exp());
        let sum: f64 = t.iter().sum();
        phi += max + sum.ln();
        for k in 0..rungs {
            w[(i, k)] = t[k] / sum;
        }
    }
    let grad = (0..rungs)
        .map(|k| w.col(k).iter().sum::<f64>() - n_k)
        .collect();
    (phi, grad, w)
}

/// `ln Z(β_k)` for every rung from the sweeps `idx`, starting from `start` (for example
/// the stepping-stone estimate).
pub(crate) fn ln_z(samples: &Samples, idx: &[usize], start: &[f64]) -> Result<Vec<f64>> {
    let u = reduced_potentials(samples, idx);
    let rungs = u.len();
    let n_k = idx.len() as f64;
    let mut f: Vec<f64> = start.iter().map(|z| -(z - start[0])).collect();
    if f.iter().any(|x| !x.is_finite()) {
        f.iter_mut().for_each(|x| *x = 0.0);
    }
    let (mut phi, mut grad, mut w) = evaluate(&u, n_k, &f);
    for _ in 0..MAX_ITER {
        if grad[1..].iter().all(|g| g.abs() <= GRAD_TOL * n_k) {
            return Ok(f.iter().map(|x| -x).collect());
        }
        // Hessian H = diag(Σ_n W_nk) - WᵀW, reduced to f_1..f_{K-1} (f_0 = 0 fixed).
        let wtw = w.transpose() * &w;
        let m = rungs - 1;
        let h = Mat::<f64>::from_fn(m, m, |a, b| {
            let diag = if a == b { grad[a + 1] + n_k } else { 0.0 };
            diag - wtw[(a + 1, b + 1)]
        });
        let rhs = Mat::<f64>::from_fn(m, 1, |a, _| -grad[a + 1]);
        let step = match h.llt(faer::Side::Lower) {
            Ok(llt) => llt.solve(&rhs),
            Err(_) => h.partial_piv_lu().solve(&rhs),
        };
        let mut scale = 1.0;
        loop {
            let trial: Vec<f64> = (0..rungs)
                .map(|k| {
                    if k == 0 {
                        0.0
                    } else {
                        f[k] + scale * step[(k - 1, 0)]
                    }
                })
                .collect();
            let (p, g, ww) = evaluate(&u, n_k, &trial);
            if p <= phi + 1e-12 * phi.abs() {
                (f, phi, grad, w) = (trial, p, g, ww);
                break;
            }
            if scale < 1e-6 && grad[1..].iter().all(|g| g.abs() <= NEAR_GRAD_TOL * n_k) {
                // Near the minimum, changes of Φ fall below its rounding error.
                return Ok(f.iter().map(|x| -x).collect());
            }
            if scale < 1e-12 {
                return Err(Error::numerical(
                    "multiple-histogram free energy",
                    "no Newton step lowers the objective (poor overlap between rungs?)",
                ));
            }
            scale *= 0.5;
        }
        if (0..m).all(|a| (scale * step[(a, 0)]).abs() < STEP_TOL) {
            return Ok(f.iter().map(|x| -x).collect());
        }
    }
    Err(Error::numerical(
        "multiple-histogram free energy",
        format!(
            "Newton iteration did not converge in {MAX_ITER} steps (poor overlap between rungs?)"
        ),
    ))
}
