//! Demo stage `manifold`: seeds 000 and 002 in miniature. The Mn2+/3+/4+
//! crystal-field library (10Dq 0-2.5 eV in 0.1 eV steps) is mapped by PCA, classical
//! MDS and UMAP; each map is scored by trustworthiness and by the silhouette of the
//! valence labels; and the measured Mn L2,3 EELS edge of an NMC cathode, aligned by the
//! similarity estimator's shift search, is placed on the UMAP map with `transform`.
//! A densMAP map of the same library shows what keeping local density changes.

use std::ops::ControlFlow;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use xas_core::io::{ReadOptions, read_bytes};
use xas_core::normalize::{Normalization, normalize_values};
use xas_manifold::Vectors;
use xas_manifold::quality::labels_from_strings;
use xas_manifold::umap::UmapParams;
use xas_metrics::measures::Metric;

use super::Report;
use crate::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
use crate::map_compare::{densmap_map, place_on_umap, three_maps};
use crate::map_plot::{MapPlot, groups_by_category};

const EELS_FILE: &str = "nmc_mn_l23_eels.msa";
const EELS: &[u8] = include_bytes!("../../demo-data/nmc_mn_l23_eels.msa");
/// Gaussian resolution of the library (eV FWHM), matched to the EELS spectrometer.
const EELS_RESOLUTION_FWHM_EV: f64 = 1.0;
/// Neighbourhood of the quality measures.
const K: usize = 10;

/// Runs the stage.
pub fn run(report: &mut Report) -> Result<()> {
    let spec = MultipletLibrarySpec {
        gauss_fwhm_ev: Some(EELS_RESOLUTION_FWHM_EV),
        ..MultipletLibrarySpec::mn_seed()
    };
    let library = build_multiplet_library(&spec, |_, _| ControlFlow::Continue(()))?;
    let energy = library.energy_ev().to_vec();
    let mut rows = Vec::with_capacity(library.as_slice().len());
    for row in library.rows() {
        rows.extend(normalize_values(&energy, row, Normalization::Area)?);
    }
    let valence = library
        .categorical_label("valence")
        .context("library has no valence label")?
        .to_vec();
    let vectors = Vectors::new(Metric::Euclidean, &energy, &rows)?;
    let labels = labels_from_strings(&valence).0;
    let (mut maps, model) = three_maps(&vectors, &labels, K, &UmapParams::default())?;
    let (dense_map, dense_model) = densmap_map(&vectors, &labels, K)?;
    let (umap_radii, dense_radii) = (
        model.radius_correlation()?,
        dense_model.radius_correlation()?,
    );
    maps.push(dense_map);

    // The EELS edge: energy shift from the similarity estimator, then transform.
    let query = read_bytes(EELS, Path::new(EELS_FILE), &ReadOptions::default())?
        .into_iter()
        .next()
        .context("no spectrum in the embedded EELS file")?;
    let placed = place_on_umap(&library, &model, &query, (-15.0, 15.0, 0.1))?;
    let (shift, nearest) = (placed.shift_ev, placed.nearest);
    let transform_ms = placed.transform_seconds * 1e3;
    let placed = placed.coords;

    report.md("\n## Maps of spectra (xas-manifold)\n");
    report.md(format!(
        "The {} spectra of the Mn L2,3 library (Mn2+, Mn3+, Mn4+; 10Dq 0-2.5 eV in 0.1 eV steps; unit area; Euclidean), \
         mapped in 2-D. Trustworthiness at k = {K} (1 = every map neighbour is a true neighbour) and silhouette of the \
         valence classes in the map (1 = compact, separated classes):\n",
        library.n_spectra()
    ));
    report.md("| method | trustworthiness | silhouette (valence) | time |\n|---|---|---|---|");
    for m in &maps {
        report.md(format!(
            "| {} | {:.3} | {:.3} | {:.0} ms |",
            m.name,
            m.trustworthiness,
            m.silhouette,
            m.seconds * 1e3
        ));
    }
    for m in &maps {
        let points: Vec<(f64, f64)> = m.coords.chunks(2).map(|c| (c[0], c[1])).collect();
        let overlay = if m.name == "UMAP" {
            vec![(String::from("NMC EELS"), (placed[0], placed[1]))]
        } else {
            Vec::new()
        };
        let plot = MapPlot {
            title: format!("{} map of the Mn L2,3 library", m.name),
            axes: (format!("{} 1", m.name), format!("{} 2", m.name)),
            groups: groups_by_category(&points, &valence),
            overlay,
        };
        let file = format!("{}.svg", m.name.to_lowercase());
        plot.save(&report.file(&file)?)?;
        plot.save(&report.file(&format!("{}.png", m.name.to_lowercase()))?)?;
        report.md(format!("\n![{} map]({})", m.name, report.link(&file)));
    }
    report.md(format!(
        "\ndensMAP also keeps each spectrum's local radius (how far its nearest library neighbours are): the correlation \
         of log local radii between spectra and map is {dense_radii:.2} against {umap_radii:.2} for UMAP."
    ));
    report.md(format!(
        "\nThe measured NMC cathode Mn L2,3 EELS edge (shifted by {shift:+.1} eV, found by the similarity search) placed on \
         the UMAP map by `transform` in {transform_ms:.1} ms lands next to **{}** (expected Mn ~4+).",
        library.names()[nearest]
    ));
    for m in &maps {
        report.result(
            &m.name.to_lowercase(),
            json!({"trustworthiness": m.trustworthiness, "silhouette_valence": m.silhouette, "seconds": m.seconds, "k": K}),
        );
    }
    report.result(
        "local_radius_correlation",
        json!({"umap": umap_radii, "densmap": dense_radii}),
    );
    report.result(
        "nmc_eels_on_umap",
        json!({"x": placed[0], "y": placed[1], "nearest": library.names()[nearest], "shift_ev": shift}),
    );
    Ok(())
}
