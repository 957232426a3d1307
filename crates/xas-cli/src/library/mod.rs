//! `xas library`: build labelled spectral libraries for similarity estimation, from
//! the multiplet model (`build`) or from measured reference files (`from-files`), and
//! describe them (`info`).

pub mod simulate;

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use xas_metrics::library::{FromFilesOptions, Library};

use crate::load::ColumnArgs;
use crate::range::{colon_numbers, value_list};
use simulate::{MultipletLibrarySpec, build_multiplet_library};

/// Arguments of `xas library`.
#[derive(Debug, Args)]
pub struct LibraryArgs {
    #[command(subcommand)]
    command: LibraryCommand,
}

#[derive(Debug, Subcommand)]
enum LibraryCommand {
    /// Simulate crystal-field multiplet L2,3 spectra of one element at several valences
    /// over a 10Dq scan (labels `valence`, e.g. `Mn3+`, and `tendq_ev`).
    Build(BuildArgs),
    /// Collect measured reference spectra and their labels (a CSV with a `file` or
    /// `name` column and one column per label) into a library.
    FromFiles(FromFilesArgs),
    /// Describe a library file: size, grid, labels, provenance.
    Info {
        /// Library file (`.lib`).
        library: PathBuf,
    },
}

/// Arguments of `xas library build`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct BuildArgs {
    /// Element, `Ti` ..= `Cu`.
    #[arg(long)]
    ion: String,
    /// Charges to simulate, comma-separated.
    #[arg(long, default_value = "2,3,4", value_delimiter = ',')]
    valences: Vec<usize>,
    /// 10Dq values, eV: START:STOP:STEP or a comma-separated list.
    #[arg(long, default_value = "0:2.5:0.1", allow_hyphen_values = true)]
    tendq: String,
    /// Energy grid START:STOP:STEP, eV [default: L3 edge - 7 eV to L2 edge + 12 eV,
    /// step 0.1 eV].
    #[arg(long, value_name = "START:STOP:STEP")]
    grid: Option<String>,
    /// Scale of the Hartree-Fock Slater integrals.
    #[arg(long, default_value_t = 0.8)]
    slater_scale: f64,
    /// Lorentzian HWHM at L3, eV [default: 0.2].
    #[arg(long, value_name = "EV")]
    hwhm: Option<f64>,
    /// Lorentzian HWHM at L2, eV [default: 0.4].
    #[arg(long, value_name = "EV")]
    l2_hwhm: Option<f64>,
    /// Gaussian resolution FWHM, eV [default: 0.3].
    #[arg(long, value_name = "EV")]
    gauss_fwhm: Option<f64>,
    /// Temperature, K (Boltzmann average of the 10 lowest states) [default: 300].
    #[arg(long, value_name = "K")]
    temperature: Option<f64>,
    /// Output library file.
    #[arg(short, long, value_name = "OUT.lib")]
    output: PathBuf,
    /// Also write the spectra as a CSV table (energy, one column per spectrum) and
    /// their labels next to it (`<stem>_labels.csv`).
    #[arg(long, value_name = "TABLE.csv")]
    table: Option<PathBuf>,
}

/// Arguments of `xas library from-files`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct FromFilesArgs {
    /// Labels CSV: a `file` (or `name`) column matched against the file names, one
    /// column per label.
    #[arg(long, value_name = "LABELS.csv")]
    labels: PathBuf,
    /// Spectrum files, one spectrum each.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Label columns to treat as categories even if numeric (e.g. an oxidation state).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    categorical: Vec<String>,
    /// Keep only these label columns [default: all].
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Edge-step normalise every spectrum first (K-edge XANES; Larch pre_edge defaults).
    #[arg(long)]
    edge_step: bool,
    /// Common grid START:STOP:STEP, eV [default: overlap of the files, median step].
    #[arg(long, value_name = "START:STOP:STEP")]
    grid: Option<String>,
    #[command(flatten)]
    columns_in_files: ColumnArgs,
    /// Output library file.
    #[arg(short, long, value_name = "OUT.lib")]
    output: PathBuf,
}

/// What a library holds, as printed by `xas library info` (and after building).
#[derive(Debug, Serialize)]
pub struct LibrarySummary {
    /// Library file.
    pub path: String,
    /// Spectra.
    pub spectra: usize,
    /// Grid points.
    pub points: usize,
    /// Grid range, eV.
    pub energy_range_ev: (f64, f64),
    /// Numeric labels with their ranges.
    pub numeric_labels: Vec<(String, f64, f64)>,
    /// Categorical labels with their classes and counts.
    pub categorical_labels: Vec<(String, Vec<(String, usize)>)>,
    /// Provenance entries.
    pub provenance: Vec<(String, String)>,
}

impl LibrarySummary {
    /// Summarises `library`, stored at `path`.
    pub fn of(library: &Library, path: &Path) -> Self {
        let m = library.spectra();
        let e = m.energy_ev();
        let numeric_labels = m
            .numeric_label_names()
            .map(|n| {
                let v = m.numeric_label(n).unwrap_or_default();
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (n.to_string(), lo, hi)
            })
            .collect();
        let categorical_labels = m
            .categorical_label_names()
            .map(|n| {
                let mut counts: Vec<(String, usize)> = Vec::new();
                for c in m.categorical_label(n).unwrap_or_default() {
                    match counts.iter_mut().find(|(k, _)| k == c) {
                        Some(entry) => entry.1 += 1,
                        None => counts.push((c.clone(), 1)),
                    }
                }
                (n.to_string(), counts)
            })
            .collect();
        LibrarySummary {
            path: path.display().to_string(),
            spectra: m.n_spectra(),
            points: m.n_points(),
            energy_range_ev: (e[0], e[e.len() - 1]),
            numeric_labels,
            categorical_labels,
            provenance: library.provenance().to_vec(),
        }
    }

    fn print(&self, json: bool) -> Result<()> {
        if json {
            println!("{}", serde_json::to_string_pretty(self)?);
            return Ok(());
        }
        println!(
            "{}: {} spectra x {} points, {:.2}..{:.2} eV",
            self.path, self.spectra, self.points, self.energy_range_ev.0, self.energy_range_ev.1
        );
        for (n, lo, hi) in &self.numeric_labels {
            println!("  numeric label {n}: {lo} .. {hi}");
        }
        for (n, counts) in &self.categorical_labels {
            let list: Vec<String> = counts.iter().map(|(c, k)| format!("{c} ({k})")).collect();
            println!("  categorical label {n}: {}", list.join(", "));
        }
        for (k, v) in &self.provenance {
            println!("  {k}: {v}");
        }
        Ok(())
    }
}

/// Runs `xas library`.
///
/// # Errors
/// Bad arguments, unreadable inputs or failed computations, with the option or file
/// named.
pub fn run(args: &LibraryArgs, json: bool) -> Result<()> {
    match &args.command {
        LibraryCommand::Build(a) => build(a, json),
        LibraryCommand::FromFiles(a) => from_files(a, json),
        LibraryCommand::Info { library } => {
            let lib = Library::load(library)?;
            LibrarySummary::of(&lib, library).print(json)
        }
    }
}

fn build(args: &BuildArgs, json: bool) -> Result<()> {
    let spec = MultipletLibrarySpec {
        element: args.ion.trim().to_string(),
        valences: args.valences.clone(),
        tendq_ev: value_list("--tendq", &args.tendq)?,
        grid_ev: args
            .grid
            .as_deref()
            .map(|g| -> Result<Vec<f64>> {
                let [a, b, c] = colon_numbers("--grid", g, "START:STOP:STEP in eV", "632:662:0.1")?;
                xas_core::grid::uniform_grid(a, b, c).with_context(|| format!("--grid `{g}`"))
            })
            .transpose()?,
        slater_scale: args.slater_scale,
        hwhm_ev: args.hwhm,
        l2_hwhm_ev: args.l2_hwhm,
        gauss_fwhm_ev: args.gauss_fwhm,
        temperature_k: args.temperature,
    };
    let start = Instant::now();
    let show_progress = !json && std::io::stderr().is_terminal();
    let matrix = build_multiplet_library(&spec, |done, total| {
        if show_progress {
            eprint!("\rsimulating {done}/{total}");
            if done == total {
                eprintln!();
            }
        }
        ControlFlow::Continue(())
    })?;
    let library = Library::new(matrix)?
        .with_provenance(
            "generator",
            format!("xas library build (xas-cli {})", env!("CARGO_PKG_VERSION")),
        )
        .with_provenance(
            "model",
            "cluster-model crystal-field multiplet, Oh, isotropic 2p XAS",
        )
        .with_provenance("spec", format!("{spec:?}"));
    save(&library, &args.output, args.table.as_deref())?;
    if show_progress {
        eprintln!("built in {:.1} s", start.elapsed().as_secs_f64());
    }
    LibrarySummary::of(&library, &args.output).print(json)
}

fn from_files(args: &FromFilesArgs, json: bool) -> Result<()> {
    let options = FromFilesOptions {
        read: args.columns_in_files.read_options(),
        categorical: args.categorical.clone(),
        columns: args.columns.clone(),
        edge_step: args.edge_step,
        grid: args
            .grid
            .as_deref()
            .map(|g| colon_numbers("--grid", g, "START:STOP:STEP in eV", "7100:7200:0.5"))
            .transpose()?
            .map(|[a, b, c]| (a, b, c)),
        ..FromFilesOptions::default()
    };
    let library = Library::from_files(&args.labels, &args.files, &options)?;
    save(&library, &args.output, None)?;
    LibrarySummary::of(&library, &args.output).print(json)
}

/// Saves the library, and optionally its table and labels CSVs.
fn save(library: &Library, path: &Path, table: Option<&Path>) -> Result<()> {
    library.save(path)?;
    if let Some(table) = table {
        library.write_table(table)?;
        let stem = table.file_stem().map(|s| s.to_string_lossy().into_owned());
        library.write_labels(
            table.with_file_name(format!("{}_labels.csv", stem.unwrap_or_default())),
        )?;
    }
    Ok(())
}
