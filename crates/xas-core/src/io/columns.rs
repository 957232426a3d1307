//! Reader of plain column text and CSV files.
//!
//! * Comment lines start with `#`, `;`, `!` or `%`. `key: value` comments go to
//!   `meta.extra` (key trimmed, repeated keys joined by newlines); other comments are
//!   joined into `meta.extra["comments"]`.
//! * Column names come from a `columns: a b c` comment, else from a first non-comment
//!   line that is not numeric (a header row), else from the last comment line before the
//!   data when its token count equals the column count and none of its tokens is a
//!   number, else they are `column 1`, `column 2`, ...
//! * Fields are separated by commas, semicolons or blanks (detected from the first data
//!   row; tabs count as blanks).
//! * Default columns: x is column 0; y is the first mu-like column (`mu`, `xmu`,
//!   `mutrans`, ..., then `norm...`, then reference names), else the first other column.
//!   A `sigma`/`stddev` column is attached as sigma when y is chosen by default.
//! * `meta.label` is the `label:` comment when present, else the file stem.

use std::collections::BTreeMap;

use super::options::ReadOptions;
use super::select::{first_other, mu_like, pick_user_y, pick_x, sigma_column, usable_sigma};
use super::source::Source;
use super::table::{Table, default_names};
use super::text::{
    COLUMN_COMMENT_MARKERS, Separator, all_numeric, comment_body, insert_joined, key_value,
    numbered_lines,
};
use crate::error::Result;
use crate::spectrum::Spectrum;

/// Everything read from a column file before columns are chosen.
#[derive(Debug, Default)]
pub(crate) struct ColumnFile {
    /// `key: value` comments.
    pub(crate) extra: BTreeMap<String, String>,
    /// Other comment lines, trimmed, in order.
    pub(crate) comments: Vec<String>,
    /// Names from a `columns:` comment, with its line.
    declared: NamesAt,
    /// Names from a non-numeric first line, with its line.
    header_row: NamesAt,
    /// The last comment line before the data, unless it was a `key: value` line.
    last_comment: Option<String>,
    /// The data.
    pub(crate) table: Table,
}

impl ColumnFile {
    /// Parses the whole text.
    ///
    /// # Errors
    /// A parse error naming line and column for rows of the wrong width or with
    /// non-numeric fields; an error when there are no data rows at all.
    pub(crate) fn parse(text: &str, source: &Source<'_>) -> Result<Self> {
        let mut file = ColumnFile::default();
        let mut separator = None;
        for (line_no, line) in numbered_lines(text) {
            if line.trim().is_empty() {
                continue;
            }
            if let Some(body) = comment_body(line, &COLUMN_COMMENT_MARKERS) {
                file.add_comment(body, line_no);
                continue;
            }
            let sep = *separator.get_or_insert_with(|| Separator::detect(line));
            let fields = sep.split(line);
            if file.table.rows() == 0 && file.header_row.is_none() && !all_numeric(&fields) {
                let own = Separator::detect(line).split(line);
                file.header_row = Some((line_no, own.iter().map(|s| s.to_string()).collect()));
                separator = None;
                continue;
            }
            let names = known_names(&file.declared, &file.header_row);
            file.table.push_row(source, line_no, &fields, names)?;
        }
        if file.table.rows() == 0 {
            return Err(source.error(0, "data", "no numeric data rows found"));
        }
        Ok(file)
    }

    fn add_comment(&mut self, body: &str, line_no: usize) {
        let before_data = self.table.rows() == 0;
        match key_value(body) {
            Some((key, value)) => {
                if key.eq_ignore_ascii_case("columns") && self.declared.is_none() {
                    let names = Separator::detect(value).split(value);
                    let names = names.iter().map(|s| s.to_string()).collect();
                    self.declared = Some((line_no, names));
                }
                insert_joined(&mut self.extra, key, value);
                if before_data {
                    self.last_comment = None;
                }
            }
            None => {
                let text = body.trim();
                if !text.is_empty() {
                    self.comments.push(text.to_string());
                }
                if before_data {
                    self.last_comment = Some(text.to_string());
                }
            }
        }
    }

    /// The column names, in the order of precedence described in the module docs.
    ///
    /// # Errors
    /// When a `columns:` comment or a header row names a different number of columns
    /// than the data have.
    pub(crate) fn names(&self, source: &Source<'_>) -> Result<Vec<String>> {
        let width = self.table.width();
        let explicit = [("columns", &self.declared), ("header", &self.header_row)];
        for (field, candidate) in explicit {
            if let Some((line, names)) = candidate {
                if names.len() != width {
                    return Err(source.error(
                        *line,
                        field,
                        format!(
                            "names {} columns ({}) but the data have {width}",
                            names.len(),
                            names.join(", ")
                        ),
                    ));
                }
                return Ok(names.clone());
            }
        }
        if let Some(comment) = &self.last_comment {
            let tokens = Separator::detect(comment).split(comment);
            let numeric = tokens.iter().any(|t| all_numeric(&[t]));
            if tokens.len() == width && !numeric {
                return Ok(tokens.iter().map(|s| s.to_string()).collect());
            }
        }
        Ok(default_names(width))
    }
}

/// A name list, with its line.
type NamesAt = Option<(usize, Vec<String>)>;

/// Names known while reading rows (for error messages only).
fn known_names<'a>(declared: &'a NamesAt, header_row: &'a NamesAt) -> &'a [String] {
    declared
        .as_ref()
        .or(header_row.as_ref())
        .map_or(&[], |(_, names)| names.as_slice())
}

/// Reads a column text file into one spectrum.
///
/// # Errors
/// Parse errors naming line and column; [`Error::InvalidParameter`](crate::Error) for
/// a selected column that does not exist.
pub(crate) fn read(
    text: &str,
    source: &Source<'_>,
    options: &ReadOptions,
) -> Result<Vec<Spectrum>> {
    let mut file = ColumnFile::parse(text, source)?;
    let names = file.names(source)?;
    let x = pick_x(source, &names, options, 0)?;
    let user_y = pick_user_y(source, &names, options)?;
    let y = match user_y.or_else(|| mu_like(&names).filter(|&i| i != x)) {
        Some(y) => y,
        None => first_other(source, names.len(), x)?,
    };

    let mut meta = source.base_metadata();
    if let Some(label) = file.extra.get("label").filter(|l| !l.is_empty()) {
        meta.label = Some(label.clone());
    }
    meta.history.push(format!(
        "read columns x = `{}`, y = `{}`",
        names[x], names[y]
    ));
    let sigma = match user_y {
        None => sigma_column(&names, x, y)
            .and_then(|s| usable_sigma(&file.table.columns[s], &names[s], &mut meta.history)),
        Some(_) => None,
    };
    if !file.comments.is_empty() {
        file.extra
            .insert("comments".into(), file.comments.join("\n"));
    }
    meta.extra = std::mem::take(&mut file.extra);
    let energy = file.table.columns[x].clone();
    let intensity = file.table.columns[y].clone();
    Ok(vec![source.spectrum(energy, intensity, sigma, meta)?])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;
    use crate::io::options::ColumnSelector;

    fn read_text(text: &str, options: &ReadOptions) -> Result<Vec<Spectrum>> {
        read(text, &Source::new(Path::new("mem.dat")), options)
    }

    #[test]
    fn larch_style_dat() {
        let text = "# label: FeO\n# larch_edge_step: 1.35436\n# title: a\n# title: b\n\
                    # columns: energy_raw_eV energy_cal_eV mu norm_larch\n\
                    6911.7671 6911.7671 -0.03599259 0.00032857924\n\
                    6916.8730 6916.8730 -0.039081634 0.00028013543\n";
        let s = &read_text(text, &ReadOptions::default()).unwrap()[0];
        assert_eq!(s.energy_ev(), &[6911.7671, 6916.873]);
        assert_eq!(s.intensity(), &[-0.03599259, -0.039081634]);
        assert_eq!(s.meta.label.as_deref(), Some("FeO"));
        assert_eq!(s.meta.extra["larch_edge_step"], "1.35436");
        assert_eq!(s.meta.extra["title"], "a\nb");
    }

    #[test]
    fn csv_with_header_row_and_selection() {
        let text = "energy,i0,xmu,sigma\n3,1,30,0.5\n1,1,10,0.5\n2,1,20,0.5\n";
        let s = &read_text(text, &ReadOptions::default()).unwrap()[0];
        assert_eq!(s.energy_ev(), &[1.0, 2.0, 3.0]);
        assert_eq!(s.intensity(), &[10.0, 20.0, 30.0]);
        assert_eq!(s.sigma(), Some(&[0.5, 0.5, 0.5][..]));
        assert!(s.meta.history.iter().any(|h| h.contains("sorted")));
        let options = ReadOptions {
            y_column: Some(ColumnSelector::Name("I0".into())),
            ..ReadOptions::default()
        };
        let s = &read_text(text, &options).unwrap()[0];
        assert_eq!(s.intensity(), &[1.0, 1.0, 1.0]);
        assert!(s.sigma().is_none());
        let options = ReadOptions {
            y_column: Some(ColumnSelector::Name("mu".into())),
            ..ReadOptions::default()
        };
        let err = read_text(text, &options).unwrap_err().to_string();
        assert!(err.contains("`mu`") && err.contains("2: xmu"), "{err}");
    }

    #[test]
    fn names_from_last_comment_and_semicolons() {
        let text = "; scan 12\n; e  y\n1;5\n2;6\n";
        let s = &read_text(text, &ReadOptions::default()).unwrap()[0];
        assert_eq!(s.meta.extra["comments"], "scan 12\ne  y");
        assert!(
            s.meta.history[0].contains("y = `y`"),
            "{:?}",
            s.meta.history
        );
        let s = &read_text("1 2\n3 4\n", &ReadOptions::default()).unwrap()[0];
        assert_eq!(s.intensity(), &[2.0, 4.0]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = read_text("# columns: e mu\n1 2\n2 x\n", &ReadOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("mem.dat:3: column 2 (mu)"),
            "{err}"
        );
        let err = read_text("1 2\n2 3 4\n", &ReadOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains(":2: column 3: unexpected extra field"),
            "{err}"
        );
        let err = read_text("# only comments\n", &ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("no numeric data"), "{err}");
        let err = read_text("# columns: a b c\n1 2\n2 3\n", &ReadOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("columns: names 3 columns"),
            "{err}"
        );
        let err = read_text("1\n2\n", &ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("at least two columns"), "{err}");
        let err = read_text("1 2\n", &ReadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("at least 2 points"), "{err}");
    }
}
