//! One state of an irreducible ground manifold gives the same rotation-invariant
//! spectrum as the average over the manifold (Schur's lemma), checked on the octahedral
//! NiO cluster over a spread of Hamiltonian parameters; what the shortcut must refuse.

#![allow(clippy::unwrap_used)]

use cluster_model::params::ClusterParams;
use cluster_model::spectra::{Broadening, Calculator, InitialStates, Polarization, Sticks};

/// Parameter sets across the range a NiO fit explores: (Delta, 10Dq, V_eg, U_dd, U_pd).
const POINTS: [[f64; 5]; 4] = [
    [4.7, 0.6, 2.2, 7.3, 8.5],
    [2.5, 0.3, 1.4, 5.5, 6.5],
    [7.5, 1.1, 3.0, 9.5, 10.5],
    [5.0, 0.9, 1.8, 6.0, 9.0],
];

fn params(h: &[f64; 5]) -> ClusterParams {
    let mut p = ClusterParams::nio_seed_like();
    p.tendq = h[1];
    p.u_dd = h[3];
    p.u_pd = h[4];
    let ct = p.charge_transfer.as_mut().unwrap();
    ct.delta = h[0];
    ct.v_eg = h[2];
    ct.v_t2g = 0.5 * h[2];
    p
}

/// The two stick spectra broadened on a common grid agree to `tol` of the maximum, and
/// their total weights to `tol` relative.
fn assert_same(full: &Sticks, one: &Sticks, tol: f64, what: &str) {
    let (lo, hi) = (
        full.energy_ev[0] - 5.0,
        full.energy_ev[full.energy_ev.len() - 1] + 5.0,
    );
    let grid: Vec<f64> = (0..2000)
        .map(|i| lo + (hi - lo) * i as f64 / 1999.0)
        .collect();
    let b = Broadening::lorentzian(0.3);
    let (a, c) = (
        full.broaden(&grid, &b).unwrap(),
        one.broaden(&grid, &b).unwrap(),
    );
    let max = a.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(&c)
        .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(diff <= tol * max, "{what}: max diff {diff:e} of {max:e}");
    assert!(
        (full.total() / one.total() - 1.0).abs() < tol,
        "{what}: weights"
    );
}

#[test]
fn one_state_of_the_nio_ground_triplet_gives_the_averaged_spectra() {
    let all = InitialStates::default();
    let one = InitialStates {
        irreducible_ground: true,
        ..all
    };
    let mut calc = Calculator::new(&params(&POINTS[0])).unwrap();
    for h in &POINTS {
        let p = params(h);
        let ground = calc.ground_state(&p, &all).unwrap();
        assert_eq!(
            ground.states.len(),
            3,
            "{h:?}: the ground manifold is a triplet"
        );
        let iso = Polarization::Isotropic;
        assert_same(
            &calc.xas_sticks(&p, iso, &all).unwrap(),
            &calc.xas_sticks(&p, iso, &one).unwrap(),
            1e-10,
            &format!("XAS {h:?}"),
        );
        assert_same(
            &calc.xps_sticks(&p, &all).unwrap(),
            &calc.xps_sticks(&p, &one).unwrap(),
            1e-10,
            &format!("XPS {h:?}"),
        );
        // Converged Lanczos (steps beyond the Krylov dimension) from one state, at the
        // engine's Lanczos-versus-dense tolerance.
        assert_same(
            &calc.xps_sticks(&p, &all).unwrap(),
            &calc.xps_sticks_lanczos(&p, &one, 400).unwrap(),
            1e-8,
            &format!("XPS Lanczos {h:?}"),
        );
    }
}

/// A single state of the triplet is not isotropic: its linear dichroism is not zero,
/// so the averaged and the one-state x-polarised spectra would differ. Both that and a
/// temperature above zero are refused.
#[test]
fn polarised_spectra_and_finite_temperature_are_refused() {
    let p = params(&POINTS[0]);
    let mut calc = Calculator::new(&p).unwrap();
    let one = InitialStates {
        irreducible_ground: true,
        ..InitialStates::default()
    };
    let err = calc
        .xas_sticks(&p, Polarization::X, &one)
        .unwrap_err()
        .to_string();
    assert!(err.contains("irreducible_ground"), "{err}");
    let err = calc
        .xas_sticks_lanczos(&p, Polarization::Z, &one, 50)
        .unwrap_err()
        .to_string();
    assert!(err.contains("isotropic"), "{err}");
    let warm = InitialStates {
        temperature_k: 300.0,
        ..one
    };
    let err = calc.xps_sticks(&p, &warm).unwrap_err().to_string();
    assert!(err.contains("T = 0"), "{err}");
}
