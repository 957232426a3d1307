//! `xas normalize`: normalise spectra and write CSV, optionally with a plot.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;
use xas_core::Spectrum;
use xas_core::edge_step::{EdgeStep, EdgeStepParams, normalize_edge_step};
use xas_core::io::{Delimiter, write_columns};
use xas_core::normalize::{Normalization, normalize_values};

use crate::load::{ColumnArgs, file_stem_for, read_spectra};
use crate::plot::{Figure, Panel, Series};

/// Normalisation methods offered on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Edge-step normalisation (Larch `pre_edge` semantics).
    Edge,
    /// Divide by the maximum absolute value.
    Max,
    /// Divide by the trapezoid area over energy.
    Area,
    /// Divide by the Euclidean norm of the values.
    L2,
    /// Map the minimum to 0 and the maximum to 1.
    Minmax,
    /// Subtract the mean, divide by the standard deviation.
    Zscore,
}

/// Arguments of `xas normalize`.
#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// Input spectrum file.
    file: PathBuf,
    /// Output CSV. A file with several spectra gives one CSV per spectrum, named
    /// `<stem>_<label>.csv`.
    #[arg(short, long)]
    output: PathBuf,
    /// Normalisation method.
    #[arg(long, value_enum, default_value_t = Method::Edge)]
    method: Method,
    /// Also write a figure (.svg or .png; several spectra get `_<label>` suffixes).
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    edge: EdgeArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// Edge-step options (refused with the other methods).
#[derive(Debug, Args)]
struct EdgeArgs {
    /// Edge energy E0 in eV (default: from the derivative maximum).
    #[arg(long)]
    e0: Option<f64>,
    /// Pre-edge range start relative to E0, eV.
    #[arg(long, allow_hyphen_values = true)]
    pre1: Option<f64>,
    /// Pre-edge range end relative to E0, eV.
    #[arg(long, allow_hyphen_values = true)]
    pre2: Option<f64>,
    /// Post-edge range start relative to E0, eV.
    #[arg(long)]
    norm1: Option<f64>,
    /// Post-edge range end relative to E0, eV.
    #[arg(long)]
    norm2: Option<f64>,
    /// Degree of the post-edge polynomial (0-5).
    #[arg(long)]
    nnorm: Option<usize>,
    /// Write the flattened spectrum as the `norm` column.
    #[arg(long)]
    flat: bool,
}

impl EdgeArgs {
    /// The first edge-step option given, by its flag.
    fn first_given(&self) -> Option<&'static str> {
        [
            ("--e0", self.e0.is_some()),
            ("--pre1", self.pre1.is_some()),
            ("--pre2", self.pre2.is_some()),
            ("--norm1", self.norm1.is_some()),
            ("--norm2", self.norm2.is_some()),
            ("--nnorm", self.nnorm.is_some()),
            ("--flat", self.flat),
        ]
        .into_iter()
        .find_map(|(flag, given)| given.then_some(flag))
    }

    fn params(&self) -> EdgeStepParams {
        EdgeStepParams {
            e0_ev: self.e0,
            pre1_ev: self.pre1,
            pre2_ev: self.pre2,
            norm1_ev: self.norm1,
            norm2_ev: self.norm2,
            nnorm: self.nnorm,
            ..EdgeStepParams::default()
        }
    }
}

/// What was written for one spectrum.
#[derive(Debug, Serialize)]
struct Written {
    label: String,
    csv: String,
    plot: Option<String>,
    e0_ev: Option<f64>,
    edge_step: Option<f64>,
}

/// Runs `xas normalize`.
pub fn run(args: &NormalizeArgs, json: bool) -> Result<()> {
    if args.method != Method::Edge
        && let Some(flag) = args.edge.first_given()
    {
        bail!("{flag}: applies to --method edge only");
    }
    let (_, spectra) = read_spectra(&args.file, &args.columns)?;
    let several = spectra.len() > 1;
    let mut written = Vec::new();
    for (i, s) in spectra.iter().enumerate() {
        let label = s
            .meta
            .label
            .clone()
            .unwrap_or_else(|| format!("spectrum{i}"));
        let csv = suffixed(&args.output, several.then_some(&label));
        let plot = args
            .plot
            .as_ref()
            .map(|p| suffixed(p, several.then_some(&label)));
        let edge = match args.method {
            Method::Edge => Some(
                normalize_edge_step(s, &args.edge.params())
                    .with_context(|| format!("{}: spectrum `{label}`", args.file.display()))?,
            ),
            _ => None,
        };
        write_result(s, edge.as_ref(), args, &csv)?;
        if let Some(p) = &plot {
            let figure = match &edge {
                Some(edge) => edge_figure(s, edge, &label),
                None => {
                    let values = normalize_values(
                        s.energy_ev(),
                        s.intensity(),
                        simple_normalization(args.method)?,
                    )?;
                    simple_figure(s, &values, args.method, &label)
                }
            };
            figure.save(p)?;
        }
        written.push(Written {
            label,
            csv: csv.display().to_string(),
            plot: plot.map(|p| p.display().to_string()),
            e0_ev: edge.as_ref().map(|e| e.e0_ev),
            edge_step: edge.as_ref().map(|e| e.edge_step),
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&written)?);
    } else {
        for w in &written {
            let edge = match (w.e0_ev, w.edge_step) {
                (Some(e0), Some(step)) => format!(" (E0 {e0:.2} eV, edge step {step:.5})"),
                _ => String::new(),
            };
            println!("{}: wrote {}{edge}", w.label, w.csv);
            if let Some(p) = &w.plot {
                println!("{}: wrote {p}", w.label);
            }
        }
    }
    Ok(())
}

/// `out.csv` -> `out_<label>.csv` when a label is given.
fn suffixed(path: &Path, label: Option<&String>) -> PathBuf {
    match label {
        None => path.to_path_buf(),
        Some(label) => {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let ext = path.extension().map(|s| s.to_string_lossy().into_owned());
            let name = format!(
                "{}_{}{}",
                stem.unwrap_or_default(),
                file_stem_for(label),
                ext.map(|e| format!(".{e}")).unwrap_or_default()
            );
            path.with_file_name(name)
        }
    }
}

/// The `xas-core` normalisation of `method`; edge-step normalisation is not one.
pub(crate) fn simple_normalization(method: Method) -> Result<Normalization> {
    Ok(match method {
        Method::Max => Normalization::Max,
        Method::Area => Normalization::Area,
        Method::L2 => Normalization::L2,
        Method::Minmax => Normalization::MinMax,
        Method::Zscore => Normalization::StandardScore,
        Method::Edge => bail!("edge-step normalisation is not a simple normalisation"),
    })
}

fn write_result(
    s: &Spectrum,
    edge: Option<&EdgeStep>,
    args: &NormalizeArgs,
    csv: &Path,
) -> Result<()> {
    let e = s.energy_ev();
    let mu = s.intensity();
    let comments = vec![
        format!("source: {}", args.file.display()),
        format!("label: {}", s.meta.label.clone().unwrap_or_default()),
        format!("method: {:?}", args.method).to_lowercase(),
    ];
    match edge {
        Some(edge) => {
            let mut comments = comments;
            comments.push(format!("e0_eV: {}", edge.e0_ev));
            comments.push(format!("edge_step: {}", edge.edge_step));
            comments.push(format!(
                "pre_range_eV: {} {}",
                edge.pre_range_ev.0, edge.pre_range_ev.1
            ));
            comments.push(format!(
                "norm_range_eV: {} {}",
                edge.norm_range_ev.0, edge.norm_range_ev.1
            ));
            comments.push(format!("nnorm: {}", edge.nnorm));
            let norm = if args.edge.flat {
                &edge.flat
            } else {
                &edge.norm
            };
            write_columns(
                csv,
                &comments,
                &["energy_eV", "mu", "norm", "pre_edge", "post_edge", "flat"],
                &[e, mu, norm, &edge.pre_edge, &edge.post_edge, &edge.flat],
                Delimiter::Comma,
            )?;
        }
        None => {
            let norm = normalize_values(e, mu, simple_normalization(args.method)?)?;
            write_columns(
                csv,
                &comments,
                &["energy_eV", "mu", "norm"],
                &[e, mu, &norm],
                Delimiter::Comma,
            )?;
        }
    }
    Ok(())
}

fn raw_panel(s: &Spectrum, label: &str) -> Panel {
    Panel {
        title: format!("{label}: raw"),
        x_label: "energy (eV)".into(),
        y_label: "mu (raw)".into(),
        series: vec![Series::line("mu", s.energy_ev(), s.intensity())],
        markers: vec![],
    }
}

/// Raw mu with the pre-edge line, post-edge curve and E0 on top; the normalised and
/// flattened spectra below.
pub fn edge_figure(s: &Spectrum, edge: &EdgeStep, label: &str) -> Figure {
    let e = s.energy_ev();
    let mut raw = raw_panel(s, label);
    raw.series
        .push(Series::dashed("pre-edge line", e, &edge.pre_edge));
    raw.series
        .push(Series::dashed("post-edge curve", e, &edge.post_edge));
    raw.markers
        .push((edge.e0_ev, format!("E0 = {:.2} eV", edge.e0_ev)));
    let norm = Panel {
        title: format!("{label}: edge-step normalised (step {:.4})", edge.edge_step),
        x_label: "energy (eV)".into(),
        y_label: "normalised mu".into(),
        series: vec![
            Series::line("norm", e, &edge.norm),
            Series::line("flat", e, &edge.flat),
        ],
        markers: vec![(edge.e0_ev, "E0".into())],
    };
    Figure {
        panels: vec![raw, norm],
    }
}

/// Raw and normalised spectrum for the simple methods.
fn simple_figure(s: &Spectrum, values: &[f64], method: Method, label: &str) -> Figure {
    let norm = Panel {
        title: format!("{label}: normalised ({method:?})").to_lowercase(),
        x_label: "energy (eV)".into(),
        y_label: "normalised".into(),
        series: vec![Series::line("norm", s.energy_ev(), values)],
        markers: vec![],
    };
    Figure {
        panels: vec![raw_panel(s, label), norm],
    }
}
