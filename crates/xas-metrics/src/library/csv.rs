//! A small CSV reader and field quoting for the labels files.
//!
//! Records end at a line break (LF or CR LF) outside quotes. A field that starts
//! (after blanks) with `"` is quoted: it runs to the next `"` not doubled, may hold
//! commas and line breaks, and `""` stands for one `"`; only blanks may follow the
//! closing quote. Unquoted fields are trimmed. Blank lines and lines whose first
//! character is `#` are skipped. A UTF-8 byte-order mark is ignored.

/// One record: its fields and the one-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Record {
    /// One-based line number of the record's first character.
    pub line: usize,
    /// The fields, unquoted (quoted) or trimmed (unquoted).
    pub fields: Vec<String>,
}

/// A syntax error: one-based line and message.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Splits `text` into records.
pub(super) fn parse(text: &str) -> Result<Vec<Record>, SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    loop {
        // At the start of a record: skip blank and comment lines.
        let mut probe = chars.clone();
        let mut blank = true;
        let mut comment = false;
        while let Some(&c) = probe.peek() {
            if c == '\n' {
                break;
            }
            if blank && c == '#' {
                comment = true;
            }
            if !c.is_whitespace() {
                blank = false;
            }
            probe.next();
        }
        let at_end = chars.peek().is_none();
        if at_end {
            return Ok(records);
        }
        if blank || comment {
            // Skip the rest of the line, including its line break.
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            line += 1;
            continue;
        }
        let start = line;
        let mut fields = Vec::new();
        loop {
            let (field, end) = parse_field(&mut chars, &mut line, start)?;
            fields.push(field);
            match end {
                FieldEnd::Comma => continue,
                FieldEnd::Line | FieldEnd::Eof => break,
            }
        }
        records.push(Record {
            line: start,
            fields,
        });
    }
}

/// What ended a field.
enum FieldEnd {
    Comma,
    Line,
    Eof,
}

/// Reads one field and the character that ended it (consumed); counts line breaks.
fn parse_field(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    line: &mut usize,
    record_line: usize,
) -> Result<(String, FieldEnd), SyntaxError> {
    while chars.peek().is_some_and(|&c| c == ' ' || c == '\t') {
        chars.next();
    }
    let mut field = String::new();
    if chars.peek() == Some(&'"') {
        chars.next();
        let quote_line = *line;
        loop {
            match chars.next() {
                None => {
                    return Err(SyntaxError {
                        line: quote_line,
                        message: "unterminated quoted field (no closing `\"`)".into(),
                    });
                }
                Some('"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                Some('"') => break,
                Some(c) => {
                    if c == '\n' {
                        *line += 1;
                    }
                    field.push(c);
                }
            }
        }
        // Only blanks may follow the closing quote.
        loop {
            match chars.next() {
                None => return Ok((field, FieldEnd::Eof)),
                Some(',') => return Ok((field, FieldEnd::Comma)),
                Some('\n') => {
                    *line += 1;
                    return Ok((field, FieldEnd::Line));
                }
                Some(c) if c.is_whitespace() => {}
                Some(c) => {
                    return Err(SyntaxError {
                        line: *line,
                        message: format!(
                            "unexpected `{c}` after the closing quote of a field (record \
                             starting on line {record_line}); quote the whole field and \
                             double inner quotes"
                        ),
                    });
                }
            }
        }
    }
    loop {
        match chars.next() {
            None => return Ok((field.trim().to_owned(), FieldEnd::Eof)),
            Some(',') => return Ok((field.trim().to_owned(), FieldEnd::Comma)),
            Some('\n') => {
                *line += 1;
                return Ok((field.trim().to_owned(), FieldEnd::Line));
            }
            Some(c) => field.push(c),
        }
    }
}

/// `field` as a CSV field: double-quoted (inner quotes doubled) when it holds a comma,
/// quote or line break, starts with `#`, or has outer blanks; as is otherwise.
pub(super) fn quote(field: &str) -> String {
    let needs_quotes =
        field.contains([',', '"', '\n', '\r']) || field.starts_with('#') || field.trim() != field;
    if needs_quotes {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn quoted_fields_hold_commas_quotes_and_line_breaks() {
        let text = "\u{feff}file,note\r\n# comment\n\n a.xdi , \"x, \"\"y\"\"\" \n\"b\nc\",\n";
        let records = parse(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].fields, ["file", "note"]);
        assert_eq!(records[1].fields, ["a.xdi", "x, \"y\""]);
        assert_eq!(records[1].line, 4);
        assert_eq!(records[2].fields, ["b\nc", ""]);
        assert_eq!(records[2].line, 5);
        assert_eq!(fields("a,b"), [["a", "b"]]);
        assert_eq!(fields("a,"), [["a", ""]]);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = parse("file\n\"abc\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("unterminated"), "{}", err.message);
        let err = parse("file\n\"a\"b,c\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn quoting_round_trips() {
        for field in [
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            " padded",
            "#x",
            "",
        ] {
            let text = format!("{},end\n", quote(field));
            assert_eq!(fields(&text), [[field, "end"]], "{field:?}");
        }
    }
}
