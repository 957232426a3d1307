//! Demo stage `manifold`: seeds 000 and 002 in miniature. The Mn2+/3+/4+
//! crystal-field library (10Dq 0-2.5 eV in 0.1 eV steps) is mapped by PCA, classical
//! MDS and UMAP; each map is scored by trustworthiness and by the silhouette of the
//! valence labels; and the measured Mn L2,3 EELS edge of an NMC cathode, aligned by the
//! similarity estimator's shift search, is placed on the UMAP map with `transform`.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::json;
use xas_core::io::{ReadOptions, read_bytes};
use xas_core::normalize::{Normalization, normalize_values};
use xas_manifold::mds::ClassicalMds;
use xas_manifold::pca::{Pca, PcaParams};
use xas_manifold::quality;
use xas_manifold::umap::{self, UmapParams};
use xas_manifold::{Dissimilarity, Vectors};
use xas_metrics::estimate::{EstimatorParams, SimilarityEstimator};
use xas_metrics::measures::Metric;

use super::Report;
use crate::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
use crate::map_plot::{MapPlot, groups_by_category};

const EELS_FILE: &str = "nmc_mn_l23_eels.msa";
const EELS: &[u8] = include_bytes!("../../demo-data/nmc_mn_l23_eels.msa");
/// Gaussian resolution of the library (eV FWHM), matched to the EELS spectrometer.
const EELS_RESOLUTION_FWHM_EV: f64 = 1.0;
/// Neighbourhood of the quality measures.
const K: usize = 10;

/// One map and its scores.
struct Scored {
    name: &'static str,
    coords: Vec<f64>,
    trust: f64,
    silhouette: f64,
    seconds: f64,
}

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
    let classes: Vec<usize> = valence
        .iter()
        .map(|v| usize::from(v == "Mn3+") + 2 * usize::from(v == "Mn4+"))
        .collect();
    let vectors = Vectors::new(Metric::Euclidean, &energy, &rows)?;
    let space = Dissimilarity::Vectors(&vectors);

    let mut maps = Vec::new();
    let score = |name, coords: Vec<f64>, seconds| -> Result<Scored> {
        let r = quality::report(space, &coords, 2, K, Some(&classes), None)?;
        Ok(Scored {
            name,
            coords,
            trust: r.trustworthiness,
            silhouette: r.silhouette.unwrap_or(f64::NAN),
            seconds,
        })
    };
    let t = Instant::now();
    let pca = Pca::fit(&rows, energy.len(), &PcaParams::default())?;
    let coords = pca.transform(&rows)?;
    maps.push(score("PCA", coords, t.elapsed().as_secs_f64())?);
    let t = Instant::now();
    let mds = ClassicalMds::fit(&vectors.distance_matrix()?, 2)?;
    maps.push(score(
        "MDS",
        mds.coords().to_vec(),
        t.elapsed().as_secs_f64(),
    )?);
    let t = Instant::now();
    let model = umap::fit_vectors(&vectors, &UmapParams::default())?;
    maps.push(score(
        "UMAP",
        model.embedding().to_vec(),
        t.elapsed().as_secs_f64(),
    )?);

    // The EELS edge: energy shift from the similarity estimator, then transform.
    let query = read_bytes(EELS, Path::new(EELS_FILE), &ReadOptions::default())?
        .into_iter()
        .next()
        .context("no spectrum in the embedded EELS file")?;
    let params = EstimatorParams {
        metric: Metric::Manhattan,
        shift_search_ev: Some((-15.0, 15.0, 0.1)),
        ..EstimatorParams::default()
    };
    let est = SimilarityEstimator::new(&library, params)?;
    let shift = est.estimate(&query)?.shift_ev;
    let aligned = est
        .query_on_grid(&query, shift)?
        .context("the EELS spectrum does not cover the library grid")?;
    let t = Instant::now();
    let placed = model.transform(&aligned)?;
    let transform_ms = t.elapsed().as_secs_f64() * 1e3;
    let nearest = nearest_point(model.embedding(), &placed);

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
            m.trust,
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
        "\nThe measured NMC cathode Mn L2,3 EELS edge (shifted by {shift:+.1} eV, found by the similarity search) placed on \
         the UMAP map by `transform` in {transform_ms:.1} ms lands next to **{}** (expected Mn ~4+).",
        library.names()[nearest]
    ));
    for m in &maps {
        report.result(
            &m.name.to_lowercase(),
            json!({"trustworthiness": m.trust, "silhouette_valence": m.silhouette, "seconds": m.seconds, "k": K}),
        );
    }
    report.result(
        "nmc_eels_on_umap",
        json!({"x": placed[0], "y": placed[1], "nearest": library.names()[nearest], "shift_ev": shift}),
    );
    Ok(())
}

/// Index of the map point nearest to `p`.
fn nearest_point(coords: &[f64], p: &[f64]) -> usize {
    coords
        .chunks(2)
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            let da = (a[0] - p[0]).hypot(a[1] - p[1]);
            let db = (b[0] - p[0]).hypot(b[1] - p[1]);
            da.total_cmp(&db)
        })
        .map_or(0, |(i, _)| i)
}
