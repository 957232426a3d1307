//! CSV export: [`Library::write_table`] and [`Library::write_labels`].

use std::path::Path;

use xas_core::{Delimiter, write_atomic, write_columns};

use super::Library;
use super::csv::quote;
use crate::error::{Error, Result};

/// Name of the energy column of [`Library::write_table`].
const ENERGY_COLUMN: &str = "energy_eV";
/// Name of the spectrum-name column of [`Library::write_labels`].
const KEY_COLUMN: &str = "file";

/// See [`Library::write_table`].
pub(super) fn write_table(library: &Library, path: &Path) -> Result<()> {
    let spectra = library.spectra();
    for (i, name) in spectra.names().iter().enumerate() {
        if name.is_empty()
            || name.contains(|c: char| c.is_whitespace() || c == ',')
            || name.eq_ignore_ascii_case(ENERGY_COLUMN)
        {
            return Err(Error::data(
                format!("names[{i}]"),
                format!(
                    "`{name}` cannot be a CSV column name (blanks, commas and line breaks \
                     are not allowed, nor `{ENERGY_COLUMN}`)"
                ),
            ));
        }
    }
    let mut comments = vec![format!(
        "xas-metrics library: {} spectra x {} points; first column energy (eV), one \
         column per spectrum; labels in a separate file",
        spectra.n_spectra(),
        spectra.n_points()
    )];
    comments.extend(
        library
            .provenance()
            .iter()
            .map(|(key, value)| format!("{key}: {value}")),
    );
    let mut names: Vec<&str> = Vec::with_capacity(spectra.n_spectra() + 1);
    names.push(ENERGY_COLUMN);
    names.extend(spectra.names().iter().map(String::as_str));
    let mut columns: Vec<&[f64]> = Vec::with_capacity(spectra.n_spectra() + 1);
    columns.push(spectra.energy_ev());
    columns.extend(spectra.rows());
    write_columns(path, &comments, &names, &columns, Delimiter::Comma)?;
    Ok(())
}

/// See [`Library::write_labels`].
pub(super) fn write_labels(library: &Library, path: &Path) -> Result<()> {
    let spectra = library.spectra();
    let numeric: Vec<(&str, &[f64])> = spectra
        .numeric_label_names()
        .map(|name| (name, spectra.numeric_label(name).unwrap_or(&[])))
        .collect();
    let categorical: Vec<(&str, &[String])> = spectra
        .categorical_label_names()
        .map(|name| (name, spectra.categorical_label(name).unwrap_or(&[])))
        .collect();
    let label_names = numeric
        .iter()
        .map(|(name, _)| *name)
        .chain(categorical.iter().map(|(name, _)| *name));
    let mut header = vec![KEY_COLUMN.to_owned()];
    for name in label_names {
        if name.eq_ignore_ascii_case(KEY_COLUMN) {
            return Err(Error::data(
                format!("label `{name}`"),
                format!("a label cannot be called `{KEY_COLUMN}` (the column of spectrum names)"),
            ));
        }
        header.push(quote(name));
    }
    let mut out = header.join(",");
    out.push('\n');
    for (i, name) in spectra.names().iter().enumerate() {
        let mut fields = vec![quote(name)];
        fields.extend(
            numeric
                .iter()
                .map(|(_, values)| values.get(i).map_or_else(String::new, |&v| number(v))),
        );
        fields.extend(
            categorical
                .iter()
                .map(|(_, values)| values.get(i).map_or_else(String::new, |v| quote(v))),
        );
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    write_atomic(path, out.as_bytes())?;
    Ok(())
}

/// A number as text that parses back to the same `f64`: plain decimal for moderate
/// magnitudes, shortest scientific notation otherwise, `NaN` for a missing value.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if value.is_nan() {
        "NaN".to_owned()
    } else if value == 0.0 || (1e-4..1e15).contains(&magnitude) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}
