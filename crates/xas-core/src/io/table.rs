//! [`Table`]: numeric data rows gathered column by column, shared by the XDI and
//! column-text readers.

use super::source::Source;
use crate::error::Result;

/// Numeric columns of equal length, with the file line of every row.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// One vector per column.
    pub(crate) columns: Vec<Vec<f64>>,
    /// One-based file line of each row.
    pub(crate) lines: Vec<usize>,
}

impl Table {
    /// Number of columns (0 before the first row).
    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.lines.len()
    }

    /// Appends one row. The first row fixes the number of columns.
    ///
    /// # Errors
    /// A parse error naming the line and the column (`column N`, one-based, with its name
    /// when `names` has one) when the row has a different number of fields or a field is
    /// not a finite number.
    pub(crate) fn push_row(
        &mut self,
        source: &Source<'_>,
        line: usize,
        fields: &[&str],
        names: &[String],
    ) -> Result<()> {
        if self.columns.is_empty() {
            self.columns = vec![Vec::new(); fields.len()];
        }
        let width = self.width();
        if fields.len() != width {
            let column = fields.len().min(width) + 1;
            let what = if fields.len() < width {
                "missing"
            } else {
                "unexpected extra field"
            };
            return Err(source.error(
                line,
                column_field(column - 1, names),
                format!(
                    "{what}: the row has {} fields but the data have {width} columns (first row at line {})",
                    fields.len(),
                    self.lines.first().copied().unwrap_or(line)
                ),
            ));
        }
        let values = fields
            .iter()
            .enumerate()
            .map(|(index, field)| source.number(field, line, &column_field(index, names)))
            .collect::<Result<Vec<f64>>>()?;
        for (column, value) in self.columns.iter_mut().zip(values) {
            column.push(value);
        }
        self.lines.push(line);
        Ok(())
    }
}

/// `column 3` (one-based), or `column 3 (mu)` when the name is known.
pub(crate) fn column_field(index: usize, names: &[String]) -> String {
    match names.get(index).filter(|n| !n.is_empty()) {
        Some(name) => format!("column {} ({name})", index + 1),
        None => format!("column {}", index + 1),
    }
}

/// `column 1`, `column 2`, ...: names for columns without a header.
pub(crate) fn default_names(width: usize) -> Vec<String> {
    (1..=width).map(|i| format!("column {i}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;

    #[test]
    fn rows_must_match_and_be_numeric() {
        let source = Source::new(Path::new("t.dat"));
        let mut table = Table::default();
        table.push_row(&source, 3, &["1", "2"], &[]).unwrap();
        let err = table
            .push_row(&source, 4, &["1"], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.dat:4: column 2: missing"), "{err}");
        let names = vec!["e".to_string(), "mu".to_string()];
        let err = table
            .push_row(&source, 5, &["1", "x"], &names)
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.dat:5: column 2 (mu)"), "{err}");
        assert_eq!(table.rows(), 1);
    }
}
