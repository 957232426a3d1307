//! The transform that turns the Wasserstein-1 distance into a weighted L1 distance.

use xas_core::grid::trapezoid_weights;
use xas_core::spectrum::validate_axis;

use crate::error::{Error, Result};
use crate::measures::trapezoid_cdf;

/// Turns spectra on one energy grid into the cumulative distributions whose weighted
/// L1 distance is [`crate::measures::wasserstein1`].
///
/// With the trapezoid weights `w_0 = (E_1 - E_0)/2`, `w_k = (E_(k+1) - E_(k-1))/2`,
/// `w_(m-1) = (E_(m-1) - E_(m-2))/2` of the grid, the trapezoid rule of `W1 = integral
/// |F_a(E) - F_b(E)| dE` is `sum_k w_k |F_a(E_k) - F_b(E_k)|`, where `F(E_k)` is the
/// cumulative trapezoid integral of the spectrum clipped to non-negative values and
/// scaled to unit area ([`CdfTransform::cdf`]). A library can therefore store each
/// row's CDF once and compare a query with every row by one weighted L1 sum, with
/// results equal to `wasserstein1` up to the rounding of the summation order
/// (relative differences of order `1e-15` in `f64`).
///
/// A spectrum without positive area is "empty" (no CDF): two empty spectra are at
/// distance 0, an empty and a non-empty one at [`CdfTransform::empty_distance`]
/// `= E_(m-1) - E_0`, the largest value W1 can take.
#[derive(Debug, Clone, PartialEq)]
pub struct CdfTransform {
    energy_ev: Vec<f64>,
    weights: Vec<f64>,
    empty_distance: f64,
}

impl CdfTransform {
    /// Prepares the transform for `energy_ev` (in eV).
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `energy_ev` when the axis has fewer than 2 points,
    /// a non-finite value or is not strictly increasing.
    pub fn new(energy_ev: &[f64]) -> Result<Self> {
        validate_axis(energy_ev).map_err(|e| Error::data("energy_ev", e.to_string()))?;
        let m = energy_ev.len();
        let weights = trapezoid_weights(energy_ev);
        // As `measures::wasserstein1`: the mean step times the number of steps.
        let mean_step = (energy_ev[m - 1] - energy_ev[0]) / (m - 1) as f64;
        Ok(CdfTransform {
            energy_ev: energy_ev.to_vec(),
            weights,
            empty_distance: mean_step * (m - 1) as f64,
        })
    }

    /// The energy axis, in eV.
    pub fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    /// The trapezoid weights `w_k` of the grid, in eV (they sum to `E_(m-1) - E_0`).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// W1 between an empty and a non-empty spectrum, `E_(m-1) - E_0` in eV.
    pub fn empty_distance(&self) -> f64 {
        self.empty_distance
    }

    /// The CDF `F(E_k)` of `y` at the grid points (0 at `E_0`, 1 at `E_(m-1)`): `y`
    /// clipped to `max(y, 0)`, scaled by its peak (against overflow), divided by its
    /// trapezoid area and integrated cumulatively by the trapezoid rule; the very CDF
    /// that [`crate::measures::wasserstein1`] computes. `None` for an empty spectrum
    /// (no positive, finite area). Uses the common length of `y` and the axis.
    pub fn cdf(&self, y: &[f64]) -> Option<Vec<f64>> {
        let n = y.len().min(self.energy_ev.len());
        trapezoid_cdf(&self.energy_ev[..n], &y[..n])
    }

    /// W1 between two CDFs from [`CdfTransform::cdf`] (`None` = empty spectrum):
    /// `sum_k w_k |F_a(E_k) - F_b(E_k)|`, in eV.
    pub fn distance(&self, a: Option<&[f64]>, b: Option<&[f64]>) -> f64 {
        match (a, b) {
            (Some(a), Some(b)) => a
                .iter()
                .zip(b)
                .zip(&self.weights)
                .map(|((x, y), w)| w * (x - y).abs())
                .sum(),
            (None, None) => 0.0,
            _ => self.empty_distance,
        }
    }
}
