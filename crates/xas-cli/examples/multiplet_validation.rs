//! Regenerates the figures and numbers of `docs/validation/multiplet.md`:
//! `cargo run --release -p xas-cli --example multiplet_validation`.
//! Needs `../shared/data/multiplet/` next to the workspace.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use cluster_model::params::ClusterParams;
use cluster_model::spectra::{Broadening, Calculator, InitialStates, Polarization};
use xas_cli::plot::{Figure, Panel, Series};
use xas_core::compare::max_relative_difference;
use xas_core::io::{ColumnSelector, ReadOptions, read_file_with};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn column(file: &str, y: usize) -> (Vec<f64>, Vec<f64>) {
    let path = root().join("../shared/data/multiplet").join(file);
    let options = ReadOptions {
        y_column: Some(ColumnSelector::Index(y)),
        ..ReadOptions::default()
    };
    let s = read_file_with(&path, &options)
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0);
    (s.energy_ev().to_vec(), s.intensity().to_vec())
}

fn overlay(title: &str, grid: &[f64], ours: &[f64], quanty: &[f64], edrixs: &[f64], out: &str) {
    let diff: Vec<f64> = ours.iter().zip(quanty).map(|(a, b)| a - b).collect();
    let figure = Figure {
        panels: vec![
            Panel {
                title: title.into(),
                x_label: "E_f - E_i (eV)".into(),
                y_label: "intensity (C^1 normalisation)".into(),
                series: vec![
                    Series::line("cluster-model", grid, ours),
                    Series::dashed("Quanty", grid, quanty),
                    Series::dashed("edrixs / 2.5 (XAS) or edrixs (XPS)", grid, edrixs),
                ],
                markers: vec![],
            },
            Panel {
                title: "cluster-model - Quanty".into(),
                x_label: "E_f - E_i (eV)".into(),
                y_label: "difference".into(),
                series: vec![Series::line("difference", grid, &diff)],
                markers: vec![],
            },
        ],
    };
    save(&figure, out);
}

/// Writes `name.svg` and `name.png` into `docs/validation/figures/`.
fn save(figure: &Figure, name: &str) {
    let dir = root().join("docs/validation/figures");
    for ext in ["svg", "png"] {
        figure.save(&dir.join(format!("{name}.{ext}"))).unwrap();
    }
}

fn nio() {
    let p = ClusterParams::nio_seed_like();
    let states = InitialStates::default();
    let mut calc = Calculator::new(&p).unwrap();
    let (grid, edrixs) = column("nio_modelB_seedlike_xas.csv", 1);
    let (_, quanty) = column("nio_modelB_seedlike_xas_quanty.csv", 1);
    let xas = calc
        .xas_sticks(&p, Polarization::Isotropic, &states)
        .unwrap()
        .broaden(&grid, &Broadening::lorentzian(0.24))
        .unwrap();
    let edrixs: Vec<f64> = edrixs.iter().map(|v| v / 2.5).collect();
    println!(
        "| NiO model B XAS | {:.1e} | {:.1e} |",
        max_relative_difference(&xas, &quanty),
        max_relative_difference(&xas, &edrixs)
    );
    overlay(
        "NiO 2p XAS (model B), HWHM 0.24 eV",
        &grid,
        &xas,
        &quanty,
        &edrixs,
        "nio_xas_overlay",
    );
    let (grid, edrixs) = column("nio_modelB_seedlike_xps.csv", 1);
    let (_, quanty) = column("nio_modelB_seedlike_xps_quanty.csv", 1);
    let xps = calc
        .xps_sticks_lanczos(&p, &states, 150)
        .unwrap()
        .broaden(&grid, &Broadening::lorentzian(0.5))
        .unwrap();
    println!(
        "| NiO model B XPS (Lanczos, 150 steps) | {:.1e} | {:.1e} |",
        max_relative_difference(&xps, &quanty),
        max_relative_difference(&xps, &edrixs)
    );
    overlay(
        "NiO 2p XPS (model B), HWHM 0.5 eV",
        &grid,
        &xps,
        &quanty,
        &edrixs,
        "nio_xps_overlay",
    );
}

fn spin_and_library() {
    let tendq: Vec<f64> = (0..=400).map(|i| 0.01 * i as f64).collect();
    let mut spin_panel = Panel {
        title: "Ground-state spin vs 10Dq (Hartree-Fock values, Slater x 0.8, spin-orbit on)"
            .into(),
        x_label: "10Dq (eV)".into(),
        y_label: "S from <S^2> = S(S+1)".into(),
        ..Panel::default()
    };
    let mut spectra = Vec::new();
    for ion in ["Mn2+", "Mn3+", "Mn4+"] {
        let mut p = ClusterParams::for_ion(ion.parse().unwrap(), 0.8).unwrap();
        let mut calc = Calculator::new(&p).unwrap();
        let s: Vec<f64> = tendq
            .iter()
            .map(|&x| {
                p.tendq = x;
                calc.ground_state(&p, &InitialStates::default())
                    .unwrap()
                    .spin
            })
            .collect();
        let mid = 0.5 * (s[0] + s[s.len() - 1]);
        let cross = s
            .windows(2)
            .position(|w| w[0] >= mid && w[1] < mid)
            .map(|k| tendq[k]);
        println!(
            "| {ion} | {:.2} | {:.2} | {} |",
            s[0],
            s[s.len() - 1],
            cross.map_or("none below 4 eV".into(), |x| format!("{x:.2} eV"))
        );
        spin_panel.series.push(Series::line(ion, &tendq, &s));
        let grid: Vec<f64> = (0..=600).map(|i| 630.0 + 0.05 * i as f64).collect();
        let mut panel = Panel {
            title: format!("{ion} L2,3 XAS, 10Dq 0 .. 2.5 eV (HWHM 0.2 eV, Gaussian FWHM 0.3 eV)"),
            x_label: "photon energy (eV)".into(),
            y_label: "intensity".into(),
            ..Panel::default()
        };
        for x in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5] {
            p.tendq = x;
            let b = Broadening {
                hwhm_ev: 0.2,
                l2_hwhm_ev: None,
                l2_split_ev: None,
                gauss_fwhm_ev: 0.3,
            };
            let y = calc
                .xas_sticks(&p, Polarization::Isotropic, &InitialStates::default())
                .unwrap()
                .broaden(&grid, &b)
                .unwrap();
            panel
                .series
                .push(Series::line(format!("10Dq {x} eV"), &grid, &y));
        }
        spectra.push(panel);
    }
    save(
        &Figure {
            panels: vec![spin_panel],
        },
        "mn_spin_vs_10dq",
    );
    save(&Figure { panels: spectra }, "mn_l23_library");
}

fn main() {
    println!("| spectrum | max abs diff / max vs Quanty | vs edrixs |\n|---|---|---|");
    nio();
    println!(
        "\n| ion | S at 10Dq = 0 | S at 10Dq = 4 eV | crossover (S half-way) |\n|---|---|---|---|"
    );
    spin_and_library();
}
