//! Noise-aware, `O(N)` classification of spectral images with up to 10⁸-10⁹ pixels.
//!
//! The idea is that of Ito et al. (Sci. Rep. 14, 22549, 2024): two spectra are
//! different only if they differ beyond the measurement noise, so pixels are
//! classified against *sites* in spectral space spaced by the noise, never against
//! each other. This crate streams the image in row blocks ([`classify`]) and fixes the
//! weak points found when the published method was re-run:
//!
//! * sites are discovered from the data when the library lacks a phase
//!   ([`ClusterSettings::min_support`] keeps noise from creating sites);
//! * sites are merged into phases before any spatial filtering, by how many pixels
//!   bridge them, so a mixture series is one phase and a minority with no pixels
//!   between it and the rest stays apart;
//! * the spatial filter changes a pixel only to a phase that explains its own spectrum
//!   within the noise, so it cannot erase a distinct minority region however small,
//!   and it smooths only where the data are ambiguous (low dose).
//!
//! Noise ([`noise`]): variance `g·I + c` per reading, propagated to optical density;
//! the test of "pixel explained by a spectrum" is the chi-square of the weighted fit
//! `pixel ≈ a·spectrum + b`, turned into a normal score and compared with the quantile
//! of [`ClusterSettings::split_probability`] ([`probability`]). The published
//! statistic `z = (1 - r)/σ_r` is available as [`pearson_z`] for comparing clean
//! spectra.
//!
//! Also here: the published 5 × 5 filter ([`published_filter`]), k-means and
//! mini-batch k-means baselines ([`kmeans`]), a seeded synthetic-image generator that
//! streams images of any size ([`synth`]), and minority-detection scores ([`score`]).
//!
//! ```
//! use std::ops::ControlFlow;
//! use xas_cluster::synth::{SceneSpec, SyntheticImage, TRUTH_MINORITY, k_edge_end_members, k_edge_grid};
//! use xas_cluster::{ClusterSettings, classify_to_map, minority_score};
//!
//! let grid = k_edge_grid();
//! let ends = k_edge_end_members(&grid, false);
//! let mut spec = SceneSpec::new(96, 96, grid, ends, 7);
//! spec.minority_fraction = 0.02;
//! let signal = spec.signal();
//! let noise = spec.noise;
//! let mut image = SyntheticImage::new(spec)?;
//! let (result, map) = classify_to_map(
//!     &mut image, &signal, noise, &[], &ClusterSettings::default(),
//!     &mut |_| ControlFlow::Continue(()),
//! )?;
//! let truth: Vec<u16> = (0..96).flat_map(|y| image.truth_row(y)).collect();
//! let score = minority_score(&map.labels, &truth, TRUTH_MINORITY);
//! assert!(score.recall > 0.95 && score.precision > 0.9, "{score:?}");
//! assert!(result.phases.len() >= 2);
//! # Ok::<(), xas_cluster::Error>(())
//! ```

mod block;
mod classify;
mod error;
mod fastmath;
pub mod kmeans;
mod labels;
pub mod nexus;
pub mod noise;
mod phases;
pub mod probability;
pub mod score;
mod search;
mod sites;
pub mod stack;
pub mod synth;

use std::ops::ControlFlow;

pub use classify::{
    Classification, ClusterSettings, LabelSink, Pass, Phase, Progress, Reference, classify, pearson,
};
pub use error::{Error, Result};
pub use labels::{LabelMap, Region, published_filter};
pub use noise::{CameraNoise, NoiseEstimate, Signal, estimate_noise};
pub use score::{MinorityScore, MinorityTally, minority_score};
use xas_core::SpectralImageSource;

/// [`classify`] collecting the whole label map in memory (`2 bytes` per pixel).
///
/// # Errors
/// As [`classify`].
pub fn classify_to_map<S: SpectralImageSource + ?Sized>(
    source: &mut S,
    signal: &Signal,
    noise: CameraNoise,
    references: &[Reference],
    settings: &ClusterSettings,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<(Classification, LabelMap)> {
    let shape = source.shape();
    let mut labels = vec![0u16; shape.n_pixels()];
    let width = shape.width;
    let result = classify(
        source,
        signal,
        noise,
        references,
        settings,
        &mut |y0, rows: &[u16]| {
            labels[y0 * width..y0 * width + rows.len()].copy_from_slice(rows);
        },
        progress,
    )?;
    let map = LabelMap {
        width,
        height: shape.height,
        labels,
    };
    Ok((result, map))
}

/// Phases covering less than `min_fraction` of the image, each with its 8-connected
/// regions (largest first, at most `max_regions`).
pub fn minority_report(
    result: &Classification,
    map: &LabelMap,
    min_fraction: f64,
    max_regions: usize,
) -> Vec<(u16, f64, Vec<Region>)> {
    result
        .phases
        .iter()
        .filter(|p| p.pixels > 0 && p.fraction < min_fraction)
        .map(|p| {
            let mut regions = map.regions(p.id);
            regions.truncate(max_regions);
            (p.id, p.fraction, regions)
        })
        .collect()
}

/// The published pairwise statistic of Ito et al. for two spectra `a`, `b` with
/// per-energy noise standard deviations `sigma_a`, `sigma_b` (same units):
/// standardise each (`ẑ = (x - x̄)/‖x - x̄‖`, noise `n = σ/‖x - x̄‖`), then from `a`'s
/// side `m = (ẑ_a - ẑ_b)·ẑ_a = 1 - r` and `σ² = Σ (ẑ_a - ẑ_b)² n_a²`, and the result is
/// the mean of `m/σ` from both sides. Meant for clean spectra (sites, references,
/// phase means): for a noisy spectrum against its own noise-free source it is about
/// `√L / 2` rather than 0, which is why pixel tests here use the chi-square instead.
///
/// # Errors
/// [`Error::InvalidParameter`] for mismatched lengths or a constant spectrum.
pub fn pearson_z(a: &[f64], b: &[f64], sigma_a: &[f64], sigma_b: &[f64]) -> Result<f64> {
    let l = a.len();
    if b.len() != l || sigma_a.len() != l || sigma_b.len() != l {
        return Err(Error::param(
            "spectra",
            "a, b and their sigmas need equal lengths",
        ));
    }
    let standard = |x: &[f64], name: &str| -> Result<(Vec<f64>, f64)> {
        let mean = x.iter().sum::<f64>() / l as f64;
        let norm = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>().sqrt();
        if norm.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(Error::param(name, "is constant"));
        }
        Ok((x.iter().map(|v| (v - mean) / norm).collect(), norm))
    };
    let (za, na) = standard(a, "a")?;
    let (zb, nb) = standard(b, "b")?;
    // 1 - r = (ẑ_a - ẑ_b)·ẑ_a equals ‖ẑ_a - ẑ_b‖²/2 for unit vectors; the squared
    // form stays non-negative under rounding and tends to 0 with the difference.
    let d: Vec<f64> = za.iter().zip(&zb).map(|(x, y)| x - y).collect();
    let m = 0.5 * d.iter().map(|v| v * v).sum::<f64>();
    if m == 0.0 {
        return Ok(0.0);
    }
    let side = |sigma: &[f64], norm: f64| {
        let s2: f64 = d
            .iter()
            .zip(sigma)
            .map(|(v, s)| (v * s / norm).powi(2))
            .sum();
        m / s2.sqrt()
    };
    Ok(0.5 * (side(sigma_a, na) + side(sigma_b, nb)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pearson_z_matches_a_hand_computed_value() {
        // a = (0, 1, 2), b = (0, 0, 3): r = 3/sqrt(12) = sqrt(3)/2. With equal sigmas s,
        // a's side gives sqrt(1 - r)/s, b's side (norm sqrt(6) vs sqrt(2)) sqrt(3) times
        // that, so z = (1 + sqrt(3)) sqrt(1 - r) / (2 s) = 5 exactly for s = 0.1.
        let (a, b, s) = ([0.0, 1.0, 2.0], [0.0, 0.0, 3.0], [0.1; 3]);
        let z = pearson_z(&a, &b, &s, &s).unwrap();
        assert!((z - 5.0).abs() < 1e-12, "{z}");
        // Symmetric, zero for identical shapes whatever their scale and offset.
        assert!((pearson_z(&b, &a, &s, &s).unwrap() - z).abs() < 1e-12);
        let scaled = [7.0, 9.0, 11.0];
        assert!(pearson_z(&a, &scaled, &s, &s).unwrap().abs() < 1e-12);
        // Twice the noise halves the statistic.
        let z2 = pearson_z(&a, &b, &[0.2; 3], &[0.2; 3]).unwrap();
        assert!((z2 - 2.5).abs() < 1e-12, "{z2}");
        assert!(pearson_z(&a, &b[..2], &s, &s).is_err());
        let err = pearson_z(&[1.0; 3], &b, &s, &s).unwrap_err();
        assert!(err.to_string().contains("constant"), "{err}");
    }
}
