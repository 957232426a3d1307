//! Readers and writers of spectrum files.
//!
//! | format | read | write |
//! |---|---|---|
//! | XDI 1.0 (`.xdi`) | yes | [`write_xdi`], [`xdi_string`] |
//! | column text / CSV (`.dat`, `.csv`, ...) | yes | [`write_columns`] |
//! | Athena project (`.prj`, gzip or plain) | yes, one spectrum per mu(E) group | no |
//! | EMSA/MAS (`.msa`) | yes | no |
//! | table of spectra (energy, then one column per spectrum) | [`read_spectra_table`] | [`write_columns`] |
//!
//! [`read_file`] detects the format from the content ([`detect_format`]) and returns
//! every spectrum in the file. Errors name the file, the one-based line and the field
//! (header key, `column N`, array name). The readers never panic, whatever the bytes:
//! invalid UTF-8 is decoded lossily, declared sizes are checked against the data
//! rather than trusted for allocation, and nesting depth is bounded.
//!
//! Every reader builds its spectra through [`Spectrum::from_unsorted`], so unsorted
//! energies are sorted and duplicate energies merged, as recorded in `meta.history`;
//! `meta.source` is the path given and `meta.extra` holds every header entry.
//! Each format's defaults (which columns become energy and intensity) are documented on
//! [`read_bytes`].

mod athena;
mod atomic;
mod columns;
mod columns_write;
mod detect;
mod emsa;
mod format;
mod options;
mod perl;
mod select;
mod source;
mod table;
mod text;
mod wide;
mod xdi;
mod xdi_write;

use std::path::Path;

pub use atomic::{write_atomic, write_atomic_with};
pub use columns_write::{Delimiter, write_columns};
pub use detect::detect_format;
pub use format::Format;
pub use options::{ColumnSelector, ReadOptions};
pub use wide::read_spectra_table;
pub use xdi_write::{write_xdi, xdi_string};

use crate::error::{Error, Result};
use crate::spectrum::Spectrum;
use source::Source;
use text::decode;

/// Reads every spectrum of a file with default options (format detected from the
/// content, default columns).
///
/// # Errors
/// As [`read_file_with`].
pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<Spectrum>> {
    read_file_with(path, &ReadOptions::default())
}

/// Reads every spectrum of a file.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; otherwise as [`read_bytes`].
pub fn read_file_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<Spectrum>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(&bytes, path, options)
}

/// Reads every spectrum of an in-memory file; `name` is used in errors and as
/// `meta.source` (and its stem as the default label).
///
/// Defaults per format (override with [`ReadOptions::x_column`] and
/// [`ReadOptions::y_column`]):
/// * **XDI**: x is the column named `energy` (else the first; `keV` converted), y a
///   mu-like column (`mutrans`, `mufluor`, `mu`, ..., then `normtrans`, ..., then
///   `murefer`), else mu derived as `ln(i0/itrans)` or `ifluor/i0`, else the first other
///   column. Header fields go to `meta.extra` under their original key;
///   `Element.symbol`/`edge`, `Sample.name` and `Scan.edge_energy` (the *nominal* edge)
///   fill `element`, `edge`, `sample`, `e0_ev`; comments go to `extra["comments"]`.
/// * **Column text**: x is column 0, y the first mu-like column, else column 1; names
///   from a `# columns:` comment, a header row or a matching last comment line; every
///   `# key: value` comment goes to `meta.extra`.
/// * **Athena project**: one spectrum per group, x = `@x` + `bkg_eshift` (recorded in
///   `energy_shift_ev`), y = `@y`, sigma = `@stddev` when usable; label from the
///   `label` argument (else the group name), `bkg_e0` as `e0_ev`, `bkg_z` and
///   `bkg_edge`/`fft_edge` as element and edge, every argument as `athena.<key>`.
///   Selectors name arrays (`x`, `y`, `i0`, `signal`, ...). Groups that are not mu(E)
///   (`is_chi`, `is_rsp`, `is_qsp`, `is_bkg` true, or `is_xmu` false) are skipped and
///   listed in the first spectrum's history.
/// * **EMSA/MAS**: `x, y` pairs (`DATATYPE: XY`) or y values on the
///   `OFFSET + i * XPERCHAN` axis (`DATATYPE: Y`); `XUNITS` must be eV or keV
///   (converted); `NPOINTS` must match; `TITLE` is the label; every `#KEY` goes to
///   `meta.extra` upper-cased. Selectors: `x` (0) and `y` (1).
///
/// # Errors
/// [`Error::UnknownFormat`] when no format is forced and none is recognised;
/// [`Error::Parse`] naming line and field for malformed content;
/// [`Error::InvalidParameter`] for a selected column that does not exist.
pub fn read_bytes(bytes: &[u8], name: &Path, options: &ReadOptions) -> Result<Vec<Spectrum>> {
    let format = match options.format {
        Some(format) => format,
        None => detect_format(name, bytes)?,
    };
    let source = Source::new(name);
    match format {
        Format::AthenaProject => athena::read(bytes, &source, options),
        Format::Xdi => xdi::read(&decode(bytes), &source, options),
        Format::Columns => columns::read(&decode(bytes), &source, options),
        Format::Emsa => emsa::read(&decode(bytes), &source, options),
    }
}
