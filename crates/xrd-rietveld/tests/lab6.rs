//! LaB6 (NIST SRM 660 family, lab Cu Kα, GSAS-II CWInstDemo data): refine the lattice
//! parameter with zero and specimen displacement, the profile terms U V W X Y and SH/L.
//! Reference: SRM 660c a = 4.156826(80) Å at 22.5 °C (the lot measured is not stated).
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use xrd_rietveld::background::{Background, BackgroundKind};
use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::model::Model;
use xrd_rietveld::pattern::Pattern;
use xrd_rietveld::refine::{RefineSettings, linear_start, refine};
use xrd_rietveld::structure::Crystal;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn lab6_lattice_parameter_and_profile() {
    let pattern = Pattern::read(&data("NIST660CBI.gsas")).unwrap();
    let crystal = Crystal::read_cif(&data("LaB6_start.cif"))
        .unwrap()
        .remove(0);
    let mut inst = Instrument::monochromatic(1.540593);
    inst.lambda2 = Some(1.544427);
    inst.ratio = 0.5;
    inst.sh_l = 0.01;
    let (lo, hi) = (
        pattern.two_theta_deg[0],
        *pattern.two_theta_deg.last().unwrap(),
    );
    let bkg = Background::new(BackgroundKind::Chebyshev, 6, lo, hi).unwrap();
    let mut model = Model::new(inst, bkg, vec![crystal], hi).unwrap();
    // Start from a slightly wrong cell.
    let a0 = model.find("LaB6_Pm-3m:A0").unwrap();
    model.set(a0, 1.0 / 4.158f64.powi(2)).unwrap();
    linear_start(&mut model, &pattern).unwrap();
    let names = [
        "LaB6_Pm-3m:scale",
        "bkg0",
        "bkg1",
        "bkg2",
        "bkg3",
        "bkg4",
        "bkg5",
        "LaB6_Pm-3m:A0",
        "zero",
        "shift",
        "U",
        "V",
        "W",
        "X",
        "Y",
        "SH/L",
        "LaB6_Pm-3m:B1:x",
        "LaB6_Pm-3m:La1:Uiso",
        "LaB6_Pm-3m:B1:Uiso",
    ];
    let params: Vec<_> = names
        .iter()
        .map(|n| model.find(n).unwrap_or_else(|| panic!("{n}")))
        .collect();
    let t = std::time::Instant::now();
    let result = refine(
        &mut model,
        &pattern,
        &params,
        &RefineSettings::default(),
        &mut |c| {
            eprintln!(
                "cycle {}: chi2 {:.3} Rwp {:.3} lambda {:e}",
                c.cycle, c.chi2, c.rwp, c.lambda
            );
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    eprintln!("{:.2} s", t.elapsed().as_secs_f64());
    for p in &result.parameters {
        eprintln!("{} = {} ± {}", p.name, p.value, p.esd);
    }
    eprintln!("{:?}", result.r);
    eprintln!("{:?}", result.correlations);
    let a = model.phases[0].crystal.cell.a;
    eprintln!("a = {a}");
    assert!((a - 4.156826).abs() < 0.001, "a = {a}");
}
