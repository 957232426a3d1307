//! The input space of a map: spectra on one energy axis compared by any
//! [`xas_metrics::measures::Metric`] ([`Vectors`]), or a precomputed distance matrix
//! ([`DistanceMatrix`]). [`Dissimilarity`] is what the methods consume: the number of
//! points and the distance between any two of them.

use serde::{Deserialize, Serialize};
use xas_core::SpectraMatrix;
use xas_metrics::measures::Metric;

use crate::error::{Error, Result};

/// `n` spectra of `m` points on one energy axis with the measure that compares them.
///
/// Each spectrum is prepared once for the measure ([`Metric::prepare`]), so a distance
/// costs only the measure's final expression. The Euclidean distance has its own loop
/// (four running sums, vectorised by the compiler); it agrees with
/// [`Metric::distance`] to rounding (about `1e-15` relative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SavedVectors", into = "SavedVectors")]
pub struct Vectors {
    metric: Metric,
    energy_ev: Vec<f64>,
    /// The raw rows, `n x m` row-major (kept for PCA-style methods and serialisation).
    rows: Vec<f64>,
    /// The prepared rows, `n x (m + 1)` row-major.
    prepared: Vec<f64>,
}

impl Vectors {
    /// Checks and prepares `rows` (`n x m` row-major, `m = energy_ev.len()`) for
    /// `metric`.
    ///
    /// # Errors
    /// [`Error::Metrics`] for an axis the measure cannot use (e.g. a non-uniform grid
    /// for the weighted cross-correlation); [`Error::InvalidData`] naming `rows` when
    /// there are no rows, the length is not a multiple of `m`, or a value is not finite
    /// (with its spectrum and point).
    pub fn new(metric: Metric, energy_ev: &[f64], rows: &[f64]) -> Result<Self> {
        metric.validate()?;
        metric.check_grid(energy_ev)?;
        let m = energy_ev.len();
        if rows.is_empty() || !rows.len().is_multiple_of(m) {
            return Err(Error::data(
                "rows",
                format!("{} values do not form spectra of {m} points", rows.len()),
            ));
        }
        if let Some(i) = rows.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                "rows",
                format!("spectrum {}, point {}: value is not finite", i / m, i % m),
            ));
        }
        let prepared = rows
            .chunks_exact(m)
            .flat_map(|row| metric.prepare(energy_ev, row))
            .collect();
        Ok(Vectors {
            metric,
            energy_ev: energy_ev.to_vec(),
            rows: rows.to_vec(),
            prepared,
        })
    }

    /// The spectra of `matrix` under `metric`.
    ///
    /// # Errors
    /// As [`Vectors::new`].
    pub fn from_matrix(metric: Metric, matrix: &SpectraMatrix) -> Result<Self> {
        Vectors::new(metric, matrix.energy_ev(), matrix.as_slice())
    }

    /// Number of spectra.
    pub fn len(&self) -> usize {
        self.rows.len() / self.energy_ev.len()
    }

    /// Whether there are no spectra (never true for a constructed value).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Points per spectrum.
    pub fn dim(&self) -> usize {
        self.energy_ev.len()
    }

    /// The measure.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The energy axis, in eV.
    pub fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    /// The raw spectra, `n x m` row-major.
    pub fn rows(&self) -> &[f64] {
        &self.rows
    }

    /// Spectrum `i` as given.
    ///
    /// # Panics
    /// When `i >= len()`.
    pub fn row(&self, i: usize) -> &[f64] {
        let m = self.dim();
        &self.rows[i * m..(i + 1) * m]
    }

    fn prepared_row(&self, i: usize) -> &[f64] {
        let p = Metric::prepared_len(self.dim());
        &self.prepared[i * p..(i + 1) * p]
    }

    /// Distance between spectra `i` and `j` (`metric(row_i, row_j)`).
    ///
    /// # Panics
    /// When an index is out of range.
    pub fn distance(&self, i: usize, j: usize) -> f64 {
        self.distance_prepared(self.prepared_row(i), j)
    }

    /// Checks and prepares a new spectrum on the same axis, for
    /// [`Vectors::distance_prepared`].
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `field` when the length differs from the axis or a
    /// value is not finite.
    pub fn prepare_query(&self, field: &str, query: &[f64]) -> Result<Vec<f64>> {
        if query.len() != self.dim() {
            return Err(Error::data(
                field,
                format!(
                    "has {} points, the fitted spectra {} (resample onto the same axis first)",
                    query.len(),
                    self.dim()
                ),
            ));
        }
        if let Some(i) = query.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                field,
                format!("point {i}: value is not finite"),
            ));
        }
        Ok(self.metric.prepare(&self.energy_ev, query))
    }

    /// Distance from a prepared query ([`Vectors::prepare_query`]) to spectrum `j`.
    ///
    /// # Panics
    /// When `j` is out of range.
    pub fn distance_prepared(&self, query: &[f64], j: usize) -> f64 {
        let x = self.prepared_row(j);
        match self.metric {
            Metric::Euclidean => squared_l2(&query[..self.dim()], &x[..self.dim()]).sqrt(),
            metric => metric.prepared_distance(&self.energy_ev, query, x),
        }
    }

    /// The full `n x n` distance matrix ([`xas_metrics::pairwise::pairwise`]).
    ///
    /// # Errors
    /// As [`xas_metrics::pairwise::pairwise`] (not expected for a constructed value).
    pub fn distance_matrix(&self) -> Result<DistanceMatrix> {
        let d = xas_metrics::pairwise::pairwise(&self.metric, &self.energy_ev, &self.rows)?;
        Ok(DistanceMatrix { n: self.len(), d })
    }
}

/// The serialised form of [`Vectors`]: the measure, the axis and the raw rows (the
/// prepared rows are rebuilt, and the input checked, on loading).
#[derive(Serialize, Deserialize)]
struct SavedVectors {
    metric: Metric,
    energy_ev: Vec<f64>,
    rows: Vec<f64>,
}

impl TryFrom<SavedVectors> for Vectors {
    type Error = Error;

    fn try_from(s: SavedVectors) -> Result<Self> {
        Vectors::new(s.metric, &s.energy_ev, &s.rows)
    }
}

impl From<Vectors> for SavedVectors {
    fn from(v: Vectors) -> Self {
        SavedVectors {
            metric: v.metric,
            energy_ev: v.energy_ev,
            rows: v.rows,
        }
    }
}

/// `sum_i (a_i - b_i)^2` with four running sums (so the compiler vectorises it).
pub(crate) fn squared_l2(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            let t = x[l] - y[l];
            acc[l] += t * t;
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// A precomputed `n x n` distance matrix, row-major: finite, non-negative, zero on the
/// diagonal. Asymmetric matrices are accepted (`D[i][j]` is the distance from `i` to
/// `j`); methods that need symmetry use `(D + D^T) / 2` and say so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistanceMatrix {
    n: usize,
    d: Vec<f64>,
}

impl DistanceMatrix {
    /// Checks `values` (`n x n`, row-major).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `distances` for a length that is not `n^2`, `n = 0`,
    /// or an entry (named by row and column) that is negative, not finite, or a non-zero
    /// diagonal.
    pub fn new(n: usize, values: Vec<f64>) -> Result<Self> {
        if n == 0 || values.len() != n * n {
            return Err(Error::data(
                "distances",
                format!(
                    "{} values do not form a non-empty {n} x {n} matrix",
                    values.len()
                ),
            ));
        }
        for (k, &v) in values.iter().enumerate() {
            let (i, j) = (k / n, k % n);
            if !v.is_finite() || v < 0.0 {
                return Err(Error::data(
                    "distances",
                    format!("entry ({i}, {j}) = {v} is not a finite non-negative distance"),
                ));
            }
            if i == j && v != 0.0 {
                return Err(Error::data(
                    "distances",
                    format!("diagonal entry ({i}, {i}) = {v} is not zero"),
                ));
            }
        }
        Ok(DistanceMatrix { n, d: values })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no points (never true for a constructed value).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `D[i][j]`.
    ///
    /// # Panics
    /// When an index is out of range.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.d[i * self.n + j]
    }

    /// Row `i`: the distances from point `i` to every point.
    ///
    /// # Panics
    /// When `i` is out of range.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.d[i * self.n..(i + 1) * self.n]
    }

    /// The values, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.d
    }
}

/// What the methods consume: `n` points and the distance between any two.
#[derive(Debug, Clone, Copy)]
pub enum Dissimilarity<'a> {
    /// Spectra compared by a measure.
    Vectors(&'a Vectors),
    /// A precomputed matrix.
    Matrix(&'a DistanceMatrix),
}

impl Dissimilarity<'_> {
    /// Number of points.
    pub fn len(&self) -> usize {
        match self {
            Dissimilarity::Vectors(v) => v.len(),
            Dissimilarity::Matrix(d) => d.len(),
        }
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Distance from `i` to `j`.
    ///
    /// # Panics
    /// When an index is out of range.
    pub fn distance(&self, i: usize, j: usize) -> f64 {
        match self {
            Dissimilarity::Vectors(v) => v.distance(i, j),
            Dissimilarity::Matrix(d) => d.get(i, j),
        }
    }
}

impl<'a> From<&'a Vectors> for Dissimilarity<'a> {
    fn from(v: &'a Vectors) -> Self {
        Dissimilarity::Vectors(v)
    }
}

impl<'a> From<&'a DistanceMatrix> for Dissimilarity<'a> {
    fn from(d: &'a DistanceMatrix) -> Self {
        Dissimilarity::Matrix(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euclidean_fast_path_matches_the_measure() {
        let e: Vec<f64> = (0..11).map(f64::from).collect();
        let rows: Vec<f64> = (0..33).map(|i| f64::from(i * i % 7) * 0.3).collect();
        let v = Vectors::new(Metric::Euclidean, &e, &rows).expect("valid");
        let want = Metric::Euclidean
            .distance(&e, v.row(0), v.row(2))
            .expect("valid");
        assert!((v.distance(0, 2) - want).abs() <= 1e-14 * want);
        let cos = Vectors::new(Metric::Cosine, &e, &rows).expect("valid");
        let want = Metric::Cosine
            .distance(&e, cos.row(1), cos.row(2))
            .expect("valid");
        assert_eq!(cos.distance(1, 2), want);
    }

    #[test]
    fn bad_inputs_are_named() {
        let e = [0.0, 1.0, 2.0];
        let err = Vectors::new(Metric::Euclidean, &e, &[1.0, f64::NAN, 0.0])
            .expect_err("nan")
            .to_string();
        assert!(err.contains("spectrum 0, point 1"), "{err}");
        let err = Vectors::new(Metric::Euclidean, &e, &[1.0; 4])
            .expect_err("ragged")
            .to_string();
        assert!(err.contains("rows"), "{err}");
        let err = DistanceMatrix::new(2, vec![0.0, 1.0, -1.0, 0.0])
            .expect_err("negative")
            .to_string();
        assert!(err.contains("(1, 0)"), "{err}");
        let v = Vectors::new(Metric::Euclidean, &e, &[1.0; 6]).expect("valid");
        let err = v
            .prepare_query("query", &[1.0; 2])
            .expect_err("short")
            .to_string();
        assert!(err.contains("query") && err.contains("2 points"), "{err}");
    }
}
