//! [`Library`]: a labelled spectral library (a [`SpectraMatrix`] with provenance) and
//! its files.
//!
//! A library is what similarity-based estimation compares a measured spectrum with:
//! `n` reference spectra on one shared energy grid (eV), a unique name per spectrum,
//! numeric labels (e.g. `tendq_ev`) and categorical labels (e.g. `valence`), and
//! free-form provenance entries (generator, parameters, date, source files).
//!
//! # Files
//!
//! * [`Library::save`] / [`Library::load`] (and [`Library::to_bytes`] /
//!   [`Library::from_bytes`]): a binary format for exact round trips and fast loading,
//!   described below and in `docs/formats/library.md`.
//! * [`Library::write_table`] and [`Library::write_labels`]: CSV text for interchange
//!   (energy column plus one column per spectrum; a labels table with a `file` column).
//! * [`Library::from_files`]: builds a library from measured or simulated spectrum
//!   files (anything `xas_core::io` reads) and a labels CSV.
//!
//! # Binary format, version 1
//!
//! All integers and floats are little-endian; every section starts at a multiple of 8
//! bytes, so the file is a sequence of 64-bit words.
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic [`MAGIC`]: `89 58 41 53 4C 0D 0A 1A` (`\x89XASL\r\n\x1a`) |
//! | 8 | 4 | format version, `u32` = [`FORMAT_VERSION`] (1) |
//! | 12 | 4 | reserved, `u32`, must be 0 |
//! | 16 | 8 | `H`: length of the header in bytes, `u64`, a multiple of 8 |
//! | 24 | `H` | header: a UTF-8 JSON object, padded at the end with spaces (0x20) |
//! | 24 + `H` | 8 `m` | energy grid (eV), `m` `f64`, strictly increasing, finite |
//! | 24 + `H` + 8 `m` | 8 `n m` | spectra, `n` rows of `m` `f64`, row-major, finite |
//! | 24 + `H` + 8 `m` (`n` + 1) | 8 | checksum, `u64`, of all preceding bytes |
//!
//! The header object has exactly these keys (names, label names, label values and
//! provenance are JSON strings; labels are listed in the order of their names):
//!
//! ```json
//! {
//!   "n_spectra": 2,
//!   "n_points": 200,
//!   "names": ["mn2_tendq0.9", "mn3_tendq1.2"],
//!   "numeric_labels": [{"name": "tendq_ev", "values": [0.9, 1.2]}],
//!   "categorical_labels": [{"name": "valence", "values": ["Mn2+", "Mn3+"]}],
//!   "provenance": [{"key": "generator", "value": "cluster-model 0.1.0"}]
//! }
//! ```
//!
//! A numeric label value is a JSON number written with enough digits to be read back
//! bit for bit, or `null` for a missing value (NaN in memory).
//!
//! The checksum treats the bytes before it as 64-bit little-endian words `w_0, w_1, ...`
//! With `step(h, w) = rotate_left((h XOR w) * 0x9E3779B97F4A7C15 mod 2^64, 31)` and
//! `S = 0x243F6A8885A308D3`, four lanes start at `l_j = S + j` (`j = 0..3`); word `w_k`
//! updates lane `k mod 4`: `l_j = step(l_j, w_k)`. The checksum is
//! `step(step(step(step(S, l_0), l_1), l_2), l_3)`. It detects any change of a single
//! word and most other corruption; it is not a cryptographic hash.
//!
//! [`Library::load`] checks everything: magic, version, reserved word, header length,
//! total file length against the header's sizes, checksum, header keys and types,
//! name and label counts, unique non-empty names, finite values and a strictly
//! increasing grid. Errors name the file and the part that is wrong; no input makes it
//! panic, and nothing is allocated beyond what the file's actual length supports.

mod binary;
mod csv;
mod from_files;
mod header;
mod labels;
mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use xas_core::SpectraMatrix;

use crate::error::{Error, Result};

pub use binary::{FORMAT_VERSION, MAGIC};
pub use from_files::FromFilesOptions;

/// Provenance key recording the edge-step preprocessing of the spectra
/// ([`Library::is_edge_step_normalized`]).
pub const EDGE_STEP_KEY: &str = "edge_step";
/// Value of [`EDGE_STEP_KEY`] for spectra used as read.
pub const EDGE_STEP_NONE: &str = "none";

/// A labelled spectral library: `n >= 1` spectra on one shared energy grid (eV) with
/// unique names, numeric and categorical labels (in the [`SpectraMatrix`]), and
/// free-form provenance entries (key, value).
///
/// Invariants, checked by [`Library::new`] and by every loader: at least one spectrum;
/// names non-empty and unique; label names non-empty and not both numeric and
/// categorical; numeric label values finite or NaN (NaN marks a missing value).
///
/// ```
/// use xas_core::SpectraMatrix;
/// use xas_metrics::Library;
///
/// let mut spectra = SpectraMatrix::new(vec![7110.0, 7111.0, 7112.0])?; // eV
/// spectra.push_row("fe2_ref", &[0.1, 0.5, 1.0])?;
/// spectra.push_row("fe3_ref", &[0.0, 0.2, 0.9])?;
/// spectra.set_numeric_label("valence", vec![2.0, 3.0])?;
/// let library = Library::new(spectra)?.with_provenance("generator", "example");
///
/// // Exact round trip through the binary format (`save`/`load` for files).
/// let back = Library::from_bytes(&library.to_bytes())?;
/// assert_eq!(back, library);
/// # Ok::<(), xas_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Library {
    spectra: SpectraMatrix,
    provenance: Vec<(String, String)>,
}

impl Library {
    /// A library of the given spectra, without provenance.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the matrix has no rows, a name is empty or repeated,
    /// a label name is empty or used for both a numeric and a categorical label, or a
    /// numeric label value is infinite.
    pub fn new(spectra: SpectraMatrix) -> Result<Self> {
        validate(&spectra)?;
        Ok(Library {
            spectra,
            provenance: Vec::new(),
        })
    }

    /// Adds a provenance entry (free-form `key`, `value`, e.g. `("generator",
    /// "cluster-model 0.1.0")`, `("date", "2026-05-01")`, `("source", "a.xdi")`).
    /// Keys may repeat; the order of entries is kept.
    pub fn add_provenance(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.provenance.push((key.into(), value.into()));
    }

    /// [`Library::add_provenance`] as a builder.
    #[must_use]
    pub fn with_provenance(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.add_provenance(key, value);
        self
    }

    /// The provenance entries `(key, value)` in the order they were added.
    pub fn provenance(&self) -> &[(String, String)] {
        &self.provenance
    }

    /// The spectra: energy grid (eV), rows, names and labels.
    pub fn spectra(&self) -> &SpectraMatrix {
        &self.spectra
    }

    /// The spectra, giving up the provenance.
    pub fn into_spectra(self) -> SpectraMatrix {
        self.spectra
    }

    /// The spectra and the provenance entries.
    pub fn into_parts(self) -> (SpectraMatrix, Vec<(String, String)>) {
        (self.spectra, self.provenance)
    }

    /// Number of spectra (rows), at least 1.
    pub fn n_spectra(&self) -> usize {
        self.spectra.n_spectra()
    }

    /// Number of energy points per spectrum, at least 2.
    pub fn n_points(&self) -> usize {
        self.spectra.n_points()
    }

    /// Whether the spectra were edge-step normalised when the library was built
    /// ([`Library::from_files`] with [`FromFilesOptions::edge_step`], recorded in the
    /// provenance under `edge_step`): queries then need the same treatment
    /// ([`crate::estimate::EstimatorParams::edge_step`]).
    pub fn is_edge_step_normalized(&self) -> bool {
        self.provenance
            .iter()
            .any(|(k, v)| k == EDGE_STEP_KEY && v != EDGE_STEP_NONE)
    }

    /// Index of the spectrum with this name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.spectra.names().iter().position(|n| n == name)
    }

    /// The library in the binary format (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        binary::to_bytes(self)
    }

    /// Reads a library from bytes in the binary format (as made by
    /// [`Library::to_bytes`] or [`Library::save`]; e.g. embedded with `include_bytes!`).
    /// Errors name the file as `<memory>`.
    ///
    /// # Errors
    /// [`Error::Format`] naming the part of the data that is wrong (see the module
    /// documentation for what is checked).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        binary::from_bytes(bytes, Path::new("<memory>"))
    }

    /// Writes the library to `path` in the binary format, atomically (a temporary file
    /// next to `path` renamed into place, see [`xas_core::write_atomic_with`]).
    ///
    /// # Errors
    /// [`Error::Core`] wrapping the I/O error that names the file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        binary::save(self, path.as_ref())
    }

    /// Reads a library file written by [`Library::save`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::Format`] naming the file
    /// and the part that is wrong.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        binary::from_bytes(&bytes, path)
    }

    /// Writes the spectra as a CSV table, atomically, in the layout of the project's
    /// other column files: `#` comment lines (what the file is, then one `key: value`
    /// line per provenance entry), a header row `energy_eV,<name 1>,<name 2>,...`,
    /// then one row per energy point. Numbers are written so that they read back
    /// exactly. Labels go to a separate file ([`Library::write_labels`]).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when a spectrum name cannot be a column name (empty,
    /// containing a blank, comma or line break, or `energy_eV`); [`Error::Core`] when
    /// writing fails.
    pub fn write_table(&self, path: impl AsRef<Path>) -> Result<()> {
        text::write_table(self, path.as_ref())
    }

    /// Writes the labels as CSV, atomically: a header row `file,<numeric labels...>,
    /// <categorical labels...>` (each group in name order), then one row per spectrum
    /// with its name in the `file` column. Fields holding commas, quotes, line breaks
    /// or outer blanks are double-quoted (`"` doubled inside); numbers are written so
    /// that they read back exactly, a missing numeric value as `NaN`, a missing
    /// categorical value as an empty field. [`Library::from_files`] reads the file back.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when a label is called `file` (any case);
    /// [`Error::Core`] when writing fails.
    pub fn write_labels(&self, path: impl AsRef<Path>) -> Result<()> {
        text::write_labels(self, path.as_ref())
    }

    /// Builds a library from spectrum files and a labels CSV.
    ///
    /// **Labels.** The CSV has a header row with a `file` column (else a `name`
    /// column; matched case-insensitively) and one column per label; `#` lines and
    /// blank lines are skipped; fields may be double-quoted (with commas, line breaks
    /// and doubled quotes inside); unquoted fields are trimmed. Each file is matched to
    /// the row whose `file` cell equals its full file name (a cell holding a path is
    /// compared by its last component), else its file stem. A file matching no row,
    /// or several rows, and a row matched by several files are errors naming them.
    /// Rows that match no file are ignored. The spectrum's name is its row's `file`
    /// cell; spectra keep the order of `files`.
    ///
    /// A label column is numeric when every value (of the matched rows) parses as a
    /// number that is not infinite (`NaN` is read as a missing value), categorical
    /// otherwise or when listed in `options.categorical`. `options.columns` keeps only
    /// the listed label columns. An empty cell of a kept column is an error naming the
    /// line and column.
    ///
    /// **Spectra.** Each file is read with [`xas_core::read_file_with`] and
    /// `options.read` and must hold exactly one spectrum. With `options.edge_step` it
    /// is edge-step normalised and flattened ([`xas_core::normalize_edge_step`] with
    /// default parameters, as Larch's `pre_edge`). It is then interpolated
    /// (`options.interpolation`) onto `options.grid` (start, stop, step in eV, see
    /// [`xas_core::uniform_grid`]) or, by default, onto the overlap of all files'
    /// energy ranges with the median of the files' median point spacings as step.
    ///
    /// The provenance records the generator, the labels file, every source file and
    /// the processing (grid, interpolation, edge step, label columns).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bad options (unknown label columns, listing the
    /// available ones; an invalid grid) or no files; [`Error::Io`] and
    /// [`Error::Parse`] (file, line, column) for the labels CSV; [`Error::Core`] naming
    /// the file when a spectrum file cannot be read; [`Error::InvalidData`] naming the
    /// file for a file without exactly one spectrum, a failed normalisation, a file
    /// that does not cover the grid (with both ranges), or non-overlapping ranges.
    pub fn from_files(
        labels_csv: &Path,
        files: &[PathBuf],
        options: &FromFilesOptions,
    ) -> Result<Self> {
        from_files::from_files(labels_csv, files, options)
    }
}

/// Checks the invariants of [`Library`].
fn validate(spectra: &SpectraMatrix) -> Result<()> {
    if spectra.n_spectra() == 0 {
        return Err(Error::data(
            "spectra",
            "the library has no spectra (the matrix has no rows)",
        ));
    }
    let names = spectra.names();
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::data(
                format!("names[{i}]"),
                "a spectrum name is empty",
            ));
        }
        if let Some(first) = seen.insert(name.as_str(), i) {
            return Err(Error::data(
                format!("names[{i}]"),
                format!("`{name}` is also the name of spectrum {first}; names must be unique"),
            ));
        }
    }
    for label in spectra.numeric_label_names() {
        check_label_name(label)?;
        if spectra.categorical_label(label).is_some() {
            return Err(Error::data(
                format!("label `{label}`"),
                "is both a numeric and a categorical label",
            ));
        }
        let values = spectra.numeric_label(label).unwrap_or(&[]);
        if let Some(i) = values.iter().position(|v| v.is_infinite()) {
            return Err(Error::data(
                format!("numeric label `{label}`[{i}] (`{}`)", names[i]),
                format!(
                    "value {} is infinite (use NaN for a missing value)",
                    values[i]
                ),
            ));
        }
    }
    for label in spectra.categorical_label_names() {
        check_label_name(label)?;
    }
    Ok(())
}

fn check_label_name(label: &str) -> Result<()> {
    if label.is_empty() {
        Err(Error::data("label names", "a label name is empty"))
    } else {
        Ok(())
    }
}
