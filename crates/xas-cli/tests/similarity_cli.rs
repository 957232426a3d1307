//! End-to-end tests of `xas library`, `xas estimate` and `xas similarity`.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{
    arg as s, assert_one_line_error, assert_usage_error, demo_data, json_of, scratch, xas,
};

/// Runs `xas estimate --library LIB --input INPUT extra...`.
fn estimate(lib: &Path, input: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["estimate", "--library", s(lib), "--input", s(input)];
    args.extend_from_slice(extra);
    xas(&args)
}

/// A small Mn library at the EELS resolution, built once per test that needs it
/// (`common::mn_library`), with its table and labels written beside it.
fn mn_library(test: &str) -> PathBuf {
    let table = scratch(test, "mn_table.csv");
    let (lib, summary) = common::mn_library(test, &["--gauss-fwhm", "1.0", "--table", s(&table)]);
    assert_eq!(summary["spectra"], 18);
    assert_eq!(summary["categorical_labels"][0][0], "valence");
    assert!(table.exists() && scratch(test, "mn_table_labels.csv").exists());
    lib
}

#[test]
fn library_build_info_and_estimate_of_the_nmc_eels_edge() {
    let lib = mn_library("estimate");
    let info = xas(&["library", "info", s(&lib)]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("18 spectra"), "{text}");
    assert!(text.contains("Mn2+ (6), Mn3+ (6), Mn4+ (6)"), "{text}");

    // The measured NMC cathode edge (Mn ~4+), its axis ~10 eV low.
    let eels = demo_data("nmc_mn_l23_eels.msa");
    let out = estimate(
        &lib,
        &eels,
        &[
            "--json",
            "--metric",
            "manhattan",
            "--k",
            "3",
            "--shift-search",
            "-15:15",
        ],
    );
    let r = &json_of(&out)[0];
    let valence = &r["estimate"]["categorical"][0];
    assert_eq!(valence["label"], "valence");
    assert_eq!(valence["value"], "Mn4+", "{r}");
    let shift = r["estimate"]["shift_ev"].as_f64().unwrap();
    assert!(
        (shift - 10.7).abs() < 0.3,
        "shift {shift} (measured +10.7 eV)"
    );
    assert_eq!(r["estimate"]["neighbours"].as_array().unwrap().len(), 3);
    assert_eq!(r["metric"], "manhattan");

    // Without the shift search the 10.7 eV miscalibration misleads the estimate: the
    // edge, compared where it stands, looks like Mn3+.
    let out = json_of(&estimate(&lib, &eels, &["--json"]));
    assert_eq!(out[0]["estimate"]["shift_ev"].as_f64(), Some(0.0));
    assert_eq!(
        out[0]["estimate"]["categorical"][0]["value"], "Mn3+",
        "{out}"
    );
    // With tuning, leave-one-out errors are reported in the text output.
    let out = estimate(&lib, &eels, &["--shift-search", "-15:15:0.2", "--tune"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leave-one-out accuracy"), "{text}");
    assert!(text.contains("valence: Mn4+"), "{text}");
}

#[test]
fn estimate_errors_are_one_line() {
    let lib = mn_library("estimate-errors");
    // An Fe K spectrum lies nowhere near the Mn L edge.
    let fe = demo_data("feo_rt1.xdi");
    let out = estimate(&lib, &fe, &[]);
    assert_one_line_error(&out, "does not cover the library");
    let eels = demo_data("nmc_mn_l23_eels.msa");
    // --tune chooses k itself.
    assert_usage_error(&estimate(&lib, &eels, &["--k", "3", "--tune"]), "--tune");
    let out = estimate(&lib, &eels, &["--metric", "nope"]);
    assert_one_line_error(&out, "unknown measure `nope`");
    let out = estimate(&lib, &eels, &["--k", "0"]);
    assert_one_line_error(&out, "`k`");
    let out = estimate(&lib, &eels, &["--shift-search", "-15"]);
    assert_one_line_error(&out, "--shift-search `-15`");
    // A spectrum file is not a library.
    let out = estimate(&eels, &eels, &[]);
    assert_one_line_error(&out, "nmc_mn_l23_eels.msa");
    let out = xas(&[
        "library",
        "build",
        "--ion",
        "Mn",
        "--valences",
        "9",
        "-o",
        s(&lib),
    ]);
    assert_one_line_error(&out, "--valences 9");
}

/// Runs `xas [--json] library from-files --labels LABELS options... -o OUT FILES...`.
fn from_files(
    json: bool,
    labels: &Path,
    options: &[&str],
    out: &Path,
    files: &[PathBuf],
) -> Output {
    let mut args = vec!["library", "from-files", "--labels", s(labels)];
    if json {
        args.insert(0, "--json");
    }
    args.extend_from_slice(options);
    args.extend(["-o", s(out)]);
    args.extend(files.iter().map(|f| s(f)));
    xas(&args)
}

#[test]
fn library_from_reference_files_estimates_an_iron_oxide() {
    let labels = scratch("from-files", "labels.csv");
    std::fs::write(
        &labels,
        "file,valence,note\nfe_metal_rt.xdi,0,\"foil, APS\"\nfeo_rt1.xdi,2,wustite\nfe2o3_rt.xdi,3,hematite\n",
    )
    .unwrap();
    let lib = scratch("from-files", "refs.lib");
    let files: Vec<PathBuf> = ["fe_metal_rt.xdi", "feo_rt1.xdi", "fe2o3_rt.xdi"]
        .iter()
        .map(|f| demo_data(f))
        .collect();
    let grid = ["--grid", "7100:7180:0.5"];
    let options = [
        &[
            "--categorical",
            "valence",
            "--columns",
            "valence",
            "--edge-step",
        ][..],
        &grid,
    ]
    .concat();
    let summary = json_of(&from_files(true, &labels, &options, &lib, &files));
    assert_eq!(summary["spectra"], 3);
    assert_eq!(summary["categorical_labels"][0][0], "valence");
    // FeO against the library: the query gets the library's edge-step normalisation,
    // so its own spectrum is the nearest, at distance 0.
    let r = &json_of(&estimate(&lib, &files[1], &["--k", "1", "--json"]))[0];
    assert_eq!(r["estimate"]["categorical"][0]["value"], "2");
    assert!(r["estimate"]["neighbours"][0]["distance"].as_f64().unwrap() < 1e-12);
    // A library without labels cannot estimate anything.
    std::fs::write(
        &labels,
        "file\nfe_metal_rt.xdi\nfeo_rt1.xdi\nfe2o3_rt.xdi\n",
    )
    .unwrap();
    let bare = scratch("from-files", "bare.lib");
    assert!(
        from_files(false, &labels, &grid, &bare, &files)
            .status
            .success()
    );
    let out = estimate(&bare, &files[1], &["--k", "1"]);
    assert_one_line_error(&out, "has no labels");
    // A labels file without the file.
    std::fs::write(&labels, "file,valence\nfe_metal_rt.xdi,0\n").unwrap();
    assert_one_line_error(
        &from_files(false, &labels, &[], &lib, &files),
        "feo_rt1.xdi",
    );
}

#[test]
fn similarity_of_two_files() {
    let a = demo_data("feo_rt1.xdi");
    let b = demo_data("fe2o3_rt.xdi");
    let rows = json_of(&xas(&["--json", "similarity", s(&a), s(&a)]));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 13);
    for r in rows {
        assert!(r["distance"].as_f64().unwrap().abs() < 1e-9, "{r}");
    }
    let rows = json_of(&xas(&[
        "--json",
        "similarity",
        s(&a),
        s(&b),
        "--metric",
        "wcc:2",
    ]));
    // The common grid's step (the first file's mean spacing) exceeds 2 eV, so WCC with
    // a 2 eV half-width keeps only the zero shift and equals the cosine distance; a
    // 20 eV half-width tolerates the shift between the two edges and is smaller.
    let distance = |metric: &str| {
        json_of(&xas(&[
            "--json",
            "similarity",
            s(&a),
            s(&b),
            "--metric",
            metric,
        ]))[0]["distance"]
            .as_f64()
            .unwrap()
    };
    let d = rows[0]["distance"].as_f64().unwrap();
    let cosine = distance("cosine");
    assert!((d - cosine).abs() < 1e-12, "{d} vs cosine {cosine}");
    assert!(distance("wcc:20") < d - 1e-3, "{d}");
    let text = String::from_utf8_lossy(&xas(&["similarity", s(&a), s(&b)]).stdout).to_string();
    assert!(
        text.contains("euclidean") && text.contains("dtw:10"),
        "{text}"
    );
    let eels = demo_data("nmc_mn_l23_eels.msa");
    assert_one_line_error(
        &xas(&["similarity", s(&a), s(&eels)]),
        "share fewer than two points",
    );
}
