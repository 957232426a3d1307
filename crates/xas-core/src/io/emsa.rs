//! Reader of EMSA/MAS spectral data files (`.msa`).
//!
//! * `#KEY : value` lines (also `#KEY unit: value` and `##USERKEY: value`) go to
//!   `meta.extra` with the key upper-cased and trimmed.
//! * Data lines hold numbers separated by commas and/or blanks, up to `#ENDOFDATA`.
//!   `DATATYPE: XY` (or, without `DATATYPE`, exactly two numbers on every line) means
//!   `x, y` pairs; `DATATYPE: Y` means y values only, on the axis
//!   `OFFSET + i * XPERCHAN`.
//! * `XUNITS` must mention eV or keV (keV converted to eV); when absent, eV is assumed
//!   and noted in the history. `NPOINTS`, when present, must equal the number of points.
//! * `TITLE` is the label (else the file stem). Column selectors see the columns `x`
//!   and `y`.

use std::collections::BTreeMap;

use super::options::ReadOptions;
use super::select::{pick_user_y, pick_x};
use super::source::Source;
use super::text::{Separator, insert_joined, numbered_lines};
use crate::error::Result;
use crate::spectrum::Spectrum;

/// A header keyword: its value and line.
#[derive(Debug)]
struct Keyword {
    value: String,
    line: usize,
}

/// The numbers of one data line.
#[derive(Debug)]
struct DataLine {
    line: usize,
    values: Vec<f64>,
}

/// The parsed content of an EMSA file.
#[derive(Debug, Default)]
struct EmsaFile {
    keywords: BTreeMap<String, Keyword>,
    extra: BTreeMap<String, String>,
    data: Vec<DataLine>,
}

impl EmsaFile {
    fn parse(text: &str, source: &Source<'_>) -> Result<Self> {
        let mut file = EmsaFile::default();
        for (line_no, line) in numbered_lines(text) {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(body) = trimmed.strip_prefix('#') {
                if file.add_keyword(body, line_no) {
                    break;
                }
                continue;
            }
            let values = Separator::CommaOrWhitespace
                .split(trimmed)
                .iter()
                .enumerate()
                .map(|(i, token)| source.number(token, line_no, &format!("column {}", i + 1)))
                .collect::<Result<Vec<f64>>>()?;
            file.data.push(DataLine {
                line: line_no,
                values,
            });
        }
        Ok(file)
    }

    /// Records `KEY : value`; `true` when the key is `ENDOFDATA`.
    fn add_keyword(&mut self, body: &str, line: usize) -> bool {
        let body = body.trim_start_matches('#');
        let (left, value) = body.split_once(':').unwrap_or((body, ""));
        let Some(key) = left.split_whitespace().next() else {
            return false;
        };
        let key = key.to_ascii_uppercase();
        let value = value.trim();
        insert_joined(&mut self.extra, &key, value);
        let ended = key == "ENDOFDATA";
        self.keywords.entry(key).or_insert(Keyword {
            value: value.to_string(),
            line,
        });
        ended
    }

    fn keyword(&self, key: &str) -> Option<&Keyword> {
        self.keywords.get(key).filter(|k| !k.value.is_empty())
    }

    /// A numeric keyword (its first token), if present.
    fn number(&self, key: &str, source: &Source<'_>) -> Result<Option<f64>> {
        self.keyword(key)
            .map(|k| {
                let token = k.value.split_whitespace().next().unwrap_or("");
                source.number(token, k.line, key)
            })
            .transpose()
    }

    /// `true` for `x, y` pairs, `false` for y-only data.
    fn is_xy(&self, source: &Source<'_>) -> Result<bool> {
        match self.keyword("DATATYPE") {
            Some(k) if k.value.eq_ignore_ascii_case("XY") => Ok(true),
            Some(k) if k.value.eq_ignore_ascii_case("Y") => Ok(false),
            Some(k) => Err(source.error(
                k.line,
                "DATATYPE",
                format!("`{}` is neither XY nor Y", k.value),
            )),
            None => Ok(self.data.iter().all(|d| d.values.len() == 2)),
        }
    }

    /// Factor converting x values to eV, noting an assumption in `history`.
    fn x_scale(&self, source: &Source<'_>, history: &mut Vec<String>) -> Result<f64> {
        let Some(units) = self.keyword("XUNITS") else {
            history.push("EMSA: no XUNITS given; x assumed to be in eV".into());
            return Ok(1.0);
        };
        let lower = units.value.to_ascii_lowercase();
        if lower.contains("kev") {
            history.push("EMSA: x converted from keV to eV".into());
            Ok(1000.0)
        } else if lower.contains("ev") {
            Ok(1.0)
        } else {
            Err(source.error(
                units.line,
                "XUNITS",
                format!("unsupported unit `{}` (expected eV or keV)", units.value),
            ))
        }
    }

    /// The points as (x, y) in file units.
    fn points(&self, source: &Source<'_>) -> Result<(Vec<f64>, Vec<f64>)> {
        if self.is_xy(source)? {
            return self.xy_points(source);
        }
        let per_channel = self
            .number("XPERCHAN", source)?
            .ok_or_else(|| source.error(0, "XPERCHAN", "required for y-only (DATATYPE Y) data"))?;
        let offset = self.number("OFFSET", source)?.unwrap_or(0.0);
        let y: Vec<f64> = self
            .data
            .iter()
            .flat_map(|d| d.values.iter().copied())
            .collect();
        let x = (0..y.len())
            .map(|i| offset + i as f64 * per_channel)
            .collect();
        Ok((x, y))
    }

    fn xy_points(&self, source: &Source<'_>) -> Result<(Vec<f64>, Vec<f64>)> {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for data in &self.data {
            if !data.values.len().is_multiple_of(2) {
                return Err(source.error(
                    data.line,
                    format!("column {}", data.values.len()),
                    format!(
                        "XY data need x, y pairs but the line has {} numbers",
                        data.values.len()
                    ),
                ));
            }
            for pair in data.values.chunks_exact(2) {
                x.push(pair[0]);
                y.push(pair[1]);
            }
        }
        Ok((x, y))
    }

    /// Checks `NPOINTS` against the number of points read.
    fn check_npoints(&self, count: usize, source: &Source<'_>) -> Result<()> {
        let Some(declared) = self.number("NPOINTS", source)? else {
            return Ok(());
        };
        if declared != count as f64 {
            let line = self.keyword("NPOINTS").map_or(0, |k| k.line);
            return Err(source.error(
                line,
                "NPOINTS",
                format!("declares {declared} points but the data hold {count}"),
            ));
        }
        Ok(())
    }
}

/// Reads an EMSA/MAS file into one spectrum.
///
/// # Errors
/// Parse errors naming line and keyword or column.
pub(crate) fn read(
    text: &str,
    source: &Source<'_>,
    options: &ReadOptions,
) -> Result<Vec<Spectrum>> {
    let mut file = EmsaFile::parse(text, source)?;
    let (x, y) = file.points(source)?;
    file.check_npoints(x.len(), source)?;
    let mut meta = source.base_metadata();
    let scale = file.x_scale(source, &mut meta.history)?;
    if let Some(title) = file.keyword("TITLE") {
        meta.label = Some(title.value.clone());
    }
    meta.extra = std::mem::take(&mut file.extra);
    let names = ["x".to_string(), "y".to_string()];
    let mut columns = [x, y];
    columns[0].iter_mut().for_each(|v| *v *= scale);
    let xi = pick_x(source, &names, options, 0)?;
    let yi = pick_user_y(source, &names, options)?.unwrap_or(1);
    let [energy, intensity] = if (xi, yi) == (0, 1) {
        columns
    } else {
        [columns[xi].clone(), columns[yi].clone()]
    };
    Ok(vec![source.spectrum(energy, intensity, None, meta)?])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;

    fn read_text(text: &str) -> Result<Vec<Spectrum>> {
        read(
            text,
            &Source::new(Path::new("m.msa")),
            &ReadOptions::default(),
        )
    }

    fn read_error(text: &str) -> String {
        read_text(text).unwrap_err().to_string()
    }

    #[test]
    fn xy_pairs_with_crlf() {
        let text = "#FORMAT\t : EMSA/MAS Spectral Data File\r\n#TITLE : Mn\r\n#NPOINTS : 3\r\n\
                    #XUNITS : eV\r\n#DATATYPE : XY\r\n#SPECTRUM : here\r\n\
                    1.0, 5\r\n2.0, 6\r\n3.0, 7\r\n#ENDOFDATA : end\r\n9, 9\r\n";
        let s = &read_text(text).unwrap()[0];
        assert_eq!(s.energy_ev(), &[1.0, 2.0, 3.0]);
        assert_eq!(s.intensity(), &[5.0, 6.0, 7.0]);
        assert_eq!(s.meta.label.as_deref(), Some("Mn"));
        assert_eq!(s.meta.extra["FORMAT"], "EMSA/MAS Spectral Data File");
    }

    #[test]
    fn y_only_with_offset_and_kev() {
        let text = "#FORMAT : EMSA/MAS\n#NPOINTS : 5.\n#NCOLUMNS : 3\n#XUNITS : keV\n\
                    #DATATYPE : Y\n#XPERCHAN : 0.01\n#OFFSET : -0.02\n#SPECTRUM :\n\
                    1, 2, 3,\n4, 5\n#ENDOFDATA :\n";
        let s = &read_text(text).unwrap()[0];
        assert_eq!(s.len(), 5);
        assert!((s.energy_ev()[0] + 20.0).abs() < 1e-9);
        assert!((s.energy_ev()[4] - 20.0).abs() < 1e-9);
        assert_eq!(s.intensity(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn errors_name_fields() {
        let err = read_error("#NPOINTS : 3\n1, 2\n2, 3\n");
        assert!(err.contains("m.msa:1: NPOINTS"), "{err}");
        let err = read_error("#XUNITS : nm\n1, 2\n2, 3\n");
        assert!(err.contains("m.msa:1: XUNITS"), "{err}");
        let err = read_error("#DATATYPE : Y\n1\n2\n");
        assert!(err.contains("XPERCHAN"), "{err}");
        let err = read_error("#DATATYPE : XY\n1, 2\n2, 3, 4\n");
        assert!(err.contains("m.msa:3: column 3"), "{err}");
        let err = read_error("#DATATYPE : XY\n1, 2\n2, x\n");
        assert!(err.contains("m.msa:3: column 2"), "{err}");
        let err = read_error("#DATATYPE : Z\n1, 2\n");
        assert!(err.contains("m.msa:1: DATATYPE"), "{err}");
    }
}
