//! The readers never panic: random bytes, random truncations and random single-byte
//! mutations of every real test file go through `read_bytes` with each format forced
//! and with auto-detection; each call must return `Ok` or `Err`.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use flate2::read::MultiGzDecoder;

use proptest::prelude::*;
use xas_core::io::{Format, ReadOptions, detect_format, read_bytes};

const TEST_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data");

/// The real test files (every data file of `tests/data`), plus the decompressed text of
/// each Athena project so that mutations reach the project parser, not only gzip. Read
/// once: the property tests below draw from them thousands of times.
static REAL_FILES: LazyLock<Vec<(PathBuf, Vec<u8>)>> = LazyLock::new(real_files);

fn real_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = data_files();
    let projects: Vec<(PathBuf, Vec<u8>)> = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "prj"))
        .map(|(p, bytes)| {
            let mut text = Vec::new();
            MultiGzDecoder::new(bytes.as_slice())
                .read_to_end(&mut text)
                .unwrap();
            (p.with_extension("prj.txt"), text)
        })
        .collect();
    files.extend(projects);
    files
}

fn data_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(TEST_DATA)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| ["xdi", "prj", "dat", "msa"].iter().any(|x| e == *x))
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 7, "test data missing in {TEST_DATA}");
    files
}

/// Every way of reading: auto-detection and each format forced.
fn all_options() -> Vec<ReadOptions> {
    std::iter::once(None)
        .chain(Format::ALL.into_iter().map(Some))
        .map(|format| ReadOptions {
            format,
            ..ReadOptions::default()
        })
        .collect()
}

/// Feeds `bytes` to every reader; only a panic fails (proptest reports it).
fn read_all_ways(bytes: &[u8], name: &Path) {
    for options in all_options() {
        let _ = read_bytes(bytes, name, &options);
    }
}

#[test]
fn real_files_read_unmodified_with_their_own_format() {
    // The content alone (under a name without a known extension) is recognised as
    // the format the file's extension names.
    for (path, bytes) in data_files() {
        let detected = detect_format(Path::new("unnamed.bin"), &bytes).unwrap();
        assert_eq!(
            Some(detected),
            Format::from_extension(&path),
            "{}",
            path.display()
        );
    }
    for (path, bytes) in REAL_FILES.iter() {
        let spectra = read_bytes(bytes, path, &ReadOptions::default());
        assert!(spectra.is_ok(), "{}: {:?}", path.display(), spectra.err());
        read_all_ways(bytes, path);
    }
}

#[test]
fn odd_inputs_are_errors_not_panics() {
    let cases: [&[u8]; 12] = [
        b"",
        b"\xff\xfe\x00\x00",
        b"\x1f\x8b",
        b"# XDI/1.0\n# Column.18446744073709551615: e\n1 2\n2 3\n",
        b"# XDI/1.0\n# Column.1: e keV\n1e308 1\n2e308 2\n",
        b"#NPOINTS : 1e300\n#XPERCHAN : 1e308\n#DATATYPE : Y\n1\n2\n",
        b"#NPOINTS : -5\n#DATATYPE : XY\n1, 2\n",
        b"$old_group = 'a'; @x = ([[[[]]]]); @y = (1);",
        b"@args = (",
        b"$old_group = 'a';\n@args = ('is_kev', 1);\n@x = (1e307, 1e308);\n@y = (1, 2);\n",
        b"1 2\n1 2\n",
        b"#FORMAT : EMSA\n#XPERCHAN : 0\n#DATATYPE : Y\n1\n2\n",
    ];
    let mut read_ok = Vec::new();
    for (i, bytes) in cases.iter().enumerate() {
        let name = Path::new("odd.bin");
        read_all_ways(bytes, name);
        if read_bytes(bytes, name, &ReadOptions::default()).is_ok() {
            read_ok.push(i);
        }
    }
    // Auto-detected, each is an error except the Athena group with energies of
    // 1e307-1e308 eV: absurd but finite and increasing (values above 1000 are taken as
    // eV even with `is_kev`), so it reads.
    assert_eq!(read_ok, [9]);
    let deep = format!("$old_group = 'a';\n@x = {};\n", "(".repeat(100_000));
    read_all_ways(deep.as_bytes(), Path::new("deep.prj"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        read_all_ways(&bytes, Path::new("random.dat"));
    }

    #[test]
    fn random_text_never_panics(text in "[ -~\n\t#:,;@$%()=>'\\[\\]0-9eE.+-]{0,600}") {
        read_all_ways(text.as_bytes(), Path::new("random.txt"));
    }

    #[test]
    fn truncated_real_files_never_panic(file in 0usize..64, cut in 0.0f64..1.0) {
        let (path, bytes) = &REAL_FILES[file % REAL_FILES.len()];
        let end = (bytes.len() as f64 * cut) as usize;
        read_all_ways(&bytes[..end], path);
    }

    #[test]
    fn mutated_real_files_never_panic(
        file in 0usize..64,
        position in 0.0f64..1.0,
        value in any::<u8>(),
    ) {
        let (path, original) = &REAL_FILES[file % REAL_FILES.len()];
        let mut bytes = original.clone();
        let index = ((bytes.len() as f64 * position) as usize).min(bytes.len() - 1);
        bytes[index] = value;
        read_all_ways(&bytes, path);
    }
}
