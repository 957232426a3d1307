//! Analytic checks of the multiplet engine: spin-orbit splitting, free-ion term
//! energies (Racah), the d8 octahedral splitting, the XAS intensity sum rule and XPS
//! spectral moments.

#![allow(clippy::unwrap_used)]

use cluster_model::model::SectorKind;
use cluster_model::params::ClusterParams;
use cluster_model::spectra::{Calculator, InitialStates, Polarization};

/// An atomic model of `ion` with all interactions switched off, to be set per test.
fn bare(ion: &str) -> ClusterParams {
    let mut p = ClusterParams::for_ion(ion.parse().unwrap(), 0.8).unwrap();
    p.initial.f2_dd = 0.0;
    p.initial.f4_dd = 0.0;
    p.initial.zeta_3d = 0.0;
    p
}

/// Distinct eigenvalues (relative to the lowest) with their degeneracies.
fn levels(values: &[f64]) -> Vec<(f64, usize)> {
    let mut out: Vec<(f64, usize)> = Vec::new();
    for &v in values {
        let e = v - values[0];
        match out.last_mut() {
            Some(last) if (e - last.0).abs() < 1e-9 => last.1 += 1,
            _ => out.push((e, 1)),
        }
    }
    out
}

#[test]
fn d1_spin_orbit_splitting_is_five_halves_zeta() {
    let mut p = bare("Ti3+");
    p.initial.zeta_3d = 0.0123;
    let e = Calculator::new(&p)
        .unwrap()
        .diagonalize(SectorKind::Initial, &p)
        .unwrap();
    let l = levels(&e.values);
    assert_eq!(l.len(), 2);
    assert_eq!((l[0].1, l[1].1), (4, 6), "j = 3/2 below j = 5/2");
    assert!((l[1].0 - 2.5 * 0.0123).abs() < 1e-14);
}

#[test]
fn d2_free_ion_terms_follow_racah() {
    let mut p = bare("V3+");
    let (f2, f4) = (8.0, 5.0);
    p.initial.f2_dd = f2;
    p.initial.f4_dd = f4;
    let e = Calculator::new(&p)
        .unwrap()
        .diagonalize(SectorKind::Initial, &p)
        .unwrap();
    // Racah B = F2/49 - 5 F4/441, C = 35 F4/441 (Slater-Condon F2 = F^2/49, F4 = F^4/441).
    let b = f2 / 49.0 - 5.0 * f4 / 441.0;
    let c = 35.0 * f4 / 441.0;
    // Term energies relative to 3F (A - 8B): 3P 15B, 1D 5B + 2C, 1G 12B + 2C, 1S 22B + 7C.
    let mut expect = vec![
        (0.0, 21),
        (15.0 * b, 9),
        (5.0 * b + 2.0 * c, 5),
        (12.0 * b + 2.0 * c, 9),
        (22.0 * b + 7.0 * c, 1),
    ];
    expect.sort_by(|x, y| x.0.total_cmp(&y.0));
    let got = levels(&e.values);
    assert_eq!(got.len(), expect.len());
    for ((ge, gd), (ee, ed)) in got.iter().zip(&expect) {
        assert_eq!(gd, ed);
        assert!((ge - ee).abs() < 1e-12, "{ge} vs {ee}");
    }
}

#[test]
fn d8_octahedral_t2_minus_a2_is_exactly_10dq() {
    let mut p = ClusterParams::for_ion("Ni2+".parse().unwrap(), 0.8).unwrap();
    p.initial.zeta_3d = 0.0;
    p.tendq = 1.234;
    let e = Calculator::new(&p)
        .unwrap()
        .diagonalize(SectorKind::Initial, &p)
        .unwrap();
    let l = levels(&e.values);
    assert_eq!(l[0].1, 3, "3A2g");
    assert_eq!(l[1].1, 9, "3T2g");
    assert!((l[1].0 - 1.234).abs() < 1e-12);
}

#[test]
fn atomic_xas_intensity_is_proportional_to_3d_holes() {
    let mut per_hole = Vec::new();
    for ion in [
        "Ti3+", "V3+", "Cr3+", "Mn2+", "Fe2+", "Co2+", "Ni2+", "Cu2+",
    ] {
        let mut p = ClusterParams::for_ion(ion.parse().unwrap(), 0.8).unwrap();
        p.tendq = 1.1;
        let mut calc = Calculator::new(&p).unwrap();
        let s = calc
            .xas_sticks(&p, Polarization::Isotropic, &InitialStates::default())
            .unwrap();
        per_hole.push(s.total() / (10 - p.n_d) as f64);
        // Linear polarisations average to the isotropic spectrum.
        let lin: f64 = [Polarization::X, Polarization::Y, Polarization::Z]
            .iter()
            .map(|&pol| {
                calc.xas_sticks(&p, pol, &InitialStates::default())
                    .unwrap()
                    .total()
            })
            .sum::<f64>()
            / 3.0;
        assert!((lin - s.total()).abs() < 1e-12);
    }
    // (1/3) sum_q sum_mp c^1(2 m; 1 mp)^2 = 2/15 per 3d hole (both spins share it).
    for v in &per_hole {
        assert!((v - 2.0 / 15.0).abs() < 1e-12, "{per_hole:?}");
    }
}

#[test]
fn xps_moments_equal_those_of_the_stick_spectrum() {
    let p = ClusterParams::nio_seed_like();
    let mut calc = Calculator::new(&p).unwrap();
    let states = InitialStates {
        degeneracy_tol_ev: 0.0,
        ..InitialStates::default()
    };
    let sticks = calc.xps_sticks(&p, &states).unwrap();
    let ground = calc.diagonalize(SectorKind::Initial, &p).unwrap();
    let (e_g, g) = (ground.values[0], ground.vector(0).to_vec());
    let model = calc.model();
    let (coefficients, constant) = model.coefficients(SectorKind::XpsFinal, &p);
    let fin = &model.xps_final.matrices;
    let mut values = Vec::new();
    fin.assemble(&coefficients, &mut values);
    for k in 0..=3 {
        let mut moment = 0.0;
        for c in &model.core_annihilators {
            let mut v = vec![0.0; fin.dim()];
            c.matvec(&g, &mut v);
            let phi = v.clone();
            for _ in 0..k {
                let mut w = vec![0.0; fin.dim()];
                fin.matvec(&values, &v, &mut w);
                v = w
                    .iter()
                    .zip(&v)
                    .map(|(hw, x)| hw + (constant - e_g) * x)
                    .collect();
            }
            moment += phi.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>();
        }
        let from_sticks: f64 = sticks
            .energy_ev
            .iter()
            .zip(&sticks.weight)
            .map(|(e, w)| w * e.powi(k))
            .sum();
        assert!(
            (moment - from_sticks).abs() <= 1e-9 * from_sticks.abs(),
            "k = {k}: {moment} vs {from_sticks}"
        );
    }
}

#[test]
fn xmcd_needs_a_field_and_changes_sign_between_l3_and_l2() {
    let mut p = ClusterParams::for_ion("Ni2+".parse().unwrap(), 0.8).unwrap();
    p.tendq = 1.0;
    let mut calc = Calculator::new(&p).unwrap();
    let states = InitialStates::default();
    // Without a field the degenerate ground manifold is averaged: time reversal makes
    // the XMCD of every final level (degenerate final states summed) vanish.
    let s = calc
        .xas_sticks(&p, Polarization::Xmcd, &states)
        .unwrap()
        .merged(1e-6, 0.0);
    let total: f64 = calc
        .xas_sticks(&p, Polarization::Isotropic, &states)
        .unwrap()
        .total();
    assert!(s.weight.iter().all(|w| w.abs() < 1e-12 * total));
    // An exchange field selects one spin component: L3 and L2 dichroism of opposite sign.
    p.spin_field_ev = [0.0, 0.01];
    let s = calc.xas_sticks(&p, Polarization::Xmcd, &states).unwrap();
    let split = p.edge_offset_ev + 5.0; // between the L3 and L2 groups (zeta_2p ~ 11.5 eV)
    let l3: f64 = s
        .energy_ev
        .iter()
        .zip(&s.weight)
        .filter(|(e, _)| **e < split)
        .map(|(_, w)| w)
        .sum();
    let l2: f64 = s
        .energy_ev
        .iter()
        .zip(&s.weight)
        .filter(|(e, _)| **e >= split)
        .map(|(_, w)| w)
        .sum();
    assert!(l3 * l2 < 0.0 && l3.abs() > 0.01 * total, "L3 {l3}, L2 {l2}");
    // Left + right = x + y (the circular components span the xy plane).
    let mut sum = |pol| calc.xas_sticks(&p, pol, &states).unwrap().total();
    let circular = sum(Polarization::Left) + sum(Polarization::Right);
    let linear = sum(Polarization::X) + sum(Polarization::Y);
    assert!((circular - linear).abs() < 1e-12);
}

/// Linear dichroism of a single 3d hole: Cu2+ (d9) without 3d spin-orbit coupling in a
/// tetragonal field with Ds > 0 puts the hole in `x2-y2` (+0.6 10Dq + 2 Ds). Summed
/// over all final states, the intensity of polarisation e is `<i| D_e† D_e |i>` (the
/// final-state Hamiltonian drops out), and `x2-y2` couples only to `p_x` and `p_y`:
/// z-polarised absorption vanishes and x and y share the 3 x 2/15 of one hole equally.
#[test]
fn a_single_x2_y2_hole_absorbs_no_z_polarised_light() {
    let mut p = ClusterParams::for_ion("Cu2+".parse().unwrap(), 0.8).unwrap();
    p.initial.zeta_3d = 0.0;
    p.tendq = 1.0;
    p.ds = 0.2;
    let mut calc = Calculator::new(&p).unwrap();
    let mut total = |pol| {
        calc.xas_sticks(&p, pol, &InitialStates::default())
            .unwrap()
            .total()
    };
    let (x, y, z) = (
        total(Polarization::X),
        total(Polarization::Y),
        total(Polarization::Z),
    );
    assert!(z.abs() < 1e-12, "z {z}");
    assert!(
        (x - 0.2).abs() < 1e-12 && (y - 0.2).abs() < 1e-12,
        "x {x}, y {y}"
    );
    // With Ds < 0 the hole moves to z2, which takes 2/3 of the intensity along z.
    p.ds = -0.2;
    let mut calc = Calculator::new(&p).unwrap();
    let mut total = |pol| {
        calc.xas_sticks(&p, pol, &InitialStates::default())
            .unwrap()
            .total()
    };
    let (x, z) = (total(Polarization::X), total(Polarization::Z));
    assert!((z - 0.4 * 2.0 / 3.0).abs() < 1e-12, "z {z}");
    assert!((x - 0.4 / 6.0).abs() < 1e-12, "x {x}");
}
