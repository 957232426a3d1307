//! xas-cluster against scikit-learn's MiniBatchKMeans, and the streamed scale run.
//!
//! 1. **Same 10⁶ pixels** (1000 × 1000 × 100, analytic K-edge end members, 0.5 %
//!    minority, Ito et al. dose and sCMOS noise): the image is written once as a raw
//!    stack, then from counts in memory ours classifies with no library (three passes,
//!    noise-aware filter) and the peer standardises and runs MiniBatchKMeans (k = 5,
//!    8) fit + predict. Ours and the two peer settings run in turn, [`REPEATS`] rounds,
//!    so that the machine's drift over minutes (±30 % on the 2-core VM) reaches both
//!    sides alike. Reported: each run's seconds, the medians, the ratio of medians
//!    with its range over the rounds, and minority recall/precision of each.
//! 2. **Scale**: a synthetic image of `XAS_CLUSTER_SIDE`² pixels (default 20,000² =
//!    4·10⁸) × 100 energies generated on the fly, row block by row block, classified
//!    with a survey of every 16th row and scored against the truth; reported: seconds,
//!    pixels per second (the generation and scoring included, and without them: both
//!    are timed on their own afterwards), peak resident memory.
//!    `XAS_CLUSTER_SIDE=0` skips it.
//!
//! `cargo bench -p xas-benches --bench cluster_vs_sklearn` (after `benches/peers/setup.sh`;
//! `XAS_SURVEY_STRIDE=N` surveys every N-th row in both runs, `XAS_SPLIT_PROBABILITY=P`
//! sets the false-split probability of both).
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::time::Instant;

use serde_json::json;
use xas_cluster::synth::{
    SceneSpec, SyntheticImage, TRUTH_MINORITY, k_edge_end_members, k_edge_grid,
};
use xas_cluster::{classify_to_map, minority_score};
use xas_core::image::{RawSample, write_raw_image};
use xas_core::{RawImageFile, SpectralImage, SpectralImageSource};

/// Rounds of the same-pixels comparison (ours, then the peer at each of [`PEER_K`]).
const REPEATS: usize = 3;

/// Cluster counts of the peer: 5 (the k-means baseline) and 8 (the smallest
/// that finds the minority on this image).
const PEER_K: [usize; 2] = [5, 8];

/// The seconds a peer run reports (NaN if it reports none).
fn peer_seconds(p: &serde_json::Value) -> f64 {
    p["seconds"].as_f64().unwrap_or(f64::NAN)
}

fn scene(side: usize) -> SyntheticImage {
    let grid = k_edge_grid();
    let ends = k_edge_end_members(&grid, false);
    SyntheticImage::new(SceneSpec::new(side, side, grid, ends, 42)).unwrap()
}

/// Peak resident memory of this process (kB), from /proc.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn same_pixels() -> serde_json::Value {
    let side = 1000;
    let mut image = scene(side);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/cluster-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let stack = dir.join("scene_1000.xasimg");
    let truth_path = dir.join("scene_1000_truth.u16");
    write_raw_image(&mut image, &stack, RawSample::F32, 64).unwrap();
    let truth: Vec<u16> = (0..side).flat_map(|y| image.truth_row(y)).collect();
    std::fs::write(
        &truth_path,
        truth
            .iter()
            .flat_map(|t| t.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    // Counts in memory, as the peer has them.
    let mut raw = RawImageFile::open(&stack).unwrap();
    let mut data = Vec::new();
    raw.read_rows(0..side, &mut data).unwrap();
    let mut memory = SpectralImage::new(side, side, raw.energy_ev().to_vec(), data).unwrap();
    let signal = image.spec().signal();
    let noise = image.spec().noise;
    let settings = xas_benches::cluster_settings(1);
    let pixels = (side * side) as f64;
    let peer_args = |k: usize| {
        [
            stack.display().to_string(),
            truth_path.display().to_string(),
            image.spec().i0_counts.to_string(),
            k.to_string(),
            TRUTH_MINORITY.to_string(),
        ]
    };
    let mut ours_runs = Vec::new();
    // Per peer setting, each round's (our seconds, the peer's result): a round whose
    // peer failed is left out of both sides of the ratios.
    let mut peer_runs: [Vec<(f64, serde_json::Value)>; 2] = [Vec::new(), Vec::new()];
    let mut last = None;
    for _ in 0..REPEATS {
        let t = Instant::now();
        let (result, map) =
            classify_to_map(&mut memory, &signal, noise, &[], &settings, &mut |_| {
                ControlFlow::Continue(())
            })
            .unwrap();
        let s = t.elapsed().as_secs_f64();
        println!("1e6 pixels: xas-cluster {s:.2} s");
        ours_runs.push(s);
        last = Some((result, map));
        for (runs, k) in peer_runs.iter_mut().zip(PEER_K) {
            match xas_benches::run_peer("cluster_sklearn.py", &peer_args(k)) {
                Ok(p) => {
                    println!(
                        "1e6 pixels: scikit-learn k = {k}: {:.2} s",
                        peer_seconds(&p)
                    );
                    runs.push((s, p));
                }
                Err(e) => println!("scikit-learn k = {k} not run ({e})"),
            }
        }
    }
    let (result, map) = last.unwrap();
    let ours = minority_score(&map.labels, &truth, TRUTH_MINORITY);
    let ours_s = xas_benches::median(&ours_runs);
    println!(
        "1e6 pixels: xas-cluster median {ours_s:.2} s of {ours_runs:.2?} ({:.2} Mpixel/s, survey stride {}), {} phases, minority recall {:.3} precision {:.3}",
        pixels / ours_s / 1e6,
        settings.survey_stride,
        result.phases.len(),
        ours.recall,
        ours.precision
    );
    let mut row = json!({"pixels": pixels, "ours_seconds": ours_s, "ours_runs": ours_runs,
                         "ours_recall": ours.recall, "ours_precision": ours.precision,
                         "ours_phases": result.phases.len()});
    for (runs, k) in peer_runs.iter().zip(PEER_K) {
        let Some((_, p)) = runs.last() else { continue };
        let seconds: Vec<f64> = runs.iter().map(|(_, r)| peer_seconds(r)).collect();
        let s = xas_benches::median(&seconds);
        let ratios: Vec<f64> = runs.iter().map(|(o, r)| peer_seconds(r) / o).collect();
        let (lo, hi) = ratios.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
        println!(
            "1e6 pixels: scikit-learn {} MiniBatchKMeans k = {k}: median {s:.2} s of {seconds:.2?}, minority recall {:.3} precision {:.3}; ours {:.1}x the throughput (ratio of medians; {lo:.1}-{hi:.1}x round by round)",
            p["sklearn"],
            p["recall"].as_f64().unwrap(),
            p["precision"].as_f64().unwrap(),
            s / ours_s
        );
        let mut p = p.clone();
        p["seconds"] = json!(s);
        p["runs"] = json!(seconds);
        row[format!("sklearn_k{k}")] = p;
    }
    row
}

fn scale(side: usize) -> serde_json::Value {
    let image = scene(side);
    let settings = xas_benches::cluster_settings(16);
    let t = Instant::now();
    let (result, score) = image
        .classify_scored(&settings, &mut |p| {
            if p.rows_done % 2000 == 0 {
                eprintln!(
                    "{:?} {}/{} rows, {:.0} s",
                    p.pass,
                    p.rows_done,
                    p.rows_total,
                    t.elapsed().as_secs_f64()
                );
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    let seconds = t.elapsed().as_secs_f64();
    let pixels = (side * side) as f64;
    let rss = peak_rss_kb();
    // The generator's own cost: the classifier generated every row once and the
    // surveyed rows twice more. The scoring recomputed every row's truth labels.
    let generation = generation_seconds(&image) * (1.0 + 2.0 / settings.survey_stride as f64);
    let scoring = scoring_seconds(&image);
    let classification = seconds - generation - scoring;
    println!(
        "scale {side} x {side} x 100 streamed: {seconds:.0} s, {:.2} Mpixel/s (generation and \
         scoring included); generation {generation:.0} s, scoring {scoring:.0} s; classification \
         alone {classification:.0} s, {:.2} Mpixel/s; {} sites, {} phases, minority recall {:.3} \
         precision {:.3}, peak RSS {:?} MiB",
        pixels / seconds / 1e6,
        pixels / classification / 1e6,
        result.sites,
        result.phases.len(),
        score.recall,
        score.precision,
        rss.map(|k| k / 1024)
    );
    json!({"side": side, "seconds": seconds, "pixels_per_second": pixels / seconds,
           "generation_seconds": generation, "scoring_seconds": scoring,
           "classification_pixels_per_second": pixels / classification,
           "sites": result.sites, "recall": score.recall, "precision": score.precision,
           "peak_rss_kb": rss})
}

/// Seconds to generate every row of `image` once, in blocks of 65,536 pixels.
fn generation_seconds(image: &SyntheticImage) -> f64 {
    let mut source = image.clone();
    let shape = source.shape();
    let rows = (65_536 / shape.width).max(1);
    let mut out = Vec::new();
    let t = Instant::now();
    for y0 in (0..shape.height).step_by(rows) {
        source
            .read_rows(y0..(y0 + rows).min(shape.height), &mut out)
            .unwrap();
    }
    t.elapsed().as_secs_f64()
}

/// Seconds to compute every row's truth labels once, as the scoring does.
fn scoring_seconds(image: &SyntheticImage) -> f64 {
    let t = Instant::now();
    for y in 0..image.spec().height {
        std::hint::black_box(image.truth_row(y));
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    // The scale run goes first so that its peak resident memory is its own.
    let side: usize = std::env::var("XAS_CLUSTER_SIDE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let big = (side > 0).then(|| scale(side));
    let same = same_pixels();
    println!("{}", json!({"same_pixels": same, "scale": big}));
}
