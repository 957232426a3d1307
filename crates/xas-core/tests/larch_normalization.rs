//! Acceptance: edge-step normalisation agrees with Larch `pre_edge` on real spectra.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::larch::{Row, compare, markdown, reference_files};

/// Regression limits, well inside the acceptance limits of issue 2 and above what is
/// measured on the 45 files (`docs/validation/normalization.md`): E0 within one grid
/// step of Larch's (at most 0.106 eV), edge step within 1e-4, norm within 1e-4.
const E0_REGRESSION_EV: f64 = 0.15;
const STEP_REGRESSION: f64 = 3e-4;
const NORM_REGRESSION: f64 = 3e-4;

/// E0 within 0.5 eV, edge step within 2 % and |norm - norm_larch| < 0.03 from E0 - 20
/// to E0 + 80 eV (at least 50 points), on every one of the 45 reference files; and
/// within the regression limits above.
#[test]
fn edge_step_normalisation_matches_larch() {
    let files = reference_files();
    if files.is_empty() {
        eprintln!("../shared/data/xas not present: Larch comparison skipped");
        return;
    }
    let rows: Vec<Row> = files.iter().map(|f| compare(f)).collect();
    println!("{}", markdown(&rows));
    assert_eq!(rows.len(), 45, "expected the 45 reference files");
    // Issue 2 asks for 90 % of the files; every file meets all three criteria.
    let failing: Vec<&Row> = rows
        .iter()
        .filter(|r| !(r.e0_ok() && r.step_ok() && r.norm_ok()))
        .collect();
    assert!(failing.is_empty(), "files outside tolerance: {failing:#?}");
    let regressed: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            r.window_points < 50
                || (r.e0 - r.e0_larch).abs() > E0_REGRESSION_EV
                || ((r.step - r.step_larch) / r.step_larch).abs() > STEP_REGRESSION
                || r.max_norm_diff > NORM_REGRESSION
        })
        .collect();
    assert!(
        regressed.is_empty(),
        "files beyond the regression limits: {regressed:#?}"
    );
}

/// The copy in `tests/data/` runs even without the shared data.
#[test]
fn edge_step_normalisation_matches_larch_on_the_bundled_copy() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/FeO__FeO.dat");
    let row = compare(&path);
    assert!(row.e0_ok() && row.step_ok() && row.norm_ok(), "{row:?}");
}
