//! The spectral-deconvolution benchmark of the originating group (Nagata, Sugita &
//! Okada 2012; Tokuda, Nagata & Okada 2017): three Gaussian peaks on 301 points,
//! x in [0, 3], noise sigma = 0.1. The number of peaks K and the noise level are chosen
//! together by minimising the Bayes free energy F(K, sigma) over one replica-exchange
//! run per K whose ladder doubles as a grid of noise precisions.
//!
//! True peaks: `xas_bayes::models::deconvolution::BENCHMARK_*`.

#![allow(clippy::unwrap_used)]

use std::ops::ControlFlow;

use xas_bayes::evidence::Bootstrap;
use xas_bayes::models::deconvolution::{
    BENCHMARK_CENTRES, DeconvolutionSettings, best, deconvolve, three_peak_benchmark,
};
use xas_bayes::models::peaks::{Background, Shape};
use xas_bayes::remc::RemcSettings;

const SIGMA: f64 = 0.1;

#[test]
fn free_energy_selects_three_peaks_and_the_noise_level() {
    let (x, y) = three_peak_benchmark(SIGMA, 2012);
    let settings = DeconvolutionSettings {
        shape: Shape::Gaussian,
        background: Background::None,
        peaks: vec![1, 2, 3, 4],
        sigma: None,
        remc: RemcSettings {
            replicas: 40,
            burn_in: 1500,
            sweeps: 3000,
            seed: 3,
            ..RemcSettings::default()
        },
        bootstrap: Bootstrap {
            replicates: 20,
            ..Bootstrap::default()
        },
    };
    let fits = deconvolve("three peaks", &x, &y, &settings, &mut |_, _| {
        ControlFlow::Continue(())
    })
    .unwrap();
    for f in &fits {
        eprintln!(
            "K = {}: F = {:.2} ± {:.2} (WHAM {:.2} ± {:.2}) at sigma = {:.4}",
            f.n_peaks, f.free_energy, f.error, f.free_energy_wham, f.error_wham, f.sigma
        );
        // The two estimators agree within their error bars (plus 0.5 nat for the
        // parabolic interpolation between rungs).
        let tol = 3.0 * f.error.hypot(f.error_wham) + 0.5;
        assert!(
            (f.free_energy - f.free_energy_wham).abs() < tol,
            "K = {}",
            f.n_peaks
        );
    }
    let best = best(&fits).unwrap();
    assert_eq!(best.n_peaks, 3, "F(K) selects K = {}", best.n_peaks);
    // Beyond the error bars: K = 3 is better than K = 2 by many nats (255 measured),
    // and better than K = 4 (the Occam factor of a superfluous peak, 4.6 nats) by more
    // than three combined standard errors.
    assert!(fits[1].free_energy - fits[2].free_energy > 100.0);
    let margin = 3.0 * fits[2].error.hypot(fits[3].error);
    assert!(
        fits[3].free_energy - fits[2].free_energy > margin,
        "F(4) - F(3) = {} vs {margin}",
        fits[3].free_energy - fits[2].free_energy
    );
    assert!(
        (best.sigma / SIGMA - 1.0).abs() < 0.05,
        "sigma_hat = {} (1.5 % off measured)",
        best.sigma
    );
    // The centres of the selected fit (sorted) are the true ones within 3 sd.
    let mut centres: Vec<_> = best
        .parameters
        .iter()
        .filter(|p| p.name.starts_with("mu"))
        .collect();
    centres.sort_by(|a, b| a.mean.total_cmp(&b.mean));
    for (c, mu) in centres.iter().zip(BENCHMARK_CENTRES) {
        assert!(
            (c.mean - mu).abs() < 3.0 * c.sd,
            "{}: {} ± {} vs {mu}",
            c.name,
            c.mean,
            c.sd
        );
    }
}

/// The benchmark's three peaks on a sloping background `0.5 + 0.3 (x - 1.5)`, with the
/// noise level known: the free energy prefers a linear background to none or a
/// constant, still selects three peaks, and the background is recovered.
#[test]
fn free_energy_selects_a_linear_background_and_recovers_it() {
    let (b0, b1) = (0.5, 0.3);
    let (x, mut y) = three_peak_benchmark(SIGMA, 77);
    for (yi, xi) in y.iter_mut().zip(&x) {
        *yi += b0 + b1 * (xi - 1.5);
    }
    let fit = |background: Background, peaks: Vec<usize>| {
        let settings = DeconvolutionSettings {
            shape: Shape::Gaussian,
            background,
            peaks,
            sigma: Some(SIGMA),
            remc: RemcSettings {
                replicas: 24,
                burn_in: 1500,
                sweeps: 3000,
                seed: 5,
                ..RemcSettings::default()
            },
            bootstrap: Bootstrap {
                replicates: 20,
                ..Bootstrap::default()
            },
        };
        deconvolve("sloped", &x, &y, &settings, &mut |_, _| {
            ControlFlow::Continue(())
        })
        .unwrap()
    };
    let linear = fit(Background::Linear, vec![2, 3, 4]);
    let constant = fit(Background::Constant, vec![3]);
    let none = fit(Background::None, vec![3]);
    let report = |label: &str, fits: &[xas_bayes::models::deconvolution::PeakFit]| {
        for f in fits {
            eprintln!(
                "{label}, K = {}: F = {:.2} ± {:.2} (WHAM {:.2})",
                f.n_peaks, f.free_energy, f.error, f.free_energy_wham
            );
        }
    };
    report("linear", &linear);
    report("constant", &constant);
    report("none", &none);
    let chosen = best(&linear).unwrap();
    assert_eq!(chosen.n_peaks, 3);
    // With the right background, three peaks beat four by the Occam factor: F(4) is
    // larger, though by less than F(2) (which misses a peak).
    assert!(linear[0].free_energy - linear[1].free_energy > 10.0);
    assert!(linear[2].free_energy > linear[1].free_energy);
    // The slope is 0.3 over a range of 3: a constant misses 0.45 at the ends, far
    // beyond sigma = 0.1 on 301 points, and without a background the three peaks must
    // carry the whole offset. (Both misfits are multimodal, so their F is only rough.)
    for wrong in [&constant[0], &none[0]] {
        assert!(
            wrong.free_energy - chosen.free_energy > 100.0,
            "{:?}",
            wrong.background
        );
    }
    assert_eq!(chosen.x_ref, 1.5);
    for (name, truth) in [("bg0", b0), ("bg1", b1)] {
        let p = chosen.parameters.iter().find(|p| p.name == name).unwrap();
        eprintln!("{name}: {:.4} ± {:.4} (true {truth})", p.mean, p.sd);
        assert!(
            (p.mean - truth).abs() < 3.0 * p.sd && p.sd < 0.015,
            "{name}: {} ± {} vs {truth}",
            p.mean,
            p.sd
        );
    }
}
