//! `xas deconvolve`: peaks of a spectrum with the number of peaks (and, unless given,
//! the noise level) chosen by the Bayes free energy, sampled by replica exchange.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde_json::json;
use xas_bayes::evidence::Bootstrap;
use xas_bayes::models::deconvolution::{self, DeconvolutionSettings, PeakFit};
use xas_bayes::models::peaks::{Background, Shape};
use xas_bayes::remc::{Progress, RemcSettings};
use xas_core::io::write_atomic;

use crate::load::{ColumnArgs, first_spectrum};
use crate::plot::{Figure, Panel, Series};

/// Peak shape on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShapeArg {
    /// Gaussian.
    Gauss,
    /// Lorentzian.
    Lorentz,
    /// Pseudo-Voigt (a mixing parameter per peak).
    Pvoigt,
}

impl From<ShapeArg> for Shape {
    fn from(s: ShapeArg) -> Shape {
        match s {
            ShapeArg::Gauss => Shape::Gaussian,
            ShapeArg::Lorentz => Shape::Lorentzian,
            ShapeArg::Pvoigt => Shape::PseudoVoigt,
        }
    }
}

/// Background on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackgroundArg {
    /// Peaks alone.
    None,
    /// A constant level `bg0`.
    Constant,
    /// A straight line `bg0 + bg1 (x - x_mid)` about the middle of the data.
    Linear,
}

impl From<BackgroundArg> for Background {
    fn from(b: BackgroundArg) -> Background {
        match b {
            BackgroundArg::None => Background::None,
            BackgroundArg::Constant => Background::Constant,
            BackgroundArg::Linear => Background::Linear,
        }
    }
}

/// Arguments of `xas deconvolve`.
#[derive(Debug, Args)]
pub struct DeconvolveArgs {
    /// Spectrum file (two columns x, y; or any format `xas info` reads).
    #[arg(long)]
    input: PathBuf,
    /// Numbers of peaks to compare: a range `1..6` or a list `2,3,4`.
    #[arg(long, default_value = "1..4")]
    peaks: String,
    /// Peak shape.
    #[arg(long, value_enum, default_value = "gauss")]
    shape: ShapeArg,
    /// Background under the peaks (compare choices by their free energies).
    #[arg(long, value_enum, default_value = "none")]
    background: BackgroundArg,
    /// Known noise standard deviation (intensity units); estimated from the free energy
    /// when omitted.
    #[arg(long)]
    sigma: Option<f64>,
    /// Replicas (rungs of the temperature ladder).
    #[arg(long, default_value_t = 32)]
    replicas: usize,
    /// Burn-in sweeps per number of peaks.
    #[arg(long, default_value_t = 2000)]
    burn_in: usize,
    /// Recorded sweeps per number of peaks.
    #[arg(long, default_value_t = 4000)]
    sweeps: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder.
    #[arg(short = 'o', long)]
    out: PathBuf,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// Parses `1..6` (inclusive) or `2,3,4`.
fn parse_peaks(text: &str) -> Result<Vec<usize>> {
    let bad = || {
        anyhow::anyhow!("--peaks: expected a range like 1..6 or a list like 2,3,4, got `{text}`")
    };
    let ks: Vec<usize> = if let Some((a, b)) = text.split_once("..") {
        let (a, b): (usize, usize) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        (a..=b).collect()
    } else {
        text.split(',')
            .map(|s| s.trim().parse().map_err(|_| bad()))
            .collect::<Result<_>>()?
    };
    if ks.is_empty() || ks.contains(&0) {
        bail!("--peaks: numbers of peaks must be at least 1, got `{text}`");
    }
    Ok(ks)
}

/// Prints every tenth of each fit on standard error.
fn progress_printer(quiet: bool) -> impl FnMut(usize, &Progress) -> ControlFlow<()> {
    move |k, p| {
        let tenth = (p.total / 10).max(1);
        if !quiet && (p.sweep % tenth == 0 || p.sweep == p.total) {
            let phase = p.phase.label();
            eprintln!(
                "K = {k}: sweep {}/{} ({phase}), acceptance {:.2}, swaps {:.2}",
                p.sweep, p.total, p.acceptance, p.swap_rate
            );
        }
        ControlFlow::Continue(())
    }
}

/// Runs `xas deconvolve`.
///
/// # Errors
/// An unreadable file, bad settings, or a failed fit.
pub fn run(args: &DeconvolveArgs, json: bool) -> Result<()> {
    let s = &first_spectrum(&args.input, &args.columns, "deconvolving")?;
    if let Some(sigma) = args.sigma
        && !(sigma.is_finite() && sigma > 0.0)
    {
        bail!("--sigma must be > 0, got {sigma}");
    }
    let settings = DeconvolutionSettings {
        shape: args.shape.into(),
        background: args.background.into(),
        peaks: parse_peaks(&args.peaks)?,
        sigma: args.sigma,
        remc: RemcSettings {
            replicas: args.replicas,
            burn_in: args.burn_in,
            sweeps: args.sweeps,
            seed: args.seed,
            ..RemcSettings::default()
        },
        bootstrap: Bootstrap::default(),
    };
    let name = args.input.display().to_string();
    let (x, y) = (s.energy_ev(), s.intensity());
    let fits = deconvolution::deconvolve(&name, x, y, &settings, &mut progress_printer(json))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let best = write_outputs(&args.out, x, y, &fits)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary_json(&fits, best))?
        );
    } else {
        print!("{}", selection_table(&fits, best));
        println!("results in {}", args.out.display());
    }
    Ok(())
}

/// The model-selection table as text.
pub fn selection_table(fits: &[PeakFit], best: usize) -> String {
    let mut t = String::from("   K   F stepping-stone      F WHAM               sigma\n");
    for f in fits {
        let mark = if f.n_peaks == best {
            "  <- selected"
        } else {
            ""
        };
        t.push_str(&format!(
            "{:4}  {:9.2} ± {:5.2}   {:9.2} ± {:5.2}   {:.4}{mark}\n",
            f.n_peaks, f.free_energy, f.error, f.free_energy_wham, f.error_wham, f.sigma
        ));
    }
    t
}

fn summary_json(fits: &[PeakFit], best: usize) -> serde_json::Value {
    json!({ "selected_peaks": best, "fits": fits })
}

/// Writes `model_selection.csv`, `summary.json`, `fit.svg` (data, best fit, peaks,
/// background and residual) and `free_energy.svg` (F against K) into `dir`; returns the selected K.
///
/// # Errors
/// No fits, or a failed write.
pub fn write_outputs(dir: &Path, x: &[f64], y: &[f64], fits: &[PeakFit]) -> Result<usize> {
    let Some(best) = deconvolution::best(fits) else {
        bail!("no fits to report");
    };
    let mut csv =
        String::from("n_peaks,free_energy,error,free_energy_wham,error_wham,sigma,min_swap_rate\n");
    for f in fits {
        let min_swap = f.statistics.swap_rates.iter().copied().fold(1.0, f64::min);
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            f.n_peaks, f.free_energy, f.error, f.free_energy_wham, f.error_wham, f.sigma, min_swap
        ));
    }
    write_atomic(&dir.join("model_selection.csv"), csv.as_bytes())?;
    let summary = serde_json::to_string_pretty(&summary_json(fits, best.n_peaks))?;
    write_atomic(&dir.join("summary.json"), summary.as_bytes())?;

    let parts = deconvolution::components(best, x)?;
    let residual: Vec<f64> = y.iter().zip(&parts.total).map(|(a, b)| a - b).collect();
    let mut series = vec![
        Series::line("data", x, y),
        Series::dashed(format!("fit, K = {}", best.n_peaks), x, &parts.total),
    ];
    // Peaks are drawn on the background so that they sit under the data.
    series.extend(parts.peaks.iter().enumerate().map(|(i, p)| {
        let on_background: Vec<f64> = p
            .iter()
            .zip(&parts.background)
            .map(|(a, b)| a + b)
            .collect();
        Series::dashed(format!("peak {}", i + 1), x, &on_background)
    }));
    if best.background != Background::None {
        series.push(Series::dashed("background", x, &parts.background));
    }
    let fit = Figure {
        panels: vec![
            Panel {
                title: format!("Highest-posterior fit with {} peaks", best.n_peaks),
                x_label: "x".into(),
                y_label: "intensity".into(),
                series,
                markers: Vec::new(),
            },
            Panel {
                title: format!("Residual (noise level {:.4})", best.sigma),
                x_label: "x".into(),
                y_label: "data - fit".into(),
                series: vec![Series::line("residual", x, &residual)],
                markers: Vec::new(),
            },
        ],
    };
    fit.save(&dir.join("fit.svg"))?;
    let ks: Vec<f64> = fits.iter().map(|f| f.n_peaks as f64).collect();
    let f_ss: Vec<f64> = fits.iter().map(|f| f.free_energy).collect();
    let f_wh: Vec<f64> = fits.iter().map(|f| f.free_energy_wham).collect();
    let free = Figure {
        panels: vec![Panel {
            title: "Bayes free energy against the number of peaks".into(),
            x_label: "number of peaks K".into(),
            y_label: "F(K) (nats)".into(),
            series: vec![
                Series::line("stepping-stone", &ks, &f_ss),
                Series::dashed("multiple histogram", &ks, &f_wh),
            ],
            markers: Vec::new(),
        }],
    };
    free.save(&dir.join("free_energy.svg"))?;
    Ok(best.n_peaks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_lists_and_ranges_parse() {
        assert_eq!(parse_peaks("1..4").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(parse_peaks("2, 5").unwrap(), vec![2, 5]);
        assert!(parse_peaks("0..2").is_err());
        assert!(parse_peaks("a").is_err());
    }
}
