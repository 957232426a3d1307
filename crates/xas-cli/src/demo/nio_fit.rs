//! Demo stage `nio-fit`: the Bayesian analysis of a Ni 2p XAS spectrum with the
//! \[NiO6\]10- charge-transfer cluster. A spectrum is simulated at known parameters with
//! noise; replica-exchange Monte Carlo samples the posterior of the five Hamiltonian
//! parameters and the width, scale and shift; the report compares the posterior with
//! the truth and shows the corner and fit plots (`xas fit` on a short run).

use std::sync::atomic::AtomicBool;

use anyhow::Result;
use cluster_model::params::ClusterParams;
use serde_json::json;
use xas_bayes::models::nio::{NioCluster, Spectroscopy, synthetic_spectrum};
use xas_bayes::posterior::{DataSet, ForwardModel, Noise};
use xas_bayes::remc::RemcSettings;

use super::Report;
use crate::fit::{FitRun, ModelOptions, RunConfig};

/// True parameters: Delta, 10Dq, V, U_dd, U_dc (eV), Gamma (HWHM, eV), scale, shift.
const TRUTH: [f64; 8] = [4.7, 0.6, 2.2, 7.3, 8.5, 0.3, 5.0, 0.0];
const SIGMA: f64 = 0.02;

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    let x: Vec<f64> = (0..126).map(|i| 850.0 + 0.2 * i as f64).collect();
    let model = NioCluster::new(Spectroscopy::Xas, ClusterParams::nio_seed_like())?;
    let y = synthetic_spectrum(&model, &TRUTH, &x, SIGMA, 2019)?;
    let data = DataSet::new(
        "simulated NiO 2p XAS",
        x,
        y,
        Noise::Gaussian { sigma: SIGMA },
    )?;
    let remc = RemcSettings {
        replicas: 8,
        burn_in: 400,
        sweeps: 800,
        seed: 1,
        ..RemcSettings::default()
    };
    let names = model.parameter_names();
    let marks = names
        .iter()
        .zip(TRUTH)
        .map(|(n, v)| (n.clone(), v))
        .collect();
    let config = RunConfig::new(
        vec![(Spectroscopy::Xas, data)],
        None,
        remc,
        ModelOptions::default(),
    )?
    .with_marks(marks)?;
    let dir = report.file("")?;
    let run = FitRun {
        dir: &dir,
        ext: "svg",
        quiet: true,
    };
    run.start(&config)?;
    let Some(fit) = run.execute(&config, None, (&AtomicBool::new(false), None))? else {
        anyhow::bail!("the demo fit stopped early");
    };
    report.md("\n## Bayesian fit of a NiO 2p XAS spectrum (xas-bayes, `xas fit`)\n");
    report.md(format!(
        "The seed-like NiO cluster's XAS (126 points) with Gaussian noise sigma {SIGMA}; replica \
         exchange with {} replicas, {} + {} sweeps, the Hamiltonian parameters and the shift moved \
         jointly, in {:.1} s. A short run: `xas fit` defaults are 24 replicas and 5000 + 20000 \
         sweeps.\n",
        config.remc.replicas,
        config.remc.burn_in,
        config.remc.sweeps,
        fit.performance["wall_s"].as_f64().unwrap_or(f64::NAN)
    ));
    report.md("| parameter | truth | posterior mean ± sd |\n|---|---|---|");
    for (p, truth) in fit.parameters.iter().zip(TRUTH) {
        report.md(format!(
            "| {} | {truth} | {:.3} ± {:.3} |",
            p.name, p.mean, p.sd
        ));
    }
    let f = &fit.free_energy["stepping_stone"];
    report.md(format!(
        "\nBayes free energy F = {:.2} ± {:.2} (stepping-stone).\n\n![corner]({}) ![fit]({})",
        f["value"].as_f64().unwrap_or(f64::NAN),
        f["error"].as_f64().unwrap_or(f64::NAN),
        report.link("corner.svg"),
        report.link("fit_xas.svg")
    ));
    report.result(
        "posterior",
        json!(
            fit.parameters
                .iter()
                .map(|p| json!({"name": p.name, "mean": p.mean, "sd": p.sd}))
                .collect::<Vec<_>>()
        ),
    );
    report.result("free_energy", f.clone());
    Ok(())
}
