//! The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and Kégl, NeurIPS
//! 2011): after a few uniform trials, split the finished trials into the best fraction
//! `γ` ("good") and the rest ("bad"), fit a Parzen density to each, `l(x)` to the good
//! and `g(x)` to the bad, draw candidates from `l` and keep the one
//! with the largest `l(x)/g(x)`, which maximises expected improvement under this model.
//! Dimensions are treated independently (univariate TPE). Infeasible trials (objective
//! `+∞`) are never good, so the search learns to avoid their region.
//!
//! The densities: a numeric dimension on `[lo, hi]` gets a mixture of Gaussians
//! truncated to the interval, one of weight 1 at each observation (bandwidth the larger
//! distance to its sorted neighbours (the interval ends included), clipped to
//! `[(hi − lo)/min(100, n + 2), hi − lo]`)
//! and a prior of weight `prior_weight` at the centre with `σ = hi − lo`; a categorical
//! one is an equal mixture of a uniform prior and one kernel per observation,
//! `∝ [c = c_k] + prior_weight/(n + 1)` over its `m` choices.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::parzen::{CategoricalParzen, NumericParzen};
use crate::space::{Dimension, Space, Value};
use crate::study::Trial;
use crate::{Error, Result};

/// Settings of the TPE sampler (defaults as in Optuna's `TPESampler`, except the
/// number of uniform start trials, which callers usually set to their budget).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TpeSettings {
    /// Trials drawn uniformly before the model is used (default 10).
    pub startup_trials: usize,
    /// Candidates drawn from `l(x)` per dimension (default 24).
    pub candidates: usize,
    /// Fraction of the trials counted as good, `n_good = ⌈γ n⌉` (default 0.1).
    pub gamma: f64,
    /// Upper limit of `n_good` (default 25).
    pub max_good: usize,
    /// Weight of the prior component of every density, in observations (default 1).
    pub prior_weight: f64,
    /// Probability that a dimension of a proposal is drawn uniformly instead of from the
    /// model (default 0, plain TPE). Univariate TPE settles on one combination of
    /// categorical values early; a small value (0.1) keeps trying single changes of the
    /// best combinations, a local search the model alone does not do.
    pub exploration: f64,
}

impl Default for TpeSettings {
    fn default() -> Self {
        TpeSettings {
            startup_trials: 10,
            candidates: 24,
            gamma: 0.1,
            max_good: 25,
            prior_weight: 1.0,
            exploration: 0.0,
        }
    }
}

impl TpeSettings {
    /// Checks the settings.
    ///
    /// # Errors
    /// Zero candidates or `max_good`, `γ` outside `(0, 1)`, a non-positive prior weight.
    pub fn validate(&self) -> Result<()> {
        if self.candidates == 0 {
            return Err(Error::param("candidates", "must be at least 1"));
        }
        if self.max_good == 0 {
            return Err(Error::param("max_good", "must be at least 1"));
        }
        if !(self.gamma > 0.0 && self.gamma < 1.0) {
            return Err(Error::param(
                "gamma",
                format!("must lie in (0, 1), got {}", self.gamma),
            ));
        }
        if !(0.0..=1.0).contains(&self.exploration) {
            return Err(Error::param(
                "exploration",
                format!("must lie in [0, 1], got {}", self.exploration),
            ));
        }
        if !(self.prior_weight > 0.0 && self.prior_weight.is_finite()) {
            return Err(Error::param(
                "prior_weight",
                format!("must be positive, got {}", self.prior_weight),
            ));
        }
        Ok(())
    }
}

/// The next point to evaluate given the finished `history`.
pub fn propose(
    space: &Space,
    history: &[Trial],
    settings: &TpeSettings,
    rng: &mut impl Rng,
) -> Vec<Value> {
    let feasible = history.iter().filter(|t| t.objective.is_finite()).count();
    if history.len() < settings.startup_trials || feasible == 0 {
        return space.sample_uniform(rng);
    }
    let mut order: Vec<&Trial> = history.iter().collect();
    order.sort_by(|a, b| {
        a.objective
            .total_cmp(&b.objective)
            .then(a.number.cmp(&b.number))
    });
    let n_good = ((settings.gamma * history.len() as f64).ceil() as usize)
        .clamp(1, settings.max_good)
        .min(feasible);
    let (good, bad) = order.split_at(n_good);
    space
        .dimensions()
        .iter()
        .enumerate()
        .map(|(d, dim)| propose_dimension(dim, d, good, bad, settings, rng))
        .collect()
}

/// The candidate of dimension `d` with the largest `ln l − ln g`.
fn propose_dimension(
    dim: &Dimension,
    d: usize,
    good: &[&Trial],
    bad: &[&Trial],
    settings: &TpeSettings,
    rng: &mut impl Rng,
) -> Value {
    if settings.exploration > 0.0 && rng.random::<f64>() < settings.exploration {
        return dim.sample_uniform(rng);
    }
    let coordinates = |trials: &[&Trial]| -> Vec<f64> {
        trials
            .iter()
            .map(|t| dim.to_internal(t.values[d]))
            .collect()
    };
    let best = |scores: Vec<(f64, f64)>| {
        scores
            .into_iter()
            .fold((f64::NAN, f64::NEG_INFINITY), |acc, (x, s)| {
                if s > acc.1 { (x, s) } else { acc }
            })
            .0
    };
    match (dim, dim.internal_bounds()) {
        (Dimension::Categorical { choices, .. }, _) => {
            let indices = |trials: &[&Trial]| -> Vec<usize> {
                coordinates(trials).iter().map(|&c| c as usize).collect()
            };
            let l = CategoricalParzen::new(&indices(good), choices.len(), settings.prior_weight);
            let g = CategoricalParzen::new(&indices(bad), choices.len(), settings.prior_weight);
            let scores = (0..settings.candidates)
                .map(|_| {
                    let c = l.sample(rng);
                    (c as f64, l.ln_pmf(c) - g.ln_pmf(c))
                })
                .collect();
            dim.value_at(best(scores))
        }
        (_, Some((lo, hi))) => {
            let l = NumericParzen::new(&coordinates(good), lo, hi, settings.prior_weight);
            let g = NumericParzen::new(&coordinates(bad), lo, hi, settings.prior_weight);
            let scores = (0..settings.candidates)
                .map(|_| {
                    let x = l.sample(rng);
                    (x, l.ln_pdf(x) - g.ln_pdf(x))
                })
                .collect();
            dim.value_at(best(scores))
        }
        (_, None) => dim.sample_uniform(rng),
    }
}
