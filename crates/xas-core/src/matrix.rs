//! [`SpectraMatrix`]: many spectra on one shared energy axis, stored contiguously.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::resample::{Extrapolation, Interpolation, interpolate};
use crate::spectrum::{Spectrum, validate_axis};

/// `n` spectra x `m` points on one shared energy axis (eV), row-major and contiguous
/// (row `i` is `data[i*m .. (i+1)*m]`), with a name per row and any number of
/// per-row labels, numeric (e.g. `10Dq` in eV) or categorical (e.g. valence `"Mn2+"`).
///
/// The layout is what distance kernels and decompositions want: one slice per
/// spectrum, no per-row allocation.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SpectraMatrix {
    energy_ev: Vec<f64>,
    data: Vec<f64>,
    names: Vec<String>,
    numeric_labels: BTreeMap<String, Vec<f64>>,
    categorical_labels: BTreeMap<String, Vec<String>>,
}

impl SpectraMatrix {
    /// An empty matrix (no rows) on the given axis.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the axis is not valid (see [`validate_axis`]).
    pub fn new(energy_ev: Vec<f64>) -> Result<Self> {
        validate_axis(&energy_ev)?;
        Ok(SpectraMatrix {
            energy_ev,
            data: Vec::new(),
            names: Vec::new(),
            numeric_labels: BTreeMap::new(),
            categorical_labels: BTreeMap::new(),
        })
    }

    /// A matrix from row-major data of `data.len() / energy_ev.len()` rows, named
    /// `row0`, `row1`, ...
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the axis is invalid, the data length is not a
    /// multiple of the axis length, or a value is not finite.
    pub fn from_row_major(energy_ev: Vec<f64>, data: Vec<f64>) -> Result<Self> {
        let mut matrix = SpectraMatrix::new(energy_ev)?;
        let m = matrix.n_points();
        if !data.len().is_multiple_of(m) {
            return Err(Error::data(
                "data",
                format!(
                    "length {} is not a multiple of the axis length {m}",
                    data.len()
                ),
            ));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                format!("data[row {}, point {}]", i / m, i % m),
                "value is not finite",
            ));
        }
        matrix.names = (0..data.len() / m).map(|i| format!("row{i}")).collect();
        matrix.data = data;
        Ok(matrix)
    }

    /// Resamples every spectrum onto `grid_ev` and stacks them; row names are the
    /// spectra's labels (or `row<i>`).
    ///
    /// # Errors
    /// As [`interpolate`] (e.g. [`Error::OutOfRange`] when a spectrum does not cover
    /// the grid and extrapolation is `Error`), with the row named in the message.
    pub fn from_spectra(
        spectra: &[Spectrum],
        grid_ev: &[f64],
        method: Interpolation,
        extrapolation: Extrapolation,
    ) -> Result<Self> {
        let mut matrix = SpectraMatrix::new(grid_ev.to_vec())?;
        matrix.data.reserve(spectra.len() * grid_ev.len());
        for (i, s) in spectra.iter().enumerate() {
            let name = s.meta.label.clone().unwrap_or_else(|| format!("row{i}"));
            let row = interpolate(s.energy_ev(), s.intensity(), grid_ev, method, extrapolation)
                .map_err(|e| Error::data(format!("spectrum {i} ({name})"), e.to_string()))?;
            matrix.push_row(name, &row)?;
        }
        Ok(matrix)
    }

    /// Appends a row. Existing labels are extended with NaN (numeric) or an empty
    /// string (categorical) for the new row.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the length differs from the axis or a value is not
    /// finite.
    pub fn push_row(&mut self, name: impl Into<String>, values: &[f64]) -> Result<()> {
        let name = name.into();
        if values.len() != self.n_points() {
            return Err(Error::data(
                format!("row `{name}`"),
                format!(
                    "has {} points, the axis has {}",
                    values.len(),
                    self.n_points()
                ),
            ));
        }
        if let Some(j) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::data(
                format!("row `{name}` point {j}"),
                "value is not finite",
            ));
        }
        self.data.extend_from_slice(values);
        self.names.push(name);
        self.numeric_labels
            .values_mut()
            .for_each(|v| v.push(f64::NAN));
        self.categorical_labels
            .values_mut()
            .for_each(|v| v.push(String::new()));
        Ok(())
    }

    /// Sets (or replaces) a numeric label column, one value per row.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the number of values differs from the row count.
    pub fn set_numeric_label(&mut self, name: impl Into<String>, values: Vec<f64>) -> Result<()> {
        let name = name.into();
        self.check_label_len(&name, values.len())?;
        self.numeric_labels.insert(name, values);
        Ok(())
    }

    /// Sets (or replaces) a categorical label column, one value per row.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the number of values differs from the row count.
    pub fn set_categorical_label(
        &mut self,
        name: impl Into<String>,
        values: Vec<String>,
    ) -> Result<()> {
        let name = name.into();
        self.check_label_len(&name, values.len())?;
        self.categorical_labels.insert(name, values);
        Ok(())
    }

    fn check_label_len(&self, name: &str, len: usize) -> Result<()> {
        if len == self.n_spectra() {
            Ok(())
        } else {
            Err(Error::data(
                format!("label `{name}`"),
                format!("has {len} values for {} rows", self.n_spectra()),
            ))
        }
    }

    /// Number of spectra (rows).
    pub fn n_spectra(&self) -> usize {
        self.names.len()
    }

    /// Number of energy points (columns).
    pub fn n_points(&self) -> usize {
        self.energy_ev.len()
    }

    /// The shared energy axis (eV).
    pub fn energy_ev(&self) -> &[f64] {
        &self.energy_ev
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Row `i`, or `None` past the end.
    pub fn row(&self, i: usize) -> Option<&[f64]> {
        // Compare the index, not `i * m` (which can wrap for huge `i`).
        let m = self.n_points();
        (i < self.n_spectra()).then(|| &self.data[i * m..(i + 1) * m])
    }

    /// Iterator over the rows.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.data.chunks_exact(self.n_points())
    }

    /// Row names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// A numeric label column by name.
    pub fn numeric_label(&self, name: &str) -> Option<&[f64]> {
        self.numeric_labels.get(name).map(Vec::as_slice)
    }

    /// A categorical label column by name.
    pub fn categorical_label(&self, name: &str) -> Option<&[String]> {
        self.categorical_labels.get(name).map(Vec::as_slice)
    }

    /// Names of the numeric label columns.
    pub fn numeric_label_names(&self) -> impl Iterator<Item = &str> {
        self.numeric_labels.keys().map(String::as_str)
    }

    /// Names of the categorical label columns.
    pub fn categorical_label_names(&self) -> impl Iterator<Item = &str> {
        self.categorical_labels.keys().map(String::as_str)
    }

    /// Row `i` as a [`Spectrum`] labelled with its row name.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `i` is out of range.
    pub fn spectrum(&self, i: usize) -> Result<Spectrum> {
        let row = self.row(i).ok_or_else(|| {
            Error::param("i", format!("row {i} out of range 0..{}", self.n_spectra()))
        })?;
        let mut s = Spectrum::new(self.energy_ev.clone(), row.to_vec())?;
        s.meta.label = Some(self.names[i].clone());
        Ok(s)
    }

    /// The same spectra, names and labels restricted to the grid points in
    /// `lo_ev ..= hi_ev` (eV).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `lo_ev`/`hi_ev` when fewer than two grid points
    /// fall in the window.
    pub fn window(&self, lo_ev: f64, hi_ev: f64) -> Result<SpectraMatrix> {
        let first = self.energy_ev.partition_point(|&e| e < lo_ev);
        let end = self.energy_ev.partition_point(|&e| e <= hi_ev);
        if end < first + 2 {
            return Err(Error::param(
                "lo_ev/hi_ev",
                format!("[{lo_ev}, {hi_ev}] eV holds fewer than two grid points"),
            ));
        }
        let m = self.n_points();
        Ok(SpectraMatrix {
            energy_ev: self.energy_ev[first..end].to_vec(),
            data: self
                .data
                .chunks_exact(m)
                .flat_map(|row| &row[first..end])
                .copied()
                .collect(),
            names: self.names.clone(),
            numeric_labels: self.numeric_labels.clone(),
            categorical_labels: self.categorical_labels.clone(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn window_keeps_rows_names_and_labels() {
        let mut m = SpectraMatrix::new(vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        m.push_row("a", &[1.0, 2.0, 3.0, 4.0]).unwrap();
        m.push_row("b", &[5.0, 6.0, 7.0, 8.0]).unwrap();
        m.set_numeric_label("x", vec![0.5, 1.5]).unwrap();
        m.set_categorical_label("c", vec!["p".into(), "q".into()])
            .unwrap();
        let w = m.window(0.5, 3.0).unwrap();
        assert_eq!(w.energy_ev(), &[1.0, 2.0, 3.0]);
        assert_eq!(w.as_slice(), &[2.0, 3.0, 4.0, 6.0, 7.0, 8.0]);
        assert_eq!(w.names(), m.names());
        assert_eq!(w.numeric_label("x"), m.numeric_label("x"));
        assert_eq!(w.categorical_label("c"), m.categorical_label("c"));
        assert!(m.window(1.2, 1.8).is_err());
        assert!(m.window(5.0, 9.0).is_err());
    }

    #[test]
    fn builds_from_spectra_and_keeps_labels_aligned() {
        let a = Spectrum::new(vec![0.0, 1.0, 2.0], vec![0.0, 1.0, 2.0]).unwrap();
        let b = Spectrum::new(vec![0.0, 2.0], vec![2.0, 0.0]).unwrap();
        let mut m = SpectraMatrix::from_spectra(
            &[a, b],
            &[0.5, 1.5],
            Interpolation::Linear,
            Extrapolation::Error,
        )
        .unwrap();
        assert_eq!(m.as_slice(), &[0.5, 1.5, 1.5, 0.5]);
        m.set_numeric_label("tendq_ev", vec![0.1, 0.2]).unwrap();
        m.set_categorical_label("valence", vec!["2+".into(), "3+".into()])
            .unwrap();
        m.push_row("c", &[7.0, 8.0]).unwrap();
        assert_eq!(m.n_spectra(), 3);
        assert!(m.numeric_label("tendq_ev").unwrap()[2].is_nan());
        assert_eq!(m.categorical_label("valence").unwrap()[2], "");
        assert!(m.set_numeric_label("x", vec![1.0]).is_err());
        assert_eq!(m.spectrum(2).unwrap().intensity(), &[7.0, 8.0]);
        assert!(m.spectrum(3).is_err());
    }

    #[test]
    fn huge_row_indices_are_out_of_range() {
        // `i * n_points` wraps to 0 for i = 2^63 and 2 points: that must not be row 0.
        let m = SpectraMatrix::from_row_major(vec![0.0, 1.0], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        for i in [2, 1usize << 63, usize::MAX] {
            assert_eq!(m.row(i), None, "{i}");
            assert!(m.spectrum(i).is_err(), "{i}");
        }
        assert_eq!(m.row(1), Some(&[3.0, 4.0][..]));
    }

    #[test]
    fn out_of_range_names_the_row() {
        let a = Spectrum::new(vec![0.0, 1.0], vec![0.0, 1.0]).unwrap();
        let err = SpectraMatrix::from_spectra(
            &[a],
            &[0.5, 1.5],
            Interpolation::Linear,
            Extrapolation::Error,
        )
        .unwrap_err();
        assert!(err.to_string().contains("spectrum 0"), "{err}");
    }
}
