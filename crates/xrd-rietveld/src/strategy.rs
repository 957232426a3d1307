//! Automatic refinement strategy: a black-box search over how to refine, in the spirit of
//! BBO-Rietveld (Ozaki et al., npj Comput. Mater. 6, 75 (2020)), with an objective that
//! cannot be won by unphysical parameters.
//!
//! A trial is a [`Strategy`]: the 2θ window of the early stages, the background model
//! and its number of terms, whether the background is refined, whether the zero and the
//! specimen displacement are refined, which profile terms (U V W X Y SH/L, and on request
//! crystallite size and microstrain) are released,
//! the order of the cell, profile and atom stages, and a March-Dollase preferred
//! orientation (none or one of four low-index axes, refined with the atoms). It becomes a [`Plan`]
//! ([`Strategy::plan`]): a linear start of scales and background on the whole pattern;
//! scale (and background) on the window; the three stages in the chosen order, the cell
//! and profile ones on the window and the atom one on the whole pattern (coordinates
//! refined against a few peaks wander off); and a final stage with everything released
//! on the whole pattern. The
//! objective is the final Rwp (%), or `+∞` when the refinement fails or ends unphysical
//! ([`Validity::problem`]). The search is [`xas_design`]'s seeded TPE with parallel trials.
//!
//! Compared with BBO-Rietveld's 16 dimensions this drops the ones that have no effect
//! there (Debye-Scherrer displacements in Bragg-Brentano geometry, a scale flag that is
//! always on, a stage-1 refine flag that is ignored) and adds the specimen displacement,
//! the stage order, the choice of texture axis and the validity constraints.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use xas_design::{Assignment, SearchSettings, Space, Study, TpeSettings};

use crate::background::{Background, BackgroundKind};
use crate::model::Model;
use crate::pattern::Pattern;
use crate::plan::{Plan, Stage, run_plan};
use crate::preferred_orientation::MarchDollase;
use crate::refine::{MIN_SIZE_UM, Refinement};
use crate::{Error, Result};

/// Instrument profile terms a strategy may release, with their names in plans.
pub const PROFILE_TERMS: [&str; 6] = ["U", "V", "W", "X", "Y", "SH/L"];
/// Sample broadening terms a strategy may also release when
/// [`AutoSettings::sample_broadening`] is set: crystallite size and microstrain.
pub const SAMPLE_TERMS: [&str; 2] = ["size", "mustrain"];
/// Background models a strategy chooses from.
const BACKGROUNDS: [(&str, BackgroundKind); 3] = [
    ("chebyshev", BackgroundKind::Chebyshev),
    ("linear", BackgroundKind::LinearInterpolation),
    ("log", BackgroundKind::LogInterpolation),
];
/// Orders of the cell, profile and atom stages.
const ORDERS: [(&str, [StageKind; 3]); 3] = [
    (
        "cell-profile-atoms",
        [StageKind::Cell, StageKind::Profile, StageKind::Atoms],
    ),
    (
        "profile-cell-atoms",
        [StageKind::Profile, StageKind::Cell, StageKind::Atoms],
    ),
    (
        "cell-atoms-profile",
        [StageKind::Cell, StageKind::Atoms, StageKind::Profile],
    ),
];
/// Preferred-orientation choices: none, or a March-Dollase axis (Miller indices).
const ORIENTATIONS: [(&str, Option<[i32; 3]>); 5] = [
    ("none", None),
    ("0 0 1", Some([0, 0, 1])),
    ("1 0 0", Some([1, 0, 0])),
    ("1 1 0", Some([1, 1, 0])),
    ("1 1 1", Some([1, 1, 1])),
];
/// Widest background (most coefficients or knots) a strategy may choose.
pub const MAX_BACKGROUND_TERMS: usize = 15;

/// A stage of a strategy between the scale stage and the final one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageKind {
    /// Cell (with the zero and displacement if chosen).
    Cell,
    /// The chosen profile terms (instrument and sample).
    Profile,
    /// Coordinates and `U_iso`.
    Atoms,
}

/// One refinement strategy (a point of the search space).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    /// 2θ window of the early stages (degrees).
    pub window: [f64; 2],
    /// Background model.
    pub background: BackgroundKind,
    /// Background coefficients or knots.
    pub background_terms: usize,
    /// Whether the background is refined (otherwise it keeps its linear-start values).
    pub refine_background: bool,
    /// Whether the zero shift is refined.
    pub zero: bool,
    /// Whether the specimen displacement is refined.
    pub shift: bool,
    /// Profile terms released (names of [`PROFILE_TERMS`] and [`SAMPLE_TERMS`]).
    pub profile: Vec<String>,
    /// Order of the cell, profile and atom stages.
    pub order: [StageKind; 3],
    /// March-Dollase axis of every phase (refined with the atoms), or none.
    pub preferred_orientation: Option<[i32; 3]>,
}

/// Settings of the automatic search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoSettings {
    /// The search (default 200 trials, batches of 4, seed 1, 20 uniform start trials,
    /// exploration 0.1: without it TPE fixes the flags after about 25 trials).
    pub search: SearchSettings,
    /// Cycle limit of each window stage (default 5).
    pub stage_cycles: usize,
    /// Cycle limit of the final whole-pattern stage (default 20).
    pub final_cycles: usize,
    /// What counts as physical.
    pub validity: Validity,
    /// Whether the search may also release crystallite size and microstrain
    /// ([`SAMPLE_TERMS`]; default false). They broaden peaks like the instrument's X and
    /// Y and are not determined alongside them for a well-crystallised sample; two more
    /// dimensions then only dilute the trial budget (Y2O3, 200 trials: best Rwp 5.34 %
    /// with them against 5.22 % without, neither using them).
    #[serde(default)]
    pub sample_broadening: bool,
}

impl Default for AutoSettings {
    fn default() -> Self {
        AutoSettings {
            search: SearchSettings {
                trials: 200,
                tpe: TpeSettings {
                    startup_trials: 20,
                    exploration: 0.1,
                    ..TpeSettings::default()
                },
                ..SearchSettings::default()
            },
            stage_cycles: 5,
            final_cycles: 20,
            validity: Validity::default(),
            sample_broadening: false,
        }
    }
}

/// Bounds a refined model must respect to count as a solution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Validity {
    /// Largest |zero shift| (degrees 2θ; default 0.5).
    pub max_zero_deg: f64,
    /// Largest |specimen displacement| (µm; default 500).
    pub max_shift_um: f64,
    /// Largest relative change of a cell edge from the start model (default 0.01).
    pub max_cell_change: f64,
    /// Largest distance an atom may move from its start position (Å; default 0.5).
    pub max_atom_shift: f64,
    /// Smallest `U_iso` (Å²; default 1e-4: a value pinned at the bound 0 means the fit
    /// wanted a negative one).
    pub min_uiso: f64,
    /// Largest `U_iso` (Å²; default 0.1).
    pub max_uiso: f64,
}

impl Default for Validity {
    fn default() -> Self {
        Validity {
            max_zero_deg: 0.5,
            max_shift_um: 500.0,
            max_cell_change: 0.01,
            max_atom_shift: 0.5,
            min_uiso: 1e-4,
            max_uiso: 0.1,
        }
    }
}

impl Validity {
    /// Why `model` (refined from `start` against `pattern`, with the final `refinement`)
    /// is unphysical, if it is: a profile width out of bounds anywhere in the range, a
    /// negative background, a zero, displacement, cell edge, atom position or `U_iso`
    /// (`U_eq`) outside the bounds above, an anisotropic `U` that is not positive
    /// definite, or a crystallite size pinned at its lower bound [`MIN_SIZE_UM`] (the
    /// fit wanted even broader peaks from the sample).
    pub fn problem(
        &self,
        model: &Model,
        start: &Model,
        pattern: &Pattern,
        refinement: &Refinement,
    ) -> Option<String> {
        if let Some(w) = refinement.warnings.first() {
            return Some(w.clone());
        }
        let x = &pattern.two_theta_deg;
        if let Some(p) = model.profile_problem(x[0], x[x.len() - 1]) {
            return Some(p);
        }
        if let Some((t, b)) = x
            .iter()
            .zip(model.background_values(x))
            .find(|(_, b)| *b < 0.0)
        {
            return Some(format!("negative background {b:.1} at 2θ = {t:.2}°"));
        }
        let zero = model.instrument.zero_deg;
        if zero.abs() > self.max_zero_deg {
            return Some(format!(
                "zero shift {zero:.3}° beyond ±{}°",
                self.max_zero_deg
            ));
        }
        if model.shift_um.abs() > self.max_shift_um {
            return Some(format!(
                "specimen displacement {:.0} µm beyond ±{} µm",
                model.shift_um, self.max_shift_um
            ));
        }
        if let Some(phase) = model
            .phases
            .iter()
            .find(|p| p.broadening.size_um <= MIN_SIZE_UM)
        {
            return Some(format!(
                "{}: crystallite size at its lower bound {MIN_SIZE_UM} µm",
                phase.crystal.name
            ));
        }
        model
            .phases
            .iter()
            .zip(&start.phases)
            .find_map(|(phase, first)| self.phase_problem(&phase.crystal, &first.crystal))
    }

    /// The cell, position and `U_iso` checks of one phase.
    fn phase_problem(
        &self,
        crystal: &crate::structure::Crystal,
        start: &crate::structure::Crystal,
    ) -> Option<String> {
        let (now, then) = (&crystal.cell, &start.cell);
        for (edge, a, a0) in [
            ("a", now.a, then.a),
            ("b", now.b, then.b),
            ("c", now.c, then.c),
        ] {
            if ((a - a0) / a0).abs() > self.max_cell_change {
                return Some(format!(
                    "{}: cell {edge} {a:.5} Å moved more than {} % from {a0:.5} Å",
                    crystal.name,
                    100.0 * self.max_cell_change
                ));
            }
        }
        let g = now.metric();
        crystal
            .atoms
            .iter()
            .zip(&start.atoms)
            .find_map(|(atom, first)| {
                let d: Vec<f64> = (0..3).map(|k| atom.xyz[k] - first.xyz[k]).collect();
                let moved = (0..3)
                    .map(|i| (0..3).map(|j| d[i] * g[i][j] * d[j]).sum::<f64>())
                    .sum::<f64>()
                    .sqrt();
                if moved > self.max_atom_shift {
                    Some(format!(
                        "{}: {} moved {moved:.2} Å from its start position",
                        crystal.name, atom.label
                    ))
                } else if atom
                    .u_aniso
                    .is_some_and(|u| !crate::adp::is_positive_definite(&u, &crystal.cell))
                {
                    Some(format!(
                        "{}: {} anisotropic U is not positive definite",
                        crystal.name, atom.label
                    ))
                } else if !(self.min_uiso..=self.max_uiso).contains(&atom.u_iso) {
                    Some(format!(
                        "{}: {} U_iso {:.5} Å² outside [{}, {}]",
                        crystal.name, atom.label, atom.u_iso, self.min_uiso, self.max_uiso
                    ))
                } else {
                    None
                }
            })
    }
}

/// The search space over a pattern spanning `[lo, hi]` degrees: window start and width
/// fraction, background model, terms and refine flag, zero and displacement flags, one
/// flag per profile term (and per sample term with `sample_broadening`) and the stage
/// order.
///
/// # Errors
/// A range narrower than 2°.
pub fn search_space(lo: f64, hi: f64, sample_broadening: bool) -> Result<Space> {
    let min_width = min_window(lo, hi)?;
    let space = Space::new()
        .float("window start", lo, hi - min_width)?
        .float("window width fraction", 0.0, 1.0)?
        .categorical("background", &BACKGROUNDS.map(|b| b.0))?
        .int("background terms", 2, MAX_BACKGROUND_TERMS as i64)?
        .flag("refine background")?
        .flag("zero")?
        .flag("shift")?
        .categorical("order", &ORDERS.map(|o| o.0))?
        .categorical("preferred orientation", &ORIENTATIONS.map(|o| o.0))?;
    let sample: &[&str] = if sample_broadening {
        &SAMPLE_TERMS
    } else {
        &[]
    };
    Ok(PROFILE_TERMS
        .iter()
        .chain(sample)
        .try_fold(space, |s, t| s.flag(t))?)
}

/// The entry of `list` named `key`.
fn choose<T: Copy>(list: &[(&str, T)], dimension: &str, key: &str) -> Result<T> {
    list.iter()
        .find(|(name, _)| *name == key)
        .map(|e| e.1)
        .ok_or_else(|| Error::param(dimension, format!("unknown choice `{key}`")))
}

/// The narrowest early-stage window: 20° as in BBO-Rietveld, or half the range if that
/// is smaller.
fn min_window(lo: f64, hi: f64) -> Result<f64> {
    if (hi - lo).is_nan() || hi - lo < 2.0 {
        return Err(Error::param(
            "range",
            format!("a strategy search needs at least 2° of pattern, got {lo}..{hi}"),
        ));
    }
    Ok(20f64.min(0.5 * (hi - lo)))
}

impl Strategy {
    /// The strategy at a point of [`search_space`]`(lo, hi, _)` (the sample terms are
    /// released where the space has them).
    ///
    /// # Errors
    /// A point of another space.
    pub fn from_assignment(a: &Assignment, lo: f64, hi: f64) -> Result<Self> {
        let start = a.float("window start")?;
        let min_width = min_window(lo, hi)?;
        let width = min_width + a.float("window width fraction")? * (hi - start - min_width);
        let background = choose(&BACKGROUNDS, "background", a.choice("background")?)?;
        let order = choose(&ORDERS, "order", a.choice("order")?)?;
        let preferred_orientation = choose(
            &ORIENTATIONS,
            "preferred orientation",
            a.choice("preferred orientation")?,
        )?;
        let mut profile = Vec::new();
        for term in PROFILE_TERMS {
            if a.flag(term)? {
                profile.push(term.to_string());
            }
        }
        for term in SAMPLE_TERMS {
            if a.contains(term) && a.flag(term)? {
                profile.push(term.to_string());
            }
        }
        Ok(Strategy {
            window: [start, (start + width).min(hi)],
            background,
            background_terms: a.int("background terms")? as usize,
            refine_background: a.flag("refine background")?,
            zero: a.flag("zero")?,
            shift: a.flag("shift")?,
            profile,
            order,
            preferred_orientation,
        })
    }

    /// The refinement plan of this strategy (see the module docs).
    pub fn plan(&self, stage_cycles: usize, final_cycles: usize) -> Plan {
        let stage = |release: Vec<&str>, range: Option<[f64; 2]>, cycles: usize| Stage {
            release: release.into_iter().map(str::to_string).collect(),
            max_cycles: cycles,
            range,
        };
        let window = Some(self.window);
        let mut first = vec!["scale"];
        if self.refine_background {
            first.push("background");
        }
        let mut released = first.clone();
        let mut stages = vec![stage(first, window, stage_cycles)];
        for kind in self.order {
            let release = match kind {
                StageKind::Cell => {
                    let mut r = vec!["cell"];
                    r.extend(self.zero.then_some("zero"));
                    r.extend(self.shift.then_some("shift"));
                    r
                }
                StageKind::Profile => self.profile.iter().map(String::as_str).collect(),
                StageKind::Atoms => {
                    let mut r = vec!["xyz", "uiso"];
                    r.extend(self.preferred_orientation.map(|_| "po"));
                    r
                }
            };
            // Coordinates need the reflections of the whole pattern: on a window of a
            // few peaks they are barely determined and wander off.
            let range = if kind == StageKind::Atoms {
                None
            } else {
                window
            };
            if !release.is_empty() {
                released.extend(&release);
                stages.push(stage(release, range, stage_cycles));
            }
        }
        stages.push(stage(released, None, final_cycles));
        Plan { stages }
    }

    /// `start` with this strategy's background (zero coefficients over the pattern's
    /// range, set by the plan's linear start) and preferred orientation (ratio 1).
    ///
    /// # Errors
    /// Background settings the model refuses.
    pub fn model(&self, start: &Model, pattern: &Pattern) -> Result<Model> {
        let x = &pattern.two_theta_deg;
        let mut model = start.clone();
        model.background =
            Background::new(self.background, self.background_terms, x[0], x[x.len() - 1])?;
        for phase in &mut model.phases {
            phase.preferred_orientation = self.preferred_orientation.map(MarchDollase::new);
        }
        Ok(model)
    }

    /// Runs this strategy from `start`: the refined model and its final refinement.
    ///
    /// # Errors
    /// A failed refinement.
    pub fn run(
        &self,
        start: &Model,
        pattern: &Pattern,
        settings: &AutoSettings,
    ) -> Result<(Model, Refinement)> {
        let mut model = self.model(start, pattern)?;
        let plan = self.plan(settings.stage_cycles, settings.final_cycles);
        let refinement = run_plan(&mut model, pattern, &plan, &mut |_| {
            ControlFlow::Continue(())
        })?;
        Ok((model, refinement))
    }
}

/// The outcome of one trial.
#[derive(Debug, Clone, PartialEq)]
pub enum TrialOutcome {
    /// A physical solution with this final Rwp (%).
    Valid(f64),
    /// The refinement ended unphysical, for this reason.
    Unphysical(String),
    /// The refinement failed.
    Failed(String),
}

impl TrialOutcome {
    /// The objective: Rwp rounded to 10⁻⁴ %, or `+∞`. The rounding turns near-ties
    /// (strategies converging to the same minimum) into exact ties, broken by trial
    /// number, so that last-bit differences of the linear algebra (SIMD paths differ
    /// between machines and builds) do not steer the search.
    pub fn objective(&self) -> f64 {
        match self {
            TrialOutcome::Valid(rwp) => (rwp * 1e4).round() / 1e4,
            _ => f64::INFINITY,
        }
    }
}

/// Runs `strategy` and judges the result.
pub fn evaluate(
    strategy: &Strategy,
    start: &Model,
    pattern: &Pattern,
    settings: &AutoSettings,
) -> TrialOutcome {
    match strategy.run(start, pattern, settings) {
        Err(e) => TrialOutcome::Failed(e.to_string()),
        Ok((model, refinement)) => {
            match settings
                .validity
                .problem(&model, start, pattern, &refinement)
            {
                Some(why) => TrialOutcome::Unphysical(why),
                None => TrialOutcome::Valid(refinement.r.rwp),
            }
        }
    }
}

/// Progress of the search after each trial.
#[derive(Debug, Clone)]
pub struct SearchProgress {
    /// Trials finished.
    pub completed: usize,
    /// Trials planned.
    pub total: usize,
    /// The trial's outcome.
    pub outcome: TrialOutcome,
    /// Best valid Rwp so far (%).
    pub best_rwp: Option<f64>,
}

/// The result of [`auto_refine`].
#[derive(Debug, Clone)]
pub struct AutoResult {
    /// Every trial (objective = final Rwp, `+∞` if rejected).
    pub study: Study,
    /// Strategy and outcome of each trial, in trial order.
    pub outcomes: Vec<(Strategy, TrialOutcome)>,
    /// The best strategy.
    pub strategy: Strategy,
    /// Its plan (replayable with [`run_plan`] on [`Strategy::model`]).
    pub plan: Plan,
    /// The refined model of the best strategy.
    pub model: Model,
    /// Its final refinement.
    pub refinement: Refinement,
}

/// Searches refinement strategies for `start` (instrument and phases; its background is
/// replaced per trial) against `pattern`, then reruns the best one. `observer` sees every
/// trial and may stop the search (after the batch under way).
///
/// # Errors
/// Bad settings, a pattern range under 2°, or no trial giving a physical solution (the
/// error counts the rejections and quotes the first reason).
pub fn auto_refine(
    start: &Model,
    pattern: &Pattern,
    settings: &AutoSettings,
    observer: &mut dyn FnMut(&SearchProgress) -> ControlFlow<()>,
) -> Result<AutoResult> {
    let x = &pattern.two_theta_deg;
    let (lo, hi) = (x[0], x[x.len() - 1]);
    let space = search_space(lo, hi, settings.sample_broadening)?;
    let mut study = Study::new(space, settings.search)?;
    let mut outcomes = Vec::new();
    let mut failure = None;
    study.run_with(
        |a| match Strategy::from_assignment(&a, lo, hi) {
            Ok(s) => {
                let outcome = evaluate(&s, start, pattern, settings);
                (outcome.objective(), Ok((s, outcome)))
            }
            Err(e) => (f64::INFINITY, Err(e)),
        },
        &mut |p, trial: Result<(Strategy, TrialOutcome)>| match trial {
            Ok((strategy, outcome)) => {
                let flow = observer(&SearchProgress {
                    completed: p.completed,
                    total: p.total,
                    outcome: outcome.clone(),
                    best_rwp: p.best.map(|b| b.objective),
                });
                outcomes.push((strategy, outcome));
                flow
            }
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        },
    )?;
    if let Some(e) = failure {
        return Err(e);
    }
    let Some(best) = study.best() else {
        let why = outcomes
            .iter()
            .find_map(|(_, o)| match o {
                TrialOutcome::Unphysical(w) | TrialOutcome::Failed(w) => Some(w.as_str()),
                TrialOutcome::Valid(_) => None,
            })
            .unwrap_or("no trials");
        return Err(Error::param(
            "strategy search",
            format!(
                "none of {} trials gave a physical refinement (first reason: {why})",
                outcomes.len()
            ),
        ));
    };
    let strategy = Strategy::from_assignment(&study.space().assignment(&best.values), lo, hi)?;
    let (model, refinement) = strategy.run(start, pattern, settings)?;
    let plan = strategy.plan(settings.stage_cycles, settings.final_cycles);
    Ok(AutoResult {
        study,
        outcomes,
        strategy,
        plan,
        model,
        refinement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategy() -> Strategy {
        Strategy {
            window: [30.0, 80.0],
            background: BackgroundKind::LogInterpolation,
            background_terms: 6,
            refine_background: false,
            zero: true,
            shift: false,
            profile: vec!["W".into(), "SH/L".into()],
            order: [StageKind::Atoms, StageKind::Profile, StageKind::Cell],
            preferred_orientation: Some([0, 0, 1]),
        }
    }

    #[test]
    fn a_strategy_becomes_window_stages_in_its_order_then_everything_on_the_whole_range() {
        let plan = strategy().plan(4, 12);
        let releases: Vec<Vec<&str>> = plan
            .stages
            .iter()
            .map(|s| s.release.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            releases,
            vec![
                vec!["scale"],
                vec!["xyz", "uiso", "po"],
                vec!["W", "SH/L"],
                vec!["cell", "zero"],
                vec!["scale", "xyz", "uiso", "po", "W", "SH/L", "cell", "zero"],
            ]
        );
        let last = plan.stages.len() - 1;
        for (i, s) in plan.stages.iter().enumerate() {
            let (range, cycles) = if i == last {
                (None, 12)
            } else if i == 1 {
                (None, 4) // atoms
            } else {
                (Some([30.0, 80.0]), 4)
            };
            assert_eq!((s.range, s.max_cycles), (range, cycles), "stage {i}");
        }
    }

    #[test]
    fn an_empty_profile_choice_adds_no_stage() {
        let s = Strategy {
            profile: Vec::new(),
            refine_background: true,
            ..strategy()
        };
        let plan = s.plan(5, 20);
        assert_eq!(plan.stages.len(), 4);
        assert_eq!(plan.stages[0].release, ["scale", "background"]);
    }

    #[test]
    fn every_point_of_the_space_decodes_to_a_strategy_inside_the_range() {
        use rand::SeedableRng;
        let space = search_space(15.0, 150.0, false).unwrap();
        assert_eq!(space.dimensions().len(), 9 + PROFILE_TERMS.len());
        let wider = search_space(15.0, 150.0, true).unwrap();
        assert_eq!(wider.dimensions().len(), 9 + PROFILE_TERMS.len() + 2);
        let values = wider.sample_uniform(&mut rand_pcg::Pcg64Mcg::seed_from_u64(3));
        let s = Strategy::from_assignment(&wider.assignment(&values), 15.0, 150.0).unwrap();
        for term in SAMPLE_TERMS {
            let released = s.profile.iter().any(|p| p == term);
            assert_eq!(released, wider.assignment(&values).flag(term).unwrap());
        }
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        for _ in 0..500 {
            let values = space.sample_uniform(&mut rng);
            let s = Strategy::from_assignment(&space.assignment(&values), 15.0, 150.0).unwrap();
            let [lo, hi] = s.window;
            assert!(
                15.0 <= lo && hi <= 150.0 && hi - lo >= 20.0 - 1e-9,
                "{lo}..{hi}"
            );
            assert!((2..=MAX_BACKGROUND_TERMS).contains(&s.background_terms));
        }
        // A narrow pattern keeps windows of half its range.
        let s = search_space(40.0, 50.0, false).unwrap();
        let values = s.sample_uniform(&mut rng);
        let w = Strategy::from_assignment(&s.assignment(&values), 40.0, 50.0)
            .unwrap()
            .window;
        assert!(w[1] - w[0] >= 5.0 - 1e-9 && w[1] <= 50.0);
        let e = search_space(40.0, 41.0, false).unwrap_err().to_string();
        assert!(e.contains("at least 2°"), "{e}");
    }
}
