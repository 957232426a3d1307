//! Each pixel's most correlated sites, found exactly without testing every site.
//!
//! The correlation of a standardised pixel `ẑ` with a standardised site `ŝ_k` is
//! `r_k = ẑ·ŝ_k`; testing every site costs `K × L` products per pixel, and on large
//! images the number of sites `K` grows into the hundreds (sites spaced by the noise
//! along a continuum of mixtures). Site spectra, however, are nearly of low rank: a
//! few end members plus the noise of each site's mean. With an orthonormal basis
//! `U` (`m × L`) of their dominant subspace, `ŝ_k = Uᵀc_k + ε_k` with `c_k = Uŝ_k`
//! and `ε_k ⊥ U`, so
//!
//! ```text
//! r_k = p·c_k + ẑ⊥·ε_k,   |ẑ⊥·ε_k| ≤ ‖ẑ⊥‖ ‖ε_k‖ = b e_k   (Cauchy-Schwarz),
//! ```
//!
//! with `p = Uẑ` and `b² = ‖ẑ‖² - ‖p‖² = 1 - ‖p‖²`. A site whose upper bound
//! `p·c_k + b e_k` lies below the largest lower bound `p·c_j - b e_j` (the second
//! largest when two sites are wanted) cannot be the most correlated one; the exact
//! products are computed only for the others. Both bounds are widened by a bound on
//! the single-precision rounding of the products (first order in `2⁻²⁴`), so the
//! result is the exhaustive search's: the site with the largest exact product
//! [`dot`], the first on ties. On the benchmark's 4·10⁸-pixel image (166 sites,
//! `m = 4`: the site matrix has four singular values above its noise floor) about 21
//! exact products per pixel remain, computed two sites at a time ([`dot2`]).
//!
//! With few sites the bounds cost more than they save, and every site gets its exact
//! product; the result is the same either way.
//!
//! `xas_metrics::search::ReducedIndex` bounds distances with a PCA in the same way,
//! for libraries of 10⁴-10⁵ rows queried a few at a time: it takes `f64` queries and
//! prepares each again, returns a vector per query and runs two stages of bounds
//! calibrated for large libraries. On 166 mixture sites of 100 energies (cosine,
//! `k = 2`, `f32` storage) it took 4.5 µs of CPU per query, about six times what this
//! crate spends on a pixel in all (0.77 µs on the scale benchmark), so the classifier
//! keeps this search: slab products against the site coefficients, no allocation per
//! pixel and one stage of bounds.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
#[cfg(feature = "rayon")]
use rayon::prelude::*;
use wide::f32x8;

use crate::block::{Prepared, dot, dot2};
use crate::sites::Sites;

/// Pixels per matrix product and parallel work item: the product of a slab with the
/// site coefficients (`SLAB × K` values) stays in the core's cache for the scan.
const SLAB: usize = 512;

/// Most basis vectors used for the bounds.
const MAX_RANK: usize = 16;

/// Fewest sites for the pruned search: with fewer, the median singular value is no
/// measure of the noise, and testing every site is cheap anyway.
const MIN_SITES: usize = 16;

/// The most correlated site of a pixel and, when asked for, the runner-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nearest {
    /// Index of the most correlated site (the first on ties).
    pub best: usize,
    /// Index of the second most correlated site, if asked for and there is one.
    pub second: Option<usize>,
}

/// Running top two of `(site, correlation)` pairs offered in site order.
#[derive(Debug, Clone, Copy)]
struct TopTwo {
    first: Option<(usize, f32)>,
    second: Option<(usize, f32)>,
}

impl TopTwo {
    const EMPTY: TopTwo = TopTwo {
        first: None,
        second: None,
    };

    /// Offers site `k` with correlation `r`; an equal later value never displaces
    /// an earlier one.
    fn offer(&mut self, k: usize, r: f32) {
        match self.first {
            Some((_, r1)) if r <= r1 => {
                if self.second.is_none_or(|(_, r2)| r > r2) {
                    self.second = Some((k, r));
                }
            }
            _ => {
                self.second = self.first;
                self.first = Some((k, r));
            }
        }
    }

    fn nearest(self, with_second: bool) -> Option<Nearest> {
        self.first.map(|(best, _)| Nearest {
            best,
            second: self.second.filter(|_| with_second).map(|(k, _)| k),
        })
    }
}

/// Bounds of the pruned search.
#[derive(Debug, Clone)]
struct Pruning {
    /// Basis vectors, `m`.
    m: usize,
    /// Orthonormal basis `U`, `m × L` row-major.
    basis: Vec<f32>,
    /// Coefficients `c_k = Uŝ_k`, `K × m` row-major.
    coefficients: Vec<f32>,
    /// `e_k = ‖ŝ_k - Uᵀc_k‖`, rounded up.
    residual: Vec<f32>,
    /// Widening of every bound and of `b²`: `R = 2(m + 2)(L + m)·2⁻²⁴`. The
    /// products `p = Uẑ` (error up to `L·2⁻²⁴` each), `p·c_k` (`(√m·L + m)·2⁻²⁴`) and
    /// [`dot`] (`L·2⁻²⁴`) enter each comparison twice; `‖p‖²` and `‖ẑ‖²` move `b²` by
    /// at most `2(√m·L + L + m)·2⁻²⁴`. `R` exceeds both (to first order).
    rounding: f32,
}

/// Search structure for one set of sites; rebuild it when the sites change.
#[derive(Debug, Clone)]
pub(crate) struct SiteSearch {
    /// Number of sites it was built for.
    k: usize,
    pruning: Option<Pruning>,
}

/// Per-block buffers of [`SiteSearch::nearest`].
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Approximate correlations `p·c_k`, `n × K`.
    r: Vec<f32>,
    /// Projections `p = Uẑ`, `n × m`.
    p: Vec<f32>,
}

impl SiteSearch {
    /// Chooses the search for `sites`: pruned when there are at least [`MIN_SITES`]
    /// and the bounds' fixed cost `m(L + K)` is at most half the exhaustive `K·L`,
    /// with `m` the number of singular values of the site matrix above four times
    /// their median (the median measures the noise of the sites' means; at most
    /// [`MAX_RANK`]).
    pub fn new(sites: &Sites) -> Self {
        SiteSearch {
            k: sites.len(),
            pruning: Pruning::new(sites),
        }
    }

    /// Basis vectors of the bounds (0 for the exhaustive search).
    #[cfg(test)]
    pub fn rank(&self) -> usize {
        self.pruning.as_ref().map_or(0, |p| p.m)
    }

    /// The nearest sites of every pixel of `block` (`None` for flat pixels and
    /// when there are no sites), in pixel order, into `out`; the runner-up too when
    /// `with_second`. Returns the number of pixel-site correlations computed
    /// exactly (all of them for the exhaustive search).
    pub fn nearest(
        &self,
        sites: &Sites,
        block: &Prepared,
        with_second: bool,
        scratch: &mut Scratch,
        out: &mut Vec<Option<Nearest>>,
    ) -> u64 {
        let (n, k, l) = (block.len(), sites.len(), sites.l);
        debug_assert_eq!(k, self.k, "the search was built for other sites");
        out.clear();
        out.resize(n, None);
        if k == 0 || n == 0 {
            return 0;
        }
        let Some(bounds) = &self.pruning else {
            let all: Vec<usize> = (0..k).collect();
            let work = |(slab, out): (usize, &mut [Option<Nearest>])| {
                let mut exact = 0;
                for (j, out) in out.iter_mut().enumerate() {
                    let i = slab * SLAB + j;
                    if !block.flat[i] {
                        *out = exact_top_two(block.z(i), sites, &all).nearest(with_second);
                        exact += k as u64;
                    }
                }
                exact
            };
            return in_slabs(out.chunks_mut(SLAB).enumerate(), work);
        };
        let m = bounds.m;
        scratch.r.resize(n * k, 0.0);
        scratch.p.resize(n * m, 0.0);
        let basis = MatRef::from_row_major_slice(&bounds.basis, m, l);
        let coefficients = MatRef::from_row_major_slice(&bounds.coefficients, k, m);
        let work = |(slab, ((r, p), out)): (usize, SlabBuffers<'_>)| {
            let first = slab * SLAB;
            let rows = out.len();
            let z = MatRef::from_row_major_slice(&block.z[first * l..(first + rows) * l], rows, l);
            product(z, basis, p);
            let p: &[f32] = p;
            product(MatRef::from_row_major_slice(p, rows, m), coefficients, r);
            let mut exact = 0;
            let mut kept = Vec::with_capacity(k);
            for (j, out) in out.iter_mut().enumerate() {
                if block.flat[first + j] {
                    continue;
                }
                let approximate = &r[j * k..(j + 1) * k];
                bounds.keep(&p[j * m..(j + 1) * m], approximate, with_second, &mut kept);
                *out = exact_top_two(block.z(first + j), sites, &kept).nearest(with_second);
                exact += kept.len() as u64;
            }
            exact
        };
        let jobs = scratch
            .r
            .chunks_mut(SLAB * k)
            .zip(scratch.p.chunks_mut(SLAB * m))
            .zip(out.chunks_mut(SLAB))
            .enumerate();
        in_slabs(jobs, work)
    }
}

/// Runs `work` on every slab (in parallel when enabled) and adds up what it returns.
fn in_slabs<T: Send>(jobs: impl Iterator<Item = T>, work: impl Fn(T) -> u64 + Sync + Send) -> u64 {
    #[cfg(feature = "rayon")]
    {
        jobs.collect::<Vec<_>>().into_par_iter().map(work).sum()
    }
    #[cfg(not(feature = "rayon"))]
    {
        jobs.map(work).sum()
    }
}

/// One slab's correlations, projections and results.
type SlabBuffers<'a> = ((&'a mut [f32], &'a mut [f32]), &'a mut [Option<Nearest>]);

/// `out = x yᵀ` (row-major, `x.nrows() × y.nrows()`), sequential so that the
/// result does not depend on the number of threads.
fn product(x: MatRef<'_, f32>, y: MatRef<'_, f32>, out: &mut [f32]) {
    let dst = MatMut::from_row_major_slice_mut(out, x.nrows(), y.nrows());
    matmul(dst, Accum::Replace, x, y.transpose(), 1.0, Par::Seq);
}

impl Pruning {
    fn new(sites: &Sites) -> Option<Self> {
        let (k, l) = (sites.len(), sites.l);
        if k < MIN_SITES {
            return None;
        }
        let s = Mat::<f64>::from_fn(k, l, |i, j| f64::from(sites.get(i)[j]));
        let svd = s.thin_svd().ok()?;
        let values: Vec<f64> = (0..k.min(l)).map(|i| svd.S()[i]).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let m = values
            .iter()
            .take_while(|&&v| v > 4.0 * median)
            .count()
            .clamp(1, MAX_RANK);
        if 2 * m * (l + k) > k * l {
            return None;
        }
        let v = svd.V();
        let basis: Vec<f32> = (0..m)
            .flat_map(|c| (0..l).map(move |j| v[(j, c)] as f32))
            .collect();
        let mut coefficients = Vec::with_capacity(k * m);
        let mut residual = Vec::with_capacity(k);
        for site in 0..k {
            let spectrum = sites.get(site);
            let c: Vec<f32> = basis
                .chunks(l)
                .map(|u| {
                    let dot: f64 = u
                        .iter()
                        .zip(spectrum)
                        .map(|(&a, &b)| f64::from(a) * f64::from(b))
                        .sum();
                    dot as f32
                })
                .collect();
            // ‖ŝ - Uᵀc‖ of the stored single-precision values, in double precision.
            let e2: f64 = (0..l)
                .map(|j| {
                    let fit: f64 = (0..m)
                        .map(|a| f64::from(basis[a * l + j]) * f64::from(c[a]))
                        .sum();
                    (f64::from(spectrum[j]) - fit).powi(2)
                })
                .sum();
            residual.push((e2.sqrt() * (1.0 + 1e-6)) as f32);
            coefficients.extend(c);
        }
        let unit = f32::EPSILON / 2.0;
        Some(Pruning {
            m,
            basis,
            coefficients,
            residual,
            rounding: 2.0 * (m + 2) as f32 * (l + m) as f32 * unit,
        })
    }

    /// The sites that may be among the top one (or two, `with_second`) of a pixel
    /// with projection `p` and approximate correlations `a_k = p·c_k`, into `kept`
    /// in site order. Both scans run eight sites at a time, the rest one by one.
    fn keep(&self, p: &[f32], approximate: &[f32], with_second: bool, kept: &mut Vec<usize>) {
        let b = (1.0 - p.iter().map(|v| v * v).sum::<f32>() + self.rounding)
            .max(0.0)
            .sqrt();
        let (a8, a_rest) = approximate.as_chunks::<8>();
        let (e8, e_rest) = self.residual.as_chunks::<8>();
        let bv = f32x8::splat(b);
        // The two largest lower bounds, per lane, then over lanes and the rest.
        let (mut first, mut second) = (f32x8::splat(f32::MIN), f32x8::splat(f32::MIN));
        for (a, e) in a8.iter().zip(e8) {
            let low = f32x8::from(*a) - bv * f32x8::from(*e);
            second = second.max(first.min(low));
            first = first.max(low);
        }
        let mut lower = [f32::MIN; 2];
        let rest = a_rest.iter().zip(e_rest).map(|(a, e)| a - b * e);
        for v in first
            .to_array()
            .into_iter()
            .chain(second.to_array())
            .chain(rest)
        {
            if v > lower[0] {
                lower = [v, lower[0]];
            } else if v > lower[1] {
                lower[1] = v;
            }
        }
        let threshold = lower[usize::from(with_second)] - self.rounding;
        kept.clear();
        let tv = f32x8::splat(threshold);
        for (c, (a, e)) in a8.iter().zip(e8).enumerate() {
            let mut above = (f32x8::from(*a) + bv * f32x8::from(*e))
                .simd_ge(tv)
                .to_bitmask();
            while above != 0 {
                kept.push(8 * c + above.trailing_zeros() as usize);
                above &= above - 1;
            }
        }
        let first_rest = 8 * a8.len();
        for (s, (a, e)) in a_rest.iter().zip(e_rest).enumerate() {
            if a + b * e >= threshold {
                kept.push(first_rest + s);
            }
        }
    }
}

/// The top two of `candidates` (in site order) by their exact correlation with
/// `z`, [`dot`], computed two sites at a time.
fn exact_top_two(z: &[f32], sites: &Sites, candidates: &[usize]) -> TopTwo {
    let mut top = TopTwo::EMPTY;
    let (pairs, rest) = candidates.as_chunks::<2>();
    for &[a, b] in pairs {
        let r = dot2(z, sites.get(a), sites.get(b));
        top.offer(a, r[0]);
        top.offer(b, r[1]);
    }
    for &s in rest {
        top.offer(s, dot(z, sites.get(s)));
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::standardise_clean;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Normal};
    use rand_pcg::Pcg64Mcg as Pcg64;

    const L: usize = 60;

    /// Sites along a two-parameter continuum of three smooth end members with the
    /// noise of a mean of ~20 pixels, plus exact duplicates (ties); pixels near
    /// random points of the continuum with single-pixel noise.
    fn scene(n_sites: usize, n_pixels: usize) -> (Sites, Prepared) {
        let mut rng = Pcg64::seed_from_u64(7);
        let ends: Vec<Vec<f64>> = (0..3)
            .map(|e| {
                (0..L)
                    .map(|j| {
                        let x = j as f64 / L as f64;
                        (1.0 + (e as f64 + 1.0) * 3.0 * x).sin() + 2.0 * x.powi(e + 1)
                    })
                    .collect()
            })
            .collect();
        let mut point = |noise: f64| -> Vec<f64> {
            let (u, v): (f64, f64) = (rng.random(), rng.random());
            let g = Normal::new(0.0, noise).unwrap();
            (0..L)
                .map(|j| {
                    u * ends[0][j]
                        + (1.0 - u) * ends[1][j]
                        + 0.3 * v * ends[2][j]
                        + g.sample(&mut rng)
                })
                .collect()
        };
        let mut spectra: Vec<Vec<f64>> = Vec::new();
        for i in 0..n_sites {
            let s = if i % 10 == 9 {
                spectra[i - 1].clone()
            } else {
                point(0.004)
            };
            spectra.push(s);
        }
        let references: Vec<crate::Reference> = spectra
            .into_iter()
            .enumerate()
            .map(|(i, spectrum)| crate::Reference {
                name: format!("site {i}"),
                spectrum,
            })
            .collect();
        let sites = Sites::from_references(&references, L).unwrap();
        let mut block = Prepared {
            l: L,
            ..Prepared::default()
        };
        for i in 0..n_pixels {
            // Every 50th pixel is an exact copy of a duplicated site (an exact tie).
            let z = if i % 50 == 0 && n_sites >= 10 {
                sites.get(9 + 10 * (i / 50 % (n_sites / 10))).to_vec()
            } else {
                standardise_clean(&point(0.02), "pixel").unwrap()
            };
            block.z.extend(z);
            block.flat.push(i % 97 == 3);
        }
        (sites, block)
    }

    /// The top two of an exhaustive search by [`dot`]: all sites sorted by decreasing
    /// correlation, then increasing index.
    fn exhaustive(sites: &Sites, block: &Prepared, i: usize, with_second: bool) -> Option<Nearest> {
        if block.flat[i] {
            return None;
        }
        let mut all: Vec<(usize, f32)> = (0..sites.len())
            .map(|s| (s, dot(block.z(i), sites.get(s))))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Some(Nearest {
            best: all[0].0,
            second: all.get(1).filter(|_| with_second).map(|s| s.0),
        })
    }

    #[test]
    fn pruned_search_finds_the_exhaustive_nearest_sites() {
        let (sites, block) = scene(200, 3000);
        let search = SiteSearch::new(&sites);
        assert_eq!(search.rank(), 3, "three end members");
        let (mut scratch, mut out) = (Scratch::default(), Vec::new());
        for with_second in [false, true] {
            let products = search.nearest(&sites, &block, with_second, &mut scratch, &mut out);
            for (i, found) in out.iter().enumerate() {
                assert_eq!(
                    *found,
                    exhaustive(&sites, &block, i, with_second),
                    "pixel {i}"
                );
            }
            // The bounds must prune: far fewer exact products than pixels × sites.
            assert!(
                products * 5 < (block.len() * sites.len()) as u64,
                "{products}"
            );
        }
        // Ties go to the first of equal sites.
        assert_eq!(out[50].map(|n| n.best), Some(18));
    }

    #[test]
    fn few_sites_are_searched_exhaustively_with_the_same_result() {
        let (sites, block) = scene(5, 500);
        let search = SiteSearch::new(&sites);
        assert_eq!(search.rank(), 0);
        let (mut scratch, mut out) = (Scratch::default(), Vec::new());
        let products = search.nearest(&sites, &block, true, &mut scratch, &mut out);
        let searched = block.flat.iter().filter(|f| !**f).count() * sites.len();
        assert_eq!(products, searched as u64);
        for (i, found) in out.iter().enumerate() {
            assert_eq!(*found, exhaustive(&sites, &block, i, true), "pixel {i}");
        }
    }

    #[test]
    fn top_two_keeps_the_first_of_equal_values() {
        let mut top = TopTwo::EMPTY;
        for (k, r) in [(0, 0.5), (1, 0.9), (2, 0.9), (3, 0.7), (4, 0.9)] {
            top.offer(k, r);
        }
        assert_eq!(
            top.nearest(true),
            Some(Nearest {
                best: 1,
                second: Some(2)
            })
        );
        assert_eq!(TopTwo::EMPTY.nearest(true), None);
    }
}
