//! The one error type of `xas-core`.

use std::path::PathBuf;

/// Everything that can go wrong in `xas-core`.
///
/// Every variant names where the problem is: the file and line for parse errors, the
/// parameter or field for invalid input, so that a user can fix the cause without a
/// debugger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or written.
    // The OS error is the `source`, not part of the message, so that error chains
    // (`anyhow`'s `{:#}`) do not print it twice.
    #[error("cannot access {}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A file's content does not follow its format.
    #[error("{}:{line}: {field}: {message}", path.display())]
    Parse {
        /// The file being read (`<memory>` for in-memory buffers).
        path: PathBuf,
        /// One-based line number (0 when the problem is not tied to one line).
        line: usize,
        /// The header field, column or token that is wrong.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The file's format could not be recognised from its content or extension.
    #[error("{}: unrecognised format ({message})", path.display())]
    UnknownFormat {
        /// The file concerned.
        path: PathBuf,
        /// What was looked for.
        message: String,
    },
    /// Data handed to a constructor or routine are unusable (NaN, wrong lengths,
    /// non-monotonic axis, ...).
    #[error("invalid {field}: {message}")]
    InvalidData {
        /// The array or field that is wrong, with the offending index where known.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A parameter is out of its allowed range or inconsistent with others.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter name as spelt in the API.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A resampling grid reaches outside the data and extrapolation was not allowed.
    #[error(
        "target grid [{target_min_ev}, {target_max_ev}] eV lies outside the data range \
         [{data_min_ev}, {data_max_ev}] eV and extrapolation is `Error`"
    )]
    OutOfRange {
        /// Lowest energy of the target grid (eV).
        target_min_ev: f64,
        /// Highest energy of the target grid (eV).
        target_max_ev: f64,
        /// Lowest energy of the data (eV).
        data_min_ev: f64,
        /// Highest energy of the data (eV).
        data_max_ev: f64,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::InvalidData`].
    pub fn data(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidData {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Parse`].
    pub fn parse(
        path: impl Into<PathBuf>,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Parse {
            path: path.into(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
