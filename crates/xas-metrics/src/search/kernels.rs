//! Vectorised inner loops of the search module.
//!
//! The kernels are generic over a `pulp::Simd` instruction set and are called inside
//! `pulp::Arch::dispatch`, which picks AVX-512, AVX2+FMA or scalar code at run time
//! (the workspace itself builds for x86-64-v3, without AVX-512; a user building for the
//! x86-64 baseline would otherwise get SSE2 only). Everything here is safe code: `pulp`
//! encapsulates the `target_feature` calls.
//!
//! Accumulation order is fixed for a given instruction set: four vector accumulators
//! filled round-robin, summed as `(a0 + a1) + (a2 + a3)` and reduced horizontally,
//! then the scalar tail. Results are therefore identical between the serial and the
//! parallel paths on one machine, but may differ in the last bits between machines
//! with different vector widths.

use pulp::Simd;

/// Number of 4-vector blocks between two early-abandon checks of a bounded kernel
/// (one check per 128 `f32` values with AVX-512, per 64 with AVX2).
const CHECK_BLOCKS: usize = 2;

/// Element-type-specific vector operations; implemented for `f32` and `f64` only.
///
/// Public so that it can bound the public [`super::Real`] trait, but unnameable
/// outside the crate (the module is private): `Real` is sealed.
pub trait Kernels: Copy + Send + Sync + PartialOrd + 'static {
    /// The vector register type under instruction set `S`.
    type V<S: Simd>: Copy;
    /// Zero.
    const ZERO_S: Self;
    /// Splits a slice into whole vectors and a scalar tail.
    fn split<S: Simd>(s: &[Self]) -> (&[Self::V<S>], &[Self]);
    /// Splits a mutable slice into whole vectors and a scalar tail.
    fn split_mut<S: Simd>(s: &mut [Self]) -> (&mut [Self::V<S>], &mut [Self]);
    /// All lanes `v`.
    fn splat<S: Simd>(simd: S, v: Self) -> Self::V<S>;
    /// `a + b`.
    fn add<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a - b`.
    fn sub<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a * b + c`, fused where the hardware has FMA.
    fn mul_add<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;
    /// `|a|`.
    fn abs<S: Simd>(simd: S, a: Self::V<S>) -> Self::V<S>;
    /// Lane-wise minimum.
    fn min<S: Simd>(simd: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Horizontal sum.
    fn sum<S: Simd>(simd: S, a: Self::V<S>) -> Self;
    /// Horizontal minimum.
    fn hmin<S: Simd>(simd: S, a: Self::V<S>) -> Self;
    /// Scalar `a + b`.
    fn add_s(a: Self, b: Self) -> Self;
    /// Scalar `a - b`.
    fn sub_s(a: Self, b: Self) -> Self;
    /// Scalar `a * b + c` (not fused).
    fn mul_add_s(a: Self, b: Self, c: Self) -> Self;
    /// Scalar `|a|`.
    fn abs_s(a: Self) -> Self;
}

macro_rules! kernels_impl {
    ($t:ty, $v:ident, $split:ident, $split_mut:ident, $splat:ident, $add:ident, $sub:ident, $fma:ident,
     $abs:ident, $min:ident, $sum:ident, $hmin:ident) => {
        impl Kernels for $t {
            type V<S: Simd> = S::$v;
            const ZERO_S: Self = 0.0;
            #[inline(always)]
            fn split<S: Simd>(s: &[Self]) -> (&[S::$v], &[Self]) {
                S::$split(s)
            }
            #[inline(always)]
            fn split_mut<S: Simd>(s: &mut [Self]) -> (&mut [S::$v], &mut [Self]) {
                S::$split_mut(s)
            }
            #[inline(always)]
            fn splat<S: Simd>(simd: S, v: Self) -> S::$v {
                simd.$splat(v)
            }
            #[inline(always)]
            fn add<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$v {
                simd.$add(a, b)
            }
            #[inline(always)]
            fn sub<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$v {
                simd.$sub(a, b)
            }
            #[inline(always)]
            fn mul_add<S: Simd>(simd: S, a: S::$v, b: S::$v, c: S::$v) -> S::$v {
                simd.$fma(a, b, c)
            }
            #[inline(always)]
            fn abs<S: Simd>(simd: S, a: S::$v) -> S::$v {
                simd.$abs(a)
            }
            #[inline(always)]
            fn min<S: Simd>(simd: S, a: S::$v, b: S::$v) -> S::$v {
                simd.$min(a, b)
            }
            #[inline(always)]
            fn sum<S: Simd>(simd: S, a: S::$v) -> Self {
                simd.$sum(a)
            }
            #[inline(always)]
            fn hmin<S: Simd>(simd: S, a: S::$v) -> Self {
                simd.$hmin(a)
            }
            #[inline(always)]
            fn add_s(a: Self, b: Self) -> Self {
                a + b
            }
            #[inline(always)]
            fn sub_s(a: Self, b: Self) -> Self {
                a - b
            }
            #[inline(always)]
            fn mul_add_s(a: Self, b: Self, c: Self) -> Self {
                a * b + c
            }
            #[inline(always)]
            fn abs_s(a: Self) -> Self {
                a.abs()
            }
        }
    };
}

kernels_impl!(
    f32,
    f32s,
    as_simd_f32s,
    as_mut_simd_f32s,
    splat_f32s,
    add_f32s,
    sub_f32s,
    mul_add_e_f32s,
    abs_f32s,
    min_f32s,
    reduce_sum_f32s,
    reduce_min_f32s
);
kernels_impl!(
    f64,
    f64s,
    as_simd_f64s,
    as_mut_simd_f64s,
    splat_f64s,
    add_f64s,
    sub_f64s,
    mul_add_e_f64s,
    abs_f64s,
    min_f64s,
    reduce_sum_f64s,
    reduce_min_f64s
);

/// `(a0 + a1) + (a2 + a3)`, reduced horizontally.
#[inline(always)]
fn total<S: Simd, T: Kernels>(simd: S, a: [T::V<S>; 4]) -> T {
    T::sum(
        simd,
        T::add(simd, T::add(simd, a[0], a[1]), T::add(simd, a[2], a[3])),
    )
}

/// Sum over `i` of `term(q_i, x_i, w_i)` for a non-negative term, stopping early with
/// a partial sum `> limit` as soon as one exceeds `limit`. Unweighted kernels pass any
/// slice of the same length as `w` (e.g. `q`) and ignore it in `term`; the unused
/// loads are then optimised away.
///
/// Every partial sum is a lower bound of the full sum (the terms are non-negative,
/// the accumulators only grow and rounding is monotone, and the final reduction uses
/// the same tree as the checks), so a row abandoned here would also have been
/// rejected with its full sum. With `limit = +inf` the full sum is returned.
#[inline(always)]
fn bounded_sum<S: Simd, T: Kernels>(
    simd: S,
    q: &[T],
    x: &[T],
    w: &[T],
    limit: T,
    term: impl Fn(T::V<S>, T::V<S>, T::V<S>, T::V<S>) -> T::V<S>,
    term_s: impl Fn(T, T, T, T) -> T,
) -> T {
    let n = q.len().min(x.len()).min(w.len());
    let (qv, qt) = T::split::<S>(&q[..n]);
    let (xv, xt) = T::split::<S>(&x[..n]);
    let (wv, wt) = T::split::<S>(&w[..n]);
    let mut acc = [T::splat(simd, T::ZERO_S); 4];
    let mut blocks = 0;
    let mut qc = qv.chunks_exact(4);
    let mut xc = xv.chunks_exact(4);
    let mut wc = wv.chunks_exact(4);
    for ((qb, xb), wb) in (&mut qc).zip(&mut xc).zip(&mut wc) {
        for j in 0..4 {
            acc[j] = term(qb[j], xb[j], wb[j], acc[j]);
        }
        blocks += 1;
        if blocks == CHECK_BLOCKS {
            blocks = 0;
            let partial = total::<S, T>(simd, acc);
            if partial > limit {
                return partial;
            }
        }
    }
    for ((a, b), c) in qc
        .remainder()
        .iter()
        .zip(xc.remainder())
        .zip(wc.remainder())
    {
        acc[0] = term(*a, *b, *c, acc[0]);
    }
    let mut sum = total::<S, T>(simd, acc);
    for ((a, b), c) in qt.iter().zip(xt).zip(wt) {
        sum = term_s(*a, *b, *c, sum);
    }
    sum
}

/// `sum_i (q_i - x_i)^2`, or a partial sum `> limit` when abandoned early.
#[inline(always)]
pub fn sq_l2<S: Simd, T: Kernels>(simd: S, q: &[T], x: &[T], limit: T) -> T {
    bounded_sum::<S, T>(
        simd,
        q,
        x,
        q,
        limit,
        |a, b, _, acc| {
            let d = T::sub(simd, a, b);
            T::mul_add(simd, d, d, acc)
        },
        |a, b, _, acc| {
            let d = T::sub_s(a, b);
            T::mul_add_s(d, d, acc)
        },
    )
}

/// `sum_i w_i |q_i - x_i|` (`w_i >= 0`), or a partial sum `> limit` when abandoned.
#[inline(always)]
pub fn weighted_l1<S: Simd, T: Kernels>(simd: S, q: &[T], x: &[T], w: &[T], limit: T) -> T {
    bounded_sum::<S, T>(
        simd,
        q,
        x,
        w,
        limit,
        |a, b, c, acc| T::mul_add(simd, T::abs(simd, T::sub(simd, a, b)), c, acc),
        |a, b, c, acc| T::mul_add_s(T::abs_s(T::sub_s(a, b)), c, acc),
    )
}

/// `sum_i |q_i - x_i|`, or a partial sum `> limit` when abandoned early.
#[inline(always)]
pub fn l1<S: Simd, T: Kernels>(simd: S, q: &[T], x: &[T], limit: T) -> T {
    bounded_sum::<S, T>(
        simd,
        q,
        x,
        q,
        limit,
        |a, b, _, acc| T::add(simd, T::abs(simd, T::sub(simd, a, b)), acc),
        |a, b, _, acc| T::add_s(T::abs_s(T::sub_s(a, b)), acc),
    )
}

/// Dot product `sum_i a_i b_i` with the fixed accumulation order of this module.
#[inline(always)]
pub fn dot<S: Simd, T: Kernels>(simd: S, a: &[T], b: &[T]) -> T {
    let n = a.len().min(b.len());
    let (av, at) = T::split::<S>(&a[..n]);
    let (bv, bt) = T::split::<S>(&b[..n]);
    let zero = T::splat(simd, T::ZERO_S);
    let mut acc = [zero; 4];
    let mut ac = av.chunks_exact(4);
    let mut bc = bv.chunks_exact(4);
    for (x, y) in (&mut ac).zip(&mut bc) {
        for j in 0..4 {
            acc[j] = T::mul_add(simd, x[j], y[j], acc[j]);
        }
    }
    for (x, y) in ac.remainder().iter().zip(bc.remainder()) {
        acc[0] = T::mul_add(simd, *x, *y, acc[0]);
    }
    let mut sum = total::<S, T>(simd, acc);
    for (x, y) in at.iter().zip(bt) {
        sum = T::mul_add_s(*x, *y, sum);
    }
    sum
}

/// How [`column_scan`] combines a query with the table.
#[derive(Debug, Clone, Copy)]
pub enum ColumnForm<'a> {
    /// Squared Euclidean distance in dot-product form, one FMA per coordinate:
    /// `|z_q|^2 + |z_x|^2 - 2 z_q.z_x`. The query coordinates passed are `-2 z_q`, the
    /// table holds one more column after the coordinates with `|z_x|^2`, and
    /// `q_norm2[b]` is `|z_q|^2` of query `b`. (Rounding: an absolute error of a few
    /// `u (|z_q| + |z_x|)^2`, which the caller's margin must cover.)
    SquaredDot {
        /// `|z_q|^2` per query.
        q_norm2: &'a [f32],
    },
    /// L1 distance `sum_c |z_q,c - z_x,c|`.
    L1,
}

/// Distances of queries to all rows of a coordinate table stored column by column
/// (`cols[c * stride + j]` = coordinate `c` of row `j`; `stride` a multiple of 128), in
/// the form `form`, into `out[b][j]` for query `b`, with the minimum of every tile of
/// `4 x lanes` rows in `tile_min[b]`.
///
/// Rows are taken two tiles at a time (eight independent accumulators keep both FMA
/// ports busy), and every query of the block is served from one tile pair before the
/// next is read, so the table streams from memory once per block of queries.
#[inline(always)]
pub fn column_scan<S: Simd>(
    simd: S,
    cols: &[f32],
    stride: usize,
    zq: &[&[f32]],
    form: ColumnForm<'_>,
    out: &mut [Vec<f32>],
    tile_min: &mut [Vec<f32>],
) {
    type K = f32;
    let tile = 4 * S::F32_LANES;
    let pair = 2 * tile;
    let zero = <K as Kernels>::splat(simd, 0.0);
    for p in 0..stride / pair {
        let base = p * pair;
        for (b, ((zq, out), tile_min)) in zq
            .iter()
            .zip(out.iter_mut())
            .zip(tile_min.iter_mut())
            .enumerate()
        {
            let mut acc = [zero; 8];
            match form {
                ColumnForm::SquaredDot { q_norm2 } => {
                    let dims = zq.len();
                    let norms = &cols[dims * stride + base..dims * stride + base + pair];
                    let (nv, _) = <K as Kernels>::split::<S>(norms);
                    let qn = <K as Kernels>::splat(simd, q_norm2.get(b).copied().unwrap_or(0.0));
                    for j in 0..8 {
                        acc[j] = <K as Kernels>::add(simd, qn, nv[j]);
                    }
                    for (c, &z) in zq.iter().enumerate() {
                        let col = &cols[c * stride + base..c * stride + base + pair];
                        let zc = <K as Kernels>::splat(simd, z);
                        let (cv, _) = <K as Kernels>::split::<S>(col);
                        for j in 0..8 {
                            acc[j] = <K as Kernels>::mul_add(simd, zc, cv[j], acc[j]);
                        }
                    }
                }
                ColumnForm::L1 => {
                    for (c, &z) in zq.iter().enumerate() {
                        let col = &cols[c * stride + base..c * stride + base + pair];
                        let zc = <K as Kernels>::splat(simd, z);
                        let (cv, _) = <K as Kernels>::split::<S>(col);
                        for j in 0..8 {
                            let d = <K as Kernels>::sub(simd, zc, cv[j]);
                            acc[j] =
                                <K as Kernels>::add(simd, <K as Kernels>::abs(simd, d), acc[j]);
                        }
                    }
                }
            }
            let (out_v, _) = S::as_mut_simd_f32s(&mut out[base..base + pair]);
            out_v.copy_from_slice(&acc);
            for t in 0..2 {
                let a = &acc[4 * t..4 * t + 4];
                let m = <K as Kernels>::min(
                    simd,
                    <K as Kernels>::min(simd, a[0], a[1]),
                    <K as Kernels>::min(simd, a[2], a[3]),
                );
                tile_min[2 * p + t] = <K as Kernels>::hmin(simd, m);
            }
        }
    }
}

/// Appends to `out` the indices `j < n` with `values[j] <= limit`, in increasing order,
/// looking only at the tiles `tiles` (of `tile` values each, a multiple of the vector
/// width) whose minimum `tile_min[t]` does not exceed `limit`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn filter_le<S: Simd>(
    simd: S,
    values: &[f32],
    tile_min: &[f32],
    tiles: impl Iterator<Item = usize>,
    tile: usize,
    n: usize,
    limit: f32,
    out: &mut Vec<usize>,
) {
    let lanes = S::F32_LANES;
    let per_tile = tile / lanes;
    let (vals, _) = S::as_simd_f32s(values);
    let lim = simd.splat_f32s(limit);
    for t in tiles {
        if tile_min[t] > limit || tile_min[t].is_nan() {
            continue;
        }
        let first = t * per_tile;
        for (i, &x) in vals[first..first + per_tile].iter().enumerate() {
            let v = first + i;
            let mut bits = mask_bits::<S>(simd.less_than_or_equal_f32s(x, lim));
            while bits != 0 {
                let j = v * lanes + bits.trailing_zeros() as usize;
                if j < n {
                    out.push(j);
                }
                bits &= bits - 1;
            }
        }
    }
}

/// The lanes of a comparison mask as the low bits of an integer (lane `i` -> bit `i`):
/// AVX-512 masks are bit masks already; AVX2 and scalar masks hold one all-ones or
/// all-zeros word per lane.
#[inline(always)]
fn mask_bits<S: Simd>(mask: S::m32s) -> u64 {
    let bytes = pulp::bytemuck::bytes_of(&mask);
    let lanes = S::F32_LANES;
    let mut bits = 0u64;
    if bytes.len() * 8 == lanes {
        for (i, &b) in bytes.iter().enumerate() {
            bits |= u64::from(b) << (8 * i);
        }
    } else {
        let width = bytes.len() / lanes.max(1);
        for i in 0..lanes {
            if bytes[i * width] != 0 {
                bits |= 1 << i;
            }
        }
    }
    bits
}
