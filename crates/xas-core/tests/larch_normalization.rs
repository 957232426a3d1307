//! Acceptance: edge-step normalisation agrees with Larch `pre_edge` on real spectra.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::larch::{Row, compare, markdown, reference_files};

/// E0 within 0.5 eV, edge step within 2 % and |norm - norm_larch| < 0.03 from E0 - 20
/// to E0 + 80 eV, on every one of the 45 reference files.
#[test]
fn edge_step_normalisation_matches_larch() {
    let files = reference_files();
    if files.is_empty() {
        eprintln!("../shared/data/xas not present: Larch comparison skipped");
        return;
    }
    let rows: Vec<Row> = files.iter().map(|f| compare(f)).collect();
    println!("{}", markdown(&rows));
    assert!(
        rows.len() >= 40,
        "expected the 45 reference files, found {}",
        rows.len()
    );
    // Issue 2 asks for 90 % of the files; every file meets all three criteria, so any
    // regression on a single file fails here.
    let failing: Vec<&Row> = rows
        .iter()
        .filter(|r| !(r.e0_ok() && r.step_ok() && r.norm_ok()))
        .collect();
    assert!(failing.is_empty(), "files outside tolerance: {failing:#?}");
}

/// The copy in `tests/data/` runs even without the shared data.
#[test]
fn edge_step_normalisation_matches_larch_on_the_bundled_copy() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/FeO__FeO.dat");
    let row = compare(&path);
    assert!(row.e0_ok() && row.step_ok() && row.norm_ok(), "{row:?}");
}
