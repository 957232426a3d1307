//! Demo stage `cluster`: seed 004 (section 3.3) in miniature. A synthetic Fe L2,3
//! image (crystal-field multiplet end members: a continuum of Fe2+/Fe3+ mixtures,
//! Fe3+ grains and a 0.5 % minority of low-spin Fe2+ in small discs, sCMOS noise at
//! the published dose) is classified with no library at all; the published 5 x 5
//! filter and mini-batch k-means (k = 5) run on the same image for comparison.

use std::ops::ControlFlow;
use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use xas_cluster::kmeans::{KMeansSettings, minibatch_kmeans, standardised_pixels};
use xas_cluster::synth::{SceneSpec, SyntheticImage, TRUTH_MINORITY};
use xas_cluster::{
    ClusterSettings, MinorityScore, classify_to_map, minority_score, published_filter,
};

use super::Report;
use crate::cluster::fe_end_members;
use crate::phase_map_plot::PhaseMapPlot;

/// Image side (px) and energies of the demo scene.
const SIDE: usize = 300;
const ENERGIES: usize = 60;

fn line(name: &str, s: &MinorityScore) -> String {
    format!(
        "| {name} | {} | {:.3} | {:.3} |\n",
        s.clusters, s.recall, s.precision
    )
}

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    let (grid, ends) = fe_end_members(ENERGIES)?;
    let spec = SceneSpec::new(SIDE, SIDE, grid, ends, 2024);
    let signal = spec.signal();
    let noise = spec.noise;
    let mut image = SyntheticImage::new(spec)?;
    let truth: Vec<u16> = (0..SIDE).flat_map(|y| image.truth_row(y)).collect();
    let t = Instant::now();
    let (result, map) = classify_to_map(
        &mut image,
        &signal,
        noise,
        &[],
        &ClusterSettings::default(),
        &mut |_| ControlFlow::Continue(()),
    )?;
    let seconds = t.elapsed().as_secs_f64();
    let ours = minority_score(&map.labels, &truth, TRUTH_MINORITY);
    let published = minority_score(&published_filter(&map, 5, 2).labels, &truth, TRUTH_MINORITY);
    let data = standardised_pixels(&mut image, &signal)?;
    let kmeans = minibatch_kmeans(&data, ENERGIES, &KMeansSettings::new(5))?;
    let km = minority_score(&kmeans.predict(&data), &truth, TRUTH_MINORITY);

    let names: Vec<String> = result
        .phases
        .iter()
        .map(|p| format!("phase {} ({:.2} %)", p.id, 100.0 * p.fraction))
        .collect();
    PhaseMapPlot {
        title: "Phases found (no library)".into(),
        width: SIDE,
        height: SIDE,
        labels: &map.labels,
        names,
    }
    .save(&report.file("phase_map.png")?)?;
    let truth_names = [
        "Fe2+-rich mixture",
        "Fe3+-rich mixture",
        "Fe3+ grains",
        "minority (low-spin Fe2+)",
    ]
    .map(String::from)
    .to_vec();
    PhaseMapPlot {
        title: "Truth".into(),
        width: SIDE,
        height: SIDE,
        labels: &truth,
        names: truth_names,
    }
    .save(&report.file("truth_map.png")?)?;

    report.md("\n## Spectral-image clustering (xas-cluster)\n");
    report.md(format!(
        "Synthetic Fe L2,3 image, {SIDE} x {SIDE} pixels x {ENERGIES} energies, 0.5 % minority in \
         discs of radius 2-6 px, I0 27,000 counts with sCMOS noise; classified with **no library** in \
         {seconds:.2} s ({:.2} Mpixel/s): {} phases from {} discovered sites.\n",
        (SIDE * SIDE) as f64 / seconds / 1e6,
        result.phases.len(),
        result.discovered_sites
    ));
    report.md("| method | clusters | minority recall | minority precision |\n|---|---|---|---|");
    let mut table = line("xas-cluster (noise-aware filter)", &ours);
    table.push_str(&line("same, published 5 x 5 filter", &published));
    table.push_str(&line("mini-batch k-means, k = 5", &km));
    report.md(table);
    report.md(format!(
        "![phase map]({}) ![truth]({})",
        report.link("phase_map.png"),
        report.link("truth_map.png")
    ));
    report.result("phases", json!(result.phases.len()));
    report.result("minority_recall", json!(ours.recall));
    report.result("minority_precision", json!(ours.precision));
    report.result("published_filter_recall", json!(published.recall));
    report.result("kmeans5_recall", json!(km.recall));
    report.result("pixels_per_second", json!((SIDE * SIDE) as f64 / seconds));
    Ok(())
}
