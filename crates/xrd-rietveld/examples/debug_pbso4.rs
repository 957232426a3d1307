//! Scratch.
use std::ops::ControlFlow;
use std::path::Path;
use xrd_rietveld::background::{Background, BackgroundKind};
use xrd_rietveld::instrument::Instrument;
use xrd_rietveld::model::Model;
use xrd_rietveld::pattern::Pattern;
use xrd_rietveld::plan::{Plan, Stage, run_plan};
use xrd_rietveld::structure::Crystal;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let nb: usize = args[1].parse().unwrap();
    let extra: Vec<String> = args[2..].to_vec();
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let fap = std::env::var("FAP").is_ok();
    let (pf, prm, cif, lo, hi) = if fap {
        ("FAP.XRA", "FAP_INST_XRY.PRM", "FAP_start.cif", 15.0, 130.04)
    } else {
        (
            "PBSO4.XRA",
            "PBSO4_INST_XRY.PRM",
            "PbSO4-Wyckoff.cif",
            10.0,
            160.0,
        )
    };
    let pattern = Pattern::read(&d.join(pf))
        .unwrap()
        .restricted(lo, hi)
        .unwrap();
    let inst = Instrument::read_prm(&d.join(prm)).unwrap();
    let crystal = Crystal::read_cif(&d.join(cif)).unwrap().remove(0);
    let bkg = Background::new(BackgroundKind::Chebyshev, nb, lo, hi).unwrap();
    let mut model = Model::new(inst, bkg, vec![crystal], hi).unwrap();
    let mut plan = Plan::standard();
    if !extra.is_empty() {
        plan.stages.push(Stage {
            release: extra,
            max_cycles: 30,
        });
    }
    let r = run_plan(&mut model, &pattern, &plan, &mut |p| {
        println!("{} {:?}", p.stage, p.cycle);
        ControlFlow::Continue(())
    })
    .unwrap();
    println!("{:?}", r.r);
    let calc = model.calculate(&pattern.two_theta_deg).unwrap();
    // Worst residual regions in 5-degree bins.
    for b in 0..30 {
        let lo = 10.0 + 5.0 * b as f64;
        let (mut w, mut n) = (0.0, 0.0);
        for i in 0..calc.len() {
            let t = pattern.two_theta_deg[i];
            if t >= lo && t < lo + 5.0 {
                w += ((pattern.intensity[i] - calc[i]) / pattern.sigma[i]).powi(2);
                n += 1.0;
            }
        }
        print!("{lo}:{:.1} ", w / n);
    }
    println!();
    for p in &r.parameters {
        if !p.name.starts_with("bkg") {
            print!("{}={:.5} ", p.name, p.value);
        }
    }
    println!();
}
