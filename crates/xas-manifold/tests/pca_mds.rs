//! PCA, classical MDS and SMACOF on data with known answers, and against scikit-learn.

use std::ops::ControlFlow;

use xas_manifold::DistanceMatrix;
use xas_manifold::mds::{ClassicalMds, Smacof, SmacofInit, SmacofParams, smacof};
use xas_manifold::pca::{Pca, PcaParams, PcaSolver};

mod common;
use common::SplitMix;

// ---------------------------------------------------------------- helpers

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Euclidean distance matrix of `n x dim` points.
fn euclidean(points: &[f64], dim: usize) -> DistanceMatrix {
    let n = points.len() / dim;
    let d = (0..n * n)
        .map(|k| dist(&points[k / n * dim..][..dim], &points[k % n * dim..][..dim]))
        .collect();
    DistanceMatrix::new(n, d).expect("valid distances")
}

/// Largest |a_ij - b_ij| over the pairwise distances of two configurations, relative to
/// the largest distance of `b`.
fn distance_error(a: &[f64], da: usize, b: &[f64], db: usize) -> f64 {
    let n = a.len() / da;
    let (mut err, mut scale) = (0.0f64, 0.0f64);
    for i in 0..n {
        for j in 0..i {
            let x = dist(&a[i * da..][..da], &a[j * da..][..da]);
            let y = dist(&b[i * db..][..db], &b[j * db..][..db]);
            err = err.max((x - y).abs());
            scale = scale.max(y);
        }
    }
    err / scale
}

/// `|a - s b|_inf / |b|_inf` with the sign `s` of each of `dims` columns chosen to match.
fn column_error_up_to_sign(a: &[f64], b: &[f64], dims: usize) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    (0..dims)
        .map(|c| {
            let col = |x: &[f64], s: f64| -> f64 {
                x.chunks(dims)
                    .zip(b.chunks(dims))
                    .map(|(p, q)| (p[c] - s * q[c]).abs())
                    .fold(0.0, f64::max)
            };
            col(a, 1.0).min(col(a, -1.0))
        })
        .fold(0.0, f64::max)
        / scale
}

fn assert_rel(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1e-300),
            "{got:?}\n{want:?}"
        );
    }
}

fn continue_always(_: usize, _: usize) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// Two orthonormal directions in `R^m` (Gram-Schmidt of two fixed vectors).
fn orthonormal_pair(m: usize) -> (Vec<f64>, Vec<f64>) {
    let a: Vec<f64> = (0..m).map(|j| 1.0 + j as f64).collect();
    let b: Vec<f64> = (0..m).map(|j| ((j * j) % 5) as f64 - 2.0).collect();
    let na = a.iter().map(|v| v * v).sum::<f64>().sqrt();
    let e1: Vec<f64> = a.iter().map(|v| v / na).collect();
    let proj: f64 = b.iter().zip(&e1).map(|(x, y)| x * y).sum();
    let r: Vec<f64> = b.iter().zip(&e1).map(|(x, y)| x - proj * y).collect();
    let nr = r.iter().map(|v| v * v).sum::<f64>().sqrt();
    (e1, r.iter().map(|v| v / nr).collect())
}

/// A swiss roll of `n` points in 3-D, from low-discrepancy sequences.
fn swiss_roll(n: usize) -> Vec<f64> {
    (0..n)
        .flat_map(|i| {
            let u = (i as f64 * 0.618_033_988_749_895).fract();
            let v = (i as f64 * 0.754_877_666_246_693).fract();
            let t = 1.5 * std::f64::consts::PI * (1.0 + 2.0 * u);
            [t * t.cos(), 21.0 * v, t * t.sin()]
        })
        .collect()
}

/// The scikit-learn reference rows: `x_ij = sin(0.7 i + 1.3 j) + 0.05 i j`, 8 x 5.
fn reference_rows() -> Vec<f64> {
    (0..8)
        .flat_map(|i| {
            (0..5).map(move |j| {
                let (i, j) = (f64::from(i), f64::from(j));
                (0.7 * i + 1.3 * j).sin() + 0.05 * i * j
            })
        })
        .collect()
}

/// City-block (L1) distances of the reference rows: not Euclidean.
fn reference_l1() -> DistanceMatrix {
    let x = reference_rows();
    let d = (0..64)
        .map(|k| {
            let (a, b) = (&x[k / 8 * 5..][..5], &x[k % 8 * 5..][..5]);
            a.iter().zip(b).map(|(p, q)| (p - q).abs()).sum()
        })
        .collect();
    DistanceMatrix::new(8, d).expect("valid")
}

// ---------------------------------------------------------------- PCA

#[test]
fn pca_of_a_line_has_one_component_along_it() {
    let dir = [1.0, -2.0, 0.5, 3.0, -1.0];
    let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
    let rows: Vec<f64> = (0..30)
        .flat_map(|i| {
            let t = (f64::from(i) * 0.37).sin() * 4.0;
            dir.iter()
                .enumerate()
                .map(move |(j, d)| 10.0 + j as f64 + t * d)
        })
        .collect();
    let p = PcaParams {
        n_components: 2,
        solver: PcaSolver::Exact,
    };
    let pca = Pca::fit(&rows, 5, &p).expect("fit");
    assert!((pca.explained_variance_ratio()[0] - 1.0).abs() < 1e-12);
    assert!(pca.explained_variance_ratio()[1] < 1e-12);
    // The largest entry (3.0) is positive: the axis is +dir / |dir|.
    for (c, d) in pca.components()[..5].iter().zip(dir) {
        assert!((c - d / norm).abs() < 1e-12, "{:?}", pca.components());
    }
}

#[test]
fn pca_recovers_an_embedded_ellipse() {
    let (m, n) = (10, 60);
    let (e1, e2) = orthonormal_pair(m);
    let angle = |i: usize| std::f64::consts::TAU * i as f64 / n as f64;
    let rows: Vec<f64> = (0..n)
        .flat_map(|i| {
            let (a, b) = (3.0 * angle(i).cos(), angle(i).sin());
            (0..m)
                .map(|j| 0.5 * j as f64 + a * e1[j] + b * e2[j])
                .collect::<Vec<_>>()
        })
        .collect();
    let p = PcaParams {
        n_components: 2,
        solver: PcaSolver::Exact,
    };
    let (pca, scores) = Pca::fit_transform(&rows, m, &p).expect("fit");
    let ev = pca.explained_variance();
    // sum cos^2 = sum sin^2 = n/2 over evenly spaced angles.
    assert_rel(ev, &[9.0 * 30.0 / 59.0, 30.0 / 59.0], 1e-12);
    assert!((ev[0] / ev[1] - 9.0).abs() < 1e-10);
    assert!((pca.explained_variance_ratio().iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let want: Vec<f64> = (0..n)
        .flat_map(|i| [3.0 * angle(i).cos(), angle(i).sin()])
        .collect();
    assert!(column_error_up_to_sign(&scores, &want, 2) < 1e-12);
    let axes = pca.components();
    for (axis, e) in [(&axes[..m], &e1), (&axes[m..], &e2)] {
        let dot: f64 = axis.iter().zip(e.iter()).map(|(a, b)| a * b).sum();
        assert!((dot.abs() - 1.0).abs() < 1e-12, "{dot}");
    }
}

#[test]
fn inverse_transform_undoes_transform_at_full_rank() {
    let mut g = SplitMix(11);
    // 25 spectra of 7 points spanning a 3-D affine subspace.
    let basis = g.normals(3 * 7);
    let rows: Vec<f64> = (0..25)
        .flat_map(|_| {
            let t = g.normals(3);
            (0..7)
                .map(|j| 1.0 + (0..3).map(|c| t[c] * basis[c * 7 + j]).sum::<f64>())
                .collect::<Vec<_>>()
        })
        .collect();
    let p = PcaParams {
        n_components: 3,
        solver: PcaSolver::Exact,
    };
    let pca = Pca::fit(&rows, 7, &p).expect("fit");
    let back = pca
        .inverse_transform(&pca.transform(&rows).expect("transform"))
        .expect("inverse");
    for (a, b) in back.iter().zip(&rows) {
        assert!((a - b).abs() < 1e-12, "{a} {b}");
    }
    let full = Pca::fit(
        &rows,
        7,
        &PcaParams {
            n_components: 7,
            ..p
        },
    )
    .expect("fit");
    assert!(
        full.explained_variance_ratio()[3..]
            .iter()
            .all(|&r| r < 1e-25)
    );
}

#[test]
fn randomized_agrees_with_exact_on_a_low_rank_matrix() {
    let (n, m, rank) = (2000, 600, 8);
    let mut g = SplitMix(2024);
    let left = g.normals(n * rank);
    let right = g.normals(rank * m);
    let noise = g.normals(n * m);
    let rows: Vec<f64> = (0..n * m)
        .map(|k| {
            let (i, j) = (k / m, k % m);
            let signal: f64 = (0..rank)
                .map(|c| 0.7f64.powi(c as i32) * left[i * rank + c] * right[c * m + j])
                .sum();
            signal + 1e-3 * noise[k]
        })
        .collect();
    let k = 5;
    let exact = Pca::fit(
        &rows,
        m,
        &PcaParams {
            n_components: k,
            solver: PcaSolver::Exact,
        },
    )
    .expect("exact");
    let auto = Pca::fit(
        &rows,
        m,
        &PcaParams {
            n_components: k,
            solver: PcaSolver::Auto,
        },
    )
    .expect("auto");
    let randomized = Pca::fit(
        &rows,
        m,
        &PcaParams {
            n_components: k,
            solver: PcaSolver::Randomized {
                oversample: 10,
                power_iterations: 7,
                seed: 0,
            },
        },
    )
    .expect("randomized");
    // Auto is the randomized solver here, and it is deterministic.
    assert_eq!(auto, randomized);
    assert_rel(
        randomized.explained_variance(),
        exact.explained_variance(),
        1e-6,
    );
    assert_rel(
        randomized.explained_variance_ratio(),
        exact.explained_variance_ratio(),
        1e-6,
    );
    // sin of the largest principal angle <= |(I - V_e V_e^T) V_r|_F.
    let (ve, vr) = (exact.components(), randomized.components());
    let mut residual = 0.0;
    for a in vr.chunks(m) {
        let mut r = a.to_vec();
        for b in ve.chunks(m) {
            let c: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            r.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
        }
        residual += r.iter().map(|x| x * x).sum::<f64>();
    }
    assert!(
        residual.sqrt() < 1e-6,
        "subspace residual {}",
        residual.sqrt()
    );
    // Same sign convention: the axes agree one by one.
    for (a, b) in vr.iter().zip(ve) {
        assert!((a - b).abs() < 1e-6);
    }
}

/// Reference numbers from scikit-learn 1.9.1 / numpy 2.4.6:
///
/// ```python
/// import numpy as np
/// from sklearn.decomposition import PCA
/// X = np.array([[np.sin(0.7*i + 1.3*j) + 0.05*i*j for j in range(5)] for i in range(8)])
/// p = PCA(n_components=3, svd_solver="full").fit(X)
/// p.explained_variance_, p.explained_variance_ratio_, p.singular_values_,
/// p.components_.ravel(), p.transform(X[:1]).ravel()
/// ```
#[test]
fn pca_matches_scikit_learn() {
    let p = PcaParams {
        n_components: 3,
        solver: PcaSolver::Exact,
    };
    let pca = Pca::fit(&reference_rows(), 5, &p).expect("fit");
    let tol = 1e-10;
    assert_rel(
        pca.explained_variance(),
        &[2.6040782226263266, 1.2485019501575114, 0.04037249965118624],
        tol,
    );
    assert_rel(
        pca.explained_variance_ratio(),
        &[0.668921109949556, 0.3207082272018938, 0.01037066284855023],
        tol,
    );
    assert_rel(
        pca.singular_values(),
        &[4.2694903159960775, 2.9562668436902952, 0.53160840621486],
        tol,
    );
    assert_rel(
        pca.components(),
        &[
            -0.3584691981734254,
            -0.34815391905893156,
            0.27742620163417336,
            0.7070133560315421,
            0.4164798910447646,
            -0.4375655572390483,
            0.31634988827822247,
            0.6154502019606968,
            0.0301909191678028,
            -0.5733835440704398,
            0.3101604126656082,
            0.7039023184311562,
            0.3510546209017063,
            0.05316896586651906,
            0.5312774780983908,
        ],
        tol,
    );
    let scores = pca.transform(&reference_rows()[..5]).expect("transform");
    assert_rel(
        &scores,
        &[
            -1.7655292496706967,
            1.4180249550700803,
            -0.29110949145317266,
        ],
        tol,
    );
}

#[test]
fn pca_model_round_trips_through_json() {
    let p = PcaParams {
        n_components: 2,
        solver: PcaSolver::Exact,
    };
    let pca = Pca::fit(&reference_rows(), 5, &p).expect("fit");
    let json = serde_json::to_string(&pca).expect("serialise");
    let back: Pca = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, pca);
    assert_eq!(
        (back.n_components(), back.dim(), back.n_samples()),
        (2, 5, 8)
    );
    assert_eq!(back.mean().len(), 5);
}

// ---------------------------------------------------------------- classical MDS

/// Checks that classical MDS in `dims` dimensions reproduces all distances of `points`
/// and captures all the positive mass.
fn assert_exact_embedding(points: &[f64], dim: usize, dims: usize) {
    let mds = ClassicalMds::fit(&euclidean(points, dim), dims).expect("fit");
    let err = distance_error(mds.coords(), dims, points, dim);
    assert!(err < 1e-9, "distance error {err}");
    let captured = mds.captured_fraction().expect("dense");
    assert!((captured - 1.0).abs() < 1e-12, "{captured}");
    assert!(mds.negative_mass_fraction().expect("dense") < 1e-12);
    // Coordinates are centred.
    for c in 0..dims {
        let mean: f64 = mds.coords().chunks(dims).map(|x| x[c]).sum::<f64>();
        assert!(mean.abs() < 1e-9);
    }
}

#[test]
fn classical_mds_reproduces_euclidean_distances() {
    let circle: Vec<f64> = (0..50)
        .flat_map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / 50.0;
            [2.0 * t.cos() + 1.0, 2.0 * t.sin() - 3.0]
        })
        .collect();
    assert_exact_embedding(&circle, 2, 2);
    let line: Vec<f64> = (0..20)
        .flat_map(|i| {
            let t = f64::from(i * i) * 0.1;
            [t, -2.0 * t, 0.5 * t + 1.0]
        })
        .collect();
    assert_exact_embedding(&line, 3, 1);
    assert_exact_embedding(&line, 3, 2);
    let mut g = SplitMix(3);
    assert_exact_embedding(&g.normals(3 * 80), 3, 3);
}

#[test]
fn classical_mds_of_a_line_in_two_dimensions_has_a_zero_column() {
    let line: Vec<f64> = (0..10).flat_map(|i| [f64::from(i), 0.0]).collect();
    let mds = ClassicalMds::fit(&euclidean(&line, 2), 2).expect("fit");
    assert_eq!(mds.rank(), 1);
    assert!(mds.coords().chunks(2).all(|x| x[1] == 0.0));
    assert!(mds.eigenvalues()[1].abs() < 1e-10 * mds.eigenvalues()[0]);
}

#[test]
fn classical_mds_equals_pca_scores_on_a_swiss_roll() {
    let roll = swiss_roll(400);
    let mds = ClassicalMds::fit(&euclidean(&roll, 3), 2).expect("mds");
    let p = PcaParams {
        n_components: 2,
        solver: PcaSolver::Exact,
    };
    let (pca, scores) = Pca::fit_transform(&roll, 3, &p).expect("pca");
    let err = column_error_up_to_sign(mds.coords(), &scores, 2);
    assert!(err < 1e-8, "{err}");
    // lambda_c = (n - 1) explained_variance_c.
    let scaled: Vec<f64> = pca.explained_variance().iter().map(|v| v * 399.0).collect();
    assert_rel(mds.eigenvalues(), &scaled, 1e-10);
}

#[test]
fn classical_transform_places_points_like_pca() {
    let mut g = SplitMix(8);
    let points = g.normals(3 * 60);
    let new = g.normals(3 * 4);
    let mds = ClassicalMds::fit(&euclidean(&points, 3), 2).expect("mds");
    // A training point's own distances give back its coordinates.
    let d = euclidean(&points, 3);
    let back = mds.transform(d.as_slice()).expect("transform");
    for (a, b) in back.iter().zip(mds.coords()) {
        assert!((a - b).abs() < 1e-9, "{a} {b}");
    }
    // A new point lands at its PCA scores (Gower's formula is the projection).
    let to_training: Vec<f64> = new
        .chunks(3)
        .flat_map(|q| points.chunks(3).map(|x| dist(q, x)).collect::<Vec<_>>())
        .collect();
    let placed = mds.transform(&to_training).expect("transform");
    let p = PcaParams {
        n_components: 2,
        solver: PcaSolver::Exact,
    };
    let pca = Pca::fit(&points, 3, &p).expect("pca");
    let all = pca
        .transform(&[points.clone(), new].concat())
        .expect("scores");
    // Match the signs on the training points, then compare the new ones.
    let signs: Vec<f64> = (0..2)
        .map(|c| {
            let dot: f64 = (0..60)
                .map(|i| all[i * 2 + c] * mds.coords()[i * 2 + c])
                .sum();
            dot.signum()
        })
        .collect();
    for (i, q) in placed.chunks(2).enumerate() {
        for c in 0..2 {
            let want = signs[c] * all[(60 + i) * 2 + c];
            assert!((q[c] - want).abs() < 1e-9, "{} vs {want}", q[c]);
        }
    }
}

#[test]
fn classical_mds_reports_non_euclidean_input() {
    // d(0, 2) = 3 > d(0, 1) + d(1, 2) = 2: the triangle inequality fails.
    let d = DistanceMatrix::new(
        4,
        vec![
            0.0, 1.0, 3.0, 1.0, //
            1.0, 0.0, 1.0, 1.0, //
            3.0, 1.0, 0.0, 1.0, //
            1.0, 1.0, 1.0, 0.0,
        ],
    )
    .expect("valid");
    let mds = ClassicalMds::fit(&d, 2).expect("fit");
    assert!(
        mds.smallest_eigenvalue() < -0.1,
        "{}",
        mds.smallest_eigenvalue()
    );
    let negative = mds.negative_mass().expect("dense");
    assert!(negative > 0.1);
    assert!(mds.negative_mass_fraction().expect("dense") > 0.05);
    let total = mds.positive_mass().expect("dense") - negative;
    assert!((total - mds.trace()).abs() < 1e-12 * mds.trace().abs().max(1.0));
}

/// Reference numbers from scikit-learn 1.9.1 (`ClassicalMDS`, the same sign convention:
/// the largest entry of each eigenvector positive) and numpy 2.4.6, for the city-block
/// distances of the PCA reference rows:
///
/// ```python
/// import numpy as np
/// from sklearn.manifold import ClassicalMDS
/// X = np.array([[np.sin(0.7*i + 1.3*j) + 0.05*i*j for j in range(5)] for i in range(8)])
/// D = np.abs(X[:, None, :] - X[None, :, :]).sum(-1)
/// c = ClassicalMDS(n_components=2, metric="precomputed").fit(D)
/// c.eigenvalues_, c.embedding_.ravel()
/// B = D**2; B -= B.mean(0); B -= B.mean(1, keepdims=True); B *= -0.5
/// w = np.linalg.eigvalsh(B); t = 1e-10 * abs(w).max()
/// w[0], w[w > t].sum(), -w[w < -t].sum()
/// ```
#[test]
fn classical_mds_matches_scikit_learn() {
    let mds = ClassicalMds::fit(&reference_l1(), 2).expect("fit");
    let tol = 1e-10;
    assert_rel(
        mds.eigenvalues(),
        &[73.32458700734126, 31.759146815389123],
        tol,
    );
    assert_rel(
        mds.coords(),
        &[
            3.366744224996309,
            2.811857359311666,
            4.148733953428335,
            0.49320164344701833,
            2.952281461428183,
            -0.9870571615730892,
            0.7758583513930014,
            -2.7541117545301637,
            -1.252125649490603,
            -2.5961394285221617,
            -3.1144057920002193,
            -0.5728026854577766,
            -3.960655867993187,
            0.9412186237404424,
            -2.916430681761821,
            2.6638334035840683,
        ],
        1e-9,
    );
    assert_rel(&[mds.smallest_eigenvalue()], &[-5.616335447246006], tol);
    assert_rel(
        &[mds.positive_mass().expect("dense")],
        &[114.05687825384756],
        tol,
    );
    assert_rel(
        &[mds.negative_mass().expect("dense")],
        &[6.177132006390203],
        tol,
    );
}

#[test]
fn mds_rejects_impossible_sizes() {
    let two = DistanceMatrix::new(2, vec![0.0, 1.0, 1.0, 0.0]).expect("valid");
    let err = ClassicalMds::fit(&two, 1).expect_err("n < 3").to_string();
    assert!(err.contains("distances") && err.contains("3"), "{err}");
    let err = smacof(&two, &SmacofParams::default(), continue_always)
        .expect_err("n < 3")
        .to_string();
    assert!(err.contains("distances"), "{err}");
    let d = reference_l1();
    for dims in [0, 8, 9] {
        let err = ClassicalMds::fit(&d, dims).expect_err("dims").to_string();
        assert!(err.contains("dims"), "{err}");
        let p = SmacofParams {
            dims,
            ..SmacofParams::default()
        };
        let err = smacof(&d, &p, continue_always)
            .expect_err("dims")
            .to_string();
        assert!(err.contains("dims"), "{err}");
    }
    let mds = ClassicalMds::fit(&d, 2).expect("fit");
    let err = mds.transform(&[1.0; 7]).expect_err("short").to_string();
    assert!(err.contains("distances_to_training"), "{err}");
    let err = mds.transform(&[f64::NAN; 8]).expect_err("nan").to_string();
    assert!(err.contains("query 0, training point 0"), "{err}");
}

#[test]
fn classical_mds_round_trips_through_json() {
    let mds = ClassicalMds::fit(&reference_l1(), 2).expect("fit");
    let json = serde_json::to_string(&mds).expect("serialise");
    let back: ClassicalMds = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, mds);
    assert_eq!((back.n_points(), back.dims()), (8, 2));
}

// ---------------------------------------------------------------- SMACOF

#[test]
fn smacof_from_a_random_start_embeds_euclidean_data() {
    let mut g = SplitMix(41);
    let points = g.normals(2 * 40);
    let d = euclidean(&points, 2);
    let p = SmacofParams {
        dims: 2,
        max_iter: 3000,
        eps: 1e-12,
        init: SmacofInit::Random { seed: 7 },
    };
    let fit = smacof(&d, &p, continue_always).expect("fit");
    assert!(fit.stress_1() < 1e-4, "stress-1 {}", fit.stress_1());
    assert!(fit.converged());
    assert!(distance_error(fit.coords(), 2, &points, 2) < 1e-3);
    // Same seed, same map.
    assert_eq!(smacof(&d, &p, continue_always).expect("again"), fit);
}

#[test]
fn smacof_stress_never_increases() {
    let p = SmacofParams {
        dims: 2,
        max_iter: 200,
        eps: 0.0,
        init: SmacofInit::Random { seed: 1 },
    };
    let mut calls = Vec::new();
    let fit = smacof(&reference_l1(), &p, |it, max| {
        calls.push((it, max));
        ControlFlow::Continue(())
    })
    .expect("fit");
    let h = fit.stress_history();
    assert_eq!(h.len(), fit.iterations() + 1);
    assert_eq!(calls.len(), fit.iterations());
    assert!(calls.iter().enumerate().all(|(i, &c)| c == (i + 1, 200)));
    for w in h.windows(2) {
        assert!(w[1] <= w[0] * (1.0 + 1e-12), "{} -> {}", w[0], w[1]);
    }
    assert!(h[h.len() - 1] < 0.5 * h[0]);
    assert_eq!(fit.stress(), h[h.len() - 1]);
    // Non-Euclidean distances cannot be embedded exactly.
    assert!(fit.stress_1() > 1e-3);
}

/// Reference from scikit-learn 1.9.1 (same Guttman transform and stopping rule; its
/// result already has the largest entry of each column positive):
///
/// ```python
/// X0 = np.array([[np.cos(1.1*i), np.sin(0.9*i + 0.3)] for i in range(8)])
/// Y, stress, it = smacof(D, metric=True, n_components=2, init=X0, n_init=1,
///                        max_iter=300, eps=1e-6, normalized_stress=False,
///                        return_n_iter=True)   # D: the city-block distances above
/// ```
#[test]
fn smacof_matches_scikit_learn() {
    let init: Vec<f64> = (0..8)
        .flat_map(|i| {
            let i = f64::from(i);
            [(1.1 * i).cos(), (0.9 * i + 0.3).sin()]
        })
        .collect();
    let p = SmacofParams {
        dims: 2,
        max_iter: 300,
        eps: 1e-6,
        init: SmacofInit::Given(init),
    };
    let fit = smacof(&reference_l1(), &p, continue_always).expect("fit");
    assert_eq!(fit.iterations(), 15);
    assert!(fit.converged());
    assert_rel(&[fit.stress()], &[1.5430547206833864], 1e-10);
    assert_rel(
        fit.coords(),
        &[
            2.1075817717006964,
            3.930373733443943,
            -0.06636128289658169,
            4.124593400072782,
            -1.8533935697865827,
            2.6603594849887657,
            -2.7976374619472475,
            0.4095224035521766,
            -2.1983652335614448,
            -1.8437398899735702,
            -0.3206518401345136,
            -3.2951273875159606,
            1.7752582001179193,
            -3.6120752607574724,
            3.3535694165077543,
            -2.3739064838106643,
        ],
        1e-9,
    );
}

#[test]
fn smacof_transform_places_a_held_out_point() {
    let mut g = SplitMix(5);
    let points = g.normals(2 * 31);
    let (train, held) = points.split_at(60);
    let fit = smacof(
        &euclidean(train, 2),
        &SmacofParams::default(),
        continue_always,
    )
    .expect("fit");
    assert!(fit.stress_1() < 1e-8, "{}", fit.stress_1());
    let d: Vec<f64> = train.chunks(2).map(|x| dist(held, x)).collect();
    let y = fit.transform(&d).expect("transform");
    for (x, want) in fit.coords().chunks(2).zip(&d) {
        assert!((dist(&y, x) - want).abs() < 1e-6, "{} {want}", dist(&y, x));
    }
}

#[test]
fn smacof_model_round_trips_through_json() {
    let fit = smacof(&reference_l1(), &SmacofParams::default(), continue_always).expect("fit");
    let json = serde_json::to_string(&fit).expect("serialise");
    let back: Smacof = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, fit);
    assert_eq!(
        back.transform(reference_l1().row(3))
            .expect("transform")
            .len(),
        2
    );
}

#[test]
fn classical_mds_above_the_dense_limit_uses_lanczos() {
    let n = xas_manifold::mds::DENSE_LIMIT + 100;
    let mut g = SplitMix(99);
    let points = g.normals(3 * n);
    let d = euclidean(&points, 3);
    let mds = ClassicalMds::fit(&d, 3).expect("fit");
    assert_eq!(mds.positive_mass(), None);
    assert_eq!(mds.captured_fraction(), None);
    assert!(mds.smallest_eigenvalue().abs() < 1e-9 * mds.eigenvalues()[0]);
    let err = distance_error(mds.coords(), 3, &points, 3);
    assert!(err < 1e-9, "distance error {err}");
    let back = mds.transform(d.row(17)).expect("transform");
    for (a, b) in back.iter().zip(&mds.coords()[17 * 3..]) {
        assert!((a - b).abs() < 1e-9, "{a} {b}");
    }
}
