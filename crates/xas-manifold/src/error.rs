//! The one error type of `xas-manifold`.

/// Everything that can go wrong when fitting or applying a map of spectra.
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
    /// Input that cannot be embedded (wrong lengths, too few points, non-finite values).
    #[error("invalid data in {field}: {message}")]
    InvalidData {
        /// The argument or field concerned.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A numerical method failed (an eigen- or singular-value solver did not converge).
    #[error("{method} failed: {message}")]
    Numerical {
        /// The method concerned.
        method: String,
        /// What happened.
        message: String,
    },
    /// The progress callback asked to stop.
    #[error("interrupted")]
    Interrupted,
    /// An error from `xas-metrics` (distances, nearest-neighbour search).
    #[error(transparent)]
    Metrics(#[from] xas_metrics::Error),
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

    /// Shorthand for [`Error::Numerical`].
    pub fn numerical(method: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Numerical {
            method: method.into(),
            message: message.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
