//! NN-descent against the exact kNN graph: recall, determinism, other inputs, errors.

use std::ops::ControlFlow;

use xas_manifold::knn::nndescent::{NnDescentParams, nn_descent, nn_descent_with_progress};
use xas_manifold::knn::{KnnGraph, KnnMethod, exact, knn_graph_with_progress};
use xas_manifold::{Dissimilarity, DistanceMatrix, Error, Vectors};
use xas_metrics::measures::Metric;

mod common;
use common::SplitMix;

/// `n` smooth spectra of `m` points: 2 or 3 Gaussian peaks (random centre, width and
/// height) plus Gaussian noise of standard deviation 0.01.
fn spectra_like(n: usize, m: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SplitMix(seed);
    let energy: Vec<f64> = (0..m).map(|i| i as f64).collect();
    let mut rows = Vec::with_capacity(n * m);
    for _ in 0..n {
        let peaks: Vec<(f64, f64, f64)> = (0..2 + rng.next_u64() % 2)
            .map(|_| {
                let centre = m as f64 * (0.1 + 0.8 * rng.uniform());
                let width = 3.0 + 15.0 * rng.uniform();
                (centre, width, 0.3 + rng.uniform())
            })
            .collect();
        rows.extend(energy.iter().map(|&e| {
            let s: f64 = peaks
                .iter()
                .map(|&(c, w, h)| h * (-0.5 * ((e - c) / w).powi(2)).exp())
                .sum();
            s + 0.01 * rng.normal()
        }));
    }
    (energy, rows)
}

/// `n` points in `dim` dimensions: `clusters` Gaussian blobs (unit variance) with
/// centres drawn from N(0, 5^2).
fn blobs(n: usize, dim: usize, clusters: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SplitMix(seed);
    let centres: Vec<f64> = (0..clusters * dim).map(|_| 5.0 * rng.normal()).collect();
    let rows = (0..n)
        .flat_map(|i| {
            let c = &centres[(i % clusters) * dim..(i % clusters + 1) * dim];
            c.iter().map(|x| x + rng.normal()).collect::<Vec<_>>()
        })
        .collect();
    ((0..dim).map(|i| i as f64).collect(), rows)
}

fn vectors(metric: Metric, (energy, rows): &(Vec<f64>, Vec<f64>)) -> Vectors {
    Vectors::new(metric, energy, rows).expect("valid spectra")
}

/// Recall of NN-descent against the exact graph, checked and printed.
fn recall(space: Dissimilarity<'_>, k: usize, params: &NnDescentParams, label: &str) -> KnnGraph {
    let approx = nn_descent(space, k, params).expect("nn-descent");
    let truth = exact(space, k).expect("exact");
    let r = approx.recall_against(&truth).expect("same shape");
    println!("{label}: recall {r:.4}");
    assert!(r >= 0.95, "{label}: recall {r}");
    check_graph(space, &approx);
    approx
}

/// Rows sorted by distance then index, no self, distances those of the space.
fn check_graph(space: Dissimilarity<'_>, g: &KnnGraph) {
    for i in 0..g.len() {
        let (nb, d) = (g.neighbors(i), g.distances(i));
        assert!(!nb.contains(&i));
        for w in 0..g.k() {
            assert_eq!(d[w], space.distance(i, nb[w]));
            if w > 0 {
                assert!((d[w - 1], nb[w - 1]) < (d[w], nb[w]), "row {i} not sorted");
            }
        }
    }
}

#[test]
fn spectra_like_recall() {
    let v = vectors(Metric::Euclidean, &spectra_like(3000, 200, 1));
    recall(
        (&v).into(),
        15,
        &NnDescentParams::default(),
        "spectra-like, Euclidean",
    );
}

#[test]
fn blobs_50d_recall() {
    let v = vectors(Metric::Euclidean, &blobs(3000, 50, 10, 2));
    recall((&v).into(), 15, &NnDescentParams::default(), "blobs 50-D");
}

#[test]
fn random_start_without_trees() {
    let v = vectors(Metric::Euclidean, &spectra_like(1500, 100, 3));
    let params = NnDescentParams {
        n_trees: Some(0),
        ..NnDescentParams::default()
    };
    recall((&v).into(), 10, &params, "spectra-like, random start");
}

#[test]
fn cosine_and_pearson_measures() {
    let data = spectra_like(1500, 100, 4);
    let cos = vectors(Metric::Cosine, &data);
    recall(
        (&cos).into(),
        10,
        &NnDescentParams::default(),
        "cosine (trees)",
    );
    let pearson = vectors(Metric::Pearson, &data);
    recall(
        (&pearson).into(),
        10,
        &NnDescentParams::default(),
        "Pearson (random start)",
    );
}

#[test]
fn distance_matrix_input() {
    let v = vectors(Metric::Euclidean, &spectra_like(800, 60, 5));
    let d = v.distance_matrix().expect("matrix");
    let g = recall(
        (&d).into(),
        10,
        &NnDescentParams::default(),
        "distance matrix",
    );
    // An asymmetric matrix: D[i][j] = |x_i - x_j| (1 + 0.1 [i > j]).
    let n = d.len();
    let values = (0..n * n)
        .map(|s| d.as_slice()[s] * if s / n > s % n { 1.1 } else { 1.0 })
        .collect();
    let skew = DistanceMatrix::new(n, values).expect("valid");
    let h = recall(
        (&skew).into(),
        10,
        &NnDescentParams::default(),
        "asymmetric matrix",
    );
    // `recall` checked every listed distance against row i of the skewed matrix; the
    // lists do hold entries from its scaled lower triangle (j < i), 1.1 times the
    // symmetric distance that `g` lists.
    let lower: Vec<(usize, usize, f64)> = (0..n)
        .flat_map(|i| {
            let h = &h;
            h.neighbors(i)
                .iter()
                .zip(h.distances(i))
                .filter(move |&(&j, _)| j < i)
                .map(move |(&j, &dist)| (i, j, dist))
        })
        .collect();
    assert!(lower.len() > n, "{} lower-triangle entries", lower.len());
    for (i, j, dist) in lower {
        assert!((dist - 1.1 * d.get(i, j)).abs() <= 1e-12 * dist, "{i} {j}");
    }
    assert_eq!(g.k(), h.k());
}

#[test]
fn same_seed_same_graph() {
    let v = vectors(Metric::Euclidean, &spectra_like(1500, 80, 6));
    let params = NnDescentParams::default();
    let a = nn_descent((&v).into(), 10, &params).expect("graph");
    let b = nn_descent((&v).into(), 10, &params).expect("graph");
    assert_eq!(a, b);
}

#[cfg(feature = "rayon")]
#[test]
fn one_and_two_threads_agree() -> Result<(), Box<dyn std::error::Error>> {
    let v = vectors(Metric::Euclidean, &spectra_like(5000, 60, 8));
    let p = vectors(Metric::Pearson, &spectra_like(1200, 60, 9));
    let run = |threads: usize| -> Result<(KnnGraph, KnnGraph), Box<dyn std::error::Error>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let params = NnDescentParams::default();
        Ok(pool.install(|| -> Result<_, Error> {
            Ok((
                nn_descent((&v).into(), 12, &params)?,
                nn_descent((&p).into(), 12, &params)?,
            ))
        })?)
    };
    assert_eq!(run(1)?, run(2)?);
    Ok(())
}

#[test]
fn duplicated_points() {
    // 400 distinct spectra, each present three times.
    let (energy, rows) = spectra_like(400, 50, 10);
    let tripled: Vec<f64> = (0..3).flat_map(|_| rows.iter().copied()).collect();
    let v = Vectors::new(Metric::Euclidean, &energy, &tripled).expect("valid");
    let g = recall((&v).into(), 10, &NnDescentParams::default(), "duplicates");
    for i in 0..v.len() {
        let mut copies: Vec<usize> = g.neighbors(i)[..2].to_vec();
        copies.sort_unstable();
        let want: Vec<usize> = (0..3)
            .map(|c| c * 400 + i % 400)
            .filter(|&j| j != i)
            .collect();
        assert_eq!(copies, want, "point {i}");
        assert_eq!(g.distances(i)[..2], [0.0, 0.0]);
    }
    // All points identical: any k others at distance 0.
    let same = Vectors::new(Metric::Euclidean, &energy, &rows[..50].repeat(30)).expect("valid");
    let g = nn_descent((&same).into(), 5, &NnDescentParams::default()).expect("graph");
    assert!((0..30).all(|i| g.distances(i) == [0.0; 5] && !g.neighbors(i).contains(&i)));
}

#[test]
fn progress_and_interruption() {
    let v = vectors(Metric::Euclidean, &spectra_like(600, 40, 11));
    let mut calls = Vec::new();
    nn_descent_with_progress(
        (&v).into(),
        8,
        &NnDescentParams::default(),
        |done, total| {
            calls.push((done, total));
            ControlFlow::Continue(())
        },
    )
    .expect("graph");
    assert_eq!(calls[0], (0, 9)); // round(log2 600) = 9
    assert!(calls.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    let err = nn_descent_with_progress((&v).into(), 8, &NnDescentParams::default(), |done, _| {
        if done == 1 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .expect_err("stopped");
    assert!(matches!(err, Error::Interrupted));
}

#[test]
fn bad_requests_are_errors() {
    let v = vectors(Metric::Euclidean, &spectra_like(20, 10, 12));
    let params = NnDescentParams::default();
    for k in [0, 20, 25] {
        let err = nn_descent((&v).into(), k, &params)
            .expect_err("bad k")
            .to_string();
        assert!(err.contains("n_neighbors"), "{err}");
    }
    assert!(nn_descent((&v).into(), 19, &params).is_ok());
    let bad = [
        NnDescentParams {
            max_candidates: 0,
            ..NnDescentParams::default()
        },
        NnDescentParams {
            delta: f64::NAN,
            ..NnDescentParams::default()
        },
        NnDescentParams {
            leaf_size: Some(1),
            ..NnDescentParams::default()
        },
    ];
    for (p, name) in bad.iter().zip(["max_candidates", "delta", "leaf_size"]) {
        let err = nn_descent((&v).into(), 5, p)
            .expect_err("bad parameter")
            .to_string();
        assert!(err.contains(name), "{err}");
    }
}

/// The spare list entries are capped by the room there is: with `k = n - 1` there is
/// none, and with `k = 10` of 40 points room for 29, so `spare = usize::MAX` (which
/// overflows `k + spare` without the cap) gives the graphs of `spare = 0` and of
/// `spare = 29`. Otherwise the search keeps `k + 1` entries and returns the `k`
/// nearest. Once the search has converged (trees, few candidates) that misses fewer
/// true neighbours than lists of `k` here (0.9983 against 0.9978) and on 70,000 spectra
/// (0.956 against 0.950, `NnDescentParams::spare`); early in a search from random
/// lists it need not (0.367 against 0.375 after three iterations).
#[test]
fn spare_entry_is_capped_and_helps_a_converged_search() {
    let v = vectors(Metric::Euclidean, &spectra_like(40, 30, 9));
    let with_spare = |k: usize, spare: usize| {
        let params = NnDescentParams {
            spare,
            n_trees: Some(0),
            ..NnDescentParams::default()
        };
        nn_descent((&v).into(), k, &params).expect("graph")
    };
    let all = with_spare(39, usize::MAX);
    assert_eq!(all, with_spare(39, 0));
    assert_eq!(
        all.recall_against(&exact((&v).into(), 39).unwrap())
            .unwrap(),
        1.0
    );
    assert_eq!(with_spare(10, usize::MAX), with_spare(10, 29));
    let v = vectors(Metric::Euclidean, &spectra_like(3000, 100, 10));
    let truth = exact((&v).into(), 10).unwrap();
    let found = |spare| {
        let params = NnDescentParams {
            spare,
            max_candidates: 8,
            ..NnDescentParams::default()
        };
        let g = nn_descent((&v).into(), 10, &params).unwrap();
        assert_eq!(g.k(), 10);
        g.recall_against(&truth).unwrap()
    };
    let (with, without) = (found(1), found(0));
    println!("recall with a spare entry {with:.4}, without {without:.4}");
    assert!(with > without, "{with} <= {without}");
}

/// Progress of the kNN search: NN-descent reports its iterations and always ends at
/// `done = total`, also when it converges early; the exact search reports `1/1`;
/// breaking stops either with `Interrupted`.
#[test]
fn knn_search_reports_progress_and_can_be_stopped() {
    let v = vectors(Metric::Euclidean, &spectra_like(600, 40, 12));
    let nn = KnnMethod::NnDescent(NnDescentParams::default());
    let mut seen = Vec::new();
    let g = knn_graph_with_progress((&v).into(), 10, &nn, |d, t| {
        seen.push((d, t));
        ControlFlow::Continue(())
    })
    .expect("graph");
    assert_eq!(
        g,
        nn_descent((&v).into(), 10, &NnDescentParams::default()).unwrap()
    );
    let &(done, total) = seen.last().unwrap();
    assert_eq!(done, total, "{seen:?}");
    assert_eq!(seen[0].0, 0, "{seen:?}");
    assert!(
        seen.len() >= 3,
        "initial graph, an iteration, the end: {seen:?}"
    );
    let mut exact_seen = Vec::new();
    knn_graph_with_progress((&v).into(), 10, &KnnMethod::Exact, |d, t| {
        exact_seen.push((d, t));
        ControlFlow::Continue(())
    })
    .expect("graph");
    assert_eq!(exact_seen, [(1, 1)]);
    for method in [nn, KnnMethod::Exact] {
        let stopped =
            knn_graph_with_progress((&v).into(), 10, &method, |_, _| ControlFlow::Break(()));
        assert!(matches!(stopped, Err(Error::Interrupted)), "{method:?}");
    }
}
