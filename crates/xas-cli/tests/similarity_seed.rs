//! The seed study in small: a simulated Mn L2,3 library recovers valence and 10Dq of
//! perturbed copies of its own spectra (estimated without the clean original), and the
//! shift search undoes calibration offsets. The full tables are produced by
//! `examples/similarity_validation.rs` (docs/validation/similarity.md).
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::sync::OnceLock;

use xas_cli::library::simulate::{MultipletLibrarySpec, build_multiplet_library};
use xas_core::SpectraMatrix;
use xas_core::grid::uniform_grid;
use xas_core::noise::{NoiseModel, add_noise};
use xas_metrics::estimate::{EstimatorParams, SimilarityEstimator};
use xas_metrics::measures::Metric;

/// The seed library (Mn2+/3+/4+, 10Dq 0..2.5 eV in 0.1 eV steps, as in
/// docs/validation/similarity.md), on a grid wide enough for +-2 eV shifts; built once.
fn wide_library() -> &'static SpectraMatrix {
    static LIBRARY: OnceLock<SpectraMatrix> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let spec = MultipletLibrarySpec {
            grid_ev: Some(uniform_grid(626.0, 668.0, 0.1).unwrap()),
            ..MultipletLibrarySpec::mn_seed()
        };
        build_multiplet_library(&spec, |_, _| ControlFlow::Continue(())).unwrap()
    })
}

/// The same rows on 632-662 eV (301 points; half a step of slack for the computed grid).
fn library(wide: &SpectraMatrix) -> SpectraMatrix {
    let m = wide.window(631.95, 662.05).unwrap();
    assert_eq!(m.n_points(), 301);
    m
}

/// Valence accuracy and 10Dq mean absolute error of `perturb`ed rows.
fn score(
    est: &SimilarityEstimator,
    wide: &SpectraMatrix,
    perturb: impl Fn(usize, xas_core::Spectrum) -> xas_core::Spectrum,
) -> (f64, f64) {
    let valence = wide.categorical_label("valence").unwrap();
    let tendq = wide.numeric_label("tendq_ev").unwrap();
    let n = wide.n_spectra();
    let (mut ok, mut err) = (0, 0.0);
    for i in 0..n {
        let query = perturb(i, wide.spectrum(i).unwrap());
        let e = est.estimate_without(&query, &[i]).unwrap();
        ok += usize::from(e.categorical[0].value == valence[i]);
        err += (e.numeric[0].value - tendq[i]).abs();
    }
    (ok as f64 / n as f64, err / n as f64)
}

#[test]
fn noisy_and_miscalibrated_copies_are_recognised() {
    let wide = wide_library();
    let lib = library(wide);
    assert_eq!(lib.n_spectra(), 78);
    let mut est = SimilarityEstimator::new(&lib, EstimatorParams::default()).unwrap();
    est.tune_default(&[1, 2, 3, 4]).unwrap();
    let loo = est.loo().unwrap();
    // Neighbours are 0.1 eV apart: leave-one-out interpolates between them, well
    // within half a step (the documented value is 0.015 eV).
    assert_eq!(loo.accuracy[0].1, 1.0, "{loo:?}");
    assert!(loo.mean_absolute_error[0].1 < 0.02, "{loo:?}");

    // SNR 30 (peak / sigma): valence always right, 10Dq within a fraction of the step.
    let (acc, mae) = score(&est, wide, |i, s| {
        add_noise(&s, NoiseModel::GaussianSnr { snr: 30.0 }, i as u64).unwrap()
    });
    assert_eq!(acc, 1.0);
    assert!(
        mae < 0.03,
        "10Dq error {mae} (documented 0.020, measured 0.022)"
    );

    // A 1 eV calibration error without a search confuses the measure ...
    let offset = |i: usize| if i.is_multiple_of(2) { 1.0 } else { -1.0 };
    let (acc_off, _) = score(&est, wide, |i, s| s.shifted(offset(i)).unwrap());
    assert!(acc_off < 0.95, "{acc_off}");
    // ... and the shift search recovers the offset exactly (on the 0.1 eV grid).
    let searching = SimilarityEstimator::new(
        &lib,
        EstimatorParams {
            shift_search_ev: Some((-2.0, 2.0, 0.1)),
            ..est.params().clone()
        },
    )
    .unwrap();
    let (acc, _) = score(&searching, wide, |i, s| s.shifted(offset(i)).unwrap());
    assert_eq!(acc, 1.0);
    for i in [0, 7, 20] {
        let e = searching
            .estimate_without(&wide.spectrum(i).unwrap().shifted(offset(i)).unwrap(), &[i])
            .unwrap();
        assert!(
            (e.shift_ev + offset(i)).abs() < 0.051,
            "row {i}: shift {}",
            e.shift_ev
        );
    }
}

#[test]
fn every_measure_recovers_clean_valences() {
    let lib = library(wide_library());
    for metric in Metric::ALL_DEFAULT {
        let mut est = SimilarityEstimator::new(
            &lib,
            EstimatorParams {
                metric,
                ..EstimatorParams::default()
            },
        )
        .unwrap();
        est.tune_default(&[1, 2, 3, 4, 6]).unwrap();
        let loo = est.loo().unwrap();
        // Table 1, column "clean": all measures 1.00 but Wasserstein-1 (76 of the 78
        // valences); Table 2, column "clean": the 10Dq error of each measure (eV).
        let floor = if metric == Metric::Wasserstein1 {
            76.0 / 78.0
        } else {
            1.0
        };
        assert!(loo.accuracy[0].1 >= floor - 1e-12, "{metric}: {loo:?}");
        let documented = match metric.to_string().as_str() {
            "euclidean" | "manhattan" | "cosine" => 0.015,
            "chebyshev" => 0.022,
            "pearson" | "derivative-pearson" => 0.014,
            "spearman" => 0.019,
            "kullback-leibler" | "jensen-shannon" | "hellinger" => 0.016,
            "wasserstein1" => 0.041,
            "wcc:2" => 0.017,
            "dtw:10" => 0.037,
            other => panic!("no documented value for {other}"),
        };
        let mae = loo.mean_absolute_error[0].1;
        assert!(
            (mae - documented).abs() < 0.001,
            "{metric}: {mae} vs {documented}"
        );
    }
}
