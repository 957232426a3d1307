//! [`detect_format`]: recognise a file's format from its content.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::athena::is_gzip;
use super::format::Format;
use super::text::{
    COLUMN_COMMENT_MARKERS, Separator, all_numeric, comment_body, decode, numbered_lines,
};
use super::xdi::version_line;
use crate::error::{Error, Result};

/// How much of a file (decompressed, for gzip) is examined.
const PREFIX: usize = 64 * 1024;
/// EMSA keywords; two of them in the header mark an EMSA file without `#FORMAT`.
const EMSA_KEYWORDS: [&str; 7] = [
    "NPOINTS",
    "XPERCHAN",
    "OFFSET",
    "SPECTRUM",
    "ENDOFDATA",
    "DATATYPE",
    "XUNITS",
];

/// Recognises the format of `bytes` from their content: gzip holding an Athena project
/// (or a plain-text Athena project), the `# XDI/` version line, EMSA `#FORMAT` or
/// keywords, then numeric columns. The extension of `path` decides only when the content
/// is not conclusive (for example a gzip stream that cannot be decompressed).
///
/// # Errors
/// [`Error::UnknownFormat`] naming the file and what was looked for.
pub fn detect_format(path: &Path, bytes: &[u8]) -> Result<Format> {
    if let Some(format) = from_content(bytes) {
        return Ok(format);
    }
    Format::from_extension(path).ok_or_else(|| Error::UnknownFormat {
        path: path.to_path_buf(),
        message: "no Athena project, `# XDI/` line, EMSA keywords or numeric columns found, \
                  and the extension is not .xdi, .prj, .msa, .dat, .csv or .txt"
            .into(),
    })
}

/// The format the content shows, if any.
fn from_content(bytes: &[u8]) -> Option<Format> {
    if is_gzip(bytes) {
        let text = gunzip_prefix(bytes);
        return is_athena(&decode(&text)).then_some(Format::AthenaProject);
    }
    let text = decode(&bytes[..bytes.len().min(PREFIX)]);
    if is_athena(&text) {
        Some(Format::AthenaProject)
    } else if is_xdi(&text) {
        Some(Format::Xdi)
    } else if is_emsa(&text) {
        Some(Format::Emsa)
    } else if has_numeric_rows(&text) {
        Some(Format::Columns)
    } else {
        None
    }
}

/// The first [`PREFIX`] decompressed bytes (fewer if the stream is broken).
fn gunzip_prefix(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // On a broken stream `read_to_end` keeps what was decoded before the error.
    let _ = MultiGzDecoder::new(bytes)
        .take(PREFIX as u64)
        .read_to_end(&mut out);
    out
}

fn first_line(text: &str) -> Option<&str> {
    numbered_lines(text)
        .map(|(_, l)| l.trim())
        .find(|l| !l.is_empty())
}

fn is_athena(text: &str) -> bool {
    first_line(text).is_some_and(|l| l.contains("Athena project"))
        || numbered_lines(text).any(|(_, l)| l.trim_start().starts_with("$old_group"))
}

fn is_xdi(text: &str) -> bool {
    first_line(text).and_then(version_line).is_some()
}

fn is_emsa(text: &str) -> bool {
    let keyword = |line: &str| {
        let body = line.trim_start().strip_prefix('#')?;
        let key = body.split([':', ' ', '\t']).next()?.to_ascii_uppercase();
        Some(key)
    };
    if first_line(text)
        .and_then(keyword)
        .is_some_and(|k| k == "FORMAT")
    {
        return true;
    }
    let found = numbered_lines(text)
        .filter_map(|(_, l)| keyword(l))
        .filter(|k| EMSA_KEYWORDS.contains(&k.as_str()))
        .count();
    found >= 2
}

/// `true` when some non-comment line holds at least two numbers and nothing else.
fn has_numeric_rows(text: &str) -> bool {
    numbered_lines(text)
        .filter(|(_, l)| comment_body(l, &COLUMN_COMMENT_MARKERS).is_none())
        .map(|(_, l)| Separator::detect(l).split(l))
        .any(|fields| fields.len() >= 2 && all_numeric(&fields))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn detect(name: &str, text: &[u8]) -> Result<Format> {
        detect_format(Path::new(name), text)
    }

    #[test]
    fn content_wins_over_extension() {
        assert_eq!(
            detect("a.dat", b"# XDI/1.0\n#---\n1 2\n").unwrap(),
            Format::Xdi
        );
        assert_eq!(
            detect("a.txt", b"#FORMAT : EMSA/MAS\n1, 2\n").unwrap(),
            Format::Emsa
        );
        assert_eq!(
            detect("a", b"#NPOINTS : 2\n#XPERCHAN : 1\n1\n2\n").unwrap(),
            Format::Emsa
        );
        assert_eq!(
            detect("a.xdi", b"# energy mu\n1 2\n").unwrap(),
            Format::Columns
        );
        assert_eq!(detect("a", b"energy,mu\n1,2\n").unwrap(), Format::Columns);
        let athena = b"# Athena project file\n$old_group = 'a';\n";
        assert_eq!(detect("a.txt", athena).unwrap(), Format::AthenaProject);
    }

    #[test]
    fn extension_breaks_ties() {
        assert_eq!(
            detect("a.prj", &[0x1f, 0x8b, 0, 0]).unwrap(),
            Format::AthenaProject
        );
        assert_eq!(detect("a.XDI", b"").unwrap(), Format::Xdi);
        let err = detect("dir/a.bin", b"\x00\x01 hello")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dir/a.bin") && err.contains("unrecognised"),
            "{err}"
        );
    }
}
