//! `xas info`: what is in a spectrum file.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use xas_core::edge_step::{EdgeStepParams, normalize_edge_step};

use crate::load::{ColumnArgs, read_spectra};

/// Arguments of `xas info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Spectrum files (XDI, column text/CSV, Athena .prj, EMSA .msa).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    columns: ColumnArgs,
}

/// One line of the report: one spectrum.
#[derive(Debug, Serialize)]
struct InfoRow {
    file: String,
    format: String,
    label: String,
    element: Option<String>,
    edge: Option<String>,
    points: usize,
    energy_min_ev: f64,
    energy_max_ev: f64,
    e0_ev: Option<f64>,
    edge_step: Option<f64>,
    /// What the reader changed (sorting, merged duplicates, derived columns) and why no
    /// edge step could be found, if so.
    notes: Vec<String>,
}

/// Runs `xas info`.
pub fn run(args: &InfoArgs, json: bool) -> Result<()> {
    let mut rows = Vec::new();
    for file in &args.files {
        let (format, spectra) = read_spectra(file, &args.columns)?;
        for s in spectra {
            let (lo, hi) = s.energy_range_ev();
            let edge = normalize_edge_step(&s, &EdgeStepParams::default());
            rows.push(InfoRow {
                file: file.display().to_string(),
                format: format.to_string(),
                label: s.meta.label.clone().unwrap_or_default(),
                element: s.meta.element.clone(),
                edge: s.meta.edge.clone(),
                points: s.len(),
                energy_min_ev: lo,
                energy_max_ev: hi,
                e0_ev: edge.as_ref().ok().map(|e| e.e0_ev),
                edge_step: edge.as_ref().ok().map(|e| e.edge_step),
                notes: s
                    .meta
                    .history
                    .iter()
                    .cloned()
                    .chain(edge.err().map(|e| format!("no edge step: {e}")))
                    .collect(),
            });
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print_table(&rows);
    }
    Ok(())
}

fn print_table(rows: &[InfoRow]) {
    println!(
        "{:<28} {:<16} {:<24} {:>4} {:>4} {:>6} {:>10} {:>10} {:>10} {:>11}",
        "file",
        "format",
        "label",
        "elem",
        "edge",
        "points",
        "E_min/eV",
        "E_max/eV",
        "E0/eV",
        "edge step"
    );
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    for r in rows {
        let name = std::path::Path::new(&r.file)
            .file_name()
            .map_or(r.file.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "{:<28} {:<16} {:<24} {:>4} {:>4} {:>6} {:>10.2} {:>10.2} {:>10} {:>11}",
            name,
            r.format,
            r.label,
            opt(&r.element),
            opt(&r.edge),
            r.points,
            r.energy_min_ev,
            r.energy_max_ev,
            r.e0_ev.map_or("-".into(), |v| format!("{v:.2}")),
            r.edge_step.map_or("-".into(), |v| format!("{v:.5}")),
        );
        for note in &r.notes {
            println!("    note: {note}");
        }
    }
}
