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
use xrd_rietveld::preferred_orientation::MarchDollase;
use xrd_rietveld::refine::Refinement;
use xrd_rietveld::report::{PhaseReport, phase_reports, to_cif};
use xrd_rietveld::strategy::{AutoSettings, Strategy, TrialOutcome, auto_refine};
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
    #[arg(long, conflicts_with = "instrument")]
    wavelength: Option<f64>,
    /// Start model(s), one CIF per phase (the first block with atoms of each file).
    #[arg(long, required = true)]
    cif: Vec<PathBuf>,
    /// Refinement plan (TOML, `[[stage]] release = [...]`); the standard plan otherwise.
    #[arg(long, conflicts_with = "auto")]
    plan: Option<PathBuf>,
    /// Search the refinement strategy automatically (early-stage window, background
    /// model and terms, zero, displacement and profile terms released, stage order),
    /// rejecting unphysical results; the search chooses the background model and its
    /// terms itself (--background and --background-terms are refused with it).
    #[arg(long)]
    auto: bool,
    /// Trials of the strategy search (--auto).
    #[arg(long, default_value_t = 200, requires = "auto")]
    trials: usize,
    /// Let the strategy search (--auto) also release crystallite size and microstrain
    /// (for nanocrystalline or strained samples; they are not determined alongside the
    /// instrument's X and Y for a well-crystallised one).
    #[arg(long, requires = "auto")]
    sample_broadening: bool,
    /// Seed of the strategy search (--auto): the same seed and batch give the same search.
    #[arg(long, default_value_t = 1, requires = "auto")]
    seed: u64,
    /// Trials run together, in parallel, by the strategy search (--auto). The result
    /// depends on it, never on the number of cores.
    #[arg(long, default_value_t = 4, requires = "auto")]
    batch: usize,
    /// 2θ range refined, `LO:HI` degrees (the whole pattern otherwise).
    #[arg(long)]
    range: Option<String>,
    /// Background model (the strategy search chooses its own).
    #[arg(long, value_enum, default_value = "chebyshev", conflicts_with = "auto")]
    background: BackgroundArg,
    /// Number of background terms, coefficients or knots (the strategy search chooses
    /// its own).
    #[arg(long, default_value_t = 8, conflicts_with = "auto")]
    background_terms: usize,
    /// March-Dollase preferred orientation of every phase about this reciprocal axis,
    /// `H,K,L` (e.g. 0,0,1); the ratio starts at 1 and is refined with the `po` group.
    /// With --auto the search chooses the texture itself.
    #[arg(long, conflicts_with = "auto", value_name = "H,K,L")]
    march_dollase: Option<String>,
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
    /// Search the strategy with these settings instead of running `plan`.
    pub auto: Option<AutoSettings>,
    /// March-Dollase axis given to every phase.
    pub march_dollase: Option<[i32; 3]>,
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
        let auto = args.auto.then(|| {
            let mut settings = AutoSettings::default();
            settings.search.trials = args.trials;
            settings.search.seed = args.seed;
            settings.search.batch = args.batch;
            settings.sample_broadening = args.sample_broadening;
            settings
        });
        let march_dollase = args.march_dollase.as_deref().map(parse_axis).transpose()?;
        Ok(Inputs {
            pattern,
            instrument,
            crystals,
            plan,
            background: (args.background.into(), args.background_terms),
            auto,
            march_dollase,
        })
    }
}

/// Miller indices `H,K,L` (commas or spaces), not all zero.
fn parse_axis(text: &str) -> Result<[i32; 3]> {
    let parts: Vec<&str> = text.split([',', ' ']).filter(|p| !p.is_empty()).collect();
    let numbers: Option<Vec<i32>> = parts.iter().map(|p| p.parse().ok()).collect();
    match numbers.as_deref() {
        Some([h, k, l]) if (*h, *k, *l) != (0, 0, 0) => Ok([*h, *k, *l]),
        _ => bail!(
            "--march-dollase {text}: expected three integers H,K,L, not all zero (e.g. 0,0,1)"
        ),
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
    /// The strategy search, when there was one.
    pub search: Option<Search>,
}

/// What a strategy search tried and chose.
pub struct Search {
    /// The best strategy.
    pub strategy: Strategy,
    /// Its plan (replayable with `--plan` and the strategy's background).
    pub plan: Plan,
    /// Every trial's strategy and outcome, in trial order.
    pub outcomes: Vec<(Strategy, TrialOutcome)>,
    /// The search settings.
    pub settings: AutoSettings,
}

/// Builds the model, runs the plan or the strategy search (progress on stderr unless
/// `quiet`) and reports.
///
/// # Errors
/// A model that cannot be built, a failed refinement or a search without a physical
/// solution.
pub fn refine_inputs(inputs: Inputs, quiet: bool) -> Result<Outcome> {
    let mut model = Model::for_pattern(
        inputs.instrument,
        inputs.background,
        inputs.crystals,
        &inputs.pattern,
    )?;
    for phase in &mut model.phases {
        phase.preferred_orientation = inputs.march_dollase.map(MarchDollase::new);
    }
    let start = std::time::Instant::now();
    if let Some(settings) = inputs.auto {
        return search_strategy(&model, &inputs.pattern, settings, quiet, start);
    }
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
        search: None,
    })
}

/// The `--auto` path of [`refine_inputs`]: one progress line per trial.
fn search_strategy(
    start_model: &Model,
    pattern: &Pattern,
    settings: AutoSettings,
    quiet: bool,
    start: std::time::Instant,
) -> Result<Outcome> {
    let result = auto_refine(start_model, pattern, &settings, &mut |p| {
        if !quiet {
            let best = p
                .best_rwp
                .map_or("none yet".to_string(), |b| format!("{b:.3} %"));
            let what = match &p.outcome {
                TrialOutcome::Valid(rwp) => format!("Rwp {rwp:.3} %"),
                TrialOutcome::Unphysical(why) => format!("rejected: {why}"),
                TrialOutcome::Failed(why) => format!("failed: {why}"),
            };
            eprintln!("trial {}/{}: {what} (best {best})", p.completed, p.total);
        }
        ControlFlow::Continue(())
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let phases = phase_reports(&result.model, &result.refinement, pattern)?;
    Ok(Outcome {
        model: result.model,
        refinement: result.refinement,
        phases,
        seconds,
        search: Some(Search {
            strategy: result.strategy,
            plan: result.plan,
            outcomes: result.outcomes,
            settings,
        }),
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
        "search": outcome.search.as_ref().map(search_summary),
    })
}

/// The JSON block of a strategy search: the best strategy, its plan and trial counts.
fn search_summary(search: &Search) -> Value {
    let count = |f: fn(&TrialOutcome) -> bool| search.outcomes.iter().filter(|(_, o)| f(o)).count();
    json!({
        "trials": search.outcomes.len(),
        "valid": count(|o| matches!(o, TrialOutcome::Valid(_))),
        "unphysical": count(|o| matches!(o, TrialOutcome::Unphysical(_))),
        "failed": count(|o| matches!(o, TrialOutcome::Failed(_))),
        "seed": search.settings.search.seed,
        "batch": search.settings.search.batch,
        "strategy": search.strategy,
        "plan": search.plan,
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
        let file: String = report
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        write_atomic(
            &dir.join(format!("{file}_refined.cif")),
            to_cif(report, &phase.crystal.group).as_bytes(),
        )?;
    }
    if let Some(search) = &outcome.search {
        write_search(dir, search, ext)?;
    }
    fit_figure(outcome, pattern, &calc, &bkg).save(&dir.join(format!("fit.{ext}")))
}

/// Writes `best_plan.toml`, `search.csv` (trial, Rwp or empty, status, reason) and
/// `search.<ext>` (each valid trial's Rwp and the best so far against the trial number).
fn write_search(dir: &Path, search: &Search, ext: &str) -> Result<()> {
    let s = &search.strategy;
    let texture = s.preferred_orientation.map_or(String::new(), |[h, k, l]| {
        format!(" --march-dollase {h},{k},{l}")
    });
    let header = format!(
        "# Best plan of the strategy search. Replay with\n#   --plan best_plan.toml --background {} --background-terms {}{texture}\n",
        background_name(s.background),
        s.background_terms
    );
    let plan = header + &search.plan.to_toml()?;
    write_atomic(&dir.join("best_plan.toml"), plan.as_bytes())?;
    let mut csv = String::from(
        "trial,rwp,status,reason,window_lo,window_hi,background,background_terms,refine_background,zero,shift,profile,order,march_dollase\n",
    );
    let (mut tx, mut ty, mut bx, mut by) = (vec![], vec![], vec![], vec![]);
    let mut best = f64::INFINITY;
    for (i, (t, o)) in search.outcomes.iter().enumerate() {
        let (rwp, status, reason) = match o {
            TrialOutcome::Valid(r) => (format!("{r}"), "valid", String::new()),
            TrialOutcome::Unphysical(w) => (String::new(), "unphysical", w.clone()),
            TrialOutcome::Failed(w) => (String::new(), "failed", w.clone()),
        };
        let order: Vec<String> = t.order.iter().map(|k| format!("{k:?}")).collect();
        csv.push_str(&format!(
            "{},{rwp},{status},\"{}\",{:.3},{:.3},{},{},{},{},{},{},{},{}\n",
            i + 1,
            reason.replace('"', "'"),
            t.window[0],
            t.window[1],
            background_name(t.background),
            t.background_terms,
            t.refine_background,
            t.zero,
            t.shift,
            t.profile.join(" "),
            order.join("-"),
            t.preferred_orientation
                .map_or("none".to_string(), |[h, k, l]| format!("{h} {k} {l}"))
        ));
        if let TrialOutcome::Valid(r) = o {
            tx.push((i + 1) as f64);
            ty.push(*r);
            best = best.min(*r);
            bx.push((i + 1) as f64);
            by.push(best);
        }
    }
    write_atomic(&dir.join("search.csv"), csv.as_bytes())?;
    let valid = tx.len();
    // A few diverged trials would squash the rest against the axis: cap the drawn values.
    let cap = (3.0 * best).max(1.0);
    let capped = ty.iter().any(|&r| r > cap);
    ty.iter_mut().for_each(|r| *r = r.min(cap));
    let dots = if capped {
        format!("physical trial (drawn at most at {cap:.1} %)")
    } else {
        "physical trial".to_string()
    };
    Figure {
        panels: vec![Panel {
            title: format!(
                "Strategy search: {valid} of {} trials physical, best Rwp {best:.2} %",
                search.outcomes.len()
            ),
            x_label: "trial".into(),
            y_label: "Rwp (%)".into(),
            series: vec![
                Series::dots(dots, &tx, &ty),
                Series::line("best so far", &bx, &by),
            ],
            markers: Vec::new(),
        }],
    }
    .save(&dir.join(format!("search.{ext}")))
}

/// The `--background` spelling of a background model.
fn background_name(kind: BackgroundKind) -> &'static str {
    match kind {
        BackgroundKind::Chebyshev => "chebyshev",
        BackgroundKind::LinearInterpolation => "linear",
        BackgroundKind::LogInterpolation => "log",
    }
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
                "{} ({}): R_Bragg {:.2} %, R_F {:.2} %, weight fraction {}; a {} b {} c {} alpha {} beta {} gamma {}",
                ph.name,
                ph.space_group,
                ph.r_bragg,
                ph.r_f,
                ph.weight_fraction.to_cif(),
                c[0].to_cif(),
                c[1].to_cif(),
                c[2].to_cif(),
                c[3].to_cif(),
                c[4].to_cif(),
                c[5].to_cif()
            );
            if let Some((axis, ratio)) = &ph.march_dollase {
                println!(
                    "  March-Dollase ratio {} about [{} {} {}]",
                    ratio.to_cif(),
                    axis[0],
                    axis[1],
                    axis[2]
                );
            }
        }
        for w in &outcome.refinement.warnings {
            println!("warning: {w}");
        }
        println!("results in {}", args.out.display());
    }
    Ok(())
}
