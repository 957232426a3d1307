//! Demo stage `multiplet`: the \[NiO6\]10- charge-transfer cluster of seed 003 (2p XAS and
//! 2p XPS with the ground-state character), and the Mn L2,3 spectra of seed 000 across
//! the crystal field.

use std::time::Instant;

use anyhow::Result;
use cluster_model::params::ClusterParams;
use cluster_model::spectra::{Broadening, Calculator, InitialStates, Polarization, Sticks};
use serde_json::json;
use xas_core::grid::uniform_grid;
use xas_core::io::{Delimiter, write_columns};

use super::Report;
use crate::plot::{Figure, Panel, Series};

/// Energy of the strongest point of `y` on `grid`.
fn peak(grid: &[f64], y: &[f64]) -> f64 {
    let k = y
        .iter()
        .enumerate()
        .fold(0, |best, (i, v)| if *v > y[best] { i } else { best });
    grid[k]
}

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    let params = ClusterParams::nio_seed_like();
    let states = InitialStates::default();
    let t = Instant::now();
    let mut calc = Calculator::new(&params)?;
    let compile_ms = t.elapsed().as_secs_f64() * 1e3;
    let ground = calc.ground_state(&params, &states)?;

    let xas_grid = uniform_grid(845.0, 880.0, 0.05)?;
    let t = Instant::now();
    let xas_sticks = calc.xas_sticks(&params, Polarization::Isotropic, &states)?;
    let xas = xas_sticks.broaden(&xas_grid, &Broadening::lorentzian(0.24))?;
    let xas_ms = t.elapsed().as_secs_f64() * 1e3;

    let xps_grid = uniform_grid(815.0, 865.0, 0.05)?;
    let t = Instant::now();
    let xps_sticks: Sticks = calc
        .xps_sticks_lanczos(&params, &states, 150)?
        .merged(1e-7, 0.0);
    let xps = xps_sticks.broaden(&xps_grid, &Broadening::lorentzian(0.5))?;
    let xps_ms = t.elapsed().as_secs_f64() * 1e3;

    write_columns(
        &report.file("nio_xas.csv")?,
        &["NiO seed-like cluster, isotropic 2p XAS, HWHM 0.24 eV".into()],
        &["energy_eV", "intensity"],
        &[&xas_grid, &xas],
        Delimiter::Comma,
    )?;
    write_columns(
        &report.file("nio_xps.csv")?,
        &["NiO seed-like cluster, 2p XPS (E_f - E_i), HWHM 0.5 eV".into()],
        &["energy_eV", "intensity"],
        &[&xps_grid, &xps],
        Delimiter::Comma,
    )?;
    let panel = |title: &str, x: &str, grid: &[f64], y: &[f64]| Panel {
        title: title.into(),
        x_label: x.into(),
        y_label: "intensity".into(),
        series: vec![Series::line("cluster-model", grid, y)],
        markers: vec![],
    };
    let figure = Figure {
        panels: vec![
            panel(
                "NiO [NiO6]10- cluster: Ni 2p XAS",
                "photon energy (eV)",
                &xas_grid,
                &xas,
            ),
            panel(
                "NiO [NiO6]10- cluster: Ni 2p XPS",
                "E_f - E_i (eV)",
                &xps_grid,
                &xps,
            ),
        ],
    };
    figure.save(&report.file("nio_xas_xps.svg")?)?;
    figure.save(&report.file("nio_xas_xps.png")?)?;

    let weights: Vec<String> = ground
        .configuration_weights
        .iter()
        .map(|(n, w)| format!("d{n} {w:.3}"))
        .collect();
    let (l3, main) = (peak(&xas_grid, &xas), peak(&xps_grid, &xps));
    report.md("\n## Charge-transfer multiplets (cluster-model)\n");
    report.md("The [NiO6]10- cluster of the Bayesian XPS/XAS study (Delta 4.7, U_dd 7.3, U_pd 8.5, 10Dq 0.6, V_eg 2.2 eV):");
    report.md("exact diagonalisation in the d8 + d9L + d10L2 Fock space, 2p XAS (dense) and 2p XPS (Lanczos).\n");
    report.md(format!(
        "![NiO XAS and XPS]({})\n",
        report.link("nio_xas_xps.svg")
    ));
    report.md(format!(
        "Result: ground state S = {:.2}, <n_d> = {:.4} ({}); L3 peak at {l3:.2} eV; XPS main line at {main:.2} eV. \
         One evaluation: XAS {xas_ms:.1} ms, XPS {xps_ms:.1} ms (model compiled once in {compile_ms:.0} ms).",
        ground.spin,
        ground.n_d,
        weights.join(", ")
    ));
    report.result("nio", json!({"spin": ground.spin, "n_d": ground.n_d, "l3_peak_ev": l3, "xps_main_ev": main, "xas_ms": xas_ms, "xps_ms": xps_ms}));
    Ok(())
}
