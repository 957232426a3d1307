//! End-to-end tests of `xas fit`: a short NiO XAS fit writes its outputs; a run stopped
//! by its time limit and resumed from the checkpoint gives the same samples as an
//! uninterrupted one; bad inputs are one-line errors naming the culprit.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::path::Path;

use cluster_model::params::ClusterParams;
use common::{arg as s, assert_one_line_error, assert_usage_error, json_of, mean_sd, scratch, xas};
use xas_bayes::models::nio::{NioCluster, Spectroscopy};
use xas_bayes::posterior::ForwardModel;

/// The seed-like NiO XAS (HWHM 0.3 eV, scale 5) on 850..875 eV with a deterministic
/// ripple of standard deviation about 0.02.
fn write_xas(path: &Path) {
    write_xas_on_line(path, [0.0, 0.0]);
}

/// [`write_xas`] on a straight line `b[0] + b[1] (E - 862.5 eV)`.
fn write_xas_on_line(path: &Path, b: [f64; 2]) {
    let x: Vec<f64> = (0..126).map(|i| 850.0 + 0.2 * i as f64).collect();
    let model = NioCluster::new(Spectroscopy::Xas, ClusterParams::nio_seed_like()).unwrap();
    let mut y = vec![0.0; x.len()];
    model
        .predict(&[4.7, 0.6, 2.2, 7.3, 8.5, 0.3, 5.0, 0.0], &x, &mut y)
        .unwrap();
    let mut text = String::from("energy,intensity\n");
    let mut state = 99u64;
    for (e, v) in x.iter().zip(&y) {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        let line = b[0] + b[1] * (e - 862.5);
        text.push_str(&format!(
            "{e},{}\n",
            v + line + 0.02 * 12f64.sqrt() * (u - 0.5)
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn fit_args<'a>(input: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "--json",
        "fit",
        "--xas",
        input,
        "--xas-sigma",
        "0.02",
        "--replicas",
        "4",
        "--burn-in",
        "40",
        "--sweeps",
        "60",
        "--seed",
        "3",
        "-o",
        out,
    ]
}

#[test]
fn a_stopped_and_resumed_fit_equals_an_uninterrupted_one() {
    let input = scratch("fit", "nio_xas.csv");
    write_xas(&input);
    let whole = scratch("fit", "whole");
    let out = xas(&fit_args(s(&input), s(&whole)));
    let v = json_of(&out);
    let params = v["parameters"].as_array().unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Delta",
            "10Dq",
            "V",
            "U_dd",
            "U_dc",
            "Gamma_xas",
            "scale_xas",
            "shift_xas"
        ]
    );
    assert!(params.iter().all(|p| p["sd"].as_f64().unwrap() > 0.0));
    for estimator in ["stepping_stone", "wham"] {
        let f = &v["free_energy"][estimator];
        assert!(f["value"].as_f64().unwrap().is_finite(), "{v}");
        assert!(f["error"].as_f64().unwrap() > 0.0, "{v}");
    }
    assert!(v["performance"]["evaluations_per_s"].as_f64().unwrap() > 0.0);
    for file in [
        "run.json",
        "checkpoint.json",
        "samples.csv",
        "summary.json",
        "corner.svg",
        "fit_xas.svg",
    ] {
        assert!(whole.join(file).exists(), "{file}");
    }

    // Stopped by the time limit after the first sweep, then resumed.
    let parts = scratch("fit", "parts");
    let mut args = fit_args(s(&input), s(&parts));
    args.extend(["--time-limit", "0"]);
    let first = xas(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("--resume"));
    assert!(!parts.join("samples.csv").exists());
    let resumed = xas(&["--json", "fit", "--resume", s(&parts)]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let read = |dir: &Path| std::fs::read_to_string(dir.join("samples.csv")).unwrap();
    assert_eq!(read(&whole).lines().count(), 61);
    assert!(read(&whole) == read(&parts), "resumed samples differ");
}

/// `--background linear` recovers a straight line under the spectrum.
#[test]
fn a_linear_background_is_recovered() {
    let input = scratch("fit-background", "nio_xas.csv");
    write_xas_on_line(&input, [0.05, 0.002]);
    let out_dir = scratch("fit-background", "run");
    let mut args = fit_args(s(&input), s(&out_dir));
    let at = args.iter().position(|a| *a == "--replicas").unwrap();
    args[at + 1] = "8";
    let at = args.iter().position(|a| *a == "--sweeps").unwrap();
    args[at + 1] = "400";
    args.extend(["--background", "linear"]);
    let v = json_of(&xas(&args));
    // The priors are N(0, 0.1 max|y|) and N(0, 0.1 max|y| / 25 eV): the data must
    // narrow them. Measured: 0.0475 ± 0.0022 and 0.00194 ± 0.00027 /eV.
    for (name, truth, max_sd) in [("bg0_xas", 0.05, 0.01), ("bg1_xas", 0.002, 1e-3)] {
        let (mean, sd) = mean_sd(&v["parameters"], name);
        assert!((mean - truth).abs() < 3.0 * sd, "{name} {mean} ± {sd}");
        assert!(
            sd < max_sd,
            "{name}: sd {sd} is the prior's, not the data's"
        );
    }
}

/// `--xas-sigma fit` samples the noise level as the parameter `sigma_xas`; the ripple of
/// the test spectrum has standard deviation 0.02.
#[test]
fn the_noise_level_can_be_sampled() {
    let input = scratch("fit-sigma", "nio_xas.csv");
    write_xas(&input);
    let out_dir = scratch("fit-sigma", "run");
    let mut args = fit_args(s(&input), s(&out_dir));
    let at = args.iter().position(|a| *a == "0.02").unwrap();
    args[at] = "fit";
    let at = args.iter().position(|a| *a == "--replicas").unwrap();
    args[at + 1] = "8";
    let at = args.iter().position(|a| *a == "--sweeps").unwrap();
    args[at + 1] = "400";
    let v = json_of(&xas(&args));
    let (mean, sd) = mean_sd(&v["parameters"], "sigma_xas");
    // Its log-normal prior spans a factor e per sd; 126 points pin it to about 6 %
    // (measured 0.0204 ± 0.0012).
    assert!((mean - 0.02).abs() < 3.0 * sd, "sigma_xas {mean} ± {sd}");
    // sigma / sqrt(2n) = 0.00126 for 126 points.
    assert!(sd < 0.002, "sigma_xas: sd {sd}");
}

/// `--xas-sigma col:NAME` reads per-point noise levels: a column of 0.02 everywhere gives
/// exactly the parameter samples of `--xas-sigma 0.02`, and its energies and free energy
/// to rounding (the normalisation `Σ ln σ_i` is summed point by point); a column that
/// doubles the noise level over half the points changes the result.
#[test]
fn a_sigma_column_gives_per_point_noise_levels() {
    let plain = scratch("fit-sigma-column", "nio_xas.csv");
    write_xas(&plain);
    let text = std::fs::read_to_string(&plain).unwrap();
    let with_column = |sigma_of_row: &dyn Fn(usize) -> f64| -> String {
        let mut lines = text.lines();
        let mut out = format!("{},sigma\n", lines.next().unwrap());
        for (i, line) in lines.enumerate() {
            out.push_str(&format!("{line},{}\n", sigma_of_row(i)));
        }
        out
    };
    let constant = scratch("fit-sigma-column", "constant.csv");
    std::fs::write(&constant, with_column(&|_| 0.02)).unwrap();
    let varying = scratch("fit-sigma-column", "varying.csv");
    std::fs::write(
        &varying,
        with_column(&|i| if i % 2 == 0 { 0.02 } else { 0.04 }),
    )
    .unwrap();

    let run = |input: &Path, sigma: &str, dir: &str| {
        let out_dir = scratch("fit-sigma-column", dir);
        let mut args = fit_args(s(input), s(&out_dir));
        let at = args.iter().position(|a| *a == "0.02").unwrap();
        args[at] = sigma;
        let v = json_of(&xas(&args));
        let samples = std::fs::read_to_string(out_dir.join("samples.csv")).unwrap();
        // (energy, parameters) of each sample; columns: sample, energy, ln_prior, θ...
        let rows: Vec<(f64, String)> = samples
            .lines()
            .skip(1)
            .map(|l| {
                let fields: Vec<&str> = l.split(',').collect();
                (fields[1].parse().unwrap(), fields[3..].join(","))
            })
            .collect();
        (
            v["free_energy"]["stepping_stone"]["value"]
                .as_f64()
                .unwrap(),
            rows,
        )
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
    let (f_value, rows_value) = run(&plain, "0.02", "value");
    let (f_column, rows_column) = run(&constant, "col:sigma", "column");
    assert!(close(f_column, f_value), "{f_column} vs {f_value}");
    assert_eq!(rows_column.len(), rows_value.len());
    for (a, b) in rows_column.iter().zip(&rows_value) {
        assert_eq!(a.1, b.1, "parameters differ");
        assert!(close(a.0, b.0), "energy {} vs {}", a.0, b.0);
    }
    let (f_varying, _) = run(&varying, "col:sigma", "varying");
    assert!(
        f_varying.is_finite() && !close(f_varying, f_value),
        "{f_varying}"
    );
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let input = scratch("fit-bad", "nio_xas.csv");
    write_xas(&input);
    let priors = scratch("fit-bad", "priors.toml");
    std::fs::write(
        &priors,
        "[Deltaa]\nkind = \"uniform\"\nlo = 3.0\nhi = 6.0\n",
    )
    .unwrap();
    let empty_prior = scratch("fit-bad", "empty.toml");
    std::fs::write(
        &empty_prior,
        "[Delta]\nkind = \"uniform\"\nlo = 6.0\nhi = 3.0\n",
    )
    .unwrap();
    let out_dir = scratch("fit-bad", "run");
    let (input, out_dir) = (s(&input), s(&out_dir));
    let cases: [(&[&str], &str); 7] = [
        (&["--xas", input], "--xas-sigma"),
        (&["--xas", input, "--xas-sigma", "0"], "sigma must be > 0"),
        (&["--xas", input, "--xas-sigma", "col:9"], "column index 9"),
        (
            &[
                "--xas",
                input,
                "--xas-sigma",
                "0.02",
                "--priors",
                s(&priors),
            ],
            "Deltaa",
        ),
        (
            &[
                "--xas",
                input,
                "--xas-sigma",
                "0.02",
                "--priors",
                s(&empty_prior),
            ],
            "Delta",
        ),
        (
            &["--xas", "missing.csv", "--xas-sigma", "0.02"],
            "missing.csv",
        ),
        (
            &["--xas", input, "--xas-sigma", "0.02", "--mark", "delta=4.7"],
            "mark delta: not a parameter of this fit (they are: Delta, 10Dq",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["fit"];
        all.extend_from_slice(args);
        all.extend(["-o", out_dir]);
        assert_one_line_error(&xas(&all), needle);
    }
    assert_one_line_error(&xas(&["fit", "--resume", "no-such-run"]), "run.json");
    // Options that would be ignored are refused by the parser: the noise of a
    // spectrum not given, and run settings with --resume (it keeps its run.json).
    assert_usage_error(
        &xas(&["fit", "--xas-sigma", "0.02", "-o", out_dir]),
        "--xas",
    );
    assert_usage_error(
        &xas(&["fit", "--resume", "no-such-run", "--sweeps", "100"]),
        "--sweeps",
    );
}
