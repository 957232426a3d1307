//! Reader acceptance tests on real files: the copies in `tests/data/` (always run) and
//! the full shared data set in `../shared/data/xas/` (skipped with a message when that
//! folder is absent), plus the XDI write -> read round trip as a property test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use xas_core::Spectrum;
use xas_core::io::{
    ColumnSelector, Format, ReadOptions, detect_format, read_bytes, read_file, read_file_with,
    write_xdi, xdi_string,
};

const TEST_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/xas");

fn test_file(name: &str) -> PathBuf {
    Path::new(TEST_DATA).join(name)
}

fn read_one(path: &Path) -> Spectrum {
    let mut spectra = read_file(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spectra.len(), 1, "{}", path.display());
    spectra.remove(0)
}

/// The shared data folder, or `None` (with a message) when it is absent.
fn shared() -> Option<PathBuf> {
    let path = PathBuf::from(SHARED);
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("skipping: shared data folder {SHARED} is absent");
        None
    }
}

fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn all_shared_files(root: &Path, ext: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .flat_map(|d| files_with_extension(d, ext))
        .collect()
}

fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} != {expected} (tolerance {tolerance})"
    );
}

// ---------------------------------------------------------------- tests/data copies

#[test]
fn xdi_fe_metal_foil() {
    let path = test_file("fe_metal_rt.xdi");
    assert_eq!(
        detect_format(&path, &fs::read(&path).unwrap()).unwrap(),
        Format::Xdi
    );
    let s = read_one(&path);
    assert_eq!(s.len(), 348);
    assert_eq!(s.energy_range_ev(), (6962.0, 7969.247));
    assert_eq!(s.intensity()[0], 0.10632858);
    assert_eq!(s.intensity()[347], 1.4023708);
    assert_eq!(s.meta.element.as_deref(), Some("Fe"));
    assert_eq!(s.meta.edge.as_deref(), Some("K"));
    assert_eq!(s.meta.sample.as_deref(), Some("Fe metal foil"));
    assert_eq!(s.meta.e0_ev, Some(7112.0));
    assert_eq!(s.meta.label.as_deref(), Some("fe_metal_rt"));
    assert_eq!(s.meta.extra["Beamline.name"], "13-BM-D");
    assert_eq!(s.meta.extra["Mono.d_spacing"], "3.13550");
    assert!(s.meta.extra["comments"].starts_with("room temperature\nmeasured at beamline 13-BM-D"));
    assert!(
        s.meta
            .source
            .as_deref()
            .unwrap()
            .ends_with("fe_metal_rt.xdi")
    );
}

#[test]
fn xdi_prefers_mutrans_over_counters() {
    let s = read_one(&test_file("cu_metal_rt.xdi"));
    assert_eq!(s.len(), 408);
    assert_eq!(s.energy_range_ev(), (8779.0, 10145.86));
    assert_eq!(s.intensity()[0], -1.3070486);
    assert_eq!(s.intensity()[407], 0.24890911);
    assert_eq!(s.meta.element.as_deref(), Some("Cu"));
    assert_eq!(s.meta.extra["GSE.EXTRA"], "config 1");
}

#[test]
fn xdi_derives_mu_from_i0_and_itrans() {
    let s = read_one(&test_file("pt_metal_rt.xdi"));
    assert_eq!(s.len(), 418);
    assert_eq!(s.energy_range_ev(), (11364.0, 12798.43));
    assert_eq!(s.intensity()[0], (56237.70f64 / 332768.1).ln());
    assert_eq!(s.intensity()[417], (49469.70f64 / 62393.10).ln());
    assert_eq!(s.meta.element.as_deref(), Some("Pt"));
    assert_eq!(s.meta.edge.as_deref(), Some("L3"));
    assert!(
        s.meta.history.iter().any(|h| h.contains("ln(i0/itrans)")),
        "{:?}",
        s.meta.history
    );
}

#[test]
fn xdi_fortran_numbers_and_unordered_header() {
    let s = read_one(&test_file("cu_metal_10K.xdi"));
    assert_eq!(s.len(), 612);
    assert_eq!(s.energy_range_ev(), (8786.204, 11362.47));
    assert_eq!(s.intensity()[0], 1.013661);
    assert_eq!(s.meta.e0_ev, Some(8980.0));
    assert_eq!(s.meta.extra["Sample.temperature"], "10 K");
}

#[test]
fn xdi_column_selection_by_name_and_index() {
    let path = test_file("cu_metal_rt.xdi");
    let by_name = ReadOptions {
        y_column: Some(ColumnSelector::Name("I0".into())),
        ..ReadOptions::default()
    };
    assert_eq!(
        read_file_with(&path, &by_name).unwrap()[0].intensity()[0],
        149013.7
    );
    let by_index = ReadOptions {
        y_column: Some(ColumnSelector::Index(2)),
        ..ReadOptions::default()
    };
    assert_eq!(
        read_file_with(&path, &by_index).unwrap()[0].intensity()[0],
        550643.089065
    );
    let missing = ReadOptions {
        y_column: Some(ColumnSelector::Name("mufluor".into())),
        ..ReadOptions::default()
    };
    let err = read_file_with(&path, &missing).unwrap_err().to_string();
    assert!(
        err.contains("mufluor") && err.contains("3: mutrans"),
        "{err}"
    );
}

#[test]
fn dat_reads_mu_and_keeps_header() {
    let s = read_one(&test_file("FeO__FeO.dat"));
    assert_eq!(s.len(), 412);
    assert_eq!(s.energy_range_ev(), (6911.7671, 8084.0938));
    assert_eq!(s.intensity()[0], -0.03599259);
    assert_eq!(s.intensity()[411], 0.42842774);
    assert_eq!(s.meta.label.as_deref(), Some("FeO"));
    assert_eq!(s.meta.extra["larch_edge_step"], "1.35436");
    assert_eq!(
        s.meta.extra["larch_pre_edge_e0_eV(on energy_cal)"],
        "7122.927"
    );
    assert_eq!(s.meta.extra["athena_bkg_e0_eV"], "7122.9272");
    assert!(s.meta.extra["title"].contains("FeO 4 layers on tape"));
}

#[test]
fn prj_matches_its_dat_conversion() {
    compare_project_with_dat(&test_file("FeO.prj"), &test_file("FeO__FeO.dat"));
    let spectra = read_file(test_file("FeO.prj")).unwrap();
    assert_eq!(spectra.len(), 1);
    let s = &spectra[0];
    assert_eq!(s.meta.label.as_deref(), Some("FeO"));
    assert_eq!(s.meta.element.as_deref(), Some("Fe"));
    assert_eq!(s.meta.edge.as_deref(), Some("K"));
    assert_eq!(s.meta.e0_ev, Some(7122.9272));
    assert_eq!(s.meta.energy_shift_ev, Some(0.0));
    assert_eq!(s.meta.extra["athena.group"], "bapw");
    assert_eq!(s.meta.extra["athena.old_group"], "lmcd");
    assert_eq!(s.meta.extra["athena.bkg_z"], "Fe");
}

#[test]
fn emsa_mn_edge() {
    let path = test_file("Mn_edge.msa");
    assert_eq!(
        detect_format(&path, &fs::read(&path).unwrap()).unwrap(),
        Format::Emsa
    );
    check_emsa(&read_one(&path), 2021, 446.0);
}

#[test]
fn emsa_y_only_layout_matches_xy() {
    let path = test_file("Mn_edge.msa");
    let xy = read_one(&path);
    let text = String::from_utf8(fs::read(&path).unwrap()).unwrap();
    let mut y_only = String::new();
    for line in text.lines() {
        if line.starts_with("#DATATYPE") {
            y_only.push_str("#DATATYPE    : Y\r\n");
        } else if line.starts_with('#') {
            y_only.push_str(line);
            y_only.push_str("\r\n");
        } else {
            let y = line.split(',').nth(1).unwrap().trim();
            y_only.push_str(&format!("{y},\r\n"));
        }
    }
    let s = &read_bytes(
        y_only.as_bytes(),
        Path::new("y.msa"),
        &ReadOptions::default(),
    )
    .unwrap()[0];
    assert_eq!(s.intensity(), xy.intensity());
    for (a, b) in s.energy_ev().iter().zip(xy.energy_ev()) {
        assert_close(*a, *b, 1e-9, "y-only energy");
    }
}

#[test]
fn copies_round_trip_through_xdi_files() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xdi-round-trip");
    fs::create_dir_all(&dir).unwrap();
    for name in ["fe_metal_rt.xdi", "FeO.prj", "FeO__FeO.dat", "Mn_edge.msa"] {
        let original = read_file(test_file(name)).unwrap().remove(0);
        let out = dir.join(format!("{name}.xdi"));
        write_xdi(&original, &out).unwrap();
        let back = read_one(&out);
        assert_eq!(back.energy_ev(), original.energy_ev(), "{name}");
        assert_eq!(back.intensity(), original.intensity(), "{name}");
        assert_eq!(back.sigma(), original.sigma(), "{name}");
        assert_eq!(back.meta.label, original.meta.label, "{name}");
        assert_eq!(back.meta.element, original.meta.element, "{name}");
        assert_eq!(back.meta.edge, original.meta.edge, "{name}");
        assert_eq!(back.meta.sample, original.meta.sample, "{name}");
        assert_eq!(back.meta.e0_ev, original.meta.e0_ev, "{name}");
        assert_eq!(
            back.meta.energy_shift_ev, original.meta.energy_shift_ev,
            "{name}"
        );
    }
}

// ------------------------------------------------------------- full shared data set

#[test]
fn shared_every_file_reads_with_default_options() {
    let Some(root) = shared() else { return };
    let mut counts = BTreeMap::new();
    for ext in ["xdi", "prj", "dat", "msa"] {
        for path in all_shared_files(&root, ext) {
            let spectra = read_file(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!spectra.is_empty(), "{}", path.display());
            for s in &spectra {
                assert!(s.len() >= 2);
                assert!(s.meta.label.is_some(), "{}", path.display());
            }
            *counts.entry(ext).or_insert(0) += 1;
        }
    }
    assert_eq!(counts.get("xdi"), Some(&13));
    assert_eq!(counts.get("prj"), Some(&3));
    assert_eq!(counts.get("dat"), Some(&45));
    assert_eq!(counts.get("msa"), Some(&2));
}

#[test]
fn shared_xdi_element_edge_and_points() {
    let Some(root) = shared() else { return };
    let expected = [
        (
            "xdi_fe_k_valence/fe2o3_rt.xdi",
            "Fe",
            "K",
            348,
            6962.0,
            7969.247,
        ),
        (
            "xdi_fe_k_valence/feo_rt1.xdi",
            "Fe",
            "K",
            412,
            6911.7671,
            8084.0938,
        ),
        (
            "xdi_other_k/co_metal_rt.xdi",
            "Co",
            "K",
            418,
            7509.0,
            8943.435,
        ),
        (
            "xdi_other_k/ni_metal_rt.xdi",
            "Ni",
            "K",
            418,
            8133.0,
            9567.435,
        ),
        (
            "xdi_other_k/se_na2so4_rt.xdi",
            "Se",
            "K",
            469,
            12508.0,
            13404.76,
        ),
        (
            "xdi_other_k/se_znse_rt.xdi",
            "Se",
            "K",
            469,
            12508.0,
            13404.76,
        ),
        (
            "xdi_other_k/zn_znse_rt.xdi",
            "Zn",
            "K",
            469,
            9509.0,
            10405.76,
        ),
        (
            "xdi_other_k/pt_metal_rt.xdi",
            "Pt",
            "L3",
            418,
            11364.0,
            12798.43,
        ),
    ];
    for (name, element, edge, points, first, last) in expected {
        let s = read_one(&root.join(name));
        assert_eq!(s.meta.element.as_deref(), Some(element), "{name}");
        assert_eq!(s.meta.edge.as_deref(), Some(edge), "{name}");
        assert_eq!(s.len(), points, "{name}");
        assert_eq!(s.energy_range_ev(), (first, last), "{name}");
    }
    // Na2SeO4 has only i0 and itrans: mu is derived.
    let s = read_one(&root.join("xdi_other_k/se_na2so4_rt.xdi"));
    assert_eq!(s.intensity()[0], (121961.4f64 / 559275.4).ln());
}

#[test]
fn shared_cu_herfd_project_has_one_group_per_dat_file() {
    let Some(root) = shared() else { return };
    let dir = root.join("cu_k_herfd_valence_larch");
    let spectra = read_file(dir.join("CuHERFD_standards.prj")).unwrap();
    let dats = files_with_extension(&dir, "dat");
    assert_eq!(spectra.len(), 39);
    assert_eq!(dats.len(), 39);
    let mut prj_labels: Vec<String> = spectra
        .iter()
        .map(|s| s.meta.label.clone().unwrap())
        .collect();
    let mut dat_labels: Vec<String> = dats
        .iter()
        .map(|p| read_one(p).meta.label.clone().unwrap())
        .collect();
    prj_labels.sort();
    dat_labels.sort();
    assert_eq!(prj_labels, dat_labels);
    assert_eq!(spectra[0].meta.label.as_deref(), Some("CuHERFD_CuFoil.003"));
    assert_eq!(spectra[0].meta.element.as_deref(), Some("Cu"));
    assert_eq!(spectra[0].meta.e0_ev, Some(8980.194171));
    assert!(
        spectra
            .iter()
            .any(|s| s.meta.label.as_deref() == Some("CuHERFD_Cu(I)O.004"))
    );
}

#[test]
fn shared_projects_match_their_dat_conversions() {
    let Some(root) = shared() else { return };
    let mut compared = 0;
    for dir in ["cu_k_herfd_valence_larch", "fe_k_oxyhydroxides_larch"] {
        for dat in files_with_extension(&root.join(dir), "dat") {
            let stem = dat.file_name().unwrap().to_string_lossy().into_owned();
            let project = stem.split("__").next().unwrap();
            compare_project_with_dat(&root.join(dir).join(format!("{project}.prj")), &dat);
            compared += 1;
        }
    }
    assert_eq!(compared, 45);
}

#[test]
fn shared_emsa_files() {
    let Some(root) = shared() else { return };
    let dir = root.join("mn_l23_eels_nmc");
    check_emsa(&read_one(&dir.join("Mn_edge.msa")), 2021, 446.0);
    check_emsa(&read_one(&dir.join("Ni_edge.msa")), 2001, 450.8);
}

// ------------------------------------------------------------------------ helpers

fn check_emsa(s: &Spectrum, points: usize, offset: f64) {
    assert_eq!(s.len(), points);
    assert_eq!(s.energy_ev()[0], offset);
    for (i, e) in s.energy_ev().iter().enumerate() {
        assert_close(*e, offset + 0.3 * i as f64, 1e-9, "EMSA channel energy");
    }
    assert_eq!(s.meta.extra["XPERCHAN"], "3.000000e-001");
    assert_eq!(s.meta.extra["XUNITS"], "eV");
    assert_eq!(s.meta.extra["NPOINTS"], points.to_string());
    assert!(s.meta.label.as_deref().unwrap().ends_with("_edge"));
}

/// Half a unit in the last printed digit of a decimal number (`8878.9943`, `1.2e-05`).
fn half_ulp(token: &str) -> f64 {
    let (mantissa, exponent) = match token.find(['e', 'E']) {
        Some(i) => (&token[..i], token[i + 1..].parse::<i32>().unwrap()),
        None => (token, 0),
    };
    let decimals = mantissa.find('.').map_or(0, |dot| mantissa.len() - dot - 1) as i32;
    0.5 * 10f64.powi(exponent - decimals)
}

/// The `.dat` numeric columns as printed: (energy_cal token, mu token) per row.
fn dat_tokens(dat: &Path) -> Vec<(String, String)> {
    fs::read_to_string(dat)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            (fields[1].to_string(), fields[2].to_string())
        })
        .collect()
}

/// The group of `project` labelled like the `.dat` file equals its `energy_cal_eV` and
/// `mu` columns (to 1e-9 relative, or to the precision the `.dat` prints when that is
/// coarser), and carries its `bkg_e0` and `bkg_eshift`.
fn compare_project_with_dat(project: &Path, dat: &Path) {
    let dat_spectrum = read_one(dat);
    let label = dat_spectrum.meta.label.clone().unwrap();
    let spectra = read_file(project).unwrap();
    let group = spectra
        .iter()
        .find(|s| s.meta.label.as_deref() == Some(label.as_str()))
        .unwrap_or_else(|| panic!("no group `{label}` in {}", project.display()));
    let extra = &dat_spectrum.meta.extra;
    let e0: f64 = extra["athena_bkg_e0_eV"].parse().unwrap();
    let shift: f64 = extra["athena_bkg_eshift_eV"].parse().unwrap();
    assert_eq!(group.meta.e0_ev, Some(e0), "{label}");
    assert_eq!(group.meta.energy_shift_ev, Some(shift), "{label}");
    let tokens = dat_tokens(dat);
    assert_eq!(group.len(), tokens.len(), "{label}");
    for (i, (e_token, mu_token)) in tokens.iter().enumerate() {
        for (actual, token, what) in [
            (group.energy_ev()[i], e_token, "energy_cal_eV"),
            (group.intensity()[i], mu_token, "mu"),
        ] {
            let expected: f64 = token.parse().unwrap();
            // Rounding to the printed digits may be off by half a unit in the last digit,
            // plus the binary representation error of both numbers.
            let printed = half_ulp(token) + 1e-12 * expected.abs();
            let tolerance = (1e-9 * expected.abs()).max(printed);
            assert_close(actual, expected, tolerance, &format!("{label} {what}[{i}]"));
        }
    }
}

// ------------------------------------------------------------ XDI round trip property

fn text_value() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[A-Za-z0-9][A-Za-z0-9 ()._+-]{0,15}[A-Za-z0-9]")
}

prop_compose! {
    fn spectrum_strategy()(
        start in -1e5f64..1e5,
        steps in proptest::collection::vec(1e-9f64..1e3, 1..40),
        values in proptest::collection::vec(-1e12f64..1e12, 40),
        scales in proptest::collection::vec(-300i32..300, 40),
        sigma in proptest::option::of(proptest::collection::vec(1e-30f64..1e30, 40)),
        label in text_value(),
        element in text_value(),
        edge in text_value(),
        sample in text_value(),
        e0 in proptest::option::of(-1e6f64..1e6),
        shift in proptest::option::of(-50f64..50.0),
    ) -> Spectrum {
        let mut energy = vec![start];
        for step in &steps {
            let next = energy[energy.len() - 1] + step;
            if next > energy[energy.len() - 1] {
                energy.push(next);
            }
        }
        let n = energy.len().max(2);
        if energy.len() < 2 {
            energy.push(start + 1.0);
        }
        let intensity: Vec<f64> = (0..n).map(|i| values[i] * 10f64.powi(scales[i] / 10)).collect();
        let mut s = Spectrum::new(energy, intensity).unwrap();
        if let Some(sigma) = sigma {
            s = s.with_sigma(sigma[..n].to_vec()).unwrap();
        }
        s.meta.label = label;
        s.meta.element = element;
        s.meta.edge = edge;
        s.meta.sample = sample;
        s.meta.e0_ev = e0;
        s.meta.energy_shift_ev = shift;
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn xdi_write_read_round_trip(s in spectrum_strategy()) {
        let text = xdi_string(&s);
        let back = read_bytes(text.as_bytes(), Path::new("round.xdi"), &ReadOptions::default())
            .unwrap()
            .remove(0);
        prop_assert_eq!(back.energy_ev(), s.energy_ev());
        prop_assert_eq!(back.intensity(), s.intensity());
        prop_assert_eq!(back.sigma(), s.sigma());
        let expected_label = s.meta.label.clone().or(Some("round".into()));
        prop_assert_eq!(back.meta.label, expected_label);
        prop_assert_eq!(back.meta.element, s.meta.element.clone());
        prop_assert_eq!(back.meta.edge, s.meta.edge.clone());
        prop_assert_eq!(back.meta.sample, s.meta.sample.clone());
        prop_assert_eq!(back.meta.e0_ev, s.meta.e0_ev);
        prop_assert_eq!(back.meta.energy_shift_ev, s.meta.energy_shift_ev);
    }
}
