//! Householder reduction of a dense symmetric block to tridiagonal form,
//! `T = Qᵀ A Q` with `Q = H₀ H₁ ⋯ H_(n-3)`, and the application of `Q` and `Qᵀ`.
//!
//! Reflector `H_k = I - τ_k v_k v_kᵀ` acts on coordinates `k+1 .. n` and zeroes column
//! `k` of the trailing matrix below its subdiagonal. Each step costs a symmetric
//! matrix-vector product and a rank-2 update of the trailing block (`3 L²` multiply-adds
//! for a trailing size `L`, about `n³` in all), written as contiguous column sweeps of
//! the fully stored matrix so that they vectorise. For the blocks of multiplet
//! Hamiltonians (tens to a few hundred states) this unblocked form is faster than a
//! blocked one, whose bookkeeping pays off only for larger matrices: with faer's
//! blocked reduction and reflector application a NiO XAS evaluation (blocks of 28-52
//! states) took 0.60 ms, with this one 0.33 ms.

/// The reflectors of a reduction: `v_k` in column `k` of a column-major `n x n` matrix
/// (rows `k+1 .. n`), and `τ_k` (zero when column `k` was already reduced).
#[derive(Debug, Clone, PartialEq)]
pub struct Householder {
    n: usize,
    vectors: Vec<f64>,
    tau: Vec<f64>,
}

/// A symmetric tridiagonal matrix and the reflectors that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduction {
    /// Diagonal of `T`.
    pub diag: Vec<f64>,
    /// Off-diagonal of `T` (`off[i]` couples `i` and `i + 1`).
    pub off: Vec<f64>,
    /// `Q`.
    pub reflectors: Householder,
}

/// Reduces the symmetric `n x n` matrix `a` (column-major, both triangles stored) to
/// tridiagonal form; `a` becomes the reflector storage.
///
/// # Panics
/// If `a.len() != n * n` (a programming error: callers size the buffer).
pub fn tridiagonalize(mut a: Vec<f64>, n: usize) -> Reduction {
    assert_eq!(a.len(), n * n, "matrix buffer of the wrong size");
    let mut diag = vec![0.0; n];
    let mut off = vec![0.0; n.saturating_sub(1)];
    let mut tau = vec![0.0; n.saturating_sub(2)];
    let mut p = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        diag[k] = a[k * n + k];
        let len = n - k - 1;
        let (alpha, t) = reflector(&mut a[k * n + k + 1..(k + 1) * n]);
        off[k] = alpha;
        tau[k] = t;
        if t == 0.0 {
            continue;
        }
        let (head, trailing) = a.split_at_mut((k + 1) * n);
        let v = &head[k * n + k + 1..];
        // p = τ B v over the trailing block B (columns k+1.., rows k+1..).
        let p = &mut p[..len];
        p.fill(0.0);
        for (j, &vj) in v.iter().enumerate() {
            let scale = t * vj;
            let col = &trailing[j * n + k + 1..j * n + n];
            p.iter_mut().zip(col).for_each(|(pi, b)| *pi += b * scale);
        }
        // w = p - (τ/2)(pᵀv) v, then B -= v wᵀ + w vᵀ.
        let half = 0.5 * t * p.iter().zip(v).map(|(x, y)| x * y).sum::<f64>();
        p.iter_mut().zip(v).for_each(|(pi, vi)| *pi -= half * vi);
        for (j, (&vj, &wj)) in v.iter().zip(p.iter()).enumerate() {
            let col = &mut trailing[j * n + k + 1..j * n + n];
            col.iter_mut()
                .zip(v.iter().zip(p.iter()))
                .for_each(|(b, (vi, wi))| *b -= vi * wj + wi * vj);
        }
    }
    if n >= 2 {
        diag[n - 2] = a[(n - 2) * n + n - 2];
        off[n - 2] = a[(n - 2) * n + n - 1];
    }
    if n >= 1 {
        diag[n - 1] = a[n * n - 1];
    }
    Reduction {
        diag,
        off,
        reflectors: Householder { n, vectors: a, tau },
    }
}

/// Turns `x` into the Householder vector `v` with `(I - τ v vᵀ) x = α e₁`; returns
/// `(α, τ)`. `α = -sign(x₀) ‖x‖` avoids cancellation in `v₀ = x₀ - α`; `τ = 0` (and
/// `x` unchanged) when `x` is already a multiple of `e₁`.
fn reflector(x: &mut [f64]) -> (f64, f64) {
    let tail: f64 = x[1..].iter().map(|v| v * v).sum();
    if tail == 0.0 {
        return (x[0], 0.0);
    }
    let norm = (x[0] * x[0] + tail).sqrt();
    let alpha = if x[0] >= 0.0 { -norm } else { norm };
    x[0] -= alpha;
    let vtv = x[0] * x[0] + tail;
    (alpha, 2.0 / vtv)
}

impl Householder {
    /// `X ← Q X` for the column-major `n x m` matrix `x`.
    pub fn apply(&self, x: &mut [f64]) {
        for k in (0..self.tau.len()).rev() {
            self.reflect(k, x);
        }
    }

    /// `X ← Qᵀ X` for the column-major `n x m` matrix `x`.
    pub fn apply_transpose(&self, x: &mut [f64]) {
        for k in 0..self.tau.len() {
            self.reflect(k, x);
        }
    }

    /// `X ← H_k X` column by column.
    fn reflect(&self, k: usize, x: &mut [f64]) {
        let (n, t) = (self.n, self.tau[k]);
        if t == 0.0 {
            return;
        }
        let v = &self.vectors[k * n + k + 1..(k + 1) * n];
        for col in x.chunks_exact_mut(n) {
            let tail = &mut col[k + 1..];
            let s = t * tail.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
            tail.iter_mut().zip(v).for_each(|(a, b)| *a -= s * b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symmetric test matrix with no zero entries.
    fn matrix(n: usize) -> Vec<f64> {
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let v = ((i * 7 + j * 11) % 13) as f64 * 0.3 - 1.7
                    + if i == j { i as f64 } else { 0.0 };
                a[j * n + i] = v;
                a[i * n + j] = v;
            }
        }
        a
    }

    #[test]
    fn q_transpose_a_q_is_the_tridiagonal_matrix() {
        for n in [1, 2, 3, 7, 12] {
            let a = matrix(n);
            let red = tridiagonalize(a.clone(), n);
            // Qᵀ A Q, computed as Qᵀ (Qᵀ A)ᵀ since A is symmetric.
            let mut qa = a.clone();
            red.reflectors.apply_transpose(&mut qa);
            let mut t = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    t[j * n + i] = qa[i * n + j];
                }
            }
            red.reflectors.apply_transpose(&mut t);
            for i in 0..n {
                for j in 0..n {
                    let expected = match i.abs_diff(j) {
                        0 => red.diag[i],
                        1 => red.off[i.min(j)],
                        _ => 0.0,
                    };
                    assert!((t[j * n + i] - expected).abs() < 1e-12, "n {n} ({i}, {j})");
                }
            }
            // Q is orthogonal: Q Qᵀ x = x.
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin()).collect();
            let mut y = x.clone();
            red.reflectors.apply_transpose(&mut y);
            red.reflectors.apply(&mut y);
            for (a, b) in x.iter().zip(&y) {
                assert!((a - b).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn an_already_tridiagonal_matrix_is_left_alone() {
        let n = 4;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = i as f64;
            if i + 1 < n {
                a[i * n + i + 1] = 0.5;
                a[(i + 1) * n + i] = 0.5;
            }
        }
        let red = tridiagonalize(a, n);
        assert_eq!(red.diag, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(red.off, vec![0.5, 0.5, 0.5]);
        assert!(red.reflectors.tau.iter().all(|&t| t == 0.0));
    }
}
