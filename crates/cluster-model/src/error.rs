//! The one error type of `cluster-model`.

/// Everything that can go wrong when building or evaluating a cluster model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of range or inconsistent with others.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter as spelt in the API.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A numerical routine failed (e.g. the eigensolver did not converge).
    #[error("numerical failure in {routine}: {message}")]
    Numerical {
        /// The routine that failed.
        routine: String,
        /// Details.
        message: String,
    },
    /// A long computation was stopped by its progress callback.
    #[error("interrupted")]
    Interrupted,
    /// An error from `xas-core` (grids, broadening).
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
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
