//! Hill-Howard weight fractions: the same material described in its cell and in a
//! doubled P1 cell gives the same pattern when the doubled cell's scale is a quarter
//! (|F|² ×4 per reflection), and then the two descriptions weigh the same; a refined
//! two-phase mixture recovers the fractions it was made with.
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;

use xrd_rietveld::background::{Background, BackgroundKind};
use xrd_rietveld::cif::Cif;
use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::model::{Model, Param};
use xrd_rietveld::pattern::Pattern;
use xrd_rietveld::refine::{RefineSettings, refine};
use xrd_rietveld::report::{phase_reports, weight_fractions};
use xrd_rietveld::structure::Crystal;

/// A P1 CIF of `atoms` (symbol, x, y, z) in an orthorhombic cell.
fn p1(name: &str, cell: [f64; 3], atoms: &[(&str, [f64; 3])]) -> Crystal {
    let mut text = format!(
        "data_{name}\n_cell_length_a {}\n_cell_length_b {}\n_cell_length_c {}\n\
         _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
         loop_\n_space_group_symop_operation_xyz\n'x,y,z'\n\
         loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
         _atom_site_fract_y\n_atom_site_fract_z\n_atom_site_U_iso_or_equiv\n",
        cell[0], cell[1], cell[2]
    );
    for (i, (el, x)) in atoms.iter().enumerate() {
        text.push_str(&format!("{el}{i} {el} {} {} {} 0.01\n", x[0], x[1], x[2]));
    }
    Crystal::from_cif(&Cif::parse(&text, name).unwrap(), name)
        .unwrap()
        .remove(0)
}

/// Rock salt (a = 5.64 Å): Na on the F-centred positions, Cl shifted by (½, 0, 0).
fn nacl_atoms(cells_along_a: usize) -> Vec<(&'static str, [f64; 3])> {
    let f = [
        [0.0, 0.0, 0.0],
        [0.0, 0.5, 0.5],
        [0.5, 0.0, 0.5],
        [0.5, 0.5, 0.0],
    ];
    let n = cells_along_a as f64;
    let mut out = Vec::new();
    for c in 0..cells_along_a {
        for p in f {
            let x = (p[0] + c as f64) / n;
            out.push(("Na", [x, p[1], p[2]]));
            let xs = ((p[0] + 0.5) % 1.0 + c as f64) / n;
            out.push(("Cl", [xs, p[1], p[2]]));
        }
    }
    out
}

fn model(crystals: Vec<Crystal>) -> Model {
    let background = Background::new(BackgroundKind::Chebyshev, 1, 20.0, 100.0).unwrap();
    Model::new(
        Instrument::monochromatic(1.5406),
        background,
        crystals,
        100.0,
    )
    .unwrap()
}

fn grid() -> Vec<f64> {
    (0..4001).map(|i| 20.0 + 0.02 * i as f64).collect()
}

#[test]
fn a_doubled_cell_at_a_quarter_scale_is_the_same_material_and_weighs_the_same() {
    let single = p1("nacl", [5.64, 5.64, 5.64], &nacl_atoms(1));
    let double = p1("nacl_x2", [11.28, 5.64, 5.64], &nacl_atoms(2));
    // Z M = 4 (22.98976928 + 35.45) g/mol per cell, twice that for the doubled cell.
    let zm = 4.0 * (22.989_769_28 + 35.45);
    assert!((single.cell_mass().unwrap() - zm).abs() < 1e-9);
    assert!((double.cell_mass().unwrap() - 2.0 * zm).abs() < 1e-9);
    let x = grid();
    let a = model(vec![single.clone()]).calculate(&x).unwrap();
    let mut m = model(vec![double.clone()]);
    m.phases[0].scale = 0.25;
    let b = m.calculate(&x).unwrap();
    let peak = a.iter().fold(0.0f64, |p, v| p.max(*v));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(u, v)| (u - v).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-9 * peak, "{worst} of {peak}");
    let mut both = model(vec![single, double]);
    both.phases[1].scale = 0.25;
    let none = xrd_rietveld::refine::Refinement {
        parameters: Vec::new(),
        r: Default::default(),
        cycles: 0,
        converged: true,
        singular_directions: 0,
        correlations: Vec::new(),
        warnings: Vec::new(),
        covariance: Vec::new(),
    };
    for w in weight_fractions(&both, &none).unwrap() {
        assert!((w.value - 0.5).abs() < 1e-12 && w.esd == 0.0, "{w:?}");
    }
}

#[test]
fn a_refined_mixture_recovers_its_weight_fractions() {
    // 70 % rock salt and 30 % CsCl-type KCl-like phase by weight (different lattices, so
    // the scales are separable).
    let nacl = p1("nacl", [5.64, 5.64, 5.64], &nacl_atoms(1));
    let cscl = p1(
        "cscl",
        [4.12, 4.12, 4.12],
        &[("Cs", [0.0; 3]), ("Cl", [0.5; 3])],
    );
    let zmv = |c: &Crystal| c.cell_mass().unwrap() * c.cell.volume();
    let (a, b) = (zmv(&nacl), zmv(&cscl));
    // S ∝ W / (ZMV): W = 0.7 and 0.3.
    let mut truth = model(vec![nacl, cscl]);
    truth.phases[0].scale = 0.7 / a * 1e6;
    truth.phases[1].scale = 0.3 / b * 1e6;
    let x = grid();
    let exact = truth.calculate(&x).unwrap();
    let sigma: Vec<f64> = exact.iter().map(|v| v.max(1.0).sqrt()).collect();
    // Deterministic "noise" of about half a standard deviation, so that χ² (and with it
    // the esds) is not zero.
    let y: Vec<f64> = (0..exact.len())
        .map(|i| exact[i] + 0.5 * sigma[i] * (1.7 * i as f64).sin())
        .collect();
    let pattern = Pattern::new("mixture", x, y, sigma).unwrap();
    let mut fit = truth.clone();
    fit.phases[0].scale *= 1.3;
    fit.phases[1].scale *= 0.6;
    let result = refine(
        &mut fit,
        &pattern,
        &[Param::Scale(0), Param::Scale(1)],
        &RefineSettings::default(),
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let reports = phase_reports(&fit, &result, &pattern).unwrap();
    let (w0, w1) = (&reports[0].weight_fraction, &reports[1].weight_fraction);
    assert!((w0.value + w1.value - 1.0).abs() < 1e-12);
    assert!((w0.value - 0.7).abs() < 3.0 * w0.esd, "{w0:?}");
    // Two phases: W₁ = 1 − W₀, so their esds are equal.
    assert!(w0.esd > 0.0 && w0.esd < 1e-3, "{w0:?}");
    assert!((w0.esd - w1.esd).abs() < 1e-9 * w0.esd, "{w0:?} {w1:?}");
}
