//! Similarity-based estimation of physical labels (valence, 10Dq, ...) of a spectrum
//! from a labelled library (a [`SpectraMatrix`] with numeric and categorical labels).
//!
//! The query gets exactly the library's preprocessing: optionally edge-step normalised
//! (for libraries of K-edge references built that way), shifted in energy, resampled
//! (linear) onto the library grid and normalised like the library rows. Its
//! `k` nearest library spectra under the chosen [`Metric`] then vote with weights
//! `w_i` ([`Weighting`]: inverse distance `1 / d_i`, or a Gaussian kernel
//! `exp(-d_i^2 / 2h^2)`, i.e. Nadaraya-Watson kernel regression), normalised to sum 1:
//!
//! * a numeric label is the weighted mean `sum w_i x_i`, with the weighted neighbour
//!   spread `sqrt(sum w_i (x_i - mean)^2)` as its uncertainty;
//! * a categorical label gets class probabilities `sum_(i in class) w_i` and the most
//!   probable class.
//!
//! With a shift search the query is tried at every energy shift of the range and the
//! shift whose nearest neighbour is closest wins, since measured axes are often
//! miscalibrated by several eV. Leave-one-out over the library measures how well each
//! label can be recovered ([`SimilarityEstimator::leave_one_out`]) and chooses `k` and
//! the weighting ([`SimilarityEstimator::tune`]); once tuned or calibrated, every
//! estimate also reports the leave-one-out error of each label.

mod tune;
mod vote;

pub use tune::{Candidate, LeaveOneOut};
pub use vote::Weighting;

use std::borrow::Cow;

use xas_core::edge_step::flattened_edge_step;
use xas_core::normalize::{Normalization, normalize_values};
use xas_core::resample::{Extrapolation, Interpolation, interpolate};
use xas_core::{SpectraMatrix, Spectrum};

use crate::error::{Error, Result};
use crate::measures::Metric;
use crate::search::{Neighbor, TopK};
use vote::{class_probabilities, weighted_mean_spread};

/// Parameters of a [`SimilarityEstimator`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EstimatorParams {
    /// Distance measure (default Euclidean).
    pub metric: Metric,
    /// Neighbours that vote (default 5).
    pub k: usize,
    /// Weights of their votes (default inverse distance).
    pub weighting: Weighting,
    /// Normalisation applied to library rows and queries (default `Area`).
    pub normalization: Normalization,
    /// Energy shifts tried, `(min, max, step)` in eV; `None` (default) tries none.
    pub shift_search_ev: Option<(f64, f64, f64)>,
    /// Edge-step normalise (flattened, Larch `pre_edge` defaults) every query before
    /// anything else, as [`crate::library::Library::from_files`] does to the library
    /// with `edge_step` (default `false`; see
    /// [`crate::library::Library::is_edge_step_normalized`]).
    pub edge_step: bool,
}

impl Default for EstimatorParams {
    fn default() -> Self {
        EstimatorParams {
            metric: Metric::Euclidean,
            k: 5,
            weighting: Weighting::InverseDistance,
            normalization: Normalization::Area,
            shift_search_ev: None,
            edge_step: false,
        }
    }
}

impl EstimatorParams {
    fn validate(&self, library_size: usize) -> Result<()> {
        self.metric.validate()?;
        self.weighting.validate()?;
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NumericEstimate {
    /// Label name.
    pub label: String,
    /// Weighted mean of the neighbours' values.
    pub value: f64,
    /// Weighted spread of the neighbours' values.
    pub uncertainty: f64,
    /// Leave-one-out mean absolute error of this label over the library, once the
    /// estimator is tuned or calibrated.
    pub loo_mae: Option<f64>,
}

/// A categorical label's estimate.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CategoricalEstimate {
    /// Label name.
    pub label: String,
    /// Most probable class.
    pub value: String,
    /// Class probabilities, most probable first.
    pub probabilities: Vec<(String, f64)>,
    /// Leave-one-out accuracy of this label over the library, once the estimator is
    /// tuned or calibrated.
    pub loo_accuracy: Option<f64>,
}

/// The estimate for one query.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

/// A labelled library prepared for estimation.
#[derive(Debug, Clone)]
pub struct SimilarityEstimator {
    params: EstimatorParams,
    energy_ev: Vec<f64>,
    /// Library rows, normalised and prepared for the metric ([`Metric::prepare`]),
    /// `energy_ev.len() + 1` values each.
    rows: Vec<f64>,
    names: Vec<String>,
    numeric: Vec<(String, Vec<f64>)>,
    categorical: Vec<(String, Vec<String>)>,
    loo: Option<LeaveOneOut>,
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
        params
            .metric
            .check_grid(&energy_ev)
            .map_err(|e| Error::data("library grid", e.to_string()))?;
        let mut rows = Vec::with_capacity(library.as_slice().len());
        for (i, row) in library.rows().enumerate() {
            let normalized =
                normalize_values(&energy_ev, row, params.normalization).map_err(|e| {
                    Error::data(
                        format!("library row {i} ({})", library.names()[i]),
                        e.to_string(),
                    )
                })?;
            rows.extend(params.metric.prepare(&energy_ev, &normalized));
        }
        Ok(SimilarityEstimator {
            params,
            energy_ev,
            rows,
            names: library.names().to_vec(),
            numeric,
            categorical,
            loo: None,
        })
    }

    /// The parameters in use (after [`SimilarityEstimator::tune`], the chosen ones).
    pub fn params(&self) -> &EstimatorParams {
        &self.params
    }

    /// Leave-one-out errors stored by [`SimilarityEstimator::tune`] or
    /// [`SimilarityEstimator::calibrate`].
    pub fn loo(&self) -> Option<&LeaveOneOut> {
        self.loo.as_ref()
    }

    /// Library size.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the library is empty (never, once constructed).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The library's energy grid (eV).
    pub fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    /// Names of the library rows ([`Neighbor::index`] indexes them).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Prepared library row `i`.
    fn row(&self, i: usize) -> &[f64] {
        let stride = Metric::prepared_len(self.energy_ev.len());
        &self.rows[i * stride..(i + 1) * stride]
    }

    /// The query as the library sees it: edge-step normalised if
    /// [`EstimatorParams::edge_step`], shifted by `shift_ev`, resampled onto the library
    /// grid and normalised; `None` when it does not cover the grid at that shift. For
    /// plots and checks; [`SimilarityEstimator::estimate`] does this itself.
    ///
    /// # Errors
    /// A failed edge-step normalisation or normalisation, or an invalid spectrum.
    pub fn query_on_grid(&self, query: &Spectrum, shift_ev: f64) -> Result<Option<Vec<f64>>> {
        self.on_grid(&*self.preprocess(query)?, shift_ev)
    }

    /// The query edge-step normalised when the parameters ask for it.
    fn preprocess<'a>(&self, query: &'a Spectrum) -> Result<Cow<'a, Spectrum>> {
        if !self.params.edge_step {
            return Ok(Cow::Borrowed(query));
        }
        flattened_edge_step(query)
            .map(Cow::Owned)
            .map_err(|e| Error::data("query", format!("edge-step normalisation failed: {e}")))
    }

    /// See [`SimilarityEstimator::query_on_grid`] (after `preprocess`).
    fn on_grid(&self, query: &Spectrum, shift_ev: f64) -> Result<Option<Vec<f64>>> {
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

    /// The `k` nearest rows to a prepared query, skipping the rows `skip` accepts.
    fn nearest(&self, q: &[f64], k: usize, skip: impl Fn(usize) -> bool) -> Vec<Neighbor> {
        let mut best = TopK::new(k);
        for i in (0..self.names.len()).filter(|&i| !skip(i)) {
            best.push(
                self.params
                    .metric
                    .prepared_distance(&self.energy_ev, q, self.row(i)),
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
        self.estimate_without(query, &[])
    }

    /// [`SimilarityEstimator::estimate`] as if the library rows `exclude` were absent:
    /// for validation with perturbed copies of library spectra (noise, resolution,
    /// calibration offsets), which must not find their own clean original, or with
    /// measured references, leaving out every replicate of the query's compound.
    ///
    /// # Errors
    /// As [`SimilarityEstimator::estimate`]; [`Error::InvalidParameter`] for a row
    /// outside the library or fewer than `k` rows left.
    pub fn estimate_without(&self, query: &Spectrum, exclude: &[usize]) -> Result<Estimate> {
        let n = self.names.len();
        if let Some(i) = exclude.iter().find(|&&i| i >= n) {
            return Err(Error::param(
                "exclude",
                format!("row {i} is outside the library of {n}"),
            ));
        }
        let mut excluded = vec![false; n];
        exclude.iter().for_each(|&i| excluded[i] = true);
        if excluded.iter().filter(|&&x| !x).count() < self.params.k {
            return Err(Error::param(
                "exclude",
                format!("leaves fewer than k = {} rows", self.params.k),
            ));
        }
        let query = self.preprocess(query)?;
        let mut best: Option<(f64, Vec<Neighbor>)> = None;
        for shift in self.params.shifts() {
            let Some(q) = self.on_grid(&query, shift)? else {
                continue;
            };
            let q = self.params.metric.prepare(&self.energy_ev, &q);
            let neighbours = self.nearest(&q, self.params.k, |i| excluded[i]);
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
        let (numeric, categorical) = self.tally(&neighbours, &self.params.weighting);
        let numeric = self
            .numeric
            .iter()
            .zip(numeric)
            .enumerate()
            .map(|(j, ((label, _), (value, uncertainty)))| NumericEstimate {
                label: label.clone(),
                value,
                uncertainty,
                loo_mae: self.loo.as_ref().map(|l| l.mean_absolute_error[j].1),
            })
            .collect();
        let categorical = self
            .categorical
            .iter()
            .zip(categorical)
            .enumerate()
            .map(|(j, ((label, _), probabilities))| CategoricalEstimate {
                label: label.clone(),
                value: probabilities
                    .first()
                    .map(|p| p.0.clone())
                    .unwrap_or_default(),
                probabilities,
                loo_accuracy: self.loo.as_ref().map(|l| l.accuracy[j].1),
            })
            .collect();
        Estimate {
            shift_ev,
            neighbours,
            numeric,
            categorical,
        }
    }

    /// The votes of `neighbours` weighted by `weighting`: `(weighted mean, weighted
    /// spread)` of every numeric label and the class probabilities (most probable
    /// first) of every categorical label, in the library's label order.
    fn tally(&self, neighbours: &[Neighbor], weighting: &Weighting) -> Tally {
        let w = weighting.weights(neighbours);
        let numeric = self
            .numeric
            .iter()
            .map(|(_, values)| {
                let x: Vec<f64> = neighbours.iter().map(|n| values[n.index]).collect();
                weighted_mean_spread(&w, &x)
            })
            .collect();
        let categorical = self
            .categorical
            .iter()
            .map(|(_, classes)| {
                let c: Vec<&str> = neighbours
                    .iter()
                    .map(|n| classes[n.index].as_str())
                    .collect();
                class_probabilities(&w, &c)
            })
            .collect();
        (numeric, categorical)
    }
}

/// Per numeric label `(mean, spread)`, per categorical label the class probabilities.
type Tally = (Vec<(f64, f64)>, Vec<Vec<(String, f64)>>);

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
        // Neighbours sit 0.2 eV to either side: the weighted mean is exact inside (to
        // the grid's asymmetry). The two ends have both neighbours on one side, 0.2 and
        // 0.4 eV away, and are off by 0.27 eV each: MAE 2 x 0.267 / 41 = 0.0130
        // (measured 0.01303), so the 39 inner spectra add less than 0.0005 in all.
        assert!(loo.mean_absolute_error[0].1 < 0.0135, "{loo:?}");
        assert!(loo.accuracy[0].1 > 0.95, "{loo:?}");
    }

    #[test]
    fn tuning_picks_the_best_candidate_and_estimates_report_it() {
        let mut est = SimilarityEstimator::new(&library(), EstimatorParams::default()).unwrap();
        assert!(est.loo().is_none());
        let weightings = est.default_weightings();
        assert_eq!(weightings.len(), 5);
        let candidates = est.tune(&[1, 2, 3, 5, 8], &weightings).unwrap();
        assert_eq!(candidates.len(), 25);
        let best = candidates
            .iter()
            .map(|c| c.loo.score)
            .fold(f64::INFINITY, f64::min);
        let loo = est.loo().unwrap().clone();
        assert_eq!(loo.score, best);
        // The stored choice reproduces its own leave-one-out.
        assert_eq!(est.leave_one_out(), loo);
        // k = 8 with inverse distance blurs labels over 8 neighbours: worse than the best.
        let wide = candidates
            .iter()
            .find(|c| c.k == 8 && c.weighting == Weighting::InverseDistance)
            .unwrap();
        assert!(wide.loo.score > best);
        let e = est.estimate(&query(5.3, 0.0)).unwrap();
        assert_eq!(e.numeric[0].loo_mae, Some(loo.mean_absolute_error[0].1));
        assert_eq!(e.categorical[0].loo_accuracy, Some(loo.accuracy[0].1));
        // One pass or two, the same choice.
        let mut once = SimilarityEstimator::new(&library(), EstimatorParams::default()).unwrap();
        assert_eq!(once.tune_default(&[1, 2, 3, 5, 8]).unwrap(), candidates);
        assert_eq!(once.params(), est.params());
        assert!(est.tune(&[], &weightings).is_err());
        assert!(est.tune(&[41], &weightings).is_err());
        assert!(
            est.tune(&[1], &[Weighting::Gaussian { bandwidth: -1.0 }])
                .is_err()
        );
    }

    #[test]
    fn excluding_a_row_removes_it_from_the_neighbours() {
        let lib = library();
        let est = SimilarityEstimator::new(&lib, EstimatorParams::default()).unwrap();
        let own = lib.spectrum(10).unwrap();
        assert_eq!(est.estimate(&own).unwrap().neighbours[0].index, 10);
        let e = est.estimate_without(&own, &[10]).unwrap();
        assert!(e.neighbours.iter().all(|n| n.index != 10));
        let e = est.estimate_without(&own, &[9, 10, 11]).unwrap();
        assert!(e.neighbours.iter().all(|n| !(9..=11).contains(&n.index)));
        assert!(est.estimate_without(&own, &[41]).is_err());
        let all_but_three: Vec<usize> = (3..41).collect();
        assert!(est.estimate_without(&own, &all_but_three).is_err());
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
        // WCC needs a uniform grid: a library on a non-uniform one is refused up front.
        let mut uneven = SpectraMatrix::new((0..20).map(|i| f64::from(i * i)).collect()).unwrap();
        for r in 0..3 {
            uneven
                .push_row(format!("r{r}"), &[1.0 + f64::from(r); 20])
                .unwrap();
        }
        uneven.set_numeric_label("x", vec![0.0, 1.0, 2.0]).unwrap();
        let wcc = EstimatorParams {
            metric: Metric::WeightedCrossCorrelation { half_width_ev: 2.0 },
            k: 1,
            ..EstimatorParams::default()
        };
        let err = SimilarityEstimator::new(&uneven, wcc).unwrap_err();
        assert!(err.to_string().contains("uniform grid"), "{err}");
        assert!(
            SimilarityEstimator::new(
                &uneven,
                EstimatorParams {
                    k: 1,
                    ..EstimatorParams::default()
                }
            )
            .is_ok()
        );
    }
}
