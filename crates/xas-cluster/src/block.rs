//! Pixels of one block of rows, prepared for the noise-aware tests.
//!
//! Each pixel's optical density `x` (one value per energy, variance `σ²`) is
//! *standardised*: `ẑ = (x - x̄)/‖x - x̄‖`, so that `ẑ·ŝ` is the Pearson correlation
//! with a standardised site spectrum `ŝ`. Its noise in the same units is
//! `n = σ/‖x - x̄‖`; the weights `w = 1/n²` serve the chi-square test of
//! [`Prepared::chi_square`].

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::noise::{CameraNoise, Signal};
use crate::probability::chi_square_score;

/// Pixels per parallel work item.
const CHUNK: usize = 512;

/// A block of standardised pixels.
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
    pub sums: Vec<[f64; 3]>,
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
    /// spectrum `s`, with the pixel's weights scaled by `scale` (below one when `s`
    /// is itself noisy). `dof = l - 2`.
    pub fn chi_square(&self, i: usize, s: &[f32], scale: f64) -> f64 {
        let (z, w) = (self.z(i), &self.w[i * self.l..(i + 1) * self.l]);
        let (mut s1, mut s2, mut t1) = (0.0f64, 0.0f64, 0.0f64);
        for k in 0..self.l {
            let (wk, sk) = (f64::from(w[k]), f64::from(s[k]));
            s1 += wk * sk;
            s2 += wk * sk * sk;
            t1 += wk * sk * f64::from(z[k]);
        }
        let [s0, t0, q] = self.sums[i];
        let det = s0 * s2 - s1 * s1;
        if det <= 0.0 {
            return q - t0 * t0 / s0;
        }
        let a = (s0 * t1 - s1 * t0) / det;
        let b = (s2 * t0 - s1 * t1) / det;
        scale * (q - a * t1 - b * t0)
    }

    /// Normal score of [`Prepared::chi_square`].
    pub fn score(&self, i: usize, s: &[f32], scale: f64) -> f64 {
        chi_square_score(self.chi_square(i, s, scale), (self.l - 2) as f64)
    }
}

/// Standardises `n` pixels of `values` (row-major, `l` per pixel). `origin(i)` gives
/// the image position of pixel `i` for error messages; `z_split` is the normal score
/// above which a pixel differs from a constant.
///
/// # Errors
/// [`Error::InvalidPixel`] for the first bad value in pixel order.
pub(crate) fn prepare(
    values: &[f64],
    l: usize,
    signal: &Signal,
    noise: &CameraNoise,
    z_split: f64,
    origin: &(dyn Fn(usize) -> (usize, usize) + Sync),
) -> Result<Prepared> {
    let n = values.len() / l;
    let mut out = Prepared {
        l,
        z: vec![0.0; n * l],
        w: vec![0.0; n * l],
        od: vec![0.0; n * l],
        sums: vec![[0.0; 3]; n],
        flat: vec![false; n],
    };
    let jobs: Vec<Job> = values
        .chunks(CHUNK * l)
        .zip(out.z.chunks_mut(CHUNK * l))
        .zip(out.w.chunks_mut(CHUNK * l))
        .zip(out.od.chunks_mut(CHUNK * l))
        .zip(out.sums.chunks_mut(CHUNK).zip(out.flat.chunks_mut(CHUNK)))
        .enumerate()
        .map(|(c, ((((vals, z), w), od), (sums, flat)))| Job {
            first: c * CHUNK,
            vals,
            z,
            w,
            od,
            sums,
            flat,
        })
        .collect();
    let work = |job: Job| job.run(l, signal, noise, z_split, origin);
    #[cfg(feature = "rayon")]
    let results: Vec<Result<()>> = jobs.into_par_iter().map(work).collect();
    #[cfg(not(feature = "rayon"))]
    let results: Vec<Result<()>> = jobs.into_iter().map(work).collect();
    results.into_iter().collect::<Result<()>>()?;
    Ok(out)
}

/// One parallel work item of [`prepare`]: consecutive pixels and their output slices.
struct Job<'a> {
    first: usize,
    vals: &'a [f64],
    z: &'a mut [f32],
    w: &'a mut [f32],
    od: &'a mut [f32],
    sums: &'a mut [[f64; 3]],
    flat: &'a mut [bool],
}

impl Job<'_> {
    fn run(
        self,
        l: usize,
        signal: &Signal,
        noise: &CameraNoise,
        z_split: f64,
        origin: &(dyn Fn(usize) -> (usize, usize) + Sync),
    ) -> Result<()> {
        let mut x = vec![0.0; l];
        let mut var = vec![0.0; l];
        for j in 0..self.flat.len() {
            let range = j * l..(j + 1) * l;
            signal.to_od(
                noise,
                &self.vals[range.clone()],
                &mut x,
                &mut var,
                origin(self.first + j),
            )?;
            let p = standardise(
                &x,
                &var,
                &mut self.z[range.clone()],
                &mut self.w[range.clone()],
            );
            for (o, v) in self.od[range].iter_mut().zip(&x) {
                *o = *v as f32;
            }
            self.sums[j] = p;
            let null = p[2] - if p[0] > 0.0 { p[1] * p[1] / p[0] } else { 0.0 };
            self.flat[j] = p[0] == 0.0 || chi_square_score(null, (l - 1) as f64) <= z_split;
        }
        Ok(())
    }
}

/// Writes the standardised spectrum and weights of one pixel; returns `Σw`, `Σwẑ`,
/// `Σwẑ²` (all zero for a constant spectrum).
fn standardise(x: &[f64], var: &[f64], z: &mut [f32], w: &mut [f32]) -> [f64; 3] {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let norm2: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    if norm2.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        z.fill(0.0);
        w.fill(0.0);
        return [0.0; 3];
    }
    let norm = norm2.sqrt();
    let mut sums = [0.0; 3];
    for k in 0..x.len() {
        let zk = (x[k] - mean) / norm;
        let wk = norm2 / var[k];
        z[k] = zk as f32;
        w[k] = wk as f32;
        sums[0] += wk;
        sums[1] += wk * zk;
        sums[2] += wk * zk * zk;
    }
    sums
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

/// Dot product of two f32 slices with eight independent accumulators (vectorised).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (ac, ar) = a.as_chunks::<8>();
    let (bc, br) = b.as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for (x, y) in ac.iter().zip(bc) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_of_an_exact_affine_copy_is_zero() {
        let s: Vec<f64> = (0..20).map(|k| (f64::from(k) * 0.4).sin()).collect();
        let s_hat = standardise_clean(&s, "s").unwrap();
        let x: Vec<f64> = s.iter().map(|v| 3.0 * v + 1.5).collect();
        let var = vec![0.01; 20];
        let (mut z, mut w) = (vec![0.0; 20], vec![0.0; 20]);
        let sums = standardise(&x, &var, &mut z, &mut w);
        let p = Prepared {
            l: 20,
            z,
            w,
            od: vec![0.0; 20],
            sums: vec![sums],
            flat: vec![false],
        };
        assert!(p.chi_square(0, &s_hat, 1.0).abs() < 1e-3);
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
        let (mut z, mut w) = (vec![0.0; 30], vec![0.0; 30]);
        let sums = standardise(&x, &var, &mut z, &mut w);
        let p = Prepared {
            l: 30,
            z,
            w,
            od: vec![0.0; 30],
            sums: vec![sums],
            flat: vec![false],
        };
        let s_hat = standardise_clean(&s, "s").unwrap();
        let ours = p.chi_square(0, &s_hat, 1.0);
        assert!((ours - direct).abs() < 1e-4 * direct, "{ours} vs {direct}");
    }
}
