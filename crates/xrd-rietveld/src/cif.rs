//! A reader for CIF 1.1 (Crystallographic Information File) text: data blocks, tag-value
//! pairs, `loop_` tables, single- and double-quoted strings, semicolon text fields,
//! comments, and the `.` (inapplicable) and `?` (unknown) placeholders. Numbers may carry
//! a standard uncertainty in parentheses, `8.480297(97)` = 8.480297 ± 0.000097.
//!
//! Only the syntax is handled here; [`crate::structure`] turns a block into a crystal
//! structure. Tags are case-insensitive and stored in lower case.

use crate::{Error, Result};

/// One value of a CIF: its text, whether it was quoted, and the line it started on.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    text: String,
    quoted: bool,
    line: usize,
}

impl Value {
    /// The text, without quotes or semicolons.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line the value starts on.
    pub fn line(&self) -> usize {
        self.line
    }

    /// An unquoted `.` or `?`: no value.
    pub fn is_null(&self) -> bool {
        !self.quoted && (self.text == "." || self.text == "?")
    }

    /// The number and its standard uncertainty, if the value is a CIF number:
    /// `0.18754(8)` gives `(0.18754, Some(0.00008))`, `1.5e-3(2)` gives
    /// `(0.0015, Some(0.0002))`, `4` gives `(4.0, None)`. `None` for text and nulls.
    pub fn number(&self) -> Option<(f64, Option<f64>)> {
        if self.is_null() {
            return None;
        }
        parse_number_with_esd(&self.text)
    }
}

/// Parses a CIF number with an optional standard uncertainty in parentheses, which counts
/// units of the last digit of the mantissa.
pub fn parse_number_with_esd(text: &str) -> Option<(f64, Option<f64>)> {
    let (number, esd_digits) = match text.split_once('(') {
        Some((n, rest)) => (n, Some(rest.strip_suffix(')')?)),
        None => (text, None),
    };
    let value: f64 = number.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    let Some(digits) = esd_digits else {
        return Some((value, None));
    };
    let units: u64 = digits.parse().ok()?;
    let (mantissa, exponent) = match number.find(['e', 'E']) {
        Some(i) => (&number[..i], number[i + 1..].parse::<i32>().ok()?),
        None => (number, 0),
    };
    let decimals = mantissa
        .split_once('.')
        .map_or(0, |(_, frac)| frac.len() as i32);
    Some((value, Some(units as f64 * 10f64.powi(exponent - decimals))))
}

/// A `loop_` table: tag names (lower case) and rows of values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loop {
    tags: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Loop {
    /// The tag names, lower case.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The rows; each has one value per tag.
    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    /// The column of `tag` (case-insensitive), if present.
    pub fn column(&self, tag: &str) -> Option<usize> {
        let tag = tag.to_ascii_lowercase();
        self.tags.iter().position(|t| *t == tag)
    }

    /// The first column present among `tags` (alternative spellings of one item).
    pub fn column_of_any(&self, tags: &[&str]) -> Option<usize> {
        tags.iter().find_map(|t| self.column(t))
    }
}

/// A `data_` block: its name, single items and loops.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    name: String,
    items: Vec<(String, Value)>,
    loops: Vec<Loop>,
}

impl Block {
    /// The block name (after `data_`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The single (non-loop) value of `tag` (case-insensitive).
    pub fn get(&self, tag: &str) -> Option<&Value> {
        let tag = tag.to_ascii_lowercase();
        self.items.iter().find(|(t, _)| *t == tag).map(|(_, v)| v)
    }

    /// The first non-null single value among `tags` (alternative spellings).
    pub fn get_any(&self, tags: &[&str]) -> Option<&Value> {
        tags.iter()
            .filter_map(|t| self.get(t))
            .find(|v| !v.is_null())
    }

    /// The loop that contains `tag`.
    pub fn find_loop(&self, tag: &str) -> Option<&Loop> {
        self.loops.iter().find(|l| l.column(tag).is_some())
    }

    /// The loop that contains any of `tags`.
    pub fn find_loop_any(&self, tags: &[&str]) -> Option<&Loop> {
        tags.iter().find_map(|t| self.find_loop(t))
    }

    /// All single items as (tag, value).
    pub fn items(&self) -> &[(String, Value)] {
        &self.items
    }

    /// All loops.
    pub fn loops(&self) -> &[Loop] {
        &self.loops
    }
}

/// A parsed CIF: its data blocks in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cif {
    blocks: Vec<Block>,
}

impl Cif {
    /// Reads a CIF file.
    ///
    /// # Errors
    /// An unreadable file or a syntax error (with its line).
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::parse(path.display().to_string(), 0, format!("cannot read: {e}"))
        })?;
        Cif::parse(&text, &path.display().to_string())
    }

    /// Parses CIF text; `source_name` names it in errors.
    ///
    /// # Errors
    /// A syntax error: a value without a tag, a loop whose values do not fill its rows,
    /// an unterminated quoted string or text field, a tag outside a data block.
    pub fn parse(text: &str, source_name: &str) -> Result<Self> {
        Parser::new(source_name).run(&tokenize(text, source_name)?)
    }

    /// The data blocks.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }
}

/// A lexical token with its line.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Data(String),
    Loop,
    /// `save_` frames and `global_` are not used by structure CIFs; they end a loop.
    Frame,
    Tag(String),
    Value(Value),
}

/// Splits CIF text into tokens.
fn tokenize(text: &str, source_name: &str) -> Result<Vec<(Token, usize)>> {
    let mut tokens = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let line_no = i + 1;
        if let Some(first) = line.strip_prefix(';') {
            // A text field runs to the next line that starts with ';'.
            let mut field = first.to_string();
            let mut closed = false;
            for (_, next) in lines.by_ref() {
                if next.starts_with(';') {
                    closed = true;
                    break;
                }
                field.push('\n');
                field.push_str(next);
            }
            if !closed {
                return Err(Error::parse(
                    source_name,
                    line_no,
                    "text field opened with ';' is never closed",
                ));
            }
            tokens.push((
                Token::Value(Value {
                    text: field.trim().to_string(),
                    quoted: true,
                    line: line_no,
                }),
                line_no,
            ));
            continue;
        }
        tokenize_line(line, line_no, source_name, &mut tokens)?;
    }
    Ok(tokens)
}

/// Tokens of one ordinary line.
fn tokenize_line(
    line: &str,
    line_no: usize,
    source_name: &str,
    tokens: &mut Vec<(Token, usize)>,
) -> Result<()> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' {
            break;
        }
        if c == b'\'' || c == b'"' {
            // A quoted string ends at the same quote followed by whitespace or the end.
            let mut j = i + 1;
            loop {
                if j >= bytes.len() {
                    return Err(Error::parse(
                        source_name,
                        line_no,
                        format!("unterminated {} string", c as char),
                    ));
                }
                if bytes[j] == c && bytes.get(j + 1).is_none_or(|b| b.is_ascii_whitespace()) {
                    break;
                }
                j += 1;
            }
            tokens.push((
                Token::Value(Value {
                    text: line[i + 1..j].to_string(),
                    quoted: true,
                    line: line_no,
                }),
                line_no,
            ));
            i = j + 1;
            continue;
        }
        let end = bytes[i..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(bytes.len(), |p| i + p);
        let word = &line[i..end];
        let lower = word.to_ascii_lowercase();
        let token = if c == b'_' {
            Token::Tag(lower)
        } else if lower == "loop_" {
            Token::Loop
        } else if let Some(name) = lower.strip_prefix("data_").map(|_| &word[5..]) {
            Token::Data(name.to_string())
        } else if lower.starts_with("save_") || lower == "global_" {
            Token::Frame
        } else {
            Token::Value(Value {
                text: word.to_string(),
                quoted: false,
                line: line_no,
            })
        };
        tokens.push((token, line_no));
        i = end;
    }
    Ok(())
}

/// Builds blocks from tokens.
struct Parser<'a> {
    source_name: &'a str,
    blocks: Vec<Block>,
}

impl<'a> Parser<'a> {
    fn new(source_name: &'a str) -> Self {
        Parser {
            source_name,
            blocks: Vec::new(),
        }
    }

    fn error(&self, line: usize, message: impl Into<String>) -> Error {
        Error::parse(self.source_name, line, message)
    }

    fn block(&mut self, line: usize) -> Result<&mut Block> {
        let source_name = self.source_name;
        self.blocks
            .last_mut()
            .ok_or_else(|| Error::parse(source_name, line, "item before the first data_ block"))
    }

    fn run(mut self, tokens: &[(Token, usize)]) -> Result<Cif> {
        let mut i = 0;
        while i < tokens.len() {
            let (token, line) = &tokens[i];
            match token {
                Token::Data(name) => self.blocks.push(Block {
                    name: name.clone(),
                    ..Block::default()
                }),
                Token::Frame => {}
                Token::Tag(tag) => {
                    let Some((Token::Value(v), _)) = tokens.get(i + 1) else {
                        return Err(self.error(*line, format!("tag {tag} has no value")));
                    };
                    let item = (tag.clone(), v.clone());
                    self.block(*line)?.items.push(item);
                    i += 1;
                }
                Token::Loop => i = self.read_loop(tokens, i + 1, *line)? - 1,
                Token::Value(v) => {
                    return Err(self.error(*line, format!("value `{}` without a tag", v.text)));
                }
            }
            i += 1;
        }
        Ok(Cif {
            blocks: self.blocks,
        })
    }

    /// Reads a loop whose tags start at `start`; returns the index after it.
    fn read_loop(&mut self, tokens: &[(Token, usize)], start: usize, line: usize) -> Result<usize> {
        let mut lp = Loop::default();
        let mut i = start;
        while let Some((Token::Tag(t), _)) = tokens.get(i) {
            lp.tags.push(t.clone());
            i += 1;
        }
        if lp.tags.is_empty() {
            return Err(self.error(line, "loop_ without tags"));
        }
        let mut values = Vec::new();
        while let Some((Token::Value(v), _)) = tokens.get(i) {
            values.push(v.clone());
            i += 1;
        }
        let n = lp.tags.len();
        if !values.len().is_multiple_of(n) {
            return Err(self.error(
                line,
                format!(
                    "loop of {n} tags ({}...) has {} values, not a multiple of {n}",
                    lp.tags[0],
                    values.len()
                ),
            ));
        }
        lp.rows = values.chunks_exact(n).map(<[Value]>::to_vec).collect();
        self.block(line)?.loops.push(lp);
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# comment\n\
data_test\n\
_cell_length_a  8.480297(97)\n\
_Symmetry_space_group_name_H-M  'P n m a'\n\
_title \"it's fine\" # trailing comment\n\
_note\n\
;\n\
two lines\n\
of text\n\
;\n\
loop_\n\
_atom_site_label _atom_site_fract_x\n\
_atom_site_U_iso_or_equiv\n\
Pb 0.18754(8) 0.0208\n\
O1 -0.09302(21) ?\n\
data_second\n\
_cell_length_a 1.5e-3(2)\n";

    #[test]
    fn blocks_items_loops_quotes_and_text_fields_are_read() {
        let cif = Cif::parse(TEXT, "test.cif").unwrap();
        assert_eq!(cif.blocks().len(), 2);
        let b = &cif.blocks()[0];
        assert_eq!(b.name(), "test");
        let (a, esd) = b.get("_CELL_LENGTH_A").unwrap().number().unwrap();
        assert_eq!(a, 8.480297);
        assert!((esd.unwrap() - 0.000097).abs() < 1e-15);
        assert_eq!(
            b.get("_symmetry_space_group_name_h-m").unwrap().text(),
            "P n m a"
        );
        assert_eq!(b.get("_title").unwrap().text(), "it's fine");
        assert_eq!(b.get("_note").unwrap().text(), "two lines\nof text");
        let lp = b.find_loop("_atom_site_label").unwrap();
        assert_eq!(lp.rows().len(), 2);
        let x = lp.column("_atom_site_fract_x").unwrap();
        let (x, e) = lp.rows()[1][x].number().unwrap();
        assert!(x == -0.09302 && (e.unwrap() - 0.00021).abs() < 1e-18);
        let u = lp.column("_atom_site_u_iso_or_equiv").unwrap();
        assert!(lp.rows()[1][u].is_null());
        assert_eq!(lp.rows()[1][u].line(), 15);
        let (v, e) = cif.blocks()[1]
            .get("_cell_length_a")
            .unwrap()
            .number()
            .unwrap();
        assert!((v - 0.0015).abs() < 1e-18 && (e.unwrap() - 0.0002).abs() < 1e-18);
    }

    #[test]
    fn numbers_and_uncertainties() {
        assert_eq!(parse_number_with_esd("4"), Some((4.0, None)));
        let esd = parse_number_with_esd("10.60796(3)").unwrap().1.unwrap();
        assert!((esd - 3e-5).abs() < 1e-20);
        assert_eq!(parse_number_with_esd("120(2)"), Some((120.0, Some(2.0))));
        assert_eq!(parse_number_with_esd("Uiso"), None);
        assert_eq!(parse_number_with_esd("1.2(x)"), None);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let cases = [
            ("data_a\n_x 'open\n", 2, "unterminated"),
            ("data_a\n_x\n;\nnever closed\n", 3, "never closed"),
            ("data_a\nloop_\n_a _b\n1 2 3\n", 2, "not a multiple"),
            ("_x 1\n", 1, "before the first data_"),
            ("data_a\n_x 1 2\n", 2, "without a tag"),
            ("data_a\n_x\n_y 1\n", 2, "has no value"),
        ];
        for (text, line, needle) in cases {
            let e = Cif::parse(text, "bad.cif").unwrap_err().to_string();
            assert!(
                e.contains(&format!("bad.cif, line {line}")) && e.contains(needle),
                "{text:?}: {e}"
            );
        }
    }
}
