//! Acceptance: edge-step normalisation agrees with Larch `pre_edge` on real spectra.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::larch::{Row, compare, markdown, reference_files};

/// At least 90 % of the files must meet each criterion of issue 2.
#[test]
fn edge_step_normalisation_matches_larch() {
    let files = reference_files();
    if files.is_empty() {
        eprintln!("../shared/data/xas not present: Larch comparison skipped");
        return;
    }
    let rows: Vec<Row> = files.iter().map(|f| compare(f)).collect();
    println!("{}", markdown(&rows));
    let n = rows.len() as f64;
    let frac = |f: fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count() as f64 / n;
    assert!(
        rows.len() >= 40,
        "expected the 45 reference files, found {}",
        rows.len()
    );
    assert!(
        frac(Row::e0_ok) >= 0.9,
        "E0 agreement {:.2}",
        frac(Row::e0_ok)
    );
    assert!(
        frac(Row::step_ok) >= 0.9,
        "step agreement {:.2}",
        frac(Row::step_ok)
    );
    assert!(
        frac(Row::norm_ok) >= 0.9,
        "norm agreement {:.2}",
        frac(Row::norm_ok)
    );
}
