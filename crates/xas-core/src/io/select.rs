//! Choosing the energy, intensity and sigma columns among named columns, shared by
//! every reader.

use super::options::{ColumnSelector, ReadOptions};
use super::source::Source;
use crate::error::{Error, Result};

/// Names of columns holding the absorption of the sample (XDI dictionary names and
/// common spellings), preferred for the default intensity.
const MU_NAMES: [&str; 12] = [
    "mutrans",
    "mufluor",
    "mu",
    "xmu",
    "mu_trans",
    "mu_fluor",
    "mu_t",
    "mu_f",
    "mu(e)",
    "mue",
    "absorption",
    "mu_e",
];
/// Normalised absorption of the sample: used when no raw mu column exists.
const NORM_NAMES: [&str; 6] = [
    "normtrans",
    "normfluor",
    "norm",
    "norm_trans",
    "norm_fluor",
    "flat",
];
/// Reference-channel absorption: the last resort among mu-like names.
const REFERENCE_NAMES: [&str; 6] = [
    "murefer",
    "normrefer",
    "mu_refer",
    "muref",
    "mu_ref",
    "norm_refer",
];
/// Names of per-point standard-deviation columns.
const SIGMA_NAMES: [&str; 4] = ["sigma", "stddev", "std", "mu_sigma"];

/// Position of the first column called `wanted` (case-insensitive, blanks trimmed).
pub(crate) fn find(names: &[String], wanted: &str) -> Option<usize> {
    find_any(names, &[wanted.trim()])
}

/// Position of the first column whose name is in `candidates`.
fn find_any(names: &[String], candidates: &[&str]) -> Option<usize> {
    names
        .iter()
        .position(|n| candidates.iter().any(|c| n.trim().eq_ignore_ascii_case(c)))
}

/// The column that looks most like mu(E): a sample mu name, else a normalised one,
/// else a reference one; the first in file order within each rank.
pub(crate) fn mu_like(names: &[String]) -> Option<usize> {
    find_any(names, &MU_NAMES)
        .or_else(|| find_any(names, &NORM_NAMES))
        .or_else(|| find_any(names, &REFERENCE_NAMES))
}

/// A sigma column other than `x` and `y`, if one is named like one.
pub(crate) fn sigma_column(names: &[String], x: usize, y: usize) -> Option<usize> {
    find_any(names, &SIGMA_NAMES).filter(|&s| s != x && s != y)
}

/// The first of `count` columns that is not `x` (the fallback intensity column).
///
/// # Errors
/// A parse error when there is no other column.
pub(crate) fn first_other(source: &Source<'_>, count: usize, x: usize) -> Result<usize> {
    (0..count).find(|&i| i != x).ok_or_else(|| {
        source.error(
            0,
            "columns",
            "need at least two columns (energy and intensity)",
        )
    })
}

/// Resolves a user's selector against the column names.
///
/// # Errors
/// [`Error::InvalidParameter`] for `option` (`x_column` or `y_column`) naming the file,
/// the missing column and the available names.
pub(crate) fn resolve(
    source: &Source<'_>,
    names: &[String],
    selector: &ColumnSelector,
    option: &str,
) -> Result<usize> {
    let found = match selector {
        ColumnSelector::Name(name) => find(names, name),
        ColumnSelector::Index(index) => (*index < names.len()).then_some(*index),
    };
    found.ok_or_else(|| {
        Error::param(
            option,
            format!(
                "{}: no {selector}; available columns (zero-based): {}",
                source.path().display(),
                list(names)
            ),
        )
    })
}

/// The x column: the user's choice, else `default`.
///
/// # Errors
/// As [`resolve`].
pub(crate) fn pick_x(
    source: &Source<'_>,
    names: &[String],
    options: &ReadOptions,
    default: usize,
) -> Result<usize> {
    match &options.x_column {
        Some(selector) => resolve(source, names, selector, "x_column"),
        None => Ok(default),
    }
}

/// The user's y column, if one was chosen.
///
/// # Errors
/// As [`resolve`].
pub(crate) fn pick_user_y(
    source: &Source<'_>,
    names: &[String],
    options: &ReadOptions,
) -> Result<Option<usize>> {
    options
        .y_column
        .as_ref()
        .map(|selector| resolve(source, names, selector, "y_column"))
        .transpose()
}

/// Returns `values` when they can serve as sigma (all finite and > 0); otherwise
/// records in `history` why the column `name` was ignored.
pub(crate) fn usable_sigma(
    values: &[f64],
    name: &str,
    history: &mut Vec<String>,
) -> Option<Vec<f64>> {
    match values.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        None => Some(values.to_vec()),
        Some(i) => {
            history.push(format!(
                "sigma column `{name}` ignored: value {} at point {i} is not > 0",
                values[i]
            ));
            None
        }
    }
}

/// `0: energy, 1: mu, ...` for error messages.
pub(crate) fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{i}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prefers_sample_mu_over_normalised_and_reference() {
        assert_eq!(
            mu_like(&names(&["energy", "murefer", "normtrans", "MuTrans"])),
            Some(3)
        );
        assert_eq!(
            mu_like(&names(&["energy", "murefer", "normtrans"])),
            Some(2)
        );
        assert_eq!(
            mu_like(&names(&[
                "energy_raw_eV",
                "energy_cal_eV",
                "mu",
                "norm_larch"
            ])),
            Some(2)
        );
        assert_eq!(mu_like(&names(&["energy", "i0"])), None);
    }

    #[test]
    fn resolve_names_missing_columns() {
        let source = Source::new(Path::new("f.dat"));
        let cols = names(&["energy", "mu"]);
        let by_name = ColumnSelector::Name("MU".into());
        assert_eq!(resolve(&source, &cols, &by_name, "y_column").unwrap(), 1);
        let missing = ColumnSelector::Name("i0".into());
        let err = resolve(&source, &cols, &missing, "y_column")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("y_column") && err.contains("i0") && err.contains("0: energy, 1: mu"),
            "{err}"
        );
        let err = resolve(&source, &cols, &ColumnSelector::Index(2), "x_column").unwrap_err();
        assert!(err.to_string().contains("index 2"), "{err}");
    }
}
