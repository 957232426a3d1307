//! Powder patterns: `2θ` (degrees), intensity (counts) and its standard deviation.
//!
//! Readers: GSAS standard files (`BANK ... CONST start step ... STD | ESD | FXYE`, angles
//! in centidegrees), FullProf free format (`INSTRM = 0`: optional title lines, a line
//! `2θ_start step 2θ_end`, then the intensities, any number per line; recognised when
//! the count of intensities matches the range), and free-format columns `2θ intensity [sigma]` (`.xy`, `.xye`, `.csv`,
//! `.dat`; whitespace, comma or semicolon separated, `#`/`!` comments and non-numeric
//! header lines skipped). Without a sigma column the counting statistics give
//! `σ = √max(y, 1)`, and points with zero (or negative) counts are left out: in count
//! data they mean "not measured" (GSAS-II gives them zero weight; the fluoroapatite
//! tutorial file ends with two).

use std::path::Path;

use crate::{Error, Result};

/// A measured powder pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// `2θ` (degrees), increasing.
    pub two_theta_deg: Vec<f64>,
    /// Intensity (counts).
    pub intensity: Vec<f64>,
    /// Standard deviation of the intensity.
    pub sigma: Vec<f64>,
}

impl Pattern {
    /// A checked pattern.
    ///
    /// # Errors
    /// Unequal lengths, fewer than two points, non-finite values, non-increasing angles
    /// or non-positive sigmas (named with `source_name`).
    pub fn new(
        source_name: &str,
        two_theta_deg: Vec<f64>,
        intensity: Vec<f64>,
        sigma: Vec<f64>,
    ) -> Result<Self> {
        let bad = |what: String| Error::parse(source_name, 0, what);
        if two_theta_deg.len() != intensity.len() || intensity.len() != sigma.len() {
            return Err(bad("2θ, intensity and sigma have different lengths".into()));
        }
        if two_theta_deg.len() < 2 {
            return Err(Error::missing(
                source_name,
                "counts (fewer than two points)",
            ));
        }
        if let Some(i) = (0..two_theta_deg.len()).find(|&i| {
            !(two_theta_deg[i].is_finite() && intensity[i].is_finite() && sigma[i].is_finite())
        }) {
            return Err(bad(format!("point {} is not finite", i + 1)));
        }
        if let Some(i) = two_theta_deg.windows(2).position(|w| w[1] <= w[0]) {
            return Err(bad(format!("2θ does not increase at point {}", i + 2)));
        }
        if let Some(i) = sigma.iter().position(|&s| s <= 0.0) {
            return Err(bad(format!("sigma of point {} is not positive", i + 1)));
        }
        Ok(Pattern {
            two_theta_deg,
            intensity,
            sigma,
        })
    }

    /// Reads a GSAS standard file or a column file, chosen by content (a `BANK` line).
    ///
    /// # Errors
    /// An unreadable file, a malformed line (with its number) or no counts.
    pub fn read(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::parse(&name, 0, format!("cannot read: {e}")))?;
        Self::parse(&text, &name)
    }

    /// Parses the text of a GSAS standard file (a `BANK` line), a FullProf free-format
    /// file (see the module docs) or a column file; `name` labels errors.
    ///
    /// # Errors
    /// A malformed line (with its number) or no counts.
    pub fn parse(text: &str, name: &str) -> Result<Self> {
        if text.lines().any(|l| l.trim_start().starts_with("BANK")) {
            parse_gsas(text, name)
        } else if let Some(pattern) = parse_fullprof_free(text, name) {
            pattern
        } else {
            parse_columns(text, name)
        }
    }

    /// The points with `lo ≤ 2θ ≤ hi` (degrees).
    ///
    /// # Errors
    /// Fewer than two points in the range.
    pub fn restricted(&self, lo: f64, hi: f64) -> Result<Pattern> {
        let keep: Vec<usize> = (0..self.two_theta_deg.len())
            .filter(|&i| (lo..=hi).contains(&self.two_theta_deg[i]))
            .collect();
        let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
        Pattern::new(
            &format!("range {lo}-{hi}°"),
            pick(&self.two_theta_deg),
            pick(&self.intensity),
            pick(&self.sigma),
        )
    }
}

/// `σ = √max(y, 1)`: counting statistics, with zero counts weighted like one.
fn counting_sigma(y: f64) -> f64 {
    y.max(1.0).sqrt()
}

/// Parses free-format columns.
fn parse_columns(text: &str, name: &str) -> Result<Pattern> {
    let (mut x, mut y, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        let body = line.split(['#', '!']).next().unwrap_or("").trim();
        if body.is_empty() {
            continue;
        }
        let fields: Vec<&str> = body
            .split([' ', '\t', ',', ';'])
            .filter(|f| !f.is_empty())
            .collect();
        let numbers: Option<Vec<f64>> = fields.iter().map(|f| f.parse().ok()).collect();
        match numbers {
            Some(v) if v.len() == 2 && v[1] <= 0.0 => {}
            Some(v) if v.len() >= 2 => {
                x.push(v[0]);
                y.push(v[1]);
                s.push(v.get(2).copied().unwrap_or_else(|| counting_sigma(v[1])));
            }
            // Header lines before the data are skipped; anything odd inside is an error.
            _ if x.is_empty() => {}
            _ => {
                return Err(Error::parse(
                    name,
                    i + 1,
                    format!("expected `2θ intensity [sigma]`, got `{body}`"),
                ));
            }
        }
    }
    Pattern::new(name, x, y, s)
}

/// Parses a FullProf free-format file, or `None` if the text is not one: after title
/// lines, the first all-numeric line holds exactly `2θ_start step 2θ_end` and the
/// numbers after it are `(end − start)/step + 1` intensities (so a column file, whose
/// count never matches, is not taken for one). A count that does not match with rows
/// wider than three numbers is an error.
fn parse_fullprof_free(text: &str, name: &str) -> Option<Result<Pattern>> {
    let numbers = |line: &str| -> Option<Vec<f64>> {
        line.split_whitespace().map(|f| f.parse().ok()).collect()
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split('!').next().unwrap_or("").trim()))
        .filter(|(_, l)| !l.is_empty())
        .skip_while(|(_, l)| numbers(l).is_none());
    let (header_line, header) = lines.next()?;
    let header = numbers(header)?;
    let [start, step, end] = header[..] else {
        return None;
    };
    if !(step > 0.0 && end > start) {
        return None;
    }
    let count = ((end - start) / step).round() as usize + 1;
    let rows: Vec<Vec<f64>> = lines.map(|(_, l)| numbers(l)).collect::<Option<Vec<_>>>()?;
    let values = rows.concat();
    if values.len() != count || ((end - start) / step - (count - 1) as f64).abs() > 1e-3 {
        // Rows wider than `2θ y σ` cannot be columns: a FullProf file with a wrong count.
        return rows.iter().any(|r| r.len() > 3).then(|| {
            Err(Error::parse(
                name,
                header_line,
                format!(
                    "FullProf free format: {start}..{end}° in steps of {step} needs {count} intensities, found {}",
                    values.len()
                ),
            ))
        });
    }
    let (mut x, mut y, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &v) in values.iter().enumerate() {
        if v > 0.0 {
            x.push(start + step * i as f64);
            y.push(v);
            s.push(counting_sigma(v));
        }
    }
    Some(Pattern::new(name, x, y, s))
}

/// Parses a GSAS standard file: the first `BANK` record and its data.
fn parse_gsas(text: &str, name: &str) -> Result<Pattern> {
    let lines: Vec<&str> = text.lines().collect();
    let (bank_line, header) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("BANK"))
        .ok_or_else(|| Error::missing(name, "a BANK record"))?;
    let fields: Vec<&str> = header.split_whitespace().collect();
    let bad = |m: &str| Error::parse(name, bank_line + 1, m.to_string());
    // BANK n nchan nrec CONST start step 0 0 TYPE (angles in centidegrees).
    if fields.get(4) != Some(&"CONST") {
        return Err(bad("only CONST (constant-step) banks are supported"));
    }
    let num = |i: usize| -> Result<f64> {
        fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(|| {
            bad(&format!(
                "field {} of the BANK record is not a number",
                i + 1
            ))
        })
    };
    let n = num(2)? as usize;
    let (start, step) = (num(5)? / 100.0, num(6)? / 100.0);
    let kind = fields.last().copied().unwrap_or("STD");
    let data = &lines[bank_line + 1..];
    let mut values: Vec<(f64, f64, f64)> = Vec::with_capacity(n);
    for (j, line) in data.iter().enumerate() {
        if values.len() >= n || line.trim_start().starts_with("BANK") {
            break;
        }
        let line_no = bank_line + j + 2;
        read_gsas_line(line, kind, start, step, &mut values, n)
            .map_err(|m| Error::parse(name, line_no, m))?;
    }
    if values.len() < n {
        return Err(Error::parse(
            name,
            bank_line + 1,
            format!(
                "the BANK record announces {n} points, the file has {}",
                values.len()
            ),
        ));
    }
    if kind == "STD" {
        values.retain(|v| v.1 > 0.0);
    }
    Pattern::new(
        name,
        values.iter().map(|v| v.0).collect(),
        values.iter().map(|v| v.1).collect(),
        values.iter().map(|v| v.2).collect(),
    )
}

/// One data line of a GSAS bank: STD (ten 8-character fields: a 2-character count of
/// detectors, blank for one, then the intensity), ESD (five pairs of 8-character
/// intensity and sigma) or FXYE (`2θ` in centidegrees, intensity, sigma).
fn read_gsas_line(
    line: &str,
    kind: &str,
    start: f64,
    step: f64,
    out: &mut Vec<(f64, f64, f64)>,
    n: usize,
) -> std::result::Result<(), String> {
    let field = |k: usize, width: usize| {
        line.get(k * width..((k + 1) * width).min(line.len()))
            .unwrap_or("")
    };
    let angle = |i: usize| start + step * i as f64;
    match kind {
        "STD" => {
            for k in 0..10 {
                let f = field(k, 8);
                if f.trim().is_empty() || out.len() >= n {
                    break;
                }
                let (count, value) = f.split_at(2.min(f.len()));
                let detectors: f64 = match count.trim() {
                    "" => 1.0,
                    c => c.parse().map_err(|_| format!("bad detector count `{c}`"))?,
                };
                let y: f64 = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad intensity `{}`", f.trim()))?;
                out.push((
                    angle(out.len()),
                    y,
                    (y.max(1.0) / detectors.max(1.0)).sqrt(),
                ));
            }
        }
        "ESD" => {
            for k in 0..5 {
                let (a, b) = (field(2 * k, 8).trim(), field(2 * k + 1, 8).trim());
                if a.is_empty() || out.len() >= n {
                    break;
                }
                let y: f64 = a.parse().map_err(|_| format!("bad intensity `{a}`"))?;
                let s: f64 = b.parse().map_err(|_| format!("bad sigma `{b}`"))?;
                out.push((
                    angle(out.len()),
                    y,
                    if s > 0.0 { s } else { counting_sigma(y) },
                ));
            }
        }
        "FXYE" => {
            let v: Vec<f64> = line
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            if v.len() < 3 {
                return Err("expected `2θ(centideg) intensity sigma`".into());
            }
            out.push((
                v[0] / 100.0,
                v[1],
                if v[2] > 0.0 {
                    v[2]
                } else {
                    counting_sigma(v[1])
                },
            ));
        }
        other => {
            return Err(format!(
                "unsupported GSAS data type `{other}` (STD, ESD, FXYE)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsas_std_with_padding_and_detector_counts() {
        let text = "title\nBANK 1 12 2 CONST 1000 2.5 0 0 STD\n\
                    \x20    100     121       0     144     169     196     225     256     289     324\n\
                    \x204   400       0     484       0       0       0       0       0       0       0\n";
        let p = parse_gsas(text, "t.gsa").unwrap();
        // Twelve channels, two of them with zero counts (not measured): ten points; the
        // 484 of channel 13 lies beyond the announced twelve.
        assert_eq!(p.two_theta_deg.len(), 10);
        assert!((p.two_theta_deg[9] - (10.0 + 10.0 * 0.025)).abs() < 1e-12);
        assert!((p.two_theta_deg[2] - (10.0 + 3.0 * 0.025)).abs() < 1e-12);
        assert_eq!(p.intensity[1], 121.0);
        assert_eq!(p.sigma[1], 11.0);
        // Four detectors: sigma = sqrt(400 / 4).
        assert_eq!(p.sigma[9], 10.0);
    }

    #[test]
    fn columns_with_headers_comments_and_sigma() {
        let text = "# comment\n2theta intensity\n10.0 100\n10.02, 121 ! note\n10.03 0\n10.04;144\n";
        let p = parse_columns(text, "t.xy").unwrap();
        assert_eq!(p.intensity, [100.0, 121.0, 144.0]);
        assert_eq!(p.sigma, [10.0, 11.0, 12.0]);
        let p = parse_columns("1 5 0.5\n2 6 0.25\n", "t.xye").unwrap();
        assert_eq!(p.sigma, [0.5, 0.25]);
    }

    #[test]
    fn bad_patterns_name_the_problem() {
        let cases = [
            ("1 5\n2 x\n", "t, line 2"),
            ("1 5\n1 6\n", "does not increase"),
            ("1 5\n", "fewer than two points"),
            (
                "BANK 1 5 1 CONST 1000 2 0 0 STD\n     1     2\n",
                "announces 5 points",
            ),
            ("BANK 1 5 1 RALF 1000 2 0 0 STD\n", "CONST"),
            (
                "BANK 1 2 1 CONST 1000 2 0 0 STD\n  x  1\n",
                "t, line 2: bad",
            ),
        ];
        for (text, needle) in cases {
            let e = if text.starts_with("BANK") {
                parse_gsas(text, "t")
            } else {
                parse_columns(text, "t")
            }
            .unwrap_err()
            .to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }
}
