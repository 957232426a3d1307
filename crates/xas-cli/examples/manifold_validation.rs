//! The figures and tables of `docs/validation/manifold.md`:
//! `cargo run --release -p xas-cli --example manifold_validation`.
//! Needs `../shared/data/xas/` next to the workspace.
//!
//! 1. PCA, classical MDS and UMAP maps of the simulated Mn2+/3+/4+ L2,3 library
//!    (10Dq 0-2.5 eV), coloured by valence and by 10Dq, scored by trustworthiness and
//!    valence silhouette; UMAP's spread over seeds.
//! 2. The measured Mn L2,3 EELS edge of an NMC cathode placed on the UMAP map with
//!    `transform` after the similarity estimator's shift search.
//! 3. A densMAP map of the Mn library beside UMAP's, with the correlation of local
//!    radii between spectra and map.
//! 4. The same three maps of the 39 measured Cu K HERFD scans (seven compounds with
//!    replicates), scored by compound and valence silhouettes.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "real_data/mod.rs"]
mod real_data;

use std::ops::ControlFlow;

use real_data::{data, root};
use xas_cli::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
use xas_cli::map_compare::{ScoredMap, densmap_map, place_on_umap, three_maps};
use xas_cli::map_plot::{MapPlot, groups_by_category, groups_by_value};
use xas_core::io::read_file;
use xas_core::normalize::{Normalization, normalize_values};
use xas_manifold::quality::{self, labels_from_strings};
use xas_manifold::umap::{self, UmapParams};
use xas_manifold::{Dissimilarity, Vectors};
use xas_metrics::measures::Metric;

/// Writes `plot` as `docs/validation/figures/manifold_{name}.{svg,png}`.
fn save(plot: &MapPlot, name: &str) {
    for ext in ["svg", "png"] {
        plot.save(&root().join(format!("docs/validation/figures/manifold_{name}.{ext}")))
            .unwrap();
    }
}

fn points(map: &ScoredMap) -> Vec<(f64, f64)> {
    map.coords.chunks(2).map(|c| (c[0], c[1])).collect()
}

fn plot(map: &ScoredMap, what: &str, groups: Vec<xas_cli::map_plot::Group>) -> MapPlot {
    MapPlot {
        title: format!("{} map of the {what}", map.name),
        axes: (format!("{} 1", map.name), format!("{} 2", map.name)),
        groups,
        overlay: Vec::new(),
    }
}

fn table(maps: &[ScoredMap], k: usize, silhouette: &str, extra: Option<(&str, &[f64])>) {
    let (extra_name, extra_values) = extra.unwrap_or(("", &[]));
    let extra_head = if extra.is_some() {
        format!(" {extra_name} |")
    } else {
        String::new()
    };
    println!(
        "| method | trustworthiness (k = {k}) | silhouette ({silhouette}) |{extra_head} time |"
    );
    println!(
        "|---|---|---|{}---|",
        if extra.is_some() { "---|" } else { "" }
    );
    for (i, m) in maps.iter().enumerate() {
        let extra = extra_values
            .get(i)
            .map(|v| format!(" {v:.3} |"))
            .unwrap_or_default();
        println!(
            "| {} | {:.3} | {:.3} |{extra} {:.1} ms |",
            m.name,
            m.trustworthiness,
            m.silhouette,
            m.seconds * 1e3
        );
    }
}

/// densMAP of the Mn library against the UMAP map `umap_model`: scores, radius
/// correlations and the figure `mn_densmap_valence`.
fn densmap(
    vectors: &Vectors,
    classes: &[usize],
    valence: &[String],
    k: usize,
    umap_model: &umap::UmapModel,
) {
    let (map, model) = densmap_map(vectors, classes, k).unwrap();
    println!(
        "
densMAP: trustworthiness {:.3}, valence silhouette {:.3}, local-radius correlation {:.3} (UMAP {:.3})",
        map.trustworthiness,
        map.silhouette,
        model.radius_correlation().unwrap(),
        umap_model.radius_correlation().unwrap()
    );
    save(
        &plot(
            &map,
            "Mn L2,3 library",
            groups_by_category(&points(&map), valence),
        ),
        "mn_densmap_valence",
    );
}

fn mn() {
    let spec = MultipletLibrarySpec {
        gauss_fwhm_ev: Some(1.0),
        ..MultipletLibrarySpec::mn_seed()
    };
    let library = build_multiplet_library(&spec, |_, _| ControlFlow::Continue(())).unwrap();
    let energy = library.energy_ev().to_vec();
    let mut rows = Vec::new();
    for row in library.rows() {
        rows.extend(normalize_values(&energy, row, Normalization::Area).unwrap());
    }
    let valence = library.categorical_label("valence").unwrap().to_vec();
    let tendq = library.numeric_label("tendq_ev").unwrap().to_vec();
    let classes = labels_from_strings(&valence).0;
    let vectors = Vectors::new(Metric::Euclidean, &energy, &rows).unwrap();
    let k = 10;
    let (maps, model) = three_maps(&vectors, &classes, k, &UmapParams::default()).unwrap();

    println!(
        "\n### Simulated Mn L2,3 library ({} spectra x {} points, unit area, Euclidean)\n",
        library.n_spectra(),
        energy.len()
    );
    let continuity: Vec<f64> = maps
        .iter()
        .map(|m| quality::continuity((&vectors).into(), &m.coords, 2, k).unwrap())
        .collect();
    table(&maps, k, "valence", Some(("continuity", &continuity)));

    // UMAP's spread over seeds.
    let trust: Vec<f64> = (0..5)
        .map(|seed| {
            let params = UmapParams {
                seed,
                ..UmapParams::default()
            };
            let m = umap::fit_vectors(&vectors, &params).unwrap();
            quality::trustworthiness((&vectors).into(), m.embedding(), 2, k).unwrap()
        })
        .collect();
    let mean = trust.iter().sum::<f64>() / trust.len() as f64;
    let sd =
        (trust.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (trust.len() - 1) as f64).sqrt();
    println!(
        "\nUMAP trustworthiness over seeds 0-4: {mean:.3} ± {sd:.3} (min {:.3})",
        trust.iter().copied().fold(f64::INFINITY, f64::min)
    );

    for m in &maps {
        let pts = points(m);
        let name = m.name.to_lowercase();
        save(
            &plot(m, "Mn L2,3 library", groups_by_category(&pts, &valence)),
            &format!("mn_{name}_valence"),
        );
        save(
            &plot(
                m,
                "Mn L2,3 library",
                groups_by_value(&pts, "10Dq (eV)", &tendq),
            ),
            &format!("mn_{name}_tendq"),
        );
    }

    densmap(&vectors, &classes, &valence, k, &model);

    // The measured EELS edge on the UMAP map.
    let query = read_file(data().join("mn_l23_eels_nmc/Mn_edge.msa"))
        .unwrap()
        .remove(0);
    let placed = place_on_umap(&library, &model, &query, (-15.0, 15.0, 0.1)).unwrap();
    let umap_map = maps.iter().find(|m| m.name == "UMAP").unwrap();
    let mut by_distance: Vec<(f64, usize)> = umap_map
        .coords
        .chunks(2)
        .enumerate()
        .map(|(i, c)| ((c[0] - placed.coords[0]).hypot(c[1] - placed.coords[1]), i))
        .collect();
    by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
    let nearest: Vec<&str> = by_distance[..5]
        .iter()
        .map(|&(_, i)| library.names()[i].as_str())
        .collect();
    println!(
        "\nNMC Mn L2,3 EELS: shift {:+.1} eV, placed at ({:.2}, {:.2}) in {:.2} ms; five nearest map points: {}",
        placed.shift_ev,
        placed.coords[0],
        placed.coords[1],
        placed.transform_seconds * 1e3,
        nearest.join(", ")
    );
    let mut eels = plot(
        umap_map,
        "Mn L2,3 library with the NMC EELS edge",
        groups_by_category(&points(umap_map), &valence),
    );
    eels.overlay = vec![("NMC EELS".into(), (placed.coords[0], placed.coords[1]))];
    save(&eels, "mn_umap_eels");
}

fn cu() {
    let refs = real_data::cu_herfd();
    let compound = refs.categorical_label("compound").unwrap().to_vec();
    let valence = refs.categorical_label("valence").unwrap().to_vec();
    let vectors = Vectors::new(Metric::Euclidean, refs.energy_ev(), refs.as_slice()).unwrap();
    let k = 5;
    let (maps, _) = three_maps(
        &vectors,
        &labels_from_strings(&compound).0,
        k,
        &UmapParams::default(),
    )
    .unwrap();
    println!(
        "\n### Measured Cu K HERFD references ({} scans of {} compounds, edge-step normalised, 8970-9030 eV, Euclidean)\n",
        refs.n_spectra(),
        labels_from_strings(&compound).1.len()
    );
    // Valence silhouette over the scans with a definite valence (CuS excluded).
    let definite: Vec<usize> = (0..valence.len())
        .filter(|&i| valence[i] != "other")
        .collect();
    let valence_codes = labels_from_strings(
        &definite
            .iter()
            .map(|&i| valence[i].as_str())
            .collect::<Vec<_>>(),
    )
    .0;
    let by_valence: Vec<f64> = maps
        .iter()
        .map(|m| {
            let coords: Vec<f64> = definite
                .iter()
                .flat_map(|&i| [m.coords[2 * i], m.coords[2 * i + 1]])
                .collect();
            quality::silhouette_embedding(&coords, 2, &valence_codes).unwrap()
        })
        .collect();
    table(
        &maps,
        k,
        "compound",
        Some(("silhouette (valence, CuS excluded)", &by_valence)),
    );
    let in_space = quality::silhouette(
        Dissimilarity::Vectors(&vectors),
        &labels_from_strings(&compound).0,
    )
    .unwrap();
    println!("\nCompound silhouette in the spectra themselves (Euclidean): {in_space:.3}");
    let labels: Vec<String> = compound
        .iter()
        .zip(&valence)
        .map(|(c, v)| {
            if v == "other" {
                format!("{c} (mixed)")
            } else {
                format!("{c} ({v})")
            }
        })
        .collect();
    for m in &maps {
        save(
            &plot(
                m,
                "Cu K HERFD references",
                groups_by_category(&points(m), &labels),
            ),
            &format!("cu_{}", m.name.to_lowercase()),
        );
    }
}

fn main() {
    mn();
    cu();
}
