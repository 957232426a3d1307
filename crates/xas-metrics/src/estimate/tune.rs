//! Leave-one-out over the library, and the choice of `k` and weighting it drives.
//!
//! Every library row is estimated from all the others. The neighbour lists are
//! computed once for the largest `k` tried; each candidate `(k, weighting)` then only
//! re-weights the first `k` of them, so a tuning costs one all-pairs pass.

use super::vote::Weighting;
use super::{EstimatorParams, SimilarityEstimator};
use crate::error::{Error, Result};
use crate::search::Neighbor;

/// Leave-one-out quality of every label over the library.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeaveOneOut {
    /// `(label, mean absolute error)` of the numeric labels (label units).
    pub mean_absolute_error: Vec<(String, f64)>,
    /// `(label, fraction of correct classes)` of the categorical labels.
    pub accuracy: Vec<(String, f64)>,
    /// One number to minimise: the mean over labels of `MAE / std(label)` (numeric
    /// labels; a constant label contributes 0) and of `1 - accuracy` (categorical).
    pub score: f64,
}

/// One `(k, weighting)` tried by [`SimilarityEstimator::tune`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Candidate {
    /// Neighbours that vote.
    pub k: usize,
    /// Their weighting.
    pub weighting: Weighting,
    /// Leave-one-out quality.
    pub loo: LeaveOneOut,
}

impl SimilarityEstimator {
    /// Leave-one-out over the library with the current parameters (no shift search:
    /// library rows share the grid).
    pub fn leave_one_out(&self) -> LeaveOneOut {
        let neighbours = self.loo_neighbours(self.params.k);
        self.score(&neighbours, self.params.k, &self.params.weighting)
    }

    /// Tries every `k` of `ks` with every weighting of `weightings` by leave-one-out,
    /// keeps the best (lowest [`LeaveOneOut::score`]; ties go to the earlier
    /// candidate) in the parameters, and stores its leave-one-out errors, which every
    /// later [`Estimate`](super::Estimate) reports as the expected error of its labels.
    /// Returns all candidates in the order tried.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a list is empty, a `k` is 0 or not below the
    /// library size, or a bandwidth is not positive.
    pub fn tune(&mut self, ks: &[usize], weightings: &[Weighting]) -> Result<Vec<Candidate>> {
        let neighbours = self.tuning_neighbours(ks)?;
        self.choose(ks, weightings, &neighbours)
    }

    /// [`SimilarityEstimator::tune`] with [`SimilarityEstimator::default_weightings`],
    /// both from one leave-one-out pass over the library.
    ///
    /// # Errors
    /// As [`SimilarityEstimator::tune`].
    pub fn tune_default(&mut self, ks: &[usize]) -> Result<Vec<Candidate>> {
        let neighbours = self.tuning_neighbours(ks)?;
        let weightings = weightings_from(&neighbours);
        self.choose(ks, &weightings, &neighbours)
    }

    /// Checks the candidate `k` and returns every row's `max(ks)` nearest other rows.
    fn tuning_neighbours(&self, ks: &[usize]) -> Result<Vec<Vec<Neighbor>>> {
        if ks.is_empty() {
            return Err(Error::param("ks", "need at least one k"));
        }
        for &k in ks {
            EstimatorParams { k, ..self.params }.validate(self.names.len())?;
        }
        Ok(self.loo_neighbours(ks.iter().copied().max().unwrap_or(1)))
    }

    /// Scores every `(k, weighting)` on `neighbours` and keeps the best (see
    /// [`SimilarityEstimator::tune`]).
    fn choose(
        &mut self,
        ks: &[usize],
        weightings: &[Weighting],
        neighbours: &[Vec<Neighbor>],
    ) -> Result<Vec<Candidate>> {
        if weightings.is_empty() {
            return Err(Error::param("weightings", "need at least one weighting"));
        }
        for w in weightings {
            w.validate()?;
        }
        let mut candidates = Vec::with_capacity(ks.len() * weightings.len());
        for &k in ks {
            for &weighting in weightings {
                let loo = self.score(neighbours, k, &weighting);
                candidates.push(Candidate { k, weighting, loo });
            }
        }
        let best = candidates
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.loo.score.total_cmp(&b.1.loo.score).then(a.0.cmp(&b.0)))
            .map(|(i, _)| i)
            .unwrap_or(0);
        self.params.k = candidates[best].k;
        self.params.weighting = candidates[best].weighting;
        self.loo = Some(candidates[best].loo.clone());
        Ok(candidates)
    }

    /// Computes and stores the leave-one-out errors of the current parameters, so that
    /// estimates report them (see [`SimilarityEstimator::tune`]).
    pub fn calibrate(&mut self) -> &LeaveOneOut {
        self.loo.insert(self.leave_one_out())
    }

    /// Candidate weightings for [`SimilarityEstimator::tune`]: inverse distance, and
    /// Gaussian kernels with bandwidths of 0.5, 1, 2 and 4 times the median
    /// nearest-neighbour distance of the library (the scale on which neighbours
    /// differ).
    pub fn default_weightings(&self) -> Vec<Weighting> {
        weightings_from(&self.loo_neighbours(1))
    }

    /// The `k` nearest other rows of every library row.
    fn loo_neighbours(&self, k: usize) -> Vec<Vec<Neighbor>> {
        (0..self.names.len())
            .map(|i| self.nearest(self.row(i), k, |j| j == i))
            .collect()
    }

    /// Leave-one-out errors when the first `k` of `neighbours` vote with `weighting`.
    fn score(&self, neighbours: &[Vec<Neighbor>], k: usize, weighting: &Weighting) -> LeaveOneOut {
        let n = neighbours.len() as f64;
        let mut abs_err = vec![0.0; self.numeric.len()];
        let mut correct = vec![0usize; self.categorical.len()];
        for (i, nb) in neighbours.iter().enumerate() {
            let (numeric, categorical) = self.tally(&nb[..k.min(nb.len())], weighting);
            for (((_, values), err), (value, _)) in
                self.numeric.iter().zip(&mut abs_err).zip(numeric)
            {
                *err += (value - values[i]).abs();
            }
            for (((_, classes), ok), p) in
                self.categorical.iter().zip(&mut correct).zip(categorical)
            {
                *ok += usize::from(p.first().is_some_and(|(c, _)| *c == classes[i]));
            }
        }
        let mean_absolute_error: Vec<(String, f64)> = self
            .numeric
            .iter()
            .zip(abs_err)
            .map(|((l, _), e)| (l.clone(), e / n))
            .collect();
        let accuracy: Vec<(String, f64)> = self
            .categorical
            .iter()
            .zip(correct)
            .map(|((l, _), c)| (l.clone(), c as f64 / n))
            .collect();
        let numeric_terms =
            self.numeric
                .iter()
                .zip(&mean_absolute_error)
                .map(|((_, v), (_, mae))| {
                    let sd = std_dev(v);
                    if sd > 0.0 { mae / sd } else { 0.0 }
                });
        let categorical_terms = accuracy.iter().map(|(_, a)| 1.0 - a);
        let terms: Vec<f64> = numeric_terms.chain(categorical_terms).collect();
        LeaveOneOut {
            score: terms.iter().sum::<f64>() / terms.len().max(1) as f64,
            mean_absolute_error,
            accuracy,
        }
    }
}

/// Inverse distance, and Gaussian kernels with bandwidths of 0.5, 1, 2 and 4 times the
/// median non-zero nearest-neighbour distance among `neighbours` (closest first per row).
fn weightings_from(neighbours: &[Vec<Neighbor>]) -> Vec<Weighting> {
    let mut nn: Vec<f64> = neighbours
        .iter()
        .filter_map(|n| n.first())
        .map(|n| n.distance)
        .filter(|d| *d > 0.0)
        .collect();
    nn.sort_by(f64::total_cmp);
    let mut out = vec![Weighting::InverseDistance];
    if let Some(&median) = nn.get(nn.len() / 2) {
        out.extend([0.5, 1.0, 2.0, 4.0].map(|f| Weighting::Gaussian {
            bandwidth: f * median,
        }));
    }
    out
}

/// Population standard deviation.
fn std_dev(v: &[f64]) -> f64 {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
}
