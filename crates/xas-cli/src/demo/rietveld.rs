//! Demo stage `rietveld`: the PbSO4 round-robin pattern (Cu Kα, 10-160°) refined from
//! the Wyckoff start model with the standard four-stage plan: scale and background; cell
//! and specimen displacement; profile and asymmetry; coordinates and `U_iso`.

use anyhow::Result;
use serde_json::json;
use xrd_rietveld::background::BackgroundKind;
use xrd_rietveld::cif::Cif;
use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::pattern::Pattern;
use xrd_rietveld::plan::Plan;
use xrd_rietveld::structure::Crystal;

use super::Report;
use crate::rietveld::{Inputs, refine_inputs, write_outputs};

const PATTERN: &str = include_str!("../../demo-data/PBSO4.XRA");
const INSTRUMENT: &str = include_str!("../../demo-data/PBSO4_INST_XRY.PRM");
const START: &str = include_str!("../../demo-data/PbSO4-Wyckoff.cif");

/// GSAS-II's joint X-ray and neutron refinement (CW Combined tutorial): X-ray Rwp (%)
/// and cell (Å).
const GSAS2_RWP: f64 = 11.00;
const GSAS2_CELL: [f64; 3] = [8.480297, 5.398574, 6.960012];

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    let pattern = Pattern::parse(PATTERN, "PBSO4.XRA")?;
    let instrument = Instrument::parse_prm(INSTRUMENT, "INST_XRY.PRM")?;
    let crystals = Crystal::from_cif(
        &Cif::parse(START, "PbSO4-Wyckoff.cif")?,
        "PbSO4-Wyckoff.cif",
    )?;
    let inputs = Inputs {
        pattern: pattern.clone(),
        instrument,
        crystals,
        plan: Plan::standard(),
        background: (BackgroundKind::Chebyshev, 8),
    };
    let outcome = refine_inputs(inputs, true)?;
    write_outputs(&report.file("")?, &pattern, &outcome, "svg")?;
    let r = &outcome.refinement.r;
    let phase = &outcome.phases[0];
    let cell: Vec<String> = phase.cell[..3].iter().map(|v| v.to_cif()).collect();
    report.md("\n## Rietveld refinement (xrd-rietveld)\n");
    report.md(format!(
        "PbSO4 round-robin pattern (Cu Kα, {} points) refined from the Wyckoff start model \
         with the standard plan ({} parameters) in {:.1} s: **Rwp {:.2} %** (Rexp {:.2} %, \
         GOF {:.2}, R_Bragg {:.2} %); cell a {} b {} c {} Å. GSAS-II's joint X-ray + \
         neutron refinement: X-ray Rwp {GSAS2_RWP:.2} %, a {} b {} c {} Å.\n",
        r.n_obs,
        r.n_params,
        outcome.seconds,
        r.rwp,
        r.rexp,
        r.gof,
        phase.r_bragg,
        cell[0],
        cell[1],
        cell[2],
        GSAS2_CELL[0],
        GSAS2_CELL[1],
        GSAS2_CELL[2]
    ));
    report.md(format!("![Rietveld fit]({})", report.link("fit.svg")));
    report.result("rwp", json!(r.rwp));
    report.result("gof", json!(r.gof));
    report.result("r_bragg", json!(phase.r_bragg));
    report.result("r_bragg", json!(phase.r_bragg));
    report.result(
        "cell",
        json!(phase.cell[..3].iter().map(|v| v.value).collect::<Vec<_>>()),
    );
    report.result("seconds", json!(outcome.seconds));
    Ok(())
}
