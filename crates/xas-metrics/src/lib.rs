//! # xas-metrics
//!
//! Distance and similarity measures between spectra on a shared energy axis, exact
//! k-nearest-neighbour search of a query against a library, and (next) similarity-based
//! estimation of physical parameters such as valence and 10Dq from a labelled library.
//! [`Library`] is such a labelled library with provenance, its binary file format
//! and its construction from spectrum files and a labels CSV.

pub mod error;
pub mod estimate;
pub mod library;
pub mod measures;
pub mod pair;
pub mod search;

pub use error::{Error, Result};
pub use library::{FromFilesOptions, Library};
