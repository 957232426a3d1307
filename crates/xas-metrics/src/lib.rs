//! # xas-metrics
//!
//! Distance and similarity measures between spectra on a shared energy axis
//! ([`measures`], all pairs in [`pairwise`], two spectra on different axes in [`pair`]),
//! exact and pruned k-nearest-neighbour search of queries against a library
//! ([`search`]), labelled libraries with provenance, their binary file format and their
//! construction from spectrum files and a labels CSV ([`Library`]), and
//! similarity-based estimation of physical parameters such as valence and 10Dq
//! ([`estimate`]).

pub mod error;
pub mod estimate;
pub mod library;
pub mod measures;
pub mod pair;
pub mod pairwise;
pub mod search;

pub use error::{Error, Result};
pub use library::{FromFilesOptions, Library};
