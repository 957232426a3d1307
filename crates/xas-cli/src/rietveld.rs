//! `xas rietveld`: Rietveld refinement of a powder pattern from CIF start models and an
//! instrument file, by a staged plan (the standard one or a TOML file). Writes
//! `summary.json` (R factors, per phase R_Bragg, R_F and the cell, atoms and scale with
//! esds),
//! `fit.csv` (2θ, observed, calculated, background, difference), a fit plot with
//! reflection ticks and one refined CIF per phase.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use xas_core::io::write_atomic;
use xrd_rietveld::background::BackgroundKind;
use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::model::Model;
use xrd_rietveld::pattern::Pattern;
use xrd_rietveld::plan::{Plan, PlanProgress, run_plan};
use xrd_rietveld::refine::Refinement;
use xrd_rietveld::report::{PhaseReport, phase_reports, to_cif};
use xrd_rietveld::structure::Crystal;

use crate::fit::PlotFormat;
use crate::plot::{Figure, Panel, Series};
use crate::range::colon_numbers;

/// Background model on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackgroundArg {
    /// Chebyshev polynomials of the first kind.
    Chebyshev,
    /// Linear interpolation between knots equally spaced in 2θ.
    Linear,
    /// Linear interpolation between knots equally spaced in ln 2θ.
    Log,
}

impl From<BackgroundArg> for BackgroundKind {
    fn from(b: BackgroundArg) -> Self {
        match b {
            BackgroundArg::Chebyshev => BackgroundKind::Chebyshev,
            BackgroundArg::Linear => BackgroundKind::LinearInterpolation,
            BackgroundArg::Log => BackgroundKind::LogInterpolation,
        }
    }
}

/// Arguments of `xas rietveld`.
#[derive(Debug, Args)]
pub struct RietveldArgs {
    /// Powder pattern: GSAS standard file (.gsas, .XRA, .fxye) or columns 2θ intensity
    /// [sigma] (.xy, .xye, .csv, .dat).
    #[arg(long)]
    pattern: PathBuf,
    /// GSAS instrument parameter file (.prm): wavelengths, polarisation, profile terms.
    #[arg(long)]
    instrument: Option<PathBuf>,
    /// Wavelength (Å) when there is no instrument file (monochromatic, polarisation 0.5).
    #[arg(long)]
    wavelength: Option<f64>,
    /// Start model(s), one CIF per phase (the first block with atoms of each file).
    #[arg(long, required = true)]
    cif: Vec<PathBuf>,
    /// Refinement plan (TOML, `[[stage]] release = [...]`); the standard plan otherwise.
    #[arg(long)]
    plan: Option<PathBuf>,
    /// 2θ range refined, `LO:HI` degrees (the whole pattern otherwise).
    #[arg(long)]
    range: Option<String>,
    /// Background model.
    #[arg(long, value_enum, default_value = "chebyshev")]
    background: BackgroundArg,
    /// Number of background terms (coefficients or knots).
    #[arg(long, default_value_t = 8)]
    background_terms: usize,
    /// Image format of the fit plot.
    #[arg(long, value_enum, default_value = "svg")]
    plot_format: PlotFormat,
    /// Output folder.
    #[arg(short = 'o', long)]
    out: PathBuf,
}

/// What a refinement needs, read and checked.
pub struct Inputs {
    /// Pattern restricted to the refined range.
    pub pattern: Pattern,
    /// Instrument.
    pub instrument: Instrument,
    /// Start models.
    pub crystals: Vec<Crystal>,
    /// Plan.
    pub plan: Plan,
    /// Background model and number of terms.
    pub background: (BackgroundKind, usize),
}

impl Inputs {
    fn read(args: &RietveldArgs) -> Result<Self> {
        let instrument = match (&args.instrument, args.wavelength) {
            (Some(path), _) => Instrument::read_prm(path)?,
            (None, Some(lambda)) => {
                let inst = Instrument::monochromatic(lambda);
                inst.validate()?;
                inst
            }
            (None, None) => bail!(
                "no wavelength: give --instrument FILE.prm (wavelengths, polarisation, profile) or --wavelength Å"
            ),
        };
        let pattern = Pattern::read(&args.pattern)?;
        let pattern = match &args.range {
            Some(text) => {
                let [lo, hi] = colon_numbers("--range", text, "LO:HI (degrees 2θ)", "15:150")?;
                pattern.restricted(lo, hi).with_context(|| {
                    format!(
                        "{}: too few points in --range {text}",
                        args.pattern.display()
                    )
                })?
            }
            None => pattern,
        };
        let crystals = args
            .cif
            .iter()
            .map(|path| Ok(Crystal::read_cif(path)?.remove(0)))
            .collect::<Result<Vec<_>>>()?;
        let plan = match &args.plan {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                Plan::from_toml(&text, &path.display().to_string())?
            }
            None => Plan::standard(),
        };
        Ok(Inputs {
            pattern,
            instrument,
            crystals,
            plan,
            background: (args.background.into(), args.background_terms),
        })
    }
}

/// A finished refinement.
pub struct Outcome {
    /// The refined model.
    pub model: Model,
    /// The last stage's refinement.
    pub refinement: Refinement,
    /// Refined phases with esds.
    pub phases: Vec<PhaseReport>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Builds the model, runs the plan (progress on stderr unless `quiet`) and reports.
///
/// # Errors
/// A model that cannot be built or a failed refinement.
pub fn refine_inputs(inputs: Inputs, quiet: bool) -> Result<Outcome> {
    let mut model = Model::for_pattern(
        inputs.instrument,
        inputs.background,
        inputs.crystals,
        &inputs.pattern,
    )?;
    let start = std::time::Instant::now();
    let refinement = run_plan(
        &mut model,
        &inputs.pattern,
        &inputs.plan,
        &mut |p: &PlanProgress| {
            if !quiet {
                eprintln!(
                    "stage {}/{}, cycle {}: Rwp {:.3} %, reduced chi2 {:.3}",
                    p.stage, p.stages, p.cycle.cycle, p.cycle.rwp, p.cycle.chi2
                );
            }
            ControlFlow::Continue(())
        },
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let phases = phase_reports(&model, &refinement, &inputs.pattern)?;
    Ok(Outcome {
        model,
        refinement,
        phases,
        seconds,
    })
}

/// The JSON summary of an outcome.
pub fn summary(outcome: &Outcome) -> Value {
    let r = &outcome.refinement.r;
    json!({
        "rwp": r.rwp, "rp": r.rp, "rexp": r.rexp, "gof": r.gof, "chi2": r.chi2,
        "rwp_background_corrected": r.rwp_background_corrected,
        "rp_background_corrected": r.rp_background_corrected,
        "weights": "1/sigma^2",
        "n_obs": r.n_obs, "n_params": r.n_params,
        "cycles_last_stage": outcome.refinement.cycles,
        "converged": outcome.refinement.converged,
        "seconds": outcome.seconds,
        "phases": outcome.phases,
        "parameters": outcome.refinement.parameters,
        "correlations": outcome.refinement.correlations,
        "warnings": outcome.refinement.warnings,
    })
}

/// Writes `summary.json`, `fit.csv`, `fit.<ext>` and one `<phase>_refined.cif` per
/// phase into `dir`.
///
/// # Errors
/// A failed calculation or write.
pub fn write_outputs(dir: &Path, pattern: &Pattern, outcome: &Outcome, ext: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let model = &outcome.model;
    let x = &pattern.two_theta_deg;
    let calc = model.calculate(x)?;
    let bkg = model.background_values(x);
    let mut csv = String::from("two_theta_deg,observed,calculated,background,difference\n");
    for i in 0..x.len() {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            x[i],
            pattern.intensity[i],
            calc[i],
            bkg[i],
            pattern.intensity[i] - calc[i]
        ));
    }
    write_atomic(&dir.join("fit.csv"), csv.as_bytes())?;
    let text = serde_json::to_string_pretty(&summary(outcome))?;
    write_atomic(&dir.join("summary.json"), text.as_bytes())?;
    for (phase, report) in model.phases.iter().zip(&outcome.phases) {
        let ops: Vec<String> = phase
            .crystal
            .group
            .operations()
            .iter()
            .map(ToString::to_string)
            .collect();
        let file: String = report
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        write_atomic(
            &dir.join(format!("{file}_refined.cif")),
            to_cif(report, &ops).as_bytes(),
        )?;
    }
    fit_figure(outcome, pattern, &calc, &bkg).save(&dir.join(format!("fit.{ext}")))
}

/// Observed, calculated, background and difference (offset below the pattern), with a
/// band of Kα1 reflection ticks per phase under the difference curve.
fn fit_figure(outcome: &Outcome, pattern: &Pattern, calc: &[f64], bkg: &[f64]) -> Figure {
    let x = &pattern.two_theta_deg;
    let (y_min, y_max) = xas_core::grid::min_max(&pattern.intensity);
    let span = y_max - y_min;
    let offset = y_min - 0.12 * span;
    let diff: Vec<f64> = pattern
        .intensity
        .iter()
        .zip(calc)
        .map(|(o, c)| o - c + offset)
        .collect();
    let r = &outcome.refinement.r;
    let mut series = vec![
        Series::line("observed", x, &pattern.intensity),
        Series::dashed("calculated", x, calc),
        Series::dashed("background", x, bkg),
        Series::line("observed − calculated (offset)", x, &diff),
    ];
    let (lo, hi) = (x[0], x[x.len() - 1]);
    for (p, phase) in outcome.model.phases.iter().enumerate() {
        // Sticks from `base` up by 3 % of the intensity range, joined along `base`.
        let base = offset - (0.12 + 0.05 * p as f64) * span;
        let (mut tx, mut ty) = (vec![lo], vec![base]);
        let a_terms = phase.crystal.cell.to_a();
        for refl in phase.reflections() {
            let d = 1.0 / xrd_rietveld::lattice::inv_d_squared(&a_terms, refl.hkl).sqrt();
            if let Some(pos) = outcome
                .model
                .peak_position(d, outcome.model.instrument.lambda1)
                && (lo..=hi).contains(&pos)
            {
                tx.extend([pos, pos, pos]);
                ty.extend([base, base + 0.03 * span, base]);
            }
        }
        tx.push(hi);
        ty.push(base);
        series.push(Series::line(
            format!("reflections: {}", phase.crystal.name),
            &tx,
            &ty,
        ));
    }
    Figure {
        panels: vec![Panel {
            title: format!(
                "Rietveld fit: Rwp {:.2} %, Rexp {:.2} %, GOF {:.2}",
                r.rwp, r.rexp, r.gof
            ),
            x_label: "2θ (degrees)".into(),
            y_label: "intensity (counts)".into(),
            series,
            markers: Vec::new(),
        }],
    }
}

/// Runs `xas rietveld`.
///
/// # Errors
/// Unreadable inputs (named), a failed refinement or write.
pub fn run(args: &RietveldArgs, json: bool) -> Result<()> {
    let inputs = Inputs::read(args)?;
    let pattern = inputs.pattern.clone();
    let outcome = refine_inputs(inputs, json)?;
    write_outputs(&args.out, &pattern, &outcome, args.plot_format.extension())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary(&outcome))?);
    } else {
        let r = &outcome.refinement.r;
        println!(
            "Rwp {:.3} %  Rp {:.3} %  Rexp {:.3} %  GOF {:.3}  ({} points, {} parameters, {:.1} s)",
            r.rwp, r.rp, r.rexp, r.gof, r.n_obs, r.n_params, outcome.seconds
        );
        for ph in &outcome.phases {
            let c = &ph.cell;
            println!(
                "{} ({}): R_Bragg {:.2} %, R_F {:.2} %; a {} b {} c {} alpha {} beta {} gamma {}",
                ph.name,
                ph.space_group,
                ph.r_bragg,
                ph.r_f,
                c[0].to_cif(),
                c[1].to_cif(),
                c[2].to_cif(),
                c[3].to_cif(),
                c[4].to_cif(),
                c[5].to_cif()
            );
        }
        for w in &outcome.refinement.warnings {
            println!("warning: {w}");
        }
        println!("results in {}", args.out.display());
    }
    Ok(())
}
