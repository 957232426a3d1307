//! Demo stage `normalization`: reads Fe K-edge spectra in XDI and Athena formats,
//! finds E0 and the edge step, normalises them and shows the chemical shift of the edge
//! with oxidation state.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use xas_core::Spectrum;
use xas_core::edge_step::{EdgeStep, EdgeStepParams, normalize_edge_step};
use xas_core::io::{Delimiter, ReadOptions, read_bytes, write_columns};

use super::Report;
use crate::normalize::edge_figure;
use crate::plot::{Figure, Panel, Series};

/// An embedded input: file name, bytes and the nominal Fe oxidation state.
struct Sample {
    file: &'static str,
    bytes: &'static [u8],
    valence: &'static str,
}

macro_rules! sample {
    ($file:literal, $valence:literal) => {
        Sample {
            file: $file,
            bytes: include_bytes!(concat!("../../demo-data/", $file)),
            valence: $valence,
        }
    };
}

const SAMPLES: &[Sample] = &[
    sample!("fe_metal_rt.xdi", "0"),
    sample!("fe3c_rt.xdi", "~0 (carbide)"),
    sample!("fen_rt.xdi", "nitride"),
    sample!("feo_rt1.xdi", "+2"),
    sample!("fe2o3_rt.xdi", "+3"),
    sample!("FeO.prj", "+2"),
];

/// XANES window shown in the overlay figure, relative to 7112 eV (Fe K edge).
const XANES_WINDOW_EV: (f64, f64) = (7090.0, 7200.0);

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    report.md("\n## Edge-step normalisation (xas-core)\n");
    report
        .md("Fe K-edge spectra read from XDI files and an Athena project; E0 from the derivative");
    report.md("maximum, pre-edge line, post-edge polynomial and edge step with Larch `pre_edge` semantics.\n");
    report.md(
        "| file | label | nominal Fe valence | points | E0 (eV) | edge step | post-edge degree |",
    );
    report.md("|---|---|---|---|---|---|---|");
    let mut overlay = Panel {
        title: "Fe K-edge XANES, edge-step normalised".into(),
        x_label: "energy (eV)".into(),
        y_label: "normalised mu".into(),
        ..Panel::default()
    };
    let mut rows = Vec::new();
    for sample in SAMPLES {
        let spectra = read_bytes(
            sample.bytes,
            Path::new(sample.file),
            &ReadOptions::default(),
        )
        .with_context(|| format!("reading embedded {}", sample.file))?;
        for s in &spectra {
            let label = s.meta.label.clone().unwrap_or_else(|| sample.file.into());
            let edge = normalize_edge_step(s, &EdgeStepParams::default())
                .with_context(|| format!("normalising {label}"))?;
            write_normalized(report, sample.file, s, &edge)?;
            report.md(format!(
                "| {} | {label} | {} | {} | {:.2} | {:.4} | {} |",
                sample.file,
                sample.valence,
                s.len(),
                edge.e0_ev,
                edge.edge_step,
                edge.nnorm
            ));
            let (x, y) = window(s.energy_ev(), &edge.flat);
            overlay.series.push(Series::line(
                format!("{label} ({})", sample.valence),
                &x,
                &y,
            ));
            if sample.file == "fe2o3_rt.xdi" {
                let path = report.file("fe2o3_edge_step.svg")?;
                edge_figure(s, &edge, &label).save(&path)?;
            }
            rows.push(json!({"file": sample.file, "label": label, "e0_ev": edge.e0_ev, "edge_step": edge.edge_step}));
        }
    }
    let figure = Figure {
        panels: vec![overlay],
    };
    figure.save(&report.file("fe_k_xanes.svg")?)?;
    figure.save(&report.file("fe_k_xanes.png")?)?;
    report.md(format!(
        "\n![Fe K XANES]({}) ![Fe2O3 edge step]({})\n",
        report.link("fe_k_xanes.svg"),
        report.link("fe2o3_edge_step.svg")
    ));
    let e0_of = |file: &str| {
        rows.iter()
            .find(|r| r["file"] == file)
            .and_then(|r| r["e0_ev"].as_f64())
            .unwrap_or(f64::NAN)
    };
    let foil = e0_of("fe_metal_rt.xdi");
    report.md(format!(
        "Result: {} spectra normalised; E0 shift from the Fe foil: FeO (+2) {:+.1} eV, Fe2O3 (+3) {:+.1} eV. \
         `feo_rt1.xdi` and `FeO.prj` hold the same measurement in two formats: their E0 differ by {:.3} eV.",
        rows.len(),
        e0_of("feo_rt1.xdi") - foil,
        e0_of("fe2o3_rt.xdi") - foil,
        (e0_of("feo_rt1.xdi") - e0_of("FeO.prj")).abs()
    ));
    report.result("spectra", json!(rows));
    Ok(())
}

/// Writes `<stem>_<label>.csv` with energy, raw mu, norm and flat.
fn write_normalized(report: &Report, file: &str, s: &Spectrum, edge: &EdgeStep) -> Result<()> {
    let stem = Path::new(file)
        .file_stem()
        .map_or(file.into(), |s| s.to_string_lossy().into_owned());
    let label = s.meta.label.as_deref().unwrap_or("spectrum");
    let label = crate::load::file_stem_for(label);
    let name = if label == stem {
        format!("{stem}.csv")
    } else {
        format!("{stem}_{label}.csv")
    };
    write_columns(
        &report.file(&name)?,
        &[
            format!("source: {file} (embedded)"),
            format!("e0_eV: {}", edge.e0_ev),
            format!("edge_step: {}", edge.edge_step),
        ],
        &["energy_eV", "mu", "norm", "flat"],
        &[s.energy_ev(), s.intensity(), &edge.norm, &edge.flat],
        Delimiter::Comma,
    )?;
    Ok(())
}

/// The points of `(energy, y)` inside [`XANES_WINDOW_EV`].
fn window(energy_ev: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    energy_ev
        .iter()
        .zip(y)
        .filter(|(e, _)| (XANES_WINDOW_EV.0..=XANES_WINDOW_EV.1).contains(*e))
        .map(|(e, v)| (*e, *v))
        .unzip()
}
