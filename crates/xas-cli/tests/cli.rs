//! End-to-end tests of the `xas` binary: outputs on real data and one-line errors with
//! a non-zero exit status on bad input.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::PathBuf;

use common::{assert_one_line_error, xas};

fn demo_file(name: &str) -> String {
    common::demo_data(name).display().to_string()
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("cli", name)
}

#[test]
fn info_json_reports_edge_of_real_files() {
    let out = xas(&[
        "info",
        "--json",
        &demo_file("fe_metal_rt.xdi"),
        &demo_file("FeO.prj"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["format"], "XDI");
    assert_eq!(rows[0]["element"], "Fe");
    assert_eq!(rows[0]["edge"], "K");
    assert_eq!(rows[0]["points"], 348);
    // Fe foil: Larch 2026.3.1 `pre_edge` on this file gives E0 = 7111.0 eV (a grid
    // point, 1 eV below the tabulated 7112 eV) and edge step 3.0023193.
    let e0 = rows[0]["e0_ev"].as_f64().unwrap();
    assert!((e0 - 7111.0).abs() < 1e-9, "E0 {e0}");
    let step = rows[0]["edge_step"].as_f64().unwrap();
    assert!((step - 3.002_319_3).abs() < 1e-6, "step {step}");
    assert_eq!(rows[1]["format"], "Athena project");
    assert_eq!(rows[1]["label"], "FeO");
    let step = rows[1]["edge_step"].as_f64().unwrap();
    // Larch's edge step for this group (shared data header): 1.35436.
    assert!((step - 1.35436).abs() < 1e-4, "step {step}");
}

#[test]
fn normalize_writes_csv_and_plots() {
    let csv = scratch("feo.csv");
    let svg = scratch("feo.svg");
    let png = scratch("feo.png");
    for plot in [&svg, &png] {
        let out = xas(&[
            "normalize",
            &demo_file("feo_rt1.xdi"),
            "-o",
            csv.to_str().unwrap(),
            "--plot",
            plot.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(std::fs::metadata(plot).unwrap().len() > 1000);
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().find(|l| !l.starts_with('#')).unwrap();
    assert_eq!(header, "energy_eV,mu,norm,pre_edge,post_edge,flat");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 412);
    // Normalised: ~0 well below the edge, ~1 (flattened) 100 eV above it.
    let at = |e: f64| rows.iter().find(|r| r[0] >= e).unwrap();
    assert!(at(7000.0)[2].abs() < 0.05);
    assert!((at(7225.0)[5] - 1.0).abs() < 0.1);

    let out = xas(&[
        "normalize",
        &demo_file("feo_rt1.xdi"),
        "-o",
        csv.to_str().unwrap(),
        "--method",
        "area",
        "--json",
    ]);
    assert!(out.status.success());
    let written: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(written[0]["label"], "feo_rt1");
    // The area method was applied: unit trapezoid area over energy.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(lines.next().unwrap(), "energy_eV,mu,norm");
    let rows: Vec<[f64; 2]> = lines
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|v| v.parse().unwrap()).collect();
            [f[0], f[2]]
        })
        .collect();
    let area: f64 = rows
        .windows(2)
        .map(|w| 0.5 * (w[1][0] - w[0][0]) * (w[1][1] + w[0][1]))
        .sum();
    assert!((area - 1.0).abs() < 1e-9, "area {area}");
}

#[test]
fn bad_input_gives_one_line_errors() {
    assert_one_line_error(&xas(&["info", "/no/such/file.xdi"]), "/no/such/file.xdi");
    // Edge-step options with another method would be ignored.
    let out = scratch("refused.csv");
    let args = [
        "normalize",
        &demo_file("feo_rt1.xdi"),
        "-o",
        out.to_str().unwrap(),
        "--method",
        "max",
        "--e0",
        "7120",
    ];
    assert_one_line_error(&xas(&args), "--e0: applies to --method edge only");

    let nan = scratch("nan.txt");
    std::fs::write(&nan, "# energy mu\n1 0.1\n2 NaN\n3 0.3\n").unwrap();
    assert_one_line_error(&xas(&["info", nan.to_str().unwrap()]), "nan.txt");

    let backwards = scratch("backwards.xdi");
    std::fs::write(
        &backwards,
        "# XDI/1.0\n# Column.1: energy eV\n# Column.2: mutrans\n# ///\n#----\n# energy mutrans\n1 0.1\n3 0.3\n2 0.2\n2 0.4\n",
    )
    .unwrap();
    // Unsorted points are sorted and duplicates merged, not rejected, and `info` says so.
    let out = xas(&["info", "--json", backwards.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = rows[0]["notes"].to_string();
    assert!(
        notes.contains("sorted") && notes.contains("merged"),
        "{notes}"
    );
    assert_eq!(rows[0]["points"], 3);

    let garbage = scratch("garbage.bin");
    std::fs::write(&garbage, [0u8, 159, 146, 150, 1, 2, 3]).unwrap();
    assert_one_line_error(&xas(&["info", garbage.to_str().unwrap()]), "garbage.bin");

    let csv = scratch("out.csv");
    let out = xas(&[
        "normalize",
        &demo_file("feo_rt1.xdi"),
        "-o",
        csv.to_str().unwrap(),
        "--plot",
        "/tmp/x.gif",
    ]);
    assert_one_line_error(&out, "unsupported plot format");

    let out = xas(&[
        "normalize",
        &demo_file("feo_rt1.xdi"),
        "-o",
        csv.to_str().unwrap(),
        "--nnorm",
        "9",
    ]);
    assert_one_line_error(&out, "nnorm");
}

#[test]
fn demo_writes_report() {
    let dir = scratch("demo");
    let out = xas(&["demo", "--out", dir.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let spectra = summary["results"]["normalization"]["spectra"]
        .as_array()
        .unwrap();
    assert_eq!(spectra.len(), 6);
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("Edge-step normalisation"));
    for f in [
        "fe_k_xanes.svg",
        "fe_k_xanes.png",
        "fe2o3_edge_step.svg",
        "FeO.csv",
    ] {
        assert!(dir.join("normalization").join(f).is_file(), "{f} missing");
    }
    // The strategy search stage: a physical best trial, its plan and its search plot.
    let search = &summary["results"]["rietveld-auto"];
    assert!(search["valid_trials"].as_u64().unwrap() >= 1, "{search}");
    // 16 seeded trials: Rwp 9.08 % in every run so far.
    assert!(search["rwp"].as_f64().unwrap() < 9.3, "{search}");
    for f in ["best_plan.toml", "search.svg", "search.csv"] {
        assert!(dir.join("rietveld-auto").join(f).is_file(), "{f} missing");
    }
    // The spectral-image stage: the minority found without a library, better than
    // the published filter and k-means.
    let cluster = &summary["results"]["cluster"];
    assert!(
        cluster["minority_recall"].as_f64().unwrap() >= 0.95,
        "{cluster}"
    );
    assert!(
        cluster["minority_precision"].as_f64().unwrap() >= 0.9,
        "{cluster}"
    );
    for f in ["phase_map.png", "truth_map.png"] {
        assert!(dir.join("cluster").join(f).is_file(), "{f} missing");
    }
    // The maps stage: UMAP separates the valences better than PCA at a high
    // trustworthiness (0.991 and 0.776 against 0.307, docs/validation/manifold.md),
    // densMAP keeps the local radii, and the measured NMC EELS edge lands on Mn4+.
    let maps = &summary["results"]["manifold"];
    let value = |map: &str, key: &str| maps[map][key].as_f64().unwrap();
    assert!(value("umap", "trustworthiness") > 0.98, "{maps}");
    assert!(
        value("umap", "silhouette_valence") > value("pca", "silhouette_valence") + 0.3,
        "{maps}"
    );
    assert!(value("local_radius_correlation", "densmap") > 0.8, "{maps}");
    assert!(value("local_radius_correlation", "umap") < 0.3, "{maps}");
    let eels = &maps["nmc_eels_on_umap"];
    assert!(
        eels["nearest"].as_str().unwrap().starts_with("Mn4+"),
        "{eels}"
    );
    assert!(
        (eels["shift_ev"].as_f64().unwrap() - 10.7).abs() < 0.15,
        "{eels}"
    );
    for f in ["umap.png", "pca.svg"] {
        assert!(dir.join("manifold").join(f).is_file(), "{f} missing");
    }
}
