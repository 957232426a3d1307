//! A search: trials proposed by TPE ([`crate::tpe`]) in batches, each batch evaluated in
//! parallel, results recorded in trial order.
//!
//! **Determinism.** Trial `n` draws from its own generator, `Pcg64Mcg` seeded from the
//! study seed and `n`, and a batch is proposed from the trials finished before it, so
//! the proposals depend on the seed and the batch size only: never on the number of
//! threads, the order in which parallel evaluations finish, or the `rayon` feature.

use std::ops::ControlFlow;

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use crate::space::{Assignment, Space, Value};
use crate::tpe::{TpeSettings, propose};
use crate::{Error, Result};

/// A finished trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Trial number (0-based, in the order trials were proposed).
    pub number: usize,
    /// The point evaluated, one value per dimension of the space.
    pub values: Vec<Value>,
    /// The objective (to be minimised); `+∞` for an infeasible or failed trial.
    pub objective: f64,
}

/// Settings of a search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchSettings {
    /// Number of trials (default 100).
    pub trials: usize,
    /// Trials proposed together and evaluated in parallel (default 4). Larger batches
    /// use more cores and learn less per trial; results depend on it (see the module
    /// docs), so it is a setting, not the thread count.
    pub batch: usize,
    /// Seed of the study (default 1).
    pub seed: u64,
    /// The sampler.
    pub tpe: TpeSettings,
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            trials: 100,
            batch: 4,
            seed: 1,
            tpe: TpeSettings::default(),
        }
    }
}

impl SearchSettings {
    /// Checks the settings.
    ///
    /// # Errors
    /// Zero trials or batch size, or bad sampler settings.
    pub fn validate(&self) -> Result<()> {
        if self.trials == 0 {
            return Err(Error::param("trials", "must be at least 1"));
        }
        if self.batch == 0 {
            return Err(Error::param("batch", "must be at least 1"));
        }
        self.tpe.validate()
    }
}

/// Progress after each recorded trial.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The trial just recorded.
    pub trial: &'a Trial,
    /// Trials finished so far.
    pub completed: usize,
    /// Trials planned.
    pub total: usize,
    /// The best feasible trial so far.
    pub best: Option<&'a Trial>,
}

/// A search in progress or finished: the space, the settings and the trials so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Study {
    space: Space,
    settings: SearchSettings,
    trials: Vec<Trial>,
}

impl Study {
    /// A study with no trials yet.
    ///
    /// # Errors
    /// An empty space or invalid settings.
    pub fn new(space: Space, settings: SearchSettings) -> Result<Self> {
        if space.dimensions().is_empty() {
            return Err(Error::param("space", "has no dimensions"));
        }
        settings.validate()?;
        Ok(Study {
            space,
            settings,
            trials: Vec::new(),
        })
    }

    /// The search space.
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// The finished trials in order.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// The feasible trial with the lowest objective (the earliest on ties).
    pub fn best(&self) -> Option<&Trial> {
        best_of(&self.trials)
    }

    /// The points of the next `count` trials, all proposed from the trials finished now.
    pub fn propose(&self, count: usize) -> Vec<Vec<Value>> {
        (self.trials.len()..self.trials.len() + count)
            .map(|n| {
                let mut rng = trial_rng(self.settings.seed, n);
                propose(&self.space, &self.trials, &self.settings.tpe, &mut rng)
            })
            .collect()
    }

    /// Records the next trial; a NaN objective counts as infeasible (`+∞`).
    ///
    /// # Errors
    /// `values` does not have one value per dimension.
    pub fn record(&mut self, values: Vec<Value>, objective: f64) -> Result<&Trial> {
        if values.len() != self.space.dimensions().len() {
            return Err(Error::param(
                "values",
                format!(
                    "{} values for a space of {} dimensions",
                    values.len(),
                    self.space.dimensions().len()
                ),
            ));
        }
        self.trials.push(Trial {
            number: self.trials.len(),
            values,
            objective: if objective.is_nan() {
                f64::INFINITY
            } else {
                objective
            },
        });
        Ok(&self.trials[self.trials.len() - 1])
    }

    /// Runs trials until the planned number is reached or `observer` breaks (the batch
    /// under way is finished and recorded first). `objective` is minimised; it returns
    /// `+∞` (or NaN) for an infeasible point.
    ///
    /// # Errors
    /// None in practice (the values always match the space); kept for future samplers.
    pub fn run<F>(
        &mut self,
        objective: F,
        observer: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
    ) -> Result<()>
    where
        F: Fn(Assignment) -> f64 + Sync,
    {
        self.run_with(|a| (objective(a), ()), &mut |p, ()| observer(p))
    }

    /// As [`Study::run`], for an objective that also returns details of each trial
    /// (why it was infeasible, what it produced), handed to `observer` with the
    /// progress, in trial order.
    ///
    /// # Errors
    /// As [`Study::run`].
    pub fn run_with<T, F>(
        &mut self,
        objective: F,
        observer: &mut dyn FnMut(&Progress, T) -> ControlFlow<()>,
    ) -> Result<()>
    where
        T: Send,
        F: Fn(Assignment) -> (f64, T) + Sync,
    {
        let total = self.settings.trials;
        while self.trials.len() < total {
            let count = self.settings.batch.min(total - self.trials.len());
            let points = self.propose(count);
            let results = evaluate(&self.space, &points, &objective);
            let mut stop = false;
            for (point, (value, details)) in points.into_iter().zip(results) {
                self.record(point, value)?;
                let progress = Progress {
                    trial: &self.trials[self.trials.len() - 1],
                    completed: self.trials.len(),
                    total,
                    best: self.best(),
                };
                stop |= observer(&progress, details).is_break();
            }
            if stop {
                break;
            }
        }
        Ok(())
    }
}

/// Minimises `objective` over `space`: [`Study::new`] then [`Study::run`].
///
/// # Errors
/// An empty space or invalid settings.
pub fn minimize<F>(
    space: Space,
    objective: F,
    settings: SearchSettings,
    observer: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Study>
where
    F: Fn(Assignment) -> f64 + Sync,
{
    let mut study = Study::new(space, settings)?;
    study.run(objective, observer)?;
    Ok(study)
}

/// The feasible trial with the lowest objective, the earliest on ties.
fn best_of(trials: &[Trial]) -> Option<&Trial> {
    trials
        .iter()
        .filter(|t| t.objective.is_finite())
        .min_by(|a, b| {
            a.objective
                .total_cmp(&b.objective)
                .then(a.number.cmp(&b.number))
        })
}

/// The generator of trial `number`: its own stream, a function of the seed and number.
fn trial_rng(seed: u64, number: usize) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(seed ^ (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The objective at each point, in parallel with the `rayon` feature.
fn evaluate<T, F>(space: &Space, points: &[Vec<Value>], objective: &F) -> Vec<(f64, T)>
where
    T: Send,
    F: Fn(Assignment) -> (f64, T) + Sync,
{
    let one = |p: &Vec<Value>| objective(space.assignment(p));
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        points.par_iter().map(one).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        points.iter().map(one).collect()
    }
}
