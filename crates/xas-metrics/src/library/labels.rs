//! Labels CSV files: the table, matching files to rows, and typed label columns.

use std::path::{Path, PathBuf};

use super::csv::{self, Record};
use crate::error::{Error, Result};

/// A labels table: the header, the key column (`file` or `name`) and the data rows.
#[derive(Debug)]
pub(super) struct LabelTable {
    path: PathBuf,
    header: Vec<String>,
    key: usize,
    rows: Vec<Record>,
}

/// The values of one label column for the matched rows.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Column {
    /// Every value is a number (NaN marks a missing value).
    Numeric(Vec<f64>),
    /// Text values.
    Categorical(Vec<String>),
}

impl LabelTable {
    /// Reads and checks a labels CSV file.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let valid = &bytes[..e.valid_up_to()];
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            Error::parse(
                path,
                line,
                "text",
                format!("not valid UTF-8 (byte {})", e.valid_up_to()),
            )
        })?;
        Self::parse(text, path)
    }

    /// Parses the text of a labels CSV file; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let records = csv::parse(text).map_err(|e| Error::parse(path, e.line, "csv", e.message))?;
        let mut records = records.into_iter();
        let Some(header) = records.next() else {
            return Err(Error::parse(
                path,
                0,
                "header",
                "the file has no header row",
            ));
        };
        let rows: Vec<Record> = records.collect();
        for (j, name) in header.fields.iter().enumerate() {
            if name.is_empty() {
                return Err(Error::parse(
                    path,
                    header.line,
                    format!("column {}", j + 1),
                    "the header names no column here",
                ));
            }
            if let Some(k) = header.fields[..j].iter().position(|other| other == name) {
                return Err(Error::parse(
                    path,
                    header.line,
                    format!("column {} (`{name}`)", j + 1),
                    format!("repeats the name of column {}", k + 1),
                ));
            }
        }
        let key = key_column(&header, path)?;
        for row in &rows {
            if row.fields.len() != header.fields.len() {
                return Err(Error::parse(
                    path,
                    row.line,
                    "row",
                    format!(
                        "has {} fields, the header has {} ({})",
                        row.fields.len(),
                        header.fields.len(),
                        header.fields.join(", ")
                    ),
                ));
            }
            if row.fields[key].is_empty() {
                return Err(Error::parse(
                    path,
                    row.line,
                    format!("column `{}`", header.fields[key]),
                    "empty file name",
                ));
            }
        }
        Ok(LabelTable {
            path: path.to_owned(),
            header: header.fields,
            key,
            rows,
        })
    }

    /// The key (`file`/`name`) cell of row `row`.
    pub fn key(&self, row: usize) -> &str {
        &self.rows[row].fields[self.key]
    }

    /// The names of the label columns (every column but the key), in file order.
    pub fn label_columns(&self) -> Vec<&str> {
        self.header
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != self.key)
            .map(|(_, name)| name.as_str())
            .collect()
    }

    /// For every file, the index of its row: the row whose key equals the full file
    /// name (or whose key's last path component does), else the file stem.
    pub fn match_files(&self, files: &[PathBuf]) -> Result<Vec<usize>> {
        let key_names: Vec<&str> = (0..self.rows.len())
            .map(|i| {
                let key = self.key(i);
                Path::new(key)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or(key)
            })
            .collect();
        let mut matched = Vec::with_capacity(files.len());
        let mut unmatched = Vec::new();
        for file in files {
            let name = file.file_name().map(|n| n.to_string_lossy());
            let stem = file.file_stem().map(|n| n.to_string_lossy());
            let find = |wanted: Option<&str>| -> Vec<usize> {
                let Some(wanted) = wanted else {
                    return Vec::new();
                };
                (0..self.rows.len())
                    .filter(|&i| self.key(i) == wanted || key_names[i] == wanted)
                    .collect()
            };
            let mut rows = find(name.as_deref());
            if rows.is_empty() {
                rows = find(stem.as_deref());
            }
            match rows.as_slice() {
                [] => unmatched.push(file.display().to_string()),
                [row] => matched.push(*row),
                _ => {
                    let lines: Vec<String> = rows
                        .iter()
                        .map(|&i| self.rows[i].line.to_string())
                        .collect();
                    return Err(Error::data(
                        format!("file `{}`", file.display()),
                        format!(
                            "matches several rows of {} (lines {})",
                            self.path.display(),
                            lines.join(", ")
                        ),
                    ));
                }
            }
        }
        if !unmatched.is_empty() {
            return Err(Error::data(
                format!("labels `{}`", self.path.display()),
                format!(
                    "no row in column `{}` matches {} (compared with the full file name, \
                     then the file stem): {}",
                    self.header[self.key],
                    if unmatched.len() == 1 {
                        "the file"
                    } else {
                        "the files"
                    },
                    unmatched.join(", ")
                ),
            ));
        }
        for (a, &row) in matched.iter().enumerate() {
            if let Some(b) = matched[a + 1..].iter().position(|&other| other == row) {
                return Err(Error::data(
                    format!("labels `{}`", self.path.display()),
                    format!(
                        "row on line {} (`{}`) is matched by both `{}` and `{}`",
                        self.rows[row].line,
                        self.key(row),
                        files[a].display(),
                        files[a + 1 + b].display()
                    ),
                ));
            }
        }
        Ok(matched)
    }

    /// The label column `name` over `rows` (indices from [`LabelTable::match_files`]),
    /// numeric unless forced `categorical` or a value is not a number.
    pub fn column(&self, name: &str, rows: &[usize], categorical: bool) -> Result<Column> {
        let j = self
            .header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::param("columns", format!("no label column `{name}`")))?;
        let mut cells = Vec::with_capacity(rows.len());
        for &row in rows {
            let cell = self.rows[row].fields[j].as_str();
            if cell.is_empty() {
                return Err(Error::parse(
                    &self.path,
                    self.rows[row].line,
                    format!("column `{name}`"),
                    format!("empty label cell for `{}`", self.key(row)),
                ));
            }
            cells.push(cell);
        }
        if !categorical {
            let numbers: Option<Vec<f64>> = cells
                .iter()
                .map(|c| c.parse::<f64>().ok().filter(|v| !v.is_infinite()))
                .collect();
            if let Some(numbers) = numbers {
                return Ok(Column::Numeric(numbers));
            }
        }
        Ok(Column::Categorical(
            cells.into_iter().map(str::to_owned).collect(),
        ))
    }
}

/// The index of the `file` column, else of the `name` column (case-insensitive).
fn key_column(header: &Record, path: &Path) -> Result<usize> {
    for wanted in ["file", "name"] {
        let found: Vec<usize> = header
            .fields
            .iter()
            .enumerate()
            .filter(|(_, h)| h.eq_ignore_ascii_case(wanted))
            .map(|(j, _)| j)
            .collect();
        match found.as_slice() {
            [] => {}
            [j] => return Ok(*j),
            _ => {
                return Err(Error::parse(
                    path,
                    header.line,
                    "header",
                    format!("several columns are called `{wanted}` (in some letter case)"),
                ));
            }
        }
    }
    Err(Error::parse(
        path,
        header.line,
        "header",
        format!(
            "no `file` (or `name`) column to match the spectrum files; the columns are: {}",
            header.fields.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn table(text: &str) -> LabelTable {
        LabelTable::parse(text, Path::new("labels.csv")).unwrap()
    }

    #[test]
    fn matches_full_names_before_stems() {
        let t = table("name,x\na.xdi,1\na,2\nb,3\nsub/c.dat,4\n");
        let files: Vec<PathBuf> = ["d/a.xdi", "a.dat", "b.xdi", "c.dat"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(t.match_files(&files).unwrap(), vec![0, 1, 2, 3]);
        let err = t
            .match_files(&[PathBuf::from("b.xdi"), PathBuf::from("b.dat")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.xdi") && err.contains("b.dat"), "{err}");
        let err = t
            .match_files(&[PathBuf::from("z.xdi"), PathBuf::from("y.xdi")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("z.xdi, y.xdi"), "{err}");
        let t = table("file,x\nb,1\nb,2\n");
        let err = t.match_files(&[PathBuf::from("b.xdi")]).unwrap_err();
        assert!(err.to_string().contains("lines 2, 3"), "{err}");
    }

    #[test]
    fn columns_are_typed() {
        let t = table("file,v,q,n\na,2,x,NaN\nb,3,y,1e-3\n");
        assert_eq!(
            t.column("v", &[0, 1], false).unwrap(),
            Column::Numeric(vec![2.0, 3.0])
        );
        assert_eq!(
            t.column("v", &[0, 1], true).unwrap(),
            Column::Categorical(vec!["2".into(), "3".into()])
        );
        assert!(matches!(
            t.column("q", &[1], false).unwrap(),
            Column::Categorical(_)
        ));
        match t.column("n", &[0, 1], false).unwrap() {
            Column::Numeric(v) => assert!(v[0].is_nan() && v[1] == 1e-3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn header_problems_are_reported() {
        let bad = |text: &str, needle: &str| {
            let err = LabelTable::parse(text, Path::new("l.csv"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err}");
        };
        bad("", "no header row");
        bad("sample,x\n", "no `file` (or `name`) column");
        bad("file,x,x\n", "repeats the name of column 2");
        bad("file,,y\n", "column 2");
        bad("file,x\na,1,2\n", "l.csv:2: row: has 3 fields");
        bad("file,x\n,1\n", "empty file name");
        bad("File,file\n", "several columns");
    }
}
