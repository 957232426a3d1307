//! The one error type of `xas-bayes`.

/// Everything that can go wrong when setting up or running a Bayesian analysis.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter (of a prior, a sampler setting, a model) is out of range or
    /// inconsistent with the rest.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter as spelt in the API or the priors file.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// Data that cannot be fitted (wrong lengths, non-finite values, non-positive sigma).
    #[error("invalid data in {field}: {message}")]
    InvalidData {
        /// The data set, column or field concerned.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The forward model failed for a parameter vector the priors allow.
    #[error("forward model `{model}` failed: {message}")]
    Model {
        /// The model concerned.
        model: String,
        /// What happened.
        message: String,
    },
    /// A numerical method failed (a free-energy solver did not converge, a covariance
    /// is not positive definite).
    #[error("{method} failed: {message}")]
    Numerical {
        /// The method concerned.
        method: String,
        /// What happened.
        message: String,
    },
    /// The observer asked to stop.
    #[error("interrupted")]
    Interrupted,
    /// A checkpoint does not belong to this problem.
    #[error("checkpoint does not match: {0}")]
    Checkpoint(String),
    /// An error from `cluster-model` outside the forward model's evaluation.
    #[error(transparent)]
    Cluster(#[from] cluster_model::Error),
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

    /// Shorthand for [`Error::Model`].
    pub fn model(model: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Model {
            model: model.into(),
            message: message.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
