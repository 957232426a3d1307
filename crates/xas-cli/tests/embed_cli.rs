//! End-to-end tests of `xas embed`: fitting maps, saving them, placing new spectra,
//! and the errors of bad inputs.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{arg as s, assert_one_line_error, assert_usage_error, json_of, scratch, xas};
use xas_manifold::Vectors;
use xas_manifold::umap::UmapParams;
use xas_manifold::umap::density::{DensMap, radius_correlation};
use xas_metrics::measures::Metric;

/// A Gaussian line of unit height at `centre` (eV) with standard deviation 1.5 eV,
/// plus a small deterministic ripple that makes every spectrum distinct.
fn line(e: f64, centre: f64, ripple: f64) -> f64 {
    (-0.5 * ((e - centre) / 1.5).powi(2)).exp() + 0.01 * (ripple * e).sin()
}

/// Writes a wide table: energies `axis`, one column per `(name, centre, ripple)`.
fn write_table(path: &Path, axis: &[f64], columns: &[(String, f64, f64)]) {
    let mut text = String::from("energy");
    for (name, _, _) in columns {
        text.push_str(&format!(",{name}"));
    }
    text.push('\n');
    for &e in axis {
        text.push_str(&format!("{e}"));
        for (_, centre, ripple) in columns {
            text.push_str(&format!(",{}", line(e, *centre, *ripple)));
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn grid(start: f64, stop: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| start + (stop - start) * i as f64 / (n - 1) as f64)
        .collect()
}

/// Two families of 20 spectra: lines near 5 eV (`a*`) and near 15 eV (`b*`), as
/// `(name, centre, ripple)`.
fn training_columns() -> Vec<(String, f64, f64)> {
    (0..40)
        .map(|i| {
            let (family, base) = if i < 20 { ("a", 5.0) } else { ("b", 15.0) };
            let shift = 0.05 * (i % 20) as f64;
            (format!("{family}{i}"), base + shift, 1.0 + 0.1 * i as f64)
        })
        .collect()
}

/// The energy axis of the training table.
fn training_axis() -> Vec<f64> {
    grid(0.0, 20.0, 81)
}

/// The training spectra written as a table.
fn training_table(test: &str) -> PathBuf {
    let path = scratch(test, "train.csv");
    write_table(&path, &training_axis(), &training_columns());
    path
}

/// Rows of an output CSV as (name, coordinates).
fn read_coords(path: &Path, dims: usize) -> Vec<(String, Vec<f64>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..=dims], ["name", "c1", "c2"][..=dims]);
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let c = f[1..=dims].iter().map(|v| v.parse().unwrap()).collect();
            (f[0].to_string(), c)
        })
        .collect()
}

fn centroid(rows: &[(String, Vec<f64>)], family: &str) -> Vec<f64> {
    let members: Vec<&Vec<f64>> = rows
        .iter()
        .filter(|(n, _)| n.starts_with(family))
        .map(|(_, c)| c)
        .collect();
    (0..members[0].len())
        .map(|d| members.iter().map(|c| c[d]).sum::<f64>() / members.len() as f64)
        .collect()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The JSON summary of `xas --json embed --method METHOD args...`.
fn embed_json(method: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json", "embed", "--method", method];
    all.extend_from_slice(args);
    json_of(&xas(&all))
}

/// Fits a map by `method` (with the `extra` options), saves it, and places two new
/// spectra (one of each family, on a finer grid that covers the map's axis) with
/// `--model`: each lands nearer its own family's centroid, and the map's quality
/// measures are reported.
fn fit_and_place(method: &str, extra: &[&str]) {
    let test = &format!("embed-{method}{}", extra.concat());
    let train = training_table(test);
    let out_csv = scratch(test, "map.csv");
    let model = scratch(test, "model.json");
    let plot = scratch(test, "map.svg");
    let mut args = vec![
        "--input",
        s(&train),
        "-o",
        s(&out_csv),
        "--save-model",
        s(&model),
        "--plot",
        s(&plot),
    ];
    args.extend_from_slice(extra);
    let summary = embed_json(method, &args);
    assert_eq!(summary["spectra"], 40);
    assert_eq!(summary["points"], 81);
    let trust = summary["trustworthiness"].as_f64().unwrap();
    assert!(trust > 0.85, "{method}: trustworthiness {trust}");
    let map = read_coords(&out_csv, 2);
    assert_eq!(map.len(), 40);
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));

    let new = scratch(test, "new.csv");
    let columns = [
        ("new_a".to_string(), 5.4, 7.7),
        ("new_b".to_string(), 15.4, 3.3),
    ];
    write_table(&new, &grid(-1.0, 21.0, 221), &columns);
    let placed_csv = scratch(test, "placed.csv");
    let placed_plot = scratch(test, "placed.png");
    let placed = json_of(&xas(&[
        "--json",
        "embed",
        "--model",
        s(&model),
        "--input",
        s(&new),
        "-o",
        s(&placed_csv),
        "--plot",
        s(&placed_plot),
    ]));
    assert_eq!(placed.as_array().unwrap().len(), 2);
    let placed = read_coords(&placed_csv, 2);
    let (a, b) = (centroid(&map, "a"), centroid(&map, "b"));
    assert!(
        dist(&placed[0].1, &a) < dist(&placed[0].1, &b),
        "{method}: {placed:?}"
    );
    assert!(
        dist(&placed[1].1, &b) < dist(&placed[1].1, &a),
        "{method}: {placed:?}"
    );
    assert!(std::fs::read(&placed_plot).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn umap_map_is_fitted_saved_and_places_new_spectra() {
    fit_and_place("umap", &[]);
}

#[test]
fn pca_map_is_fitted_saved_and_places_new_spectra() {
    fit_and_place("pca", &[]);
}

#[test]
fn mds_map_is_fitted_saved_and_places_new_spectra() {
    fit_and_place("mds", &[]);
}

/// Metric MDS: the summary reports stress-1 (a good map of two compact families),
/// and new spectra are placed by the one-point stress minimisation.
#[test]
fn smacof_map_is_fitted_saved_and_places_new_spectra() {
    fit_and_place("smacof", &[]);
    let test = "embed-smacof-stress";
    let train = training_table(test);
    let out = scratch(test, "map.csv");
    let summary = embed_json("smacof", &["--input", s(&train), "-o", s(&out)]);
    // Two compact families in a plane: stress-1 0.0094 measured (below 0.05 is a good
    // map by Kruskal's rule of thumb).
    let stress = summary["stress_1"].as_f64().unwrap();
    assert!(stress > 0.0 && stress < 0.015, "stress-1 {stress}");
    let classical = embed_json("mds", &["--input", s(&train), "-o", s(&out)]);
    assert!(classical["stress_1"].is_null());
}

#[test]
fn umap_is_reproducible_for_a_seed() {
    let test = "embed-repro";
    let train = training_table(test);
    let run = |name: &str, seed: &str| {
        let out = scratch(test, name);
        json_of(&xas(&[
            "--json",
            "embed",
            "--input",
            s(&train),
            "--seed",
            seed,
            "-o",
            s(&out),
        ]));
        std::fs::read_to_string(out).unwrap()
    };
    assert_eq!(run("one.csv", "7"), run("two.csv", "7"));
    assert_ne!(run("one.csv", "7"), run("three.csv", "8"));
}

/// A densMAP map is saved with its settings and places new spectra like a UMAP map
/// (`transform` uses the UMAP loss).
#[test]
fn densmap_map_is_fitted_saved_and_places_new_spectra() {
    fit_and_place("umap", &["--densmap"]);
    let saved = std::fs::read_to_string(scratch("embed-umap--densmap", "model.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let lambda = saved.pointer("/model/Umap/params/densmap/lambda");
    assert_eq!(lambda.and_then(serde_json::Value::as_f64), Some(2.0));
}

/// `--densmap` fits a densMAP map (different from the UMAP map of the same seed) and
/// reports the correlation of local radii; with another method it is an error.
#[test]
fn densmap_is_fitted_and_reports_its_radius_correlation() {
    let test = "embed-densmap";
    let train = training_table(test);
    let fit = |name: &str, extra: &[&str]| {
        let out = scratch(test, name);
        let mut args = vec!["--json", "embed", "--input", s(&train), "-o", s(&out)];
        args.extend_from_slice(extra);
        let summary = json_of(&xas(&args));
        (summary, std::fs::read_to_string(out).unwrap())
    };
    let (dense, dense_map) = fit("dense.csv", &["--densmap", "--normalization", "none"]);
    let (plain, plain_map) = fit("plain.csv", &["--normalization", "none"]);
    assert!(plain["radius_correlation"].is_null(), "{plain}");
    assert_ne!(dense_map, plain_map);
    // The reported value is the library's correlation of the written map, and densMAP
    // keeps local density far better than UMAP of the same seed.
    let axis = training_axis();
    let rows: Vec<f64> = training_columns()
        .iter()
        .flat_map(|(_, centre, ripple)| axis.iter().map(|&e| line(e, *centre, *ripple)))
        .collect();
    let vectors = Vectors::new(Metric::Euclidean, &axis, &rows).unwrap();
    let radii = |name: &str, params: &UmapParams| {
        let coords: Vec<f64> = read_coords(&scratch(test, name), 2)
            .into_iter()
            .flat_map(|(_, c)| c)
            .collect();
        radius_correlation((&vectors).into(), &coords, 2, params).unwrap()
    };
    let dense_params = UmapParams {
        densmap: Some(DensMap::default()),
        ..UmapParams::default()
    };
    let r = dense["radius_correlation"].as_f64().unwrap();
    assert!(
        (r - radii("dense.csv", &dense_params)).abs() < 1e-12,
        "{dense}"
    );
    let r_plain = radii("plain.csv", &UmapParams::default());
    println!("radius correlation: densMAP {r:.3}, UMAP {r_plain:.3}");
    assert!(r > r_plain + 0.3, "densMAP {r}, UMAP {r_plain}");
    let out = scratch(test, "pca.csv");
    let args = [
        "embed",
        "--input",
        s(&train),
        "--method",
        "pca",
        "--densmap",
        "-o",
        s(&out),
    ];
    assert_one_line_error(&xas(&args), "--densmap");
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let test = "embed-errors";
    let out = scratch(test, "out.csv");
    let columns: Vec<(String, f64, f64)> = (0..5)
        .map(|i| (format!("s{i}"), 5.0 + i as f64, 1.0))
        .collect();
    // Five spectra: too few for 15 neighbours.
    let few = scratch(test, "few.csv");
    write_table(&few, &grid(0.0, 20.0, 41), &columns);
    // The same with one value `nan`.
    let nan = scratch(test, "nan.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&few)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut fields: Vec<&str> = lines[3].split(',').collect();
    fields[2] = "nan";
    lines[3] = fields.join(",");
    std::fs::write(&nan, lines.join("\n")).unwrap();
    // Single-spectrum files on different grids, and a pair of spectra.
    let (one, two, pair) = (
        scratch(test, "one.csv"),
        scratch(test, "two.csv"),
        scratch(test, "pair.csv"),
    );
    write_table(&one, &grid(0.0, 20.0, 41), &columns[..1]);
    write_table(&two, &grid(0.0, 20.0, 51), &columns[1..2]);
    write_table(&pair, &grid(0.0, 20.0, 41), &columns[..2]);
    let train = training_table(test);
    // A saved PCA map, and new spectra that do not cover its axis.
    let model = scratch(test, "model.json");
    let saved = xas(&[
        "embed",
        "--method",
        "pca",
        "--input",
        s(&train),
        "-o",
        s(&out),
        "--save-model",
        s(&model),
    ]);
    assert!(saved.status.success());
    let narrow = scratch(test, "narrow.csv");
    write_table(&narrow, &grid(2.0, 18.0, 41), &columns[..2]);
    // Six spectra from two files on one grid make a PCA map.
    let r = xas(&[
        "embed",
        "--method",
        "pca",
        "--input",
        s(&one),
        s(&few),
        "-o",
        s(&out),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    // ... and, resampled onto one grid, files on different axes do too.
    let resampled = embed_json(
        "pca",
        &[
            "--input",
            s(&one),
            s(&two),
            s(&few),
            "--grid",
            "0:20:0.25",
            "-o",
            s(&out),
        ],
    );
    assert_eq!(
        (resampled["spectra"].as_u64(), resampled["points"].as_u64()),
        (Some(7), Some(81))
    );

    let pca = ["--method", "pca"];
    let cases: [(Vec<&str>, &str); 12] = [
        (vec!["--input", s(&few)], "n_neighbors"),
        (
            [&pca[..], &["--input", s(&few), "--grid", "0:30:0.5"]].concat(),
            "does not cover --grid (0.00-30.00 eV)",
        ),
        (
            [&pca[..], &["--input", s(&few), "--grid", "0-20"]].concat(),
            "--grid `0-20`: expected START:STOP:STEP",
        ),
        (
            vec![
                "--model",
                s(&model),
                "--input",
                s(&few),
                "--grid",
                "0:20:0.5",
            ],
            "--grid: a saved map resamples new spectra onto its own axis",
        ),
        (
            [&pca[..], &["--input", s(&one), s(&two)]].concat(),
            "give --grid START:STOP:STEP",
        ),
        (
            [&pca[..], &["--input", s(&nan)]].concat(),
            "nan.csv:4: column 3 (s1): `nan` is not a finite number",
        ),
        (vec!["--input", s(&one), s(&two)], "energy axis differs"),
        (
            [&pca[..], &["--input", s(&pair)]].concat(),
            "a map needs at least 3 spectra, the input has 2",
        ),
        (
            [&pca[..], &["--metric", "cosine", "--input", s(&train)]].concat(),
            "--metric cosine: PCA is Euclidean",
        ),
        (
            [&pca[..], &["--input", s(&train), "--color-by", "valence"]].concat(),
            "--color-by valence: the input has no labels",
        ),
        (
            vec!["--model", s(&model), "--input", s(&narrow)],
            "does not cover the map's axis",
        ),
        (
            vec!["--model", s(&train), "--input", s(&narrow)],
            "not a saved map",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["embed"];
        all.extend(args);
        all.extend(["-o", s(&out)]);
        assert_one_line_error(&xas(&all), needle);
    }
    // UMAP's options with another method, and a new map's options with a saved one,
    // would be ignored: they are refused.
    for flag in [
        &["--seed", "7"][..],
        &["--n-neighbors", "5"],
        &["--parallel"],
    ] {
        let mut all = vec![
            "embed",
            "--method",
            "mds",
            "--input",
            s(&train),
            "-o",
            s(&out),
        ];
        all.extend_from_slice(flag);
        assert_one_line_error(&xas(&all), &format!("{}: needs --method umap", flag[0]));
    }
    let r = xas(&[
        "embed",
        "--model",
        s(&model),
        "--input",
        s(&narrow),
        "--method",
        "pca",
        "-o",
        s(&out),
    ]);
    assert_usage_error(&r, "--method");
}

/// Without `--json` a UMAP fit reports its stages and every tenth of its layout epochs on
/// standard error, ending at `total/total`; with `--json` it is silent there.
#[test]
fn umap_reports_progress_unless_json() {
    let test = "embed-progress";
    let train = training_table(test);
    let out = scratch(test, "map.csv");
    let text_run = xas(&["embed", "--input", s(&train), "-o", s(&out)]);
    assert!(text_run.status.success());
    let stderr = String::from_utf8_lossy(&text_run.stderr);
    let layout: Vec<(usize, usize)> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("umap: Layout "))
        .map(|l| {
            let (done, total) = l.split_once('/').unwrap();
            (done.parse().unwrap(), total.parse().unwrap())
        })
        .collect();
    assert!((10..=12).contains(&layout.len()), "{stderr}");
    let (done, total) = *layout.last().unwrap();
    assert_eq!(done, total);
    assert!(layout.windows(2).all(|w| w[0].0 < w[1].0), "{layout:?}");
    // Stages before the layout are reported once, when finished.
    assert!(
        stderr
            .lines()
            .filter(|l| l.starts_with("umap: ") && !l.contains("Layout"))
            .count()
            >= 2,
        "{stderr}"
    );
    let json_run = xas(&["--json", "embed", "--input", s(&train), "-o", s(&out)]);
    assert!(!String::from_utf8_lossy(&json_run.stderr).contains("umap: "));
}

/// Several tables and spectrum files are joined in order into one map; a name that
/// is already taken gets its file's name in front.
#[test]
fn tables_and_files_are_joined_into_one_map() {
    let test = "embed-joined";
    let columns = training_columns();
    let axis = training_axis();
    let first = scratch(test, "first.csv");
    let second = scratch(test, "second.csv");
    // A single-spectrum file is named after its stem, here the first table's first
    // column's name.
    let single = scratch(test, "a0.csv");
    write_table(&first, &axis, &columns[..20]);
    write_table(&second, &axis, &columns[20..]);
    write_table(&single, &axis, &[("x".to_string(), 5.2, 9.9)]);
    let out = scratch(test, "map.csv");
    let summary = embed_json(
        "pca",
        &["--input", s(&first), s(&second), s(&single), "-o", s(&out)],
    );
    assert_eq!(summary["spectra"], 41);
    let map = read_coords(&out, 2);
    let names: Vec<&str> = map.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<String> = columns
        .iter()
        .map(|c| c.0.clone())
        .chain([format!("{}:a0", single.display())])
        .collect();
    assert_eq!(names, expected);
    // The two families stay apart: each spectrum is nearer its own centroid.
    let (a, b) = (centroid(&map[..40], "a"), centroid(&map[..40], "b"));
    for (name, c) in &map[..40] {
        let own_a = name.starts_with('a');
        assert_eq!(dist(c, &a) < dist(c, &b), own_a, "{name}: {c:?}");
    }
}

/// A saved library brings its labels: `--color-by valence` colours the map and
/// reports the valence silhouette, the labels are written beside the coordinates, a
/// library is read only on its own, and a saved map keeps its colouring.
#[test]
fn a_library_input_carries_its_labels() {
    let test = "embed-library";
    let (lib, built) = common::mn_library(test, &[]);
    assert_eq!(built["spectra"], 18);
    let out = scratch(test, "map.csv");
    let model = scratch(test, "model.json");
    let summary = embed_json(
        "pca",
        &[
            "--input",
            s(&lib),
            "--color-by",
            "valence",
            "-o",
            s(&out),
            "--save-model",
            s(&model),
        ],
    );
    assert_eq!(summary["spectra"], 18);
    // PCA does not separate the valences of this coarse library (0.5 eV steps of
    // 10Dq): silhouette -0.0024 measured.
    let silhouette = summary["silhouette"].as_f64().unwrap();
    assert!((silhouette + 0.0024).abs() < 0.005, "{silhouette}");
    let text = std::fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert!(header.contains(&"valence"), "{header:?}");
    let valences: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(header.iter().position(|h| *h == "valence").unwrap())
                .unwrap()
        })
        .collect();
    for v in ["Mn2+", "Mn3+", "Mn4+"] {
        assert_eq!(
            valences.iter().filter(|&&x| x == v).count(),
            6,
            "{valences:?}"
        );
    }

    // Resampled onto a narrower grid, the library keeps its labels.
    let narrow = embed_json(
        "pca",
        &[
            "--input",
            s(&lib),
            "--grid",
            "640:655:0.25",
            "--color-by",
            "valence",
            "-o",
            s(&out),
        ],
    );
    assert_eq!(narrow["points"], 61);
    assert!(narrow["silhouette"].as_f64().is_some(), "{narrow}");

    let table = training_table(test);
    let r = xas(&["embed", "--input", s(&lib), s(&table), "-o", s(&out)]);
    assert_one_line_error(&r, "a saved library is read on its own");
    let r = xas(&[
        "embed",
        "--model",
        s(&model),
        "--input",
        s(&lib),
        "--color-by",
        "tendq_ev",
        "-o",
        s(&out),
    ]);
    assert_one_line_error(&r, "keeps the colouring it was fitted with (valence)");
}

/// XDI files are one spectrum each (their absorption column, not I0 beside it), named
/// after the file; on different axes they need --grid. `--y-column` picks one column
/// of a plain table instead of taking them all.
#[test]
fn spectrum_files_give_their_absorption_column() {
    let test = "embed-xdi";
    let files: Vec<PathBuf> = ["fe2o3_rt", "fe_metal_rt", "feo_rt1", "fen_rt"]
        .iter()
        .map(|f| common::demo_data(&format!("{f}.xdi")))
        .collect();
    let out = scratch(test, "map.csv");
    let mut args: Vec<&str> = vec!["--input"];
    args.extend(files.iter().map(|f| s(f)));
    args.extend(["--grid", "7100:7200:0.5", "-o", s(&out)]);
    let summary = embed_json("pca", &args);
    assert_eq!(summary["spectra"], 4, "{summary}");
    let map = read_coords(&out, 2);
    let names: Vec<&str> = map.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["fe2o3_rt", "fe_metal_rt", "feo_rt1", "fen_rt"]);
    // The same map as from the absorption column named explicitly.
    args.extend(["--y-column", "mutrans"]);
    embed_json("pca", &args);
    assert_eq!(read_coords(&out, 2), map);

    // Three tables of two columns each, `x` and `y`: --y-column y maps one spectrum
    // from each.
    let tables: Vec<PathBuf> = (0..3)
        .map(|i| {
            let path = scratch(test, &format!("t{i}.csv"));
            let centre = 5.0 + 3.0 * i as f64;
            let columns = [
                ("x".to_string(), centre, 1.0),
                ("y".to_string(), centre + 1.0, 2.0),
            ];
            write_table(&path, &training_axis(), &columns);
            path
        })
        .collect();
    let mut args: Vec<&str> = vec!["--input"];
    args.extend(tables.iter().map(|f| s(f)));
    args.extend(["--y-column", "y", "-o", s(&out)]);
    let summary = embed_json("pca", &args);
    assert_eq!(summary["spectra"], 3, "{summary}");
}
