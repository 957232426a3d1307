//! `xas multiplet`: the 2p XAS or 2p XPS spectrum of a 3d transition-metal ion from the
//! crystal-field or charge-transfer cluster model of `cluster-model`, written as CSV, with
//! optional stick spectrum and figure.
//!
//! Every option can also come from a TOML parameter file (`--params FILE`) whose keys are
//! the long option names (`slater-scale = 0.8`, `ct = true`, `grid = "845:880:0.1"`);
//! options given on the command line override the file's values.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use cluster_model::ion::Ion;
use cluster_model::params::{ChargeTransfer, ClusterParams};
use cluster_model::spectra::{
    Broadening, Calculator, GroundState, InitialStates, Polarization, Sticks,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use xas_core::grid::uniform_grid;
use xas_core::io::{Delimiter, write_columns};

use crate::plot::{Figure, Panel, Series};
use crate::range::colon_numbers;

/// Slater-integral scale when none is given (the customary 80 % of Hartree-Fock).
const DEFAULT_SLATER_SCALE: f64 = 0.8;
/// Lorentzian HWHM (eV) when none is given: the widths of the NiO reference spectra.
const DEFAULT_HWHM_XAS_EV: f64 = 0.24;
/// See [`DEFAULT_HWHM_XAS_EV`].
const DEFAULT_HWHM_XPS_EV: f64 = 0.5;
/// Lanczos steps of the XPS route (NiO: the broadened spectrum is within 2e-8 of its
/// maximum of the 1000-step one).
const XPS_LANCZOS_STEPS: usize = 150;
/// Sticks closer than this (eV) are merged into one.
const MERGE_TOL_EV: f64 = 1e-9;
/// Default grid: from this far (eV) below the first visible stick ...
const DEFAULT_GRID_BELOW_EV: f64 = 5.0;
/// ... to this far (eV) above the last one ...
const DEFAULT_GRID_ABOVE_EV: f64 = 10.0;
/// ... in steps of this size (eV).
const DEFAULT_GRID_STEP_EV: f64 = 0.05;
/// Sticks with at least this fraction of the strongest stick's weight are "visible": they
/// set the default grid and are drawn in the figure.
const VISIBLE_FRACTION: f64 = 1e-3;
/// Width of a stick in the figure, as a fraction of the energy range.
const STICK_WIDTH_FRACTION: f64 = 2e-3;

/// The spectrum to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpectrumKind {
    /// 2p (L2,3) X-ray absorption, 2p^6 3d^n -> 2p^5 3d^(n+1).
    Xas,
    /// 2p photoemission (sudden approximation), 2p^6 3d^n -> 2p^5 3d^n.
    Xps,
}

/// Polarisation of the incident X-rays (XAS only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolarizationArg {
    /// Isotropic (average over x, y, z).
    Iso,
    /// Linear along x.
    X,
    /// Linear along y.
    Y,
    /// Linear along z.
    Z,
    /// Circular, helicity +1.
    Left,
    /// Circular, helicity -1.
    Right,
    /// Circular dichroism, left - right (needs a field to be non-zero).
    Xmcd,
}

impl From<PolarizationArg> for Polarization {
    fn from(p: PolarizationArg) -> Self {
        match p {
            PolarizationArg::Iso => Polarization::Isotropic,
            PolarizationArg::X => Polarization::X,
            PolarizationArg::Y => Polarization::Y,
            PolarizationArg::Z => Polarization::Z,
            PolarizationArg::Left => Polarization::Left,
            PolarizationArg::Right => Polarization::Right,
            PolarizationArg::Xmcd => Polarization::Xmcd,
        }
    }
}

/// Arguments of `xas multiplet`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct MultipletArgs {
    /// TOML parameter file; its keys are the long option names below (`slater-scale =
    /// 0.8`, `ct = true`, `grid = "845:880:0.1"`). Options on the command line override it.
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    #[command(flatten)]
    options: Options,
}

/// Every option of `xas multiplet`, as given on the command line or in the parameter
/// file (absent: not given; defaults are applied when the two are combined).
#[derive(Debug, Clone, Default, PartialEq, Args, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Options {
    /// Ion: element Ti..Cu and charge, e.g. `Ni2+` (0-9 3d electrons).
    #[arg(long)]
    pub ion: Option<String>,
    /// Scale of the Hartree-Fock Slater integrals, 0..=1.5 [default: 0.8].
    #[arg(long, value_name = "S")]
    pub slater_scale: Option<f64>,
    /// Charge transfer to a ligand shell (`--ct`, or `--ct=false` to switch off a file's).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ct: Option<bool>,
    /// Charge-transfer energy Delta, eV (with --ct) [default: 4.7].
    #[arg(long, value_name = "EV")]
    pub delta: Option<f64>,
    /// 3d-3d Coulomb energy U_dd, eV [default: 7.3 with --ct, else 0].
    #[arg(long, value_name = "EV")]
    pub udd: Option<f64>,
    /// 2p-3d Coulomb energy U_pd, eV [default: 8.5 with --ct, else 0].
    #[arg(long, value_name = "EV")]
    pub upd: Option<f64>,
    /// Hybridisation of the eg orbitals V_eg, eV (with --ct) [default: 2.2].
    #[arg(long, value_name = "EV")]
    pub veg: Option<f64>,
    /// Hybridisation of the t2g orbitals V_t2g, eV (with --ct) [default: 1.1].
    #[arg(long, value_name = "EV")]
    pub vt2g: Option<f64>,
    /// Ligand crystal field 10Dq_L, eV (with --ct) [default: 0].
    #[arg(long, value_name = "EV")]
    pub tendq_l: Option<f64>,
    /// Most ligand holes kept, 1..=10-n (with --ct) [default: 2, or 10-n if fewer].
    #[arg(long, value_name = "N")]
    pub ligand_holes: Option<usize>,
    /// Octahedral crystal field 10Dq, eV [default: 0].
    #[arg(long, value_name = "EV")]
    pub tendq: Option<f64>,
    /// Tetragonal crystal field Ds, eV [default: 0].
    #[arg(long, value_name = "EV")]
    pub ds: Option<f64>,
    /// Tetragonal crystal field Dt, eV [default: 0].
    #[arg(long, value_name = "EV")]
    pub dt: Option<f64>,
    /// Exchange field on the 3d spin along z, B_z in eV (H += 2 B_z S_z) [default: 0].
    #[arg(long, value_name = "EV")]
    pub spin_field: Option<f64>,
    /// Added to the model's edge offset (tabulated 2p3/2 edge + zeta_2p/2), eV.
    #[arg(long, value_name = "EV")]
    pub edge_shift: Option<f64>,
    /// Spectrum [default: xas].
    #[arg(long, value_enum)]
    pub spectrum: Option<SpectrumKind>,
    /// Polarisation (XAS only) [default: iso].
    #[arg(long, value_enum)]
    pub polarization: Option<PolarizationArg>,
    /// Lorentzian HWHM, eV (L3 only when --l2-hwhm is given) [default: 0.24 XAS, 0.5 XPS].
    #[arg(long, value_name = "EV")]
    pub hwhm: Option<f64>,
    /// Gaussian resolution FWHM, eV [default: 0, none].
    #[arg(long, value_name = "EV")]
    pub gauss_fwhm: Option<f64>,
    /// Lorentzian HWHM above --l2-split (the L2 edge), eV; give both or neither.
    #[arg(long, value_name = "EV")]
    pub l2_hwhm: Option<f64>,
    /// Energy separating the L3 and L2 widths, eV.
    #[arg(long, value_name = "EV")]
    pub l2_split: Option<f64>,
    /// Temperature, K; 0 averages the degenerate ground manifold [default: 0].
    #[arg(long, value_name = "K")]
    pub temperature: Option<f64>,
    /// Energy grid START:STOP:STEP, eV [default: 5 eV below the first visible stick to
    /// 10 eV above the last, step 0.05 eV].
    #[arg(long, value_name = "START:STOP:STEP", allow_hyphen_values = true)]
    pub grid: Option<String>,
    /// Output CSV (`energy_eV,intensity`; parameters in `#` header lines).
    #[arg(short, long, value_name = "OUT.csv")]
    pub output: Option<PathBuf>,
    /// Also write the stick spectrum as CSV (`energy_eV,weight`).
    #[arg(long, value_name = "STICKS.csv")]
    pub sticks: Option<PathBuf>,
    /// Also draw the spectrum and its sticks (.svg or .png).
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    pub plot: Option<PathBuf>,
}

impl Options {
    /// These options, each one that is absent taken from `base`.
    fn or(self, base: Options) -> Options {
        Options {
            ion: self.ion.or(base.ion),
            slater_scale: self.slater_scale.or(base.slater_scale),
            ct: self.ct.or(base.ct),
            delta: self.delta.or(base.delta),
            udd: self.udd.or(base.udd),
            upd: self.upd.or(base.upd),
            veg: self.veg.or(base.veg),
            vt2g: self.vt2g.or(base.vt2g),
            tendq_l: self.tendq_l.or(base.tendq_l),
            ligand_holes: self.ligand_holes.or(base.ligand_holes),
            tendq: self.tendq.or(base.tendq),
            ds: self.ds.or(base.ds),
            dt: self.dt.or(base.dt),
            spin_field: self.spin_field.or(base.spin_field),
            edge_shift: self.edge_shift.or(base.edge_shift),
            spectrum: self.spectrum.or(base.spectrum),
            polarization: self.polarization.or(base.polarization),
            hwhm: self.hwhm.or(base.hwhm),
            gauss_fwhm: self.gauss_fwhm.or(base.gauss_fwhm),
            l2_hwhm: self.l2_hwhm.or(base.l2_hwhm),
            l2_split: self.l2_split.or(base.l2_split),
            temperature: self.temperature.or(base.temperature),
            grid: self.grid.or(base.grid),
            output: self.output.or(base.output),
            sticks: self.sticks.or(base.sticks),
            plot: self.plot.or(base.plot),
        }
    }

    /// Parses a TOML parameter file; errors name the file and line.
    pub fn from_toml(text: &str, path: &Path) -> Result<Options> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| format!(" line {}", text[..s.start].matches('\n').count() + 1));
            anyhow!(
                "{}{}: {}",
                path.display(),
                line.unwrap_or_default(),
                e.message().trim()
            )
        })
    }

    /// The name of the first charge-transfer-only option given, if any.
    fn first_ct_option(&self) -> Option<&'static str> {
        [
            ("delta", self.delta.is_some()),
            ("veg", self.veg.is_some()),
            ("vt2g", self.vt2g.is_some()),
            ("tendq-l", self.tendq_l.is_some()),
            ("ligand-holes", self.ligand_holes.is_some()),
        ]
        .into_iter()
        .find_map(|(name, given)| given.then_some(name))
    }

    fn spectrum_kind(&self) -> SpectrumKind {
        self.spectrum.unwrap_or(SpectrumKind::Xas)
    }
}

impl MultipletArgs {
    /// The command-line options over those of the parameter file, if any.
    fn combined_options(&self) -> Result<Options> {
        let Some(path) = &self.params else {
            return Ok(self.options.clone());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(self.options.clone().or(Options::from_toml(&text, path)?))
    }
}

/// A uniform energy grid as resolved (eV).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct GridSpec {
    start: f64,
    stop: f64,
    step: f64,
}

impl GridSpec {
    /// Parses `START:STOP:STEP`.
    fn parse(text: &str) -> Result<GridSpec> {
        let [start, stop, step] =
            colon_numbers("--grid", text, "START:STOP:STEP in eV", "845:880:0.1")?;
        let spec = GridSpec { start, stop, step };
        spec.points().with_context(|| format!("--grid `{text}`"))?;
        Ok(spec)
    }

    /// The default grid around the visible sticks (see [`Options::grid`]), on multiples
    /// of the step.
    fn around(sticks: &Sticks) -> Result<GridSpec> {
        let visible = visible_sticks(sticks);
        if visible.is_empty() {
            bail!("the model gives no transitions: nothing to broaden");
        }
        let (lo, hi) = visible
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(e, _)| {
                (lo.min(e), hi.max(e))
            });
        let step = DEFAULT_GRID_STEP_EV;
        // Multiples of the step, rounded to micro-eV so that they print as written.
        let on_step = |k: f64| (k * step * 1e6).round() / 1e6;
        Ok(GridSpec {
            start: on_step(((lo - DEFAULT_GRID_BELOW_EV) / step).floor()),
            stop: on_step(((hi + DEFAULT_GRID_ABOVE_EV) / step).ceil()),
            step,
        })
    }

    fn points(&self) -> Result<Vec<f64>> {
        Ok(uniform_grid(self.start, self.stop, self.step)?)
    }
}

/// How the spectrum is computed and broadened.
#[derive(Debug, Clone, Serialize)]
struct SpectrumSetup {
    kind: SpectrumKind,
    /// XAS only.
    polarization: Option<Polarization>,
    /// XPS only (Lanczos route).
    lanczos_steps: Option<usize>,
    initial_states: InitialStates,
    broadening: Broadening,
    /// Given with --grid; otherwise chosen around the sticks (the grid used is
    /// reported separately).
    #[serde(skip)]
    grid_ev: Option<GridSpec>,
}

/// Everything that defines one calculation: the options resolved with their defaults.
#[derive(Debug, Clone, Serialize)]
struct Setup {
    ion: String,
    parameters: ClusterParams,
    spectrum: SpectrumSetup,
}

impl Setup {
    /// Resolves and checks the options (cheap: nothing is diagonalised).
    fn new(o: &Options) -> Result<Setup> {
        let ion: Ion = o
            .ion
            .as_deref()
            .ok_or_else(|| {
                anyhow!("no ion: give --ion (e.g. Ni2+) or `ion` in the parameter file")
            })?
            .parse()?;
        let parameters = cluster_params(o, ion)?;
        Ok(Setup {
            ion: ion.to_string(),
            parameters,
            spectrum: spectrum_setup(o)?,
        })
    }
}

/// The model parameters: Hartree-Fock values of the ion, then the options.
fn cluster_params(o: &Options, ion: Ion) -> Result<ClusterParams> {
    let mut p = ClusterParams::for_ion(ion, o.slater_scale.unwrap_or(DEFAULT_SLATER_SCALE))?;
    p.charge_transfer = charge_transfer(o, ion)?;
    if p.charge_transfer.is_some() {
        let seed = ClusterParams::nio_seed_like();
        (p.u_dd, p.u_pd) = (seed.u_dd, seed.u_pd);
    }
    p.u_dd = o.udd.unwrap_or(p.u_dd);
    p.u_pd = o.upd.unwrap_or(p.u_pd);
    p.tendq = o.tendq.unwrap_or(p.tendq);
    p.ds = o.ds.unwrap_or(p.ds);
    p.dt = o.dt.unwrap_or(p.dt);
    p.spin_field_ev[1] = o.spin_field.unwrap_or(p.spin_field_ev[1]);
    p.edge_offset_ev += o.edge_shift.unwrap_or(0.0);
    p.validate()?;
    Ok(p)
}

/// Charge-transfer parameters (the NiO seed-like values unless given), or `None` without
/// `--ct`, when no charge-transfer-only option may be given.
fn charge_transfer(o: &Options, ion: Ion) -> Result<Option<ChargeTransfer>> {
    if !o.ct.unwrap_or(false) {
        if let Some(name) = o.first_ct_option() {
            bail!(
                "--{name} needs charge transfer: add --ct (or `ct = true` in the parameter file)"
            );
        }
        return Ok(None);
    }
    let seed = ClusterParams::nio_seed_like()
        .charge_transfer
        .ok_or_else(|| anyhow!("the NiO preset lacks charge-transfer values"))?;
    let room = 10 - ion.n_d();
    let max_ligand_holes = match o.ligand_holes {
        Some(n) if n == 0 || n > room => bail!(
            "--ligand-holes {n}: {ion} (3d{}) takes 1 to {room} ligand holes (3d shell full at 10)",
            ion.n_d()
        ),
        Some(n) => n,
        None => seed.max_ligand_holes.min(room),
    };
    Ok(Some(ChargeTransfer {
        delta: o.delta.unwrap_or(seed.delta),
        v_eg: o.veg.unwrap_or(seed.v_eg),
        v_t2g: o.vt2g.unwrap_or(seed.v_t2g),
        tendq_l: o.tendq_l.unwrap_or(seed.tendq_l),
        max_ligand_holes,
    }))
}

/// Spectrum kind, initial states, broadening and grid, checked.
fn spectrum_setup(o: &Options) -> Result<SpectrumSetup> {
    let kind = o.spectrum_kind();
    if kind == SpectrumKind::Xps && o.polarization.is_some() {
        bail!("--polarization applies to XAS only (XPS sums over all 2p orbitals)");
    }
    let default_hwhm = match kind {
        SpectrumKind::Xas => DEFAULT_HWHM_XAS_EV,
        SpectrumKind::Xps => DEFAULT_HWHM_XPS_EV,
    };
    let broadening = Broadening {
        hwhm_ev: o.hwhm.unwrap_or(default_hwhm),
        l2_hwhm_ev: o.l2_hwhm,
        l2_split_ev: o.l2_split,
        gauss_fwhm_ev: o.gauss_fwhm.unwrap_or(0.0),
    };
    // Checked now rather than after the diagonalisation.
    broadening.validate().context("line widths")?;
    Ok(SpectrumSetup {
        kind,
        polarization: (kind == SpectrumKind::Xas)
            .then(|| o.polarization.unwrap_or(PolarizationArg::Iso).into()),
        lanczos_steps: (kind == SpectrumKind::Xps).then_some(XPS_LANCZOS_STEPS),
        initial_states: InitialStates {
            temperature_k: o.temperature.unwrap_or(0.0),
            ..InitialStates::default()
        },
        broadening,
        grid_ev: o.grid.as_deref().map(GridSpec::parse).transpose()?,
    })
}

/// The computed ground state and spectrum.
struct Evaluation {
    ground: GroundState,
    sticks: Sticks,
    grid: GridSpec,
    energy_ev: Vec<f64>,
    intensity: Vec<f64>,
}

/// Ground state, sticks (merged) and the broadened spectrum.
fn evaluate(calc: &mut Calculator, setup: &Setup) -> Result<Evaluation> {
    let (p, s) = (&setup.parameters, &setup.spectrum);
    let ground = calc.ground_state(p, &s.initial_states)?;
    let states = &s.initial_states;
    let sticks = match s.kind {
        SpectrumKind::Xas => {
            let polarization = s.polarization.unwrap_or(Polarization::Isotropic);
            calc.xas_sticks(p, polarization, states)?
        }
        SpectrumKind::Xps => {
            let steps = s.lanczos_steps.unwrap_or(XPS_LANCZOS_STEPS);
            calc.xps_sticks_lanczos(p, states, steps)?
        }
    }
    .merged(MERGE_TOL_EV, 0.0);
    let grid = match s.grid_ev {
        Some(g) => g,
        None => GridSpec::around(&sticks)?,
    };
    let energy_ev = grid.points()?;
    let intensity = sticks.broaden(&energy_ev, &s.broadening)?;
    Ok(Evaluation {
        ground,
        sticks,
        grid,
        energy_ev,
        intensity,
    })
}

/// `(energy, weight)` of the sticks with at least [`VISIBLE_FRACTION`] of the largest
/// weight.
fn visible_sticks(sticks: &Sticks) -> Vec<(f64, f64)> {
    let max = sticks.weight.iter().copied().fold(0.0, f64::max);
    sticks
        .energy_ev
        .iter()
        .copied()
        .zip(sticks.weight.iter().copied())
        .filter(|&(_, w)| w > 0.0 && w >= VISIBLE_FRACTION * max)
        .collect()
}

/// Ground-state properties as reported: the lowest energy first.
#[derive(Debug, Serialize)]
struct GroundReport<'a> {
    energy_ev: f64,
    #[serde(flatten)]
    properties: &'a GroundState,
}

/// Wall-clock times (ms).
#[derive(Debug, Serialize)]
struct Timing {
    /// Building the Fock sectors and term matrices.
    compile: f64,
    /// Diagonalisation, sticks and broadening.
    evaluation: f64,
}

/// The files written.
#[derive(Debug, Serialize)]
struct Written {
    csv: String,
    sticks: Option<String>,
    plot: Option<String>,
}

/// The `--json` report.
#[derive(Debug, Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    setup: &'a Setup,
    grid_ev: GridSpec,
    points: usize,
    ground_state: GroundReport<'a>,
    timing_ms: Timing,
    outputs: Written,
}

/// Runs `xas multiplet`.
pub fn run(args: &MultipletArgs, json: bool) -> Result<()> {
    let options = args.combined_options()?;
    let setup = Setup::new(&options)?;
    let output = options
        .output
        .clone()
        .ok_or_else(|| anyhow!("no output: give -o OUT.csv or `output` in the parameter file"))?;
    let started = Instant::now();
    let mut calc = Calculator::new(&setup.parameters)?;
    let compile = elapsed_ms(started);
    let started = Instant::now();
    let eval = evaluate(&mut calc, &setup)?;
    let evaluation = elapsed_ms(started);
    let outputs = write_outputs(&setup, &eval, &output, &options)?;
    let report = Report {
        setup: &setup,
        grid_ev: eval.grid,
        points: eval.energy_ev.len(),
        ground_state: GroundReport {
            energy_ev: eval
                .ground
                .lowest_energies_ev
                .first()
                .copied()
                .unwrap_or(0.0),
            properties: &eval.ground,
        },
        timing_ms: Timing {
            compile,
            evaluation,
        },
        outputs,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// Writes the spectrum CSV and, if asked for, the sticks and the figure.
fn write_outputs(setup: &Setup, eval: &Evaluation, csv: &Path, o: &Options) -> Result<Written> {
    let header = header_lines(setup, eval.grid)?;
    write_columns(
        csv,
        &header,
        &["energy_eV", "intensity"],
        &[&eval.energy_ev, &eval.intensity],
        Delimiter::Comma,
    )?;
    if let Some(path) = &o.sticks {
        let mut header = header.clone();
        header.push(format!(
            "sticks: E_f - E_i and weight, merged within {MERGE_TOL_EV} eV"
        ));
        write_columns(
            path,
            &header,
            &["energy_eV", "weight"],
            &[&eval.sticks.energy_ev, &eval.sticks.weight],
            Delimiter::Comma,
        )?;
    }
    if let Some(path) = &o.plot {
        figure(setup, eval).save(path)?;
    }
    let show = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    Ok(Written {
        csv: csv.display().to_string(),
        sticks: show(&o.sticks),
        plot: show(&o.plot),
    })
}

/// `# key: value` header lines: every resolved parameter, flattened to dotted names.
fn header_lines(setup: &Setup, grid: GridSpec) -> Result<Vec<String>> {
    let mut lines = vec![format!(
        "xas multiplet: {} 2p {} from the {} model",
        setup.ion,
        kind_name(setup.spectrum.kind),
        model_name(&setup.parameters)
    )];
    flatten_json("", &serde_json::to_value(setup)?, &mut lines);
    flatten_json("grid_ev", &serde_json::to_value(grid)?, &mut lines);
    Ok(lines)
}

/// Appends `prefix.key: value` lines for every leaf of `value`; arrays of numbers become
/// space-separated lists, nested arrays compact JSON, `null` `none`.
fn flatten_json(prefix: &str, value: &Value, lines: &mut Vec<String>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                flatten_json(&join(key), v, lines);
            }
        }
        Value::Array(items) if items.iter().all(Value::is_number) => {
            let list: Vec<String> = items.iter().map(Value::to_string).collect();
            lines.push(format!("{prefix}: {}", list.join(" ")));
        }
        Value::Null => lines.push(format!("{prefix}: none")),
        Value::String(s) => lines.push(format!("{prefix}: {s}")),
        other => lines.push(format!("{prefix}: {other}")),
    }
}

fn kind_name(kind: SpectrumKind) -> &'static str {
    match kind {
        SpectrumKind::Xas => "XAS",
        SpectrumKind::Xps => "XPS",
    }
}

fn model_name(p: &ClusterParams) -> &'static str {
    if p.charge_transfer.is_some() {
        "charge-transfer cluster"
    } else {
        "crystal-field"
    }
}

/// The broadened spectrum with the visible sticks drawn as vertical lines, scaled so that
/// the strongest reaches the spectrum's maximum.
fn figure(setup: &Setup, eval: &Evaluation) -> Figure {
    let (lo, hi) = (eval.grid.start, eval.grid.stop);
    let sticks: Vec<(f64, f64)> = visible_sticks(&eval.sticks)
        .into_iter()
        .filter(|&(e, _)| (lo..=hi).contains(&e))
        .collect();
    let peak = eval.intensity.iter().copied().fold(0.0, f64::max);
    let strongest = sticks.iter().map(|s| s.1).fold(0.0, f64::max);
    let scale = if strongest > 0.0 {
        peak / strongest
    } else {
        1.0
    };
    // Sticks first, so that the spectrum is drawn over them.
    let mut series = Vec::new();
    if !sticks.is_empty() {
        let width = STICK_WIDTH_FRACTION * (hi - lo);
        let name = format!("sticks (x {scale:.3})");
        series.push(stick_series(&name, &sticks, scale, width));
    }
    series.push(Series::line("spectrum", &eval.energy_ev, &eval.intensity));
    let p = &setup.parameters;
    let x_label = match setup.spectrum.kind {
        SpectrumKind::Xas => "photon energy (eV)",
        SpectrumKind::Xps => "E_f - E_i, binding energy scale (eV)",
    };
    Figure {
        panels: vec![Panel {
            title: format!(
                "{} 2p {}, {} model, 10Dq {} eV",
                setup.ion,
                kind_name(setup.spectrum.kind),
                model_name(p),
                p.tendq
            ),
            x_label: x_label.into(),
            y_label: "intensity (per eV)".into(),
            series,
            markers: vec![],
        }],
    }
}

/// Sticks as one polyline along the baseline that draws each stick as a narrow bar
/// `width` wide up to its scaled weight (a bar rather than an up-and-down line, which
/// thick bitmap strokes render as dots).
fn stick_series(name: &str, sticks: &[(f64, f64)], scale: f64, width: f64) -> Series {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for &(e, w) in sticks {
        let h = w * scale;
        x.extend([e, e, e + width, e + width]);
        y.extend([0.0, h, h, 0.0]);
    }
    Series::line(name, &x, &y)
}

/// One line with the ground state, one with what was written.
fn print_text(r: &Report<'_>) {
    let g = r.ground_state.properties;
    let weights: Vec<String> = g
        .configuration_weights
        .iter()
        .map(|(n, w)| format!("d{n} {w:.4}"))
        .collect();
    println!(
        "{} ground state: E0 {:.4} eV, S {:.3}, <n_d> {:.4}, weights {}",
        r.setup.ion,
        r.ground_state.energy_ev,
        g.spin,
        g.n_d,
        weights.join(", ")
    );
    let files: Vec<&str> = [
        Some(&r.outputs.csv),
        r.outputs.sticks.as_ref(),
        r.outputs.plot.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect();
    println!(
        "{} {}: {} points {}..{} eV, wrote {} ({:.0} ms)",
        r.setup.ion,
        kind_name(r.setup.spectrum.kind),
        r.points,
        r.grid_ev.start,
        r.grid_ev.stop,
        files.join(", "),
        r.timing_ms.compile + r.timing_ms.evaluation
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip_through_toml() {
        let options = Options {
            ion: Some("Ni2+".into()),
            slater_scale: Some(0.8),
            ct: Some(true),
            delta: Some(4.7),
            ligand_holes: Some(2),
            tendq: Some(0.6),
            spectrum: Some(SpectrumKind::Xps),
            hwhm: Some(0.5),
            grid: Some("815:865:0.05".into()),
            output: Some("nio.csv".into()),
            ..Options::default()
        };
        let text = toml::to_string(&options).unwrap();
        assert!(text.contains("slater-scale = 0.8"), "{text}");
        assert_eq!(
            Options::from_toml(&text, Path::new("p.toml")).unwrap(),
            options
        );
    }

    #[test]
    fn file_errors_name_file_and_line() {
        let e = Options::from_toml("ion = \"Ni2+\"\nhwm = 0.3\n", Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml line 2: unknown field `hwm`"), "{e}");
        assert_eq!(e.lines().count(), 1);
    }

    #[test]
    fn command_line_overrides_file() {
        let cli = Options {
            tendq: Some(1.0),
            ..Options::default()
        };
        let file = Options {
            tendq: Some(0.6),
            ion: Some("Ni2+".into()),
            ..Options::default()
        };
        let both = cli.or(file);
        assert_eq!(both.tendq, Some(1.0));
        assert_eq!(both.ion.as_deref(), Some("Ni2+"));
    }

    #[test]
    fn grids_parse_and_fail_clearly() {
        let g = GridSpec::parse("845:880:0.1").unwrap();
        assert_eq!(g.points().unwrap().len(), 351);
        for bad in ["845:880", "a:b:c", "10:5:0.1", "0:1:0", "0:1:0.1:2"] {
            assert!(GridSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn charge_transfer_needs_ct() {
        let o = Options {
            ion: Some("Ni2+".into()),
            delta: Some(3.0),
            ..Options::default()
        };
        let e = Setup::new(&o).unwrap_err().to_string();
        assert!(e.contains("--delta needs charge transfer"), "{e}");
        let o = Options {
            ct: Some(true),
            ligand_holes: Some(3),
            ..o
        };
        let e = Setup::new(&o).unwrap_err().to_string();
        assert!(e.contains("1 to 2 ligand holes"), "{e}");
    }

    #[test]
    fn flattened_header_lists_leaves() {
        let mut lines = Vec::new();
        let v = serde_json::json!({"a": {"b": 1.5, "c": null}, "d": [0.0, 2.0], "e": "x"});
        flatten_json("", &v, &mut lines);
        assert_eq!(lines, ["a.b: 1.5", "a.c: none", "d: 0.0 2.0", "e: x"]);
    }
}
