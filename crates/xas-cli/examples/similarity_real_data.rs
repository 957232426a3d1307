//! The real-data checks of `docs/validation/similarity.md`:
//! `cargo run --release -p xas-cli --example similarity_real_data`.
//! Needs `../shared/data/xas/` next to the workspace.
//!
//! 1. The Mn L2,3 EELS edge of an NMC cathode (Mn ~4+, energy axis off by ~10 eV)
//!    against the simulated Mn2+/3+/4+ library, with a shift search of +-15 eV.
//! 2. Valence of the measured Fe K (11 spectra, two sources) and Cu K HERFD
//!    (38 spectra, 7 compounds with replicates) references, each estimated from the
//!    others: leave-one-out, and leave-compound-out (all replicates of the query's
//!    compound removed, the honest test for a new sample).
#![allow(missing_docs, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xas_cli::estimate::nearest_panel;
use xas_cli::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
use xas_cli::plot::Figure;
use xas_core::SpectraMatrix;
use xas_core::io::{ColumnSelector, ReadOptions, read_file};
use xas_metrics::estimate::{EstimatorParams, SimilarityEstimator};
use xas_metrics::library::{FromFilesOptions, Library};
use xas_metrics::measures::Metric;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/xas")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn nmc() {
    let library = build_multiplet_library(&MultipletLibrarySpec::mn_seed(), |_, _| {
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let query = read_file(data().join("mn_l23_eels_nmc/Mn_edge.msa"))
        .unwrap()
        .remove(0);
    println!("\n### Mn L2,3 EELS of an NMC cathode (expected Mn4+)\n");
    println!("| measure | valence | p(Mn2+, Mn3+, Mn4+) | 10Dq (eV) | shift (eV) | nearest |");
    println!("|---|---|---|---|---|---|");
    let mut best = None;
    for metric in Metric::ALL_DEFAULT {
        let params = EstimatorParams {
            metric,
            shift_search_ev: Some((-15.0, 15.0, 0.1)),
            ..EstimatorParams::default()
        };
        let mut est = SimilarityEstimator::new(&library, params).unwrap();
        est.tune_default(&[1, 2, 3, 4, 6]).unwrap();
        let e = est.estimate(&query).unwrap();
        let p = |class: &str| {
            e.categorical[0]
                .probabilities
                .iter()
                .find(|(c, _)| c == class)
                .map_or(0.0, |x| x.1)
        };
        println!(
            "| {} | {} | {:.2}, {:.2}, {:.2} | {:.2} ± {:.2} | {:+.1} | {} |",
            metric,
            e.categorical[0].value,
            p("Mn2+"),
            p("Mn3+"),
            p("Mn4+"),
            e.numeric[0].value,
            e.numeric[0].uncertainty,
            e.shift_ev,
            est.names()[e.neighbours[0].index]
        );
        if metric == Metric::Manhattan {
            best = Some((e, est));
        }
    }
    let (e, est) = best.unwrap();
    let fig = Figure {
        panels: vec![
            nearest_panel(
                &est,
                &library,
                &query,
                &e,
                "NMC Mn L2,3 EELS",
                "NMC cathode Mn L2,3 EELS vs nearest simulated spectra (Manhattan)".into(),
                2,
            )
            .unwrap(),
        ],
    };
    for ext in ["svg", "png"] {
        fig.save(&root().join(format!("docs/validation/figures/similarity_nmc.{ext}")))
            .unwrap();
    }
}

/// One folder of reference files: how to read them, and `(file, valence, compound)`.
type ReferenceSet<'a> = (&'a str, ReadOptions, Vec<(&'a str, &'a str, &'a str)>);

/// Reference spectra of one edge with `valence` and `compound` labels.
struct References {
    library: SpectraMatrix,
}

fn references(sets: &[ReferenceSet], grid: (f64, f64, f64)) -> References {
    let tmp = std::env::temp_dir().join(format!("xas-real-data-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut merged: Option<SpectraMatrix> = None;
    let (mut valence, mut compound) = (Vec::new(), Vec::new());
    for (k, (folder, read, rows)) in sets.iter().enumerate() {
        let mut csv = String::from("file,valence,compound\n");
        for (file, v, c) in rows {
            writeln!(csv, "{file},{v},{c}").unwrap();
        }
        let labels = tmp.join(format!("labels{k}.csv"));
        std::fs::write(&labels, csv).unwrap();
        let files: Vec<PathBuf> = rows.iter().map(|r| data().join(folder).join(r.0)).collect();
        let options = FromFilesOptions {
            read: read.clone(),
            categorical: vec!["valence".into()],
            edge_step: true,
            grid: Some(grid),
            ..FromFilesOptions::default()
        };
        let lib = Library::from_files(&labels, &files, &options)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_spectra();
        valence.extend_from_slice(lib.categorical_label("valence").unwrap());
        compound.extend_from_slice(lib.categorical_label("compound").unwrap());
        let m = merged.get_or_insert_with(|| SpectraMatrix::new(lib.energy_ev().to_vec()).unwrap());
        for (name, row) in lib.names().iter().zip(lib.rows()) {
            m.push_row(name.clone(), row).unwrap();
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    let mut library = merged.unwrap();
    library.set_categorical_label("valence", valence).unwrap();
    library.set_categorical_label("compound", compound).unwrap();
    References { library }
}

impl References {
    /// Valence accuracy over all spectra, leaving out the query alone or its whole
    /// compound, with 1-NN, optionally with a +-3 eV shift search.
    fn accuracy(&self, metric: Metric, whole_compound: bool, search: bool) -> (f64, Vec<String>) {
        let params = EstimatorParams {
            metric,
            k: 1,
            shift_search_ev: search.then_some((-3.0, 3.0, 0.25)),
            ..EstimatorParams::default()
        };
        let est = SimilarityEstimator::new(&self.library, params).unwrap();
        let valence = self.library.categorical_label("valence").unwrap();
        let compound = self.library.categorical_label("compound").unwrap();
        let mut wrong = Vec::new();
        let scored: Vec<usize> = (0..valence.len())
            .filter(|&i| valence[i] != "other")
            .collect();
        for &i in &scored {
            let exclude: Vec<usize> = if whole_compound {
                (0..valence.len())
                    .filter(|&j| compound[j] == compound[i])
                    .collect()
            } else {
                vec![i]
            };
            let e = est
                .estimate_without(&self.library.spectrum(i).unwrap(), &exclude)
                .unwrap();
            let got = e.categorical.iter().find(|c| c.label == "valence").unwrap();
            if got.value != valence[i] {
                let nearest = compound[e.neighbours[0].index].clone();
                wrong.push(format!(
                    "{} ({}) -> {} ({nearest})",
                    compound[i], valence[i], got.value
                ));
            }
        }
        (1.0 - wrong.len() as f64 / scored.len() as f64, wrong)
    }

    fn report(&self, title: &str) {
        println!("\n### {title}\n");
        println!(
            "| measure | leave-one-out | leave-compound-out | leave-compound-out, ±3 eV search | misses (leave-compound-out) |"
        );
        println!("|---|---|---|---|---|");
        for metric in Metric::ALL_DEFAULT {
            let (loo, _) = self.accuracy(metric, false, false);
            let (lco, wrong) = self.accuracy(metric, true, false);
            let (lcs, _) = self.accuracy(metric, true, true);
            let mut misses = wrong.clone();
            misses.sort();
            misses.dedup();
            println!(
                "| {metric} | {loo:.2} | {lco:.2} | {lcs:.2} | {} |",
                misses.join("; ")
            );
        }
    }
}

fn fe() {
    let larch = ReadOptions {
        x_column: Some(ColumnSelector::Name("energy_cal_eV".into())),
        y_column: Some(ColumnSelector::Name("mu".into())),
        ..ReadOptions::default()
    };
    let xdi = ReadOptions {
        y_column: Some(ColumnSelector::Name("mutrans".into())),
        ..ReadOptions::default()
    };
    let refs = references(
        &[
            (
                "fe_k_oxyhydroxides_larch",
                larch,
                vec![
                    ("Fe__Fe_foil.dat", "0", "Fe metal"),
                    ("Fe__Ferrihydrite.dat", "3", "ferrihydrite"),
                    ("Fe__Goerthite.dat", "3", "goethite"),
                    ("Fe__Hematite.dat", "3", "hematite"),
                    ("Fe__Lepidocrocite.dat", "3", "lepidocrocite"),
                    ("FeO__FeO.dat", "2", "FeO"),
                ],
            ),
            (
                "xdi_fe_k_valence",
                xdi,
                vec![
                    ("fe_metal_rt.xdi", "0", "Fe metal"),
                    ("fe3c_rt.xdi", "other", "Fe3C"),
                    ("fen_rt.xdi", "other", "FeN"),
                    ("feo_rt1.xdi", "2", "FeO"),
                    ("fe2o3_rt.xdi", "3", "hematite"),
                ],
            ),
        ],
        (7100.0, 7180.0, 0.25),
    );
    refs.report("Fe K references: valence (0, 2, 3) by 1-NN; Fe3C and FeN kept in the library as `other`, not scored");
}

fn cu() {
    let folder = "cu_k_herfd_valence_larch";
    let mut rows = Vec::new();
    let names: Vec<String> = std::fs::read_dir(data().join(folder))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".dat"))
        .collect();
    let classes = [
        ("CuHERFD_CuFoil.", "0", "Cu metal"),
        ("CuHERFD_Cu_Foil.", "0", "Cu metal"),
        ("CuHERFD_Cu_I_O.", "1", "Cu2O"),
        ("CuHERFD_Cu2S.", "1", "Cu2S"),
        ("CuHERFD_Chalcopyrite.", "1", "CuFeS2"),
        ("CuHERFD_CuS.", "other", "CuS"),
        ("CuHERFD_nanoCuO.", "2", "nano-CuO"),
        ("CuHERFD_CuSO4.", "2", "CuSO4"),
    ];
    let mut sorted = names.clone();
    sorted.sort();
    for name in &sorted {
        let (_, v, c) = classes
            .iter()
            .find(|(prefix, _, _)| name.contains(prefix))
            .unwrap_or_else(|| panic!("unclassified {name}"));
        rows.push((name.as_str(), *v, *c));
    }
    let read = ReadOptions {
        x_column: Some(ColumnSelector::Name("energy_cal_eV".into())),
        y_column: Some(ColumnSelector::Name("mu".into())),
        ..ReadOptions::default()
    };
    let refs = references(&[(folder, read, rows)], (8970.0, 9030.0, 0.25));
    refs.report("Cu K HERFD references: valence (0, 1, 2) by 1-NN; CuS (mixed valence) kept as `other`, not scored");
}

fn main() {
    nmc();
    fe();
    cu();
}
