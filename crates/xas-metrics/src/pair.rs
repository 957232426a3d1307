//! Distances between two measured spectra on different energy axes.
//!
//! Measures compare values point by point, so both spectra are first put on one
//! uniform grid spanning their common energy range, with the median point spacing of
//! the first spectrum (linear interpolation), and normalised alike.

use xas_core::Spectrum;
use xas_core::grid::{median_step, uniform_grid};
use xas_core::normalize::{Normalization, normalize_values};
use xas_core::resample::{Extrapolation, Interpolation, interpolate};

use crate::error::{Error, Result};
use crate::measures::Metric;

/// Two spectra on a shared uniform grid.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonGrid {
    /// The grid (eV): the overlap of both ranges, step = median spacing of `a`.
    pub energy_ev: Vec<f64>,
    /// First spectrum on the grid, normalised.
    pub a: Vec<f64>,
    /// Second spectrum on the grid, normalised.
    pub b: Vec<f64>,
}

impl CommonGrid {
    /// Resamples `a` and `b` onto their common range and normalises both with
    /// `normalization`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the spectra when their ranges do not overlap by
    /// at least two grid steps, or a spectrum cannot be normalised.
    pub fn new(a: &Spectrum, b: &Spectrum, normalization: Normalization) -> Result<Self> {
        let (a_lo, a_hi) = a.energy_range_ev();
        let (b_lo, b_hi) = b.energy_range_ev();
        let (lo, hi) = (a_lo.max(b_lo), a_hi.min(b_hi));
        // A spectrum's axis has at least two points.
        let step = median_step(a.energy_ev()).unwrap_or(1.0);
        let energy_ev = uniform_grid(lo, hi, step).map_err(|_| {
            Error::data(
                "spectra",
                format!(
                    "ranges {a_lo:.2}..{a_hi:.2} eV and {b_lo:.2}..{b_hi:.2} eV share fewer than two points at {step:.3} eV spacing"
                ),
            )
        })?;
        let on_grid = |s: &Spectrum, which: &str| -> Result<Vec<f64>> {
            let y = interpolate(
                s.energy_ev(),
                s.intensity(),
                &energy_ev,
                Interpolation::Linear,
                Extrapolation::Clamp,
            )?;
            normalize_values(&energy_ev, &y, normalization)
                .map_err(|e| Error::data(which, e.to_string()))
        };
        Ok(CommonGrid {
            a: on_grid(a, "first spectrum")?,
            b: on_grid(b, "second spectrum")?,
            energy_ev,
        })
    }

    /// `metric`'s distance between the two spectra.
    ///
    /// # Errors
    /// As [`Metric::distance`].
    pub fn distance(&self, metric: &Metric) -> Result<f64> {
        metric.distance(&self.energy_ev, &self.a, &self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(e0: f64, step: f64, n: usize, centre: f64) -> Spectrum {
        let e: Vec<f64> = (0..n).map(|i| e0 + step * i as f64).collect();
        let y = e
            .iter()
            .map(|x| (-0.5 * ((x - centre) / 1.5).powi(2)).exp() + 0.05)
            .collect();
        Spectrum::new(e, y).unwrap()
    }

    #[test]
    fn same_function_on_different_axes_has_near_zero_distance() {
        let a = peak(0.0, 0.1, 200, 10.0);
        let b = peak(-3.0, 0.07, 400, 10.0);
        let c = CommonGrid::new(&a, &b, Normalization::Area).unwrap();
        assert_eq!(c.energy_ev[0], 0.0);
        assert!((c.energy_ev.last().unwrap() - 19.9).abs() < 1e-9);
        let d = c.distance(&Metric::Euclidean).unwrap();
        assert!(d < 1e-3, "{d}");
        // A shifted peak is far, and farther for a larger shift.
        let far = CommonGrid::new(&a, &peak(0.0, 0.1, 200, 12.0), Normalization::Area)
            .unwrap()
            .distance(&Metric::Euclidean)
            .unwrap();
        let farther = CommonGrid::new(&a, &peak(0.0, 0.1, 200, 14.0), Normalization::Area)
            .unwrap()
            .distance(&Metric::Euclidean)
            .unwrap();
        assert!(far > 100.0 * d && farther > far);
    }

    #[test]
    fn disjoint_ranges_are_an_error() {
        let err = CommonGrid::new(
            &peak(0.0, 0.1, 50, 2.0),
            &peak(100.0, 0.1, 50, 102.0),
            Normalization::Area,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("share fewer than two points"),
            "{err}"
        );
    }
}
