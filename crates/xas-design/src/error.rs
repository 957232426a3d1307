//! The one error type of `xas-design`.

/// Everything that can go wrong when defining or running a search.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A dimension, setting or lookup is invalid.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The dimension or setting as spelt by the caller.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl Error {
    /// An [`Error::InvalidParameter`].
    pub fn param(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            message: message.into(),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
