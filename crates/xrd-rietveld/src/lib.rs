//! # xrd-rietveld
//!
//! Powder X-ray diffraction: crystal structures with space-group symmetry read from CIF
//! files ([`cif`], [`structure`]), reflections and structure factors ([`reflections`],
//! [`structure_factor`]) with Waasmaier-Kirfel form factors and Chantler anomalous terms
//! ([`form_factor`]).

pub mod adp;
pub mod atomic_weight;
pub mod background;
pub mod cif;
pub mod constraints;
pub mod error;
mod fast_exp;
pub mod form_factor;
pub mod instrument;
pub mod lattice;
pub mod model;
pub mod pattern;
pub mod plan;
pub mod preferred_orientation;
pub mod profile;
pub mod refine;
pub mod reflections;
pub mod report;
pub mod rfactors;
pub mod solve;
pub mod strategy;
pub mod structure;
pub mod structure_factor;
pub mod symmetry;

pub use error::{Error, Result};
