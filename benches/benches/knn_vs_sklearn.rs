//! Exact kNN search: xas-metrics against scikit-learn (`KNeighborsRegressor`,
//! `algorithm='brute'`, `n_jobs=2`) and SciPy `cdist`, on the same data in one run.
//!
//! `cargo bench -p xas-benches --bench knn_vs_sklearn` (after `benches/peers/setup.sh`;
//! set `KNN_BENCH_NO_PEERS=1` to time only ours). Libraries of 10^4 x 500 and
//! 10^5 x 200 points, k = 5, Euclidean, cosine and Wasserstein-1, two kinds of data:
//!
//! * `noisy`: three Gaussians of random centre, width (2-22 points) and height plus 1 %
//!   uniform noise, in library and queries alike (the original synthetic set). Nine
//!   free parameters and white noise: a hard case for any dimension reduction.
//! * `smooth`: an edge-like family with seven parameters (edge position, white-line
//!   position, height and width, two post-edge features), noise-free in the library,
//!   queries with 1 % noise: like a simulated library against measured spectra.
//!
//! Ours (storage `f32`):
//! * `scan 1q`: [`KnnIndex::knn`] one query at a time on one thread (its memory
//!   bandwidth is reported against the machine's streaming read bandwidth);
//! * `scan b`: [`KnnIndex::knn_batch`], the whole batch on all threads (2 here);
//! * `red 1q` / `red b`: [`ReducedIndex`] exact search, single queries on one thread
//!   and the batch on all threads, with the mean number of true distances per query;
//! * `apx b`: [`SearchMode::Approximate`] with `4 k` = 20 candidates (the exact
//!   procedure with at most 20 true distances), batch, with its recall@k against the
//!   exact answer;
//! * `kd b`: approximate with the k-d tree (`kiddo`) over the coarse PCA coordinates or
//!   block sums ([`ReducedParams::kd_tree`]): true distances for the `20 k` = 100 rows
//!   of smallest coarse bound, no pass over the library; batch, with recall@k.
//!
//! Peers: scikit-learn over the whole batch with `n_jobs=2`, and `cdist` +
//! `argpartition`; for W1 both run with the city-block metric on weighted CDFs (see
//! `benches/peers/knn_sklearn.py`). `x skl` is scikit-learn's time per query divided by
//! our best exact batch time per query; `agree` is the fraction of scikit-learn's
//! neighbours our exact search returned (f32 storage can swap near-ties).
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;
use xas_benches::Lcg;

use xas_metrics::search::{
    FastMetric, KnnIndex, Neighbor, ReducedIndex, ReducedParams, SearchMode,
};

/// Three Gaussians of random centre, width and height, plus 1 % uniform noise.
fn noisy(n: usize, m: usize, seed: u64) -> Vec<f64> {
    let mut g = Lcg(seed);
    let mut out = Vec::with_capacity(n * m);
    for _ in 0..n {
        let peaks: Vec<(f64, f64, f64)> = (0..3)
            .map(|_| {
                (
                    g.uniform() * m as f64,
                    2.0 + 20.0 * g.uniform(),
                    g.uniform(),
                )
            })
            .collect();
        for i in 0..m {
            out.push(
                peaks
                    .iter()
                    .map(|(c, w, h)| h * (-0.5 * ((i as f64 - c) / w).powi(2)).exp())
                    .sum::<f64>()
                    + 0.01 * g.uniform(),
            );
        }
    }
    out
}

/// An edge-like family of seven parameters: arctan edge, white line, two post-edge
/// features; `noise` times uniform noise added (relative to the edge step of 1).
fn smooth(n: usize, m: usize, seed: u64, noise: f64) -> Vec<f64> {
    let mut g = Lcg(seed);
    let mf = m as f64;
    let mut out = Vec::with_capacity(n * m);
    for _ in 0..n {
        let p: Vec<f64> = (0..7).map(|_| g.uniform()).collect();
        let edge = mf * (0.25 + 0.05 * p[0]);
        let wl = edge + mf * (0.02 + 0.02 * p[1]);
        let (wl_h, wl_w) = (0.5 + 1.5 * p[2], mf * (0.01 + 0.015 * p[3]));
        let f1 = wl + mf * (0.1 + 0.05 * p[4]);
        let f2 = f1 + mf * (0.15 + 0.1 * p[5]);
        let h2 = 0.1 + 0.3 * p[6];
        for i in 0..m {
            let x = i as f64;
            let gauss = |c: f64, w: f64| (-0.5 * ((x - c) / w).powi(2)).exp();
            let y = 0.5
                + ((x - edge) / (0.01 * mf)).atan() / std::f64::consts::PI
                + wl_h * gauss(wl, wl_w)
                + 0.3 * gauss(f1, 0.04 * mf)
                + h2 * gauss(f2, 0.06 * mf);
            out.push(y + noise * (g.uniform() - 0.5));
        }
    }
    out
}

fn write(path: &Path, data: &[f64]) {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// Streaming read bandwidth of this machine (GB/s): sum of a 1 GiB array, best of 3.
fn machine_bandwidth() -> f64 {
    let v = vec![1.0f64; 1 << 27];
    (0..3)
        .map(|_| {
            let t = Instant::now();
            let s: f64 = v.chunks(8).map(|c| c.iter().sum::<f64>()).sum();
            std::hint::black_box(s);
            (v.len() * 8) as f64 / t.elapsed().as_secs_f64() / 1e9
        })
        .fold(0.0, f64::max)
}

/// Repetitions of the fast batch paths: a batch takes only 1-10 ms, so thread wake-up
/// jitter on a 2-core machine needs more than three tries to average out.
const REPEATS_FAST: usize = 15;

/// Best wall time of `reps` runs of `f`, in seconds.
fn best_of<R>(reps: usize, mut f: impl FnMut() -> R) -> (f64, R) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.unwrap())
}

fn ids(v: &[Neighbor]) -> Vec<usize> {
    v.iter().map(|n| n.index).collect()
}

/// Fraction of `reference`'s neighbours that `ours` contains.
fn overlap(ours: &[Vec<Neighbor>], reference: &[Vec<usize>]) -> f64 {
    let mut hit = 0;
    let mut total = 0;
    for (o, r) in ours.iter().zip(reference) {
        total += r.len();
        hit += r
            .iter()
            .filter(|i| o.iter().any(|n| n.index == **i))
            .count();
    }
    hit as f64 / total.max(1) as f64
}

fn main() {
    let bandwidth = machine_bandwidth();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine streaming read bandwidth: {bandwidth:.1} GB/s (1 thread), {threads} threads");
    println!("times in us per query; k = 5; ours store f32\n");
    println!(
        "{:<11} {:<7} {:<6} {:>8} {:>7} {:>7} {:>6} {:>7} {:>6} {:>6} {:>6} {:>6} {:>8} {:>8} {:>6} {:>6} {:>7}",
        "library",
        "data",
        "metric",
        "scan 1q",
        "scan b",
        "red 1q",
        "red b",
        "refined",
        "apx b",
        "recall",
        "kd b",
        "recall",
        "sklearn",
        "cdist",
        "x skl",
        "agree",
        "GB/s 1q"
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/knn-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let skip_peers = std::env::var_os("KNN_BENCH_NO_PEERS").is_some();
    let k = 5;
    let approx = SearchMode::Approximate { candidates: 4 * k };
    let approx_kd = SearchMode::Approximate { candidates: 20 * k };
    for (n, m, nq_single, nq) in [(10_000, 500, 50, 200), (100_000, 200, 20, 100)] {
        let energy: Vec<f64> = (0..m).map(|i| 640.0 + 0.1 * i as f64).collect();
        for set in ["noisy", "smooth"] {
            let (data, queries) = match set {
                "noisy" => (noisy(n, m, 1), noisy(nq, m, 2)),
                _ => (smooth(n, m, 1, 0.0), smooth(nq, m, 2, 0.01)),
            };
            write(&dir.join("library.f64"), &data);
            write(&dir.join("queries.f64"), &queries);
            write(&dir.join("energy.f64"), &energy);
            let peer = if skip_peers {
                Err("skipped (KNN_BENCH_NO_PEERS)".to_string())
            } else {
                xas_benches::run_peer(
                    "knn_sklearn.py",
                    &[
                        dir.display().to_string(),
                        n.to_string(),
                        m.to_string(),
                        k.to_string(),
                    ],
                )
            };
            if let Err(e) = &peer {
                println!("peers not run: {e}");
            }
            for metric in [
                FastMetric::Euclidean,
                FastMetric::Cosine,
                FastMetric::Wasserstein1 {
                    energy_ev: energy.clone(),
                },
            ] {
                let name = metric.name();
                let scan = KnnIndex::<f32>::new(&data, m, metric.clone()).unwrap();
                let params = ReducedParams {
                    kd_tree: true,
                    ..ReducedParams::default()
                };
                let reduced = ReducedIndex::<f32>::new(&data, m, metric.clone(), &params).unwrap();
                let plain =
                    ReducedIndex::<f32>::new(&data, m, metric.clone(), &ReducedParams::default())
                        .unwrap();
                let single = &queries[..nq_single * m];
                let (t, scan_single) = best_of(1, || {
                    single
                        .chunks_exact(m)
                        .map(|q| scan.knn(q, k).unwrap())
                        .collect::<Vec<_>>()
                });
                let scan_1q = t / nq_single as f64;
                let (t, scan_batch) = best_of(2, || scan.knn_batch(&queries, k).unwrap());
                let scan_b = t / nq as f64;
                let (t, (red_single, refined)) = best_of(3, || {
                    let mut refined = 0;
                    let res: Vec<Vec<Neighbor>> = queries
                        .chunks_exact(m)
                        .map(|q| {
                            let (r, s) = reduced.search(q, k, SearchMode::Exact).unwrap();
                            refined += s.refined;
                            r
                        })
                        .collect();
                    (res, refined as f64 / nq as f64)
                });
                let red_1q = t / nq as f64;
                let (t, red_batch) = best_of(REPEATS_FAST, || {
                    reduced.knn_batch(&queries, k, SearchMode::Exact).unwrap()
                });
                let red_b = t / nq as f64;
                let (t, apx_batch) = best_of(REPEATS_FAST, || {
                    plain.knn_batch(&queries, k, approx).unwrap()
                });
                let apx_b = t / nq as f64;
                let (t, kd_batch) = best_of(REPEATS_FAST, || {
                    reduced.knn_batch(&queries, k, approx_kd).unwrap()
                });
                let kd_b = t / nq as f64;
                // Exactness: every exact path returns the scan's answer.
                for i in 0..nq {
                    assert_eq!(red_batch[i], scan_batch[i], "{name}: reduced batch differs");
                    assert_eq!(
                        red_single[i], scan_batch[i],
                        "{name}: reduced single differs"
                    );
                }
                for (a, b) in scan_single.iter().zip(&scan_batch) {
                    assert_eq!(a, b, "{name}: scan single and batch differ");
                }
                let exact_ids: Vec<Vec<usize>> = red_batch.iter().map(|v| ids(v)).collect();
                let recall = overlap(&apx_batch, &exact_ids);
                let kd_recall = overlap(&kd_batch, &exact_ids);
                let (sk, cd, agree) = match &peer {
                    Ok(p) => {
                        let theirs: Vec<Vec<usize>> = p[format!("sklearn_{name}_neighbours")]
                            .as_array()
                            .map_or(Vec::new(), |rows| {
                                rows.iter()
                                    .map(|r| {
                                        r.as_array().map_or(Vec::new(), |a| {
                                            a.iter()
                                                .filter_map(|v| v.as_u64())
                                                .map(|v| v as usize)
                                                .collect()
                                        })
                                    })
                                    .collect()
                            });
                        (
                            p[format!("sklearn_{name}_s_per_query")].as_f64(),
                            p[format!("cdist_{name}_s_per_query")].as_f64(),
                            Some(overlap(&red_batch, &theirs)),
                        )
                    }
                    Err(_) => (None, None, None),
                };
                let us = |v: Option<f64>| v.map_or("-".into(), |s| format!("{:.1}", s * 1e6));
                let best_batch = red_b.min(scan_b);
                println!(
                    "{:<11} {:<7} {:<6} {:>8.0} {:>7.1} {:>7.1} {:>6.1} {:>7.1} {:>6.1} {:>6.3} {:>6.1} {:>6.3} {:>8} {:>8} {:>6} {:>6} {:>7.1}",
                    format!("{n}x{m}"),
                    set,
                    match name {
                        "wasserstein1" => "w1",
                        "euclidean" => "euclid",
                        other => other,
                    },
                    scan_1q * 1e6,
                    scan_b * 1e6,
                    red_1q * 1e6,
                    red_b * 1e6,
                    refined,
                    apx_b * 1e6,
                    recall,
                    kd_b * 1e6,
                    kd_recall,
                    us(sk),
                    us(cd),
                    sk.map_or("-".into(), |s| format!("{:.0}x", s / best_batch)),
                    agree.map_or("-".into(), |a| format!("{a:.3}")),
                    (n * m * 4) as f64 / scan_1q / 1e9,
                );
                if let (Some(r), "wasserstein1") = (&peer.as_ref().ok(), name)
                    && let Some(s) = r["scipy_stats_wasserstein1_s_per_query"].as_f64()
                {
                    println!(
                        "{:<27} scipy.stats.wasserstein_distance pair by pair: {:.0} us per query",
                        "",
                        s * 1e6
                    );
                }
                match reduced.explained_variance() {
                    Some((c, f)) => println!(
                        "{:<27} PCA: coarse {} (calibrated) / fine {} components explain {:.3} / {:.3} of the variance",
                        "",
                        reduced.coarse_dims(),
                        reduced.fine_dims(),
                        c,
                        f
                    ),
                    None => println!(
                        "{:<27} W1 blocks: coarse {} (calibrated) / fine {}",
                        "",
                        reduced.coarse_dims(),
                        reduced.fine_dims()
                    ),
                }
            }
        }
    }
}
