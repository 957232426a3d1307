//! UMAP: xas-manifold against umap-learn 0.5 and pynndescent, same data, same
//! parameters (umap-learn's defaults), one run.
//!
//! `cargo bench -p xas-benches --bench manifold_vs_umap` (after
//! `benches/peers/setup.sh`; `MANIFOLD_BENCH_NO_PEERS=1` times only ours,
//! `MANIFOLD_BENCH_SIZES=10000x300` picks sizes). Data: spectra drawn from a simulated
//! Mn L2,3 library (crystal-field multiplets of Mn2+, Mn3+, Mn4+, 10Dq 0-2.5 eV in
//! 0.1 eV steps, [`crystal_field_xas`] with realistic widths): each spectrum is a
//! random valence at a random 10Dq (linear interpolation between library neighbours),
//! times a random intensity scale 0.9-1.1, plus Gaussian noise of 2 % of the
//! library maximum; sizes (a) 10,000 x 300 and (b) 70,000 x 200 points
//! (634-662 eV).
//!
//! Reported per size: wall-clock seconds of our kNN graph (exact below 4096 points,
//! NN-descent above) and of the whole fit, serial (reproducible, the default) and
//! parallel SGD; umap-learn's fit (parallel, `random_state=None`, after a numba
//! warm-up) and pynndescent's graph alone; the recall of both NN-descent graphs
//! against exact neighbours of 2000 sampled points; trustworthiness at k = 15 of both
//! maps by the same estimator (all points for n <= 10,000, else 2000 sampled points)
//! and the silhouette of the valence labels in both maps. Then densMAP (umap-learn's
//! defaults) the same way, ours serial and parallel against umap-learn's
//! `densmap=True`, each map also scored by the correlation of log local radii between
//! spectra and map (`density::radius_correlation`, 15 neighbours).
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;
use xas_benches::Lcg;

use cluster_model::ion::Ion;
use cluster_model::series::{SeriesSettings, crystal_field_xas};
use xas_core::grid::linspace;
use xas_manifold::knn::{self, KnnGraph, KnnMethod};
use xas_manifold::quality;
use xas_manifold::umap::density::{DensMap, radius_correlation_of};
use xas_manifold::umap::{Stage, Umap, UmapParams};
use xas_manifold::{Dissimilarity, Vectors};
use xas_metrics::measures::Metric;
use xas_metrics::search::{FastMetric, KnnIndex};

const TENDQ_STEPS: usize = 26;

/// The library: `[valence][10Dq step]` spectra on `grid`.
fn library(grid: &[f64]) -> Vec<Vec<Vec<f64>>> {
    let tendq: Vec<f64> = (0..TENDQ_STEPS).map(|i| 0.1 * i as f64).collect();
    ["Mn2+", "Mn3+", "Mn4+"]
        .iter()
        .map(|name| {
            let ion: Ion = name.parse().unwrap();
            let settings = SeriesSettings::realistic(ion).unwrap();
            crystal_field_xas(ion, &tendq, grid, &settings, |_, _| {
                ControlFlow::Continue(())
            })
            .unwrap()
        })
        .collect()
}

/// `n` noisy spectra drawn from the library, with their valence index.
fn sample(lib: &[Vec<Vec<f64>>], n: usize, seed: u64) -> (Vec<f64>, Vec<usize>) {
    let mut g = Lcg(seed);
    let peak = lib
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b));
    let mut rows = Vec::new();
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let v = (g.uniform() * 3.0) as usize % 3;
        let t = g.uniform() * (TENDQ_STEPS - 1) as f64;
        let (i, f) = (t.floor() as usize, t.fract());
        let j = (i + 1).min(TENDQ_STEPS - 1);
        let scale = 0.9 + 0.2 * g.uniform();
        for (a, b) in lib[v][i].iter().zip(&lib[v][j]) {
            rows.push(scale * ((1.0 - f) * a + f * b) + 0.02 * peak * g.normal());
        }
        labels.push(v);
    }
    (rows, labels)
}

/// Exact neighbours of `queries` (self excluded) as index lists.
fn exact_sample(v: &Vectors, queries: &[usize], k: usize) -> Vec<Vec<usize>> {
    let index: KnnIndex<f64> = KnnIndex::new(v.rows(), v.dim(), FastMetric::Euclidean).unwrap();
    let q: Vec<f64> = queries.iter().flat_map(|&i| v.row(i).to_vec()).collect();
    let found = index.knn_batch(&q, k + 1).unwrap();
    found
        .into_iter()
        .zip(queries)
        .map(|(row, &i)| {
            let mut idx: Vec<usize> = row.iter().map(|nb| nb.index).filter(|&j| j != i).collect();
            idx.truncate(k);
            idx
        })
        .collect()
}

/// Mean fraction of the exact neighbours found, over the sampled queries.
fn recall(found: impl Fn(usize) -> Vec<usize>, queries: &[usize], exact: &[Vec<usize>]) -> f64 {
    let k = exact[0].len();
    let hits: usize = queries
        .iter()
        .zip(exact)
        .map(|(&i, truth)| found(i).iter().filter(|j| truth.contains(j)).count())
        .sum();
    hits as f64 / (queries.len() * k) as f64
}

fn write_f64(path: &Path, values: &[f64]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

fn read_le<const N: usize, T>(path: &Path, f: impl Fn([u8; N]) -> T) -> Vec<T> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(N)
        .map(|c| f(c.try_into().unwrap()))
        .collect()
}

struct Scores {
    trust: f64,
    silhouette: f64,
    /// Correlation of log local radii, for densMAP maps.
    radii: Option<f64>,
}

/// Trustworthiness and silhouette of the map `y`, with its radius correlation `radii`
/// when it is a densMAP map.
fn score(v: &Vectors, y: &[f64], labels: &[usize], radii: Option<f64>) -> Scores {
    let n = v.len();
    let sample = (n > 10_000).then_some((2000, 7));
    let report =
        quality::report(Dissimilarity::Vectors(v), y, 2, 15, Some(labels), sample).unwrap();
    Scores {
        trust: report.trustworthiness,
        silhouette: report.silhouette.unwrap_or(f64::NAN),
        radii,
    }
}

/// The radius correlation of a densMAP map's scores as text, else nothing.
fn radii_text(s: &Scores) -> String {
    s.radii
        .map(|r| format!("   radius correlation {r:.3}"))
        .unwrap_or_default()
}

fn run(n: usize, m: usize, peers: bool) {
    let grid = linspace(634.0, 662.0, m).unwrap();
    let lib = library(&grid);
    let (rows, labels) = sample(&lib, n, 2024);
    let v = Vectors::new(Metric::Euclidean, &grid, &rows).unwrap();
    println!("\n({n} x {m}) Mn L2,3 library samples, 3 valences, 2 % noise");

    let t = Instant::now();
    let graph: KnnGraph = knn::knn_graph((&v).into(), 14, &KnnMethod::Auto).unwrap();
    let knn_s = t.elapsed().as_secs_f64();
    let mut g = Lcg(5);
    let queries: Vec<usize> = (0..2000.min(n))
        .map(|_| (g.uniform() * n as f64) as usize % n)
        .collect();
    let exact = exact_sample(&v, &queries, 14);
    let ours_recall = recall(|i| graph.neighbors(i).to_vec(), &queries, &exact);

    let mut fits = Vec::new();
    // The input radii of the data (every fit keeps the same: same kNN settings), for
    // umap-learn's densMAP map.
    let mut input_radii = Vec::new();
    for (densmap, parallel) in [(false, false), (false, true), (true, false), (true, true)] {
        let params = UmapParams {
            parallel,
            densmap: densmap.then(DensMap::default),
            ..UmapParams::default()
        };
        let t = Instant::now();
        let mut ends: Vec<(Stage, f64)> = Vec::new();
        let model = Umap::fit((&v).into(), &params, &mut |stage, done, total| {
            if done == total {
                ends.push((stage, t.elapsed().as_secs_f64()));
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let mut last = 0.0;
        let stages: Vec<String> = ends
            .iter()
            .map(|&(stage, end)| {
                let s = format!("{stage:?} {:.2} s", end - last);
                last = end;
                s
            })
            .collect();
        let name = match (densmap, parallel) {
            (false, false) => "ours, serial (seeded)",
            (false, true) => "ours, parallel SGD",
            (true, false) => "ours densMAP, serial",
            (true, true) => "ours densMAP, parallel",
        };
        println!("  stages ({name}): {}", stages.join(", "));
        let radii = densmap.then(|| model.radius_correlation().unwrap());
        fits.push((name, secs, score(&v, model.embedding(), &labels, radii)));
        input_radii = model.input_log_radii().unwrap().to_vec();
    }
    println!("  kNN graph (ours): {knn_s:.2} s, recall {ours_recall:.4}");
    for (name, secs, s) in &fits {
        println!(
            "  {name:<24} fit {secs:>7.2} s   trustworthiness {:.4}   silhouette(valence) {:.3}{}",
            s.trust,
            s.silhouette,
            radii_text(s)
        );
    }
    if !peers {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("manifold_{n}x{m}"));
    std::fs::create_dir_all(&dir).unwrap();
    write_f64(&dir.join("data.f64"), &rows);
    let out = xas_benches::run_peer(
        "umap_peer.py",
        &[
            dir.display().to_string(),
            n.to_string(),
            m.to_string(),
            "--densmap".into(),
        ],
    );
    let result = match out {
        Ok(r) => r,
        Err(e) => {
            println!("  umap-learn peer failed: {e}");
            return;
        }
    };
    let emb = read_le::<8, f64>(&dir.join("umap_embedding.f64"), f64::from_le_bytes);
    let nnd = read_le::<8, usize>(&dir.join("pynndescent_indices.i64"), |b| {
        i64::from_le_bytes(b) as usize
    });
    let peer_recall = recall(|i| nnd[i * 14..(i + 1) * 14].to_vec(), &queries, &exact);
    let dens = read_le::<8, f64>(&dir.join("densmap_embedding.f64"), f64::from_le_bytes);
    let peers = [
        (
            "umap-learn 0.5, parallel",
            "umap_s",
            score(&v, &emb, &labels, None),
        ),
        (
            "umap-learn densMAP",
            "densmap_s",
            score(
                &v,
                &dens,
                &labels,
                Some(
                    radius_correlation_of(&input_radii, &dens, 2, &UmapParams::default()).unwrap(),
                ),
            ),
        ),
    ];
    let nnd_s = result["pynndescent_s"].as_f64().unwrap_or(f64::NAN);
    println!("  kNN graph (pynndescent): {nnd_s:.2} s, recall {peer_recall:.4}");
    for (peer_name, key, peer) in &peers {
        let peer_s = result[*key].as_f64().unwrap_or(f64::NAN);
        println!(
            "  {peer_name:<24} fit {peer_s:>7.2} s   trustworthiness {:.4}   silhouette(valence) {:.3}{}",
            peer.trust,
            peer.silhouette,
            radii_text(peer)
        );
        let densmap = peer.radii.is_some();
        for (name, secs, s) in fits.iter().filter(|f| f.2.radii.is_some() == densmap) {
            println!(
                "  ratio {peer_name} / {name}: {:.1}x   (trustworthiness difference {:+.4})",
                peer_s / secs,
                s.trust - peer.trust
            );
        }
    }
    println!("  kNN ratio pynndescent / ours: {:.1}x", nnd_s / knn_s);
}

fn main() {
    let peers = std::env::var_os("MANIFOLD_BENCH_NO_PEERS").is_none();
    let sizes =
        std::env::var("MANIFOLD_BENCH_SIZES").unwrap_or_else(|_| "10000x300,70000x200".into());
    for size in sizes.split(',') {
        let (n, m) = size.split_once('x').unwrap();
        run(n.parse().unwrap(), m.parse().unwrap(), peers);
    }
}
