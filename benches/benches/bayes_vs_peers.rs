//! Evidence and posterior moments on two analytic problems, xas-bayes (replica
//! exchange, stepping-stone and multiple-histogram estimators) against dynesty (nested
//! sampling) and emcee (affine-invariant ensemble), in one run:
//!
//! 1. a linear-Gaussian model (a quadratic on 50 points, sigma 0.1, normal priors) whose
//!    evidence and posterior are known in closed form;
//! 2. a bimodal 2-D likelihood (two Gaussians of width 0.3 at (-3, -3) and (3, 3), equal
//!    weights) under a uniform prior on [-10, 10]²: ln Z = -ln 400, posterior mean 0 and
//!    sd sqrt(9 + 0.09) per coordinate, half the mass in each mode.
//!
//! `cargo bench -p xas-benches --bench bayes_vs_peers` (after `benches/peers/setup.sh`).
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::time::Instant;

use serde_json::json;
use xas_bayes::diagnostics::summarize;
use xas_bayes::evidence::{self, Bootstrap};
use xas_bayes::linear::LinearGaussian;
use xas_bayes::models::polynomial::Polynomial;
use xas_bayes::posterior::{DataSet, Joint, Noise, Posterior};
use xas_bayes::prior::{Prior, Priors};
use xas_bayes::remc::{Remc, RemcSettings};
use xas_benches::Lcg;

const SIGMA: f64 = 0.1;
const PRIOR_MEAN: [f64; 3] = [0.5, 0.0, -0.5];
const PRIOR_SD: [f64; 3] = [1.0, 2.0, 1.5];
const CENTRES: [[f64; 2]; 2] = [[-3.0, -3.0], [3.0, 3.0]];
const WIDTH: f64 = 0.3;
const BOX: (f64, f64) = (-10.0, 10.0);

/// The bimodal problem: `E = -ln L`, `L` the normalised two-Gaussian mixture.
struct Bimodal {
    priors: Priors,
}

impl Posterior for Bimodal {
    fn priors(&self) -> &Priors {
        &self.priors
    }
    fn energy(&self, t: &[f64]) -> xas_bayes::Result<f64> {
        let lnorm = -(std::f64::consts::TAU * WIDTH * WIDTH).ln() + 0.5f64.ln();
        let d2 = |c: &[f64; 2]| ((t[0] - c[0]).powi(2) + (t[1] - c[1]).powi(2)) / (WIDTH * WIDTH);
        let (a, b) = (-0.5 * d2(&CENTRES[0]), -0.5 * d2(&CENTRES[1]));
        let m = a.max(b);
        Ok(-(lnorm + m + ((a - m).exp() + (b - m).exp()).ln()))
    }
    fn n_data(&self) -> usize {
        1
    }
}

/// Runs replica exchange; returns ln Z and error by both estimators, posterior means
/// and sds, wall time (sampling alone and with both estimators and their bootstraps),
/// evaluations, and the fraction of samples with a positive first coordinate.
fn ours(posterior: &dyn Posterior, seed: u64) -> serde_json::Value {
    let settings = RemcSettings {
        replicas: 16,
        burn_in: 2000,
        sweeps: 10_000,
        seed,
        ..RemcSettings::default()
    };
    let t = Instant::now();
    let mut sampler = Remc::new(posterior, settings).unwrap();
    sampler
        .run(posterior, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    let samples = sampler.samples();
    let boot = Bootstrap::default();
    let sampling = t.elapsed().as_secs_f64();
    let ss = evidence::stepping_stone(samples, &boot).unwrap();
    let wh = evidence::wham(samples, &boot).unwrap();
    let seconds = t.elapsed().as_secs_f64();
    let summary = summarize(samples, samples.top());
    let first = samples.trace(samples.top(), 0);
    let n_params = posterior.priors().len();
    json!({
        "ss": [-ss.free_energy(), ss.error()],
        "wham": [-wh.free_energy(), wh.error()],
        "mean": summary.iter().map(|s| s.mean).collect::<Vec<_>>(),
        "sd": summary.iter().map(|s| s.sd).collect::<Vec<_>>(),
        "wall_s": seconds,
        "sampling_s": sampling,
        // One evaluation per parameter per moving rung per sweep, one per prior draw.
        "calls": 12_000 * (15 * n_params + 1),
        "positive": first.iter().filter(|&&v| v > 0.0).count() as f64 / first.len() as f64,
    })
}

fn main() {
    // Problem 1: the quadratic.
    let x: Vec<f64> = (0..50).map(|i| -1.0 + 2.0 * i as f64 / 49.0).collect();
    let mut rng = Lcg(11);
    let y: Vec<f64> = x
        .iter()
        .map(|x| 0.3 - 0.8 * x + 1.2 * x * x + SIGMA * rng.normal())
        .collect();
    let poly = Polynomial::new(2);
    let exact = LinearGaussian {
        design: x.iter().flat_map(|&x| poly.basis(x)).collect(),
        n_params: 3,
        y: y.clone(),
        sigma: vec![SIGMA; x.len()],
        prior_mean: PRIOR_MEAN.to_vec(),
        prior_cov: (0..9)
            .map(|k| {
                if k % 4 == 0 {
                    PRIOR_SD[k / 4].powi(2)
                } else {
                    0.0
                }
            })
            .collect(),
    }
    .posterior()
    .unwrap();
    let priors = Priors::new(
        ["c0", "c1", "c2"]
            .into_iter()
            .zip((0..3).map(|j| Prior::normal(PRIOR_MEAN[j], PRIOR_SD[j]))),
    )
    .unwrap();
    let data = DataSet::new(
        "quadratic",
        x.clone(),
        y.clone(),
        Noise::Gaussian { sigma: SIGMA },
    )
    .unwrap();
    let linear = Joint::single(poly, data, priors).unwrap();
    let bimodal = Bimodal {
        priors: Priors::new([
            ("t0", Prior::uniform(BOX.0, BOX.1)),
            ("t1", Prior::uniform(BOX.0, BOX.1)),
        ])
        .unwrap(),
    };
    let exact_sd: Vec<f64> = (0..3).map(|j| exact.cov[j * 4].sqrt()).collect();
    let truth = [
        (exact.ln_evidence, exact.mean.clone(), exact_sd),
        (
            -((BOX.1 - BOX.0) * (BOX.1 - BOX.0)).ln(),
            vec![0.0, 0.0],
            vec![(9.0 + WIDTH * WIDTH).sqrt(); 2],
        ),
    ];
    let results = [ours(&linear, 5), ours(&bimodal, 5)];

    // The peers on the same problems.
    let dir = std::env::temp_dir().join(format!("bayes-peers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let problems = json!({
        "linear": {"x": x, "y": y, "sigma": SIGMA, "prior_mean": PRIOR_MEAN, "prior_sd": PRIOR_SD},
        "bimodal": {"centres": CENTRES, "width": WIDTH, "lo": BOX.0, "hi": BOX.1},
    });
    let file = dir.join("problems.json");
    std::fs::write(&file, problems.to_string()).unwrap();
    let peers = xas_benches::run_peer("bayes_peers.py", &[file.display().to_string()]);

    let row = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default()
    };
    let max_dev = |got: &[f64], want: &[f64], scale: &[f64]| {
        got.iter()
            .zip(want)
            .zip(scale)
            .map(|((g, w), s)| ((g - w) / s).abs())
            .fold(0.0, f64::max)
    };
    println!(
        "{:<9} {:<28} {:>20} {:>14} {:>12} {:>9} {:>11}",
        "problem",
        "program",
        "ln Z - exact",
        "max |mean|/sd",
        "max sd err",
        "seconds",
        "evaluations"
    );
    for (k, (name, (ln_z, mean, sd))) in ["linear", "bimodal"].iter().zip(&truth).enumerate() {
        let r = &results[k];
        let m = row(&r["mean"]);
        let s = row(&r["sd"]);
        let sd_err: Vec<f64> = s.iter().zip(sd).map(|(a, b)| (a / b - 1.0).abs()).collect();
        for (label, est) in [
            ("ours, stepping-stone", "ss"),
            ("ours, multiple histogram", "wham"),
        ] {
            let z = row(&r[est]);
            println!(
                "{:<9} {:<28} {:>+11.3} ± {:<6.3} {:>14.3} {:>12.3} {:>9.2} {:>11}",
                name,
                label,
                z[0] - ln_z,
                z[1],
                max_dev(&m, mean, sd),
                sd_err.iter().copied().fold(0.0, f64::max),
                r["wall_s"].as_f64().unwrap_or(f64::NAN),
                r["calls"]
            );
        }
        println!(
            "{:<9} {:<28} sampling alone {:.2} s",
            "",
            "ours",
            r["sampling_s"].as_f64().unwrap_or(f64::NAN)
        );
        if *name == "bimodal" {
            println!(
                "{:<9} {:<28} mass in the (3, 3) mode: {:.3}",
                "", "ours", r["positive"]
            );
        }
        match &peers {
            Ok(p) => {
                let d = &p[name]["dynesty"];
                let e = &p[name]["emcee"];
                println!(
                    "{:<9} {:<28} {:>+11.3} ± {:<6.3} {:>14} {:>12} {:>9.2} {:>11}",
                    name,
                    "dynesty (static, 500 live)",
                    d["ln_z"].as_f64().unwrap_or(f64::NAN) - ln_z,
                    d["ln_z_err"].as_f64().unwrap_or(f64::NAN),
                    "-",
                    "-",
                    d["wall_s"].as_f64().unwrap_or(f64::NAN),
                    d["calls"]
                );
                let (em, es) = (row(&e["mean"]), row(&e["sd"]));
                let e_sd_err: Vec<f64> = es
                    .iter()
                    .zip(sd)
                    .map(|(a, b)| (a / b - 1.0).abs())
                    .collect();
                println!(
                    "{:<9} {:<28} {:>20} {:>14.3} {:>12.3} {:>9.2} {:>11}",
                    name,
                    "emcee (32 walkers)",
                    "-",
                    max_dev(&em, mean, sd),
                    e_sd_err.iter().copied().fold(0.0, f64::max),
                    e["wall_s"].as_f64().unwrap_or(f64::NAN),
                    e["calls"]
                );
                if *name == "bimodal" {
                    println!(
                        "{:<9} {:<28} mass in the (3, 3) mode: {:.3}",
                        "", "emcee", e["first_coordinate_positive"]
                    );
                }
            }
            Err(e) => println!("peers not run: {e}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
