//! Baselines: k-means (k-means++ seeding, Lloyd iterations) and mini-batch k-means
//! (Sculley 2010) on per-pixel standardised spectra, the preprocessing the published
//! comparisons used. Both hold the data in memory, as their peers do.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
#[cfg(feature = "rayon")]
use rayon::prelude::*;
use xas_core::SpectralImageSource;

use crate::block::{Limits, PixelModel, Prepared, dot};
use crate::error::{Error, Result};
use crate::noise::{CameraNoise, Signal};

/// Settings of [`kmeans`] and [`minibatch_kmeans`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeansSettings {
    /// Number of clusters.
    pub k: usize,
    /// Lloyd iterations, or mini-batches (default 100).
    pub max_iter: usize,
    /// Mini-batch size (default 4096).
    pub batch: usize,
    /// Seed.
    pub seed: u64,
}

impl KMeansSettings {
    /// `k` clusters with the defaults.
    pub fn new(k: usize) -> Self {
        KMeansSettings {
            k,
            max_iter: 100,
            batch: 4096,
            seed: 1,
        }
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// Values per point.
    pub l: usize,
    /// Centroids, `k × l`.
    pub centroids: Vec<f32>,
    /// Iterations (Lloyd) or batches (mini-batch) run.
    pub iterations: usize,
}

impl KMeans {
    /// Label (1-based) of each point of `data` (`n × l`).
    pub fn predict(&self, data: &[f32]) -> Vec<u16> {
        let norms: Vec<f32> = self
            .centroids
            .chunks_exact(self.l)
            .map(|c| dot(c, c))
            .collect();
        let nearest = |x: &[f32]| -> u16 { nearest(x, &self.centroids, &norms, self.l) as u16 + 1 };
        #[cfg(feature = "rayon")]
        {
            data.par_chunks_exact(self.l)
                .with_min_len(1024)
                .map(nearest)
                .collect()
        }
        #[cfg(not(feature = "rayon"))]
        {
            data.chunks_exact(self.l).map(nearest).collect()
        }
    }

    /// Sum of squared distances of the points to their centroids.
    pub fn inertia(&self, data: &[f32]) -> f64 {
        let labels = self.predict(data);
        data.chunks_exact(self.l)
            .zip(labels)
            .map(|(x, c)| f64::from(sq_dist(x, self.centroid(usize::from(c) - 1))))
            .sum()
    }

    fn centroid(&self, c: usize) -> &[f32] {
        &self.centroids[c * self.l..(c + 1) * self.l]
    }
}

fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Index of the centroid nearest to `x` (`‖c‖² - 2x·c` is minimal).
fn nearest(x: &[f32], centroids: &[f32], norms: &[f32], l: usize) -> usize {
    let mut best = (0, f32::INFINITY);
    for (c, cen) in centroids.chunks_exact(l).enumerate() {
        let d = norms[c] - 2.0 * dot(x, cen);
        if d < best.1 {
            best = (c, d);
        }
    }
    best.0
}

/// Reads a whole image and standardises every pixel's optical density
/// (`(x - x̄)/‖x - x̄‖`); `n × energies` values.
///
/// # Errors
/// The source's read errors and bad pixels.
pub fn standardised_pixels<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    signal: &Signal,
) -> Result<Vec<f32>> {
    let shape = source.shape();
    signal.validate(shape.n_energies)?;
    let mut values = Vec::new();
    source.read_rows(0..shape.height, &mut values)?;
    let width = shape.width;
    let origin = |i: usize| (i / width, i % width);
    let model = PixelModel::new(
        signal,
        &CameraNoise::POISSON,
        Limits::new(0.0, shape.n_energies),
    );
    let mut block = Prepared::default();
    block.fill(&values, shape.n_energies, &model, &origin)?;
    Ok(block.z)
}

fn check(data: &[f32], l: usize, settings: &KMeansSettings) -> Result<usize> {
    if l == 0 || !data.len().is_multiple_of(l) {
        return Err(Error::param(
            "data",
            "length is not a multiple of the point size",
        ));
    }
    let n = data.len() / l;
    if settings.k == 0 || settings.k > n || settings.k > usize::from(u16::MAX) {
        return Err(Error::param(
            "k",
            format!("{} must be in 1..={n}", settings.k),
        ));
    }
    if settings.batch == 0 {
        return Err(Error::param("batch", "must be at least 1"));
    }
    Ok(n)
}

/// k-means++ seeding: the first centre uniformly, each next one with probability
/// proportional to the squared distance to the nearest chosen centre.
fn plus_plus(data: &[f32], l: usize, k: usize, rng: &mut Pcg64Mcg) -> Vec<f32> {
    let n = data.len() / l;
    let point = |i: usize| &data[i * l..(i + 1) * l];
    let mut centroids = point(rng.random_range(0..n)).to_vec();
    let mut d2: Vec<f64> = (0..n)
        .map(|i| f64::from(sq_dist(point(i), &centroids[..l])))
        .collect();
    while centroids.len() < k * l {
        let total: f64 = d2.iter().sum();
        let next = if total > 0.0 {
            let mut u = rng.random::<f64>() * total;
            d2.iter()
                .position(|&d| {
                    u -= d;
                    u <= 0.0
                })
                .unwrap_or(n - 1)
        } else {
            rng.random_range(0..n)
        };
        let c = point(next).to_vec();
        for (i, d) in d2.iter_mut().enumerate() {
            *d = d.min(f64::from(sq_dist(point(i), &c)));
        }
        centroids.extend_from_slice(&c);
    }
    centroids
}

/// k-means by Lloyd iterations from a k-means++ start, until no label changes or
/// `max_iter`. An emptied cluster restarts at the point farthest from its centroid.
///
/// # Errors
/// [`Error::InvalidParameter`] for `k` outside `1..=n` or ragged data.
pub fn kmeans(data: &[f32], l: usize, settings: &KMeansSettings) -> Result<KMeans> {
    let n = check(data, l, settings)?;
    let k = settings.k;
    let mut rng = Pcg64Mcg::seed_from_u64(settings.seed);
    let mut model = KMeans {
        l,
        centroids: plus_plus(data, l, k, &mut rng),
        iterations: 0,
    };
    let mut labels = vec![0u16; n];
    for it in 1..=settings.max_iter {
        let next = model.predict(data);
        model.iterations = it;
        let changed = next != labels;
        labels = next;
        let mut sums = vec![0.0f64; k * l];
        let mut counts = vec![0usize; k];
        for (x, &c) in data.chunks_exact(l).zip(&labels) {
            let c = usize::from(c) - 1;
            counts[c] += 1;
            for (s, &v) in sums[c * l..(c + 1) * l].iter_mut().zip(x) {
                *s += f64::from(v);
            }
        }
        for c in 0..k {
            let target = &mut model.centroids[c * l..(c + 1) * l];
            if counts[c] > 0 {
                for (t, s) in target.iter_mut().zip(&sums[c * l..(c + 1) * l]) {
                    *t = (s / counts[c] as f64) as f32;
                }
            }
        }
        for c in (0..k).filter(|&c| counts[c] == 0) {
            let far = (0..n)
                .max_by(|&a, &b| {
                    let da = sq_dist(
                        &data[a * l..(a + 1) * l],
                        model.centroid(usize::from(labels[a]) - 1),
                    );
                    let db = sq_dist(
                        &data[b * l..(b + 1) * l],
                        model.centroid(usize::from(labels[b]) - 1),
                    );
                    da.total_cmp(&db)
                })
                .unwrap_or(0);
            let p = data[far * l..(far + 1) * l].to_vec();
            model.centroids[c * l..(c + 1) * l].copy_from_slice(&p);
        }
        if !changed {
            break;
        }
    }
    Ok(model)
}

/// Mini-batch k-means (Sculley 2010): k-means++ start on one batch, then `max_iter`
/// random batches, each point pulling its nearest centroid with rate `1/count`.
///
/// # Errors
/// As [`kmeans`].
pub fn minibatch_kmeans(data: &[f32], l: usize, settings: &KMeansSettings) -> Result<KMeans> {
    let n = check(data, l, settings)?;
    let k = settings.k;
    let mut rng = Pcg64Mcg::seed_from_u64(settings.seed);
    let batch = settings.batch.min(n).max(k);
    let sample: Vec<f32> = (0..batch)
        .flat_map(|_| {
            let i = rng.random_range(0..n);
            data[i * l..(i + 1) * l].to_vec()
        })
        .collect();
    let mut model = KMeans {
        l,
        centroids: plus_plus(&sample, l, k, &mut rng),
        iterations: 0,
    };
    let mut counts = vec![0u64; k];
    let mut idx = vec![0usize; batch];
    for it in 1..=settings.max_iter {
        for i in &mut idx {
            *i = rng.random_range(0..n);
        }
        let norms: Vec<f32> = model.centroids.chunks_exact(l).map(|c| dot(c, c)).collect();
        let nearest_of: Vec<usize> = idx
            .iter()
            .map(|&i| nearest(&data[i * l..(i + 1) * l], &model.centroids, &norms, l))
            .collect();
        for (&i, &c) in idx.iter().zip(&nearest_of) {
            counts[c] += 1;
            let eta = 1.0 / counts[c] as f32;
            for (t, &v) in model.centroids[c * l..(c + 1) * l]
                .iter_mut()
                .zip(&data[i * l..(i + 1) * l])
            {
                *t += eta * (v - *t);
            }
        }
        model.iterations = it;
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight blobs in 2-D.
    fn blobs() -> Vec<f32> {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let centres = [(0.0f32, 0.0f32), (5.0, 5.0), (-5.0, 5.0)];
        (0..300)
            .flat_map(|i| {
                let (cx, cy) = centres[i % 3];
                [
                    cx + rng.random::<f32>() - 0.5,
                    cy + rng.random::<f32>() - 0.5,
                ]
            })
            .collect()
    }

    #[test]
    fn both_recover_well_separated_blobs() {
        let data = blobs();
        for model in [
            kmeans(&data, 2, &KMeansSettings::new(3)).unwrap(),
            minibatch_kmeans(
                &data,
                2,
                &KMeansSettings {
                    batch: 64,
                    ..KMeansSettings::new(3)
                },
            )
            .unwrap(),
        ] {
            let labels = model.predict(&data);
            // Points of one blob share a label and the three labels differ.
            for blob in 0..3 {
                let l0 = labels[blob];
                assert!(labels.iter().skip(blob).step_by(3).all(|&l| l == l0));
            }
            assert!(labels[0] != labels[1] && labels[1] != labels[2] && labels[0] != labels[2]);
            // Uniform noise of width 1 in two coordinates: 1/6 per point.
            let per_point = model.inertia(&data) / 300.0;
            assert!((per_point - 1.0 / 6.0).abs() < 0.03, "{per_point}");
        }
        assert!(kmeans(&data, 2, &KMeansSettings::new(0)).is_err());
        assert!(kmeans(&data, 7, &KMeansSettings::new(2)).is_err());
    }
}
