//! Behaviour of the TPE search: determinism, parallel = serial, learning from good and
//! infeasible trials, and a clear advantage over uniform random search.

use std::ops::ControlFlow;

use xas_design::{Assignment, SearchSettings, Space, Study, TpeSettings, minimize};

fn go_on(_: &xas_design::Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// A shifted sphere in 4 dimensions on [-5, 5]⁴ (minimum 0 at `CENTRE`).
const CENTRE: [f64; 4] = [1.3, -2.2, 0.4, 3.1];

fn sphere_space() -> Space {
    (0..4)
        .try_fold(Space::new(), |s, i| s.float(&format!("x{i}"), -5.0, 5.0))
        .expect("valid space")
}

fn sphere(p: Assignment) -> f64 {
    CENTRE
        .iter()
        .enumerate()
        .map(|(i, c)| (p.float(&format!("x{i}")).unwrap_or(f64::NAN) - c).powi(2))
        .sum()
}

fn settings(trials: usize, seed: u64, startup: usize) -> SearchSettings {
    SearchSettings {
        trials,
        seed,
        tpe: TpeSettings {
            startup_trials: startup,
            ..TpeSettings::default()
        },
        ..SearchSettings::default()
    }
}

fn best_value(study: &Study) -> f64 {
    study.best().map_or(f64::INFINITY, |t| t.objective)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    0.5 * (v[(v.len() - 1) / 2] + v[v.len() / 2])
}

#[test]
fn same_seed_same_trials_on_any_thread_count() {
    let run = |threads: usize, seed: u64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| minimize(sphere_space(), sphere, settings(40, seed, 10), &mut go_on))
            .expect("search")
    };
    let one = run(1, 7);
    assert_eq!(one.trials(), run(2, 7).trials());
    assert_eq!(one.trials(), run(1, 7).trials());
    assert_ne!(one.trials(), run(1, 8).trials());
}

#[test]
fn ask_and_tell_by_hand_equals_run() {
    let s = settings(30, 3, 10);
    let auto = minimize(sphere_space(), sphere, s, &mut go_on).expect("search");
    let mut manual = Study::new(sphere_space(), s).expect("study");
    while manual.trials().len() < s.trials {
        let batch = s.batch.min(s.trials - manual.trials().len());
        for point in manual.propose(batch) {
            let value = sphere(manual.space().assignment(&point));
            manual.record(point, value).expect("record");
        }
    }
    assert_eq!(auto.trials(), manual.trials());
}

#[test]
fn tpe_beats_uniform_search_on_the_same_budget() {
    // Uniform search is the same code with every trial a start-up trial.
    let (trials, seeds) = (100, 1..=15u64);
    let best = |startup: usize| {
        median(
            seeds
                .clone()
                .map(|seed| {
                    best_value(
                        &minimize(
                            sphere_space(),
                            sphere,
                            settings(trials, seed, startup),
                            &mut go_on,
                        )
                        .expect("search"),
                    )
                })
                .collect(),
        )
    };
    let (tpe, uniform) = (best(10), best(trials));
    // Uniform search: the best of 100 points in a 10⁴ box is typically at a squared
    // distance of several units; TPE concentrates near the centre.
    assert!(tpe < 0.1 * uniform, "TPE {tpe} vs uniform {uniform}");
    assert!(tpe < 0.5, "TPE median best {tpe}");
}

#[test]
fn infeasible_and_bad_regions_are_learnt() {
    // Infeasible for x < 0; among five kinds only `c` is good.
    let space = Space::new()
        .float("x", -1.0, 1.0)
        .and_then(|s| s.categorical("kind", &["a", "b", "c", "d", "e"]))
        .expect("space");
    let objective = |p: Assignment| {
        let x = p.float("x").unwrap_or(f64::NAN);
        if x < 0.0 {
            return f64::INFINITY;
        }
        let kind = if p.choice("kind").ok() == Some("c") {
            0.0
        } else {
            1.0
        };
        (x - 0.5).powi(2) + kind
    };
    let study = minimize(space, objective, settings(80, 2, 10), &mut go_on).expect("search");
    let late = &study.trials()[40..];
    let infeasible = late.iter().filter(|t| t.objective.is_infinite()).count();
    let kind_c = late
        .iter()
        .filter(|t| study.space().assignment(&t.values).choice("kind").ok() == Some("c"))
        .count();
    // Uniform sampling would give about 20 infeasible and 8 of kind c out of 40.
    assert!(infeasible <= 8, "{infeasible} infeasible of 40");
    assert!(kind_c >= 24, "{kind_c} of kind c out of 40");
    assert!(best_value(&study) < 0.01);
}

#[test]
fn exploration_keeps_proposing_other_categories_without_losing_the_optimum() {
    let space = || {
        Space::new()
            .float("x", 0.0, 1.0)
            .and_then(|s| s.categorical("kind", &["a", "b", "c", "d", "e"]))
            .expect("space")
    };
    let objective = |p: Assignment| {
        let kind = if p.choice("kind").ok() == Some("c") {
            0.0
        } else {
            1.0
        };
        (p.float("x").unwrap_or(f64::NAN) - 0.5).powi(2) + kind
    };
    let others_late = |exploration: f64| {
        let mut s = settings(80, 2, 10);
        s.tpe.exploration = exploration;
        let study = minimize(space(), objective, s, &mut go_on).expect("search");
        assert!(best_value(&study) < 0.01, "exploration {exploration}");
        study.trials()[40..]
            .iter()
            .filter(|t| study.space().assignment(&t.values).choice("kind").ok() != Some("c"))
            .count()
    };
    let (plain, explored) = (others_late(0.0), others_late(0.5));
    // Half the dimensions drawn uniformly: about 0.5 × 4/5 × 40 = 16 other kinds.
    assert!(
        explored >= plain + 6 && explored >= 10,
        "{plain} vs {explored}"
    );
}

#[test]
fn integers_and_log_axes_are_searched_on_their_own_scale() {
    let space = Space::new()
        .int("n", 1, 15)
        .and_then(|s| s.log_float("rate", 1e-5, 1.0))
        .expect("space");
    // Minimum at n = 11, rate = 1e-3 (ln-distance).
    let objective = |p: Assignment| {
        let n = p.int("n").unwrap_or(0) as f64;
        let r = p.float("rate").unwrap_or(f64::NAN);
        (n - 11.0).powi(2) + (r.ln() - 1e-3f64.ln()).powi(2)
    };
    let study = minimize(space, objective, settings(80, 4, 10), &mut go_on).expect("search");
    let best = study.best().expect("feasible");
    let a = study.space().assignment(&best.values);
    assert_eq!(a.int("n").expect("n"), 11);
    let rate = a.float("rate").expect("rate");
    assert!((rate.ln() - 1e-3f64.ln()).abs() < 0.7, "rate {rate}");
}

#[test]
fn an_observer_stops_the_search_at_the_end_of_a_batch() {
    let mut seen = Vec::new();
    let study = minimize(sphere_space(), sphere, settings(40, 1, 10), &mut |p| {
        seen.push((p.completed, p.total, p.best.map(|b| b.objective)));
        if p.completed >= 6 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .expect("search");
    // Batches of 4: the break after trial 6 lets trials 7 and 8 finish.
    assert_eq!(study.trials().len(), 8);
    assert_eq!(seen.len(), 8);
    assert!(seen.iter().all(|s| s.1 == 40));
    let bests: Vec<f64> = seen.iter().filter_map(|s| s.2).collect();
    assert!(bests.windows(2).all(|w| w[1] <= w[0]), "best never worsens");
}

#[test]
fn bad_settings_and_records_are_clear_errors() {
    let e = |r: xas_design::Result<Study>| r.expect_err("must fail").to_string();
    assert!(e(Study::new(Space::new(), SearchSettings::default())).contains("`space`"));
    let zero_batch = SearchSettings {
        batch: 0,
        ..SearchSettings::default()
    };
    assert!(e(Study::new(sphere_space(), zero_batch)).contains("`batch`"));
    let bad_gamma = SearchSettings {
        tpe: TpeSettings {
            gamma: 1.5,
            ..TpeSettings::default()
        },
        ..SearchSettings::default()
    };
    assert!(e(Study::new(sphere_space(), bad_gamma)).contains("`gamma`"));
    let bad_exploration = SearchSettings {
        tpe: TpeSettings {
            exploration: -0.1,
            ..TpeSettings::default()
        },
        ..SearchSettings::default()
    };
    assert!(e(Study::new(sphere_space(), bad_exploration)).contains("`exploration`"));
    let mut study = Study::new(sphere_space(), SearchSettings::default()).expect("study");
    let err = study.record(vec![], 1.0).expect_err("short").to_string();
    assert!(err.contains("0 values for a space of 4"), "{err}");
    let point = study.propose(1).remove(0);
    assert!(
        study
            .record(point, f64::NAN)
            .expect("record")
            .objective
            .is_infinite()
    );
}
