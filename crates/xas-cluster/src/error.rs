//! The one error type of `xas-cluster`.

/// Everything that can go wrong when reading, classifying or generating images.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting or argument is invalid.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The setting as spelt by the caller.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A pixel value cannot be interpreted (negative counts, NaN).
    #[error("pixel (y {y}, x {x}), energy index {energy}: {message}")]
    InvalidPixel {
        /// Pixel row.
        y: usize,
        /// Pixel column.
        x: usize,
        /// Energy index within the spectrum.
        energy: usize,
        /// What is wrong.
        message: String,
    },
    /// The caller's progress callback asked to stop.
    #[error("interrupted during {0}")]
    Interrupted(String),
    /// An error of the image source or of `xas-core`.
    #[error(transparent)]
    Core(#[from] xas_core::Error),
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
