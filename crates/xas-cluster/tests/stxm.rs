//! Real STXM Fe L2,3 stack 71214078 (ALS 11.0.2.2, MIT licence, in `../shared/data/
//! imaging/`; skipped with a message when absent): with the two supplied region
//! spectra as references, the Fe(II)-rich and Fe(III)-rich phases' mean optical
//! densities correlate with them (Pearson r ≥ 0.98); the NXstxm crop of the same
//! stack reads as the same values.

#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::path::PathBuf;

use xas_cluster::stack::{TiffStack, read_columns, read_values};
use xas_cluster::{ClusterSettings, Reference, Signal, classify_to_map, estimate_noise, pearson};
use xas_core::SpectralImageSource;

fn data_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/imaging");
    d.join("stxm_fe2p_71214078_counts_f32.tif")
        .is_file()
        .then_some(d)
}

fn reference(dir: &std::path::Path, name: &str, grid: &[f64]) -> Reference {
    let rows = read_columns(dir.join(format!("stxm_fe2p_71214078_{name}.txt"))).unwrap();
    let e: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(e.len(), grid.len());
    assert!(e.iter().zip(grid).all(|(a, b)| (a - b).abs() < 1e-3));
    Reference {
        name: name.into(),
        spectrum: rows.iter().map(|r| r[1]).collect(),
    }
}

#[test]
fn stxm_phases_match_the_region_spectra() {
    let Some(dir) = data_dir() else {
        eprintln!("skipped: ../shared/data/imaging is not present");
        return;
    };
    let energies = read_values(dir.join("stxm_fe2p_71214078_energies_eV.txt")).unwrap();
    let mut stack = TiffStack::open(
        dir.join("stxm_fe2p_71214078_counts_f32.tif"),
        energies.clone(),
    )
    .unwrap();
    assert_eq!(stack.shape().width, 125);
    let i0 = read_values(dir.join("stxm_fe2p_71214078_i0_xsp.txt")).unwrap();
    let signal = Signal::Counts { i0 };
    let noise = estimate_noise(&mut stack, &signal, 100_000).unwrap();
    eprintln!("noise: {:?}", noise.noise);
    let refs = vec![
        reference(&dir, "reduced_r", &energies),
        reference(&dir, "oxidized_r", &energies),
    ];
    let (result, _map) = classify_to_map(
        &mut stack,
        &signal,
        noise.noise,
        &refs,
        &ClusterSettings::default(),
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    for p in &result.phases {
        eprintln!(
            "phase {} {} px ({:.3}) ref {:?} nearest {:?} sites {}",
            p.id, p.pixels, p.fraction, p.reference, p.nearest_reference, p.sites
        );
    }
    for r in &refs {
        let phase = result
            .phases
            .iter()
            .find(|p| p.reference.as_deref() == Some(r.name.as_str()))
            .unwrap();
        let corr = pearson(&phase.mean_od, &r.spectrum);
        assert!(corr >= 0.98, "{}: r = {corr}", r.name);
    }
    // The classification itself is deterministic: the pixel counts of
    // docs/validation/cluster.md (7486 oxidised, 6335 reduced; the rest has no signal).
    let counts: Vec<(Option<&str>, u64)> = result
        .phases
        .iter()
        .map(|p| (p.reference.as_deref(), p.pixels))
        .collect();
    assert_eq!(
        counts,
        [(Some("oxidized_r"), 7486), (Some("reduced_r"), 6335)]
    );
}

#[test]
fn nxstxm_crop_equals_the_tiff_stack() {
    // Two formats of the same measurement: the 64 x 64 NXstxm crop must equal a
    // 64 x 64 block of the TIFF stack, with the same energies and the file's I0.
    let Some(dir) = data_dir() else {
        eprintln!("skipped: ../shared/data/imaging is not present");
        return;
    };
    let energies = read_values(dir.join("stxm_fe2p_71214078_energies_eV.txt")).unwrap();
    let mut tiff = TiffStack::open(
        dir.join("stxm_fe2p_71214078_counts_f32.tif"),
        energies.clone(),
    )
    .unwrap();
    let mut h5 =
        xas_cluster::nexus::NxStxm::open(dir.join("stxm_fe2p_71214078_crop64_nxstxm.h5"), None)
            .unwrap();
    assert_eq!(h5.data_path(), "entry1/counter0/data");
    let shape = h5.shape();
    assert_eq!((shape.height, shape.width, shape.n_energies), (64, 64, 123));
    assert!(
        h5.energy_ev()
            .iter()
            .zip(&energies)
            .all(|(a, b)| (a - b).abs() < 1e-3)
    );
    let i0 = read_values(dir.join("stxm_fe2p_71214078_i0_xsp.txt")).unwrap();
    let file_i0 = h5.i0().unwrap();
    assert!(
        file_i0
            .iter()
            .zip(&i0)
            .all(|(a, b)| (a - b).abs() < 1e-3 * b)
    );
    let (mut crop, mut full) = (Vec::new(), Vec::new());
    h5.read_rows(0..64, &mut crop).unwrap();
    tiff.read_rows(0..125, &mut full).unwrap();
    let l = 123;
    let first = &crop[..l];
    let origin = (0..125 * 125)
        .find(|&p| full[p * l..(p + 1) * l] == *first)
        .expect("the crop's first pixel is in the TIFF");
    let (y0, x0) = (origin / 125, origin % 125);
    for y in 0..64 {
        for x in 0..64 {
            let a = &crop[(y * 64 + x) * l..(y * 64 + x + 1) * l];
            let b = &full[((y0 + y) * 125 + x0 + x) * l..((y0 + y) * 125 + x0 + x + 1) * l];
            assert_eq!(a, b, "pixel ({y}, {x})");
        }
    }
    // Streaming in row blocks gives the same values.
    let mut block = Vec::new();
    h5.read_rows(10..13, &mut block).unwrap();
    assert_eq!(block, crop[10 * 64 * l..13 * 64 * l]);
}
