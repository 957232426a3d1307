//! End-to-end tests of `xas deconvolve`: a two-peak spectrum is resolved into two peaks,
//! the outputs are written, and bad arguments are one-line errors.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{arg as s, assert_one_line_error, json_of, mean_sd, scratch, xas};

/// Two well-separated Gaussian peaks (FWHM 0.3) at 1 and 2 with a deterministic
/// pseudo-random ripple of standard deviation about 0.02.
fn write_two_peaks(path: &Path) {
    let mut text = String::from("x,y\n");
    let mut state = 12345u64;
    for i in 0..151 {
        let x = i as f64 * 0.02;
        let g = |c: f64| (-4.0 * 2f64.ln() * ((x - c) / 0.3).powi(2)).exp();
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        let y = g(1.0) + 0.6 * g(2.0) + 0.02 * 12f64.sqrt() * (u - 0.5);
        text.push_str(&format!("{x},{y}\n"));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn two_peaks_are_selected_and_reported() {
    let input = scratch("deconvolve", "two_peaks.csv");
    write_two_peaks(&input);
    let out_dir = scratch("deconvolve", "run");
    let out = xas(&[
        "--json",
        "deconvolve",
        "--input",
        s(&input),
        "--peaks",
        "1..3",
        "--replicas",
        "24",
        "--burn-in",
        "500",
        "--sweeps",
        "1000",
        "-o",
        s(&out_dir),
    ]);
    let v = json_of(&out);
    assert_eq!(v["selected_peaks"], 2, "{v}");
    let fits = v["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 3);
    let f: Vec<f64> = fits
        .iter()
        .map(|f| f["free_energy"].as_f64().unwrap())
        .collect();
    assert!(f[0] - f[1] > 10.0, "{f:?}");
    // The uniform ripple has sd 0.02.
    let sigma = fits[1]["sigma"].as_f64().unwrap();
    assert!((sigma / 0.02 - 1.0).abs() < 0.15, "{sigma}");
    // The two peaks (amplitude, position, FWHM) at their MAP, ordered by position (the
    // posterior means mix the exchangeable labels): 1 at 1, 0.6 at 2, both 0.3 wide.
    let map: Vec<f64> = fits[1]["map"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut peaks: Vec<&[f64]> = map.chunks(3).collect();
    peaks.sort_by(|p, q| p[1].total_cmp(&q[1]));
    for (peak, truth) in peaks.iter().zip([[1.0, 1.0, 0.3], [0.6, 2.0, 0.3]]) {
        assert!((peak[0] - truth[0]).abs() < 0.03, "{peaks:?}");
        assert!((peak[1] - truth[1]).abs() < 0.01, "{peaks:?}");
        assert!((peak[2] - truth[2]).abs() < 0.01, "{peaks:?}");
    }
    for file in [
        "model_selection.csv",
        "summary.json",
        "fit.svg",
        "free_energy.svg",
    ] {
        assert!(out_dir.join(file).exists(), "{file}");
    }
    let csv = std::fs::read_to_string(out_dir.join("model_selection.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let input = scratch("deconvolve-bad", "two_peaks.csv");
    write_two_peaks(&input);
    let out_dir = scratch("deconvolve-bad", "run");
    let input = s(&input);
    let cases: [(&[&str], &str); 4] = [
        (&["--input", input, "--peaks", "0..2"], "--peaks"),
        (&["--input", input, "--sigma=-0.1"], "--sigma"),
        (&["--input", input, "--replicas", "1"], "replicas"),
        (&["--input", "missing.csv"], "missing.csv"),
    ];
    for (args, needle) in cases {
        let mut all = vec!["deconvolve"];
        all.extend_from_slice(args);
        all.extend(["-o", s(&out_dir)]);
        assert_one_line_error(&xas(&all), needle);
    }
}

/// `--background linear`: two peaks on the line `0.2 + 0.1 (x - 1.5)` give the line's
/// level and slope back, and the background is part of the summary.
#[test]
fn a_linear_background_is_fitted_under_the_peaks() {
    let plain = scratch("deconvolve-background", "two_peaks.csv");
    write_two_peaks(&plain);
    let text = std::fs::read_to_string(&plain).unwrap();
    let mut sloped = String::from("x,y\n");
    for line in text.lines().skip(1) {
        let (x, y) = line.split_once(',').unwrap();
        let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
        sloped.push_str(&format!("{x},{}\n", y + 0.2 + 0.1 * (x - 1.5)));
    }
    let input = scratch("deconvolve-background", "sloped.csv");
    std::fs::write(&input, sloped).unwrap();
    let out_dir = scratch("deconvolve-background", "run");
    let v = json_of(&xas(&[
        "--json",
        "deconvolve",
        "--input",
        s(&input),
        "--peaks",
        "2",
        "--background",
        "linear",
        "--replicas",
        "24",
        "--burn-in",
        "500",
        "--sweeps",
        "1000",
        "-o",
        s(&out_dir),
    ]));
    let fit = &v["fits"][0];
    assert_eq!(fit["background"], "linear", "{v}");
    assert_eq!(fit["x_ref"].as_f64().unwrap(), 1.5);
    for (name, truth) in [("bg0", 0.2), ("bg1", 0.1)] {
        let (mean, sd) = mean_sd(&fit["parameters"], name);
        assert!(
            (mean - truth).abs() < 3.0 * sd && sd < 0.01,
            "{name}: {mean} ± {sd}"
        );
    }
}
