//! Demo stage `termination`: when can a magnetic Compton measurement of Fe stop? The
//! counts of 136 cycles are simulated from Slater-type Fe 3d and 4s profiles; after
//! every cycle the exact posterior of the amplitudes `(a_3d, a_4s)` gives the sd of
//! `a_3d` and of the spin moment, and two rules decide when to stop: a target sd of the
//! moment, and a plateau of the sd of `a_3d`. A second sample whose 3d orbital is 5 %
//! more extended than the model's shows the plateau the seed study reports.

use anyhow::Result;
use serde_json::json;
use xas_bayes::models::compton::{CycleTrace, FeMcsExperiment};
use xas_bayes::termination::StopRule;

use super::Report;
use crate::plot::{Figure, Panel, Series};

/// Cycles simulated (the seed study's measurement had 136).
const CYCLES: usize = 136;
/// True amplitudes `(a_3d, a_4s)` (μB): 3d and 4s moments of opposite sign.
const TRUTH: [f64; 2] = [2.3, -0.2];
/// Counts per cycle per electron per unit momentum: sets the counting noise (the sd
/// of the moment after one cycle is about 0.02 μB, as in the seed study).
const COUNTS_PER_ELECTRON: f64 = 5e3;
/// Target sd of the spin moment (μB): the usual requirement of an MCS measurement.
const TARGET_SD: f64 = 0.01;

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    let q: Vec<f64> = (0..=160).map(|i| -8.0 + 0.1 * i as f64).collect();
    let target = StopRule::Target { sd: TARGET_SD };
    let plateau = StopRule::Plateau {
        window: 5,
        rel_change: 0.05,
    };
    let mut traces: Vec<(&str, CycleTrace, FeMcsExperiment)> = Vec::new();
    for (label, ratio) in [("model exact", 1.0), ("3d orbital 5 % wider", 0.95)] {
        let experiment = FeMcsExperiment::new(q.clone(), 0.4, COUNTS_PER_ELECTRON, ratio)?;
        let trace = experiment.accumulate(TRUTH, CYCLES, 7, true)?;
        traces.push((label, trace, experiment));
    }
    let cycles: Vec<f64> = (1..=CYCLES).map(|c| c as f64).collect();
    let mut sd_a3d = Vec::new();
    let mut sd_moment = Vec::new();
    let mut lines = Vec::new();
    let mut results = Vec::new();
    for (label, t, _) in &traces {
        sd_a3d.push(Series::line(format!("sd a3d, {label}"), &cycles, &t.sd_a3d));
        sd_moment.push(Series::line(
            format!("sd moment, {label}"),
            &cycles,
            &t.sd_moment,
        ));
        let stop_target = target.first_stop(&t.sd_moment);
        let stop_plateau = plateau.first_stop(&t.sd_a3d);
        let last = t.mean[CYCLES - 1];
        let show = |c: Option<usize>| c.map_or("not reached".to_string(), |c| c.to_string());
        lines.push(format!(
            "| {label} | {:.3} ± {:.3} | {:.3} ± {:.3} | {} | {} | {:.2} |",
            last[0],
            t.sd_a3d[CYCLES - 1],
            last[0] + last[1],
            t.sd_moment[CYCLES - 1],
            show(stop_target),
            show(stop_plateau),
            t.reduced_chi_square[CYCLES - 1]
        ));
        results.push(json!({
            "sample": label,
            "a3d": last[0], "moment": last[0] + last[1],
            "stop_target_cycle": stop_target, "stop_plateau_cycle": stop_plateau,
        }));
    }
    sd_moment.push(Series::dashed(
        format!("target {TARGET_SD} μB"),
        &[1.0, CYCLES as f64],
        &[TARGET_SD, TARGET_SD],
    ));
    // The accumulated profile of the exact-model sample with its fitted components.
    let (_, t, e) = &traces[0];
    let data: Vec<f64> = t
        .data
        .iter()
        .map(|x| x / (CYCLES as f64 * COUNTS_PER_ELECTRON))
        .collect();
    let m = t.mean[CYCLES - 1];
    let fit3d: Vec<f64> = e.components[0].iter().map(|j| m[0] * j).collect();
    let fit4s: Vec<f64> = e.components[1].iter().map(|j| m[1] * j).collect();
    let total: Vec<f64> = fit3d.iter().zip(&fit4s).map(|(a, b)| a + b).collect();
    Figure {
        panels: vec![
            Panel {
                title: format!("Fe magnetic Compton profile after {CYCLES} cycles"),
                x_label: "q (a.u.)".into(),
                y_label: "J_mag (μB per a.u.)".into(),
                series: vec![
                    Series::line("data", &q, &data),
                    Series::line("fit", &q, &total),
                    Series::dashed("3d", &q, &fit3d),
                    Series::dashed("4s", &q, &fit4s),
                ],
                markers: Vec::new(),
            },
            Panel {
                title: "Posterior sd of a3d against cycles".into(),
                x_label: "cycles".into(),
                y_label: "sd (μB)".into(),
                series: sd_a3d,
                markers: Vec::new(),
            },
            Panel {
                title: "Posterior sd of the spin moment a3d + a4s".into(),
                x_label: "cycles".into(),
                y_label: "sd (μB)".into(),
                series: sd_moment,
                markers: Vec::new(),
            },
        ],
    }
    .save(&report.file("termination.svg")?)?;
    report.md("\n## Measurement termination: magnetic Compton scattering of Fe (xas-bayes)\n");
    report.md(format!(
        "{CYCLES} cycles of Poisson counts (two field directions) simulated from Slater-type Fe 3d \
         and 4s Compton profiles (a3d = {}, a4s = {} μB, resolution 0.4 a.u. FWHM); exact \
         posterior after every cycle, noise scale estimated from the residuals. Rules: sd of the \
         moment ≤ {TARGET_SD} μB; sd of a3d changing by less than 5 % over 5 cycles.\n",
        TRUTH[0], TRUTH[1]
    ));
    report.md(
        "| sample | a3d (μB) | moment (μB) | target stop cycle | plateau stop cycle | reduced χ² |\n|---|---|---|---|---|---|",
    );
    lines.iter().for_each(|l| report.md(l));
    report.md(format!(
        "\n![termination]({})",
        report.link("termination.svg")
    ));
    report.result("samples", json!(results));
    Ok(())
}
