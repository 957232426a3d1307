//! [`write_columns`]: column text and CSV output.

use std::path::Path;

use super::atomic::write_atomic;
use super::text::format_number;
use crate::error::{Error, Result};
use crate::grid::check_values;

/// Field delimiter of [`write_columns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delimiter {
    /// Comma-separated values (CSV); the column names form a plain header row.
    Comma,
    /// Blank-separated columns; the column names form the last `#` comment line.
    #[default]
    Whitespace,
}

/// Writes columns of numbers as text, atomically (see [`write_atomic`]).
///
/// Each entry of `header_comments` becomes `# ` lines (multi-line entries are split).
/// With [`Delimiter::Comma`] the names follow as a CSV header row; with
/// [`Delimiter::Whitespace`] as a final `# name1 name2 ...` comment line. Numbers are
/// written with enough digits to be read back exactly. The output is read back by the
/// column-text reader with the same names.
///
/// # Errors
/// [`Error::InvalidParameter`] when the number of names and columns differ, columns
/// differ in length, or a name is empty or contains the delimiter, a blank or a line
/// break; [`Error::InvalidData`] naming column and row for a non-finite value;
/// [`Error::Io`] when writing fails.
pub fn write_columns(
    path: impl AsRef<Path>,
    header_comments: &[String],
    column_names: &[&str],
    columns: &[&[f64]],
    delimiter: Delimiter,
) -> Result<()> {
    let text = columns_string(header_comments, column_names, columns, delimiter)?;
    write_atomic(path.as_ref(), text.as_bytes())
}

/// The text [`write_columns`] writes.
fn columns_string(
    header_comments: &[String],
    column_names: &[&str],
    columns: &[&[f64]],
    delimiter: Delimiter,
) -> Result<String> {
    check_shape(column_names, columns, delimiter)?;
    let separator = match delimiter {
        Delimiter::Comma => ",",
        Delimiter::Whitespace => " ",
    };
    let mut out = String::new();
    for line in header_comments.iter().flat_map(|c| c.lines()) {
        out.push_str(&format!("# {}\n", line.trim_end()));
    }
    let names = column_names.join(separator);
    match delimiter {
        Delimiter::Comma => out.push_str(&format!("{names}\n")),
        Delimiter::Whitespace => out.push_str(&format!("# {names}\n")),
    }
    let rows = columns.first().map_or(0, |c| c.len());
    for row in 0..rows {
        let fields = columns
            .iter()
            .map(|column| format_number(column[row]))
            .collect::<Vec<_>>();
        out.push_str(&fields.join(separator));
        out.push('\n');
    }
    Ok(out)
}

/// Checks names against columns and values for finiteness.
fn check_shape(column_names: &[&str], columns: &[&[f64]], delimiter: Delimiter) -> Result<()> {
    if column_names.len() != columns.len() {
        return Err(Error::param(
            "column_names",
            format!("{} names for {} columns", column_names.len(), columns.len()),
        ));
    }
    let rows = columns.first().map_or(0, |c| c.len());
    for (name, column) in column_names.iter().zip(columns) {
        let bad_char = |c: char| c.is_whitespace() || (delimiter == Delimiter::Comma && c == ',');
        if name.is_empty() || name.contains(bad_char) {
            return Err(Error::param(
                "column_names",
                format!("`{name}` must be non-empty without blanks, line breaks or the delimiter"),
            ));
        }
        if column.len() != rows {
            return Err(Error::param(
                "columns",
                format!(
                    "column `{name}` has {} values but the first has {rows}",
                    column.len()
                ),
            ));
        }
        check_values(name, column, rows)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;
    use crate::io::columns::read;
    use crate::io::options::ReadOptions;
    use crate::io::source::Source;

    #[test]
    fn csv_and_whitespace_round_trip() {
        let e = [7000.0, 7000.1 + 1e-9, 7001.0];
        let mu = [0.1, 1.0 / 3.0, -2e-7];
        for delimiter in [Delimiter::Comma, Delimiter::Whitespace] {
            let comments = vec!["edge_step: 1.5".to_string(), "two\nlines".to_string()];
            let text = columns_string(&comments, &["energy", "mu"], &[&e, &mu], delimiter).unwrap();
            let source = Source::new(Path::new("w.csv"));
            let s = &read(&text, &source, &ReadOptions::default()).unwrap()[0];
            assert_eq!(s.energy_ev(), &e);
            assert_eq!(s.intensity(), &mu);
            assert_eq!(s.meta.extra["edge_step"], "1.5");
            assert!(
                s.meta.history[0].contains("y = `mu`"),
                "{:?}",
                s.meta.history
            );
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        let a = [1.0, 2.0];
        let b = [1.0];
        assert!(columns_string(&[], &["a"], &[&a, &a], Delimiter::Comma).is_err());
        assert!(columns_string(&[], &["a", "b"], &[&a, &b], Delimiter::Comma).is_err());
        assert!(columns_string(&[], &["a,b", "c"], &[&a, &a], Delimiter::Comma).is_err());
        assert!(columns_string(&[], &["a b", "c"], &[&a, &a], Delimiter::Whitespace).is_err());
        let nan = [1.0, f64::NAN];
        let err = columns_string(&[], &["a", "b"], &[&a, &nan], Delimiter::Comma).unwrap_err();
        assert!(err.to_string().contains("b[1]"), "{err}");
    }
}
