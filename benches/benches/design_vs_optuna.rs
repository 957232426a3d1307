//! xas-design's TPE against Optuna's TPESampler (the sampler BBO-Rietveld used) on two
//! analytic problems with known minimum 0, same budgets and seeds, in one run:
//!
//! 1. a shifted sphere in 4 dimensions on [-5, 5]⁴;
//! 2. a mixed space: an integer, a log-scaled float, a 5-way categorical and a float.
//!
//! Both run 10 uniform start trials, then 90 TPE trials, sequentially (batch 1), for
//! seeds 1-15; Optuna twice, with its defaults (multivariate TPE since Optuna 4) and
//! with `multivariate=False` (independent TPE, the algorithm implemented here).
//! Reported: the median and worst best value over the seeds (lower is better) and the
//! sampler's time per trial (the objectives are trivial).
//!
//! `cargo bench -p xas-benches --bench design_vs_optuna` (after `benches/peers/setup.sh`).
#![allow(missing_docs, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::time::Instant;

use serde_json::json;
use xas_design::{Assignment, SearchSettings, Space, TpeSettings, minimize};

const TRIALS: usize = 100;
const SEEDS: u64 = 15;
const CENTRE: [f64; 4] = [1.3, -2.2, 0.4, 3.1];

fn sphere_space() -> Space {
    (0..4)
        .try_fold(Space::new(), |s, i| s.float(&format!("x{i}"), -5.0, 5.0))
        .unwrap()
}

fn sphere(p: Assignment) -> f64 {
    CENTRE
        .iter()
        .enumerate()
        .map(|(i, c)| (p.float(&format!("x{i}")).unwrap() - c).powi(2))
        .sum()
}

fn mixed_space() -> Space {
    Space::new()
        .int("n", 1, 15)
        .and_then(|s| s.log_float("rate", 1e-5, 1.0))
        .and_then(|s| s.categorical("kind", &["a", "b", "c", "d", "e"]))
        .and_then(|s| s.float("x", 0.0, 1.0))
        .unwrap()
}

fn mixed(p: Assignment) -> f64 {
    let n = p.int("n").unwrap() as f64;
    let r = p.float("rate").unwrap();
    let kind = if p.choice("kind").unwrap() == "c" {
        0.0
    } else {
        1.0
    };
    (n - 11.0).powi(2) / 10.0
        + (r.ln() - 1e-3f64.ln()).powi(2) / 10.0
        + kind
        + (p.float("x").unwrap() - 0.5).powi(2)
}

/// Best value per seed and seconds per trial.
fn ours(space: fn() -> Space, objective: fn(Assignment) -> f64) -> (Vec<f64>, f64) {
    let t = Instant::now();
    let best = (1..=SEEDS)
        .map(|seed| {
            let settings = SearchSettings {
                trials: TRIALS,
                batch: 1,
                seed,
                tpe: TpeSettings::default(),
            };
            minimize(space(), objective, settings, &mut |_| {
                ControlFlow::Continue(())
            })
            .unwrap()
            .best()
            .unwrap()
            .objective
        })
        .collect();
    (
        best,
        t.elapsed().as_secs_f64() / (TRIALS as f64 * SEEDS as f64),
    )
}

fn median_and_worst(v: &[f64]) -> (f64, f64) {
    let worst = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (xas_benches::median(v), worst)
}

fn main() {
    let peer = xas_benches::run_peer("tpe_optuna.py", &[TRIALS.to_string(), SEEDS.to_string()]);
    let mut rows = Vec::new();
    for (name, space, objective) in [
        (
            "sphere",
            sphere_space as fn() -> Space,
            sphere as fn(Assignment) -> f64,
        ),
        ("mixed", mixed_space, mixed),
    ] {
        let (best, seconds) = ours(space, objective);
        let (median, worst) = median_and_worst(&best);
        println!(
            "{name}: xas-design median best {median:.4}, worst {worst:.4}, {:.0} µs per trial",
            1e6 * seconds
        );
        let mut row = json!({"problem": name, "ours_median": median, "ours_worst": worst,
                             "ours_seconds_per_trial": seconds});
        for mode in ["default", "univariate"] {
            let key = format!("{name}_{mode}");
            match &peer {
                Ok(p) => {
                    let theirs: Vec<f64> = p[&key]["best"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|x| x.as_f64())
                        .collect();
                    let (pm, pw) = median_and_worst(&theirs);
                    let ps = p[&key]["seconds_per_trial"].as_f64().unwrap();
                    println!(
                        "{name}: Optuna {} ({mode}) median best {pm:.4}, worst {pw:.4}, {:.0} µs per trial; ours {:.0}x faster",
                        p["optuna"],
                        1e6 * ps,
                        ps / seconds
                    );
                    row[format!("optuna_{mode}_median")] = json!(pm);
                    row[format!("optuna_{mode}_worst")] = json!(pw);
                    row[format!("optuna_{mode}_seconds_per_trial")] = json!(ps);
                }
                Err(e) => println!("{name}: Optuna not run ({e})"),
            }
        }
        rows.push(row);
    }
    println!("{}", serde_json::Value::Array(rows));
}
