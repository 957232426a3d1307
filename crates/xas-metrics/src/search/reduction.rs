//! The low-dimensional maps of [`super::ReducedIndex`]: principal components
//! (Euclidean, cosine) and energy-block sums of weighted CDFs (W1).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use pulp::Simd;

use super::kernels::dot;
use super::scan::Prepared;
use super::{FastMetric, KnnIndex, Real};
use crate::error::{Error, Result};

/// A linear map to `fine` coordinates whose distances bound the true distance from
/// below, with coarser bounds derived from the same coordinates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reduction {
    /// Principal components (squared-Euclidean bounds).
    Pca {
        /// Mean row.
        mean: Vec<f64>,
        /// `fine` orthonormal components of `m` values, row-major, largest variance
        /// first.
        basis: Vec<f64>,
        /// Covariance eigenvalues, largest first (all `m`).
        eigenvalues: Vec<f64>,
    },
    /// Sums over contiguous energy blocks of the weighted CDF `w_k F_k` (L1 bounds).
    Blocks {
        /// Point boundaries of the `fine` blocks (`fine + 1` values).
        edges: Vec<usize>,
        /// Weights `w_k` as the exact kernel uses them (rounded to the storage type).
        weights: Vec<f64>,
    },
}

/// A row or query in reduced coordinates (`f64`, before rounding to the tables).
#[derive(Debug, Clone, Default)]
pub(crate) struct Projected {
    /// The fine coordinates: principal-component scores or block sums.
    pub(crate) fine: Vec<f64>,
    /// PCA: squared residual norm after the fine components; 0 for blocks.
    pub(crate) tail2: f64,
    /// Norm of the reduced vector: `|x - mu|` (PCA) or `sum |block sums|` (blocks).
    pub(crate) norm: f64,
}

impl Reduction {
    /// The map for `exact`'s rows with `fine` coordinates (`1 <= fine <= m`).
    pub(crate) fn new<T: Real>(exact: &KnnIndex<T>, fine: usize) -> Result<Self> {
        match exact.metric() {
            FastMetric::Euclidean | FastMetric::Cosine => pca(exact, fine),
            FastMetric::Wasserstein1 { .. } => Ok(blocks(exact, fine)),
        }
    }

    /// True for squared-Euclidean bounds (PCA), false for L1 bounds (blocks).
    pub(crate) fn squared(&self) -> bool {
        matches!(self, Reduction::Pca { .. })
    }

    /// Number of coarse coordinates for `components` coarse components or blocks
    /// (PCA stores the residual norm as one more).
    pub(crate) fn coarse_len(&self, components: usize) -> usize {
        if self.squared() {
            components + 1
        } else {
            components
        }
    }

    /// The reduced coordinates of a prepared row or query.
    #[inline(always)]
    pub(crate) fn project<S: Simd, T: Real>(&self, simd: S, q: &Prepared<T>) -> Projected {
        self.project_block(simd, std::slice::from_ref(q))
            .pop()
            .unwrap_or_default()
    }

    /// The reduced coordinates of several prepared rows or queries. For PCA each
    /// component is applied to all of them in turn while it is in the L1 cache, so the
    /// basis is read once per block.
    #[inline(always)]
    pub(crate) fn project_block<S: Simd, T: Real>(
        &self,
        simd: S,
        qs: &[Prepared<T>],
    ) -> Vec<Projected> {
        let mut out = Vec::with_capacity(qs.len());
        match self {
            Reduction::Pca { mean, basis, .. } => {
                let m = mean.len();
                // Plain loops: a closure around a vector kernel may not be inlined into
                // the caller's target-feature context, and then every intrinsic
                // becomes a function call.
                let mut centred = Vec::with_capacity(qs.len());
                for q in qs {
                    let mut c = Vec::with_capacity(m);
                    for (v, mu) in q.row.iter().zip(mean) {
                        c.push(v.to_f64() - mu);
                    }
                    centred.push(c);
                }
                let fine = basis.len() / m.max(1);
                let mut scores: Vec<Vec<f64>> = Vec::with_capacity(qs.len());
                for _ in qs {
                    scores.push(Vec::with_capacity(fine));
                }
                for u in basis.chunks_exact(m) {
                    for (c, z) in centred.iter().zip(scores.iter_mut()) {
                        z.push(dot(simd, u, c));
                    }
                }
                // Residual from Pythagoras, |r|^2 = |c|^2 - |z|^2: one pass over the
                // basis. The cancellation error, about sqrt((m + d) u) |c| on |r|, is
                // covered by the margin of the bound comparisons.
                for (c, z) in centred.iter().zip(scores) {
                    let c2 = dot(simd, c, c);
                    let z2: f64 = z.iter().map(|v| v * v).sum();
                    out.push(Projected {
                        fine: z,
                        tail2: (c2 - z2).max(0.0),
                        norm: c2.sqrt(),
                    });
                }
            }
            Reduction::Blocks { edges, weights } => {
                for q in qs {
                    let mut sums = Vec::with_capacity(edges.len().saturating_sub(1));
                    for e in edges.windows(2) {
                        let mut s = 0.0;
                        for (w, f) in weights[e[0]..e[1]].iter().zip(&q.row[e[0]..e[1]]) {
                            s += w * f.to_f64();
                        }
                        sums.push(s);
                    }
                    let norm = sums.iter().map(|v| v.abs()).sum();
                    out.push(Projected {
                        fine: sums,
                        tail2: 0.0,
                        norm,
                    });
                }
            }
        }
        out
    }

    /// The coarse coordinates for `components` coarse components or blocks: PCA, the
    /// first `components` scores and the residual norm beyond them; blocks, the sums of
    /// `components` groups of consecutive fine blocks.
    pub(crate) fn coarse(&self, p: &Projected, components: usize) -> Vec<f32> {
        let fine = p.fine.len();
        let components = components.clamp(1, fine.max(1));
        if self.squared() {
            let mut out: Vec<f32> = p.fine[..components].iter().map(|&v| v as f32).collect();
            let beyond: f64 = p.fine[components..].iter().map(|v| v * v).sum();
            out.push((p.tail2 + beyond).sqrt() as f32);
            out
        } else {
            (0..components)
                .map(|g| {
                    let (a, b) = (g * fine / components, (g + 1) * fine / components);
                    p.fine[a..b].iter().sum::<f64>() as f32
                })
                .collect()
        }
    }

    /// Fractions of the total variance captured by the first `d` components (PCA).
    pub(crate) fn explained(&self, d: usize) -> Option<f64> {
        match self {
            Reduction::Pca { eigenvalues, .. } => {
                let total: f64 = eigenvalues.iter().sum();
                let part: f64 = eigenvalues.iter().take(d).sum();
                Some(if total > 0.0 { part / total } else { 1.0 })
            }
            Reduction::Blocks { .. } => None,
        }
    }
}

/// Principal components of the stored rows: mean, covariance `C^T C` (by blocks of
/// rows, serial so that the result does not depend on the thread count) and its
/// eigenvectors of largest eigenvalue.
fn pca<T: Real>(exact: &KnnIndex<T>, fine: usize) -> Result<Reduction> {
    let (n, m) = (exact.len(), exact.points());
    let mut mean = vec![0.0; m];
    for j in 0..n {
        for (mu, v) in mean.iter_mut().zip(exact.row(j)) {
            *mu += v.to_f64();
        }
    }
    mean.iter_mut().for_each(|mu| *mu /= n as f64);
    let mut cov = Mat::<f64>::zeros(m, m);
    let block = ((1 << 21) / (8 * m).max(1)).max(1);
    let mut buf = vec![0.0; block.min(n) * m];
    for start in (0..n).step_by(block) {
        let rows = block.min(n - start);
        for (r, chunk) in buf[..rows * m].chunks_exact_mut(m).enumerate() {
            for ((b, v), mu) in chunk.iter_mut().zip(exact.row(start + r)).zip(&mean) {
                *b = v.to_f64() - mu;
            }
        }
        let c = MatRef::from_row_major_slice(&buf[..rows * m], rows, m);
        matmul(cov.as_mut(), Accum::Add, c.transpose(), c, 1.0, Par::Seq);
    }
    let evd = cov.self_adjoint_eigen(Side::Lower).map_err(|e| {
        Error::data(
            "library",
            format!("eigendecomposition of the covariance failed: {e:?}"),
        )
    })?;
    let (u, s) = (evd.U(), evd.S());
    // faer returns the eigenvalues in increasing order.
    let eigenvalues: Vec<f64> = (0..m).rev().map(|i| s[i].max(0.0) / n as f64).collect();
    let mut basis = Vec::with_capacity(fine * m);
    for i in 0..fine {
        let col = m - 1 - i;
        basis.extend((0..m).map(|r| u[(r, col)]));
    }
    Ok(Reduction::Pca {
        mean,
        basis,
        eigenvalues,
    })
}

/// `fine` contiguous energy blocks of nearly equal point counts.
fn blocks<T: Real>(exact: &KnnIndex<T>, fine: usize) -> Reduction {
    let m = exact.points();
    let edges = (0..=fine).map(|b| b * m / fine).collect();
    let weights = exact
        .w1()
        .map(|w| w.weights.iter().map(|v| v.to_f64()).collect())
        .unwrap_or_else(|| vec![1.0; m]);
    Reduction::Blocks { edges, weights }
}
