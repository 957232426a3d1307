//! The spectral-deconvolution benchmark of the originating group (Nagata, Sugita &
//! Okada 2012; Tokuda, Nagata & Okada 2017): three Gaussian peaks on 301 points,
//! x in [0, 3], noise sigma = 0.1. The number of peaks K and the noise level are chosen
//! together by minimising the Bayes free energy F(K, sigma) over one replica-exchange
//! run per K whose ladder doubles as a grid of noise precisions.
//!
//! True peaks as quoted in the follow-up literature: heights exp(a) with
//! a = (0.587, 1.522, 1.183), centres (1.210, 1.455, 1.703), precisions
//! b = (95.689, 146.837, 164.469) in `exp(-b (x - mu)² / 2)`.

#![allow(clippy::unwrap_used)]

use std::ops::ControlFlow;

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64Mcg;
use xas_bayes::evidence::Bootstrap;
use xas_bayes::models::deconvolution::{DeconvolutionSettings, best, deconvolve};
use xas_bayes::models::peaks::Shape;
use xas_bayes::remc::RemcSettings;

const A: [f64; 3] = [0.587, 1.522, 1.183];
const MU: [f64; 3] = [1.210, 1.455, 1.703];
const B: [f64; 3] = [95.689, 146.837, 164.469];
const SIGMA: f64 = 0.1;

fn data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..301).map(|i| i as f64 * 0.01).collect();
    let mut rng = Pcg64Mcg::seed_from_u64(2012);
    let y = x
        .iter()
        .map(|&x| {
            let f: f64 = (0..3)
                .map(|k| A[k].exp() * (-B[k] * (x - MU[k]).powi(2) / 2.0).exp())
                .sum();
            let e: f64 = StandardNormal.sample(&mut rng);
            f + SIGMA * e
        })
        .collect();
    (x, y)
}

#[test]
fn free_energy_selects_three_peaks_and_the_noise_level() {
    let (x, y) = data();
    let settings = DeconvolutionSettings {
        shape: Shape::Gaussian,
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
    // Beyond the error bars: K = 3 is better than K = 2 by many nats.
    assert!(fits[1].free_energy - fits[2].free_energy > 10.0);
    assert!(
        (best.sigma / SIGMA - 1.0).abs() < 0.1,
        "sigma_hat = {}",
        best.sigma
    );
    // The centres of the selected fit (sorted) are the true ones within 3 sd.
    let mut centres: Vec<_> = best
        .parameters
        .iter()
        .filter(|p| p.name.starts_with("mu"))
        .collect();
    centres.sort_by(|a, b| a.mean.total_cmp(&b.mean));
    for (c, mu) in centres.iter().zip(MU) {
        assert!(
            (c.mean - mu).abs() < 3.0 * c.sd + 0.01,
            "{}: {} ± {} vs {mu}",
            c.name,
            c.mean,
            c.sd
        );
    }
}
