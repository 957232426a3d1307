//! Anisotropic displacement parameters: CIF input and output, isotropic tensors equal to
//! `U_iso`, the symmetry-generated tensors equal to an explicit P1 expansion, site
//! constraints in the parameters, and a refinement back to known `Uⁱʲ`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use xrd_rietveld::adp;
use xrd_rietveld::background::BackgroundKind;
use xrd_rietveld::cif::Cif;
use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::model::{Model, Param};
use xrd_rietveld::pattern::Pattern;
use xrd_rietveld::refine::{RefineSettings, refine};
use xrd_rietveld::report::{phase_reports, to_cif};
use xrd_rietveld::structure::{Atom, Crystal};
use xrd_rietveld::structure_factor::StructureFactors;
use xrd_rietveld::symmetry::SpaceGroup;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// PbSO4 with Pb anisotropic: on its mirror (x, 1/4, z) U¹² = U²³ = 0.
const PB_U: [f64; 6] = [0.020, 0.012, 0.016, 0.0, 0.004, 0.0];

fn pbso4(anisotropic_pb: bool) -> Crystal {
    let mut c = Crystal::read_cif(&data("PbSO4-Wyckoff.cif"))
        .unwrap()
        .remove(0);
    if anisotropic_pb {
        c.atoms[0].u_aniso = Some(PB_U);
        c.atoms[0].u_iso = adp::equivalent(&PB_U, &c.cell);
    }
    c
}

fn f2_all(crystal: &Crystal, hkls: &[[i32; 3]]) -> Vec<f64> {
    let sf = StructureFactors::new(crystal, 1.5406).unwrap();
    hkls.iter()
        .map(|&h| sf.f_squared(h, crystal.cell.d_spacing(h)))
        .collect()
}

fn some_reflections() -> Vec<[i32; 3]> {
    let mut out = Vec::new();
    for h in -3..=3 {
        for k in 0..=3 {
            for l in 0..=4 {
                if (h, k, l) != (0, 0, 0) {
                    out.push([h, k, l]);
                }
            }
        }
    }
    out
}

#[test]
fn isotropic_tensors_reproduce_u_iso_in_a_hexagonal_cell() {
    let iso = Crystal::read_cif(&data("FAP_start.cif")).unwrap().remove(0);
    let mut aniso = iso.clone();
    for atom in &mut aniso.atoms {
        atom.u_aniso = Some(adp::isotropic(atom.u_iso, &aniso.cell));
    }
    let hkls = some_reflections();
    for (a, b) in f2_all(&iso, &hkls).iter().zip(f2_all(&aniso, &hkls)) {
        assert!((a - b).abs() <= 1e-10 * a.max(1.0), "{a} vs {b}");
    }
}

#[test]
fn symmetry_generated_tensors_equal_an_explicit_p1_expansion() {
    // Every position of the Pnma orbits written out in P1 with its own tensor
    // R⟨uuᵀ⟩Rᵀ, converted back to Uⁱʲ = ⟨uᵢuⱼ⟩ / (a*ᵢ a*ⱼ).
    let mut crystal = pbso4(true);
    crystal.atoms[4].u_aniso = Some([0.011, 0.014, 0.009, 0.002, -0.001, 0.003]);
    let cell = crystal.cell;
    let g = cell.reciprocal_metric();
    let s = [g[0][0].sqrt(), g[1][1].sqrt(), g[2][2].sqrt()];
    let mut atoms = Vec::new();
    for atom in &crystal.atoms {
        for (n, (k, x)) in crystal.group.orbit(atom.xyz).into_iter().enumerate() {
            let r = crystal.group.operations()[k]
                .rotation
                .map(|row| row.map(f64::from));
            let u_aniso = atom.u_aniso.map(|u| {
                let f = adp::fractional(&u, &cell);
                let rf: [[f64; 3]; 3] = std::array::from_fn(|i| {
                    std::array::from_fn(|j| {
                        (0..3)
                            .flat_map(|a| (0..3).map(move |b| (a, b)))
                            .map(|(a, b)| r[i][a] * f[a][b] * r[j][b])
                            .sum()
                    })
                });
                [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
                    .map(|(i, j)| rf[i][j] / (s[i] * s[j]))
            });
            atoms.push(Atom {
                label: format!("{}_{n}", atom.label),
                xyz: x,
                u_aniso,
                ..atom.clone()
            });
        }
    }
    let p1 = Crystal {
        name: "p1".into(),
        cell,
        group: SpaceGroup::from_hm("P 1").unwrap(),
        atoms,
    };
    let hkls = some_reflections();
    for ((a, b), h) in f2_all(&crystal, &hkls)
        .iter()
        .zip(f2_all(&p1, &hkls))
        .zip(&hkls)
    {
        assert!((a - b).abs() <= 1e-9 * a.max(1.0), "{h:?}: {a} vs {b}");
    }
}

#[test]
fn cif_aniso_loops_are_read_and_written() {
    let text = std::fs::read_to_string(data("PbSO4-Wyckoff.cif")).unwrap();
    let with_u = format!(
        "{text}\nloop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\n_atom_site_aniso_U_22\n\
         _atom_site_aniso_U_33\n_atom_site_aniso_U_12\n_atom_site_aniso_U_13\n_atom_site_aniso_U_23\n\
         Pb 0.020 0.012 0.016 0 0.004 0\n"
    );
    let c = &Crystal::from_cif(&Cif::parse(&with_u, "u.cif").unwrap(), "u.cif").unwrap()[0];
    assert_eq!(c.atoms[0].u_aniso, Some(PB_U));
    assert!(
        (c.atoms[0].u_iso - 0.016).abs() < 1e-12,
        "U_eq of an orthorhombic tensor"
    );
    let b = 8.0 * std::f64::consts::PI.powi(2);
    let with_b = with_u.replace("_U_", "_B_").replace(
        "Pb 0.020 0.012 0.016 0 0.004 0",
        &format!(
            "Pb {} {} {} 0 {} 0",
            0.02 * b,
            0.012 * b,
            0.016 * b,
            0.004 * b
        ),
    );
    let cb = &Crystal::from_cif(&Cif::parse(&with_b, "b.cif").unwrap(), "b.cif").unwrap()[0];
    let ub = cb.atoms[0].u_aniso.unwrap();
    assert!(
        ub.iter().zip(PB_U).all(|(x, y)| (x - y).abs() < 1e-12),
        "{ub:?}"
    );
    let bad = with_u.replace("Pb 0.020", "Pbx 0.020");
    let e = Crystal::from_cif(&Cif::parse(&bad, "bad.cif").unwrap(), "bad.cif")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad.cif") && e.contains("`Pbx` is not an atom site"),
        "{e}"
    );
}

#[test]
fn a_pattern_with_anisotropic_lead_refines_back_to_its_tensor() {
    let pattern = Pattern::read(&data("PBSO4.XRA")).unwrap();
    let inst = Instrument::read_prm(&data("PBSO4_INST_XRY.PRM")).unwrap();
    let truth = Model::for_pattern(
        inst,
        (BackgroundKind::Chebyshev, 1),
        vec![pbso4(true)],
        &pattern,
    )
    .unwrap();
    let x = pattern.two_theta_deg.clone();
    let exact = truth.calculate(&x).unwrap();
    // Counts of a strong pattern, with deterministic half-σ noise.
    let scaled: Vec<f64> = exact.iter().map(|v| 1e4 * v / exact[0].max(1e-9)).collect();
    let sigma: Vec<f64> = scaled.iter().map(|v| v.max(1.0).sqrt()).collect();
    let y: Vec<f64> = (0..x.len())
        .map(|i| scaled[i] + 0.5 * sigma[i] * (0.7 * i as f64).sin())
        .collect();
    let pattern = Pattern::new("anisotropic", x, y, sigma).unwrap();
    let mut start = pbso4(true);
    start.atoms[0].u_aniso = Some(adp::isotropic(0.01, &start.cell));
    let mut fit =
        Model::for_pattern(inst, (BackgroundKind::Chebyshev, 1), vec![start], &pattern).unwrap();
    fit.background.coefficients = truth.background.coefficients.clone();
    fit.phases[0].scale = truth.phases[0].scale * 1e4 / exact[0].max(1e-9);
    let names: Vec<String> = fit
        .parameters()
        .into_iter()
        .filter(|p| matches!(p, Param::Uaniso(0, 0, _)))
        .map(|p| fit.name(p))
        .collect();
    assert_eq!(
        names,
        [
            "PbSO4:Pb:U11",
            "PbSO4:Pb:U22",
            "PbSO4:Pb:U33",
            "PbSO4:Pb:U13"
        ]
    );
    let mut params: Vec<Param> = fit
        .parameters()
        .into_iter()
        .filter(|p| matches!(p, Param::Uaniso(0, 0, _)))
        .collect();
    params.push(Param::Scale(0));
    let result = refine(
        &mut fit,
        &pattern,
        &params,
        &RefineSettings::default(),
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let report = &phase_reports(&fit, &result, &pattern).unwrap()[0];
    let u = report.atoms[0].u_aniso.unwrap();
    for (got, want) in u.iter().zip(PB_U) {
        assert!(
            (got.value - want).abs() < 3.0 * got.esd + 1e-12,
            "{got:?} vs {want}"
        );
        // The pattern determines the tensor: a small esd, close to the truth.
        assert!(
            got.esd < 1e-3 && (got.value - want).abs() < 2e-3,
            "{got:?} vs {want}"
        );
    }
    assert_eq!((u[3].value, u[5].value), (0.0, 0.0), "fixed by the mirror");
    // The refined CIF carries the tensor and reads back.
    let text = to_cif(report, &fit.phases[0].crystal.group);
    assert!(text.contains("Pb Pb") && text.contains(" Uani "), "{text}");
    let back = &Crystal::from_cif(&Cif::parse(&text, "out.cif").unwrap(), "out.cif").unwrap()[0];
    let ub = back.atoms[0].u_aniso.unwrap();
    for (b, r) in ub.iter().zip(&u) {
        assert!((b - r.value).abs() <= 2.0 * r.esd.max(1e-6), "{b} vs {r:?}");
    }
}
