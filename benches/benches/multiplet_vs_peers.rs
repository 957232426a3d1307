//! NiO charge-transfer cluster (seed-like model B): one evaluation of the 2p XAS
//! (1000-point grid) and the 2p XPS (2000-point grid) at fixed parameters, cluster-model
//! against Quanty and edrixs, timed in one run on the same spectra.
//!
//! `cargo bench -p xas-benches --bench multiplet_vs_peers` (after
//! `benches/peers/setup.sh` for the peers). An evaluation is what a Monte Carlo step
//! needs: assemble H for the new parameters, diagonalise, compute the spectrum on the
//! grid. Model compilation (building the term matrices) happens once and is reported
//! separately. Each program's spectra are checked against the reference data of
//! `../shared/data/multiplet/` in the same run. The comparison runs in rounds (ours,
//! then each peer; `MULTIPLET_BENCH_ROUNDS`, default 3), and the median and smallest
//! ratio over the rounds close the report.
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::Instant;

use cluster_model::params::ClusterParams;
use cluster_model::spectra::{Broadening, Calculator, InitialStates, Polarization};
use xas_bayes::diagnostics::quantile_sorted;
use xas_core::compare::max_relative_difference;
use xas_core::grid::linspace;
use xas_core::io::{ColumnSelector, ReadOptions, read_file_with};

const REPEATS: usize = 200;

fn reference(name: &str) -> Option<Vec<f64>> {
    let path = xas_benches::shared_data()?.join("multiplet").join(name);
    let options = ReadOptions {
        y_column: Some(ColumnSelector::Index(1)),
        ..ReadOptions::default()
    };
    Some(
        read_file_with(path, &options)
            .ok()?
            .remove(0)
            .intensity()
            .to_vec(),
    )
}

/// Seconds per call of `f`, best of three batches after one warm-up call.
fn time(mut f: impl FnMut()) -> f64 {
    f();
    (0..3)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..REPEATS {
                f();
            }
            t.elapsed().as_secs_f64() / REPEATS as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Seconds per XAS and per XPS evaluation with the initial-state choice `states`, and
/// the two spectra.
fn evaluate(
    calc: &mut Calculator,
    params: &ClusterParams,
    states: &InitialStates,
) -> (f64, f64, Vec<f64>, Vec<f64>) {
    let xas_grid = linspace(842.6, 882.6, 1000).unwrap();
    let xps_grid = linspace(815.0, 865.0, 2001).unwrap();
    let mut xas = Vec::new();
    let xas_s = time(|| {
        let sticks = calc
            .xas_sticks(params, Polarization::Isotropic, states)
            .unwrap();
        xas = sticks
            .merged(1e-9, 0.0)
            .broaden(&xas_grid, &Broadening::lorentzian(0.24))
            .unwrap();
    });
    let mut xps = Vec::new();
    let xps_s = time(|| {
        let sticks = calc.xps_sticks_lanczos(params, states, 150).unwrap();
        xps = sticks
            .merged(1e-7, 0.0)
            .broaden(&xps_grid, &Broadening::lorentzian(0.5))
            .unwrap();
    });
    (xas_s, xps_s, xas, xps)
}

/// Rounds of the comparison in one run (`$MULTIPLET_BENCH_ROUNDS`, default 3). This
/// machine's speed drifts by 15-30 % within minutes, for every program; each round
/// times ours and then the peers, so its ratios compare neighbouring measurements, and
/// the summary gives the median and the smallest ratio over the rounds.
fn rounds() -> usize {
    xas_benches::env_count("MULTIPLET_BENCH_ROUNDS", 3)
}

/// Our seconds per evaluation `[XAS, XPS]` for the whole ground triplet, as the peers
/// compute it, and for one state of it (exact for these isotropic spectra, see
/// `InitialStates::irreducible_ground`); prints a line for each.
fn ours(calc: &mut Calculator, params: &ClusterParams) -> [[f64; 2]; 2] {
    [("cluster-model", false), ("  one state", true)].map(|(label, irreducible_ground)| {
        let states = InitialStates {
            irreducible_ground,
            ..InitialStates::default()
        };
        let (xas_s, xps_s, xas, xps) = evaluate(calc, params, &states);
        println!(
            "{:<14} {:>12.3} {:>12.3} {:>16} {:>16}",
            label,
            xas_s * 1e3,
            xps_s * 1e3,
            check(&xas, "nio_modelB_seedlike_xas_quanty.csv"),
            check(&xps, "nio_modelB_seedlike_xps_quanty.csv")
        );
        [xas_s, xps_s]
    })
}

/// Max relative difference of `ours` from the reference file, as text.
fn check(ours: &[f64], file: &str) -> String {
    reference(file).map_or("reference absent".to_string(), |r| {
        format!("{:.1e}", max_relative_difference(ours, &r))
    })
}

/// Runs a peer script, prints its line and returns its speed ratios to `ours`:
/// `[XAS triplet, XAS one state, XPS triplet, XPS one state]`.
fn peer(script: &str, ours: [[f64; 2]; 2]) -> Option<[f64; 4]> {
    let p = match xas_benches::run_peer(script, &["--repeats".into(), "5".into()]) {
        Ok(p) => p,
        Err(e) => {
            println!("{script}: not run ({e})");
            return None;
        }
    };
    // Like for like: the peers' fastest evaluation (we report our best batch mean),
    // falling back to their headline median.
    let seconds = |kind: &str| {
        let d = &p["details"];
        d[kind]["wall_s"]["min"]
            .as_f64()
            .or_else(|| d[format!("{kind}_wall_s")]["min"].as_f64())
            .or_else(|| p[format!("{kind}_s_per_eval")].as_f64())
    };
    let ms = |kind: &str| seconds(kind).map_or("-".to_string(), |v| format!("{:.3}", v * 1e3));
    let diff = |k: &str| {
        p[k].as_f64()
            .map_or("-".to_string(), |v| format!("{v:.1e}"))
    };
    let (xas, xps) = (seconds("xas")?, seconds("xps")?);
    let ratios = [
        xas / ours[0][0],
        xas / ours[1][0],
        xps / ours[0][1],
        xps / ours[1][1],
    ];
    println!(
        "{:<14} {:>12} {:>12} {:>16} {:>16}   cluster-model faster (triplet / one state): XAS {:.0}x / {:.0}x, XPS {:.0}x / {:.0}x",
        p["peer"].as_str().unwrap_or(script),
        ms("xas"),
        ms("xps"),
        diff("xas_max_rel_diff"),
        diff("xps_max_rel_diff"),
        ratios[0],
        ratios[1],
        ratios[2],
        ratios[3]
    );
    Some(ratios)
}

fn main() {
    let params = ClusterParams::nio_seed_like();
    let t = Instant::now();
    let mut calc = Calculator::new(&params).unwrap();
    println!(
        "cluster-model: model compiled once in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let peers = ["nio_quanty.py", "nio_edrixs.py"];
    let mut ratios: Vec<Vec<[f64; 4]>> = vec![Vec::new(); peers.len()];
    let rounds = rounds();
    for round in 1..=rounds {
        println!("round {round} of {rounds}");
        println!(
            "{:<14} {:>12} {:>12} {:>16} {:>16}",
            "program", "XAS ms/eval", "XPS ms/eval", "XAS vs Quanty", "XPS vs Quanty"
        );
        let ours = ours(&mut calc, &params);
        for (script, r) in peers.iter().zip(&mut ratios) {
            r.extend(peer(script, ours));
        }
    }
    for (script, r) in peers.iter().zip(&ratios) {
        if r.is_empty() {
            continue;
        }
        let summary = |k: usize| {
            let mut v: Vec<f64> = r.iter().map(|x| x[k]).collect();
            v.sort_by(f64::total_cmp);
            let median = quantile_sorted(&v, 0.5);
            format!("{median:.0}x (smallest {:.0}x)", v[0])
        };
        println!(
            "{script}, {} rounds: cluster-model faster, median: XAS {} / one state {}, XPS {} / one state {}",
            r.len(),
            summary(0),
            summary(1),
            summary(2),
            summary(3)
        );
    }
}
