//! Distance measures between two spectra sampled on the same energy axis.
//!
//! [`Metric`] names every measure and dispatches after validating the inputs with
//! [`Metric::distance`]. The plain functions ([`euclidean`], [`cosine_distance`],
//! [`wasserstein1`], [`wcc_distance`], [`dtw`], ...) assume validated input (equal
//! lengths, finite values, strictly increasing axis) so that fast kernels can call them in
//! inner loops; they never panic and never return NaN: if the lengths differ, only the
//! common prefix is used.
//!
//! Conventions shared by all measures:
//! * 0 means identical; larger means less similar.
//! * Correlation-type measures (cosine, Pearson, Spearman, derivative-Pearson, WCC) return
//!   `1 - s` with the similarity `s` clamped to `[-1, 1]`, so the distance lies in `[0, 2]`.
//!   When a normalising factor vanishes (zero vector, constant spectrum), the similarity is
//!   defined as 1 if *both* inputs are degenerate and 0 (uncorrelated) if only one is.
//! * Distribution measures (Kullback–Leibler, Jensen–Shannon, Hellinger, Wasserstein-1)
//!   first clip negative intensities to 0 and normalise to unit area with the trapezoid
//!   rule over energy: the trapezoid weights `w_0 = (E_1 - E_0)/2`,
//!   `w_i = (E_{i+1} - E_{i-1})/2`, `w_{n-1} = (E_{n-1} - E_{n-2})/2` turn the spectrum
//!   into the discrete probability masses `P_i = w_i max(a_i, 0) / sum_j w_j max(a_j, 0)`
//!   (see [`probability_masses`]); the divergences are then exactly the trapezoid
//!   integrals of their continuous definitions. A spectrum without positive area is
//!   "empty"; each measure documents its value for empty inputs.

use xas_core::grid::{is_uniform, trapezoid_weights};
use xas_core::smooth::central_secant;
use xas_core::spectrum::validate_axis;

use crate::error::{Error, Result};

mod prepared;

/// Default half-width `l` of the WCC triangle weight, in eV.
///
/// The real-data benchmark in the project notes (Fe K-edge, ±2 eV query shifts) found
/// `l = 2 eV` at least as good as `l = 4 eV` within the statistical noise and 2.5 times
/// cheaper; Källman et al. (2020) recommend a width of the order of the expected energy
/// error, which is 1–2 eV for calibration differences between beamlines.
pub const DEFAULT_WCC_HALF_WIDTH_EV: f64 = 2.0;

/// Default Sakoe–Chiba band of [`Metric::Dtw`], in grid points (2.5 eV at 0.25 eV steps).
pub const DEFAULT_DTW_BAND_POINTS: usize = 10;

/// Smoothing `epsilon` of [`kullback_leibler`]: masses become `(P_i + eps) / (1 + n eps)`.
pub const KL_EPSILON: f64 = 1e-10;

/// Relative tolerance of the uniform-grid check of [`Metric::WeightedCrossCorrelation`]:
/// every step must satisfy `|dE_i - dE_mean| <= 1e-6 dE_mean`.
pub const UNIFORM_GRID_RTOL: f64 = 1e-6;

/// All measures; each variant documents its formula, assumptions, the normalisation it
/// expects, and which axioms hold.
///
/// Every measure satisfies identity (`d(a, a) = 0`) and non-negativity; all but
/// [`Metric::KullbackLeibler`] are symmetric. The triangle inequality holds for
/// Euclidean, Manhattan, Chebyshev, Hellinger and Wasserstein-1 (and for the square root
/// of Jensen–Shannon); see [`Metric::satisfies_triangle_inequality`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Metric {
    /// `sqrt(sum_i (a_i - b_i)^2)`; raw intensities, no normalisation. A metric.
    Euclidean,
    /// `sum_i |a_i - b_i|` (L1, city block); raw intensities. A metric.
    Manhattan,
    /// `max_i |a_i - b_i|` (L-infinity); raw intensities. A metric.
    Chebyshev,
    /// `1 - a.b / (|a| |b|)`; invariant under `a -> c a` (`c > 0`). Not a metric.
    Cosine,
    /// `1 - r`, `r = (a - mean a).(b - mean b) / (|a - mean a| |b - mean b|)`; invariant
    /// under `a -> c a + d` (`c > 0`). Not a metric.
    Pearson,
    /// `1 - r` of the ranks of `a` and `b` (ties get their average rank); invariant under
    /// any strictly increasing transformation of the intensities. Not a metric.
    Spearman,
    /// Pearson distance of the first derivatives along energy (see [`central_secant`]);
    /// insensitive to additive baselines and scale. Not a metric; noise-sensitive.
    DerivativePearson,
    /// `KL(P || Q) = sum_i P'_i ln(P'_i / Q'_i)` on smoothed unit-area masses
    /// `P' = (P + eps) / (1 + n eps)`, `eps =` [`KL_EPSILON`]; in nats. **Not symmetric**
    /// (the order is `distance(energy, a, b) = KL(a || b)`); use
    /// [`Metric::JensenShannon`] for a symmetric divergence.
    KullbackLeibler,
    /// `JS = 1/2 KL(P || M) + 1/2 KL(Q || M)`, `M = (P + Q)/2`, on unit-area masses with
    /// `0 ln 0 = 0`; in nats, in `[0, ln 2]`. Symmetric; `sqrt(JS)` is a metric.
    JensenShannon,
    /// `H = sqrt(1/2 sum_i (sqrt(P_i) - sqrt(Q_i))^2)` on unit-area masses; in `[0, 1]`.
    /// A metric.
    Hellinger,
    /// `W1 = integral |CDF_a(E) - CDF_b(E)| dE` of the unit-area, non-negative spectra
    /// (trapezoid CDFs and integral), in eV. A metric.
    Wasserstein1,
    /// Weighted cross-correlation of de Gelder et al. (2001), distance `1 - WCC`:
    /// `WCC = sum_r w(r) c_ab(r) / sqrt(sum_r w(r) c_aa(r) sum_r w(r) c_bb(r))`,
    /// `c_ab(r) = sum_i a_i b_{i+r}`, `w(r) = max(0, 1 - |r| dE / l)`. Needs a uniform grid;
    /// `l = 0` gives the cosine distance. Scale invariant; tolerant of shifts up to `l`.
    WeightedCrossCorrelation {
        /// Half-width `l` of the triangle weight, in eV (finite, `>= 0`).
        half_width_ev: f64,
    },
    /// Dynamic time warping with cost `|a_i - b_j|` restricted to the Sakoe–Chiba band
    /// `|i - j| <= band_points`; band 0 is the Manhattan distance. Symmetric, not a metric.
    Dtw {
        /// Half-width of the band, in grid points.
        band_points: usize,
    },
}

impl Metric {
    /// Every measure, with [`DEFAULT_WCC_HALF_WIDTH_EV`] and [`DEFAULT_DTW_BAND_POINTS`]
    /// for the parametrised ones.
    pub const ALL_DEFAULT: [Metric; 13] = [
        Metric::Euclidean,
        Metric::Manhattan,
        Metric::Chebyshev,
        Metric::Cosine,
        Metric::Pearson,
        Metric::Spearman,
        Metric::DerivativePearson,
        Metric::KullbackLeibler,
        Metric::JensenShannon,
        Metric::Hellinger,
        Metric::Wasserstein1,
        Metric::WeightedCrossCorrelation {
            half_width_ev: DEFAULT_WCC_HALF_WIDTH_EV,
        },
        Metric::Dtw {
            band_points: DEFAULT_DTW_BAND_POINTS,
        },
    ];

    /// The short name parsed by [`Metric::from_name`] (without parameter).
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Manhattan => "manhattan",
            Metric::Chebyshev => "chebyshev",
            Metric::Cosine => "cosine",
            Metric::Pearson => "pearson",
            Metric::Spearman => "spearman",
            Metric::DerivativePearson => "derivative-pearson",
            Metric::KullbackLeibler => "kullback-leibler",
            Metric::JensenShannon => "jensen-shannon",
            Metric::Hellinger => "hellinger",
            Metric::Wasserstein1 => "wasserstein1",
            Metric::WeightedCrossCorrelation { .. } => "wcc",
            Metric::Dtw { .. } => "dtw",
        }
    }

    /// Parses a name from [`Metric::name`] (case-insensitive; aliases `l2`, `l1`,
    /// `cityblock`, `linf`, `kl`, `js`, `w1`), with an optional parameter after a colon
    /// for the parametrised measures: `"wcc:2.0"` (half-width in eV), `"dtw:15"` (band in
    /// points). Without a parameter the defaults of [`Metric::ALL_DEFAULT`] are used.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `name` for an unknown name, a parameter given to
    /// a measure without one, or an unparsable or out-of-range parameter.
    pub fn from_name(name: &str) -> Result<Metric> {
        let lower = name.trim().to_ascii_lowercase();
        let (base, parameter) = match lower.split_once(':') {
            Some((b, p)) => (b.trim(), Some(p.trim())),
            None => (lower.as_str(), None),
        };
        let metric = match base {
            "wcc" => Metric::WeightedCrossCorrelation {
                half_width_ev: parse_parameter(parameter, DEFAULT_WCC_HALF_WIDTH_EV)?,
            },
            "dtw" => Metric::Dtw {
                band_points: parse_parameter(parameter, DEFAULT_DTW_BAND_POINTS)?,
            },
            _ => {
                let metric = parse_plain(base)?;
                if parameter.is_some() {
                    return Err(Error::param(
                        "name",
                        format!("measure `{base}` takes no parameter (got `{name}`)"),
                    ));
                }
                metric
            }
        };
        metric.validate()?;
        Ok(metric)
    }

    /// Checks the parameters: the WCC half-width must be finite and `>= 0`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `half_width_ev`.
    pub fn validate(&self) -> Result<()> {
        if let Metric::WeightedCrossCorrelation { half_width_ev } = *self
            && !(half_width_ev.is_finite() && half_width_ev >= 0.0)
        {
            return Err(Error::param(
                "half_width_ev",
                format!("must be finite and >= 0, got {half_width_ev}"),
            ));
        }
        Ok(())
    }

    /// Whether `d(a, b) = d(b, a)` holds (all but Kullback–Leibler).
    pub fn is_symmetric(&self) -> bool {
        !matches!(self, Metric::KullbackLeibler)
    }

    /// Whether the measure is a (pseudo-)metric, i.e. the triangle inequality
    /// `d(a, c) <= d(a, b) + d(b, c)` holds, so that metric-tree pruning is exact:
    /// Euclidean, Manhattan, Chebyshev, Hellinger, Wasserstein-1.
    pub fn satisfies_triangle_inequality(&self) -> bool {
        matches!(
            self,
            Metric::Euclidean
                | Metric::Manhattan
                | Metric::Chebyshev
                | Metric::Hellinger
                | Metric::Wasserstein1
        )
    }

    /// Distance between two spectra on the same axis (eV, strictly increasing, same length
    /// as `a` and `b`). 0 means identical.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad parameter (see [`Metric::validate`]);
    /// [`Error::InvalidData`] naming `energy_ev`, `a` or `b` for fewer than two points,
    /// mismatched lengths, non-finite values, an axis that is not strictly increasing, or
    /// (WCC only) an axis that is not uniform within [`UNIFORM_GRID_RTOL`].
    pub fn distance(&self, energy_ev: &[f64], a: &[f64], b: &[f64]) -> Result<f64> {
        self.check_grid(energy_ev)?;
        check_values("a", a, energy_ev.len())?;
        check_values("b", b, energy_ev.len())?;
        Ok(self.distance_unchecked(energy_ev, a, b))
    }

    /// Checks the parameter and that `energy_ev` is an axis this measure can use: at
    /// least two finite, strictly increasing energies, and for WCC a uniform grid.
    ///
    /// # Errors
    /// As [`Metric::distance`], for the parameter and `energy_ev`.
    pub fn check_grid(&self, energy_ev: &[f64]) -> Result<()> {
        self.validate()?;
        check_axis(energy_ev)?;
        if let Metric::WeightedCrossCorrelation { .. } = self {
            check_uniform(energy_ev)?;
        }
        Ok(())
    }

    /// [`Metric::distance`] without validation, for kernels that validated once.
    /// Never panics and never returns NaN; see the module documentation for what happens
    /// with invalid input.
    pub fn distance_unchecked(&self, energy_ev: &[f64], a: &[f64], b: &[f64]) -> f64 {
        match *self {
            Metric::Euclidean => euclidean(a, b),
            Metric::Manhattan => manhattan(a, b),
            Metric::Chebyshev => chebyshev(a, b),
            Metric::Cosine => cosine_distance(a, b),
            Metric::Pearson => pearson_distance(a, b),
            Metric::Spearman => spearman_distance(a, b),
            Metric::DerivativePearson => derivative_pearson_distance(energy_ev, a, b),
            Metric::KullbackLeibler => kullback_leibler(energy_ev, a, b),
            Metric::JensenShannon => jensen_shannon(energy_ev, a, b),
            Metric::Hellinger => hellinger(energy_ev, a, b),
            Metric::Wasserstein1 => wasserstein1(energy_ev, a, b),
            Metric::WeightedCrossCorrelation { half_width_ev } => {
                wcc_distance(energy_ev, a, b, half_width_ev)
            }
            Metric::Dtw { band_points } => dtw(a, b, band_points),
        }
    }
}

impl std::fmt::Display for Metric {
    /// The name, with the parameter for WCC and DTW (`wcc:2`, `dtw:10`); round-trips
    /// through [`Metric::from_name`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Metric::WeightedCrossCorrelation { half_width_ev } => write!(f, "wcc:{half_width_ev}"),
            Metric::Dtw { band_points } => write!(f, "dtw:{band_points}"),
            other => f.write_str(other.name()),
        }
    }
}

/// The measures without parameter, by name or alias.
fn parse_plain(base: &str) -> Result<Metric> {
    Ok(match base {
        "euclidean" | "l2" => Metric::Euclidean,
        "manhattan" | "l1" | "cityblock" => Metric::Manhattan,
        "chebyshev" | "linf" => Metric::Chebyshev,
        "cosine" => Metric::Cosine,
        "pearson" => Metric::Pearson,
        "spearman" => Metric::Spearman,
        "derivative-pearson" => Metric::DerivativePearson,
        "kullback-leibler" | "kl" => Metric::KullbackLeibler,
        "jensen-shannon" | "js" => Metric::JensenShannon,
        "hellinger" => Metric::Hellinger,
        "wasserstein1" | "w1" => Metric::Wasserstein1,
        other => {
            return Err(Error::param(
                "name",
                format!(
                    "unknown measure `{other}`; expected one of euclidean, manhattan, \
                     chebyshev, cosine, pearson, spearman, derivative-pearson, \
                     kullback-leibler, jensen-shannon, hellinger, wasserstein1, wcc[:l_ev], \
                     dtw[:band]"
                ),
            ));
        }
    })
}

/// Parses the optional parameter after the colon, or returns `default`.
fn parse_parameter<T: std::str::FromStr>(parameter: Option<&str>, default: T) -> Result<T> {
    match parameter {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| Error::param("name", format!("cannot parse parameter `{text}`"))),
    }
}

// ---------------------------------------------------------------------------------------
// Validation

/// At least two finite, strictly increasing energies (`xas-core`'s axis rules, reported
/// under the argument name `energy_ev`).
fn check_axis(energy_ev: &[f64]) -> Result<()> {
    validate_axis(energy_ev).map_err(|e| Error::data("energy_ev", e.to_string()))
}

/// `values` has the axis length and only finite entries.
fn check_values(field: &str, values: &[f64], len: usize) -> Result<()> {
    if values.len() != len {
        return Err(Error::data(
            field,
            format!(
                "length {} differs from energy_ev length {len}",
                values.len()
            ),
        ));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::data(field, format!("non-finite value at index {i}")));
    }
    Ok(())
}

/// Every step within [`UNIFORM_GRID_RTOL`] of the mean step (axis already checked).
fn check_uniform(energy_ev: &[f64]) -> Result<()> {
    is_uniform(energy_ev, UNIFORM_GRID_RTOL).map(|_| ()).ok_or_else(|| {
        Error::data(
            "energy_ev",
            format!(
                "the weighted cross-correlation needs a uniform grid (steps within {UNIFORM_GRID_RTOL} \
                 of the mean step {} eV); resample first",
                mean_step(energy_ev)
            ),
        )
    })
}

/// `(E_{n-1} - E_0) / (n - 1)`, or 0 for fewer than two points.
fn mean_step(energy_ev: &[f64]) -> f64 {
    match energy_ev {
        [first, .., last] => (last - first) / (energy_ev.len() - 1) as f64,
        _ => 0.0,
    }
}

// ---------------------------------------------------------------------------------------
// Pointwise distances

/// Euclidean distance `sqrt(sum_i (a_i - b_i)^2)`.
///
/// Unscaled for speed: differences beyond about `1e154` overflow to `+inf` (never NaN).
pub fn euclidean(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Manhattan (L1) distance `sum_i |a_i - b_i|` (`+inf` on overflow, never NaN).
pub fn manhattan(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

/// Chebyshev (L-infinity) distance `max_i |a_i - b_i|` (0 for empty input).
pub fn chebyshev(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------
// Correlation distances

/// Cosine distance `1 - a.b / (|a| |b|)`, in `[0, 2]`.
///
/// Two zero vectors are at distance 0, a zero vector and a non-zero one at distance 1.
/// The inputs are rescaled by their largest magnitude first, so huge values cannot
/// overflow.
pub fn cosine_distance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    correlation_distance(&unit_scaled(&a[..n]), &unit_scaled(&b[..n]))
}

/// Pearson distance `1 - r`, `r = (a - mean a).(b - mean b) / (|a - mean a| |b - mean b|)`,
/// in `[0, 2]`.
///
/// A constant input has zero variance: two constants are at distance 0 (identical after
/// removing the mean), a constant and a non-constant input at distance 1 (`r = 0`).
pub fn pearson_distance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    correlation_distance(&centred(a), &centred(b))
}

/// Spearman distance `1 - rho`, the Pearson distance of the ranks (see [`average_ranks`];
/// ties get their average rank). Constant inputs follow [`pearson_distance`].
pub fn spearman_distance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    pearson_distance(&average_ranks(&a[..n]), &average_ranks(&b[..n]))
}

/// Pearson distance of the first derivatives along energy, both from
/// [`central_secant`]. Two spectra of equal, constant slope (e.g. any two-point
/// spectra) are at distance 0.
pub fn derivative_pearson_distance(energy_ev: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let da = central_secant(energy_ev, &unit_scaled(a));
    let db = central_secant(energy_ev, &unit_scaled(b));
    pearson_distance(&da, &db)
}

/// 1-based ranks of `values` in increasing order; equal values share the average of
/// their ranks (`[10, 20, 20, 5] -> [2, 3.5, 3.5, 1]`).
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let value = values[order[start]];
        let end = start + order[start..].partition_point(|&k| values[k] == value);
        // positions start..end (0-based) share the rank mean((start+1)..=end)
        let rank = (start + 1 + end) as f64 / 2.0;
        order[start..end].iter().for_each(|&k| ranks[k] = rank);
        start = end.max(start + 1);
    }
    ranks
}

/// `v / max_i |v_i|` (unchanged when zero or not finite), to keep sums of products finite.
fn unit_scaled(v: &[f64]) -> Vec<f64> {
    let peak = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if peak > 0.0 && peak.is_finite() {
        v.iter().map(|x| x / peak).collect()
    } else {
        v.to_vec()
    }
}

/// `v - mean(v)`, rescaled by its largest magnitude; all zeros for a constant `v`.
fn centred(v: &[f64]) -> Vec<f64> {
    if v.windows(2).all(|w| w[0] == w[1]) {
        return vec![0.0; v.len()];
    }
    let scaled = unit_scaled(v);
    let mean = scaled.iter().sum::<f64>() / scaled.len().max(1) as f64;
    unit_scaled(&scaled.iter().map(|x| x - mean).collect::<Vec<_>>())
}

/// `1 - x.y / sqrt(|x|^2 |y|^2)` with the degenerate-norm convention of the module.
fn correlation_distance(x: &[f64], y: &[f64]) -> f64 {
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(p, q)| p * q).sum::<f64>();
    1.0 - similarity_from(dot(x, y), dot(x, x), dot(y, y))
}

/// `s_xy / sqrt(s_xx s_yy)` clamped to `[-1, 1]`; 1 when both norms vanish, 0 when one
/// does, 0 if the ratio is not representable.
fn similarity_from(s_xy: f64, s_xx: f64, s_yy: f64) -> f64 {
    match (s_xx > 0.0, s_yy > 0.0) {
        (false, false) => 1.0,
        (true, true) => {
            let s = s_xy / (s_xx * s_yy).sqrt();
            if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) }
        }
        _ => 0.0,
    }
}

// ---------------------------------------------------------------------------------------
// Distribution distances

/// Unit-area probability masses `P_i = w_i max(y_i, 0) / sum_j w_j max(y_j, 0)` with the
/// [`trapezoid_weights`] `w` (the denominator is the trapezoid area of the clipped
/// spectrum). `None` when the clipped spectrum has no positive area ("empty").
pub fn probability_masses(energy_ev: &[f64], y: &[f64]) -> Option<Vec<f64>> {
    let n = energy_ev.len().min(y.len());
    let clipped = unit_scaled(&y[..n].iter().map(|v| v.max(0.0)).collect::<Vec<_>>());
    let mut masses: Vec<f64> = trapezoid_weights(&energy_ev[..n])
        .iter()
        .zip(&clipped)
        .map(|(w, v)| w * v)
        .collect();
    let total: f64 = masses.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    masses.iter_mut().for_each(|m| *m /= total);
    Some(masses)
}

/// Kullback–Leibler divergence `KL(P || Q) = sum_i P'_i ln(P'_i / Q'_i)` in nats, on the
/// [`probability_masses`] smoothed as `P' = (P + eps) / (1 + n eps)`, `eps =`
/// [`KL_EPSILON`] (zeros of `Q` would otherwise give infinity). An empty spectrum (no
/// positive area) is the uniform distribution, masses `1/n`, so it is at 0 only from
/// another empty spectrum or one whose masses are all equal.
///
/// **Not symmetric**: `KL(P || Q) != KL(Q || P)` in general; [`jensen_shannon`] is the
/// symmetric alternative.
pub fn kullback_leibler(energy_ev: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let n = energy_ev.len().min(a.len()).min(b.len());
    let p = smoothed_masses(energy_ev, &a[..n]);
    let q = smoothed_masses(energy_ev, &b[..n]);
    let kl: f64 = p.iter().zip(&q).map(|(x, y)| x * (x / y).ln()).sum();
    kl.max(0.0)
}

/// `(P + eps) / (1 + n eps)` for [`kullback_leibler`], with `P` uniform for an empty
/// spectrum.
fn smoothed_masses(energy_ev: &[f64], y: &[f64]) -> Vec<f64> {
    let n = y.len();
    let masses = probability_masses(energy_ev, y).unwrap_or_else(|| vec![1.0 / n.max(1) as f64; n]);
    let norm = 1.0 + n as f64 * KL_EPSILON;
    masses.iter().map(|m| (m + KL_EPSILON) / norm).collect()
}

/// Jensen–Shannon divergence `JS = 1/2 KL(P || M) + 1/2 KL(Q || M)`, `M = (P + Q)/2`, in
/// nats, in `[0, ln 2]`, on the [`probability_masses`] with `0 ln 0 = 0` (no smoothing
/// needed). Symmetric; `sqrt(JS)` satisfies the triangle inequality. Two empty spectra
/// are at 0, an empty and a non-empty one at `ln 2`.
pub fn jensen_shannon(energy_ev: &[f64], a: &[f64], b: &[f64]) -> f64 {
    with_masses(energy_ev, a, b, std::f64::consts::LN_2, |p, q| {
        js_of_masses(&p, &q)
    })
}

/// `sum_i 1/2 P_i ln(P_i / M_i) + 1/2 Q_i ln(Q_i / M_i)`, `M = (P + Q)/2`, clamped to
/// `[0, ln 2]`, for two non-empty mass vectors.
fn js_of_masses(p: &[f64], q: &[f64]) -> f64 {
    let half_kl = |x: f64, m: f64| if x > 0.0 { 0.5 * x * (x / m).ln() } else { 0.0 };
    p.iter()
        .zip(q)
        .map(|(&x, &y)| {
            let m = 0.5 * (x + y);
            half_kl(x, m) + half_kl(y, m)
        })
        .sum::<f64>()
        .clamp(0.0, std::f64::consts::LN_2)
}

/// Hellinger distance `H = sqrt(1/2 sum_i (sqrt(P_i) - sqrt(Q_i))^2)` on the
/// [`probability_masses`], in `[0, 1]`; a metric. Two empty spectra are at 0, an empty and
/// a non-empty one at 1.
pub fn hellinger(energy_ev: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let h = |p: Vec<f64>, q: Vec<f64>| -> f64 {
        let s: f64 = p
            .iter()
            .zip(&q)
            .map(|(x, y)| (x.sqrt() - y.sqrt()).powi(2))
            .sum();
        (0.5 * s).sqrt().min(1.0)
    };
    with_masses(energy_ev, a, b, 1.0, h)
}

/// Applies `f` to the masses of `a` and `b`; 0 if both are empty, `empty_value` if one is.
fn with_masses(
    energy_ev: &[f64],
    a: &[f64],
    b: &[f64],
    empty_value: f64,
    f: impl Fn(Vec<f64>, Vec<f64>) -> f64,
) -> f64 {
    let n = energy_ev.len().min(a.len()).min(b.len());
    match (
        probability_masses(energy_ev, &a[..n]),
        probability_masses(energy_ev, &b[..n]),
    ) {
        (Some(p), Some(q)) => f(p, q),
        (None, None) => 0.0,
        _ => empty_value,
    }
}

/// Wasserstein-1 (earth mover's) distance along energy, in eV:
/// `W1 = integral |CDF_a(E) - CDF_b(E)| dE` of the non-negative (clipped), unit-area
/// spectra. The CDFs at the grid points are the cumulative trapezoid integrals
/// `CDF(E_k) = sum_{j<k} (E_{j+1} - E_j)(f_j + f_{j+1})/2`, and the outer integral is the
/// trapezoid rule on `|CDF_a - CDF_b|` (exact for two narrow peaks on grid points).
/// Two empty spectra are at 0, an empty and a non-empty one at `E_{n-1} - E_0` (the
/// largest possible value).
pub fn wasserstein1(energy_ev: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let n = energy_ev.len().min(a.len()).min(b.len());
    let e = &energy_ev[..n];
    match (trapezoid_cdf(e, &a[..n]), trapezoid_cdf(e, &b[..n])) {
        (Some(fa), Some(fb)) => w1_of_cdfs(e, &fa, &fb),
        (None, None) => 0.0,
        _ => mean_step(e) * n.saturating_sub(1) as f64,
    }
}

/// Trapezoid integral of `|F_a - F_b|` over `energy_ev` for two CDFs.
/// The trapezoid rule of `xas_core::normalize::trapezoid`, summed in the same order,
/// without materialising the gap.
fn w1_of_cdfs(energy_ev: &[f64], fa: &[f64], fb: &[f64]) -> f64 {
    let gap = |i: usize| (fa[i] - fb[i]).abs();
    let n = energy_ev.len().min(fa.len()).min(fb.len());
    (1..n)
        .map(|i| 0.5 * (energy_ev[i] - energy_ev[i - 1]) * (gap(i - 1) + gap(i)))
        .sum::<f64>()
        .max(0.0)
}

/// Cumulative trapezoid integral of the clipped, unit-area spectrum at each grid point
/// (0 at `E_0`, 1 at `E_{n-1}`); `None` for an empty spectrum. Also the row transform
/// of the W1 fast path of [`crate::search`] ([`crate::search::CdfTransform::cdf`]).
pub(crate) fn trapezoid_cdf(energy_ev: &[f64], y: &[f64]) -> Option<Vec<f64>> {
    let clipped = unit_scaled(&y.iter().map(|v| v.max(0.0)).collect::<Vec<_>>());
    let area = xas_core::normalize::trapezoid(energy_ev, &clipped);
    if !(area > 0.0 && area.is_finite()) {
        return None;
    }
    let mut cdf = Vec::with_capacity(y.len());
    let mut running = 0.0;
    cdf.push(0.0);
    for (e, f) in energy_ev.windows(2).zip(clipped.windows(2)) {
        running += 0.5 * (e[1] - e[0]) * (f[0] + f[1]) / area;
        cdf.push(running);
    }
    Some(cdf)
}

// ---------------------------------------------------------------------------------------
// Shift-tolerant distances

/// Weighted cross-correlation similarity of de Gelder et al. (2001):
/// `WCC = sum_r w(r) c_ab(r) / sqrt(sum_r w(r) c_aa(r) sum_r w(r) c_bb(r))` with the
/// non-circular correlation `c_ab(r) = sum_i a_i b_{i+r}` over integer shifts `r` and the
/// triangle weight `w(r) = max(0, 1 - |r| dE / l)` (`dE` = mean grid step, `l` =
/// `half_width_ev`; `l = 0` or `l < dE` keeps only `r = 0`, i.e. the cosine similarity).
///
/// Assumes a uniform grid (checked by [`Metric::distance`]). Lies in `[-1, 1]` (the
/// triangle weight is positive definite), 1 for proportional spectra; two zero spectra
/// give 1, a zero and a non-zero one 0. Cost `O(n l / dE)`.
pub fn wcc_similarity(energy_ev: &[f64], a: &[f64], b: &[f64], half_width_ev: f64) -> f64 {
    let n = energy_ev.len().min(a.len()).min(b.len());
    let weights = || triangle_weights(mean_step(&energy_ev[..n]), half_width_ev, n);
    let (a, b) = (unit_scaled(&a[..n]), unit_scaled(&b[..n]));
    similarity_from(
        weighted_correlation(&a, &b, weights()),
        weighted_correlation(&a, &a, weights()),
        weighted_correlation(&b, &b, weights()),
    )
}

/// WCC distance `1 - WCC` (see [`wcc_similarity`]), in `[0, 2]`; `[0, 1]` for
/// non-negative spectra.
pub fn wcc_distance(energy_ev: &[f64], a: &[f64], b: &[f64], half_width_ev: f64) -> f64 {
    1.0 - wcc_similarity(energy_ev, a, b, half_width_ev)
}

/// `w(r) = 1 - r step / l` for `r = 0, 1, ...` while positive and `r < n` (only
/// `w(0) = 1` when `l` or `step` is not positive). An iterator, so that a distance
/// allocates nothing.
fn triangle_weights(step: f64, half_width_ev: f64, n: usize) -> impl Iterator<Item = f64> {
    let spread = step > 0.0 && half_width_ev > 0.0;
    std::iter::once(1.0).chain(
        (1..n)
            .map(move |r| 1.0 - r as f64 * step / half_width_ev)
            .take_while(move |&w| spread && w > 0.0),
    )
}

/// `sum_r w(|r|) c_xy(r)` over the weights `w(0), w(1), ...`, summed symmetrically in
/// `x` and `y`.
fn weighted_correlation(x: &[f64], y: &[f64], weights: impl Iterator<Item = f64>) -> f64 {
    let lag = |u: &[f64], v: &[f64], r: usize| -> f64 {
        u.iter()
            .zip(v.get(r..).unwrap_or(&[]))
            .map(|(p, q)| p * q)
            .sum()
    };
    weights
        .enumerate()
        .map(|(r, w)| {
            if r == 0 {
                w * lag(x, y, 0)
            } else {
                w * (lag(x, y, r) + lag(y, x, r))
            }
        })
        .sum()
}

/// Dynamic time warping distance: the cheapest monotone alignment path from `(0, 0)` to
/// `(n-1, n-1)` with steps `(1,0)`, `(0,1)`, `(1,1)` and cost `sum |a_i - b_j|` over the
/// path, restricted to the Sakoe–Chiba band `|i - j| <= band` (`D(i,j) = |a_i - b_j| +
/// min(D(i-1,j), D(i,j-1), D(i-1,j-1))`). `O(n band)` time, `O(n)` memory.
///
/// Band 0 equals [`manhattan`]; a wider band can only decrease the value. Symmetric and
/// zero for identical inputs, but not a metric (no triangle inequality).
pub fn dtw(a: &[f64], b: &[f64], band: usize) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let band = band.min(n - 1);
    let mut previous = vec![f64::INFINITY; n];
    let mut current = vec![f64::INFINITY; n];
    for (i, &a_i) in a[..n].iter().enumerate() {
        let columns = i.saturating_sub(band)..=(i + band).min(n - 1);
        dtw_row(i, a_i, &b[..n], columns, &previous, &mut current);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[n - 1]
}

/// Fills row `i` of the DTW table inside `columns` from the previous row. Cells outside
/// the band are never read: row `i - 1` covers `columns.start() - 1 ..= columns.end() - 1`
/// (or up to `n - 1`), and the left neighbour of the first column is treated as infinite.
fn dtw_row(
    i: usize,
    a_i: f64,
    b: &[f64],
    columns: std::ops::RangeInclusive<usize>,
    previous: &[f64],
    current: &mut [f64],
) {
    let lo = *columns.start();
    for j in columns {
        let best = if i == 0 && j == 0 {
            0.0
        } else {
            let up = if i > 0 { previous[j] } else { f64::INFINITY };
            let left = if j > lo {
                current[j - 1]
            } else {
                f64::INFINITY
            };
            let diagonal = if i > 0 && j > 0 {
                previous[j - 1]
            } else {
                f64::INFINITY
            };
            up.min(left).min(diagonal)
        };
        current[j] = (a_i - b[j]).abs() + best;
    }
}
