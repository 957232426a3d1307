//! A small tokenizer and parser for the Perl-like assignments of Athena project files:
//! `$name = scalar;`, `@name = (item, ...);`, `%name = (key => value, ...);`, with
//! single- or double-quoted strings, numbers, barewords and nested `[...]`/`{...}`
//! lists. Anything else at the top level (`[record]`, `1;`) is skipped, except that
//! `[record]` is reported because it ends an Athena group.

use super::source::Source;
use crate::error::Result;

/// Deepest nesting of brackets accepted (guards the recursion).
const MAX_DEPTH: usize = 32;

/// One token with its one-based line.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: Kind,
    line: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// `$name`, `@name` or `%name`.
    Variable(char, String),
    /// A quoted string, unescaped.
    Quoted(String),
    /// A number or bareword.
    Bare(String),
    /// One of `= ( ) [ ] { } , ;`, or `>` standing for `=>`.
    Punct(char),
}

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string, number or bareword, as text.
    Scalar(String),
    /// A parenthesised or bracketed list.
    List(Vec<Value>),
}

impl Value {
    /// The text of a scalar, or all scalars of a list joined by newlines.
    pub(crate) fn text(&self) -> String {
        match self {
            Value::Scalar(s) => s.clone(),
            Value::List(items) => items.iter().map(Value::text).collect::<Vec<_>>().join("\n"),
        }
    }
}

/// A top-level item of the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// `sigil name = value;` at `line`.
    Assign {
        /// `$`, `@` or `%`.
        sigil: char,
        /// The variable name.
        name: String,
        /// The assigned value.
        value: Value,
        /// Line of the variable.
        line: usize,
    },
    /// A `[record]` marker.
    Record,
}

/// Parses the whole text into items.
///
/// # Errors
/// A parse error with the line for unterminated strings or lists, a variable not
/// followed by `=`, or nesting deeper than 32 levels.
pub(crate) fn parse(text: &str, source: &Source<'_>) -> Result<Vec<Item>> {
    let tokens = tokenize(text, source)?;
    Parser {
        tokens: &tokens,
        pos: 0,
        source,
    }
    .items()
}

fn tokenize(text: &str, source: &Source<'_>) -> Result<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(c) = chars.next() {
        let kind =
            match c {
                '\n' => {
                    line += 1;
                    continue;
                }
                c if c.is_whitespace() => continue,
                '#' => {
                    while chars.next_if(|&n| n != '\n').is_some() {}
                    continue;
                }
                '\'' | '"' => {
                    let start = line;
                    Kind::Quoted(quoted(&mut chars, c, &mut line).ok_or_else(|| {
                        source.error(start, "string", "unterminated quoted string")
                    })?)
                }
                '$' | '@' | '%' if chars.peek().is_some_and(|&n| is_word(n)) => {
                    Kind::Variable(c, take_while(&mut chars, String::new(), is_word))
                }
                '=' if chars.next_if_eq(&'>').is_some() => Kind::Punct('>'),
                '=' | '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' => Kind::Punct(c),
                c => Kind::Bare(take_while(&mut chars, c.to_string(), is_bare)),
            };
        tokens.push(Token { kind, line });
    }
    Ok(tokens)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == ':'
}

fn is_bare(c: char) -> bool {
    !(c.is_whitespace() || "=()[]{},;#'\"".contains(c))
}

fn take_while(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    mut out: String,
    keep: fn(char) -> bool,
) -> String {
    while let Some(c) = chars.next_if(|&c| keep(c)) {
        out.push(c);
    }
    out
}

/// Reads a string up to the closing `quote`, handling backslash escapes. `None` when
/// the input ends first.
fn quoted(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    quote: char,
    line: &mut usize,
) -> Option<String> {
    let mut out = String::new();
    loop {
        let c = chars.next()?;
        if c == '\n' {
            *line += 1;
        }
        match c {
            c if c == quote => return Some(out),
            '\\' => {
                let escaped = chars.next()?;
                match escaped {
                    '\\' => out.push('\\'),
                    e if e == quote => out.push(e),
                    'n' if quote == '"' => out.push('\n'),
                    't' if quote == '"' => out.push('\t'),
                    e => {
                        if e == '\n' {
                            *line += 1;
                        }
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            c => out.push(c),
        }
    }
}

struct Parser<'t, 's> {
    tokens: &'t [Token],
    pos: usize,
    source: &'t Source<'s>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.pos);
        self.pos += 1;
        token
    }

    fn peek_is(&self, offset: usize, kind: &Kind) -> bool {
        self.tokens
            .get(self.pos + offset)
            .is_some_and(|t| t.kind == *kind)
    }

    fn items(mut self) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        while let Some(token) = self.next().cloned() {
            match token.kind {
                Kind::Variable(sigil, name) => {
                    items.push(self.assignment(sigil, name, token.line)?)
                }
                Kind::Punct('[') if self.is_record() => {
                    self.pos += 2;
                    items.push(Item::Record);
                }
                _ => {}
            }
        }
        Ok(items)
    }

    fn is_record(&self) -> bool {
        self.peek_is(0, &Kind::Bare("record".into())) && self.peek_is(1, &Kind::Punct(']'))
    }

    fn assignment(&mut self, sigil: char, name: String, line: usize) -> Result<Item> {
        let field = format!("{sigil}{name}");
        if !self.peek_is(0, &Kind::Punct('=')) {
            return Err(self
                .source
                .error(line, field, "expected `=` after the variable"));
        }
        self.pos += 1;
        let value = self.value(&field, line, 0)?;
        if self.peek_is(0, &Kind::Punct(';')) {
            self.pos += 1;
        }
        Ok(Item::Assign {
            sigil,
            name,
            value,
            line,
        })
    }

    /// One value: a scalar or a bracketed list.
    fn value(&mut self, field: &str, line: usize, depth: usize) -> Result<Value> {
        let token = self.next().cloned().ok_or_else(|| {
            self.source
                .error(line, field, "missing value at end of input")
        })?;
        match token.kind {
            Kind::Quoted(s) | Kind::Bare(s) => Ok(Value::Scalar(s)),
            Kind::Variable(sigil, name) => Ok(Value::Scalar(format!("{sigil}{name}"))),
            Kind::Punct(open @ ('(' | '[' | '{')) => self.list(open, field, token.line, depth + 1),
            Kind::Punct(p) => Err(self.source.error(
                token.line,
                field,
                format!("unexpected `{p}` where a value was expected"),
            )),
        }
    }

    /// The items of a list up to the bracket closing `open`.
    fn list(&mut self, open: char, field: &str, line: usize, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(self.source.error(
                line,
                field,
                format!("lists nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let close = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        let mut items = Vec::new();
        loop {
            let Some(token) = self.peek() else {
                return Err(self.source.error(
                    line,
                    field,
                    format!("unterminated list: missing `{close}`"),
                ));
            };
            match token.kind {
                Kind::Punct(c) if c == close => {
                    self.pos += 1;
                    return Ok(Value::List(items));
                }
                Kind::Punct(',' | '>') => self.pos += 1,
                Kind::Punct(';') => {
                    return Err(self.source.error(
                        token.line,
                        field,
                        format!("`;` before the closing `{close}`"),
                    ));
                }
                _ => items.push(self.value(field, line, depth)?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;

    fn run(text: &str) -> Result<Vec<Item>> {
        parse(text, &Source::new(Path::new("p.prj")))
    }

    fn scalar(s: &str) -> Value {
        Value::Scalar(s.into())
    }

    #[test]
    fn parses_athena_statements() {
        let text = "# comment 'x'\n$old_group = 'ab\\'c';\n@args = ('a',1,'t',['x','y'],'e',-1.5e-3);\n\
                    [record]   # create object\n%h = ('k' => 'v', n => \"q\\\"\");\n1;\n";
        let items = run(text).unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(
            items[0],
            Item::Assign {
                sigil: '$',
                name: "old_group".into(),
                value: scalar("ab'c"),
                line: 2
            }
        );
        let Item::Assign {
            value: Value::List(args),
            line,
            ..
        } = &items[1]
        else {
            panic!()
        };
        assert_eq!(*line, 3);
        assert_eq!(args[3], Value::List(vec![scalar("x"), scalar("y")]));
        assert_eq!(args[5], scalar("-1.5e-3"));
        assert_eq!(items[2], Item::Record);
        let Item::Assign {
            value: Value::List(h),
            ..
        } = &items[3]
        else {
            panic!()
        };
        assert_eq!(
            h,
            &vec![scalar("k"), scalar("v"), scalar("n"), scalar("q\"")]
        );
    }

    #[test]
    fn errors_have_lines() {
        let err = run("$a = 'x';\n@y = ('1',\n'2").unwrap_err().to_string();
        assert!(err.contains("p.prj:3: string"), "{err}");
        let err = run("\n@y = ('1', '2';\n").unwrap_err().to_string();
        assert!(err.contains("p.prj:2: @y"), "{err}");
        let err = run("$x 'a';").unwrap_err().to_string();
        assert!(err.contains("p.prj:1: $x: expected `=`"), "{err}");
        let deep = format!("@a = {}", "[".repeat(10_000));
        let err = run(&deep).unwrap_err().to_string();
        assert!(err.contains("nested deeper"), "{err}");
    }
}
