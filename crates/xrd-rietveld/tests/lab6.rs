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
    let background = (BackgroundKind::Chebyshev, 6);
    let mut model = Model::for_pattern(inst, background, vec![crystal], &pattern).unwrap();
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
    // The certificate's value within the 0.001 Å. The 4.158 Å start is only
    // 0.0012 Å off, so also: within 3e-4 Å (measured 1.1e-4: a = 4.15672 Å; zero and
    // displacement correlate at 0.9999 and let `a` slide by ~2e-4 along their valley),
    // converged, and the fit statistics of docs/validation/rietveld.md, section 2.
    assert!((a - 4.156826).abs() < 0.001, "a = {a}");
    assert!((a - 4.156826).abs() < 3e-4, "a = {a}");
    assert!(result.converged, "{} cycles", result.cycles);
    assert!(result.r.rwp < 5.1 && result.r.gof < 1.45, "{:?}", result.r);
}

/// R_Bragg and R_F against exact values: a pattern whose peaks are the model's doubled
/// gives `I_o = 2 I_c` for every reflection, so R_Bragg = 1/2 and
/// R_F = (√2 − 1)/√2; the model's own pattern gives zero.
#[test]
fn bragg_r_factors_of_scaled_peaks() {
    use xrd_rietveld::report::bragg_r_factors;
    let crystal = Crystal::read_cif(&data("LaB6_start.cif"))
        .unwrap()
        .remove(0);
    let x: Vec<f64> = (0..11_000).map(|i| 15.0 + 0.01 * i as f64).collect();
    let mut bkg = Background::new(BackgroundKind::Chebyshev, 2, 15.0, 125.0).unwrap();
    bkg.coefficients = vec![100.0, 20.0];
    let model = Model::new(Instrument::monochromatic(1.5406), bkg, vec![crystal], 125.0).unwrap();
    let calc = model.calculate(&x).unwrap();
    let b = model.background_values(&x);
    let pattern_of = |factor: f64| {
        let y: Vec<f64> = calc
            .iter()
            .zip(&b)
            .map(|(c, b)| b + factor * (c - b))
            .collect();
        Pattern::new("synthetic", x.clone(), y, vec![1.0; x.len()]).unwrap()
    };
    let (rb, rf) = bragg_r_factors(&model, 0, &pattern_of(1.0)).unwrap();
    assert!(rb.abs() < 1e-9 && rf.abs() < 1e-9, "{rb} {rf}");
    let (rb, rf) = bragg_r_factors(&model, 0, &pattern_of(2.0)).unwrap();
    assert!((rb - 50.0).abs() < 1e-9, "{rb}");
    let exact = 100.0 * (2f64.sqrt() - 1.0) / 2f64.sqrt();
    assert!((rf - exact).abs() < 1e-9, "{rf} vs {exact}");
}
