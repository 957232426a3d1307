//! [`Format`]: the file formats `xas-core` reads.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::Error;

/// A spectrum file format understood by the readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// XAS Data Interchange 1.0 (`.xdi`).
    Xdi,
    /// Plain column text or CSV with `#` comments (`.dat`, `.txt`, `.csv`, `.xmu`, ...).
    Columns,
    /// Athena project, gzip-compressed Perl-like text (`.prj`).
    AthenaProject,
    /// EMSA/MAS spectral data (`.msa`, `.emsa`).
    Emsa,
}

impl Format {
    /// Every format, in a fixed order.
    pub const ALL: [Format; 4] = [
        Format::Xdi,
        Format::Columns,
        Format::AthenaProject,
        Format::Emsa,
    ];

    /// The format conventionally used with the extension of `path`, if any
    /// (case-insensitive).
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "xdi" => Some(Format::Xdi),
            "prj" => Some(Format::AthenaProject),
            "msa" | "emsa" | "ems" => Some(Format::Emsa),
            "dat" | "txt" | "csv" | "tsv" | "xmu" | "nor" | "chi" => Some(Format::Columns),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Xdi => "XDI",
            Format::Columns => "column text",
            Format::AthenaProject => "Athena project",
            Format::Emsa => "EMSA/MAS",
        })
    }
}

impl FromStr for Format {
    type Err = Error;

    /// Parses a format name as a user would type it: `xdi`, `columns` (also `csv`,
    /// `dat`, `txt`), `athena` (also `prj`), `emsa` (also `msa`); case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xdi" => Ok(Format::Xdi),
            "columns" | "column" | "csv" | "dat" | "txt" | "text" => Ok(Format::Columns),
            "athena" | "prj" | "athenaproject" | "athena-project" => Ok(Format::AthenaProject),
            "emsa" | "msa" | "emsa/mas" => Ok(Format::Emsa),
            other => Err(Error::param(
                "format",
                format!("unknown format `{other}` (expected xdi, columns, athena or emsa)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_and_extensions() {
        let names = ["xdi", "columns", "athena", "emsa"];
        for (name, format) in names.iter().zip(Format::ALL) {
            assert_eq!(name.parse::<Format>().unwrap(), format);
            assert!(!format.to_string().is_empty());
        }
        assert_eq!("EMSA/MAS".parse::<Format>().unwrap(), Format::Emsa);
        assert_eq!(
            Format::from_extension(Path::new("a/B.XDI")),
            Some(Format::Xdi)
        );
        assert_eq!(
            Format::from_extension(Path::new("a.prj")),
            Some(Format::AthenaProject)
        );
        assert_eq!(Format::from_extension(Path::new("a")), None);
        assert!(
            "nope"
                .parse::<Format>()
                .unwrap_err()
                .to_string()
                .contains("nope")
        );
    }
}
