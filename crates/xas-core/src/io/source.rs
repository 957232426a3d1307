//! [`Source`]: the file being read, used to build errors and the final spectrum.

use std::path::Path;

use super::text::{parse_number, snippet};
use crate::error::{Error, Result};
use crate::spectrum::{Metadata, Spectrum};

/// The file (or in-memory buffer) a reader works on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    path: &'a Path,
}

impl<'a> Source<'a> {
    /// Wraps the name used in errors and `meta.source`.
    pub(crate) fn new(path: &'a Path) -> Self {
        Source { path }
    }

    /// The name as given.
    pub(crate) fn path(&self) -> &'a Path {
        self.path
    }

    /// A parse error at `line` (one-based, 0 when not tied to a line) about `field`.
    pub(crate) fn error(
        &self,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::parse(self.path, line, field, message)
    }

    /// Parses `token` as a finite number, or fails naming the line and field.
    pub(crate) fn number(&self, token: &str, line: usize, field: &str) -> Result<f64> {
        parse_number(token).ok_or_else(|| {
            self.error(
                line,
                field,
                format!("`{}` is not a finite number", snippet(token)),
            )
        })
    }

    /// Metadata with `source` set to this file and `label` to the file stem.
    pub(crate) fn base_metadata(&self) -> Metadata {
        Metadata {
            label: self
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned()),
            source: Some(self.path.display().to_string()),
            ..Metadata::default()
        }
    }

    /// Builds the spectrum through [`Spectrum::from_unsorted`] (sorting and merging
    /// duplicates as needed), keeping the reader's history notes before the ones the
    /// constructor adds. Invalid data are reported as parse errors of this file.
    pub(crate) fn spectrum(
        &self,
        energy_ev: Vec<f64>,
        intensity: Vec<f64>,
        sigma: Option<Vec<f64>>,
        mut meta: Metadata,
    ) -> Result<Spectrum> {
        let mut spectrum =
            Spectrum::from_unsorted(energy_ev, intensity, sigma).map_err(|e| match e {
                Error::InvalidData { field, message } => self.error(0, field, message),
                other => other,
            })?;
        meta.history.append(&mut spectrum.meta.history);
        spectrum.meta = meta;
        Ok(spectrum)
    }
}
