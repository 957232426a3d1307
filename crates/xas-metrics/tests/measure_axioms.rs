//! Axioms (identity, symmetry, non-negativity, triangle inequality, invariances) and
//! hand-computed examples of every measure in `xas_metrics::measures`, plus the error
//! cases of `Metric::distance` and `Metric::from_name`.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use xas_metrics::Error;
use xas_metrics::measures::*;

const CASES: u32 = 48;

/// Uniform axis `7100 + step i`.
fn axis(n: usize, step: f64) -> Vec<f64> {
    (0..n).map(|i| 7100.0 + step * i as f64).collect()
}

/// Every default measure plus a few parameter variants.
fn all_metrics() -> Vec<Metric> {
    let mut metrics = Metric::ALL_DEFAULT.to_vec();
    metrics.extend([
        Metric::WeightedCrossCorrelation { half_width_ev: 0.0 },
        Metric::WeightedCrossCorrelation { half_width_ev: 1.3 },
        Metric::Dtw { band_points: 0 },
        Metric::Dtw { band_points: 3 },
    ]);
    metrics
}

fn gaussian(energy: &[f64], centre: f64, sigma: f64) -> Vec<f64> {
    energy
        .iter()
        .map(|e| (-0.5 * ((e - centre) / sigma).powi(2)).exp())
        .collect()
}

fn field_of(err: Error) -> String {
    match err {
        Error::InvalidData { field, .. } => field,
        Error::InvalidParameter { name, .. } => name,
        other => panic!("unexpected error {other}"),
    }
}

fn close(x: f64, y: f64, tol: f64) -> bool {
    (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs()))
}

/// Axis step and `k` spectra of a common length in `2..40`, values in `[-2, 10]`.
fn spectra(k: usize) -> impl Strategy<Value = (f64, Vec<Vec<f64>>)> {
    (2usize..40, 0.1f64..1.0).prop_flat_map(move |(n, step)| {
        (
            Just(step),
            prop::collection::vec(prop::collection::vec(-2.0f64..10.0, n), k),
        )
    })
}

/// Spectra mixing degenerate values (zeros, constants, huge and tiny magnitudes).
fn awkward_spectra() -> impl Strategy<Value = Vec<Vec<f64>>> {
    let value = prop::sample::select(vec![0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, 2.5]);
    (2usize..12)
        .prop_flat_map(move |n| prop::collection::vec(prop::collection::vec(value.clone(), n), 2))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn identity((step, s) in spectra(1)) {
        let e = axis(s[0].len(), step);
        for m in all_metrics() {
            let d = m.distance(&e, &s[0], &s[0]).unwrap();
            prop_assert!(d.abs() <= 1e-12, "{m}: d(a, a) = {d}");
        }
    }

    #[test]
    fn symmetry_and_non_negativity((step, s) in spectra(2)) {
        let e = axis(s[0].len(), step);
        for m in all_metrics() {
            let ab = m.distance(&e, &s[0], &s[1]).unwrap();
            let ba = m.distance(&e, &s[1], &s[0]).unwrap();
            prop_assert!(ab >= 0.0 && ab.is_finite(), "{m}: {ab}");
            prop_assert!(ba >= 0.0 && ba.is_finite(), "{m}: {ba}");
            prop_assert_eq!(m.is_symmetric(), m != Metric::KullbackLeibler);
            if m.is_symmetric() {
                prop_assert!(close(ab, ba, 1e-12), "{m}: {ab} != {ba}");
            }
        }
    }

    #[test]
    fn triangle_inequality((step, s) in spectra(3)) {
        let e = axis(s[0].len(), step);
        let check = |name: &str, d: &dyn Fn(&[f64], &[f64]) -> f64| -> Result<(), TestCaseError> {
            let (ac, ab, bc) = (d(&s[0], &s[2]), d(&s[0], &s[1]), d(&s[1], &s[2]));
            prop_assert!(ac <= ab + bc + 1e-9 * (1.0 + ac), "{name}: {ac} > {ab} + {bc}");
            Ok(())
        };
        for m in Metric::ALL_DEFAULT.iter().filter(|m| m.satisfies_triangle_inequality()) {
            check(m.name(), &|a, b| m.distance(&e, a, b).unwrap())?;
        }
        check("sqrt(js)", &|a, b| jensen_shannon(&e, a, b).sqrt())?;
    }

    #[test]
    fn scale_invariance((step, s) in spectra(2), c in 0.01f64..100.0) {
        let e = axis(s[0].len(), step);
        let scaled: Vec<f64> = s[0].iter().map(|v| c * v).collect();
        let invariant = [
            Metric::Cosine,
            Metric::Pearson,
            Metric::Spearman,
            Metric::DerivativePearson,
            Metric::KullbackLeibler,
            Metric::JensenShannon,
            Metric::Hellinger,
            Metric::Wasserstein1,
            Metric::WeightedCrossCorrelation { half_width_ev: 1.3 },
            Metric::ALL_DEFAULT[11],
        ];
        for m in invariant {
            let d = m.distance(&e, &s[0], &s[1]).unwrap();
            let dc = m.distance(&e, &scaled, &s[1]).unwrap();
            prop_assert!(close(d, dc, 1e-9), "{m}: {d} vs {dc} after scaling by {c}");
        }
    }

    #[test]
    fn pearson_shift_invariance((_step, s) in spectra(2), c in -100.0f64..100.0) {
        let shifted: Vec<f64> = s[0].iter().map(|v| v + c).collect();
        let d = pearson_distance(&s[0], &s[1]);
        let ds = pearson_distance(&shifted, &s[1]);
        prop_assert!(close(d, ds, 1e-8), "{d} vs {ds} after adding {c}");
    }

    #[test]
    fn never_nan_on_degenerate_input(s in awkward_spectra()) {
        let e = axis(s[0].len(), 0.25);
        for m in all_metrics() {
            let d = m.distance(&e, &s[0], &s[1]).unwrap();
            prop_assert!(!d.is_nan() && d >= 0.0, "{m}: {d} for {:?}", s);
        }
    }

    #[test]
    fn dtw_matches_full_table((_step, s) in spectra(2), band in 0usize..45) {
        let fast = dtw(&s[0], &s[1], band);
        let reference = dtw_reference(&s[0], &s[1], band);
        prop_assert!(close(fast, reference, 1e-12), "{fast} vs {reference}");
        prop_assert!(fast <= manhattan(&s[0], &s[1]) + 1e-12);
    }
}

/// Straightforward `(n+1) x (n+1)` DTW table with the band, for comparison.
fn dtw_reference(a: &[f64], b: &[f64], band: usize) -> f64 {
    let n = a.len();
    let mut d = vec![vec![f64::INFINITY; n + 1]; n + 1];
    d[0][0] = 0.0;
    for i in 1..=n {
        for j in 1..=n {
            if i.abs_diff(j) <= band {
                let best = d[i - 1][j].min(d[i][j - 1]).min(d[i - 1][j - 1]);
                d[i][j] = (a[i - 1] - b[j - 1]).abs() + best;
            }
        }
    }
    d[n][n]
}

#[test]
fn pointwise_examples() {
    let (a, b) = ([0.0, 0.0], [3.0, 4.0]);
    assert_eq!(euclidean(&a, &b), 5.0);
    assert_eq!(manhattan(&a, &b), 7.0);
    assert_eq!(chebyshev(&a, &b), 4.0);
}

#[test]
fn correlation_examples() {
    assert!(close(cosine_distance(&[1.0, 0.0], &[0.0, 1.0]), 1.0, 1e-15));
    assert!(close(cosine_distance(&[1.0, 1.0], &[2.0, 2.0]), 0.0, 1e-15));
    assert!(close(
        cosine_distance(&[1.0, 0.0], &[-1.0, 0.0]),
        2.0,
        1e-15
    ));
    assert!(close(
        pearson_distance(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]),
        2.0,
        1e-15
    ));
    // centred (-1, 0, 1) . (-1, 1, 0) = 1, norms sqrt(2): r = 1/2
    assert!(close(
        pearson_distance(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]),
        0.5,
        1e-15
    ));
    // monotone but non-linear: Spearman 0, Pearson not
    let (x, y) = ([1.0, 2.0, 3.0, 4.0], [1.0, 4.0, 9.0, 16.0]);
    assert!(close(spearman_distance(&x, &y), 0.0, 1e-15));
    assert!(pearson_distance(&x, &y) > 1e-3);
    assert!(close(
        spearman_distance(&[1.0, 2.0, 3.0], &[1.0, 9.0, 4.0]),
        0.5,
        1e-15
    ));
    assert_eq!(
        average_ranks(&[10.0, 20.0, 20.0, 5.0]),
        vec![2.0, 3.5, 3.5, 1.0]
    );
}

#[test]
fn degenerate_conventions() {
    assert_eq!(pearson_distance(&[1.0, 1.0, 1.0], &[2.0, 2.0, 2.0]), 0.0);
    assert_eq!(pearson_distance(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 1.0);
    assert_eq!(spearman_distance(&[4.0, 4.0], &[1.0, 2.0]), 1.0);
    assert_eq!(cosine_distance(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
    assert_eq!(cosine_distance(&[0.0, 0.0], &[1.0, 0.0]), 1.0);
    let e = axis(5, 1.0);
    let (zero, negative, peak) = ([0.0; 5], [-1.0; 5], [0.0, 1.0, 3.0, 1.0, 0.0]);
    assert_eq!(jensen_shannon(&e, &zero, &negative), 0.0);
    assert_eq!(jensen_shannon(&e, &zero, &peak), std::f64::consts::LN_2);
    assert_eq!(hellinger(&e, &zero, &peak), 1.0);
    assert_eq!(wasserstein1(&e, &zero, &peak), 4.0);
    assert_eq!(wcc_distance(&e, &zero, &peak, 2.0), 1.0);
    // An empty spectrum is the uniform distribution in KL: masses 1/5 against the
    // peak's trapezoid masses (0, 1, 3, 1, 0) / 5, smoothed by KL_EPSILON.
    let eps = KL_EPSILON;
    let expected: f64 = [0.0, 1.0, 3.0, 1.0, 0.0]
        .iter()
        .map(|q| 0.2 * (0.2 / ((q / 5.0 + eps) / (1.0 + 5.0 * eps))).ln())
        .sum();
    let kl = kullback_leibler(&e, &zero, &peak);
    assert!(close(kl, expected, 1e-12), "{kl} vs {expected}");
    assert!(
        kl > 8.0,
        "the peak's two zeros cost 0.2 ln(0.2 / 1e-10) each"
    );
}

#[test]
fn derivative_pearson_examples() {
    let e = axis(30, 0.5);
    let a = gaussian(&e, 7107.0, 2.0);
    // scaled plus a linear baseline keeps the shape of a' only up to a constant: still 0
    let b: Vec<f64> = a.iter().map(|v| 3.0 * v + 5.0).collect();
    let neg: Vec<f64> = a.iter().map(|v| -v).collect();
    assert!(derivative_pearson_distance(&e, &a, &b) < 1e-12);
    assert!(close(derivative_pearson_distance(&e, &a, &neg), 2.0, 1e-12));
    // the derivative of a quadratic is exact inside: 2 (E - 7100)
    let q: Vec<f64> = e.iter().map(|x| (x - 7100.0).powi(2)).collect();
    let dq = xas_core::smooth::central_secant(&e, &q);
    assert!(close(dq[5], 2.0 * (e[5] - 7100.0), 1e-9));
    assert!(close(dq[0], (q[1] - q[0]) / 0.5, 1e-12));
}

#[test]
fn distribution_examples() {
    // weights (0.5, 1, 0.5): P = (1/4, 1/2, 1/4), Q = (1/2, 1/2, 0)
    let e = [0.0, 1.0, 2.0];
    let (a, b) = ([1.0, 1.0, 1.0], [2.0, 1.0, 0.0]);
    let p = probability_masses(&e, &a).unwrap();
    assert_eq!(p, vec![0.25, 0.5, 0.25]);
    let ln43 = (4.0f64 / 3.0).ln();
    assert!(close(jensen_shannon(&e, &a, &b), 0.375 * ln43, 1e-12));
    let h = (0.5 - 2f64.sqrt() / 4.0).sqrt();
    assert!(close(hellinger(&e, &a, &b), h, 1e-12));
    // KL(Q || P) = 1/2 ln 2 (up to the 1e-10 smoothing); KL(P || Q) is large: asymmetric
    assert!(close(kullback_leibler(&e, &b, &a), 0.5 * 2f64.ln(), 1e-8));
    assert!(kullback_leibler(&e, &a, &b) > 5.0);
    // negative values are clipped; disjoint supports reach the maxima
    let (left, right) = ([1.0, -3.0, 0.0], [0.0, -1.0, 1.0]);
    assert!(close(jensen_shannon(&e, &left, &right), 2f64.ln(), 1e-12));
    assert!(close(hellinger(&e, &left, &right), 1.0, 1e-12));
}

#[test]
fn wasserstein_examples() {
    // two narrow peaks 3 eV apart (one grid point each, 0.5 eV grid)
    let e = axis(41, 0.5);
    let mut a = vec![0.0; 41];
    let mut b = vec![0.0; 41];
    a[10] = 1.0;
    b[16] = 5.0;
    assert!(close(wasserstein1(&e, &a, &b), 3.0, 1e-12));
    // broad peaks: a shift by 2 eV moves all mass by 2 eV
    let g1 = gaussian(&e, 7107.0, 1.0);
    let g2 = gaussian(&e, 7109.0, 1.0);
    assert!(close(wasserstein1(&e, &g1, &g2), 2.0, 1e-6));
    assert!(close(
        Metric::Wasserstein1.distance(&e, &g1, &g2).unwrap(),
        2.0,
        1e-6
    ));
}

#[test]
fn wcc_examples() {
    // w(0) = 1, w(1) = 1/2: numerator c_ab(1) / 2 = 1/2, norms 1: WCC = 1/2
    let e = [0.0, 1.0, 2.0];
    assert!(close(
        wcc_distance(&e, &[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], 2.0),
        0.5,
        1e-15
    ));
    assert!(close(
        wcc_distance(&e, &[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], 0.0),
        1.0,
        1e-15
    ));
    // l = 0 is the cosine distance
    let x = [0.3, 1.0, 2.0, 0.5];
    let y = [1.0, 0.2, 0.7, 2.0];
    let e4 = axis(4, 1.0);
    assert!(close(
        wcc_distance(&e4, &x, &y, 0.0),
        cosine_distance(&x, &y),
        1e-14
    ));
    // one-step shift: WCC with l = 4 steps is more tolerant than Pearson
    let step = 0.25;
    let grid = axis(81, step);
    let a = gaussian(&grid, 7110.0, 0.5);
    let b = gaussian(&grid, 7110.0 + step, 0.5);
    let wcc = wcc_distance(&grid, &a, &b, 4.0 * step);
    let pearson = pearson_distance(&a, &b);
    assert!(wcc < pearson, "wcc {wcc} >= pearson {pearson}");
    assert!(wcc > 0.0, "a shifted peak is not identical");
}

#[test]
fn dtw_examples() {
    let a = [0.0, 1.0, 2.0];
    let b = [1.0, 2.0, 2.0];
    assert_eq!(dtw(&a, &b, 0), manhattan(&a, &b));
    // a_0 must meet b_0 (cost 1); the rest aligns at no cost
    assert_eq!(dtw(&a, &b, 1), 1.0);
    // a narrow peak shifted by 2 points: found with band >= 2
    let mut p = vec![0.0; 30];
    let mut q = vec![0.0; 30];
    p[10] = 1.0;
    q[12] = 1.0;
    assert_eq!(dtw(&p, &q, 2), 0.0);
    assert!(dtw(&p, &q, 2) < euclidean(&p, &q));
    // band 1 cannot bring the peaks together: both peak points pay 1
    assert_eq!(dtw(&p, &q, 1), 2.0);
}

#[test]
fn names_round_trip() {
    let mut names: Vec<&str> = Metric::ALL_DEFAULT.iter().map(Metric::name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 13);
    for m in all_metrics() {
        assert_eq!(Metric::from_name(&m.to_string()).unwrap(), m);
        m.validate().unwrap();
    }
    assert_eq!(
        Metric::from_name("WCC:2.0").unwrap(),
        Metric::WeightedCrossCorrelation { half_width_ev: 2.0 }
    );
    assert_eq!(
        Metric::from_name("dtw:15").unwrap(),
        Metric::Dtw { band_points: 15 }
    );
    assert_eq!(Metric::from_name(" js ").unwrap(), Metric::JensenShannon);
    assert_eq!(Metric::from_name("wcc").unwrap(), Metric::ALL_DEFAULT[11]);
}

#[test]
fn name_errors() {
    for bad in [
        "", "foo", "cosine:3", "wcc:-1", "wcc:nan", "dtw:x", "dtw:-2",
    ] {
        let err = Metric::from_name(bad).unwrap_err();
        let field = field_of(err);
        assert!(
            field == "name" || field == "half_width_ev",
            "{bad}: {field}"
        );
    }
    let bad = Metric::WeightedCrossCorrelation {
        half_width_ev: f64::INFINITY,
    };
    assert_eq!(field_of(bad.validate().unwrap_err()), "half_width_ev");
}

#[test]
fn data_errors_name_the_argument() {
    let e = axis(5, 0.5);
    let ok = [1.0, 2.0, 3.0, 2.0, 1.0];
    for m in all_metrics() {
        let short = m.distance(&e, &ok, &ok[..4]).unwrap_err();
        assert_eq!(field_of(short), "b", "{m}");
        let mut nan = ok;
        nan[2] = f64::NAN;
        assert_eq!(field_of(m.distance(&e, &nan, &ok).unwrap_err()), "a", "{m}");
        let mut inf = ok;
        inf[0] = f64::INFINITY;
        assert_eq!(field_of(m.distance(&e, &ok, &inf).unwrap_err()), "b", "{m}");
        let decreasing = [5.0, 4.0, 3.0, 2.0, 1.0];
        let err = m.distance(&decreasing, &ok, &ok).unwrap_err();
        assert_eq!(field_of(err), "energy_ev", "{m}");
        let err = m.distance(&[1.0], &[1.0], &[1.0]).unwrap_err();
        assert_eq!(field_of(err), "energy_ev", "{m}");
    }
}

#[test]
fn wcc_rejects_non_uniform_grid() {
    let e = [0.0, 1.0, 2.0, 3.5, 4.0];
    let ok = [1.0, 2.0, 3.0, 2.0, 1.0];
    let wcc = Metric::WeightedCrossCorrelation { half_width_ev: 2.0 };
    let err = wcc.distance(&e, &ok, &ok).unwrap_err();
    assert!(err.to_string().contains("energy_ev"), "{err}");
    assert_eq!(field_of(err), "energy_ev");
    // the other measures accept a non-uniform axis
    assert!(Metric::Wasserstein1.distance(&e, &ok, &ok).is_ok());
}
