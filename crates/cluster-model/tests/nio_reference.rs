//! Acceptance: the NiO [NiO6]10- charge-transfer cluster (models A and B of
//! `../shared/data/multiplet/`, computed with edrixs and confirmed with Quanty) is
//! reproduced: eigenvalues, configuration weights, XAS and XPS sticks and spectra.
//! Skips with a message when the shared data are absent.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use cluster_model::model::SectorKind;
use cluster_model::params::{ChargeTransfer, ClusterParams};
use cluster_model::spectra::{
    BOLTZMANN_EV_PER_K, Broadening, Calculator, InitialStates, Polarization, Sticks,
};
use xas_core::compare::max_relative_difference;
use xas_core::convolve::{Kernel, broaden_sticks};
use xas_core::io::{ColumnSelector, ReadOptions, read_file_with};

/// edrixs' dipole operator gives 2.5 times the intensity of the `C^1_q` normalisation
/// used here (and by Quanty/Crispy); see the data README.
const EDRIXS_XAS_FACTOR: f64 = 2.5;

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/multiplet");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("{} absent: NiO reference test skipped", dir.display());
        None
    }
}

struct Reference {
    tag: &'static str,
    key: &'static str,
    params: ClusterParams,
    states: InitialStates,
}

fn nio(tendq: f64, tendq_l: f64, v_eg: f64, v_t2g: f64, b_z: f64) -> ClusterParams {
    let mut p = ClusterParams::nio_seed_like();
    p.tendq = tendq;
    p.charge_transfer = Some(ChargeTransfer {
        delta: 4.7,
        v_eg,
        v_t2g,
        tendq_l,
        max_ligand_holes: 2,
    });
    p.spin_field_ev = [0.0, b_z];
    p
}

fn references() -> [Reference; 2] {
    [
        Reference {
            tag: "nio_modelA_edrixs_example3",
            key: "modelA",
            params: nio(0.56, 1.44, 2.06, 1.21, 0.12),
            // edrixs weights by exp(-E/kT) with CODATA 2014's k_B = 8.6173303e-5 eV/K; we
            // use the exact SI value, so compare at edrixs' kT.
            states: InitialStates {
                temperature_k: 300.0 * 8.617_330_3e-5 / BOLTZMANN_EV_PER_K,
                max_states: 3,
                ..InitialStates::default()
            },
        },
        Reference {
            tag: "nio_modelB_seedlike",
            key: "modelB",
            params: nio(0.6, 0.0, 2.2, 1.1, 0.0),
            states: InitialStates::default(),
        },
    ]
}

fn column(path: &Path, y: usize) -> (Vec<f64>, Vec<f64>) {
    let options = ReadOptions {
        x_column: Some(ColumnSelector::Index(0)),
        y_column: Some(ColumnSelector::Index(y)),
        ..ReadOptions::default()
    };
    let s = read_file_with(path, &options).unwrap().remove(0);
    (s.energy_ev().to_vec(), s.intensity().to_vec())
}

/// Sticks read as written (unsorted, with repeated energies).
fn read_sticks(path: &Path) -> Sticks {
    let text = std::fs::read_to_string(path).unwrap();
    let mut s = Sticks::default();
    for line in text.lines().skip(1) {
        let mut it = line.split(',').map(|v| v.trim().parse::<f64>().unwrap());
        s.energy_ev.push(it.next().unwrap());
        s.weight.push(it.next().unwrap());
    }
    s
}

/// Stick energies within 1e-8 eV (the reference files print 11 significant digits:
/// +-5e-9 eV at 500-1000 eV) and weights within 1e-8 relative, with an absolute floor of
/// 1e-12 of the total for the weakest sticks (squares of amplitudes near rounding).
fn compare_sticks(ours: &Sticks, reference: &Sticks, scale: f64, what: &str) {
    let total = reference.total();
    // Degenerate levels are merged: the split of their weight among degenerate
    // eigenvectors depends on the basis; the sum does not. Sticks below 1e-9 of the
    // total are left out.
    let a = ours.merged(1e-5, 1e-9 * total / scale);
    let b = reference.merged(1e-5, 1e-9 * total);
    assert_eq!(
        a.energy_ev.len(),
        b.energy_ev.len(),
        "{what}: number of distinct stick energies"
    );
    for (((ea, wa), eb), wb) in a
        .energy_ev
        .iter()
        .zip(&a.weight)
        .zip(&b.energy_ev)
        .zip(&b.weight)
    {
        let wa = wa * scale;
        assert!(
            (ea - eb).abs() < 1e-8,
            "{what}: stick at {eb} eV found at {ea} eV"
        );
        assert!(
            (wa - wb).abs() <= 1e-8 * wb.abs() + 1e-12 * total,
            "{what}: weight at {eb} eV: {wa} vs {wb}"
        );
    }
}

#[test]
fn eigenvalues_and_ground_state_match() {
    let Some(dir) = data_dir() else { return };
    let check: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("nio_check_values.json")).unwrap())
            .unwrap();
    for r in references() {
        let c = &check[r.key];
        let mut calc = Calculator::new(&r.params).unwrap();
        for (kind, key) in [
            (SectorKind::Initial, "E_initial_lowest6"),
            (SectorKind::XasFinal, "E_xasfinal_lowest6"),
        ] {
            let e = calc.diagonalize(kind, &r.params).unwrap().values;
            let reference: Vec<f64> = c[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            for i in 0..6 {
                let (ours, theirs) = (e[i] - e[0], reference[i] - reference[0]);
                // Measured: 5e-12 (rounding at -3800 eV).
                assert!(
                    (ours - theirs).abs() < 1e-10,
                    "{} {key}[{i}]: {ours} vs {theirs}",
                    r.key
                );
            }
        }
        let ground = calc
            .ground_state(&r.params, &InitialStates::default())
            .unwrap();
        for (n, w) in &ground.configuration_weights {
            let reference = c["config_weights_ground"][n.to_string()].as_f64().unwrap();
            assert!(
                (w - reference).abs() < 1e-12,
                "{} weight d{n}: {w} vs {reference}",
                r.key
            );
        }
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{}_meta.json", r.tag))).unwrap(),
        )
        .unwrap();
        let nd0 = meta["nd_ground"][0].as_f64().unwrap();
        let ours = calc
            .ground_state(
                &r.params,
                &InitialStates {
                    degeneracy_tol_ev: 0.0,
                    ..InitialStates::default()
                },
            )
            .unwrap();
        assert!(
            (ours.n_d - nd0).abs() < 1e-10,
            "{} <n_d> {} vs {nd0}",
            r.key,
            ours.n_d
        );
    }
}

#[test]
fn xas_sticks_and_spectra_match() {
    let Some(dir) = data_dir() else { return };
    for r in references() {
        let mut calc = Calculator::new(&r.params).unwrap();
        let sticks = calc
            .xas_sticks(&r.params, Polarization::Isotropic, &r.states)
            .unwrap();
        let reference = read_sticks(&dir.join(format!("{}_xas_sticks.csv", r.tag)));
        compare_sticks(
            &sticks,
            &reference,
            EDRIXS_XAS_FACTOR,
            &format!("{} XAS", r.key),
        );
        let (grid, edrixs) = column(&dir.join(format!("{}_xas.csv", r.tag)), 1);
        let (_, quanty) = column(&dir.join(format!("{}_xas_quanty.csv", r.tag)), 1);
        let ours = broaden_sticks(
            &sticks.energy_ev,
            &sticks.weight,
            &grid,
            Kernel::Lorentzian { hwhm_ev: 0.24 },
        )
        .unwrap();
        let scaled: Vec<f64> = ours.iter().map(|v| v * EDRIXS_XAS_FACTOR).collect();
        // Measured 2e-9, set by the files' grid printed to 11 digits (+-5e-9 eV) rather
        // than by the calculation (the XPS files, on an exact grid, agree to 8e-11).
        assert!(
            max_relative_difference(&scaled, &edrixs) <= 1e-8,
            "{} XAS vs edrixs {}",
            r.key,
            max_relative_difference(&scaled, &edrixs)
        );
        assert!(
            max_relative_difference(&ours, &quanty) <= 1e-8,
            "{} XAS vs Quanty {}",
            r.key,
            max_relative_difference(&ours, &quanty)
        );
        let lanczos = calc
            .xas_sticks_lanczos(&r.params, Polarization::Isotropic, &r.states, 200)
            .unwrap()
            .broaden(&grid, &Broadening::lorentzian(0.24))
            .unwrap();
        let d = max_relative_difference(&lanczos, &ours);
        assert!(d <= 1e-8, "{} XAS Lanczos vs dense {d}", r.key);
    }
}

#[test]
fn xps_sticks_and_spectra_match() {
    let Some(dir) = data_dir() else { return };
    for r in references() {
        let mut calc = Calculator::new(&r.params).unwrap();
        let sticks = calc.xps_sticks(&r.params, &r.states).unwrap();
        assert!(
            (sticks.total() - 6.0).abs() < 1e-12,
            "sum rule: six 2p electrons"
        );
        let reference = read_sticks(&dir.join(format!("{}_xps_sticks.csv", r.tag)));
        compare_sticks(&sticks, &reference, 1.0, &format!("{} XPS", r.key));
        let (grid, edrixs) = column(&dir.join(format!("{}_xps.csv", r.tag)), 1);
        let (_, quanty) = column(&dir.join(format!("{}_xps_quanty.csv", r.tag)), 1);
        let dense = broaden_sticks(
            &sticks.energy_ev,
            &sticks.weight,
            &grid,
            Kernel::Lorentzian { hwhm_ev: 0.5 },
        )
        .unwrap();
        let lanczos = calc
            .xps_sticks_lanczos(&r.params, &r.states, 300)
            .unwrap()
            .broaden(&grid, &Broadening::lorentzian(0.5))
            .unwrap();
        for (name, ours) in [("dense", &dense), ("Lanczos", &lanczos)] {
            // Measured 8e-11 (the XPS grid is exact in the files).
            assert!(
                max_relative_difference(ours, &edrixs) <= 1e-9,
                "{} XPS {name} vs edrixs {}",
                r.key,
                max_relative_difference(ours, &edrixs)
            );
            assert!(
                max_relative_difference(ours, &quanty) <= 1e-9,
                "{} XPS {name} vs Quanty {}",
                r.key,
                max_relative_difference(ours, &quanty)
            );
        }
        assert!(
            max_relative_difference(&lanczos, &dense) <= 1e-10,
            "Lanczos vs dense {}",
            max_relative_difference(&lanczos, &dense)
        );
    }
}
