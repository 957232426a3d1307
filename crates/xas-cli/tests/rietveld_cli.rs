//! End-to-end tests of `xas rietveld`: fluoroapatite refined from a rounded start model
//! writes its outputs, the refined CIF reads back as the refined structure, and bad
//! inputs are one-line errors naming what is missing.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{arg as s, assert_one_line_error, json_of, scratch, xas};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../xrd-rietveld/tests/data")
        .join(name)
}

/// `--pattern P --instrument I --cif C`.
fn inputs<'a>(pattern: &'a Path, prm: &'a Path, cif: &'a Path) -> Vec<&'a str> {
    vec![
        "--pattern",
        s(pattern),
        "--instrument",
        s(prm),
        "--cif",
        s(cif),
    ]
}

#[test]
fn fluoroapatite_refines_and_its_cif_reads_back() {
    let out_dir = scratch("rietveld", "fap");
    let (pattern, prm, cif) = (
        data("FAP.XRA"),
        data("FAP_INST_XRY.PRM"),
        data("FAP_start.cif"),
    );
    let mut args = vec!["--json", "rietveld"];
    args.extend(inputs(&pattern, &prm, &cif));
    args.extend(["--background-terms", "9", "-o", s(&out_dir)]);
    let v = json_of(&xas(&args));
    let rwp = v["rwp"].as_f64().unwrap();
    assert!(rwp < 10.0, "{rwp}");
    let gof = v["gof"].as_f64().unwrap();
    assert!((gof - rwp / v["rexp"].as_f64().unwrap()).abs() < 1e-9);
    let phase = &v["phases"][0];
    assert_eq!(phase["space_group"], "P 63/m");
    // Apportioned intensities: R_Bragg and R_F are positive and below Rwp here.
    for key in ["r_bragg", "r_f"] {
        let r = phase[key].as_f64().unwrap();
        assert!(r > 0.0 && r < rwp, "{key} {r}");
    }
    let a = &phase["cell"][0];
    assert!((a["value"].as_f64().unwrap() - 9.3719).abs() < 0.001, "{a}");
    assert!(a["esd"].as_f64().unwrap() > 0.0);
    assert_eq!(v["weights"], "1/sigma^2");
    for file in ["summary.json", "fit.csv", "fit.svg", "fap_refined.cif"] {
        assert!(out_dir.join(file).exists(), "{file}");
    }
    // The refined CIF is read back with the refined cell and coordinates.
    let back =
        xrd_rietveld::structure::Crystal::read_cif(&out_dir.join("fap_refined.cif")).unwrap();
    let c = &back[0];
    assert!((c.cell.a - a["value"].as_f64().unwrap()).abs() < 1e-4);
    let o7 = c.atoms.iter().find(|at| at.label == "O7").unwrap();
    let json_o7 = phase["atoms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|at| at["label"] == "O7")
        .unwrap();
    for i in 0..3 {
        let want = json_o7["xyz"][i]["value"].as_f64().unwrap();
        assert!((o7.xyz[i] - want).abs() < 1e-4, "{:?} vs {want}", o7.xyz);
    }
    assert_eq!(c.multiplicities()[6], 12);
    let csv = std::fs::read_to_string(out_dir.join("fit.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + v["n_obs"].as_u64().unwrap() as usize
    );
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let dir = scratch("rietveld-bad", "x");
    let empty = scratch("rietveld-bad", "empty.xy");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let plan = scratch("rietveld-bad", "plan.toml");
    std::fs::write(&plan, "[[stage]]\nrelease = [\"scale\", \"cel\"]\n").unwrap();
    let (pattern, prm, cif) = (
        data("FAP.XRA"),
        data("FAP_INST_XRY.PRM"),
        data("FAP_start.cif"),
    );
    let missing_cif = scratch("rietveld-bad", "missing.cif");
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["--pattern", s(&pattern), "--cif", s(&cif)],
            "no wavelength",
        ),
        (inputs(&empty, &prm, &cif), "empty.xy: missing counts"),
        (inputs(&pattern, &prm, &missing_cif), "missing.cif"),
        (
            [inputs(&pattern, &prm, &cif), vec!["--plan", s(&plan)]].concat(),
            "`cel` is neither a group",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["rietveld"];
        all.extend(args);
        all.extend(["-o", s(&dir)]);
        assert_one_line_error(&xas(&all), needle);
    }
}
