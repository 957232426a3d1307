//! The NiO part of `docs/validation/bayes.md`: separate and joint Bayesian fits of the
//! synthetic model-B Ni 2p XAS and XPS spectra, the seed-form free-energy table, and a
//! figure of the marginal posteriors of the separate and joint fits.
//!
//! `cargo run --release -p xas-cli --example nio_fit_validation [RUNS_DIR]`
//! (default `target/nio-validation`; needs `../shared/data/multiplet/`). Runs whose
//! folder already holds `summary.json` are reused, so the figure and table can be redrawn
//! from the runs of `xas fit` (the three runs take about 25 minutes on two cores).
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use xas_bayes::models::nio::Spectroscopy;
use xas_bayes::posterior::{DataSet, Noise};
use xas_bayes::remc::RemcSettings;
use xas_cli::fit::{FitRun, ModelOptions, RunConfig};
use xas_cli::plot::{Figure, Panel, Series};

/// Parameters compared between the fits, with the truth of the meta file.
const SHARED: [(&str, f64); 5] = [
    ("Delta", 4.7),
    ("10Dq", 0.6),
    ("V", 2.2),
    ("U_dd", 7.3),
    ("U_dc", 8.5),
];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/multiplet")
}

/// Energy and noisy intensity columns of a synthetic spectrum.
fn read(kind: Spectroscopy, sigma: f64) -> (Spectroscopy, DataSet) {
    let path = data_dir().join(format!("synthetic_nio_modelB_{}_noisy.csv", kind.tag()));
    let text = std::fs::read_to_string(&path).unwrap();
    let (x, y): (Vec<f64>, Vec<f64>) = text
        .lines()
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.trim().parse().unwrap()).collect();
            (v[0], v[1])
        })
        .unzip();
    let name = path.display().to_string();
    (
        kind,
        DataSet::new(name, x, y, Noise::Gaussian { sigma }).unwrap(),
    )
}

/// Runs (or reuses) the fit of `data` in `dir`.
fn fit(dir: &Path, data: Vec<(Spectroscopy, DataSet)>) {
    if dir.join("summary.json").exists() {
        return;
    }
    let remc = RemcSettings {
        replicas: 16,
        burn_in: 2000,
        sweeps: 10_000,
        ..RemcSettings::default()
    };
    let config = RunConfig::new(data, None, remc, ModelOptions::default()).unwrap();
    let run = FitRun {
        dir,
        ext: "png",
        quiet: false,
    };
    run.start(&config).unwrap();
    run.execute(&config, None, (&AtomicBool::new(false), None))
        .unwrap();
}

/// Column `name` of a run's `samples.csv`.
fn column(dir: &Path, name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join("samples.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let j = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(j).unwrap().parse().unwrap())
        .collect()
}

/// Histogram of `v` on `[lo, hi]` normalised to unit area, as (centres, densities).
fn density(v: &[f64], lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let bins = 40;
    let w = (hi - lo) / bins as f64;
    let mut counts = vec![0.0; bins];
    for &x in v {
        let b = ((x - lo) / w).floor();
        if b >= 0.0 && (b as usize) < bins {
            counts[b as usize] += 1.0;
        }
    }
    let centres = (0..bins).map(|b| lo + (b as f64 + 0.5) * w).collect();
    let dens = counts.iter().map(|c| c / (v.len() as f64 * w)).collect();
    (centres, dens)
}

fn main() {
    let runs = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/nio-validation"), PathBuf::from);
    let xas = read(Spectroscopy::Xas, 0.02);
    let xps = read(Spectroscopy::Xps, 0.03);
    fit(&runs.join("xas"), vec![xas.clone()]);
    fit(&runs.join("xps"), vec![xps.clone()]);
    fit(&runs.join("joint"), vec![xas, xps]);

    // The seed's table: F of each fit and of the sum.
    let summaries: std::collections::BTreeMap<&str, serde_json::Value> = ["xas", "xps", "joint"]
        .into_iter()
        .map(|run| {
            let text = std::fs::read_to_string(runs.join(run).join("summary.json")).unwrap();
            (run, serde_json::from_str(&text).unwrap())
        })
        .collect();
    let f = |run: &str, est: &str| {
        let s = &summaries[run];
        (
            s["free_energy"][est]["value"].as_f64().unwrap(),
            s["free_energy"][est]["error"].as_f64().unwrap(),
        )
    };
    println!("| | F stepping-stone | F multiple histogram |\n|---|---|---|");
    for (label, run) in [("XPS", "xps"), ("XAS", "xas")] {
        let (a, b) = (f(run, "stepping_stone"), f(run, "wham"));
        println!(
            "| {label} | {:.2} ± {:.2} | {:.2} ± {:.2} |",
            a.0, a.1, b.0, b.1
        );
    }
    let sum = |est: &str| {
        let (a, b) = (f("xps", est), f("xas", est));
        (a.0 + b.0, a.1.hypot(b.1))
    };
    let (a, b) = (sum("stepping_stone"), sum("wham"));
    println!(
        "| XPS + XAS | {:.2} ± {:.2} | {:.2} ± {:.2} |",
        a.0, a.1, b.0, b.1
    );
    let (c, d) = (f("joint", "stepping_stone"), f("joint", "wham"));
    println!(
        "| joint | {:.2} ± {:.2} | {:.2} ± {:.2} |",
        c.0, c.1, d.0, d.1
    );

    // Posterior table and marginal densities.
    println!("\n| parameter | truth | XAS | XPS | joint |\n|---|---|---|---|---|");
    let mut panels = Vec::new();
    let mut params: Vec<(String, f64)> = SHARED.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    params.push(("Gamma_xas".into(), 0.24));
    params.push(("Gamma_xps".into(), 0.5));
    for (name, truth) in &params {
        let mut cells = Vec::new();
        let mut traces = Vec::new();
        for run in ["xas", "xps", "joint"] {
            let p = summaries[run]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name.as_str());
            match p {
                Some(p) => {
                    let (m, sd) = (p["mean"].as_f64().unwrap(), p["sd"].as_f64().unwrap());
                    cells.push(format!("{m:.3} ± {sd:.3} ({:+.1} sd)", (truth - m) / sd));
                    traces.push((run, column(&runs.join(run), name)));
                }
                None => cells.push("-".into()),
            }
        }
        println!("| {name} | {truth} | {} |", cells.join(" | "));
        let all: Vec<f64> = traces.iter().flat_map(|t| t.1.iter().copied()).collect();
        let lo = all
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .min(*truth);
        let hi = all
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .max(*truth);
        // One series per fit, empty where the fit lacks the parameter, so that each fit
        // keeps its colour in every panel.
        let mut series: Vec<Series> = ["xas", "xps", "joint"]
            .iter()
            .map(|run| match traces.iter().find(|t| t.0 == *run) {
                Some((_, t)) => {
                    let (x, y) = density(t, lo, hi);
                    Series::line(format!("{run} fit"), &x, &y)
                }
                None => Series::line(format!("{run} fit"), &[], &[]),
            })
            .collect();
        let top = series
            .iter()
            .flat_map(|s| s.y.iter().copied())
            .fold(0.0, f64::max);
        series.push(Series::dashed("truth", &[*truth, *truth], &[0.0, top]));
        panels.push(Panel {
            title: format!("{name}: marginal posterior"),
            x_label: format!("{name} (eV)"),
            y_label: "density".into(),
            series,
            markers: Vec::new(),
        });
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/validation/figures/bayes_nio_marginals.png");
    Figure { panels }.save(&out).unwrap();
    println!("\nwrote {}", out.display());
}
