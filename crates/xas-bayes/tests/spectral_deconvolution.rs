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
use xas_bayes::evidence::{self, Bootstrap};
use xas_bayes::models::peaks::{Peaks, Shape};
use xas_bayes::noise;
use xas_bayes::posterior::{DataSet, Joint, Noise};
use xas_bayes::remc::{Ladder, Remc, RemcSettings};

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
    let mut table = Vec::new();
    for k in 1..=4 {
        let model = Peaks::new(k, Shape::Gaussian).unwrap();
        let priors = model.default_priors(&x, &y).unwrap();
        let ds = DataSet::new("three peaks", x.clone(), y.clone(), Noise::Estimated).unwrap();
        let posterior = Joint::single(model, ds, priors).unwrap();
        let settings = RemcSettings {
            replicas: 40,
            burn_in: 1500,
            sweeps: 3000,
            seed: 3,
            ladder: Ladder::Auto {
                overlap: 0.5,
                prior_samples: 1000,
            },
            beta_max: 1e4,
            ..RemcSettings::default()
        };
        let mut sampler = Remc::new(&posterior, settings).unwrap();
        sampler
            .run(&posterior, &mut |_| ControlFlow::Continue(()))
            .unwrap();
        let boot = Bootstrap {
            replicates: 20,
            ..Bootstrap::default()
        };
        let ss = evidence::stepping_stone(sampler.samples(), &boot).unwrap();
        let scan = noise::scan(&ss, x.len()).unwrap();
        eprintln!(
            "K = {k}: F_min = {:.2} ± {:.2} at sigma = {:.4}; swap rates min {:.2}",
            scan.free_energy_min,
            scan.error[scan.best],
            scan.sigma_hat,
            sampler
                .statistics()
                .swap_rates
                .iter()
                .cloned()
                .fold(1.0, f64::min)
        );
        table.push(scan);
    }
    let best = (0..table.len())
        .min_by(|&a, &b| {
            table[a]
                .free_energy_min
                .total_cmp(&table[b].free_energy_min)
        })
        .unwrap();
    assert_eq!(best + 1, 3, "F(K) selects K = {}", best + 1);
    // Beyond the error bars: K = 3 is better than K = 2 by many nats.
    assert!(table[1].free_energy_min - table[2].free_energy_min > 10.0);
    let sigma_hat = table[2].sigma_hat;
    assert!(
        (sigma_hat / SIGMA - 1.0).abs() < 0.1,
        "sigma_hat = {sigma_hat}"
    );
}
