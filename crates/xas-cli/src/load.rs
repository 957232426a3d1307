//! Reading spectrum files for the commands, with the column options they share.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;
use xas_core::Spectrum;
use xas_core::io::{ColumnSelector, Format, ReadOptions, detect_format, read_bytes};

/// Column choice for plain-text formats.
#[derive(Debug, Clone, Default, Args)]
pub struct ColumnArgs {
    /// Energy column of a text file: a name or a zero-based index.
    #[arg(long, value_name = "NAME|INDEX")]
    pub x_column: Option<String>,
    /// Absorption column of a text file: a name or a zero-based index.
    #[arg(long, value_name = "NAME|INDEX")]
    pub y_column: Option<String>,
}

/// A column given by name or zero-based index.
pub fn selector(text: &str) -> ColumnSelector {
    text.parse::<usize>().map_or_else(
        |_| ColumnSelector::Name(text.to_string()),
        ColumnSelector::Index,
    )
}

impl ColumnArgs {
    /// The reader options these arguments select.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            x_column: self.x_column.as_deref().map(selector),
            y_column: self.y_column.as_deref().map(selector),
            ..ReadOptions::default()
        }
    }
}

/// Reads every spectrum of `path`, returning the detected format too.
pub fn read_spectra(path: &Path, columns: &ColumnArgs) -> Result<(Format, Vec<Spectrum>)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = detect_format(path, &bytes)?;
    let options = ReadOptions {
        format: Some(format),
        ..columns.read_options()
    };
    let spectra = read_bytes(&bytes, path, &options)?;
    Ok((format, spectra))
}

/// The first spectrum of `path`; when the file holds several, a note on standard error
/// says so and what is done with the first (`doing`, e.g. "comparing").
pub fn first_spectrum(path: &Path, columns: &ColumnArgs, doing: &str) -> Result<Spectrum> {
    let (_, mut spectra) = read_spectra(path, columns)?;
    if spectra.is_empty() {
        anyhow::bail!("{}: no spectrum in the file", path.display());
    }
    if spectra.len() > 1 {
        eprintln!(
            "note: {} holds {} spectra; {doing} the first",
            path.display(),
            spectra.len()
        );
    }
    Ok(spectra.swap_remove(0))
}

/// A file-name-safe version of a spectrum label.
pub fn file_stem_for(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "spectrum".into() } else { s }
}
