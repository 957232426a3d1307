//! [`read_spectra_table`]: the table layout spectroscopists exchange for sets of
//! spectra on one axis — the first column is the energy, every further column one
//! spectrum, named in a header row (or a `# columns:` comment).

use std::path::Path;

use super::columns::ColumnFile;
use super::source::Source;
use super::text::decode;
use crate::error::Result;
use crate::matrix::SpectraMatrix;

/// Reads a table of spectra: column 0 is the energy axis (eV, strictly increasing),
/// columns `1..` are spectra named after their header (`column N` when the file has no
/// names). Separators, comments and headers follow the column-text reader
/// ([`super::read_bytes`]).
///
/// # Errors
/// Parse errors naming the file, line and column; an error when there is no spectrum
/// column or the energies do not increase strictly (naming the first offending line).
pub fn read_spectra_table(bytes: &[u8], name: &Path) -> Result<SpectraMatrix> {
    let source = Source::new(name);
    let text = decode(bytes);
    let file = ColumnFile::parse(&text, &source)?;
    let names = file.names(&source)?;
    let columns = &file.table.columns;
    if columns.len() < 2 {
        return Err(source.error(
            0,
            "columns",
            "needs an energy column and at least one spectrum column",
        ));
    }
    let energy = &columns[0];
    if let Some(r) = (1..energy.len()).find(|&r| energy[r] <= energy[r - 1]) {
        return Err(source.error(
            file.table.lines[r],
            &names[0],
            format!(
                "energies must increase strictly ({} after {})",
                energy[r],
                energy[r - 1]
            ),
        ));
    }
    let mut matrix = SpectraMatrix::new(energy.clone())?;
    for (name, column) in names.iter().zip(columns).skip(1) {
        matrix.push_row(name.clone(), column)?;
    }
    Ok(matrix)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_named_columns() {
        let text = "energy,MnO,Mn2O3\n640,0.1,0.2\n641,0.5,0.4\n642,1.0,0.9\n";
        let m = read_spectra_table(text.as_bytes(), Path::new("t.csv")).unwrap();
        assert_eq!(m.n_spectra(), 2);
        assert_eq!(m.names(), ["MnO", "Mn2O3"]);
        assert_eq!(m.row(1).unwrap(), [0.2, 0.4, 0.9]);
        assert_eq!(m.energy_ev(), [640.0, 641.0, 642.0]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "energy a b\n1 0 0\n1 1 1\n";
        let e = read_spectra_table(text.as_bytes(), Path::new("t.dat"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.dat") && e.contains('3') && e.contains("energy"),
            "{e}"
        );
        let e = read_spectra_table(b"1\n2\n", Path::new("one.dat"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("spectrum column"), "{e}");
        let e = read_spectra_table(b"e a\n1 x\n", Path::new("bad.dat"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.dat"), "{e}");
    }
}
