//! The synthetic acceptance table of xas-cluster at full size (team notes, section
//! E): 1000 × 1000 pixels × 100 energies, 0.5 % minority in discs of radius 2-6 px
//! amid a continuum of mixtures and grains, sCMOS noise. For an easy (distinct) and a
//! hard (close to the majority end member A) minority on analytic K edges, and for
//! Fe L2,3 multiplet end members from cluster-model, at the published dose
//! (I0 = 27,000) and at a tenth of it, with the minority in the library or not:
//! minority recall and precision of xas-cluster (noise-aware filter), of the same
//! labels after the published 5 × 5 filter, and of mini-batch k-means with k = 5.
//! Prints a Markdown table (pasted into docs/validation/cluster.md).
//!
//! `cargo bench -p xas-benches --bench cluster_acceptance` (`XAS_SURVEY_STRIDE=N` to
//! survey every N-th row only, `XAS_SPLIT_PROBABILITY=P` for another false-split
//! probability).
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::time::Instant;

use xas_cli::cluster::fe_end_members;
use xas_cluster::kmeans::{KMeansSettings, minibatch_kmeans, standardised_pixels};
use xas_cluster::synth::{
    SceneSpec, SyntheticImage, TRUTH_MINORITY, k_edge_end_members, k_edge_grid,
};
use xas_cluster::{classify_to_map, minority_score, published_filter};
use xas_core::{SpectralImage, SpectralImageSource};

const SIDE: usize = 1000;

/// End members of a table row.
#[derive(Clone, Copy)]
enum Scene {
    /// Analytic K edges, a distinct minority.
    Easy,
    /// Analytic K edges, the minority 1 eV from end member A.
    Hard,
    /// Fe L2,3 crystal-field multiplet spectra from cluster-model (Fe2+ and Fe3+
    /// majorities, low-spin Fe2+ minority), 100 energies over 700-730 eV.
    FeL,
}

impl Scene {
    fn end_members(self) -> (Vec<f64>, [Vec<f64>; 4]) {
        match self {
            Scene::Easy | Scene::Hard => {
                let grid = k_edge_grid();
                let ends = k_edge_end_members(&grid, matches!(self, Scene::Hard));
                (grid, ends)
            }
            Scene::FeL => fe_end_members(100).unwrap(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scene::Easy => "easy",
            Scene::Hard => "hard",
            Scene::FeL => "Fe L (cluster-model)",
        }
    }
}

fn main() {
    let settings = xas_benches::cluster_settings(1);
    println!(
        "survey stride {} (every row surveyed at 1), split probability {}",
        settings.survey_stride, settings.split_probability
    );
    println!(
        "| minority | I0 | minority in library | phases | recall / precision | published filter | mini-batch k-means k = 5 | seconds |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for scene in [Scene::Easy, Scene::Hard, Scene::FeL] {
        for i0 in [27_000.0, 2_700.0] {
            let (grid, ends) = scene.end_members();
            let mut spec = SceneSpec::new(SIDE, SIDE, grid.clone(), ends, 7);
            spec.i0_counts = i0;
            let mut image = SyntheticImage::new(spec).unwrap();
            let truth: Vec<u16> = (0..SIDE).flat_map(|y| image.truth_row(y)).collect();
            let mut data = Vec::new();
            image.read_rows(0..SIDE, &mut data).unwrap();
            let mut memory = SpectralImage::new(SIDE, SIDE, grid, data).unwrap();
            let s = image.spec();
            let (signal, noise) = (s.signal(), s.noise);
            let z = standardised_pixels(&mut memory, &signal).unwrap();
            let km = minibatch_kmeans(&z, 100, &KMeansSettings::new(5)).unwrap();
            let km = minority_score(&km.predict(&z), &truth, TRUTH_MINORITY);
            drop(z);
            for with_minority in [true, false] {
                let refs = s.references(with_minority);
                let t = Instant::now();
                let (result, map) =
                    classify_to_map(&mut memory, &signal, noise, &refs, &settings, &mut |_| {
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                let seconds = t.elapsed().as_secs_f64();
                let ours = minority_score(&map.labels, &truth, TRUTH_MINORITY);
                let published =
                    minority_score(&published_filter(&map, 5, 2).labels, &truth, TRUTH_MINORITY);
                println!(
                    "| {} | {i0} | {} | {} | {:.3} / {:.3} | {:.3} / {:.3} | {:.3} / {:.3} | {seconds:.1} |",
                    scene.name(),
                    if with_minority { "yes" } else { "no" },
                    result.phases.len(),
                    ours.recall,
                    ours.precision,
                    published.recall,
                    published.precision,
                    km.recall,
                    km.precision
                );
            }
        }
    }
}
