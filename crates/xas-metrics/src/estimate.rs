//! Similarity-based estimation of physical labels (valence, 10Dq, ...) of a spectrum
//! from a labelled library (a [`SpectraMatrix`] with numeric and categorical labels).
//!
//! The query gets exactly the library's preprocessing: optionally shifted in energy,
//! resampled (linear) onto the library grid and normalised like the library rows. Its
//! `k` nearest library spectra under the chosen [`Metric`] then vote with weights
//! `w_i = 1 / (d_i + eps)`:
//!
//! * a numeric label is the weighted mean `sum w_i x_i / sum w_i`, with the weighted
//!   neighbour spread `sqrt(sum w_i (x_i - mean)^2 / sum w_i)` as its uncertainty;
//! * a categorical label gets class probabilities `sum_(i in class) w_i / sum w_i`
//!   and the most probable class.
//!
//! With a shift search the query is tried at every energy shift of the range and the
//! shift whose nearest neighbour is closest wins, since measured axes are often
//! miscalibrated by several eV. Leave-one-out over the library measures how well each
//! label can be recovered ([`SimilarityEstimator::leave_one_out`]).

use xas_core::normalize::{Normalization, normalize_values};
use xas_core::resample::{Extrapolation, Interpolation, interpolate};
use xas_core::{SpectraMatrix, Spectrum};

use crate::error::{Error, Result};
use crate::measures::Metric;
use crate::search::{Neighbor, TopK};

/// Parameters of a [`SimilarityEstimator`].
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatorParams {
    /// Distance measure (default Euclidean).
    pub metric: Metric,
    /// Neighbours that vote (default 5).
    pub k: usize,
    /// Normalisation applied to library rows and queries (default `Area`).
    pub normalization: Normalization,
    /// Energy shifts tried, `(min, max, step)` in eV; `None` (default) tries none.
    pub shift_search_ev: Option<(f64, f64, f64)>,
}

impl Default for EstimatorParams {
    fn default() -> Self {
        EstimatorParams {
            metric: Metric::Euclidean,
            k: 5,
            normalization: Normalization::Area,
            shift_search_ev: None,
        }
    }
}

impl EstimatorParams {
    fn validate(&self, library_size: usize) -> Result<()> {
        self.metric.validate()?;
        if self.k == 0 || self.k >= library_size.max(2) {
            return Err(Error::param(
                "k",
                format!(
                    "must lie in 1 ..= {} (library size - 1)",
                    library_size.saturating_sub(1)
                ),
            ));
        }
        let bad_range = |(lo, hi, step): (f64, f64, f64)| {
            !(lo.is_finite() && hi.is_finite() && lo <= hi && step > 0.0 && (hi - lo) / step <= 1e5)
        };
        if self.shift_search_ev.is_some_and(bad_range) {
            return Err(Error::param(
                "shift_search_ev",
                "needs finite min <= max and a step > 0 (at most 1e5 shifts)",
            ));
        }
        Ok(())
    }

    fn shifts(&self) -> Vec<f64> {
        match self.shift_search_ev {
            None => vec![0.0],
            Some((lo, hi, step)) => {
                let n = ((hi - lo) / step + 1e-9).floor() as usize;
                (0..=n).map(|i| lo + step * i as f64).collect()
            }
        }
    }
}

/// A numeric label's estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericEstimate {
    /// Label name.
    pub label: String,
    /// Weighted mean of the neighbours' values.
    pub value: f64,
    /// Weighted spread of the neighbours' values.
    pub uncertainty: f64,
}

/// A categorical label's estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalEstimate {
    /// Label name.
    pub label: String,
    /// Most probable class.
    pub value: String,
    /// Class probabilities, most probable first.
    pub probabilities: Vec<(String, f64)>,
}

/// The estimate for one query.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Energy shift applied to the query (eV).
    pub shift_ev: f64,
    /// The voting neighbours (library rows), closest first.
    pub neighbours: Vec<Neighbor>,
    /// Numeric labels.
    pub numeric: Vec<NumericEstimate>,
    /// Categorical labels.
    pub categorical: Vec<CategoricalEstimate>,
}

/// Leave-one-out quality of every label over the library.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveOneOut {
    /// `(label, mean absolute error)` of the numeric labels.
    pub mean_absolute_error: Vec<(String, f64)>,
    /// `(label, fraction of correct classes)` of the categorical labels.
    pub accuracy: Vec<(String, f64)>,
}

/// A labelled library prepared for estimation.
#[derive(Debug, Clone)]
pub struct SimilarityEstimator {
    params: EstimatorParams,
    energy_ev: Vec<f64>,
    rows: Vec<f64>,
    names: Vec<String>,
    numeric: Vec<(String, Vec<f64>)>,
    categorical: Vec<(String, Vec<String>)>,
}

impl SimilarityEstimator {
    /// Normalises the library rows and checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bad parameters (e.g. `k` not below the library
    /// size), [`Error::InvalidData`] for a library without labels or a row that cannot
    /// be normalised.
    pub fn new(library: &SpectraMatrix, params: EstimatorParams) -> Result<Self> {
        params.validate(library.n_spectra())?;
        let numeric: Vec<(String, Vec<f64>)> = library
            .numeric_label_names()
            .map(|n| {
                (
                    n.to_string(),
                    library.numeric_label(n).unwrap_or_default().to_vec(),
                )
            })
            .collect();
        let categorical: Vec<(String, Vec<String>)> = library
            .categorical_label_names()
            .map(|n| {
                (
                    n.to_string(),
                    library.categorical_label(n).unwrap_or_default().to_vec(),
                )
            })
            .collect();
        if numeric.is_empty() && categorical.is_empty() {
            return Err(Error::data("library", "has no labels to estimate"));
        }
        let energy_ev = library.energy_ev().to_vec();
        let mut rows = Vec::with_capacity(library.as_slice().len());
        for (i, row) in library.rows().enumerate() {
            let normalized =
                normalize_values(&energy_ev, row, params.normalization).map_err(|e| {
                    Error::data(
                        format!("library row {i} ({})", library.names()[i]),
                        e.to_string(),
                    )
                })?;
            rows.extend(normalized);
        }
        Ok(SimilarityEstimator {
            params,
            energy_ev,
            rows,
            names: library.names().to_vec(),
            numeric,
            categorical,
        })
    }

    /// Name of library row `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    fn row(&self, i: usize) -> &[f64] {
        let m = self.energy_ev.len();
        &self.rows[i * m..(i + 1) * m]
    }

    /// The query shifted by `shift_ev`, on the library grid, normalised; `None` when it
    /// does not cover the grid at that shift.
    fn prepare(&self, query: &Spectrum, shift_ev: f64) -> Result<Option<Vec<f64>>> {
        let energy: Vec<f64> = query.energy_ev().iter().map(|e| e + shift_ev).collect();
        match interpolate(
            &energy,
            query.intensity(),
            &self.energy_ev,
            Interpolation::Linear,
            Extrapolation::Error,
        ) {
            Ok(y) => Ok(Some(normalize_values(
                &self.energy_ev,
                &y,
                self.params.normalization,
            )?)),
            Err(xas_core::Error::OutOfRange { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The `k` nearest rows to a prepared query, skipping row `exclude`.
    fn nearest(&self, q: &[f64], exclude: Option<usize>) -> Vec<Neighbor> {
        let mut best = TopK::new(self.params.k);
        for i in (0..self.names.len()).filter(|&i| Some(i) != exclude) {
            best.push(
                self.params
                    .metric
                    .distance_unchecked(&self.energy_ev, q, self.row(i)),
                i,
            );
        }
        best.into_sorted(|d| d)
    }

    /// Estimates every label of `query`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the query covers the library's energy range at none
    /// of the shifts tried.
    pub fn estimate(&self, query: &Spectrum) -> Result<Estimate> {
        let mut best: Option<(f64, Vec<Neighbor>)> = None;
        for shift in self.params.shifts() {
            let Some(q) = self.prepare(query, shift)? else {
                continue;
            };
            let neighbours = self.nearest(&q, None);
            let closer = best
                .as_ref()
                .is_none_or(|(_, b)| neighbours[0].distance < b[0].distance);
            if closer {
                best = Some((shift, neighbours));
            }
        }
        let (shift_ev, neighbours) = best.ok_or_else(|| {
            let (lo, hi) = query.energy_range_ev();
            Error::data(
                "query",
                format!(
                    "its energy range {lo:.2}..{hi:.2} eV does not cover the library's {:.2}..{:.2} eV at any shift tried",
                    self.energy_ev[0],
                    self.energy_ev[self.energy_ev.len() - 1]
                ),
            )
        })?;
        Ok(self.vote(shift_ev, neighbours))
    }

    /// Weighted votes of `neighbours` for every label.
    fn vote(&self, shift_ev: f64, neighbours: Vec<Neighbor>) -> Estimate {
        let scale = neighbours.iter().map(|n| n.distance).sum::<f64>() / neighbours.len() as f64;
        let eps = 1e-12 * (1.0 + scale);
        let w: Vec<f64> = neighbours
            .iter()
            .map(|n| 1.0 / (n.distance + eps))
            .collect();
        let total: f64 = w.iter().sum();
        let numeric = self
            .numeric
            .iter()
            .map(|(label, values)| {
                let x: Vec<f64> = neighbours.iter().map(|n| values[n.index]).collect();
                let mean = w.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>() / total;
                let var = w
                    .iter()
                    .zip(&x)
                    .map(|(a, b)| a * (b - mean).powi(2))
                    .sum::<f64>()
                    / total;
                NumericEstimate {
                    label: label.clone(),
                    value: mean,
                    uncertainty: var.sqrt(),
                }
            })
            .collect();
        let categorical = self
            .categorical
            .iter()
            .map(|(label, classes)| {
                let mut p: Vec<(String, f64)> = Vec::new();
                for (n, wi) in neighbours.iter().zip(&w) {
                    let class = &classes[n.index];
                    match p.iter_mut().find(|(c, _)| c == class) {
                        Some(entry) => entry.1 += wi / total,
                        None => p.push((class.clone(), wi / total)),
                    }
                }
                p.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                CategoricalEstimate {
                    label: label.clone(),
                    value: p[0].0.clone(),
                    probabilities: p,
                }
            })
            .collect();
        Estimate {
            shift_ev,
            neighbours,
            numeric,
            categorical,
        }
    }

    /// Leave-one-out over the library: every row estimated from the others (no shift
    /// search), mean absolute error of the numeric labels and accuracy of the
    /// categorical ones.
    pub fn leave_one_out(&self) -> LeaveOneOut {
        let n = self.names.len();
        let mut abs_err = vec![0.0; self.numeric.len()];
        let mut correct = vec![0usize; self.categorical.len()];
        for i in 0..n {
            let e = self.vote(0.0, self.nearest(self.row(i), Some(i)));
            for (k, est) in e.numeric.iter().enumerate() {
                abs_err[k] += (est.value - self.numeric[k].1[i]).abs();
            }
            for (k, est) in e.categorical.iter().enumerate() {
                correct[k] += usize::from(est.value == self.categorical[k].1[i]);
            }
        }
        LeaveOneOut {
            mean_absolute_error: self
                .numeric
                .iter()
                .zip(abs_err)
                .map(|((l, _), e)| (l.clone(), e / n as f64))
                .collect(),
            accuracy: self
                .categorical
                .iter()
                .zip(correct)
                .map(|((l, _), c)| (l.clone(), c as f64 / n as f64))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two peaks, a reference at 4 eV and a second one `c` eV above it (numeric label
    /// `separation_ev`, class "low"/"high"): the label changes the shape, not only the
    /// position, so a shift is identifiable.
    fn two_peaks(e: f64, c: f64) -> f64 {
        (-0.5 * ((e - 4.0) / 0.8).powi(2)).exp()
            + 0.7 * (-0.5 * ((e - 4.0 - c) / 0.8).powi(2)).exp()
            + 0.01
    }

    fn library() -> SpectraMatrix {
        let grid: Vec<f64> = (0..200).map(|i| 0.1 * i as f64).collect();
        let mut m = SpectraMatrix::new(grid.clone()).unwrap();
        let seps: Vec<f64> = (0..41).map(|i| 3.0 + 0.2 * i as f64).collect();
        for &c in &seps {
            let row: Vec<f64> = grid.iter().map(|&e| two_peaks(e, c)).collect();
            m.push_row(format!("c{c:.1}"), &row).unwrap();
        }
        m.set_numeric_label("separation_ev", seps.clone()).unwrap();
        m.set_categorical_label(
            "class",
            seps.iter()
                .map(|&c| if c < 7.0 { "low" } else { "high" }.to_string())
                .collect(),
        )
        .unwrap();
        m
    }

    /// A measured-like query: separation `c`, energy axis reading `offset` eV too high.
    fn query(c: f64, offset: f64) -> Spectrum {
        let e: Vec<f64> = (0..300).map(|i| -5.0 + 0.1 * i as f64).collect();
        let y = e.iter().map(|&x| two_peaks(x - offset, c)).collect();
        Spectrum::new(e, y).unwrap()
    }

    #[test]
    fn recovers_labels_and_shift() {
        let lib = library();
        let est = SimilarityEstimator::new(&lib, EstimatorParams::default()).unwrap();
        let e = est.estimate(&query(5.3, 0.0)).unwrap();
        assert!((e.numeric[0].value - 5.3).abs() < 0.15, "{:?}", e.numeric);
        assert_eq!(e.categorical[0].value, "low");
        assert!(
            (e.categorical[0]
                .probabilities
                .iter()
                .map(|p| p.1)
                .sum::<f64>()
                - 1.0)
                .abs()
                < 1e-12
        );
        // A query whose axis reads 2 eV too high: the shift search finds -2 eV.
        let params = EstimatorParams {
            shift_search_ev: Some((-3.0, 3.0, 0.1)),
            ..EstimatorParams::default()
        };
        let est = SimilarityEstimator::new(&lib, params).unwrap();
        let e = est.estimate(&query(9.0, 2.0)).unwrap();
        assert!((e.shift_ev + 2.0).abs() < 0.05, "shift {}", e.shift_ev);
        assert!((e.numeric[0].value - 9.0).abs() < 0.15, "{:?}", e.numeric);
        assert_eq!(e.categorical[0].value, "high");
    }

    #[test]
    fn leave_one_out_on_a_dense_library_is_accurate() {
        let est = SimilarityEstimator::new(
            &library(),
            EstimatorParams {
                k: 2,
                ..EstimatorParams::default()
            },
        )
        .unwrap();
        let loo = est.leave_one_out();
        // Neighbours sit 0.2 eV to either side: the weighted mean is exact inside.
        assert!(loo.mean_absolute_error[0].1 < 0.03, "{loo:?}");
        assert!(loo.accuracy[0].1 > 0.95, "{loo:?}");
    }

    #[test]
    fn errors_are_named() {
        let lib = library();
        assert!(
            SimilarityEstimator::new(
                &lib,
                EstimatorParams {
                    k: 0,
                    ..EstimatorParams::default()
                }
            )
            .is_err()
        );
        let est = SimilarityEstimator::new(&lib, EstimatorParams::default()).unwrap();
        let short = Spectrum::new(vec![0.0, 1.0, 2.0], vec![1.0, 2.0, 3.0]).unwrap();
        let err = est.estimate(&short).unwrap_err();
        assert!(err.to_string().contains("does not cover"), "{err}");
        let unlabelled =
            SpectraMatrix::from_row_major(vec![0.0, 1.0], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!(
            SimilarityEstimator::new(
                &unlabelled,
                EstimatorParams {
                    k: 1,
                    ..EstimatorParams::default()
                }
            )
            .is_err()
        );
    }
}
