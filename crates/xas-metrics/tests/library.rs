//! `xas_metrics::Library`: bit-exact binary round trips, every validation error of the
//! binary format (each checked for the message naming the problem), robustness of
//! `from_bytes` against random, truncated and mutated bytes, CSV export, and
//! `from_files` on generated files, on the repository's test data and (when present)
//! on the shared Fe K-edge valence set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use xas_core::{ColumnSelector, Delimiter, ReadOptions, SpectraMatrix, write_columns};
use xas_metrics::library::{FORMAT_VERSION, MAGIC};
use xas_metrics::{Error, FromFilesOptions, Library};

// ---------------------------------------------------------------------------------
// helpers

/// A fresh, empty directory under the system temp dir, unique per test and process.
fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xas-metrics-library-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The checksum of the format, written from its documentation (docs/formats/library.md).
fn checksum(bytes: &[u8]) -> u64 {
    let step = |h: u64, w: u64| ((h ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15)).rotate_left(31);
    let seed: u64 = 0x243F_6A88_85A3_08D3;
    let mut lanes = [seed, seed + 1, seed + 2, seed + 3];
    for (k, word) in bytes.chunks_exact(8).enumerate() {
        lanes[k % 4] = step(lanes[k % 4], u64::from_le_bytes(word.try_into().unwrap()));
    }
    lanes.iter().fold(seed, |h, &lane| step(h, lane))
}

/// Recomputes the trailing checksum of a (modified) file image.
fn fix_checksum(bytes: &mut [u8]) {
    let end = bytes.len() - 8;
    let sum = checksum(&bytes[..end]);
    bytes[end..].copy_from_slice(&sum.to_le_bytes());
}

/// A file image from its parts, as the documentation describes it.
fn build_file(header_json: &str, energy: &[f64], data: &[f64]) -> Vec<u8> {
    let mut header = header_json.as_bytes().to_vec();
    header.resize(header.len().next_multiple_of(8), b' ');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    for v in energy.iter().chain(data) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&[0; 8]);
    fix_checksum(&mut out);
    out
}

/// A valid header for `n` spectra of `m` points named `a`, `b`, ...
fn header(n: usize, m: usize, names: &[&str], extra: &str) -> String {
    let names: Vec<String> = names.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        r#"{{"n_spectra":{n},"n_points":{m},"names":[{}],"numeric_labels":[],"categorical_labels":[],"provenance":[]{extra}}}"#,
        names.join(",")
    )
}

/// Error message of `from_bytes`, which must fail.
fn load_error(bytes: &[u8]) -> String {
    match Library::from_bytes(bytes) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// Edge-step normalised and flattened rows: within `pre` of 0 at the first point and
/// within `post` of 1 at the last.
fn assert_flattened(s: &SpectraMatrix, pre: f64, post: f64) {
    for (name, row) in s.names().iter().zip(s.rows()) {
        assert!(row[0].abs() < pre, "{name}: pre-edge {}", row[0]);
        let tail = row[row.len() - 1];
        assert!((tail - 1.0).abs() < post, "{name}: post-edge {tail}");
    }
}

/// The last point of a uniform grid ending at the overlap's upper end `stop`: at most
/// `stop`, less than one step below it.
fn assert_grid_ends_at(s: &SpectraMatrix, stop: f64) {
    let e = s.energy_ev();
    let (last, step) = (e[e.len() - 1], e[1] - e[0]);
    assert!(last <= stop && last > stop - step, "{last} (step {step})");
}

fn assert_contains(message: &str, needles: &[&str]) {
    for needle in needles {
        assert!(message.contains(needle), "`{needle}` not in: {message}");
    }
}

/// Bitwise equality of two libraries (NaN-safe), with a message naming the difference.
fn assert_identical(a: &Library, b: &Library) {
    let (x, y) = (a.spectra(), b.spectra());
    let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(x.energy_ev()), bits(y.energy_ev()), "energy");
    assert_eq!(bits(x.as_slice()), bits(y.as_slice()), "data");
    assert_eq!(x.names(), y.names(), "names");
    let xn: Vec<&str> = x.numeric_label_names().collect();
    assert_eq!(xn, y.numeric_label_names().collect::<Vec<_>>());
    for name in xn {
        assert_eq!(
            bits(x.numeric_label(name).unwrap()),
            bits(y.numeric_label(name).unwrap()),
            "numeric label {name}"
        );
    }
    let xc: Vec<&str> = x.categorical_label_names().collect();
    assert_eq!(xc, y.categorical_label_names().collect::<Vec<_>>());
    for name in xc {
        assert_eq!(
            x.categorical_label(name),
            y.categorical_label(name),
            "{name}"
        );
    }
    assert_eq!(a.provenance(), b.provenance(), "provenance");
}

/// A library with awkward names, labels and f64 edge values everywhere.
fn edge_library() -> Library {
    let energy = vec![
        -1e300,
        -0.0 - 5e-324,
        0.0,
        5e-324,
        0.1 + 0.2,
        7_112.000_000_000_1,
        1e300,
    ];
    let m = energy.len();
    let mut spectra = SpectraMatrix::new(energy).unwrap();
    let rows: [(&str, [f64; 7]); 3] = [
        (
            "a",
            [
                f64::MAX,
                f64::MIN,
                f64::MIN_POSITIVE,
                5e-324,
                -0.0,
                0.0,
                1.0 / 3.0,
            ],
        ),
        (
            "name, with \"quotes\"\nand a line break",
            [
                f64::EPSILON,
                -5e-324,
                1e-310,
                123_456_789.123_456_79,
                -1.0,
                2.5,
                0.1,
            ],
        ),
        ("ünïcødé ✓", [0.0; 7]),
    ];
    for (name, row) in &rows {
        assert_eq!(row.len(), m);
        spectra.push_row(*name, row).unwrap();
    }
    spectra
        .set_numeric_label("tendq_ev", vec![0.1 + 0.2, -0.0, f64::NAN])
        .unwrap();
    spectra
        .set_numeric_label("extremes", vec![f64::MAX, 5e-324, -f64::MIN_POSITIVE])
        .unwrap();
    spectra
        .set_categorical_label(
            "valence",
            vec!["Mn2+".into(), String::new(), "\"x\", y\n\tz é".into()],
        )
        .unwrap();
    Library::new(spectra)
        .unwrap()
        .with_provenance("generator", "tests/library.rs")
        .with_provenance("note", "two\nlines, \"quoted\" ✓")
        .with_provenance("generator", "repeated key")
        .with_provenance("", "")
}

/// A small plain library: Gaussians on a uniform grid, simple names and labels.
fn plain_library() -> Library {
    let energy: Vec<f64> = (0..41).map(|i| 7100.0 + 0.5 * i as f64).collect();
    let mut spectra = SpectraMatrix::new(energy.clone()).unwrap();
    for (k, name) in ["s0", "s1", "s2"].iter().enumerate() {
        let row: Vec<f64> = energy
            .iter()
            .map(|e| (-0.5 * ((e - 7105.0 - 3.0 * k as f64) / 1.5).powi(2)).exp())
            .collect();
        spectra.push_row(*name, &row).unwrap();
    }
    spectra
        .set_numeric_label("tendq_ev", vec![0.9, 1.2, 1e-7])
        .unwrap();
    spectra
        .set_categorical_label(
            "valence",
            vec!["Mn2+".into(), "Mn3+, high spin".into(), "say \"4\"".into()],
        )
        .unwrap();
    Library::new(spectra)
        .unwrap()
        .with_provenance("generator", "plain")
}

// ---------------------------------------------------------------------------------
// binary round trips

#[test]
fn bytes_round_trip_is_bit_exact() {
    let library = edge_library();
    let bytes = library.to_bytes();
    assert_eq!(&bytes[..8], &MAGIC);
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 1);
    let header_len = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) as usize;
    assert_eq!(header_len % 8, 0);
    let (n, m) = (library.n_spectra(), library.n_points());
    assert_eq!(bytes.len(), 24 + header_len + 8 * m * (n + 1) + 8);
    let end = bytes.len() - 8;
    assert_eq!(
        checksum(&bytes[..end]),
        u64::from_le_bytes(bytes[end..].try_into().unwrap())
    );
    // The header is readable UTF-8 JSON, padded with spaces.
    let header = std::str::from_utf8(&bytes[24..24 + header_len]).unwrap();
    assert!(
        header.starts_with('{') && header.trim_end().ends_with('}'),
        "{header}"
    );
    assert!(header.contains("\"n_spectra\":3"), "{header}");

    let back = Library::from_bytes(&bytes).unwrap();
    assert_identical(&library, &back);
    // Deterministic: the same library gives the same bytes.
    assert_eq!(back.to_bytes(), bytes);
}

#[test]
fn save_and_load_round_trip_through_a_file() {
    let dir = temp_dir("save");
    let path = dir.join("edge.xaslib");
    let library = edge_library();
    library.save(&path).unwrap();
    let back = Library::load(&path).unwrap();
    assert_identical(&library, &back);
    assert_eq!(std::fs::read(&path).unwrap(), library.to_bytes());
    // Saving again replaces the file and leaves no temporary files behind.
    plain_library().save(&path).unwrap();
    assert_identical(&plain_library(), &Library::load(&path).unwrap());
    let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(entries.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn accessors() {
    let library = plain_library();
    assert_eq!(library.n_spectra(), 3);
    assert_eq!(library.n_points(), 41);
    assert_eq!(library.position("s1"), Some(1));
    assert_eq!(library.position("nope"), None);
    let mut library = library;
    library.add_provenance("date", "2026-05-01");
    assert_eq!(
        library.provenance(),
        &[
            ("generator".to_owned(), "plain".to_owned()),
            ("date".to_owned(), "2026-05-01".to_owned())
        ]
    );
    let (spectra, provenance) = library.clone().into_parts();
    assert_eq!(&spectra, library.spectra());
    assert_eq!(provenance.len(), 2);
    assert_eq!(library.into_spectra().n_spectra(), 3);
}

// ---------------------------------------------------------------------------------
// Library::new

#[test]
fn new_rejects_libraries_that_break_the_invariants() {
    let energy = vec![1.0, 2.0, 3.0];
    let empty = SpectraMatrix::new(energy.clone()).unwrap();
    assert_contains(
        &Library::new(empty).unwrap_err().to_string(),
        &["no spectra"],
    );

    let mut twice = SpectraMatrix::new(energy.clone()).unwrap();
    twice.push_row("a", &[1.0, 2.0, 3.0]).unwrap();
    twice.push_row("a", &[1.0, 2.0, 3.0]).unwrap();
    assert_contains(
        &Library::new(twice).unwrap_err().to_string(),
        &["names[1]", "`a`", "unique"],
    );

    let mut unnamed = SpectraMatrix::new(energy.clone()).unwrap();
    unnamed.push_row("", &[1.0, 2.0, 3.0]).unwrap();
    assert_contains(
        &Library::new(unnamed).unwrap_err().to_string(),
        &["names[0]", "empty"],
    );

    let mut infinite = SpectraMatrix::from_row_major(energy.clone(), vec![0.0; 6]).unwrap();
    infinite
        .set_numeric_label("tendq_ev", vec![1.0, f64::INFINITY])
        .unwrap();
    assert_contains(
        &Library::new(infinite).unwrap_err().to_string(),
        &["tendq_ev", "[1]", "row1", "infinite"],
    );

    let mut both = SpectraMatrix::from_row_major(energy.clone(), vec![0.0; 3]).unwrap();
    both.set_numeric_label("v", vec![1.0]).unwrap();
    both.set_categorical_label("v", vec!["x".into()]).unwrap();
    assert_contains(
        &Library::new(both).unwrap_err().to_string(),
        &["label `v`", "both"],
    );

    let mut unnamed_label = SpectraMatrix::from_row_major(energy, vec![0.0; 3]).unwrap();
    unnamed_label
        .set_categorical_label("", vec!["x".into()])
        .unwrap();
    assert_contains(
        &Library::new(unnamed_label).unwrap_err().to_string(),
        &["label name is empty"],
    );
}

// ---------------------------------------------------------------------------------
// binary format errors

#[test]
fn hand_built_file_matches_the_documentation() {
    let bytes = build_file(
        r#"{"n_spectra":2,"n_points":3,"names":["x","y"],"numeric_labels":[{"name":"t","values":[1.5,null]}],"categorical_labels":[{"name":"c","values":["p","q"]}],"provenance":[{"key":"k","value":"v"}]}"#,
        &[1.0, 2.0, 4.0],
        &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
    );
    let library = Library::from_bytes(&bytes).unwrap();
    let s = library.spectra();
    assert_eq!(s.names(), ["x", "y"]);
    assert_eq!(s.row(1).unwrap(), &[3.0, 4.0, 5.0]);
    let t = s.numeric_label("t").unwrap();
    assert!(t[0] == 1.5 && t[1].is_nan());
    assert_eq!(s.categorical_label("c").unwrap(), ["p", "q"]);
    assert_eq!(library.provenance(), &[("k".to_owned(), "v".to_owned())]);
}

#[test]
fn framing_errors_name_the_problem() {
    let good = plain_library().to_bytes();
    assert_contains(
        &load_error(&[]),
        &["<memory>", "magic", "not an xas-metrics library"],
    );
    assert_contains(
        &load_error(b"energy,mu\n7000,1\n"),
        &["magic (bytes 0..8)", "65 6E 65 72"],
    );
    // CR LF converted to LF by a text-mode transfer.
    let mut text_mode = good.clone();
    text_mode.remove(5);
    assert_contains(&load_error(&text_mode), &["text mode"]);

    assert_contains(&load_error(&good[..20]), &["file length", "truncated"]);
    assert_contains(
        &load_error(&good[..good.len() - 1]),
        &["file length", "truncated"],
    );
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 8]);
    assert_contains(&load_error(&longer), &["file length", "trailing bytes"]);

    let mut version = good.clone();
    version[8] = 2;
    assert_contains(
        &load_error(&version),
        &["format version", "version 2 is not supported"],
    );
    let mut reserved = good.clone();
    reserved[13] = 1;
    assert_contains(
        &load_error(&reserved),
        &["reserved word", "must be 0, found 256"],
    );
    let mut huge_header = good.clone();
    huge_header[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_contains(
        &load_error(&huge_header),
        &["header length", "does not fit"],
    );
    let mut odd_header = good.clone();
    odd_header[16] += 1;
    assert_contains(
        &load_error(&odd_header),
        &["header length", "not a multiple of 8"],
    );

    let mut flipped = good.clone();
    let last_value = flipped.len() - 9;
    flipped[last_value] ^= 0x10;
    assert_contains(&load_error(&flipped), &["checksum", "corrupted"]);
}

#[test]
fn header_errors_name_the_field() {
    let e = [1.0, 2.0, 3.0];
    let d = [0.0; 6];
    let case = |header: &str, needles: &[&str]| {
        assert_contains(&load_error(&build_file(header, &e, &d)), needles);
    };
    case(
        "[1, 2]",
        &["header", "expected a JSON object, found an array"],
    );
    case(
        "{\"n_spectra\": 2,",
        &["header (bytes 24..", "not valid JSON"],
    );
    case(
        &header(2, 3, &["a", "b"], ",\"extra\":1"),
        &["unknown key `extra`"],
    );
    case(
        r#"{"n_spectra":2,"n_points":3,"names":["a","b"],"numeric_labels":[],"categorical_labels":[]}"#,
        &["header `provenance`", "missing"],
    );
    case(
        &header(2, 3, &["a", "b"], "").replace("\"n_points\":3", "\"n_points\":-3"),
        &["header `n_points`", "non-negative integer"],
    );
    case(
        &header(2, 3, &["a", "b"], "").replace("\"n_points\":3", "\"n_points\":4"),
        &["file length", "need"],
    );
    case(
        &header(2, 3, &["a", "b"], "")
            .replace("\"n_spectra\":2", "\"n_spectra\":4611686018427387904"),
        &["too large"],
    );
    case(
        &header(2, 3, &["a"], ""),
        &["header `names`", "has 1 values for 2 spectra"],
    );
    case(
        &header(2, 3, &["a", "b"], "").replace("[\"a\",\"b\"]", "[\"a\",7]"),
        &["header `names[1]`", "expected a string, found a number"],
    );
    case(&header(2, 3, &["a", "a"], ""), &["names[1]", "unique"]);
    case(&header(2, 3, &["a", ""], ""), &["names[1]", "empty"]);
    let labels =
        |numeric: &str| header(2, 3, &["a", "b"], "").replace("\"numeric_labels\":[]", numeric);
    case(
        &labels(r#""numeric_labels":[{"name":"t","values":[1,"x"]}]"#),
        &[
            "numeric_labels[0].values[1]",
            "expected a number or null, found a string",
        ],
    );
    case(
        &labels(r#""numeric_labels":[{"name":"t","values":[1]}]"#),
        &["numeric_labels[0].values", "has 1 values for 2 spectra"],
    );
    case(
        &labels(r#""numeric_labels":[{"name":"t","values":[1,2]},{"name":"t","values":[1,2]}]"#),
        &["numeric_labels[1]", "label `t` is listed twice"],
    );
    case(
        &labels(r#""numeric_labels":[{"name":"t","values":[1,2],"unit":"eV"}]"#),
        &["numeric_labels[0]", "unknown key `unit`"],
    );
    case(
        &labels(r#""numeric_labels":[{"values":[1,2]}]"#),
        &["numeric_labels[0]", "`name` is missing"],
    );
    case(
        &labels(r#""numeric_labels":{"t":[1,2]}"#),
        &["numeric_labels", "expected an array, found an object"],
    );
    case(
        &header(2, 3, &["a", "b"], "").replace(
            "\"provenance\":[]",
            r#""provenance":[{"key":"k","value":3}]"#,
        ),
        &["provenance[0].value", "expected a string"],
    );
    assert_contains(
        &load_error(&build_file(&header(0, 3, &[], ""), &e, &[])),
        &["no spectra"],
    );
}

#[test]
fn value_errors_name_the_spectrum_and_point() {
    let head = header(2, 3, &["a", "b"], "");
    let nan = build_file(
        &head,
        &[1.0, 2.0, 3.0],
        &[0.0, 1.0, 2.0, 3.0, 4.0, f64::NAN],
    );
    assert_contains(
        &load_error(&nan),
        &["spectrum 1 (`b`) point 2", "not finite"],
    );
    let unordered = build_file(&head, &[1.0, 3.0, 2.0], &[0.0; 6]);
    assert_contains(
        &load_error(&unordered),
        &["energy grid", "energy[2]", "strictly increasing"],
    );
    let infinite_energy = build_file(&head, &[1.0, 2.0, f64::INFINITY], &[0.0; 6]);
    assert_contains(
        &load_error(&infinite_energy),
        &["energy grid", "not finite"],
    );
    let one_point = build_file(&header(2, 1, &["a", "b"], ""), &[1.0], &[0.0; 2]);
    assert_contains(
        &load_error(&one_point),
        &["energy grid", "at least 2 points"],
    );
}

#[test]
fn load_names_the_file() {
    let dir = temp_dir("load-errors");
    let missing = dir.join("missing.xaslib");
    let err = Library::load(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_contains(&err.to_string(), &["missing.xaslib"]);
    let corrupt = dir.join("corrupt.xaslib");
    let mut bytes = plain_library().to_bytes();
    bytes.truncate(bytes.len() - 16);
    std::fs::write(&corrupt, &bytes).unwrap();
    let err = Library::load(&corrupt).unwrap_err();
    assert!(matches!(err, Error::Format { .. }), "{err:?}");
    assert_contains(&err.to_string(), &["corrupt.xaslib", "truncated"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------
// robustness

fn finite_f64() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |v| v.is_finite())
}

prop_compose! {
    /// A random valid library: 1..6 spectra x 2..9 points, any finite values, random
    /// names and labels (numeric with NaN for missing values).
    fn arb_library()(n in 1usize..6, m in 2usize..9)(
        start in -1e6f64..1e6,
        steps in prop::collection::vec(1e-6f64..100.0, m - 1),
        data in prop::collection::vec(finite_f64(), n * m),
        names in prop::collection::hash_set("\\PC{1,12}", n),
        numeric in prop::collection::vec(prop::option::weighted(0.8, finite_f64()), n),
        categorical in prop::collection::vec("\\PC{0,8}", n),
        provenance in prop::collection::vec(("\\PC{0,6}", "\\PC{0,20}"), 0..4),
    ) -> Library {
        let m = steps.len() + 1;
        let mut energy = vec![start];
        for step in steps {
            let next = energy[energy.len() - 1] + step;
            energy.push(next);
        }
        let mut spectra = SpectraMatrix::new(energy).unwrap();
        for (name, row) in names.iter().zip(data.chunks(m)) {
            spectra.push_row(name.clone(), row).unwrap();
        }
        spectra
            .set_numeric_label("x", numeric.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
            .unwrap();
        spectra.set_categorical_label("c", categorical).unwrap();
        let mut library = Library::new(spectra).unwrap();
        for (key, value) in provenance {
            library.add_provenance(key, value);
        }
        library
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_libraries_round_trip_exactly(library in arb_library()) {
        let back = Library::from_bytes(&library.to_bytes()).unwrap();
        assert_identical(&library, &back);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Library::from_bytes(&bytes);
        // Also behind a valid magic and version, where the parser goes further.
        let mut framed = MAGIC.to_vec();
        framed.extend_from_slice(&1u32.to_le_bytes());
        framed.extend_from_slice(&bytes);
        let _ = Library::from_bytes(&framed);
        if framed.len() >= 32 && framed.len().is_multiple_of(8) {
            fix_checksum(&mut framed);
            let _ = Library::from_bytes(&framed);
        }
    }

    #[test]
    fn truncated_files_are_rejected(cut in 0usize..10_000) {
        let bytes = plain_library().to_bytes();
        let cut = cut % bytes.len();
        prop_assert!(Library::from_bytes(&bytes[..cut]).is_err());
    }

    #[test]
    fn every_single_byte_change_is_detected(index in 0usize..100_000, flip in 1u8..=255) {
        let mut bytes = plain_library().to_bytes();
        let index = index % bytes.len();
        bytes[index] ^= flip;
        prop_assert!(Library::from_bytes(&bytes).is_err());
    }

    #[test]
    fn mutations_with_a_valid_checksum_never_panic(
        edits in prop::collection::vec((0usize..100_000, any::<u8>()), 1..6),
        word in (0usize..100_000, any::<u64>()),
    ) {
        let mut bytes = edge_library().to_bytes();
        let len = bytes.len();
        for (index, value) in edits {
            bytes[index % len] = value;
        }
        let mut with_word = bytes.clone();
        let at = (word.0 % (len / 8)) * 8;
        with_word[at..at + 8].copy_from_slice(&word.1.to_le_bytes());
        for mut candidate in [bytes, with_word] {
            fix_checksum(&mut candidate);
            if let Ok(library) = Library::from_bytes(&candidate) {
                // Whatever loads is a valid library that round-trips.
                let again = Library::from_bytes(&library.to_bytes()).unwrap();
                assert_identical(&library, &again);
            }
        }
    }

    #[test]
    fn random_headers_never_panic(json in "[\\[\\]{}\",:0-9a-z_ .eE+-]{0,200}") {
        let bytes = build_file(&json, &[1.0, 2.0], &[0.5, 0.25]);
        let _ = Library::from_bytes(&bytes);
    }
}

// ---------------------------------------------------------------------------------
// CSV export

#[test]
fn write_table_reads_back_column_by_column() {
    let dir = temp_dir("table");
    let path = dir.join("library.csv");
    let library = plain_library();
    library.write_table(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_contains(&text, &["# generator: plain\n", "energy_eV,s0,s1,s2\n"]);
    for (i, name) in library.spectra().names().iter().enumerate() {
        let options = ReadOptions {
            y_column: Some(ColumnSelector::Name(name.clone())),
            ..ReadOptions::default()
        };
        let spectrum = &xas_core::read_file_with(&path, &options).unwrap()[0];
        assert_eq!(spectrum.energy_ev(), library.spectra().energy_ev());
        assert_eq!(spectrum.intensity(), library.spectra().row(i).unwrap());
        assert_eq!(spectrum.meta.extra["generator"], "plain");
    }
    let err = edge_library().write_table(dir.join("bad.csv")).unwrap_err();
    assert_contains(
        &err.to_string(),
        &["names[1]", "cannot be a CSV column name"],
    );
    assert!(!dir.join("bad.csv").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_labels_quotes_and_round_trips_through_from_files() {
    let dir = temp_dir("labels");
    let library = plain_library();
    let labels = dir.join("labels.csv");
    library.write_labels(&labels).unwrap();
    let text = std::fs::read_to_string(&labels).unwrap();
    assert_eq!(
        text,
        "file,tendq_ev,valence\ns0,0.9,Mn2+\ns1,1.2,\"Mn3+, high spin\"\ns2,1e-7,\"say \"\"4\"\"\"\n"
    );
    // One file per spectrum, named after it, read back with the labels.
    let spectra = library.spectra();
    let files: Vec<PathBuf> = spectra
        .names()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let file = dir.join(format!("{name}.csv"));
            write_columns(
                &file,
                &[],
                &["energy_eV", "mu"],
                &[spectra.energy_ev(), spectra.row(i).unwrap()],
                Delimiter::Comma,
            )
            .unwrap();
            file
        })
        .collect();
    let back = Library::from_files(&labels, &files, &FromFilesOptions::default()).unwrap();
    let s = back.spectra();
    assert_eq!(s.names(), spectra.names());
    assert_eq!(
        s.numeric_label("tendq_ev"),
        spectra.numeric_label("tendq_ev")
    );
    assert_eq!(
        s.categorical_label("valence"),
        spectra.categorical_label("valence")
    );
    assert_eq!(s.n_points(), spectra.n_points());
    for (a, b) in s.energy_ev().iter().zip(spectra.energy_ev()) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    for (a, b) in s.as_slice().iter().zip(spectra.as_slice()) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }

    // The edge library: names and values with commas, quotes, line breaks; NaN.
    let edge = edge_library();
    let edge_labels = dir.join("edge_labels.csv");
    edge.write_labels(&edge_labels).unwrap();
    let text = std::fs::read_to_string(&edge_labels).unwrap();
    assert!(
        text.starts_with("file,extremes,tendq_ev,valence\n"),
        "{text}"
    );
    assert_contains(
        &text,
        &["NaN", "\"name, with \"\"quotes\"\"\nand a line break\""],
    );

    let mut spectra = SpectraMatrix::from_row_major(vec![1.0, 2.0], vec![0.0, 0.0]).unwrap();
    spectra
        .set_categorical_label("File", vec!["x".into()])
        .unwrap();
    let err = Library::new(spectra)
        .unwrap()
        .write_labels(dir.join("clash.csv"))
        .unwrap_err();
    assert_contains(
        &err.to_string(),
        &["label `File`", "cannot be called `file`"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------
// from_files on generated files

/// Writes a synthetic K-edge-like spectrum from `start` to `stop` eV with `step` eV.
fn write_edge(path: &Path, start: f64, stop: f64, step: f64, e0: f64) {
    let n = ((stop - start) / step).round() as usize + 1;
    let energy: Vec<f64> = (0..n).map(|i| start + step * i as f64).collect();
    let mu: Vec<f64> = energy
        .iter()
        .map(|e| 0.2 + 1.5 * (0.5 + ((e - e0) / 2.0).atan() / std::f64::consts::PI))
        .collect();
    write_columns(
        path,
        &[],
        &["energy", "mu"],
        &[&energy, &mu],
        Delimiter::Whitespace,
    )
    .unwrap();
}

/// Three synthetic files and a labels CSV with quoted notes.
fn synthetic_set(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let files = vec![dir.join("a.dat"), dir.join("b.dat"), dir.join("c.txt")];
    write_edge(&files[0], 7000.0, 7300.0, 0.5, 7112.0);
    write_edge(&files[1], 7010.0, 7290.0, 1.0, 7115.0);
    write_edge(&files[2], 6990.0, 7310.0, 0.25, 7118.0);
    let labels = dir.join("labels.csv");
    std::fs::write(
        &labels,
        "# nominal labels\n\
         file,valence,oxidation_state,note\n\
         a.dat,0.0,2,\"metal, foil\"\n\
         b,1.5,3,\"said \"\"mixed\"\"\"\n\
         \n\
         c.txt,3,3,\"multi\nline\"\n\
         unused.dat,,,\n",
    )
    .unwrap();
    (labels, files)
}

#[test]
fn from_files_types_columns_and_chooses_the_overlap_grid() {
    let dir = temp_dir("synthetic");
    let (labels, files) = synthetic_set(&dir);
    let library = Library::from_files(&labels, &files, &FromFilesOptions::default()).unwrap();
    let s = library.spectra();
    assert_eq!(s.names(), ["a.dat", "b", "c.txt"]);
    // Overlap [7010, 7290] eV; median of the median spacings (0.5, 1, 0.25) is 0.5 eV.
    assert_eq!(s.energy_ev()[0], 7010.0);
    assert_eq!(s.energy_ev()[s.n_points() - 1], 7290.0);
    assert_eq!(s.n_points(), 561);
    assert_eq!(s.numeric_label("valence").unwrap(), &[0.0, 1.5, 3.0]);
    assert_eq!(
        s.numeric_label("oxidation_state").unwrap(),
        &[2.0, 3.0, 3.0]
    );
    assert_eq!(
        s.categorical_label("note").unwrap(),
        ["metal, foil", "said \"mixed\"", "multi\nline"]
    );
    let provenance = library.provenance();
    assert!(provenance[0].1.starts_with("xas-metrics"), "{provenance:?}");
    assert_eq!(provenance.iter().filter(|(k, _)| k == "source").count(), 3);
    assert!(!library.is_edge_step_normalized());

    // Forced categorical, selected columns, explicit grid, edge-step normalisation.
    let options = FromFilesOptions {
        categorical: vec!["oxidation_state".into()],
        columns: Some(vec!["oxidation_state".into()]),
        grid: Some((7050.0, 7250.0, 2.0)),
        edge_step: true,
        ..FromFilesOptions::default()
    };
    let library = Library::from_files(&labels, &files, &options).unwrap();
    let s = library.spectra();
    assert_eq!(s.n_points(), 101);
    assert_eq!(
        s.categorical_label("oxidation_state").unwrap(),
        ["2", "3", "3"]
    );
    assert!(s.numeric_label("valence").is_none());
    assert!(s.categorical_label("note").is_none());
    assert_flattened(s, 0.05, 0.05);
    // The preprocessing is recorded, so that queries can be given the same.
    assert!(library.is_edge_step_normalized());
    let back = Library::from_bytes(&library.to_bytes()).unwrap();
    assert!(back.is_edge_step_normalized());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn from_files_errors_name_file_line_column_and_ranges() {
    let dir = temp_dir("errors");
    let (labels, files) = synthetic_set(&dir);
    let defaults = FromFilesOptions::default();
    let message = |labels: &Path, files: &[PathBuf], options: &FromFilesOptions| {
        Library::from_files(labels, files, options)
            .unwrap_err()
            .to_string()
    };

    // Unmatched files are listed.
    let extra = vec![files[0].clone(), dir.join("x.dat"), dir.join("y.dat")];
    assert_contains(
        &message(&labels, &extra, &defaults),
        &["x.dat, ", "y.dat", "labels.csv"],
    );
    // A stem shared by two files matching one row.
    let both = vec![dir.join("b.dat"), dir.join("b.txt")];
    std::fs::copy(&files[1], &both[1]).unwrap();
    assert_contains(
        &message(&labels, &both, &defaults),
        &["line 4", "`b`", "b.dat", "b.txt"],
    );
    // Several rows for one file.
    let doubled = dir.join("doubled.csv");
    std::fs::write(&doubled, "file,v\na.dat,1\na.dat,2\n").unwrap();
    assert_contains(
        &message(&doubled, &files[..1], &defaults),
        &["a.dat", "several rows", "lines 2, 3"],
    );
    // Unknown columns list the available ones.
    let options = FromFilesOptions {
        columns: Some(vec!["valence".into(), "valency".into()]),
        ..FromFilesOptions::default()
    };
    assert_contains(
        &message(&labels, &files, &options),
        &[
            "`columns`",
            "`valency`",
            "available: valence, oxidation_state, note",
        ],
    );
    let options = FromFilesOptions {
        categorical: vec!["Valence".into()],
        ..FromFilesOptions::default()
    };
    assert_contains(
        &message(&labels, &files, &options),
        &["`categorical`", "`Valence`"],
    );
    // Empty cells name file, line and column.
    let holes = dir.join("holes.csv");
    std::fs::write(&holes, "file,v,w\na.dat,1,x\nb.dat,,y\n").unwrap();
    assert_contains(
        &message(&holes, &files[..2], &defaults),
        &["holes.csv:3: column `v`", "empty label cell for `b.dat`"],
    );
    // CSV syntax errors name the line.
    let broken = dir.join("broken.csv");
    std::fs::write(&broken, "file,v\na.dat,\"open\n").unwrap();
    assert_contains(
        &message(&broken, &files[..1], &defaults),
        &["broken.csv:2", "unterminated"],
    );
    let no_key = dir.join("no_key.csv");
    std::fs::write(&no_key, "sample,v\na.dat,1\n").unwrap();
    assert_contains(
        &message(&no_key, &files[..1], &defaults),
        &[
            "no_key.csv:1: header",
            "no `file` (or `name`) column",
            "sample, v",
        ],
    );
    // A grid outside one file's range names the file and both ranges.
    let options = FromFilesOptions {
        grid: Some((7000.0, 7200.0, 1.0)),
        ..FromFilesOptions::default()
    };
    assert_contains(
        &message(&labels, &files, &options),
        &[
            "b.dat",
            "covers [7010, 7290] eV",
            "grid spans [7000, 7200] eV",
        ],
    );
    let options = FromFilesOptions {
        grid: Some((7200.0, 7000.0, 1.0)),
        ..FromFilesOptions::default()
    };
    assert_contains(&message(&labels, &files, &options), &["`grid`", "stop_ev"]);
    assert!(options.validate().is_err());
    assert!(FromFilesOptions::default().validate().is_ok());
    // Missing inputs.
    assert_contains(
        &message(&labels, &[], &defaults),
        &["`files`", "no spectrum files"],
    );
    assert_contains(
        &message(&dir.join("nope.csv"), &files, &defaults),
        &["cannot access", "nope.csv"],
    );
    let missing = vec![dir.join("a.dat"), dir.join("unused.dat")];
    assert_contains(&message(&labels, &missing, &defaults), &["unused.dat"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------
// from_files on real data

fn repo_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(name)
}

#[test]
fn from_files_reads_xdi_and_athena_projects_of_the_repository() {
    let dir = temp_dir("repo-data");
    let labels = dir.join("labels.csv");
    std::fs::write(
        &labels,
        "file,valence,source\nfe_metal_rt.xdi,0,XDI\nFeO.prj,2,\"Athena, 2009\"\n",
    )
    .unwrap();
    let files = vec![repo_data("fe_metal_rt.xdi"), repo_data("FeO.prj")];
    let options = FromFilesOptions {
        edge_step: true,
        categorical: vec!["valence".into()],
        ..FromFilesOptions::default()
    };
    let library = Library::from_files(&labels, &files, &options).unwrap();
    let s = library.spectra();
    assert_eq!(s.names(), ["fe_metal_rt.xdi", "FeO.prj"]);
    assert_eq!(s.categorical_label("valence").unwrap(), ["0", "2"]);
    assert_eq!(
        s.categorical_label("source").unwrap(),
        ["XDI", "Athena, 2009"]
    );
    // The overlap of Fe foil (6962-7969 eV) and FeO (6912-8084 eV).
    assert!((s.energy_ev()[0] - 6962.0).abs() < 1e-9);
    assert_grid_ends_at(s, 7969.247);
    assert_flattened(s, 0.1, 0.2);
    // Fe K edges from different sources do not overlap with the Cu K edge.
    let cu_labels = dir.join("cu.csv");
    std::fs::write(&cu_labels, "file,v\nfe_metal_rt,0\ncu_metal_rt,0\n").unwrap();
    let err = Library::from_files(
        &cu_labels,
        &[repo_data("fe_metal_rt.xdi"), repo_data("cu_metal_rt.xdi")],
        &FromFilesOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert_contains(
        &err,
        &["do not overlap", "fe_metal_rt.xdi", "cu_metal_rt.xdi"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn from_files_on_the_shared_fe_valence_set() {
    let folder =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/xas/xdi_fe_k_valence");
    if !folder.join("labels.csv").exists() {
        eprintln!(
            "skipped: {} is absent (the shared data lie outside the repository)",
            folder.display()
        );
        return;
    }
    let labels = folder.join("labels.csv");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xdi"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);

    // The free-text `note` column has empty cells.
    let err = Library::from_files(&labels, &files, &FromFilesOptions::default())
        .unwrap_err()
        .to_string();
    assert_contains(
        &err,
        &[
            "labels.csv:6: column `note`",
            "empty label cell for `fe2o3_rt.xdi`",
        ],
    );

    let options = FromFilesOptions {
        columns: Some(vec![
            "Sample.name".into(),
            "nominal_fe_oxidation_state".into(),
        ]),
        edge_step: true,
        ..FromFilesOptions::default()
    };
    let library = Library::from_files(&labels, &files, &options).unwrap();
    let s = library.spectra();
    assert_eq!(
        s.names(),
        [
            "fe2o3_rt.xdi",
            "fe3c_rt.xdi",
            "fe_metal_rt.xdi",
            "fen_rt.xdi",
            "feo_rt1.xdi"
        ]
    );
    let states = s.categorical_label("nominal_fe_oxidation_state").unwrap();
    assert_eq!(states[0], "3");
    assert_eq!(states[1], "~0 (carbide)");
    assert_eq!(states[4], "2");
    assert_eq!(
        s.categorical_label("Sample.name").unwrap()[2],
        "Fe metal foil"
    );
    assert_eq!(s.numeric_label_names().count(), 0);
    // Overlap 6962 .. 7969.247 eV.
    assert_eq!(s.energy_ev()[0], 6962.0);
    assert_grid_ends_at(s, 7969.247);
    assert_flattened(s, 0.1, 0.2);
    // And it survives the binary format.
    assert_identical(&library, &Library::from_bytes(&library.to_bytes()).unwrap());
}
