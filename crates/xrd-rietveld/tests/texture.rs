//! March-Dollase preferred orientation end to end: a fluoroapatite pattern made with
//! platelets along c (r = 0.8) is refined from a random powder (r = 1) back to r = 0.8,
//! and the texture changes the basal against the prismatic reflections as the
//! March-Dollase function says.
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use xrd_rietveld::background::BackgroundKind;
use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::model::{Model, Param};
use xrd_rietveld::pattern::Pattern;
use xrd_rietveld::preferred_orientation::{MarchDollase, march_dollase};
use xrd_rietveld::refine::{RefineSettings, refine};
use xrd_rietveld::report::phase_reports;
use xrd_rietveld::structure::Crystal;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn fluoroapatite(axis: Option<[i32; 3]>) -> (Model, Vec<f64>) {
    let pattern = Pattern::read(&data("FAP.XRA")).unwrap();
    let inst = Instrument::read_prm(&data("FAP_INST_XRY.PRM")).unwrap();
    let crystal = Crystal::read_cif(&data("FAP_start.cif")).unwrap().remove(0);
    let mut model = Model::for_pattern(
        inst,
        (BackgroundKind::Chebyshev, 1),
        vec![crystal],
        &pattern,
    )
    .unwrap();
    model.phases[0].preferred_orientation = axis.map(MarchDollase::new);
    model.background.coefficients[0] = 100.0;
    model.phases[0].scale = 1e-3;
    (model, pattern.two_theta_deg)
}

#[test]
fn basal_reflections_follow_the_march_dollase_function() {
    let (mut model, _) = fluoroapatite(Some([0, 0, 1]));
    model.set(Param::PreferredOrientation(0), 0.8).unwrap();
    let (plain, _) = fluoroapatite(None);
    let refl = model.phases[0].reflections();
    let textured = model.peak_intensities(0).unwrap();
    let random = plain.peak_intensities(0).unwrap();
    let find = |h: [i32; 3]| refl.iter().position(|r| r.hkl == h).unwrap();
    // (0 0 2) lies along c: ×r⁻³. (1 0 0)-type lines are perpendicular: ×r^{3/2}.
    let basal = find([0, 0, 2]);
    assert!((textured[basal] / random[basal] - 0.8f64.powi(-3)).abs() < 1e-12);
    let prism = refl
        .iter()
        .position(|r| r.hkl[2] == 0 && r.hkl != [0, 0, 0])
        .unwrap();
    assert!((textured[prism] / random[prism] - march_dollase(0.8, 0.0)).abs() < 1e-12);
}

#[test]
fn a_textured_pattern_refines_back_to_its_ratio() {
    let (mut truth, x) = fluoroapatite(Some([0, 0, 1]));
    truth.set(Param::PreferredOrientation(0), 0.8).unwrap();
    let exact = truth.calculate(&x).unwrap();
    let sigma: Vec<f64> = exact.iter().map(|v| v.max(1.0).sqrt()).collect();
    let y: Vec<f64> = (0..exact.len())
        .map(|i| exact[i] + 0.5 * sigma[i] * (1.3 * i as f64).sin())
        .collect();
    let pattern = Pattern::new("textured", x, y, sigma).unwrap();
    let (mut fit, _) = fluoroapatite(Some([0, 0, 1]));
    let params = [Param::Scale(0), Param::PreferredOrientation(0)];
    let result = refine(
        &mut fit,
        &pattern,
        &params,
        &RefineSettings::default(),
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let report = &phase_reports(&fit, &result, &pattern).unwrap()[0];
    let (axis, ratio) = report.march_dollase.unwrap();
    assert_eq!(axis, [0, 0, 1]);
    assert!(ratio.esd > 0.0 && ratio.esd < 1e-3, "{ratio:?}");
    assert!((ratio.value - 0.8).abs() < 3.0 * ratio.esd, "{ratio:?}");
    assert_eq!(fit.name(Param::PreferredOrientation(0)), "fap:MD");
}
