//! Edge-step normalisation: xas-core vs Larch `pre_edge`, side by side in one run, on the
//! 45 real Cu/Fe K-edge spectra of `../shared/data/xas/*_larch/`.
//!
//! `cargo bench -p xas-benches --bench normalization_vs_larch` (after
//! `benches/peers/setup.sh` for the Larch side). Prints per-file times, the ratio, and
//! the E0/edge-step agreement of the two programs.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use xas_core::edge_step::{EdgeStepParams, normalize_edge_step};
use xas_core::io::{ColumnSelector, ReadOptions, read_file_with};

const REPEATS: usize = 200;

fn main() {
    let Some(data) = xas_benches::shared_data() else {
        println!("../shared/data not present: benchmark skipped");
        return;
    };
    let mut files: Vec<PathBuf> = [
        "xas/cu_k_herfd_valence_larch",
        "xas/fe_k_oxyhydroxides_larch",
    ]
    .iter()
    .flat_map(|d| std::fs::read_dir(data.join(d)).unwrap().flatten())
    .map(|e| e.path())
    .filter(|p| p.extension().is_some_and(|e| e == "dat"))
    .collect();
    files.sort();
    let options = ReadOptions {
        x_column: Some(ColumnSelector::Name("energy_cal_eV".into())),
        y_column: Some(ColumnSelector::Name("mu".into())),
        ..ReadOptions::default()
    };
    let args: Vec<String> = std::iter::once((REPEATS / 10).to_string())
        .chain(files.iter().map(|f| f.display().to_string()))
        .collect();
    let peer = xas_benches::run_peer("larch_pre_edge.py", &args);
    if let Err(e) = &peer {
        println!("Larch side not run: {e}");
    }
    println!(
        "{:<50} {:>6} {:>12} {:>12} {:>8} {:>9} {:>10}",
        "file", "points", "xas-core/us", "Larch/us", "ratio", "dE0/eV", "dstep/rel"
    );
    let (mut ours_total, mut peer_total) = (0.0, 0.0);
    for f in &files {
        let s = read_file_with(f, &options).unwrap().remove(0);
        let params = EdgeStepParams::default();
        let r = normalize_edge_step(&s, &params).unwrap();
        let start = Instant::now();
        for _ in 0..REPEATS {
            std::hint::black_box(normalize_edge_step(std::hint::black_box(&s), &params).unwrap());
        }
        let ours = start.elapsed().as_secs_f64() / REPEATS as f64;
        ours_total += ours;
        let key = f.display().to_string();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        match &peer {
            Ok(p) => {
                let larch = p["per_call_s"][&key].as_f64().unwrap();
                let e0 = p["e0"][&key].as_f64().unwrap();
                let step = p["edge_step"][&key].as_f64().unwrap();
                peer_total += larch;
                println!(
                    "{name:<50} {:>6} {:>12.1} {:>12.1} {:>7.1}x {:>+9.3} {:>+10.2e}",
                    s.len(),
                    ours * 1e6,
                    larch * 1e6,
                    larch / ours,
                    r.e0_ev - e0,
                    (r.edge_step - step) / step
                );
            }
            Err(_) => println!("{name:<50} {:>6} {:>12.1}", s.len(), ours * 1e6),
        }
    }
    if peer.is_ok() {
        println!(
            "total: xas-core {:.2} ms, Larch {:.2} ms per pass over {} spectra: xas-core is {:.1}x faster",
            ours_total * 1e3,
            peer_total * 1e3,
            files.len(),
            peer_total / ours_total
        );
    }
}
