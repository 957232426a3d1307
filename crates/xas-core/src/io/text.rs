//! Text helpers shared by every reader and writer: decoding, line iteration, comment
//! and `key: value` recognition, field splitting and number parsing/formatting.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// Comment markers of column text files (`#`, `;`, `!`, `%`).
pub(crate) const COLUMN_COMMENT_MARKERS: [char; 4] = ['#', ';', '!', '%'];

/// Decodes bytes as UTF-8, replacing invalid sequences by U+FFFD, after dropping a
/// UTF-8 byte-order mark. Never fails: bad bytes surface later as unparseable tokens.
pub(crate) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Iterates over the lines of `text` with their one-based numbers.
///
/// Accepts LF, CRLF and (for files without any LF) CR-only line ends.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let separator = if !text.contains('\n') && text.contains('\r') {
        '\r'
    } else {
        '\n'
    };
    text.split(separator)
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
}

/// Returns the text after the comment marker when the first non-blank character of
/// `line` is one of `markers`.
pub(crate) fn comment_body<'a>(line: &'a str, markers: &[char]) -> Option<&'a str> {
    let trimmed = line.trim_start();
    let first = trimmed.chars().next()?;
    markers
        .contains(&first)
        .then(|| &trimmed[first.len_utf8()..])
}

/// Splits a comment body of the form `key: value` (the colon followed by whitespace or
/// the end of the line, so that `http://...` is not a key). Both parts are trimmed; the
/// key is never empty.
pub(crate) fn key_value(body: &str) -> Option<(&str, &str)> {
    let colon = body.find(':')?;
    let key = body[..colon].trim();
    let rest = &body[colon + 1..];
    let separated = rest.is_empty() || rest.starts_with(char::is_whitespace);
    (!key.is_empty() && separated).then(|| (key, rest.trim()))
}

/// Inserts `key = value`, joining with a newline when the key is already present
/// (repeated `# title:` lines, for example).
pub(crate) fn insert_joined(map: &mut BTreeMap<String, String>, key: &str, value: &str) {
    map.entry(key.to_string())
        .and_modify(|old| {
            old.push('\n');
            old.push_str(value);
        })
        .or_insert_with(|| value.to_string());
}

/// How the fields of a data line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separator {
    /// Runs of spaces and tabs.
    Whitespace,
    /// Commas, with optional blanks around fields (CSV without quoting).
    Comma,
    /// Semicolons, with optional blanks around fields.
    Semicolon,
    /// Commas and/or blanks, empty fields ignored (EMSA data lines).
    CommaOrWhitespace,
}

impl Separator {
    /// Guesses the separator of one data or header line.
    pub(crate) fn detect(line: &str) -> Self {
        if line.contains(',') {
            Separator::Comma
        } else if line.contains(';') {
            Separator::Semicolon
        } else {
            Separator::Whitespace
        }
    }

    /// Splits `line` into trimmed fields. A single trailing delimiter (`1,2,`) is
    /// tolerated.
    pub(crate) fn split(self, line: &str) -> Vec<&str> {
        match self {
            Separator::Whitespace => line.split_whitespace().collect(),
            Separator::CommaOrWhitespace => line
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|f| !f.is_empty())
                .collect(),
            Separator::Comma => split_delimited(line, ','),
            Separator::Semicolon => split_delimited(line, ';'),
        }
    }
}

fn split_delimited(line: &str, delimiter: char) -> Vec<&str> {
    let mut fields: Vec<&str> = line.trim().split(delimiter).map(str::trim).collect();
    if fields.len() > 1 && fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

/// Parses a finite number, also accepting Fortran `D` exponents (`1.5D+03`).
/// Returns `None` for anything else, including `inf` and `NaN`.
pub(crate) fn parse_number(token: &str) -> Option<f64> {
    let value = match token.parse::<f64>() {
        Ok(v) => v,
        Err(_) if token.contains(['d', 'D']) => token.replace(['d', 'D'], "e").parse().ok()?,
        Err(_) => return None,
    };
    value.is_finite().then_some(value)
}

/// `true` when every field of a non-empty list is a finite number.
pub(crate) fn all_numeric(fields: &[&str]) -> bool {
    !fields.is_empty() && fields.iter().all(|f| parse_number(f).is_some())
}

/// Shortens `text` for an error message (at most 40 characters, on a char boundary).
pub(crate) fn snippet(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// Formats a number so that parsing the text gives back exactly the same `f64`:
/// plain decimal for moderate magnitudes, shortest scientific notation otherwise.
pub(crate) fn format_number(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || (1e-4..1e15).contains(&magnitude) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// Replaces line breaks and other control characters by spaces, so that a metadata
/// value stays on one header line.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("7112."), Some(7112.0));
        assert_eq!(parse_number(".8786204E+04"), Some(8786.204));
        assert_eq!(parse_number("1.5D+03"), Some(1500.0));
        assert_eq!(parse_number("-0.39452033"), Some(-0.39452033));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("1e999"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn number_formatting_round_trips() {
        for v in [
            0.0,
            -0.0,
            1.0,
            0.1 + 0.2,
            6962.0,
            1e-300,
            -5e300,
            f64::MIN_POSITIVE,
            f64::MAX,
            1.0 / 3.0,
            123_456_789.123_456_78,
        ] {
            let text = format_number(v);
            // Bits, not values: -0.0 == 0.0, and the sign must survive.
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
        }
    }

    #[test]
    fn lines_and_comments() {
        let lines: Vec<_> = numbered_lines("a\r\nb\nc").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b"), (3, "c")]);
        let lines: Vec<_> = numbered_lines("a\rb").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b")]);
        assert_eq!(comment_body("  # x", &['#']), Some(" x"));
        assert_eq!(comment_body("1 # x", &['#']), None);
        assert_eq!(key_value(" Element.edge: K"), Some(("Element.edge", "K")));
        assert_eq!(key_value(" see http://x"), None);
        assert_eq!(
            key_value(" title: User Comment:"),
            Some(("title", "User Comment:"))
        );
        assert_eq!(key_value(" : x"), None);
    }

    #[test]
    fn separators() {
        assert_eq!(Separator::detect("1, 2"), Separator::Comma);
        assert_eq!(Separator::Comma.split("1, 2,"), vec!["1", "2"]);
        assert_eq!(Separator::Semicolon.split("1;;2"), vec!["1", "", "2"]);
        assert_eq!(
            Separator::CommaOrWhitespace.split("1, 2 ,3"),
            vec!["1", "2", "3"]
        );
        assert_eq!(Separator::Whitespace.split(" 1\t2 "), vec!["1", "2"]);
    }

    #[test]
    fn snippets_respect_char_boundaries() {
        let long = "é".repeat(100);
        assert_eq!(snippet(&long).chars().count(), 43);
        assert_eq!(one_line("a\nb\tc "), "a b c");
    }
}
