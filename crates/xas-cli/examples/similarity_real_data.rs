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

use xas_cli::estimate::nearest_panel;
use xas_cli::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
use xas_cli::plot::Figure;
use xas_core::SpectraMatrix;
use xas_core::io::{ColumnSelector, ReadOptions, read_file};
use xas_metrics::estimate::{EstimatorParams, SimilarityEstimator};
use xas_metrics::measures::Metric;

#[path = "real_data/mod.rs"]
mod real_data;

use real_data::{ReferenceSet, data, larch_columns, root};

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

/// Reference spectra of one edge with `valence` and `compound` labels.
struct References {
    library: SpectraMatrix,
}

fn references(sets: &[ReferenceSet], grid: (f64, f64, f64)) -> References {
    References {
        library: real_data::references(sets, grid),
    }
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
    let larch = larch_columns();
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
    let refs = References {
        library: real_data::cu_herfd(),
    };
    refs.report("Cu K HERFD references: valence (0, 1, 2) by 1-NN; CuS (mixed valence) kept as `other`, not scored");
}

fn main() {
    nmc();
    fe();
    cu();
}
