//! The one error type of `xrd-rietveld`.

/// Everything that can go wrong when reading structures and patterns or refining them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A text file (CIF, pattern, instrument file) that cannot be read as its format.
    #[error("{source_name}, line {line}: {message}")]
    Parse {
        /// The file (or "CIF text" for a string).
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A required item is missing from an input (a CIF tag, a wavelength, an atom type).
    #[error("{source_name}: missing {what}")]
    Missing {
        /// The input concerned.
        source_name: String,
        /// What is missing.
        what: String,
    },
    /// A parameter is out of range or inconsistent with the rest.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A space group that cannot be interpreted.
    #[error("space group {symbol}: {message}")]
    SpaceGroup {
        /// The symbol or number as given.
        symbol: String,
        /// What is wrong.
        message: String,
    },
    /// An error from `xas-core` (reading files, writing outputs).
    #[error(transparent)]
    Core(#[from] xas_core::Error),
    /// An error from `xas-design` (the strategy search's space or settings).
    #[error(transparent)]
    Design(#[from] xas_design::Error),
}

impl Error {
    /// Shorthand for [`Error::Parse`].
    pub fn parse(source_name: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Error::Parse {
            source_name: source_name.into(),
            line,
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Missing`].
    pub fn missing(source_name: impl Into<String>, what: impl Into<String>) -> Self {
        Error::Missing {
            source_name: source_name.into(),
            what: what.into(),
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            message: message.into(),
        }
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
