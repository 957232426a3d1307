//! End-to-end tests of `xas rietveld`: fluoroapatite refined from a rounded start model
//! (with a March-Dollase ratio that stays at 1 for this random powder) writes its outputs, the refined CIF reads back as the refined structure, the
//! strategy search reports progress and writes a plan that replays to the same fit, and
//! bad inputs are one-line errors naming what is missing.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{arg as s, assert_one_line_error, assert_usage_error, json_of, scratch, xas};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../xrd-rietveld/tests/data")
        .join(name)
}

/// Pattern, instrument file and start model of fluoroapatite.
fn fluoroapatite() -> (PathBuf, PathBuf, PathBuf) {
    (
        data("FAP.XRA"),
        data("FAP_INST_XRY.PRM"),
        data("FAP_start.cif"),
    )
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
    let (pattern, prm, cif) = fluoroapatite();
    let mut args = vec!["--json", "rietveld"];
    args.extend(inputs(&pattern, &prm, &cif));
    args.extend([
        "--background-terms",
        "9",
        "--march-dollase",
        "0,0,1",
        "-o",
        s(&out_dir),
    ]);
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
    // A single phase weighs everything; the tutorial's powder has no texture along c.
    assert_eq!(phase["weight_fraction"]["value"], 1.0);
    let md = &phase["march_dollase"];
    assert_eq!(md[0], serde_json::json!([0, 0, 1]));
    assert!(
        (md[1]["value"].as_f64().unwrap() - 1.0).abs() < 0.01,
        "{md}"
    );
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
    assert_eq!(json_o7["element"], "O");
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
    let (pattern, prm, cif) = fluoroapatite();
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

#[test]
fn auto_search_reports_progress_and_writes_a_replayable_plan() {
    let out_dir = scratch("rietveld-auto", "fap");
    let (pattern, prm, cif) = fluoroapatite();
    let mut args = vec!["rietveld"];
    args.extend(inputs(&pattern, &prm, &cif));
    args.extend([
        "--auto",
        "--trials",
        "6",
        "--batch",
        "2",
        "--seed",
        "3",
        "-o",
        s(&out_dir),
    ]);
    let out = xas(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let trials: Vec<&str> = stderr.lines().filter(|l| l.starts_with("trial ")).collect();
    assert_eq!(trials.len(), 6, "{stderr}");
    assert!(trials[5].starts_with("trial 6/6: ") && trials[5].contains("(best "));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    let search = &v["search"];
    assert_eq!(search["trials"], 6);
    assert_eq!(
        search["valid"].as_u64().unwrap()
            + search["unphysical"].as_u64().unwrap()
            + search["failed"].as_u64().unwrap(),
        6
    );
    assert_eq!(search["seed"], 3);
    let csv = std::fs::read_to_string(out_dir.join("search.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7);
    assert!(out_dir.join("search.svg").exists());
    // best_plan.toml names its background; replaying it gives the same fit.
    let plan_path = out_dir.join("best_plan.toml");
    let plan = std::fs::read_to_string(&plan_path).unwrap();
    let replay_line = plan
        .lines()
        .find(|l| l.contains("--plan best_plan.toml"))
        .unwrap();
    // The options after `#`, with the plan's real path.
    let plan_arg = s(&plan_path);
    let options: Vec<&str> = replay_line
        .split_whitespace()
        .skip(1)
        .map(|w| if w == "best_plan.toml" { plan_arg } else { w })
        .collect();
    let replay_dir = scratch("rietveld-auto", "replay");
    let mut replay = vec!["--json", "rietveld"];
    replay.extend(inputs(&pattern, &prm, &cif));
    replay.extend(options);
    replay.extend(["-o", s(&replay_dir)]);
    let r = json_of(&xas(&replay));
    assert_eq!(r["rwp"], v["rwp"]);
}

#[test]
fn auto_refuses_a_plan_and_zero_trials() {
    let dir = scratch("rietveld-auto-bad", "x");
    let (pattern, prm, cif) = (
        data("PBSO4.XRA"),
        data("PBSO4_INST_XRY.PRM"),
        data("PbSO4-Wyckoff.cif"),
    );
    let plan = scratch("rietveld-auto-bad", "plan.toml");
    std::fs::write(&plan, "[[stage]]\nrelease = [\"scale\"]\n").unwrap();
    for (extra, needle) in [
        (vec!["--auto", "--plan", s(&plan)], "cannot be used with"),
        (vec!["--auto", "--trials", "0"], "`trials`"),
    ] {
        let mut args = vec!["rietveld"];
        args.extend(inputs(&pattern, &prm, &cif));
        args.extend(extra);
        args.extend(["-o", s(&dir)]);
        let out = xas(&args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
}

/// Options that would be ignored are refused: the search's settings without --auto, a
/// background the search would replace, a wavelength beside an instrument file.
#[test]
fn options_that_would_be_ignored_are_refused() {
    let out_dir = scratch("rietveld", "refused");
    let (pattern, prm, cif) = fluoroapatite();
    for (extra, needle) in [
        (&["--trials", "5"][..], "--auto"),
        (&["--seed", "3"][..], "--auto"),
        (
            &["--auto", "--background-terms", "5"][..],
            "--background-terms",
        ),
        (&["--wavelength", "1.54"][..], "--wavelength"),
    ] {
        let mut args = vec!["rietveld"];
        args.extend(inputs(&pattern, &prm, &cif));
        args.extend_from_slice(extra);
        args.extend(["-o", s(&out_dir)]);
        assert_usage_error(&xas(&args), needle);
    }
}
