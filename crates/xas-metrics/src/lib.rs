//! # xas-metrics
//!
//! Distance and similarity measures between spectra on a shared energy axis, exact
//! k-nearest-neighbour search of a query against a library, and (next) similarity-based
//! estimation of physical parameters such as valence and 10Dq from a labelled library.

pub mod error;
pub mod estimate;
pub mod measures;
pub mod search;

pub use error::{Error, Result};
