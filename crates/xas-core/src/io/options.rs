//! [`ReadOptions`] and [`ColumnSelector`]: how a caller steers the readers.

use std::fmt;

use super::format::Format;

/// Chooses one column (or, in Athena projects, one array) of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnSelector {
    /// The column with this name (case-insensitive): a header or `Column.N` name, an
    /// Athena array name such as `x`, `y`, `i0`, or `x`/`y` for EMSA files.
    Name(String),
    /// The column at this zero-based position.
    Index(usize),
}

impl fmt::Display for ColumnSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnSelector::Name(name) => write!(f, "column `{name}`"),
            ColumnSelector::Index(index) => write!(f, "column index {index} (zero-based)"),
        }
    }
}

/// Options of [`read_file_with`](super::read_file_with) and
/// [`read_bytes`](super::read_bytes). The default detects the format and picks the
/// columns each format's documentation describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Forces a format instead of detecting it from the content.
    pub format: Option<Format>,
    /// Column holding the energy axis (eV).
    pub x_column: Option<ColumnSelector>,
    /// Column holding the intensity.
    pub y_column: Option<ColumnSelector>,
}
