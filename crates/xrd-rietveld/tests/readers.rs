//! Real GSAS files: point counts, angular ranges and first counts as documented in
//! `../shared/data/xrd/README.md`; the instrument files' values.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::pattern::Pattern;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn gsas_std_patterns() {
    // (file, points, first 2θ, last 2θ, first count)
    let cases = [
        ("PBSO4.XRA", 6001, 10.0, 160.0, 179.0),
        // The last two channels have zero counts (not measured) and are left out.
        ("FAP.XRA", 5751, 15.0, 130.0, 609.0),
        ("NIST660CBI.gsas", 8378, 15.0066, 124.999, 2364.0),
    ];
    for (file, n, first, last, y0) in cases {
        let p = Pattern::read(&data(file)).unwrap();
        assert_eq!(p.two_theta_deg.len(), n, "{file}");
        assert!((p.two_theta_deg[0] - first).abs() < 1e-9, "{file}");
        assert!(
            (p.two_theta_deg[n - 1] - last).abs() < 1e-3,
            "{file}: {}",
            p.two_theta_deg[n - 1]
        );
        assert_eq!(p.intensity[0], y0, "{file}");
        assert_eq!(p.sigma[0], y0.sqrt());
    }
    let p = Pattern::read(&data("PBSO4.XRA"))
        .unwrap()
        .restricted(16.0, 110.0)
        .unwrap();
    assert_eq!(p.two_theta_deg.len(), 3761);
}

#[test]
fn gsas_instrument_files() {
    let pbso4 = Instrument::read_prm(&data("PBSO4_INST_XRY.PRM")).unwrap();
    let fap = Instrument::read_prm(&data("FAP_INST_XRY.PRM")).unwrap();
    assert_eq!(
        (pbso4.lambda1, pbso4.lambda2, pbso4.ratio),
        (1.5405, Some(1.5443), 0.5)
    );
    assert_eq!(pbso4.polarization, 0.7);
    assert!((pbso4.sh_l - 0.015).abs() < 1e-12 && (fap.sh_l - 0.01).abs() < 1e-12);
    let missing = Instrument::read_prm(&data("nothing.prm"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nothing.prm"), "{missing}");
}

#[test]
fn fullprof_free_format_equals_the_same_counts_as_columns() {
    // The PbSO4 counts rewritten as FullProf free format (title, `start step end`, ten
    // counts per line) and as two columns read to the same pattern.
    let gsas = Pattern::read(&data("PBSO4.XRA")).unwrap();
    let (x, y) = (&gsas.two_theta_deg, &gsas.intensity);
    let mut free = format!(
        "PbSO4 round robin, FullProf INSTRM=0\n{:.4} {:.4} {:.4}\n",
        x[0],
        x[1] - x[0],
        x[x.len() - 1]
    );
    for chunk in y.chunks(10) {
        let line: Vec<String> = chunk.iter().map(|v| format!("{v}")).collect();
        free.push_str(&line.join(" "));
        free.push('\n');
    }
    let columns: String = x
        .iter()
        .zip(y)
        .map(|(a, b)| format!("{a:.4} {b}\n"))
        .collect();
    let a = Pattern::parse(&free, "pbso4.dat").unwrap();
    let b = Pattern::parse(&columns, "pbso4.xy").unwrap();
    assert_eq!(a.two_theta_deg.len(), 6001);
    assert_eq!(a.intensity, b.intensity);
    assert_eq!(a.sigma, b.sigma);
    for (u, v) in a.two_theta_deg.iter().zip(&b.two_theta_deg) {
        assert!((u - v).abs() < 1e-9);
    }
    // One count missing: an error with the count expected and found.
    let short = free.replacen(&format!(" {}\n", y[y.len() - 1]), "\n", 1);
    let e = Pattern::parse(&short, "short.dat").unwrap_err().to_string();
    assert!(
        e.contains("short.dat, line 2") && e.contains("needs 6001 intensities, found 6000"),
        "{e}"
    );
}
