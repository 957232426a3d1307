//! The one error type of `xas-metrics`.

/// Everything that can go wrong when comparing spectra or searching a library.
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
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
