//! `xas similarity`: distances between two spectra under one or all measures.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use xas_metrics::measures::Metric;
use xas_metrics::pair::CommonGrid;

use crate::load::{ColumnArgs, first_spectrum};
use crate::normalize::{Method, simple_normalization};

/// Arguments of `xas similarity`.
#[derive(Debug, Args)]
pub struct SimilarityArgs {
    /// First spectrum file (its point spacing sets the common grid).
    a: PathBuf,
    /// Second spectrum file.
    b: PathBuf,
    /// A measure name (see `xas estimate --help`), or `all`.
    #[arg(long, default_value = "all")]
    metric: String,
    /// Normalisation applied to both spectra on the common grid.
    #[arg(long, value_enum, default_value = "area")]
    normalization: Method,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// One measure's distance.
#[derive(Debug, Serialize)]
struct Row {
    metric: String,
    distance: f64,
}

/// Runs `xas similarity`.
///
/// # Errors
/// Unreadable files, an unknown measure, or spectra without a common energy range.
pub fn run(args: &SimilarityArgs, json: bool) -> Result<()> {
    let metrics: Vec<Metric> = if args.metric.eq_ignore_ascii_case("all") {
        Metric::ALL_DEFAULT.to_vec()
    } else {
        vec![Metric::from_name(&args.metric).context("--metric")?]
    };
    let a = first_spectrum(&args.a, &args.columns, "comparing")?;
    let b = first_spectrum(&args.b, &args.columns, "comparing")?;
    let common = CommonGrid::new(&a, &b, simple_normalization(args.normalization)?)
        .with_context(|| format!("{} vs {}", args.a.display(), args.b.display()))?;
    let rows: Vec<Row> = metrics
        .iter()
        .map(|m| {
            Ok(Row {
                metric: m.to_string(),
                distance: common.distance(m)?,
            })
        })
        .collect::<Result<_>>()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let e = &common.energy_ev;
    println!(
        "{} vs {}: {} points, {:.2}..{:.2} eV",
        args.a.display(),
        args.b.display(),
        e.len(),
        e[0],
        e[e.len() - 1]
    );
    for r in &rows {
        println!("  {:<20} {:.6e}", r.metric, r.distance);
    }
    Ok(())
}
