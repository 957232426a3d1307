//! The one error type of `xas-metrics`.

use std::path::PathBuf;

/// Everything that can go wrong when comparing spectra, searching a library, or
/// reading and writing library files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of range or inconsistent with the data.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter as spelt in the API.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// Inputs that cannot be compared (different lengths, empty, non-finite values).
    #[error("invalid data in {field}: {message}")]
    InvalidData {
        /// The argument or field concerned.
        field: String,
        /// What is wrong.
        message: String,
    },
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
    /// A binary file (a [`Library`](crate::library::Library) file) does not follow its
    /// format.
    #[error("{}: {field}: {message}", path.display())]
    Format {
        /// The file being read (`<memory>` for in-memory buffers).
        path: PathBuf,
        /// The part of the file that is wrong, with its byte range where known.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A text file (e.g. a labels CSV) does not follow its format.
    #[error("{}:{line}: {field}: {message}", path.display())]
    Parse {
        /// The file being read.
        path: PathBuf,
        /// One-based line number (0 when the problem is not tied to one line).
        line: usize,
        /// The column or field that is wrong.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// An error from `xas-core`.
    #[error(transparent)]
    Core(#[from] xas_core::Error),
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

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`Error::Format`].
    pub fn format(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Format {
            path: path.into(),
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
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
