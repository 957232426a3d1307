//! `xas fit`: Bayesian fit of the NiO charge-transfer cluster to a 2p XAS spectrum, a 2p
//! XPS spectrum, or both together, by replica-exchange Monte Carlo, with the Bayes free
//! energy by two estimators, posterior summaries, a corner plot and fit plots.
//!
//! A run folder holds everything needed to continue: `run.json` (data, priors and
//! settings, written first) and `checkpoint.json` (the sampler, written every few
//! minutes and when the run is interrupted with Ctrl-C). `xas fit --resume DIR`
//! continues from there with the same result as an uninterrupted run.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use cluster_model::params::ClusterParams;
use serde::{Deserialize, Serialize};
use serde_json::json;
use xas_bayes::diagnostics::{ParameterSummary, predictive_band, summarize};
use xas_bayes::evidence::{self, Bootstrap, FreeEnergy};
use xas_bayes::models::nio::{HAMILTONIAN, NioCluster, Spectroscopy};
use xas_bayes::posterior::{DataSet, Joint, Noise, Posterior};
use xas_bayes::prior::{Prior, Priors};
use xas_bayes::remc::{Progress, Remc, RemcSettings, RunStatus};
use xas_core::io::{ColumnSelector, ReadOptions, write_atomic};

use crate::corner::{CornerAxis, CornerPlot};
use crate::load::selector;
use crate::plot::{Figure, Panel, Series};

/// Minimum wall time between checkpoints.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(120);
/// Posterior draws behind the predictive bands of the fit plots.
const BAND_DRAWS: usize = 400;

/// The forward model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
pub enum ModelArg {
    /// \[NiO6\]10- charge-transfer cluster (Delta, 10Dq, V, U_dd, U_dc shared; Gamma,
    /// scale, shift per spectrum).
    NioCt,
}

/// Arguments of `xas fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Forward model.
    #[arg(long, value_enum, default_value = "nio-ct")]
    model: ModelArg,
    /// Ni 2p XAS spectrum: text file with energy (eV) and intensity columns.
    #[arg(long)]
    xas: Option<PathBuf>,
    /// Ni 2p XPS spectrum: text file with binding energy (eV) and intensity columns.
    #[arg(long)]
    xps: Option<PathBuf>,
    /// Noise of the XAS data: one standard deviation, `col:NAME|INDEX` for a column of
    /// per-point standard deviations, or `fit` to sample it as the parameter
    /// `sigma_xas` (log-normal prior around the point-to-point scatter).
    #[arg(long, value_name = "SIGMA|col:COLUMN|fit", requires = "xas")]
    xas_sigma: Option<String>,
    /// Noise of the XPS data (as `--xas-sigma`; the parameter is `sigma_xps`).
    #[arg(long, value_name = "SIGMA|col:COLUMN|fit", requires = "xps")]
    xps_sigma: Option<String>,
    /// Intensity column of the spectrum files (name or zero-based index) [default: the
    /// reader's choice: an XDI file's absorption column, a plain table's second
    /// column].
    #[arg(long)]
    y_column: Option<String>,
    /// Priors overriding the defaults: a TOML table per parameter, e.g.
    /// `[Delta]` `kind = "uniform"` `lo = 3.0` `hi = 7.0`.
    #[arg(long)]
    priors: Option<PathBuf>,
    /// Replicas (rungs of the temperature ladder).
    #[arg(long, default_value_t = 24)]
    replicas: usize,
    /// Recorded sweeps after burn-in.
    #[arg(long, default_value_t = 20000)]
    sweeps: usize,
    /// Burn-in sweeps (steps and block proposals adapt).
    #[arg(long, default_value_t = 5000)]
    burn_in: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Lanczos steps per start vector for the XPS final states (0: dense
    /// diagonalisation; 80 steps are within 3e-5 of the maximum of the exact spectrum).
    #[arg(long, default_value_t = 80, requires = "xps")]
    xps_lanczos: usize,
    /// Background under each spectrum: none, or a straight line (parameters `bg0_T`,
    /// `bg1_T` about the middle of the data's energy range).
    #[arg(long, value_enum, default_value = "none")]
    background: BackgroundArg,
    /// Reference values drawn on the corner plot, e.g. known true parameters:
    /// `Delta=4.7,10Dq=0.6`.
    #[arg(long, value_name = "NAME=VALUE,...")]
    mark: Option<String>,
    /// Format of the figures.
    #[arg(long, value_enum, default_value = "svg")]
    plot_format: PlotFormat,
    /// Output folder (new run).
    #[arg(short = 'o', long, conflicts_with = "resume")]
    out: Option<PathBuf>,
    /// Continue the run in this folder from its checkpoint, with the settings recorded
    /// in its `run.json` (only --time-limit and --plot-format may be given with it).
    #[arg(
        long,
        conflicts_with_all = [
            "model",
            "xas",
            "xps",
            "xas_sigma",
            "xps_sigma",
            "y_column",
            "priors",
            "replicas",
            "sweeps",
            "burn_in",
            "seed",
            "xps_lanczos",
            "background",
            "mark",
        ]
    )]
    resume: Option<PathBuf>,
    /// Stop (with a checkpoint) after this many minutes of sampling, e.g. to fit a batch
    /// queue's wall-time limit; continue later with `--resume`.
    #[arg(long, value_name = "MINUTES")]
    time_limit: Option<f64>,
}

/// Background under the spectra.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackgroundArg {
    /// No background.
    None,
    /// A straight line per spectrum.
    Linear,
}

/// How the forward model of each spectrum is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelOptions {
    /// Lanczos steps per start vector for the XPS final states (0: dense).
    pub xps_lanczos: usize,
    /// A straight-line background under each spectrum.
    pub background: bool,
}

impl Default for ModelOptions {
    /// 80 Lanczos steps (3e-5 of the maximum from the exact XPS), no background.
    fn default() -> Self {
        ModelOptions {
            xps_lanczos: 80,
            background: false,
        }
    }
}

/// Image format of the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlotFormat {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

impl PlotFormat {
    pub(crate) fn extension(self) -> &'static str {
        match self {
            PlotFormat::Svg => "svg",
            PlotFormat::Png => "png",
        }
    }
}

/// Everything a run needs besides the sampler state; `run.json` of the run folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    model: ModelArg,
    data: Vec<(Spectroscopy, DataSet)>,
    priors: Priors,
    /// Sampler settings.
    pub remc: RemcSettings,
    options: ModelOptions,
    marks: Vec<(String, f64)>,
}

/// A posterior that counts its evaluations.
struct Counted<'a> {
    inner: &'a Joint,
    evaluations: AtomicU64,
}

impl Posterior for Counted<'_> {
    fn priors(&self) -> &Priors {
        self.inner.priors()
    }
    fn energy(&self, theta: &[f64]) -> xas_bayes::Result<f64> {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        self.inner.energy(theta)
    }
    fn n_data(&self) -> usize {
        self.inner.n_data()
    }
}

/// Parses `NAME=VALUE,...`.
fn parse_marks(text: &str) -> Result<Vec<(String, f64)>> {
    text.split(',')
        .map(|item| {
            let (name, value) = item
                .split_once('=')
                .with_context(|| format!("--mark: expected NAME=VALUE, got `{item}`"))?;
            let v: f64 = value
                .trim()
                .parse()
                .with_context(|| format!("--mark: `{value}` is not a number"))?;
            Ok((name.trim().to_string(), v))
        })
        .collect()
}

/// Column `y` (the reader's choice when `None`) against the first column of the file
/// `path`, whose contents are `bytes`.
fn read_column(path: &Path, bytes: &[u8], y: Option<&str>) -> Result<(Vec<f64>, Vec<f64>)> {
    let options = ReadOptions {
        format: Some(xas_core::io::detect_format(path, bytes)?),
        x_column: Some(ColumnSelector::Index(0)),
        y_column: y.map(selector),
    };
    let spectra = xas_core::io::read_bytes(bytes, path, &options)
        .with_context(|| format!("reading {}", path.display()))?;
    let Some(s) = spectra.into_iter().next() else {
        bail!("{}: no spectrum in the file", path.display());
    };
    Ok((s.energy_ev().to_vec(), s.intensity().to_vec()))
}

/// The data set of `path` with the noise given by `sigma` (`--xas-sigma`, ...).
fn read_data(
    path: &Path,
    y: Option<&str>,
    sigma: Option<&str>,
    kind: Spectroscopy,
) -> Result<DataSet> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (x, values) = read_column(path, &bytes, y)?;
    let flag = format!("--{}-sigma", kind.tag());
    let noise = match sigma {
        None => bail!(
            "{}: no noise level; give {flag} (a standard deviation, col:COLUMN for per-point values, or fit)",
            path.display()
        ),
        Some("fit") => Noise::GaussianParameter {
            name: format!("sigma_{}", kind.tag()),
        },
        Some(text) => match text.strip_prefix("col:") {
            Some(col) => {
                let (xs, s) = read_column(path, &bytes, Some(col))?;
                if xs != x {
                    bail!(
                        "{}: the sigma column {col} does not share the energy axis",
                        path.display()
                    );
                }
                Noise::GaussianPerPoint(s)
            }
            None => Noise::Gaussian {
                sigma: text.parse().with_context(|| {
                    format!("{flag}: `{text}` is neither a number, col:COLUMN nor fit")
                })?,
            },
        },
    };
    Ok(DataSet::new(path.display().to_string(), x, values, noise)?)
}

/// The forward model of the spectrum `data` of `kind` (a background's reference
/// energy is the middle of the data's range).
fn model(kind: Spectroscopy, data: &DataSet, options: &ModelOptions) -> Result<NioCluster> {
    let mut m = NioCluster::new(kind, ClusterParams::nio_seed_like())?;
    if kind == Spectroscopy::Xps && options.xps_lanczos > 0 {
        m = m.with_xps_lanczos(options.xps_lanczos)?;
    }
    if options.background {
        let (lo, hi) = xas_core::grid::min_max(&data.x);
        m = m.with_linear_background(0.5 * (lo + hi))?;
    }
    Ok(m)
}

/// Default priors of every spectrum (scale around the data's level) overridden by the
/// TOML file, if any.
fn priors(
    data: &[(Spectroscopy, DataSet)],
    options: &ModelOptions,
    file: Option<&Path>,
) -> Result<Priors> {
    let mut all: Option<Priors> = None;
    for (kind, d) in data {
        let mut p = model(*kind, d, options)?.default_priors_for_data(&d.x, &d.y)?;
        if let Noise::GaussianParameter { name } = &d.noise {
            p = p.union(&Priors::new([(name.clone(), noise_prior(&d.y))])?)?;
        }
        all = Some(match all {
            None => p,
            Some(a) => a.union(&p)?,
        });
    }
    let mut all = all.context("no data: give --xas, --xps or both")?;
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let table: BTreeMap<String, Prior> = toml::from_str(&text)
            .with_context(|| format!("{}: bad prior table", path.display()))?;
        for (name, prior) in table {
            all.set(&name, prior)
                .with_context(|| format!("{}: prior `{name}`", path.display()))?;
        }
    }
    Ok(all)
}

/// Prior of a sampled noise level: log-normal around the noise that the differences of
/// neighbouring points imply, `sqrt(Σ (y_(i+1) - y_i)² / (2 (n - 1)))` (an upper
/// estimate on a curved spectrum), a factor e either way at one sd.
fn noise_prior(y: &[f64]) -> Prior {
    let n = y.len().max(2) as f64;
    let ss: f64 = y.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let guess = (ss / (2.0 * (n - 1.0))).sqrt().max(f64::MIN_POSITIVE);
    Prior::log_normal(guess.ln(), 1.0)
}

/// The joint posterior of the run.
fn posterior(config: &RunConfig) -> Result<Joint> {
    let mut joint = Joint::new(config.priors.clone());
    for (kind, d) in &config.data {
        joint.add(model(*kind, d, &config.options)?, d.clone())?;
    }
    joint.check_all_used()?;
    Ok(joint)
}

/// A new run's configuration from the command line.
fn new_config(args: &FitArgs) -> Result<RunConfig> {
    let mut data = Vec::new();
    for (kind, path, sigma) in [
        (Spectroscopy::Xas, &args.xas, &args.xas_sigma),
        (Spectroscopy::Xps, &args.xps, &args.xps_sigma),
    ] {
        if let Some(path) = path {
            let d = read_data(path, args.y_column.as_deref(), sigma.as_deref(), kind)?;
            data.push((kind, d));
        }
    }
    let remc = RemcSettings {
        replicas: args.replicas,
        burn_in: args.burn_in,
        sweeps: args.sweeps,
        seed: args.seed,
        ..RemcSettings::default()
    };
    let options = ModelOptions {
        xps_lanczos: args.xps_lanczos,
        background: args.background == BackgroundArg::Linear,
    };
    let marks = args.mark.as_deref().map(parse_marks).transpose()?;
    RunConfig::new(data, args.priors.as_deref(), remc, options)?
        .with_marks(marks.unwrap_or_default())
}

impl RunConfig {
    /// A NiO fit of `data` with the models built by `options`, the default priors
    /// (overridden by the TOML file `priors`, if any) and the sampler `remc`, whose
    /// blocks are set here.
    ///
    /// # Errors
    /// Bad priors or settings, or no data.
    pub fn new(
        data: Vec<(Spectroscopy, DataSet)>,
        priors_file: Option<&Path>,
        mut remc: RemcSettings,
        options: ModelOptions,
    ) -> Result<Self> {
        let priors = priors(&data, &options, priors_file)?;
        // Every change of a Hamiltonian parameter costs a diagonalisation, and the
        // energy shifts follow the Hamiltonian along a narrow ridge of the posterior:
        // these move together; widths and scales (cheap, nearly independent) move one
        // at a time.
        let mut block: Vec<String> = HAMILTONIAN.iter().map(|s| s.to_string()).collect();
        block.extend(data.iter().map(|(kind, _)| format!("shift_{}", kind.tag())));
        remc.blocks = vec![block];
        remc.validate()?;
        Ok(RunConfig {
            model: ModelArg::NioCt,
            data,
            priors,
            remc,
            options,
            marks: Vec::new(),
        })
    }

    /// Reference values drawn on the corner plot.
    ///
    /// # Errors
    /// A mark whose name is not a parameter of the fit (the message lists them).
    pub fn with_marks(mut self, marks: Vec<(String, f64)>) -> Result<Self> {
        if let Some((name, _)) = marks
            .iter()
            .find(|(n, _)| self.priors.index_of(n).is_none())
        {
            bail!(
                "mark {name}: not a parameter of this fit (they are: {})",
                self.priors.names().join(", ")
            );
        }
        self.marks = marks;
        Ok(self)
    }
}

/// Prints a progress line about every 1 % of the sweeps on standard error.
struct ProgressLine {
    start: Instant,
    first_sweep: Option<usize>,
    quiet: bool,
}

impl ProgressLine {
    fn show(&mut self, p: &Progress) {
        let first = *self.first_sweep.get_or_insert(p.sweep.saturating_sub(1));
        let step = (p.total / 100).max(1);
        if self.quiet || !(p.sweep.is_multiple_of(step) || p.sweep == p.total) {
            return;
        }
        let done = (p.sweep - first) as f64;
        let left = (p.total - p.sweep) as f64;
        let eta = self.start.elapsed().as_secs_f64() * left / done.max(1.0);
        let phase = p.phase.label();
        eprintln!(
            "sweep {}/{} ({phase}), acceptance {:.2}, swaps {:.2}, top E {:.1}, {:.0} s left",
            p.sweep, p.total, p.acceptance, p.swap_rate, p.top_energy, eta
        );
    }
}

/// Runs `sampler` to the end, writing `checkpoint.json` into `dir` every
/// [`CHECKPOINT_INTERVAL`]; returns early (interrupted) when `stop` is raised or the
/// `deadline` passes.
fn run_checkpointed(
    sampler: &mut Remc,
    posterior: &dyn Posterior,
    dir: &Path,
    (stop, deadline): (&AtomicBool, Option<Instant>),
    quiet: bool,
) -> Result<RunStatus> {
    let mut line = ProgressLine {
        start: Instant::now(),
        first_sweep: None,
        quiet,
    };
    let halted = || stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() > d);
    loop {
        let since = Instant::now();
        let status = sampler.run(posterior, &mut |p| {
            line.show(p);
            if halted() || since.elapsed() > CHECKPOINT_INTERVAL {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        if status == RunStatus::Finished || halted() {
            return Ok(status);
        }
        sampler.save_checkpoint(&dir.join("checkpoint.json"))?;
    }
}

/// Runs `xas fit`.
///
/// # Errors
/// Unreadable or invalid data, priors or settings; a failed model evaluation; a
/// failed write.
pub fn run(args: &FitArgs, json: bool) -> Result<()> {
    let dir = match (&args.out, &args.resume) {
        (Some(dir), None) | (None, Some(dir)) => dir,
        _ => bail!("give -o DIR for a new run or --resume DIR to continue one"),
    };
    let run = FitRun {
        dir,
        ext: args.plot_format.extension(),
        quiet: json,
    };
    let (config, sampler) = if args.resume.is_some() {
        let text = std::fs::read_to_string(dir.join("run.json"))
            .with_context(|| format!("{}: not a run folder (no run.json)", dir.display()))?;
        let config: RunConfig = serde_json::from_str(&text)
            .with_context(|| format!("{}: bad run.json", dir.display()))?;
        let sampler = Remc::load_checkpoint(&dir.join("checkpoint.json"))?;
        (config, Some(sampler))
    } else {
        let config = new_config(args)?;
        run.start(&config)?;
        (config, None)
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed (e.g. in tests); runs still checkpoint.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let deadline = match args.time_limit {
        Some(m) if m.is_finite() && m >= 0.0 => {
            Some(Instant::now() + Duration::from_secs_f64(60.0 * m))
        }
        Some(m) => bail!("--time-limit must be a number of minutes >= 0, got {m}"),
        None => None,
    };
    let Some(report) = run.execute(&config, sampler, (&stop, deadline))? else {
        return Ok(());
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary_text(&report));
        println!("results in {}", dir.display());
    }
    Ok(())
}

/// Where and how a run writes.
pub struct FitRun<'a> {
    /// The run folder.
    pub dir: &'a Path,
    /// Figure format (`svg` or `png`).
    pub ext: &'a str,
    /// No progress lines.
    pub quiet: bool,
}

impl FitRun<'_> {
    /// Runs `config` from `sampler` (a checkpoint) or from the start, checkpointing
    /// into the folder; returns the report, or `None` when stopped early (the
    /// checkpoint is then written).
    ///
    /// # Errors
    /// A failed model evaluation or write.
    pub fn execute(
        &self,
        config: &RunConfig,
        sampler: Option<Remc>,
        halt: (&AtomicBool, Option<Instant>),
    ) -> Result<Option<Report>> {
        let joint = posterior(config)?;
        let counted = Counted {
            inner: &joint,
            evaluations: AtomicU64::new(0),
        };
        let mut sampler = match sampler {
            Some(s) => s,
            None => Remc::new(&counted, config.remc.clone())?,
        };
        let started = Instant::now();
        let status = run_checkpointed(&mut sampler, &counted, self.dir, halt, self.quiet)?;
        let wall = started.elapsed().as_secs_f64();
        sampler.save_checkpoint(&self.dir.join("checkpoint.json"))?;
        if status == RunStatus::Interrupted {
            eprintln!(
                "stopped after sweep {}; continue with: xas fit --resume {}",
                sampler.sweeps_done(),
                self.dir.display()
            );
            return Ok(None);
        }
        let evaluations = counted.evaluations.load(Ordering::Relaxed);
        report(self, config, &joint, &sampler, (wall, evaluations)).map(Some)
    }

    /// Writes `config` as the folder's `run.json` (creating the folder).
    ///
    /// # Errors
    /// A failed write.
    pub fn start(&self, config: &RunConfig) -> Result<()> {
        std::fs::create_dir_all(self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        write_atomic(
            &self.dir.join("run.json"),
            serde_json::to_string(config)?.as_bytes(),
        )?;
        Ok(())
    }
}

/// What a finished run reports (`summary.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    model: ModelArg,
    data: Vec<serde_json::Value>,
    /// Posterior summaries (top rung).
    pub parameters: Vec<ParameterSummary>,
    /// `stepping_stone` and `wham`: value and bootstrap error (nats).
    pub free_energy: BTreeMap<&'static str, serde_json::Value>,
    sampler: xas_bayes::remc::SamplerStatistics,
    settings: RemcSettings,
    /// Wall time and posterior evaluations per second.
    pub performance: serde_json::Value,
}

fn free_energy_json(f: &FreeEnergy) -> serde_json::Value {
    json!({ "value": f.free_energy(), "error": f.error(), "bootstrap_block": f.block })
}

/// Computes the summaries and free energies and writes `samples.csv`, `summary.json`,
/// `corner.<ext>` and one `fit_<kind>.<ext>` per spectrum into `dir`.
fn report(
    run: &FitRun,
    config: &RunConfig,
    joint: &Joint,
    sampler: &Remc,
    (wall_s, evaluations): (f64, u64),
) -> Result<Report> {
    let (dir, ext) = (run.dir, run.ext);
    let samples = sampler.samples();
    let top = samples.top();
    let boot = Bootstrap::default();
    let ss = evidence::stepping_stone(samples, &boot)?;
    let wh = evidence::wham(samples, &boot)?;
    let parameters = summarize(samples, top);
    write_samples(&dir.join("samples.csv"), sampler)?;
    let axes = samples
        .names()
        .iter()
        .enumerate()
        .map(|(j, name)| CornerAxis {
            name: name.clone(),
            samples: samples.trace(top, j),
            reference: config.marks.iter().find(|m| &m.0 == name).map(|m| m.1),
        })
        .collect();
    CornerPlot { axes }.save(&dir.join(format!("corner.{ext}")))?;
    let mut data = Vec::new();
    for (k, (kind, d)) in config.data.iter().enumerate() {
        let tag = kind.tag();
        write_fit_plot(
            &dir.join(format!("fit_{tag}.{ext}")),
            joint,
            k,
            sampler,
            tag,
        )?;
        data.push(json!({
            "kind": tag,
            "file": d.name,
            "points": d.len(),
            "noise": d.noise,
        }));
    }
    let report = Report {
        model: config.model,
        data,
        parameters,
        free_energy: BTreeMap::from([
            ("stepping_stone", free_energy_json(&ss)),
            ("wham", free_energy_json(&wh)),
        ]),
        sampler: sampler.statistics(),
        settings: sampler.settings().clone(),
        performance: json!({
            "wall_s": wall_s,
            "posterior_evaluations": evaluations,
            "evaluations_per_s": evaluations as f64 / wall_s.max(1e-9),
            "note": "this session only (a resumed run counts from the resume)",
        }),
    };
    write_atomic(
        &dir.join("summary.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    Ok(report)
}

/// The recorded posterior samples (top rung): sweep, energy, log prior, parameters.
fn write_samples(path: &Path, sampler: &Remc) -> Result<()> {
    let s = sampler.samples();
    let top = s.top();
    let mut csv = format!("sample,energy,ln_prior,{}\n", s.names().join(","));
    for i in 0..s.len() {
        let theta: Vec<String> = s.theta(i, top).iter().map(f64::to_string).collect();
        csv.push_str(&format!(
            "{i},{},{},{}\n",
            s.energy(i, top),
            s.ln_prior(i, top),
            theta.join(",")
        ));
    }
    write_atomic(path, csv.as_bytes())?;
    Ok(())
}

/// Data, posterior median and 95 % predictive band of data set `k`, and the residual.
fn write_fit_plot(path: &Path, joint: &Joint, k: usize, sampler: &Remc, tag: &str) -> Result<()> {
    let samples = sampler.samples();
    let band = predictive_band(
        joint,
        k,
        samples,
        samples.top(),
        BAND_DRAWS,
        &[0.025, 0.5, 0.975],
    )?;
    let Some(d) = joint.data_sets().nth(k) else {
        bail!("no data set {k}");
    };
    let residual: Vec<f64> =
        d.y.iter()
            .zip(&band.curves[1])
            .map(|(a, b)| a - b)
            .collect();
    Figure {
        panels: vec![
            Panel {
                title: format!(
                    "Ni 2p {}: data and posterior predictive (median, 95 % band)",
                    tag.to_uppercase()
                ),
                x_label: "energy (eV)".into(),
                y_label: "intensity".into(),
                series: vec![
                    Series::line("data", &d.x, &d.y),
                    Series::line("median", &band.x, &band.curves[1]),
                    Series::dashed("2.5 %", &band.x, &band.curves[0]),
                    Series::dashed("97.5 %", &band.x, &band.curves[2]),
                ],
                markers: Vec::new(),
            },
            Panel {
                title: "Residual (data - median)".into(),
                x_label: "energy (eV)".into(),
                y_label: "residual".into(),
                series: vec![Series::line("residual", &d.x, &residual)],
                markers: Vec::new(),
            },
        ],
    }
    .save(path)
}

/// The report as text: free energies and the parameter table.
fn summary_text(r: &Report) -> String {
    let mut t = String::new();
    for (name, f) in &r.free_energy {
        t.push_str(&format!(
            "F ({name}) = {:.2} ± {:.2}\n",
            f["value"].as_f64().unwrap_or(f64::NAN),
            f["error"].as_f64().unwrap_or(f64::NAN)
        ));
    }
    t.push_str("parameter        mean        sd      2.5 %     97.5 %       ESS\n");
    for p in &r.parameters {
        t.push_str(&format!(
            "{:<10} {:>10.4} {:>9.4} {:>10.4} {:>10.4} {:>9.0}\n",
            p.name, p.mean, p.sd, p.quantiles[0], p.quantiles[4], p.ess
        ));
    }
    t.push_str(&format!(
        "{:.0} posterior evaluations per second\n",
        r.performance["evaluations_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN)
    ));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without --y-column an XDI file gives its absorption column, not the detector
    /// column that happens to come second; a plain table gives its second column.
    #[test]
    fn the_intensity_column_defaults_to_the_readers_choice() {
        let xdi = "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Column.3: mutrans\n\
                   # ///\n#----\n# energy i0 mutrans\n850 1000 0.1\n851 1001 0.2\n852 1002 0.3\n";
        let (x, y) = read_column(Path::new("ni.xdi"), xdi.as_bytes(), None).unwrap();
        assert_eq!((x, y), (vec![850.0, 851.0, 852.0], vec![0.1, 0.2, 0.3]));
        let (_, i0) = read_column(Path::new("ni.xdi"), xdi.as_bytes(), Some("i0")).unwrap();
        assert_eq!(i0, [1000.0, 1001.0, 1002.0]);
        let csv = "energy,intensity,sigma\n850,0.1,0.01\n851,0.2,0.01\n852,0.3,0.01\n";
        let (_, y) = read_column(Path::new("ni.csv"), csv.as_bytes(), None).unwrap();
        assert_eq!(y, [0.1, 0.2, 0.3]);
    }

    #[test]
    fn marks_parse_and_errors_name_the_item() {
        assert_eq!(
            parse_marks("Delta=4.7, 10Dq=0.6").unwrap(),
            vec![("Delta".into(), 4.7), ("10Dq".into(), 0.6)]
        );
        assert!(
            parse_marks("Delta")
                .unwrap_err()
                .to_string()
                .contains("Delta")
        );
        assert!(parse_marks("Delta=x").is_err());
    }
}
