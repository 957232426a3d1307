//! Reader of XDI 1.0 files (XAS Data Interchange).
//!
//! * The first non-blank line must be the version line `# XDI/1.0 [app/version ...]`;
//!   it is kept in `meta.extra["xdi_version"]`.
//! * `# Namespace.tag: value` header lines (keys case-insensitive) go to `meta.extra`
//!   under their original spelling. `Element.symbol`, `Element.edge` and `Sample.name`
//!   fill `meta.element`, `meta.edge` and `meta.sample`; `Scan.edge_energy` (the
//!   *nominal* edge energy, `keV` converted) fills `meta.e0_ev`. The writer's own
//!   `XasCore.label` and `XasCore.energy_shift_ev` fill `meta.label` (else the file stem)
//!   and `meta.energy_shift_ev`.
//! * `# ///` ends the fields; the comment lines up to `#----` are joined into
//!   `meta.extra["comments"]`. The last comment line after `#----` may hold column labels.
//! * `Column.N: name [units]` names column N (one-based); unnamed columns take the label
//!   line's token when its count matches, else `column N`.
//! * Default x: the column named `energy`, else the first; an energy column in `keV` is
//!   converted to eV. Default y: a mu-like column (`mutrans`, `mufluor`, `mu`, ...,
//!   `normtrans`, ..., `murefer`), else mu derived as `ln(i0/itrans)` or `ifluor/i0`
//!   (recorded in `meta.history`), else the first column that is not x. A `sigma`
//!   column is attached when y is chosen by default.

use std::collections::BTreeMap;

use super::options::ReadOptions;
use super::select::{find, first_other, mu_like, pick_user_y, pick_x, sigma_column, usable_sigma};
use super::source::Source;
use super::table::{Table, column_field, default_names};
use super::text::{Separator, comment_body, insert_joined, key_value, numbered_lines};
use crate::error::Result;
use crate::spectrum::{Metadata, Spectrum};

/// Header key under which the writer stores `meta.label`.
pub(crate) const LABEL_KEY: &str = "XasCore.label";
/// Header key under which the writer stores `meta.energy_shift_ev`.
pub(crate) const SHIFT_KEY: &str = "XasCore.energy_shift_ev";
/// Header key of the element symbol.
pub(crate) const ELEMENT_KEY: &str = "Element.symbol";
/// Header key of the absorption edge.
pub(crate) const EDGE_KEY: &str = "Element.edge";
/// Header key of the sample name.
pub(crate) const SAMPLE_KEY: &str = "Sample.name";
/// Header key of the nominal edge energy.
pub(crate) const E0_KEY: &str = "Scan.edge_energy";
/// `meta.extra` key of the version line.
pub(crate) const VERSION_KEY: &str = "xdi_version";

/// One `Namespace.tag: value` header line.
#[derive(Debug)]
struct Field {
    key: String,
    value: String,
    line: usize,
}

/// One `Column.N: name [units]` definition.
#[derive(Debug)]
struct ColumnDef {
    name: String,
    units: Option<String>,
    key: String,
    line: usize,
}

/// Where in the file the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Fields,
    Comments,
    Labels,
    Data,
}

/// The parsed content of an XDI file.
#[derive(Debug, Default)]
struct XdiFile {
    version: String,
    fields: Vec<Field>,
    columns: BTreeMap<usize, ColumnDef>,
    comments: Vec<String>,
    label_line: Option<String>,
    table: Table,
}

impl XdiFile {
    fn parse(text: &str, source: &Source<'_>) -> Result<Self> {
        let mut lines = numbered_lines(text).filter(|(_, l)| !l.trim().is_empty());
        let mut file = XdiFile {
            version: parse_version(lines.next(), source)?,
            ..XdiFile::default()
        };
        let mut section = Section::Fields;
        let mut row_names: Option<Vec<String>> = None;
        for (line_no, line) in lines {
            match comment_body(line, &['#']) {
                Some(body) => section = file.add_comment(section, body, line_no, source)?,
                None => {
                    section = Section::Data;
                    let fields = Separator::Whitespace.split(line);
                    let names = row_names.get_or_insert_with(|| file.declared_names());
                    file.table.push_row(source, line_no, &fields, names)?;
                }
            }
        }
        if file.table.rows() == 0 {
            return Err(source.error(0, "data", "no data rows after the header"));
        }
        file.check_column_numbers(source)?;
        Ok(file)
    }

    /// Handles one comment line and returns the section that follows it.
    fn add_comment(
        &mut self,
        section: Section,
        body: &str,
        line: usize,
        source: &Source<'_>,
    ) -> Result<Section> {
        let text = body.trim();
        match section {
            Section::Fields | Section::Comments if text.starts_with("///") => {
                return Ok(Section::Comments);
            }
            Section::Fields | Section::Comments if text.starts_with("---") => {
                return Ok(Section::Labels);
            }
            Section::Fields => {
                if let Some((key, value)) = key_value(body) {
                    self.add_field(key, value, line, source)?;
                } else if !text.is_empty() {
                    self.comments.push(text.to_string());
                }
            }
            Section::Comments if !text.is_empty() => self.comments.push(text.to_string()),
            Section::Labels => self.label_line = Some(text.to_string()),
            Section::Comments | Section::Data => {}
        }
        Ok(section)
    }

    fn add_field(
        &mut self,
        key: &str,
        value: &str,
        line: usize,
        source: &Source<'_>,
    ) -> Result<()> {
        if let Some(number) = column_number(key) {
            let n = number
                .parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| source.error(line, key, "column number must be an integer >= 1"))?;
            let mut tokens = value.split_whitespace();
            let name = tokens
                .next()
                .ok_or_else(|| source.error(line, key, "empty column name"))?;
            let units = tokens.collect::<Vec<_>>().join(" ");
            let def = ColumnDef {
                name: name.to_string(),
                units: (!units.is_empty()).then_some(units),
                key: key.to_string(),
                line,
            };
            self.columns.insert(n, def);
        }
        self.fields.push(Field {
            key: key.to_string(),
            value: value.to_string(),
            line,
        });
        Ok(())
    }

    /// `Column.N` names (empty where undefined), for error messages while reading rows.
    fn declared_names(&self) -> Vec<String> {
        const MAX_NAMED: usize = 1024;
        let width = self.columns.keys().next_back().copied().unwrap_or(0);
        (1..=width.min(MAX_NAMED))
            .map(|n| {
                self.columns
                    .get(&n)
                    .map_or_else(String::new, |c| c.name.clone())
            })
            .collect()
    }

    fn check_column_numbers(&self, source: &Source<'_>) -> Result<()> {
        let width = self.table.width();
        match self.columns.iter().find(|(n, _)| **n > width) {
            Some((n, def)) => Err(source.error(
                def.line,
                &def.key,
                format!("refers to column {n} but the data have {width} columns"),
            )),
            None => Ok(()),
        }
    }

    /// Final column names: `Column.N`, else the label line, else `column N`.
    fn names(&self) -> Vec<String> {
        let width = self.table.width();
        let labels: Vec<&str> = self
            .label_line
            .as_deref()
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        let fallback = default_names(width);
        (0..width)
            .map(|i| match self.columns.get(&(i + 1)) {
                Some(def) => def.name.clone(),
                None if labels.len() == width => labels[i].to_string(),
                None => fallback[i].clone(),
            })
            .collect()
    }

    /// The header field `key` (case-insensitive), if present.
    fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key.eq_ignore_ascii_case(key))
    }

    /// A non-empty text field.
    fn text(&self, key: &str) -> Option<String> {
        self.field(key)
            .map(|f| f.value.clone())
            .filter(|v| !v.is_empty())
    }

    /// A numeric field (`7112.`, `7.112 keV`), converted to eV when its unit says keV.
    fn energy_field(&self, key: &str, source: &Source<'_>) -> Result<Option<f64>> {
        let Some(field) = self.field(key).filter(|f| !f.value.is_empty()) else {
            return Ok(None);
        };
        let mut tokens = field.value.split_whitespace();
        let value = source.number(tokens.next().unwrap_or(""), field.line, &field.key)?;
        let kev = tokens.next().is_some_and(|u| u.eq_ignore_ascii_case("kev"));
        Ok(Some(if kev { value * 1000.0 } else { value }))
    }

    fn metadata(&self, source: &Source<'_>) -> Result<Metadata> {
        let mut meta = source.base_metadata();
        for field in &self.fields {
            insert_joined(&mut meta.extra, &field.key, &field.value);
        }
        meta.extra.insert(VERSION_KEY.into(), self.version.clone());
        if !self.comments.is_empty() {
            meta.extra
                .insert("comments".into(), self.comments.join("\n"));
        }
        meta.element = self.text(ELEMENT_KEY);
        meta.edge = self.text(EDGE_KEY);
        meta.sample = self.text(SAMPLE_KEY);
        meta.e0_ev = self.energy_field(E0_KEY, source)?;
        meta.energy_shift_ev = self.energy_field(SHIFT_KEY, source)?;
        if let Some(label) = self.text(LABEL_KEY) {
            meta.label = Some(label);
        }
        Ok(meta)
    }
}

/// `Some("3")` for `Column.3` (case-insensitive).
fn column_number(key: &str) -> Option<&str> {
    let prefix = key.get(..7)?;
    prefix.eq_ignore_ascii_case("column.").then(|| &key[7..])
}

/// The text after `#` of an XDI version line (`# XDI/1.0 ...`, case-insensitive),
/// trimmed; `None` for any other line. Format detection uses the same test.
pub(crate) fn version_line(line: &str) -> Option<&str> {
    comment_body(line, &['#']).map(str::trim).filter(|body| {
        body.get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("XDI/"))
    })
}

/// Checks the first non-blank line and returns its text after `#`.
fn parse_version(first: Option<(usize, &str)>, source: &Source<'_>) -> Result<String> {
    let (line, text) = first.ok_or_else(|| source.error(1, "version", "empty file"))?;
    version_line(text).map(str::to_string).ok_or_else(|| {
        source.error(
            line,
            "version",
            "expected the XDI version line `# XDI/1.0 ...` as the first line",
        )
    })
}

/// Where the intensity comes from.
enum Intensity {
    /// A column of the file.
    Column(usize),
    /// Computed from counter columns, with the history note saying how.
    Derived(Vec<f64>, String),
}

/// Reads an XDI file into one spectrum.
///
/// # Errors
/// Parse errors naming line and field; [`Error::InvalidParameter`](crate::Error) for a
/// selected column that does not exist.
pub(crate) fn read(
    text: &str,
    source: &Source<'_>,
    options: &ReadOptions,
) -> Result<Vec<Spectrum>> {
    let file = XdiFile::parse(text, source)?;
    let names = file.names();
    let x = pick_x(source, &names, options, find(&names, "energy").unwrap_or(0))?;
    let user_y = pick_user_y(source, &names, options)?;
    let intensity = match user_y {
        Some(y) => Intensity::Column(y),
        None => default_intensity(&file, &names, x, source)?,
    };
    let mut meta = file.metadata(source)?;
    let mut energy = file.table.columns[x].clone();
    let x_units = file.columns.get(&(x + 1)).and_then(|c| c.units.as_deref());
    if x_units.is_some_and(|u| u.eq_ignore_ascii_case("kev")) {
        energy.iter_mut().for_each(|e| *e *= 1000.0);
        meta.history.push(format!(
            "energy column `{}` converted from keV to eV",
            names[x]
        ));
    }
    let (values, sigma) = match intensity {
        Intensity::Column(y) => {
            meta.history.push(format!(
                "read columns x = `{}`, y = `{}`",
                names[x], names[y]
            ));
            let sigma = sigma_column(&names, x, y)
                .filter(|_| user_y.is_none())
                .and_then(|s| usable_sigma(&file.table.columns[s], &names[s], &mut meta.history));
            (file.table.columns[y].clone(), sigma)
        }
        Intensity::Derived(values, note) => {
            meta.history.push(note);
            (values, None)
        }
    };
    Ok(vec![source.spectrum(energy, values, sigma, meta)?])
}

/// The default intensity: a mu-like column, else mu derived from counters, else the
/// first column that is not x.
fn default_intensity(
    file: &XdiFile,
    names: &[String],
    x: usize,
    source: &Source<'_>,
) -> Result<Intensity> {
    if let Some(y) = mu_like(names).filter(|&y| y != x) {
        return Ok(Intensity::Column(y));
    }
    if let Some(derived) = derive_mu(file, names, source)? {
        return Ok(derived);
    }
    first_other(source, names.len(), x).map(Intensity::Column)
}

/// `ln(i0/itrans)` when `i0` and `itrans` exist, `ifluor/i0` when `i0` and `ifluor`
/// exist, else `None`.
fn derive_mu(file: &XdiFile, names: &[String], source: &Source<'_>) -> Result<Option<Intensity>> {
    let Some(i0) = find(names, "i0") else {
        return Ok(None);
    };
    let (other, transmission) = match (find(names, "itrans"), find(names, "ifluor")) {
        (Some(it), _) => (it, true),
        (None, Some(fluor)) => (fluor, false),
        (None, None) => return Ok(None),
    };
    let columns = &file.table.columns;
    let mut values = Vec::with_capacity(file.table.rows());
    for (row, &line) in file.table.lines.iter().enumerate() {
        let (a, b) = (columns[i0][row], columns[other][row]);
        let value = if transmission { (a / b).ln() } else { b / a };
        if !value.is_finite() {
            let formula = if transmission {
                "ln(i0/itrans)"
            } else {
                "ifluor/i0"
            };
            return Err(source.error(
                line,
                column_field(other, names),
                format!(
                    "cannot derive mu = {formula} from i0 = {a} and {} = {b}",
                    names[other]
                ),
            ));
        }
        values.push(value);
    }
    let note = if transmission {
        format!(
            "mu derived as ln(i0/itrans) from columns `{}` and `{}`",
            names[i0], names[other]
        )
    } else {
        format!(
            "mu derived as ifluor/i0 from columns `{}` and `{}`",
            names[other], names[i0]
        )
    };
    Ok(Some(Intensity::Derived(values, note)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;
    use crate::io::options::ColumnSelector;

    fn read_text(text: &str) -> Result<Vec<Spectrum>> {
        read(
            text,
            &Source::new(Path::new("mem.xdi")),
            &ReadOptions::default(),
        )
    }

    fn read_error(text: &str) -> String {
        read_text(text).unwrap_err().to_string()
    }

    const HEADER: &str = "# XDI/1.0 GSE/1.0\n# Column.1: energy eV\n# Column.2: mutrans\n\
        # Column.3: i0\n# Element.edge: K\n# element.Symbol: Fe\n# Scan.edge_energy: 7112.\n\
        # Sample.name: Fe foil\n# ///\n# room temperature\n# second comment\n#----\n\
        #   energy       mutrans            i0\n";

    #[test]
    fn reads_fields_comments_and_mu() {
        let text = format!("{HEADER}  6962.0  0.45  304063.0\n  6972.0  0.44  306084.0\n");
        let s = &read_text(&text).unwrap()[0];
        assert_eq!(s.energy_ev(), &[6962.0, 6972.0]);
        assert_eq!(s.intensity(), &[0.45, 0.44]);
        assert_eq!(s.meta.element.as_deref(), Some("Fe"));
        assert_eq!(s.meta.edge.as_deref(), Some("K"));
        assert_eq!(s.meta.sample.as_deref(), Some("Fe foil"));
        assert_eq!(s.meta.e0_ev, Some(7112.0));
        assert_eq!(s.meta.label.as_deref(), Some("mem"));
        assert_eq!(s.meta.extra["element.Symbol"], "Fe");
        assert_eq!(s.meta.extra["comments"], "room temperature\nsecond comment");
        assert_eq!(s.meta.extra[VERSION_KEY], "XDI/1.0 GSE/1.0");
    }

    #[test]
    fn derives_mu_and_converts_kev() {
        let text = "# XDI/1.0\n# Column.1: energy keV\n# Column.2: i0\n# Column.3: itrans\n#----\n\
                    7.0 100 50\n7.01 100 25\n";
        let s = &read_text(text).unwrap()[0];
        assert_eq!(s.energy_ev(), &[7000.0, 7010.0]);
        assert!((s.intensity()[0] - 2f64.ln()).abs() < 1e-15);
        assert!(s.meta.history.iter().any(|h| h.contains("ln(i0/itrans)")));
        assert!(s.meta.history.iter().any(|h| h.contains("keV")));
        let text = "# XDI/1.0\n# Column.1: energy\n# Column.2: i0\n# Column.3: ifluor\n#----\n\
                    1 2 1\n2 4 1\n";
        let s = &read_text(text).unwrap()[0];
        assert_eq!(s.intensity(), &[0.5, 0.25]);
        let text = "# XDI/1.0\n# Column.1: energy\n# Column.2: i0\n# Column.3: itrans\n#----\n\
                    1 2 1\n2 0 1\n";
        let err = read_error(text);
        assert!(err.contains("mem.xdi:7: column 3 (itrans)"), "{err}");
    }

    #[test]
    fn labels_from_label_line_and_selection() {
        let text = "# XDI/1.0\n#----\n# e  a  b\n1 10 20\n2 11 21\n";
        let options = ReadOptions {
            y_column: Some(ColumnSelector::Name("b".into())),
            ..ReadOptions::default()
        };
        let s = &read(text, &Source::new(Path::new("m.xdi")), &options).unwrap()[0];
        assert_eq!(s.intensity(), &[20.0, 21.0]);
        let s = &read_text(text).unwrap()[0];
        assert_eq!(s.intensity(), &[10.0, 11.0]);
    }

    #[test]
    fn errors_name_line_and_field() {
        let err = read_error("# Column.1: energy\n1 2\n");
        assert!(err.contains("mem.xdi:1: version"), "{err}");
        let err = read_error("# XDI/1.0\n# Column.x: energy\n1 2\n");
        assert!(err.contains(":2: Column.x"), "{err}");
        let err = read_error("# XDI/1.0\n# Column.4: mu\n#----\n1 2\n2 3\n");
        assert!(err.contains(":2: Column.4: refers to column 4"), "{err}");
        let err = read_error("# XDI/1.0\n# Scan.edge_energy: abc\n#---\n1 2\n2 3\n");
        assert!(err.contains(":2: Scan.edge_energy"), "{err}");
        let err = read_error("# XDI/1.0\n# Column.2: mu\n#---\n1 2\n2 y\n");
        assert!(err.contains(":5: column 2 (mu)"), "{err}");
        let err = read_error("# XDI/1.0\n#---\n");
        assert!(err.contains("no data rows"), "{err}");
    }
}
