//! [`Spectrum`]: one measured or simulated spectrum on an energy axis.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::grid::{check_axis, check_values};

/// Descriptive metadata carried with a spectrum.
///
/// Readers fill what their format provides; everything is optional.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Metadata {
    /// Short name of the spectrum (Athena group label, file stem, ...).
    pub label: Option<String>,
    /// Absorbing element symbol, e.g. `"Fe"`.
    pub element: Option<String>,
    /// Absorption edge, e.g. `"K"`, `"L3"`.
    pub edge: Option<String>,
    /// Sample name or description.
    pub sample: Option<String>,
    /// File the spectrum was read from.
    pub source: Option<String>,
    /// Edge energy E0 (eV) stated by the source (e.g. Athena's `bkg_e0`), if any.
    pub e0_ev: Option<f64>,
    /// Energy-calibration shift (eV) stated by the source and already added to the
    /// energy axis (Athena's `bkg_eshift`), if any.
    pub energy_shift_ev: Option<f64>,
    /// Everything else, as key/value text (XDI `Namespace.tag`, EMSA `#KEY`, ...).
    pub extra: BTreeMap<String, String>,
    /// Notes written by readers and processing steps about what they changed
    /// (sorting, merged duplicates, derived columns).
    pub history: Vec<String>,
}

/// A spectrum: intensity (arbitrary units) on a strictly increasing energy axis (eV),
/// with an optional per-point standard deviation.
///
/// Invariants, checked by every constructor: at least two points; energy, intensity
/// (and sigma) of equal length; all values finite; energy strictly increasing; sigma
/// strictly positive.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Spectrum {
    energy_ev: Vec<f64>,
    intensity: Vec<f64>,
    sigma: Option<Vec<f64>>,
    /// Descriptive metadata.
    pub meta: Metadata,
}

impl Spectrum {
    /// Creates a spectrum from an energy axis (eV) and intensities, validating both.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the array and index when fewer than two points are
    /// given, lengths differ, a value is not finite, or energy is not strictly increasing.
    pub fn new(energy_ev: Vec<f64>, intensity: Vec<f64>) -> Result<Self> {
        validate_axis(&energy_ev)?;
        check_values("intensity", &intensity, energy_ev.len())?;
        Ok(Spectrum {
            energy_ev,
            intensity,
            sigma: None,
            meta: Metadata::default(),
        })
    }

    /// Creates a spectrum from points in any order: sorts by energy and merges points at
    /// identical energies by averaging their intensities (sigma combined as the standard
    /// error of the mean). What was done is recorded in `meta.history`.
    ///
    /// # Errors
    /// As [`Spectrum::new`], except for ordering.
    pub fn from_unsorted(
        energy_ev: Vec<f64>,
        intensity: Vec<f64>,
        sigma: Option<Vec<f64>>,
    ) -> Result<Self> {
        check_values("energy", &energy_ev, energy_ev.len())?;
        check_values("intensity", &intensity, energy_ev.len())?;
        if let Some(s) = &sigma {
            validate_sigma(s, energy_ev.len())?;
        }
        let mut order: Vec<usize> = (0..energy_ev.len()).collect();
        order.sort_by(|&a, &b| energy_ev[a].total_cmp(&energy_ev[b]));
        let sorted = order.windows(2).all(|w| w[0] < w[1]);
        let mut e = Vec::with_capacity(order.len());
        let mut y = Vec::with_capacity(order.len());
        let mut s = sigma.as_ref().map(|_| Vec::with_capacity(order.len()));
        let mut merged = 0usize;
        let mut i = 0;
        while i < order.len() {
            let mut j = i + 1;
            while j < order.len() && energy_ev[order[j]] == energy_ev[order[i]] {
                j += 1;
            }
            let group = &order[i..j];
            let n = group.len() as f64;
            merged += group.len() - 1;
            e.push(energy_ev[group[0]]);
            y.push(group.iter().map(|&k| intensity[k]).sum::<f64>() / n);
            if let (Some(out), Some(sig)) = (s.as_mut(), sigma.as_ref()) {
                out.push(group.iter().map(|&k| sig[k] * sig[k]).sum::<f64>().sqrt() / n);
            }
            i = j;
        }
        let mut spectrum = Spectrum::new(e, y)?;
        if let Some(s) = s {
            spectrum = spectrum.with_sigma(s)?;
        }
        if !sorted {
            spectrum
                .meta
                .history
                .push("points sorted by increasing energy".into());
        }
        if merged > 0 {
            spectrum.meta.history.push(format!(
                "{merged} point(s) at duplicate energies merged by averaging"
            ));
        }
        Ok(spectrum)
    }

    /// Attaches a per-point standard deviation (same units as the intensity).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the length differs or a sigma is not finite and > 0.
    pub fn with_sigma(mut self, sigma: Vec<f64>) -> Result<Self> {
        validate_sigma(&sigma, self.energy_ev.len())?;
        self.sigma = Some(sigma);
        Ok(self)
    }

    /// Replaces the metadata.
    pub fn with_meta(mut self, meta: Metadata) -> Self {
        self.meta = meta;
        self
    }

    /// Returns a spectrum on the same axis with new intensities (and no sigma), keeping
    /// the metadata.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the length differs or a value is not finite.
    pub fn with_intensity(&self, intensity: Vec<f64>) -> Result<Self> {
        check_values("intensity", &intensity, self.energy_ev.len())?;
        Ok(Spectrum {
            energy_ev: self.energy_ev.clone(),
            intensity,
            sigma: None,
            meta: self.meta.clone(),
        })
    }

    /// Energy axis (eV), strictly increasing.
    pub fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    /// Intensity values (arbitrary units).
    pub fn intensity(&self) -> &[f64] {
        &self.intensity
    }

    /// Per-point standard deviation, if known.
    pub fn sigma(&self) -> Option<&[f64]> {
        self.sigma.as_deref()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.energy_ev.len()
    }

    /// Always `false`: a spectrum has at least two points. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.energy_ev.is_empty()
    }

    /// Lowest and highest energy (eV).
    pub fn energy_range_ev(&self) -> (f64, f64) {
        (self.energy_ev[0], self.energy_ev[self.energy_ev.len() - 1])
    }

    /// Splits into (energy, intensity, sigma, metadata).
    pub fn into_parts(self) -> (Vec<f64>, Vec<f64>, Option<Vec<f64>>, Metadata) {
        (self.energy_ev, self.intensity, self.sigma, self.meta)
    }

    /// Applies `f` to every intensity (and scales sigma by `|scale|` when the transform
    /// is affine with that slope), validating the result.
    ///
    /// Used by normalisations: `y -> (y - offset) * scale`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the result is not finite (e.g. a zero divisor).
    pub fn affine(&self, offset: f64, scale: f64) -> Result<Self> {
        let intensity: Vec<f64> = self
            .intensity
            .iter()
            .map(|y| (y - offset) * scale)
            .collect();
        check_values("intensity", &intensity, self.len())?;
        let sigma = match &self.sigma {
            Some(s) if scale != 0.0 => Some(s.iter().map(|v| v * scale.abs()).collect()),
            _ => None,
        };
        Ok(Spectrum {
            energy_ev: self.energy_ev.clone(),
            intensity,
            sigma,
            meta: self.meta.clone(),
        })
    }

    /// Returns a copy with `shift_ev` added to every energy.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the shift is not finite.
    pub fn shifted(&self, shift_ev: f64) -> Result<Self> {
        if !shift_ev.is_finite() {
            return Err(Error::param("shift_ev", "must be finite"));
        }
        let mut out = self.clone();
        out.energy_ev.iter_mut().for_each(|e| *e += shift_ev);
        Ok(out)
    }
}

/// Checks that an energy axis has at least two finite, strictly increasing values.
///
/// # Errors
/// [`Error::InvalidData`] naming the first offending index (`energy[i]`).
pub fn validate_axis(energy_ev: &[f64]) -> Result<()> {
    check_axis("energy", energy_ev)
}

fn validate_sigma(sigma: &[f64], expected_len: usize) -> Result<()> {
    check_values("sigma", sigma, expected_len)?;
    if let Some(i) = sigma.iter().position(|&s| s <= 0.0) {
        return Err(Error::data(
            format!("sigma[{i}]"),
            format!("must be > 0, got {}", sigma[i]),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_short_nan_and_nonmonotonic() {
        assert!(Spectrum::new(vec![1.0], vec![1.0]).is_err());
        let err = Spectrum::new(vec![1.0, 2.0, f64::NAN], vec![0.0; 3]).unwrap_err();
        assert!(err.to_string().contains("energy[2]"), "{err}");
        let err = Spectrum::new(vec![1.0, 3.0, 2.0], vec![0.0; 3]).unwrap_err();
        assert!(err.to_string().contains("energy[2]"), "{err}");
        let err = Spectrum::new(vec![1.0, 2.0], vec![0.0; 3]).unwrap_err();
        assert!(err.to_string().contains("intensity"), "{err}");
        let s = Spectrum::new(vec![1.0, 2.0], vec![0.0; 2]).unwrap();
        assert!(s.clone().with_sigma(vec![1.0, 0.0]).is_err());
        assert!(s.with_sigma(vec![1.0, 2.0]).is_ok());
    }

    #[test]
    fn from_unsorted_sorts_and_merges() {
        let s = Spectrum::from_unsorted(
            vec![3.0, 1.0, 2.0, 2.0],
            vec![30.0, 10.0, 20.0, 22.0],
            Some(vec![1.0, 1.0, 2.0, 2.0]),
        )
        .unwrap();
        assert_eq!(s.energy_ev(), &[1.0, 2.0, 3.0]);
        assert_eq!(s.intensity(), &[10.0, 21.0, 30.0]);
        let sig = s.sigma().unwrap();
        assert!((sig[1] - (8.0f64).sqrt() / 2.0).abs() < 1e-15);
        assert_eq!(s.meta.history.len(), 2);
    }
}
