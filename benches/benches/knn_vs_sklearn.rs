//! Exact kNN search: xas-metrics against scikit-learn (`KNeighborsRegressor`,
//! `algorithm='brute'`, `n_jobs=2`) and SciPy `cdist`, on the same data in one run.
//!
//! `cargo bench -p xas-benches --bench knn_vs_sklearn` (after
//! `benches/peers/setup.sh`). Libraries of 10^4 x 500 and 10^5 x 200 smooth synthetic
//! spectra (sums of Gaussians), k = 5, Euclidean and cosine. Reports time per query
//! (single query on one thread, and batches on two threads like `n_jobs=2`), the
//! memory bandwidth a query achieves (library bytes / time) against the machine's
//! (a streaming sum over 1 GiB), and whether all programs found the same neighbours.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use xas_metrics::search::{FastMetric, KnnIndex};

/// Smooth pseudo-random spectra: three Gaussians of random centre, width and height.
fn spectra(n: usize, m: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut out = Vec::with_capacity(n * m);
    for _ in 0..n {
        let peaks: Vec<(f64, f64, f64)> = (0..3)
            .map(|_| (next() * m as f64, 2.0 + 20.0 * next(), next()))
            .collect();
        for i in 0..m {
            out.push(
                peaks
                    .iter()
                    .map(|(c, w, h)| h * (-0.5 * ((i as f64 - c) / w).powi(2)).exp())
                    .sum::<f64>()
                    + 0.01 * next(),
            );
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

fn main() {
    let bandwidth = machine_bandwidth();
    println!("machine streaming read bandwidth: {bandwidth:.1} GB/s");
    println!(
        "{:<12} {:<10} {:>12} {:>14} {:>14} {:>12} {:>10} {:>9}",
        "library",
        "metric",
        "ours 1q us",
        "ours batch us/q",
        "sklearn us/q",
        "cdist us/q",
        "x sklearn",
        "GB/s 1q"
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/knn-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let k = 5;
    for (n, m, nq) in [(10_000, 500, 200), (100_000, 200, 40)] {
        let data = spectra(n, m, 1);
        let queries = spectra(nq, m, 2);
        write(&dir.join("library.f64"), &data);
        write(&dir.join("queries.f64"), &queries);
        let peer = xas_benches::run_peer(
            "knn_sklearn.py",
            &[
                dir.display().to_string(),
                n.to_string(),
                m.to_string(),
                k.to_string(),
            ],
        );
        if let Err(e) = &peer {
            println!("peers not run: {e}");
        }
        for (metric, name) in [
            (FastMetric::Euclidean, "euclidean"),
            (FastMetric::Cosine, "cosine"),
        ] {
            let lib = KnnIndex::<f64>::new(&data, m, metric).unwrap();
            let first = lib.knn(&queries[..m], k).unwrap();
            let t = Instant::now();
            for q in queries.chunks_exact(m) {
                std::hint::black_box(lib.knn(q, k).unwrap());
            }
            let single = t.elapsed().as_secs_f64() / nq as f64;
            let t = Instant::now();
            let batched = lib.knn_batch(&queries, k).unwrap();
            let batch = t.elapsed().as_secs_f64() / nq as f64;
            assert_eq!(
                batched[0].iter().map(|nb| nb.index).collect::<Vec<_>>(),
                first.iter().map(|nb| nb.index).collect::<Vec<_>>()
            );
            let (sk, cd, same) = match &peer {
                Ok(p) => {
                    let ids: Vec<usize> =
                        p[format!("sklearn_{name}_first")]
                            .as_array()
                            .map_or(Vec::new(), |a| {
                                a.iter()
                                    .filter_map(|v| v.as_u64())
                                    .map(|v| v as usize)
                                    .collect()
                            });
                    let ours: Vec<usize> = first.iter().map(|nb| nb.index).collect();
                    (
                        p[format!("sklearn_{name}_s_per_query")].as_f64(),
                        p[format!("cdist_{name}_s_per_query")].as_f64(),
                        ids == ours,
                    )
                }
                Err(_) => (None, None, true),
            };
            let us = |v: Option<f64>| v.map_or("-".into(), |s| format!("{:.1}", s * 1e6));
            println!(
                "{:<12} {:<10} {:>12.1} {:>14.1} {:>14} {:>12} {:>10} {:>9.1}{}",
                format!("{n}x{m}"),
                name,
                single * 1e6,
                batch * 1e6,
                us(sk),
                us(cd),
                sk.map_or("-".into(), |s| format!("{:.0}x", s / batch)),
                (n * m * 8) as f64 / single / 1e9,
                if same { "" } else { "  (neighbours differ!)" }
            );
        }
    }
}
