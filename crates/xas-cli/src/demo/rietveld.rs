//! Demo stage `rietveld`: the PbSO4 round-robin pattern (Cu Kα, 10-160°) refined from
//! the Wyckoff start model with the standard four-stage plan: scale and background; cell
//! and specimen displacement; profile and asymmetry; coordinates and `U_iso`. Stage
//! `rietveld-auto`: the same pattern with the strategy found by a short search.

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
use xrd_rietveld::strategy::{AutoSettings, TrialOutcome};

const PATTERN: &str = include_str!("../../demo-data/PBSO4.XRA");
const INSTRUMENT: &str = include_str!("../../demo-data/PBSO4_INST_XRY.PRM");
const START: &str = include_str!("../../demo-data/PbSO4-Wyckoff.cif");

/// GSAS-II's joint X-ray and neutron refinement (CW Combined tutorial): X-ray Rwp (%)
/// and cell (Å).
const GSAS2_RWP: f64 = 11.00;
const GSAS2_CELL: [f64; 3] = [8.480297, 5.398574, 6.960012];

/// Trials of the demo's strategy search (the CLI default is 200).
const SEARCH_TRIALS: usize = 16;

/// The embedded PbSO4 inputs with the standard plan, or a strategy search of `auto`.
fn pbso4_inputs(auto: Option<AutoSettings>) -> Result<Inputs> {
    Ok(Inputs {
        pattern: Pattern::parse(PATTERN, "PBSO4.XRA")?,
        instrument: Instrument::parse_prm(INSTRUMENT, "INST_XRY.PRM")?,
        crystals: Crystal::from_cif(
            &Cif::parse(START, "PbSO4-Wyckoff.cif")?,
            "PbSO4-Wyckoff.cif",
        )?,
        plan: Plan::standard(),
        background: (BackgroundKind::Chebyshev, 8),
        auto,
        march_dollase: None,
    })
}

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    let inputs = pbso4_inputs(None)?;
    let pattern = inputs.pattern.clone();
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
    report.result(
        "cell",
        json!(phase.cell[..3].iter().map(|v| v.value).collect::<Vec<_>>()),
    );
    report.result("seconds", json!(outcome.seconds));
    Ok(())
}

/// Runs the stage `rietveld-auto`: a seeded strategy search of the same refinement.
pub fn run_search(report: &mut Report) -> Result<()> {
    let mut settings = AutoSettings::default();
    settings.search.trials = SEARCH_TRIALS;
    settings.search.tpe.startup_trials = SEARCH_TRIALS / 2;
    let inputs = pbso4_inputs(Some(settings))?;
    let pattern = inputs.pattern.clone();
    let outcome = refine_inputs(inputs, true)?;
    write_outputs(&report.file("")?, &pattern, &outcome, "svg")?;
    let Some(search) = &outcome.search else {
        anyhow::bail!("the strategy search returned no search record");
    };
    let valid = search
        .outcomes
        .iter()
        .filter(|(_, o)| matches!(o, TrialOutcome::Valid(_)))
        .count();
    let s = &search.strategy;
    let r = &outcome.refinement.r;
    report.md("\n## Automatic refinement strategy (xrd-rietveld + xas-design)\n");
    report.md(format!(
        "The same PbSO4 refinement with the strategy chosen by a seeded TPE search over \
         the early-stage window, background model and terms, zero, displacement, profile \
         terms and stage order ({SEARCH_TRIALS} trials here, 200 by default; results that are \
         unphysical anywhere are rejected): {valid} of {SEARCH_TRIALS} trials physical, best \
         **Rwp {:.2} %** in {:.1} s with a {:?} background of {} terms, window \
         {:.1}-{:.1}°, profile terms [{}]. `best_plan.toml` replays it.\n",
        r.rwp,
        outcome.seconds,
        s.background,
        s.background_terms,
        s.window[0],
        s.window[1],
        s.profile.join(" ")
    ));
    report.md(format!("![Strategy search]({})", report.link("search.svg")));
    report.result("rwp", json!(r.rwp));
    report.result("valid_trials", json!(valid));
    report.result("trials", json!(SEARCH_TRIALS));
    report.result("seconds", json!(outcome.seconds));
    Ok(())
}
