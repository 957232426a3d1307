//! Property tests of the processing layer: resampling, normalisation and noise.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use xas_core::Spectrum;
use xas_core::noise::{NoiseModel, add_noise};
use xas_core::normalize::{Normalization, normalize_values, trapezoid};
use xas_core::resample::{Extrapolation, Interpolation, interpolate};

const METHODS: [Interpolation; 3] = [
    Interpolation::Linear,
    Interpolation::CubicSpline,
    Interpolation::Pchip,
];

const NORMALIZATIONS: [Normalization; 5] = [
    Normalization::Max,
    Normalization::Area,
    Normalization::L2,
    Normalization::MinMax,
    Normalization::StandardScore,
];

/// A strictly increasing energy axis starting at 7000 eV (spacings 0.01–5 eV) with
/// values drawn from `values`.
fn axis_with(
    values: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    prop::collection::vec((0.01f64..5.0, values), 2..60).prop_map(|points| {
        let mut e = 7000.0;
        points
            .into_iter()
            .map(|(step, y)| {
                e += step;
                (e, y)
            })
            .unzip()
    })
}

/// Fractions in [0, 1] used to place targets inside the data range.
fn fractions() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0f64..=1.0, 1..40)
}

fn assert_close(a: &[f64], b: &[f64], tol: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        prop_assert!((x - y).abs() <= tol, "{} vs {} (tol {})", x, y, tol);
    }
    Ok(())
}

proptest! {
    #[test]
    fn resampling_onto_the_same_grid_is_the_identity((x, y) in axis_with(-1e3f64..1e3)) {
        for method in METHODS {
            let out = interpolate(&x, &y, &x, method, Extrapolation::Error).unwrap();
            prop_assert_eq!(&out, &y, "{:?}", method);
        }
    }

    #[test]
    fn all_methods_reproduce_linear_data(
        (x, _) in axis_with(Just(0.0)),
        a in -1e3f64..1e3,
        b in -10f64..10.0,
        where_ in fractions(),
    ) {
        let line = |e: f64| a + b * (e - 7000.0);
        let y: Vec<f64> = x.iter().map(|&e| line(e)).collect();
        let (lo, hi) = (x[0], x[x.len() - 1]);
        let xi: Vec<f64> = where_.iter().map(|f| lo + f * (hi - lo)).collect();
        let scale = a.abs() + b.abs() * (hi - 7000.0) + 1e-300;
        for method in METHODS {
            let out = interpolate(&x, &y, &xi, method, Extrapolation::Error).unwrap();
            let expected: Vec<f64> = xi.iter().map(|&e| line(e)).collect();
            assert_close(&out, &expected, 1e-9 * scale)?;
        }
    }

    #[test]
    fn pchip_stays_within_each_interval((x, y) in axis_with(-1e3f64..1e3), where_ in fractions()) {
        let (lo, hi) = (x[0], x[x.len() - 1]);
        let xi: Vec<f64> = where_.iter().map(|f| lo + f * (hi - lo)).collect();
        let out = interpolate(&x, &y, &xi, Interpolation::Pchip, Extrapolation::Error).unwrap();
        for (&e, &v) in xi.iter().zip(&out) {
            let k = x.partition_point(|&p| p <= e).clamp(1, x.len() - 1) - 1;
            let (a, b) = (y[k].min(y[k + 1]), y[k].max(y[k + 1]));
            let tol = 1e-12 * (a.abs() + b.abs());
            prop_assert!(v >= a - tol && v <= b + tol, "{} outside [{}, {}] at {}", v, a, b, e);
        }
    }

    #[test]
    fn area_and_l2_normalisations_hit_unity((x, y) in axis_with(0.01f64..100.0)) {
        let area = normalize_values(&x, &y, Normalization::Area).unwrap();
        prop_assert!((trapezoid(&x, &area) - 1.0).abs() < 1e-12);
        let l2 = normalize_values(&x, &y, Normalization::L2).unwrap();
        prop_assert!((l2.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn normalisations_ignore_positive_scaling(
        (x, y) in axis_with(-100f64..100.0),
        c in 1e-3f64..1e3,
    ) {
        let scaled: Vec<f64> = y.iter().map(|v| c * v).collect();
        for method in NORMALIZATIONS {
            // Data whose divisor is zero for this method are rejected either way.
            let Ok(a) = normalize_values(&x, &y, method) else {
                continue;
            };
            let b = normalize_values(&x, &scaled, method).unwrap();
            let size = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            assert_close(&a, &b, 1e-9 * size)?;
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_noise(
        (x, y) in axis_with(0.0f64..10.0),
        seed in any::<u64>(),
        sigma in 1e-3f64..1.0,
    ) {
        prop_assume!(y.iter().any(|&v| v > 0.0));
        let s = Spectrum::new(x, y).unwrap();
        for model in [
            NoiseModel::Gaussian { sigma },
            NoiseModel::GaussianSnr { snr: 1.0 / sigma },
            NoiseModel::Poisson { counts_at_max: 1.0 / sigma },
        ] {
            let a = add_noise(&s, model, seed).unwrap();
            let b = add_noise(&s, model, seed).unwrap();
            prop_assert_eq!(a, b);
        }
    }
}
