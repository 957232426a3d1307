//! Pixels of one block of rows, prepared for the noise-aware tests.
//!
//! Each pixel's optical density `x` (one value per energy, variance `σ²`) is
//! *standardised*: `ẑ = (x - x̄)/‖x - x̄‖`, so that `ẑ·ŝ` is the Pearson correlation
//! with a standardised site spectrum `ŝ`. Its noise in the same units is
//! `n = σ/‖x - x̄‖`; the weights `w = 1/n²` serve the chi-square test of
//! [`Prepared::chi_square`]. All per-value work is single precision and vectorised.

#[cfg(feature = "rayon")]
use rayon::prelude::*;
use wide::f32x8;

use crate::error::{Error, Result};
use crate::fastmath;
use crate::noise::{CameraNoise, Signal};

/// Pixels per parallel work item.
const CHUNK: usize = 256;

/// Chi-square limits of the tests, from the normal-score threshold `z` by inverting
/// the Wilson-Hilferty transformation ([`crate::probability::chi_square_score`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limits {
    /// Pixel against a spectrum (`l - 2` degrees of freedom: scale and offset fitted).
    pub spectrum: f32,
    /// Pixel against a constant (`l - 1`).
    pub constant: f32,
}

impl Limits {
    pub fn new(z: f64, l: usize) -> Self {
        let limit = |k: f64| {
            let v = 2.0 / (9.0 * k);
            (k * (1.0 - v + z * v.sqrt()).powi(3)) as f32
        };
        Limits {
            spectrum: limit((l - 2) as f64),
            constant: limit((l - 1) as f64),
        }
    }
}

/// A block of standardised pixels; buffers are reused from block to block.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    /// Energies per pixel.
    pub l: usize,
    /// Standardised spectra ẑ, `n × l`.
    pub z: Vec<f32>,
    /// Weights `1/n²` per energy, `n × l`.
    pub w: Vec<f32>,
    /// Optical density, `n × l`.
    pub od: Vec<f32>,
    /// Per pixel `Σw`, `Σwẑ`, `Σwẑ²`.
    pub sums: Vec<[f32; 3]>,
    /// Pixels explained by a constant (no spectral signal above the noise).
    pub flat: Vec<bool>,
}

impl Prepared {
    /// Number of pixels.
    pub fn len(&self) -> usize {
        self.flat.len()
    }

    /// Standardised spectrum of pixel `i`.
    pub fn z(&self, i: usize) -> &[f32] {
        &self.z[i * self.l..(i + 1) * self.l]
    }

    /// Chi-square of the weighted fit `ẑ ≈ a·ŝ + b` of pixel `i` to a standardised
    /// spectrum `s` (`l - 2` degrees of freedom).
    pub fn chi_square(&self, i: usize, s: &[f32]) -> f32 {
        let range = i * self.l..(i + 1) * self.l;
        let (z, w) = (&self.z[range.clone()], &self.w[range]);
        let [s1, s2, t1] = lanes(w, s, z, |w, s, z| {
            let ws = w * s;
            [ws, ws * s, ws * z]
        });
        let [s0, t0, q] = self.sums[i];
        let det = s0 * s2 - s1 * s1;
        if det <= 0.0 {
            return q - t0 * t0 / s0;
        }
        let a = (s0 * t1 - s1 * t0) / det;
        let b = (s2 * t0 - s1 * t1) / det;
        (q - a * t1 - b * t0).max(0.0)
    }

    /// Whether pixel `i` is explained by `s` within the noise: chi-square, scaled by
    /// `scale` (below one when `s` is itself a noisy mean), at most `limit`.
    pub fn explains(&self, i: usize, s: &[f32], scale: f32, limit: f32) -> bool {
        self.chi_square(i, s) * scale <= limit
    }

    /// Standardises `values` (row-major, `l` per pixel) into `self`. `origin(i)` gives
    /// the image position of pixel `i` for error messages.
    ///
    /// # Errors
    /// [`Error::InvalidPixel`] for the first bad value in pixel order.
    pub fn fill(
        &mut self,
        values: &[f64],
        l: usize,
        pixel: &PixelModel,
        origin: &(dyn Fn(usize) -> (usize, usize) + Sync),
    ) -> Result<()> {
        let n = values.len() / l;
        self.l = l;
        for v in [&mut self.z, &mut self.w, &mut self.od] {
            v.resize(n * l, 0.0);
        }
        self.sums.resize(n, [0.0; 3]);
        self.flat.resize(n, false);
        let jobs = values
            .chunks(CHUNK * l)
            .zip(self.z.chunks_mut(CHUNK * l))
            .zip(self.w.chunks_mut(CHUNK * l))
            .zip(self.od.chunks_mut(CHUNK * l))
            .zip(self.sums.chunks_mut(CHUNK).zip(self.flat.chunks_mut(CHUNK)))
            .enumerate();
        let work = |(c, ((((vals, z), w), od), (sums, flat))): (usize, Chunk<'_>)| {
            let mut scratch = vec![0.0f32; 2 * l];
            for j in 0..flat.len() {
                let r = j * l..(j + 1) * l;
                let (s, f) = pixel
                    .standardise(
                        &vals[r.clone()],
                        &mut z[r.clone()],
                        &mut w[r.clone()],
                        &mut od[r],
                        &mut scratch,
                    )
                    .map_err(|(energy, message)| {
                        let (y, x) = origin(c * CHUNK + j);
                        Error::InvalidPixel {
                            y,
                            x,
                            energy,
                            message,
                        }
                    })?;
                sums[j] = s;
                flat[j] = f;
            }
            Ok::<(), Error>(())
        };
        #[cfg(feature = "rayon")]
        let results: Vec<Result<()>> = jobs.collect::<Vec<_>>().into_par_iter().map(work).collect();
        #[cfg(not(feature = "rayon"))]
        let results: Vec<Result<()>> = jobs.map(work).collect();
        results.into_iter().collect()
    }
}

/// One parallel work item of [`Prepared::fill`]: input values and output slices.
type Chunk<'a> = (
    (((&'a [f64], &'a mut [f32]), &'a mut [f32]), &'a mut [f32]),
    (&'a mut [[f32; 3]], &'a mut [bool]),
);

/// How one pixel's values become optical density with a variance.
#[derive(Debug, Clone)]
pub(crate) struct PixelModel {
    counts_in: bool,
    ln_i0: Vec<f32>,
    i0: Vec<f32>,
    gain: f32,
    offset: f32,
    constant_limit: f32,
}

impl PixelModel {
    pub fn new(signal: &Signal, noise: &CameraNoise, limits: Limits) -> Self {
        let i0: Vec<f32> = signal.i0().iter().map(|&v| v as f32).collect();
        PixelModel {
            counts_in: matches!(signal, Signal::Counts { .. }),
            ln_i0: i0.iter().map(|&v| v.ln()).collect(),
            i0,
            gain: noise.gain as f32,
            offset: noise.offset as f32,
            constant_limit: limits.constant,
        }
    }

    /// Writes ẑ, w and the OD of one pixel; returns `[Σw, Σwẑ, Σwẑ²]` and whether
    /// the pixel is explained by a constant. `scratch` holds `2 l` values.
    /// An error gives the energy index and the problem.
    fn standardise(
        &self,
        values: &[f64],
        z: &mut [f32],
        w: &mut [f32],
        od: &mut [f32],
        scratch: &mut [f32],
    ) -> std::result::Result<([f32; 3], bool), (usize, String)> {
        let l = values.len();
        let (counts, inv_var) = scratch.split_at_mut(l);
        // One branch-free pass converts and checks (a search that stops at the first
        // bad value cannot be vectorised and cost as much as the rest together).
        let mut bad = false;
        for (c, &v) in counts.iter_mut().zip(values) {
            bad |= !v.is_finite() | (self.counts_in & (v < 0.0));
            *c = v as f32;
        }
        if bad {
            return Err(self.first_bad(values));
        }
        if self.counts_in {
            for ((c, o), &ln_i0) in counts.iter_mut().zip(od.iter_mut()).zip(&self.ln_i0) {
                *c = c.max(0.5);
                *o = ln_i0 - fastmath::ln(*c);
            }
        } else {
            for ((c, o), &i0) in counts.iter_mut().zip(od.iter_mut()).zip(&self.i0) {
                *o = *c;
                *c = (i0 * fastmath::exp(-*o)).max(0.5);
            }
        }
        // 1/σ_OD² = I²/σ_I², with σ_I² = g·I + c floored at g.
        for (v, &c) in inv_var.iter_mut().zip(counts.iter()) {
            *v = c * c / (self.gain * c + self.offset).max(self.gain);
        }
        let mean = lanes(od, od, od, |x, _, _| [x])[0] / l as f32;
        let centre = f32x8::splat(mean);
        let norm2 = lanes(od, od, od, |x, _, _| [(x - centre) * (x - centre)])[0];
        if norm2.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            z.fill(0.0);
            w.fill(0.0);
            return Ok(([0.0; 3], true));
        }
        let inv = 1.0 / norm2.sqrt();
        for (((zk, wk), &x), &v) in z
            .iter_mut()
            .zip(w.iter_mut())
            .zip(od.iter())
            .zip(inv_var.iter())
        {
            *zk = (x - mean) * inv;
            *wk = norm2 * v;
        }
        let sums = lanes(w, z, z, |w, z, _| {
            let wz = w * z;
            [w, wz, wz * z]
        });
        let constant = sums[2] - sums[1] * sums[1] / sums[0];
        Ok((sums, constant <= self.constant_limit))
    }

    /// Energy index and description of the first value that is not finite (or
    /// negative counts).
    fn first_bad(&self, values: &[f64]) -> (usize, String) {
        let k = values
            .iter()
            .position(|v| !v.is_finite() || (self.counts_in && *v < 0.0))
            .unwrap_or(0);
        let message = if values[k].is_finite() {
            format!("negative counts {}", values[k])
        } else {
            "value is not finite".into()
        };
        (k, message)
    }
}

/// Standardises a noise-free spectrum (a reference or a site mean).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `what` when the spectrum is constant or not
/// finite.
pub(crate) fn standardise_clean(x: &[f64], what: &str) -> Result<Vec<f32>> {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let norm = x
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum::<f64>()
        .sqrt();
    if !norm.is_finite() || norm <= 0.0 {
        return Err(Error::param(
            what,
            "is constant or not finite, so it has no spectral shape",
        ));
    }
    Ok(x.iter().map(|v| ((v - mean) / norm) as f32).collect())
}

/// Index and value of the largest of `values` (the first on ties), if any.
pub(crate) fn argmax(values: impl Iterator<Item = f32>) -> Option<(usize, f32)> {
    values.enumerate().fold(None, |best, (k, r)| match best {
        Some((_, rb)) if rb >= r => best,
        _ => Some((k, r)),
    })
}

/// Dot product of two f32 slices (vectorised, see [`lanes`]).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanes(a, b, b, |x, y, _| [x * y])[0]
}

/// The dot products of `z` with two slices at once, each bit-identical to [`dot`]
/// (the same additions in the same order; two independent chains keep the
/// processor's adders busy where one chain waits on each addition).
#[inline(always)]
pub(crate) fn dot2(z: &[f32], a: &[f32], b: &[f32]) -> [f32; 2] {
    lanes(z, a, b, |z, a, b| [z * a, z * b])
}

/// `N` sums `Σ_k f(a_k, b_k, c_k)` over equally long slices, accumulated in eight
/// independent lanes (a single running sum would force the sequential order of IEEE
/// additions). `f` works on eight values at a time, as explicit vectors: left to
/// itself, the compiler vectorised the scalar form of this loop two lanes at a time
/// with shuffles, 2.5x slower for the three sums of [`Prepared::chi_square`]. The
/// tail (fewer than eight values) is computed as the last eight values, or padded
/// when the slices are shorter, and only its own lanes are added, in order. The order
/// of every addition is fixed, so results do not depend on the machine or thread
/// count.
#[inline(always)]
pub(crate) fn lanes<const N: usize>(
    a: &[f32],
    b: &[f32],
    c: &[f32],
    f: impl Fn(f32x8, f32x8, f32x8) -> [f32x8; N],
) -> [f32; N] {
    let (ac, ar) = a.as_chunks::<8>();
    let (bc, br) = b.as_chunks::<8>();
    let (cc, cr) = c.as_chunks::<8>();
    let mut acc = [f32x8::ZERO; N];
    for ((x, y), z) in ac.iter().zip(bc).zip(cc) {
        let v = f(f32x8::from(*x), f32x8::from(*y), f32x8::from(*z));
        for (a, v) in acc.iter_mut().zip(v) {
            *a += v;
        }
    }
    let mut out = [0.0f32; N];
    let tail = ar.len().min(br.len()).min(cr.len());
    if tail > 0 {
        // The last eight values when there are that many (the tail is in the top
        // lanes), else the tail padded with zeros.
        let (v, first) = match (a.last_chunk::<8>(), b.last_chunk(), c.last_chunk()) {
            (Some(x), Some(y), Some(z)) => (f((*x).into(), (*y).into(), (*z).into()), 8 - tail),
            _ => {
                let pad =
                    |s: &[f32]| f32x8::from(std::array::from_fn(|k| s.get(k).map_or(0.0, |v| *v)));
                (f(pad(ar), pad(br), pad(cr)), 0)
            }
        };
        for (o, v) in out.iter_mut().zip(v) {
            for &x in &v.to_array()[first..first + tail] {
                *o += x;
            }
        }
    }
    for (o, lane) in out.iter_mut().zip(acc) {
        // Pairwise, so that the reduction stays in vector registers.
        let lane = lane.to_array();
        let four: [f32; 4] = std::array::from_fn(|k| lane[k] + lane[k + 4]);
        *o += (four[0] + four[2]) + (four[1] + four[3]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pixel of OD `x` with per-energy variance `var`, prepared directly.
    fn single(x: &[f64], var: &[f64]) -> Prepared {
        let l = x.len();
        let mean = x.iter().sum::<f64>() / l as f64;
        let norm2: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
        let z: Vec<f32> = x
            .iter()
            .map(|v| ((v - mean) / norm2.sqrt()) as f32)
            .collect();
        let w: Vec<f32> = var.iter().map(|v| (norm2 / v) as f32).collect();
        let mut sums = [0.0f32; 3];
        for k in 0..l {
            sums[0] += w[k];
            sums[1] += w[k] * z[k];
            sums[2] += w[k] * z[k] * z[k];
        }
        Prepared {
            l,
            z,
            w,
            od: vec![0.0; l],
            sums: vec![sums],
            flat: vec![false],
        }
    }

    #[test]
    fn chi_square_of_an_exact_affine_copy_is_zero() {
        let s: Vec<f64> = (0..20).map(|k| (f64::from(k) * 0.4).sin()).collect();
        let s_hat = standardise_clean(&s, "s").unwrap();
        let x: Vec<f64> = s.iter().map(|v| 3.0 * v + 1.5).collect();
        let p = single(&x, &[0.01; 20]);
        assert!(p.chi_square(0, &s_hat).abs() < 1e-2);
        assert!((dot(p.z(0), &s_hat) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn chi_square_equals_the_direct_weighted_residual() {
        // Independent check: fit x ≈ a·s + b by weighted least squares in original
        // units and sum the squared residuals over the variance.
        let s: Vec<f64> = (0..30).map(|k| (f64::from(k) * 0.3).cos()).collect();
        let x: Vec<f64> = (0..30)
            .map(|k| 2.0 * s[k] + 0.7 + 0.05 * (f64::from(k as u32) * 1.7).sin())
            .collect();
        let var: Vec<f64> = (0..30)
            .map(|k| 1e-3 * (1.0 + f64::from(k as u32) / 30.0))
            .collect();
        let (mut sw, mut sws, mut swss, mut swx, mut swsx) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for k in 0..30 {
            let w = 1.0 / var[k];
            sw += w;
            sws += w * s[k];
            swss += w * s[k] * s[k];
            swx += w * x[k];
            swsx += w * s[k] * x[k];
        }
        let det = sw * swss - sws * sws;
        let a = (sw * swsx - sws * swx) / det;
        let b = (swss * swx - sws * swsx) / det;
        let direct: f64 = (0..30)
            .map(|k| (x[k] - a * s[k] - b).powi(2) / var[k])
            .sum();
        let p = single(&x, &var);
        let s_hat = standardise_clean(&s, "s").unwrap();
        let ours = f64::from(p.chi_square(0, &s_hat));
        assert!((ours - direct).abs() < 1e-3 * direct, "{ours} vs {direct}");
    }

    #[test]
    fn lanes_add_in_the_documented_order() {
        // The second sum is 1 + (a - c)² per value: padded lanes would add 1 each.
        let scalar = |x: f32, y: f32, z: f32| [x * y, (x - z) * (x - z) + 1.0];
        let one = f32x8::splat(1.0);
        for l in [0, 1, 5, 7, 8, 9, 15, 16, 17, 100] {
            let a: Vec<f32> = (0..l).map(|k| ((k * 7 % 11) as f32 - 5.0) * 0.37).collect();
            let b: Vec<f32> = (0..l).map(|k| 1.0 + (k as f32 * 0.3).sin()).collect();
            let c: Vec<f32> = (0..l).map(|k| (k as f32 * 0.11).cos()).collect();
            // Eight lane sums over the whole chunks, the tail in order, then the lanes
            // pairwise.
            let whole = l / 8 * 8;
            let mut lane = [[0.0f32; 8]; 2];
            for k in 0..whole {
                let v = scalar(a[k], b[k], c[k]);
                lane[0][k % 8] += v[0];
                lane[1][k % 8] += v[1];
            }
            let mut expected = [0.0f32; 2];
            for k in whole..l {
                let v = scalar(a[k], b[k], c[k]);
                expected[0] += v[0];
                expected[1] += v[1];
            }
            for (e, lane) in expected.iter_mut().zip(lane) {
                let four: [f32; 4] = std::array::from_fn(|k| lane[k] + lane[k + 4]);
                *e += (four[0] + four[2]) + (four[1] + four[3]);
            }
            let got = lanes(&a, &b, &c, |x, y, z| [x * y, (x - z) * (x - z) + one]);
            assert_eq!(got.map(f32::to_bits), expected.map(f32::to_bits), "l = {l}");
        }
    }

    #[test]
    fn dot2_is_two_dots() {
        for l in [3, 8, 13, 100] {
            let v = |f: f32| -> Vec<f32> { (0..l).map(|k| (k as f32 * f).sin()).collect() };
            let (z, s) = (v(0.37), [v(0.11), v(1.3)]);
            let got = dot2(&z, &s[0], &s[1]);
            for (g, s) in got.iter().zip(&s) {
                assert_eq!(g.to_bits(), dot(&z, s).to_bits(), "l = {l}");
            }
        }
    }

    #[test]
    fn limits_invert_the_score() {
        use crate::probability::chi_square_score;
        let lim = Limits::new(3.719, 100);
        assert!((chi_square_score(f64::from(lim.spectrum), 98.0) - 3.719).abs() < 1e-5);
        assert!((chi_square_score(f64::from(lim.constant), 99.0) - 3.719).abs() < 1e-5);
    }

    #[test]
    fn pixel_model_matches_the_double_precision_conversion() {
        let noise = CameraNoise::new(9.3131, -63.003).unwrap();
        let signal = Signal::Counts {
            i0: vec![27_000.0; 4],
        };
        let model = PixelModel::new(&signal, &noise, Limits::new(3.7, 4));
        let values = [20_000.0, 9_000.0, 3_000.0, 15_000.0];
        let (mut z, mut w, mut od, mut scratch) =
            ([0.0f32; 4], [0.0f32; 4], [0.0f32; 4], [0.0f32; 8]);
        model
            .standardise(&values, &mut z, &mut w, &mut od, &mut scratch)
            .unwrap();
        let (mut od64, mut var64) = ([0.0; 4], [0.0; 4]);
        signal
            .to_od(&noise, &values, &mut od64, &mut var64, (0, 0))
            .unwrap();
        let mean = od64.iter().sum::<f64>() / 4.0;
        let norm2: f64 = od64.iter().map(|v| (v - mean).powi(2)).sum();
        for k in 0..4 {
            assert!((f64::from(od[k]) - od64[k]).abs() < 1e-6);
            assert!((f64::from(w[k]) / (norm2 / var64[k]) - 1.0).abs() < 1e-5);
        }
        let err = model
            .standardise(
                &[1.0, -2.0, 1.0, 1.0],
                &mut z,
                &mut w,
                &mut od,
                &mut scratch,
            )
            .unwrap_err();
        assert_eq!(err.0, 1);
    }
}
