//! Structures read from real CIF files: space group from the operator loop, site
//! multiplicities, cell content, and the same group from the H-M symbol.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;

use xrd_rietveld::structure::Crystal;
use xrd_rietveld::symmetry::SpaceGroup;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn pbso4_from_its_operator_loop() {
    let crystals = Crystal::read_cif(&data("PbSO4-Wyckoff.cif")).unwrap();
    assert_eq!(crystals.len(), 1);
    let c = &crystals[0];
    assert_eq!(c.name, "PbSO4");
    assert_eq!(c.group.operations().len(), 8);
    assert_eq!(c.group.symbol(), "P n m a");
    assert!((c.cell.volume() - 318.503).abs() < 1e-3);
    // The CIF's own _atom_site_symmetry_multiplicity column: 4 4 4 4 8.
    assert_eq!(c.multiplicities(), [4, 4, 4, 4, 8]);
    let content = c.cell_content();
    for (element, n) in [("Pb", 4.0), ("S", 4.0), ("O", 16.0)] {
        let got = content.iter().find(|(e, _)| e == element).unwrap().1;
        assert!((got - n).abs() < 1e-12, "{element}: {got}");
    }
    // The loop's operations are exactly moyo's Pnma.
    let pnma = SpaceGroup::from_hm("Pnma").unwrap();
    for op in c.group.operations() {
        assert!(pnma.operations().iter().any(|o| o.same_as(op)), "{op}");
    }
    assert_eq!(c.atoms[2].xyz, [-0.095, 0.25, 0.6]);
    assert_eq!(c.atoms[0].u_iso, 0.01);
}

#[test]
fn lab6_with_b_iso() {
    let c = &Crystal::read_cif(&data("LaB6_start.cif")).unwrap()[0];
    assert_eq!(c.group.operations().len(), 48);
    assert_eq!(c.multiplicities(), [1, 6]);
    let b = 0.4 / xrd_rietveld::structure::EIGHT_PI_SQUARED;
    assert!((c.atoms[1].u_iso - b).abs() < 1e-15);
}

#[test]
fn symbol_only_and_bad_cifs() {
    let text = "data_nacl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
                _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
                _symmetry_space_group_name_H-M 'F m -3 m'\n\
                loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
                _atom_site_fract_y\n_atom_site_fract_z\nNa Na+ 0 0 0\nCl Cl- 0.5 0.5 0.5\n";
    let cif = xrd_rietveld::cif::Cif::parse(text, "nacl.cif").unwrap();
    let c = &Crystal::from_cif(&cif, "nacl.cif").unwrap()[0];
    assert_eq!(c.group.operations().len(), 192);
    assert_eq!(c.multiplicities(), [4, 4]);

    let cases = [
        (
            text.replace("_cell_length_b 5.64\n", ""),
            "missing _cell_length_b",
        ),
        (text.replace("'F m -3 m'", "'F q -3 m'"), "F q -3 m"),
        (text.replace("Na+ 0 0 0", "Na+ 0 zero 0"), "line 15"),
        (
            text.replace("Cl Cl-", "Cl Qq"),
            "no Waasmaier-Kirfel form factor",
        ),
        (
            text.replace("_atom_site_fract_x", "_atom_site_fract_q"),
            "a data block with an _atom_site_fract_x loop",
        ),
    ];
    for (bad, needle) in cases {
        let e = xrd_rietveld::cif::Cif::parse(&bad, "nacl.cif")
            .and_then(|cif| Crystal::from_cif(&cif, "nacl.cif"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(needle) && e.contains("nacl.cif"),
            "{needle}: {e}"
        );
    }
}

/// PbSO4 at Cu Kα1 (non-zero f''): |F|² is the same for every Laue-equivalent reflection,
/// and the reflections the symmetry rules call absent sum to zero.
#[test]
fn pbso4_structure_factors_respect_the_symmetry() {
    use xrd_rietveld::form_factor::line_wavelength;
    use xrd_rietveld::reflections::generate;
    use xrd_rietveld::structure_factor::StructureFactors;
    let c = &Crystal::read_cif(&data("PbSO4-Wyckoff.cif")).unwrap()[0];
    let sf = StructureFactors::new(c, line_wavelength("Cu Ka1").unwrap()).unwrap();
    assert!(sf.sites()[0].f_double_prime > 8.0);
    let refl = generate(&c.cell, &c.group, 1.5).unwrap();
    assert!(refl.len() > 50);
    for r in &refl {
        let f2 = sf.f_squared(r.hkl, r.d);
        for h in c.group.equivalent_reflections(r.hkl) {
            let g2 = sf.f_squared(h, r.d);
            assert!(
                (g2 - f2).abs() <= 1e-9 * f2.max(1.0),
                "{:?} vs {h:?}",
                r.hkl
            );
        }
    }
    for hkl in [[0, 1, 2], [1, 1, 0], [0, 0, 1], [3, 0, 0], [0, 3, 0]] {
        assert!(c.group.is_absent(hkl));
        let (re, im) = sf.f(hkl, c.cell.d_spacing(hkl));
        assert!(re.abs() < 1e-9 && im.abs() < 1e-9, "{hkl:?}: {re} {im}");
    }
}
