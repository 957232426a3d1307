//! Exact k-nearest-neighbour search: `KnnIndex` and `ReducedIndex` against brute force
//! with the measures of `xas_metrics::measures`, on random, smooth and degenerate
//! libraries; the W1 fast path against `measures::wasserstein1`; bad input.
#![allow(clippy::unwrap_used)]

use xas_metrics::Error;
use xas_metrics::measures::{cosine_distance, euclidean, wasserstein1};
use xas_metrics::search::{
    COARSE_CANDIDATES, CdfTransform, FastMetric, KnnIndex, Neighbor, Real, ReducedIndex,
    ReducedParams, SearchMode,
};

/// Deterministic uniform numbers in `[0, 1)` (64-bit LCG, top 53 bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Uniform random rows (the worst case for any reduction: no structure).
fn random_rows(n: usize, m: usize, seed: u64) -> Vec<f64> {
    let mut g = Lcg(seed);
    (0..n * m).map(|_| g.next()).collect()
}

/// Sums of three Gaussians of random centre, width and height, plus 1 % noise; a few
/// slightly negative values so that W1's clipping is exercised.
fn smooth_rows(n: usize, m: usize, seed: u64) -> Vec<f64> {
    let mut g = Lcg(seed);
    let mut out = Vec::with_capacity(n * m);
    for _ in 0..n {
        let peaks: Vec<(f64, f64, f64)> = (0..3)
            .map(|_| {
                (
                    g.next() * m as f64,
                    1.5 + 0.2 * m as f64 * g.next(),
                    g.next(),
                )
            })
            .collect();
        for i in 0..m {
            let y: f64 = peaks
                .iter()
                .map(|(c, w, h)| h * (-0.5 * ((i as f64 - c) / w).powi(2)).exp())
                .sum();
            out.push(y + 0.01 * (g.next() - 0.05));
        }
    }
    out
}

/// A non-uniform, strictly increasing energy axis (eV).
fn axis(m: usize) -> Vec<f64> {
    (0..m)
        .map(|i| 635.0 + 0.1 * i as f64 + 0.002 * (i as f64).powi(2))
        .collect()
}

fn metrics(m: usize) -> Vec<FastMetric> {
    vec![
        FastMetric::Euclidean,
        FastMetric::Cosine,
        FastMetric::Wasserstein1 { energy_ev: axis(m) },
    ]
}

/// The reference distance of `metric` from `xas_metrics::measures`.
fn reference(metric: &FastMetric, a: &[f64], b: &[f64]) -> f64 {
    match metric {
        FastMetric::Euclidean => euclidean(a, b),
        FastMetric::Cosine => cosine_distance(a, b),
        FastMetric::Wasserstein1 { energy_ev } => wasserstein1(energy_ev, a, b),
    }
}

/// Brute force: all distances, sorted by (distance, row), first `k`.
fn brute(metric: &FastMetric, data: &[f64], m: usize, q: &[f64], k: usize) -> Vec<(usize, f64)> {
    let mut d: Vec<(usize, f64)> = data
        .chunks_exact(m)
        .enumerate()
        .map(|(i, r)| (i, reference(metric, q, r)))
        .collect();
    d.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    d.truncate(k);
    d
}

fn assert_matches(got: &[Neighbor], want: &[(usize, f64)], tol: f64, what: &str) {
    assert_eq!(
        got.iter().map(|n| n.index).collect::<Vec<_>>(),
        want.iter().map(|w| w.0).collect::<Vec<_>>(),
        "{what}: neighbours differ"
    );
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.distance - w.1).abs() <= tol * (1.0 + w.1.abs()),
            "{what}: row {} at {} instead of {}",
            g.index,
            g.distance,
            w.1
        );
    }
}

/// As [`assert_matches`], but rows at (numerically) tied distances may come in either
/// order: the distances must agree, and each row returned must be at its distance.
fn assert_matches_upto_ties(
    metric: &FastMetric,
    data: &[f64],
    m: usize,
    q: &[f64],
    got: &[Neighbor],
    want: &[(usize, f64)],
    what: &str,
) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!((g.distance - w.1).abs() <= 1e-12 * (1.0 + w.1), "{what}");
        let r = &data[g.index * m..(g.index + 1) * m];
        assert!(
            (reference(metric, q, r) - g.distance).abs() <= 1e-12 * (1.0 + w.1),
            "{what}"
        );
    }
}

/// Bit-for-bit equality of two answers.
fn assert_identical(a: &[Neighbor], b: &[Neighbor], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.index, y.index, "{what}: neighbours differ");
        assert_eq!(
            x.distance.to_bits(),
            y.distance.to_bits(),
            "{what}: distances differ"
        );
    }
}

/// Queries: perturbed library rows (near neighbours exist) and fresh rows.
fn queries(data: &[f64], m: usize, fresh: &[f64]) -> Vec<Vec<f64>> {
    let mut g = Lcg(99);
    let mut out: Vec<Vec<f64>> = data
        .chunks_exact(m)
        .step_by(97)
        .take(4)
        .map(|r| r.iter().map(|v| v + 0.003 * (g.next() - 0.5)).collect())
        .collect();
    out.extend(fresh.chunks_exact(m).map(<[f64]>::to_vec));
    out
}

#[test]
fn scan_and_reduced_index_match_brute_force_f64() {
    for (name, n, m, data, fresh) in [
        (
            "random",
            700,
            40,
            random_rows(700, 40, 1),
            random_rows(3, 40, 2),
        ),
        (
            "smooth",
            1500,
            120,
            smooth_rows(1500, 120, 3),
            smooth_rows(3, 120, 4),
        ),
    ] {
        for metric in metrics(m) {
            let scan = KnnIndex::<f64>::new(&data, m, metric.clone()).unwrap();
            let reduced =
                ReducedIndex::<f64>::new(&data, m, metric.clone(), &ReducedParams::default())
                    .unwrap();
            assert_eq!(reduced.len(), n);
            for (qi, q) in queries(&data, m, &fresh).iter().enumerate() {
                for k in [1, 5, 17] {
                    let what = format!("{name} {} query {qi} k {k}", metric.name());
                    let want = brute(&metric, &data, m, q, k);
                    let got = scan.knn(q, k).unwrap();
                    assert_matches(&got, &want, 1e-12, &format!("scan, {what}"));
                    let fast = reduced.knn(q, k).unwrap();
                    assert_identical(&fast, &got, &format!("reduced, {what}"));
                }
            }
        }
    }
}

#[test]
fn reduced_index_equals_scan_bit_for_bit_in_f32() {
    let (n, m) = (2000, 96);
    let data = smooth_rows(n, m, 5);
    let fresh = smooth_rows(4, m, 6);
    for metric in metrics(m) {
        let scan = KnnIndex::<f32>::new(&data, m, metric.clone()).unwrap();
        for params in [
            ReducedParams::default(),
            ReducedParams {
                coarse_dims: Some(3),
                fine_dims: 12,
                kd_tree: false,
            },
            ReducedParams {
                coarse_dims: Some(16),
                fine_dims: 16,
                kd_tree: true,
            },
        ] {
            let reduced = ReducedIndex::<f32>::new(&data, m, metric.clone(), &params).unwrap();
            for q in queries(&data, m, &fresh) {
                let want = scan.knn(&q, 5).unwrap();
                let (got, stats) = reduced.search(&q, 5, SearchMode::Exact).unwrap();
                assert_identical(&got, &want, &format!("{} {params:?}", metric.name()));
                assert!(stats.refined >= 5 && stats.refined <= n);
                // f32 storage is still close to the f64 measure.
                for nb in &want {
                    let r = &data[nb.index * m..(nb.index + 1) * m];
                    let d = reference(&metric, &q, r);
                    assert!(
                        (nb.distance - d).abs() <= 1e-5 * (1.0 + d),
                        "{}",
                        metric.name()
                    );
                }
            }
        }
    }
}

#[test]
fn smooth_libraries_are_pruned() {
    let (n, m) = (4000, 200);
    let data = smooth_rows(n, m, 7);
    let fresh = smooth_rows(8, m, 8);
    for metric in metrics(m) {
        let reduced =
            ReducedIndex::<f32>::new(&data, m, metric.clone(), &ReducedParams::default()).unwrap();
        assert!(COARSE_CANDIDATES.contains(&reduced.coarse_dims()));
        let mut refined = 0;
        for q in fresh.chunks_exact(m) {
            refined += reduced.search(q, 5, SearchMode::Exact).unwrap().1.refined;
        }
        // Far fewer true distances than rows.
        assert!(
            refined / 8 < n / 10,
            "{}: {} refined",
            metric.name(),
            refined / 8
        );
    }
}

#[test]
fn degenerate_libraries() {
    let m = 24;
    let base = smooth_rows(30, m, 9);
    // Every row three times: exact ties broken by the lower index.
    let mut dup = Vec::new();
    for r in base.chunks_exact(m) {
        for _ in 0..3 {
            dup.extend_from_slice(r);
        }
    }
    // Rank 2: every row a combination of two fixed vectors (far fewer than the fine
    // components asked for), with small-integer values so that ties are exact.
    let mut rank2 = Vec::new();
    for i in 0..200 {
        let (a, b) = ((i % 7) as f64, (i / 7 % 5) as f64);
        rank2.extend((0..m).map(|p| a * (1 + p % 3) as f64 + b * (p % 2) as f64 + 1.0));
    }
    // Fewer rows than k, and a single row.
    let few = smooth_rows(3, m, 10);
    let one = smooth_rows(1, m, 11);
    for (name, data) in [
        ("duplicates", dup),
        ("rank 2", rank2),
        ("n < k", few),
        ("one row", one),
    ] {
        let n = data.len() / m;
        for metric in metrics(m) {
            let scan = KnnIndex::<f64>::new(&data, m, metric.clone()).unwrap();
            let reduced = ReducedIndex::<f64>::new(
                &data,
                m,
                metric.clone(),
                &ReducedParams {
                    coarse_dims: Some(6),
                    fine_dims: 64,
                    kd_tree: false,
                },
            )
            .unwrap();
            assert!(reduced.fine_dims() <= m);
            let mut qs: Vec<Vec<f64>> = data.chunks_exact(m).take(4).map(<[f64]>::to_vec).collect();
            qs.push(smooth_rows(1, m, 12));
            for q in &qs {
                for k in [1, 4, 7] {
                    let what = format!("{name}, {}, k {k}", metric.name());
                    let want = brute(&metric, &data, m, q, k);
                    let got = scan.knn(q, k).unwrap();
                    assert_eq!(got.len(), k.min(n), "{what}");
                    assert_matches_upto_ties(&metric, &data, m, q, &got, &want, &what);
                    assert_identical(&reduced.knn(q, k).unwrap(), &got, &what);
                }
            }
        }
    }
}

#[test]
fn wasserstein_fast_path_equals_the_measure() {
    let m = 150;
    let energy = axis(m);
    let data = smooth_rows(60, m, 13);
    let transform = CdfTransform::new(&energy).unwrap();
    let sum: f64 = transform.weights().iter().sum();
    let axis_span = energy[m - 1] - energy[0];
    assert!((sum - axis_span).abs() <= 1e-12 * axis_span);
    let index = KnnIndex::<f64>::new(
        &data,
        m,
        FastMetric::Wasserstein1 {
            energy_ev: energy.clone(),
        },
    )
    .unwrap();
    for q in data.chunks_exact(m).step_by(7) {
        for nb in index.knn(q, 60).unwrap() {
            let r = &data[nb.index * m..(nb.index + 1) * m];
            let want = wasserstein1(&energy, q, r);
            assert!(
                (nb.distance - want).abs() <= 1e-12 * want.max(1e-300) || nb.distance == want,
                "{} vs {want}",
                nb.distance
            );
            let direct =
                transform.distance(transform.cdf(q).as_deref(), transform.cdf(r).as_deref());
            assert!((direct - want).abs() <= 1e-12 * want.max(1e-300) || direct == want);
        }
    }
    // Empty spectra (no positive area): 0 between two, the axis span otherwise.
    let mut with_empty = data[..5 * m].to_vec();
    with_empty.extend(std::iter::repeat_n(-1.0, m));
    with_empty.extend(std::iter::repeat_n(0.0, m));
    let w1 = FastMetric::Wasserstein1 {
        energy_ev: energy.clone(),
    };
    let index = KnnIndex::<f64>::new(&with_empty, m, w1.clone()).unwrap();
    let reduced =
        ReducedIndex::<f32>::new(&with_empty, m, w1.clone(), &ReducedParams::default()).unwrap();
    let empty_query = vec![0.0; m];
    let got = index.knn(&empty_query, 3).unwrap();
    assert_eq!((got[0].index, got[0].distance), (5, 0.0));
    assert_eq!((got[1].index, got[1].distance), (6, 0.0));
    let span = wasserstein1(&energy, &empty_query, &data[..m]);
    assert_eq!(got[2].distance, span);
    let got = reduced.knn(&empty_query, 3).unwrap();
    assert_eq!(
        got.iter().map(|n| n.index).collect::<Vec<_>>(),
        vec![5, 6, 0]
    );
    let got = index.knn(&data[..m], 7).unwrap();
    assert_eq!(got[5].distance, span);
    assert_eq!(got[6].distance, span);
    assert_matches(
        &got,
        &brute(&w1, &with_empty, m, &data[..m], 7),
        1e-12,
        "empty rows",
    );
    assert_identical(
        &reduced.exact().knn(&data[..m], 7).unwrap(),
        &reduced.knn(&data[..m], 7).unwrap(),
        "empty rows",
    );
}

#[test]
fn batches_equal_single_queries() {
    let (n, m) = (3000, 64);
    let data = smooth_rows(n, m, 14);
    let qs = smooth_rows(21, m, 15);
    for metric in metrics(m) {
        let scan = KnnIndex::<f32>::new(&data, m, metric.clone()).unwrap();
        let reduced =
            ReducedIndex::<f32>::new(&data, m, metric.clone(), &ReducedParams::default()).unwrap();
        let batch = scan.knn_batch(&qs, 6).unwrap();
        let reduced_batch = reduced.knn_batch(&qs, 6, SearchMode::Exact).unwrap();
        let approx = SearchMode::Approximate { candidates: 10 };
        let approx_batch = reduced.knn_batch(&qs, 6, approx).unwrap();
        assert_eq!(batch.len(), 21);
        for (i, q) in qs.chunks_exact(m).enumerate() {
            let single = scan.knn(q, 6).unwrap();
            assert_identical(&batch[i], &single, metric.name());
            assert_identical(&reduced_batch[i], &single, metric.name());
            assert_identical(
                &approx_batch[i],
                &reduced.search(q, 6, approx).unwrap().0,
                "approx",
            );
        }
    }
}

/// Recall@k of the approximate mode: fraction of the exact k neighbours it finds.
fn recall<T: Real>(index: &ReducedIndex<T>, qs: &[f64], m: usize, k: usize, c: usize) -> f64 {
    let mut found = 0;
    for q in qs.chunks_exact(m) {
        let exact = index.knn(q, k).unwrap();
        let (approx, stats) = index
            .search(q, k, SearchMode::Approximate { candidates: c })
            .unwrap();
        assert!(stats.refined <= c.max(k));
        found += approx
            .iter()
            .filter(|a| exact.iter().any(|e| e.index == a.index))
            .count();
    }
    found as f64 / (k * qs.len() / m) as f64
}

#[test]
fn approximate_mode_recall() {
    let (n, m) = (4000, 150);
    let data = smooth_rows(n, m, 16);
    let qs = smooth_rows(30, m, 17);
    for metric in metrics(m) {
        for kd_tree in [false, true] {
            let params = ReducedParams {
                coarse_dims: Some(8),
                kd_tree,
                ..ReducedParams::default()
            };
            let index = ReducedIndex::<f32>::new(&data, m, metric.clone(), &params).unwrap();
            assert_eq!(index.has_kd_tree(), kd_tree);
            let what = format!("{} (tree: {kd_tree})", metric.name());
            let low = recall(&index, &qs, m, 5, 5);
            let high = recall(&index, &qs, m, 5, 40);
            let all = recall(&index, &qs, m, 5, n);
            assert!(
                low <= high + 1e-12 && high <= all + 1e-12,
                "{what}: {low} {high} {all}"
            );
            assert!(high >= 0.9, "{what}: recall@5 with 40 candidates {high}");
            assert_eq!(all, 1.0, "{what}");
        }
    }
}

#[test]
fn rows_find_themselves_and_custom_distances_work() {
    let (n, m) = (300, 40);
    let data = smooth_rows(n, m, 20);
    for metric in metrics(m) {
        let index =
            ReducedIndex::<f64>::new(&data, m, metric.clone(), &ReducedParams::default()).unwrap();
        for i in (0..n).step_by(23) {
            let nn = index.knn(&data[i * m..(i + 1) * m], 1).unwrap();
            assert_eq!(nn[0].index, i, "{}", metric.name());
            assert!(nn[0].distance < 1e-12, "{}", metric.name());
        }
    }
    let scan = KnnIndex::<f64>::new(&data, m, FastMetric::Euclidean).unwrap();
    let custom = scan
        .knn_with(&data[..m], 2, |q, r| {
            Ok(q.iter().zip(r).map(|(a, b)| (a - b).abs()).sum())
        })
        .unwrap();
    assert_eq!(custom[0].index, 0);
    assert_eq!(custom[0].distance, 0.0);
    // The second is the nearest other row in L1, at its L1 distance.
    let l1 = |j: usize| -> f64 {
        data[..m]
            .iter()
            .zip(&data[j * m..(j + 1) * m])
            .map(|(a, b)| (a - b).abs())
            .sum()
    };
    let nearest = (1..n).min_by(|&a, &b| l1(a).total_cmp(&l1(b))).unwrap();
    assert_eq!(custom[1].index, nearest);
    assert_eq!(custom[1].distance, l1(nearest));
}

fn field_of(err: Error) -> String {
    match err {
        Error::InvalidData { field, .. } => field,
        Error::InvalidParameter { name, .. } => name,
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn bad_input_is_a_named_error() {
    let m = 8;
    let data = smooth_rows(20, m, 18);
    let e = |r: Result<KnnIndex<f64>, Error>| field_of(r.unwrap_err());
    assert_eq!(
        e(KnnIndex::new(&data[..10], m, FastMetric::Euclidean)),
        "library"
    );
    assert_eq!(e(KnnIndex::new(&[], m, FastMetric::Euclidean)), "library");
    assert_eq!(e(KnnIndex::new(&data, 0, FastMetric::Euclidean)), "library");
    let mut nan = data.clone();
    nan[13] = f64::NAN;
    assert_eq!(e(KnnIndex::new(&nan, m, FastMetric::Euclidean)), "library");
    nan[13] = f64::INFINITY;
    assert_eq!(e(KnnIndex::new(&nan, m, FastMetric::Cosine)), "library");
    assert_eq!(
        e(KnnIndex::new(&[0.0; 16], m, FastMetric::Cosine)),
        "library"
    );
    let w1 = |energy_ev: Vec<f64>| FastMetric::Wasserstein1 { energy_ev };
    assert_eq!(e(KnnIndex::new(&data, m, w1(axis(m + 1)))), "energy_ev");
    let mut bent = axis(m);
    bent[3] = bent[2];
    assert_eq!(e(KnnIndex::new(&data, m, w1(bent))), "energy_ev");
    assert_eq!(
        e(KnnIndex::new(&data, m, w1(vec![f64::NAN; m]))),
        "energy_ev"
    );

    let bad_params = [
        ReducedParams {
            coarse_dims: Some(0),
            ..ReducedParams::default()
        },
        ReducedParams {
            coarse_dims: Some(9),
            fine_dims: 8,
            kd_tree: false,
        },
        ReducedParams {
            fine_dims: 0,
            ..ReducedParams::default()
        },
        // No k-d tree for 10 + 1 coarse coordinates.
        ReducedParams {
            coarse_dims: Some(10),
            fine_dims: 20,
            kd_tree: true,
        },
    ];
    let data20 = smooth_rows(40, 20, 19);
    for p in &bad_params {
        let err = ReducedIndex::<f32>::new(&data20, 20, FastMetric::Euclidean, p).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{p:?}");
    }

    for metric in metrics(m) {
        let scan = KnnIndex::<f32>::new(&data, m, metric.clone()).unwrap();
        let reduced =
            ReducedIndex::<f32>::new(&data, m, metric.clone(), &ReducedParams::default()).unwrap();
        let q = &data[..m];
        let mut nan_q = q.to_vec();
        nan_q[2] = f64::NAN;
        for (query, k, field) in [
            (&q[..m - 1], 3, "query"),
            (&nan_q[..], 3, "query"),
            (q, 0, "k"),
        ] {
            assert_eq!(field_of(scan.knn(query, k).unwrap_err()), field);
            assert_eq!(field_of(reduced.knn(query, k).unwrap_err()), field);
        }
        assert_eq!(
            field_of(scan.knn_batch(&data[..m + 3], 2).unwrap_err()),
            "queries"
        );
        assert_eq!(
            field_of(reduced.knn_batch(&nan_q, 2, SearchMode::Exact).unwrap_err()),
            "queries (row 0), query"
        );
        assert_eq!(field_of(scan.knn_batch(q, 0).unwrap_err()), "k");
        // More neighbours than rows: all rows.
        assert_eq!(reduced.knn(q, 50).unwrap().len(), 20);
    }
    let cosine = KnnIndex::<f64>::new(&data, m, FastMetric::Cosine).unwrap();
    assert_eq!(field_of(cosine.knn(&[0.0; 8], 1).unwrap_err()), "query");
}
